/**
 * Secondary zones (twisted.names.secondary): `SecondaryAuthority` copies a
 * zone from its primary by zone transfer (AXFR) and keeps it fresh as the
 * SOA's refresh, retry and expire timers say and when the primary sends a
 * NOTIFY (RFC 1996); `SecondaryAuthorityService` runs the zones of one
 * primary as an application service (`tw dns --secondary`). Serial numbers
 * compare with RFC 1982 arithmetic (`compareSerials`). Also exported flat
 * from `@tw/core/names`.
 *
 * @example
 * ```ts
 * import { DNSServerFactory, secondary } from "@tw/core/names";
 *
 * const service = secondary.SecondaryAuthorityService.fromServerAddressAndDomains(
 *   ["192.0.2.53", 53],
 *   ["example.com"],
 * );
 * // NOTIFY from 192.0.2.53 to this server makes example.com refresh at once.
 * const factory = new DNSServerFactory({ authorities: service.domains });
 * console.log(factory.authorities.length); // 1
 * ```
 * @module
 */
export {
  type PrimaryAddress,
  type RefreshResult,
  SecondaryAuthority,
  type SecondaryAuthorityOptions,
  SecondaryAuthorityService,
  type SecondaryResolver,
} from "./server/_secondary.ts";
export { compareSerials } from "./server/_ixfr.ts";
