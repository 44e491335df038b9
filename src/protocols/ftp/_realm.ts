/**
 * `BaseFTPRealm` and `FTPRealm` (Twisted's names): the cred realm that gives
 * the anonymous user a read-only shell and each user a shell rooted at their
 * home folder.
 * @module
 */
import { ANONYMOUS, type AvatarId } from "../../cred/_checkers.ts";
import type { InterfaceName } from "../../cred/_interfaces.ts";
import type { IRealm, LoginResult } from "../../cred/_portal.ts";
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { IFTPShell } from "./_interfaces.ts";
import { FTPAnonymousShell, FTPShell } from "./_shell.ts";

/** Options of `BaseFTPRealm` and `FTPRealm`. */
export interface FTPRealmOptions {
  /** The folder holding the users' homes (`FTPRealm`). @default "/home" */
  userHome?: string;
  /** The file system the shells use. @default getReactor().runtime */
  runtime?: RuntimeFileSystem;
}

/**
 * A realm whose subclasses say where a user's home is
 * (`getHomeDirectory`); anonymous logins get an `FTPAnonymousShell` on
 * `anonymousRoot` (Twisted's `BaseFTPRealm`).
 *
 * @example
 * ```ts
 * import { BaseFTPRealm } from "@tw/core/protocols/ftp";
 * class Homes extends BaseFTPRealm {
 *   getHomeDirectory(avatarId: string): string {
 *     return `/srv/ftp/users/${avatarId}`;
 *   }
 * }
 * const realm = new Homes("/srv/ftp/public");
 * ```
 */
export abstract class BaseFTPRealm implements IRealm {
  /** The folder the anonymous user sees as `/`. */
  readonly anonymousRoot: string;
  /** The file system the shells use, or null for the reactor's. */
  protected readonly runtime: RuntimeFileSystem | null;

  /**
   * Makes the realm.
   * @param anonymousRoot the anonymous user's root
   * @param options the file system
   */
  constructor(anonymousRoot: string, options: FTPRealmOptions = {}) {
    this.anonymousRoot = anonymousRoot;
    this.runtime = options.runtime ?? null;
  }

  /**
   * The home folder (a real path) of `avatarId`.
   * @param avatarId the logged-in user
   */
  abstract getHomeDirectory(avatarId: string): string;

  /** Gives an `IFTPShell`: anonymous or rooted at the user's home. */
  requestAvatar(
    avatarId: AvatarId,
    _mind: unknown,
    ...interfaces: InterfaceName[]
  ): LoginResult {
    if (!interfaces.includes(IFTPShell)) {
      throw new TypeError("BaseFTPRealm only gives IFTPShell avatars");
    }
    const options = this.runtime === null ? {} : { runtime: this.runtime };
    if (avatarId === ANONYMOUS) {
      return [IFTPShell, new FTPAnonymousShell(this.anonymousRoot, options), () => {}];
    }
    if (avatarId === "" || avatarId === "." || avatarId === ".." || /[/\0]/.test(avatarId)) {
      throw new TypeError(`No home for the user ${JSON.stringify(avatarId)}`);
    }
    return [IFTPShell, new FTPShell(this.getHomeDirectory(avatarId), options), () => {}];
  }
}

/**
 * The usual realm: anonymous on `anonymousRoot`, a user on
 * `userHome/<avatarId>` (Twisted's `FTPRealm`).
 *
 * @example
 * ```ts
 * import { FTPRealm } from "@tw/core/protocols/ftp";
 * const realm = new FTPRealm("/srv/ftp", { userHome: "/home" });
 * console.log(realm.getHomeDirectory("alice")); // "/home/alice"
 * ```
 */
export class FTPRealm extends BaseFTPRealm {
  /** The folder holding the users' homes. */
  readonly userHome: string;

  /**
   * Makes the realm.
   * @param anonymousRoot the anonymous user's root
   * @param options the folder of the homes and the file system
   */
  constructor(anonymousRoot: string, options: FTPRealmOptions = {}) {
    super(anonymousRoot, options);
    this.userHome = (options.userHome ?? "/home").replace(/\/+$/, "") || "/";
  }

  /** `userHome/<avatarId>`. */
  getHomeDirectory(avatarId: string): string {
    return `${this.userHome === "/" ? "" : this.userHome}/${avatarId}`;
  }
}
