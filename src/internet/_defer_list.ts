/**
 * Waiting on several Deferreds: `DeferredList`, `gatherResults`, `race`
 * (private; re-exported by `defer.ts`).
 *
 * @module
 */
import { Failure } from "./failure.ts";
import { Deferred, fromPromise } from "./_defer_core.ts";
import { Logger } from "../logger/_publisher.ts";

/**
 * The first failure among a `DeferredList`'s inputs (with `fireOnOneErrback`,
 * and so from `gatherResults`).
 *
 * @example
 * ```ts
 * import { fail, FirstError, gatherResults, succeed } from "@tw/core/defer";
 * gatherResults([succeed(1), fail(new RangeError("no"))], true).addErrback((f) => {
 *   const error = f.value as FirstError;
 *   console.log(f.check(FirstError) !== null, error.index); // true 1
 *   console.log(error.subFailure.getErrorMessage()); // "no"
 * });
 * ```
 */
export class FirstError extends Error {
  /** The input's failure. */
  readonly subFailure: Failure;
  /** The position of the failed input. */
  readonly index: number;
  /** Creates the error for the failure of input `index`. */
  constructor(failure: Failure, index: number) {
    super(`FirstError[#${index}, ${failure}]`, { cause: failure.value });
    this.name = "FirstError";
    this.subFailure = failure;
    this.index = index;
  }
}

/**
 * Every input of `race` failed; `failures` are theirs, in input order.
 *
 * @example
 * ```ts
 * import { fail, FailureGroup, race } from "@tw/core/defer";
 * race([fail(new Error("a")), fail(new Error("b"))]).addErrback((f) => {
 *   f.trap(FailureGroup);
 *   const group = f.value as FailureGroup;
 *   console.log(group.failures.map((x) => x.getErrorMessage())); // [ "a", "b" ]
 * });
 * ```
 */
export class FailureGroup extends Error {
  /** The inputs' failures, in input order. */
  readonly failures: Failure[];
  /** Creates the error from the inputs' failures. */
  constructor(failures: Failure[]) {
    super(`All ${failures.length} Deferreds failed`);
    this.name = "FailureGroup";
    this.failures = failures;
  }
}

/** One entry of a `DeferredList` result: `[true, result]` or `[false, failure]`. */
export type DeferredListItem<T> = [true, T] | [false, Failure];

/** The options of `DeferredList`. */
export interface DeferredListOptions {
  /** Fire with `[result, index]` as soon as one input succeeds. @default false */
  fireOnOneCallback?: boolean;
  /** Fail with `FirstError` as soon as one input fails. @default false */
  fireOnOneErrback?: boolean;
  /** Let each failed input's own chain go on with `null` (the failure is handled here). @default false */
  consumeErrors?: boolean;
}

const log = new Logger("defer");

function toDeferred<T>(input: Deferred<T> | PromiseLike<T>): Deferred<T> {
  return input instanceof Deferred ? input : fromPromise(input);
}

/**
 * A Deferred that waits for a list of Deferreds (or Promises). It fires with
 * `[success, resultOrFailure]` pairs in input order once all have fired; with
 * `fireOnOneCallback`, with `[result, index]` of the first success (declare
 * `R` as `[T, number]` then); with `fireOnOneErrback`, it fails with
 * `FirstError` on the first failure. Cancelling it cancels every input.
 *
 * @typeParam T the inputs' result type
 * @typeParam R the list's own result type
 * @example
 * ```ts
 * import { DeferredList, fail, succeed } from "@tw/core/defer";
 * const dl = new DeferredList([succeed(1), fail(new Error("no"))], { consumeErrors: true });
 * dl.addCallback((pairs) => console.log(pairs.map(([ok]) => ok))); // [true, false]
 * ```
 */
export class DeferredList<T = unknown, R = DeferredListItem<T>[]> extends Deferred<R> {
  /** The results so far, in input order (`undefined` for inputs still pending). */
  readonly resultList: DeferredListItem<T>[];
  /** How many inputs have fired. */
  finishedCount = 0;
  #inputs: Deferred<T>[];
  #fireOnOneCallback: boolean;
  #fireOnOneErrback: boolean;
  #consumeErrors: boolean;

  /**
   * Starts waiting on `list`.
   * @param list the Deferreds (or Promises) to wait for
   * @param options when to fire early, and whether to consume the inputs' errors
   */
  constructor(list: Iterable<Deferred<T> | PromiseLike<T>>, options: DeferredListOptions = {}) {
    super();
    this.#inputs = Array.from(list, toDeferred);
    this.resultList = new Array(this.#inputs.length);
    this.#fireOnOneCallback = options.fireOnOneCallback ?? false;
    this.#fireOnOneErrback = options.fireOnOneErrback ?? false;
    this.#consumeErrors = options.consumeErrors ?? false;
    if (this.#inputs.length === 0 && !this.#fireOnOneCallback) {
      this.callback(this.resultList as R);
    }
    for (let index = 0; index < this.#inputs.length; index++) {
      this.#inputs[index].addCallbacks(this.#onResult, this.#onResult, {
        callbackArgs: [index, true],
        errbackArgs: [index, false],
      });
    }
  }

  #onResult = (result: unknown, index: number, succeeded: boolean): unknown => {
    this.resultList[index] = [succeeded, result] as DeferredListItem<T>;
    this.finishedCount++;
    if (!this.called) {
      if (succeeded && this.#fireOnOneCallback) {
        this.callback([result, index] as R);
      } else if (!succeeded && this.#fireOnOneErrback) {
        this.errback(new Failure(new FirstError(result as Failure, index)));
      } else if (this.finishedCount === this.resultList.length) {
        this.callback(this.resultList as R);
      }
    }
    if (!succeeded && this.#consumeErrors) return null;
    return result;
  };

  /** Cancels every input that has not fired (the list then fires as they fail). */
  override cancel(): void {
    if (this.called) return;
    for (const d of this.#inputs) {
      try {
        d.cancel();
      } catch (e) {
        log.failure("Exception raised from user supplied canceller", e, "error");
      }
    }
  }
}

/**
 * Waits for all the Deferreds (or Promises) and fires with their results in
 * order, or fails with `FirstError` on the first failure.
 * @param consumeErrors let each failed input's own chain go on with `null`
 * @example
 * ```ts
 * import { gatherResults, succeed } from "@tw/core/defer";
 * gatherResults([succeed(1), succeed(2)]).addCallback((r) => console.log(r)); // [1, 2]
 * ```
 */
export function gatherResults<T>(
  list: Iterable<Deferred<T> | PromiseLike<T>>,
  consumeErrors = false,
): Deferred<T[]> {
  const d = new DeferredList<T>(list, { fireOnOneErrback: true, consumeErrors });
  return d.addCallback((pairs) => pairs.map((pair) => pair[1] as T));
}

/**
 * Twisted's `race`: fires with `[index, result]` of the first input to
 * succeed and cancels all the others; fails with `FailureGroup` when every
 * input fails. Cancelling it cancels every input. The inputs' failures are
 * consumed.
 * @example
 * ```ts
 * import { Deferred, race } from "@tw/core/defer";
 * const slow = new Deferred<string>();
 * const fast = new Deferred<string>();
 * race([slow, fast]).addCallback(([i, r]) => console.log(i, r)); // 1 "fast"
 * fast.callback("fast");
 * ```
 */
export function race<T>(list: Iterable<Deferred<T> | PromiseLike<T>>): Deferred<[number, T]> {
  const inputs = Array.from(list, toDeferred);
  let winner: Deferred<T> | null = null;
  const failures: Failure[] = new Array(inputs.length);
  let failed = 0;
  const result = new Deferred<[number, T]>(() => {
    for (const d of inputs) d.cancel();
  });
  const succeeded = (value: T, index: number): undefined => {
    if (winner !== null) return undefined;
    winner = inputs[index];
    for (const d of inputs) if (d !== winner) d.cancel();
    result.callback([index, value]);
    return undefined;
  };
  const lost = (failure: Failure, index: number): undefined => {
    failures[index] = failure;
    if (++failed === inputs.length) result.errback(new FailureGroup(failures));
    return undefined;
  };
  for (let i = 0; i < inputs.length; i++) {
    inputs[i].addCallbacks(succeeded, lost, { callbackArgs: [i], errbackArgs: [i] });
  }
  return result;
}
