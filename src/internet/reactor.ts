/**
 * The reactor's runtime-free core: time (`callLater`, `seconds`), `run` /
 * `stop`, system event triggers and signal handling. It runs on the runtime's
 * own event loop: delayed calls (and, later, listeners and connections) work
 * without `run()`; `run()` only keeps the process alive until `stop()` and runs
 * the startup and shutdown triggers.
 *
 * Constructing a `Reactor` starts nothing: no timer exists until a call is
 * pending, and the keep-alive interval only while `run()` is running.
 *
 * @example
 * ```ts
 * import { Reactor } from "@tw/core";
 * import { runtime } from "@tw/core/runtimes/node";
 *
 * const reactor = new Reactor(runtime);
 * reactor.callLater(0.01, () => reactor.stop());
 * await reactor.run();
 * ```
 * @module
 */
import { checkDelay, DelayedCall, DelayedCallQueue } from "./_delayed_call.ts";
import { ReactorAlreadyRunning, ReactorNotRunning } from "./error.ts";
import type { IDelayedCall, IReactorTime } from "./interfaces.ts";
import type { Runtime } from "./socket.ts";
import { Logger } from "../logger/_publisher.ts";
import { Deferred } from "./defer.ts";
import { liveResources } from "./_live.ts";
import type {
  AddressFamily,
  ConnectTCPOptions,
  ConnectUNIXOptions,
  IHostnameResolver,
  IProtocolFactory,
  IReactorPluggableResolver,
  IReactorProcess,
  IReactorResolve,
  IReactorSocket,
  IReactorSSL,
  IReactorTCP,
  IReactorUDP,
  IReactorUNIX,
  ListenMulticastOptions,
  ListenTCPOptions,
  ListenUDPOptions,
  ListenUNIXOptions,
  SpawnProcessOptions,
} from "./interfaces.ts";
import type { TlsOptions } from "./socket.ts";
import type { DatagramProtocol, ProcessProtocol } from "./protocol.ts";
import * as tcp from "./tcp.ts";
import type { Connector, Port } from "./tcp.ts";
import * as udp from "./udp.ts";
import type { UDPPort } from "./udp.ts";
import { type ProcessTransport, spawnProcess } from "./process.ts";

/** The phase of a system event a trigger runs in. */
export type SystemEventPhase = "before" | "during" | "after";

/** A system event: "startup", "shutdown", or any name passed to `fireSystemEvent`. */
export type SystemEventType = "startup" | "shutdown" | (string & Record<never, never>);

/** Identifies a trigger for `removeSystemEventTrigger`. */
export type SystemEventTriggerId = number;

/** The reactor's lifecycle (`IReactorCore`): what `react()` and services need. */
export interface IReactorCore {
  /** True between the end of the "during startup" phase and the start of "during shutdown". */
  readonly running: boolean;
  /** Runs until `stop()` has finished the shutdown sequence. */
  run(): Promise<void>;
  /** Starts the shutdown sequence. */
  stop(): void;
  /** Runs `fn(...args)` now if running, otherwise once startup completes. */
  callWhenRunning<A extends unknown[]>(
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTriggerId | undefined;
  /** Adds a trigger run in `phase` of `eventType`; returns its id. */
  addSystemEventTrigger<A extends unknown[]>(
    phase: SystemEventPhase,
    eventType: SystemEventType,
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTriggerId;
  /** Removes a trigger added by `addSystemEventTrigger`. */
  removeSystemEventTrigger(id: SystemEventTriggerId): void;
  /** Fires every trigger of `eventType`, phase by phase. */
  fireSystemEvent(eventType: SystemEventType): Promise<void>;
}

/** The longest delay `setTimeout` accepts (2^31 - 1 ms); longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The keep-alive interval's period: any long value; it never does anything. */
const KEEP_ALIVE_MS = 2 ** 30;
const PHASES: readonly SystemEventPhase[] = ["before", "during", "after"];
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

type Timer = ReturnType<typeof setTimeout>;
type Interval = ReturnType<typeof setInterval>;

interface Trigger {
  id: SystemEventTriggerId;
  phase: SystemEventPhase;
  eventType: string;
  fn: (...args: unknown[]) => unknown;
  args: unknown[];
}

const log = new Logger("reactor");

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

// Read once, on first use: it is fixed for the process and the property is
// slow on some engines; and on Node, touching `performance` loads perf_hooks,
// which importing the reactor should not pay.
let timeOrigin: number | undefined;

/** Wall-clock seconds from the monotonic clock, so time never runs backwards. */
function wallSeconds(): number {
  return ((timeOrigin ??= performance.timeOrigin) + performance.now()) / 1000;
}

/**
 * The reactor: one per process, for the runtime it was built on (see
 * `runtimes/select.ts` for the `reactor` chosen automatically).
 *
 * Network methods (`listenTCP`, `connectTCP`, `listenUNIX`, `spawnProcess`, ...)
 * delegate to their own modules, which reach the runtime through `reactor.runtime`.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 *
 * // `reactor` is the Reactor for the runtime this code runs on.
 * reactor.callWhenRunning(() => console.log("running")); // running
 * reactor.callLater(0.01, () => reactor.stop());
 * await reactor.run(); // returns once stop() has run the shutdown triggers
 * ```
 */
export class Reactor
  implements
    IReactorTime,
    IReactorCore,
    IReactorTCP,
    IReactorSSL,
    IReactorUNIX,
    IReactorSocket,
    IReactorUDP,
    IReactorProcess,
    IReactorResolve,
    IReactorPluggableResolver {
  /** The runtime adapter this reactor drives: its sockets, processes and signals. */
  readonly runtime: Runtime;

  #calls = new DelayedCallQueue();
  #resolver: IHostnameResolver | null = null;
  /** Calls scheduled while due calls are running: they wait for the next pass. */
  #newCalls: DelayedCall[] = [];
  #runningCalls = false;
  #timer: Timer | undefined;
  #timerAt = Infinity;

  #triggers = new Map<string, Trigger[]>();
  #triggerIds = new Map<SystemEventTriggerId, Trigger>();
  #nextTriggerId = 1;

  #started = false;
  #running = false;
  #stopping = false;
  #keepAlive: Interval | undefined;
  #removeSignalHandlers: (() => void)[] = [];
  #finished: (() => void) | undefined;
  /** An error nothing handled (a failed listen): `run()` stops and rejects with it. */
  #fatal: Error | undefined;

  #owner = {
    seconds: (): number => this.seconds(),
    cancelled: (call: DelayedCall): void => this.#forget(call),
    rescheduled: (call: DelayedCall): void => {
      this.#calls.update(call);
      this.#arm();
    },
  };

  /**
   * Creates a reactor over `runtime`. Starts nothing.
   * @param runtime the adapter for Deno, Bun, Node or a fake in tests
   */
  constructor(runtime: Runtime) {
    this.runtime = runtime;
  }

  // ---- IReactorTime ---------------------------------------------------------

  /** Wall-clock seconds since the epoch (monotonic within the process). */
  seconds(): number {
    return wallSeconds();
  }

  /**
   * Runs `fn(...args)` after `delay` seconds. A pending call keeps the process
   * alive; cancelling it releases its timer. An exception thrown by `fn` is
   * logged under the "reactor" namespace, never thrown into the event loop.
   */
  callLater<A extends unknown[]>(
    delay: number,
    fn: (...args: A) => unknown,
    ...args: A
  ): IDelayedCall {
    checkDelay(delay);
    const call = new DelayedCall(this.seconds() + delay, fn, args, this.#owner);
    if (this.#runningCalls) this.#newCalls.push(call);
    else this.#calls.add(call);
    this.#arm();
    return call;
  }

  /** The pending delayed calls. */
  getDelayedCalls(): IDelayedCall[] {
    return [...this.#calls.toArray(), ...this.#newCalls];
  }

  #forget(call: DelayedCall): void {
    if (!this.#calls.remove(call)) {
      const i = this.#newCalls.indexOf(call);
      if (i >= 0) this.#newCalls.splice(i, 1);
    }
    this.#arm();
  }

  /** Makes the one timer fire at the earliest pending call, or clears it when none is. */
  #arm(): void {
    if (this.#runningCalls) return; // #runUntilCurrent re-arms when it finishes.
    const next = this.#calls.peek();
    const at = next === undefined ? Infinity : next.getTime();
    if (at === this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === Infinity) return;
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil((at - this.seconds()) * 1000)));
    this.#timer = setTimeout(this.#onTimer, ms);
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#runUntilCurrent();
  };

  /** Runs every call due now, in time order; calls added meanwhile wait for the next pass. */
  #runUntilCurrent(): void {
    this.#runningCalls = true;
    try {
      const now = this.seconds();
      for (;;) {
        const call = this.#calls.peek();
        if (call === undefined || call.getTime() > now) break;
        this.#calls.pop();
        try {
          call.invoke();
        } catch (error) {
          log.failure("Unhandled error in delayed call {call}", error, "critical", {
            call: String(call),
          });
        }
      }
    } finally {
      this.#runningCalls = false;
      for (const call of this.#newCalls.splice(0)) this.#calls.add(call);
      this.#arm();
    }
  }

  // ---- IReactorCore ---------------------------------------------------------

  /** True from the end of "during startup" until "during shutdown" begins. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Runs the reactor: installs SIGINT / SIGTERM handlers that stop it
   * gracefully, fires "startup", and keeps the process alive until `stop()`
   * has finished the shutdown sequence, when the returned Promise resolves.
   * Throws `ReactorAlreadyRunning` if called again before then. A reactor
   * may be run again after it has stopped.
   */
  run(): Promise<void> {
    if (this.#started) throw new ReactorAlreadyRunning();
    this.#started = true;
    this.#stopping = false;
    const done = new Promise<void>((resolve, reject) => {
      this.#finished = () => {
        const fatal = this.#fatal;
        this.#fatal = undefined;
        if (fatal === undefined) resolve();
        else reject(fatal);
      };
    });
    // A ref'ed interval is what keeps the runtime's loop (and the process) alive.
    this.#keepAlive = setInterval(() => {}, KEEP_ALIVE_MS);
    this.#installSignalHandlers();
    // "during startup" flips `running` first, as Twisted's own trigger does.
    this.#fire("startup", () => {
      this.#running = !this.#stopping;
    });
    // A listen that failed unhandled before run(): stop with it at once.
    if (this.#fatal !== undefined && !this.#stopping) this.stop();
    return done;
  }

  /**
   * Stops the reactor because of `error`, which nothing handled (a port's
   * failed bind with no `whenListening()` errback): `run()` then rejects with
   * it, so the program ends with the error printed and a non-zero exit code,
   * as Twisted's `listenTCP` raising would. Before `run()`, the error is
   * logged as critical and kept until `run()` is called.
   */
  #stopWithError(error: Error): void {
    this.#fatal ??= error;
    if (!this.#started) {
      log.failure("{message}", error, "critical", { message: error.message });
      return;
    }
    if (!this.#stopping) this.stop();
  }

  #portOptions<O extends object>(options: O | undefined): O & tcp.PortOptions {
    return { onUnhandledError: (error: Error) => this.#stopWithError(error), ...options } as
      & O
      & tcp.PortOptions;
  }

  /**
   * Starts the graceful shutdown: on the next turn of the loop, fires
   * "shutdown" (waiting for Deferreds / Promises returned by "before"
   * triggers), then lets `run()` return. Throws `ReactorNotRunning` when the
   * reactor is not running or is already stopping.
   */
  stop(): void {
    if (!this.#started || this.#stopping) throw new ReactorNotRunning();
    this.#stopping = true;
    // As Twisted, shutdown starts on the next iteration, not inside stop().
    setTimeout(() => this.#shutdown(), 0);
  }

  #shutdown(): void {
    this.#fire("shutdown", () => {
      this.#running = false;
      disconnectAll();
    }, () => {
      for (const remove of this.#removeSignalHandlers.splice(0)) remove();
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
      this.#started = false;
      const finished = this.#finished;
      this.#finished = undefined;
      finished?.();
    });
  }

  #installSignalHandlers(): void {
    for (const signal of SIGNALS) {
      try {
        const remove = this.runtime.onSignal(signal, () => this.#onSignal(signal));
        this.#removeSignalHandlers.push(remove);
      } catch (error) {
        // Some platforms cannot watch some signals (SIGTERM on Windows): run anyway.
        log.failure("Cannot install a {signal} handler", error, "warn", { signal });
      }
    }
  }

  #onSignal(signal: string): void {
    if (this.#stopping) {
      // A second signal while shutdown hangs: the user insists, so leave now.
      log.warn("Received {signal} during shutdown: exiting immediately", { signal });
      this.runtime.exit(1);
      return;
    }
    log.info("Received {signal}, shutting down", { signal });
    this.stop();
  }

  /**
   * Runs `fn(...args)` now if the reactor is running; otherwise adds it as an
   * "after startup" trigger and returns the trigger's id.
   */
  callWhenRunning<A extends unknown[]>(
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTriggerId | undefined {
    if (this.#running) {
      fn(...args);
      return undefined;
    }
    return this.addSystemEventTrigger("after", "startup", fn, ...args);
  }

  // ---- system events --------------------------------------------------------

  /**
   * Adds `fn(...args)` to run in `phase` of `eventType`. Triggers run once,
   * when the event next fires. A "before" trigger may return a Deferred or a
   * Promise: the "during" and "after" phases wait until all of them settle.
   * Errors thrown by triggers are logged, and the event carries on.
   * @returns an id for `removeSystemEventTrigger`
   */
  addSystemEventTrigger<A extends unknown[]>(
    phase: SystemEventPhase,
    eventType: SystemEventType,
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTriggerId {
    if (!PHASES.includes(phase)) {
      throw new RangeError(`Invalid trigger phase: ${phase} (expected before, during or after)`);
    }
    if (typeof fn !== "function") throw new TypeError("A system event trigger must be a function");
    const trigger: Trigger = {
      id: this.#nextTriggerId++,
      phase,
      eventType,
      fn: fn as (...args: unknown[]) => unknown,
      args,
    };
    this.#triggerIds.set(trigger.id, trigger);
    const key = `${phase}:${eventType}`;
    const list = this.#triggers.get(key);
    if (list) list.push(trigger);
    else this.#triggers.set(key, [trigger]);
    return trigger.id;
  }

  /** Removes a pending trigger; throws RangeError for an unknown or already run id. */
  removeSystemEventTrigger(id: SystemEventTriggerId): void {
    const trigger = this.#triggerIds.get(id);
    if (trigger === undefined) throw new RangeError(`No pending system event trigger ${id}`);
    this.#triggerIds.delete(id);
    const key = `${trigger.phase}:${trigger.eventType}`;
    const list = this.#triggers.get(key)!;
    list.splice(list.indexOf(trigger), 1);
  }

  /**
   * Fires `eventType`: its "before" triggers, then (once every Deferred or
   * Promise they returned has settled) its "during" and "after" triggers.
   * Runs synchronously when no "before" trigger returned one. The Promise
   * resolves when the last phase has run; it never rejects.
   */
  fireSystemEvent(eventType: SystemEventType): Promise<void> {
    return new Promise((resolve) => this.#fire(eventType, undefined, resolve));
  }

  /** Fires an event; `duringFirst` runs before the "during" triggers, `done` after "after". */
  #fire(eventType: string, duringFirst?: () => void, done?: () => void): void {
    const waits: PromiseLike<unknown>[] = [];
    for (const trigger of this.#take("before", eventType)) {
      const result = this.#runTrigger(trigger);
      if (isThenable(result)) waits.push(result);
    }
    const rest = (): void => {
      duringFirst?.();
      for (const phase of ["during", "after"] as const) {
        for (const trigger of this.#take(phase, eventType)) this.#runTrigger(trigger);
      }
      done?.();
    };
    if (waits.length === 0) return rest();
    const settle = waits.map((wait) =>
      Promise.resolve(wait).then(undefined, (error) => {
        log.failure("Error in a 'before {event}' trigger", error, "critical", { event: eventType });
      })
    );
    Promise.all(settle).then(rest);
  }

  /**
   * Yields the triggers of one phase in order and consumes them, including
   * triggers added to that phase while it runs (as Twisted's `_ThreePhaseEvent`).
   */
  *#take(phase: SystemEventPhase, eventType: string): Generator<Trigger> {
    const list = this.#triggers.get(`${phase}:${eventType}`);
    if (list === undefined) return;
    while (list.length > 0) {
      const trigger = list.shift()!;
      this.#triggerIds.delete(trigger.id);
      yield trigger;
    }
  }

  #runTrigger(trigger: Trigger): unknown {
    try {
      return trigger.fn(...trigger.args);
    } catch (error) {
      log.failure("Error in a '{phase} {event}' trigger", error, "critical", {
        phase: trigger.phase,
        event: trigger.eventType,
      });
      return undefined;
    }
  }

  // ---- network, processes, workers -------------------------------------------
  // Each method delegates to its module (tcp.ts, udp.ts, process.ts), which
  // gets the runtime and this reactor's clock.

  /**
   * Listens for TCP connections on `port` (0 for a free one) on every
   * interface, or on `options.interface`.
   *
   * Unlike Twisted's, the bind is asynchronous (no JavaScript runtime binds
   * synchronously): the `Port` comes back at once and is bound a moment later.
   * `await port.whenListening()` waits for the bind and throws
   * `CannotListenError` when it fails (address in use, permission denied);
   * `port.getHost()` gives the bound port after that. A failure nothing
   * handles stops `reactor.run()` with the error, so it is never silent.
   * A port number outside 0-65535 throws `RangeError` here.
   *
   * @example
   * ```ts
   * import { Factory, Protocol, reactor } from "@tw/core";
   * const port = reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
   * await port.whenListening(); // throws CannotListenError if the bind failed
   * console.log(port.getHost()); // IPv4Address(TCP, '127.0.0.1', 41234)
   * await port.stopListening();
   * ```
   */
  listenTCP(port: number, factory: IProtocolFactory, options?: ListenTCPOptions): Port {
    return tcp.listenTCP(this.runtime, port, factory, this.#portOptions(options));
  }

  /** Connects to `host:port` over TCP; `factory` is usually a `ClientFactory`. */
  connectTCP(
    host: string,
    port: number,
    factory: IProtocolFactory,
    options?: ConnectTCPOptions,
  ): Connector {
    return tcp.connectTCP(this.runtime, this, host, port, factory, this.#connectOptions(options));
  }

  /** Listens for TLS connections on `port` with the certificate and key in `tls`. */
  listenSSL(
    port: number,
    factory: IProtocolFactory,
    tls: TlsOptions,
    options?: ListenTCPOptions,
  ): Port {
    return tcp.listenSSL(this.runtime, port, factory, tls, this.#portOptions(options));
  }

  /** Connects to `host:port` over TLS (certificate verification on by default). */
  connectSSL(
    host: string,
    port: number,
    factory: IProtocolFactory,
    tls: TlsOptions = {},
    options?: ConnectTCPOptions,
  ): Connector {
    return tcp.connectSSL(
      this.runtime,
      this,
      host,
      port,
      factory,
      tls,
      this.#connectOptions(options),
    );
  }

  /**
   * Serves `factory` on an already-listening socket (its file descriptor):
   * systemd socket activation, or a socket a parent process passed down.
   */
  adoptStreamPort(
    fileDescriptor: number,
    addressFamily: AddressFamily,
    factory: IProtocolFactory,
  ): Port {
    return tcp.adoptStreamPort(
      this.runtime,
      fileDescriptor,
      addressFamily,
      factory,
      this.#portOptions<object>(undefined),
    );
  }

  /** Listens on the Unix socket file `address`. */
  listenUNIX(address: string, factory: IProtocolFactory, options?: ListenUNIXOptions): Port {
    return tcp.listenUNIX(this.runtime, address, factory, this.#portOptions(options));
  }

  /** Connects to the Unix socket file `address`. */
  connectUNIX(address: string, factory: IProtocolFactory, options?: ConnectUNIXOptions): Connector {
    return tcp.connectUNIX(this.runtime, this, address, factory, options);
  }

  /** Binds a UDP port for `protocol`; the returned port is the protocol's transport. */
  listenUDP(port: number, protocol: DatagramProtocol, options?: ListenUDPOptions): UDPPort {
    return udp.listenUDP(this.runtime, port, protocol, options);
  }

  /** `listenUDP` for multicast use (`joinGroup`, `setTTL`...), optionally sharing the port. */
  listenMulticast(
    port: number,
    protocol: DatagramProtocol,
    options?: ListenMulticastOptions,
  ): UDPPort {
    return udp.listenMulticast(this.runtime, port, protocol, options);
  }

  /**
   * Starts `executable` with `args` (`args[0]` is the program's name, as in
   * Twisted) and connects its stdio to `protocol`.
   */
  spawnProcess(
    protocol: ProcessProtocol,
    executable: string,
    args?: string[],
    options?: SpawnProcessOptions,
  ): ProcessTransport {
    return spawnProcess(this.runtime, protocol, executable, args, options);
  }

  /** Resolves `name` to its IP addresses; fails with `DNSLookupError`. */
  resolve(name: string): Deferred<string[]> {
    return tcp.resolve(this.runtime, name, this.#resolver);
  }

  /**
   * Resolves host names with `resolver` from now on (`resolve`, `connectTCP`
   * and `connectSSL` by name, `HostnameEndpoint`); null restores the
   * runtime's lookup. Returns the resolver replaced (null for the runtime's).
   *
   * @example
   * ```ts
   * import { reactor } from "@tw/core";
   *
   * const previous = reactor.installResolver({
   *   resolveHostName: async () => [{ address: "127.0.0.1", family: 4 as const }],
   * });
   * console.log(await reactor.resolve("anything.test")); // ["127.0.0.1"]
   * reactor.installResolver(previous);
   * ```
   */
  installResolver(resolver: IHostnameResolver | null): IHostnameResolver | null {
    const previous = this.#resolver;
    this.#resolver = resolver;
    return previous;
  }

  #connectOptions(options: ConnectTCPOptions | undefined): ConnectTCPOptions & {
    resolver?: IHostnameResolver | null;
  } {
    return this.#resolver ? { ...options, resolver: this.#resolver } : options ?? {};
  }

  /**
   * Runs the function exported as `exportName` by the module at `moduleURL` in
   * a worker with `args` (Twisted's `deferToThread`): fires with its (awaited)
   * result, or fails with its error. Arguments and result must be cloneable.
   */
  deferToWorker<T = unknown>(
    moduleURL: string | URL,
    exportName: string,
    ...args: unknown[]
  ): Deferred<T> {
    return Deferred.fromPromise(
      this.runtime.runInWorker(String(moduleURL), exportName, args) as Promise<T>,
    );
  }
}

/**
 * Twisted's `disconnectAll`, run as shutdown starts: stops every listening
 * port and drops every open connection, so nothing keeps the process alive
 * once `run()` returns. Child processes are left running, as in Twisted.
 */
function disconnectAll(): void {
  for (const resource of liveResources()) {
    if (resource.resourceKind === "process") continue;
    try {
      resource.closeResource();
    } catch (error) {
      log.failure("Error closing {resource} at shutdown", error, "error", {
        resource: resource.describeResource(),
      });
    }
  }
}

let installed: Reactor | undefined;

/**
 * Installs the process-wide reactor that `getReactor()` returns (and which
 * `LoopingCall`, `cooperate` and `react` use when given no clock or reactor).
 * `runtimes/select.ts` installs the automatically selected reactor when it is
 * imported (importing `@tw/core` does that); installing again replaces it.
 *
 * @example
 * ```ts
 * import { getReactor, installReactor, Reactor } from "@tw/core";
 * import { runtime } from "@tw/core/runtimes/node";
 *
 * const previous = getReactor();
 * const reactor = new Reactor(runtime); // a reactor on the node adapter
 * installReactor(reactor); // LoopingCall, cooperate and react now use it by default
 * console.log(getReactor() === reactor); // true
 * installReactor(previous);
 * ```
 */
export function installReactor(reactor: Reactor): void {
  installed = reactor;
}

/**
 * Returns the reactor installed by `installReactor` (normally by importing
 * `@tw/core`). Throws when none has been installed yet.
 *
 * @example
 * ```ts
 * import { getReactor, reactor } from "@tw/core";
 * console.log(getReactor() === reactor); // true: importing "@tw/core" installed it
 * ```
 */
export function getReactor(): Reactor {
  if (installed === undefined) {
    throw new TypeError(
      'No reactor installed: import "@tw/core" (or an adapter and call installReactor)',
    );
  }
  return installed;
}
