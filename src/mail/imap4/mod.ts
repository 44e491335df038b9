/**
 * IMAP4 (Twisted's `twisted.mail.imap4`): the IMAP4rev1 server `IMAP4Server`
 * (RFC 3501 with IDLE, LITERAL+, UIDPLUS, MOVE, NAMESPACE, ID, ENABLE,
 * UNSELECT, CHILDREN, SPECIAL-USE, SASL-IR), the storage interfaces
 * (`IAccount`, `IMailbox`, `IMailboxInfo`, `IMailboxListener`, `IMessage`,
 * `IMessagePart`, `IMessageFile`, `ISearchableMailbox`, `IMessageCopier`,
 * `ICloseableMailbox`, `INamespacePresenter`) with an
 * in-memory `MemoryAccount` and a Maildir++ `MaildirAccount` (the layout
 * Dovecot uses), the wire codec (`CommandFramer`, `Scanner`, `MessageSet`,
 * `parseIdList`, the FETCH and SEARCH argument parsers), and the glue to
 * serve a `MailService`'s domains (`getIMAP4Factory`). The client
 * `IMAP4Client` streams big FETCH literals to `ILiteralSink`s
 * (`messageFile`, `fileMessageSink`) instead of holding them in memory.
 *
 * @example
 * ```ts
 * import { IAccount, IMAP4ServerFactory, MemoryAccount } from "@tw/core/mail/imap4";
 * import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "@tw/core/cred";
 * import { reactor } from "@tw/core";
 *
 * const account = new MemoryAccount("alice");
 * const portal = new Portal({
 *   requestAvatar: () => [IAccount, account, () => {}],
 * }, [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })]);
 * const port = reactor.listenTCP(0, new IMAP4ServerFactory({ portal }), {
 *   interface: "127.0.0.1",
 * });
 * await port.stopListening();
 * ```
 * @module
 */
// Importing this entry point alone installs the reactor its defaults use (`getReactor()`).
import "../../../runtimes/select.ts";
export {
  IAccount,
  type ICloseableMailbox,
  type IMailbox,
  type IMailboxInfo,
  type IMailboxListener,
  type IMessage,
  type IMessageCopier,
  type IMessageFile,
  type IMessagePart,
  type INamespacePresenter,
  type ISearchableMailbox,
  MailboxCollision,
  MailboxException,
  type MaybePromise,
  type MessageInfo,
  type Namespace,
  NoSuchMailbox,
  ReadOnlyMailbox,
} from "./_interfaces.ts";
export { MemoryAccount } from "./_memory.ts";
export { MaildirAccount, MaildirFolder } from "./_maildir.ts";
export { MessageSet, parseIdList } from "./_sequence.ts";
export {
  CommandFramer,
  type FrameEvent,
  type FramerLimits,
  IllegalClientResponse,
  Scanner,
  type Token,
} from "./_wire.ts";
export {
  type FetchAttribute,
  parseFetchAttributes,
  parseSearchKeys,
  type SearchKey,
  type Section,
} from "./_syntax.ts";
export { decodeMailboxName, encodeMailboxName } from "./_utf7.ts";
export {
  IMAP4Server,
  IMAP4ServerFactory,
  type IMAP4ServerOptions,
  type IMAP4State,
} from "./_server.ts";
export { getIMAP4Factory, MailServiceIMAP4Portal } from "./_service.ts";
export {
  type FetchSpecificOptions,
  IMAP4ClientBase,
  type IMAP4ClientOptions,
  type Untagged,
} from "./_client.ts";
export { IMAP4Client } from "./_client_commands.ts";
export {
  fileMessageSink,
  type FileMessageSinkOptions,
  type ILiteralSink,
  type LiteralSinkResult,
  type MessageFileFactory,
  type MessageSinkFile,
  type MessageSinkFiles,
} from "./_literal_sink.ts";
export {
  type FetchResult,
  type FetchValue,
  IllegalServerResponse,
  IMAP4Exception,
  Not,
  Or,
  parseFetch,
  Query,
  type QueryValue,
} from "./_client_syntax.ts";
