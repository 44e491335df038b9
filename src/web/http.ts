/**
 * HTTP/1.x over any `ITransport` (`twisted.web.http`): `HTTPChannel` parses
 * requests (limits, keep-alive, pipelining, chunked bodies, 100-continue,
 * timeouts, graceful shutdown) and hands each complete one to a request
 * object; `HTTPFactory` builds channels and holds their settings.
 *
 * Requests are handled one at a time per connection: once a request's body
 * has been read, the channel stops reading (pausing the transport) until the
 * response is finished, so pipelined responses come out in order and a
 * client cannot make the server buffer without bound.
 *
 * @example
 * ```ts
 * import { HTTPChannel, OK, RESPONSES } from "@tw/core/web";
 * console.log(OK, RESPONSES[OK]); // 200 "OK"
 * console.log(typeof HTTPChannel); // "function"
 * ```
 * @module
 */
import { Deferred } from "../internet/defer.ts";
import type { Failure } from "../internet/failure.ts";
import type { IDelayedCall, IProtocol, IReactorTime, ITransport } from "../internet/interfaces.ts";
import { type Address, Protocol } from "../internet/protocol.ts";
import { getReactor } from "../internet/reactor.ts";
import { Logger } from "../logger/mod.ts";
import { Headers } from "./_headers.ts";
import {
  bodyLength,
  ChunkedDecoder,
  HTTPParseError,
  latin1,
  parseHead,
  parseHeadStrictly,
  type RequestLine,
} from "./_http_parse.ts";
import { RESPONSES } from "./_status.ts";
import {
  countOf,
  direct,
  now,
  serveRequest,
  setOnClose,
  slot,
  valuesOf,
  writeResponse,
} from "./_internal.ts";

export * from "./_status.ts";
export { Headers, type HeadersInit } from "./_headers.ts";
export {
  type ByteRange,
  contentRange,
  datetimeToString,
  httpDate,
  parseRangeHeader,
  stringToDatetime,
} from "./_http_parse.ts";
export { CACHED, HTTPRequest, type IResponseEncoder } from "./_http_request.ts";
export { HTTPFactory } from "./_http_factory.ts";
export type { HTTPFactoryOptions, IChannelRequest, RequestFactory } from "./_http_options.ts";
import type { IChannelRequest, RequestFactory } from "./_http_options.ts";
import type { IDirectResponse } from "./_http_request.ts";
import { H2Connection, type H2cUpgrade, wantsH2cUpgrade } from "./http2/_connection.ts";
import { PREFACE } from "./http2/_frames.ts";
import type { ResolvedH2Options } from "./http2/_settings.ts";

const log = new Logger("tw.web.http");

const enc = new TextEncoder();

// Parser states.
const HEAD = 0;
const BODY_LENGTH = 1;
const BODY_CHUNKED = 2;
const WAIT = 3; // a request is being processed: buffer, do not parse
const CLOSED = 4;
const UPGRADED = 5;

// Bytes the channel keeps while a request is processed (pipelined requests).
// The transport is paused meanwhile, so only a misbehaving transport gets here.
const MAX_PIPELINE_BUFFER = 1 << 20;

/**
 * The HTTP/1.x server protocol (`twisted.web.http.HTTPChannel`).
 * Normally built by `Site` / `HTTPFactory`; its settings are public fields.
 *
 * @example
 * ```ts
 * import { HTTPChannel, HTTPRequest } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * import { StringTransport } from "@tw/core/testing";
 * const channel = new HTTPChannel();
 * channel.clock = new Clock(); // the idle and request timeouts run on it
 * channel.requestFactory = (ch) => new HTTPRequest(ch); // answers 404
 * const transport = new StringTransport();
 * channel.makeConnection(transport);
 * channel.dataReceived(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
 * console.log(transport.valueText().split("\r\n")[0]); // "HTTP/1.1 404 Not Found"
 * ```
 */
export class HTTPChannel extends Protocol {
  /** Makes the request object for each request. Set by the factory. */
  requestFactory: RequestFactory | null = null;
  /** Idle timeout in seconds, or null. @default 60 */
  timeOut: number | null = 60;
  /** Seconds to receive a request's head once it started, or null. @default 60 */
  headerTimeout: number | null = 60;
  /** Request read timeout in seconds, or null. @default 300 */
  requestTimeout: number | null = 300;
  /** Seconds between a timed-out `loseConnection` and the `abortConnection` that follows. @default 15 */
  abortTimeout = 15;
  /** Time source for the timeouts. @default getReactor() (looked up on first use) */
  clock: IReactorTime | null = null;
  /** Longest request line. @default 8192 */
  maxRequestLineLength = 8192;
  /** Largest request head. @default 16384 */
  maxHeaderSize = 16384;
  /** Most header lines. @default 100 */
  maxHeaders = 100;
  /** Largest request body. @default 16 MiB */
  maxRequestBodySize: number = 16 * 1024 * 1024;
  /** The default `Server` header value ("" for none). @default "tw" */
  serverName = "tw";
  /** The site (or other owner) this channel serves; set by the factory. */
  site: unknown = null;
  /** HTTP/2 settings (the factory's), or false: HTTP/1.1 only. @default false */
  http2: ResolvedH2Options | false = false;
  // Watching the first bytes for the h2 preface (prior knowledge).
  #h2Sniff = false;
  #h2cRequest: H2cUpgrade | null = null;
  /**
   * When set, responses go here as values instead of HTTP bytes to the
   * transport (the fetch bridge; see `[serveRequest]`). Internal.
   * @ignore
   */
  [direct]: IDirectResponse | null = null;

  #state = HEAD;
  #buf: Uint8Array | null = null;
  #pos = 0;
  // Head scanning, relative to the head's first byte (kept across reads).
  #scanned = 0;
  #lineStart = 0;
  #lines = 0;
  #processing = false;
  #paused = false;
  #current: IChannelRequest | null = null;
  #method = "";
  #uri = "";
  #version = "";
  #remaining = 0;
  #bodyRead = 0;
  #chunked: ChunkedDecoder | null = null;
  #lastActivity = 0;
  #requestStarted = -1;
  #idleCall: IDelayedCall | null = null;
  #requestCall: IDelayedCall | null = null;
  #abortCall: IDelayedCall | null = null;
  #shuttingDown = false;
  #closed: Deferred<void>[] = [];
  #upgraded: IProtocol | null = null;
  #onClose: ((channel: HTTPChannel) => void) | null = null;
  /**
   * Where its factory lists it among the open channels (internal).
   * @ignore
   */
  [slot]: number = -1;

  /** True once `shutdown()` was called: the current response is the last. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** True while no request is being read or processed. */
  get idle(): boolean {
    return this.#state === HEAD && this.#current === null &&
      (this.#buf === null || this.#pos >= this.#buf.length);
  }

  /**
   * Called by the factory: `fn` runs once when the connection is lost.
   * @ignore
   */
  [setOnClose](fn: (channel: HTTPChannel) => void): void {
    this.#onClose = fn;
  }

  #clock(): IReactorTime {
    return this.clock ??= getReactor();
  }

  /** Starts the idle timeout. */
  override connectionMade(): void {
    // Responses are written whole or in deliberate pieces: Nagle would hold
    // each small piece back for the peer's delayed ACK (~40 ms).
    (this.transport as { setTcpNoDelay?: (on: boolean) => void }).setTcpNoDelay?.(true);
    const h2 = this.http2;
    if (h2 !== false) {
      if ((this.transport as { negotiatedProtocol?: string | null }).negotiatedProtocol === "h2") {
        this.upgrade(new H2Connection(this, h2));
        return;
      }
      // An ALPN h2 client opens with the preface too, should ALPN be known only later.
      this.#h2Sniff = h2.priorKnowledge || this.isSecure();
    }
    if (this.timeOut !== null) {
      this.#lastActivity = this.#clock().seconds();
      this.#idleCall = this.#clock().callLater(this.timeOut, () => this.#idleCheck());
    }
  }

  /** Parses bytes into requests. */
  override dataReceived(data: Uint8Array): void {
    if (this.#upgraded !== null) {
      this.#upgraded.dataReceived(data);
      return;
    }
    if (this.#state === CLOSED) return;
    if (this.#h2Sniff && this.#sniffPreface(data)) return;
    const now = this.#clock().seconds();
    this.#lastActivity = now;
    if (this.#buf === null || this.#pos >= this.#buf.length) {
      this.#buf = data;
      this.#pos = 0;
    } else {
      const rest = this.#buf.length - this.#pos;
      const joined = new Uint8Array(rest + data.length);
      joined.set(this.#buf.subarray(this.#pos), 0);
      joined.set(data, rest);
      this.#buf = joined;
      this.#pos = 0;
    }
    if (this.#state === WAIT) {
      if (this.#buf.length - this.#pos > MAX_PIPELINE_BUFFER) {
        // The transport ignored pauseProducing: stop listening to this peer.
        this.#state = CLOSED;
        this.transport.abortConnection();
      }
      return;
    }
    if (this.#requestStarted < 0) this.#startRequestTimer(now);
    this.#turnTime = now;
    try {
      this.#process();
    } finally {
      this.#turnTime = -1;
    }
  }

  /**
   * At the start of a cleartext connection: true (and the bytes kept, or
   * the connection handed to `H2Connection`) while they match the HTTP/2
   * preface's first line; false once they cannot be it.
   */
  #sniffPreface(data: Uint8Array): boolean {
    const kept = this.#buf !== null && this.#pos < this.#buf.length
      ? this.#buf.subarray(this.#pos)
      : null;
    const have = kept === null ? data : new Uint8Array(kept.length + data.length);
    if (kept !== null) {
      have.set(kept, 0);
      have.set(data, kept.length);
    }
    const line = 16; // "PRI * HTTP/2.0\r\n"
    const n = Math.min(have.length, line);
    for (let i = 0; i < n; i++) {
      if (have[i] !== PREFACE[i]) {
        this.#h2Sniff = false;
        return false;
      }
    }
    this.#buf = have;
    this.#pos = 0;
    if (n < line) return true;
    this.#h2Sniff = false;
    this.upgrade(new H2Connection(this, this.http2 as ResolvedH2Options));
    return true;
  }

  // The time read when the bytes being parsed arrived: responses written
  // while they are processed use it rather than reading the clock again.
  #turnTime = -1;

  /**
   * The time for response headers and activity tracking. Internal.
   * @ignore
   */
  [now](): number {
    return this.#turnTime >= 0 ? this.#turnTime : this.#clock().seconds();
  }

  #process(): void {
    if (this.#processing) return;
    this.#processing = true;
    try {
      for (;;) {
        const state = this.#state;
        if (state === WAIT || state === CLOSED || state === UPGRADED) break;
        const buf = this.#buf;
        if (buf === null) break;
        const pos = this.#pos;
        if (pos >= buf.length) {
          this.#buf = null;
          this.#pos = 0;
          break;
        }
        let next: number;
        if (state === HEAD) next = this.#parseHead(buf, pos);
        else if (state === BODY_LENGTH) next = this.#readLength(buf, pos);
        else next = this.#readChunked(buf, pos);
        if (next < 0) break;
        this.#pos = next;
        if (this.#h2cRequest !== null) {
          const request = this.#h2cRequest;
          this.#h2cRequest = null;
          this.transport.write(enc.encode(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
          ));
          this.upgrade(new H2Connection(this, this.http2 as ResolvedH2Options, request));
          break;
        }
        if (this.#bodyDone) {
          this.#bodyDone = false;
          this.#allContentReceived();
        }
      }
    } catch (e) {
      if (e instanceof HTTPParseError) this.#fail(e.code, e.message);
      else {
        log.failure("Unexpected error in the HTTP parser", e);
        this.#fail(500, "Internal error");
      }
    } finally {
      this.#processing = false;
    }
    if (this.#state === WAIT && !this.#paused) {
      this.#paused = true;
      this.transport.pauseProducing();
    }
  }

  #bodyDone = false;

  #parseHead(buf: Uint8Array, start: number): number {
    const n = buf.length;
    let pos = start;
    if (this.#scanned === 0) {
      // Empty lines before a request line are ignored (RFC 9112 2.2).
      while (pos < n && (buf[pos] === 13 || buf[pos] === 10)) pos++;
      if (pos === n) {
        this.#pos = pos;
        return -1;
      }
      if (pos !== start) {
        this.#pos = pos;
        start = pos;
      }
    }
    if (this.#scanned === 0) {
      // Most heads arrive whole and plain: read in one pass, which also finds
      // the end. Anything else is scanned line by line below.
      const headers = new Headers();
      const head = parseHead(
        buf,
        start,
        Math.min(n, start + this.maxHeaderSize + 1),
        headers,
        this,
      );
      if (head !== null) {
        this.#headParsed(head, headers);
        return head.end;
      }
    }
    let scan = start + this.#scanned;
    let lineStart = start + this.#lineStart;
    for (;;) {
      // By hand: lines are short, and `indexOf` costs a native call on V8.
      let lf = scan;
      while (lf < n && buf[lf] !== 10) lf++;
      if (lf === n) {
        const size = n - start;
        if (this.#lines === 0 && size > this.maxRequestLineLength) {
          throw new HTTPParseError(414, "Request line too long");
        }
        if (size > this.maxHeaderSize) throw new HTTPParseError(431, "Request header too large");
        this.#scanned = size;
        this.#lineStart = lineStart - start;
        return -1;
      }
      if (buf[lf - 1] !== 13 || lf - 1 < lineStart) throw new HTTPParseError(400, "Bare LF");
      if (this.#lines === 0 && lf - start > this.maxRequestLineLength) {
        throw new HTTPParseError(414, "Request line too long");
      }
      if (lf - start > this.maxHeaderSize) {
        throw new HTTPParseError(431, "Request header too large");
      }
      if (lf - 1 === lineStart) {
        // The blank line: the head is complete.
        this.#scanned = 0;
        this.#lineStart = 0;
        this.#lines = 0;
        this.#headReceived(buf, start, lf + 1);
        return lf + 1;
      }
      if (++this.#lines > this.maxHeaders + 1) {
        throw new HTTPParseError(431, "Too many headers");
      }
      lineStart = lf + 1;
      scan = lf + 1;
    }
  }

  // Closures are made in methods of their own, off the per-request path: a
  // function that makes one allocates a scope on every call, even when the
  // branch making it does not run.
  #chunkedDecoder(): ChunkedDecoder {
    return new ChunkedDecoder((data) => this.#onChunk(data));
  }

  #callRequestCheck(seconds: number): IDelayedCall {
    return this.#clock().callLater(seconds, () => this.#requestCheck());
  }

  /** A head scanned line by line: `buf[start, end)`, ending with the blank line. */
  #headReceived(buf: Uint8Array, start: number, end: number): void {
    const headers = new Headers();
    this.#headParsed(
      parseHead(buf, start, end, headers, this) ??
        parseHeadStrictly(latin1(buf, start, end - 4), headers),
      headers,
    );
  }

  /** A head was read: checks its framing headers and starts the request. */
  #headParsed(head: RequestLine, headers: Headers): void {
    const { method, uri, version } = head;
    this.#method = method;
    this.#uri = uri;
    this.#version = version;

    const hosts = headers[countOf]("host");
    if (hosts > 1 || (hosts === 0 && version === "HTTP/1.1")) {
      throw new HTTPParseError(400, "Missing or repeated Host header");
    }
    if (uri === "*" && method !== "OPTIONS") {
      throw new HTTPParseError(400, "Invalid request target");
    }
    const length = bodyLength(headers, version, this.maxRequestBodySize);
    if (length === 0 && this.http2 !== false && this.http2.h2cUpgrade && wantsH2cUpgrade(headers)) {
      // `Upgrade: h2c` (RFC 7540 §3.2), switched to once the head is consumed.
      this.#h2cRequest = { method, uri, headers };
      return;
    }
    const expect = headers[valuesOf]("expect");
    if (expect !== undefined) {
      if (expect.length !== 1 || expect[0].toLowerCase() !== "100-continue") {
        throw new HTTPParseError(417, "Unsupported expectation");
      }
      if (version === "HTTP/1.1" && length !== 0) {
        this.transport.write(enc.encode("HTTP/1.1 100 Continue\r\n\r\n"));
      }
    }
    if (this.requestFactory === null) throw new TypeError("HTTPChannel.requestFactory is not set");
    const request = this.requestFactory(this);
    request.requestHeaders = headers;
    this.#current = request;
    request.gotLength(length);
    this.#bodyRead = 0;
    if (length === null) {
      this.#chunked = this.#chunkedDecoder();
      this.#state = BODY_CHUNKED;
    } else if (length > 0) {
      this.#remaining = length;
      this.#state = BODY_LENGTH;
    } else {
      this.#bodyDone = true;
    }
  }

  #onChunk(data: Uint8Array): void {
    this.#bodyRead += data.length;
    if (this.#bodyRead > this.maxRequestBodySize) {
      throw new HTTPParseError(413, "Request body too large");
    }
    if (data.length > 0) this.#current!.handleContentChunk(data);
  }

  #readLength(buf: Uint8Array, pos: number): number {
    const take = Math.min(this.#remaining, buf.length - pos);
    this.#remaining -= take;
    this.#current!.handleContentChunk(
      take === buf.length && pos === 0 ? buf : buf.subarray(pos, pos + take),
    );
    if (this.#remaining === 0) this.#bodyDone = true;
    return pos + take;
  }

  #readChunked(buf: Uint8Array, pos: number): number {
    const end = this.#chunked!.feed(buf, pos);
    if (end < 0) return buf.length;
    this.#chunked = null;
    this.#bodyDone = true;
    return end;
  }

  #allContentReceived(): void {
    this.#state = WAIT;
    this.#requestStarted = -1;
    const request = this.#current!;
    try {
      request.requestReceived(this.#method, this.#uri, this.#version);
    } catch (e) {
      log.failure("Unhandled error while processing a request", e);
      if (this.#current === request) this.#fail(500, "Internal error");
    }
  }

  /**
   * Serves a request that was not parsed from bytes (the fetch bridge builds
   * it from a fetch `Request`): it becomes the current request, as if its
   * head and whole body had been read, and `requestReceived` runs. The
   * caller sets its headers and body first. Internal.
   * @ignore
   */
  [serveRequest](request: IChannelRequest, method: string, uri: string, version: string): void {
    if (this.#state !== HEAD || this.#current !== null) {
      throw new Error("HTTPChannel cannot serve a request while another is in progress");
    }
    this.#current = request;
    this.#state = WAIT;
    try {
      request.requestReceived(method, uri, version);
    } catch (e) {
      log.failure("Unhandled error while processing a request", e);
      if (this.#current === request) this.#fail(500, "Internal error");
    }
  }

  /**
   * Writes response bytes for the current request (and counts as activity).
   * @ignore
   */
  [writeResponse](data: Uint8Array): void {
    if (this.#state === CLOSED) return;
    if (this.#idleCall !== null) this.#lastActivity = this[now]();
    this.transport.write(data);
  }

  /**
   * Called by the current request once its response is complete.
   * @param request the request that finished
   * @param persistent whether the connection may serve another request
   */
  requestDone(request: IChannelRequest, persistent: boolean): void {
    if (request !== this.#current) return;
    this.#current = null;
    if (this.#state === CLOSED || this.#state === UPGRADED) return;
    if (!persistent || this.#shuttingDown) {
      this.#state = CLOSED;
      this.#cancelTimers();
      this.transport.loseConnection();
      return;
    }
    this.#state = HEAD;
    if (this.#paused) {
      this.#paused = false;
      this.transport.resumeProducing();
    }
    if (this.#buf !== null && this.#pos < this.#buf.length) {
      this.#startRequestTimer(this[now]());
    }
    this.#process();
  }

  /**
   * Hands the connection to another protocol (a WebSocket, a CONNECT tunnel):
   * the channel stops parsing, `protocol.makeConnection(transport)` runs, and
   * bytes already received after the request are delivered to it. The
   * request must have written its response head (e.g. 101) first.
   */
  upgrade(protocol: IProtocol): void {
    if (this.#state === CLOSED) throw new Error("Cannot upgrade a closed HTTP connection");
    this.#state = UPGRADED;
    this.#current = null;
    this.#cancelTimers();
    const rest = this.#buf !== null && this.#pos < this.#buf.length
      ? this.#buf.subarray(this.#pos)
      : null;
    this.#buf = null;
    this.#upgraded = protocol;
    if (this.#paused) {
      this.#paused = false;
      this.transport.resumeProducing();
    }
    protocol.makeConnection(this.transport);
    if (rest !== null) protocol.dataReceived(rest);
  }

  /**
   * Graceful shutdown: the request in progress (if any) is finished and
   * answered with `Connection: close`, then the connection closes; an idle
   * connection closes now. Fires once the connection is closed.
   */
  shutdown(): Deferred<void> {
    const d = new Deferred<void>();
    if (this.#closedFired) {
      d.callback(undefined);
      return d;
    }
    this.#closed.push(d);
    this.#shuttingDown = true;
    if (this.#upgraded !== null) {
      // An upgraded protocol that can say goodbye (WebSocket's 1001) does so.
      const upgraded = this.#upgraded as { goingAway?: () => void };
      if (typeof upgraded.goingAway === "function") upgraded.goingAway();
      else this.transport.loseConnection();
    } else if (this.#current === null && this.#state !== CLOSED) {
      this.#state = CLOSED;
      this.#cancelTimers();
      this.transport.loseConnection();
    }
    return d;
  }

  #closedFired = false;

  #fail(code: number, message: string): void {
    // While a request is processed its response may have started: just close.
    const answer = this.#state !== WAIT;
    this.#current = null;
    this.#state = CLOSED;
    this.#cancelTimers();
    if (answer) {
      const body = enc.encode(`${code} ${RESPONSES[code] ?? "Error"}: ${message}\n`);
      const head = `HTTP/1.1 ${code} ${RESPONSES[code] ?? "Error"}\r\n` +
        `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
        `Connection: close\r\n\r\n`;
      const out = new Uint8Array(head.length + body.length);
      enc.encodeInto(head, out);
      out.set(body, head.length);
      this.transport.write(out);
    }
    this.transport.loseConnection();
  }

  #idleCheck(): void {
    this.#idleCall = null;
    if (this.timeOut === null || (this.#state === CLOSED && this.#upgraded === null)) return;
    const now = this.#clock().seconds();
    const left = this.#lastActivity + this.timeOut - now;
    if (left > 0) {
      this.#idleCall = this.#clock().callLater(left, () => this.#idleCheck());
      return;
    }
    this.#timedOut();
  }

  // One delayed call per connection, checked lazily: starting a request only
  // records the time, so the hot path does not schedule and cancel timers.
  #startRequestTimer(now: number): void {
    const first = this.#deadline(HEAD);
    if (first === null) return;
    this.#requestStarted = now;
    this.#requestCall ??= this.#callRequestCheck(first);
  }

  /** Seconds from a request's first byte that the channel allows in `state`, or null. */
  #deadline(state: number): number | null {
    const whole = this.requestTimeout;
    if (state !== HEAD) return whole;
    const head = this.headerTimeout;
    if (head === null) return whole;
    return whole === null ? head : Math.min(head, whole);
  }

  #requestCheck(): void {
    this.#requestCall = null;
    if (this.#requestStarted < 0) return;
    const state = this.#state;
    if (state !== HEAD && state !== BODY_LENGTH && state !== BODY_CHUNKED) return;
    const allowed = this.#deadline(state);
    if (allowed === null) return;
    const left = this.#requestStarted + allowed - this.#clock().seconds();
    if (left > 0) {
      this.#requestCall = this.#callRequestCheck(left);
      return;
    }
    this.#fail(408, state === HEAD ? "Request head timed out" : "Request timed out");
    this.#armAbort();
  }

  #timedOut(): void {
    log.info("Timing out idle HTTP connection from {peer}", { peer: this.transport.getPeer() });
    this.#state = CLOSED;
    this.#cancelTimers();
    this.transport.loseConnection();
    this.#armAbort();
  }

  #armAbort(): void {
    if (this.#closedFired || this.#abortCall !== null) return;
    this.#abortCall = this.#clock().callLater(this.abortTimeout, () => {
      this.#abortCall = null;
      this.transport.abortConnection();
    });
  }

  #cancelTimers(): void {
    if (this.#idleCall !== null) {
      this.#idleCall.cancel();
      this.#idleCall = null;
    }
    if (this.#requestCall !== null) {
      this.#requestCall.cancel();
      this.#requestCall = null;
    }
  }

  /** Tells the request in progress (if any) and stops the timers. */
  override connectionLost(reason: Failure): void {
    this.#state = CLOSED;
    this.#cancelTimers();
    if (this.#abortCall !== null) {
      this.#abortCall.cancel();
      this.#abortCall = null;
    }
    this.#buf = null;
    const current = this.#current;
    this.#current = null;
    try {
      if (this.#upgraded !== null) this.#upgraded.connectionLost(reason);
      else if (current !== null) current.connectionLost(reason);
    } finally {
      this.#closedFired = true;
      const waiting = this.#closed;
      this.#closed = [];
      for (const d of waiting) d.callback(undefined);
      this.#onClose?.(this);
      this.#onClose = null;
    }
  }

  /** The peer's address. */
  getPeer(): Address {
    return this.transport.getPeer();
  }

  /** This side's address. */
  getHost(): Address {
    return this.transport.getHost();
  }

  /** True when the transport is TLS (it has `secure: true` or `TLS: true`). */
  isSecure(): boolean {
    const t = this.transport as ITransport & { secure?: boolean; TLS?: boolean };
    return t.secure === true || t.TLS === true;
  }
}
