// DeferredList, gatherResults and race.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  Deferred,
  DeferredList,
  fail,
  FailureGroup,
  FirstError,
  gatherResults,
  race,
  succeed,
} from "../../src/internet/defer.ts";
import type { Failure } from "../../src/internet/failure.ts";
import { assertNoResult, failureResultOf, successResultOf } from "./_defer_helpers.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

describe("DeferredList", () => {
  it("is a Deferred", () => {
    assert.ok(new DeferredList([]) instanceof Deferred);
  });

  it("fires with [success, result] pairs in input order once all have fired", () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    const dl = new DeferredList([a, b]);
    b.callback(2);
    assertNoResult(dl);
    const error = new Error("a failed");
    a.errback(error);
    const pairs = successResultOf(dl);
    assert.equal(pairs.length, 2);
    assert.equal(pairs[0][0], false);
    assert.equal((pairs[0][1] as Failure).value, error);
    assert.deepEqual(pairs[1], [true, 2]);
    failureResultOf(a);
  });

  it("fires at once with an empty list for no inputs", () => {
    assert.deepEqual(successResultOf(new DeferredList([])), []);
  });

  it("accepts Promises among its inputs", async () => {
    const dl = new DeferredList<number>([succeed(1), Promise.resolve(2)]);
    assert.deepEqual(await dl, [[true, 1], [true, 2]]);
  });

  it("fires with [result, index] of the first success with fireOnOneCallback", () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    const dl = new DeferredList<string, [string, number]>([a, b], { fireOnOneCallback: true });
    b.callback("b");
    assert.deepEqual(successResultOf(dl), ["b", 1]);
    a.callback("a"); // later results do not fire it again
  });

  it("does not fire for no inputs with fireOnOneCallback", () => {
    assertNoResult(new DeferredList([], { fireOnOneCallback: true }));
  });

  it("fails with FirstError on the first failure with fireOnOneErrback", () => {
    const a = new Deferred();
    const b = new Deferred();
    const dl = new DeferredList([a, b], { fireOnOneErrback: true, consumeErrors: true });
    const error = new RangeError("b failed");
    b.errback(error);
    const f = failureResultOf(dl);
    assert.ok(f.value instanceof FirstError);
    const first = f.value as FirstError;
    assert.equal(first.index, 1);
    assert.equal(first.subFailure.value, error);
    assert.equal(first.name, "FirstError");
  });

  it("leaves a failed input's own chain failing without consumeErrors", () => {
    const a = fail(new TypeError("kept"));
    new DeferredList([a]);
    assert.ok(failureResultOf(a).check(TypeError));
  });

  it("lets a failed input's own chain go on with null with consumeErrors", () => {
    const a = fail(new TypeError("consumed"));
    const dl = new DeferredList([a], { consumeErrors: true });
    assert.equal(successResultOf(a), null);
    assert.equal(successResultOf(dl)[0][0], false);
  });

  it("lets a successful input's chain go on with its result", () => {
    const a = succeed(3);
    new DeferredList([a], { consumeErrors: true });
    assert.equal(successResultOf(a), 3);
  });

  it("cancels its pending inputs when cancelled, then fires with their failures", () => {
    const a = new Deferred();
    const b = succeed("done");
    const dl = new DeferredList([a, b], { consumeErrors: true });
    dl.cancel();
    const pairs = successResultOf(dl);
    assert.equal(pairs[0][0], false);
    assert.ok((pairs[0][1] as Failure).check(CancelledError));
    assert.deepEqual(pairs[1], [true, "done"]);
  });

  it("counts finished inputs in finishedCount", () => {
    const a = new Deferred();
    const dl = new DeferredList([a, succeed(1)]);
    assert.equal(dl.finishedCount, 1);
    a.callback(null);
    assert.equal(dl.finishedCount, 2);
  });
});

describe("gatherResults", () => {
  it("fires with the results in input order", () => {
    const a = new Deferred<number>();
    const d = gatherResults([a, succeed(2)]);
    a.callback(1);
    assert.deepEqual(successResultOf(d), [1, 2]);
  });

  it("fails with FirstError when an input fails", () => {
    const error = new Error("x");
    const d = gatherResults([succeed(1), fail(error)], true);
    const f = failureResultOf(d);
    assert.ok(f.check(FirstError));
    assert.equal((f.value as FirstError).subFailure.value, error);
  });

  it("consumes the inputs' errors when asked", () => {
    const bad = fail(new Error("x"));
    failureResultOf(gatherResults([bad], true));
    assert.equal(successResultOf(bad), null);
  });

  it("fires with an empty list for no inputs", () => {
    assert.deepEqual(successResultOf(gatherResults([])), []);
  });
});

describe("race", () => {
  it("fires with [index, result] of the first success and cancels the others", () => {
    let cancelled = 0;
    const a = new Deferred<string>(() => cancelled++);
    const b = new Deferred<string>();
    const c = new Deferred<string>(() => cancelled++);
    const d = race([a, b, c]);
    b.callback("b wins");
    assert.deepEqual(successResultOf(d), [1, "b wins"]);
    assert.equal(cancelled, 2);
    // race consumed the cancelled input's failure: its chain goes on with undefined.
    assert.equal(successResultOf(a), undefined);
  });

  it("ignores failures while some input may still succeed", () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    const d = race([a, b]);
    a.errback(new Error("a lost"));
    assertNoResult(d);
    b.callback(2);
    assert.deepEqual(successResultOf(d), [1, 2]);
  });

  it("fails with FailureGroup holding every failure in input order when all fail", () => {
    const a = new Deferred();
    const b = new Deferred();
    const d = race([a, b]);
    const eb = new Error("b");
    const ea = new Error("a");
    b.errback(eb);
    a.errback(ea);
    const f = failureResultOf(d);
    assert.ok(f.value instanceof FailureGroup);
    const group = f.value as FailureGroup;
    assert.equal(group.name, "FailureGroup");
    assert.deepEqual(group.failures.map((x) => x.value), [ea, eb]);
  });

  it("cancels every input when cancelled", () => {
    let cancelled = 0;
    const inputs = [new Deferred(() => cancelled++), new Deferred(() => cancelled++)];
    const d = race(inputs);
    d.cancel();
    assert.equal(cancelled, 2);
    assert.ok(failureResultOf(d).check(FailureGroup));
  });

  it("keeps the first success when a cancelled input's canceller fires a success", () => {
    const a = new Deferred<string>((x) => x.callback("from canceller"));
    const b = new Deferred<string>();
    const d = race([a, b]);
    b.callback("b");
    assert.deepEqual(successResultOf(d), [1, "b"]);
  });
});
