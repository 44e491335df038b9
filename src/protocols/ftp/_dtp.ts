/**
 * The data connection (Twisted's DTP): the protocol on it, TYPE A line-end
 * conversion, the passive listener (one connection, from the client's address
 * only) and the active connection (PORT/EPRT).
 * @module
 */
import type { Address } from "../../internet/address.ts";
import { ConnectionDone } from "../../internet/error.ts";
import type { Failure } from "../../internet/failure.ts";
import type {
  IBorrowingProtocol,
  IConnector,
  IConsumer,
  IListeningPort,
  IProtocol,
  IPullProducer,
  IPushProducer,
  IReactorTCP,
  IReactorTime,
  ITransport,
} from "../../internet/interfaces.ts";
import { ClientFactory, Factory, Protocol } from "../../internet/protocol.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { FileWriter, type ReleasingConsumer } from "./_file_io.ts";
import type { IReadFile } from "./_interfaces.ts";

/** The reactor the FTP server needs: TCP and time. */
export type FTPReactor = IReactorTCP & IReactorTime;

/** `::ffff:1.2.3.4` as `1.2.3.4`; other hosts unchanged (lower case). */
export function plainHost(host: string): string {
  const lower = host.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped ? mapped[1] : lower.replace(/%.*$/, "");
}

/** The host of a TCP address ("" for others). */
export function hostOf(address: Address): string {
  return "host" in address ? plainHost(address.host) : "";
}

/** The data connection closed before the transfer ended, or failed. */
export class DataConnectionLost extends Error {
  constructor(message = "The data connection was lost") {
    super(message);
    this.name = "DataConnectionLost";
  }
}

/** Writes LF as CRLF (TYPE A downloads); a CR already before it is kept once. */
export class ToNetworkASCII implements ReleasingConsumer {
  readonly #target: ReleasingConsumer;
  #lastCR = false;
  constructor(target: ReleasingConsumer) {
    this.#target = target;
  }
  /** The target's: what passed through unchanged is held there. */
  get bufferedAmount(): number | undefined {
    return this.#target.bufferedAmount;
  }
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    this.#target.registerProducer(producer, streaming);
  }
  unregisterProducer(): void {
    this.#target.unregisterProducer();
  }
  write(data: Uint8Array): void {
    let extra = 0;
    for (let i = 0; i < data.byteLength; i++) {
      if (data[i] === 10 && !(i === 0 ? this.#lastCR : data[i - 1] === 13)) extra++;
    }
    if (extra === 0) {
      if (data.byteLength > 0) this.#lastCR = data[data.byteLength - 1] === 13;
      this.#target.write(data);
      return;
    }
    const out = new Uint8Array(data.byteLength + extra);
    let at = 0;
    let lastCR = this.#lastCR;
    for (const byte of data) {
      if (byte === 10 && !lastCR) out[at++] = 13;
      out[at++] = byte;
      lastCR = byte === 13;
    }
    this.#lastCR = lastCR;
    this.#target.write(out);
  }
}

/** Writes CRLF as LF (TYPE A uploads); a CR at a chunk's end waits for the next. */
export class FromNetworkASCII implements IConsumer {
  readonly #target: IConsumer;
  #pendingCR = false;
  constructor(target: IConsumer) {
    this.#target = target;
  }
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    this.#target.registerProducer(producer, streaming);
  }
  unregisterProducer(): void {
    this.#target.unregisterProducer();
  }
  write(data: Uint8Array): void {
    const out = new Uint8Array(data.byteLength + 1);
    let at = 0;
    for (const byte of data) {
      if (this.#pendingCR) {
        this.#pendingCR = false;
        if (byte !== 10) out[at++] = 13;
      }
      if (byte === 13) this.#pendingCR = true;
      else out[at++] = byte;
    }
    if (at > 0) this.#target.write(out.subarray(0, at));
  }
  /** Writes a CR left waiting at the end of the upload. */
  finish(): void {
    if (this.#pendingCR) this.#target.write(new Uint8Array([13]));
    this.#pendingCR = false;
  }
}

/** The most bytes a transport lends a borrowing protocol at once (`IBorrowingProtocol`). */
const MAX_LENT = 65536;

/**
 * One data connection. It holds reading until a transfer takes it (with PROT
 * P it first runs the server side of a TLS handshake, whenever the client
 * starts it), then either sends (`send`, `sendBytes`) or receives
 * (`receive`), and settles when the connection has closed.
 *
 * Without TLS it borrows the bytes it receives (`IBorrowingProtocol`): it
 * copies what it holds back, and what goes to a consumer that may keep it.
 * The file writer and TYPE A's converter copy chunks that small themselves,
 * so an upload to a file takes the network's bytes without a copy here.
 */
export class DTP extends Protocol implements IBorrowingProtocol {
  /** See `IBorrowingProtocol`; not with TLS, whose socket is another. */
  readonly borrowsData: boolean;
  readonly #tls: TlsOptions | null;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #sink: IConsumer | null = null;
  /** The sink copies every chunk a transport may lend (so none is copied for it here). */
  #sinkCopies = false;
  #producer: IPushProducer | IPullProducer | null = null;
  #reason: Failure | null = null;
  #lost: Promise<Failure>;
  #resolveLost!: (reason: Failure) => void;
  readonly #onMade: ((dtp: DTP) => void) | null;
  /** Set when this side aborted the transfer (ABOR), so its end is no success. */
  aborted = false;

  /**
   * Makes the protocol.
   * @param tls TLS server options when the data channel is protected (PROT P)
   * @param onMade called once the connection is up
   */
  constructor(tls: TlsOptions | null, onMade: ((dtp: DTP) => void) | null = null) {
    super();
    this.borrowsData = tls === null;
    this.#tls = tls;
    this.#onMade = onMade;
    this.#lost = new Promise((resolve) => {
      this.#resolveLost = resolve;
    });
  }

  override connectionMade(): void {
    this.transport.pauseProducing();
    if (this.#tls !== null) {
      const transport = this.transport as ITransport & { startTLS?(o: TlsOptions): void };
      // A transport that cannot protect the data is cut; the transfer sees it lost.
      if (typeof transport.startTLS !== "function") transport.abortConnection();
      else transport.startTLS({ ...this.#tls, isServer: true } as TlsOptions);
    }
    if (this.aborted) this.transport.abortConnection();
    else this.#onMade?.(this);
  }

  override dataReceived(data: Uint8Array): void {
    if (this.#sink !== null) {
      this.#sink.write(this.#sinkCopies ? data : this.#owned(data));
      return;
    }
    // Reading is paused until a transfer takes the connection: at most a chunk or two.
    this.#pending.push(this.#owned(data));
    this.#pendingBytes += data.byteLength;
    if (this.#pendingBytes > 1 << 20) this.transport.abortConnection();
  }

  /** `data`, or a copy of it when it may be lent (valid only during `dataReceived`). */
  #owned(data: Uint8Array): Uint8Array {
    return this.borrowsData && data.byteLength <= MAX_LENT ? data.slice() : data;
  }

  override connectionLost(reason: Failure): void {
    this.#reason = reason;
    const producer = this.#producer;
    this.#producer = null;
    producer?.stopProducing();
    if (this.#sink !== null) {
      try {
        this.#sink.unregisterProducer();
      } catch { /* the sink is being dropped */ }
    }
    this.#resolveLost(reason);
  }

  /** True once the connection has closed. */
  get closed(): boolean {
    return this.#reason !== null;
  }

  /** Resolves when the connection has closed, rejecting unless it closed cleanly. */
  async #ended(): Promise<void> {
    const reason = await this.#lost;
    if (this.aborted) throw new DataConnectionLost("The transfer was aborted");
    if (reason.check(ConnectionDone) === null) {
      throw new DataConnectionLost(`The data connection was lost: ${reason.value.message}`);
    }
  }

  /** Writes `data`, closes, and resolves once it went out and the connection closed. */
  sendBytes(data: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new DataConnectionLost());
    if (data.byteLength > 0) this.transport.write(data);
    this.transport.loseConnection();
    return this.#ended();
  }

  /** Sends `file` (LF as CRLF when `ascii`), closes, and resolves once the connection closed. */
  async send(file: IReadFile, ascii: boolean): Promise<void> {
    if (this.closed) throw new DataConnectionLost();
    const transport = this.transport as ITransport & { readonly bufferedAmount?: unknown };
    const tracked: ReleasingConsumer = {
      registerProducer: (producer, streaming) => {
        this.#producer = producer;
        transport.registerProducer(producer, streaming);
      },
      unregisterProducer: () => {
        this.#producer = null;
        transport.unregisterProducer();
      },
      write: (data) => transport.write(data),
      // 0: the transport holds nothing written, so the file's buffers can be read into again.
      get bufferedAmount() {
        const amount = transport.bufferedAmount;
        return typeof amount === "number" ? amount : undefined;
      },
    };
    const target: IConsumer = ascii ? new ToNetworkASCII(tracked) : tracked;
    try {
      await file.send(target);
    } catch (error) {
      if (this.closed || this.aborted) throw new DataConnectionLost();
      this.transport.abortConnection();
      throw error;
    }
    this.transport.loseConnection();
    await this.#ended();
  }

  /**
   * Writes what arrives to `consumer` (CRLF as LF when `ascii`) until the
   * client closes; the consumer may pause this connection (it is registered
   * as its producer).
   */
  async receive(consumer: IConsumer, ascii: boolean): Promise<void> {
    if (this.closed && this.#pending.length === 0) {
      await this.#ended();
      return;
    }
    const sink = ascii ? new FromNetworkASCII(consumer) : consumer;
    consumer.registerProducer(this.transport, true);
    this.#sink = sink;
    // FileWriter keeps only chunks of its CHUNK (1 MiB) or more, which are never lent.
    this.#sinkCopies = ascii || sink instanceof FileWriter;
    const pending = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    for (const chunk of pending) sink.write(chunk);
    if (!this.closed) this.transport.resumeProducing();
    else consumer.unregisterProducer();
    try {
      await this.#ended();
    } finally {
      if (sink instanceof FromNetworkASCII) sink.finish();
    }
  }

  /** Cuts the connection at once (ABOR, or the session ending during a transfer). */
  abort(): void {
    this.aborted = true;
    if (!this.closed && this.connected) this.transport.abortConnection();
  }

  /**
   * Closes a connection no transfer used (a new PASV, the session ending):
   * nothing is pending, and Node's exit can spin on a socket reset after
   * its peer closed it.
   * @param clock where the fallback cut is scheduled
   */
  release(clock: IReactorTime): void {
    this.aborted = true;
    if (this.closed || !this.connected) return;
    this.transport.loseConnection();
    if (this.closed) return;
    // A TLS handshake the client never starts would hold the close: cut it after 2 s.
    const timer = clock.callLater(2, () => this.transport.abortConnection());
    void this.#lost.then(() => {
      if (timer.active()) timer.cancel();
    });
  }
}

/** Builds the one DTP a passive listener accepts, from the allowed host only. */
class PassiveFactory extends Factory {
  readonly #allowed: string;
  readonly #tls: TlsOptions | null;
  readonly #onProtocol: (dtp: DTP) => void;
  #taken = false;
  constructor(allowed: string, tls: TlsOptions | null, onProtocol: (dtp: DTP) => void) {
    super();
    this.#allowed = allowed;
    this.#tls = tls;
    this.#onProtocol = onProtocol;
  }
  override buildProtocol(addr: Address): IProtocol | null {
    if (this.#taken || hostOf(addr) !== this.#allowed) return null;
    this.#taken = true;
    const dtp = new DTP(this.#tls, this.#onProtocol);
    dtp.factory = this;
    return dtp;
  }
}

/** Where a data connection comes from: a passive listener or an active connect. */
export interface DataChannel {
  /** The connection, once made; rejects after `timeout` seconds, or when cancelled. */
  connection(timeout: number): Promise<DTP>;
  /** True once a connection was made. */
  readonly connected: boolean;
  /**
   * Stops listening or connecting; a connection made is cut (`cut`, during
   * a transfer) or closed.
   */
  close(cut?: boolean): void;
}

/** A passive listener (PASV/EPSV): one connection, from the client's host. */
export class PassiveChannel implements DataChannel {
  readonly #reactor: FTPReactor;
  readonly #port: IListeningPort;
  #dtp: DTP | null = null;
  #waiter: ((dtp: DTP | Error) => void) | null = null;
  #closed = false;

  private constructor(reactor: FTPReactor, port: IListeningPort) {
    this.#reactor = reactor;
    this.#port = port;
  }

  /**
   * Listens on `host` (the control connection's local address), on the first
   * free port of `range` ([0, 0]: any), for a connection from `allowed`.
   */
  static async open(
    reactor: FTPReactor,
    host: string,
    range: readonly [number, number],
    allowed: string,
    tls: TlsOptions | null,
  ): Promise<PassiveChannel> {
    let channel: PassiveChannel | null = null;
    const factory = new PassiveFactory(allowed, tls, (dtp) => {
      if (channel === null) dtp.abort();
      else channel.#accepted(dtp);
    });
    const [low, high] = range;
    const count = high - low + 1;
    const start = low === 0 ? 0 : Math.floor(Math.random() * count);
    let lastError: unknown = new Error("No passive port is free");
    for (let i = 0; i < (low === 0 ? 1 : count); i++) {
      const portNumber = low === 0 ? 0 : low + ((start + i) % count);
      const port = reactor.listenTCP(portNumber, factory, { interface: host });
      try {
        await port.whenListening?.();
      } catch (error) {
        lastError = error;
        continue;
      }
      channel = new PassiveChannel(reactor, port);
      return channel;
    }
    throw lastError;
  }

  /** The bound port. */
  get port(): number {
    const address = this.#port.getHost();
    return "port" in address ? address.port : 0;
  }

  get connected(): boolean {
    return this.#dtp !== null;
  }

  #accepted(dtp: DTP): void {
    this.#dtp = dtp;
    this.#stopListening();
    if (this.#closed) {
      dtp.abort();
      return;
    }
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.(dtp);
  }

  #stopListening(): void {
    Promise.resolve(this.#port.stopListening()).catch(() => {});
  }

  connection(timeout: number): Promise<DTP> {
    if (this.#dtp !== null) return Promise.resolve(this.#dtp);
    if (this.#closed) return Promise.reject(new DataConnectionLost("The listener is closed"));
    return new Promise<DTP>((resolve, reject) => {
      const timer = this.#reactor.callLater(timeout, () => {
        this.#waiter = null;
        reject(new DataConnectionLost("No data connection came in time"));
      });
      this.#waiter = (result) => {
        if (timer.active()) timer.cancel();
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
    });
  }

  close(cut = false): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#dtp === null) this.#stopListening();
    else if (cut) this.#dtp.abort();
    else this.#dtp.release(this.#reactor);
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.(new DataConnectionLost("The listener is closed"));
  }
}

/** Builds the DTP of an active connection and reports a failed attempt. */
class ActiveFactory extends ClientFactory {
  readonly #tls: TlsOptions | null;
  readonly #onMade: (dtp: DTP) => void;
  readonly #onFailed: (error: Error) => void;
  constructor(tls: TlsOptions | null, onMade: (dtp: DTP) => void, onFailed: (e: Error) => void) {
    super();
    this.#tls = tls;
    this.#onMade = onMade;
    this.#onFailed = onFailed;
  }
  override buildProtocol(_addr: Address): IProtocol {
    const dtp = new DTP(this.#tls, this.#onMade);
    dtp.factory = this;
    return dtp;
  }
  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    this.#onFailed(new DataConnectionLost(`Cannot connect: ${reason.value.message}`));
  }
}

/** Connects to the client's PORT/EPRT address when a transfer starts. */
export class ActiveChannel implements DataChannel {
  readonly #reactor: FTPReactor;
  readonly #host: string;
  readonly #port: number;
  readonly #tls: TlsOptions | null;
  #dtp: DTP | null = null;
  #connector: IConnector | null = null;
  #closed = false;
  #reject: ((error: Error) => void) | null = null;

  /**
   * Remembers where to connect.
   * @param reactor connects and times out
   * @param host the client's host
   * @param port the client's port
   * @param tls TLS server options with PROT P
   */
  constructor(reactor: FTPReactor, host: string, port: number, tls: TlsOptions | null) {
    this.#reactor = reactor;
    this.#host = host;
    this.#port = port;
    this.#tls = tls;
  }

  get connected(): boolean {
    return this.#dtp !== null;
  }

  connection(timeout: number): Promise<DTP> {
    if (this.#dtp !== null) return Promise.resolve(this.#dtp);
    if (this.#closed) return Promise.reject(new DataConnectionLost("Closed"));
    return new Promise<DTP>((resolve, reject) => {
      this.#reject = reject;
      const onMade = (dtp: DTP): void => {
        this.#dtp = dtp;
        this.#reject = null;
        if (this.#closed) dtp.abort();
        else resolve(dtp);
      };
      const factory = new ActiveFactory(this.#tls, onMade, reject);
      this.#connector = this.#reactor.connectTCP(this.#host, this.#port, factory, { timeout });
    });
  }

  close(cut = false): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#dtp !== null) {
      if (cut) this.#dtp.abort();
      else this.#dtp.release(this.#reactor);
    } else {
      this.#connector?.stopConnecting();
    }
    this.#reject?.(new DataConnectionLost("Closed"));
    this.#reject = null;
  }
}
