/**
 * Resource limits: `ThrottlingFactory` (bandwidth per second and a connection
 * count) and `LimitConnectionsByPeer`.
 *
 * @module
 */
import type { Address } from "../internet/address.ts";
import type {
  IDelayedCall,
  IProtocolFactory,
  IPullProducer,
  IPushProducer,
  IReactorTime,
} from "../internet/interfaces.ts";
import { getReactor } from "../internet/reactor.ts";
import { Logger } from "../logger/mod.ts";
import { ProtocolWrapper, WrappingFactory } from "./_policies_wrapper.ts";

const log = new Logger("tw.protocols.policies");

function sumLengths(data: Iterable<Uint8Array>): [Uint8Array[], number] {
  const chunks = [...data];
  let total = 0;
  for (const chunk of chunks) total += chunk.byteLength;
  return [chunks, total];
}

/**
 * The wrapper `ThrottlingFactory` builds: counts bytes both ways for the
 * factory, pauses its transport when reads are throttled and its producer
 * when writes are (`twisted.protocols.policies.ThrottlingProtocol`).
 *
 * @example
 * ```ts
 * import { ThrottlingFactory, type ThrottlingProtocol } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 * import { Clock, StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
 *   readLimit: 10,
 *   clock: new Clock(),
 * });
 * const addr = new IPv4Address("TCP", "127.0.0.1", 1234);
 * const wrapper = factory.buildProtocol(addr) as ThrottlingProtocol;
 * const transport = new StringTransport();
 * wrapper.makeConnection(transport);
 * wrapper.dataReceived(new Uint8Array(25)); // counted for the factory's window
 * console.log(factory.readThisSecond); // 25
 * wrapper.throttleReads(); // what the factory does when a window ends over readLimit
 * console.log(transport.paused); // true
 * ```
 */
export class ThrottlingProtocol extends ProtocolWrapper {
  /** The factory that built this wrapper. */
  declare factory: ThrottlingFactory;
  /** The producer the wrapped protocol registered, or null. */
  producer: IPushProducer | IPullProducer | null = null;

  /** Counts the bytes, then writes. */
  override write(data: Uint8Array): void {
    this.factory.registerWritten(data.byteLength);
    super.write(data);
  }

  /** Counts the bytes, then writes. */
  override writeSequence(data: Iterable<Uint8Array>): void {
    const [chunks, total] = sumLengths(data);
    this.factory.registerWritten(total);
    super.writeSequence(chunks);
  }

  /** Counts the bytes, then delivers. */
  override dataReceived(data: Uint8Array): void {
    this.factory.registerRead(data.byteLength);
    super.dataReceived(data);
  }

  /** Remembers the producer (to pause it when writes are throttled), then registers it. */
  override registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    this.producer = producer;
    super.registerProducer(producer, streaming);
  }

  /** Forgets the producer, then unregisters it. */
  override unregisterProducer(): void {
    this.producer = null;
    super.unregisterProducer();
  }

  /** Stops reading from the transport. */
  throttleReads(): void {
    this.transport.pauseProducing();
  }

  /** Reads again. */
  unthrottleReads(): void {
    this.transport.resumeProducing();
  }

  /** Pauses the wrapped protocol's producer, if it registered one. */
  throttleWrites(): void {
    (this.producer as IPushProducer | null)?.pauseProducing?.();
  }

  /** Resumes the wrapped protocol's producer, if it registered one. */
  unthrottleWrites(): void {
    this.producer?.resumeProducing();
  }
}

/** Options of {@link ThrottlingFactory}. */
export interface ThrottlingFactoryOptions {
  /** Connections beyond this many are refused (closed at once). @default Infinity */
  maxConnectionCount?: number;
  /** Bytes per second read over all connections; null for no limit. @default null */
  readLimit?: number | null;
  /** Bytes per second written over all connections; null for no limit. @default null */
  writeLimit?: number | null;
  /** Where the per-second checks run. @default the installed reactor (`getReactor()`) */
  clock?: IReactorTime;
}

/**
 * Limits the bandwidth and the number of connections of the protocols another
 * factory builds (`twisted.protocols.policies.ThrottlingFactory`).
 *
 * Bytes are counted over all connections in windows of one second. When a
 * window ends over `readLimit`, every connection stops reading, for as long
 * as the excess would take at the limit (`read / readLimit - 1` seconds); over
 * `writeLimit`, every connection's registered producer is paused likewise.
 * The checks run while at least one connection is open. A connection beyond
 * `maxConnectionCount` is refused: `buildProtocol` returns null, which closes
 * it at once.
 *
 * @example
 * ```ts
 * import { ThrottlingFactory } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 * import { Clock } from "@tw/core/task";
 *
 * const factory = new ThrottlingFactory(Factory.forProtocol(Protocol), {
 *   maxConnectionCount: 100,
 *   readLimit: 64 * 1024,
 *   clock: new Clock(),
 * });
 * ```
 */
export class ThrottlingFactory extends WrappingFactory {
  /** Connections beyond this many are refused. */
  maxConnectionCount: number;
  /** Bytes per second read, or null. */
  readLimit: number | null;
  /** Bytes per second written, or null. */
  writeLimit: number | null;
  /** Where the checks run; null means the installed reactor. */
  clock: IReactorTime | null;
  /** Connections built and not yet lost. */
  connectionCount = 0;
  /** Bytes read in the current window. */
  readThisSecond = 0;
  /** Bytes written in the current window. */
  writtenThisSecond = 0;
  /** The pending read check, or null. */
  checkReadBandwidthID: IDelayedCall | null = null;
  /** The pending write check, or null. */
  checkWriteBandwidthID: IDelayedCall | null = null;
  /** The pending end of read throttling, or null. */
  unthrottleReadsID: IDelayedCall | null = null;
  /** The pending end of write throttling, or null. */
  unthrottleWritesID: IDelayedCall | null = null;

  /**
   * Makes the factory.
   * @param wrappedFactory the factory whose protocols are limited
   * @param options the limits and the clock
   */
  constructor(wrappedFactory: IProtocolFactory, options: ThrottlingFactoryOptions = {}) {
    super(wrappedFactory);
    this.protocolWrapper = ThrottlingProtocol;
    this.maxConnectionCount = options.maxConnectionCount ?? Infinity;
    this.readLimit = options.readLimit ?? null;
    this.writeLimit = options.writeLimit ?? null;
    this.clock = options.clock ?? null;
  }

  /** Schedules `fn` after `period` seconds on `clock`. */
  callLater(period: number, fn: () => void): IDelayedCall {
    return (this.clock ?? getReactor()).callLater(period, fn);
  }

  /** Adds to the bytes written this second. */
  registerWritten(length: number): void {
    this.writtenThisSecond += length;
  }

  /** Adds to the bytes read this second. */
  registerRead(length: number): void {
    this.readThisSecond += length;
  }

  /** Ends a read window: throttles reads if it went over the limit, and starts the next. */
  checkReadBandwidth(): void {
    if (this.readLimit !== null && this.readThisSecond > this.readLimit) {
      this.throttleReads();
      const throttleTime = this.readThisSecond / this.readLimit - 1;
      this.unthrottleReadsID?.cancel();
      this.unthrottleReadsID = this.callLater(throttleTime, () => this.unthrottleReads());
    }
    this.readThisSecond = 0;
    this.checkReadBandwidthID = this.callLater(1, () => this.checkReadBandwidth());
  }

  /** Ends a write window: throttles writes if it went over the limit, and starts the next. */
  checkWriteBandwidth(): void {
    if (this.writeLimit !== null && this.writtenThisSecond > this.writeLimit) {
      this.throttleWrites();
      const throttleTime = this.writtenThisSecond / this.writeLimit - 1;
      this.unthrottleWritesID?.cancel();
      this.unthrottleWritesID = this.callLater(throttleTime, () => this.unthrottleWrites());
    }
    this.writtenThisSecond = 0;
    this.checkWriteBandwidthID = this.callLater(1, () => this.checkWriteBandwidth());
  }

  /** Stops reading on every connection. */
  throttleReads(): void {
    log.info("Throttling reads on {factory}", { factory: this.logPrefix() });
    for (const p of this.protocols) (p as ThrottlingProtocol).throttleReads();
  }

  /** Reads again on every connection. */
  unthrottleReads(): void {
    this.unthrottleReadsID = null;
    log.info("Stopped throttling reads on {factory}", { factory: this.logPrefix() });
    for (const p of this.protocols) (p as ThrottlingProtocol).unthrottleReads();
  }

  /** Pauses every connection's producer. */
  throttleWrites(): void {
    log.info("Throttling writes on {factory}", { factory: this.logPrefix() });
    for (const p of this.protocols) (p as ThrottlingProtocol).throttleWrites();
  }

  /** Resumes every connection's producer. */
  unthrottleWrites(): void {
    this.unthrottleWritesID = null;
    log.info("Stopped throttling writes on {factory}", { factory: this.logPrefix() });
    for (const p of this.protocols) (p as ThrottlingProtocol).unthrottleWrites();
  }

  /**
   * Starts the per-second checks with the first connection; refuses the
   * connection (null) when `maxConnectionCount` are open.
   */
  override buildProtocol(addr: Address): ProtocolWrapper | null {
    if (this.connectionCount === 0) {
      if (this.readLimit !== null && this.checkReadBandwidthID === null) {
        this.checkReadBandwidth();
      }
      if (this.writeLimit !== null && this.checkWriteBandwidthID === null) {
        this.checkWriteBandwidth();
      }
    }
    if (this.connectionCount >= this.maxConnectionCount) {
      log.info("Max connection count reached!", { factory: this.logPrefix() });
      this.#stopChecksIfIdle();
      return null;
    }
    const p = super.buildProtocol(addr);
    if (p !== null) this.connectionCount++;
    else this.#stopChecksIfIdle();
    return p;
  }

  /** Forgets the wrapper; the checks stop with the last connection. */
  override unregisterProtocol(p: ProtocolWrapper): void {
    if (!this.protocols.has(p)) return;
    super.unregisterProtocol(p);
    this.connectionCount--;
    this.#stopChecksIfIdle();
  }

  #stopChecksIfIdle(): void {
    if (this.connectionCount > 0) return;
    for (
      const key of [
        "unthrottleReadsID",
        "checkReadBandwidthID",
        "unthrottleWritesID",
        "checkWriteBandwidthID",
      ] as const
    ) {
      const call = this[key];
      if (call !== null && call.active()) call.cancel();
      this[key] = null;
    }
  }
}

/** Options of {@link LimitConnectionsByPeer}. */
export interface LimitConnectionsByPeerOptions {
  /** Connections allowed from one host at a time. @default 5 */
  maxConnectionsPerPeer?: number;
}

/** The host part of an address (the path for a Unix socket). */
function peerHost(addr: Address): string {
  if ("host" in addr) return addr.host;
  if ("name" in addr) return addr.name ?? "";
  return String(addr);
}

/**
 * Refuses a connection when its peer host already has `maxConnectionsPerPeer`
 * open (`twisted.protocols.policies.LimitConnectionsByPeer`).
 *
 * @example
 * ```ts
 * import { LimitConnectionsByPeer } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 *
 * const factory = new LimitConnectionsByPeer(Factory.forProtocol(Protocol), {
 *   maxConnectionsPerPeer: 2,
 * });
 * ```
 */
export class LimitConnectionsByPeer extends WrappingFactory {
  /** Connections allowed from one host at a time. */
  maxConnectionsPerPeer: number;
  /** Open connections by peer host. */
  peerConnections: Map<string, number> = new Map();
  #hosts = new WeakMap<ProtocolWrapper, string>();

  /**
   * Makes the factory.
   * @param wrappedFactory the factory whose protocols are limited
   * @param options the limit
   */
  constructor(wrappedFactory: IProtocolFactory, options: LimitConnectionsByPeerOptions = {}) {
    super(wrappedFactory);
    this.maxConnectionsPerPeer = options.maxConnectionsPerPeer ?? 5;
  }

  /** Forgets the counts (Twisted resets them when the factory starts). */
  override startFactory(): void {
    this.peerConnections = new Map();
  }

  /** Builds a wrapper for `addr`, or null when its host is at the limit. */
  override buildProtocol(addr: Address): ProtocolWrapper | null {
    const host = peerHost(addr);
    const count = this.peerConnections.get(host) ?? 0;
    if (count >= this.maxConnectionsPerPeer) return null;
    const p = super.buildProtocol(addr);
    if (p === null) return null;
    this.peerConnections.set(host, count + 1);
    // Count down by the host counted here: the transport's peer may print differently.
    this.#hosts.set(p, host);
    return p;
  }

  /** Forgets the wrapper and counts its host down. */
  override unregisterProtocol(p: ProtocolWrapper): void {
    super.unregisterProtocol(p);
    const host = this.#hosts.get(p);
    if (host === undefined) return;
    this.#hosts.delete(p);
    const count = (this.peerConnections.get(host) ?? 1) - 1;
    if (count <= 0) this.peerConnections.delete(host);
    else this.peerConnections.set(host, count);
  }
}
