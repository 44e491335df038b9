/**
 * The records with structured or opaque RDATA: TXT and SPF, SRV, NAPTR,
 * HINFO, AFSDB, CAA, SSHFP, TLSA, NULL, and `UnknownRecord` (RFC 3597) for
 * every type this codec does not know.
 *
 * @module
 */
import { AFSDB, CAA, HINFO, NAPTR, NULL, SPF, SRV, SSHFP, TLSA, TXT } from "./_constants.ts";
import type { WireReader, WireWriter } from "./_buffer.ts";
import { Name } from "./_name.ts";
import { fqdn } from "./_records.ts";
import {
  checkTTL,
  checkUint,
  decoders,
  hex,
  type IRecord,
  quoteString,
  toBytes,
} from "./_record_base.ts";
import { DNSFormatError } from "../error.ts";

const decoder = new TextDecoder();

/**
 * Text strings (`TXT`). `data` holds the character strings, each at most 255
 * bytes; a string longer than that given to the constructor is split.
 *
 * @example
 * ```ts
 * import { Record_TXT } from "@tw/core/names";
 * const txt = new Record_TXT(["v=spf1 -all", "second"]);
 * console.log(txt.data.length, txt.toText()); // 2 "v=spf1 -all" "second"
 * ```
 */
export class Record_TXT implements IRecord {
  /** `TXT`. */
  static readonly TYPE: number = TXT;
  /** `TXT`. */
  readonly TYPE: number = TXT;
  /** The character strings. */
  readonly data: Uint8Array[];
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(data: (string | Uint8Array)[] | string = [], ttl?: number | null) {
    const parts = typeof data === "string" ? [data] : data;
    this.data = [];
    for (const part of parts) {
      const bytes = toBytes(part);
      if (bytes.length === 0) this.data.push(bytes);
      for (let i = 0; i < bytes.length; i += 255) this.data.push(bytes.slice(i, i + 255));
    }
    this.ttl = checkTTL(ttl);
  }
  /** The strings decoded as UTF-8 and joined, as SPF and DKIM readers take them. */
  text(): string {
    return this.data.map((d) => decoder.decode(d)).join("");
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    for (const d of this.data) writer.charString(d);
  }
  /** The quoted strings. */
  toText(): string {
    return this.data.map(quoteString).join(" ");
  }
}

/**
 * Sender Policy Framework text (`SPF`, type 99; RFC 7208 says publish TXT).
 *
 * @example
 * ```ts
 * import { Record_SPF } from "@tw/core/names";
 * console.log(new Record_SPF(["v=spf1 mx -all"]).TYPE); // 99
 * ```
 */
export class Record_SPF extends Record_TXT {
  /** `SPF`. */
  static override readonly TYPE: number = SPF;
  /** `SPF`. */
  override readonly TYPE: number = SPF;
}

function readStrings(r: WireReader): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (r.offset < r.end) out.push(r.charString());
  return out;
}
decoders.set(TXT, (r, length) => {
  if (length === 0) throw new DNSFormatError("TXT RDATA is empty");
  return new Record_TXT(readStrings(r));
});
decoders.set(SPF, (r, length) => {
  if (length === 0) throw new DNSFormatError("SPF RDATA is empty");
  return new Record_SPF(readStrings(r));
});

/** The fields of a `Record_SRV`. */
export interface SRVFields {
  /** Lower is tried first. @default 0 */
  priority?: number;
  /** Relative share among equal priorities. @default 0 */
  weight?: number;
  /** The service's port. @default 0 */
  port?: number;
  /** The host; `""` (the root) means the service is not offered. @default "" */
  target?: string | Name;
  /** The TTL. @default null */
  ttl?: number | null;
}

/**
 * A service location (`SRV`, RFC 2782), owned by `_service._proto.domain`.
 *
 * @example
 * ```ts
 * import { Record_SRV } from "@tw/core/names";
 * const srv = new Record_SRV({ priority: 10, weight: 5, port: 5269, target: "xmpp.example.com" });
 * console.log(srv.toText()); // 10 5 5269 xmpp.example.com.
 * ```
 */
export class Record_SRV implements IRecord {
  /** `SRV`. */
  static readonly TYPE: number = SRV;
  /** `SRV`. */
  readonly TYPE: number = SRV;
  /** Lower is tried first. */
  readonly priority: number;
  /** Relative share among equal priorities. */
  readonly weight: number;
  /** The port. */
  readonly port: number;
  /** The host. */
  readonly target: Name;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(fields: SRVFields = {}) {
    this.priority = checkUint(fields.priority ?? 0, 16, "priority");
    this.weight = checkUint(fields.weight ?? 0, 16, "weight");
    this.port = checkUint(fields.port ?? 0, 16, "port");
    this.target = new Name(fields.target ?? "");
    this.ttl = checkTTL(fields.ttl);
  }
  /** Writes the RDATA (the target uncompressed, RFC 2782). */
  encode(writer: WireWriter): void {
    writer.u16(this.priority);
    writer.u16(this.weight);
    writer.u16(this.port);
    writer.name(this.target, false);
  }
  /** `priority weight port target.`. */
  toText(): string {
    return `${this.priority} ${this.weight} ${this.port} ${fqdn(this.target)}`;
  }
}

decoders.set(
  SRV,
  (r) => new Record_SRV({ priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() }),
);

/** The fields of a `Record_NAPTR`. */
export interface NAPTRFields {
  /** Processing order, lower first. @default 0 */
  order?: number;
  /** Preference among equal orders. @default 0 */
  preference?: number;
  /** Flags such as `"U"` or `"S"`. @default "" */
  flags?: string | Uint8Array;
  /** The service, `"E2U+sip"`. @default "" */
  service?: string | Uint8Array;
  /** The substitution expression. @default "" */
  regexp?: string | Uint8Array;
  /** The next name to look up when `regexp` is empty. @default "" */
  replacement?: string | Name;
  /** The TTL. @default null */
  ttl?: number | null;
}

/**
 * A naming authority pointer (`NAPTR`, RFC 3403), as ENUM uses.
 *
 * @example
 * ```ts
 * import { Record_NAPTR } from "@tw/core/names";
 * const r = new Record_NAPTR({ order: 100, preference: 10, flags: "u", service: "E2U+sip",
 *   regexp: "!^.*$!sip:info@example.com!" });
 * console.log(r.toText()); // 100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .
 * ```
 */
export class Record_NAPTR implements IRecord {
  /** `NAPTR`. */
  static readonly TYPE: number = NAPTR;
  /** `NAPTR`. */
  readonly TYPE: number = NAPTR;
  /** Processing order. */
  readonly order: number;
  /** Preference. */
  readonly preference: number;
  /** Flags. */
  readonly flags: Uint8Array;
  /** Service. */
  readonly service: Uint8Array;
  /** Substitution expression. */
  readonly regexp: Uint8Array;
  /** Replacement name. */
  readonly replacement: Name;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(fields: NAPTRFields = {}) {
    this.order = checkUint(fields.order ?? 0, 16, "order");
    this.preference = checkUint(fields.preference ?? 0, 16, "preference");
    this.flags = toBytes(fields.flags ?? "");
    this.service = toBytes(fields.service ?? "");
    this.regexp = toBytes(fields.regexp ?? "");
    this.replacement = new Name(fields.replacement ?? "");
    this.ttl = checkTTL(fields.ttl);
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.u16(this.order);
    writer.u16(this.preference);
    writer.charString(this.flags);
    writer.charString(this.service);
    writer.charString(this.regexp);
    writer.name(this.replacement, false);
  }
  /** The fields in master-file order. */
  toText(): string {
    return `${this.order} ${this.preference} ${quoteString(this.flags)} ` +
      `${quoteString(this.service)} ${quoteString(this.regexp)} ${fqdn(this.replacement)}`
        .replace(/ \.\.$/, " .");
  }
}

decoders.set(NAPTR, (r) =>
  new Record_NAPTR({
    order: r.u16(),
    preference: r.u16(),
    flags: r.charString(),
    service: r.charString(),
    regexp: r.charString(),
    replacement: r.name(),
  }));

/**
 * Host information (`HINFO`): CPU and OS strings (RFC 8482 also uses it to
 * answer ANY queries minimally).
 *
 * @example
 * ```ts
 * import { Record_HINFO } from "@tw/core/names";
 * console.log(new Record_HINFO("RFC8482", "").toText()); // "RFC8482" ""
 * ```
 */
export class Record_HINFO implements IRecord {
  /** `HINFO`. */
  static readonly TYPE: number = HINFO;
  /** `HINFO`. */
  readonly TYPE: number = HINFO;
  /** The CPU. */
  readonly cpu: Uint8Array;
  /** The OS. */
  readonly os: Uint8Array;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(cpu: string | Uint8Array = "", os: string | Uint8Array = "", ttl?: number | null) {
    this.cpu = toBytes(cpu);
    this.os = toBytes(os);
    this.ttl = checkTTL(ttl);
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.charString(this.cpu);
    writer.charString(this.os);
  }
  /** Both strings quoted. */
  toText(): string {
    return `${quoteString(this.cpu)} ${quoteString(this.os)}`;
  }
}

decoders.set(HINFO, (r) => new Record_HINFO(r.charString(), r.charString()));

/**
 * An AFS database location (`AFSDB`, RFC 1183).
 *
 * @example
 * ```ts
 * import { Record_AFSDB } from "@tw/core/names";
 * console.log(new Record_AFSDB(1, "afs.example.com").toText()); // 1 afs.example.com.
 * ```
 */
export class Record_AFSDB implements IRecord {
  /** `AFSDB`. */
  static readonly TYPE: number = AFSDB;
  /** `AFSDB`. */
  readonly TYPE: number = AFSDB;
  /** 1: AFS cell database; 2: DCE name server. */
  readonly subtype: number;
  /** The host. */
  readonly hostname: Name;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(subtype = 0, hostname: string | Name = "", ttl?: number | null) {
    this.subtype = checkUint(subtype, 16, "subtype");
    this.hostname = new Name(hostname);
    this.ttl = checkTTL(ttl);
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.u16(this.subtype);
    writer.name(this.hostname, false);
  }
  /** `subtype hostname.`. */
  toText(): string {
    return `${this.subtype} ${fqdn(this.hostname)}`;
  }
}

decoders.set(AFSDB, (r) => new Record_AFSDB(r.u16(), r.name()));

/**
 * A certification authority authorization (`CAA`, RFC 8659).
 *
 * @example
 * ```ts
 * import { Record_CAA } from "@tw/core/names";
 * console.log(new Record_CAA(0, "issue", "letsencrypt.org").toText()); // 0 issue "letsencrypt.org"
 * ```
 */
export class Record_CAA implements IRecord {
  /** `CAA`. */
  static readonly TYPE: number = CAA;
  /** `CAA`. */
  readonly TYPE: number = CAA;
  /** Flags; 128 is "issuer critical". */
  readonly flags: number;
  /** The property: `issue`, `issuewild`, `iodef`... */
  readonly tag: string;
  /** The property's value. */
  readonly value: Uint8Array;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /**
   * Creates the record.
   * @throws SyntaxError if the tag is not 1-15 letters and digits
   */
  constructor(flags = 0, tag = "issue", value: string | Uint8Array = "", ttl?: number | null) {
    this.flags = checkUint(flags, 8, "flags");
    if (!/^[A-Za-z0-9]{1,15}$/.test(tag)) {
      throw new SyntaxError(`Bad CAA tag: ${JSON.stringify(tag)}`);
    }
    this.tag = tag;
    this.value = toBytes(value);
    this.ttl = checkTTL(ttl);
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.u8(this.flags);
    writer.charString(toBytes(this.tag));
    writer.raw(this.value);
  }
  /** `flags tag "value"`. */
  toText(): string {
    return `${this.flags} ${this.tag} ${quoteString(this.value)}`;
  }
}

decoders.set(CAA, (r) => {
  const flags = r.u8();
  const tag = r.charString("a CAA tag");
  if (!/^[A-Za-z0-9]{1,15}$/.test(decoder.decode(tag))) throw new DNSFormatError("Bad CAA tag");
  return new Record_CAA(flags, decoder.decode(tag), r.raw(r.end - r.offset));
});

/**
 * An SSH host key fingerprint (`SSHFP`, RFC 4255 and 6594).
 *
 * @example
 * ```ts
 * import { Record_SSHFP } from "@tw/core/names";
 * const r = new Record_SSHFP(4, 2, new Uint8Array(32).fill(0xab));
 * console.log(r.toText().slice(0, 8)); // 4 2 ABAB
 * ```
 */
export class Record_SSHFP implements IRecord {
  /** `SSHFP`. */
  static readonly TYPE: number = SSHFP;
  /** `SSHFP`. */
  readonly TYPE: number = SSHFP;
  /** 1 RSA, 2 DSA, 3 ECDSA, 4 Ed25519. */
  readonly algorithm: number;
  /** 1 SHA-1, 2 SHA-256. */
  readonly fingerprintType: number;
  /** The digest. */
  readonly fingerprint: Uint8Array;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(
    algorithm = 0,
    fingerprintType = 0,
    fingerprint: Uint8Array = new Uint8Array(),
    ttl?: number | null,
  ) {
    this.algorithm = checkUint(algorithm, 8, "algorithm");
    this.fingerprintType = checkUint(fingerprintType, 8, "fingerprintType");
    this.fingerprint = fingerprint;
    this.ttl = checkTTL(ttl);
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.u8(this.algorithm);
    writer.u8(this.fingerprintType);
    writer.raw(this.fingerprint);
  }
  /** `algorithm type HEX`. */
  toText(): string {
    return `${this.algorithm} ${this.fingerprintType} ${hex(this.fingerprint)}`;
  }
}

decoders.set(SSHFP, (r) => new Record_SSHFP(r.u8(), r.u8(), r.raw(r.end - r.offset)));

/** The fields of a `Record_TLSA`. */
export interface TLSAFields {
  /** 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE. @default 3 */
  certificateUsage?: number;
  /** 0 full certificate, 1 SubjectPublicKeyInfo. @default 1 */
  selector?: number;
  /** 0 exact, 1 SHA-256, 2 SHA-512. @default 1 */
  matchingType?: number;
  /** The data matched. @default empty */
  certificateAssociationData?: Uint8Array;
  /** The TTL. @default null */
  ttl?: number | null;
}

/**
 * A TLS certificate association (`TLSA`, RFC 6698), owned by `_443._tcp.host`.
 *
 * @example
 * ```ts
 * import { Record_TLSA } from "@tw/core/names";
 * const r = new Record_TLSA({ certificateAssociationData: new Uint8Array([1, 2]) });
 * console.log(r.toText()); // 3 1 1 0102
 * ```
 */
export class Record_TLSA implements IRecord {
  /** `TLSA`. */
  static readonly TYPE: number = TLSA;
  /** `TLSA`. */
  readonly TYPE: number = TLSA;
  /** How the data is used. */
  readonly certificateUsage: number;
  /** What is matched. */
  readonly selector: number;
  /** How it is matched. */
  readonly matchingType: number;
  /** The data. */
  readonly certificateAssociationData: Uint8Array;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(fields: TLSAFields = {}) {
    this.certificateUsage = checkUint(fields.certificateUsage ?? 3, 8, "certificateUsage");
    this.selector = checkUint(fields.selector ?? 1, 8, "selector");
    this.matchingType = checkUint(fields.matchingType ?? 1, 8, "matchingType");
    this.certificateAssociationData = fields.certificateAssociationData ?? new Uint8Array();
    this.ttl = checkTTL(fields.ttl);
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.u8(this.certificateUsage);
    writer.u8(this.selector);
    writer.u8(this.matchingType);
    writer.raw(this.certificateAssociationData);
  }
  /** `usage selector matchingType HEX`. */
  toText(): string {
    return `${this.certificateUsage} ${this.selector} ${this.matchingType} ` +
      hex(this.certificateAssociationData);
  }
}

decoders.set(TLSA, (r) =>
  new Record_TLSA({
    certificateUsage: r.u8(),
    selector: r.u8(),
    matchingType: r.u8(),
    certificateAssociationData: r.raw(r.end - r.offset),
  }));

/**
 * A record of a type this codec does not know, kept as its bytes (RFC 3597;
 * Twisted's `UnknownRecord`). Written in master files as `\# length hex`.
 *
 * @example
 * ```ts
 * import { UnknownRecord } from "@tw/core/names";
 * const r = new UnknownRecord(new Uint8Array([10, 0, 0, 1]), null, 65280);
 * console.log(r.TYPE, r.toText()); // 65280 \# 4 0A000001
 * ```
 */
export class UnknownRecord implements IRecord {
  /** The type number. */
  readonly TYPE: number;
  /** The RDATA. */
  readonly data: Uint8Array;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(data: Uint8Array = new Uint8Array(), ttl?: number | null, type = 0) {
    this.data = data;
    this.ttl = checkTTL(ttl);
    this.TYPE = checkUint(type, 16, "type");
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.raw(this.data);
  }
  /** `\# length hex`. */
  toText(): string {
    return this.data.length === 0 ? "\\# 0" : `\\# ${this.data.length} ${hex(this.data)}`;
  }
}

/**
 * Opaque data (`NULL`, RFC 1035): not allowed in master files.
 *
 * @example
 * ```ts
 * import { Record_NULL } from "@tw/core/names";
 * console.log(new Record_NULL(new Uint8Array([1])).toText()); // \# 1 01
 * ```
 */
export class Record_NULL extends UnknownRecord {
  /** Creates it from its fields (see the class). */
  constructor(payload: Uint8Array = new Uint8Array(), ttl?: number | null) {
    super(payload, ttl, NULL);
  }
  /** Twisted's name for the data. */
  get payload(): Uint8Array {
    return this.data;
  }
}

decoders.set(NULL, (r) => new Record_NULL(r.raw(r.end - r.offset)));
