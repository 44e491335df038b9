// An echo server: every byte a client sends comes back.
// Run: deno run -A examples/echo_server.ts [port] | bun examples/echo_server.ts | node examples/echo_server.ts
import { Factory, Protocol, reactor } from "../mod.ts";

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

const port = Number(reactor.runtime.args()[0] ?? 8000);
const listening = reactor.listenTCP(port, Factory.forProtocol(Echo), { interface: "127.0.0.1" });
listening.whenListening().addCallback(() => {
  console.log(`Echo server on ${listening.getHost()} (${reactor.runtime.name}); Ctrl-C stops it`);
});
await reactor.run();
