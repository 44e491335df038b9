/**
 * PostgreSQL's password authentication: cleartext, md5
 * (`"md5" + md5(md5(password + user) + salt)`) and SCRAM-SHA-256 (RFC 5802 /
 * RFC 7677, no channel binding) with WebCrypto's PBKDF2 and HMAC.
 *
 * @module
 */
import { md5, toHex } from "../../cred/_md5.ts";
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

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unbase64(text: string): Uint8Array {
  let s: string;
  try {
    s = atob(text);
  } catch {
    throw new PostgresProtocolError("Bad base64 in the server's SCRAM message");
  }
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data as Uint8Array<ArrayBuffer>));
}

/** The most PBKDF2 iterations a server may ask for (a hostile one could ask for 2^31). */
const MAX_ITERATIONS = 1_000_000;

/**
 * One SCRAM-SHA-256 exchange: `first()` gives the client-first message,
 * `final(serverFirst)` the client-final one, `verify(serverFinal)` checks the
 * server's signature.
 */
export class ScramClient {
  #password: string;
  #nonce: string;
  #firstBare: string;
  #serverSignature: Uint8Array | undefined;

  /** `user` goes into the messages; PostgreSQL takes the startup message's and ignores it. */
  constructor(password: string, nonce?: string, user = "") {
    this.#password = password;
    this.#nonce = nonce ?? base64(crypto.getRandomValues(new Uint8Array(18)));
    const name = user.replace(/=/g, "=3D").replace(/,/g, "=2C");
    this.#firstBare = `n=${name},r=${this.#nonce}`;
  }

  /** The client-first message. */
  first(): Uint8Array {
    return encoder.encode(`n,,${this.#firstBare}`);
  }

  /** The client-final message for the server-first message. */
  async final(serverFirstBytes: Uint8Array): Promise<Uint8Array> {
    const serverFirst = decoder.decode(serverFirstBytes);
    const attrs = new Map<string, string>();
    for (const part of serverFirst.split(",")) {
      const eq = part.indexOf("=");
      if (eq === 1) attrs.set(part[0], part.slice(2));
    }
    const nonce = attrs.get("r");
    const salt = attrs.get("s");
    const iterations = Number(attrs.get("i"));
    if (!nonce || !nonce.startsWith(this.#nonce) || nonce.length === this.#nonce.length) {
      throw new PostgresProtocolError("The server's SCRAM nonce does not extend ours");
    }
    if (salt === undefined) {
      throw new PostgresProtocolError("The server's SCRAM message has no salt");
    }
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new PostgresProtocolError(`Bad SCRAM iteration count ${attrs.get("i")}`);
    }
    const key = await crypto.subtle.importKey(
      "raw",
      encoder.encode(this.#password),
      "PBKDF2",
      false,
      ["deriveBits"],
    );
    const salted = new Uint8Array(
      await crypto.subtle.deriveBits(
        {
          name: "PBKDF2",
          hash: "SHA-256",
          salt: unbase64(salt) as Uint8Array<ArrayBuffer>,
          iterations,
        },
        key,
        256,
      ),
    );
    const clientKey = await hmac(salted, encoder.encode("Client Key"));
    const storedKey = new Uint8Array(
      await crypto.subtle.digest("SHA-256", clientKey as Uint8Array<ArrayBuffer>),
    );
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = encoder.encode(`${this.#firstBare},${serverFirst},${withoutProof}`);
    const signature = await hmac(storedKey, authMessage);
    const proof = clientKey.map((b, i) => b ^ signature[i]);
    const serverKey = await hmac(salted, encoder.encode("Server Key"));
    this.#serverSignature = await hmac(serverKey, authMessage);
    return encoder.encode(`${withoutProof},p=${base64(proof)}`);
  }

  /** Checks the server-final message; throws when the server does not know the password. */
  verify(serverFinalBytes: Uint8Array): void {
    const text = decoder.decode(serverFinalBytes);
    const v = /(?:^|,)v=([^,]*)/.exec(text);
    if (!v || !this.#serverSignature || base64(this.#serverSignature) !== v[1]) {
      throw new PostgresProtocolError("The server's SCRAM signature is wrong");
    }
  }
}
