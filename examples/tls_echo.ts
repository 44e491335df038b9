// A TLS echo server and a client that verifies it with the test CA, in one
// program: prints what came back, then stops.
// Run: deno run -A examples/tls_echo.ts | bun examples/tls_echo.ts | node examples/tls_echo.ts
import { ClientFactory, Factory, type IPv4Address, Protocol, reactor } from "../mod.ts";

const read = async (name: string): Promise<string> =>
  new TextDecoder().decode(
    await reactor.runtime.readFile(
      new URL(`../tests/fixtures/tls/${name}`, import.meta.url).pathname,
    ),
  );

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

class Hello extends Protocol {
  override connectionMade(): void {
    this.transport.write(new TextEncoder().encode("hello over TLS"));
  }
  override dataReceived(data: Uint8Array): void {
    console.log("Echoed:", new TextDecoder().decode(data));
    this.transport.loseConnection();
  }
}

const server = reactor.listenSSL(0, Factory.forProtocol(Echo), {
  cert: await read("server.pem"),
  key: await read("server.key"),
}, { interface: "127.0.0.1" });
await server.whenListening();
const port = (server.getHost() as IPv4Address).port;
console.log(`TLS echo server on 127.0.0.1:${port} (${reactor.runtime.name})`);

const client = ClientFactory.forProtocol(Hello);
client.clientConnectionLost = () => reactor.stop();
client.clientConnectionFailed = (_connector, reason) => {
  console.error("TLS connection failed:", reason.getErrorMessage());
  reactor.stop();
};
reactor.connectSSL("localhost", port, client, { ca: await read("ca.pem") });
await reactor.run();
await server.stopListening();
