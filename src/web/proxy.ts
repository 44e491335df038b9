/**
 * HTTP proxies of `@tw/core/web` (`twisted.web.proxy`).
 *
 * - `ReverseProxyResource(host, port, path)` mounts another HTTP server in a
 *   resource tree: each request under it is forwarded (method, headers with
 *   Host rewritten, body) and the response streamed back with backpressure.
 * - `Proxy` / `ProxyRequest` / `ProxyFactory`: a forward proxy that serves
 *   absolute-URI requests (`GET http://host/path HTTP/1.1`) for http URLs.
 * - `ProxyClient` / `ProxyClientFactory`: the connection to the upstream
 *   server that both use, answering the waiting request (its "father").
 *
 * An upstream that cannot be reached or answers garbage gets the client a
 * 502 Bad Gateway (Twisted answers 501); a client that goes away aborts the
 * upstream connection.
 *
 * @example
 * ```ts
 * import { ReverseProxyResource } from "@tw/core/web";
 * import { Resource, Site } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 *
 * const root = new Resource();
 * root.putChild("api", new ReverseProxyResource("127.0.0.1", 8081, "/v1"));
 * const site = new Site(root, { clock: new Clock() });
 * console.log(site.timeOut); // 60
 * ```
 * @module
 */
import type { Failure } from "../internet/failure.ts";
import type {
  IProtocol,
  IPushProducer,
  IReactorTCP,
  IReactorTime,
} from "../internet/interfaces.ts";
import type { Address } from "../internet/address.ts";
import { ClientFactory, Protocol } from "../internet/protocol.ts";
import { getReactor } from "../internet/reactor.ts";
import { Logger } from "../logger/mod.ts";
import { Headers, HOP_BY_HOP } from "./_headers.ts";
import { HTTPChannel, HTTPFactory, type HTTPFactoryOptions, HTTPRequest } from "./http.ts";
import { NOT_DONE_YET, Resource } from "./resource.ts";
import type { Request } from "./server.ts";
import { BytesBodyProducer } from "./_client_body.ts";
import { ClientRequest, HTTP11ClientProtocol } from "./_client_protocol.ts";
import type { Response } from "./_client_response.ts";
import { ResponseDone } from "./_client_errors.ts";
import { URI } from "./_client_uri.ts";

const log = new Logger("tw.web.proxy");

/** A reactor that can connect over TCP (and keeps time). */
export type ProxyReactor = IReactorTCP & IReactorTime;

// Never forwarded: the hop-by-hop fields, and the proxy's own authentication.
const NOT_FORWARDED = [...HOP_BY_HOP, "proxy-authenticate", "proxy-authorization"];

/** A copy of `headers` without hop-by-hop fields (and those `Connection` names). */
function endToEnd(headers: Headers): Headers {
  const out = headers.copy();
  for (const value of headers.getRawHeaders("connection") ?? []) {
    for (const name of value.split(",")) out.removeHeader(name.trim());
  }
  for (const name of NOT_FORWARDED) out.removeHeader(name);
  return out;
}

/** Answers `father` with an error page, unless its response already started. */
function gatewayError(father: HTTPRequest, message: string): void {
  if (father.finishCalled || father.disconnected) return;
  if (father.startedWriting) {
    // Half a response went out: the client must see it broken, not complete.
    father.channel?.transport.abortConnection();
    return;
  }
  const body = new TextEncoder().encode(`<html><body><h1>Bad gateway</h1>${message}</body></html>`);
  father.setResponseCode(502, "Bad Gateway");
  father.responseHeaders = new Headers({
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": String(body.length),
  });
  father.write(body);
  father.finish();
}

/** Streams an upstream body into the father, pausing the upstream when the client is slow. */
class BodyForwarder extends Protocol implements IPushProducer {
  #father: HTTPRequest;

  constructor(father: HTTPRequest) {
    super();
    this.#father = father;
  }

  override connectionMade(): void {
    if (this.#father.channel !== null) this.#father.registerProducer(this, true);
  }

  override dataReceived(data: Uint8Array): void {
    const father = this.#father;
    if (father.disconnected || father.finishCalled) return;
    father.write(data);
  }

  override connectionLost(reason: Failure): void {
    const father = this.#father;
    father.unregisterProducer();
    if (father.disconnected || father.finishCalled) return;
    if (reason.check(ResponseDone)) father.finish();
    else if (reason.value.name === "PotentialDataLoss") father.finish();
    else gatewayError(father, "The upstream response was cut short");
  }

  pauseProducing(): void {
    this.transport?.pauseProducing();
  }

  resumeProducing(): void {
    this.transport?.resumeProducing();
  }

  stopProducing(): void {
    this.transport?.stopProducing();
  }
}

/**
 * The connection to the upstream server (`ProxyClient`): sends the request
 * when connected and copies the response into `father`.
 *
 * @example
 * ```ts
 * import { Headers, HTTPRequest, ProxyClient } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const father = new HTTPRequest(null); // the request to answer (normally a client's)
 * const headers = new Headers({ Host: "127.0.0.1:8081", Connection: "keep-alive" });
 * const noBody = new Uint8Array(0);
 * const client = new ProxyClient("GET", "/v1/users", "HTTP/1.1", headers, noBody, father);
 * const upstream = new StringTransport();
 * client.makeConnection(upstream);
 * console.log(upstream.valueText()); // hop-by-hop fields are not forwarded:
 * // "GET /v1/users HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nConnection: close\r\n\r\n"
 * const answer = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
 * client.dataReceived(new TextEncoder().encode(answer));
 * console.log(father.code, father.finished); // 201 true
 * ```
 */
export class ProxyClient extends HTTP11ClientProtocol {
  /** The request waiting for this response. */
  readonly father: HTTPRequest;
  #command: string;
  #rest: string;
  #headers: Headers;
  #data: Uint8Array;

  /**
   * Makes the client.
   * @param command the method
   * @param rest the request-target to send upstream
   * @param version the client's HTTP version (the upstream request is HTTP/1.1)
   * @param headers the headers to send (Host included)
   * @param data the request body
   * @param father the request to answer
   */
  constructor(
    command: string,
    rest: string,
    version: string,
    headers: Headers,
    data: Uint8Array,
    father: HTTPRequest,
  ) {
    super(null);
    void version;
    this.#command = command;
    this.#rest = rest;
    this.#headers = endToEnd(headers);
    this.#data = data;
    this.father = father;
  }

  /** Sends the request; wires the father's disconnection to an abort. */
  override connectionMade(): void {
    const father = this.father;
    if (father.disconnected) {
      this.transport.abortConnection();
      return;
    }
    father.notifyFinish().addErrback(() => {
      if (this.state !== "CONNECTION_LOST") this.transport.abortConnection();
      return null;
    });
    const method = this.#command;
    const body = this.#data.length > 0 || method === "POST" || method === "PUT" ||
        method === "PATCH"
      ? new BytesBodyProducer(this.#data)
      : null;
    const request = new ClientRequest(method, this.#rest, this.#headers, body, false);
    this.request(request).addCallbacks(
      (response: Response) => this.#respond(response),
      (f: Failure) => {
        log.debug("Upstream request failed: {error}", { error: f.getErrorMessage() });
        gatewayError(this.father, "The upstream server did not answer");
        return null;
      },
    );
  }

  #respond(response: Response): null {
    const father = this.father;
    if (father.disconnected || father.finishCalled) {
      this.transport.abortConnection();
      return null;
    }
    father.setResponseCode(response.code, response.phrase);
    const headers = endToEnd(response.headers);
    father.responseHeaders = headers;
    response.deliverBody(new BodyForwarder(father));
    return null;
  }
}

/**
 * Connects to the upstream server for one request (`ProxyClientFactory`);
 * a failed connection answers the father with 502.
 *
 * @example
 * ```ts
 * import { Headers, HTTPRequest, ProxyClientFactory } from "@tw/core/web";
 * import { ConnectionRefusedError, Failure } from "@tw/core";
 * import { MemoryReactorClock } from "@tw/core/testing";
 * const reactor = new MemoryReactorClock();
 * const father = new HTTPRequest(null); // the request to answer (normally a client's)
 * const headers = new Headers({ Host: "127.0.0.1:8081" });
 * const noBody = new Uint8Array(0);
 * const factory = new ProxyClientFactory("GET", "/", "HTTP/1.1", headers, noBody, father);
 * const connector = reactor.connectTCP("127.0.0.1", 8081, factory);
 * // Nothing listens there: the father gets 502 Bad Gateway.
 * factory.clientConnectionFailed(connector, new Failure(new ConnectionRefusedError()));
 * console.log(father.code); // 502
 * ```
 */
export class ProxyClientFactory extends ClientFactory {
  #args: [string, string, string, Headers, Uint8Array, HTTPRequest];

  /**
   * Makes the factory.
   * @param command the method
   * @param rest the request-target
   * @param version the client's HTTP version
   * @param headers the headers
   * @param data the body
   * @param father the request to answer
   */
  constructor(
    command: string,
    rest: string,
    version: string,
    headers: Headers,
    data: Uint8Array,
    father: HTTPRequest,
  ) {
    super();
    this.noisy = false;
    this.#args = [command, rest, version, headers, data, father];
  }

  /** Builds the `ProxyClient`. */
  override buildProtocol(_addr: Address): IProtocol {
    const client = new ProxyClient(...this.#args);
    client.factory = this;
    return client;
  }

  /** Answers 502. */
  override clientConnectionFailed(_connector: unknown, reason: Failure): void {
    log.debug("Could not connect upstream: {error}", { error: reason.getErrorMessage() });
    gatewayError(this.#args[5], "Could not connect");
  }
}

/** Options for `ReverseProxyResource`. */
export interface ReverseProxyOptions {
  /** The reactor that connects upstream. @default getReactor() */
  reactor?: ProxyReactor;
}

/**
 * Forwards every request under it to `host:port`, its path appended to
 * `path` (`ReverseProxyResource`). The Host header becomes `host` (with the
 * port unless 80); the response is streamed back.
 *
 * @example
 * ```ts
 * import { ReverseProxyResource, Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { IPv4Address } from "@tw/core";
 * import { MemoryReactorClock, StringTransport } from "@tw/core/testing";
 * const reactor = new MemoryReactorClock(); // records the upstream connection
 * const root = new Resource();
 * root.putChild("api", new ReverseProxyResource("127.0.0.1", 8081, "/v1", { reactor }));
 * const handle = siteAsFetchHandler(new Site(root, { clock: reactor }));
 * const pending = handle(new Request("http://localhost/api/users?page=2"));
 * const [host, port, factory] = reactor.tcpClients[0];
 * const upstream = factory.buildProtocol(new IPv4Address("TCP", host, port))!;
 * const wire = new StringTransport();
 * upstream.makeConnection(wire);
 * console.log(wire.valueText().split("\r\n")[0]); // "GET /v1/users?page=2 HTTP/1.1"
 * const answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
 * upstream.dataReceived(new TextEncoder().encode(answer));
 * console.log(await (await pending).text()); // "ok"
 * ```
 */
export class ReverseProxyResource extends Resource {
  /** The upstream host. */
  readonly host: string;
  /** The upstream port. */
  readonly port: number;
  /** The path prefix upstream. */
  readonly path: string;
  #reactor: ProxyReactor | null;

  /**
   * Makes the resource.
   * @param host the upstream host
   * @param port the upstream port
   * @param path the upstream path this resource stands for ("" for the root)
   * @param options the reactor
   */
  constructor(host: string, port: number, path: string, options: ReverseProxyOptions = {}) {
    super();
    this.host = host;
    this.port = port;
    this.path = path;
    this.#reactor = options.reactor ?? null;
  }

  /** A proxy for the child path `path` (percent-encoded again). */
  override getChild(path: string, _request: Request): ReverseProxyResource {
    const options: ReverseProxyOptions = {};
    if (this.#reactor !== null) options.reactor = this.#reactor;
    return new ReverseProxyResource(
      this.host,
      this.port,
      this.path + "/" + encodeURIComponent(path),
      options,
    );
  }

  /** Forwards the request; the response is written when it arrives. */
  override render(request: Request): typeof NOT_DONE_YET {
    const hostHeader = this.port === 80 ? this.host : `${this.host}:${this.port}`;
    const headers = request.requestHeaders.copy();
    headers.setRawHeaders("Host", [hostHeader]);
    const q = request.uri.indexOf("?");
    const rest = (this.path === "" ? "/" : this.path) + (q >= 0 ? request.uri.slice(q) : "");
    const factory = new ProxyClientFactory(
      request.method,
      rest,
      request.clientproto,
      headers,
      request.content,
      request,
    );
    (this.#reactor ?? getReactor()).connectTCP(this.host, this.port, factory);
    return NOT_DONE_YET;
  }
}

/**
 * A request to the forward proxy (`ProxyRequest`): its target is an absolute
 * http URI, which is fetched and relayed. Other forms get 400; other
 * schemes and CONNECT get 501.
 *
 * @example
 * ```ts
 * import { HTTPFactory, ProxyRequest } from "@tw/core/web";
 * import { IPv4Address } from "@tw/core";
 * import { MemoryReactorClock, StringTransport } from "@tw/core/testing";
 * const reactor = new MemoryReactorClock();
 * const factory = new HTTPFactory({ clock: reactor });
 * factory.requestFactory = (channel) => new ProxyRequest(channel, reactor);
 * const channel = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 50000))!;
 * const transport = new StringTransport();
 * channel.makeConnection(transport);
 * const head = "GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n";
 * channel.dataReceived(new TextEncoder().encode(head));
 * console.log(transport.valueText().split("\r\n")[0]); // "HTTP/1.1 501 Not Implemented": http only
 * ```
 */
export class ProxyRequest extends HTTPRequest {
  /** The reactor that connects upstream. */
  reactor: ProxyReactor | null;

  /**
   * Made by the channel.
   * @param channel the connection
   * @param reactor the reactor that connects upstream (default: `getReactor()`)
   */
  constructor(channel: HTTPChannel | null, reactor: ProxyReactor | null = null) {
    super(channel);
    this.reactor = reactor;
  }

  /** Parses the absolute URI and forwards the request. */
  override process(): void {
    if (this.method === "CONNECT") {
      this.#answer(501, "CONNECT is not supported");
      return;
    }
    let uri: URI;
    try {
      uri = URI.fromString(this.uri);
    } catch (error) {
      const scheme = error instanceof Error && error.name === "SchemeNotSupported";
      this.#answer(scheme ? 501 : 400, scheme ? "Unsupported scheme" : "Not an absolute URI");
      return;
    }
    if (uri.scheme !== "http") {
      this.#answer(501, "Unsupported scheme");
      return;
    }
    const headers = this.requestHeaders.copy();
    headers.setRawHeaders("Host", [uri.hostHeader]);
    const factory = new ProxyClientFactory(
      this.method,
      uri.originForm,
      this.clientproto,
      headers,
      this.content,
      this,
    );
    (this.reactor ?? getReactor()).connectTCP(uri.host, uri.port, factory);
  }

  #answer(code: number, message: string): void {
    const body = new TextEncoder().encode(message + "\n");
    this.setResponseCode(code);
    this.setHeader("content-type", "text/plain; charset=utf-8");
    this.setHeader("content-length", body.length);
    this.write(body);
    this.finish();
  }
}

/**
 * The forward proxy's channel (`Proxy`): an `HTTPChannel` whose requests are
 * `ProxyRequest`s. Serve it with `ProxyFactory`.
 *
 * @example
 * ```ts
 * import { Proxy } from "@tw/core/web";
 * import { MemoryReactorClock, StringTransport } from "@tw/core/testing";
 * const reactor = new MemoryReactorClock();
 * const channel = new Proxy();
 * channel.clock = reactor;
 * channel.proxyReactor = reactor; // where upstream connections are made
 * channel.makeConnection(new StringTransport());
 * const head = "GET http://127.0.0.1:8081/x HTTP/1.1\r\nHost: 127.0.0.1:8081\r\n\r\n";
 * channel.dataReceived(new TextEncoder().encode(head));
 * console.log(reactor.tcpClients[0].slice(0, 2)); // ["127.0.0.1", 8081]
 * ```
 */
export class Proxy extends HTTPChannel {
  /** The reactor its requests connect upstream with. */
  proxyReactor: ProxyReactor | null = null;

  /** Makes the channel, its requests being `ProxyRequest`s. */
  constructor() {
    super();
    this.requestFactory = (channel) =>
      new ProxyRequest(channel, (channel as Proxy).proxyReactor ?? null);
  }
}

/** Options for `ProxyFactory`. */
export interface ProxyFactoryOptions extends HTTPFactoryOptions {
  /** The reactor that connects upstream. @default getReactor() */
  reactor?: ProxyReactor;
}

/**
 * Serves the forward proxy (`HTTPFactory.forProtocol(Proxy)` in Twisted):
 * builds channels whose requests are `ProxyRequest`s.
 *
 * @example
 * ```ts
 * import { ProxyFactory } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const factory = new ProxyFactory({ clock: new Clock() });
 * console.log(factory.timeOut); // 60
 * // reactor.listenTCP(3128, factory, { interface: "127.0.0.1" });
 * ```
 */
export class ProxyFactory extends HTTPFactory {
  #reactor: ProxyReactor | null;

  /**
   * Makes the factory.
   * @param options channel settings and the upstream reactor
   */
  constructor(options: ProxyFactoryOptions = {}) {
    super(options);
    this.#reactor = options.reactor ?? null;
  }

  /** Builds a configured channel serving `ProxyRequest`s. */
  override buildProtocol(addr: Address): HTTPChannel | null {
    const channel = super.buildProtocol(addr);
    if (channel === null) return null;
    const reactor = this.#reactor;
    channel.requestFactory = (ch) => new ProxyRequest(ch, reactor);
    return channel;
  }
}
