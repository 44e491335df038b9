/**
 * `Socket` over a `node:net` / `node:tls` socket, with Web Streams built by hand
 * (not `Duplex.toWeb`, which is slow) and a fast path fed by `'data'` events.
 *
 * @module
 */
import { localTcpEnd, peerHost } from "./_addresses.ts";
import { handshakeTimeoutError, handshakeTimeoutMs } from "./_tls_timeout.ts";
import * as net from "node:net";
import type * as tls from "node:tls";
import { nodeTls } from "./_node_lazy.ts";
import type {
  FastPathHandler,
  Socket,
  SocketAddress,
  SocketFastPath,
  TlsInfo,
  TlsOptions,
} from "../src/internet/socket.ts";
import { normalizeError } from "./_node_errors.ts";
import { detectRuntime } from "./_detect.ts";

/** Bytes the readable stream queues before the node socket is paused. */
const READ_HIGH_WATER = 64 * 1024;

/**
 * The buffer every lending socket reads into (see `FastPathHandler.borrowsData`):
 * node reads a socket only from its event loop and hands each read over before
 * the next, so one buffer serves them all. Made on first use; its size is the
 * most a borrowing protocol is lent at once (65,536 bytes, `IBorrowingProtocol`).
 */
let lentBuffer: Uint8Array | null = null;
const LENT_READ_SIZE = 64 * 1024;

/** The parts of an accepted node socket that lending takes over (node's own fields). */
interface AcceptedSocket extends net.Socket {
  _handle?: { reading?: boolean; useUserBuffer?: unknown } | null;
  _server?: unknown;
  server?: unknown;
}

/**
 * A node socket reading into `lentBuffer`. Its reads skip node's stream queue,
 * and any `read()` starts reading the socket again: the one node's `resume`
 * makes a tick later would undo a `pause` in between. So `read()` does nothing
 * while paused (`resume` starts reading itself).
 */
class LendingSocket extends net.Socket {
  paused = false;
  override read(size?: number): ReturnType<net.Socket["read"]> {
    return this.paused ? null : super.read(size);
  }
}

/** Turns a node Buffer into a plain Uint8Array view (no copy; Buffer's `slice` is a view). */
function plain(chunk: Uint8Array): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The subset of node's TLS options the adapter sets. */
export interface NodeTlsOptions {
  cert?: string;
  key?: string;
  ca?: string | string[];
  minVersion: "TLSv1.2" | "TLSv1.3";
  ALPNProtocols?: string[];
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
}

/** Node's TLS options for a client or server, from ours. */
export function nodeTlsOptions(options: TlsOptions, isServer: boolean): NodeTlsOptions {
  const out: NodeTlsOptions = {
    minVersion: options.minVersion ?? "TLSv1.2",
  };
  if (options.cert !== undefined) out.cert = options.cert;
  if (options.key !== undefined) out.key = options.key;
  if (options.ca !== undefined) out.ca = options.ca;
  if (options.alpnProtocols) out.ALPNProtocols = options.alpnProtocols;
  if (isServer) {
    out.requestCert = options.requestCert ?? false;
    out.rejectUnauthorized = options.requestCert ?? false;
  } else {
    out.rejectUnauthorized = options.verify ?? true;
  }
  return out;
}

/** The SNI / verification name for a client: never an IP address (node refuses those as SNI). */
export function clientServerName(options: TlsOptions, host: string): string | undefined {
  const name = options.serverName ?? host;
  return net.isIP(name) ? undefined : name;
}

/** Where a socket is connected, as the adapter reports it. */
export interface Ends {
  local: SocketAddress;
  remote: SocketAddress;
}

/** The addresses of a TCP socket. */
export function tcpEnds(sock: net.Socket): Ends {
  const localHost = sock.localAddress ?? "";
  const localPort = sock.localPort ?? 0;
  const remoteHost = sock.remoteAddress ?? "";
  const remotePort = sock.remotePort ?? 0;
  // node keeps what it just read in _peername / _sockname (two objects and two
  // strings per connection); it reads them again if asked, so let them go.
  const cached = sock as unknown as { _peername?: unknown; _sockname?: unknown };
  cached._peername = undefined;
  cached._sockname = null;
  return {
    local: localTcpEnd(localHost, localPort),
    remote: {
      transport: "tcp",
      hostname: peerHost(remoteHost),
      port: remotePort,
    },
  };
}

const EMPTY_HANDLER: FastPathHandler = {
  onData() {},
  onEnd() {},
  onDrain() {},
  onError() {},
  onClose() {},
};

/** Where a node socket's listeners find their NodeSocket (shared listeners, no closures). */
const OWNER = Symbol("NodeSocket");
type Owned = net.Socket & { [OWNER]?: NodeSocket };

// The bits of NodeSocket's #flags.
const F_IS_TCP = 1;
const F_DONE = 2;
const F_UPGRADED = 4;
const F_STARTED = 8;
const F_REPORTED_QUEUE = 16;
const F_READ_CLOSED = 32;
const F_WRITE_ENDED = 64;

/** A waiter for the write queue to empty. */
type Waiter = { resolve: () => void; reject: (e: Error) => void };

/** The state only some sockets need: streams mode, a failure, waiters. */
class NodeRare {
  error: Error | null = null;
  pendingError: Error | null = null;
  closed: Promise<void> | null = null;
  resolveClosed: (() => void) | null = null;
  rejectClosed: ((error: Error) => void) | null = null;
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  readController: ReadableStreamDefaultController<Uint8Array> | null = null;
  drainWaiters: Waiter[] | null = null;
  /** Chunks in the writable stream's queue, not yet in the sink. */
  streamQueued = 0;
  streamIdleWaiters: (() => void)[] | null = null;
}

/**
 * A `Socket` over a node stream socket. An idle connection costs as little as
 * we can make it: node's listeners are functions shared by every socket (they
 * find theirs through a symbol on the node socket), the socket is its own fast
 * path, and what only some sockets use (streams, `closed`, a failure, the
 * waiter lists) is in an object made on first use.
 */
export class NodeSocket implements Socket, SocketFastPath {
  // Its yes/no states, a bit each (F_*): one field for an idle connection, not 7.
  #flags = 0;

  #is(flag: number): boolean {
    return (this.#flags & flag) !== 0;
  }

  #set(flag: number, on: boolean): void {
    this.#flags = on ? this.#flags | flag : this.#flags & ~flag;
  }
  readonly localAddress: SocketAddress;
  readonly remoteAddress: SocketAddress;
  #sock: net.Socket;
  #tls: TlsInfo | null;
  #handler: FastPathHandler = EMPTY_HANDLER;
  #afterWriteFn: (() => void) | null = null;
  /** What only some sockets need (streams, a failure, waiters), made on first use. */
  #rare: NodeRare | null = null;

  get #more(): NodeRare {
    return this.#rare ??= new NodeRare();
  }
  // Each rare field reads its default while `#rare` is null, and storing a
  // default does not make it.
  get #error(): Error | null {
    return this.#rare?.error ?? null;
  }
  set #error(value: Error | null) {
    if (value !== null || this.#rare !== null) this.#more.error = value;
  }
  get #pendingError(): Error | null {
    return this.#rare?.pendingError ?? null;
  }
  set #pendingError(value: Error | null) {
    if (value !== null || this.#rare !== null) this.#more.pendingError = value;
  }
  get #closed(): Promise<void> | null {
    return this.#rare?.closed ?? null;
  }
  set #closed(value: Promise<void> | null) {
    if (value !== null || this.#rare !== null) this.#more.closed = value;
  }
  get #resolveClosed(): (() => void) | null {
    return this.#rare?.resolveClosed ?? null;
  }
  set #resolveClosed(value: (() => void) | null) {
    if (value !== null || this.#rare !== null) this.#more.resolveClosed = value;
  }
  get #rejectClosed(): ((error: Error) => void) | null {
    return this.#rare?.rejectClosed ?? null;
  }
  set #rejectClosed(value: ((error: Error) => void) | null) {
    if (value !== null || this.#rare !== null) this.#more.rejectClosed = value;
  }
  get #readable(): ReadableStream<Uint8Array> | null {
    return this.#rare?.readable ?? null;
  }
  set #readable(value: ReadableStream<Uint8Array> | null) {
    if (value !== null || this.#rare !== null) this.#more.readable = value;
  }
  get #writable(): WritableStream<Uint8Array> | null {
    return this.#rare?.writable ?? null;
  }
  set #writable(value: WritableStream<Uint8Array> | null) {
    if (value !== null || this.#rare !== null) this.#more.writable = value;
  }
  get #readController(): ReadableStreamDefaultController<Uint8Array> | null {
    return this.#rare?.readController ?? null;
  }
  set #readController(value: ReadableStreamDefaultController<Uint8Array> | null) {
    if (value !== null || this.#rare !== null) this.#more.readController = value;
  }
  get #drainWaiters(): Waiter[] | null {
    return this.#rare?.drainWaiters ?? null;
  }
  set #drainWaiters(value: Waiter[] | null) {
    if (value !== null || this.#rare !== null) this.#more.drainWaiters = value;
  }
  get #streamQueued(): number {
    return this.#rare?.streamQueued ?? 0;
  }
  set #streamQueued(value: number) {
    if (value !== 0 || this.#rare !== null) this.#more.streamQueued = value;
  }
  get #streamIdleWaiters(): (() => void)[] | null {
    return this.#rare?.streamIdleWaiters ?? null;
  }
  set #streamIdleWaiters(value: (() => void)[] | null) {
    if (value !== null || this.#rare !== null) this.#more.streamIdleWaiters = value;
  }

  constructor(sock: net.Socket, ends: Ends, tlsInfo: TlsInfo | null, isTcp: boolean) {
    this.#sock = sock;
    this.localAddress = ends.local;
    this.remoteAddress = ends.remote;
    this.#tls = tlsInfo;
    this.#set(F_IS_TCP, isTcp);
    (sock as Owned)[OWNER] = this;
    sock.on("error", NodeSocket.#errorListener);
    sock.on("close", NodeSocket.#closeListener);
    sock.on("drain", NodeSocket.#drainListener);
    if (sock.destroyed) queueMicrotask(() => this.#onClose());
  }

  /** Settles when fully closed; rejects if the socket failed. Made on first use. */
  get closed(): Promise<void> {
    if (this.#closed === null) {
      if (this.#is(F_DONE)) {
        this.#closed = this.#error ? Promise.reject(this.#error) : Promise.resolve();
      } else {
        this.#closed = new Promise<void>((resolve, reject) => {
          this.#resolveClosed = resolve;
          this.#rejectClosed = reject;
        });
      }
      // Observed here so that a failure nobody awaits is not "unhandled".
      this.#closed.catch(() => {});
    }
    return this.#closed;
  }

  // node calls these with the node socket as `this`.
  static #errorListener = function (this: Owned, error: Error): void {
    const self = this[OWNER];
    if (self !== undefined) self.#onError(error);
  };
  static #closeListener = function (this: Owned): void {
    const self = this[OWNER];
    if (self !== undefined) self.#onClose();
  };
  static #drainListener = function (this: Owned): void {
    const self = this[OWNER];
    if (self !== undefined) self.#onDrain();
  };
  static #dataListener = function (this: Owned, chunk: Uint8Array): void {
    const self = this[OWNER];
    if (self !== undefined && !self.#is(F_UPGRADED)) self.#handler.onData(plain(chunk));
  };
  /** node's `onread` callback of a lending socket (`buffer` is `lentBuffer`); true reads on. */
  static #lentListener = function (this: Owned, nread: number, buffer: Uint8Array): boolean {
    const self = this[OWNER];
    if (self !== undefined && !self.#is(F_UPGRADED)) {
      self.#handler.onData(buffer.subarray(0, nread));
    }
    return true;
  };
  static #endListener = function (this: Owned): void {
    const self = this[OWNER];
    if (self !== undefined && !self.#is(F_UPGRADED)) self.#handler.onEnd();
  };

  get tls(): TlsInfo | null {
    return this.#tls;
  }

  get native(): unknown {
    return this.#sock;
  }

  // -- events ---------------------------------------------------------------

  #onError(error: Error): void {
    if (this.#is(F_UPGRADED)) return;
    const e = normalizeError(error);
    this.#error ??= e;
    for (const w of this.#drainWaiters?.splice(0) ?? []) w.reject(e);
    this.#wakeStreamIdle();
    if (this.#readController && !this.#is(F_READ_CLOSED)) {
      this.#set(F_READ_CLOSED, true);
      this.#readController.error(e);
    }
    this.#handler.onError(e);
  }

  #flushPendingError(): void {
    const error = this.#pendingError;
    this.#pendingError = null;
    if (error) this.#handler.onError(error);
  }

  #onClose(): void {
    if (this.#is(F_DONE)) return;
    this.#flushPendingError();
    this.#set(F_DONE, true);
    const closedError = this.#error ?? new Error("Socket closed");
    for (const w of this.#drainWaiters?.splice(0) ?? []) w.reject(closedError);
    this.#wakeStreamIdle();
    if (this.#readController && !this.#is(F_READ_CLOSED)) {
      this.#set(F_READ_CLOSED, true);
      // Closed without EOF (a local abort): the reader sees the end of the stream.
      this.#readController.close();
    }
    this.#handler.onClose();
    this.#handler = EMPTY_HANDLER;
    (this.#sock as Owned)[OWNER] = undefined;
    if (this.#error) this.#rejectClosed?.(this.#error);
    else this.#resolveClosed?.();
  }

  #onDrain(): void {
    for (const w of this.#drainWaiters?.splice(0) ?? []) w.resolve();
  }

  /** Called after each fast-path write reached the kernel; reports the queue emptying. */
  #afterWrite(): void {
    if (this.#is(F_REPORTED_QUEUE) && this.#sock.writableLength === 0 && !this.#is(F_DONE)) {
      this.#set(F_REPORTED_QUEUE, false);
      this.#handler.onDrain();
    }
  }

  /**
   * Makes this socket read into `lentBuffer` (node's `onread` option) instead of a
   * fresh 64 KiB buffer per read, which costs more CPU than the rest of an
   * upload's receiving. node takes `onread` only when it makes a socket, so the
   * accepted socket's handle moves to a new one, with the server's count of
   * connections; the old socket is dropped unread. Only on Node, only for a plain
   * socket that never read (accepted paused); anything else keeps the usual reads.
   */
  #lend(): void {
    const old = this.#sock as AcceptedSocket;
    const handle = old._handle;
    if (
      detectRuntime() !== "node" || this.#tls !== null || old.destroyed ||
      !handle || typeof handle.useUserBuffer !== "function" || handle.reading ||
      old.readableFlowing !== false || old.readableLength > 0 || old.readableEnded
    ) return;
    const sock = new LendingSocket({
      // A libuv handle, which node's own types do not name.
      handle: handle as net.SocketConstructorOpts["handle"],
      allowHalfOpen: true,
      readable: true,
      writable: true,
      pauseOnCreate: true,
      onread: {
        buffer: lentBuffer ??= new Uint8Array(LENT_READ_SIZE),
        callback: NodeSocket.#lentListener,
      },
    } as net.SocketConstructorOpts) as AcceptedSocket;
    // The new socket closes the handle and tells the server (net.Server counts its
    // connections down in a socket's _destroy); the old one forgets both.
    sock._server = old._server;
    sock.server = old.server;
    old._server = null;
    old.server = null;
    old._handle = null;
    old.off("error", NodeSocket.#errorListener);
    old.off("close", NodeSocket.#closeListener);
    old.off("drain", NodeSocket.#drainListener);
    (old as Owned)[OWNER] = undefined;
    (sock as Owned)[OWNER] = this;
    sock.on("error", NodeSocket.#errorListener);
    sock.on("close", NodeSocket.#closeListener);
    sock.on("drain", NodeSocket.#drainListener);
    this.#sock = sock;
  }

  #startMode(): void {
    if (this.#is(F_STARTED)) {
      throw new Error("A socket is read through its streams or its fast path, not both");
    }
    this.#set(F_STARTED, true);
  }

  // -- fast path ------------------------------------------------------------

  /** The fast path is the socket itself (no object of its own per connection). */
  get fastPath(): SocketFastPath {
    return this;
  }

  start(handler: FastPathHandler): void {
    this.#startMode();
    if (this.#is(F_DONE)) {
      // Closed before the core started: it still hears the failure, then the close.
      const error = this.#error;
      queueMicrotask(() => {
        if (error) handler.onError(error);
        handler.onClose();
      });
      return;
    }
    this.#handler = handler;
    if (handler.borrowsData === true) this.#lend();
    if (this.#error) {
      // Failed (not yet closed) before the start: report it before 'close' does.
      this.#pendingError = this.#error;
      queueMicrotask(() => this.#flushPendingError());
    }
    const sock = this.#sock;
    sock.on("data", NodeSocket.#dataListener);
    sock.on("end", NodeSocket.#endListener);
    // Accepted sockets start paused (pauseOnConnect): adding 'data' does not resume them.
    sock.resume();
  }

  pauseReading(): void {
    const sock = this.#sock;
    if (sock instanceof LendingSocket) sock.paused = true;
    sock.pause();
  }

  resumeReading(): void {
    if (this.#is(F_UPGRADED)) return;
    const sock = this.#sock;
    if (sock instanceof LendingSocket) sock.paused = false;
    sock.resume();
  }

  write(data: Uint8Array): number {
    const sock = this.#sock;
    if (this.#is(F_DONE) || this.#is(F_UPGRADED) || sock.destroyed || sock.writableEnded) {
      return 0;
    }
    // Made on the first write: an idle connection has no such closure.
    sock.write(data, this.#afterWriteFn ??= () => this.#afterWrite());
    const queued = sock.writableLength;
    if (queued > 0) this.#set(F_REPORTED_QUEUE, true);
    return queued;
  }

  get bufferedAmount(): number {
    return this.#is(F_DONE) ? 0 : this.#sock.writableLength;
  }

  // -- streams --------------------------------------------------------------

  get readable(): ReadableStream<Uint8Array> {
    if (this.#readable) return this.#readable;
    this.#startMode();
    const sock = this.#sock;
    this.#readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#readController = controller;
          if (this.#is(F_DONE) || this.#error) {
            this.#set(F_READ_CLOSED, true);
            if (this.#error) controller.error(this.#error);
            else controller.close();
            return;
          }
          sock.on("data", (chunk: Uint8Array) => {
            if (this.#is(F_READ_CLOSED) || this.#is(F_UPGRADED)) return;
            controller.enqueue(plain(chunk));
            // Backpressure reaches TCP: stop reading while the stream's queue is full.
            if ((controller.desiredSize ?? 0) <= 0) sock.pause();
          });
          sock.on("end", () => {
            if (this.#is(F_READ_CLOSED) || this.#is(F_UPGRADED)) return;
            this.#set(F_READ_CLOSED, true);
            controller.close();
          });
        },
        pull: () => {
          if (!this.#is(F_UPGRADED) && !this.#is(F_DONE)) sock.resume();
        },
        cancel: () => {
          this.#set(F_READ_CLOSED, true);
          sock.destroy();
        },
      },
      { highWaterMark: READ_HIGH_WATER, size: (chunk) => chunk.byteLength },
    );
    // Nothing flows until the first pull.
    sock.pause();
    return this.#readable;
  }

  get writable(): WritableStream<Uint8Array> {
    if (this.#writable) return this.#writable;
    const sock = this.#sock;
    this.#writable = new WritableStream<Uint8Array>(
      {
        write: (chunk) => {
          this.#streamQueued--;
          if (this.#streamQueued === 0) this.#wakeStreamIdle();
          if (this.#error) throw this.#error;
          if (this.#is(F_DONE) || sock.destroyed) throw new Error("Socket closed");
          if (sock.write(chunk)) return;
          return new Promise<void>((resolve, reject) => {
            (this.#drainWaiters ??= []).push({ resolve, reject });
          });
        },
        // The stream calls close only after every queued chunk reached the sink.
        close: () => {
          this.#streamQueued = 0;
          return this.#endWrite();
        },
        abort: (reason) => this.abort(reason),
      },
      {
        highWaterMark: 1,
        // Called as each chunk enters the stream's queue: lets closeWrite() and
        // startTls() wait for chunks the stream has not handed to the sink yet.
        size: () => {
          this.#streamQueued++;
          return 1;
        },
      },
    );
    return this.#writable;
  }

  #wakeStreamIdle(): void {
    for (const w of this.#streamIdleWaiters?.splice(0) ?? []) w();
  }

  /** Resolves once the writable stream has handed every queued chunk to node. */
  #streamDrained(): Promise<void> {
    if (this.#streamQueued <= 0 || this.#is(F_DONE) || this.#error || this.#is(F_WRITE_ENDED)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.#streamIdleWaiters ??= []).push(resolve));
  }

  // -- control --------------------------------------------------------------

  /** Resolves once everything written has reached the kernel. */
  async #flushed(): Promise<void> {
    await this.#streamDrained();
    const sock = this.#sock;
    if (sock.writableLength === 0 || this.#is(F_DONE)) return;
    await new Promise<void>((resolve, reject) => {
      // A zero-length write's callback runs after every earlier write completed.
      sock.write(new Uint8Array(0), (error) => error ? reject(normalizeError(error)) : resolve());
    });
  }

  async closeWrite(): Promise<void> {
    // Chunks still in the writable stream's queue go out before the FIN.
    await this.#streamDrained();
    await this.#endWrite();
  }

  /** Ends the write direction (node flushes its own buffer first) and waits for the FIN. */
  async #endWrite(): Promise<void> {
    this.#set(F_WRITE_ENDED, true);
    this.#wakeStreamIdle();
    const sock = this.#sock;
    if (this.#is(F_DONE) || sock.destroyed) return;
    if (sock.writableFinished) return;
    await new Promise<void>((resolve, reject) => {
      const onFinish = (): void => {
        sock.off("close", onClose);
        // Everything was flushed; node emits no 'drain' once ending, so release the waiters.
        this.#onDrain();
        resolve();
      };
      const onClose = (): void => {
        sock.off("finish", onFinish);
        if (this.#error) reject(this.#error);
        else resolve();
      };
      sock.once("finish", onFinish);
      sock.once("close", onClose);
      if (!sock.writableEnded) sock.end();
    });
  }

  async close(): Promise<void> {
    if (this.#is(F_DONE)) return;
    const sock = this.#sock;
    try {
      await this.closeWrite();
    } catch {
      // The socket failed while flushing: it is closing anyway.
    }
    if (!this.#is(F_DONE)) {
      sock.destroy();
      await this.closed.catch(() => {});
    }
  }

  abort(reason?: unknown): void {
    if (this.#is(F_DONE)) return;
    const sock = this.#sock as net.Socket & { resetAndDestroy?: () => void };
    if (this.#readController && !this.#is(F_READ_CLOSED)) {
      this.#set(F_READ_CLOSED, true);
      this.#readController.error(reason ?? new Error("Socket aborted"));
    }
    try {
      // RST where the handle is a TCP handle; TLS and pipes just close. Not once the
      // write side was ended: libuv refuses a reset after a shutdown (EINVAL), and Node
      // then leaves the handle half-closed (the process spins at exit).
      if (
        this.#is(F_IS_TCP) && !this.#tls && !sock.writableEnded &&
        typeof sock.resetAndDestroy === "function"
      ) {
        sock.resetAndDestroy();
        return;
      }
    } catch {
      // Not a TCP handle after all.
    }
    sock.destroy();
  }

  setNoDelay(enabled: boolean): void {
    if (this.#is(F_IS_TCP) && !this.#is(F_DONE)) this.#sock.setNoDelay(enabled);
  }

  setKeepAlive(enabled: boolean, initialDelayMs?: number): void {
    if (this.#is(F_IS_TCP) && !this.#is(F_DONE)) {
      this.#sock.setKeepAlive(enabled, initialDelayMs ?? 0);
    }
  }

  async startTls(options: TlsOptions & { isServer?: boolean }): Promise<Socket> {
    if (this.#is(F_DONE)) throw this.#error ?? new Error("Cannot start TLS on a closed socket");
    await this.#flushed();
    const raw = this.#sock;
    // This socket hands its connection over: no more events from it.
    this.#set(F_UPGRADED, true);
    raw.removeAllListeners("data");
    raw.removeAllListeners("end");
    raw.pause();
    // The caller moves to the new socket: the old handler hears nothing more.
    this.#handler = EMPTY_HANDLER;
    const ends = { local: this.localAddress, remote: this.remoteAddress };
    let secure: tls.TLSSocket;
    try {
      secure = options.isServer
        ? await upgradeServer(raw, options)
        : await upgradeClient(raw, options, this.remoteAddress);
    } catch (error) {
      // A failed handshake ends the connection; `closed` rejects with the reason.
      this.#error ??= error as Error;
      raw.destroy();
      throw error;
    }
    this.#set(F_DONE, true);
    this.#resolveClosed?.();
    raw.off("error", NodeSocket.#errorListener);
    raw.off("close", NodeSocket.#closeListener);
    raw.off("drain", NodeSocket.#drainListener);
    (raw as Owned)[OWNER] = undefined;
    // Errors of the raw socket surface through the TLS socket; keep node from throwing them.
    raw.on("error", () => {});
    return new NodeSocket(secure, ends, tlsInfoOf(secure), this.#is(F_IS_TCP));
  }
}

/**
 * Destroys `secure` and rejects with the handshake timeout error unless the
 * returned function (call it once the handshake settled) runs first.
 */
function cutAfterTimeout(
  secure: tls.TLSSocket,
  seconds: number | undefined,
  reject: (error: Error) => void,
): () => void {
  const ms = handshakeTimeoutMs(seconds);
  if (ms === 0) return () => {};
  const timer = setTimeout(() => {
    secure.destroy();
    reject(handshakeTimeoutError(seconds));
  }, ms);
  secure.once("close", () => clearTimeout(timer));
  return () => clearTimeout(timer);
}

/** The TLS state of a connected TLS socket. */
export function tlsInfoOf(sock: tls.TLSSocket): TlsInfo {
  const alpn = sock.alpnProtocol;
  return { alpnProtocol: typeof alpn === "string" && alpn !== "" ? alpn : null };
}

function upgradeClient(
  raw: net.Socket,
  options: TlsOptions,
  remote: SocketAddress,
): Promise<tls.TLSSocket> {
  const host = remote.transport === "unix" ? "localhost" : remote.hostname;
  return new Promise((resolve, reject) => {
    const secure = nodeTls().connect({
      ...nodeTlsOptions(options, false),
      socket: raw,
      servername: clientServerName(options, host),
      host: options.serverName ?? host,
    });
    const onError = (error: Error): void => {
      secure.destroy();
      reject(normalizeError(error));
    };
    const stopTimer = cutAfterTimeout(secure, options.handshakeTimeout, reject);
    secure.once("error", onError);
    secure.once("secureConnect", () => {
      stopTimer();
      secure.off("error", onError);
      resolve(secure);
    });
  });
}

function upgradeServer(raw: net.Socket, options: TlsOptions): Promise<tls.TLSSocket> {
  const nodeOptions = nodeTlsOptions(options, true);
  return new Promise((resolve, reject) => {
    const secure = new (nodeTls().TLSSocket)(raw, {
      isServer: true,
      secureContext: nodeTls().createSecureContext(nodeOptions),
      requestCert: nodeOptions.requestCert,
      rejectUnauthorized: nodeOptions.rejectUnauthorized,
      ALPNProtocols: nodeOptions.ALPNProtocols,
    });
    const onError = (error: Error): void => {
      secure.destroy();
      reject(normalizeError(error));
    };
    const stopTimer = cutAfterTimeout(secure, options.handshakeTimeout, reject);
    secure.once("error", onError);
    secure.once("secure", () => {
      stopTimer();
      secure.off("error", onError);
      // A bare TLSSocket does not check the client's certificate itself (tls.Server does).
      if (nodeOptions.requestCert && nodeOptions.rejectUnauthorized) {
        const handle = (secure as unknown as { _handle?: { verifyError?: () => Error | null } })
          ._handle;
        const verifyError = handle?.verifyError?.() ?? null;
        if (verifyError || !secure.getPeerCertificate()?.raw) {
          secure.destroy();
          reject(normalizeError(verifyError ?? new Error("The client sent no certificate")));
          return;
        }
      }
      resolve(secure);
    });
  });
}
