// The Perspective Broker server for pb_bench.ts: one process, one listening port on
// 127.0.0.1, whose root answers `add(a, b)` with `@tw/core/spread/pb` on the runtime that
// runs it. Usage: <runtime> bench/_pb_server.ts
// Prints `READY <port>` on stdout once listening; runs until killed.
import { reactor } from "../mod.ts";
import { PBServerFactory, Root } from "../src/spread/pb.ts";

class Adder extends Root {
  remote_add(a: number, b: number): number {
    return a + b;
  }
}

const factory = new PBServerFactory(new Adder());
factory.noisy = false;
const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
port.whenListening().addCallback(() => {
  const { port: number } = port.getHost() as { port: number };
  reactor.runtime.writeStdout(new TextEncoder().encode(`READY ${number}\n`));
});
void reactor.run();
