/**
 * `H2Stream` (`twisted.web._http2.H2Stream`): one HTTP/2 stream, seen by
 * its request as a connection. It is the transport of an `HTTPChannel` of
 * its own, and that channel's `[direct]` sink, so the request object and the
 * resource tree above work as over HTTP/1.1: the head arrives as values and
 * becomes a HEADERS frame, body bytes queue here and leave as DATA frames as
 * the flow-control windows allow, and the request's producer is paused while
 * they wait.
 *
 * @module
 */
import { ConnectionDone, ConnectionLost } from "../../internet/error.ts";
import { Failure } from "../../internet/failure.ts";
import type { IPullProducer, IPushProducer, ITransport } from "../../internet/interfaces.ts";
import type { Address } from "../../internet/address.ts";
import type { HTTPChannel, IChannelRequest } from "../http.ts";
import type { HTTPRequest } from "../_http_request.ts";
import { direct, eachValue, serveRequest, trailersOf } from "../_internal.ts";
import { dataFrame, ErrorCode, errorName, headersFrames } from "./_frames.ts";
import { ReceiveWindow, SendWindow } from "./_flow.ts";
import type { HeaderField, HpackEncoder } from "./_hpack.ts";

/** What a stream asks of its connection (`H2Connection`). */
export interface H2StreamOwner {
  /** The stream has frames to send: `emit` it at the end of the current turn. */
  schedule(stream: H2Stream): void;
  /** Sends RST_STREAM(`code`) and forgets the stream. */
  resetStream(stream: H2Stream, code: number): void;
  /** The stream is closed both ways: forget it. */
  streamClosed(stream: H2Stream): void;
  /** Queues a WINDOW_UPDATE for the stream. */
  sendWindowUpdate(streamId: number, increment: number): void;
  /** True while the connection's transport asked us to stop writing. */
  readonly writesPaused: boolean;
  /** The `Date` value for response heads. */
  dateHeader(): string;
  /** The connection's transport. */
  readonly transport: ITransport;
}

// Headers that mean nothing (or something dangerous) in HTTP/2 (RFC 9113 §8.2.2).
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

// A stream's queued body bytes past which its producer is paused.
const HIGH_WATER = 65536;
const EMPTY = new Uint8Array(0);
let cleanClose: Failure | null = null;

/**
 * One HTTP/2 stream: the transport of its request's channel. Made by
 * `H2Connection` for each request.
 *
 * @example
 * ```ts
 * import { H2Connection, H2Stream } from "@tw/core/web";
 * // Streams are made by an H2Connection as HEADERS frames arrive; a request
 * // reaches its stream as `request.channel.transport`.
 * console.log(typeof H2Connection, typeof H2Stream); // "function" "function"
 * ```
 */
// It is also an IDirectResponse (internal to src/web), structurally.
export class H2Stream implements ITransport {
  /** The stream identifier. */
  readonly streamID: number;
  /** True once the request is done with the stream (or it was reset). */
  disconnecting = false;
  /** Read by `HTTPChannel.isSecure`. */
  readonly secure: boolean;
  /**
   * What the peer lets us send on this stream.
   * @ignore
   */
  readonly sendWindow: SendWindow;
  /**
   * What we let the peer send on this stream.
   * @ignore
   */
  readonly receiveWindow: ReceiveWindow;
  #owner: H2StreamOwner;
  #channel: HTTPChannel;
  #request: IChannelRequest | null = null;
  #method = "";
  #uri = "";
  #maxBody: number;
  #declaredLength: number | null = null;
  #bodyRead = 0;
  #remoteEnded = false;
  #served = false;
  // Output.
  #head: HeaderField[] | null = null;
  #headSent = false;
  #response: HTTPRequest | null = null;
  #bodyAllowed = false;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ending = false;
  #endSent = false;
  #lost = false;
  #producer: IPushProducer | IPullProducer | null = null;
  #streaming = false;
  #producerPaused = false;

  /**
   * Made by the connection, with the channel its request runs on.
   * @param owner the connection
   * @param streamID the stream id
   * @param channel a fresh channel configured like the connection's
   * @param windows [the peer's initial window, ours]
   * @param secure whether the connection is TLS
   */
  constructor(
    owner: H2StreamOwner,
    streamID: number,
    channel: HTTPChannel,
    windows: [send: number, receive: number],
    secure: boolean,
  ) {
    this.#owner = owner;
    this.streamID = streamID;
    this.#channel = channel;
    this.secure = secure;
    this.sendWindow = new SendWindow(windows[0]);
    this.receiveWindow = new ReceiveWindow(windows[1]);
    this.#maxBody = channel.maxRequestBodySize;
    channel[direct] = this;
    channel.makeConnection(this);
  }

  /** True once the peer sent END_STREAM. */
  get remoteEnded(): boolean {
    return this.#remoteEnded;
  }

  /** True once the stream is gone (closed or reset). */
  get lost(): boolean {
    return this.#lost;
  }

  // ---- from the connection --------------------------------------------------------

  /**
   * The request head arrived (validated by the connection): makes the request.
   * @ignore
   * @param method the `:method`
   * @param uri the `:path` (or the authority for CONNECT)
   * @param fields the regular header fields
   * @param endStream the HEADERS frame ended the stream
   */
  headersReceived(method: string, uri: string, fields: HeaderField[], endStream: boolean): void {
    const channel = this.#channel;
    const request = channel.requestFactory!(channel);
    this.#request = request;
    this.#method = method;
    this.#uri = uri;
    const headers = request.requestHeaders;
    let length: string | null = null;
    for (const [name, value] of fields) {
      headers.addRawHeader(name, value);
      if (name === "content-length") length = value;
    }
    if (length !== null) {
      const n = /^[0-9]{1,15}$/.test(length) ? Number(length) : NaN;
      if (Number.isNaN(n)) {
        this.#reset(ErrorCode.PROTOCOL_ERROR, "Malformed Content-Length");
        return;
      }
      this.#declaredLength = n;
      if (n > this.#maxBody) {
        this.#refuseBody();
        return;
      }
    }
    request.gotLength(endStream ? 0 : this.#declaredLength);
    if (endStream) this.#endOfRequest();
  }

  /**
   * Body bytes (`size`: the whole frame, padding included, for the window).
   * @ignore
   */
  dataReceived(data: Uint8Array, size: number, endStream: boolean): void {
    if (this.#lost || this.#served) {
      if (endStream) this.#remoteEnded = true;
      return;
    }
    const request = this.#request;
    if (request === null) return;
    this.#bodyRead += data.length;
    if (this.#bodyRead > this.#maxBody) {
      this.#refuseBody();
      return;
    }
    if (data.length > 0) request.handleContentChunk(data);
    // The request keeps the body: the window reopens as it is handed over.
    if (!endStream && size > 0) {
      const increment = this.receiveWindow.consumed(size);
      if (increment > 0) this.#owner.sendWindowUpdate(this.streamID, increment);
    }
    if (endStream) this.#endOfRequest();
  }

  /**
   * Trailers (a HEADERS frame with END_STREAM after the body): `request.requestTrailers`.
   * @ignore
   */
  trailersReceived(fields: HeaderField[]): void {
    const request = this.#request as Partial<HTTPRequest> | null;
    if (request !== null && !this.#lost && !this.#served && request.requestTrailers) {
      for (const [name, value] of fields) {
        if (name.charCodeAt(0) !== 58) request.requestTrailers.addRawHeader(name, value);
      }
    }
    this.#endOfRequest();
  }

  #endOfRequest(): void {
    this.#remoteEnded = true;
    if (this.#lost || this.#served) return;
    const declared = this.#declaredLength;
    if (declared !== null && declared !== this.#bodyRead && this.#method !== "HEAD") {
      // RFC 9113 §8.1.1: a body that disagrees with its Content-Length is malformed.
      this.#reset(ErrorCode.PROTOCOL_ERROR, "Body length differs from Content-Length");
      return;
    }
    this.#served = true;
    this.#channel[serveRequest](this.#request!, this.#method, this.#uri, "HTTP/2");
  }

  /** Answers 413 before the whole body came, then resets the stream (RFC 9113 §8.1). */
  #refuseBody(): void {
    this.#served = true;
    this.#head = [[":status", "413"], ["content-length", "0"], ["date", this.#owner.dateHeader()]];
    this.#ending = true;
    this.#owner.schedule(this);
    this.#lose(new ConnectionLost("Request body too large"));
  }

  /** The peer reset the stream, or the connection went away. */
  connectionLost(reason: Error): void {
    this.#lose(reason);
  }

  /**
   * Writes what can be written now to `out`: the head, then DATA as far as
   * the stream's and the connection's windows allow. True while body bytes
   * wait for a window. Called by the connection.
   * @ignore
   */
  emit(
    out: Uint8Array[],
    encoder: HpackEncoder,
    connWindow: SendWindow,
    maxFrame: number,
  ): boolean {
    const id = this.streamID;
    if (this.#head !== null) {
      // A response complete before its head left gets its length (as HTTP/1.1 would).
      if (this.#ending && this.#bodyAllowed && !this.#head.some((f) => f[0] === "content-length")) {
        this.#head.push(["content-length", String(this.#queued)]);
      }
      const block = encoder.encode(this.#head);
      this.#head = null;
      this.#headSent = true;
      const trailers = this.#ending ? this.#trailers() : null;
      const endNow = this.#ending && this.#queued === 0 && trailers === null;
      out.push(headersFrames(id, block, endNow, maxFrame));
      if (endNow) this.#endSent = true;
    }
    if (!this.#headSent) return false;
    const queue = this.#queue;
    while (this.#queued > 0) {
      const n = Math.min(queue[0].length, this.sendWindow.size, connWindow.size, maxFrame);
      if (n <= 0) break;
      const chunk = queue[0];
      const piece = n === chunk.length ? chunk : chunk.subarray(0, n);
      if (n === chunk.length) queue.shift();
      else queue[0] = chunk.subarray(n);
      this.#queued -= n;
      this.sendWindow.size -= n;
      connWindow.size -= n;
      const end = this.#ending && this.#queued === 0 && this.#trailers() === null;
      out.push(dataFrame(id, piece, end));
      if (end) this.#endSent = true;
    }
    if (this.#ending && this.#queued === 0 && !this.#endSent) {
      const trailers = this.#trailers();
      if (trailers === null) out.push(dataFrame(id, EMPTY, true));
      else out.push(headersFrames(id, encoder.encode(trailers), true, maxFrame));
      this.#endSent = true;
    }
    if (this.#endSent) this.#closeIfDone();
    else this.#maybeResume();
    return this.#queued > 0;
  }

  /** The response trailers as fields, or null. */
  #trailers(): HeaderField[] | null {
    const headers = this.#response?.[trailersOf]() ?? null;
    if (headers === null) return null;
    const fields: HeaderField[] = [];
    headers[eachValue]((lower, value) => {
      if (!CONNECTION_SPECIFIC.has(lower)) fields.push([lower, value]);
    });
    return fields.length === 0 ? null : fields;
  }

  #closeIfDone(): void {
    if (!this.#endSent) return;
    // A response complete before the request's end tells the peer to stop (§8.1).
    if (!this.#remoteEnded) this.#owner.resetStream(this, ErrorCode.NO_ERROR);
    else this.#owner.streamClosed(this);
    if (!this.#lost) {
      this.#lost = true;
      this.disconnecting = true;
      this.#producer = null;
      cleanClose ??= new Failure(new ConnectionDone("Connection was closed cleanly"));
      this.#channel.connectionLost(cleanClose);
    }
  }

  #reset(code: number, message: string): void {
    this.#owner.resetStream(this, code);
    this.#lose(new ConnectionLost(message));
  }

  /**
   * The connection's writes were paused or resumed: pass it to the producer.
   * @ignore
   */
  writesPausedChanged(paused: boolean): void {
    if (paused) this.#pauseProducer();
    else this.#maybeResume();
  }

  #pauseProducer(): void {
    const producer = this.#producer;
    if (producer !== null && this.#streaming && !this.#producerPaused) {
      this.#producerPaused = true;
      (producer as IPushProducer).pauseProducing();
    }
  }

  #maybeResume(): void {
    const producer = this.#producer;
    if (producer === null || this.#owner.writesPaused || this.#queued >= HIGH_WATER / 2) return;
    if (!this.#streaming) (producer as IPullProducer).resumeProducing();
    else if (this.#producerPaused) {
      this.#producerPaused = false;
      producer.resumeProducing();
    }
  }

  #lose(reason: Error): void {
    if (this.#lost) return;
    this.#lost = true;
    this.disconnecting = true;
    const producer = this.#producer;
    this.#producer = null;
    try {
      producer?.stopProducing();
    } finally {
      this.#channel.connectionLost(new Failure(reason));
    }
  }

  // ---- IDirectResponse: the request's response --------------------------------------

  /** See `IDirectResponse.sendHead`. */
  sendHead(request: HTTPRequest, body: Uint8Array | string, noBody: boolean): void {
    if (this.#lost || this.#headSent || this.#head !== null) return;
    const fields: HeaderField[] = [[":status", String(request.code)]];
    let hasDate = false;
    let hasServer = false;
    request.responseHeaders[eachValue]((lower, value) => {
      if (CONNECTION_SPECIFIC.has(lower)) return;
      if (lower === "date") hasDate = true;
      else if (lower === "server") hasServer = true;
      fields.push([lower, value]);
    });
    if (!hasDate) fields.push(["date", this.#owner.dateHeader()]);
    const serverName = this.#channel.serverName;
    if (!hasServer && serverName !== "") fields.push(["server", serverName]);
    this.#head = fields;
    this.#response = request;
    const code = request.code;
    this.#bodyAllowed = !noBody && code !== 204 && code !== 304 && code >= 200;
    if (noBody) this.#ending = true;
    else if (body.length > 0) this.sendBody(body);
    this.#owner.schedule(this);
  }

  /** See `IDirectResponse.sendBody`. */
  sendBody(data: Uint8Array | string): void {
    if (this.#lost || this.#ending || data.length === 0) return;
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (this.#queued >= HIGH_WATER || this.#owner.writesPaused) this.#pauseProducer();
    this.#owner.schedule(this);
  }

  // ---- ITransport (the channel and the request) ------------------------------------

  /** Bytes without framing cannot go on a stream: only a raw upgrade would write them. */
  write(_data: Uint8Array): void {}

  /** See `write`. */
  writeSequence(_data: Iterable<Uint8Array>): void {}

  /** The request is done: END_STREAM after the queued body (a 500 if no head was sent). */
  loseConnection(): void {
    if (this.disconnecting) return;
    this.disconnecting = true;
    if (this.#lost) return;
    if (!this.#headSent && this.#head === null) {
      this.#head = [[":status", "500"], ["content-length", "0"], [
        "date",
        this.#owner.dateHeader(),
      ]];
    }
    this.#ending = true;
    this.#owner.schedule(this);
  }

  /** Resets the stream (INTERNAL_ERROR): the client sees the response cut short. */
  abortConnection(): void {
    if (this.#lost) return;
    this.#reset(ErrorCode.INTERNAL_ERROR, "Stream was aborted");
  }

  /** Resets the stream with `code` (CANCEL by default). */
  resetStream(code: number = ErrorCode.CANCEL): void {
    if (this.#lost) return;
    this.#reset(code, `Stream reset by the server: ${errorName(code)}`);
  }

  /** The client's address. */
  getPeer(): Address {
    return this.#owner.transport.getPeer();
  }

  /** This server's address. */
  getHost(): Address {
    return this.#owner.transport.getHost();
  }

  /** See `IConsumer.registerProducer`. */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.#producer !== null) throw new Error("Cannot register two producers on a stream");
    if (this.#lost) {
      producer.stopProducing();
      return;
    }
    this.#producer = producer;
    this.#streaming = streaming;
    this.#producerPaused = false;
    if (this.#owner.writesPaused || this.#queued >= HIGH_WATER) this.#pauseProducer();
    else if (!streaming) (producer as IPullProducer).resumeProducing();
  }

  /** See `IConsumer.unregisterProducer`. */
  unregisterProducer(): void {
    this.#producer = null;
    this.#producerPaused = false;
  }

  /** The request body was read before the request is processed: nothing to pause. */
  pauseProducing(): void {}

  /** See `pauseProducing`. */
  resumeProducing(): void {}

  /** Resets the stream. */
  stopProducing(): void {
    this.resetStream(ErrorCode.CANCEL);
  }
}

/** Whether `name` may not appear in an HTTP/2 request (RFC 9113 §8.2.2). */
export function isConnectionSpecific(name: string): boolean {
  return CONNECTION_SPECIFIC.has(name);
}
