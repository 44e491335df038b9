/**
 * The server's output: responses gathered into 64 KiB writes, and flow
 * control. Registered as the transport's streaming producer, it is paused while
 * the client does not read; meanwhile the session takes no new command and a
 * FETCH waits between messages, so a client that stops reading holds its
 * commands, not the server's memory. Private to the imap4 folder.
 * @module
 */
import type { IPushProducer, ITransport } from "../../internet/interfaces.ts";
import { concat, latin1Bytes } from "./_wire.ts";

const WRITE_CHUNK = 1 << 16;

/** Gathers and writes one session's responses. */
export class ResponseWriter implements IPushProducer {
  /** True while the transport holds more than it wants. */
  paused = false;
  #transport: ITransport;
  #onResume: () => void;
  #pending: Uint8Array[] = [];
  #pendingSize = 0;
  #waiters: (() => void)[] = [];
  #closed = false;

  /**
   * Makes the instance and registers it with the transport (when it takes producers).
   * @param transport where the responses go
   * @param onResume called when the client reads again
   */
  constructor(transport: ITransport, onResume: () => void) {
    this.#transport = transport;
    this.#onResume = onResume;
    if (typeof transport.registerProducer === "function") {
      try {
        transport.registerProducer(this, true);
      } catch {
        // another producer is registered: no output flow control
      }
    }
  }

  /** Queues text (as octets) or bytes; writes once 64 KiB are queued. */
  write(piece: string | Uint8Array): void {
    const bytes = typeof piece === "string" ? latin1Bytes(piece) : piece;
    this.#pending.push(bytes);
    this.#pendingSize += bytes.byteLength;
    if (this.#pendingSize >= WRITE_CHUNK) this.flush();
  }

  /** Queues one line and its CRLF. */
  line(text: string): void {
    this.write(text + "\r\n");
  }

  /** Queues an untagged response: `* `, the pieces, CRLF. */
  untagged(pieces: string | (string | Uint8Array)[]): void {
    if (typeof pieces === "string") return this.line("* " + pieces);
    this.write("* ");
    for (const p of pieces) this.write(p);
    this.write("\r\n");
  }

  /** Writes what is queued. */
  flush(): void {
    if (this.#pending.length === 0 || this.#closed) {
      this.#pending = [];
      this.#pendingSize = 0;
      return;
    }
    const all = concat(this.#pending);
    this.#pending = [];
    this.#pendingSize = 0;
    this.#transport.write(all);
  }

  /** A promise of the client reading again while paused (after writing what is queued), else null. */
  writable(): Promise<void> | null {
    if (!this.paused || this.#closed) return null;
    this.flush();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The connection is gone: nothing more is written, nothing waits. */
  close(): void {
    this.#closed = true;
    this.resumeProducing();
  }

  /** See `IPushProducer.pauseProducing`. */
  pauseProducing(): void {
    this.paused = true;
  }

  /** See `IPushProducer.resumeProducing`. */
  resumeProducing(): void {
    this.paused = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
    if (!this.#closed) this.#onResume();
  }

  /** See `IProducer.stopProducing`. */
  stopProducing(): void {
    this.close();
  }
}
