/**
 * The selected state of an IMAP session: its view of the mailbox (sequence
 * numbers, \Recent, flags already told) and the commands that work on it
 * (FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE). Private to the imap4 folder.
 * @module
 */
import type { IMailbox, IMailboxListener, MessageInfo } from "./_interfaces.ts";
import { isCloseable, isCopier, isSearchable, MailboxException } from "./_interfaces.ts";
import type { MessageSet } from "./_sequence.ts";
import type { FetchAttribute, SearchKey } from "./_syntax.ts";
import { fetchItems, LoadedMessage, matches, MessageView, needsBody, setsSeen } from "./_fetch.ts";

/** Where the selected state writes its untagged responses. */
export interface Output {
  /** Writes `* ` and the pieces and CRLF. */
  untagged(pieces: string | (string | Uint8Array)[]): void;
  /** A promise while the client is not reading what was written, else null. */
  writable?(): Promise<void> | null;
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
const RECENT_BIT = 0x80000000;
/** Flags and keywords one message may carry (a client cannot grow one without bound). */
const MAX_FLAGS = 128;
const COMBO_MASK = 0x7fffffff;

/** One session's selected mailbox. */
export class SelectedState implements IMailboxListener {
  /** The mailbox. */
  readonly box: IMailbox;
  #examined: boolean;
  #readOnly: boolean;
  /** Set when another session changed the mailbox. */
  dirty = false;
  /** Called when the mailbox changed (for IDLE). */
  onChange: (() => void) | null = null;
  #out: Output;
  // The session's view, by sequence number - 1, in typed arrays (16 octets a
  // message): UIDs ascending; the flags as told (an index into #combos, with
  // RECENT_BIT for \Recent); INTERNALDATE in ms. Message contents stay in the
  // mailbox, read when a command needs them.
  #n = 0;
  #uids = new Uint32Array(0);
  #meta = new Uint32Array(0);
  #dates = new Float64Array(0);
  #combos: string[][] = [[]];
  #comboIds = new Map<string, number>([["", 0]]);
  /** The listing the view was last brought up to date with. */
  #last: WeakRef<readonly MessageInfo[]> | null = null;

  /**
   * Makes the instance.
   * @param box the mailbox
   * @param readOnly EXAMINE
   * @param out where untagged responses go
   */
  constructor(box: IMailbox, readOnly: boolean, out: Output) {
    this.box = box;
    this.#examined = readOnly;
    this.#readOnly = readOnly || !box.isWriteable();
    this.#out = out;
  }

  /** True after EXAMINE, or while the mailbox is read-only. */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** The number of messages. */
  get exists(): number {
    return this.#n;
  }

  /** Octets held for the view (its typed arrays and flag combinations). */
  get footprint(): number {
    let combos = 0;
    for (const c of this.#combos) combos += 16 + c.length * 8;
    return this.#uids.byteLength + this.#meta.byteLength + this.#dates.byteLength + combos;
  }

  newMessages(): void {
    this.dirty = true;
    this.onChange?.();
  }

  flagsChanged(): void {
    this.dirty = true;
    this.onChange?.();
  }

  /** The mailbox became writeable or read-only: told as `OK [READ-WRITE]` / `OK [READ-ONLY]`. */
  modeChanged(writeable: boolean): void {
    const readOnly = this.#examined || !writeable;
    if (readOnly === this.#readOnly) return;
    this.#readOnly = readOnly;
    this.#out.untagged(
      readOnly
        ? "OK [READ-ONLY] Mailbox is now read-only"
        : "OK [READ-WRITE] Mailbox is now writeable",
    );
    this.onChange?.();
  }

  /** The id of a flag combination (flags without \Recent). */
  #combo(flags: readonly string[]): number {
    // Most messages have no flag or one: no string is made for them.
    const key = flags.length === 0 ? "" : flags.length === 1 ? flags[0] : flags.join(" ");
    let id = this.#comboIds.get(key);
    if (id === undefined) {
      id = this.#combos.length;
      this.#combos.push([...flags]);
      this.#comboIds.set(key, id);
    }
    return id;
  }

  /** Drops flag combinations no message uses any more (many STOREs of new keywords). */
  #compactCombos(): void {
    if (this.#combos.length <= 2 * this.#n + 64) return;
    const old = this.#combos;
    this.#combos = [[]];
    this.#comboIds = new Map([["", 0]]);
    for (let i = 0; i < this.#n; i++) {
      const m = this.#meta[i];
      this.#meta[i] = ((m & RECENT_BIT) | this.#combo(old[m & COMBO_MASK])) >>> 0;
    }
  }

  /** Stored flags (without \Recent) of sequence number `seq`. */
  #stored(seq: number): string[] {
    return this.#combos[this.#meta[seq - 1] & COMBO_MASK];
  }

  #recent(seq: number): boolean {
    return (this.#meta[seq - 1] & RECENT_BIT) !== 0;
  }

  /** Flags as told: stored flags and \Recent. */
  #flags(seq: number): string[] {
    const flags = [...this.#stored(seq)];
    if (this.#recent(seq)) flags.push("\\Recent");
    return flags;
  }

  #setStored(seq: number, flags: readonly string[]): void {
    this.#meta[seq - 1] = ((this.#meta[seq - 1] & RECENT_BIT) | this.#combo(flags)) >>> 0;
  }

  #recentCount(): number {
    let n = 0;
    for (let i = 0; i < this.#n; i++) if (this.#meta[i] & RECENT_BIT) n++;
    return n;
  }

  #grow(size: number): void {
    if (size <= this.#uids.length) return;
    const cap = this.#n === 0 ? size : Math.max(size, Math.ceil(this.#uids.length * 1.25) + 16);
    const uids = new Uint32Array(cap);
    uids.set(this.#uids.subarray(0, this.#n));
    const meta = new Uint32Array(cap);
    meta.set(this.#meta.subarray(0, this.#n));
    const dates = new Float64Array(cap);
    dates.set(this.#dates.subarray(0, this.#n));
    this.#uids = uids;
    this.#meta = meta;
    this.#dates = dates;
  }

  /** Removes sequence number `seq` from the view. */
  #remove(seq: number): void {
    this.#uids.copyWithin(seq - 1, seq, this.#n);
    this.#meta.copyWithin(seq - 1, seq, this.#n);
    this.#dates.copyWithin(seq - 1, seq, this.#n);
    this.#n--;
  }

  /** The sequence number of a UID, or 0. */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.#n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = this.#uids[mid];
      if (u === uid) return mid + 1;
      if (u < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  /** Reads the mailbox and sends the SELECT responses. */
  async open(): Promise<void> {
    this.box.addListener(this);
    await this.refresh(true, false);
    let unseen = -1;
    for (let seq = 1; seq <= this.#n && unseen < 0; seq++) {
      if (!this.#stored(seq).includes("\\Seen")) unseen = seq;
    }
    const o = this.#out;
    o.untagged(`FLAGS (${this.box.getFlags().join(" ")})`);
    o.untagged(`${this.#n} EXISTS`);
    o.untagged(`${this.#recentCount()} RECENT`);
    if (unseen > 0) o.untagged(`OK [UNSEEN ${unseen}] First unseen`);
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
    let infos: readonly MessageInfo[] = await this.box.listMessages();
    // The very listing read last time (a shared index that did not change): nothing
    // to do. Held weakly, so an old listing is not kept alive by an idle session.
    if (this.#last?.deref() === infos && this.#n === infos.length) return;
    // By ascending UID, as the interface says; sorted here should a mailbox not.
    for (let i = 1; i < infos.length; i++) {
      if (infos[i].uid <= infos[i - 1].uid) {
        infos = [...infos].sort((a, b) => a.uid - b.uid);
        break;
      }
    }
    if (expunges) {
      // Walk both lists from the end; what the mailbox lacks is expunged.
      let j = infos.length - 1;
      for (let seq = this.#n; seq >= 1; seq--) {
        const uid = this.#uids[seq - 1];
        while (j >= 0 && infos[j].uid > uid) j--;
        if (j >= 0 && infos[j].uid === uid) continue;
        this.#remove(seq);
        if (tell) this.#out.untagged(`${seq} EXPUNGE`);
      }
    }
    const before = this.#n;
    const last = this.#n > 0 ? this.#uids[this.#n - 1] : 0;
    let added = false;
    let inserted = false;
    const changed: number[] = [];
    if (infos.length > this.#uids.length) this.#grow(infos.length);
    let seq = 1;
    for (const info of infos) {
      while (seq <= before && this.#uids[seq - 1] < info.uid) seq++;
      if (seq <= before && this.#uids[seq - 1] === info.uid) {
        const old = this.#meta[seq - 1];
        const meta = ((info.recent ? RECENT_BIT : old & RECENT_BIT) | this.#combo(info.flags)) >>>
          0;
        this.#meta[seq - 1] = meta;
        if (meta !== old) changed.push(info.uid);
        continue;
      }
      // A message new to this view.
      this.#grow(this.#n + 1);
      const at = this.#n;
      this.#uids[at] = info.uid;
      this.#meta[at] = ((info.recent ? RECENT_BIT : 0) | this.#combo(info.flags)) >>> 0;
      this.#dates[at] = info.internalDate.getTime();
      this.#n++;
      added = true;
      if (info.uid < last) inserted = true;
    }
    if (inserted) this.#sort();
    this.#compactCombos();
    this.#last = new WeakRef(infos);
    if (!tell) return;
    if (this.#n !== before || added) {
      this.#out.untagged(`${this.#n} EXISTS`);
      this.#out.untagged(`${this.#recentCount()} RECENT`);
    }
    for (const uid of changed) {
      const s = this.seqOf(uid);
      if (s > 0) this.#out.untagged(`${s} FETCH (FLAGS (${this.#flags(s).join(" ")}))`);
    }
  }

  /** Sorts the view by UID (a mailbox gave a new message a UID below known ones). */
  #sort(): void {
    const order = Array.from({ length: this.#n }, (_, i) => i).sort((a, b) =>
      this.#uids[a] - this.#uids[b]
    );
    const uids = order.map((i) => this.#uids[i]);
    const meta = order.map((i) => this.#meta[i]);
    const dates = order.map((i) => this.#dates[i]);
    this.#uids.set(uids);
    this.#meta.set(meta);
    this.#dates.set(dates);
  }

  /** The sequence numbers a set names (`uid`: a UID set), ascending. */
  resolve(set: MessageSet, uid: boolean): number[] {
    const out: number[] = [];
    const n = this.#n;
    if (uid) {
      set.last = n > 0 ? this.#uids[n - 1] : 0;
      // `n:*` always includes the last message (RFC 3501 §6.4.8).
      for (let i = 0; i < n; i++) if (set.contains(this.#uids[i])) out.push(i + 1);
      if (out.length === 0 && n > 0 && set.ranges.some(([a, b]) => a === null || b === null)) {
        out.push(n);
      }
      return out;
    }
    set.last = n;
    for (const [a, b] of set.ranges) {
      if ((a !== null && a > n) || (b !== null && b > n)) {
        throw new BadCommand("Invalid message sequence number");
      }
    }
    for (let seq = 1; seq <= n; seq++) if (set.contains(seq)) out.push(seq);
    return out;
  }

  #message(seq: number): LoadedMessage {
    const uid = this.#uids[seq - 1];
    return new LoadedMessage(
      seq,
      uid,
      this.#flags(seq),
      new Date(this.#dates[seq - 1]),
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
        // A client that does not read holds the FETCH, not our memory.
        const wait = this.#out.writable?.();
        if (wait) await wait;
        let list = atts;
        // The view may have changed while reading (an EXPUNGE by this session).
        const seq = this.#uids[m.seq - 1] === m.uid ? m.seq : this.seqOf(m.uid);
        if (seq === 0) continue;
        if (seen && !this.#stored(seq).includes("\\Seen")) {
          const flags = [...this.#stored(seq), "\\Seen"];
          await this.box.setFlags(m.uid, flags);
          this.#setStored(seq, flags);
          m.flags = this.#flags(seq);
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
    const wanted = uniqueFlags(flags.filter((f) => f !== "\\Recent"));
    const wantedLower = new Set(wanted.map((f) => f.toLowerCase()));
    for (const seq of this.resolve(set, uid)) {
      const u = this.#uids[seq - 1];
      const had = this.#stored(seq);
      // Flags compare case-insensitively (keywords too, as Dovecot does).
      const hadLower = new Set(had.map((f) => f.toLowerCase()));
      let next: string[];
      if (mode === "") next = wanted;
      else if (mode === "+") {
        next = [
          ...had,
          ...wanted.filter((f) => !hadLower.has(f.toLowerCase())),
        ];
      } else next = had.filter((f) => !wantedLower.has(f.toLowerCase()));
      next = uniqueFlags(next);
      if (next.length > MAX_FLAGS) {
        throw new MailboxException(`[LIMIT] At most ${MAX_FLAGS} flags on a message`);
      }
      await this.box.setFlags(u, next);
      const s = this.#uids[seq - 1] === u ? seq : this.seqOf(u);
      if (s === 0) continue;
      this.#setStored(s, next);
      if (!silent) {
        const uidItem = uid ? ` UID ${u}` : "";
        this.#out.untagged(`${s} FETCH (FLAGS (${this.#flags(s).join(" ")})${uidItem})`);
      }
    }
  }

  /**
   * SEARCH: the matching sequence numbers (or UIDs). A mailbox that is an
   * `ISearchableMailbox` answers itself (with UIDs); else each message is read.
   */
  async search(key: SearchKey, uid: boolean): Promise<number[]> {
    const out: number[] = [];
    const lastUid = this.#n > 0 ? this.#uids[this.#n - 1] : 0;
    if (isSearchable(this.box)) {
      const view = Array.from(this.#uids.subarray(0, this.#n));
      const found = new Set(await this.box.search(key, view));
      for (let seq = 1; seq <= this.#n; seq++) {
        const u = this.#uids[seq - 1];
        if (found.has(u)) out.push(uid ? u : seq);
      }
      return out;
    }
    for (let seq = 1; seq <= this.#n; seq++) {
      const m = this.#message(seq);
      let ok = false;
      try {
        ok = await matches(m, key, this.#n, lastUid);
      } catch {
        ok = false;
      }
      if (ok) out.push(uid ? m.uid : seq);
    }
    return out;
  }

  /**
   * COPY into `target`; resolves with the source and new UIDs. A target that is
   * an `IMessageCopier` is given each message; else its bytes are added.
   */
  async copy(set: MessageSet, uid: boolean, target: IMailbox): Promise<[number[], number[]]> {
    const from: number[] = [];
    const to: number[] = [];
    for (const seq of this.resolve(set, uid)) {
      const m = this.#message(seq);
      const flags = [...this.#stored(seq)];
      if (isCopier(target)) {
        to.push(await target.copy(new MessageView(m, flags)));
      } else {
        to.push(await target.addMessage(await this.box.getMessage(m.uid), flags, m.internalDate));
      }
      from.push(m.uid);
    }
    return [from, to];
  }

  /** Removes messages: those with \Deleted (and, when given, in `only`, UIDs); tells EXPUNGE unless `silent`. */
  async expunge(only: number[] | null, silent = false): Promise<number[]> {
    if (this.readOnly) throw new MailboxException("Mailbox is read-only");
    const gone: number[] = [];
    const wanted = only === null ? null : new Set(only);
    for (let seq = 1; seq <= this.#n; seq++) {
      const u = this.#uids[seq - 1];
      if (wanted === null ? this.#stored(seq).includes("\\Deleted") : wanted.has(u)) gone.push(u);
    }
    await this.box.expunge(gone);
    const seqs: number[] = [];
    for (let i = gone.length - 1; i >= 0; i--) {
      const seq = this.seqOf(gone[i]);
      if (seq === 0) continue;
      this.#remove(seq);
      seqs.push(seq);
    }
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
    return uids.filter((u) => {
      const seq = this.seqOf(u);
      return seq > 0 && this.#stored(seq).includes("\\Deleted");
    });
  }

  /** Stops listening and lets the mailbox go (`ICloseableMailbox.close`). */
  async close(): Promise<void> {
    this.box.removeListener(this);
    if (isCloseable(this.box)) await this.box.close();
  }
}

/** Flags without repeats (compared case-insensitively), in first-seen order. */
function uniqueFlags(flags: string[]): string[] {
  const seen = new Set<string>();
  return flags.filter((f) => {
    const k = f.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
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
