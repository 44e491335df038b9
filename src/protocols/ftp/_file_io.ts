/**
 * Streaming file transfers for the FTP shells: `FileReader` (an `IReadFile`
 * that reads a chunk only when the consumer wants one) and `FileWriter` (an
 * `IWriteFile` whose consumer pauses the data connection while the disk is
 * behind). Neither holds more than a few chunks of a file, and both use their
 * buffers again: on Node every fresh buffer counts towards V8's external
 * memory, and a 256 MiB download reading into new 1 MiB buffers cost six
 * full collections, a third of the server's CPU time (measured with perf).
 * @module
 */
import type { IConsumer, IPushProducer } from "../../internet/interfaces.ts";
import type { FileHandle, RandomAccessFile } from "../../internet/socket.ts";
import type { IReadFile, IWriteFile } from "./_interfaces.ts";

/** Bytes per file read, and per buffer of an upload (one `pwrite` each). */
export const CHUNK: number = 1024 * 1024;
/** Upload bytes waiting for, or going to, the disk past which the connection is paused. */
const WRITE_HIGH = 8 * 1024 * 1024;
/** ... and below which it reads again. */
const WRITE_LOW = 4 * 1024 * 1024;
/** Writes in flight at once (each at its own position). */
const MAX_WRITES = 2;
/** Buffers a transfer keeps for use again (more are left to the collector). */
const POOL = 4;

/**
 * A consumer that tells when it no longer holds what was written to it: a
 * `bufferedAmount` of 0 means every chunk written so far went to the system
 * (or was copied), so their buffers may be filled again. A consumer without
 * it gets a fresh buffer per chunk.
 */
export interface ReleasingConsumer extends IConsumer {
  /** Bytes written and not yet taken by the system. */
  readonly bufferedAmount?: number;
}

/** The consumer stopped the download (the data connection went away). */
export class TransferStopped extends Error {
  constructor() {
    super("The transfer was stopped");
    this.name = "TransferStopped";
  }
}

/**
 * Sends a file from `offset`, one chunk at a time, as a streaming producer;
 * one chunk is read ahead, so the disk works while the network sends.
 */
export class FileReader implements IReadFile, IPushProducer {
  readonly #file: FileHandle;
  #position: number;
  #paused = false;
  #stopped = false;
  #reading = false;
  #eof = false;
  #ahead: Uint8Array | null = null;
  /** The whole buffer `#ahead` was read into (it is shorter at the end of the file). */
  #aheadBuffer: Uint8Array | null = null;
  #consumer: ReleasingConsumer | null = null;
  #settle: ((error: Error | null) => void) | null = null;
  /** Buffers the consumer may still hold, and buffers free for the next read. */
  #lent: Uint8Array[] = [];
  #free: Uint8Array[] = [];

  constructor(file: FileHandle, offset = 0) {
    this.#file = file;
    this.#position = offset;
  }

  send(consumer: IConsumer): Promise<void> {
    if (this.#consumer !== null) return Promise.reject(new Error("The file was sent already"));
    this.#consumer = consumer;
    return new Promise<void>((resolve, reject) => {
      this.#settle = (error) => {
        this.#settle = null;
        this.#lent = [];
        this.#free = [];
        this.#file.close().catch(() => {});
        if (error === null) resolve();
        else reject(error);
      };
      consumer.registerProducer(this, true);
      this.#pump();
    });
  }

  close(): Promise<void> {
    if (this.#consumer !== null) return Promise.resolve();
    this.#consumer = { registerProducer() {}, unregisterProducer() {}, write() {} };
    return this.#file.close();
  }

  pauseProducing(): void {
    this.#paused = true;
  }

  resumeProducing(): void {
    this.#paused = false;
    this.#pump();
  }

  stopProducing(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (!this.#reading) this.#settle?.(new TransferStopped());
  }

  /** Takes back what the consumer no longer holds. */
  #reclaim(): void {
    if (this.#lent.length === 0 || this.#consumer?.bufferedAmount !== 0) return;
    for (const buffer of this.#lent) this.#free.push(buffer);
    this.#lent = [];
  }

  #pump(): void {
    if (this.#settle === null) return;
    if (this.#stopped) {
      if (!this.#reading) this.#settle(new TransferStopped());
      return;
    }
    if (!this.#paused && this.#ahead !== null) {
      // Resumed: the consumer may have let go of what it was given before.
      this.#reclaim();
      const chunk = this.#ahead;
      this.#ahead = null;
      // Writing may pause us at once (the transport's high-water mark).
      this.#consumer!.write(chunk);
      if (this.#settle === null) return;
      // Kept for use again only with a consumer that tells, and only a few: the rest
      // are left to the collector (never a reference per chunk of a long download).
      if (this.#lent.length < POOL && typeof this.#consumer!.bufferedAmount === "number") {
        this.#lent.push(this.#aheadBuffer!);
      }
    }
    if (this.#ahead === null && !this.#reading && !this.#eof) {
      // One chunk is read ahead, while paused too: the disk works while the network sends.
      this.#reading = true;
      this.#reclaim();
      const buffer = this.#free.pop() ?? new Uint8Array(CHUNK);
      this.#file.read(buffer, this.#position).then((count) => {
        this.#reading = false;
        if (count === 0) {
          this.#eof = true;
          this.#free.push(buffer);
        } else {
          this.#position += count;
          this.#ahead = count === buffer.byteLength ? buffer : buffer.subarray(0, count);
          this.#aheadBuffer = buffer;
        }
        this.#pump();
      }, (error) => {
        this.#reading = false;
        if (this.#settle === null) return;
        try {
          this.#consumer!.unregisterProducer();
        } catch { /* the consumer is gone as well */ }
        this.#settle(error instanceof Error ? error : new Error(String(error)));
      });
      return;
    }
    if (this.#eof && this.#ahead === null && !this.#reading) {
      this.#consumer!.unregisterProducer();
      this.#settle(null);
    }
  }
}

/**
 * Writes an upload at increasing positions. What arrives is copied at once
 * into buffers of `CHUNK` bytes (the network's chunks are kept by no one, and
 * the disk gets few large writes: one write costs a thread hand-off), except
 * a chunk of `CHUNK` bytes or more, which is written as it is; full buffers go
 * to the disk, two writes in flight, each buffer used again once written. The consumer it gives pauses the registered producer while more
 * than a few megabytes wait for the disk.
 */
export class FileWriter implements IWriteFile, IConsumer {
  readonly #file: RandomAccessFile;
  #position: number;
  /** The buffer being filled, and how far. */
  #fill: Uint8Array | null = null;
  #filled = 0;
  /** Full buffers waiting for a write. */
  #ready: Uint8Array[] = [];
  #waiting = 0;
  #pool: Uint8Array[] = [];
  /** The buffers this writer made (others came from the network, and are not filled again). */
  #mine = new WeakSet<Uint8Array>();
  #inFlight = 0;
  #writes = 0;
  #error: Error | null = null;
  #closed = false;
  #ending = false;
  #producer: IPushProducer | null = null;
  #pausedProducer = false;
  #idle: (() => void) | null = null;

  constructor(file: RandomAccessFile, position: number) {
    this.#file = file;
    this.#position = position;
  }

  receive(): Promise<IConsumer> {
    return Promise.resolve(this);
  }

  registerProducer(producer: IPushProducer, _streaming: boolean): void {
    this.#producer = producer;
    this.#pausedProducer = false;
  }

  unregisterProducer(): void {
    this.#producer = null;
  }

  write(data: Uint8Array): void {
    if (this.#closed || this.#error !== null) return;
    let at = 0;
    while (at < data.byteLength) {
      if (this.#filled === 0 && data.byteLength - at >= CHUNK) {
        // A chunk this large goes to the disk as it is: no copy (Deno reads 1 MiB at once).
        this.#ready.push(at === 0 ? data : data.subarray(at));
        break;
      }
      const fill = this.#fill ??= this.#pool.pop() ?? this.#allocate();
      const take = Math.min(CHUNK - this.#filled, data.byteLength - at);
      fill.set(take === data.byteLength ? data : data.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled === CHUNK) {
        this.#ready.push(fill);
        this.#fill = null;
        this.#filled = 0;
      }
    }
    this.#waiting += data.byteLength;
    this.#flush();
    if (
      this.#waiting + this.#inFlight > WRITE_HIGH && this.#producer !== null &&
      !this.#pausedProducer
    ) {
      this.#pausedProducer = true;
      this.#producer.pauseProducing();
    }
  }

  #allocate(): Uint8Array {
    const buffer = new Uint8Array(CHUNK);
    this.#mine.add(buffer);
    return buffer;
  }

  #flush(): void {
    for (;;) {
      if (this.#ending && this.#fill !== null && this.#ready.length === 0) {
        // The end: what is left goes out after the full buffers, however little.
        this.#ready.push(this.#fill.subarray(0, this.#filled));
        this.#fill = null;
        this.#filled = 0;
      }
      if (this.#ready.length === 0 || this.#error !== null || this.#writes >= MAX_WRITES) return;
      this.#write(this.#ready.shift()!);
    }
  }

  #write(data: Uint8Array): void {
    this.#waiting -= data.byteLength;
    const position = this.#position;
    this.#position += data.byteLength;
    this.#writes++;
    this.#inFlight += data.byteLength;
    this.#file.write(data, position).then(() => {
      this.#writes--;
      this.#inFlight -= data.byteLength;
      if (this.#mine.has(data) && this.#pool.length < POOL) this.#pool.push(data);
      this.#flush();
      if (this.#pausedProducer && this.#waiting + this.#inFlight <= WRITE_LOW) {
        this.#pausedProducer = false;
        this.#producer?.resumeProducing();
      }
      this.#checkIdle();
    }, (error) => {
      this.#writes--;
      this.#inFlight -= data.byteLength;
      this.#error ??= error instanceof Error ? error : new Error(String(error));
      this.#ready = [];
      this.#fill = null;
      this.#filled = 0;
      this.#waiting = 0;
      this.#producer?.stopProducing();
      this.#checkIdle();
    });
  }

  #checkIdle(): void {
    if (
      this.#writes === 0 &&
      ((this.#ready.length === 0 && this.#fill === null) || this.#error !== null)
    ) this.#idle?.();
  }

  async close(): Promise<void> {
    this.#ending = true;
    this.#flush();
    if (this.#writes > 0 || this.#ready.length > 0 || this.#fill !== null) {
      await new Promise<void>((resolve) => {
        this.#idle = () => {
          this.#idle = null;
          resolve();
        };
      });
    }
    this.#closed = true;
    this.#pool = [];
    await this.#file.close();
    if (this.#error !== null) throw this.#error;
  }
}
