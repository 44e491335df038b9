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
