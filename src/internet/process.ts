/**
 * Child processes (`reactor.spawnProcess`): a `ProcessProtocol` over the
 * runtime's `ChildProcess`, with Twisted's callbacks and exit reasons.
 *
 * Differences from Twisted, by necessity of the runtimes: `usePTY`, `uid`,
 * `gid` and `childFDs` other than the default `{0: "w", 1: "r", 2: "r"}`
 * throw `NotSupportedError`; an omitted `env` inherits the parent's
 * environment (Twisted's default is an empty one; pass `env: {}` for that);
 * pausing the transport holds the child's output back in memory (the runtimes
 * expose no way to stop reading a pipe).
 *
 * @module
 */
import type { ChildProcess, RuntimeNetwork } from "./socket.ts";
import type {
  IPullProducer,
  IPushProducer,
  SpawnProcessOptions as BaseSpawnProcessOptions,
} from "./interfaces.ts";
import type { IProcessTransport, ProcessProtocol } from "./protocol.ts";
import { ProcessAddress } from "./address.ts";
import { Failure } from "./failure.ts";
import {
  NotSupportedError,
  ProcessDone,
  ProcessExitedAlready,
  ProcessTerminated,
} from "./error.ts";
import { Logger } from "../logger/_publisher.ts";
import { type LiveResource, trackResource, untrackResource } from "./_live.ts";

const log = new Logger("tw.internet.process");

/** Options for `spawnProcess` (see `interfaces.ts`), plus where errors are logged. */
export interface SpawnProcessOptions extends BaseSpawnProcessOptions {
  /** Where protocol errors are logged. @default new Logger("tw.internet.process") */
  logger?: Logger;
}

const SIGNALS: Record<string, string> = { TERM: "SIGTERM", KILL: "SIGKILL", INT: "SIGINT" };

/** Normalizes Twisted's signal names: "TERM" -> "SIGTERM"; "SIGHUP" stays. */
export function signalName(signal: string | number): string {
  if (typeof signal === "number") {
    const byNumber: Record<number, string> = {
      1: "SIGHUP",
      2: "SIGINT",
      9: "SIGKILL",
      15: "SIGTERM",
      10: "SIGUSR1",
      12: "SIGUSR2",
    };
    const name = byNumber[signal];
    if (!name) throw new TypeError(`Unknown signal number ${signal}`);
    return name;
  }
  const upper = signal.toUpperCase();
  return SIGNALS[upper] ?? (upper.startsWith("SIG") ? upper : `SIG${upper}`);
}

/**
 * The transport of a spawned process (`IProcessTransport`): `write` goes to
 * the child's stdin; output and the exit go to the protocol.
 * `reactor.spawnProcess` makes one and returns it.
 *
 * @example
 * ```ts
 * import { Deferred, ProcessProtocol, reactor } from "@tw/core";
 *
 * const ended = new Deferred<void>();
 * class Cat extends ProcessProtocol {
 *   override outReceived(data: Uint8Array): void {
 *     console.log(new TextDecoder().decode(data)); // hello
 *   }
 *   override processEnded(): void {
 *     ended.callback(undefined);
 *   }
 * }
 * const transport = reactor.spawnProcess(new Cat(), "cat", ["cat"]);
 * transport.write(new TextEncoder().encode("hello"));
 * transport.closeStdin(); // EOF: cat exits
 * await ended;
 * console.log(transport.status); // 0
 * ```
 */
export class ProcessTransport implements IProcessTransport, LiveResource {
  #child: ChildProcess;
  #protocol: ProcessProtocol;
  #log: Logger;
  #pid: number | null;
  #stdinOpen = true;
  #readOpen: Record<1 | 2, boolean> = { 1: true, 2: true };
  #paused = false;
  #held: [1 | 2, Uint8Array][] = [];
  #exit: Failure | null = null;
  #ended = false;
  #disconnecting = false;
  #producer: IPushProducer | IPullProducer | null = null;
  #pullScheduled = false;
  #isStreaming = true;
  /** The exit code once the child has exited, else null. */
  status: number | null = null;

  /**
   * Wraps a running child for `protocol`; call `start()` next.
   * @param child the running child
   * @param protocol the protocol to drive
   * @param logger where protocol errors go
   */
  constructor(child: ChildProcess, protocol: ProcessProtocol, logger: Logger = log) {
    this.#child = child;
    this.#protocol = protocol;
    this.#log = logger;
    this.#pid = child.pid;
  }

  /** Calls `protocol.makeConnection(this)`, then starts delivering output and the exit. */
  start(): void {
    trackResource(this);
    this.#call("connectionMade", () => this.#protocol.makeConnection(this));
    this.#child.start({
      onOutput: (fd, data) => this.#output(fd, data),
      onExit: (code, signal) => this.#exited(code, signal),
    });
  }

  /** `"process"`, for the leak check. */
  get resourceKind(): string {
    return "process";
  }

  /** Names the process by its pid, for the leak check. */
  describeResource(): string {
    return `${this.#protocol.constructor.name} pid ${this.#pid}`;
  }

  /** Kills the child (after a failed leak check). */
  closeResource(): void {
    this.abortConnection();
  }

  /** The child's pid, or null once it has exited. */
  get pid(): number | null {
    return this.#pid;
  }

  /** The runtime's child process object. */
  get child(): ChildProcess {
    return this.#child;
  }

  /** True once `loseConnection` was called. */
  get disconnecting(): boolean {
    return this.#disconnecting;
  }

  #call(where: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#log.failure("Unhandled error in {where} of a process protocol", e, "error", { where });
    }
  }

  #output(fd: 1 | 2, data: Uint8Array): void {
    if (!this.#readOpen[fd] || this.#ended) return;
    if (this.#paused) {
      this.#held.push([fd, data]);
      return;
    }
    this.#call("childDataReceived", () => this.#protocol.childDataReceived(fd, data));
  }

  #exited(code: number | null, signal: string | null): void {
    if (this.#exit) return;
    this.status = code;
    this.#pid = null;
    const reason = code === 0 && !signal ? new ProcessDone() : new ProcessTerminated(code, signal);
    this.#exit = new Failure(reason);
    this.#call("processExited", () => this.#protocol.processExited(this.#exit!));
    this.#maybeEnd();
  }

  /** Ends once exited and any held-back output was delivered. */
  #maybeEnd(): void {
    if (!this.#exit || this.#ended || this.#held.length > 0) return;
    this.#ended = true;
    untrackResource(this);
    for (const fd of [1, 2] as const) {
      if (this.#readOpen[fd]) {
        this.#readOpen[fd] = false;
        this.#call("childConnectionLost", () => this.#protocol.childConnectionLost(fd));
      }
    }
    if (this.#stdinOpen) {
      this.#stdinOpen = false;
      this.#call("childConnectionLost", () => this.#protocol.childConnectionLost(0));
    }
    const producer = this.#producer;
    this.#producer = null;
    if (producer) this.#call("stopProducing", () => producer.stopProducing());
    this.#call("processEnded", () => this.#protocol.processEnded(this.#exit!));
  }

  /** Writes to the child's stdin; dropped once stdin is closed. */
  write(data: Uint8Array): void {
    if (!this.#stdinOpen || data.byteLength === 0) return;
    this.#child.writeStdin(data);
    if (this.#producer && !this.#isStreaming) this.#schedulePull();
  }

  /** Writes each chunk to stdin. */
  writeSequence(data: Iterable<Uint8Array>): void {
    for (const chunk of data) this.write(chunk);
  }

  /** Writes to the child's `fd`; only 0 (stdin) is a pipe we write. */
  writeToChild(fd: number, data: Uint8Array): void {
    if (fd !== 0) throw new NotSupportedError("spawnProcess", `writing to child fd ${fd}`);
    this.write(data);
  }

  /** Closes the child's stdin (EOF for the child). */
  closeStdin(): void {
    if (!this.#stdinOpen) return;
    this.#stdinOpen = false;
    this.#child.closeStdin();
    queueMicrotask(() =>
      this.#call("childConnectionLost", () => this.#protocol.childConnectionLost(0))
    );
  }

  /** Stops delivering the child's stdout. */
  closeStdout(): void {
    this.closeChildFD(1);
  }

  /** Stops delivering the child's stderr. */
  closeStderr(): void {
    this.closeChildFD(2);
  }

  /** Closes our end of `fd`: stdin is closed; stdout / stderr stop being delivered. */
  closeChildFD(fd: number): void {
    if (fd === 0) return this.closeStdin();
    if (fd !== 1 && fd !== 2) return;
    if (!this.#readOpen[fd]) return;
    this.#readOpen[fd] = false;
    this.#held = this.#held.filter(([f]) => f !== fd);
    queueMicrotask(() => {
      this.#call("childConnectionLost", () => this.#protocol.childConnectionLost(fd));
      this.#maybeEnd();
    });
  }

  /** Closes stdin, stdout and stderr (the child is not signalled). */
  loseConnection(): void {
    this.#disconnecting = true;
    this.closeStdin();
    this.closeStderr();
    this.closeStdout();
  }

  /** Kills the child with SIGKILL and closes the pipes. */
  abortConnection(): void {
    if (this.#pid !== null) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
    this.loseConnection();
  }

  /** Sends `signal` ("TERM", "KILL", "INT", "SIGHUP", ...); `ProcessExitedAlready` after exit. */
  signalProcess(signal: string | number): void {
    if (this.#pid === null) throw new ProcessExitedAlready();
    this.#child.kill(signalName(signal));
  }

  /** A process has no network address. */
  getPeer(): ProcessAddress {
    return new ProcessAddress();
  }

  /** A process has no network address. */
  getHost(): ProcessAddress {
    return new ProcessAddress();
  }

  /** Holds the child's output back until `resumeProducing`. */
  pauseProducing(): void {
    this.#paused = true;
  }

  /** Delivers held-back output and resumes delivery. */
  resumeProducing(): void {
    if (!this.#paused) return;
    this.#paused = false;
    while (!this.#paused && this.#held.length > 0) {
      const [fd, data] = this.#held.shift()!;
      if (this.#readOpen[fd]) {
        this.#call("childDataReceived", () => this.#protocol.childDataReceived(fd, data));
      }
    }
    this.#maybeEnd();
  }

  /** Closes the pipes (`loseConnection`). */
  stopProducing(): void {
    this.loseConnection();
  }

  /**
   * Registers a producer writing to stdin. The runtimes report no stdin
   * backpressure, so a streaming producer is never paused; a pull producer is
   * asked again after each write.
   */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.#producer) throw new Error("Cannot register a producer: one is already registered");
    if (this.#ended || !this.#stdinOpen) {
      producer.stopProducing();
      return;
    }
    this.#producer = producer;
    this.#isStreaming = streaming;
    if (!streaming) this.#schedulePull();
  }

  /** Unregisters the producer. */
  unregisterProducer(): void {
    this.#producer = null;
  }

  #schedulePull(): void {
    if (this.#pullScheduled) return;
    this.#pullScheduled = true;
    queueMicrotask(() => {
      this.#pullScheduled = false;
      const p = this.#producer;
      if (p && !this.#isStreaming && this.#stdinOpen) {
        this.#call("resumeProducing", () => p.resumeProducing());
      }
    });
  }
}

/**
 * `reactor.spawnProcess`: runs `executable` with `args` (Twisted's: `args[0]`
 * is the program's name, the rest are its arguments) and drives `protocol`.
 * Throws `NotSupportedError` for `usePTY`, `uid`, `gid` and non-default
 * `childFDs`; throws what `runtime.spawn` throws when the program cannot start.
 */
export function spawnProcess(
  runtime: RuntimeNetwork,
  protocol: ProcessProtocol,
  executable: string,
  args: string[] = [executable],
  options: SpawnProcessOptions = {},
): ProcessTransport {
  if (options.usePTY) {
    throw new NotSupportedError(
      runtime.name,
      "spawnProcess with usePTY",
      "no runtime adapter offers a PTY",
    );
  }
  if (options.uid !== undefined || options.gid !== undefined) {
    throw new NotSupportedError(runtime.name, "spawnProcess with uid/gid");
  }
  if (options.childFDs) {
    const fds = options.childFDs;
    const keys = Object.keys(fds).sort().join(",");
    if (keys !== "0,1,2" || fds[0] !== "w" || fds[1] !== "r" || fds[2] !== "r") {
      throw new NotSupportedError(
        runtime.name,
        `spawnProcess with childFDs ${JSON.stringify(fds)}`,
        'only {0: "w", 1: "r", 2: "r"} is supported',
      );
    }
  }
  const child = runtime.spawn({
    command: executable,
    args: args.slice(1),
    env: options.env,
    cwd: options.path,
  });
  const transport = new ProcessTransport(child, protocol, options.logger);
  transport.start();
  return transport;
}
