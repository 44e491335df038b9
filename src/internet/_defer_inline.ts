/**
 * Running functions and generators as Deferreds: `maybeDeferred`, `execute`,
 * `ensureDeferred`, `inlineCallbacks` (private; re-exported by `defer.ts`).
 *
 * @module
 */
import { Failure } from "./failure.ts";
import {
  Deferred,
  fail,
  fromPromise,
  isThenable,
  NotACoroutineError,
  succeed,
} from "./_defer_core.ts";

/**
 * Calls `fn(...args)` and always returns a Deferred: a returned Deferred as is,
 * a Promise adopted, a Failure or a throw as a failed Deferred, any other value
 * as a fired one.
 * @example
 * ```ts
 * import { maybeDeferred } from "@tw/core/defer";
 * maybeDeferred(JSON.parse, "{").addErrback((f) => console.log(f.type.name)); // SyntaxError
 * ```
 */
export function maybeDeferred<U, A extends unknown[]>(
  fn: (...args: A) => U | PromiseLike<U>,
  ...args: A
): Deferred<U> {
  let result: U | PromiseLike<U>;
  try {
    result = fn(...args);
  } catch (e) {
    return fail(e);
  }
  if (result instanceof Deferred) return result;
  if (result instanceof Failure) return fail(result);
  if (isThenable(result)) return fromPromise(result as PromiseLike<U>);
  return succeed(result as U);
}

/**
 * Calls `fn(...args)` and returns a Deferred fired with its return value, or
 * failed with what it threw. The value is not unwrapped (unlike `maybeDeferred`).
 * @example
 * ```ts
 * import { execute } from "@tw/core/defer";
 * execute(Math.max, 1, 2).addCallback((n) => console.log(n)); // 2
 * ```
 */
export function execute<U, A extends unknown[]>(fn: (...args: A) => U, ...args: A): Deferred<U> {
  try {
    return succeed(fn(...args));
  } catch (e) {
    return fail(e);
  }
}

/** A generator as run by `inlineCallbacks` / `ensureDeferred`. */
// deno-lint-ignore no-explicit-any
export type InlineGenerator<R> = Generator<unknown, R, any>;

function isGenerator(value: unknown): value is InlineGenerator<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as Generator).next === "function" &&
    typeof (value as Generator).throw === "function";
}

/**
 * Turns a Deferred, a Promise (an async function's result) or a generator (as
 * `inlineCallbacks` runs it) into a Deferred.
 * @throws {NotACoroutineError} for anything else
 * @example
 * ```ts
 * import { ensureDeferred } from "@tw/core/defer";
 * const d = ensureDeferred((async () => 5)());
 * console.log(await d); // 5
 * ```
 */
export function ensureDeferred<T>(
  coroutine: Deferred<T> | PromiseLike<T> | InlineGenerator<T>,
): Deferred<T> {
  if (coroutine instanceof Deferred) return coroutine;
  if (isThenable(coroutine)) return fromPromise(coroutine as PromiseLike<T>);
  if (isGenerator(coroutine)) return runGenerator(coroutine as InlineGenerator<T>);
  throw new NotACoroutineError(
    `ensureDeferred() expects a Deferred, a Promise or a generator, not ${typeof coroutine}`,
  );
}

/**
 * Twisted's `inlineCallbacks`: wraps a generator function so that it returns a
 * Deferred. Inside, `yield` a Deferred or a Promise to wait for its result; a
 * failure is thrown at the `yield` as its underlying error. The generator's
 * return value fires the Deferred; a throw fails it.
 *
 * Cancelling the returned Deferred cancels the Deferred the generator is
 * waiting on; the resulting `CancelledError` is thrown into the generator. If
 * the generator catches it and waits again, the returned Deferred still fails
 * with `CancelledError` and what the generator does afterwards is ignored.
 *
 * @example
 * ```ts
 * import { inlineCallbacks, succeed } from "@tw/core/defer";
 * const add = inlineCallbacks(function* (a: number) {
 *   const b: number = yield succeed(2);
 *   return a + b;
 * });
 * add(1).addCallback((n) => console.log(n)); // 3
 * ```
 */
export function inlineCallbacks<A extends unknown[], R>(
  fn: (...args: A) => InlineGenerator<R>,
): (...args: A) => Deferred<R> {
  return function (this: unknown, ...args: A): Deferred<R> {
    let gen: InlineGenerator<R>;
    try {
      gen = fn.apply(this, args);
    } catch (e) {
      return fail(e);
    }
    return runGenerator(gen);
  };
}

// Drives a generator without recursion (Twisted's _inlineCallbacks): a
// yielded Deferred that has already fired is consumed in the same loop.
function runGenerator<R>(gen: InlineGenerator<R>): Deferred<R> {
  let waitingOn: Deferred<unknown> | null = null;
  const deferred = new Deferred<R>(() => {
    if (waitingOn !== null) waitingOn.cancel();
  });
  // While `inLoop`, a result arriving synchronously is stored, not resumed.
  let inLoop = false;
  let syncResult: unknown = undefined;
  let gotSync = false;

  const gotResult = (result: unknown): undefined => {
    if (inLoop) {
      syncResult = result;
      gotSync = true;
    } else {
      waitingOn = null;
      step(result);
    }
    return undefined;
  };

  const step = (input: unknown): void => {
    for (;;) {
      let next: IteratorResult<unknown, R>;
      try {
        next = input instanceof Failure ? gen.throw(input.value) : gen.next(input);
      } catch (e) {
        if (!deferred.called) deferred.errback(e instanceof Failure ? e : new Failure(e));
        return;
      }
      if (next.done) {
        if (deferred.called) return;
        const value: unknown = next.value;
        if (isThenable(value)) fromPromise(value).chainDeferred(deferred as Deferred<unknown>);
        else deferred.callback(value as R);
        return;
      }
      let yielded = next.value;
      if (!(yielded instanceof Deferred)) {
        if (!isThenable(yielded)) {
          // A plain value comes straight back, as in Twisted.
          input = yielded;
          continue;
        }
        yielded = fromPromise(yielded);
      }
      const d = yielded as Deferred<unknown>;
      inLoop = true;
      gotSync = false;
      d.addBoth(gotResult);
      inLoop = false;
      if (!gotSync) {
        waitingOn = d;
        return;
      }
      input = syncResult;
      syncResult = undefined;
    }
  };

  step(undefined);
  return deferred;
}
