/**
 * SMTP client errors (`twisted.mail.smtp.SMTPClientError` and its subclasses).
 * Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import { SMTPError } from "./_errors.ts";

/** Options of `SMTPClientError`. */
export interface SMTPClientErrorOptions {
  /** The session cannot go on. @default false */
  isFatal?: boolean;
  /** Another attempt may succeed. @default false */
  retry?: boolean;
  /** The cause. */
  cause?: unknown;
}

/**
 * A reply or condition that failed the client (`SMTPClientError`): the server's `code` and
 * `resp`.
 *
 * @example
 * ```ts
 * import { SMTPClientError } from "@tw/core/mail";
 * const e = new SMTPClientError(550, "5.1.1 No such user");
 * console.log(e.code, e.message); // 550 550 5.1.1 No such user
 * ```
 */
export class SMTPClientError extends SMTPError {
  /** The error class name. */
  override name = "SMTPClientError";
  /** The reply code (or -1 when there was no reply). */
  readonly code: number;
  /** The reply text. */
  readonly resp: string;
  /** The session cannot go on. */
  readonly isFatal: boolean;
  /** Another attempt may succeed. */
  readonly retry: boolean;
  /** Makes the error from reply `code` and text `resp`. */
  constructor(code: number, resp: string, options: SMTPClientErrorOptions = {}) {
    super(code >= 0 ? `${code} ${resp}` : resp, { cause: options.cause });
    this.code = code;
    this.resp = resp;
    this.isFatal = options.isFatal ?? false;
    this.retry = options.retry ?? false;
  }
}

function sub(name: string): typeof SMTPClientError {
  const C = class extends SMTPClientError {
    override name = name;
  };
  Object.defineProperty(C, "name", { value: name });
  return C;
}

/** The server refused the connection or the greeting (`SMTPConnectError`). */
export const SMTPConnectError: typeof SMTPClientError = sub("SMTPConnectError");
/** The server did not answer in time (`SMTPTimeoutError`). */
export const SMTPTimeoutError: typeof SMTPClientError = sub("SMTPTimeoutError");
/** The server broke the protocol (`SMTPProtocolError`). */
export const SMTPProtocolError: typeof SMTPClientError = sub("SMTPProtocolError");
/** The message was not accepted (`SMTPDeliveryError`). */
export const SMTPDeliveryError: typeof SMTPClientError = sub("SMTPDeliveryError");
/** An ESMTP-only failure (`ESMTPClientError`). */
export const ESMTPClientError: typeof SMTPClientError = sub("ESMTPClientError");
/** The server does not speak EHLO and it was needed (`EHLORequiredError`). */
export const EHLORequiredError: typeof SMTPClientError = sub("EHLORequiredError");
/** Authentication was required but not possible (`AUTHRequiredError`). */
export const AUTHRequiredError: typeof SMTPClientError = sub("AUTHRequiredError");
/** TLS was required but not possible (`TLSRequiredError`). */
export const TLSRequiredError: typeof SMTPClientError = sub("TLSRequiredError");
/** The server refused the credentials (`AUTHDeclinedError`). */
export const AUTHDeclinedError: typeof SMTPClientError = sub("AUTHDeclinedError");
/** Authentication broke down (`AuthenticationError`). */
export const AuthenticationError: typeof SMTPClientError = sub("AuthenticationError");
