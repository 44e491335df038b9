/**
 * A bounded CRLF line splitter for the SMTP server: over-long lines are reported, not
 * buffered. Private.
 * @module
 */

/** What the splitter yields: a line, or the notice that one was too long (and dropped). */
export type LineEvent = { line: Uint8Array } | { tooLong: true };

/** Splits bytes into CRLF-terminated lines, keeping at most `max` bytes of an unfinished one. */
export class LineSplitter {
  #buf = new Uint8Array(0);
  #len = 0;
  #start = 0;
  #discarding = false;
  #scanned = 0;
  /** The longest line kept, in bytes. */
  max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Bytes held, not yet taken as lines. */
  get buffered(): number {
    return this.#len - this.#start;
  }

  /** Appends `data`. */
  push(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.#start > 0 && this.#start === this.#len) {
      this.#start = this.#len = this.#scanned = 0;
    }
    if (this.#len + data.length > this.#buf.length) {
      const live = this.#len - this.#start;
      const next = new Uint8Array(Math.max(1024, (live + data.length) * 2));
      next.set(this.#buf.subarray(this.#start, this.#len));
      this.#buf = next;
      this.#scanned = Math.max(0, this.#scanned - this.#start);
      this.#len = live;
      this.#start = 0;
    }
    this.#buf.set(data, this.#len);
    this.#len += data.length;
  }

  /** The next line or too-long notice, or null when no complete line is held. */
  next(): LineEvent | null {
    const buf = this.#buf;
    let at = -1;
    // Resume where the last search stopped (less one byte: a CR may end it).
    for (let i = Math.max(this.#start, this.#scanned - 1); i + 1 < this.#len; i++) {
      if (buf[i] === 13 && buf[i + 1] === 10) {
        at = i;
        break;
      }
    }
    if (at < 0) {
      this.#scanned = this.#len;
      if (this.#len - this.#start > this.max + 1) {
        // Keep the last byte: it may be the CR of the CRLF to come.
        this.#start = this.#len - 1;
        this.#discarding = true;
      }
      return null;
    }
    const line = buf.slice(this.#start, at);
    this.#start = at + 2;
    this.#scanned = this.#start;
    if (this.#discarding || line.length > this.max) {
      this.#discarding = false;
      return { tooLong: true };
    }
    return { line };
  }

  /** Drops everything held (STARTTLS: nothing sent in clear text may count after it). */
  clear(): void {
    this.#start = this.#len = this.#scanned = 0;
    this.#discarding = false;
  }
}
