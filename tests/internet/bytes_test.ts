// The slab allocator behind small read and response buffers.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { allocBytes, copyBytes } from "../../src/internet/_bytes.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

describe("allocBytes", () => {
  it("hands out zero-filled buffers that never overlap", () => {
    const taken: Uint8Array[] = [];
    // Enough to cross several slabs.
    for (let i = 0; i < 500; i++) {
      const b = allocBytes(1 + (i % 100));
      assert.equal(b.length, 1 + (i % 100));
      assert.ok(b.every((x) => x === 0), "zero-filled");
      b.fill(i % 251 + 1);
      taken.push(b);
    }
    taken.forEach((b, i) => {
      assert.ok(b.every((x) => x === i % 251 + 1), `buffer ${i} kept its bytes`);
    });
    assert.ok(new Set(taken.map((b) => b.buffer)).size > 1, "slabs are replaced when full");
  });

  it("gives large requests a buffer of their own", () => {
    const b = allocBytes(64 * 1024);
    assert.equal(b.buffer.byteLength, 64 * 1024);
    assert.equal(allocBytes(0).length, 0);
  });

  it("copies into an owned buffer", () => {
    const src = new Uint8Array([1, 2, 3]);
    const out = copyBytes(src);
    src[0] = 9;
    assert.deepEqual([...out], [1, 2, 3]);
  });
});
