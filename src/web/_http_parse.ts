/**
 * Wire-level HTTP/1.x parsing on `Uint8Array`s: the request line, header
 * lines, Content-Length and the chunked transfer coding. Private to src/web.
 *
 * Everything here is strict on purpose: the ambiguities that enable request
 * smuggling (obs-fold, bare CR, conflicting lengths, bad chunk sizes) are
 * errors, never guesses.
 *
 * @module
 */

/** A parse error that maps to an HTTP status for the error response. */
export class HTTPParseError extends Error {
  /** The status to answer with (400, 413, 414, 431, 501 ...). */
  readonly code: number;
  /**
   * Makes an error.
   * @param code the response status
   * @param message why
   */
  constructor(code: number, message: string) {
    super(message);
    this.name = "HTTPParseError";
    this.code = code;
  }
}

import type { Headers } from "./_headers.ts";
import { receive, valuesOf } from "./_internal.ts";

const cp1252 = new TextDecoder("latin1");
// deno-lint-ignore no-control-regex
const ABOVE_LATIN1 = /[^\x00-\xff]/;

/**
 * Decodes `buf[start, end)` as latin1 (each byte one UTF-16 code unit), so
 * header bytes round-trip exactly (TextDecoder's "latin1" is windows-1252).
 */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) return "";
  if (n < 16) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
    return s;
  }
  // TextDecoder's "latin1" is windows-1252, which differs only for bytes
  // 0x80-0x9F (mapped above U+00FF): native decoding, checked, is fastest.
  // A whole buffer needs no view (a view costs extra on JavaScriptCore).
  const fast = cp1252.decode(
    start === 0 && end === buf.length ? buf : buf.subarray(start, end),
  );
  if (!ABOVE_LATIN1.test(fast)) return fast;
  let out = "";
  // apply() takes at most ~64k arguments on some engines: go in slices.
  for (let i = start; i < end; i += 8192) {
    const stop = Math.min(end, i + 8192);
    out += String.fromCharCode.apply(null, buf.subarray(i, stop) as unknown as number[]);
  }
  return out;
}

/** Encodes a latin1 string (code units <= 0xFF) to bytes; higher units are truncated. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Control characters other than HTAB are forbidden in field values (RFC 9110 5.5).
// deno-lint-ignore no-control-regex
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
// A request-target: visible ASCII only (no spaces, no controls, no obs-text).
const BAD_TARGET = /[^\x21-\x7e]/;
// name ":" OWS value OWS, with the value's control characters refused as below.
const HEADER_LINE =
  // deno-lint-ignore no-control-regex
  /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*((?:[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x08\x0a-\x1f\x7f \t])?)[ \t]*$/;

/** True when `s` is an HTTP token (method, header name). */
export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

/** The parts of a request line. */
export interface RequestLine {
  /** The method, case-sensitive as sent. */
  method: string;
  /** The request-target. */
  uri: string;
  /** "HTTP/1.1" or "HTTP/1.0". */
  version: string;
}

/**
 * Parses `METHOD SP target SP HTTP/x.y`, naming what is wrong when it is not
 * (the channel reads well-formed heads with `parseHead`).
 * @throws {HTTPParseError} 400 on bad syntax, 505 on an unsupported version
 */
export function parseRequestLine(line: string): RequestLine {
  const sp1 = line.indexOf(" ");
  const sp2 = sp1 < 0 ? -1 : line.indexOf(" ", sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(" ", sp2 + 1) >= 0) {
    throw new HTTPParseError(400, "Malformed request line");
  }
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!TOKEN.test(method)) throw new HTTPParseError(400, "Invalid method");
  if (uri.length === 0 || BAD_TARGET.test(uri)) {
    throw new HTTPParseError(400, "Invalid request target");
  }
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    if (/^HTTP\/\d\.\d$/.test(version)) {
      throw new HTTPParseError(505, "HTTP version not supported");
    }
    throw new HTTPParseError(400, "Invalid HTTP version");
  }
  return { method, uri, version };
}

/**
 * Splits one header line into name and value (OWS trimmed).
 * @throws {HTTPParseError} 400 on obs-fold, a bad name, or control characters
 */
export function parseHeaderLine(line: string): [string, string] {
  const m = HEADER_LINE.exec(line);
  if (m !== null) return [m[1], m[2]];
  const c0 = line.charCodeAt(0);
  if (c0 === 0x20 || c0 === 0x09) throw new HTTPParseError(400, "Obsolete line folding");
  const colon = line.indexOf(":");
  if (colon <= 0) throw new HTTPParseError(400, "Malformed header line");
  const name = line.slice(0, colon);
  if (!TOKEN.test(name)) throw new HTTPParseError(400, "Invalid header name");
  let start = colon + 1;
  let end = line.length;
  while (start < end && (line.charCodeAt(start) === 0x20 || line.charCodeAt(start) === 0x09)) {
    start++;
  }
  while (end > start && (line.charCodeAt(end - 1) === 0x20 || line.charCodeAt(end - 1) === 0x09)) {
    end--;
  }
  const value = line.slice(start, end);
  if (BAD_VALUE.test(value)) throw new HTTPParseError(400, "Invalid character in header value");
  return [name, value];
}

// tchar (RFC 9110 5.6.2): 1 for the bytes a token may have.
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = TCHAR[c + 32] = 1;
const HTTP_1 = [72, 84, 84, 80, 47, 49, 46]; // "HTTP/1."
const MARKS: number[] = [];
// UTF-8, which is latin1 for ASCII bytes and decodes faster on every engine.
const ascii = new TextDecoder();

/**
 * `buf[start, end)` as text, one code unit per byte; `high`: it may have
 * bytes above ASCII. Short pieces are converted by hand: a native decoding
 * costs about 100 ns whatever the length.
 */
export function fieldText(buf: Uint8Array, start: number, end: number, high: boolean): string {
  if (high || end - start < 16) return latin1(buf, start, end);
  return ascii.decode(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
}

/** A request head read by `parseHead`: its request line, and where it ends. */
export interface ParsedHead extends RequestLine {
  /** The index just past the head's blank line. */
  end: number;
}

/** The limits `parseHead` keeps to (an `HTTPChannel`'s). */
export interface HeadLimits {
  /** The longest request line, its CR included. */
  maxRequestLineLength: number;
  /** The most header lines. */
  maxHeaders: number;
}

/**
 * Reads a request head starting at `buf[start]`: the request line and the
 * header lines, each ended by CRLF, then the blank line, which must end by
 * `limit`. The bytes are checked in one pass that also finds the head's end;
 * the method and target are decoded, and the header lines are given to
 * `headers` as bytes, decoded only when asked for. Returns null when the
 * head is incomplete, over a limit, or anything is not plainly well formed
 * (`headers` is then left untouched): the caller then scans the head line
 * by line and reads it with `parseRequestLine` and `parseHeaderLine`, which
 * accept the same heads and say what is wrong with the others. This is
 * several times cheaper than those regexes.
 */
export function parseHead(
  buf: Uint8Array,
  start: number,
  limit: number,
  headers: Headers,
  limits: HeadLimits,
): ParsedHead | null {
  let i = start;
  while (i < limit && TCHAR[buf[i]] === 1) i++;
  if (i === start || buf[i] !== 0x20) return null;
  const methodEnd = i;
  const targetStart = ++i;
  for (let c = buf[i]; c >= 0x21 && c <= 0x7e; c = buf[++i]);
  if (i === targetStart || buf[i] !== 0x20) return null;
  const targetEnd = i++;
  for (let k = 0; k < 7; k++) if (buf[i + k] !== HTTP_1[k]) return null;
  const minor = buf[i + 7];
  if (minor !== 0x31 && minor !== 0x30) return null;
  i += 8;
  if (i + 1 - start > limits.maxRequestLineLength) return null;
  const maxMarks = limits.maxHeaders * 4;
  // Offsets go to a reused array first: the head's own is made at its exact size.
  const scratch = MARKS;
  let n = 0;
  let high = false;
  for (;;) {
    // CRLF, then the blank line's CRLF or a field line.
    if (i + 4 > limit || buf[i] !== 13 || buf[i + 1] !== 10) return null;
    i += 2;
    if (buf[i] === 13) {
      if (buf[i + 1] !== 10) return null;
      i += 2;
      break;
    }
    if (n === maxMarks) return null;
    const nameStart = i;
    while (TCHAR[buf[i]] === 1) i++;
    if (i === nameStart || buf[i] !== 0x3a) return null;
    const nameEnd = i;
    let c = buf[++i];
    while (c === 0x20 || c === 0x09) c = buf[++i];
    const valueStart = i;
    let valueEnd = i;
    // A field value: HTAB, visible characters, spaces and obs-text, up to
    // the line's CR; trailing spaces are not part of it.
    for (; i < limit; i++) {
      c = buf[i];
      if (c < 0x20 ? c !== 0x09 : c === 0x7f) break;
      if (c >= 0x80) high = true;
      if (c !== 0x20 && c !== 0x09) valueEnd = i + 1;
    }
    scratch[n] = nameStart;
    scratch[n + 1] = nameEnd;
    scratch[n + 2] = valueStart;
    scratch[n + 3] = valueEnd;
    n += 4;
  }
  const end = i;
  const marks = scratch.slice(0, n);
  let text: string | null = null;
  let uri: string;
  if (targetEnd - targetStart < 16) uri = latin1(buf, targetStart, targetEnd);
  else {
    // A long target: one decoding serves it and the header values.
    text = fieldText(buf, start, end, high);
    uri = text.slice(targetStart - start, targetEnd - start);
  }
  const method = methodEnd - start === 3 && buf[start] === 71 && buf[start + 1] === 69 &&
      buf[start + 2] === 84
    ? "GET"
    : latin1(buf, start, methodEnd);
  headers[receive]({ buf, marks, base: start, high, text });
  return { method, uri, version: minor === 0x31 ? "HTTP/1.1" : "HTTP/1.0", end };
}

const BARE_CR = /\r(?!\n)/;

/**
 * Reads a head `parseHead` did not accept, `head` without its blank line,
 * into `headers`: throws the error that explains why it was refused.
 * @throws {HTTPParseError} 400 on bad syntax, 505 on an unsupported version
 */
export function parseHeadStrictly(head: string, headers: Headers): RequestLine {
  if (BARE_CR.test(head)) throw new HTTPParseError(400, "Bare CR");
  let eol = head.indexOf("\r\n");
  if (eol < 0) eol = head.length;
  const requestLine = parseRequestLine(head.slice(0, eol));
  let at = eol + 2;
  while (at < head.length) {
    let end = head.indexOf("\r\n", at);
    if (end < 0) end = head.length;
    const [name, value] = parseHeaderLine(head.slice(at, end));
    headers.addRawHeader(name, value);
    at = end + 2;
  }
  return requestLine;
}

/**
 * The length of a request's body from its framing headers: 0 without any,
 * null for the chunked coding (RFC 9112 6). Refuses what is ambiguous or
 * unsupported, and a declared length over `maxBodySize`.
 * @throws {HTTPParseError} 400, 413 (too large) or 501 (another transfer coding)
 */
export function bodyLength(headers: Headers, version: string, maxBodySize: number): number | null {
  const te = headers[valuesOf]("transfer-encoding");
  const cl = headers[valuesOf]("content-length");
  if (te === undefined) {
    if (cl === undefined) return 0;
    const length = parseContentLength(cl);
    if (length > maxBodySize) throw new HTTPParseError(413, "Request body too large");
    return length;
  }
  if (cl !== undefined) throw new HTTPParseError(400, "Both Content-Length and Transfer-Encoding");
  if (version === "HTTP/1.0") throw new HTTPParseError(400, "Transfer-Encoding in HTTP/1.0");
  const codings = te.join(",").split(",").map((s) => s.trim().toLowerCase()).filter((s) =>
    s.length > 0
  );
  if (codings.length === 0 || codings[codings.length - 1] !== "chunked") {
    throw new HTTPParseError(400, "Transfer-Encoding without final chunked");
  }
  if (codings.length > 1) {
    throw codings.indexOf("chunked") < codings.length - 1
      ? new HTTPParseError(400, "Repeated chunked coding")
      : new HTTPParseError(501, "Unsupported transfer coding");
  }
  return null;
}

/**
 * Reads the Content-Length header's values: identical repeats are accepted,
 * anything else (conflicts, signs, spaces, huge numbers) is a 400.
 */
export function parseContentLength(values: readonly string[]): number {
  let result = -1;
  for (const raw of values) {
    for (const part of raw.split(",")) {
      const s = part.trim();
      if (!/^\d{1,15}$/.test(s)) throw new HTTPParseError(400, "Invalid Content-Length");
      const n = Number(s);
      if (result !== -1 && n !== result) {
        throw new HTTPParseError(400, "Conflicting Content-Length");
      }
      result = n;
    }
  }
  if (result === -1) throw new HTTPParseError(400, "Invalid Content-Length");
  return result;
}

const CHUNK_SIZE_LINE_MAX = 4096;
const TRAILER_MAX = 16384;

// States of ChunkedDecoder.
const SIZE = 0;
const DATA = 1;
const DATA_CR = 2;
const DATA_LF = 3;
const TRAILER = 4;
const DONE = 5;

/**
 * Decodes the chunked transfer coding incrementally. `feed` hands decoded
 * data to `onData` (views of the input, no copies) and returns the index
 * just past the terminating blank line once the body is complete, or -1
 * when it needs more bytes.
 */
export class ChunkedDecoder {
  #state = SIZE;
  #remaining = 0;
  // A partial size or trailer line kept between feeds (bounded).
  #line = "";
  #onData: (data: Uint8Array) => void;

  /**
   * Makes a decoder.
   * @param onData receives each decoded piece
   */
  constructor(onData: (data: Uint8Array) => void) {
    this.#onData = onData;
  }

  /** True once the last chunk and trailers have been read. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /**
   * Decodes `buf[start...]`.
   * @returns the index after the body's end, or -1 when more is needed
   * @throws {HTTPParseError} 400 on any framing error
   */
  feed(buf: Uint8Array, start: number): number {
    let i = start;
    const n = buf.length;
    while (i < n) {
      switch (this.#state) {
        case SIZE:
        case TRAILER: {
          const lf = buf.indexOf(10, i);
          const stop = lf < 0 ? n : lf;
          const limit = this.#state === SIZE ? CHUNK_SIZE_LINE_MAX : TRAILER_MAX;
          if (this.#line.length + (stop - i) > limit) {
            throw new HTTPParseError(400, "Chunk size or trailer line too long");
          }
          this.#line += latin1(buf, i, stop);
          if (lf < 0) return -1;
          i = lf + 1;
          const line = this.#line;
          this.#line = "";
          if (line.charCodeAt(line.length - 1) !== 13) throw new HTTPParseError(400, "Bare LF");
          const text = line.slice(0, -1);
          if (text.indexOf("\r") >= 0) throw new HTTPParseError(400, "Bare CR");
          if (this.#state === SIZE) {
            this.#remaining = parseChunkSize(text);
            this.#state = this.#remaining === 0 ? TRAILER : DATA;
          } else if (text.length === 0) {
            this.#state = DONE;
            return i;
          } else {
            // Trailer fields are validated and dropped.
            parseHeaderLine(text);
          }
          break;
        }
        case DATA: {
          const take = Math.min(this.#remaining, n - i);
          this.#onData(buf.subarray(i, i + take));
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = DATA_CR;
          break;
        }
        case DATA_CR:
          if (buf[i] !== 13) throw new HTTPParseError(400, "Missing CRLF after chunk");
          i++;
          this.#state = DATA_LF;
          break;
        case DATA_LF:
          if (buf[i] !== 10) throw new HTTPParseError(400, "Missing CRLF after chunk");
          i++;
          this.#state = SIZE;
          break;
        default:
          return i;
      }
    }
    return -1;
  }
}

/** Parses `1*HEXDIG [ chunk-ext ]`; extensions are checked loosely and ignored. */
function parseChunkSize(text: string): number {
  let end = 0;
  while (end < text.length && isHex(text.charCodeAt(end))) end++;
  if (end === 0 || end > 12) throw new HTTPParseError(400, "Invalid chunk size");
  const rest = text.slice(end);
  if (rest.length > 0 && !/^[ \t]*;/.test(rest)) {
    throw new HTTPParseError(400, "Invalid chunk size");
  }
  if (BAD_VALUE.test(rest)) throw new HTTPParseError(400, "Invalid chunk extension");
  return parseInt(text.slice(0, end), 16);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/**
 * Formats seconds since the epoch as an IMF-fixdate (`datetimeToString`).
 *
 * @example
 * ```ts
 * import { datetimeToString } from "@tw/core/web";
 * console.log(datetimeToString(784111777)); // "Sun, 06 Nov 1994 08:49:37 GMT"
 * ```
 */
export function datetimeToString(seconds: number): string {
  const d = new Date(Math.floor(seconds) * 1000);
  return `${DAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())} ${
    MONTHS[d.getUTCMonth()]
  } ${d.getUTCFullYear()} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${
    pad2(d.getUTCSeconds())
  } GMT`;
}

/**
 * Parses an HTTP date (IMF-fixdate, RFC 850 or asctime) to seconds, or null.
 *
 * @example
 * ```ts
 * import { stringToDatetime } from "@tw/core/web";
 * console.log(stringToDatetime("Sun, 06 Nov 1994 08:49:37 GMT")); // 784111777
 * console.log(stringToDatetime("yesterday")); // null
 * ```
 */
export function stringToDatetime(s: string): number | null {
  const ms = Date.parse(s.trim());
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

let dateSecond = -1;
let dateString = "";

/**
 * The `Date` header value for `seconds`, formatted once per second.
 *
 * @example
 * ```ts
 * import { httpDate } from "@tw/core/web";
 * const now = Date.now() / 1000;
 * console.log(httpDate(now) === httpDate(Math.floor(now))); // true: one string per second
 * ```
 */
export function httpDate(seconds: number): string {
  const s = Math.floor(seconds);
  if (s !== dateSecond) {
    dateSecond = s;
    dateString = datetimeToString(s);
  }
  return dateString;
}

/** One byte range, both ends inclusive (as in Content-Range). */
export type ByteRange = [start: number, end: number];

/**
 * Parses a `Range: bytes=...` header against a representation of `size`
 * bytes (RFC 9110 14.1.2), for the static file helper and other resources.
 * @returns the satisfiable ranges clipped to `size` (in request order);
 *   `"unsatisfiable"` when none is (answer 416 with `Content-Range: bytes *\/size`);
 *   null when the header is malformed or not in bytes (ignore it: send everything)
 *
 * @example
 * ```ts
 * import { parseRangeHeader } from "@tw/core/web";
 * console.log(parseRangeHeader("bytes=0-99,-50", 1000)); // [[0, 99], [950, 999]]
 * console.log(parseRangeHeader("bytes=2000-", 1000)); // "unsatisfiable": answer 416
 * console.log(parseRangeHeader("lines=1-2", 1000)); // null: ignore it, send it all
 * ```
 */
export function parseRangeHeader(
  header: string,
  size: number,
): ByteRange[] | "unsatisfiable" | null {
  const eq = header.indexOf("=");
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== "bytes") return null;
  const specs = header.slice(eq + 1).split(",");
  if (specs.length > 100) return null;
  const out: ByteRange[] = [];
  let any = false;
  for (const raw of specs) {
    const spec = raw.trim();
    if (spec.length === 0) continue;
    const m = /^(\d{0,15})-(\d{0,15})$/.exec(spec);
    if (m === null || (m[1] === "" && m[2] === "")) return null;
    any = true;
    if (m[1] === "") {
      // A suffix: the last N bytes.
      const n = Number(m[2]);
      if (n > 0 && size > 0) out.push([Math.max(0, size - n), size - 1]);
      continue;
    }
    const start = Number(m[1]);
    const end = m[2] === "" ? size - 1 : Number(m[2]);
    if (m[2] !== "" && end < start) return null;
    if (start < size) out.push([start, Math.min(end, size - 1)]);
  }
  if (!any) return null;
  return out.length === 0 ? "unsatisfiable" : out;
}

/**
 * The Content-Range value for `range` of a representation of `size` bytes.
 *
 * @example
 * ```ts
 * import { contentRange, parseRangeHeader } from "@tw/core/web";
 * const ranges = parseRangeHeader("bytes=500-", 1000);
 * if (Array.isArray(ranges)) console.log(contentRange(ranges[0], 1000)); // "bytes 500-999/1000"
 * console.log(contentRange(null, 1000)); // "bytes *\/1000": for a 416
 * ```
 */
export function contentRange(range: ByteRange | null, size: number): string {
  return range === null ? `bytes */${size}` : `bytes ${range[0]}-${range[1]}/${size}`;
}
