/**
 * Standard input and output as a transport, as `twisted.internet.stdio`:
 * `new StandardIO(protocol)` connects `protocol` to the process's stdin and
 * stdout. Bytes read from stdin go to `dataReceived`; `write` goes to stdout.
 * The end of stdin calls `readConnectionLost()` on a half-closeable protocol
 * (one that has that method), else ends the connection: `connectionLost`
 * with `ConnectionDone`, after pending output is written.
 *
 * Reading follows the transport's flow control (`pauseProducing` /
 * `resumeProducing`) at the source, and a paused or closed standard input
 * never keeps the process alive on its own: run the reactor, and stop it from
 * `connectionLost`. Unlike Twisted's, `loseConnection` does not close the
 * process's stdout (no runtime can close file descriptor 1 cleanly): the
 * reader sees its end when the process exits.
 *
 * @example
 * ```ts
 * import { Protocol, reactor } from "@tw/core";
 * import { StandardIO } from "@tw/core/stdio";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 *   override connectionLost(): void {
 *     reactor.stop();
 *   }
 * }
 * // An echo program: what it reads on stdin, it writes to stdout.
 * async function main(): Promise<void> {
 *   new StandardIO(new Echo(), { reactor });
 *   await reactor.run();
 * }
 * ```
 * @module
 */
import type { ByteStream } from "./socket.ts";
import { type PipeProtocol, PipeTransport } from "./_pipe_transport.ts";
import { NotSupportedError } from "./error.ts";
import { getReactor } from "./reactor.ts";

export {
  PipeAddress,
  type PipeProducer,
  type PipeProtocol,
  PipeTransport,
  type PipeTransportOptions,
} from "./_pipe_transport.ts";
export type { ByteStream, ByteStreamHandler } from "./socket.ts";

/** What `StandardIO` needs of a reactor: its runtime's standard input and output. */
export interface StdioReactor {
  /** The runtime adapter (`Reactor.runtime`). */
  readonly runtime: {
    /** The adapter's name. */
    readonly name: string;
    /** Standard input as a stream; an adapter without it cannot serve `StandardIO`. */
    openStdin?(): ByteStream;
    /** Writes to standard output. */
    writeStdout(data: Uint8Array): void;
  };
}

/** Options for `StandardIO`. */
export interface StandardIOOptions {
  /** The reactor whose runtime gives stdin and stdout. @default getReactor() */
  reactor?: StdioReactor;
}

/**
 * The process's standard input and output as `protocol`'s transport (an
 * `ITransport`, `IConsumer` and `IPushProducer`, half-closeable): made and
 * connected at once, as Twisted's `StandardIO(proto)`.
 *
 * @example
 * ```ts
 * import { Protocol, reactor } from "@tw/core";
 * import { StandardIO } from "@tw/core/stdio";
 *
 * class Greeter extends Protocol {
 *   override connectionMade(): void {
 *     this.transport!.write(new TextEncoder().encode("hello\n"));
 *     this.transport!.loseConnection();
 *   }
 * }
 * function greet(): StandardIO {
 *   return new StandardIO(new Greeter(), { reactor }); // getPeer(): PipeAddress()
 * }
 * ```
 */
export class StandardIO extends PipeTransport {
  /**
   * Connects `protocol` to stdin and stdout.
   * @param protocol the protocol to drive
   * @param options the reactor
   * @throws NotSupportedError when the runtime adapter has no `openStdin`
   */
  constructor(protocol: PipeProtocol, options: StandardIOOptions = {}) {
    const runtime = (options.reactor ?? getReactor()).runtime;
    if (runtime.openStdin === undefined) {
      throw new NotSupportedError(runtime.name, "Standard input", "the adapter has no openStdin");
    }
    const stdin = runtime.openStdin();
    super(protocol, {
      input: Promise.resolve(stdin),
      output: (data) => runtime.writeStdout(data),
      name: "<stdio>",
      isTTY: stdin.isTTY,
      logNamespace: "tw.internet.stdio",
    });
  }
}
