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

/** Options of `MaildirDirdbmDomain`. */
export interface MaildirDirdbmDomainOptions {
  /**
   * Deliver mail for unknown users to the `postmaster` user instead of refusing it.
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

const safeName = (name: string): boolean =>
  name !== "" && !name.includes("/") && !name.includes("\0") && !name.startsWith(".");

/**
 * Twisted's `MaildirDirdbmDomain`: users in `root/passwd` (a `DirDBM`), mail in
 * `root/USER/{cur,new,tmp}`. It is the realm for POP3 (`requestAvatar` gives
 * the user's `MaildirMailbox`), its checker is `getCredentialsCheckers()`, and
 * `exists(user)` gives SMTP a `MaildirMessage` for a known recipient.
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
export class MaildirDirdbmDomain {
  /** The mail service this domain belongs to (kept for Twisted's shape). */
  readonly service: unknown;
  /** The domain directory. */
  readonly root: string;
  /** Whether unknown users' mail goes to `postmaster`. */
  readonly postmaster: boolean;
  #fs: RuntimeFileSystem;
  #quota: number | undefined;
  #dbm: Promise<DirDBM> | null = null;

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
    let user = name;
    if (!safeName(user) || !(await (await this.dbm()).has(user))) {
      if (!this.postmaster) return null;
      user = "postmaster";
    }
    const dir = `${this.root}/${user}`;
    await initializeMaildir(this.#fs, dir);
    return dir;
  }

  /** Adds (or changes) a user and its password. */
  async addUser(user: string, password: string): Promise<void> {
    if (!safeName(user)) throw new TypeError(`Invalid user name ${JSON.stringify(user)}`);
    await (await this.dbm()).set(user, password);
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
   * For SMTP: what makes the recipient's message writer, or null for an unknown
   * user (the SMTP side refuses it).
   * @param user the recipient's local part
   * @param address the full address for the `Delivered-To` header
   */
  async exists(user: string, address?: string): Promise<(() => MaildirMessage) | null> {
    const dir = await this.userDirectory(user);
    if (dir === null) return null;
    return () => new MaildirMessage(this.#fs, dir, { address, quota: this.#quota });
  }
}
