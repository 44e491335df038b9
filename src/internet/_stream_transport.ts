/**
 * The core stream transport: wraps a `Socket` (TCP, TLS, Unix, in-memory) as an
 * `ITCPTransport` for one protocol. It reads through the socket's `fastPath`
 * when the adapter offers one and through the Web Streams otherwise, with the
 * same behaviour either way (the tests run every case both ways).
 *
 * Write path: bytes go straight to the socket; only what the runtime did not
 * take is queued (in the adapter on the fast path, in the writable stream
 * otherwise). `bufferedAmount` counts those bytes; passing `bufferSize` (the
 * high-water mark, 64 KiB) pauses a streaming producer before `write` returns,
 * and the drain resumes it.
 *
 * @module
 */
import type { FastPathHandler, Socket, SocketFastPath, TlsOptions } from "./socket.ts";
import type {
  IBorrowingProtocol,
  IProtocol,
  IPullProducer,
  IPushProducer,
  ITCPTransport,
  ITransport,
} from "./interfaces.ts";
import { type Address, fromSocketAddress } from "./address.ts";
import { Failure } from "./failure.ts";
import { ConnectionAborted, ConnectionDone, ConnectionLost } from "./error.ts";
import type { Logger } from "../logger/_publisher.ts";
import * as F from "./_transport_state.ts";
import { DEFAULT_BUFFER_SIZE, defaultLogger, RareState } from "./_transport_state.ts";
import type { StreamsMode, StreamTransportOptions, TlsUpgrade } from "./_transport_state.ts";
export type { StreamTransportOptions } from "./_transport_state.ts";
import { type LiveResource, trackResource, untrackResource } from "./_live.ts";

/** A protocol may implement the half-close callbacks (`IHalfCloseableProtocol`). */
interface MaybeHalfCloseable extends IProtocol {
  readConnectionLost?: () => void;
  writeConnectionLost?: () => void;
}

/**
 * A connection's transport over a `Socket`. Create it, then `attach(protocol)`,
 * which calls `protocol.makeConnection(transport)` and starts reading. Ports
 * and connectors make one per connection; a runtime adapter or a test can make
 * its own over any `Socket`.
 *
 * @example
 * ```ts
 * import { Deferred, Protocol, StreamTransport } from "@tw/core";
 * import { AccumulatingProtocol, socketPair } from "@tw/core/testing";
 *
 * const [serverSocket, clientSocket] = socketPair();
 * const server = new AccumulatingProtocol();
 * server.closedDeferred = new Deferred();
 * new StreamTransport(serverSocket, { isServer: true }).attach(server);
 * const client = new StreamTransport(clientSocket);
 * client.attach(new Protocol());
 * client.write(new TextEncoder().encode("hello"));
 * client.loseConnection();
 * await server.closedDeferred;
 * console.log(new TextDecoder().decode(server.data)); // "hello"
 * ```
 */
export class StreamTransport implements ITCPTransport, LiveResource, FastPathHandler {
  // Its yes/no states, a bit each (F_*): one field for an idle connection, not 17.
  // Eight fields in all (rare state in `#rare`, the fast path through `#socket`):
  // Bun's objects grow in steps (up to 8 fields: 80 bytes; 9 to 12: 112).
  #flags = 0;

  #is(flag: number): boolean {
    return (this.#flags & flag) !== 0;
  }

  #set(flag: number, on: boolean): void {
    this.#flags = on ? this.#flags | flag : this.#flags & ~flag;
  }
  #socket: Socket;
  #onLost: ((reason: Failure, transport: StreamTransport) => void) | undefined;
  #protocol: MaybeHalfCloseable | null = null;

  /** Bumped whenever the current socket's events must be ignored (abort, TLS switch, loss). */
  #gen = 0;
  /** Bytes handed to the socket and not yet taken by the runtime. */
  #buffered = 0;
  #producer: IPushProducer | IPullProducer | null = null;
  /** The state only some transports need, made on first use (`#more`). */
  #rare: RareState | null = null;

  get #more(): RareState {
    return this.#rare ??= new RareState();
  }
  /** Buffered bytes above which a streaming producer is paused (Twisted's `bufferSize`). */
  get bufferSize(): number {
    return this.#rare?.bufferSize ?? DEFAULT_BUFFER_SIZE;
  }
  set bufferSize(value: number) {
    if (value !== DEFAULT_BUFFER_SIZE || this.#rare !== null) this.#more.bufferSize = value;
  }
  get #log(): Logger {
    return this.#rare?.log ?? defaultLogger;
  }

  /** The socket's stream ends, when it is read through its streams (no fast path). */
  get #streams(): StreamsMode | null {
    return this.#rare?.streams ?? null;
  }
  set #streams(value: StreamsMode | null) {
    if (value !== null || this.#rare !== null) this.#more.streams = value;
  }

  /** The TLS upgrade under way (`startTLS`), and the writes it holds; null when none is. */
  get #upgrade(): TlsUpgrade | null {
    return this.#rare?.upgrade ?? null;
  }
  set #upgrade(value: TlsUpgrade | null) {
    if (value !== null || this.#rare !== null) this.#more.upgrade = value;
  }

  /** The socket's fast path, when reading through it (no field: the socket holds it). */
  get #fast(): SocketFastPath | null {
    return this.#is(F.FAST) ? this.#socket.fastPath : null;
  }

  /**
   * Wraps `socket`; call `attach(protocol)` next.
   * @param socket the connected socket
   * @param options high-water mark, role, logger and loss hook
   */
  constructor(socket: Socket, options: StreamTransportOptions = {}) {
    this.#socket = socket;
    if (options.bufferSize !== undefined) this.bufferSize = options.bufferSize;
    this.#set(F.IS_SERVER, options.isServer ?? false);
    if (options.logger !== undefined) this.#more.log = options.logger;
    this.#onLost = options.onConnectionLost;
    this.#set(F.USE_FAST_PATH, options.fastPath ?? true);
    this.#set(F.UNTRACKED, options.tracked === false);
  }

  /** The protocol attached, or null before `attach`. */
  get protocol(): IProtocol | null {
    return this.#protocol;
  }

  /** The socket in use (a new one after `startTLS`). */
  get socket(): Socket {
    return this.#socket;
  }

  /** True until `connectionLost` has been decided. */
  get connected(): boolean {
    return !this.#is(F.LOST);
  }

  /** True once `loseConnection` or `abortConnection` has been called. */
  get disconnecting(): boolean {
    return this.#is(F.DISCONNECTING);
  }

  /** True once the connection is gone. */
  get disconnected(): boolean {
    return this.#is(F.LOST);
  }

  /** Bytes written and not yet taken by the runtime (plus any held for a TLS upgrade). */
  get bufferedAmount(): number {
    return this.#buffered + (this.#upgrade?.queued ?? 0);
  }

  /** The ALPN protocol the TLS handshake chose, or null. */
  get negotiatedProtocol(): string | null {
    return this.#socket.tls?.alpnProtocol ?? null;
  }

  /** `"connection"`, for the leak check. */
  get resourceKind(): string {
    return "connection";
  }

  /** Names the connection by its addresses, for the leak check. */
  describeResource(): string {
    const name = this.#protocol?.constructor?.name ?? "protocol";
    return `${name} ${String(this.getHost())} <-> ${String(this.getPeer())}`;
  }

  /** Aborts the connection (after a failed leak check). */
  closeResource(): void {
    this.abortConnection();
  }

  /** Attaches `protocol`, starts reading and calls `protocol.makeConnection(this)`. */
  attach(protocol: IProtocol): void {
    if (this.#protocol) throw new Error("StreamTransport already has a protocol");
    this.#protocol = protocol;
    if (!this.#is(F.UNTRACKED)) trackResource(this);
    this.#setup(this.#socket);
    try {
      protocol.makeConnection(this);
    } catch (e) {
      this.#protocolError(e, "connectionMade");
    }
  }

  // ---- reading -------------------------------------------------------------

  /** @internal The protocol's `IBorrowingProtocol.borrowsData`, for the fast path. */
  get borrowsData(): boolean {
    return (this.#protocol as Partial<IBorrowingProtocol> | null)?.borrowsData === true;
  }
  /** @internal `FastPathHandler.onData`, from the first socket. */
  onData(chunk: Uint8Array): void {
    this.#onData(0, chunk);
  }
  /** @internal `FastPathHandler.onEnd`, from the first socket. */
  onEnd(): void {
    this.#onEnd(0);
  }
  /** @internal `FastPathHandler.onDrain`, from the first socket. */
  onDrain(): void {
    if (this.#gen !== 0) return;
    this.#buffered = this.#fast!.bufferedAmount;
    if (this.#buffered === 0) this.#onDrain();
  }
  /** @internal `FastPathHandler.onError`, from the first socket. */
  onError(error: Error): void {
    this.#onError(0, error);
  }
  /** @internal `FastPathHandler.onClose`, from the first socket. */
  onClose(): void {
    this.#onClosed(0);
  }

  /**
   * Routes a later socket's fast-path events to its transport, for one
   * generation (a TLS upgrade or an abort starts another); the first socket's
   * come to the transport itself, so a connection costs no object for them.
   * Defined in the class body, so it reaches the private methods.
   */
  static #Events = class implements FastPathHandler {
    readonly transport: StreamTransport;
    readonly gen: number;
    constructor(transport: StreamTransport, gen: number) {
      this.transport = transport;
      this.gen = gen;
    }
    /** The protocol's `IBorrowingProtocol.borrowsData`. */
    get borrowsData(): boolean {
      return (this.transport.#protocol as Partial<IBorrowingProtocol> | null)?.borrowsData === true;
    }
    onData(chunk: Uint8Array): void {
      this.transport.#onData(this.gen, chunk);
    }
    onEnd(): void {
      this.transport.#onEnd(this.gen);
    }
    onDrain(): void {
      const t = this.transport;
      if (this.gen !== t.#gen) return;
      t.#buffered = t.#fast!.bufferedAmount;
      if (t.#buffered === 0) t.#onDrain();
    }
    onError(error: Error): void {
      this.transport.#onError(this.gen, error);
    }
    onClose(): void {
      this.transport.#onClosed(this.gen);
    }
  };

  #setup(socket: Socket): void {
    const gen = this.#gen;
    const fast = this.#is(F.USE_FAST_PATH) ? socket.fastPath : null;
    if (fast) {
      // The fast path reports the failure and the close itself: no need to watch `closed`.
      this.#set(F.FAST, true);
      this.#streams = null;
      fast.start(gen === 0 ? this : new StreamTransport.#Events(this, gen));
      this.#applyReadState();
    } else this.#setupStreams(socket, gen);
  }

  /**
   * Reads `socket` through its streams. A method of its own: its closures
   * would make every `#setup` call allocate a scope, fast path or not.
   */
  #setupStreams(socket: Socket, gen: number): void {
    socket.closed.then(
      () => this.#onClosed(gen),
      (e) => this.#onError(gen, e),
    );
    this.#set(F.FAST, false);
    const reader = socket.readable.getReader();
    this.#streams = { writer: socket.writable.getWriter(), reader, resumeReader: null };
    this.#readLoop(gen, reader).catch((e) => this.#onError(gen, e));
  }

  async #readLoop(gen: number, reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      while (gen === this.#gen) {
        if (this.#readPaused()) await this.#waitResume();
        if (gen !== this.#gen) return;
        const { value, done } = await reader.read();
        if (gen !== this.#gen) return;
        if (done) {
          this.#onEnd(gen);
          return;
        }
        // A pause requested while the read was pending holds this chunk back.
        if (this.#readPaused()) await this.#waitResume();
        this.#onData(gen, value);
      }
    } catch (e) {
      this.#onError(gen, e);
    }
  }

  #readPaused(): boolean {
    return this.#is(F.USER_PAUSED) || this.#is(F.READ_STOPPED) || this.#is(F.TLS_PAUSED);
  }

  #waitResume(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#streams !== null) this.#streams.resumeReader = resolve;
    });
  }

  #applyReadState(): void {
    if (this.#is(F.LOST)) return;
    const paused = this.#readPaused();
    if (this.#fast) {
      if (paused) this.#fast.pauseReading();
      else this.#fast.resumeReading();
    } else if (!paused && this.#streams?.resumeReader) {
      const resume = this.#streams.resumeReader;
      this.#streams.resumeReader = null;
      resume();
    }
  }

  #onData(gen: number, chunk: Uint8Array): void {
    if (gen !== this.#gen || this.#is(F.LOST)) return;
    try {
      this.#protocol!.dataReceived(chunk);
    } catch (e) {
      this.#protocolError(e, "dataReceived");
    }
  }

  #onEnd(gen: number): void {
    if (gen !== this.#gen || this.#is(F.LOST) || this.#is(F.READ_E_O_F) || this.#is(F.CLOSING)) {
      return;
    }
    this.#set(F.READ_E_O_F, true);
    const protocol = this.#protocol!;
    if (typeof protocol.readConnectionLost === "function") {
      // Half-closeable: the connection stays open for writing.
      try {
        protocol.readConnectionLost();
      } catch (e) {
        this.#protocolError(e, "readConnectionLost");
        return;
      }
      if (this.#is(F.WRITE_SHUT)) this.#closeNow();
      return;
    }
    // Not half-closeable: the peer's EOF ends the connection, after our flush.
    this.#set(F.DISCONNECTING, true);
    this.#set(F.READ_STOPPED, true);
    this.#set(F.CLOSE_REQUESTED, true);
    this.#closeWhenFlushed();
  }

  #onError(gen: number, error: unknown): void {
    if (gen !== this.#gen || this.#is(F.LOST)) return;
    this.#abortSocket(error);
    this.#finish(new ConnectionLost(describe(error), { cause: error }));
  }

  #onClosed(gen: number): void {
    if (gen !== this.#gen || this.#is(F.LOST)) return;
    this.#finish(new ConnectionDone());
  }

  #protocolError(error: unknown, where: string): void {
    this.#log.failure(
      `Unhandled error in {where} of {protocol}; dropping the connection`,
      error,
      "critical",
      {
        where,
        protocol: this.#protocol?.constructor?.name ?? "protocol",
      },
    );
    if (this.#is(F.LOST)) return;
    this.#set(F.DISCONNECTING, true);
    this.#gen++;
    this.#abortSocket(error);
    this.#finish(new ConnectionLost(`Connection dropped: ${describe(error)}`, { cause: error }));
  }

  #abortSocket(reason: unknown): void {
    try {
      this.#socket.abort(reason);
    } catch (e) {
      this.#log.failure("Socket abort failed", e, "warn");
    }
  }

  /** Runs a socket operation, turning a synchronous throw into a rejection. */
  #op(fn: () => Promise<unknown>): Promise<unknown> {
    try {
      return fn();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Decides the connection is lost; tells the producer and the protocol on the next microtask. */
  #finish(reason: Error): void {
    if (this.#is(F.LOST)) return;
    this.#set(F.LOST, true);
    this.#gen++;
    if (!this.#is(F.UNTRACKED)) untrackResource(this);
    const producer = this.#producer;
    this.#producer = null;
    this.#upgrade = null;
    this.#buffered = 0;
    const resume = this.#streams?.resumeReader ?? null;
    if (this.#streams !== null) this.#streams.resumeReader = null;
    resume?.();
    const failure = new Failure(reason);
    queueMicrotask(() => {
      if (producer) {
        try {
          producer.stopProducing();
        } catch (e) {
          this.#log.failure("Producer failed in stopProducing", e, "error");
        }
      }
      try {
        this.#protocol?.connectionLost(failure);
      } catch (e) {
        this.#log.failure("Unhandled error in connectionLost", e, "error");
      }
      try {
        this.#onLost?.(failure, this);
      } catch (e) {
        this.#log.failure("Unhandled error after connectionLost", e, "error");
      }
    });
  }

  // ---- writing -------------------------------------------------------------

  /**
   * See `ITransport.write`: writes, or queues what the runtime does not take.
   * Throws `TypeError` for anything but bytes (as Twisted does for `str`).
   */
  write(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`Data must be a Uint8Array, not ${typeof data}`);
    }
    if (this.#is(F.LOST) || this.#is(F.WRITE_SHUT) || data.byteLength === 0) return;
    this.#set(F.WROTE, true);
    if (this.#upgrade !== null) {
      this.#upgrade.queue.push(data);
      this.#upgrade.queued += data.byteLength;
    } else {
      this.#rawWrite(data);
    }
    this.#checkHighWater();
  }

  /** See `ITransport.writeSequence`. */
  writeSequence(data: Iterable<Uint8Array>): void {
    for (const chunk of data) this.write(chunk);
  }

  #rawWrite(data: Uint8Array): void {
    const fast = this.#fast;
    if (fast) {
      this.#buffered = fast.write(data);
      return;
    }
    const n = data.byteLength;
    const gen = this.#gen;
    this.#buffered += n;
    this.#streams!.writer.write(data).then(() => {
      if (gen !== this.#gen) return;
      this.#buffered -= n;
      if (this.#buffered === 0) this.#onDrain();
    }, (e) => this.#onError(gen, e));
  }

  #checkHighWater(): void {
    if (
      this.#producer && this.#is(F.STREAMING) && !this.#is(F.PRODUCER_PAUSED) &&
      this.bufferedAmount > this.bufferSize
    ) {
      this.#set(F.PRODUCER_PAUSED, true);
      try {
        (this.#producer as IPushProducer).pauseProducing();
      } catch (e) {
        this.#log.failure("Producer failed in pauseProducing", e, "error");
      }
    }
  }

  /** The socket took everything written: resume producers, finish pending closes. */
  #onDrain(): void {
    if (this.#is(F.LOST)) return;
    if (this.#upgrade !== null) {
      this.#switchToTls();
      return;
    }
    const producer = this.#producer;
    let askedProducer = false;
    if (producer) {
      if (this.#is(F.STREAMING)) {
        if (this.#is(F.PRODUCER_PAUSED)) {
          this.#set(F.PRODUCER_PAUSED, false);
          askedProducer = true;
          try {
            producer.resumeProducing();
          } catch (e) {
            this.#log.failure("Producer failed in resumeProducing", e, "error");
          }
        }
      } else {
        askedProducer = true;
        this.#schedulePull();
      }
    }
    if (this.bufferedAmount !== 0 || this.#is(F.LOST)) return;
    // As Twisted: a disconnecting transport closes once flushed unless it just
    // asked its producer for more (that producer's unregister closes it then).
    if (this.#is(F.DISCONNECTING) && !askedProducer && !this.#is(F.CLOSE_REQUESTED)) {
      this.#set(F.CLOSE_REQUESTED, true);
    }
    if (this.#is(F.CLOSE_REQUESTED)) this.#closeNow();
    else if (this.#is(F.WRITE_DISCONNECTING) && !this.#producer && !this.#is(F.WRITE_SHUT)) {
      this.#shutWrite();
    }
  }

  #schedulePull(): void {
    if (this.#is(F.PULL_SCHEDULED)) return;
    this.#set(F.PULL_SCHEDULED, true);
    queueMicrotask(() => {
      this.#set(F.PULL_SCHEDULED, false);
      this.#pullOnce();
    });
  }

  /** Asks a pull producer for one more chunk; again at once if it went straight through. */
  #pullOnce(): void {
    const producer = this.#producer;
    if (!producer || this.#is(F.STREAMING) || this.#is(F.LOST) || this.#upgrade) return;
    this.#set(F.WROTE, false);
    try {
      producer.resumeProducing();
    } catch (e) {
      this.#log.failure("Producer failed in resumeProducing", e, "error");
      return;
    }
    // Nothing queued means no drain will come: ask again, but only if it wrote
    // something (a producer that writes nothing would otherwise spin).
    if (
      this.#producer === producer && !this.#is(F.LOST) && this.bufferedAmount === 0 &&
      this.#is(F.WROTE)
    ) {
      this.#schedulePull();
    }
  }

  // ---- producers -----------------------------------------------------------

  /** See `IConsumer.registerProducer`. */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.#producer) {
      throw new Error("Cannot register a producer: another producer is still registered");
    }
    if (this.#is(F.LOST)) {
      producer.stopProducing();
      return;
    }
    this.#producer = producer;
    this.#set(F.STREAMING, streaming);
    this.#set(F.PRODUCER_PAUSED, false);
    if (!streaming) this.#pullOnce();
    else this.#checkHighWater();
  }

  /** See `IConsumer.unregisterProducer`. */
  unregisterProducer(): void {
    if (!this.#producer) return;
    this.#producer = null;
    this.#set(F.PRODUCER_PAUSED, false);
    if (this.#is(F.LOST)) return;
    if (this.#is(F.DISCONNECTING) && !this.#is(F.CLOSE_REQUESTED)) {
      this.#set(F.CLOSE_REQUESTED, true);
      this.#closeWhenFlushed();
    } else if (
      this.#is(F.WRITE_DISCONNECTING) && !this.#is(F.WRITE_SHUT) && this.bufferedAmount === 0
    ) {
      this.#shutWrite();
    }
  }

  /** True when the connection is encrypted (a TLS socket, or after `startTLS`). */
  get secure(): boolean {
    return this.#socket.tls !== null;
  }

  /** True while reading is paused by `pauseProducing` (receivers stop delivering). */
  get paused(): boolean {
    return this.#is(F.USER_PAUSED);
  }

  /** Stops reading (the transport as an `IPushProducer`). */
  pauseProducing(): void {
    this.#set(F.USER_PAUSED, true);
    this.#applyReadState();
  }

  /** Resumes reading. */
  resumeProducing(): void {
    this.#set(F.USER_PAUSED, false);
    this.#applyReadState();
  }

  /** Closes the connection (`loseConnection`). */
  stopProducing(): void {
    this.loseConnection();
  }

  // ---- closing -------------------------------------------------------------

  /**
   * See `ITransport.loseConnection`: flushes, then closes. As in Twisted, a
   * registered pull producer or paused streaming producer is waited for (its
   * `unregisterProducer` closes); an active streaming producer is not.
   */
  loseConnection(): void {
    if (this.#is(F.LOST) || this.#is(F.DISCONNECTING)) return;
    this.#set(F.DISCONNECTING, true);
    this.#set(F.READ_STOPPED, true);
    this.#applyReadState();
    if (!this.#producer || (this.#is(F.STREAMING) && !this.#is(F.PRODUCER_PAUSED))) {
      this.#set(F.CLOSE_REQUESTED, true);
      this.#closeWhenFlushed();
    }
  }

  /** See `ITransport.abortConnection`: closes at once; `connectionLost(ConnectionLost)`. */
  abortConnection(): void {
    if (this.#is(F.LOST)) return;
    this.#set(F.DISCONNECTING, true);
    this.#gen++;
    this.#abortSocket(undefined);
    this.#finish(new ConnectionAborted());
  }

  /** See `IHalfCloseableTransport.loseWriteConnection`: flushes, then shuts the write side. */
  loseWriteConnection(): void {
    if (this.#is(F.LOST) || this.#is(F.WRITE_DISCONNECTING)) return;
    this.#set(F.WRITE_DISCONNECTING, true);
    if (!this.#producer && this.bufferedAmount === 0 && !this.#upgrade) this.#shutWrite();
  }

  #closeWhenFlushed(): void {
    if (this.bufferedAmount === 0 && !this.#upgrade) this.#closeNow();
  }

  #closeNow(): void {
    if (this.#is(F.CLOSING) || this.#is(F.LOST)) return;
    this.#set(F.CLOSING, true);
    const gen = this.#gen;
    this.#op(() => this.#socket.close()).then(
      () => this.#onClosed(gen),
      (e) => this.#onError(gen, e),
    );
  }

  #shutWrite(): void {
    this.#set(F.WRITE_SHUT, true);
    const gen = this.#gen;
    this.#op(() => this.#socket.closeWrite()).then(() => {
      if (gen !== this.#gen || this.#is(F.LOST)) return;
      const protocol = this.#protocol!;
      if (typeof protocol.writeConnectionLost === "function") {
        try {
          protocol.writeConnectionLost();
        } catch (e) {
          this.#protocolError(e, "writeConnectionLost");
          return;
        }
      }
      if (this.#is(F.READ_E_O_F)) this.#closeNow();
    }, (e) => this.#onError(gen, e));
  }

  // ---- TLS -----------------------------------------------------------------

  /**
   * See `ITLSTransport.startTLS`: what was written before goes out in clear;
   * what is written after goes through TLS. Reading stops until the handshake
   * settles. `isServer` defaults to this connection's role.
   */
  startTLS(options: TlsOptions & { isServer?: boolean }): void {
    if (this.#is(F.LOST) || this.#upgrade) return;
    this.#upgrade = { options, queue: [], queued: 0 };
    this.#set(F.TLS_PAUSED, true);
    this.#applyReadState();
    if (this.#buffered === 0) this.#switchToTls();
  }

  #switchToTls(): void {
    if (this.#is(F.TLS_SWITCHING) || this.#is(F.LOST)) return;
    this.#set(F.TLS_SWITCHING, true);
    const old = this.#socket;
    const gen = ++this.#gen;
    // The old socket's streams are handed over to the TLS layer.
    try {
      this.#streams?.reader.releaseLock();
    } catch { /* a pending read rejects; the loop sees the new generation */ }
    try {
      this.#streams?.writer.releaseLock();
    } catch { /* nothing pending: we waited for the flush */ }
    this.#streams = null;
    const asked = this.#upgrade?.options ?? {};
    const options = { ...asked, isServer: asked.isServer ?? this.#is(F.IS_SERVER) };
    (this.#op(() => old.startTls(options)) as Promise<Socket>).then((socket) => {
      this.#set(F.TLS_SWITCHING, false);
      if (gen !== this.#gen || this.#is(F.LOST)) {
        socket.abort();
        return;
      }
      this.#socket = socket;
      this.#buffered = 0;
      this.#setup(socket);
      const queued = this.#upgrade?.queue ?? [];
      this.#upgrade = null;
      this.#set(F.TLS_PAUSED, false);
      this.#applyReadState();
      for (const chunk of queued) this.#rawWrite(chunk);
      if (this.bufferedAmount === 0) this.#onDrain();
    }, (e) => {
      this.#set(F.TLS_SWITCHING, false);
      if (gen !== this.#gen || this.#is(F.LOST)) return;
      old.abort(e);
      this.#finish(new ConnectionLost(`TLS upgrade failed: ${describe(e)}`, { cause: e }));
    });
  }

  // ---- addresses and options ----------------------------------------------

  /** See `ITransport.getPeer`. */
  getPeer(): Address {
    return fromSocketAddress(this.#socket.remoteAddress);
  }

  /** See `ITransport.getHost`. */
  getHost(): Address {
    return fromSocketAddress(this.#socket.localAddress);
  }

  /** See `ITCPTransport.setTcpNoDelay`. */
  setTcpNoDelay(enabled: boolean): void {
    this.#socket.setNoDelay(enabled);
  }

  /** See `ITCPTransport.setTcpKeepAlive`. */
  setTcpKeepAlive(enabled: boolean): void {
    this.#socket.setKeepAlive(enabled);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when `transport` is a `StreamTransport` (for code holding an `ITransport`). */
export function isStreamTransport(transport: ITransport): transport is StreamTransport {
  return transport instanceof StreamTransport;
}
