/**
 * Flood protection for IRC clients: a token bucket in front of the
 * transport. Private: used by `IRCClient`.
 * @module
 */
import type { IDelayedCall, IReactorTime } from "../../internet/interfaces.ts";

/** How lines are paced. */
export interface PacingOptions {
  /** Lines sent at once before pacing starts. */
  lineBurst: number;
  /** Seconds between lines once the burst is spent; null: no pacing. */
  lineRate: number | null;
  /** Lines that may wait; beyond, `send` throws `RangeError`. */
  maxQueuedLines: number;
}

/**
 * A token bucket: `lineBurst` tokens, one more every `lineRate` seconds;
 * a line takes a token or waits in order.
 */
export class LinePacer {
  #clock: IReactorTime;
  #write: (line: string) => void;
  #options: PacingOptions;
  #tokens: number;
  #last: number;
  #queue: string[] = [];
  #head = 0;
  #timer: IDelayedCall | null = null;

  constructor(clock: IReactorTime, options: PacingOptions, write: (line: string) => void) {
    this.#clock = clock;
    this.#options = options;
    this.#write = write;
    this.#tokens = options.lineBurst;
    this.#last = clock.seconds();
  }

  /** Lines waiting. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  #refill(): void {
    const rate = this.#options.lineRate;
    const now = this.#clock.seconds();
    if (rate === null || rate <= 0) {
      this.#tokens = this.#options.lineBurst;
    } else {
      this.#tokens = Math.min(this.#options.lineBurst, this.#tokens + (now - this.#last) / rate);
    }
    this.#last = now;
  }

  /** Sends a line now if a token is free and none waits, else queues it. */
  send(line: string): void {
    if (this.#options.lineRate === null) {
      this.#write(line);
      return;
    }
    this.#refill();
    if (this.queued === 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#write(line);
      return;
    }
    if (this.queued >= this.#options.maxQueuedLines) {
      throw new RangeError(
        `Cannot queue the line: ${this.#options.maxQueuedLines} lines already wait`,
      );
    }
    this.#queue.push(line);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== null || this.queued === 0) return;
    const rate = this.#options.lineRate ?? 0;
    const wait = Math.max(0, (1 - this.#tokens) * rate);
    this.#timer = this.#clock.callLater(wait, () => {
      this.#timer = null;
      this.#drain();
    });
  }

  #drain(): void {
    this.#refill();
    while (this.queued > 0 && this.#tokens >= 1 - 1e-9) {
      this.#tokens -= 1;
      const line = this.#queue[this.#head++];
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#write(line);
    }
    this.#schedule();
  }

  /** Drops waiting lines and the timer (at connection loss). */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#queue = [];
    this.#head = 0;
  }
}
