/**
 * IMAP over the domains of a `MailService` (what `tw mail --imap` serves):
 * `user@domain` logs in with the domain's checkers and gets that user's
 * maildir as a `MaildirAccount`. Private: re-exported by `mod.ts`.
 * @module
 */
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { getReactor } from "../../internet/reactor.ts";
import { type Deferred, maybeDeferred } from "../../internet/defer.ts";
import { type LoginResult, Portal } from "../../cred/_portal.ts";
import { UnauthorizedLogin } from "../../cred/_errors.ts";
import type { ICredentials, InterfaceName } from "../../cred/_interfaces.ts";
import type { MailService } from "../service/_service.ts";
import { IAccount } from "./_interfaces.ts";
import { MaildirAccount } from "./_maildir.ts";
import { IMAP4ServerFactory, type IMAP4ServerOptions } from "./_server.ts";

interface Named extends ICredentials {
  username: string;
  password?: string;
  checkPassword(password: string): boolean | PromiseLike<boolean>;
}

const named = (c: ICredentials): c is Named =>
  typeof (c as Partial<Named>).username === "string" &&
  typeof (c as Partial<Named>).checkPassword === "function";

/**
 * The portal of IMAP logins over a `MailService`: `user@domain` (or `user` for
 * the default domain) is checked by the domain's checkers; the avatar is the
 * user's maildir as a `MaildirAccount`.
 *
 * @example
 * ```ts
 * import { MailService } from "@tw/core/mail";
 * import { IMAP4ServerFactory, MailServiceIMAP4Portal } from "@tw/core/mail/imap4";
 * const service = new MailService({ hostname: "mx.example.com" });
 * const factory = new IMAP4ServerFactory({ portal: new MailServiceIMAP4Portal(service) });
 * ```
 */
export class MailServiceIMAP4Portal extends Portal {
  #service: MailService;
  #fs: RuntimeFileSystem | undefined;

  /**
   * Makes the instance.
   * @param service the mail service and its domains
   * @param fs the file system (default: the reactor's runtime)
   */
  constructor(service: MailService, fs?: RuntimeFileSystem) {
    super({
      requestAvatar: () => {
        throw new UnauthorizedLogin();
      },
    });
    this.#service = service;
    this.#fs = fs;
  }

  /** Logs `user@domain` in at its domain. */
  override login<T = unknown>(
    credentials: ICredentials,
    _mind: unknown,
    ...interfaces: InterfaceName<T>[]
  ): Deferred<LoginResult<T>> {
    return maybeDeferred(async () => {
      if (!interfaces.includes(IAccount as InterfaceName<T>) || !named(credentials)) {
        throw new UnauthorizedLogin();
      }
      const at = credentials.username.lastIndexOf("@");
      const user = at < 0 ? credentials.username : credentials.username.slice(0, at);
      const domainName = at < 0 ? "" : credentials.username.slice(at + 1).toLowerCase();
      const checkers = this.#service.domainCheckers.get(domainName);
      const domain = this.#service.domains.get(domainName) as
        | { userDirectory?: (name: string) => Promise<string | null> }
        | undefined;
      if (checkers === undefined || typeof domain?.userDirectory !== "function") {
        throw new UnauthorizedLogin();
      }
      const copy: Named = {
        credentialInterfaces: credentials.credentialInterfaces,
        username: user,
        checkPassword: (password) => credentials.checkPassword(password),
      };
      if (typeof credentials.password === "string") copy.password = credentials.password;
      let avatarId: unknown = null;
      for (const checker of checkers) {
        if (!checker.credentialInterfaces.some((i) => copy.credentialInterfaces.includes(i))) {
          continue;
        }
        try {
          avatarId = await checker.requestAvatarId(copy);
          break;
        } catch {
          // the next checker may know the user
        }
      }
      if (typeof avatarId !== "string") throw new UnauthorizedLogin();
      const dir = await domain.userDirectory(avatarId);
      if (dir === null) throw new UnauthorizedLogin();
      const account = new MaildirAccount(this.#fs ?? getReactor().runtime, dir);
      return [IAccount, account, () => {}] as unknown as LoginResult<T>;
    });
  }
}

/**
 * An `IMAP4ServerFactory` over a `MailService`'s domains (Twisted's
 * `MailService` has none; the issue names it `getIMAP4Factory`).
 *
 * @example
 * ```ts
 * import { MailService } from "@tw/core/mail";
 * import { getIMAP4Factory } from "@tw/core/mail/imap4";
 * import { reactor } from "@tw/core";
 * const service = new MailService({ hostname: "mx.example.com" });
 * const port = reactor.listenTCP(0, getIMAP4Factory(service), { interface: "127.0.0.1" });
 * await port.stopListening();
 * ```
 * @param service the mail service
 * @param options the server options (the portal is made here)
 * @param fs the file system (default: the reactor's runtime)
 */
export function getIMAP4Factory(
  service: MailService,
  options: IMAP4ServerOptions = {},
  fs?: RuntimeFileSystem,
): IMAP4ServerFactory {
  return new IMAP4ServerFactory({ ...options, portal: new MailServiceIMAP4Portal(service, fs) });
}
