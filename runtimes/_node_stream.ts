/**
 * Standard input and opened devices, FIFOs and files as `ByteStream`s over
 * node streams, for the node adapter (standard input also for Bun's). A
 * paused node socket reads on until its buffer is full, so a paused or closed
 * stream is also unref'ed: neither keeps the process alive. Standard input is
 * only detached on close, never destroyed: the process may read it again.
 *
 * Opening: a regular file (or a device that is no terminal) streams through
 * `fs.createReadStream`; a FIFO through a `net.Socket` on its descriptor on
 * Node (the poll loop, so a close never waits for a writer), a read stream
 * elsewhere; a terminal through a `tty.ReadStream`, written with `fs.write`.
 *
 * @module
 */
import type { Readable } from "node:stream";
import type { ByteStream, ByteStreamHandler } from "../src/internet/socket.ts";
import { normalizeError } from "./_node_errors.ts";
import { detectRuntime } from "./_detect.ts";
import { nodeGlobalProcess } from "./_node_lazy.ts";

/** Options for `NodeByteStream`. */
interface NodeStreamOptions {
  isTTY: boolean;
  /** Writes all of `data` to the device. */
  write?: (data: Uint8Array) => Promise<void>;
  /** Releases the stream (destroy, or detach for standard input). */
  release: (stream: Readable) => void;
}

/** A `ByteStream` over a node `Readable`. */
export class NodeByteStream implements ByteStream {
  #stream: Readable;
  #options: NodeStreamOptions;
  #handler: ByteStreamHandler | null = null;
  #closed = false;
  #paused = false;
  #writes: Promise<void> = Promise.resolve();
  #onData = (chunk: Uint8Array | string): void => {
    if (typeof chunk === "string") chunk = new TextEncoder().encode(chunk);
    // A node Buffer is a Uint8Array the receiver may keep (never a reused buffer).
    if (chunk.byteLength > 0) this.#handler?.onData(chunk);
  };
  #onEnd = (): void => {
    const handler = this.#handler;
    this.close();
    handler?.onEnd();
  };
  #onError = (error: Error): void => {
    const handler = this.#handler;
    this.close();
    handler?.onError(normalizeError(error));
  };

  /** Wraps `stream`, which must not be flowing yet. */
  constructor(stream: Readable, options: NodeStreamOptions) {
    this.#stream = stream;
    this.#options = options;
  }

  /** See `ByteStream.isTTY`. */
  get isTTY(): boolean {
    return this.#options.isTTY;
  }

  /** See `ByteStream.writable`. */
  get writable(): boolean {
    return this.#options.write !== undefined;
  }

  /** See `ByteStream.native`. */
  get native(): unknown {
    return this.#stream;
  }

  /** See `ByteStream.start`. */
  start(handler: ByteStreamHandler): void {
    if (this.#handler !== null || this.#closed) throw new Error("The stream is already started");
    this.#handler = handler;
    const s = this.#stream;
    s.on("data", this.#onData);
    s.on("end", this.#onEnd);
    s.on("error", this.#onError);
    if (this.#paused) this.#ref(false);
    else s.resume();
  }

  /** See `ByteStream.pauseReading`. */
  pauseReading(): void {
    this.#paused = true;
    if (!this.#closed) {
      this.#stream.pause();
      this.#ref(false);
    }
  }

  /** See `ByteStream.resumeReading`. */
  resumeReading(): void {
    this.#paused = false;
    if (!this.#closed && this.#handler !== null) {
      this.#ref(true);
      this.#stream.resume();
    }
  }

  /**
   * A paused socket or terminal stream goes on reading into its buffer until
   * that is full, and so holds the process: unref it while paused or closed.
   */
  #ref(on: boolean): void {
    const s = this.#stream as Readable & { ref?(): void; unref?(): void };
    if (on) s.ref?.();
    else s.unref?.();
  }

  /** See `ByteStream.write`. */
  write(data: Uint8Array): Promise<void> {
    const write = this.#options.write;
    if (write === undefined || this.#closed) {
      return Promise.reject(new Error(this.#closed ? "The stream is closed" : "Not writable"));
    }
    const next = this.#writes.then(() => write(data));
    this.#writes = next.catch(() => {});
    return next;
  }

  /** See `ByteStream.close`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handler = null;
    const s = this.#stream;
    s.pause();
    this.#ref(false);
    s.off("data", this.#onData);
    s.off("end", this.#onEnd);
    s.off("error", this.#onError);
    // A late error after the release must not become an uncaught exception.
    s.on("error", () => {});
    this.#options.release(s);
  }
}

/** The process's standard input as a `ByteStream` (Node's `process`; Node and Bun). */
export function nodeStdin(): ByteStream {
  const stdin = nodeGlobalProcess().stdin;
  return new NodeByteStream(stdin, {
    isTTY: stdin.isTTY === true,
    release: (s) => s.pause(),
  });
}

/** Opens `path` (a terminal read-write, anything else read-only) as a `ByteStream`. */
export async function nodeOpenStream(path: string): Promise<ByteStream> {
  const fs = await import("node:fs");
  let stats: import("node:fs").Stats;
  try {
    stats = await fs.promises.stat(path);
  } catch (e) {
    throw normalizeError(e);
  }
  const destroy = (s: Readable): void => void s.destroy();
  if (stats.isFIFO()) {
    if (detectRuntime() === "node") {
      // Opening waits (on the thread pool) for a writer, as `cat fifo` does.
      const fd = await new Promise<number>((resolve, reject) =>
        fs.open(path, "r", (e, fd) => e ? reject(normalizeError(e)) : resolve(fd))
      );
      const net = await import("node:net");
      const socket = new net.Socket({ fd, readable: true, writable: false });
      socket.pause();
      return new NodeByteStream(socket, { isTTY: false, release: destroy });
    }
  } else if (stats.isCharacterDevice()) {
    const tty = await import("node:tty");
    const c = fs.constants;
    // Non-blocking, as pyserial opens, so a modem line without carrier does not
    // hang the open; Bun's tty stream wants a blocking descriptor.
    const nonBlock = detectRuntime() === "bun" ? 0 : c.O_NONBLOCK;
    let fd: number;
    try {
      fd = fs.openSync(path, c.O_RDWR | c.O_NOCTTY | nonBlock);
    } catch (e) {
      throw normalizeError(e);
    }
    if (tty.isatty(fd)) {
      const stream = new tty.ReadStream(fd);
      stream.pause();
      return new NodeByteStream(stream, {
        isTTY: true,
        write: (data) => writeAll(fs, fd, data),
        release: destroy,
      });
    }
    fs.closeSync(fd);
  }
  const stream = fs.createReadStream(path, { highWaterMark: 64 * 1024 });
  stream.pause();
  // An open failure (EACCES...) arrives as an "error" event: report it as a rejection.
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (e) => reject(normalizeError(e)));
  });
  return new NodeByteStream(stream, { isTTY: false, release: destroy });
}

/** Writes all of `data` to `fd`, waiting out EAGAIN on a non-blocking terminal. */
async function writeAll(
  fs: typeof import("node:fs"),
  fd: number,
  data: Uint8Array,
): Promise<void> {
  let rest = data;
  while (rest.byteLength > 0) {
    try {
      const n = await new Promise<number>((resolve, reject) =>
        fs.write(fd, rest, (e, n) => e ? reject(e) : resolve(n))
      );
      rest = rest.subarray(n);
    } catch (e) {
      if ((e as { code?: string }).code !== "EAGAIN") throw normalizeError(e);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
