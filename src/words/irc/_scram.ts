/**
 * The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) for IRCv3 SASL,
 * with WebCrypto's PBKDF2 and HMAC, and the server's signature checked.
 * Private: re-exported by `mod.ts`.
 * @module
 */

const enc = new TextEncoder();
const dec = new TextDecoder();
/** The most PBKDF2 iterations a server may ask for (a peer-controlled cost). */
export const MAX_SCRAM_ITERATIONS = 1_000_000;
/** The fewest iterations accepted (RFC 7677 §4: at least 4096). */
export const MIN_SCRAM_ITERATIONS = 4096;

const SPACES = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g;
const NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
const PROHIBITED =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001F\u007F-\u009F\u06DD\u070F\u180E\u200E\u200F\u2028-\u202E\u206A-\u206F\uE000-\uF8FF\uFFF9-\uFFFD]/;

/**
 * SASLprep (RFC 4013) as far as SCRAM needs it: non-ASCII spaces become
 * spaces, characters mapped to nothing are dropped, NFKC; control, private
 * use and other prohibited characters throw `RangeError` (the
 * bidirectional-text rules are not checked).
 *
 * @example
 * ```ts
 * import { saslPrep } from "@tw/core/words/irc";
 * console.log(saslPrep("I\u00ADX"), saslPrep("\u2168")); // IX IX
 * ```
 */
export function saslPrep(text: string): string {
  const out = text.replace(SPACES, " ").replace(NOTHING, "").normalize("NFKC");
  if (PROHIBITED.test(out)) throw new RangeError("The string holds a character SASLprep prohibits");
  return out;
}

function b64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unb64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as BufferSource,
    {
      name: "HMAC",
      hash: "SHA-256",
    },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data as BufferSource));
}

function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq === 1) map.set(part[0], part.slice(2));
  }
  return map;
}

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
  #username: string;
  #password: string;
  #nonce: string;
  #serverSignature: Uint8Array | null = null;

  /**
   * Starts an exchange.
   * @param username the account (SASLprep'd, `=` and `,` escaped)
   * @param password the password (SASLprep'd)
   * @param nonce the client nonce; random when omitted
   */
  constructor(username: string, password: string, nonce?: string) {
    this.#username = saslPrep(username).replaceAll("=", "=3D").replaceAll(",", "=2C");
    this.#password = saslPrep(password);
    if (nonce === undefined) {
      const random = new Uint8Array(18);
      crypto.getRandomValues(random);
      nonce = b64(random);
    }
    this.#nonce = nonce;
  }

  /** The client-first message. */
  clientFirst(): string {
    return `n,,${this.#bare()}`;
  }

  #bare(): string {
    return `n=${this.#username},r=${this.#nonce}`;
  }

  /**
   * The client-final message for the server-first one; throws `SyntaxError`
   * or `RangeError` for a malformed or unacceptable server-first message.
   */
  async clientFinal(serverFirst: string): Promise<string> {
    const attrs = attributes(serverFirst);
    const nonce = attrs.get("r") ?? "";
    const salt = attrs.get("s");
    const iterations = Number(attrs.get("i"));
    if (attrs.has("m")) throw new SyntaxError("SCRAM: unsupported mandatory extension");
    if (!nonce.startsWith(this.#nonce) || nonce.length <= this.#nonce.length) {
      throw new SyntaxError("SCRAM: the server's nonce does not extend ours");
    }
    if (salt === undefined || salt === "") throw new SyntaxError("SCRAM: no salt");
    if (!Number.isInteger(iterations)) throw new SyntaxError("SCRAM: no iteration count");
    if (iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS) {
      throw new RangeError(`SCRAM: ${iterations} iterations is out of bounds`);
    }
    const key = await crypto.subtle.importKey(
      "raw",
      enc.encode(this.#password) as BufferSource,
      "PBKDF2",
      false,
      ["deriveBits"],
    );
    const salted = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt: unb64(salt) as BufferSource, iterations },
        key,
        256,
      ),
    );
    const clientKey = await hmac(salted, enc.encode("Client Key"));
    const storedKey = new Uint8Array(
      await crypto.subtle.digest("SHA-256", clientKey as BufferSource),
    );
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = enc.encode(`${this.#bare()},${serverFirst},${withoutProof}`);
    const signature = await hmac(storedKey, authMessage);
    const proof = clientKey.map((b, i) => b ^ signature[i]);
    const serverKey = await hmac(salted, enc.encode("Server Key"));
    this.#serverSignature = await hmac(serverKey, authMessage);
    return `${withoutProof},p=${b64(proof)}`;
  }

  /** Whether the server-final message proves the server knows the password. */
  verifyServerFinal(serverFinal: string): boolean {
    const v = attributes(serverFinal).get("v");
    const expected = this.#serverSignature;
    if (v === undefined || expected === null) return false;
    let got: Uint8Array;
    try {
      got = unb64(v);
    } catch {
      return false;
    }
    let diff = got.length ^ expected.length;
    for (let i = 0; i < expected.length; i++) diff |= (got[i] ?? 0) ^ expected[i];
    return diff === 0;
  }
}

/** Decodes base64 to UTF-8 text (for SCRAM messages in AUTHENTICATE). */
export function decodeBase64Text(text: string): string {
  return dec.decode(unb64(text));
}

/** Encodes UTF-8 text as base64. */
export function encodeBase64Text(text: string): string {
  return b64(enc.encode(text));
}
