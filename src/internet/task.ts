/**
 * Scheduling utilities (`twisted.internet.task`): `Clock` for deterministic
 * time in tests, `LoopingCall` for repeated calls, `deferLater`, `react` (a
 * program's entry point), and `Cooperator` / `cooperate` for long jobs that
 * must not block the event loop.
 *
 * Where a clock is optional (`LoopingCall.clock`, `Cooperator`, `cooperate`,
 * `react`), the default is the process-wide reactor installed by importing
 * `@tw/core` (see `getReactor`), looked up only when first needed.
 *
 * @example
 * ```ts
 * import { Clock, LoopingCall } from "@tw/core/task";
 *
 * const clock = new Clock();
 * let ticks = 0;
 * const loop = new LoopingCall(() => ticks++);
 * loop.clock = clock;
 * loop.start(1);
 * clock.pump([1, 1, 1]);
 * loop.stop();
 * console.log(ticks); // 4
 * ```
 * @module
 */
// Importing this entry point alone installs the reactor its defaults use
// (`getReactor()`), as Twisted's `from twisted.internet import reactor` does.
import "../../runtimes/select.ts";
import { Deferred, maybeDeferred } from "./defer.ts";
import { Failure } from "./failure.ts";
import { ReactorNotRunning } from "./error.ts";
import type { IDelayedCall, IReactorTime } from "./interfaces.ts";
import { getReactor, type Reactor } from "./reactor.ts";

export { Clock } from "./_clock.ts";

// ---- LoopingCall --------------------------------------------------------------

/**
 * Calls a function repeatedly, every `interval` seconds
 * (`twisted.internet.task.LoopingCall`).
 *
 * Calls are aligned to multiples of the interval from the start time: when the
 * function (or the Deferred / Promise it returns) takes longer than an
 * interval, or the clock jumps, the missed intervals are skipped, not run in
 * a burst. `LoopingCall.withCount` tells the function how many passed.
 *
 * @example
 * ```ts
 * import { Clock, LoopingCall } from "@tw/core/task";
 * const clock = new Clock();
 * const loop = LoopingCall.withCount((n) => console.log(`${n} interval(s)`));
 * loop.clock = clock;
 * loop.start(1, false);
 * clock.advance(3); // "3 interval(s)"
 * loop.stop();
 * ```
 */
export class LoopingCall {
  /** The function called on each iteration. */
  readonly f: (...args: unknown[]) => unknown;
  /** Its arguments. */
  readonly args: unknown[];
  /** The interval in seconds, once started. */
  interval: number | undefined = undefined;
  /** The clock time at which `start` was last called (or `reset`). */
  starttime: number | undefined = undefined;

  #clock: IReactorTime | undefined;
  #running = false;
  #call: IDelayedCall | undefined;
  #deferred: Deferred<LoopingCall> | undefined;
  #runAtStart = false;
  #realLastTime: number | undefined;

  /**
   * Creates a stopped loop; `start` runs it.
   * @param fn the function to call; it may return a Deferred or a Promise,
   *   which is waited for before the next call is scheduled
   * @param args its arguments
   */
  constructor(fn: (...args: never[]) => unknown, ...args: unknown[]) {
    this.f = fn as (...args: unknown[]) => unknown;
    this.args = args;
  }

  /**
   * The clock that schedules the calls: settable (a `Clock` in tests); by
   * default the installed reactor, looked up when first used.
   */
  get clock(): IReactorTime {
    return this.#clock ??= getReactor();
  }
  set clock(clock: IReactorTime) {
    this.#clock = clock;
  }

  /** True between `start` and `stop` (or a failure). */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Makes a LoopingCall whose function receives the number of intervals
   * elapsed since its last call (1 normally; more when the clock jumped or
   * a call ran long; always 1 with interval 0).
   */
  static withCount(countCallable: (count: number) => unknown): LoopingCall {
    const loop: LoopingCall = new LoopingCall(() => {
      const now = loop.clock.seconds();
      const interval = loop.interval!;
      if (interval === 0) {
        loop.#realLastTime = now;
        return countCallable(1);
      }
      let lastTime = loop.#realLastTime;
      if (lastTime === undefined) {
        lastTime = loop.starttime!;
        if (loop.#runAtStart) lastTime -= interval;
      }
      const count = loop.#intervalOf(now) - loop.#intervalOf(lastTime);
      if (count > 0) {
        loop.#realLastTime = now;
        return countCallable(count);
      }
      return undefined;
    });
    return loop;
  }

  /**
   * Starts calling every `interval` seconds.
   * @param interval seconds between calls, >= 0
   * @param now call once immediately (default) rather than after the first interval
   * @returns a Deferred that fires with this LoopingCall when `stop` is called,
   *   or fails (and the loop stops) when the function throws or its result fails
   */
  start(interval: number, now = true): Deferred<LoopingCall> {
    if (this.#running) throw new TypeError("Tried to start an already running LoopingCall");
    if (typeof interval !== "number" || !(interval >= 0) || interval === Infinity) {
      throw new RangeError(`Invalid interval: ${interval} (expected a finite number >= 0)`);
    }
    this.#running = true;
    const deferred = this.#deferred = new Deferred<LoopingCall>();
    this.starttime = this.clock.seconds();
    this.interval = interval;
    this.#runAtStart = now;
    this.#realLastTime = undefined;
    if (now) this.#iterate();
    else this.#scheduleFrom(this.starttime);
    return deferred;
  }

  /**
   * Stops the loop; the Deferred from `start` fires (at once, or when a
   * pending result of the function arrives). Throws when not running.
   */
  stop(): void {
    if (!this.#running) throw new TypeError("Tried to stop a LoopingCall that was not running");
    this.#running = false;
    if (this.#call !== undefined) {
      this.#call.cancel();
      this.#call = undefined;
      this.#finish()?.callback(this);
    }
  }

  /** Restarts the interval count from now: the next call is one interval away. */
  reset(): void {
    if (!this.#running) throw new TypeError("Tried to reset a LoopingCall that was not running");
    if (this.#call !== undefined) {
      this.#call.cancel();
      this.#call = undefined;
      this.starttime = this.clock.seconds();
      this.#scheduleFrom(this.starttime);
    }
  }

  /** Describes the loop, for logs. */
  toString(): string {
    return `LoopingCall<${this.interval}>(${this.f.name || "anonymous"})`;
  }

  #finish(): Deferred<LoopingCall> | undefined {
    const d = this.#deferred;
    this.#deferred = undefined;
    return d;
  }

  #iterate = (): void => {
    this.#call = undefined;
    const d = maybeDeferred(this.f, ...this.args);
    d.addCallbacks(
      () => {
        if (this.#running) this.#scheduleFrom(this.clock.seconds());
        else this.#finish()?.callback(this);
        return null;
      },
      (failure: Failure) => {
        this.#running = false;
        this.#finish()?.errback(failure);
        return null;
      },
    );
  };

  /** Schedules the next call at the next interval boundary after `when`. */
  #scheduleFrom(when: number): void {
    const interval = this.interval!;
    let delay = 0;
    if (interval > 0) {
      const runningFor = when - this.starttime!;
      delay = interval - (runningFor % interval);
      // Float rounding can make the step vanish; never schedule "now" again.
      if (when === when + delay) delay = interval;
    }
    this.#call = this.clock.callLater(delay, this.#iterate);
  }

  #intervalOf(t: number): number {
    return Math.trunc((t - this.starttime!) / this.interval!);
  }
}

// ---- deferLater ---------------------------------------------------------------

/**
 * Returns a Deferred that fires with `fn(...args)` (or null without `fn`)
 * after `delay` seconds on `clock`. Cancelling it cancels the delayed call:
 * it fails with `CancelledError` and `fn` never runs.
 *
 * @example
 * ```ts
 * import { Clock, deferLater } from "@tw/core/task";
 * const clock = new Clock();
 * const d = deferLater(clock, 2, (x: number) => x * 2, 21);
 * clock.advance(2);
 * console.log(await d); // 42
 * ```
 */
export function deferLater<T = null, A extends unknown[] = []>(
  clock: IReactorTime,
  delay: number,
  fn?: (...args: A) => T | PromiseLike<T>,
  ...args: A
): Deferred<T> {
  // As Twisted: the timer fires a Deferred whose callback calls `fn`, so a
  // cancel before the delay cancels the timer, and a cancel while a Deferred
  // returned by `fn` is pending cancels that one.
  const d = new Deferred<null>(() => {
    if (call.active()) call.cancel();
  });
  const call = clock.callLater(delay, () => d.callback(null));
  if (fn === undefined) return d as Deferred<unknown> as Deferred<T>;
  return d.addCallback(() => fn(...args));
}

// ---- react --------------------------------------------------------------------

/**
 * Runs a program on the reactor (`twisted.internet.task.react`): calls
 * `main(reactor, ...argv)`, runs the reactor until the value it returns (a
 * Deferred, a Promise or a plain value) settles, stops the reactor, then ends
 * the process through `reactor.runtime.exit`: code 0 on success; on failure,
 * code 1 after printing the failure's traceback to stderr. Stopping the
 * reactor otherwise (SIGINT) exits with 0. The returned Promise only settles
 * if `exit` returns (a fake runtime in tests).
 *
 * @param main the program; receives the reactor and `argv`
 * @param argv arguments passed after the reactor @default []
 * @param reactor the reactor to run @default the installed reactor
 *
 * @example
 * ```ts ignore
 * import { react } from "@tw/core/task";
 * await react(async (reactor) => {
 *   console.log("running on", reactor.runtime.name);
 * });
 * ```
 */
export async function react<A extends unknown[]>(
  main: (reactor: Reactor, ...argv: A) => unknown,
  argv?: A,
  reactor?: Reactor,
): Promise<void> {
  const r = reactor ?? getReactor();
  let code = 0;
  let stopping = false;
  r.addSystemEventTrigger("before", "shutdown", () => {
    stopping = true;
  });
  const finish = (failure?: Failure): void => {
    if (failure !== undefined) {
      code = 1;
      failure.printTraceback();
    }
    if (stopping) return;
    r.callWhenRunning(() => {
      try {
        r.stop();
      } catch (error) {
        if (!(error instanceof ReactorNotRunning)) throw error;
      }
    });
  };
  maybeDeferred(main, r, ...(argv ?? ([] as unknown[] as A))).addCallbacks(
    () => {
      finish();
      return null;
    },
    (failure: Failure) => {
      finish(failure);
      return null;
    },
  );
  try {
    await r.run();
  } catch (error) {
    // The reactor stopped on an error nothing handled (a failed listen).
    code = 1;
    new Failure(error).printTraceback();
  }
  r.runtime.exit(code);
}

export {
  coiterate,
  cooperate,
  CooperativeTask,
  Cooperator,
  type CooperatorOptions,
  NotPaused,
  SchedulerError,
  SchedulerStopped,
  TaskDone,
  TaskFailed,
  TaskFinished,
  TaskStopped,
} from "./_cooperator.ts";
