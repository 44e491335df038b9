/**
 * The DNS wire format (twisted.names.dns): messages, questions, records,
 * names and the protocol numbers. Also exported flat from `@tw/core/names`.
 *
 * @example
 * ```ts
 * import { dns } from "@tw/core/names";
 * const m = dns.Message.fromStr(new dns.Message({ id: 1, queries: [new dns.Query("a.example")] }).toStr());
 * console.log(m.queries[0].name.name); // a.example
 * ```
 * @module
 */
export * from "./wire/_constants.ts";
export { Name } from "./wire/_name.ts";
export type { IRecord } from "./wire/_record_base.ts";
export {
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
  SimpleRecord,
  type SOAFields,
} from "./wire/_records.ts";
export {
  type NAPTRFields,
  Record_AFSDB,
  Record_CAA,
  Record_HINFO,
  Record_NAPTR,
  Record_NULL,
  Record_SPF,
  Record_SRV,
  Record_SSHFP,
  Record_TLSA,
  Record_TXT,
  type SRVFields,
  type TLSAFields,
  UnknownRecord,
} from "./wire/_records_data.ts";
export {
  type EDNSOption,
  Message,
  type MessageFields,
  Query,
  RRHeader,
  type RRHeaderFields,
} from "./wire/_message.ts";
export {
  DNSDatagramProtocol,
  DNSProtocol,
  type DNSProtocolOptions,
  type DNSQueryOptions,
  type IDNSController,
  type IDNSMessageWriter,
} from "./_protocols.ts";
export { WireReader, WireWriter } from "./wire/_buffer.ts";
