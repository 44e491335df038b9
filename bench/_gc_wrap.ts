// Runs the `tw` command (runtimes/cli.ts) with a full garbage collection every
// TW_BENCH_GC_MS milliseconds (default 500), so a memory benchmark sees what the
// server keeps rather than what setting its connections up left for the collector
// (as bench/_echo_server.ts does for idle_bench.ts).
// Usage: node --expose-gc bench/_gc_wrap.ts <tw arguments>
//        deno run -A --v8-flags=--expose-gc bench/_gc_wrap.ts <tw arguments>
//        bun bench/_gc_wrap.ts <tw arguments>
import { main } from "../runtimes/cli.ts";
import { reactor } from "../mod.ts";

const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
const fullGC = g.gc ?? (g.Bun ? () => g.Bun!.gc(true) : undefined);
if (fullGC === undefined) {
  throw new Error("no gc(): run node with --expose-gc, deno with --v8-flags=--expose-gc");
}
const every = Number(reactor.runtime.env("TW_BENCH_GC_MS") ?? 500);
setInterval(fullGC, every);
await main(reactor.runtime.args());
