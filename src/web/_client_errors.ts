/**
 * The errors of the HTTP client (`twisted.web._newclient` and
 * `twisted.web.error`): why a request could not be sent, why a response
 * failed, how a body ended. Private to src/web; client.ts re-exports them.
 *
 * @module
 */
import { Failure } from "../internet/failure.ts";

function describe(reasons: readonly Failure[]): string {
  return reasons.map((f) => `${f.value.name}: ${f.getErrorMessage()}`).join("; ");
}

function asFailures(reasons: readonly unknown[]): Failure[] {
  return reasons.map((r) => (r instanceof Failure ? r : new Failure(r)));
}

/**
 * Errors that carry a list of underlying failures (Twisted's `_WrapperException`):
 * `reasons` says what actually went wrong.
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol, WrapperError } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * const request = new ClientRequest("GET /", "/", new Headers({ Host: "example.com" }));
 * protocol.request(request).addErrback((f) => {
 *   if (f.value instanceof WrapperError) console.log(f.value.reasons[0].value.name); // "TypeError"
 * });
 * ```
 */
export class WrapperError extends Error {
  /** The underlying failures. */
  readonly reasons: Failure[];
  /**
   * Makes the error.
   * @param reasons the underlying errors or failures
   * @param what what failed, for the message
   */
  constructor(reasons: readonly unknown[], what: string) {
    const failures = asFailures(reasons);
    super(failures.length > 0 ? `${what}: ${describe(failures)}` : what);
    this.name = "WrapperError";
    this.reasons = failures;
  }
}

/**
 * The response could not be received completely (`ResponseFailed`).
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol } from "@tw/core/web";
 * import { ParseError, ResponseFailed } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * const d = protocol.request(new ClientRequest("GET", "/", new Headers({ Host: "example.com" })));
 * d.addErrback((f) => {
 *   f.trap(ResponseFailed);
 *   console.log((f.value as ResponseFailed).reasons[0].check(ParseError) !== null); // true
 * });
 * protocol.dataReceived(new TextEncoder().encode("garbage\r\n\r\n"));
 * ```
 */
export class ResponseFailed extends WrapperError {
  /** The response, when its head had been received. */
  readonly response: unknown;
  /**
   * Makes the error.
   * @param reasons what went wrong
   * @param response the response, if its head arrived
   */
  constructor(reasons: readonly unknown[], response: unknown = null) {
    super(reasons, "Response failed");
    this.name = "ResponseFailed";
    this.response = response;
  }
}

/**
 * No response head was received at all (`ResponseNeverReceived`).
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol } from "@tw/core/web";
 * import { ResponseNeverReceived } from "@tw/core/web";
 * import { ConnectionDone, Failure } from "@tw/core";
 * import { StringTransport } from "@tw/core/testing";
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * const d = protocol.request(new ClientRequest("GET", "/", new Headers({ Host: "example.com" })));
 * d.addErrback((f) => console.log(f.check(ResponseNeverReceived) !== null)); // true
 * protocol.connectionLost(new Failure(new ConnectionDone()));
 * ```
 */
export class ResponseNeverReceived extends ResponseFailed {
  /**
   * Makes the error.
   * @param reasons what went wrong (a `CancelledError` when the request was cancelled)
   */
  constructor(reasons: readonly unknown[]) {
    super(reasons);
    this.name = "ResponseNeverReceived";
    this.message = this.message.replace("Response failed", "Response never received");
  }
}

/**
 * The request's body producer failed (`RequestGenerationFailed`).
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol } from "@tw/core/web";
 * import { RequestGenerationFailed } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * const bad = new ClientRequest("GET", "/a b", new Headers({ Host: "example.com" }));
 * protocol.request(bad).addErrback((f) => {
 *   f.trap(RequestGenerationFailed);
 *   console.log(f.getErrorMessage());
 *   // "Request generation failed: TypeError: Invalid request target: \"/a b\""
 * });
 * ```
 */
export class RequestGenerationFailed extends WrapperError {
  /**
   * Makes the error.
   * @param reasons what went wrong
   */
  constructor(reasons: readonly unknown[]) {
    super(reasons, "Request generation failed");
    this.name = "RequestGenerationFailed";
  }
}

/**
 * The connection failed while the request was written (`RequestTransmissionFailed`).
 *
 * @example
 * ```ts
 * import { BytesBodyProducer, ClientRequest, Headers, HTTP11ClientProtocol } from "@tw/core/web";
 * import { RequestTransmissionFailed } from "@tw/core/web";
 * import { ConnectionLost, Failure } from "@tw/core";
 * import { StringTransport } from "@tw/core/testing";
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * const body = new BytesBodyProducer(new ReadableStream<Uint8Array>()); // never ends
 * const headers = new Headers({ Host: "example.com" });
 * const d = protocol.request(new ClientRequest("POST", "/", headers, body));
 * d.addErrback((f) => console.log(f.check(RequestTransmissionFailed) !== null)); // true
 * protocol.connectionLost(new Failure(new ConnectionLost()));
 * ```
 */
export class RequestTransmissionFailed extends WrapperError {
  /**
   * Makes the error.
   * @param reasons what went wrong
   */
  constructor(reasons: readonly unknown[]) {
    super(reasons, "Request transmission failed");
    this.name = "RequestTransmissionFailed";
  }
}

/**
 * The request was not written because the connection was busy or closed (`RequestNotSent`).
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol, RequestNotSent } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * const request = new ClientRequest("GET", "/", new Headers({ Host: "example.com" }));
 * protocol.request(request);
 * // One request at a time: the second is refused.
 * protocol.request(request).addErrback((f) => {
 *   console.log(f.check(RequestNotSent) !== null); // true
 * });
 * ```
 */
export class RequestNotSent extends Error {
  /** Makes the error. */
  constructor(message = "The request was not sent: the connection is busy or closed") {
    super(message);
    this.name = "RequestNotSent";
  }
}

/**
 * A body producer wrote more or fewer bytes than its declared length (`WrongBodyLength`).
 *
 * @example
 * ```ts
 * import { BytesBodyProducer, ClientRequest, Headers, HTTP11ClientProtocol } from "@tw/core/web";
 * import { type WrapperError, WrongBodyLength } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * const body = new BytesBodyProducer(new Blob(["hi"]).stream(), { length: 5 }); // 2 of 5 bytes
 * const headers = new Headers({ Host: "example.com" });
 * protocol.request(new ClientRequest("PUT", "/", headers, body)).addErrback((f) => {
 *   console.log((f.value as WrapperError).reasons[0].check(WrongBodyLength) !== null); // true
 * });
 * ```
 */
export class WrongBodyLength extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "WrongBodyLength";
  }
}

/**
 * The response could not be parsed (`ParseError`): what was wrong and the bytes concerned.
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol } from "@tw/core/web";
 * import { ParseError, ResponseFailed } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * const d = protocol.request(new ClientRequest("GET", "/", new Headers({ Host: "example.com" })));
 * d.addErrback((f) => {
 *   const reason = (f.value as ResponseFailed).reasons[0];
 *   if (reason.check(ParseError)) console.log(reason.getErrorMessage());
 *   // "Bad status line: \"garbage\""
 * });
 * protocol.dataReceived(new TextEncoder().encode("garbage\r\n\r\n"));
 * ```
 */
export class ParseError extends Error {
  /** The offending data, as text (truncated). */
  readonly data: string;
  /**
   * Makes the error.
   * @param reason what was wrong
   * @param data the offending bytes, as text
   */
  constructor(reason: string, data = "") {
    super(data === "" ? reason : `${reason}: ${JSON.stringify(data.slice(0, 200))}`);
    this.name = "ParseError";
    this.data = data;
  }
}

/**
 * The whole body was received (`ResponseDone`): the normal end of `deliverBody`.
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol, ResponseDone } from "@tw/core/web";
 * import { type Failure, Protocol } from "@tw/core";
 * import { StringTransport } from "@tw/core/testing";
 * class Printer extends Protocol {
 *   override connectionLost(reason: Failure): void {
 *     console.log(reason.check(ResponseDone) !== null); // true
 *   }
 * }
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * protocol.request(new ClientRequest("GET", "/", new Headers({ Host: "example.com" })))
 *   .addCallback((response) => response.deliverBody(new Printer()));
 * const answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
 * protocol.dataReceived(new TextEncoder().encode(answer));
 * ```
 */
export class ResponseDone extends Error {
  /** Makes the error. */
  constructor(message = "Response body fully received") {
    super(message);
    this.name = "ResponseDone";
  }
}

/**
 * The body had no length and ended when the connection closed
 * (`PotentialDataLoss`): it may or may not be complete.
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol, PotentialDataLoss } from "@tw/core/web";
 * import { ConnectionDone, Failure, Protocol } from "@tw/core";
 * import { StringTransport } from "@tw/core/testing";
 * class Printer extends Protocol {
 *   override connectionLost(reason: Failure): void {
 *     console.log(reason.check(PotentialDataLoss) !== null); // true
 *   }
 * }
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * protocol.request(new ClientRequest("GET", "/", new Headers({ Host: "example.com" })))
 *   .addCallback((response) => response.deliverBody(new Printer()));
 * // No Content-Length: the body runs until the server closes.
 * const answer = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhi";
 * protocol.dataReceived(new TextEncoder().encode(answer));
 * protocol.connectionLost(new Failure(new ConnectionDone()));
 * ```
 */
export class PotentialDataLoss extends Error {
  /** Makes the error. */
  constructor(
    message = "The response had no length and ended with the connection: it may be incomplete",
  ) {
    super(message);
    this.name = "PotentialDataLoss";
  }
}

/**
 * A request URI's scheme is not http or https (`SchemeNotSupported`).
 *
 * @example
 * ```ts
 * import { Agent, SchemeNotSupported } from "@tw/core/web";
 * import { MemoryReactorClock } from "@tw/core/testing";
 * const agent = new Agent(new MemoryReactorClock());
 * agent.request("GET", "ftp://example.com/file").addErrback((f) => {
 *   f.trap(SchemeNotSupported);
 *   console.log(f.getErrorMessage()); // "Unsupported scheme: ftp"
 * });
 * ```
 */
export class SchemeNotSupported extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "SchemeNotSupported";
  }
}

/**
 * `readBody` got a body that may be truncated (`PartialDownloadError`);
 * `response` holds the bytes that did arrive.
 *
 * @example
 * ```ts
 * import { ClientRequest, Headers, HTTP11ClientProtocol } from "@tw/core/web";
 * import { PartialDownloadError, readBody } from "@tw/core/web";
 * import { ConnectionDone, Failure } from "@tw/core";
 * import { StringTransport } from "@tw/core/testing";
 * const protocol = new HTTP11ClientProtocol();
 * protocol.makeConnection(new StringTransport());
 * const d = protocol.request(new ClientRequest("GET", "/", new Headers({ Host: "example.com" })));
 * const answer = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhel"; // no length
 * protocol.dataReceived(new TextEncoder().encode(answer));
 * readBody(await d).addErrback((f) => {
 *   f.trap(PartialDownloadError);
 *   console.log((f.value as PartialDownloadError).response.length); // 3
 * });
 * protocol.connectionLost(new Failure(new ConnectionDone()));
 * ```
 */
export class PartialDownloadError extends Error {
  /** The status code. */
  readonly status: number;
  /** The body received. */
  readonly response: Uint8Array;
  /**
   * Makes the error.
   * @param status the status code
   * @param message why
   * @param response the bytes received
   */
  constructor(status: number, message: string, response: Uint8Array) {
    super(message);
    this.name = "PartialDownloadError";
    this.status = status;
    this.response = response;
  }
}

/**
 * Too many redirects were followed (`InfiniteRedirection`).
 *
 * @example
 * ```ts
 * import { Headers, InfiniteRedirection, RedirectAgent, Response } from "@tw/core/web";
 * import type { ResponseFailed } from "@tw/core/web";
 * import { succeed } from "@tw/core";
 * // An agent whose every answer redirects again.
 * const again = new Headers({ Location: "/again" });
 * const loop = { request: () => succeed(new Response(["HTTP", 1, 1], 302, "Found", again, 0)) };
 * new RedirectAgent(loop, 3).request("GET", "http://example.com/").addErrback((f) => {
 *   const reason = (f.value as ResponseFailed).reasons[0];
 *   console.log(reason.check(InfiniteRedirection) !== null); // true
 * });
 * ```
 */
export class InfiniteRedirection extends Error {
  /** The status of the last redirect. */
  readonly status: number;
  /** The redirect that was not followed. */
  readonly location: string;
  /** The last redirect response. */
  readonly response: unknown;
  /**
   * Makes the error.
   * @param status the last status
   * @param message why
   * @param location the Location not followed
   * @param response the last response
   */
  constructor(status: number, message: string, location: string, response: unknown) {
    super(message);
    this.name = "InfiniteRedirection";
    this.status = status;
    this.location = location;
    this.response = response;
  }
}

/**
 * A redirect response had no Location header (`RedirectWithNoLocation`).
 *
 * @example
 * ```ts
 * import { Headers, RedirectAgent, RedirectWithNoLocation, Response } from "@tw/core/web";
 * import type { ResponseFailed } from "@tw/core/web";
 * import { succeed } from "@tw/core";
 * const found = new Response(["HTTP", 1, 1], 302, "Found", new Headers(), 0);
 * const agent = { request: () => succeed(found) };
 * new RedirectAgent(agent).request("GET", "http://example.com/").addErrback((f) => {
 *   const reason = (f.value as ResponseFailed).reasons[0];
 *   console.log(reason.check(RedirectWithNoLocation) !== null); // true
 * });
 * ```
 */
export class RedirectWithNoLocation extends Error {
  /** The status. */
  readonly status: number;
  /** The URI requested. */
  readonly uri: string;
  /** The response. */
  readonly response: unknown;
  /**
   * Makes the error.
   * @param status the status
   * @param uri the URI requested
   * @param response the response
   */
  constructor(status: number, uri: string, response: unknown) {
    super(`Redirect (${status}) without a Location header for ${uri}`);
    this.name = "RedirectWithNoLocation";
    this.status = status;
    this.uri = uri;
    this.response = response;
  }
}

/**
 * A redirect that is not followed automatically (`PageRedirect`): a 301, 302,
 * 307 or 308 answering a method other than GET or HEAD, whose body cannot be
 * sent again.
 *
 * @example
 * ```ts
 * import { BytesBodyProducer, Headers, PageRedirect, RedirectAgent, Response } from "@tw/core/web";
 * import type { ResponseFailed } from "@tw/core/web";
 * import { succeed } from "@tw/core";
 * const to = new Headers({ Location: "/b" });
 * const moved = new Response(["HTTP", 1, 1], 307, "Temporary Redirect", to, 0);
 * const agent = { request: () => succeed(moved) };
 * // A stream body cannot be sent again, so the redirect is not followed.
 * const body = new BytesBodyProducer(new Blob(["data"]).stream());
 * new RedirectAgent(agent).request("POST", "http://example.com/a", null, body).addErrback((f) => {
 *   const reason = (f.value as ResponseFailed).reasons[0];
 *   if (reason.check(PageRedirect)) console.log((reason.value as PageRedirect).location); // "/b"
 * });
 * ```
 */
export class PageRedirect extends Error {
  /** The status. */
  readonly status: number;
  /** The Location. */
  readonly location: string;
  /** The response. */
  readonly response: unknown;
  /**
   * Makes the error.
   * @param status the status
   * @param location the Location not followed
   * @param response the response
   */
  constructor(status: number, location: string, response: unknown) {
    super(`Redirect (${status}) to ${location} not followed automatically`);
    this.name = "PageRedirect";
    this.status = status;
    this.location = location;
    this.response = response;
  }
}
