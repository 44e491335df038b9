/**
 * Address classes of `twisted.internet.address`, returned by `getPeer()` and
 * `getHost()` and passed to `buildProtocol(addr)`.
 *
 * @example
 * ```ts
 * import { IPv4Address } from "@tw/core/protocol";
 * const addr = new IPv4Address("TCP", "127.0.0.1", 8080);
 * console.log(String(addr)); // IPv4Address(TCP, 127.0.0.1, 8080)
 * ```
 * @module
 */
import type { SocketAddress } from "./socket.ts";

/**
 * An IPv4 endpoint address.
 *
 * @example
 * ```ts
 * import { IPv4Address } from "@tw/core";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const transport = new StringTransport({
 *   peerAddress: new IPv4Address("TCP", "192.0.2.7", 40000),
 * });
 * const peer = transport.getPeer();
 * if (peer instanceof IPv4Address) console.log(peer.host, peer.port); // 192.0.2.7 40000
 * ```
 */
export class IPv4Address {
  /** "TCP" or "UDP". */
  readonly type: "TCP" | "UDP";
  /** The dotted-quad address. */
  readonly host: string;
  /** The port number. */
  readonly port: number;
  /**
   * Creates an IPv4 address.
   * @param type "TCP" or "UDP"
   * @param host the dotted-quad address
   * @param port the port number
   */
  constructor(type: "TCP" | "UDP", host: string, port: number) {
    this.type = type;
    this.host = host;
    this.port = port;
  }
  /** Returns `IPv4Address(TCP, host, port)`. */
  toString(): string {
    return `IPv4Address(${this.type}, ${this.host}, ${this.port})`;
  }
}

/**
 * An IPv6 endpoint address.
 *
 * @example
 * ```ts
 * import { IPv6Address } from "@tw/core";
 * import { MemoryReactor } from "@tw/core/testing";
 * import { Factory, Protocol } from "@tw/core/protocol";
 *
 * const reactor = new MemoryReactor();
 * const port = reactor.listenTCP(8080, Factory.forProtocol(Protocol), { interface: "::1" });
 * const host = port.getHost();
 * console.log(host instanceof IPv6Address, String(host)); // true IPv6Address(TCP, ::1, 8080)
 * ```
 */
export class IPv6Address {
  /** "TCP" or "UDP". */
  readonly type: "TCP" | "UDP";
  /** The address, without brackets. */
  readonly host: string;
  /** The port number. */
  readonly port: number;
  /**
   * Creates an IPv6 address.
   * @param type "TCP" or "UDP"
   * @param host the address, without brackets
   * @param port the port number
   */
  constructor(type: "TCP" | "UDP", host: string, port: number) {
    this.type = type;
    this.host = host;
    this.port = port;
  }
  /** Returns `IPv6Address(TCP, host, port)`. */
  toString(): string {
    return `IPv6Address(${this.type}, ${this.host}, ${this.port})`;
  }
}

/**
 * A Unix socket address; `name` is the path, or null for an unnamed socket.
 *
 * @example
 * ```ts
 * import { UNIXAddress } from "@tw/core";
 * import { MemoryReactor } from "@tw/core/testing";
 * import { Factory, Protocol } from "@tw/core/protocol";
 *
 * const reactor = new MemoryReactor();
 * const port = reactor.listenUNIX("/tmp/app.sock", Factory.forProtocol(Protocol));
 * const host = port.getHost() as UNIXAddress;
 * console.log(host.name); // "/tmp/app.sock"
 * ```
 */
export class UNIXAddress {
  /** The socket's path, or null. */
  readonly name: string | null;
  /**
   * Creates a Unix socket address.
   * @param name the socket's path, or null
   */
  constructor(name: string | null) {
    this.name = name;
  }
  /** Returns `UNIXAddress(name)`. */
  toString(): string {
    return `UNIXAddress(${this.name})`;
  }
}

/**
 * The address of a process's pipes (`twisted.internet._process` transports).
 *
 * @example
 * ```ts
 * import { type Address, ProcessAddress } from "@tw/core";
 *
 * function describe(address: Address): string {
 *   return address instanceof ProcessAddress ? "a child process" : String(address);
 * }
 * console.log(describe(new ProcessAddress())); // "a child process"
 * ```
 */
export class ProcessAddress {
  /** Returns `ProcessAddress()`. */
  toString(): string {
    return "ProcessAddress()";
  }
}

/** Any address a transport reports. */
export type Address = IPv4Address | IPv6Address | UNIXAddress | ProcessAddress;

/**
 * Converts an adapter's socket address to Twisted's address class.
 *
 * @example
 * ```ts
 * import { fromSocketAddress } from "@tw/core";
 *
 * const address = fromSocketAddress({ transport: "tcp", hostname: "[::1]", port: 8080 });
 * console.log(String(address)); // IPv6Address(TCP, ::1, 8080)
 * ```
 */
export function fromSocketAddress(address: SocketAddress): IPv4Address | IPv6Address | UNIXAddress {
  if (address.transport === "unix") return new UNIXAddress(address.path || null);
  const type = address.transport === "udp" ? "UDP" : "TCP";
  // A socket reset before the runtime read its ends may report none: "" and 0,
  // never a crash in the accept or connect path.
  const host = (address.hostname ?? "").replace(/^\[|\]$/g, "");
  const port = address.port ?? 0;
  return isIPv6(host) ? new IPv6Address(type, host, port) : new IPv4Address(type, host, port);
}

/**
 * True when `host` is an IPv6 literal (it contains a colon).
 *
 * @example
 * ```ts
 * import { isIPv6 } from "@tw/core";
 * console.log(isIPv6("::1"), isIPv6("127.0.0.1")); // true false
 * ```
 */
export function isIPv6(host: string): boolean {
  return host.includes(":");
}

/**
 * True when `host` is an IPv4 dotted-quad literal.
 *
 * @example
 * ```ts
 * import { isIPv4 } from "@tw/core";
 * console.log(isIPv4("192.0.2.1"), isIPv4("300.1.1.1"), isIPv4("example.org")); // true false false
 * ```
 */
export function isIPv4(host: string): boolean {
  const parts = host.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
