// Deferreds with Promises, async functions, generators and AbortSignal.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  Deferred,
  ensureDeferred,
  execute,
  fail,
  inlineCallbacks,
  maybeDeferred,
  NotACoroutineError,
  succeed,
} from "../../src/internet/defer.ts";
import { Failure } from "../../src/internet/failure.ts";
import { assertNoResult, failureResultOf, successResultOf } from "./_defer_helpers.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

describe("await on a Deferred", () => {
  it("gives the result of a Deferred that has fired", async () => {
    assert.equal(await succeed(4), 4);
  });

  it("gives the result of a Deferred fired later", async () => {
    const d = new Deferred<string>();
    queueMicrotask(() => d.callback("later"));
    assert.equal(await d, "later");
  });

  it("throws the failure's underlying error", async () => {
    const error = new RangeError("nope");
    await assert.rejects(async () => await fail(error), (e) => e === error);
  });

  it("does not consume the result: the chain goes on with it", async () => {
    const d = succeed(1);
    assert.equal(await d, 1);
    assert.equal(await d, 1);
    assert.equal(successResultOf(d), 1);
  });

  it("sees the result at its point of the chain", async () => {
    const d = new Deferred<number>();
    d.addCallback((n) => n + 1);
    const awaited = d.then((n) => n);
    d.addCallback((n) => n * 100);
    d.callback(1);
    assert.equal(await awaited, 2);
    assert.equal(successResultOf(d), 200);
  });

  it("runs then() handlers asynchronously, like a Promise's", async () => {
    const d = succeed(1);
    const order: string[] = [];
    const p = d.then(() => order.push("handler"));
    order.push("sync");
    await p;
    assert.deepEqual(order, ["sync", "handler"]);
  });

  it("lets a then() handler's return value and throw reach the returned Promise", async () => {
    assert.equal(await succeed(2).then((n) => n * 3), 6);
    await assert.rejects(
      succeed(2).then(() => {
        throw new SyntaxError("in handler");
      }),
      SyntaxError,
    );
    assert.equal(await fail(new Error("e")).then(null, (e: Error) => e.message), "e");
  });

  it("keeps the failure on the chain after an await saw it", async () => {
    const d = fail(new TypeError("t"));
    await assert.rejects(async () => await d, TypeError);
    assert.ok(failureResultOf(d).check(TypeError));
  });

  it("waits while the Deferred is paused on an inner one", async () => {
    const inner = new Deferred<number>();
    const d = succeed(0).addCallback(() => inner);
    let done = false;
    const p = d.then((n) => {
      done = true;
      return n;
    });
    await Promise.resolve();
    assert.equal(done, false);
    inner.callback(9);
    assert.equal(await p, 9);
  });
});

describe("Deferred.asPromise", () => {
  it("returns a native Promise for the result", async () => {
    const p = succeed("x").asPromise();
    assert.ok(p instanceof Promise);
    assert.equal(await p, "x");
  });

  it("rejects with the failure's error", async () => {
    const error = new Error("bad");
    const d = new Deferred();
    const p = d.asPromise();
    d.errback(error);
    await assert.rejects(p, (e) => e === error);
  });
});

describe("Deferred.fromPromise", () => {
  it("fires with the Promise's value", async () => {
    const d = Deferred.fromPromise(Promise.resolve(3));
    assertNoResult(d);
    assert.equal(await d, 3);
  });

  it("fails with the Promise's rejection", async () => {
    const error = new Error("rejected");
    const d = Deferred.fromPromise(Promise.reject(error));
    const f = await new Promise<Failure>((resolve) => d.addErrback(resolve));
    assert.equal(f.value, error);
  });

  it("wraps a rejection with a non-Error value", async () => {
    const d = Deferred.fromPromise(Promise.reject(undefined));
    const f = await new Promise<Failure>((resolve) => d.addErrback(resolve));
    assert.ok(f.value instanceof Error);
  });

  it("returns a Deferred given to it unchanged", () => {
    const d = succeed(1);
    assert.equal(Deferred.fromPromise(d), d);
  });

  it("fails with CancelledError on cancel() and ignores the Promise's outcome", async () => {
    let resolve!: (n: number) => void;
    const d = Deferred.fromPromise(new Promise<number>((r) => (resolve = r)));
    d.cancel();
    resolve(1);
    await Promise.resolve();
    await Promise.resolve();
    assert.ok(failureResultOf(d).check(CancelledError));
  });
});

describe("Deferred.fromAbortable", () => {
  it("fires with the async function's result", async () => {
    const d = Deferred.fromAbortable(async (signal) => {
      await Promise.resolve();
      return signal.aborted ? "aborted" : "done";
    });
    assert.equal(await d, "done");
  });

  it("aborts the signal on cancel() and fails with CancelledError", async () => {
    let seen: AbortSignal | undefined;
    let settled = false;
    const d = Deferred.fromAbortable((signal) => {
      seen = signal;
      return new Promise<string>((_resolve, reject) => {
        signal.addEventListener("abort", () => {
          settled = true;
          reject(signal.reason);
        });
      });
    });
    d.cancel();
    assert.equal(seen?.aborted, true);
    assert.ok(seen?.reason instanceof CancelledError);
    assert.equal(settled, true);
    assert.ok(failureResultOf(d).check(CancelledError));
    await Promise.resolve(); // the late rejection is ignored, not an AlreadyCalledError
  });

  it("fails when the function throws synchronously", () => {
    const d = Deferred.fromAbortable(() => {
      throw new RangeError("sync");
    });
    assert.ok(failureResultOf(d).check(RangeError));
  });

  it("fires at once when the function returns a plain value", () => {
    assert.equal(successResultOf(Deferred.fromAbortable(() => 5)), 5);
  });

  it("fails with the function's rejection", async () => {
    const d = Deferred.fromAbortable(() => Promise.reject(new SyntaxError("async")));
    await assert.rejects(async () => await d, SyntaxError);
  });
});

describe("Deferred.cancelOn", () => {
  it("cancels the Deferred when the signal aborts", () => {
    const controller = new AbortController();
    const d = new Deferred().cancelOn(controller.signal);
    assertNoResult(d);
    controller.abort();
    assert.ok(failureResultOf(d).check(CancelledError));
  });

  it("cancels at once when the signal has already aborted", () => {
    const d = new Deferred().cancelOn(AbortSignal.abort());
    assert.ok(failureResultOf(d).check(CancelledError));
  });

  it("stops listening once the Deferred fires", () => {
    const controller = new AbortController();
    let cancels = 0;
    const d = new Deferred<number>(() => cancels++).cancelOn(controller.signal);
    d.callback(1);
    controller.abort();
    assert.equal(cancels, 0);
    assert.equal(successResultOf(d), 1);
  });

  it("does nothing on a Deferred that has fired", () => {
    const d = succeed(1).cancelOn(AbortSignal.abort());
    assert.equal(successResultOf(d), 1);
  });
});

describe("ensureDeferred", () => {
  it("adopts a Promise from an async function", async () => {
    const d = ensureDeferred((async () => await Promise.resolve(8))());
    assert.ok(d instanceof Deferred);
    assert.equal(await d, 8);
  });

  it("returns a Deferred unchanged", () => {
    const d = succeed(1);
    assert.equal(ensureDeferred(d), d);
  });

  it("runs a generator as inlineCallbacks does", () => {
    function* gen(): Generator<unknown, number, number> {
      const a = yield succeed(1);
      return a + 1;
    }
    assert.equal(successResultOf(ensureDeferred(gen())), 2);
  });

  it("throws NotACoroutineError for anything else", () => {
    // deno-lint-ignore no-explicit-any
    assert.throws(() => ensureDeferred(42 as any), NotACoroutineError);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => ensureDeferred(42 as any), TypeError);
  });
});

describe("maybeDeferred and execute", () => {
  it("maybeDeferred wraps a plain value in a fired Deferred", () => {
    assert.equal(successResultOf(maybeDeferred((a: number, b: number) => a + b, 1, 2)), 3);
  });

  it("maybeDeferred turns a throw into a failed Deferred", () => {
    const d = maybeDeferred(() => {
      throw new TypeError("thrown");
    });
    assert.ok(failureResultOf(d).check(TypeError));
  });

  it("maybeDeferred returns a returned Deferred as it is", () => {
    const inner = new Deferred<number>();
    assert.equal(maybeDeferred(() => inner), inner);
  });

  it("maybeDeferred turns a returned Failure into a failed Deferred", () => {
    const f = new Failure(new RangeError("r"));
    assert.equal(failureResultOf(maybeDeferred(() => f)), f);
  });

  it("maybeDeferred adopts a returned Promise", async () => {
    const d = maybeDeferred(() => Promise.resolve("p"));
    assert.equal(await d, "p");
  });

  it("execute fires with the return value without unwrapping it", () => {
    const promise = Promise.resolve(1);
    assert.equal(successResultOf(execute(() => promise)), promise);
    assert.equal(successResultOf(execute(Math.max, 1, 5)), 5);
  });

  it("execute turns a throw into a failed Deferred", () => {
    assert.ok(failureResultOf(execute(() => JSON.parse("{"))).check(SyntaxError));
  });
});

describe("inlineCallbacks", () => {
  it("returns the generator's return value through a Deferred", () => {
    const f = inlineCallbacks(function* (a: number) {
      const b: number = yield succeed(a * 2);
      const c: number = yield succeed(b + 1);
      return c;
    });
    assert.equal(successResultOf(f(5)), 11);
  });

  it("waits for a Deferred that fires later", () => {
    const later = new Deferred<string>();
    const d = inlineCallbacks(function* () {
      const s: string = yield later;
      return s.toUpperCase();
    })();
    assertNoResult(d);
    later.callback("late");
    assert.equal(successResultOf(d), "LATE");
  });

  it("waits for a yielded Promise", async () => {
    const d = inlineCallbacks(function* () {
      const n: number = yield Promise.resolve(20);
      return n + 1;
    })();
    assert.equal(await d, 21);
  });

  it("throws a failure's error into the generator at the yield", () => {
    const error = new RangeError("inside");
    let caught: unknown;
    const d = inlineCallbacks(function* () {
      try {
        yield fail(error);
      } catch (e) {
        caught = e;
      }
      return "recovered";
    })();
    assert.equal(caught, error);
    assert.equal(successResultOf(d), "recovered");
  });

  it("fails when the generator throws", () => {
    const d = inlineCallbacks(function* () {
      yield succeed(1);
      throw new SyntaxError("gen");
    })();
    assert.ok(failureResultOf(d).check(SyntaxError));
  });

  it("sends a yielded plain value straight back", () => {
    const d = inlineCallbacks(function* () {
      const x: number = yield 3;
      return x;
    })();
    assert.equal(successResultOf(d), 3);
  });

  it("runs 100000 already-fired yields without overflowing the stack", () => {
    const d = inlineCallbacks(function* () {
      let sum = 0;
      for (let i = 0; i < 100_000; i++) sum += (yield succeed(1)) as number;
      return sum;
    })();
    assert.equal(successResultOf(d), 100_000);
  });

  it("passes this and the arguments to the generator function", () => {
    const obj = {
      base: 10,
      add: inlineCallbacks(function* (this: { base: number }, n: number) {
        yield succeed(null);
        return this.base + n;
      }),
    };
    assert.equal(successResultOf(obj.add(5)), 15);
  });

  it("cancels the Deferred it waits on when cancelled", () => {
    let innerCancelled = false;
    const inner = new Deferred(() => (innerCancelled = true));
    let caught: unknown;
    const d = inlineCallbacks(function* () {
      try {
        yield inner;
      } catch (e) {
        caught = e;
        throw e;
      }
    })();
    d.cancel();
    assert.equal(innerCancelled, true);
    assert.ok(caught instanceof CancelledError);
    assert.ok(failureResultOf(d).check(CancelledError));
  });

  it("fails with CancelledError when the generator swallows the cancellation and waits again", () => {
    const second = new Deferred<string>();
    const d = inlineCallbacks(function* () {
      try {
        yield new Deferred();
      } catch {
        // ignore the cancellation and wait for something else
      }
      return yield second;
    })();
    d.cancel();
    assert.ok(failureResultOf(d).check(CancelledError));
    second.callback("ignored"); // the generator finishes; its result is dropped
  });

  it("fails with the error when the generator function itself throws", () => {
    const f = inlineCallbacks((): Generator<unknown, number> => {
      throw new Error("before generator");
    });
    assert.match(failureResultOf(f()).getErrorMessage(), /before generator/);
  });

  it("fires with the result of a returned Deferred", () => {
    const d = inlineCallbacks(function* () {
      yield succeed(1);
      return succeed("returned");
    })();
    assert.equal(successResultOf(d), "returned");
  });
});
