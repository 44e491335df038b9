/**
 * Deferreds: Twisted's `twisted.internet.defer`.
 *
 * A `Deferred` stands for a result that is not there yet. Callbacks run
 * synchronously when it fires, in a chain where each one gets the previous
 * one's result; errors travel as `Failure`s down the errbacks. A Deferred is
 * `PromiseLike`, so `await d` works, and Promises and async functions convert
 * both ways (`Deferred.fromPromise`, `ensureDeferred`, `d.asPromise()`).
 * Cancellation maps to `AbortSignal` both ways: `Deferred.fromAbortable(fn)`
 * hands `fn` a signal that `cancel()` aborts, and `d.cancelOn(signal)` cancels
 * `d` when the signal aborts.
 *
 * A Deferred garbage-collected while its result is an unhandled Failure is
 * reported to the logger (namespace `defer`) as "Unhandled error in Deferred:";
 * `setDebugging(true)` adds where it was created and first fired.
 *
 * @example
 * ```ts
 * import { Deferred, gatherResults, inlineCallbacks, succeed } from "@tw/core/defer";
 *
 * const d = new Deferred<number>();
 * d.addCallback((n) => n + 1);
 * d.callback(1);
 * console.log(await d); // 2
 *
 * const both = inlineCallbacks(function* () {
 *   const [a, b]: number[] = yield gatherResults([succeed(1), Promise.resolve(2)]);
 *   return a + b;
 * });
 * console.log(await both()); // 3
 * ```
 * @module
 */
export {
  type AddCallbacksOptions,
  AlreadyCalledError,
  CancelledError,
  type Canceller,
  Deferred,
  fail,
  getDebugging,
  NotACoroutineError,
  setDebugging,
  succeed,
} from "./_defer_core.ts";
export { TimeoutError } from "./error.ts";
export {
  ensureDeferred,
  execute,
  inlineCallbacks,
  type InlineGenerator,
  maybeDeferred,
} from "./_defer_inline.ts";
export {
  DeferredList,
  type DeferredListItem,
  type DeferredListOptions,
  FailureGroup,
  FirstError,
  gatherResults,
  race,
} from "./_defer_list.ts";
export {
  DeferredLock,
  DeferredQueue,
  DeferredSemaphore,
  QueueOverflow,
  QueueUnderflow,
} from "./_defer_sync.ts";
