/**
 * `Headers`: an HTTP header collection with Twisted's `http_headers.Headers`
 * API. Names are case-insensitive; values are strings (latin1 on the wire).
 *
 * @module
 */

import { asciiBytes, putAscii, putBytes } from "./_head_bytes.ts";
import {
  addReceived,
  eachValue,
  hasLower,
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
  // Headers as the parser received them (name, value, name, value ...), not
  // yet in the map: most requests are answered after looking up one or two
  // names, which a scan of this list does without building the map.
  #received: string[] | null = null;

  get #map(): Map<string, Entry> {
    if (this.#received !== null) this.#fold();
    return this.#store ??= new Map();
  }

  #fold(): void {
    const received = this.#received!;
    this.#received = null;
    for (let i = 0; i < received.length; i += 2) this.#add(received[i], received[i + 1]);
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
    return this.#map.has(name.toLowerCase());
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
   * Appends a header as received from the wire (internal fast path for the
   * request parser: the name is case-folded only when needed).
   * @ignore
   */
  [addReceived](name: string, value: string): void {
    if (this.#received !== null) this.#received.push(name, value);
    else if (this.#store === null || this.#store.size === 0) this.#received = [name, value];
    else this.#add(name, value);
  }

  /** The values of `name`, or `defaultValue` (undefined unless given) when absent. */
  getRawHeaders(name: string): string[] | undefined;
  /** The values of `name`, or `defaultValue` when absent. */
  getRawHeaders<D>(name: string, defaultValue: D): string[] | D;
  getRawHeaders<D>(name: string, defaultValue?: D): string[] | D | undefined {
    const entry = this.#map.get(name.toLowerCase());
    return entry === undefined ? defaultValue : entry.values.slice();
  }

  /** The last value of `name`, or null: what `request.getHeader` returns. */
  getLast(name: string): string | null {
    const entry = this.#map.get(name.toLowerCase());
    return entry === undefined ? null : entry.values[entry.values.length - 1];
  }

  /**
   * True when `lowerName` (already lower case) is present (internal fast path).
   * @ignore
   */
  [hasLower](lowerName: string): boolean {
    if (this.#received !== null) return this[valuesOf](lowerName) !== undefined;
    const store = this.#store;
    return store !== null && store.has(lowerName);
  }

  /**
   * The values of `name` without copying (internal fast path; do not mutate).
   * @ignore
   */
  [valuesOf](lowerName: string): readonly string[] | undefined {
    const received = this.#received;
    if (received === null) return this.#store?.get(lowerName)?.values;
    let found: string[] | undefined;
    for (let i = 0; i < received.length; i += 2) {
      const name = received[i];
      if (name.length === lowerName.length && equalsLower(name, lowerName)) {
        (found ??= []).push(received[i + 1]);
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

/** `name.toLowerCase() === lower` for names of the same length, without making a string. */
function equalsLower(name: string, lower: string): boolean {
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
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
