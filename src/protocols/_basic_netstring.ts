/**
 * Netstrings (`twisted.protocols.basic.NetstringReceiver`): `<length>:<data>,`
 * with the length in decimal ASCII (https://cr.yp.to/proto/netstrings.txt).
 * Private to src/protocols.
 *
 * @module
 */
import { PauseableReceiver } from "./_basic_pauseable.ts";
import { ByteBuffer, toBytes, transportDisconnecting, transportPaused } from "./_basic_buffer.ts";

const COLON = 0x3a;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * A peer sent something that is not a netstring (the reason the connection is dropped).
 *
 * @example
 * ```ts
 * import { NetstringParseError, NetstringReceiver } from "@tw/core/protocols/basic";
 * import { StringTransport } from "@tw/core/testing";
 * const transport = new StringTransport();
 * const p = new NetstringReceiver();
 * p.makeConnection(transport);
 * p.dataReceived(new TextEncoder().encode("5:hello;"));
 * console.log(p.parseError instanceof NetstringParseError, transport.disconnecting); // true true
 * ```
 */
export class NetstringParseError extends Error {
  /**
   * Makes the error.
   * @param message what was wrong
   */
  constructor(message = "Malformed netstring") {
    super(message);
    this.name = "NetstringParseError";
  }
}

/**
 * Receives and sends netstrings. A malformed netstring (no length, a length
 * with a leading zero, a length above `MAX_LENGTH`, no final comma) calls
 * `handleParseError`, which by default records the `NetstringParseError` in
 * `parseError`, sets `brokenPeer` and closes the connection; nothing more is
 * parsed from that peer. Delivery holds while paused, as `IntNStringReceiver`.
 *
 * @example
 * ```ts
 * import { NetstringReceiver } from "@tw/core/protocols/basic";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Echo extends NetstringReceiver {
 *   override stringReceived(s: Uint8Array): void {
 *     this.sendString(s);
 *   }
 * }
 * const transport = new StringTransport();
 * const echo = new Echo();
 * echo.makeConnection(transport);
 * echo.dataReceived(new TextEncoder().encode("5:hello,"));
 * console.log(transport.valueText()); // "5:hello,"
 * ```
 */
export class NetstringReceiver extends PauseableReceiver {
  /** The longest string accepted, in bytes. @default 99999 */
  MAX_LENGTH = 99999;
  /** True once the peer sent a malformed netstring. */
  brokenPeer = false;
  /** Why the peer was judged broken, or null. */
  parseError: NetstringParseError | null = null;
  #buffer = new ByteBuffer();
  #busy = false;

  /** Parses `data` and delivers each complete netstring. */
  override dataReceived(data: Uint8Array): void {
    if (this.brokenPeer) return;
    this.#buffer.append(data);
    if (this.#busy) return;
    this.#busy = true;
    try {
      this.#deliver();
    } catch (error) {
      if (!(error instanceof NetstringParseError)) throw error;
      this.#buffer.clear();
      this.handleParseError(error);
    } finally {
      this.#busy = false;
    }
  }

  #deliver(): void {
    const buffer = this.#buffer;
    while (buffer.length > 0 && !this.paused && !transportPaused(this.transport)) {
      if (this.brokenPeer || transportDisconnecting(this.transport)) return;
      const header = this.#header();
      if (header === null) return;
      const [length, start] = header;
      const end = start + length;
      if (buffer.length < end + 1) return;
      if (buffer.at(end) !== COMMA) {
        throw new NetstringParseError("The received netstring is not terminated by a comma");
      }
      const string = buffer.copy(start, end);
      buffer.consume(end + 1);
      this.stringReceived(string);
    }
  }

  /** The declared length and where the data starts, or null while the header is incomplete. */
  #header(): [number, number] | null {
    const buffer = this.#buffer;
    const maxDigits = String(this.MAX_LENGTH).length;
    const scan = Math.min(buffer.length, maxDigits + 1);
    let length = 0;
    for (let i = 0; i < scan; i++) {
      const c = buffer.at(i);
      if (c === COLON) {
        if (i === 0) throw missingLength();
        if (length > this.MAX_LENGTH) throw this.#tooLong();
        return [length, i + 1];
      }
      if (c < ZERO || c > NINE) throw missingLength();
      if (i === 1 && buffer.at(0) === ZERO) throw missingLength(); // "0" is the only length with a leading zero
      length = length * 10 + (c - ZERO);
    }
    if (buffer.length > maxDigits) throw this.#tooLong();
    return null;
  }

  #tooLong(): NetstringParseError {
    return new NetstringParseError(
      `The received netstring is longer than the maximum ${this.MAX_LENGTH} specified by MAX_LENGTH`,
    );
  }

  /**
   * Called with each string received (a copy it owns).
   * @throws {Error} when not overridden
   */
  stringReceived(_string: Uint8Array): void {
    throw new Error(`${this.constructor.name}.stringReceived is not implemented`);
  }

  /**
   * Called when the peer sent a malformed netstring: records `parseError`,
   * sets `brokenPeer` and closes the connection.
   */
  handleParseError(error: NetstringParseError): void {
    this.brokenPeer = true;
    this.parseError = error;
    this.transport.loseConnection();
  }

  /** Writes `string` as a netstring (a JavaScript string is encoded as UTF-8). */
  sendString(string: Uint8Array | string): void {
    const bytes = toBytes(string);
    const prefix = toBytes(`${bytes.byteLength}:`);
    const out = new Uint8Array(prefix.byteLength + bytes.byteLength + 1);
    out.set(prefix);
    out.set(bytes, prefix.byteLength);
    out[out.byteLength - 1] = COMMA;
    this.transport.write(out);
  }
}

function missingLength(): NetstringParseError {
  return new NetstringParseError(
    "The received netstring does not start with a length specification",
  );
}
