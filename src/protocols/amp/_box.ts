/**
 * AMP's wire codec: boxes of 16-bit length-prefixed key/value pairs ended by
 * an empty key (`AmpBox.serialize`, `parseString`, and the incremental
 * `BoxReader` that `BinaryBoxProtocol` feeds). It knows nothing of sockets.
 * Private to src/protocols; the public face is `amp.ts`.
 *
 * @module
 */
import { MalformedAmpBox, TooLong } from "./_errors.ts";

/** The key of a question's tag. */
export const ASK = "_ask";
/** The key of an answer's tag (the question's `_ask`). */
export const ANSWER = "_answer";
/** The key naming the command. */
export const COMMAND = "_command";
/** The key of an error answer's tag (the question's `_ask`). */
export const ERROR = "_error";
/** The key of an error answer's code. */
export const ERROR_CODE = "_error_code";
/** The key of an error answer's text. */
export const ERROR_DESCRIPTION = "_error_description";
/** The longest key, in bytes. */
export const MAX_KEY_LENGTH = 0xff;
/** The longest value, in bytes. */
export const MAX_VALUE_LENGTH = 0xffff;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** UTF-8 to text, bad bytes becoming U+FFFD (Python's "replace"). */
export const utf8Decoder: TextDecoder = decoder;

/** True when every character of `s` is ASCII. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** UTF-8 for a value given as text. */
export function toValueBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

/** A key read from the wire: ASCII directly, anything else as UTF-8. */
function decodeKey(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b >= 0x80) return decoder.decode(buf.subarray(start, end));
    s += globalThis.String.fromCharCode(b);
  }
  return s;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** What a box may be made from: a record or key/value pairs; text becomes UTF-8. */
export type BoxInit =
  | Readonly<Record<string, Uint8Array | string>>
  | Iterable<readonly [string, Uint8Array | string]>;

/**
 * A packet of the AMP protocol: a `Map` from keys to byte values (`amp.Box`
 * and `amp.AmpBox` in Twisted). Text given to the constructor becomes UTF-8;
 * `serialize()` writes the keys in byte order, as Twisted does, so the same
 * box gives the same bytes.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const box = new amp.AmpBox({ _command: "Sum", a: "1" });
 * console.log(box.serialize().length); // 23: 2 + 8 + 2 + 3, 2 + 1 + 2 + 1, then 0 0
 * ```
 */
export class AmpBox extends Map<string, Uint8Array> {
  /**
   * Makes a box.
   * @param init a record or key/value pairs (text values become UTF-8)
   */
  constructor(init?: BoxInit | null) {
    super();
    if (init === undefined || init === null) return;
    if (Symbol.iterator in init) {
      for (const [k, v] of init as Iterable<readonly [string, Uint8Array | string]>) {
        this.set(k, toValueBytes(v));
      }
    } else {
      for (const k of Object.keys(init)) {
        this.set(k, toValueBytes((init as Record<string, Uint8Array | string>)[k]));
      }
    }
  }

  /** Another box of the same class with the same entries (the values are shared). */
  copy(): AmpBox {
    const box = new (this.constructor as new () => AmpBox)();
    for (const [k, v] of this) box.set(k, v);
    return box;
  }

  /**
   * The value of `key` as UTF-8 text, or undefined when the box has none.
   * @param key the key
   */
  getText(key: string): string | undefined {
    const v = this.get(key);
    return v === undefined ? undefined : decoder.decode(v);
  }

  /**
   * The wire form: each key and value with a 16-bit big-endian length, keys
   * in byte order, then two zero bytes.
   * @throws {TooLong} when a key is over 255 bytes or a value over 65535
   * @throws {MalformedAmpBox} when a key is empty
   * @throws {TypeError} when a value is not a `Uint8Array`
   */
  serialize(): Uint8Array {
    const keys: string[] = [];
    let ascii = true;
    for (const k of this.keys()) {
      keys.push(k);
      if (ascii && !isAscii(k)) ascii = false;
    }
    let encoded: Uint8Array[] | null = null;
    if (ascii) {
      keys.sort();
    } else {
      const pairs = keys.map((k) => [k, encoder.encode(k)] as const);
      pairs.sort((a, b) => compareBytes(a[1], b[1]));
      encoded = [];
      for (let i = 0; i < pairs.length; i++) {
        keys[i] = pairs[i][0];
        encoded.push(pairs[i][1]);
      }
    }
    let total = 2;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const kl = encoded === null ? k.length : encoded[i].length;
      if (kl === 0) throw new MalformedAmpBox("Box keys cannot be empty");
      if (kl > MAX_KEY_LENGTH) {
        throw new TooLong({
          isKey: true,
          isLocal: true,
          length: kl,
          value: encoded === null ? encoder.encode(k) : encoded[i],
        });
      }
      const v = this.get(k);
      if (!(v instanceof Uint8Array)) {
        throw new TypeError(`The value of '${k}' must be a Uint8Array, not ${typeof v}`);
      }
      if (v.length > MAX_VALUE_LENGTH) {
        throw new TooLong({ isKey: false, isLocal: true, length: v.length, value: v, keyName: k });
      }
      total += 4 + kl + v.length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const v = this.get(k)!;
      if (encoded === null) {
        out[at + 1] = k.length;
        at += 2;
        for (let j = 0; j < k.length; j++) out[at++] = k.charCodeAt(j);
      } else {
        const kb = encoded[i];
        out[at + 1] = kb.length;
        out.set(kb, at + 2);
        at += 2 + kb.length;
      }
      out[at] = v.length >> 8;
      out[at + 1] = v.length & 0xff;
      out.set(v, at + 2);
      at += 2 + v.length;
    }
    return out;
  }

  /** Describes the box as Twisted's repr does, with values as text where printable. */
  override toString(): string {
    const parts: string[] = [];
    for (const [k, v] of this) parts.push(`${k}: ${JSON.stringify(decoder.decode(v))}`);
    return `${this.constructor.name}({${parts.join(", ")}})`;
  }
}

/**
 * Twisted's other name for {@link AmpBox}.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const box = new amp.Box({ _command: "Ping" });
 * console.log(box instanceof amp.AmpBox); // true
 * ```
 */
export const Box: typeof AmpBox = AmpBox;
/** Twisted's other name for {@link AmpBox}. */
export type Box = AmpBox;

/**
 * A box that closes the connection once it is sent as an answer (how a
 * fatal error is answered). `sendBox` alone writes it like any box.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Bye extends amp.AMP {
 *   amp_BYE(_box: amp.AmpBox): amp.AmpBox {
 *     return new amp.QuitBox({ bye: "bye" });
 *   }
 * }
 * const transport = new StringTransport();
 * const proto = new Bye();
 * proto.makeConnection(transport);
 * proto.dataReceived(new amp.AmpBox({ _command: "BYE", _ask: "1" }).serialize());
 * console.log(transport.disconnecting); // true
 * ```
 */
export class QuitBox extends AmpBox {}

/**
 * What a box does once it has been sent, besides QuitBox's close (StartTLS's
 * answer starts TLS; a protocol switch's answer switches). Keyed by the box.
 */
export const afterSend: WeakMap<AmpBox, (sender: object) => void> = new WeakMap();

/** Values a box carries for this side only (StartTLS's certificate), never sent. */
export const localValues: WeakMap<AmpBox, Record<string, unknown>> = new WeakMap();

/**
 * Sends `box` through `sender` the way Twisted's `box._sendTo(proto)` does:
 * a QuitBox then closes the connection, and a box's `afterSend` step runs.
 */
export function emitBox(sender: { sendBox(box: AmpBox): void }, box: AmpBox): void {
  sender.sendBox(box);
  if (box instanceof QuitBox) {
    (sender as { transport?: { loseConnection(): void } | null }).transport?.loseConnection();
  }
  afterSend.get(box)?.(sender);
}

/**
 * Reads boxes from a byte stream, chunk by chunk, wherever the chunks break.
 * Completed pairs go into the box at once; only the pair being read is
 * buffered, so a box split at every byte costs no more than one in one
 * chunk. Values are views into the chunks they came in.
 */
export class BoxReader {
  /** The most bytes a box may take on the wire before `feed` throws `TooLong`. */
  maxBoxSize: number;
  #chunks: Uint8Array[] = [];
  #have = 0;
  #need = 2;
  #box: AmpBox | null = null;
  #key: string | null = null;
  #size = 0;
  // While `feed` delivers a box: the buffer and the offset after that box.
  #buf: Uint8Array | null = null;
  #pos = 0;
  #stopped = false;

  /**
   * Makes a reader.
   * @param maxBoxSize the most bytes a box may take on the wire
   */
  constructor(maxBoxSize: number = Infinity) {
    this.maxBoxSize = maxBoxSize;
  }

  /** True when no part of a box is waiting for more bytes. */
  get idle(): boolean {
    return this.#have === 0 && this.#box === null && this.#key === null;
  }

  /**
   * Reads `data`, calling `deliver` with each complete box. `deliver` may call
   * `takeRest()` to take the bytes after that box (reading then stops).
   * @throws {TooLong} for a key over 255 bytes or a box over `maxBoxSize`
   */
  feed(data: Uint8Array, deliver: (box: AmpBox) => void): void {
    let buf = data;
    if (this.#have > 0) {
      this.#chunks.push(data);
      this.#have += data.length;
      if (this.#have < this.#need) return;
      buf = concat(this.#chunks, this.#have);
      this.#chunks = [];
      this.#have = 0;
    }
    const end = buf.length;
    let pos = 0;
    let need = 2;
    const max = this.maxBoxSize;
    while (end - pos >= 2) {
      const len = (buf[pos] << 8) | buf[pos + 1];
      if (this.#key === null) {
        if (len === 0) {
          pos += 2;
          const box = this.#box ?? new AmpBox();
          this.#box = null;
          this.#size = 0;
          this.#buf = buf;
          this.#pos = pos;
          this.#stopped = false;
          try {
            deliver(box);
          } finally {
            this.#buf = null;
          }
          if (this.#stopped) return;
          continue;
        }
        if (len > MAX_KEY_LENGTH) throw new TooLong({ isKey: true, isLocal: false, length: len });
        if (this.#size + 2 + len > max) throw this.#boxTooLong(2 + len);
        if (end - pos < 2 + len) {
          need = 2 + len;
          break;
        }
        this.#key = decodeKey(buf, pos + 2, pos + 2 + len);
        this.#box ??= new AmpBox();
      } else {
        if (this.#size + 2 + len > max) throw this.#boxTooLong(2 + len);
        if (end - pos < 2 + len) {
          need = 2 + len;
          break;
        }
        this.#box!.set(this.#key, buf.subarray(pos + 2, pos + 2 + len));
        this.#key = null;
      }
      this.#size += 2 + len;
      pos += 2 + len;
    }
    this.#need = need;
    if (pos < end) {
      this.#chunks.push(pos === 0 ? buf : buf.subarray(pos));
      this.#have = end - pos;
    }
  }

  #boxTooLong(more: number): TooLong {
    return new TooLong({
      isKey: false,
      isLocal: false,
      length: this.#size + more,
      limit: this.maxBoxSize,
      what: "box",
    });
  }

  /**
   * The bytes not read yet: during `deliver`, those after the box being
   * delivered (and reading stops there); otherwise the partial box's bytes
   * still buffered. The reader is left empty.
   */
  takeRest(): Uint8Array {
    let rest: Uint8Array;
    if (this.#buf !== null) {
      const tail = this.#buf.subarray(this.#pos);
      this.#stopped = true;
      this.#buf = null;
      rest = tail;
    } else {
      rest = concat(this.#chunks, this.#have);
    }
    this.#chunks = [];
    this.#have = 0;
    this.#need = 2;
    this.#box = null;
    this.#key = null;
    this.#size = 0;
    return rest;
  }

  /** Stops reading: during `deliver`, nothing after the current box is read. */
  stop(): void {
    this.#stopped = true;
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Parses the boxes in `data` (Twisted's `amp.parseString`). Unlike Twisted's,
 * which drops what it cannot read, truncated input is an error.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const boxes = amp.parseString(new amp.AmpBox({ a: "1" }).serialize());
 * console.log(boxes[0].getText("a")); // "1"
 * ```
 * @throws {MalformedAmpBox} when the bytes end inside a box
 * @throws {TooLong} when a key is over 255 bytes
 */
export function parseString(data: Uint8Array): AmpBox[] {
  const boxes: AmpBox[] = [];
  const reader = new BoxReader();
  reader.feed(data, (box) => boxes.push(box));
  if (!reader.idle) throw new MalformedAmpBox("The data ends inside a box");
  return boxes;
}
