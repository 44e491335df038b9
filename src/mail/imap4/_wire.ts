/**
 * IMAP4's wire codec, knowing nothing of sockets: `CommandFramer` cuts the
 * client's bytes into whole commands (literals inline, sizes bounded) and
 * `Scanner` reads the tokens of one command. Private: re-exported by `mod.ts`.
 * @module
 */

const latin1 = new TextDecoder("latin1");
const enc = new TextEncoder();
const CR = 0x0d;
const LF = 0x0a;

/** Limits of `CommandFramer`. */
export interface FramerLimits {
  /**
   * Longest line (the text between literals), in octets.
   * @default 65536
   */
  maxLine?: number;
  /**
   * Largest literal, in octets.
   * @default 10485760
   */
  maxLiteral?: number;
}

/** What `CommandFramer.next()` found. */
export type FrameEvent =
  | { kind: "command"; bytes: Uint8Array }
  | { kind: "continue" }
  | { kind: "error"; tag: string | null; code: "TOOBIG" | "LINE"; message: string };

/** The tag at the start of a line, when it looks like one. */
function tagOf(bytes: Uint8Array): string | null {
  const text = latin1.decode(bytes.subarray(0, 64));
  const m = /^([\x21-\x7e]{1,40}) /.exec(text);
  if (m === null || /[(){%*"\\+]/.test(m[1])) return null;
  return m[1];
}

/**
 * Cuts a byte stream into IMAP commands (RFC 3501 §2.2): a command is lines
 * joined by literals (`{n}` or `{n+}` then CRLF then n octets). Every length the
 * peer controls is bounded: a line over `maxLine` is discarded up to its end, a
 * literal over `maxLiteral` is refused (a non-synchronizing one is skipped).
 *
 * @example
 * ```ts
 * import { CommandFramer } from "@tw/core/mail/imap4";
 * const framer = new CommandFramer();
 * framer.push(new TextEncoder().encode("a1 LOGIN {5}\r\n"));
 * console.log(framer.next()); // { kind: "continue" }
 * framer.push(new TextEncoder().encode("alice pw\r\n"));
 * const event = framer.next(); // { kind: "command", bytes: ... }
 * ```
 */
export class CommandFramer {
  #buf: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;
  #parts: Uint8Array[] = [];
  #size = 0;
  #literalLeft = 0;
  #skipLeft = 0;
  #discardLine = false;
  #maxLine: number;
  #maxLiteral: number;

  /**
   * Makes the instance.
   * @param limits the line and literal limits
   */
  constructor(limits: FramerLimits = {}) {
    this.#maxLine = limits.maxLine ?? 65536;
    this.#maxLiteral = limits.maxLiteral ?? 10 * 1024 * 1024;
  }

  /** Octets held, waiting. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Takes bytes from the peer. */
  push(data: Uint8Array): void {
    const held = this.#end - this.#start;
    if (this.#buf.byteLength - this.#end < data.byteLength) {
      const size = Math.max(held + data.byteLength, Math.min(this.#buf.byteLength * 2, 1 << 22));
      const next = new Uint8Array(Math.max(size, held + data.byteLength));
      next.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = next;
      this.#start = 0;
      this.#end = held;
    }
    this.#buf.set(data, this.#end);
    this.#end += data.byteLength;
  }

  /** Forgets everything buffered (after STARTTLS). */
  clear(): void {
    this.#start = this.#end = 0;
    this.#parts = [];
    this.#size = 0;
    this.#literalLeft = this.#skipLeft = 0;
    this.#discardLine = false;
  }

  /** The next event, or null when more bytes are needed. */
  next(): FrameEvent | null {
    for (;;) {
      const avail = this.#end - this.#start;
      if (this.#skipLeft > 0) {
        const n = Math.min(avail, this.#skipLeft);
        this.#start += n;
        this.#skipLeft -= n;
        if (this.#skipLeft > 0) return null;
        continue;
      }
      if (this.#literalLeft > 0) {
        const n = Math.min(avail, this.#literalLeft);
        if (n === 0) return null;
        this.#parts.push(this.#buf.slice(this.#start, this.#start + n));
        this.#start += n;
        this.#literalLeft -= n;
        if (this.#literalLeft > 0) return null;
        continue;
      }
      const lf = this.#buf.subarray(this.#start, this.#end).indexOf(LF);
      if (lf < 0) {
        if (avail > this.#maxLine) {
          const tag = this.#discardLine
            ? null
            : tagOf(this.#parts[0] ?? this.#buf.subarray(this.#start));
          const first = !this.#discardLine;
          this.#start = this.#end;
          this.#discardLine = true;
          this.#parts = [];
          this.#size = 0;
          if (first) return { kind: "error", tag, code: "LINE", message: "Line too long" };
        }
        if (this.#start === this.#end) this.#start = this.#end = 0;
        return null;
      }
      const lineEnd = this.#start + lf;
      const line = this.#buf.subarray(
        this.#start,
        lineEnd > this.#start && this.#buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd,
      );
      this.#start = lineEnd + 1;
      if (this.#discardLine) {
        this.#discardLine = false;
        continue;
      }
      if (line.byteLength > this.#maxLine) {
        const tag = tagOf(this.#parts[0] ?? line);
        this.#parts = [];
        this.#size = 0;
        return { kind: "error", tag, code: "LINE", message: "Line too long" };
      }
      const tail = latin1.decode(line.subarray(Math.max(0, line.byteLength - 24)));
      const m = /\{(\d+)(\+?)\}$/.exec(tail);
      if (m === null) {
        this.#parts.push(line.slice());
        const bytes = concat(this.#parts);
        this.#parts = [];
        this.#size = 0;
        return { kind: "command", bytes };
      }
      const n = m[1].length > 12 ? Infinity : Number(m[1]);
      const tag = tagOf(this.#parts[0] ?? line);
      this.#size += line.byteLength;
      if (n > this.#maxLiteral || this.#size + n > this.#maxLiteral + this.#maxLine * 4) {
        this.#parts = [];
        this.#size = 0;
        if (m[2] === "+") {
          // The peer sends it anyway: skip it, then the rest of its command.
          this.#skipLeft = Number.isFinite(n) ? n : 0;
          this.#discardLine = Number.isFinite(n);
        }
        return { kind: "error", tag, code: "TOOBIG", message: "Literal too big" };
      }
      this.#size += n;
      this.#parts.push(concat([line, new Uint8Array([CR, LF])]));
      this.#literalLeft = n;
      if (n === 0) this.#parts.push(new Uint8Array(0));
      if (m[2] !== "+") return { kind: "continue" };
    }
  }
}

/** Joins byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let size = 0;
  for (const p of parts) size += p.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * A command or response did not follow IMAP's syntax.
 *
 * @example
 * ```ts
 * import { IllegalClientResponse, Scanner } from "@tw/core/mail/imap4";
 * try {
 *   new Scanner(new TextEncoder().encode("(")).list();
 * } catch (e) {
 *   if (!(e instanceof IllegalClientResponse)) throw e;
 * }
 * ```
 */
export class IllegalClientResponse extends SyntaxError {
  /**
   * Makes the instance.
   * @param message what was wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "IllegalClientResponse";
  }
}

/** A parsed value of a parenthesized list: atoms as strings, strings as bytes, NIL as null. */
export type Token = string | Uint8Array | null | Token[];

const MAX_DEPTH = 32;
// ATOM-CHAR: any CHAR but atom-specials ( ) { SP CTL % * " \ ]
// deno-lint-ignore no-control-regex -- CTL is outside ATOM-CHAR
const ATOM = /^[^\x00-\x20\x7f(){%*"\\\]]+/;

/**
 * Reads the tokens of one command (literals inline, as `CommandFramer` gives it).
 * Every method throws `IllegalClientResponse` on bad syntax.
 *
 * @example
 * ```ts
 * import { Scanner } from "@tw/core/mail/imap4";
 * const s = new Scanner(new TextEncoder().encode('a1 LOGIN alice "pw"'));
 * const tag = s.tag();
 * s.sp();
 * const name = s.atom(); // "LOGIN"
 * ```
 */
export class Scanner {
  /** The command. */
  readonly bytes: Uint8Array;
  /** The read position. */
  pos = 0;
  #text: string;

  /**
   * Makes the instance.
   * @param bytes one command without its final CRLF
   */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#text = latin1.decode(bytes);
  }

  /** True at the end. */
  get atEnd(): boolean {
    return this.pos >= this.bytes.byteLength;
  }

  /** The next character, or "". */
  peek(): string {
    return this.#text[this.pos] ?? "";
  }

  /** The rest, as text. */
  rest(): string {
    return this.#text.slice(this.pos);
  }

  /** Fails with `message`. */
  fail(message: string): never {
    throw new IllegalClientResponse(message);
  }

  /** Takes `text` (case-insensitive) when it is next. */
  accept(text: string): boolean {
    if (this.#text.substr(this.pos, text.length).toUpperCase() === text.toUpperCase()) {
      this.pos += text.length;
      return true;
    }
    return false;
  }

  /** Takes `text` or fails. */
  expect(text: string): void {
    if (!this.accept(text)) this.fail(`Expected ${JSON.stringify(text)}`);
  }

  /** One space. */
  sp(): void {
    this.expect(" ");
  }

  /** Fails unless at the end. */
  end(): void {
    if (!this.atEnd) this.fail("Unexpected text after the command");
  }

  /** A tag. */
  tag(): string {
    // deno-lint-ignore no-control-regex -- CTL is outside a tag
    const m = /^[^\x00-\x20\x7f(){%*"\\+]+/.exec(this.#text.slice(this.pos, this.pos + 200));
    if (m === null) this.fail("Bad tag");
    this.pos += m[0].length;
    return m[0];
  }

  /** An atom; `extra` lists characters allowed beyond ATOM-CHAR (like "]" in ASTRING). */
  atom(extra = ""): string {
    const re = extra === "" ? ATOM : new RegExp(
      `^(?:[^\\x00-\\x20\\x7f(){%*"\\\\\\]]|[${extra.replace(/[\]\\^-]/g, "\\$&")}])+`,
    );
    const m = re.exec(this.#text.slice(this.pos, this.pos + 65536));
    if (m === null) this.fail("Expected an atom");
    this.pos += m[0].length;
    return m[0];
  }

  /** A number (up to 4294967295). */
  number(): number {
    const m = /^\d{1,10}/.exec(this.#text.slice(this.pos, this.pos + 11));
    if (m === null) this.fail("Expected a number");
    const n = Number(m[0]);
    if (n > 4294967295) this.fail("Number too big");
    this.pos += m[0].length;
    return n;
  }

  /** A quoted string or a literal, as bytes. */
  string(): Uint8Array {
    const c = this.peek();
    if (c === '"') return this.#quoted();
    if (c === "{") return this.#literal();
    this.fail("Expected a string");
  }

  #quoted(): Uint8Array {
    let at = this.pos + 1;
    const out: number[] = [];
    for (;;) {
      const b = this.bytes[at];
      if (b === undefined || b === CR || b === LF) this.fail("Unterminated quoted string");
      if (b === 0x22) break;
      if (b === 0x5c) {
        const n = this.bytes[at + 1];
        if (n !== 0x22 && n !== 0x5c) this.fail("Bad escape in a quoted string");
        out.push(n);
        at += 2;
        continue;
      }
      out.push(b);
      at++;
    }
    this.pos = at + 1;
    return Uint8Array.from(out);
  }

  #literal(): Uint8Array {
    const m = /^\{(\d{1,10})\+?\}\r\n/.exec(this.#text.slice(this.pos, this.pos + 16));
    if (m === null) this.fail("Bad literal");
    const n = Number(m[1]);
    const start = this.pos + m[0].length;
    if (start + n > this.bytes.byteLength) this.fail("Literal shorter than announced");
    this.pos = start + n;
    return this.bytes.subarray(start, start + n);
  }

  /** An astring (atom with "]" allowed, quoted or literal), as text (UTF-8). */
  astring(): string {
    const c = this.peek();
    if (c === '"' || c === "{") return new TextDecoder().decode(this.string());
    return this.atom("]");
  }

  /** An nstring: NIL gives null. */
  nstring(): Uint8Array | null {
    if (this.accept("NIL")) return null;
    return this.string();
  }

  /** A list-mailbox (atom with % * ] allowed, or a string). */
  listMailbox(): string {
    const c = this.peek();
    if (c === '"' || c === "{") return new TextDecoder().decode(this.string());
    return this.atom("%*]");
  }

  /** A parenthesized list of atoms, strings and lists (depth bounded). */
  list(depth = 0): Token[] {
    if (depth > MAX_DEPTH) this.fail("Lists nested too deep");
    this.expect("(");
    const out: Token[] = [];
    while (!this.accept(")")) {
      // Lists may follow each other without a space (`body-type-mpart`, address lists).
      if (out.length > 0 && !(this.peek() === "(" && this.#text[this.pos - 1] === ")")) this.sp();
      if (out.length >= 10000) this.fail("List too long");
      out.push(this.value(depth + 1));
    }
    return out;
  }

  /** One value: a list, a string, NIL or an atom. */
  value(depth = 0): Token {
    const c = this.peek();
    if (c === "(") return this.list(depth);
    if (c === '"' || c === "{") return this.string();
    if (c === "") this.fail("Unexpected end of the command");
    const a = this.atom("]%*\\[");
    return a.toUpperCase() === "NIL" ? null : a;
  }
}

/** An IMAP string for `text`: quoted when it can be, otherwise a literal. */
export function quote(text: string | Uint8Array): Uint8Array {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  let simple = bytes.byteLength < 1024;
  for (let i = 0; simple && i < bytes.byteLength; i++) {
    const b = bytes[i];
    if (b < 0x20 || b > 0x7e) simple = false;
  }
  if (simple) {
    const s = latin1.decode(bytes).replace(/[\\"]/g, "\\$&");
    return enc.encode(`"${s}"`);
  }
  return concat([enc.encode(`{${bytes.byteLength}}\r\n`), bytes]);
}

/** `quote` as text (latin1 for a literal's bytes), or NIL for null. */
export function nquote(text: string | Uint8Array | null | undefined): string {
  if (text === null || text === undefined) return "NIL";
  return latin1.decode(quote(text));
}

/** Text whose characters are octets (as `nquote` gives) back to bytes. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
