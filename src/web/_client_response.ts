/**
 * `Response` (`twisted.web._newclient.Response`) and `readBody`: a response's
 * status and headers, and its body delivered to a protocol with backpressure.
 * Private to src/web; client.ts re-exports them.
 *
 * @module
 */
import { Deferred } from "../internet/defer.ts";
import { Failure } from "../internet/failure.ts";
import { concatBytes } from "../internet/_bytes.ts";
import type {
  IProtocol,
  IPullProducer,
  IPushProducer,
  ITransport,
} from "../internet/interfaces.ts";
import type { Address } from "../internet/address.ts";
import { IPv4Address } from "../internet/address.ts";
import { Protocol } from "../internet/protocol.ts";
import { ConnectionAborted } from "../internet/error.ts";
import { Headers } from "./_headers.ts";
import type { BodyLength } from "./_client_body.ts";
import { PartialDownloadError, PotentialDataLoss, ResponseDone } from "./_client_errors.ts";
import { bodyDataFinished, bodyDataReceived, stopBody } from "./_internal.ts";

/** What the connection offers a response for flow control of its body. */
export interface BodyFlow {
  /** Stops reading from the connection. */
  pauseProducing(): void;
  /** Resumes reading. */
  resumeProducing(): void;
  /** Gives up on the body: the connection is aborted. */
  stopProducing(): void;
  /** The peer's address. */
  getPeer(): Address;
  /** This side's address. */
  getHost(): Address;
}

// Body bytes kept before `deliverBody` is called; beyond it, reading pauses.
const BUFFER_PAUSE = 65536;

const NO_ADDRESS = new IPv4Address("TCP", "0.0.0.0", 0);

// Between a Response and its BodyTransport only.
const flow: unique symbol = Symbol("Response.flow");
const consumerPause: unique symbol = Symbol("Response.consumerPause");

/**
 * The transport a body protocol sees (Twisted's `TransportProxyProducer`):
 * pausing it pauses the connection; `stopProducing` (or `loseConnection`)
 * abandons the body and aborts the connection. It goes inert once the body
 * has ended, since the connection may then serve another request.
 */
class BodyTransport implements ITransport {
  #response: Response;
  disconnecting = false;

  constructor(response: Response) {
    this.#response = response;
  }

  write(_data: Uint8Array): void {}
  writeSequence(_data: Iterable<Uint8Array>): void {}
  registerProducer(_producer: IPushProducer | IPullProducer, _streaming: boolean): void {}
  unregisterProducer(): void {}
  pauseProducing(): void {
    this.#response[consumerPause](true);
  }
  resumeProducing(): void {
    this.#response[consumerPause](false);
  }
  stopProducing(): void {
    this.disconnecting = true;
    this.#response[stopBody]();
  }
  loseConnection(): void {
    this.stopProducing();
  }
  abortConnection(): void {
    this.stopProducing();
  }
  getPeer(): Address {
    return this.#response[flow]?.getPeer() ?? NO_ADDRESS;
  }
  getHost(): Address {
    return this.#response[flow]?.getHost() ?? NO_ADDRESS;
  }
}

/** A request as the response remembers it. */
export interface RequestInfo {
  /** The method. */
  readonly method: string;
  /** The absolute URI requested. */
  readonly absoluteURI: string;
  /** The request headers. */
  readonly headers: Headers;
}

const INITIAL = 0; // no body protocol yet, body still arriving
const CONNECTED = 1; // body protocol attached, body arriving
const DEFERRED_CLOSE = 2; // body ended before deliverBody
const FINISHED = 3;

/**
 * An HTTP response (`IResponse`): status, headers and a body delivered to a
 * protocol by `deliverBody`. The body is buffered until then (reading pauses
 * past 64 KiB); once delivering, the body protocol's `transport.pauseProducing()`
 * pauses the socket.
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol, readBody } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * const d = protocol.request(new ClientRequest("GET", "/", new Headers({ Host: "example.com" })));
 * const answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
 * protocol.dataReceived(new TextEncoder().encode(answer));
 * const response = await d;
 * console.log(response.code, response.headers.getLast("content-type")); // 200 "text/plain"
 * console.log(new TextDecoder().decode(await readBody(response))); // "hi"
 * ```
 */
export class Response {
  /** The protocol version, as Twisted's tuple: `["HTTP", 1, 1]`. */
  readonly version: [string, number, number];
  /** The status code. */
  readonly code: number;
  /** The reason phrase. */
  readonly phrase: string;
  /** The response headers. */
  readonly headers: Headers;
  /** The body length (Content-Length), or `UNKNOWN_LENGTH` (chunked, or until close). */
  length: BodyLength;
  /** The request this answers. */
  request: RequestInfo | null;
  /** The response that redirected to this one (set by `RedirectAgent`), or null. */
  previousResponse: Response | null = null;
  /** The trailer fields, filled in once the body ended (HTTP/2 trailers). */
  readonly trailers: Headers = new Headers();
  /**
   * The connection's flow control; null once the body ended.
   * @ignore
   */
  [flow]: BodyFlow | null;

  #state = INITIAL;
  #buffer: Uint8Array[] = [];
  #buffered = 0;
  #protocol: IProtocol | null = null;
  #endReason: Failure | null = null;
  #bufferPaused = false;
  #consumerPaused = false;

  /**
   * Made by the client protocol (or by a decoder wrapping another response).
   * @param version the protocol version tuple
   * @param code the status
   * @param phrase the reason phrase
   * @param headers the headers
   * @param length the body length
   * @param bodyFlow the connection's flow control (null for a response made by hand)
   * @param request the request answered
   */
  constructor(
    version: [string, number, number],
    code: number,
    phrase: string,
    headers: Headers,
    length: BodyLength,
    bodyFlow: BodyFlow | null = null,
    request: RequestInfo | null = null,
  ) {
    this.version = version;
    this.code = code;
    this.phrase = phrase;
    this.headers = headers;
    this.length = length;
    this[flow] = bodyFlow;
    this.request = request;
  }

  /** Records the response that redirected to this one (Twisted's `setPreviousResponse`). */
  setPreviousResponse(response: Response): void {
    this.previousResponse = response;
  }

  /**
   * Delivers the body to `protocol`: `makeConnection(transport)`, then
   * `dataReceived` for each piece, then `connectionLost` with `ResponseDone`
   * (complete), `PotentialDataLoss` (no length, ended by the connection
   * closing) or `ResponseFailed` (broken). May be called once.
   * @throws {Error} when called a second time
   */
  deliverBody(protocol: IProtocol): void {
    if (this.#protocol !== null || this.#state === FINISHED) {
      throw new Error("Response.deliverBody called twice");
    }
    this.#protocol = protocol;
    protocol.makeConnection(new BodyTransport(this));
    const buffered = this.#buffer;
    this.#buffer = [];
    this.#buffered = 0;
    for (const data of buffered) {
      if (this.#protocol === null) return;
      protocol.dataReceived(data);
    }
    if (this.#state === DEFERRED_CLOSE) {
      this.#state = FINISHED;
      protocol.connectionLost(this.#endReason!);
      this.#endReason = null;
      return;
    }
    this.#state = CONNECTED;
    if (this.#bufferPaused) {
      this.#bufferPaused = false;
      this.#applyPause();
    }
  }

  /**
   * Body bytes from the connection.
   * @ignore
   */
  [bodyDataReceived](data: Uint8Array): void {
    if (this.#state === CONNECTED) {
      this.#protocol!.dataReceived(data);
      return;
    }
    if (this.#state !== INITIAL) return;
    this.#buffer.push(data);
    this.#buffered += data.length;
    if (this.#buffered > BUFFER_PAUSE && !this.#bufferPaused) {
      this.#bufferPaused = true;
      this.#applyPause(true);
    }
  }

  /**
   * The body ended: `reason` is `ResponseDone`, `PotentialDataLoss` or a
   * `ResponseFailed`.
   * @ignore
   */
  [bodyDataFinished](reason: Failure): void {
    const connection = this[flow];
    this[flow] = null;
    if ((this.#bufferPaused || this.#consumerPaused) && connection !== null) {
      // Leave the connection readable for whoever uses it next.
      this.#bufferPaused = false;
      this.#consumerPaused = false;
      connection.resumeProducing();
    }
    if (this.#state === CONNECTED) {
      this.#state = FINISHED;
      this.#protocol!.connectionLost(reason);
    } else if (this.#state === INITIAL) {
      this.#state = DEFERRED_CLOSE;
      this.#endReason = reason;
    }
  }

  /**
   * The body protocol paused or resumed its transport.
   * @ignore
   */
  [consumerPause](paused: boolean): void {
    if (this[flow] === null || this.#consumerPaused === paused) return;
    this.#consumerPaused = paused;
    this.#applyPause();
  }

  #wasPaused = false;

  #applyPause(force?: boolean): void {
    const connection = this[flow];
    if (connection === null) return;
    const want = force === true || this.#bufferPaused || this.#consumerPaused;
    if (want === this.#wasPaused) return;
    this.#wasPaused = want;
    if (want) connection.pauseProducing();
    else connection.resumeProducing();
  }

  /**
   * The body protocol gave up: abort the connection.
   * @ignore
   */
  [stopBody](): void {
    const connection = this[flow];
    if (connection !== null) connection.stopProducing();
    else if (this.#state !== FINISHED && this.#protocol !== null) {
      // A response without a connection (made by hand or decoded): end it.
      this[bodyDataFinished](new Failure(new ConnectionAborted()));
    }
  }
}

/** Collects a body for `readBody`. */
class ReadBodyProtocol extends Protocol {
  #chunks: Uint8Array[] = [];
  #d: Deferred<Uint8Array>;
  #status: number;
  #phrase: string;

  constructor(d: Deferred<Uint8Array>, status: number, phrase: string) {
    super();
    this.#d = d;
    this.#status = status;
    this.#phrase = phrase;
  }

  override dataReceived(data: Uint8Array): void {
    if (!this.#d.called) this.#chunks.push(data);
  }

  override connectionLost(reason: Failure): void {
    if (this.#d.called) return;
    const body = concatBytes(this.#chunks);
    this.#chunks = [];
    if (reason.check(ResponseDone)) this.#d.callback(body);
    else if (reason.check(PotentialDataLoss)) {
      this.#d.errback(new PartialDownloadError(this.#status, this.#phrase, body));
    } else this.#d.errback(reason);
  }
}

/**
 * Reads a whole response body (`twisted.web.client.readBody`). Fails with
 * `PartialDownloadError` (holding the bytes received) when the body had no
 * length and may be truncated, with `ResponseFailed` when it broke.
 * Cancelling the Deferred aborts the connection.
 *
 * @param response the response whose body to read
 * @returns a Deferred of the body's bytes
 * @example
 * ```ts
 * import { Agent, readBody } from "@tw/core/web";
 * import { reactor } from "@tw/core";
 * const agent = new Agent(reactor);
 * const fetchPage = async (url: string) => {
 *   const response = await agent.request("GET", url);
 *   return new TextDecoder().decode(await readBody(response));
 * };
 * console.log(typeof fetchPage); // "function"
 * ```
 */
export function readBody(response: Response): Deferred<Uint8Array> {
  let protocol: ReadBodyProtocol | null = null;
  const d = new Deferred<Uint8Array>(() => {
    protocol?.transport?.abortConnection();
  });
  protocol = new ReadBodyProtocol(d, response.code, response.phrase);
  response.deliverBody(protocol);
  return d;
}
