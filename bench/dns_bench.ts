// DNS: dnsperf (UDP, 100 queries in flight) against `tw dns`'s server on each runtime,
// vs twistd dns's (Twisted on CPython) on the same zone, vs the runtime's bare UDP echo
// (the floor: no DNS work at all), with nsd reported for scale.
// Run with node: node_modules/.bin/node bench/dns_bench.ts [--quick] [--only=deno,bun,...]
//   [--duration=10] [--repeat=N]
// Needs dnsperf and nsd (Debian packages dnsperf, nsd) and /usr/bin/python3 with Twisted.
// Each server runs alone pinned to core 1; dnsperf on core 0. Each cell is the best of N runs.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import process from "node:process";
import {
  BIN,
  CLIENT_CORE,
  cpuSeconds,
  flag,
  pinned,
  ROOT,
  type Server,
  SERVER_CORE,
  startServer,
} from "./_proc.ts";

const QUICK = flag("quick") !== undefined;
const ONLY = flag("only")?.split(",");
const DURATION = Number(flag("duration") ?? (QUICK ? 3 : 10));
const REPEAT = Number(flag("repeat") ?? (QUICK ? 1 : 2));

for (const [tool, pkg] of [["dnsperf", "dnsperf"], ["nsd", "nsd"]]) {
  if (spawnSync(tool, ["-h"]).error) {
    process.stderr.write(`${tool} not found: apt-get install ${pkg}\n`);
    process.exit(2);
  }
}

const dir = mkdtempSync(`${tmpdir()}/tw-dns-bench-`);
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

// One zone, three spellings: BIND (ours and nsd) and Python (twistd).
const zoneFile = `${dir}/example.com.zone`;
writeFileSync(
  zoneFile,
  `$ORIGIN example.com.
$TTL 300
@ SOA ns1 hostmaster 2026120601 7200 3600 1209600 300
@ NS ns1
ns1 A 192.0.2.53
@ A 192.0.2.1
@ AAAA 2001:db8::1
@ MX 10 mail
mail A 192.0.2.25
@ TXT "v=spf1 mx -all"
www CNAME @
_sip._tcp SRV 10 60 5060 sip
sip A 192.0.2.60
`,
);
const pyZone = `${dir}/example_zone.py`;
writeFileSync(
  pyZone,
  `zone = [
    SOA('example.com', mname='ns1.example.com', rname='hostmaster.example.com', serial=2026120601,
        refresh=7200, retry=3600, expire=1209600, minimum=300, ttl=300),
    NS('example.com', 'ns1.example.com', ttl=300),
    A('ns1.example.com', '192.0.2.53', ttl=300),
    A('example.com', '192.0.2.1', ttl=300),
    AAAA('example.com', '2001:db8::1', ttl=300),
    MX('example.com', 10, 'mail.example.com', ttl=300),
    A('mail.example.com', '192.0.2.25', ttl=300),
    TXT('example.com', b'v=spf1 mx -all', ttl=300),
    CNAME('www.example.com', 'example.com', ttl=300),
    SRV('_sip._tcp.example.com', 10, 60, 5060, 'sip.example.com', ttl=300),
    A('sip.example.com', '192.0.2.60', ttl=300),
]
`,
);
const queries = `${dir}/queries.txt`;
writeFileSync(
  queries,
  [
    "example.com A",
    "example.com AAAA",
    "example.com MX",
    "example.com TXT",
    "www.example.com CNAME",
    "_sip._tcp.example.com SRV",
    "example.com NS",
    "nothere.example.com A",
  ].join("\n") + "\n",
);

/** A free UDP port on 127.0.0.1 (for nsd, which cannot report the one it got). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startNsd(): Promise<Server> {
  const port = await freePort();
  const conf = `${dir}/nsd.conf`;
  writeFileSync(
    conf,
    `server:
  ip-address: 127.0.0.1@${port}
  database: ""
  username: ""
  zonesdir: "${dir}"
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  pidfile: "${dir}/nsd.pid"
  server-count: 1
  rrl-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: example.com
  zonefile: example.com.zone
`,
  );
  const full = pinned(SERVER_CORE, ["nsd", "-d", "-c", conf]);
  const proc = spawn(full[0], full.slice(1), { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  for (let i = 0; i < 100; i++) {
    const r = spawnSync("dig", [
      "@127.0.0.1",
      "-p",
      String(port),
      "example.com",
      "+short",
      "+tries=1",
      "+time=1",
    ]);
    if (r.stdout?.toString().trim()) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    pid: proc.pid!,
    port,
    async stop() {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

interface Subject {
  name: string;
  runtime: "deno" | "bun" | "node" | "python" | "c";
  kind: "tw" | "echo" | "twisted" | "nsd";
  start: () => Promise<Server>;
}

const tsCmd = (rt: "deno" | "bun" | "node", script: string, ...args: string[]): string[] =>
  rt === "deno"
    ? [BIN.deno, "run", "-A", "--unstable-net", script, ...args]
    : [BIN[rt], script, ...args];

const SUBJECTS: Subject[] = [];
for (const rt of ["deno", "bun", "node"] as const) {
  SUBJECTS.push({
    name: `tw dns on ${rt}`,
    runtime: rt,
    kind: "tw",
    start: () => startServer(tsCmd(rt, "bench/_dns_server.ts", zoneFile)),
  });
  SUBJECTS.push({
    name: `tw UDP echo on ${rt}`,
    runtime: rt,
    kind: "echo",
    start: () => startServer(tsCmd(rt, "bench/_udp_echo.ts", "tw")),
  });
  SUBJECTS.push({
    name: `bare UDP echo on ${rt}`,
    runtime: rt,
    kind: "echo",
    start: () => startServer(tsCmd(rt, "bench/_udp_echo.ts")),
  });
}
SUBJECTS.push({
  name: "twistd dns (Twisted on CPython)",
  runtime: "python",
  kind: "twisted",
  start: () => startServer([BIN.python, "bench/_twisted_dns.py", pyZone]),
});
SUBJECTS.push({ name: "nsd", runtime: "c", kind: "nsd", start: startNsd });

interface Result {
  qps: number;
  lost: number;
  cpuUsPerQuery: number;
}

async function measure(subject: Subject): Promise<Result> {
  const server = await subject.start();
  try {
    // Warm up (JIT) before measuring.
    dnsperf(server.port, 1);
    const cpu0 = cpuSeconds(server.pid);
    const out = dnsperf(server.port, DURATION);
    const cpu = cpuSeconds(server.pid) - cpu0;
    const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
    const lost = Number(/Queries lost:\s+(\d+)/.exec(out)?.[1] ?? NaN);
    const completed = Number(/Queries completed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
    return { qps, lost, cpuUsPerQuery: (cpu / completed) * 1e6 };
  } finally {
    await server.stop();
  }
}

function dnsperf(port: number, seconds: number): string {
  const cmd = pinned(CLIENT_CORE, [
    "dnsperf",
    "-s",
    "127.0.0.1",
    "-p",
    String(port),
    "-d",
    queries,
    "-l",
    String(seconds),
    "-q",
    "100",
    "-t",
    "2",
  ]);
  const r = spawnSync(cmd[0], cmd.slice(1), {
    cwd: ROOT,
    encoding: "utf8",
    timeout: (seconds + 30) * 1000,
  });
  return (r.stdout ?? "") + (r.stderr ?? "");
}

const chosen = SUBJECTS.filter((s) => !ONLY || ONLY.includes(s.runtime) || ONLY.includes(s.kind));
const best = new Map<string, Result>();
for (let round = 0; round < REPEAT; round++) {
  for (const s of chosen) {
    try {
      const r = await measure(s);
      const prev = best.get(s.name);
      if (!prev || r.qps > prev.qps) best.set(s.name, r);
    } catch (e) {
      process.stderr.write(`${s.name}: ${(e as Error).message}\n`);
    }
  }
}

const twisted = best.get("twistd dns (Twisted on CPython)")?.qps;
console.log(
  `dnsperf -q 100, ${DURATION} s, UDP; best of ${REPEAT}; server on core ${SERVER_CORE}.`,
);
console.log();
console.log(
  "| server | queries/s | lost | server CPU per query | vs twistd | vs the runtime's UDP echo |",
);
console.log("|---|---:|---:|---:|---:|---:|");
for (const s of chosen) {
  const r = best.get(s.name);
  if (!r) {
    console.log(`| ${s.name} | failed | | | | |`);
    continue;
  }
  const echo = s.kind === "tw" ? best.get(`bare UDP echo on ${s.runtime}`)?.qps : undefined;
  const vsT = twisted && s.kind !== "twisted" ? (r.qps / twisted).toFixed(2) + "x" : "";
  const vsE = echo ? (r.qps / echo).toFixed(2) : "";
  console.log(
    // nsd answers from a forked child, which /proc/PID/stat of the parent does not count.
    `| ${s.name} | ${Math.round(r.qps).toLocaleString("en")} | ${r.lost} | ${
      s.kind === "nsd" ? "n/a" : r.cpuUsPerQuery.toFixed(1) + " us"
    } | ${vsT} | ${vsE} |`,
  );
}
