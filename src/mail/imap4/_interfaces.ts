/**
 * IMAP4's storage interfaces (Twisted's `IAccount`, `IMailbox`, `IMailboxInfo`,
 * `IMailboxListener`, `IMessage`, `IMessagePart`, `IMessageFile`,
 * `ISearchableMailbox`, `IMessageCopier`, `ICloseableMailbox`,
 * `INamespacePresenter`) and its errors. The server keeps each session's view
 * (sequence numbers, \Recent, what was already told); a mailbox answers by UID.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { type InterfaceName, interfaceName } from "../../cred/_interfaces.ts";
import type { SearchKey } from "./_syntax.ts";

/** A value, or a promise of it. */
export type MaybePromise<T> = T | PromiseLike<T>;

/** What a mailbox says of one message. */
export interface MessageInfo {
  /** Its UID (ascending in a listing). */
  uid: number;
  /** Its flags (system flags as `\Seen`, keywords as given), without `\Recent`. */
  flags: string[];
  /** When it arrived. */
  internalDate: Date;
  /** True when this session is the first to see it (`\Recent`, RFC 3501 §2.3.2). */
  recent: boolean;
}

/**
 * Told of changes another session (or program) made (Twisted's
 * `IMailboxListener`). The server registers one per selected mailbox with
 * `IMailbox.addListener`; a call marks the session's view stale, and an idling
 * session reads the mailbox at once.
 *
 * @example
 * ```ts
 * import type { IMailboxListener } from "@tw/core/mail/imap4";
 * const listener: IMailboxListener = {
 *   newMessages: (exists) => console.log("now", exists, "messages"),
 *   flagsChanged: () => console.log("flags changed"),
 * };
 * ```
 */
export interface IMailboxListener {
  /** Messages were added or removed; the numbers are null when unknown. */
  newMessages(exists: number | null, recent: number | null): void;
  /** Flags changed (`uid -> flags`), or unknown changes when null. */
  flagsChanged(flags: Map<number, string[]> | null): void;
  /** The mailbox became writeable or read-only (Twisted's `modeChanged`). */
  modeChanged?(writeable: boolean): void;
}

/** Name and delimiter of a mailbox in a listing (Twisted's `IMailboxInfo`). */
export interface IMailboxInfo {
  /** Its attributes for LIST (`\Noselect`, `\HasChildren`, `\Sent`...). */
  getFlags(): string[];
  /** The hierarchy delimiter. */
  getHierarchicalDelimiter(): string;
}

/**
 * One selected mailbox, for one session (Twisted's `IMailbox`, reshaped:
 * messages by UID, and `listMessages` brings the view up to date).
 */
export interface IMailbox {
  /** The flags messages may carry (FLAGS). */
  getFlags(): string[];
  /** The flags kept across sessions (PERMANENTFLAGS); `\*` allows new keywords. */
  getPermanentFlags(): string[];
  /** The hierarchy delimiter. */
  getHierarchicalDelimiter(): string;
  /** UIDVALIDITY. */
  getUIDValidity(): number;
  /** The UID the next message will get. */
  getUIDNext(): number;
  /** False when selected read-only (EXAMINE) or not writable. */
  isWriteable(): boolean;
  /**
   * Reads the current state: every message, by ascending UID. The server takes
   * the very array it got last time as "nothing changed": return a new array
   * when anything changed, and never change one once returned.
   */
  listMessages(): MaybePromise<MessageInfo[]>;
  /** The stored bytes of a message (LF or CRLF line endings). */
  getMessage(uid: number): MaybePromise<Uint8Array>;
  /** Adds a message; resolves with its UID. */
  addMessage(message: Uint8Array, flags: string[], date: Date | null): MaybePromise<number>;
  /** Replaces a message's flags. */
  setFlags(uid: number, flags: string[]): MaybePromise<void>;
  /** Removes these messages. */
  expunge(uids: number[]): MaybePromise<void>;
  /** Registers a listener. */
  addListener(listener: IMailboxListener): void;
  /** Unregisters a listener. */
  removeListener(listener: IMailboxListener): void;
  /** Lets go of the mailbox (see `ICloseableMailbox`). */
  close?(): MaybePromise<void>;
}

/** A user's set of mailboxes (Twisted's `IAccount`). Names are decoded (not modified UTF-7). */
export interface IAccount {
  /** Every mailbox: `[name, info]`, names with the hierarchy delimiter. */
  listMailboxes(): MaybePromise<[string, IMailboxInfo][]>;
  /** Opens a mailbox for a session, or null when there is none. */
  select(name: string, readwrite: boolean): MaybePromise<IMailbox | null>;
  /** Creates a mailbox (and missing parents); false when it exists. */
  create(name: string): MaybePromise<boolean>;
  /** Deletes a mailbox. */
  delete(name: string): MaybePromise<void>;
  /** Renames a mailbox (INBOX: moves its messages into a new one). */
  rename(oldName: string, newName: string): MaybePromise<void>;
  /** True when subscribed. */
  isSubscribed(name: string): MaybePromise<boolean>;
  /** Subscribes. */
  subscribe(name: string): MaybePromise<void>;
  /** Unsubscribes. */
  unsubscribe(name: string): MaybePromise<void>;
}

/**
 * One part of a message (Twisted's `IMessagePart`): its header fields, body,
 * size and sub-parts. Methods may return promises (the bytes are read on
 * first use).
 *
 * @example
 * ```ts
 * import type { IMessagePart } from "@tw/core/mail/imap4";
 * async function subject(part: IMessagePart): Promise<string | undefined> {
 *   return (await part.getHeaders(false, "subject"))["subject"];
 * }
 * ```
 */
export interface IMessagePart {
  /**
   * The header fields named (all when none), or all but them when `negate`;
   * names lower-case, values unfolded, as in the message.
   */
  getHeaders(negate: boolean, ...names: string[]): MaybePromise<Record<string, string>>;
  /** The body: the octets after the header's blank line (CRLF line endings). */
  getBodyFile(): MaybePromise<Uint8Array>;
  /** The size in octets (header and body, CRLF line endings). */
  getSize(): MaybePromise<number>;
  /** True for a multipart entity. */
  isMultipart(): MaybePromise<boolean>;
  /** The part at 0-based index `part` of a multipart (or the message in a message/rfc822). */
  getSubPart(part: number): MaybePromise<IMessagePart>;
}

/**
 * A message in a mailbox (Twisted's `IMessage`): a part with a UID, flags and
 * INTERNALDATE. The server gives one to `IMessageCopier.copy`.
 *
 * @example
 * ```ts
 * import type { IMessage } from "@tw/core/mail/imap4";
 * const describe = (m: IMessage): string => `${m.getUID()} ${m.getFlags().join(" ")}`;
 * ```
 */
export interface IMessage extends IMessagePart {
  /** Its UID in its mailbox. */
  getUID(): number;
  /** Its flags, without `\Recent`. */
  getFlags(): string[];
  /** When it arrived. */
  getInternalDate(): Date;
}

/**
 * A message whose stored octets can be had whole (Twisted's `IMessageFile`):
 * copying then keeps the message as it was stored, byte for byte.
 *
 * @example
 * ```ts
 * import type { IMessageFile } from "@tw/core/mail/imap4";
 * async function octets(m: IMessageFile): Promise<number> {
 *   return (await m.open()).byteLength;
 * }
 * ```
 */
export interface IMessageFile {
  /** The stored message (CRLF line endings). */
  open(): MaybePromise<Uint8Array>;
}

/**
 * A mailbox that answers SEARCH itself (Twisted's `ISearchableMailbox`): the
 * server gives it the parsed criteria and the UIDs the session sees (`uids[i]`
 * is sequence number `i + 1`, for sequence-set keys) and sends the UIDs it
 * returns. `\Recent` is the session's: the mailbox object is the session's.
 *
 * @example
 * ```ts
 * import type { ISearchableMailbox, SearchKey } from "@tw/core/mail/imap4";
 * const everything: ISearchableMailbox = {
 *   search: (_key: SearchKey, uids: number[]) => uids,
 * };
 * ```
 */
export interface ISearchableMailbox {
  /** The UIDs among `uids` matching `query`. */
  search(query: SearchKey, uids: number[]): MaybePromise<number[]>;
}

/**
 * A mailbox that takes copies itself (Twisted's `IMessageCopier`): COPY and
 * MOVE into it call `copy` with each source message instead of `addMessage`
 * (a maildir could link the file, a database copy a row).
 *
 * @example
 * ```ts
 * import type { IMessage, IMessageCopier } from "@tw/core/mail/imap4";
 * let next = 1;
 * const copier: IMessageCopier = {
 *   copy: (m: IMessage) => (console.log("copying", m.getUID()), next++),
 * };
 * ```
 */
export interface IMessageCopier {
  /** Stores a copy of `message` (with its flags and INTERNALDATE); resolves with its new UID. */
  copy(message: IMessage): MaybePromise<number>;
}

/**
 * A mailbox told when a session lets it go (Twisted's `ICloseableMailbox`): at
 * CLOSE, UNSELECT, another SELECT, logout and a lost connection, and after
 * STATUS, APPEND and COPY have used it.
 *
 * @example
 * ```ts
 * import type { ICloseableMailbox } from "@tw/core/mail/imap4";
 * const box: ICloseableMailbox = { close: () => console.log("released") };
 * ```
 */
export interface ICloseableMailbox {
  /** Releases what the session held. */
  close(): MaybePromise<void>;
}

/** A namespace: its prefix and hierarchy delimiter (RFC 2342). */
export type Namespace = [prefix: string, delimiter: string];

/**
 * An account that says its namespaces (Twisted's `INamespacePresenter`): the
 * NAMESPACE response comes from it; without one the server answers the
 * personal namespace `("" "/")` only.
 *
 * @example
 * ```ts
 * import type { INamespacePresenter } from "@tw/core/mail/imap4";
 * const namespaces: INamespacePresenter = {
 *   getPersonalNamespaces: () => [["", "/"]],
 *   getSharedNamespaces: () => [["#shared/", "/"]],
 *   getUserNamespaces: () => null,
 * };
 * ```
 */
export interface INamespacePresenter {
  /** The personal namespaces, or null for none. */
  getPersonalNamespaces(): Namespace[] | null;
  /** The shared namespaces, or null for none. */
  getSharedNamespaces(): Namespace[] | null;
  /** Other users' namespaces, or null for none. */
  getUserNamespaces(): Namespace[] | null;
}

const has = (o: unknown, name: string): boolean =>
  typeof o === "object" && o !== null && typeof (o as Record<string, unknown>)[name] === "function";

/** True when a mailbox answers SEARCH itself. */
export function isSearchable<T>(box: T): box is T & ISearchableMailbox {
  return has(box, "search");
}

/** True when a mailbox takes copies itself. */
export function isCopier<T>(box: T): box is T & IMessageCopier {
  return has(box, "copy");
}

/** True when a mailbox wants to be told it is let go. */
export function isCloseable<T>(box: T): box is T & ICloseableMailbox {
  return has(box, "close");
}

/** True when an account says its namespaces. */
export function isNamespacePresenter<T>(account: T): account is T & INamespacePresenter {
  return has(account, "getPersonalNamespaces") && has(account, "getSharedNamespaces") &&
    has(account, "getUserNamespaces");
}

/** The avatar interface IMAP asks a realm for (`portal.login(creds, null, IAccount)`). */
export const IAccount: InterfaceName<IAccount> = interfaceName("IAccount");

/**
 * A mailbox operation failed; the message is sent after `NO` (Twisted's `MailboxException`).
 *
 * @example
 * ```ts
 * import { MailboxException } from "@tw/core/mail/imap4";
 * const e = new MailboxException("Quota exceeded");
 * console.log(e.name); // "MailboxException"
 * ```
 */
export class MailboxException extends Error {
  /**
   * Makes the instance.
   * @param message the text of the NO response
   */
  constructor(message: string) {
    super(message);
    this.name = "MailboxException";
  }
}

/**
 * A mailbox of that name exists already.
 *
 * @example
 * ```ts
 * import { MailboxCollision } from "@tw/core/mail/imap4";
 * console.log(new MailboxCollision("Sent").message);
 * ```
 */
export class MailboxCollision extends MailboxException {
  /**
   * Makes the instance.
   * @param name the mailbox
   */
  constructor(name: string) {
    super(`Mailbox ${name} already exists`);
    this.name = "MailboxCollision";
  }
}

/**
 * No mailbox of that name.
 *
 * @example
 * ```ts
 * import { NoSuchMailbox } from "@tw/core/mail/imap4";
 * console.log(new NoSuchMailbox("Nope").message);
 * ```
 */
export class NoSuchMailbox extends MailboxException {
  /**
   * Makes the instance.
   * @param name the mailbox
   */
  constructor(name: string) {
    super(`No such mailbox ${name}`);
    this.name = "NoSuchMailbox";
  }
}

/**
 * The mailbox is read-only.
 *
 * @example
 * ```ts
 * import { ReadOnlyMailbox } from "@tw/core/mail/imap4";
 * console.log(new ReadOnlyMailbox().message);
 * ```
 */
export class ReadOnlyMailbox extends MailboxException {
  /** Makes the instance. */
  constructor() {
    super("Mailbox is read-only");
    this.name = "ReadOnlyMailbox";
  }
}

/** Matches a mailbox name against a LIST pattern (`*` any, `%` no delimiter). */
export function wildcardMatcher(pattern: string, delimiter: string): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  let re = "";
  for (const c of pattern) {
    if (c === "*") re += ".*";
    else if (c === "%") re += `[^${esc(delimiter)}]*`;
    else re += esc(c);
  }
  return new RegExp(`^${re}$`, /^inbox/i.test(pattern) ? "is" : "s");
}
