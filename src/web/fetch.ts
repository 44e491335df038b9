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
import { concatBytes } from "../internet/_bytes.ts";
import type { IPullProducer, IPushProducer, ITransport } from "../internet/interfaces.ts";
import { LazyRequestHeaders } from "./_fetch_headers.ts";
import { HOP_BY_HOP } from "./_headers.ts";
import { direct, fieldList, serveRequest } from "./_internal.ts";
import type { HTTPRequest, IDirectResponse } from "./_http_request.ts";
import type { HTTPChannel } from "./http.ts";
import { RESPONSES } from "./_status.ts";
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
 *
 * @example
 * ```ts
 * import { FetchResource, Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * // Any fetch-style application: Hono's `app.fetch`, a router, a plain function.
 * const app = (req: globalThis.Request) => Response.json({ path: new URL(req.url).pathname });
 * const root = new Resource();
 * root.putChild("api", new FetchResource(app, { stripPrefix: true }));
 * const handle = siteAsFetchHandler(new Site(root, { clock: new Clock() }));
 * const res = await handle(new Request("http://localhost/api/users/7"));
 * console.log(await res.json()); // { path: "/users/7" }
 * ```
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
) => Response | Promise<Response>;

function addressOf(host: string, port: number): IPv4Address | IPv6Address {
  const bare = host.startsWith("[") ? host.slice(1, -1) : host;
  return bare.includes(":")
    ? new IPv6Address("TCP", bare, port)
    : new IPv4Address("TCP", bare, port);
}

const EMPTY = new Uint8Array(0);
// The end of a cleanly finished bridged request, told to its channel (one
// shared value: nobody reads it, and an Error per request costs a stack).
let cleanClose: Failure | null = null;

/**
 * The connection of one bridged request: the transport of its `HTTPChannel`
 * and, as `channel[direct]`, where the response goes as values (status,
 * headers, body bytes), never as HTTP text. A response that is complete
 * when the site returns from rendering becomes a `Response` over one
 * `Uint8Array`; otherwise its body is a `ReadableStream`, and the site's
 * producer is paused while that stream's reader is slow.
 */
class BridgeTransport implements ITransport, IDirectResponse {
  disconnecting = false;
  /** Read by `HTTPChannel.isSecure`. */
  secure: boolean;
  #channel: HTTPChannel;
  #info: ServeInfo | undefined;
  #req: globalThis.Request;
  #hostPort: string;
  #peer: Address | null = null;
  #host: Address | null = null;
  #highWaterMark: number;
  // The head, once written.
  #status = 0;
  #statusText = "";
  // The head's fields for the Response: name -> value, or pairs when a name
  // repeats (a record is converted faster by the runtimes' Response).
  #headers: Record<string, string> | [string, string][] | null = null;
  // The Content-Length the site set, kept out of #headers: the runtime sets
  // it from a whole body itself.
  #length: string | null = null;
  #noBody = false;
  // Body bytes written before the Response exists.
  #pending: (Uint8Array | string)[] = [];
  #pendingSize = 0;
  #ended = false;
  #lost = false;
  #producer: IPushProducer | IPullProducer | null = null;
  #streaming = false;
  #producerPaused = false;
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #resolve: ((r: Response) => void) | null = null;
  #reject: ((e: unknown) => void) | null = null;
  /** Called once when the connection ends. */
  onLost: (() => void) | null = null;

  constructor(
    channel: HTTPChannel,
    req: globalThis.Request,
    info: ServeInfo | undefined,
    hostPort: string,
    secure: boolean,
    highWaterMark: number,
  ) {
    this.#channel = channel;
    this.#req = req;
    this.#info = info;
    this.#hostPort = hostPort;
    this.secure = secure;
    this.#highWaterMark = highWaterMark;
  }

  /** True once the response is complete or the connection is gone. */
  get done(): boolean {
    return this.#ended || this.#lost;
  }

  // ---- IDirectResponse (the request writes here) ------------------------------

  sendHead(request: HTTPRequest, body: Uint8Array | string, noBody: boolean): void {
    if (this.#lost) return;
    this.#status = request.code;
    this.#statusText = request.code_message;
    this.#noBody = noBody;
    this.#headers = this.#fields(request);
    if (body.length > 0) this.sendBody(body);
    if (this.#resolve !== null) {
      // The handler waits (the site rendered later): answer after the
      // current job, so that a finish() right after the head still gives a
      // whole body rather than a stream.
      queueMicrotask(() => {
        const resolve = this.#resolve;
        const reject = this.#reject;
        if (resolve === null || reject === null) return;
        this.#resolve = this.#reject = null;
        try {
          resolve(this.#makeResponse());
        } catch (e) {
          reject(e);
        }
      });
    }
  }

  /** The response's fields but the hop-by-hop ones and Content-Length (see `#headers`). */
  #fields(request: HTTPRequest): Record<string, string> | [string, string][] {
    const list = request.responseHeaders[fieldList]();
    let record: Record<string, string> | null = {};
    if (list === null) return record;
    let pairs: [string, string][] | null = null;
    for (let i = 0; i < list.length; i += 3) {
      const lower = list[i];
      const value = list[i + 2];
      if (HOP_BY_HOP.has(lower)) continue;
      if (lower === "content-length") {
        this.#length = value;
        continue;
      }
      if (record !== null && lower !== "__proto__" && !Object.hasOwn(record, lower)) {
        record[lower] = value;
        continue;
      }
      pairs ??= record === null ? [] : Object.entries(record);
      record = null;
      pairs.push([lower, value]);
    }
    return record ?? pairs!;
  }

  sendBody(data: Uint8Array | string): void {
    if (this.#lost || this.#noBody || data.length === 0) return;
    const controller = this.#controller;
    if (controller === null) {
      this.#pending.push(data);
      this.#pendingSize += data.length;
      if (this.#pendingSize >= this.#highWaterMark) this.#pauseProducer();
      return;
    }
    try {
      controller.enqueue(typeof data === "string" ? enc.encode(data) : data);
    } catch {
      return; // cancelled by the reader
    }
    if ((controller.desiredSize ?? 1) <= 0) this.#pauseProducer();
  }

  #pauseProducer(): void {
    const producer = this.#producer;
    if (producer !== null && this.#streaming && !this.#producerPaused) {
      this.#producerPaused = true;
      (producer as IPushProducer).pauseProducing();
    }
  }

  // ---- the Response ------------------------------------------------------------

  /** The response now if its head was written, else once it is. */
  response(): Response | Promise<Response> {
    if (this.#headers !== null) return this.#makeResponse();
    if (this.#lost) {
      return Promise.reject(new Error("The connection was lost before the site answered"));
    }
    if (this.#ended) return new Response("Internal Server Error", { status: 500 });
    return new Promise<Response>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  #makeResponse(): Response {
    const status = this.#status;
    const headers = this.#headers!;
    let body: BodyInit | null = null;
    const hasBody = !this.#noBody && status !== 204 && status !== 304 && status >= 200;
    const length = this.#length;
    if (!(hasBody && this.#ended) && length !== null) {
      // A streamed body or none (HEAD): the site's Content-Length goes out.
      if (Array.isArray(headers)) headers.push(["content-length", length]);
      else headers["content-length"] = length;
    }
    if (hasBody) {
      if (this.#ended) {
        const pending = this.#pending;
        this.#pending = [];
        body = pending.length === 0
          ? null
          : pending.length === 1
          ? pending[0] as string | Uint8Array<ArrayBuffer>
          : concatBytes(
            pending.map((c) => typeof c === "string" ? enc.encode(c) : c),
          ) as Uint8Array<ArrayBuffer>;
      } else body = this.#stream();
    }
    try {
      // Deno answers a 200 with one Content-Type and no custom reason without
      // a native call: pass the reason only when it is not the standard one.
      const text = this.#statusText;
      return text === RESPONSES[status]
        ? new Response(body, { status, headers })
        : new Response(body, { status, statusText: text, headers });
    } catch (e) {
      // A status or header the fetch API refuses (1xx, > 599, a bad value).
      this.abortConnection();
      throw e;
    }
  }

  #stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start: (controller): void => {
        this.#controller = controller;
        const pending = this.#pending;
        this.#pending = [];
        for (const chunk of pending) {
          controller.enqueue(typeof chunk === "string" ? enc.encode(chunk) : chunk);
        }
        if (this.#ended) controller.close();
        else if (this.#lost) controller.error(new Error("The response body was cut short"));
      },
      pull: (): void => {
        const producer = this.#producer;
        if (producer === null) return;
        if (!this.#streaming) (producer as IPullProducer).resumeProducing();
        else if (this.#producerPaused) {
          this.#producerPaused = false;
          producer.resumeProducing();
        }
      },
      cancel: (): void => {
        // The client of the native server went away.
        this.#lose(new ConnectionLost("The response body was cancelled"));
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark: this.#highWaterMark }));
  }

  // ---- ITransport (the channel and the request) ----------------------------------

  write(_data: Uint8Array): void {
    // Only an upgrade (101) or a parse error writes bytes, and neither
    // applies to a request the native server already parsed.
  }

  writeSequence(_data: Iterable<Uint8Array>): void {}

  /** The channel is done with the request (it finished, or failed before a head). */
  loseConnection(): void {
    if (this.disconnecting) return;
    this.disconnecting = true;
    this.#ended = true;
    try {
      this.#controller?.close();
    } catch {
      // Cancelled by the reader.
    }
    const resolve = this.#resolve;
    if (resolve !== null) {
      this.#resolve = this.#reject = null;
      resolve(this.response() as Response);
    }
    this.#lost = true;
    const onLost = this.onLost;
    this.onLost = null;
    onLost?.();
    cleanClose ??= new Failure(new ConnectionDone("Connection was closed cleanly"));
    this.#channel.connectionLost(cleanClose);
  }

  abortConnection(): void {
    this.#lose(new ConnectionLost("Connection was aborted"));
  }

  getPeer(): Address {
    if (this.#peer === null) {
      const info = this.#info;
      let peer: Address | null = null;
      if (info?.remoteAddr !== undefined) {
        peer = addressOf(info.remoteAddr.hostname, info.remoteAddr.port);
      } else if (typeof info?.requestIP === "function") {
        const ip = info.requestIP(this.#req);
        if (ip !== null) peer = addressOf(ip.address, ip.port);
      }
      this.#peer = peer ?? new IPv4Address("TCP", "127.0.0.1", 0);
    }
    return this.#peer;
  }

  getHost(): Address {
    if (this.#host === null) {
      const hp = this.#hostPort;
      const close = hp.startsWith("[") ? hp.indexOf("]") : -1;
      const colon = hp.indexOf(":", close + 1);
      const name = colon < 0 ? hp : hp.slice(0, colon);
      const port = colon < 0 ? (this.secure ? 443 : 80) : Number(hp.slice(colon + 1));
      this.#host = addressOf(name, port);
    }
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

  // The channel pauses reading while it renders: the body was read already.
  pauseProducing(): void {}

  resumeProducing(): void {}

  stopProducing(): void {
    this.abortConnection();
  }

  /** Ends the connection early: the body fails, the site hears the client left. */
  #lose(reason: Error): void {
    if (this.#lost) return;
    this.#lost = true;
    this.disconnecting = true;
    const producer = this.#producer;
    this.#producer = null;
    if (!this.#ended) {
      try {
        this.#controller?.error(new Error("The response body was cut short"));
      } catch {
        // Already closed or cancelled.
      }
    }
    const reject = this.#reject;
    if (reject !== null) {
      this.#resolve = this.#reject = null;
      reject(new Error(`The site closed the connection without a response: ${reason.message}`));
    }
    const onLost = this.onLost;
    this.onLost = null;
    onLost?.();
    try {
      producer?.stopProducing();
    } finally {
      this.#channel.connectionLost(new Failure(reason));
    }
  }

  /** Aborts from outside (request signal): the site sees the client go away. */
  abort(): void {
    this.#lose(new ConnectionLost("The request was aborted"));
  }
}

/**
 * A `Site` as a fetch handler: each call builds our `Request` straight from
 * the fetch `Request` (method, target, headers, the whole body, the client's
 * address from the server's info) and renders it through the site's
 * resource tree, as an `HTTPChannel` would after parsing it (limits, HEAD,
 * conditional GET, encoders, producers, sessions). The response goes back
 * as values, with no HTTP text in between: a response finished during
 * rendering is one `Uint8Array`; a later or streamed one resolves once the
 * site wrote its head, and its body streams with the site's producer paused
 * while the reader is slow. Aborting the request's `signal` or cancelling
 * the body tells the site the client went away. Connection-level matters
 * (keep-alive, idle timeouts) are left to the native server. Pass it to
 * `Deno.serve(handler)` or `Bun.serve({ fetch: handler })`.
 * @param site the site
 * @param options buffering
 *
 * @example
 * ```ts
 * import { Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * class Hello extends Resource {
 *   override isLeaf = true;
 *   render_GET(): string {
 *     return "Hello, world!";
 *   }
 * }
 * const handler = siteAsFetchHandler(new Site(new Hello(), { clock: new Clock() }));
 * const res = await handler(new Request("http://localhost/"));
 * console.log(res.status, await res.text()); // 200 "Hello, world!"
 * // Deno.serve({ port: 8080 }, handler) or Bun.serve({ port: 8080, fetch: handler })
 * ```
 */
export function siteAsFetchHandler(
  site: Site,
  options: FetchHandlerOptions = {},
): SiteFetchHandler {
  const highWaterMark = options.highWaterMark ?? 65536;
  return (req: globalThis.Request, info?: ServeInfo): Response | Promise<Response> => {
    // No await unless there is a body to read: the native servers take a
    // Response returned synchronously faster than a promise.
    if (req.body === null) return serve(site, req, info, EMPTY, highWaterMark);
    return readBody(site, req).then((body) =>
      body === null ? tooLarge() : serve(site, req, info, body, highWaterMark)
    );
  };
}

/** The whole request body, or null when it is larger than the site allows. */
async function readBody(site: Site, req: globalThis.Request): Promise<Uint8Array | null> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > site.maxRequestBodySize) {
    await req.body?.cancel().catch(() => {});
    return null;
  }
  const body = new Uint8Array(await req.arrayBuffer());
  return body.length > site.maxRequestBodySize ? null : body;
}

/** Renders `req` (its body already read) through the site. */
function serve(
  site: Site,
  req: globalThis.Request,
  info: ServeInfo | undefined,
  body: Uint8Array,
  highWaterMark: number,
): Response | Promise<Response> {
  // The URL of a Request is always absolute and serialized: split it by hand.
  const href = req.url;
  const sep = href.indexOf("://");
  const slash = href.indexOf("/", sep + 3);
  const hostPort = slash < 0 ? href.slice(sep + 3) : href.slice(sep + 3, slash);
  let uri = slash < 0 ? "/" : href.slice(slash);
  const hash = uri.indexOf("#");
  if (hash >= 0) uri = uri.slice(0, hash);
  const secure = sep === 5 && href.startsWith("https");
  const method = req.method;

  const channel = site.buildProtocol(EMPTY_PEER);
  if (channel === null) {
    return new Response("Service Unavailable", { status: 503 });
  }
  // The native server times out connections; per-request timers would only cost.
  channel.timeOut = null;
  channel.requestTimeout = null;
  const transport = new BridgeTransport(channel, req, info, hostPort, secure, highWaterMark);
  channel[direct] = transport;
  channel.makeConnection(transport);

  const request = channel.requestFactory!(channel);
  const headers = new LazyRequestHeaders(
    req,
    hostPort,
    body.length > 0 || (method !== "GET" && method !== "HEAD") ? String(body.length) : null,
  );
  request.requestHeaders = headers;
  request.gotLength(body.length);
  if (body.length > 0) request.handleContentChunk(body);
  channel[serveRequest](request, method, uri, "HTTP/1.1");

  if (!transport.done) {
    // Rendering goes on (a promise, NOT_DONE_YET): watch for the client leaving.
    const signal = req.signal;
    if (signal.aborted) transport.abort();
    else {
      const onAbort = (): void => transport.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      transport.onLost = () => signal.removeEventListener("abort", onAbort);
    }
  }
  return transport.response();
}

// Only the transport's own address matters to the channel (it asks it).
const EMPTY_PEER = new IPv4Address("TCP", "0.0.0.0", 0);

function tooLarge(): Response {
  return new Response("413 Request Entity Too Large: Request body too large\n", {
    status: 413,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
