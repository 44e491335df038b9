import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Headers } from "../../src/web/mod.ts";
import { serialize } from "../../src/web/_internal.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

describe("Headers", () => {
  it("treats names case-insensitively and keeps values in order", () => {
    const h = new Headers({ "X-A": "1", "x-b": ["2", "3"] });
    h.addRawHeader("x-a", "4");
    assert.deepEqual(h.getRawHeaders("X-a"), ["1", "4"]);
    assert.deepEqual(h.getRawHeaders("X-B"), ["2", "3"]);
    assert.equal(h.getRawHeaders("missing"), undefined);
    assert.deepEqual(h.getRawHeaders("missing", []), []);
    assert.equal(h.hasHeader("X-B"), true);
    h.removeHeader("X-B");
    assert.equal(h.hasHeader("x-b"), false);
    h.setRawHeaders("x-a", ["only"]);
    assert.deepEqual([...h], [["x-a", "only"]]);
    h.setRawHeaders("x-a", []);
    assert.equal(h.size, 0);
  });

  it("returns copies, and converts to fetch's Headers", () => {
    const h = new Headers([["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]]);
    h.getRawHeaders("set-cookie")!.push("mutated");
    assert.deepEqual(h.getRawHeaders("set-cookie"), ["a=1", "b=2"]);
    const copy = h.copy();
    copy.addRawHeader("set-cookie", "c=3");
    assert.equal(h.getRawHeaders("set-cookie")!.length, 2);
    assert.equal(h.toWebHeaders().get("set-cookie"), "a=1, b=2");
    assert.equal(h[serialize](), "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n");
  });
});
