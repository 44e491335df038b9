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
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import process from "node:process";
import { BIN, CLIENT_CORE, pinned, ROOT, SERVER_CORE } from "./_proc.ts";

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined =>
  argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ??
    (argv.includes(`--${name}`) ? "" : undefined);
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

/** One smtp-source run: messages/s, or NaN when a message went missing. */
async function smtpRound(name: string): Promise<number> {
  const dir = `${work}/${name}-${Date.now()}`;
  const server = name === "twistd"
    ? await startTwisted(dir)
    : await startTw(name as "deno" | "bun" | "node", dir);
  try {
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
    const delivered = count(dir);
    if (r.code !== 0 || delivered !== MESSAGES) {
      process.stderr.write(
        `${name}: ${delivered}/${MESSAGES} delivered ${r.err}\n${server.log?.() ?? ""}\n`,
      );
      return NaN;
    }
    return MESSAGES / seconds;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
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
    rmSync(dir, { recursive: true, force: true });
  }
}

const names = ["deno", "bun", "node", "twistd"].filter((n) => !ONLY || ONLY.includes(n));
const results = new Map<string, number[]>(names.map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const name of names) results.get(name)!.push(await smtpRound(name));
}
const twisted = median(results.get("twistd") ?? []);
console.log(
  `SMTP delivery into a maildir: smtp-source -s 10 -C 20 -m ${MESSAGES} -l 1024, ` +
    `median of ${ROUNDS} interleaved rounds (tw mail fsyncs each message; twistd does not); ` +
    `${UNPINNED ? "unpinned" : `servers on core ${SERVER_CORE}, clients on core ${CLIENT_CORE}`}\n`,
);
console.log("| server | messages/s | vs twistd | rounds |");
console.log("|---|---|---|---|");
for (const name of names) {
  const m = median(results.get(name)!);
  const ratio = Number.isNaN(twisted) || name === "twistd" ? "" : `${(m / twisted).toFixed(2)}x`;
  const label = name === "twistd" ? "twistd mail (Twisted, CPython)" : `tw mail on ${name}`;
  const rounds = results.get(name)!.map((x) => x.toFixed(0)).join(", ");
  console.log(`| ${label} | ${m.toFixed(0)} | ${ratio} | ${rounds} |`);
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
