/**
 * Traffic logging wrappers: `TrafficLoggingFactory` (one numbered log per
 * connection, Twisted's line format) and `SpewingFactory` (everything to the logger).
 *
 * @module
 */
import type { Address } from "../internet/address.ts";
import type { Failure } from "../internet/failure.ts";
import type { IProtocol, IProtocolFactory } from "../internet/interfaces.ts";
import { Logger } from "../logger/mod.ts";
import { ProtocolWrapper, WrappingFactory } from "./_policies_wrapper.ts";

/**
 * Renders bytes as a quoted string, printable ASCII as is and the rest
 * escaped (`"GET / HTTP/1.1\r\n"`), as Python's `repr` does for Twisted's logs.
 * @param data the bytes
 * @example
 * ```ts
 * import { bytesRepr } from "@tw/core/protocols/policies";
 * console.log(bytesRepr(new Uint8Array([0x68, 0x69, 0x0d, 0x0a, 0x00]))); // "hi\r\n\x00"
 * ```
 */
export function bytesRepr(data: Uint8Array): string {
  let out = '"';
  for (const byte of data) {
    if (byte === 0x5c) out += "\\\\";
    else if (byte === 0x22) out += '\\"';
    else if (byte === 0x0a) out += "\\n";
    else if (byte === 0x0d) out += "\\r";
    else if (byte === 0x09) out += "\\t";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += "\\x" + byte.toString(16).padStart(2, "0");
  }
  return out + '"';
}

/** Where a connection's traffic lines go: `(line, logName)`. */
export type TrafficLogWriter = (line: string, logName: string) => void;

const ELIDED = "<... elided>";

/**
 * The wrapper `TrafficLoggingFactory` builds: writes one line per event to its
 * log (`twisted.protocols.policies.TrafficLoggingProtocol`): `*` when the
 * connection is made, `C n: data` for bytes received, `S n: data` for bytes
 * sent, `SV n: [...]` for `writeSequence`, `S n: *` for `loseConnection` and
 * `C n: reason` when the connection is lost (n is the connection's number).
 *
 * @example
 * ```ts
 * import { TrafficLoggingFactory } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 * import { StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const lines: string[] = [];
 * const factory = new TrafficLoggingFactory(Factory.forProtocol(Protocol), "demo", {
 *   log: (line) => lines.push(line),
 * });
 * const wrapper = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 1234))!;
 * wrapper.makeConnection(new StringTransport());
 * wrapper.dataReceived(new TextEncoder().encode("hi"));
 * wrapper.write(new TextEncoder().encode("ok"));
 * console.log(lines); // [ "*", 'C 1: "hi"', 'S 1: "ok"' ]
 * ```
 */
export class TrafficLoggingProtocol extends ProtocolWrapper {
  /** Where lines go. */
  logWriter: (line: string) => void;
  /** Longest rendering of one chunk's bytes, or null for no limit. */
  lengthLimit: number | null;
  /** The connection's number within its factory. */
  readonly number: number;

  /**
   * Makes the wrapper.
   * @param factory the factory that built it
   * @param wrappedProtocol the protocol to wrap
   * @param logWriter where lines go
   * @param lengthLimit longest rendering of one chunk, or null
   * @param number the connection's number
   */
  constructor(
    factory: WrappingFactory,
    wrappedProtocol: IProtocol,
    logWriter: (line: string) => void,
    lengthLimit: number | null = null,
    number = 0,
  ) {
    super(factory, wrappedProtocol);
    this.logWriter = logWriter;
    this.lengthLimit = lengthLimit;
    this.number = number;
  }

  #log(line: string): void {
    this.logWriter(line);
  }

  /** Renders `data`, cut to `lengthLimit` with an "elided" mark. */
  #munge(data: Uint8Array): string {
    const text = bytesRepr(data);
    if (this.lengthLimit !== null && text.length > this.lengthLimit) {
      return text.slice(0, Math.max(0, this.lengthLimit - ELIDED.length)) + ELIDED;
    }
    return text;
  }

  /** Logs `*`. */
  override connectionMade(): void {
    this.#log("*");
    super.connectionMade();
  }

  /** Logs `C n: data`, then delivers. */
  override dataReceived(data: Uint8Array): void {
    this.#log(`C ${this.number}: ${this.#munge(data)}`);
    super.dataReceived(data);
  }

  /** Logs `C n: reason`, then tells the wrapped protocol. */
  override connectionLost(reason: Failure): void {
    this.#log(`C ${this.number}: ${reason.getErrorMessage()}`);
    super.connectionLost(reason);
  }

  /** Logs `S n: data`, then writes. */
  override write(data: Uint8Array): void {
    this.#log(`S ${this.number}: ${this.#munge(data)}`);
    super.write(data);
  }

  /** Logs `SV n: [data, ...]`, then writes. */
  override writeSequence(data: Iterable<Uint8Array>): void {
    const chunks = [...data];
    this.#log(`SV ${this.number}: [${chunks.map((c) => this.#munge(c)).join(", ")}]`);
    super.writeSequence(chunks);
  }

  /** Logs `S n: *`, then loses the connection. */
  override loseConnection(): void {
    this.#log(`S ${this.number}: *`);
    super.loseConnection();
  }
}

/** Options of {@link TrafficLoggingFactory}. */
export interface TrafficLoggingFactoryOptions {
  /** Longest rendering of one chunk's bytes. @default null (no limit) */
  lengthLimit?: number | null;
  /**
   * Where lines go: a `Logger` (each line an info event with `line` and
   * `logName` fields), or a function given `(line, logName)`.
   * @default a Logger with namespace "tw.protocols.policies.traffic"
   */
  log?: Logger | TrafficLogWriter;
}

/**
 * Logs every connection's traffic, one numbered log per connection named
 * `${logPrefix}-${n}` (`twisted.protocols.policies.TrafficLoggingFactory`,
 * which writes files of those names; here the lines go to a `Logger` or a
 * function, and `open(name)` may be overridden to send them elsewhere).
 *
 * @example
 * ```ts
 * import { TrafficLoggingFactory } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 *
 * const lines: string[] = [];
 * const factory = new TrafficLoggingFactory(Factory.forProtocol(Protocol), "echo", {
 *   log: (line, name) => lines.push(`${name} ${line}`),
 * });
 * ```
 */
export class TrafficLoggingFactory extends WrappingFactory {
  /** The log names' prefix. */
  logfilePrefix: string;
  /** Longest rendering of one chunk's bytes, or null. */
  lengthLimit: number | null;
  #counter = 0;
  #log: Logger | TrafficLogWriter;

  /**
   * Makes the factory.
   * @param wrappedFactory the factory whose protocols are logged
   * @param logPrefix the log names' prefix (Twisted's `logfilePrefix`)
   * @param options the length limit and where lines go
   */
  constructor(
    wrappedFactory: IProtocolFactory,
    logPrefix: string,
    options: TrafficLoggingFactoryOptions = {},
  ) {
    super(wrappedFactory);
    this.logfilePrefix = logPrefix;
    this.lengthLimit = options.lengthLimit ?? null;
    this.#log = options.log ?? new Logger("tw.protocols.policies.traffic");
  }

  /** How many connections were numbered since the last `resetCounter`. */
  get counter(): number {
    return this.#counter;
  }

  /** Returns the line writer for the log called `name` (override to log elsewhere). */
  open(name: string): (line: string) => void {
    const target = this.#log;
    if (target instanceof Logger) {
      return (line) => target.info("{logName} {line}", { logName: name, line });
    }
    return (line) => target(line, name);
  }

  /** Numbers the connection and wraps its protocol with a log of its own. */
  override buildProtocol(addr: Address): TrafficLoggingProtocol | null {
    const wrapped = this.wrappedFactory.buildProtocol(addr);
    if (wrapped === null) return null;
    this.#counter++;
    const writer = this.open(`${this.logfilePrefix}-${this.#counter}`);
    return new TrafficLoggingProtocol(this, wrapped, writer, this.lengthLimit, this.#counter);
  }

  /** Numbers connections from 1 again. */
  resetCounter(): void {
    this.#counter = 0;
  }
}

/**
 * The wrapper `SpewingFactory` builds: logs `Received: data` and
 * `Sending: data` for every chunk (`twisted.protocols.policies.SpewingProtocol`).
 *
 * @example
 * ```ts
 * import { SpewingFactory } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 * import { formatEvent, Logger } from "@tw/core/logger";
 * import { StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const logger = new Logger("spew", (event) => console.log(formatEvent(event)));
 * const factory = new SpewingFactory(Factory.forProtocol(Protocol), logger);
 * const wrapper = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 1234))!;
 * wrapper.makeConnection(new StringTransport());
 * wrapper.dataReceived(new TextEncoder().encode("hi")); // Received: "hi"
 * ```
 */
export class SpewingProtocol extends ProtocolWrapper {
  /** The factory that built this wrapper. */
  declare factory: SpewingFactory;

  /** Logs, then delivers. */
  override dataReceived(data: Uint8Array): void {
    this.factory.logger.info("Received: {data}", { data: bytesRepr(data) });
    super.dataReceived(data);
  }

  /** Logs, then writes. */
  override write(data: Uint8Array): void {
    this.factory.logger.info("Sending: {data}", { data: bytesRepr(data) });
    super.write(data);
  }

  /** Logs each chunk, then writes. */
  override writeSequence(data: Iterable<Uint8Array>): void {
    for (const chunk of data) this.write(chunk);
  }
}

/**
 * Logs every chunk read and written by the wrapped protocols to a `Logger`
 * (`twisted.protocols.policies.SpewingFactory`).
 *
 * @example
 * ```ts
 * import { SpewingFactory } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 *
 * const factory = new SpewingFactory(Factory.forProtocol(Protocol));
 * ```
 */
export class SpewingFactory extends WrappingFactory {
  /** Where the lines go. */
  logger: Logger;

  /**
   * Makes the factory.
   * @param wrappedFactory the factory whose protocols are logged
   * @param logger where the lines go; namespace "tw.protocols.policies.spew" by default
   */
  constructor(wrappedFactory: IProtocolFactory, logger?: Logger) {
    super(wrappedFactory);
    this.protocolWrapper = SpewingProtocol;
    this.logger = logger ?? new Logger("tw.protocols.policies.spew");
  }
}
