/**
 * POP3 (Twisted's `twisted.mail.pop3`): the server `POP3` with `POP3Factory`,
 * the storage interface `IMailbox` with an in-memory `Mailbox`, `APOPCredentials`,
 * and the maildir storage it is usually served from (`MaildirMailbox`,
 * `MaildirMessage`, `deliverToMaildir`, `initializeMaildir`).
 *
 * @example
 * ```ts
 * import { IMailbox, Mailbox, POP3Factory } from "@tw/core/mail/pop3";
 * import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "@tw/core/cred";
 * import { reactor } from "@tw/core";
 *
 * const box = new Mailbox([new TextEncoder().encode("Subject: hi\r\n\r\nhello\r\n")]);
 * const portal = new Portal({
 *   requestAvatar: () => [IMailbox, box, () => {}],
 * }, [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })]);
 * const port = reactor.listenTCP(0, new POP3Factory({ portal }), {
 *   interface: "127.0.0.1",
 * });
 * await port.stopListening();
 * ```
 * @module
 */
export {
  APOPCredentials,
  IMailbox,
  type IServerFactory,
  Mailbox,
  type MaybePromise,
  POP3Error,
} from "./_interfaces.ts";
export { POP3, POP3Factory, type POP3Options, type POP3State } from "./_server.ts";
export {
  deliverToMaildir,
  initializeMaildir,
  type MaildirDeliveryOptions,
  MaildirMailbox,
  MaildirMessage,
  type MaildirMessageOptions,
  MaildirQuotaExceeded,
} from "../maildir/_maildir.ts";
export { DirDBM, DirdbmDatabase } from "../maildir/_dirdbm.ts";
export { MaildirDirdbmDomain, type MaildirDirdbmDomainOptions } from "../maildir/_domain.ts";
export {
  AdvancedPOP3Client,
  InsecureAuthenticationDisallowed,
  LineTooLong,
  POP3Client,
  type POP3ClientOptions,
  type RetrieveOptions,
  ServerErrorResponse,
  TLSError,
  TLSNotSupportedError,
} from "./_client.ts";
