/**
 * One request of `H2ClientProtocol`: its header list (pseudo-headers first),
 * the request body from its producer under the stream's send window, the
 * response head, body and trailers, and the receive window, which reopens
 * only as the response's consumer reads.
 *
 * @module
 */
import { CancelledError, Deferred } from "../../internet/defer.ts";
import { Failure } from "../../internet/failure.ts";
import { ConnectionAborted } from "../../internet/error.ts";
import type { IConsumer, IPushProducer } from "../../internet/interfaces.ts";
import type { Address } from "../../internet/address.ts";
import { Headers } from "../_headers.ts";
import { RESPONSES } from "../_status.ts";
import { type BodyLength, UNKNOWN_LENGTH } from "../_client_body.ts";
import type { ClientRequest } from "../_client_protocol.ts";
import {
  ParseError,
  RequestGenerationFailed,
  RequestNotSent,
  RequestTransmissionFailed,
  ResponseDone,
  ResponseFailed,
  ResponseNeverReceived,
  WrongBodyLength,
} from "../_client_errors.ts";
import { type BodyFlow, Response } from "../_client_response.ts";
import { bodyDataFinished, bodyDataReceived } from "../_internal.ts";
import { dataFrame, ErrorCode, errorName, H2Error } from "./_frames.ts";
import type { HeaderField } from "./_hpack.ts";
import { ReceiveWindow, SendWindow } from "./_flow.ts";

/** What a client stream needs from its connection. */
export interface H2ClientStreamOwner {
  /** Sends the header block of `stream` (HEADERS and CONTINUATIONs). */
  sendHeaders(stream: H2ClientStream, fields: HeaderField[], endStream: boolean): void;
  /** `stream` has body bytes (or its end) to send: flush under the windows. */
  wantsFlush(stream: H2ClientStream): void;
  /** Gives `n` bytes of the stream's receive window back (WINDOW_UPDATE). */
  windowUpdate(stream: H2ClientStream, increment: number): void;
  /** Sends RST_STREAM with `code` and forgets the stream. */
  resetStream(stream: H2ClientStream, code: number): void;
  /** The stream is over on both sides: forget it. */
  streamDone(stream: H2ClientStream): void;
  /** The peer's address. */
  getPeer(): Address;
  /** This side's address. */
  getHost(): Address;
}

/**
 * Why an HTTP/2 request failed that the server did not process (its stream
 * was above a GOAWAY's last stream id, or reset with REFUSED_STREAM): it
 * comes wrapped in `ResponseNeverReceived`, which a pool retries for
 * idempotent requests.
 *
 * @example
 * ```ts
 * import { ResponseNeverReceived, shouldRetry, StreamRefused } from "@tw/core/web";
 * import { Failure } from "@tw/core";
 * const error = new ResponseNeverReceived([new Failure(new StreamRefused("GOAWAY"))]);
 * console.log(shouldRetry("GET", error, false)); // true
 * ```
 */
export class StreamRefused extends Error {
  /** "StreamRefused". */
  override name = "StreamRefused";
}

// Methods whose requests carry `content-length: 0` when they have no body.
const EXPECTS_BODY = new Set(["PATCH", "POST", "PUT"]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// deno-lint-ignore no-control-regex
const BAD_VALUE = /[\x00\x0a\x0d]/;
const BAD_TARGET = /[^\x21-\x7e]/;
// Connection-specific fields, never sent or accepted on HTTP/2 (RFC 9113 §8.2.2).
const CONNECTION_FIELDS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);
// Body bytes queued before the body producer is paused.
const HIGH_WATER = 65536;
// 1xx responses skipped before giving up.
const MAX_INTERIM = 100;

/**
 * The HTTP/2 header list of `request` (pseudo-headers first).
 * @throws {TypeError} on a method, target, name or value HTTP/2 cannot carry
 */
export function requestFields(request: ClientRequest): HeaderField[] {
  if (!TOKEN.test(request.method)) throw new TypeError(`Invalid HTTP method: ${request.method}`);
  let path = request.uri;
  let scheme = "https";
  let authority = request.headers.getLast("host") ?? "";
  try {
    const u = new URL(request.absoluteURI);
    scheme = u.protocol.slice(0, -1);
    if (authority === "") authority = u.host;
    if (!path.startsWith("/") && path !== "*") path = u.pathname + u.search;
  } catch {
    // A relative absoluteURI: keep the defaults.
  }
  if (path.length === 0 || BAD_TARGET.test(path)) {
    throw new TypeError(`Invalid request target: ${JSON.stringify(path)}`);
  }
  if (BAD_VALUE.test(authority) || authority.includes(" ")) {
    throw new TypeError(`Invalid authority: ${JSON.stringify(authority)}`);
  }
  const fields: HeaderField[] = [
    [":method", request.method],
    [":scheme", scheme],
    [":authority", authority],
    [":path", path],
  ];
  for (const [name, value] of request.headers) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) throw new TypeError(`Invalid header name: ${JSON.stringify(name)}`);
    if (BAD_VALUE.test(value)) {
      throw new TypeError(`Invalid character in header ${name}: ${JSON.stringify(value)}`);
    }
    if (lower === "host" || lower === "content-length" || CONNECTION_FIELDS.has(lower)) continue;
    if (lower === "te" && value.trim().toLowerCase() !== "trailers") continue;
    fields.push([lower, value]);
  }
  const body = request.bodyProducer;
  if (body !== null) {
    if (body.length !== UNKNOWN_LENGTH) fields.push(["content-length", String(body.length)]);
  } else if (EXPECTS_BODY.has(request.method)) fields.push(["content-length", "0"]);
  return fields;
}

/** The states of a client stream. */
type Phase = "queued" | "open" | "done";

/**
 * One request/response exchange on an HTTP/2 connection. Made by
 * `H2ClientProtocol.request`; started once the server's stream limit lets it.
 */
export class H2ClientStream {
  /** The stream id (0 while queued). */
  id = 0;
  /** The request. */
  readonly request: ClientRequest;
  /** Fires with the response (or fails). */
  readonly deferred: Deferred<Response>;
  /** What the server lets us send. */
  sendWindow: SendWindow;
  /** What we let the server send. */
  readonly receiveWindow: ReceiveWindow;
  /** Body bytes waiting for window. */
  pending: Uint8Array[] = [];
  /** Their total. */
  pendingBytes = 0;
  /** The body producer finished: END_STREAM follows the pending bytes. */
  bodyDone = false;
  /** END_STREAM was sent. */
  localClosed = false;
  /** END_STREAM was received. */
  remoteClosed = false;
  #owner: H2ClientStreamOwner;
  #phase: Phase = "queued";
  #response: Response | null = null;
  #interim = 0;
  #expected = -1;
  #received = 0;
  #consumerPaused = false;
  #held = 0;
  #producer: IPushProducer | null = null;
  #producerPaused = false;
  #headOnly: boolean;

  /**
   * Makes the stream.
   * @param owner the connection
   * @param request what to send
   * @param sendWindow the server's initial stream window
   * @param receiveWindow our initial stream window
   */
  constructor(
    owner: H2ClientStreamOwner,
    request: ClientRequest,
    sendWindow: number,
    receiveWindow: number,
  ) {
    this.#owner = owner;
    this.request = request;
    this.sendWindow = new SendWindow(sendWindow);
    this.receiveWindow = new ReceiveWindow(receiveWindow);
    this.#headOnly = request.method === "HEAD";
    this.deferred = new Deferred<Response>(() => this.#cancel());
  }

  /** Whether the stream was started and has not ended. */
  get open(): boolean {
    return this.#phase === "open";
  }

  /** The response, once its head arrived. */
  get response(): Response | null {
    return this.#response;
  }

  /** Sends the head and starts the body; `fields` were checked by the caller. */
  start(id: number, fields: HeaderField[]): void {
    this.id = id;
    this.#phase = "open";
    const body = this.request.bodyProducer;
    this.#owner.sendHeaders(this, fields, body === null);
    if (body === null) {
      this.localClosed = true;
      return;
    }
    const known = body.length !== UNKNOWN_LENGTH ? body.length : -1;
    let written = 0;
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed || this.#phase !== "open") return;
      failed = true;
      this.#producer = null;
      body.stopProducing();
      this.#phase = "done";
      this.#owner.resetStream(this, ErrorCode.CANCEL);
      this.#finish(new RequestGenerationFailed([error]), null);
    };
    const consumer: IConsumer = {
      write: (data: Uint8Array): void => {
        if (failed || this.#producer === null || data.length === 0) return;
        written += data.length;
        if (known >= 0 && written > known) {
          fail(new WrongBodyLength(`The body producer wrote more than ${known} bytes`));
          return;
        }
        this.pending.push(data);
        this.pendingBytes += data.length;
        if (this.pendingBytes > HIGH_WATER && !this.#producerPaused) {
          this.#producerPaused = true;
          body.pauseProducing();
        }
        this.#owner.wantsFlush(this);
      },
      registerProducer(): void {},
      unregisterProducer(): void {},
    };
    this.#producer = body;
    let started: Deferred<void>;
    try {
      started = body.startProducing(consumer);
    } catch (error) {
      fail(error);
      return;
    }
    started.addCallbacks(() => {
      if (failed || this.#producer !== body) return null;
      if (known >= 0 && written !== known) {
        fail(new WrongBodyLength(`The body producer wrote ${written} of ${known} bytes`));
        return null;
      }
      this.#producer = null;
      this.bodyDone = true;
      this.#owner.wantsFlush(this);
      return null;
    }, (f: Failure) => {
      if (this.#producer === body) fail(f);
      return null;
    });
  }

  /** Takes up to `max` pending body bytes (after a flush, the producer may resume). */
  takePending(max: number): Uint8Array {
    const first = this.pending[0];
    let piece: Uint8Array;
    if (first.length <= max) {
      piece = first;
      this.pending.shift();
    } else {
      piece = first.subarray(0, max);
      this.pending[0] = first.subarray(max);
    }
    this.pendingBytes -= piece.length;
    return piece;
  }

  /** The connection wrote what it could: resume the producer below the mark. */
  drained(): void {
    if (this.#producerPaused && this.pendingBytes <= HIGH_WATER / 2) {
      this.#producerPaused = false;
      this.#producer?.resumeProducing();
    }
  }

  /** The END_STREAM of our side went out. */
  sentEnd(): void {
    this.localClosed = true;
    if (this.remoteClosed) this.#done();
  }

  /**
   * A complete header block arrived for this stream.
   * @throws {H2Error} (this stream) on a malformed response
   */
  headers(fields: HeaderField[], endStream: boolean): void {
    if (this.#response !== null) {
      // Trailers.
      if (!endStream) throw this.#malformed("HEADERS after the response head without END_STREAM");
      const trailers = this.#response.trailers;
      for (const [name, value] of fields) {
        if (name.startsWith(":")) throw this.#malformed("Pseudo-header in trailers");
        this.#checkField(name, value);
        trailers.addRawHeader(name, value);
      }
      this.#end();
      return;
    }
    let status = "";
    const headers = new Headers();
    let regular = false;
    for (const [name, value] of fields) {
      if (name.startsWith(":")) {
        if (regular || name !== ":status" || status !== "") {
          throw this.#malformed(`Unexpected pseudo-header ${name}`);
        }
        status = value;
        continue;
      }
      regular = true;
      this.#checkField(name, value);
      headers.addRawHeader(name, value);
    }
    if (!/^[1-9]\d\d$/.test(status)) throw this.#malformed("Missing or bad :status");
    const code = Number(status);
    if (code < 200) {
      if (code === 101 || endStream) throw this.#malformed(`Status ${code} on HTTP/2`);
      if (++this.#interim > MAX_INTERIM) throw this.#malformed("Too many interim responses");
      return;
    }
    let length: BodyLength = UNKNOWN_LENGTH;
    const cl = headers.getRawHeaders("content-length");
    if (cl !== undefined) {
      const values = new Set(cl.join(",").split(",").map((s) => s.trim()));
      const [only] = values;
      if (values.size !== 1 || !/^\d{1,15}$/.test(only)) {
        throw this.#malformed("Bad content-length");
      }
      this.#expected = Number(only);
      length = this.#expected;
    }
    if (this.#headOnly || code === 204 || code === 304) {
      length = 0;
      this.#expected = -1;
    }
    const flow: BodyFlow = {
      pauseProducing: () => {
        this.#consumerPaused = true;
      },
      resumeProducing: () => {
        this.#consumerPaused = false;
        const held = this.#held;
        this.#held = 0;
        if (held > 0) this.#consumed(held);
      },
      stopProducing: () => {
        if (this.#phase !== "open") return;
        this.#stopBody();
        this.#phase = "done";
        this.#owner.resetStream(this, ErrorCode.CANCEL);
        const f = new Failure(new ConnectionAborted());
        this.#finish(null, new ResponseFailed([f], this.#response!));
      },
      getPeer: () => this.#owner.getPeer(),
      getHost: () => this.#owner.getHost(),
    };
    const response = new Response(
      ["HTTP", 2, 0],
      code,
      RESPONSES[code] ?? "",
      headers,
      length,
      flow,
      this.request,
    );
    this.#response = response;
    this.deferred.callback(response);
    if (endStream) this.#end();
  }

  #checkField(name: string, value: string): void {
    if (!TOKEN.test(name) || name !== name.toLowerCase()) {
      throw this.#malformed(`Bad header name ${JSON.stringify(name)}`);
    }
    if (BAD_VALUE.test(value)) throw this.#malformed(`Bad value of ${name}`);
    if (CONNECTION_FIELDS.has(name)) throw this.#malformed(`Connection-specific field ${name}`);
  }

  #malformed(message: string): H2Error {
    return new H2Error(ErrorCode.PROTOCOL_ERROR, message, this.id);
  }

  /**
   * DATA for this stream (`flowLength`, its whole payload, already counted
   * against the receive window).
   * @throws {H2Error} (this stream) on DATA before the head or past content-length
   */
  data(data: Uint8Array, flowLength: number, endStream: boolean): void {
    const response = this.#response;
    if (response === null) throw this.#malformed("DATA before the response head");
    if (flowLength > data.length) this.#consumed(flowLength - data.length); // padding
    if (data.length > 0) {
      this.#received += data.length;
      if (this.#expected >= 0 && this.#received > this.#expected) {
        throw this.#malformed("More body than content-length");
      }
      if (this.#consumerPaused) this.#held += data.length;
      else this.#consumed(data.length);
      response[bodyDataReceived](data);
    }
    if (endStream && this.#phase === "open") this.#end();
  }

  #consumed(n: number): void {
    if (this.remoteClosed || this.#phase !== "open") return;
    const increment = this.receiveWindow.consumed(n);
    if (increment > 0) this.#owner.windowUpdate(this, increment);
  }

  // END_STREAM from the server.
  #end(): void {
    if (this.#expected >= 0 && this.#received !== this.#expected) {
      throw this.#malformed(`Body of ${this.#received} bytes, content-length ${this.#expected}`);
    }
    this.remoteClosed = true;
    const response = this.#response!;
    if (!this.localClosed) {
      // The whole response before the whole request: stop sending (§8.1).
      this.#stopBody();
      this.#phase = "done";
      this.#owner.resetStream(this, ErrorCode.NO_ERROR);
    } else this.#done();
    response[bodyDataFinished](new Failure(new ResponseDone()));
  }

  #done(): void {
    if (this.#phase === "done") return;
    this.#phase = "done";
    this.#owner.streamDone(this);
  }

  #stopBody(): void {
    const producer = this.#producer;
    this.#producer = null;
    this.pending = [];
    this.pendingBytes = 0;
    producer?.stopProducing();
  }

  /** The server reset the stream. */
  reset(code: number): void {
    const error = new H2Error(code, `Stream reset by the server (${errorName(code)})`, this.id);
    if (code === ErrorCode.REFUSED_STREAM && this.#response === null) {
      this.fail(new StreamRefused(error.message), true);
      return;
    }
    if (code === ErrorCode.NO_ERROR && this.remoteClosed) return;
    this.fail(error, false);
  }

  /**
   * Ends the stream with `reason` (the connection went, a GOAWAY, a reset):
   * a request the server never processed (`unprocessed`) fails with
   * `ResponseNeverReceived`, the retryable kind.
   */
  fail(reason: unknown, unprocessed: boolean): void {
    if (this.#phase === "done") return;
    const f = reason instanceof Failure ? reason : new Failure(reason);
    const wasQueued = this.#phase === "queued";
    const transmitting = !this.localClosed;
    this.#stopBody();
    this.#phase = "done";
    if (!wasQueued) this.#owner.streamDone(this);
    if (wasQueued) {
      this.#finish(new RequestNotSent(), null);
      return;
    }
    const response = this.#response;
    if (response === null) {
      let error: Error;
      // A reset or a malformed head is the server's answer; silence is not.
      const answered = this.#interim > 0 || f.check(H2Error) !== null;
      if (unprocessed) error = new ResponseNeverReceived([f]);
      else if (transmitting) error = new RequestTransmissionFailed([f]);
      else if (answered) error = new ResponseFailed([f]);
      else error = new ResponseNeverReceived([f]);
      this.#finish(error, null);
    } else {
      this.#finish(
        null,
        new ResponseFailed([f, new ParseError("The body was cut short")], response),
      );
    }
  }

  // Fails the Deferred (head not yet received) or the body.
  #finish(headError: Error | null, bodyError: ResponseFailed | null): void {
    this.#phase = "done";
    if (headError !== null && !this.deferred.called) this.deferred.errback(headError);
    if (bodyError !== null) this.#response?.[bodyDataFinished](new Failure(bodyError));
  }

  #cancel(): void {
    const phase = this.#phase;
    this.#stopBody();
    this.#phase = "done";
    if (phase === "open") this.#owner.resetStream(this, ErrorCode.CANCEL);
    else if (phase === "queued") this.#owner.streamDone(this);
    this.deferred.errback(new ResponseNeverReceived([new CancelledError()]));
  }
}

/**
 * DATA frames for the streams in `flushing` under the connection's `window`
 * and each stream's own, round robin, one frame per stream per pass; a
 * stream leaves the set once it has nothing to send or sent END_STREAM.
 */
export function flushStreams(
  flushing: Set<H2ClientStream>,
  window: SendWindow,
  maxFrameSize: number,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let progress = true;
  while (progress && flushing.size > 0) {
    progress = false;
    for (const stream of flushing) {
      if (stream.pendingBytes > 0) {
        const room = Math.min(window.size, stream.sendWindow.size, maxFrameSize);
        if (room <= 0) continue;
        const piece = stream.takePending(room);
        window.size -= piece.length;
        stream.sendWindow.size -= piece.length;
        const end = stream.pendingBytes === 0 && stream.bodyDone;
        out.push(dataFrame(stream.id, piece, end));
        progress = true;
        if (end) flushing.delete(stream);
        stream.drained();
        if (end) stream.sentEnd();
      } else if (stream.bodyDone) {
        out.push(dataFrame(stream.id, new Uint8Array(0), true));
        flushing.delete(stream);
        stream.sentEnd();
      } else {
        flushing.delete(stream);
        stream.drained();
      }
    }
  }
  return out;
}
