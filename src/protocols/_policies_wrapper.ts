/**
 * `ProtocolWrapper` and `WrappingFactory`: the base of every policy in
 * `policies.ts` (a wrapper sits between a transport and a protocol and sees
 * everything that passes).
 *
 * @module
 */
import type { Address } from "../internet/address.ts";
import type { Failure } from "../internet/failure.ts";
import type {
  IConnector,
  IHalfCloseableProtocol,
  IProtocol,
  IProtocolFactory,
  IPullProducer,
  IPushProducer,
  ITransport,
} from "../internet/interfaces.ts";
import { ClientFactory, Protocol } from "../internet/protocol.ts";

/** The class `WrappingFactory.buildProtocol` instantiates: `new (factory, wrappedProtocol)`. */
export type ProtocolWrapperClass<W extends ProtocolWrapper = ProtocolWrapper> = new (
  factory: WrappingFactory,
  wrappedProtocol: IProtocol,
) => W;

/** Methods a transport may have beyond `ITransport`, forwarded only when the transport has them. */
const OPTIONAL_TRANSPORT_METHODS = [
  "loseWriteConnection",
  "startTLS",
  "setTcpNoDelay",
  "setTcpKeepAlive",
] as const;

/**
 * Wraps a protocol and is its transport (`twisted.protocols.policies.ProtocolWrapper`):
 * the real transport talks to the wrapper, the wrapper to the wrapped
 * protocol, so a subclass can watch or alter every event in both directions.
 *
 * Half-close is forwarded only where both ends support it: the wrapper has
 * `readConnectionLost` / `writeConnectionLost` exactly when the wrapped
 * protocol has them (so a transport treats the pair as the wrapped protocol
 * would be treated), and `loseWriteConnection` (and `startTLS`,
 * `setTcpNoDelay`, `setTcpKeepAlive`) exactly when the real transport has it,
 * from `makeConnection` on. These are own properties set per instance: a
 * subclass that wants to intercept one assigns its own function after `super`.
 *
 * @example
 * ```ts
 * import { WrappingFactory } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 * import { StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const factory = new WrappingFactory(Factory.forProtocol(Protocol));
 * const wrapper = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 1234))!;
 * wrapper.makeConnection(new StringTransport());
 * console.log(factory.protocols.size); // 1
 * ```
 */
export class ProtocolWrapper extends Protocol implements ITransport {
  /** The protocol this wrapper stands in front of. */
  wrappedProtocol: IProtocol;
  /** The factory that built this wrapper. */
  override factory: WrappingFactory;
  /** True once `loseConnection` or `abortConnection` was called through the wrapper. */
  disconnecting = false;

  /** Forwards the peer's EOF; present only when the wrapped protocol is half-closeable. */
  declare readConnectionLost?: () => void;
  /** Forwards the write side's shutdown; present only when the wrapped protocol has it. */
  declare writeConnectionLost?: () => void;
  /** Half-closes the real transport; present only when it can. */
  declare loseWriteConnection?: () => void;

  /**
   * Makes a wrapper.
   * @param factory the wrapping factory (it tracks the wrapper while connected)
   * @param wrappedProtocol the protocol to wrap
   */
  constructor(factory: WrappingFactory, wrappedProtocol: IProtocol) {
    super();
    this.factory = factory;
    this.wrappedProtocol = wrappedProtocol;
    const half = wrappedProtocol as Partial<IHalfCloseableProtocol>;
    if (typeof half.readConnectionLost === "function" && this.readConnectionLost === undefined) {
      this.readConnectionLost = () => {
        (this.wrappedProtocol as IHalfCloseableProtocol).readConnectionLost();
      };
    }
    if (typeof half.writeConnectionLost === "function" && this.writeConnectionLost === undefined) {
      this.writeConnectionLost = () => {
        (this.wrappedProtocol as IHalfCloseableProtocol).writeConnectionLost?.();
      };
    }
  }

  /** The wrapped protocol's prefix followed by this wrapper's class name. */
  override logPrefix(): string {
    const inner = this.wrappedProtocol as { logPrefix?: () => string };
    const name = this.constructor.name;
    return typeof inner.logPrefix === "function" ? `${inner.logPrefix()} (${name})` : name;
  }

  /**
   * Takes the real transport, registers with the factory, then connects the
   * wrapped protocol with this wrapper as its transport.
   */
  override makeConnection(transport: ITransport): void {
    const self = this as unknown as Record<string, unknown>;
    const real = transport as unknown as Record<string, unknown>;
    for (const name of OPTIONAL_TRANSPORT_METHODS) {
      if (typeof real[name] === "function" && self[name] === undefined) {
        self[name] = (...args: unknown[]) =>
          (this.transport as unknown as Record<string, (...a: unknown[]) => unknown>)[name](
            ...args,
          );
      }
    }
    super.makeConnection(transport);
    this.factory.registerProtocol(this);
    this.wrappedProtocol.makeConnection(this);
  }

  /** Passes received bytes to the wrapped protocol. */
  override dataReceived(data: Uint8Array): void {
    this.wrappedProtocol.dataReceived(data);
  }

  /** Unregisters from the factory, then tells the wrapped protocol. */
  override connectionLost(reason: Failure): void {
    this.factory.unregisterProtocol(this);
    this.wrappedProtocol.connectionLost(reason);
  }

  // ---- ITransport, for the wrapped protocol ---------------------------------

  /** Writes through to the real transport. */
  write(data: Uint8Array): void {
    this.transport.write(data);
  }

  /** Writes each chunk through to the real transport. */
  writeSequence(data: Iterable<Uint8Array>): void {
    this.transport.writeSequence(data);
  }

  /** Marks the wrapper disconnecting and closes the real transport after its flush. */
  loseConnection(): void {
    this.disconnecting = true;
    this.transport.loseConnection();
  }

  /** Marks the wrapper disconnecting and aborts the real transport. */
  abortConnection(): void {
    this.disconnecting = true;
    this.transport.abortConnection();
  }

  /** The real transport's peer address. */
  getPeer(): Address {
    return this.transport.getPeer();
  }

  /** The real transport's own address. */
  getHost(): Address {
    return this.transport.getHost();
  }

  /** Registers the producer on the real transport. */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    this.transport.registerProducer(producer, streaming);
  }

  /** Unregisters the producer from the real transport. */
  unregisterProducer(): void {
    this.transport.unregisterProducer();
  }

  /** Pauses reading on the real transport. */
  pauseProducing(): void {
    this.transport.pauseProducing();
  }

  /** Resumes reading on the real transport. */
  resumeProducing(): void {
    this.transport.resumeProducing();
  }

  /** Stops the real transport as a producer (closes it). */
  stopProducing(): void {
    this.transport.stopProducing();
  }
}

/**
 * Wraps every protocol another factory builds in a `ProtocolWrapper` (or the
 * subclass in `protocolWrapper`), and keeps the live wrappers in `protocols`
 * (`twisted.protocols.policies.WrappingFactory`). `doStart` / `doStop` reach the
 * wrapped factory, and so do the `ClientFactory` events when it has them, so a
 * `WrappingFactory` works on both sides of a connection.
 *
 * Twisted names the wrapper class `protocol`; here it is `protocolWrapper`,
 * because `Factory.protocol` is a class built without arguments.
 *
 * @example
 * ```ts
 * import { ProtocolWrapper, WrappingFactory } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 *
 * class Counting extends ProtocolWrapper {
 *   bytes = 0;
 *   override dataReceived(data: Uint8Array): void {
 *     this.bytes += data.byteLength;
 *     super.dataReceived(data);
 *   }
 * }
 * const factory = new WrappingFactory(Factory.forProtocol(Protocol));
 * factory.protocolWrapper = Counting;
 * ```
 */
export class WrappingFactory extends ClientFactory {
  /** The factory whose protocols are wrapped. */
  wrappedFactory: IProtocolFactory;
  /** The live wrappers (registered at `makeConnection`, removed at `connectionLost`). */
  protocols: Set<ProtocolWrapper> = new Set();
  /** The wrapper class `buildProtocol` instantiates (Twisted's `protocol`). */
  protocolWrapper: ProtocolWrapperClass = ProtocolWrapper;

  /**
   * Makes a wrapping factory.
   * @param wrappedFactory the factory whose protocols are wrapped
   */
  constructor(wrappedFactory: IProtocolFactory) {
    super();
    this.wrappedFactory = wrappedFactory;
  }

  /** The wrapped factory's log prefix followed by this factory's class name. */
  logPrefix(): string {
    const inner = this.wrappedFactory as { logPrefix?: () => string };
    const innerName = typeof inner.logPrefix === "function"
      ? inner.logPrefix()
      : this.wrappedFactory.constructor.name;
    return `${innerName} (${this.constructor.name})`;
  }

  /** Starts the wrapped factory, then this one. */
  override doStart(): void {
    this.wrappedFactory.doStart();
    super.doStart();
  }

  /** Stops the wrapped factory, then this one. */
  override doStop(): void {
    this.wrappedFactory.doStop();
    super.doStop();
  }

  /** Forwarded to the wrapped factory when it is a client factory. */
  override startedConnecting(connector: IConnector): void {
    (this.wrappedFactory as Partial<ClientFactory>).startedConnecting?.(connector);
  }

  /** Forwarded to the wrapped factory when it is a client factory. */
  override clientConnectionFailed(connector: IConnector, reason: Failure): void {
    (this.wrappedFactory as Partial<ClientFactory>).clientConnectionFailed?.(connector, reason);
  }

  /** Forwarded to the wrapped factory when it is a client factory. */
  override clientConnectionLost(connector: IConnector, reason: Failure): void {
    (this.wrappedFactory as Partial<ClientFactory>).clientConnectionLost?.(connector, reason);
  }

  /**
   * Builds the wrapped factory's protocol for `addr` and wraps it; null when the
   * wrapped factory refuses the connection.
   */
  override buildProtocol(addr: Address): ProtocolWrapper | null {
    const wrapped = this.wrappedFactory.buildProtocol(addr);
    if (wrapped === null) return null;
    return new this.protocolWrapper(this, wrapped);
  }

  /** Records a live wrapper (called by `ProtocolWrapper.makeConnection`). */
  registerProtocol(p: ProtocolWrapper): void {
    this.protocols.add(p);
  }

  /** Forgets a wrapper (called by `ProtocolWrapper.connectionLost`). */
  unregisterProtocol(p: ProtocolWrapper): void {
    this.protocols.delete(p);
  }
}
