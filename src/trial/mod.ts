/**
 * trial's helpers for the test runners JavaScript already has (`node:test`,
 * `deno test`, `bun test`): check a Deferred's result synchronously, the way
 * Twisted tests protocols over `StringTransport` and `Clock` without a reactor,
 * and `addCleanup` / `patch` undone after each test (`trackCleanups`).
 * `flushLoggedErrors` is the test kit's (`@tw/core/testing`), re-exported.
 *
 * @example
 * ```ts
 * // In a test file: node --test, deno test, bun test.
 * import { Clock, deferLater } from "@tw/core/task";
 * import { assertNoResult, successResultOf } from "@tw/core/trial";
 *
 * const clock = new Clock();
 * const d = deferLater(clock, 5, () => "later");
 * assertNoResult(d);
 * clock.advance(5);
 * console.log(successResultOf(d)); // "later"
 * ```
 * @module
 */
export {
  assertFailure,
  assertNoResult,
  FailTest,
  failureResultOf,
  successResultOf,
} from "./_results.ts";
export { addCleanup, patch, runCleanups, trackCleanups } from "./_cleanups.ts";
export {
  type CaseTest,
  SynchronousTestCase,
  TestCase,
  type TestMethodOptions,
  type TestRunner,
} from "./_testcase.ts";
export { flushLoggedErrors } from "../testing/_leak_check.ts";
