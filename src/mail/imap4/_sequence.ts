/**
 * Sequence sets (RFC 3501 §9 `sequence-set`): Twisted's `MessageSet` and
 * `parseIdList`. Private: re-exported by `mod.ts`.
 * @module
 */

/** The largest message number or UID (2^32 - 1). */
export const MAX_ID = 4294967295;

/**
 * A set of message numbers or UIDs as ranges; `null` as an end stands for `*`
 * (the last message) until `last` is set (Twisted's `MessageSet`).
 *
 * @example
 * ```ts
 * import { MessageSet } from "@tw/core/mail/imap4";
 * const set = new MessageSet(1, 3).add(7);
 * set.last = 10;
 * console.log([...set], String(set)); // [1, 2, 3, 7] "1:3,7"
 * ```
 */
export class MessageSet {
  /** The ranges as `[low, high]`, `null` meaning `*`. */
  ranges: [number | null, number | null][] = [];
  #last: number | null = null;

  /**
   * Makes the instance, empty or with one range.
   * @param start the first number (null for `*`)
   * @param end the last number (default: `start`)
   */
  constructor(start?: number | null, end?: number | null) {
    if (start !== undefined) this.add(start, end === undefined ? start : end);
  }

  /** The value `*` stands for, when known. */
  get last(): number | null {
    return this.#last;
  }

  set last(value: number | null) {
    this.#last = value;
  }

  /** Adds a range (ends in either order); returns this set. */
  add(start: number | null, end: number | null = start): this {
    this.ranges.push([start, end]);
    return this;
  }

  #bounds(): [number, number][] {
    const out: [number, number][] = [];
    for (const [a, b] of this.ranges) {
      const x = a ?? this.#last ?? 0;
      const y = b ?? this.#last ?? 0;
      out.push(x <= y ? [x, y] : [y, x]);
    }
    return out;
  }

  /** True when `n` is in the set (`*` is `last`). */
  contains(n: number): boolean {
    return this.#bounds().some(([a, b]) => n >= a && n <= b);
  }

  /** The numbers in ascending order, once each; `*` needs `last`. */
  *[Symbol.iterator](): Iterator<number> {
    if (this.ranges.some(([a, b]) => a === null || b === null) && this.#last === null) {
      throw new TypeError("Cannot iterate a MessageSet with * before setting last");
    }
    const bounds = this.#bounds().sort((p, q) => p[0] - q[0]);
    let next = 0;
    for (const [a, b] of bounds) {
      for (let n = Math.max(a, next); n <= b; n++) yield n;
      next = Math.max(next, b + 1);
    }
  }

  /** The number of distinct values. */
  get size(): number {
    let count = 0;
    let next = 0;
    for (const [a, b] of this.#bounds().sort((p, q) => p[0] - q[0])) {
      const from = Math.max(a, next);
      if (b >= from) count += b - from + 1;
      next = Math.max(next, b + 1);
    }
    return count;
  }

  /** The set in IMAP syntax (`1:3,7,9:*`). */
  toString(): string {
    const one = (n: number | null) => (n === null ? "*" : String(n));
    return this.ranges.map(([a, b]) => (a === b ? one(a) : `${one(a)}:${one(b)}`)).join(",");
  }
}

/**
 * Parses a sequence set (`1:3,7,9:*`); numbers are 1 to 4294967295. Throws
 * `SyntaxError` for anything else.
 *
 * @example
 * ```ts
 * import { parseIdList } from "@tw/core/mail/imap4";
 * const set = parseIdList("2:4,*", 9);
 * console.log([...set]); // [2, 3, 4, 9]
 * ```
 * @param text the set
 * @param last what `*` stands for
 */
export function parseIdList(text: string, last: number | null = null): MessageSet {
  if (text.length === 0 || text.length > 1 << 16) {
    throw new SyntaxError("Bad sequence set: empty or too long");
  }
  const set = new MessageSet();
  for (const item of text.split(",")) {
    const m = /^(\d{1,10}|\*)(?::(\d{1,10}|\*))?$/.exec(item);
    if (m === null) throw new SyntaxError(`Bad sequence set ${JSON.stringify(text.slice(0, 40))}`);
    const value = (s: string): number | null => {
      if (s === "*") return null;
      const n = Number(s);
      if (n < 1 || n > MAX_ID) throw new SyntaxError(`Bad message number ${s}`);
      return n;
    };
    const a = value(m[1]);
    set.add(a, m[2] === undefined ? a : value(m[2]));
  }
  set.last = last;
  return set;
}
