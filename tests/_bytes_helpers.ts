// Test data for byte streams: patterned bytes, and an equality check that
// names the first difference (a diff of megabytes takes minutes).
import assert from "node:assert/strict";

/** Bytes that differ from one position to the next (and from a buffer's zeros). */
export function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 16) & 0xff;
  }
  return out;
}

/** Asserts equal bytes, naming the first difference. */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  assert.equal(actual.byteLength, expected.byteLength, "length");
  const at = actual.findIndex((b, i) => b !== expected[i]);
  assert.equal(at, -1, `first difference at byte ${at}`);
}
