/**
 * insults' vocabulary (`twisted.conch.insults.insults`): the key IDs a
 * terminal reports, the modifiers, `ITerminalTransport` (what a program can
 * do to the terminal) and `TerminalProtocol` (what hears the keys).
 * Private: re-exported by `mod.ts`.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";

/** A key that is not a character: its name in brackets, as Twisted prints it. */
export type FunctionKey = `[${string}]`;

/** The up arrow. */
export const UP_ARROW = "[UP_ARROW]" as const;
/** The down arrow. */
export const DOWN_ARROW = "[DOWN_ARROW]" as const;
/** The right arrow. */
export const RIGHT_ARROW = "[RIGHT_ARROW]" as const;
/** The left arrow. */
export const LEFT_ARROW = "[LEFT_ARROW]" as const;
/** Home. */
export const HOME = "[HOME]" as const;
/** Insert. */
export const INSERT = "[INSERT]" as const;
/** Delete (the key, not backspace). */
export const DELETE = "[DELETE]" as const;
/** End. */
export const END = "[END]" as const;
/** Page up. */
export const PGUP = "[PGUP]" as const;
/** Page down. */
export const PGDN = "[PGDN]" as const;
/** The keypad's middle key (5 without num lock). */
export const NUMPAD_MIDDLE = "[NUMPAD_MIDDLE]" as const;
/** F1. */
export const F1 = "[F1]" as const;
/** F2. */
export const F2 = "[F2]" as const;
/** F3. */
export const F3 = "[F3]" as const;
/** F4. */
export const F4 = "[F4]" as const;
/** F5. */
export const F5 = "[F5]" as const;
/** F6. */
export const F6 = "[F6]" as const;
/** F7. */
export const F7 = "[F7]" as const;
/** F8. */
export const F8 = "[F8]" as const;
/** F9. */
export const F9 = "[F9]" as const;
/** F10. */
export const F10 = "[F10]" as const;
/** F11. */
export const F11 = "[F11]" as const;
/** F12. */
export const F12 = "[F12]" as const;
/** The Alt (Meta) modifier: ESC before a character. */
export const ALT = "[ALT]" as const;
/** The Shift modifier. */
export const SHIFT = "[SHIFT]" as const;
/** The Control modifier. */
export const CONTROL = "[CONTROL]" as const;

/** Every function key, as Twisted's `FUNCTION_KEYS`. */
export const FUNCTION_KEYS: readonly FunctionKey[] = [
  UP_ARROW,
  DOWN_ARROW,
  RIGHT_ARROW,
  LEFT_ARROW,
  HOME,
  INSERT,
  DELETE,
  END,
  PGUP,
  PGDN,
  NUMPAD_MIDDLE,
  F1,
  F2,
  F3,
  F4,
  F5,
  F6,
  F7,
  F8,
  F9,
  F10,
  F11,
  F12,
];

/** A modifier: `ALT`, `SHIFT` or `CONTROL`, or null for none. */
export type Modifier = typeof ALT | typeof SHIFT | typeof CONTROL | null;

/**
 * What a keystroke is: one character (a one code point string, control
 * characters included: "\x7f" is backspace, "\r" enter) or a `FunctionKey`.
 */
export type KeyID = string;

/** Character set designators for `selectCharacterSet`. */
export const CS_US = "CS_US" as const;
/** The UK set. */
export const CS_UK = "CS_UK" as const;
/** The line drawing set. */
export const CS_DRAWING = "CS_DRAWING" as const;
/** The alternate ROM set. */
export const CS_ALTERNATE = "CS_ALTERNATE" as const;
/** The alternate ROM special graphics set. */
export const CS_ALTERNATE_SPECIAL = "CS_ALTERNATE_SPECIAL" as const;
/** The G0 character set slot. */
export const G0 = "G0" as const;
/** The G1 character set slot. */
export const G1 = "G1" as const;

/** ANSI modes for `setModes` / `resetModes` (Twisted's `modes`). */
export const modes = {
  KAM: 2,
  IRM: 4,
  LNM: 20,
} as const;

/** DEC private modes for `setPrivateModes` (Twisted's `privateModes`). */
export const privateModes = {
  CURSOR_KEY: 1,
  ANSI_VT52: 2,
  COLUMN: 3,
  SCROLL: 4,
  SCREEN: 5,
  ORIGIN: 6,
  AUTO_WRAP: 7,
  AUTO_REPEAT: 8,
  PRINTER_FORM_FEED: 18,
  PRINTER_EXTENT: 19,
  CURSOR_MODE: 25,
} as const;

/** Graphic rendition codes for `selectGraphicRendition`. */
export const NORMAL = 0;
/** Bold. */
export const BOLD = 1;
/** Underline. */
export const UNDERLINE = 4;
/** Blink. */
export const BLINK = 5;
/** Reverse video. */
export const REVERSE_VIDEO = 7;

/**
 * What a program may do to a terminal (Twisted's `ITerminalTransport`):
 * writes and cursor, erase, mode and attribute control. Positions count
 * from 0.
 */
export interface ITerminalTransport {
  /** Writes text (a string is sent as UTF-8; LF goes out as CR LF). */
  write(data: Uint8Array | string): void;
  /** Writes each piece. */
  writeSequence(data: Iterable<Uint8Array | string>): void;
  /** Resets the terminal and closes. */
  loseConnection(): void;
  /** Moves the cursor up `n` lines. */
  cursorUp(n?: number): void;
  /** Moves the cursor down `n` lines. */
  cursorDown(n?: number): void;
  /** Moves the cursor right `n` columns. */
  cursorForward(n?: number): void;
  /** Moves the cursor left `n` columns. */
  cursorBackward(n?: number): void;
  /** Moves the cursor to `column`, `line`. */
  cursorPosition(column: number, line: number): void;
  /** Moves the cursor to the top left. */
  cursorHome(): void;
  /** Moves down a line, scrolling at the bottom. */
  index(): void;
  /** Moves up a line, scrolling at the top. */
  reverseIndex(): void;
  /** Moves to the start of the next line. */
  nextLine(): void;
  /** Saves the cursor position. */
  saveCursor(): void;
  /** Restores the saved cursor position. */
  restoreCursor(): void;
  /** Sets ANSI modes. */
  setModes(modes: Iterable<number>): void;
  /** Resets ANSI modes. */
  resetModes(modes: Iterable<number>): void;
  /** Sets DEC private modes. */
  setPrivateModes(modes: Iterable<number>): void;
  /** Resets DEC private modes. */
  resetPrivateModes(modes: Iterable<number>): void;
  /** The keypad sends application sequences. */
  applicationKeypadMode(): void;
  /** The keypad sends digits. */
  numericKeypadMode(): void;
  /** Selects a character set into G0 or G1. */
  selectCharacterSet(charSet: string, which: string): void;
  /** Shift in (G0). */
  shiftIn(): void;
  /** Shift out (G1). */
  shiftOut(): void;
  /** Uses G2 for the next character. */
  singleShift2(): void;
  /** Uses G3 for the next character. */
  singleShift3(): void;
  /** Sets character attributes (SGR codes such as `BOLD` or "31"). */
  selectGraphicRendition(...attributes: (string | number)[]): void;
  /** Sets a tab stop here. */
  horizontalTabulationSet(): void;
  /** Clears the tab stop here. */
  tabulationClear(): void;
  /** Clears every tab stop. */
  tabulationClearAll(): void;
  /** Double height line (top or bottom half). */
  doubleHeightLine(top?: boolean): void;
  /** Single width line. */
  singleWidthLine(): void;
  /** Double width line. */
  doubleWidthLine(): void;
  /** Erases from the cursor to the end of the line. */
  eraseToLineEnd(): void;
  /** Erases from the start of the line to the cursor. */
  eraseToLineBeginning(): void;
  /** Erases the line. */
  eraseLine(): void;
  /** Erases from the cursor to the end of the screen. */
  eraseToDisplayEnd(): void;
  /** Erases from the start of the screen to the cursor. */
  eraseToDisplayBeginning(): void;
  /** Erases the screen. */
  eraseDisplay(): void;
  /** Deletes `n` characters at the cursor. */
  deleteCharacter(n?: number): void;
  /** Inserts `n` lines. */
  insertLine(n?: number): void;
  /** Deletes `n` lines. */
  deleteLine(n?: number): void;
  /** Sets the scrolling region (1-based lines; null: the edge). */
  setScrollRegion(first?: number | null, last?: number | null): void;
  /** Resets the scrolling region. */
  resetScrollRegion(): void;
  /** Resets the terminal. */
  reset(): void;
}

/**
 * What hears a terminal (Twisted's `ITerminalProtocol`).
 */
export interface ITerminalProtocol {
  /** Connects it to the terminal. */
  makeConnection(transport: ITerminalTransport): void;
  /** A key: a character or a `FunctionKey`, with a modifier or null. */
  keystrokeReceived(keyID: KeyID, modifier: Modifier): void;
  /** The terminal is `width` columns by `height` lines. */
  terminalSize(width: number, height: number): void;
  /** An escape sequence nothing understood. */
  unhandledControlSequence(seq: Uint8Array): void;
  /** The connection ended. */
  connectionLost(reason: Failure): void;
}

/**
 * A base terminal program (Twisted's `TerminalProtocol`): every event is
 * ignored; subclasses override what they need.
 *
 * @example
 * ```ts
 * import { type KeyID, ServerProtocol, TerminalProtocol } from "@tw/core/conch/insults";
 * class Keys extends TerminalProtocol {
 *   seen: KeyID[] = [];
 *   override keystrokeReceived(keyID: KeyID): void {
 *     this.seen.push(keyID);
 *   }
 * }
 * const keys = new Keys();
 * const server = new ServerProtocol(() => keys);
 * server.makeConnection({ write() {}, loseConnection() {} } as never);
 * server.dataReceived(new TextEncoder().encode("a\x1b[A"));
 * console.log(keys.seen); // ["a", "[UP_ARROW]"]
 * ```
 */
export class TerminalProtocol implements ITerminalProtocol {
  /** The terminal. */
  terminal: ITerminalTransport | null = null;
  /** The factory, when made by one. */
  factory: unknown = null;

  /** Keeps the terminal and calls `connectionMade`. */
  makeConnection(transport: ITerminalTransport): void {
    this.terminal = transport;
    this.connectionMade();
  }
  /** Called once connected. */
  connectionMade(): void {}
  /** Ignores it. */
  keystrokeReceived(_keyID: KeyID, _modifier: Modifier): void {}
  /** Ignores it. */
  terminalSize(_width: number, _height: number): void {}
  /** Ignores it. */
  unhandledControlSequence(_seq: Uint8Array): void {}
  /** Forgets the terminal. */
  connectionLost(_reason: Failure): void {}
}
