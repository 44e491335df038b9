/**
 * Packets between the wire and the transport's handlers: which message types
 * may pass during a key exchange (RFC 4253 §7.1, and OpenSSH's strict KEX),
 * and packets opened ahead of the one being handled.
 * @module
 */
import { MSG } from "./_constants.ts";
import type { PacketOpener } from "./_cipher.ts";

/** Packets opened ahead of the one being handled. */
export const MAX_OPENING = 8;

/** A packet being opened: its bytes, the opener it was given to, the payload to come. */
export interface OpeningPacket {
  readonly wire: Uint8Array;
  readonly opener: PacketOpener;
  readonly payload: Promise<Uint8Array>;
}

/** Starts opening a packet; a failure surfaces only when the payload is awaited. */
export function openPacket(
  opener: PacketOpener,
  sequence: number,
  wire: Uint8Array,
): OpeningPacket {
  let payload: Promise<Uint8Array>;
  try {
    payload = Promise.resolve(opener.open(sequence, wire));
  } catch (e) {
    payload = Promise.reject(e);
  }
  // Packets opened ahead and then dropped must not surface as unhandled rejections.
  payload.catch(() => {});
  return { wire, opener, payload };
}

/** Messages allowed while a key exchange runs (RFC 4253 §7.1). */
export function isKexMessage(type: number): boolean {
  return (type >= 1 && type <= 4) || type === MSG.KEXINIT || type === MSG.NEWKEYS ||
    (type >= 30 && type <= 49);
}

/** Messages a strict first key exchange allows (not even IGNORE or DEBUG). */
export function isStrictKexMessage(type: number): boolean {
  return type === MSG.KEXINIT || type === MSG.NEWKEYS || type === MSG.DISCONNECT ||
    (type >= 30 && type <= 49);
}
