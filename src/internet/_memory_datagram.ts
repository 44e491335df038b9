/**
 * The datagram sockets of `MemoryNetwork`: bound to an address of the network,
 * they hand what they send to it for routing, and take what it routes to them.
 *
 * @module
 */
import type { DatagramSocket, SocketAddress } from "./socket.ts";

/** What a memory datagram socket needs from the network that bound it. */
export interface DatagramRouter {
  /** Routes a datagram (dropped when nothing is bound there, as UDP does). */
  deliver(from: MemoryDatagramSocket, data: Uint8Array, host: string, port: number): void;
  /** Frees the socket's address. */
  unbind(socket: MemoryDatagramSocket): void;
}

export class MemoryDatagramSocket implements DatagramSocket {
  readonly address: SocketAddress;
  #router: DatagramRouter;
  #handler:
    | { onMessage(d: Uint8Array, h: string, p: number): void; onError(e: Error): void }
    | null = null;
  #early: [Uint8Array, string, number][] = [];
  /** Multicast groups joined. */
  readonly groups: Set<string> = new Set();
  /** Multicast TTL set. */
  ttl = 1;
  /** Multicast loopback. */
  loopback = true;
  /** Broadcast allowed. */
  broadcast = false;
  closedFlag = false;

  constructor(router: DatagramRouter, address: SocketAddress) {
    this.#router = router;
    this.address = address;
  }
  get native(): unknown {
    return null;
  }
  send(data: Uint8Array, hostname: string, port: number): void {
    if (this.closedFlag) throw new Error("Datagram socket is closed");
    this.#router.deliver(this, data.slice(), hostname, port);
  }
  receive(data: Uint8Array, from: SocketAddress): void {
    if (this.closedFlag || from.transport === "unix") return;
    if (this.#handler) this.#handler.onMessage(data, from.hostname, from.port);
    else this.#early.push([data, from.hostname, from.port]);
  }
  start(handler: {
    onMessage(data: Uint8Array, hostname: string, port: number): void;
    onError(error: Error): void;
  }): void {
    this.#handler = handler;
    for (const [d, h, p] of this.#early.splice(0)) handler.onMessage(d, h, p);
  }
  joinMulticast(group: string, _iface?: string): void {
    this.groups.add(group);
  }
  leaveMulticast(group: string, _iface?: string): void {
    this.groups.delete(group);
  }
  setMulticastTTL(ttl: number): void {
    this.ttl = ttl;
  }
  setMulticastLoopback(enabled: boolean): void {
    this.loopback = enabled;
  }
  setBroadcast(enabled: boolean): void {
    this.broadcast = enabled;
  }
  close(): Promise<void> {
    if (!this.closedFlag) {
      this.closedFlag = true;
      this.#router.unbind(this);
    }
    return Promise.resolve();
  }
}
