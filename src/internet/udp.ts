/**
 * UDP ports (`reactor.listenUDP`, `reactor.listenMulticast`): a port is both the
 * `IListeningPort` and the `DatagramProtocol`'s transport. Addresses are
 * `[host, port]` and must be IP literals, as in Twisted.
 *
 * Binding is asynchronous: the protocol's `startProtocol` runs once the socket
 * is bound, and `whenListening()` fires then (or fails with
 * `CannotListenError`; logged when nobody asked). Writing before that throws.
 *
 * Received datagrams longer than `maxPacketSize` are truncated to it, as a
 * `recvfrom` with a buffer of that size does in Twisted.
 *
 * @module
 */
import { checkPort } from "./_error_causes.ts";
import type { DatagramSocket, RuntimeNetwork } from "./socket.ts";
import type {
  IListeningPort,
  ListenMulticastOptions as BaseListenMulticastOptions,
  ListenUDPOptions as BaseListenUDPOptions,
} from "./interfaces.ts";
import type { DatagramAddress, DatagramProtocol, IUDPTransport } from "./protocol.ts";
import { IPv4Address, IPv6Address, isIPv4, isIPv6 } from "./address.ts";
import { Deferred, fail, succeed } from "./defer.ts";
import { CannotListenError } from "./error.ts";
import { Logger } from "../logger/_publisher.ts";
import { type LiveResource, trackResource, untrackResource } from "./_live.ts";

const log = new Logger("tw.internet.udp");

/** Options for `listenUDP` (see `interfaces.ts`), plus where errors are logged. */
export interface ListenUDPOptions extends BaseListenUDPOptions {
  /** Where protocol errors are logged. @default new Logger("tw.internet.udp") */
  logger?: Logger;
}

/** Options for `listenMulticast` (see `interfaces.ts`), plus where errors are logged. */
export interface ListenMulticastOptions extends BaseListenMulticastOptions {
  /** Where protocol errors are logged. @default new Logger("tw.internet.udp") */
  logger?: Logger;
}

function isRefused(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown } | null;
  return e?.code === "ECONNREFUSED" || e?.name === "ConnectionRefused";
}

function checkIP(host: string): void {
  if (!isIPv4(host) && !isIPv6(host)) {
    throw new TypeError(`UDP needs an IP address, not a host name: ${host}`);
  }
}

/**
 * A UDP port: the `IListeningPort` and the protocol's transport (`IUDPTransport`).
 * `reactor.listenUDP` makes one and starts it.
 *
 * @example
 * ```ts
 * import { DatagramProtocol, Deferred, type IPv4Address, reactor } from "@tw/core";
 *
 * const received = new Deferred<string>();
 * class Listener extends DatagramProtocol {
 *   override datagramReceived(data: Uint8Array): void {
 *     received.callback(new TextDecoder().decode(data));
 *   }
 * }
 * const port = reactor.listenUDP(0, new Listener(), { interface: "127.0.0.1" });
 * await port.whenListening();
 * const { port: number } = port.getHost() as IPv4Address;
 * port.write(new TextEncoder().encode("ping"), ["127.0.0.1", number]); // to itself
 * console.log(await received); // "ping"
 * await port.stopListening();
 * ```
 */
export class UDPPort implements IListeningPort, IUDPTransport, LiveResource {
  /** The largest datagram read; longer ones are truncated. */
  readonly maxPacketSize: number;
  #runtime: RuntimeNetwork;
  #port: number;
  #iface: string;
  #reuse: boolean;
  #protocol: DatagramProtocol;
  #log: Logger;
  #socket: DatagramSocket | null = null;
  #state: "idle" | "binding" | "listening" | "failed" | "stopping" | "stopped" = "idle";
  #error: CannotListenError | null = null;
  #waiters: Deferred<UDPPort>[] = [];
  #stopWaiters: Deferred<void>[] = [];
  #asked = false;
  #connected: DatagramAddress | null = null;
  #checkedHost = "";
  #ttl = 1;
  #loopback = true;
  #broadcast = false;

  /**
   * Creates a UDP port; `startListening()` binds it.
   * @param runtime the socket interface
   * @param port the port to bind (0 for a free one)
   * @param protocol the datagram protocol
   * @param options interface, packet size, reuse, logger
   */
  constructor(
    runtime: RuntimeNetwork,
    port: number,
    protocol: DatagramProtocol,
    options: ListenMulticastOptions = {},
  ) {
    this.#runtime = runtime;
    this.#port = port;
    this.#iface = options.interface ?? "";
    this.#reuse = options.listenMultiple ?? false;
    this.#protocol = protocol;
    this.maxPacketSize = options.maxPacketSize ?? 8192;
    this.#log = options.logger ?? log;
  }

  /** The protocol. */
  get protocol(): DatagramProtocol {
    return this.#protocol;
  }

  /** The bound datagram socket, or null when not listening. */
  get socket(): DatagramSocket | null {
    return this.#socket;
  }

  /** `"UDP port"`, for the leak check. */
  get resourceKind(): string {
    return "UDP port";
  }

  /** Names the port by its address, for the leak check. */
  describeResource(): string {
    return `${this.#protocol.constructor.name} on ${String(this.getHost())}`;
  }

  /** Stops listening (after a failed leak check). */
  closeResource(): void {
    this.stopListening();
  }

  /** Binds (asynchronously); the protocol starts once bound. */
  startListening(): void {
    if (this.#state !== "idle") return;
    this.#state = "binding";
    let p: Promise<DatagramSocket>;
    try {
      p = this.#runtime.bindDatagram({
        hostname: this.#iface || "0.0.0.0",
        port: this.#port,
        reuseAddress: this.#reuse,
      });
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then((socket) => this.#bound(socket), (e) => this.#bindFailed(e));
  }

  #bound(socket: DatagramSocket): void {
    if (this.#state === "stopping") {
      socket.close().catch(() => {}).then(() => this.#stopped(false));
      return;
    }
    this.#socket = socket;
    this.#state = "listening";
    trackResource(this);
    socket.start({
      onMessage: (data, host, port) => this.#received(data, host, port),
      onError: (e) => this.#socketError(e),
    });
    try {
      this.#protocol.makeConnection(this);
    } catch (e) {
      this.#log.failure("Unhandled error in startProtocol", e, "error");
    }
    for (const d of this.#waiters.splice(0)) d.callback(this);
  }

  #bindFailed(cause: unknown): void {
    const error = new CannotListenError(this.#iface, this.#port, cause);
    this.#error = error;
    const wasStopping = this.#state === "stopping";
    this.#state = "failed";
    if (!this.#asked) this.#log.failure("{message}", error, "error", { message: error.message });
    for (const d of this.#waiters.splice(0)) d.errback(error);
    if (wasStopping) { for (const d of this.#stopWaiters.splice(0)) d.callback(undefined); }
  }

  #received(data: Uint8Array, host: string, port: number): void {
    if (this.#state !== "listening") return;
    const c = this.#connected;
    if (c && (c[0] !== host || c[1] !== port)) return;
    const d = data.byteLength > this.maxPacketSize ? data.slice(0, this.maxPacketSize) : data;
    try {
      this.#protocol.datagramReceived(d, [host, port]);
    } catch (e) {
      this.#log.failure("Unhandled error in datagramReceived", e, "error");
    }
  }

  #socketError(error: Error): void {
    if (this.#state !== "listening") return;
    if (this.#connected && isRefused(error)) {
      try {
        this.#protocol.connectionRefused();
      } catch (e) {
        this.#log.failure("Unhandled error in connectionRefused", e, "error");
      }
      return;
    }
    this.#log.failure("UDP socket error", error, "warn");
  }

  /** Fires with this port once bound; fails with `CannotListenError`. */
  whenListening(): Deferred<UDPPort> {
    this.#asked = true;
    if (this.#state === "listening") return succeed(this);
    if (this.#error) return fail(this.#error);
    if (this.#state === "stopping" || this.#state === "stopped") {
      return fail(new CannotListenError(this.#iface, this.#port, "port was stopped"));
    }
    const d = new Deferred<UDPPort>();
    this.#waiters.push(d);
    return d;
  }

  /**
   * Sends `data` to `addr`, or to the connected address. Throws when not bound
   * yet, when `addr` is missing on an unconnected port, or names another peer
   * on a connected one.
   */
  write(data: Uint8Array, addr?: DatagramAddress): void {
    if (!this.#socket || this.#state !== "listening") {
      throw new Error("UDP port is not listening (wait for whenListening())");
    }
    const c = this.#connected;
    let target: DatagramAddress;
    if (c) {
      if (addr && (addr[0] !== c[0] || addr[1] !== c[1])) {
        throw new Error(`Connected UDP port cannot write to ${addr[0]}:${addr[1]}`);
      }
      target = c;
    } else {
      if (!addr) throw new TypeError("An unconnected UDP port needs an address to write to");
      // A server answers the same few peers over and over: check each host once.
      if (addr[0] !== this.#checkedHost) {
        checkIP(addr[0]);
        this.#checkedHost = addr[0];
      }
      target = addr;
    }
    try {
      this.#socket.send(data, target[0], target[1]);
    } catch (e) {
      if (c && isRefused(e)) this.#protocol.connectionRefused();
      else throw e;
    }
  }

  /** Writes each chunk as its own datagram (Twisted joins them; datagrams do not). */
  writeSequence(chunks: Iterable<Uint8Array>, addr?: DatagramAddress): void {
    for (const chunk of chunks) this.write(chunk, addr);
  }

  /** Restricts this port to one peer: writes go there, datagrams from others are dropped. */
  connect(host: string, port: number): void {
    if (this.#connected) throw new Error("UDP port is already connected");
    checkIP(host);
    this.#connected = [host, port];
  }

  /** Stops listening: closes the socket, then `stopProtocol`, then fires. */
  stopListening(): Deferred<void> {
    const d = new Deferred<void>();
    switch (this.#state) {
      case "idle":
      case "failed":
      case "stopped":
        d.callback(undefined);
        return d;
      case "stopping":
      case "binding":
        if (this.#state === "binding") {
          for (const w of this.#waiters.splice(0)) {
            w.errback(new CannotListenError(this.#iface, this.#port, "port was stopped"));
          }
        }
        this.#state = "stopping";
        this.#stopWaiters.push(d);
        return d;
      case "listening": {
        this.#state = "stopping";
        this.#stopWaiters.push(d);
        this.#socket!.close().then(() => this.#stopped(true), (e) => {
          this.#log.failure("Error closing the UDP socket", e, "warn");
          this.#stopped(true);
        });
        return d;
      }
    }
  }

  #stopped(started: boolean): void {
    this.#state = "stopped";
    this.#socket = null;
    untrackResource(this);
    if (started) {
      try {
        this.#protocol.doStop();
      } catch (e) {
        this.#log.failure("Unhandled error in stopProtocol", e, "error");
      }
    }
    for (const d of this.#stopWaiters.splice(0)) d.callback(undefined);
  }

  /** Same as `stopListening`. */
  loseConnection(): void {
    this.stopListening();
  }

  /** The bound address, as `IPv4Address("UDP", ...)` or `IPv6Address`. */
  getHost(): IPv4Address | IPv6Address {
    const a = this.#socket?.address;
    const host = a && a.transport !== "unix" ? a.hostname : (this.#iface || "0.0.0.0");
    const port = a && a.transport !== "unix" ? a.port : this.#port;
    return isIPv6(host) ? new IPv6Address("UDP", host, port) : new IPv4Address("UDP", host, port);
  }

  #need(): DatagramSocket {
    if (!this.#socket) throw new Error("UDP port is not listening (wait for whenListening())");
    return this.#socket;
  }

  #attempt(fn: () => void): Deferred<void> {
    try {
      fn();
      return succeed(undefined);
    } catch (e) {
      return fail(e);
    }
  }

  /** Joins multicast group `addr` (an IP) on `iface`; fires when done. */
  joinGroup(addr: string, iface?: string): Deferred<void> {
    return this.#attempt(() => this.#need().joinMulticast(addr, iface || undefined));
  }

  /** Leaves multicast group `addr`; fires when done. */
  leaveGroup(addr: string, iface?: string): Deferred<void> {
    return this.#attempt(() => this.#need().leaveMulticast(addr, iface || undefined));
  }

  /** Sets whether this socket receives its own multicast datagrams. */
  setLoopbackMode(mode: boolean | number): void {
    this.#need().setMulticastLoopback(Boolean(mode));
    this.#loopback = Boolean(mode);
  }

  /** Whether multicast loopback is on. */
  getLoopbackMode(): boolean {
    return this.#loopback;
  }

  /** Sets the multicast time-to-live. */
  setTTL(ttl: number): void {
    this.#need().setMulticastTTL(ttl);
    this.#ttl = ttl;
  }

  /** The multicast time-to-live. */
  getTTL(): number {
    return this.#ttl;
  }

  /** Allows sending to broadcast addresses. */
  setBroadcastAllowed(enabled: boolean): void {
    this.#need().setBroadcast(enabled);
    this.#broadcast = enabled;
  }

  /** Whether sending to broadcast addresses is allowed. */
  getBroadcastAllowed(): boolean {
    return this.#broadcast;
  }
}

/** `reactor.listenUDP`: binds `port` for `protocol`; the port is its transport. */
export function listenUDP(
  runtime: RuntimeNetwork,
  port: number,
  protocol: DatagramProtocol,
  options: ListenUDPOptions = {},
): UDPPort {
  checkPort(port, true);
  const p = new UDPPort(runtime, port, protocol, options);
  p.startListening();
  return p;
}

/** `reactor.listenMulticast`: `listenUDP` with the multicast methods used, optionally shared. */
export function listenMulticast(
  runtime: RuntimeNetwork,
  port: number,
  protocol: DatagramProtocol,
  options: ListenMulticastOptions = {},
): UDPPort {
  checkPort(port, true);
  const p = new UDPPort(runtime, port, protocol, options);
  p.startListening();
  return p;
}
