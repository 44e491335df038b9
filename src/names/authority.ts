/**
 * Authoritative resolvers (twisted.names.authority): `FileAuthority`
 * answers from one zone in memory as an authoritative server does (AA,
 * NXDOMAIN and NODATA with the SOA, wildcards, referrals, CNAME and DNAME,
 * additional addresses, AXFR); `BindAuthority` loads a BIND zone file and
 * `ModuleAuthority` a module exporting `zone`. Also exported flat from
 * `@tw/core/names`.
 *
 * @example
 * ```ts
 * import { authority, Record_A, Record_SOA } from "@tw/core/names";
 *
 * const zone = new authority.FileAuthority([
 *   ["example.com", new Record_SOA({ mname: "ns1.example.com", minimum: 300, ttl: 3600 })],
 *   ["*.example.com", new Record_A("192.0.2.1", 60)],
 * ]);
 * const [answers] = await zone.lookupAddress("anything.example.com");
 * console.log(answers[0].toString()); // anything.example.com. 60 IN A 192.0.2.1
 * const missing = await zone.lookupAddress("example.org").then(() => "found", (e) => e.name);
 * console.log(missing); // DomainError (not ours: a chain asks the next resolver)
 * ```
 * @module
 */
export {
  BindAuthority,
  type BindAuthorityOptions,
  FileAuthority,
  type FileAuthorityOptions,
  ModuleAuthority,
  type ModuleAuthorityOptions,
  type ZoneItem,
  type ZoneModule,
} from "./server/_authority.ts";
export { ZoneFileError } from "./server/_zone_file.ts";
