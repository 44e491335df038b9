// Web: wrk against a hello-world resource served by our `Site` on each runtime, vs the
// runtime's native server (Deno.serve, Bun.serve, node:http), vs twisted.web on CPython,
// and a Site through the fetch bridge under Deno.serve / Bun.serve (when src/web/fetch.ts exists).
// Run with node: node_modules/.bin/node bench/web_bench.ts [--quick] [--only=deno,bun,...]
//   [--repeat=N] [--retries=N] [--duration=5s] [--connections=50] [--compare=DIR]
// --compare=DIR adds, next to each of our servers, the same server from another checkout
// (e.g. `git archive HEAD | tar -x -C DIR`), interleaved in the same run: an A/B of a change.
// Needs wrk (Debian package `wrk`). Each server runs alone, pinned to core 1; wrk -t1 on core 0.
// Each cell is the best of N interleaved runs (default 2, --quick 1): other processes on a
// shared machine only ever slow a run down; the "other" CPU column shows how much they took.
// The median of the N runs is printed beside it (use --repeat=5 or more for a median).
// A run where they took more than 15% of a core is retried (up to --retries, default 2) and
// loses to any undisturbed run; cells still disturbed are marked with *.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import {
  BIN,
  CLIENT_CORE,
  cpuSeconds,
  flag,
  machineBusySeconds,
  median,
  pinned,
  ROOT,
  type Server,
  startServer,
} from "./_proc.ts";

const QUICK = flag("quick") !== undefined;
const ONLY = flag("only")?.split(",");
const REPEAT = Number(flag("repeat") ?? (QUICK ? 1 : 2));
const DURATION = flag("duration") ?? (QUICK ? "2s" : "5s");
const CONNECTIONS = flag("connections") ?? "50";
const RETRIES = Number(flag("retries") ?? (QUICK ? 0 : 2));
const COMPARE = flag("compare");
/** Above this share of a core used by other processes, a measurement counts as disturbed. */
const NOISE = 0.15;

if (spawnSync("wrk", ["--version"]).error) {
  process.stderr.write("wrk not found: apt-get install wrk\n");
  process.exit(2);
}
const HAS_FETCH_BRIDGE = existsSync(`${ROOT}src/web/fetch.ts`);

/** One server under test. */
interface Subject {
  name: string;
  runtime: "deno" | "bun" | "node" | "python";
  kind: "native" | "tw" | "tw-node" | "fetch" | "twisted";
  cmd: string[];
  env?: Record<string, string>;
}

const ts = (rt: "deno" | "bun" | "node", impl: string): string[] =>
  rt === "deno"
    ? [BIN.deno, "run", "-A", "bench/_http_server.ts", impl]
    : [BIN[rt], "bench/_http_server.ts", impl];

const ALL_SUBJECTS: Subject[] = [
  { name: "Deno.serve (native)", runtime: "deno", kind: "native", cmd: ts("deno", "native") },
  { name: "tw Site on Deno", runtime: "deno", kind: "tw", cmd: ts("deno", "tw") },
  {
    name: "tw Site via fetch bridge in Deno.serve",
    runtime: "deno",
    kind: "fetch",
    cmd: ts("deno", "fetch"),
  },
  { name: "Bun.serve (native)", runtime: "bun", kind: "native", cmd: ts("bun", "native") },
  { name: "tw Site on Bun", runtime: "bun", kind: "tw", cmd: ts("bun", "tw") },
  {
    name: "tw Site via fetch bridge in Bun.serve",
    runtime: "bun",
    kind: "fetch",
    cmd: ts("bun", "fetch"),
  },
  { name: "node:http (native)", runtime: "node", kind: "native", cmd: ts("node", "native") },
  { name: "tw Site on Node", runtime: "node", kind: "tw", cmd: ts("node", "tw") },
  {
    name: "twisted.web 22 (CPython)",
    runtime: "python",
    kind: "twisted",
    cmd: [BIN.python, "bench/_twisted_web.py"],
  },
];
const SUBJECTS = ALL_SUBJECTS.filter((s) =>
  (!ONLY || ONLY.includes(s.runtime) || ONLY.includes(s.kind)) &&
  (s.kind !== "fetch" || HAS_FETCH_BRIDGE)
).flatMap((s) =>
  COMPARE && (s.kind === "tw" || s.kind === "fetch")
    ? [s, {
      ...s,
      name: `${s.name} (${COMPARE})`,
      cmd: s.cmd.map((a) => a === "bench/_http_server.ts" ? `${COMPARE}/bench/_http_server.ts` : a),
    }]
    : [s]
);

interface Result {
  rps: number;
  latencyMs: string;
  errors: string;
  serverCpu: number;
  wrkCpu: number;
  otherCpu: number;
}
interface Row {
  subject: Subject;
  best?: Result;
  /** Each round's result (the undisturbed one, or the best of its retries). */
  rounds: Result[];
  error?: string;
}

/** Runs wrk pinned to the client core; returns its stdout and CPU use (sampled from /proc). */
function wrk(port: number, duration: string): Promise<{ out: string; cpu: number }> {
  const cmd = pinned(CLIENT_CORE, [
    "wrk",
    "-t1",
    `-c${CONNECTIONS}`,
    `-d${duration}`,
    "--latency",
    `http://127.0.0.1:${port}/`,
  ]);
  return new Promise((resolve, reject) => {
    const p = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    // The last sample before exit stands for wrk's CPU time (within 100 ms).
    const t0 = performance.now();
    let cpu = 0;
    let at = t0;
    const poll = setInterval(() => {
      try {
        cpu = cpuSeconds(p.pid!);
        at = performance.now();
      } catch { /* exited */ }
    }, 100);
    p.on("exit", (code) => {
      clearInterval(poll);
      const share = cpu / Math.max(0.001, (at - t0) / 1000);
      code === 0 ? resolve({ out, cpu: share }) : reject(new Error(`wrk: ${out}`));
    });
  });
}

async function check(port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  const text = await res.text();
  if (res.status !== 200 || text !== "Hello, world!") {
    throw new Error(`bad response: ${res.status} ${JSON.stringify(text.slice(0, 80))}`);
  }
}

async function measure(server: Server): Promise<Result> {
  await check(server.port);
  await wrk(server.port, "1s"); // warm-up (JIT)
  const cpu0 = cpuSeconds(server.pid);
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  const { out, cpu: wrkCpu } = await wrk(server.port, DURATION);
  const secs = (performance.now() - t0) / 1000;
  const serverCpu = (cpuSeconds(server.pid) - cpu0) / secs;
  const busy = (machineBusySeconds() - busy0) / secs;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const latencyMs = /Latency\s+(\S+)/.exec(out)?.[1] ?? "?";
  const errs: string[] = [];
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) errs.push(`${non2xx[1]} non-2xx`);
  const sock = /Socket errors: (.*)/.exec(out);
  if (sock) errs.push(sock[1].trim());
  return {
    rps,
    latencyMs,
    errors: errs.join("; "),
    serverCpu,
    wrkCpu,
    otherCpu: Math.max(0, busy - serverCpu - wrkCpu),
  };
}

/** An undisturbed result beats a disturbed one; then the higher rate wins. */
function better(a: Result | undefined, b: Result): Result {
  if (!a) return b;
  const aClean = a.otherCpu <= NOISE;
  const bClean = b.otherCpu <= NOISE;
  if (aClean !== bClean) return aClean ? a : b;
  return a.rps >= b.rps ? a : b;
}

const rows: Row[] = SUBJECTS.map((subject) => ({ subject, rounds: [] }));
for (let rep = 1; rep <= REPEAT; rep++) {
  for (const row of rows) {
    if (row.error) continue;
    process.stderr.write(`[${rep}/${REPEAT}] ${row.subject.name} ...\n`);
    let server: Server | undefined;
    try {
      server = await startServer(row.subject.cmd, row.subject.env);
      let round: Result | undefined;
      for (let i = 0; i <= RETRIES; i++) {
        const r = await measure(server);
        round = better(round, r);
        if (round.otherCpu <= NOISE) break;
        process.stderr.write(`  disturbed (other ${Math.round(r.otherCpu * 100)}%): again\n`);
      }
      row.rounds.push(round!);
      row.best = better(row.best, round!);
    } catch (e) {
      row.error = String(e instanceof Error ? e.message : e).split("\n").slice(0, 3).join(" ");
    } finally {
      await server?.stop();
    }
  }
}
for (const row of rows) {
  process.stderr.write(`${JSON.stringify({ ...row, subject: row.subject.name })}\n`);
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n) ? "-" : n.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
const nativeOf = (r: Row): Row | undefined =>
  rows.find((x) => x.subject.runtime === r.subject.runtime && x.subject.kind === "native");
const twisted = rows.find((x) => x.subject.kind === "twisted");
const medianRps = (r: Row | undefined): number | undefined =>
  r === undefined || r.rounds.length === 0 ? undefined : median(r.rounds.map((x) => x.rps));
// Each round's ratio to the native server's round of the same repetition, then their median:
// the machine's speed drifts between repetitions, and pairing rounds cancels that drift.
const pairedRatio = (r: Row, native: Row | undefined): number | undefined => {
  if (native === undefined || r.rounds.length !== native.rounds.length) return undefined;
  return median(r.rounds.map((x, i) => x.rps / native.rounds[i].rps));
};
const medianCpu = (r: Row): number =>
  median(r.rounds.map((x) => x.rps > 0 ? (x.serverCpu * 1e6) / x.rps : NaN));

const lines = [
  `wrk -t1 -c${CONNECTIONS} -d${DURATION} http://127.0.0.1:PORT/ ("Hello, world!", text/plain), server pinned` +
  ` to core 1, wrk on core 0. Best of ${REPEAT} interleaved runs, and their median` +
  ` (the ratio columns divide the same statistic of both servers; "per round" is the median` +
  ` of each round's ratio to the native server's round of the same repetition).`,
  `CPU = server / wrk / rest of the machine, in % of one core; server CPU per request in microseconds;` +
  ` * = disturbed (rest of the machine above ${NOISE * 100}% of a core after ${RETRIES} retries).` +
  (HAS_FETCH_BRIDGE ? "" : " (src/web/fetch.ts absent: no fetch bridge rows.)"),
  "",
  "| server | requests/s | vs native | vs twisted.web | latency (avg) | CPU | us per request | median requests/s | vs native | per round | us per request | errors |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
];
for (const r of rows) {
  if (r.error || !r.best) {
    lines.push(`| ${r.subject.name} | error: ${r.error ?? "?"} | | | | | | | | | | |`);
    continue;
  }
  const native = nativeOf(r)?.best?.rps;
  const vsNative = native && r.subject.kind !== "native" ? fmt(r.best.rps / native, 2) : "";
  const tw = twisted?.best?.rps;
  const vsTwisted = tw && r.subject.kind !== "twisted" ? fmt(r.best.rps / tw, 1) : "";
  const med = medianRps(r)!;
  const nativeMed = medianRps(nativeOf(r));
  const vsNativeMed = nativeMed && r.subject.kind !== "native" ? fmt(med / nativeMed, 2) : "";
  const perRound = r.subject.kind !== "native" ? fmt(pairedRatio(r, nativeOf(r)), 2) : "";
  lines.push(
    `| ${r.subject.name} | ${
      fmt(r.best.rps)
    } | ${vsNative} | ${vsTwisted} | ${r.best.latencyMs} | ${fmt(r.best.serverCpu * 100)} / ${
      fmt(r.best.wrkCpu * 100)
    } / ${fmt(r.best.otherCpu * 100)} | ${
      r.best.rps > 0 ? fmt((r.best.serverCpu * 1e6) / r.best.rps, 1) : "-"
    } | ${fmt(med)} | ${vsNativeMed} | ${perRound} | ${fmt(medianCpu(r), 1)} | ${r.best.errors} |`,
  );
}
process.stdout.write(lines.join("\n") + "\n");
