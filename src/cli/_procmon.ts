/**
 * `ProcessMonitor` (`twisted.runner.procmon`): a service that keeps child
 * processes running, restarts them with backoff when they die, stops them
 * with SIGTERM then SIGKILL, and logs each line of their output. Private to
 * src/cli; mod.ts re-exports it.
 *
 * @module
 */
import type { IDelayedCall, IReactorProcess, IReactorTime } from "../internet/interfaces.ts";
import { Deferred, DeferredList } from "../internet/defer.ts";
import type { Failure } from "../internet/failure.ts";
import { type IProcessTransport, ProcessProtocol } from "../internet/protocol.ts";
import { Service } from "../application/mod.ts";
import { Logger } from "../logger/mod.ts";

/** What the monitor needs: time and processes. */
export type ProcessMonitorReactor = IReactorTime & IReactorProcess;

/** How one monitored process runs. */
export interface ProcessOptions {
  /** The child's environment. @default {the parent's} */
  env?: Record<string, string>;
  /** The child's working directory. @default {the parent's} */
  cwd?: string;
}

/** Options of {@link ProcessMonitor}; the names and defaults are Twisted's. */
export interface ProcessMonitorOptions {
  /** The reactor that spawns and times. */
  reactor: ProcessMonitorReactor;
  /**
   * A process that dies sooner than this many seconds after starting is
   * restarted after the current delay, which then doubles (up to
   * `maxRestartDelay`); one that ran longer restarts at once and resets the
   * delay to `minRestartDelay`.
   * @default {1}
   */
  threshold?: number;
  /** Seconds between SIGTERM and SIGKILL when stopping a process. @default {5} */
  killTime?: number;
  /** The first restart delay, in seconds. @default {1} */
  minRestartDelay?: number;
  /** The longest restart delay, in seconds. @default {3600} */
  maxRestartDelay?: number;
  /** Where child output and restarts are logged. @default {new Logger("procmon")} */
  logger?: Logger;
}

interface Entry {
  args: string[];
  options: ProcessOptions;
  transport: IProcessTransport | null;
  startedAt: number;
  delay: number;
  restart: IDelayedCall | null;
  kill: IDelayedCall | null;
  /** Fires when the running child ends (for stopProcess / stopService). */
  ended: Deferred<void>[];
}

const decoder = new TextDecoder();

/** Splits a child's output into lines and logs each with the process name and stream. */
class LoggingProtocol extends ProcessProtocol {
  #name: string;
  #log: Logger;
  #partial: Record<string, string> = { stdout: "", stderr: "" };
  #onEnded: (reason: Failure) => void;

  constructor(name: string, log: Logger, onEnded: (reason: Failure) => void) {
    super();
    this.#name = name;
    this.#log = log;
    this.#onEnded = onEnded;
  }

  override outReceived(data: Uint8Array): void {
    this.#lines("stdout", data);
  }

  override errReceived(data: Uint8Array): void {
    this.#lines("stderr", data);
  }

  #lines(stream: string, data: Uint8Array): void {
    const text = this.#partial[stream] + decoder.decode(data, { stream: true });
    const lines = text.split(/\r?\n/);
    this.#partial[stream] = lines.pop()!;
    for (const line of lines) this.#emit(stream, line);
  }

  #emit(stream: string, line: string): void {
    this.#log.info("[{name}] {line}", { name: this.#name, line, stream });
  }

  override processEnded(reason: Failure): void {
    for (const stream of ["stdout", "stderr"]) {
      if (this.#partial[stream] !== "") this.#emit(stream, this.#partial[stream]);
      this.#partial[stream] = "";
    }
    this.#onEnded(reason);
  }
}

/**
 * Keeps processes running (`twisted.runner.procmon.ProcessMonitor`). Add
 * processes with `addProcess`; they start when the service starts (or at
 * once if it is running), restart after they die, and are stopped with the
 * service.
 *
 * @example
 * ```ts ignore
 * import { ProcessMonitor } from "@tw/core/cli";
 * import { reactor } from "@tw/core";
 * const monitor = new ProcessMonitor({ reactor });
 * monitor.addProcess("ticker", ["node", "-e", "setInterval(() => console.log('tick'), 1000)"]);
 * monitor.startService();
 * ```
 */
export class ProcessMonitor extends Service {
  /** Seconds a process must live for its restart delay to reset. */
  threshold: number;
  /** Seconds between SIGTERM and SIGKILL. */
  killTime: number;
  /** The first restart delay in seconds. */
  minRestartDelay: number;
  /** The longest restart delay in seconds. */
  maxRestartDelay: number;
  #reactor: ProcessMonitorReactor;
  #log: Logger;
  #entries = new Map<string, Entry>();

  /**
   * Makes the monitor; starts nothing.
   * @param options the reactor and the timing options
   */
  constructor(options: ProcessMonitorOptions) {
    super();
    this.#reactor = options.reactor;
    this.threshold = options.threshold ?? 1;
    this.killTime = options.killTime ?? 5;
    this.minRestartDelay = options.minRestartDelay ?? 1;
    this.maxRestartDelay = options.maxRestartDelay ?? 3600;
    this.#log = options.logger ?? new Logger("procmon");
  }

  /** The names of the monitored processes. */
  get processes(): string[] {
    return [...this.#entries.keys()];
  }

  /** The running child of `name`, or null while it is down. */
  transportOf(name: string): IProcessTransport | null {
    return this.#entries.get(name)?.transport ?? null;
  }

  /**
   * Adds a process: `args[0]` is the program (looked up on PATH), the rest
   * its arguments. Starts it now if the service is running.
   * @throws {RangeError} when `name` is already monitored or `args` is empty
   */
  addProcess(name: string, args: string[], options: ProcessOptions = {}): void {
    if (this.#entries.has(name)) throw new RangeError(`Process ${name} is already monitored`);
    if (args.length === 0) throw new RangeError(`Process ${name} has no program to run`);
    this.#entries.set(name, {
      args: [...args],
      options,
      transport: null,
      startedAt: 0,
      delay: this.minRestartDelay,
      restart: null,
      kill: null,
      ended: [],
    });
    if (this.running) this.startProcess(name);
  }

  /** Stops (if running) and forgets a process. */
  removeProcess(name: string): Deferred<void> {
    const d = this.stopProcess(name);
    this.#entries.delete(name);
    return d;
  }

  /** Starts `name` now unless it is already running. */
  startProcess(name: string): void {
    const entry = this.#entry(name);
    if (entry.transport !== null) return;
    entry.restart?.cancel();
    entry.restart = null;
    const protocol = new LoggingProtocol(name, this.#log, (reason) => this.#ended(name, reason));
    entry.startedAt = this.#reactor.seconds();
    try {
      entry.transport = this.#reactor.spawnProcess(protocol, entry.args[0], entry.args, {
        env: entry.options.env,
        path: entry.options.cwd,
      });
      this.#log.info("Started process {name} (pid {pid})", {
        name,
        pid: (entry.transport as { pid?: number | null }).pid ?? null,
      });
    } catch (error) {
      this.#log.failure("Cannot start process {name}", error, "error", { name });
      entry.transport = null;
      this.#scheduleRestart(name, entry, false);
    }
  }

  /**
   * Stops `name`: SIGTERM, then SIGKILL after `killTime`. The Deferred fires
   * once it has ended (at once if it is not running).
   */
  stopProcess(name: string): Deferred<void> {
    const entry = this.#entry(name);
    entry.restart?.cancel();
    entry.restart = null;
    const d = new Deferred<void>();
    const transport = entry.transport;
    if (transport === null) {
      d.callback(undefined);
      return d;
    }
    entry.ended.push(d);
    if (entry.kill === null) {
      this.#signal(name, transport, "TERM");
      entry.kill = this.#reactor.callLater(this.killTime, () => {
        entry.kill = null;
        if (entry.transport === transport) this.#signal(name, transport, "KILL");
      });
    }
    return d;
  }

  /** Stops every process; each restarts through the usual backoff, as Twisted's. */
  restartAll(): void {
    for (const name of this.#entries.keys()) {
      const entry = this.#entry(name);
      if (entry.transport !== null) this.#signal(name, entry.transport, "TERM");
    }
  }

  /** Starts every process. */
  override startService(): void {
    super.startService();
    for (const name of this.#entries.keys()) this.startProcess(name);
  }

  /** Stops every process; the Deferred fires once all have ended. */
  override stopService(): Deferred<void> {
    super.stopService();
    const waits = [...this.#entries.keys()].map((name) => this.stopProcess(name));
    // Fires once every process has ended, whether or not its stop failed.
    return new DeferredList(waits, { consumeErrors: true }).addCallback((): void => {});
  }

  #entry(name: string): Entry {
    const entry = this.#entries.get(name);
    if (entry === undefined) throw new RangeError(`No process named ${name}`);
    return entry;
  }

  #signal(name: string, transport: IProcessTransport, signal: string): void {
    try {
      transport.signalProcess(signal);
    } catch (error) {
      // ProcessExitedAlready: its end is on its way.
      this.#log.debug("Cannot signal {name}: {why}", { name, why: String(error) });
    }
  }

  #ended(name: string, reason: Failure): void {
    const entry = this.#entries.get(name);
    this.#log.info("Process {name} ended: {reason}", { name, reason: reason.getErrorMessage() });
    if (entry === undefined) return;
    entry.transport = null;
    entry.kill?.cancel();
    entry.kill = null;
    const stopping = entry.ended.length > 0;
    for (const d of entry.ended.splice(0)) d.callback(undefined);
    if (!this.running || stopping || !this.#entries.has(name)) return;
    const lived = this.#reactor.seconds() - entry.startedAt;
    this.#scheduleRestart(name, entry, lived >= this.threshold);
  }

  #scheduleRestart(name: string, entry: Entry, livedLong: boolean): void {
    if (!this.running) return;
    // Twisted's backoff: a process that lived past `threshold` restarts at
    // once; one that died sooner waits the current delay, which then doubles.
    let delay = 0;
    if (livedLong) {
      entry.delay = this.minRestartDelay;
    } else {
      delay = entry.delay;
      entry.delay = Math.min(entry.delay * 2, this.maxRestartDelay);
    }
    this.#log.info("Restarting {name} in {delay} seconds", { name, delay });
    entry.restart = this.#reactor.callLater(delay, () => {
      entry.restart = null;
      if (this.running && this.#entries.get(name) === entry) this.startProcess(name);
    });
  }
}
