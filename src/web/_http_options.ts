/**
 * What an `HTTPChannel` is given: its settings (`HTTPFactoryOptions`, which
 * `HTTPFactory` and `Site` take) and the request objects it hands each
 * request to (`IChannelRequest`). Private: `http.ts` re-exports them.
 *
 * @module
 */
import type { Failure } from "../internet/failure.ts";
import type { IReactorTime } from "../internet/interfaces.ts";
import type { Headers } from "./_headers.ts";
import type { H2Options } from "./http2/_settings.ts";
import type { HTTPChannel } from "./http.ts";

/**
 * What `HTTPChannel` asks of the request objects its `requestFactory` makes
 * (the calls `twisted.web.http.Request` receives from its channel).
 */
export interface IChannelRequest {
  /** The request headers; the channel fills them before `gotLength`. */
  requestHeaders: Headers;
  /** The body's length, or null for a chunked body of unknown length. */
  gotLength(length: number | null): void;
  /** A piece of the body (a view the request now owns). */
  handleContentChunk(data: Uint8Array): void;
  /** The whole request has been read: process it. */
  requestReceived(method: string, uri: string, version: string): void;
  /** The connection went away before the response was finished. */
  connectionLost(reason: Failure): void;
}

/** Makes the request object for each request a channel reads. */
export type RequestFactory = (channel: HTTPChannel) => IChannelRequest;

/** Settings of channels, given to `HTTPFactory` / `Site`. */
export interface HTTPFactoryOptions {
  /** Seconds without any traffic before an idle connection is closed; null for never. @default 60 */
  timeout?: number | null;
  /**
   * Seconds a client has to send a request's head once its first byte
   * arrived (408 and close after that), however slowly the bytes trickle in:
   * Node's `headersTimeout`. null for no limit. @default 60
   */
  headerTimeout?: number | null;
  /**
   * Seconds a client has to send a request's head and body once it started;
   * null for no limit. Protects against slow-drip clients. @default 300
   */
  requestTimeout?: number | null;
  /**
   * Seconds in-flight requests get to finish when the reactor shuts down
   * (SIGTERM, `reactor.stop()`) before their connections are cut. A listening
   * factory drains by itself: it registers a "before shutdown" trigger.
   * @default 10
   */
  shutdownTimeout?: number;
  /** Time source for the timeouts (a reactor or a `Clock`). @default getReactor() */
  clock?: IReactorTime;
  /** Longest request line, in bytes (414 beyond). @default 8192 */
  maxRequestLineLength?: number;
  /** Largest request head (request line and headers), in bytes (431 beyond). @default 16384 */
  maxHeaderSize?: number;
  /** Most header lines per request (431 beyond). @default 100 */
  maxHeaders?: number;
  /** Largest request body, in bytes (413 beyond). @default 16777216 (16 MiB) */
  maxRequestBodySize?: number;
  /** The `Server` header sent when a response sets none; empty for none. @default "tw" */
  serverName?: string;
  /**
   * HTTP/2: `false` for HTTP/1.1 only, or its settings. TLS ports offer
   * "h2" by ALPN; cleartext clients may open with the h2 preface.
   * @default {} (on, with `H2Options`' defaults)
   */
  http2?: false | H2Options;
}
