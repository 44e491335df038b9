/**
 * trial's helpers for the test runners JavaScript already has (`node:test`,
 * `deno test`, `bun test`): check a Deferred's result synchronously, the way
 * Twisted tests protocols over `StringTransport` and `Clock` without a reactor,
 * and `addCleanup` / `patch` undone after each test (`trackCleanups`).
 * `flushLoggedErrors` is the test kit's (`@tw/core/testing`), re-exported.
 * `mktemp` gives a test a path in a directory removed after it. `runSuite`
 * is `tw trial`: one suite run under Deno, Bun and Node, reported once.
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
export { type SkippableContext, skipTest } from "./_skip.ts";
export { mktemp, type MktempOptions, type MktempRuntime } from "./_mktemp.ts";
export { runSuite, type SuiteOptions } from "./_suite.ts";
export type {
  FileRun,
  SuiteCounts,
  SuiteResult,
  SuiteTest,
  TestOutcome,
  TestStatus,
} from "./_results_model.ts";
export type { ReporterName } from "./_report.ts";
export { flushLoggedErrors } from "../testing/_leak_check.ts";
