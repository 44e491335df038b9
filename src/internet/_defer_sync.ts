/**
 * Coordination with Deferreds: `DeferredLock`, `DeferredSemaphore`,
 * `DeferredQueue` (private; re-exported by `defer.ts`).
 *
 * @module
 */
import { Deferred, succeed } from "./_defer_core.ts";
import { maybeDeferred } from "./_defer_inline.ts";

/**
 * `DeferredQueue.put` found the queue full.
 *
 * @example
 * ```ts
 * import { DeferredQueue, QueueOverflow } from "@tw/core/defer";
 * const queue = new DeferredQueue<string>(1);
 * queue.put("a");
 * try {
 *   queue.put("b");
 * } catch (e) {
 *   console.log(e instanceof QueueOverflow); // true
 * }
 * ```
 */
export class QueueOverflow extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "The queue is full", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueOverflow";
  }
}

/**
 * `DeferredQueue.get` found too many gets already waiting.
 *
 * @example
 * ```ts
 * import { DeferredQueue, QueueUnderflow } from "@tw/core/defer";
 * const queue = new DeferredQueue<string>(Infinity, 1);
 * const first = queue.get();
 * try {
 *   queue.get();
 * } catch (e) {
 *   console.log(e instanceof QueueUnderflow); // true
 * }
 * queue.put("a"); // fires `first`
 * ```
 */
export class QueueUnderflow extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Too many gets are already waiting on the queue", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueUnderflow";
  }
}

function removeWaiter(waiting: Deferred<unknown>[], d: Deferred<unknown>): void {
  const i = waiting.indexOf(d);
  if (i >= 0) waiting.splice(i, 1);
}

/** What `DeferredLock` and `DeferredSemaphore` share: `acquire`, `release`, `run`. */
interface Acquirable {
  acquire(): Deferred<unknown>;
  release(): void;
}

function runLocked<U, A extends unknown[]>(
  lock: Acquirable,
  fn: (...args: A) => U | PromiseLike<U>,
  args: A,
): Deferred<U> {
  return lock.acquire().addCallback(() =>
    maybeDeferred(fn, ...args).addBoth((result) => {
      lock.release();
      return result;
    })
  ) as Deferred<U>;
}

/**
 * A lock for asynchronous code: `acquire()` returns a Deferred that fires
 * (with the lock) when the lock is yours. Cancelling a pending acquire removes
 * it from the waiting list.
 * @example
 * ```ts
 * import { DeferredLock } from "@tw/core/defer";
 * const lock = new DeferredLock();
 * await lock.run(async () => {
 *   console.log(lock.locked); // true
 * });
 * ```
 */
export class DeferredLock {
  /** The pending acquires, first come first served. */
  readonly waiting: Deferred<DeferredLock>[] = [];
  #locked = false;

  /** True while someone holds the lock. */
  get locked(): boolean {
    return this.#locked;
  }

  /** Returns a Deferred that fires with this lock once it is acquired. */
  acquire(): Deferred<DeferredLock> {
    const d = new Deferred<DeferredLock>((d) => removeWaiter(this.waiting, d));
    if (this.#locked) {
      this.waiting.push(d);
    } else {
      this.#locked = true;
      d.callback(this);
    }
    return d;
  }

  /**
   * Releases the lock; the next waiter, if any, acquires it.
   * @throws {RangeError} when the lock is not held
   */
  release(): void {
    if (!this.#locked) throw new RangeError("Tried to release an unlocked lock");
    this.#locked = false;
    const next = this.waiting.shift();
    if (next !== undefined) {
      this.#locked = true;
      next.callback(this);
    }
  }

  /**
   * Acquires the lock, runs `fn(...args)` (through `maybeDeferred`), releases
   * the lock when its result is in, and fires with that result.
   */
  run<U, A extends unknown[]>(fn: (...args: A) => U | PromiseLike<U>, ...args: A): Deferred<U> {
    return runLocked(this, fn, args);
  }
}

/**
 * A semaphore for asynchronous code: at most `limit` holders at a time.
 * @example
 * ```ts
 * import { DeferredSemaphore } from "@tw/core/defer";
 * const sem = new DeferredSemaphore(2);
 * await sem.acquire();
 * console.log(sem.tokens, sem.limit); // 1 2
 * sem.release();
 * ```
 */
export class DeferredSemaphore {
  /** The pending acquires, first come first served. */
  readonly waiting: Deferred<DeferredSemaphore>[] = [];
  #tokens: number;
  #limit: number;

  /**
   * Creates a semaphore with `tokens` tokens.
   * @param tokens how many holders at once
   * @throws {RangeError} when `tokens` < 1
   */
  constructor(tokens: number) {
    if (!(tokens >= 1)) throw new RangeError("DeferredSemaphore requires tokens >= 1");
    this.#tokens = tokens;
    this.#limit = tokens;
  }

  /** The tokens left. */
  get tokens(): number {
    return this.#tokens;
  }

  /** The number of tokens the semaphore was created with. */
  get limit(): number {
    return this.#limit;
  }

  /** Returns a Deferred that fires with this semaphore once a token is taken. */
  acquire(): Deferred<DeferredSemaphore> {
    const d = new Deferred<DeferredSemaphore>((d) => removeWaiter(this.waiting, d));
    if (this.#tokens === 0) {
      this.waiting.push(d);
    } else {
      this.#tokens--;
      d.callback(this);
    }
    return d;
  }

  /**
   * Gives a token back; the next waiter, if any, takes it.
   * @throws {RangeError} when released more often than acquired
   */
  release(): void {
    if (this.#tokens >= this.#limit) {
      throw new RangeError("Someone released me too many times: too many tokens");
    }
    this.#tokens++;
    const next = this.waiting.shift();
    if (next !== undefined) {
      this.#tokens--;
      next.callback(this);
    }
  }

  /** Takes a token, runs `fn(...args)`, gives the token back when its result is in. */
  run<U, A extends unknown[]>(fn: (...args: A) => U | PromiseLike<U>, ...args: A): Deferred<U> {
    return runLocked(this, fn, args);
  }
}

/**
 * A queue whose `get()` returns a Deferred that fires when an item is there.
 * @typeParam T the items
 * @example
 * ```ts
 * import { DeferredQueue } from "@tw/core/defer";
 * const q = new DeferredQueue<string>();
 * q.get().addCallback((item) => console.log(item)); // "a"
 * q.put("a");
 * ```
 */
export class DeferredQueue<T = unknown> {
  /** The most items kept waiting for a `get` (`Infinity`: no bound). */
  readonly size: number;
  /** The most `get`s kept waiting for an item (`Infinity`: no bound). */
  readonly backlog: number;
  /** Items not yet taken. */
  readonly pending: T[] = [];
  /** Gets waiting for an item. */
  readonly waiting: Deferred<T>[] = [];

  /**
   * Creates an empty queue.
   * @param size the most items kept (default: no bound)
   * @param backlog the most gets kept waiting (default: no bound)
   */
  constructor(size: number = Infinity, backlog: number = Infinity) {
    this.size = size;
    this.backlog = backlog;
  }

  /**
   * Hands `item` to the oldest waiting get, or keeps it.
   * @throws {QueueOverflow} when `size` items are already kept
   */
  put(item: T): void {
    const waiter = this.waiting.shift();
    if (waiter !== undefined) waiter.callback(item);
    else if (this.pending.length < this.size) this.pending.push(item);
    else throw new QueueOverflow();
  }

  /**
   * Returns a Deferred for the next item. Cancelling it removes it from the waiting list.
   * @throws {QueueUnderflow} when `backlog` gets are already waiting
   */
  get(): Deferred<T> {
    if (this.pending.length > 0) return succeed(this.pending.shift() as T);
    if (this.waiting.length >= this.backlog) throw new QueueUnderflow();
    const d = new Deferred<T>((d) => removeWaiter(this.waiting, d));
    this.waiting.push(d);
    return d;
  }
}
