/**
 * Credentials checkers (`twisted.cred.checkers`).
 * @module
 */
import { Deferred, maybeDeferred } from "../internet/defer.ts";
import type { RuntimeFileSystem } from "../internet/socket.ts";
import { getReactor } from "../internet/reactor.ts";
import { Logger } from "../logger/mod.ts";
import { UnauthorizedLogin } from "./_errors.ts";
import {
  IAnonymous,
  type ICredentials,
  type InterfaceName,
  IUsernameHashedPassword,
  IUsernamePassword,
  providedBy,
} from "./_interfaces.ts";
import {
  hashPassword,
  type HashPasswordOptions,
  isHashedPassword,
  timingSafeEqualStrings,
  verifyPassword,
} from "./_hash.ts";

const log = new Logger("cred");

/** The avatar ID of anonymous logins (Twisted's `checkers.ANONYMOUS`). */
export const ANONYMOUS: unique symbol = Symbol("ANONYMOUS");

/** Who a checker says the credentials belong to: a username, or `ANONYMOUS`. */
export type AvatarId = string | typeof ANONYMOUS;

/** A credentials checker (`ICredentialsChecker`). */
export interface ICredentialsChecker {
  /** The credential interfaces it can check. */
  readonly credentialInterfaces: readonly InterfaceName[];
  /**
   * Checks `credentials`: resolves with the avatar ID, or fails with
   * `UnauthorizedLogin`.
   */
  requestAvatarId(credentials: ICredentials): AvatarId | PromiseLike<AvatarId>;
}

function usernameOf(credentials: ICredentials): string {
  return (credentials as { username?: unknown }).username as string;
}

/**
 * Lets anonymous logins through (`AllowAnonymousAccess`), with avatar ID `ANONYMOUS`.
 *
 * @example
 * ```ts
 * import {
 *   AllowAnonymousAccess,
 *   ANONYMOUS,
 *   Anonymous,
 *   interfaceName,
 *   Portal,
 * } from "@tw/core/cred";
 * import type { IRealm, LoginResult } from "@tw/core/cred";
 *
 * const IGuest = interfaceName<{ name: string }>("IGuest");
 * const realm: IRealm = {
 *   requestAvatar(id): LoginResult {
 *     return [IGuest, { name: id === ANONYMOUS ? "guest" : id }, () => {}];
 *   },
 * };
 * const portal = new Portal(realm, [new AllowAnonymousAccess()]);
 * const [, avatar] = await portal.login(new Anonymous(), null, IGuest);
 * console.log(avatar.name); // "guest"
 * ```
 */
export class AllowAnonymousAccess implements ICredentialsChecker {
  /** Checks `IAnonymous`. */
  readonly credentialInterfaces: readonly InterfaceName[] = [IAnonymous];

  /** Always succeeds with `ANONYMOUS`. */
  requestAvatarId(_credentials: ICredentials): Deferred<AvatarId> {
    return maybeDeferred((): AvatarId => ANONYMOUS);
  }
}

/**
 * Users and plaintext passwords kept in memory
 * (`InMemoryUsernamePasswordDatabaseDontUse`): for tests and examples only,
 * as the name says. Checks `IUsernamePassword` and `IUsernameHashedPassword`.
 *
 * @example
 * ```ts
 * import { InMemoryUsernamePasswordDatabaseDontUse, UsernamePassword } from "@tw/core/cred";
 * const checker = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" });
 * checker.addUser("bob", "hunter2");
 * console.log(await checker.requestAvatarId(new UsernamePassword("bob", "hunter2"))); // "bob"
 * ```
 */
export class InMemoryUsernamePasswordDatabaseDontUse implements ICredentialsChecker {
  /** Checks `IUsernamePassword` and `IUsernameHashedPassword`. */
  readonly credentialInterfaces: readonly InterfaceName[] = [
    IUsernamePassword,
    IUsernameHashedPassword,
  ];
  /** The users and their passwords. */
  readonly users: Map<string, string> = new Map();

  /**
   * Makes the database.
   * @param users initial users: username -> password
   */
  constructor(users: Record<string, string> = {}) {
    for (const [name, password] of Object.entries(users)) this.users.set(name, password);
  }

  /** Adds (or replaces) a user. */
  addUser(username: string, password: string): void {
    this.users.set(username, password);
  }

  /** Resolves with the username when the password matches; fails with `UnauthorizedLogin`. */
  requestAvatarId(credentials: ICredentials): Deferred<AvatarId> {
    const username = usernameOf(credentials);
    const password = this.users.get(username);
    if (password === undefined) {
      return maybeDeferred(() => {
        throw new UnauthorizedLogin();
      });
    }
    const check = credentials as unknown as {
      checkPassword(p: string): boolean | PromiseLike<boolean>;
    };
    return maybeDeferred(() => check.checkPassword(password)).addCallback((ok): AvatarId => {
      if (ok !== true) throw new UnauthorizedLogin();
      return username;
    });
  }
}

/**
 * How `FilePasswordDB` reads the password field: `"pbkdf2"` (the default:
 * hashes from `hashPassword`), `"plain"` (plaintext, also allowing
 * `IUsernameHashedPassword` credentials such as HTTP Digest), or a function
 * (Twisted's `hash`) turning the offered password into what is stored.
 */
export type PasswordHash =
  | "pbkdf2"
  | "plain"
  | ((username: string, password: string, stored: string) => string | PromiseLike<string>);

/** Options of `FilePasswordDB`. */
export interface FilePasswordDBOptions {
  /** The field separator. @default ":" */
  delim?: string;
  /** The index of the username field. @default 0 */
  usernameField?: number;
  /** The index of the password field. @default 1 */
  passwordField?: number;
  /** Compare usernames case-sensitively. @default true */
  caseSensitive?: boolean;
  /** How passwords are stored. @default "pbkdf2" */
  hash?: PasswordHash;
  /** Read the file once and keep it, rather than on every login. @default false */
  cache?: boolean;
  /** Reads the file. @default the installed reactor's runtime */
  runtime?: Pick<RuntimeFileSystem, "readFile">;
}

/**
 * A password file checker (`FilePasswordDB`): lines of `user:hash` (any
 * delimiter and field positions), `#` comments and blank lines skipped, read
 * through the runtime's file API. With the default `hash: "pbkdf2"` the
 * stored passwords are `hashPassword` strings (see `writePasswordFile`);
 * entries in any other form never match. An unreadable file fails every
 * login with `UnauthorizedLogin` (and is logged).
 *
 * @example
 * ```ts ignore
 * import { FilePasswordDB, Portal, writePasswordFile } from "@tw/core/cred";
 * import { reactor } from "@tw/core";
 *
 * await writePasswordFile(reactor.runtime, "/etc/myapp/passwd", { alice: "secret" });
 * const checker = new FilePasswordDB("/etc/myapp/passwd");
 * ```
 */
export class FilePasswordDB implements ICredentialsChecker {
  /** The file's path. */
  readonly path: string;
  /** The credentials it checks: `IUsernamePassword`, plus `IUsernameHashedPassword` with `hash: "plain"`. */
  readonly credentialInterfaces: readonly InterfaceName[];

  #delim: string;
  #usernameField: number;
  #passwordField: number;
  #caseSensitive: boolean;
  #hash: PasswordHash;
  #cache: boolean;
  #runtime: Pick<RuntimeFileSystem, "readFile"> | undefined;
  #cached: Map<string, string> | null = null;

  /**
   * Makes the checker; the file is read at the first login.
   * @param path the password file
   * @param options its format and how it is read
   */
  constructor(path: string, options: FilePasswordDBOptions = {}) {
    this.path = path;
    this.#delim = options.delim ?? ":";
    if (this.#delim === "") throw new RangeError("The FilePasswordDB delimiter cannot be empty");
    this.#usernameField = options.usernameField ?? 0;
    this.#passwordField = options.passwordField ?? 1;
    this.#caseSensitive = options.caseSensitive ?? true;
    this.#hash = options.hash ?? "pbkdf2";
    this.#cache = options.cache ?? false;
    this.#runtime = options.runtime;
    this.credentialInterfaces = this.#hash === "plain"
      ? [IUsernamePassword, IUsernameHashedPassword]
      : [IUsernamePassword];
  }

  #normalize(username: string): string {
    return this.#caseSensitive ? username : username.toLowerCase();
  }

  /** Reads and parses the file: normalized username -> stored password. */
  async #users(): Promise<Map<string, string>> {
    if (this.#cached !== null) return this.#cached;
    const runtime = this.#runtime ?? getReactor().runtime;
    const text = new TextDecoder().decode(await runtime.readFile(this.path));
    const users = new Map<string, string>();
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trimEnd();
      if (line === "" || line.startsWith("#")) continue;
      const fields = line.split(this.#delim);
      const name = fields[this.#usernameField];
      const stored = fields[this.#passwordField];
      if (name === undefined || stored === undefined) continue;
      const key = this.#normalize(name);
      if (!users.has(key)) users.set(key, stored);
    }
    if (this.#cache) this.#cached = users;
    return users;
  }

  /** Resolves with the username when the password matches; fails with `UnauthorizedLogin`. */
  requestAvatarId(credentials: ICredentials): Deferred<AvatarId> {
    return Deferred.fromPromise(this.#check(credentials));
  }

  async #check(credentials: ICredentials): Promise<AvatarId> {
    let users: Map<string, string>;
    try {
      users = await this.#users();
    } catch (error) {
      log.failure("Cannot read the password file {path}", error, "error", { path: this.path });
      throw new UnauthorizedLogin("Unable to access the password file", { cause: error });
    }
    const username = usernameOf(credentials);
    if (typeof username !== "string") throw new UnauthorizedLogin();
    const stored = users.get(this.#normalize(username));
    const hash = this.#hash;
    if (stored === undefined) {
      // Spend the same work as for a real user, so timing does not reveal who exists.
      const decoy = users.values().next().value;
      if (hash === "pbkdf2" && decoy !== undefined && providedBy(IUsernamePassword, credentials)) {
        await verifyPassword((credentials as IUsernamePassword).password, decoy).catch(() => false);
      }
      throw new UnauthorizedLogin();
    }
    let ok = false;
    if (providedBy(IUsernamePassword, credentials)) {
      const password = (credentials as IUsernamePassword).password;
      if (hash === "pbkdf2") {
        ok = isHashedPassword(stored) && await verifyPassword(password, stored).catch(() => false);
      } else if (hash === "plain") {
        ok = timingSafeEqualStrings(password, stored);
      } else {
        ok = timingSafeEqualStrings(await hash(username, password, stored), stored);
      }
    } else if (hash === "plain" && providedBy(IUsernameHashedPassword, credentials)) {
      ok = await (credentials as IUsernameHashedPassword).checkPassword(stored) === true;
    }
    if (!ok) throw new UnauthorizedLogin();
    return username;
  }
}

/** Options of `writePasswordFile`. */
export interface WritePasswordFileOptions extends HashPasswordOptions {
  /** The field separator. @default ":" */
  delim?: string;
  /** The file's permission bits. @default 0o600 */
  mode?: number;
}

/**
 * Writes a password file for `FilePasswordDB`: one `user:hash` line per user,
 * each password hashed with `hashPassword`, readable by the owner only.
 *
 * @param runtime the runtime's file API (`reactor.runtime`)
 * @param path where to write (replaced)
 * @param users username -> plaintext password
 * @param options hashing cost, delimiter and mode
 * @throws {RangeError} for a username containing the delimiter or a line break
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { FilePasswordDB, UsernamePassword, writePasswordFile } from "@tw/core/cred";
 *
 * const path = "passwd.example";
 * await writePasswordFile(reactor.runtime, path, { alice: "secret" });
 * const checker = new FilePasswordDB(path);
 * console.log(await checker.requestAvatarId(new UsernamePassword("alice", "secret"))); // "alice"
 * await reactor.runtime.remove(path);
 * ```
 */
export async function writePasswordFile(
  runtime: Pick<RuntimeFileSystem, "writeFile" | "chmod">,
  path: string,
  users: Record<string, string> | Iterable<readonly [string, string]>,
  options: WritePasswordFileOptions = {},
): Promise<void> {
  const { delim = ":", mode = 0o600, ...hashOptions } = options;
  const entries = Symbol.iterator in users
    ? [...users as Iterable<readonly [string, string]>]
    : Object.entries(users);
  const lines: string[] = [];
  for (const [username, password] of entries) {
    if (username === "" || username.includes(delim) || /[\r\n]/.test(username)) {
      throw new RangeError(`Invalid username for a password file: ${JSON.stringify(username)}`);
    }
    lines.push(`${username}${delim}${await hashPassword(password, hashOptions)}\n`);
  }
  await runtime.writeFile(path, lines.join(""), { mode });
  // writeFile's mode only applies to a new file: make an existing one private too.
  await runtime.chmod(path, mode);
}
