/**
 * PEM key files (RFC 7468 armor): PKCS#1 RSA, SEC1 EC, PKCS#8 (RFC 5208 /
 * 5958) private keys, "PUBLIC KEY" (X.509 SubjectPublicKeyInfo) and "RSA
 * PUBLIC KEY", encrypted PKCS#8 (RFC 8018 PBES2: PBKDF2 with HMAC-SHA1/256/512
 * and AES-CBC, as OpenSSL and `ssh-keygen -m PKCS8` write it), and OpenSSL's
 * legacy `Proc-Type: 4,ENCRYPTED` encryption (DEK-Info AES-128/192/256-CBC,
 * key from EVP_BytesToKey with MD5).
 * @module
 */
import { cbc } from "@noble/ciphers/aes.js";
import { md5 } from "../../cred/_md5.ts";
import { bigintToBytes, bytesToBigint } from "../ssh/_wire.ts";
import {
  der,
  DER_NULL,
  derBits,
  derInteger,
  derOctets,
  derOid,
  DerReader,
  derSequence,
} from "./_der.ts";
import { BadKeyError, EncryptedKeyError } from "./_errors.ts";
import { hmac, sha1, sha256, sha512 } from "./_sha.ts";
import {
  checkKeyData,
  curveByOid,
  type CurveInfo,
  CURVES,
  ed25519PublicFromSeed,
  type KeyData,
  modInverse,
} from "./_key_data.ts";

const RSA_OID = "1.2.840.113549.1.1.1";
const PBES2_OID = "1.2.840.113549.1.5.13";
const PBKDF2_OID = "1.2.840.113549.1.5.12";
const PRFS: Record<string, [(data: Uint8Array) => Uint8Array, number]> = {
  "1.2.840.113549.2.7": [sha1, 64],
  "1.2.840.113549.2.9": [sha256, 64],
  "1.2.840.113549.2.11": [sha512, 128],
};
const PBES2_CIPHERS: Record<string, number> = {
  "2.16.840.1.101.3.4.1.2": 16,
  "2.16.840.1.101.3.4.1.22": 24,
  "2.16.840.1.101.3.4.1.42": 32,
};
/** The most PBKDF2 iterations an encrypted PKCS#8 key may ask for. */
const MAX_PBKDF2_ITERATIONS = 1_000_000;
const EC_OID = "1.2.840.10045.2.1";
const ED25519_OID = "1.3.101.112";

/** One PEM block. */
export interface PemBlock {
  label: string;
  headers: Map<string, string>;
  body: Uint8Array;
}

/** Reads the first PEM block of `text`. */
export function parsePem(text: string): PemBlock {
  const begin = /-----BEGIN ([A-Z0-9 ]{1,40})-----/.exec(text);
  if (!begin) throw new BadKeyError("No PEM BEGIN line");
  const label = begin[1];
  const endLine = `-----END ${label}-----`;
  const end = text.indexOf(endLine, begin.index);
  if (end < 0) throw new BadKeyError(`No "${endLine}" line`);
  const lines = text.slice(begin.index + begin[0].length, end).split(/\r?\n/).map((l) => l.trim());
  const headers = new Map<string, string>();
  let i = 0;
  while (i < lines.length && lines[i] === "") i++;
  while (i < lines.length && lines[i].includes(":")) {
    const colon = lines[i].indexOf(":");
    headers.set(lines[i].slice(0, colon).trim(), lines[i].slice(colon + 1).trim());
    i++;
  }
  return { label, headers, body: decodeBase64(lines.slice(i).join("")) };
}

/** Strict base64 (whitespace already removed). */
export function decodeBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new BadKeyError("Bad base64 in key data");
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new BadKeyError("Bad base64 in key data");
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Base64 (padded). */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** A PEM block with 64-column lines. */
export function writePem(
  label: string,
  body: Uint8Array,
  headers: [string, string][] = [],
): string {
  const b64 = encodeBase64(body);
  const lines = [`-----BEGIN ${label}-----`];
  for (const [k, v] of headers) lines.push(`${k}: ${v}`);
  if (headers.length) lines.push("");
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  lines.push(`-----END ${label}-----`, "");
  return lines.join("\n");
}

function passBytes(passphrase: string | Uint8Array): Uint8Array {
  return typeof passphrase === "string" ? new TextEncoder().encode(passphrase) : passphrase;
}

/** OpenSSL's EVP_BytesToKey with MD5 and one iteration. */
function bytesToKey(pass: Uint8Array, salt: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let filled = 0;
  let previous: Uint8Array = new Uint8Array(0);
  while (filled < length) {
    const input = new Uint8Array(previous.length + pass.length + salt.length);
    input.set(previous);
    input.set(pass, previous.length);
    input.set(salt, previous.length + pass.length);
    previous = md5(input);
    out.set(previous.subarray(0, length - filled), filled);
    filled += previous.length;
  }
  return out;
}

const DEK_CIPHERS: Record<string, number> = {
  "AES-128-CBC": 16,
  "AES-192-CBC": 24,
  "AES-256-CBC": 32,
};

function decryptLegacy(block: PemBlock, passphrase: string | Uint8Array | undefined): Uint8Array {
  const dek = block.headers.get("DEK-Info");
  if (dek === undefined) throw new BadKeyError("Encrypted PEM key without DEK-Info");
  const [cipher, ivHex = ""] = dek.split(",").map((s) => s.trim());
  const keyLength = DEK_CIPHERS[cipher.toUpperCase()];
  if (keyLength === undefined) {
    throw new BadKeyError(
      `Unsupported PEM key encryption ${JSON.stringify(cipher)} (AES-CBC only)`,
    );
  }
  if (!/^[0-9a-fA-F]{32}$/.test(ivHex)) throw new BadKeyError("Bad DEK-Info IV");
  if (passphrase === undefined) {
    throw new EncryptedKeyError("Passphrase must be provided for an encrypted key");
  }
  const iv = Uint8Array.from(ivHex.match(/../g)!, (h) => parseInt(h, 16));
  if (block.body.length === 0 || block.body.length % 16) {
    throw new BadKeyError("Bad encrypted PEM length");
  }
  const key = bytesToKey(passBytes(passphrase), iv.subarray(0, 8), keyLength);
  try {
    return cbc(key, iv).decrypt(block.body);
  } catch {
    throw new EncryptedKeyError("Incorrect passphrase (the key does not decrypt)");
  }
}

/** PBKDF2 (RFC 8018 5.2) over HMAC with `prf`. */
function pbkdf2(
  prf: [(data: Uint8Array) => Uint8Array, number],
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Uint8Array {
  const [hash, block] = prf;
  const out = new Uint8Array(length);
  const first = new Uint8Array(salt.length + 4);
  first.set(salt);
  for (let index = 1, filled = 0; filled < length; index++) {
    new DataView(first.buffer).setUint32(salt.length, index);
    let u = hmac(hash, block, password, first);
    const t = u.slice();
    for (let i = 1; i < iterations; i++) {
      u = hmac(hash, block, password, u);
      for (let j = 0; j < t.length; j++) t[j] ^= u[j];
    }
    out.set(t.subarray(0, length - filled), filled);
    filled += t.length;
  }
  return out;
}

/** Decrypts an EncryptedPrivateKeyInfo (PBES2: PBKDF2 and AES-CBC, as OpenSSL writes it). */
function decryptPkcs8(body: Uint8Array, passphrase: string | Uint8Array | undefined): Uint8Array {
  const seq = new DerReader(body).sequence();
  const alg = seq.sequence();
  const scheme = alg.oid();
  if (scheme !== PBES2_OID) {
    throw new BadKeyError(`Unsupported encrypted PKCS#8 scheme ${scheme} (PBES2 only)`);
  }
  const params = alg.sequence();
  const kdf = params.sequence();
  if (kdf.oid() !== PBKDF2_OID) throw new BadKeyError("Unsupported PBES2 key derivation");
  const kdfParams = kdf.sequence();
  const salt = kdfParams.octetString();
  const iterations = kdfParams.integer();
  let prf = PRFS["1.2.840.113549.2.7"];
  while (!kdfParams.done) {
    const element = kdfParams.next();
    if (element.tag === 0x30) {
      const prfOid = new DerReader(element.value).oid();
      prf = PRFS[prfOid];
      if (prf === undefined) throw new BadKeyError(`Unsupported PBKDF2 PRF ${prfOid}`);
    }
  }
  const cipher = params.sequence();
  const cipherOid = cipher.oid();
  const keyLength = PBES2_CIPHERS[cipherOid];
  if (keyLength === undefined) {
    throw new BadKeyError(`Unsupported PBES2 cipher ${cipherOid} (AES-CBC only)`);
  }
  const iv = cipher.octetString();
  const data = seq.octetString();
  if (iterations < 1n || iterations > BigInt(MAX_PBKDF2_ITERATIONS)) {
    throw new BadKeyError(
      `PBKDF2 iteration count ${iterations} is outside 1..${MAX_PBKDF2_ITERATIONS}`,
    );
  }
  if (iv.length !== 16 || data.length === 0 || data.length % 16) {
    throw new BadKeyError("Bad encrypted PKCS#8 data");
  }
  if (passphrase === undefined) {
    throw new EncryptedKeyError("Passphrase must be provided for an encrypted key");
  }
  const key = pbkdf2(prf, passBytes(passphrase), salt, Number(iterations), keyLength);
  try {
    return cbc(key, iv).decrypt(data);
  } catch {
    throw new EncryptedKeyError("Incorrect passphrase (the key does not decrypt)");
  }
}

function rsaFromPkcs1(body: Uint8Array): KeyData {
  const seq = new DerReader(body).sequence();
  const version = seq.integer();
  if (version !== 0n) throw new BadKeyError("Multi-prime RSA keys are not supported");
  const n = seq.integer(),
    e = seq.integer(),
    d = seq.integer(),
    p = seq.integer(),
    q = seq.integer();
  seq.integer(); // dp
  seq.integer(); // dq
  const iqmp = seq.integer();
  if (p * q !== n) throw new BadKeyError("RSA p * q is not n");
  return checkKeyData({ kind: "RSA", n, e, d, p, q, iqmp });
}

function ecFromSec1(body: Uint8Array, known?: CurveInfo): KeyData {
  const seq = new DerReader(body).sequence();
  if (seq.integer() !== 1n) throw new BadKeyError("Bad EC private key version");
  const dBytes = seq.octetString();
  let curve = known;
  let q: Uint8Array | undefined;
  while (!seq.done) {
    const element = seq.next();
    if (element.tag === 0xa0) {
      const oid = new DerReader(element.value).oid();
      curve = curveByOid(oid);
      if (curve === undefined) throw new BadKeyError(`Unsupported EC curve ${oid}`);
    } else if (element.tag === 0xa1) {
      q = new DerReader(element.value).bitString().slice();
    }
  }
  if (curve === undefined) throw new BadKeyError("EC private key names no curve");
  if (q === undefined) throw new BadKeyError("EC private key without its public point");
  return checkKeyData({ kind: "EC", curve: curve.name, q, d: bytesToBigint(dBytes) });
}

function fromPkcs8(body: Uint8Array): KeyData {
  const seq = new DerReader(body).sequence();
  const version = seq.integer();
  if (version > 1n) throw new BadKeyError("Unknown PKCS#8 version");
  const alg = seq.sequence();
  const oid = alg.oid();
  const inner = seq.octetString();
  if (oid === RSA_OID) return rsaFromPkcs1(inner);
  if (oid === EC_OID) {
    const curveOid = alg.oid();
    const curve = curveByOid(curveOid);
    if (curve === undefined) throw new BadKeyError(`Unsupported EC curve ${curveOid}`);
    return ecFromSec1(inner, curve);
  }
  if (oid === ED25519_OID) {
    const seed = new DerReader(inner).octetString().slice();
    if (seed.length !== 32) throw new BadKeyError("An Ed25519 private key has 32 bytes");
    return checkKeyData({ kind: "Ed25519", pub: ed25519PublicFromSeed(seed), seed });
  }
  throw new BadKeyError(`Unsupported PKCS#8 key algorithm ${oid}`);
}

function fromSpki(body: Uint8Array): KeyData {
  const seq = new DerReader(body).sequence();
  const alg = seq.sequence();
  const oid = alg.oid();
  const bits = seq.bitString().slice();
  if (oid === RSA_OID) return rsaPublicFromPkcs1(bits);
  if (oid === EC_OID) {
    const curve = curveByOid(alg.oid());
    if (curve === undefined) throw new BadKeyError("Unsupported EC curve");
    return checkKeyData({ kind: "EC", curve: curve.name, q: bits });
  }
  if (oid === ED25519_OID) return checkKeyData({ kind: "Ed25519", pub: bits });
  throw new BadKeyError(`Unsupported public key algorithm ${oid}`);
}

function rsaPublicFromPkcs1(body: Uint8Array): KeyData {
  const seq = new DerReader(body).sequence();
  const n = seq.integer();
  return checkKeyData({ kind: "RSA", n, e: seq.integer() });
}

/** Reads a PEM key (private or public) from `text`. */
export function readPemKey(text: string, passphrase?: string | Uint8Array): KeyData {
  const block = parsePem(text);
  let body = block.body;
  if (block.label === "ENCRYPTED PRIVATE KEY") {
    const decrypted = decryptPkcs8(body, passphrase);
    try {
      return fromPkcs8(decrypted);
    } catch (error) {
      if (error instanceof BadKeyError) {
        throw new EncryptedKeyError("Incorrect passphrase (the decrypted key does not parse)");
      }
      throw error;
    }
  }
  const encrypted = block.headers.get("Proc-Type")?.replace(/\s/g, "") === "4,ENCRYPTED";
  if (encrypted) body = decryptLegacy(block, passphrase);
  try {
    switch (block.label) {
      case "RSA PRIVATE KEY":
        return rsaFromPkcs1(body);
      case "EC PRIVATE KEY":
        return ecFromSec1(body);
      case "PRIVATE KEY":
        return fromPkcs8(body);
      case "PUBLIC KEY":
        return fromSpki(body);
      case "RSA PUBLIC KEY":
        return rsaPublicFromPkcs1(body);
    }
  } catch (error) {
    if (encrypted && error instanceof BadKeyError) {
      throw new EncryptedKeyError("Incorrect passphrase (the decrypted key does not parse)");
    }
    throw error;
  }
  throw new BadKeyError(`Unsupported PEM block "${block.label}"`);
}

/** A private key as PEM: PKCS#1 (RSA), SEC1 (EC) or PKCS#8 (Ed25519); legacy AES-128-CBC with a passphrase. */
export function writePemPrivate(data: KeyData, passphrase?: string | Uint8Array): string {
  let label: string;
  let body: Uint8Array;
  if (data.kind === "RSA") {
    const { n, e, d, p, q } = data;
    if (d === undefined || p === undefined || q === undefined) throw new BadKeyError("Not private");
    label = "RSA PRIVATE KEY";
    body = derSequence(
      derInteger(0),
      ...[n, e, d, p, q, d % (p - 1n), d % (q - 1n), data.iqmp ?? modInverse(q, p)].map(derInteger),
    );
  } else if (data.kind === "EC") {
    if (data.d === undefined) throw new BadKeyError("Not private");
    const curve = CURVES[data.curve];
    label = "EC PRIVATE KEY";
    body = derSequence(
      derInteger(1),
      derOctets(bigintToBytes(data.d, curve.size)),
      der(0xa0, derOid(curve.oid)),
      der(0xa1, derBits(data.q)),
    );
  } else {
    if (data.seed === undefined) throw new BadKeyError("Not private");
    label = "PRIVATE KEY";
    body = derSequence(
      derInteger(0),
      derSequence(derOid(ED25519_OID)),
      derOctets(derOctets(data.seed)),
    );
    if (passphrase !== undefined && passphrase.length > 0) {
      throw new BadKeyError("Encrypted PEM Ed25519 keys are not supported: use the OpenSSH format");
    }
  }
  if (passphrase === undefined || passphrase.length === 0) return writePem(label, body);
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const key = bytesToKey(passBytes(passphrase), iv.subarray(0, 8), 16);
  const hex = Array.from(iv, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
  return writePem(label, cbc(key, iv).encrypt(body), [
    ["Proc-Type", "4,ENCRYPTED"],
    ["DEK-Info", `AES-128-CBC,${hex}`],
  ]);
}

/** A public key as PEM SubjectPublicKeyInfo ("PUBLIC KEY"). */
export function writePemPublic(data: KeyData): string {
  let alg: Uint8Array;
  let bits: Uint8Array;
  if (data.kind === "RSA") {
    alg = derSequence(derOid(RSA_OID), DER_NULL);
    bits = derSequence(derInteger(data.n), derInteger(data.e));
  } else if (data.kind === "EC") {
    alg = derSequence(derOid(EC_OID), derOid(CURVES[data.curve].oid));
    bits = data.q;
  } else {
    alg = derSequence(derOid(ED25519_OID));
    bits = data.pub;
  }
  return writePem("PUBLIC KEY", derSequence(alg, derBits(bits)));
}
