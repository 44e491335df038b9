// HTTP/2: h2load against a hello-world resource over TLS (h2 by ALPN), our `Site` on each
// runtime vs node:http2 (the native HTTP/2 server of Node, also run under Deno and Bun) vs
// twisted.web's HTTP/2 on CPython (Debian python3-h2 + python3-priority); also our Site
// over cleartext h2c by prior knowledge. Requests/s and ratios, from one run.
// Run with node: node_modules/.bin/node bench/h2_bench.ts [--quick] [--only=deno,bun,...]
//   [--duration=5] [--connections=50] [--streams=10]
// Needs h2load (Debian package `nghttp2-client`). Each server runs alone, pinned to core 1;
// h2load -t1 on core 0. Best of --repeat runs (default 2, --quick 1).
import { spawn, spawnSync } from "node:child_process";
import process from "node:process";
import { BIN, CLIENT_CORE, cpuSeconds, flag, pinned, type Server, startServer } from "./_proc.ts";

const QUICK = flag("quick") !== undefined;
const ONLY = flag("only")?.split(",");
const REPEAT = Number(flag("repeat") ?? (QUICK ? 1 : 2));
const DURATION = Number(flag("duration") ?? (QUICK ? 2 : 5));
const CONNECTIONS = flag("connections") ?? "50";
const STREAMS = flag("streams") ?? "10";

if (spawnSync("h2load", ["--version"]).error) {
  process.stderr.write("h2load not found: apt-get install nghttp2-client\n");
  process.exit(2);
}

interface Subject {
  name: string;
  runtime: "deno" | "bun" | "node" | "python";
  kind: "tw" | "tw-h2c" | "native" | "serve" | "twisted";
  cmd: string[];
  tls: boolean;
}

const ts = (rt: "deno" | "bun" | "node", impl: string): string[] =>
  rt === "deno"
    ? [BIN.deno, "run", "-A", "bench/_h2_server.ts", impl]
    : [BIN[rt], "bench/_h2_server.ts", impl];

const ALL: Subject[] = [];
for (const rt of ["deno", "bun", "node"] as const) {
  const label = rt === "deno" ? "Deno" : rt === "bun" ? "Bun" : "Node";
  ALL.push({
    name: `tw Site on ${label} (TLS)`,
    runtime: rt,
    kind: "tw",
    cmd: ts(rt, "tw"),
    tls: true,
  });
  ALL.push({
    name: `tw Site on ${label} (h2c)`,
    runtime: rt,
    kind: "tw-h2c",
    cmd: ts(rt, "tw-h2c"),
    tls: false,
  });
  ALL.push({
    name: `node:http2 on ${label} (TLS)`,
    runtime: rt,
    kind: "native",
    cmd: ts(rt, "native"),
    tls: true,
  });
  if (rt !== "node") {
    ALL.push({
      name: rt === "deno" ? "Deno.serve (TLS)" : "Bun.serve({ http2: true }) (TLS)",
      runtime: rt,
      kind: "serve",
      cmd: ts(rt, "serve"),
      tls: true,
    });
  }
}
ALL.push({
  name: "twisted.web h2 (CPython, TLS)",
  runtime: "python",
  kind: "twisted",
  cmd: [BIN.python, "bench/_twisted_h2.py"],
  tls: true,
});
const SUBJECTS = ALL.filter((s) => !ONLY || ONLY.includes(s.runtime) || ONLY.includes(s.kind));

interface Result {
  rps: number;
  failed: string;
  serverCpu: number;
}

function h2load(url: string, seconds: number): Promise<string> {
  const cmd = pinned(CLIENT_CORE, [
    "h2load",
    "-t1",
    `-c${CONNECTIONS}`,
    `-m${STREAMS}`,
    `-D${seconds}`,
    url,
  ]);
  return new Promise((resolve, reject) => {
    const p = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    // A server that stops answering would keep h2load waiting for its streams.
    const limit = seconds + 30;
    const timer = setTimeout(() => p.kill("SIGKILL"), limit * 1000);
    p.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") {
        reject(
          new Error(`h2load: not done ${limit} s after starting (the server stopped answering)`),
        );
      } else if (code === 0) resolve(out);
      else reject(new Error(`h2load: ${out}`));
    });
  });
}

async function measure(server: Server, tls: boolean): Promise<Result> {
  const url = `${tls ? "https" : "http"}://127.0.0.1:${server.port}/`;
  const check = await h2load(url, 1); // warm-up, and a check that h2 was spoken
  if (!/Application protocol: h2c?/.test(check)) throw new Error(`no h2: ${check.slice(0, 300)}`);
  const cpu0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  const out = await h2load(url, DURATION);
  const secs = (performance.now() - t0) / 1000;
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1] ?? NaN);
  const req =
    /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/
      .exec(out);
  const failed = req === null
    ? "?"
    : Number(req[3]) + Number(req[4]) > 0
    ? `${req[3]} failed, ${req[4]} errored`
    : "";
  return { rps, failed, serverCpu: (cpuSeconds(server.pid) - cpu0) / secs };
}

const rows = SUBJECTS.map((subject) => ({
  subject,
  best: undefined as Result | undefined,
  error: "",
}));
for (let rep = 1; rep <= REPEAT; rep++) {
  for (const row of rows) {
    if (row.error) continue;
    process.stderr.write(`[${rep}/${REPEAT}] ${row.subject.name} ...\n`);
    let server: Server | undefined;
    try {
      server = await startServer(row.subject.cmd);
      const r = await measure(server, row.subject.tls);
      if (row.best === undefined || r.rps > row.best.rps) row.best = r;
    } catch (e) {
      row.error = String(e instanceof Error ? e.message : e).split("\n").slice(0, 2).join(" ");
    } finally {
      await server?.stop();
    }
  }
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n) ? "-" : n.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
const twisted = rows.find((r) => r.subject.kind === "twisted")?.best?.rps;
const lines = [
  `h2load -t1 -c${CONNECTIONS} -m${STREAMS} -D${DURATION} ("Hello, world!", text/plain), server pinned` +
  ` to core 1, h2load on core 0. Best of ${REPEAT}.`,
  "",
  "| server | requests/s | vs node:http2 (same runtime) | vs Deno.serve / Bun.serve | vs twisted.web h2 | server CPU | errors |",
  "|---|---:|---:|---:|---:|---:|---|",
];
for (const r of rows) {
  if (r.error || r.best === undefined) {
    lines.push(`| ${r.subject.name} | error: ${r.error} | | | | | |`);
    continue;
  }
  const native = rows.find((x) =>
    x.subject.runtime === r.subject.runtime && x.subject.kind === "native"
  )
    ?.best?.rps;
  const vsNative = native && r.subject.kind !== "native" ? fmt(r.best.rps / native, 2) : "";
  const serve = rows.find((x) =>
    x.subject.runtime === r.subject.runtime && x.subject.kind === "serve"
  )?.best?.rps;
  const vsServe = serve && r.subject.kind.startsWith("tw") ? fmt(r.best.rps / serve, 2) : "";
  const vsTwisted = twisted && r.subject.kind !== "twisted" ? fmt(r.best.rps / twisted, 1) : "";
  lines.push(
    `| ${r.subject.name} | ${fmt(r.best.rps)} | ${vsNative} | ${vsServe} | ${vsTwisted} | ${
      fmt(r.best.serverCpu * 100)
    }% | ${r.best.failed} |`,
  );
}
process.stdout.write(lines.join("\n") + "\n");
