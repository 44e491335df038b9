/**
 * Flow control on the sending side of a WebSocket connection. The protocol is
 * the consumer an application registers its producer with; this relay stands
 * between that producer and the transport. While the transport's write buffer
 * is above its high-water mark, a proxy producer sits on the transport,
 * pauses the application's producer, and resumes it and reports the drain
 * once the buffer is through. The relay also keeps the queue of sends that
 * wait behind the asynchronous permessage-deflate compressor, so frames leave
 * in order and the bytes waiting there count against the same mark.
 *
 * It is apart from the protocol, which owns one per connection, so that the
 * protocol reads as framing and the closing handshake.
 *
 * @module
 */
import type { IPullProducer, IPushProducer, ITransport } from "../internet/interfaces.ts";
import { Logger } from "../logger/mod.ts";
import { CLOSE_INTERNAL_ERROR } from "./_websocket_frame.ts";

const log = new Logger("tw.web.websocket");

/** Runs an application callback; an error in it is logged, not thrown. */
export function callSafely(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    log.failure(`Error in WebSocket ${what}`, e);
  }
}

/** What the relay needs from its protocol. */
export interface SendFlowHost {
  /** The connection's transport (set once connected). */
  transport(): ITransport;
  /** True once the connection is lost. */
  lost(): boolean;
  /** Bytes buffered: the transport's plus the queue's (the protocol's `bufferedAmount`). */
  bufferedAmount(): number;
  /** The write high-water mark (the protocol's `highWaterMark`). */
  highWaterMark(): number;
  /** The buffer drained after a send returned false: tell the application. */
  drain(): void;
  /** Fails the connection (a compression failed). */
  fail(code: number, reason: string): void;
  /** The queue emptied after `closeWhenSent`: close the TCP connection now. */
  close(): void;
}

/** The producer relay and the send queue of one WebSocket connection. */
export class SendFlow {
  #host: SendFlowHost;
  // The queue of sends waiting for the compressor.
  #pending = 0;
  #pendingBytes = 0;
  #tail: Promise<void> = Promise.resolve();
  #broken = false;
  #drainOwed = false;
  #closeWhenSent = false;
  // The application's producer; our proxy sits on the transport while we need drain events.
  #proxyRegistered = false;
  #writePaused = false;
  #producer: IPushProducer | null = null;
  #pullProducer: IPullProducer | null = null;
  #proxy: IPushProducer = {
    pauseProducing: (): void => {
      this.#writePaused = true;
      callSafely("pauseProducing", () => this.#producer?.pauseProducing());
    },
    resumeProducing: (): void => {
      this.#writePaused = false;
      if (this.#producer === null && this.#proxyRegistered) {
        this.#proxyRegistered = false;
        this.#host.transport().unregisterProducer();
      }
      callSafely("resumeProducing", () => this.#producer?.resumeProducing());
      callSafely("onDrain", () => this.#host.drain());
    },
    stopProducing: (): void => {
      // The transport is going away: stop the user's producer, once.
      const producer = this.#producer;
      this.#producer = null;
      this.#proxyRegistered = false;
      if (producer !== null) callSafely("stopProducing", () => producer.stopProducing());
    },
  };

  /** @param host the protocol's side of the relay */
  constructor(host: SendFlowHost) {
    this.#host = host;
  }

  /** True while sends wait in the queue: a later send must queue too. */
  get queued(): boolean {
    return this.#pending > 0;
  }

  /** Bytes of the messages waiting in the queue. */
  get queuedBytes(): number {
    return this.#pendingBytes;
  }

  /** Runs `job` after the sends queued before it (compression is asynchronous). */
  enqueue(bytes: number, job: () => void | Promise<void>): void {
    this.#pending++;
    this.#pendingBytes += bytes;
    this.#tail = this.#tail.then(async () => {
      try {
        if (!this.#host.lost() && !this.#broken) await job();
      } catch (e) {
        if (!this.#host.lost() && !this.#broken) {
          log.failure("Cannot compress a WebSocket message; closing with 1011", e);
          this.#broken = true;
          this.#pending = 0;
          this.#pendingBytes = 0;
          this.#host.fail(CLOSE_INTERNAL_ERROR, "Compression failed");
        }
      } finally {
        this.#pendingBytes = Math.max(0, this.#pendingBytes - bytes);
        if (this.#pending > 0 && --this.#pending === 0) this.#queueEmpty();
      }
    });
  }

  /**
   * Checks the buffers after a message was sent or queued: false (with the
   * producer paused, or a drain event awaited) when they are above the mark.
   */
  afterSend(): boolean {
    if (this.#pendingBytes > this.#host.highWaterMark()) {
      // Too much waits for the compressor: hold the producer until it is through.
      if (!this.#drainOwed) callSafely("pauseProducing", () => this.#producer?.pauseProducing());
      this.#drainOwed = true;
      return false;
    }
    return this.#checkBuffer();
  }

  /** Runs `job` now, or after the queued sends when some wait. */
  afterQueue(job: () => void): void {
    if (this.#pending > 0) this.enqueue(0, job);
    else job();
  }

  /**
   * Has the host close the TCP connection once the queue is written; false
   * (and nothing asked) when nothing waits in it.
   */
  closeWhenSent(): boolean {
    if (this.#pending === 0) return false;
    this.#closeWhenSent = true;
    return true;
  }

  /**
   * Registers the application's producer (the protocol's `registerProducer`).
   * @throws {Error} when a producer is already registered
   */
  register(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.#producer !== null || this.#pullProducer !== null) {
      throw new Error("Cannot register a producer: another producer is still registered");
    }
    if (this.#host.lost()) {
      producer.stopProducing();
      return;
    }
    if (!streaming) {
      if (this.#proxyRegistered) {
        this.#proxyRegistered = false;
        this.#host.transport().unregisterProducer();
      }
      this.#pullProducer = producer;
      this.#host.transport().registerProducer(producer, false);
      return;
    }
    this.#producer = producer as IPushProducer;
    if (!this.#proxyRegistered) this.#registerProxy();
    if (this.#writePaused) this.#producer.pauseProducing();
  }

  /** Unregisters the application's producer. */
  unregister(): void {
    if (this.#pullProducer !== null) {
      this.#pullProducer = null;
      if (!this.#host.lost()) this.#host.transport().unregisterProducer();
      return;
    }
    if (this.#producer === null) return;
    this.#producer = null;
    if (this.#proxyRegistered && !this.#writePaused && !this.#host.lost()) {
      this.#proxyRegistered = false;
      this.#host.transport().unregisterProducer();
    }
  }

  /** The connection is closing: takes everything off the transport and stops the producer. */
  release(): void {
    const lost = this.#host.lost();
    if (this.#proxyRegistered && !lost) {
      this.#proxyRegistered = false;
      this.#host.transport().unregisterProducer();
    }
    if (this.#pullProducer !== null && !lost) this.#host.transport().unregisterProducer();
    const user = this.#producer ?? this.#pullProducer;
    this.#producer = null;
    this.#pullProducer = null;
    if (user !== null) callSafely("stopProducing", () => user.stopProducing());
  }

  /** The connection is lost: stops the producer (the transport dropped ours already). */
  connectionLost(): void {
    this.#proxyRegistered = false;
    this.release();
  }

  #queueEmpty(): void {
    if (this.#host.lost()) return;
    if (this.#closeWhenSent) {
      this.#closeWhenSent = false;
      this.#host.close();
      return;
    }
    if (this.#drainOwed && !this.#writePaused) {
      this.#drainOwed = false;
      if (this.#checkBuffer()) {
        callSafely("resumeProducing", () => this.#producer?.resumeProducing());
        callSafely("onDrain", () => this.#host.drain());
      }
    }
  }

  #registerProxy(): void {
    try {
      this.#host.transport().registerProducer(this.#proxy, true);
      this.#proxyRegistered = true;
    } catch (e) {
      // Someone registered on the transport directly: no drain events then.
      log.debug("Cannot watch the write buffer: {error}", { error: String(e) });
    }
  }

  #checkBuffer(): boolean {
    if (this.#host.bufferedAmount() <= this.#host.highWaterMark()) return true;
    if (!this.#proxyRegistered && this.#pullProducer === null && !this.#host.lost()) {
      this.#registerProxy();
    }
    return false;
  }
}
