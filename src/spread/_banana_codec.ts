/**
 * Banana's wire codec: base-128 prefixes, type bytes, limits, and an
 * incremental decoder that knows nothing of transports.
 *
 * @module
 */

const LIST = 0x80;
const INT = 0x81;
const STRING = 0x82;
const NEG = 0x83;
const FLOAT = 0x84;
const LONGINT = 0x85;
const LONGNEG = 0x86;
const VOCAB = 0x87;

/**
 * The most bytes a string may hold, and the most items in a list, sent or
 * received (Twisted's `SIZE_LIMIT`, 640 KiB).
 *
 * @example
 * ```ts
 * import { SIZE_LIMIT } from "@tw/core/spread/banana";
 * console.log(SIZE_LIMIT === 640 * 1024);
 * ```
 */
export const SIZE_LIMIT: number = 640 * 1024;

/** Twisted's prefix limit: 64 base-128 digits, so integers up to 448 bits. */
export const PREFIX_LIMIT: number = 64;
/** The deepest nesting of lists accepted (Twisted has no bound). */
export const MAX_DEPTH: number = 1000;
/** The most bytes one expression may take on the wire (Twisted has no bound). */
export const MAX_EXPRESSION_SIZE: number = 16 * 1024 * 1024;

const SMALLEST_INT = -(2 ** 31);
const LARGEST_INT = 2 ** 31 - 1;
const LARGEST_LONG = (1n << BigInt(PREFIX_LIMIT * 7)) - 1n;

/**
 * A value Banana carries. Strings and `Uint8Array` are sent as byte strings
 * (strings as UTF-8); numbers that are safe integers and bigints as
 * integers; other numbers as floats. Byte strings are received as
 * `Uint8Array`, integers as numbers when safe and bigints beyond.
 */
export type BananaValue =
  | number
  | bigint
  | string
  | Uint8Array
  | readonly BananaValue[];

/**
 * A Banana encoding or decoding failed: a limit was passed, a type byte or
 * vocabulary entry is unknown, or a value cannot be sent.
 *
 * @example
 * ```ts
 * import { BananaError, encode } from "@tw/core/spread/banana";
 * try {
 *   encode([{} as never]);
 * } catch (e) {
 *   console.log(e instanceof BananaError);
 * }
 * ```
 */
export class BananaError extends Error {
  /** Makes a BananaError with the given message. */
  constructor(message: string) {
    super(message);
    this.name = "BananaError";
  }
}

/**
 * The pb dialect's vocabulary: byte strings sent as small numbers (Twisted's
 * `Banana.outgoingVocabulary`).
 *
 * @example
 * ```ts
 * import { PB_VOCABULARY } from "@tw/core/spread/banana";
 * console.log(PB_VOCABULARY.get("decref")); // 29
 * ```
 */
export const PB_VOCABULARY: ReadonlyMap<string, number> = new Map([
  "None",
  "class",
  "dereference",
  "reference",
  "dictionary",
  "function",
  "instance",
  "list",
  "module",
  "persistent",
  "tuple",
  "unpersistable",
  "copy",
  "cache",
  "cached",
  "remote",
  "local",
  "lcache",
  "version",
  "login",
  "password",
  "challenge",
  "logged_in",
  "not_logged_in",
  "cachemessage",
  "message",
  "answer",
  "error",
  "decref",
  "decache",
  "uncache",
].map((word, i) => [word, i + 1]));

const te = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const INCOMING_VOCABULARY: Uint8Array[] = [new Uint8Array(0)];
for (const word of PB_VOCABULARY.keys()) INCOMING_VOCABULARY.push(te.encode(word));

/** Growable output buffer for the encoder. */
class Writer {
  bytes: Uint8Array = new Uint8Array(64);
  length = 0;
  #reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
  byte(b: number): void {
    this.#reserve(1);
    this.bytes[this.length++] = b;
  }
  put(b: Uint8Array): void {
    this.#reserve(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }
  prefix(n: number | bigint): void {
    if (typeof n === "number" && n < 2 ** 53) {
      if (n === 0) return this.byte(0);
      while (n > 0) {
        this.byte(n % 128);
        n = Math.floor(n / 128);
      }
      return;
    }
    let big = BigInt(n);
    while (big > 0n) {
      this.byte(Number(big & 0x7fn));
      big >>= 7n;
    }
  }
  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

function encodeInteger(w: Writer, n: number | bigint): void {
  const big = typeof n === "bigint";
  const negative = big ? n < 0n : n < 0;
  const magnitude = big ? (negative ? -n : n) : (negative ? -n : n);
  if (big && (magnitude as bigint) > LARGEST_LONG) {
    throw new BananaError(`Cannot send an integer of more than ${PREFIX_LIMIT * 7} bits: ${n}`);
  }
  w.prefix(magnitude);
  const v = Number(n);
  if (negative) w.byte(v < SMALLEST_INT ? LONGNEG : NEG);
  else w.byte(v > LARGEST_INT ? LONGINT : INT);
}

function encodeInto(
  w: Writer,
  value: unknown,
  vocabulary: boolean,
  depth: number,
): void {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) return encodeInteger(w, value);
    w.byte(FLOAT);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value);
    return w.put(b);
  }
  if (typeof value === "bigint") return encodeInteger(w, value);
  if (typeof value === "string" || value instanceof Uint8Array) {
    const bytes = typeof value === "string" ? te.encode(value) : value;
    if (vocabulary && bytes.length <= 13) {
      const id = PB_VOCABULARY.get(latin1.decode(bytes));
      if (id !== undefined) {
        w.prefix(id);
        return w.byte(VOCAB);
      }
    }
    if (bytes.length > SIZE_LIMIT) {
      throw new BananaError(
        `Cannot send a byte string of ${bytes.length} bytes: the limit is ${SIZE_LIMIT}`,
      );
    }
    w.prefix(bytes.length);
    w.byte(STRING);
    return w.put(bytes);
  }
  if (Array.isArray(value)) {
    if (value.length > SIZE_LIMIT) {
      throw new BananaError(
        `Cannot send a list of ${value.length} items: the limit is ${SIZE_LIMIT}`,
      );
    }
    if (depth >= MAX_DEPTH) {
      throw new BananaError(`Cannot send lists nested more than ${MAX_DEPTH} deep`);
    }
    w.prefix(value.length);
    w.byte(LIST);
    for (const item of value) encodeInto(w, item, vocabulary, depth + 1);
    return;
  }
  const kind = value === null
    ? "null"
    : typeof value === "object"
    ? (value.constructor?.name ?? "Object")
    : typeof value;
  throw new BananaError(`Banana cannot send ${kind} values`);
}

/**
 * Encodes one expression to bytes, with the pb vocabulary when `vocabulary`
 * is true. Throws `BananaError` past a limit, leaving nothing half-written.
 */
export function encodeExpression(value: BananaValue, vocabulary: boolean): Uint8Array {
  const w = new Writer();
  encodeInto(w, value, vocabulary, 0);
  if (w.length > MAX_EXPRESSION_SIZE) {
    throw new BananaError(
      `Cannot send an expression of ${w.length} bytes: the limit is ${MAX_EXPRESSION_SIZE}`,
    );
  }
  return w.result();
}

function readPrefix(buf: Uint8Array, start: number, end: number): number | bigint {
  if (end - start <= 7) {
    let n = 0;
    for (let i = end - 1; i >= start; i--) n = n * 128 + buf[i];
    return n;
  }
  let n = 0n;
  for (let i = end - 1; i >= start; i--) n = (n << 7n) | BigInt(buf[i]);
  return n;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function asNumber(n: number | bigint): number | bigint {
  if (typeof n === "bigint" && n <= MAX_SAFE && n >= -MAX_SAFE) return Number(n);
  return n;
}

function negate(n: number | bigint): number | bigint {
  if (typeof n === "bigint") return asNumber(-n) as number | bigint;
  return n === 0 ? 0 : -n;
}

interface Frame {
  expected: number;
  items: BananaValue[];
}

/**
 * An incremental Banana decoder: `feed` bytes, get each complete expression
 * through `onExpression`. Any error is thrown as `BananaError` and leaves
 * the decoder unusable (the connection should close).
 */
export class BananaDecoder {
  /** True to accept pb vocabulary entries. */
  vocabulary = false;
  #buffer: Uint8Array = new Uint8Array(0);
  // Chunks held back while a string or float is incomplete, and how many
  // bytes the buffer needs before parsing is worth trying again (so a long
  // string sent a byte at a time costs linear, not quadratic, copying).
  #held: Uint8Array[] = [];
  #heldLength = 0;
  #need = 0;
  #stack: Frame[] = [];
  #expressionBytes = 0;
  #failed = false;
  #onExpression: (value: BananaValue) => void;

  constructor(onExpression: (value: BananaValue) => void) {
    this.#onExpression = onExpression;
  }

  /** Bytes buffered awaiting the rest of an item. */
  get buffered(): number {
    return this.#buffer.length + this.#heldLength;
  }

  feed(chunk: Uint8Array): void {
    if (this.#failed) throw new BananaError("The decoder failed earlier");
    try {
      this.#feed(chunk);
    } catch (e) {
      this.#failed = true;
      this.#buffer = new Uint8Array(0);
      this.#held = [];
      this.#heldLength = 0;
      this.#stack = [];
      throw e instanceof BananaError ? e : new BananaError(String(e));
    }
  }

  #feed(chunk: Uint8Array): void {
    if (this.#need > 0 && this.#buffer.length + this.#heldLength + chunk.length < this.#need) {
      this.#held.push(chunk);
      this.#heldLength += chunk.length;
      return;
    }
    let buf: Uint8Array;
    if (this.#buffer.length === 0 && this.#heldLength === 0) buf = chunk;
    else {
      buf = new Uint8Array(this.#buffer.length + this.#heldLength + chunk.length);
      buf.set(this.#buffer);
      let at = this.#buffer.length;
      for (const held of this.#held) {
        buf.set(held, at);
        at += held.length;
      }
      buf.set(chunk, at);
      this.#held = [];
      this.#heldLength = 0;
    }
    this.#need = 0;
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      let end = pos;
      while (end < len && buf[end] < 0x80) {
        end++;
        if (end - pos > PREFIX_LIMIT) {
          throw new BananaError(`Security precaution: more than ${PREFIX_LIMIT} bytes of prefix`);
        }
      }
      if (end === len) break;
      const type = buf[end];
      const num = readPrefix(buf, pos, end);
      let next = end + 1;
      let item: BananaValue | undefined;
      let isList = false;
      switch (type) {
        case LIST:
          if (num > SIZE_LIMIT) throw new BananaError("Security precaution: list too long");
          if (this.#stack.length >= MAX_DEPTH) {
            throw new BananaError(`Security precaution: lists nested more than ${MAX_DEPTH} deep`);
          }
          isList = true;
          break;
        case STRING:
          if (num > SIZE_LIMIT) throw new BananaError("Security precaution: string too long");
          if (len - next < (num as number)) {
            this.#countBytes(0, next + (num as number) - pos);
            this.#buffer = buf.slice(pos);
            this.#need = next + (num as number) - pos;
            return;
          }
          item = buf.slice(next, next + (num as number));
          next += num as number;
          break;
        case INT:
        case LONGINT:
          item = asNumber(num);
          break;
        case NEG:
        case LONGNEG:
          item = negate(num);
          break;
        case VOCAB: {
          const word = typeof num === "number" ? INCOMING_VOCABULARY[num] : undefined;
          if (!this.vocabulary) throw new BananaError("Vocabulary received outside the pb dialect");
          if (num === 0 || word === undefined) {
            throw new BananaError(`Unknown vocabulary entry ${num}`);
          }
          item = word.slice();
          break;
        }
        case FLOAT:
          if (len - next < 8) {
            this.#countBytes(0, len - pos);
            this.#buffer = buf.slice(pos);
            this.#need = next + 8 - pos;
            return;
          }
          item = new DataView(buf.buffer, buf.byteOffset + next, 8).getFloat64(0);
          next += 8;
          break;
        default:
          throw new BananaError(`Invalid type byte 0x${type.toString(16)}`);
      }
      this.#countBytes(next - pos, 0);
      pos = next;
      if (isList) {
        this.#stack.push({ expected: num as number, items: [] });
        if (num !== 0) continue;
        item = this.#stack.pop()!.items;
      }
      this.#gotItem(item!);
    }
    this.#buffer = pos === len ? new Uint8Array(0) : buf.slice(pos);
    if (this.#buffer.length) this.#countBytes(0, this.#buffer.length);
  }

  #countBytes(consumed: number, pending: number): void {
    this.#expressionBytes += consumed;
    if (this.#expressionBytes + pending > MAX_EXPRESSION_SIZE) {
      throw new BananaError(
        `Security precaution: expression longer than ${MAX_EXPRESSION_SIZE} bytes`,
      );
    }
  }

  #gotItem(item: BananaValue): void {
    for (;;) {
      const top = this.#stack[this.#stack.length - 1];
      if (top === undefined) {
        this.#expressionBytes = 0;
        this.#onExpression(item);
        return;
      }
      top.items.push(item);
      if (top.items.length < top.expected) return;
      this.#stack.pop();
      item = top.items;
    }
  }
}
