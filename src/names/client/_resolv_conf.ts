/**
 * resolv.conf(5): the name servers, the local domain and the search list.
 *
 * @module
 */
import { ipv4ToBytes, ipv6ToBytes } from "../wire/_ip.ts";

/** The DNS port. */
export const DNS_PORT = 53;

/** What a resolv.conf says (the parts a stub resolver uses). */
export interface ResolvConf {
  /** The `nameserver` lines, in order, as `[address, port]`. */
  servers: [string, number][];
  /** The `domain` line's name, or null (a later `search` line clears it). */
  domain: string | null;
  /** The `search` line's names, or null (a later `domain` line clears it). */
  search: string[] | null;
}

/** True for an IPv4 dotted quad. */
export function isIPv4Literal(text: string): boolean {
  try {
    ipv4ToBytes(text);
    return true;
  } catch {
    return false;
  }
}

/** True for an IPv6 address (no zone index, no brackets). */
export function isIPv6Literal(text: string): boolean {
  try {
    ipv6ToBytes(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * One `nameserver` value as `[address, port]`, or null when it is not an
 * address: IPv4, IPv6, or OpenBSD's `[address]:port` (and `[address]`).
 */
export function parseNameserver(value: string): [string, number] | null {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed) {
    const host = bracketed[1];
    const port = bracketed[2] === undefined ? DNS_PORT : Number(bracketed[2]);
    if (port < 1 || port > 65535) return null;
    if (!isIPv4Literal(host) && !isIPv6Literal(host)) return null;
    return [host, port];
  }
  if (isIPv4Literal(value) || isIPv6Literal(value)) return [value, DNS_PORT];
  return null;
}

/**
 * Parses resolv.conf text (Twisted's `Resolver.parseConfig`): `nameserver`
 * lines (IPv4, IPv6, OpenBSD's `[address]:port`), `domain` and `search` (the
 * last of the two wins, as in glibc); comments start with `#` or `;`. Lines it
 * does not understand are skipped, as by the C library.
 *
 * @example
 * ```ts
 * import { client } from "@tw/core/names";
 * const conf = client.parseResolvConf("nameserver 192.0.2.53\nnameserver [::1]:5353\nsearch a.example b.example\n");
 * console.log(conf.servers, conf.search); // [ [ "192.0.2.53", 53 ], [ "::1", 5353 ] ] [ "a.example", "b.example" ]
 * ```
 */
export function parseResolvConf(text: string | Uint8Array): ResolvConf {
  const source = typeof text === "string" ? text : new TextDecoder().decode(text);
  const conf: ResolvConf = { servers: [], domain: null, search: null };
  for (const raw of source.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line[0] === "#" || line[0] === ";") continue;
    const words = line.split(/[ \t]+/);
    const comment = words.findIndex((w) => w[0] === "#" || w[0] === ";");
    if (comment > 0) words.length = comment;
    const keyword = words[0];
    if (keyword === "nameserver") {
      const server = words[1] === undefined ? null : parseNameserver(words[1]);
      if (server) conf.servers.push(server);
    } else if (keyword === "domain") {
      conf.domain = words[1] ?? "";
      conf.search = null;
    } else if (keyword === "search") {
      conf.search = words.slice(1);
      conf.domain = null;
    }
  }
  return conf;
}
