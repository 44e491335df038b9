/**
 * Standard input and opened devices, FIFOs and files as `ByteStream`s for the
 * Deno adapter: a `read()` loop over `Deno.stdin` or a `Deno.FsFile`. Closing
 * the file cancels a read in flight (it rejects with `Interrupted`, which is
 * dropped), so a closed stream never holds the process.
 *
 * @module
 */
import type { ByteStream } from "../src/internet/socket.ts";
import { PullByteStream } from "./_pull_stream.ts";
import { normalizeError } from "./_deno_errors.ts";
import { copyBytes } from "../src/internet/_bytes.ts";

const READ_SIZE = 64 * 1024;

interface Readable {
  read(p: Uint8Array): Promise<number | null>;
  close(): void;
}

function reader(file: Readable): () => Promise<Uint8Array | null> {
  const buffer = new Uint8Array(READ_SIZE);
  return async () => {
    let n: number | null;
    try {
      n = await file.read(buffer);
    } catch (e) {
      throw normalizeError(e);
    }
    return n === null ? null : copyBytes(buffer.subarray(0, n));
  };
}

function closer(file: Readable): () => void {
  return () => {
    try {
      file.close();
    } catch {
      // Already closed.
    }
  };
}

/** `Deno.stdin` as a `ByteStream`. Closing it closes the process's standard input. */
export function denoStdin(): ByteStream {
  const stdin = Deno.stdin;
  return new PullByteStream({
    read: reader(stdin),
    close: closer(stdin),
    isTTY: stdin.isTerminal(),
    native: stdin,
  });
}

/**
 * Opens `path` (a terminal read-write, anything else read-only) as a
 * `ByteStream`. A terminal gets a second file for writing: Deno runs one
 * operation at a time on a file, so a write would wait behind a pending read.
 */
export async function denoOpenStream(path: string): Promise<ByteStream> {
  let file: Deno.FsFile;
  let out: Deno.FsFile | null = null;
  try {
    // A FIFO's open waits for a writer.
    file = await Deno.open(path, { read: true });
    if (file.isTerminal()) out = await Deno.open(path, { write: true });
  } catch (e) {
    throw normalizeError(e);
  }
  const f = file;
  const w = out;
  const closeIn = closer(f);
  return new PullByteStream({
    read: reader(f),
    close: () => {
      closeIn();
      if (w !== null) closer(w)();
    },
    write: w === null ? undefined : async (data: Uint8Array): Promise<void> => {
      let rest = data;
      try {
        while (rest.byteLength > 0) rest = rest.subarray(await w.write(rest));
      } catch (e) {
        throw normalizeError(e);
      }
    },
    isTTY: w !== null,
    native: f,
  });
}
