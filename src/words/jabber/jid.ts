/**
 * Twisted's `twisted.words.protocols.jabber.jid`: Jabber IDs (`JID`,
 * `parse`, `prep`, `internJID`, `InvalidFormat`), prepared per RFC 7622
 * (PRECIS) rather than Twisted's stringprep, and stricter than Twisted: the
 * final dot of the domain is dropped, an empty localpart or resourcepart is
 * refused.
 *
 * @example
 * ```ts
 * import { jid } from "@tw/core/words/jabber";
 * const j = jid.internJID("Juliet@Example.COM./balcony");
 * console.log(j.full(), j.userhost()); // "juliet@example.com/balcony" "juliet@example.com"
 * ```
 * @module
 */

/**
 * The string is not a valid JID (Twisted's `InvalidFormat`).
 *
 * @example
 * ```ts
 * import { jid } from "@tw/core/words/jabber";
 * try {
 *   jid.parse("@example.com");
 * } catch (e) {
 *   console.log(e instanceof jid.InvalidFormat); // true
 * }
 * ```
 */
export class InvalidFormat extends Error {
  /**
   * Makes the error.
   * @param message what is wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "InvalidFormat";
  }
}

const enc = new TextEncoder();
const MAX_PART = 1023;

function bytes(s: string): number {
  return enc.encode(s).length;
}

/** Width mapping (fullwidth and halfwidth forms to their decompositions), as PRECIS asks. */
function widthMap(s: string): string {
  return s.replace(/[\uff01-\uffef]/g, (c) => c.normalize("NFKC"));
}

const LETTER_DIGIT = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;

/**
 * Prepares a localpart: PRECIS UsernameCaseMapped (RFC 7613/8265) as RFC 7622
 * asks: width-mapped, lower-cased, NFC, IdentifierClass characters only, and
 * none of `"&'/:<>@`.
 *
 * @example
 * ```ts
 * import { jid } from "@tw/core/words/jabber";
 * console.log(jid.nodeprep("Ｊuliet")); // "juliet"
 * ```
 */
export function nodeprep(user: string): string {
  const out = widthMap(user).toLowerCase().normalize("NFC");
  if (out === "") throw new InvalidFormat("Empty localpart");
  if (bytes(out) > MAX_PART) throw new InvalidFormat("Localpart longer than 1023 bytes");
  for (const c of out) {
    const code = c.codePointAt(0)!;
    if (code < 0x80) {
      if (code <= 0x20 || code === 0x7f || `"&'/:<>@`.includes(c)) {
        throw new InvalidFormat(`Invalid character in localpart: ${JSON.stringify(c)}`);
      }
    } else if (!LETTER_DIGIT.test(c)) {
      throw new InvalidFormat(`Invalid character in localpart: ${JSON.stringify(c)}`);
    }
  }
  return out;
}

/**
 * Prepares a domainpart (RFC 7622 §3.2): IDNA dots mapped, the final dot
 * dropped, lower-cased, NFC; an IP literal in brackets kept; labels of at
 * most 63 bytes, letters, digits and hyphens (non-ASCII letters allowed).
 *
 * @example
 * ```ts
 * import { jid } from "@tw/core/words/jabber";
 * console.log(jid.nameprep("Example.COM.")); // "example.com"
 * ```
 */
export function nameprep(host: string): string {
  let out = host.replace(/[\u3002\uff0e\uff61]/g, ".");
  if (out.endsWith(".")) out = out.slice(0, -1);
  out = widthMap(out).toLowerCase().normalize("NFC");
  if (out === "") throw new InvalidFormat("Empty domainpart");
  if (bytes(out) > MAX_PART) throw new InvalidFormat("Domainpart longer than 1023 bytes");
  if (out.startsWith("[")) {
    if (!/^\[[0-9a-f:.]+\]$/.test(out)) throw new InvalidFormat(`Invalid IP literal ${out}`);
    return out;
  }
  for (const label of out.split(".")) {
    if (label === "") throw new InvalidFormat("Empty label in domainpart");
    if (bytes(label) > 63) throw new InvalidFormat("Domain label longer than 63 bytes");
    if (label.startsWith("-") || label.endsWith("-")) {
      throw new InvalidFormat(`Domain label starts or ends with a hyphen: ${label}`);
    }
    for (const c of label) {
      if (/[a-z0-9_-]/.test(c)) continue;
      if (c.codePointAt(0)! >= 0x80 && LETTER_DIGIT.test(c)) continue;
      throw new InvalidFormat(`Invalid character in domainpart: ${JSON.stringify(c)}`);
    }
  }
  return out;
}

/**
 * Prepares a resourcepart: PRECIS OpaqueString (RFC 8265): non-ASCII spaces
 * mapped to a space, NFC, no control characters, not empty.
 *
 * @example
 * ```ts
 * import { jid } from "@tw/core/words/jabber";
 * console.log(jid.resourceprep("Balcony\u00a0Room")); // "Balcony Room"
 * ```
 */
export function resourceprep(resource: string): string {
  const out = resource.replace(/\p{Zs}/gu, " ").normalize("NFC");
  if (out === "") throw new InvalidFormat("Empty resourcepart");
  if (bytes(out) > MAX_PART) throw new InvalidFormat("Resourcepart longer than 1023 bytes");
  if (/[\p{Cc}\p{Cs}\ufffe\uffff]/u.test(out)) {
    throw new InvalidFormat("Invalid character in resourcepart");
  }
  return out;
}

/** `[user, host, resource]`; user and resource may be null. */
export type JIDTuple = [user: string | null, host: string, resource: string | null];

/**
 * Prepares the three parts (`prep`).
 *
 * @example
 * ```ts
 * import { jid } from "@tw/core/words/jabber";
 * console.log(jid.prep("User", "HOST", "Res")); // ["user", "host", "Res"]
 * ```
 */
export function prep(user: string | null, host: string, resource: string | null): JIDTuple {
  return [
    user === null ? null : nodeprep(user),
    nameprep(host),
    resource === null ? null : resourceprep(resource),
  ];
}

/**
 * Splits and prepares a JID string (`parse`).
 *
 * @example
 * ```ts
 * import { jid } from "@tw/core/words/jabber";
 * console.log(jid.parse("juliet@example.com/a/b")); // ["juliet", "example.com", "a/b"]
 * ```
 */
export function parse(jidstring: string): JIDTuple {
  let user: string | null = null;
  let host: string;
  let resource: string | null = null;
  const res = jidstring.indexOf("/");
  const head = res < 0 ? jidstring : jidstring.slice(0, res);
  if (res >= 0) {
    resource = jidstring.slice(res + 1);
    if (resource === "") throw new InvalidFormat("Empty resourcepart");
  }
  const at = head.indexOf("@");
  if (at >= 0) {
    user = head.slice(0, at);
    if (user === "") throw new InvalidFormat("Empty localpart");
    host = head.slice(at + 1);
  } else host = head;
  return prep(user, host, resource);
}

/**
 * A Jabber ID (Twisted's `JID`): `new JID("user@host/resource")` or
 * `new JID(null, [user, host, resource])`. Parts are prepared; two JIDs are
 * `equals` when their full forms are.
 *
 * @example
 * ```ts
 * import { jid } from "@tw/core/words/jabber";
 * const j = new jid.JID("romeo@montague.net/orchard");
 * console.log(j.user, j.host, j.resource); // "romeo" "montague.net" "orchard"
 * console.log(j.userhostJID().full()); // "romeo@montague.net"
 * ```
 */
export class JID {
  /** The localpart, or null. */
  readonly user: string | null;
  /** The domainpart. */
  readonly host: string;
  /** The resourcepart, or null. */
  readonly resource: string | null;

  /**
   * Parses `str`, or prepares `tuple`.
   * @throws InvalidFormat when it is not a valid JID
   */
  constructor(str?: string | null, tuple?: JIDTuple) {
    if (str != null) [this.user, this.host, this.resource] = parse(str);
    else if (tuple) [this.user, this.host, this.resource] = prep(...tuple);
    else throw new TypeError("JID needs a string or a tuple");
  }

  /** `user@host`, or `host` (`userhost`). */
  userhost(): string {
    return this.user !== null ? `${this.user}@${this.host}` : this.host;
  }

  /** The bare JID: this one without its resource (`userhostJID`). */
  userhostJID(): JID {
    return this.resource === null ? this : internJID(this.userhost());
  }

  /** `user@host/resource`, parts left out when missing (`full`). */
  full(): string {
    const uh = this.userhost();
    return this.resource !== null ? `${uh}/${this.resource}` : uh;
  }

  /** True when `other` is the same JID (Python's `==`). */
  equals(other: unknown): boolean {
    return other instanceof JID && other.user === this.user && other.host === this.host &&
      other.resource === this.resource;
  }

  /** The full JID. */
  toString(): string {
    return this.full();
  }
}

const cache = new Map<string, JID>();
const MAX_CACHED = 10_000;

/**
 * The JID for `jidstring`, cached (`internJID`).
 *
 * @example
 * ```ts
 * import { jid } from "@tw/core/words/jabber";
 * console.log(jid.internJID("a@b") === jid.internJID("a@b")); // true
 * ```
 */
export function internJID(jidstring: string): JID {
  let j = cache.get(jidstring);
  if (j === undefined) {
    j = new JID(jidstring);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(jidstring, j);
  }
  return j;
}
