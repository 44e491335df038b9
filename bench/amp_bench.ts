// AMP: `Sum(a, b) -> total` calls per second over one connection with 100 calls in flight,
// against our AMP server (bench/_amp_server.ts) on Deno, Bun and Node, and Twisted's own AMP
// server (bench/_twisted_amp.py) in the same run.
// Run with node: node_modules/.bin/node bench/amp_bench.ts [--quick] [--repeat=N]
//   [--only=deno,bun,node,python] [--inflight=100]
// The load generator is bench/_amp_client.c (built with gcc -O2 into /tmp): one connection,
// a new call sent for each answer, every answer's total checked. See bench/_calls_bench.ts
// for how runs are kept apart and judged.
import { BIN } from "./_proc.ts";
import { runCallsBench } from "./_calls_bench.ts";

await runCallsBench({
  title: "AMP `Sum` calls/s",
  clientSource: "bench/_amp_client.c",
  subjects: [
    {
      name: "Twisted AMP (CPython)",
      runtime: "python",
      cmd: [BIN.python, "bench/_twisted_amp.py"],
    },
    {
      name: "tw AMP on Deno",
      runtime: "deno",
      cmd: [BIN.deno, "run", "-A", "bench/_amp_server.ts"],
    },
    { name: "tw AMP on Bun", runtime: "bun", cmd: [BIN.bun, "bench/_amp_server.ts"] },
    { name: "tw AMP on Node", runtime: "node", cmd: [BIN.node, "bench/_amp_server.ts"] },
  ],
});
