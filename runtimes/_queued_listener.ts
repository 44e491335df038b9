/**
 * The accepted-socket queue of the adapters whose runtime pushes connections
 * through a callback (Node's `connection` event, Bun's `open`): a socket goes
 * to `acceptEach`'s function, else to the next waiting iterator, else waits.
 *
 * @module
 */
import type { Listener, Socket, SocketAddress } from "../src/internet/socket.ts";

/** A `Listener` fed by `accept(socket)`; subclasses close the runtime's listening socket. */
export abstract class QueuedListener implements Listener {
  #queue: Socket[] = [];
  #waiters: ((result: IteratorResult<Socket>) => void)[] = [];
  #onSocket: ((socket: Socket) => void) | null = null;
  #closed = false;

  /** See `Listener.address`. */
  abstract readonly address: SocketAddress;
  /** See `Listener.native`. */
  abstract readonly native: unknown;

  /** Closes the runtime's listening socket (accepted connections stay open). */
  protected abstract closeListening(): Promise<void>;

  /** Hands an accepted socket to `acceptEach`, or the next waiting iterator, or queues it. */
  accept(socket: Socket): void {
    if (this.#closed) {
      socket.abort();
      return;
    }
    if (this.#onSocket !== null) return this.#onSocket(socket);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter({ value: socket, done: false });
    else this.#queue.push(socket);
  }

  /** See `Listener.acceptEach`. */
  acceptEach(onSocket: (socket: Socket) => void): void {
    this.#onSocket = onSocket;
    for (const socket of this.#queue.splice(0)) onSocket(socket);
  }

  /** See `Listener.close`: ends the iterators and drops sockets nobody took. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter({ value: undefined, done: true });
    for (const socket of this.#queue.splice(0)) socket.abort();
    return this.closeListening();
  }

  [Symbol.asyncIterator](): AsyncIterator<Socket> {
    return {
      next: (): Promise<IteratorResult<Socket>> => {
        const socket = this.#queue.shift();
        if (socket !== undefined) return Promise.resolve({ value: socket, done: false });
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.#waiters.push(resolve));
      },
      return: async (): Promise<IteratorResult<Socket>> => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }
}
