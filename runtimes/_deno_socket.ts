/**
 * `DenoSocket`: the core's `Socket` over a `RawConn`, with both a fast path
 * (a `read()` loop pushing chunks to callbacks) and Web Streams built on the
 * same loop. Never `conn.readable`: it closes the whole connection at EOF.
 *
 * @module
 */

import type {
  FastPathHandler,
  Socket,
  SocketAddress,
  SocketFastPath,
  TlsInfo,
  TlsOptions,
} from "../src/internet/socket.ts";
import type { RawConn } from "./_deno_raw.ts";
import { isClosedResource, normalizeError } from "./_deno_errors.ts";
import { upgradeSocket } from "./_deno_tls.ts";

/** Small writes queued behind an in-flight write are joined up to this size. */
const COALESCE_LIMIT = 64 * 1024;

/** Where the read loop delivers: the fast-path handler or the readable stream. */
interface Sink {
  data(chunk: Uint8Array): void;
  end(): void;
  error(error: Error): void;
  close(): void;
}

/** What a socket hands to the layer that takes it over (STARTTLS). */
export interface Detached {
  /** The connection. */
  raw: RawConn;
  /** The read in flight when the socket was detached: its bytes come first after `prefix`. */
  pending: Promise<Uint8Array | null> | null;
  /** Chunks read but not delivered (null marks EOF). */
  prefix: (Uint8Array | null)[];
}

/** A connected socket of the Deno adapter. */
export class DenoSocket implements Socket {
  #raw: RawConn;
  #sink: Sink | null = null;
  #fast: SocketFastPath;
  #readable: ReadableStream<Uint8Array> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;
  // Reading.
  #paused = false;
  #looping = false;
  #readDone = false;
  #held: (Uint8Array | null)[] = [];
  #reading = false;
  /** Where a read in flight when the socket was detached delivers (see `detach`). */
  #handoff: { resolve(chunk: Uint8Array | null): void; reject(error: unknown): void } | null = null;
  // Writing: `#queued` counts queued and in-flight bytes.
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #writeClosing = false;
  #writeShut = false;
  #flushWaiters: (() => void)[] = [];
  #streamPending = 0;
  #streamWaiters: (() => void)[] = [];
  // Lifecycle.
  #closed = false;
  #error: Error | null = null;
  #closedPromise: Promise<void>;
  #resolveClosed!: () => void;
  #rejectClosed!: (e: Error) => void;

  /** Wraps `raw`; nothing is read until the fast path starts or the readable is read. */
  constructor(raw: RawConn) {
    this.#raw = raw;
    this.#closedPromise = new Promise<void>((resolve, reject) => {
      this.#resolveClosed = resolve;
      this.#rejectClosed = reject;
    });
    // A failure is also reported through the streams or the handler: nobody
    // is obliged to await `closed`, so it must never be an unhandled rejection.
    this.#closedPromise.catch(() => {});
    const queued = (): number => this.#queued;
    this.#fast = {
      start: (handler: FastPathHandler): void => this.#startFast(handler),
      pauseReading: (): void => {
        this.#paused = true;
      },
      resumeReading: (): void => this.#resume(),
      write: (data: Uint8Array): number => this.#enqueue(data),
      get bufferedAmount(): number {
        return queued();
      },
    };
  }

  /** See `Socket.readable`. */
  get readable(): ReadableStream<Uint8Array> {
    if (this.#readable === null) this.#readable = this.#makeReadable();
    return this.#readable;
  }

  /** See `Socket.writable`. */
  get writable(): WritableStream<Uint8Array> {
    if (this.#writable === null) this.#writable = this.#makeWritable();
    return this.#writable;
  }

  /** See `Socket.localAddress`. */
  get localAddress(): SocketAddress {
    return this.#raw.localAddress;
  }

  /** See `Socket.remoteAddress`. */
  get remoteAddress(): SocketAddress {
    return this.#raw.remoteAddress;
  }

  /** See `Socket.closed`. */
  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  /** See `Socket.tls`. */
  get tls(): TlsInfo | null {
    return this.#raw.tls;
  }

  /** See `Socket.fastPath`. */
  get fastPath(): SocketFastPath {
    return this.#fast;
  }

  /** See `Socket.native`: the `Deno.Conn` (or node `TLSSocket` after a node-side upgrade). */
  get native(): unknown {
    return this.#raw.native;
  }

  /** See `Socket.setNoDelay`. */
  setNoDelay(enabled: boolean): void {
    if (!this.#closed) this.#raw.setNoDelay(enabled);
  }

  /** See `Socket.setKeepAlive`. Deno has no keep-alive delay setting. */
  setKeepAlive(enabled: boolean, _initialDelayMs?: number): void {
    if (!this.#closed) this.#raw.setKeepAlive(enabled);
  }

  /** See `Socket.closeWrite`: also waits for chunks still queued in `writable`. */
  async closeWrite(): Promise<void> {
    await this.#streamDrained();
    await this.#shutWrite();
  }

  async #shutWrite(): Promise<void> {
    if (this.#writeClosing || this.#closed) return await this.#flushed();
    this.#writeClosing = true;
    await this.#flushed();
    if (this.#closed) return;
    try {
      await this.#raw.closeWrite();
    } catch {
      // The peer already went away (ENOTCONN, reset): the read side reports it.
    }
    this.#writeShut = true;
    this.#maybeFinish();
  }

  /** See `Socket.close`: flushes, including chunks still queued in `writable`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#streamDrained();
    this.#writeClosing = true;
    await this.#flushed();
    this.#finish(null);
  }

  /** See `Socket.abort`. */
  abort(_reason?: unknown): void {
    if (this.#closed) return;
    this.#queue = [];
    this.#queued = 0;
    this.#writeClosing = true;
    this.#raw.abort();
    this.#finish(null);
  }

  /** See `Socket.startTls`. */
  async startTls(options: TlsOptions & { isServer?: boolean }): Promise<Socket> {
    if (this.#closed) throw normalizeError(new Error("Cannot start TLS on a closed socket"));
    await this.#flushed();
    if (this.#error) throw this.#error;
    const detached = this.detach();
    try {
      return await upgradeSocket(detached, options);
    } catch (e) {
      // A failed handshake leaves nothing usable: release the connection.
      detached.raw.abort();
      throw normalizeError(e);
    }
  }

  /**
   * Stops using the connection and hands it over, with any bytes read but not
   * yet delivered. This socket is dead afterwards (no events, no close).
   */
  detach(): Detached {
    this.#closed = true;
    this.#paused = true;
    const prefix = this.#held;
    this.#held = [];
    this.#resolveClosed();
    const pending = this.#reading
      ? new Promise<Uint8Array | null>((resolve, reject) => this.#handoff = { resolve, reject })
      : null;
    return { raw: this.#raw, prefix, pending };
  }

  // ---- reading ----

  #startFast(handler: FastPathHandler): void {
    if (this.#sink !== null) throw new Error("The socket is already being read");
    this.#sink = {
      data: (c) => handler.onData(c),
      end: () => handler.onEnd(),
      error: (e) => handler.onError(e),
      close: () => handler.onClose(),
    };
    this.#drainHandler = () => handler.onDrain();
    this.#resume();
  }

  #drainHandler: (() => void) | null = null;

  #makeReadable(): ReadableStream<Uint8Array> {
    if (this.#sink !== null) throw new Error("The socket is already being read");
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let done = false;
    this.#paused = true;
    this.#sink = {
      data: (c) => {
        controller.enqueue(c);
        if ((controller.desiredSize ?? 0) <= 0) this.#paused = true;
      },
      end: () => {
        if (done) return;
        done = true;
        controller.close();
      },
      error: (e) => {
        // After EOF the readable is closed already: a later write failure
        // shows in `writable` and `closed` instead.
        if (done) return;
        done = true;
        controller.error(e);
      },
      close: () => {
        if (done) return;
        done = true;
        try {
          controller.close();
        } catch {
          // Already closed.
        }
      },
    };
    return new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
      },
      pull: () => {
        this.#resume();
      },
      cancel: () => {
        done = true;
        this.#paused = true;
        this.#readDone = true;
        this.#maybeFinish();
      },
    }, { highWaterMark: 1 });
  }

  #resume(): void {
    this.#paused = false;
    if (this.#looping || this.#closed || this.#sink === null) return;
    while (this.#held.length > 0 && !this.#paused && !this.#closed) {
      this.#deliverSafely(this.#held.shift()!);
    }
    if (!this.#paused && !this.#readDone && !this.#closed) this.#readLoop();
  }

  /**
   * Reads until paused, ended or closed, one read in flight at a time. Each
   * read's result comes through one reaction (no async function awaiting it):
   * this is the hot path.
   */
  #readLoop(): void {
    this.#looping = true;
    this.#readNext();
  }

  #readNext(): void {
    this.#reading = true;
    const raw = this.#raw;
    if (raw.readTo !== undefined) raw.readTo(this.#onRead, this.#onReadFailed);
    else raw.read().then(this.#onRead, this.#onReadFailed);
  }

  #onRead = (chunk: Uint8Array | null): void => {
    this.#reading = false;
    if (this.#closed) {
      // Detached: the result goes to the new owner.
      this.#looping = false;
      this.#handoff?.resolve(chunk);
      this.#handoff = null;
      return;
    }
    if (this.#paused) {
      this.#held.push(chunk);
      this.#looping = false;
      return;
    }
    this.#deliverSafely(chunk);
    if (!this.#paused && !this.#readDone && !this.#closed) this.#readNext();
    else this.#looping = false;
  };

  #onReadFailed = (e: unknown): void => {
    this.#reading = false;
    this.#looping = false;
    if (this.#closed) {
      this.#handoff?.reject(e);
      this.#handoff = null;
      return;
    }
    if (isClosedResource(e)) this.#finish(null);
    else this.#fail(normalizeError(e));
  };

  /** Delivers; a handler that throws drops this connection, with its error. */
  #deliverSafely(chunk: Uint8Array | null): void {
    try {
      this.#deliver(chunk);
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #deliver(chunk: Uint8Array | null): void {
    if (chunk === null) {
      this.#readDone = true;
      this.#sink!.end();
      this.#maybeFinish();
    } else {
      this.#sink!.data(chunk);
    }
  }

  // ---- writing ----

  #enqueue(data: Uint8Array): number {
    if (this.#closed || this.#writeClosing || data.byteLength === 0) return this.#queued;
    this.#queued += data.byteLength;
    if (this.#writing) this.#queue.push(data);
    else {
      // Straight through when idle (the queue is empty then): the write
      // starts before `write()` returns.
      this.#writing = true;
      this.#writeChunk(data);
    }
    return this.#queued;
  }

  /** Starts the next write, or reports the drain. One write in flight at a time. */
  #writeNext(): void {
    if (this.#closed) return;
    if (this.#queue.length === 0) {
      this.#writing = false;
      if (this.#flushWaiters.length > 0) {
        const waiters = this.#flushWaiters;
        this.#flushWaiters = [];
        for (const w of waiters) w();
      }
      if (!this.#closed) {
        try {
          this.#drainHandler?.();
        } catch (e) {
          this.#fail(e instanceof Error ? e : new Error(String(e)));
        }
      }
      return;
    }
    this.#writing = true;
    this.#writeChunk(this.#take());
  }

  // The chunk being written, and the write's callbacks, made once: no
  // closures per write.
  #chunk: Uint8Array | null = null;
  #written = (n: number): void => {
    if (this.#closed) return;
    this.#queued -= n;
    const chunk = this.#chunk!;
    if (n < chunk.byteLength) this.#writeChunk(chunk.subarray(n));
    else {
      this.#chunk = null;
      this.#writeNext();
    }
  };
  #writeFailed = (e: unknown): void => {
    this.#writing = false;
    this.#chunk = null;
    if (this.#closed) return;
    if (isClosedResource(e)) this.#finish(null);
    else this.#fail(normalizeError(e));
  };

  #writeChunk(chunk: Uint8Array): void {
    this.#chunk = chunk;
    this.#raw.write(chunk).then(this.#written, this.#writeFailed);
  }

  /** The next buffer to write: the head, joined with following small chunks. */
  #take(): Uint8Array {
    const first = this.#queue.shift()!;
    if (this.#queue.length === 0 || first.byteLength >= COALESCE_LIMIT) return first;
    let size = first.byteLength;
    let count = 0;
    while (
      count < this.#queue.length && size + this.#queue[count].byteLength <= COALESCE_LIMIT
    ) {
      size += this.#queue[count].byteLength;
      count++;
    }
    if (count === 0) return first;
    const joined = new Uint8Array(size);
    joined.set(first, 0);
    let at = first.byteLength;
    for (const c of this.#queue.splice(0, count)) {
      joined.set(c, at);
      at += c.byteLength;
    }
    return joined;
  }

  /** Resolves once everything queued is written (or the socket is gone). */
  #flushed(): Promise<void> {
    if (this.#closed || (!this.#writing && this.#queue.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push(resolve));
  }

  #makeWritable(): WritableStream<Uint8Array> {
    // `size` runs synchronously in `writer.write()`, so `#streamPending`
    // counts chunks the stream accepted but has not yet passed to `write`:
    // `closeWrite()` and `close()` wait for those too.
    const drained = (): void => {
      if (this.#streamPending > 0) return;
      const waiters = this.#streamWaiters;
      this.#streamWaiters = [];
      for (const w of waiters) w();
    };
    const settleAll = (): void => {
      this.#streamPending = 0;
      drained();
    };
    return new WritableStream<Uint8Array>({
      write: async (chunk) => {
        this.#streamPending--;
        if (this.#error) {
          drained();
          throw this.#error;
        }
        this.#enqueue(chunk);
        drained();
        await this.#flushed();
        if (this.#error) throw this.#error;
      },
      close: () => {
        settleAll();
        return this.#shutWrite();
      },
      abort: (reason) => {
        settleAll();
        this.abort(reason);
      },
    }, {
      highWaterMark: 1,
      size: (): number => {
        this.#streamPending++;
        return 1;
      },
    });
  }

  /** Resolves once `writable` has passed every accepted chunk on (or the socket closed). */
  #streamDrained(): Promise<void> {
    // Once the write side is closing, nothing more will pass (a write after
    // `writer.close()` is counted by `size` but rejected): do not wait.
    if (this.#streamPending <= 0 || this.#closed || this.#writeClosing) return Promise.resolve();
    return new Promise((resolve) => this.#streamWaiters.push(resolve));
  }

  // ---- lifecycle ----

  #maybeFinish(): void {
    if (!this.#closed && this.#readDone && this.#writeShut) this.#finish(null);
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#error = error;
    this.#queue = [];
    this.#queued = 0;
    this.#raw.abort();
    try {
      this.#sink?.error(error);
    } catch {
      // The handler's own failure while being told of one: nothing left to tell.
    }
    this.#finish(error);
  }

  #finish(error: Error | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#paused = true;
    this.#queue = [];
    this.#queued = 0;
    this.#raw.close();
    const waiters = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const w of waiters) w();
    for (const w of this.#streamWaiters.splice(0)) w();
    try {
      this.#sink?.close();
    } catch {
      // As in #fail: the socket is gone whatever the handler does.
    }
    if (error === null) this.#resolveClosed();
    else this.#rejectClosed(error);
  }
}
