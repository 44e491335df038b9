/**
 * The stream endpoints over a reactor's TCP, TLS and Unix methods, the TLS
 * wrapper and `connectProtocol`. Private to src/internet; endpoints.ts
 * re-exports them.
 *
 * @module
 */
import { DEFAULT_BACKLOG } from "./tcp.ts";
import { Deferred } from "./defer.ts";
import { Failure } from "./failure.ts";
import { CannotListenError, DNSLookupError } from "./error.ts";
import { dnsLookupErrorFor } from "./_error_causes.ts";
import { type Address, isIPv6 } from "./address.ts";
import type {
  ConnectTCPOptions,
  ConnectUNIXOptions,
  IListeningPort,
  IProtocol,
  IProtocolFactory,
  IReactorResolve,
  IReactorSSL,
  IReactorTCP,
  IReactorUNIX,
  ITransport,
  ListenTCPOptions,
  ListenUNIXOptions,
} from "./interfaces.ts";
import type { TlsOptions } from "./socket.ts";
import {
  ConnectingCancelledError,
  WrappingFactory,
  WrappingProtocol,
} from "./_endpoints_wrapping.ts";

/**
 * A place to listen for stream connections (`IStreamServerEndpoint`): a TCP
 * port, a TLS port, a Unix socket, or anything a user registers.
 */
export interface IStreamServerEndpoint {
  /**
   * Starts listening with `factory`. Fires with the listening port once it is
   * bound; fails with `CannotListenError` when it cannot be.
   */
  listen(factory: IProtocolFactory): Deferred<IListeningPort>;
}

/**
 * A place to connect a stream to (`IStreamClientEndpoint`).
 */
export interface IStreamClientEndpoint {
  /**
   * Connects, building the protocol with `factory`. Fires with that protocol
   * once its `connectionMade` has run; fails with `ConnectionRefusedError`,
   * `TimeoutError`, `DNSLookupError`, ... Cancelling the Deferred aborts the
   * attempt (`ConnectingCancelledError`).
   */
  connect(factory: IProtocolFactory): Deferred<IProtocol>;
}

/**
 * TLS settings, or a function that produces them (possibly asynchronously)
 * each time the endpoint listens or connects: e.g. reading certificate files.
 */
export type TlsOptionsSource =
  | TlsOptions
  | (() => TlsOptions | PromiseLike<TlsOptions>);

/** Runs `fn` now; its throw becomes a failed Deferred (Twisted's `defer.execute`). */
function execute<T>(fn: () => Deferred<T>): Deferred<T> {
  try {
    return fn();
  } catch (error) {
    const d = new Deferred<T>();
    d.errback(error);
    return d;
  }
}

/**
 * Fires with `port` once it is bound (through `whenListening` when the port
 * has it), or fails with `CannotListenError` for `iface` / `where`.
 */
function whenBound(
  port: IListeningPort,
  iface: string,
  where: number | string,
): Deferred<IListeningPort> {
  const d = new Deferred<IListeningPort>();
  if (typeof port.whenListening !== "function") {
    d.callback(port);
    return d;
  }
  port.whenListening().addCallbacks(
    () => d.callback(port),
    (f: Failure) => d.errback(asListenError(f, iface, where)),
  );
  return d;
}

function asListenError(f: Failure, iface: string, where: number | string): Failure {
  return f.check(CannotListenError) ? f : new Failure(new CannotListenError(iface, where, f.value));
}

/**
 * Listens through `listen`, which calls the reactor. A synchronous throw fails
 * the Deferred with that error as it is (the reactor's CannotListenError, or a
 * RangeError for a bad port); a failed bind fails it with a CannotListenError.
 */
export function listenWith(
  listen: () => IListeningPort,
  iface: string,
  where: number | string,
): Deferred<IListeningPort> {
  return execute(() => whenBound(listen(), iface, where));
}

/**
 * Produces TLS options, then runs `use` with them. A failure to produce them
 * goes to `onError`. Cancelling before they are ready fails with `cancelled()`;
 * cancelling after cancels what `use` returned.
 */
function withTls<T>(
  source: TlsOptionsSource,
  use: (tls: TlsOptions) => Deferred<T>,
  onError: (error: unknown) => unknown,
  cancelled: () => Error,
): Deferred<T> {
  if (typeof source !== "function") return execute(() => use(source));
  let inner: Deferred<T> | null = null;
  const outer = new Deferred<T>(() => {
    if (inner !== null) inner.cancel();
    else outer.errback(cancelled());
  });
  let produced: TlsOptions | PromiseLike<TlsOptions>;
  try {
    produced = source();
  } catch (error) {
    outer.errback(onError(error));
    return outer;
  }
  const start = (tls: TlsOptions): void => {
    if (outer.called) return; // cancelled while the options were loading
    inner = execute(() => use(tls));
    inner.addCallbacks(
      (value: T) => {
        if (!outer.called) outer.callback(value);
      },
      (f: Failure) => {
        if (!outer.called) outer.errback(f);
      },
    );
  };
  if (isThenable(produced)) {
    produced.then(start, (error) => {
      if (!outer.called) outer.errback(onError(error));
    });
  } else {
    start(produced);
  }
  return outer;
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** Connects through `connect`, which calls the reactor with the wrapping factory. */
function connectWith(
  factory: IProtocolFactory,
  connect: (wrapping: WrappingFactory) => void,
): Deferred<IProtocol> {
  return execute(() => {
    const wrapping = new WrappingFactory(factory);
    connect(wrapping);
    return wrapping.onConnection;
  });
}

/** Options for `TCP4ServerEndpoint` and `TCP6ServerEndpoint`. */
export interface TCPServerEndpointOptions {
  /** Pending connection queue size (Bun ignores it and always uses 512). @default 511 */
  backlog?: number;
  /** The interface to bind. @default "" for TCP4 (all IPv4 interfaces), "::" for TCP6 */
  interface?: string;
  /** Set SO_REUSEPORT (several processes on one port). @default false */
  reusePort?: boolean;
}

/**
 * Listens on a TCP port over IPv4 (`TCP4ServerEndpoint`); port 0 picks a free one.
 *
 * @example
 * ```ts
 * import { TCP4ServerEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * const endpoint = new TCP4ServerEndpoint(reactor, 0, { interface: "127.0.0.1" });
 * const port = await endpoint.listen(Factory.forProtocol(Protocol));
 * await port.stopListening();
 * ```
 */
export class TCP4ServerEndpoint implements IStreamServerEndpoint {
  #reactor: IReactorTCP;
  #port: number;
  #options: ListenTCPOptions;

  /**
   * Creates the endpoint; nothing listens until `listen()`.
   * @param reactor what listens (`reactor`, or a test reactor)
   * @param port the port; 0 for a free one
   * @param options backlog and interface
   */
  constructor(reactor: IReactorTCP, port: number, options: TCPServerEndpointOptions = {}) {
    this.#reactor = reactor;
    this.#port = port;
    this.#options = {
      backlog: options.backlog ?? DEFAULT_BACKLOG,
      interface: options.interface ?? "",
      reusePort: options.reusePort ?? false,
    };
  }

  /** Listens on the port; see `IStreamServerEndpoint.listen`. */
  listen(factory: IProtocolFactory): Deferred<IListeningPort> {
    const options = { ...this.#options };
    return listenWith(
      () => this.#reactor.listenTCP(this.#port, factory, options),
      options.interface!,
      this.#port,
    );
  }
}

/**
 * Listens on a TCP port over IPv6 (`TCP6ServerEndpoint`); the interface defaults to "::".
 *
 * @example
 * ```ts
 * import { TCP6ServerEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol } from "@tw/core";
 * import { MemoryReactor } from "@tw/core/testing";
 *
 * const reactor = new MemoryReactor(); // in an application: `reactor` from "@tw/core"
 * const endpoint = new TCP6ServerEndpoint(reactor, 8080);
 * const port = await endpoint.listen(Factory.forProtocol(Protocol));
 * console.log(String(port.getHost())); // IPv6Address(TCP, ::, 8080)
 * await port.stopListening();
 * ```
 */
export class TCP6ServerEndpoint extends TCP4ServerEndpoint {
  /**
   * Creates the endpoint; nothing listens until `listen()`.
   * @param reactor what listens
   * @param port the port; 0 for a free one
   * @param options backlog and interface (default "::", all IPv6 interfaces)
   */
  constructor(reactor: IReactorTCP, port: number, options: TCPServerEndpointOptions = {}) {
    super(reactor, port, { ...options, interface: options.interface ?? "::" });
  }
}

/** Options for TCP and TLS client endpoints. */
export interface TCPClientEndpointOptions {
  /** Seconds before the attempt fails with `TimeoutError`. @default 30 */
  timeout?: number;
  /** Local `[host, port]` to bind before connecting. */
  bindAddress?: [string, number];
}

function connectOptions(options: TCPClientEndpointOptions): ConnectTCPOptions {
  const out: ConnectTCPOptions = { timeout: options.timeout ?? 30 };
  if (options.bindAddress !== undefined) out.bindAddress = options.bindAddress;
  return out;
}

/**
 * Connects over TCP to an IPv4 address or a host name (`TCP4ClientEndpoint`).
 * For a host name with IPv4 and IPv6 addresses prefer `HostnameEndpoint`.
 *
 * @example
 * ```ts
 * import { TCP4ClientEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * const endpoint = new TCP4ClientEndpoint(reactor, "127.0.0.1", 1, { timeout: 5 });
 * await endpoint.connect(Factory.forProtocol(Protocol)).then(undefined, (e) => console.log(e.name));
 * ```
 */
export class TCP4ClientEndpoint implements IStreamClientEndpoint {
  #reactor: IReactorTCP;
  #host: string;
  #port: number;
  #options: ConnectTCPOptions;

  /**
   * Creates the endpoint; nothing connects until `connect()`.
   * @param reactor what connects
   * @param host the address or name to connect to
   * @param port the port
   * @param options timeout and local address
   */
  constructor(
    reactor: IReactorTCP,
    host: string,
    port: number,
    options: TCPClientEndpointOptions = {},
  ) {
    this.#reactor = reactor;
    this.#host = host;
    this.#port = port;
    this.#options = connectOptions(options);
  }

  /** Connects; see `IStreamClientEndpoint.connect`. */
  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    return connectWith(factory, (wrapping) => {
      this.#reactor.connectTCP(this.#host, this.#port, wrapping, { ...this.#options });
    });
  }
}

/**
 * Connects over TCP to an IPv6 address, or to the first IPv6 address of a host
 * name (`TCP6ClientEndpoint`). A name is resolved with `reactor.resolve` when
 * the reactor has it; a name without an IPv6 address fails with
 * `DNSLookupError`.
 *
 * @example
 * ```ts
 * import { TCP6ClientEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol } from "@tw/core";
 * import { MemoryReactor, StringTransport } from "@tw/core/testing";
 *
 * const reactor = new MemoryReactor(); // in an application: `reactor` from "@tw/core"
 * reactor.resolutions.set("example.org", ["192.0.2.1", "2001:db8::1"]);
 * const connecting = new TCP6ClientEndpoint(reactor, "example.org", 443)
 *   .connect(Factory.forProtocol(Protocol));
 * const [host, , factory] = reactor.tcpClients[0];
 * console.log(host); // "2001:db8::1"
 * // The test plays the network: the connection is made.
 * factory.buildProtocol(reactor.connectors[0].getDestination())!
 *   .makeConnection(new StringTransport());
 * const protocol = await connecting;
 * console.log(protocol instanceof Protocol); // true
 * ```
 */
export class TCP6ClientEndpoint implements IStreamClientEndpoint {
  #reactor: IReactorTCP & Partial<IReactorResolve>;
  #host: string;
  #port: number;
  #options: TCPClientEndpointOptions;

  /**
   * Creates the endpoint; nothing is resolved or connected until `connect()`.
   * @param reactor what connects (and resolves names, when it can)
   * @param host the IPv6 address (brackets optional) or name to connect to
   * @param port the port
   * @param options timeout and local address
   */
  constructor(
    reactor: IReactorTCP & Partial<IReactorResolve>,
    host: string,
    port: number,
    options: TCPClientEndpointOptions = {},
  ) {
    this.#reactor = reactor;
    this.#host = host.replace(/^\[(.*)\]$/, "$1");
    this.#port = port;
    this.#options = options;
  }

  /** Resolves a name to its IPv6 address, then connects; see `IStreamClientEndpoint.connect`. */
  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    const reactor = this.#reactor;
    const host = this.#host;
    const direct = (address: string): Deferred<IProtocol> =>
      new TCP4ClientEndpoint(reactor, address, this.#port, this.#options).connect(factory);
    if (isIPv6(host) || typeof reactor.resolve !== "function") return direct(host);
    let inner: Deferred<IProtocol> | null = null;
    let resolving: Deferred<string[]> | null = null;
    let cancelled = false;
    const d = new Deferred<IProtocol>(() => {
      cancelled = true;
      if (inner !== null) return inner.cancel();
      d.errback(new ConnectingCancelledError({ hostname: host, port: this.#port }));
      resolving?.cancel();
    });
    try {
      resolving = reactor.resolve(host);
    } catch (error) {
      d.errback(dnsLookupErrorFor(host, error));
      return d;
    }
    resolving.addCallbacks((addresses: string[]) => {
      if (cancelled) return null;
      const address = addresses.find(isIPv6);
      if (address === undefined) {
        d.errback(new DNSLookupError(`DNS lookup failed: ${host}: no IPv6 address`));
        return null;
      }
      inner = direct(address);
      inner.addCallbacks((p: IProtocol) => {
        if (!d.called) d.callback(p);
      }, (f: Failure) => {
        if (!d.called) d.errback(f);
      });
      return null;
    }, (f: Failure) => {
      if (!cancelled) d.errback(dnsLookupErrorFor(host, f.value));
      return null;
    });
    return d;
  }
}

/**
 * Listens with TLS on a TCP port (`SSL4ServerEndpoint`). The TLS options need
 * `cert` and `key`; they may be given as a function, called at each `listen()`.
 *
 * @example
 * ```ts
 * import { SSL4ServerEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol } from "@tw/core";
 * import { MemoryReactor } from "@tw/core/testing";
 *
 * const pem = { cert: "-----BEGIN CERTIFICATE-----...", key: "-----BEGIN PRIVATE KEY-----..." };
 * const reactor = new MemoryReactor(); // in an application: `reactor` from "@tw/core"
 * const endpoint = new SSL4ServerEndpoint(reactor, 8443, () => pem);
 * const port = await endpoint.listen(Factory.forProtocol(Protocol));
 * console.log(reactor.sslServers[0][2] === pem); // true
 * await port.stopListening();
 * ```
 */
export class SSL4ServerEndpoint implements IStreamServerEndpoint {
  #reactor: IReactorSSL;
  #port: number;
  #tls: TlsOptionsSource;
  #options: ListenTCPOptions;

  /**
   * Creates the endpoint; nothing listens (and no TLS options are made) until `listen()`.
   * @param reactor what listens
   * @param port the port; 0 for a free one
   * @param tlsOptions the server's certificate and key (or a function producing them)
   * @param options backlog and interface
   */
  constructor(
    reactor: IReactorSSL,
    port: number,
    tlsOptions: TlsOptionsSource,
    options: TCPServerEndpointOptions = {},
  ) {
    this.#reactor = reactor;
    this.#port = port;
    this.#tls = tlsOptions;
    this.#options = {
      backlog: options.backlog ?? DEFAULT_BACKLOG,
      interface: options.interface ?? "",
      reusePort: options.reusePort ?? false,
    };
  }

  /** Listens with TLS; a failure to produce the TLS options fails with `CannotListenError`. */
  listen(factory: IProtocolFactory): Deferred<IListeningPort> {
    const options = { ...this.#options };
    const iface = options.interface!;
    return withTls(
      this.#tls,
      (tls) =>
        listenWith(
          () => this.#reactor.listenSSL(this.#port, factory, tls, options),
          iface,
          this.#port,
        ),
      (error) => new CannotListenError(iface, this.#port, error),
      () => new CannotListenError(iface, this.#port, "cancelled"),
    );
  }
}

/**
 * Connects with TLS over TCP (`SSL4ClientEndpoint`). By default the peer's
 * certificate is verified against the system's trust roots and the host name.
 *
 * @example
 * ```ts
 * import { SSL4ClientEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol } from "@tw/core";
 * import { MemoryReactor } from "@tw/core/testing";
 *
 * const reactor = new MemoryReactor(); // in an application: `reactor` from "@tw/core"
 * const endpoint = new SSL4ClientEndpoint(reactor, "example.org", 443, {
 *   alpnProtocols: ["http/1.1"],
 * });
 * const connecting = endpoint.connect(Factory.forProtocol(Protocol));
 * const [host, port, , tls] = reactor.sslClients[0];
 * console.log(host, port, tls.alpnProtocols); // example.org 443 [ "http/1.1" ]
 * connecting.cancel(); // fails `connecting` with ConnectingCancelledError
 * connecting.addErrback(() => {});
 * ```
 */
export class SSL4ClientEndpoint implements IStreamClientEndpoint {
  #reactor: IReactorSSL;
  #host: string;
  #port: number;
  #tls: TlsOptionsSource;
  #options: ConnectTCPOptions;

  /**
   * Creates the endpoint; nothing connects until `connect()`.
   * @param reactor what connects
   * @param host the address or name to connect to (and, by default, to verify)
   * @param port the port
   * @param tlsOptions trust roots, verification, client certificate (or a function producing them)
   * @param options timeout and local address
   */
  constructor(
    reactor: IReactorSSL,
    host: string,
    port: number,
    tlsOptions: TlsOptionsSource,
    options: TCPClientEndpointOptions = {},
  ) {
    this.#reactor = reactor;
    this.#host = host;
    this.#port = port;
    this.#tls = tlsOptions;
    this.#options = connectOptions(options);
  }

  /** Connects with TLS; see `IStreamClientEndpoint.connect`. */
  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    return withTls(
      this.#tls,
      (tls) =>
        connectWith(factory, (wrapping) => {
          this.#reactor.connectSSL(this.#host, this.#port, wrapping, tls, { ...this.#options });
        }),
      (error) => error,
      () => new ConnectingCancelledError({ hostname: this.#host, port: this.#port }),
    );
  }
}

/** Options for `UNIXServerEndpoint`. */
export interface UNIXServerEndpointOptions {
  /** Pending connection queue size (Bun ignores it and always uses 512). @default 511 */
  backlog?: number;
  /** File mode of the socket file. @default 0o666 */
  mode?: number;
  /** Remove a stale socket file (one nothing listens on) before binding. @default true */
  wantPID?: boolean;
}

/**
 * Listens on a Unix socket file (`UNIXServerEndpoint`).
 *
 * @example
 * ```ts
 * import { UNIXServerEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol } from "@tw/core";
 * import { MemoryReactor } from "@tw/core/testing";
 *
 * const reactor = new MemoryReactor(); // in an application: `reactor` from "@tw/core"
 * const endpoint = new UNIXServerEndpoint(reactor, "/tmp/app.sock", { mode: 0o600 });
 * const port = await endpoint.listen(Factory.forProtocol(Protocol));
 * console.log(String(port.getHost())); // UNIXAddress(/tmp/app.sock)
 * await port.stopListening();
 * ```
 */
export class UNIXServerEndpoint implements IStreamServerEndpoint {
  #reactor: IReactorUNIX;
  #address: string;
  #options: ListenUNIXOptions;

  /**
   * Creates the endpoint; nothing listens until `listen()`.
   * @param reactor what listens
   * @param address the socket file's path
   * @param options backlog, mode and stale-file handling
   */
  constructor(reactor: IReactorUNIX, address: string, options: UNIXServerEndpointOptions = {}) {
    this.#reactor = reactor;
    this.#address = address;
    this.#options = {
      backlog: options.backlog ?? DEFAULT_BACKLOG,
      mode: options.mode ?? 0o666,
      wantPID: options.wantPID ?? true,
    };
  }

  /** Listens on the socket file; see `IStreamServerEndpoint.listen`. */
  listen(factory: IProtocolFactory): Deferred<IListeningPort> {
    const options = { ...this.#options };
    return listenWith(
      () => this.#reactor.listenUNIX(this.#address, factory, options),
      "",
      this.#address,
    );
  }
}

/** Options for `UNIXClientEndpoint`. */
export interface UNIXClientEndpointOptions {
  /** Seconds before the attempt fails with `TimeoutError`. @default 30 */
  timeout?: number;
}

/**
 * Connects to a Unix socket file (`UNIXClientEndpoint`).
 *
 * @example
 * ```ts
 * import { UNIXClientEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol } from "@tw/core";
 * import { MemoryReactor, StringTransport } from "@tw/core/testing";
 *
 * const reactor = new MemoryReactor(); // in an application: `reactor` from "@tw/core"
 * const connecting = new UNIXClientEndpoint(reactor, "/tmp/app.sock", { timeout: 5 })
 *   .connect(Factory.forProtocol(Protocol));
 * const [path, factory, timeout] = reactor.unixClients[0];
 * console.log(path, timeout); // /tmp/app.sock 5
 * factory.buildProtocol(reactor.connectors[0].getDestination())!
 *   .makeConnection(new StringTransport());
 * const protocol = await connecting;
 * console.log(protocol instanceof Protocol); // true
 * ```
 */
export class UNIXClientEndpoint implements IStreamClientEndpoint {
  #reactor: IReactorUNIX;
  #path: string;
  #options: ConnectUNIXOptions;

  /**
   * Creates the endpoint; nothing connects until `connect()`.
   * @param reactor what connects
   * @param path the socket file's path
   * @param options timeout
   */
  constructor(reactor: IReactorUNIX, path: string, options: UNIXClientEndpointOptions = {}) {
    this.#reactor = reactor;
    this.#path = path;
    this.#options = { timeout: options.timeout ?? 30 };
  }

  /** Connects; see `IStreamClientEndpoint.connect`. */
  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    return connectWith(factory, (wrapping) => {
      this.#reactor.connectUNIX(this.#path, wrapping, { ...this.#options });
    });
  }
}

/** Builds the user's protocols wrapped so that TLS starts before they see the transport. */
class StartTLSFactory implements IProtocolFactory {
  #wrapped: IProtocolFactory;
  #tls: TlsOptions;

  constructor(wrapped: IProtocolFactory, tls: TlsOptions) {
    this.#wrapped = wrapped;
    this.#tls = tls;
  }

  doStart(): void {
    this.#wrapped.doStart();
  }

  doStop(): void {
    this.#wrapped.doStop();
  }

  buildProtocol(addr: Address): IProtocol | null {
    const protocol = this.#wrapped.buildProtocol(addr);
    if (protocol === null || protocol === undefined) return null;
    const tls = this.#tls;
    // Connection outcome is reported by the inner endpoint's own wrapper.
    return new WrappingProtocol(
      protocol,
      () => {},
      () => {},
      (transport) => startTLS(transport, tls),
    );
  }
}

function startTLS(transport: ITransport, tls: TlsOptions): void {
  const t = transport as ITransport & { startTLS?: (options: TlsOptions) => void };
  if (typeof t.startTLS !== "function") {
    throw new TypeError("wrapClientTLS needs a transport that can start TLS (startTLS)");
  }
  t.startTLS({ ...tls });
}

/** A client endpoint that starts TLS on connections made by another. */
class TLSWrapperEndpoint implements IStreamClientEndpoint {
  #tls: TlsOptionsSource;
  #wrapped: IStreamClientEndpoint;

  constructor(tls: TlsOptionsSource, wrapped: IStreamClientEndpoint) {
    this.#tls = tls;
    this.#wrapped = wrapped;
  }

  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    return withTls(
      this.#tls,
      (tls) =>
        this.#wrapped.connect(new StartTLSFactory(factory, tls)).addCallback(
          (p: IProtocol) => (p as WrappingProtocol).wrappedProtocol,
        ),
      (error) => error,
      () => new ConnectingCancelledError(null),
    );
  }
}

/**
 * Wraps a client endpoint so that its connections start TLS at once
 * (`wrapClientTLS`): the protocol the factory builds sees a TLS connection, and
 * may write at once (the bytes go out after the handshake). `tlsOptions` sets
 * the name to verify (`serverName`) and the trust roots; a handshake failure
 * (bad certificate, wrong name) ends the connection with `connectionLost`.
 *
 * @param tlsOptions client TLS settings (or a function producing them at each connect)
 * @param wrappedEndpoint the endpoint that makes the underlying connection
 * @returns an endpoint whose `connect` fires with the protocol the factory built
 * @example
 * ```ts
 * import { HostnameEndpoint, wrapClientTLS } from "@tw/core/endpoints";
 * import { reactor } from "@tw/core";
 *
 * const endpoint = wrapClientTLS(
 *   { serverName: "example.org" },
 *   new HostnameEndpoint(reactor, "example.org", 443),
 * );
 * ```
 */
export function wrapClientTLS(
  tlsOptions: TlsOptionsSource,
  wrappedEndpoint: IStreamClientEndpoint,
): IStreamClientEndpoint {
  return new TLSWrapperEndpoint(tlsOptions, wrappedEndpoint);
}

/**
 * Connects `endpoint` with this one `protocol` instead of a factory
 * (`connectProtocol`); fires with `protocol` once connected.
 *
 * @param endpoint where to connect
 * @param protocol the protocol to connect
 * @returns a Deferred for `protocol`, connected
 * @example
 * ```ts
 * import { connectProtocol, TCP4ClientEndpoint } from "@tw/core/endpoints";
 * import { Protocol, reactor } from "@tw/core";
 *
 * const d = connectProtocol(new TCP4ClientEndpoint(reactor, "127.0.0.1", 1), new Protocol());
 * await d.then(undefined, () => {});
 * ```
 */
export function connectProtocol<P extends IProtocol>(
  endpoint: IStreamClientEndpoint,
  protocol: P,
): Deferred<P> {
  const factory: IProtocolFactory = {
    doStart(): void {},
    doStop(): void {},
    buildProtocol(): IProtocol {
      return protocol;
    },
  };
  return endpoint.connect(factory) as Deferred<P>;
}
