/**
 * `MemoryReactor`: a reactor that records listen and connect calls instead of
 * touching the network (`twisted.internet.testing.MemoryReactor`), and
 * `MemoryReactorClock`, the same with fake time.
 *
 * @module
 */
import { DEFAULT_BACKLOG } from "../internet/tcp.ts";
import {
  type Address,
  IPv4Address,
  IPv6Address,
  isIPv4,
  isIPv6,
  UNIXAddress,
} from "../internet/address.ts";
import { Clock } from "../internet/_clock.ts";
import { type Deferred, fail, succeed } from "../internet/defer.ts";
import { DNSLookupError, ReactorNotRunning } from "../internet/error.ts";
import type {
  ConnectTCPOptions,
  ConnectUNIXOptions,
  IConnector,
  IDelayedCall,
  IListeningPort,
  IProtocolFactory,
  IReactorNetwork,
  IReactorResolve,
  IReactorSSL,
  IReactorTCP,
  IReactorUNIX,
  ListenTCPOptions,
  ListenUNIXOptions,
} from "../internet/interfaces.ts";
import type { DatagramProtocol } from "../internet/protocol.ts";
import type {
  IReactorCore,
  SystemEventPhase,
  SystemEventTriggerId,
  SystemEventType,
} from "../internet/reactor.ts";
import type { TlsOptions } from "../internet/socket.ts";
import { watchClock } from "./_leak_check.ts";

/** A `tcpServers` entry: `[port, factory, backlog, interface]`. */
export type TCPServerRecord = [number, IProtocolFactory, number, string];
/** A `tcpClients` entry: `[host, port, factory, timeout, bindAddress]`. */
export type TCPClientRecord = [
  string,
  number,
  IProtocolFactory,
  number,
  [string, number] | null,
];
/** An `sslServers` entry: `[port, factory, tls, backlog, interface]`. */
export type SSLServerRecord = [number, IProtocolFactory, TlsOptions, number, string];
/** An `sslClients` entry: `[host, port, factory, tls, timeout, bindAddress]`. */
export type SSLClientRecord = [
  string,
  number,
  IProtocolFactory,
  TlsOptions,
  number,
  [string, number] | null,
];
/** A `unixServers` entry: `[address, factory, backlog, mode, wantPID]`. */
export type UNIXServerRecord = [string, IProtocolFactory, number, number, boolean];
/** A `unixClients` entry: `[address, factory, timeout, checkPID]`. */
export type UNIXClientRecord = [string, IProtocolFactory, number, boolean];
/** A `udpServers` entry: `[port, protocol, interface, maxPacketSize]`. */
export type UDPServerRecord = [number, DatagramProtocol, string, number];

/** Options `MemoryReactor.listenUDP` records. */
export interface MemoryListenUDPOptions {
  /** The interface. @default "" */
  interface?: string;
  /** The largest datagram. @default 8192 */
  maxPacketSize?: number;
}

/** Options `MemoryReactor.connectUNIX` records. */
export interface MemoryConnectUNIXOptions extends ConnectUNIXOptions {
  /** Twisted's `checkPID`. @default false */
  checkPID?: boolean;
}

/**
 * The port `MemoryReactor`'s listen methods return: already listening, with
 * `stopListening` recorded in `stopped`.
 *
 * @example
 * ```ts
 * import { MemoryReactor } from "@tw/core/testing";
 * import { Factory, Protocol } from "@tw/core/protocol";
 *
 * const reactor = new MemoryReactor();
 * const port = reactor.listenTCP(8080, Factory.forProtocol(Protocol));
 * console.log(String(port.getHost())); // IPv4Address(TCP, 0.0.0.0, 8080)
 * await port.stopListening();
 * console.log(port.stopped); // true
 * ```
 */
export class FakePort implements IListeningPort {
  /** The address given to the listen call. */
  readonly address: Address;
  /** True once `stopListening` ran. */
  stopped = false;

  /**
   * Makes a port.
   * @param address what `getHost()` returns
   */
  constructor(address: Address) {
    this.address = address;
  }

  /** Does nothing: the port is listening from the start. */
  startListening(): void {}

  /** Records the stop; the Deferred has already fired. */
  stopListening(): Deferred<void> {
    this.stopped = true;
    return succeed(undefined);
  }

  /** The address given to the listen call. */
  getHost(): Address {
    return this.address;
  }

  /** Fires with the port at once: the fake bind never fails. */
  whenListening(): Deferred<IListeningPort> {
    return succeed<IListeningPort>(this);
  }
}

/**
 * The connector `MemoryReactor`'s connect methods return. Nothing connects
 * by itself: a test takes the factory from `reactor.tcpClients` and builds
 * and connects a protocol (for example to a `StringTransport`), or reports a
 * failure with `factory.clientConnectionFailed(connector, reason)`.
 *
 * @example
 * ```ts
 * import { MemoryReactor } from "@tw/core/testing";
 * import {
 *   ClientFactory,
 *   ConnectionRefusedError,
 *   Failure,
 *   type IConnector,
 *   Protocol,
 * } from "@tw/core";
 *
 * class Client extends ClientFactory {
 *   override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
 *     console.log(reason.getErrorMessage()); // "Connection was refused by other side"
 *   }
 * }
 * const reactor = new MemoryReactor();
 * const factory = Client.forProtocol(Protocol);
 * const connector = reactor.connectTCP("example.com", 80, factory);
 * console.log(connector.connects); // 1
 * factory.clientConnectionFailed(connector, new Failure(new ConnectionRefusedError()));
 * ```
 */
export class FakeConnector implements IConnector {
  /** The address connected to. */
  readonly destination: Address;
  /** The factory given to the connect call. */
  readonly factory: IProtocolFactory;
  /** True once `disconnect` ran. */
  disconnected = false;
  /** True once `stopConnecting` ran. */
  stoppedConnecting = false;
  /** How many times `connect` ran (the reactor's own call counts). */
  connects = 0;

  /**
   * Makes a connector.
   * @param destination what `getDestination()` returns
   * @param factory the client factory
   */
  constructor(destination: Address, factory: IProtocolFactory) {
    this.destination = destination;
    this.factory = factory;
  }

  /** Records the stop. */
  stopConnecting(): void {
    this.stoppedConnecting = true;
  }

  /** Records the disconnection. */
  disconnect(): void {
    this.disconnected = true;
  }

  /** Counts the attempt and tells a client factory it started (`startedConnecting`). */
  connect(): void {
    this.connects++;
    (this.factory as { startedConnecting?(c: IConnector): void }).startedConnecting?.(this);
  }

  /** The address connected to. */
  getDestination(): Address {
    return this.destination;
  }
}

function ipAddress(type: "TCP" | "UDP", host: string, port: number): Address {
  return isIPv6(host) ? new IPv6Address(type, host, port) : new IPv4Address(type, host, port);
}

interface Trigger {
  id: SystemEventTriggerId;
  phase: SystemEventPhase;
  eventType: string;
  fn: (...args: unknown[]) => unknown;
  args: unknown[];
}

/**
 * A reactor that records what is asked of it, as Twisted's `MemoryReactor`:
 * `listenTCP` appends `[port, factory, backlog, interface]` to `tcpServers`,
 * `connectTCP` appends `[host, port, factory, timeout, bindAddress]` to
 * `tcpClients`, and likewise `sslServers`, `sslClients`, `unixServers`,
 * `unixClients` and `udpServers`. Listen calls return a `FakePort`, connect
 * calls a `FakeConnector` (also kept in `connectors`). `resolve` answers from
 * `resolutions`. `run` runs the `callWhenRunning` hooks and stops at once.
 *
 * @example
 * ```ts
 * import { MemoryReactor, StringTransport } from "@tw/core/testing";
 * import { Factory, Protocol } from "@tw/core/protocol";
 *
 * const reactor = new MemoryReactor();
 * reactor.connectTCP("example.com", 80, Factory.forProtocol(Protocol));
 * const [host, port, factory] = reactor.tcpClients[0];
 * const protocol = factory.buildProtocol(reactor.connectors[0].getDestination());
 * protocol?.makeConnection(new StringTransport());
 * console.log(host, port); // example.com 80
 * ```
 */
export class MemoryReactor
  implements IReactorTCP, IReactorSSL, IReactorUNIX, IReactorResolve, IReactorCore {
  /** `listenTCP` calls. */
  tcpServers: TCPServerRecord[] = [];
  /** `connectTCP` calls. */
  tcpClients: TCPClientRecord[] = [];
  /** `listenSSL` calls. */
  sslServers: SSLServerRecord[] = [];
  /** `connectSSL` calls. */
  sslClients: SSLClientRecord[] = [];
  /** `listenUNIX` calls. */
  unixServers: UNIXServerRecord[] = [];
  /** `connectUNIX` calls. */
  unixClients: UNIXClientRecord[] = [];
  /** `listenUDP` calls. */
  udpServers: UDPServerRecord[] = [];
  /** The connectors returned, in order. */
  connectors: FakeConnector[] = [];
  /** The ports returned, in order. */
  ports: FakePort[] = [];
  /** Names `resolve` knows: name -> addresses. IP literals resolve to themselves. */
  resolutions: Map<string, string[]> = new Map();
  /** `resolve` calls, in order. */
  resolved: string[] = [];
  /** True once `run` was called. */
  hasRun = false;
  /** True once `stop` was called. */
  hasStopped = false;
  /** True once `crash` was called. */
  hasCrashed = false;
  /** The hooks `callWhenRunning` registered before `run`. */
  whenRunningHooks: [(...args: unknown[]) => unknown, unknown[]][] = [];
  #running = false;
  #triggers: Trigger[] = [];
  #nextTrigger = 1;

  // ---- IReactorCore ---------------------------------------------------------

  /** True between `run` and `stop`. */
  get running(): boolean {
    return this.#running;
  }

  /** Runs the `callWhenRunning` hooks, then stops, as Twisted's `MemoryReactor.run`. */
  run(): Promise<void> {
    if (this.#running) throw new Error("MemoryReactor is already running");
    this.#running = true;
    this.hasRun = true;
    for (const [fn, args] of this.whenRunningHooks) fn(...args);
    this.stop();
    return Promise.resolve();
  }

  /** Records the stop. @throws {ReactorNotRunning} when not running */
  stop(): void {
    if (!this.#running) throw new ReactorNotRunning();
    this.#running = false;
    this.hasStopped = true;
  }

  /** Records a crash (a stop without shutdown). */
  crash(): void {
    this.hasCrashed = true;
    this.stop();
  }

  /** Records `fn(...args)` for `run` (or runs it at once when running). */
  callWhenRunning<A extends unknown[]>(
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTriggerId | undefined {
    if (this.#running) {
      fn(...args);
      return undefined;
    }
    this.whenRunningHooks.push([fn as (...args: unknown[]) => unknown, args]);
    return undefined;
  }

  /** Records a trigger; `fireSystemEvent` runs it. */
  addSystemEventTrigger<A extends unknown[]>(
    phase: SystemEventPhase,
    eventType: SystemEventType,
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTriggerId {
    const id = this.#nextTrigger++;
    this.#triggers.push({
      id,
      phase,
      eventType,
      fn: fn as (...args: unknown[]) => unknown,
      args,
    });
    return id;
  }

  /** Removes a trigger. @throws {RangeError} for an unknown id */
  removeSystemEventTrigger(id: SystemEventTriggerId): void {
    const i = this.#triggers.findIndex((t) => t.id === id);
    if (i < 0) throw new RangeError(`No pending system event trigger ${id}`);
    this.#triggers.splice(i, 1);
  }

  /** The recorded triggers of `eventType` (and `phase`, when given). */
  triggers(eventType: SystemEventType, phase?: SystemEventPhase): ((...a: unknown[]) => unknown)[] {
    return this.#triggers
      .filter((t) => t.eventType === eventType && (phase === undefined || t.phase === phase))
      .map((t) => t.fn);
  }

  /** Runs the triggers of `eventType`, phase by phase, waiting for "before" results. */
  async fireSystemEvent(eventType: SystemEventType): Promise<void> {
    for (const phase of ["before", "during", "after"] as const) {
      const due = this.#triggers.filter((t) => t.eventType === eventType && t.phase === phase);
      this.#triggers = this.#triggers.filter((t) => !due.includes(t));
      const waits = due.map((t) => t.fn(...t.args));
      if (phase === "before") await Promise.allSettled(waits);
    }
  }

  // ---- network ----------------------------------------------------------------

  /** Records `[port, factory, backlog, interface]` in `tcpServers`. */
  listenTCP(port: number, factory: IProtocolFactory, options: ListenTCPOptions = {}): FakePort {
    const iface = options.interface ?? "";
    this.tcpServers.push([port, factory, options.backlog ?? DEFAULT_BACKLOG, iface]);
    return this.#port(ipAddress("TCP", iface === "" ? "0.0.0.0" : iface, port));
  }

  /** Records `[host, port, factory, timeout, bindAddress]` in `tcpClients`. */
  connectTCP(
    host: string,
    port: number,
    factory: IProtocolFactory,
    options: ConnectTCPOptions = {},
  ): FakeConnector {
    this.tcpClients.push([host, port, factory, options.timeout ?? 30, options.bindAddress ?? null]);
    return this.#connector(ipAddress("TCP", host, port), factory);
  }

  /** Records `[port, factory, tls, backlog, interface]` in `sslServers`. */
  listenSSL(
    port: number,
    factory: IProtocolFactory,
    tls: TlsOptions,
    options: ListenTCPOptions = {},
  ): FakePort {
    const iface = options.interface ?? "";
    this.sslServers.push([port, factory, tls, options.backlog ?? DEFAULT_BACKLOG, iface]);
    return this.#port(ipAddress("TCP", iface === "" ? "0.0.0.0" : iface, port));
  }

  /** Records `[host, port, factory, tls, timeout, bindAddress]` in `sslClients`. */
  connectSSL(
    host: string,
    port: number,
    factory: IProtocolFactory,
    tls: TlsOptions,
    options: ConnectTCPOptions = {},
  ): FakeConnector {
    this.sslClients.push([
      host,
      port,
      factory,
      tls,
      options.timeout ?? 30,
      options.bindAddress ?? null,
    ]);
    return this.#connector(ipAddress("TCP", host, port), factory);
  }

  /** Records `[address, factory, backlog, mode, wantPID]` in `unixServers`. */
  listenUNIX(
    address: string,
    factory: IProtocolFactory,
    options: ListenUNIXOptions = {},
  ): FakePort {
    this.unixServers.push([
      address,
      factory,
      options.backlog ?? DEFAULT_BACKLOG,
      options.mode ?? 0o666,
      options.wantPID ?? true,
    ]);
    return this.#port(new UNIXAddress(address));
  }

  /** Records `[address, factory, timeout, checkPID]` in `unixClients`. */
  connectUNIX(
    address: string,
    factory: IProtocolFactory,
    options: MemoryConnectUNIXOptions = {},
  ): FakeConnector {
    this.unixClients.push([address, factory, options.timeout ?? 30, options.checkPID ?? false]);
    return this.#connector(new UNIXAddress(address), factory);
  }

  /** Records `[port, protocol, interface, maxPacketSize]` in `udpServers`. */
  listenUDP(
    port: number,
    protocol: DatagramProtocol,
    options: MemoryListenUDPOptions = {},
  ): FakePort {
    const iface = options.interface ?? "";
    this.udpServers.push([port, protocol, iface, options.maxPacketSize ?? 8192]);
    return this.#port(ipAddress("UDP", iface === "" ? "0.0.0.0" : iface, port));
  }

  /**
   * Answers from `resolutions`; IP literals resolve to themselves; other
   * names fail with `DNSLookupError`.
   */
  resolve(name: string): Deferred<string[]> {
    this.resolved.push(name);
    if (isIPv4(name) || isIPv6(name)) return succeed([name]);
    const found = this.resolutions.get(name);
    if (found === undefined || found.length === 0) {
      return fail(new DNSLookupError(`DNS lookup failed: ${name}: no address`));
    }
    return succeed([...found]);
  }

  #port(address: Address): FakePort {
    const port = new FakePort(address);
    this.ports.push(port);
    return port;
  }

  #connector(destination: Address, factory: IProtocolFactory): FakeConnector {
    const connector = new FakeConnector(destination, factory);
    this.connectors.push(connector);
    connector.connect();
    return connector;
  }
}

/**
 * A `MemoryReactor` with fake time (`MemoryReactorClock`): `callLater`,
 * `seconds`, `getDelayedCalls`, `advance` and `pump` work as `Clock`'s. It is
 * a full `IReactorNetwork`, so endpoints and `serverFromString` /
 * `clientFromString` run on it. The leak check sees its pending calls.
 *
 * @example
 * ```ts
 * import { MemoryReactorClock } from "@tw/core/testing";
 * const reactor = new MemoryReactorClock();
 * let fired = false;
 * reactor.callLater(1, () => (fired = true));
 * reactor.advance(1);
 * console.log(fired); // true
 * ```
 */
export class MemoryReactorClock extends MemoryReactor implements IReactorNetwork {
  #clock = new Clock();

  /** Makes a reactor at time 0, watched by the leak check. */
  constructor() {
    super();
    watchClock(this);
  }

  /** The fake time in seconds; starts at 0. */
  seconds(): number {
    return this.#clock.seconds();
  }

  /** Schedules `fn(...args)` after `delay` fake seconds. */
  callLater<A extends unknown[]>(
    delay: number,
    fn: (...args: A) => unknown,
    ...args: A
  ): IDelayedCall {
    return this.#clock.callLater(delay, fn, ...args);
  }

  /** The pending calls, earliest first. */
  getDelayedCalls(): IDelayedCall[] {
    return this.#clock.getDelayedCalls();
  }

  /** Moves time forward by `amount` seconds, running the calls due. */
  advance(amount: number): void {
    this.#clock.advance(amount);
  }

  /** Advances by each amount in turn. */
  pump(timings: Iterable<number>): void {
    this.#clock.pump(timings);
  }
}
