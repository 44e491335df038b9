/**
 * Length-prefixed string receivers (`twisted.protocols.basic.IntNStringReceiver`
 * and its 8, 16 and 32 bit variants). Private to src/protocols.
 *
 * @module
 */
import { PauseableReceiver } from "./_basic_pauseable.ts";
import { ByteBuffer, toBytes, transportPaused } from "./_basic_buffer.ts";

/**
 * `sendString` was given more bytes than the length prefix can express.
 *
 * @example
 * ```ts
 * import { Int8StringReceiver, StringTooLongError } from "@tw/core/protocols/basic";
 * import { StringTransport } from "@tw/core/testing";
 * const p = new Int8StringReceiver();
 * p.makeConnection(new StringTransport());
 * try {
 *   p.sendString(new Uint8Array(256)); // an 8-bit prefix says at most 255
 * } catch (e) {
 *   console.log(e instanceof StringTooLongError); // true
 * }
 * ```
 */
export class StringTooLongError extends RangeError {
  /**
   * Makes the error.
   * @param message what was too long
   */
  constructor(message = "String too long for its length prefix") {
    super(message);
    this.name = "StringTooLongError";
  }
}

/**
 * Receives strings each preceded by its length as a big-endian unsigned
 * integer of `prefixLength` bytes (network byte order, as Twisted's
 * `structFormat` "!B", "!H", "!I"). Use `Int8StringReceiver`,
 * `Int16StringReceiver` or `Int32StringReceiver`.
 *
 * Strings are delivered wherever the chunks break; a declared length above
 * `MAX_LENGTH` calls `lengthLimitExceeded` and stops processing. Delivery
 * holds while paused (`pauseProducing`, or a transport whose `paused` is
 * true); `resumeProducing` delivers what was held back.
 *
 * @example
 * ```ts
 * import { IntNStringReceiver } from "@tw/core/protocols/basic";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Framed extends IntNStringReceiver {
 *   readonly prefixLength = 2 as const;
 *   override stringReceived(s: Uint8Array): void {
 *     console.log(new TextDecoder().decode(s));
 *   }
 * }
 * const p = new Framed();
 * p.makeConnection(new StringTransport());
 * p.dataReceived(new Uint8Array([0, 2, 104, 105])); // "hi"
 * ```
 */
export abstract class IntNStringReceiver extends PauseableReceiver {
  /** The longest string accepted, in bytes. @default 99999 */
  MAX_LENGTH = 99999;
  /** Bytes in the length prefix. */
  abstract readonly prefixLength: 1 | 2 | 4;
  #buffer = new ByteBuffer();
  #busy = false;

  /** Splits `data` into strings and delivers them. */
  override dataReceived(data: Uint8Array): void {
    this.#buffer.append(data);
    if (this.#busy) return;
    this.#busy = true;
    try {
      this.#deliver();
    } finally {
      this.#busy = false;
    }
  }

  #deliver(): void {
    const buffer = this.#buffer;
    const n = this.prefixLength;
    while (buffer.length >= n && !this.paused && !transportPaused(this.transport)) {
      let length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + buffer.at(i);
      if (length > this.MAX_LENGTH) {
        this.lengthLimitExceeded(length);
        return;
      }
      if (buffer.length < n + length) return;
      const string = buffer.copy(n, n + length);
      buffer.consume(n + length);
      this.stringReceived(string);
    }
  }

  /**
   * Called with each string received (a copy it owns).
   * @throws {Error} when not overridden
   */
  stringReceived(_string: Uint8Array): void {
    throw new Error(`${this.constructor.name}.stringReceived is not implemented`);
  }

  /**
   * Called when a prefix declares more than `MAX_LENGTH` bytes; the default
   * closes the connection.
   */
  lengthLimitExceeded(_length: number): void {
    this.transport.loseConnection();
  }

  /**
   * Writes `string` with its length prefix (a JavaScript string is encoded as UTF-8).
   * @throws {StringTooLongError} when the prefix cannot express its length
   */
  sendString(string: Uint8Array | string): void {
    const bytes = toBytes(string);
    const n = this.prefixLength;
    const limit = 2 ** (8 * n);
    if (bytes.byteLength >= limit) {
      throw new StringTooLongError(
        `Cannot send ${bytes.byteLength} bytes: the maximum is ${limit - 1}`,
      );
    }
    const out = new Uint8Array(n + bytes.byteLength);
    let length = bytes.byteLength;
    for (let i = n - 1; i >= 0; i--) {
      out[i] = length & 0xff;
      length = Math.floor(length / 256);
    }
    out.set(bytes, n);
    this.transport.write(out);
  }
}

/**
 * Strings with a 1-byte length prefix (at most 255 bytes each).
 *
 * @example
 * ```ts
 * import { Int8StringReceiver } from "@tw/core/protocols/basic";
 * const got: number[] = [];
 * class P extends Int8StringReceiver {
 *   override stringReceived(s: Uint8Array): void {
 *     got.push(s.byteLength);
 *   }
 * }
 * new P().dataReceived(new Uint8Array([2, 7, 7, 0]));
 * console.log(got); // [ 2, 0 ]
 * ```
 */
export class Int8StringReceiver extends IntNStringReceiver {
  /** 1. */
  readonly prefixLength = 1 as const;
}

/**
 * Strings with a 2-byte big-endian length prefix (at most 65535 bytes each).
 *
 * @example
 * ```ts
 * import { Int16StringReceiver } from "@tw/core/protocols/basic";
 * import { StringTransport } from "@tw/core/testing";
 * const transport = new StringTransport();
 * const p = new Int16StringReceiver();
 * p.makeConnection(transport);
 * p.sendString("hi");
 * console.log(transport.value()); // Uint8Array(4) [ 0, 2, 104, 105 ]
 * ```
 */
export class Int16StringReceiver extends IntNStringReceiver {
  /** 2. */
  readonly prefixLength = 2 as const;
}

/**
 * Strings with a 4-byte big-endian length prefix: the usual framing of
 * binary protocols.
 *
 * @example
 * ```ts
 * import { Int32StringReceiver } from "@tw/core/protocols/basic";
 * import { connectedServerAndClient } from "@tw/core/testing";
 *
 * const received: string[] = [];
 * class Server extends Int32StringReceiver {
 *   override stringReceived(s: Uint8Array): void {
 *     received.push(new TextDecoder().decode(s));
 *   }
 * }
 * const [client, , pump] = connectedServerAndClient<Int32StringReceiver>(
 *   () => new Server(),
 *   () => new Int32StringReceiver(),
 * );
 * client.sendString("ping");
 * pump.flush();
 * console.log(received); // [ "ping" ]
 * ```
 */
export class Int32StringReceiver extends IntNStringReceiver {
  /** 4. */
  readonly prefixLength = 4 as const;
}
