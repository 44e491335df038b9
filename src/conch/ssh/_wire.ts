/**
 * SSH's wire types (RFC 4251 §5): byte, boolean, uint32, uint64, string,
 * mpint and name-list. `SSHWriter` builds a message; `SSHReader` reads one and
 * throws `SSHWireError` for anything short or malformed, so a parser never
 * reads past what the peer sent.
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * A message that does not parse as SSH's wire types.
 *
 * @example
 * ```ts
 * import { SSHReader, SSHWireError } from "@tw/core/conch";
 *
 * try {
 *   new SSHReader(new Uint8Array([0, 0, 0, 9])).string();
 * } catch (e) {
 *   console.log(e instanceof SSHWireError); // true
 * }
 * ```
 */
export class SSHWireError extends Error {
  /** The error's name. */
  override name = "SSHWireError";
}

/**
 * Appends SSH wire values to a growing buffer.
 *
 * @example
 * ```ts
 * import { SSHWriter } from "@tw/core/conch";
 *
 * console.log(new SSHWriter().mpint(0x80n).bytes()); // Uint8Array [0, 0, 0, 2, 0, 128]
 * ```
 */
export class SSHWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;
  #handedOut = false;

  /** A writer whose buffer starts at `capacity` bytes. */
  constructor(capacity = 256) {
    this.#buffer = new Uint8Array(capacity);
    this.#view = new DataView(this.#buffer.buffer);
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#buffer.length) return;
    // Doubling, from at least 64 bytes (a writer made with capacity 0 grows too).
    let size = Math.max(this.#buffer.length * 2, 64);
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
    this.#handedOut = false;
  }

  /** Writes a byte. */
  byte(value: number): this {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
    return this;
  }

  /** Writes a boolean (one byte). */
  boolean(value: boolean): this {
    return this.byte(value ? 1 : 0);
  }

  /** Writes a big-endian uint32. */
  uint32(value: number): this {
    this.#reserve(4);
    this.#view.setUint32(this.#length, value >>> 0);
    this.#length += 4;
    return this;
  }

  /** Writes a big-endian uint64. */
  uint64(value: bigint): this {
    this.#reserve(8);
    this.#view.setBigUint64(this.#length, value);
    this.#length += 8;
    return this;
  }

  /** Bytes as they are, without a length. */
  raw(bytes: Uint8Array): this {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  /** A `string`: uint32 length, then the bytes (text is written as UTF-8). */
  string(value: Uint8Array | string): this {
    const bytes = typeof value === "string" ? encoder.encode(value) : value;
    return this.uint32(bytes.length).raw(bytes);
  }

  /** An `mpint`: two's complement, big-endian, minimal length. */
  mpint(value: bigint): this {
    return this.string(mpintBytes(value));
  }

  /** A `name-list`: comma-separated names in one string. */
  nameList(names: readonly string[]): this {
    return this.string(names.join(","));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * The bytes written so far, which the writer no longer touches: its buffer
   * itself, once, when the capacity given was exactly used (a later write
   * moves to a new buffer), else a copy. Exact capacities spare big packets a copy.
   */
  bytes(): Uint8Array {
    if (this.#length === this.#buffer.length && !this.#handedOut) {
      this.#handedOut = true;
      return this.#buffer;
    }
    return this.#buffer.slice(0, this.#length);
  }
}

/**
 * Reads SSH wire values from a message, front to back.
 *
 * @example
 * ```ts
 * import { SSHReader, SSHWriter } from "@tw/core/conch";
 *
 * const reader = new SSHReader(new SSHWriter().string("ssh-userauth").uint32(7).bytes());
 * console.log(reader.text(), reader.uint32()); // "ssh-userauth" 7
 * ```
 */
export class SSHReader {
  readonly #data: Uint8Array;
  readonly #view: DataView;
  #offset: number;

  /** A reader of `data` from `offset`. */
  constructor(data: Uint8Array, offset = 0) {
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.#offset = offset;
  }

  #need(count: number, what: string): void {
    if (this.#offset + count > this.#data.length) {
      throw new SSHWireError(`Message ends inside a ${what}`);
    }
  }

  /** Where the next read starts. */
  get offset(): number {
    return this.#offset;
  }

  /** How many bytes are left unread. */
  get remaining(): number {
    return this.#data.length - this.#offset;
  }

  /** Reads a byte. */
  byte(): number {
    this.#need(1, "byte");
    return this.#data[this.#offset++];
  }

  /** Reads a boolean (any non-zero byte is true). */
  boolean(): boolean {
    return this.byte() !== 0;
  }

  /** Reads a big-endian uint32. */
  uint32(): number {
    this.#need(4, "uint32");
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** Reads a big-endian uint64. */
  uint64(): bigint {
    this.#need(8, "uint64");
    const value = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    return value;
  }

  /** `count` bytes as they are (a view into the message). */
  raw(count: number): Uint8Array {
    this.#need(count, "field");
    const bytes = this.#data.subarray(this.#offset, this.#offset + count);
    this.#offset += count;
    return bytes;
  }

  /** A `string` as bytes (a view into the message). */
  string(): Uint8Array {
    const length = this.uint32();
    this.#need(length, "string");
    return this.raw(length);
  }

  /** A `string` decoded as UTF-8; bad UTF-8 is an `SSHWireError`. */
  text(): string {
    const bytes = this.string();
    try {
      return decoder.decode(bytes);
    } catch {
      throw new SSHWireError("A text field is not UTF-8");
    }
  }

  /** Reads an `mpint`. */
  mpint(): bigint {
    return mpintValue(this.string());
  }

  /** Reads a `name-list`. */
  nameList(): string[] {
    const text = this.text();
    return text === "" ? [] : text.split(",");
  }

  /** The unread rest (a view into the message). */
  rest(): Uint8Array {
    return this.raw(this.remaining);
  }

  /** Throws unless everything was read. */
  end(): void {
    if (this.remaining !== 0) throw new SSHWireError("Message has trailing bytes");
  }
}

/** An `mpint`'s bytes without the length prefix. */
export function mpintBytes(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array(0);
  if (value < 0n) {
    let bytes = 1;
    while (-(1n << BigInt(bytes * 8 - 1)) > value) bytes++;
    const unsigned = (1n << BigInt(bytes * 8)) + value;
    return bigintToBytes(unsigned, bytes);
  }
  let hex = value.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  const high = parseInt(hex.slice(0, 2), 16);
  const out = new Uint8Array(hex.length / 2 + (high & 0x80 ? 1 : 0));
  const start = out.length - hex.length / 2;
  for (let i = 0; i < hex.length / 2; i++) {
    out[start + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

/** The value of an `mpint`'s bytes. */
export function mpintValue(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  const unsigned = bytesToBigint(bytes);
  if (bytes[0] & 0x80) return unsigned - (1n << BigInt(bytes.length * 8));
  return unsigned;
}

/** Big-endian unsigned bytes as a bigint. */
export function bytesToBigint(bytes: Uint8Array): bigint {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex === "" ? 0n : BigInt("0x" + hex);
}

/** A non-negative bigint as exactly `length` big-endian bytes. */
export function bigintToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n) throw new RangeError("Cannot encode a negative number as unsigned bytes");
  const hex = value.toString(16).padStart(length * 2, "0");
  if (hex.length > length * 2) throw new RangeError(`Number does not fit in ${length} bytes`);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Text as UTF-8 bytes. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
