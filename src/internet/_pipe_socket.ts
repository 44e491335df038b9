/**
 * `PipeSocket`: the core's `Socket` over a runtime `ByteStream` (standard
 * input, a terminal, a FIFO, a file) and a write function, so `StandardIO`
 * and `SerialPort` are `StreamTransport`s with their write buffer, producers,
 * half-close and `loseConnection` flush. The stream may still be opening:
 * writes wait for it, and a failed open is reported as the socket's error.
 *
 * @module
 */
import type {
  ByteStream,
  FastPathHandler,
  Socket,
  SocketAddress,
  SocketFastPath,
  TlsInfo,
} from "./socket.ts";
import { NotSupportedError } from "./error.ts";

/** Options for `PipeSocket`. */
export interface PipeSocketOptions {
  /** The stream to read, or its opening. */
  input: Promise<ByteStream>;
  /**
   * Writes one chunk; a returned promise holds the next write back. Omitted:
   * the stream's own `write` when it is writable, else writes are dropped.
   */
  output?: (data: Uint8Array) => void | Promise<void>;
  /** The name reported as both addresses. */
  path: string;
}

/** A `Socket` over a `ByteStream`. */
export class PipeSocket implements Socket {
  #stream: ByteStream | null = null;
  #output: ((data: Uint8Array) => void | Promise<void>) | undefined;
  #address: SocketAddress;
  #handler: FastPathHandler | null = null;
  #paused = false;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #flushWaiters: (() => void)[] = [];
  #closed = false;
  #resolveClosed!: () => void;
  #closedPromise: Promise<void>;
  #fast: SocketFastPath;
  #readable: ReadableStream<Uint8Array> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  /** Waits for `options.input`; nothing is read before the fast path starts. */
  constructor(options: PipeSocketOptions) {
    this.#output = options.output;
    this.#address = { transport: "unix", path: options.path };
    this.#closedPromise = new Promise((resolve) => this.#resolveClosed = resolve);
    options.input.then((stream) => this.#opened(stream), (e) => this.#fail(e));
    const queued = (): number => this.#queued;
    this.#fast = {
      start: (handler) => this.#start(handler),
      pauseReading: () => {
        this.#paused = true;
        this.#stream?.pauseReading();
      },
      resumeReading: () => {
        this.#paused = false;
        this.#stream?.resumeReading();
      },
      write: (data) => this.#enqueue(data),
      get bufferedAmount(): number {
        return queued();
      },
    };
  }

  #opened(stream: ByteStream): void {
    if (this.#closed) {
      stream.close();
      return;
    }
    this.#stream = stream;
    if (this.#output === undefined && stream.writable) {
      this.#output = (data) => stream.write(data);
    }
    if (this.#handler !== null) this.#startStream();
    this.#pump();
  }

  #start(handler: FastPathHandler): void {
    if (this.#handler !== null) throw new Error("The socket is already started");
    this.#handler = handler;
    if (this.#stream !== null) this.#startStream();
  }

  #startStream(): void {
    const handler = this.#handler!;
    const stream = this.#stream!;
    if (this.#paused) stream.pauseReading();
    stream.start({
      onData: (chunk) => {
        if (!this.#closed) handler.onData(chunk);
      },
      onEnd: () => {
        if (!this.#closed) handler.onEnd();
      },
      onError: (error) => this.#fail(error),
    });
  }

  /** The stream failed (or could not be opened): report it, then the close. */
  #fail(error: unknown): void {
    if (this.#closed) return;
    const handler = this.#handler;
    this.#shut();
    const err = error instanceof Error ? error : new Error(String(error));
    handler?.onError(err);
    handler?.onClose();
  }

  #shut(): void {
    this.#closed = true;
    this.#queue = [];
    this.#queued = 0;
    this.#stream?.close();
    for (const w of this.#flushWaiters.splice(0)) w();
    this.#resolveClosed();
  }

  #enqueue(data: Uint8Array): number {
    if (this.#closed || data.byteLength === 0) return this.#queued;
    if (this.#queued === 0 && this.#stream !== null && this.#output !== undefined) {
      // Straight through when the output takes it at once.
      let done: void | Promise<void>;
      try {
        done = this.#output(data);
      } catch (e) {
        this.#fail(e);
        return 0;
      }
      if (done === undefined) return 0;
      this.#queued = data.byteLength;
      this.#writing = true;
      done.then(() => this.#written(data.byteLength), (e) => this.#fail(e));
      return this.#queued;
    }
    this.#queue.push(data);
    this.#queued += data.byteLength;
    this.#pump();
    return this.#queued;
  }

  #pump(): void {
    if (this.#writing || this.#closed || this.#stream === null) return;
    const next = this.#queue.shift();
    if (next === undefined) return;
    const output = this.#output;
    if (output === undefined) {
      // Nothing to write to (a file or FIFO opened for reading): dropped.
      this.#queue = [];
      this.#written(this.#queued);
      return;
    }
    this.#writing = true;
    let done: void | Promise<void>;
    try {
      done = output(next);
    } catch (e) {
      this.#fail(e);
      return;
    }
    if (done === undefined) this.#written(next.byteLength);
    else done.then(() => this.#written(next.byteLength), (e) => this.#fail(e));
  }

  #written(n: number): void {
    if (this.#closed) return;
    this.#writing = false;
    this.#queued -= n;
    if (this.#queued === 0) {
      for (const w of this.#flushWaiters.splice(0)) w();
      this.#handler?.onDrain();
    } else {
      this.#pump();
    }
  }

  #flushed(): Promise<void> {
    if (this.#queued === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push(resolve));
  }

  /** See `Socket.readable`: the stream's bytes, read as the reader pulls. */
  get readable(): ReadableStream<Uint8Array> {
    this.#readable ??= new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#start({
          onData: (chunk) => {
            controller.enqueue(chunk);
            if ((controller.desiredSize ?? 1) <= 0) this.#fast.pauseReading();
          },
          onEnd: () => controller.close(),
          onError: (error) => controller.error(error),
          onDrain: () => {},
          onClose: () => {},
        });
      },
      pull: () => this.#fast.resumeReading(),
      cancel: () => this.abort(),
    }, { highWaterMark: 4 });
    return this.#readable;
  }

  /** See `Socket.writable`. */
  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => {
        this.#enqueue(chunk);
        return this.#flushed();
      },
      close: () => this.closeWrite(),
    });
    return this.#writable;
  }

  /** See `Socket.localAddress`. */
  get localAddress(): SocketAddress {
    return this.#address;
  }

  /** See `Socket.remoteAddress`. */
  get remoteAddress(): SocketAddress {
    return this.#address;
  }

  /** See `Socket.closed`. */
  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  /** See `Socket.closeWrite`: flushes; the output itself stays open. */
  closeWrite(): Promise<void> {
    return this.#flushed();
  }

  /** See `Socket.close`: flushes, then releases the stream. */
  async close(): Promise<void> {
    await this.#flushed();
    if (this.#closed) return;
    const handler = this.#handler;
    this.#shut();
    handler?.onClose();
  }

  /** See `Socket.abort`. */
  abort(_reason?: unknown): void {
    if (this.#closed) return;
    const handler = this.#handler;
    this.#shut();
    handler?.onClose();
  }

  /** No-op: not a TCP socket. */
  setNoDelay(_enabled: boolean): void {}

  /** No-op: not a TCP socket. */
  setKeepAlive(_enabled: boolean, _initialDelayMs?: number): void {}

  /** Rejects: TLS over a pipe or device is not offered. */
  startTls(): Promise<Socket> {
    return Promise.reject(new NotSupportedError("a pipe", "TLS"));
  }

  /** Always null. */
  get tls(): TlsInfo | null {
    return null;
  }

  /** See `Socket.fastPath`. */
  get fastPath(): SocketFastPath {
    return this.#fast;
  }

  /** The runtime's stream object, once open. */
  get native(): unknown {
    return this.#stream?.native ?? null;
  }
}
