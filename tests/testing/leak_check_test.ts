import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Clock,
  collectGarbage,
  flushLoggedErrors,
  leakCheck,
  LeakError,
  loggedErrors,
  MemoryReactorClock,
  registerLeakSource,
  startLeakCheck,
  trackLeaks,
  watchClock,
} from "../../src/testing/mod.ts";
import { fail } from "../../src/internet/defer.ts";
import { fakeCollectionForTesting } from "../../src/internet/_defer_unhandled.ts";
import { Logger } from "../../src/logger/mod.ts";
import { MemoryNetwork } from "../../src/testing/mod.ts";
import { listenTCP } from "../../src/internet/tcp.ts";
import { liveResources } from "../../src/internet/_live.ts";
import { Factory, Protocol } from "../../src/internet/protocol.ts";

const log = new Logger("tests.leak_check");

afterEach(() => leakCheck());

/** Runs the check expecting a LeakError; returns its leak lines. */
function leaksOf(run: () => void): readonly string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof LeakError, String(error));
    return error.leaks;
  }
  assert.fail("leakCheck() did not throw");
}

describe("leakCheck()", () => {
  it("passes when the test left nothing behind", () => {
    const reactor = new MemoryReactorClock();
    reactor.callLater(1, () => {}).cancel();
    const clock = new Clock();
    clock.callLater(1, () => {});
    clock.advance(1);
    leakCheck({ clocks: [clock] });
  });

  it("fails on a pending call of a MemoryReactorClock, then cancels it", () => {
    const reactor = new MemoryReactorClock();
    const call = reactor.callLater(5, () => {});
    const leaks = leaksOf(() => leakCheck());
    assert.equal(leaks.length, 1);
    assert.match(leaks[0], /pending delayed call/);
    assert.equal(call.active(), false);
    leakCheck({ clocks: [reactor] });
  });

  it("fails on a pending call of a clock passed to watchClock() or in options", () => {
    const a = new Clock();
    const b = new Clock();
    a.callLater(1, () => {});
    b.callLater(2, () => {});
    watchClock(a);
    const leaks = leaksOf(() => leakCheck({ clocks: [b] }));
    assert.equal(leaks.length, 2);
    assert.equal(a.getDelayedCalls().length, 0);
    assert.equal(b.getDelayedCalls().length, 0);
  });

  it("leaves the calls alone with cleanUp false", () => {
    const clock = new Clock();
    const call = clock.callLater(1, () => {});
    leaksOf(() => leakCheck({ clocks: [clock], cleanUp: false }));
    assert.equal(call.active(), true);
    call.cancel();
  });

  it("asks registered leak sources and cleans them up", () => {
    const open = new Set(["port 8080"]);
    const unregister = registerLeakSource({
      name: "listening port",
      find: () => [...open],
      cleanUp: () => open.clear(),
    });
    try {
      const leaks = leaksOf(() => leakCheck());
      assert.deepEqual(leaks, ["listening port: port 8080"]);
      assert.equal(open.size, 0);
      leakCheck();
    } finally {
      unregister();
    }
    open.add("port 9");
    leakCheck(); // unregistered: no longer asked
  });

  it("fails on a listening port left open, and closes it", async () => {
    const factory = Factory.forProtocol(Protocol);
    factory.noisy = false;
    const port = listenTCP(new MemoryNetwork(), 0, factory, { interface: "127.0.0.1" });
    await port.whenListening();
    const leaks = leaksOf(() => leakCheck());
    assert.equal(leaks.length, 1);
    assert.match(leaks[0], /^listening port: /);
    // Closed by the check: give the close a few turns to finish.
    for (let i = 0; i < 50 && factory.numPorts > 0; i++) await collectGarbage();
    assert.equal(factory.numPorts, 0);
    leakCheck();
  });

  it("fails on a failure logged at level critical that the test did not claim", () => {
    log.failure("Something broke", new RangeError("out of range"));
    assert.equal(loggedErrors().length, 1);
    const leaks = leaksOf(() => leakCheck());
    assert.equal(leaks.length, 1);
    assert.match(leaks[0], /logged error: Something broke .*RangeError: out of range/);
    assert.equal(loggedErrors().length, 0);
  });

  it("ignores failures logged below level error", () => {
    log.failure("Only a warning", new Error("meh"), "warn");
    assert.equal(loggedErrors().length, 0);
  });
});

describe("startLeakCheck()", () => {
  it("leaves out of the next check what was pending or logged before it", () => {
    const clock = new Clock();
    const before = clock.callLater(1, () => {});
    watchClock(clock);
    log.failure("Logged by an earlier test", new Error("old"));
    startLeakCheck();
    const during = clock.callLater(2, () => {});
    watchClock(clock);
    const leaks = leaksOf(() => leakCheck());
    assert.equal(leaks.length, 1);
    assert.equal(during.active(), false);
    assert.equal(before.active(), true);
    before.cancel();
  });
});

describe("trackLeaks()", () => {
  it("registers startLeakCheck before and leakCheck after each test", () => {
    const hooks: Record<string, () => void> = {};
    trackLeaks({
      beforeEach: (fn) => (hooks.before = fn),
      afterEach: (fn) => (hooks.after = fn),
    });
    const clock = new Clock();
    clock.callLater(1, () => {});
    watchClock(clock);
    hooks.before();
    hooks.after(); // the call predates the test: no leak
    clock.callLater(1, () => {});
    watchClock(clock);
    assert.throws(() => hooks.after(), LeakError);
    assert.equal(clock.getDelayedCalls().length, 1);
    clock.advance(1);
  });
});

describe("trackLeaks() with settle", () => {
  async function portAndHooks(settle: number): Promise<{
    port: Awaited<ReturnType<typeof listenTCP>>;
    after: () => void | Promise<void>;
  }> {
    const hooks: { before?: () => void; after?: () => void | Promise<void> } = {};
    trackLeaks({
      beforeEach: (fn) => (hooks.before = fn),
      afterEach: (fn) => (hooks.after = fn),
    }, { settle });
    hooks.before!();
    const factory = Factory.forProtocol(Protocol);
    factory.noisy = false;
    const port = listenTCP(new MemoryNetwork(), 0, factory, { interface: "127.0.0.1" });
    await port.whenListening();
    return { port, after: hooks.after! };
  }

  it("waits for a port that is closing and then passes", async () => {
    const { port, after } = await portAndHooks(2000);
    setTimeout(() => void port.stopListening(), 20);
    await after();
    assert.equal(liveResources().includes(port as never), false);
  });

  it("still reports a port left open once the wait is over", async () => {
    const { port, after } = await portAndHooks(50);
    const started = Date.now();
    await assert.rejects(async () => await after(), (e) => {
      assert.ok(e instanceof LeakError);
      assert.equal(e.leaks.length, 1);
      assert.match(e.leaks[0], /^listening port: /);
      return true;
    });
    assert.ok(Date.now() - started >= 40, "it waited");
    // The check closed it: let the close finish before this test's own check.
    for (let i = 0; i < 50 && liveResources().includes(port as never); i++) await collectGarbage();
  });

  it("checks at once when the test left nothing open", () => {
    const hooks: { before?: () => void; after?: () => void | Promise<void> } = {};
    trackLeaks({
      beforeEach: (fn) => (hooks.before = fn),
      afterEach: (fn) => (hooks.after = fn),
    }, { settle: 5000 });
    hooks.before!();
    const clock = new Clock();
    clock.callLater(1, () => {});
    watchClock(clock);
    // Synchronous: no open resource to wait for, so the pending call fails it now.
    assert.throws(() => hooks.after!(), LeakError);
  });
});

describe("flushLoggedErrors()", () => {
  it("returns and forgets the logged failures of the given types only", () => {
    log.failure("one", new RangeError("r"));
    log.failure("two", new TypeError("t"), "error");
    const ranges = flushLoggedErrors(RangeError);
    assert.equal(ranges.length, 1);
    assert.equal(ranges[0].value.message, "r");
    assert.equal(loggedErrors().length, 1);
    const rest = flushLoggedErrors();
    assert.equal(rest.length, 1);
    assert.ok(rest[0].check(TypeError));
  });

  it("claims an unhandled Deferred failure once it is reported", () => {
    const fake = fakeCollectionForTesting();
    try {
      fail(new SyntaxError("nobody handled me"));
      assert.equal(fake.collect(), 1);
    } finally {
      fake.restore();
    }
    const events = loggedErrors();
    assert.equal(events.length, 1);
    assert.equal(events[0].log_format, "Unhandled error in Deferred:");
    const claimed = flushLoggedErrors(SyntaxError);
    assert.equal(claimed.length, 1);
    assert.equal(claimed[0].value.message, "nobody handled me");
  });
});

describe("collectGarbage()", () => {
  it("resolves after a turn of the event loop, collecting when the runtime allows", async () => {
    let turned = false;
    setTimeout(() => (turned = true), 0);
    await collectGarbage();
    assert.equal(turned, true);
  });
});
