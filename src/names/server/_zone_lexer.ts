/**
 * The tokenizer of DNS master files (RFC 1035 s5.1): it splits a file into
 * entries (one per logical line, parentheses joining physical lines), each a
 * list of tokens that remember their line and whether they were quoted.
 * Escapes stay in the token text; `unescapeBytes` and `nameText` decode them
 * for character strings and names, `makeName` makes names absolute, and
 * `duration` reads TTLs.
 *
 * @module
 */

import { labelToText, Name, textToLabels } from "../wire/_name.ts";

/**
 * A syntax error in a master file, with the file and line it is on. The
 * message reads `FILE:LINE: what is wrong`; `reason` holds the last part.
 *
 * @example
 * ```ts
 * import { BindAuthority, ZoneFileError } from "@tw/core/names";
 * try {
 *   new BindAuthority("example.com.zone", { text: "$ORIGIN example.com.\n@ SOA ns1 (\n" });
 * } catch (e) {
 *   console.log(e instanceof ZoneFileError, (e as ZoneFileError).line); // true 2
 * }
 * ```
 */
export class ZoneFileError extends SyntaxError {
  /** The file the error is in (the name given to the parser, or the $INCLUDE'd file's). */
  readonly file: string;
  /** The line, counted from 1. */
  readonly line: number;
  /** What is wrong, without the file and line. */
  readonly reason: string;
  /** Makes the error; the message is `${file}:${line}: ${reason}`. */
  constructor(reason: string, file: string, line: number, options?: ErrorOptions) {
    super(`${file}:${line}: ${reason}`, options);
    this.name = "ZoneFileError";
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** One token of a master file. */
export interface ZoneToken {
  /** The text, escapes kept as written; a quoted string's text is between its quotes. */
  readonly text: string;
  /** True if the token was a quoted string. */
  readonly quoted: boolean;
  /** The line the token starts on. */
  readonly line: number;
}

/** One entry: a directive or a record, its physical lines joined by parentheses. */
export interface ZoneEntry {
  /** The tokens, at least one. */
  readonly tokens: ZoneToken[];
  /** The line of the first token. */
  readonly line: number;
  /** The line the entry ends on (where its closing parenthesis is). */
  readonly endLine: number;
  /** True if the entry's line starts with a blank: the owner is the previous record's. */
  readonly blankOwner: boolean;
}

const NL = 0x0a, SPACE = 0x20, TAB = 0x09, CR = 0x0d, FF = 0x0c, VT = 0x0b;
const QUOTE = 0x22, SEMI = 0x3b, OPEN = 0x28, CLOSE = 0x29, BACKSLASH = 0x5c;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === FF || c === VT;
}

function endsWord(c: number): boolean {
  return isBlank(c) || c === NL || c === SEMI || c === OPEN || c === CLOSE || c === QUOTE;
}

/**
 * Splits master-file text into entries. Comments (`;` outside quotes) and
 * blank lines are dropped; newlines inside parentheses do not end an entry.
 * @throws ZoneFileError for an unbalanced parenthesis, an unterminated quoted
 * string or a backslash at the end of the file
 */
export function tokenizeZone(text: string, file: string): ZoneEntry[] {
  const entries: ZoneEntry[] = [];
  const n = text.length;
  let tokens: ZoneToken[] = [];
  let line = 1, entryLine = 1, depth = 0, parenLine = 0;
  let blankOwner = false, lineStart = true;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (reason: string, at: number): never => {
    throw new ZoneFileError(reason, file, at);
  };
  const finish = () => {
    if (tokens.length > 0) entries.push({ tokens, line: entryLine, endLine: line, blankOwner });
    tokens = [];
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (lineStart) {
      lineStart = false;
      if (depth === 0) blankOwner = c === SPACE || c === TAB;
    }
    if (c === NL) {
      if (depth === 0) finish();
      line++;
      i++;
      lineStart = true;
    } else if (isBlank(c)) {
      i++;
    } else if (c === SEMI) {
      while (i < n && text.charCodeAt(i) !== NL) i++;
    } else if (c === OPEN) {
      if (depth++ === 0) parenLine = line;
      i++;
    } else if (c === CLOSE) {
      if (depth === 0) fail("Closing parenthesis without an opening one", line);
      depth--;
      i++;
    } else {
      if (tokens.length === 0) entryLine = line;
      const start = line;
      if (c === QUOTE) {
        const from = ++i;
        for (;;) {
          if (i >= n) fail("Quoted string is never closed", start);
          const q = text.charCodeAt(i);
          if (q === QUOTE) break;
          if (q === NL) fail("Quoted string is not closed on its line", start);
          if (q === BACKSLASH) {
            if (i + 1 >= n) fail("Quoted string is never closed", start);
            if (text.charCodeAt(i + 1) === NL) line++;
            i += 2;
          } else i++;
        }
        tokens.push({ text: text.slice(from, i), quoted: true, line: start });
        i++;
      } else {
        const from = i;
        while (i < n) {
          const w = text.charCodeAt(i);
          if (w === BACKSLASH) {
            if (i + 1 >= n) fail("Backslash at the end of the file", line);
            if (text.charCodeAt(i + 1) === NL) line++;
            i += 2;
          } else if (endsWord(w)) break;
          else i++;
        }
        tokens.push({ text: text.slice(from, i), quoted: false, line: start });
      }
    }
  }
  if (depth > 0) fail("Parenthesis opened on this line is never closed", parenLine);
  finish();
  return entries;
}

const encoder = new TextEncoder();

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The value of the `\DDD` escape at `raw[i]` (the backslash), or a failure. */
function decimalEscape(raw: string, i: number, fail: (reason: string) => never): number {
  const digits = raw.slice(i + 1, i + 4);
  if (!/^\d{3}$/.test(digits) || Number(digits) > 255) {
    fail(
      `Bad escape \\${digits.replace(/\D.*$/s, "")} in ${JSON.stringify(raw)}: ` +
        "\\DDD takes three digits from 000 to 255",
    );
  }
  return Number(digits);
}

/**
 * The bytes of a character string as written (RFC 1035 s5.1): `\DDD` is a
 * byte, `\X` is X, other characters are their UTF-8 bytes.
 * @param fail called with the reason for a bad `\DDD` escape
 */
export function unescapeBytes(raw: string, fail: (reason: string) => never): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    let c = raw.charCodeAt(i);
    if (c === BACKSLASH) {
      if (isDigit(raw.charCodeAt(i + 1))) {
        out.push(decimalEscape(raw, i, fail));
        i += 3;
        continue;
      }
      if (++i >= raw.length) fail(`Backslash at the end of ${JSON.stringify(raw)}`);
      c = raw.charCodeAt(i);
    }
    if (c < 0x80) {
      out.push(c);
      continue;
    }
    const point = raw.codePointAt(i)!;
    if (point > 0xffff) i++;
    for (const b of encoder.encode(String.fromCodePoint(point))) out.push(b);
  }
  return Uint8Array.from(out);
}

/**
 * A name's text with every escape checked and every non-ASCII character
 * turned into the `\DDD` escapes of its UTF-8 bytes, ready for the codec's
 * `textToLabels` (which reads one character as one byte).
 * @param fail called with the reason for a bad `\DDD` escape
 */
export function nameText(raw: string, fail: (reason: string) => never): string {
  let out = "";
  let plainFrom = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c !== BACKSLASH && c < 0x80) continue;
    out += raw.slice(plainFrom, i);
    if (c === BACKSLASH) {
      if (isDigit(raw.charCodeAt(i + 1))) {
        out += "\\" + String(decimalEscape(raw, i, fail)).padStart(3, "0");
        i += 3;
        plainFrom = i + 1;
        continue;
      }
      if (++i >= raw.length) fail(`Backslash at the end of ${JSON.stringify(raw)}`);
    }
    const point = raw.codePointAt(i)!;
    if (point < 0x80) out += "\\" + raw[i];
    else {
      if (point > 0xffff) i++;
      for (const b of encoder.encode(String.fromCodePoint(point))) {
        out += "\\" + String(b).padStart(3, "0");
      }
    }
    plainFrom = i + 1;
  }
  return out + raw.slice(plainFrom);
}

/** The largest TTL (RFC 2181 s8). */
export const MAX_TTL = 0x7fffffff;
const UNITS: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
const DURATION = /^(?:\d+|(?:\d+[wdhms])+)$/i;

/** Seconds from `3600` or BIND's units form `1w2d3h4m5s`; undefined if it is neither. */
export function duration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  let total = 0;
  for (const m of text.matchAll(/(\d+)([wdhms])/gi)) {
    total += Number(m[1]) * UNITS[m[2].toLowerCase()];
  }
  return total;
}

/** True if `text` ends with a dot that is not escaped (an absolute name). */
export function endsWithSeparator(text: string): boolean {
  if (!text.endsWith(".")) return false;
  let slashes = 0;
  for (let i = text.length - 2; i >= 0 && text[i] === "\\"; i--) slashes++;
  return slashes % 2 === 0;
}

/**
 * The absolute name for `raw` as written in a master file: `@` is the
 * origin, a name with a final dot is absolute, others are relative to the
 * origin. The result's text is canonical (`\097` becomes `a`).
 */
export function makeName(
  raw: string,
  origin: string | undefined,
  fail: (r: string) => never,
): Name {
  let text = nameText(raw, fail);
  if (raw === "@") {
    if (origin === undefined) fail("@ used with no $ORIGIN set");
    text = origin;
  } else if (text === ".") {
    text = "";
  } else if (endsWithSeparator(text)) {
    text = text.slice(0, -1);
    if (text === "" || endsWithSeparator(text)) fail(`Empty label in the name ${raw}`);
  } else {
    if (origin === undefined) fail(`Relative name ${raw} with no $ORIGIN set`);
    text = origin === "" ? text : `${text}.${origin}`;
  }
  let labels: Uint8Array[] = [];
  try {
    labels = textToLabels(text);
  } catch (e) {
    fail((e as Error).message);
  }
  return new Name(labels.map((l) => labelToText(l, 0, l.length)).join("."));
}
