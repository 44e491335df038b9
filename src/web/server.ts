/**
 * The web server (`twisted.web.server`): `Site` serves a resource tree over
 * HTTP; its `Request` finds the resource for each request and renders it;
 * `Session`s keep state between requests of one client.
 *
 * @example
 * ```ts
 * import { Resource, Site } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 *
 * class Hello extends Resource {
 *   override isLeaf = true;
 *   render_GET(): string {
 *     return "Hello, world!";
 *   }
 * }
 * const site = new Site(new Hello(), { clock: new Clock() });
 * console.log(site.displayTracebacks); // false
 * // reactor.listenTCP(8080, site);
 * ```
 * @module
 */
import type { IDelayedCall } from "../internet/interfaces.ts";
import type { Address } from "../internet/address.ts";
import { Failure } from "../internet/failure.ts";
import { allocBytes } from "../internet/_bytes.ts";
import { Logger } from "../logger/mod.ts";
import { Headers } from "./_headers.ts";
import { HTTPRequest } from "./_http_request.ts";
import { isAscii } from "./_head_bytes.ts";
import {
  combinedLogFormatter,
  datetimeToLogString,
  type IAccessLogFormatter,
} from "./_access_log.ts";
import { type HTTPChannel, HTTPFactory, type HTTPFactoryOptions } from "./http.ts";
import { encoder, sendText, setOne } from "./_internal.ts";
import {
  computeAllowedMethods,
  getChildForRequest,
  type IResource,
  NOT_DONE_YET,
  type RenderResult,
  UnsupportedMethod,
} from "./resource.ts";

export { NOT_DONE_YET } from "./resource.ts";
export {
  combinedLogFormatter,
  datetimeToLogString,
  type IAccessLogFormatter,
} from "./_access_log.ts";

const log = new Logger("tw.web.server");
const enc = new TextEncoder();

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function unquote(segment: string): string {
  if (segment.indexOf("%") < 0) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * UTF-8 encoding; short ASCII strings are copied by hand, which is several
 * times faster than `TextEncoder.encode` for them (the fetch bridge's
 * requests, which collect the body themselves, take this path).
 */
function encodeString(s: string): Uint8Array {
  const n = s.length;
  if (n > 256) return enc.encode(s);
  const out = allocBytes(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return enc.encode(s);
    out[i] = c;
  }
  return out;
}

// Rendered texts up to this size are checked for ASCII and written as text.
const MAX_TEXT = 16384;
const baseWrite = HTTPRequest.prototype.write;

/** The percent-decoded segments of a path after its leading "/". */
function segments(path: string): string[] {
  if (path === "/") return [""];
  const out = path.slice(1).split("/");
  if (path.indexOf("%") >= 0) { for (let i = 0; i < out.length; i++) out[i] = unquote(out[i]); }
  return out;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * A request served by a `Site` (`twisted.web.server.Request`): adds the
 * resource traversal (`prepath` / `postpath`), rendering, error pages and
 * sessions to `HTTPRequest`.
 *
 * @example
 * ```ts
 * import { Resource, Site } from "@tw/core/web";
 * import type { Request } from "@tw/core/web";
 * import { IPv4Address } from "@tw/core";
 * import { Clock } from "@tw/core/task";
 * import { StringTransport } from "@tw/core/testing";
 * class Echo extends Resource {
 *   override isLeaf = true;
 *   render_GET(request: Request): string {
 *     request.setHeader("content-type", "text/plain");
 *     return `${request.method} ${request.path} ${request.getHeader("user-agent")}`;
 *   }
 * }
 * const channel = new Site(new Echo(), { clock: new Clock() }).buildProtocol(
 *   new IPv4Address("TCP", "127.0.0.1", 50000),
 * )!;
 * const transport = new StringTransport();
 * channel.makeConnection(transport);
 * const head = "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: me\r\n\r\n";
 * channel.dataReceived(new TextEncoder().encode(head));
 * console.log(transport.valueText().split("\r\n\r\n")[1]); // "GET /a me"
 * ```
 */
export class Request extends HTTPRequest {
  /** The site serving the request. */
  site: Site;
  /** Path segments already traversed (percent-decoded). */
  prepath: string[] = [];
  /** Path segments left to traverse (percent-decoded). */
  postpath: string[] = [];
  /** `prepath` at the site's root (for session cookie names). */
  sitepath: string[] = [];
  #session: Session | null = null;

  /**
   * Made by the channel.
   * @param channel the connection
   */
  constructor(channel: HTTPChannel | null) {
    super(channel);
    this.site = (channel?.site ?? null) as Site;
  }

  /** Finds the resource and renders it; errors become a 500 page. */
  override process(): void {
    const path = this.path;
    this.postpath = path === "*" ? [] : segments(path);
    try {
      if (path === "*") {
        // OPTIONS * asks about the server as a whole.
        this.setResponseCode(204);
        this.setHeader("allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
        this.finish();
        return;
      }
      const resource = this.site.getResourceFor(this);
      this.render(resource);
    } catch (e) {
      this.processingFailed(new Failure(e));
    }
  }

  /**
   * Renders `resource`: a string or bytes result is sent with its
   * Content-Length; `NOT_DONE_YET` leaves finishing to the resource; a
   * promise is awaited (rejection: 500); an unsupported method gets 405.
   */
  render(resource: IResource): void {
    let body: RenderResult;
    try {
      body = resource.render(this);
    } catch (e) {
      if (e instanceof UnsupportedMethod) {
        this.#notAllowed(e.allowedMethods);
        return;
      }
      throw e;
    }
    if (body === NOT_DONE_YET) return;
    if (isThenable(body)) {
      this.#renderLater(body);
      return;
    }
    this.#sendBody(body);
  }

  /**
   * Sends what `body` settles to. A method of its own: its closures would
   * make every `render()` allocate a scope.
   */
  #renderLater(body: PromiseLike<unknown>): void {
    body.then(
      (value) => {
        if (this.finishCalled || this.disconnected || value === NOT_DONE_YET) return;
        try {
          if (value === undefined || value === null) this.finish();
          else this.#sendBody(value);
        } catch (e) {
          this.processingFailed(new Failure(e));
        }
      },
      (e) => {
        if (this.finishCalled || this.disconnected) return;
        if (e instanceof UnsupportedMethod && !this.startedWriting) {
          this.#notAllowed(e.allowedMethods);
        } else this.processingFailed(e instanceof Failure ? e : new Failure(e));
      },
    );
  }

  #sendBody(body: unknown): void {
    // Under the fetch bridge a text body goes to the runtime as it is.
    if (typeof body === "string" && this[sendText](body)) {
      this.finish();
      return;
    }
    // A short ASCII text is written as it is (see `write`; unless a subclass
    // overrides `write` and may expect bytes); its length is its size.
    let bytes: Uint8Array | string;
    if (typeof body === "string") {
      bytes = body.length <= MAX_TEXT && this.write === baseWrite && isAscii(body)
        ? body
        : encodeString(body);
    } else if (body instanceof Uint8Array) bytes = body;
    else {
      throw new TypeError(
        `Render method returned ${typeof body}, not a string, Uint8Array or NOT_DONE_YET`,
      );
    }
    if (this.startedWriting) {
      if (bytes.length > 0) this.write(bytes);
      this.finish();
      return;
    }
    const code = this.code;
    const bodyless = code === 204 || code === 304 || code < 200;
    // A HEAD answer with no body keeps the Content-Length the resource set (Twisted).
    const headWithoutBody = this.method === "HEAD" && bytes.length === 0;
    if (this[encoder] === null && !bodyless && !headWithoutBody) {
      this.responseHeaders[setOne]("content-length", String(bytes.length));
    }
    if (this.method !== "HEAD" && bytes.length > 0) this.write(bytes);
    this.finish();
  }

  #notAllowed(allowed: string[]): void {
    this.setResponseCode(405);
    this.setHeader("allow", allowed.join(", "));
    this.setHeader("content-type", "text/html; charset=utf-8");
    const body = enc.encode(
      `<!DOCTYPE html>\n<html><head><title>405 - Method Not Allowed</title></head><body>` +
        `<h1>Method Not Allowed</h1><p>Your browser approached me (at ${
          escapeHtml(this.uri)
        }) with the method "${escapeHtml(this.method)}". I only allow the methods ${
          escapeHtml(allowed.join(", "))
        } here.</p></body></html>\n`,
    );
    this.setHeader("content-length", body.length);
    if (this.method !== "HEAD") this.write(body);
    this.finish();
  }

  /**
   * Answers 500 after an error in rendering: logs it, and shows the
   * traceback only when `site.displayTracebacks` is on. When the head was
   * already sent, the connection is aborted so the client sees a truncation.
   */
  processingFailed(reason: Failure): void {
    log.failure("Error rendering {method} {uri}", reason, "error", {
      method: this.method,
      uri: this.uri,
    });
    if (this.finishCalled || this.disconnected) return;
    if (this.startedWriting) {
      this.channel?.transport.abortConnection();
      return;
    }
    this[encoder] = null;
    const detail = this.site?.displayTracebacks
      ? `<pre>${escapeHtml(reason.getTraceback())}</pre>`
      : "An error occurred while processing your request.";
    const body = enc.encode(
      `<!DOCTYPE html>\n<html><head><title>500 - Internal Server Error</title></head>` +
        `<body><h1>Internal Server Error</h1>${detail}</body></html>\n`,
    );
    this.responseHeaders = new Headers();
    this.setResponseCode(500);
    this.setHeader("content-type", "text/html; charset=utf-8");
    this.setHeader("content-length", body.length);
    if (this.method !== "HEAD") this.write(body);
    this.finish();
  }

  /** The methods the resource accepts (what a 405 lists). */
  static computeAllowedMethods(resource: IResource): string[] {
    return computeAllowedMethods(resource);
  }

  /** The URL of the resource reached so far (scheme, host, `prepath`). */
  prePathURL(): string {
    return this.#hostURL() + "/" + this.prepath.map(encodeURIComponent).join("/");
  }

  /** The full URL of the request. */
  URLPath(): string {
    return this.#hostURL() + this.uri;
  }

  #hostURL(): string {
    const secure = this.isSecure();
    const host = this.getHeader("host");
    if (host !== null) return (secure ? "https://" : "http://") + host;
    const addr = this.getHost() as (Address & { host?: string; port?: number }) | null;
    const port = addr?.port;
    const def = secure ? 443 : 80;
    return (secure ? "https://" : "http://") + (addr?.host ?? "localhost") +
      (port !== undefined && port !== def ? ":" + port : "");
  }

  /**
   * The session of this client: found from its cookie, or made (and the
   * cookie set) when there is none or it expired.
   */
  getSession(): Session {
    if (this.#session !== null) {
      this.#session.touch();
      return this.#session;
    }
    const name = ["TWISTED" + (this.isSecure() ? "_SECURE" : "") + "_SESSION", ...this.sitepath]
      .join("_");
    const uid = this.getCookie(name);
    let session = uid === null ? undefined : this.site.getSession(uid);
    if (session === undefined) {
      session = this.site.makeSession();
      this.addCookie(name, session.uid, {
        path: "/" + this.sitepath.map(encodeURIComponent).join("/"),
        secure: this.isSecure(),
        httpOnly: true,
        sameSite: "Lax",
      });
    }
    session.touch();
    this.#session = session;
    return session;
  }
}

/**
 * State kept for one client between requests (`twisted.web.server.Session`),
 * expiring after `sessionTimeout` seconds without a request.
 *
 * @example
 * ```ts
 * import { Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import type { Request } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * class Counter extends Resource {
 *   override isLeaf = true;
 *   render_GET(request: Request): string {
 *     const session = request.getSession();
 *     const visits = (session.data.get("visits") as number ?? 0) + 1;
 *     session.data.set("visits", visits);
 *     return `visit ${visits}`;
 *   }
 * }
 * const site = new Site(new Counter(), { clock: new Clock(), sessionTimeout: 600 });
 * const res = await siteAsFetchHandler(site)(new globalThis.Request("http://localhost/"));
 * console.log(await res.text(), site.sessions.size); // "visit 1" 1
 * site.expireSessions();
 * ```
 */
export class Session {
  /** The site holding it. */
  readonly site: Site;
  /** The session id (the cookie value). */
  readonly uid: string;
  /** Seconds of inactivity before it expires. @default 900 */
  sessionTimeout: number;
  /** The clock time of the last `touch()`. */
  lastModified: number;
  /** Values stored by the application. */
  readonly data: Map<string, unknown> = new Map();
  #expireCall: IDelayedCall | null = null;
  #onExpire: (() => void)[] = [];

  /**
   * Makes a session (normally through `site.makeSession()`).
   * @param site the site
   * @param uid the id
   */
  constructor(site: Site, uid: string) {
    this.site = site;
    this.uid = uid;
    this.sessionTimeout = site.sessionTimeout;
    this.lastModified = site.clock.seconds();
  }

  /** Starts the expiry timer (called by `Site.makeSession`). */
  startCheckingExpiration(): void {
    this.#expireCall = this.site.clock.callLater(this.sessionTimeout, () => {
      this.#expireCall = null;
      this.expire();
    });
  }

  /** Records activity: the expiry starts over. */
  touch(): void {
    this.lastModified = this.site.clock.seconds();
    this.#expireCall?.reset(this.sessionTimeout);
  }

  /** Calls `fn` when the session expires. */
  notifyOnExpire(fn: () => void): void {
    this.#onExpire.push(fn);
  }

  /** Ends the session now. */
  expire(): void {
    if (this.#expireCall !== null) {
      this.#expireCall.cancel();
      this.#expireCall = null;
    }
    this.site.sessions.delete(this.uid);
    const callbacks = this.#onExpire;
    this.#onExpire = [];
    for (const fn of callbacks) {
      try {
        fn();
      } catch (e) {
        log.failure("Error in a session expiry callback", e);
      }
    }
  }
}

/** Options of `Site`. */
export interface SiteOptions extends HTTPFactoryOptions {
  /** The request class. @default Request */
  requestFactory?: new (channel: HTTPChannel | null) => Request;
  /** Show tracebacks on 500 pages (never in production). @default false */
  displayTracebacks?: boolean;
  /** Seconds of inactivity before a session expires. @default 900 */
  sessionTimeout?: number;
  /** Where access-log lines go (`logFile`); null logs nothing. @default null */
  logFile?: { write(text: string): void } | null;
  /** Formats a finished request as an access-log line. @default combinedLogFormatter */
  logFormatter?: IAccessLogFormatter;
}

/**
 * Serves a resource tree over HTTP (`twisted.web.server.Site`): a protocol
 * factory to pass to `listenTCP` or an endpoint's `listen`.
 *
 * @example
 * ```ts
 * import { Resource, Site } from "@tw/core/web";
 * import { type IPv4Address, reactor } from "@tw/core";
 * class Hello extends Resource {
 *   override isLeaf = true;
 *   render_GET(): string {
 *     return "Hello, world!";
 *   }
 * }
 * const site = new Site(new Hello(), { timeout: 30, maxRequestBodySize: 1 << 20 });
 * const port = reactor.listenTCP(0, site, { interface: "127.0.0.1" });
 * await port.whenListening();
 * const { port: number } = port.getHost() as IPv4Address;
 * console.log(number > 0); // true: http://127.0.0.1:<number>/ says hello
 * await port.stopListening();
 * ```
 */
export class Site extends HTTPFactory {
  /** The root resource. */
  resource: IResource;
  /** Show tracebacks on 500 pages. @default false */
  displayTracebacks: boolean;
  /** Seconds of inactivity before a session expires. @default 900 */
  sessionTimeout: number;
  /** The session class `makeSession` instantiates. */
  sessionFactory: new (site: Site, uid: string) => Session = Session;
  /** Live sessions by id. */
  readonly sessions: Map<string, Session> = new Map();
  /**
   * Where access-log lines go (Twisted's `logFile`, opened from `logPath`):
   * `log` writes a line ending in a newline for each finished response.
   * @default null
   */
  logFile: { write(text: string): void } | null;
  /** Formats a finished request as an access-log line. @default combinedLogFormatter */
  logFormatter: IAccessLogFormatter;
  #logSecond = -1;
  #logDateTime = "";

  /**
   * Makes a site.
   * @param resource the root resource
   * @param options settings
   */
  constructor(resource: IResource, options: SiteOptions = {}) {
    super(options);
    this.resource = resource;
    this.displayTracebacks = options.displayTracebacks ?? false;
    this.sessionTimeout = options.sessionTimeout ?? 900;
    this.logFile = options.logFile ?? null;
    this.logFormatter = options.logFormatter ?? combinedLogFormatter;
    const RequestClass = options.requestFactory ?? Request;
    this.requestFactory = (channel) => new RequestClass(channel);
  }

  /** Finds the resource for `request` (sets `sitepath`, walks `postpath`). */
  getResourceFor(request: Request): IResource {
    request.site = this;
    request.sitepath = request.prepath.slice();
    return getChildForRequest(this.resource, request);
  }

  /**
   * Writes `request`'s line to `logFile` (`HTTPFactory.log`); called as its
   * response finishes. The time is `clock`'s, in `datetimeToLogString`'s form.
   */
  log(request: HTTPRequest): void {
    const logFile = this.logFile;
    if (logFile === null) return;
    try {
      const second = Math.floor(this.clock.seconds());
      if (second !== this.#logSecond) {
        this.#logSecond = second;
        this.#logDateTime = datetimeToLogString(second);
      }
      logFile.write(this.logFormatter(this.#logDateTime, request) + "\n");
    } catch (e) {
      log.failure("Cannot write the access log", e, "error");
    }
  }

  /** Makes a session with a random id and starts its expiry. */
  makeSession(): Session {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    let uid = "";
    for (const b of bytes) uid += b.toString(16).padStart(2, "0");
    const session = new this.sessionFactory(this, uid);
    this.sessions.set(uid, session);
    session.startCheckingExpiration();
    return session;
  }

  /** The live session `uid`, or undefined. */
  getSession(uid: string): Session | undefined {
    return this.sessions.get(uid);
  }

  /** Expires every session (e.g. when the service stops). */
  expireSessions(): void {
    for (const session of [...this.sessions.values()]) session.expire();
  }
}
