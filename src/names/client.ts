/**
 * The DNS client (twisted.names.client): `Resolver`, a stub resolver over
 * UDP and TCP with Twisted's retry sequence; `createResolver`, the chain of
 * hosts file, cache and client that Twisted builds; `getResolver`, the
 * process-wide one; and the module-level lookups that use it.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { client, DNSNameError, type Record_MX } from "@tw/core/names";
 *
 * const resolver = new client.Resolver({ servers: [["127.0.0.1", 53]], reactor });
 * try {
 *   const [answers] = await resolver.lookupMailExchange("example.com");
 *   for (const rr of answers) console.log((rr.payload as Record_MX).name.name);
 * } catch (error) {
 *   if (error instanceof DNSNameError) console.log("no such domain");
 * }
 * ```
 * @module
 */
export { Resolver, type ResolverOptions, type ResolverReactor } from "./client/_resolver.ts";
export { parseResolvConf, type ResolvConf } from "./client/_resolv_conf.ts";
export type { FileReader, IReactorFiles } from "./client/_watched_file.ts";
export {
  createResolver,
  type CreateResolverOptions,
  getHostByName,
  getResolver,
  lookupAddress,
  lookupAddress6,
  lookupAFSDatabase,
  lookupAllRecords,
  lookupAuthority,
  lookupCanonicalName,
  lookupHostInfo,
  lookupIPV6Address,
  lookupMailBox,
  lookupMailboxInfo,
  lookupMailExchange,
  lookupMailGroup,
  lookupMailRename,
  lookupNameservers,
  lookupNamingAuthorityPointer,
  lookupNull,
  lookupPointer,
  lookupResponsibility,
  lookupSenderPolicy,
  lookupService,
  lookupText,
  lookupWellKnownServices,
  lookupZone,
  query,
} from "./client/_lookups.ts";
