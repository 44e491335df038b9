// trial's synchronous result checks, on every runtime, failure messages included.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Deferred, fail, succeed } from "../../src/internet/defer.ts";
import { ConnectionRefusedError, TimeoutError } from "../../src/internet/error.ts";
import { Clock, deferLater } from "../../src/internet/task.ts";
import { fakeCollectionForTesting } from "../../src/internet/_defer_unhandled.ts";
import {
  assertFailure,
  assertNoResult,
  FailTest,
  failureResultOf,
  flushLoggedErrors,
  successResultOf,
} from "../../src/trial/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const failTest = (message: RegExp) => (error: unknown): boolean => {
  assert.ok(error instanceof FailTest, String(error));
  assert.equal(error.name, "FailTest");
  assert.match(error.message, message);
  return true;
};

describe("successResultOf()", () => {
  it("returns the result a Deferred already has, and leaves it there", () => {
    const d = succeed(42);
    assert.equal(successResultOf(d), 42);
    assert.equal(successResultOf(d), 42);
  });

  it("says there is no result yet", () => {
    assert.throws(
      () => successResultOf(new Deferred()),
      failTest(/^successResultOf: the Deferred has no result yet$/),
    );
  });

  it("names the error of a failed Deferred", () => {
    const d = fail(new ConnectionRefusedError("Cannot connect to h:1: connection refused"));
    assert.throws(
      () => successResultOf(d),
      failTest(/failed with ConnectionRefusedError: Cannot connect to h:1: connection refused/),
    );
    failureResultOf(d); // handled
  });

  it("checks a protocol-style Deferred driven by a Clock", () => {
    const clock = new Clock();
    const d = deferLater(clock, 5, () => "later");
    assertNoResult(d);
    clock.advance(5);
    assert.equal(successResultOf(d), "later");
  });
});

describe("failureResultOf()", () => {
  it("returns the Failure, of one of the types asked for", () => {
    const d = fail(new TimeoutError());
    const f = failureResultOf(d, ConnectionRefusedError, TimeoutError);
    assert.ok(f.value instanceof TimeoutError);
  });

  it("handles the failure, so it is never reported as unhandled", () => {
    const collection = fakeCollectionForTesting();
    try {
      (() => {
        const d = fail(new Error("looked at"));
        failureResultOf(d);
      })();
      // Nothing left to report: the failure was handled when it was looked at.
      assert.equal(collection.collect(), 0);
      assert.deepEqual(flushLoggedErrors(), []);
      // Without failureResultOf, the same Deferred is reported.
      (() => {
        fail(new Error("never looked at"));
      })();
      assert.equal(collection.collect(), 1);
      assert.equal(flushLoggedErrors().length, 1);
    } finally {
      collection.restore();
    }
  });

  it("says when there is no result, a success, or another error", () => {
    assert.throws(() => failureResultOf(new Deferred()), failTest(/no result yet/));
    assert.throws(
      () => failureResultOf(succeed("fine")),
      failTest(/^failureResultOf: the Deferred succeeded with fine, expected a failure$/),
    );
    const d = fail(new RangeError("bad"));
    assert.throws(
      () => failureResultOf(d, TimeoutError),
      failTest(
        /^failureResultOf: expected TimeoutError, the Deferred failed with RangeError: bad$/,
      ),
    );
    failureResultOf(d);
  });
});

describe("assertNoResult()", () => {
  it("passes on a Deferred that has not fired, and leaves it untouched", () => {
    const d = new Deferred<number>();
    assertNoResult(d);
    d.callback(1);
    assert.equal(successResultOf(d), 1);
  });

  it("says what result there was", () => {
    assert.throws(
      () => assertNoResult(succeed(7)),
      failTest(/^assertNoResult: the Deferred has a result: 7$/),
    );
    assert.throws(
      () => assertNoResult(fail(new TypeError("oops"))),
      failTest(/^assertNoResult: the Deferred failed with TypeError: oops$/),
    );
  });
});

describe("assertFailure()", () => {
  it("fires with the error when the Deferred fails with one of the types", async () => {
    const d = new Deferred<string>();
    const checked = assertFailure<TimeoutError>(d, TimeoutError);
    d.errback(new TimeoutError("late"));
    const error = await checked;
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.message, "late");
  });

  it("fails with FailTest on a success or on another error", async () => {
    await assert.rejects(
      assertFailure(succeed("yes"), TimeoutError).asPromise(),
      failTest(/^assertFailure: the Deferred succeeded with yes$/),
    );
    await assert.rejects(
      assertFailure(fail(new RangeError("no")), TimeoutError).asPromise(),
      failTest(/^assertFailure: expected TimeoutError, the Deferred failed with RangeError: no$/),
    );
  });
});
