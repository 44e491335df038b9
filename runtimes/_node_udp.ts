/**
 * UDP for the node adapter, over `node:dgram`. Imported by runtimes/node.ts
 * on the first `bindDatagram`.
 *
 * @module
 */
import type * as dgram from "node:dgram";
import type { DatagramOptions, DatagramSocket, SocketAddress } from "../src/internet/socket.ts";
import { nodeDgram, nodeNet } from "./_node_lazy.ts";
import { normalizeError } from "./_node_errors.ts";

// ---------------------------------------------------------------------------
// UDP

/** Datagrams kept between the bind and `start` (beyond that, UDP may drop them anyway). */
const MAX_EARLY_DATAGRAMS = 256;

type DatagramHandler = Parameters<DatagramSocket["start"]>[0];

/** A `DatagramSocket` over a `dgram.Socket`. */
class NodeDatagramSocket implements DatagramSocket {
  readonly address: SocketAddress;
  #sock: dgram.Socket;
  #handler: DatagramHandler | null = null;
  #early: [Uint8Array, string, number][] = [];

  constructor(sock: dgram.Socket) {
    this.#sock = sock;
    const bound = sock.address();
    this.address = { transport: "udp", hostname: bound.address, port: bound.port };
    sock.on("error", (error) => this.#handler?.onError(normalizeError(error)));
    sock.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => {
      const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      if (this.#handler) this.#handler.onMessage(data, rinfo.address, rinfo.port);
      else if (this.#early.length < MAX_EARLY_DATAGRAMS) {
        this.#early.push([data, rinfo.address, rinfo.port]);
      }
    });
  }

  get native(): unknown {
    return this.#sock;
  }

  send(data: Uint8Array, hostname: string, port: number): void {
    // No callback: a failed send is an "error" event, handled above. A callback
    // per datagram costs Node a completion request each (~15% of a DNS server's time).
    this.#sock.send(data, port, hostname);
  }

  start(handler: DatagramHandler): void {
    this.#handler = handler;
    for (const [data, hostname, port] of this.#early.splice(0)) {
      handler.onMessage(data, hostname, port);
    }
  }

  joinMulticast(group: string, iface?: string): void {
    this.#sock.addMembership(group, iface);
  }

  leaveMulticast(group: string, iface?: string): void {
    this.#sock.dropMembership(group, iface);
  }

  setMulticastTTL(ttl: number): void {
    this.#sock.setMulticastTTL(ttl);
  }

  setMulticastLoopback(enabled: boolean): void {
    this.#sock.setMulticastLoopback(enabled);
  }

  setBroadcast(enabled: boolean): void {
    this.#sock.setBroadcast(enabled);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.#sock.close(() => resolve());
      } catch {
        resolve(); // Already closed.
      }
    });
  }
}

export function bindDatagram(options: DatagramOptions): Promise<DatagramSocket> {
  const hostname = options.hostname ?? "0.0.0.0";
  const sock = nodeDgram().createSocket({
    type: nodeNet().isIPv6(hostname) ? "udp6" : "udp4",
    reuseAddr: options.reuseAddress ?? false,
  });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      sock.close();
      reject(normalizeError(error));
    };
    sock.once("error", onError);
    sock.bind({ address: hostname, port: options.port }, () => {
      sock.off("error", onError);
      resolve(new NodeDatagramSocket(sock));
    });
  });
}
