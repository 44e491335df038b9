// IMAP: four imaplib clients (bench/_imap_client.py) over STARTTLS, each
// `FETCH 1:* (BODY.PEEK[])` of a 1,000-message maildir (10 KB each), messages/s,
// against `tw mail --imap` on each runtime and Dovecot (dovecot-imapd) serving a copy
// of the same maildir, interleaved; each cell is the median of the rounds. Also the
// SELECT time of a 100,000-message maildir on `tw mail` (first SELECT, which assigns
// the UIDs, and a second one).
// Memory per idle IDLE session two ways: RSS of `tw mail` with N real sessions, and
// the heap of N in-process sessions (bench/_imap_idle_heap.ts, each runtime).
// Run with node: node_modules/.bin/node bench/imap_bench.ts [--quick] [--rounds=N]
//   [--only=deno,bun,node,dovecot] [--big=100000] [--idlers=1000] [--heap-sessions=500]
// Needs /usr/bin/python3 and dovecot (Debian dovecot-imapd).
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import process from "node:process";
import { BIN, flag, memory, ROOT } from "./_proc.ts";

const QUICK = flag("quick") !== undefined;
const ROUNDS = Number(flag("rounds") ?? (QUICK ? 1 : 3));
const ONLY = flag("only")?.split(",") ?? ["deno", "bun", "node", "dovecot"];
const BIG = Number(flag("big") ?? (QUICK ? 10000 : 100000));
const MESSAGES = 1000;
const CLIENTS = 4;
const TLS = `${ROOT}tests/fixtures/tls`;

const work = mkdtempSync(`${tmpdir()}/tw-imap-bench-`);
chmodSync(work, 0o755);
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

function maildir(dir: string, count: number, size: number): void {
  for (const sub of ["cur", "new", "tmp"]) mkdirSync(`${dir}/${sub}`, { recursive: true });
  const line = "x".repeat(76) + "\n";
  for (let i = 0; i < count; i++) {
    const head = `From: bench@example.org\nTo: alice@example.com\nSubject: message ${i}\n\n`;
    const body = line.repeat(Math.max(0, Math.floor((size - head.length) / line.length)));
    writeFileSync(`${dir}/cur/${1600000000 + i}.M${i}P1.bench:2,S`, head + body);
  }
}

function waitFor(proc: ChildProcess, re: RegExp, ms = 60000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${re}: ${text}`)), ms);
    const on = (d: Buffer) => {
      text += d;
      const m = re.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stdout?.on("data", on);
    proc.stderr?.on("data", on);
  });
}

async function stop(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await exited;
}

interface Running {
  port: number;
  user: string;
  pid: number;
  stop(): Promise<void>;
}

async function startTw(
  runtime: "deno" | "bun" | "node",
  dir: string,
  tls = true,
  collect = false,
): Promise<Running> {
  // collect: through bench/_gc_wrap.ts, which runs a full collection every 500 ms.
  const cli = collect ? `${ROOT}bench/_gc_wrap.ts` : `${ROOT}runtimes/cli.ts`;
  const args = [
    "mail",
    "-s",
    "tcp:0:interface=127.0.0.1",
    "--no-pop3",
    "--imap",
    "tcp:0:interface=127.0.0.1",
    "-d",
    `example.com=${dir}/example.com`,
    "-u",
    "alice=secret",
    "-H",
    "bench.test",
  ];
  if (tls) args.push("--certificate", `${TLS}/server.pem`, "--privkey", `${TLS}/server.key`);
  const gcFlag = collect
    ? { deno: ["--v8-flags=--expose-gc"], node: ["--expose-gc"], bun: [] }
    : null;
  const cmd = runtime === "deno"
    ? [BIN.deno, "run", "-A", ...(gcFlag?.deno ?? []), cli, ...args]
    : [BIN[runtime], ...(gcFlag?.[runtime] ?? []), cli, ...args];
  const proc = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  const m = await waitFor(proc, /IMAP4ServerFactory listening on 127\.0\.0\.1:(\d+)/);
  return { port: Number(m[1]), user: "alice@example.com", pid: proc.pid!, stop: () => stop(proc) };
}

async function startDovecot(dir: string): Promise<Running> {
  const root = process.getuid?.() === 0;
  const id = (a: string) =>
    Number(spawnSync("id", [a, "dovecot"], { encoding: "utf8" }).stdout.trim());
  const uid = root ? id("-u") : process.getuid!();
  const gid = root ? id("-g") : process.getgid!();
  const me = spawnSync("id", ["-un"], { encoding: "utf8" }).stdout.trim();
  const group = spawnSync("id", ["-gn"], { encoding: "utf8" }).stdout.trim();
  if (root) {
    const walk = (p: string): void => {
      chownSync(p, uid, gid);
      if (!p.includes("/cur/")) {
        for (const e of readdirSync(p, { withFileTypes: true })) {
          walk(`${p}/${e.name}`);
        }
      }
    };
    walk(`${dir}/mail`);
  }
  const port = await freePort();
  mkdirSync(`${dir}/run`, { recursive: true });
  writeFileSync(`${dir}/passwd`, `alice:{PLAIN}secret:${uid}:${gid}::${dir}/mail/alice\n`);
  writeFileSync(
    `${dir}/dovecot.conf`,
    `base_dir = ${dir}/run
state_dir = ${dir}/run
log_path = /dev/null
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${TLS}/server.pem
ssl_key = <${TLS}/server.key
first_valid_uid = 1
first_valid_gid = 1
default_internal_user = ${root ? "dovecot" : me}
default_internal_group = ${root ? "dovecot" : group}
default_login_user = ${root ? "dovenull" : me}
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  );
  const proc = spawn("dovecot", ["-F", "-c", `${dir}/dovecot.conf`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (let i = 0; i < 100; i++) {
    if (spawnSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`]).status === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, user: "alice", pid: proc.pid!, stop: () => stop(proc) };
}

function client(port: number, user: string): Promise<{ rate: number; messages: number }> {
  // Asynchronous: the servers' output pipes must keep draining meanwhile.
  const args = [
    `${ROOT}bench/_imap_client.py`,
    String(port),
    user,
    `${TLS}/ca.pem`,
    String(CLIENTS),
  ];
  return new Promise((resolve, reject) => {
    execFile(BIN.python, args, { timeout: 600000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`client failed: ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// One maildir per server (Dovecot keeps its index files next to the messages).
const template = `${work}/template`;
maildir(template, MESSAGES, 10 * 1024);
const rates = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const who of ONLY) {
    const dir = `${work}/${who}-${round}`;
    if (who === "dovecot") cpSync(template, `${dir}/mail/alice`, { recursive: true });
    else cpSync(template, `${dir}/example.com/alice`, { recursive: true });
    const server = who === "dovecot" ? await startDovecot(dir) : await startTw(who as "deno", dir);
    try {
      await client(server.port, server.user); // warm-up: UID list or index built
      const r = await client(server.port, server.user);
      if (r.messages !== MESSAGES * CLIENTS) throw new Error(`${who}: ${r.messages} messages`);
      rates.set(who, [...(rates.get(who) ?? []), r.rate]);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const dovecot = rates.has("dovecot") ? median(rates.get("dovecot")!) : null;
console.log(
  `\n## IMAP: ${CLIENTS} imaplib clients, STARTTLS, FETCH 1:* (BODY.PEEK[]) of ${MESSAGES} x 10 KB\n`,
);
console.log("| server | messages/s (median of " + ROUNDS + ") | vs Dovecot |");
console.log("|---|---|---|");
for (const [who, xs] of rates) {
  const m = median(xs);
  console.log(
    `| ${who === "dovecot" ? "Dovecot" : `tw mail on ${who}`} | ${m.toFixed(0)} | ${
      dovecot ? (m / dovecot).toFixed(2) : "-"
    } |`,
  );
}

// SELECT of a big maildir on tw mail (node): first (assigns UIDs) and second.
if (BIG > 0 && ONLY.some((w) => w !== "dovecot")) {
  const runtime = (ONLY.find((w) => w !== "dovecot") ?? "node") as "node";
  const dir = `${work}/big`;
  maildir(`${dir}/example.com/alice`, BIG, 200);
  const server = await startTw(runtime, dir);
  try {
    const script = `import imaplib, ssl, time
ctx = ssl.create_default_context(cafile="${TLS}/ca.pem"); ctx.check_hostname = False
m = imaplib.IMAP4("127.0.0.1", ${server.port}, timeout=600); m.starttls(ssl_context=ctx)
m.login("alice@example.com", "secret")
t = time.time(); typ, d = m.select("INBOX"); a = time.time() - t
m.close()
t = time.time(); typ, d2 = m.select("INBOX"); b = time.time() - t
print(d[0].decode(), "%.3f %.3f" % (a, b))`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(BIN.python, ["-c", script], { timeout: 900000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`SELECT client failed: ${stderr}`));
        else resolve(stdout);
      });
    });
    const [count, first, second] = out.trim().split(/\s+/);
    console.log(
      `\nSELECT of ${count} messages on tw mail (${runtime}): first ${first} s (UIDs assigned), second ${second} s\n`,
    );
  } finally {
    await server.stop();
  }
}
// Memory per idle IDLE session: plain sessions, each logged in, INBOX selected, idling;
// on a 10-message INBOX, and on the 1,000-message one (a session's view grows with it:
// 16 octets a message; the maildir's index is one for all sessions). Twice: as the server
// runs, and with a full collection every 500 ms (bench/_gc_wrap.ts), which shows what a
// session keeps rather than the garbage its login and SELECT left (V8 on Deno grows its
// heap further before collecting than on Node).
const IDLERS = Number(flag("idlers") ?? (QUICK ? 200 : 1000));
if (IDLERS > 0) {
  console.log(
    `\n| server | INBOX | sessions | KiB of RSS per idle IDLE session (no TLS) | the same, collected every 500 ms |\n|---|---|---|---|---|`,
  );
  for (const who of ONLY.filter((w) => w !== "dovecot")) {
    for (const [messages, sessions] of [[10, IDLERS], [MESSAGES, IDLERS]]) {
      const perSession: string[] = [];
      for (const collect of [false, true]) {
        perSession.push(await idleSessionKiB(who as "deno", messages, sessions, collect));
      }
      console.log(`| tw mail on ${who} | ${messages} | ${sessions} | ${perSession.join(" | ")} |`);
    }
  }
}

/** KiB of RSS each of `sessions` idle IDLE sessions adds to `tw mail` on `who`. */
async function idleSessionKiB(
  who: "deno" | "bun" | "node",
  messages: number,
  sessions: number,
  collect: boolean,
): Promise<string> {
  const dir = `${work}/idle-${who}-${messages}`;
  maildir(`${dir}/example.com/alice`, messages, 10 * 1024);
  const server = await startTw(who, dir, false, collect);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const before = memory(server.pid).rss;
    const idler = spawn(
      BIN.python,
      [`${ROOT}bench/_imap_idle.py`, String(server.port), server.user, String(sessions)],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    await waitFor(idler, /IDLING/, 600000);
    await new Promise((r) => setTimeout(r, 3000)); // a few IDLE polls
    const during = memory(server.pid).rss;
    const exited = new Promise((r) => idler.once("exit", r));
    idler.stdin!.end("\n");
    await exited;
    return ((during - before) / sessions).toFixed(1);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
// Memory per idle IDLE session, in-process (bench/_imap_idle_heap.ts): heap used plus
// array buffers after a full GC, N sessions minus one, over StringTransport, 1,000 messages.
const HEAP_SESSIONS = Number(flag("heap-sessions") ?? (QUICK ? 100 : 500));
if (HEAP_SESSIONS > 1) {
  console.log(
    `\n| runtime | INBOX | sessions | KiB of heap per idle IDLE session (in-process) |\n|---|---|---|---|`,
  );
  const script = `${ROOT}bench/_imap_idle_heap.ts`;
  const args = [script, String(HEAP_SESSIONS), String(MESSAGES)];
  const commands: Record<string, string[]> = {
    node: [BIN.node, "--expose-gc", ...args],
    deno: [BIN.deno, "run", "-A", "--v8-flags=--expose-gc", ...args],
    bun: [BIN.bun, ...args],
  };
  for (const who of ONLY.filter((w) => w !== "dovecot")) {
    const [cmd, ...rest] = commands[who];
    const out = spawnSync(cmd, rest, { encoding: "utf8", timeout: 600000 });
    const line = out.stdout.trim().split("\n").pop() ?? "";
    try {
      const r = JSON.parse(line) as { kib: number; sessions: number; messages: number };
      console.log(`| ${who} | ${r.messages} | ${r.sessions} | ${r.kib.toFixed(1)} |`);
    } catch {
      console.log(`| ${who} | - | - | failed: ${out.stderr.slice(0, 200)} |`);
    }
  }
}
process.exit(0);
