/**
 * The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) for IRCv3 SASL: the
 * shared SCRAM client of `src/cred` with RFC 7677's iteration floor.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { ScramClient } from "../../cred/_scram.ts";

export { decodeBase64Text, encodeBase64Text, saslPrep } from "../../cred/_scram.ts";

/** The most PBKDF2 iterations a server may ask for (a peer-controlled cost). */
export const MAX_SCRAM_ITERATIONS = 1_000_000;
/** The fewest iterations accepted (RFC 7677 §4: at least 4096). */
export const MIN_SCRAM_ITERATIONS = 4096;

/**
 * One SCRAM-SHA-256 exchange as the client: `clientFirst()`, then
 * `clientFinal(serverFirst)`, then `verifyServerFinal(serverFinal)`. The
 * server's iteration count must lie within 4,096 and 1,000,000.
 *
 * @example
 * ```ts
 * import { ScramSha256Client } from "@tw/core/words/irc";
 * // RFC 7677's example
 * const scram = new ScramSha256Client("user", "pencil", "rOprNGfwEbeRWgbNEkqO");
 * console.log(scram.clientFirst()); // n,,n=user,r=rOprNGfwEbeRWgbNEkqO
 * const final = await scram.clientFinal(
 *   "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
 * );
 * console.log(final.endsWith("p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")); // true
 * console.log(scram.verifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")); // true
 * ```
 */
export class ScramSha256Client {
  readonly #scram: ScramClient;

  /**
   * Starts an exchange.
   * @param username the account (SASLprep'd, `=` and `,` escaped)
   * @param password the password (SASLprep'd)
   * @param nonce the client nonce; random when omitted
   */
  constructor(username: string, password: string, nonce?: string) {
    this.#scram = new ScramClient(username, password, {
      hash: "SHA-256",
      nonce,
      minIterations: MIN_SCRAM_ITERATIONS,
      maxIterations: MAX_SCRAM_ITERATIONS,
    });
  }

  /** The client-first message. */
  clientFirst(): string {
    return this.#scram.clientFirst();
  }

  /**
   * The client-final message for the server-first one; throws `RangeError`
   * for a malformed or unacceptable server-first message.
   */
  clientFinal(serverFirst: string): Promise<string> {
    return this.#scram.clientFinal(serverFirst);
  }

  /** Whether the server-final message proves the server knows the password. */
  verifyServerFinal(serverFinal: string): boolean {
    return this.#scram.verifyServerFinal(serverFinal);
  }
}
