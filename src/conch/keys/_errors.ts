/**
 * The errors of keys and host key checks (`twisted.conch.error` and
 * `twisted.conch.ssh.keys`'s).
 * @module
 */

/**
 * Key data that cannot be read, or a key that cannot do what was asked
 * (`BadKeyError`).
 *
 * @example
 * ```ts
 * import { BadKeyError, Key } from "@tw/core/conch/keys";
 * try {
 *   Key.fromString("not a key");
 * } catch (e) {
 *   console.log(e instanceof BadKeyError); // true
 * }
 * ```
 */
export class BadKeyError extends Error {
  /** The error's name. */
  override name = "BadKeyError";
}

/**
 * A private key that is encrypted and was given no passphrase, or the wrong
 * one (`EncryptedKeyError`).
 *
 * @example
 * ```ts
 * import { EncryptedKeyError } from "@tw/core/conch/keys";
 * console.log(new EncryptedKeyError("Passphrase must be provided").name); // "EncryptedKeyError"
 * ```
 */
export class EncryptedKeyError extends Error {
  /** The error's name. */
  override name = "EncryptedKeyError";
}

/**
 * The host key offered differs from the one known_hosts holds for that host
 * (`HostKeyChanged`): possibly a man-in-the-middle. `lineno` and `path` say
 * where the stored key is, when it came from a file.
 *
 * @example
 * ```ts
 * import { HostKeyChanged } from "@tw/core/conch/keys";
 * const error = new HostKeyChanged("host key changed", "/home/me/.ssh/known_hosts", 3);
 * console.log(error.lineno); // 3
 * ```
 */
export class HostKeyChanged extends Error {
  /** The error's name. */
  override name = "HostKeyChanged";
  /** The known_hosts file holding the other key, if any. */
  readonly path: string | null;
  /** Its line number (from 1), if known. */
  readonly lineno: number | null;

  /**
   * Makes the error.
   * @param message what happened
   * @param path the known_hosts file
   * @param lineno the line of the stored key
   */
  constructor(message: string, path: string | null = null, lineno: number | null = null) {
    super(message);
    this.path = path;
    this.lineno = lineno;
  }
}

/**
 * The user refused an unknown host key (`UserRejectedKey`).
 *
 * @example
 * ```ts
 * import { UserRejectedKey } from "@tw/core/conch/keys";
 * console.log(new UserRejectedKey().name); // "UserRejectedKey"
 * ```
 */
export class UserRejectedKey extends Error {
  /** The error's name. */
  override name = "UserRejectedKey";
}

/**
 * The public key offered without a signature is acceptable
 * (`ValidPublicKey`): the server answers `SSH_MSG_USERAUTH_PK_OK` and waits
 * for the signed request.
 *
 * @example
 * ```ts
 * import { ValidPublicKey } from "@tw/core/conch/keys";
 * console.log(new ValidPublicKey().name); // "ValidPublicKey"
 * ```
 */
export class ValidPublicKey extends Error {
  /** The error's name. */
  override name = "ValidPublicKey";
}
