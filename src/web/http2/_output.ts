/**
 * The write side of an HTTP/2 connection: frames queue here and leave in one
 * transport write per turn (the end of the bytes being read, or a microtask
 * for output made later), so the HEADERS and DATA of every stream answered
 * while a read is handled go out together. Streams with body bytes waiting
 * for a flow-control window are kept until a WINDOW_UPDATE.
 *
 * @module
 */
import type { ITransport } from "../../internet/interfaces.ts";
import { concatBytes } from "./_frames.ts";
import type { H2Stream } from "./_stream.ts";

// Coalesce output up to this size into one write.
const COALESCE = 65536;

/** What the output asks of its connection. */
export interface FrameOutputOwner {
  /** The connection's transport. */
  readonly transport: ITransport;
  /**
   * Writes `stream`'s frames to `out`: true while its body waits for a
   * window; null when the stream is gone.
   */
  emitStream(stream: H2Stream, out: Uint8Array[]): boolean | null;
  /** A deferred flush failed. */
  flushFailed(e: unknown): void;
}

/** Frames and streams waiting to be written, flushed once per turn. */
export class FrameOutput {
  /** True while frames are read: writing waits for the end of the turn. */
  inTurn = false;
  /** True once the connection closed: nothing more is written. */
  closed = false;
  /** Streams waiting for a flow-control window. */
  readonly blocked: Set<H2Stream> = new Set();
  /** Runs once after the flush in progress (the connection closing when idle). */
  afterFlush: (() => void) | null = null;
  #owner: FrameOutputOwner;
  #out: Uint8Array[] = [];
  #dirty: H2Stream[] = [];
  #flushing = false;
  #scheduled = false;

  /**
   * Makes it.
   * @param owner the connection
   */
  constructor(owner: FrameOutputOwner) {
    this.#owner = owner;
  }

  /** True while a flush is running. */
  get flushing(): boolean {
    return this.#flushing;
  }

  /** Queues a frame, written at the end of the turn. */
  queue(frame: Uint8Array): void {
    this.#out.push(frame);
    this.#soon();
  }

  /** The stream has frames to write. */
  schedule(stream: H2Stream): void {
    this.#dirty.push(stream);
    this.#soon();
  }

  /** The connection's window opened: every blocked stream writes again. */
  unblockAll(): void {
    for (const stream of this.blocked) this.schedule(stream);
    this.blocked.clear();
  }

  #soon(): void {
    if (this.inTurn || this.#scheduled || this.closed) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      try {
        this.flush();
      } catch (e) {
        this.#owner.flushFailed(e);
      }
    });
  }

  /** Writes everything queued now: the streams' frames, then one transport write. */
  flush(): void {
    if (this.closed || this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#dirty.length > 0) {
        const dirty = this.#dirty;
        this.#dirty = [];
        for (const stream of dirty) {
          if (this.#owner.emitStream(stream, this.#out) === true) this.blocked.add(stream);
        }
      }
      this.writeOut();
    } finally {
      this.#flushing = false;
    }
    const after = this.afterFlush;
    this.afterFlush = null;
    after?.();
  }

  /** Writes the queued frames alone (a last GOAWAY). */
  writeOut(): void {
    const out = this.#out;
    if (out.length === 0) return;
    this.#out = [];
    const transport = this.#owner.transport;
    if (out.length === 1) {
      transport.write(out[0]);
      return;
    }
    let total = 0;
    for (const frame of out) total += frame.length;
    if (total <= COALESCE) transport.write(concatBytes(out, total));
    else transport.writeSequence(out);
  }
}
