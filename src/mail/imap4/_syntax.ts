/**
 * The arguments of IMAP commands as values: fetch attributes, search keys,
 * flag lists, dates. Functions of a `Scanner`, testable alone. Private:
 * re-exported by `mod.ts`.
 * @module
 */
import { type MessageSet, parseIdList } from "./_sequence.ts";
import type { Scanner } from "./_wire.ts";

/** A body section (`BODY[1.2.HEADER.FIELDS (To)]`). */
export interface Section {
  /** The part numbers (empty for the whole message). */
  part: number[];
  /** What of the part, or "" for all of it. */
  text: "" | "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";
  /** The header field names of HEADER.FIELDS(.NOT), upper-case. */
  fields: string[];
}

/** One FETCH attribute. */
export type FetchAttribute =
  | {
    kind:
      | "FLAGS"
      | "INTERNALDATE"
      | "RFC822.SIZE"
      | "ENVELOPE"
      | "BODYSTRUCTURE"
      | "BODY"
      | "UID"
      | "RFC822"
      | "RFC822.HEADER"
      | "RFC822.TEXT";
  }
  | {
    kind: "BODY[]";
    peek: boolean;
    section: Section;
    partial: [number, number] | null;
  };

const SIMPLE = [
  "FLAGS",
  "INTERNALDATE",
  "RFC822.SIZE",
  "ENVELOPE",
  "BODYSTRUCTURE",
  "UID",
  "RFC822.HEADER",
  "RFC822.TEXT",
  "RFC822",
] as const;

/**
 * Parses the attributes of FETCH: a macro (ALL, FAST, FULL), one attribute
 * or a parenthesized list.
 *
 * @example
 * ```ts
 * import { parseFetchAttributes, Scanner } from "@tw/core/mail/imap4";
 * const atts = parseFetchAttributes(
 *   new Scanner(new TextEncoder().encode("(UID BODY.PEEK[HEADER.FIELDS (Subject)]<0.100>)")),
 * );
 * console.log(atts.length); // 2
 * ```
 * @param s the scanner, at the attributes
 */
export function parseFetchAttributes(s: Scanner): FetchAttribute[] {
  const macros: Record<string, string[]> = {
    ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
    FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
    FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
  };
  for (const [name, list] of Object.entries(macros)) {
    if (s.rest().toUpperCase() === name) {
      s.accept(name);
      return list.map((kind) => ({ kind }) as FetchAttribute);
    }
  }
  if (!s.accept("(")) return [fetchAttribute(s)];
  const out: FetchAttribute[] = [];
  while (!s.accept(")")) {
    if (out.length > 0) s.sp();
    if (out.length > 64) s.fail("Too many fetch attributes");
    out.push(fetchAttribute(s));
  }
  if (out.length === 0) s.fail("Empty fetch attribute list");
  return out;
}

function fetchAttribute(s: Scanner): FetchAttribute {
  for (const peek of [true, false]) {
    if (s.accept(peek ? "BODY.PEEK[" : "BODY[")) {
      const section = parseSection(s);
      let partial: [number, number] | null = null;
      if (s.accept("<")) {
        const start = s.number();
        s.expect(".");
        const length = s.number();
        if (length === 0) s.fail("Partial of zero octets");
        s.expect(">");
        partial = [start, length];
      }
      return { kind: "BODY[]", peek, section, partial };
    }
  }
  for (const name of SIMPLE) {
    if (s.accept(name)) {
      const next = s.peek();
      if (next !== "" && next !== " " && next !== ")") s.fail("Unknown fetch attribute");
      return { kind: name };
    }
  }
  if (s.accept("BODY")) {
    const next = s.peek();
    if (next !== "" && next !== " " && next !== ")") s.fail("Unknown fetch attribute");
    return { kind: "BODY" };
  }
  s.fail("Unknown fetch attribute");
}

/** Parses a section spec after `[` up to and with `]`. */
export function parseSection(s: Scanner): Section {
  const part: number[] = [];
  let text: Section["text"] = "";
  const fields: string[] = [];
  while (/\d/.test(s.peek())) {
    const n = s.number();
    if (n === 0) s.fail("Part number 0");
    part.push(n);
    if (part.length > 32) s.fail("Part numbers nested too deep");
    if (!s.accept(".")) break;
  }
  if (s.peek() !== "]") {
    for (const t of ["HEADER.FIELDS.NOT", "HEADER.FIELDS", "HEADER", "TEXT", "MIME"] as const) {
      if (s.accept(t)) {
        text = t;
        break;
      }
    }
    if (text === "") s.fail("Bad section");
    if (text === "MIME" && part.length === 0) s.fail("MIME needs a part number");
    if (text.startsWith("HEADER.FIELDS")) {
      s.sp();
      s.expect("(");
      while (!s.accept(")")) {
        if (fields.length > 0) s.sp();
        if (fields.length > 256) s.fail("Too many header fields");
        fields.push(s.astring().toUpperCase());
      }
      if (fields.length === 0) s.fail("Empty header field list");
    }
  }
  s.expect("]");
  return { part, text, fields };
}

/** A SEARCH criterion. */
export type SearchKey =
  | { op: "ALL" }
  | { op: "AND"; keys: SearchKey[] }
  | { op: "OR"; a: SearchKey; b: SearchKey }
  | { op: "NOT"; key: SearchKey }
  | { op: "SEQ"; set: MessageSet }
  | { op: "UID"; set: MessageSet }
  | { op: "FLAG"; flag: string; has: boolean }
  | { op: "RECENT"; has: boolean }
  | { op: "DATE"; sent: boolean; cmp: "BEFORE" | "ON" | "SINCE"; day: number }
  | { op: "SIZE"; larger: boolean; n: number }
  | { op: "HEADER"; name: string; value: string }
  | { op: "BODY" | "TEXT"; value: string };

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ["\\Answered", true],
  DELETED: ["\\Deleted", true],
  DRAFT: ["\\Draft", true],
  FLAGGED: ["\\Flagged", true],
  SEEN: ["\\Seen", true],
  UNANSWERED: ["\\Answered", false],
  UNDELETED: ["\\Deleted", false],
  UNDRAFT: ["\\Draft", false],
  UNFLAGGED: ["\\Flagged", false],
  UNSEEN: ["\\Seen", false],
};

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** Parses a `date` (`1-Feb-1994`, quoted or not) to days since the epoch (UTC). */
export function parseSearchDate(s: Scanner): number {
  const quoted = s.accept('"');
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})/.exec(s.rest());
  if (m === null) s.fail("Bad date");
  const month = MONTHS.indexOf(m[2].toLowerCase());
  const day = Number(m[1]);
  if (month < 0 || day < 1 || day > 31) s.fail("Bad date");
  s.pos += m[0].length;
  if (quoted) s.expect('"');
  return Math.floor(Date.UTC(Number(m[3]), month, day) / 86400000);
}

/**
 * Parses SEARCH's criteria (after an optional CHARSET, which the caller
 * handles) to one key: several criteria are ANDed. Nesting is bounded.
 *
 * @example
 * ```ts
 * import { parseSearchKeys, Scanner } from "@tw/core/mail/imap4";
 * const key = parseSearchKeys(
 *   new Scanner(new TextEncoder().encode('OR FROM alice (SUBJECT "hi" UNSEEN) 1:5')),
 * );
 * console.log(key.op); // "AND"
 * ```
 * @param s the scanner, at the first criterion
 */
export function parseSearchKeys(s: Scanner): SearchKey {
  const keys: SearchKey[] = [];
  do {
    keys.push(searchKey(s, 0));
  } while (s.accept(" "));
  return keys.length === 1 ? keys[0] : { op: "AND", keys };
}

const text = (s: Scanner): string => s.astring();

function searchKey(s: Scanner, depth: number): SearchKey {
  if (depth > 32) s.fail("Search keys nested too deep");
  if (s.accept("(")) {
    const keys: SearchKey[] = [];
    while (!s.accept(")")) {
      if (keys.length > 0) s.sp();
      keys.push(searchKey(s, depth + 1));
    }
    if (keys.length === 0) s.fail("Empty search key list");
    return keys.length === 1 ? keys[0] : { op: "AND", keys };
  }
  if (/[\d*]/.test(s.peek())) {
    return { op: "SEQ", set: sequenceSet(s) };
  }
  const word = s.atom().toUpperCase();
  if (word in FLAG_KEYS) {
    const [flag, has] = FLAG_KEYS[word];
    return { op: "FLAG", flag, has };
  }
  switch (word) {
    case "ALL":
      return { op: "ALL" };
    case "NEW":
      return {
        op: "AND",
        keys: [{ op: "RECENT", has: true }, { op: "FLAG", flag: "\\Seen", has: false }],
      };
    case "OLD":
      return { op: "RECENT", has: false };
    case "RECENT":
      return { op: "RECENT", has: true };
    case "KEYWORD":
    case "UNKEYWORD":
      s.sp();
      return { op: "FLAG", flag: s.atom(), has: word === "KEYWORD" };
    case "NOT":
      s.sp();
      return { op: "NOT", key: searchKey(s, depth + 1) };
    case "OR": {
      s.sp();
      const a = searchKey(s, depth + 1);
      s.sp();
      return { op: "OR", a, b: searchKey(s, depth + 1) };
    }
    case "UID":
      s.sp();
      return { op: "UID", set: sequenceSet(s) };
    case "BEFORE":
    case "ON":
    case "SINCE":
    case "SENTBEFORE":
    case "SENTON":
    case "SENTSINCE": {
      s.sp();
      const sent = word.startsWith("SENT");
      const cmp = (sent ? word.slice(4) : word) as "BEFORE" | "ON" | "SINCE";
      return { op: "DATE", sent, cmp, day: parseSearchDate(s) };
    }
    case "LARGER":
    case "SMALLER":
      s.sp();
      return { op: "SIZE", larger: word === "LARGER", n: s.number() };
    case "BCC":
    case "CC":
    case "FROM":
    case "SUBJECT":
    case "TO":
      s.sp();
      return { op: "HEADER", name: word, value: text(s) };
    case "HEADER": {
      s.sp();
      const name = text(s).toUpperCase();
      s.sp();
      return { op: "HEADER", name, value: text(s) };
    }
    case "BODY":
    case "TEXT":
      s.sp();
      return { op: word, value: text(s) };
  }
  s.fail(`Unknown search key ${word.slice(0, 20)}`);
}

/** A sequence set token (digits, `*`, `:` and `,`). */
export function sequenceSet(s: Scanner): MessageSet {
  const m = /^[\d*:,]+/.exec(s.rest().slice(0, 65537));
  if (m === null) s.fail("Expected a sequence set");
  s.pos += m[0].length;
  try {
    return parseIdList(m[0]);
  } catch (e) {
    s.fail((e as Error).message);
  }
}

/** Parses a flag list `(\Seen $Label)` or, when `bare`, flags separated by spaces up to the end. */
export function parseFlagList(s: Scanner, bare = false): string[] {
  const flags: string[] = [];
  const flag = (): string => {
    if (flags.length > 128) s.fail("Too many flags");
    const backslash = s.accept("\\");
    const name = s.atom();
    if (!backslash) return name;
    const flag = normalFlag("\\" + name);
    // Only the system flags begin with a backslash (RFC 3501 §2.3.2).
    if (!SYSTEM_FLAGS.includes(flag)) s.fail(`Invalid system flag \\${name.slice(0, 20)}`);
    return flag;
  };
  if (s.accept("(")) {
    while (!s.accept(")")) {
      if (flags.length > 0) s.sp();
      flags.push(flag());
    }
    return flags;
  }
  if (!bare) s.fail("Expected a flag list");
  do flags.push(flag()); while (s.accept(" "));
  return flags;
}

const SYSTEM_FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent"];

/** A system flag in its usual case (`\SEEN` -> `\Seen`); other flags as given. */
export function normalFlag(flag: string): string {
  const lower = flag.toLowerCase();
  return SYSTEM_FLAGS.find((f) => f.toLowerCase() === lower) ?? flag;
}

/** Parses a `date-time` (`"17-Jul-1996 02:44:25 -0700"`). */
export function parseDateTime(s: Scanner): Date {
  const m = /^"([ \d]\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"/.exec(
    s.rest(),
  );
  if (m === null) s.fail("Bad date-time");
  const month = MONTHS.indexOf(m[2].toLowerCase());
  if (month < 0) s.fail("Bad date-time");
  s.pos += m[0].length;
  const offset = (m[7] === "-" ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  const utc = Date.UTC(
    Number(m[3]),
    month,
    Number(m[1].trim()),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
  return new Date(utc - offset * 60000);
}

/** Formats a date as IMAP's `date-time` (in UTC). */
export function formatDateTime(date: Date): string {
  const d = String(date.getUTCDate()).padStart(2, "0");
  const mon = MONTHS[date.getUTCMonth()];
  const cap = mon[0].toUpperCase() + mon.slice(1);
  const t = [date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()]
    .map((n) => String(n).padStart(2, "0")).join(":");
  return `${d}-${cap}-${date.getUTCFullYear()} ${t} +0000`;
}
