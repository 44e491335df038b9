// Mail: `smtp-source -s 10 -C 20 -m 2000 -l 1024` (Postfix's load generator: 10 sessions
// at once, 20 messages each, 2000 messages of 1 KiB) into `tw mail` (maildir delivery,
// each message fsynced before its 250) on each runtime, vs Twisted's mail service
// (bench/_twisted_mail.py: twistd mail's service, which does not fsync). Runs are
// interleaved; each cell is the median of the rounds; every message is counted in new/.
// Then POP3: Python's poplib retrieving every message from `tw mail` (RETR, octets/s),
// and our sendmail sending to aiosmtpd (messages/s, 4 at a time).
// Run with node: node_modules/.bin/node bench/mail_bench.ts [--quick] [--rounds=N]
//   [--only=deno,bun,node,twistd] [--unpinned]
// Needs smtp-source (Debian postfix), /usr/bin/python3 with Twisted (python3-twisted) and,
// for the client rate, aiosmtpd (python3-aiosmtpd).
// Every round's maildir is kept until the end: on ext4 (here without a journal) a file
// creation skips the inodes freed in the last minutes (find_inode_bit/recently_deleted),
// so deleting a round's 2000 files made the next round's creations scan them, up to 0.7 ms
// of kernel CPU each: 40% of the server's CPU in a profile, for every server. Other
// processes' temporary files do the same to /tmp's block group, so the work folder gets
// ext4's "top of a directory hierarchy" attribute (chattr +T, when it works): each
// round's maildir goes to a block group of its own. The "create" column shows the cost of
// creating a file in the round's folder just before it (about 15 us on a quiet group);
// "other CPU" is the machine's busy CPU beyond the server and smtp-source during the round
// (other processes), in cores; "CPU/msg" is the server's CPU per message.
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import process from "node:process";
import {
  BIN,
  CLIENT_CORE,
  cpuSeconds,
  flag,
  machineBusySeconds,
  pinned,
  ROOT,
  SERVER_CORE,
} from "./_proc.ts";

const QUICK = flag("quick") !== undefined;
const ROUNDS = Number(flag("rounds") ?? (QUICK ? 1 : 3));
const ONLY = flag("only")?.split(",");
const MESSAGES = QUICK ? 500 : 2000;
// --unpinned: servers and clients go where the kernel puts them (tw mail's file
// operations run on a thread pool, which pinning to one core shares with the loop).
const UNPINNED = flag("unpinned") !== undefined;
const pin = (core: string, cmd: string[]): string[] => UNPINNED ? cmd : pinned(core, cmd);

const SMTP_SOURCE = ["/usr/sbin/smtp-source", "/usr/bin/smtp-source"].find((p) =>
  spawnSync(p, [], { stdio: "ignore" }).error === undefined
);
if (SMTP_SOURCE === undefined) {
  process.stderr.write("smtp-source not found: apt-get install postfix\n");
  process.exit(2);
}

const work = mkdtempSync(`${tmpdir()}/tw-mail-bench-`);
const TOPDIR = spawnSync("chattr", ["+T", work], { stdio: "ignore" }).status === 0;
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Running {
  port: number;
  /** The server's process id (taskset execs it). */
  pid: number;
  stop(): Promise<void>;
  /** What the server logged (tw mail's errors). */
  log?(): string;
}

/** Starts `tw mail` on `runtime` with one domain (alice@example.com) in `dir`. */
async function startTw(runtime: "deno" | "bun" | "node", dir: string): Promise<Running> {
  const port = await freePort();
  const cli = `${ROOT}runtimes/cli.ts`;
  const args = [
    "mail",
    "-s",
    `tcp:${port}:interface=127.0.0.1`,
    "-p",
    `tcp:0:interface=127.0.0.1`,
    "-d",
    `example.com=${dir}`,
    "-u",
    "alice=secret",
    "-H",
    "bench.test",
  ];
  const cmd = runtime === "deno"
    ? [BIN.deno, "run", "-A", cli, ...args]
    : [BIN[runtime], cli, ...args];
  const full = pin(SERVER_CORE, cmd);
  const proc = spawn(full[0], full.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tw mail did not start: ${out}`)), 20_000);
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes(`listening on 127.0.0.1:${port}`) && out.includes("POP3Factory listening")) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once("exit", (code) => reject(new Error(`tw mail exited (${code}): ${out}`)));
  });
  const pop3 = Number(/POP3Factory listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1] ?? 0);
  return {
    port,
    pid: proc.pid!,
    pop3,
    log: () => out.split("\n").filter((l) => /error|warn/i.test(l)).slice(0, 5).join("\n"),
    async stop() {
      proc.kill("SIGTERM");
      await exited;
    },
  } as Running & { pop3: number };
}

async function startTwisted(dir: string): Promise<Running> {
  const full = pin(SERVER_CORE, [BIN.python, `${ROOT}bench/_twisted_mail.py`, dir]);
  const proc = spawn(full[0], full.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  let out = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`twistd did not start: ${out}`)), 20_000);
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return {
    port,
    pid: proc.pid!,
    async stop() {
      proc.kill("SIGKILL");
      await exited;
    },
  };
}

function run(cmd: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const full = pin(CLIENT_CORE, cmd);
    const p = spawn(full[0], full.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    p.once("exit", (code) => resolve({ code: code ?? 1, out, err }));
  });
}

const count = (dir: string): number => {
  try {
    return readdirSync(`${dir}/alice/new`).length;
  } catch {
    return 0;
  }
};

/** CPU seconds of this process's reaped children (smtp-source, once it has exited). */
function childrenCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/**
 * Makes the round's folder and gives the microseconds to create an empty file in it
 * (in `.probe`, which no server reads; kept: deleting is what slows creation down).
 */
function createProbe(dir: string): number {
  mkdirSync(`${dir}/.probe`, { recursive: true });
  const started = performance.now();
  for (let i = 0; i < 200; i++) closeSync(openSync(`${dir}/.probe/${i}`, "wx"));
  return (performance.now() - started) * 1000 / 200;
}

interface Round {
  rate: number;
  /** The server's CPU per message, in microseconds. */
  cpuPerMessage: number;
  /** Busy CPU beyond the server and smtp-source, in cores. */
  otherCpu: number;
  /** Microseconds per file creation just before the round. */
  create: number;
}

/** One smtp-source run: messages/s (NaN when a message went missing) and its context. */
async function smtpRound(name: string): Promise<Round> {
  const dir = `${work}/${name}-${Date.now()}`;
  const create = createProbe(dir);
  const server = name === "twistd"
    ? await startTwisted(dir)
    : await startTw(name as "deno" | "bun" | "node", dir);
  try {
    const cpu0 = cpuSeconds(server.pid);
    const busy0 = machineBusySeconds();
    const client0 = childrenCpuSeconds();
    const started = performance.now();
    const r = await run([
      SMTP_SOURCE!,
      "-s",
      "10",
      "-C",
      "20",
      "-m",
      String(MESSAGES),
      "-l",
      "1024",
      "-f",
      "sender@example.org",
      "-t",
      "alice@example.com",
      `127.0.0.1:${server.port}`,
    ]);
    const seconds = (performance.now() - started) / 1000;
    const serverCpu = cpuSeconds(server.pid) - cpu0;
    const busy = machineBusySeconds() - busy0;
    const clientCpu = childrenCpuSeconds() - client0;
    const context = {
      cpuPerMessage: serverCpu * 1e6 / MESSAGES,
      otherCpu: Math.max(0, busy - serverCpu - clientCpu) / seconds,
      create,
    };
    const delivered = count(dir);
    if (r.code !== 0 || delivered !== MESSAGES) {
      process.stderr.write(
        `${name}: ${delivered}/${MESSAGES} delivered ${r.err}\n${server.log?.() ?? ""}\n`,
      );
      return { rate: NaN, ...context };
    }
    return { rate: MESSAGES / seconds, ...context };
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]): number => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const POP3_CLIENT = `
import poplib, sys, time
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=60)
p.user("alice@example.com"); p.pass_("secret")
n, size = p.stat()
t = time.perf_counter()
octets = 0
for i in range(1, n + 1):
    octets += p.retr(i)[2]
dt = time.perf_counter() - t
p.quit()
print(n / dt, octets / dt / 1e6)
`;

/** POP3: poplib RETRs every message of a maildir filled by smtp-source. */
async function pop3Round(runtime: "deno" | "bun" | "node"): Promise<[number, number]> {
  const dir = `${work}/pop3-${runtime}-${Date.now()}`;
  const server = await startTw(runtime, dir) as Running & { pop3: number };
  try {
    await run([
      SMTP_SOURCE!,
      "-s",
      "10",
      "-m",
      String(MESSAGES),
      "-l",
      "1024",
      "-f",
      "sender@example.org",
      "-t",
      "alice@example.com",
      `127.0.0.1:${server.port}`,
    ]);
    const r = await run([BIN.python, "-c", POP3_CLIENT, String(server.pop3)]);
    if (r.code !== 0) process.stderr.write(`POP3 on ${runtime}: ${r.err}\n`);
    const [messages = NaN, mb = NaN] = r.out.trim().split(" ").map(Number);
    return [messages, mb];
  } finally {
    await server.stop();
  }
}

const names = ["deno", "bun", "node", "twistd"].filter((n) => !ONLY || ONLY.includes(n));
const rounds = new Map<string, Round[]>(names.map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const name of names) rounds.get(name)!.push(await smtpRound(name));
}
const results = new Map([...rounds].map(([n, rs]) => [n, rs.map((r) => r.rate)]));
const twisted = median(results.get("twistd") ?? []);
console.log(
  `SMTP delivery into a maildir: smtp-source -s 10 -C 20 -m ${MESSAGES} -l 1024, ` +
    `median of ${ROUNDS} interleaved rounds (tw mail fsyncs each message; twistd does not); ` +
    `${UNPINNED ? "unpinned" : `servers on core ${SERVER_CORE}, clients on core ${CLIENT_CORE}`}` +
    `${TOPDIR ? "; each round's maildir in a block group of its own (chattr +T)" : ""}\n`,
);
console.log(
  "| server | messages/s | vs twistd | rounds | CPU/msg (us) | other CPU (cores) | create (us) |",
);
console.log("|---|---|---|---|---|---|---|");
for (const name of names) {
  const m = median(results.get(name)!);
  const ratio = Number.isNaN(twisted) || name === "twistd" ? "" : `${(m / twisted).toFixed(2)}x`;
  const label = name === "twistd" ? "twistd mail (Twisted, CPython)" : `tw mail on ${name}`;
  const rs = rounds.get(name)!;
  const each = (f: (r: Round) => number, digits = 0): string =>
    rs.map((r) => f(r).toFixed(digits)).join(", ");
  console.log(
    `| ${label} | ${m.toFixed(0)} | ${ratio} | ${each((r) => r.rate)} | ` +
      `${median(rs.map((r) => r.cpuPerMessage)).toFixed(0)} | ${each((r) => r.otherCpu, 2)} | ` +
      `${each((r) => r.create)} |`,
  );
}

console.log(`\nPOP3 RETR of ${MESSAGES} messages of 1 KiB by poplib (one session)\n`);
console.log("| server | messages/s | MB/s |");
console.log("|---|---|---|");
for (const name of names.filter((n) => n !== "twistd")) {
  const [messages, mb] = await pop3Round(name as "deno" | "bun" | "node");
  console.log(`| tw mail on ${name} | ${messages.toFixed(0)} | ${mb.toFixed(1)} |`);
}

const HAVE_AIOSMTPD = spawnSync(BIN.python, ["-c", "import aiosmtpd"]).status === 0;
const SMTPLIB_CLIENT = `
import smtplib, sys, time
from concurrent.futures import ThreadPoolExecutor
port, n, c = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
body = "Subject: bench\\n\\n" + ("x" * 63 + "\\n") * 16
def send(_):
    with smtplib.SMTP("127.0.0.1", port) as s:
        s.sendmail("sender@example.org", ["rcpt@example.net"], body)
t = time.perf_counter()
with ThreadPoolExecutor(c) as pool:
    list(pool.map(send, range(n)))
dt = time.perf_counter() - t
print('{"rate": %f}' % (n / dt))
`;
if (HAVE_AIOSMTPD) {
  const n = QUICK ? 200 : 1000;
  console.log(`\nClient: ${n} messages of 1 KiB to aiosmtpd, 4 at a time, a connection each\n`);
  console.log("| client | messages/s |");
  console.log("|---|---|");
  const peer = spawn(BIN.python, [
    `${ROOT}tests/mail/smtp_peer_aiosmtpd.py`,
    `${ROOT}tests/fixtures/tls`,
    "notls",
  ], {
    stdio: ["pipe", "pipe", "ignore"],
  });
  let peerOut = "";
  peer.stdout!.on("data", (d: Buffer) => (peerOut = (peerOut + d.toString()).slice(-200)));
  const port = await new Promise<number>((resolve) => {
    const check = setInterval(() => {
      const m = /"port": (\d+)/.exec(peerOut);
      if (m) {
        clearInterval(check);
        resolve(Number(m[1]));
      }
    }, 50);
  });
  const client = `${ROOT}bench/_mail_client.ts`;
  for (const name of names.filter((x) => x !== "twistd")) {
    const cmd = name === "deno"
      ? [BIN.deno, "run", "-A", client, String(port), String(n), "4"]
      : [BIN[name as "bun" | "node"], client, String(port), String(n), "4"];
    const r = await run(cmd);
    const rate = Number(/"rate":([\d.]+)/.exec(r.out)?.[1] ?? NaN);
    console.log(`| sendmail on ${name} | ${rate.toFixed(0)} |`);
  }
  const py = await run([BIN.python, "-c", SMTPLIB_CLIENT, String(port), String(n), "4"]);
  const rate = Number(/"rate": ([\d.]+)/.exec(py.out)?.[1] ?? NaN);
  console.log(`| Python smtplib (4 threads) | ${rate.toFixed(0)} |`);
  peer.stdin!.end();
  await new Promise((r) => peer.once("exit", r));
}
