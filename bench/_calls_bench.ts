// The harness of the calls-per-second benchmarks (amp_bench.ts, pb_bench.ts): a C load
// generator keeps N calls in flight on one connection to each server in turn; each server runs
// alone pinned to core 1 (taskset), the client on core 0. Each cell is the best of N runs
// (default 2, --quick 1), the subjects interleaved; a run where the rest of the machine used
// more than 15% of a core is retried (up to --retries, default 2) and marked * if still
// disturbed. Flags: --quick, --repeat=N, --retries=N, --only=deno,bun,node,python,
// --inflight=N. Prints a markdown table on stdout (progress on stderr); nothing is asserted.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import process from "node:process";
import {
  type Client,
  cpuSeconds,
  flag,
  machineBusySeconds,
  median,
  ROOT,
  type Server,
  startClient,
  startServer,
} from "./_proc.ts";

/** One server measured. */
export interface Subject {
  /** Its row name. */
  name: string;
  /** Which runtime runs it (for --only). */
  runtime: "deno" | "bun" | "node" | "python";
  /** The command that starts it; it prints "READY <port>". */
  cmd: string[];
}

/** What a calls benchmark measures. */
export interface CallsBench {
  /** The table's first line, before the flight and round figures. */
  title: string;
  /** The C load generator's source, relative to the project root. */
  clientSource: string;
  /** The servers, Twisted's with runtime "python". */
  subjects: Subject[];
}

const QUICK = flag("quick") !== undefined;
const ONLY = flag("only")?.split(",");
const REPEAT = Number(flag("repeat") ?? (QUICK ? 1 : 2));
const RETRIES = Number(flag("retries") ?? (QUICK ? 0 : 2));
const INFLIGHT = Number(flag("inflight") ?? 100);
const WARMUP_MS = QUICK ? 500 : 1500;
const ROUND_MS = QUICK ? 500 : 1000;
const ROUNDS = QUICK ? 3 : 7;
/** Above this share of a core used by other processes, a measurement counts as disturbed. */
const NOISE = 0.15;

function buildClient(source: string): string {
  const src = `${ROOT}${source}`;
  const binary = `/tmp/tw_bench_${source.replace(/\W/g, "_")}`;
  const newest = Math.max(statSync(src).mtimeMs, statSync(`${ROOT}bench/_calls_client.h`).mtimeMs);
  if (existsSync(binary) && statSync(binary).mtimeMs >= newest) return binary;
  const r = spawnSync("gcc", ["-O2", "-o", binary, src], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`the benchmark needs gcc to build ${source}`);
  return binary;
}

interface Measured {
  callsPerSecond: number;
  serverCpu: number;
  clientCpu: number;
  otherCpu: number;
}

async function measure(binary: string, subject: Subject): Promise<Measured> {
  const server: Server = await startServer(subject.cmd);
  try {
    const client: Client = startClient([
      binary,
      "calls",
      String(server.port),
      String(INFLIGHT),
      String(WARMUP_MS),
      String(ROUND_MS),
      String(ROUNDS),
    ]);
    await client.next(); // {"phase":"measuring"}
    const cpu0 = cpuSeconds(server.pid);
    const busy0 = machineBusySeconds();
    const t0 = performance.now();
    const result = await client.next();
    const secs = (performance.now() - t0) / 1000;
    const serverCpu = (cpuSeconds(server.pid) - cpu0) / secs;
    const busy = (machineBusySeconds() - busy0) / secs;
    await client.end();
    const clientCpu = result.clientCpu as number;
    return {
      callsPerSecond: median(result.perRound as number[]),
      serverCpu,
      clientCpu,
      otherCpu: Math.max(0, busy - serverCpu - clientCpu),
    };
  } finally {
    await server.stop();
  }
}

const best = (a: Measured | undefined, b: Measured): Measured => {
  if (!a) return b;
  const aClean = a.otherCpu <= NOISE;
  const bClean = b.otherCpu <= NOISE;
  if (aClean !== bClean) return aClean ? a : b;
  return a.callsPerSecond >= b.callsPerSecond ? a : b;
};

/** Runs the benchmark and prints its table. */
export async function runCallsBench(bench: CallsBench): Promise<void> {
  const binary = buildClient(bench.clientSource);
  const SUBJECTS = bench.subjects.filter((s) => !ONLY || ONLY.includes(s.runtime));
  const results = new Map<Subject, Measured>();
  for (let run = 0; run < REPEAT; run++) {
    for (const subject of SUBJECTS) {
      process.stderr.write(`run ${run + 1}/${REPEAT}: ${subject.name}\n`);
      let kept = best(results.get(subject), await measure(binary, subject));
      for (let i = 0; i < RETRIES && kept.otherCpu > NOISE; i++) {
        process.stderr.write(`  disturbed (other ${Math.round(kept.otherCpu * 100)}%): again\n`);
        kept = best(kept, await measure(binary, subject));
      }
      results.set(subject, kept);
    }
  }
  const twisted = [...results].find(([s]) => s.runtime === "python")?.[1];
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  const lines = [
    `${bench.title}, one connection, ${INFLIGHT} calls in flight (median of ${ROUNDS} ` +
    `rounds of ${ROUND_MS} ms, best of ${REPEAT}); load generator: ${bench.clientSource}.`,
    "",
    "| server | calls/s | vs Twisted | server CPU | client CPU | other CPU |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const [subject, m] of results) {
    const ratio = twisted ? `${(m.callsPerSecond / twisted.callsPerSecond).toFixed(2)}x` : "-";
    const mark = m.otherCpu > NOISE ? " *" : "";
    lines.push(
      `| ${subject.name}${mark} | ${Math.round(m.callsPerSecond).toLocaleString("en-US")} | ` +
        `${ratio} | ${pct(m.serverCpu)} | ${pct(m.clientCpu)} | ${pct(m.otherCpu)} |`,
    );
  }
  if ([...results.values()].some((m) => m.otherCpu > NOISE)) {
    lines.push("", "\\* disturbed: other processes used more than 15% of a core meanwhile.");
  }
  process.stdout.write(lines.join("\n") + "\n");
}
