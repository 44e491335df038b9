/**
 * The RDATA of master-file records: the text form of every record type the
 * codec has (RFC 1035 s5 and each type's RFC), and RFC 3597's generic
 * `\# length hex` form for any type.
 *
 * @module
 */
import {
  A,
  AAAA,
  AFSDB,
  CAA,
  CNAME,
  DNAME,
  HINFO,
  MB,
  MD,
  MF,
  MG,
  MINFO,
  MR,
  MX,
  NAPTR,
  NS,
  PTR,
  RP,
  SOA,
  SPF,
  SRV,
  SSHFP,
  TLSA,
  TXT,
  typeToText,
} from "../wire/_constants.ts";
import type { Name } from "../wire/_name.ts";
import { WireReader, WireWriter } from "../wire/_buffer.ts";
import { decoders, fromHex, type IRecord } from "../wire/_record_base.ts";
import { ipv4ToBytes, ipv6ToBytes } from "../wire/_ip.ts";
import {
  Record_A,
  Record_AAAA,
  Record_CNAME,
  Record_DNAME,
  Record_MB,
  Record_MD,
  Record_MF,
  Record_MG,
  Record_MINFO,
  Record_MR,
  Record_MX,
  Record_NS,
  Record_PTR,
  Record_RP,
  Record_SOA,
} from "../wire/_records.ts";
import {
  Record_AFSDB,
  Record_CAA,
  Record_HINFO,
  Record_NAPTR,
  Record_SPF,
  Record_SRV,
  Record_SSHFP,
  Record_TLSA,
  Record_TXT,
  UnknownRecord,
} from "../wire/_records_data.ts";
import {
  duration,
  makeName,
  unescapeBytes,
  type ZoneEntry,
  ZoneFileError,
  type ZoneToken,
} from "./_zone_lexer.ts";

/** The RDATA tokens of one record, read field by field. */
class Fields {
  readonly #tokens: ZoneToken[];
  #index: number;
  readonly #entry: ZoneEntry;
  readonly #file: string;
  readonly #origin: string | undefined;
  /** The type's mnemonic, for messages. */
  readonly type: string;

  constructor(
    entry: ZoneEntry,
    from: number,
    file: string,
    origin: string | undefined,
    type: string,
  ) {
    this.#tokens = entry.tokens;
    this.#index = from;
    this.#entry = entry;
    this.#file = file;
    this.#origin = origin;
    this.type = type;
  }

  /** Throws a ZoneFileError on `line` (the last token's by default). */
  fail(reason: string, line?: number, cause?: unknown): never {
    const at = line ?? this.#tokens[Math.max(0, this.#index - 1)]?.line ?? this.#entry.line;
    throw new ZoneFileError(reason, this.#file, at, cause === undefined ? undefined : { cause });
  }

  /** The number of fields left. */
  get left(): number {
    return this.#tokens.length - this.#index;
  }

  /** True if the RDATA is RFC 3597's generic form (`\# length hex`). */
  get generic(): boolean {
    const t = this.#tokens[this.#index];
    return t !== undefined && !t.quoted && t.text === "\\#";
  }

  #next(what: string): ZoneToken {
    const token = this.#tokens[this.#index];
    if (token === undefined) {
      this.fail(`Missing ${what} in the ${this.type} record`, this.#entry.endLine);
    }
    this.#index++;
    return token;
  }

  /** A field that is not a quoted string. */
  word(what: string): string {
    const token = this.#next(what);
    if (token.quoted) this.fail(`Expected ${what} in the ${this.type} record, not a quoted string`);
    return token.text;
  }

  /** An unsigned integer of `bits` bits. */
  number(what: string, bits: 8 | 16 | 32): number {
    const text = this.word(what);
    const max = 2 ** bits - 1;
    if (!/^\d+$/.test(text) || Number(text) > max) {
      this.fail(`Bad ${what} ${JSON.stringify(text)}: not a number from 0 to ${max}`);
    }
    return Number(text);
  }

  /** A 32-bit duration in seconds, BIND's units (`1h30m`) allowed. */
  duration(what: string): number {
    const text = this.word(what);
    const value = duration(text);
    if (value === undefined || value > 0xffffffff) {
      this.fail(`Bad ${what} ${JSON.stringify(text)}: not a number of seconds up to 4294967295`);
    }
    return value;
  }

  /** A domain name, relative to the origin unless it ends with a dot. */
  name(what: string): Name {
    const text = this.word(what);
    return makeName(text, this.#origin, (reason) => this.fail(reason));
  }

  /** A `<character-string>`, quoted or a single word, at most `max` bytes. */
  string(what: string, max = 255): Uint8Array {
    const token = this.#next(what);
    const bytes = unescapeBytes(token.text, (reason) => this.fail(reason));
    if (bytes.length > max) {
      this.fail(`The ${what} in the ${this.type} record is ${bytes.length} bytes, over ${max}`);
    }
    return bytes;
  }

  /** Hexadecimal digits, split over the remaining fields or not. */
  hex(what: string): Uint8Array {
    const parts: string[] = [];
    while (this.left > 0) parts.push(this.word(what));
    if (parts.length === 0) this.#next(what);
    try {
      return fromHex(parts.join(""));
    } catch {
      return this.fail(`Bad ${what} in the ${this.type} record: not pairs of hex digits`);
    }
  }

  /** Checks that nothing is left. */
  done(): void {
    const extra = this.#tokens[this.#index];
    if (extra !== undefined) {
      this.fail(
        `Extra field ${JSON.stringify(extra.text)} in the ${this.type} record`,
        extra.line,
      );
    }
  }
}

type TextParser = (f: Fields) => IRecord;

function oneName(make: (name: Name) => IRecord): TextParser {
  return (f) => make(f.name("name"));
}

function address<T>(parse: (text: string) => T, family: string): (f: Fields) => T {
  return (f) => {
    const text = f.word("address");
    try {
      return parse(text);
    } catch {
      return f.fail(`Bad ${family} address ${JSON.stringify(text)}`);
    }
  };
}

const ipv4 = address(ipv4ToBytes, "IPv4"), ipv6 = address(ipv6ToBytes, "IPv6");

function strings(f: Fields): Uint8Array[] {
  const out = [f.string("text")];
  while (f.left > 0) out.push(f.string("text"));
  return out;
}

/** Type -> the parser of its text RDATA; a type without one takes only `\#`. */
const TEXT_PARSERS: ReadonlyMap<number, TextParser> = new Map<number, TextParser>([
  [A, (f) => new Record_A(ipv4(f))],
  [AAAA, (f) => new Record_AAAA(ipv6(f))],
  [NS, oneName((n) => new Record_NS(n))],
  [CNAME, oneName((n) => new Record_CNAME(n))],
  [PTR, oneName((n) => new Record_PTR(n))],
  [DNAME, oneName((n) => new Record_DNAME(n))],
  [MB, oneName((n) => new Record_MB(n))],
  [MG, oneName((n) => new Record_MG(n))],
  [MR, oneName((n) => new Record_MR(n))],
  [MD, oneName((n) => new Record_MD(n))],
  [MF, oneName((n) => new Record_MF(n))],
  [MINFO, (f) => new Record_MINFO(f.name("responsible mailbox"), f.name("error mailbox"))],
  [RP, (f) => new Record_RP(f.name("mailbox"), f.name("TXT name"))],
  [SOA, (f) =>
    new Record_SOA({
      mname: f.name("primary server"),
      rname: f.name("responsible mailbox"),
      serial: f.number("serial", 32),
      refresh: f.duration("refresh"),
      retry: f.duration("retry"),
      expire: f.duration("expire"),
      minimum: f.duration("minimum"),
    })],
  [MX, (f) => new Record_MX(f.number("preference", 16), f.name("exchange"))],
  [AFSDB, (f) => new Record_AFSDB(f.number("subtype", 16), f.name("hostname"))],
  [TXT, (f) => new Record_TXT(strings(f))],
  [SPF, (f) => new Record_SPF(strings(f))],
  [HINFO, (f) => new Record_HINFO(f.string("CPU"), f.string("OS"))],
  [SRV, (f) =>
    new Record_SRV({
      priority: f.number("priority", 16),
      weight: f.number("weight", 16),
      port: f.number("port", 16),
      target: f.name("target"),
    })],
  [NAPTR, (f) =>
    new Record_NAPTR({
      order: f.number("order", 16),
      preference: f.number("preference", 16),
      flags: f.string("flags"),
      service: f.string("service"),
      regexp: f.string("regexp"),
      replacement: f.name("replacement"),
    })],
  [CAA, (f) => {
    const flags = f.number("flags", 8), tag = f.word("tag");
    if (!/^[A-Za-z0-9]{1,15}$/.test(tag)) {
      f.fail(`Bad CAA tag ${JSON.stringify(tag)}: 1 to 15 letters and digits`);
    }
    return new Record_CAA(flags, tag, f.string("value", 65533 - tag.length));
  }],
  [
    SSHFP,
    (f) =>
      new Record_SSHFP(
        f.number("algorithm", 8),
        f.number("fingerprint type", 8),
        f.hex("fingerprint"),
      ),
  ],
  [TLSA, (f) =>
    new Record_TLSA({
      certificateUsage: f.number("certificate usage", 8),
      selector: f.number("selector", 8),
      matchingType: f.number("matching type", 8),
      certificateAssociationData: f.hex("certificate association data"),
    })],
]);

/** RFC 3597 generic RDATA, decoded with the type's wire decoder when the codec has one. */
function genericRecord(f: Fields, type: number): IRecord {
  f.word("\\#");
  const length = f.number("RDATA length", 16);
  const bytes = length === 0 && f.left === 0 ? new Uint8Array() : f.hex("RDATA");
  if (bytes.length !== length) {
    f.fail(`The \\# RDATA of the ${f.type} record is ${bytes.length} bytes, not ${length}`);
  }
  const decode = decoders.get(type);
  if (decode === undefined) return new UnknownRecord(bytes, null, type);
  const reader = new WireReader(bytes);
  let record: IRecord;
  try {
    record = decode(reader, length);
  } catch (e) {
    return f.fail(`Bad \\# RDATA for the ${f.type} record: ${(e as Error).message}`, undefined, e);
  }
  if (reader.offset !== length) {
    f.fail(`The \\# RDATA of the ${f.type} record has ${length - reader.offset} bytes too many`);
  }
  return record;
}

/** Checks that a record's RDATA fits its 16-bit length (RFC 1035 s3.2.1). */
function checkSize(record: IRecord, f: Fields): void {
  const writer = new WireWriter(1024, false);
  record.encode(writer);
  if (writer.length > 0xffff) {
    f.fail(`The ${f.type} record's RDATA is ${writer.length} bytes, over 65535`);
  }
}

/**
 * Reads the RDATA of a record of `type` from `entry.tokens[from]` on: in the
 * type's text form, or RFC 3597's `\# length hex` for any type (decoded with
 * the codec's wire decoder when it has one, else an `UnknownRecord`).
 * @throws ZoneFileError for a missing, bad or extra field
 */
export function parseRdata(
  entry: ZoneEntry,
  from: number,
  file: string,
  origin: string | undefined,
  type: number,
): IRecord {
  const typeName = typeToText(type);
  const fields: Fields = new Fields(entry, from, file, origin, typeName);
  let record: IRecord;
  if (fields.generic) record = genericRecord(fields, type);
  else {
    const parse = TEXT_PARSERS.get(type);
    if (parse === undefined) {
      fields.fail(`${typeName} records must be written in the \\# form (RFC 3597)`);
    }
    record = parse(fields);
  }
  fields.done();
  let chars = 0;
  for (let j = from; j < entry.tokens.length; j++) chars += entry.tokens[j].text.length;
  if (chars > 16000) checkSize(record, fields);
  return record;
}
