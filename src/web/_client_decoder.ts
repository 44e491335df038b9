/**
 * `ContentDecoderAgent` with `GzipDecoder` / `DeflateDecoder`
 * (`twisted.web.client`): ask for compressed responses and decode their
 * bodies with the platform's `DecompressionStream`. Private to src/web;
 * client.ts re-exports them.
 *
 * @module
 */
import type { Deferred } from "../internet/defer.ts";
import { Failure } from "../internet/failure.ts";
import type { IProtocol, ITransport } from "../internet/interfaces.ts";
import { Headers } from "./_headers.ts";
import { type IBodyProducer, UNKNOWN_LENGTH } from "./_client_body.ts";
import { Response } from "./_client_response.ts";
import type { IAgent } from "./_client_agent.ts";
import { ResponseDone, ResponseFailed } from "./_client_errors.ts";

/** A response decoder class: wraps a response whose body has one content coding. */
export type ResponseDecoder = new (response: Response) => Response;

/**
 * Runs body bytes through a `DecompressionStream` on their way to `inner`.
 * Writes are queued on the stream's writer; when its queue is full the
 * connection is paused until it drains.
 */
class DecodingProtocol implements IProtocol {
  #inner: IProtocol;
  #format: CompressionFormat;
  #transport: ITransport | null = null;
  #writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #reading: Promise<void> | null = null;
  #failed: Failure | null = null;
  #paused = false;
  #ended = false;

  constructor(inner: IProtocol, format: CompressionFormat) {
    this.#inner = inner;
    this.#format = format;
  }

  makeConnection(transport: ITransport): void {
    this.#transport = transport;
    const stream = new DecompressionStream(this.#format);
    this.#writer = stream.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>;
    this.#writer.closed.catch(() => {});
    this.#inner.makeConnection(transport);
    this.#reading = this.#read(stream.readable.getReader());
  }

  connectionMade(): void {}

  async #read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        if (this.#failed === null && value.length > 0) this.#inner.dataReceived(value);
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (this.#failed !== null) return;
    this.#failed = new Failure(error);
    // The body is useless now: stop reading it.
    if (!this.#ended) this.#transport?.stopProducing();
  }

  dataReceived(data: Uint8Array): void {
    if (this.#failed !== null || this.#writer === null) return;
    const writer = this.#writer;
    writer.write(data).catch((e) => this.#fail(e));
    if (!this.#paused && (writer.desiredSize ?? 1) <= 0) {
      this.#paused = true;
      this.#transport?.pauseProducing();
      writer.ready.then(() => {
        this.#paused = false;
        this.#transport?.resumeProducing();
      }, () => {});
    }
  }

  connectionLost(reason: Failure): void {
    this.#ended = true;
    const writer = this.#writer!;
    const done = reason.check(ResponseDone) !== null;
    (done ? writer.close() : writer.abort(reason.value)).catch((e) => {
      if (done) this.#fail(e);
    });
    this.#reading!.then(() => {
      const failure = this.#failed;
      if (failure === null) this.#inner.connectionLost(reason);
      else if (!done) this.#inner.connectionLost(reason);
      else this.#inner.connectionLost(new Failure(new ResponseFailed([failure])));
    });
  }
}

/**
 * A response whose body is decoded on delivery with a `DecompressionStream`
 * format (the base of `GzipDecoder` and `DeflateDecoder`).
 *
 * @example
 * ```ts
 * import { Agent, ContentDecoderAgent, DecodedResponse, type Response } from "@tw/core/web";
 * import { reactor } from "@tw/core";
 * // A decoder for a coding of your own, with a `DecompressionStream` format.
 * class RawDeflateDecoder extends DecodedResponse {
 *   constructor(response: Response) {
 *     super(response, "deflate-raw");
 *   }
 * }
 * const decoders: [string, typeof RawDeflateDecoder][] = [["x-raw-deflate", RawDeflateDecoder]];
 * const agent = new ContentDecoderAgent(new Agent(reactor), decoders);
 * console.log(typeof agent.request); // "function"
 * ```
 */
export class DecodedResponse extends Response {
  #original: Response;
  #format: CompressionFormat;

  /**
   * Wraps a response.
   * @param response the response with an encoded body
   * @param format the `DecompressionStream` format
   */
  constructor(response: Response, format: CompressionFormat) {
    super(
      response.version,
      response.code,
      response.phrase,
      response.headers,
      UNKNOWN_LENGTH,
      null,
      response.request,
    );
    this.previousResponse = response.previousResponse;
    this.#original = response;
    this.#format = format;
  }

  /** Delivers the decoded body; see `Response.deliverBody`. */
  override deliverBody(protocol: IProtocol): void {
    this.#original.deliverBody(new DecodingProtocol(protocol, this.#format));
  }
}

/**
 * Decodes a gzip body (`GzipDecoder`, also for `x-gzip`); the decoded
 * length is unknown. A corrupt or truncated body ends with `ResponseFailed`.
 *
 * @example
 * ```ts
 * import { ClientRequest, GzipDecoder, Headers, HTTP11ClientProtocol } from "@tw/core/web";
 * import { readBody } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const gzip = new Blob(["hello"]).stream().pipeThrough(new CompressionStream("gzip"));
 * const body = new Uint8Array(await new Response(gzip).arrayBuffer());
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * const d = protocol.request(new ClientRequest("GET", "/", new Headers({ Host: "example.com" })));
 * const head = `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\n`;
 * protocol.dataReceived(new TextEncoder().encode(head + "\r\n"));
 * protocol.dataReceived(body);
 * const decoded = new GzipDecoder(await d);
 * console.log(new TextDecoder().decode(await readBody(decoded))); // "hello"
 * ```
 */
export class GzipDecoder extends DecodedResponse {
  /**
   * Wraps a response.
   * @param response the response with a gzip body
   */
  constructor(response: Response) {
    super(response, "gzip");
  }
}

/**
 * Decodes a `deflate` (zlib) body (`DeflateDecoder`).
 *
 * @example
 * ```ts
 * import { Agent, ContentDecoderAgent, DeflateDecoder, GzipDecoder } from "@tw/core/web";
 * import { reactor } from "@tw/core";
 * // Accept-Encoding: gzip,deflate; each response is decoded as its Content-Encoding says.
 * const agent = new ContentDecoderAgent(new Agent(reactor), [
 *   ["gzip", GzipDecoder],
 *   ["deflate", DeflateDecoder],
 * ]);
 * console.log(typeof agent.request); // "function"
 * ```
 */
export class DeflateDecoder extends DecodedResponse {
  /**
   * Wraps a response.
   * @param response the response with a deflate body
   */
  constructor(response: Response) {
    super(response, "deflate");
  }
}

/**
 * Asks for compressed responses and decodes them (`ContentDecoderAgent`):
 * sends `Accept-Encoding` with the decoders' names, and wraps each response
 * in the decoders its `Content-Encoding` names (last applied first), removing
 * the codings it decoded from that header.
 *
 * @example
 * ```ts
 * import { Agent, ContentDecoderAgent, GzipDecoder } from "@tw/core/web";
 * import { reactor } from "@tw/core";
 * const agent = new ContentDecoderAgent(new Agent(reactor), [["gzip", GzipDecoder]]);
 * console.log(typeof agent.request); // "function"
 * ```
 */
export class ContentDecoderAgent implements IAgent {
  #agent: IAgent;
  #decoders: Map<string, ResponseDecoder>;
  #accept: string;

  /**
   * Wraps an agent.
   * @param agent the agent that sends requests
   * @param decoders `[coding, decoder]` pairs, e.g. `[["gzip", GzipDecoder]]`
   */
  constructor(agent: IAgent, decoders: ReadonlyArray<readonly [string, ResponseDecoder]>) {
    this.#agent = agent;
    this.#decoders = new Map(decoders.map(([name, d]) => [name.toLowerCase(), d]));
    this.#accept = decoders.map(([name]) => name).join(",");
  }

  /** Sends a request asking for compressed responses; see `IAgent.request`. */
  request(
    method: string,
    uri: string,
    headers: Headers | null = null,
    bodyProducer: IBodyProducer | null = null,
  ): Deferred<Response> {
    const h = headers === null ? new Headers() : headers.copy();
    h.setRawHeaders("Accept-Encoding", [this.#accept]);
    return this.#agent.request(method, uri, h, bodyProducer).addCallback((r: Response) =>
      this.#decode(r)
    );
  }

  #decode(response: Response): Response {
    const raw = response.headers.getRawHeaders("content-encoding");
    if (raw === undefined) return response;
    const codings = raw.join(",").split(",").map((s) => s.trim()).filter((s) => s !== "");
    let out = response;
    while (codings.length > 0) {
      const decoder = this.#decoders.get(codings[codings.length - 1].toLowerCase());
      if (decoder === undefined) break;
      codings.pop();
      out = new decoder(out);
    }
    if (codings.length > 0) response.headers.setRawHeaders("Content-Encoding", [codings.join(",")]);
    else response.headers.removeHeader("content-encoding");
    if (out !== response) response.headers.removeHeader("content-length");
    return out;
  }
}
