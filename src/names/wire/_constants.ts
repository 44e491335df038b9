/**
 * DNS numbers with Twisted's names (twisted.names.dns): record types, classes,
 * opcodes and response codes, and the tables between numbers and mnemonics.
 *
 * @module
 */

/** The DNS port. */
export const PORT = 53;

/** Record type numbers (RFC 1035 and later). */
export const A = 1, NS = 2, MD = 3, MF = 4, CNAME = 5, SOA = 6, MB = 7, MG = 8, MR = 9;
/** Record type numbers (RFC 1035 and later). */
export const NULL = 10, WKS = 11, PTR = 12, HINFO = 13, MINFO = 14, MX = 15, TXT = 16;
/** Record type numbers (RFC 1035 and later). */
export const RP = 17, AFSDB = 18, AAAA = 28, SRV = 33, NAPTR = 35, A6 = 38, DNAME = 39;
/** Record type numbers (RFC 1035 and later). */
export const OPT = 41, SSHFP = 44, TLSA = 52, SPF = 99, TKEY = 249, TSIG = 250, CAA = 257;
/** Query-only types: zone transfers and "any". */
export const IXFR = 251, AXFR = 252, MAILB = 253, MAILA = 254, ALL_RECORDS = 255;

/** Classes. `ANY` is 255. */
export const IN = 1, CS = 2, CH = 3, HS = 4, NONE = 254, ANY = 255;

/** Opcodes. */
export const OP_QUERY = 0, OP_INVERSE = 1, OP_STATUS = 2, OP_NOTIFY = 4, OP_UPDATE = 5;

/** Response codes (`EBADVERSION` needs EDNS's extended bits). */
export const OK = 0, EFORMAT = 1, ESERVER = 2, ENAME = 3, ENOTIMP = 4, EREFUSED = 5;
/** Extended response codes (RFC 6891). */
export const EBADVERSION = 16;

/** Type number -> mnemonic, for the types this codec knows. */
export const QUERY_TYPES: ReadonlyMap<number, string> = new Map([
  [A, "A"],
  [NS, "NS"],
  [MD, "MD"],
  [MF, "MF"],
  [CNAME, "CNAME"],
  [SOA, "SOA"],
  [MB, "MB"],
  [MG, "MG"],
  [MR, "MR"],
  [NULL, "NULL"],
  [WKS, "WKS"],
  [PTR, "PTR"],
  [HINFO, "HINFO"],
  [MINFO, "MINFO"],
  [MX, "MX"],
  [TXT, "TXT"],
  [RP, "RP"],
  [AFSDB, "AFSDB"],
  [AAAA, "AAAA"],
  [SRV, "SRV"],
  [NAPTR, "NAPTR"],
  [A6, "A6"],
  [DNAME, "DNAME"],
  [OPT, "OPT"],
  [SSHFP, "SSHFP"],
  [TLSA, "TLSA"],
  [SPF, "SPF"],
  [TKEY, "TKEY"],
  [TSIG, "TSIG"],
  [CAA, "CAA"],
]);

/** Query-only type number -> mnemonic. */
export const EXT_QUERIES: ReadonlyMap<number, string> = new Map([
  [IXFR, "IXFR"],
  [AXFR, "AXFR"],
  [MAILB, "MAILB"],
  [MAILA, "MAILA"],
  [ALL_RECORDS, "ANY"],
]);

/** Class number -> mnemonic. */
export const QUERY_CLASSES: ReadonlyMap<number, string> = new Map([
  [IN, "IN"],
  [CS, "CS"],
  [CH, "CH"],
  [HS, "HS"],
  [NONE, "NONE"],
  [ANY, "ANY"],
]);

const typeNumbers = new Map<string, number>();
for (const [n, s] of [...QUERY_TYPES, ...EXT_QUERIES]) typeNumbers.set(s, n);
typeNumbers.set("ALL_RECORDS", ALL_RECORDS);
const classNumbers = new Map<string, number>();
for (const [n, s] of QUERY_CLASSES) classNumbers.set(s, n);

/**
 * The mnemonic of a type number, or `TYPEnnn` (RFC 3597) for one without.
 *
 * @example
 * ```ts
 * import { typeToText } from "@tw/core/names";
 * console.log(typeToText(15), typeToText(65280)); // MX TYPE65280
 * ```
 */
export function typeToText(type: number): string {
  return QUERY_TYPES.get(type) ?? EXT_QUERIES.get(type) ?? `TYPE${type}`;
}

/**
 * The number of a type mnemonic or `TYPEnnn`, case-insensitive; undefined if unknown.
 *
 * @example
 * ```ts
 * import { typeFromText } from "@tw/core/names";
 * console.log(typeFromText("aaaa"), typeFromText("TYPE99")); // 28 99
 * ```
 */
export function typeFromText(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = typeNumbers.get(upper);
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  return m && Number(m[1]) <= 0xffff ? Number(m[1]) : undefined;
}

/**
 * The mnemonic of a class number, or `CLASSnnn` (RFC 3597).
 *
 * @example
 * ```ts
 * import { classToText } from "@tw/core/names";
 * console.log(classToText(1)); // IN
 * ```
 */
export function classToText(cls: number): string {
  return QUERY_CLASSES.get(cls) ?? `CLASS${cls}`;
}

/**
 * The number of a class mnemonic or `CLASSnnn`, case-insensitive; undefined if unknown.
 *
 * @example
 * ```ts
 * import { classFromText } from "@tw/core/names";
 * console.log(classFromText("ch")); // 3
 * ```
 */
export function classFromText(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = classNumbers.get(upper);
  if (known !== undefined) return known;
  const m = /^CLASS(\d{1,5})$/.exec(upper);
  return m && Number(m[1]) <= 0xffff ? Number(m[1]) : undefined;
}
