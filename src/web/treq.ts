/**
 * A convenience layer over the `Agent` in the spirit of Python's treq,
 * exported by `@tw/core/web` as `treq`: `get`, `post`, `put`, `patch`, `delete`, `head`
 * and `request` fire with a `TreqResponse` whose body is read with
 * `content()`, `text()` or `json()`. Requests go through a shared agent (a
 * persistent pool on the installed reactor) that decodes gzip and follows
 * redirects, unless an `agent` is given.
 *
 * @example
 * ```ts
 * import { treq } from "@tw/core/web";
 * import "@tw/core"; // installs the reactor
 *
 * const fetchJson = async (url: string) => {
 *   const response = await treq.get(url, { params: { q: "twisted" }, timeout: 10 });
 *   return response.code === 200 ? await response.json() : null;
 * };
 * console.log(typeof fetchJson); // "function"
 * await treq.closeDefaultPool();
 * ```
 * @module
 */
import { Deferred } from "../internet/defer.ts";
import { Failure } from "../internet/failure.ts";
import type { IReactorTime } from "../internet/interfaces.ts";
import { getReactor } from "../internet/reactor.ts";
import { Headers, type HeadersInit } from "./_headers.ts";
import { type BodySource, BytesBodyProducer, type IBodyProducer } from "./_client_body.ts";
import type { Response } from "./_client_response.ts";
import { concatBytes } from "../internet/_bytes.ts";
import { PotentialDataLoss, ResponseDone } from "./_client_errors.ts";
import { Agent, type IAgent } from "./_client_agent.ts";
import { HTTPConnectionPool } from "./_client_pool.ts";
import { BrowserLikeRedirectAgent, RedirectAgent } from "./_client_redirect.ts";
import { ContentDecoderAgent, GzipDecoder } from "./_client_decoder.ts";
import { Protocol } from "../internet/protocol.ts";
import { stopBody } from "./_internal.ts";

/** Query parameters: a record (a list value repeats the name) or pairs. */
export type Params =
  | Record<string, string | number | readonly (string | number)[]>
  | Iterable<readonly [string, string | number]>;

/** Options of every treq call. */
export interface RequestOptions {
  /** Request headers. */
  headers?: Headers | HeadersInit;
  /** Query parameters appended to the URL. */
  params?: Params;
  /** A JSON body (sent with `Content-Type: application/json`). */
  json?: unknown;
  /**
   * A form body: a record or pairs are sent url-encoded
   * (`application/x-www-form-urlencoded`); bytes or a string are sent as they are.
   */
  data?: Params | Uint8Array | string;
  /** A raw body: bytes, text, a stream, or a body producer. */
  body?: BodySource | IBodyProducer;
  /** Seconds before the request is cancelled (until the response head arrives). */
  timeout?: number;
  /** The agent to use. @default the shared agent */
  agent?: IAgent;
  /** Follow redirects (with the shared agent only). @default true */
  allowRedirects?: boolean;
  /** Follow redirects as browsers do (301/302 become GET). @default false */
  browserLikeRedirects?: boolean;
  /** Read the body as it comes instead of buffering it (then it can be read once). @default false */
  unbuffered?: boolean;
  /** The reactor for timeouts. @default getReactor() */
  reactor?: IReactorTime;
}

const enc = new TextEncoder();

let sharedPool: HTTPConnectionPool | null = null;
let sharedAgents: Map<string, IAgent> | null = null;

/** The shared connection pool of the default agent (persistent, on `getReactor()`). */
export function getDefaultPool(): HTTPConnectionPool {
  return sharedPool ??= new HTTPConnectionPool(getReactor(), true);
}

/**
 * Closes the shared pool's idle connections and forgets it (a later call
 * makes a new one); fires once they are closed. Call it before a program or
 * a test ends.
 */
export function closeDefaultPool(): Deferred<void> {
  const pool = sharedPool;
  sharedPool = null;
  sharedAgents = null;
  if (pool === null) {
    const d = new Deferred<void>();
    d.callback(undefined);
    return d;
  }
  return pool.closeCachedConnections();
}

function defaultAgent(redirects: boolean, browserLike: boolean): IAgent {
  const key = `${redirects}/${browserLike}`;
  sharedAgents ??= new Map();
  let agent = sharedAgents.get(key);
  if (agent === undefined) {
    const reactor = getReactor();
    agent = new ContentDecoderAgent(
      new Agent(reactor, { pool: getDefaultPool() }),
      [["gzip", GzipDecoder], ["x-gzip", GzipDecoder]],
    );
    if (redirects) {
      agent = browserLike ? new BrowserLikeRedirectAgent(agent) : new RedirectAgent(agent);
    }
    sharedAgents.set(key, agent);
  }
  return agent;
}

function pairs(params: Params): [string, string][] {
  const out: [string, string][] = [];
  if (Symbol.iterator in params) {
    for (const [k, v] of params as Iterable<readonly [string, string | number]>) {
      out.push([k, String(v)]);
    }
  } else {
    for (const [k, v] of Object.entries(params)) {
      if (Array.isArray(v)) { for (const item of v) out.push([k, String(item)]); }
      else out.push([k, String(v)]);
    }
  }
  return out;
}

function urlencode(params: Params): string {
  const search = new URLSearchParams();
  for (const [k, v] of pairs(params)) search.append(k, v);
  return search.toString();
}

function isProducer(body: unknown): body is IBodyProducer {
  return typeof (body as IBodyProducer).startProducing === "function";
}

/**
 * A response with its body read on request (treq's `_Response`). `content()`,
 * `text()` and `json()` fire with the body; a buffered response (the default)
 * can be read any number of times.
 */
export class TreqResponse {
  /** The underlying `Response`. */
  readonly original: Response;
  #buffered: boolean;
  #started = false;
  #result: Uint8Array | Failure | null = null;
  #waiting: Deferred<Uint8Array>[] = [];

  /**
   * Wraps a response.
   * @param response the response
   * @param buffered read the body at once and keep it
   */
  constructor(response: Response, buffered = true) {
    this.original = response;
    this.#buffered = buffered;
    if (buffered) this.#start();
  }

  /** The status code. */
  get code(): number {
    return this.original.code;
  }

  /** The reason phrase. */
  get phrase(): string {
    return this.original.phrase;
  }

  /** The response headers. */
  get headers(): Headers {
    return this.original.headers;
  }

  /** The body length, when known. */
  get length(): Response["length"] {
    return this.original.length;
  }

  /** The responses that redirected to this one, oldest first. */
  history(): Response[] {
    const out: Response[] = [];
    for (let r = this.original.previousResponse; r !== null; r = r.previousResponse) out.unshift(r);
    return out;
  }

  #start(): void {
    this.#started = true;
    collect(this.original, (result) => {
      this.#result = result;
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const d of waiting) this.#settle(d);
    });
  }

  #settle(d: Deferred<Uint8Array>): void {
    const result = this.#result!;
    if (result instanceof Failure) d.errback(result);
    else d.callback(result);
  }

  /**
   * The body's bytes. A body ended by the connection closing counts as
   * complete. Cancelling the Deferred aborts the connection.
   */
  content(): Deferred<Uint8Array> {
    const d = new Deferred<Uint8Array>(() => {
      if (this.#result === null) this.original[stopBody]();
    });
    if (this.#started && !this.#buffered) {
      d.errback(new Error("An unbuffered response's body can be read only once"));
      return d;
    }
    if (!this.#started) this.#start();
    if (this.#result !== null) this.#settle(d);
    else this.#waiting.push(d);
    return d;
  }

  /**
   * The body decoded as text: `encoding`, else the Content-Type's charset,
   * else UTF-8.
   */
  text(encoding?: string): Deferred<string> {
    const charset = encoding ?? /charset=["']?([\w-]+)/i.exec(
      this.headers.getLast("content-type") ?? "",
    )?.[1] ?? "utf-8";
    return this.content().addCallback((b: Uint8Array) => new TextDecoder(charset).decode(b));
  }

  /** The body parsed as JSON (UTF-8). */
  json<T = unknown>(): Deferred<T> {
    return this.content().addCallback((b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)));
  }
}

/** Reads a whole body, accepting `PotentialDataLoss` as a complete body (as treq does). */
function collect(response: Response, done: (result: Uint8Array | Failure) => void): void {
  const chunks: Uint8Array[] = [];
  let finished = false;
  response.deliverBody(
    new (class extends Protocol {
      override dataReceived(data: Uint8Array): void {
        chunks.push(data);
      }
      override connectionLost(reason: Failure): void {
        if (finished) return;
        finished = true;
        done(reason.check(ResponseDone, PotentialDataLoss) ? concatBytes(chunks) : reason);
      }
    })(),
  );
}

/**
 * Sends a request (treq's `request`).
 * @param method the method
 * @param url an absolute http(s) URL
 * @param options headers, params, body, timeout, agent
 * @returns a Deferred of the response
 */
export function request(
  method: string,
  url: string,
  options: RequestOptions = {},
): Deferred<TreqResponse> {
  const headers = options.headers instanceof Headers
    ? options.headers.copy()
    : new Headers(options.headers);
  if (options.params !== undefined) {
    const query = urlencode(options.params);
    if (query !== "") {
      const hash = url.indexOf("#");
      const base = hash < 0 ? url : url.slice(0, hash);
      url = base + (base.includes("?") ? "&" : "?") + query;
    }
  }
  let body: IBodyProducer | null = null;
  if (options.json !== undefined) {
    body = new BytesBodyProducer(enc.encode(JSON.stringify(options.json)));
    if (!headers.hasHeader("content-type")) {
      headers.setRawHeaders("Content-Type", ["application/json; charset=UTF-8"]);
    }
  } else if (options.data !== undefined) {
    const data = options.data;
    if (typeof data === "string" || data instanceof Uint8Array) body = new BytesBodyProducer(data);
    else {
      body = new BytesBodyProducer(urlencode(data));
      if (!headers.hasHeader("content-type")) {
        headers.setRawHeaders("Content-Type", ["application/x-www-form-urlencoded"]);
      }
    }
  } else if (options.body !== undefined) {
    body = isProducer(options.body) ? options.body : new BytesBodyProducer(options.body);
  }
  let agent: IAgent;
  try {
    agent = options.agent ??
      defaultAgent(options.allowRedirects ?? true, options.browserLikeRedirects ?? false);
  } catch (error) {
    const failed = new Deferred<TreqResponse>();
    failed.errback(error);
    return failed;
  }
  let d = agent.request(method.toUpperCase(), url, headers, body);
  if (options.timeout !== undefined) {
    d = d.addTimeout(options.timeout, options.reactor ?? getReactor());
  }
  const unbuffered = options.unbuffered ?? false;
  return d.addCallback((r: Response) => new TreqResponse(r, !unbuffered));
}

/** `GET url`; see `request`. */
export function get(url: string, options?: RequestOptions): Deferred<TreqResponse> {
  return request("GET", url, options);
}

/** `HEAD url`; see `request`. */
export function head(url: string, options?: RequestOptions): Deferred<TreqResponse> {
  return request("HEAD", url, options);
}

/** `POST url`; see `request`. */
export function post(url: string, options?: RequestOptions): Deferred<TreqResponse> {
  return request("POST", url, options);
}

/** `PUT url`; see `request`. */
export function put(url: string, options?: RequestOptions): Deferred<TreqResponse> {
  return request("PUT", url, options);
}

/** `PATCH url`; see `request`. */
export function patch(url: string, options?: RequestOptions): Deferred<TreqResponse> {
  return request("PATCH", url, options);
}

/** `DELETE url`; see `request`. */
function deleteRequest(url: string, options?: RequestOptions): Deferred<TreqResponse> {
  return request("DELETE", url, options);
}
export { deleteRequest as delete };

/** Reads a response's whole body (`treq.content`). */
export function content(response: TreqResponse): Deferred<Uint8Array> {
  return response.content();
}

/** Reads a response's body as text (`treq.text_content`). */
export function textContent(response: TreqResponse, encoding?: string): Deferred<string> {
  return response.text(encoding);
}

/** Reads a response's body as JSON (`treq.json_content`). */
export function jsonContent<T = unknown>(response: TreqResponse): Deferred<T> {
  return response.json<T>();
}
