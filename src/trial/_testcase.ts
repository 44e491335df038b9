/**
 * trial's `TestCase` and `SynchronousTestCase` for the runners JavaScript has:
 * a class whose `test*` methods become tests of the runner's `describe` / `it`
 * (`MyTests.register({ describe, it })`), each on a fresh instance between
 * `setUp` and `tearDown`, with trial's `skip`, `todo` and `timeout`, the
 * cleanups (`addCleanup`, `patch`) and the leak check after every test:
 * trial's "dirty reactor" error naming the delayed calls, connections, ports
 * and unflushed logged errors a test left behind.
 *
 * @module
 */
import { isThenable } from "../internet/_defer_core.ts";
import { leakCheck, startLeakCheck } from "../testing/_leak_check.ts";
import { runCleanups } from "./_cleanups.ts";
import { FailTest } from "./_results.ts";

/** The runner functions `register` needs (node:test's, which Deno and Bun also offer). */
export interface TestRunner {
  /** Groups tests (`node:test`'s `describe`). */
  describe(name: string, fn: () => void): unknown;
  /** Registers one test (`node:test`'s `it`). */
  it(
    name: string,
    options: { skip?: string | boolean; todo?: string | boolean; timeout?: number },
    fn: () => Promise<void>,
  ): unknown;
}

/** What trial reads from a test method (set them on the method: `MyTests.prototype.testX.skip = "..."`). */
export interface TestMethodOptions {
  /** Skip this test, with the reason. */
  skip?: string;
  /** Expected to fail: reported as a todo, with the reason. */
  todo?: string;
  /** Seconds before the test fails (TestCase only). */
  timeout?: number;
}

/** One test a class registers: its name, trial's options and the function that runs it. */
export interface CaseTest {
  /** The method's name (`testSomething`). */
  name: string;
  /** The skip reason, from the method or the class. */
  skip?: string;
  /** The todo reason, from the method or the class. */
  todo?: string;
  /** Milliseconds before the runner fails it, for TestCase. */
  timeoutMs?: number;
  /** Runs the test on a fresh instance: setUp, the method, tearDown, cleanups, leak check. */
  run(): Promise<void>;
}

/**
 * trial's `SynchronousTestCase`: test methods that finish before they return.
 * One returning a Deferred or a Promise fails (use `TestCase`).
 *
 * @example
 * ```ts
 * import { describe, it } from "node:test";
 * import { SynchronousTestCase } from "@tw/core/trial";
 *
 * class ArithmeticTests extends SynchronousTestCase {
 *   total = 0;
 *   override setUp(): void {
 *     this.total = 1;
 *   }
 *   testAddition(): void {
 *     if (this.total + 1 !== 2) throw new Error("arithmetic is broken");
 *   }
 * }
 * ArithmeticTests.register({ describe, it });
 * ```
 */
export class SynchronousTestCase {
  /** Skip every test of the class, with the reason (trial's `skip`). */
  static skip: string | undefined = undefined;
  /** Every test of the class is expected to fail, with the reason (trial's `todo`). */
  static todo: string | undefined = undefined;
  /** Whether test methods may return a Deferred or Promise to wait for. */
  static readonly waits: boolean = false;
  /** Seconds before a test fails (TestCase's; trial's default is 120). */
  static timeout = 120;

  /** Runs before each test; may return a Deferred or a Promise. */
  setUp(): unknown {
    return undefined;
  }

  /** Runs after each test, passed or failed; may return a Deferred or a Promise. */
  tearDown(): unknown {
    return undefined;
  }

  /** The class's tests (its `test*` methods, inherited ones included), in name order. */
  static tests(): CaseTest[] {
    const names = new Set<string>();
    for (
      let proto = this.prototype;
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (
          name.startsWith("test") &&
          typeof (proto as unknown as Record<string, unknown>)[name] === "function"
        ) {
          names.add(name);
        }
      }
    }
    return [...names].sort().map((name) => caseTest(this, name));
  }

  /**
   * Registers the class's tests with the runner: a `describe` named after the
   * class, an `it` per `test*` method.
   * @param runner `{ describe, it }` from `node:test`
   */
  static register(runner: TestRunner): void {
    const tests = this.tests();
    runner.describe(this.name, () => {
      for (const test of tests) {
        const options: { skip?: string; todo?: string; timeout?: number } = {};
        if (test.skip !== undefined) options.skip = test.skip;
        if (test.todo !== undefined) options.todo = test.todo;
        if (test.timeoutMs !== undefined) options.timeout = test.timeoutMs;
        runner.it(test.name, options, () => test.run());
      }
    });
  }
}

/** One test of `Case`: the method `name` on a fresh instance. */
function caseTest(Case: typeof SynchronousTestCase, name: string): CaseTest {
  const Class = Case as unknown as new () => SynchronousTestCase;
  const method = (Case.prototype as unknown as Record<string, TestMethodOptions>)[name];
  const waits = Case.waits;
  const timeout = method.timeout ?? Case.timeout;
  return {
    name,
    skip: method.skip ?? Case.skip,
    todo: method.todo ?? Case.todo,
    timeoutMs: waits ? timeout * 1000 : undefined,
    async run(): Promise<void> {
      startLeakCheck();
      const test = new Class();
      let failure: unknown;
      let failed = false;
      try {
        await test.setUp();
        try {
          const result = (test as unknown as Record<string, () => unknown>)[name]();
          if (isThenable(result)) {
            if (!waits) {
              throw new FailTest(
                `${name} returned a Deferred or a Promise: a SynchronousTestCase test must ` +
                  "finish before it returns (use TestCase)",
              );
            }
            await result;
          }
        } finally {
          await test.tearDown();
        }
      } catch (error) {
        failure = error;
        failed = true;
      }
      try {
        await runCleanups();
      } catch (error) {
        if (!failed) {
          failure = error;
          failed = true;
        }
      }
      if (failed) throw failure;
      // trial's "dirty reactor": what the test left behind fails it.
      leakCheck();
    },
  };
}

/**
 * trial's `TestCase`: a `SynchronousTestCase` whose tests, `setUp` and
 * `tearDown` may return Deferreds or Promises, which are awaited, within
 * `timeout` seconds (120 by default, trial's).
 *
 * @example
 * ```ts
 * import { describe, it } from "node:test";
 * import { deferLater, Clock } from "@tw/core/task";
 * import { TestCase } from "@tw/core/trial";
 *
 * class LaterTests extends TestCase {
 *   static override timeout = 5;
 *   testFiresLater() {
 *     const clock = new Clock();
 *     const d = deferLater(clock, 1, () => "done");
 *     clock.advance(1);
 *     return d;
 *   }
 * }
 * LaterTests.register({ describe, it });
 * ```
 */
export class TestCase extends SynchronousTestCase {
  /** Tests may return a Deferred or a Promise to wait for. */
  static override readonly waits: boolean = true;
}
