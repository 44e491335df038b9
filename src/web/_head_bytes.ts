/**
 * The fixed pieces of response heads as bytes, made once and copied into
 * each head: status lines, the Date line (once per second), the Server line
 * and header-name prefixes. Only header values are converted character by
 * character. Converting a whole head that way cost about 300 ns on Bun, and
 * encoding it as one concatenated string more (the string must be flattened
 * first). Private to src/web.
 *
 * @module
 */
import { RESPONSES } from "./_status.ts";
import { httpDate } from "./_http_parse.ts";

/** Bytes of an ASCII string; null when it has a character above ASCII. */
export function asciiBytes(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length);
  return putAscii(out, s, 0) < 0 ? null : out;
}

/**
 * Copies `src` into `out` at `at` and returns the end. By hand: for the few
 * bytes of a head line, a loop beats `set` on every engine.
 */
export function putBytes(out: Uint8Array, src: Uint8Array, at: number): number {
  for (let i = 0; i < src.length; i++) out[at + i] = src[i];
  return at + src.length;
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

const statusLines11 = new Map<number, Uint8Array>();

/**
 * `HTTP/1.1 200 OK\r\n` as bytes; null for a reason phrase that is not the
 * standard one, or HTTP/1.0 (built by `statusLine` instead).
 */
export function statusLineBytes(v11: boolean, code: number, message: string): Uint8Array | null {
  if (!v11 || message !== RESPONSES[code]) return null;
  let line = statusLines11.get(code);
  if (line === undefined) {
    // The standard reason phrases are ASCII.
    line = asciiBytes(statusLine(v11, code, message))!;
    statusLines11.set(code, line);
  }
  return line;
}

/** The status line as a string. */
export function statusLine(v11: boolean, code: number, message: string): string {
  return (v11 ? "HTTP/1.1 " : "HTTP/1.0 ") + code + " " + message + "\r\n";
}

let dateSecond = -1;
let dateLine: Uint8Array = new Uint8Array(0);

/** `Date: <IMF-fixdate>\r\n` for `seconds`, made once per second. */
export function dateLineBytes(seconds: number): Uint8Array {
  const s = Math.floor(seconds);
  if (s !== dateSecond) {
    dateSecond = s;
    dateLine = asciiBytes("Date: " + httpDate(s) + "\r\n")!;
  }
  return dateLine;
}

let serverName = "";
let serverLine: Uint8Array | null = new Uint8Array(0);

/**
 * `Server: <name>\r\n` (the name is usually the same for every response);
 * null when the name is not ASCII.
 */
export function serverLineBytes(name: string): Uint8Array | null {
  if (name !== serverName) {
    serverName = name;
    serverLine = asciiBytes("Server: " + name + "\r\n");
  }
  return serverLine;
}
