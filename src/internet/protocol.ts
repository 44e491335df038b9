/**
 * Protocols and factories (`twisted.internet.protocol`): `Protocol` reacts to
 * a connection's events, a `Factory` builds one per connection, and the
 * reconnecting, process and datagram variants cover the other transports.
 *
 * @example
 * ```ts
 * import { Factory, Protocol } from "@tw/core/protocol";
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport.write(data);
 *   }
 * }
 * const factory = Factory.forProtocol(Echo);
 * console.log(factory.protocol === Echo); // true
 * ```
 * @module
 */
import type {
  ConnectTCPOptions,
  ConnectUNIXOptions,
  IConnector,
  IDelayedCall,
  IProtocol,
  IProtocolFactory,
  IReactorSSL,
  IReactorTCP,
  IReactorTime,
  IReactorUNIX,
  ITransport,
} from "./interfaces.ts";
import type { TlsOptions } from "./socket.ts";
import { Deferred } from "./defer.ts";
import type { Address } from "./address.ts";
import type { Failure } from "./failure.ts";
import { Logger } from "../logger/_publisher.ts";

export { IPv4Address, IPv6Address, ProcessAddress, UNIXAddress } from "./address.ts";
export type { Address } from "./address.ts";

const log = new Logger("tw.internet.protocol");

/** A protocol class: what `Factory.protocol` holds and `buildProtocol` instantiates. */
export type ProtocolClass<P extends IProtocol = IProtocol> = new () => P;

/**
 * The base class of stream protocols. Override `connectionMade`,
 * `dataReceived` and `connectionLost`; write with `this.transport`.
 * A subclass that defines `readConnectionLost` is half-closeable: the peer's
 * EOF calls it and the connection stays open for writing.
 *
 * @example
 * ```ts
 * import { Protocol } from "@tw/core/protocol";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Greeter extends Protocol {
 *   override connectionMade(): void {
 *     this.transport.write(new TextEncoder().encode("hello\n"));
 *   }
 *   override dataReceived(_data: Uint8Array): void {
 *     this.transport.loseConnection();
 *   }
 * }
 * const transport = new StringTransport();
 * const greeter = new Greeter();
 * greeter.makeConnection(transport);
 * greeter.dataReceived(new TextEncoder().encode("bye\n"));
 * console.log(transport.valueText(), transport.disconnecting); // "hello\n" true
 * ```
 */
export class Protocol implements IProtocol {
  /** The transport, set by `makeConnection` (undefined before). */
  transport!: ITransport;
  /** The factory that built this protocol, or null. */
  factory: Factory | null = null;
  /** True once `makeConnection` has run. */
  connected = false;

  /** Sets `transport` and calls `connectionMade`. */
  makeConnection(transport: ITransport): void {
    this.connected = true;
    this.transport = transport;
    this.connectionMade();
  }

  /** Called when the connection is up. */
  connectionMade(): void {}

  /** Called with each chunk of bytes received (the protocol owns them). */
  dataReceived(_data: Uint8Array): void {}

  /** Called once when the connection ends: `ConnectionDone` if clean, `ConnectionLost` otherwise. */
  connectionLost(_reason: Failure): void {}

  /** A short name for log messages. */
  logPrefix(): string {
    return this.constructor.name;
  }
}

/**
 * Builds protocols for incoming or outgoing connections (`twisted.internet.protocol.Factory`).
 * State shared by a server's connections lives on the factory; each protocol
 * reaches it through `this.factory`.
 *
 * @example
 * ```ts
 * import { Factory, IPv4Address, Protocol } from "@tw/core/protocol";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Counter extends Factory {
 *   connections = 0;
 * }
 * class Counted extends Protocol {
 *   override connectionMade(): void {
 *     (this.factory as Counter).connections++;
 *   }
 * }
 * const factory = Counter.forProtocol(Counted);
 * // A port calls buildProtocol with the peer's address for each connection.
 * const protocol = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 5000));
 * protocol?.makeConnection(new StringTransport());
 * console.log(factory.connections); // 1
 * ```
 */
export class Factory implements IProtocolFactory {
  /** The protocol class `buildProtocol` instantiates. */
  protocol: ProtocolClass | null = null;
  /** Log when starting and stopping. @default true */
  noisy = true;
  /** How many ports use this factory (the `doStart` / `doStop` count). */
  numPorts = 0;

  /**
   * Makes a factory of this class (constructed with `args`) whose `protocol` is `protocol`.
   * @param protocol the protocol class to build
   * @param args the factory constructor's arguments
   */
  static forProtocol<F extends Factory, A extends unknown[]>(
    this: new (...args: A) => F,
    protocol: ProtocolClass,
    ...args: A
  ): F {
    const factory = new this(...args);
    factory.protocol = protocol;
    return factory;
  }

  /** Called by a port when it starts using this factory; `startFactory` on the first. */
  doStart(): void {
    if (this.numPorts === 0) {
      if (this.noisy) log.info("Starting factory {factory}", { factory: this.constructor.name });
      this.startFactory();
    }
    this.numPorts++;
  }

  /** Called by a port when it stops using this factory; `stopFactory` on the last. */
  doStop(): void {
    if (this.numPorts === 0) return;
    this.numPorts--;
    if (this.numPorts === 0) {
      if (this.noisy) log.info("Stopping factory {factory}", { factory: this.constructor.name });
      this.stopFactory();
    }
  }

  /** Set-up when the first port starts (override). */
  startFactory(): void {}

  /** Tear-down when the last port stops (override). */
  stopFactory(): void {}

  /**
   * Builds a protocol for a connection with `addr` (the peer's address); null refuses it.
   * The default instantiates `this.protocol` and sets its `factory`.
   */
  buildProtocol(_addr: Address): IProtocol | null {
    if (!this.protocol) throw new TypeError(`${this.constructor.name}.protocol is not set`);
    const p = new this.protocol();
    (p as { factory?: unknown }).factory = this;
    return p;
  }
}

/**
 * A factory for servers (`ServerFactory`): a `Factory` named for its role.
 *
 * @example
 * ```ts
 * import { Factory, Protocol, ServerFactory } from "@tw/core/protocol";
 * import { MemoryReactor } from "@tw/core/testing";
 *
 * const reactor = new MemoryReactor(); // in an application: `reactor` from "@tw/core"
 * const factory = ServerFactory.forProtocol(Protocol);
 * reactor.listenTCP(8080, factory, { interface: "127.0.0.1" });
 * console.log(factory instanceof Factory, reactor.tcpServers.length); // true 1
 * ```
 */
export class ServerFactory extends Factory {}

/**
 * A factory for clients: hears about the connection attempt (`ClientFactory`).
 *
 * @example
 * ```ts
 * import { ClientFactory, Failure, type IConnector, Protocol } from "@tw/core";
 * import { ConnectionRefusedError } from "@tw/core/error";
 * import { MemoryReactor } from "@tw/core/testing";
 *
 * class Client extends ClientFactory {
 *   override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
 *     console.log(reason.getErrorMessage()); // "Connection was refused by other side"
 *   }
 * }
 * const reactor = new MemoryReactor(); // in an application: `reactor` from "@tw/core"
 * const factory = Client.forProtocol(Protocol);
 * const connector = reactor.connectTCP("127.0.0.1", 8080, factory);
 * // The test plays the network: the attempt is refused.
 * factory.clientConnectionFailed(connector, new Failure(new ConnectionRefusedError()));
 * ```
 */
export class ClientFactory extends Factory {
  /** Called when a connection attempt starts. */
  startedConnecting(_connector: IConnector): void {}

  /** Called when a connection attempt fails (refused, timeout, DNS, ...). */
  clientConnectionFailed(_connector: IConnector, _reason: Failure): void {}

  /** Called after the connection's protocol got `connectionLost`. */
  clientConnectionLost(_connector: IConnector, _reason: Failure): void {}
}

/** Samples a normal distribution (Box-Muller), as Python's `random.normalvariate`. */
function normalVariate(mean: number, sigma: number, random: () => number): number {
  const u1 = 1 - random();
  const u2 = random();
  return mean + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * A client factory that reconnects with exponential back-off
 * (`ReconnectingClientFactory`). Call `resetDelay()` once a connection works
 * (typically in `buildProtocol` or the protocol's `connectionMade`).
 * The delays are scheduled on `clock`; when it is null, on the connector's
 * clock (the reactor that made the connection).
 *
 * @example
 * ```ts
 * import { Failure, Protocol, ReconnectingClientFactory } from "@tw/core";
 * import { ConnectionRefusedError } from "@tw/core/error";
 * import { MemoryReactorClock } from "@tw/core/testing";
 *
 * class Client extends Protocol {
 *   override connectionMade(): void {
 *     (this.factory as ReconnectingClientFactory).resetDelay();
 *   }
 * }
 * const reactor = new MemoryReactorClock(); // in an application: `reactor` from "@tw/core"
 * const factory = ReconnectingClientFactory.forProtocol(Client);
 * factory.clock = reactor;
 * const connector = reactor.connectTCP("127.0.0.1", 8080, factory);
 * factory.clientConnectionFailed(connector, new Failure(new ConnectionRefusedError()));
 * reactor.advance(factory.delay); // the retry is due: connector.connect() runs
 * console.log(factory.retries, connector.connects); // 1 2
 * factory.stopTrying();
 * ```
 */
export class ReconnectingClientFactory extends ClientFactory {
  /** Longest delay between attempts, in seconds. @default 3600 */
  maxDelay = 3600;
  /** First delay, in seconds. @default 1.0 */
  initialDelay = 1.0;
  /** Growth of the delay per retry (e). @default 2.7182818284590451 */
  factor = 2.7182818284590451;
  /** Relative standard deviation of the random jitter. @default 0.11962656472 */
  jitter = 0.11962656472;
  /** The current delay. */
  delay = 1.0;
  /** Attempts since the last `resetDelay`. */
  retries = 0;
  /** Give up after this many retries; null for never. @default null */
  maxRetries: number | null = null;
  /** False once `stopTrying` was called. */
  continueTrying = true;
  /** The connector being retried. */
  connector: IConnector | null = null;
  /** The clock retries are scheduled on; settable for tests (`Clock`). */
  clock: IReactorTime | null = null;
  /** The random source for the jitter (settable for tests). @default Math.random */
  random: () => number = Math.random;
  #callID: IDelayedCall | null = null;

  /** Retries, unless `stopTrying` was called. */
  override clientConnectionFailed(connector: IConnector, _reason: Failure): void {
    if (this.continueTrying) {
      this.connector = connector;
      this.retry();
    }
  }

  /** Retries, unless `stopTrying` was called. */
  override clientConnectionLost(connector: IConnector, _reason: Failure): void {
    if (this.continueTrying) {
      this.connector = connector;
      this.retry();
    }
  }

  /** Schedules `connector.connect()` after the next back-off delay. */
  retry(connector?: IConnector): void {
    if (!this.continueTrying) {
      if (this.noisy) log.info("Abandoning {connector} on explicit request", { connector });
      return;
    }
    const target = connector ?? this.connector;
    if (!target) throw new Error("ReconnectingClientFactory.retry: no connector to retry");
    this.retries++;
    if (this.maxRetries !== null && this.retries > this.maxRetries) {
      if (this.noisy) {
        log.info("Abandoning {connector} after {retries} retries", {
          connector: target,
          retries: this.retries,
        });
      }
      return;
    }
    this.delay = Math.min(this.delay * this.factor, this.maxDelay);
    if (this.jitter) this.delay = normalVariate(this.delay, this.delay * this.jitter, this.random);
    const clock = this.clock ?? (target as { clock?: IReactorTime }).clock;
    if (!clock) {
      throw new Error("ReconnectingClientFactory.retry: set `clock` (a reactor or Clock)");
    }
    if (this.noisy) {
      log.info("Will retry {connector} in {delay} seconds", {
        connector: target,
        delay: this.delay,
      });
    }
    this.#callID = clock.callLater(this.delay, () => {
      this.#callID = null;
      target.connect();
    });
  }

  /** Stops retrying: cancels a scheduled retry and an attempt in progress. */
  stopTrying(): void {
    if (this.#callID) {
      this.#callID.cancel();
      this.#callID = null;
    }
    this.continueTrying = false;
    if (this.connector) {
      try {
        this.connector.stopConnecting();
      } catch {
        // Not connecting: nothing to stop (Twisted ignores this too).
      }
    }
  }

  /** Back to the initial delay and zero retries; call when a connection succeeded. */
  resetDelay(): void {
    this.delay = this.initialDelay;
    this.retries = 0;
    this.#callID = null;
    this.continueTrying = true;
  }
}

/** The transport a `ProcessProtocol` gets (see `process.ts`). */
export interface IProcessTransport extends ITransport {
  /** The child's process id, or null once it has exited. */
  readonly pid: number | null;
  /** Closes the child's stdin. */
  closeStdin(): void;
  /** Stops reading the child's stdout (closing it is not possible through the runtime). */
  closeStdout(): void;
  /** Stops reading the child's stderr. */
  closeStderr(): void;
  /** Closes the pipe for `fd` (0: stdin, 1: stdout, 2: stderr). */
  closeChildFD(fd: number): void;
  /** Writes to the child's `fd` (only 0, stdin, is supported). */
  writeToChild(fd: number, data: Uint8Array): void;
  /** Sends a signal: "TERM", "KILL", "INT", "HUP" or full names ("SIGTERM"). */
  signalProcess(signal: string): void;
}

/**
 * Reacts to a child process's output and exit (`ProcessProtocol`).
 *
 * @example
 * ```ts
 * import { Deferred, type Failure, ProcessProtocol, reactor } from "@tw/core";
 * import { ProcessTerminated } from "@tw/core/error";
 *
 * class Run extends ProcessProtocol {
 *   readonly done = new Deferred<number | null>();
 *   override processEnded(reason: Failure): void {
 *     // ProcessDone for exit code 0, ProcessTerminated otherwise.
 *     const error = reason.value;
 *     this.done.callback(error instanceof ProcessTerminated ? error.exitCode : 0);
 *   }
 * }
 * const run = new Run();
 * reactor.spawnProcess(run, "sh", ["sh", "-c", "exit 3"]);
 * console.log(await run.done); // 3
 * ```
 */
export class ProcessProtocol {
  /** The process transport, set by `makeConnection`. */
  transport!: IProcessTransport;

  /** Sets `transport` and calls `connectionMade`. */
  makeConnection(transport: IProcessTransport): void {
    this.transport = transport;
    this.connectionMade();
  }

  /** Called once the child is running. */
  connectionMade(): void {}

  /** Output on `fd`; the default sends fd 1 to `outReceived` and fd 2 to `errReceived`. */
  childDataReceived(fd: number, data: Uint8Array): void {
    if (fd === 1) this.outReceived(data);
    else if (fd === 2) this.errReceived(data);
  }

  /** Output on stdout. */
  outReceived(_data: Uint8Array): void {}

  /** Output on stderr. */
  errReceived(_data: Uint8Array): void {}

  /** A pipe closed; the default dispatches to the in/out/err variants. */
  childConnectionLost(fd: number): void {
    if (fd === 0) this.inConnectionLost();
    else if (fd === 1) this.outConnectionLost();
    else if (fd === 2) this.errConnectionLost();
  }

  /** The child's stdin closed. */
  inConnectionLost(): void {}

  /** The child's stdout closed. */
  outConnectionLost(): void {}

  /** The child's stderr closed. */
  errConnectionLost(): void {}

  /** The child exited (`ProcessDone` or `ProcessTerminated`); output may still follow. */
  processExited(_reason: Failure): void {}

  /** The child exited and all its output was delivered. */
  processEnded(_reason: Failure): void {}
}

/** A UDP address as Twisted passes it: `[host, port]`. */
export type DatagramAddress = [string, number];

/** The transport a `DatagramProtocol` gets (see `udp.ts`). */
export interface IUDPTransport {
  /** Sends a datagram to `addr`, or to the connected address when omitted. */
  write(data: Uint8Array, addr?: DatagramAddress): void;
  /** Restricts sending and receiving to one peer. */
  connect(host: string, port: number): void;
  /** The bound address. */
  getHost(): Address;
  /** Stops listening (closes the socket). */
  stopListening(): unknown;
  /** Stops listening (`loseConnection` of Twisted's UDP port). */
  loseConnection(): void;
}

/**
 * Reacts to datagrams (`DatagramProtocol`).
 *
 * @example
 * ```ts
 * import { type DatagramAddress, DatagramProtocol } from "@tw/core/protocol";
 * import { FakeDatagramTransport } from "@tw/core/testing";
 *
 * class Echo extends DatagramProtocol {
 *   override datagramReceived(data: Uint8Array, addr: DatagramAddress): void {
 *     this.transport!.write(data, addr);
 *   }
 * }
 * const echo = new Echo();
 * const transport = new FakeDatagramTransport();
 * echo.makeConnection(transport);
 * echo.datagramReceived(new Uint8Array([1, 2]), ["10.0.0.2", 5353]);
 * console.log(transport.written[0][1]); // [ "10.0.0.2", 5353 ]
 * ```
 */
export class DatagramProtocol {
  /** The UDP port, set by `makeConnection`; null when not listening. */
  transport: IUDPTransport | null = null;
  /** Ports using this protocol. */
  numPorts = 0;
  /** Log when starting and stopping. @default true */
  noisy = true;

  /** Sets `transport` and calls `doStart`. */
  makeConnection(transport: IUDPTransport): void {
    this.transport = transport;
    this.doStart();
  }

  /** Called when a port starts; `startProtocol` on the first. */
  doStart(): void {
    if (this.numPorts === 0) {
      if (this.noisy) log.info("Starting protocol {protocol}", { protocol: this.constructor.name });
      this.startProtocol();
    }
    this.numPorts++;
  }

  /** Called when a port stops; `stopProtocol` on the last. */
  doStop(): void {
    if (this.numPorts === 0) return;
    this.numPorts--;
    this.transport = null;
    if (this.numPorts === 0) {
      if (this.noisy) log.info("Stopping protocol {protocol}", { protocol: this.constructor.name });
      this.stopProtocol();
    }
  }

  /** Called when the protocol starts listening (override). */
  startProtocol(): void {}

  /** Called when the protocol stops listening (override). */
  stopProtocol(): void {}

  /** A datagram arrived from `addr`. */
  datagramReceived(_data: Uint8Array, _addr: DatagramAddress): void {}

  /** A datagram sent on a connected port was refused (ICMP port unreachable), where reported. */
  connectionRefused(): void {}

  /** A short name for log messages. */
  logPrefix(): string {
    return this.constructor.name;
  }
}

/** The factory behind `ClientCreator`: one protocol instance, one Deferred. */
class InstanceFactory<P extends IProtocol> extends ClientFactory {
  override noisy = false;
  #make: () => P;
  readonly deferred: Deferred<P>;
  #built = false;

  constructor(make: () => P, deferred: Deferred<P>) {
    super();
    this.#make = make;
    this.deferred = deferred;
  }

  override buildProtocol(_addr: Address): P {
    const p = this.#make();
    (p as { factory?: unknown }).factory = this;
    this.#built = true;
    // Fire after makeConnection, so the caller gets a connected protocol.
    queueMicrotask(() => {
      if (!this.deferred.called) this.deferred.callback(p);
    });
    return p;
  }

  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    if (!this.#built && !this.deferred.called) this.deferred.errback(reason);
  }
}

/**
 * Connects one protocol instance and fires with it (`ClientCreator`):
 * `new ClientCreator(reactor, Echo).connectTCP("example.org", 7)`. Cancelling
 * the Deferred stops the attempt.
 *
 * @example
 * ```ts
 * import { ClientCreator, Factory, Protocol, reactor } from "@tw/core";
 *
 * const port = reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * await port.whenListening();
 * const { port: number } = port.getHost() as { port: number };
 * const client = await new ClientCreator(reactor, Protocol).connectTCP("127.0.0.1", number);
 * console.log(client.connected); // true
 * client.transport.loseConnection();
 * await port.stopListening();
 * ```
 */
export class ClientCreator<P extends IProtocol, A extends unknown[] = []> {
  #reactor: Partial<IReactorTCP & IReactorSSL & IReactorUNIX>;
  #make: () => P;

  /**
   * Creates the creator.
   * @param reactor what connects (`reactor`, or a test reactor)
   * @param protocolClass the protocol to instantiate with `args`
   * @param args the protocol constructor's arguments
   */
  constructor(
    reactor: Partial<IReactorTCP & IReactorSSL & IReactorUNIX>,
    protocolClass: new (...args: A) => P,
    ...args: A
  ) {
    this.#reactor = reactor;
    this.#make = () => new protocolClass(...args);
  }

  #connect(start: (factory: IProtocolFactory) => IConnector): Deferred<P> {
    let connector: IConnector | null = null;
    const d = new Deferred<P>(() => {
      try {
        connector?.stopConnecting();
      } catch {
        // Already connected or failed: the Deferred is failed by cancel() itself.
      }
    });
    connector = start(new InstanceFactory(this.#make, d));
    return d;
  }

  /** Connects over TCP; fires with the connected protocol. */
  connectTCP(host: string, port: number, options?: ConnectTCPOptions): Deferred<P> {
    const reactor = this.#reactor;
    if (!reactor.connectTCP) throw new TypeError("The reactor has no connectTCP");
    return this.#connect((f) => reactor.connectTCP!(host, port, f, options));
  }

  /** Connects over TLS; fires with the connected protocol. */
  connectSSL(
    host: string,
    port: number,
    tls: TlsOptions,
    options?: ConnectTCPOptions,
  ): Deferred<P> {
    const reactor = this.#reactor;
    if (!reactor.connectSSL) throw new TypeError("The reactor has no connectSSL");
    return this.#connect((f) => reactor.connectSSL!(host, port, f, tls, options));
  }

  /** Connects to a Unix socket; fires with the connected protocol. */
  connectUNIX(address: string, options?: ConnectUNIXOptions): Deferred<P> {
    const reactor = this.#reactor;
    if (!reactor.connectUNIX) throw new TypeError("The reactor has no connectUNIX");
    return this.#connect((f) => reactor.connectUNIX!(address, f, options));
  }
}
