/**
 * The contracts of `twisted.internet.interfaces`, as TypeScript interfaces.
 * Implementations point here for their documentation.
 *
 * @module
 */
import type { Deferred } from "./defer.ts";
import type { Failure } from "./failure.ts";
import type { Address, IPv4Address, IPv6Address } from "./address.ts";
import type { ResolvedAddress } from "./socket.ts";

/** A call scheduled for later (`reactor.callLater`, `Clock.callLater`). */
export interface IDelayedCall {
  /** The time, in the clock's seconds, at which the call runs. */
  getTime(): number;
  /** Cancels the call. Throws `AlreadyCalled` / `AlreadyCancelled` when it is no longer pending. */
  cancel(): void;
  /** Pushes the call back by `seconds` from its current time. */
  delay(seconds: number): void;
  /** Reschedules the call to run `seconds` from now. */
  reset(seconds: number): void;
  /** True while the call is pending. */
  active(): boolean;
}

/** Time and scheduling (`IReactorTime`): what protocols take instead of timers. */
export interface IReactorTime {
  /** The current time in seconds (wall clock for the reactor, virtual for `Clock`). */
  seconds(): number;
  /** Runs `fn(...args)` after `delay` seconds. */
  callLater<A extends unknown[]>(
    delay: number,
    fn: (...args: A) => unknown,
    ...args: A
  ): IDelayedCall;
  /** Returns the calls still pending. */
  getDelayedCalls(): IDelayedCall[];
}

/** A producer of data for a consumer (`IProducer`). */
export interface IProducer {
  /** Stops producing for good: the consumer will not accept more. */
  stopProducing(): void;
}

/** A producer that writes on its own until paused (`IPushProducer`). */
export interface IPushProducer extends IProducer {
  /** Stops writing until `resumeProducing` is called. */
  pauseProducing(): void;
  /** Resumes writing after `pauseProducing`. */
  resumeProducing(): void;
}

/** A producer that writes one chunk each time it is asked (`IPullProducer`). */
export interface IPullProducer extends IProducer {
  /** Writes one more chunk to the consumer. */
  resumeProducing(): void;
}

/** Something bytes can be written to, with producer flow control (`IConsumer`). */
export interface IConsumer {
  /**
   * Registers a producer. A streaming (push) producer is paused when the write
   * buffer passes its high-water mark and resumed when it drains; a pull producer
   * is asked for more whenever the buffer drains.
   */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void;
  /** Unregisters the current producer. */
  unregisterProducer(): void;
  /** Writes bytes. */
  write(data: Uint8Array): void;
}

/** A connection's transport, as protocols see it (`ITransport`). */
export interface ITransport extends IConsumer, IPushProducer {
  /** Queues bytes for writing; writes after the connection closed are dropped silently. */
  write(data: Uint8Array): void;
  /** Writes each chunk in order. */
  writeSequence(data: Iterable<Uint8Array>): void;
  /** Closes the connection once everything written has been flushed. */
  loseConnection(): void;
  /** Closes the connection at once, discarding unwritten data. */
  abortConnection(): void;
  /** The address of the other side. */
  getPeer(): Address;
  /** The address of this side. */
  getHost(): Address;
  /** True once `loseConnection` or `abortConnection` has been called. */
  readonly disconnecting: boolean;
}

/** A transport that can close its write side alone (`IHalfCloseableDescriptor`). */
export interface IHalfCloseableTransport extends ITransport {
  /** Flushes, then shuts down the write direction; reading goes on. */
  loseWriteConnection(): void;
}

/** Transport options for TLS upgrades. */
export interface ITLSTransport extends ITransport {
  /** Upgrades the live connection to TLS, after everything already written. */
  startTLS(options: import("./socket.ts").TlsOptions): void;
}

/** A TCP connection's transport (`ITCPTransport`). */
export interface ITCPTransport extends IHalfCloseableTransport, ITLSTransport {
  /** The address of the other side. */
  getPeer(): IPv4Address | IPv6Address | Address;
  /** The address of this side. */
  getHost(): IPv4Address | IPv6Address | Address;
  /** Enables or disables Nagle's algorithm being off (TCP_NODELAY). */
  setTcpNoDelay(enabled: boolean): void;
  /** Enables or disables TCP keep-alive probes. */
  setTcpKeepAlive(enabled: boolean): void;
}

/** What a transport expects of a protocol (`IProtocol`). */
export interface IProtocol {
  /** Connects the protocol to its transport, then calls `connectionMade`. */
  makeConnection(transport: ITransport): void;
  /** Called once the connection is up. */
  connectionMade(): void;
  /** Called with bytes the protocol now owns. */
  dataReceived(data: Uint8Array): void;
  /** Called once, when the connection ends: `ConnectionDone` when clean, `ConnectionLost` otherwise. */
  connectionLost(reason: Failure): void;
}

/** A protocol that wants to hear about each direction closing (`IHalfCloseableProtocol`). */
export interface IHalfCloseableProtocol extends IProtocol {
  /** The peer will send no more data; the protocol may still write. */
  readConnectionLost(): void;
  /** This side's write direction has been shut down. */
  writeConnectionLost?(): void;
}

/**
 * A protocol that keeps none of the bytes `dataReceived` gets once it returns
 * (it copies what it keeps, and what it writes to a transport). A transport
 * may then lend it views of a buffer it reads into again after the call, at
 * most 65,536 bytes each, saving a fresh buffer per read (the node adapter
 * does on Node, for accepted TCP and Unix connections). Any other protocol
 * gets bytes it owns. Read once, when the transport starts reading.
 *
 * @example
 * ```ts
 * import type { IBorrowingProtocol } from "@tw/core";
 * import { Protocol } from "@tw/core/protocol";
 *
 * class Counter extends Protocol implements IBorrowingProtocol {
 *   readonly borrowsData = true;
 *   count = 0;
 *   override dataReceived(data: Uint8Array): void {
 *     this.count += data.byteLength;
 *   }
 * }
 * ```
 */
export interface IBorrowingProtocol extends IProtocol {
  /** True: `dataReceived`'s bytes may be lent, valid until it returns. */
  readonly borrowsData: boolean;
}

/** Builds protocols for connections (`IProtocolFactory`). */
export interface IProtocolFactory {
  /** Builds a protocol for a connection from (or to) `addr`; `null` refuses it. */
  buildProtocol(addr: Address): IProtocol | null;
  /** Called when a port starts using the factory (reference counted). */
  doStart(): void;
  /** Called when a port stops using the factory (reference counted). */
  doStop(): void;
}

/** A listening port (`IListeningPort`). */
export interface IListeningPort {
  /** Starts binding (ports returned by `listenTCP` have already started; the bind is asynchronous). */
  startListening(): void;
  /** Stops listening; the Deferred fires once the port is closed. */
  stopListening(): Deferred<void>;
  /** The bound address. */
  getHost(): Address;
  /**
   * Fires with the port once it is bound, or fails with `CannotListenError`
   * (binding is asynchronous on every runtime). Optional: a port without it
   * counts as bound at once. Endpoints' `listen()` waits for it.
   */
  whenListening?(): Deferred<IListeningPort>;
}

/** A connection attempt (`IConnector`). */
export interface IConnector {
  /** Aborts the attempt in progress. */
  stopConnecting(): void;
  /** Closes the connection, or aborts the attempt. */
  disconnect(): void;
  /** Tries again with the same factory (used by reconnecting factories). */
  connect(): void;
  /** The address being connected to. */
  getDestination(): Address;
}

/** Options for `listenTCP` / `listenSSL`. */
export interface ListenTCPOptions {
  /** Pending connection queue size (Bun ignores it and always uses 512). @default 511 */
  backlog?: number;
  /** The interface to bind. @default "" (all IPv4 interfaces; "::" for all IPv6) */
  interface?: string;
  /**
   * Set SO_REUSEPORT: several processes (`tw web --workers`) listen on one
   * port and the kernel spreads connections among them. @default false
   */
  reusePort?: boolean;
}

/** Options for `connectTCP` / `connectSSL`. */
export interface ConnectTCPOptions {
  /** Seconds before the attempt fails with `TimeoutError`. @default 30 */
  timeout?: number;
  /** Local `[host, port]` to bind before connecting. */
  bindAddress?: [string, number];
}

/** Options for `listenUNIX`. */
export interface ListenUNIXOptions {
  /** Pending connection queue size (Bun ignores it and always uses 512). @default 511 */
  backlog?: number;
  /** File mode of the socket file. @default 0o666 */
  mode?: number;
  /**
   * Replace a stale socket file left by a server that died (a socket file that
   * nothing accepts on) before binding; a live server's socket or any other
   * file is never removed. Twisted's name, which used a lock file for this.
   * @default true
   */
  wantPID?: boolean;
}

/** Options for `connectUNIX`. */
export interface ConnectUNIXOptions {
  /** Seconds before the attempt fails with `TimeoutError`. @default 30 */
  timeout?: number;
}

/** Stream connections over TCP (`IReactorTCP`). */
export interface IReactorTCP {
  /**
   * Listens on `port` (0 for a free one); returns the port at once and binds
   * asynchronously: `await port.whenListening()` waits for the bind and
   * throws `CannotListenError` when it fails.
   */
  listenTCP(port: number, factory: IProtocolFactory, options?: ListenTCPOptions): IListeningPort;
  /** Connects to `host:port` with a ClientFactory. */
  connectTCP(
    host: string,
    port: number,
    factory: IProtocolFactory,
    options?: ConnectTCPOptions,
  ): IConnector;
}

/** Stream connections over TLS (`IReactorSSL`). */
export interface IReactorSSL {
  /** Listens with TLS on `port`. */
  listenSSL(
    port: number,
    factory: IProtocolFactory,
    tls: import("./socket.ts").TlsOptions,
    options?: ListenTCPOptions,
  ): IListeningPort;
  /** Connects with TLS to `host:port`. */
  connectSSL(
    host: string,
    port: number,
    factory: IProtocolFactory,
    tls: import("./socket.ts").TlsOptions,
    options?: ConnectTCPOptions,
  ): IConnector;
}

/** Stream connections over Unix sockets (`IReactorUNIX`). */
export interface IReactorUNIX {
  /** Listens on the socket file `address`. */
  listenUNIX(
    address: string,
    factory: IProtocolFactory,
    options?: ListenUNIXOptions,
  ): IListeningPort;
  /** Connects to the socket file `address`. */
  connectUNIX(address: string, factory: IProtocolFactory, options?: ConnectUNIXOptions): IConnector;
}

/** The address families `adoptStreamPort` takes (Twisted's `socket.AF_*`). */
export type AddressFamily = "INET" | "INET6" | "UNIX";

/** Serving sockets made elsewhere (Twisted's `IReactorSocket`, the stream part). */
export interface IReactorSocket {
  /**
   * Serves `factory` on an already-listening socket given by its file
   * descriptor (systemd socket activation); the port owns it from then on.
   */
  adoptStreamPort(
    fileDescriptor: number,
    addressFamily: AddressFamily,
    factory: IProtocolFactory,
  ): IListeningPort;
}

/** Name resolution (`IReactorPluggableNameResolver`, simplified). */
export interface IReactorResolve {
  /** Resolves `name` to its IP addresses (IPv4 and IPv6), failing with `DNSLookupError`. */
  resolve(name: string): Deferred<string[]>;
}

/**
 * What resolves host names for a reactor instead of the runtime's own lookup
 * (Twisted's `IHostnameResolver`, simplified): `@tw/core/names` resolvers are
 * one. Rejects when the name has no address.
 */
export interface IHostnameResolver {
  /** The IPv4 and IPv6 addresses of `name`. */
  resolveHostName(name: string): PromiseLike<ResolvedAddress[]>;
}

/** A reactor whose name resolution can be replaced (`IReactorPluggableResolver`). */
export interface IReactorPluggableResolver {
  /**
   * Makes `resolve`, `connectTCP` / `connectSSL` by name and `HostnameEndpoint`
   * use `resolver`; null goes back to the runtime's. Returns the one replaced.
   */
  installResolver(resolver: IHostnameResolver | null): IHostnameResolver | null;
}

/**
 * Everything the endpoints (`@tw/core/endpoints`) may ask of a reactor: TCP,
 * TLS and Unix streams, name resolution and time. `serverFromString` and
 * `clientFromString` take one of these.
 */
export interface IReactorNetwork
  extends IReactorTCP, IReactorSSL, IReactorUNIX, IReactorResolve, IReactorTime {}

/** Options for `listenUDP`. */
export interface ListenUDPOptions {
  /** The interface to bind. @default "" (all IPv4 interfaces) */
  interface?: string;
  /** The largest datagram read; longer ones are truncated. @default 8192 */
  maxPacketSize?: number;
}

/** Options for `listenMulticast`. */
export interface ListenMulticastOptions extends ListenUDPOptions {
  /** Let several sockets bind the same port (SO_REUSEADDR). @default false */
  listenMultiple?: boolean;
}

/** Datagram sockets (`IReactorUDP`, `IReactorMulticast`). */
export interface IReactorUDP {
  /** Binds `port` for `protocol`; the returned port is also the protocol's transport. */
  listenUDP(
    port: number,
    protocol: import("./protocol.ts").DatagramProtocol,
    options?: ListenUDPOptions,
  ): IListeningPort;
  /** `listenUDP` for multicast: the port has joinGroup / leaveGroup / setTTL / setLoopbackMode. */
  listenMulticast?(
    port: number,
    protocol: import("./protocol.ts").DatagramProtocol,
    options?: ListenMulticastOptions,
  ): IListeningPort;
}

/** Options for `spawnProcess`. */
export interface SpawnProcessOptions {
  /** The child's environment. @default the parent's environment (Twisted: empty) */
  env?: Record<string, string>;
  /** The child's working directory. @default the parent's */
  path?: string;
  /** Only the default `{0: "w", 1: "r", 2: "r"}` is supported; others throw `NotSupportedError`. */
  childFDs?: Record<number, "r" | "w" | number>;
  /** Not supported: `true` throws `NotSupportedError`. */
  usePTY?: boolean;
  /** Not supported: throws `NotSupportedError`. */
  uid?: number;
  /** Not supported: throws `NotSupportedError`. */
  gid?: number;
}

/** Child processes (`IReactorProcess`). */
export interface IReactorProcess {
  /** Runs `executable` with `args` (`args[0]` is the program's name) and drives `processProtocol`. */
  spawnProcess(
    processProtocol: import("./protocol.ts").ProcessProtocol,
    executable: string,
    args?: string[],
    options?: SpawnProcessOptions,
  ): import("./protocol.ts").IProcessTransport;
}
