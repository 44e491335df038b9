/**
 * The selected state of an IMAP session: its view of the mailbox (sequence
 * numbers, \Recent, flags already told) and the commands that work on it
 * (FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE). Private to the imap4 folder.
 * @module
 */
import type { IMailbox, IMailboxListener, MessageInfo } from "./_interfaces.ts";
import { MailboxException } from "./_interfaces.ts";
import type { MessageSet } from "./_sequence.ts";
import type { FetchAttribute, SearchKey } from "./_syntax.ts";
import { fetchItems, LoadedMessage, matches, needsBody, setsSeen } from "./_fetch.ts";

/** Where the selected state writes its untagged responses. */
export interface Output {
  /** Writes `* ` and the pieces and CRLF. */
  untagged(pieces: string | (string | Uint8Array)[]): void;
}

/** A command's arguments were wrong for this mailbox (answered BAD). */
export class BadCommand extends Error {
  /**
   * Makes the instance.
   * @param message the text of the BAD
   */
  constructor(message: string) {
    super(message);
    this.name = "BadCommand";
  }
}

/** STORE's mode: replace, add or remove. */
export type StoreMode = "" | "+" | "-";

const FETCH_BATCH = 64;

/** One session's selected mailbox. */
export class SelectedState implements IMailboxListener {
  /** The mailbox. */
  readonly box: IMailbox;
  /** True after EXAMINE (or for a read-only mailbox). */
  readonly readOnly: boolean;
  /** Set when another session changed the mailbox. */
  dirty = false;
  /** Called when the mailbox changed (for IDLE). */
  onChange: (() => void) | null = null;
  #out: Output;
  #uids: number[] = [];
  #index = new Map<number, number>();
  #info = new Map<number, MessageInfo>();
  #told = new Map<number, string>();
  #recent = new Set<number>();

  /**
   * Makes the instance.
   * @param box the mailbox
   * @param readOnly EXAMINE
   * @param out where untagged responses go
   */
  constructor(box: IMailbox, readOnly: boolean, out: Output) {
    this.box = box;
    this.readOnly = readOnly || !box.isWriteable();
    this.#out = out;
  }

  /** The number of messages. */
  get exists(): number {
    return this.#uids.length;
  }

  newMessages(): void {
    this.dirty = true;
    this.onChange?.();
  }

  flagsChanged(): void {
    this.dirty = true;
    this.onChange?.();
  }

  #flags(uid: number): string[] {
    const flags = [...(this.#info.get(uid)?.flags ?? [])];
    if (this.#recent.has(uid)) flags.push("\\Recent");
    return flags;
  }

  #reindex(): void {
    this.#index.clear();
    this.#uids.forEach((uid, i) => this.#index.set(uid, i + 1));
  }

  /** Reads the mailbox and sends the SELECT responses. */
  async open(): Promise<void> {
    this.box.addListener(this);
    await this.refresh(true, false);
    const unseen = this.#uids.findIndex((u) => !this.#info.get(u)!.flags.includes("\\Seen"));
    const o = this.#out;
    o.untagged(`FLAGS (${this.box.getFlags().join(" ")})`);
    o.untagged(`${this.#uids.length} EXISTS`);
    o.untagged(`${this.#recent.size} RECENT`);
    if (unseen >= 0) o.untagged(`OK [UNSEEN ${unseen + 1}] First unseen`);
    o.untagged(`OK [UIDVALIDITY ${this.box.getUIDValidity()}] UIDs valid`);
    o.untagged(`OK [UIDNEXT ${this.box.getUIDNext()}] Predicted next UID`);
    const perm = this.readOnly ? [] : this.box.getPermanentFlags();
    o.untagged(`OK [PERMANENTFLAGS (${perm.join(" ")})] Limited`);
  }

  /**
   * Reads the mailbox and tells what changed: EXPUNGE (when `expunges`), EXISTS,
   * RECENT, and FETCH FLAGS for flags changed by others.
   */
  async refresh(expunges: boolean, tell = true): Promise<void> {
    this.dirty = false;
    const infos = await this.box.listMessages();
    const now = new Map(infos.map((i) => [i.uid, i]));
    if (expunges) {
      for (let seq = this.#uids.length; seq >= 1; seq--) {
        const uid = this.#uids[seq - 1];
        if (!now.has(uid)) {
          this.#uids.splice(seq - 1, 1);
          this.#info.delete(uid);
          this.#told.delete(uid);
          this.#recent.delete(uid);
          if (tell) this.#out.untagged(`${seq} EXPUNGE`);
        }
      }
    }
    const before = this.#uids.length;
    const known = new Set(this.#uids);
    let added = false;
    for (const info of infos) {
      if (info.recent) this.#recent.add(info.uid);
      if (!known.has(info.uid)) {
        this.#uids.push(info.uid);
        added = true;
      }
      this.#info.set(info.uid, info);
    }
    if (added) {
      this.#uids.sort((a, b) => a - b);
      this.#reindex();
    } else if (expunges) this.#reindex();
    if (!tell) {
      for (const uid of this.#uids) this.#told.set(uid, this.#flags(uid).join(" "));
      return;
    }
    if (this.#uids.length !== before || added) {
      this.#out.untagged(`${this.#uids.length} EXISTS`);
      this.#out.untagged(`${this.#recent.size} RECENT`);
    }
    for (const uid of this.#uids) {
      const flags = this.#flags(uid).join(" ");
      const told = this.#told.get(uid);
      if (told !== undefined && told !== flags && now.has(uid)) {
        this.#out.untagged(`${this.#index.get(uid)} FETCH (FLAGS (${flags}))`);
      }
      this.#told.set(uid, flags);
    }
  }

  /** The sequence numbers a set names (`uid`: a UID set), ascending. */
  resolve(set: MessageSet, uid: boolean): number[] {
    const out: number[] = [];
    if (uid) {
      set.last = this.#uids[this.#uids.length - 1] ?? 0;
      // `n:*` always includes the last message (RFC 3501 §6.4.8).
      for (let i = 0; i < this.#uids.length; i++) if (set.contains(this.#uids[i])) out.push(i + 1);
      if (
        out.length === 0 && this.#uids.length > 0 &&
        set.ranges.some(([a, b]) => a === null || b === null)
      ) {
        out.push(this.#uids.length);
      }
      return out;
    }
    set.last = this.#uids.length;
    for (const [a, b] of set.ranges) {
      if ((a !== null && a > this.#uids.length) || (b !== null && b > this.#uids.length)) {
        throw new BadCommand("Invalid message sequence number");
      }
    }
    for (let seq = 1; seq <= this.#uids.length; seq++) if (set.contains(seq)) out.push(seq);
    return out;
  }

  #message(seq: number): LoadedMessage {
    const uid = this.#uids[seq - 1];
    const info = this.#info.get(uid)!;
    return new LoadedMessage(
      seq,
      uid,
      this.#flags(uid),
      info.internalDate,
      () => this.box.getMessage(uid),
    );
  }

  /** FETCH. */
  async fetch(set: MessageSet, uid: boolean, atts: FetchAttribute[]): Promise<void> {
    const seqs = this.resolve(set, uid);
    const seen = !this.readOnly && atts.some(setsSeen);
    const body = atts.some(needsBody);
    for (let i = 0; i < seqs.length; i += FETCH_BATCH) {
      const batch = seqs.slice(i, i + FETCH_BATCH).map((seq) => this.#message(seq));
      // Read a batch at once (the file system works while we format).
      if (body) await Promise.all(batch.map((m) => m.bytes().catch(() => null)));
      for (const m of batch) {
        let list = atts;
        if (seen && !this.#info.get(m.uid)!.flags.includes("\\Seen")) {
          const info = this.#info.get(m.uid)!;
          const flags = [...info.flags, "\\Seen"];
          await this.box.setFlags(m.uid, flags);
          this.#info.set(m.uid, { ...info, flags });
          m.flags = this.#flags(m.uid);
          this.#told.set(m.uid, m.flags.join(" "));
          if (!atts.some((a) => a.kind === "FLAGS")) list = [...atts, { kind: "FLAGS" }];
        }
        let items: (string | Uint8Array)[];
        try {
          items = await fetchItems(m, list, uid);
        } catch {
          continue; // gone meanwhile: told at the next EXPUNGE
        }
        this.#out.untagged([`${m.seq} FETCH (`, ...items, ")"]);
      }
    }
  }

  /** STORE. */
  async store(
    set: MessageSet,
    uid: boolean,
    mode: StoreMode,
    silent: boolean,
    flags: string[],
  ): Promise<void> {
    if (this.readOnly) throw new MailboxException("Mailbox is read-only");
    for (const seq of this.resolve(set, uid)) {
      const u = this.#uids[seq - 1];
      const info = this.#info.get(u)!;
      const wanted = flags.filter((f) => f !== "\\Recent");
      let next: string[];
      if (mode === "") next = wanted;
      else if (mode === "+") {
        next = [
          ...info.flags,
          ...wanted.filter((f) => !info.flags.includes(f)),
        ];
      } else next = info.flags.filter((f) => !wanted.includes(f));
      await this.box.setFlags(u, next);
      this.#info.set(u, { ...info, flags: next });
      const told = this.#flags(u);
      this.#told.set(u, told.join(" "));
      if (!silent) {
        const uidItem = uid ? ` UID ${u}` : "";
        this.#out.untagged(`${seq} FETCH (FLAGS (${told.join(" ")})${uidItem})`);
      }
    }
  }

  /** SEARCH: the matching sequence numbers (or UIDs). */
  async search(key: SearchKey, uid: boolean): Promise<number[]> {
    const out: number[] = [];
    const lastUid = this.#uids[this.#uids.length - 1] ?? 0;
    for (let seq = 1; seq <= this.#uids.length; seq++) {
      const m = this.#message(seq);
      let ok = false;
      try {
        ok = await matches(m, key, this.#uids.length, lastUid);
      } catch {
        ok = false;
      }
      if (ok) out.push(uid ? m.uid : seq);
    }
    return out;
  }

  /** COPY into `target`; resolves with the source and new UIDs. */
  async copy(set: MessageSet, uid: boolean, target: IMailbox): Promise<[number[], number[]]> {
    const from: number[] = [];
    const to: number[] = [];
    for (const seq of this.resolve(set, uid)) {
      const u = this.#uids[seq - 1];
      const info = this.#info.get(u)!;
      const bytes = await this.box.getMessage(u);
      to.push(await target.addMessage(bytes, info.flags, info.internalDate));
      from.push(u);
    }
    return [from, to];
  }

  /** Removes messages: those with \Deleted (and, when given, in `only`, UIDs); tells EXPUNGE unless `silent`. */
  async expunge(only: number[] | null, silent = false): Promise<number[]> {
    if (this.readOnly) throw new MailboxException("Mailbox is read-only");
    const gone = this.#uids.filter((
      u,
    ) => (only === null ? this.#info.get(u)!.flags.includes("\\Deleted") : only.includes(u)));
    await this.box.expunge(gone);
    const set = new Set(gone);
    const seqs: number[] = [];
    for (let seq = this.#uids.length; seq >= 1; seq--) {
      const u = this.#uids[seq - 1];
      if (!set.has(u)) continue;
      this.#uids.splice(seq - 1, 1);
      this.#info.delete(u);
      this.#told.delete(u);
      this.#recent.delete(u);
      seqs.push(seq);
    }
    this.#reindex();
    // Ascending, each number as it is when told.
    seqs.reverse();
    const told = seqs.map((seq, i) => seq - i);
    if (!silent) { for (const n of told) this.#out.untagged(`${n} EXPUNGE`); }
    return told;
  }

  /** The UIDs of sequence numbers. */
  uidsOf(seqs: number[]): number[] {
    return seqs.map((s) => this.#uids[s - 1]);
  }

  /** The UIDs with \Deleted among `uids`. */
  deleted(uids: number[]): number[] {
    return uids.filter((u) => this.#info.get(u)?.flags.includes("\\Deleted"));
  }

  /** Stops listening and lets the mailbox go. */
  async close(): Promise<void> {
    this.box.removeListener(this);
    await this.box.close?.();
  }
}

/** `1:3,5` for a list of numbers. */
export function compactSet(numbers: number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
    out.push(i === j ? String(numbers[i]) : `${numbers[i]}:${numbers[j]}`);
    i = j + 1;
  }
  return out.join(",");
}
