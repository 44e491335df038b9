/**
 * Requests on one SFTP handle: run so that their results are those of
 * running them one after the other (draft-ietf-secsh-filexfer-02 §6), and
 * answered in the order they came. A READ starts at once beside other READs,
 * and beside WRITEs to other bytes; a WRITE beside READs and WRITEs of other
 * bytes; anything else (and a WRITE to a file opened for appending, whose
 * offset means nothing) waits for every earlier request on its handle, and
 * later ones wait for it. So a client's pipelined READs and WRITEs keep the
 * file system busy while earlier replies are sealed and sent.
 * @module
 */

/** The bytes a READ or WRITE touches; null for any other request (it orders). */
export interface Access {
  /** First byte. */
  readonly offset: number;
  /** How many bytes. */
  readonly length: number;
  /** A WRITE (conflicts with any access to the same bytes), or a READ. */
  readonly write: boolean;
}

/** One request in its handle's queue. */
interface Entry {
  readonly access: Access | null;
}

interface Queue {
  /** Requests started or waiting, not yet settled. */
  readonly pending: Set<Entry>;
  /** Settles once every request so far has settled. */
  settled: Promise<void>;
  /** Settles once every reply so far was handed over. */
  answered: Promise<void>;
  /** Requests not yet answered. */
  count: number;
}

function conflicts(a: Access | null, b: Access | null): boolean {
  if (a === null || b === null) return true;
  if (!a.write && !b.write) return false;
  return a.offset < b.offset + b.length && b.offset < a.offset + a.length;
}

const ignore = (): void => {};

/** The per-handle queues of a `FileTransferServer`. */
export class HandleQueues {
  readonly #queues = new Map<string, Queue>();

  /** Handles with requests not yet answered. */
  get size(): number {
    return this.#queues.size;
  }

  /**
   * Runs `work` for a request on `handle` (at once when `access` allows it,
   * else after every earlier request on the handle) and hands what it gives
   * to `answer` once every earlier request on the handle was answered.
   * `work` gives the reply and must not reject (a failure is a reply too).
   * Resolves once `answer` was called.
   */
  run<T>(
    handle: string,
    access: Access | null,
    work: () => Promise<T>,
    answer: (reply: T) => void,
  ): Promise<void> {
    let queue = this.#queues.get(handle);
    if (queue === undefined) {
      queue = {
        pending: new Set(),
        settled: Promise.resolve(),
        answered: Promise.resolve(),
        count: 0,
      };
      this.#queues.set(handle, queue);
    }
    let wait = false;
    for (const other of queue.pending) {
      if (conflicts(access, other.access)) {
        wait = true;
        break;
      }
    }
    const entry: Entry = { access };
    queue.pending.add(entry);
    queue.count++;
    const result = wait ? queue.settled.then(work) : work();
    const done = result.then(ignore, ignore).then(() => {
      queue.pending.delete(entry);
    });
    queue.settled = Promise.all([queue.settled, done]).then(ignore);
    const answered = Promise.all([queue.answered, result]).then(([, reply]) => answer(reply));
    queue.answered = answered.then(ignore, ignore);
    return answered.finally(() => {
      if (--queue.count === 0 && this.#queues.get(handle) === queue) this.#queues.delete(handle);
    });
  }
}
