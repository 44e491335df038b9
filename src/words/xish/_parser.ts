/**
 * Our bounded streaming XML reader for XMPP (RFC 6120 §11, restricted XML):
 * bytes go in as they arrive, split anywhere (even inside a UTF-8 sequence);
 * start tags, end tags and text come out. No DTD, comment, processing
 * instruction (beyond the XML declaration) or entity beyond XML's five and
 * character references; element depth, attributes per element, name length
 * and the bytes of one stanza (a child of the root, or the root's start tag)
 * are limited while the bytes arrive, so nothing is buffered without a bound.
 * Namespaces are resolved one layer up (`_element_stream.ts`).
 * Private: used by `domish.ts`.
 * @module
 */

/** The stream error condition a parse failure maps to (RFC 6120 §4.9.3). */
export type XmlCondition = "not-well-formed" | "restricted-xml" | "policy-violation";

/**
 * The bytes are not (restricted) XML, or break a limit (Twisted's
 * `domish.ParserError`); `condition` names the stream error to send.
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * const stream = domish.elementStream();
 * stream.DocumentStartEvent = () => {};
 * try {
 *   stream.parse(new TextEncoder().encode("<!DOCTYPE x>"));
 * } catch (e) {
 *   console.log((e as domish.ParserError).condition); // "restricted-xml"
 * }
 * ```
 */
export class ParserError extends Error {
  /** The stream error condition for this failure. */
  readonly condition: XmlCondition;
  /**
   * Makes the error.
   * @param message what is wrong
   * @param condition the stream error condition
   */
  constructor(message: string, condition: XmlCondition = "not-well-formed") {
    super(message);
    this.name = "ParserError";
    this.condition = condition;
  }
}

/** Limits of the streaming parser; every one is enforced as bytes arrive. */
export interface ParserLimits {
  /** Deepest element nesting, the root counting as 1. @default 100 */
  maxDepth?: number;
  /** Attributes on one element. @default 1000 */
  maxAttributes?: number;
  /** Bytes of one stanza (a child of the root, or the root's start tag). @default 1048576 */
  maxStanzaSize?: number;
  /** Bytes of one element or attribute name. @default 1024 */
  maxNameLength?: number;
}

/** What the parser reports to. */
export interface SaxHandler {
  /** A start tag: its qualified name and attributes as `[name, value, name, value ...]`. */
  startElement(name: string, attributes: string[]): void;
  /** An end tag (also right after the start tag of an empty element). */
  endElement(name: string): void;
  /** Character data (entities resolved, CDATA sections included). */
  text(data: string): void;
}

const S_TEXT = 0;
const S_LT = 1;
const S_START_NAME = 2;
const S_TAG = 3;
const S_ATTR_NAME = 4;
const S_ATTR_EQ = 5;
const S_ATTR_QUOTE = 6;
const S_ATTR_VALUE = 7;
const S_EMPTY = 8;
const S_END_NAME = 9;
const S_END_WS = 10;
const S_ENTITY = 11;
const S_BANG = 12;
const S_CDATA = 13;
const S_DECL = 14;
const S_AFTER_NAME_WS = 15;

const LT = 0x3c;
const GT = 0x3e;
const AMP = 0x26;
const SLASH = 0x2f;
const EQ = 0x3d;
const QUOT = 0x22;
const APOS = 0x27;

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const SPACE = new Uint8Array([0x20]);
const LF = new Uint8Array([0x0a]);
const enc = new TextEncoder();

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}
function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a ||
    c >= 0x80;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
}
function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return false;
  return true;
}
function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/**
 * The streaming parser: `feed(bytes)` as they arrive; it calls its handler
 * and throws `ParserError` on bad input (and keeps throwing it afterwards).
 */
export class XmlStreamParser {
  readonly #h: SaxHandler;
  readonly #maxDepth: number;
  readonly #maxAttributes: number;
  readonly #maxStanza: number;
  readonly #maxName: number;
  readonly #fatal = new TextDecoder("utf-8", { fatal: true });
  readonly #skipDecoder = new TextDecoder("utf-8", { fatal: true });
  #state = S_TEXT;
  #returnState = S_TEXT;
  #failed: ParserError | null = null;
  #halted = false;
  #skipPending = false; // the dropped-text decoder may hold part of a UTF-8 sequence
  #lastCR = false; // the last text byte read was a CR (its LF may come in the next chunk)
  #base = 0; // absolute offset of the current chunk's first byte
  #stanzaStart = -1; // absolute offset where the current stanza began, -1 outside one
  #started = false; // the root element has started
  #ended = false; // the root element has ended
  #stack: string[] = [];
  #name: Uint8Array;
  #nameLen = 0;
  #parts: Uint8Array[] = [];
  #partsLen = 0;
  #tagName = "";
  #attrs: string[] = [];
  #attrName = "";
  #quote = 0;
  #entity = "";
  #bang = "";
  #brackets = 0;
  #declLen = 0;
  #declQ = false;

  /**
   * Makes a parser.
   * @param handler what gets the tags and text
   * @param limits the limits (see `ParserLimits`)
   */
  constructor(handler: SaxHandler, limits: ParserLimits = {}) {
    this.#h = handler;
    this.#maxDepth = limits.maxDepth ?? 100;
    this.#maxAttributes = limits.maxAttributes ?? 1000;
    this.#maxStanza = limits.maxStanzaSize ?? 1 << 20;
    this.#maxName = limits.maxNameLength ?? 1024;
    this.#name = new Uint8Array(this.#maxName);
  }

  /** The number of elements open (1 inside the root only). */
  get depth(): number {
    return this.#stack.length;
  }

  #fail(message: string, condition: XmlCondition = "not-well-formed"): never {
    this.#failed = new ParserError(message, condition);
    throw this.#failed;
  }

  #decode(bytes: Uint8Array): string {
    // Short ASCII (names, most values) without a TextDecoder call: much faster on Deno.
    if (bytes.length <= 64 && isAscii(bytes)) {
      let out = "";
      for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
      return out;
    }
    try {
      return this.#fatal.decode(bytes);
    } catch {
      return this.#fail("Invalid UTF-8");
    }
  }

  #pushName(c: number): void {
    if (this.#nameLen >= this.#maxName) {
      this.#fail(`Name longer than ${this.#maxName} bytes`, "policy-violation");
    }
    this.#name[this.#nameLen++] = c;
  }

  #takeName(): string {
    const s = this.#decode(this.#name.subarray(0, this.#nameLen));
    this.#nameLen = 0;
    return s;
  }

  #pushPart(part: Uint8Array): void {
    if (part.length === 0) return;
    this.#parts.push(part);
    this.#partsLen += part.length;
  }

  #takeParts(): string {
    const parts = this.#parts;
    let bytes: Uint8Array;
    if (parts.length === 1) bytes = parts[0];
    else {
      bytes = new Uint8Array(this.#partsLen);
      let at = 0;
      for (const p of parts) {
        bytes.set(p, at);
        at += p.length;
      }
    }
    this.#parts = [];
    this.#partsLen = 0;
    return this.#decode(bytes);
  }

  /** Text is kept only inside a stanza (depth 2 and more); elsewhere it is checked, dropped. */
  #keepsText(): boolean {
    return this.#stack.length >= 2;
  }

  #flushText(): void {
    if (this.#keepsText()) {
      if (this.#partsLen > 0) this.#h.text(this.#takeParts());
    } else if (this.#skipPending) {
      this.#skipPending = false;
      try {
        this.#skipDecoder.decode();
      } catch {
        this.#fail("Invalid UTF-8");
      }
    }
  }

  /** The index in the chunk past which the current stanza breaks its size limit. */
  #stop(len: number): number {
    if (this.#stanzaStart < 0) return len;
    return Math.min(len, this.#stanzaStart + this.#maxStanza - this.#base);
  }

  #checkBudget(i: number): void {
    if (this.#stanzaStart >= 0 && this.#base + i - this.#stanzaStart > this.#maxStanza) {
      this.#fail(`Stanza larger than ${this.#maxStanza} bytes`, "policy-violation");
    }
  }

  /**
   * Parses the next bytes.
   * @param data the bytes, any split of the stream
   * @returns how many bytes were read: all, unless `halt()` was called meanwhile
   * @throws ParserError for bad input or a broken limit
   */
  feed(data: Uint8Array): number {
    if (this.#failed) throw this.#failed;
    if (this.#halted) return 0;
    try {
      return this.#run(data);
    } catch (e) {
      if (e instanceof ParserError) this.#failed = e;
      throw e;
    }
  }

  #run(data: Uint8Array): number {
    const len = data.length;
    let i = 0;
    while (i < len) {
      if (this.#halted) {
        this.#base += i;
        return i;
      }
      this.#checkBudget(i);
      const c = data[i];
      switch (this.#state) {
        case S_TEXT: {
          const keep = this.#keepsText();
          const stop = this.#stop(len);
          const start = i;
          if (!this.#started || this.#ended) {
            // Outside the root: only white space (and a BOM first).
            if (
              this.#base + i === 0 && c === 0xef && data[i + 1] === 0xbb && data[i + 2] === 0xbf
            ) {
              i += 3;
              continue;
            }
            if (c === LT) {
              if (this.#ended) this.#fail("Content after the root element");
              this.#state = S_LT;
              this.#stanzaStart = this.#base + i;
              i++;
              continue;
            }
            if (!isSpace(c)) this.#fail("Text outside the root element");
            i++;
            continue;
          }
          let from = start;
          while (i < stop) {
            const b = data[i];
            if (b === LT || b === AMP) break;
            if (b < 0x20) {
              if (b === 0x0d || (b === 0x0a && (i > start ? data[i - 1] === 0x0d : this.#lastCR))) {
                // Line ends: CR LF and a lone CR become LF, as XML says (§2.11).
                if (keep) this.#pushPart(data.subarray(from, i));
                if (keep && b === 0x0d) this.#pushPart(LF);
                from = i + 1;
              } else if (b !== 0x0a && b !== 0x09) this.#fail("Control character in text");
            }
            i++;
          }
          // a CR at the very end of the chunk may have its LF in the next one
          this.#lastCR = i === len && i > start ? data[i - 1] === 0x0d : false;
          if (i > start) {
            const span = data.subarray(keep ? from : start, i);
            if (keep) this.#pushPart(span);
            else if (this.#skipPending || !isAscii(span)) {
              try {
                this.#skipDecoder.decode(span, { stream: true });
              } catch {
                this.#fail("Invalid UTF-8");
              }
              this.#skipPending = true;
            }
          }
          if (i >= len) break;
          if (i >= stop) {
            this.#checkBudget(i + 1);
            break;
          }
          if (data[i] === AMP) {
            this.#returnState = S_TEXT;
            this.#entity = "";
            this.#state = S_ENTITY;
          } else {
            this.#flushText();
            if (this.#stack.length === 1) this.#stanzaStart = this.#base + i;
            this.#state = S_LT;
          }
          i++;
          break;
        }
        case S_LT:
          if (c === SLASH) {
            if (this.#stack.length === 0) this.#fail("End tag before the root element");
            this.#state = S_END_NAME;
          } else if (c === 0x21) {
            this.#bang = "";
            this.#state = S_BANG;
          } else if (c === 0x3f) {
            if (this.#started || this.#declLen < 0) {
              this.#fail("Processing instructions are not allowed", "restricted-xml");
            }
            this.#declLen = 0;
            this.#declQ = false;
            this.#bang = "";
            this.#state = S_DECL;
          } else if (isNameStart(c)) {
            if (this.#ended) this.#fail("Content after the root element");
            this.#nameLen = 0;
            this.#pushName(c);
            this.#state = S_START_NAME;
          } else this.#fail("Bad character after <");
          i++;
          break;
        case S_START_NAME:
          while (i < len && isNameChar(data[i])) this.#pushName(data[i++]);
          if (i >= len) break;
          this.#tagName = this.#takeName();
          this.#attrs = [];
          this.#state = S_TAG;
          if (isSpace(data[i])) {
            this.#state = S_AFTER_NAME_WS;
            i++;
          }
          break;
        case S_AFTER_NAME_WS:
        case S_TAG:
          if (isSpace(c)) {
            this.#state = S_AFTER_NAME_WS;
            i++;
          } else if (c === GT) {
            i++;
            this.#startTag(false);
          } else if (c === SLASH) {
            this.#state = S_EMPTY;
            i++;
          } else if (this.#state === S_AFTER_NAME_WS && isNameStart(c)) {
            if (this.#attrs.length >= this.#maxAttributes * 2) {
              this.#fail(`More than ${this.#maxAttributes} attributes`, "policy-violation");
            }
            this.#nameLen = 0;
            this.#state = S_ATTR_NAME;
          } else this.#fail("Bad character in a start tag");
          break;
        case S_ATTR_NAME:
          while (i < len && isNameChar(data[i])) this.#pushName(data[i++]);
          if (i >= len) break;
          this.#attrName = this.#takeName();
          this.#state = S_ATTR_EQ;
          break;
        case S_ATTR_EQ:
          if (isSpace(c)) i++;
          else if (c === EQ) {
            this.#state = S_ATTR_QUOTE;
            i++;
          } else this.#fail(`Attribute ${this.#attrName} has no value`);
          break;
        case S_ATTR_QUOTE:
          if (isSpace(c)) i++;
          else if (c === QUOT || c === APOS) {
            this.#quote = c;
            this.#state = S_ATTR_VALUE;
            i++;
          } else this.#fail("Attribute values must be quoted");
          break;
        case S_ATTR_VALUE: {
          const stop = this.#stop(len);
          const q = this.#quote;
          let start = i;
          while (i < stop) {
            const b = data[i];
            if (b === q || b === AMP || b === LT) break;
            if (b < 0x20) {
              if (b !== 0x0a && b !== 0x09 && b !== 0x0d) this.#fail("Control character");
              this.#pushPart(data.subarray(start, i));
              this.#pushPart(SPACE);
              start = i + 1;
            }
            i++;
          }
          this.#pushPart(data.subarray(start, i));
          if (i >= len) break;
          if (i >= stop) {
            this.#checkBudget(i + 1);
            break;
          }
          const b = data[i++];
          if (b === LT) this.#fail("< in an attribute value");
          if (b === AMP) {
            this.#returnState = S_ATTR_VALUE;
            this.#entity = "";
            this.#state = S_ENTITY;
          } else {
            this.#attrs.push(this.#attrName, this.#partsLen ? this.#takeParts() : "");
            this.#state = S_TAG;
          }
          break;
        }
        case S_EMPTY:
          if (c !== GT) this.#fail("Expected > after /");
          i++;
          this.#startTag(true);
          break;
        case S_END_NAME:
          if (this.#nameLen === 0 && !isNameStart(c)) this.#fail("Bad end tag");
          while (i < len && isNameChar(data[i])) this.#pushName(data[i++]);
          if (i >= len) break;
          this.#state = S_END_WS;
          break;
        case S_END_WS:
          if (isSpace(c)) i++;
          else if (c === GT) {
            i++;
            this.#endTag(this.#takeName());
          } else this.#fail("Bad end tag");
          break;
        case S_ENTITY:
          if (c === 0x3b) {
            i++;
            this.#resolveEntity();
          } else {
            if (this.#entity.length >= 10) this.#fail("Entity reference too long");
            if (!isNameChar(c) && c !== 0x23) this.#fail("Bad entity reference");
            this.#entity += String.fromCharCode(c);
            i++;
          }
          break;
        case S_BANG:
          this.#bang += String.fromCharCode(c);
          i++;
          if (this.#bang === "[CDATA[") {
            if (this.#stack.length === 0) this.#fail("CDATA outside the root element");
            this.#brackets = 0;
            this.#state = S_CDATA;
          } else if (!"[CDATA[".startsWith(this.#bang)) {
            this.#fail(
              this.#bang.startsWith("-")
                ? "Comments are not allowed"
                : "Document type declarations are not allowed",
              "restricted-xml",
            );
          }
          break;
        case S_CDATA: {
          const stop = this.#stop(len);
          const start = i;
          let done = false;
          while (i < stop) {
            const b = data[i++];
            if (b === 0x5d) this.#brackets++;
            else if (b === GT && this.#brackets >= 2) {
              done = true;
              break;
            } else {
              this.#brackets = 0;
              if (b < 0x20 && b !== 0x0a && b !== 0x09 && b !== 0x0d) {
                this.#fail("Control character");
              }
            }
          }
          const span = data.subarray(start, i);
          if (this.#keepsText()) this.#pushPart(span);
          if (done) {
            if (this.#keepsText()) {
              const text = this.#takeParts();
              const body = text.slice(0, text.length - 3);
              if (body) this.#h.text(body);
            }
            if (this.#stack.length === 1) this.#stanzaStart = -1;
            this.#state = S_TEXT;
          } else if (i >= stop && i < len) this.#checkBudget(i + 1);
          break;
        }
        case S_DECL:
          // "<?xml ...?>": only first, bounded, and only the declaration.
          if (++this.#declLen > 256) this.#fail("XML declaration too long", "policy-violation");
          if (this.#bang.length < 4) {
            this.#bang += String.fromCharCode(c);
            if (this.#bang.length === 4 && !/^xml[ \t\r\n]$/.test(this.#bang)) {
              this.#fail("Processing instructions are not allowed", "restricted-xml");
            }
          }
          if (this.#declQ && c === GT) {
            this.#declLen = -1;
            this.#stanzaStart = -1;
            this.#state = S_TEXT;
          } else this.#declQ = c === 0x3f;
          i++;
          break;
      }
    }
    this.#base += len;
    this.#checkBudget(0);
    return len;
  }

  /** Stops at once: the bytes after the current token are left unread (after a stream reset). */
  halt(): void {
    this.#halted = true;
  }

  #resolveEntity(): void {
    const ref = this.#entity;
    let value: string;
    if (ref.startsWith("#")) {
      const code = ref[1] === "x"
        ? (/^[0-9a-fA-F]+$/.test(ref.slice(2)) ? parseInt(ref.slice(2), 16) : NaN)
        : (/^[0-9]+$/.test(ref.slice(1)) ? parseInt(ref.slice(1), 10) : NaN);
      if (!isXmlChar(code)) this.#fail(`Bad character reference &${ref};`);
      value = String.fromCodePoint(code);
    } else {
      const v = ENTITIES[ref];
      if (v === undefined) {
        if (!/^[A-Za-z_:][-A-Za-z0-9_:.]*$/.test(ref)) this.#fail("Bad entity reference");
        this.#fail(`Entity &${ref}; is not allowed`, "restricted-xml");
      }
      value = v;
    }
    this.#state = this.#returnState;
    if (this.#returnState === S_ATTR_VALUE || this.#keepsText()) this.#pushPart(enc.encode(value));
  }

  #startTag(empty: boolean): void {
    const name = this.#tagName;
    const attrs = this.#attrs;
    if (attrs.length > 2) {
      const seen = new Set<string>();
      for (let k = 0; k < attrs.length; k += 2) {
        if (seen.has(attrs[k])) this.#fail(`Duplicate attribute ${attrs[k]}`);
        seen.add(attrs[k]);
      }
    }
    if (this.#stack.length >= this.#maxDepth) {
      this.#fail(`Elements nested deeper than ${this.#maxDepth}`, "policy-violation");
    }
    this.#attrs = [];
    this.#state = S_TEXT;
    const wasRoot = !this.#started;
    this.#started = true;
    this.#stack.push(name);
    if (wasRoot || (empty && this.#stack.length === 2)) this.#stanzaStart = -1;
    this.#h.startElement(name, attrs);
    if (empty) this.#endTag(name);
  }

  #endTag(name: string): void {
    const open = this.#stack.pop();
    if (open !== name) this.#fail(`Mismatched end tag </${name}>, expected </${open}>`);
    this.#state = S_TEXT;
    if (this.#stack.length <= 1) this.#stanzaStart = -1;
    if (this.#stack.length === 0) this.#ended = true;
    this.#h.endElement(name);
  }
}
