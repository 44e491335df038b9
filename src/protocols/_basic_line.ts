/**
 * Line-oriented receivers (`twisted.protocols.basic.LineReceiver`,
 * `LineOnlyReceiver`) and the text variant. Private to src/protocols; the
 * public names are re-exported by basic.ts.
 *
 * @module
 */
import { Protocol } from "../internet/protocol.ts";
import { PauseableReceiver } from "./_basic_pauseable.ts";
import { ByteBuffer, toBytes, transportDisconnecting, transportPaused } from "./_basic_buffer.ts";

const CRLF = new Uint8Array([13, 10]);
const EMPTY = new Uint8Array(0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/**
 * The machinery `LineReceiver` and `TextLineReceiver` share: the buffer,
 * line and raw modes, the length limit and pausing. Subclass one of those two,
 * not this.
 *
 * Lines are split on `delimiter` wherever the chunks break; many lines in one
 * chunk are delivered one by one, and a mode change (`setRawMode`,
 * `setLineMode`) inside `lineReceived` / `rawDataReceived` applies to the
 * rest of that chunk. Delivery stops, keeping the rest buffered, while the
 * receiver is paused (its own `pauseProducing`, or a transport whose `paused`
 * is true) and once the transport is disconnecting. `resumeProducing()`
 * resumes the transport and delivers what was held back.
 *
 * @example
 * ```ts
 * import { LineReceiverBase, TextLineReceiver } from "@tw/core/protocols/basic";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Upload extends TextLineReceiver {
 *   override lineReceived(line: string): void {
 *     if (line === "") this.setRawMode(); // a blank line ends the header
 *   }
 *   override rawDataReceived(data: Uint8Array): void {
 *     console.log(data.byteLength);
 *   }
 * }
 * const p = new Upload();
 * p.makeConnection(new StringTransport());
 * p.dataReceived(new TextEncoder().encode("Name: a.txt\r\n\r\nbody")); // 4
 * console.log(p instanceof LineReceiverBase, p.lineMode); // true false
 * ```
 */
export abstract class LineReceiverBase extends PauseableReceiver {
  /** The line separator; settable, per instance or in a subclass. @default CRLF */
  delimiter: Uint8Array = CRLF;
  /** The longest line accepted, in bytes; longer ones call `lineLengthExceeded`. @default 16384 */
  MAX_LENGTH = 16384;
  #buffer = new ByteBuffer();
  #lineMode = true;
  #busy = false;
  /** Bytes at the front already searched for the delimiter without success. */
  #searched = 0;
  #searchedFor: Uint8Array = CRLF;

  /** True in line mode, false in raw mode. */
  get lineMode(): boolean {
    return this.#lineMode;
  }

  /** Splits `data` into lines (or passes it on raw) and delivers them. */
  override dataReceived(data: Uint8Array): void {
    this.#buffer.append(data);
    // Re-entered from a callback (setLineMode(extra), or a test): the running loop delivers it.
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
    while (buffer.length > 0 && !this.paused && !transportPaused(this.transport)) {
      if (transportDisconnecting(this.transport)) return;
      if (!this.#lineMode) {
        this.#searched = 0;
        this.rawDataReceived(buffer.take());
        continue;
      }
      const delimiter = this.delimiter;
      const d = delimiter.byteLength;
      // What was searched for another delimiter proves nothing about this one.
      if (delimiter !== this.#searchedFor) this.#searched = 0;
      this.#searchedFor = delimiter;
      const at = buffer.indexOf(delimiter, Math.max(0, this.#searched - d + 1));
      if (at < 0) {
        this.#searched = buffer.length;
        if (buffer.length < this.MAX_LENGTH + d) return;
        // Too long already. The default closes the connection; an override may
        // hand back bytes to go on with (setLineMode(extra)), processed below.
        this.#searched = 0;
        this.lineLengthExceeded(buffer.take());
        continue;
      }
      this.#searched = 0;
      if (at > this.MAX_LENGTH) {
        this.lineLengthExceeded(buffer.take());
        continue;
      }
      const line = buffer.copy(0, at);
      buffer.consume(at + d);
      this.deliverLine(line);
    }
  }

  /** Hands one line to the subclass's `lineReceived`. */
  protected abstract deliverLine(line: Uint8Array): void;

  /**
   * Called with data in raw mode (after `setRawMode`). Override it in
   * protocols that switch modes.
   * @throws {Error} when not overridden
   */
  rawDataReceived(_data: Uint8Array): void {
    throw new Error(`${this.constructor.name}.rawDataReceived is not implemented`);
  }

  /**
   * Called with a line too long for `MAX_LENGTH`: the line (or the whole
   * buffer when the delimiter has not come) and what followed it. The default
   * closes the connection.
   */
  lineLengthExceeded(_line: Uint8Array): void {
    this.transport.loseConnection();
  }

  /** Switches to raw mode: what follows goes to `rawDataReceived`, unsplit. */
  setRawMode(): void {
    this.#lineMode = false;
  }

  /**
   * Switches back to line mode; `extra` (bytes received in raw mode that
   * belong to the line protocol) is processed as if just received.
   */
  setLineMode(extra: Uint8Array = EMPTY): void {
    this.#lineMode = true;
    if (extra.byteLength > 0) this.dataReceived(extra);
  }

  /** Removes and returns the bytes received but not yet delivered. */
  clearLineBuffer(): Uint8Array {
    this.#searched = 0;
    return this.#buffer.take();
  }

  /** Writes `line` followed by `delimiter` (a string is encoded as UTF-8). */
  sendLine(line: Uint8Array | string): void {
    this.transport.write(concat(toBytes(line), this.delimiter));
  }
}

/**
 * Receives lines of bytes (`twisted.protocols.basic.LineReceiver`).
 * Override `lineReceived`; send with `sendLine`. See `LineReceiverBase` for
 * raw mode, the length limit and pausing.
 *
 * @example
 * ```ts
 * import { LineReceiver } from "@tw/core/protocols/basic";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Echo extends LineReceiver {
 *   override lineReceived(line: Uint8Array): void {
 *     this.sendLine(line);
 *   }
 * }
 * const transport = new StringTransport();
 * const echo = new Echo();
 * echo.makeConnection(transport);
 * echo.dataReceived(new TextEncoder().encode("one\r\ntw"));
 * echo.dataReceived(new TextEncoder().encode("o\r\n"));
 * console.log(transport.valueText()); // "one\r\ntwo\r\n"
 * ```
 */
export class LineReceiver extends LineReceiverBase {
  /**
   * Called with each line, without the delimiter (a copy it owns).
   * @throws {Error} when not overridden
   */
  lineReceived(_line: Uint8Array): void {
    throw new Error(`${this.constructor.name}.lineReceived is not implemented`);
  }

  /** Calls `lineReceived`. */
  protected deliverLine(line: Uint8Array): void {
    this.lineReceived(line);
  }
}

/**
 * A `LineReceiver` whose lines are strings: each line is decoded as UTF-8
 * (malformed bytes become U+FFFD) before `lineReceived`. Raw mode still
 * delivers bytes.
 *
 * @example
 * ```ts
 * import { TextLineReceiver } from "@tw/core/protocols/basic";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Greeter extends TextLineReceiver {
 *   override lineReceived(name: string): void {
 *     this.sendLine(`hello, ${name}`);
 *   }
 * }
 * const transport = new StringTransport();
 * const greeter = new Greeter();
 * greeter.makeConnection(transport);
 * greeter.dataReceived(new TextEncoder().encode("Zoë\r\n"));
 * console.log(transport.valueText()); // "hello, Zoë\r\n"
 * ```
 */
export class TextLineReceiver extends LineReceiverBase {
  #decoder = new TextDecoder();

  /**
   * Called with each line, decoded, without the delimiter.
   * @throws {Error} when not overridden
   */
  lineReceived(_line: string): void {
    throw new Error(`${this.constructor.name}.lineReceived is not implemented`);
  }

  /** Decodes and calls `lineReceived`. */
  protected deliverLine(line: Uint8Array): void {
    this.lineReceived(this.#decoder.decode(line));
  }
}

/**
 * A simpler, faster line receiver with no raw mode and no pausing
 * (`twisted.protocols.basic.LineOnlyReceiver`). A line (or a buffered
 * partial line) longer than `MAX_LENGTH` calls `lineLengthExceeded`.
 *
 * @example
 * ```ts
 * import { LineOnlyReceiver } from "@tw/core/protocols/basic";
 * const lines: string[] = [];
 * class Collect extends LineOnlyReceiver {
 *   override lineReceived(line: Uint8Array): void {
 *     lines.push(new TextDecoder().decode(line));
 *   }
 * }
 * const p = new Collect();
 * p.dataReceived(new TextEncoder().encode("a\r\nb\r\n"));
 * console.log(lines); // [ "a", "b" ]
 * ```
 */
export class LineOnlyReceiver extends Protocol {
  /** The line separator. @default CRLF */
  delimiter: Uint8Array = CRLF;
  /** The longest line accepted, in bytes. @default 16384 */
  MAX_LENGTH = 16384;
  #buffer = new ByteBuffer();
  #searched = 0;
  #searchedFor: Uint8Array = CRLF;

  /** Splits `data` into lines and delivers them, until the transport is disconnecting. */
  override dataReceived(data: Uint8Array): void {
    const buffer = this.#buffer;
    buffer.append(data);
    const delimiter = this.delimiter;
    const d = delimiter.byteLength;
    if (delimiter !== this.#searchedFor) this.#searched = 0;
    this.#searchedFor = delimiter;
    for (;;) {
      const at = buffer.indexOf(delimiter, Math.max(0, this.#searched - d + 1));
      if (at < 0) {
        this.#searched = buffer.length;
        break;
      }
      this.#searched = 0;
      if (transportDisconnecting(this.transport)) return;
      const line = buffer.copy(0, at);
      buffer.consume(at + d);
      if (line.byteLength > this.MAX_LENGTH) {
        this.lineLengthExceeded(line);
        return;
      }
      this.lineReceived(line);
    }
    if (buffer.length > this.MAX_LENGTH) {
      this.#searched = 0;
      this.lineLengthExceeded(buffer.take());
    }
  }

  /**
   * Called with each line, without the delimiter.
   * @throws {Error} when not overridden
   */
  lineReceived(_line: Uint8Array): void {
    throw new Error(`${this.constructor.name}.lineReceived is not implemented`);
  }

  /** Writes `line` followed by `delimiter` (a string is encoded as UTF-8). */
  sendLine(line: Uint8Array | string): void {
    this.transport.writeSequence([toBytes(line), this.delimiter]);
  }

  /** Called with a line too long for `MAX_LENGTH`; the default closes the connection. */
  lineLengthExceeded(_line: Uint8Array): void {
    this.transport.loseConnection();
  }
}
