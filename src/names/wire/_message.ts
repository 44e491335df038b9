/**
 * DNS messages (RFC 1035 s4) with EDNS(0) folded in as Twisted's
 * `_EDNSMessage` does: `Message`, `Query`, `RRHeader`, and the OPT
 * pseudo-record's fields as message fields, never as an additional record.
 *
 * @module
 */
import { A, ANY, IN, OK, OP_QUERY, OPT } from "./_constants.ts";
import { classToText, typeToText } from "./_constants.ts";
import { WireReader, WireWriter } from "./_buffer.ts";
import { Name } from "./_name.ts";
import { checkTTL, checkUint, decoders, type IRecord } from "./_record_base.ts";
import { UnknownRecord } from "./_records_data.ts";
import { DNSFormatError } from "../error.ts";
import "./_records.ts";

/**
 * A question: a name, a type and a class (Twisted's `dns.Query`).
 *
 * @example
 * ```ts
 * import { MX, Query } from "@tw/core/names";
 * const q = new Query("example.com", MX);
 * console.log(q.toString()); // example.com. IN MX
 * ```
 */
export class Query {
  /** The name asked about. */
  readonly name: Name;
  /** The type asked for. */
  readonly type: number;
  /** The class. */
  readonly cls: number;
  /** Creates it from its fields (see the class). */
  constructor(name: string | Name = "", type: number = A, cls: number = IN) {
    this.name = new Name(name);
    this.type = checkUint(type, 16, "type");
    this.cls = checkUint(cls, 16, "cls");
  }
  /** True for the same name (ignoring case), type and class. */
  equals(other: Query): boolean {
    return this.type === other.type && this.cls === other.cls && this.name.equals(other.name);
  }
  /** `name. CLASS TYPE`, as dig's question section. */
  toString(): string {
    return `${this.name.name}. ${classToText(this.cls)} ${typeToText(this.type)}`;
  }
}

/** The fields of an `RRHeader`. */
export interface RRHeaderFields {
  /** The owner name. @default "" */
  name?: string | Name;
  /** The type. @default the payload's TYPE, else A */
  type?: number;
  /** The class. @default IN */
  cls?: number;
  /** The TTL in seconds. @default the payload's ttl, else 0 */
  ttl?: number;
  /** The RDATA. @default null */
  payload?: IRecord | null;
  /** Whether this server is authoritative for it. @default false */
  auth?: boolean;
}

/**
 * A resource record: owner, type, class, TTL and payload (Twisted's
 * `dns.RRHeader`). Fields are given by name: `new RRHeader({name, payload})`.
 *
 * @example
 * ```ts
 * import { Record_A, RRHeader } from "@tw/core/names";
 * const rr = new RRHeader({ name: "example.com", ttl: 60, payload: new Record_A("192.0.2.1") });
 * console.log(rr.toString()); // example.com. 60 IN A 192.0.2.1
 * ```
 */
export class RRHeader {
  /** The owner name. */
  readonly name: Name;
  /** The type. */
  readonly type: number;
  /** The class. */
  readonly cls: number;
  /** The TTL in seconds. */
  ttl: number;
  /** The RDATA, or null (an empty record, as in dynamic updates). */
  readonly payload: IRecord | null;
  /** Whether the answering server is authoritative for it. */
  auth: boolean;
  /** Creates it from its fields (see the class). */
  constructor(fields: RRHeaderFields = {}) {
    this.name = new Name(fields.name ?? "");
    this.payload = fields.payload ?? null;
    this.type = checkUint(fields.type ?? this.payload?.TYPE ?? A, 16, "type");
    this.cls = checkUint(fields.cls ?? IN, 16, "cls");
    this.ttl = checkTTL(fields.ttl ?? this.payload?.ttl ?? 0) ?? 0;
    this.auth = fields.auth ?? false;
  }
  /** The record in master-file form: `name. ttl CLASS TYPE rdata`. */
  toString(): string {
    const data = this.payload ? " " + this.payload.toText() : "";
    return `${this.name.name}. ${this.ttl} ${classToText(this.cls)} ${
      typeToText(this.type)
    }${data}`;
  }
}

/** An EDNS option (RFC 6891 s6.1.2): a code and its bytes. */
export interface EDNSOption {
  /** The option code (10 is COOKIE, 12 PADDING, 15 extended error...). */
  code: number;
  /** The option's data. */
  data: Uint8Array;
}

/** The fields of a `Message`; every one has the default of a fresh query. */
export interface MessageFields {
  /** The 16-bit id. @default 0 */
  id?: number;
  /** True for a response (QR). @default false */
  answer?: boolean;
  /** The opcode. @default OP_QUERY */
  opCode?: number;
  /** Recursion desired (RD). @default false */
  recDes?: boolean;
  /** Recursion available (RA). @default false */
  recAv?: boolean;
  /** Authoritative answer (AA). @default false */
  auth?: boolean;
  /** The response code, extended codes (over 15) included. @default OK */
  rCode?: number;
  /** Truncated (TC). @default false */
  trunc?: boolean;
  /** Authentic data (AD). @default false */
  authenticData?: boolean;
  /** Checking disabled (CD). @default false */
  checkingDisabled?: boolean;
  /** The EDNS version, or null for a message without OPT. @default null */
  ednsVersion?: number | null;
  /** The UDP payload size advertised by OPT (at least 512). @default 512 */
  maxSize?: number;
  /** DNSSEC OK (DO). @default false */
  dnssecOK?: boolean;
  /** EDNS options. @default [] */
  ednsOptions?: EDNSOption[];
  /** The questions. @default [] */
  queries?: Query[];
  /** The answer section. @default [] */
  answers?: RRHeader[];
  /** The authority section. @default [] */
  authority?: RRHeader[];
  /** The additional section (never the OPT record). @default [] */
  additional?: RRHeader[];
}

const HEADER = 12;

/**
 * A DNS message, query or response, with EDNS (Twisted's `dns._EDNSMessage`,
 * exported under the name `dns.Message` users reach for). `toStr()` encodes
 * with name compression; `Message.fromStr(bytes)` decodes anything a peer can
 * send to a Message or throws `DNSFormatError`.
 *
 * @example
 * ```ts
 * import { A, Message, Query } from "@tw/core/names";
 * const query = new Message({ id: 7, recDes: true, queries: [new Query("example.com", A)],
 *   ednsVersion: 0, maxSize: 1232 });
 * const back = Message.fromStr(query.toStr());
 * console.log(back.id, back.recDes, back.maxSize, back.queries[0].toString());
 * // 7 true 1232 example.com. IN A
 * ```
 */
export class Message {
  /** The 16-bit id. */
  id: number;
  /** True for a response (QR). */
  answer: boolean;
  /** The opcode. */
  opCode: number;
  /** Recursion desired. */
  recDes: boolean;
  /** Recursion available. */
  recAv: boolean;
  /** Authoritative answer. */
  auth: boolean;
  /** The response code. */
  rCode: number;
  /** Truncated. */
  trunc: boolean;
  /** Authentic data. */
  authenticData: boolean;
  /** Checking disabled. */
  checkingDisabled: boolean;
  /** The EDNS version, or null when the message has no OPT record. */
  ednsVersion: number | null;
  /** The UDP payload size OPT advertises (512 without EDNS). */
  maxSize: number;
  /** DNSSEC OK. */
  dnssecOK: boolean;
  /** EDNS options. */
  ednsOptions: EDNSOption[];
  /** The questions. */
  queries: Query[];
  /** The answer section. */
  answers: RRHeader[];
  /** The authority section. */
  authority: RRHeader[];
  /** The additional section, OPT excluded. */
  additional: RRHeader[];

  /** Creates it from its fields (see the class). */
  constructor(fields: MessageFields = {}) {
    this.id = checkUint(fields.id ?? 0, 16, "id");
    this.answer = fields.answer ?? false;
    this.opCode = fields.opCode ?? OP_QUERY;
    this.recDes = fields.recDes ?? false;
    this.recAv = fields.recAv ?? false;
    this.auth = fields.auth ?? false;
    this.rCode = fields.rCode ?? OK;
    this.trunc = fields.trunc ?? false;
    this.authenticData = fields.authenticData ?? false;
    this.checkingDisabled = fields.checkingDisabled ?? false;
    this.ednsVersion = fields.ednsVersion ?? null;
    this.maxSize = fields.maxSize ?? 512;
    this.dnssecOK = fields.dnssecOK ?? false;
    this.ednsOptions = fields.ednsOptions ?? [];
    this.queries = fields.queries ?? [];
    this.answers = fields.answers ?? [];
    this.authority = fields.authority ?? [];
    this.additional = fields.additional ?? [];
  }

  /** Adds a question (Twisted's `addQuery`). */
  addQuery(name: string | Name, type: number = A, cls: number = IN): void {
    this.queries.push(new Query(name, type, cls));
  }

  /**
   * Encodes the message. With `limit` (a UDP reply's size), whole RRsets that
   * do not fit are left out, from the end; leaving out an answer or authority
   * RRset sets TC (RFC 2181 s9), and the OPT record is always kept (RFC 6891 s7).
   */
  toStr(limit?: number): Uint8Array {
    const w = new WireWriter(limit ? Math.min(limit, 512) : 512);
    w.length = HEADER;
    for (const q of this.queries) {
      w.name(q.name);
      w.u16(q.type);
      w.u16(q.cls);
    }
    const optSize = this.ednsVersion === null
      ? 0
      : 11 + this.ednsOptions.reduce((n, o) => n + 4 + o.data.length, 0);
    const room = limit === undefined ? Infinity : limit - optSize;
    let trunc = this.trunc;
    const counts = [0, 0, 0];
    const sections = [this.answers, this.authority, this.additional];
    outer: for (let s = 0; s < 3; s++) {
      const records = sections[s];
      let setStart = w.length, setCount = 0;
      for (let i = 0; i < records.length; i++) {
        const rr = records[i];
        if (i === 0 || !sameRRset(records[i - 1], rr)) {
          setStart = w.length;
          setCount = counts[s];
        }
        writeRecord(w, rr);
        counts[s]++;
        if (w.length > room) {
          w.length = setStart;
          counts[s] = setCount;
          if (s < 2) trunc = true;
          for (const n of w.names!.entries()) if (n[1] >= setStart) w.names!.delete(n[0]);
          break outer;
        }
      }
    }
    if (this.ednsVersion !== null) {
      w.u8(0); // the root
      w.u16(OPT);
      w.u16(Math.max(512, this.maxSize));
      w.u8((this.rCode >> 4) & 0xff);
      w.u8(this.ednsVersion);
      w.u16(this.dnssecOK ? 0x8000 : 0);
      const start = w.length;
      w.u16(0);
      for (const o of this.ednsOptions) {
        w.u16(o.code);
        w.u16(o.data.length);
        w.raw(o.data);
      }
      w.view.setUint16(start, w.length - start - 2);
    }
    const v = w.view;
    v.setUint16(0, this.id);
    v.setUint8(
      2,
      (this.answer ? 0x80 : 0) | ((this.opCode & 0xf) << 3) | (this.auth ? 4 : 0) |
        (trunc ? 2 : 0) | (this.recDes ? 1 : 0),
    );
    v.setUint8(
      3,
      (this.recAv ? 0x80 : 0) | (this.authenticData ? 0x20 : 0) |
        (this.checkingDisabled ? 0x10 : 0) | (this.rCode & 0xf),
    );
    v.setUint16(4, this.queries.length);
    v.setUint16(6, counts[0]);
    v.setUint16(8, counts[1]);
    v.setUint16(10, counts[2] + (this.ednsVersion === null ? 0 : 1));
    return w.finish();
  }

  /**
   * Decodes a message. A truncated (TC) message keeps the records that
   * arrived whole.
   * @throws DNSFormatError for anything malformed
   */
  static fromStr(bytes: Uint8Array): Message {
    if (bytes.length < HEADER) throw new DNSFormatError(`Message of ${bytes.length} bytes`);
    const r = new WireReader(bytes);
    const v = r.view;
    const b2 = bytes[2], b3 = bytes[3];
    const m = new Message({
      id: v.getUint16(0),
      answer: (b2 & 0x80) !== 0,
      opCode: (b2 >> 3) & 0xf,
      auth: (b2 & 4) !== 0,
      trunc: (b2 & 2) !== 0,
      recDes: (b2 & 1) !== 0,
      recAv: (b3 & 0x80) !== 0,
      authenticData: (b3 & 0x20) !== 0,
      checkingDisabled: (b3 & 0x10) !== 0,
      rCode: b3 & 0xf,
    });
    const qd = v.getUint16(4), an = v.getUint16(6), ns = v.getUint16(8), ar = v.getUint16(10);
    r.offset = HEADER;
    try {
      for (let i = 0; i < qd; i++) {
        const name = r.name();
        m.queries.push(new Query(name, r.u16("a question"), r.u16("a question")));
      }
      readSection(r, an, m.answers, m, false);
      readSection(r, ns, m.authority, m, false);
      readSection(r, ar, m.additional, m, true);
    } catch (e) {
      if (!(m.trunc && e instanceof DNSFormatError && /truncated|past/.test(e.message))) throw e;
    }
    return m;
  }

  /** A dig-like rendering, for logs and tests. */
  toString(): string {
    const flags = [
      this.answer && "qr",
      this.auth && "aa",
      this.trunc && "tc",
      this.recDes && "rd",
      this.recAv && "ra",
      this.authenticData && "ad",
      this.checkingDisabled && "cd",
    ].filter(Boolean).join(" ");
    const lines = [`;; id ${this.id} opcode ${this.opCode} rcode ${this.rCode} flags: ${flags}`];
    if (this.ednsVersion !== null) {
      lines.push(
        `;; EDNS version ${this.ednsVersion} udp ${this.maxSize}${this.dnssecOK ? " do" : ""}`,
      );
    }
    for (const q of this.queries) lines.push(";" + q.toString());
    for (const rr of [...this.answers, ...this.authority, ...this.additional]) {
      lines.push(rr.toString());
    }
    return lines.join("\n");
  }
}

function sameRRset(a: RRHeader, b: RRHeader): boolean {
  return a.type === b.type && a.cls === b.cls && a.name.equals(b.name);
}

function writeRecord(w: WireWriter, rr: RRHeader): void {
  w.name(rr.name);
  w.u16(rr.type);
  w.u16(rr.cls);
  w.u32(rr.ttl);
  const at = w.length;
  w.u16(0);
  rr.payload?.encode(w);
  const length = w.length - at - 2;
  if (length > 0xffff) throw new RangeError(`RDATA of ${length} bytes is longer than 65535`);
  w.view.setUint16(at, length);
}

function readSection(
  r: WireReader,
  count: number,
  into: RRHeader[],
  message: Message,
  additional: boolean,
): void {
  for (let i = 0; i < count; i++) {
    const name = r.name();
    const type = r.u16("a record"), cls = r.u16("a record"), rawTTL = r.u32("a record");
    const length = r.u16("a record");
    r.need(length, "RDATA");
    const end = r.offset + length;
    if (type === OPT) {
      if (!additional || name.name !== "" || message.ednsVersion !== null) {
        throw new DNSFormatError("Misplaced or repeated OPT record");
      }
      message.maxSize = Math.max(512, cls);
      message.rCode |= (rawTTL >>> 24) << 4;
      message.ednsVersion = (rawTTL >>> 16) & 0xff;
      message.dnssecOK = (rawTTL & 0x8000) !== 0;
      while (r.offset < end) {
        const code = r.u16("an EDNS option");
        const len = r.u16("an EDNS option");
        if (r.offset + len > end) throw new DNSFormatError("EDNS option runs past its record");
        message.ednsOptions.push({ code, data: r.raw(len) });
      }
      continue;
    }
    // RFC 2181 s8: a TTL with the top bit set is taken as zero.
    const ttl = rawTTL > 0x7fffffff ? 0 : rawTTL;
    let payload: IRecord | null = null;
    if (length > 0 || (cls !== ANY && cls !== 254)) {
      const saved = r.end;
      r.end = end;
      const decode = decoders.get(type);
      payload = decode ? decode(r, length) : new UnknownRecord(r.raw(length), null, type);
      if (r.offset !== end) {
        throw new DNSFormatError(`${typeToText(type)} RDATA has ${end - r.offset} bytes left over`);
      }
      r.end = saved;
    }
    into.push(new RRHeader({ name, type, cls, ttl, payload }));
  }
}
