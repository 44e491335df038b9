// IRC relay: one sender's PRIVMSGs to #bench delivered to 50 receivers, deliveries per
// second, against `tw words`' service (bench/_irc_server.ts) on Deno, Bun and Node and
// Twisted's `twistd words` service (bench/_twisted_words.py) in the same run; one load
// client (bench/_irc_load.ts on node, pinned to the other core) holds all 51 connections
// and keeps the sender at most 500 messages ahead of the slowest receiver (--window=N), and
// checks that every line it counts is the relayed PRIVMSG (a failed check marks the row).
// Run with node: node_modules/.bin/node bench/irc_bench.ts [--quick] [--seconds=5]
//   [--only=deno,bun,node,python]
import process from "node:process";
import { BIN, cpuSeconds, median, startClient, startServer } from "./_proc.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const seconds = Number(args.find((a) => a.startsWith("--seconds="))?.slice(10) ?? (quick ? 2 : 5));
const repeat = quick ? 1 : 3;
const windowSize = Number(args.find((a) => a.startsWith("--window="))?.slice(9) ?? 500);
const only = args.find((a) => a.startsWith("--only="))?.slice(7).split(",");

const subjects = [
  {
    name: "twistd words (CPython)",
    runtime: "python",
    cmd: [BIN.python, "bench/_twisted_words.py"],
  },
  {
    name: "tw words on Deno",
    runtime: "deno",
    cmd: [BIN.deno, "run", "-A", "bench/_irc_server.ts"],
  },
  { name: "tw words on Bun", runtime: "bun", cmd: [BIN.bun, "bench/_irc_server.ts"] },
  { name: "tw words on Node", runtime: "node", cmd: [BIN.node, "bench/_irc_server.ts"] },
].filter((s) => only === undefined || only.includes(s.runtime));

const rows: [string, number, number, boolean][] = [];
for (const subject of subjects) {
  const rates: number[] = [];
  const cpus: number[] = [];
  let verified = true;
  for (let i = 0; i < repeat; i++) {
    const server = await startServer(subject.cmd);
    try {
      const before = cpuSeconds(server.pid);
      const client = startClient([
        BIN.node,
        "bench/_irc_load.ts",
        String(server.port),
        "50",
        String(seconds),
        String(windowSize),
      ]);
      const result = await client.next();
      await client.end();
      cpus.push((cpuSeconds(server.pid) - before) / Number(result.seconds));
      rates.push(Number(result.deliveries) / Number(result.seconds));
      if (result.verified !== true) verified = false;
    } finally {
      await server.stop();
    }
  }
  rows.push([subject.name, median(rates), median(cpus), verified]);
}
const base = rows.find(([name]) => name.startsWith("twistd"))?.[1];
console.log(
  "| server | deliveries/s (median of " + repeat +
    ") | vs twistd words | server CPU | deliveries per server CPU-second |",
);
console.log("|---|---|---|---|---|");
for (const [name, rate, cpu, verified] of rows) {
  const ratio = base ? (rate / base).toFixed(2) + "x" : "-";
  const check = verified ? "" : " (lines NOT as sent)";
  console.log(
    `| ${name}${check} | ${Math.round(rate).toLocaleString("en")} | ${ratio} | ${
      (cpu * 100).toFixed(0)
    }% | ${cpu > 0 ? Math.round(rate / cpu).toLocaleString("en") : "-"} |`,
  );
}
