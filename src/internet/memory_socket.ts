/**
 * In-memory sockets: a connected `Socket` pair (`socketPair`) and a small
 * in-memory network (`MemoryNetwork`) implementing the listen / connect /
 * resolve / UDP parts of `RuntimeNetwork`. Both offer the Web Streams surface and,
 * unless asked not to, the callback `fastPath`, so the same transport tests run
 * both ways. A per-side buffer limit makes backpressure real: a writer's bytes
 * stay queued in its own adapter queue while the peer does not read.
 *
 * Delivery is asynchronous (microtasks): a write never calls the peer's
 * `onData` before it returns.
 *
 * @example
 * ```ts
 * import { socketPair } from "@tw/core/testing";
 * const [a, b] = socketPair();
 * const writer = a.writable.getWriter();
 * await writer.write(new TextEncoder().encode("hi"));
 * const { value } = await b.readable.getReader().read();
 * console.log(new TextDecoder().decode(value)); // "hi"
 * ```
 * @module
 */
import type {
  ChildProcess,
  ConnectOptions,
  DatagramOptions,
  DatagramSocket,
  FastPathHandler,
  Listener,
  ListenOptions,
  ResolvedAddress,
  RuntimeNetwork,
  Socket,
  SocketAddress,
  SocketFastPath,
  SpawnOptions,
  TlsInfo,
  TlsOptions,
} from "./socket.ts";
import { NotSupportedError } from "./error.ts";
import { type DatagramRouter, MemoryDatagramSocket } from "./_memory_datagram.ts";

/** Options for `socketPair`. */
export interface SocketPairOptions {
  /** Offer the callback fast path (`socket.fastPath`); `false` hides it. @default true */
  fastPath?: boolean;
  /**
   * Bytes a side accepts from its peer before the peer's writes stay queued in
   * the peer's adapter (the "kernel buffer"). @default Infinity
   */
  bufferLimit?: number;
  /** The first socket's address. @default 127.0.0.1:10001 */
  addressA?: SocketAddress;
  /** The second socket's address. @default 127.0.0.1:10002 */
  addressB?: SocketAddress;
}

/**
 * The error a memory socket reports when its peer aborted (a TCP reset).
 *
 * @example
 * ```ts
 * import { MemoryConnectionReset, socketPair } from "@tw/core/testing";
 * const [a, b] = socketPair();
 * a.abort();
 * await b.closed.catch((e) => console.log(e instanceof MemoryConnectionReset)); // true
 * ```
 */
export class MemoryConnectionReset extends Error {
  /** `"ECONNRESET"`, as Node reports it. */
  readonly code: string = "ECONNRESET";
  /** Creates the error. */
  constructor(message = "Connection reset by peer") {
    super(message);
    this.name = "ConnectionReset";
  }
}

/** One direction's receiving end plus the sending queue: the engine behind a socket. */
class End {
  peer!: End;
  limit: number;
  localAddress: SocketAddress;
  remoteAddress: SocketAddress;
  /** Bytes received from the peer, not yet handed to this side's reader. */
  inbound: Uint8Array[] = [];
  inboundBytes = 0;
  /** Bytes this side wrote that the peer's inbound could not take yet. */
  pending: Uint8Array[] = [];
  pendingBytes = 0;
  /** The peer shut its write side; delivered as onEnd once inbound is empty. */
  eofIncoming = false;
  endDelivered = false;
  writeClosing = false;
  writeClosed = false;
  closed = false;
  paused = false;
  sink: FastPathHandler | null = null;
  #deliverScheduled = false;
  #drainWaiters: (() => void)[] = [];
  #writeClosedWaiters: (() => void)[] = [];
  closedPromise: Promise<void>;
  resolveClosed!: () => void;
  rejectClosed!: (e: Error) => void;
  error: Error | null = null;

  constructor(limit: number, local: SocketAddress, remote: SocketAddress) {
    this.limit = limit;
    this.localAddress = local;
    this.remoteAddress = remote;
    this.closedPromise = new Promise<void>((resolve, reject) => {
      this.resolveClosed = resolve;
      this.rejectClosed = reject;
    });
    // Whoever uses the socket observes `closed`; this keeps an unobserved
    // memory socket from reporting an unhandled rejection.
    this.closedPromise.catch(() => {});
  }

  /** Writes or queues; returns the bytes left queued here. */
  write(data: Uint8Array): number {
    if (this.closed || this.writeClosing || data.byteLength === 0) return this.pendingBytes;
    this.pending.push(data);
    this.pendingBytes += data.byteLength;
    this.pump();
    return this.pendingBytes;
  }

  /** Moves queued bytes into the peer's inbound, as far as its limit allows. */
  pump(): void {
    const peer = this.peer;
    let moved = false;
    while (this.pending.length > 0) {
      if (peer.closed) {
        // Writing to a closed peer: the bytes go nowhere (a real peer would reset).
        this.pending = [];
        this.pendingBytes = 0;
        break;
      }
      const space = peer.limit - peer.inboundBytes;
      if (space <= 0) break;
      const chunk = this.pending[0];
      const take = Math.min(space, chunk.byteLength);
      const piece = take === chunk.byteLength ? chunk : chunk.subarray(0, take);
      if (take === chunk.byteLength) this.pending.shift();
      else this.pending[0] = chunk.subarray(take);
      this.pendingBytes -= take;
      // The receiver owns what it gets: copy, as a kernel would.
      peer.inbound.push(piece.slice());
      peer.inboundBytes += take;
      moved = true;
    }
    if (moved) peer.scheduleDeliver();
    if (this.pendingBytes === 0) {
      if (this.#drainWaiters.length > 0) {
        const waiters = this.#drainWaiters;
        this.#drainWaiters = [];
        for (const w of waiters) w();
      }
      if (this.writeClosing && !this.writeClosed) this.#finishCloseWrite();
    }
  }

  whenDrained(): Promise<void> {
    if (this.pendingBytes === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  closeWrite(): Promise<void> {
    if (this.closed || this.writeClosed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#writeClosedWaiters.push(resolve));
    if (!this.writeClosing) {
      this.writeClosing = true;
      if (this.pendingBytes === 0) this.#finishCloseWrite();
    }
    return done;
  }

  #finishCloseWrite(): void {
    this.writeClosed = true;
    const peer = this.peer;
    if (!peer.closed) {
      peer.eofIncoming = true;
      peer.scheduleDeliver();
    }
    const waiters = this.#writeClosedWaiters;
    this.#writeClosedWaiters = [];
    for (const w of waiters) w();
    this.#maybeFullyClosed();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.closeWrite();
    this.finish(null);
  }

  abort(): void {
    if (this.closed) return;
    this.pending = [];
    this.pendingBytes = 0;
    this.finish(null);
    const peer = this.peer;
    if (!peer.closed) peer.finish(new MemoryConnectionReset());
  }

  /** Ends this side: with `error`, a failure (peer reset); otherwise a clean close. */
  finish(error: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    this.error = error;
    this.inbound = [];
    this.inboundBytes = 0;
    this.pending = [];
    this.pendingBytes = 0;
    for (const w of this.#drainWaiters.splice(0)) w();
    for (const w of this.#writeClosedWaiters.splice(0)) w();
    const sink = this.sink;
    if (sink) {
      if (error) sink.onError(error);
      sink.onClose();
    }
    if (error) this.rejectClosed(error);
    else this.resolveClosed();
    // Room opened up in this side's inbound: the peer may pump (and drop) again.
    this.peer.pump();
  }

  #maybeFullyClosed(): void {
    if (!this.closed && this.writeClosed && this.endDelivered) this.finish(null);
  }

  scheduleDeliver(): void {
    if (this.#deliverScheduled) return;
    this.#deliverScheduled = true;
    queueMicrotask(() => {
      this.#deliverScheduled = false;
      this.deliver();
    });
  }

  deliver(): void {
    while (!this.closed && !this.paused && this.sink && this.inbound.length > 0) {
      const chunk = this.inbound.shift()!;
      this.inboundBytes -= chunk.byteLength;
      this.peer.pump();
      this.sink.onData(chunk);
    }
    if (
      !this.closed && !this.paused && this.sink && this.inbound.length === 0 &&
      this.eofIncoming && !this.endDelivered
    ) {
      this.endDelivered = true;
      this.sink.onEnd();
      this.#maybeFullyClosed();
    }
  }

  pauseReading(): void {
    this.paused = true;
  }

  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    this.scheduleDeliver();
  }
}

/** The Socket facade over an `End`; replaced by a new facade on `startTls`. */
class MemorySocket implements Socket {
  #end: End;
  #fastPathEnabled: boolean;
  #fastPath: SocketFastPath | null = null;
  #readable: ReadableStream<Uint8Array> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;
  #consumer: "none" | "fast" | "streams" = "none";
  #retired = false;
  #fastHandler: FastPathHandler | null = null;
  #drainArmed = false;
  readonly tls: TlsInfo | null;

  constructor(end: End, fastPath: boolean, tls: TlsInfo | null) {
    this.#end = end;
    this.#fastPathEnabled = fastPath;
    this.tls = tls;
    if (fastPath) this.#fastPath = this.#makeFastPath();
  }

  get localAddress(): SocketAddress {
    return this.#end.localAddress;
  }
  get remoteAddress(): SocketAddress {
    return this.#end.remoteAddress;
  }
  get closed(): Promise<void> {
    return this.#end.closedPromise;
  }
  get fastPath(): SocketFastPath | null {
    return this.#fastPath;
  }
  get native(): unknown {
    return this.#end;
  }

  #makeFastPath(): SocketFastPath {
    const end = this.#end;
    // deno-lint-ignore no-this-alias
    const self = this;
    return {
      start(handler: FastPathHandler): void {
        if (self.#consumer !== "none") throw new Error("Socket is already being read");
        self.#consumer = "fast";
        self.#fastHandler = handler;
        self.#attach({
          onData: (c) => handler.onData(c),
          onEnd: () => handler.onEnd(),
          onDrain: () => handler.onDrain(),
          onError: (e) => handler.onError(e),
          onClose: () => handler.onClose(),
        });
      },
      pauseReading(): void {
        end.pauseReading();
      },
      resumeReading(): void {
        end.resumeReading();
      },
      write(data: Uint8Array): number {
        if (self.#retired) return 0;
        const left = end.write(data);
        if (left > 0 && !self.#drainArmed) {
          self.#drainArmed = true;
          end.whenDrained().then(() => {
            self.#drainArmed = false;
            if (!end.closed && !self.#retired) self.#fastHandler?.onDrain();
          });
        }
        return left;
      },
      get bufferedAmount(): number {
        return end.pendingBytes;
      },
    };
  }

  #attach(sink: FastPathHandler): void {
    const end = this.#end;
    if (end.closed) {
      queueMicrotask(() => {
        if (end.error) sink.onError(end.error);
        sink.onClose();
      });
      return;
    }
    end.sink = sink;
    end.scheduleDeliver();
  }

  get readable(): ReadableStream<Uint8Array> {
    if (this.#readable) return this.#readable;
    if (this.#consumer === "fast") throw new Error("Socket is read through its fast path");
    this.#consumer = "streams";
    const end = this.#end;
    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    let done = false;
    this.#readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        ctrl = controller;
        // Pull-driven: nothing is taken from the peer until a read asks for it.
        end.pauseReading();
        this.#attach({
          onData: (chunk) => {
            if (done) return;
            ctrl.enqueue(chunk);
            if ((ctrl.desiredSize ?? 0) <= 0) end.pauseReading();
          },
          onEnd: () => {
            if (done) return;
            done = true;
            ctrl.close();
          },
          onDrain: () => {},
          onError: (e) => {
            if (done) return;
            done = true;
            ctrl.error(e);
          },
          onClose: () => {
            if (done) return;
            done = true;
            ctrl.close();
          },
        });
      },
      pull: () => {
        end.resumeReading();
      },
      cancel: () => {
        done = true;
        end.pauseReading();
      },
    }, { highWaterMark: 0 });
    return this.#readable;
  }

  get writable(): WritableStream<Uint8Array> {
    if (this.#writable) return this.#writable;
    const end = this.#end;
    this.#writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (end.closed) {
          if (end.error) throw end.error;
          return;
        }
        end.write(chunk);
        return end.whenDrained().then(() => {
          if (end.error) throw end.error;
        });
      },
      close: () => end.closeWrite(),
      abort: () => end.abort(),
    }, { highWaterMark: 1 });
    return this.#writable;
  }

  closeWrite(): Promise<void> {
    return this.#end.closeWrite();
  }

  close(): Promise<void> {
    return this.#end.close();
  }

  abort(_reason?: unknown): void {
    this.#end.abort();
  }

  setNoDelay(_enabled: boolean): void {}

  setKeepAlive(_enabled: boolean, _initialDelayMs?: number): void {}

  async startTls(options: TlsOptions & { isServer?: boolean }): Promise<Socket> {
    const end = this.#end;
    await end.whenDrained();
    if (end.closed) throw end.error ?? new Error("Socket is closed");
    // Pretend TLS: the same byte pipe under a new facade, which takes over reading.
    this.#retired = true;
    end.sink = null;
    end.paused = false;
    const alpn = options.alpnProtocols?.[0] ?? null;
    return new MemorySocket(end, this.#fastPathEnabled, { alpnProtocol: alpn });
  }
}

/**
 * Makes two connected in-memory sockets. Whatever one writes, the other reads.
 *
 * @example
 * ```ts
 * import { socketPair } from "@tw/core/testing";
 * const [a, b] = socketPair({ fastPath: false, bufferLimit: 1024 });
 * const writer = a.writable.getWriter();
 * await writer.write(new TextEncoder().encode("ping"));
 * await writer.close();
 * for await (const chunk of b.readable) console.log(new TextDecoder().decode(chunk)); // ping
 * ```
 * @param options fast path on or off, per-side buffer limit, addresses
 */
export function socketPair(options: SocketPairOptions = {}): [Socket, Socket] {
  const limit = options.bufferLimit ?? Infinity;
  const addrA = options.addressA ?? { transport: "tcp", hostname: "127.0.0.1", port: 10001 };
  const addrB = options.addressB ?? { transport: "tcp", hostname: "127.0.0.1", port: 10002 };
  const a = new End(limit, addrA, addrB);
  const b = new End(limit, addrB, addrA);
  a.peer = b;
  b.peer = a;
  const fast = options.fastPath ?? true;
  return [new MemorySocket(a, fast, null), new MemorySocket(b, fast, null)];
}

/** Options for `MemoryNetwork`. */
export interface MemoryNetworkOptions {
  /** Offer the fast path on the sockets made. @default true */
  fastPath?: boolean;
  /** Per-side buffer limit of the sockets made. @default Infinity */
  bufferLimit?: number;
  /** Host name -> addresses, for `resolve`. "localhost" resolves to 127.0.0.1 unless set. */
  hosts?: Record<string, string[]>;
}

function errorWithCode(message: string, code: string): Error {
  const e = new Error(message) as Error & { code: string };
  e.code = code;
  return e;
}

function key(address: SocketAddress): string {
  return address.transport === "unix"
    ? `unix:${address.path}`
    : `${address.hostname}:${address.port}`;
}

class MemoryListener implements Listener {
  readonly address: SocketAddress;
  #queue: Socket[] = [];
  #waiters: ((r: IteratorResult<Socket>) => void)[] = [];
  #closed = false;
  #onClose: () => void;

  constructor(address: SocketAddress, onClose: () => void) {
    this.address = address;
    this.#onClose = onClose;
  }

  get native(): unknown {
    return null;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  accept(socket: Socket): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter({ value: socket, done: false });
    else this.#queue.push(socket);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#onClose();
      for (const s of this.#queue.splice(0)) s.abort();
      for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true });
    }
    return Promise.resolve();
  }

  [Symbol.asyncIterator](): AsyncIterator<Socket> {
    return {
      next: (): Promise<IteratorResult<Socket>> => {
        const s = this.#queue.shift();
        if (s) return Promise.resolve({ value: s, done: false });
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.#waiters.push(resolve));
      },
      return: (): Promise<IteratorResult<Socket>> => {
        return this.close().then(() => ({ value: undefined, done: true }));
      },
    };
  }
}

/**
 * An in-memory network implementing the socket half of `RuntimeNetwork`: `listen`,
 * `connect`, `resolve` and `bindDatagram` over memory sockets, so that ports,
 * connectors and endpoints can be tested without the operating system.
 * `spawn` and `runInWorker` are not supported.
 *
 * Connecting to an address nothing listens on fails with `ECONNREFUSED`; an
 * address passed to `blackhole()` never answers (for timeouts); an unknown host
 * name fails to resolve with `ENOTFOUND`.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from "@tw/core/testing";
 *
 * const network = new MemoryNetwork({ hosts: { "db.internal": ["10.0.0.5"] } });
 * const listener = await network.listen({ transport: "tcp", hostname: "10.0.0.5", port: 5432 });
 * const [{ address }] = await network.resolve("db.internal");
 * const client = await network.connect({ transport: "tcp", hostname: address, port: 5432 });
 * for await (const server of listener) {
 *   console.log(server.localAddress); // { transport: "tcp", hostname: "10.0.0.5", port: 5432 }
 *   break; // closes the listener
 * }
 * client.abort();
 * ```
 */
export class MemoryNetwork implements RuntimeNetwork {
  /** `"memory"`. */
  readonly name: string = "memory";
  #fastPath: boolean;
  #bufferLimit: number;
  #hosts: Map<string, string[]>;
  #listeners = new Map<string, MemoryListener>();
  #datagrams = new Map<string, MemoryDatagramSocket>();
  #blackholes = new Set<string>();
  #nextPort = 40000;
  #router: DatagramRouter = {
    deliver: (from, data, host, port) => this.#deliverDatagram(from, data, host, port),
    unbind: (socket) => this.#datagrams.delete(key(socket.address)),
  };
  /** Every connection made: `[client, server]`, for tests that look inside. */
  readonly connections: [Socket, Socket][] = [];

  /**
   * Creates an empty network.
   * @param options fast path, buffer limit and host table
   */
  constructor(options: MemoryNetworkOptions = {}) {
    this.#fastPath = options.fastPath ?? true;
    this.#bufferLimit = options.bufferLimit ?? Infinity;
    this.#hosts = new Map(Object.entries(options.hosts ?? {}));
    if (!this.#hosts.has("localhost")) this.#hosts.set("localhost", ["127.0.0.1"]);
  }

  /** Makes connections to `hostname:port` hang until aborted (to test timeouts). */
  blackhole(hostname: string, port: number): void {
    this.#blackholes.add(`${hostname}:${port}`);
  }

  /** Adds or replaces a host name's addresses. */
  setHost(name: string, addresses: string[]): void {
    this.#hosts.set(name, addresses);
  }

  /** Listens on a memory address; `EADDRINUSE` when taken. */
  listen(options: ListenOptions): Promise<Listener> {
    let address: SocketAddress;
    if (options.transport === "unix") {
      address = { transport: "unix", path: options.path };
    } else {
      const port = options.port === 0 ? this.#nextPort++ : options.port;
      address = { transport: "tcp", hostname: options.hostname ?? "0.0.0.0", port };
    }
    const k = key(address);
    if (this.#listeners.has(k) || this.#wildcardTaken(address)) {
      return Promise.reject(
        errorWithCode(`listen EADDRINUSE: address already in use ${k}`, "EADDRINUSE"),
      );
    }
    const listener = new MemoryListener(address, () => this.#listeners.delete(k));
    this.#listeners.set(k, listener);
    return Promise.resolve(listener);
  }

  #wildcardTaken(address: SocketAddress): boolean {
    if (address.transport === "unix") return false;
    for (const l of this.#listeners.values()) {
      const a = l.address;
      if (a.transport === "unix" || a.port !== address.port) continue;
      if (a.hostname === "0.0.0.0" || address.hostname === "0.0.0.0") return true;
    }
    return false;
  }

  #find(address: SocketAddress): MemoryListener | undefined {
    const exact = this.#listeners.get(key(address));
    if (exact || address.transport === "unix") return exact;
    const any = this.#listeners.get(`0.0.0.0:${address.port}`);
    if (any && !address.hostname.includes(":")) return any;
    return this.#listeners.get(`:::${address.port}`);
  }

  /** Connects to a memory listener; `ECONNREFUSED` when none. */
  connect(options: ConnectOptions): Promise<Socket> {
    const target: SocketAddress = options.transport === "unix"
      ? { transport: "unix", path: options.path }
      : { transport: "tcp", hostname: options.hostname, port: options.port };
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("Aborted"));
    if (this.#blackholes.has(key(target))) {
      return new Promise((_resolve, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason ?? new Error("Aborted")));
      });
    }
    const listener = this.#find(target);
    if (!listener || listener.isClosed) {
      return Promise.reject(
        errorWithCode(`connect ECONNREFUSED ${key(target)}`, "ECONNREFUSED"),
      );
    }
    const local: SocketAddress = target.transport === "unix" ? { transport: "unix", path: "" } : {
      transport: "tcp",
      hostname: options.transport === "tcp" && options.localAddress
        ? options.localAddress.hostname
        : (target.hostname.includes(":") ? "::1" : "127.0.0.1"),
      port: this.#nextPort++,
    };
    const serverAddr: SocketAddress = target.transport === "unix"
      ? target
      : { transport: "tcp", hostname: target.hostname, port: target.port };
    const [client, server] = socketPair({
      fastPath: this.#fastPath,
      bufferLimit: this.#bufferLimit,
      addressA: local,
      addressB: serverAddr,
    });
    this.connections.push([client, server]);
    return new Promise((resolve) => {
      queueMicrotask(() => {
        listener.accept(server);
        resolve(client);
      });
    });
  }

  /** Binds a memory UDP socket. */
  bindDatagram(options: DatagramOptions): Promise<DatagramSocket> {
    const port = options.port === 0 ? this.#nextPort++ : options.port;
    const address: SocketAddress = {
      transport: "udp",
      hostname: options.hostname ?? "0.0.0.0",
      port,
    };
    const k = key(address);
    if (this.#datagrams.has(k)) {
      return Promise.reject(errorWithCode(`bind EADDRINUSE ${k}`, "EADDRINUSE"));
    }
    const socket = new MemoryDatagramSocket(this.#router, address);
    this.#datagrams.set(k, socket);
    return Promise.resolve(socket);
  }

  /** Routes a datagram (dropped when nothing is bound there, as UDP does). */
  #deliverDatagram(from: MemoryDatagramSocket, data: Uint8Array, host: string, port: number): void {
    const target = this.#datagrams.get(`${host}:${port}`) ?? this.#datagrams.get(`0.0.0.0:${port}`);
    const source: SocketAddress = from.address.transport === "udp" &&
        from.address.hostname === "0.0.0.0"
      ? { transport: "udp", hostname: "127.0.0.1", port: from.address.port }
      : from.address;
    if (target) queueMicrotask(() => target.receive(data, source));
  }

  /** Not supported: use a fake `ChildProcess` in tests. */
  spawn(_options: SpawnOptions): ChildProcess {
    throw new NotSupportedError("memory", "spawn");
  }

  /** Resolves from the host table; IP literals resolve to themselves. */
  resolve(hostname: string): Promise<ResolvedAddress[]> {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(hostname)) {
      return Promise.resolve([{ address: hostname, family: 4 }]);
    }
    if (hostname.includes(":")) return Promise.resolve([{ address: hostname, family: 6 }]);
    const found = this.#hosts.get(hostname);
    if (!found || found.length === 0) {
      return Promise.reject(errorWithCode(`getaddrinfo ENOTFOUND ${hostname}`, "ENOTFOUND"));
    }
    return Promise.resolve(
      found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })),
    );
  }

  /** Signals never arrive on a memory network. */
  onSignal(_signal: string, _handler: () => void): () => void {
    return () => {};
  }

  /** Not supported. */
  runInWorker(_moduleURL: string, _exportName: string, _args: unknown[]): Promise<unknown> {
    return Promise.reject(new NotSupportedError("memory", "runInWorker"));
  }

  /** No environment. */
  env(_name: string): string | undefined {
    return undefined;
  }

  /** No arguments. */
  args(): string[] {
    return [];
  }

  /** Not supported: throws. */
  exit(code: number): never {
    throw new NotSupportedError("memory", `exit(${code})`);
  }
}
