/**
 * Encoded UDP replies kept by the bytes of the query that got them (its id
 * aside): an authoritative server whose zones have not changed gives the same
 * reply to the same bytes, so it can skip decoding, looking up and encoding.
 * Private to src/names/server.
 *
 * @module
 */

/** The longest query kept (a question with EDNS options fits well within). */
const MAX_QUERY = 512;

/** A bounded map from query bytes to reply bytes, emptied when the zones change. */
export class ReplyCache {
  readonly #replies = new Map<string, Uint8Array>();
  readonly #maxEntries: number;
  #generation = -1;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  /** The key of a query: its bytes after the id, as a string. */
  static key(query: Uint8Array): string | null {
    if (query.length < 12 || query.length > MAX_QUERY) return null;
    return String.fromCharCode.apply(null, query.subarray(2) as unknown as number[]);
  }

  /** The reply for `query`, if kept and made under the zones' current `generation`. */
  get(query: Uint8Array, generation: number): Uint8Array | null {
    if (generation !== this.#generation) {
      this.#replies.clear();
      this.#generation = generation;
      return null;
    }
    const key = ReplyCache.key(query);
    return key === null ? null : this.#replies.get(key) ?? null;
  }

  /** Keeps `reply` for `query`; starts over when full (cheap, and bounded). */
  put(query: Uint8Array, reply: Uint8Array, generation: number): void {
    if (generation !== this.#generation) {
      if (generation < this.#generation) return; // made from zones since replaced
      this.#replies.clear();
      this.#generation = generation;
    }
    const key = ReplyCache.key(query);
    if (key === null) return;
    if (this.#replies.size >= this.#maxEntries) this.#replies.clear();
    this.#replies.set(key, reply);
  }

  /** How many replies are kept. */
  get size(): number {
    return this.#replies.size;
  }
}
