/**
 * Response heads as bytes, from pieces made once and copied: the status line
 * with the Date line (once per second) and the Server line, the field lines
 * `Headers` writes (a line seen twice in a row is copied whole), a head that
 * repeats the last one, and a short text body seen twice; a small response
 * is assembled from them in one buffer. Converting a whole head character by
 * character cost about 300 ns on Bun, and encoding it as one concatenated
 * string more (the string must be flattened first). Private to src/web.
 *
 * @module
 */
import { allocBytes } from "../internet/_bytes.ts";
import { RESPONSES } from "./_status.ts";
import { httpDate } from "./_http_parse.ts";
import type { Headers } from "./_headers.ts";
import { fieldList, serializedLength, serializeTo } from "./_internal.ts";

const DEFAULT_TYPE_LINE = new TextEncoder().encode("Content-Type: text/html\r\n");
const EMPTY = new Uint8Array(0);

/** Bytes of an ASCII string; null when it has a character above ASCII. */
export function asciiBytes(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length);
  return putAscii(out, s, 0) < 0 ? null : out;
}

/**
 * Copies `src` into `out` at `at` and returns the end. A few bytes by hand
 * (a call to `set` costs more than the loop); more with `set`, which is
 * several times faster for a head's lines.
 */
export function putBytes(out: Uint8Array, src: Uint8Array, at: number): number {
  const n = src.length;
  if (n > 8) out.set(src, at);
  else for (let i = 0; i < n; i++) out[at + i] = src[i];
  return at + n;
}

/**
 * Writes `s` into `out` at `at`, one byte per character, and returns the
 * end; -1 at the first character above ASCII (the caller then encodes the
 * head another way).
 */
export function putAscii(out: Uint8Array, s: string, at: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    out[at + i] = c;
  }
  return at + s.length;
}

// The last string found ASCII: a rendered text is checked by the render
// path and again by `write`, and the same text is often rendered again.
let lastAscii = "";

/** True when every character of `s` is ASCII. */
export function isAscii(s: string): boolean {
  if (s === lastAscii) return true;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  lastAscii = s;
  return true;
}

/** `data` framed as one chunk of the chunked coding: size line, data, CRLF. */
export function frameChunk(data: Uint8Array): Uint8Array {
  const prefix = data.length.toString(16);
  const out = allocBytes(prefix.length + 4 + data.length);
  for (let i = 0; i < prefix.length; i++) out[i] = prefix.charCodeAt(i);
  out[prefix.length] = 13;
  out[prefix.length + 1] = 10;
  out.set(data, prefix.length + 2);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

const CR_OR_LF = /[\r\n]/;
const LINE_BREAKS = /\r\n|[\r\n]/g;
// The last value found clean: resources set the same few values each time.
let lastClean = "";

/** A header value with its line breaks (CR, LF, CRLF) turned into spaces. */
export function sanitizeValue(value: string): string {
  if (value === lastClean) return value;
  if (CR_OR_LF.test(value)) return value.replace(LINE_BREAKS, " ");
  lastClean = value;
  return value;
}

/** The status line as a string. */
export function statusLine(v11: boolean, code: number, message: string): string {
  return (v11 ? "HTTP/1.1 " : "HTTP/1.0 ") + code + " " + message + "\r\n";
}

interface HeadStart {
  second: number;
  server: string;
  bytes: Uint8Array | null;
}

// By status code: the last head start made for it.
const starts = new Map<number, HeadStart>();

/**
 * The start of a response head as bytes: the status line, then the Date line
 * for `seconds` (unless null) and the Server line (unless `server` is "").
 * Made once per status, second and server name. Null for HTTP/1.0, a reason
 * phrase that is not the standard one, or a server name above ASCII: such
 * heads are built as strings.
 */
export function headStart(
  v11: boolean,
  code: number,
  message: string,
  seconds: number | null,
  server: string,
): Uint8Array | null {
  if (!v11 || message !== RESPONSES[code]) return null;
  const second = seconds === null ? -1 : Math.floor(seconds);
  let start = starts.get(code);
  if (start === undefined || start.second !== second || start.server !== server) {
    let text = statusLine(v11, code, message);
    if (seconds !== null) text += "Date: " + httpDate(second) + "\r\n";
    if (server !== "") text += "Server: " + server + "\r\n";
    start = { second, server, bytes: asciiBytes(text) };
    // Without a Date line the start is rare (the resource set its own Date): not kept.
    if (seconds !== null) starts.set(code, start);
  }
  return start.bytes;
}

// The last short text body written, and its bytes once it was written twice
// in a row (a health check or a fixed answer): copied rather than converted.
let lastText = "";
let lastTextBytes: Uint8Array | null = null;
const MAX_CACHED_TEXT = 1024;

/** `putAscii` for a body text. */
function putText(out: Uint8Array, text: string, at: number): number {
  if (text.length > MAX_CACHED_TEXT) return putAscii(out, text, at);
  if (text === lastText) {
    const bytes = lastTextBytes ??= asciiBytes(text);
    return bytes === null ? -1 : putBytes(out, bytes, at);
  }
  lastText = text;
  lastTextBytes = null;
  return putAscii(out, text, at);
}

// The last head written (its start, default type line, fields and blank
// line) and what it was made from: when the next one is the same (the same
// status, second, server and fields), its bytes are copied whole rather than
// written line by line. They are made when a head repeats.
let lastStart: Uint8Array | null = null;
let lastDefaultType = false;
let lastFields: string[] | null = null;
let lastHead: Uint8Array | null = null;

function sameFields(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A whole small response in one buffer, for one transport write: `start`
 * (from `headStart`), the default Content-Type line when `defaultType`, the
 * headers, the blank line, then the body (`text` if not null, else `body`),
 * framed as one chunk when `chunkSize` (its size in hex) is not "". Null
 * when a header holds a character above ASCII: the caller encodes the head
 * another way.
 */
export function smallResponse(
  start: Uint8Array,
  defaultType: boolean,
  headers: Headers,
  chunkSize: string,
  text: string | null,
  body: Uint8Array,
): Uint8Array | null {
  const bodyLength = text !== null ? text.length : body.length;
  const framing = chunkSize === "" ? 0 : chunkSize.length + 4;
  const fields = headers[fieldList]();
  const repeated = start === lastStart && defaultType === lastDefaultType &&
    sameFields(fields, lastFields);
  let out: Uint8Array;
  let at: number;
  if (repeated && lastHead !== null) {
    out = allocBytes(lastHead.length + framing + bodyLength);
    at = putBytes(out, lastHead, 0);
  } else {
    const type = defaultType ? DEFAULT_TYPE_LINE : EMPTY;
    out = allocBytes(
      start.length + type.length + headers[serializedLength]() + 2 + framing + bodyLength,
    );
    at = putBytes(out, type, putBytes(out, start, 0));
    at = headers[serializeTo](out, at);
    if (at < 0) return null;
    out[at++] = 13;
    out[at++] = 10;
    if (repeated) lastHead = out.slice(0, at);
    else {
      lastStart = start;
      lastDefaultType = defaultType;
      lastFields = fields === null ? null : fields.slice();
      lastHead = null;
    }
  }
  if (chunkSize !== "") at = putAscii(out, chunkSize + "\r\n", at);
  if (text !== null) at = putText(out, text, at);
  else if (body.length > 0) {
    out.set(body, at);
    at += body.length;
  }
  if (chunkSize !== "") {
    out[at] = 13;
    out[at + 1] = 10;
  }
  return out;
}
