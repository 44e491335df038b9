/**
 * Domain names: the `Name` class, and the conversion between the text form
 * (dotted labels with RFC 1035 escapes, `\.` and `\DDD`) and wire labels.
 *
 * @module
 */
import { sameBytes } from "../../internet/_bytes.ts";

/** The longest label (RFC 1035 s2.3.4). */
export const MAX_LABEL = 63;
/** The longest name on the wire, length bytes and root included. */
export const MAX_NAME = 255;

const DOT = 0x2e, BACKSLASH = 0x5c;

/** Bytes that the text form escapes with a backslash, as dig and nsd do. */
function needsBackslash(byte: number): boolean {
  return byte === 0x2e || byte === 0x5c || byte === 0x22 || byte === 0x28 || byte === 0x29 ||
    byte === 0x3b || byte === 0x40 || byte === 0x24;
}

/**
 * Splits a name's text form into wire labels, checking the RFC 1035 lengths.
 * `""`, `"."` and `"@"`-free absolute names (trailing dot) are accepted.
 * @throws SyntaxError for an empty label, a label over 63 bytes or a name over 255
 */
export function textToLabels(text: string): Uint8Array[] {
  if (text === "" || text === ".") return [];
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  let total = 1;
  const end = text.length;
  for (let i = 0; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c === DOT) {
      if (current.length === 0) {
        if (i === end - 1 && labels.length > 0) break; // the trailing dot
        throw new SyntaxError(`Empty label in the name ${JSON.stringify(text)}`);
      }
      labels.push(finishLabel(current, text));
      total += current.length + 1;
      current = [];
      continue;
    }
    if (c === BACKSLASH) {
      const d = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        c = Number(d);
        if (c > 255) throw new SyntaxError(`Bad escape \\${d} in the name ${JSON.stringify(text)}`);
        i += 3;
      } else if (i + 1 < end) {
        c = text.charCodeAt(++i);
      } else {
        throw new SyntaxError(`Name ends in a backslash: ${JSON.stringify(text)}`);
      }
    }
    if (c > 0xff) throw new SyntaxError(`Non-ASCII character in the name ${JSON.stringify(text)}`);
    current.push(c);
  }
  if (current.length > 0) {
    labels.push(finishLabel(current, text));
    total += current.length + 1;
  }
  if (total > MAX_NAME) {
    throw new SyntaxError(`Name longer than ${MAX_NAME} bytes: ${text.slice(0, 40)}...`);
  }
  return labels;
}

function finishLabel(bytes: number[], text: string): Uint8Array {
  if (bytes.length > MAX_LABEL) {
    throw new SyntaxError(`Label longer than ${MAX_LABEL} bytes in the name ${text.slice(0, 80)}`);
  }
  return Uint8Array.from(bytes);
}

/** The text form of one wire label (bytes `start` to `end` of `bytes`). */
export function labelToText(bytes: Uint8Array, start: number, end: number): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b <= 0x20 || b >= 0x7f || needsBackslash(b)) {
      plain = false;
      break;
    }
  }
  if (plain) return String.fromCharCode.apply(null, bytes.subarray(start, end) as never);
  let out = "";
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b <= 0x20 || b >= 0x7f) out += "\\" + String(b).padStart(3, "0");
    else if (needsBackslash(b)) out += "\\" + String.fromCharCode(b);
    else out += String.fromCharCode(b);
  }
  return out;
}

/** ASCII lower case, the only case folding DNS does (RFC 4343). */
export function lowerName(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : text;
}

/** The text of a name without its trailing dot; `""` for the root. */
export function normalizeName(text: string): string {
  if (text === ".") return "";
  if (text.endsWith(".") && !text.endsWith("\\.")) return text.slice(0, -1);
  return text;
}

let trusting = false;

/** A Name from text the decoder produced: valid by construction, labels parsed on demand. */
export function trustedName(text: string): Name {
  trusting = true;
  return new Name(text);
}

/**
 * A domain name (Twisted's `dns.Name`). `name` is its text form without the
 * trailing dot (`""` for the root), with RFC 1035 escapes for dots inside
 * labels and unprintable bytes. Comparison ignores ASCII case.
 *
 * @example
 * ```ts
 * import { Name } from "@tw/core/names";
 * const name = new Name("WWW.Example.com.");
 * console.log(name.name, name.equals("www.example.com")); // WWW.Example.com true
 * console.log(name.isSubdomainOf("example.com")); // true
 * ```
 */
export class Name {
  /** The text form, without the trailing dot. */
  readonly name: string;
  #labels: Uint8Array[] | null = null;

  /**
   * Makes a name from its text form (or copies a Name).
   * @throws SyntaxError if a label is empty or too long, or the name too long
   */
  constructor(name: string | Name = "") {
    if (name instanceof Name) {
      this.name = name.name;
      this.#labels = name.#labels;
      return;
    }
    this.name = normalizeName(name);
    if (trusting) {
      trusting = false;
      return;
    }
    if (this.name.endsWith(".") && !this.name.endsWith("\\.")) {
      throw new SyntaxError(`Empty label in the name ${JSON.stringify(name)}`);
    }
    this.#labels = textToLabels(this.name);
  }

  /** The wire labels, root excluded. */
  labels(): Uint8Array[] {
    return this.#labels ??= textToLabels(this.name);
  }

  /** The lower-cased text form, the key names are compared and indexed by. */
  key(): string {
    return lowerName(this.name);
  }

  /** True if `other` is the same name, ignoring ASCII case. */
  equals(other: Name | string): boolean {
    const text = other instanceof Name ? other.name : normalizeName(other);
    return this.name === text || lowerName(this.name) === lowerName(text);
  }

  /** True if this name is `parent` or below it. */
  isSubdomainOf(parent: Name | string): boolean {
    const p = lowerName(parent instanceof Name ? parent.name : normalizeName(parent));
    const me = lowerName(this.name);
    if (p === "" || me === p) return true;
    if (!me.includes("\\")) return me.endsWith("." + p);
    const mine = new Name(me).labels(), theirs = new Name(p).labels();
    const skip = mine.length - theirs.length;
    if (skip <= 0) return false;
    return theirs.every((label, i) => sameBytes(label, mine[skip + i]));
  }

  /** The text form with no trailing dot (`"."` for the root is `""`). */
  toString(): string {
    return this.name;
  }
}
