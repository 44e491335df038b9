/**
 * trial's synchronous checks of a Deferred's result: the way Twisted tests a
 * protocol over a `StringTransport` and a `Clock` without running a reactor.
 *
 * @module
 */
import type { Deferred } from "../internet/defer.ts";
import type { ErrorType, Failure } from "../internet/failure.ts";

/**
 * The error a failed check throws (trial's `failureException`, `FailTest`):
 * `node:test`, `deno test` and `bun test` report it as a failed test.
 *
 * @example
 * ```ts
 * import { FailTest, successResultOf } from "@tw/core/trial";
 * import { Deferred } from "@tw/core/defer";
 * try {
 *   successResultOf(new Deferred());
 * } catch (error) {
 *   console.log(error instanceof FailTest); // true
 * }
 * ```
 */
export class FailTest extends Error {
  /** Creates the error with what was expected and what was found. */
  constructor(message: string) {
    super(message);
    this.name = "FailTest";
  }
}

type Seen<T> = { kind: "none" } | { kind: "value"; value: T } | {
  kind: "failure";
  failure: Failure;
};

/** What `d` holds now, without changing it (the result is passed on). */
function peek<T>(d: Deferred<T>): Seen<T> {
  let seen: Seen<T> = { kind: "none" };
  d.addCallbacks(
    (value: T) => {
      seen = { kind: "value", value };
      return value;
    },
    (failure: Failure) => {
      seen = { kind: "failure", failure };
      return failure;
    },
  );
  return seen;
}

const describeFailure = (failure: Failure): string =>
  `${failure.value.name}: ${failure.getErrorMessage()}`;

/**
 * The result `d` already has (trial's `successResultOf`). Throws `FailTest`
 * when it has none yet, or when it failed (naming the error).
 *
 * @example
 * ```ts
 * import { successResultOf } from "@tw/core/trial";
 * import { succeed } from "@tw/core/defer";
 * console.log(successResultOf(succeed(42))); // 42
 * ```
 */
export function successResultOf<T>(d: Deferred<T>): T {
  const seen = peek(d);
  if (seen.kind === "none") throw new FailTest("successResultOf: the Deferred has no result yet");
  if (seen.kind === "failure") {
    throw new FailTest(
      `successResultOf: the Deferred failed with ${describeFailure(seen.failure)}`,
    );
  }
  return seen.value;
}

/**
 * The Failure `d` already holds (trial's `failureResultOf`), which it handles,
 * so it is not reported as unhandled. With `errorTypes`, the error must be one
 * of them. Throws `FailTest` when `d` has no result, succeeded, or failed with
 * another error.
 *
 * @example
 * ```ts
 * import { failureResultOf } from "@tw/core/trial";
 * import { fail } from "@tw/core/defer";
 * import { ConnectionRefusedError } from "@tw/core/error";
 * const f = failureResultOf(fail(new ConnectionRefusedError()), ConnectionRefusedError);
 * console.log(f.value.name); // "ConnectionRefusedError"
 * ```
 */
export function failureResultOf(d: Deferred<unknown>, ...errorTypes: ErrorType[]): Failure {
  const seen = peek(d);
  if (seen.kind === "none") throw new FailTest("failureResultOf: the Deferred has no result yet");
  if (seen.kind === "value") {
    throw new FailTest(
      `failureResultOf: the Deferred succeeded with ${String(seen.value)}, expected a failure`,
    );
  }
  const failure = seen.failure;
  if (errorTypes.length > 0 && failure.check(...errorTypes) === null) {
    const wanted = errorTypes.map((t) => (t as { name?: string }).name ?? "?").join(" or ");
    throw new FailTest(
      `failureResultOf: expected ${wanted}, the Deferred failed with ${describeFailure(failure)}`,
    );
  }
  // Handled here: the test looked at it.
  d.addErrback(() => null);
  return failure;
}

/**
 * Checks that `d` has no result yet (trial's `assertNoResult`); a failure
 * found is handled, and reported in the message.
 *
 * @example
 * ```ts
 * import { assertNoResult } from "@tw/core/trial";
 * import { Deferred } from "@tw/core/defer";
 * const d = new Deferred<string>();
 * assertNoResult(d); // passes: nothing has fired it
 * d.callback("done");
 * ```
 */
export function assertNoResult(d: Deferred<unknown>): void {
  const seen = peek(d);
  if (seen.kind === "value") {
    throw new FailTest(`assertNoResult: the Deferred has a result: ${String(seen.value)}`);
  }
  if (seen.kind === "failure") {
    d.addErrback(() => null);
    throw new FailTest(
      `assertNoResult: the Deferred failed with ${describeFailure(seen.failure)}`,
    );
  }
}

/**
 * A Deferred that fires with `d`'s error once `d` fails with one of
 * `errorTypes` (trial's `assertFailure`: the error, as Twisted's gives
 * `failure.value`, since a Deferred handed a Failure takes its errback path),
 * and fails with `FailTest` when `d` succeeds or fails with another error.
 * For Deferreds that fire later: `await assertFailure(d, TimeoutError)`.
 *
 * @example
 * ```ts
 * import { assertFailure } from "@tw/core/trial";
 * import { Deferred } from "@tw/core/defer";
 * import { TimeoutError } from "@tw/core/error";
 * const d = new Deferred<string>();
 * const checked = assertFailure(d, TimeoutError);
 * d.errback(new TimeoutError());
 * console.log((await checked).name); // "TimeoutError"
 * ```
 */
export function assertFailure<E extends Error = Error>(
  d: Deferred<unknown>,
  ...errorTypes: ErrorType[]
): Deferred<E> {
  const wanted = errorTypes.map((t) => (t as { name?: string }).name ?? "?").join(" or ");
  return d.addCallbacks(
    (value: unknown): never => {
      throw new FailTest(`assertFailure: the Deferred succeeded with ${String(value)}`);
    },
    (failure: Failure): E => {
      if (errorTypes.length > 0 && failure.check(...errorTypes) === null) {
        throw new FailTest(
          `assertFailure: expected ${wanted}, the Deferred failed with ${describeFailure(failure)}`,
        );
      }
      return failure.value as E;
    },
  ) as unknown as Deferred<E>;
}
