/**
 * The BIND master-file (zone file) parser, RFC 1035 s5 with the extensions
 * every server reads: `$TTL` (RFC 2308) and TTL units (`1h30m`), RFC 3597's
 * `TYPEnnn`, `CLASSnnn` and `\# length hex` generic RDATA, and the text
 * forms of every record type the codec has. A pure function of the text:
 * `$INCLUDE`d files come through the `readInclude` option.
 *
 * @module
 */
import { classFromText, IN, NULL, OPT, typeFromText, typeToText } from "../wire/_constants.ts";
import type { Name } from "../wire/_name.ts";
import type { IRecord } from "../wire/_record_base.ts";
import { Record_SOA } from "../wire/_records.ts";
import {
  duration,
  endsWithSeparator,
  makeName,
  MAX_TTL,
  tokenizeZone,
  unescapeBytes,
  type ZoneEntry,
  ZoneFileError,
} from "./_zone_lexer.ts";
import { parseRdata } from "./_zone_rdata.ts";

export { ZoneFileError } from "./_zone_lexer.ts";

/** How `parseZoneFile` reads a file. */
export interface ZoneFileOptions {
  /**
   * The initial `$ORIGIN`, absolute with or without its final dot. Without
   * one, a relative name (or `@`) before the file's first `$ORIGIN` is an error.
   * @default undefined
   */
  origin?: string;
  /** The file's name, for error messages and `ZoneRecord.file`. @default "<zone>" */
  file?: string;
  /**
   * The TTL of a record when neither its own, nor `$TTL`, nor an earlier
   * record's, nor the SOA minimum gives one.
   * @default 3600
   */
  defaultTTL?: number;
  /**
   * Returns the text of a `$INCLUDE`d file: `path` as the directive wrote it,
   * `fromFile` the including file's name. Resolving the path is the caller's
   * job (`resolveIncludePath` does it POSIX-style); the included file is named
   * `resolveIncludePath(path, fromFile)` in records and errors. Without this
   * option, `$INCLUDE` is an error.
   * @default undefined
   */
  readInclude?: (path: string, fromFile: string) => string;
  /** How deep `$INCLUDE`s may nest (0 forbids them). @default 8 */
  maxIncludeDepth?: number;
}

/** One resource record read from a master file. */
export interface ZoneRecord {
  /** The owner name, absolute. */
  name: Name;
  /** The TTL in seconds (also set as `record.ttl`). */
  ttl: number;
  /** The class (`IN` ...). */
  cls: number;
  /** The RDATA, the record class for its type (`UnknownRecord` for a type the codec lacks). */
  record: IRecord;
  /** The file the record is in. */
  file: string;
  /** The line its entry starts on. */
  line: number;
}

/**
 * The path of a `$INCLUDE`d file: `path` itself when absolute, else `path`
 * joined to the directory of `fromFile`, POSIX-style, with `.` and `..`
 * segments resolved (`zones/db.example` + `sub/db.hosts` is
 * `zones/sub/db.hosts`). A `fromFile` without a slash is in the current
 * directory.
 */
export function resolveIncludePath(path: string, fromFile: string): string {
  if (path.startsWith("/")) return path;
  const slash = fromFile.lastIndexOf("/");
  const joined = slash < 0 ? path : fromFile.slice(0, slash + 1) + path;
  const absolute = joined.startsWith("/");
  const parts: string[] = [];
  for (const part of joined.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else if (part !== ".." || !absolute) parts.push(part);
  }
  const out = parts.join("/");
  return absolute ? "/" + out : out === "" ? "." : out;
}

/** True for the types that only queries and transactions use (RFC 6895 s3.1). */
function isMetaType(type: number): boolean {
  return type === 0 || type === OPT || (type >= 128 && type <= 255);
}

/** What one file's parse shares with the files it includes. */
interface Shared {
  readonly out: ZoneRecord[];
  readonly defaultTTL: number;
  readonly maxIncludeDepth: number;
  readonly readInclude: ((path: string, fromFile: string) => string) | undefined;
  /** `$TTL`, once seen. */
  dollarTTL: number | undefined;
  /** The TTL of the last record that gave one (or took the SOA minimum). */
  lastTTL: number | undefined;
  /** The last class written (RFC 1035 s5.1: an omitted class is the last one given). */
  lastClass: number;
}

/** Reads one file into `shared.out`; `origin` is the initial origin's text. */
function parseFile(
  text: string,
  file: string,
  origin: string | undefined,
  depth: number,
  shared: Shared,
): void {
  let owner: Name | undefined;
  for (const entry of tokenizeZone(text, file)) {
    const first = entry.tokens[0];
    const fail: (reason: string, line?: number) => never = (reason, line = entry.line) => {
      throw new ZoneFileError(reason, file, line);
    };
    if (!entry.blankOwner && !first.quoted && first.text.startsWith("$")) {
      origin = directive(entry, file, origin, depth, shared, fail);
      continue;
    }
    const tokens = entry.tokens;
    let i = 0;
    let name: Name;
    if (entry.blankOwner) {
      if (owner === undefined) fail("No owner name: no record before this one gives one");
      name = owner;
    } else {
      if (first.quoted) fail("Expected an owner name, not a quoted string");
      name = makeName(first.text, origin, (reason) => fail(reason));
      i = 1;
    }
    let ttl: number | undefined, cls: number | undefined;
    for (; i < tokens.length && !tokens[i].quoted; i++) {
      const word = tokens[i].text;
      const asClass = cls === undefined ? classFromText(word) : undefined;
      const asTTL = ttl === undefined && asClass === undefined ? duration(word) : undefined;
      if (asClass !== undefined) {
        if (asClass === 0 || asClass >= 254) {
          fail(`Class ${word} cannot appear in a zone file`, tokens[i].line);
        }
        cls = asClass;
      } else if (asTTL !== undefined) {
        if (asTTL > MAX_TTL) {
          fail(`TTL ${word} is over the limit of ${MAX_TTL} seconds`, tokens[i].line);
        }
        ttl = asTTL;
      } else break;
    }
    if (i >= tokens.length) fail("Missing the record type", entry.endLine);
    const typeToken = tokens[i++];
    const type = typeToken.quoted ? undefined : typeFromText(typeToken.text);
    if (type === undefined) fail(`Unknown type ${JSON.stringify(typeToken.text)}`, typeToken.line);
    const typeName = typeToText(type);
    if (type === NULL) {
      fail("NULL records cannot appear in a zone file (RFC 1035 s3.3.10)", typeToken.line);
    }
    if (isMetaType(type)) fail(`Type ${typeName} cannot appear in a zone file`, typeToken.line);
    const record = parseRdata(entry, i, file, origin, type);

    let effective: number;
    if (ttl !== undefined) effective = shared.lastTTL = ttl;
    else if (shared.dollarTTL !== undefined) effective = shared.dollarTTL;
    else if (shared.lastTTL !== undefined) effective = shared.lastTTL;
    else if (record instanceof Record_SOA) {
      effective = shared.lastTTL = Math.min(record.minimum, MAX_TTL);
    } else effective = shared.defaultTTL;
    if (cls === undefined) cls = shared.lastClass;
    else shared.lastClass = cls;
    record.ttl = effective;
    owner = name;
    shared.out.push({ name, ttl: effective, cls, record, file, line: entry.line });
  }
}

/** Carries out `$ORIGIN`, `$TTL` or `$INCLUDE`; returns the origin after it. */
function directive(
  entry: ZoneEntry,
  file: string,
  origin: string | undefined,
  depth: number,
  shared: Shared,
  fail: (reason: string, line?: number) => never,
): string | undefined {
  const [first, ...args] = entry.tokens;
  const keyword = first.text.toUpperCase();
  const argument = (i: number, what: string): string => {
    const token = args[i];
    if (token === undefined) fail(`Missing ${what} after ${keyword}`, entry.endLine);
    if (token.quoted && keyword !== "$INCLUDE") fail(`Expected ${what}, not a quoted string`);
    return token.text;
  };
  const most = (count: number) => {
    if (args.length > count) {
      fail(`Extra field ${JSON.stringify(args[count].text)} after ${keyword}`, args[count].line);
    }
  };
  const absolute = (raw: string) => makeName(raw, origin, (reason) => fail(reason)).name;
  switch (keyword) {
    case "$ORIGIN": {
      const next = absolute(argument(0, "a name"));
      most(1);
      return next;
    }
    case "$TTL": {
      const text = argument(0, "a TTL");
      most(1);
      const value = duration(text);
      if (value === undefined || value > MAX_TTL) {
        fail(`Bad TTL ${JSON.stringify(text)}: not a number of seconds up to ${MAX_TTL}`);
      }
      shared.dollarTTL = value;
      return origin;
    }
    case "$INCLUDE": {
      const path = new TextDecoder().decode(
        unescapeBytes(argument(0, "a file name"), (reason) => fail(reason)),
      );
      const includeOrigin = args.length > 1 ? absolute(argument(1, "an origin")) : origin;
      most(2);
      if (shared.readInclude === undefined) {
        fail(`Cannot include ${path}: $INCLUDE needs the readInclude option`);
      }
      if (depth >= shared.maxIncludeDepth) {
        fail(`Cannot include ${path}: $INCLUDE nested deeper than ${shared.maxIncludeDepth} files`);
      }
      let text: string;
      try {
        text = shared.readInclude(path, file);
      } catch (e) {
        throw new ZoneFileError(
          `Cannot include ${path}: ${e instanceof Error ? e.message : String(e)}`,
          file,
          entry.line,
          { cause: e },
        );
      }
      parseFile(text, resolveIncludePath(path, file), includeOrigin, depth + 1, shared);
      return origin;
    }
    case "$GENERATE":
      return fail("$GENERATE is not supported");
    default:
      return fail(`Unknown directive ${first.text}`);
  }
}

/**
 * Parses a DNS master file (RFC 1035 s5, as BIND and nsd read it) into its
 * records, in file order, `$INCLUDE`d files' records in place.
 *
 * - Directives: `$ORIGIN name`, `$TTL ttl`, `$INCLUDE file [origin]` (the
 *   included file starts with that origin, or the current one, and its
 *   `$ORIGIN`s end with it; `$TTL` and the last TTL and class carry on).
 * - Owners: `@` is the origin; a line that starts with a blank takes the
 *   previous record's owner; names without a final dot are relative to the origin.
 * - `[TTL] [class]` in either order; TTLs in seconds or units (`1w2d3h4m5s`).
 *   Without one, a record takes `$TTL`, else the last TTL given, else (the
 *   SOA itself) the SOA minimum, else `defaultTTL`. Without a class, the
 *   last class given, else IN.
 * - RDATA in each type's text form, or RFC 3597's `\# length hex`.
 *
 * @throws ZoneFileError (a SyntaxError with `file` and `line`) for anything
 * malformed; the message reads `FILE:LINE: what is wrong`
 * @throws SyntaxError for a bad `origin` option, RangeError for a bad `defaultTTL`
 */
export function parseZoneFile(text: string, options: ZoneFileOptions = {}): ZoneRecord[] {
  const file = options.file ?? "<zone>";
  const defaultTTL = options.defaultTTL ?? 3600;
  if (!Number.isInteger(defaultTTL) || defaultTTL < 0 || defaultTTL > MAX_TTL) {
    throw new RangeError(`defaultTTL must be an integer from 0 to ${MAX_TTL}, not ${defaultTTL}`);
  }
  let origin: string | undefined;
  if (options.origin !== undefined) {
    const raw = options.origin === "" || endsWithSeparator(options.origin)
      ? options.origin || "."
      : options.origin + ".";
    origin = makeName(raw, undefined, (reason) => {
      throw new SyntaxError(`Bad origin ${JSON.stringify(options.origin)}: ${reason}`);
    }).name;
  }
  const shared: Shared = {
    out: [],
    defaultTTL,
    maxIncludeDepth: options.maxIncludeDepth ?? 8,
    readInclude: options.readInclude,
    dollarTTL: undefined,
    lastTTL: undefined,
    lastClass: IN,
  };
  parseFile(text, file, origin, 0, shared);
  return shared.out;
}
