/**
 * HTTP/2 flow control (RFC 9113 §5.2, §6.9): the send window (what the peer
 * lets us send), the receive window (what we let the peer send, reopened as
 * the application takes the bytes), and the token bucket that limits how
 * fast a peer may reset streams (Rapid Reset, CVE-2023-44487).
 *
 * @module
 */
import { ErrorCode, H2Error } from "./_frames.ts";
import { MAX_WINDOW } from "./_settings.ts";

/** What the peer allows us to send on a stream or the connection. */
export class SendWindow {
  /** Bytes we may send now (may go negative after a SETTINGS change). */
  size: number;

  /**
   * Makes it.
   * @param size the initial window
   */
  constructor(size: number) {
    this.size = size;
  }

  /**
   * A WINDOW_UPDATE (or a SETTINGS change of `delta`).
   * @throws {H2Error} FLOW_CONTROL_ERROR past 2^31-1 (on `streamId`, 0: connection)
   */
  increase(delta: number, streamId: number): void {
    const next = this.size + delta;
    if (next > MAX_WINDOW) {
      throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, "Window above 2^31-1", streamId);
    }
    this.size = next;
  }
}

/**
 * What we allow the peer to send: received bytes shrink it; bytes the
 * application took are given back with a WINDOW_UPDATE once they reach
 * half the window (fewer, larger updates).
 */
export class ReceiveWindow {
  /** The window we advertised. */
  readonly target: number;
  /** Bytes the peer may still send. */
  size: number;
  #taken = 0;

  /**
   * Makes it.
   * @param target the window size
   */
  constructor(target: number) {
    this.target = target;
    this.size = target;
  }

  /**
   * The peer sent `n` bytes (a DATA frame's whole payload).
   * @throws {H2Error} FLOW_CONTROL_ERROR when it sent more than allowed
   */
  received(n: number, streamId: number): void {
    if (n > this.size) {
      throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, "Peer sent past its window", streamId);
    }
    this.size -= n;
  }

  /** The application took `n` bytes: the increment to send now, or 0. */
  consumed(n: number): number {
    this.#taken += n;
    if (this.#taken < this.target / 2 && this.size > 0) return 0;
    const increment = this.#taken;
    this.#taken = 0;
    this.size += increment;
    return increment;
  }
}

/**
 * A token bucket: `burst` tokens, refilled at `rate` per second; `take()`
 * is false once empty.
 */
export class TokenBucket {
  #tokens: number;
  #burst: number;
  #rate: number;
  #last: number;

  /**
   * Makes it.
   * @param burst the bucket's size
   * @param rate tokens added per second
   * @param now the current time in seconds
   */
  constructor(burst: number, rate: number, now: number) {
    this.#tokens = burst;
    this.#burst = burst;
    this.#rate = rate;
    this.#last = now;
  }

  /** Takes one token at time `now` (seconds): false when none is left. */
  take(now: number): boolean {
    const elapsed = now - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#rate);
      this.#last = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
