/**
 * The client side of stream connections (`IConnector`): `Connector` resolves,
 * connects (with its timeout), and reports to a `ClientFactory`. The reactor's
 * `connectTCP` / `connectSSL` / `connectUNIX` (in `tcp.ts`) make one.
 *
 * @module
 */
import type { RuntimeNetwork, Socket, TlsOptions } from "./socket.ts";
import type {
  IConnector,
  IDelayedCall,
  IHostnameResolver,
  IProtocol,
  IProtocolFactory,
  IReactorTime,
} from "./interfaces.ts";
import {
  type Address,
  fromSocketAddress,
  IPv4Address,
  IPv6Address,
  isIPv4,
  isIPv6,
  UNIXAddress,
} from "./address.ts";
import { Failure } from "./failure.ts";
import { ConnectError, TimeoutError, UserError } from "./error.ts";
import { connectErrorFor, dnsLookupErrorFor } from "./_error_causes.ts";
import { StreamTransport } from "./_stream_transport.ts";
import { Logger } from "../logger/_publisher.ts";
import type { PortOptions } from "./tcp.ts";

const log = new Logger("tw.internet.tcp");

/** The TCP address of `host:port`, IPv6 when `host` is an IPv6 literal. */
export function ipAddress(host: string, port: number): IPv4Address | IPv6Address {
  return isIPv6(host) ? new IPv6Address("TCP", host, port) : new IPv4Address("TCP", host, port);
}

/** A client factory's callbacks, as a connector uses them (all optional beyond IProtocolFactory). */
interface ClientFactoryLike extends IProtocolFactory {
  startedConnecting?(connector: IConnector): void;
  clientConnectionFailed?(connector: IConnector, reason: Failure): void;
  clientConnectionLost?(connector: IConnector, reason: Failure): void;
}

/** Where a connector connects to. */
export type ConnectorDestination =
  | { transport: "tcp"; host: string; port: number; tls?: TlsOptions }
  | { transport: "unix"; path: string };

/** Options for a `Connector`. */
export interface ConnectorOptions extends PortOptions {
  /** Seconds before the attempt fails with `TimeoutError`; 0 or null for none. @default 30 */
  timeout?: number | null;
  /** Local `[host, port]` to bind before connecting (TCP). */
  bindAddress?: [string, number];
  /** Resolves host names instead of the runtime (the reactor's installed resolver). */
  resolver?: IHostnameResolver | null;
}

/**
 * A client connection attempt (`IConnector`): resolves the host name (IP
 * literals are not resolved), connects, and runs the protocol the factory
 * builds over a `StreamTransport`. Tells a `ClientFactory` about the attempt:
 * `startedConnecting`, then `clientConnectionFailed` (ConnectionRefusedError,
 * TimeoutError, DNSLookupError, UserError after `stopConnecting`) or, after
 * the protocol's `connectionLost`, `clientConnectionLost`.
 *
 * @example
 * ```ts
 * import { ClientFactory, Deferred, Factory, type IPv4Address, Protocol, reactor } from "@tw/core";
 *
 * const port = reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * await port.whenListening();
 * const lost = new Deferred<void>();
 * class Client extends ClientFactory {
 *   override clientConnectionLost(): void {
 *     lost.callback(undefined);
 *   }
 * }
 * class Hangup extends Protocol {
 *   override connectionMade(): void {
 *     this.transport.loseConnection();
 *   }
 * }
 * const { port: number } = port.getHost() as IPv4Address;
 * const connector = reactor.connectTCP("127.0.0.1", number, Client.forProtocol(Hangup));
 * console.log(connector.state); // "connecting"
 * await lost;
 * console.log(connector.state); // "disconnected"
 * await port.stopListening();
 * ```
 */
export class Connector implements IConnector {
  /** The clock timeouts (and a ReconnectingClientFactory without its own) use. */
  readonly clock: IReactorTime;
  /** The factory. */
  readonly factory: IProtocolFactory;
  /** "disconnected", "connecting" or "connected". */
  state: "disconnected" | "connecting" | "connected" = "disconnected";
  /** The transport of the current connection, or null. */
  transport: StreamTransport | null = null;
  #runtime: RuntimeNetwork;
  #destination: ConnectorDestination;
  #options: ConnectorOptions;
  #log: Logger;
  #factoryStarted = false;
  #attempt = 0;
  #abort: AbortController | null = null;
  #timeoutCall: IDelayedCall | null = null;

  /**
   * Creates a connector; `connect()` starts an attempt.
   * @param runtime the socket interface to connect with
   * @param clock time for the timeout
   * @param destination where to connect
   * @param factory a ClientFactory (or any protocol factory)
   * @param options timeout, local address, transport tuning
   */
  constructor(
    runtime: RuntimeNetwork,
    clock: IReactorTime,
    destination: ConnectorDestination,
    factory: IProtocolFactory,
    options: ConnectorOptions = {},
  ) {
    this.#runtime = runtime;
    this.clock = clock;
    this.#destination = destination;
    this.factory = factory;
    this.#options = options;
    this.#log = options.logger ?? log;
  }

  /** Starts an attempt. Throws when already connecting or connected. */
  connect(): void {
    if (this.state !== "disconnected") {
      throw new Error(`Cannot connect in state ${this.state}`);
    }
    this.state = "connecting";
    if (!this.#factoryStarted) {
      this.factory.doStart();
      this.#factoryStarted = true;
    }
    const attempt = ++this.#attempt;
    const abort = new AbortController();
    this.#abort = abort;
    const timeout = this.#options.timeout === undefined ? 30 : this.#options.timeout;
    if (timeout) {
      this.#timeoutCall = this.clock.callLater(timeout, () => {
        this.#timeoutCall = null;
        const message = `Cannot connect to ${this.#describe()}: timed out after ${timeout} s`;
        this.#failAttempt(attempt, new TimeoutError(message));
      });
    }
    this.#open(abort.signal).then(
      (socket) => this.#connected(attempt, socket),
      (e) => this.#failAttempt(attempt, e),
    );
    const f = this.factory as ClientFactoryLike;
    if (typeof f.startedConnecting === "function") f.startedConnecting(this);
  }

  #describe(): string {
    const d = this.#destination;
    return d.transport === "unix" ? d.path : `${d.host}:${d.port}`;
  }

  async #open(signal: AbortSignal): Promise<Socket> {
    const d = this.#destination;
    if (d.transport === "unix") {
      return await this.#runtime.connect({ transport: "unix", path: d.path, signal });
    }
    let ip = d.host;
    if (!isIPv4(d.host) && !isIPv6(d.host)) {
      let found;
      try {
        const resolver = this.#options.resolver;
        found = await (resolver ? resolver.resolveHostName(d.host) : this.#runtime.resolve(d.host));
      } catch (e) {
        throw dnsLookupErrorFor(d.host, e);
      }
      if (found.length === 0) throw dnsLookupErrorFor(d.host, "no address");
      ip = (found.find((a) => a.family === 4) ?? found[0]).address;
    }
    if (signal.aborted) throw signal.reason;
    const bind = this.#options.bindAddress;
    const tls = d.tls ? { ...d.tls, serverName: d.tls.serverName ?? d.host } : undefined;
    return await this.#runtime.connect({
      transport: "tcp",
      hostname: ip,
      port: d.port,
      localAddress: bind ? { hostname: bind[0], port: bind[1] } : undefined,
      tls,
      signal,
    });
  }

  #cancelTimeout(): void {
    if (this.#timeoutCall) {
      if (this.#timeoutCall.active()) this.#timeoutCall.cancel();
      this.#timeoutCall = null;
    }
  }

  #failAttempt(attempt: number, error: unknown): void {
    if (attempt !== this.#attempt || this.state !== "connecting") return;
    this.#attempt++;
    this.#cancelTimeout();
    const abort = this.#abort;
    this.#abort = null;
    abort?.abort(error);
    this.#connectionFailed(new Failure(connectErrorFor(this.#describe(), error)));
  }

  #connected(attempt: number, socket: Socket): void {
    if (attempt !== this.#attempt || this.state !== "connecting") {
      // The attempt was stopped or timed out while the runtime was connecting.
      socket.abort();
      return;
    }
    this.#cancelTimeout();
    this.#abort = null;
    this.state = "connected";
    let protocol: IProtocol | null;
    try {
      protocol = this.factory.buildProtocol(fromSocketAddress(socket.remoteAddress));
    } catch (e) {
      socket.abort(e);
      this.#connectionFailed(new Failure(e));
      return;
    }
    if (protocol === null) {
      socket.close().catch(() => {});
      this.#connectionFailed(new Failure(new ConnectError("The factory refused the connection")));
      return;
    }
    const transport = new StreamTransport(socket, {
      isServer: false,
      bufferSize: this.#options.bufferSize,
      logger: this.#options.logger,
      fastPath: this.#options.fastPath,
      onConnectionLost: (reason) => this.#connectionLost(transport, reason),
    });
    this.transport = transport;
    transport.attach(protocol);
  }

  #connectionFailed(reason: Failure): void {
    this.transport = null;
    this.state = "disconnected";
    const f = this.factory as ClientFactoryLike;
    try {
      if (typeof f.clientConnectionFailed === "function") f.clientConnectionFailed(this, reason);
    } catch (e) {
      this.#log.failure("Unhandled error in clientConnectionFailed", e, "error");
    }
    this.#maybeStopFactory();
  }

  #connectionLost(transport: StreamTransport, reason: Failure): void {
    if (this.transport !== transport) return;
    this.transport = null;
    this.state = "disconnected";
    const f = this.factory as ClientFactoryLike;
    try {
      if (typeof f.clientConnectionLost === "function") f.clientConnectionLost(this, reason);
    } catch (e) {
      this.#log.failure("Unhandled error in clientConnectionLost", e, "error");
    }
    this.#maybeStopFactory();
  }

  #maybeStopFactory(): void {
    // A factory that reconnected from its callback keeps running.
    if (this.state === "disconnected" && this.#factoryStarted) {
      this.#factoryStarted = false;
      this.factory.doStop();
    }
  }

  /** Aborts the attempt in progress (`UserError`); throws when not connecting. */
  stopConnecting(): void {
    if (this.state !== "connecting") throw new Error("Not connecting");
    this.#failAttempt(this.#attempt, new UserError());
  }

  /** Closes the connection, or stops the attempt. */
  disconnect(): void {
    if (this.state === "connecting") this.stopConnecting();
    else if (this.state === "connected") this.transport?.loseConnection();
  }

  /** The address connected to. */
  getDestination(): Address {
    const d = this.#destination;
    if (d.transport === "unix") return new UNIXAddress(d.path);
    return ipAddress(d.host, d.port);
  }
}
