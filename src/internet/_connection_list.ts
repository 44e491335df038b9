/**
 * A port's open connections, kept in an array rather than a `Set`: an array
 * slot costs 8 bytes per connection, a `Set` entry about 50 on Bun (measured
 * with `bun:jsc` heap statistics). A closed connection is only counted; its
 * slot goes when closed ones are half the array, so removal costs O(1)
 * amortized and a closed connection stays referenced only until then (never
 * more of them than open ones, plus one).
 *
 * @module
 */

/** What the list needs to know of a connection. */
export interface ListedConnection {
  /** True once the connection is gone. */
  readonly disconnected: boolean;
}

/** The open connections of one port. */
export class ConnectionList<T extends ListedConnection> implements Iterable<T> {
  #items: T[] = [];
  #closed = 0;

  /** How many are open. */
  get size(): number {
    return this.#items.length - this.#closed;
  }

  /** Slots held, open connections and closed ones not dropped yet (for tests). */
  get slots(): number {
    return this.#items.length;
  }

  /** Adds a new, open connection. */
  add(connection: T): void {
    this.#items.push(connection);
  }

  /** Notes that a connection added before is now disconnected (once each). */
  closed(_connection: T): void {
    this.#closed++;
    if (this.#closed * 2 >= this.#items.length) {
      this.#items = this.#items.filter((c) => !c.disconnected);
      this.#closed = 0;
    }
  }

  /** The open connections, in the order they were added. */
  *[Symbol.iterator](): Iterator<T> {
    for (const c of this.#items) if (!c.disconnected) yield c;
  }
}
