/**
 * The fetch bridge, our WSGI: `FetchResource` mounts any
 * `(Request) => Response` application (Hono, itty-router, a plain function)
 * in a resource tree, and `siteAsFetchHandler` turns a `Site` into such a
 * handler, to run it under `Deno.serve`, `Bun.serve` or a Node adapter.
 * Bodies are streamed both ways with backpressure.
 *
 * @example
 * ```ts
 * import { FetchResource, Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 *
 * const root = new Resource();
 * root.putChild("api", new FetchResource((req) => Response.json({ url: req.url })));
 * const site = new Site(root, { clock: new Clock() });
 * const handler = siteAsFetchHandler(site);
 * const res = await handler(new Request("http://example.com/api/x"));
 * console.log(await res.json()); // { url: "http://example.com/api/x" }
 * // Deno.serve(handler);
 * ```
 * @module
 */
import type { Address } from "../internet/address.ts";
import { IPv4Address, IPv6Address } from "../internet/address.ts";
import { ConnectionDone, ConnectionLost } from "../internet/error.ts";
import { Failure } from "../internet/failure.ts";
import type { IPullProducer, IPushProducer, ITransport } from "../internet/interfaces.ts";
import type { HTTPChannel } from "./http.ts";
import { NOT_DONE_YET, Resource } from "./resource.ts";
import type { Request, Site } from "./server.ts";

/** A fetch-style application: a standard `Request` in, a `Response` out. */
export type FetchHandler = (request: globalThis.Request) => Response | Promise<Response>;

/** Options of `FetchResource`. */
export interface FetchResourceOptions {
  /**
   * Give the application URLs relative to where it is mounted (the path
   * after the resource's own segments, as WSGI's PATH_INFO) instead of the
   * full request path.
   * @default false
   */
  stripPrefix?: boolean;
}

// Connection-level headers, which belong to one hop and are not passed on.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);

const enc = new TextEncoder();

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === "string") return enc.encode(chunk);
  if (ArrayBuffer.isView(chunk)) {
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError(`Response body chunk is ${typeof chunk}, not bytes`);
}

/**
 * Streams a `ReadableStream` into a request as a push producer: reading
 * stops while the transport is paused and the stream is cancelled when the
 * client goes away.
 */
class StreamProducer implements IPushProducer {
  #reader: ReadableStreamDefaultReader<unknown>;
  #paused = false;
  #stopped = false;
  #resume: (() => void) | null = null;

  constructor(stream: ReadableStream<unknown>) {
    this.#reader = stream.getReader();
  }

  pauseProducing(): void {
    this.#paused = true;
  }

  resumeProducing(): void {
    this.#paused = false;
    this.#wake();
  }

  stopProducing(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#reader.cancel().catch(() => {});
    this.#wake();
  }

  #wake(): void {
    const resume = this.#resume;
    this.#resume = null;
    resume?.();
  }

  /** Writes the stream to `request`, then finishes it; rejects on a stream error. */
  async run(request: Request): Promise<void> {
    request.registerProducer(this, true);
    try {
      for (;;) {
        if (this.#stopped || request.disconnected) return;
        if (this.#paused) {
          await new Promise<void>((resolve) => this.#resume = resolve);
          continue;
        }
        const { done, value } = await this.#reader.read();
        if (done) break;
        if (this.#stopped || request.disconnected) return;
        const bytes = toBytes(value);
        if (bytes.length > 0) request.write(bytes);
      }
    } catch (e) {
      if (this.#stopped || request.disconnected) return;
      this.#stopped = true;
      request.unregisterProducer();
      throw e;
    }
    this.#stopped = true;
    request.unregisterProducer();
    if (!request.disconnected && !request.finishCalled) request.finish();
  }
}

/**
 * Serves a fetch-style application inside the resource tree (Twisted's
 * `WSGIResource`, for `Request` / `Response`). Every request below it goes
 * to `handler` as a standard `Request`: an absolute URL from the Host header
 * and the path, the method, the headers (less hop-by-hop ones), the body as
 * a stream, and a `signal` aborted when the client goes away. The `Response`
 * is sent back as it comes: status, headers (each Set-Cookie kept apart),
 * and the body chunk by chunk, read only while the connection can take more.
 */
export class FetchResource extends Resource {
  /** The application. */
  readonly handler: FetchHandler;
  /** A leaf: the application routes the rest of the path itself. */
  override isLeaf = true;
  #stripPrefix: boolean;

  /**
   * Mounts `handler`.
   * @param handler the application
   * @param options how URLs are given to it
   */
  constructor(handler: FetchHandler, options: FetchResourceOptions = {}) {
    super();
    this.handler = handler;
    this.#stripPrefix = options.stripPrefix ?? false;
  }

  /** Hands every method to the application (it answers 405 itself if it wants). */
  override render(request: Request): Promise<typeof NOT_DONE_YET> {
    return this.#serve(request);
  }

  /** The standard `Request` for `request` (what the handler receives). */
  toFetchRequest(request: Request, signal?: AbortSignal): globalThis.Request {
    const headers = new globalThis.Headers();
    for (const [name, values] of request.requestHeaders.getAllRawHeaders()) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) continue;
      for (const value of values) {
        try {
          headers.append(lower, value);
        } catch {
          // A value the Headers class refuses (it cannot be forwarded as is).
        }
      }
    }
    const init: RequestInit & { duplex?: "half" } = { method: request.method, headers, signal };
    if (request.method !== "GET" && request.method !== "HEAD" && request.content.length > 0) {
      init.body = request.contentStream();
      init.duplex = "half";
    }
    return new globalThis.Request(this.#url(request), init);
  }

  #url(request: Request): string {
    const secure = request.isSecure();
    const scheme = secure ? "https://" : "http://";
    const uri = request.uri;
    const q = uri.indexOf("?");
    const query = q < 0 ? "" : uri.slice(q);
    const path = this.#stripPrefix
      ? "/" + request.postpath.map(encodeURIComponent).join("/")
      : request.path.startsWith("/")
      ? request.path
      : "/" + [...request.prepath, ...request.postpath].map(encodeURIComponent).join("/");
    const host = request.getHeader("host");
    if (host !== null) {
      try {
        return new URL(path + query, scheme + host).href;
      } catch {
        // A Host header that is no host: use our own address instead.
      }
    }
    const addr = request.getHost() as (Address & { host?: string; port?: number }) | null;
    let name = addr?.host ?? "localhost";
    if (name.includes(":")) name = `[${name}]`;
    const port = addr?.port;
    const def = secure ? 443 : 80;
    const hostPart = name + (port !== undefined && port !== def && port !== 0 ? ":" + port : "");
    return new URL(path + query, scheme + hostPart).href;
  }

  async #serve(request: Request): Promise<typeof NOT_DONE_YET> {
    const controller = new AbortController();
    let producer: StreamProducer | null = null;
    request.notifyFinish().addErrback(() => {
      controller.abort(new ConnectionLost("The client went away"));
      // The transport stops its producer too; this covers one that does not.
      producer?.stopProducing();
      return null;
    });
    const response = await this.handler(this.toFetchRequest(request, controller.signal));
    if (!(response instanceof Response)) {
      throw new TypeError(`Fetch handler returned ${typeof response}, not a Response`);
    }
    const body = response.body;
    if (request.disconnected) {
      await body?.cancel().catch(() => {});
      return NOT_DONE_YET;
    }
    request.setResponseCode(response.status, response.statusText || undefined);
    for (const [name, value] of response.headers) {
      if (name === "set-cookie" || HOP_BY_HOP.has(name)) continue;
      request.setHeader(name, value);
    }
    for (const cookie of response.headers.getSetCookie()) {
      request.responseHeaders.addRawHeader("Set-Cookie", cookie);
    }
    const status = response.status;
    if (
      body === null || request.method === "HEAD" || status === 204 || status === 304 ||
      status < 200
    ) {
      if (body !== null) await body.cancel().catch(() => {});
      if (!request.disconnected && !request.finishCalled) request.finish();
      return NOT_DONE_YET;
    }
    producer = new StreamProducer(body);
    await producer.run(request);
    return NOT_DONE_YET;
  }
}

// ---- a Site as a fetch handler ---------------------------------------------

/** Options of `siteAsFetchHandler`. */
export interface FetchHandlerOptions {
  /** Bytes of response body buffered for a slow reader before the site is paused. @default 65536 */
  highWaterMark?: number;
}

/**
 * What a native server passes as the handler's second argument: Deno's
 * `ServeHandlerInfo` (`remoteAddr`) or Bun's `Server` (`requestIP`).
 */
export interface ServeInfo {
  /** Deno: the client's address. */
  remoteAddr?: { hostname: string; port: number };
  /** Bun: the client's address for a request. */
  requestIP?(request: globalThis.Request): { address: string; port: number } | null;
}

/** A `Site` as a fetch handler (what `siteAsFetchHandler` returns). */
export type SiteFetchHandler = (
  request: globalThis.Request,
  info?: ServeInfo,
) => Promise<Response>;

function addressOf(host: string, port: number): IPv4Address | IPv6Address {
  const bare = host.startsWith("[") ? host.slice(1, -1) : host;
  return bare.includes(":")
    ? new IPv6Address("TCP", bare, port)
    : new IPv4Address("TCP", bare, port);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfCRLF(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) return i;
  }
  return -1;
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
  return s;
}

const HEAD = 0; // reading the response head
const FIXED = 1; // a body of known length
const CHUNKED_SIZE = 2;
const CHUNKED_DATA = 3;
const CHUNKED_CRLF = 4;
const TRAILERS = 5;
const UNTIL_CLOSE = 6;
const DONE = 7;

/**
 * The in-memory transport between one bridged request and its `HTTPChannel`:
 * it takes the bytes the channel writes, parses the response head into a
 * `Response`, and turns the body framing back into a `ReadableStream`,
 * pausing the site's producer when that stream's reader is slow.
 */
class BridgeTransport implements ITransport {
  disconnecting = false;
  /** Read by `HTTPChannel.isSecure`. */
  secure: boolean;
  #peer: Address;
  #host: Address;
  #channel: HTTPChannel;
  #headRequest: boolean;
  #state = HEAD;
  #buf: Uint8Array = new Uint8Array(0);
  #left = 0;
  #lost = false;
  #readPaused = false;
  #readResume: (() => void) | null = null;
  #producer: IPushProducer | IPullProducer | null = null;
  #streaming = false;
  #producerPaused = false;
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #stream: ReadableStream<Uint8Array> | null = null;
  #resolve: (r: Response) => void;
  #reject: (e: unknown) => void;
  /** The response, once its head has been written. */
  readonly response: Promise<Response>;
  /** Called once when the connection ends. */
  onLost: (() => void) | null = null;

  constructor(
    channel: HTTPChannel,
    peer: Address,
    host: Address,
    secure: boolean,
    headRequest: boolean,
    highWaterMark: number,
  ) {
    this.#channel = channel;
    this.#peer = peer;
    this.#host = host;
    this.secure = secure;
    this.#headRequest = headRequest;
    let resolve!: (r: Response) => void;
    let reject!: (e: unknown) => void;
    this.response = new Promise<Response>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#resolve = resolve;
    this.#reject = reject;
    this.#stream = new ReadableStream<Uint8Array>({
      start: (controller): void => {
        this.#controller = controller;
      },
      pull: (): void => {
        if (this.#producer === null) return;
        if (!this.#streaming) (this.#producer as IPullProducer).resumeProducing();
        else if (this.#producerPaused) {
          this.#producerPaused = false;
          this.#producer.resumeProducing();
        }
      },
      cancel: (): void => {
        // The client of the native server went away.
        this.#lose(new ConnectionLost("The response body was cancelled"));
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark }));
  }

  // ---- ITransport (the channel writes here) ----------------------------------

  write(data: Uint8Array): void {
    if (this.#lost || data.length === 0) return;
    this.#feed(data);
  }

  writeSequence(data: Iterable<Uint8Array>): void {
    for (const d of data) this.write(d);
  }

  loseConnection(): void {
    if (this.disconnecting) return;
    this.disconnecting = true;
    // Nothing is buffered here: every write has already been delivered.
    queueMicrotask(() => this.#lose(new ConnectionDone("Connection was closed cleanly")));
  }

  abortConnection(): void {
    this.disconnecting = true;
    queueMicrotask(() => this.#lose(new ConnectionLost("Connection was aborted")));
  }

  getPeer(): Address {
    return this.#peer;
  }

  getHost(): Address {
    return this.#host;
  }

  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.#producer !== null) throw new Error("Cannot register two producers");
    if (this.#lost) {
      producer.stopProducing();
      return;
    }
    this.#producer = producer;
    this.#streaming = streaming;
    this.#producerPaused = false;
    if (!streaming) (producer as IPullProducer).resumeProducing();
  }

  unregisterProducer(): void {
    this.#producer = null;
    this.#producerPaused = false;
  }

  // The channel pauses reading while it renders; the request feeder waits.
  pauseProducing(): void {
    this.#readPaused = true;
  }

  resumeProducing(): void {
    this.#readPaused = false;
    const resume = this.#readResume;
    this.#readResume = null;
    resume?.();
  }

  stopProducing(): void {
    this.abortConnection();
  }

  /** Resolves once the channel is ready for more request bytes. */
  readable(): Promise<void> | null {
    if (!this.#readPaused || this.#lost) return null;
    return new Promise<void>((resolve) => this.#readResume = resolve);
  }

  get lost(): boolean {
    return this.#lost;
  }

  // ---- the connection ends ----------------------------------------------------

  /** Ends the connection: tells the channel, ends or fails the body. */
  #lose(reason: Error): void {
    if (this.#lost) return;
    this.#lost = true;
    this.disconnecting = true;
    const producer = this.#producer;
    this.#producer = null;
    const complete = this.#state === DONE || this.#state === UNTIL_CLOSE;
    if (this.#state === HEAD) {
      this.#reject(
        new Error(`The site closed the connection without a response: ${reason.message}`),
      );
    } else if (complete) {
      this.#close();
    } else {
      try {
        this.#controller?.error(new Error("The response body was cut short"));
      } catch {
        // Already closed or cancelled.
      }
    }
    this.#resumeReader();
    const onLost = this.onLost;
    this.onLost = null;
    onLost?.();
    try {
      producer?.stopProducing();
    } finally {
      this.#channel.connectionLost(
        new Failure(reason instanceof ConnectionDone && !complete ? new ConnectionLost() : reason),
      );
    }
  }

  #resumeReader(): void {
    const resume = this.#readResume;
    this.#readResume = null;
    resume?.();
  }

  #close(): void {
    try {
      this.#controller?.close();
    } catch {
      // Cancelled by the reader.
    }
  }

  /** Aborts from outside (request signal): the site sees the client go away. */
  abort(): void {
    this.#lose(new ConnectionLost("The request was aborted"));
  }

  // ---- parsing what the channel writes ---------------------------------------

  #enqueue(bytes: Uint8Array): void {
    const controller = this.#controller!;
    try {
      controller.enqueue(bytes);
    } catch {
      return;
    }
    const producer = this.#producer;
    if (
      producer !== null && this.#streaming && !this.#producerPaused &&
      (controller.desiredSize ?? 1) <= 0
    ) {
      this.#producerPaused = true;
      (producer as IPushProducer).pauseProducing();
    }
  }

  #feed(data: Uint8Array): void {
    let buf = this.#buf.length > 0 ? concat(this.#buf, data) : data;
    let at = 0;
    while (at < buf.length) {
      const state = this.#state;
      if (state === FIXED || state === CHUNKED_DATA) {
        const n = Math.min(this.#left, buf.length - at);
        this.#enqueue(at === 0 && n === buf.length ? buf : buf.slice(at, at + n));
        at += n;
        this.#left -= n;
        if (this.#left === 0) {
          if (state === FIXED) this.#finishBody();
          else this.#state = CHUNKED_CRLF;
        }
        continue;
      }
      if (state === UNTIL_CLOSE) {
        this.#enqueue(at === 0 ? buf : buf.slice(at));
        at = buf.length;
        continue;
      }
      if (state === DONE) {
        at = buf.length;
        break;
      }
      if (state === HEAD) {
        const end = this.#findHeadEnd(buf, at);
        if (end < 0) break;
        this.#head(buf, at, end);
        at = end + 4;
        continue;
      }
      // Line-based states of the chunked framing.
      const eol = indexOfCRLF(buf, at);
      if (eol < 0) break;
      const line = latin1(buf, at, eol);
      at = eol + 2;
      if (state === CHUNKED_SIZE) {
        const size = parseInt(line.split(";")[0].trim(), 16);
        if (size === 0) this.#state = TRAILERS;
        else {
          this.#left = size;
          this.#state = CHUNKED_DATA;
        }
      } else if (state === CHUNKED_CRLF) {
        this.#state = CHUNKED_SIZE;
      } else if (state === TRAILERS && line === "") {
        this.#finishBody();
      }
    }
    buf = at < buf.length ? buf.slice(at) : new Uint8Array(0);
    this.#buf = buf;
  }

  #findHeadEnd(buf: Uint8Array, from: number): number {
    for (let i = from; i + 3 < buf.length; i++) {
      if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
    }
    return -1;
  }

  #head(buf: Uint8Array, start: number, end: number): void {
    const lines = latin1(buf, start, end).split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]);
    if (m === null) throw new Error(`Bad status line from the site: ${lines[0]}`);
    const status = Number(m[1]);
    if (status < 200) return; // an interim response (100 Continue): wait for the real one
    const headers = new globalThis.Headers();
    let chunked = false;
    let length = -1;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "transfer-encoding") chunked = value.toLowerCase().includes("chunked");
      if (name === "content-length") length = Number(value);
      if (HOP_BY_HOP.has(name)) continue;
      headers.append(name, value);
    }
    const noBody = this.#headRequest || status === 204 || status === 304;
    if (noBody) this.#state = DONE;
    else if (chunked) this.#state = CHUNKED_SIZE;
    else if (length >= 0) {
      this.#left = length;
      this.#state = length === 0 ? DONE : FIXED;
    } else this.#state = UNTIL_CLOSE;
    if (this.#state === DONE) this.#close();
    this.#resolve(
      new Response(noBody ? null : this.#stream, {
        status,
        statusText: m[2],
        headers,
      }),
    );
  }

  #finishBody(): void {
    this.#state = DONE;
    this.#close();
  }
}

/**
 * A `Site` as a fetch handler: each call serves one request through a fresh
 * `HTTPChannel` over an in-memory transport, so the site behaves exactly as
 * over a socket (limits, HEAD, conditional GET, encoders, producers). The
 * `Response` resolves once the site wrote its head; the body streams after,
 * and the site's producer is paused while the reader is slow. Aborting the
 * request's `signal` or cancelling the body tells the site the client went
 * away. Connection-level matters (keep-alive, idle timeouts) are left to the
 * native server. Pass it to `Deno.serve(handler)` or `Bun.serve({ fetch:
 * handler })`.
 * @param site the site
 * @param options buffering
 */
export function siteAsFetchHandler(
  site: Site,
  options: FetchHandlerOptions = {},
): SiteFetchHandler {
  const highWaterMark = options.highWaterMark ?? 65536;
  return async (req: globalThis.Request, info?: ServeInfo): Promise<Response> => {
    const url = new URL(req.url);
    let peer: Address = new IPv4Address("TCP", "127.0.0.1", 0);
    if (info?.remoteAddr !== undefined) {
      peer = addressOf(info.remoteAddr.hostname, info.remoteAddr.port);
    } else if (typeof info?.requestIP === "function") {
      const ip = info.requestIP(req);
      if (ip !== null) peer = addressOf(ip.address, ip.port);
    }
    const secure = url.protocol === "https:";
    const host = addressOf(url.hostname, Number(url.port || (secure ? 443 : 80)));
    const channel = site.buildProtocol(peer);
    if (channel === null) {
      return new Response("Service Unavailable", { status: 503 });
    }
    // The native server times out connections; per-request timers would only cost.
    channel.timeOut = null;
    channel.requestTimeout = null;
    const transport = new BridgeTransport(
      channel,
      peer,
      host,
      secure,
      req.method === "HEAD",
      highWaterMark,
    );
    channel.makeConnection(transport);
    const signal = req.signal;
    const onAbort = (): void => transport.abort();
    if (signal.aborted) transport.abort();
    else {
      signal.addEventListener("abort", onAbort, { once: true });
      transport.onLost = () => signal.removeEventListener("abort", onAbort);
    }
    feedRequest(req, url, channel, transport).catch(() => transport.abort());
    return await transport.response;
  };
}

/** Writes `req` to the channel as HTTP/1.1 bytes: the head, then the body. */
async function feedRequest(
  req: globalThis.Request,
  url: URL,
  channel: HTTPChannel,
  transport: BridgeTransport,
): Promise<void> {
  let head = `${req.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  let hasHost = false;
  let length: string | null = null;
  for (const [name, value] of req.headers) {
    if (HOP_BY_HOP.has(name) || name === "expect") continue;
    if (name === "content-length") {
      length = value;
      continue;
    }
    if (name === "host") hasHost = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasHost) head += `host: ${url.host}\r\n`;
  head += "connection: close\r\n";
  const body = req.body;
  if (body === null) {
    if (req.method !== "GET" && req.method !== "HEAD") head += "content-length: 0\r\n";
    channel.dataReceived(enc.encode(head + "\r\n"));
    return;
  }
  const chunked = length === null;
  head += chunked ? "transfer-encoding: chunked\r\n" : `content-length: ${length}\r\n`;
  channel.dataReceived(enc.encode(head + "\r\n"));
  const reader = body.getReader();
  try {
    for (;;) {
      const wait = transport.readable();
      if (wait !== null) await wait;
      if (transport.lost) return;
      const { done, value } = await reader.read();
      if (transport.lost) return;
      if (done) break;
      if (value.length === 0) continue;
      if (chunked) {
        channel.dataReceived(enc.encode(value.length.toString(16) + "\r\n"));
        channel.dataReceived(value);
        channel.dataReceived(enc.encode("\r\n"));
      } else channel.dataReceived(value);
    }
    if (chunked) channel.dataReceived(enc.encode("0\r\n\r\n"));
  } finally {
    if (transport.lost) reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
}
