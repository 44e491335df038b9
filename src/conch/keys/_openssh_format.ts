/**
 * OpenSSH's own key files: "openssh-key-v1" private keys (PROTOCOL.key:
 * unencrypted, or bcrypt-pbkdf with aes256-ctr, aes128-ctr, aes192-ctr,
 * aes128-cbc, aes256-cbc), one-line public keys, and RFC 4716 ("SSH2")
 * public keys.
 * @module
 */
import { cbc, ctr } from "@noble/ciphers/aes.js";
import { SSHReader, SSHWireError, SSHWriter } from "../ssh/_wire.ts";
import { bcryptPbkdf, MAX_BCRYPT_ROUNDS } from "./_bcrypt_pbkdf.ts";
import { BadKeyError, EncryptedKeyError } from "./_errors.ts";
import {
  type KeyData,
  parsePublicBlob,
  privateBlob,
  publicBlob,
  readPrivateBlob,
  sshTypeOf,
} from "./_key_data.ts";
import { decodeBase64, encodeBase64, parsePem } from "./_pem.ts";

const MAGIC = new TextEncoder().encode("openssh-key-v1\0");

const CIPHERS: Record<string, { keyLength: number; mode: "ctr" | "cbc" }> = {
  "aes128-ctr": { keyLength: 16, mode: "ctr" },
  "aes192-ctr": { keyLength: 24, mode: "ctr" },
  "aes256-ctr": { keyLength: 32, mode: "ctr" },
  "aes128-cbc": { keyLength: 16, mode: "cbc" },
  "aes256-cbc": { keyLength: 32, mode: "cbc" },
};

function crypt(cipher: string, secret: Uint8Array, data: Uint8Array, encrypt: boolean): Uint8Array {
  const { keyLength, mode } = CIPHERS[cipher];
  const key = secret.subarray(0, keyLength);
  const iv = secret.subarray(keyLength, keyLength + 16);
  const c = mode === "ctr" ? ctr(key, iv) : cbc(key, iv, { disablePadding: true });
  return encrypt ? c.encrypt(data) : c.decrypt(data);
}

function passBytes(passphrase: string | Uint8Array): Uint8Array {
  return typeof passphrase === "string" ? new TextEncoder().encode(passphrase) : passphrase;
}

/** A private key read from an OpenSSH file, with its comment. */
export interface ParsedPrivate {
  data: KeyData;
  comment: string;
}

/** Reads an "openssh-key-v1" private key (PEM-armored text). */
export function readOpenSSHPrivate(text: string, passphrase?: string | Uint8Array): ParsedPrivate {
  const block = parsePem(text);
  if (block.label !== "OPENSSH PRIVATE KEY") throw new BadKeyError("Not an OpenSSH private key");
  const body = block.body;
  if (body.length < MAGIC.length || !MAGIC.every((b, i) => body[i] === b)) {
    throw new BadKeyError("OpenSSH private key without the openssh-key-v1 magic");
  }
  try {
    const r = new SSHReader(body, MAGIC.length);
    const cipher = r.text();
    const kdf = r.text();
    const kdfOptions = r.string();
    const count = r.uint32();
    if (count !== 1) {
      throw new BadKeyError(`OpenSSH key files with ${count} keys are not supported`);
    }
    const pub = parsePublicBlob(r.string());
    let secret = r.string();
    if (cipher !== "none") {
      if (!(cipher in CIPHERS)) throw new BadKeyError(`Unsupported key cipher ${cipher}`);
      if (kdf !== "bcrypt") throw new BadKeyError(`Unsupported key derivation ${kdf}`);
      const o = new SSHReader(kdfOptions);
      const salt = o.string();
      const rounds = o.uint32();
      if (rounds < 1 || rounds > MAX_BCRYPT_ROUNDS || salt.length < 1 || salt.length > 1024) {
        throw new BadKeyError(`Bad bcrypt parameters (${rounds} rounds, ${salt.length}-byte salt)`);
      }
      if (secret.length % 16 !== 0) {
        throw new BadKeyError("Encrypted key length is not whole blocks");
      }
      if (passphrase === undefined) {
        throw new EncryptedKeyError("Passphrase must be provided for an encrypted key");
      }
      const { keyLength } = CIPHERS[cipher];
      const derived = bcryptPbkdf(passBytes(passphrase), salt, keyLength + 16, rounds);
      secret = crypt(cipher, derived, secret, false);
    } else if (kdf !== "none") {
      throw new BadKeyError(`Key derivation ${kdf} without a cipher`);
    }
    const s = new SSHReader(secret);
    const check1 = s.uint32(), check2 = s.uint32();
    if (check1 !== check2) {
      if (cipher !== "none") throw new EncryptedKeyError("Incorrect passphrase");
      throw new BadKeyError("The key's check numbers differ: corrupt key");
    }
    const data = readPrivateBlob(s);
    const comment = s.text();
    const padding = s.rest();
    if (!padding.every((b, i) => b === i + 1)) throw new BadKeyError("Bad padding in private key");
    if (sshTypeOf(pub) !== sshTypeOf(data) || !sameBytes(publicBlob(pub), publicBlob(data))) {
      throw new BadKeyError("The public and private halves of the key differ");
    }
    return { data, comment };
  } catch (error) {
    if (error instanceof SSHWireError) {
      throw new BadKeyError(`Corrupt OpenSSH key: ${error.message}`);
    }
    throw error;
  }
}

/**
 * The public key of an "openssh-key-v1" file, read from its unencrypted
 * header: no passphrase needed (the comment is inside the encrypted part).
 */
export function readOpenSSHPrivatePublic(text: string): KeyData {
  const block = parsePem(text);
  const body = block.body;
  if (
    block.label !== "OPENSSH PRIVATE KEY" || body.length < MAGIC.length ||
    !MAGIC.every((b, i) => body[i] === b)
  ) {
    throw new BadKeyError("Not an OpenSSH private key");
  }
  try {
    const r = new SSHReader(body, MAGIC.length);
    r.string();
    r.string();
    r.string();
    if (r.uint32() !== 1) {
      throw new BadKeyError("OpenSSH key files with several keys are not supported");
    }
    return parsePublicBlob(r.string());
  } catch (error) {
    if (error instanceof SSHWireError) {
      throw new BadKeyError(`Corrupt OpenSSH key: ${error.message}`);
    }
    throw error;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Writes an "openssh-key-v1" private key; with a passphrase, aes256-ctr and bcrypt (16 rounds). */
export function writeOpenSSHPrivate(
  data: KeyData,
  comment: string,
  passphrase?: string | Uint8Array,
): string {
  const encrypted = passphrase !== undefined && passphrase.length > 0;
  const block = encrypted ? 16 : 8;
  const check = crypto.getRandomValues(new Uint32Array(1))[0];
  const inner = new SSHWriter().uint32(check).uint32(check).raw(privateBlob(data)).string(comment);
  for (let i = 1; inner.length % block !== 0; i++) inner.byte(i);
  let secret = inner.bytes();
  const w = new SSHWriter().raw(MAGIC);
  if (encrypted) {
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const rounds = 16;
    const derived = bcryptPbkdf(passBytes(passphrase), salt, 48, rounds);
    secret = crypt("aes256-ctr", derived, secret, true);
    w.string("aes256-ctr").string("bcrypt").string(
      new SSHWriter().string(salt).uint32(rounds).bytes(),
    );
  } else {
    w.string("none").string("none").string(new Uint8Array(0));
  }
  w.uint32(1).string(publicBlob(data)).string(secret);
  const b64 = encodeBase64(w.bytes());
  const lines = ["-----BEGIN OPENSSH PRIVATE KEY-----"];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  lines.push("-----END OPENSSH PRIVATE KEY-----", "");
  return lines.join("\n");
}

/** A public key read from text, with its comment. */
export interface ParsedPublic {
  data: KeyData;
  comment: string;
}

/** Reads a one-line OpenSSH public key: `TYPE BASE64 [COMMENT]`. */
export function readOpenSSHPublic(text: string): ParsedPublic {
  const line = text.trim().split(/\r?\n/)[0] ?? "";
  const match = /^(\S+)\s+([A-Za-z0-9+/=]+)(?:\s+(.*))?$/.exec(line);
  if (!match) throw new BadKeyError("Not an OpenSSH public key line");
  const data = parsePublicBlob(decodeBase64(match[2]));
  if (sshTypeOf(data) !== match[1]) {
    throw new BadKeyError(`Key type ${match[1]} does not match the blob's ${sshTypeOf(data)}`);
  }
  return { data, comment: (match[3] ?? "").trim() };
}

/** The one-line OpenSSH form of a public key. */
export function writeOpenSSHPublic(data: KeyData, comment: string): string {
  const line = `${sshTypeOf(data)} ${encodeBase64(publicBlob(data))}`;
  return comment ? `${line} ${comment}` : line;
}

/** Reads an RFC 4716 public key (`---- BEGIN SSH2 PUBLIC KEY ----`). */
export function readSSHComPublic(text: string): ParsedPublic {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const start = lines.indexOf("---- BEGIN SSH2 PUBLIC KEY ----");
  const end = lines.indexOf("---- END SSH2 PUBLIC KEY ----", start + 1);
  if (start < 0 || end < 0) throw new BadKeyError("Not an RFC 4716 public key");
  let comment = "";
  const body: string[] = [];
  for (let i = start + 1; i < end; i++) {
    let line = lines[i];
    if (body.length === 0 && line.includes(":")) {
      while (line.endsWith("\\") && i + 1 < end) line = line.slice(0, -1) + lines[++i];
      const colon = line.indexOf(":");
      const tag = line.slice(0, colon).trim().toLowerCase();
      let value = line.slice(colon + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
        value = value.slice(1, -1);
      }
      if (tag === "comment") comment = value;
      continue;
    }
    body.push(line);
  }
  return { data: parsePublicBlob(decodeBase64(body.join(""))), comment };
}

/** Writes an RFC 4716 public key. */
export function writeSSHComPublic(data: KeyData, comment: string): string {
  const b64 = encodeBase64(publicBlob(data));
  const lines = ["---- BEGIN SSH2 PUBLIC KEY ----"];
  if (comment) lines.push(`Comment: "${comment.replace(/["\\]/g, "")}"`);
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  lines.push("---- END SSH2 PUBLIC KEY ----", "");
  return lines.join("\n");
}
