/**
 * Request bodies for the HTTP client: the `IBodyProducer` contract and
 * `BytesBodyProducer` (bytes, text or a `ReadableStream`), Twisted's
 * `FileBodyProducer` in spirit. Private to src/web; client.ts re-exports them.
 *
 * @module
 */
import { Deferred } from "../internet/defer.ts";
import type { IConsumer, IPushProducer } from "../internet/interfaces.ts";

/** The length of a body that is not known in advance (`twisted.web.iweb.UNKNOWN_LENGTH`). */
export const UNKNOWN_LENGTH: unique symbol = Symbol("UNKNOWN_LENGTH");

/** A body length: a byte count, or `UNKNOWN_LENGTH`. */
export type BodyLength = number | typeof UNKNOWN_LENGTH;

/**
 * Writes a request body to a consumer (`IBodyProducer`). With a known
 * `length` the request carries `Content-Length`; otherwise it is chunked.
 * `pauseProducing` / `resumeProducing` come from the connection's write
 * buffer; `stopProducing` means the request was abandoned.
 */
export interface IBodyProducer extends IPushProducer {
  /** The body's length in bytes, or `UNKNOWN_LENGTH`. */
  readonly length: BodyLength;
  /** Starts writing to `consumer`; fires when the whole body was written, fails on error. */
  startProducing(consumer: IConsumer): Deferred<void>;
}

/** What `BytesBodyProducer` accepts. */
export type BodySource = Uint8Array | string | ReadableStream<Uint8Array>;

/** Options for `BytesBodyProducer`. */
export interface BytesBodyProducerOptions {
  /** The length of a stream body, when known (sent as Content-Length). @default UNKNOWN_LENGTH */
  length?: number;
  /** Largest piece written at once. @default 65536 */
  readSize?: number;
}

const enc = new TextEncoder();

/**
 * A body from bytes, a string (sent as UTF-8) or a `ReadableStream` of bytes
 * (Twisted's `FileBodyProducer`). Bytes and strings have a known length
 * (Content-Length) and can be produced again (for a redirect that keeps the
 * method); a stream's length is unknown (chunked) unless given.
 *
 * @example
 * ```ts
 * import { BytesBodyProducer, UNKNOWN_LENGTH } from "@tw/core/web";
 * console.log(new BytesBodyProducer("héllo").length); // 6
 * console.log(new BytesBodyProducer(new Blob(["x"]).stream()).length === UNKNOWN_LENGTH); // true
 * ```
 */
export class BytesBodyProducer implements IBodyProducer {
  /** The body's length in bytes, or `UNKNOWN_LENGTH`. */
  readonly length: BodyLength;
  #bytes: Uint8Array | null = null;
  #stream: ReadableStream<Uint8Array> | null = null;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #readSize: number;
  #offset = 0;
  #paused = false;
  #stopped = false;
  #consumer: IConsumer | null = null;
  #done: Deferred<void> | null = null;
  #resume: (() => void) | null = null;

  /**
   * Makes a producer.
   * @param body the bytes, text or stream to send
   * @param options the stream's length and the piece size
   */
  constructor(body: BodySource, options: BytesBodyProducerOptions = {}) {
    this.#readSize = options.readSize ?? 65536;
    if (typeof body === "string") this.#bytes = enc.encode(body);
    else if (body instanceof Uint8Array) this.#bytes = body;
    else this.#stream = body;
    this.length = this.#bytes !== null ? this.#bytes.length : (options.length ?? UNKNOWN_LENGTH);
  }

  /** True when the body can be produced again by `replay()` (bytes and strings). */
  get replayable(): boolean {
    return this.#bytes !== null;
  }

  /** A fresh producer of the same bytes (for redirects); throws for streams. */
  replay(): BytesBodyProducer {
    if (this.#bytes === null) throw new TypeError("A stream body cannot be produced twice");
    return new BytesBodyProducer(this.#bytes, { readSize: this.#readSize });
  }

  /** Starts writing; see `IBodyProducer.startProducing`. */
  startProducing(consumer: IConsumer): Deferred<void> {
    if (this.#done !== null) throw new Error("BytesBodyProducer.startProducing called twice");
    this.#consumer = consumer;
    this.#done = new Deferred<void>(() => this.stopProducing());
    if (this.#bytes !== null) this.#pump();
    else void this.#readStream();
    return this.#done;
  }

  // Writes pieces until paused (the consumer's write may pause us at once).
  #pump(): void {
    const bytes = this.#bytes!;
    while (!this.#paused && !this.#stopped && this.#offset < bytes.length) {
      const end = Math.min(bytes.length, this.#offset + this.#readSize);
      const piece = bytes.subarray(this.#offset, end);
      this.#offset = end;
      this.#consumer!.write(piece);
    }
    if (!this.#stopped && this.#offset >= bytes.length && !this.#done!.called) {
      this.#done!.callback(undefined);
    }
  }

  async #readStream(): Promise<void> {
    const done = this.#done!;
    try {
      this.#reader = this.#stream!.getReader();
      for (;;) {
        if (this.#paused) await new Promise<void>((r) => (this.#resume = r));
        if (this.#stopped) return;
        const { value, done: end } = await this.#reader.read();
        if (this.#stopped) return;
        if (end) break;
        if (value.length > 0) this.#consumer!.write(value);
      }
      if (!done.called) done.callback(undefined);
    } catch (error) {
      if (!this.#stopped && !done.called) done.errback(error);
    }
  }

  /** Stops writing until `resumeProducing`. */
  pauseProducing(): void {
    this.#paused = true;
  }

  /** Resumes writing. */
  resumeProducing(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#stopped || this.#done === null) return;
    if (this.#bytes !== null) this.#pump();
    else {
      const resume = this.#resume;
      this.#resume = null;
      resume?.();
    }
  }

  /** Stops for good; the Deferred of `startProducing` is left unfired (Twisted's contract). */
  stopProducing(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const resume = this.#resume;
    this.#resume = null;
    resume?.();
    this.#reader?.cancel().catch(() => {});
  }
}
