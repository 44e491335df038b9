/**
 * A `ByteStream` over a pull source (`read()` resolving with the next chunk or
 * null at the end), shared by the Deno and Bun adapters: one read in flight at
 * most, none while paused, and a chunk that arrives after a pause is held
 * until `resumeReading`.
 *
 * @module
 */
import type { ByteStream, ByteStreamHandler } from "../src/internet/socket.ts";

/** What a pull source provides. */
export interface PullSource {
  /** The next chunk (owned by the caller), or null at the end. One at a time. */
  read(): Promise<Uint8Array | null>;
  /** Releases the source; a read in flight settles (or is dropped) afterwards. */
  close(): void;
  /** Writes all of `data`, when the source is also writable. */
  write?(data: Uint8Array): Promise<void>;
  /** The source is a terminal. */
  isTTY: boolean;
  /** The runtime's own object. */
  native: unknown;
}

/** A `ByteStream` over a `PullSource`. */
export class PullByteStream implements ByteStream {
  #source: PullSource;
  #handler: ByteStreamHandler | null = null;
  #paused = false;
  #reading = false;
  #closed = false;
  #held: Uint8Array | null | undefined = undefined;
  #writes: Promise<void> = Promise.resolve();

  /** Wraps `source`; nothing is read before `start`. */
  constructor(source: PullSource) {
    this.#source = source;
  }

  /** See `ByteStream.isTTY`. */
  get isTTY(): boolean {
    return this.#source.isTTY;
  }

  /** See `ByteStream.writable`. */
  get writable(): boolean {
    return this.#source.write !== undefined;
  }

  /** See `ByteStream.native`. */
  get native(): unknown {
    return this.#source.native;
  }

  /** See `ByteStream.start`. */
  start(handler: ByteStreamHandler): void {
    if (this.#handler !== null) throw new Error("The stream is already started");
    this.#handler = handler;
    this.#pump();
  }

  /** See `ByteStream.pauseReading`. */
  pauseReading(): void {
    this.#paused = true;
  }

  /** See `ByteStream.resumeReading`. */
  resumeReading(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const held = this.#held;
    if (held !== undefined) {
      this.#held = undefined;
      this.#deliver(held);
    }
    this.#pump();
  }

  /** See `ByteStream.write`: writes go out one at a time, in order. */
  write(data: Uint8Array): Promise<void> {
    const write = this.#source.write;
    if (write === undefined || this.#closed) {
      return Promise.reject(new Error(this.#closed ? "The stream is closed" : "Not writable"));
    }
    const next = this.#writes.then(() => write.call(this.#source, data));
    this.#writes = next.catch(() => {});
    return next;
  }

  /** See `ByteStream.close`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handler = null;
    this.#source.close();
  }

  #pump(): void {
    if (this.#reading || this.#paused || this.#closed || this.#handler === null) return;
    this.#reading = true;
    this.#source.read().then((chunk) => {
      this.#reading = false;
      if (this.#closed) return;
      if (this.#paused) {
        this.#held = chunk;
        return;
      }
      this.#deliver(chunk);
      this.#pump();
    }, (error: unknown) => {
      this.#reading = false;
      if (this.#closed) return;
      const handler = this.#handler!;
      this.close();
      handler.onError(error instanceof Error ? error : new Error(String(error)));
    });
  }

  #deliver(chunk: Uint8Array | null): void {
    const handler = this.#handler;
    if (handler === null) return;
    if (chunk === null) {
      this.close();
      handler.onEnd();
      return;
    }
    if (chunk.byteLength > 0) handler.onData(chunk);
  }
}
