/**
 * `Clock`: deterministic virtual time for tests (`twisted.internet.task.Clock`).
 * Re-exported by task.ts; private to src/internet.
 *
 * @module
 */
import { checkDelay, DelayedCall, DelayedCallQueue } from "./_delayed_call.ts";
import type { IDelayedCall, IReactorTime } from "./interfaces.ts";

/**
 * A fake `IReactorTime`: time only moves when `advance` or `pump` says so.
 * Calls run in time order, ties in scheduling order; a call scheduled during
 * `advance` for a time not after the new time runs in that same `advance`.
 * An exception thrown by a call propagates out of `advance` (the calls still
 * due stay pending).
 *
 * @example
 * ```ts
 * import { Clock } from "@tw/core/task";
 * const clock = new Clock();
 * let fired = false;
 * clock.callLater(5, () => (fired = true));
 * clock.advance(5);
 * console.log(fired); // true
 * ```
 */
export class Clock implements IReactorTime {
  #now = 0;
  #calls = new DelayedCallQueue();
  #owner = {
    seconds: (): number => this.#now,
    cancelled: (call: DelayedCall): void => {
      this.#calls.remove(call);
    },
    rescheduled: (call: DelayedCall): void => this.#calls.update(call),
  };

  /** The current virtual time in seconds; starts at 0. */
  seconds(): number {
    return this.#now;
  }

  /** Schedules `fn(...args)` at `seconds() + delay`. */
  callLater<A extends unknown[]>(
    delay: number,
    fn: (...args: A) => unknown,
    ...args: A
  ): IDelayedCall {
    checkDelay(delay);
    const call = new DelayedCall(this.#now + delay, fn, args, this.#owner);
    this.#calls.add(call);
    return call;
  }

  /** The pending calls, earliest first. */
  getDelayedCalls(): IDelayedCall[] {
    return this.#calls.toArray();
  }

  /**
   * Moves time forward by `amount` seconds and runs every call that is due.
   * @param amount seconds to advance; 0 runs the calls due now
   */
  advance(amount: number): void {
    checkDelay(amount, "amount");
    this.#now += amount;
    for (;;) {
      const call = this.#calls.peek();
      if (call === undefined || call.getTime() > this.#now) return;
      this.#calls.pop();
      call.invoke();
    }
  }

  /**
   * Advances by each amount in turn (`pump([1, 1, 1])`), running due calls
   * after each step.
   */
  pump(timings: Iterable<number>): void {
    for (const amount of timings) this.advance(amount);
  }
}
