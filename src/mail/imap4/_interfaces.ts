/**
 * IMAP4's storage interfaces (Twisted's `IAccount`, `IMailbox`, `IMailboxInfo`,
 * `IMailboxListener`) and its errors. The server keeps each session's view
 * (sequence numbers, \Recent, what was already told); a mailbox answers by UID.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { type InterfaceName, interfaceName } from "../../cred/_interfaces.ts";

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

/** Told of changes another session (or program) made (Twisted's `IMailboxListener`). */
export interface IMailboxListener {
  /** Messages were added or removed; the numbers are null when unknown. */
  newMessages(exists: number | null, recent: number | null): void;
  /** Flags changed (`uid -> flags`), or unknown changes when null. */
  flagsChanged(flags: Map<number, string[]> | null): void;
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
  /** Reads the current state: every message, by ascending UID. */
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
  /** Lets go of the mailbox (CLOSE, another SELECT, logout). */
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
