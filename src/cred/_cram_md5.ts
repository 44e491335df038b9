/**
 * `CramMD5Credentials` (`twisted.cred.credentials.CramMD5Credentials`, RFC 2195).
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { type InterfaceName, IUsernameHashedPassword } from "./_interfaces.ts";
import { md5, toHex } from "./_md5.ts";
import { timingSafeEqualStrings } from "./_hash.ts";

const enc = new TextEncoder();

function hmacMd5(key: Uint8Array, message: Uint8Array): Uint8Array {
  let k = key.length > 64 ? md5(key) : key;
  const padded = new Uint8Array(64);
  padded.set(k);
  k = padded;
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 16);
  for (let i = 0; i < 64; i++) {
    inner[i] = k[i] ^ 0x36;
    outer[i] = k[i] ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(md5(inner), 64);
  return md5(outer);
}

/**
 * CRAM-MD5 credentials (RFC 2195): the server sends a challenge, the client answers
 * `username HEX(HMAC-MD5(password, challenge))`. A checker must see the plaintext password
 * to test it (`InMemoryUsernamePasswordDatabaseDontUse`, or `FilePasswordDB` with
 * `hash: "plain"`); a hashed password file cannot check CRAM-MD5.
 *
 * @example
 * ```ts
 * import { CramMD5Credentials } from "@tw/core/cred";
 * const creds = new CramMD5Credentials("<1.2@host>");
 * creds.setResponse(`alice ${CramMD5Credentials.digest("secret", "<1.2@host>")}`);
 * console.log(creds.username, creds.checkPassword("secret")); // alice true
 * ```
 */
export class CramMD5Credentials implements IUsernameHashedPassword {
  /** Provides `IUsernameHashedPassword`. */
  readonly credentialInterfaces: readonly InterfaceName[] = [IUsernameHashedPassword];
  /** The challenge sent to the client. */
  challenge: string;
  /** The username from the client's response ("" until `setResponse`). */
  username = "";
  /** The hex digest from the client's response. */
  response = "";

  /**
   * Makes the credentials for `challenge` (a fresh `<random.time@host>` one when omitted).
   * @param challenge the challenge text
   * @param host the host name in a generated challenge
   */
  constructor(challenge?: string, host = "localhost") {
    this.challenge = challenge ??
      `<${Math.floor(Math.random() * 1e12)}.${Date.now()}@${host}>`;
  }

  /** The challenge as sent (`getChallenge`). */
  getChallenge(): string {
    return this.challenge;
  }

  /** Takes the client's decoded answer, `username digest`; throws `SyntaxError` if malformed. */
  setResponse(response: string): void {
    const at = response.lastIndexOf(" ");
    if (at <= 0) throw new SyntaxError("CRAM-MD5 response is not 'username digest'");
    this.username = response.slice(0, at);
    this.response = response.slice(at + 1).toLowerCase();
  }

  /** True when the response proves knowledge of `password`. */
  checkPassword(password: string): boolean {
    return timingSafeEqualStrings(
      CramMD5Credentials.digest(password, this.challenge),
      this.response,
    );
  }

  /** The hex HMAC-MD5 of `challenge` keyed with `password` (what a client sends). */
  static digest(password: string, challenge: string): string {
    return toHex(hmacMd5(enc.encode(password), enc.encode(challenge)));
  }
}
