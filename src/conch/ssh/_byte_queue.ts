/**
 * A queue of received chunks that hands out exact byte counts, copying only
 * when a request spans chunks.
 * @module
 */

/** Received bytes waiting to be framed into packets. */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #head = 0;
  #length = 0;

  /** Bytes queued. */
  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Puts `chunk` back in front (bytes taken and not used after all). */
  unshift(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#head > 0) {
      this.#chunks[0] = this.#chunks[0].subarray(this.#head);
      this.#head = 0;
    }
    this.#chunks.unshift(chunk);
    this.#length += chunk.length;
  }

  /** The first `count` bytes, left in the queue. */
  peek(count: number): Uint8Array {
    return this.#read(count, false);
  }

  /** Removes and returns the first `count` bytes. */
  take(count: number): Uint8Array {
    return this.#read(count, true);
  }

  /** The offset of the first `byte`, or -1. */
  indexOf(byte: number): number {
    let base = 0;
    for (let i = 0; i < this.#chunks.length; i++) {
      const chunk = i === 0 ? this.#chunks[0].subarray(this.#head) : this.#chunks[i];
      const at = chunk.indexOf(byte);
      if (at >= 0) return base + at;
      base += chunk.length;
    }
    return -1;
  }

  #read(count: number, consume: boolean): Uint8Array {
    if (count > this.#length) throw new RangeError("ByteQueue has too few bytes");
    const first = this.#chunks[0];
    if (count === 0) return new Uint8Array(0);
    if (first.length - this.#head >= count) {
      const view = first.subarray(this.#head, this.#head + count);
      if (consume) this.#consume(count);
      return view;
    }
    const out = new Uint8Array(count);
    let filled = 0;
    let index = 0;
    let offset = this.#head;
    while (filled < count) {
      const chunk = this.#chunks[index];
      const part = Math.min(chunk.length - offset, count - filled);
      out.set(chunk.subarray(offset, offset + part), filled);
      filled += part;
      index++;
      offset = 0;
    }
    if (consume) this.#consume(count);
    return out;
  }

  #consume(count: number): void {
    this.#length -= count;
    while (count > 0) {
      const available = this.#chunks[0].length - this.#head;
      if (count < available) {
        this.#head += count;
        return;
      }
      count -= available;
      this.#chunks.shift();
      this.#head = 0;
    }
  }
}
