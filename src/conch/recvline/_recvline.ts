/**
 * Line editing on a terminal (`twisted.conch.recvline`): `RecvLine` echoes
 * typing with left / right / home / end, backspace, delete and insert or
 * typeover; `HistoricRecvLine` adds history on up / down.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { Logger } from "../../logger/mod.ts";
import {
  DELETE,
  DOWN_ARROW,
  END,
  HOME,
  INSERT,
  type KeyID,
  LEFT_ARROW,
  type Modifier,
  RIGHT_ARROW,
  TerminalProtocol,
  UP_ARROW,
} from "../insults/_terminal.ts";

const log = new Logger("tw.conch.recvline");

/** The key for backspace (DEL, what terminals send). */
const BACKSPACE = "\x7f";

/**
 * A terminal program that reads lines with editing (Twisted's `RecvLine`).
 * Enter hands the line to `lineReceived`; the subclass draws the next
 * prompt. A line longer than `MAX_LENGTH` characters takes no more (the
 * terminal bell rings). The line is drawn for the terminal's width (from
 * `terminalSize`): it wraps, and the cursor moves across its rows; edits
 * redraw the rest of the line rather than rely on the terminal's insert
 * mode.
 *
 * @example
 * ```ts
 * import { ServerProtocol } from "@tw/core/conch/insults";
 * import { RecvLine } from "@tw/core/conch/recvline";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Shout extends RecvLine {
 *   override lineReceived(line: string): void {
 *     this.terminal!.write(line.toUpperCase() + "\n" + this.ps[this.pn]);
 *   }
 * }
 * const transport = new StringTransport();
 * const server = new ServerProtocol(() => new Shout());
 * server.makeConnection(transport);
 * server.dataReceived(new TextEncoder().encode("hi\r"));
 * console.log(transport.valueText().endsWith("HI\r\n>>> ")); // true
 * ```
 */
export class RecvLine extends TerminalProtocol {
  /** The terminal's width, from `terminalSize`. */
  width = 80;
  /** The terminal's height. */
  height = 24;
  /** Tab stops every this many columns. */
  TABSTOP = 4;
  /** The most characters a line holds. */
  MAX_LENGTH = 16384;
  /** The prompts: first and continuation. */
  ps: [string, string] = [">>> ", "... "];
  /** Which prompt is shown. */
  pn: 0 | 1 = 0;
  /** The line being typed, one character per entry. */
  lineBuffer: string[] = [];
  /** Where the cursor is in `lineBuffer`. */
  lineBufferIndex = 0;
  /** "insert" or "typeover". */
  mode: "insert" | "typeover" = "insert";
  /** What each key does. */
  keyHandlers: Map<KeyID, () => void> = new Map();
  #rang = false;

  /** Sets up the keys and the screen. */
  override connectionMade(): void {
    this.lineBuffer = [];
    this.lineBufferIndex = 0;
    this.keyHandlers = new Map<KeyID, () => void>([
      [LEFT_ARROW, () => this.handle_LEFT()],
      [RIGHT_ARROW, () => this.handle_RIGHT()],
      ["\t", () => this.handle_TAB()],
      ["\r", () => this.handle_RETURN()],
      ["\n", () => this.handle_RETURN()],
      [BACKSPACE, () => this.handle_BACKSPACE()],
      ["\b", () => this.handle_BACKSPACE()],
      [DELETE, () => this.handle_DELETE()],
      [INSERT, () => this.handle_INSERT()],
      [HOME, () => this.handle_HOME()],
      [END, () => this.handle_END()],
    ]);
    this.initializeScreen();
  }

  /** Resets the terminal, shows the prompt, starts in insert mode. */
  initializeScreen(): void {
    this.terminal!.reset();
    this.terminal!.write(this.ps[this.pn]);
    this.setInsertMode();
  }

  /** The text before and after the cursor. */
  currentLineBuffer(): [string, string] {
    const line = this.lineBuffer.join("");
    const before = this.lineBuffer.slice(0, this.lineBufferIndex).join("");
    return [before, line.slice(before.length)];
  }

  /** Typing inserts. */
  setInsertMode(): void {
    this.mode = "insert";
  }

  /** Typing replaces. */
  setTypeoverMode(): void {
    this.mode = "typeover";
  }

  /** Where index `i` of the line is on screen: rows below the prompt's, and column. */
  #position(i: number): [number, number] {
    const at = [...this.ps[this.pn]].length + i;
    const width = Math.max(this.width, 1);
    return [Math.floor(at / width), at % width];
  }

  /** Moves the cursor from index `from` of the line to index `to`, across wrapped rows. */
  moveCursor(from: number, to: number): void {
    const [fromRow, fromCol] = this.#position(from);
    const [toRow, toCol] = this.#position(to);
    const terminal = this.terminal!;
    if (toRow < fromRow) terminal.cursorUp(fromRow - toRow);
    else if (toRow > fromRow) terminal.cursorDown(toRow - fromRow);
    if (toCol > fromCol) terminal.cursorForward(toCol - fromCol);
    else if (toCol < fromCol) terminal.cursorBackward(fromCol - toCol);
  }

  /**
   * The text drawn for the line from index `from` (subclasses color it; it
   * must take one column per character).
   */
  renderLine(from: number): string {
    return this.lineBuffer.slice(from).join("");
  }

  /**
   * Redraws the line from index `from` (where the cursor is) to its end,
   * erases what was left after it, and puts the cursor at `lineBufferIndex`.
   * A line that fills its last row exactly moves the cursor to the next row,
   * so it never waits in the terminal's pending-wrap state.
   */
  redraw(from: number): void {
    const terminal = this.terminal!;
    const end = this.lineBuffer.length;
    terminal.write(this.renderLine(from));
    if (end > from && this.#position(end)[1] === 0) terminal.write("\r\n");
    terminal.eraseToDisplayEnd();
    this.moveCursor(end, this.lineBufferIndex);
  }

  /** Writes the prompt and the line at the cursor (at the start of a row). */
  drawInputLine(): void {
    this.terminal!.write(this.ps[this.pn]);
    if ([...this.ps[this.pn]].length % Math.max(this.width, 1) === 0) this.terminal!.write("\r\n");
    this.redraw(0);
  }

  /** Moves the cursor to the prompt's start and erases the prompt and line. */
  eraseInputLine(): void {
    const [row] = this.#position(this.lineBufferIndex);
    if (row > 0) this.terminal!.cursorUp(row);
    this.terminal!.write("\r");
    this.terminal!.eraseToDisplayEnd();
  }

  /** Clears the screen and redraws at the new size. */
  override terminalSize(width: number, height: number): void {
    this.terminal!.eraseDisplay();
    this.terminal!.cursorHome();
    this.width = width;
    this.height = height;
    this.drawInputLine();
  }

  /** Runs the key's handler, or takes a printable character. */
  override keystrokeReceived(keyID: KeyID, _modifier: Modifier): void {
    const handler = this.keyHandlers.get(keyID);
    if (handler !== undefined) handler();
    else if (isPrintable(keyID)) this.characterReceived(keyID, false);
    else log.debug("Unhandled key {keyID}", { keyID: JSON.stringify(keyID) });
  }

  /**
   * Puts a character in the line at the cursor and draws it (when more
   * characters are coming, the drawing waits for the last).
   */
  characterReceived(ch: string, moreCharactersComing: boolean): void {
    const from = this.#pendingFrom ?? this.lineBufferIndex;
    if (!this.takeCharacter(ch)) return;
    if (moreCharactersComing) {
      this.#pendingFrom = from;
      return;
    }
    this.#pendingFrom = null;
    this.redraw(from);
  }
  #pendingFrom: number | null = null;

  /**
   * Puts `ch` in the line at the cursor (inserted or typed over); false
   * when the line is full (the bell rings once per overflow).
   */
  takeCharacter(ch: string): boolean {
    if (this.mode === "insert" || this.lineBufferIndex >= this.lineBuffer.length) {
      if (this.lineBuffer.length >= this.MAX_LENGTH) {
        if (!this.#rang) this.terminal!.write("\x07");
        this.#rang = true;
        return false;
      }
      this.lineBuffer.splice(this.lineBufferIndex, 0, ch);
    } else {
      this.lineBuffer[this.lineBufferIndex] = ch;
    }
    this.#rang = false;
    this.lineBufferIndex++;
    return true;
  }

  /** Inserts spaces to the next tab stop. */
  handle_TAB(): void {
    const n = this.TABSTOP - (this.lineBufferIndex % this.TABSTOP);
    if (this.lineBuffer.length + n > this.MAX_LENGTH) return;
    const from = this.lineBufferIndex;
    this.lineBuffer.splice(from, 0, ..." ".repeat(n));
    this.lineBufferIndex += n;
    this.redraw(from);
  }
  /** Cursor left. */
  handle_LEFT(): void {
    if (this.lineBufferIndex > 0) {
      this.moveCursor(this.lineBufferIndex, --this.lineBufferIndex);
    }
  }
  /** Cursor right. */
  handle_RIGHT(): void {
    if (this.lineBufferIndex < this.lineBuffer.length) {
      this.moveCursor(this.lineBufferIndex, ++this.lineBufferIndex);
    }
  }
  /** To the start of the line. */
  handle_HOME(): void {
    this.moveCursor(this.lineBufferIndex, 0);
    this.lineBufferIndex = 0;
  }
  /** To the end of the line. */
  handle_END(): void {
    this.moveCursor(this.lineBufferIndex, this.lineBuffer.length);
    this.lineBufferIndex = this.lineBuffer.length;
  }
  /** Deletes the character before the cursor. */
  handle_BACKSPACE(): void {
    if (this.lineBufferIndex > 0) {
      this.moveCursor(this.lineBufferIndex, this.lineBufferIndex - 1);
      this.lineBufferIndex--;
      this.lineBuffer.splice(this.lineBufferIndex, 1);
      this.redraw(this.lineBufferIndex);
    }
  }
  /** Deletes the character at the cursor. */
  handle_DELETE(): void {
    if (this.lineBufferIndex < this.lineBuffer.length) {
      this.lineBuffer.splice(this.lineBufferIndex, 1);
      this.redraw(this.lineBufferIndex);
    }
  }
  /** Ends the line: the cursor goes below it, then `lineReceived`. */
  handle_RETURN(): void {
    const line = this.lineBuffer.join("");
    const end = this.lineBuffer.length;
    if (this.lineBufferIndex !== end) this.moveCursor(this.lineBufferIndex, end);
    this.lineBuffer = [];
    this.lineBufferIndex = 0;
    // A line ending on a row's end already moved to the next row.
    if (end === 0 || this.#position(end)[1] !== 0) this.terminal!.nextLine();
    this.lineReceived(line);
  }
  /** Toggles insert and typeover. */
  handle_INSERT(): void {
    if (this.mode === "typeover") this.setInsertMode();
    else this.setTypeoverMode();
  }
  /** A line was entered. */
  lineReceived(_line: string): void {}
}

/** Whether a key is a character to put in the line. */
function isPrintable(keyID: KeyID): boolean {
  if (keyID.length === 0 || (keyID.length > 2 && keyID.startsWith("["))) return false;
  const code = keyID.codePointAt(0)!;
  return code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0);
}

/**
 * `RecvLine` with history (Twisted's `HistoricRecvLine`): each line entered
 * is kept (up to `MAX_HISTORY`), up and down walk through them.
 *
 * @example
 * ```ts
 * import { ServerProtocol } from "@tw/core/conch/insults";
 * import { HistoricRecvLine } from "@tw/core/conch/recvline";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const program = new HistoricRecvLine();
 * const server = new ServerProtocol(() => program);
 * server.makeConnection(new StringTransport());
 * server.dataReceived(new TextEncoder().encode("one\rtwo\r\x1b[A\x1b[A"));
 * console.log(program.lineBuffer.join("")); // "one"
 * ```
 */
export class HistoricRecvLine extends RecvLine {
  /** The lines entered, oldest first. */
  historyLines: string[] = [];
  /** Where up / down are in `historyLines`. */
  historyPosition = 0;
  /** The most lines kept. */
  MAX_HISTORY = 1000;

  /** Adds up and down. */
  override connectionMade(): void {
    super.connectionMade();
    this.historyLines = [];
    this.historyPosition = 0;
    this.keyHandlers.set(UP_ARROW, () => this.handle_UP());
    this.keyHandlers.set(DOWN_ARROW, () => this.handle_DOWN());
  }

  /** The history before and after the position. */
  currentHistoryBuffer(): [string[], string[]] {
    return [
      this.historyLines.slice(0, this.historyPosition),
      this.historyLines.slice(this.historyPosition),
    ];
  }

  #replaceLine(text: string | null): void {
    this.moveCursor(this.lineBufferIndex, 0);
    this.lineBuffer = text === null ? [] : [...text].slice(0, this.MAX_LENGTH);
    this.lineBufferIndex = this.lineBuffer.length;
    this.redraw(0);
  }

  #remember(line: string): void {
    this.historyLines.push(line);
    if (this.historyLines.length > this.MAX_HISTORY) this.historyLines.shift();
  }

  /** The previous line. */
  handle_UP(): void {
    if (this.lineBuffer.length > 0 && this.historyPosition === this.historyLines.length) {
      this.#remember(this.lineBuffer.join(""));
      this.historyPosition = Math.min(this.historyPosition, this.historyLines.length - 1);
    }
    if (this.historyPosition > 0) {
      this.historyPosition--;
      this.#replaceLine(this.historyLines[this.historyPosition]);
    }
  }

  /** The next line, or an empty one past the end. */
  handle_DOWN(): void {
    if (this.historyPosition < this.historyLines.length - 1) {
      this.historyPosition++;
      this.#replaceLine(this.historyLines[this.historyPosition]);
    } else {
      this.historyPosition = this.historyLines.length;
      this.#replaceLine(null);
    }
  }

  /** Keeps the line in the history. */
  override handle_RETURN(): void {
    if (this.lineBuffer.length > 0) this.#remember(this.lineBuffer.join(""));
    this.historyPosition = this.historyLines.length;
    super.handle_RETURN();
  }
}
