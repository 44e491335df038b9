import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Clock,
  cooperate,
  Cooperator,
  deferLater,
  LoopingCall,
  NotPaused,
  react,
  SchedulerStopped,
  TaskDone,
  TaskStopped,
} from "../../src/internet/task.ts";
import { CancelledError, Deferred } from "../../src/internet/defer.ts";
import { AlreadyCalled, AlreadyCancelled } from "../../src/internet/error.ts";
import type { Failure } from "../../src/internet/failure.ts";
import { getReactor, installReactor, Reactor } from "../../src/internet/reactor.ts";
import type { Runtime } from "../../src/internet/socket.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

/** Records a Deferred's outcome synchronously. */
function outcome<T>(d: Deferred<T>): { value?: T; failure?: Failure; fired: boolean } {
  const o: { value?: T; failure?: Failure; fired: boolean } = { fired: false };
  d.addCallbacks((value) => {
    o.value = value;
    o.fired = true;
    return null;
  }, (failure) => {
    o.failure = failure;
    o.fired = true;
    return null;
  });
  return o;
}

describe("Clock", () => {
  it("seconds() starts at 0 and advance() moves it", () => {
    const clock = new Clock();
    assert.equal(clock.seconds(), 0);
    clock.advance(1.5);
    assert.equal(clock.seconds(), 1.5);
    assert.throws(() => clock.advance(-1), RangeError);
  });

  it("callLater() runs calls when time reaches them, with their arguments", () => {
    const clock = new Clock();
    const got: unknown[] = [];
    clock.callLater(2, (a: number, b: string) => got.push([a, b]), 1, "x");
    clock.advance(1.999);
    assert.deepEqual(got, []);
    clock.advance(0.001);
    assert.deepEqual(got, [[1, "x"]]);
  });

  it("runs calls in time order and ties in scheduling order", () => {
    const clock = new Clock();
    const order: string[] = [];
    clock.callLater(3, () => order.push("c"));
    clock.callLater(1, () => order.push("a1"));
    clock.callLater(2, () => order.push("b"));
    clock.callLater(1, () => order.push("a2"));
    clock.advance(10);
    assert.deepEqual(order, ["a1", "a2", "b", "c"]);
  });

  it("runs a call scheduled during advance() in the same advance when it is due", () => {
    const clock = new Clock();
    const order: string[] = [];
    clock.callLater(1, () => {
      order.push("first");
      clock.callLater(0, () => order.push("now"));
      clock.callLater(0.5, () => order.push("later"));
    });
    // As in Twisted, time jumps first: "now" is at 2, "later" at 2.5.
    clock.advance(2);
    assert.deepEqual(order, ["first", "now"]);
    assert.equal(clock.getDelayedCalls().length, 1);
  });

  it("getDelayedCalls() lists the pending calls, earliest first", () => {
    const clock = new Clock();
    const b = clock.callLater(2, () => {});
    const a = clock.callLater(1, () => {});
    assert.deepEqual(clock.getDelayedCalls(), [a, b]);
    a.cancel();
    assert.deepEqual(clock.getDelayedCalls(), [b]);
  });

  it("pump() advances step by step", () => {
    const clock = new Clock();
    const seen: number[] = [];
    clock.callLater(1, () => seen.push(clock.seconds()));
    clock.callLater(2.5, () => seen.push(clock.seconds()));
    clock.pump([1, 1, 1]);
    assert.deepEqual(seen, [1, 3]);
    assert.equal(clock.seconds(), 3);
  });

  it("lets an exception from a call propagate from advance(), later calls stay pending", () => {
    const clock = new Clock();
    let ran = false;
    clock.callLater(1, () => {
      throw new Error("boom");
    });
    clock.callLater(1, () => (ran = true));
    assert.throws(() => clock.advance(1), /boom/);
    assert.equal(ran, false);
    clock.advance(0);
    assert.equal(ran, true);
  });
});

describe("DelayedCall (through Clock)", () => {
  it("getTime() is the absolute time of the call", () => {
    const clock = new Clock();
    clock.advance(10);
    assert.equal(clock.callLater(5, () => {}).getTime(), 15);
  });

  it("cancel() prevents the call and makes it inactive", () => {
    const clock = new Clock();
    let ran = false;
    const call = clock.callLater(1, () => (ran = true));
    assert.equal(call.active(), true);
    call.cancel();
    assert.equal(call.active(), false);
    clock.advance(2);
    assert.equal(ran, false);
    assert.throws(() => call.cancel(), AlreadyCancelled);
    assert.throws(() => call.reset(1), AlreadyCancelled);
    assert.throws(() => call.delay(1), AlreadyCancelled);
  });

  it("a call that ran throws AlreadyCalled when cancelled, reset or delayed", () => {
    const clock = new Clock();
    const call = clock.callLater(1, () => {});
    clock.advance(1);
    assert.equal(call.active(), false);
    assert.throws(() => call.cancel(), AlreadyCalled);
    assert.throws(() => call.reset(1), AlreadyCalled);
    assert.throws(() => call.delay(1), AlreadyCalled);
  });

  it("delay() pushes the call back and reset() reschedules it from now", () => {
    const clock = new Clock();
    const order: string[] = [];
    const a = clock.callLater(1, () => order.push("a"));
    clock.callLater(2, () => order.push("b"));
    a.delay(2);
    assert.equal(a.getTime(), 3);
    clock.advance(2);
    assert.deepEqual(order, ["b"]);
    a.reset(10);
    assert.equal(a.getTime(), 12);
    clock.advance(9.9);
    assert.deepEqual(order, ["b"]);
    clock.advance(0.1);
    assert.deepEqual(order, ["b", "a"]);
  });

  it("reset() can bring a call forward", () => {
    const clock = new Clock();
    let ran = false;
    const call = clock.callLater(100, () => (ran = true));
    call.reset(1);
    clock.advance(1);
    assert.equal(ran, true);
  });

  it("callLater() rejects a negative or NaN delay", () => {
    const clock = new Clock();
    assert.throws(() => clock.callLater(-1, () => {}), RangeError);
    assert.throws(() => clock.callLater(NaN, () => {}), RangeError);
  });

  it("callLater() rejects something that is not a function", () => {
    const clock = new Clock();
    assert.throws(() => clock.callLater(1, "nope" as unknown as () => void), TypeError);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("keeps the order of many calls scheduled, cancelled and reset at random", () => {
    const clock = new Clock();
    let seed = 42;
    const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const calls: { call: ReturnType<Clock["callLater"]>; id: number }[] = [];
    const ran: number[] = [];
    for (let id = 0; id < 300; id++) {
      calls.push({ call: clock.callLater(Math.floor(rand() * 50), () => ran.push(id)), id });
    }
    for (const { call } of calls) {
      const r = rand();
      if (r < 0.2) call.cancel();
      else if (r < 0.4) call.reset(Math.floor(rand() * 50));
    }
    const expected = calls.filter(({ call }) => call.active())
      .map(({ call, id }) => ({ t: call.getTime(), id }))
      .sort((x, y) => x.t - y.t || x.id - y.id).map(({ id }) => id);
    clock.advance(100);
    assert.deepEqual(ran, expected);
  });
});

describe("LoopingCall", () => {
  it("calls the function at once and then every interval", () => {
    const clock = new Clock();
    const times: number[] = [];
    const loop = new LoopingCall(() => times.push(clock.seconds()));
    loop.clock = clock;
    loop.start(1);
    assert.equal(loop.running, true);
    clock.pump([0.5, 0.5, 1, 1]);
    assert.deepEqual(times, [0, 1, 2, 3]);
    loop.stop();
    clock.advance(5);
    assert.deepEqual(times, [0, 1, 2, 3]);
  });

  it("with now = false waits one interval before the first call", () => {
    const clock = new Clock();
    let count = 0;
    const loop = new LoopingCall((step: number) => (count += step), 2);
    loop.clock = clock;
    loop.start(1, false);
    assert.equal(count, 0);
    clock.advance(1);
    assert.equal(count, 2);
    loop.stop();
  });

  it("start() returns a Deferred that fires with the LoopingCall on stop()", () => {
    const clock = new Clock();
    const loop = new LoopingCall(() => {});
    loop.clock = clock;
    const o = outcome(loop.start(1));
    clock.advance(1);
    assert.equal(o.fired, false);
    loop.stop();
    assert.equal(o.value, loop);
    assert.equal(loop.running, false);
  });

  it("stops and fails the Deferred when the function throws", () => {
    const clock = new Clock();
    let n = 0;
    const loop = new LoopingCall(() => {
      if (++n === 3) throw new Error("third time");
    });
    loop.clock = clock;
    const o = outcome(loop.start(1));
    clock.pump([1, 1, 1, 1]);
    assert.equal(n, 3);
    assert.equal(o.failure?.getErrorMessage(), "third time");
    assert.equal(loop.running, false);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("waits for a returned Deferred before scheduling the next call", () => {
    const clock = new Clock();
    const pending: Deferred<null>[] = [];
    const times: number[] = [];
    const loop = new LoopingCall(() => {
      times.push(clock.seconds());
      const d = new Deferred<null>();
      pending.push(d);
      return d;
    });
    loop.clock = clock;
    loop.start(1);
    clock.advance(1);
    clock.advance(1);
    assert.deepEqual(times, [0]);
    assert.equal(clock.getDelayedCalls().length, 0);
    clock.advance(0.5); // now 2.5: the next boundary is 3
    pending[0].callback(null);
    clock.advance(0.5);
    assert.deepEqual(times, [0, 3]);
    loop.stop();
    pending[1].callback(null);
  });

  it("fails when a returned Promise rejects", async () => {
    const clock = new Clock();
    const loop = new LoopingCall(() => Promise.reject(new RangeError("async fail")));
    loop.clock = clock;
    await assert.rejects(() => Promise.resolve(loop.start(1)), RangeError);
    assert.equal(loop.running, false);
  });

  it("stop() while the function's Deferred is pending fires once it arrives", () => {
    const clock = new Clock();
    const d = new Deferred<null>();
    const loop = new LoopingCall(() => d);
    loop.clock = clock;
    const o = outcome(loop.start(1));
    loop.stop();
    assert.equal(o.fired, false);
    d.callback(null);
    assert.equal(o.value, loop);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("skips intervals missed while the clock jumps", () => {
    const clock = new Clock();
    const times: number[] = [];
    const loop = new LoopingCall(() => times.push(clock.seconds()));
    loop.clock = clock;
    loop.start(1);
    clock.advance(3.5);
    clock.advance(0.5);
    assert.deepEqual(times, [0, 3.5, 4]);
    loop.stop();
  });

  it("withCount() passes the number of intervals elapsed", () => {
    const clock = new Clock();
    const counts: number[] = [];
    const loop = LoopingCall.withCount((n) => counts.push(n));
    loop.clock = clock;
    loop.start(1);
    clock.advance(1);
    clock.advance(3);
    clock.advance(1);
    assert.deepEqual(counts, [1, 1, 3, 1]);
    loop.stop();
  });

  it("withCount() counts the first interval with now = false", () => {
    const clock = new Clock();
    const counts: number[] = [];
    const loop = LoopingCall.withCount((n) => counts.push(n));
    loop.clock = clock;
    loop.start(2, false);
    clock.advance(7);
    assert.deepEqual(counts, [3]);
    loop.stop();
  });

  it("interval 0 calls again on every advance", () => {
    const clock = new Clock();
    const counts: number[] = [];
    const loop = LoopingCall.withCount((n) => {
      counts.push(n);
      if (counts.length === 3) loop.stop();
    });
    loop.clock = clock;
    loop.start(0);
    clock.advance(0);
    clock.advance(0);
    assert.deepEqual(counts, [1, 1, 1]);
  });

  it("stop() when not running and start() when running throw", () => {
    const clock = new Clock();
    const loop = new LoopingCall(() => {});
    loop.clock = clock;
    assert.throws(() => loop.stop(), TypeError);
    loop.start(1);
    assert.throws(() => loop.start(1), TypeError);
    loop.stop();
    assert.throws(() => loop.stop(), TypeError);
    assert.throws(() => loop.start(-1), RangeError);
  });

  it("reset() restarts the interval from now", () => {
    const clock = new Clock();
    const times: number[] = [];
    const loop = new LoopingCall(() => times.push(clock.seconds()));
    loop.clock = clock;
    loop.start(2);
    clock.advance(1.5);
    loop.reset();
    clock.advance(1.5);
    assert.deepEqual(times, [0]);
    clock.advance(0.5);
    assert.deepEqual(times, [0, 3.5]);
    loop.stop();
  });

  it("defaults its clock to the installed reactor", () => {
    const reactor = new Reactor({} as Runtime);
    let previous: Reactor | undefined;
    try {
      previous = getReactor();
    } catch {
      previous = undefined;
    }
    installReactor(reactor);
    try {
      assert.equal(new LoopingCall(() => {}).clock, reactor);
    } finally {
      if (previous) installReactor(previous);
    }
  });
});

describe("deferLater", () => {
  it("fires with the function's result after the delay", () => {
    const clock = new Clock();
    const o = outcome(deferLater(clock, 3, (a: number, b: number) => a + b, 1, 2));
    clock.advance(2.9);
    assert.equal(o.fired, false);
    clock.advance(0.1);
    assert.equal(o.value, 3);
  });

  it("fires with null when given no function", () => {
    const clock = new Clock();
    const o = outcome(deferLater(clock, 1));
    clock.advance(1);
    assert.equal(o.fired, true);
    assert.equal(o.value, null);
  });

  it("fails when the function throws", () => {
    const clock = new Clock();
    const o = outcome(deferLater(clock, 1, () => {
      throw new TypeError("bad");
    }));
    clock.advance(1);
    assert.ok(o.failure?.check(TypeError));
  });

  it("waits for a Promise returned by the function", async () => {
    const clock = new Clock();
    const d = deferLater(clock, 1, () => Promise.resolve("later"));
    clock.advance(1);
    assert.equal(await d, "later");
  });

  it("cancel() fails it with CancelledError and the function never runs", () => {
    const clock = new Clock();
    let ran = false;
    const d = deferLater(clock, 1, () => (ran = true));
    const o = outcome(d);
    d.cancel();
    assert.ok(o.failure?.check(CancelledError));
    assert.equal(clock.getDelayedCalls().length, 0);
    clock.advance(2);
    assert.equal(ran, false);
  });
});

/** A Runtime with what react() and the reactor core use. */
function fakeRuntime(): { runtime: Runtime; exits: number[] } {
  const exits: number[] = [];
  const runtime = {
    name: "fake",
    onSignal: () => () => {},
    exit: (code: number): never => {
      exits.push(code);
      return undefined as never;
    },
  } as unknown as Runtime;
  return { runtime, exits };
}

describe("deferLater cancellation after the delay", () => {
  it("cancel() while fn's Deferred is pending cancels that Deferred", () => {
    const clock = new Clock();
    let innerCancelled = false;
    const inner = new Deferred<string>(() => (innerCancelled = true));
    const d = deferLater(clock, 1, () => inner);
    const o = outcome(d);
    clock.advance(1);
    assert.equal(o.fired, false);
    d.cancel();
    assert.equal(innerCancelled, true);
    assert.ok(o.failure?.check(CancelledError));
  });
});

describe("react", () => {
  it("runs main with the reactor and argv and exits with 0 on success", async () => {
    const { runtime, exits } = fakeRuntime();
    const reactor = new Reactor(runtime);
    let got: unknown[] = [];
    await react(
      (r, a: string, b: string) => {
        got = [r, a, b, r.running];
        return new Promise((resolve) => r.callLater(0.001, () => resolve(null)));
      },
      ["x", "y"],
      reactor,
    );
    assert.deepEqual(got, [reactor, "x", "y", false]);
    assert.deepEqual(exits, [0]);
    assert.equal(reactor.running, false);
  });

  it("exits with 1 and prints the failure when main's Deferred fails", async () => {
    const { runtime, exits } = fakeRuntime();
    const reactor = new Reactor(runtime);
    const printed: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => printed.push(args.join(" "));
    try {
      await react(
        () => {
          const d = new Deferred<null>();
          reactor.callLater(0, () => d.errback(new Error("main failed")));
          return d;
        },
        [],
        reactor,
      );
    } finally {
      console.error = original;
    }
    assert.deepEqual(exits, [1]);
    assert.ok(printed.some((text) => String(text).includes("main failed")), String(printed));
  });

  it("exits with 1 when main throws synchronously", async () => {
    const { runtime, exits } = fakeRuntime();
    const original = console.error;
    console.error = () => {};
    try {
      await react(
        () => {
          throw new Error("sync");
        },
        [],
        new Reactor(runtime),
      );
    } finally {
      console.error = original;
    }
    assert.deepEqual(exits, [1]);
  });

  it("exits with 0 when the reactor is stopped before main finishes", async () => {
    const { runtime, exits } = fakeRuntime();
    const reactor = new Reactor(runtime);
    await react(
      (r) => {
        r.callWhenRunning(() => r.stop());
        return new Deferred<null>();
      },
      [],
      reactor,
    );
    assert.deepEqual(exits, [0]);
  });
});

/** A scheduler the test drives by hand, and a predicate allowing `n` steps per tick. */
function manual(stepsPerTick: number): {
  options: ConstructorParameters<typeof Cooperator>[0];
  tick: () => boolean;
} {
  let pending: (() => void) | undefined;
  return {
    options: {
      scheduler: (fn) => {
        pending = fn;
        return { cancel: () => (pending = undefined) };
      },
      terminationPredicateFactory: () => {
        let n = 0;
        return () => ++n >= stepsPerTick;
      },
    },
    tick: () => {
      const fn = pending;
      pending = undefined;
      fn?.();
      return fn !== undefined;
    },
  };
}

describe("Cooperator", () => {
  it("runs an iterator to completion in slices and whenDone() fires with it", () => {
    const { options, tick } = manual(2);
    const coop = new Cooperator(options);
    const seen: number[] = [];
    const it = (function* () {
      for (let i = 0; i < 5; i++) seen.push(i), yield i;
    })();
    const task = coop.cooperate(it);
    const o = outcome(task.whenDone());
    assert.deepEqual(seen, [], "nothing runs before the first tick");
    tick();
    assert.deepEqual(seen, [0, 1]);
    tick();
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.equal(o.fired, false);
    tick();
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    assert.equal(o.value, it);
    assert.equal(tick(), false, "no tick is scheduled once all tasks are done");
  });

  it("interleaves tasks in round robin", () => {
    const { options, tick } = manual(3);
    const coop = new Cooperator(options);
    const seen: string[] = [];
    const gen = (name: string) =>
      (function* () {
        for (let i = 0; i < 3; i++) seen.push(`${name}${i}`), yield;
      })();
    coop.cooperate(gen("a"));
    coop.cooperate(gen("b"));
    tick();
    tick();
    assert.deepEqual(seen, ["a0", "b0", "a1", "b1", "a2", "b2"]);
  });

  it("pause() and resume() suspend a task; resume() when not paused throws NotPaused", () => {
    const { options, tick } = manual(10);
    const coop = new Cooperator(options);
    let n = 0;
    const task = coop.cooperate((function* () {
      for (;;) n++, yield;
    })());
    task.pause();
    task.pause();
    tick();
    assert.equal(n, 0);
    task.resume();
    tick();
    assert.equal(n, 0);
    task.resume();
    tick();
    assert.equal(n, 10);
    assert.throws(() => task.resume(), NotPaused);
    task.stop();
  });

  it("stop() fails whenDone() with TaskStopped and later calls throw", () => {
    const { options, tick } = manual(1);
    const coop = new Cooperator(options);
    let n = 0;
    const task = coop.cooperate((function* () {
      for (;;) n++, yield;
    })());
    const o = outcome(task.whenDone());
    tick();
    task.stop();
    assert.ok(o.failure?.check(TaskStopped));
    assert.equal(tick(), false);
    assert.equal(n, 1);
    assert.throws(() => task.stop(), TaskDone);
    assert.throws(() => task.pause(), TaskStopped);
    assert.ok(outcome(task.whenDone()).failure?.check(TaskStopped));
  });

  it("a failing iterator fails whenDone() with its error", () => {
    const { options, tick } = manual(5);
    const coop = new Cooperator(options);
    const task = coop.cooperate((function* () {
      yield;
      throw new RangeError("in job");
    })());
    const o = outcome(task.whenDone());
    tick();
    assert.ok(o.failure?.check(RangeError));
  });

  it("a yielded Deferred pauses the task until it fires", () => {
    const { options, tick } = manual(10);
    const coop = new Cooperator(options);
    const d = new Deferred<null>();
    const seen: string[] = [];
    const task = coop.cooperate((function* () {
      seen.push("before");
      yield d;
      seen.push("after");
    })());
    const o = outcome(task.whenDone());
    tick();
    assert.deepEqual(seen, ["before"]);
    assert.equal(tick(), false, "a waiting task needs no ticks");
    d.callback(null);
    tick();
    assert.deepEqual(seen, ["before", "after"]);
    assert.equal(o.fired, true);
  });

  it("a yielded Deferred that fails fails the task", () => {
    const { options, tick } = manual(10);
    const coop = new Cooperator(options);
    const d = new Deferred<null>();
    const o = outcome(coop.coiterate([d, 1, 2]));
    tick();
    d.errback(new Error("waited for nothing"));
    assert.equal(o.failure?.getErrorMessage(), "waited for nothing");
  });

  it("a yielded Promise pauses the task until it settles", async () => {
    const { options, tick } = manual(10);
    const coop = new Cooperator(options);
    let release!: () => void;
    const seen: string[] = [];
    const done = coop.coiterate((function* () {
      yield new Promise<void>((r) => (release = r));
      seen.push("after");
    })());
    tick();
    await Promise.resolve();
    assert.deepEqual(seen, []);
    release();
    await new Promise((r) => setTimeout(r, 0));
    tick();
    assert.deepEqual(seen, ["after"]);
    await done;
  });

  it("Cooperator.stop() ends running tasks with SchedulerStopped, and new ones too", () => {
    const { options, tick } = manual(1);
    const coop = new Cooperator(options);
    const o = outcome(coop.coiterate((function* () {
      for (;;) yield;
    })()));
    tick();
    assert.equal(coop.running, true);
    coop.stop();
    assert.equal(coop.running, false);
    assert.ok(o.failure?.check(SchedulerStopped));
    assert.equal(tick(), false);
    assert.ok(outcome(coop.coiterate([1])).failure?.check(SchedulerStopped));
  });

  it("with started: false runs nothing until start()", () => {
    const { options, tick } = manual(10);
    const coop = new Cooperator({ ...options, started: false });
    let n = 0;
    coop.cooperate((function* () {
      n++;
      yield;
    })());
    assert.equal(tick(), false);
    coop.start();
    tick();
    assert.equal(n, 1);
  });

  it("ticks on a Clock and yields between time slices", () => {
    const clock = new Clock();
    let calls = 0;
    const coop = new Cooperator({
      clock,
      terminationPredicateFactory: () => () => true,
    });
    const o = outcome(coop.coiterate((function* () {
      for (let i = 0; i < 3; i++) calls++, yield;
    })()));
    assert.equal(clock.getDelayedCalls().length, 1);
    clock.advance(0);
    assert.equal(calls, 3, "a Clock runs due calls scheduled during advance()");
    assert.equal(o.fired, true);
  });

  it("cooperate() uses the process-wide Cooperator on the installed reactor", async () => {
    const { runtime } = fakeRuntime();
    const reactor = new Reactor(runtime);
    let previous: Reactor | undefined;
    try {
      previous = getReactor();
    } catch {
      previous = undefined;
    }
    installReactor(reactor);
    try {
      let n = 0;
      const task = cooperate((function* () {
        for (let i = 0; i < 100; i++) n++, yield;
      })());
      assert.equal(n, 0);
      const result = await task.whenDone();
      assert.equal(n, 100);
      assert.equal(typeof result.next, "function");
    } finally {
      if (previous) installReactor(previous);
    }
  });
});
