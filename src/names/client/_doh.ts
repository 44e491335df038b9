/**
 * DNS over HTTPS for the client resolver (RFC 8484): each query is a POST of
 * the DNS message (`content-type: application/dns-message`, id 0 as s4.1
 * recommends) through the web client's `Agent`, whose persistent pool keeps
 * the HTTP/1.1 connections for reuse.
 *
 * @module
 */
import { Deferred, fail } from "../../internet/defer.ts";
import { ConnectError, ConnectionDone, ConnectionLost } from "../../internet/error.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IDelayedCall, IReactorNetwork } from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { Protocol } from "../../internet/protocol.ts";
import { Logger } from "../../logger/mod.ts";
import { Agent } from "../../web/_client_agent.ts";
import { BytesBodyProducer } from "../../web/_client_body.ts";
import {
  RequestNotSent,
  RequestTransmissionFailed,
  ResponseFailed,
} from "../../web/_client_errors.ts";
import { HTTPConnectionPool, shouldRetry } from "../../web/_client_pool.ts";
import type { Response } from "../../web/_client_response.ts";
import { Headers } from "../../web/_headers.ts";
import { type DNSQueryOptions, queryMessage } from "../_protocols.ts";
import { DNSFormatError, DNSQueryTimeoutError, ResolverError } from "../error.ts";
import { Message, type Query } from "../wire/_message.ts";
import { DEFAULT_IDLE_TIMEOUT, type IQueryExchange } from "./_dot.ts";

const log = new Logger("tw.names.client");

/** The media type of DNS messages over HTTP (RFC 8484 s6). */
export const DNS_MESSAGE = "application/dns-message";

/** The largest DNS message: what a reply body may hold. */
const MAX_MESSAGE = 65535;

/** Options of {@link DoHClient}. */
export interface DoHClientOptions {
  /** TLS settings for https (trust roots `ca`, `serverName`, `verify`). @default {} */
  tls?: TlsOptions;
  /** Seconds an unused connection stays in the pool. @default 20 */
  idleTimeout?: number;
  /** Seconds a connection (TCP and the TLS handshake) may take. @default 10 */
  connectTimeout?: number;
}

/** Checks a DoH URL: absolute, http or https, no fragment. */
export function checkURL(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Bad DNS over HTTPS URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new TypeError(`A DNS over HTTPS URL is https (or http), not ${parsed.protocol} (${url})`);
  }
  if (parsed.hash !== "") throw new TypeError(`A DNS over HTTPS URL has no fragment: ${url}`);
  return url;
}

function sameQuestion(a: Query[], b: Query[]): boolean {
  return a.length === b.length && a.every((q, i) => q.equals(b[i]));
}

/** Collects a body of at most `MAX_MESSAGE` bytes; aborts past it. */
class BoundedBody extends Protocol {
  readonly done: Deferred<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #size = 0;
  readonly #url: string;

  constructor(url: string) {
    super();
    this.#url = url;
    this.done = new Deferred<Uint8Array>(() => this.transport?.abortConnection());
  }

  override dataReceived(data: Uint8Array): void {
    if (this.done.called) return;
    this.#size += data.length;
    if (this.#size > MAX_MESSAGE) {
      this.done.errback(
        new ResolverError(`${this.#url} answered with a body over ${MAX_MESSAGE} bytes`),
      );
      this.transport.stopProducing();
      return;
    }
    this.#chunks.push(data);
  }

  override connectionLost(reason: Failure): void {
    if (this.done.called) return;
    if (reason.check(ResponseFailed) || !reason.check(Error)) {
      this.done.errback(reason);
      return;
    }
    // ResponseDone (with a length or chunked) or PotentialDataLoss (read to the close):
    // a DNS message checks its own length when decoded.
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    this.done.callback(out);
  }
}

/**
 * The DoH side of a resolver: POSTs each query to `url` through an `Agent`
 * with a persistent pool.
 */
export class DoHClient implements IQueryExchange {
  /** The URL queries go to. */
  readonly url: string;
  readonly #reactor: IReactorNetwork;
  readonly #pool: HTTPConnectionPool;
  readonly #agent: Agent;

  /** Makes the client for `url` (checked: http or https). */
  constructor(url: string, reactor: IReactorNetwork, options: DoHClientOptions = {}) {
    this.url = checkURL(url);
    this.#reactor = reactor;
    this.#pool = new HTTPConnectionPool(reactor);
    this.#pool.cachedConnectionTimeout = options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT;
    this.#pool.retryAutomatically = false;
    this.#agent = new Agent(reactor, {
      pool: this.#pool,
      tlsOptions: { ...options.tls },
      connectTimeout: options.connectTimeout ?? 10,
    });
  }

  /** See `IQueryExchange.query`; `server` is the URL (the client's own is used). */
  query(
    _server: readonly [string, number] | string,
    queries: Query[],
    options: DNSQueryOptions & { timeout: number },
  ): Deferred<Message> {
    const body = queryMessage(0, queries, options).toStr();
    let stage: Deferred<unknown> | null = null;
    let done = false;
    let timer: IDelayedCall | null = null;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      if (timer?.active()) timer.cancel();
      return true;
    };
    const result = new Deferred<Message>(() => {
      if (finish()) stage?.cancel();
    });
    timer = this.#reactor.callLater(options.timeout, () => {
      if (!finish()) return;
      stage?.cancel();
      result.errback(new DNSQueryTimeoutError(0, `DNS query to ${this.url} timed out`));
    });
    const send = (retried: boolean): void => {
      const headers = new Headers({ "content-type": DNS_MESSAGE, accept: DNS_MESSAGE });
      const sent = this.#agent.request("POST", this.url, headers, new BytesBodyProducer(body));
      stage = sent;
      sent.addCallbacks((response: Response) => {
        if (done) {
          response.deliverBody(new BoundedBody(this.url));
          return null;
        }
        const read = this.#reply(response, queries);
        stage = read;
        read.addCallbacks((message: Message) => {
          if (finish()) result.callback(message);
          return null;
        }, (failure: Failure) => {
          if (finish()) result.errback(failure);
          return null;
        });
        return null;
      }, (failure: Failure) => {
        if (done) return null;
        // A kept connection the server had closed: once more on a fresh one (DNS
        // queries are idempotent, so POST may be sent again).
        if (
          !retried && failure.value instanceof Error && shouldRetry("GET", failure.value, false)
        ) {
          log.debug("DNS over HTTPS to {url}: stale connection, sending again", { url: this.url });
          send(true);
          return null;
        }
        if (finish()) result.errback(failure);
        return null;
      });
    };
    send(false);
    return result;
  }

  /** The reply in `response`: status 200, a DNS message, answering `queries`. */
  #reply(response: Response, queries: Query[]): Deferred<Message> {
    const reader = new BoundedBody(this.url);
    response.deliverBody(reader);
    if (response.code !== 200) {
      // Read (and drop) the body, so that the connection can be used again.
      const status = new ResolverError(
        `${this.url} answered ${response.code} ${response.phrase}`.trimEnd(),
      );
      return reader.done.addBoth((): Message => {
        throw status;
      });
    }
    const length = response.length;
    if (typeof length === "number" && length > MAX_MESSAGE) {
      reader.done.addErrback(() => null);
      reader.transport.stopProducing();
      return fail(new ResolverError(`${this.url} answered with a body of ${length} bytes`));
    }
    const type = response.headers.getLast("content-type");
    return reader.done.addCallback((bytes: Uint8Array): Message => {
      const media = (type ?? "").split(";")[0].trim().toLowerCase();
      if (media !== DNS_MESSAGE) {
        throw new ResolverError(
          `${this.url} answered with content-type ${type ?? "(none)"}, not ${DNS_MESSAGE}`,
        );
      }
      let message: Message;
      try {
        message = Message.fromStr(bytes);
      } catch (error) {
        if (!(error instanceof DNSFormatError)) throw error;
        throw new DNSFormatError(`${this.url} answered with a bad DNS message: ${error.message}`);
      }
      if (!message.answer) throw new DNSFormatError(`${this.url} answered with a query (QR=0)`);
      if (
        message.queries.length === 0 ? message.rCode === 0 : !sameQuestion(queries, message.queries)
      ) {
        throw new DNSFormatError(`${this.url} answered another question`);
      }
      return message;
    });
  }

  /** Connection trouble: a failed connect, a closed or stale connection, a broken response. */
  retryable(error: unknown): boolean {
    return error instanceof ConnectError || error instanceof ConnectionLost ||
      error instanceof ConnectionDone || error instanceof RequestNotSent ||
      error instanceof RequestTransmissionFailed || error instanceof ResponseFailed;
  }

  /** Closes the pool's idle connections. */
  close(): Deferred<void> {
    return this.#pool.closeCachedConnections();
  }
}
