/**
 * The storage side of the SMTP server: `IMessage`, `IMessageDelivery`,
 * `IMessageDeliveryFactory`. Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import { type InterfaceName, interfaceName } from "../../cred/_interfaces.ts";
import type { Address, User } from "./_address.ts";

/** A value, or a Deferred / promise of it. */
export type MaybeDeferred<T> = T | PromiseLike<T>;

/** One message being received for one recipient (`IMessage`). */
export interface IMessage {
  /** One line of the message, without its CRLF, dot-unstuffed. */
  lineReceived(line: Uint8Array): void;
  /** The message is complete; the Deferred fires once it is stored (or fails). */
  eomReceived(): MaybeDeferred<unknown>;
  /** The message is abandoned (connection lost, too big): store nothing. */
  connectionLost(): void;
}

/** Validates senders and recipients and makes the `IMessage`s (`IMessageDelivery`). */
export interface IMessageDelivery {
  /** The `Received:` header line (without CRLF) to put before the message. */
  receivedHeader(helo: [string, string] | null, origin: Address, recipients: User[]): string;
  /**
   * Accepts the sender (returning it) or throws / fails with `SMTPBadSender`.
   * @param helo the client's HELO name and address
   * @param origin the MAIL FROM address
   */
  validateFrom(helo: [string, string] | null, origin: Address): MaybeDeferred<Address>;
  /** Accepts a recipient, returning what makes its `IMessage`; throws / fails with `SMTPBadRcpt`. */
  validateTo(user: User): MaybeDeferred<() => IMessage>;
}

/** Makes one `IMessageDelivery` per connection (`IMessageDeliveryFactory`). */
export interface IMessageDeliveryFactory {
  /** The delivery for a new connection. */
  getMessageDelivery(): IMessageDelivery;
}

/** The cred interface name a realm is asked for by the SMTP server. */
export const IMessageDelivery: InterfaceName<IMessageDelivery> = interfaceName<IMessageDelivery>(
  "IMessageDelivery",
);
