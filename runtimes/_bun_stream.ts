/**
 * Devices, FIFOs and files as `ByteStream`s for the bun adapter: a reader
 * over `Bun.file(path).stream()` (which polls FIFOs and terminals rather than
 * blocking a thread), and `fs.write` on a descriptor of its own for writing
 * to a terminal. Standard input goes through node:process (_node_stream.ts).
 *
 * @module
 */
import type { ByteStream } from "../src/internet/socket.ts";
import type { BunApi } from "./_bun_types.ts";
import { PullByteStream } from "./_pull_stream.ts";
import { normalizeError } from "./_bun_tls.ts";

/** Opens `path` (a terminal read-write, anything else read-only) as a `ByteStream`. */
export async function bunOpenStream(bun: BunApi, path: string): Promise<ByteStream> {
  const fs = await import("node:fs");
  const tty = await import("node:tty");
  let fd: number | null = null;
  try {
    const stats = await fs.promises.stat(path);
    if (stats.isCharacterDevice()) {
      const c = fs.constants;
      fd = fs.openSync(path, c.O_RDWR | c.O_NOCTTY);
      if (!tty.isatty(fd)) {
        fs.closeSync(fd);
        fd = null;
      }
    } else if (!stats.isFile() && !stats.isFIFO()) {
      throw Object.assign(new Error(`Cannot stream ${path}: not a file, FIFO or device`), {
        code: "EINVAL",
      });
    }
  } catch (e) {
    throw normalizeError(e);
  }
  const reader = bun.file(path).stream().getReader();
  const out = fd;
  let closed = false;
  return new PullByteStream({
    read: async () => {
      try {
        const { done, value } = await reader.read();
        return done ? null : value;
      } catch (e) {
        throw normalizeError(e);
      }
    },
    close: () => {
      if (closed) return;
      closed = true;
      reader.cancel().catch(() => {});
      if (out !== null) fs.close(out, () => {});
    },
    write: out === null ? undefined : async (data: Uint8Array): Promise<void> => {
      let rest = data;
      while (rest.byteLength > 0) {
        const n = await new Promise<number>((resolve, reject) =>
          fs.write(out, rest, (e, n) => e ? reject(normalizeError(e)) : resolve(n))
        );
        rest = rest.subarray(n);
      }
    },
    isTTY: out !== null,
    native: reader,
  });
}
