/**
 * SOCKS client endpoints (in the spirit of txsocksx): connect to a proxy
 * through another endpoint, negotiate a CONNECT, then hand the tunnel to the
 * user's protocol as if it were a direct connection. Private to
 * src/protocols; socks.ts re-exports it.
 *
 * @module
 */
import { type Address, IPv4Address, IPv6Address, isIPv4, isIPv6 } from "../internet/address.ts";
import { Deferred } from "../internet/defer.ts";
import { ConnectionDone } from "../internet/error.ts";
import type { Failure } from "../internet/failure.ts";
import type {
  IDelayedCall,
  IProtocol,
  IProtocolFactory,
  IReactorTime,
  ITransport,
} from "../internet/interfaces.ts";
import {
  ConnectingCancelledError,
  type IStreamClientEndpoint,
  NoProtocol,
} from "../internet/endpoints.ts";
import { getReactor } from "../internet/reactor.ts";
import {
  describeReply,
  encodeSOCKS4Request,
  encodeSOCKS5Greeting,
  encodeSOCKS5Request,
  encodeSOCKS5UserPass,
  parseSOCKS4Reply,
  parseSOCKS5Reply,
  SOCKS4Reply,
  SOCKS5Method,
  SOCKS5Reply,
  SOCKSCommand,
  SOCKSError,
} from "./_socks_codec.ts";

/** Options shared by the SOCKS client endpoints. */
export interface SOCKSClientEndpointOptions {
  /**
   * Seconds the proxy has to answer, from the moment the connection to it is
   * made until the tunnel is up (0 for no limit). @default 30
   */
  timeout?: number;
  /** The clock for `timeout`. @default the installed reactor (`getReactor()`) */
  clock?: IReactorTime;
}

/** Options of {@link SOCKS5ClientEndpoint}. */
export interface SOCKS5ClientEndpointOptions extends SOCKSClientEndpointOptions {
  /** The user name for RFC 1929 authentication (with `password`). @default none: no authentication */
  username?: string;
  /** The password for RFC 1929 authentication. @default "" when `username` is set */
  password?: string;
}

/** Options of {@link SOCKS4ClientEndpoint}. */
export interface SOCKS4ClientEndpointOptions extends SOCKSClientEndpointOptions {
  /** The USERID sent with the request. @default "" */
  userid?: string;
}

/** Optional protocol methods passed through the tunnel when the user's protocol has them. */
interface MaybeExtended extends IProtocol {
  readConnectionLost?: () => void;
  writeConnectionLost?: () => void;
  handshakeCompleted?: () => void;
}

/**
 * One step of a client negotiation: given the bytes received so far, returns
 * how many it used (and may write the next request), or null for "need more";
 * `done` is called with the destination once the tunnel is up.
 */
type Step = (buffer: Uint8Array) => number | null;

/**
 * The protocol on the proxy connection: runs the negotiation script, then
 * connects the user's protocol to the same transport and passes every event on.
 */
class SOCKSTunnel implements IProtocol {
  transport: ITransport | null = null;
  #buffer: Uint8Array = new Uint8Array(0);
  #step: Step | null = null;
  #wrapped: MaybeExtended | null = null;
  #timer: IDelayedCall | null = null;
  #failed = false;
  readonly #start: (tunnel: SOCKSTunnel) => Step;
  readonly #factory: IProtocolFactory;
  readonly #result: Deferred<IProtocol>;
  readonly #destination: Address | null;
  readonly #timeout: number;
  readonly #clock: () => IReactorTime;

  constructor(
    start: (tunnel: SOCKSTunnel) => Step,
    factory: IProtocolFactory,
    result: Deferred<IProtocol>,
    destination: Address | null,
    timeout: number,
    clock: () => IReactorTime,
  ) {
    this.#start = start;
    this.#factory = factory;
    this.#result = result;
    this.#destination = destination;
    this.#timeout = timeout;
    this.#clock = clock;
  }

  makeConnection(transport: ITransport): void {
    this.transport = transport;
    this.connectionMade();
  }

  connectionMade(): void {
    if (this.#result.called) {
      // Cancelled while the proxy connection was being made.
      this.transport!.abortConnection();
      return;
    }
    if (this.#timeout > 0) {
      this.#timer = this.#clock().callLater(this.#timeout, () => {
        this.#timer = null;
        this.fail(new SOCKSError(`The SOCKS proxy did not answer within ${this.#timeout}s`));
      });
    }
    this.#step = this.#start(this);
  }

  /** Writes a request to the proxy. */
  send(data: Uint8Array): void {
    this.transport!.write(data);
  }

  /** Moves on to the next step of the script. */
  next(step: Step): void {
    this.#step = step;
  }

  dataReceived(data: Uint8Array): void {
    if (this.#wrapped !== null) {
      this.#wrapped.dataReceived(data);
      return;
    }
    if (this.#failed) return;
    this.#buffer = this.#buffer.byteLength === 0 ? data : concat(this.#buffer, data);
    try {
      while (this.#step !== null && this.#wrapped === null && !this.#failed) {
        const used = this.#step(this.#buffer);
        if (used === null) return;
        this.#buffer = this.#buffer.subarray(used);
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    // succeed() may have run inside the loop: TypeScript cannot see that.
    const wrapped = this.#wrapped as MaybeExtended | null;
    if (wrapped !== null && this.#buffer.byteLength > 0) {
      // Bytes the destination sent right behind the proxy's reply.
      const rest = this.#buffer;
      this.#buffer = new Uint8Array(0);
      wrapped.dataReceived(rest);
    }
  }

  /** The tunnel is up: connect the user's protocol to this transport. */
  succeed(): void {
    this.#cancelTimer();
    this.#step = null;
    const transport = this.transport!;
    const destination = this.#destination ?? transport.getPeer();
    let protocol: IProtocol | null;
    try {
      protocol = this.#factory.buildProtocol(destination);
      if (protocol === null || protocol === undefined) throw new NoProtocol();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.#wrapped = protocol;
    try {
      protocol.makeConnection(transport);
    } catch (error) {
      if (!this.#result.called) this.#result.errback(error);
      transport.abortConnection();
      return;
    }
    if (!this.#result.called) this.#result.callback(protocol);
  }

  /** The negotiation failed: report it and close. */
  fail(error: unknown): void {
    if (this.#failed || this.#wrapped !== null) return;
    this.#failed = true;
    this.#cancelTimer();
    if (!this.#result.called) this.#result.errback(error);
    this.transport?.loseConnection();
  }

  /** Aborts the negotiation (the endpoint's Deferred was cancelled). */
  abort(): void {
    if (this.#wrapped !== null) return;
    this.#failed = true;
    this.#cancelTimer();
    this.transport?.abortConnection();
  }

  readConnectionLost(): void {
    const wrapped = this.#wrapped;
    if (wrapped !== null && typeof wrapped.readConnectionLost === "function") {
      wrapped.readConnectionLost();
    } else {
      // What a transport does for a protocol that cannot half-close.
      this.transport?.loseConnection();
    }
  }

  writeConnectionLost(): void {
    this.#wrapped?.writeConnectionLost?.();
  }

  handshakeCompleted(): void {
    this.#wrapped?.handshakeCompleted?.();
  }

  connectionLost(reason: Failure): void {
    this.#cancelTimer();
    if (this.#wrapped !== null) {
      this.#wrapped.connectionLost(reason);
      return;
    }
    if (!this.#result.called) {
      const why = reason.check(ConnectionDone) ? "closed the connection" : reason.getErrorMessage();
      this.#result.errback(new SOCKSError(`The SOCKS proxy ${why} during the negotiation`));
    }
  }

  logPrefix(): string {
    const w = this.#wrapped as { logPrefix?: () => string } | null;
    return typeof w?.logPrefix === "function" ? w.logPrefix() : "SOCKSTunnel";
  }

  #cancelTimer(): void {
    if (this.#timer?.active()) this.#timer.cancel();
    this.#timer = null;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** The address of a destination: an IP literal's, or null for a host name. */
function destinationAddress(host: string, port: number): Address | null {
  if (isIPv4(host)) return new IPv4Address("TCP", host, port);
  if (isIPv6(host)) return new IPv6Address("TCP", host, port);
  return null;
}

/** Connects through `proxy` with a tunnel running `start`; shared by both endpoints. */
function connectThrough(
  proxy: IStreamClientEndpoint,
  factory: IProtocolFactory,
  host: string,
  port: number,
  options: SOCKSClientEndpointOptions,
  start: (tunnel: SOCKSTunnel) => Step,
): Deferred<IProtocol> {
  let tunnel: SOCKSTunnel | null = null;
  let proxyAttempt: Deferred<IProtocol> | null = null;
  const destination = destinationAddress(host, port);
  const result = new Deferred<IProtocol>((d) => {
    // Fail first: aborting may report the lost connection synchronously.
    d.errback(new ConnectingCancelledError({ hostname: host, port }));
    if (proxyAttempt !== null && !proxyAttempt.called) proxyAttempt.cancel();
    tunnel?.abort();
  });
  const timeout = options.timeout ?? 30;
  const clock = (): IReactorTime => options.clock ?? (getReactor() as unknown as IReactorTime);
  const tunnelFactory: IProtocolFactory = {
    doStart(): void {
      factory.doStart();
    },
    doStop(): void {
      factory.doStop();
    },
    buildProtocol(): IProtocol {
      tunnel = new SOCKSTunnel(start, factory, result, destination, timeout, clock);
      return tunnel;
    },
  };
  proxyAttempt = proxy.connect(tunnelFactory);
  proxyAttempt.addErrback((failure: Failure) => {
    if (!result.called) result.errback(failure);
    return null;
  });
  return result;
}

/**
 * Connects to `host:port` through a SOCKS 5 proxy reached by `proxyEndpoint`
 * (RFC 1928 CONNECT, with RFC 1929 username/password authentication when
 * `username` is given). Host names are sent to the proxy to resolve (like
 * curl's `--socks5-hostname`). `connect(factory)` fires with the protocol the
 * factory built, connected to the tunnel, or fails with `SOCKSError` (its
 * `reply` holds the proxy's code) or the proxy connection's error.
 *
 * @example
 * ```ts
 * import { SOCKS5ClientEndpoint } from "@tw/core/protocols/socks";
 * import { TCP4ClientEndpoint } from "@tw/core/endpoints";
 * import { reactor } from "@tw/core";
 *
 * const endpoint = new SOCKS5ClientEndpoint(
 *   "example.org",
 *   80,
 *   new TCP4ClientEndpoint(reactor, "127.0.0.1", 1080),
 *   { username: "alice", password: "secret" },
 * );
 * ```
 */
export class SOCKS5ClientEndpoint implements IStreamClientEndpoint {
  /** The destination host (a name or an IP literal). */
  readonly host: string;
  /** The destination port. */
  readonly port: number;
  #proxy: IStreamClientEndpoint;
  #options: SOCKS5ClientEndpointOptions;

  /**
   * Makes the endpoint (nothing is connected until `connect`).
   * @param host the destination, as the proxy should see it
   * @param port the destination port
   * @param proxyEndpoint how to reach the proxy
   * @param options credentials and the negotiation timeout
   */
  constructor(
    host: string,
    port: number,
    proxyEndpoint: IStreamClientEndpoint,
    options: SOCKS5ClientEndpointOptions = {},
  ) {
    checkDestination(host, port);
    // Fail now rather than at connect: these are the caller's mistakes.
    encodeSOCKS5Request(SOCKSCommand.CONNECT, host, port);
    if (options.username !== undefined) {
      encodeSOCKS5UserPass(options.username, options.password ?? "");
    }
    this.host = host;
    this.port = port;
    this.#proxy = proxyEndpoint;
    this.#options = options;
  }

  /** Connects through the proxy; fires with the factory's protocol once the tunnel is up. */
  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    const { username, password = "" } = this.#options;
    const host = this.host;
    const port = this.port;
    return connectThrough(this.#proxy, factory, host, port, this.#options, (tunnel) => {
      const request = (): void => {
        tunnel.send(encodeSOCKS5Request(SOCKSCommand.CONNECT, host, port));
        tunnel.next((buf) => {
          const reply = parseSOCKS5Reply(buf);
          if (reply === null) return null;
          const code = reply.value.reply;
          if (code !== SOCKS5Reply.SUCCEEDED) {
            throw new SOCKSError(
              `The SOCKS 5 proxy refused CONNECT ${host}:${port}: ${describeReply(code)}`,
              code,
            );
          }
          tunnel.succeed();
          return reply.size;
        });
      };
      const methods = username === undefined
        ? [SOCKS5Method.NO_AUTH]
        : [SOCKS5Method.NO_AUTH, SOCKS5Method.USERNAME_PASSWORD];
      tunnel.send(encodeSOCKS5Greeting(methods));
      return (buf) => {
        if (buf.byteLength < 2) return null;
        if (buf[0] !== 5) throw new SOCKSError(`Bad SOCKS 5 method reply version ${buf[0]}`);
        const method = buf[1];
        if (method === SOCKS5Method.NO_AUTH) {
          request();
        } else if (method === SOCKS5Method.USERNAME_PASSWORD && username !== undefined) {
          tunnel.send(encodeSOCKS5UserPass(username, password));
          tunnel.next((reply) => {
            if (reply.byteLength < 2) return null;
            if (reply[1] !== 0) {
              throw new SOCKSError(`The SOCKS 5 proxy rejected the login as ${username}`);
            }
            request();
            return 2;
          });
        } else {
          throw new SOCKSError(
            method === SOCKS5Method.NO_ACCEPTABLE
              ? "The SOCKS 5 proxy accepts none of the offered authentication methods"
              : `The SOCKS 5 proxy chose an unoffered method ${method}`,
          );
        }
        return 2;
      };
    });
  }
}

/**
 * Connects to `host:port` through a SOCKS 4 proxy (SOCKS 4a when `host` is
 * not an IPv4 literal: the proxy resolves it). See {@link SOCKS5ClientEndpoint}.
 *
 * @example
 * ```ts
 * import { SOCKS4ClientEndpoint, SOCKSError } from "@tw/core/protocols/socks";
 * import { TCP4ClientEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * class Head extends Protocol {
 *   override connectionMade(): void {
 *     this.transport.write(new TextEncoder().encode("HEAD / HTTP/1.0\r\n\r\n"));
 *   }
 * }
 * const proxy = new TCP4ClientEndpoint(reactor, "127.0.0.1", 1080);
 * const endpoint = new SOCKS4ClientEndpoint("example.org", 80, proxy, { userid: "alice" });
 * endpoint.connect(Factory.forProtocol(Head)).addErrback((f) => {
 *   console.log(f.check(SOCKSError) ? "the proxy refused" : f.getErrorMessage());
 * });
 * ```
 */
export class SOCKS4ClientEndpoint implements IStreamClientEndpoint {
  /** The destination host (an IPv4 literal, or a name for SOCKS 4a). */
  readonly host: string;
  /** The destination port. */
  readonly port: number;
  #proxy: IStreamClientEndpoint;
  #options: SOCKS4ClientEndpointOptions;

  /**
   * Makes the endpoint (nothing is connected until `connect`).
   * @param host the destination (IPv6 literals cannot be expressed in SOCKS 4)
   * @param port the destination port
   * @param proxyEndpoint how to reach the proxy
   * @param options USERID and the negotiation timeout
   */
  constructor(
    host: string,
    port: number,
    proxyEndpoint: IStreamClientEndpoint,
    options: SOCKS4ClientEndpointOptions = {},
  ) {
    checkDestination(host, port);
    if (isIPv6(host)) throw new TypeError(`SOCKS 4 cannot connect to an IPv6 address: ${host}`);
    this.host = host;
    this.port = port;
    this.#proxy = proxyEndpoint;
    this.#options = options;
  }

  /** Connects through the proxy; fires with the factory's protocol once the tunnel is up. */
  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    const host = this.host;
    const port = this.port;
    return connectThrough(this.#proxy, factory, host, port, this.#options, (tunnel) => {
      tunnel.send(encodeSOCKS4Request(host, port, this.#options.userid ?? ""));
      return (buf) => {
        const reply = parseSOCKS4Reply(buf);
        if (reply === null) return null;
        const code = reply.value.reply;
        if (code !== SOCKS4Reply.GRANTED) {
          throw new SOCKSError(
            `The SOCKS 4 proxy refused CONNECT ${host}:${port}: ${describeReply(code)}`,
            code,
          );
        }
        tunnel.succeed();
        return reply.size;
      };
    });
  }
}

function checkDestination(host: string, port: number): void {
  if (typeof host !== "string" || host.length === 0) {
    throw new TypeError("A SOCKS destination host must be a non-empty string");
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`A SOCKS destination port must be 0 to 65535, not ${port}`);
  }
}
