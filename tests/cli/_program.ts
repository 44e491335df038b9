// Runs the `tw` command as a real program (runtimes/cli.ts on Deno, Bun or
// Node) from any test runtime, and talks to what it serves.
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ClientFactory,
  Deferred,
  type Failure,
  ProcessProtocol,
  type ProcessTransport,
  Protocol,
  reactor,
} from "../../mod.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The repository root, with a trailing slash. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "runtimes/cli.ts");

/** The runtimes the program is started on. */
export const PROGRAM_RUNTIMES = ["deno", "bun", "node"] as const;
/** One of them. */
export type ProgramRuntime = typeof PROGRAM_RUNTIMES[number];

/** The runtime running this test. */
export const CURRENT: ProgramRuntime = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/** The command line running runtimes/cli.ts (or `script`) with `args` on `runtime`. */
export function command(
  runtime: ProgramRuntime,
  args: string[],
  script: string = CLI,
): [string, string[]] {
  const exe = join(ROOT, "node_modules/.bin", runtime);
  const argv = runtime === "deno" ? [exe, "run", "-A", script, ...args] : [exe, script, ...args];
  return [exe, argv];
}

/** A started `tw`: its output so far and its end. */
export class Program extends ProcessProtocol {
  out = "";
  err = "";
  exitCode: number | null | undefined = undefined;
  signal: string | null = null;
  ended: Deferred<void> = new Deferred<void>();
  #waiters: [RegExp, Deferred<RegExpExecArray>][] = [];

  override outReceived(data: Uint8Array): void {
    this.out += decoder.decode(data);
    this.#check();
  }
  override errReceived(data: Uint8Array): void {
    this.err += decoder.decode(data);
  }
  override processEnded(reason: Failure): void {
    const value = reason.value as { exitCode?: number | null; signal?: string | null };
    this.exitCode = value.exitCode ?? 0;
    this.signal = value.signal ?? null;
    for (const [, d] of this.#waiters.splice(0)) {
      d.errback(
        new Error(`exited (${this.exitCode}) before printing that: ${this.out} ${this.err}`),
      );
    }
    this.ended.callback(undefined);
  }
  /** Fires with the first match of `pattern` in standard output (20 s at most). */
  waitFor(pattern: RegExp): Deferred<RegExpExecArray> {
    const d = new Deferred<RegExpExecArray>();
    this.#waiters.push([pattern, d]);
    this.#check();
    return d.addTimeout(20, reactor);
  }
  /** Fires with the port of the first "listening on 127.0.0.1:N" log line. */
  async port(): Promise<number> {
    const m = await this.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    return Number(m[1]);
  }
  #check(): void {
    this.#waiters = this.#waiters.filter(([pattern, d]) => {
      const m = pattern.exec(this.out);
      if (m) d.callback(m);
      return !m;
    });
  }
}

/** Starts `tw args` on `runtime`. */
export function start(
  runtime: ProgramRuntime,
  args: string[],
  env?: Record<string, string>,
  script?: string,
): [Program, ProcessTransport] {
  const program = new Program();
  const [exe, argv] = command(runtime, args, script);
  const options = env === undefined ? { path: ROOT } : { path: ROOT, env };
  return [program, reactor.spawnProcess(program, exe, argv, options)];
}

/** Runs `tw args` to its end (30 s at most). */
export async function runToEnd(
  runtime: ProgramRuntime,
  args: string[],
  env?: Record<string, string>,
): Promise<Program> {
  const [program, transport] = start(runtime, args, env);
  try {
    await program.ended.addTimeout(30, reactor);
  } finally {
    if (program.exitCode === undefined) transport.signalProcess("KILL");
  }
  return program;
}

/** Sends SIGTERM (unless it already ended) and waits for the end (20 s at most). */
export async function terminate(program: Program, transport: ProcessTransport): Promise<void> {
  if (program.exitCode === undefined) transport.signalProcess("TERM");
  try {
    await program.ended.addTimeout(20, reactor);
  } finally {
    if (program.exitCode === undefined) transport.signalProcess("KILL");
  }
}

/** Connects to 127.0.0.1:port, sends `data`, resolves with what came back once `until` matches. */
export function talk(port: number, data: string, until: RegExp): Deferred<string> {
  const done = new Deferred<string>();
  let text = "";
  class Client extends Protocol {
    override connectionMade(): void {
      this.transport!.write(encoder.encode(data));
    }
    override dataReceived(chunk: Uint8Array): void {
      text += decoder.decode(chunk);
      if (until.test(text) && !done.called) {
        done.callback(text);
        this.transport!.loseConnection();
      }
    }
    override connectionLost(): void {
      if (!done.called) done.errback(new Error(`closed after ${JSON.stringify(text)}`));
    }
  }
  const factory = new ClientFactory();
  factory.protocol = Client;
  factory.noisy = false;
  factory.clientConnectionFailed = (_c, reason): void => {
    if (!done.called) done.errback(reason);
  };
  reactor.connectTCP("127.0.0.1", port, factory);
  return done.addTimeout(10, reactor);
}

/** A fresh temporary directory, and its removal. */
export function tempDir(): [string, () => void] {
  const dir = mkdtempSync(join(tmpdir(), "tw-cli-test-"));
  return [dir, () => rmSync(dir, { recursive: true, force: true })];
}

/** Runs a program (curl...) to its end; fires with its exit code and output (20 s at most). */
export function exec(argv: string[]): Deferred<{ code: number; out: string; err: string }> {
  const done = new Deferred<{ code: number; out: string; err: string }>();
  let out = "";
  let err = "";
  class Collect extends ProcessProtocol {
    override outReceived(data: Uint8Array): void {
      out += new TextDecoder().decode(data);
    }
    override errReceived(data: Uint8Array): void {
      err += new TextDecoder().decode(data);
    }
    override processEnded(reason: Failure): void {
      const code = (reason.value as { exitCode?: number | null }).exitCode ?? 0;
      done.callback({ code, out, err });
    }
  }
  reactor.spawnProcess(new Collect(), argv[0], argv);
  return done.addTimeout(20, reactor);
}
