/**
 * `TimerService` (`twisted.application.internet.TimerService`).
 * @module
 */
import type { Deferred } from "../internet/defer.ts";
import type { Failure } from "../internet/failure.ts";
import type { IReactorTime } from "../internet/interfaces.ts";
import { getReactor } from "../internet/reactor.ts";
import { LoopingCall } from "../internet/task.ts";
import { Logger } from "../logger/mod.ts";
import { Service, type ServiceResult } from "./_service.ts";

const log = new Logger("application");

/**
 * Calls `fn(...args)` every `interval` seconds while running, the first time
 * at start (a `LoopingCall`). A call that returns a Deferred / Promise is
 * waited for before the next is scheduled; a call that throws or fails is
 * logged and ends the loop (the service stays "running" until stopped, as in
 * Twisted). `stopService` waits for a call in progress.
 *
 * @example
 * ```ts
 * import { TimerService } from "@tw/core/application";
 * import { Clock } from "@tw/core/task";
 *
 * const clock = new Clock();
 * const timer = new TimerService(10, (what: string) => console.log(what), "tick");
 * timer.clock = clock;
 * timer.startService(); // "tick"
 * clock.advance(10); // "tick"
 * await timer.stopService();
 * ```
 */
export class TimerService extends Service {
  /** Seconds between calls. */
  readonly interval: number;
  /** The function called. */
  readonly fn: (...args: unknown[]) => unknown;
  /** Its arguments. */
  readonly args: unknown[];

  #clock: IReactorTime | undefined;
  #loop: LoopingCall | null = null;
  #finished: Deferred<unknown> | null = null;

  /**
   * Makes the service (stopped).
   * @param interval seconds between calls, >= 0
   * @param fn the function to call
   * @param args its arguments
   */
  constructor(interval: number, fn: (...args: never[]) => unknown, ...args: unknown[]) {
    super();
    this.interval = interval;
    this.fn = fn as (...args: unknown[]) => unknown;
    this.args = args;
  }

  /** The clock the calls are scheduled on: settable (a `Clock` in tests); the reactor by default. */
  get clock(): IReactorTime {
    return this.#clock ??= getReactor();
  }
  set clock(clock: IReactorTime) {
    this.#clock = clock;
  }

  /** Starts the loop (calling `fn` now). */
  override startService(): ServiceResult {
    super.startService();
    const loop = new LoopingCall(this.fn, ...this.args);
    loop.clock = this.clock;
    this.#loop = loop;
    this.#finished = loop.start(this.interval, true).addErrback((failure: Failure) => {
      log.failure("TimerService call failed; the timer is stopped", failure);
      return null;
    });
  }

  /**
   * Stops the loop.
   * @returns a Deferred that fires once a call in progress has finished
   */
  override stopService(): ServiceResult {
    const loop = this.#loop;
    const finished = this.#finished;
    this.#loop = null;
    this.#finished = null;
    if (loop === null || finished === null) {
      super.stopService();
      return undefined;
    }
    if (loop.running) loop.stop();
    return finished.addCallback(() => {
      super.stopService();
      return null;
    });
  }
}
