/**
 * AES-GCM and AES-CTR with an HMAC over a runtime's synchronous ciphers
 * (`Runtime.ciphers`: Node's own crypto), for the runtimes whose WebCrypto
 * costs a trip to a thread pool per packet. The same framing, counters and
 * checks as the WebCrypto classes in `_cipher.ts`; only the calls differ, and
 * every method answers at once. `makeSealer` and `makeOpener` choose between them.
 * @module
 */
import { getReactor } from "../../internet/reactor.ts";
import type { RuntimeCiphers } from "../../internet/socket.ts";
import {
  ChachaOpener,
  ChachaSealer,
  checkPacketLength,
  CIPHERS,
  concat,
  Counter,
  CtrHmacOpener,
  CtrHmacSealer,
  type DirectionKeys,
  frame,
  GcmNonce,
  GcmOpener,
  GcmSealer,
  MACS,
  PacketError,
  type PacketOpener,
  type PacketSealer,
  timingSafeEqual,
  uint32,
  unframe,
} from "./_cipher.ts";

/** AES-GCM (RFC 5647 as OpenSSH runs it): the length in clear as associated data. */
export class SyncGcmSealer implements PacketSealer {
  readonly #ciphers: RuntimeCiphers;
  readonly #key: Uint8Array;
  readonly #nonce: GcmNonce;
  constructor(keys: DirectionKeys, ciphers: RuntimeCiphers) {
    this.#ciphers = ciphers;
    this.#key = keys.key;
    this.#nonce = new GcmNonce(keys.iv);
  }
  seal(_sequence: number, payload: Uint8Array): Uint8Array {
    const packet = frame(payload, 16, true);
    const header = packet.subarray(0, 4);
    const sealed = this.#ciphers.gcmSeal(this.#key, this.#nonce.next(), header, packet.subarray(4));
    return concat(header, sealed);
  }
}

/** Opens what `SyncGcmSealer` (or any AES-GCM peer) sealed. */
export class SyncGcmOpener implements PacketOpener {
  readonly headerLength = 4;
  readonly syncLength = true;
  readonly trailerLength = 16;
  readonly #ciphers: RuntimeCiphers;
  readonly #key: Uint8Array;
  readonly #nonce: GcmNonce;
  constructor(keys: DirectionKeys, ciphers: RuntimeCiphers) {
    this.#ciphers = ciphers;
    this.#key = keys.key;
    this.#nonce = new GcmNonce(keys.iv);
  }
  packetLength(_sequence: number, header: Uint8Array): number {
    const length = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
    checkPacketLength(length, 16, true);
    return length;
  }
  open(_sequence: number, wire: Uint8Array): Uint8Array {
    const header = wire.subarray(0, 4);
    const clear = this.#ciphers.gcmOpen(this.#key, this.#nonce.next(), header, wire.subarray(4));
    if (clear === null) throw new PacketError("Bad MAC (AES-GCM tag)", true);
    const packet = new Uint8Array(4 + clear.length);
    packet.set(header);
    packet.set(clear, 4);
    return unframe(packet);
  }
}

/** AES-CTR with an HMAC, MAC-then-encrypt or (`-etm@openssh.com`) encrypt-then-MAC. */
export class SyncCtrHmacSealer implements PacketSealer {
  readonly #ciphers: RuntimeCiphers;
  readonly #key: Uint8Array;
  readonly #macKey: Uint8Array;
  readonly #hash: "SHA-256" | "SHA-512";
  readonly #counter: Counter;
  readonly #etm: boolean;
  constructor(keys: DirectionKeys, ciphers: RuntimeCiphers) {
    const mac = MACS[keys.mac];
    this.#ciphers = ciphers;
    this.#key = keys.key;
    this.#macKey = keys.macKey;
    this.#hash = mac.hash;
    this.#counter = new Counter(keys.iv);
    this.#etm = mac.etm;
  }
  seal(sequence: number, payload: Uint8Array): Uint8Array {
    const packet = frame(payload, 16, this.#etm);
    const c = this.#ciphers;
    if (this.#etm) {
      const start = this.#counter.take(packet.length - 4);
      packet.set(c.ctr(this.#key, start, packet.subarray(4)), 4);
      return concat(packet, c.hmac(this.#hash, this.#macKey, uint32(sequence), packet));
    }
    const mac = c.hmac(this.#hash, this.#macKey, uint32(sequence), packet);
    return concat(c.ctr(this.#key, this.#counter.take(packet.length), packet), mac);
  }
}

/** Opens what `SyncCtrHmacSealer` (or any AES-CTR peer) sealed. */
export class SyncCtrHmacOpener implements PacketOpener {
  readonly headerLength: number;
  readonly syncLength = true;
  readonly trailerLength: number;
  readonly #ciphers: RuntimeCiphers;
  readonly #key: Uint8Array;
  readonly #macKey: Uint8Array;
  readonly #hash: "SHA-256" | "SHA-512";
  readonly #counter: Counter;
  readonly #etm: boolean;
  constructor(keys: DirectionKeys, ciphers: RuntimeCiphers) {
    const mac = MACS[keys.mac];
    this.#ciphers = ciphers;
    this.#key = keys.key;
    this.#macKey = keys.macKey;
    this.#hash = mac.hash;
    this.#counter = new Counter(keys.iv);
    this.#etm = mac.etm;
    this.headerLength = mac.etm ? 4 : 16;
    this.trailerLength = mac.macLength;
  }
  packetLength(_sequence: number, header: Uint8Array): number {
    let lengthBytes = header;
    if (!this.#etm) {
      // Decrypt the first block without moving the counter: open() decrypts it again.
      lengthBytes = this.#ciphers.ctr(this.#key, this.#counter.block, header.subarray(0, 16));
    }
    const length = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 4).getUint32(0);
    checkPacketLength(length, 16, this.#etm);
    return length;
  }
  open(sequence: number, wire: Uint8Array): Uint8Array {
    const c = this.#ciphers;
    const end = wire.length - this.trailerLength;
    const received = wire.subarray(end);
    const start = this.#counter.take(this.#etm ? end - 4 : end);
    if (this.#etm) {
      const mac = c.hmac(this.#hash, this.#macKey, uint32(sequence), wire.subarray(0, end));
      if (!timingSafeEqual(mac, received)) throw new PacketError("Bad MAC", true);
      const packet = new Uint8Array(end);
      packet.set(wire.subarray(0, 4));
      packet.set(c.ctr(this.#key, start, wire.subarray(4, end)), 4);
      return unframe(packet);
    }
    const packet = c.ctr(this.#key, start, wire.subarray(0, end));
    const mac = c.hmac(this.#hash, this.#macKey, uint32(sequence), packet);
    if (!timingSafeEqual(mac, received)) throw new PacketError("Bad MAC", true);
    return unframe(packet);
  }
}

/**
 * The sealer for negotiated keys: AES and HMAC from the runtime's synchronous
 * `ciphers` when given, else from WebCrypto.
 */
export function makeSealer(keys: DirectionKeys, ciphers?: RuntimeCiphers | null): PacketSealer {
  switch (CIPHERS[keys.cipher]?.kind) {
    case "gcm":
      return ciphers ? new SyncGcmSealer(keys, ciphers) : new GcmSealer(keys);
    case "chacha":
      return new ChachaSealer(keys);
    case "ctr":
      return ciphers ? new SyncCtrHmacSealer(keys, ciphers) : new CtrHmacSealer(keys);
  }
  throw new RangeError(`Unknown cipher ${keys.cipher}`);
}

/** The opener for negotiated keys, as `makeSealer` chooses. */
export function makeOpener(keys: DirectionKeys, ciphers?: RuntimeCiphers | null): PacketOpener {
  switch (CIPHERS[keys.cipher]?.kind) {
    case "gcm":
      return ciphers ? new SyncGcmOpener(keys, ciphers) : new GcmOpener(keys);
    case "chacha":
      return new ChachaOpener(keys);
    case "ctr":
      return ciphers ? new SyncCtrHmacOpener(keys, ciphers) : new CtrHmacOpener(keys);
  }
  throw new RangeError(`Unknown cipher ${keys.cipher}`);
}

/** The running runtime's synchronous ciphers, or null where it has none (WebCrypto then). */
export function runtimeCiphers(): RuntimeCiphers | null {
  return getReactor().runtime.ciphers ?? null;
}
