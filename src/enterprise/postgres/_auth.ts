/**
 * PostgreSQL's password authentication: cleartext, md5
 * (`"md5" + md5(md5(password + user) + salt)`) and SCRAM-SHA-256 (RFC 5802 /
 * RFC 7677, no channel binding) with WebCrypto's PBKDF2 and HMAC.
 *
 * @module
 */
import { md5, toHex } from "../../cred/_md5.ts";
import { ScramClient as SharedScramClient, ScramError } from "../../cred/_scram.ts";
import { PostgresProtocolError } from "./_messages.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The md5 password message's text. */
export function md5Password(user: string, password: string, salt: Uint8Array): string {
  const inner = toHex(md5(encoder.encode(password + user)));
  const outer = new Uint8Array(32 + salt.length);
  outer.set(encoder.encode(inner));
  outer.set(salt, 32);
  return "md5" + toHex(md5(outer));
}

/**
 * One SCRAM-SHA-256 exchange over PostgreSQL's SASL messages: the shared SCRAM
 * client of `src/cred` with bytes in and out and `PostgresProtocolError` for a
 * bad server message. `first()` gives the client-first message,
 * `final(serverFirst)` the client-final one, `verify(serverFinal)` checks the
 * server's signature.
 */
export class ScramClient {
  #scram: SharedScramClient;

  /** `user` goes into the messages; PostgreSQL takes the startup message's and ignores it. */
  constructor(password: string, nonce?: string, user = "") {
    // PostgreSQL's server uses a password SASLprep refuses as it is: so does the client.
    this.#scram = new SharedScramClient(user, password, { nonce, passwordPrep: "raw" });
  }

  /** The client-first message. */
  first(): Uint8Array {
    return encoder.encode(this.#scram.clientFirst());
  }

  /** The client-final message for the server-first message. */
  async final(serverFirst: Uint8Array): Promise<Uint8Array> {
    try {
      return encoder.encode(await this.#scram.clientFinal(decoder.decode(serverFirst)));
    } catch (error) {
      if (error instanceof ScramError) throw new PostgresProtocolError(error.message);
      throw error;
    }
  }

  /** Checks the server-final message; throws when the server does not know the password. */
  verify(serverFinal: Uint8Array): void {
    if (!this.#scram.verifyServerFinal(decoder.decode(serverFinal))) {
      throw new PostgresProtocolError("The server's SCRAM signature is wrong");
    }
  }
}
