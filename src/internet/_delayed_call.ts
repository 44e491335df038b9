/**
 * `DelayedCall` and the queue that orders them: shared by `Clock` (virtual
 * time, task.ts) and `Reactor` (wall-clock time, reactor.ts), so both hand out
 * the same `IDelayedCall`. Private to src/internet.
 *
 * @module
 */
import { AlreadyCalled, AlreadyCancelled } from "./error.ts";
import type { IDelayedCall } from "./interfaces.ts";

/** What a scheduler tells a `DelayedCall` about itself. */
export interface DelayedCallOwner {
  /** The scheduler's current time, in seconds. */
  seconds(): number;
  /** The call was cancelled while pending: forget it. */
  cancelled(call: DelayedCall): void;
  /** The pending call's time changed (`delay` / `reset`): reorder it. */
  rescheduled(call: DelayedCall): void;
}

/** Throws a RangeError unless `delay` is a finite number >= 0. */
export function checkDelay(delay: number, what = "delay"): void {
  if (typeof delay !== "number" || !(delay >= 0) || delay === Infinity) {
    throw new RangeError(`Invalid ${what}: ${delay} (expected a finite number of seconds >= 0)`);
  }
}

/**
 * A call scheduled for a point in time (`twisted.internet.base.DelayedCall`).
 * Schedulers create it; users get it as an `IDelayedCall`. See `IDelayedCall`
 * for the contract.
 */
export class DelayedCall implements IDelayedCall {
  #time: number;
  #fn: (...args: never[]) => unknown;
  #args: unknown[];
  #owner: DelayedCallOwner;
  #called = false;
  #cancelled = false;

  /**
   * Creates a pending call; the owner adds it to its queue.
   * @param time the absolute time, in the owner's seconds, at which to run
   * @param fn the function to call
   * @param args its arguments
   * @param owner the scheduler that holds the call
   */
  constructor(
    time: number,
    // deno-lint-ignore no-explicit-any
    fn: (...args: any[]) => unknown,
    args: unknown[],
    owner: DelayedCallOwner,
  ) {
    if (typeof fn !== "function") {
      throw new TypeError(`A delayed call needs a function, got ${typeof fn}`);
    }
    this.#time = time;
    this.#fn = fn;
    this.#args = args;
    this.#owner = owner;
  }

  /** True once the call has run (or started running). */
  get called(): boolean {
    return this.#called;
  }

  /** True once the call has been cancelled. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** The time, in the scheduler's seconds, at which the call runs. */
  getTime(): number {
    return this.#time;
  }

  /** Cancels the call; throws `AlreadyCalled` / `AlreadyCancelled` when it is not pending. */
  cancel(): void {
    this.#checkPending();
    this.#cancelled = true;
    this.#owner.cancelled(this);
    // Drop references so a cancelled call kept by a user holds nothing alive.
    this.#args = [];
  }

  /** Pushes the call back by `seconds` (negative brings it forward). */
  delay(seconds: number): void {
    this.#checkPending();
    if (!Number.isFinite(seconds)) throw new RangeError(`Invalid delay: ${seconds}`);
    this.#time += seconds;
    this.#owner.rescheduled(this);
  }

  /** Reschedules the call to run `seconds` from now. */
  reset(seconds: number): void {
    this.#checkPending();
    checkDelay(seconds);
    this.#time = this.#owner.seconds() + seconds;
    this.#owner.rescheduled(this);
  }

  /** True while the call is pending. */
  active(): boolean {
    return !(this.#called || this.#cancelled);
  }

  /**
   * Runs the call; for the scheduler only, after removing it from its queue.
   * Whatever `fn` throws propagates to the scheduler.
   */
  invoke(): void {
    if (!this.active()) return;
    this.#called = true;
    const fn = this.#fn as (...args: unknown[]) => unknown;
    const args = this.#args;
    this.#args = [];
    fn(...args);
  }

  /** Describes the call, for logs and test failures. */
  toString(): string {
    const state = this.#called ? "called" : this.#cancelled ? "cancelled" : "pending";
    const name = this.#fn.name || "anonymous";
    return `<DelayedCall ${state} at ${this.#time} for ${name}>`;
  }

  #checkPending(): void {
    if (this.#cancelled) throw new AlreadyCancelled();
    if (this.#called) throw new AlreadyCalled();
  }
}

/**
 * Pending calls ordered by time, then by first scheduling (a binary heap with
 * positions, so cancel and reschedule are O(log n) too). Ties keep scheduling
 * order even after `delay` / `reset`, as Twisted's Clock does with its stable sort.
 */
export class DelayedCallQueue {
  #heap: DelayedCall[] = [];
  #pos = new Map<DelayedCall, number>();
  #seq = new Map<DelayedCall, number>();
  #nextSeq = 0;

  /** The number of pending calls. */
  get size(): number {
    return this.#heap.length;
  }

  /** Adds a call. */
  add(call: DelayedCall): void {
    this.#seq.set(call, this.#nextSeq++);
    this.#heap.push(call);
    this.#pos.set(call, this.#heap.length - 1);
    this.#up(this.#heap.length - 1);
  }

  /** Removes a call if present; returns whether it was. */
  remove(call: DelayedCall): boolean {
    const i = this.#pos.get(call);
    if (i === undefined) return false;
    const last = this.#heap.pop()!;
    this.#pos.delete(call);
    this.#seq.delete(call);
    if (last !== call) {
      this.#heap[i] = last;
      this.#pos.set(last, i);
      this.#down(i);
      this.#up(i);
    }
    return true;
  }

  /** Reorders a call whose time changed. */
  update(call: DelayedCall): void {
    const i = this.#pos.get(call);
    if (i === undefined) return;
    this.#down(i);
    this.#up(this.#pos.get(call)!);
  }

  /** The earliest call, or undefined. */
  peek(): DelayedCall | undefined {
    return this.#heap[0];
  }

  /** Removes and returns the earliest call, or undefined. */
  pop(): DelayedCall | undefined {
    const first = this.#heap[0];
    if (first !== undefined) this.remove(first);
    return first;
  }

  /** The pending calls, earliest first. */
  toArray(): DelayedCall[] {
    return [...this.#heap].sort((a, b) => this.#before(a, b) ? -1 : 1);
  }

  #before(a: DelayedCall, b: DelayedCall): boolean {
    const ta = a.getTime(), tb = b.getTime();
    return ta < tb || (ta === tb && this.#seq.get(a)! < this.#seq.get(b)!);
  }

  #swap(i: number, j: number): void {
    const h = this.#heap;
    [h[i], h[j]] = [h[j], h[i]];
    this.#pos.set(h[i], i);
    this.#pos.set(h[j], j);
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(this.#heap[i], this.#heap[parent])) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#heap.length;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < n && this.#before(this.#heap[l], this.#heap[m])) m = l;
      if (r < n && this.#before(this.#heap[r], this.#heap[m])) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}
