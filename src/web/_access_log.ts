/**
 * Access-log lines (`twisted.web.http`'s `combinedLogFormatter`,
 * `datetimeToLogString` and `IAccessLogFormatter`): what a `Site` with a
 * `logFile` writes once each response has finished. Private to src/web;
 * server.ts re-exports it.
 *
 * @module
 */
import { IPv4Address, IPv6Address } from "../internet/address.ts";
import type { HTTPRequest } from "./_http_request.ts";

/**
 * Turns a finished request into one access-log line, without its newline
 * (`twisted.web.iweb.IAccessLogFormatter`).
 * @param timestamp the time as `datetimeToLogString` writes it
 * @param request the request whose response has finished
 */
export type IAccessLogFormatter = (timestamp: string, request: HTTPRequest) => string;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const enc = new TextEncoder();
// Printable ASCII but `"` and `\`: what needs no escaping.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * The time in the access log's form, `[dd/Mon/yyyy:HH:MM:SS +0000]`, in UTC
 * (`twisted.web.http.datetimeToLogString`).
 *
 * @param seconds seconds since the epoch (now when omitted)
 * @returns the bracketed date and time
 * @example
 * ```ts
 * import { datetimeToLogString } from "@tw/core/web";
 * console.log(datetimeToLogString(0)); // "[01/Jan/1970:00:00:00 +0000]"
 * ```
 */
export function datetimeToLogString(seconds: number = Date.now() / 1000): string {
  const d = new Date(Math.floor(seconds) * 1000);
  return `[${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000]`;
}

function escapeByte(b: number): string {
  if (b === 0x5c) return "\\\\";
  if (b === 0x22) return '\\"';
  if (b === 0x09) return "\\t";
  if (b === 0x0a) return "\\n";
  if (b === 0x0d) return "\\r";
  if (b >= 0x20 && b < 0x7f) return String.fromCharCode(b);
  return "\\x" + b.toString(16).padStart(2, "0");
}

/**
 * Escapes text for a double-quoted log field as Twisted's `_escape` does
 * (Python's `repr` of the bytes): `\` and `"` get a backslash, tab, LF and CR
 * are `\t` `\n` `\r`, other bytes outside printable ASCII are `\xNN`. Header
 * values and the target arrive as latin1 text, one byte per code unit; a
 * code point above U+00FF is escaped as its UTF-8 bytes.
 */
function escapeField(text: string): string {
  if (PLAIN.test(text)) return text;
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code <= 0xff) out += escapeByte(code);
    else for (const b of enc.encode(char)) out += escapeByte(b);
  }
  return out;
}

/**
 * The combined log format line of a request, field for field as Twisted's
 * `combinedLogFormatter` writes it: the client IP in double quotes (`-` when
 * the client has no IP address, as over a Unix socket), `-`, `-`, the time,
 * `"METHOD TARGET PROTOCOL"`, the status, the body bytes sent (`-` for
 * none), `"Referer"` and `"User-Agent"` (`-` when absent). Quoted fields are
 * escaped as Python's `repr` would.
 *
 * @param timestamp the time, as `datetimeToLogString` writes it
 * @param request the finished request
 * @returns the line, without a newline
 * @example
 * ```ts
 * import { combinedLogFormatter, Data, Site } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 *
 * const lines: string[] = [];
 * const site = new Site(new Data("hello", "text/plain"), {
 *   clock: new Clock(),
 *   logFile: { write: (line) => void lines.push(line) },
 *   logFormatter: combinedLogFormatter,
 * });
 * // Once served: "127.0.0.1" - - [01/Jan/1970:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.0"
 * console.log(site.logFormatter === combinedLogFormatter); // true
 * ```
 */
export function combinedLogFormatter(timestamp: string, request: HTTPRequest): string {
  const client = request.getClientAddress();
  const ip = client instanceof IPv4Address || client instanceof IPv6Address ? client.host : "-";
  const referrer = escapeField(request.getHeader("referer") || "-");
  const agent = escapeField(request.getHeader("user-agent") || "-");
  return `"${escapeField(ip)}" - - ${timestamp} ` +
    `"${escapeField(request.method)} ${escapeField(request.uri)} ${
      escapeField(request.clientproto)
    }" ` +
    `${request.code} ${request.sentLength || "-"} "${referrer}" "${agent}"`;
}
