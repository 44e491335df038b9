/**
 * The address and name records: A, AAAA, and the records whose RDATA is one
 * or two names (NS, CNAME, PTR, DNAME, MB, MG, MR, MD, MF, MINFO, RP), SOA
 * and MX.
 *
 * @module
 */
import {
  A,
  AAAA,
  CNAME,
  DNAME,
  MB,
  MD,
  MF,
  MG,
  MINFO,
  MR,
  MX,
  NS,
  PTR,
  RP,
  SOA,
} from "./_constants.ts";
import type { WireWriter } from "./_buffer.ts";
import { Name } from "./_name.ts";
import { bytesToIPv4, bytesToIPv6, ipv4ToBytes, ipv6ToBytes } from "./_ip.ts";
import { checkTTL, checkUint, decoders, type IRecord } from "./_record_base.ts";
import { DNSFormatError } from "../error.ts";

/** The text of a name as a master file writes it: absolute, with the final dot. */
export function fqdn(name: Name): string {
  return name.name + ".";
}

/**
 * An IPv4 address record (Twisted's `Record_A`). `address` holds the four bytes.
 *
 * @example
 * ```ts
 * import { Record_A } from "@tw/core/names";
 * const record = new Record_A("192.0.2.1", 300);
 * console.log(record.dottedQuad(), record.ttl); // 192.0.2.1 300
 * ```
 */
export class Record_A implements IRecord {
  /** `A`. */
  static readonly TYPE: number = A;
  /** `A`. */
  readonly TYPE: number = A;
  /** The address, four bytes. */
  readonly address: Uint8Array;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /**
   * Creates the record.
   * @throws SyntaxError if `address` is not a dotted quad
   */
  constructor(address: string | Uint8Array = "0.0.0.0", ttl?: number | null) {
    this.address = typeof address === "string" ? ipv4ToBytes(address) : address.slice(0, 4);
    if (this.address.length !== 4) throw new RangeError("An A record holds 4 bytes");
    this.ttl = checkTTL(ttl);
  }
  /** The address as text. */
  dottedQuad(): string {
    return bytesToIPv4(this.address);
  }
  /** The address as text. */
  addressText(): string {
    return this.dottedQuad();
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.raw(this.address);
  }
  /** The dotted quad. */
  toText(): string {
    return this.dottedQuad();
  }
}

/**
 * An IPv6 address record (RFC 3596, Twisted's `Record_AAAA`). `address` holds
 * the sixteen bytes.
 *
 * @example
 * ```ts
 * import { Record_AAAA } from "@tw/core/names";
 * console.log(new Record_AAAA("2001:DB8:0:0::1").addressText()); // 2001:db8::1
 * ```
 */
export class Record_AAAA implements IRecord {
  /** `AAAA`. */
  static readonly TYPE: number = AAAA;
  /** `AAAA`. */
  readonly TYPE: number = AAAA;
  /** The address, sixteen bytes. */
  readonly address: Uint8Array;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /**
   * Creates the record.
   * @throws SyntaxError if `address` is not an IPv6 address
   */
  constructor(address: string | Uint8Array = "::", ttl?: number | null) {
    this.address = typeof address === "string" ? ipv6ToBytes(address) : address.slice(0, 16);
    if (this.address.length !== 16) throw new RangeError("An AAAA record holds 16 bytes");
    this.ttl = checkTTL(ttl);
  }
  /** The address as RFC 5952 text. */
  addressText(): string {
    return bytesToIPv6(this.address);
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.raw(this.address);
  }
  /** The address text. */
  toText(): string {
    return this.addressText();
  }
}

/**
 * A record whose RDATA is one name (Twisted's `SimpleRecord`): the base of
 * NS, CNAME, PTR, DNAME and the old mailbox records.
 *
 * @example
 * ```ts
 * import { Record_NS } from "@tw/core/names";
 * const ns = new Record_NS("ns1.example.com", 3600);
 * console.log(ns.name.name, ns.toText()); // ns1.example.com ns1.example.com.
 * ```
 */
export abstract class SimpleRecord implements IRecord {
  /** The record type. */
  abstract readonly TYPE: number;
  /** The name the record points to. */
  readonly name: Name;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Whether the name may be compressed on the wire (RFC 3597 s4: only RFC 1035's types). */
  protected readonly compressible: boolean = true;
  /** Creates it from its fields (see the class). */
  constructor(name: string | Name = "", ttl?: number | null) {
    this.name = new Name(name);
    this.ttl = checkTTL(ttl);
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.name(this.name, this.compressible);
  }
  /** The name, absolute. */
  toText(): string {
    return fqdn(this.name);
  }
}

function simple<T extends SimpleRecord>(
  type: number,
  make: (name: Name) => T,
): void {
  decoders.set(type, (reader) => make(reader.name()));
}

/**
 * An authoritative name server (`NS`).
 *
 * @example
 * ```ts
 * import { Record_NS } from "@tw/core/names";
 * console.log(new Record_NS("ns.example.com").toText()); // ns.example.com.
 * ```
 */
export class Record_NS extends SimpleRecord {
  /** `NS`. */
  static readonly TYPE: number = NS;
  /** `NS`. */
  readonly TYPE: number = NS;
}

/**
 * A canonical name (`CNAME`): the owner is an alias of `name`.
 *
 * @example
 * ```ts
 * import { Record_CNAME } from "@tw/core/names";
 * console.log(new Record_CNAME("www.example.com").name.name); // www.example.com
 * ```
 */
export class Record_CNAME extends SimpleRecord {
  /** `CNAME`. */
  static readonly TYPE: number = CNAME;
  /** `CNAME`. */
  readonly TYPE: number = CNAME;
}

/**
 * A domain name pointer (`PTR`), as in reverse lookups.
 *
 * @example
 * ```ts
 * import { Record_PTR } from "@tw/core/names";
 * console.log(new Record_PTR("host.example.com").toText()); // host.example.com.
 * ```
 */
export class Record_PTR extends SimpleRecord {
  /** `PTR`. */
  static readonly TYPE: number = PTR;
  /** `PTR`. */
  readonly TYPE: number = PTR;
}

/**
 * A delegation of a whole subtree (`DNAME`, RFC 6672).
 *
 * @example
 * ```ts
 * import { Record_DNAME } from "@tw/core/names";
 * console.log(new Record_DNAME("example.net").toText()); // example.net.
 * ```
 */
export class Record_DNAME extends SimpleRecord {
  /** `DNAME`. */
  static readonly TYPE: number = DNAME;
  /** `DNAME`. */
  readonly TYPE: number = DNAME;
  /** DNAME targets are never compressed (RFC 6672 s2.5). */
  protected override readonly compressible: boolean = false;
}

/**
 * A mailbox domain name (`MB`, experimental in RFC 1035).
 *
 * @example
 * ```ts
 * import { Record_MB } from "@tw/core/names";
 * console.log(new Record_MB("mail.example.com").TYPE); // 7
 * ```
 */
export class Record_MB extends SimpleRecord {
  /** `MB`. */
  static readonly TYPE: number = MB;
  /** `MB`. */
  readonly TYPE: number = MB;
}

/**
 * A mail group member (`MG`, experimental in RFC 1035).
 *
 * @example
 * ```ts
 * import { Record_MG } from "@tw/core/names";
 * console.log(new Record_MG("someone.example.com").TYPE); // 8
 * ```
 */
export class Record_MG extends SimpleRecord {
  /** `MG`. */
  static readonly TYPE: number = MG;
  /** `MG`. */
  readonly TYPE: number = MG;
}

/**
 * A mail rename (`MR`, experimental in RFC 1035).
 *
 * @example
 * ```ts
 * import { Record_MR } from "@tw/core/names";
 * console.log(new Record_MR("new.example.com").TYPE); // 9
 * ```
 */
export class Record_MR extends SimpleRecord {
  /** `MR`. */
  static readonly TYPE: number = MR;
  /** `MR`. */
  readonly TYPE: number = MR;
}

/**
 * A mail destination (`MD`, obsolete: use MX).
 *
 * @example
 * ```ts
 * import { Record_MD } from "@tw/core/names";
 * console.log(new Record_MD("mail.example.com").TYPE); // 3
 * ```
 */
export class Record_MD extends SimpleRecord {
  /** `MD`. */
  static readonly TYPE: number = MD;
  /** `MD`. */
  readonly TYPE: number = MD;
}

/**
 * A mail forwarder (`MF`, obsolete: use MX).
 *
 * @example
 * ```ts
 * import { Record_MF } from "@tw/core/names";
 * console.log(new Record_MF("mail.example.com").TYPE); // 4
 * ```
 */
export class Record_MF extends SimpleRecord {
  /** `MF`. */
  static readonly TYPE: number = MF;
  /** `MF`. */
  readonly TYPE: number = MF;
}

simple(NS, (n) => new Record_NS(n));
simple(CNAME, (n) => new Record_CNAME(n));
simple(PTR, (n) => new Record_PTR(n));
simple(DNAME, (n) => new Record_DNAME(n));
simple(MB, (n) => new Record_MB(n));
simple(MG, (n) => new Record_MG(n));
simple(MR, (n) => new Record_MR(n));
simple(MD, (n) => new Record_MD(n));
simple(MF, (n) => new Record_MF(n));

/** The fields of a `Record_SOA`. */
export interface SOAFields {
  /** The primary name server. @default "" */
  mname?: string | Name;
  /** The administrator's mailbox, `hostmaster.example.com`. @default "" */
  rname?: string | Name;
  /** The zone's serial number (RFC 1982 arithmetic). @default 0 */
  serial?: number;
  /** Seconds between a secondary's refresh checks. @default 0 */
  refresh?: number;
  /** Seconds before a failed refresh is retried. @default 0 */
  retry?: number;
  /** Seconds after which a secondary that cannot refresh stops answering. @default 0 */
  expire?: number;
  /** The TTL of negative answers (RFC 2308). @default 0 */
  minimum?: number;
  /** The record's own TTL. @default null */
  ttl?: number | null;
}

/**
 * The start of a zone of authority (`SOA`).
 *
 * @example
 * ```ts
 * import { Record_SOA } from "@tw/core/names";
 * const soa = new Record_SOA({
 *   mname: "ns1.example.com", rname: "hostmaster.example.com",
 *   serial: 2026120601, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300,
 * });
 * console.log(soa.toText());
 * // ns1.example.com. hostmaster.example.com. 2026120601 7200 3600 1209600 300
 * ```
 */
export class Record_SOA implements IRecord {
  /** `SOA`. */
  static readonly TYPE: number = SOA;
  /** `SOA`. */
  readonly TYPE: number = SOA;
  /** The primary name server. */
  readonly mname: Name;
  /** The administrator's mailbox. */
  readonly rname: Name;
  /** The serial number. */
  readonly serial: number;
  /** The refresh interval, seconds. */
  readonly refresh: number;
  /** The retry interval, seconds. */
  readonly retry: number;
  /** The expiry, seconds. */
  readonly expire: number;
  /** The negative-answer TTL, seconds. */
  readonly minimum: number;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(fields: SOAFields = {}) {
    this.mname = new Name(fields.mname ?? "");
    this.rname = new Name(fields.rname ?? "");
    this.serial = checkUint(fields.serial ?? 0, 32, "serial");
    this.refresh = checkUint(fields.refresh ?? 0, 32, "refresh");
    this.retry = checkUint(fields.retry ?? 0, 32, "retry");
    this.expire = checkUint(fields.expire ?? 0, 32, "expire");
    this.minimum = checkUint(fields.minimum ?? 0, 32, "minimum");
    this.ttl = checkTTL(fields.ttl);
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.name(this.mname);
    writer.name(this.rname);
    writer.u32(this.serial);
    writer.u32(this.refresh);
    writer.u32(this.retry);
    writer.u32(this.expire);
    writer.u32(this.minimum);
  }
  /** `mname. rname. serial refresh retry expire minimum`. */
  toText(): string {
    return `${fqdn(this.mname)} ${fqdn(this.rname)} ${this.serial} ${this.refresh} ${this.retry} ` +
      `${this.expire} ${this.minimum}`;
  }
}

decoders.set(SOA, (r) => {
  const mname = r.name(), rname = r.name();
  return new Record_SOA({
    mname,
    rname,
    serial: r.u32(),
    refresh: r.u32(),
    retry: r.u32(),
    expire: r.u32(),
    minimum: r.u32(),
  });
});

/**
 * A mail exchange (`MX`): where mail for the owner goes, lowest preference first.
 *
 * @example
 * ```ts
 * import { Record_MX } from "@tw/core/names";
 * const mx = new Record_MX(10, "mail.example.com");
 * console.log(mx.preference, mx.name.name); // 10 mail.example.com
 * ```
 */
export class Record_MX implements IRecord {
  /** `MX`. */
  static readonly TYPE: number = MX;
  /** `MX`. */
  readonly TYPE: number = MX;
  /** Lower is preferred. */
  readonly preference: number;
  /** The mail host. */
  readonly name: Name;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(preference = 0, name: string | Name = "", ttl?: number | null) {
    this.preference = checkUint(preference, 16, "preference");
    this.name = new Name(name);
    this.ttl = checkTTL(ttl);
  }
  /** Twisted's alias of `name`. */
  get exchange(): Name {
    return this.name;
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.u16(this.preference);
    writer.name(this.name);
  }
  /** `preference name.`. */
  toText(): string {
    return `${this.preference} ${fqdn(this.name)}`;
  }
}

decoders.set(MX, (r) => new Record_MX(r.u16(), r.name()));

/**
 * Mailbox information (`MINFO`): the responsible and the error mailboxes.
 *
 * @example
 * ```ts
 * import { Record_MINFO } from "@tw/core/names";
 * console.log(new Record_MINFO("admin.example.com", "errors.example.com").toText());
 * // admin.example.com. errors.example.com.
 * ```
 */
export class Record_MINFO implements IRecord {
  /** `MINFO`. */
  static readonly TYPE: number = MINFO;
  /** `MINFO`. */
  readonly TYPE: number = MINFO;
  /** The responsible mailbox. */
  readonly rmailbx: Name;
  /** The error mailbox. */
  readonly emailbx: Name;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(rmailbx: string | Name = "", emailbx: string | Name = "", ttl?: number | null) {
    this.rmailbx = new Name(rmailbx);
    this.emailbx = new Name(emailbx);
    this.ttl = checkTTL(ttl);
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.name(this.rmailbx);
    writer.name(this.emailbx);
  }
  /** Both names. */
  toText(): string {
    return `${fqdn(this.rmailbx)} ${fqdn(this.emailbx)}`;
  }
}

decoders.set(MINFO, (r) => new Record_MINFO(r.name(), r.name()));

/**
 * A responsible person (`RP`, RFC 1183): a mailbox and a name with TXT about them.
 *
 * @example
 * ```ts
 * import { Record_RP } from "@tw/core/names";
 * console.log(new Record_RP("admin.example.com", "info.example.com").toText());
 * // admin.example.com. info.example.com.
 * ```
 */
export class Record_RP implements IRecord {
  /** `RP`. */
  static readonly TYPE: number = RP;
  /** `RP`. */
  readonly TYPE: number = RP;
  /** The mailbox. */
  readonly mbox: Name;
  /** The name holding TXT records. */
  readonly txt: Name;
  /** The TTL, or null for the zone's. */
  ttl: number | null;
  /** Creates it from its fields (see the class). */
  constructor(mbox: string | Name = "", txt: string | Name = "", ttl?: number | null) {
    this.mbox = new Name(mbox);
    this.txt = new Name(txt);
    this.ttl = checkTTL(ttl);
  }
  /** Writes the RDATA. */
  encode(writer: WireWriter): void {
    writer.name(this.mbox, false);
    writer.name(this.txt, false);
  }
  /** Both names. */
  toText(): string {
    return `${fqdn(this.mbox)} ${fqdn(this.txt)}`;
  }
}

decoders.set(RP, (r) => new Record_RP(r.name(), r.name()));

function fixed(length: number, want: number, type: string): void {
  if (length !== want) {
    throw new DNSFormatError(`${type} RDATA must be ${want} bytes, not ${length}`);
  }
}
decoders.set(A, (r, length) => {
  fixed(length, 4, "A");
  return new Record_A(r.raw(4));
});
decoders.set(AAAA, (r, length) => {
  fixed(length, 16, "AAAA");
  return new Record_AAAA(r.raw(16));
});
