/**
 * Helpers of the permessage-deflate tests: a peer's compressor and a strict
 * inflater (node:zlib), masked frames with RSV1, and a server connection
 * that negotiated permessage-deflate.
 */
import zlib from "node:zlib";
import { encodeFrame } from "../../src/web/_websocket_frame.ts";
import type { PerMessageDeflateOptions } from "../../src/web/_websocket_deflate.ts";
import { type Conn, Echo, MASK, openConn } from "./_websocket_helpers.ts";

/** Waits for the runtime's zlib (a thread pool on Node) while `step` moves bytes along. */
export async function until(cond: () => boolean, step: () => void = () => {}): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    step();
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 0));
  }
  throw new Error("Timed out waiting for the condition");
}

/** Raw deflate with a kept context, as a peer would compress (node:zlib). */
export class PeerDeflate {
  #windowBits: number;
  #stream: zlib.DeflateRaw | null = null;
  constructor(windowBits = 15) {
    this.#windowBits = windowBits;
  }
  /** Compresses one message; with `takeover`, earlier messages stay in the window. */
  async compress(data: Uint8Array, takeover = false): Promise<Uint8Array> {
    if (!takeover) this.close();
    const d = this.#stream ??= zlib.createDeflateRaw({ windowBits: this.#windowBits });
    const out = await new Promise<Uint8Array>((resolve) => {
      const parts: Uint8Array[] = [];
      const on = (b: Uint8Array) => parts.push(b);
      d.on("data", on);
      d.write(data);
      d.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        d.off("data", on);
        resolve(new Uint8Array(Buffer.concat(parts)));
      });
    });
    if (!takeover) this.close();
    return out.subarray(0, out.length - 4);
  }
  close(): void {
    this.#stream?.close();
    this.#stream = null;
  }
}

/** Inflates a server's compressed message as a strict peer with `windowBits` would. */
export function inflate(payload: Uint8Array, windowBits = 15): Uint8Array {
  const input = new Uint8Array(payload.length + 4);
  input.set(payload);
  input.set([0, 0, 0xff, 0xff], payload.length);
  return new Uint8Array(
    zlib.inflateRawSync(input, {
      windowBits,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    }),
  );
}

/** Sends one masked frame with RSV1 set or not. */
export function sendRaw(
  c: Conn,
  opcode: number,
  payload: Uint8Array,
  fin = true,
  rsv1 = false,
): void {
  for (const chunk of encodeFrame(opcode, payload, fin, MASK, rsv1)) c.raw(chunk);
}

export function deflateConn(
  serverOptions: PerMessageDeflateOptions | true = {},
  offer = "permessage-deflate; client_max_window_bits",
  extra: Record<string, unknown> = {},
): Conn {
  return openConn(Echo, { perMessageDeflate: serverOptions, ...extra }, {
    "Sec-WebSocket-Extensions": offer,
  });
}

export function end(c: Conn): void {
  if (!c.disconnected()) c.served.transport.loseConnection();
}
