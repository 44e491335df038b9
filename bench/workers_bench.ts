// `tw web --workers 2` against `tw web --workers 1` on each runtime: wrk -t1 -c50 -d5s on a
// 4 KiB static file, the server free to use both cores (the workers share the port with
// SO_REUSEPORT) while wrk runs beside it, as on the 2-core machine. Prints
// requests/s per runtime and the ratio, best of the rounds.
// Run with node: node_modules/.bin/node bench/workers_bench.ts [--rounds=N] [--only=deno,bun,node]
// Needs wrk (Debian wrk).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { BIN, flag, ROOT } from "./_proc.ts";

const ROUNDS = Number(flag("rounds") ?? 2);
const RUNTIMES = (flag("only") ?? "deno,bun,node").split(",") as (keyof typeof BIN)[];

if (spawnSync("wrk", ["--version"]).error !== undefined) {
  process.stderr.write("wrk not found: apt-get install wrk\n");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "tw-workers-bench-"));
writeFileSync(join(dir, "file.txt"), "x".repeat(4096));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function ready(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/file.txt`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer on port ${port}`);
}

function wrk(port: number): number {
  const run = spawnSync("wrk", ["-t1", "-c50", "-d5s", `http://127.0.0.1:${port}/file.txt`], {
    encoding: "utf8",
  });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout);
  if (!m) throw new Error(`wrk: ${run.stdout}${run.stderr}`);
  return Number(m[1]);
}

async function measure(runtime: keyof typeof BIN, workers: number): Promise<number> {
  const port = await freePort();
  const script = join(ROOT, "runtimes/cli.ts");
  const tw = ["web", "--workers", String(workers), "--path", dir];
  tw.push("--listen", `tcp:${port}:interface=127.0.0.1`, "--logfile", "/dev/null");
  const args = runtime === "deno" ? ["run", "-A", script, ...tw] : [script, ...tw];
  const proc = spawn(BIN[runtime], args, { stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  try {
    await ready(port);
    wrk(port); // warm-up
    return wrk(port);
  } finally {
    proc.kill("SIGTERM");
    await exited;
  }
}

const rows: string[] = [];
try {
  for (const runtime of RUNTIMES) {
    const best = { 1: 0, 2: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      for (const workers of [1, 2] as const) {
        best[workers] = Math.max(best[workers], await measure(runtime, workers));
      }
    }
    rows.push(
      `| tw web on ${runtime} | ${best[1].toFixed(0)} | ${best[2].toFixed(0)} | ${
        (best[2] / best[1]).toFixed(2)
      } |`,
    );
    console.error(rows.at(-1));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log("| server | --workers 1 (req/s) | --workers 2 (req/s) | ratio |");
console.log("|---|---:|---:|---:|");
for (const row of rows) console.log(row);
