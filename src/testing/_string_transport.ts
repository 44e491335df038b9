/**
 * In-memory transports that record what a protocol does
 * (`twisted.internet.testing.StringTransport` and friends), and
 * `AccumulatingProtocol`, which records what a transport does.
 *
 * @module
 */
import { type Address, IPv4Address } from "../internet/address.ts";
import { Deferred } from "../internet/defer.ts";
import { ConnectionDone } from "../internet/error.ts";
import { Failure } from "../internet/failure.ts";
import type {
  IProtocol,
  IPullProducer,
  IPushProducer,
  ITransport,
} from "../internet/interfaces.ts";
import { Protocol } from "../internet/protocol.ts";
import type { DatagramAddress } from "../internet/protocol.ts";

/** The state `StringTransport` records for itself as a producer. */
export type ProducerState = "producing" | "paused" | "stopped";

/** Options of {@link StringTransport}. */
export interface StringTransportOptions {
  /** What `getHost()` returns. @default IPv4Address("TCP", "10.0.0.1", 12345) */
  hostAddress?: Address;
  /** What `getPeer()` returns. @default IPv4Address("TCP", "192.168.1.1", 54321) */
  peerAddress?: Address;
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * A transport that keeps every byte written to it, for tests: connect a
 * protocol with `protocol.makeConnection(new StringTransport())`, feed it with
 * `protocol.dataReceived(bytes)` and read what it answered with `value()`.
 *
 * Nothing is ever sent anywhere: `loseConnection` only sets `disconnecting`
 * (see `StringTransportWithDisconnection` for a transport that also tells the
 * protocol), and the producer methods only record `producerState`.
 *
 * @example
 * ```ts
 * import { StringTransport } from "@tw/core/testing";
 * import { Protocol } from "@tw/core/protocol";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport.write(data);
 *   }
 * }
 * const transport = new StringTransport();
 * const echo = new Echo();
 * echo.makeConnection(transport);
 * echo.dataReceived(new TextEncoder().encode("hi"));
 * console.log(new TextDecoder().decode(transport.value())); // "hi"
 * ```
 */
export class StringTransport implements ITransport {
  /** True once `loseConnection` or `abortConnection` has been called. */
  disconnecting = false;
  /** True once `abortConnection` has been called. */
  aborted = false;
  /** True until the transport is disconnected (set by `StringTransportWithDisconnection`). */
  connected = true;
  /** The registered producer, or null. */
  producer: IPushProducer | IPullProducer | null = null;
  /** Whether the registered producer is a streaming (push) producer; null when none. */
  streaming: boolean | null = null;
  /** This transport's own state as a producer (`pauseProducing` and friends). */
  producerState: ProducerState = "producing";
  /** What `getHost()` returns. */
  hostAddr: Address;
  /** What `getPeer()` returns. */
  peerAddr: Address;
  #chunks: Uint8Array[] = [];
  #size = 0;

  /**
   * Makes an empty transport.
   * @param options the addresses it reports
   */
  constructor(options: StringTransportOptions = {}) {
    this.hostAddr = options.hostAddress ?? new IPv4Address("TCP", "10.0.0.1", 12345);
    this.peerAddr = options.peerAddress ?? new IPv4Address("TCP", "192.168.1.1", 54321);
  }

  /** Every byte written since construction or the last `clear()`, as one array. */
  value(): Uint8Array {
    if (this.#chunks.length !== 1) {
      const joined = concat(this.#chunks, this.#size);
      this.#chunks = this.#size === 0 ? [] : [joined];
    }
    return this.#chunks[0] ?? new Uint8Array(0);
  }

  /** `value()` decoded as UTF-8: a convenience for text protocols. */
  valueText(): string {
    return new TextDecoder().decode(this.value());
  }

  /** Forgets everything written so far. */
  clear(): void {
    this.#chunks = [];
    this.#size = 0;
  }

  /**
   * Records `data` (copied: the caller may reuse its buffer).
   * @throws {TypeError} when `data` is not a `Uint8Array` (a string, most often)
   */
  write(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`Data must be a Uint8Array, not ${describeType(data)}`);
    }
    if (data.byteLength === 0) return;
    this.#chunks.push(data.slice());
    this.#size += data.byteLength;
  }

  /** Records each chunk in order. */
  writeSequence(data: Iterable<Uint8Array>): void {
    for (const chunk of data) this.write(chunk);
  }

  /** Sets `disconnecting`; nothing else happens. */
  loseConnection(): void {
    this.disconnecting = true;
  }

  /** Sets `aborted` and `disconnecting`. */
  abortConnection(): void {
    this.aborted = true;
    this.loseConnection();
  }

  /** The peer's address (`peerAddr`). */
  getPeer(): Address {
    return this.peerAddr;
  }

  /** This side's address (`hostAddr`). */
  getHost(): Address {
    return this.hostAddr;
  }

  /**
   * Records the producer.
   * @throws {Error} when a producer is already registered, as Twisted's does
   */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.producer !== null) throw new Error("Cannot register two producers");
    this.producer = producer;
    this.streaming = streaming;
  }

  /**
   * Forgets the producer.
   * @throws {Error} when none is registered
   */
  unregisterProducer(): void {
    if (this.producer === null) {
      throw new Error("Cannot unregister a producer unless one is registered");
    }
    this.producer = null;
    this.streaming = null;
  }

  /** Records `producerState = "paused"`. Throws once stopped. */
  pauseProducing(): void {
    this.#checkState();
    this.producerState = "paused";
  }

  /** Records `producerState = "producing"`. Throws once stopped. */
  resumeProducing(): void {
    this.#checkState();
    this.producerState = "producing";
  }

  /** Records `producerState = "stopped"`. */
  stopProducing(): void {
    this.producerState = "stopped";
  }

  /** True while `producerState` is "paused": what receivers check to hold back delivery. */
  get paused(): boolean {
    return this.producerState === "paused";
  }

  #checkState(): void {
    if (this.producerState === "stopped") throw new Error("Cannot resume a stopped producer");
  }
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}

/**
 * A `StringTransport` whose `loseConnection` disconnects the protocol: it
 * sets `connected` to false and calls `protocol.connectionLost` with a
 * `ConnectionDone` failure, once.
 *
 * @example
 * ```ts
 * import { AccumulatingProtocol, StringTransportWithDisconnection } from "@tw/core/testing";
 * const protocol = new AccumulatingProtocol();
 * const transport = new StringTransportWithDisconnection();
 * transport.protocol = protocol;
 * protocol.makeConnection(transport);
 * transport.loseConnection();
 * console.log(protocol.closed); // true
 * ```
 */
export class StringTransportWithDisconnection extends StringTransport {
  /** The protocol told about the disconnection; set it before `loseConnection`. */
  protocol: IProtocol | null = null;

  /** Sets `disconnecting`, then disconnects the protocol with `ConnectionDone` (once). */
  override loseConnection(): void {
    super.loseConnection();
    if (!this.connected) return;
    this.connected = false;
    this.protocol?.connectionLost(new Failure(new ConnectionDone("Bye.")));
  }
}

/**
 * A protocol that records everything that happens to it: `made` counts
 * `connectionMade` calls, `data` accumulates received bytes, `closed` and
 * `closedReason` record `connectionLost`, and `closedDeferred` (if set) fires
 * when the connection is lost; `madeDeferred` when it is made.
 *
 * @example
 * ```ts
 * import { AccumulatingProtocol, StringTransport } from "@tw/core/testing";
 * const protocol = new AccumulatingProtocol();
 * protocol.makeConnection(new StringTransport());
 * protocol.dataReceived(new Uint8Array([1, 2]));
 * console.log(protocol.made, protocol.data); // 1 Uint8Array(2) [ 1, 2 ]
 * ```
 */
export class AccumulatingProtocol extends Protocol {
  /** How many times `connectionMade` ran. */
  made = 0;
  /** Every byte received, in order. */
  data: Uint8Array = new Uint8Array(0);
  /** True once `connectionLost` ran. */
  closed = false;
  /** The reason `connectionLost` got, or null. */
  closedReason: Failure | null = null;
  /** Fired with this protocol when the connection is made, if set. */
  madeDeferred: Deferred<AccumulatingProtocol> | null = null;
  /** Fired with this protocol when the connection is lost, if set. */
  closedDeferred: Deferred<AccumulatingProtocol> | null = null;

  /** Counts the call and fires `madeDeferred`. */
  override connectionMade(): void {
    this.made++;
    const d = this.madeDeferred;
    if (d !== null) {
      this.madeDeferred = null;
      d.callback(this);
    }
  }

  /** Appends `data` to `this.data`. */
  override dataReceived(data: Uint8Array): void {
    const joined = new Uint8Array(this.data.byteLength + data.byteLength);
    joined.set(this.data);
    joined.set(data, this.data.byteLength);
    this.data = joined;
  }

  /** Records the reason and fires `closedDeferred`. */
  override connectionLost(reason: Failure): void {
    this.closed = true;
    this.closedReason = reason;
    const d = this.closedDeferred;
    if (d !== null) {
      this.closedDeferred = null;
      d.callback(this);
    }
  }
}

/** The address `FakeDatagramTransport` records for a write without one. */
export const noAddr: unique symbol = Symbol("noAddr");

/**
 * A UDP transport that records each datagram written as `[packet, addr]`
 * (`addr` is `noAddr` when the write named none).
 *
 * @example
 * ```ts
 * import { FakeDatagramTransport } from "@tw/core/testing";
 * const transport = new FakeDatagramTransport();
 * transport.write(new Uint8Array([1]), ["10.0.0.1", 53]);
 * console.log(transport.written.length); // 1
 * ```
 */
export class FakeDatagramTransport {
  /** The datagrams written, in order. */
  written: [Uint8Array, DatagramAddress | typeof noAddr][] = [];
  /** The address `connect` restricted the transport to, or null. */
  connectedTo: DatagramAddress | null = null;
  /** True once `stopListening` or `loseConnection` ran. */
  stopped = false;
  /** What `getHost()` returns. */
  hostAddr: Address = new IPv4Address("UDP", "0.0.0.0", 0);

  /**
   * Records a datagram.
   * @param packet the datagram (copied)
   * @param addr where it goes
   */
  write(packet: Uint8Array, addr?: DatagramAddress): void {
    if (!(packet instanceof Uint8Array)) {
      throw new TypeError(`Data must be a Uint8Array, not ${describeType(packet)}`);
    }
    this.written.push([packet.slice(), addr ?? noAddr]);
  }

  /** Records the connected address. */
  connect(host: string, port: number): void {
    this.connectedTo = [host, port];
  }

  /** `hostAddr`. */
  getHost(): Address {
    return this.hostAddr;
  }

  /** Marks the transport stopped. */
  stopListening(): Deferred<void> {
    this.stopped = true;
    const d = new Deferred<void>();
    d.callback(undefined);
    return d;
  }

  /** Marks the transport stopped. */
  loseConnection(): void {
    this.stopped = true;
  }
}
