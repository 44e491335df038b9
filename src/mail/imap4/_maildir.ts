/**
 * A maildir as an IMAP account, in the Maildir++ layout Dovecot uses: INBOX is
 * the maildir, folder `A/B` is `.A.B/` (names in modified UTF-7), flags in the
 * file name's info (`:2,DFRST`), UIDs in `tw-uidlist` per folder, \Recent for
 * the session that moves a message out of `new/`. Private: re-exported by `mod.ts`.
 * @module
 */
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { generateMaildirName } from "../maildir/_maildir.ts";
import {
  type IAccount,
  type IMailbox,
  type IMailboxInfo,
  type IMailboxListener,
  MailboxCollision,
  MailboxException,
  type MessageInfo,
  NoSuchMailbox,
  ReadOnlyMailbox,
} from "./_interfaces.ts";
import { decodeMailboxName, encodeMailboxName } from "./_utf7.ts";
import {
  baseOf,
  CACHE_MS,
  flagsOfName,
  infoOfFlags,
  KEYWORD_LETTERS,
  KEYWORDS_FILE,
  parseKeywords,
  RACY_MS,
  type Scan,
  type Shared,
  shared,
  sharedOf,
  SYSTEM,
  type UidList,
} from "./_maildir_index.ts";

const dec = new TextDecoder();
const SPECIAL: Record<string, string> = {
  Drafts: "\\Drafts",
  Sent: "\\Sent",
  Trash: "\\Trash",
  Junk: "\\Junk",
};

function code(e: unknown): string | undefined {
  return typeof e === "object" && e !== null ? (e as { code?: string }).code : undefined;
}

/**
 * One maildir folder opened by one session (an `IMailbox`): `listMessages`
 * takes new mail out of `new/` (as \Recent for this session) and keeps the UID
 * list; flags live in the file names, keywords as letters `a`-`z` named in
 * `dovecot-keywords` (as Dovecot keeps them). The index of the folder (UIDs and
 * file names) is one per folder in the process, shared by its sessions; a
 * session keeps only what is its own (\Recent not yet told).
 *
 * @example
 * ```ts
 * import { MaildirAccount, type MessageInfo } from "@tw/core/mail/imap4";
 * import { initializeMaildir } from "@tw/core/mail/pop3";
 * import { reactor } from "@tw/core";
 * await initializeMaildir(reactor.runtime, "/tmp/tw-imap-doc/bob");
 * const account = new MaildirAccount(reactor.runtime, "/tmp/tw-imap-doc/bob");
 * const inbox = await account.select("INBOX", true);
 * const messages: MessageInfo[] = await inbox!.listMessages();
 * ```
 */
export class MaildirFolder implements IMailbox {
  /** The folder's directory. */
  readonly path: string;
  #fs: RuntimeFileSystem;
  #writeable: boolean;
  #shared: Shared;
  #mine = new Set<IMailboxListener>();
  /** UIDs this session took out of `new/` and has not reported yet. */
  #recent: number[] = [];
  #validity = 0;
  #next = 1;

  /**
   * Makes the instance (use `MaildirAccount.select`).
   * @param fs the file system
   * @param path the folder's directory
   * @param writeable false for EXAMINE
   */
  constructor(fs: RuntimeFileSystem, path: string, writeable: boolean) {
    this.#fs = fs;
    this.path = path;
    this.#writeable = writeable;
    this.#shared = sharedOf(path);
  }

  getFlags(): string[] {
    return [...SYSTEM, ...this.#shared.keywords.filter((k) => k !== "")];
  }
  getPermanentFlags(): string[] {
    const room = this.#shared.keywords.filter((k) => k !== "").length < KEYWORD_LETTERS.length;
    return [...this.getFlags(), ...(room ? ["\\*"] : [])];
  }
  getHierarchicalDelimiter(): string {
    return "/";
  }
  getUIDValidity(): number {
    return this.#validity;
  }
  getUIDNext(): number {
    return this.#next;
  }
  isWriteable(): boolean {
    return this.#writeable;
  }

  async #readList(): Promise<UidList> {
    try {
      const text = dec.decode(await this.#fs.readFile(`${this.path}/tw-uidlist`));
      const [head, ...lines] = text.split("\n");
      const m = /^V(\d+) N(\d+)$/.exec(head);
      if (m === null) throw new Error("bad uidlist");
      const uids = new Map<string, number>();
      for (const line of lines) {
        const sp = line.indexOf(" ");
        if (sp > 0) uids.set(line.slice(sp + 1), Number(line.slice(0, sp)));
      }
      return { validity: Number(m[1]), next: Number(m[2]), uids };
    } catch {
      return { validity: Math.floor(Date.now() / 1000), next: 1, uids: new Map() };
    }
  }

  async #writeList(list: UidList): Promise<void> {
    const lines = [`V${list.validity} N${list.next}`];
    for (const [base, uid] of list.uids) lines.push(`${uid} ${base}`);
    const tmp = `${this.path}/tw-uidlist.${generateMaildirName()}`;
    await this.#fs.writeFile(tmp, lines.join("\n") + "\n");
    await this.#fs.rename(tmp, `${this.path}/tw-uidlist`);
  }

  async #readKeywords(): Promise<string[]> {
    try {
      return parseKeywords(dec.decode(await this.#fs.readFile(`${this.path}/${KEYWORDS_FILE}`)));
    } catch {
      return [];
    }
  }

  /**
   * The keyword list with every keyword of `flags` in it (new ones get free
   * letters and are written to `dovecot-keywords`); throws when 26 are used.
   */
  #withKeywords(flags: string[]): Promise<string[]> {
    const sh = this.#shared;
    const wanted = flags.filter((f) => !f.startsWith("\\"));
    const known = (list: string[]) => {
      const lower = new Set(list.map((k) => k.toLowerCase()));
      return wanted.every((f) => lower.has(f.toLowerCase()));
    };
    if (known(sh.keywords)) return Promise.resolve(sh.keywords);
    return sh.serial(async () => {
      const list = await this.#readKeywords();
      const lower = new Set(list.map((k) => k.toLowerCase()));
      let changed = false;
      for (const f of wanted) {
        if (lower.has(f.toLowerCase())) continue;
        let free = list.indexOf("");
        if (free < 0) free = list.length;
        if (free >= KEYWORD_LETTERS.length) {
          throw new MailboxException("[LIMIT] No room for more keywords in this mailbox");
        }
        list[free] = f;
        lower.add(f.toLowerCase());
        changed = true;
      }
      if (changed) {
        const text = list.map((k, i) => (k === "" ? "" : `${i} ${k}\n`)).join("");
        const tmp = `${this.path}/${KEYWORDS_FILE}.${generateMaildirName()}`;
        await this.#fs.writeFile(tmp, text);
        await this.#fs.rename(tmp, `${this.path}/${KEYWORDS_FILE}`);
      }
      sh.keywords = list;
      if (sh.cache !== null) sh.cache.infos = null;
      return list;
    });
  }

  async #readDir(sub: string): Promise<string[]> {
    try {
      return await this.#fs.readDir(`${this.path}/${sub}`);
    } catch (e) {
      if (code(e) === "ENOENT") throw new NoSuchMailbox(this.path);
      throw e;
    }
  }

  async #mtime(sub: string): Promise<number> {
    try {
      return (await this.#fs.stat(`${this.path}/${sub}`)).mtime?.getTime() ?? -1;
    } catch {
      return -1;
    }
  }

  /**
   * Brings the shared index up to date (serialized per folder): a scan is
   * shared by the sessions on the folder until the directories' times change,
   * a session changes something, or 10 s pass.
   */
  #update(): Promise<Scan> {
    return this.#shared.serial(async () => {
      const sh = this.#shared;
      const [newTime, curTime] = await Promise.all([this.#mtime("new"), this.#mtime("cur")]);
      const c = sh.cache;
      const usable = c !== null && c.newTime === newTime && c.curTime === curTime &&
        c.gen === sh.gen && Date.now() - c.at < CACHE_MS && newTime !== -1 &&
        (!this.#writeable || c.newCount === 0) &&
        // A directory changed shortly before the scan may change again within
        // the same timestamp: such a scan is not trusted (git's "racy clean").
        c.at - Math.max(c.newTime, c.curTime) >= RACY_MS;
      if (!usable) {
        const gen = sh.gen;
        sh.keywords = await this.#readKeywords();
        sh.cache = { ...(await this.#scan()), newTime, curTime, gen, at: Date.now(), infos: null };
      }
      const cache = sh.cache!;
      this.#validity = cache.validity;
      this.#next = cache.next;
      return cache;
    });
  }

  /**
   * Every message, by ascending UID (the `MessageInfo`s are shared by the
   * folder's sessions: not to be changed). \Recent is told once, to the
   * session that took the message out of `new/` (or, read-only, while in `new/`).
   */
  async listMessages(): Promise<MessageInfo[]> {
    const cache = await this.#update();
    const keywords = this.#shared.keywords;
    const infos = cache.infos ??= cache.uids.map((uid, i) => {
      const file = cache.names[i];
      const seconds = /^(\d{9,11})\./.exec(file.slice(4));
      return {
        uid,
        flags: flagsOfName(file, keywords),
        internalDate: new Date(seconds ? Number(seconds[1]) * 1000 : 0),
        recent: file.startsWith("new/"),
      };
    });
    if (this.#recent.length === 0) return infos;
    const recent = new Set(this.#recent);
    this.#recent = [];
    return infos.map((info) => (recent.has(info.uid) ? { ...info, recent: true } : info));
  }

  async #scan(): Promise<Omit<Scan, "newTime" | "curTime" | "gen" | "at" | "infos">> {
    const found = new Map<string, string>();
    const taken: string[] = [];
    let newCount = 0;
    for (const name of await this.#readDir("new")) {
      if (name.startsWith(".")) continue;
      if (this.#writeable) {
        const to = `cur/${baseOf(name)}:2,`;
        try {
          await this.#fs.rename(`${this.path}/new/${name}`, `${this.path}/${to}`);
        } catch {
          continue; // taken by another session
        }
        taken.push(baseOf(name));
        found.set(baseOf(name), to);
      } else {
        newCount++;
        found.set(baseOf(name), `new/${name}`);
      }
    }
    for (const name of await this.#readDir("cur")) {
      if (!name.startsWith(".")) found.set(baseOf(name), `cur/${name}`);
    }
    const list = await this.#readList();
    let changed = false;
    for (const base of [...list.uids.keys()]) {
      if (!found.has(base)) {
        list.uids.delete(base);
        changed = true;
      }
    }
    const fresh = [...found.keys()].filter((b) => !list.uids.has(b)).sort();
    for (const base of fresh) {
      list.uids.set(base, list.next++);
      changed = true;
    }
    if (changed && this.#writeable) await this.#writeList(list);
    else if (changed && fresh.length > 0) await this.#writeList(list).catch(() => {});
    for (const base of taken) this.#recent.push(list.uids.get(base)!);
    const files: [number, string][] = [];
    for (const [base, uid] of list.uids) files.push([uid, found.get(base)!]);
    files.sort((a, b) => a[0] - b[0]);
    return {
      validity: list.validity,
      next: list.next,
      uids: files.map(([uid]) => uid),
      names: files.map(([, name]) => name),
      newCount,
    };
  }

  async getMessage(uid: number): Promise<Uint8Array> {
    const file = this.#shared.fileOf(uid);
    if (file === undefined) throw new RangeError(`No message with UID ${uid}`);
    try {
      return await this.#fs.readFile(`${this.path}/${file}`);
    } catch (e) {
      if (code(e) !== "ENOENT") throw e;
    }
    // Renamed meanwhile (flags set by another program): look again.
    this.#shared.gen++;
    await this.#update();
    const again = this.#shared.fileOf(uid);
    if (again === undefined || again === file) throw new RangeError(`No message with UID ${uid}`);
    return await this.#fs.readFile(`${this.path}/${again}`);
  }

  async addMessage(message: Uint8Array, flags: string[], date: Date | null): Promise<number> {
    const now = date?.getTime() ?? Date.now();
    const base = generateMaildirName({ now });
    const tmp = `${this.path}/tmp/${base}`;
    const keywords = await this.#withKeywords(flags);
    const info = infoOfFlags(flags, keywords);
    const final = info === ":2," ? `new/${base}` : `cur/${base}${info}`;
    await this.#fs.writeFile(tmp, message, { mode: 0o600, exclusive: true, sync: true });
    try {
      await this.#fs.rename(tmp, `${this.path}/${final}`);
    } catch (e) {
      await this.#fs.remove(tmp).catch(() => {});
      throw e;
    }
    const uid = await this.#shared.serial(async () => {
      const list = await this.#readList();
      let n = list.uids.get(base);
      if (n === undefined) {
        n = list.next++;
        list.uids.set(base, n);
        await this.#writeList(list);
      }
      return n;
    });
    this.#shared.notify(this.#mine, false);
    return uid;
  }

  async setFlags(uid: number, flags: string[]): Promise<void> {
    if (!this.#writeable) throw new ReadOnlyMailbox();
    const file = this.#shared.fileOf(uid);
    if (file === undefined) throw new RangeError(`No message with UID ${uid}`);
    const keywords = await this.#withKeywords(flags);
    const to = `cur/${baseOf(file.slice(4))}${infoOfFlags(flags, keywords)}`;
    if (to === file) return;
    await this.#fs.rename(`${this.path}/${file}`, `${this.path}/${to}`);
    const c = this.#shared.cache;
    const i = this.#shared.indexOf(uid);
    if (c !== null && i >= 0 && c.names[i] === file) {
      c.names[i] = to;
      c.infos = null;
    }
    this.#shared.notify(this.#mine, true);
  }

  async expunge(uids: number[]): Promise<void> {
    if (!this.#writeable) throw new ReadOnlyMailbox();
    for (const uid of uids) {
      const file = this.#shared.fileOf(uid);
      if (file === undefined) continue;
      await this.#fs.remove(`${this.path}/${file}`).catch((e) => {
        if (code(e) !== "ENOENT") throw e;
      });
    }
    if (uids.length > 0) this.#shared.notify(this.#mine, false);
  }

  addListener(listener: IMailboxListener): void {
    this.#mine.add(listener);
    this.#shared.listeners.add(listener);
  }
  removeListener(listener: IMailboxListener): void {
    this.#mine.delete(listener);
    this.#shared.listeners.delete(listener);
  }
  close(): void {
    for (const l of this.#mine) this.#shared.listeners.delete(l);
    this.#mine.clear();
  }
}

/**
 * A user's maildir as an IMAP account (Maildir++ folders, as Dovecot lays them out).
 *
 * @example
 * ```ts
 * import { MaildirAccount } from "@tw/core/mail/imap4";
 * import { initializeMaildir } from "@tw/core/mail/pop3";
 * import { reactor } from "@tw/core";
 * await initializeMaildir(reactor.runtime, "/tmp/tw-imap-doc/alice");
 * const account = new MaildirAccount(reactor.runtime, "/tmp/tw-imap-doc/alice");
 * const names = (await account.listMailboxes()).map(([name]) => name);
 * ```
 */
export class MaildirAccount implements IAccount {
  /** The maildir (INBOX). */
  readonly root: string;
  #fs: RuntimeFileSystem;

  /**
   * Makes the instance.
   * @param fs the file system
   * @param root the user's maildir
   */
  constructor(fs: RuntimeFileSystem, root: string) {
    this.#fs = fs;
    this.root = root.replace(/\/+$/, "");
  }

  /** The directory of mailbox `name`; throws for a name Maildir++ cannot hold. */
  pathOf(name: string): string {
    if (/^inbox$/i.test(name)) return this.root;
    const parts = name.replace(/^inbox\//i, "INBOX/").split("/");
    if (parts.some((p) => p === "" || p.startsWith(".") || p.includes(".") || p === "..")) {
      throw new MailboxException(`Invalid mailbox name ${name}`);
    }
    const encoded = parts.map((p) => encodeMailboxName(p));
    if (encoded.some((p) => p.includes("/"))) {
      throw new MailboxException(`Invalid mailbox name ${name}`);
    }
    return `${this.root}/.${encoded.join(".")}`;
  }

  async #isFolder(path: string): Promise<boolean> {
    try {
      return (await this.#fs.stat(`${path}/cur`)).isDirectory;
    } catch {
      return false;
    }
  }

  async listMailboxes(): Promise<[string, IMailboxInfo][]> {
    const names = ["INBOX"];
    for (const entry of await this.#fs.readDir(this.root)) {
      if (!entry.startsWith(".") || entry === "." || entry === "..") continue;
      if (!(await this.#isFolder(`${this.root}/${entry}`))) continue;
      try {
        names.push(entry.slice(1).split(".").map(decodeMailboxName).join("/"));
      } catch {
        // not a name we can show
      }
    }
    names.sort();
    return names.map((name) => {
      const children = names.some((n) => n.startsWith(name + "/"));
      const flags = [children ? "\\HasChildren" : "\\HasNoChildren"];
      if (SPECIAL[name]) flags.push(SPECIAL[name]);
      return [name, { getFlags: () => flags, getHierarchicalDelimiter: () => "/" }];
    });
  }

  async select(name: string, readwrite: boolean): Promise<IMailbox | null> {
    const path = this.pathOf(name);
    if (!(await this.#isFolder(path))) return null;
    return new MaildirFolder(this.#fs, path, readwrite);
  }

  async #make(path: string): Promise<void> {
    for (const sub of ["cur", "new", "tmp"]) {
      await this.#fs.mkdir(`${path}/${sub}`, { mode: 0o700, recursive: true });
    }
    await this.#fs.writeFile(`${path}/maildirfolder`, "");
  }

  async create(name: string): Promise<boolean> {
    const clean = name.replace(/\/+$/, "");
    const path = this.pathOf(clean);
    if (await this.#isFolder(path)) throw new MailboxCollision(name);
    const parts = clean.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = this.pathOf(parts.slice(0, i).join("/"));
      if (!(await this.#isFolder(parent))) await this.#make(parent);
    }
    await this.#make(path);
    return true;
  }

  async delete(name: string): Promise<void> {
    if (/^inbox$/i.test(name)) throw new MailboxException("INBOX cannot be deleted");
    const path = this.pathOf(name);
    if (!(await this.#isFolder(path))) throw new NoSuchMailbox(name);
    await this.#fs.remove(path, { recursive: true });
    shared.delete(path);
  }

  async rename(oldName: string, newName: string): Promise<void> {
    const from = this.pathOf(oldName);
    const to = this.pathOf(newName);
    if (!(await this.#isFolder(from))) throw new NoSuchMailbox(oldName);
    if (await this.#isFolder(to)) throw new MailboxCollision(newName);
    if (from === this.root) {
      await this.create(newName);
      for (const sub of ["cur", "new"]) {
        for (const file of await this.#fs.readDir(`${from}/${sub}`)) {
          await this.#fs.rename(`${from}/${sub}/${file}`, `${to}/${sub}/${file}`);
        }
      }
      return;
    }
    const prefix = from.slice(this.root.length + 1);
    for (const entry of await this.#fs.readDir(this.root)) {
      if (entry === prefix || entry.startsWith(prefix + ".")) {
        const target = to.slice(this.root.length + 1) + entry.slice(prefix.length);
        await this.#fs.rename(`${this.root}/${entry}`, `${this.root}/${target}`);
        shared.delete(`${this.root}/${entry}`);
      }
    }
  }

  async #subscriptions(): Promise<string[]> {
    try {
      const text = dec.decode(await this.#fs.readFile(`${this.root}/subscriptions`));
      return text.split("\n").filter((l) => l !== "");
    } catch {
      return [];
    }
  }

  async #saveSubscriptions(names: string[]): Promise<void> {
    const tmp = `${this.root}/subscriptions.${generateMaildirName()}`;
    await this.#fs.writeFile(tmp, names.map((n) => n + "\n").join(""));
    await this.#fs.rename(tmp, `${this.root}/subscriptions`);
  }

  async isSubscribed(name: string): Promise<boolean> {
    return (await this.#subscriptions()).includes(encodeMailboxName(name));
  }

  async subscribe(name: string): Promise<void> {
    const list = await this.#subscriptions();
    const n = encodeMailboxName(name);
    if (!list.includes(n)) await this.#saveSubscriptions([...list, n]);
  }

  async unsubscribe(name: string): Promise<void> {
    const list = await this.#subscriptions();
    const n = encodeMailboxName(name);
    if (!list.includes(n)) throw new NoSuchMailbox(name);
    await this.#saveSubscriptions(list.filter((x) => x !== n));
  }
}
