/**
 * Two protocols talking through in-memory transports, moved step by step
 * (`twisted.test.iosim`): `FakeTransport`, `IOPump`, `connect` and
 * `connectedServerAndClient`; plus `waitUntilAllDisconnected`.
 *
 * @module
 */
import { type Address, IPv4Address } from "../internet/address.ts";
import { Clock } from "../internet/_clock.ts";
import { Deferred } from "../internet/defer.ts";
import { ConnectionDone, ConnectionLost } from "../internet/error.ts";
import { Failure } from "../internet/failure.ts";
import type {
  IDelayedCall,
  IHalfCloseableProtocol,
  IHalfCloseableTransport,
  IProtocol,
  IProtocolFactory,
  IPullProducer,
  IPushProducer,
  IReactorTime,
} from "../internet/interfaces.ts";

/** Options of {@link FakeTransport}. */
export interface FakeTransportOptions {
  /** This side's address. @default 127.0.0.1:10001 for a server, :10002 for a client */
  hostAddress?: Address;
  /** The other side's address. @default the other one of the two above */
  peerAddress?: Address;
}

const SERVER_ADDRESS = new IPv4Address("TCP", "127.0.0.1", 10001);
const CLIENT_ADDRESS = new IPv4Address("TCP", "127.0.0.1", 10002);

/**
 * One side of an `IOPump` connection: writes are kept until the pump moves
 * them to the other side. `loseConnection` takes effect once what was written
 * has been delivered; `abortConnection` discards it; `loseWriteConnection`
 * half-closes. `pauseProducing` holds back delivery to this side's protocol
 * until `resumeProducing`. A registered pull producer is asked for more at
 * each pump; a streaming producer is paused while more than `bufferSize` bytes
 * wait for a paused peer, and resumed once they are delivered.
 *
 * @example
 * ```ts
 * import { AccumulatingProtocol, connect, FakeTransport } from "@tw/core/testing";
 *
 * const server = new AccumulatingProtocol();
 * const client = new AccumulatingProtocol();
 * const serverIO = new FakeTransport(server, true);
 * const pump = connect(server, serverIO, client, new FakeTransport(client, false));
 * serverIO.write(new TextEncoder().encode("hi"));
 * console.log(serverIO.bufferedAmount); // 2
 * pump.flush();
 * console.log(new TextDecoder().decode(client.data)); // "hi"
 * ```
 */
export class FakeTransport implements IHalfCloseableTransport {
  /** The protocol this transport carries bytes for. */
  readonly protocol: IProtocol;
  /** True for the server's side. */
  readonly isServer: boolean;
  /** This side's address. */
  hostAddress: Address;
  /** The other side's address. */
  peerAddress: Address;
  /** True once `loseConnection` or `abortConnection` ran (or the peer disconnected). */
  disconnecting = false;
  /** True once the protocol was told the connection is lost. */
  disconnected = false;
  /** True once `abortConnection` ran. */
  aborted = false;
  /** The error `connectionLost` gets. @default ConnectionDone */
  disconnectReason: Error = new ConnectionDone("Connection done");
  /** The registered producer, or null. */
  producer: IPushProducer | IPullProducer | null = null;
  /** Whether the producer is a streaming (push) one. */
  streamingProducer = false;
  /** True while this transport is paused (its protocol gets no data). */
  paused = false;
  /** Bytes waiting for a paused peer above which a streaming producer is paused. */
  bufferSize = 65536;
  /** True once `loseWriteConnection` ran. */
  writeClosed = false;
  #stream: Uint8Array[] = [];
  #buffered = 0;
  #kick = false;
  #producerPausedByUs = false;

  /**
   * Makes one side of a connection.
   * @param protocol the protocol the transport carries bytes for
   * @param isServer whether this is the server's side
   * @param options addresses
   */
  constructor(protocol: IProtocol, isServer: boolean, options: FakeTransportOptions = {}) {
    this.protocol = protocol;
    this.isServer = isServer;
    this.hostAddress = options.hostAddress ?? (isServer ? SERVER_ADDRESS : CLIENT_ADDRESS);
    this.peerAddress = options.peerAddress ?? (isServer ? CLIENT_ADDRESS : SERVER_ADDRESS);
  }

  /** True until the protocol was told the connection is lost. */
  get connected(): boolean {
    return !this.disconnected;
  }

  /** Bytes written and not yet moved by the pump. */
  get bufferedAmount(): number {
    return this.#buffered;
  }

  /**
   * Keeps `data` (copied) for the pump; dropped once disconnecting or half-closed.
   * @throws {TypeError} when `data` is not a `Uint8Array`
   */
  write(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`Data must be a Uint8Array, not ${typeof data}`);
    }
    if (this.disconnecting || this.writeClosed || data.byteLength === 0) return;
    this.#stream.push(data.slice());
    this.#buffered += data.byteLength;
  }

  /** Writes each chunk in order. */
  writeSequence(data: Iterable<Uint8Array>): void {
    for (const chunk of data) this.write(chunk);
  }

  /** Takes every byte waiting to be moved, or null when none is. */
  getOutBuffer(): Uint8Array | null {
    if (this.#buffered === 0) return null;
    const out = new Uint8Array(this.#buffered);
    let at = 0;
    for (const chunk of this.#stream) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    this.#stream = [];
    this.#buffered = 0;
    return out;
  }

  /** Registers a producer; a pull producer is asked for its first chunk at once. */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.producer !== null) throw new Error("Cannot register two producers");
    this.producer = producer;
    this.streamingProducer = streaming;
    this.#producerPausedByUs = false;
    if (!streaming) producer.resumeProducing();
  }

  /** Forgets the producer. */
  unregisterProducer(): void {
    this.producer = null;
    this.#producerPausedByUs = false;
  }

  /** Disconnects once the bytes written so far have been delivered. */
  loseConnection(): void {
    this.disconnecting = true;
  }

  /** Disconnects at the next pump, discarding unsent bytes; both sides get `ConnectionLost`. */
  abortConnection(): void {
    this.aborted = true;
    this.disconnectReason = new ConnectionLost("Connection was aborted");
    this.#stream = [];
    this.#buffered = 0;
    this.disconnecting = true;
  }

  /** Shuts this side's write direction once the bytes written have been delivered. */
  loseWriteConnection(): void {
    this.writeClosed = true;
  }

  /** Holds back delivery to this side's protocol. */
  pauseProducing(): void {
    this.paused = true;
  }

  /** Resumes delivery; the next pump gives the protocol a chance to go on (an empty chunk). */
  resumeProducing(): void {
    if (this.paused) this.#kick = true;
    this.paused = false;
  }

  /** Loses the connection. */
  stopProducing(): void {
    this.loseConnection();
  }

  /** This side's address. */
  getHost(): Address {
    return this.hostAddress;
  }

  /** The other side's address. */
  getPeer(): Address {
    return this.peerAddress;
  }

  /** Tells the protocol the connection is lost, with `disconnectReason`. */
  reportDisconnect(): void {
    this.disconnected = true;
    this.disconnecting = true;
    if (this.producer !== null) {
      const producer = this.producer;
      this.producer = null;
      producer.stopProducing();
    }
    this.protocol.connectionLost(new Failure(this.disconnectReason));
  }

  /** Internal to `IOPump`: takes the pending resume kick. */
  takeKick(): boolean {
    const kick = this.#kick;
    this.#kick = false;
    return kick;
  }

  /**
   * Internal to `IOPump`: asks a pull producer for a chunk (when `pull`), or
   * pauses or resumes a streaming producer by the bytes held back.
   */
  checkProducer(pull = true): void {
    const producer = this.producer;
    if (producer === null || this.disconnected) return;
    if (!this.streamingProducer) {
      if (pull) (producer as IPullProducer).resumeProducing();
      return;
    }
    if (!this.#producerPausedByUs && this.#buffered > this.bufferSize) {
      this.#producerPausedByUs = true;
      (producer as IPushProducer).pauseProducing();
    } else if (this.#producerPausedByUs && this.#buffered === 0) {
      this.#producerPausedByUs = false;
      producer.resumeProducing();
    }
  }
}

/** Options of {@link IOPump} and {@link connect}. */
export interface IOPumpOptions {
  /** Print each step with `console.log`. @default false */
  debug?: boolean;
  /** A clock advanced by 0 before each pump (so calls due now run). @default a new Clock */
  clock?: Clock;
}

/**
 * Moves bytes between two `FakeTransport`s, one round at a time: `pump()`
 * moves one round, `flush()` pumps until nothing moves.
 *
 * @example
 * ```ts
 * import { AccumulatingProtocol, FakeTransport, IOPump } from "@tw/core/testing";
 *
 * const server = new AccumulatingProtocol();
 * const client = new AccumulatingProtocol();
 * const serverIO = new FakeTransport(server, true);
 * const clientIO = new FakeTransport(client, false);
 * server.makeConnection(serverIO);
 * client.makeConnection(clientIO);
 * const pump = new IOPump(client, server, clientIO, serverIO);
 * clientIO.write(new TextEncoder().encode("ping"));
 * console.log(pump.pump()); // true
 * console.log(new TextDecoder().decode(server.data)); // "ping"
 * ```
 */
export class IOPump {
  /** The client's protocol. */
  readonly client: IProtocol;
  /** The server's protocol. */
  readonly server: IProtocol;
  /** The client's transport. */
  readonly clientIO: FakeTransport;
  /** The server's transport. */
  readonly serverIO: FakeTransport;
  /** The clock advanced by 0 before each round. */
  readonly clock: Clock;
  /** Whether each step is printed. */
  debug: boolean;
  #halfClosed = new Set<FakeTransport>();

  /**
   * Makes a pump.
   * @param client the client's protocol
   * @param server the server's protocol
   * @param clientIO the client's transport
   * @param serverIO the server's transport
   * @param options debug output and the clock
   */
  constructor(
    client: IProtocol,
    server: IProtocol,
    clientIO: FakeTransport,
    serverIO: FakeTransport,
    options: IOPumpOptions = {},
  ) {
    this.client = client;
    this.server = server;
    this.clientIO = clientIO;
    this.serverIO = serverIO;
    this.clock = options.clock ?? new Clock();
    this.debug = options.debug ?? false;
  }

  /**
   * Moves one round of bytes both ways (then half-closes and disconnections);
   * returns whether anything happened.
   * @param advanceClock advance the clock by 0 first
   */
  pump(advanceClock = true): boolean {
    if (advanceClock) this.clock.advance(0);
    this.clientIO.checkProducer();
    this.serverIO.checkProducer();
    const cData = this.serverIO.paused ? null : this.clientIO.getOutBuffer();
    const sData = this.clientIO.paused ? null : this.serverIO.getOutBuffer();
    if (this.debug) this.#log(cData, sData);
    if (cData !== null && !this.serverIO.disconnected) this.server.dataReceived(cData);
    if (sData !== null && !this.clientIO.disconnected) this.client.dataReceived(sData);
    this.clientIO.checkProducer(false);
    this.serverIO.checkProducer(false);
    let moved = cData !== null || sData !== null;
    // A resumed side that got no data still gets a turn, to deliver what it held back.
    for (const [io, got] of [[this.clientIO, sData], [this.serverIO, cData]] as const) {
      if (io.takeKick() && got === null && !io.paused && !io.disconnected) {
        io.protocol.dataReceived(new Uint8Array(0));
        moved = true;
      }
    }
    if (moved) return true;
    if (this.#halfClose(this.clientIO, this.serverIO)) return true;
    if (this.#halfClose(this.serverIO, this.clientIO)) return true;
    if (this.#disconnect(this.serverIO, this.clientIO)) return true;
    if (this.#disconnect(this.clientIO, this.serverIO)) return true;
    return false;
  }

  /**
   * Pumps until a round moves nothing; returns whether anything moved.
   * @param advanceClock advance the clock by 0 before each round
   * @throws {Error} after 1000 busy rounds (two protocols that never stop talking)
   */
  flush(advanceClock = true): boolean {
    let result = false;
    for (let i = 0; i < 1000; i++) {
      if (!this.pump(advanceClock)) return result;
      result = true;
    }
    throw new Error("IOPump.flush: still busy after 1000 rounds");
  }

  /** `from`'s write side shut: tell `to`'s protocol, or drop the connection if it cannot half-close. */
  #halfClose(from: FakeTransport, to: FakeTransport): boolean {
    if (!from.writeClosed || this.#halfClosed.has(from) || from.bufferedAmount > 0) return false;
    if (from.disconnected || to.disconnected) return false;
    this.#halfClosed.add(from);
    const writer = from.protocol as Partial<IHalfCloseableProtocol>;
    writer.writeConnectionLost?.();
    const reader = to.protocol as Partial<IHalfCloseableProtocol>;
    if (typeof reader.readConnectionLost === "function") {
      reader.readConnectionLost();
      if (this.#halfClosed.has(to)) {
        // Both directions are shut: the connection is over.
        from.loseConnection();
      }
    } else {
      // A protocol that cannot half-close takes EOF as the end of the connection.
      to.loseConnection();
    }
    return true;
  }

  /** `from` is disconnecting and has nothing left to send: both sides lose the connection. */
  #disconnect(from: FakeTransport, to: FakeTransport): boolean {
    if (!from.disconnecting || from.disconnected) return false;
    if (from.bufferedAmount > 0 && !to.disconnected) return false;
    if (from.aborted) to.disconnectReason = new ConnectionLost("Connection reset by peer");
    from.reportDisconnect();
    if (!to.disconnected) {
      to.disconnecting = true;
      to.reportDisconnect();
    }
    return true;
  }

  #log(cData: Uint8Array | null, sData: Uint8Array | null): void {
    const show = (d: Uint8Array): string => JSON.stringify(new TextDecoder().decode(d));
    if (cData !== null) console.log(`C: ${show(cData)}`);
    if (sData !== null) console.log(`S: ${show(sData)}`);
  }
}

/** Options of {@link connect}. */
export interface ConnectOptions extends IOPumpOptions {
  /** Flush once after connecting, so greetings are exchanged. @default true */
  greet?: boolean;
}

/**
 * Connects two protocols through their transports (server first, as Twisted)
 * and returns the pump; flushes once unless `greet` is false.
 *
 * @example
 * ```ts
 * import { AccumulatingProtocol, connect, FakeTransport } from "@tw/core/testing";
 *
 * const server = new AccumulatingProtocol();
 * const client = new AccumulatingProtocol();
 * const pump = connect(
 *   server,
 *   new FakeTransport(server, true),
 *   client,
 *   new FakeTransport(client, false),
 * );
 * client.transport.write(new TextEncoder().encode("hello"));
 * pump.flush();
 * console.log(new TextDecoder().decode(server.data)); // "hello"
 * ```
 * @param serverProtocol the server's protocol
 * @param serverTransport its transport
 * @param clientProtocol the client's protocol
 * @param clientTransport its transport
 * @param options greeting, debug output and the clock
 */
export function connect(
  serverProtocol: IProtocol,
  serverTransport: FakeTransport,
  clientProtocol: IProtocol,
  clientTransport: FakeTransport,
  options: ConnectOptions = {},
): IOPump {
  serverProtocol.makeConnection(serverTransport);
  clientProtocol.makeConnection(clientTransport);
  const pump = new IOPump(
    clientProtocol,
    serverProtocol,
    clientTransport,
    serverTransport,
    options,
  );
  if (options.greet ?? true) pump.flush();
  return pump;
}

/** Options of {@link connectedServerAndClient}. */
export interface ConnectedServerAndClientOptions extends ConnectOptions {
  /** The server's address. @default IPv4Address("TCP", "127.0.0.1", 10001) */
  serverAddress?: Address;
  /** The client's address. @default IPv4Address("TCP", "127.0.0.1", 10002) */
  clientAddress?: Address;
}

/** A factory, or a function that makes the protocol. */
export type ProtocolSource<P extends IProtocol> = IProtocolFactory | (() => P);

function build<P extends IProtocol>(source: ProtocolSource<P>, addr: Address, side: string): P {
  const protocol = typeof source === "function" ? source() : source.buildProtocol(addr);
  if (protocol === null) throw new Error(`The ${side} factory refused the connection`);
  return protocol as P;
}

/**
 * Builds a server and a client protocol from their factories, connects them
 * through a `FakeTransport` pair and returns `[client, server, pump]`.
 *
 * @example
 * ```ts
 * import { AccumulatingProtocol, connectedServerAndClient } from "@tw/core/testing";
 * import { Factory, Protocol } from "@tw/core/protocol";
 *
 * class Hello extends Protocol {
 *   override connectionMade(): void {
 *     this.transport.write(new TextEncoder().encode("hello"));
 *   }
 * }
 * const [client, , pump] = connectedServerAndClient<AccumulatingProtocol>(
 *   Factory.forProtocol(Hello),
 *   Factory.forProtocol(AccumulatingProtocol),
 * );
 * console.log(new TextDecoder().decode(client.data)); // "hello"
 * pump.clientIO.loseConnection();
 * pump.flush();
 * ```
 * @param serverFactory builds the server's protocol (given the client's address)
 * @param clientFactory builds the client's protocol (given the server's address)
 * @param options greeting, addresses, debug output and the clock
 */
export function connectedServerAndClient<
  C extends IProtocol = IProtocol,
  S extends IProtocol = IProtocol,
>(
  serverFactory: ProtocolSource<S>,
  clientFactory: ProtocolSource<C>,
  options: ConnectedServerAndClientOptions = {},
): [C, S, IOPump] {
  const serverAddress = options.serverAddress ?? SERVER_ADDRESS;
  const clientAddress = options.clientAddress ?? CLIENT_ADDRESS;
  const server = build(serverFactory, clientAddress, "server");
  const client = build(clientFactory, serverAddress, "client");
  const sio = new FakeTransport(server, true, {
    hostAddress: serverAddress,
    peerAddress: clientAddress,
  });
  const cio = new FakeTransport(client, false, {
    hostAddress: clientAddress,
    peerAddress: serverAddress,
  });
  return [client, server, connect(server, sio, client, cio, options)];
}

/** Something with a transport that may say whether it is still connected. */
export interface HasTransport {
  /** The protocol's transport. */
  transport?: unknown;
}

function isConnected(protocol: HasTransport): boolean {
  const t = protocol.transport as { connected?: unknown; disconnected?: unknown } | undefined;
  if (t === undefined || t === null) return false;
  if (t.disconnected === true) return false;
  return t.connected !== false;
}

/**
 * Fires once no protocol's transport is connected any more (its `connected`
 * is false, or its `disconnected` true), checking every 10 ms of `reactor`
 * time (Twisted's `waitUntilAllDisconnected`). Cancelling the Deferred stops checking.
 *
 * @example
 * ```ts
 * import {
 *   AccumulatingProtocol,
 *   Clock,
 *   connectedServerAndClient,
 *   waitUntilAllDisconnected,
 * } from "@tw/core/testing";
 *
 * const clock = new Clock();
 * const make = () => new AccumulatingProtocol();
 * const [client, server, pump] = connectedServerAndClient(make, make, { clock });
 * const done = waitUntilAllDisconnected(clock, [client, server]);
 * client.transport.loseConnection();
 * pump.flush();
 * clock.advance(0.01);
 * console.log(done.called); // true
 * ```
 * @param reactor the reactor or `Clock` to schedule checks on
 * @param protocols the protocols to wait for
 */
export function waitUntilAllDisconnected(
  reactor: IReactorTime,
  protocols: Iterable<HasTransport>,
): Deferred<void> {
  const all = [...protocols];
  let pending: IDelayedCall | null = null;
  // Cancelling the Deferred stops the polling, so a test that gives up leaks no call.
  const d = new Deferred<void>(() => pending?.cancel());
  const check = (): void => {
    pending = null;
    if (all.some(isConnected)) {
      pending = reactor.callLater(0.01, check);
    } else {
      d.callback(undefined);
    }
  };
  check();
  return d;
}
