// A UDP echo server: every datagram goes back to its sender.
// Run: deno run -A examples/udp_echo.ts [port] | bun examples/udp_echo.ts | node examples/udp_echo.ts
// Try it: echo hi | nc -u -w1 127.0.0.1 8002
import { type DatagramAddress, DatagramProtocol, reactor } from "../mod.ts";

class UDPEcho extends DatagramProtocol {
  override datagramReceived(data: Uint8Array, addr: DatagramAddress): void {
    this.transport!.write(data, addr);
  }
}

const port = Number(reactor.runtime.args()[0] ?? 8002);
const listening = reactor.listenUDP(port, new UDPEcho(), { interface: "127.0.0.1" });
listening.whenListening().addCallback(() => {
  console.log(`UDP echo server on ${listening.getHost()} (${reactor.runtime.name})`);
});
await reactor.run();
