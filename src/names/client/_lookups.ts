/**
 * The process-wide resolver (Twisted's `client.createResolver`,
 * `getResolver` and the module-level lookup functions of twisted.names.client).
 *
 * @module
 */
import type { Deferred } from "../../internet/defer.ts";
import { getReactor } from "../../internet/reactor.ts";
import type { LookupResult, LookupTimeout } from "../common.ts";
import type { Query } from "../wire/_message.ts";
import { CacheResolver } from "./_cache.ts";
import { ResolverChain } from "./_chain.ts";
import { Resolver as HostsResolver } from "./_hosts.ts";
import { Resolver, type ResolverReactor } from "./_resolver.ts";

/** Options of {@link createResolver}. */
export interface CreateResolverOptions {
  /** Name servers as `[address, port]`, asked before resolv.conf's. @default [] */
  servers?: readonly (readonly [string, number])[];
  /** The resolv.conf to read. @default "/etc/resolv.conf" */
  resolvconf?: string;
  /** The hosts file to read. @default "/etc/hosts" */
  hosts?: string;
  /** The reactor for sockets, timers and files. @default getReactor() */
  reactor?: ResolverReactor;
}

/**
 * A resolver as Twisted's `createResolver` makes one: a `ResolverChain` of
 * the hosts file, a cache, and a client `Resolver` over resolv.conf (and
 * `servers`, asked first). The chain fills the cache with the client's
 * answers.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { client } from "@tw/core/names";
 *
 * const resolver = client.createResolver({ servers: [["127.0.0.1", 5353]], reactor });
 * console.log(resolver.resolvers.length); // 3
 * console.log(await resolver.getHostByName("localhost")); // 127.0.0.1, from /etc/hosts
 * ```
 */
export function createResolver(options: CreateResolverOptions = {}): ResolverChain {
  const reactor = options.reactor ?? getReactor();
  const theResolver = new Resolver({
    resolv: options.resolvconf ?? "/etc/resolv.conf",
    servers: options.servers,
    reactor,
  });
  const hostResolver = new HostsResolver({ file: options.hosts ?? "/etc/hosts", reactor });
  return new ResolverChain([hostResolver, new CacheResolver({ reactor }), theResolver]);
}

let theResolver: ResolverChain | null = null;

/**
 * The process-wide resolver (Twisted's `getResolver`): made on first use
 * by `createResolver()`, over /etc/resolv.conf and /etc/hosts, on
 * `getReactor()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * console.log(client.getResolver() === client.getResolver()); // true
 * ```
 */
export function getResolver(): ResolverChain {
  return theResolver ??= createResolver();
}

/**
 * The first address of `name` from `getResolver()`, following CNAMEs: IPv4
 * first, then IPv6 (Twisted's `client.getHostByName`).
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * console.log(await client.getHostByName("localhost")); // 127.0.0.1
 * ```
 */
export function getHostByName(
  name: string,
  timeout?: LookupTimeout,
  effort = 10,
): Deferred<string> {
  return getResolver().getHostByName(name, timeout, effort);
}

/**
 * Answers one question with `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client, MX, Query } from "@tw/core/names";
 * const [answers] = await client.query(new Query("example.com", MX));
 * console.log(answers.length > 0);
 * ```
 */
export function query(query: Query, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().query(query, timeout);
}

/**
 * A records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupAddress("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupAddress(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupAddress(name, timeout);
}

/**
 * AAAA records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupIPV6Address("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupIPV6Address(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupIPV6Address(name, timeout);
}

/**
 * A6 records (obsolete, RFC 6563) of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupAddress6("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupAddress6(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupAddress6(name, timeout);
}

/**
 * MX records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupMailExchange("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupMailExchange(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupMailExchange(name, timeout);
}

/**
 * NS records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupNameservers("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupNameservers(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupNameservers(name, timeout);
}

/**
 * CNAME records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupCanonicalName("www.example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupCanonicalName(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupCanonicalName(name, timeout);
}

/**
 * MB records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupMailBox("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupMailBox(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupMailBox(name, timeout);
}

/**
 * MG records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupMailGroup("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupMailGroup(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupMailGroup(name, timeout);
}

/**
 * MR records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupMailRename("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupMailRename(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupMailRename(name, timeout);
}

/**
 * PTR records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupPointer("1.2.0.192.in-addr.arpa");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupPointer(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupPointer(name, timeout);
}

/**
 * SOA records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupAuthority("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupAuthority(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupAuthority(name, timeout);
}

/**
 * NULL records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupNull("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupNull(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupNull(name, timeout);
}

/**
 * WKS records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupWellKnownServices("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupWellKnownServices(
  name: string,
  timeout?: LookupTimeout,
): Deferred<LookupResult> {
  return getResolver().lookupWellKnownServices(name, timeout);
}

/**
 * SRV records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupService("_imaps._tcp.example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupService(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupService(name, timeout);
}

/**
 * HINFO records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupHostInfo("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupHostInfo(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupHostInfo(name, timeout);
}

/**
 * MINFO records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupMailboxInfo("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupMailboxInfo(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupMailboxInfo(name, timeout);
}

/**
 * TXT records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupText("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupText(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupText(name, timeout);
}

/**
 * SPF records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupSenderPolicy("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupSenderPolicy(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupSenderPolicy(name, timeout);
}

/**
 * RP records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupResponsibility("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupResponsibility(
  name: string,
  timeout?: LookupTimeout,
): Deferred<LookupResult> {
  return getResolver().lookupResponsibility(name, timeout);
}

/**
 * AFSDB records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupAFSDatabase("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupAFSDatabase(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupAFSDatabase(name, timeout);
}

/**
 * NAPTR records of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupNamingAuthorityPointer("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupNamingAuthorityPointer(
  name: string,
  timeout?: LookupTimeout,
): Deferred<LookupResult> {
  return getResolver().lookupNamingAuthorityPointer(name, timeout);
}

/**
 * Every record (type ANY) of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupAllRecords("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupAllRecords(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupAllRecords(name, timeout);
}

/**
 * A zone transfer (AXFR) from the first name server of `name`, from `getResolver()`.
 *
 * @example
 * ```ts
 * import "@tw/core";
 * import { client } from "@tw/core/names";
 * const [answers] = await client.lookupZone("example.com");
 * for (const rr of answers) console.log(rr.toString());
 * ```
 */
export function lookupZone(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
  return getResolver().lookupZone(name, timeout);
}
