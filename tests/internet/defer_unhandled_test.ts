// Unhandled failures: what is tracked (checked without the garbage collector
// through the private fake registry), the report itself, debug mode, and one
// real garbage-collection run per runtime.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AlreadyCalledError,
  Deferred,
  fail,
  getDebugging,
  setDebugging,
  succeed,
} from "../../src/internet/defer.ts";
import { fakeCollectionForTesting, reportUnhandled } from "../../src/internet/_defer_unhandled.ts";
import { Failure } from "../../src/internet/failure.ts";
import { globalLogPublisher, type LogEvent } from "../../src/logger/mod.ts";
import { flushLoggedErrors, trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

/** Claims the failures logged so far (the leak check fails on unclaimed ones); their messages. */
function claimed(): string[] {
  return flushLoggedErrors().map((f) => f.getErrorMessage());
}

/** Runs `fn` with the fake registry and a log observer; restores both. */
function withFake(
  fn: (fake: ReturnType<typeof fakeCollectionForTesting>, events: LogEvent[]) => void,
): void {
  const fake = fakeCollectionForTesting();
  const events: LogEvent[] = [];
  const observer = (e: LogEvent): void => {
    if (e.log_namespace === "defer") events.push(e);
  };
  globalLogPublisher.addObserver(observer);
  try {
    fn(fake, events);
  } finally {
    globalLogPublisher.removeObserver(observer);
    fake.restore();
  }
}

describe("tracking of unhandled failures", () => {
  it("tracks a Deferred whose chain ends in a failure and reports it when collected", () => {
    withFake((fake, events) => {
      const error = new Error("nobody listens");
      fail(error);
      assert.equal(fake.tracked().length, 1);
      assert.equal(fake.collect(), 1);
      assert.equal(events.length, 1);
      assert.equal(events[0].log_format, "Unhandled error in Deferred:");
      assert.equal(events[0].log_level, "critical");
      assert.equal(events[0].log_failure?.value, error);
    });
    assert.deepEqual(claimed(), ["nobody listens"]);
  });

  it("does not track a success", () => {
    withFake((fake) => {
      succeed(1);
      new Deferred().callback("x");
      assert.equal(fake.tracked().length, 0);
    });
  });

  it("stops tracking once an errback handles the failure", () => {
    withFake((fake, events) => {
      const d = fail(new Error("handled later"));
      assert.equal(fake.tracked().length, 1);
      d.addErrback(() => null);
      assert.equal(fake.tracked().length, 0);
      fake.collect();
      assert.equal(events.length, 0);
    });
  });

  it("tracks the new failure when an errback replaces it", () => {
    withFake((fake) => {
      const d = fail(new Error("first"));
      const second = new Error("second");
      d.addErrback(() => {
        throw second;
      });
      const tracked = fake.tracked();
      assert.equal(tracked.length, 1);
      assert.equal(tracked[0].failure.value, second);
    });
  });

  it("does not report a failure delivered to an await", async () => {
    const fake = fakeCollectionForTesting();
    try {
      const d = fail(new Error("awaited"));
      await assert.rejects(async () => await d, /awaited/);
      assert.equal(fake.tracked().length, 0);
    } finally {
      fake.restore();
    }
  });

  it("moves the failure from an inner Deferred to the outer one that takes it", () => {
    withFake((fake) => {
      const inner = fail(new Error("inner"));
      assert.equal(fake.tracked().length, 1);
      const outer = succeed(0).addCallback(() => inner);
      const tracked = fake.tracked();
      assert.equal(tracked.length, 1);
      assert.equal(tracked[0].failure.getErrorMessage(), "inner");
      outer.addErrback(() => null);
      assert.equal(fake.tracked().length, 0);
    });
  });

  it("does not track a Deferred that waits on another", () => {
    withFake((fake) => {
      const inner = new Deferred();
      const outer = succeed(0).addCallback(() => inner);
      assert.equal(fake.tracked().length, 0);
      inner.errback(new Error("through"));
      assert.equal(fake.tracked().length, 1);
      outer.addErrback(() => null);
      assert.equal(fake.tracked().length, 0);
    });
  });

  it("tracks a failure passed on by an errback only once", () => {
    withFake((fake) => {
      const d = fail(new Error("passed on"));
      d.addErrback((f) => f);
      d.addBoth((r) => r);
      assert.equal(fake.tracked().length, 1);
      d.addErrback(() => null);
    });
  });
});

describe("the unhandled-failure report", () => {
  it("logs the failure under the defer namespace", () => {
    const events: LogEvent[] = [];
    const observer = (e: LogEvent): void => void events.push(e);
    globalLogPublisher.addObserver(observer);
    try {
      const failure = new Failure(new Error("reported"));
      reportUnhandled({ failure, created: undefined, invoked: undefined });
      assert.equal(events.length, 1);
      assert.equal(events[0].log_namespace, "defer");
      assert.equal(events[0].log_failure, failure);
      assert.equal(failure.debugInfo, undefined);
    } finally {
      globalLogPublisher.removeObserver(observer);
    }
    assert.deepEqual(claimed(), ["reported"]);
  });

  it("includes the debug stacks in the failure's debugInfo", () => {
    const failure = new Failure(new Error("with stacks"));
    reportUnhandled({ failure, created: "at createHere", invoked: "at fireHere" });
    assert.match(failure.debugInfo ?? "", /C: Deferred was created:\n C: at createHere/);
    assert.match(failure.debugInfo ?? "", /I: First Invoker was:\n I: at fireHere/);
    assert.match(failure.getTraceback(), /at fireHere/);
    assert.deepEqual(claimed(), ["with stacks"]);
  });
});

describe("debug mode", () => {
  function createInDebug(): Deferred<number> {
    return new Deferred<number>();
  }
  function fireInDebug(d: Deferred<number>): void {
    d.errback(new Error("debugged"));
  }

  it("is off by default and can be switched", () => {
    assert.equal(getDebugging(), false);
    setDebugging(true);
    try {
      assert.equal(getDebugging(), true);
    } finally {
      setDebugging(false);
    }
    assert.equal(getDebugging(), false);
  });

  it("records where a Deferred was created and first fired, for the report", () => {
    withFake((fake, events) => {
      setDebugging(true);
      try {
        fireInDebug(createInDebug());
      } finally {
        setDebugging(false);
      }
      fake.collect();
      assert.equal(events.length, 1);
      const info = events[0].log_failure?.debugInfo ?? "";
      assert.match(info, /C: Deferred was created:[\s\S]*createInDebug/);
      assert.match(info, /I: First Invoker was:[\s\S]*fireInDebug/);
    });
    assert.deepEqual(claimed(), ["debugged"]);
  });

  it("puts both stacks in AlreadyCalledError's message", () => {
    setDebugging(true);
    let d: Deferred<number>;
    try {
      d = createInDebug();
      d.callback(1);
    } finally {
      setDebugging(false);
    }
    assert.throws(
      () => d.callback(2),
      (e: unknown) =>
        e instanceof AlreadyCalledError && /createInDebug/.test(e.message) &&
        /First Invoker/.test(e.message),
    );
  });
});

describe("unhandled failures and the garbage collector", () => {
  async function getGc(): Promise<() => void> {
    // deno-lint-ignore no-explicit-any
    const g = globalThis as any;
    if (typeof g.gc === "function") return () => g.gc();
    if (typeof g.Bun?.gc === "function") return () => g.Bun.gc(true);
    // Node and Deno: expose V8's gc() without a command-line flag.
    const v8 = await import("node:v8");
    v8.setFlagsFromString("--expose-gc");
    const vm = await import("node:vm");
    const gc = vm.runInNewContext("gc") as () => void;
    return () => gc();
  }

  it("reports a collected Deferred's unhandled failure to the logger", async () => {
    const gc = await getGc();
    const marker = `gc-marker-${Math.random()}`;
    const seen: LogEvent[] = [];
    const observer = (e: LogEvent): void => {
      if (e.log_failure?.getErrorMessage() === marker) seen.push(e);
    };
    globalLogPublisher.addObserver(observer);
    try {
      (() => {
        const d = new Deferred();
        d.errback(new Error(marker));
      })();
      // Finalizers run after a collection, in a later task: bounded retries.
      for (let i = 0; i < 100 && seen.length === 0; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.equal(seen.length, 1);
      assert.equal(seen[0].log_format, "Unhandled error in Deferred:");
    } finally {
      globalLogPublisher.removeObserver(observer);
    }
    // Other Deferreds may be collected in the same pass: only the marker is this test's.
    assert.ok(claimed().includes(marker));
  });

  it("does not report a collected Deferred whose failure was handled", async () => {
    const gc = await getGc();
    const handledMarker = `handled-${Math.random()}`;
    const controlMarker = `control-${Math.random()}`;
    const seen: string[] = [];
    const observer = (e: LogEvent): void => {
      const message = e.log_failure?.getErrorMessage();
      if (message === handledMarker || message === controlMarker) seen.push(message);
    };
    globalLogPublisher.addObserver(observer);
    try {
      (() => {
        fail(new Error(handledMarker)).addErrback(() => null);
        fail(new Error(controlMarker)); // proves collection happened
      })();
      for (let i = 0; i < 100 && seen.length === 0; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.deepEqual(seen, [controlMarker]);
    } finally {
      globalLogPublisher.removeObserver(observer);
    }
    const messages = claimed();
    assert.ok(messages.includes(controlMarker));
    assert.ok(!messages.includes(handledMarker));
  });
});
