/**
 * hosts(5) lookups (twisted.names.hosts): `Resolver` answers A and AAAA
 * questions from a hosts file, read again when it changes.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { hosts } from "@tw/core/names";
 *
 * const resolver = new hosts.Resolver({ file: "/etc/hosts", ttl: 300, reactor });
 * console.log(await resolver.getHostByName("localhost")); // 127.0.0.1
 * ```
 * @module
 */
export {
  type HostsResolverOptions,
  parseHostsFile,
  Resolver,
  searchFileFor,
  searchFileForAll,
} from "./client/_hosts.ts";
export type { FileReader, IReactorFiles } from "./client/_watched_file.ts";
