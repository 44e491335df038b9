/**
 * `Socket` over a Bun callback socket: a fast path fed straight from Bun's
 * callbacks, and Web Streams built on the same events only when asked for.
 *
 * Bun's `write()` takes what the kernel accepts and buffers nothing, so the
 * rest is queued here and written on `drain`. Bytes that arrive before a
 * consumer attaches are held and reading is paused with `pause()` until it
 * does, so backpressure reaches TCP. A socket is not paused before that:
 * Bun keeps about 500 bytes more for every socket it has ever paused.
 *
 * @module
 */

import { localTcpEnd, peerHost } from "./_addresses.ts";
import { withHandshakeTimeout } from "./_tls_timeout.ts";
import type {
  FastPathHandler,
  Socket,
  SocketAddress,
  SocketFastPath,
  TlsInfo,
  TlsOptions,
} from "../src/internet/socket.ts";
import type { BunRawSocket, BunSocketHandler, BunTlsOptions } from "./_bun_types.ts";
import { bunTls, normalizeError } from "./_bun_tls.ts";

/** Stream queue size in bytes for `readable` and `writable`. */
const STREAM_HIGH_WATER = 64 * 1024;

type Sink = FastPathHandler;

/** A pending event recorded before a consumer attached. */
type Pending =
  | { kind: "data"; chunk: Uint8Array }
  | { kind: "end" }
  | { kind: "error"; error: Error };

/** How a `BunSocket` came to be, for addresses and the STARTTLS role. */
export interface BunSocketOrigin {
  /** Accepted by a listener (true) or connected (false). */
  isServer: boolean;
  /** The Unix socket path, for Unix sockets. */
  unixPath?: string;
  /** Whether this is a TLS socket. */
  tls: boolean;
  /** The host name connected to, the default TLS server name. */
  host?: string;
  /**
   * The port connected to (clients) or listened on (servers): Bun reports no
   * address for a socket the peer reset before `open` ran, so the ends fall
   * back to what we asked for.
   */
  port?: number;
}

/** Shared Bun callbacks: each socket's `data` is its `BunSocket`. */
export const sharedHandler: BunSocketHandler = {
  binaryType: "uint8array",
  data(raw, chunk) {
    ownerOf(raw)?._data(raw, chunk);
  },
  drain(raw) {
    ownerOf(raw)?._drain(raw);
  },
  end(raw) {
    ownerOf(raw)?._end(raw);
  },
  error(raw, error) {
    ownerOf(raw)?._error(raw, error);
  },
  close(raw, error) {
    ownerOf(raw)?._close(raw, error);
  },
};

function ownerOf(raw: BunRawSocket): BunSocket | undefined {
  const owner = raw.data;
  return owner instanceof BunSocket ? owner : undefined;
}

// The bits of BunSocket's #flags.
const F_SHUT_WHEN_DRAINED = 1;
const F_END_WHEN_DRAINED = 2;
const F_WRITE_SHUT = 4;
const F_CLOSING = 8;
const F_UPGRADED = 16;
const F_SAW_END = 32;
const F_CLOSED_FLAG = 64;
const F_USER_PAUSED = 128;
const F_STREAM_PAUSED = 256;
const F_RAW_PAUSED = 512;

/** An IP address other than a wildcard (`0.0.0.0`, `::`): an accepted socket's own end. */
function isSpecificIp(host: string | undefined): host is string {
  if (host === undefined || host === "0.0.0.0" || host === "::") return false;
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

/** A waiter for the write queue to empty. */
type Waiter = { resolve: () => void; reject: (e: Error) => void };

/** What only some connections need: streams, a TLS upgrade, waiters, a failure. */
class RareState {
  pending: Pending[] | null = null;
  drainWaiters: Waiter[] | null = null;
  streamInFlight = 0;
  flushWaiters: (() => void)[] | null = null;
  tlsRaw: BunRawSocket | null = null;
  errored: Error | null = null;
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  closed: Promise<void> | null = null;
  resolveClosed: (() => void) | null = null;
  rejectClosed: ((e: Error) => void) | null = null;
  /** Bytes Bun did not take yet (a write under backpressure). */
  queue: Uint8Array[] | null = null;
  /** The ends, kept once closed (Bun forgets them then). */
  local: SocketAddress | null = null;
  remote: SocketAddress | null = null;
}

/** A `Socket` over one Bun socket, and its own fast path. */
export class BunSocket implements Socket, SocketFastPath {
  // Its yes/no states, a bit each (F_*): one field for an idle connection, not 9.
  // Six fields in all: Bun's objects grow in steps (up to 6 fields: 64 bytes;
  // 7 or 8: 80; 9 to 12: 112), so a field more can cost 16 to 32 bytes each.
  #flags = 0;

  #is(flag: number): boolean {
    return (this.#flags & flag) !== 0;
  }

  #set(flag: number, on: boolean): void {
    this.#flags = on ? this.#flags | flag : this.#flags & ~flag;
  }
  #raw: BunRawSocket;
  #origin: BunSocketOrigin;
  #sink: Sink | null = null;
  #queued = 0;
  /** The state only some connections need, made on first use (`#more`). */
  #rare: RareState | null = null;

  get #more(): RareState {
    return this.#rare ??= new RareState();
  }

  // Each rare field reads its default while `#rare` is null, and storing a
  // default does not make it.
  get #pending(): Pending[] | null {
    return this.#rare?.pending ?? null;
  }
  set #pending(value: Pending[] | null) {
    if (value !== null || this.#rare !== null) this.#more.pending = value;
  }
  get #drainWaiters(): Waiter[] | null {
    return this.#rare?.drainWaiters ?? null;
  }
  set #drainWaiters(value: Waiter[] | null) {
    if (value !== null || this.#rare !== null) this.#more.drainWaiters = value;
  }
  /** Chunks accepted by `writable` but not yet handed to its sink. */
  get #streamInFlight(): number {
    return this.#rare?.streamInFlight ?? 0;
  }
  set #streamInFlight(value: number) {
    if (value !== 0 || this.#rare !== null) this.#more.streamInFlight = value;
  }
  get #flushWaiters(): (() => void)[] | null {
    return this.#rare?.flushWaiters ?? null;
  }
  set #flushWaiters(value: (() => void)[] | null) {
    if (value !== null || this.#rare !== null) this.#more.flushWaiters = value;
  }
  get #errored(): Error | null {
    return this.#rare?.errored ?? null;
  }
  set #errored(value: Error | null) {
    if (value !== null || this.#rare !== null) this.#more.errored = value;
  }

  /** Wraps `raw`; what arrives before a consumer attaches is held. */
  constructor(raw: BunRawSocket, origin: BunSocketOrigin) {
    this.#raw = raw;
    this.#origin = origin;
  }

  /** A Unix socket's end: the path on the listening side, "" on the other. */
  #unixEnd(here: boolean): SocketAddress {
    return { transport: "unix", path: here ? this.#origin.unixPath! : "" };
  }

  /** This end as Bun reports it (or, for an accepted socket, the listener's). */
  #readLocal(): SocketAddress {
    const origin = this.#origin;
    if (origin.unixPath !== undefined) return this.#unixEnd(origin.isServer);
    // Accepted on a listener bound to one address: that is this end. (Asking
    // Bun costs about 100 bytes per connection, which it keeps.)
    if (origin.isServer && isSpecificIp(origin.host)) {
      return localTcpEnd(origin.host, origin.port ?? 0);
    }
    const hostname = this.#raw.localAddress ?? "";
    // A socket reset before `open` has no addresses: fall back to the known end.
    if (origin.isServer && hostname === "") return localTcpEnd(origin.host ?? "", origin.port ?? 0);
    return localTcpEnd(hostname, this.#raw.localPort ?? 0);
  }

  /** The peer's address as Bun reports it (or, for a client, the end it was asked for). */
  #readRemote(): SocketAddress {
    const origin = this.#origin;
    if (origin.unixPath !== undefined) return this.#unixEnd(!origin.isServer);
    let hostname = this.#raw.remoteAddress ?? "";
    let port = this.#raw.remotePort ?? 0;
    if (!origin.isServer && hostname === "") {
      hostname = origin.host ?? "";
      port = origin.port ?? 0;
    }
    return { transport: "tcp", hostname: peerHost(hostname), port };
  }

  /**
   * @internal Called once the socket is usable (after any TLS handshake, which
   * a paused socket would stall): reading pauses until a consumer attaches.
   */
  _ready(): void {
    this.#updatePause();
  }

  // --- the contract ---------------------------------------------------------

  /** Bytes from the peer. Accessing it chooses streams mode. */
  get readable(): ReadableStream<Uint8Array> {
    return this.#more.readable ??= this.#makeReadable();
  }

  /** Bytes to the peer, with backpressure. */
  get writable(): WritableStream<Uint8Array> {
    return this.#more.writable ??= this.#makeWritable();
  }

  /** This side's address. */
  get localAddress(): SocketAddress {
    return this.#rare?.local ?? this.#readLocal();
  }

  /** The peer's address: read when asked, so an idle connection keeps no copy. */
  get remoteAddress(): SocketAddress {
    return this.#rare?.remote ?? this.#readRemote();
  }

  /** Settles when fully closed; rejects if the socket failed. Made on first use. */
  get closed(): Promise<void> {
    const more = this.#more;
    if (more.closed === null) {
      if (this.#is(F_CLOSED_FLAG)) {
        more.closed = this.#errored !== null && !this.#is(F_UPGRADED)
          ? Promise.reject(this.#errored)
          : Promise.resolve();
      } else {
        more.closed = new Promise<void>((resolve, reject) => {
          more.resolveClosed = resolve;
          more.rejectClosed = reject;
        });
      }
      // Observed here so an unwatched failure is no unhandled rejection;
      // whoever awaits `closed` still sees it.
      more.closed.catch(() => {});
    }
    return more.closed;
  }

  /** The TLS state of a TLS socket. */
  get tls(): TlsInfo | null {
    if (!this.#origin.tls) return null;
    const alpn = this.#raw.alpnProtocol;
    return { alpnProtocol: typeof alpn === "string" ? alpn : null };
  }

  /** The callback hot path: the socket itself (no extra object per connection). */
  get fastPath(): SocketFastPath | null {
    return this;
  }

  /** The Bun socket. */
  get native(): unknown {
    return this.#raw;
  }

  /** Flushes, then sends a FIN; reading goes on. */
  closeWrite(): Promise<void> {
    if (this.#is(F_CLOSED_FLAG) || this.#is(F_WRITE_SHUT)) return Promise.resolve();
    if (!this.#is(F_CLOSING)) this.#set(F_SHUT_WHEN_DRAINED, true);
    const done = new Promise<void>((resolve) => (this.#flushWaiters ??= []).push(resolve));
    this.#finishIfFlushed();
    return done;
  }

  /** Flushes pending writes (the adapter's and `writable`'s), then closes both directions. */
  close(): Promise<void> {
    if (!this.#is(F_CLOSED_FLAG) && !this.#is(F_CLOSING)) {
      this.#set(F_CLOSING, true);
      this.#set(F_END_WHEN_DRAINED, true);
      this.#finishIfFlushed();
    }
    return this.closed.then(() => {}, () => {});
  }

  /** Closes at once (RST), dropping queued bytes. */
  abort(_reason?: unknown): void {
    if (this.#is(F_CLOSED_FLAG)) return;
    this.#set(F_CLOSING, true);
    this.#dropQueue(new Error("Socket aborted"));
    this.#raw.terminate();
  }

  /** Sets TCP_NODELAY. */
  setNoDelay(enabled: boolean): void {
    if (this.#origin.unixPath === undefined && !this.#is(F_CLOSED_FLAG)) {
      this.#raw.setNoDelay(enabled);
    }
  }

  /** Sets SO_KEEPALIVE. */
  setKeepAlive(enabled: boolean, initialDelayMs?: number): void {
    if (this.#origin.unixPath === undefined && !this.#is(F_CLOSED_FLAG)) {
      this.#raw.setKeepAlive(enabled, initialDelayMs ?? 0);
    }
  }

  /** Upgrades to TLS with Bun's `upgradeTLS`, after queued bytes are written. */
  async startTls(options: TlsOptions & { isServer?: boolean }): Promise<Socket> {
    const isServer = options.isServer ?? false;
    if (this.#is(F_CLOSED_FLAG)) {
      throw Object.assign(new Error("Socket is closed"), { code: "EPIPE" });
    }
    // Pending plaintext goes out first, including chunks `writable` accepted.
    for (let turns = 0; !this.#is(F_CLOSED_FLAG) && turns < 100; turns++) {
      if (this.#queued > 0) await this.#whenDrained().catch(() => {});
      else if (this.#streamInFlight > 0) await new Promise((r) => setTimeout(r, 0));
      else break;
    }
    if (this.#is(F_CLOSED_FLAG)) {
      throw Object.assign(new Error("Socket is closed"), { code: "EPIPE" });
    }
    const tls = bunTls(options, isServer, this.#origin.host);
    const origin: BunSocketOrigin = { ...this.#origin, tls: true };
    const verify = isServer ? (options.requestCert ?? false) : (options.verify ?? true);
    // A silent peer is cut after the handshake timeout (the raw socket carries the TLS one).
    const raw = this.#raw;
    return await withHandshakeTimeout(
      this.#upgrade(isServer, tls, origin, verify),
      options.handshakeTimeout,
      () => {
        // The TLS socket Bun made owns the connection now: close both.
        this.#rare?.tlsRaw?.terminate();
        raw.terminate();
      },
    );
  }

  #upgrade(
    isServer: boolean,
    tls: BunTlsOptions,
    origin: BunSocketOrigin,
    verify: boolean,
  ): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      let upgraded: BunSocket | null = null;
      let settled = false;
      const adopt = (raw: BunRawSocket): BunSocket => {
        if (upgraded === null) upgraded = new BunSocket(raw, origin);
        return upgraded;
      };
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        reject(normalizeError(error));
      };
      // Callbacks bound to the new socket: the raw socket keeps reporting
      // ciphertext to its old owner, which ignores everything from now on.
      const handler: BunSocketHandler = {
        binaryType: "uint8array",
        open: (raw) => void adopt(raw),
        handshake: (raw, success, authError) => {
          const socket = adopt(raw);
          if (!success && verify) {
            fail(authError ?? new Error("TLS handshake failed"));
            raw.terminate();
            return;
          }
          if (!settled) {
            settled = true;
            socket._ready();
            resolve(socket);
          }
        },
        data: (raw, chunk) => adopt(raw)._data(raw, chunk),
        drain: (raw) => adopt(raw)._drain(raw),
        end: (raw) => adopt(raw)._end(raw),
        error: (raw, error) => {
          fail(error);
          adopt(raw)._error(raw, error);
        },
        close: (raw, error) => {
          fail(
            error ?? Object.assign(new Error("Connection closed during TLS handshake"), {
              code: "ECONNRESET",
            }),
          );
          adopt(raw)._close(raw, error);
        },
      };
      try {
        // A paused socket would stall the handshake (its reads drive it).
        this.#raw.resume();
        this.#set(F_RAW_PAUSED, false);
        const [, tlsRaw] = this.#raw.upgradeTLS({ isServer, tls, socket: handler });
        this.#set(F_UPGRADED, true);
        this.#more.tlsRaw = tlsRaw;
        adopt(tlsRaw);
      } catch (error) {
        this.#updatePause();
        fail(error as Error);
      }
    });
  }

  // --- Bun events -------------------------------------------------------------

  /** @internal */
  _data(_raw: BunRawSocket, chunk: Uint8Array): void {
    if (this.#is(F_UPGRADED)) return;
    this.#emit({ kind: "data", chunk });
  }

  /** @internal */
  _end(_raw: BunRawSocket): void {
    if (this.#is(F_UPGRADED) || this.#is(F_SAW_END)) return;
    this.#set(F_SAW_END, true);
    this.#emit({ kind: "end" });
  }

  /** @internal */
  _error(_raw: BunRawSocket, error: Error): void {
    if (this.#is(F_UPGRADED) || this.#errored !== null || this.#is(F_CLOSED_FLAG)) return;
    this.#errored = normalizeError(error);
    this.#emit({ kind: "error", error: this.#errored });
  }

  /** @internal */
  _close(raw: BunRawSocket, error?: Error): void {
    if (this.#is(F_CLOSED_FLAG)) return;
    if (this.#is(F_UPGRADED)) {
      // The TLS socket that replaced this one reports to its own consumer;
      // this one only settles `closed` once the connection is gone.
      this.#set(F_CLOSED_FLAG, true);
      this.#resolveFlushWaiters();
      this.#rare?.resolveClosed?.();
      return;
    }
    if (error !== undefined && !this.#is(F_CLOSING)) this._error(raw, error);
    // Bun closes a half-closed socket when the peer's FIN arrives without
    // calling `end`: report that EOF so half-close reads as it should.
    if (this.#errored === null && !this.#is(F_CLOSING) && !this.#is(F_SAW_END)) this._end(raw);
    this.#set(F_CLOSED_FLAG, true);
    // Bun forgets the addresses once closed: keep them for whoever asks later.
    const more = this.#more;
    more.local = this.#readLocal();
    more.remote = this.#readRemote();
    this.#dropQueue(this.#errored ?? new Error("Socket closed"));
    this.#resolveFlushWaiters();
    if (this.#sink !== null) this.#sink.onClose();
    if (this.#errored !== null) this.#rare?.rejectClosed?.(this.#errored);
    else this.#rare?.resolveClosed?.();
  }

  /** @internal */
  _drain(_raw: BunRawSocket): void {
    if (this.#is(F_UPGRADED) || this.#queued === 0) return;
    this.#flush();
  }

  // --- internals --------------------------------------------------------------

  #emit(event: Pending): void {
    const sink = this.#sink;
    if (sink === null) {
      (this.#pending ??= []).push(event);
      this.#updatePause();
      return;
    }
    if (event.kind === "data") sink.onData(event.chunk);
    else if (event.kind === "end") sink.onEnd();
    else sink.onError(event.error);
  }

  #attach(sink: Sink): void {
    if (this.#sink !== null) throw new Error("Socket already has a consumer");
    this.#sink = sink;
    const pending = this.#pending;
    if (pending !== null) {
      this.#pending = null;
      for (const event of pending) this.#emit(event);
    }
    if (this.#is(F_CLOSED_FLAG)) sink.onClose();
    else this.#updatePause();
  }

  #updatePause(): void {
    if (this.#is(F_CLOSED_FLAG) || this.#is(F_UPGRADED)) return;
    const paused = this.#is(F_USER_PAUSED) || this.#is(F_STREAM_PAUSED) ||
      (this.#sink === null && this.#pending !== null);
    if (paused === this.#is(F_RAW_PAUSED)) return;
    this.#set(F_RAW_PAUSED, paused);
    if (paused) this.#raw.pause();
    else this.#raw.resume();
  }

  #write(data: Uint8Array, fromStream = false): number {
    if (this.#is(F_CLOSED_FLAG) || this.#is(F_WRITE_SHUT) || this.#is(F_UPGRADED)) {
      return this.#queued;
    }
    // Writes after close()/closeWrite() are dropped, except chunks `writable`
    // accepted before: those are part of the flush.
    if ((this.#is(F_CLOSING) || this.#is(F_SHUT_WHEN_DRAINED)) && !fromStream) return this.#queued;
    if (data.byteLength === 0) return this.#queued;
    if (this.#queued === 0) {
      const taken = this.#raw.write(data);
      if (taken === data.byteLength || taken < 0) return 0;
      data = data.subarray(taken);
    }
    (this.#more.queue ??= []).push(data);
    this.#queued += data.byteLength;
    return this.#queued;
  }

  #flush(): void {
    const queue = this.#rare?.queue ?? [];
    while (queue.length > 0) {
      // Small queued chunks go out as one write: fewer syscalls.
      if (queue.length > 1 && queue[0].byteLength < 16 * 1024) this.#coalesce();
      const head = queue[0];
      const taken = this.#raw.write(head);
      if (taken < 0) return; // closed: `close` will drop the queue
      this.#queued -= taken;
      if (taken < head.byteLength) {
        queue[0] = head.subarray(taken);
        return;
      }
      queue.shift();
    }
    this.#drained();
  }

  #coalesce(): void {
    const queue = this.#rare!.queue!;
    let count = 0;
    let size = 0;
    while (count < queue.length && size + queue[count].byteLength <= 64 * 1024) {
      size += queue[count].byteLength;
      count++;
    }
    if (count < 2) return;
    const merged = new Uint8Array(size);
    let at = 0;
    for (let i = 0; i < count; i++) {
      merged.set(queue[i], at);
      at += queue[i].byteLength;
    }
    queue.splice(0, count, merged);
  }

  #drained(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = null;
    for (const waiter of waiters ?? []) waiter.resolve();
    this.#finishIfFlushed();
    if (this.#sink !== null && !this.#is(F_CLOSED_FLAG) && this.#queued === 0) this.#sink.onDrain();
  }

  /** Performs a requested close or FIN once nothing is left to write. */
  #finishIfFlushed(): void {
    if (this.#queued > 0 || this.#streamInFlight > 0 || this.#is(F_CLOSED_FLAG)) return;
    if (this.#is(F_END_WHEN_DRAINED)) {
      this.#set(F_END_WHEN_DRAINED, false);
      this.#set(F_SHUT_WHEN_DRAINED, false);
      this.#raw.close();
    } else if (this.#is(F_SHUT_WHEN_DRAINED)) {
      this.#set(F_SHUT_WHEN_DRAINED, false);
      this.#shutdown();
      this.#resolveFlushWaiters();
    }
  }

  #resolveFlushWaiters(): void {
    for (const resolve of this.#flushWaiters?.splice(0) ?? []) resolve();
  }

  #shutdown(): void {
    this.#set(F_WRITE_SHUT, true);
    this.#raw.shutdown();
  }

  #whenDrained(): Promise<void> {
    if (this.#queued === 0) return Promise.resolve();
    return new Promise((resolve, reject) => (this.#drainWaiters ??= []).push({ resolve, reject }));
  }

  #dropQueue(reason: Error): void {
    if (this.#rare !== null) this.#rare.queue = null;
    this.#queued = 0;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = null;
    for (const waiter of waiters ?? []) waiter.reject(reason);
  }

  // --- the fast path (`fastPath` is the socket itself) ----------------------

  /** See `SocketFastPath.start`. */
  start(handler: FastPathHandler): void {
    this.#attach(handler);
  }

  /** See `SocketFastPath.pauseReading`. */
  pauseReading(): void {
    this.#set(F_USER_PAUSED, true);
    this.#updatePause();
  }

  /** See `SocketFastPath.resumeReading`. */
  resumeReading(): void {
    this.#set(F_USER_PAUSED, false);
    this.#updatePause();
  }

  /** See `SocketFastPath.write`. */
  write(data: Uint8Array): number {
    return this.#write(data);
  }

  /** See `SocketFastPath.bufferedAmount`. */
  get bufferedAmount(): number {
    return this.#queued;
  }

  #makeReadable(): ReadableStream<Uint8Array> {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let done = false;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
      },
      pull: () => {
        if (this.#is(F_STREAM_PAUSED)) {
          this.#set(F_STREAM_PAUSED, false);
          this.#updatePause();
        }
      },
      cancel: () => {
        // The consumer wants no more bytes: keep reading and drop them, so
        // the connection's other events still arrive.
        done = true;
        this.#set(F_STREAM_PAUSED, false);
        this.#updatePause();
      },
    }, { highWaterMark: STREAM_HIGH_WATER, size: (chunk) => chunk.byteLength });
    this.#attach({
      onData: (chunk) => {
        if (done) return;
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 0) <= 0 && !this.#is(F_STREAM_PAUSED)) {
          this.#set(F_STREAM_PAUSED, true);
          this.#updatePause();
        }
      },
      onEnd: () => {
        if (done) return;
        done = true;
        controller.close();
      },
      onError: (error) => {
        if (done) return;
        done = true;
        controller.error(error);
      },
      onDrain: () => {},
      onClose: () => {
        if (done) return;
        done = true;
        controller.close();
      },
    });
    return stream;
  }

  #makeWritable(): WritableStream<Uint8Array> {
    return new WritableStream<Uint8Array>({
      write: (chunk) => {
        this.#streamInFlight = Math.max(0, this.#streamInFlight - 1);
        if (this.#is(F_CLOSED_FLAG)) {
          throw this.#errored ?? Object.assign(new Error("Socket is closed"), { code: "EPIPE" });
        }
        this.#write(chunk, true);
        if (this.#queued === 0) {
          this.#finishIfFlushed();
          return;
        }
        return this.#whenDrained();
      },
      close: () => {
        this.#streamInFlight = 0;
        return this.closeWrite();
      },
      abort: (reason) => {
        this.#streamInFlight = 0;
        this.abort(reason);
      },
    }, {
      highWaterMark: STREAM_HIGH_WATER,
      // Called as `writer.write()` accepts a chunk: counts what close and
      // closeWrite must still flush.
      size: (chunk) => {
        this.#streamInFlight++;
        return chunk.byteLength;
      },
    });
  }
}
