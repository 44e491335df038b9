/**
 * The WebSocket server: `WebSocketResource` answers the opening handshake
 * inside a `Site` (RFC 6455 4.2) and hands the connection, through
 * `request.upgrade`, to a protocol built by a `WebSocketServerFactory`.
 *
 * @module
 */
import { ServerFactory } from "../internet/protocol.ts";
import { Failure } from "../internet/failure.ts";
import type { Address } from "../internet/address.ts";
import type { IReactorTime } from "../internet/interfaces.ts";
import { Logger } from "../logger/mod.ts";
import type { Headers } from "./_headers.ts";
import type { Args } from "./_http_request.ts";
import { NOT_DONE_YET, type RenderResult, Resource } from "./resource.ts";
import type { Request } from "./server.ts";
import { acceptKey, hasToken, headerTokens, isValidKey } from "./_websocket_handshake.ts";
import type { WebSocketOptions } from "./_websocket_options.ts";
import { installDeflate, WebSocketProtocol } from "./_websocket_protocol.ts";
import {
  deflateOptions,
  parseExtensions,
  PerMessageDeflate,
  runtimeCompression,
  serverAccept,
} from "./_websocket_deflate.ts";

const log = new Logger("tw.web.websocket");

/** What the server knows of a client's opening handshake (autobahn's `ConnectionRequest`). */
export interface ConnectionRequest {
  /** The client's address. */
  peer: Address | null;
  /** The request headers. */
  headers: Headers;
  /** The `Host` header. */
  host: string;
  /** The request path (percent-encoded, without the query). */
  path: string;
  /** The query arguments. */
  params: Args;
  /** The WebSocket protocol version (13). */
  version: number;
  /** The `Origin` header, or null. */
  origin: string | null;
  /** The subprotocols the client offered, in its order of preference. */
  protocols: string[];
  /** The extensions the client offered, one string each with its parameters. */
  extensions: string[];
  /** The HTTP request itself (cookies, session, ...). */
  request: Request;
}

/** What `onConnect` may return to accept with a subprotocol and extra headers. */
export interface ConnectionAccept {
  /** The subprotocol chosen among `request.protocols`, or null for none. */
  protocol?: string | null;
  /** Extra headers for the 101 response. */
  headers?: Record<string, string>;
}

/** What `WebSocketServerProtocol.onConnect` returns: a subprotocol, an acceptance, or nothing. */
export type ConnectResult = string | null | undefined | void | ConnectionAccept;

/**
 * Thrown (or rejected with) by `onConnect` to refuse a connection with an
 * HTTP status (autobahn's `ConnectionDeny`).
 *
 * @example
 * ```ts
 * import { ConnectionDeny, type ConnectionRequest, Site, WebSocketResource } from "@tw/core/web";
 * import { WebSocketServerFactory, WebSocketServerProtocol } from "@tw/core/web";
 * class MembersOnly extends WebSocketServerProtocol {
 *   override onConnect(request: ConnectionRequest): string | null {
 *     if (request.request.getCookie("member") === null) {
 *       throw new ConnectionDeny(401, "Members only"); // the client gets 401, not a WebSocket
 *     }
 *     return null;
 *   }
 * }
 * const factory = new WebSocketServerFactory(MembersOnly);
 * const site = new Site(new WebSocketResource(factory));
 * ```
 */
export class ConnectionDeny extends Error {
  /** The HTTP status to answer with. */
  readonly code: number;
  /** The reason, sent as the response body. */
  readonly reason: string;

  /**
   * Makes the refusal.
   * @param code the HTTP status (403 by default)
   * @param reason the reason sent to the client
   */
  constructor(code = 403, reason = "Forbidden") {
    super(`Connection denied: ${code} ${reason}`);
    this.name = "ConnectionDeny";
    this.code = code;
    this.reason = reason;
  }
}

/**
 * The server side of a WebSocket connection (autobahn's
 * `WebSocketServerProtocol`): override `onConnect`, `onOpen`, `onMessage`,
 * `onClose`.
 *
 * @example
 * ```ts
 * import { WebSocketServerProtocol } from "@tw/core/web";
 *
 * class Echo extends WebSocketServerProtocol {
 *   override onMessage(payload: Uint8Array, isBinary: boolean): void {
 *     this.sendMessage(payload, isBinary);
 *   }
 * }
 * ```
 */
export class WebSocketServerProtocol extends WebSocketProtocol {
  /** The opening handshake's request, once `onConnect` was called. */
  connectionRequest: ConnectionRequest | null = null;

  /** Makes a server-side protocol. */
  constructor() {
    super(true);
  }

  /**
   * Called with the client's handshake before answering it. Return the chosen
   * subprotocol (one of `request.protocols`), a {@link ConnectionAccept}, or
   * nothing; a promise of one of these defers the answer. Throw
   * {@link ConnectionDeny} to refuse.
   */
  onConnect(_request: ConnectionRequest): ConnectResult | PromiseLike<ConnectResult> {
    return null;
  }
}

/** Options of {@link WebSocketServerFactory}. */
export interface WebSocketServerFactoryOptions extends WebSocketOptions {
  /**
   * Origins allowed to connect: exact origins or patterns with `*`
   * ("https://*.example.com"), or a predicate. A request without `Origin`
   * (not a browser) is always allowed. @default every origin
   */
  allowedOrigins?: string[] | ((origin: string) => boolean);
}

/**
 * Builds server protocols and holds their options (autobahn's
 * `WebSocketServerFactory`). Mount it with a {@link WebSocketResource}.
 *
 * @example
 * ```ts
 * import { Resource, Site, WebSocketResource, WebSocketServerFactory } from "@tw/core/web";
 * import { WebSocketServerProtocol } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const factory = new WebSocketServerFactory(WebSocketServerProtocol, {
 *   allowedOrigins: ["https://*.example.com"],
 *   maxMessageSize: 65536, // with compression: the inflated size
 *   autoPingInterval: 30,
 *   perMessageDeflate: { threshold: 256 }, // accept clients' permessage-deflate offers
 * });
 * console.log(factory.isOriginAllowed("https://app.example.com")); // true
 * console.log(factory.isOriginAllowed("https://example.net")); // false: answered 403
 * const root = new Resource();
 * root.putChild("ws", new WebSocketResource(factory));
 * const site = new Site(root, { clock: new Clock() });
 * ```
 */
export class WebSocketServerFactory extends ServerFactory {
  /** The protocol options. */
  options: WebSocketServerFactoryOptions;

  /**
   * Makes a factory.
   * @param protocol the protocol class to build, or none (set `protocol` later)
   * @param options limits, timeouts, keepalive and allowed origins
   */
  constructor(
    protocol: (new () => WebSocketServerProtocol) | null = null,
    options: WebSocketServerFactoryOptions = {},
  ) {
    super();
    this.protocol = protocol ?? WebSocketServerProtocol;
    deflateOptions(options.perMessageDeflate);
    this.options = options;
    this.noisy = false;
  }

  /** Changes the protocol options for connections made from now on. */
  setProtocolOptions(options: WebSocketServerFactoryOptions): void {
    deflateOptions(options.perMessageDeflate);
    this.options = { ...this.options, ...options };
  }

  /** True when `origin` may connect (see `allowedOrigins`). */
  isOriginAllowed(origin: string | null): boolean {
    const allowed = this.options.allowedOrigins;
    if (origin === null || allowed === undefined) return true;
    if (typeof allowed === "function") return allowed(origin);
    const o = origin.toLowerCase();
    return allowed.some((pattern) => {
      const p = pattern.toLowerCase();
      if (!p.includes("*")) return p === o;
      const re = new RegExp("^" + p.split("*").map(escapeRegExp).join(".*") + "$");
      return re.test(o);
    });
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A resource that accepts WebSocket connections (autobahn's
 * `WebSocketResource`): it checks the opening handshake (GET, `Upgrade`,
 * `Connection`, `Sec-WebSocket-Key`, version 13, the origin), asks the
 * protocol's `onConnect`, answers 101 and hands the connection over. A plain
 * HTTP request gets 426; a malformed handshake 400; a refused origin 403.
 *
 * @example
 * ```ts
 * import { Clock } from "@tw/core/task";
 * import { Resource, Site, WebSocketResource, WebSocketServerFactory, WebSocketServerProtocol } from "@tw/core/web";
 *
 * class Echo extends WebSocketServerProtocol {
 *   override onMessage(payload: Uint8Array, isBinary: boolean): void {
 *     this.sendMessage(payload, isBinary);
 *   }
 * }
 * const root = new Resource();
 * root.putChild("ws", new WebSocketResource(new WebSocketServerFactory(Echo)));
 * const site = new Site(root, { clock: new Clock() });
 * ```
 */
export class WebSocketResource extends Resource {
  /** The handshake is answered whatever the rest of the path. */
  override isLeaf = true;
  /** The factory building the protocols. */
  factory: WebSocketServerFactory;

  /**
   * Makes the resource.
   * @param factory builds a protocol for each connection
   */
  constructor(factory: WebSocketServerFactory) {
    super();
    this.factory = factory;
  }

  /** Answers the opening handshake (all methods land here; only GET is accepted). */
  override render(request: Request): RenderResult {
    const refusal = this.#check(request);
    if (refusal !== null) return refusal;
    const protocol = this.factory.buildProtocol(request.getClientAddress() ?? ({} as Address));
    if (!(protocol instanceof WebSocketProtocol)) {
      if (protocol !== null) {
        throw new TypeError("WebSocketServerFactory must build WebSocketServerProtocol instances");
      }
      return deny(request, 503, "Service Unavailable");
    }
    const server = protocol as WebSocketServerProtocol;
    server.clock ??= this.factory.options.clock ?? request.channel?.clock ??
      (request.site as { clock?: IReactorTime } | null)?.clock ?? null;
    const connReq: ConnectionRequest = {
      peer: request.getClientAddress(),
      headers: request.requestHeaders,
      host: request.getHeader("host") ?? "",
      path: request.path,
      params: request.args,
      version: 13,
      origin: request.getHeader("origin"),
      protocols: headerTokens(request.requestHeaders.getRawHeaders("sec-websocket-protocol")),
      extensions: headerTokens(request.requestHeaders.getRawHeaders("sec-websocket-extensions")),
      request,
    };
    server.connectionRequest = connReq;
    let result: ConnectResult | PromiseLike<ConnectResult>;
    try {
      result = typeof server.onConnect === "function" ? server.onConnect(connReq) : null;
    } catch (e) {
      if (e instanceof ConnectionDeny) return deny(request, e.code, e.reason);
      throw e;
    }
    if (isThenable(result)) {
      result.then(
        (value) => {
          if (request.disconnected || request.finished) return;
          try {
            this.#accept(request, server, connReq, value);
          } catch (e) {
            request.processingFailed(new Failure(e));
          }
        },
        (e) => {
          if (request.disconnected || request.finished) return;
          if (e instanceof ConnectionDeny) {
            request.write(deny(request, e.code, e.reason));
            request.finish();
          } else request.processingFailed(e instanceof Failure ? e : new Failure(e));
        },
      );
      return NOT_DONE_YET;
    }
    this.#accept(request, server, connReq, result);
    return NOT_DONE_YET;
  }

  #check(request: Request): string | null {
    if (request.method !== "GET") {
      request.setHeader("allow", "GET");
      return deny(request, 405, "WebSocket handshakes use GET");
    }
    const h = request.requestHeaders;
    if (!hasToken(h.getRawHeaders("upgrade"), "websocket")) {
      request.setHeader("upgrade", "websocket");
      request.setHeader("connection", "Upgrade");
      request.setHeader("sec-websocket-version", "13");
      return deny(request, 426, "This resource speaks WebSocket only");
    }
    if (request.clientproto !== "HTTP/1.1") {
      return deny(request, 400, "WebSocket handshakes need HTTP/1.1");
    }
    if (!hasToken(h.getRawHeaders("connection"), "upgrade")) {
      return deny(request, 400, "Missing Connection: Upgrade");
    }
    const versions = h.getRawHeaders("sec-websocket-version") ?? [];
    if (versions.length !== 1 || versions[0].trim() !== "13") {
      request.setHeader("sec-websocket-version", "13");
      return deny(request, 426, "Unsupported WebSocket version (13 only)");
    }
    const keys = h.getRawHeaders("sec-websocket-key") ?? [];
    if (keys.length !== 1 || !isValidKey(keys[0].trim())) {
      return deny(request, 400, "Missing or invalid Sec-WebSocket-Key");
    }
    if (!this.factory.isOriginAllowed(request.getHeader("origin"))) {
      log.info("Refused WebSocket from origin {origin}", { origin: request.getHeader("origin") });
      return deny(request, 403, "Origin not allowed");
    }
    return null;
  }

  #accept(
    request: Request,
    protocol: WebSocketServerProtocol,
    connReq: ConnectionRequest,
    result: ConnectResult,
  ): void {
    const accept: ConnectionAccept = typeof result === "string"
      ? { protocol: result }
      : result === null || result === undefined
      ? {}
      : result;
    const chosen = accept.protocol ?? null;
    if (chosen !== null && !connReq.protocols.includes(chosen)) {
      throw new Error(
        `onConnect chose subprotocol ${JSON.stringify(chosen)}, which the client did not offer`,
      );
    }
    request.setResponseCode(101);
    for (const [name, value] of Object.entries(accept.headers ?? {})) {
      request.setHeader(name, value);
    }
    request.setHeader("upgrade", "websocket");
    request.setHeader("connection", "Upgrade");
    request.setHeader(
      "sec-websocket-accept",
      acceptKey(request.getHeader("sec-websocket-key")!.trim()),
    );
    if (chosen !== null) request.setHeader("sec-websocket-protocol", chosen);
    this.#negotiateDeflate(request, protocol);
    request.upgrade(protocol);
  }

  /** Accepts the client's permessage-deflate offer when the factory enables it (RFC 7692 7.1). */
  #negotiateDeflate(request: Request, protocol: WebSocketServerProtocol): void {
    const options = deflateOptions(this.factory.options.perMessageDeflate);
    if (options === null) return;
    const compression = runtimeCompression();
    if (compression === undefined) return;
    const offers = parseExtensions(
      request.requestHeaders.getRawHeaders("sec-websocket-extensions") ?? [],
    );
    const accepted = offers === null ? null : serverAccept(offers, options);
    if (accepted === null) return;
    request.setHeader("sec-websocket-extensions", accepted.response);
    installDeflate(
      protocol,
      new PerMessageDeflate(compression, accepted.params, true, options.threshold ?? 1024),
    );
  }
}

function deny(request: Request, code: number, reason: string): string {
  request.setResponseCode(code);
  request.setHeader("content-type", "text/plain; charset=utf-8");
  return `${code} ${reason}\n`;
}

function isThenable(value: unknown): value is PromiseLike<ConnectResult> {
  return value !== null && typeof value === "object" &&
    typeof (value as { then?: unknown }).then === "function";
}
