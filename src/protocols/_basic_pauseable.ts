/**
 * The pausing shared by the basic receivers (Twisted's `_PauseableMixin`).
 * Private to src/protocols; `basic.ts` re-exports the class.
 *
 * @module
 */

import type { IPushProducer } from "../internet/interfaces.ts";
import { Protocol } from "../internet/protocol.ts";

const EMPTY = new Uint8Array(0);

/**
 * A protocol that is also the push producer of what it parses: pausing it
 * holds delivery back and pauses its transport; resuming delivers what was
 * held, by feeding `dataReceived` an empty chunk.
 *
 * @example
 * ```ts
 * import { LineReceiver } from "@tw/core/protocols/basic";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const lines: string[] = [];
 * class Collect extends LineReceiver {
 *   override lineReceived(line: Uint8Array): void {
 *     lines.push(new TextDecoder().decode(line));
 *   }
 * }
 * const p = new Collect(); // a PauseableReceiver, as every basic receiver but LineOnlyReceiver
 * p.makeConnection(new StringTransport());
 * p.pauseProducing();
 * p.dataReceived(new TextEncoder().encode("a\r\nb\r\n"));
 * console.log(lines.length); // 0
 * p.resumeProducing();
 * console.log(lines); // [ "a", "b" ]
 * ```
 */
export abstract class PauseableReceiver extends Protocol implements IPushProducer {
  /** True while paused by `pauseProducing` (Twisted's `paused`). */
  paused = false;

  /** Stops delivery and pauses the transport. */
  pauseProducing(): void {
    this.paused = true;
    this.transport.pauseProducing();
  }

  /** Resumes the transport and delivers what was held back. */
  resumeProducing(): void {
    this.paused = false;
    this.transport.resumeProducing();
    this.dataReceived(EMPTY);
  }

  /** Stops delivery for good and stops the transport. */
  stopProducing(): void {
    this.paused = true;
    this.transport.stopProducing();
  }
}
