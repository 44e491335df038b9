/**
 * Mail domains as the mail service sees them (`twisted.mail.interfaces.IDomain`,
 * `IAliasableDomain`, `twisted.mail.mail.BounceDomain` and `DomainWithDefaultDict`).
 * Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import type { ICredentialsChecker } from "../../cred/_checkers.ts";
import type { Address, User } from "../smtp/_address.ts";
import { SMTPBadRcpt } from "../smtp/_errors.ts";
import type { IMessage, MaybeDeferred } from "../smtp/_interfaces.ts";
import type { IAlias } from "./_alias.ts";

/**
 * A domain the mail service accepts mail for (`IDomain`).
 *
 * `exists` answers for one recipient: it returns what makes that
 * recipient's `IMessage`, or throws / fails with `SMTPBadRcpt`. `memo` holds
 * the aliases already expanded (alias loops end there).
 */
export interface IDomain {
  /** What makes the recipient's message writer; throws or fails with `SMTPBadRcpt`. */
  exists(user: User, memo?: Set<string>): MaybeDeferred<() => IMessage>;
  /** Whether mail for `address` received over `protocol` would be relayed. */
  willRelay?(address: Address, protocol: unknown): boolean;
  /** Adds a user and its password. */
  addUser(user: string, password: string): MaybeDeferred<void>;
  /** The checkers for this domain's portal (POP3 and SMTP AUTH logins). */
  getCredentialsCheckers(): MaybeDeferred<ICredentialsChecker[]>;
}

/** A domain that can hold aliases (`IAliasableDomain`): `setAliasGroup` gives it the map. */
export interface IAliasableDomain extends IDomain {
  /** The aliases of the domain by local part (from `loadAliasFile`), or null. */
  alias: Record<string, IAlias> | null;
  /** Sets the aliases. */
  setAliasGroup(alias: Record<string, IAlias> | null): void;
}

/**
 * True when `domain` holds aliases (has `setAliasGroup`).
 *
 * @example
 * ```ts
 * import { BounceDomain, isAliasableDomain } from "@tw/core/mail";
 * console.log(isAliasableDomain(new BounceDomain())); // false
 * ```
 */
export function isAliasableDomain(domain: unknown): domain is IAliasableDomain {
  return typeof (domain as Partial<IAliasableDomain> | null)?.setAliasGroup === "function";
}

/**
 * A domain with no users (Twisted's `BounceDomain`): every recipient is
 * refused with 550, nothing is relayed. The default domain of a
 * `MailService`.
 *
 * @example
 * ```ts
 * import { Address, BounceDomain, SMTPBadRcpt, User } from "@tw/core/mail";
 * const domain = new BounceDomain();
 * try {
 *   domain.exists(new User(new Address("bob@nowhere.example"), null, null, ""));
 * } catch (e) {
 *   console.log(e instanceof SMTPBadRcpt); // true
 * }
 * ```
 */
export class BounceDomain implements IDomain {
  /** Refuses the recipient with `SMTPBadRcpt`. */
  exists(user: User, _memo?: Set<string>): never {
    throw new SMTPBadRcpt(user);
  }

  /** False: a bounce domain relays nothing. */
  willRelay(_address: Address, _protocol: unknown): boolean {
    return false;
  }

  /** Ignored: the domain has no users. */
  addUser(_user: string, _password: string): void {}

  /** No checkers. */
  getCredentialsCheckers(): ICredentialsChecker[] {
    return [];
  }
}

/**
 * Domain names to domains, with a default for every other name (Twisted's
 * `DomainWithDefaultDict`). Names are compared without regard to case (DNS
 * names are case-insensitive); `has` is always true, as in Twisted, since
 * `get` falls back to `default`.
 *
 * @example
 * ```ts
 * import { BounceDomain, DomainWithDefaultDict, type IDomain } from "@tw/core/mail";
 * const domains = new DomainWithDefaultDict<IDomain>(new Map(), new BounceDomain());
 * const local = new BounceDomain();
 * domains.set("Example.com", local);
 * console.log(domains.getItem("example.COM") === local); // true
 * console.log(domains.getItem("elsewhere.example") === domains.default); // true
 * console.log(domains.get("elsewhere.example")); // undefined
 * ```
 */
export class DomainWithDefaultDict<D = IDomain> {
  /** The named domains (lowercase names). */
  readonly domains: Map<string, D>;
  /** The domain for every other name. */
  default: D;

  /**
   * Makes the map.
   * @param domains named domains (names are lowercased)
   * @param defaultDomain the domain for every other name
   */
  constructor(domains: Map<string, D> | Record<string, D>, defaultDomain: D) {
    this.domains = new Map();
    const entries = domains instanceof Map ? domains.entries() : Object.entries(domains);
    for (const [name, domain] of entries) this.domains.set(name.toLowerCase(), domain);
    this.default = defaultDomain;
  }

  /** Sets the default domain (`setDefaultDomain`). */
  setDefaultDomain(domain: D): void {
    this.default = domain;
  }

  /** The domain named `name`, or the default (Python's `domains[name]`). */
  getItem(name: string): D {
    return this.domains.get(name.toLowerCase()) ?? this.default;
  }

  /** The domain named `name`, or `fallback` (Python's `domains.get(name, fallback)`). */
  get(name: string): D | undefined;
  /** The domain named `name`, or `fallback`. */
  get<F>(name: string, fallback: F): D | F;
  get<F>(name: string, fallback?: F): D | F | undefined {
    const found = this.domains.get(name.toLowerCase());
    return found === undefined ? fallback : found;
  }

  /** Always true: every name has a domain, the default at least. */
  has(_name: string): boolean {
    return true;
  }

  /** True when `name` has its own domain (not the default). */
  hasOwn(name: string): boolean {
    return this.domains.has(name.toLowerCase());
  }

  /** Names `domain` `name`. */
  set(name: string, domain: D): void {
    this.domains.set(name.toLowerCase(), domain);
  }

  /** Removes `name`'s own domain; false when it had none. */
  delete(name: string): boolean {
    return this.domains.delete(name.toLowerCase());
  }

  /** The number of named domains. */
  get size(): number {
    return this.domains.size;
  }

  /** The names. */
  keys(): IterableIterator<string> {
    return this.domains.keys();
  }

  /** The named domains. */
  values(): IterableIterator<D> {
    return this.domains.values();
  }

  /** The name and domain pairs. */
  entries(): IterableIterator<[string, D]> {
    return this.domains.entries();
  }

  /** The names (`for (const name of domains)`). */
  [Symbol.iterator](): IterableIterator<string> {
    return this.domains.keys();
  }

  /** A copy with the same default. */
  copy(): DomainWithDefaultDict<D> {
    return new DomainWithDefaultDict(new Map(this.domains), this.default);
  }
}
