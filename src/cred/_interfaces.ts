/**
 * Runtime names for cred's interfaces. TypeScript interfaces are erased, so
 * the things a portal matches on (which credentials a checker takes, which
 * avatar interface a client asks for) are values made by `interfaceName`.
 * @module
 */

// The key of InterfaceName's phantom property: it exists only for the type
// checker (never set at run time) and is not exported, so it stays out of the API.
declare const interfaceType: unique symbol;

/**
 * A named interface, as a runtime value (compared by identity). `T` is the
 * type it stands for, so `portal.login(..., IResource)` can type the avatar.
 */
export interface InterfaceName<T = unknown> {
  /** The interface's name, for messages. */
  readonly name: string;
  /**
   * Never set: carries `T` for the type checker.
   * @ignore
   */
  readonly [interfaceType]?: T;
}

/**
 * Makes a runtime interface name. Keep the result in a module-level
 * constant named like the interface.
 * @param name the interface's name
 * @returns a frozen value, equal only to itself
 * @example
 * ```ts
 * import { interfaceName } from "@tw/core/cred";
 * interface IMailbox { messages(): string[] }
 * const IMailbox = interfaceName<IMailbox>("IMailbox");
 * console.log(String(IMailbox)); // "IMailbox"
 * ```
 */
export function interfaceName<T = unknown>(name: string): InterfaceName<T> {
  return Object.freeze({ name, toString: () => name });
}

/** Credentials (`ICredentials`): they say which credential interfaces they provide. */
export interface ICredentials {
  /** The credential interfaces these credentials provide (e.g. `[IUsernamePassword]`). */
  readonly credentialInterfaces: readonly InterfaceName[];
}

/**
 * True when `credentials` provide `iface` (list it in their `credentialInterfaces`).
 *
 * @example
 * ```ts
 * import { IAnonymous, IUsernamePassword, providedBy, UsernamePassword } from "@tw/core/cred";
 * const creds = new UsernamePassword("alice", "secret");
 * console.log(providedBy(IUsernamePassword, creds)); // true
 * console.log(providedBy(IAnonymous, creds)); // false
 * ```
 */
export function providedBy(iface: InterfaceName, credentials: unknown): boolean {
  const provided = (credentials as Partial<ICredentials> | null | undefined)?.credentialInterfaces;
  return Array.isArray(provided) && provided.includes(iface);
}

/** A username and a plaintext password (`IUsernamePassword`). */
export interface IUsernamePassword extends ICredentials {
  /** The username. */
  readonly username: string;
  /** The password as given. */
  readonly password: string;
  /** True when `password` is the right one (compared in constant time). */
  checkPassword(password: string): boolean | PromiseLike<boolean>;
}

/**
 * A username and a password a checker cannot see, only test
 * (`IUsernameHashedPassword`): HTTP Digest, CRAM-MD5 ...
 */
export interface IUsernameHashedPassword extends ICredentials {
  /** The username. */
  readonly username: string;
  /** True when the plaintext `password` matches what the client proved. */
  checkPassword(password: string): boolean | PromiseLike<boolean>;
}

/** No credentials at all (`IAnonymous`). */
export type IAnonymous = ICredentials;

/** The credential interface of `UsernamePassword`. */
export const IUsernamePassword: InterfaceName<IUsernamePassword> = interfaceName(
  "IUsernamePassword",
);
/** The credential interface of `UsernameHashedPassword` and digest credentials. */
export const IUsernameHashedPassword: InterfaceName<IUsernameHashedPassword> = interfaceName(
  "IUsernameHashedPassword",
);
/** The credential interface of `Anonymous`. */
export const IAnonymous: InterfaceName<IAnonymous> = interfaceName("IAnonymous");
