// trial's TestCase and SynchronousTestCase over node:test, on every runtime: the
// tests a class registers, setUp/tearDown, Deferreds awaited, skip/todo/timeout,
// cleanups, and the leak check as trial's dirty-reactor error.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Deferred, fail, succeed } from "../../src/internet/defer.ts";
import { getReactor } from "../../src/internet/reactor.ts";
import { Clock, deferLater } from "../../src/internet/task.ts";
import { FailTest, patch, SynchronousTestCase, TestCase } from "../../src/trial/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import "../../mod.ts";

trackLeaks({ beforeEach, afterEach });

const log: string[] = [];
const settings = { mode: "real" };

class Recorded extends SynchronousTestCase {
  id = Math.random();
  override setUp(): void {
    log.push(`setUp ${this.id === 0 ? "" : "fresh"}`);
  }
  override tearDown(): void {
    log.push("tearDown");
  }
  testOne(): void {
    log.push("one");
  }
  testTwo(): void {
    patch(settings, "mode", "patched");
    log.push(`two ${settings.mode}`);
  }
  testThrows(): void {
    throw new Error("boom");
  }
  helper(): void {}
}

class ReturnsPromise extends SynchronousTestCase {
  testAsync(): Promise<void> {
    return Promise.resolve();
  }
}

class Waits extends TestCase {
  static override timeout = 7;
  testDeferred(): Deferred<string> {
    const clock = new Clock();
    const d = deferLater(clock, 1, () => "done");
    clock.advance(1);
    return d;
  }
  testFailingDeferred(): Deferred<never> {
    return fail(new RangeError("deferred failure"));
  }
  testLeavesATimer(): void {
    getReactor().callLater(60, () => {});
  }
}
(Waits.prototype.testDeferred as { timeout?: number }).timeout = 2;

class Skipped extends TestCase {
  static override skip = "not on this machine";
  testNever(): void {
    throw new Error("must not run");
  }
}

class Inherits extends Recorded {
  testThree(): void {}
}

const byName = (Class: typeof SynchronousTestCase, name: string) =>
  Class.tests().find((test) => test.name === name)!;

describe("SynchronousTestCase and TestCase", () => {
  it("registers the test* methods, inherited ones too, in name order", () => {
    assert.deepEqual(Recorded.tests().map((t) => t.name), ["testOne", "testThrows", "testTwo"]);
    assert.deepEqual(Inherits.tests().map((t) => t.name), [
      "testOne",
      "testThree",
      "testThrows",
      "testTwo",
    ]);
  });

  it("runs each test between setUp and tearDown, with patches undone after", async () => {
    log.length = 0;
    await byName(Recorded, "testOne").run();
    await byName(Recorded, "testTwo").run();
    assert.deepEqual(log, [
      "setUp fresh",
      "one",
      "tearDown",
      "setUp fresh",
      "two patched",
      "tearDown",
    ]);
    assert.equal(settings.mode, "real");
  });

  it("runs tearDown when the test throws, and fails with its error", async () => {
    log.length = 0;
    await assert.rejects(byName(Recorded, "testThrows").run(), /boom/);
    assert.deepEqual(log, ["setUp fresh", "tearDown"]);
  });

  it("fails a SynchronousTestCase test that returns a Promise", async () => {
    await assert.rejects(byName(ReturnsPromise, "testAsync").run(), (error: Error) => {
      assert.ok(error instanceof FailTest);
      assert.match(error.message, /testAsync returned a Deferred or a Promise/);
      return true;
    });
  });

  it("awaits a TestCase test's Deferred, and fails with its failure", async () => {
    await byName(Waits, "testDeferred").run();
    await assert.rejects(byName(Waits, "testFailingDeferred").run(), /deferred failure/);
  });

  it("fails a test that leaves a delayed call, naming it (trial's dirty reactor)", async () => {
    await assert.rejects(byName(Waits, "testLeavesATimer").run(), (error: Error) => {
      assert.equal(error.name, "LeakError");
      assert.match(error.message, /pending delayed call/);
      return true;
    });
  });

  it("reads skip, todo and timeout from the class and the method", () => {
    assert.equal(byName(Skipped, "testNever").skip, "not on this machine");
    assert.equal(byName(Waits, "testDeferred").timeoutMs, 2000);
    assert.equal(byName(Waits, "testFailingDeferred").timeoutMs, 7000);
    assert.equal(byName(Recorded, "testOne").timeoutMs, undefined, "synchronous: no timeout");
    assert.equal(succeed(1).called, true);
  });
});

// The same classes through the runner itself.
class Registered extends TestCase {
  value = 0;
  override setUp(): Deferred<void> {
    this.value = 41;
    return succeed(undefined);
  }
  testAnswer(): Promise<void> {
    this.value++;
    assert.equal(this.value, 42);
    return Promise.resolve();
  }
}
Registered.register({ describe, it });
Skipped.register({ describe, it });
