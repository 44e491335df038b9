/**
 * Credentials (`twisted.cred.credentials`).
 * @module
 */
import {
  IAnonymous,
  type InterfaceName,
  IUsernameHashedPassword,
  IUsernamePassword,
} from "./_interfaces.ts";
import { timingSafeEqualStrings } from "./_hash.ts";

/**
 * A username and a plaintext password (`UsernamePassword`).
 * @example
 * ```ts
 * import { UsernamePassword } from "@tw/core/cred";
 * const creds = new UsernamePassword("alice", "secret");
 * console.log(creds.checkPassword("secret")); // true
 * ```
 */
export class UsernamePassword implements IUsernamePassword {
  /** Provides `IUsernamePassword`. */
  readonly credentialInterfaces: readonly InterfaceName[] = [IUsernamePassword];
  /** The username. */
  readonly username: string;
  /** The password. */
  readonly password: string;

  /**
   * Makes the credentials.
   * @param username the username
   * @param password the plaintext password
   */
  constructor(username: string, password: string) {
    this.username = username;
    this.password = password;
  }

  /** True when `password` equals the one given (constant-time). */
  checkPassword(password: string): boolean {
    return timingSafeEqualStrings(password, this.password);
  }
}

/**
 * A username and a password already hashed by the client's protocol
 * (`UsernameHashedPassword`): the checker passes the plaintext it knows to
 * `checkPassword`, which compares it with `hashed` (constant-time). Twisted's
 * class compares them directly too; protocols with a real challenge (HTTP
 * Digest) provide their own credentials.
 *
 * @example
 * ```ts
 * import { UsernameHashedPassword } from "@tw/core/cred";
 * const creds = new UsernameHashedPassword("alice", "5ebe2294ecd0e0f08eab7690d2a6ee69");
 * console.log(creds.checkPassword("5ebe2294ecd0e0f08eab7690d2a6ee69")); // true
 * ```
 */
export class UsernameHashedPassword implements IUsernameHashedPassword {
  /** Provides `IUsernameHashedPassword`. */
  readonly credentialInterfaces: readonly InterfaceName[] = [IUsernameHashedPassword];
  /** The username. */
  readonly username: string;
  /** The value to compare with. */
  readonly hashed: string;

  /**
   * Makes the credentials.
   * @param username the username
   * @param hashed the value the client sent
   */
  constructor(username: string, hashed: string) {
    this.username = username;
    this.hashed = hashed;
  }

  /** True when `password` equals `hashed` (constant-time). */
  checkPassword(password: string): boolean {
    return timingSafeEqualStrings(password, this.hashed);
  }
}

/**
 * No credentials (`Anonymous`): accepted by `AllowAnonymousAccess`.
 *
 * @example
 * ```ts
 * import { AllowAnonymousAccess, ANONYMOUS, Anonymous } from "@tw/core/cred";
 * const id = await new AllowAnonymousAccess().requestAvatarId(new Anonymous());
 * console.log(id === ANONYMOUS); // true
 * ```
 */
export class Anonymous implements IAnonymous {
  /** Provides `IAnonymous`. */
  readonly credentialInterfaces: readonly InterfaceName[] = [IAnonymous];
}
