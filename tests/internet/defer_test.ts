// The Deferred chain: callbacks, errbacks, firing, pausing, chaining, cancel and timeouts.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AlreadyCalledError,
  CancelledError,
  Deferred,
  fail,
  succeed,
  TimeoutError,
} from "../../src/internet/defer.ts";
import { TimeoutError as ErrorModuleTimeoutError } from "../../src/internet/error.ts";
import { Failure } from "../../src/internet/failure.ts";
import { Clock } from "../../src/internet/task.ts";
import { assertNoResult, failureResultOf, successResultOf } from "./_defer_helpers.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

describe("Deferred callbacks", () => {
  it("passes each callback's result to the next one", () => {
    const d = new Deferred<number>();
    const seen: unknown[] = [];
    d.addCallback((n) => {
      seen.push(n);
      return n * 2;
    }).addCallback((n) => {
      seen.push(n);
      return `${n}`;
    });
    d.callback(5);
    assert.deepEqual(seen, [5, 10]);
    assert.equal(successResultOf(d), "10");
  });

  it("runs callbacks synchronously inside callback()", () => {
    const d = new Deferred<string>();
    const order: string[] = [];
    d.addCallback(() => order.push("callback"));
    order.push("before");
    d.callback("x");
    order.push("after");
    assert.deepEqual(order, ["before", "callback", "after"]);
  });

  it("runs a callback added after firing at once", () => {
    const d = succeed(3);
    let got: number | undefined;
    d.addCallback((n) => (got = n));
    assert.equal(got, 3);
  });

  it("passes extra arguments after the result", () => {
    const d = new Deferred<number>();
    const seen: unknown[] = [];
    d.addCallback((n, a: string, b: number) => seen.push(n, a, b), "a", 2);
    d.addErrback((f, x: string) => seen.push(f, x), "unused");
    d.callback(1);
    assert.deepEqual(seen, [1, "a", 2]);
  });

  it("reports called as true after firing", () => {
    const d = new Deferred();
    assert.equal(d.called, false);
    d.callback(null);
    assert.equal(d.called, true);
  });

  it("returns the same Deferred from every add method", () => {
    const d = new Deferred<number>();
    assert.equal(d.addCallback((n) => n), d);
    assert.equal(d.addErrback(() => 0), d);
    assert.equal(d.addBoth((r) => r), d);
    assert.equal(d.addCallbacks((r) => r, (f) => f), d);
  });

  it("runs a callback added from inside a callback after it, in the same dispatch", () => {
    const d = new Deferred<number>();
    const order: string[] = [];
    d.addCallback((n) => {
      d.addCallback((m) => {
        order.push(`inner ${m}`);
        return m;
      });
      order.push("outer");
      return n + 1;
    });
    d.callback(1);
    assert.deepEqual(order, ["outer", "inner 2"]);
  });
});

describe("Deferred errbacks", () => {
  it("turns a thrown error into a Failure for the next errback", () => {
    const d = new Deferred<number>();
    const error = new RangeError("bad");
    let skipped = true;
    d.addCallback(() => {
      throw error;
    }).addCallback(() => (skipped = false));
    d.callback(1);
    const f = failureResultOf(d);
    assert.equal(skipped, true);
    assert.ok(f instanceof Failure);
    assert.equal(f.value, error);
    assert.equal(f.type, RangeError);
  });

  it("wraps a plain error given to errback() in a Failure", () => {
    const d = new Deferred();
    const error = new Error("boom");
    d.errback(error);
    assert.equal(failureResultOf(d).value, error);
  });

  it("keeps a Failure given to errback() as it is", () => {
    const d = new Deferred();
    const f = new Failure(new Error("same"));
    d.errback(f);
    assert.equal(failureResultOf(d), f);
  });

  it("wraps a non-Error thrown value in a Failure", () => {
    const d = new Deferred();
    d.errback("just a string");
    const f = failureResultOf(d);
    assert.ok(f.value instanceof Error);
    assert.equal(f.getErrorMessage(), "just a string");
  });

  it("rejects errback() without an argument with TypeError", () => {
    const d = new Deferred();
    // deno-lint-ignore no-explicit-any
    assert.throws(() => (d as any).errback(), TypeError);
    assert.equal(d.called, false);
  });

  it("takes the error path when callback() gets a Failure", () => {
    const d = new Deferred();
    let path = "";
    d.addCallbacks(() => (path = "callback"), () => (path = "errback"));
    d.callback(new Failure(new Error("x")));
    assert.equal(path, "errback");
  });

  it("resumes the callback chain when an errback returns a value", () => {
    const d = fail<number>(new Error("first"));
    d.addErrback(() => 7).addCallback((n) => n + 1);
    assert.equal(successResultOf(d), 8);
  });

  it("continues the error path when an errback throws", () => {
    const d = fail(new Error("first"));
    const second = new TypeError("second");
    d.addErrback(() => {
      throw second;
    });
    assert.equal(failureResultOf(d).value, second);
  });

  it("continues the error path when an errback returns a Failure", () => {
    const d = fail(new Error("first"));
    const other = new Failure(new SyntaxError("other"));
    d.addErrback(() => other);
    assert.equal(failureResultOf(d), other);
  });

  it("lets trap() pass an unmatched failure on unchanged", () => {
    const d = fail(new RangeError("range"));
    const original = (() => {
      let f: Failure | undefined;
      d.addErrback((failure) => {
        f = failure;
        return failure.trap(TypeError);
      });
      return f;
    })();
    const after = failureResultOf(d);
    assert.equal(after, original);
    assert.equal(after.type, RangeError);
  });

  it("gives addBoth the result and the failure alike", () => {
    const seen: unknown[] = [];
    succeed(1).addBoth((r) => seen.push(r));
    const f = new Failure(new Error("x"));
    fail(f).addBoth((r) => {
      seen.push(r);
      return null;
    });
    assert.deepEqual(seen, [1, f]);
  });

  it("passes extra errback arguments from addCallbacks options", () => {
    const seen: unknown[] = [];
    fail(new Error("x")).addCallbacks(
      (r) => r,
      (_f, a: number, b: string) => seen.push(a, b),
      { callbackArgs: [], errbackArgs: [1, "b"] },
    );
    assert.deepEqual(seen, [1, "b"]);
  });
});

describe("Deferred firing twice", () => {
  it("throws AlreadyCalledError on a second callback()", () => {
    const d = new Deferred();
    d.callback(1);
    assert.throws(() => d.callback(2), AlreadyCalledError);
    assert.throws(() => d.errback(new Error("x")), AlreadyCalledError);
  });

  it("gives AlreadyCalledError its own name", () => {
    const d = succeed(1);
    try {
      d.callback(2);
      assert.fail("no error");
    } catch (e) {
      assert.ok(e instanceof Error);
      assert.equal(e.name, "AlreadyCalledError");
    }
  });

  it("refuses to be fired with a Deferred", () => {
    const d = new Deferred<unknown>();
    assert.throws(() => d.callback(new Deferred()), TypeError);
  });
});

describe("Deferred returned from a callback", () => {
  it("pauses the outer chain until the inner Deferred fires", () => {
    const inner = new Deferred<string>();
    const outer = new Deferred<number>();
    const seen: unknown[] = [];
    outer.addCallback(() => inner).addCallback((s) => seen.push(s));
    outer.callback(1);
    assert.deepEqual(seen, []);
    assert.equal(outer.paused, 1);
    inner.callback("inner");
    assert.deepEqual(seen, ["inner"]);
    assert.equal(outer.paused, 0);
  });

  it("takes an already-fired inner Deferred's result at once", () => {
    const outer = succeed(1).addCallback((n) => succeed(n + 1));
    assert.equal(successResultOf(outer), 2);
  });

  it("passes an inner failure down the outer errbacks", () => {
    const inner = new Deferred();
    const outer = succeed(1).addCallback(() => inner);
    const error = new Error("inner failed");
    inner.errback(error);
    assert.equal(failureResultOf(outer).value, error);
  });

  it("leaves the inner Deferred with undefined after handing its result on", () => {
    const inner = new Deferred<number>();
    const outer = succeed(0).addCallback(() => inner);
    inner.callback(5);
    assert.equal(successResultOf(outer), 5);
    assert.equal(successResultOf(inner), undefined);
  });

  it("handles 100000 already-fired inner Deferreds without overflowing the stack", () => {
    const d = new Deferred<number>();
    for (let i = 0; i < 100_000; i++) d.addCallback((n) => succeed(n + 1));
    d.callback(0);
    assert.equal(successResultOf(d), 100_000);
  });

  it("unwinds 50000 nested waiting Deferreds without overflowing the stack", () => {
    const ds = Array.from({ length: 50_001 }, () => new Deferred<number>());
    for (let i = 0; i < 50_000; i++) ds[i].addCallback(() => ds[i + 1]);
    const seen: number[] = [];
    ds[0].addCallback((n) => seen.push(n));
    // Each fires into a callback that returns the next, so each waits on the next.
    for (let i = 0; i < 50_000; i++) ds[i].callback(i);
    assert.deepEqual(seen, []);
    ds[50_000].callback(42);
    assert.deepEqual(seen, [42]);
  });

  it("waits for a returned Promise and passes its value on", async () => {
    const d = succeed(1).addCallback((n) => Promise.resolve(n + 10));
    assertNoResult(d);
    assert.equal(await d, 11);
    assert.equal(successResultOf(d), 11);
  });

  it("waits for a returned rejected Promise and takes the error path", async () => {
    const error = new Error("rejected");
    const d = succeed(1).addCallback(() => Promise.reject(error));
    const failure = await new Promise<Failure>((resolve) => d.addErrback(resolve));
    assert.equal(failure.value, error);
  });

  it("fails when a callback returns its own Deferred", () => {
    const d = new Deferred<unknown>();
    d.addCallback(() => d);
    d.callback(1);
    assert.ok(failureResultOf(d).check(TypeError));
  });
});

describe("Deferred.chainDeferred", () => {
  it("fires the chained Deferred with this one's result", () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    a.chainDeferred(b);
    a.callback(3);
    assert.equal(successResultOf(b), 3);
    assert.equal(successResultOf(a), undefined);
  });

  it("passes a failure to the chained Deferred's errbacks", () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    a.chainDeferred(b);
    const error = new Error("x");
    a.errback(error);
    assert.equal(failureResultOf(b).value, error);
  });
});

describe("Deferred.pause and unpause", () => {
  it("holds the callbacks until unpaused", () => {
    const d = new Deferred<number>();
    const seen: number[] = [];
    d.pause();
    d.addCallback((n) => seen.push(n));
    d.callback(1);
    assert.deepEqual(seen, []);
    d.unpause();
    assert.deepEqual(seen, [1]);
  });

  it("nests: the chain resumes only when every pause is undone", () => {
    const d = new Deferred<number>();
    const seen: number[] = [];
    d.pause();
    d.pause();
    d.addCallback((n) => seen.push(n));
    d.callback(1);
    d.unpause();
    assert.deepEqual(seen, []);
    d.unpause();
    assert.deepEqual(seen, [1]);
  });

  it("ignores unpause() when not paused", () => {
    const d = new Deferred<number>();
    d.unpause();
    assert.equal(d.paused, 0);
    d.callback(1);
    assert.equal(successResultOf(d), 1);
  });
});

describe("Deferred.cancel", () => {
  it("fails with CancelledError when there is no canceller", () => {
    const d = new Deferred();
    d.cancel();
    assert.ok(failureResultOf(d).check(CancelledError));
  });

  it("calls the canceller with the Deferred", () => {
    let got: Deferred<unknown> | undefined;
    const d = new Deferred((x) => (got = x));
    d.cancel();
    assert.equal(got, d);
    assert.ok(failureResultOf(d).check(CancelledError));
  });

  it("keeps the result a canceller fires", () => {
    const d = new Deferred<string>((x) => x.callback("cancelled nicely"));
    d.cancel();
    assert.equal(successResultOf(d), "cancelled nicely");
  });

  it("ignores the one callback() that arrives after cancel() without a canceller", () => {
    const d = new Deferred();
    d.cancel();
    d.callback("late");
    assert.ok(failureResultOf(d).check(CancelledError));
    assert.throws(() => d.callback("later still"), AlreadyCalledError);
  });

  it("ignores a late errback() after cancel() too", () => {
    const d = new Deferred();
    d.cancel();
    d.errback(new Error("late"));
    assert.ok(failureResultOf(d).check(CancelledError));
  });

  it("does nothing on a Deferred that has fired", () => {
    let cancellerCalls = 0;
    const d = new Deferred<number>(() => cancellerCalls++);
    d.callback(1);
    d.cancel();
    assert.equal(cancellerCalls, 0);
    assert.equal(successResultOf(d), 1);
  });

  it("cancels the inner Deferred the outer one waits on", () => {
    let innerCancelled = false;
    const inner = new Deferred(() => (innerCancelled = true));
    const outer = succeed(1).addCallback(() => inner);
    outer.cancel();
    assert.equal(innerCancelled, true);
    assert.ok(failureResultOf(outer).check(CancelledError));
    // The inner Deferred handed its failure on to the outer one.
    assert.equal(successResultOf(inner), undefined);
  });

  it("cancels through a returned Promise: the outer Deferred fails with CancelledError", () => {
    let resolve!: (v: number) => void;
    const outer = succeed(1).addCallback(() => new Promise<number>((r) => (resolve = r)));
    outer.cancel();
    assert.ok(failureResultOf(outer).check(CancelledError));
    resolve(5); // ignored: the Promise cannot be cancelled
  });

  it("propagates an exception thrown by the canceller", () => {
    const d = new Deferred(() => {
      throw new Error("canceller broke");
    });
    assert.throws(() => d.cancel(), /canceller broke/);
  });
});

describe("Deferred.addTimeout", () => {
  it("fails with TimeoutError when the clock passes the timeout", () => {
    const clock = new Clock();
    const d = new Deferred().addTimeout(5, clock);
    clock.advance(4.9);
    assertNoResult(d);
    clock.advance(0.1);
    const f = failureResultOf(d);
    assert.ok(f.check(TimeoutError));
    assert.equal(f.value.name, "TimeoutError");
  });

  it("uses the TimeoutError class of the error module", () => {
    assert.equal(TimeoutError, ErrorModuleTimeoutError);
  });

  it("cancels the Deferred on timeout, calling its canceller", () => {
    const clock = new Clock();
    let cancelled = 0;
    const d = new Deferred(() => cancelled++).addTimeout(1, clock);
    clock.advance(1);
    assert.equal(cancelled, 1);
    assert.ok(failureResultOf(d).check(TimeoutError));
  });

  it("removes the timer when the Deferred fires in time", () => {
    const clock = new Clock();
    const d = new Deferred<number>().addTimeout(5, clock);
    assert.equal(clock.getDelayedCalls().length, 1);
    d.callback(1);
    assert.equal(clock.getDelayedCalls().length, 0);
    clock.advance(10);
    assert.equal(successResultOf(d), 1);
  });

  it("removes the timer when the Deferred fails in time", () => {
    const clock = new Clock();
    const d = new Deferred().addTimeout(5, clock);
    d.errback(new RangeError("early"));
    assert.equal(clock.getDelayedCalls().length, 0);
    assert.ok(failureResultOf(d).check(RangeError));
  });

  it("keeps a success that the canceller fires on timeout", () => {
    const clock = new Clock();
    const d = new Deferred<string>((x) => x.callback("partial")).addTimeout(1, clock);
    clock.advance(1);
    assert.equal(successResultOf(d), "partial");
  });

  it("lets onTimeoutCancel replace the result after a timeout", () => {
    const clock = new Clock();
    const seen: unknown[] = [];
    const d = new Deferred<string>().addTimeout(2, clock, (result, seconds) => {
      seen.push(result instanceof Failure && result.check(CancelledError) !== null, seconds);
      return "timed out";
    });
    clock.advance(2);
    assert.deepEqual(seen, [true, 2]);
    assert.equal(successResultOf(d), "timed out");
  });

  it("does not call onTimeoutCancel when the Deferred is cancelled by hand", () => {
    const clock = new Clock();
    let called = false;
    const d = new Deferred().addTimeout(2, clock, () => (called = true));
    d.cancel();
    assert.equal(called, false);
    assert.ok(failureResultOf(d).check(CancelledError));
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("times out a Deferred waiting on an inner one by cancelling the inner one", () => {
    const clock = new Clock();
    let innerCancelled = false;
    const inner = new Deferred(() => (innerCancelled = true));
    const d = new Deferred<number>();
    d.addCallback(() => inner);
    d.addTimeout(3, clock);
    d.callback(1);
    clock.advance(3);
    assert.equal(innerCancelled, true);
    assert.ok(failureResultOf(d).check(TimeoutError));
  });
});

describe("succeed and fail", () => {
  it("succeed() returns a Deferred that has fired with the value", () => {
    const d = succeed("v");
    assert.equal(d.called, true);
    assert.equal(successResultOf(d), "v");
  });

  it("fail() returns a Deferred that has failed with the error", () => {
    const error = new Error("e");
    const d = fail(error);
    assert.equal(d.called, true);
    assert.equal(failureResultOf(d).value, error);
  });

  it("describes its state with toString()", () => {
    assert.equal(String(new Deferred()), "<Deferred (pending)>");
    assert.equal(String(succeed(1)), "<Deferred current result: 1>");
    const d = fail(new Error("e"));
    assert.equal(String(d), "<Deferred current result: [Failure Error: e]>");
    failureResultOf(d);
  });
});
