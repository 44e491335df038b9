// Memory per idle connection, and what stays after they close: our echo server
// (reactor.listenTCP + a Protocol) against each runtime's raw API in the same
// run, and Twisted. For each server: RSS at rest, then ROUNDS times: open N
// idle connections (a node:net client), RSS, close them, wait, RSS again (the
// plateau). Reports KiB per connection (each round) and the plateaus above the
// rest figure. With --warm, a warm-up comes first (100 connections exchanging
// data for a second, then closed) and the rest figure is taken after it: that
// keeps a one-time cost out of the per-connection figure, the code a JIT
// compiles for the connection path (on Bun our echo server grows 5 MB in its
// first 40 connections and not after; with BUN_JSC_useJIT=false it does not).
// Run with node: node_modules/.bin/node bench/idle_bench.ts [--conns=10000] [--rounds=4]
//   [--warm] [--only=deno,bun,node,python,raw,tw]
import process from "node:process";
import { BIN, flag, memory, sleep, startClient, startServer } from "./_proc.ts";

const argv = process.argv.slice(2);
const CONNS = Number(flag("conns") ?? 10_000);
const ROUNDS = Number(flag("rounds") ?? 4);
const ONLY = flag("only")?.split(",");
const WARM = argv.includes("--warm");

interface Subject {
  name: string;
  runtime: "deno" | "bun" | "node" | "python";
  kind: "raw" | "tw" | "twisted";
  cmd: string[];
}

// Each server collects its garbage every 500 ms (see bench/_echo_server.ts), so the
// figures are what idle connections keep, not what their setup left to collect.
const ts = (rt: "deno" | "bun" | "node", impl: string): string[] => {
  const script = ["bench/_echo_server.ts", impl, "echo"];
  if (rt === "deno") return [BIN.deno, "run", "-A", "--v8-flags=--expose-gc", ...script];
  return rt === "node" ? [BIN.node, "--expose-gc", ...script] : [BIN.bun, ...script];
};

const SUBJECTS: Subject[] = ([
  { name: "Deno.listen (raw)", runtime: "deno", kind: "raw", cmd: ts("deno", "raw") },
  { name: "tw on Deno", runtime: "deno", kind: "tw", cmd: ts("deno", "tw") },
  { name: "Bun.listen (raw)", runtime: "bun", kind: "raw", cmd: ts("bun", "raw") },
  { name: "tw on Bun", runtime: "bun", kind: "tw", cmd: ts("bun", "tw") },
  { name: "node:net (raw)", runtime: "node", kind: "raw", cmd: ts("node", "raw") },
  { name: "tw on Node", runtime: "node", kind: "tw", cmd: ts("node", "tw") },
  {
    name: "Twisted (CPython)",
    runtime: "python",
    kind: "twisted",
    cmd: [BIN.python, "bench/_twisted_echo.py", "echo"],
  },
] as Subject[]).filter((s) => !ONLY || ONLY.includes(s.runtime) || ONLY.includes(s.kind));

interface Result {
  coldMiB: number;
  restMiB: number;
  perConnKiB: number[];
  plateauMiB: number[];
}

async function measure(subject: Subject): Promise<Result> {
  const server = await startServer(subject.cmd, { TW_BENCH_GC_MS: "500" });
  try {
    await sleep(1000);
    const cold = memory(server.pid).rss;
    if (WARM) {
      await warmUp(server.port);
      await sleep(2500);
    }
    const rest = memory(server.pid).rss;
    const perConnKiB: number[] = [];
    const plateauMiB: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = memory(server.pid).rss;
      const client = startClient([
        BIN.node,
        "bench/_echo_client.ts",
        "idle",
        String(server.port),
        String(CONNS),
      ]);
      await client.next();
      await sleep(1500);
      perConnKiB.push((memory(server.pid).rss - before) / CONNS);
      await client.end();
      await sleep(2500);
      plateauMiB.push((memory(server.pid).rss - rest) / 1024);
    }
    return { coldMiB: cold / 1024, restMiB: rest / 1024, perConnKiB, plateauMiB };
  } finally {
    await server.stop();
  }
}

/** 100 connections trading 64-byte messages for about a second, then closed. */
async function warmUp(port: number): Promise<void> {
  const client = startClient([
    BIN.node,
    "bench/_echo_client.ts",
    "pingpong",
    String(port),
    "100",
    "300",
    "700",
    "1",
  ]);
  await client.next(); // measuring
  await client.next(); // the result
  await client.end();
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);
const rows: [Subject, Result][] = [];
for (const subject of SUBJECTS) {
  process.stderr.write(`[idle] ${subject.name} ...\n`);
  try {
    rows.push([subject, await measure(subject)]);
  } catch (error) {
    process.stderr.write(`  failed: ${error}\n`);
  }
}

console.log(
  `Memory per idle connection: ${CONNS} idle echo connections, ${ROUNDS} rounds of open / close ` +
    `(\`node bench/idle_bench.ts --conns=${CONNS} --rounds=${ROUNDS}${WARM ? " --warm" : ""}\`).\n`,
);
console.log(
  `| server | RSS at rest${WARM ? ", cold -> warmed up" : ""} (MiB) | ` +
    "KiB per idle connection (first round; all rounds) | vs raw | " +
    "RSS above rest after closing (MiB, each round) |",
);
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const [subject, r] of rows) {
  const raw = rows.find(([s]) => s.runtime === subject.runtime && s.kind === "raw")?.[1];
  const ratio = subject.kind === "tw" && raw ? fmt(r.perConnKiB[0] / raw.perConnKiB[0], 2) : "";
  console.log(
    `| ${subject.name} | ${WARM ? `${fmt(r.coldMiB)} -> ` : ""}${fmt(r.restMiB)} | ${
      fmt(r.perConnKiB[0])
    } (${r.perConnKiB.map((k) => fmt(k)).join(", ")}) | ${ratio} | ${
      r.plateauMiB.map((m) => fmt(m)).join(", ")
    } |`,
  );
}
