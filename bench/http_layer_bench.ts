// The HTTP layer's own cost per request, without sockets: a `Site` channel on the
// test kit's StringTransport, fed the same keep-alive GET as wrk sends, answered by
// the hello-world resource of web_bench.ts. Reports nanoseconds per request.
// Run with any runtime: deno run -A bench/http_layer_bench.ts | bun ... | node ...
// An A/B of a change: add --compare=OTHER_CHECKOUT [--runs=N] (both trees run in turn).
// The runtime's settings (small-buffer pooling), as a server would have them.
import "../runtimes/select.ts";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { flag, median } from "./_proc.ts";
import { IPv4Address } from "../src/internet/address.ts";
import { Clock } from "../src/internet/task.ts";
import { StringTransport } from "../src/testing/mod.ts";
import { Resource, Site } from "../src/web/mod.ts";
import type { Request } from "../src/web/mod.ts";

class Hello extends Resource {
  override isLeaf = true;
  render_GET(request: Request): string {
    request.setHeader("content-type", "text/plain; charset=utf-8");
    return "Hello, world!";
  }
}

const REQUEST = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
// Each request in its own buffer, as each arrives in its own read (made
// beforehand: allocating them is the runtime's cost, not the HTTP layer's).
const READS = Array.from({ length: 1024 }, () => REQUEST.slice());
const site = new Site(new Hello(), { clock: new Clock() });
const channel = site.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 40000))!;
// Keeps nothing: the cost measured is the HTTP layer's, not the test kit's buffer.
class NullTransport extends StringTransport {
  bytesWritten = 0;
  override write(data: Uint8Array): void {
    this.bytesWritten += data.length;
  }
}
const transport = new NullTransport();
channel.makeConnection(transport);

function round(n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    channel.dataReceived(READS[i & 1023]);
  }
  return (performance.now() - t0) * 1e6 / n;
}

/** Three rounds of 500,000 requests after a warm-up; prints the median and each round. */
function measure(): void {
  round(200_000); // warm-up
  const perRequest = transport.bytesWritten / 200_000;
  if (perRequest < 100) throw new Error(`the responses are missing (${perRequest} bytes each)`);
  const runs = [round(500_000), round(500_000), round(500_000)].sort((a, b) => a - b);
  console.log(
    `HTTP layer: ${runs[1].toFixed(0)} ns per request (median of 3; runs ${
      runs.map((r) => r.toFixed(0)).join(", ")
    })`,
  );
}

/**
 * `--compare=DIR [--runs=N]`: this tree's bench and DIR's (another checkout),
 * each run N times (default 5) in turn in fresh processes of this runtime;
 * prints each side's median of the per-run medians and its fastest run.
 */
function compare(dir: string, runs: number): void {
  const g = globalThis as { Deno?: { execPath(): string } };
  const command = (file: string): string[] =>
    g.Deno !== undefined ? [g.Deno.execPath(), "run", "-A", file] : [process.execPath, file];
  const sides = [
    { name: "this tree", file: new URL(import.meta.url).pathname, medians: [] as number[] },
    { name: dir, file: `${dir}/bench/http_layer_bench.ts`, medians: [] as number[] },
  ];
  for (let i = 0; i < runs; i++) {
    for (const side of sides) {
      const [cmd, ...args] = command(side.file);
      const out = spawnSync(cmd, args, { encoding: "utf8" });
      const m = /HTTP layer: (\d+) ns/.exec(out.stdout ?? "");
      if (m === null) throw new Error(`${side.name}: ${out.stderr || out.stdout}`);
      side.medians.push(Number(m[1]));
    }
  }
  for (const side of sides) {
    console.log(
      `${side.name}: median ${median(side.medians)} ns per request, ` +
        `fastest ${Math.min(...side.medians)} (${runs} runs: ${side.medians.join(", ")})`,
    );
  }
}

const other = flag("compare");
if (other !== undefined) compare(other, Number(flag("runs") ?? 5));
else measure();
transport.loseConnection();
