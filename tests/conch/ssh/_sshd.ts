// OpenSSH as a test peer: `/usr/sbin/sshd -D -e -f CONFIG` from a temporary folder on a
// free loopback port (LogLevel DEBUG3, so "will use strict KEX ordering" shows in its log),
// one instance per algorithm set, always stopped; and the `ssh`, `sshpass`, `scp`,
// `ssh-keyscan` and paramiko clients driving a server. Missing peers skip the tests with a
// message naming the Debian package, except under CI (CI=true) where they fail.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** True under CI, where a missing peer fails rather than skips. */
export const CI: boolean = process.env.CI === "true";
/** sshd's path. */
export const SSHD = "/usr/sbin/sshd";

function runs(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: "ignore" });
  return result.error === undefined;
}

/** True when sshd is installed. */
export const HAVE_SSHD: boolean = runs("test", ["-x", SSHD]) &&
  spawnSync("test", ["-x", SSHD]).status === 0;
/** True when ssh, ssh-keygen, scp and ssh-keyscan are installed. */
export const HAVE_SSH: boolean = runs("ssh", ["-V"]) && runs("ssh-keygen", ["-?"]);
/** True when sshpass is installed. */
export const HAVE_SSHPASS: boolean = runs("sshpass", ["-V"]);
/** Debian's Python, which has the python3-* packages. */
export const PYTHON = "/usr/bin/python3";
/** True when Debian's python3 can import paramiko. */
export const HAVE_PARAMIKO: boolean =
  spawnSync(PYTHON, ["-c", "import paramiko"], { stdio: "ignore" }).status === 0;
/** True when Debian's python3 can import twisted.conch. */
export const HAVE_TWISTED_CONCH: boolean =
  spawnSync(PYTHON, ["-c", "import twisted.conch.endpoints"], { stdio: "ignore" }).status === 0;

/** The `skip` option for a test needing `have`: a message naming the Debian package. */
export function skipUnless(have: boolean, pkg: string): string | false {
  return have || CI ? false : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;
}

/** This process's user name (`id -un`: Bun's os.userInfo() may say "unknown"). */
export function currentUser(): string {
  return spawnSync("id", ["-un"], { encoding: "utf8" }).stdout.trim();
}

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** A fresh temporary folder and its removal. */
export function tempDir(prefix = "tw-ssh-"): [string, () => void] {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return [dir, () => rmSync(dir, { recursive: true, force: true })];
}

/** Makes a key with ssh-keygen (`type`: "ed25519", "ecdsa256/384/521", "rsa"); returns its path. */
export function keygen(dir: string, name: string, type: string): string {
  const file = join(dir, name);
  const args = type.startsWith("ecdsa")
    ? ["-t", "ecdsa", "-b", type.slice(5)]
    : type === "rsa"
    ? ["-t", "rsa", "-b", "2048"]
    : ["-t", type];
  const result = spawnSync("ssh-keygen", ["-q", ...args, "-N", "", "-C", name, "-f", file], {
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
  return file;
}

/** An sshd_config algorithm set. */
export interface AlgorithmSet {
  Ciphers?: string;
  MACs?: string;
  KexAlgorithms?: string;
  HostKeyAlgorithms?: string;
}

/** A running sshd. */
export interface Sshd {
  port: number;
  dir: string;
  /** The host key's public line ("TYPE BASE64 COMMENT"). */
  hostPublicKey: string;
  /** sshd's log (stderr) so far. */
  log(): string;
  /** Stops sshd and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts sshd with a host key of `hostKeyType` and `authorizedKeys` allowed to log in as
 * the current user; resolves once it listens.
 */
export async function startSshd(options: {
  hostKeyType: string;
  authorizedKeys: string;
  algorithms?: AlgorithmSet;
}): Promise<Sshd> {
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const [dir, cleanup] = tempDir("tw-sshd-");
  const hostKey = keygen(dir, "host_key", options.hostKeyType);
  const hostPublicKey = spawnSync("cat", [`${hostKey}.pub`], { encoding: "utf8" }).stdout.trim();
  writeFileSync(join(dir, "authorized_keys"), options.authorizedKeys);
  chmodSync(join(dir, "authorized_keys"), 0o600);
  const port = await freePort();
  const lines = [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${hostKey}`,
    "PidFile none",
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "StrictModes no",
    "UsePAM no",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin prohibit-password",
    "LogLevel DEBUG3",
    "MaxStartups 100",
    ...Object.entries(options.algorithms ?? {}).map(([k, v]) => `${k} ${v}`),
  ];
  const config = join(dir, "sshd_config");
  writeFileSync(config, lines.join("\n") + "\n");
  let log = "";
  const child: ChildProcess = spawn(SSHD, ["-D", "-e", "-f", config], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stderr!.on("data", (d: Uint8Array) => {
    if (log.length < 4_000_000) log += new TextDecoder().decode(d);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    cleanup();
  };
  const deadline = Date.now() + 10_000;
  while (!/Server listening on 127\.0\.0\.1/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`sshd did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, dir, hostPublicKey, log: () => log, stop };
}

/** What a client run gave. */
export interface ClientRun {
  status: number | null;
  stdout: Uint8Array;
  stderr: string;
}

/** Runs a client program (`ssh`, `sshpass`, `python3` ...) to its end, with `input`. */
export function runClient(
  command: string,
  args: string[],
  input?: Uint8Array | string,
  env?: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: env === undefined ? process.env : { ...process.env, ...env },
    });
    const out: Uint8Array[] = [];
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout!.on("data", (d: Uint8Array) => out.push(d));
    child.stderr!.on("data", (d: Uint8Array) => {
      err += new TextDecoder().decode(d);
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (status) => {
      clearTimeout(timer);
      const total = out.reduce((n, c) => n + c.length, 0);
      const stdout = new Uint8Array(total);
      let at = 0;
      for (const c of out) {
        stdout.set(c, at);
        at += c.length;
      }
      resolve({ status, stdout, stderr: err });
    });
    child.stdin!.on("error", () => {});
    child.stdin!.end(input ?? "");
  });
}

/** `ssh` options for a test: no known_hosts, no agent, no config, quiet. */
export function sshOptions(port: number, extra: string[] = []): string[] {
  return [
    "-F",
    "/dev/null",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "IdentityAgent=none",
    "-o",
    "ConnectTimeout=20",
    "-p",
    String(port),
    ...extra,
  ];
}
