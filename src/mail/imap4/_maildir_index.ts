/**
 * The index of a Maildir++ folder shared by its sessions in this process, and
 * the flag letters of file names: system flags `DFRST`, keywords `a`-`z` named
 * in `dovecot-keywords` (as Dovecot keeps them). Private to the imap4 folder.
 * @module
 */
import type { IMailboxListener, MessageInfo } from "./_interfaces.ts";

const LETTERS: [string, string][] = [
  ["D", "\\Draft"],
  ["F", "\\Flagged"],
  ["R", "\\Answered"],
  ["S", "\\Seen"],
  ["T", "\\Deleted"],
];
/** The system flags a maildir keeps. */
export const SYSTEM: string[] = LETTERS.map(([, f]) => f);
/** Keyword letters of the info part (`a` is keyword 0 of `dovecot-keywords`). */
export const KEYWORD_LETTERS = "abcdefghijklmnopqrstuvwxyz";
/** The file naming the keyword letters. */
export const KEYWORDS_FILE = "dovecot-keywords";

/** Flags of a maildir file name's info part; `keywords[i]` is letter `a + i`. */
export function flagsOfName(name: string, keywords: readonly string[] = []): string[] {
  const i = name.indexOf(":2,");
  if (i < 0) return [];
  const letters = name.slice(i + 3);
  const out = LETTERS.filter(([l]) => letters.includes(l)).map(([, f]) => f);
  for (let k = 0; k < keywords.length; k++) {
    if (keywords[k] !== "" && letters.includes(KEYWORD_LETTERS[k])) out.push(keywords[k]);
  }
  return out;
}

/**
 * The info suffix (`:2,FSa`) for flags, letters sorted; keywords by their
 * letter in `keywords` (those without one are left out).
 */
export function infoOfFlags(flags: string[], keywords: readonly string[] = []): string {
  const letters = LETTERS.filter(([, f]) => flags.includes(f)).map(([l]) => l);
  const lower = new Set(flags.map((f) => f.toLowerCase()));
  for (let k = 0; k < keywords.length; k++) {
    if (keywords[k] !== "" && lower.has(keywords[k].toLowerCase())) {
      letters.push(KEYWORD_LETTERS[k]);
    }
  }
  return ":2," + letters.sort().join("");
}

/** Parses `dovecot-keywords` (`0 $Label1` lines) to names by index. */
export function parseKeywords(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+) (\S+)$/.exec(line.trim());
    if (m === null) continue;
    const n = Number(m[1]);
    if (n < KEYWORD_LETTERS.length) out[n] = m[2];
  }
  return Array.from(out, (k) => k ?? "");
}

/** A file name without its info part. */
export const baseOf = (name: string): string => {
  const i = name.indexOf(":");
  return i < 0 ? name : name.slice(0, i);
};

/** The UID list of a folder. */
export interface UidList {
  validity: number;
  next: number;
  uids: Map<string, number>;
}

/**
 * One scan of a folder, shared by its sessions: the mailbox index (UIDs
 * ascending and their file names, `new/x` or `cur/x:2,S`), and the
 * `MessageInfo`s made from it on first use, shared too.
 */
export interface Scan {
  validity: number;
  next: number;
  uids: number[];
  names: string[];
  infos: MessageInfo[] | null;
  newCount: number;
  newTime: number;
  curTime: number;
  gen: number;
  at: number;
}

/** How long a scan is trusted. */
export const CACHE_MS = 10000;
/** A scan this soon after a change is not trusted. */
export const RACY_MS = 2000;

/** State shared by every session on one folder in this process. */
export class Shared {
  listeners: Set<IMailboxListener> = new Set();
  cache: Scan | null = null;
  /** Keyword names by letter index (from `dovecot-keywords`). */
  keywords: string[] = [];
  /** Bumped by every change a session makes. */
  gen = 0;
  lock: Promise<unknown> = Promise.resolve();
  serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => {});
    return run;
  }
  notify(from: Set<IMailboxListener>, flags: boolean): void {
    this.gen++;
    for (const l of this.listeners) {
      if (from.has(l)) continue;
      try {
        if (flags) l.flagsChanged(null);
        else l.newMessages(null, null);
      } catch {
        // a listener's failure is its own
      }
    }
  }
  /** The index of a UID in the current scan, or -1. */
  indexOf(uid: number): number {
    const c = this.cache;
    if (c === null) return -1;
    let lo = 0;
    let hi = c.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (c.uids[mid] === uid) return mid;
      if (c.uids[mid] < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
  /** The file name of a UID in the current scan. */
  fileOf(uid: number): string | undefined {
    const i = this.indexOf(uid);
    return i < 0 ? undefined : this.cache!.names[i];
  }
}

/** The shared state of every folder, by path. */
export const shared: Map<string, Shared> = new Map<string, Shared>();
/** The shared state of a folder. */
export const sharedOf = (path: string): Shared => {
  let s = shared.get(path);
  if (s === undefined) {
    if (shared.size > 10000) {
      for (const [k, v] of shared) if (v.listeners.size === 0) shared.delete(k);
    }
    s = new Shared();
    shared.set(path, s);
  }
  return s;
};
