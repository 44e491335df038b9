import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { getReactor, installReactor, Reactor } from "../../src/internet/reactor.ts";
import {
  AlreadyCalled,
  AlreadyCancelled,
  ReactorAlreadyRunning,
  ReactorNotRunning,
} from "../../src/internet/error.ts";
import type { Runtime } from "../../src/internet/socket.ts";
import { Deferred } from "../../src/internet/defer.ts";
import { globalLogPublisher, type LogEvent } from "../../src/logger/mod.ts";
import { flushLoggedErrors, trackLeaks } from "../../src/testing/mod.ts";

/** A Runtime with only what the reactor core uses: signals and exit. */
class FakeRuntime {
  readonly name = "fake";
  handlers = new Map<string, Set<() => void>>();
  exits: number[] = [];

  onSignal(signal: string, handler: () => void): () => void {
    let set = this.handlers.get(signal);
    if (!set) this.handlers.set(signal, set = new Set());
    set.add(handler);
    return () => set.delete(handler);
  }

  signal(name: string): void {
    for (const handler of [...(this.handlers.get(name) ?? [])]) handler();
  }

  count(name: string): number {
    return this.handlers.get(name)?.size ?? 0;
  }

  exit(code: number): never {
    this.exits.push(code);
    return undefined as never;
  }
}

function makeReactor(): { reactor: Reactor; runtime: FakeRuntime } {
  const runtime = new FakeRuntime();
  return { reactor: new Reactor(runtime as unknown as Runtime), runtime };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every ms until true, for at most `limit` ms. */
async function until(cond: () => boolean, limit = 2000): Promise<void> {
  const end = Date.now() + limit;
  while (!cond()) {
    if (Date.now() > end) throw new Error("Condition not met in time");
    await sleep(1);
  }
}

function captureLog(): { events: LogEvent[]; stop: () => void } {
  const events: LogEvent[] = [];
  const observer = (e: LogEvent): void => {
    events.push(e);
  };
  globalLogPublisher.addObserver(observer);
  return { events, stop: () => globalLogPublisher.removeObserver(observer) };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
// After the cleanup above: the leak check sees what the test and its cleanup left.
trackLeaks({ beforeEach, afterEach });

describe("Reactor time", () => {
  it("seconds() returns wall-clock seconds", () => {
    const { reactor } = makeReactor();
    assert.ok(Math.abs(reactor.seconds() - Date.now() / 1000) < 1);
  });

  it("callLater() runs the call after its delay without run()", async () => {
    const { reactor } = makeReactor();
    const start = reactor.seconds();
    let ranAt = 0;
    let got: unknown[] = [];
    reactor.callLater(
      0.01,
      (a: number, b: string) => {
        ranAt = reactor.seconds();
        got = [a, b];
      },
      1,
      "x",
    );
    assert.equal(reactor.getDelayedCalls().length, 1);
    await until(() => ranAt > 0);
    assert.deepEqual(got, [1, "x"]);
    assert.ok(ranAt - start >= 0.009, `ran after ${ranAt - start}s`);
    assert.equal(reactor.getDelayedCalls().length, 0);
  });

  it("callLater() runs calls in time order, ties in scheduling order", async () => {
    const { reactor } = makeReactor();
    const order: string[] = [];
    reactor.callLater(0.02, () => order.push("c"));
    reactor.callLater(0.005, () => order.push("a"));
    reactor.callLater(0.005, () => order.push("b"));
    reactor.callLater(0.0051, () => order.push("b2"));
    await until(() => order.length === 4);
    assert.deepEqual(order, ["a", "b", "b2", "c"]);
  });

  it("a call scheduled with delay 0 from a call runs on a later pass", async () => {
    const { reactor } = makeReactor();
    const order: string[] = [];
    reactor.callLater(0, () => {
      order.push("first");
      reactor.callLater(0, () => order.push("third"));
      order.push("second");
    });
    await until(() => order.length === 3);
    assert.deepEqual(order, ["first", "second", "third"]);
  });

  it("cancel() stops the call from running and clears the timer", async () => {
    const { reactor } = makeReactor();
    let ran = false;
    const call = reactor.callLater(0.005, () => (ran = true));
    assert.ok(call.active());
    call.cancel();
    assert.ok(!call.active());
    assert.equal(reactor.getDelayedCalls().length, 0);
    await sleep(15);
    assert.equal(ran, false);
    assert.throws(() => call.cancel(), AlreadyCancelled);
    assert.throws(() => call.reset(1), AlreadyCancelled);
    assert.throws(() => call.delay(1), AlreadyCancelled);
  });

  it("a call that has run cannot be cancelled, reset or delayed", async () => {
    const { reactor } = makeReactor();
    let ran = false;
    const call = reactor.callLater(0, () => (ran = true));
    await until(() => ran);
    assert.ok(!call.active());
    assert.throws(() => call.cancel(), AlreadyCalled);
    assert.throws(() => call.reset(1), AlreadyCalled);
    assert.throws(() => call.delay(1), AlreadyCalled);
  });

  it("reset() moves a call later and brings it sooner", async () => {
    const { reactor } = makeReactor();
    const order: string[] = [];
    const late = reactor.callLater(10, () => order.push("late"));
    const early = reactor.callLater(0.005, () => order.push("early"));
    early.reset(10);
    late.reset(0.002);
    const t = reactor.seconds();
    assert.ok(Math.abs(late.getTime() - (t + 0.002)) < 0.01);
    await until(() => order.length === 1);
    await sleep(10);
    assert.deepEqual(order, ["late"]);
    assert.ok(early.active());
    early.cancel();
  });

  it("delay() pushes a call back by the given seconds", () => {
    const { reactor } = makeReactor();
    const call = reactor.callLater(1, () => {});
    const before = call.getTime();
    call.delay(2);
    assert.equal(call.getTime(), before + 2);
    call.cancel();
  });

  it("callLater() rejects a negative or non-finite delay", () => {
    const { reactor } = makeReactor();
    assert.throws(() => reactor.callLater(-1, () => {}), RangeError);
    assert.throws(() => reactor.callLater(NaN, () => {}), RangeError);
  });

  it("an exception in a delayed call is logged and later calls still run", async () => {
    const { reactor } = makeReactor();
    const log = captureLog();
    cleanups.push(log.stop);
    let after = false;
    reactor.callLater(0, () => {
      throw new Error("boom");
    });
    reactor.callLater(0, () => (after = true));
    await until(() => after);
    const event = log.events.find((e) => e.log_namespace === "reactor");
    assert.ok(event, "a reactor event was logged");
    assert.equal(event.log_failure?.getErrorMessage(), "boom");
    assert.deepEqual(flushLoggedErrors(Error).map((f) => f.getErrorMessage()), ["boom"]);
  });

  it("a very long delay is accepted and can be cancelled", () => {
    const { reactor } = makeReactor();
    const call = reactor.callLater(60 * 60 * 24 * 60, () => {});
    assert.ok(call.active());
    call.cancel();
    assert.equal(reactor.getDelayedCalls().length, 0);
  });
});

describe("Reactor run and stop", () => {
  it("run() fires startup triggers, callWhenRunning runs, stop() resolves run()", async () => {
    const { reactor } = makeReactor();
    const order: string[] = [];
    reactor.addSystemEventTrigger("after", "startup", () => order.push("after startup"));
    reactor.addSystemEventTrigger("before", "startup", () => {
      order.push(`before startup running=${reactor.running}`);
    });
    reactor.addSystemEventTrigger("during", "startup", () => {
      order.push(`during startup running=${reactor.running}`);
    });
    reactor.callWhenRunning((x: number) => order.push(`when running ${x}`), 7);
    assert.equal(reactor.running, false);
    const done = reactor.run();
    assert.equal(reactor.running, true);
    reactor.callWhenRunning(() => order.push("immediately"));
    reactor.addSystemEventTrigger("before", "shutdown", () => order.push("before shutdown"));
    reactor.addSystemEventTrigger("during", "shutdown", () => {
      order.push(`during shutdown running=${reactor.running}`);
    });
    reactor.addSystemEventTrigger("after", "shutdown", () => order.push("after shutdown"));
    reactor.stop();
    assert.equal(order.includes("before shutdown"), false, "shutdown starts on a later turn");
    await done;
    assert.deepEqual(order, [
      "before startup running=false",
      "during startup running=true",
      "after startup",
      "when running 7",
      "immediately",
      "before shutdown",
      "during shutdown running=false",
      "after shutdown",
    ]);
    assert.equal(reactor.running, false);
  });

  it("stop() when not running throws ReactorNotRunning", async () => {
    const { reactor } = makeReactor();
    assert.throws(() => reactor.stop(), ReactorNotRunning);
    const done = reactor.run();
    reactor.stop();
    assert.throws(() => reactor.stop(), ReactorNotRunning);
    await done;
    assert.throws(() => reactor.stop(), ReactorNotRunning);
  });

  it("run() twice throws ReactorAlreadyRunning", async () => {
    const { reactor } = makeReactor();
    const done = reactor.run();
    assert.throws(() => reactor.run(), ReactorAlreadyRunning);
    reactor.stop();
    await done;
  });

  it("a reactor can be run again after it stopped", async () => {
    const { reactor } = makeReactor();
    let done = reactor.run();
    reactor.stop();
    await done;
    let ran = false;
    reactor.callWhenRunning(() => (ran = true));
    done = reactor.run();
    assert.ok(ran);
    reactor.stop();
    await done;
  });

  it("a 'before shutdown' trigger returning a Promise delays the later phases", async () => {
    const { reactor } = makeReactor();
    const order: string[] = [];
    let release!: () => void;
    reactor.addSystemEventTrigger("before", "shutdown", () => {
      order.push("before");
      return new Promise<void>((r) => (release = r));
    });
    reactor.addSystemEventTrigger("during", "shutdown", () => order.push("during"));
    let finished = false;
    const done = reactor.run().then(() => (finished = true));
    reactor.stop();
    await until(() => order.length === 1);
    await sleep(10);
    assert.deepEqual(order, ["before"]);
    assert.equal(finished, false);
    release();
    await done;
    assert.deepEqual(order, ["before", "during"]);
  });

  it("a 'before shutdown' trigger returning a Deferred delays shutdown until it fires", async () => {
    const { reactor } = makeReactor();
    const d = new Deferred<null>();
    let during = false;
    reactor.addSystemEventTrigger("before", "shutdown", () => d);
    reactor.addSystemEventTrigger("during", "shutdown", () => (during = true));
    const done = reactor.run();
    reactor.stop();
    await sleep(5);
    assert.equal(during, false);
    reactor.callLater(0, () => d.callback(null));
    await done;
    assert.equal(during, true);
  });

  it("a rejected 'before' Promise is logged and shutdown carries on", async () => {
    const { reactor } = makeReactor();
    const log = captureLog();
    cleanups.push(log.stop);
    let during = false;
    reactor.addSystemEventTrigger("before", "shutdown", () => Promise.reject(new Error("nope")));
    reactor.addSystemEventTrigger("during", "shutdown", () => (during = true));
    const done = reactor.run();
    reactor.stop();
    await done;
    assert.ok(during);
    assert.ok(log.events.some((e) => e.log_failure?.getErrorMessage() === "nope"));
    assert.deepEqual(flushLoggedErrors(Error).map((f) => f.getErrorMessage()), ["nope"]);
  });

  it("a trigger that throws is logged and the others still run", async () => {
    const { reactor } = makeReactor();
    const log = captureLog();
    cleanups.push(log.stop);
    const ran: string[] = [];
    reactor.addSystemEventTrigger("during", "startup", () => {
      throw new Error("bad trigger");
    });
    reactor.addSystemEventTrigger("during", "startup", () => ran.push("second"));
    const done = reactor.run();
    reactor.stop();
    await done;
    assert.deepEqual(ran, ["second"]);
    assert.ok(log.events.some((e) => e.log_failure?.getErrorMessage() === "bad trigger"));
    assert.deepEqual(flushLoggedErrors(Error).map((f) => f.getErrorMessage()), ["bad trigger"]);
  });

  it("run() keeps the event loop busy until stop()", async () => {
    const { reactor } = makeReactor();
    let finished = false;
    const done = reactor.run().then(() => (finished = true));
    await sleep(5);
    assert.equal(finished, false);
    reactor.stop();
    await done;
    assert.equal(finished, true);
  });
});

describe("Reactor system event triggers", () => {
  it("removeSystemEventTrigger() removes a pending trigger", async () => {
    const { reactor } = makeReactor();
    const ran: string[] = [];
    const id = reactor.addSystemEventTrigger("during", "custom", () => ran.push("removed"));
    reactor.addSystemEventTrigger("during", "custom", () => ran.push("kept"));
    reactor.removeSystemEventTrigger(id);
    assert.throws(() => reactor.removeSystemEventTrigger(id), RangeError);
    await reactor.fireSystemEvent("custom");
    assert.deepEqual(ran, ["kept"]);
  });

  it("fireSystemEvent() runs the phases in order, synchronously when nothing waits", () => {
    const { reactor } = makeReactor();
    const ran: string[] = [];
    reactor.addSystemEventTrigger("after", "thing", (x: string) => ran.push(x), "after");
    reactor.addSystemEventTrigger("during", "thing", (x: string) => ran.push(x), "during");
    reactor.addSystemEventTrigger("before", "thing", (x: string) => ran.push(x), "before");
    reactor.addSystemEventTrigger("during", "other", () => ran.push("other"));
    void reactor.fireSystemEvent("thing");
    assert.deepEqual(ran, ["before", "during", "after"]);
  });

  it("triggers run once: firing an event again runs only new triggers", async () => {
    const { reactor } = makeReactor();
    let count = 0;
    const id = reactor.addSystemEventTrigger("during", "x", () => count++);
    await reactor.fireSystemEvent("x");
    await reactor.fireSystemEvent("x");
    assert.equal(count, 1);
    assert.throws(() => reactor.removeSystemEventTrigger(id), RangeError);
  });

  it("addSystemEventTrigger() rejects an unknown phase", () => {
    const { reactor } = makeReactor();
    assert.throws(
      () => reactor.addSystemEventTrigger("later" as "before", "startup", () => {}),
      RangeError,
    );
  });
});

describe("Reactor signals", () => {
  it("run() installs SIGINT and SIGTERM handlers and removes them after shutdown", async () => {
    const { reactor, runtime } = makeReactor();
    assert.equal(runtime.count("SIGINT"), 0);
    const done = reactor.run();
    assert.equal(runtime.count("SIGINT"), 1);
    assert.equal(runtime.count("SIGTERM"), 1);
    reactor.stop();
    await done;
    assert.equal(runtime.count("SIGINT"), 0);
    assert.equal(runtime.count("SIGTERM"), 0);
  });

  it("SIGTERM stops the reactor gracefully", async () => {
    const { reactor, runtime } = makeReactor();
    let shutdown = false;
    reactor.addSystemEventTrigger("before", "shutdown", () => (shutdown = true));
    const done = reactor.run();
    runtime.signal("SIGTERM");
    await done;
    assert.ok(shutdown);
    assert.deepEqual(runtime.exits, []);
  });

  it("a second SIGINT during a hanging shutdown exits the process", async () => {
    const { reactor, runtime } = makeReactor();
    let release!: () => void;
    reactor.addSystemEventTrigger(
      "before",
      "shutdown",
      () => new Promise<void>((r) => (release = r)),
    );
    const log = captureLog();
    cleanups.push(log.stop);
    const done = reactor.run();
    runtime.signal("SIGINT");
    await until(() => release !== undefined);
    runtime.signal("SIGINT");
    assert.deepEqual(runtime.exits, [1]);
    release();
    await done;
  });

  it("a runtime that cannot watch a signal does not prevent run()", async () => {
    const { reactor, runtime } = makeReactor();
    runtime.onSignal = () => {
      throw new Error("unsupported");
    };
    const log = captureLog();
    cleanups.push(log.stop);
    const done = reactor.run();
    assert.ok(reactor.running);
    reactor.stop();
    await done;
    assert.ok(log.events.some((e) => e.log_level === "warn"));
  });
});

describe("installReactor and getReactor", () => {
  it("getReactor() returns the installed reactor", () => {
    const { reactor } = makeReactor();
    let previous: Reactor | undefined;
    try {
      previous = getReactor();
    } catch {
      previous = undefined;
    }
    installReactor(reactor);
    assert.equal(getReactor(), reactor);
    if (previous) installReactor(previous);
  });
});
