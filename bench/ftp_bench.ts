// FTP throughput: curl downloads (RETR) and uploads (STOR) of one file (256 MiB by default)
// through `tw ftp` on Deno, Bun and Node, Twisted's FTPFactory (bench/_twisted_ftp.py, with
// a checker that works on Python 3) and pyftpdlib (bench/_pyftpdlib.py, sendfile for RETR).
// Each server runs pinned to core 1, curl to core 0; a user logs in with a password, passive
// mode (EPSV). Runs are interleaved; each cell is the best of the rounds in MB/s (10^6 bytes),
// the whole curl command timed (connection, login, transfer). Every download's size and every
// upload's size on disk are checked. "CPU" is the server's own CPU time (user + system, all its
// threads, from /proc) per transfer, the least over the rounds: steadier than MB/s on a busy
// machine, since another program's load lengthens a transfer but adds nothing to it.
// Run with node: node_modules/.bin/node bench/ftp_bench.ts [--rounds=N] [--size=MIB]
//   [--only=deno,bun,node,twisted,pyftpdlib]
// Needs curl, taskset, /usr/bin/python3 with Twisted (python3-twisted) and pyftpdlib
// (python3-pyftpdlib).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { BIN, CLIENT_CORE, cpuSeconds, flag, pinned, ROOT, SERVER_CORE } from "./_proc.ts";

const ROUNDS = Number(flag("rounds") ?? 3);
const MIB = Number(flag("size") ?? 256);
const ONLY = flag("only")?.split(",");
const BYTES = MIB * 1024 * 1024;
const USER = "bench";
const PASSWORD = "bench";

if (spawnSync("curl", ["--version"], { stdio: "ignore" }).status !== 0) {
  process.stderr.write("curl not found: apt-get install curl\n");
  process.exit(2);
}

const work = mkdtempSync(`${tmpdir()}/tw-ftp-bench-`);
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const pub = `${work}/pub`;
const homes = `${work}/homes`;
const home = `${homes}/${USER}`;
mkdirSync(pub);
mkdirSync(home, { recursive: true });
const source = `${work}/source.bin`;
{
  const chunk = new Uint8Array(1 << 20);
  for (const path of [source, `${home}/big.bin`]) {
    const fd = openSync(path, "w");
    for (let i = 0; i < MIB; i++) writeSync(fd, randomFillSync(chunk));
    closeSync(fd);
  }
}
const passwords = `${work}/passwords`;
{
  const fd = openSync(passwords, "w");
  writeSync(fd, `${USER}:${PASSWORD}\n`);
  closeSync(fd);
}

interface Running {
  port: number;
  /** The server's pid (taskset execs it). */
  pid: number;
  stop(): Promise<void>;
}

/** Starts `cmd` pinned to the server core; resolves with the port `ready` captures. */
function startPinned(cmd: string[], ready: RegExp): Promise<Running> {
  const full = pinned(SERVER_CORE, cmd);
  const proc: ChildProcess = spawn(full[0], full.slice(1), {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`did not start: ${full.join(" ")}\n${out.slice(-2000)}`));
    }, 30_000);
    let started = false;
    const check = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m && !started) {
        started = true;
        clearTimeout(timer);
        resolve({
          port: Number(m[1]),
          pid: proc.pid!,
          async stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
            await exited;
          },
        });
      }
    };
    proc.stdout!.on("data", check);
    proc.stderr!.on("data", check);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`exited (${code}): ${full.join(" ")}\n${out.slice(-2000)}`));
    });
  });
}

function startTw(runtime: "deno" | "bun" | "node"): Promise<Running> {
  const cli = `${ROOT}runtimes/cli.ts`;
  const args = [
    "ftp",
    "-r",
    pub,
    "--user-home",
    homes,
    "--password-file",
    passwords,
    "-p",
    "tcp:0:interface=127.0.0.1",
  ];
  const cmd = runtime === "deno"
    ? [BIN.deno, "run", "-A", cli, ...args]
    : [BIN[runtime], cli, ...args];
  return startPinned(cmd, /listening on 127\.0\.0\.1:(\d+)/);
}

const python = (script: string, args: string[]) =>
  startPinned([BIN.python, "-W", "ignore", `${ROOT}bench/${script}`, ...args], /READY (\d+)/);

/** Runs curl pinned to the client core; resolves with MB/s, checking the bytes moved. */
function curl(args: string[], check: () => void): Promise<number> {
  const full = pinned(CLIENT_CORE, ["curl", "-sS", "--max-time", "300", ...args]);
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const proc = spawn(full[0], full.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    proc.once("exit", (code) => {
      const seconds = (performance.now() - began) / 1000;
      if (code !== 0) return reject(new Error(`curl exited ${code}: ${err}`));
      try {
        if (out !== "" && Number(out) !== BYTES) throw new Error(`downloaded ${out} bytes`);
        check();
      } catch (error) {
        return reject(error);
      }
      resolve(BYTES / 1e6 / seconds);
    });
  });
}

const url = (port: number, name: string) => `ftp://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;

function retr(port: number): Promise<number> {
  return curl(["-o", "/dev/null", "-w", "%{size_download}", url(port, "big.bin")], () => {});
}

function stor(port: number): Promise<number> {
  const target = `${home}/up.bin`;
  rmSync(target, { force: true });
  return curl(["-T", source, url(port, "up.bin")], () => {
    const size = statSync(target).size;
    if (size !== BYTES) throw new Error(`uploaded ${size} bytes`);
    rmSync(target);
  });
}

interface Row {
  name: string;
  start: () => Promise<Running>;
}

const rows: Row[] = [
  { name: "tw ftp on Deno", start: () => startTw("deno") },
  { name: "tw ftp on Bun", start: () => startTw("bun") },
  { name: "tw ftp on Node", start: () => startTw("node") },
  {
    name: "Twisted FTPFactory",
    start: () => python("_twisted_ftp.py", ["0", pub, homes, USER, PASSWORD]),
  },
  { name: "pyftpdlib", start: () => python("_pyftpdlib.py", ["0", home, USER, PASSWORD]) },
].filter((row) => {
  const key = row.name.includes("Deno")
    ? "deno"
    : row.name.includes("Bun")
    ? "bun"
    : row.name.includes("Node")
    ? "node"
    : row.name.includes("Twisted")
    ? "twisted"
    : "pyftpdlib";
  return ONLY === undefined || ONLY.includes(key);
});

const servers: Running[] = [];
const best = rows.map(() => ({ retr: 0, stor: 0, retrCpu: Infinity, storCpu: Infinity }));
/** Runs `transfer`, returning its MB/s and the server's CPU seconds meanwhile. */
async function measured(
  server: Running,
  transfer: (port: number) => Promise<number>,
): Promise<[number, number]> {
  const before = cpuSeconds(server.pid);
  const rate = await transfer(server.port);
  return [rate, cpuSeconds(server.pid) - before];
}
try {
  for (const row of rows) servers.push(await row.start());
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < rows.length; i++) {
      const [retrRate, retrCpu] = await measured(servers[i], retr);
      const [storRate, storCpu] = await measured(servers[i], stor);
      const b = best[i];
      b.retr = Math.max(b.retr, retrRate);
      b.stor = Math.max(b.stor, storRate);
      b.retrCpu = Math.min(b.retrCpu, retrCpu);
      b.storCpu = Math.min(b.storCpu, storCpu);
    }
  }
} finally {
  for (const server of servers) await server.stop();
}

const twisted = best[rows.findIndex((r) => r.name.startsWith("Twisted"))];
const pyftpd = best[rows.findIndex((r) => r.name === "pyftpdlib")];
const ratio = (a: number, b: number | undefined) =>
  b === undefined || b === 0 ? "-" : `${(a / b).toFixed(2)}x`;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
console.log(`curl RETR and STOR of ${MIB} MiB, best of ${ROUNDS} (MB/s):`);
console.log(
  "| server | RETR | vs Twisted | vs pyftpdlib | CPU s | STOR | vs Twisted | vs pyftpdlib | CPU s |\n" +
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
);
rows.forEach((row, i) => {
  const b = best[i];
  console.log(
    `| ${row.name} | ${fmt(b.retr)} | ${ratio(b.retr, twisted?.retr)} | ` +
      `${ratio(b.retr, pyftpd?.retr)} | ${b.retrCpu.toFixed(2)} | ${fmt(b.stor)} | ` +
      `${ratio(b.stor, twisted?.stor)} | ${ratio(b.stor, pyftpd?.stor)} | ${
        b.storCpu.toFixed(2)
      } |`,
  );
});
