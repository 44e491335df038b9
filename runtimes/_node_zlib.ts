/**
 * node:zlib's raw deflate and inflate with Z_SYNC_FLUSH and a kept context,
 * offered as `Runtime.compression` by the three adapters (Deno and Bun have
 * node:zlib too; `CompressionStream("deflate-raw")` cannot sync-flush).
 * node:zlib is loaded on first use, so start-up does not pay for it.
 *
 * Each push writes its input and asks for a sync flush; the output is what the
 * stream emitted until the flush completed. An inflate push watches the output
 * as it comes (node:zlib inflates in chunks of 16 KiB) and destroys the stream
 * once it passed the limit, so a small bomb never inflates in full.
 *
 * @module
 */
import type {
  RawDeflateStream,
  RawInflateStream,
  RuntimeCompression,
} from "../src/internet/socket.ts";
import { nodeZlib } from "./_node_lazy.ts";
import type { Transform } from "node:stream";

type ZlibStream = Transform & {
  flush(kind: number, callback: () => void): void;
  errored?: Error | null;
};

/**
 * Runs sync-flushed pushes through one zlib stream, one at a time. A DEFLATE
 * stream that ended (a block with BFINAL set, which RFC 7692 7.2.3.4 allows a
 * sender) ignores what follows: the next push then starts a new stream.
 */
class FlushedStream {
  #make: () => ZlibStream;
  #stream: ZlibStream;
  #ended = false;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #limit = Infinity;
  #settle: ((value: Uint8Array | null | Error) => void) | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(make: () => ZlibStream) {
    this.#make = make;
    this.#stream = this.#attach(make());
  }

  #attach(stream: ZlibStream): ZlibStream {
    stream.on("end", () => {
      if (stream === this.#stream) this.#ended = true;
    });
    stream.on("data", (chunk: Uint8Array) => {
      if (stream !== this.#stream) return;
      this.#chunks.push(chunk);
      this.#size += chunk.length;
      if (this.#size > this.#limit) {
        this.#finish(null);
        this.close();
      }
    });
    stream.on("error", (e: Error) => {
      if (stream !== this.#stream) return;
      this.#closed = true;
      this.#finish(e);
    });
    return stream;
  }

  push(data: Uint8Array, limit: number): Promise<Uint8Array | null> {
    const run = this.#queue.then(() => this.#run(data, limit));
    this.#queue = run.then(() => {}, () => {});
    return run;
  }

  #run(data: Uint8Array, limit: number): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.reject(new Error("The compression stream is closed"));
    if (this.#ended) {
      this.#ended = false;
      this.#stream.destroy();
      this.#stream = this.#attach(this.#make());
    }
    return new Promise((resolve, reject) => {
      this.#chunks = [];
      this.#size = 0;
      this.#limit = limit;
      this.#settle = (value) => value instanceof Error ? reject(value) : resolve(value);
      const stream = this.#stream;
      if (data.length > 0) stream.write(data);
      stream.flush(nodeZlib().constants.Z_SYNC_FLUSH, () => {
        // Deno calls back before it emits the error of a bad block.
        if (stream.errored) this.#finish(stream.errored);
        else this.#finish(join(this.#chunks, this.#size));
      });
    });
  }

  #finish(value: Uint8Array | null | Error): void {
    const settle = this.#settle;
    this.#settle = null;
    this.#chunks = [];
    settle?.(value);
  }

  close(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#stream.destroy();
    }
    this.#finish(new Error("The compression stream is closed"));
  }
}

function join(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) {
    const c = chunks[0];
    return new Uint8Array(c.buffer, c.byteOffset, c.length);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function checkBits(windowBits: number): void {
  if (!Number.isInteger(windowBits) || windowBits < 8 || windowBits > 15) {
    throw new RangeError(`Window bits must be 8 to 15, not ${windowBits}`);
  }
}

/** node:zlib's raw DEFLATE streams. */
export const nodeCompression: RuntimeCompression = {
  deflateRaw({ windowBits, level }): RawDeflateStream {
    checkBits(windowBits);
    const zlib = nodeZlib();
    // zlib has no 256-byte window for raw deflate (it takes 512): with 8,
    // compress with run-length matches only (distance 1), valid for any window.
    const flushed = new FlushedStream(() =>
      zlib.createDeflateRaw({
        windowBits: windowBits === 8 ? 9 : windowBits,
        level: level ?? zlib.constants.Z_DEFAULT_COMPRESSION,
        ...(windowBits === 8 ? { strategy: zlib.constants.Z_RLE } : {}),
      }) as unknown as ZlibStream
    );
    return {
      push: (data) => flushed.push(data, Infinity) as Promise<Uint8Array>,
      close: () => flushed.close(),
    };
  },
  inflateRaw({ windowBits }): RawInflateStream {
    checkBits(windowBits);
    const flushed = new FlushedStream(() =>
      nodeZlib().createInflateRaw({ windowBits }) as unknown as ZlibStream
    );
    return {
      push: (data, maxOutput) => flushed.push(data, maxOutput),
      close: () => flushed.close(),
    };
  },
};
