/**
 * SMTP errors (`twisted.mail.smtp`'s exceptions). Private: re-exported by `src/mail/mod.ts`.
 * @module
 */

/**
 * Base of the SMTP errors (`SMTPError`).
 *
 * @example
 * ```ts
 * import { SMTPBadRcpt, SMTPError } from "@tw/core/mail";
 * console.log(new SMTPBadRcpt("b@y") instanceof SMTPError); // true
 * ```
 */
export class SMTPError extends Error {
  /** The error class name. */
  override name = "SMTPError";
}

/**
 * A failure the server reports with a reply code (`SMTPServerError`): thrown by an
 * `IMessageDelivery` or an `IMessage`, its code and text are sent to the client.
 *
 * @example
 * ```ts
 * import { SMTPServerError } from "@tw/core/mail";
 * const e = new SMTPServerError(452, "4.2.2 Mailbox full");
 * console.log(e.code, e.resp); // 452 4.2.2 Mailbox full
 * ```
 */
export class SMTPServerError extends SMTPError {
  /** The error class name. */
  override name = "SMTPServerError";
  /** The reply code sent to the client. */
  readonly code: number;
  /** The reply text sent to the client. */
  readonly resp: string;
  /** Makes the error with the reply `code` and text `resp`. */
  constructor(code: number, resp: string) {
    super(`${code} ${resp}`);
    this.code = code;
    this.resp = resp;
  }
}

/**
 * A recipient refused by `IMessageDelivery.validateTo` (550 by default, `SMTPBadRcpt`).
 *
 * @example
 * ```ts
 * import { SMTPBadRcpt } from "@tw/core/mail";
 * console.log(new SMTPBadRcpt("b@y").code); // 550
 * ```
 */
export class SMTPBadRcpt extends SMTPServerError {
  /** The error class name. */
  override name = "SMTPBadRcpt";
  /** The refused address. */
  readonly addr: unknown;
  /** Refuses `addr` with `code` (default 550) and text `resp`. */
  constructor(addr: unknown, code = 550, resp?: string) {
    super(code, resp ?? `Cannot receive for specified address ${String(addr)}`);
    this.addr = addr;
  }
}

/**
 * A sender refused by `IMessageDelivery.validateFrom` (550 by default, `SMTPBadSender`).
 *
 * @example
 * ```ts
 * import { SMTPBadSender } from "@tw/core/mail";
 * console.log(new SMTPBadSender("a@x").resp); // Sender not acceptable a@x
 * ```
 */
export class SMTPBadSender extends SMTPBadRcpt {
  /** The error class name. */
  override name = "SMTPBadSender";
  /** Refuses sender `addr` with `code` (default 550) and text `resp`. */
  constructor(addr: unknown, code = 550, resp?: string) {
    super(addr, code, resp ?? `Sender not acceptable ${String(addr)}`);
  }
}

/**
 * An address that does not parse (`AddressError`).
 *
 * @example
 * ```ts
 * import { Address, AddressError } from "@tw/core/mail";
 * try {
 *   new Address("<a@@b>");
 * } catch (e) {
 *   console.log(e instanceof AddressError); // true
 * }
 * ```
 */
export class AddressError extends SMTPError {
  /** The error class name. */
  override name = "AddressError";
}
