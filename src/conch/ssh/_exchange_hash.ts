/**
 * The exchange hash H of RFC 4253 §8, RFC 4419 §3 and RFC 5656 §4: the two
 * versions, the two KEXINITs, the host key, the method's own values, and K.
 * @module
 */
import { digest } from "./_kex.ts";
import type { KexContext } from "./_transport.ts";
import { SSHWriter } from "./_wire.ts";

/** Writes the method's values between the host key and K. */
export type MethodValues = (writer: SSHWriter) => void;

/** H for a finished exchange. */
export async function exchangeHash(
  kex: KexContext,
  hostKeyBlob: Uint8Array,
  methodValues: MethodValues,
  sharedSecret: bigint,
): Promise<Uint8Array> {
  const writer = new SSHWriter(2048)
    .string(kex.clientVersion)
    .string(kex.serverVersion)
    .string(kex.clientKexInit)
    .string(kex.serverKexInit)
    .string(hostKeyBlob);
  methodValues(writer);
  writer.mpint(sharedSecret);
  return await digest(kex.spec.hash, writer.bytes());
}

/** The group-exchange request as the hash records it (the old form has only `n`). */
export interface GexRequest {
  min: number;
  preferred: number;
  max: number;
  old: boolean;
}

/** Writes a group-exchange request into the hash. */
export function writeGexRequest(writer: SSHWriter, request: GexRequest): void {
  if (request.old) writer.uint32(request.preferred);
  else writer.uint32(request.min).uint32(request.preferred).uint32(request.max);
}
