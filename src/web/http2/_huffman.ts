/**
 * HPACK's Huffman coding (RFC 7541 §5.2, Appendix B): decoding a string
 * literal (with the padding rules: at most 7 bits, all ones, never EOS) and
 * encoding one.
 *
 * @module
 */
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./_hpack_tables.ts";

/** A Huffman string that breaks RFC 7541 §5.2 (EOS, bad padding). */
export class HuffmanError extends Error {
  override name = "HuffmanError";
}

// The decoding tree: node n has children ZERO[n] and ONE[n]; a child < 0 is
// the leaf of symbol -child - 1; 0 is no child (the root is never a child).
const MAX_NODES = 512;
const ZERO = new Int32Array(MAX_NODES);
const ONE = new Int32Array(MAX_NODES);
let nodes = 1;
for (let sym = 0; sym <= 256; sym++) {
  const code = HUFFMAN_CODES[sym];
  const len = HUFFMAN_LENGTHS[sym];
  let node = 0;
  for (let i = len - 1; i >= 0; i--) {
    const bit = (code >>> i) & 1;
    const table = bit === 0 ? ZERO : ONE;
    if (i === 0) table[node] = -sym - 1;
    else {
      if (table[node] === 0) table[node] = nodes++;
      node = table[node];
    }
  }
}

/**
 * Decodes `src[start, end)` as a Huffman string into a latin1 string (each
 * symbol one char). Throws `HuffmanError` on EOS or bad padding.
 */
export function huffmanDecode(src: Uint8Array, start: number, end: number): string {
  let out = "";
  const codes: number[] = [];
  let node = 0;
  let depth = 0; // bits read since the last symbol
  let ones = true; // those bits were all ones
  for (let i = start; i < end; i++) {
    const byte = src[i];
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >>> b) & 1;
      const next = bit === 0 ? ZERO[node] : ONE[node];
      if (next < 0) {
        const sym = -next - 1;
        if (sym === 256) throw new HuffmanError("Huffman string contains EOS");
        codes.push(sym);
        node = 0;
        depth = 0;
        ones = true;
      } else {
        node = next;
        depth++;
        if (bit === 0) ones = false;
      }
    }
    if (codes.length >= 4096) {
      out += String.fromCharCode.apply(null, codes);
      codes.length = 0;
    }
  }
  if (depth > 7 || !ones) throw new HuffmanError("Invalid Huffman padding");
  if (codes.length > 0) out += String.fromCharCode.apply(null, codes);
  return out;
}

/** The length in bytes of `bytes` Huffman-encoded. */
export function huffmanLength(bytes: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) bits += HUFFMAN_LENGTHS[bytes[i]];
  return (bits + 7) >>> 3;
}

/**
 * Huffman-encodes `bytes` into `out` at `at` (room for `huffmanLength`
 * bytes); returns the end. The last byte is padded with ones (EOS's prefix).
 */
export function huffmanEncodeInto(bytes: Uint8Array, out: Uint8Array, at: number): number {
  let cur = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    const sym = bytes[i];
    const code = HUFFMAN_CODES[sym];
    let len = HUFFMAN_LENGTHS[sym];
    while (len > 0) {
      const take = Math.min(8 - bits, len);
      cur = (cur << take) | ((code >>> (len - take)) & ((1 << take) - 1));
      bits += take;
      len -= take;
      if (bits === 8) {
        out[at++] = cur;
        cur = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out[at++] = (cur << (8 - bits)) | ((1 << (8 - bits)) - 1);
  return at;
}

/** `bytes` Huffman-encoded, as new bytes. */
export function huffmanEncode(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(huffmanLength(bytes));
  huffmanEncodeInto(bytes, out, 0);
  return out;
}
