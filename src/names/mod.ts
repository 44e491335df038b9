/**
 * twisted.names for TypeScript: DNS messages, resolvers and servers over the
 * reactor's UDP and TCP, on Deno, Bun and Node. Twisted's modules are
 * namespaces here (`dns`, `error` ...), and their names are also exported flat.
 *
 * @example
 * ```ts
 * import { dns, Message, Record_MX } from "@tw/core/names";
 * console.log(dns.Message === Message, new Record_MX(10, "mx.example.com").toText());
 * // true 10 mx.example.com.
 * ```
 * @module
 */
// Importing this entry point alone installs the reactor its defaults use
// (`getReactor()`: the resolvers and servers), as Twisted's `from
// twisted.internet import reactor` does.
import "../../runtimes/select.ts";
export * as dns from "./dns.ts";
export * as error from "./error.ts";
export * from "./dns.ts";
export * from "./error.ts";
export * as common from "./common.ts";
export {
  exceptionForCode,
  type IResolver,
  type LookupResult,
  type LookupTimeout,
  ResolverBase,
} from "./common.ts";
export * as client from "./client.ts";
export * as hosts from "./hosts.ts";
export * as cache from "./cache.ts";
export * as resolve from "./resolve.ts";
export * as authority from "./authority.ts";
export * as server from "./server.ts";
export * as srvconnect from "./srvconnect.ts";
export * as secondary from "./secondary.ts";
export * as root from "./root.ts";
export type { RootResolverOptions } from "./root.ts";
// Flat: the client's `Resolver` is the `Resolver`; the hosts file one is `hosts.Resolver`.
export * from "./client.ts";
export {
  type HostsResolverOptions,
  parseHostsFile,
  searchFileFor,
  searchFileForAll,
} from "./hosts.ts";
export * from "./cache.ts";
export * from "./resolve.ts";
export * from "./authority.ts";
export * from "./server.ts";
export * from "./srvconnect.ts";
export {
  type PrimaryAddress,
  type RefreshResult,
  SecondaryAuthority,
  type SecondaryAuthorityOptions,
  SecondaryAuthorityService,
  type SecondaryResolver,
} from "./secondary.ts";
