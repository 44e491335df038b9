/**
 * Several resolvers asked in turn (twisted.names.resolve): `ResolverChain`.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { cache, client, hosts, resolve } from "@tw/core/names";
 *
 * const chain = new resolve.ResolverChain([
 *   new hosts.Resolver({ reactor }),
 *   new cache.CacheResolver({ reactor }),
 *   new client.Resolver({ resolv: "/etc/resolv.conf", reactor }),
 * ]);
 * const [answers] = await chain.lookupAddress("localhost");
 * console.log(answers[0].toString()); // localhost. 3600 IN A 127.0.0.1
 * ```
 * @module
 */
export { ResolverChain } from "./client/_chain.ts";
