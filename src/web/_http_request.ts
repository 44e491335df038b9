/**
 * The HTTP-level request (`twisted.web.http.Request`): what was asked
 * (method, uri, headers, body, arguments, cookies) and the response framing
 * (status, headers, Content-Length or chunked, keep-alive, HEAD, conditional
 * GET). `server.ts`'s `Request` adds the resource tree on top.
 * Re-exported by `http.ts` as `HTTPRequest`.
 *
 * @module
 */
import { Deferred } from "../internet/defer.ts";
import { ConnectionLost } from "../internet/error.ts";
import type { Failure } from "../internet/failure.ts";
import type { IPullProducer, IPushProducer } from "../internet/interfaces.ts";
import type { Address } from "../internet/address.ts";
import { concatBytes } from "../internet/_bytes.ts";
import { Headers } from "./_headers.ts";
import {
  type Args,
  type CookieOptions,
  formatCookie,
  headerParam,
  type MultipartPart,
  parseCookies,
  parseMultipart,
  parseUrlEncoded,
} from "./_forms.ts";
import { datetimeToString, httpDate, HTTPParseError, stringToDatetime } from "./_http_parse.ts";
import { RESPONSES } from "./_status.ts";
import {
  frameChunk,
  headStart,
  isAscii,
  sanitizeValue,
  smallResponse,
  statusLine,
} from "./_head_bytes.ts";
import type { HTTPChannel, IChannelRequest } from "./http.ts";
import {
  direct,
  encoder,
  hasLower,
  now,
  sendText,
  serialize,
  setOne,
  trailersOf,
  valuesOf,
  writeResponse,
} from "./_internal.ts";

export type { Args, CookieOptions, MultipartPart } from "./_forms.ts";

/** Returned by `setETag` / `setLastModified` when the client's copy is current. */
export const CACHED: unique symbol = Symbol("CACHED");

/**
 * Transforms a response body (gzip ...): see `GzipEncoderFactory`. The
 * encoder writes its output with `request.writeEncoded`.
 */
export interface IResponseEncoder {
  /** Takes body bytes. */
  encode(data: Uint8Array): void;
  /** Flushes the rest; fires once everything was written. */
  finish(): Promise<void>;
}

/**
 * Where a request's response goes when its channel was not fed bytes (the
 * fetch bridge, `channel[direct]`): the head as values and the body as it
 * is written, with no HTTP framing in between. Internal to src/web.
 */
export interface IDirectResponse {
  /**
   * The head is final (`request.code`, `code_message`, `responseHeaders`);
   * `body` is the first body bytes (empty for a bodyless response).
   */
  sendHead(request: HTTPRequest, body: Uint8Array | string, noBody: boolean): void;
  /** More body bytes (after encoding). */
  sendBody(data: Uint8Array): void;
}

const enc = new TextEncoder();
const EMPTY = new Uint8Array(0);
const CRLF = enc.encode("\r\n");
const LAST_CHUNK = enc.encode("0\r\n\r\n");
// Response bodies at most this large are copied next to their framing so that
// one transport write carries them; larger ones go as separate writes.
const COALESCE = 16384;

/**
 * One HTTP request and its response. Created by the channel for each request;
 * `process()` is called once the whole body has been read.
 *
 * @example
 * ```ts
 * import { HTTPChannel, HTTPRequest } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * import { StringTransport } from "@tw/core/testing";
 * class Hello extends HTTPRequest {
 *   override process(): void {
 *     this.setHeader("content-type", "text/plain");
 *     this.write(`Hello, ${this.getHeader("user-agent")}`);
 *     this.finish();
 *   }
 * }
 * const channel = new HTTPChannel();
 * channel.clock = new Clock();
 * channel.requestFactory = (ch) => new Hello(ch);
 * const transport = new StringTransport();
 * channel.makeConnection(transport);
 * const head = "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: me\r\n\r\n";
 * channel.dataReceived(new TextEncoder().encode(head));
 * console.log(transport.valueText().includes("Hello, me")); // true
 * ```
 */
export class HTTPRequest implements IChannelRequest {
  /** The channel this request arrived on; null once the connection is lost. */
  channel: HTTPChannel | null;
  /** The method ("GET", "POST" ...). */
  method = "";
  /** The request-target as sent (path and query). */
  uri = "";
  /** The path part of `uri` (no query), still percent-encoded. */
  path = "";
  /** "HTTP/1.1" or "HTTP/1.0" (`clientproto`). */
  clientproto = "";
  /** The response headers. */
  responseHeaders: Headers = new Headers();
  /** The response status. @default 200 */
  code = 200;
  /** The response reason phrase. @default "OK" */
  code_message = "OK";
  /** True once the response head has been written. */
  startedWriting = false;
  /** True once `finish()` ran. */
  finished = false;
  /** True once the connection was lost before the response finished. */
  disconnected = false;
  /** Bytes of response body written so far (after encoding). */
  sentLength = 0;
  /**
   * The encoder the body goes through (set by `EncodingResourceWrapper`), or null.
   * @ignore
   */
  [encoder]: IResponseEncoder | null = null;

  // Made on first use: most requests need none of these.
  #args: Args | null = null;
  #files: MultipartPart[] | null = null;
  #requestHeaders: Headers | null = null;
  #responseTrailers: Headers | null = null;
  #requestTrailers: Headers | null = null;
  #chunks: Uint8Array[] | null = null;
  #content: Uint8Array | null = null;
  #length: number | null = 0;
  #cookies: Map<string, string> | null = null;
  #chunkedOut = false;
  #persistent = false;
  #noBody = false;
  #notify: Deferred<null>[] | null = null;
  #producer: IPushProducer | IPullProducer | null = null;
  #lastModified: number | null = null;
  #finishing = false;

  /**
   * Made by the channel's request factory.
   * @param channel the connection
   */
  constructor(channel: HTTPChannel | null) {
    this.channel = channel;
  }

  /** Arguments from the query string and url-encoded or multipart bodies. */
  get args(): Args {
    return this.#args ??= {};
  }
  set args(value: Args) {
    this.#args = value;
  }

  /** The parts of a multipart/form-data body (file uploads with their names and types). */
  get files(): MultipartPart[] {
    return this.#files ??= [];
  }
  set files(value: MultipartPart[]) {
    this.#files = value;
  }

  /**
   * Response trailers, sent after the body: on HTTP/2 always, on HTTP/1.1
   * when the response is chunked and the request said `TE: trailers`.
   */
  get responseTrailers(): Headers {
    return this.#responseTrailers ??= new Headers();
  }
  set responseTrailers(value: Headers) {
    this.#responseTrailers = value;
  }

  /** Trailers the client sent after the body (HTTP/2), or empty. */
  get requestTrailers(): Headers {
    return this.#requestTrailers ??= new Headers();
  }
  set requestTrailers(value: Headers) {
    this.#requestTrailers = value;
  }

  /**
   * The response trailers when any were set, else null (internal).
   * @ignore
   */
  [trailersOf](): Headers | null {
    const t = this.#responseTrailers;
    return t === null || t.getAllRawHeaders().next().done === true ? null : t;
  }

  /** The request headers (set by the channel). */
  get requestHeaders(): Headers {
    return this.#requestHeaders ??= new Headers();
  }
  set requestHeaders(value: Headers) {
    this.#requestHeaders = value;
  }

  /** True once `finish()` was called (the response may still be flushing through an encoder). */
  get finishCalled(): boolean {
    return this.finished || this.#finishing;
  }

  // ---- the channel's calls --------------------------------------------------

  /** The body's length (null: chunked). */
  gotLength(length: number | null): void {
    this.#length = length;
  }

  /** Keeps a piece of the body. Override to stream bodies elsewhere. */
  handleContentChunk(data: Uint8Array): void {
    (this.#chunks ??= []).push(data);
  }

  /**
   * The whole request is in: parses the target, arguments and body forms,
   * then calls `process()`. A malformed form body gets 400.
   */
  requestReceived(method: string, uri: string, version: string): void {
    this.method = method;
    this.uri = uri;
    this.clientproto = version;
    const q = uri.indexOf("?");
    let path = q < 0 ? uri : uri.slice(0, q);
    if (path.charCodeAt(0) !== 47 && path !== "*") {
      // absolute-form (a proxy request): keep the path of the URL.
      const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*(\/.*)?$/.exec(path);
      path = m === null ? path : (m[1] ?? "/");
    }
    this.path = path;
    try {
      if (q >= 0) parseUrlEncoded(uri.slice(q + 1), this.args);
      this.#parseBodyArgs();
    } catch (e) {
      if (!(e instanceof HTTPParseError)) throw e;
      this.setResponseCode(400);
      this.setHeader("content-type", "text/plain; charset=utf-8");
      const body = enc.encode(`Bad Request: ${e.message}\n`);
      this.setHeader("content-length", String(body.length));
      this.#persistent = false;
      this.responseHeaders.setRawHeaders("connection", ["close"]);
      this.write(body);
      this.finish();
      return;
    }
    this.process();
  }

  #parseBodyArgs(): void {
    if (this.#chunks === null || this.#chunks.length === 0) return;
    const ctype = this.requestHeaders.getLast("content-type");
    if (ctype === null) return;
    const lower = ctype.toLowerCase();
    if (lower.startsWith("application/x-www-form-urlencoded")) {
      parseUrlEncoded(new TextDecoder().decode(this.content), this.args);
    } else if (lower.startsWith("multipart/form-data")) {
      const boundary = headerParam(ctype, "boundary");
      if (boundary === null) throw new HTTPParseError(400, "Multipart body without boundary");
      const utf8 = new TextDecoder();
      for (const part of parseMultipart(this.content, boundary)) {
        this.files.push(part);
        const list = this.args[part.name];
        const value = utf8.decode(part.data);
        if (list === undefined) this.args[part.name] = [value];
        else list.push(value);
      }
    }
  }

  /** Handles the request (override); the default answers 404. */
  process(): void {
    this.setResponseCode(404);
    this.finish();
  }

  /** The connection went away: fails `notifyFinish()` waiters. */
  connectionLost(reason: Failure): void {
    this.disconnected = true;
    this.channel = null;
    const waiting = this.#notify ?? [];
    this.#notify = null;
    for (const d of waiting) {
      d.errback(
        reason.check(ConnectionLost) ? reason : new ConnectionLost(reason.getErrorMessage()),
      );
    }
  }

  // ---- what was asked ---------------------------------------------------------

  /** The request body (all of it). */
  get content(): Uint8Array {
    if (this.#content === null) {
      const chunks = this.#chunks ?? [];
      if (chunks.length === 0) this.#content = EMPTY;
      else this.#content = concatBytes(chunks);
      this.#chunks = this.#content.length === 0 ? [] : [this.#content];
    }
    return this.#content;
  }

  /** The request body as a `ReadableStream` (a fresh stream over the bytes). */
  contentStream(): ReadableStream<Uint8Array> {
    const body = this.content;
    return new ReadableStream<Uint8Array>({
      start(controller): void {
        if (body.length > 0) controller.enqueue(body);
        controller.close();
      },
    });
  }

  /** The declared body length (null when it was chunked). */
  get contentLength(): number | null {
    return this.#length;
  }

  /** The last value of request header `name`, or null (`getHeader`). */
  getHeader(name: string): string | null {
    return this.requestHeaders.getLast(name);
  }

  /** Every request header as name -> last value (`getAllHeaders`). */
  getAllHeaders(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, values] of this.requestHeaders.getAllRawHeaders()) {
      out[name.toLowerCase()] = values[values.length - 1];
    }
    return out;
  }

  /** The value of cookie `name` sent by the client, or null. */
  getCookie(name: string): string | null {
    if (this.#cookies === null) {
      this.#cookies = new Map();
      for (const header of this.requestHeaders[valuesOf]("cookie") ?? []) {
        parseCookies(header, this.#cookies);
      }
    }
    return this.#cookies.get(name) ?? null;
  }

  /** The client's address (`getClientAddress`). */
  getClientAddress(): Address | null {
    return this.channel?.getPeer() ?? null;
  }

  /** This server's address. */
  getHost(): Address | null {
    return this.channel?.getHost() ?? null;
  }

  /** The host name the client asked for (the Host header without port, or the local address). */
  getRequestHostname(): string {
    const host = this.getHeader("host");
    if (host !== null) {
      if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
      const colon = host.indexOf(":");
      return colon < 0 ? host : host.slice(0, colon);
    }
    const addr = this.getHost() as { host?: string } | null;
    return addr?.host ?? "";
  }

  /** True when the request came over TLS. */
  isSecure(): boolean {
    return this.channel?.isSecure() ?? false;
  }

  // ---- the response -------------------------------------------------------

  /** Sets the status and, optionally, the reason phrase. */
  setResponseCode(code: number, message?: string): void {
    if (!Number.isInteger(code) || code < 100 || code > 999) {
      throw new RangeError(`Invalid HTTP status code: ${code}`);
    }
    this.code = code;
    this.code_message = message !== undefined
      ? message.replace(/[\r\n]/g, " ")
      : (RESPONSES[code] ?? "Unknown Status");
  }

  /** Sets response header `name` (replacing it); CR and LF in the value become spaces. */
  setHeader(name: string, value: string | number): void {
    this.responseHeaders[setOne](name, sanitizeValue(String(value)));
  }

  /** Appends a Set-Cookie header. */
  addCookie(name: string, value: string, options: CookieOptions = {}): void {
    this.responseHeaders.addRawHeader("Set-Cookie", formatCookie(name, value, options));
  }

  /** Redirects to `url` (302 Found with Location). */
  redirect(url: string): void {
    this.setResponseCode(302);
    this.setHeader("location", url);
  }

  /**
   * Sets the ETag; returns `CACHED` (and status 304, or 412 for a method other
   * than GET/HEAD) when If-None-Match matches, so the body can be skipped.
   */
  setETag(etag: string): typeof CACHED | null {
    this.setHeader("etag", etag);
    const inm = this.getHeader("if-none-match");
    if (inm === null) return null;
    const wanted = stripWeak(etag);
    const matches = inm.trim() === "*" ||
      inm.split(",").some((tag) => stripWeak(tag.trim()) === wanted);
    if (!matches) return null;
    this.setResponseCode(this.method === "GET" || this.method === "HEAD" ? 304 : 412);
    return CACHED;
  }

  /**
   * Sets Last-Modified (the latest of the calls); returns `CACHED` (status 304)
   * when If-Modified-Since is at least as recent on a GET or HEAD.
   * @param when seconds since the epoch, or a Date
   */
  setLastModified(when: number | Date): typeof CACHED | null {
    const seconds = Math.floor(typeof when === "number" ? when : when.getTime() / 1000);
    if (this.#lastModified === null || seconds > this.#lastModified) {
      this.#lastModified = seconds;
      this.setHeader("last-modified", datetimeToString(seconds));
    }
    if (this.method !== "GET" && this.method !== "HEAD") return null;
    if (this.getHeader("if-none-match") !== null) return null;
    const ims = this.getHeader("if-modified-since");
    if (ims === null) return null;
    const since = stringToDatetime(ims);
    if (since === null || since < this.#lastModified) return null;
    this.setResponseCode(304);
    return CACHED;
  }

  /**
   * Writes body bytes (a string is sent as UTF-8); the head goes out with
   * the first write. Bodies of HEAD, 204 and 304 responses are discarded.
   * @throws {Error} after `finish()`
   */
  write(data: Uint8Array | string): void {
    if (this.finished || this.#finishing) {
      throw new Error("Request.write called on a request after Request.finish was called");
    }
    if (
      typeof data === "string" && !this.startedWriting && this[encoder] === null &&
      data.length <= COALESCE && isAscii(data)
    ) {
      // A small ASCII text as the first write goes straight into the head's
      // buffer: no separate encoding.
      const channel = this.channel;
      if (channel !== null && channel[direct] === null) {
        this.#writeHead(channel, EMPTY, false, data);
        return;
      }
    }
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    if (this[encoder] !== null && !this.#noBodyNow()) {
      if (bytes.length > 0) this[encoder].encode(bytes);
      return;
    }
    this.writeEncoded(bytes);
  }

  #noBodyNow(): boolean {
    const c = this.code;
    return this.method === "HEAD" || c === 204 || c === 304 || (c >= 100 && c < 200);
  }

  /**
   * Writes body bytes that are already content-encoded, with the response
   * framing (the head first, then chunks or raw bytes): what an
   * `IResponseEncoder` calls with its output. `write` goes through the
   * encoder, when there is one, and then here.
   */
  writeEncoded(data: Uint8Array): void {
    const channel = this.channel;
    if (channel === null) return;
    if (!this.startedWriting) {
      this.#writeHead(channel, data, false, null);
      return;
    }
    if (this.#noBody || data.length === 0) return;
    this.sentLength += data.length;
    const to = channel[direct];
    if (to !== null) to.sendBody(data);
    else if (!this.#chunkedOut) channel[writeResponse](data);
    else if (data.length <= COALESCE) channel[writeResponse](frameChunk(data));
    else {
      channel[writeResponse](enc.encode(data.length.toString(16) + "\r\n"));
      channel[writeResponse](data);
      channel[writeResponse](CRLF);
    }
  }

  /**
   * Writes the head, with `body` in the same transport write when small.
   * `last`: the response ends here, so an unset length is `body`'s length.
   * `text`, if not null, is the body instead of `body` (ASCII; never for a direct channel).
   */
  #writeHead(channel: HTTPChannel, body: Uint8Array, last: boolean, text: string | null): void {
    this.startedWriting = true;
    const h = this.responseHeaders;
    const code = this.code;
    const noBody = this.#noBodyNow();
    this.#noBody = noBody;
    const v11 = this.clientproto === "HTTP/1.1";
    if (this[encoder] !== null) {
      if (!noBody) h.removeHeader("content-length");
      // An encoded body is not byte-identical to the resource's: its validator
      // becomes weak (RFC 9110 8.8.3), as nginx does when it gzips.
      const etags = h.getRawHeaders("etag");
      if (etags?.length === 1 && !etags[0].startsWith("W/")) {
        h.setRawHeaders("ETag", [`W/${etags[0]}`]);
      }
    }
    const to = channel[direct];
    if (to !== null) {
      // No framing, no connection management and no Server or Date header:
      // the native server in front does all of that.
      this.#chunkedOut = false;
      this.#persistent = false;
      if (!noBody && code !== 204 && !h[hasLower]("content-type")) {
        h.setRawHeaders("Content-Type", ["text/html"]);
      }
      const send = noBody ? EMPTY : body;
      this.sentLength += send.length;
      to.sendHead(this, send, noBody);
      return;
    }
    let hasLength = h[hasLower]("content-length");
    if (!hasLength && last && !noBody) {
      h.setRawHeaders("Content-Length", [String(text !== null ? text.length : body.length)]);
      hasLength = true;
    }
    const chunked = !noBody && !hasLength && v11 && code >= 200;
    this.#chunkedOut = chunked;
    if (chunked) h.setRawHeaders("Transfer-Encoding", ["chunked"]);
    // Keep-alive: HTTP/1.1 unless asked otherwise; HTTP/1.0 only when asked
    // and the response is self-delimiting.
    const conn = this.requestHeaders[valuesOf]("connection");
    const respConns = h[valuesOf]("connection");
    const respConn = respConns === undefined ? null : respConns[respConns.length - 1];
    let persistent: boolean;
    if (conn === undefined) persistent = v11;
    else {
      const tokens = conn.join(",").toLowerCase();
      if (v11) persistent = !/(^|[\s,])close($|[\s,])/.test(tokens);
      else persistent = /(^|[\s,])keep-alive($|[\s,])/.test(tokens) && (hasLength || noBody);
    }
    if (respConn !== null && respConn.toLowerCase() === "close") persistent = false;
    if (channel.shuttingDown) persistent = false;
    if (!v11 && !hasLength && !noBody) persistent = false;
    this.#persistent = persistent;
    if (!persistent && respConn === null) h.setRawHeaders("Connection", ["close"]);
    else if (persistent && !v11 && respConn === null) h.setRawHeaders("Connection", ["Keep-Alive"]);

    const sendText = noBody ? null : text;
    const send = noBody || text !== null ? EMPTY : body;
    const sendLength = sendText !== null ? sendText.length : send.length;
    this.sentLength += sendLength;
    const chunkSize = chunked && sendLength > 0 ? sendLength.toString(16) : "";
    const defaultType = !noBody && code !== 204 && !h[hasLower]("content-type");
    const needsDate = !h[hasLower]("date");
    const needsServer = channel.serverName !== "" && !h[hasLower]("server");
    if (sendLength <= COALESCE) {
      // The usual head: its fixed lines are cached bytes (see _head_bytes.ts),
      // written with a small body in one transport write.
      const start = headStart(
        v11,
        code,
        this.code_message,
        needsDate ? channel[now]() : null,
        needsServer ? channel.serverName : "",
      );
      const out = start === null
        ? null
        : smallResponse(start, defaultType, h, chunkSize, sendText, send);
      if (out !== null) {
        channel[writeResponse](out);
        return;
      }
    }
    // Any head (a custom reason phrase, HTTP/1.0, characters above ASCII, a
    // large body): as a string, encoded as UTF-8.
    let head = statusLine(v11, code, this.code_message);
    if (needsDate) head += "Date: " + httpDate(channel[now]()) + "\r\n";
    if (needsServer) head += "Server: " + channel.serverName + "\r\n";
    if (defaultType) head += "Content-Type: text/html\r\n";
    head += h[serialize]() + "\r\n";
    if (chunkSize !== "") head += chunkSize + "\r\n";
    // A small body still goes in the same write (text is always small).
    const tail = chunked && sendLength > 0 ? "\r\n" : "";
    if (sendText !== null || send.length === 0) {
      channel[writeResponse](enc.encode(sendText === null ? head : head + sendText + tail));
    } else if (send.length <= COALESCE) {
      channel[writeResponse](concatBytes([enc.encode(head), send, chunked ? CRLF : EMPTY]));
    } else {
      channel[writeResponse](enc.encode(head));
      channel[writeResponse](send);
      if (chunked) channel[writeResponse](CRLF);
    }
  }

  /**
   * Sends `text` as the whole body to a direct channel (the fetch bridge),
   * which gives it to the runtime as a string: no UTF-8 copy here. False,
   * and nothing done, when that does not apply (a socket, an encoder, a
   * HEAD or bodyless response, a body already started); `finish()` follows.
   * @ignore
   */
  [sendText](text: string): boolean {
    const to = this.channel?.[direct];
    if (
      to == null || this[encoder] !== null || this.startedWriting || this.finishCalled ||
      this.#noBodyNow()
    ) return false;
    this.startedWriting = true;
    this.#noBody = false;
    this.#chunkedOut = false;
    this.#persistent = false;
    const h = this.responseHeaders;
    if (this.code !== 204 && !h[hasLower]("content-type")) {
      h.setRawHeaders("Content-Type", ["text/html"]);
    }
    this.sentLength += text.length;
    to.sendHead(this, text, false);
    return true;
  }

  /**
   * Ends the response: writes the head if nothing was written yet (with
   * Content-Length: 0), the last chunk, and tells the channel.
   * @throws {Error} when called twice, or after the connection was lost
   */
  finish(): void {
    if (this.disconnected) {
      throw new Error(
        "Request.finish called on a request after its connection was lost; " +
          "use Request.notifyFinish to keep track of this",
      );
    }
    if (this.finished || this.#finishing) {
      throw new Error("Request.finish called on a finished request");
    }
    const bodyEncoder = this[encoder];
    if (bodyEncoder !== null && !this.#noBodyNow()) {
      this.#finishEncoded(bodyEncoder);
      return;
    }
    this.#finishNow();
  }

  /**
   * Finishes once the encoder flushed its last bytes. A method of its own:
   * its closures would make every `finish()` allocate a scope.
   */
  #finishEncoded(bodyEncoder: IResponseEncoder): void {
    this.#finishing = true;
    bodyEncoder.finish().then(
      () => this.#finishNow(),
      () => {
        this.#finishing = false;
        this.finished = true;
        this.channel?.transport.abortConnection();
      },
    );
  }

  #finishNow(): void {
    this.#finishing = false;
    const channel = this.channel;
    if (this.disconnected || channel === null) {
      this.finished = true;
      return;
    }
    if (!this.startedWriting) this.#writeHead(channel, EMPTY, true, null);
    else if (this.#chunkedOut) channel[writeResponse](this.#lastChunk());
    this.finished = true;
    if (this.#producer !== null) this.unregisterProducer();
    // The access log (Twisted's `channel.factory.log(request)`, as `Site.log`).
    const site = channel.site as { log?: (request: HTTPRequest) => void } | null;
    if (typeof site?.log === "function") site.log(this);
    channel.requestDone(this, this.#persistent);
    const waiting = this.#notify;
    this.#notify = null;
    if (waiting !== null) { for (const d of waiting) d.callback(null); }
  }

  /** The last chunk, with the trailers when the client accepts them (`TE: trailers`). */
  #lastChunk(): Uint8Array {
    const trailers = this[trailersOf]();
    if (trailers === null) return LAST_CHUNK;
    const te = (this.requestHeaders[valuesOf]("te") ?? []).join(",").toLowerCase();
    if (!/(^|[\s,])trailers($|[\s,;])/.test(te)) return LAST_CHUNK;
    return enc.encode("0\r\n" + trailers[serialize]() + "\r\n");
  }

  /**
   * A Deferred that fires with null when the response is finished, or fails
   * with `ConnectionLost` when the client goes away first.
   */
  notifyFinish(): Deferred<null> {
    const d = new Deferred<null>();
    if (this.finished) d.callback(null);
    else if (this.disconnected) {
      d.errback(new ConnectionLost("Connection lost before the response was finished"));
    } else (this.#notify ??= []).push(d);
    return d;
  }

  /**
   * Registers a producer for the response body: it is paused and resumed by
   * the transport's write buffer (streaming), or asked for more (pull).
   */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.#producer !== null) {
      throw new Error(`Cannot register producer ${producer}: one is already registered`);
    }
    const channel = this.channel;
    if (channel === null) {
      producer.stopProducing();
      return;
    }
    this.#producer = producer;
    channel.transport.registerProducer(producer, streaming);
  }

  /** Unregisters the producer. */
  unregisterProducer(): void {
    if (this.#producer === null) return;
    this.#producer = null;
    this.channel?.transport.unregisterProducer();
  }

  /**
   * Sends the head (normally a 101 set by the caller) and hands the
   * connection to `protocol` (WebSocket, tunnels): see `HTTPChannel.upgrade`.
   */
  upgrade(protocol: import("../internet/interfaces.ts").IProtocol): void {
    const channel = this.channel;
    if (channel === null) throw new Error("Cannot upgrade: the connection is gone");
    this.#noBody = true;
    let head = "HTTP/1.1 " + this.code + " " + this.code_message + "\r\n";
    head += this.responseHeaders[serialize]() + "\r\n";
    this.startedWriting = true;
    this.finished = true;
    channel[writeResponse](enc.encode(head));
    channel.upgrade(protocol);
  }
}

function stripWeak(tag: string): string {
  return tag.startsWith("W/") ? tag.slice(2) : tag;
}
