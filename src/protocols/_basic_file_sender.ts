/**
 * `FileSender` (`twisted.protocols.basic.FileSender`): a pull producer that
 * streams any byte source to a consumer. Private to src/protocols.
 *
 * @module
 */
import { Deferred } from "../internet/defer.ts";
import type { IConsumer, IPullProducer } from "../internet/interfaces.ts";

/**
 * What `FileSender` reads from: a Web `ReadableStream` (a `fetch` body, a
 * `Deno.FsFile`'s `readable`, `Bun.file().stream()`, Node's
 * `Readable.toWeb(...)`), any async or sync iterable of byte chunks (a Node
 * `fs.ReadStream` is one), or the bytes themselves.
 */
export type FileSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | Uint8Array;

/** Rewrites each chunk before it is written (Twisted's `transform`). */
export type FileTransform = (chunk: Uint8Array) => Uint8Array;

/** Reads chunks one at a time: sync when the source is, so tests stay deterministic. */
interface ChunkReader {
  /** The next chunk, a Promise of it, or null at the end. */
  next(): Uint8Array | null | Promise<Uint8Array | null>;
  /** Releases the source early. */
  cancel(): void;
}

function bytesReader(bytes: Uint8Array, chunkSize: number): ChunkReader {
  let at = 0;
  return {
    next: () => {
      if (at >= bytes.byteLength) return null;
      const chunk = bytes.subarray(at, at + chunkSize);
      at += chunk.byteLength;
      return chunk;
    },
    cancel: () => {
      at = bytes.byteLength;
    },
  };
}

function streamReader(stream: ReadableStream<Uint8Array>): ChunkReader {
  const reader = stream.getReader();
  return {
    next: () => reader.read().then((r) => (r.done ? null : r.value)),
    cancel: () => {
      // A source that fails while cancelled has nobody left to tell.
      reader.cancel().catch(() => {});
    },
  };
}

function iteratorReader(
  iterator: Iterator<Uint8Array> | AsyncIterator<Uint8Array>,
): ChunkReader {
  return {
    next: () => {
      const r = iterator.next();
      if (r instanceof Promise || typeof (r as { then?: unknown }).then === "function") {
        return Promise.resolve(r as Promise<IteratorResult<Uint8Array>>).then((x) =>
          x.done ? null : x.value
        );
      }
      const x = r as IteratorResult<Uint8Array>;
      return x.done ? null : x.value;
    },
    cancel: () => {
      try {
        const r = iterator.return?.();
        if (r instanceof Promise) r.catch(() => {});
      } catch {
        // The source could not be closed: it is dropped anyway.
      }
    },
  };
}

function readerFor(source: FileSource, chunkSize: number): ChunkReader {
  if (source instanceof Uint8Array) return bytesReader(source, chunkSize);
  if (typeof ReadableStream === "function" && source instanceof ReadableStream) {
    return streamReader(source);
  }
  const s = source as Partial<AsyncIterable<Uint8Array> & Iterable<Uint8Array>>;
  if (typeof s[Symbol.asyncIterator] === "function") {
    return iteratorReader(s[Symbol.asyncIterator]!());
  }
  if (typeof s[Symbol.iterator] === "function") return iteratorReader(s[Symbol.iterator]!());
  throw new TypeError(
    "FileSender needs a ReadableStream, an (async) iterable of Uint8Array or a Uint8Array",
  );
}

/**
 * Sends a byte source to a consumer (a transport) as a pull producer: one
 * chunk each time the consumer asks (`resumeProducing`), so a slow peer
 * slows the reading. `beginFileTransfer` returns a Deferred that fires with
 * the last byte sent (a 1-byte array, empty if nothing was sent) once the
 * source is exhausted and the producer unregistered, or fails with the
 * source's error, or when the consumer calls `stopProducing`.
 *
 * @example
 * ```ts
 * import { FileSender } from "@tw/core/protocols/basic";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const transport = new StringTransport();
 * const sender = new FileSender();
 * const done = sender.beginFileTransfer(new TextEncoder().encode("abc"), transport);
 * sender.resumeProducing(); // StringTransport does not pull by itself
 * sender.resumeProducing();
 * console.log(transport.valueText(), await done); // abc Uint8Array(1) [ 99 ]
 * ```
 */
export class FileSender implements IPullProducer {
  /** The largest chunk cut from a `Uint8Array` source. @default 16384 */
  CHUNK_SIZE: number = 2 ** 14;
  /** The last byte sent so far (empty before the first chunk). */
  lastSent: Uint8Array = new Uint8Array(0);
  /** The Deferred `beginFileTransfer` returned, until it fires. */
  deferred: Deferred<Uint8Array> | null = null;
  #reader: ChunkReader | null = null;
  #consumer: IConsumer | null = null;
  #transform: FileTransform | undefined;
  #reading = false;

  /**
   * Starts sending `source` to `consumer`: registers this as a pull producer.
   * @param source the bytes to send
   * @param consumer where they go (a transport)
   * @param transform applied to each chunk before it is written
   */
  beginFileTransfer(
    source: FileSource,
    consumer: IConsumer,
    transform?: FileTransform,
  ): Deferred<Uint8Array> {
    this.#reader = readerFor(source, this.CHUNK_SIZE);
    this.#consumer = consumer;
    this.#transform = transform;
    const d = new Deferred<Uint8Array>(() => this.#abandon());
    this.deferred = d;
    consumer.registerProducer(this, false);
    return d;
  }

  /** Writes the next chunk (when it is available), or finishes at the end of the source. */
  resumeProducing(): void {
    if (this.#reader === null || this.#reading) return;
    let next: Uint8Array | null | Promise<Uint8Array | null>;
    try {
      next = this.#reader.next();
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (next instanceof Promise) {
      this.#reading = true;
      next.then((chunk) => {
        this.#reading = false;
        if (this.#reader !== null) this.#send(chunk);
      }, (error) => {
        this.#reading = false;
        if (this.#reader !== null) this.#fail(error);
      });
      return;
    }
    this.#send(next);
  }

  #send(chunk: Uint8Array | null): void {
    if (chunk === null) {
      this.#finish();
      return;
    }
    if (chunk.byteLength === 0) {
      // An empty chunk says nothing: ask the source again rather than stall the consumer.
      this.resumeProducing();
      return;
    }
    const data = this.#transform ? this.#transform(chunk) : chunk;
    this.#consumer!.write(data);
    if (data.byteLength > 0) this.lastSent = data.slice(data.byteLength - 1);
  }

  #finish(): void {
    this.#reader = null;
    this.#consumer?.unregisterProducer();
    this.#consumer = null;
    const d = this.deferred;
    this.deferred = null;
    d?.callback(this.lastSent);
  }

  #fail(error: unknown): void {
    this.#reader?.cancel();
    this.#reader = null;
    this.#consumer?.unregisterProducer();
    this.#consumer = null;
    const d = this.deferred;
    this.deferred = null;
    d?.errback(error);
  }

  /** Does nothing: a pull producer only writes when asked. */
  pauseProducing(): void {}

  /** The consumer gives up: releases the source and fails the Deferred. */
  stopProducing(): void {
    this.#reader?.cancel();
    this.#reader = null;
    this.#consumer = null;
    const d = this.deferred;
    this.deferred = null;
    d?.errback(new Error("Consumer asked us to stop producing"));
  }

  /** Cancelling the Deferred stops the transfer. */
  #abandon(): void {
    this.deferred = null;
    this.#reader?.cancel();
    this.#reader = null;
    this.#consumer?.unregisterProducer();
    this.#consumer = null;
  }
}
