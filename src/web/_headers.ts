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
  fieldList,
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

// Received bytes larger than this are decoded at once: the headers would
// otherwise keep a large read buffer alive as long as themselves.
const MAX_KEPT = 16384;

/** The index in `list` of the first field named `key`, or -1. */
function findKey(list: string[], key: string): number {
  for (let i = 0; i < list.length; i += 3) if (list[i] === key) return i;
  return -1;
}

// Up to this many list entries (a third as many fields), a field added goes
// straight into its name's group.
const GROUPED_ADDS = 96;

/**
 * Puts every name's fields together, where its first field is, in their
 * order, under the name first given (one pass with a Map: any length).
 */
function regroup(list: string[]): void {
  const groups = new Map<string, string[]>();
  for (let i = 0; i < list.length; i += 3) {
    const group = groups.get(list[i]);
    if (group === undefined) groups.set(list[i], [list[i + 1], list[i + 2]]);
    else group.push(list[i + 2]);
  }
  let at = 0;
  for (const [key, group] of groups) {
    for (let k = 1; k < group.length; k++) {
      list[at] = key;
      list[at + 1] = group[0];
      list[at + 2] = group[k];
      at += 3;
    }
  }
}

/** The index just past the fields of the name whose first field is at `at`. */
function groupEnd(list: string[], at: number): number {
  const key = list[at];
  let end = at + 3;
  while (end < list.length && list[end] === key) end += 3;
  return end;
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
  // The fields as flat triples: lower-case name, the name as first given,
  // value. The values of one name are contiguous, names in the order they
  // were first added. A response has a handful of fields, which a scan finds
  // faster than a Map hashes, and no object per name is made. Null until
  // the first field.
  #list: string[] | null = null;
  // Header lines as the parser received them, not yet in the list (see
  // `Received`): most requests are answered after looking up one or two
  // names, which a scan of the bytes does without decoding the others.
  #received: Received | null = null;

  // True when `#add` appended fields past the end of their name's group.
  #scattered = false;

  /**
   * The fields, grouped by name, with received lines decoded first; null
   * when there are none.
   */
  #fields(): string[] | null {
    if (this.#received !== null) this.#fold();
    if (this.#scattered) {
      this.#scattered = false;
      regroup(this.#list!);
    }
    return this.#list;
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
    const list = this.#list ??= [];
    if (list.length >= GROUPED_ADDS) {
      // Many fields: looking for each one's group would make adding them
      // quadratic. Appended; grouped when next read in order.
      list.push(key, name, value);
      this.#scattered = true;
      return;
    }
    const at = findKey(list, key);
    if (at < 0) list.push(key, name, value);
    else {
      const end = groupEnd(list, at);
      if (end === list.length) list.push(key, list[at + 1], value);
      else list.splice(end, 0, key, list[at + 1], value);
    }
  }

  /** Replaces every value of `name` (in place when present, else at the end). */
  #replace(name: string, values: readonly string[]): void {
    const key = name.toLowerCase();
    const list = this.#fields() ?? (this.#list = []);
    const at = findKey(list, key);
    // The fields after the group's place come back after the new values
    // (no spread: a long list of values would exceed the argument limit).
    const tail = at < 0 ? [] : list.splice(at);
    const rest = at < 0 ? tail : tail.slice(groupEnd(tail, 0));
    for (const value of values) list.push(key, name, value);
    for (const field of rest) list.push(field);
  }

  /** `#replace` with one value, making no array but the list. */
  #replaceOne(name: string, value: string): void {
    const key = name.toLowerCase();
    const list = this.#fields() ?? (this.#list = []);
    const at = findKey(list, key);
    if (at < 0) list.push(key, name, value);
    else if (groupEnd(list, at) === at + 3) {
      list[at + 1] = name;
      list[at + 2] = value;
    } else list.splice(at, groupEnd(list, at) - at, key, name, value);
  }

  /**
   * Makes a header collection.
   * @param init initial headers
   */
  constructor(init?: HeadersInit) {
    // The filling in a method of its own: a small constructor is inlined
    // where the request path makes its empty collections.
    if (init !== undefined) this.#fill(init);
  }

  #fill(init: HeadersInit): void {
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
    const list = this.#fields();
    if (list === null) return;
    const at = findKey(list, name.toLowerCase());
    if (at >= 0) list.splice(at, groupEnd(list, at) - at);
  }

  /** Replaces the values of `name` (an empty list removes it). */
  setRawHeaders(name: string, values: readonly string[]): void {
    if (values.length === 0) this.removeHeader(name);
    else if (values.length === 1) this.#replaceOne(name, values[0]);
    else this.#replace(name, values);
  }

  /**
   * Replaces the values of `name` with `value` (the one-value `setRawHeaders`).
   * @ignore
   */
  [setOne](name: string, value: string): void {
    this.#replaceOne(name, value);
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
    const fresh = this.#received === null && (this.#list === null || this.#list.length === 0);
    if (this.#received !== null) this.#fold();
    this.#received = received;
    if (!fresh || received.buf.byteLength > MAX_KEPT) this.#fold();
  }

  /** The values of `name`, or `defaultValue` (undefined unless given) when absent. */
  getRawHeaders(name: string): string[] | undefined;
  /** The values of `name`, or `defaultValue` when absent. */
  getRawHeaders<D>(name: string, defaultValue: D): string[] | D;
  getRawHeaders<D>(name: string, defaultValue?: D): string[] | D | undefined {
    // Made for this call: already a copy.
    return (this[valuesOf](name.toLowerCase()) as string[] | undefined) ?? defaultValue;
  }

  /** The last value of `name`, or null: what `request.getHeader` returns. */
  getLast(name: string): string | null {
    const r = this.#received;
    const key = name.toLowerCase();
    if (r !== null) {
      const at = receivedFind(r, key, true);
      return at < 0 ? null : receivedValue(r, at);
    }
    const list = this.#list;
    if (list === null) return null;
    for (let i = list.length - 3; i >= 0; i -= 3) if (list[i] === key) return list[i + 2];
    return null;
  }

  /**
   * True when `lowerName` (already lower case) is present (internal fast path).
   * @ignore
   */
  [hasLower](lowerName: string): boolean {
    const r = this.#received;
    if (r !== null) return receivedFind(r, lowerName, false) >= 0;
    const list = this.#list;
    return list !== null && findKey(list, lowerName) >= 0;
  }

  /**
   * How many values `lowerName` (already lower case) has, without decoding
   * any (internal fast path).
   * @ignore
   */
  [countOf](lowerName: string): number {
    const r = this.#received;
    let count = 0;
    if (r === null) {
      const list = this.#list;
      if (list === null) return 0;
      for (let i = 0; i < list.length; i += 3) if (list[i] === lowerName) count++;
      return count;
    }
    const { buf, marks } = r;
    const n = lowerName.length;
    for (let i = 0; i < marks.length; i += 4) {
      const start = marks[i];
      if (marks[i + 1] - start === n && bytesEqualLower(buf, start, lowerName)) count++;
    }
    return count;
  }

  /**
   * The values of `lowerName` (already lower case), or undefined (internal
   * fast path).
   * @ignore
   */
  [valuesOf](lowerName: string): readonly string[] | undefined {
    const r = this.#received;
    let found: string[] | undefined;
    if (r === null) {
      const list = this.#list;
      if (list === null) return undefined;
      for (let i = 0; i < list.length; i += 3) {
        if (list[i] === lowerName) (found ??= []).push(list[i + 2]);
      }
      return found;
    }
    const { buf, marks } = r;
    const n = lowerName.length;
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
    const list = this.#fields();
    if (list === null) return;
    for (let i = 0; i < list.length;) {
      const end = groupEnd(list, i);
      const values: string[] = [];
      for (let k = i; k < end; k += 3) values.push(list[k + 2]);
      yield [list[i + 1], values];
      i = end;
    }
  }

  /**
   * Calls `fn` for each value with its lower-case name (internal fast path:
   * no iterator, no case folding).
   * @ignore
   */
  [eachValue](fn: (lowerName: string, value: string) => void): void {
    const list = this.#fields();
    if (list === null) return;
    for (let i = 0; i < list.length; i += 3) fn(list[i], list[i + 2]);
  }

  /**
   * The fields as flat triples (lower-case name, name as first given,
   * value), grouped by name, or null when there are none (internal; read
   * only).
   * @ignore
   */
  [fieldList](): readonly string[] | null {
    return this.#fields();
  }

  /** Each `[name, value]` pair, one per value, names as first given. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    const list = this.#fields();
    if (list === null) return;
    for (let i = 0; i < list.length; i += 3) yield [list[i + 1], list[i + 2]];
  }

  /** A copy. */
  copy(): Headers {
    const out = new Headers();
    const list = this.#fields();
    if (list !== null) out.#list = list.slice();
    return out;
  }

  /** The number of distinct names. */
  get size(): number {
    const list = this.#fields();
    if (list === null) return 0;
    let n = 0;
    for (let i = 0; i < list.length; i += 3) if (i === 0 || list[i] !== list[i - 3]) n++;
    return n;
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
    const list = this.#fields();
    if (list === null) return "";
    let out = "";
    for (let i = 0; i < list.length; i += 3) out += linePrefix(list[i]) + list[i + 2] + "\r\n";
    return out;
  }

  /**
   * The length of `[serialize]()` in bytes when it is ASCII (internal).
   * @ignore
   */
  [serializedLength](): number {
    const list = this.#fields();
    if (list === null) return 0;
    let n = 0;
    // A canonical name is the name in other case: `Name: ` is its length + 2.
    for (let i = 0; i < list.length; i += 3) n += list[i].length + list[i + 2].length + 4;
    return n;
  }

  /**
   * Writes `[serialize]()` as ASCII bytes into `out` at `at` and returns the
   * end; -1 at a character above ASCII (internal).
   * @ignore
   */
  [serializeTo](out: Uint8Array, at: number): number {
    const list = this.#fields();
    if (list === null) return at;
    for (let i = 0; i < list.length && at >= 0; i += 3) {
      at = putField(out, list[i], list[i + 2], at);
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

/** How a field is written as bytes: its `Name: ` and the last value written. */
interface FieldBytes {
  /** `Name: ` as bytes; null when the name is not ASCII. */
  prefix: Uint8Array | null;
  /** The value last written under this name. */
  value: string;
  /** The whole line for `value`, made once it was written twice in a row. */
  line: Uint8Array | null;
}

// By lower-case name. Resources set the same few values again and again
// (Content-Type, Cache-Control ...): those lines are copied whole, which is
// several times faster than converting them character by character.
const fieldBytes = new Map<string, FieldBytes>();
const MAX_CACHED_VALUE = 256;

/** Writes the line `Name: value\r\n` at `at` and returns its end; -1 when not ASCII. */
function putField(out: Uint8Array, key: string, value: string, at: number): number {
  let field = fieldBytes.get(key);
  if (field === undefined) {
    field = { prefix: asciiBytes(linePrefix(key)), value: "", line: null };
    if (fieldBytes.size < 1000) fieldBytes.set(key, field);
  }
  if (field.value === value && value.length <= MAX_CACHED_VALUE) {
    const line = field.line ??= asciiBytes(linePrefix(key) + value + "\r\n");
    if (line === null) return -1;
    return putBytes(out, line, at);
  }
  field.value = value;
  field.line = null;
  if (field.prefix === null) return -1;
  at = putAscii(out, value, putBytes(out, field.prefix, at));
  if (at < 0) return -1;
  out[at] = 13;
  out[at + 1] = 10;
  return at + 2;
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
