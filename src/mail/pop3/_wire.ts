/**
 * POP3's wire codec, knowing nothing of sockets: a bounded CRLF line buffer,
 * dot-stuffing of a message for RETR/TOP, and dot-unstuffing of a multi-line
 * response. Private to the pop3 folder.
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** Splits bytes into lines (ending in LF, a CR before it dropped), keeping at most `max` bytes of one. */
export class LineBuffer {
  #chunks: Uint8Array[] = [];
  #held = 0;
  #discarding = false;
  /** The longest line kept, in bytes. */
  max: number;

  /**
   * Makes the instance.
   * @param max the longest line kept, in bytes
   */
  constructor(max: number) {
    this.max = max;
  }

  /** Bytes held, not yet taken as lines. */
  get buffered(): number {
    return this.#held;
  }

  /** Appends `data`. */
  push(data: Uint8Array): void {
    if (data.byteLength === 0) return;
    this.#chunks.push(data);
    this.#held += data.byteLength;
  }

  #flatten(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0];
    const all = new Uint8Array(this.#held);
    let offset = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, offset);
      offset += chunk.byteLength;
    }
    this.#chunks = [all];
    return all;
  }

  /** The next line, `"tooLong"` once for a line over `max` (dropped), or null when none is complete. */
  next(): Uint8Array | "tooLong" | null {
    while (this.#held > 0) {
      const all = this.#flatten();
      const at = all.indexOf(LF);
      if (at < 0) {
        if (all.byteLength > this.max + 1) {
          // Keep nothing of an over-long line: report it once, then skip to its end.
          const report = !this.#discarding;
          this.#discarding = true;
          this.#chunks = [];
          this.#held = 0;
          if (report) return "tooLong";
        }
        return null;
      }
      const rest = all.subarray(at + 1);
      this.#chunks = rest.byteLength > 0 ? [rest] : [];
      this.#held = rest.byteLength;
      if (this.#discarding) {
        this.#discarding = false;
        continue;
      }
      const end = at > 0 && all[at - 1] === CR ? at - 1 : at;
      if (end > this.max) return "tooLong";
      return all.slice(0, end);
    }
    return null;
  }

  /** Drops everything held (STLS: nothing sent in clear text may count after it). */
  clear(): void {
    this.#chunks = [];
    this.#held = 0;
    this.#discarding = false;
  }
}

/**
 * A message as sent after `+OK` of RETR or TOP: CRLF line endings, a dot
 * doubled at the start of a line, the last line ended; `lines` keeps the
 * headers, the blank line and that many body lines (TOP).
 */
export function dotStuff(message: Uint8Array, lines: number | null = null): Uint8Array {
  // At worst every line is "." + LF, which becomes ".." CR LF: twice the input, plus a final CRLF.
  const out = new Uint8Array(message.byteLength * 2 + 2);
  let length = 0;
  let start = 0;
  let inBody = false;
  let bodyLines = 0;
  while (start < message.byteLength) {
    let end = message.indexOf(LF, start);
    const next = end < 0 ? message.byteLength : end + 1;
    if (end < 0) end = message.byteLength;
    const stop = end > start && message[end - 1] === CR ? end - 1 : end;
    if (lines !== null && inBody) {
      if (bodyLines >= lines) break;
      bodyLines++;
    }
    if (stop === start) inBody = true;
    if (message[start] === DOT && stop > start) out[length++] = DOT;
    out.set(message.subarray(start, stop), length);
    length += stop - start;
    out[length++] = CR;
    out[length++] = LF;
    start = next;
  }
  return out.slice(0, length);
}

/** One line of a multi-line response with the stuffed leading dot removed. */
export function dotUnstuff(line: Uint8Array): Uint8Array {
  return line.byteLength > 1 && line[0] === DOT && line[1] === DOT ? line.subarray(1) : line;
}
