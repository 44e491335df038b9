/**
 * `@tw/core/mail`: Twisted's mail (`twisted.mail`), the SMTP part.
 *
 * - Server: `SMTP`, `ESMTP` (8BITMIME, PIPELINING, ENHANCEDSTATUSCODES, SIZE, SMTPUTF8,
 *   STARTTLS, AUTH CRAM-MD5 / PLAIN / LOGIN through `@tw/core/cred`), `LMTP`, `SMTPFactory`.
 *   Storage plugs in through `IMessageDelivery` (validate sender and recipients, make one
 *   `IMessage` per recipient) or a portal whose realm returns one.
 * - Addresses and headers: `Address`, `User`, `quoteaddr`, `messageid`, `rfc822date`.
 * - Errors: `SMTPServerError`, `SMTPBadRcpt`, `SMTPBadSender`, `AddressError`.
 * - Service and routing: `MailService` (domains, their portals, the SMTP portal, the
 *   factories), `MaildirDirdbmDomain`, `BounceDomain`, `DomainWithDefaultDict`; aliases(5)
 *   (`loadAliasFile`, `AddressAlias`, `FileAlias`, `ProcessAlias`, `AliasGroup`); relaying
 *   for authenticated sessions (`DomainQueuer`, `Queue` with JSON envelopes,
 *   `SmartHostSMTPRelayingManager` with retries and backoff, `RelayStateHelper`) and
 *   RFC 3464 bounces (`generateBounce`).
 *
 * CRAM-MD5 needs a checker that sees the password (`InMemoryUsernamePasswordDatabaseDontUse`,
 * or `FilePasswordDB` with `hash: "plain"`); a hashed `FilePasswordDB` serves PLAIN and
 * LOGIN only, which the server offers only after STARTTLS.
 *
 * @example
 * ```ts
 * import { Address, ESMTP, type IMessage, type IMessageDelivery, type User } from "@tw/core/mail";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const stored: string[] = [];
 * const delivery: IMessageDelivery = {
 *   receivedHeader: () => "Received: from test",
 *   validateFrom: (_helo, origin: Address) => origin,
 *   validateTo: (_user: User) => (): IMessage => {
 *     const lines: string[] = [];
 *     return {
 *       lineReceived: (line) => void lines.push(new TextDecoder().decode(line)),
 *       eomReceived: () => void stored.push(lines.join("\n")),
 *       connectionLost: () => {},
 *     };
 *   },
 * };
 * const server = new ESMTP({ domain: "mx.example", delivery, timeout: 0 });
 * const transport = new StringTransport();
 * server.makeConnection(transport);
 * server.dataReceived(new TextEncoder().encode(
 *   "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nHi\r\n..dot\r\n.\r\nQUIT\r\n",
 * ));
 * console.log(stored); // [ "Received: from test\nHi\n.dot" ]
 * ```
 * @module
 */
// Importing this entry point alone installs the reactor its defaults use (`getReactor()`).
import "../../runtimes/select.ts";
export { Address, messageid, quoteaddr, rfc822date, User } from "./smtp/_address.ts";
export {
  AddressError,
  SMTPBadRcpt,
  SMTPBadSender,
  SMTPError,
  SMTPServerError,
} from "./smtp/_errors.ts";
export {
  type IMessage,
  IMessageDelivery,
  type IMessageDeliveryFactory,
  type MaybeDeferred,
} from "./smtp/_interfaces.ts";
export { SMTP } from "./smtp/_server.ts";
export type { SMTPFactoryOptions } from "./smtp/_options.ts";
export { ESMTP, SMTPFactory } from "./smtp/_esmtp.ts";
export { LMTP } from "./smtp/_lmtp.ts";
export type { AuthStep, Challenger, IChallengeResponse } from "./smtp/_auth.ts";
export { cramMD5Challenger, loginChallenger, plainChallenger } from "./smtp/_auth.ts";
export {
  encodeMessage,
  ESMTPClient,
  type ESMTPClientOptions,
  type RecipientResult,
  type SendResult,
  SMTPClient,
} from "./smtp/_client.ts";
export {
  AUTHDeclinedError,
  AuthenticationError,
  AUTHRequiredError,
  EHLORequiredError,
  ESMTPClientError,
  SMTPClientError,
  type SMTPClientErrorOptions,
  SMTPConnectError,
  SMTPDeliveryError,
  SMTPProtocolError,
  SMTPTimeoutError,
  TLSRequiredError,
} from "./smtp/_client_errors.ts";
export {
  CramMD5ClientAuthenticator,
  type IClientAuthentication,
  LOGINAuthenticator,
  PLAINAuthenticator,
} from "./smtp/_client_auth.ts";
export {
  ESMTPSender,
  ESMTPSenderFactory,
  type ESMTPSenderFactoryOptions,
  sendmail,
  type SendmailOptions,
  SMTPSender,
  SMTPSenderFactory,
  type SMTPSenderFactoryOptions,
} from "./smtp/_sender.ts";
export { MXCalculator, type MXCalculatorOptions, NullMXError } from "./smtp/_mx.ts";
// Maildir storage (twisted.mail.maildir) and the DirDBM domain `twistd mail` writes.
export {
  deliverToMaildir,
  initializeMaildir,
  type MaildirDeliveryOptions,
  MaildirMailbox,
  MaildirMessage,
  type MaildirMessageOptions,
  MaildirQuotaExceeded,
} from "./maildir/_maildir.ts";
export { DirDBM, DirdbmDatabase } from "./maildir/_dirdbm.ts";
export { MaildirDirdbmDomain, type MaildirDirdbmDomainOptions } from "./maildir/_domain.ts";
// Service and routing (twisted.mail.mail, alias, relay, relaymanager, bounce).
export {
  BounceDomain,
  DomainWithDefaultDict,
  type IAliasableDomain,
  type IDomain,
  isAliasableDomain,
} from "./service/_domain.ts";
export {
  AddressAlias,
  AliasBase,
  AliasGroup,
  type AliasOptions,
  type DomainLookup,
  FileAlias,
  type IAlias,
  loadAliasFile,
  type LoadAliasFileOptions,
  ProcessAlias,
} from "./service/_alias.ts";
export {
  FileWrapper,
  MessageWrapper,
  MultiWrapper,
  PendingMessage,
  ProcessAliasTimeout,
} from "./service/_alias_messages.ts";
export {
  DomainQueuer,
  Queue,
  type QueueEnvelope,
  type QueueHolder,
  QueueMessage,
  type QueueOptions,
} from "./service/_queue.ts";
export { generateBounce, type GenerateBounceOptions } from "./service/_bounce.ts";
export {
  type RelayingManagerOptions,
  type RelaySend,
  RelayStateHelper,
  SmartHostESMTPRelayingManager,
  SmartHostSMTPRelayingManager,
} from "./service/_relay.ts";
export {
  DomainDeliveryBase,
  ESMTPDomainDelivery,
  FileMonitoringService,
  MailService,
  type MailServiceOptions,
  SMTPDomainDelivery,
  type WatchedFile,
} from "./service/_service.ts";
