/**
 * Login errors (`twisted.cred.error`).
 * @module
 */

/** A login failed (`LoginFailed`): the base of the errors below. */
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

/** The credentials were wrong: unknown user, bad password (`UnauthorizedLogin`). */
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

/** No checker handles this kind of credentials (`UnhandledCredentials`). */
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

/** The realm refused an authenticated user (`LoginDenied`). */
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
