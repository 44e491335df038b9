/**
 * Reading FTP replies (RFC 959 section 4.2): a reply is one line `ddd text`,
 * or several, from `ddd-text` to the first line that starts with the same
 * code and a space. A peer controls how long a reply is, so lines and
 * replies are bounded. Private to the client.
 * @module
 */
import { BadResponse } from "./_client_errors.ts";

/** One complete reply. */
export interface FTPReply {
  /** The three-digit code, 100 to 599. */
  code: number;
  /** The reply's lines as received, code included, without line ends. */
  lines: string[];
}

/** Limits of a `ReplyParser`. */
export interface ReplyLimits {
  /** Most lines in one reply. @default 10000 */
  maxLines?: number;
  /** Most characters in one reply, all lines together. @default 1048576 */
  maxSize?: number;
}

const FIRST = /^([1-5]\d\d)([ -]|$)/;

/**
 * Assembles replies from lines; `feed` returns the reply a line completes,
 * or null. A line that cannot start a reply, or a reply over the limits,
 * throws `BadResponse` (the connection cannot be trusted afterwards).
 */
export class ReplyParser {
  #maxLines: number;
  #maxSize: number;
  #code: string | null = null;
  #lines: string[] = [];
  #size = 0;

  /**
   * Makes a parser.
   * @param limits the bounds of one reply
   */
  constructor(limits: ReplyLimits = {}) {
    this.#maxLines = limits.maxLines ?? 10000;
    this.#maxSize = limits.maxSize ?? 1 << 20;
  }

  /** True while a multi-line reply is incomplete. */
  get pending(): boolean {
    return this.#code !== null;
  }

  /**
   * Takes one line (without CR LF).
   * @returns the reply it completes, or null
   * @throws {BadResponse} for a line that is not a reply, or a reply too long
   */
  feed(line: string): FTPReply | null {
    if (this.#code === null) {
      const match = FIRST.exec(line);
      if (match === null) throw new BadResponse([line], "no reply code");
      if (match[2] !== "-") return { code: Number(match[1]), lines: [line] };
      this.#code = match[1];
      this.#lines = [line];
      this.#size = line.length;
      return null;
    }
    this.#lines.push(line);
    this.#size += line.length;
    const code = this.#code;
    if (line.startsWith(code) && (line.length === 3 || line[3] === " ")) {
      const reply = { code: Number(code), lines: this.#lines };
      this.#reset();
      return reply;
    }
    if (this.#lines.length > this.#maxLines || this.#size > this.#maxSize) {
      const lines = this.#lines;
      this.#reset();
      throw new BadResponse(
        lines,
        `reply longer than ${this.#maxLines} lines or ${this.#maxSize} characters`,
      );
    }
    return null;
  }

  #reset(): void {
    this.#code = null;
    this.#lines = [];
    this.#size = 0;
  }
}
