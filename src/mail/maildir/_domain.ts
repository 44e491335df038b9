/**
 * A mail domain over Twisted's layout (`twisted.mail.maildir.MaildirDirdbmDomain`):
 * `root/passwd` a `DirDBM` of users and passwords, `root/USER/` each user's
 * maildir. A realm for POP3 and a recipient check for SMTP.
 * Private: re-exported by the pop3 `mod.ts`.
 * @module
 */
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { getReactor } from "../../internet/reactor.ts";
import type { AvatarId, ICredentialsChecker } from "../../cred/_checkers.ts";
import type { InterfaceName } from "../../cred/_interfaces.ts";
import type { LoginResult } from "../../cred/_portal.ts";
import { DirDBM, DirdbmDatabase } from "./_dirdbm.ts";
import { initializeMaildir, MaildirMailbox, MaildirMessage } from "./_maildir.ts";
import { IMailbox } from "../pop3/_interfaces.ts";
import type { Address, User } from "../smtp/_address.ts";
import { SMTPBadRcpt } from "../smtp/_errors.ts";
import type { IMessage } from "../smtp/_interfaces.ts";
import type { IAlias } from "../service/_alias.ts";
import { PendingMessage } from "../service/_alias_messages.ts";
import type { IAliasableDomain } from "../service/_domain.ts";

/** Options of `MaildirDirdbmDomain`. */
export interface MaildirDirdbmDomainOptions {
  /**
   * Deliver mail for unknown users (and unknown aliases) to the `postmaster`
   * user instead of refusing it.
   * @default false
   */
  postmaster?: boolean;
  /**
   * The file system.
   * @default the installed reactor's runtime
   */
  runtime?: RuntimeFileSystem;
  /**
   * Largest total of stored messages per user, in octets.
   * @default undefined
   */
  quota?: number;
}

const USER_CACHE_MS = 2000;
const USER_CACHE_MAX = 10000;

const safeName = (name: string): boolean =>
  name !== "" && !name.includes("/") && !name.includes("\0") && !name.startsWith(".");

/**
 * Twisted's `MaildirDirdbmDomain`: users in `root/passwd` (a `DirDBM`), mail in
 * `root/USER/{cur,new,tmp}`. It is the realm for POP3 (`requestAvatar` gives
 * the user's `MaildirMailbox`), its checker is `getCredentialsCheckers()`, and
 * `exists(user)` gives SMTP a `MaildirMessage` for a known recipient (an
 * `IAliasableDomain`: a user first, then an alias of `setAliasGroup`, then
 * `postmaster` when set; Twisted never looks at aliases with `postmaster` set).
 *
 * @example
 * ```ts
 * import { MaildirDirdbmDomain, POP3Factory } from "@tw/core/mail/pop3";
 * import { Portal } from "@tw/core/cred";
 * const domain = new MaildirDirdbmDomain(null, "/tmp/mail/example.com");
 * await domain.addUser("alice", "secret");
 * const portal = new Portal(domain, await domain.getCredentialsCheckers());
 * const factory = new POP3Factory({ portal });
 * ```
 */
export class MaildirDirdbmDomain implements IAliasableDomain {
  /** The mail service this domain belongs to (kept for Twisted's shape). */
  readonly service: unknown;
  /** The domain directory. */
  readonly root: string;
  /** Whether unknown users' mail goes to `postmaster`. */
  postmaster: boolean;
  /** The aliases of the domain (from `loadAliasFile`), or null. */
  alias: Record<string, IAlias> | null = null;
  #fs: RuntimeFileSystem;
  #quota: number | undefined;
  #dbm: Promise<DirDBM> | null = null;
  #users = new Map<string, number>();
  #made = new Map<string, Promise<void>>();

  /**
   * Makes the instance.
   * @param service the mail service (or null)
   * @param root the domain directory
   * @param options postmaster, runtime and quota
   */
  constructor(service: unknown, root: string, options: MaildirDirdbmDomainOptions = {}) {
    this.service = service;
    this.root = root.replace(/\/+$/, "");
    this.postmaster = options.postmaster ?? false;
    this.#fs = options.runtime ?? getReactor().runtime;
    this.#quota = options.quota;
  }

  /** The `passwd` database. */
  dbm(): Promise<DirDBM> {
    return this.#dbm ??= DirDBM.open(this.#fs, `${this.root}/passwd`);
  }

  /** The maildir for `name` (created if needed), the postmaster's for an unknown user when set, or null. */
  async userDirectory(name: string): Promise<string | null> {
    return (await this.#knownUser(name)) ??
      (this.postmaster ? await this.#maildir("postmaster") : null);
  }

  async #knownUser(name: string): Promise<string | null> {
    if (!safeName(name)) return null;
    // A user seen lately is not looked up again (one file read less per recipient);
    // users added or removed by another process are seen within USER_CACHE_MS.
    const seen = this.#users.get(name);
    if (seen === undefined || seen < Date.now()) {
      if (!(await (await this.dbm()).has(name))) {
        this.#users.delete(name);
        return null;
      }
      if (this.#users.size >= USER_CACHE_MAX) this.#users.clear();
      this.#users.set(name, Date.now() + USER_CACHE_MS);
    }
    return await this.#maildir(name);
  }

  async #maildir(user: string): Promise<string> {
    const dir = `${this.root}/${user}`;
    let made = this.#made.get(dir);
    if (made === undefined) {
      // One creation per maildir, however many deliveries wait for it.
      if (this.#made.size >= USER_CACHE_MAX) this.#made.clear();
      made = initializeMaildir(this.#fs, dir);
      this.#made.set(dir, made);
      made.catch(() => this.#made.delete(dir));
    }
    await made;
    return dir;
  }

  /** Sets the aliases (`IAliasableDomain`); null removes them. */
  setAliasGroup(alias: Record<string, IAlias> | null): void {
    this.alias = alias;
  }

  /** Adds (or changes) a user and its password. */
  async addUser(user: string, password: string): Promise<void> {
    if (!safeName(user)) throw new TypeError(`Invalid user name ${JSON.stringify(user)}`);
    await (await this.dbm()).set(user, password);
    this.#users.delete(user);
  }

  /** The checkers for a `Portal`: one `DirdbmDatabase` over `passwd`. */
  async getCredentialsCheckers(): Promise<ICredentialsChecker[]> {
    return [new DirdbmDatabase(await this.dbm())];
  }

  /** Gives the authenticated user's mailbox as `IMailbox`; fails for another interface. */
  async requestAvatar(
    avatarId: AvatarId,
    _mind: unknown,
    ...interfaces: InterfaceName[]
  ): Promise<LoginResult> {
    if (!interfaces.includes(IMailbox)) throw new TypeError("No supported avatar interface");
    const dir = typeof avatarId === "string" ? await this.userDirectory(avatarId) : null;
    if (dir === null) throw new TypeError("No mailbox for this user");
    return [IMailbox, await MaildirMailbox.open(this.#fs, dir), () => {}];
  }

  /**
   * For SMTP (`IDomain.exists`): what makes the recipient's message writer,
   * a `MaildirMessage` with a `Delivered-To` header. An unknown user is looked
   * up in the aliases, then given to `postmaster` when set; otherwise it is
   * refused with `SMTPBadRcpt`.
   * @param user the recipient
   * @param memo the aliases already expanded
   */
  async exists(user: User, memo?: Set<string>): Promise<() => IMessage> {
    const local = user.dest.local;
    const address = String(user.dest);
    const known = await this.#knownUser(local);
    if (known !== null) return this.#writer(known, address);
    const aliases = this.alias;
    const key = local.toLowerCase();
    if (aliases !== null && Object.hasOwn(aliases, key)) {
      const postmaster = this.postmaster ? await this.#maildir("postmaster") : null;
      const resolve = async (seen: Set<string>): Promise<IMessage | null> => {
        const message = await aliases[key].resolve(aliases, seen);
        const empty = message === null || (message as { objs?: unknown[] }).objs?.length === 0;
        if (!empty) return message;
        return postmaster === null ? null : this.#writer(postmaster, address)();
      };
      if (memo !== undefined) {
        // Another alias leads here: resolve now, as Twisted does.
        const message = await resolve(memo);
        if (message === null) throw new SMTPBadRcpt(user);
        return () => message;
      }
      // From SMTP: resolved at DATA (nothing, a process for one, starts for a
      // transaction that is never sent).
      return () => new PendingMessage(() => resolve(new Set()));
    }
    if (this.postmaster) return this.#writer(await this.#maildir("postmaster"), address);
    throw new SMTPBadRcpt(user);
  }

  #writer(dir: string, address: string): () => IMessage {
    return () => {
      const message = new MaildirMessage(this.#fs, dir, { address, quota: this.#quota });
      return {
        lineReceived: (line) => message.lineReceived(line),
        connectionLost: () => message.connectionLost(),
        // A failed delivery may be a removed maildir: made again next time.
        eomReceived: () =>
          message.eomReceived().catch((error) => {
            this.#made.delete(dir);
            throw error;
          }),
      };
    };
  }

  /** False: a maildir domain relays nothing. */
  willRelay(_address: Address, _protocol: unknown): boolean {
    return false;
  }
}
