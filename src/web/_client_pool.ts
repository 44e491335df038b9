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
}

/**
 * A pool of HTTP/1.1 connections (`HTTPConnectionPool`). With `persistent`
 * (the default) idle connections are kept per destination (at most
 * `maxPersistentPerHost`, each for `cachedConnectionTimeout` seconds) and
 * reused; without it, every connection closes after its response.
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
  getConnection(key: string, endpoint: IStreamClientEndpoint): Deferred<IHTTPConnection> {
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
    return this.#newConnection(key, endpoint) as Deferred<IHTTPConnection>;
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
    if (key !== undefined) return this.#connections.get(key)?.length ?? 0;
    let n = 0;
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
    return new DeferredList(waits).addCallback((): void => {});
  }
}
