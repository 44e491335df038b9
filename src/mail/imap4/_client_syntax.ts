/**
 * The IMAP client's syntax helpers: its result types and errors, capability
 * and FETCH response parsing, argument quoting, and the SEARCH query builders
 * `Query`, `Or`, `Not`. Private: re-exported by `mod.ts`.
 * @module
 */
import { nquote, type Scanner, type Token } from "./_wire.ts";
import type { LiteralSinkResult } from "./_literal_sink.ts";
import { encodeMailboxName } from "./_utf7.ts";

const utf8 = new TextDecoder();
const enc = new TextEncoder();

/**
 * A value in a FETCH result: atoms and quoted strings as text, literals as
 * bytes, NIL as null; a literal streamed to a `messageFile` sink as what the
 * sink's `close()` gave (`LiteralSinkResult`).
 */
export type FetchValue = string | Uint8Array | null | FetchValue[] | LiteralSinkResult;

/** FETCH results by sequence number: attribute name (`FLAGS`, `BODY[HEADER]`) to value. */
export type FetchResult = Record<number, Record<string, FetchValue>>;

/**
 * The server answered NO or BAD (Twisted's `IMAP4Exception` for a command).
 *
 * @example
 * ```ts
 * import { IMAP4Exception } from "@tw/core/mail/imap4";
 * const e = new IMAP4Exception("NO", "[TRYCREATE] No such mailbox");
 * console.log(e.status, e.message);
 * ```
 */
export class IMAP4Exception extends Error {
  /** "NO" or "BAD". */
  readonly status: string;
  /**
   * Makes the instance.
   * @param status the response status
   * @param message the response text
   */
  constructor(status: string, message: string) {
    super(message);
    this.name = "IMAP4Exception";
    this.status = status;
  }
}

/**
 * The server sent something that is not IMAP (Twisted's `IllegalServerResponse`).
 *
 * @example
 * ```ts
 * import { IllegalServerResponse } from "@tw/core/mail/imap4";
 * console.log(new IllegalServerResponse("Bad line").name);
 * ```
 */
export class IllegalServerResponse extends Error {
  /**
   * Makes the instance.
   * @param message what was wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "IllegalServerResponse";
  }
}

/** Capabilities as name -> null or values (`AUTH=PLAIN` -> AUTH: [PLAIN]). */
export function parseCaps(text: string): Map<string, string[] | null> {
  const caps = new Map<string, string[] | null>();
  for (const word of text.split(/\s+/)) {
    if (word === "") continue;
    const eq = word.indexOf("=");
    if (eq < 0) {
      if (!caps.has(word.toUpperCase())) caps.set(word.toUpperCase(), null);
      continue;
    }
    const name = word.slice(0, eq).toUpperCase();
    caps.set(name, [...(caps.get(name) ?? []), word.slice(eq + 1)]);
  }
  return caps;
}

/** An astring argument: an atom, a quoted string or (as bytes) a literal. */
export function astring(text: string): string | Uint8Array {
  const bytes = enc.encode(text);
  if (/^[\x21-\x7e]+$/.test(text) && !/[(){%*"\\\]]/.test(text)) return text;
  if (/^[\x20-\x7e]*$/.test(text) && text.length < 1000) return nquote(text);
  return bytes;
}

/** A mailbox name argument, in modified UTF-7. */
export function mailboxName(name: string): string | Uint8Array {
  return astring(encodeMailboxName(name));
}

/** Strings and literals as text, deeply. */
export function deepText(v: FetchValue | ReturnType<Scanner["value"]>): FetchValue {
  if (v instanceof Uint8Array) return utf8.decode(v);
  if (Array.isArray(v)) return v.map(deepText);
  return v;
}

/**
 * Parses a FETCH response's `(...)` to name -> value; literals of BODY[...] stay bytes.
 * `streamed` gives the values of literals a sink took (`Untagged.streamed`,
 * resolved): keyed by the offset in `s.bytes` of their empty literal's data.
 *
 * @example
 * ```ts
 * import { parseFetch, Scanner } from "@tw/core/mail/imap4";
 * const items = parseFetch(new Scanner(new TextEncoder().encode('(UID 4 FLAGS (\\Seen) BODY[] {2}\r\nhi)')));
 * console.log(items.UID, items.FLAGS); // "4" ["\\Seen"]
 * ```
 * @param s the scanner, at the opening parenthesis
 * @param streamed the sinks' results by literal data offset
 */
export function parseFetch(
  s: Scanner,
  streamed?: ReadonlyMap<number, LiteralSinkResult>,
): Record<string, FetchValue> {
  s.expect("(");
  const out: Record<string, FetchValue> = {};
  let first = true;
  while (!s.accept(")")) {
    if (!first) s.sp();
    first = false;
    const word = /^[A-Za-z0-9.]+/.exec(s.rest());
    if (word === null) s.fail("Expected a FETCH item name");
    s.pos += word[0].length;
    let key = word[0].toUpperCase();
    if (s.peek() === "[") {
      const end = s.rest().indexOf("]");
      if (end < 0) s.fail("Unterminated section");
      key += s.rest().slice(0, end + 1).toUpperCase();
      s.pos += end + 1;
      if (s.peek() === "<") {
        const close = s.rest().indexOf(">");
        key += s.rest().slice(0, close + 1);
        s.pos += close + 1;
      }
    }
    s.sp();
    const token = s.value();
    const value = streamed?.size ? putBack(token, s.bytes.byteOffset, streamed) : token;
    const keepBytes = key.startsWith("BODY[") || key.startsWith("RFC822") && key !== "RFC822.SIZE";
    out[key] = keepBytes ? (value as FetchValue) : deepText(value);
    if (keepBytes && typeof value === "string") out[key] = value;
  }
  return out;
}

/** `token` with each empty literal a sink took replaced by the sink's result. */
function putBack(
  token: Token,
  base: number,
  streamed: ReadonlyMap<number, LiteralSinkResult>,
): FetchValue {
  if (token instanceof Uint8Array) {
    return token.byteLength === 0 ? streamed.get(token.byteOffset - base) ?? token : token;
  }
  if (Array.isArray(token)) return token.map((t) => putBack(t, base, streamed));
  return token;
}

/** A value a `Query` key takes: a flag, text, a number, a date, or a header pair. */
export type QueryValue = boolean | string | number | Date | [string, string];

const DATE_KEYS = ["before", "on", "since", "sentbefore", "senton", "sentsince"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Builds SEARCH criteria (Twisted's `Query`): flag keys as booleans
 * (`{seen: true, deleted: false}` gives `SEEN UNDELETED`), strings for
 * FROM/TO/CC/BCC/SUBJECT/BODY/TEXT/KEYWORD, numbers for LARGER/SMALLER,
 * dates for BEFORE/ON/SINCE/SENT*, `uid` and `messages` as sets, `header`
 * as `[name, value]`.
 *
 * @example
 * ```ts
 * import { Not, Or, Query } from "@tw/core/mail/imap4";
 * const q = Or(Query({ from: "alice" }), Not(Query({ seen: true })));
 * console.log(q); // 'OR (FROM "alice") (NOT (SEEN))'
 * ```
 * @param keys the criteria (ANDed)
 */
export function Query(keys: Record<string, QueryValue>): string {
  const out: string[] = [];
  const flagKeys = ["answered", "deleted", "draft", "flagged", "seen"];
  for (const [k, v] of Object.entries(keys)) {
    const key = k.toLowerCase();
    if (flagKeys.includes(key)) out.push(v ? key.toUpperCase() : `UN${key.toUpperCase()}`);
    else if (["all", "new", "old", "recent"].includes(key)) {
      if (v) out.push(key.toUpperCase());
    } else if (DATE_KEYS.includes(key) && v instanceof Date) {
      out.push(
        `${key.toUpperCase()} ${v.getUTCDate()}-${MONTHS[v.getUTCMonth()]}-${v.getUTCFullYear()}`,
      );
    } else if (key === "header" && Array.isArray(v)) {
      out.push(`HEADER ${nquote(v[0])} ${nquote(v[1])}`);
    } else if (key === "uid") out.push(`UID ${v}`);
    else if (key === "messages") out.push(String(v));
    else if (key === "larger" || key === "smaller") out.push(`${key.toUpperCase()} ${Number(v)}`);
    else if (key === "keyword" || key === "unkeyword") out.push(`${key.toUpperCase()} ${v}`);
    else out.push(`${key.toUpperCase()} ${nquote(String(v))}`);
  }
  return `(${out.join(" ")})`;
}

/**
 * Either criterion (Twisted's `Or`); more than two nest.
 *
 * @example
 * ```ts
 * import { Or, Query } from "@tw/core/mail/imap4";
 * console.log(Or(Query({ seen: true }), Query({ flagged: true })));
 * ```
 * @param queries two or more criteria
 */
export function Or(...queries: string[]): string {
  if (queries.length < 2) throw new TypeError("Or needs at least two queries");
  return queries.reduceRight((acc, q) => `OR ${q} ${acc}`);
}

/**
 * The opposite of a criterion (Twisted's `Not`).
 *
 * @example
 * ```ts
 * import { Not, Query } from "@tw/core/mail/imap4";
 * console.log(Not(Query({ deleted: true }))); // "(NOT (DELETED))"
 * ```
 * @param query the criterion
 */
export function Not(query: string): string {
  return `(NOT ${query})`;
}
