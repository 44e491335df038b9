/**
 * Request arguments and cookies: query strings, url-encoded and
 * multipart/form-data bodies, the Cookie header. Private to src/web.
 *
 * @module
 */
import { HTTPParseError, latin1 } from "./_http_parse.ts";

/** Request arguments: name -> every value, in order. */
export type Args = Record<string, string[]>;

/** Adds the pairs of an url-encoded string to `args` (blank values kept, as Twisted). */
export function parseUrlEncoded(query: string, args: Args): void {
  if (query.length === 0) return;
  for (const [name, value] of new URLSearchParams(query)) {
    const list = args[name];
    if (list === undefined) args[name] = [value];
    else list.push(value);
  }
}

/** Reads one parameter (`boundary`, `charset`, `name`) of a header value, or null. */
export function headerParam(value: string, param: string): string | null {
  const re = new RegExp(`(?:^|;)\\s*${param}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
  const m = re.exec(value);
  if (m === null) return null;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
}

const utf8 = new TextDecoder();

/** One part of a multipart body. */
export interface MultipartPart {
  /** The form field name. */
  name: string;
  /** The file name, when the part is a file upload. */
  filename: string | null;
  /** The part's Content-Type, or null. */
  contentType: string | null;
  /** The part's bytes. */
  data: Uint8Array;
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = hay.length - needle.length;
  for (let i = hay.indexOf(first, from); i >= 0 && i <= last; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/**
 * Parses a multipart/form-data body.
 * @throws {HTTPParseError} 400 when the body is malformed
 */
export function parseMultipart(body: Uint8Array, boundary: string): MultipartPart[] {
  if (boundary.length === 0 || boundary.length > 200) {
    throw new HTTPParseError(400, "Invalid multipart boundary");
  }
  const delim = new TextEncoder().encode("--" + boundary);
  const parts: MultipartPart[] = [];
  let at = indexOfBytes(body, delim, 0);
  if (at < 0) throw new HTTPParseError(400, "Multipart body without boundary");
  for (;;) {
    at += delim.length;
    if (body[at] === 45 && body[at + 1] === 45) return parts; // "--": the end
    // Transport padding, then CRLF.
    while (body[at] === 32 || body[at] === 9) at++;
    if (body[at] !== 13 || body[at + 1] !== 10) {
      throw new HTTPParseError(400, "Malformed multipart");
    }
    at += 2;
    const next = indexOfBytes(body, delim, at);
    if (next < 0) throw new HTTPParseError(400, "Unterminated multipart body");
    // The part ends with CRLF before the delimiter.
    const partEnd = next - 2;
    if (partEnd < at || body[partEnd] !== 13 || body[partEnd + 1] !== 10) {
      throw new HTTPParseError(400, "Malformed multipart part");
    }
    parts.push(parsePart(body, at, partEnd));
    at = next;
  }
}

function parsePart(body: Uint8Array, start: number, end: number): MultipartPart {
  let headEnd = -1;
  if (body[start] === 13 && body[start + 1] === 10) headEnd = start;
  else {
    for (let i = body.indexOf(13, start); i >= 0 && i + 3 < end + 2; i = body.indexOf(13, i + 1)) {
      if (body[i + 1] === 10 && body[i + 2] === 13 && body[i + 3] === 10) {
        headEnd = i + 2;
        break;
      }
    }
  }
  if (headEnd < 0 || headEnd > end) throw new HTTPParseError(400, "Malformed multipart headers");
  const head = latin1(body, start, headEnd);
  let disposition: string | null = null;
  let contentType: string | null = null;
  for (const line of head.split("\r\n")) {
    if (line.length === 0) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HTTPParseError(400, "Malformed multipart header");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-disposition") disposition = value;
    else if (name === "content-type") contentType = value;
  }
  if (disposition === null || !/^form-data\s*(;|$)/i.test(disposition)) {
    throw new HTTPParseError(400, "Multipart part without form-data disposition");
  }
  const rawName = headerParam(disposition, "name");
  if (rawName === null) throw new HTTPParseError(400, "Multipart part without a name");
  const rawFile = headerParam(disposition, "filename");
  return {
    name: utf8.decode(latin1Bytes(rawName)),
    filename: rawFile === null ? null : utf8.decode(latin1Bytes(rawFile)),
    contentType,
    data: body.subarray(headEnd + 2, end),
  };
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Parses a Cookie header into `cookies` (first occurrence of a name wins). */
export function parseCookies(header: string, cookies: Map<string, string>): void {
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"') {
      value = value.slice(1, -1);
    }
    if (name.length > 0 && !cookies.has(name)) cookies.set(name, value);
  }
}

/** Options of `request.addCookie` (RFC 6265 attributes). */
export interface CookieOptions {
  /** Expiry: a Date, or an HTTP date string. */
  expires?: Date | string;
  /** The Domain attribute. */
  domain?: string;
  /** The Path attribute. */
  path?: string;
  /** Max-Age, in seconds. */
  maxAge?: number;
  /** Send only over HTTPS. @default false */
  secure?: boolean;
  /** Hide from scripts. @default false */
  httpOnly?: boolean;
  /** The SameSite attribute. */
  sameSite?: "Strict" | "Lax" | "None" | "strict" | "lax" | "none";
  /** A free-form comment (Twisted's `comment`; obsolete, kept for parity). */
  comment?: string;
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
// deno-lint-ignore no-control-regex
const ATTR_VALUE = /^[^\x00-\x1f\x7f;]*$/;

/**
 * Serializes a Set-Cookie header value.
 * @throws {TypeError} when a name, value or attribute would break the header
 */
export function formatCookie(name: string, value: string, options: CookieOptions): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`Invalid cookie name: ${name}`);
  if (!COOKIE_VALUE.test(value)) throw new TypeError(`Invalid cookie value for ${name}`);
  let out = name + "=" + value;
  const attr = (label: string, v: string): void => {
    if (!ATTR_VALUE.test(v)) throw new TypeError(`Invalid cookie ${label}: ${v}`);
    out += "; " + label + "=" + v;
  };
  if (options.expires !== undefined) {
    attr(
      "Expires",
      typeof options.expires === "string" ? options.expires : options.expires.toUTCString(),
    );
  }
  if (options.domain !== undefined) attr("Domain", options.domain);
  if (options.path !== undefined) attr("Path", options.path);
  if (options.maxAge !== undefined) attr("Max-Age", String(Math.floor(options.maxAge)));
  if (options.comment !== undefined) attr("Comment", options.comment);
  if (options.secure) out += "; Secure";
  if (options.httpOnly) out += "; HttpOnly";
  if (options.sameSite !== undefined) {
    const s = options.sameSite.toLowerCase();
    attr("SameSite", s === "strict" ? "Strict" : s === "lax" ? "Lax" : "None");
  }
  return out;
}
