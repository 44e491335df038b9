/**
 * The IMAP commands that only need the account and the selected mailbox:
 * CREATE, DELETE, RENAME, (UN)SUBSCRIBE, LIST, LSUB, STATUS, APPEND, NAMESPACE,
 * ENABLE, and the selected state's EXPUNGE, SEARCH, FETCH, STORE, COPY/MOVE.
 * Each parses its arguments from a `Scanner` and answers through a
 * `CommandContext`. Private to the imap4 folder.
 * @module
 */
import {
  type IAccount,
  type IMailbox,
  isCloseable,
  isNamespacePresenter,
  type Namespace,
  wildcardMatcher,
} from "./_interfaces.ts";
import { BadCommand, compactSet, type SelectedState, type StoreMode } from "./_selected.ts";
import {
  parseDateTime,
  parseFetchAttributes,
  parseFlagList,
  parseSearchKeys,
  sequenceSet,
} from "./_syntax.ts";
import { decodeMailboxName, encodeMailboxName } from "./_utf7.ts";
import { nquote, type Scanner } from "./_wire.ts";

/** A command refused: answered `NO` with the message. */
export class No extends Error {
  /**
   * Makes the instance.
   * @param message the text of the NO
   */
  constructor(message: string) {
    super(message);
    this.name = "No";
  }
}

/** What a command handler works with. */
export interface CommandContext {
  /** The logged-in account. */
  readonly account: IAccount;
  /** The selected mailbox, or null. */
  readonly selected: SelectedState | null;
  /** Writes one response line. */
  line(text: string): void;
}

/** CREATE. */
export async function createCommand(c: CommandContext, s: Scanner, tag: string): Promise<void> {
  s.sp();
  const name = mailboxName(s);
  s.end();
  if (/^inbox$/i.test(name)) throw new No("INBOX exists already");
  await c.account.create(name);
  c.line(`${tag} OK CREATE completed`);
}

/** DELETE. */
export async function deleteCommand(c: CommandContext, s: Scanner, tag: string): Promise<void> {
  s.sp();
  const name = mailboxName(s);
  s.end();
  await c.account.delete(name);
  c.line(`${tag} OK DELETE completed`);
}

/** RENAME. */
export async function renameCommand(c: CommandContext, s: Scanner, tag: string): Promise<void> {
  s.sp();
  const from = mailboxName(s);
  s.sp();
  const to = mailboxName(s);
  s.end();
  await c.account.rename(from, to);
  c.line(`${tag} OK RENAME completed`);
}

/** SUBSCRIBE. */
export async function subscribeCommand(c: CommandContext, s: Scanner, tag: string): Promise<void> {
  s.sp();
  const name = mailboxName(s);
  s.end();
  await c.account.subscribe(name);
  c.line(`${tag} OK SUBSCRIBE completed`);
}

/** UNSUBSCRIBE. */
export async function unsubscribeCommand(
  c: CommandContext,
  s: Scanner,
  tag: string,
): Promise<void> {
  s.sp();
  const name = mailboxName(s);
  s.end();
  await c.account.unsubscribe(name);
  c.line(`${tag} OK UNSUBSCRIBE completed`);
}

/** LIST. */
export async function listCommand(
  c: CommandContext,
  s: Scanner,
  tag: string,
  lsub: boolean,
): Promise<void> {
  s.sp();
  const ref = s.astring();
  s.sp();
  const pattern = s.listMailbox();
  s.end();
  const word = lsub ? "LSUB" : "LIST";
  if (pattern === "" && !lsub) {
    c.line(`* LIST (\\Noselect) "/" ""`);
    c.line(`${tag} OK LIST completed`);
    return;
  }
  let full: string;
  try {
    full = decodeMailboxName(ref + pattern);
  } catch {
    throw new BadCommand("Bad mailbox name");
  }
  const re = wildcardMatcher(full, "/");
  for (const [name, info] of await c.account.listMailboxes()) {
    if (!re.test(name)) continue;
    if (lsub && !(await c.account.isSubscribed(name))) continue;
    const flags = info.getFlags().join(" ");
    const delim = info.getHierarchicalDelimiter();
    c.line(`* ${word} (${flags}) ${nquote(delim)} ${nquote(encodeMailboxName(name))}`);
  }
  c.line(`${tag} OK ${word} completed`);
}

/** STATUS. */
export async function statusCommand(c: CommandContext, s: Scanner, tag: string): Promise<void> {
  s.sp();
  const name = mailboxName(s);
  s.sp();
  const items = s.list().map((t) => (typeof t === "string" ? t.toUpperCase() : ""));
  s.end();
  const known = ["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"];
  if (items.length === 0 || items.some((i) => !known.includes(i))) {
    throw new BadCommand("Bad status item");
  }
  const box = await c.account.select(name, false);
  if (box === null) throw new No(`No such mailbox ${name}`);
  try {
    const infos = await box.listMessages();
    const values: Record<string, number> = {
      MESSAGES: infos.length,
      RECENT: infos.filter((i) => i.recent).length,
      UIDNEXT: box.getUIDNext(),
      UIDVALIDITY: box.getUIDValidity(),
      UNSEEN: infos.filter((i) => !i.flags.includes("\\Seen")).length,
    };
    const body = items.map((i) => `${i} ${values[i]}`).join(" ");
    c.line(`* STATUS ${nquote(encodeMailboxName(name))} (${body})`);
  } finally {
    if (isCloseable(box)) await box.close();
  }
  c.line(`${tag} OK STATUS completed`);
}

/** APPEND. */
export async function appendCommand(c: CommandContext, s: Scanner, tag: string): Promise<void> {
  s.sp();
  const name = mailboxName(s);
  s.sp();
  let flags: string[] = [];
  let date: Date | null = null;
  if (s.peek() === "(") {
    flags = parseFlagList(s).filter((f) => f !== "\\Recent");
    s.sp();
  }
  if (s.peek() === '"') {
    date = parseDateTime(s);
    s.sp();
  }
  if (s.peek() !== "{") throw new BadCommand("Expected a literal");
  const message = s.string();
  s.end();
  const box = await c.account.select(name, true);
  if (box === null) throw new No(`[TRYCREATE] No such mailbox ${name}`);
  let uid: number;
  try {
    uid = await box.addMessage(message, flags, date);
  } finally {
    if (isCloseable(box)) await box.close();
  }
  const code = `[APPENDUID ${box.getUIDValidity()} ${uid}]`;
  if (c.selected !== null) await c.selected.refresh(true);
  c.line(`${tag} OK ${code} APPEND completed`);
}

/** NAMESPACE: from the account when it is an `INamespacePresenter`. */
export function namespaceCommand(c: CommandContext, s: Scanner, tag: string): void {
  s.end();
  const a = c.account;
  const lists: (Namespace[] | null)[] = isNamespacePresenter(a)
    ? [a.getPersonalNamespaces(), a.getSharedNamespaces(), a.getUserNamespaces()]
    : [[["", "/"]], null, null];
  const show = (list: Namespace[] | null): string =>
    list === null || list.length === 0
      ? "NIL"
      : `(${list.map(([p, d]) => `(${nquote(encodeMailboxName(p))} ${nquote(d)})`).join("")})`;
  c.line(`* NAMESPACE ${lists.map(show).join(" ")}`);
  c.line(`${tag} OK NAMESPACE completed`);
}

/** ENABLE. */
export function enableCommand(c: CommandContext, s: Scanner, tag: string): void {
  s.sp();
  s.atom();
  while (s.accept(" ")) s.atom();
  s.end();
  c.line("* ENABLED");
  c.line(`${tag} OK ENABLE completed`);
}

/** EXPUNGE. */
export async function expungeCommand(
  c: CommandContext,
  s: Scanner,
  tag: string,
  uid: boolean,
): Promise<void> {
  const selected = c.selected!;
  let only: number[] | null = null;
  if (uid) {
    s.sp();
    const set = sequenceSet(s);
    only = selected.deleted(selected.uidsOf(selected.resolve(set, true)));
  }
  s.end();
  await selected.expunge(only);
  c.line(`${tag} OK EXPUNGE completed`);
}

/** SEARCH. */
export async function searchCommand(
  c: CommandContext,
  s: Scanner,
  tag: string,
  uid: boolean,
): Promise<void> {
  s.sp();
  if (s.accept("CHARSET ")) {
    const charset = s.astring().toUpperCase();
    if (charset !== "UTF-8" && charset !== "US-ASCII") {
      throw new No("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
    }
    s.sp();
  }
  const key = parseSearchKeys(s);
  s.end();
  const found = await c.selected!.search(key, uid);
  c.line(`* SEARCH${found.map((n) => " " + n).join("")}`);
  c.line(`${tag} OK SEARCH completed`);
}

/** FETCH. */
export async function fetchCommand(
  c: CommandContext,
  s: Scanner,
  tag: string,
  uid: boolean,
): Promise<void> {
  s.sp();
  const set = sequenceSet(s);
  s.sp();
  const atts = parseFetchAttributes(s);
  s.end();
  await c.selected!.fetch(set, uid, atts);
  c.line(`${tag} OK FETCH completed`);
}

/** STORE. */
export async function storeCommand(
  c: CommandContext,
  s: Scanner,
  tag: string,
  uid: boolean,
): Promise<void> {
  s.sp();
  const set = sequenceSet(s);
  s.sp();
  const mode = (s.accept("+") ? "+" : s.accept("-") ? "-" : "") as StoreMode;
  s.expect("FLAGS");
  const silent = s.accept(".SILENT");
  s.sp();
  const flags = parseFlagList(s, true);
  s.end();
  await c.selected!.store(set, uid, mode, silent, flags);
  c.line(`${tag} OK STORE completed`);
}

/** COPY. */
export async function copyCommand(
  c: CommandContext,
  s: Scanner,
  tag: string,
  uid: boolean,
  move: boolean,
): Promise<void> {
  s.sp();
  const set = sequenceSet(s);
  s.sp();
  const name = mailboxName(s);
  s.end();
  const selected = c.selected!;
  if (move && selected.readOnly) throw new No("Mailbox is read-only");
  const target: IMailbox | null = await c.account.select(name, true);
  if (target === null) throw new No(`[TRYCREATE] No such mailbox ${name}`);
  let from: number[];
  let to: number[];
  try {
    [from, to] = await selected.copy(set, uid, target);
  } finally {
    if (isCloseable(target)) await target.close();
  }
  const code = from.length === 0
    ? ""
    : `[COPYUID ${target.getUIDValidity()} ${compactSet(from)} ${compactSet(to)}] `;
  if (move) {
    if (code !== "") c.line(`* OK ${code}Moved`);
    await selected.expunge(from);
    c.line(`${tag} OK MOVE completed`);
    return;
  }
  c.line(`${tag} OK ${code}COPY completed`);
}

/** A mailbox name argument, decoded from modified UTF-7. */
export function mailboxName(s: Scanner): string {
  const raw = s.astring();
  try {
    return decodeMailboxName(raw);
  } catch {
    throw new BadCommand("Bad mailbox name");
  }
}
