/**
 * `Key` (`twisted.conch.ssh.keys.Key`): an SSH public or private key of type
 * RSA, ECDSA (NIST P-256/384/521) or Ed25519, read from and written to
 * OpenSSH's, PEM and RFC 4716 formats, with SSH signatures made and checked
 * by WebCrypto.
 * @module
 */
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { getReactor } from "../../internet/reactor.ts";
import { md5 } from "../../cred/_md5.ts";
import { mpintValue, SSHReader, SSHWriter } from "../ssh/_wire.ts";
import { BadKeyError } from "./_errors.ts";
import {
  checkKeyData,
  CURVES,
  equalBytes,
  fromJwk,
  isPrivate,
  keyBits,
  type KeyData,
  parsePrivateBlob,
  parsePublicBlob,
  privateBlob,
  publicBlob,
  sshTypeOf,
  toJwk,
} from "./_key_data.ts";
import {
  readOpenSSHPrivate,
  readOpenSSHPublic,
  readSSHComPublic,
  writeOpenSSHPrivate,
  writeOpenSSHPublic,
  writeSSHComPublic,
} from "./_openssh_format.ts";
import { readPemKey, writePemPrivate, writePemPublic } from "./_pem.ts";
import { sha256 } from "./_sha.ts";

/** The formats `Key.fromString` reads (Twisted's type names). */
export type KeyStringType =
  | "blob"
  | "private_blob"
  | "public_openssh"
  | "private_openssh"
  | "public_sshcom"
  | "private_pem";

/** The forms of `Key.fingerprint` (Twisted's `FingerprintFormats`). */
export const FingerprintFormats = {
  /** OpenSSH's default: `SHA256:` and unpadded base64 of the blob's SHA-256. */
  SHA256_BASE64: "sha256-base64",
  /** The old form: the blob's MD5 as colon-separated hex. */
  MD5_HEX: "md5-hex",
} as const;
/** One of `FingerprintFormats`' values. */
export type FingerprintFormats = typeof FingerprintFormats[keyof typeof FingerprintFormats];

/** Options of `Key.fromString`. */
export interface KeyFromStringOptions {
  /** The format; guessed from the data when absent. */
  type?: KeyStringType;
  /** The passphrase of an encrypted private key. */
  passphrase?: string | Uint8Array;
}

/** Options of `Key.toString`. */
export interface KeyToStringOptions {
  /** The comment written with the key (OpenSSH formats). @default the key's `comment` */
  comment?: string;
  /** Encrypts a private key with this passphrase. */
  passphrase?: string | Uint8Array;
  /** For `"openssh"` private keys: `"v1"` (openssh-key-v1, the default) or `"PEM"`. */
  subtype?: "v1" | "PEM";
}

/** Options of `Key.verify`. */
export interface KeyVerifyOptions {
  /** Accept RSA signatures made with SHA-1 (`ssh-rsa`). @default false */
  allowSHA1?: boolean;
}

/** The data most key files stay under; longer input is refused. */
const MAX_KEY_TEXT = 1 << 20;

const HASH_OF_RSA: Record<string, string> = {
  "rsa-sha2-512": "SHA-512",
  "rsa-sha2-256": "SHA-256",
  "ssh-rsa": "SHA-1",
};

function toText(data: string | Uint8Array): string {
  return typeof data === "string" ? data : new TextDecoder().decode(data);
}

function guessType(data: string | Uint8Array): KeyStringType {
  if (typeof data !== "string" && data.length >= 4 && data[0] === 0 && data[1] === 0) {
    try {
      parsePublicBlob(data);
      return "blob";
    } catch {
      return "private_blob";
    }
  }
  const text = toText(data).trimStart();
  if (text.startsWith("-----BEGIN OPENSSH PRIVATE KEY-----")) return "private_openssh";
  if (text.startsWith("-----BEGIN ")) return "private_pem";
  if (text.startsWith("---- BEGIN SSH2 PUBLIC KEY ----")) return "public_sshcom";
  if (/^(ssh-|ecdsa-)\S*\s/.test(text)) return "public_openssh";
  throw new BadKeyError("Cannot guess the key's format");
}

/**
 * An SSH key (Twisted's `Key`): public, or private with its public half.
 *
 * @example
 * ```ts
 * import { Key } from "@tw/core/conch/keys";
 * const key = await Key.generate("ed25519");
 * const data = new TextEncoder().encode("hello");
 * const signature = await key.sign(data);
 * console.log(await key.public().verify(signature, data)); // true
 * console.log(key.fingerprint().startsWith("SHA256:")); // true
 * const again = Key.fromString(key.public().toString("openssh"));
 * console.log(again.equals(key.public())); // true
 * ```
 */
export class Key {
  /** The comment (from OpenSSH public and private files; "" when none). */
  comment: string;
  readonly #data: KeyData;
  readonly #cryptoKeys = new Map<string, Promise<CryptoKey>>();

  /**
   * Wraps key numbers (see `fromString` to read a key).
   * @param data the key's numbers
   * @param comment its comment
   */
  constructor(data: KeyData, comment = "") {
    this.#data = checkKeyData(data);
    this.comment = comment;
  }

  /**
   * Reads a key from `data` in any of the supported formats (`type` guessed
   * when absent).
   * @throws {BadKeyError} for data that is not a key
   * @throws {EncryptedKeyError} for an encrypted key without the right passphrase
   */
  static fromString(data: string | Uint8Array, options: KeyFromStringOptions = {}): Key {
    if (data.length > MAX_KEY_TEXT) throw new BadKeyError("Key data is too long");
    const type = options.type ?? guessType(data);
    switch (type) {
      case "blob":
        return new Key(parsePublicBlob(asBytes(data)));
      case "private_blob":
        return new Key(parsePrivateBlob(asBytes(data)));
      case "public_openssh": {
        const { data: d, comment } = readOpenSSHPublic(toText(data));
        return new Key(d, comment);
      }
      case "public_sshcom": {
        const { data: d, comment } = readSSHComPublic(toText(data));
        return new Key(d, comment);
      }
      case "private_openssh": {
        const text = toText(data);
        if (!text.includes("-----BEGIN OPENSSH PRIVATE KEY-----")) {
          return new Key(readPemKey(text, options.passphrase));
        }
        const { data: d, comment } = readOpenSSHPrivate(text, options.passphrase);
        return new Key(d, comment);
      }
      case "private_pem":
        return new Key(readPemKey(toText(data), options.passphrase));
      default:
        throw new BadKeyError(`Unknown key format ${JSON.stringify(type)}`);
    }
  }

  /**
   * Reads a key file through the runtime's file API.
   * @param path the file
   * @param options the passphrase, and the runtime (default: the reactor's)
   */
  static async fromFile(
    path: string,
    options: { passphrase?: string | Uint8Array; runtime?: Pick<RuntimeFileSystem, "readFile"> } =
      {},
  ): Promise<Key> {
    const runtime = options.runtime ?? getReactor().runtime;
    const bytes = await runtime.readFile(path);
    return Key.fromString(bytes, { passphrase: options.passphrase });
  }

  /**
   * Makes a new private key with WebCrypto.
   * @param type the key type
   * @param options `bits`: 256, 384 or 521 for ECDSA (default 256); 2048 to 16384 for RSA (default 3072)
   */
  static async generate(
    type: "ed25519" | "ecdsa" | "rsa",
    options: { bits?: number } = {},
  ): Promise<Key> {
    let params: EcKeyGenParams | RsaHashedKeyGenParams | Algorithm;
    if (type === "ed25519") {
      params = { name: "Ed25519" };
    } else if (type === "ecdsa") {
      const bits = options.bits ?? 256;
      const curve = Object.values(CURVES).find((c) => c.bits === bits);
      if (curve === undefined) throw new BadKeyError("ECDSA keys have 256, 384 or 521 bits");
      params = { name: "ECDSA", namedCurve: curve.webName };
    } else if (type === "rsa") {
      const bits = options.bits ?? 3072;
      if (!Number.isInteger(bits) || bits < 2048 || bits > 16384 || bits % 8 !== 0) {
        throw new BadKeyError("RSA keys have 2048 to 16384 bits (a multiple of 8)");
      }
      params = {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: bits,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      };
    } else {
      throw new BadKeyError(`Unknown key type ${JSON.stringify(type)}`);
    }
    const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
    return new Key(fromJwk(await crypto.subtle.exportKey("jwk", pair.privateKey)));
  }

  /** True for a public key (no private part). */
  isPublic(): boolean {
    return !isPrivate(this.#data);
  }

  /** The public half (this key when already public). */
  public(): Key {
    if (this.isPublic()) return this;
    const d = this.#data;
    const data: KeyData = d.kind === "RSA"
      ? { kind: "RSA", n: d.n, e: d.e }
      : d.kind === "EC"
      ? { kind: "EC", curve: d.curve, q: d.q }
      : { kind: "Ed25519", pub: d.pub };
    return new Key(data, this.comment);
  }

  /** `"RSA"`, `"EC"` or `"Ed25519"`. */
  type(): "RSA" | "EC" | "Ed25519" {
    return this.#data.kind;
  }

  /** The SSH name: `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`... */
  sshType(): string {
    return sshTypeOf(this.#data);
  }

  /** The key's size in bits. */
  size(): number {
    return keyBits(this.#data);
  }

  /** The public key blob (RFC 4253 6.6, RFC 5656, RFC 8709). */
  blob(): Uint8Array {
    return publicBlob(this.#data);
  }

  /** The private key blob (OpenSSH's private section, the agent protocol's). */
  privateBlob(): Uint8Array {
    if (this.isPublic()) throw new BadKeyError("A public key has no private blob");
    return privateBlob(this.#data);
  }

  /** The signature algorithms this key can make: RSA's SHA-2 pair, else its SSH type. */
  supportedSignatureAlgorithms(): string[] {
    return this.#data.kind === "RSA" ? ["rsa-sha2-512", "rsa-sha2-256"] : [this.sshType()];
  }

  /** The key numbers (a copy is not made: do not change them). */
  data(): KeyData {
    return this.#data;
  }

  #cryptoKey(usage: "sign" | "verify", hash: string): Promise<CryptoKey> {
    const id = `${usage}/${hash}`;
    let key = this.#cryptoKeys.get(id);
    if (key === undefined) {
      const d = this.#data;
      const algorithm = d.kind === "Ed25519"
        ? { name: "Ed25519" }
        : d.kind === "EC"
        ? { name: "ECDSA", namedCurve: CURVES[d.curve].webName }
        : { name: "RSASSA-PKCS1-v1_5", hash };
      key = crypto.subtle.importKey("jwk", toJwk(d, usage === "sign"), algorithm, false, [usage]);
      this.#cryptoKeys.set(id, key);
    }
    return key;
  }

  /**
   * Signs `data`: the SSH signature blob (`string` algorithm, `string`
   * signature; ECDSA's signature holds `mpint r, mpint s`).
   * @param options `algorithm`: for RSA `rsa-sha2-512` (default) or `rsa-sha2-256`
   */
  async sign(data: Uint8Array, options: { algorithm?: string } = {}): Promise<Uint8Array> {
    if (this.isPublic()) throw new BadKeyError("A public key cannot sign");
    const d = this.#data;
    const algorithm = options.algorithm ?? this.supportedSignatureAlgorithms()[0];
    if (!this.supportedSignatureAlgorithms().includes(algorithm)) {
      throw new BadKeyError(`A ${this.sshType()} key cannot sign with ${algorithm}`);
    }
    const input = data as Uint8Array<ArrayBuffer>;
    let signature: Uint8Array;
    if (d.kind === "Ed25519") {
      const key = await this.#cryptoKey("sign", "");
      signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key, input));
    } else if (d.kind === "EC") {
      const curve = CURVES[d.curve];
      const key = await this.#cryptoKey("sign", "");
      const raw = new Uint8Array(
        await crypto.subtle.sign({ name: "ECDSA", hash: curve.hash }, key, input),
      );
      signature = new SSHWriter()
        .mpint(mpintValue(Uint8Array.of(0, ...raw.subarray(0, curve.size))))
        .mpint(mpintValue(Uint8Array.of(0, ...raw.subarray(curve.size))))
        .bytes();
    } else {
      const key = await this.#cryptoKey("sign", HASH_OF_RSA[algorithm]);
      signature = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, input));
    }
    return new SSHWriter().string(algorithm).string(signature).bytes();
  }

  /**
   * Checks an SSH signature blob over `data`: false (never a throw) for a
   * wrong, malformed or unacceptable signature. SHA-1 RSA signatures
   * (`ssh-rsa`) are refused unless `allowSHA1`.
   */
  async verify(
    signature: Uint8Array,
    data: Uint8Array,
    options: KeyVerifyOptions = {},
  ): Promise<boolean> {
    try {
      const r = new SSHReader(signature);
      const algorithm = r.text();
      const sig = r.string() as Uint8Array<ArrayBuffer>;
      r.end();
      const d = this.#data;
      const input = data as Uint8Array<ArrayBuffer>;
      if (d.kind === "Ed25519") {
        if (algorithm !== "ssh-ed25519" || sig.length !== 64) return false;
        return await crypto.subtle.verify(
          "Ed25519",
          await this.#cryptoKey("verify", ""),
          sig,
          input,
        );
      }
      if (d.kind === "EC") {
        const curve = CURVES[d.curve];
        if (algorithm !== this.sshType()) return false;
        const s = new SSHReader(sig);
        const raw = new Uint8Array(curve.size * 2);
        for (let i = 0; i < 2; i++) {
          const value = s.mpint();
          if (value <= 0n || value.toString(2).length > curve.bits) return false;
          const hex = value.toString(16).padStart(curve.size * 2, "0");
          for (let j = 0; j < curve.size; j++) {
            raw[i * curve.size + j] = parseInt(hex.slice(j * 2, j * 2 + 2), 16);
          }
        }
        s.end();
        const key = await this.#cryptoKey("verify", "");
        return await crypto.subtle.verify({ name: "ECDSA", hash: curve.hash }, key, raw, input);
      }
      const hash = HASH_OF_RSA[algorithm];
      if (hash === undefined || (hash === "SHA-1" && options.allowSHA1 !== true)) return false;
      const length = Math.ceil(this.size() / 8);
      if (sig.length > length) return false;
      // OpenSSH accepts signatures shorter than the modulus (leading zeros dropped).
      const padded = new Uint8Array(length);
      padded.set(sig, length - sig.length);
      const key = await this.#cryptoKey("verify", hash);
      return await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, padded, input);
    } catch {
      return false;
    }
  }

  /** The public key's fingerprint, by default OpenSSH's `SHA256:` form. */
  fingerprint(format: FingerprintFormats = FingerprintFormats.SHA256_BASE64): string {
    if (format === FingerprintFormats.MD5_HEX) {
      return Array.from(md5(this.blob()), (b) => b.toString(16).padStart(2, "0")).join(":");
    }
    if (format !== FingerprintFormats.SHA256_BASE64) {
      throw new BadKeyError(`Unknown fingerprint format ${JSON.stringify(format)}`);
    }
    let binary = "";
    for (const b of sha256(this.blob())) binary += String.fromCharCode(b);
    return "SHA256:" + btoa(binary).replace(/=+$/, "");
  }

  /**
   * The key as text. `"openssh"`: a public key as one line (`TYPE BASE64
   * COMMENT`), a private key as openssh-key-v1 (or PEM with `subtype:
   * "PEM"`), encrypted with aes256-ctr and bcrypt-pbkdf (16 rounds) when a
   * passphrase is given. `"PEM"`: PKCS#1 / SEC1 / PKCS#8 (Ed25519) private
   * keys, SubjectPublicKeyInfo public keys. `"sshcom"`: RFC 4716, public only.
   */
  toString(
    kind: "openssh" | "PEM" | "sshcom" = "openssh",
    options: KeyToStringOptions = {},
  ): string {
    const comment = (options.comment ?? this.comment).replace(/[\r\n]/g, " ");
    if (kind === "sshcom") {
      if (!this.isPublic()) throw new BadKeyError("RFC 4716 keys are written public only");
      return writeSSHComPublic(this.#data, comment);
    }
    if (this.isPublic()) {
      return kind === "PEM" ? writePemPublic(this.#data) : writeOpenSSHPublic(this.#data, comment);
    }
    if (kind === "openssh" && options.subtype === "PEM" && this.#data.kind === "Ed25519") {
      throw new BadKeyError("OpenSSH cannot read Ed25519 keys in PEM: use the v1 subtype");
    }
    if (kind === "PEM" || options.subtype === "PEM") {
      return writePemPrivate(this.#data, options.passphrase);
    }
    if (kind !== "openssh") throw new BadKeyError(`Unknown key format ${JSON.stringify(kind)}`);
    return writeOpenSSHPrivate(this.#data, comment, options.passphrase);
  }

  /** True when both keys are the same key (same type, same public and private parts). */
  equals(other: Key): boolean {
    if (!(other instanceof Key) || this.isPublic() !== other.isPublic()) return false;
    if (this.isPublic()) return equalBytes(this.blob(), other.blob());
    return equalBytes(this.privateBlob(), other.privateBlob());
  }
}

function asBytes(data: string | Uint8Array): Uint8Array {
  if (typeof data !== "string") return data;
  return Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff);
}
