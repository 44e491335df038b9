/**
 * Login errors (`twisted.cred.error`).
 * @module
 */

/**
 * A login failed (`LoginFailed`): the base of the errors below.
 *
 * @example
 * ```ts
 * import { Anonymous, LoginFailed, Portal } from "@tw/core/cred";
 * import type { IRealm } from "@tw/core/cred";
 * const realm: IRealm = { requestAvatar: () => Promise.reject(new Error("unused")) };
 * const portal = new Portal(realm); // no checkers: the login fails with UnhandledCredentials
 * await portal.login(new Anonymous(), null).then(
 *   () => {},
 *   (e) => console.log(e instanceof LoginFailed, e.name), // true "UnhandledCredentials"
 * );
 * ```
 */
export class LoginFailed extends Error {
  /**
   * Makes the error.
   * @param message what failed
   * @param options the cause
   */
  constructor(message = "Login failed", options?: ErrorOptions) {
    super(message, options);
    this.name = "LoginFailed";
  }
}

/**
 * The credentials were wrong: unknown user, bad password (`UnauthorizedLogin`).
 *
 * @example
 * ```ts
 * import {
 *   InMemoryUsernamePasswordDatabaseDontUse,
 *   UnauthorizedLogin,
 *   UsernamePassword,
 * } from "@tw/core/cred";
 * const checker = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" });
 * await checker.requestAvatarId(new UsernamePassword("alice", "wrong")).then(
 *   () => {},
 *   (e) => console.log(e instanceof UnauthorizedLogin), // true
 * );
 * ```
 */
export class UnauthorizedLogin extends LoginFailed {
  /**
   * Makes the error.
   * @param message what failed (say no more than "unauthorized" to the peer)
   * @param options the cause
   */
  constructor(message = "Unauthorized login", options?: ErrorOptions) {
    super(message, options);
    this.name = "UnauthorizedLogin";
  }
}

/**
 * No checker handles this kind of credentials (`UnhandledCredentials`).
 *
 * @example
 * ```ts
 * import { Anonymous, Portal, UnhandledCredentials } from "@tw/core/cred";
 * import type { IRealm } from "@tw/core/cred";
 * const realm: IRealm = { requestAvatar: () => Promise.reject(new Error("unused")) };
 * const portal = new Portal(realm); // no checkers: nothing accepts Anonymous
 * await portal.login(new Anonymous(), null).then(
 *   () => {},
 *   (e) => console.log(e instanceof UnhandledCredentials), // true
 * );
 * ```
 */
export class UnhandledCredentials extends LoginFailed {
  /**
   * Makes the error.
   * @param message which credentials
   * @param options the cause
   */
  constructor(message = "No checker for these credentials", options?: ErrorOptions) {
    super(message, options);
    this.name = "UnhandledCredentials";
  }
}

/**
 * The realm refused an authenticated user (`LoginDenied`).
 *
 * @example
 * ```ts
 * import { AllowAnonymousAccess, Anonymous, LoginDenied, Portal } from "@tw/core/cred";
 * import type { IRealm, LoginResult } from "@tw/core/cred";
 * const realm: IRealm = {
 *   requestAvatar(): LoginResult {
 *     throw new LoginDenied("No guests today");
 *   },
 * };
 * const portal = new Portal(realm, [new AllowAnonymousAccess()]);
 * await portal.login(new Anonymous(), null).then(
 *   () => {},
 *   (e) => console.log(e.message), // "No guests today"
 * );
 * ```
 */
export class LoginDenied extends LoginFailed {
  /**
   * Makes the error.
   * @param message why
   * @param options the cause
   */
  constructor(message = "Login denied", options?: ErrorOptions) {
    super(message, options);
    this.name = "LoginDenied";
  }
}
