// Memory per idle connection, and what stays after they close: our echo server
// (reactor.listenTCP + a Protocol) against each runtime's raw API in the same
// run, and Twisted. For each server: RSS at rest, then ROUNDS times: open N
// idle connections (a node:net client), RSS, close them, wait, RSS again (the
// plateau). Reports KiB per connection (first round) and the plateau after the
// last round above the rest figure.
// Run with node: node_modules/.bin/node bench/idle_bench.ts [--conns=10000] [--rounds=4]
//   [--only=deno,bun,node,python,raw,tw]
import process from "node:process";
import { BIN, memory, sleep, startClient, startServer } from "./_proc.ts";

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined =>
  argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const CONNS = Number(flag("conns") ?? 10_000);
const ROUNDS = Number(flag("rounds") ?? 4);
const ONLY = flag("only")?.split(",");

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
  restMiB: number;
  perConnKiB: number[];
  plateauMiB: number[];
}

async function measure(subject: Subject): Promise<Result> {
  const server = await startServer(subject.cmd, { TW_BENCH_GC_MS: "500" });
  try {
    await sleep(1000);
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
    return { restMiB: rest / 1024, perConnKiB, plateauMiB };
  } finally {
    await server.stop();
  }
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
    `(\`node bench/idle_bench.ts --conns=${CONNS} --rounds=${ROUNDS}\`).\n`,
);
console.log(
  "| server | RSS at rest (MiB) | KiB per idle connection (first round; all rounds) | vs raw | " +
    "RSS above rest after closing (MiB, each round) |",
);
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const [subject, r] of rows) {
  const raw = rows.find(([s]) => s.runtime === subject.runtime && s.kind === "raw")?.[1];
  const ratio = subject.kind === "tw" && raw ? fmt(r.perConnKiB[0] / raw.perConnKiB[0], 2) : "";
  console.log(
    `| ${subject.name} | ${fmt(r.restMiB)} | ${fmt(r.perConnKiB[0])} (${
      r.perConnKiB.map((k) => fmt(k)).join(", ")
    }) | ${ratio} | ${r.plateauMiB.map((m) => fmt(m)).join(", ")} |`,
  );
}
