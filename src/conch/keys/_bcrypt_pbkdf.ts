/**
 * `bcrypt_pbkdf` (OpenBSD's, as OpenSSH uses it to derive the cipher key of
 * an encrypted "openssh-key-v1" private key) with the Blowfish it needs:
 * PBKDF2-like rounds whose PRF is a bcrypt hash of SHA-512 digests. Written
 * here from the algorithm's description; no audited package provides it.
 * @module
 */
import { BLOWFISH_INIT } from "./_blowfish_tables.ts";
import { sha512 } from "./_sha.ts";

const S0 = 18, S1 = 18 + 256, S2 = 18 + 512, S3 = 18 + 768;

/** A Blowfish state (P-array and S-boxes in one array) with ECB encryption of word pairs. */
class Blowfish {
  readonly s: Uint32Array = BLOWFISH_INIT.slice();
  readonly #s0 = this.s.subarray(S0, S0 + 256);
  readonly #s1 = this.s.subarray(S1, S1 + 256);
  readonly #s2 = this.s.subarray(S2, S2 + 256);
  readonly #s3 = this.s.subarray(S3, S3 + 256);
  #l = 0;
  #r = 0;

  /** Enciphers (l, r); the result is in `this.l` / `this.r`. */
  encipher(left: number, right: number): void {
    const p = this.s, s0 = this.#s0, s1 = this.#s1, s2 = this.#s2, s3 = this.#s3;
    let l = left ^ p[0], r = right;
    for (let i = 1; i <= 16; i += 2) {
      r ^= (((s0[l >>> 24] + s1[(l >>> 16) & 255]) ^ s2[(l >>> 8) & 255]) + s3[l & 255]) ^ p[i];
      l ^= (((s0[r >>> 24] + s1[(r >>> 16) & 255]) ^ s2[(r >>> 8) & 255]) + s3[r & 255]) ^
        p[i + 1];
    }
    this.#l = (r ^ p[17]) >>> 0;
    this.#r = l >>> 0;
  }

  get l(): number {
    return this.#l;
  }
  get r(): number {
    return this.#r;
  }

  /** Eksblowfish's key schedule, with `data` mixed in (`data` null: `expand0state`). */
  expand(key: Uint8Array, data: Uint8Array | null): void {
    const s = this.s;
    let j = 0;
    const word = (bytes: Uint8Array): number => {
      let w = 0;
      for (let k = 0; k < 4; k++) {
        w = (w << 8) | bytes[j];
        j = (j + 1) % bytes.length;
      }
      return w;
    };
    for (let i = 0; i < 18; i++) s[i] ^= word(key);
    j = 0;
    let l = 0, r = 0;
    for (let i = 0; i < 1042; i += 2) {
      if (data !== null) {
        l ^= word(data);
        r ^= word(data);
      }
      this.encipher(l, r);
      l = this.#l;
      r = this.#r;
      s[i] = l;
      s[i + 1] = r;
    }
  }
}

const MAGIC = new TextEncoder().encode("OxychromaticBlowfishSwatDynamite");

function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array): Uint8Array {
  const bf = new Blowfish();
  bf.expand(sha2pass, sha2salt);
  for (let i = 0; i < 64; i++) {
    bf.expand(sha2salt, null);
    bf.expand(sha2pass, null);
  }
  const view = new DataView(MAGIC.buffer, MAGIC.byteOffset, MAGIC.byteLength);
  const cdata = new Uint32Array(8);
  for (let i = 0; i < 8; i++) cdata[i] = view.getUint32(i * 4);
  for (let round = 0; round < 64; round++) {
    for (let i = 0; i < 8; i += 2) {
      bf.encipher(cdata[i], cdata[i + 1]);
      cdata[i] = bf.l;
      cdata[i + 1] = bf.r;
    }
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(i * 4, cdata[i], true);
  return out;
}

/** The most rounds a key file may ask for (OpenSSH writes 16; a hostile file cannot stall us long). */
export const MAX_BCRYPT_ROUNDS = 1024;

/**
 * Derives `keyLength` bytes from `password` and `salt` with `rounds` rounds
 * (OpenBSD's `bcrypt_pbkdf(3)`).
 * @throws {RangeError} for 0 rounds, an empty salt, or a length outside 1..1024
 */
export function bcryptPbkdf(
  password: Uint8Array,
  salt: Uint8Array,
  keyLength: number,
  rounds: number,
): Uint8Array {
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError("bcrypt_pbkdf needs rounds >= 1");
  }
  if (salt.length === 0 || salt.length > 1 << 20) throw new RangeError("Bad bcrypt_pbkdf salt");
  if (!Number.isInteger(keyLength) || keyLength < 1 || keyLength > 1024) {
    throw new RangeError("Bad bcrypt_pbkdf key length");
  }
  const key = new Uint8Array(keyLength);
  const stride = Math.ceil(keyLength / 32);
  const amount = Math.ceil(keyLength / stride);
  const sha2pass = sha512(password);
  const countSalt = new Uint8Array(salt.length + 4);
  countSalt.set(salt);
  let remaining = keyLength;
  for (let count = 1; remaining > 0; count++) {
    new DataView(countSalt.buffer).setUint32(salt.length, count);
    let tmp = bcryptHash(sha2pass, sha512(countSalt));
    const out = tmp.slice();
    for (let i = 1; i < rounds; i++) {
      tmp = bcryptHash(sha2pass, sha512(tmp));
      for (let j = 0; j < out.length; j++) out[j] ^= tmp[j];
    }
    const take = Math.min(amount, remaining);
    let i = 0;
    for (; i < take; i++) {
      const dest = i * stride + (count - 1);
      if (dest >= keyLength) break;
      key[dest] = out[i];
    }
    remaining -= i;
  }
  return key;
}
