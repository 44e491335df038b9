// trial's addCleanup and patch, undone after each test on every runtime.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Deferred } from "../../src/internet/defer.ts";
import { addCleanup, patch, runCleanups, trackCleanups } from "../../src/trial/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });
trackCleanups({ afterEach });

const config: { retries: number; mode?: string } = { retries: 3 };
class Base {
  greet(): string {
    return "hello";
  }
}
const instance = new Base();
const order: string[] = [];

describe("patch() and addCleanup()", () => {
  it("patches for the length of one test", () => {
    patch(config, "retries", 0);
    patch(config, "mode", "test");
    patch(instance, "greet", () => "patched");
    assert.equal(config.retries, 0);
    assert.equal(instance.greet(), "patched");
  });

  it("finds everything put back after the test before", () => {
    assert.equal(config.retries, 3);
    assert.equal("mode" in config, false, "a property the patch added is removed");
    assert.equal(Object.prototype.hasOwnProperty.call(instance, "greet"), false);
    assert.equal(instance.greet(), "hello");
  });

  it("runs cleanups last added first, awaiting Deferreds and promises", () => {
    const d = new Deferred<void>();
    addCleanup(() => order.push("added first"));
    addCleanup(() => d.addCallback(() => void order.push("deferred")));
    addCleanup(async () => {
      await Promise.resolve();
      order.push("promise");
      d.callback(undefined);
    });
    const restore = patch(config, "retries", 9);
    restore();
    assert.equal(config.retries, 3, "restored early");
  });

  it("ran them in that order", () => {
    assert.deepEqual(order, ["promise", "deferred", "added first"]);
  });

  it("runs every cleanup even when one throws, then throws the first error", async () => {
    const ran: string[] = [];
    addCleanup(() => ran.push("last"));
    addCleanup(() => {
      throw new Error("first failure");
    });
    addCleanup(() => {
      throw new Error("second failure");
    });
    await assert.rejects(runCleanups(), /second failure/);
    assert.deepEqual(ran, ["last"]);
    assert.throws(() => addCleanup(undefined as unknown as () => void), TypeError);
  });
});
