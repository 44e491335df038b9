/**
 * Client-side AUTH mechanisms (`CramMD5ClientAuthenticator`, `LOGINAuthenticator`,
 * `PLAINAuthenticator`). Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import { CramMD5Credentials } from "../../cred/_cram_md5.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A client SASL mechanism (`IClientAuthentication`). */
export interface IClientAuthentication {
  /** The mechanism name, as in the EHLO AUTH line. */
  getName(): string;
  /** The response to `challenge` (decoded) for password `secret`; `step` counts from 0. */
  challengeResponse(secret: string, challenge: Uint8Array, step: number): Uint8Array;
  /** Whether the first response goes on the AUTH line (no empty challenge first). */
  readonly initialResponse: boolean;
}

/**
 * AUTH CRAM-MD5 for the client (`CramMD5ClientAuthenticator`).
 *
 * @example
 * ```ts
 * import { CramMD5ClientAuthenticator } from "@tw/core/mail";
 * const a = new CramMD5ClientAuthenticator("alice");
 * console.log(a.getName()); // CRAM-MD5
 * ```
 */
export class CramMD5ClientAuthenticator implements IClientAuthentication {
  /** The user name. */
  readonly user: string;
  /** The server speaks first. */
  readonly initialResponse = false;
  /** Authenticates as `user`. */
  constructor(user: string) {
    this.user = user;
  }
  /** `CRAM-MD5`. */
  getName(): string {
    return "CRAM-MD5";
  }
  /** `user HEX(HMAC-MD5(secret, challenge))`. */
  challengeResponse(secret: string, challenge: Uint8Array): Uint8Array {
    return enc.encode(`${this.user} ${CramMD5Credentials.digest(secret, dec.decode(challenge))}`);
  }
}

/**
 * AUTH LOGIN for the client (`LOGINAuthenticator`).
 *
 * @example
 * ```ts
 * import { LOGINAuthenticator } from "@tw/core/mail";
 * console.log(new LOGINAuthenticator("alice").getName()); // LOGIN
 * ```
 */
export class LOGINAuthenticator implements IClientAuthentication {
  /** The user name. */
  readonly user: string;
  /** The server asks for the user name first. */
  readonly initialResponse = false;
  /** Authenticates as `user`. */
  constructor(user: string) {
    this.user = user;
  }
  /** `LOGIN`. */
  getName(): string {
    return "LOGIN";
  }
  /** The user name, then the password. */
  challengeResponse(secret: string, _challenge: Uint8Array, step: number): Uint8Array {
    return enc.encode(step === 0 ? this.user : secret);
  }
}

/**
 * AUTH PLAIN for the client (`PLAINAuthenticator`).
 *
 * @example
 * ```ts
 * import { PLAINAuthenticator } from "@tw/core/mail";
 * console.log(new PLAINAuthenticator("alice").getName()); // PLAIN
 * ```
 */
export class PLAINAuthenticator implements IClientAuthentication {
  /** The user name. */
  readonly user: string;
  /** The response goes on the AUTH line. */
  readonly initialResponse = true;
  /** Authenticates as `user`. */
  constructor(user: string) {
    this.user = user;
  }
  /** `PLAIN`. */
  getName(): string {
    return "PLAIN";
  }
  /** `NUL user NUL secret`. */
  challengeResponse(secret: string): Uint8Array {
    return enc.encode(`\0${this.user}\0${secret}`);
  }
}
