/**
 * Two protocols connected in memory (`twisted.protocols.loopback`):
 * `loopbackAsync(server, client)` gives each a transport whose writes are
 * delivered to the other, asynchronously, and returns a Deferred that fires
 * once the connection is over (one side called `loseConnection` and every
 * byte written before was delivered; both sides then get `connectionLost`
 * with `ConnectionDone`).
 *
 * Delivery is never re-entrant: bytes written inside `dataReceived` are
 * delivered in a later round. Rounds run on `clock.callLater(0)` when a clock
 * (a reactor or `Clock`) is given, as Twisted's do on its reactor; otherwise
 * on microtasks. A round runs only when something was written, so an idle
 * connection costs nothing while it waits.
 *
 * @example
 * ```ts
 * import { loopbackAsync } from "@tw/core/protocols/loopback";
 * import { Protocol } from "@tw/core/protocol";
 *
 * class Hello extends Protocol {
 *   override connectionMade(): void {
 *     this.transport.write(new TextEncoder().encode("hello"));
 *     this.transport.loseConnection();
 *   }
 * }
 * class Collect extends Protocol {
 *   text = "";
 *   override dataReceived(data: Uint8Array): void {
 *     this.text += new TextDecoder().decode(data);
 *   }
 * }
 * const client = new Collect();
 * await loopbackAsync(new Hello(), client);
 * console.log(client.text); // "hello"
 * ```
 * @module
 */
import { Deferred } from "../internet/defer.ts";
import { ConnectionDone, ConnectionLost } from "../internet/error.ts";
import { Failure } from "../internet/failure.ts";
import type {
  IProtocol,
  IPullProducer,
  IPushProducer,
  IReactorTime,
  ITransport,
} from "../internet/interfaces.ts";
import { type Address, UNIXAddress } from "../internet/address.ts";

/**
 * Moves the chunks waiting in `queue` into `target.dataReceived`: how a round
 * delivers. The queue holds the chunks in order; the policy empties it.
 */
export type PumpPolicy = (queue: Uint8Array[], target: IProtocol) => void;

/**
 * Delivers each chunk as it was written (Twisted's `identityPumpPolicy`).
 *
 * @example
 * ```ts
 * import { identityPumpPolicy } from "@tw/core/protocols/loopback";
 * import { Protocol } from "@tw/core/protocol";
 *
 * const sizes: number[] = [];
 * class Sizes extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     sizes.push(data.byteLength);
 *   }
 * }
 * identityPumpPolicy([new Uint8Array(2), new Uint8Array(3)], new Sizes());
 * console.log(sizes); // [ 2, 3 ]
 * ```
 */
export function identityPumpPolicy(queue: Uint8Array[], target: IProtocol): void {
  while (queue.length > 0) target.dataReceived(queue.shift()!);
}

/**
 * Delivers everything waiting as one chunk (Twisted's `collapsingPumpPolicy`).
 *
 * @example
 * ```ts
 * import { collapsingPumpPolicy, loopbackAsync } from "@tw/core/protocols/loopback";
 * import { Protocol } from "@tw/core/protocol";
 *
 * class Chatty extends Protocol {
 *   override connectionMade(): void {
 *     this.transport.write(new TextEncoder().encode("a"));
 *     this.transport.write(new TextEncoder().encode("b"));
 *     this.transport.loseConnection();
 *   }
 * }
 * const chunks: string[] = [];
 * class Collect extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     chunks.push(new TextDecoder().decode(data));
 *   }
 * }
 * await loopbackAsync(new Chatty(), new Collect(), { pumpPolicy: collapsingPumpPolicy });
 * console.log(chunks); // [ "ab" ]
 * ```
 */
export function collapsingPumpPolicy(queue: Uint8Array[], target: IProtocol): void {
  let total = 0;
  for (const chunk of queue) total += chunk.byteLength;
  const joined = new Uint8Array(total);
  let at = 0;
  for (const chunk of queue.splice(0)) {
    joined.set(chunk, at);
    at += chunk.byteLength;
  }
  target.dataReceived(joined);
}

/** The address both loopback transports report. */
const LOOPBACK_ADDRESS = new UNIXAddress(null);

/**
 * One side's transport: writes go to a queue the pump delivers to the other
 * side. `pauseProducing` holds back delivery to this side's own protocol.
 */
class LoopbackTransport implements ITransport {
  disconnecting = false;
  aborted = false;
  paused = false;
  producer: IPushProducer | IPullProducer | null = null;
  streaming = false;
  readonly queue: Uint8Array[] = [];
  readonly #notify: () => void;

  constructor(notify: () => void) {
    this.#notify = notify;
  }

  write(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`Data must be a Uint8Array, not ${typeof data}`);
    }
    if (this.disconnecting || data.byteLength === 0) return;
    // A copy: the writer may reuse its buffer, and the reader owns what it gets.
    this.queue.push(data.slice());
    this.#notify();
  }

  writeSequence(data: Iterable<Uint8Array>): void {
    for (const chunk of data) this.write(chunk);
  }

  loseConnection(): void {
    if (this.disconnecting) return;
    this.disconnecting = true;
    this.#notify();
  }

  abortConnection(): void {
    this.aborted = true;
    this.queue.length = 0;
    this.loseConnection();
  }

  getPeer(): Address {
    return LOOPBACK_ADDRESS;
  }

  getHost(): Address {
    return LOOPBACK_ADDRESS;
  }

  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.producer !== null) throw new Error("Cannot register two producers");
    this.producer = producer;
    this.streaming = streaming;
    if (!streaming) this.#notify();
  }

  unregisterProducer(): void {
    this.producer = null;
  }

  pauseProducing(): void {
    this.paused = true;
  }

  resumeProducing(): void {
    this.paused = false;
    this.#notify();
  }

  stopProducing(): void {
    this.loseConnection();
  }

  /** The queue was emptied: a producer may write more (a pull producer is asked to). */
  pollProducer(): void {
    const producer = this.producer;
    if (producer !== null && !this.streaming) producer.resumeProducing();
  }
}

/** Options of {@link loopbackAsync}. */
export interface LoopbackAsyncOptions {
  /** How a round delivers queued chunks. @default identityPumpPolicy */
  pumpPolicy?: PumpPolicy;
  /** Runs each round with `callLater(0)` on this clock. @default undefined (microtasks) */
  clock?: IReactorTime;
}

/**
 * Connects `server` and `client` in memory (server first) and moves bytes
 * between them until one side loses the connection; the Deferred fires with
 * undefined after both got `connectionLost` (`ConnectionDone`, or
 * `ConnectionLost` after an `abortConnection`). An exception thrown by a
 * protocol ends the loop and fails the Deferred.
 * @param server the server's protocol
 * @param client the client's protocol
 * @param options the pump policy and the clock
 * @example
 * ```ts
 * import { loopbackAsync } from "@tw/core/protocols/loopback";
 * import { Protocol } from "@tw/core/protocol";
 * import { Clock } from "@tw/core/testing";
 *
 * class Bye extends Protocol {
 *   override connectionMade(): void {
 *     this.transport.loseConnection();
 *   }
 * }
 * const clock = new Clock();
 * let done = false;
 * loopbackAsync(new Bye(), new Protocol(), { clock }).addCallback(() => (done = true));
 * clock.advance(0); // runs the round scheduled with callLater(0)
 * console.log(done); // true
 * ```
 */
export function loopbackAsync(
  server: IProtocol,
  client: IProtocol,
  options: LoopbackAsyncOptions = {},
): Deferred<void> {
  const pumpPolicy = options.pumpPolicy ?? identityPumpPolicy;
  const clock = options.clock;
  const done = new Deferred<void>();
  let scheduled = false;
  let finished = false;

  const schedule = (): void => {
    if (scheduled || finished) return;
    scheduled = true;
    if (clock !== undefined) clock.callLater(0, round);
    else queueMicrotask(round);
  };
  const serverIO = new LoopbackTransport(schedule);
  const clientIO = new LoopbackTransport(schedule);

  /** Delivers `from`'s queue to `to`'s protocol unless `to` is paused; true if it did. */
  const pump = (from: LoopbackTransport, to: LoopbackTransport, target: IProtocol): boolean => {
    if (from.queue.length === 0 || to.paused) return false;
    pumpPolicy(from.queue, target);
    return true;
  };

  const finish = (): void => {
    finished = true;
    const reason = (io: LoopbackTransport, other: LoopbackTransport): Failure =>
      new Failure(
        io.aborted || other.aborted
          ? new ConnectionLost("Connection was aborted")
          : new ConnectionDone("Connection done"),
      );
    for (
      const [io, other, protocol] of [[serverIO, clientIO, server], [
        clientIO,
        serverIO,
        client,
      ]] as const
    ) {
      const producer = io.producer;
      io.producer = null;
      producer?.stopProducing();
      protocol.connectionLost(reason(io, other));
    }
  };

  function round(): void {
    scheduled = false;
    if (finished) return;
    try {
      const serverSent = pump(serverIO, clientIO, client);
      const clientSent = pump(clientIO, serverIO, server);
      if (!serverSent && !clientSent) {
        // Nothing moved: the connection is over once a closing side has delivered all it wrote.
        if (
          serverIO.disconnecting && serverIO.queue.length === 0 ||
          clientIO.disconnecting && clientIO.queue.length === 0
        ) {
          finish();
          done.callback(undefined);
          return;
        }
      }
      // A drained side's pull producer is asked for more; its writes schedule the next round.
      for (const io of [serverIO, clientIO]) {
        if (io.queue.length === 0 && !io.disconnecting) io.pollProducer();
      }
      // Bytes written during delivery go in a later round, never re-entrantly.
      if (serverSent || clientSent) schedule();
    } catch (e) {
      finished = true;
      done.errback(new Failure(e));
    }
  }

  try {
    server.makeConnection(serverIO);
    client.makeConnection(clientIO);
  } catch (e) {
    finished = true;
    done.errback(new Failure(e));
    return done;
  }
  schedule();
  return done;
}
