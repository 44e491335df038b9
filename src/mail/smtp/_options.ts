/**
 * `SMTPFactoryOptions`, the options of the SMTP server. Private: re-exported by
 * `src/mail/mod.ts`.
 * @module
 */
import type { IReactorTime } from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import type { Portal } from "../../cred/_portal.ts";
import type { IMessageDelivery, IMessageDeliveryFactory } from "./_interfaces.ts";
import type { Challenger } from "./_auth.ts";

/** Options of `SMTPFactory` (and the fields it hands each protocol). */
export interface SMTPFactoryOptions {
  /** Logs clients in; its realm is asked for `IMessageDelivery`. @default null */
  portal?: Portal | null;
  /** The server's name in greetings and replies. @default "localhost" */
  domain?: string;
  /** Idle seconds before `421` and a close (RFC 5321 §4.5.3.2). @default 600 */
  timeout?: number;
  /** The delivery used for every connection (when there is no portal). @default null */
  delivery?: IMessageDelivery | null;
  /** Makes a delivery per connection. @default null */
  deliveryFactory?: IMessageDeliveryFactory | null;
  /** Certificate and key for STARTTLS; STARTTLS is offered only with these. @default null */
  tlsOptions?: TlsOptions | null;
  /** AUTH mechanisms by name. @default CRAM-MD5, PLAIN, LOGIN */
  challengers?: Record<string, Challenger>;
  /** The SIZE limit in bytes (RFC 1870). @default 10485760 */
  maxSize?: number;
  /** Refuse MAIL with 530 until AUTH succeeds. @default false */
  requireAuthentication?: boolean;
  /** The clock for timeouts. @default the reactor */
  clock?: IReactorTime | null;
}
