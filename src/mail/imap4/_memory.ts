/**
 * An in-memory IMAP account (Twisted's `MemoryAccount`): mailboxes of
 * messages, shared by the sessions of one account. Names are case-sensitive
 * except INBOX (RFC 3501 §5.1). Private: re-exported by `mod.ts`.
 * @module
 */
import {
  type IAccount,
  type ICloseableMailbox,
  type IMailbox,
  type IMailboxInfo,
  type IMailboxListener,
  type IMessage,
  type IMessageCopier,
  type INamespacePresenter,
  type ISearchableMailbox,
  MailboxCollision,
  type MessageInfo,
  type Namespace,
  NoSuchMailbox,
  ReadOnlyMailbox,
} from "./_interfaces.ts";
import { LoadedMessage, matches } from "./_fetch.ts";
import type { SearchKey } from "./_syntax.ts";

interface Stored {
  uid: number;
  bytes: Uint8Array;
  flags: string[];
  date: Date;
  seenBy: Set<object>;
}

class Folder {
  messages: Stored[] = [];
  uidNext = 1;
  uidValidity: number;
  listeners = new Set<IMailboxListener>();
  constructor(validity: number) {
    this.uidValidity = validity;
  }
  changed(from: IMailboxListener | null, flags: boolean): void {
    for (const l of this.listeners) {
      if (l === from) continue;
      if (flags) l.flagsChanged(null);
      else l.newMessages(this.messages.length, null);
    }
  }
}

const FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"];

class MemoryMailbox implements IMailbox, ISearchableMailbox, IMessageCopier, ICloseableMailbox {
  #folder: Folder;
  #writeable: boolean;
  #session = {};
  #listeners = new Set<IMailboxListener>();
  /** UIDs that are \Recent for this session. */
  #recent = new Set<number>();

  constructor(folder: Folder, writeable: boolean) {
    this.#folder = folder;
    this.#writeable = writeable;
  }
  getFlags(): string[] {
    return [...FLAGS];
  }
  getPermanentFlags(): string[] {
    return [...FLAGS, "\\*"];
  }
  getHierarchicalDelimiter(): string {
    return "/";
  }
  getUIDValidity(): number {
    return this.#folder.uidValidity;
  }
  getUIDNext(): number {
    return this.#folder.uidNext;
  }
  isWriteable(): boolean {
    return this.#writeable;
  }
  listMessages(): MessageInfo[] {
    return this.#folder.messages.map((m) => {
      const recent = m.seenBy.size === 0;
      if (recent && this.#writeable) {
        m.seenBy.add(this.#session);
        this.#recent.add(m.uid);
      }
      return { uid: m.uid, flags: [...m.flags], internalDate: m.date, recent };
    });
  }
  #find(uid: number): Stored {
    const m = this.#folder.messages.find((x) => x.uid === uid);
    if (m === undefined) throw new RangeError(`No message with UID ${uid}`);
    return m;
  }
  getMessage(uid: number): Uint8Array {
    return this.#find(uid).bytes;
  }
  addMessage(message: Uint8Array, flags: string[], date: Date | null): number {
    const uid = this.#folder.uidNext++;
    this.#folder.messages.push({
      uid,
      bytes: message.slice(),
      flags: [...flags],
      date: date ?? new Date(),
      seenBy: new Set(),
    });
    this.#folder.changed(null, false);
    return uid;
  }
  setFlags(uid: number, flags: string[]): void {
    if (!this.#writeable) throw new ReadOnlyMailbox();
    this.#find(uid).flags = [...flags];
    this.#folder.changed(null, true);
  }
  expunge(uids: number[]): void {
    if (!this.#writeable) throw new ReadOnlyMailbox();
    const gone = new Set(uids);
    this.#folder.messages = this.#folder.messages.filter((m) => !gone.has(m.uid));
    this.#folder.changed(null, false);
  }
  addListener(listener: IMailboxListener): void {
    this.#listeners.add(listener);
    this.#folder.listeners.add(listener);
  }
  removeListener(listener: IMailboxListener): void {
    this.#listeners.delete(listener);
    this.#folder.listeners.delete(listener);
  }
  /** SEARCH, answered here (`ISearchableMailbox`): the UIDs among `uids` matching `query`. */
  async search(query: SearchKey, uids: number[]): Promise<number[]> {
    const byUid = new Map(this.#folder.messages.map((m) => [m.uid, m]));
    const last = uids.length;
    const lastUid = uids[uids.length - 1] ?? 0;
    const out: number[] = [];
    for (let i = 0; i < uids.length; i++) {
      const m = byUid.get(uids[i]);
      if (m === undefined) continue;
      const flags = this.#recent.has(m.uid) ? [...m.flags, "\\Recent"] : [...m.flags];
      const loaded = new LoadedMessage(i + 1, m.uid, flags, m.date, () => m.bytes);
      if (await matches(loaded, query, last, lastUid)) out.push(m.uid);
    }
    return out;
  }
  /** COPY into this mailbox (`IMessageCopier`): the message's octets, flags and date. */
  async copy(message: IMessage): Promise<number> {
    const file = message as Partial<{ open(): Uint8Array | PromiseLike<Uint8Array> }>;
    let bytes: Uint8Array;
    if (typeof file.open === "function") bytes = await file.open();
    else {
      const headers = Object.entries(await message.getHeaders(false))
        .map(([k, v]) => `${k}: ${v}\r\n`).join("");
      const body = await message.getBodyFile();
      bytes = new Uint8Array([...new TextEncoder().encode(headers + "\r\n"), ...body]);
    }
    return this.addMessage(bytes, message.getFlags(), message.getInternalDate());
  }
  /** Lets go of the mailbox (`ICloseableMailbox`): its listeners stop. */
  close(): void {
    for (const l of this.#listeners) this.#folder.listeners.delete(l);
  }
}

/**
 * An account held in memory (Twisted's `MemoryAccount`), with an INBOX. Its
 * mailboxes answer SEARCH themselves (`ISearchableMailbox`), take copies
 * (`IMessageCopier`) and are told when let go (`ICloseableMailbox`); the
 * account says its namespace (`INamespacePresenter`).
 *
 * @example
 * ```ts
 * import { MemoryAccount } from "@tw/core/mail/imap4";
 * const account = new MemoryAccount("alice");
 * await account.create("Sent");
 * const inbox = await account.select("INBOX", true);
 * inbox!.addMessage(new TextEncoder().encode("Subject: hi\r\n\r\nhello\r\n"), [], null);
 * ```
 */
export class MemoryAccount implements IAccount, INamespacePresenter {
  /** The account's name. */
  readonly name: string;
  #folders = new Map<string, Folder>();
  #subscribed = new Set<string>();
  #validity = Math.floor(Date.now() / 1000);

  /**
   * Makes the instance.
   * @param name the account's name
   */
  constructor(name = "") {
    this.name = name;
    this.#folders.set("INBOX", new Folder(this.#validity++));
  }

  #key(name: string): string {
    return /^inbox$/i.test(name)
      ? "INBOX"
      : /^inbox\//i.test(name)
      ? "INBOX" + name.slice(5)
      : name;
  }

  /** Every mailbox. */
  listMailboxes(): [string, IMailboxInfo][] {
    const names = [...this.#folders.keys()].sort();
    return names.map((name) => {
      const children = names.some((n) => n.startsWith(name + "/"));
      return [name, {
        getFlags: () => [children ? "\\HasChildren" : "\\HasNoChildren"],
        getHierarchicalDelimiter: () => "/",
      }];
    });
  }

  /** Opens a mailbox, or null; it searches, copies and closes itself. */
  select(
    name: string,
    readwrite: boolean,
  ): (IMailbox & ISearchableMailbox & IMessageCopier & ICloseableMailbox) | null {
    const folder = this.#folders.get(this.#key(name));
    return folder === undefined ? null : new MemoryMailbox(folder, readwrite);
  }

  /** Creates a mailbox and its missing parents. */
  create(name: string): boolean {
    const key = this.#key(name.replace(/\/+$/, ""));
    if (this.#folders.has(key)) throw new MailboxCollision(name);
    const parts = key.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      if (!this.#folders.has(parent)) this.#folders.set(parent, new Folder(this.#validity++));
    }
    this.#folders.set(key, new Folder(this.#validity++));
    return true;
  }

  /** Deletes a mailbox. */
  delete(name: string): void {
    const key = this.#key(name);
    if (key === "INBOX") throw new MailboxCollision("INBOX cannot be deleted: it");
    if (!this.#folders.delete(key)) throw new NoSuchMailbox(name);
  }

  /** Renames a mailbox and its children; INBOX's messages move to the new one. */
  rename(oldName: string, newName: string): void {
    const from = this.#key(oldName);
    const to = this.#key(newName);
    const folder = this.#folders.get(from);
    if (folder === undefined) throw new NoSuchMailbox(oldName);
    if (this.#folders.has(to)) throw new MailboxCollision(newName);
    if (from === "INBOX") {
      const moved = new Folder(this.#validity++);
      moved.messages = folder.messages;
      moved.uidNext = folder.uidNext;
      folder.messages = [];
      this.#folders.set(to, moved);
      return;
    }
    for (const [name, f] of [...this.#folders]) {
      if (name === from || name.startsWith(from + "/")) {
        this.#folders.delete(name);
        this.#folders.set(to + name.slice(from.length), f);
      }
    }
  }

  /** True when subscribed. */
  isSubscribed(name: string): boolean {
    return this.#subscribed.has(this.#key(name));
  }

  /** Subscribes. */
  subscribe(name: string): void {
    this.#subscribed.add(this.#key(name));
  }

  /** Unsubscribes. */
  unsubscribe(name: string): void {
    if (!this.#subscribed.delete(this.#key(name))) throw new NoSuchMailbox(name);
  }

  /** The personal namespace: `""` with `/`. */
  getPersonalNamespaces(): Namespace[] {
    return [["", "/"]];
  }

  /** None. */
  getSharedNamespaces(): Namespace[] | null {
    return null;
  }

  /** None. */
  getUserNamespaces(): Namespace[] | null {
    return null;
  }
}
