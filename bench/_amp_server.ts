// The AMP server for amp_bench.ts: one process, one listening port on 127.0.0.1,
// answering `Sum(a, b) -> total` with `@tw/core/protocols/amp` on the runtime that runs it.
// Usage: <runtime> bench/_amp_server.ts
// Prints `READY <port>` on stdout once listening; runs until killed.
import { Factory, reactor } from "../mod.ts";
import * as amp from "../src/protocols/amp.ts";

class Sum extends amp.Command {
  static override arguments = { a: new amp.Integer(), b: new amp.Integer() };
  static override response = { total: new amp.Integer() };
}

class Adder extends amp.AMP {}
Sum.responder(Adder, ({ a, b }) => ({ total: a + b }));

const factory = Factory.forProtocol(Adder);
factory.noisy = false;
const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
port.whenListening().addCallback(() => {
  const { port: number } = port.getHost() as { port: number };
  reactor.runtime.writeStdout(new TextEncoder().encode(`READY ${number}\n`));
});
void reactor.run();
