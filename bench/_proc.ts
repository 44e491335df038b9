// Process helpers shared by the benchmark drivers (run with node): start a server
// pinned to one core, read its CPU time and memory from /proc, run a client to completion.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";

/** Repository root (bench/..). */
export const ROOT: string = new URL("..", import.meta.url).pathname;
/** Pinned tool binaries. */
export const BIN = {
  deno: `${ROOT}node_modules/.bin/deno`,
  bun: `${ROOT}node_modules/.bin/bun`,
  node: `${ROOT}node_modules/.bin/node`,
  python: "/usr/bin/python3",
} as const;

const HAS_TASKSET = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

/** Cores to pin to: the server gets one core, the load generator the other. */
export const SERVER_CORE = "1";
/** The load generator's core. */
export const CLIENT_CORE = "0";

/** Prefixes `cmd` with `taskset -c core` when taskset works here. */
export function pinned(core: string, cmd: string[]): string[] {
  return HAS_TASKSET ? ["taskset", "-c", core, ...cmd] : cmd;
}

/** A running server process. */
export interface Server {
  proc: ChildProcess;
  pid: number;
  port: number;
  /** Kills it and waits for its exit. */
  stop(): Promise<void>;
}

/**
 * Starts `cmd` pinned to the server core and waits for it to print `READY <port>`.
 * taskset execs the command, so the pid is the server's own.
 */
export function startServer(
  cmd: string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<Server> {
  const full = pinned(SERVER_CORE, cmd);
  const proc = spawn(full[0], full.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`server did not start: ${full.join(" ")}\n${stderr}`));
    }, timeoutMs);
    let started = false;
    proc.once("exit", (code) => {
      if (started) return;
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${full.join(" ")}\n${stderr}`));
    });
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m && proc.pid !== undefined && !started) {
        started = true;
        clearTimeout(timer);
        resolve({
          proc,
          pid: proc.pid,
          port: Number(m[1]),
          async stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
            await exited;
          },
        });
      }
    });
  });
}

/** CPU seconds (user + system, all threads) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat (utime, stime), in clock ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Current and peak resident memory of the process, in KiB. */
export function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string): number =>
    Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}

/** A running client: its JSON lines as they come, and its end. */
export interface Client {
  proc: ChildProcess;
  /** Resolves with the next JSON line the client prints. */
  next(): Promise<Record<string, unknown>>;
  /** Closes its stdin (the signal for holding clients to exit) and waits for its exit. */
  end(): Promise<void>;
}

/** Starts a client pinned to the load generator core. */
export function startClient(cmd: string[], timeoutMs = 120_000): Client {
  const full = pinned(CLIENT_CORE, cmd);
  const proc = spawn(full[0], full.slice(1), { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  const lines: Record<string, unknown>[] = [];
  const waiters: ((v: Record<string, unknown>) => void)[] = [];
  let buf = "";
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  proc.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      const obj = JSON.parse(line) as Record<string, unknown>;
      const w = waiters.shift();
      if (w) w(obj);
      else lines.push(obj);
    }
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  void exited.then(() => clearTimeout(timer));
  return {
    proc,
    next() {
      const have = lines.shift();
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        waiters.push(resolve);
        void exited.then(() =>
          setTimeout(() => reject(new Error(`client exited: ${full.join(" ")}\n${stderr}`)), 50)
        );
      });
    },
    async end() {
      proc.stdin!.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A command-line option of a bench: `--name=value` gives "value", a bare
 * `--name` gives "", and an absent one undefined.
 */
export function flag(
  name: string,
  argv: readonly string[] = process.argv.slice(2),
): string | undefined {
  const prefix = `--${name}=`;
  const arg = argv.find((a) => a.startsWith(prefix));
  if (arg !== undefined) return arg.slice(prefix.length);
  return argv.includes(`--${name}`) ? "" : undefined;
}

/** The median of `xs`. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Busy CPU seconds of the whole machine (all cores) so far, from /proc/stat. */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - f[3] - f[4]) / 100;
}
