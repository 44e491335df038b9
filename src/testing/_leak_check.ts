/**
 * The leak check: what trial's "reactor unclean" and logged-error checks do,
 * for `node:test` on every runtime (Deno's sanitizers do not see those tests).
 *
 * A test file calls `leakCheck()` in `afterEach`; it throws a `LeakError`
 * listing what the test left behind: pending delayed calls on watched clocks
 * (every `MemoryReactorClock`, clocks passed to `watchClock`, the installed
 * reactor), connections, listening ports and processes still open (the
 * transports register themselves), whatever registered leak sources report,
 * and failures logged at level error or critical that the test
 * did not claim with `flushLoggedErrors` (which includes "Unhandled error in
 * Deferred" reports). It then cleans up, so one leaky test does not fail the
 * next ones.
 *
 * @module
 */
import type { ErrorType, Failure } from "../internet/failure.ts";
import type { IDelayedCall, IReactorTime } from "../internet/interfaces.ts";
import { getReactor } from "../internet/reactor.ts";
import { type LiveResource, liveResources } from "../internet/_live.ts";
import { globalLogPublisher, type LogEvent } from "../logger/mod.ts";

/** A source of leaks the check asks: open ports, connections, processes... */
export interface LeakSource {
  /** Names the kind of resource in the report ("listening port"). */
  readonly name: string;
  /** Describes each resource still open; empty when none is. */
  find(): string[];
  /** Closes what `find` reported, after a failed check; optional. */
  cleanUp?(): void;
}

/** Options of {@link leakCheck}. */
export interface LeakCheckOptions {
  /** More clocks (or reactors) whose pending calls count as leaks. @default [] */
  clocks?: Iterable<IReactorTime>;
  /** Check the installed reactor's delayed calls too (when one is installed). @default true */
  reactor?: boolean;
  /** Fail on open connections, listening ports and processes (the transports' registry). @default true */
  resources?: boolean;
  /** Fail on unclaimed logged failures. @default true */
  loggedErrors?: boolean;
  /** After a failed check, cancel the calls, forget the failures, clean up sources. @default true */
  cleanUp?: boolean;
}

/**
 * What `leakCheck` throws: `leaks` has one line per leftover.
 *
 * @example
 * ```ts
 * import { Clock, leakCheck, LeakError } from "@tw/core/testing";
 *
 * const clock = new Clock();
 * clock.callLater(5, () => {});
 * try {
 *   leakCheck({ clocks: [clock] });
 * } catch (e) {
 *   if (e instanceof LeakError) console.log(e.leaks.length); // 1
 * }
 * ```
 */
export class LeakError extends Error {
  /** One description per leak. */
  readonly leaks: readonly string[];
  /**
   * Makes the error.
   * @param leaks one description per leak
   */
  constructor(leaks: readonly string[]) {
    super(`The test left ${leaks.length} thing(s) behind:\n  ${leaks.join("\n  ")}`);
    this.name = "LeakError";
    this.leaks = leaks;
  }
}

// Watched clocks are held weakly: a test that never calls leakCheck must not
// keep its reactors alive. Each leakCheck forgets them (they belong to the test).
const watched = new Set<WeakRef<IReactorTime>>();
const sources = new Set<LeakSource>();
const MAX_LOGGED = 1000;
let logged: LogEvent[] = [];
// What existed when the current test started (`startLeakCheck`): not this test's leak.
let baselineResources = new WeakSet<LiveResource>();
let baselineCalls = new WeakSet<IDelayedCall>();

function collect(event: LogEvent): void {
  if (event.log_failure === undefined) return;
  if (event.log_level !== "error" && event.log_level !== "critical") return;
  logged.push(event);
  if (logged.length > MAX_LOGGED) logged.shift();
}
// Installed on import: a failure logged before the first check must still be seen.
globalLogPublisher.addObserver(collect);

/** The clocks the check looks at: watched ones, `extra`, and the installed reactor. */
function clocksToCheck(extra: Iterable<IReactorTime>, reactor: boolean): Set<IReactorTime> {
  const clocks = new Set<IReactorTime>();
  for (const ref of watched) {
    const clock = ref.deref();
    if (clock !== undefined) clocks.add(clock);
    else watched.delete(ref);
  }
  for (const clock of extra) clocks.add(clock);
  if (reactor) {
    const installed = installedReactor();
    if (installed !== undefined) clocks.add(installed);
  }
  return clocks;
}

/**
 * Marks the start of a test (call it in `beforeEach`): what is open or
 * pending now (resources, delayed calls of the watched clocks and the
 * installed reactor) belongs to earlier code and is not reported by the next
 * `leakCheck`, and failures logged so far are forgotten. Without it, a check
 * reports everything open or pending, whoever left it. Useful where test
 * files share a process (`bun test`), so one file's leftovers do not fail
 * another.
 *
 * @example
 * ```ts
 * import { beforeEach } from "node:test";
 * import { startLeakCheck } from "@tw/core/testing";
 * beforeEach(() => startLeakCheck());
 * ```
 */
export function startLeakCheck(): void {
  baselineResources = new WeakSet(liveResources());
  baselineCalls = new WeakSet();
  for (const clock of clocksToCheck([], true)) {
    for (const call of clock.getDelayedCalls()) baselineCalls.add(call);
  }
  logged = [];
}

/** The hooks of a test framework (`node:test`, `bun:test`, Deno's `@std/testing/bdd`). */
export interface TestHooks {
  /** Registers a function run before each test. */
  beforeEach(fn: () => void): unknown;
  /** Registers a function run after each test (it may return a promise). */
  afterEach(fn: () => void | Promise<void>): unknown;
}

/** Options of {@link trackLeaks}: those of {@link leakCheck}, and `settle`. */
export interface TrackLeaksOptions extends LeakCheckOptions {
  /**
   * Milliseconds to wait after each test, while connections, ports or
   * processes it opened are still open, before checking. Over real sockets
   * a close completes a moment after the peer's (the server side of a
   * connection hears the client's FIN on a later turn), so a test that
   * closed everything can still see its transports open when it ends. The
   * wait ends as soon as nothing the test opened is open; whatever is still
   * open (or pending, or logged) after it is reported as usual. 0 checks at
   * once. @default 0
   */
  settle?: number;
}

/**
 * Registers `startLeakCheck` before and `leakCheck` after each test of the
 * current file or `describe` block.
 *
 * @example
 * ```ts
 * import { afterEach, beforeEach } from "node:test";
 * import { trackLeaks } from "@tw/core/testing";
 * trackLeaks({ beforeEach, afterEach });
 * ```
 * Tests over real sockets pass `{ settle: 2000 }` (see
 * {@link TrackLeaksOptions.settle}).
 *
 * @param hooks the framework's `beforeEach` and `afterEach`
 * @param options passed to each `leakCheck`, and `settle`
 */
export function trackLeaks(hooks: TestHooks, options: TrackLeaksOptions = {}): void {
  const settle = (options.resources ?? true) ? (options.settle ?? 0) : 0;
  hooks.beforeEach(() => startLeakCheck());
  hooks.afterEach(() => {
    if (settle <= 0 || openSinceStart().length === 0) return reported(() => leakCheck(options));
    return resourcesClosed(settle).then(() => reported(() => leakCheck(options)));
  });
}

/**
 * Runs the check; a leak is thrown, and on Deno also raised as an uncaught
 * error: Deno's `node:test` ignores what an `afterEach` hook throws (2.9),
 * while an uncaught error fails the run there.
 */
function reported(check: () => void): void {
  try {
    check();
  } catch (error) {
    const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent;
    if (agent?.startsWith("Deno/")) {
      setTimeout(() => {
        throw error;
      }, 0);
    }
    throw error;
  }
}

/** The resources opened since `startLeakCheck` and still open. */
function openSinceStart(): LiveResource[] {
  return liveResources().filter((r) => !baselineResources.has(r));
}

/** Resolves once nothing opened since the test started is open, or after `ms`. */
async function resourcesClosed(ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (openSinceStart().length > 0 && Date.now() < deadline) {
    // Real time on purpose: the closes wait for the runtime's I/O, not a clock.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Makes the leak check look at `clock`'s pending calls until the next
 * `leakCheck()` (which then forgets it). `MemoryReactorClock` watches itself.
 *
 * @example
 * ```ts
 * import { Clock, leakCheck, watchClock } from "@tw/core/testing";
 *
 * const clock = new Clock();
 * watchClock(clock);
 * const call = clock.callLater(1, () => {});
 * call.cancel(); // without this, leakCheck() throws a LeakError
 * leakCheck();
 * ```
 * @param clock a `Clock`, reactor or anything with `getDelayedCalls`
 */
export function watchClock(clock: IReactorTime): void {
  watched.add(new WeakRef(clock));
}

/**
 * Adds a source of leaks (for example a registry of open ports); returns a
 * function that removes it.
 *
 * @example
 * ```ts
 * import { registerLeakSource } from "@tw/core/testing";
 *
 * const open = new Set<string>();
 * const unregister = registerLeakSource({
 *   name: "session",
 *   find: () => [...open],
 *   cleanUp: () => open.clear(),
 * });
 * // leakCheck() now reports "session: <id>" for each session left open.
 * unregister();
 * ```
 * @param source what to ask at each check
 */
export function registerLeakSource(source: LeakSource): () => void {
  sources.add(source);
  return () => {
    sources.delete(source);
  };
}

/**
 * Returns and forgets the logged failures whose error is an instance of one
 * of `types` (all of them when no type is given): trial's
 * `flushLoggedErrors`. A test that expects an error to be logged claims it
 * this way, so that `leakCheck` does not fail.
 *
 * @example
 * ```ts
 * import { flushLoggedErrors, leakCheck } from "@tw/core/testing";
 * import { Logger } from "@tw/core/logger";
 *
 * new Logger("test").failure("Request failed", new RangeError("bad length"));
 * const claimed = flushLoggedErrors(RangeError);
 * console.log(claimed[0].getErrorMessage()); // "bad length"
 * leakCheck(); // passes: the failure was claimed
 * ```
 * @param types error classes to claim
 */
export function flushLoggedErrors(...types: ErrorType[]): Failure[] {
  const taken: Failure[] = [];
  logged = logged.filter((event) => {
    const failure = event.log_failure!;
    if (types.length === 0 || failure.check(...types) !== null) {
      taken.push(failure);
      return false;
    }
    return true;
  });
  return taken;
}

/**
 * The logged failures not yet claimed, as log events (a copy).
 *
 * @example
 * ```ts
 * import { flushLoggedErrors, loggedErrors } from "@tw/core/testing";
 * import { Logger } from "@tw/core/logger";
 *
 * new Logger("test").failure("Lost a message", new Error("queue full"));
 * console.log(loggedErrors().at(-1)?.log_format); // "Lost a message"
 * flushLoggedErrors();
 * ```
 */
export function loggedErrors(): LogEvent[] {
  return [...logged];
}

function describeCall(call: IDelayedCall): string {
  const text = String(call);
  return text === "[object Object]" ? `a call due at ${call.getTime()}` : text;
}

function installedReactor(): IReactorTime | undefined {
  try {
    return getReactor();
  } catch {
    return undefined; // None installed: nothing to check.
  }
}

/**
 * Fails the test if it left anything behind (see the module documentation).
 * Call it in `afterEach`.
 *
 * @example
 * ```ts
 * import { leakCheck, MemoryReactorClock } from "@tw/core/testing";
 *
 * // In a test file: afterEach(() => leakCheck());
 * const reactor = new MemoryReactorClock();
 * reactor.callLater(5, () => {}).cancel();
 * leakCheck(); // passes: the test left nothing behind
 * ```
 * @throws {LeakError} listing the leftovers
 */
export function leakCheck(options: LeakCheckOptions = {}): void {
  const clocks = clocksToCheck(options.clocks ?? [], options.reactor ?? true);
  // The watched clocks belong to the test that just ended.
  watched.clear();

  const leaks: string[] = [];
  const pending: IDelayedCall[] = [];
  for (const clock of clocks) {
    for (const call of clock.getDelayedCalls()) {
      if (!call.active() || baselineCalls.has(call)) continue;
      pending.push(call);
      leaks.push(`pending delayed call: ${describeCall(call)}`);
    }
  }
  const open: LiveResource[] = (options.resources ?? true) ? openSinceStart() : [];
  for (const resource of open) {
    leaks.push(`${resource.resourceKind}: ${resource.describeResource()}`);
  }
  const leaky: LeakSource[] = [];
  for (const source of sources) {
    const found = source.find();
    if (found.length > 0) leaky.push(source);
    for (const item of found) leaks.push(`${source.name}: ${item}`);
  }
  const failures = (options.loggedErrors ?? true) ? logged : [];
  for (const event of failures) {
    leaks.push(`logged error: ${event.log_format} ${String(event.log_failure)}`);
  }
  if (leaks.length === 0) return;
  if (options.cleanUp ?? true) {
    for (const call of pending) {
      try {
        call.cancel();
      } catch {
        // Already run or cancelled by another leftover: nothing to undo.
      }
    }
    for (const resource of open) {
      try {
        resource.closeResource();
      } catch {
        // Closing a leftover is best effort: the report above already names it.
      }
    }
    if (options.loggedErrors ?? true) logged = [];
    for (const source of leaky) source.cleanUp?.();
    // A leftover may take a while to close: report it once, not in every later test.
    for (const resource of open) baselineResources.add(resource);
  }
  throw new LeakError(leaks);
}

/**
 * Runs the garbage collector when the runtime exposes it (`globalThis.gc`:
 * Node with `--expose-gc`, Deno with `--v8-flags=--expose-gc`), then waits
 * one turn of the event loop so that Deferreds collected with an unhandled
 * failure are reported before `leakCheck` looks. Without `gc`, only waits.
 *
 * @example
 * ```ts
 * import { afterEach } from "node:test";
 * import { collectGarbage, leakCheck } from "@tw/core/testing";
 *
 * afterEach(async () => {
 *   await collectGarbage();
 *   leakCheck();
 * });
 * ```
 */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") gc();
  // Finalization callbacks run as tasks after a collection: let them run.
  await new Promise((resolve) => setTimeout(resolve, 0));
}
