/**
 * The little DER (X.690) that key files need: SEQUENCE, INTEGER, OCTET
 * STRING, BIT STRING, OBJECT IDENTIFIER, NULL and context tags, read with
 * every length checked against the input and written minimally.
 * @module
 */
import { BadKeyError } from "./_errors.ts";
import { bigintToBytes, bytesToBigint } from "../ssh/_wire.ts";

/** One DER element: its tag and its contents (a view). */
export interface DerElement {
  tag: number;
  value: Uint8Array;
}

/** Reads DER elements one after another from `data`. */
export class DerReader {
  readonly #data: Uint8Array;
  #offset = 0;

  constructor(data: Uint8Array) {
    this.#data = data;
  }

  get done(): boolean {
    return this.#offset >= this.#data.length;
  }

  /** The next element, any tag. */
  next(): DerElement {
    const data = this.#data;
    if (this.#offset + 2 > data.length) throw new BadKeyError("DER data ends early");
    const tag = data[this.#offset++];
    if ((tag & 0x1f) === 0x1f) throw new BadKeyError("DER tags above 30 are not used in keys");
    let length = data[this.#offset++];
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count === 0 || count > 4) throw new BadKeyError("Bad DER length");
      if (this.#offset + count > data.length) throw new BadKeyError("DER data ends early");
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + data[this.#offset++];
    }
    if (this.#offset + length > data.length) throw new BadKeyError("DER length past the end");
    const value = data.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return { tag, value };
  }

  /** The next element, which must have `tag`. */
  expect(tag: number, what: string): Uint8Array {
    const element = this.next();
    if (element.tag !== tag) throw new BadKeyError(`Expected a DER ${what}`);
    return element.value;
  }

  sequence(): DerReader {
    return new DerReader(this.expect(0x30, "SEQUENCE"));
  }

  /** A non-negative INTEGER. */
  integer(): bigint {
    const bytes = this.expect(0x02, "INTEGER");
    if (bytes.length === 0 || bytes[0] & 0x80) throw new BadKeyError("Bad DER INTEGER");
    return bytesToBigint(bytes);
  }

  octetString(): Uint8Array {
    return this.expect(0x04, "OCTET STRING");
  }

  /** A BIT STRING's bytes (no unused bits allowed). */
  bitString(): Uint8Array {
    const bytes = this.expect(0x03, "BIT STRING");
    if (bytes.length === 0 || bytes[0] !== 0) throw new BadKeyError("Bad DER BIT STRING");
    return bytes.subarray(1);
  }

  /** An OBJECT IDENTIFIER in dotted form. */
  oid(): string {
    return decodeOid(this.expect(0x06, "OBJECT IDENTIFIER"));
  }
}

function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0 || bytes.length > 64) throw new BadKeyError("Bad OBJECT IDENTIFIER");
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (value > 0xffffffff) throw new BadKeyError("Bad OBJECT IDENTIFIER");
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  if (bytes[bytes.length - 1] & 0x80) throw new BadKeyError("Bad OBJECT IDENTIFIER");
  const first = parts.shift()!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join(".");
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 255);
  return [0x80 | bytes.length, ...bytes];
}

/** One DER element from a tag and its contents. */
export function der(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((n, c) => n + c.length, 0);
  const head = [tag, ...encodeLength(length)];
  const out = new Uint8Array(head.length + length);
  out.set(head);
  let offset = head.length;
  for (const c of contents) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** A SEQUENCE of elements. */
export const derSequence = (...items: Uint8Array[]): Uint8Array => der(0x30, ...items);

/** A non-negative INTEGER. */
export function derInteger(value: bigint | number): Uint8Array {
  const v = BigInt(value);
  let length = 1;
  while (v >> BigInt(length * 8) > 0n) length++;
  let bytes = bigintToBytes(v, length);
  if (bytes[0] & 0x80) bytes = new Uint8Array([0, ...bytes]);
  return der(0x02, bytes);
}

/** An OBJECT IDENTIFIER from dotted form. */
export function derOid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out: number[] = [];
  for (const n of [a * 40 + b, ...rest]) {
    const groups = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) {
      groups.unshift(0x80 | (v & 0x7f));
    }
    out.push(...groups);
  }
  return der(0x06, new Uint8Array(out));
}

/** An OCTET STRING. */
export const derOctets = (bytes: Uint8Array): Uint8Array => der(0x04, bytes);
/** A BIT STRING with no unused bits. */
export const derBits = (bytes: Uint8Array): Uint8Array => der(0x03, new Uint8Array([0]), bytes);
/** NULL. */
export const DER_NULL: Uint8Array = new Uint8Array([0x05, 0x00]);
