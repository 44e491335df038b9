/**
 * The client side of SCRAM (RFC 5802, RFC 7677) with WebCrypto's PBKDF2 and
 * HMAC, shared by the protocols that log in with it (IRCv3 SASL, XMPP,
 * PostgreSQL), and SASLprep (RFC 4013) for its strings.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A SCRAM message that is malformed or asks for what the client refuses. */
export class ScramError extends RangeError {
  /** Says what was wrong. */
  constructor(message: string) {
    super(message);
    this.name = "ScramError";
  }
}

const SPACES = /[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/g;
const NOTHING = /[\u00ad\u034f\u1806\u180b-\u180d\u200c\u200d\u2060\ufe00-\ufe0f\ufeff]/g;
const PROHIBITED =
  /[\p{Cc}\p{Co}\p{Cs}\ufff9-\ufffd\u2ff0-\u2ffb\u200e\u200f\u202a-\u202e\u206a-\u206f\u{f0000}-\u{10ffff}\u{e0001}\u{e0020}-\u{e007f}\ufdd0-\ufdef]/u;

/**
 * SASLprep (RFC 4013) as SCRAM needs it: non-ASCII spaces become spaces,
 * characters mapped to nothing are dropped, then NFKC; control, private-use,
 * surrogate and other prohibited characters throw `RangeError` (the
 * bidirectional-text rules are not checked).
 *
 * @example
 * ```ts
 * import { saslPrep } from "@tw/core/cred";
 * console.log(saslPrep("I\u00ADX"), saslPrep("\u2168")); // IX IX
 * ```
 */
export function saslPrep(text: string): string {
  const mapped = text.replace(SPACES, " ").replace(NOTHING, "").normalize("NFKC");
  if (PROHIBITED.test(mapped)) {
    throw new RangeError("The string holds a character SASLprep prohibits");
  }
  return mapped;
}

/** Bytes as base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/** Base64 as bytes; throws `ScramError` for anything but canonical base64. */
export function decodeBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new ScramError("Bad base64 in a SCRAM message");
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** `a=b,c=d` as a map; a part that is not one letter, `=`, a value throws `ScramError`. */
function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(",")) {
    if (part.indexOf("=") !== 1) {
      throw new ScramError(`Bad SCRAM attribute ${JSON.stringify(part.slice(0, 32))}`);
    }
    map.set(part[0], part.slice(2));
  }
  return map;
}

/** `=` and `,` escaped, as SCRAM names carry them. */
function escapeName(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

async function hmac(hash: ScramHash, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data as Uint8Array<ArrayBuffer>));
}

/** The hash functions SCRAM is used with here. */
export type ScramHash = "SHA-1" | "SHA-256";

/** How a `ScramClient` runs its exchange. */
export interface ScramClientOptions {
  /** The hash: SCRAM-SHA-1 or SCRAM-SHA-256. @default "SHA-256" */
  hash?: ScramHash;
  /** The client nonce (tests); 18 random bytes in base64 when omitted. */
  nonce?: string;
  /** The authorization identity, or none. */
  authzid?: string | null;
  /** The fewest PBKDF2 iterations accepted (RFC 7677 asks for 4,096). @default 1 */
  minIterations?: number;
  /** The most PBKDF2 iterations accepted: the server sets the client's cost. @default 1000000 */
  maxIterations?: number;
  /**
   * A password SASLprep refuses: "strict" throws `RangeError`, "raw" uses it
   * as it is (PostgreSQL's server does the same). @default "strict"
   */
  passwordPrep?: "strict" | "raw";
}

/**
 * One SCRAM exchange as the client: `clientFirst()`, then
 * `clientFinal(serverFirst)`, then `verifyServerFinal(serverFinal)`. Without
 * channel binding (`n,,`). A malformed or unacceptable server message throws
 * `ScramError`.
 */
export class ScramClient {
  readonly #hash: ScramHash;
  readonly #password: string;
  readonly #nonce: string;
  readonly #gs2: string;
  readonly #firstBare: string;
  readonly #minIterations: number;
  readonly #maxIterations: number;
  #serverSignature: Uint8Array | null = null;

  /**
   * Starts an exchange.
   * @param username the account (SASLprep'd and escaped; "" for PostgreSQL)
   * @param password the password
   * @param options the hash, nonce, identity and limits
   */
  constructor(username: string, password: string, options: ScramClientOptions = {}) {
    this.#hash = options.hash ?? "SHA-256";
    let prepared: string;
    try {
      prepared = saslPrep(password);
    } catch (error) {
      if (options.passwordPrep !== "raw") throw error;
      prepared = password;
    }
    this.#password = prepared;
    this.#nonce = options.nonce ?? encodeBase64(crypto.getRandomValues(new Uint8Array(18)));
    this.#gs2 = `n,${options.authzid ? `a=${escapeName(options.authzid)}` : ""},`;
    this.#firstBare = `n=${escapeName(saslPrep(username))},r=${this.#nonce}`;
    this.#minIterations = options.minIterations ?? 1;
    this.#maxIterations = options.maxIterations ?? 1_000_000;
  }

  /** The client-first message. */
  clientFirst(): string {
    return this.#gs2 + this.#firstBare;
  }

  /** True once `clientFinal` has computed the signature the server must show. */
  get awaitingServerFinal(): boolean {
    return this.#serverSignature !== null;
  }

  /** The client-final message answering the server-first one. */
  async clientFinal(serverFirst: string): Promise<string> {
    const attrs = attributes(serverFirst);
    if (attrs.has("m")) throw new ScramError("SCRAM: unsupported mandatory extension");
    const nonce = attrs.get("r") ?? "";
    const salt = attrs.get("s");
    const iterationText = attrs.get("i") ?? "";
    const iterations = /^\d{1,10}$/.test(iterationText) ? Number(iterationText) : NaN;
    if (!nonce.startsWith(this.#nonce) || nonce.length <= this.#nonce.length) {
      throw new ScramError("SCRAM: the server's nonce does not extend ours");
    }
    if (salt === undefined || salt === "") throw new ScramError("SCRAM: the server sent no salt");
    if (!(iterations >= this.#minIterations && iterations <= this.#maxIterations)) {
      throw new ScramError(`SCRAM: iteration count out of bounds: ${iterationText.slice(0, 16)}`);
    }
    const base = await crypto.subtle.importKey(
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
          hash: this.#hash,
          salt: decodeBase64(salt) as Uint8Array<ArrayBuffer>,
          iterations,
        },
        base,
        this.#hash === "SHA-1" ? 160 : 256,
      ),
    );
    const withoutProof = `c=${encodeBase64(encoder.encode(this.#gs2))},r=${nonce}`;
    const authMessage = encoder.encode(`${this.#firstBare},${serverFirst},${withoutProof}`);
    const clientKey = await hmac(this.#hash, salted, encoder.encode("Client Key"));
    const storedKey = new Uint8Array(
      await crypto.subtle.digest(this.#hash, clientKey as Uint8Array<ArrayBuffer>),
    );
    const signature = await hmac(this.#hash, storedKey, authMessage);
    const proof = clientKey.map((byte, i) => byte ^ signature[i]);
    const serverKey = await hmac(this.#hash, salted, encoder.encode("Server Key"));
    this.#serverSignature = await hmac(this.#hash, serverKey, authMessage);
    return `${withoutProof},p=${encodeBase64(proof)}`;
  }

  /** Whether the server-final message proves that the server knows the password. */
  verifyServerFinal(serverFinal: string): boolean {
    const expected = this.#serverSignature;
    if (expected === null) return false;
    let got: Uint8Array;
    try {
      const v = attributes(serverFinal).get("v");
      if (v === undefined) return false;
      got = decodeBase64(v);
    } catch {
      return false;
    }
    let diff = got.length ^ expected.length;
    for (let i = 0; i < expected.length; i++) diff |= (got[i] ?? 0) ^ expected[i];
    return diff === 0;
  }
}

/** UTF-8 text as base64 (SCRAM messages inside base64 framings). */
export function encodeBase64Text(text: string): string {
  return encodeBase64(encoder.encode(text));
}

/** Base64 as UTF-8 text; throws `ScramError` for bad base64. */
export function decodeBase64Text(text: string): string {
  return decoder.decode(decodeBase64(text));
}
