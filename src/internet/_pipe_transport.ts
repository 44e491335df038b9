/**
 * `PipeTransport`: the transport of `StandardIO` and `SerialPort`, a
 * `StreamTransport` over a `PipeSocket` behind a narrow surface of its own
 * (Twisted's `ITransport`, `IConsumer`, `IPushProducer` and
 * `loseWriteConnection`), so those public modules stand alone.
 *
 * @module
 */
import type { ByteStream } from "./socket.ts";
import type { IProtocol, IPullProducer, IPushProducer } from "./interfaces.ts";
import type { Failure } from "./failure.ts";
import { StreamTransport } from "./_stream_transport.ts";
import { PipeSocket } from "./_pipe_socket.ts";
import { Logger } from "../logger/_publisher.ts";

/**
 * The address of a pipe's or a device's ends, as Twisted's `PipeAddress`.
 *
 * @example
 * ```ts
 * import { PipeAddress } from "@tw/core/stdio";
 * console.log(String(new PipeAddress())); // "PipeAddress()"
 * ```
 */
export class PipeAddress {
  /** Returns `PipeAddress()`. */
  toString(): string {
    return "PipeAddress()";
  }
}

/**
 * What a `PipeTransport` drives: any `Protocol` (`IProtocol`), optionally
 * half-closeable (`IHalfCloseableProtocol`).
 */
export interface PipeProtocol {
  /** Connects the protocol to its transport, then calls `connectionMade`. */
  makeConnection(transport: PipeTransport): void;
  /** Bytes read. */
  dataReceived(data: Uint8Array): void;
  /** The end: a `Failure` of `ConnectionDone` when clean, `ConnectionLost` otherwise. */
  connectionLost(reason: unknown): void;
  /** The input ended; the protocol may still write (a half-closeable protocol). */
  readConnectionLost?(): void;
  /** The output was shut down by `loseWriteConnection`. */
  writeConnectionLost?(): void;
}

/** A producer registered with `registerProducer` (`IPushProducer` or `IPullProducer`). */
export interface PipeProducer {
  /** Asked for more (pull) or to go on (push). */
  resumeProducing(): void;
  /** Asked to stop for good. */
  stopProducing(): void;
  /** Asked to pause (push producers). */
  pauseProducing?(): void;
}

/** Options for `PipeTransport`. */
export interface PipeTransportOptions {
  /** The stream to read (and, when it is writable, to write), or its opening. */
  input: Promise<ByteStream>;
  /** Writes one chunk of output; omitted, the stream's own `write` (or nothing). */
  output?: (data: Uint8Array) => void | Promise<void>;
  /** The name of the pipe, for the leak check. */
  name: string;
  /** The input is known to be a terminal before it opens. @default false */
  isTTY?: boolean;
  /** The namespace protocol errors are logged under. @default "tw.internet.pipe" */
  logNamespace?: string;
}

/** A protocol as the inner `StreamTransport` sees it, forwarding to the real one. */
class Forward implements IProtocol {
  readonly outer: PipeTransport;
  readonly inner: PipeProtocol;
  constructor(outer: PipeTransport, inner: PipeProtocol) {
    this.outer = outer;
    this.inner = inner;
    // The transport logs a protocol's errors under its class name: the real one's.
    Object.defineProperty(this, "constructor", { value: inner.constructor });
    if (typeof inner.readConnectionLost === "function") {
      (this as { readConnectionLost?: () => void }).readConnectionLost = () =>
        inner.readConnectionLost!();
    }
    if (typeof inner.writeConnectionLost === "function") {
      (this as { writeConnectionLost?: () => void }).writeConnectionLost = () =>
        inner.writeConnectionLost!();
    }
  }
  makeConnection(): void {
    this.inner.makeConnection(this.outer);
  }
  connectionMade(): void {}
  dataReceived(data: Uint8Array): void {
    this.inner.dataReceived(data);
  }
  connectionLost(reason: Failure): void {
    this.inner.connectionLost(reason);
  }
}

/**
 * A transport over a runtime `ByteStream` and an output: `write` (with the
 * 64 KiB high-water mark and producers), `loseConnection` (flushes first),
 * `loseWriteConnection`, `abortConnection`, and read flow control with
 * `pauseProducing` / `resumeProducing`. `StandardIO` and `SerialPort` are
 * made of it.
 *
 * @example
 * ```ts
 * import { type PipeTransport, StandardIO } from "@tw/core/stdio";
 *
 * function close(transport: PipeTransport): void {
 *   transport.loseConnection(); // pending writes go out first
 * }
 * console.log(typeof StandardIO); // "function"
 * ```
 */
export class PipeTransport {
  #inner: StreamTransport;
  #isTTY: boolean;

  /**
   * Connects `protocol` to the stream at once (`makeConnection`).
   * @param protocol the protocol to drive
   * @param options the stream, the output and names
   */
  constructor(protocol: PipeProtocol, options: PipeTransportOptions) {
    const socket = new PipeSocket({
      input: options.input,
      output: options.output,
      path: options.name,
    });
    this.#isTTY = options.isTTY ?? false;
    options.input.then((stream) => this.#isTTY = stream.isTTY, () => {});
    this.#inner = new StreamTransport(socket, {
      logger: new Logger(options.logNamespace ?? "tw.internet.pipe"),
    });
    this.#inner.attach(new Forward(this, protocol));
  }

  /** The input is a terminal (known once it is open). */
  get isTTY(): boolean {
    return this.#isTTY;
  }

  /** Buffered bytes above which a streaming producer is paused. @default 65536 */
  get bufferSize(): number {
    return this.#inner.bufferSize;
  }

  set bufferSize(size: number) {
    this.#inner.bufferSize = size;
  }

  /** Bytes written and not yet taken by the output. */
  get bufferedAmount(): number {
    return this.#inner.bufferedAmount;
  }

  /** True once `loseConnection` or `abortConnection` has been called. */
  get disconnecting(): boolean {
    return this.#inner.disconnecting;
  }

  /** True once the connection is gone (`connectionLost` decided). */
  get disconnected(): boolean {
    return this.#inner.disconnected;
  }

  /** Writes bytes (dropped once the transport is closed). */
  write(data: Uint8Array): void {
    this.#inner.write(data);
  }

  /** Writes each chunk in order. */
  writeSequence(data: Iterable<Uint8Array>): void {
    this.#inner.writeSequence(data);
  }

  /** Stops reading, flushes the output, then ends with `ConnectionDone`. */
  loseConnection(): void {
    this.#inner.loseConnection();
  }

  /** Flushes the output and stops writing; reading goes on (`writeConnectionLost` follows). */
  loseWriteConnection(): void {
    this.#inner.loseWriteConnection();
  }

  /** Ends at once, discarding unwritten output. */
  abortConnection(): void {
    this.#inner.abortConnection();
  }

  /** `PipeAddress()`, as Twisted's. */
  getPeer(): PipeAddress {
    return new PipeAddress();
  }

  /** `PipeAddress()`, as Twisted's. */
  getHost(): PipeAddress {
    return new PipeAddress();
  }

  /** Registers a producer (`IConsumer.registerProducer`). */
  registerProducer(producer: PipeProducer, streaming: boolean): void {
    this.#inner.registerProducer(producer as IPushProducer | IPullProducer, streaming);
  }

  /** Unregisters the current producer. */
  unregisterProducer(): void {
    this.#inner.unregisterProducer();
  }

  /** Stops reading the input until `resumeProducing`. */
  pauseProducing(): void {
    this.#inner.pauseProducing();
  }

  /** Resumes reading the input. */
  resumeProducing(): void {
    this.#inner.resumeProducing();
  }

  /** Same as `loseConnection`, as Twisted's. */
  stopProducing(): void {
    this.#inner.loseConnection();
  }
}
