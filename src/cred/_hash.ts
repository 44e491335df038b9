/**
 * Password hashing: PBKDF2-HMAC-SHA256 from WebCrypto (`crypto.subtle`, on
 * every runtime), stored in a self-describing format, compared in constant
 * time. Not scrypt or Argon2: WebCrypto has neither, and the core has no
 * dependencies.
 * @module
 */

const enc = new TextEncoder();
const PREFIX = "pbkdf2-sha256";

/** The default iteration count: OWASP's 2023 advice for PBKDF2-HMAC-SHA256. */
export const DEFAULT_ITERATIONS = 600_000;
/** Refuse stored hashes asking for more work than this (a corrupt or hostile file). */
const MAX_ITERATIONS = 100_000_000;

/** Options of `hashPassword`. */
export interface HashPasswordOptions {
  /** PBKDF2 iterations: more is slower to check and to crack. @default 600000 */
  iterations?: number;
  /** Salt length in bytes. @default 16 */
  saltLength?: number;
}

/** Standard base64 without padding. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/=+$/, "");
}

/** Decodes base64 (padding optional); throws SyntaxError when malformed. */
export function fromBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text + "=".repeat((4 - (text.length % 4)) % 4));
  } catch {
    throw new SyntaxError(`Invalid base64: ${JSON.stringify(text)}`);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Compares two byte strings in time that depends only on their lengths, so
 * a peer cannot learn how much of a secret it guessed right.
 *
 * @example
 * ```ts
 * import { timingSafeEqual } from "@tw/core/cred";
 * const enc = new TextEncoder();
 * console.log(timingSafeEqual(enc.encode("token"), enc.encode("token"))); // true
 * console.log(timingSafeEqual(enc.encode("token"), enc.encode("tokeN"))); // false
 * ```
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Compares two strings (as UTF-8) in constant time; see `timingSafeEqual`. */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  return timingSafeEqual(enc.encode(a), enc.encode(b));
}

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/**
 * Hashes a password for storage: `pbkdf2-sha256$ITERATIONS$SALT$HASH`, salt
 * and hash in base64 (no padding). The format names its algorithm and cost,
 * so the cost can rise later without breaking stored entries.
 *
 * @param password the plaintext
 * @param options iterations and salt length
 * @returns the stored form
 * @example
 * ```ts
 * import { hashPassword, verifyPassword } from "@tw/core/cred";
 * const stored = await hashPassword("secret", { iterations: 1000 });
 * console.log(stored.startsWith("pbkdf2-sha256$1000$")); // true
 * console.log(await verifyPassword("secret", stored)); // true
 * ```
 */
export async function hashPassword(
  password: string,
  options: HashPasswordOptions = {},
): Promise<string> {
  const { iterations = DEFAULT_ITERATIONS, saltLength = 16 } = options;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`Invalid PBKDF2 iteration count: ${iterations}`);
  }
  if (!Number.isInteger(saltLength) || saltLength < 8) {
    throw new RangeError(`Invalid salt length: ${saltLength} (at least 8 bytes)`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(saltLength));
  const hash = await pbkdf2(password, salt, iterations);
  return `${PREFIX}$${iterations}$${toBase64(salt)}$${toBase64(hash)}`;
}

/**
 * True when `stored` is in the format `hashPassword` writes.
 *
 * @example
 * ```ts
 * import { hashPassword, isHashedPassword } from "@tw/core/cred";
 * console.log(isHashedPassword(await hashPassword("secret", { iterations: 1000 }))); // true
 * console.log(isHashedPassword("secret")); // false
 * ```
 */
export function isHashedPassword(stored: string): boolean {
  return stored.startsWith(PREFIX + "$");
}

/**
 * Checks a password against a stored hash from `hashPassword`, in constant time.
 * @param password the plaintext offered
 * @param stored the stored form
 * @returns true when it matches
 * @throws {SyntaxError} when `stored` is not in the expected format
 * @example
 * ```ts
 * import { hashPassword, verifyPassword } from "@tw/core/cred";
 * const stored = await hashPassword("secret", { iterations: 1000 });
 * console.log(await verifyPassword("secret", stored)); // true
 * console.log(await verifyPassword("guess", stored)); // false
 * ```
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 4 || parts[0] !== PREFIX || !/^[0-9]+$/.test(parts[1])) {
    throw new SyntaxError("Not a pbkdf2-sha256$ITERATIONS$SALT$HASH password hash");
  }
  const iterations = Number(parts[1]);
  if (iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new SyntaxError(`Bad PBKDF2 iteration count in a stored hash: ${iterations}`);
  }
  const salt = fromBase64(parts[2]);
  const expected = fromBase64(parts[3]);
  const actual = await pbkdf2(password, salt, iterations);
  return timingSafeEqual(actual, expected);
}
