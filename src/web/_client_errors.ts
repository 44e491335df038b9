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

/** The response could not be received completely (`ResponseFailed`). */
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

/** No response head was received at all (`ResponseNeverReceived`). */
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

/** The request's body producer failed (`RequestGenerationFailed`). */
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

/** The connection failed while the request was written (`RequestTransmissionFailed`). */
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

/** The request was not written because the connection was busy or closed (`RequestNotSent`). */
export class RequestNotSent extends Error {
  /** Makes the error. */
  constructor(message = "The request was not sent: the connection is busy or closed") {
    super(message);
    this.name = "RequestNotSent";
  }
}

/** A body producer wrote more or fewer bytes than its declared length (`WrongBodyLength`). */
export class WrongBodyLength extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "WrongBodyLength";
  }
}

/** The response could not be parsed (`ParseError`): what was wrong and the bytes concerned. */
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

/** The whole body was received (`ResponseDone`): the normal end of `deliverBody`. */
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

/** A request URI's scheme is not http or https (`SchemeNotSupported`). */
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

/** Too many redirects were followed (`InfiniteRedirection`). */
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

/** A redirect response had no Location header (`RedirectWithNoLocation`). */
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
