/**
 * The receive buffer behind the basic receivers: bytes appended at the end,
 * consumed from the front by moving an offset, so many small chunks or one
 * huge chunk cost linear time. Private to src/protocols.
 *
 * @module
 */

const EMPTY = new Uint8Array(0);

/**
 * A growable byte queue. It never writes into an array it was given
 * (`append` adopts the caller's chunk when empty and copies on growth), and
 * everything it hands out with `copy` is a fresh array the caller owns.
 */
export class ByteBuffer {
  #store: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  /** True while `#store` is a caller's chunk we must not write into. */
  #adopted = false;

  /** Bytes buffered. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** Appends `data`; the buffer keeps it (unmodified) or copies it. */
  append(data: Uint8Array): void {
    const n = data.byteLength;
    if (n === 0) return;
    if (this.#end === this.#start) {
      // Empty: adopt the chunk as it is, the common case of whole messages per read.
      this.#store = data;
      this.#start = 0;
      this.#end = n;
      this.#adopted = true;
      return;
    }
    const live = this.#end - this.#start;
    if (this.#adopted || this.#end + n > this.#store.byteLength) {
      const grown = new Uint8Array(Math.max(256, (live + n) * 2));
      grown.set(this.#store.subarray(this.#start, this.#end));
      this.#store = grown;
      this.#start = 0;
      this.#end = live;
      this.#adopted = false;
    }
    this.#store.set(data, this.#end);
    this.#end += n;
  }

  /** The byte at `i` (relative to the front). */
  at(i: number): number {
    return this.#store[this.#start + i];
  }

  /** A view of bytes `[from, to)`: valid only until the next `append` or `consume`. */
  view(from = 0, to: number = this.length): Uint8Array {
    return this.#store.subarray(this.#start + from, this.#start + to);
  }

  /** A copy of bytes `[from, to)` that the caller owns. */
  copy(from = 0, to: number = this.length): Uint8Array {
    return this.#store.slice(this.#start + from, this.#start + to);
  }

  /**
   * The position of `pattern` at or after `from`, or -1.
   * @param pattern a non-empty byte string
   * @param from where to start looking
   */
  indexOf(pattern: Uint8Array, from = 0): number {
    const hay = this.#store.subarray(this.#start, this.#end);
    const m = pattern.byteLength;
    const first = pattern[0];
    let i = from;
    for (;;) {
      const j = hay.indexOf(first, i);
      if (j < 0 || j + m > hay.byteLength) return -1;
      let k = 1;
      while (k < m && hay[j + k] === pattern[k]) k++;
      if (k === m) return j;
      i = j + 1;
    }
  }

  /** Drops `n` bytes from the front. */
  consume(n: number): void {
    this.#start += n;
    if (this.#start >= this.#end) this.clear();
  }

  /** Removes and returns everything buffered (the caller owns it). */
  take(): Uint8Array {
    // A whole adopted chunk is handed on as it is: the receiver owns it already.
    const whole = this.#adopted && this.#start === 0 && this.#end === this.#store.byteLength;
    const all = whole ? this.#store : this.copy();
    this.clear();
    return all;
  }

  /** Forgets everything (and releases the storage). */
  clear(): void {
    this.#store = EMPTY;
    this.#start = 0;
    this.#end = 0;
    this.#adopted = false;
  }
}

/** True when the transport says it is paused (`StringTransport`, iosim's `FakeTransport`). */
export function transportPaused(transport: unknown): boolean {
  return (transport as { paused?: unknown } | undefined)?.paused === true;
}

/** True when the transport is closing: receivers stop delivering then, as Twisted's. */
export function transportDisconnecting(transport: unknown): boolean {
  return (transport as { disconnecting?: unknown } | undefined)?.disconnecting === true;
}

const encoder = new TextEncoder();

/** `data` as bytes: strings are encoded as UTF-8. */
export function toBytes(data: Uint8Array | string): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`Expected a Uint8Array or a string, not ${typeof data}`);
  }
  return data;
}
