/**
 * inetd-style serving (`twisted.runner.inetd`): a factory whose protocol
 * spawns one process per connection and wires the process's stdin and stdout
 * to the socket. Twisted hands the socket's file descriptor to the child; the
 * runtimes here cannot, so the bytes are relayed through pipes, with
 * backpressure both ways. Private to src/cli; mod.ts re-exports it.
 *
 * @module
 */
import type { IReactorProcess } from "../internet/interfaces.ts";
import type { Failure } from "../internet/failure.ts";
import {
  Factory,
  type IProcessTransport,
  ProcessProtocol,
  Protocol,
} from "../internet/protocol.ts";
import { Logger } from "../logger/mod.ts";

/** Options of {@link InetdFactory}. */
export interface InetdFactoryOptions {
  /** The reactor that spawns the processes. */
  reactor: IReactorProcess;
  /** The child's environment. @default {the parent's} */
  env?: Record<string, string>;
  /** The child's working directory. @default {the parent's} */
  cwd?: string;
  /** Where the children's stderr lines and exits are logged. @default {new Logger("inetd")} */
  logger?: Logger;
}

/** Relays a child's stdout to the connection and logs its stderr. */
class ChildProtocol extends ProcessProtocol {
  #connection: InetdProtocol;
  #log: Logger;
  #name: string;

  constructor(connection: InetdProtocol, log: Logger, name: string) {
    super();
    this.#connection = connection;
    this.#log = log;
    this.#name = name;
  }

  override outReceived(data: Uint8Array): void {
    this.#connection.transport?.write(data);
  }

  override errReceived(data: Uint8Array): void {
    const text = new TextDecoder().decode(data).replace(/\r?\n$/, "");
    for (const line of text.split(/\r?\n/)) {
      this.#log.info("[{name}] {line}", { name: this.#name, line, stream: "stderr" });
    }
  }

  override outConnectionLost(): void {
    // The child is done talking: so is the connection (after its queued writes).
    this.#connection.childOutputEnded();
  }

  override processEnded(reason: Failure): void {
    this.#log.debug("[{name}] ended: {reason}", {
      name: this.#name,
      reason: reason.getErrorMessage(),
    });
    this.#connection.childEnded();
  }
}

/**
 * One connection: one child process (built by `InetdFactory`; subclass it to
 * add to what happens per connection).
 *
 * @example
 * ```ts
 * import { InetdFactory, InetdProtocol } from "@tw/core/cli";
 * import { reactor } from "@tw/core";
 *
 * class LoggedInetd extends InetdProtocol {
 *   override connectionMade(): void {
 *     console.log("spawning cat for", this.transport.getPeer());
 *     super.connectionMade();
 *   }
 * }
 * const factory = new InetdFactory(["cat"], { reactor });
 * factory.protocol = LoggedInetd;
 * const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
 * await port.stopListening();
 * ```
 */
export class InetdProtocol extends Protocol {
  /** The child, once spawned. */
  child: IProcessTransport | null = null;
  #childRunning = false;
  #childTalking = false;

  /** Spawns the factory's command with its stdio wired to this connection. */
  override connectionMade(): void {
    const factory = this.factory as InetdFactory;
    const args = factory.command;
    const protocol = new ChildProtocol(this, factory.logger, args[0]);
    try {
      this.child = factory.reactor.spawnProcess(protocol, args[0], args, {
        env: factory.env,
        path: factory.cwd,
      });
      this.#childRunning = true;
      this.#childTalking = true;
    } catch (error) {
      factory.logger.failure("Cannot start {command}", error, "error", { command: args[0] });
      this.transport!.loseConnection();
      return;
    }
    // Backpressure: a slow peer pauses the child's output, a slow child the peer.
    this.transport!.registerProducer(this.child, true);
    if (this.transport && "pauseProducing" in this.transport) {
      this.child.registerProducer(
        this.transport as unknown as Parameters<IProcessTransport["registerProducer"]>[0],
        true,
      );
    }
  }

  /** Feeds the bytes to the child's stdin. */
  override dataReceived(data: Uint8Array): void {
    if (this.#childRunning) this.child?.write(data);
  }

  /**
   * The peer half-closed (`IHalfCloseableProtocol`): the child sees end of
   * input and may still answer, as `wc` or `sort` do.
   */
  readConnectionLost(): void {
    if (this.#childRunning) this.child?.closeStdin();
  }

  /** Our sending side closed; nothing to do. */
  writeConnectionLost(): void {}

  /**
   * The connection is gone: the child sees end of input, and one still
   * writing gets SIGTERM (with the socket as its stdout, as in Twisted's
   * inetd, it would get SIGPIPE), so no child outlives its client.
   */
  override connectionLost(_reason: Failure): void {
    if (!this.#childRunning || this.child === null) return;
    this.child.closeStdin();
    if (this.#childTalking) {
      try {
        this.child.signalProcess("TERM");
      } catch {
        // It exited meanwhile.
      }
    }
  }

  /** Called when the child closed its stdout: the connection closes after its writes. */
  childOutputEnded(): void {
    this.#childTalking = false;
    this.transport?.loseConnection();
  }

  /** Called when the child has exited and its output has been relayed. */
  childEnded(): void {
    this.#childRunning = false;
    this.#childTalking = false;
    this.transport?.loseConnection();
  }
}

/**
 * Spawns `command` for each connection (`twisted.runner.inetd`-style).
 *
 * @example
 * ```ts ignore
 * import { InetdFactory } from "@tw/core/cli";
 * import { reactor } from "@tw/core";
 * reactor.listenTCP(7007, new InetdFactory(["cat"], { reactor }), { interface: "127.0.0.1" });
 * ```
 */
export class InetdFactory extends Factory {
  /** The program and its arguments (`command[0]` is looked up on PATH). */
  readonly command: string[];
  /** The reactor that spawns. */
  readonly reactor: IReactorProcess;
  /** The children's environment, or undefined for the parent's. */
  readonly env: Record<string, string> | undefined;
  /** The children's working directory, or undefined for the parent's. */
  readonly cwd: string | undefined;
  /** Where children's stderr goes. */
  readonly logger: Logger;

  /**
   * Makes the factory.
   * @param command the program and its arguments
   * @param options the reactor, environment and working directory
   */
  constructor(command: string[], options: InetdFactoryOptions) {
    super();
    if (command.length === 0) throw new RangeError("An inetd command needs a program");
    this.protocol = InetdProtocol;
    this.command = [...command];
    this.reactor = options.reactor;
    this.env = options.env;
    this.cwd = options.cwd;
    this.logger = options.logger ?? new Logger("inetd");
  }
}

/**
 * Splits a command line into words: whitespace separates, single and double
 * quotes group, a backslash escapes the next character (outside single
 * quotes). No expansion of any kind: there is no shell.
 * @throws {SyntaxError} for an unterminated quote
 * @example
 * ```ts
 * import { splitCommand } from "@tw/core/cli";
 * const words = splitCommand(`grep -i "hello world" 'a b'\\ c`);
 * console.log(words); // [ "grep", "-i", "hello world", "a b c" ]
 * ```
 */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) throw new SyntaxError(`Unterminated ${quote} quote in command: ${line}`);
  if (inWord) words.push(word);
  return words;
}
