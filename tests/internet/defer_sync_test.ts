// DeferredLock, DeferredSemaphore and DeferredQueue.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  Deferred,
  DeferredLock,
  DeferredQueue,
  DeferredSemaphore,
  QueueOverflow,
  QueueUnderflow,
} from "../../src/internet/defer.ts";
import { assertNoResult, failureResultOf, successResultOf } from "./_defer_helpers.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

describe("DeferredLock", () => {
  it("fires acquire() at once with the lock when it is free", () => {
    const lock = new DeferredLock();
    assert.equal(lock.locked, false);
    assert.equal(successResultOf(lock.acquire()), lock);
    assert.equal(lock.locked, true);
  });

  it("makes a second acquire() wait until release()", () => {
    const lock = new DeferredLock();
    lock.acquire();
    const second = lock.acquire();
    assertNoResult(second);
    lock.release();
    assert.equal(successResultOf(second), lock);
    assert.equal(lock.locked, true);
    lock.release();
    assert.equal(lock.locked, false);
  });

  it("hands the lock to waiters in order", () => {
    const lock = new DeferredLock();
    const order: number[] = [];
    lock.acquire();
    for (const n of [1, 2, 3]) lock.acquire().addCallback(() => order.push(n));
    lock.release();
    lock.release();
    lock.release();
    assert.deepEqual(order, [1, 2, 3]);
  });

  it("removes a cancelled acquire() from the waiting list", () => {
    const lock = new DeferredLock();
    lock.acquire();
    const waiting = lock.acquire();
    waiting.cancel();
    assert.ok(failureResultOf(waiting).check(CancelledError));
    assert.equal(lock.waiting.length, 0);
    lock.release();
    assert.equal(lock.locked, false);
  });

  it("throws RangeError when released while unlocked", () => {
    assert.throws(() => new DeferredLock().release(), RangeError);
  });

  it("run() holds the lock while the function's Deferred is pending", () => {
    const lock = new DeferredLock();
    const work = new Deferred<string>();
    const d = lock.run((x: number) => work.addCallback((s) => `${s} ${x}`), 7);
    assert.equal(lock.locked, true);
    assertNoResult(d);
    work.callback("done");
    assert.equal(successResultOf(d), "done 7");
    assert.equal(lock.locked, false);
  });

  it("run() releases the lock when the function throws", () => {
    const lock = new DeferredLock();
    const d = lock.run(() => {
      throw new TypeError("inside");
    });
    assert.ok(failureResultOf(d).check(TypeError));
    assert.equal(lock.locked, false);
  });

  it("run() waits for a returned Promise", async () => {
    const lock = new DeferredLock();
    const value = await lock.run(async () => {
      await Promise.resolve();
      return lock.locked;
    });
    assert.equal(value, true);
    assert.equal(lock.locked, false);
  });
});

describe("DeferredSemaphore", () => {
  it("throws RangeError for fewer than 1 token", () => {
    assert.throws(() => new DeferredSemaphore(0), RangeError);
    assert.throws(() => new DeferredSemaphore(-1), RangeError);
  });

  it("gives out tokens up to the limit, then makes acquire() wait", () => {
    const sem = new DeferredSemaphore(2);
    assert.equal(sem.tokens, 2);
    assert.equal(sem.limit, 2);
    assert.equal(successResultOf(sem.acquire()), sem);
    successResultOf(sem.acquire());
    assert.equal(sem.tokens, 0);
    const third = sem.acquire();
    assertNoResult(third);
    sem.release();
    assert.equal(successResultOf(third), sem);
    assert.equal(sem.tokens, 0);
  });

  it("throws RangeError when released more often than acquired", () => {
    const sem = new DeferredSemaphore(1);
    assert.throws(() => sem.release(), RangeError);
  });

  it("removes a cancelled acquire() from the waiting list", () => {
    const sem = new DeferredSemaphore(1);
    sem.acquire();
    const waiting = sem.acquire();
    waiting.cancel();
    assert.equal(sem.waiting.length, 0);
    sem.release();
    assert.equal(sem.tokens, 1);
    failureResultOf(waiting);
  });

  it("run() limits how many functions run at once", () => {
    const sem = new DeferredSemaphore(2);
    const jobs = [new Deferred(), new Deferred(), new Deferred()];
    let started = 0;
    const results = jobs.map((job) =>
      sem.run(() => {
        started++;
        return job;
      })
    );
    assert.equal(started, 2);
    jobs[0].callback("first");
    assert.equal(started, 3);
    assert.equal(successResultOf(results[0]), "first");
    jobs[1].callback(null);
    jobs[2].callback(null);
    assert.equal(sem.tokens, 2);
  });
});

describe("DeferredQueue", () => {
  it("fires get() with an item already put", () => {
    const q = new DeferredQueue<string>();
    q.put("a");
    assert.equal(successResultOf(q.get()), "a");
  });

  it("fires a waiting get() when an item is put", () => {
    const q = new DeferredQueue<number>();
    const first = q.get();
    const second = q.get();
    q.put(1);
    q.put(2);
    assert.equal(successResultOf(first), 1);
    assert.equal(successResultOf(second), 2);
  });

  it("throws QueueOverflow when putting beyond size", () => {
    const q = new DeferredQueue<number>(1);
    q.put(1);
    assert.throws(() => q.put(2), QueueOverflow);
    assert.deepEqual(q.pending, [1]);
  });

  it("throws QueueUnderflow when getting beyond backlog", () => {
    const q = new DeferredQueue<number>(Infinity, 1);
    q.get();
    assert.throws(() => q.get(), QueueUnderflow);
  });

  it("gives its errors their own names", () => {
    assert.equal(new QueueOverflow().name, "QueueOverflow");
    assert.equal(new QueueUnderflow().name, "QueueUnderflow");
  });

  it("removes a cancelled get() from the waiting list", () => {
    const q = new DeferredQueue<string>();
    const cancelled = q.get();
    const kept = q.get();
    cancelled.cancel();
    assert.ok(failureResultOf(cancelled).check(CancelledError));
    assert.equal(q.waiting.length, 1);
    q.put("x");
    assert.equal(successResultOf(kept), "x");
  });

  it("does not count a cancelled get() against the backlog", () => {
    const q = new DeferredQueue<number>(Infinity, 1);
    const first = q.get();
    first.cancel();
    failureResultOf(first);
    assertNoResult(q.get());
  });
});
