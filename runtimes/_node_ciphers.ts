/**
 * Node's own AES and HMAC (`node:crypto`, loaded on first use), offered as `Runtime.ciphers`:
 * synchronous, so an SSH packet costs no promise and no trip to the thread
 * pool that runs each WebCrypto call on Node.
 * @module
 */
import type { RuntimeCiphers } from "../src/internet/socket.ts";
import type * as Crypto from "node:crypto";
import { nodeCrypto } from "./_node_lazy.ts";

const AES_BITS: Record<number, string> = { 16: "128", 24: "192", 32: "256" };

function aes(mode: "gcm" | "ctr", key: Uint8Array): string {
  const bits = AES_BITS[key.length];
  if (bits === undefined) throw new RangeError(`Bad AES key length ${key.length}`);
  return `aes-${bits}-${mode}`;
}

// Node turns raw key bytes into a key object on every call (about 7% of an SSH
// transfer's CPU); a session's keys are fixed arrays, so each is turned once.
const keyObjects = new WeakMap<Uint8Array, ReturnType<typeof Crypto.createSecretKey>>();

/** The key object for `key` (whose bytes must not change after its first use). */
function secret(key: Uint8Array): ReturnType<typeof Crypto.createSecretKey> {
  let object = keyObjects.get(key);
  if (object === undefined) {
    object = nodeCrypto().createSecretKey(key);
    keyObjects.set(key, object);
  }
  return object;
}

/** A Buffer's bytes as a plain view (no copy). */
function view(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `node:crypto`'s AES-GCM, AES-CTR and HMAC. */
export const nodeCiphers: RuntimeCiphers = {
  gcmSeal(key, iv, aad, data) {
    const cipher = nodeCrypto().createCipheriv(aes("gcm", key) as "aes-128-gcm", secret(key), iv);
    cipher.setAAD(aad);
    const body = cipher.update(data);
    const last = cipher.final();
    return join(last.length > 0 ? [body, last, cipher.getAuthTag()] : [body, cipher.getAuthTag()]);
  },
  gcmOpen(key, iv, aad, sealed) {
    if (sealed.length < 16) return null;
    const decipher = nodeCrypto().createDecipheriv(
      aes("gcm", key) as "aes-128-gcm",
      secret(key),
      iv,
    );
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const body = decipher.update(sealed.subarray(0, sealed.length - 16));
    try {
      const last = decipher.final();
      return last.length > 0 ? join([body, last]) : view(body);
    } catch {
      return null;
    }
  },
  ctr(key, counter, data) {
    const cipher = nodeCrypto().createCipheriv(aes("ctr", key), secret(key), counter);
    return view(cipher.update(data));
  },
  hmac(hash, key, ...parts) {
    const mac = nodeCrypto().createHmac(hash === "SHA-256" ? "sha256" : "sha512", secret(key));
    for (const part of parts) mac.update(part);
    return view(mac.digest());
  },
};
