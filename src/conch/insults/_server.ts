/**
 * The server side of a terminal (`twisted.conch.insults.insults.ServerProtocol`):
 * bytes from the keyboard become keystrokes (VT100 / xterm escape sequences
 * into key IDs, UTF-8 into characters, parsed across chunk boundaries, with
 * every buffer bounded), and `ITerminalTransport` calls become escape
 * sequences for the screen.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { Deferred } from "../../internet/defer.ts";
import type { Failure } from "../../internet/failure.ts";
import { Protocol } from "../../internet/protocol.ts";
import {
  ALT,
  CONTROL,
  CS_ALTERNATE,
  CS_ALTERNATE_SPECIAL,
  CS_DRAWING,
  CS_UK,
  CS_US,
  DELETE,
  DOWN_ARROW,
  END,
  F1,
  F10,
  F11,
  F12,
  F2,
  F3,
  F4,
  F5,
  F6,
  F7,
  F8,
  F9,
  G0,
  G1,
  HOME,
  INSERT,
  type ITerminalProtocol,
  type ITerminalTransport,
  LEFT_ARROW,
  type Modifier,
  NUMPAD_MIDDLE,
  PGDN,
  PGUP,
  RIGHT_ARROW,
  SHIFT,
  UP_ARROW,
} from "./_terminal.ts";

const te = new TextEncoder();

/** The longest control sequence kept; a longer one is dropped. */
export const MAX_CONTROL_SEQUENCE = 64;

const CSI_LETTERS: Record<string, string> = {
  A: UP_ARROW,
  B: DOWN_ARROW,
  C: RIGHT_ARROW,
  D: LEFT_ARROW,
  E: NUMPAD_MIDDLE,
  F: END,
  H: HOME,
  P: F1,
  Q: F2,
  S: F4,
};
const SS3_LETTERS: Record<string, string> = { ...CSI_LETTERS, R: F3 };
const TILDE: Record<number, string> = {
  1: HOME,
  2: INSERT,
  3: DELETE,
  4: END,
  5: PGUP,
  6: PGDN,
  7: HOME,
  8: END,
  11: F1,
  12: F2,
  13: F3,
  14: F4,
  15: F5,
  17: F6,
  18: F7,
  19: F8,
  20: F9,
  21: F10,
  23: F11,
  24: F12,
};

/** xterm's modifier parameter (1 + shift 1, alt 2, control 4) as one modifier. */
function modifierOf(param: string | undefined): Modifier | undefined {
  if (param === undefined) return null;
  if (!/^\d{1,3}$/.test(param)) return undefined;
  const bits = Number(param) - 1;
  if (bits < 0 || bits > 15) return undefined;
  if (bits & 4) return CONTROL;
  if (bits & 2) return ALT;
  if (bits & 1) return SHIFT;
  return null;
}

type State = "data" | "escaped" | "csi" | "csi-skip" | "ss3";

/**
 * A terminal's server side (Twisted's `ServerProtocol`): run it over the
 * connection (telnet, an SSH session), and it makes the terminal program
 * with `protocolFactory`, hands it keystrokes, and is its
 * `ITerminalTransport`.
 *
 * @example
 * ```ts
 * import { ServerProtocol, TerminalProtocol } from "@tw/core/conch/insults";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Hello extends TerminalProtocol {
 *   override connectionMade(): void {
 *     this.terminal!.eraseDisplay();
 *     this.terminal!.cursorHome();
 *     this.terminal!.write("hello\n");
 *   }
 * }
 * const transport = new StringTransport();
 * new ServerProtocol(() => new Hello()).makeConnection(transport);
 * console.log(JSON.stringify(transport.valueText())); // "\u001b[2J\u001b[Hhello\r\n"
 * ```
 */
export class ServerProtocol extends Protocol implements ITerminalTransport {
  /** Makes the terminal program on connection. */
  protocolFactory: (() => ITerminalProtocol) | null;
  /** The terminal program. */
  terminalProtocol: ITerminalProtocol | null = null;
  /** The terminal's size, as far as known: columns and lines. */
  termSize: { x: number; y: number } = { x: 80, y: 24 };
  /** Where this side believes the cursor is (0-based). */
  cursorPos: { x: number; y: number } = { x: 0, y: 0 };
  /** The key the terminal sends for backspace. */
  static readonly BACKSPACE = "\x7f";
  /** Tab. */
  static readonly TAB = "\t";

  #state: State = "data";
  #escBuf = "";
  #utf8: number[] = [];
  #utf8Need = 0;
  #cursorReports: Deferred<[number, number]>[] = [];
  #savedCursor: { x: number; y: number } | null = null;

  /** A terminal whose program `protocolFactory` makes. */
  constructor(protocolFactory: (() => ITerminalProtocol) | null = null) {
    super();
    this.protocolFactory = protocolFactory;
  }

  /** Makes and connects the terminal program. */
  override connectionMade(): void {
    if (this.protocolFactory === null) return;
    const program = this.protocolFactory();
    if (this.factory !== null) (program as { factory?: unknown }).factory = this.factory;
    this.terminalProtocol = program;
    program.makeConnection(this);
  }

  /** The terminal is `width` by `height`: remembered and told to the program. */
  terminalSize(width: number, height: number): void {
    this.termSize = { x: width, y: height };
    this.terminalProtocol?.terminalSize(width, height);
  }

  /** Parses keyboard bytes into keystrokes. */
  override dataReceived(data: Uint8Array): void {
    for (const byte of data) {
      if (this.terminalProtocol === null) return;
      this.#byte(byte);
    }
  }

  #key(keyID: string, modifier: Modifier): void {
    this.terminalProtocol?.keystrokeReceived(keyID, modifier);
  }

  #unhandled(seq: string): void {
    this.terminalProtocol?.unhandledControlSequence(te.encode(seq));
  }

  #byte(byte: number): void {
    switch (this.#state) {
      case "data":
        this.#dataByte(byte);
        return;
      case "escaped":
        if (byte === 0x5b) {
          this.#state = "csi";
          this.#escBuf = "";
        } else if (byte === 0x4f) {
          this.#state = "ss3";
        } else if (byte < 0x80) {
          this.#state = "data";
          this.#key(String.fromCharCode(byte), ALT);
        } else {
          this.#state = "data";
          this.#dataByte(byte);
        }
        return;
      case "ss3": {
        this.#state = "data";
        const ch = String.fromCharCode(byte);
        const key = SS3_LETTERS[ch];
        if (key !== undefined) this.#key(key, null);
        else this.#unhandled(`\x1bO${ch}`);
        return;
      }
      case "csi":
      case "csi-skip":
        if (byte >= 0x40 && byte <= 0x7e) {
          const skipped = this.#state === "csi-skip";
          this.#state = "data";
          if (!skipped) this.#controlSequence(this.#escBuf, String.fromCharCode(byte));
          this.#escBuf = "";
        } else if (byte >= 0x20 && byte <= 0x3f) {
          if (this.#state === "csi-skip") return;
          if (this.#escBuf.length >= MAX_CONTROL_SEQUENCE) {
            this.#unhandled(`\x1b[${this.#escBuf}`);
            this.#escBuf = "";
            this.#state = "csi-skip";
          } else {
            this.#escBuf += String.fromCharCode(byte);
          }
        } else {
          // A control character or a stray byte ends the sequence unfinished.
          if (this.#state === "csi") this.#unhandled(`\x1b[${this.#escBuf}`);
          this.#escBuf = "";
          this.#state = "data";
          this.#dataByte(byte);
        }
        return;
    }
  }

  #dataByte(byte: number): void {
    if (this.#utf8Need > 0) {
      if ((byte & 0xc0) === 0x80) {
        this.#utf8.push(byte);
        if (--this.#utf8Need === 0) {
          const text = new TextDecoder().decode(new Uint8Array(this.#utf8));
          this.#utf8 = [];
          for (const ch of text) this.#key(ch, null);
        }
        return;
      }
      this.#utf8 = [];
      this.#utf8Need = 0;
      this.#key("\ufffd", null);
    }
    if (byte === 0x1b) {
      this.#state = "escaped";
    } else if (byte < 0x80) {
      this.#key(String.fromCharCode(byte), null);
    } else if (byte >= 0xc2 && byte <= 0xf4) {
      this.#utf8 = [byte];
      this.#utf8Need = byte >= 0xf0 ? 3 : byte >= 0xe0 ? 2 : 1;
    } else {
      this.#key("\ufffd", null);
    }
  }

  #controlSequence(params: string, final: string): void {
    const seq = `\x1b[${params}${final}`;
    if (final === "R" && this.#cursorReports.length > 0) {
      const match = /^(\d{1,5});(\d{1,5})$/.exec(params);
      if (match !== null) {
        const report = this.#cursorReports.shift()!;
        report.callback([Number(match[2]) - 1, Number(match[1]) - 1]);
        return;
      }
    }
    if (final === "~") {
      const [code, mod] = params.split(";");
      const key = /^\d{1,2}$/.test(code) ? TILDE[Number(code)] : undefined;
      const modifier = modifierOf(mod);
      if (key !== undefined && modifier !== undefined && params.split(";").length <= 2) {
        this.#key(key, modifier);
      } else {
        this.#unhandled(seq);
      }
      return;
    }
    if (final === "Z" && params === "") {
      this.#key("\t", SHIFT);
      return;
    }
    const key = CSI_LETTERS[final];
    if (key !== undefined) {
      if (params === "") {
        this.#key(key, null);
        return;
      }
      const parts = params.split(";");
      const modifier = modifierOf(parts[1]);
      if (parts.length === 2 && parts[0] === "1" && modifier !== undefined) {
        this.#key(key, modifier);
        return;
      }
    }
    this.#unhandled(seq);
  }

  // -- ITerminalTransport ----------------------------------------------------

  /** Writes text; a string goes out as UTF-8, LF as CR LF. */
  write(data: Uint8Array | string): void {
    const text = typeof data === "string" ? data : new TextDecoder().decode(data);
    if (text === "") return;
    this.transport?.write(te.encode(text.replaceAll("\n", "\r\n")));
  }
  /** Writes each piece. */
  writeSequence(data: Iterable<Uint8Array | string>): void {
    for (const piece of data) this.write(piece);
  }
  #csi(body: string): void {
    this.write(`\x1b[${body}`);
  }
  #count(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Bad count: ${n}`);
    return n;
  }
  /** Moves the cursor up. */
  cursorUp(n = 1): void {
    this.cursorPos.y = Math.max(this.cursorPos.y - this.#count(n), 0);
    this.#csi(`${n}A`);
  }
  /** Moves the cursor down. */
  cursorDown(n = 1): void {
    this.cursorPos.y = Math.min(this.cursorPos.y + this.#count(n), this.termSize.y - 1);
    this.#csi(`${n}B`);
  }
  /** Moves the cursor right. */
  cursorForward(n = 1): void {
    this.cursorPos.x = Math.min(this.cursorPos.x + this.#count(n), this.termSize.x - 1);
    this.#csi(`${n}C`);
  }
  /** Moves the cursor left. */
  cursorBackward(n = 1): void {
    this.cursorPos.x = Math.max(this.cursorPos.x - this.#count(n), 0);
    this.#csi(`${n}D`);
  }
  /** Moves the cursor to `column`, `line` (0-based). */
  cursorPosition(column: number, line: number): void {
    this.cursorPos = { x: column, y: line };
    this.#csi(`${line + 1};${column + 1}H`);
  }
  /** Moves the cursor to the top left. */
  cursorHome(): void {
    this.cursorPos = { x: 0, y: 0 };
    this.#csi("H");
  }
  /** Index (ESC D). */
  index(): void {
    this.cursorPos.y = Math.min(this.cursorPos.y + 1, this.termSize.y - 1);
    this.write("\x1bD");
  }
  /** Reverse index (ESC M). */
  reverseIndex(): void {
    this.cursorPos.y = Math.max(this.cursorPos.y - 1, 0);
    this.write("\x1bM");
  }
  /** Next line. */
  nextLine(): void {
    this.cursorPos = { x: 0, y: Math.min(this.cursorPos.y + 1, this.termSize.y - 1) };
    this.write("\n");
  }
  /** Saves the cursor (ESC 7). */
  saveCursor(): void {
    this.#savedCursor = { ...this.cursorPos };
    this.write("\x1b7");
  }
  /** Restores the cursor (ESC 8). */
  restoreCursor(): void {
    if (this.#savedCursor !== null) this.cursorPos = this.#savedCursor;
    this.#savedCursor = null;
    this.write("\x1b8");
  }
  /** Sets ANSI modes. */
  setModes(modes: Iterable<number>): void {
    this.#csi(`${[...modes].join(";")}h`);
  }
  /** Resets ANSI modes. */
  resetModes(modes: Iterable<number>): void {
    this.#csi(`${[...modes].join(";")}l`);
  }
  /** Sets DEC private modes. */
  setPrivateModes(modes: Iterable<number>): void {
    this.#csi(`?${[...modes].join(";")}h`);
  }
  /** Resets DEC private modes. */
  resetPrivateModes(modes: Iterable<number>): void {
    this.#csi(`?${[...modes].join(";")}l`);
  }
  /** Application keypad (ESC =). */
  applicationKeypadMode(): void {
    this.write("\x1b=");
  }
  /** Numeric keypad (ESC >). */
  numericKeypadMode(): void {
    this.write("\x1b>");
  }
  /** Selects a character set into G0 or G1. */
  selectCharacterSet(charSet: string, which: string): void {
    const slot = which === G0 ? "(" : which === G1 ? ")" : null;
    if (slot === null) throw new RangeError(`Bad character set slot: ${which}`);
    const sets: Record<string, string> = {
      [CS_UK]: "A",
      [CS_US]: "B",
      [CS_DRAWING]: "0",
      [CS_ALTERNATE]: "1",
      [CS_ALTERNATE_SPECIAL]: "2",
    };
    const set = sets[charSet];
    if (set === undefined) throw new RangeError(`Bad character set: ${charSet}`);
    this.write(`\x1b${slot}${set}`);
  }
  /** Shift in. */
  shiftIn(): void {
    this.write("\x15");
  }
  /** Shift out. */
  shiftOut(): void {
    this.write("\x14");
  }
  /** Single shift 2. */
  singleShift2(): void {
    this.write("\x1bN");
  }
  /** Single shift 3. */
  singleShift3(): void {
    this.write("\x1bO");
  }
  /** Sets character attributes. */
  selectGraphicRendition(...attributes: (string | number)[]): void {
    this.#csi(`${attributes.join(";")}m`);
  }
  /** Sets a tab stop. */
  horizontalTabulationSet(): void {
    this.write("\x1bH");
  }
  /** Clears the tab stop here. */
  tabulationClear(): void {
    this.#csi("q");
  }
  /** Clears every tab stop. */
  tabulationClearAll(): void {
    this.#csi("3q");
  }
  /** Double height line. */
  doubleHeightLine(top = true): void {
    this.write(top ? "\x1b#3" : "\x1b#4");
  }
  /** Single width line. */
  singleWidthLine(): void {
    this.write("\x1b#5");
  }
  /** Double width line. */
  doubleWidthLine(): void {
    this.write("\x1b#6");
  }
  /** Erases to the end of the line. */
  eraseToLineEnd(): void {
    this.#csi("K");
  }
  /** Erases to the start of the line. */
  eraseToLineBeginning(): void {
    this.#csi("1K");
  }
  /** Erases the line. */
  eraseLine(): void {
    this.#csi("2K");
  }
  /** Erases to the end of the screen. */
  eraseToDisplayEnd(): void {
    this.#csi("J");
  }
  /** Erases to the start of the screen. */
  eraseToDisplayBeginning(): void {
    this.#csi("1J");
  }
  /** Erases the screen. */
  eraseDisplay(): void {
    this.#csi("2J");
  }
  /** Deletes characters. */
  deleteCharacter(n = 1): void {
    this.#csi(`${this.#count(n)}P`);
  }
  /** Inserts lines. */
  insertLine(n = 1): void {
    this.#csi(`${this.#count(n)}L`);
  }
  /** Deletes lines. */
  deleteLine(n = 1): void {
    this.#csi(`${this.#count(n)}M`);
  }
  /** Sets the scroll region. */
  setScrollRegion(first: number | null = null, last: number | null = null): void {
    this.#csi(`${first ?? ""};${last ?? ""}r`);
  }
  /** Resets the scroll region. */
  resetScrollRegion(): void {
    this.setScrollRegion();
  }
  /** Asks where the cursor is: fires with `[column, line]`, 0-based. */
  reportCursorPosition(): Deferred<[number, number]> {
    const report = new Deferred<[number, number]>();
    this.#cursorReports.push(report);
    this.#csi("6n");
    return report;
  }
  /** Resets the terminal (ESC c). */
  reset(): void {
    this.cursorPos = { x: 0, y: 0 };
    this.#savedCursor = null;
    this.write("\x1bc");
  }
  /** Resets the terminal and closes the connection. */
  loseConnection(): void {
    this.reset();
    this.transport?.loseConnection();
  }
  /** Tells the program. */
  override connectionLost(reason: Failure): void {
    const program = this.terminalProtocol;
    this.terminalProtocol = null;
    this.#cursorReports = [];
    program?.connectionLost(reason);
  }
}
