/**
 * The HTTP/2 side of `HTTPConnectionPool`: `AlpnClientProtocol`, which
 * becomes an `HTTP11ClientProtocol` or an `H2ClientProtocol` by the
 * protocol TLS negotiated, and `H2PooledConnection`, which sends requests on
 * a shared HTTP/2 connection and retries a request the server did not
 * process (after GOAWAY or REFUSED_STREAM) once on another. Private to src/web.
 *
 * @module
 */
import type { Deferred } from "../internet/defer.ts";
import type { Failure } from "../internet/failure.ts";
import type { IProtocol } from "../internet/interfaces.ts";
import { Protocol } from "../internet/protocol.ts";
import type { ClientRequest, HTTP11ClientProtocol } from "./_client_protocol.ts";
import type { Response } from "./_client_response.ts";
import type { H2ClientProtocol } from "./http2/_client_connection.ts";

/**
 * Stands for the protocol until TLS says which: at `connectionMade` it
 * makes the HTTP/2 one when ALPN chose "h2", else the HTTP/1.1 one, and
 * passes every event on to it.
 */
export class AlpnClientProtocol extends Protocol {
  /** The protocol chosen, once connected. */
  inner: HTTP11ClientProtocol | H2ClientProtocol | null = null;
  #http11: () => HTTP11ClientProtocol;
  #h2: () => H2ClientProtocol;

  /**
   * Makes it.
   * @param http11 makes the HTTP/1.1 protocol
   * @param h2 makes the HTTP/2 protocol
   */
  constructor(http11: () => HTTP11ClientProtocol, h2: () => H2ClientProtocol) {
    super();
    this.#http11 = http11;
    this.#h2 = h2;
  }

  /** Whether ALPN chose h2. */
  get isH2(): boolean {
    return (this.transport as { negotiatedProtocol?: string | null }).negotiatedProtocol === "h2";
  }

  /** Chooses and connects the protocol. */
  override connectionMade(): void {
    const inner: IProtocol = this.isH2 ? this.#h2() : this.#http11();
    this.inner = inner as HTTP11ClientProtocol | H2ClientProtocol;
    inner.makeConnection(this.transport);
  }

  /** Passed on. */
  override dataReceived(data: Uint8Array): void {
    this.inner?.dataReceived(data);
  }

  /** Passed on. */
  override connectionLost(reason: Failure): void {
    this.inner?.connectionLost(reason);
  }
}

/** What `H2PooledConnection` needs from its pool. */
export interface H2Retry {
  /** Whether to retry `request` after `error`. */
  shouldRetry(request: ClientRequest, error: Error): boolean;
  /** Another connection for the retry (that does not retry again). */
  fresh(): Deferred<{ request(request: ClientRequest): Deferred<Response> }>;
  /** The connection is about to get a request (stop its idle timer). */
  busy(protocol: H2ClientProtocol): void;
}

/** A shared HTTP/2 connection as the pool hands it out. */
export class H2PooledConnection {
  /** The protocol. */
  readonly protocol: H2ClientProtocol;
  #retry: H2Retry | null;

  /**
   * Makes it.
   * @param protocol the shared connection
   * @param retry how to retry, or null for no retry
   */
  constructor(protocol: H2ClientProtocol, retry: H2Retry | null) {
    this.protocol = protocol;
    this.#retry = retry;
  }

  /** Sends `request` on a stream of the shared connection. */
  request(request: ClientRequest): Deferred<Response> {
    const retry = this.#retry;
    retry?.busy(this.protocol);
    const d = this.protocol.request(request);
    if (retry === null) return d;
    return d.addErrback((f: Failure): Deferred<Response> => {
      if (!retry.shouldRetry(request, f.value)) throw f.value;
      return retry.fresh().addCallback((c) => c.request(request));
    });
  }
}
