/**
 * The mail service (`twisted.mail.mail.MailService`) and the delivery it gives
 * SMTP sessions (`twisted.mail.protocols.ESMTPDomainDelivery`): domains, their
 * portals, the SMTP portal, the relay queue, and the factories for SMTP, ESMTP,
 * LMTP and POP3. Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import { MultiService, Service } from "../../application/_service.ts";
import type { AvatarId, ICredentialsChecker } from "../../cred/_checkers.ts";
import { ANONYMOUS } from "../../cred/_checkers.ts";
import { UnauthorizedLogin, UnhandledCredentials } from "../../cred/_errors.ts";
import {
  type ICredentials,
  type InterfaceName,
  IUsernameHashedPassword,
  IUsernamePassword,
  providedBy,
} from "../../cred/_interfaces.ts";
import { type LoginResult, Portal } from "../../cred/_portal.ts";
import type { Deferred } from "../../internet/defer.ts";
import { maybeDeferred } from "../../internet/defer.ts";
import type { IDelayedCall, IReactorTime } from "../../internet/interfaces.ts";
import { getReactor } from "../../internet/reactor.ts";
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { Logger } from "../../logger/mod.ts";
import { POP3Factory, type POP3Options } from "../pop3/_server.ts";
import { type Address, rfc822date, type User } from "../smtp/_address.ts";
import { SMTPBadSender } from "../smtp/_errors.ts";
import { ESMTP, SMTPFactory } from "../smtp/_esmtp.ts";
import { type IMessage, IMessageDelivery } from "../smtp/_interfaces.ts";
import { LMTP } from "../smtp/_lmtp.ts";
import type { SMTPFactoryOptions } from "../smtp/_options.ts";
import { SMTP } from "../smtp/_server.ts";
import type { IAlias } from "./_alias.ts";
import { BounceDomain, DomainWithDefaultDict, type IDomain, isAliasableDomain } from "./_domain.ts";
import { DomainQueuer, type Queue } from "./_queue.ts";

const log = new Logger("tw.mail");

const clean = (s: string, max = 255): string =>
  s.replace(/[^\x21-\x7e]/g, "?").slice(0, max) || "unknown";

/**
 * The delivery for one SMTP session of a `MailService` (Twisted's
 * `DomainDeliveryBase`): recipients go to their domain (`domains`); an
 * authenticated session's mail for other domains goes to the relay queue
 * when the service has one. `user` is the authenticated user, or null.
 *
 * @example
 * ```ts
 * import { Address, ESMTPDomainDelivery, MailService } from "@tw/core/mail";
 * const delivery = new ESMTPDomainDelivery(new MailService(), null, "mx.example.com");
 * const header = delivery.receivedHeader(["client.example", "192.0.2.1"],
 *   new Address("a@example.org"), []);
 * console.log(header.startsWith("Received: from client.example ([192.0.2.1]")); // true
 * ```
 */
export class DomainDeliveryBase implements IMessageDelivery {
  /** The mail service. */
  readonly service: MailService;
  /** The authenticated user, or null. */
  readonly user: string | null;
  /** This server's name. */
  readonly host: string;
  /** The protocol name in `Received:` ("SMTP" or "ESMTP"). */
  protocolName = "SMTP";

  /**
   * Makes the delivery.
   * @param service the mail service
   * @param user the authenticated user, or null
   * @param host this server's name
   */
  constructor(service: MailService, user: string | null, host: string = service.hostname) {
    this.service = service;
    this.user = user;
    this.host = host;
  }

  /** The `Received:` header (RFC 5321 §4.4; `with` per RFC 3848: ESMTPS, ESMTPA...). */
  receivedHeader(helo: [string, string] | null, _origin: Address, recipients: User[]): string {
    const [name, ip] = helo ?? ["unknown", ""];
    const auth = this.user !== null ? ` auth=${clean(this.user)}` : "";
    const protocol = recipients[0]?.protocol as { secure?: boolean } | undefined;
    const esmtp = this.protocolName.startsWith("E") || this.protocolName.startsWith("L");
    const withName = this.protocolName +
      (esmtp && protocol?.secure ? "S" : "") + (esmtp && this.user !== null ? "A" : "");
    const rcpt = recipients.length === 1 ? `\n\tfor <${clean(String(recipients[0]))}>` : "";
    return `Received: from ${clean(name)} ([${clean(ip, 64)}] helo=${clean(name)}${auth})\n` +
      `\tby ${clean(this.host)} with ${withName} (@tw/core)${rcpt};\n\t${rfc822date()}`;
  }

  /** The recipient's domain's message maker; fails with `SMTPBadRcpt`. */
  validateTo(user: User): Promise<() => IMessage> {
    let domain: IDomain;
    if (this.user !== null && this.service.queue !== null) {
      domain = this.service.domains.get(user.dest.domain) ??
        new DomainQueuer(this.service, true);
    } else domain = this.service.domains.getItem(user.dest.domain);
    return Promise.resolve().then(() => domain.exists(user));
  }

  /** Needs HELO, and a domain in a non-null sender (501). */
  validateFrom(helo: [string, string] | null, origin: Address): Address {
    if (helo === null) throw new SMTPBadSender(origin, 503, "Who are you?  Say HELO first.");
    if (origin.local !== "" && origin.domain === "") {
      throw new SMTPBadSender(origin, 501, "Sender address must contain domain.");
    }
    return origin;
  }
}

/**
 * `DomainDeliveryBase` for SMTP (Twisted's `SMTPDomainDelivery`).
 *
 * @example
 * ```ts
 * import { MailService, SMTPDomainDelivery } from "@tw/core/mail";
 * console.log(new SMTPDomainDelivery(new MailService(), null).protocolName); // SMTP
 * ```
 */
export class SMTPDomainDelivery extends DomainDeliveryBase {
  /** "SMTP". */
  override protocolName = "SMTP";
}

/**
 * `DomainDeliveryBase` for ESMTP (Twisted's `ESMTPDomainDelivery`): what the
 * service's realm gives SMTP sessions.
 *
 * @example
 * ```ts
 * import { ESMTPDomainDelivery, MailService } from "@tw/core/mail";
 * console.log(new ESMTPDomainDelivery(new MailService(), "alice@example.com").user);
 * // alice@example.com
 * ```
 */
export class ESMTPDomainDelivery extends DomainDeliveryBase {
  /** "ESMTP". */
  override protocolName = "ESMTP";
}

interface NamedCredentials extends ICredentials {
  username: string;
  password?: string;
  checkPassword(password: string): boolean | PromiseLike<boolean>;
}

/** `user@domain` split at the last `@`; the domain lowercased. */
function splitUser(name: string): [string, string] {
  const at = name.lastIndexOf("@");
  return at < 0 ? [name, ""] : [name.slice(0, at), name.slice(at + 1).toLowerCase()];
}

/** The same credentials under another username. */
function renamed(credentials: NamedCredentials, username: string): NamedCredentials {
  const copy: NamedCredentials = {
    credentialInterfaces: credentials.credentialInterfaces,
    username,
    checkPassword: (password) => credentials.checkPassword(password),
  };
  if (typeof credentials.password === "string") copy.password = credentials.password;
  return copy;
}

const hasUsername = (c: ICredentials): c is NamedCredentials =>
  typeof (c as Partial<NamedCredentials>).username === "string" &&
  typeof (c as Partial<NamedCredentials>).checkPassword === "function";

/**
 * The portal of POP3 logins (Twisted's `VirtualPOP3`): `user@domain` logs in
 * as `user` at the domain's portal; a name without `@` at the default
 * domain's (the one added as ""). Unknown domains fail with `UnauthorizedLogin`.
 */
class VirtualPortal extends Portal {
  #service: MailService;

  constructor(service: MailService) {
    super({
      requestAvatar: () => {
        throw new UnauthorizedLogin();
      },
    });
    this.#service = service;
  }

  override login<T = unknown>(
    credentials: ICredentials,
    mind: unknown,
    ...interfaces: InterfaceName<T>[]
  ): Deferred<LoginResult<T>> {
    return maybeDeferred(() => {
      if (!hasUsername(credentials)) throw new UnauthorizedLogin();
      const [user, domain] = splitUser(credentials.username);
      const portal = this.#service.portals.get(domain);
      if (portal === undefined) throw new UnauthorizedLogin();
      return portal.login(renamed(credentials, user), mind, ...interfaces);
    });
  }
}

/**
 * The SMTP portal's checker for usernames (ours): `user@domain` is checked by
 * the domain's checkers, other names by the checkers registered on the
 * portal (`--auth`), in order. The avatar ID is the name given.
 */
class MailChecker implements ICredentialsChecker {
  readonly credentialInterfaces: readonly InterfaceName[] = [
    IUsernamePassword,
    IUsernameHashedPassword,
  ];
  readonly extra: ICredentialsChecker[] = [];
  #service: MailService;

  constructor(service: MailService) {
    this.#service = service;
  }

  async requestAvatarId(credentials: ICredentials): Promise<AvatarId> {
    if (!hasUsername(credentials)) throw new UnauthorizedLogin();
    const [user, domain] = splitUser(credentials.username);
    if (domain !== "" && this.#service.domainCheckers.has(domain)) {
      const checkers = this.#service.domainCheckers.get(domain)!;
      const renamedCredentials = renamed(credentials, user);
      for (const checker of checkers) {
        if (!checker.credentialInterfaces.some((i) => providedBy(i, credentials))) continue;
        try {
          await checker.requestAvatarId(renamedCredentials);
          return `${user}@${domain}`;
        } catch {
          // the next checker may know the user
        }
      }
      throw new UnauthorizedLogin();
    }
    for (const checker of this.extra) {
      if (!checker.credentialInterfaces.some((i) => providedBy(i, credentials))) continue;
      try {
        return await checker.requestAvatarId(credentials);
      } catch {
        // the next checker may know the user
      }
    }
    throw new UnauthorizedLogin();
  }
}

/**
 * The SMTP portal of a `MailService`: its realm is the service; domain users
 * log in as `user@domain`; `registerChecker` adds checkers for the other
 * names (tried in order) and for anonymous logins.
 */
class MailPortal extends Portal {
  #checker: MailChecker;

  constructor(service: MailService) {
    super(service);
    this.#checker = new MailChecker(service);
    super.registerChecker(this.#checker);
  }

  override registerChecker(checker: ICredentialsChecker, ...interfaces: InterfaceName[]): void {
    const list = interfaces.length > 0 ? interfaces : [...checker.credentialInterfaces];
    const mine = list.filter((i) => this.#checker.credentialInterfaces.includes(i));
    const others = list.filter((i) => !mine.includes(i));
    if (mine.length > 0) this.#checker.extra.push(checker);
    if (others.length > 0) super.registerChecker(checker, ...others);
  }
}

/** A file watched by `FileMonitoringService`. */
export interface WatchedFile {
  /** Seconds between checks. */
  interval: number;
  /** The file. */
  name: string;
  /** Called with the name when the file changed. */
  callback: (name: string) => void;
  /** The modification time last seen (ms; 0 when missing). */
  mtime: number;
  /** When the next check is due (the clock's seconds). */
  next: number;
}

/**
 * Calls back when watched files change (Twisted's `FileMonitoringService`):
 * each file's modification time is checked every `interval` seconds while
 * the service runs.
 *
 * @example
 * ```ts
 * import { FileMonitoringService } from "@tw/core/mail";
 * const monitor = new FileMonitoringService();
 * await monitor.monitorFile("/etc/aliases", (name) => console.log(`${name} changed`), 10);
 * monitor.unmonitorFile("/etc/aliases");
 * ```
 */
export class FileMonitoringService extends Service {
  /** The files watched. */
  readonly files: WatchedFile[] = [];
  #clock: IReactorTime | undefined;
  #fs: RuntimeFileSystem | undefined;
  #call: IDelayedCall | null = null;

  /**
   * Makes the service.
   * @param options the clock and the file system (default: the reactor's)
   */
  constructor(options: { clock?: IReactorTime; runtime?: RuntimeFileSystem } = {}) {
    super();
    this.#clock = options.clock;
    this.#fs = options.runtime;
  }

  get #reactorClock(): IReactorTime {
    return this.#clock ?? getReactor();
  }

  async #mtime(name: string): Promise<number> {
    try {
      return (await (this.#fs ?? getReactor().runtime).stat(name)).mtime?.getTime() ?? 0;
    } catch {
      return 0;
    }
  }

  /** Watches `name`; `callback(name)` runs when its modification time grows. */
  async monitorFile(name: string, callback: (name: string) => void, interval = 10): Promise<void> {
    const mtime = await this.#mtime(name);
    const next = this.#reactorClock.seconds() + interval;
    this.files.push({ interval, name, callback, mtime, next });
    if (this.running) this.#schedule();
  }

  /** Stops watching `name`. */
  unmonitorFile(name: string): void {
    const i = this.files.findIndex((f) => f.name === name);
    if (i >= 0) this.files.splice(i, 1);
  }

  /** Starts checking. */
  override startService(): void {
    super.startService();
    this.#schedule();
  }

  /** Stops checking. */
  override stopService(): void {
    super.stopService();
    this.#call?.cancel();
    this.#call = null;
  }

  #schedule(): void {
    this.#call?.cancel();
    this.#call = null;
    if (!this.running || this.files.length === 0) return;
    const clock = this.#reactorClock;
    const next = Math.min(...this.files.map((f) => f.next));
    this.#call = clock.callLater(Math.max(0, next - clock.seconds()), () => {
      this.#call = null;
      this.#check().finally(() => this.#schedule());
    });
  }

  async #check(): Promise<void> {
    const now = this.#reactorClock.seconds();
    for (const file of [...this.files]) {
      if (file.next > now) continue;
      file.next = now + file.interval;
      const mtime = await this.#mtime(file.name);
      if (mtime <= file.mtime) continue;
      file.mtime = mtime;
      log.info("{name} changed, notifying listener", { name: file.name });
      try {
        file.callback(file.name);
      } catch (error) {
        log.error("File monitor callback for {name} failed: {error}", {
          name: file.name,
          error: String(error),
        });
      }
    }
  }
}

/** An `SMTPFactory` making `LMTP` (its own name, for the logs). */
class LMTPFactory extends SMTPFactory {}

/** Options of `MailService`. */
export interface MailServiceOptions {
  /**
   * This server's name (greetings, `Received:`, bounces).
   * @default "localhost"
   */
  hostname?: string;
  /**
   * The clock and file system of the file monitor.
   * @default the reactor's
   */
  clock?: IReactorTime;
  /**
   * The file system of the file monitor.
   * @default the reactor's runtime
   */
  runtime?: RuntimeFileSystem;
}

/**
 * An e-mail service (Twisted's `MailService`): the domains mail is accepted
 * for (`domains`, a `DomainWithDefaultDict` whose default is a
 * `BounceDomain`), a portal per domain for POP3 (`portals`), the SMTP portal
 * (`smtpPortal`: its realm is the service, which gives sessions an
 * `ESMTPDomainDelivery`; domain users log in as `user@domain`), the relay
 * queue (`setQueue`), and the factories. Authenticated sessions relay through
 * the queue; nobody else does.
 *
 * @example
 * ```ts
 * import { MailService, MaildirDirdbmDomain } from "@tw/core/mail";
 * import { reactor } from "@tw/core";
 * const service = new MailService({ hostname: "mx.example.com" });
 * const domain = new MaildirDirdbmDomain(service, "/tmp/tw-mail-example/example.com");
 * await service.addDomain("example.com", domain);
 * await domain.addUser("alice", "secret");
 * const smtp = reactor.listenTCP(0, service.getESMTPFactory(), { interface: "127.0.0.1" });
 * const pop3 = reactor.listenTCP(0, service.getPOP3Factory(), { interface: "127.0.0.1" });
 * await smtp.stopListening();
 * await pop3.stopListening();
 * ```
 */
export class MailService extends MultiService {
  /** The domains by name; others get the default (a `BounceDomain` unless set). */
  readonly domains: DomainWithDefaultDict<IDomain>;
  /** A portal per domain name (POP3 logins). */
  readonly portals: Map<string, Portal> = new Map();
  /** The checkers of each domain (SMTP AUTH as `user@domain`). */
  readonly domainCheckers: Map<string, ICredentialsChecker[]> = new Map();
  /** The aliases given to domains added later, or null. */
  aliases: Record<string, IAlias> | null = null;
  /** The SMTP portal; its realm is this service. */
  readonly smtpPortal: Portal;
  /** The relay queue, or null (no relaying). */
  queue: Queue | null = null;
  /** Watches files (the aliases file). */
  readonly monitor: FileMonitoringService;
  /** This server's name. */
  hostname: string;
  #pop3Portal: Portal;
  #locks = new Set<string>();

  /**
   * Makes the service.
   * @param options the host name, clock and file system
   */
  constructor(options: MailServiceOptions = {}) {
    super();
    this.hostname = options.hostname ?? "localhost";
    this.domains = new DomainWithDefaultDict<IDomain>(new Map(), new BounceDomain());
    this.monitor = new FileMonitoringService(options);
    this.monitor.setServiceParent(this);
    this.smtpPortal = new MailPortal(this);
    this.#pop3Portal = new VirtualPortal(this);
  }

  /**
   * Adds a domain mail is accepted for, and its portal; the name "" makes it
   * the default domain's portal too (POP3 names without `@`). Resolves once
   * the domain's checkers are registered.
   */
  async addDomain(name: string, domain: IDomain): Promise<void> {
    const key = name.toLowerCase();
    const portal = new Portal(domain as unknown as ConstructorParameters<typeof Portal>[0]);
    this.domains.set(key, domain);
    this.portals.set(key, portal);
    if (this.aliases !== null && isAliasableDomain(domain)) domain.setAliasGroup(this.aliases);
    const checkers = await domain.getCredentialsCheckers();
    for (const checker of checkers) portal.registerChecker(checker);
    this.domainCheckers.set(key, checkers);
  }

  /** Sets the relay queue. */
  setQueue(queue: Queue | null): void {
    this.queue = queue;
  }

  /** The SMTP realm: an `ESMTPDomainDelivery` for the avatar (null user when anonymous). */
  requestAvatar(avatarId: AvatarId, _mind: unknown, ...interfaces: InterfaceName[]): LoginResult {
    if (!interfaces.includes(IMessageDelivery)) {
      throw new UnhandledCredentials("The mail service only gives IMessageDelivery");
    }
    const user = avatarId === ANONYMOUS ? null : String(avatarId);
    return [IMessageDelivery, new ESMTPDomainDelivery(this, user), () => {}];
  }

  /** The portal of domain `name`; throws `RangeError` for an unknown domain. */
  lookupPortal(name: string): Portal {
    const portal = this.portals.get(name.toLowerCase());
    if (portal === undefined) throw new RangeError(`No portal for domain ${name}`);
    return portal;
  }

  /** The portal of the default domain (added as ""). */
  defaultPortal(): Portal {
    return this.lookupPortal("");
  }

  /** A POP3 factory: `user@domain` logs in at the domain's portal. */
  getPOP3Factory(options: POP3Options = {}): POP3Factory {
    return new POP3Factory({ locks: this.#locks, ...options, portal: this.#pop3Portal });
  }

  /** An SMTP (no extensions) factory over the SMTP portal. */
  getSMTPFactory(options: SMTPFactoryOptions = {}): SMTPFactory {
    return this.#factory(SMTP, options);
  }

  /** An ESMTP factory over the SMTP portal (AUTH as a domain user or an `--auth` user). */
  getESMTPFactory(options: SMTPFactoryOptions = {}): SMTPFactory {
    return this.#factory(ESMTP, options);
  }

  /**
   * An LMTP factory (RFC 2033) for a front MTA: local delivery to the
   * domains, without login (and so never relaying), whatever the SMTP
   * portal allows.
   */
  getLMTPFactory(options: SMTPFactoryOptions = {}): SMTPFactory {
    const delivery = new DomainDeliveryBase(this, null);
    delivery.protocolName = "LMTP";
    return new LMTPFactory({
      domain: this.hostname,
      ...options,
      portal: null,
      delivery,
      protocol: LMTP,
    });
  }

  #factory(protocol: typeof SMTP, options: SMTPFactoryOptions): SMTPFactory {
    return new SMTPFactory({
      domain: this.hostname,
      ...options,
      portal: this.smtpPortal,
      protocol,
    });
  }
}
