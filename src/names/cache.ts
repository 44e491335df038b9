/**
 * An in-memory caching resolver (twisted.names.cache): `CacheResolver`,
 * with TTLs that count down, negative caching (RFC 2308) and a size bound.
 *
 * @example
 * ```ts
 * import { cache, DNSNameError, Query, Record_SOA, RRHeader } from "@tw/core/names";
 * import { Clock } from "@tw/core/testing";
 *
 * const clock = new Clock();
 * const resolver = new cache.CacheResolver({ reactor: clock, maxEntries: 1000 });
 * const soa = new RRHeader({
 *   name: "example.com",
 *   ttl: 3600,
 *   payload: new Record_SOA({ mname: "ns.example.com", minimum: 300 }),
 * });
 * resolver.cacheNameError(new Query("nope.example.com"), [soa]);
 * try {
 *   await resolver.lookupAddress("nope.example.com");
 * } catch (error) {
 *   console.log(error instanceof DNSNameError); // true, for 300 seconds
 * }
 * ```
 * @module
 */
export { CacheResolver, type CacheResolverOptions } from "./client/_cache.ts";
