/**
 * `HTTPConnectionPool` (`twisted.web.client.HTTPConnectionPool`): keeps idle
 * HTTP/1.1 connections per destination for reuse, and retries an idempotent
 * request once when a kept connection turns out to be stale. Private to
 * src/web; client.ts re-exports it.
 *
 * @module
 */
import { CancelledError, Deferred, DeferredList } from "../internet/defer.ts";
import type { Failure } from "../internet/failure.ts";
import type {
  IDelayedCall,
  IProtocol,
  IProtocolFactory,
  IReactorTime,
} from "../internet/interfaces.ts";
import type { IStreamClientEndpoint } from "../internet/endpoints.ts";
import {
  type ClientRequest,
  HTTP11ClientProtocol,
  type HTTP11ClientProtocolOptions,
} from "./_client_protocol.ts";
import type { Response } from "./_client_response.ts";
import {
  RequestNotSent,
  RequestTransmissionFailed,
  ResponseNeverReceived,
  WrapperError,
} from "./_client_errors.ts";
import { AlpnClientProtocol, H2PooledConnection, type H2Retry } from "./_client_alpn.ts";
import { type H2ClientOptions, H2ClientProtocol } from "./http2/_client_connection.ts";

/** Something that sends one request on a connection (a protocol, or a retrying wrapper). */
export interface IHTTPConnection {
  /** Sends `request`; see `HTTP11ClientProtocol.request`. */
  request(request: ClientRequest): Deferred<Response>;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "DELETE", "TRACE"]);

/**
 * Whether a request that failed with `error` on a kept connection may be
 * sent again on a new one (Twisted's `_shouldRetry`): an idempotent method,
 * no body, and a failure before any response byte that was not a cancellation.
 *
 * @example
 * ```ts
 * import { RequestNotSent, shouldRetry } from "@tw/core/web";
 * console.log(shouldRetry("GET", new RequestNotSent(), false)); // true
 * console.log(shouldRetry("POST", new RequestNotSent(), false)); // false: not idempotent
 * console.log(shouldRetry("GET", new Error("boom"), false)); // false: not a stale connection
 * ```
 */
export function shouldRetry(method: string, error: Error, hasBody: boolean): boolean {
  if (!IDEMPOTENT.has(method) || hasBody) return false;
  if (
    !(error instanceof RequestNotSent || error instanceof RequestTransmissionFailed ||
      error instanceof ResponseNeverReceived)
  ) return false;
  if (error instanceof WrapperError) {
    for (const f of error.reasons) if (f.check(CancelledError)) return false;
  }
  return true;
}

/** A kept connection, retrying once on a fresh one when it proves stale. */
class RetryingConnection implements IHTTPConnection {
  #protocol: HTTP11ClientProtocol;
  #fresh: () => Deferred<HTTP11ClientProtocol>;

  constructor(protocol: HTTP11ClientProtocol, fresh: () => Deferred<HTTP11ClientProtocol>) {
    this.#protocol = protocol;
    this.#fresh = fresh;
  }

  request(request: ClientRequest): Deferred<Response> {
    return this.#protocol.request(request).addErrback(
      (f: Failure): Deferred<Response> => {
        if (!shouldRetry(request.method, f.value, request.bodyProducer !== null)) throw f.value;
        return this.#fresh().addCallback((p: HTTP11ClientProtocol) => p.request(request));
      },
    );
  }
}

/** Options for `HTTPConnectionPool`. */
export interface HTTPConnectionPoolOptions {
  /** Limits of the response parser of each connection. */
  parser?: HTTP11ClientProtocolOptions;
  /** Windows and limits of HTTP/2 connections. */
  http2?: H2ClientOptions;
}

/**
 * A pool of HTTP/1.1 connections (`HTTPConnectionPool`). With `persistent`
 * (the default) idle connections are kept per destination (at most
 * `maxPersistentPerHost`, each for `cachedConnectionTimeout` seconds) and
 * reused; without it, every connection closes after its response. An
 * HTTP/2 connection (ALPN "h2") is shared by all the requests to its
 * destination (queued beyond the server's stream limit); requests made
 * while a destination's first connection is set up wait for its ALPN answer.
 *
 * @example
 * ```ts
 * import { Agent, HTTPConnectionPool } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const clock = new Clock();
 * const pool = new HTTPConnectionPool(clock);
 * pool.maxPersistentPerHost = 4;
 * console.log(pool.persistent, pool.cachedConnectionTimeout); // true 240
 * await pool.closeCachedConnections();
 * ```
 */
export class HTTPConnectionPool {
  /** Whether connections are kept after their responses. */
  persistent: boolean;
  /** Most idle connections kept per destination. @default 2 */
  maxPersistentPerHost = 2;
  /** Seconds an idle connection is kept. @default 240 */
  cachedConnectionTimeout = 240;
  /** Retry an idempotent request once when a kept connection is stale. @default true */
  retryAutomatically = true;
  #reactor: IReactorTime;
  #options: HTTPConnectionPoolOptions;
  #connections = new Map<string, HTTP11ClientProtocol[]>();
  #timeouts = new Map<HTTP11ClientProtocol, IDelayedCall>();
  // HTTP/2: one shared connection per destination, those waiting for the
  // ALPN answer of a first connection, and destinations that answered http/1.1.
  #h2 = new Map<string, H2ClientProtocol>();
  #h2Timeouts = new Map<H2ClientProtocol, IDelayedCall>();
  #negotiating = new Map<string, Deferred<IHTTPConnection>[]>();
  #http11Only = new Set<string>();

  /**
   * Makes a pool.
   * @param reactor the time source for idle timeouts
   * @param persistent keep connections for reuse
   * @param options parser limits
   */
  constructor(reactor: IReactorTime, persistent = true, options: HTTPConnectionPoolOptions = {}) {
    this.#reactor = reactor;
    this.persistent = persistent;
    this.#options = options;
  }

  /**
   * A connection to `key` (an idle kept one, or a new one through `endpoint`).
   * @param key identifies the destination (scheme, host, port, TLS settings)
   * @param endpoint how to connect when none is kept
   */
  getConnection(
    key: string,
    endpoint: IStreamClientEndpoint,
    http2 = false,
  ): Deferred<IHTTPConnection> {
    if (http2) {
      const shared = this.#sharedH2(key, endpoint);
      if (shared !== null) return shared;
    }
    const kept = this.#connections.get(key);
    while (kept !== undefined && kept.length > 0) {
      const protocol = kept.pop()!;
      if (kept.length === 0) this.#connections.delete(key);
      this.#timeouts.get(protocol)?.cancel();
      this.#timeouts.delete(protocol);
      if (protocol.state !== "QUIESCENT") continue;
      const d = new Deferred<IHTTPConnection>();
      d.callback(
        this.retryAutomatically
          ? new RetryingConnection(protocol, () => this.#newConnection(key, endpoint))
          : protocol,
      );
      return d;
    }
    if (http2) return this.#negotiate(key, endpoint, !this.#http11Only.has(key));
    return this.#newConnection(key, endpoint) as Deferred<IHTTPConnection>;
  }

  // The destination's HTTP/2 connection, or a wait for the ALPN answer of its first one.
  #sharedH2(key: string, endpoint: IStreamClientEndpoint): Deferred<IHTTPConnection> | null {
    const h2 = this.#h2.get(key);
    if (h2 !== undefined && h2.canTakeRequests) {
      const d = new Deferred<IHTTPConnection>();
      d.callback(this.#pooled(key, endpoint, h2, this.retryAutomatically));
      return d;
    }
    const waiting = this.#negotiating.get(key);
    if (waiting === undefined) return null;
    return this.#wait(waiting, null);
  }

  #wait(
    waiting: Deferred<IHTTPConnection>[],
    attempt: { d: Deferred<unknown> | null } | null,
  ): Deferred<IHTTPConnection> {
    const d: Deferred<IHTTPConnection> = new Deferred<IHTTPConnection>(() => {
      const i = waiting.indexOf(d);
      if (i >= 0) waiting.splice(i, 1);
      // The last one waiting gave up: so does the connection attempt.
      if (waiting.length === 0 && attempt?.d != null) attempt.d.cancel();
    });
    waiting.push(d);
    return d;
  }

  #pooled(
    key: string,
    endpoint: IStreamClientEndpoint,
    protocol: H2ClientProtocol,
    retry: boolean,
  ): H2PooledConnection {
    const how: H2Retry = {
      shouldRetry: (request, error) =>
        shouldRetry(request.method, error, request.bodyProducer !== null),
      fresh: () =>
        this.getConnection(key, endpoint, true).addCallback((c: IHTTPConnection) =>
          c instanceof H2PooledConnection ? new H2PooledConnection(c.protocol, null) : c
        ),
      busy: (p) => {
        this.#h2Timeouts.get(p)?.cancel();
        this.#h2Timeouts.delete(p);
      },
    };
    return new H2PooledConnection(protocol, retry ? how : { ...how, shouldRetry: () => false });
  }

  /**
   * A new connection offering h2 by ALPN. With `share`, requests for `key`
   * made until TLS answers wait for it: HTTP/2 serves them all on it; with
   * HTTP/1.1 the first takes it and the rest connect on their own.
   */
  #negotiate(
    key: string,
    endpoint: IStreamClientEndpoint,
    share: boolean,
  ): Deferred<IHTTPConnection> {
    const waiting: Deferred<IHTTPConnection>[] = [];
    const attempt: { d: Deferred<unknown> | null } = { d: null };
    const first = this.#wait(waiting, attempt);
    if (share) this.#negotiating.set(key, waiting);
    const factory: IProtocolFactory = {
      doStart(): void {},
      doStop(): void {},
      buildProtocol: (): IProtocol =>
        new AlpnClientProtocol(() => this.#buildHttp11(key), () => this.#buildH2(key)),
    };
    const connect = endpoint.connect(factory);
    attempt.d = connect;
    const done = (): Deferred<IHTTPConnection>[] => {
      attempt.d = null;
      if (this.#negotiating.get(key) === waiting) this.#negotiating.delete(key);
      return waiting.splice(0);
    };
    connect.addCallbacks((p: IProtocol) => {
      const waiters = done();
      const inner = (p as AlpnClientProtocol).inner;
      if (inner instanceof H2ClientProtocol) {
        this.#http11Only.delete(key);
        if (inner.canTakeRequests && !this.#h2.has(key)) this.#h2.set(key, inner);
        for (const w of waiters) {
          w.callback(this.#pooled(key, endpoint, inner, this.retryAutomatically));
        }
        if (inner.activeStreams === 0) this.#h2Idle(key, inner);
      } else if (inner !== null) {
        this.#http11Only.add(key);
        const [one, ...rest] = waiters;
        if (one !== undefined) one.callback(inner);
        else this.#putConnection(key, inner);
        for (const w of rest) {
          this.#negotiate(key, endpoint, false).addCallbacks((c: IHTTPConnection) => {
            if (!w.called) w.callback(c);
            else (c as { transport?: { loseConnection(): void } }).transport?.loseConnection();
            return null;
          }, (f2: Failure) => {
            if (!w.called) w.errback(f2);
            return null;
          });
        }
      }
      return null;
    }, (f: Failure) => {
      for (const w of done()) w.errback(f);
      return null;
    });
    return first;
  }

  #buildHttp11(key: string): HTTP11ClientProtocol {
    const p = new HTTP11ClientProtocol(
      (protocol) => this.#putConnection(key, protocol),
      this.#options.parser,
    );
    p.onConnectionLost = (protocol) => this.#forget(key, protocol);
    return p;
  }

  #buildH2(key: string): H2ClientProtocol {
    const p = new H2ClientProtocol(this.#options.http2);
    const drop = (protocol: H2ClientProtocol): void => {
      this.#h2Timeouts.get(protocol)?.cancel();
      this.#h2Timeouts.delete(protocol);
      if (this.#h2.get(key) === protocol) this.#h2.delete(key);
    };
    p.onGoingAway = drop;
    p.onConnectionLost = drop;
    p.onIdle = (protocol) => this.#h2Idle(key, protocol);
    return p;
  }

  // A shared connection has no stream left: keep it for a while, or close it.
  #h2Idle(key: string, protocol: H2ClientProtocol): void {
    if (!this.persistent || this.#h2.get(key) !== protocol) {
      if (this.#h2.get(key) === protocol) this.#h2.delete(key);
      protocol.loseConnectionGracefully();
      return;
    }
    this.#h2Timeouts.get(protocol)?.cancel();
    this.#h2Timeouts.set(
      protocol,
      this.#reactor.callLater(this.cachedConnectionTimeout, () => {
        this.#h2Timeouts.delete(protocol);
        if (this.#h2.get(key) === protocol) this.#h2.delete(key);
        protocol.loseConnectionGracefully();
      }),
    );
  }

  #newConnection(key: string, endpoint: IStreamClientEndpoint): Deferred<HTTP11ClientProtocol> {
    const factory: IProtocolFactory = {
      doStart(): void {},
      doStop(): void {},
      buildProtocol: (): IProtocol => {
        const p = new HTTP11ClientProtocol(
          (protocol) => this.#putConnection(key, protocol),
          this.#options.parser,
        );
        p.onConnectionLost = (protocol) => this.#forget(key, protocol);
        return p;
      },
    };
    return endpoint.connect(factory) as Deferred<HTTP11ClientProtocol>;
  }

  /** Keeps an idle connection (the protocol's quiescent callback). */
  #putConnection(key: string, protocol: HTTP11ClientProtocol): void {
    if (!this.persistent) {
      protocol.transport.loseConnection();
      return;
    }
    let list = this.#connections.get(key);
    if (list === undefined) this.#connections.set(key, list = []);
    list.push(protocol);
    while (list.length > this.maxPersistentPerHost) {
      // The oldest goes; closing it calls #forget, which must find `list` non-empty.
      const dropped = list.shift()!;
      this.#timeouts.get(dropped)?.cancel();
      this.#timeouts.delete(dropped);
      dropped.transport.loseConnection();
    }
    if (!list.includes(protocol)) return;
    this.#timeouts.set(
      protocol,
      this.#reactor.callLater(this.cachedConnectionTimeout, () => {
        this.#timeouts.delete(protocol);
        this.#remove(key, protocol);
        protocol.transport.loseConnection();
      }),
    );
  }

  #remove(key: string, protocol: HTTP11ClientProtocol): void {
    const list = this.#connections.get(key);
    if (list === undefined) return;
    const i = list.indexOf(protocol);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#connections.delete(key);
  }

  #forget(key: string, protocol: HTTP11ClientProtocol): void {
    const call = this.#timeouts.get(protocol);
    if (call !== undefined) {
      if (call.active()) call.cancel();
      this.#timeouts.delete(protocol);
    }
    this.#remove(key, protocol);
  }

  /** The number of idle connections kept for `key` (or for all destinations). */
  cachedConnectionCount(key?: string): number {
    if (key !== undefined) {
      return (this.#connections.get(key)?.length ?? 0) + (this.#h2.has(key) ? 1 : 0);
    }
    let n = this.#h2.size;
    for (const list of this.#connections.values()) n += list.length;
    return n;
  }

  /** Closes every idle connection; fires once they are all closed. */
  closeCachedConnections(): Deferred<void> {
    const waits: Deferred<void>[] = [];
    for (const list of this.#connections.values()) {
      for (const protocol of list) {
        this.#timeouts.get(protocol)?.cancel();
        this.#timeouts.delete(protocol);
        waits.push(protocol.abort());
      }
    }
    this.#connections.clear();
    for (const protocol of this.#h2.values()) {
      this.#h2Timeouts.get(protocol)?.cancel();
      this.#h2Timeouts.delete(protocol);
      // An idle shared connection closes now; a busy one once its streams end.
      if (protocol.activeStreams === 0) waits.push(protocol.abort());
      else protocol.loseConnectionGracefully();
    }
    this.#h2.clear();
    return new DeferredList(waits).addCallback((): void => {});
  }
}
