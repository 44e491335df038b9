// Perspective Broker: `root.callRemote("add", a, b)` calls per second over one connection
// with 100 calls in flight, against our PB server (bench/_pb_server.ts) on Deno, Bun and
// Node, and Twisted's own (bench/_twisted_pb.py) in the same run.
// Run with node: node_modules/.bin/node bench/pb_bench.ts [--quick] [--repeat=N]
//   [--only=deno,bun,node,python] [--inflight=100]
// The load generator is bench/_pb_client.c (built with gcc -O2 into /tmp): one connection in
// Banana's pb dialect, a new call sent for each answer, every answer checked. See
// bench/_calls_bench.ts for how runs are kept apart and judged. No other implementation of
// PB exists to compare with: Twisted is the reference.
import { BIN } from "./_proc.ts";
import { runCallsBench } from "./_calls_bench.ts";

await runCallsBench({
  title: "PB `add` calls/s",
  clientSource: "bench/_pb_client.c",
  subjects: [
    { name: "Twisted PB (CPython)", runtime: "python", cmd: [BIN.python, "bench/_twisted_pb.py"] },
    { name: "tw PB on Deno", runtime: "deno", cmd: [BIN.deno, "run", "-A", "bench/_pb_server.ts"] },
    { name: "tw PB on Bun", runtime: "bun", cmd: [BIN.bun, "bench/_pb_server.ts"] },
    { name: "tw PB on Node", runtime: "node", cmd: [BIN.node, "bench/_pb_server.ts"] },
  ],
});
