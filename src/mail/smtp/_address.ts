/**
 * Mail addresses and header helpers: `Address`, `User`, `quoteaddr`, `messageid`,
 * `rfc822date`. Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import { AddressError } from "./_errors.ts";

// local-part: dot-atom or quoted string (RFC 5321 §4.1.2); SMTPUTF8 allows UTF-8 in atoms.
const ATOM = '[^\\s"(),.:;<>@\\[\\]\\\\\\x00-\\x1f\\x7f]+';
const LOCAL = `(?:${ATOM}(?:\\.${ATOM})*|"(?:[^"\\\\\\r\\n]|\\\\[\\x20-\\x7e])*")`;
const DOMAIN = `(?:\\[[^\\]\\s]+\\]|${ATOM}(?:\\.${ATOM})*)`;
const ADDR_RE = new RegExp(`^(?:(?:@${DOMAIN}(?:,@${DOMAIN})*):)?(${LOCAL})(?:@(${DOMAIN}))?$`);

/**
 * A parsed mail address (`twisted.mail.smtp.Address`): `local@domain`, with the angle
 * brackets and any source route (`@a,@b:`) of the SMTP path removed.
 *
 * @example
 * ```ts
 * import { Address } from "@tw/core/mail";
 * const a = new Address("<alice@example.com>");
 * console.log(a.local, a.domain, String(a)); // alice example.com alice@example.com
 * ```
 */
export class Address {
  /** The part before `@`. */
  readonly local: string;
  /** The part after `@` (the default domain, or "" when there is none). */
  readonly domain: string;

  /**
   * Parses `addr` (with or without `<>`); throws `AddressError` when it does not parse.
   * @param defaultDomain the domain for an address without one
   */
  constructor(addr: string | Address, defaultDomain: string | null = null) {
    if (addr instanceof Address) {
      this.local = addr.local;
      this.domain = addr.domain;
      return;
    }
    let s = addr.trim();
    if (s.startsWith("<") && s.endsWith(">")) s = s.slice(1, -1);
    else if (s.startsWith("<") || s.endsWith(">")) {
      throw new AddressError(`Unbalanced angle brackets in address ${JSON.stringify(addr)}`);
    }
    if (s === "") {
      this.local = "";
      this.domain = "";
      return;
    }
    const m = ADDR_RE.exec(s);
    if (m === null) throw new AddressError(`Cannot parse address ${JSON.stringify(addr)}`);
    this.local = m[1];
    this.domain = m[2] ?? defaultDomain ?? "";
  }

  /** `local@domain` (or `local` alone without a domain). */
  toString(): string {
    return this.domain === "" ? this.local : `${this.local}@${this.domain}`;
  }
}

/**
 * A recipient as the server hands it to `IMessageDelivery.validateTo`
 * (`twisted.mail.smtp.User`).
 *
 * @example
 * ```ts
 * import { Address, User } from "@tw/core/mail";
 * const u = new User(new Address("bob@example.com"), ["client.example", "192.0.2.1"], null,
 *   new Address("alice@example.com"));
 * console.log(String(u)); // bob@example.com
 * ```
 */
export class User {
  /** The recipient. */
  readonly dest: Address;
  /** The client's HELO/EHLO name and address. */
  readonly helo: [string, string] | null;
  /** The protocol instance that received the recipient. */
  readonly protocol: unknown;
  /** The sender of the message (MAIL FROM). */
  readonly orig: Address;

  /** Makes the recipient `dest` of a message from `orig`. */
  constructor(
    dest: Address | string,
    helo: [string, string] | null,
    protocol: unknown,
    orig: Address | string,
  ) {
    this.dest = new Address(dest);
    this.helo = helo;
    this.protocol = protocol;
    this.orig = new Address(orig);
  }

  /** The recipient's address as text. */
  toString(): string {
    return String(this.dest);
  }
}

/**
 * Wraps an address in angle brackets for an SMTP command (`quoteaddr`).
 *
 * @example
 * ```ts
 * import { quoteaddr } from "@tw/core/mail";
 * console.log(quoteaddr("Alice <alice@example.com>")); // <alice@example.com>
 * ```
 */
export function quoteaddr(addr: string | Address): string {
  if (addr instanceof Address) return `<${addr}>`;
  const m = /<([^<>]*)>/.exec(addr);
  return `<${(m ? m[1] : addr).trim()}>`;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number): string => String(n).padStart(2, "0");

/**
 * A date for a mail header (RFC 5322 §3.3, `rfc822date`), in UTC.
 *
 * @example
 * ```ts
 * import { rfc822date } from "@tw/core/mail";
 * console.log(rfc822date(new Date(0))); // Thu, 01 Jan 1970 00:00:00 +0000
 * ```
 */
export function rfc822date(date: Date = new Date()): string {
  return `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ` +
    `${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:` +
    `${pad(date.getUTCSeconds())} +0000`;
}

let counter = 0;

/**
 * A unique Message-ID value, `<time.random.counter@host>` (`messageid`).
 *
 * @example
 * ```ts
 * import { messageid } from "@tw/core/mail";
 * console.log(messageid(undefined, "mail.example").endsWith("@mail.example>")); // true
 * ```
 */
export function messageid(uniq?: string, hostname = "localhost"): string {
  const rand = Math.floor(Math.random() * 0x7fffffff).toString(36);
  const tail = uniq === undefined ? "" : `.${uniq}`;
  return `<${Date.now()}.${rand}.${counter++}${tail}@${hostname}>`;
}
