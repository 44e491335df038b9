/**
 * A key's numbers, independent of any file format, and their SSH encodings:
 * the public blob (RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4) and the private
 * blob of OpenSSH's key files and agent protocol. Also Ed25519's public key
 * from its seed (for PKCS#8 files that omit it), and JWKs for WebCrypto.
 * @module
 */
import { bigintToBytes, bytesToBigint, SSHReader, SSHWireError, SSHWriter } from "../ssh/_wire.ts";
import { BadKeyError } from "./_errors.ts";
import { sha512 } from "./_sha.ts";

/** NIST curve names as SSH spells them. */
export type CurveName = "nistp256" | "nistp384" | "nistp521";

/** A curve's facts. */
export interface CurveInfo {
  /** SSH's name. */
  name: CurveName;
  /** WebCrypto's name. */
  webName: "P-256" | "P-384" | "P-521";
  /** The ASN.1 OID of the named curve. */
  oid: string;
  /** Bits. */
  bits: number;
  /** Bytes of a coordinate or scalar. */
  size: number;
  /** The hash of its ECDSA signatures (RFC 5656 6.2.1). */
  hash: "SHA-256" | "SHA-384" | "SHA-512";
}

/** The three curves. */
export const CURVES: Record<CurveName, CurveInfo> = {
  nistp256: {
    name: "nistp256",
    webName: "P-256",
    oid: "1.2.840.10045.3.1.7",
    bits: 256,
    size: 32,
    hash: "SHA-256",
  },
  nistp384: {
    name: "nistp384",
    webName: "P-384",
    oid: "1.3.132.0.34",
    bits: 384,
    size: 48,
    hash: "SHA-384",
  },
  nistp521: {
    name: "nistp521",
    webName: "P-521",
    oid: "1.3.132.0.35",
    bits: 521,
    size: 66,
    hash: "SHA-512",
  },
};

// Each curve's field prime and constant b (y^2 = x^3 - 3x + b), FIPS 186-4 D.1.2.
const CURVE_EQUATION: Record<CurveName, [bigint, bigint]> = {
  nistp256: [
    (1n << 256n) - (1n << 224n) + (1n << 192n) + (1n << 96n) - 1n,
    0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  ],
  nistp384: [
    (1n << 384n) - (1n << 128n) - (1n << 96n) + (1n << 32n) - 1n,
    0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  ],
  nistp521: [
    (1n << 521n) - 1n,
    0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  ],
};

/** True when the uncompressed point `q` lies on `curve`. */
export function onCurve(curve: CurveName, q: Uint8Array): boolean {
  const [p, b] = CURVE_EQUATION[curve];
  const size = CURVES[curve].size;
  const x = bytesToBigint(q.subarray(1, 1 + size));
  const y = bytesToBigint(q.subarray(1 + size));
  if (x >= p || y >= p) return false;
  return (y * y - (x * x * x - 3n * x + b)) % p === 0n;
}

/** A curve by OID, or undefined. */
export function curveByOid(oid: string): CurveInfo | undefined {
  return Object.values(CURVES).find((c) => c.oid === oid);
}

/** An RSA key's numbers (private ones absent for a public key). */
export interface RSAKeyData {
  /** The type. */
  kind: "RSA";
  /** The modulus. */
  n: bigint;
  /** The public exponent. */
  e: bigint;
  /** The private exponent. */
  d?: bigint;
  /** The first prime. */
  p?: bigint;
  /** The second prime. */
  q?: bigint;
  /** q to the power -1 mod p. */
  iqmp?: bigint;
}

/** An ECDSA key: the curve, the public point (uncompressed, 04||x||y), the private scalar. */
export interface ECKeyData {
  /** The type. */
  kind: "EC";
  /** The curve. */
  curve: CurveName;
  /** The public point, uncompressed (04 || x || y). */
  q: Uint8Array;
  /** The private scalar. */
  d?: bigint;
}

/** An Ed25519 key: the 32-byte public key and the 32-byte private seed. */
export interface Ed25519KeyData {
  /** The type. */
  kind: "Ed25519";
  /** The 32-byte public key. */
  pub: Uint8Array;
  /** The 32-byte private seed. */
  seed?: Uint8Array;
}

/** The numbers of a key of any supported type. */
export type KeyData = RSAKeyData | ECKeyData | Ed25519KeyData;

/** The largest RSA modulus accepted (bits): bounds the work a hostile key can cause. */
export const MAX_RSA_BITS = 16384;

/** The key's SSH type name. */
export function sshTypeOf(data: KeyData): string {
  if (data.kind === "RSA") return "ssh-rsa";
  if (data.kind === "EC") return `ecdsa-sha2-${data.curve}`;
  return "ssh-ed25519";
}

/** True when `data` has its private part. */
export function isPrivate(data: KeyData): boolean {
  if (data.kind === "RSA") return data.d !== undefined;
  if (data.kind === "EC") return data.d !== undefined;
  return data.seed !== undefined;
}

/** Checks the public numbers; throws BadKeyError. */
export function checkKeyData(data: KeyData): KeyData {
  if (data.kind === "RSA") {
    const bits = data.n.toString(2).length;
    if (data.n <= 0n || bits > MAX_RSA_BITS || bits < 512) {
      throw new BadKeyError(`RSA modulus of ${bits} bits is outside 512..${MAX_RSA_BITS}`);
    }
    if (data.e < 3n || data.e % 2n === 0n || data.e >= data.n) {
      throw new BadKeyError("Bad RSA public exponent");
    }
  } else if (data.kind === "EC") {
    const curve = CURVES[data.curve];
    if (data.q.length !== 1 + 2 * curve.size || data.q[0] !== 4) {
      throw new BadKeyError(`Bad ${data.curve} public point (only uncompressed points)`);
    }
    if (!onCurve(data.curve, data.q)) throw new BadKeyError(`The point is not on ${data.curve}`);
    if (data.d !== undefined && (data.d <= 0n || data.d.toString(2).length > curve.bits)) {
      throw new BadKeyError("Bad ECDSA private scalar");
    }
  } else {
    if (data.pub.length !== 32) throw new BadKeyError("An Ed25519 public key has 32 bytes");
    if (data.seed !== undefined && data.seed.length !== 32) {
      throw new BadKeyError("An Ed25519 private key has 32 bytes");
    }
  }
  return data;
}

function curveOfType(type: string): CurveName | undefined {
  const match = /^ecdsa-sha2-(nistp256|nistp384|nistp521)$/.exec(type);
  return match ? match[1] as CurveName : undefined;
}

function wire<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof SSHWireError) throw new BadKeyError(`Bad ${what}: ${error.message}`);
    throw error;
  }
}

function readPublicPart(r: SSHReader, type: string): KeyData {
  if (type === "ssh-rsa") {
    const e = r.mpint();
    const n = r.mpint();
    return { kind: "RSA", n, e };
  }
  if (type === "ssh-ed25519") return { kind: "Ed25519", pub: r.string().slice() };
  const curve = curveOfType(type);
  if (curve === undefined) throw new BadKeyError(`Unknown key type ${JSON.stringify(type)}`);
  const name = new TextDecoder().decode(r.string());
  if (name !== curve) throw new BadKeyError(`ECDSA curve ${JSON.stringify(name)} != ${type}`);
  return { kind: "EC", curve, q: r.string().slice() };
}

/** Reads a public key blob (all of `blob`). */
export function parsePublicBlob(blob: Uint8Array): KeyData {
  return wire("public key blob", () => {
    const r = new SSHReader(blob);
    const data = readPublicPart(r, r.text());
    r.end();
    return checkKeyData(data);
  });
}

/** The public key blob of `data`. */
export function publicBlob(data: KeyData): Uint8Array {
  const w = new SSHWriter().string(sshTypeOf(data));
  if (data.kind === "RSA") w.mpint(data.e).mpint(data.n);
  else if (data.kind === "EC") w.string(data.curve).string(data.q);
  else w.string(data.pub);
  return w.bytes();
}

/**
 * Reads a private key blob from `r` (OpenSSH's private section / the agent's
 * `SSH2_AGENTC_ADD_IDENTITY` layout), leaving `r` after it.
 */
export function readPrivateBlob(r: SSHReader): KeyData {
  return wire("private key blob", () => {
    const type = r.text();
    if (type === "ssh-rsa") {
      const n = r.mpint(), e = r.mpint(), d = r.mpint(), iqmp = r.mpint();
      const p = r.mpint(), q = r.mpint();
      if (p * q !== n) throw new BadKeyError("RSA p * q is not n");
      return checkKeyData({ kind: "RSA", n, e, d, p, q, iqmp });
    }
    if (type === "ssh-ed25519") {
      const pub = r.string().slice();
      const both = r.string();
      if (both.length !== 64) throw new BadKeyError("An Ed25519 private key has 64 bytes");
      if (!equalBytes(both.subarray(32), pub)) throw new BadKeyError("Ed25519 key halves differ");
      if (!equalBytes(ed25519PublicFromSeed(both.subarray(0, 32)), pub)) {
        throw new BadKeyError("The Ed25519 public key is not the private key's");
      }
      return checkKeyData({ kind: "Ed25519", pub, seed: both.slice(0, 32) });
    }
    const curve = curveOfType(type);
    if (curve === undefined) throw new BadKeyError(`Unknown key type ${JSON.stringify(type)}`);
    const data = readPublicPart(r, type) as ECKeyData;
    data.d = r.mpint();
    return checkKeyData(data);
  });
}

/** Reads a whole private key blob. */
export function parsePrivateBlob(blob: Uint8Array): KeyData {
  const r = new SSHReader(blob);
  const data = readPrivateBlob(r);
  if (r.remaining !== 0) throw new BadKeyError("Private key blob has trailing bytes");
  return data;
}

/** The private key blob of `data` (which must be private). */
export function privateBlob(data: KeyData): Uint8Array {
  const w = new SSHWriter().string(sshTypeOf(data));
  if (data.kind === "RSA") {
    const { n, e, d, p, q } = data;
    if (d === undefined || p === undefined || q === undefined) throw new BadKeyError("Not private");
    w.mpint(n).mpint(e).mpint(d).mpint(data.iqmp ?? modInverse(q, p)).mpint(p).mpint(q);
  } else if (data.kind === "EC") {
    if (data.d === undefined) throw new BadKeyError("Not private");
    w.string(data.curve).string(data.q).mpint(data.d);
  } else {
    if (data.seed === undefined) throw new BadKeyError("Not private");
    const both = new Uint8Array(64);
    both.set(data.seed);
    both.set(data.pub, 32);
    w.string(data.pub).string(both);
  }
  return w.bytes();
}

/** The size of the key in bits. */
export function keyBits(data: KeyData): number {
  if (data.kind === "RSA") return data.n.toString(2).length;
  if (data.kind === "EC") return CURVES[data.curve].bits;
  return 256;
}

/** Constant-time equality of two byte strings (length may leak). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** `a` to the power -1 modulo `m`. */
export function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new BadKeyError("Number has no inverse");
  return ((oldS % m) + m) % m;
}

// --- Ed25519 public key from the seed (RFC 8032 5.1.5), with BigInt ---

const P = (1n << 255n) - 19n;
const mod = (a: bigint): bigint => ((a % P) + P) % P;
function pow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}
const D = mod(-121665n * pow(121666n, P - 2n));
const BASE: [bigint, bigint, bigint, bigint] = (() => {
  const y = mod(4n * pow(5n, P - 2n));
  const x2 = mod((y * y - 1n) * pow(D * y * y + 1n, P - 2n));
  let x = pow(x2, (P + 3n) / 8n);
  if (mod(x * x - x2) !== 0n) x = mod(x * pow(2n, (P - 1n) / 4n));
  if (x & 1n) x = P - x;
  return [x, y, 1n, mod(x * y)];
})();

type Point = [bigint, bigint, bigint, bigint];
function add(p: Point, q: Point): Point {
  const a = mod((p[1] - p[0]) * (q[1] - q[0]));
  const b = mod((p[1] + p[0]) * (q[1] + q[0]));
  const c = mod(2n * p[3] * q[3] * D);
  const d = mod(2n * p[2] * q[2]);
  const e = b - a, f = d - c, g = d + c, h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

/** The Ed25519 public key of a 32-byte seed. */
export function ed25519PublicFromSeed(seed: Uint8Array): Uint8Array {
  const h = sha512(seed);
  const scalarBytes = h.slice(0, 32);
  scalarBytes[0] &= 248;
  scalarBytes[31] &= 127;
  scalarBytes[31] |= 64;
  let scalar = bytesToBigint(scalarBytes.reverse());
  let result: Point = [0n, 1n, 1n, 0n];
  let base: Point = BASE;
  while (scalar > 0n) {
    if (scalar & 1n) result = add(result, base);
    base = add(base, base);
    scalar >>= 1n;
  }
  const zInv = pow(result[2], P - 2n);
  const x = mod(result[0] * zInv), y = mod(result[1] * zInv);
  const out = bigintToBytes(y, 32).reverse();
  if (x & 1n) out[31] |= 0x80;
  return out;
}

// --- JWK for WebCrypto ---

/** Unpadded base64url. */
export function b64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

/** Decodes base64url. */
export function fromB64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

const minimal = (n: bigint): Uint8Array => {
  let length = 1;
  while (n >> BigInt(length * 8) > 0n) length++;
  return bigintToBytes(n, length);
};

/** The key as a JWK, private when `withPrivate` and the key has it. */
export function toJwk(data: KeyData, withPrivate: boolean): JsonWebKey {
  if (data.kind === "Ed25519") {
    const jwk: JsonWebKey = { kty: "OKP", crv: "Ed25519", x: b64url(data.pub) };
    if (withPrivate && data.seed) jwk.d = b64url(data.seed);
    return jwk;
  }
  if (data.kind === "EC") {
    const curve = CURVES[data.curve];
    const jwk: JsonWebKey = {
      kty: "EC",
      crv: curve.webName,
      x: b64url(data.q.subarray(1, 1 + curve.size)),
      y: b64url(data.q.subarray(1 + curve.size)),
    };
    if (withPrivate && data.d !== undefined) jwk.d = b64url(bigintToBytes(data.d, curve.size));
    return jwk;
  }
  const jwk: JsonWebKey = { kty: "RSA", n: b64url(minimal(data.n)), e: b64url(minimal(data.e)) };
  if (withPrivate && data.d !== undefined && data.p !== undefined && data.q !== undefined) {
    jwk.d = b64url(minimal(data.d));
    jwk.p = b64url(minimal(data.p));
    jwk.q = b64url(minimal(data.q));
    jwk.dp = b64url(minimal(data.d % (data.p - 1n)));
    jwk.dq = b64url(minimal(data.d % (data.q - 1n)));
    jwk.qi = b64url(minimal(data.iqmp ?? modInverse(data.q, data.p)));
  }
  return jwk;
}

/** Key numbers from a private JWK exported by WebCrypto. */
export function fromJwk(jwk: JsonWebKey): KeyData {
  const num = (s: string | undefined): bigint => bytesToBigint(fromB64url(s ?? ""));
  if (jwk.kty === "OKP") {
    return { kind: "Ed25519", pub: fromB64url(jwk.x!), seed: fromB64url(jwk.d!) };
  }
  if (jwk.kty === "EC") {
    const curve = Object.values(CURVES).find((c) => c.webName === jwk.crv)!;
    const q = new Uint8Array(1 + 2 * curve.size);
    q[0] = 4;
    q.set(fromB64url(jwk.x!), 1);
    q.set(fromB64url(jwk.y!), 1 + curve.size);
    return { kind: "EC", curve: curve.name, q, d: num(jwk.d) };
  }
  const p = num(jwk.p), q = num(jwk.q);
  return { kind: "RSA", n: num(jwk.n), e: num(jwk.e), d: num(jwk.d), p, q, iqmp: num(jwk.qi) };
}
