/**
 * Banana, Perspective Broker's wire format (`twisted.spread.banana`):
 * s-expressions of lists, byte strings, integers and floats.
 *
 * On the wire, as Twisted: a base-128 prefix (low digit first) and a type
 * byte; byte strings and lists carry their length, floats 8 bytes of IEEE
 * double. The server offers its dialects (`pb`, `none`) and the client
 * picks one; in `pb`, the words of `PB_VOCABULARY` travel as small numbers.
 *
 * Limits: Twisted's (prefixes of 64 bytes, so integers up to 448 bits;
 * strings and lists up to `SIZE_LIMIT`, 640 KiB) and ours (lists nested up
 * to 1000 deep, 16 MiB per expression). Received past a limit, or with an
 * unknown type byte or vocabulary entry, the connection closes; sent, the
 * call throws `BananaError` and nothing is written.
 *
 * @example
 * ```ts
 * import { decode, encode } from "@tw/core/spread/banana";
 * const bytes = encode([1, "two", [3.5, -4n]]);
 * console.log(decode(bytes)); // [1, Uint8Array "two", [3.5, -4]]
 * ```
 *
 * @module
 */
import { Protocol } from "../internet/protocol.ts";
import { WriteCork } from "../internet/_write_cork.ts";
import type { Failure } from "../internet/failure.ts";
import { Logger } from "../logger/mod.ts";
import { BananaDecoder, BananaError, type BananaValue, encodeExpression } from "./_banana_codec.ts";

export {
  BananaError,
  type BananaValue,
  MAX_DEPTH,
  MAX_EXPRESSION_SIZE,
  PB_VOCABULARY,
  PREFIX_LIMIT,
  SIZE_LIMIT,
} from "./_banana_codec.ts";

const log = new Logger("tw.spread.banana");
const te = new TextEncoder();
const td = new TextDecoder();

/**
 * Encodes one expression (Twisted's `banana.encode`, in the `none`
 * dialect). Throws `BananaError` for values Banana cannot carry or past a
 * limit.
 *
 * @example
 * ```ts
 * import { encode } from "@tw/core/spread/banana";
 * console.log(encode(["hello", 1])); // 02 80 05 82 h e l l o 01 81
 * ```
 */
export function encode(value: BananaValue): Uint8Array {
  return encodeExpression(value, false);
}

/**
 * Decodes the first complete expression of `bytes` (Twisted's
 * `banana.decode`, in the `none` dialect). Throws `BananaError` for bad or
 * incomplete input.
 *
 * @example
 * ```ts
 * import { decode } from "@tw/core/spread/banana";
 * console.log(decode(new Uint8Array([0x2a, 0x81]))); // 42
 * ```
 */
export function decode(bytes: Uint8Array): BananaValue {
  const found: BananaValue[] = [];
  const decoder = new BananaDecoder((v) => found.push(v));
  decoder.feed(bytes);
  if (found.length === 0) throw new BananaError("Incomplete Banana expression");
  return found[0];
}

/** Options for `Banana`. */
export interface BananaOptions {
  /**
   * True for the connecting side (it picks a dialect), false for the
   * listening side (it offers them).
   * @default true
   */
  isClient?: boolean;
}

/**
 * The Banana protocol, client and server (`twisted.spread.banana.Banana`).
 * Subclasses override `expressionReceived` and `connectionReady`, and send
 * with `sendEncoded`. What is sent while `dataReceived` runs (the answers
 * to what it read) goes out in one write when it returns; using
 * `this.transport` first writes what is held, so the order is kept.
 *
 * @example
 * ```ts
 * import { Banana, type BananaValue } from "@tw/core/spread/banana";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Echo extends Banana {
 *   override expressionReceived(value: BananaValue): void {
 *     this.sendEncoded(value);
 *   }
 * }
 * const server = new Echo({ isClient: false });
 * const transport = new StringTransport();
 * server.makeConnection(transport);
 * console.log(transport.value()); // the offered dialects: ["pb", "none"]
 * ```
 */
export class Banana extends Protocol {
  /** The dialects this side speaks, best first. */
  knownDialects: string[] = ["pb", "none"];
  /** The dialect in use once negotiated, else null. */
  currentDialect: string | null = null;
  /** True on the side that picks the dialect. */
  readonly isClient: boolean;
  #decoder: BananaDecoder;
  // Holds what is sent while dataReceived runs (see the class comment).
  #cork: WriteCork;

  /** Makes a Banana protocol; see `BananaOptions`. */
  constructor(options: BananaOptions = {}) {
    super();
    this.isClient = options.isClient ?? true;
    this.#decoder = new BananaDecoder((value) => this.#callExpressionReceived(value));
    this.#cork = new WriteCork(this, () => this.connected);
  }

  /** Offers the dialects when this is the server side. */
  override connectionMade(): void {
    this.currentDialect = null;
    if (!this.isClient) this.sendEncoded(this.knownDialects);
  }

  /** Called once the dialect is chosen; override it. */
  connectionReady(): void {}

  /** Called with each expression after negotiation; override it. */
  expressionReceived(_value: BananaValue): void {}

  /**
   * Encodes `value` and writes it. Throws `BananaError` (and writes
   * nothing) for a value Banana cannot carry or past a limit.
   */
  sendEncoded(value: BananaValue): void {
    const bytes = encodeExpression(value, this.currentDialect === "pb");
    this.#cork.write(bytes);
  }

  /** Feeds bytes to the decoder; bad input closes the connection. */
  override dataReceived(data: Uint8Array): void {
    if (this.transport?.disconnecting) return;
    const outer = this.#cork.hold();
    try {
      this.#decoder.feed(data);
    } catch (e) {
      log.failure(
        "Bad Banana input from the peer: closing the connection",
        e instanceof BananaError ? e : new BananaError(String(e)),
        "warn",
      );
      this.transport.loseConnection();
    } finally {
      if (outer) this.#cork.release();
    }
  }

  /** Drops what is held: the connection is gone. */
  override connectionLost(reason: Failure): void {
    this.#cork.drop();
    super.connectionLost(reason);
  }

  #selectDialect(dialect: string): void {
    this.currentDialect = dialect;
    this.#decoder.vocabulary = dialect === "pb";
    this.connectionReady();
  }

  #callExpressionReceived(value: BananaValue): void {
    if (this.transport?.disconnecting) return;
    if (this.currentDialect !== null) {
      try {
        this.expressionReceived(value);
      } catch (e) {
        log.failure("Banana expression handler failed: closing the connection", e, "error");
        this.transport.loseConnection();
      }
      return;
    }
    if (this.isClient) {
      const offered = Array.isArray(value) ? value : [];
      for (const item of offered) {
        if (!(item instanceof Uint8Array)) continue;
        const name = td.decode(item);
        if (this.knownDialects.includes(name)) {
          this.sendEncoded(te.encode(name));
          this.#selectDialect(name);
          return;
        }
      }
      log.info("The server offers no dialect this client speaks: disconnecting");
      this.transport.loseConnection();
      return;
    }
    const name = value instanceof Uint8Array ? td.decode(value) : null;
    if (name !== null && this.knownDialects.includes(name)) {
      this.#selectDialect(name);
      return;
    }
    log.info("The client chose a dialect this server does not know: disconnecting");
    this.transport.loseConnection();
  }
}
