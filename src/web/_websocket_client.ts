/**
 * The WebSocket client: `WebSocketClientProtocol` sends the opening handshake
 * (RFC 6455 4.1), checks the server's 101 answer, then speaks the message
 * protocol with masked frames; `connectWS` connects one from a `ws:` or
 * `wss:` URL or an endpoint.
 *
 * @module
 */
import { ClientFactory } from "../internet/protocol.ts";
import type { Failure } from "../internet/failure.ts";
import { Deferred } from "../internet/defer.ts";
import type { IReactorTime } from "../internet/interfaces.ts";
import type { IStreamClientEndpoint, TlsOptionsSource } from "../internet/_endpoints_stream.ts";
import { wrapClientTLS } from "../internet/_endpoints_stream.ts";
import { HostnameEndpoint } from "../internet/_endpoints_hostname.ts";
import { getReactor } from "../internet/reactor.ts";
import type { TlsOptions } from "../internet/socket.ts";
import {
  acceptKey,
  findHeadEnd,
  hasToken,
  headerTokens,
  makeKey,
  parseResponseHead,
} from "./_websocket_handshake.ts";
import type { WebSocketOptions } from "./_websocket_options.ts";
import { installDeflate, WebSocketProtocol } from "./_websocket_protocol.ts";
import {
  clientAccept,
  clientOffer,
  deflateOptions,
  PerMessageDeflate,
  runtimeCompression,
} from "./_websocket_deflate.ts";

const enc = new TextEncoder();
const MAX_RESPONSE_HEAD = 16384;

/**
 * The opening handshake failed: the server did not answer a valid 101.
 *
 * @example
 * ```ts
 * import { Resource, Site, WebSocketClientFactory, WebSocketClientProtocol } from "@tw/core/web";
 * import { WebSocketHandshakeError } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * import { connectedServerAndClient } from "@tw/core/testing";
 * const clock = new Clock();
 * const site = new Site(new Resource(), { clock }); // no WebSocket here: 404
 * const factory = new WebSocketClientFactory("ws://localhost/chat", null, { clock });
 * const [client] = connectedServerAndClient<WebSocketClientProtocol>(site, factory);
 * client.whenOpen().addErrback((f) => {
 *   f.trap(WebSocketHandshakeError);
 *   console.log((f.value as WebSocketHandshakeError).code); // 404
 * });
 * ```
 */
export class WebSocketHandshakeError extends Error {
  /** The HTTP status the server answered, or null when it sent none (or garbage). */
  readonly code: number | null;

  /**
   * Makes the error.
   * @param message what was wrong
   * @param code the server's HTTP status, if any
   */
  constructor(message: string, code: number | null = null) {
    super(message);
    this.name = "WebSocketHandshakeError";
    this.code = code;
  }
}

/** What the client learnt from the server's handshake answer (autobahn's `ConnectionResponse`). */
export interface ConnectionResponse {
  /** The HTTP status (101). */
  code: number;
  /** The response headers, by lower-case name. */
  headers: Map<string, string[]>;
  /** The subprotocol the server chose, or null. */
  protocol: string | null;
  /** The extensions the server accepted, one string each with its parameters. */
  extensions: string[];
}

/** Options of {@link WebSocketClientFactory}. */
export interface WebSocketClientFactoryOptions extends WebSocketOptions {
  /** Subprotocols to offer, most preferred first. */
  protocols?: string[];
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** The `Origin` header to send, if any. */
  origin?: string;
}

/**
 * Builds client protocols and holds the URL and handshake options
 * (autobahn's `WebSocketClientFactory`).
 *
 * @example
 * ```ts
 * import { connectWS, WebSocketClientFactory, WebSocketClientProtocol } from "@tw/core/web";
 * const url = "wss://example.com/chat?room=1";
 * const factory = new WebSocketClientFactory(url, WebSocketClientProtocol, {
 *   protocols: ["chat"],
 *   origin: "https://example.com",
 *   openHandshakeTimeout: 10,
 *   perMessageDeflate: true, // offer permessage-deflate (RFC 7692)
 * });
 * console.log(factory.host, factory.port, factory.resource); // "example.com" 443 "/chat?room=1"
 * const connect = () => connectWS(factory); // fires with the open protocol
 * ```
 */
export class WebSocketClientFactory extends ClientFactory {
  /** The `ws:` or `wss:` URL. */
  readonly url: string;
  /** True for `wss:`. */
  readonly isSecure: boolean;
  /** The host to connect to (no brackets for IPv6). */
  readonly host: string;
  /** The port to connect to. */
  readonly port: number;
  /** The request target (path and query). */
  readonly resource: string;
  /** The options. */
  options: WebSocketClientFactoryOptions;
  #hostHeader: string;

  /**
   * Makes a factory for one URL.
   * @param url the `ws:` or `wss:` URL
   * @param protocol the protocol class to build, or none (set `protocol` later)
   * @param options subprotocols, headers, origin, limits and timeouts
   * @throws {SyntaxError} for a URL that is not `ws:` or `wss:` or has a fragment
   */
  constructor(
    url: string,
    protocol: (new () => WebSocketClientProtocol) | null = null,
    options: WebSocketClientFactoryOptions = {},
  ) {
    super();
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SyntaxError(`Invalid WebSocket URL: ${url}`);
    }
    if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
      throw new SyntaxError(`A WebSocket URL starts with ws: or wss:, not ${parsed.protocol}`);
    }
    if (parsed.hash !== "") throw new SyntaxError("A WebSocket URL has no fragment");
    this.url = url;
    this.isSecure = parsed.protocol === "wss:";
    this.host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
    this.port = parsed.port === "" ? (this.isSecure ? 443 : 80) : Number(parsed.port);
    this.resource = (parsed.pathname || "/") + parsed.search;
    this.#hostHeader = parsed.host;
    this.protocol = protocol ?? WebSocketClientProtocol;
    deflateOptions(options.perMessageDeflate);
    this.options = options;
    this.noisy = false;
  }

  /** Changes the protocol options for connections made from now on. */
  setProtocolOptions(options: WebSocketClientFactoryOptions): void {
    deflateOptions(options.perMessageDeflate);
    this.options = { ...this.options, ...options };
  }

  /** The opening handshake request this factory's protocols send. */
  handshakeRequest(key: string): string {
    let head = `GET ${this.resource} HTTP/1.1\r\nHost: ${this.#hostHeader}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
      `Sec-WebSocket-Version: 13\r\n`;
    const o = this.options;
    if (o.origin !== undefined) head += `Origin: ${clean(o.origin)}\r\n`;
    if (o.protocols !== undefined && o.protocols.length > 0) {
      head += `Sec-WebSocket-Protocol: ${o.protocols.map(clean).join(", ")}\r\n`;
    }
    for (const [name, value] of Object.entries(o.headers ?? {})) {
      head += `${clean(name)}: ${clean(value)}\r\n`;
    }
    const deflate = deflateOptions(o.perMessageDeflate);
    if (deflate !== null && runtimeCompression() !== undefined) {
      head += `Sec-WebSocket-Extensions: ${clientOffer(deflate)}\r\n`;
    }
    return head + "\r\n";
  }
}

function clean(value: string): string {
  return value.replace(/[\r\n]/g, " ");
}

/**
 * The client side of a WebSocket connection (autobahn's
 * `WebSocketClientProtocol`). It needs a {@link WebSocketClientFactory}
 * (for the URL and options); override `onConnect`, `onOpen`, `onMessage`,
 * `onClose`.
 *
 * @example
 * ```ts
 * import { connectWS, WebSocketClientFactory, WebSocketClientProtocol } from "@tw/core/web";
 * import { Site, WebSocketResource, WebSocketServerFactory } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * import { connectedServerAndClient } from "@tw/core/testing";
 * class Hello extends WebSocketClientProtocol {
 *   override onOpen(): void {
 *     console.log(this.connectionResponse?.code); // 101
 *     this.sendMessage("hello");
 *     this.sendClose(1000);
 *   }
 * }
 * const clock = new Clock(); // a server in memory; connectWS(factory) reaches real ones
 * const site = new Site(new WebSocketResource(new WebSocketServerFactory()), { clock });
 * connectedServerAndClient(site, new WebSocketClientFactory("ws://localhost/", Hello, { clock }));
 * ```
 */
export class WebSocketClientProtocol extends WebSocketProtocol {
  /** The server's handshake answer, once received. */
  connectionResponse: ConnectionResponse | null = null;
  #key = "";
  #head: Uint8Array | null = null;
  #scanned = 0;
  #waiters: Deferred<WebSocketClientProtocol>[] = [];
  #failure: Error | null = null;
  #opened = false;
  #timer: { cancel(): void; active(): boolean } | null = null;

  /** Makes a client-side protocol. */
  constructor() {
    super(false);
  }

  /**
   * Called with the server's answer before the connection opens; throw to
   * refuse it (the connection is dropped).
   */
  onConnect(_response: ConnectionResponse): void {}

  /**
   * A Deferred that fires with this protocol once open, or fails with
   * `WebSocketHandshakeError` (or the connection's loss) if it never opens.
   */
  whenOpen(): Deferred<WebSocketClientProtocol> {
    const d = new Deferred<WebSocketClientProtocol>();
    if (this.#opened) d.callback(this);
    else if (this.#failure !== null) d.errback(this.#failure);
    else this.#waiters.push(d);
    return d;
  }

  /** Sends the opening handshake. */
  protected override startHandshake(): void {
    const factory = this.factory;
    if (!(factory instanceof WebSocketClientFactory)) {
      this.#fail(
        new WebSocketHandshakeError("WebSocketClientProtocol needs a WebSocketClientFactory"),
      );
      return;
    }
    this.#key = makeKey();
    this.transport.write(enc.encode(factory.handshakeRequest(this.#key)));
    const timeout = this.options.openHandshakeTimeout;
    if (timeout > 0) {
      this.#timer = (this.clock ??= getReactor()).callLater(timeout, () => {
        this.#timer = null;
        this.#fail(new WebSocketHandshakeError("Opening handshake timed out"));
      });
    }
  }

  /** Reads the server's answer; returns the bytes after it once accepted. */
  protected override processHandshake(data: Uint8Array): Uint8Array | null {
    let buf = data;
    if (this.#head !== null) {
      buf = new Uint8Array(this.#head.length + data.length);
      buf.set(this.#head);
      buf.set(data, this.#head.length);
    }
    const end = findHeadEnd(buf, this.#scanned - 3);
    if (end < 0) {
      if (buf.length > MAX_RESPONSE_HEAD) {
        this.#fail(new WebSocketHandshakeError("Handshake response head too long"));
        return null;
      }
      this.#head = buf;
      this.#scanned = buf.length;
      return null;
    }
    this.#head = null;
    const rest = buf.subarray(end + 4);
    let response: ConnectionResponse;
    try {
      response = this.#verify(new TextDecoder().decode(buf.subarray(0, end)));
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
      return null;
    }
    this.connectionResponse = response;
    try {
      this.onConnect(response);
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
      return null;
    }
    this.#cancelTimer();
    this.#opened = true;
    this.completeHandshake();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const d of waiters) d.callback(this);
    return rest;
  }

  #verify(text: string): ConnectionResponse {
    let head;
    try {
      head = parseResponseHead(text);
    } catch (e) {
      throw new WebSocketHandshakeError(`Malformed handshake response: ${(e as Error).message}`);
    }
    if (head.code !== 101) {
      throw new WebSocketHandshakeError(
        `The server answered ${head.code} ${head.message}, not 101`,
        head.code,
      );
    }
    const h = head.headers;
    if (!hasToken(h.get("upgrade"), "websocket")) {
      throw new WebSocketHandshakeError("Missing Upgrade: websocket in the response", 101);
    }
    if (!hasToken(h.get("connection"), "upgrade")) {
      throw new WebSocketHandshakeError("Missing Connection: Upgrade in the response", 101);
    }
    const accept = h.get("sec-websocket-accept");
    if (accept === undefined || accept.length !== 1 || accept[0] !== acceptKey(this.#key)) {
      throw new WebSocketHandshakeError("Wrong Sec-WebSocket-Accept in the response", 101);
    }
    const extensions = headerTokens(h.get("sec-websocket-extensions"));
    const deflate = deflateOptions(
      (this.factory as WebSocketClientFactory).options.perMessageDeflate,
    );
    const compression = runtimeCompression();
    if (extensions.length > 0) {
      if (deflate === null || compression === undefined) {
        throw new WebSocketHandshakeError("The server chose extensions that were not offered", 101);
      }
      let params;
      try {
        params = clientAccept(h.get("sec-websocket-extensions") ?? [], deflate);
      } catch (e) {
        throw new WebSocketHandshakeError((e as Error).message, 101);
      }
      if (params !== null) {
        installDeflate(
          this,
          new PerMessageDeflate(compression, params, false, deflate.threshold ?? 1024),
        );
      }
    }
    const chosen = headerTokens(h.get("sec-websocket-protocol"));
    const offered = (this.factory as WebSocketClientFactory).options.protocols ?? [];
    if (chosen.length > 1 || (chosen.length === 1 && !offered.includes(chosen[0]))) {
      throw new WebSocketHandshakeError("The server chose a subprotocol that was not offered", 101);
    }
    return { code: 101, headers: h, protocol: chosen[0] ?? null, extensions };
  }

  #fail(error: Error): void {
    this.#cancelTimer();
    if (this.#failure === null) this.#failure = error;
    this.#failWaiters();
    this.failHandshake(error.message);
  }

  #failWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const d of waiters) d.errback(this.#failure!);
  }

  #cancelTimer(): void {
    if (this.#timer !== null) {
      if (this.#timer.active()) this.#timer.cancel();
      this.#timer = null;
    }
  }

  /** Fails the waiters of `whenOpen`. */
  protected override handshakeLost(reason: Failure): void {
    this.#cancelTimer();
    this.#failure ??= reason.value;
    this.#failWaiters();
  }
}

/** Options of {@link connectWS}. */
export interface ConnectWSOptions {
  /** The reactor to resolve and connect with. @default the global reactor */
  reactor?: ConstructorParameters<typeof HostnameEndpoint>[0];
  /** Connect here instead of the URL's host and port (a Unix socket, a proxy tunnel...). */
  endpoint?: IStreamClientEndpoint;
  /** TLS settings for `wss:` (trust roots, server name). @default verify against the system store */
  tls?: TlsOptionsSource;
  /** Seconds for the TCP connection attempt. @default 30 */
  timeout?: number;
  /** The clock for the WebSocket timeouts (else the reactor). */
  clock?: IReactorTime;
}

/**
 * Connects a WebSocket client (autobahn's `connectWS`): to the factory's URL
 * (TLS for `wss:`), or through `options.endpoint`. Fires with the protocol
 * once the connection is open; fails with `WebSocketHandshakeError`, a
 * connection error, or the loss of the connection.
 *
 * @param factory the client factory (URL, protocol class, options)
 * @param options reactor, endpoint, TLS settings and timeout
 * @returns the open protocol
 * @example
 * ```ts
 * import { connectWS, WebSocketClientFactory, WebSocketClientProtocol } from "@tw/core/web";
 *
 * class Hello extends WebSocketClientProtocol {
 *   override onOpen(): void {
 *     this.sendMessage("hello");
 *   }
 *   override onMessage(payload: Uint8Array): void {
 *     console.log(new TextDecoder().decode(payload));
 *     this.sendClose(1000);
 *   }
 * }
 * const factory = new WebSocketClientFactory("ws://127.0.0.1:1/", Hello);
 * await connectWS(factory).then(undefined, () => {});
 * ```
 */
export function connectWS<P extends WebSocketClientProtocol = WebSocketClientProtocol>(
  factory: WebSocketClientFactory,
  options: ConnectWSOptions = {},
): Deferred<P> {
  let endpoint = options.endpoint;
  if (endpoint === undefined) {
    const reactor = options.reactor ?? getReactor();
    endpoint = new HostnameEndpoint(reactor, factory.host, factory.port, {
      timeout: options.timeout ?? 30,
    });
    if (factory.isSecure) {
      const tls: TlsOptionsSource = options.tls ?? { serverName: factory.host };
      const withName = typeof tls === "function"
        ? tls
        : ({ serverName: factory.host, ...tls } as TlsOptions);
      endpoint = wrapClientTLS(withName, endpoint);
    }
  }
  if (options.clock !== undefined) factory.options = { ...factory.options, clock: options.clock };
  return endpoint.connect(factory).addCallback((protocol) =>
    (protocol as WebSocketClientProtocol).whenOpen()
  ) as unknown as Deferred<P>;
}
