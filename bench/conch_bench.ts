// SSH throughput: 256 MiB through `ssh -c CIPHER host 'cat > /dev/null'` (OpenSSH's client,
// the whole command timed: connection, key exchange, login and the transfer), against
// `tw conch` on Deno, Bun and Node, OpenSSH's sshd, and twistd conch's service
// (bench/_twisted_conch.py, Twisted on CPython; it has no AES-GCM, so it runs aes128-ctr +
// hmac-sha2-256, its best). Ciphers: aes128-gcm@openssh.com for tw conch and sshd, and
// aes128-ctr + hmac-sha2-256 for all three. The servers run pinned to core 1, ssh to core 0;
// runs are interleaved and each cell is the best of the rounds (MiB/s).
// Run with node: node_modules/.bin/node bench/conch_bench.ts [--quick] [--rounds=N]
//   [--only=deno,bun,node,sshd,twistd] [--size=MIB]
// Needs ssh and ssh-keygen (Debian openssh-client), /usr/sbin/sshd (openssh-server),
// /usr/bin/python3 with Twisted (python3-twisted) and taskset.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import process from "node:process";
import { BIN, CLIENT_CORE, flag, pinned, ROOT, SERVER_CORE } from "./_proc.ts";

const QUICK = flag("quick") !== undefined;
const ROUNDS = Number(flag("rounds") ?? (QUICK ? 1 : 3));
const ONLY = flag("only")?.split(",");
const MIB = Number(flag("size") ?? (QUICK ? 64 : 256));
const GCM = "aes128-gcm@openssh.com";
const CTR = "aes128-ctr";

for (const tool of ["ssh", "ssh-keygen"]) {
  if (spawnSync(tool, ["-V"], { stdio: "ignore" }).error !== undefined) {
    process.stderr.write(`${tool} not found: apt-get install openssh-client\n`);
    process.exit(2);
  }
}

const work = mkdtempSync(`${tmpdir()}/tw-conch-bench-`);
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const user = spawnSync("id", ["-un"], { encoding: "utf8" }).stdout.trim();

function keygen(file: string, type: string): void {
  const r = spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", file]);
  if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
}

const hostDir = `${work}/host`;
mkdirSync(hostDir);
keygen(`${hostDir}/ssh_host_ed25519_key`, "ed25519");
keygen(`${work}/user_key`, "ed25519");
const authorized = `${work}/authorized_keys`;
writeFileSync(authorized, spawnSync("cat", [`${work}/user_key.pub`]).stdout);
const input = `${work}/input`;
{
  const fd = openSync(input, "w");
  const chunk = new Uint8Array(1 << 20);
  for (let i = 0; i < MIB; i++) writeFileSync(fd, chunk);
  closeSync(fd);
}

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
}

/** Starts `cmd` pinned to the server core; resolves once `ready` shows in its output. */
function startPinned(cmd: string[], ready: RegExp, port: number): Promise<Running> {
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
    const check = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve({
          port,
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
      reject(new Error(`exited (${code}): ${full.join(" ")}\n${out.slice(-2000)}`));
    });
  });
}

async function startTw(runtime: "deno" | "bun" | "node"): Promise<Running> {
  const port = await freePort();
  const cli = `${ROOT}runtimes/cli.ts`;
  const args = ["conch", "-p", `tcp:${port}`, "-d", hostDir, "--authorized-keys", authorized];
  const cmd = runtime === "deno"
    ? [BIN.deno, "run", "-A", cli, ...args]
    : [BIN[runtime], cli, ...args];
  return await startPinned(cmd, /listening on 127\.0\.0\.1/, port);
}

async function startSshd(): Promise<Running> {
  const port = await freePort();
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true });
  const config = `${work}/sshd_config_${port}`;
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostDir}/ssh_host_ed25519_key`,
      "PidFile none",
      `AuthorizedKeysFile ${authorized}`,
      "StrictModes no",
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "LogLevel INFO",
    ].join("\n") + "\n",
  );
  return await startPinned(["/usr/sbin/sshd", "-D", "-e", "-f", config], /Server listening/, port);
}

async function startTwisted(): Promise<Running> {
  const port = await freePort();
  const script = `${ROOT}bench/_twisted_conch.py`;
  return await startPinned(
    [BIN.python, "-W", "ignore", script, String(port), hostDir, authorized, user],
    /READY/,
    port,
  );
}

/** Times one `ssh -c CIPHER [-m MAC] host 'cat > /dev/null'` of the input file; MiB/s. */
function transfer(port: number, cipher: string): Promise<number> {
  const args = [
    "-F",
    "/dev/null",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "IdentityAgent=none",
    "-i",
    `${work}/user_key`,
    "-p",
    String(port),
    "-c",
    cipher,
    ...(cipher === CTR ? ["-m", "hmac-sha2-256"] : []),
    `${user}@127.0.0.1`,
    "cat > /dev/null",
  ];
  const full = pinned(CLIENT_CORE, ["ssh", ...args]);
  return new Promise((resolve, reject) => {
    const fd = openSync(input, "r");
    const began = performance.now();
    const proc = spawn(full[0], full.slice(1), { stdio: [fd, "ignore", "pipe"] });
    let err = "";
    proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    proc.once("exit", (code) => {
      closeSync(fd);
      const seconds = (performance.now() - began) / 1000;
      if (code !== 0) reject(new Error(`ssh exited ${code}: ${err}`));
      else resolve(MIB / seconds);
    });
  });
}

interface Row {
  name: string;
  cipher: string;
  start: () => Promise<Running>;
}

const ROWS: Row[] = [
  ...(["deno", "bun", "node"] as const).flatMap((r): Row[] => [
    { name: `tw conch (${r})`, cipher: GCM, start: () => startTw(r) },
    { name: `tw conch (${r})`, cipher: CTR, start: () => startTw(r) },
  ]),
  { name: "sshd", cipher: GCM, start: startSshd },
  { name: "sshd", cipher: CTR, start: startSshd },
  { name: "twistd conch", cipher: CTR, start: startTwisted },
].filter((row) => {
  if (ONLY === undefined) return true;
  const key = row.name.startsWith("tw conch")
    ? row.name.slice(10, -1)
    : row.name === "sshd"
    ? "sshd"
    : "twistd";
  return ONLY.includes(key);
});

const best = new Map<Row, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const row of ROWS) {
    const server = await row.start();
    try {
      const rate = await transfer(server.port, row.cipher);
      best.set(row, Math.max(best.get(row) ?? 0, rate));
      process.stderr.write(`round ${round + 1}: ${row.name} ${row.cipher} ${rate.toFixed(1)}\n`);
    } catch (error) {
      process.stderr.write(`round ${round + 1}: ${row.name} ${row.cipher} failed: ${error}\n`);
    } finally {
      await server.stop();
    }
  }
}

const rate = (name: string, cipher: string): number | undefined =>
  [...best].find(([row]) => row.name === name && row.cipher === cipher)?.[1];
const cipherName = (c: string) => c === CTR ? "aes128-ctr + hmac-sha2-256" : c;
const lines = [
  `${MIB} MiB through \`ssh -c CIPHER host 'cat > /dev/null'\`, best of ${ROUNDS} (MiB/s, ` +
  "whole command)",
  "",
  "| server | cipher | MiB/s | vs sshd (same cipher) | vs twistd conch (ctr) |",
  "|---|---|---|---|---|",
];
const twistd = rate("twistd conch", CTR);
for (const [row, value] of best) {
  const sshd = rate("sshd", row.cipher);
  lines.push(
    `| ${row.name} | ${cipherName(row.cipher)} | ${value.toFixed(1)} | ${
      sshd ? (value / sshd).toFixed(2) : "-"
    } | ${twistd ? (value / twistd).toFixed(2) : "-"} |`,
  );
}
process.stdout.write(lines.join("\n") + "\n");
