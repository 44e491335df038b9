/**
 * A `RawConn` over a node stream socket: a node:tls `TLSSocket` layered on a
 * Deno connection, or a node:net socket where `Deno.connect` cannot do the job
 * (binding a local address before connecting).
 *
 * @module
 */

import type { Socket as NetSocket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { SocketAddress, TlsInfo } from "../src/internet/socket.ts";
import type { RawConn } from "./_deno_raw.ts";
import { normalizeError } from "./_deno_errors.ts";

/** A `RawConn` reading and writing through a node stream socket. */
export class NodeStreamRaw implements RawConn {
  #sock: NetSocket;
  #base: RawConn | null;
  #chunks: (Uint8Array | null)[] = [];
  #error: Error | null = null;
  #ended = false;
  #waiter: { resolve(c: Uint8Array | null): void; reject(e: Error): void } | null = null;
  #info: TlsInfo | null;
  #local: SocketAddress;
  #remote: SocketAddress;

  /** A TLS socket layered on `base` (which owns the addresses and TCP options). */
  static overTls(tls: TLSSocket, base: RawConn): NodeStreamRaw {
    const alpn = tls.alpnProtocol;
    const info = { alpnProtocol: typeof alpn === "string" ? alpn : null };
    return new NodeStreamRaw(tls, base, info, base.localAddress, base.remoteAddress);
  }

  /** A connected node:net socket. */
  static overNet(sock: NetSocket): NodeStreamRaw {
    const address = (host: string | undefined, port: number | undefined): SocketAddress => ({
      transport: "tcp",
      hostname: host ?? "",
      port: port ?? 0,
    });
    return new NodeStreamRaw(
      sock,
      null,
      null,
      address(sock.localAddress, sock.localPort),
      address(sock.remoteAddress, sock.remotePort),
    );
  }

  private constructor(
    sock: NetSocket,
    base: RawConn | null,
    info: TlsInfo | null,
    local: SocketAddress,
    remote: SocketAddress,
  ) {
    this.#sock = sock;
    this.#base = base;
    this.#info = info;
    this.#local = local;
    this.#remote = remote;
    sock.on("data", (c: Uint8Array) => {
      this.#push(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    });
    sock.on("end", () => this.#push(null));
    sock.on("error", (e: Error) => {
      this.#error = normalizeError(e);
      const w = this.#waiter;
      this.#waiter = null;
      w?.reject(this.#error);
    });
    sock.on("close", () => {
      if (!this.#ended && this.#error === null) this.#push(null);
    });
    sock.pause();
  }

  #push(chunk: Uint8Array | null): void {
    if (this.#ended) return;
    if (chunk === null) this.#ended = true;
    const w = this.#waiter;
    if (w !== null) {
      this.#waiter = null;
      w.resolve(chunk);
    } else {
      this.#chunks.push(chunk);
      this.#sock.pause();
    }
  }

  /** See `RawConn.read`. */
  read(): Promise<Uint8Array | null> {
    if (this.#chunks.length > 0) return Promise.resolve(this.#chunks.shift()!);
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#sock.resume();
    });
  }

  /** See `RawConn.write`: resolves once node has passed the bytes on. */
  write(data: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#sock.write(data, (e?: Error | null) => {
        if (e) reject(normalizeError(e));
        else resolve(data.byteLength);
      });
    });
  }

  /** See `RawConn.closeWrite`. */
  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#sock.end(() => resolve()));
  }

  /** See `RawConn.close`. */
  close(): void {
    const sock = this.#sock;
    if (sock.destroyed) return;
    if (sock.writableFinished) {
      sock.destroy();
      return;
    }
    sock.end(() => sock.destroy());
    // A peer that never reads must not keep the socket forever.
    const timer = setTimeout(() => sock.destroy(), 5000);
    Deno.unrefTimer(timer);
    sock.once("close", () => clearTimeout(timer));
  }

  /** See `RawConn.abort`. */
  abort(): void {
    const sock = this.#sock as NetSocket & { resetAndDestroy?: () => void };
    if (this.#base === null && typeof sock.resetAndDestroy === "function") {
      try {
        sock.resetAndDestroy();
        return;
      } catch {
        // Fall back to destroy.
      }
    }
    sock.destroy();
    this.#base?.abort();
  }

  /** See `RawConn.setNoDelay`. */
  setNoDelay(enabled: boolean): void {
    if (this.#base) this.#base.setNoDelay(enabled);
    else this.#sock.setNoDelay(enabled);
  }

  /** See `RawConn.setKeepAlive`. */
  setKeepAlive(enabled: boolean): void {
    if (this.#base) this.#base.setKeepAlive(enabled);
    else this.#sock.setKeepAlive(enabled);
  }

  /** See `RawConn.localAddress`. */
  get localAddress(): SocketAddress {
    return this.#local;
  }

  /** See `RawConn.remoteAddress`. */
  get remoteAddress(): SocketAddress {
    return this.#remote;
  }

  /** See `RawConn.tls`. */
  get tls(): TlsInfo | null {
    return this.#info;
  }

  /** See `RawConn.native`. */
  get native(): unknown {
    return this.#sock;
  }

  /** See `RawConn.tcp`: never a Deno connection. */
  get tcp(): null {
    return null;
  }
}

/** Connects with node:net, bound to `local` first. */
export async function connectNetBound(
  hostname: string,
  port: number,
  local: { hostname: string; port?: number },
): Promise<NodeStreamRaw> {
  const net = await import("node:net");
  const sock = net.connect({
    host: hostname,
    port,
    localAddress: local.hostname,
    localPort: local.port,
    allowHalfOpen: true,
  });
  await new Promise<void>((resolve, reject) => {
    sock.once("error", (e: Error) => {
      sock.destroy();
      reject(normalizeError(e));
    });
    sock.once("connect", () => resolve());
  });
  sock.removeAllListeners("error");
  return NodeStreamRaw.overNet(sock);
}
