/**
 * Listeners for the Deno adapter. Plain TCP and Unix listeners yield each
 * accepted connection; TLS listeners accept in the background and yield a
 * socket only once its handshake succeeded, so one slow or failing client
 * never holds up the others.
 *
 * @module
 */

import type { Listener, Socket, SocketAddress } from "../src/internet/socket.ts";
import { DenoRaw, type RawConn, toSocketAddress } from "./_deno_raw.ts";
import { DenoSocket } from "./_deno_socket.ts";
import { isClosedResource, normalizeError } from "./_deno_errors.ts";

/** Turns an accepted connection into a ready raw connection (TLS handshakes here). */
export type Prepare = (conn: Deno.Conn) => Promise<RawConn>;

/** A listener over a `Deno.Listener`. */
export class DenoListener implements Listener {
  #listener: Deno.Listener;
  #address: SocketAddress;
  #prepare: Prepare | null;
  #closed = false;
  #closing: Promise<void> | null = null;
  // Background accepting (TLS): sockets ready, consumers waiting.
  #ready: Socket[] = [];
  #waiters: ((r: IteratorResult<Socket>) => void)[] = [];
  #failure: Error | null = null;
  #accepting = false;
  #handshakes = new Set<Deno.Conn>();
  #onClose: (() => void) | null;

  /** Wraps `listener`; `prepare` (for TLS) runs on each connection before it is yielded. */
  constructor(
    listener: Deno.Listener,
    prepare: Prepare | null,
    onClose: (() => void) | null = null,
  ) {
    this.#listener = listener;
    this.#address = toSocketAddress(listener.addr);
    this.#prepare = prepare;
    this.#onClose = onClose;
  }

  /** See `Listener.address`. */
  get address(): SocketAddress {
    return this.#address;
  }

  /** See `Listener.native`. */
  get native(): unknown {
    return this.#listener;
  }

  /** See `Listener.close`. */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    for (const conn of this.#handshakes) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    this.#handshakes.clear();
    for (const s of this.#ready.splice(0)) s.abort();
    for (const w of this.#waiters.splice(0)) w({ done: true, value: undefined });
    this.#onClose?.();
    this.#closing = Promise.resolve();
    return this.#closing;
  }

  /** Yields accepted sockets until the listener is closed. */
  [Symbol.asyncIterator](): AsyncIterator<Socket> {
    return { next: () => this.#next() };
  }

  #next(): Promise<IteratorResult<Socket>> {
    if (this.#prepare === null) return this.#acceptPlain();
    if (this.#ready.length > 0) {
      return Promise.resolve({ done: false, value: this.#ready.shift()! });
    }
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.resolve({ done: true, value: undefined });
    const p = new Promise<IteratorResult<Socket>>((resolve) => this.#waiters.push(resolve));
    if (!this.#accepting) void this.#acceptLoop();
    return p;
  }

  async #acceptPlain(): Promise<IteratorResult<Socket>> {
    if (this.#closed) return { done: true, value: undefined };
    try {
      const conn = await this.#listener.accept();
      if (this.#closed) {
        conn.close();
        return { done: true, value: undefined };
      }
      return { done: false, value: new DenoSocket(new DenoRaw(conn)) };
    } catch (e) {
      if (this.#closed || isClosedResource(e)) return { done: true, value: undefined };
      throw normalizeError(e);
    }
  }

  async #acceptLoop(): Promise<void> {
    this.#accepting = true;
    try {
      while (!this.#closed) {
        let conn: Deno.Conn;
        try {
          conn = await this.#listener.accept();
        } catch (e) {
          if (this.#closed || isClosedResource(e)) return;
          this.#failure = normalizeError(e);
          for (const w of this.#waiters.splice(0)) w(Promise.reject(this.#failure) as never);
          return;
        }
        if (this.#closed) {
          conn.close();
          return;
        }
        void this.#handshake(conn);
      }
    } finally {
      this.#accepting = false;
    }
  }

  async #handshake(conn: Deno.Conn): Promise<void> {
    this.#handshakes.add(conn);
    let socket: Socket;
    try {
      socket = new DenoSocket(await this.#prepare!(conn));
    } catch {
      // A client that failed its handshake is its own problem, not the listener's.
      this.#handshakes.delete(conn);
      try {
        conn.close();
      } catch {
        // Already closed by the TLS layer.
      }
      return;
    }
    this.#handshakes.delete(conn);
    if (this.#closed) {
      socket.abort();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter({ done: false, value: socket });
    else this.#ready.push(socket);
  }
}
