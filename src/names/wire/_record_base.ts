/**
 * What every record payload is (Twisted's `IEncodableRecord`), the decoder
 * registry, and the text helpers record classes share.
 *
 * @module
 */
import type { WireReader, WireWriter } from "./_buffer.ts";

/**
 * A record's payload (RDATA): its type, an optional TTL (used when an
 * authority builds the `RRHeader`), its wire form and its master-file text.
 */
export interface IRecord {
  /** The record type number (`A`, `MX` ...). */
  readonly TYPE: number;
  /** The TTL in seconds, or null to take the zone's default. */
  ttl: number | null;
  /** Writes the RDATA (no length prefix) to `writer`. */
  encode(writer: WireWriter): void;
  /** The RDATA in master-file form (`10 mail.example.com.`). */
  toText(): string;
}

/** Reads a record's RDATA; the reader stops at the RDATA's end. */
export type RecordDecoder = (reader: WireReader, length: number) => IRecord;

/** Type number -> decoder, filled by the record modules. */
export const decoders: Map<number, RecordDecoder> = new Map();

const encoder = new TextEncoder();

/** Bytes of a string given as text (UTF-8) or bytes. */
export function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** A `<character-string>` in master-file form: quoted, `"` and `\` escaped, others `\DDD`. */
export function quoteString(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += "\\" + String.fromCharCode(b);
    else if (b < 0x20 || b >= 0x7f) out += "\\" + String(b).padStart(3, "0");
    else out += String.fromCharCode(b);
  }
  return out + '"';
}

/** Upper-case hex, as dig prints SSHFP, TLSA and unknown data. */
export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out.toUpperCase();
}

/** Bytes from hex digits (spaces allowed). @throws SyntaxError */
export function fromHex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) {
    throw new SyntaxError(`Not hexadecimal: ${JSON.stringify(text.slice(0, 40))}`);
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Checks an unsigned integer field. @throws RangeError */
export function checkUint(value: number, bits: 8 | 16 | 32, field: string): number {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${field} must be an integer from 0 to ${max}, not ${value}`);
  }
  return value;
}

/** Checks a TTL: null, or 0 to 2^31 - 1 (RFC 2181 s8). @throws RangeError */
export function checkTTL(ttl: number | null | undefined): number | null {
  if (ttl === null || ttl === undefined) return null;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fffffff) {
    throw new RangeError(`A TTL must be an integer from 0 to 2147483647, not ${ttl}`);
  }
  return ttl;
}
