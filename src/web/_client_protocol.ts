/**
 * The HTTP/1.1 client protocol (`twisted.web._newclient`): `ClientRequest`
 * (what to send) and `HTTP11ClientProtocol`, which writes one request at a
 * time on a connection and parses its response. Private to src/web;
 * client.ts re-exports them.
 *
 * @module
 */
import { CancelledError, Deferred } from "../internet/defer.ts";
import { Failure } from "../internet/failure.ts";
import { ConnectionDone } from "../internet/error.ts";
import type { IConsumer, IPushProducer } from "../internet/interfaces.ts";
import { Protocol } from "../internet/protocol.ts";
import type { Address } from "../internet/address.ts";
import { Logger } from "../logger/mod.ts";
import { Headers } from "./_headers.ts";
import { frameChunk } from "./_head_bytes.ts";
import {
  ChunkedDecoder,
  HTTPParseError,
  latin1,
  parseContentLength,
  parseHeaderLine,
} from "./_http_parse.ts";
import { type IBodyProducer, UNKNOWN_LENGTH } from "./_client_body.ts";
import {
  ParseError,
  PotentialDataLoss,
  RequestGenerationFailed,
  RequestNotSent,
  RequestTransmissionFailed,
  ResponseDone,
  ResponseFailed,
  ResponseNeverReceived,
  WrongBodyLength,
} from "./_client_errors.ts";
import { type BodyFlow, type RequestInfo, Response } from "./_client_response.ts";
import { bodyDataFinished, bodyDataReceived, serialize } from "./_internal.ts";

const log = new Logger("tw.web.client");
const enc = new TextEncoder();

// Methods whose requests carry `Content-Length: 0` when they have no body.
const EXPECTS_BODY = new Set(["PATCH", "POST", "PUT"]);
// Field values may hold HTAB and visible characters, never CR, LF or NUL.
// deno-lint-ignore no-control-regex
const BAD_FIELD = /[\x00-\x08\x0a-\x1f\x7f]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A request-target: visible ASCII only.
const BAD_TARGET = /[^\x21-\x7e]/;

/**
 * A request to send on a connection (`twisted.web._newclient.Request`).
 * `uri` is the request-target as written on the request line ("/path?q",
 * or an absolute URI through a proxy).
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const request = new ClientRequest("GET", "/index.html", new Headers({ Host: "example.com" }));
 * console.log(request.absoluteURI); // "http://example.com/index.html"
 * const transport = new StringTransport();
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(transport);
 * protocol.request(request);
 * console.log(transport.valueText());
 * // "GET /index.html HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
 * ```
 */
export class ClientRequest implements RequestInfo {
  /** The method. */
  readonly method: string;
  /** The request-target. */
  readonly uri: string;
  /** The headers (Host included). */
  readonly headers: Headers;
  /** The body, or null. */
  readonly bodyProducer: IBodyProducer | null;
  /** Whether the connection may be kept for another request. */
  readonly persistent: boolean;
  /** The absolute URI, for redirects and cookies. */
  readonly absoluteURI: string;

  /**
   * Makes a request.
   * @param method the method
   * @param uri the request-target
   * @param headers the headers
   * @param bodyProducer the body, or null
   * @param persistent keep the connection afterwards
   * @param absoluteURI the full URI (defaults to `http://` + Host + uri)
   */
  constructor(
    method: string,
    uri: string,
    headers: Headers,
    bodyProducer: IBodyProducer | null = null,
    persistent = false,
    absoluteURI?: string,
  ) {
    this.method = method;
    this.uri = uri;
    this.headers = headers;
    this.bodyProducer = bodyProducer;
    this.persistent = persistent;
    this.absoluteURI = absoluteURI ??
      (uri.startsWith("/") ? `http://${headers.getLast("host") ?? ""}${uri}` : uri);
  }
}

/**
 * The head of `request`, validated.
 * @throws {TypeError} on a character that would break framing
 */
function requestHead(request: ClientRequest): Uint8Array {
  if (!TOKEN.test(request.method)) throw new TypeError(`Invalid HTTP method: ${request.method}`);
  if (request.uri.length === 0 || BAD_TARGET.test(request.uri)) {
    throw new TypeError(`Invalid request target: ${JSON.stringify(request.uri)}`);
  }
  const h = request.headers.copy();
  h.removeHeader("content-length");
  h.removeHeader("transfer-encoding");
  for (const [name, value] of h) {
    if (!TOKEN.test(name)) throw new TypeError(`Invalid header name: ${JSON.stringify(name)}`);
    if (BAD_FIELD.test(value)) {
      throw new TypeError(`Invalid character in header ${name}: ${JSON.stringify(value)}`);
    }
  }
  if (!request.persistent && !h.hasHeader("connection")) h.setRawHeaders("Connection", ["close"]);
  const body = request.bodyProducer;
  if (body !== null) {
    if (body.length === UNKNOWN_LENGTH) h.setRawHeaders("Transfer-Encoding", ["chunked"]);
    else h.setRawHeaders("Content-Length", [String(body.length)]);
  } else if (EXPECTS_BODY.has(request.method)) {
    h.setRawHeaders("Content-Length", ["0"]);
  }
  return enc.encode(`${request.method} ${request.uri} HTTP/1.1\r\n${h[serialize]()}\r\n`);
}

/** Limits of `HTTP11ClientProtocol`'s response parser. */
export interface HTTP11ClientProtocolOptions {
  /** Longest status or header line, in bytes. @default 16384 */
  maxLineLength?: number;
  /** Largest response head (status line and headers), in bytes. @default 65536 */
  maxHeaderSize?: number;
  /** Most header lines. @default 500 */
  maxHeaders?: number;
}

/** The states of `HTTP11ClientProtocol`, with Twisted's names. */
export type ClientProtocolState =
  | "QUIESCENT"
  | "TRANSMITTING"
  | "TRANSMITTING_AFTER_RECEIVING_RESPONSE"
  | "GENERATION_FAILED"
  | "WAITING"
  | "ABORTING"
  | "CONNECTION_LOST";

// Parser phases.
const P_HEAD = 0;
const P_LENGTH = 1;
const P_CHUNKED = 2;
const P_UNTIL_CLOSE = 3;
const P_DONE = 4;

const MAX_INTERIM = 100;

/**
 * The HTTP/1.1 client protocol (`HTTP11ClientProtocol`): one request at a
 * time. `request()` writes it (head, then the body from its producer, with
 * Content-Length or chunked) and fires with the `Response` once its head
 * arrives (1xx interim responses are skipped); the body streams to the
 * response. When the response allows it, the connection goes back to
 * `QUIESCENT` and `quiescentCallback` hands it to the pool; otherwise it is
 * closed. Any bad response fails with `ResponseFailed` and closes the
 * connection; nothing is thrown at the transport.
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const protocol = new HTTP11ClientProtocol((p) => console.log("reusable", p.state));
 * protocol.makeConnection(new StringTransport());
 * const headers = new Headers({ Host: "example.com" });
 * const request = new ClientRequest("GET", "/", headers, null, true); // keep the connection
 * const d = protocol.request(request);
 * console.log(protocol.state); // "WAITING"
 * protocol.dataReceived(new TextEncoder().encode("HTTP/1.1 204 No Content\r\n\r\n"));
 * // "reusable" "QUIESCENT"
 * console.log((await d).code); // 204
 * ```
 */
export class HTTP11ClientProtocol extends Protocol {
  /** Called each time the connection becomes reusable. */
  quiescentCallback: ((protocol: HTTP11ClientProtocol) => void) | null;
  /** Called once when the connection is lost (the pool forgets it). */
  onConnectionLost: ((protocol: HTTP11ClientProtocol) => void) | null = null;
  #maxLine: number;
  #maxHead: number;
  #maxHeaders: number;

  #state: ClientProtocolState = "QUIESCENT";
  #request: ClientRequest | null = null;
  #responseD: Deferred<Response> | null = null;
  #response: Response | null = null;
  #requestWritten = false;
  #responseEnded = false;
  #lostReason: Failure | null = null;
  #abortWaiters: Deferred<void>[] = [];
  #producerProxy: IPushProducer | null = null;

  // Parser.
  #phase = P_HEAD;
  #buf: Uint8Array | null = null;
  #scanned = 0;
  #headLines: string[] = [];
  #headSize = 0;
  #everReceived = false;
  #interim = 0;
  #remaining = 0;
  #chunked: ChunkedDecoder | null = null;
  #persistent = false;
  #version: [string, number, number] = ["HTTP", 1, 1];

  /**
   * Makes the protocol.
   * @param quiescentCallback called when the connection can take another request
   * @param options parser limits
   */
  constructor(
    quiescentCallback: ((protocol: HTTP11ClientProtocol) => void) | null = null,
    options: HTTP11ClientProtocolOptions = {},
  ) {
    super();
    this.quiescentCallback = quiescentCallback;
    this.#maxLine = options.maxLineLength ?? 16384;
    this.#maxHead = options.maxHeaderSize ?? 65536;
    this.#maxHeaders = options.maxHeaders ?? 500;
  }

  /** The protocol's state (Twisted's names). */
  get state(): ClientProtocolState {
    return this.#state;
  }

  /**
   * Sends `request`; fires with the response once its head arrived.
   * Fails with `RequestNotSent` when a request is in progress or the
   * connection is gone, `RequestGenerationFailed` when the body producer
   * failed, `RequestTransmissionFailed` or `ResponseNeverReceived` when the
   * connection was lost, `ResponseFailed` on a bad response. Cancelling it
   * aborts the connection (`ResponseNeverReceived` with a `CancelledError`).
   */
  request(request: ClientRequest): Deferred<Response> {
    if (this.#state !== "QUIESCENT") {
      const d = new Deferred<Response>();
      d.errback(new RequestNotSent());
      return d;
    }
    let head: Uint8Array;
    try {
      head = requestHead(request);
    } catch (error) {
      const d = new Deferred<Response>();
      d.errback(new RequestGenerationFailed([error]));
      return d;
    }
    this.#state = "TRANSMITTING";
    this.#request = request;
    this.#requestWritten = false;
    this.#responseEnded = false;
    this.#response = null;
    this.#resetParser();
    const d = new Deferred<Response>(() => this.#cancel());
    this.#responseD = d;
    const body = request.bodyProducer;
    if (body === null) {
      this.transport.write(head);
      this.#finishWriting();
    } else {
      // The head goes out with the body's first piece when that comes at
      // once: one segment, not two (Nagle would hold the second).
      this.#pendingHead = head;
      this.#writeBody(body);
      this.#flushHead();
    }
    return d;
  }

  #pendingHead: Uint8Array | null = null;

  #flushHead(): void {
    const head = this.#pendingHead;
    if (head === null) return;
    this.#pendingHead = null;
    if (this.#state !== "CONNECTION_LOST") this.transport.write(head);
  }

  /** Writes `data`, after the head when it is still held back. */
  #send(data: Uint8Array): void {
    const head = this.#pendingHead;
    if (head === null) {
      this.transport.write(data);
      return;
    }
    this.#pendingHead = null;
    if (data.length > 16384) {
      this.transport.write(head);
      this.transport.write(data);
      return;
    }
    const out = new Uint8Array(head.length + data.length);
    out.set(head, 0);
    out.set(data, head.length);
    this.transport.write(out);
  }

  /** Makes small writes go out at once (as Node's own HTTP client does). */
  override connectionMade(): void {
    const t = this.transport as { setTcpNoDelay?: (on: boolean) => void };
    try {
      t.setTcpNoDelay?.(true);
    } catch {
      // Not a TCP transport.
    }
  }

  #writeBody(body: IBodyProducer): void {
    const transport = this.transport;
    const known = body.length !== UNKNOWN_LENGTH ? body.length : -1;
    let written = 0;
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      this.#producerProxy = null;
      transport.unregisterProducer();
      body.stopProducing();
      this.#generationFailed(error);
    };
    const consumer: IConsumer = {
      write: (data: Uint8Array): void => {
        if (failed || this.#producerProxy === null) return;
        if (data.length === 0) return;
        if (known >= 0) {
          written += data.length;
          if (written > known) {
            fail(new WrongBodyLength(`The body producer wrote more than ${known} bytes`));
            return;
          }
          this.#send(data);
        } else if (data.length <= 16384) {
          this.#send(frameChunk(data));
        } else {
          this.#send(enc.encode(data.length.toString(16) + "\r\n"));
          transport.write(data);
          transport.write(CRLF);
        }
      },
      registerProducer(): void {},
      unregisterProducer(): void {},
    };
    const proxy: IPushProducer = {
      pauseProducing: () => body.pauseProducing(),
      resumeProducing: () => body.resumeProducing(),
      stopProducing: () => body.stopProducing(),
    };
    this.#producerProxy = proxy;
    transport.registerProducer(proxy, true);
    let started: Deferred<void>;
    try {
      started = body.startProducing(consumer);
    } catch (error) {
      fail(error);
      return;
    }
    started.addCallbacks(() => {
      if (failed || this.#producerProxy !== proxy) return null;
      if (known >= 0 && written !== known) {
        fail(new WrongBodyLength(`The body producer wrote ${written} of ${known} bytes`));
        return null;
      }
      this.#producerProxy = null;
      transport.unregisterProducer();
      if (known < 0) this.#send(LAST_CHUNK);
      else this.#flushHead();
      this.#finishWriting();
      return null;
    }, (f: Failure) => {
      if (this.#producerProxy === proxy) fail(f);
      return null;
    });
  }

  #generationFailed(error: unknown): void {
    this.#pendingHead = null;
    if (this.#state === "CONNECTION_LOST") return;
    this.#state = "GENERATION_FAILED";
    const d = this.#responseD;
    this.#responseD = null;
    this.transport.abortConnection();
    if (d !== null) d.errback(new RequestGenerationFailed([error]));
  }

  #finishWriting(): void {
    this.#requestWritten = true;
    if (this.#state === "TRANSMITTING") this.#state = "WAITING";
    else if (this.#state === "TRANSMITTING_AFTER_RECEIVING_RESPONSE") this.#afterResponse();
  }

  #cancel(): void {
    const d = this.#responseD;
    this.#responseD = null;
    this.#stopBody();
    if (this.#state !== "CONNECTION_LOST") {
      this.#state = "ABORTING";
      this.transport.abortConnection();
    }
    d?.errback(new ResponseNeverReceived([new CancelledError()]));
  }

  #stopBody(): void {
    const proxy = this.#producerProxy;
    if (proxy === null) return;
    this.#producerProxy = null;
    this.transport.unregisterProducer();
    proxy.stopProducing();
  }

  /** Closes the connection at once; fires once it is closed (`abort()`). */
  abort(): Deferred<void> {
    const d = new Deferred<void>();
    if (this.#state === "CONNECTION_LOST") {
      d.callback(undefined);
      return d;
    }
    this.#abortWaiters.push(d);
    this.#state = "ABORTING";
    this.transport.abortConnection();
    return d;
  }

  // ---- parsing ----------------------------------------------------------------

  #resetParser(): void {
    this.#phase = P_HEAD;
    this.#scanned = 0;
    this.#headLines = [];
    this.#headSize = 0;
    this.#everReceived = false;
    this.#interim = 0;
    this.#chunked = null;
    this.#remaining = 0;
  }

  /** Parses response bytes. */
  override dataReceived(data: Uint8Array): void {
    if (this.#request === null || this.#phase === P_DONE) {
      if (this.#state === "QUIESCENT" || this.#phase === P_DONE) {
        // Bytes nobody asked for: the connection cannot be trusted any more.
        log.warn("Unexpected data from an HTTP server: closing the connection");
        this.#state = "ABORTING";
        this.transport.abortConnection();
      }
      return;
    }
    this.#everReceived = true;
    if (this.#buf === null || this.#buf.length === 0) this.#buf = data;
    else {
      const joined = new Uint8Array(this.#buf.length + data.length);
      joined.set(this.#buf, 0);
      joined.set(data, this.#buf.length);
      this.#buf = joined;
    }
    try {
      this.#parse();
    } catch (error) {
      this.#badResponse(error);
    }
  }

  #parse(): void {
    while (this.#buf !== null && this.#buf.length > 0) {
      const buf = this.#buf;
      switch (this.#phase) {
        case P_HEAD: {
          if (!this.#parseHead(buf)) return;
          break;
        }
        case P_LENGTH: {
          const take = Math.min(this.#remaining, buf.length);
          this.#remaining -= take;
          this.#buf = take === buf.length ? null : buf.subarray(take);
          this.#response![bodyDataReceived](take === buf.length ? buf : buf.subarray(0, take));
          if (this.#remaining === 0) this.#bodyEnded();
          break;
        }
        case P_CHUNKED: {
          let end: number;
          try {
            end = this.#chunked!.feed(buf, 0);
          } catch (e) {
            throw e instanceof HTTPParseError
              ? new ParseError(`Bad chunked body: ${e.message}`)
              : e;
          }
          if (end < 0) {
            this.#buf = null;
            return;
          }
          this.#buf = end === buf.length ? null : buf.subarray(end);
          this.#bodyEnded();
          break;
        }
        case P_UNTIL_CLOSE:
          this.#buf = null;
          this.#response![bodyDataReceived](buf);
          break;
        default:
          // P_DONE with bytes left over: the server sent more than one response.
          this.#buf = null;
          this.#persistent = false;
          if (this.#state === "QUIESCENT") {
            this.#state = "ABORTING";
            this.transport.abortConnection();
          }
          return;
      }
      if (this.#state === "CONNECTION_LOST" || this.#state === "ABORTING") return;
    }
  }

  // Reads header lines; returns false when more bytes are needed.
  #parseHead(buf: Uint8Array): boolean {
    let start = 0;
    for (;;) {
      const lf = buf.indexOf(10, start + this.#scanned);
      if (lf < 0) {
        const partial = buf.length - start;
        if (partial > this.#maxLine) throw new ParseError("Response header line too long");
        if (this.#headSize + partial > this.#maxHead) {
          throw new ParseError("Response head too large");
        }
        this.#scanned = partial;
        this.#buf = start === 0 ? buf : buf.subarray(start);
        return false;
      }
      this.#scanned = 0;
      const end = lf > start && buf[lf - 1] === 13 ? lf - 1 : lf;
      if (lf - start > this.#maxLine) throw new ParseError("Response header line too long");
      this.#headSize += lf + 1 - start;
      if (this.#headSize > this.#maxHead) throw new ParseError("Response head too large");
      const line = latin1(buf, start, end);
      start = lf + 1;
      if (line.length === 0) {
        if (this.#headLines.length === 0) continue; // stray blank lines before a status line
        this.#buf = start === buf.length ? null : buf.subarray(start);
        this.#headReceived();
        return true;
      }
      const c0 = line.charCodeAt(0);
      if ((c0 === 0x20 || c0 === 0x09) && this.#headLines.length > 1) {
        // obs-fold: a user agent replaces it with a space (RFC 9112 5.2).
        this.#headLines[this.#headLines.length - 1] += " " + line.trim();
        continue;
      }
      if (this.#headLines.length > this.#maxHeaders) throw new ParseError("Too many headers");
      this.#headLines.push(line);
    }
  }

  #headReceived(): void {
    const lines = this.#headLines;
    this.#headLines = [];
    this.#headSize = 0;
    const m = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (m === null) throw new ParseError("Bad status line", lines[0]);
    const version: [string, number, number] = ["HTTP", Number(m[1]), Number(m[2])];
    if (version[1] !== 1) throw new ParseError("Unsupported HTTP version", lines[0]);
    const code = Number(m[3]);
    const phrase = m[4] ?? "";
    const headers = new Headers();
    for (let i = 1; i < lines.length; i++) {
      let name: string;
      let value: string;
      try {
        [name, value] = parseHeaderLine(lines[i]);
      } catch (e) {
        throw e instanceof HTTPParseError ? new ParseError(e.message, lines[i]) : e;
      }
      headers.addRawHeader(name, value);
    }
    if (code >= 100 && code < 200 && code !== 101) {
      // Interim responses (100 Continue, 103 Early Hints) are skipped.
      if (++this.#interim > MAX_INTERIM) throw new ParseError("Too many interim responses");
      return;
    }
    const request = this.#request!;
    const connection = (headers.getRawHeaders("connection") ?? []).join(",").toLowerCase()
      .split(",").map((s) => s.trim());
    let persistent = request.persistent && !connection.includes("close") &&
      (version[2] >= 1 || connection.includes("keep-alive"));
    let length: number | typeof UNKNOWN_LENGTH;
    const te = headers.getRawHeaders("transfer-encoding");
    const cl = headers.getRawHeaders("content-length");
    if (request.method === "HEAD" || code === 204 || code === 304 || code === 101) {
      length = 0;
      this.#phase = P_DONE;
      if (code === 101) persistent = false;
    } else if (te !== undefined) {
      const codings = te.join(",").split(",").map((s) => s.trim().toLowerCase()).filter((s) =>
        s !== ""
      );
      length = UNKNOWN_LENGTH;
      if (codings[codings.length - 1] === "chunked") {
        this.#phase = P_CHUNKED;
        this.#chunked = new ChunkedDecoder(this.#onChunk);
      } else {
        this.#phase = P_UNTIL_CLOSE;
        persistent = false;
      }
      // Both framings at once: smuggling territory, never reuse the connection.
      if (cl !== undefined) persistent = false;
    } else if (cl !== undefined) {
      try {
        length = parseContentLength(cl);
      } catch {
        throw new ParseError("Invalid Content-Length", cl.join(", "));
      }
      this.#remaining = length;
      this.#phase = length === 0 ? P_DONE : P_LENGTH;
    } else {
      length = UNKNOWN_LENGTH;
      this.#phase = P_UNTIL_CLOSE;
      persistent = false;
    }
    this.#persistent = persistent;
    this.#version = version;
    const response = new Response(version, code, phrase, headers, length, this.#flow, request);
    this.#response = response;
    const d = this.#responseD;
    this.#responseD = null;
    if (this.#phase === P_DONE) {
      d?.callback(response);
      this.#bodyEnded();
    } else {
      d?.callback(response);
    }
  }

  #onChunk = (data: Uint8Array): void => {
    if (data.length > 0) this.#response![bodyDataReceived](data);
  };

  #flow: BodyFlow = {
    pauseProducing: () => this.transport.pauseProducing(),
    resumeProducing: () => this.transport.resumeProducing(),
    stopProducing: () => {
      if (this.#state === "CONNECTION_LOST") return;
      this.#state = "ABORTING";
      this.transport.abortConnection();
    },
    getPeer: (): Address => this.transport.getPeer(),
    getHost: (): Address => this.transport.getHost(),
  };

  #bodyEnded(): void {
    this.#phase = P_DONE;
    this.#responseEnded = true;
    if (this.#state === "TRANSMITTING") {
      // The whole response came before the whole request: finish writing
      // is pointless, and the connection cannot be reused.
      this.#state = "TRANSMITTING_AFTER_RECEIVING_RESPONSE";
      this.#persistent = false;
      this.#stopBody();
      this.#afterResponse();
      return;
    }
    if (this.#state === "WAITING") this.#afterResponse();
  }

  // The response is complete (and the request written, or abandoned).
  #afterResponse(): void {
    const response = this.#response!;
    this.#request = null;
    this.#response = null;
    const leftover = this.#buf !== null && this.#buf.length > 0;
    this.#buf = null;
    if (this.#persistent && !leftover && this.#requestWritten) {
      this.#state = "QUIESCENT";
      this.transport.resumeProducing();
      try {
        this.quiescentCallback?.(this);
      } catch (error) {
        log.failure("Error in the quiescent callback", error);
        this.transport.loseConnection();
      }
    } else {
      this.#state = "ABORTING";
      this.transport.loseConnection();
    }
    response[bodyDataFinished](new Failure(new ResponseDone()));
  }

  #badResponse(error: unknown): void {
    const f = new Failure(error);
    if (!f.check(ParseError)) log.failure("Unexpected error while parsing a response", f);
    this.#buf = null;
    this.#phase = P_DONE;
    this.#stopBody();
    const d = this.#responseD;
    this.#responseD = null;
    const response = this.#response;
    this.#response = null;
    this.#request = null;
    if (this.#state !== "CONNECTION_LOST") {
      this.#state = "ABORTING";
      this.transport.abortConnection();
    }
    if (d !== null) d.errback(new ResponseFailed([f]));
    if (response !== null) {
      response[bodyDataFinished](new Failure(new ResponseFailed([f], response)));
    }
  }

  /** Fails whatever was in progress with the reason. */
  override connectionLost(reason: Failure): void {
    const previous = this.#state;
    this.#state = "CONNECTION_LOST";
    this.#lostReason = reason;
    this.#stopBody();
    const d = this.#responseD;
    this.#responseD = null;
    const response = this.#response;
    this.#response = null;
    const phase = this.#phase;
    this.#phase = P_DONE;
    this.#request = null;
    this.#buf = null;
    try {
      if (d !== null) {
        if (previous === "TRANSMITTING") d.errback(new RequestTransmissionFailed([reason]));
        else if (this.#everReceived) d.errback(new ResponseFailed([reason]));
        else d.errback(new ResponseNeverReceived([reason]));
      }
      if (response !== null && !this.#responseEnded) {
        if (phase === P_UNTIL_CLOSE && reason.check(ConnectionDone)) {
          response[bodyDataFinished](new Failure(new PotentialDataLoss()));
        } else {
          response[bodyDataFinished](
            new Failure(
              new ResponseFailed([reason, new ParseError("The body was cut short")], response),
            ),
          );
        }
      }
    } finally {
      const waiters = this.#abortWaiters;
      this.#abortWaiters = [];
      for (const w of waiters) w.callback(undefined);
      this.onConnectionLost?.(this);
    }
  }

  /** Why the connection was lost, once it was. */
  get lostReason(): Failure | null {
    return this.#lostReason;
  }

  /** The version of the last response head. */
  get lastVersion(): [string, number, number] {
    return this.#version;
  }
}

const CRLF = new Uint8Array([13, 10]);

const LAST_CHUNK = enc.encode("0\r\n\r\n");
