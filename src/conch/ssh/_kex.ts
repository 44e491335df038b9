/**
 * Key exchange methods: each makes an ephemeral key pair, computes the shared
 * secret from the peer's public value, and names the hash of the exchange.
 * curve25519 (RFC 8731) and ECDH on NIST curves (RFC 5656) use WebCrypto;
 * finite-field Diffie-Hellman (RFC 8268, group exchange RFC 4419) uses BigInt.
 * Also the key derivation of RFC 4253 §7.2.
 * @module
 */
import { bytesToBigint, SSHWriter } from "./_wire.ts";
import { type DHGroup, GROUP14, GROUP16 } from "./_dh_groups.ts";

const subtle = globalThis.crypto.subtle;

/**
 * A key exchange that failed for a reason the peer caused.
 *
 * @example
 * ```ts
 * import { KexError } from "@tw/core/conch";
 *
 * console.log(new KexError("curve25519 shared secret is zero").name); // "KexError"
 * ```
 */
export class KexError extends Error {
  /** The error's name. */
  override name = "KexError";
}

/** How a key exchange method works. */
export interface KexSpec {
  /** The exchange hash. */
  readonly hash: "SHA-256" | "SHA-384" | "SHA-512";
  /** Which agreement. */
  readonly kind: "x25519" | "ecdh" | "dh" | "gex";
  /** The NIST curve, for ECDH. */
  readonly curve?: "P-256" | "P-384" | "P-521";
  /** The fixed group, for finite-field DH. */
  readonly group?: DHGroup;
}

/** Key exchange methods by their SSH names, in our order of preference. */
export const KEXES: Readonly<Record<string, KexSpec>> = {
  "curve25519-sha256": { hash: "SHA-256", kind: "x25519" },
  "curve25519-sha256@libssh.org": { hash: "SHA-256", kind: "x25519" },
  "ecdh-sha2-nistp256": { hash: "SHA-256", kind: "ecdh", curve: "P-256" },
  "ecdh-sha2-nistp384": { hash: "SHA-384", kind: "ecdh", curve: "P-384" },
  "ecdh-sha2-nistp521": { hash: "SHA-512", kind: "ecdh", curve: "P-521" },
  "diffie-hellman-group-exchange-sha256": { hash: "SHA-256", kind: "gex" },
  "diffie-hellman-group16-sha512": { hash: "SHA-512", kind: "dh", group: GROUP16 },
  "diffie-hellman-group14-sha256": { hash: "SHA-256", kind: "dh", group: GROUP14 },
};

/** One side's ephemeral key: its public value and how to agree with the peer's. */
export interface Ephemeral {
  /** Our public value as it goes on the wire (a string, or an mpint for DH). */
  readonly publicValue: Uint8Array | bigint;
  /** The shared secret K from the peer's public value (throws `KexError` if invalid). */
  agree(peer: Uint8Array | bigint): Promise<bigint>;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  base %= modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    exponent >>= 1n;
    base = (base * base) % modulus;
  }
  return result;
}

function randomBigint(bits: number): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8)));
  return bytesToBigint(bytes);
}

/** A finite-field DH key for `group`; the exponent has twice the hash's bits, at least 512. */
export function dhEphemeral(group: DHGroup, hashBits: number): Ephemeral {
  const bits = Math.max(512, hashBits * 2);
  let secret = 0n;
  while (secret < 2n) secret = randomBigint(bits);
  const publicValue = modPow(group.generator, secret, group.prime);
  return {
    publicValue,
    agree(peer) {
      if (typeof peer !== "bigint" || peer <= 1n || peer >= group.prime - 1n) {
        return Promise.reject(new KexError("Peer's Diffie-Hellman value is out of range"));
      }
      return Promise.resolve(modPow(peer, secret, group.prime));
    },
  };
}

/** An X25519 key (curve25519-sha256). */
export async function x25519Ephemeral(): Promise<Ephemeral> {
  const pair = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]) as CryptoKeyPair;
  const publicValue = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  return {
    publicValue,
    async agree(peer) {
      if (!(peer instanceof Uint8Array) || peer.length !== 32) {
        throw new KexError("Peer's curve25519 key is not 32 bytes");
      }
      let bits: ArrayBuffer;
      try {
        const key = await subtle.importKey(
          "raw",
          peer as BufferSource,
          { name: "X25519" },
          true,
          [],
        );
        bits = await subtle.deriveBits({ name: "X25519", public: key }, pair.privateKey, 256);
      } catch {
        throw new KexError("Peer's curve25519 key is invalid");
      }
      const shared = new Uint8Array(bits);
      if (shared.every((byte) => byte === 0)) {
        throw new KexError("curve25519 shared secret is zero");
      }
      return bytesToBigint(shared);
    },
  };
}

const CURVE_BITS = { "P-256": 256, "P-384": 384, "P-521": 528 } as const;

/** An ECDH key on a NIST curve (the point in uncompressed form, SEC1). */
export async function ecdhEphemeral(curve: "P-256" | "P-384" | "P-521"): Promise<Ephemeral> {
  const algorithm = { name: "ECDH", namedCurve: curve };
  const pair = await subtle.generateKey(algorithm, true, ["deriveBits"]) as CryptoKeyPair;
  const publicValue = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  return {
    publicValue,
    async agree(peer) {
      if (!(peer instanceof Uint8Array) || peer[0] !== 4) {
        throw new KexError("Peer's ECDH key is not an uncompressed point");
      }
      try {
        const key = await subtle.importKey("raw", peer as BufferSource, algorithm, true, []);
        const bits = await subtle.deriveBits(
          { name: "ECDH", public: key },
          pair.privateKey,
          CURVE_BITS[curve],
        );
        return bytesToBigint(new Uint8Array(bits));
      } catch {
        throw new KexError("Peer's ECDH key is not on the curve");
      }
    },
  };
}

/** The ephemeral key for a method (a group-exchange method needs its group). */
export async function makeEphemeral(spec: KexSpec, group?: DHGroup): Promise<Ephemeral> {
  switch (spec.kind) {
    case "x25519":
      return await x25519Ephemeral();
    case "ecdh":
      return await ecdhEphemeral(spec.curve!);
    default:
      return dhEphemeral(group ?? spec.group!, HASH_BITS[spec.hash]);
  }
}

const HASH_BITS = { "SHA-256": 256, "SHA-384": 384, "SHA-512": 512 } as const;

/** Writes a public value as the exchange hash and the messages carry it. */
export function writePublic(writer: SSHWriter, value: Uint8Array | bigint): SSHWriter {
  return typeof value === "bigint" ? writer.mpint(value) : writer.string(value);
}

/** A digest of `data`. */
export async function digest(hash: string, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle.digest(hash, data as BufferSource));
}

/**
 * The keys of RFC 4253 §7.2: HASH(K || H || letter || session_id), extended
 * with HASH(K || H || K1 || ...) until `length` bytes.
 */
export async function deriveKey(
  hash: string,
  sharedSecret: bigint,
  exchangeHash: Uint8Array,
  letter: string,
  sessionId: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const prefix = new SSHWriter().mpint(sharedSecret).raw(exchangeHash).bytes();
  const first = new SSHWriter().raw(prefix).byte(letter.charCodeAt(0)).raw(sessionId).bytes();
  let key = await digest(hash, first);
  while (key.length < length) {
    const more = await digest(hash, new SSHWriter().raw(prefix).raw(key).bytes());
    const grown = new Uint8Array(key.length + more.length);
    grown.set(key);
    grown.set(more, key.length);
    key = grown;
  }
  return key.slice(0, length);
}
