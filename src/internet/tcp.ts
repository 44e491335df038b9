/**
 * Listening ports and connectors for stream sockets (TCP, TLS, Unix), written
 * against the socket interface: they take a `RuntimeNetwork` (the adapter, or a
 * `MemoryNetwork` in tests) and an `IReactorTime` (for timeouts and retries),
 * so the reactor's `listenTCP` / `connectTCP` / `listenSSL` / `connectSSL` /
 * `listenUNIX` / `connectUNIX` are one-line delegations to the functions here.
 *
 * Binding is asynchronous on every runtime, so `listenTCP` returns a `Port` at
 * once and the bind completes after the event loop turns. A bind error reaches
 * the caller through `port.whenListening()`, which fails with
 * `CannotListenError`. An error nothing handles (nobody asked `whenListening()`
 * before it, or asked without an errback) is never silent: the reactor's
 * listen methods stop `reactor.run()` with it, so a program that listens on a
 * busy port ends with that error and a non-zero exit code; a port made without
 * the reactor logs it as critical. Endpoints' `listen()` uses `whenListening()`.
 *
 * @module
 */
import type {
  ListenOptions,
  RuntimeFileSystem,
  RuntimeNetwork,
  Socket,
  TlsOptions,
} from "./socket.ts";
import type {
  AddressFamily,
  ConnectTCPOptions,
  ConnectUNIXOptions,
  IHostnameResolver,
  IListeningPort,
  IProtocol,
  IProtocolFactory,
  IReactorTime,
  ListenTCPOptions,
  ListenUNIXOptions,
} from "./interfaces.ts";
import {
  type Address,
  fromSocketAddress,
  IPv4Address,
  isIPv4,
  isIPv6,
  UNIXAddress,
} from "./address.ts";
import { Factory } from "./protocol.ts";
import { Deferred, fail, succeed } from "./defer.ts";
import type { Failure } from "./failure.ts";
import { isHandled } from "./_defer_unhandled.ts";
import { CannotListenError } from "./error.ts";
import { checkPort, dnsLookupErrorFor, errorCode } from "./_error_causes.ts";
import { StreamTransport, type StreamTransportOptions } from "./_stream_transport.ts";
import { ConnectionList } from "./_connection_list.ts";
import {
  type LiveResource,
  trackResource,
  trackResourceGroup,
  untrackResource,
  untrackResourceGroup,
} from "./_live.ts";
import { Logger } from "../logger/_publisher.ts";
import { Connector, ipAddress } from "./_connector.ts";

const log = new Logger("tw.internet.tcp");
/** What `Factory.prototype.buildProtocol` gets: it ignores the address. */
const UNKNOWN_PEER = new IPv4Address("TCP", "0.0.0.0", 0);

export {
  Connector,
  type ConnectorDestination,
  type ConnectorOptions,
  ipAddress,
} from "./_connector.ts";

/**
 * The listen backlog when none is given: Node's 511 (the kernel caps it at
 * `net.core.somaxconn`). Twisted's 50 drops SYNs under a burst of connects,
 * and each dropped SYN costs its client a one-second retry.
 */
export const DEFAULT_BACKLOG = 511;

/** Options shared by ports: transport tuning and logging. */
export interface PortOptions {
  /** The transports' high-water mark in bytes. @default 65536 */
  bufferSize?: number;
  /** Where accept and protocol errors are logged. @default new Logger("tw.internet.tcp") */
  logger?: Logger;
  /** Use the adapter's fast path when offered; false forces Web Streams. @default true */
  fastPath?: boolean;
  /**
   * Called when the bind fails and nothing handles the error: nobody asked
   * `whenListening()` before the failure, or its Deferred has no errback. The
   * reactor's `listenTCP` / `listenSSL` / `listenUNIX` pass one that stops
   * `reactor.run()` with the error, as Twisted's `listenTCP` raises at once.
   * @default logs the error as critical
   */
  onUnhandledError?: (error: CannotListenError) => void;
}

/** What a port listens on. */
export type PortAddress =
  | {
    transport: "tcp";
    interface: string;
    port: number;
    backlog?: number;
    tls?: TlsOptions;
    /** SO_REUSEPORT. @default false */
    reusePort?: boolean;
    /** An already-listening socket to adopt instead of binding. */
    fd?: number;
  }
  | {
    transport: "unix";
    path: string;
    mode?: number;
    backlog?: number;
    /** Replace a stale socket file (one nothing listens on). @default true */
    replaceStale?: boolean;
    /** An already-listening socket to adopt instead of binding. */
    fd?: number;
  };

/**
 * A listening stream port (`IListeningPort`): accepts connections, builds a
 * protocol for each from the factory (with the peer's address) and runs it
 * over a `StreamTransport`.
 *
 * @example
 * ```ts
 * import { Factory, type IPv4Address, Protocol, reactor } from "@tw/core";
 *
 * const port = reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * await port.whenListening();
 * const address = port.getHost() as IPv4Address;
 * console.log(address.host, address.port > 0, port.connections.size); // 127.0.0.1 true 0
 * await port.stopListening();
 * ```
 */
export class Port implements IListeningPort, LiveResource {
  #runtime: RuntimeNetwork;
  #address: PortAddress;
  #factory: IProtocolFactory;
  #options: PortOptions;
  #log: Logger;
  #listener: import("./socket.ts").Listener | null = null;
  #state: "idle" | "binding" | "listening" | "failed" | "stopping" | "stopped" = "idle";
  #error: CannotListenError | null = null;
  #waiters: Deferred<Port>[] = [];
  #stopWaiters: Deferred<void>[] = [];
  #connections = new ConnectionList<StreamTransport>();
  /** One function for every connection's end (a closure each costs memory per connection). */
  #forget = (_reason: Failure, transport: StreamTransport): void => {
    this.#connections.closed(transport);
    if (this.#connections.size === 0 && this.#state === "stopped") {
      untrackResourceGroup(this.#connections);
    }
  };
  #onSocket = (socket: Socket): void => {
    if (this.#state !== "listening") {
      socket.abort();
      return;
    }
    try {
      this.#accept(socket);
    } catch (e) {
      // One bad connection must not end the loop (and with it, the port).
      this.#log.failure("Cannot accept a connection; dropping it", e, "error");
      socket.abort(e);
    }
  };
  #acceptDone: Promise<void> = Promise.resolve();
  /** Every connection's transport options: one object, not one per connection. */
  #transportOptions: StreamTransportOptions;

  /**
   * Creates a port; `startListening()` binds it.
   * @param runtime the socket interface to listen with
   * @param address what to listen on
   * @param factory builds a protocol per connection
   * @param options transport tuning and logging
   */
  constructor(
    runtime: RuntimeNetwork,
    address: PortAddress,
    factory: IProtocolFactory,
    options: PortOptions = {},
  ) {
    this.#runtime = runtime;
    this.#address = address;
    this.#factory = factory;
    this.#options = options;
    this.#log = options.logger ?? log;
    this.#transportOptions = {
      isServer: true,
      bufferSize: options.bufferSize,
      logger: options.logger,
      fastPath: options.fastPath,
      onConnectionLost: this.#forget,
      tracked: false,
    };
  }

  /** The factory building this port's protocols. */
  get factory(): IProtocolFactory {
    return this.#factory;
  }

  /** True while bound and accepting. */
  get listening(): boolean {
    return this.#state === "listening";
  }

  /** The connections accepted and still open (a copy, made on each call). */
  get connections(): ReadonlySet<StreamTransport> {
    return new Set(this.#connections);
  }

  /** `"listening port"`, for the leak check. */
  get resourceKind(): string {
    return "listening port";
  }

  /** Names the port by its address, for the leak check. */
  describeResource(): string {
    return `${this.#factory.constructor.name} on ${String(this.getHost())}`;
  }

  /** Stops listening (after a failed leak check). */
  closeResource(): void {
    this.stopListening();
  }

  /** Starts binding (asynchronous); a no-op when already started. */
  startListening(): void {
    if (this.#state !== "idle") return;
    this.#state = "binding";
    const a = this.#address;
    const options: ListenOptions = a.transport === "unix"
      ? { transport: "unix", path: a.path, mode: a.mode, backlog: a.backlog, fd: a.fd }
      : {
        transport: "tcp",
        hostname: a.interface || "0.0.0.0",
        port: a.port,
        backlog: a.backlog,
        tls: a.tls,
        reusePort: a.reusePort,
        fd: a.fd,
      };
    let promise: Promise<import("./socket.ts").Listener>;
    try {
      promise = a.transport === "unix" && a.replaceStale !== false
        ? this.#listenReplacingStale(options)
        : this.#runtime.listen(options);
    } catch (e) {
      promise = Promise.reject(e);
    }
    promise.then((listener) => this.#bound(listener), (e) => this.#bindFailed(e));
  }

  /**
   * Listens on a Unix socket path; when the path is taken by a socket file that
   * nothing answers on (its server died without removing it), removes that file
   * and listens again. Regular files, and sockets with a live server, are left alone.
   */
  async #listenReplacingStale(options: ListenOptions): Promise<import("./socket.ts").Listener> {
    try {
      return await this.#runtime.listen(options);
    } catch (error) {
      const files = this.#runtime as Partial<RuntimeFileSystem>;
      if (
        options.transport !== "unix" || errorCode(error) !== "EADDRINUSE" ||
        typeof files.lstat !== "function" || typeof files.remove !== "function"
      ) throw error;
      const info = await files.lstat(options.path);
      const isSocket = info.mode !== null
        ? (info.mode & 0o170000) === 0o140000
        : !info.isFile && !info.isDirectory && !info.isSymlink;
      if (!isSocket || await this.#answers(options.path)) throw error;
      await files.remove(options.path);
      return await this.#runtime.listen(options);
    }
  }

  /** True when something accepts connections on the Unix socket `path`. */
  async #answers(path: string): Promise<boolean> {
    try {
      const socket = await this.#runtime.connect({ transport: "unix", path });
      socket.abort();
      return true;
    } catch (error) {
      return errorCode(error) !== "ECONNREFUSED";
    }
  }

  #bound(listener: import("./socket.ts").Listener): void {
    if (this.#state === "stopping") {
      // stopListening() came before the bind finished: close without ever starting.
      listener.close().then(() => this.#stopped(false), () => this.#stopped(false));
      return;
    }
    this.#listener = listener;
    this.#state = "listening";
    trackResource(this);
    // The connections are live resources through this list (no entry each of their own).
    trackResourceGroup(this.#connections);
    this.#factory.doStart();
    this.#acceptDone = this.#acceptLoop(listener);
    for (const d of this.#waiters.splice(0)) d.callback(this);
  }

  #bindFailed(cause: unknown): void {
    const a = this.#address;
    const error = a.transport === "unix"
      ? new CannotListenError("", a.path, cause)
      : new CannotListenError(a.interface, a.port, cause);
    this.#error = error;
    const wasStopping = this.#state === "stopping";
    this.#state = "failed";
    let handled = false;
    for (const d of this.#waiters.splice(0)) {
      d.errback(error);
      // A Deferred still holding the failure after its chain ran had no errback
      // (awaiting it counts as one); the probe passes the failure on unchanged.
      let leftOver = false;
      d.addErrback((failure: Failure) => {
        leftOver = !isHandled(failure);
        return failure;
      });
      if (!leftOver) handled = true;
    }
    if (wasStopping) { for (const d of this.#stopWaiters.splice(0)) d.callback(undefined); }
    if (handled || wasStopping) return;
    if (this.#options.onUnhandledError) this.#options.onUnhandledError(error);
    else this.#log.failure("{message}", error, "critical", { message: error.message });
  }

  async #acceptLoop(listener: import("./socket.ts").Listener): Promise<void> {
    if (typeof listener.acceptEach === "function") {
      // Push mode: no promise per accepted connection.
      listener.acceptEach(this.#onSocket);
      return;
    }
    try {
      for await (const socket of listener) this.#onSocket(socket);
    } catch (e) {
      if (this.#state === "listening") this.#log.failure("Accept loop failed", e, "error");
    }
  }

  #accept(socket: Socket): void {
    let protocol: IProtocol | null;
    try {
      protocol = this.#factory.buildProtocol(this.#peerFor(socket));
    } catch (e) {
      this.#log.failure("Unhandled error in buildProtocol; dropping the connection", e, "error");
      socket.abort(e);
      return;
    }
    if (protocol === null) {
      // The factory refused the connection.
      socket.close().catch(() => {});
      return;
    }
    const transport = new StreamTransport(socket, this.#transportOptions);
    this.#connections.add(transport);
    transport.attach(protocol);
  }

  /**
   * The peer's address for `buildProtocol`. `Factory`'s own `buildProtocol`
   * ignores it, so it gets the unspecified address instead: asking the runtime
   * costs memory per connection (Bun keeps about 100 bytes once asked).
   * Protocols still get the real one from `transport.getPeer()`.
   */
  #peerFor(socket: Socket): Address {
    if (this.#factory.buildProtocol === Factory.prototype.buildProtocol) return UNKNOWN_PEER;
    return fromSocketAddress(socket.remoteAddress);
  }

  /** Fires with this port once bound; fails with `CannotListenError` when the bind fails. */
  whenListening(): Deferred<Port> {
    if (this.#state === "listening") return succeed(this);
    if (this.#error) return fail(this.#error);
    if (this.#state === "stopped" || this.#state === "stopping") {
      return fail(new CannotListenError(this.#iface(), this.#portOrPath(), "port was stopped"));
    }
    const d = new Deferred<Port>();
    this.#waiters.push(d);
    return d;
  }

  #iface(): string {
    return this.#address.transport === "unix" ? "" : this.#address.interface;
  }

  #portOrPath(): number | string {
    return this.#address.transport === "unix" ? this.#address.path : this.#address.port;
  }

  /**
   * Stops accepting. The Deferred fires after the listening socket is closed and
   * `factory.doStop()` ran. Open connections are left alone (as in Twisted).
   */
  stopListening(): Deferred<void> {
    const d = new Deferred<void>();
    switch (this.#state) {
      case "idle":
      case "failed":
      case "stopped":
        this.#state = this.#state === "failed" ? "failed" : "stopped";
        d.callback(undefined);
        return d;
      case "stopping":
        this.#stopWaiters.push(d);
        return d;
      case "binding":
        this.#state = "stopping";
        this.#stopWaiters.push(d);
        for (const w of this.#waiters.splice(0)) {
          w.errback(new CannotListenError(this.#iface(), this.#portOrPath(), "port was stopped"));
        }
        return d;
      case "listening": {
        this.#state = "stopping";
        this.#stopWaiters.push(d);
        const listener = this.#listener!;
        // Done once closed and the accept loop has ended: on Deno the listening
        // socket is only released when the pending accept finishes.
        listener.close().then(() => this.#acceptDone, (e) => {
          this.#log.failure("Error closing the listening socket", e, "warn");
        }).then(() => this.#stopped(true));
        return d;
      }
    }
  }

  #stopped(started: boolean): void {
    this.#state = "stopped";
    this.#listener = null;
    untrackResource(this);
    if (this.#connections.size === 0) untrackResourceGroup(this.#connections);
    if (started) {
      try {
        this.#factory.doStop();
      } catch (e) {
        this.#log.failure("Error in factory.doStop", e, "error");
      }
    }
    for (const d of this.#stopWaiters.splice(0)) d.callback(undefined);
  }

  /** Same as `stopListening` (Twisted's alias). */
  loseConnection(): Deferred<void> {
    return this.stopListening();
  }

  /** The bound address (the real port once bound; the requested one before). */
  getHost(): Address {
    if (this.#listener) {
      const a = this.#listener.address;
      if (a.transport === "unix") return new UNIXAddress(a.path);
      return ipAddress(a.hostname.replace(/^\[|\]$/g, ""), a.port);
    }
    const a = this.#address;
    if (a.transport === "unix") return new UNIXAddress(a.path);
    return ipAddress(a.interface || "0.0.0.0", a.port);
  }
}

/**
 * `reactor.listenTCP`: listens on `port` (0 for a free one) and returns the port
 * at once; see `Port.whenListening` for the bind's outcome.
 */
export function listenTCP(
  runtime: RuntimeNetwork,
  port: number,
  factory: IProtocolFactory,
  options: ListenTCPOptions & PortOptions = {},
): Port {
  checkPort(port, true);
  return listenOn(runtime, tcpAddress(port, options), factory, options);
}

/** `reactor.listenSSL`: `listenTCP` with TLS (`tls.cert` and `tls.key` required). */
export function listenSSL(
  runtime: RuntimeNetwork,
  port: number,
  factory: IProtocolFactory,
  tls: TlsOptions,
  options: ListenTCPOptions & PortOptions = {},
): Port {
  checkPort(port, true);
  // ALPN from the factory (`IProtocolNegotiationFactory`), as in Twisted.
  const offer = (factory as { acceptableProtocols?: () => string[] }).acceptableProtocols;
  if (tls.alpnProtocols === undefined && typeof offer === "function") {
    tls = { ...tls, alpnProtocols: offer.call(factory) };
  }
  return listenOn(runtime, tcpAddress(port, options, tls), factory, options);
}

/**
 * `reactor.adoptStreamPort`: serves `factory` on a socket that is already
 * listening, given by its file descriptor (systemd socket activation, or a
 * parent process). The descriptor becomes the port's: stopping the port closes it.
 */
export function adoptStreamPort(
  runtime: RuntimeNetwork,
  fd: number,
  addressFamily: AddressFamily,
  factory: IProtocolFactory,
  options: PortOptions = {},
): Port {
  if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`Bad file descriptor: ${fd}`);
  const address: PortAddress = addressFamily === "UNIX"
    ? { transport: "unix", path: "", fd, replaceStale: false }
    : { transport: "tcp", interface: addressFamily === "INET6" ? "::" : "", port: 0, fd };
  return listenOn(runtime, address, factory, options);
}

/** `reactor.listenUNIX`: listens on the socket file `address`. */
export function listenUNIX(
  runtime: RuntimeNetwork,
  address: string,
  factory: IProtocolFactory,
  options: ListenUNIXOptions & PortOptions = {},
): Port {
  return listenOn(
    runtime,
    {
      transport: "unix",
      path: address,
      mode: options.mode ?? 0o666,
      backlog: options.backlog ?? DEFAULT_BACKLOG,
      replaceStale: options.wantPID ?? true,
    },
    factory,
    options,
  );
}

function tcpAddress(
  port: number,
  options: ListenTCPOptions,
  tls?: TlsOptions,
): PortAddress {
  const address: PortAddress = {
    transport: "tcp" as const,
    interface: options.interface ?? "",
    port,
    backlog: options.backlog ?? DEFAULT_BACKLOG,
    ...(options.reusePort ? { reusePort: true } : {}),
  };
  return tls ? { ...address, tls } : address;
}

function listenOn(
  runtime: RuntimeNetwork,
  address: PortAddress,
  factory: IProtocolFactory,
  options: PortOptions,
): Port {
  const port = new Port(runtime, address, factory, options);
  port.startListening();
  return port;
}

/** `reactor.connectTCP`: connects to `host:port` (a name is resolved first). */
export function connectTCP(
  runtime: RuntimeNetwork,
  clock: IReactorTime,
  host: string,
  port: number,
  factory: IProtocolFactory,
  options: ConnectTCPOptions & PortOptions = {},
): Connector {
  checkPort(port, false);
  const c = new Connector(runtime, clock, { transport: "tcp", host, port }, factory, options);
  c.connect();
  return c;
}

/** `reactor.connectSSL`: connects with TLS to `host:port`. */
export function connectSSL(
  runtime: RuntimeNetwork,
  clock: IReactorTime,
  host: string,
  port: number,
  factory: IProtocolFactory,
  tls: TlsOptions,
  options: ConnectTCPOptions & PortOptions = {},
): Connector {
  checkPort(port, false);
  const c = new Connector(runtime, clock, { transport: "tcp", host, port, tls }, factory, options);
  c.connect();
  return c;
}

/** `reactor.connectUNIX`: connects to the socket file `address`. */
export function connectUNIX(
  runtime: RuntimeNetwork,
  clock: IReactorTime,
  address: string,
  factory: IProtocolFactory,
  options: ConnectUNIXOptions & PortOptions = {},
): Connector {
  const c = new Connector(runtime, clock, { transport: "unix", path: address }, factory, options);
  c.connect();
  return c;
}

/** `reactor.resolve`: the addresses of `name`, failing with `DNSLookupError`. */
export function resolve(
  runtime: RuntimeNetwork,
  name: string,
  resolver?: IHostnameResolver | null,
): Deferred<string[]> {
  if (isIPv4(name) || isIPv6(name)) return succeed([name]);
  const lookup = resolver ? Promise.resolve(resolver.resolveHostName(name)) : runtime.resolve(name);
  return Deferred.fromPromise(
    lookup.then(
      (found) => {
        if (found.length === 0) throw dnsLookupErrorFor(name, "no address");
        return found.map((a) => a.address);
      },
      (e) => {
        throw dnsLookupErrorFor(name, e);
      },
    ),
  );
}
