/**
 * The binary packet protocol's protection (RFC 4253 §6): framing with random
 * padding, then one of `none`, AES-CTR with an HMAC (RFC 4344, 6668; also
 * OpenSSH's encrypt-then-MAC forms), AES-GCM (RFC 5647 as OpenSSH runs it) or
 * OpenSSH's chacha20-poly1305. AES and HMAC come from WebCrypto; ChaCha20 and
 * Poly1305 from `@noble/ciphers`, as no WebCrypto offers OpenSSH's construction.
 *
 * A `PacketSealer` turns payloads into wire bytes for one direction and key;
 * a `PacketOpener` does the reverse. Both are driven strictly in sequence order.
 * @module
 */
import { chacha20orig } from "@noble/ciphers/chacha.js";
import { poly1305 } from "@noble/ciphers/_poly1305.js";
import { MAX_PACKET_LENGTH } from "./_constants.ts";

const subtle = globalThis.crypto.subtle;

/**
 * A packet whose MAC or tag does not verify, or whose framing is wrong.
 *
 * @example
 * ```ts
 * import { PacketError } from "@tw/core/conch";
 *
 * console.log(new PacketError("Bad MAC", true).badMac); // true
 * ```
 */
export class PacketError extends Error {
  /** The error's name. */
  override name = "PacketError";
  /** True when the MAC (or AEAD tag) failed. */
  readonly badMac: boolean;
  /** Makes the error; `badMac` when a MAC or tag failed. */
  constructor(message: string, badMac = false) {
    super(message);
    this.badMac = badMac;
  }
}

/** What a cipher needs from key derivation. */
export interface CipherSpec {
  /** Key bytes. */
  readonly keyLength: number;
  /** IV bytes. */
  readonly ivLength: number;
  /** The block size packets align to. */
  readonly blockSize: number;
  /** AEAD ciphers carry their own tag and take no MAC. */
  readonly aead: boolean;
  /** Which construction. */
  readonly kind: "ctr" | "gcm" | "chacha";
}

/** What a MAC needs from key derivation. */
export interface MacSpec {
  /** The HMAC's hash. */
  readonly hash: "SHA-256" | "SHA-512";
  /** Key bytes. */
  readonly keyLength: number;
  /** MAC bytes on the wire. */
  readonly macLength: number;
  /** Encrypt-then-MAC (`-etm@openssh.com`). */
  readonly etm: boolean;
}

/** Ciphers by their SSH names, in our order of preference. */
export const CIPHERS: Readonly<Record<string, CipherSpec>> = {
  "aes128-gcm@openssh.com": { keyLength: 16, ivLength: 12, blockSize: 16, aead: true, kind: "gcm" },
  "aes256-gcm@openssh.com": { keyLength: 32, ivLength: 12, blockSize: 16, aead: true, kind: "gcm" },
  "chacha20-poly1305@openssh.com": {
    keyLength: 64,
    ivLength: 0,
    blockSize: 8,
    aead: true,
    kind: "chacha",
  },
  "aes128-ctr": { keyLength: 16, ivLength: 16, blockSize: 16, aead: false, kind: "ctr" },
  "aes192-ctr": { keyLength: 24, ivLength: 16, blockSize: 16, aead: false, kind: "ctr" },
  "aes256-ctr": { keyLength: 32, ivLength: 16, blockSize: 16, aead: false, kind: "ctr" },
};

/** MACs by their SSH names, in our order of preference. */
export const MACS: Readonly<Record<string, MacSpec>> = {
  "hmac-sha2-256-etm@openssh.com": { hash: "SHA-256", keyLength: 32, macLength: 32, etm: true },
  "hmac-sha2-512-etm@openssh.com": { hash: "SHA-512", keyLength: 64, macLength: 64, etm: true },
  "hmac-sha2-256": { hash: "SHA-256", keyLength: 32, macLength: 32, etm: false },
  "hmac-sha2-512": { hash: "SHA-512", keyLength: 64, macLength: 64, etm: false },
};

/** Keys for one direction, as derived after a key exchange. */
export interface DirectionKeys {
  cipher: string;
  mac: string;
  key: Uint8Array;
  iv: Uint8Array;
  macKey: Uint8Array;
}

/** Turns payloads into wire bytes. */
export interface PacketSealer {
  seal(sequence: number, payload: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

/** Turns wire bytes back into payloads. */
export interface PacketOpener {
  /** Bytes needed before the packet's length can be known. */
  readonly headerLength: number;
  /** Bytes after the packet (MAC or tag). */
  readonly trailerLength: number;
  /** True when `packetLength` answers at once (not a promise). */
  readonly syncLength: boolean;
  /** The packet_length field, from the first `headerLength` bytes. */
  packetLength(sequence: number, header: Uint8Array): Promise<number> | number;
  /** The payload of one whole packet (4 + packet_length + trailer bytes). */
  open(sequence: number, wire: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

/** Builds the cleartext packet: length, padding length, payload, random padding. */
export function frame(
  payload: Uint8Array,
  blockSize: number,
  lengthExcluded: boolean,
): Uint8Array {
  const aligned = (lengthExcluded ? 1 : 5) + payload.length;
  let padding = blockSize - (aligned % blockSize);
  if (padding < 4) padding += blockSize;
  const packetLength = 1 + payload.length + padding;
  const packet = new Uint8Array(4 + packetLength);
  new DataView(packet.buffer).setUint32(0, packetLength);
  packet[4] = padding;
  packet.set(payload, 5);
  crypto.getRandomValues(packet.subarray(5 + payload.length));
  return packet;
}

/** The payload of a cleartext packet (length field included), checking its padding. */
export function unframe(packet: Uint8Array): Uint8Array {
  const padding = packet[4];
  if (padding < 4 || 5 + padding > packet.length) {
    throw new PacketError(`Bad padding length ${padding}`);
  }
  return packet.subarray(5, packet.length - padding);
}

/** Checks a packet_length field. */
export function checkPacketLength(length: number, blockSize: number, excluded: boolean): void {
  if (length < 5 || length > MAX_PACKET_LENGTH) {
    throw new PacketError(`Bad packet length ${length}`);
  }
  if ((length + (excluded ? 0 : 4)) % blockSize !== 0) {
    throw new PacketError(`Packet length ${length} is not a multiple of the block size`);
  }
}

/** Compares in time that does not depend on where the bytes differ. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** A big-endian uint32. */
export function uint32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

function nonce64(sequence: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(4, sequence);
  return out;
}

/** The unencrypted framing of the first key exchange. */
export class NoneSealer implements PacketSealer {
  seal(_sequence: number, payload: Uint8Array): Uint8Array {
    return frame(payload, 8, false);
  }
}

/** The unencrypted framing of the first key exchange. */
export class NoneOpener implements PacketOpener {
  readonly headerLength = 4;
  readonly syncLength = true;
  readonly trailerLength = 0;
  packetLength(_sequence: number, header: Uint8Array): number {
    const length = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
    checkPacketLength(length, 8, false);
    return length;
  }
  open(_sequence: number, wire: Uint8Array): Uint8Array {
    return unframe(wire);
  }
}

/** A 128-bit big-endian counter for AES-CTR, advanced across packets. */
export class Counter {
  readonly block: Uint8Array;
  constructor(iv: Uint8Array) {
    this.block = Uint8Array.from(iv);
  }
  /** The current counter block; moves the counter past `bytes` (whole blocks). */
  take(bytes: number): Uint8Array {
    const current = this.block.slice();
    this.advance(bytes / 16);
    return current;
  }
  advance(blocks: number): void {
    let carry = blocks;
    for (let i = 15; i >= 0 && carry > 0; i--) {
      const sum = this.block[i] + (carry & 0xff);
      this.block[i] = sum & 0xff;
      carry = (carry >>> 8) + (sum >> 8);
    }
  }
}

async function importAes(name: "AES-CTR" | "AES-GCM", key: Uint8Array): Promise<CryptoKey> {
  return await subtle.importKey("raw", key as BufferSource, name, false, ["encrypt", "decrypt"]);
}

async function importHmac(hash: string, key: Uint8Array): Promise<CryptoKey> {
  return await subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash }, false, [
    "sign",
  ]);
}

async function hmac(key: CryptoKey, ...parts: Uint8Array[]): Promise<Uint8Array> {
  let data = parts[0];
  if (parts.length > 1) {
    data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      data.set(part, at);
      at += part.length;
    }
  }
  return new Uint8Array(await subtle.sign("HMAC", key, data as BufferSource));
}

/** AES-CTR from counter block `start` (taken from the stream's counter before any await). */
async function ctr(key: CryptoKey, start: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const out = await subtle.encrypt(
    { name: "AES-CTR", counter: start as BufferSource, length: 128 },
    key,
    data as BufferSource,
  );
  return new Uint8Array(out);
}

/** AES-CTR with an HMAC, MAC-then-encrypt or (`-etm@openssh.com`) encrypt-then-MAC. */
export class CtrHmacSealer implements PacketSealer {
  readonly #aes: Promise<CryptoKey>;
  readonly #mac: Promise<CryptoKey>;
  readonly #counter: Counter;
  readonly #etm: boolean;
  constructor(keys: DirectionKeys) {
    const mac = MACS[keys.mac];
    this.#aes = importAes("AES-CTR", keys.key);
    this.#mac = importHmac(mac.hash, keys.macKey);
    this.#counter = new Counter(keys.iv);
    this.#etm = mac.etm;
  }
  seal(sequence: number, payload: Uint8Array): Promise<Uint8Array> {
    // Framing and the counter advance now, in call order; only the crypto waits.
    const packet = frame(payload, 16, this.#etm);
    const start = this.#counter.take(this.#etm ? packet.length - 4 : packet.length);
    return this.#seal(sequence, packet, start);
  }
  async #seal(sequence: number, packet: Uint8Array, start: Uint8Array): Promise<Uint8Array> {
    const aes = await this.#aes;
    const macKey = await this.#mac;
    if (this.#etm) {
      const encrypted = await ctr(aes, start, packet.subarray(4));
      packet.set(encrypted, 4);
      const mac = await hmac(macKey, uint32(sequence), packet);
      return concat(packet, mac);
    }
    const mac = await hmac(macKey, uint32(sequence), packet);
    return concat(await ctr(aes, start, packet), mac);
  }
}

export class CtrHmacOpener implements PacketOpener {
  readonly headerLength: number;
  readonly syncLength: boolean;
  readonly trailerLength: number;
  readonly #aes: Promise<CryptoKey>;
  readonly #mac: Promise<CryptoKey>;
  readonly #counter: Counter;
  readonly #etm: boolean;
  constructor(keys: DirectionKeys) {
    const mac = MACS[keys.mac];
    this.#aes = importAes("AES-CTR", keys.key);
    this.#mac = importHmac(mac.hash, keys.macKey);
    this.#counter = new Counter(keys.iv);
    this.#etm = mac.etm;
    this.headerLength = mac.etm ? 4 : 16;
    this.syncLength = mac.etm;
    this.trailerLength = mac.macLength;
  }
  packetLength(sequence: number, header: Uint8Array): Promise<number> | number {
    if (this.#etm) {
      const length = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
      checkPacketLength(length, 16, true);
      return length;
    }
    return this.#decryptLength(sequence, header);
  }
  async #decryptLength(_sequence: number, header: Uint8Array): Promise<number> {
    // Decrypt the first block without moving the counter: open() decrypts it again.
    const clear = await ctr(await this.#aes, this.#counter.block.slice(), header.subarray(0, 16));
    const length = new DataView(clear.buffer, clear.byteOffset, 4).getUint32(0);
    checkPacketLength(length, 16, false);
    return length;
  }
  async open(sequence: number, wire: Uint8Array): Promise<Uint8Array> {
    const end = wire.length - this.trailerLength;
    const received = wire.subarray(end);
    const start = this.#counter.take(this.#etm ? end - 4 : end);
    const macKey = await this.#mac;
    const aes = await this.#aes;
    if (this.#etm) {
      const mac = await hmac(macKey, uint32(sequence), wire.subarray(0, end));
      if (!timingSafeEqual(mac, received)) throw new PacketError("Bad MAC", true);
      const packet = new Uint8Array(end);
      packet.set(wire.subarray(0, 4));
      packet.set(await ctr(aes, start, wire.subarray(4, end)), 4);
      return unframe(packet);
    }
    const packet = await ctr(aes, start, wire.subarray(0, end));
    const mac = await hmac(macKey, uint32(sequence), packet);
    if (!timingSafeEqual(mac, received)) throw new PacketError("Bad MAC", true);
    return unframe(packet);
  }
}

/** The 12-byte GCM nonce: 4 fixed bytes and a 64-bit invocation counter. */
export class GcmNonce {
  readonly bytes: Uint8Array;
  constructor(iv: Uint8Array) {
    this.bytes = Uint8Array.from(iv);
  }
  next(): Uint8Array {
    const current = this.bytes.slice();
    for (let i = 11; i >= 4; i--) {
      if (++this.bytes[i] !== 256 && this.bytes[i] !== 0) break;
    }
    return current;
  }
}

export class GcmSealer implements PacketSealer {
  readonly #aes: Promise<CryptoKey>;
  readonly #nonce: GcmNonce;
  constructor(keys: DirectionKeys) {
    this.#aes = importAes("AES-GCM", keys.key);
    this.#nonce = new GcmNonce(keys.iv);
  }
  async seal(_sequence: number, payload: Uint8Array): Promise<Uint8Array> {
    const packet = frame(payload, 16, true);
    const iv = this.#nonce.next();
    const sealed = await subtle.encrypt(
      {
        name: "AES-GCM",
        iv: iv as BufferSource,
        additionalData: packet.subarray(0, 4) as BufferSource,
      },
      await this.#aes,
      packet.subarray(4) as BufferSource,
    );
    return concat(packet.subarray(0, 4), new Uint8Array(sealed));
  }
}

export class GcmOpener implements PacketOpener {
  readonly headerLength = 4;
  readonly syncLength = true;
  readonly trailerLength = 16;
  readonly #aes: Promise<CryptoKey>;
  readonly #nonce: GcmNonce;
  constructor(keys: DirectionKeys) {
    this.#aes = importAes("AES-GCM", keys.key);
    this.#nonce = new GcmNonce(keys.iv);
  }
  packetLength(_sequence: number, header: Uint8Array): number {
    const length = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
    checkPacketLength(length, 16, true);
    return length;
  }
  async open(_sequence: number, wire: Uint8Array): Promise<Uint8Array> {
    const iv = this.#nonce.next();
    let clear: ArrayBuffer;
    try {
      clear = await subtle.decrypt(
        {
          name: "AES-GCM",
          iv: iv as BufferSource,
          additionalData: wire.subarray(0, 4) as BufferSource,
        },
        await this.#aes,
        wire.subarray(4) as BufferSource,
      );
    } catch {
      throw new PacketError("Bad MAC (AES-GCM tag)", true);
    }
    const packet = new Uint8Array(4 + clear.byteLength);
    packet.set(wire.subarray(0, 4));
    packet.set(new Uint8Array(clear), 4);
    return unframe(packet);
  }
}

/** OpenSSH's chacha20-poly1305: K_2 (first half) for data, K_1 for the length. */
class ChachaKeys {
  readonly main: Uint8Array;
  readonly header: Uint8Array;
  constructor(key: Uint8Array) {
    this.main = key.slice(0, 32);
    this.header = key.slice(32, 64);
  }
  polyKey(nonce: Uint8Array): Uint8Array {
    return chacha20orig(this.main, nonce, new Uint8Array(32));
  }
}

export class ChachaSealer implements PacketSealer {
  readonly #keys: ChachaKeys;
  constructor(keys: DirectionKeys) {
    this.#keys = new ChachaKeys(keys.key);
  }
  seal(sequence: number, payload: Uint8Array): Uint8Array {
    const packet = frame(payload, 8, true);
    const nonce = nonce64(sequence);
    const out = new Uint8Array(packet.length + 16);
    chacha20orig(this.#keys.header, nonce, packet.subarray(0, 4), out.subarray(0, 4));
    chacha20orig(
      this.#keys.main,
      nonce,
      packet.subarray(4),
      out.subarray(4, packet.length),
      1,
    );
    out.set(poly1305(out.subarray(0, packet.length), this.#keys.polyKey(nonce)), packet.length);
    return out;
  }
}

export class ChachaOpener implements PacketOpener {
  readonly headerLength = 4;
  readonly syncLength = true;
  readonly trailerLength = 16;
  readonly #keys: ChachaKeys;
  constructor(keys: DirectionKeys) {
    this.#keys = new ChachaKeys(keys.key);
  }
  packetLength(sequence: number, header: Uint8Array): number {
    const clear = chacha20orig(this.#keys.header, nonce64(sequence), header.subarray(0, 4));
    const length = new DataView(clear.buffer, clear.byteOffset, 4).getUint32(0);
    checkPacketLength(length, 8, true);
    return length;
  }
  open(sequence: number, wire: Uint8Array): Uint8Array {
    const end = wire.length - 16;
    const nonce = nonce64(sequence);
    const tag = poly1305(wire.subarray(0, end), this.#keys.polyKey(nonce));
    if (!timingSafeEqual(tag, wire.subarray(end))) {
      throw new PacketError("Bad MAC (Poly1305 tag)", true);
    }
    const packet = new Uint8Array(end);
    chacha20orig(this.#keys.header, nonce, wire.subarray(0, 4), packet.subarray(0, 4));
    chacha20orig(this.#keys.main, nonce, wire.subarray(4, end), packet.subarray(4), 1);
    return unframe(packet);
  }
}

/** `a` then `b` in a new array. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
