/**
 * Reassembly of received WebSocket messages (RFC 6455 5.4, RFC 7692 6.2):
 * data frames in, whole messages out. Checks the fragmentation rules and
 * UTF-8 as the text arrives, counts the bytes held against the message limit,
 * and inflates compressed messages frame by frame, bounded by what is left of
 * the limit, while the protocol holds further frames back.
 *
 * @module
 */
import {
  CLOSE_INVALID_PAYLOAD,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_PROTOCOL_ERROR,
  type Frame,
  OP_CONTINUATION,
  OP_TEXT,
} from "./_websocket_frame.ts";
import type { PerMessageDeflate } from "./_websocket_deflate.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Where the assembler sends its results. */
export interface MessageSink {
  /** A whole message. */
  message(payload: Uint8Array, isBinary: boolean): void;
  /** The connection must fail with `code`. */
  fail(code: number, reason: string): void;
  /** An inflate finished with a result taken: the protocol may read frames again. */
  inflated(): void;
}

/** Reassembles the data frames of one connection into messages. */
export class MessageAssembler {
  /** The connection's permessage-deflate codec, once negotiated. */
  deflate: PerMessageDeflate | null = null;
  #sink: MessageSink;
  #maxSize: () => number;
  #opcode = -1;
  #parts: Uint8Array[] = [];
  #size = 0;
  #utf8: TextDecoder | null = null;
  #compressed = false;
  #busy = false;
  #stopped = false;

  /**
   * @param sink receives messages and failures
   * @param maxSize the largest message, asked at each frame
   */
  constructor(sink: MessageSink, maxSize: () => number) {
    this.#sink = sink;
    this.#maxSize = maxSize;
  }

  /** Bytes of the unfinished message held (inflated bytes for a compressed one). */
  get size(): number {
    return this.#size;
  }

  /** True while a frame is being inflated: the next frames must wait. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Takes one data frame (never while `busy`). */
  frame(frame: Frame): void {
    const { opcode, payload } = frame;
    if (opcode === OP_CONTINUATION) {
      if (this.#opcode < 0) {
        this.#sink.fail(CLOSE_PROTOCOL_ERROR, "Continuation frame without a message in progress");
        return;
      }
    } else {
      if (this.#opcode >= 0) {
        this.#sink.fail(CLOSE_PROTOCOL_ERROR, "New data frame before the previous message ended");
        return;
      }
      this.#opcode = opcode;
      this.#compressed = frame.rsv1 === true && this.deflate !== null;
      if ((!frame.fin || this.#compressed) && opcode === OP_TEXT) {
        this.#utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      }
    }
    if (this.#compressed) this.#inflate(payload, frame.fin);
    else this.#take(payload, frame.fin);
  }

  /** Drops what is held; results of an inflate in flight are ignored. */
  stop(): void {
    this.#stopped = true;
    this.#parts = [];
    this.#size = 0;
    this.deflate?.close();
  }

  #inflate(payload: Uint8Array, fin: boolean): void {
    const max = this.#maxSize();
    this.#busy = true;
    this.deflate!.decompress(payload, fin, max - this.#size).then(
      (out) => {
        this.#busy = false;
        if (this.#stopped) return;
        if (out === null) {
          this.#sink.fail(CLOSE_MESSAGE_TOO_BIG, `Message inflates past the limit of ${max} bytes`);
          return;
        }
        this.#take(out, fin);
        this.#sink.inflated();
      },
      (e) => {
        this.#busy = false;
        if (this.#stopped) return;
        this.#sink.fail(CLOSE_INVALID_PAYLOAD, `Cannot inflate a compressed message: ${String(e)}`);
      },
    );
  }

  /** Takes a message's (inflated) bytes: UTF-8 check, reassembly, delivery on the last one. */
  #take(payload: Uint8Array, fin: boolean): void {
    const text = this.#opcode === OP_TEXT;
    try {
      if (this.#utf8 !== null) {
        this.#utf8.decode(payload, { stream: !fin });
      } else if (text) strictUtf8.decode(payload);
    } catch {
      this.#sink.fail(CLOSE_INVALID_PAYLOAD, "Text message is not valid UTF-8");
      return;
    }
    if (!fin) {
      this.#parts.push(payload);
      this.#size += payload.length;
      return;
    }
    let message = payload;
    if (this.#parts.length > 0) {
      message = new Uint8Array(this.#size + payload.length);
      let at = 0;
      for (const part of this.#parts) {
        message.set(part, at);
        at += part.length;
      }
      message.set(payload, at);
    }
    this.#opcode = -1;
    this.#compressed = false;
    this.#parts = [];
    this.#size = 0;
    this.#utf8 = null;
    this.#sink.message(message, !text);
  }
}
