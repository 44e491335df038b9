/**
 * The `Deferred` class and its errors (private; the public module is `defer.ts`).
 *
 * Dispatch follows Twisted's `Deferred._runCallbacks`: callbacks run
 * synchronously inside `callback()`, and a chain of Deferreds waiting on each
 * other is walked with an explicit stack instead of recursion, so thousands of
 * already-fired inner Deferreds cannot overflow the JavaScript stack.
 *
 * @module
 */
import { Failure } from "./failure.ts";
import { TimeoutError } from "./error.ts";
import type { IReactorTime } from "./interfaces.ts";
import {
  formatDebugInfo,
  isHandled,
  markHandled,
  trackUnhandled,
  type UnhandledRecord,
  untrackUnhandled,
} from "./_defer_unhandled.ts";

/**
 * A Deferred was fired (`callback` / `errback`) a second time.
 *
 * @example
 * ```ts
 * import { AlreadyCalledError, Deferred } from "@tw/core/defer";
 * const d = new Deferred<number>();
 * d.callback(1);
 * try {
 *   d.callback(2);
 * } catch (e) {
 *   console.log(e instanceof AlreadyCalledError); // true
 * }
 * ```
 */
export class AlreadyCalledError extends Error {
  /** Creates the error; debug mode appends the creation and first-invocation stacks. */
  constructor(message = "Deferred has already been called", options?: ErrorOptions) {
    super(message, options);
    this.name = "AlreadyCalledError";
  }
}

/**
 * A Deferred was cancelled: the failure `cancel()` fires when nothing else does.
 *
 * @example
 * ```ts
 * import { CancelledError, Deferred } from "@tw/core/defer";
 * const d = new Deferred<string>();
 * d.addErrback((f) => {
 *   f.trap(CancelledError);
 *   console.log("cancelled"); // cancelled
 * });
 * d.cancel();
 * ```
 */
export class CancelledError extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Deferred was cancelled", options?: ErrorOptions) {
    super(message, options);
    this.name = "CancelledError";
  }
}

/**
 * `ensureDeferred` was given something that is not a Deferred, Promise or generator.
 *
 * @example
 * ```ts
 * import { ensureDeferred, NotACoroutineError } from "@tw/core/defer";
 * try {
 *   ensureDeferred(42 as unknown as Promise<number>);
 * } catch (e) {
 *   console.log(e instanceof NotACoroutineError); // true
 * }
 * ```
 */
export class NotACoroutineError extends TypeError {
  /** Creates the error with an optional detail message. */
  constructor(message = "Expected a Deferred, a Promise or a generator", options?: ErrorOptions) {
    super(message, options);
    this.name = "NotACoroutineError";
  }
}

let debugging = false;

/**
 * Turns Deferred debug mode on or off. In debug mode every new Deferred records
 * the stack where it was created and the stack where it was first fired; both
 * appear in `AlreadyCalledError` messages and in unhandled-failure reports
 * (`Failure.debugInfo`). It costs a stack capture per Deferred: leave it off in
 * production.
 *
 * @example
 * ```ts
 * import { getDebugging, setDebugging } from "@tw/core/defer";
 * setDebugging(true);
 * console.log(getDebugging()); // true
 * setDebugging(false);
 * ```
 */
export function setDebugging(on: boolean): void {
  debugging = on;
}

/**
 * Returns whether Deferred debug mode is on (see `setDebugging`).
 *
 * @example
 * ```ts
 * import { getDebugging } from "@tw/core/defer";
 * console.log(getDebugging()); // false, unless setDebugging(true) was called
 * ```
 */
export function getDebugging(): boolean {
  return debugging;
}

function stackHere(): string {
  // Drop the "Error" line and the frames inside this module.
  const stack = new Error().stack ?? "";
  return stack.split("\n").slice(3).join("\n");
}

/** The `addCallbacks` options: extra arguments passed after the result. */
export interface AddCallbacksOptions<CA extends unknown[], EA extends unknown[]> {
  /** Arguments passed to the callback after the result. @default [] */
  callbackArgs?: CA;
  /** Arguments passed to the errback after the failure. @default [] */
  errbackArgs?: EA;
}

/** The function a Deferred calls to cancel the operation it stands for. */
// deno-lint-ignore no-explicit-any
export type Canceller = (deferred: Deferred<any>) => void;

// deno-lint-ignore no-explicit-any
type Fn = (result: any, ...args: any[]) => unknown;

// Marks a chain entry that hands the result to a Deferred waiting on this one.
const CONTINUE: Fn = () => undefined;

/** True for any object with a callable `then` (a Promise, a Deferred, a thenable). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * A result that is not there yet: Twisted's `Deferred`.
 *
 * Callbacks and errbacks form one chain; each receives the previous one's
 * result. A callback that throws (or returns a `Failure`) switches the chain to
 * the error path; an errback that returns a value switches it back. A callback
 * that returns a Deferred or a Promise pauses the chain until that one fires.
 * Dispatch is synchronous: callbacks run inside `callback()`.
 *
 * A Deferred is `PromiseLike`: `await d` gives its result or throws the
 * failure's error, without consuming the result.
 *
 * @typeParam T the type of the result the next callback receives
 * @example
 * ```ts
 * import { Deferred } from "@tw/core/defer";
 * const d = new Deferred<number>();
 * d.addCallback((n) => n * 2).addCallback((n) => console.log(n)); // 42
 * d.callback(21);
 * ```
 */
export class Deferred<T = unknown> implements PromiseLike<T> {
  // Flat chain: [callback, callbackArgs, errback, errbackArgs] per entry; a
  // null function passes the result through. #pos is the next entry to run.
  #chain: unknown[] = [];
  #pos = 0;
  #result: unknown = undefined;
  #called = false;
  #paused = 0;
  #running = false;
  #suppressAlreadyCalled = false;
  #canceller: Canceller | undefined;
  #unhandled: UnhandledRecord | null = null;
  #created: string | undefined = undefined;
  #invoked: string | undefined = undefined;

  /**
   * Creates a Deferred that has not fired.
   * @param canceller called by `cancel()` before the Deferred has fired; it
   *   should stop the operation and may fire the Deferred itself. When it does
   *   not (or there is none), `cancel()` fails the Deferred with `CancelledError`.
   */
  constructor(canceller?: Canceller) {
    this.#canceller = canceller;
    if (debugging) this.#created = stackHere();
  }

  /**
   * A Deferred for a Promise (or any thenable): see `fromPromise`.
   * @example
   * ```ts
   * import { Deferred } from "@tw/core/defer";
   * const d = Deferred.fromPromise(Promise.resolve(7));
   * console.log(await d); // 7
   * ```
   */
  static fromPromise<T>(promise: PromiseLike<T>): Deferred<T> {
    return fromPromise(promise);
  }

  /**
   * Runs `fn(signal)` and returns a Deferred for its result, whose `cancel()`
   * aborts `signal` (with a `CancelledError` as the reason) and fails the
   * Deferred with `CancelledError` at once; what `fn` settles with after that is
   * ignored. This is how an async function takes part in Deferred cancellation.
   * (The other direction, an AbortSignal cancelling a Deferred, is `cancelOn`.)
   * @param fn the operation; a throw or a rejection fails the Deferred
   * @example
   * ```ts
   * import { CancelledError, Deferred } from "@tw/core/defer";
   * const d = Deferred.fromAbortable((signal) =>
   *   new Promise((resolve) => signal.addEventListener("abort", resolve))
   * );
   * d.addErrback((f) => f.trap(CancelledError));
   * d.cancel();
   * ```
   */
  static fromAbortable<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>): Deferred<T> {
    const controller = new AbortController();
    const d = new Deferred<T>(() => controller.abort(new CancelledError()));
    let value: T | PromiseLike<T>;
    try {
      value = fn(controller.signal);
    } catch (e) {
      d.errback(e);
      return d;
    }
    if (isThenable(value)) {
      (value as PromiseLike<T>).then(
        (v) => {
          if (!d.called) d.callback(v);
        },
        (e) => {
          if (!d.called) d.errback(e instanceof Failure ? e : new Failure(e));
        },
      );
    } else {
      d.callback(value);
    }
    return d;
  }

  /** True once `callback` or `errback` has been called. */
  get called(): boolean {
    return this.#called;
  }

  /** How many times the Deferred is paused (`pause()`, or waiting on another Deferred). */
  get paused(): number {
    return this.#paused;
  }

  /**
   * Adds a callback and an errback at the same point of the chain.
   * @param callback receives the result on success
   * @param errback receives the Failure on error; without one, the failure passes on
   * @param options extra arguments for each
   * @returns this Deferred, typed for the new result
   */
  addCallbacks<U, V = never, CA extends unknown[] = [], EA extends unknown[] = []>(
    callback: (result: T, ...args: CA) => U | PromiseLike<U>,
    errback?: ((failure: Failure, ...args: EA) => V | PromiseLike<V>) | null,
    options?: AddCallbacksOptions<CA, EA>,
  ): Deferred<U | V> {
    const ca = options?.callbackArgs;
    const ea = options?.errbackArgs;
    return this.#add(
      callback,
      ca !== undefined && ca.length > 0 ? ca : undefined,
      errback ?? null,
      ea !== undefined && ea.length > 0 ? ea : undefined,
    );
  }

  /**
   * Adds a callback: `fn(result, ...args)` runs on success; failures pass it by.
   * @returns this Deferred, typed for the new result
   */
  addCallback<U, A extends unknown[]>(
    fn: (result: T, ...args: A) => U | PromiseLike<U>,
    ...args: A
  ): Deferred<U> {
    return this.#add(fn, args.length > 0 ? args : undefined, null, undefined);
  }

  /**
   * Adds an errback: `fn(failure, ...args)` runs on error; its return value
   * resumes the callback chain, a throw continues the error path.
   * @returns this Deferred, typed for the new result
   */
  addErrback<U = T, A extends unknown[] = []>(
    fn: (failure: Failure, ...args: A) => U | PromiseLike<U>,
    ...args: A
  ): Deferred<T | U> {
    return this.#add(null, undefined, fn, args.length > 0 ? args : undefined);
  }

  /**
   * Adds `fn` as both callback and errback: it receives the result or the Failure.
   * @returns this Deferred, typed for the new result
   */
  addBoth<U, A extends unknown[] = []>(
    fn: (result: T | Failure, ...args: A) => U | PromiseLike<U>,
    ...args: A
  ): Deferred<U> {
    const a = args.length > 0 ? args : undefined;
    return this.#add(fn, a, fn, a);
  }

  // deno-lint-ignore no-explicit-any
  #add(cb: unknown, ca: unknown, eb: unknown, ea: unknown): Deferred<any> {
    this.#chain.push(cb, ca, eb, ea);
    if (this.#called) this.#run();
    return this;
  }

  /**
   * Fires the chain with `result`. A `Failure` takes the error path.
   * @throws {AlreadyCalledError} when the Deferred has already fired
   * @throws {TypeError} when `result` is a Deferred (chain it instead)
   */
  callback(result: T | Failure): void {
    if (result instanceof Deferred) {
      throw new TypeError(
        "Cannot fire a Deferred with a Deferred: use chainDeferred or return it from a callback",
      );
    }
    this.#start(result);
  }

  /**
   * Fires the error path with `error`, wrapped in a `Failure` unless it is one.
   * JavaScript has no "current exception": the error is required.
   * @throws {AlreadyCalledError} when the Deferred has already fired
   * @throws {TypeError} when called without an argument
   */
  errback(error: unknown): void {
    if (arguments.length === 0) {
      throw new TypeError("errback() needs the error: JavaScript has no current exception");
    }
    this.#start(error instanceof Failure ? error : new Failure(error));
  }

  #start(result: unknown): void {
    if (this.#called) {
      if (this.#suppressAlreadyCalled) {
        // The one result that arrives after cancel() without a canceller.
        this.#suppressAlreadyCalled = false;
        return;
      }
      const info = formatDebugInfo(this.#created, this.#invoked);
      throw new AlreadyCalledError(
        info === undefined ? undefined : `Deferred has already been called\n${info}`,
      );
    }
    if (debugging) this.#invoked = stackHere();
    this.#called = true;
    this.#result = result;
    this.#run();
  }

  /** Stops the chain from running until `unpause()`. Pauses nest. */
  pause(): void {
    this.#paused++;
  }

  /** Undoes one `pause()`; the chain resumes when no pause is left. */
  unpause(): void {
    if (this.#paused === 0) return;
    this.#paused--;
    if (this.#paused === 0 && this.#called) this.#run();
  }

  /**
   * Cancels the operation. Before the Deferred fires: calls the canceller, and
   * if that did not fire it, fails it with `CancelledError` (without a
   * canceller, the one late `callback` / `errback` that follows is ignored).
   * While it waits on another Deferred returned by a callback: cancels that one.
   * After it fired: does nothing.
   */
  cancel(): void {
    if (!this.#called) {
      const canceller = this.#canceller;
      if (canceller !== undefined) canceller(this);
      else this.#suppressAlreadyCalled = true;
      if (!this.#called) this.#start(new Failure(new CancelledError()));
    } else if (this.#result instanceof Deferred) {
      this.#result.cancel();
    }
  }

  /**
   * Fires `d` with this Deferred's result (or failure). This chain continues
   * with `undefined`, like Twisted's `chainDeferred`.
   * @returns this Deferred
   */
  chainDeferred(d: Deferred<T>): Deferred<undefined> {
    return this.#add(chainCallback, [d], chainErrback, [d]);
  }

  /**
   * Fails this Deferred with `TimeoutError` unless it fires within `seconds` on
   * `clock`: the timeout cancels it, and the resulting `CancelledError` is turned
   * into `TimeoutError` (or passed to `onTimeoutCancel(result, seconds)`, whose
   * return value or throw replaces the result).
   * @param seconds the timeout
   * @param clock the reactor or a `Clock`
   * @param onTimeoutCancel converts the cancelled result after a timeout
   * @returns this Deferred
   */
  addTimeout(
    seconds: number,
    clock: IReactorTime,
    onTimeoutCancel?: (result: T | Failure, seconds: number) => unknown,
  ): Deferred<T> {
    let timedOut = false;
    const call = clock.callLater(seconds, () => {
      timedOut = true;
      this.cancel();
    });
    const convert = (result: T | Failure): unknown => {
      if (!timedOut) return result;
      return (onTimeoutCancel ?? cancelledToTimeout)(result, seconds);
    };
    const stopTimer = (result: unknown): unknown => {
      if (call.active()) call.cancel();
      return result;
    };
    this.#add(convert, undefined, convert, undefined);
    return this.#add(stopTimer, undefined, stopTimer, undefined);
  }

  /**
   * Cancels this Deferred when `signal` aborts (at once if it already has).
   * The listener is removed when the chain reaches this point.
   * @returns this Deferred
   */
  cancelOn(signal: AbortSignal): Deferred<T> {
    if (this.#called) return this;
    if (signal.aborted) {
      this.cancel();
      return this;
    }
    const onAbort = (): void => this.cancel();
    signal.addEventListener("abort", onAbort, { once: true });
    return this.#add(removeAbort, [signal, onAbort], removeAbort, [signal, onAbort]);
  }

  /**
   * A native Promise for this Deferred's result at this point of the chain: it
   * resolves with the result or rejects with the failure's error. The chain
   * goes on with the same result, and a failure seen this way is not reported
   * as unhandled.
   */
  asPromise(): Promise<T> {
    if (this.#called && this.#paused === 0 && !this.#running) {
      const result = this.#result;
      if (!(result instanceof Failure) && !(result instanceof Deferred)) {
        return Promise.resolve(result as T);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const args = [resolve, reject];
      this.#add(settleResolve, args, settleReject, args);
    });
  }

  /**
   * `PromiseLike.then`, so that `await d` works: returns a native Promise; the
   * handlers run asynchronously like any Promise's. See `asPromise`.
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    // deno-lint-ignore no-explicit-any
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.asPromise().then(onfulfilled, onrejected);
  }

  /** Describes the Deferred's state, like Twisted's repr. */
  toString(): string {
    if (!this.#called) return "<Deferred (pending)>";
    const result = this.#result;
    if (result instanceof Deferred) return "<Deferred waiting on Deferred>";
    return `<Deferred current result: ${describe(result)}>`;
  }

  // Twisted's _runCallbacks: `chain` holds the Deferreds whose results flow
  // into each other; the last one runs. A Deferred paused on an unfired inner
  // one leaves the stack; the inner's CONTINUE entry puts it back later.
  #run(): void {
    if (this.#running) return;
    // deno-lint-ignore no-this-alias
    let current: Deferred<unknown> = this;
    let chain: Deferred<unknown>[] | null = null;
    for (;;) {
      if (current.#paused !== 0) return;
      let finished = true;
      const entries = current.#chain;
      while (current.#pos < entries.length) {
        const i = current.#pos;
        current.#pos = i + 4;
        const result = current.#result;
        let fn: Fn | null;
        let args: unknown[] | undefined;
        if (result instanceof Failure) {
          fn = entries[i + 2] as Fn | null;
          args = entries[i + 3] as unknown[] | undefined;
        } else {
          fn = entries[i] as Fn | null;
          args = entries[i + 1] as unknown[] | undefined;
        }
        if (fn === null) continue;
        if (fn === CONTINUE) {
          // Hand the result to the Deferred that waits on this one.
          const chainee = args as unknown as Deferred<unknown>;
          chainee.#result = result;
          current.#result = undefined;
          chainee.#paused--;
          if (chain === null) chain = [current];
          chain.push(chainee);
          finished = false;
          break;
        }
        let next: unknown;
        current.#running = true;
        try {
          // Spreading is slow on the hot path: the common arities are spelled out.
          if (args === undefined) next = fn(result);
          else if (args.length === 1) next = fn(result, args[0]);
          else if (args.length === 2) next = fn(result, args[0], args[1]);
          else next = fn(result, ...args);
        } catch (e) {
          next = e instanceof Failure ? e : new Failure(e);
        }
        current.#running = false;
        if (next !== null && typeof next === "object" && !(next instanceof Failure)) {
          if (!(next instanceof Deferred) && isThenable(next)) next = fromPromise(next);
          if (next instanceof Deferred) {
            if (next === current) {
              next = new Failure(
                new TypeError("A callback returned the Deferred it was added to"),
              );
            } else if (!next.#called || next.#paused !== 0 || next.#result instanceof Deferred) {
              // Wait for the inner Deferred: pause, and let it resume us.
              current.#result = next;
              current.#paused++;
              next.#chain.push(CONTINUE, current, CONTINUE, current);
              break;
            } else {
              // Already fired: take its result now (it keeps `undefined`).
              const inner = next.#result;
              next.#result = undefined;
              if (next.#unhandled !== null) {
                untrackUnhandled(next.#unhandled);
                next.#unhandled = null;
              }
              next = inner;
            }
          }
        }
        current.#result = next;
      }
      if (finished) {
        current.#settled();
        if (chain === null || chain.length <= 1) return;
        chain.pop();
        current = chain[chain.length - 1];
      } else {
        current = chain![chain!.length - 1];
      }
    }
  }

  // The chain ran out of callbacks: compact it and track an unhandled failure.
  #settled(): void {
    if (this.#pos === this.#chain.length) {
      this.#chain.length = 0;
      this.#pos = 0;
    }
    const result = this.#result;
    const tracked = this.#unhandled;
    if (result instanceof Failure && !isHandled(result)) {
      if (tracked !== null && tracked.failure === result) return;
      if (tracked !== null) untrackUnhandled(tracked);
      const record: UnhandledRecord = {
        failure: result,
        created: this.#created,
        invoked: this.#invoked,
      };
      this.#unhandled = record;
      trackUnhandled(this, record);
    } else if (tracked !== null) {
      untrackUnhandled(tracked);
      this.#unhandled = null;
    }
  }
}

function chainCallback(result: unknown, d: Deferred<unknown>): undefined {
  d.callback(result);
  return undefined;
}

function chainErrback(failure: Failure, d: Deferred<unknown>): undefined {
  d.errback(failure);
  return undefined;
}

function settleResolve(
  result: unknown,
  resolve: (value: unknown) => void,
): unknown {
  resolve(result);
  return result;
}

function settleReject(
  failure: Failure,
  _resolve: unknown,
  reject: (reason: unknown) => void,
): Failure {
  markHandled(failure);
  reject(failure.value);
  return failure;
}

function removeAbort(result: unknown, signal: AbortSignal, onAbort: () => void): unknown {
  signal.removeEventListener("abort", onAbort);
  return result;
}

function cancelledToTimeout(result: unknown, seconds: number): unknown {
  if (result instanceof Failure) {
    result.trap(CancelledError);
    throw new TimeoutError(`Deferred timed out after ${seconds} seconds`);
  }
  return result;
}

function describe(value: unknown): string {
  if (value instanceof Failure) return value.toString();
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * A Deferred that fires with the Promise's (or thenable's) value, or fails
 * with its rejection. Promises cannot be cancelled: `cancel()` fails the
 * Deferred with `CancelledError` and the Promise's eventual outcome is ignored.
 */
export function fromPromise<T>(promise: PromiseLike<T>): Deferred<T> {
  if (promise instanceof Deferred) return promise;
  const d = new Deferred<T>();
  promise.then(
    (value) => d.callback(value),
    (error) => d.errback(error instanceof Failure ? error : new Failure(error)),
  );
  return d;
}

/**
 * A Deferred that has already fired with `result`.
 * @example
 * ```ts
 * import { succeed } from "@tw/core/defer";
 * succeed(1).addCallback((n) => console.log(n)); // 1
 * ```
 */
export function succeed<T>(result: T): Deferred<T> {
  const d = new Deferred<T>();
  d.callback(result);
  return d;
}

/**
 * A Deferred that has already failed with `error` (wrapped in a Failure unless it is one).
 * @example
 * ```ts
 * import { fail } from "@tw/core/defer";
 * fail(new Error("boom")).addErrback((f) => console.log(f.getErrorMessage())); // boom
 * ```
 */
export function fail<T = never>(error: unknown): Deferred<T> {
  const d = new Deferred<T>();
  d.errback(error);
  return d;
}
