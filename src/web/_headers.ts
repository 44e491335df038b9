/**
 * `Headers`: an HTTP header collection with Twisted's `http_headers.Headers`
 * API. Names are case-insensitive; values are strings (latin1 on the wire).
 *
 * @module
 */

import { asciiBytes, putAscii, putBytes } from "./_head_bytes.ts";
import { fieldText } from "./_http_parse.ts";
import {
  countOf,
  eachValue,
  hasLower,
  receive,
  serialize,
  serializedLength,
  serializeTo,
  setOne,
  valuesOf,
} from "./_internal.ts";

/** What `new Headers(init)` accepts: a record of name -> values, or pairs. */
export type HeadersInit =
  | Record<string, string | readonly string[]>
  | Iterable<readonly [string, string]>;

/**
 * Connection-level fields (RFC 9110 7.6.1): they belong to one hop, so the
 * fetch bridge and the proxies do not pass them on. Internal.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);

interface Entry {
  /** The lower-case name (the map's key). */
  key: string;
  /** The name as first given, for output. */
  name: string;
  values: string[];
  /** `Name: ` as bytes, found when first serialized. */
  prefix: Uint8Array | null;
}

// Received bytes larger than this are decoded at once: the headers would
// otherwise keep a large read buffer alive as long as themselves.
const MAX_KEPT = 16384;

function newEntry(key: string, name: string, values: string[]): Entry {
  return { key, name, values, prefix: null };
}

/**
 * A case-insensitive multimap of HTTP headers (`twisted.web.http_headers.Headers`).
 *
 * @example
 * ```ts
 * import { Headers } from "@tw/core/web";
 * const h = new Headers({ "Content-Type": "text/plain" });
 * h.addRawHeader("set-cookie", "a=1");
 * h.addRawHeader("Set-Cookie", "b=2");
 * console.log(h.getRawHeaders("SET-COOKIE")); // ["a=1", "b=2"]
 * ```
 */
export class Headers {
  // Keyed by lower-case name; Map keeps insertion order for output. Made on
  // first use: the request headers of many requests never need one.
  #store: Map<string, Entry> | null = null;
  // Header lines as the parser received them, not yet in the map (see
  // `Received`): most requests are answered after looking up one or two
  // names, which a scan of the bytes does without decoding the others or
  // building the map.
  #received: Received | null = null;

  get #map(): Map<string, Entry> {
    if (this.#received !== null) this.#fold();
    return this.#store ??= new Map();
  }

  #fold(): void {
    const r = this.#received!;
    this.#received = null;
    const marks = r.marks;
    const text = receivedText(r);
    const base = r.base;
    for (let i = 0; i < marks.length; i += 4) {
      this.#add(
        text.slice(marks[i] - base, marks[i + 1] - base),
        text.slice(marks[i + 2] - base, marks[i + 3] - base),
      );
    }
  }

  #add(name: string, value: string): void {
    const key = name.toLowerCase();
    const store = this.#store ??= new Map();
    const entry = store.get(key);
    if (entry === undefined) store.set(key, newEntry(key, name, [value]));
    else entry.values.push(value);
  }

  /**
   * Makes a header collection.
   * @param init initial headers
   */
  constructor(init?: HeadersInit) {
    if (init === undefined) return;
    if (Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<readonly [string, string]>) {
        this.addRawHeader(name, value);
      }
    } else {
      for (const [name, value] of Object.entries(init)) {
        if (typeof value === "string") this.addRawHeader(name, value);
        else this.setRawHeaders(name, value as readonly string[]);
      }
    }
  }

  /** True when a header named `name` is present. */
  hasHeader(name: string): boolean {
    return this[hasLower](name.toLowerCase());
  }

  /** Removes every value of `name`. */
  removeHeader(name: string): void {
    this.#map.delete(name.toLowerCase());
  }

  /** Replaces the values of `name` (an empty list removes it). */
  setRawHeaders(name: string, values: readonly string[]): void {
    if (values.length === 0) {
      this.removeHeader(name);
      return;
    }
    const key = name.toLowerCase();
    this.#map.set(key, newEntry(key, name, values.slice()));
  }

  /**
   * Replaces the values of `name` with `value` (the one-value `setRawHeaders`).
   * @ignore
   */
  [setOne](name: string, value: string): void {
    const key = name.toLowerCase();
    this.#map.set(key, newEntry(key, name, [value]));
  }

  /** Appends one value to `name`. */
  addRawHeader(name: string, value: string): void {
    if (this.#received !== null) this.#fold();
    this.#add(name, value);
  }

  /**
   * Takes the header lines of a parsed head (internal fast path for the
   * request parser), decoded when asked for. Its bytes must not change
   * afterwards; large ones are decoded at once rather than kept.
   * @ignore
   */
  [receive](received: Received): void {
    const fresh = this.#received === null && (this.#store === null || this.#store.size === 0);
    if (this.#received !== null) this.#fold();
    this.#received = received;
    if (!fresh || received.buf.byteLength > MAX_KEPT) this.#fold();
  }

  /** The values of `name`, or `defaultValue` (undefined unless given) when absent. */
  getRawHeaders(name: string): string[] | undefined;
  /** The values of `name`, or `defaultValue` when absent. */
  getRawHeaders<D>(name: string, defaultValue: D): string[] | D;
  getRawHeaders<D>(name: string, defaultValue?: D): string[] | D | undefined {
    if (this.#received !== null) {
      // Made for this call: already a copy.
      return (this[valuesOf](name.toLowerCase()) as string[] | undefined) ?? defaultValue;
    }
    const entry = this.#map.get(name.toLowerCase());
    return entry === undefined ? defaultValue : entry.values.slice();
  }

  /** The last value of `name`, or null: what `request.getHeader` returns. */
  getLast(name: string): string | null {
    const r = this.#received;
    if (r !== null) {
      const at = receivedFind(r, name.toLowerCase(), true);
      return at < 0 ? null : receivedValue(r, at);
    }
    const entry = this.#map.get(name.toLowerCase());
    return entry === undefined ? null : entry.values[entry.values.length - 1];
  }

  /**
   * True when `lowerName` (already lower case) is present (internal fast path).
   * @ignore
   */
  [hasLower](lowerName: string): boolean {
    const r = this.#received;
    if (r !== null) return receivedFind(r, lowerName, false) >= 0;
    const store = this.#store;
    return store !== null && store.has(lowerName);
  }

  /**
   * How many values `lowerName` (already lower case) has, without decoding
   * any (internal fast path).
   * @ignore
   */
  [countOf](lowerName: string): number {
    const r = this.#received;
    if (r === null) return this.#store?.get(lowerName)?.values.length ?? 0;
    const { buf, marks } = r;
    const n = lowerName.length;
    let count = 0;
    for (let i = 0; i < marks.length; i += 4) {
      const start = marks[i];
      if (marks[i + 1] - start === n && bytesEqualLower(buf, start, lowerName)) count++;
    }
    return count;
  }

  /**
   * The values of `name` without copying (internal fast path; do not mutate).
   * @ignore
   */
  [valuesOf](lowerName: string): readonly string[] | undefined {
    const r = this.#received;
    if (r === null) return this.#store?.get(lowerName)?.values;
    const { buf, marks } = r;
    const n = lowerName.length;
    let found: string[] | undefined;
    for (let i = 0; i < marks.length; i += 4) {
      const start = marks[i];
      if (marks[i + 1] - start === n && bytesEqualLower(buf, start, lowerName)) {
        (found ??= []).push(receivedValue(r, i));
      }
    }
    return found;
  }

  /** Each `[name, values]`, names as first given. */
  *getAllRawHeaders(): IterableIterator<[string, string[]]> {
    for (const entry of this.#map.values()) yield [entry.name, entry.values.slice()];
  }

  /**
   * Calls `fn` for each value with its lower-case name (internal fast path:
   * no iterator, no case folding).
   * @ignore
   */
  [eachValue](fn: (lowerName: string, value: string) => void): void {
    for (const [key, entry] of this.#map) {
      const values = entry.values;
      for (let i = 0; i < values.length; i++) fn(key, values[i]);
    }
  }

  /** Each `[name, value]` pair, one per value, names as first given. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const entry of this.#map.values()) {
      for (const value of entry.values) yield [entry.name, value];
    }
  }

  /** A copy. */
  copy(): Headers {
    const out = new Headers();
    for (const [key, entry] of this.#map) {
      out.#map.set(key, newEntry(key, entry.name, entry.values.slice()));
    }
    return out;
  }

  /** The number of distinct names. */
  get size(): number {
    return this.#map.size;
  }

  /** Converts to the standard `Headers` of `fetch` (values joined as it does). */
  toWebHeaders(): globalThis.Headers {
    const out = new globalThis.Headers();
    for (const [name, value] of this) out.append(name, value);
    return out;
  }

  /**
   * Serializes as `Name: value\r\n` lines, names in canonical caps (no final blank line).
   * @ignore
   */
  [serialize](): string {
    let out = "";
    for (const [key, entry] of this.#map) {
      const prefix = linePrefix(key);
      for (const value of entry.values) out += prefix + value + "\r\n";
    }
    return out;
  }

  /**
   * The length of `[serialize]()` in bytes when it is ASCII (internal).
   * @ignore
   */
  [serializedLength](): number {
    let n = 0;
    for (const entry of this.#map.values()) {
      const prefix = (entry.prefix ??= linePrefixBytes(entry.key)).length + 2;
      const values = entry.values;
      for (let i = 0; i < values.length; i++) n += prefix + values[i].length;
    }
    return n;
  }

  /**
   * Writes `[serialize]()` as ASCII bytes into `out` at `at` and returns the
   * end; -1 at a character above ASCII (internal).
   * @ignore
   */
  [serializeTo](out: Uint8Array, at: number): number {
    for (const entry of this.#map.values()) {
      const prefix = entry.prefix ??= linePrefixBytes(entry.key);
      const values = entry.values;
      for (let i = 0; i < values.length; i++) {
        at = putAscii(out, values[i], putBytes(out, prefix, at));
        if (at < 0) return -1;
        out[at++] = 13;
        out[at++] = 10;
      }
    }
    return at;
  }
}

/**
 * A request head's header lines as received (internal): the bytes, and per
 * line where its name and value are in them (nameStart, nameEnd, valueStart,
 * valueEnd ...). `text` is `buf` decoded from `base` (one code unit per byte)
 * to the end of the last value, made when first needed.
 */
export interface Received {
  /** The bytes holding the head. */
  buf: Uint8Array;
  /** Offsets in `buf`, four per header line. */
  marks: number[];
  /** Where `text` starts in `buf` (at or before the first name). */
  base: number;
  /** The head has bytes above ASCII: decode as latin1. */
  high: boolean;
  /** `buf` decoded from `base`, or null until needed. */
  text: string | null;
}

/** `r.text`, made on first use. */
function receivedText(r: Received): string {
  const marks = r.marks;
  return r.text ??= marks.length === 0
    ? ""
    : fieldText(r.buf, r.base, marks[marks.length - 1], r.high);
}

/** The value of the line at `marks[at]`. */
function receivedValue(r: Received, at: number): string {
  const base = r.base;
  return receivedText(r).slice(r.marks[at + 2] - base, r.marks[at + 3] - base);
}

/** The index in `r.marks` of the first (or last) line named `lowerName`, or -1. */
function receivedFind(r: Received, lowerName: string, last: boolean): number {
  const { buf, marks } = r;
  const n = lowerName.length;
  const count = marks.length;
  for (let k = 0; k < count; k += 4) {
    const i = last ? count - 4 - k : k;
    const start = marks[i];
    if (marks[i + 1] - start === n && bytesEqualLower(buf, start, lowerName)) return i;
  }
  return -1;
}

/**
 * True when the `lower.length` bytes of `buf` at `start`, case-folded, are
 * `lower`: a received name compared without making a string.
 */
function bytesEqualLower(buf: Uint8Array, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = buf[start + i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

const canonical = new Map<string, string>([
  ["www-authenticate", "WWW-Authenticate"],
  [
    "content-md5",
    "Content-MD5",
  ],
  ["x-xss-protection", "X-XSS-Protection"],
  ["etag", "ETag"],
  ["te", "TE"],
  [
    "dnt",
    "DNT",
  ],
]);

const prefixes = new Map<string, string>();
const prefixBytes = new Map<string, Uint8Array>();

/** `linePrefix` as bytes (canonical names are tokens, so ASCII), cached. */
function linePrefixBytes(lower: string): Uint8Array {
  let bytes = prefixBytes.get(lower);
  if (bytes === undefined) {
    bytes = asciiBytes(linePrefix(lower))!;
    if (prefixBytes.size < 1000) prefixBytes.set(lower, bytes);
  }
  return bytes;
}

/** `content-type` -> `Content-Type: `, cached. */
function linePrefix(lower: string): string {
  let prefix = prefixes.get(lower);
  if (prefix === undefined) {
    prefix = canonicalName(lower) + ": ";
    if (prefixes.size < 1000) prefixes.set(lower, prefix);
  }
  return prefix;
}

/** `content-type` -> `Content-Type` (Twisted's canonical capitalization), cached. */
function canonicalName(lower: string): string {
  let name = canonical.get(lower);
  if (name === undefined) {
    name = lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    if (canonical.size < 1000) canonical.set(lower, name);
  }
  return name;
}
