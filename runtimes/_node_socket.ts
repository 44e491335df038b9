/**
 * `Socket` over a `node:net` / `node:tls` socket, with Web Streams built by hand
 * (not `Duplex.toWeb`, which is slow) and a fast path fed by `'data'` events.
 *
 * @module
 */
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

/** Bytes the readable stream queues before the node socket is paused. */
const READ_HIGH_WATER = 64 * 1024;

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
  return {
    local: {
      transport: "tcp",
      hostname: sock.localAddress ?? "",
      port: sock.localPort ?? 0,
    },
    remote: {
      transport: "tcp",
      hostname: sock.remoteAddress ?? "",
      port: sock.remotePort ?? 0,
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

/**
 * A `Socket` over a node stream socket. An idle connection costs as little as
 * we can make it: node's listeners are functions shared by every socket (they
 * find theirs through a symbol on the node socket), the fast path is one small
 * object, and `closed` and the waiter lists are made on first use.
 */
export class NodeSocket implements Socket {
  readonly localAddress: SocketAddress;
  readonly remoteAddress: SocketAddress;
  readonly fastPath: SocketFastPath | null;
  #sock: net.Socket;
  #tls: TlsInfo | null;
  #isTcp: boolean;
  #error: Error | null = null;
  #done = false; // 'close' seen, or upgraded away
  #upgraded = false;
  #started = false; // a mode was chosen
  #handler: FastPathHandler = EMPTY_HANDLER;
  #reportedQueue = false;
  #pendingError: Error | null = null;
  #closed: Promise<void> | null = null;
  #resolveClosed: (() => void) | null = null;
  #rejectClosed: ((error: Error) => void) | null = null;
  #afterWriteFn: (() => void) | null = null;
  #readable: ReadableStream<Uint8Array> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;
  #readController: ReadableStreamDefaultController<Uint8Array> | null = null;
  #readClosed = false;
  #drainWaiters: { resolve: () => void; reject: (e: Error) => void }[] | null = null;
  #streamQueued = 0; // chunks in the writable stream's queue, not yet in the sink
  #streamIdleWaiters: (() => void)[] | null = null;
  #writeEnded = false;

  constructor(sock: net.Socket, ends: Ends, tlsInfo: TlsInfo | null, isTcp: boolean) {
    this.#sock = sock;
    this.localAddress = ends.local;
    this.remoteAddress = ends.remote;
    this.#tls = tlsInfo;
    this.#isTcp = isTcp;
    (sock as Owned)[OWNER] = this;
    sock.on("error", NodeSocket.#errorListener);
    sock.on("close", NodeSocket.#closeListener);
    sock.on("drain", NodeSocket.#drainListener);
    this.fastPath = new NodeSocket.#FastPath(this);
    if (sock.destroyed) queueMicrotask(() => this.#onClose());
  }

  /** Settles when fully closed; rejects if the socket failed. Made on first use. */
  get closed(): Promise<void> {
    if (this.#closed === null) {
      if (this.#done) {
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
    if (self !== undefined && !self.#upgraded) self.#handler.onData(plain(chunk));
  };
  static #endListener = function (this: Owned): void {
    const self = this[OWNER];
    if (self !== undefined && !self.#upgraded) self.#handler.onEnd();
  };

  get tls(): TlsInfo | null {
    return this.#tls;
  }

  get native(): unknown {
    return this.#sock;
  }

  // -- events ---------------------------------------------------------------

  #onError(error: Error): void {
    if (this.#upgraded) return;
    const e = normalizeError(error);
    this.#error ??= e;
    for (const w of this.#drainWaiters?.splice(0) ?? []) w.reject(e);
    this.#wakeStreamIdle();
    if (this.#readController && !this.#readClosed) {
      this.#readClosed = true;
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
    if (this.#done) return;
    this.#flushPendingError();
    this.#done = true;
    const closedError = this.#error ?? new Error("Socket closed");
    for (const w of this.#drainWaiters?.splice(0) ?? []) w.reject(closedError);
    this.#wakeStreamIdle();
    if (this.#readController && !this.#readClosed) {
      this.#readClosed = true;
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
    if (this.#reportedQueue && this.#sock.writableLength === 0 && !this.#done) {
      this.#reportedQueue = false;
      this.#handler.onDrain();
    }
  }

  #startMode(): void {
    if (this.#started) {
      throw new Error("A socket is read through its streams or its fast path, not both");
    }
    this.#started = true;
  }

  // -- fast path ------------------------------------------------------------

  /** The fast path: one object holding its socket, its methods on the prototype. */
  static #FastPath = class implements SocketFastPath {
    readonly owner: NodeSocket;
    constructor(owner: NodeSocket) {
      this.owner = owner;
    }

    start(handler: FastPathHandler): void {
      const self = this.owner;
      self.#startMode();
      if (self.#done) {
        // Closed before the core started: it still hears the failure, then the close.
        const error = self.#error;
        queueMicrotask(() => {
          if (error) handler.onError(error);
          handler.onClose();
        });
        return;
      }
      self.#handler = handler;
      if (self.#error) {
        // Failed (not yet closed) before the start: report it before 'close' does.
        self.#pendingError = self.#error;
        queueMicrotask(() => self.#flushPendingError());
      }
      const sock = self.#sock;
      sock.on("data", NodeSocket.#dataListener);
      sock.on("end", NodeSocket.#endListener);
      // Accepted sockets start paused (pauseOnConnect): adding 'data' does not resume them.
      sock.resume();
    }

    pauseReading(): void {
      this.owner.#sock.pause();
    }

    resumeReading(): void {
      if (!this.owner.#upgraded) this.owner.#sock.resume();
    }

    write(data: Uint8Array): number {
      const self = this.owner;
      const sock = self.#sock;
      if (self.#done || self.#upgraded || sock.destroyed || sock.writableEnded) return 0;
      // Made on the first write: an idle connection has no such closure.
      sock.write(data, self.#afterWriteFn ??= () => self.#afterWrite());
      const queued = sock.writableLength;
      if (queued > 0) self.#reportedQueue = true;
      return queued;
    }

    get bufferedAmount(): number {
      return this.owner.#done ? 0 : this.owner.#sock.writableLength;
    }
  };

  // -- streams --------------------------------------------------------------

  get readable(): ReadableStream<Uint8Array> {
    if (this.#readable) return this.#readable;
    this.#startMode();
    const sock = this.#sock;
    this.#readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#readController = controller;
          if (this.#done || this.#error) {
            this.#readClosed = true;
            if (this.#error) controller.error(this.#error);
            else controller.close();
            return;
          }
          sock.on("data", (chunk: Uint8Array) => {
            if (this.#readClosed || this.#upgraded) return;
            controller.enqueue(plain(chunk));
            // Backpressure reaches TCP: stop reading while the stream's queue is full.
            if ((controller.desiredSize ?? 0) <= 0) sock.pause();
          });
          sock.on("end", () => {
            if (this.#readClosed || this.#upgraded) return;
            this.#readClosed = true;
            controller.close();
          });
        },
        pull: () => {
          if (!this.#upgraded && !this.#done) sock.resume();
        },
        cancel: () => {
          this.#readClosed = true;
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
          if (this.#done || sock.destroyed) throw new Error("Socket closed");
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
    if (this.#streamQueued <= 0 || this.#done || this.#error || this.#writeEnded) {
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.#streamIdleWaiters ??= []).push(resolve));
  }

  // -- control --------------------------------------------------------------

  /** Resolves once everything written has reached the kernel. */
  async #flushed(): Promise<void> {
    await this.#streamDrained();
    const sock = this.#sock;
    if (sock.writableLength === 0 || this.#done) return;
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
    this.#writeEnded = true;
    this.#wakeStreamIdle();
    const sock = this.#sock;
    if (this.#done || sock.destroyed) return;
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
    if (this.#done) return;
    const sock = this.#sock;
    try {
      await this.closeWrite();
    } catch {
      // The socket failed while flushing: it is closing anyway.
    }
    if (!this.#done) {
      sock.destroy();
      await this.closed.catch(() => {});
    }
  }

  abort(reason?: unknown): void {
    if (this.#done) return;
    const sock = this.#sock as net.Socket & { resetAndDestroy?: () => void };
    if (this.#readController && !this.#readClosed) {
      this.#readClosed = true;
      this.#readController.error(reason ?? new Error("Socket aborted"));
    }
    try {
      // RST where the handle is a TCP handle; TLS and pipes just close.
      if (this.#isTcp && !this.#tls && typeof sock.resetAndDestroy === "function") {
        sock.resetAndDestroy();
        return;
      }
    } catch {
      // Not a TCP handle after all.
    }
    sock.destroy();
  }

  setNoDelay(enabled: boolean): void {
    if (this.#isTcp && !this.#done) this.#sock.setNoDelay(enabled);
  }

  setKeepAlive(enabled: boolean, initialDelayMs?: number): void {
    if (this.#isTcp && !this.#done) this.#sock.setKeepAlive(enabled, initialDelayMs ?? 0);
  }

  async startTls(options: TlsOptions & { isServer?: boolean }): Promise<Socket> {
    if (this.#done) throw this.#error ?? new Error("Cannot start TLS on a closed socket");
    await this.#flushed();
    const raw = this.#sock;
    // This socket hands its connection over: no more events from it.
    this.#upgraded = true;
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
    this.#done = true;
    this.#resolveClosed?.();
    raw.off("error", NodeSocket.#errorListener);
    raw.off("close", NodeSocket.#closeListener);
    raw.off("drain", NodeSocket.#drainListener);
    (raw as Owned)[OWNER] = undefined;
    // Errors of the raw socket surface through the TLS socket; keep node from throwing them.
    raw.on("error", () => {});
    return new NodeSocket(secure, ends, tlsInfoOf(secure), this.#isTcp);
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
