/**
 * UDP for the Deno adapter. `Deno.listenDatagram` exists only with
 * `--unstable-net`; without it (the usual `deno run -A`), node:dgram serves.
 *
 * @module
 */

import type { DatagramOptions, DatagramSocket, SocketAddress } from "../src/internet/socket.ts";
import { toSocketAddress } from "./_deno_raw.ts";
import { normalizeError } from "./_deno_errors.ts";
import { NotSupportedError } from "../src/internet/error.ts";

type Handler = Parameters<DatagramSocket["start"]>[0];

/** Whether Deno's native UDP API is available (needs `--unstable-net`). */
export function hasNativeDatagram(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
}

/** Binds a UDP socket, natively when possible, else through node:dgram. */
export async function bindDatagram(options: DatagramOptions): Promise<DatagramSocket> {
  const hostname = options.hostname ?? "0.0.0.0";
  if (hasNativeDatagram()) {
    try {
      const conn = Deno.listenDatagram({
        transport: "udp",
        hostname,
        port: options.port,
        reuseAddress: options.reuseAddress ?? false,
      });
      return new NativeDatagram(conn);
    } catch (e) {
      throw normalizeError(e);
    }
  }
  return await nodeDatagram(hostname, options);
}

/** A datagram socket over `Deno.DatagramConn`. */
class NativeDatagram implements DatagramSocket {
  #conn: Deno.DatagramConn;
  #address: SocketAddress;
  #memberships = new Map<string, Deno.MulticastV4Membership | Deno.MulticastV6Membership>();
  #closed = false;
  #reading: Promise<void> = Promise.resolve();
  #ttl: number | null = null;
  #loopback: boolean | null = null;

  constructor(conn: Deno.DatagramConn) {
    this.#conn = conn;
    this.#address = toSocketAddress(conn.addr);
  }

  get address(): SocketAddress {
    return this.#address;
  }

  get native(): unknown {
    return this.#conn;
  }

  send(data: Uint8Array, hostname: string, port: number): void {
    this.#conn.send(data, { transport: "udp", hostname, port }).catch(() => {
      // UDP is fire and forget: an unreachable peer is not the sender's error.
    });
  }

  start(handler: Handler): void {
    this.#reading = (async () => {
      while (!this.#closed) {
        try {
          const [data, addr] = await this.#conn.receive();
          const net = addr as Deno.NetAddr;
          handler.onMessage(data, net.hostname, net.port);
        } catch (e) {
          if (this.#closed) return;
          handler.onError(normalizeError(e));
          if ((e as Error).name === "BadResource") return;
        }
      }
    })();
  }

  joinMulticast(group: string, iface?: string): void {
    void (async () => {
      const m = group.includes(":")
        ? await this.#conn.joinMulticastV6(group, 0)
        : await this.#conn.joinMulticastV4(group, iface ?? "0.0.0.0");
      this.#memberships.set(group, m);
      if (this.#ttl !== null && "setTTL" in m) {
        await (m as Deno.MulticastV4Membership).setTTL(this.#ttl);
      }
      if (this.#loopback !== null) await m.setLoopback(this.#loopback);
    })().catch(() => {});
  }

  leaveMulticast(group: string, _iface?: string): void {
    const m = this.#memberships.get(group);
    this.#memberships.delete(group);
    m?.leave().catch(() => {});
  }

  setMulticastTTL(ttl: number): void {
    // Deno sets TTL per membership: apply now and to later joins.
    this.#ttl = ttl;
    for (const m of this.#memberships.values()) {
      if ("setTTL" in m) (m as Deno.MulticastV4Membership).setTTL(ttl).catch(() => {});
    }
  }

  setMulticastLoopback(enabled: boolean): void {
    this.#loopback = enabled;
    for (const m of this.#memberships.values()) m.setLoopback(enabled).catch(() => {});
  }

  setBroadcast(enabled: boolean): void {
    // Deno opens every UDP socket with SO_BROADCAST set (measured on 2.9:
    // sending to 255.255.255.255 works) and offers no way to clear it.
    if (!enabled) {
      throw new NotSupportedError(
        "deno",
        "disabling UDP broadcast with Deno.listenDatagram",
        "Deno's UDP sockets always allow broadcast; run without --unstable-net to use node:dgram",
      );
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch {
        // Already closed.
      }
    }
    // The pending receive() holds the port until it settles: the port is free
    // only once the read loop has ended.
    return this.#reading;
  }
}

async function nodeDatagram(hostname: string, options: DatagramOptions): Promise<DatagramSocket> {
  const dgram = await import("node:dgram");
  const type = hostname.includes(":") ? "udp6" : "udp4";
  const sock = dgram.createSocket({ type, reuseAddr: options.reuseAddress ?? false });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => {
      sock.close();
      reject(normalizeError(e));
    };
    sock.once("error", onError);
    sock.bind(options.port, hostname, () => {
      sock.off("error", onError);
      resolve();
    });
  });
  const a = sock.address();
  const address: SocketAddress = { transport: "udp", hostname: a.address, port: a.port };
  let closed = false;
  // Until `start`, errors must not crash the process.
  sock.on("error", () => {});
  return {
    address,
    native: sock,
    send(data: Uint8Array, host: string, port: number): void {
      if (closed) return;
      sock.send(data, port, host, () => {});
    },
    start(handler: Handler): void {
      sock.on("message", (msg: Uint8Array, rinfo: { address: string; port: number }) => {
        handler.onMessage(
          new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
          rinfo.address,
          rinfo.port,
        );
      });
      sock.on("error", (e: Error) => handler.onError(normalizeError(e)));
    },
    joinMulticast(group: string, iface?: string): void {
      sock.addMembership(group, iface);
    },
    leaveMulticast(group: string, iface?: string): void {
      sock.dropMembership(group, iface);
    },
    setMulticastTTL(ttl: number): void {
      sock.setMulticastTTL(ttl);
    },
    setMulticastLoopback(enabled: boolean): void {
      sock.setMulticastLoopback(enabled);
    },
    setBroadcast(enabled: boolean): void {
      sock.setBroadcast(enabled);
    },
    close(): Promise<void> {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise((resolve) => sock.close(() => resolve()));
    },
  };
}
