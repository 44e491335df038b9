/**
 * Address objects shared between connections: every connection a server
 * accepts has the same local address, and many share a peer host, so an
 * idle connection keeps one object and one string less.
 * @module
 */
import type { SocketAddress } from "../src/internet/socket.ts";

const localEnds = new Map<string, SocketAddress>();
const peerHosts = new Map<string, string>();

function shared<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= 256) cache.clear();
    value = make();
    cache.set(key, value);
  }
  return value;
}

/** The (frozen, shared) TCP address `hostname:port` of this side. */
export function localTcpEnd(hostname: string, port: number): SocketAddress {
  return shared(
    localEnds,
    `${hostname} ${port}`,
    () => Object.freeze({ transport: "tcp", hostname, port }),
  );
}

/** The peer's host name, one string per distinct host. */
export function peerHost(hostname: string): string {
  return shared(peerHosts, hostname, () => hostname);
}
