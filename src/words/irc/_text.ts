/**
 * Bytes and text on an IRC connection: a bounded LF framer, decoding
 * (UTF-8, else latin-1), splitting text into lines by UTF-8 bytes, and
 * Twisted's low-level quoting. Private: re-exported by `mod.ts`.
 * @module
 */

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");
const enc = new TextEncoder();

/**
 * Decodes a line: UTF-8 when it is valid, latin-1 otherwise (never an error:
 * twisted/twisted#8903 dropped connections on such lines).
 *
 * @example
 * ```ts
 * import { decodeLine } from "@tw/core/words/irc";
 * console.log(decodeLine(new Uint8Array([0x63, 0x61, 0x66, 0xe9]))); // "café"
 * ```
 */
export function decodeLine(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

/** What `LineFramer.next` gives: a line (CR stripped), a too-long marker, or null. */
export type FramerEvent = Uint8Array | "tooLong" | null;

/**
 * Splits a byte stream into lines at LF (a CR before it is dropped), before
 * any decoding, so a multi-byte character split across chunks is whole.
 * A line longer than `maxLength` bytes gives `"tooLong"` once and is
 * discarded up to its LF; at most `maxLength` + one chunk is ever buffered.
 * `pending` tells how many bytes of an unfinished line are held.
 *
 * @example
 * ```ts
 * import { LineFramer } from "@tw/core/words/irc";
 * const framer = new LineFramer(512);
 * framer.push(new TextEncoder().encode("PING :a\r\nPI"));
 * console.log(new TextDecoder().decode(framer.next() as Uint8Array)); // "PING :a"
 * console.log(framer.next(), framer.pending); // null 2
 * ```
 */
export class LineFramer {
  #max: number;
  #buf: Uint8Array = new Uint8Array(0);
  #start = 0;
  #discarding = false;
  /** Bytes dropped since the current too-long line began. */
  discarded = 0;

  /**
   * Makes a framer.
   * @param maxLength the longest line kept, in bytes, CR and LF excluded
   */
  constructor(maxLength: number) {
    this.#max = maxLength;
  }

  /** Bytes of an unfinished line held (or being discarded). */
  get pending(): number {
    return this.#buf.length - this.#start + (this.#discarding ? this.discarded : 0);
  }

  /** Adds received bytes. */
  push(data: Uint8Array): void {
    if (this.#start >= this.#buf.length) {
      this.#buf = data;
    } else {
      const rest = this.#buf.subarray(this.#start);
      const joined = new Uint8Array(rest.length + data.length);
      joined.set(rest);
      joined.set(data, rest.length);
      this.#buf = joined;
    }
    this.#start = 0;
  }

  /** The next complete line, `"tooLong"` once per overlong line, or null. */
  next(): FramerEvent {
    for (;;) {
      const buf = this.#buf;
      const lf = buf.indexOf(0x0a, this.#start);
      if (this.#discarding) {
        if (lf < 0) {
          this.discarded += buf.length - this.#start;
          this.#buf = new Uint8Array(0);
          this.#start = 0;
          return null;
        }
        this.#discarding = false;
        this.discarded = 0;
        this.#start = lf + 1;
        continue;
      }
      if (lf < 0) {
        if (buf.length - this.#start > this.#max + 1) {
          this.#discarding = true;
          this.discarded = buf.length - this.#start;
          this.#buf = new Uint8Array(0);
          this.#start = 0;
          return "tooLong";
        }
        return null;
      }
      let end = lf;
      if (end > this.#start && buf[end - 1] === 0x0d) end--;
      const line = buf.slice(this.#start, end);
      this.#start = lf + 1;
      if (line.length > this.#max) return "tooLong";
      return line;
    }
  }
}

/**
 * The UTF-8 length of a string in bytes (a lone surrogate counts 3, as
 * `TextEncoder` writes U+FFFD).
 *
 * @example
 * ```ts
 * import { byteLength } from "@tw/core/words/irc";
 * console.log(byteLength("é🙂")); // 6
 * ```
 */
export function byteLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * Splits text into lines of at most `length` UTF-8 bytes (Twisted's
 * `split`, which counts characters): at each newline, then preferring the
 * last space within the limit, never inside a character (a surrogate pair
 * stays whole). Spaces at a break are dropped; empty lines are dropped.
 *
 * @example
 * ```ts
 * import { split } from "@tw/core/words/irc";
 * console.log(split("hello there world", 11)); // [ "hello there", "world" ]
 * console.log(split("ééé", 4)); // [ "éé", "é" ]
 * ```
 */
export function split(text: string, length = 80): string[] {
  if (!(length >= 4)) throw new RangeError(`Cannot split into lines of ${length} bytes`);
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    let line = raw.replace(/\r$/, "");
    while (line !== "") {
      if (byteLength(line) <= length) {
        out.push(line);
        break;
      }
      // Longest prefix within the limit, in whole code points.
      let bytes = 0;
      let cut = 0;
      for (const ch of line) {
        const b = byteLength(ch);
        if (bytes + b > length) break;
        bytes += b;
        cut += ch.length;
      }
      const space = line.lastIndexOf(" ", cut);
      let head: string;
      let tail: string;
      if (space > 0) {
        head = line.slice(0, space);
        tail = line.slice(space + 1);
      } else {
        head = line.slice(0, cut);
        tail = line.slice(cut);
      }
      head = head.replace(/ +$/, "");
      if (head !== "") out.push(head);
      line = tail.replace(/^ +/, "");
    }
  }
  return out;
}

/** UTF-8 bytes of a string. */
export function encodeText(text: string): Uint8Array {
  return enc.encode(text);
}

const M_QUOTE = "\x10";
const LOW_QUOTE: Record<string, string> = { "\0": "0", "\n": "n", "\r": "r", [M_QUOTE]: M_QUOTE };
const LOW_DEQUOTE: Record<string, string> = { "0": "\0", n: "\n", r: "\r", [M_QUOTE]: M_QUOTE };

/**
 * Quotes NUL, CR, LF and `\x10` for the wire (Twisted's `lowQuote`).
 *
 * @example
 * ```ts
 * import { lowDequote, lowQuote } from "@tw/core/words/irc";
 * console.log(lowDequote(lowQuote("a\nb")) === "a\nb"); // true
 * ```
 */
export function lowQuote(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\0\n\r\x10]/g, (c) => M_QUOTE + LOW_QUOTE[c]);
}

/**
 * Undoes `lowQuote` (Twisted's `lowDequote`).
 *
 * @example
 * ```ts
 * import { lowDequote } from "@tw/core/words/irc";
 * console.log(JSON.stringify(lowDequote("a\x10nb"))); // "a\nb"
 * ```
 */
export function lowDequote(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x10(.?)/gs, (_m, c: string) => LOW_DEQUOTE[c] ?? c);
}

/**
 * Cuts text to at most `max` UTF-8 bytes, at a character boundary.
 *
 * @example
 * ```ts
 * import { fitBytes } from "@tw/core/words/irc";
 * console.log(fitBytes("ééé", 5)); // "éé"
 * ```
 */
export function fitBytes(text: string, max: number): string {
  if (byteLength(text) <= max) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const b = byteLength(ch);
    if (bytes + b > max) break;
    bytes += b;
    end += ch.length;
  }
  return text.slice(0, end);
}
