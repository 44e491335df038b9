/**
 * What client endpoints put between the reactor and the user's factory
 * (Twisted's `_WrappingFactory` / `_WrappingProtocol`): a `ClientFactory` whose
 * connection outcome fires the Deferred `connect()` returned, and a protocol
 * that hands the connection to the user's protocol and then fires it.
 * Private to src/internet; the errors are re-exported by endpoints.ts.
 *
 * @module
 */
import { Deferred } from "./defer.ts";
import type { Failure } from "./failure.ts";
import type { Address } from "./address.ts";
import type { IConnector, IProtocol, IProtocolFactory, ITransport } from "./interfaces.ts";
import { ClientFactory } from "./protocol.ts";

/** A destination named by host name and port (what a `HostnameEndpoint` connects to). */
export interface HostnameDestination {
  /** The host name, as given to the endpoint. */
  readonly hostname: string;
  /** The port. */
  readonly port: number;
}

/**
 * A connection attempt was cancelled (by cancelling the Deferred an endpoint's
 * `connect()` returned) before it completed (`ConnectingCancelledError`).
 *
 * @example
 * ```ts
 * import { ConnectingCancelledError, TCP4ClientEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol } from "@tw/core";
 * import { MemoryReactor } from "@tw/core/testing";
 *
 * const reactor = new MemoryReactor();
 * const connecting = new TCP4ClientEndpoint(reactor, "192.0.2.1", 80)
 *   .connect(Factory.forProtocol(Protocol));
 * connecting.addErrback((f) => {
 *   f.trap(ConnectingCancelledError);
 *   console.log(f.getErrorMessage()); // "Connecting to 192.0.2.1:80 was cancelled"
 * });
 * connecting.cancel();
 * ```
 */
export class ConnectingCancelledError extends Error {
  /** Where the cancelled attempt was connecting to, when known. */
  readonly address: Address | HostnameDestination | null;
  /**
   * Creates the error for an attempt to `address`.
   * @param address the destination, or null when unknown
   */
  constructor(address: Address | HostnameDestination | null = null) {
    super(`Connecting to ${describe(address)} was cancelled`);
    this.name = "ConnectingCancelledError";
    this.address = address;
  }
}

/**
 * A factory refused a connection: `buildProtocol` returned null (`NoProtocol`).
 *
 * @example
 * ```ts
 * import { NoProtocol, TCP4ClientEndpoint } from "@tw/core/endpoints";
 * import { Factory, type IProtocol } from "@tw/core";
 * import { MemoryReactor, StringTransport } from "@tw/core/testing";
 *
 * class Refusing extends Factory {
 *   override buildProtocol(): IProtocol | null {
 *     return null;
 *   }
 * }
 * const reactor = new MemoryReactor();
 * const connecting = new TCP4ClientEndpoint(reactor, "192.0.2.1", 80).connect(new Refusing());
 * const [, , factory] = reactor.tcpClients[0];
 * factory.buildProtocol(reactor.connectors[0].getDestination());
 * connecting.addErrback((f) => console.log(f.check(NoProtocol) !== null)); // true
 * ```
 */
export class NoProtocol extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "The factory's buildProtocol returned null: no protocol to connect") {
    super(message);
    this.name = "NoProtocol";
  }
}

function describe(address: Address | HostnameDestination | null): string {
  if (address === null) return "an unknown destination";
  if ("hostname" in address) return `${address.hostname}:${address.port}`;
  const a = address as { host?: string; port?: number; name?: string | null };
  if (a.host !== undefined) return `${a.host}:${a.port}`;
  if (a.name !== undefined) return a.name ?? "an unnamed socket";
  return String(address);
}

/** Optional protocol methods a transport looks for (half-close, TLS handshake). */
interface MaybeExtended extends IProtocol {
  readConnectionLost?: () => void;
  writeConnectionLost?: () => void;
  handshakeCompleted?: () => void;
  logPrefix?: () => string;
}

/**
 * Stands in for the user's protocol while connecting: on `connectionMade` it
 * runs `beforeConnect` (TLS wrappers start TLS there), connects the user's
 * protocol to the same transport, then reports it. Every event is passed on.
 * The optional callbacks exist only when the wrapped protocol has them,
 * because transports decide half-close support by their presence.
 */
export class WrappingProtocol implements IProtocol {
  /** The user's protocol. */
  readonly wrappedProtocol: IProtocol;
  /** The transport, once connected. */
  transport: ITransport | null = null;
  /** Passed on to the wrapped protocol when it has it. */
  readConnectionLost?: () => void;
  /** Passed on to the wrapped protocol when it has it. */
  writeConnectionLost?: () => void;
  /** Passed on to the wrapped protocol when it has it. */
  handshakeCompleted?: () => void;
  #connected: (protocol: IProtocol) => void;
  #failed: (error: unknown) => void;
  #beforeConnect: ((transport: ITransport) => void) | undefined;

  /**
   * @param wrapped the user's protocol
   * @param connected called once the wrapped protocol's `makeConnection` returned
   * @param failed called when the wrapped protocol's `makeConnection` threw
   * @param beforeConnect runs with the transport before the wrapped protocol sees it
   */
  constructor(
    wrapped: IProtocol,
    connected: (protocol: IProtocol) => void,
    failed: (error: unknown) => void,
    beforeConnect?: (transport: ITransport) => void,
  ) {
    this.wrappedProtocol = wrapped;
    this.#connected = connected;
    this.#failed = failed;
    this.#beforeConnect = beforeConnect;
    const w = wrapped as MaybeExtended;
    if (typeof w.readConnectionLost === "function") {
      this.readConnectionLost = () => w.readConnectionLost!();
    }
    if (typeof w.writeConnectionLost === "function") {
      this.writeConnectionLost = () => w.writeConnectionLost!();
    }
    if (typeof w.handshakeCompleted === "function") {
      this.handshakeCompleted = () => w.handshakeCompleted!();
    }
  }

  /** Records the transport and calls `connectionMade`. */
  makeConnection(transport: ITransport): void {
    this.transport = transport;
    this.connectionMade();
  }

  /** Connects the wrapped protocol, then reports success (or its exception, rethrown). */
  connectionMade(): void {
    const transport = this.transport!;
    try {
      this.#beforeConnect?.(transport);
      this.wrappedProtocol.makeConnection(transport);
    } catch (error) {
      // The transport drops the connection on a throw; the endpoint's caller hears why.
      this.#failed(error);
      throw error;
    }
    this.#connected(this.wrappedProtocol);
  }

  /** Passes the bytes on. */
  dataReceived(data: Uint8Array): void {
    this.wrappedProtocol.dataReceived(data);
  }

  /** Passes the end of the connection on. */
  connectionLost(reason: Failure): void {
    this.wrappedProtocol.connectionLost(reason);
  }

  /** The wrapped protocol's log prefix. */
  logPrefix(): string {
    const w = this.wrappedProtocol as MaybeExtended;
    return typeof w.logPrefix === "function" ? w.logPrefix() : w.constructor.name;
  }
}

/**
 * The factory a client endpoint hands the reactor. `onConnection` fires with
 * the user's protocol once connected, or fails with the connection error
 * (`clientConnectionFailed`), the factory's error, `NoProtocol`, or
 * `ConnectingCancelledError` when cancelled.
 */
export class WrappingFactory extends ClientFactory {
  /** Fires with the connected protocol or fails with why there is none. */
  readonly onConnection: Deferred<IProtocol>;
  #wrapped: IProtocolFactory;
  #connector: IConnector | null = null;
  #cancelled = false;
  #beforeConnect: ((transport: ITransport) => void) | undefined;

  /**
   * @param wrapped the user's factory
   * @param beforeConnect runs with the transport before the user's protocol is connected
   */
  constructor(wrapped: IProtocolFactory, beforeConnect?: (transport: ITransport) => void) {
    super();
    this.noisy = false;
    this.#wrapped = wrapped;
    this.#beforeConnect = beforeConnect;
    this.onConnection = new Deferred<IProtocol>((d) => this.#cancel(d));
  }

  #cancel(d: Deferred<IProtocol>): void {
    this.#cancelled = true;
    const connector = this.#connector;
    d.errback(new ConnectingCancelledError(connector?.getDestination() ?? null));
    if (connector !== null) stopAttempt(connector);
  }

  /** Passes `doStart` on to the user's factory. */
  override doStart(): void {
    this.#wrapped.doStart();
  }

  /** Passes `doStop` on to the user's factory. */
  override doStop(): void {
    this.#wrapped.doStop();
  }

  /** Remembers the connector, so that cancelling can stop it. */
  override startedConnecting(connector: IConnector): void {
    this.#connector = connector;
    if (this.#cancelled) stopAttempt(connector);
  }

  /** Builds the user's protocol, wrapped; a refusal or a throw fails `onConnection`. */
  override buildProtocol(addr: Address): IProtocol | null {
    if (this.onConnection.called) return null; // cancelled meanwhile: refuse the connection
    let protocol: IProtocol | null;
    try {
      protocol = this.#wrapped.buildProtocol(addr);
      if (protocol === null || protocol === undefined) throw new NoProtocol();
    } catch (error) {
      this.onConnection.errback(error);
      return null;
    }
    return new WrappingProtocol(
      protocol,
      (p) => {
        if (!this.onConnection.called) this.onConnection.callback(p);
      },
      (error) => {
        if (!this.onConnection.called) this.onConnection.errback(error);
      },
      this.#beforeConnect,
    );
  }

  /** Fails `onConnection` with the reason, unless it already fired. */
  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    if (!this.onConnection.called) this.onConnection.errback(reason);
  }
}

/** Stops an attempt in progress; one that already connected is disconnected instead. */
function stopAttempt(connector: IConnector): void {
  try {
    connector.stopConnecting();
  } catch {
    connector.disconnect();
  }
}
