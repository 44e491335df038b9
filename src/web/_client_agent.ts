/**
 * `Agent` and `ProxyAgent` (`twisted.web.client`): send a request to a URI
 * over a pooled HTTP/1.1 connection (TCP or TLS) and fire with the response.
 * Private to src/web; client.ts re-exports them.
 *
 * @module
 */
import { CancelledError, Deferred } from "../internet/defer.ts";
import type { Failure } from "../internet/failure.ts";
import type { IReactorNetwork } from "../internet/interfaces.ts";
import type { TlsOptions } from "../internet/socket.ts";
import { isIPv4, isIPv6 } from "../internet/address.ts";
import {
  HostnameEndpoint,
  type IStreamClientEndpoint,
  SSL4ClientEndpoint,
  TCP4ClientEndpoint,
  TCP6ClientEndpoint,
  wrapClientTLS,
} from "../internet/endpoints.ts";
import { getReactor } from "../internet/reactor.ts";
import { Headers } from "./_headers.ts";
import type { IBodyProducer } from "./_client_body.ts";
import { ClientRequest } from "./_client_protocol.ts";
import type { Response } from "./_client_response.ts";
import { HTTPConnectionPool } from "./_client_pool.ts";
import { URI } from "./_client_uri.ts";

/** Something that makes HTTP requests (`IAgent`): `Agent` and the agents wrapping it. */
export interface IAgent {
  /**
   * Requests `uri` with `method`; fires with the response once its head arrived.
   * @param method "GET", "POST" ...
   * @param uri an absolute http or https URI
   * @param headers request headers (a Host header is added when missing)
   * @param bodyProducer the body, or null
   */
  request(
    method: string,
    uri: string,
    headers?: Headers | null,
    bodyProducer?: IBodyProducer | null,
  ): Deferred<Response>;
}

/** Makes the endpoint an `Agent` connects through for a URI (`IAgentEndpointFactory`). */
export interface IAgentEndpointFactory {
  /** The endpoint for `uri`'s scheme, host and port. */
  endpointForURI(uri: URI): IStreamClientEndpoint;
}

/** Options for `Agent`. */
export interface AgentOptions {
  /** The connection pool. @default a new non-persistent pool (one connection per request) */
  pool?: HTTPConnectionPool;
  /** Seconds before a connection attempt fails with `TimeoutError`. @default 30 */
  connectTimeout?: number;
  /** Local `[host, port]` to bind before connecting. */
  bindAddress?: [string, number];
  /**
   * TLS settings for https (trust roots `ca`, client `cert`/`key`, `verify`),
   * or a function of the host and port giving them (Twisted's
   * `BrowserLikePolicyForHTTPS`). Verification is on unless `verify: false`.
   * @default {}
   */
  tlsOptions?: TlsOptions | ((host: string, port: number) => TlsOptions);
  /** Makes the endpoints instead of the default TCP / TLS ones (`Agent.usingEndpointFactory`). */
  endpointFactory?: IAgentEndpointFactory;
  /**
   * Offer HTTP/2 by ALPN (`["h2", "http/1.1"]`) on https: when the server
   * picks it, the pool multiplexes the destination's requests on one
   * connection. False speaks HTTP/1.1 only. With an `endpointFactory` it
   * is off unless set: true then means its connections finish TLS (with
   * ALPN) before `connectionMade`, and speak h2 when it chose "h2".
   * @default true (false with an `endpointFactory`)
   */
  http2?: boolean;
}

/** The default endpoint factory: TCP, or TLS verified against the host name, per scheme. */
class StandardEndpointFactory implements IAgentEndpointFactory {
  #reactor: IReactorNetwork;
  #options: AgentOptions;

  constructor(reactor: IReactorNetwork, options: AgentOptions) {
    this.#reactor = reactor;
    this.#options = options;
  }

  endpointForURI(uri: URI): IStreamClientEndpoint {
    const r = this.#reactor;
    const opts: { timeout?: number; bindAddress?: [string, number] } = {};
    if (this.#options.connectTimeout !== undefined) opts.timeout = this.#options.connectTimeout;
    if (this.#options.bindAddress !== undefined) opts.bindAddress = this.#options.bindAddress;
    const ip4 = isIPv4(uri.host);
    const ip6 = isIPv6(uri.host);
    if (uri.scheme === "https") {
      const source = this.#options.tlsOptions ?? {};
      const tls = typeof source === "function" ? source(uri.host, uri.port) : source;
      if (this.#options.http2 !== false) {
        // Connected once the handshake is done, so that ALPN's answer is known.
        const offer: TlsOptions = { alpnProtocols: ["h2", "http/1.1"] };
        if (!ip4 && !ip6) offer.serverName = uri.host;
        return new SSL4ClientEndpoint(r, uri.host, uri.port, { ...offer, ...tls }, opts);
      }
      if (ip4 || ip6) return new SSL4ClientEndpoint(r, uri.host, uri.port, { ...tls }, opts);
      return wrapClientTLS(
        { serverName: uri.host, ...tls },
        new HostnameEndpoint(r, uri.host, uri.port, opts),
      );
    }
    if (ip4) return new TCP4ClientEndpoint(r, uri.host, uri.port, opts);
    if (ip6) return new TCP6ClientEndpoint(r, uri.host, uri.port, opts);
    return new HostnameEndpoint(r, uri.host, uri.port, opts);
  }
}

/**
 * Sends `request` on a connection from `pool` (for `key` through `endpoint`):
 * the stages are cancellable. Cancelling while connecting fails with
 * `CancelledError`; while waiting for the response, with
 * `ResponseNeverReceived` (the connection is aborted).
 */
export function requestOnPool(
  pool: HTTPConnectionPool,
  key: string,
  endpoint: IStreamClientEndpoint,
  request: ClientRequest,
  http2 = false,
): Deferred<Response> {
  let stage: Deferred<unknown> | null = null;
  let connecting = true;
  let cancelled = false;
  const d = new Deferred<Response>(() => {
    cancelled = true;
    const s = stage;
    stage = null;
    s?.cancel();
  });
  let connect: Deferred<unknown>;
  try {
    connect = pool.getConnection(key, endpoint, http2);
  } catch (error) {
    d.errback(error);
    return d;
  }
  stage = connect;
  connect.addCallbacks((connection) => {
    connecting = false;
    if (cancelled) {
      // Connected just as the request was cancelled: the connection is unused.
      (connection as { transport?: { loseConnection(): void } }).transport?.loseConnection();
      return null;
    }
    const sent = (connection as { request(r: ClientRequest): Deferred<Response> }).request(
      request,
    );
    stage = sent;
    sent.addCallbacks((response: Response) => {
      stage = null;
      if (!d.called) d.callback(response);
      return null;
    }, (f: Failure) => {
      stage = null;
      if (!d.called) d.errback(f);
      return null;
    });
    return null;
  }, (f: Failure) => {
    stage = null;
    if (cancelled && connecting) {
      if (!d.called) d.errback(new CancelledError());
      return null;
    }
    if (!d.called) d.errback(f);
    return null;
  });
  return d;
}

function failed<T>(error: unknown): Deferred<T> {
  const d = new Deferred<T>();
  d.errback(error);
  return d;
}

/**
 * The HTTP client (`twisted.web.client.Agent`): `request(method, uri,
 * headers?, bodyProducer?)` fires with a `Response` once the response head
 * arrived. http and https URIs; https verifies the server's certificate
 * against its name (or IP) unless `tlsOptions.verify` is false. Connections
 * come from `pool` (without one, each request gets its own connection,
 * closed after the response). https offers h2 by ALPN (`http2: false`
 * turns it off): when the server picks it, the pool multiplexes the
 * destination's requests on one HTTP/2 connection, and `response.version`
 * is `["HTTP", 2, 0]`.
 *
 * @example
 * ```ts
 * import { Agent, HTTPConnectionPool, readBody } from "@tw/core/web";
 * import { reactor } from "@tw/core";
 * const pool = new HTTPConnectionPool(reactor);
 * const agent = new Agent(reactor, { pool, connectTimeout: 10 });
 * const get = async (url: string) => {
 *   const response = await agent.request("GET", url);
 *   console.log(response.code, response.headers.getLast("content-type"));
 *   return await readBody(response);
 * };
 * console.log(typeof get); // "function"
 * await pool.closeCachedConnections();
 * ```
 */
export class Agent implements IAgent {
  #pool: HTTPConnectionPool;
  #endpoints: IAgentEndpointFactory;
  #http2: boolean;

  /**
   * Makes an agent.
   * @param reactor connects, resolves names and keeps time
   * @param options pool, timeouts, TLS settings
   */
  constructor(reactor: IReactorNetwork, options: AgentOptions = {}) {
    this.#pool = options.pool ?? new HTTPConnectionPool(reactor, false);
    this.#endpoints = options.endpointFactory ?? new StandardEndpointFactory(reactor, options);
    // ALPN is offered by the standard endpoints only.
    this.#http2 = options.http2 ?? options.endpointFactory === undefined;
  }

  /**
   * An agent that connects through `endpointFactory` (`Agent.usingEndpointFactory`).
   * @param reactor the reactor
   * @param endpointFactory makes the endpoint for each URI
   * @param pool the connection pool
   */
  static usingEndpointFactory(
    reactor: IReactorNetwork,
    endpointFactory: IAgentEndpointFactory,
    pool?: HTTPConnectionPool,
  ): Agent {
    const options: AgentOptions = { endpointFactory };
    if (pool !== undefined) options.pool = pool;
    return new Agent(reactor, options);
  }

  /** The agent's connection pool. */
  get pool(): HTTPConnectionPool {
    return this.#pool;
  }

  /** Sends a request; see `IAgent.request`. */
  request(
    method: string,
    uri: string,
    headers: Headers | null = null,
    bodyProducer: IBodyProducer | null = null,
  ): Deferred<Response> {
    let parsed: URI;
    let endpoint: IStreamClientEndpoint;
    try {
      parsed = URI.fromString(uri);
      endpoint = this.#endpoints.endpointForURI(parsed);
    } catch (error) {
      return failed(error);
    }
    const h = headers === null ? new Headers() : headers.copy();
    if (!h.hasHeader("host")) h.addRawHeader("Host", parsed.hostHeader);
    const key = `${parsed.scheme}://${parsed.hostHeader}:${parsed.port}`;
    const request = new ClientRequest(
      method,
      parsed.originForm,
      h,
      bodyProducer,
      this.#pool.persistent,
      parsed.toString(),
    );
    return requestOnPool(
      this.#pool,
      key,
      endpoint,
      request,
      this.#http2 && parsed.scheme === "https",
    );
  }
}

/** Options for `ProxyAgent`. */
export interface ProxyAgentOptions {
  /** The reactor (for the pool's idle timeouts). @default getReactor() */
  reactor?: IReactorNetwork;
  /** The connection pool. @default a new non-persistent pool */
  pool?: HTTPConnectionPool;
}

/**
 * Sends every request through an HTTP proxy (`ProxyAgent`): it connects to
 * the proxy's endpoint and writes the request with its absolute URI as the
 * target. http URIs only (https through a proxy needs CONNECT, not offered).
 *
 * @example
 * ```ts
 * import { ProxyAgent } from "@tw/core/web";
 * import { TCP4ClientEndpoint } from "@tw/core/endpoints";
 * import { reactor } from "@tw/core";
 * const agent = new ProxyAgent(new TCP4ClientEndpoint(reactor, "127.0.0.1", 3128));
 * console.log(typeof agent.request); // "function"
 * ```
 */
export class ProxyAgent implements IAgent {
  #endpoint: IStreamClientEndpoint;
  #pool: HTTPConnectionPool;

  /**
   * Makes the agent.
   * @param endpoint where the proxy listens
   * @param options reactor and pool
   */
  constructor(endpoint: IStreamClientEndpoint, options: ProxyAgentOptions = {}) {
    this.#endpoint = endpoint;
    this.#pool = options.pool ?? new HTTPConnectionPool(options.reactor ?? getReactor(), false);
  }

  /** Sends a request through the proxy; see `IAgent.request`. */
  request(
    method: string,
    uri: string,
    headers: Headers | null = null,
    bodyProducer: IBodyProducer | null = null,
  ): Deferred<Response> {
    let parsed: URI;
    try {
      parsed = URI.fromString(uri);
    } catch (error) {
      return failed(error);
    }
    const h = headers === null ? new Headers() : headers.copy();
    if (!h.hasHeader("host")) h.addRawHeader("Host", parsed.hostHeader);
    const target = parsed.toString();
    const request = new ClientRequest(
      method,
      target,
      h,
      bodyProducer,
      this.#pool.persistent,
      target,
    );
    return requestOnPool(this.#pool, "http-proxy", this.#endpoint, request);
  }
}
