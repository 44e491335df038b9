// An echo client: sends one line to the echo server, prints the answer and exits.
// Run: deno run -A examples/echo_client.ts [port] | bun ... | node ...
import { ClientFactory, type Failure, type IConnector, Protocol, reactor } from "../mod.ts";

class EchoClient extends Protocol {
  override connectionMade(): void {
    this.transport.write(new TextEncoder().encode("Hello, world!\n"));
  }
  override dataReceived(data: Uint8Array): void {
    console.log("Server said:", new TextDecoder().decode(data).trimEnd());
    this.transport.loseConnection();
  }
}

class EchoClientFactory extends ClientFactory {
  override protocol = EchoClient;
  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    console.error("Connection failed:", reason.getErrorMessage());
    reactor.stop();
  }
  override clientConnectionLost(_connector: IConnector, _reason: Failure): void {
    reactor.stop();
  }
}

const port = Number(reactor.runtime.args()[0] ?? 8000);
reactor.connectTCP("127.0.0.1", port, new EchoClientFactory());
await reactor.run();
