/**
 * `@tw/core/cred`: Twisted's pluggable authentication (`twisted.cred`).
 *
 * A `Portal` joins a realm (which makes avatars: the objects a logged-in
 * user acts through) with checkers (which turn credentials into an avatar
 * ID). Protocols call `portal.login(credentials, mind, ...interfaces)` and
 * get `[interface, avatar, logout]`. Interfaces are runtime values made by
 * `interfaceName`, since TypeScript interfaces are erased; credentials list
 * the credential interfaces they provide in `credentialInterfaces`.
 *
 * Stored passwords are hashed with PBKDF2-HMAC-SHA256 from WebCrypto
 * (`hashPassword`, `pbkdf2-sha256$ITERATIONS$SALT$HASH`); scrypt and Argon2
 * are not in WebCrypto, and the core takes no dependencies.
 *
 * @example
 * ```ts
 * import {
 *   ANONYMOUS,
 *   AllowAnonymousAccess,
 *   Anonymous,
 *   InMemoryUsernamePasswordDatabaseDontUse,
 *   interfaceName,
 *   Portal,
 *   UnauthorizedLogin,
 *   UsernamePassword,
 * } from "@tw/core/cred";
 * import type { AvatarId, IRealm, LoginResult } from "@tw/core/cred";
 *
 * interface IUser { name: string }
 * const IUser = interfaceName<IUser>("IUser");
 * const realm: IRealm = {
 *   requestAvatar(id: AvatarId): LoginResult {
 *     return [IUser, { name: id === ANONYMOUS ? "guest" : id }, () => {}];
 *   },
 * };
 * const users = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" });
 * const portal = new Portal(realm, [users, new AllowAnonymousAccess()]);
 *
 * const [, alice] = await portal.login(new UsernamePassword("alice", "secret"), null, IUser);
 * const [, guest] = await portal.login(new Anonymous(), null, IUser);
 * console.log(alice.name, guest.name); // "alice guest"
 * await portal.login(new UsernamePassword("alice", "wrong"), null, IUser).then(
 *   () => {},
 *   (e) => console.log(e instanceof UnauthorizedLogin), // true
 * );
 * ```
 * @module
 */
// Importing this entry point alone installs the reactor its defaults use
// (`getReactor()`), as Twisted's `from twisted.internet import reactor` does.
import "../../runtimes/select.ts";
export { LoginDenied, LoginFailed, UnauthorizedLogin, UnhandledCredentials } from "./_errors.ts";
export {
  IAnonymous,
  type ICredentials,
  type InterfaceName,
  interfaceName,
  IUsernameHashedPassword,
  IUsernamePassword,
  providedBy,
} from "./_interfaces.ts";
export { Anonymous, UsernameHashedPassword, UsernamePassword } from "./_credentials.ts";
export { CramMD5Credentials } from "./_cram_md5.ts";
export { saslPrep } from "./_scram.ts";
export { ISSHPrivateKey, SSHPrivateKey } from "./_ssh_credentials.ts";
export {
  AllowAnonymousAccess,
  ANONYMOUS,
  type AvatarId,
  FilePasswordDB,
  type FilePasswordDBOptions,
  type ICredentialsChecker,
  InMemoryUsernamePasswordDatabaseDontUse,
  type PasswordHash,
  writePasswordFile,
  type WritePasswordFileOptions,
} from "./_checkers.ts";
export {
  DEFAULT_ITERATIONS,
  hashPassword,
  type HashPasswordOptions,
  isHashedPassword,
  timingSafeEqual,
  verifyPassword,
} from "./_hash.ts";
export { type IRealm, type LoginResult, type Logout, Portal } from "./_portal.ts";
export {
  type DigestAlgorithm,
  DigestCredentialFactory,
  type DigestCredentialFactoryOptions,
  DigestedCredentials,
  IUsernameDigestHash,
  parseDigestParams,
} from "./_digest.ts";
