/**
 * A screen in memory (`twisted.conch.insults.helper.TerminalBuffer`): an
 * `ITerminalTransport` that keeps the characters a terminal would show, for
 * tests and for programs that read a server's screen.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { modes } from "./_terminal.ts";
import { asText, type ClientProtocol, type IClientTerminal } from "./_client.ts";

/**
 * A VT102 screen model (Twisted's `TerminalBuffer`): writes, cursor moves,
 * insert mode, erasing, deleting characters and lines, scrolling; colors and
 * character sets are accepted and not kept. `toString()` gives the lines.
 *
 * @example
 * ```ts
 * import { TerminalBuffer } from "@tw/core/conch/insults";
 * const screen = new TerminalBuffer(20, 3);
 * screen.write("one\r\ntwo");
 * screen.cursorBackward(3);
 * screen.eraseToLineEnd();
 * console.log(JSON.stringify(screen.toString())); // "one\n\n"
 * ```
 */
export class TerminalBuffer implements IClientTerminal {
  /** Columns. */
  width: number;
  /** Lines. */
  height: number;
  /** The screen, one array of characters per line. */
  lines: string[][] = [];
  /** The cursor column (0-based). */
  x = 0;
  /** The cursor line (0-based). */
  y = 0;
  /** Modes set (`modes.IRM` ...). */
  modes: Set<number> = new Set();
  /** Private modes set. */
  privateModes: Set<number> = new Set();
  /** Sequences the client could not parse. */
  unhandled: Uint8Array[] = [];
  /** The client protocol, once connected. */
  protocol: ClientProtocol | null = null;
  #saved: [number, number] | null = null;
  // Written to the last column: the next character wraps first (as xterm does).
  #wrapNext = false;

  /** An empty `width` by `height` screen. */
  constructor(width = 80, height = 24) {
    this.width = width;
    this.height = height;
    this.reset();
  }

  #blank(): string[] {
    return new Array(this.width).fill(" ");
  }

  /** Keeps the client protocol. */
  makeConnection(protocol: ClientProtocol): void {
    this.protocol = protocol;
  }

  /** The lines, trailing spaces removed, joined with LF. */
  toString(): string {
    return this.lines.map((line) => line.join("").replace(/ +$/, "")).join("\n");
  }

  /** Writes text at the cursor: CR, LF, tab and backspace move it. */
  write(data: Uint8Array | string): void {
    for (const ch of asText(data)) {
      if (ch >= " ") {
        this.#put(ch);
        continue;
      }
      this.#wrapNext = false;
      if (ch === "\r") this.x = 0;
      else if (ch === "\n") this.#down();
      else if (ch === "\t") this.x = Math.min(this.width - 1, (Math.floor(this.x / 8) + 1) * 8);
      else if (ch === "\b") this.x = Math.max(this.x - 1, 0);
    }
  }
  /** Writes each piece. */
  writeSequence(data: Iterable<Uint8Array | string>): void {
    for (const piece of data) this.write(piece);
  }

  #put(ch: string): void {
    if (this.#wrapNext) {
      this.x = 0;
      this.#down();
      this.#wrapNext = false;
    }
    const line = this.lines[this.y];
    if (this.modes.has(modes.IRM)) {
      line.splice(this.x, 0, ch);
      line.length = this.width;
    } else {
      line[this.x] = ch;
    }
    if (this.x === this.width - 1) this.#wrapNext = true;
    else this.x++;
  }

  /** Whether the next character wraps to the next line first (the cursor is past the edge). */
  get pendingWrap(): boolean {
    return this.#wrapNext;
  }

  #down(): void {
    if (this.y < this.height - 1) {
      this.y++;
    } else {
      this.lines.shift();
      this.lines.push(this.#blank());
    }
  }

  /** Does nothing: the connection is the client's. */
  loseConnection(): void {}
  /** Moves up. */
  cursorUp(n = 1): void {
    this.#wrapNext = false;
    this.y = Math.max(this.y - n, 0);
  }
  /** Moves down. */
  cursorDown(n = 1): void {
    this.#wrapNext = false;
    this.y = Math.min(this.y + n, this.height - 1);
  }
  /** Moves right. */
  cursorForward(n = 1): void {
    this.#wrapNext = false;
    this.x = Math.min(this.x + n, this.width - 1);
  }
  /** Moves left. */
  cursorBackward(n = 1): void {
    this.#wrapNext = false;
    this.x = Math.max(this.x - n, 0);
  }
  /** Moves to `column`, `line`. */
  cursorPosition(column: number, line: number): void {
    this.#wrapNext = false;
    this.x = Math.min(Math.max(column, 0), this.width - 1);
    this.y = Math.min(Math.max(line, 0), this.height - 1);
  }
  /** Moves to the top left. */
  cursorHome(): void {
    this.#wrapNext = false;
    this.x = this.y = 0;
  }
  /** Down a line, scrolling. */
  index(): void {
    this.#wrapNext = false;
    this.#down();
  }
  /** Up a line, scrolling down at the top. */
  reverseIndex(): void {
    this.#wrapNext = false;
    if (this.y > 0) this.y--;
    else {
      this.lines.pop();
      this.lines.unshift(this.#blank());
    }
  }
  /** To the start of the next line. */
  nextLine(): void {
    this.#wrapNext = false;
    this.x = 0;
    this.#down();
  }
  /** Saves the cursor. */
  saveCursor(): void {
    this.#saved = [this.x, this.y];
  }
  /** Restores the cursor. */
  restoreCursor(): void {
    this.#wrapNext = false;
    if (this.#saved !== null) [this.x, this.y] = this.#saved;
    this.#saved = null;
  }
  /** Sets modes. */
  setModes(modes: Iterable<number>): void {
    for (const mode of modes) this.modes.add(mode);
  }
  /** Resets modes. */
  resetModes(modes: Iterable<number>): void {
    for (const mode of modes) this.modes.delete(mode);
  }
  /** Sets private modes. */
  setPrivateModes(modes: Iterable<number>): void {
    for (const mode of modes) this.privateModes.add(mode);
  }
  /** Resets private modes. */
  resetPrivateModes(modes: Iterable<number>): void {
    for (const mode of modes) this.privateModes.delete(mode);
  }
  /** Accepted, not kept. */
  applicationKeypadMode(): void {}
  /** Accepted, not kept. */
  numericKeypadMode(): void {}
  /** Accepted, not kept. */
  selectCharacterSet(_charSet: string, _which: string): void {}
  /** Accepted, not kept. */
  shiftIn(): void {}
  /** Accepted, not kept. */
  shiftOut(): void {}
  /** Accepted, not kept. */
  singleShift2(): void {}
  /** Accepted, not kept. */
  singleShift3(): void {}
  /** Accepted, not kept. */
  selectGraphicRendition(..._attributes: (string | number)[]): void {}
  /** Accepted, not kept. */
  horizontalTabulationSet(): void {}
  /** Accepted, not kept. */
  tabulationClear(): void {}
  /** Accepted, not kept. */
  tabulationClearAll(): void {}
  /** Accepted, not kept. */
  doubleHeightLine(_top?: boolean): void {}
  /** Accepted, not kept. */
  singleWidthLine(): void {}
  /** Accepted, not kept. */
  doubleWidthLine(): void {}
  /** Erases to the end of the line. */
  eraseToLineEnd(): void {
    this.#wrapNext = false;
    this.lines[this.y].fill(" ", this.x);
  }
  /** Erases to the cursor. */
  eraseToLineBeginning(): void {
    this.#wrapNext = false;
    this.lines[this.y].fill(" ", 0, this.x + 1);
  }
  /** Erases the line. */
  eraseLine(): void {
    this.#wrapNext = false;
    this.lines[this.y] = this.#blank();
  }
  /** Erases to the end of the screen. */
  eraseToDisplayEnd(): void {
    this.#wrapNext = false;
    this.eraseToLineEnd();
    for (let i = this.y + 1; i < this.height; i++) this.lines[i] = this.#blank();
  }
  /** Erases to the cursor from the top. */
  eraseToDisplayBeginning(): void {
    this.#wrapNext = false;
    this.eraseToLineBeginning();
    for (let i = 0; i < this.y; i++) this.lines[i] = this.#blank();
  }
  /** Erases the screen. */
  eraseDisplay(): void {
    this.lines = Array.from({ length: this.height }, () => this.#blank());
  }
  /** Deletes characters at the cursor. */
  deleteCharacter(n = 1): void {
    this.#wrapNext = false;
    const line = this.lines[this.y];
    line.splice(this.x, n);
    while (line.length < this.width) line.push(" ");
  }
  /** Inserts blank lines at the cursor. */
  insertLine(n = 1): void {
    for (let i = 0; i < n; i++) this.lines.splice(this.y, 0, this.#blank());
    this.lines.length = this.height;
  }
  /** Deletes lines at the cursor. */
  deleteLine(n = 1): void {
    this.lines.splice(this.y, n);
    while (this.lines.length < this.height) this.lines.push(this.#blank());
  }
  /** Accepted, not kept. */
  setScrollRegion(_first?: number | null, _last?: number | null): void {}
  /** Accepted, not kept. */
  resetScrollRegion(): void {}
  /** Clears the screen and modes. */
  reset(): void {
    this.eraseDisplay();
    this.x = this.y = 0;
    this.modes.clear();
    this.privateModes.clear();
    this.#saved = null;
    this.#wrapNext = false;
  }
  /** Keeps it in `unhandled` (the last 100). */
  unhandledControlSequence(seq: Uint8Array): void {
    this.unhandled.push(seq);
    if (this.unhandled.length > 100) this.unhandled.shift();
  }
}
