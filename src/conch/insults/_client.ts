/**
 * The client side of a terminal (`twisted.conch.insults.insults.ClientProtocol`):
 * the escape sequences a server sends become `ITerminalTransport` calls on
 * a terminal object (a screen model such as `TerminalBuffer`), parsed
 * across chunks with bounded buffers.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import { Protocol } from "../../internet/protocol.ts";
import {
  CS_ALTERNATE,
  CS_ALTERNATE_SPECIAL,
  CS_DRAWING,
  CS_UK,
  CS_US,
  G0,
  G1,
  type ITerminalTransport,
} from "./_terminal.ts";
import { MAX_CONTROL_SEQUENCE } from "./_server.ts";

const td = new TextDecoder();

/** What a `ClientProtocol` drives: a terminal that also hears what it cannot do. */
export interface IClientTerminal extends ITerminalTransport {
  /** Connects it to the client protocol (whose `transport` sends keys). */
  makeConnection?(protocol: ClientProtocol): void;
  /** A sequence the parser did not understand. */
  unhandledControlSequence(seq: Uint8Array): void;
  /** The connection ended. */
  connectionLost?(reason: Failure): void;
}

const SHORTS: Record<string, keyof ITerminalTransport> = {
  D: "index",
  M: "reverseIndex",
  E: "nextLine",
  "7": "saveCursor",
  "8": "restoreCursor",
  "=": "applicationKeypadMode",
  ">": "numericKeypadMode",
  N: "singleShift2",
  O: "singleShift3",
  H: "horizontalTabulationSet",
  c: "reset",
};
const CHARSETS: Record<string, string> = {
  A: CS_UK,
  B: CS_US,
  "0": CS_DRAWING,
  "1": CS_ALTERNATE,
  "2": CS_ALTERNATE_SPECIAL,
};

type State = "data" | "escaped" | "csi" | "csi-skip" | "g0" | "g1" | "height-width";

/**
 * A terminal emulator's protocol (Twisted's `ClientProtocol`): connect it to
 * a terminal server and it calls the `terminal` (made by `terminalFactory`)
 * for each thing the server draws. Keys go to the server through
 * `transport.write`.
 *
 * @example
 * ```ts
 * import { ClientProtocol, TerminalBuffer } from "@tw/core/conch/insults";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const screen = new TerminalBuffer();
 * const client = new ClientProtocol(() => screen);
 * client.makeConnection(new StringTransport());
 * client.dataReceived(new TextEncoder().encode("hello\r\n\x1b[1;3Hy"));
 * console.log(screen.toString().split("\n")[0]); // "heylo"
 * ```
 */
export class ClientProtocol extends Protocol {
  /** Makes the terminal on connection. */
  terminalFactory: (() => IClientTerminal) | null;
  /** The terminal. */
  terminal: IClientTerminal | null = null;
  #state: State = "data";
  #escBuf = "";
  #decoder = new TextDecoder();

  /** A client drawing on what `terminalFactory` makes. */
  constructor(terminalFactory: (() => IClientTerminal) | null = null) {
    super();
    this.terminalFactory = terminalFactory;
  }

  /** Makes and connects the terminal. */
  override connectionMade(): void {
    if (this.terminalFactory === null) return;
    this.terminal = this.terminalFactory();
    this.terminal.makeConnection?.(this);
  }

  /** Tells the terminal. */
  override connectionLost(reason: Failure): void {
    const terminal = this.terminal;
    this.terminal = null;
    terminal?.connectionLost?.(reason);
  }

  /** Parses what the server sent. */
  override dataReceived(data: Uint8Array): void {
    const terminal = this.terminal;
    if (terminal === null) return;
    let text: number[] = [];
    const flush = (): void => {
      if (text.length === 0) return;
      const chunk = this.#decoder.decode(new Uint8Array(text), { stream: true });
      text = [];
      if (chunk !== "") terminal.write(chunk);
    };
    for (const b of data) {
      switch (this.#state) {
        case "data":
          if (b === 0x1b) {
            flush();
            this.#state = "escaped";
          } else if (b === 0x14) {
            flush();
            terminal.shiftOut();
          } else if (b === 0x15) {
            flush();
            terminal.shiftIn();
          } else if (b === 0x08) {
            flush();
            terminal.cursorBackward();
          } else if (b === 0x07) {
            // the bell
          } else {
            text.push(b);
          }
          break;
        case "escaped": {
          const ch = String.fromCharCode(b);
          const short = SHORTS[ch];
          this.#state = "data";
          if (short !== undefined) (terminal[short] as () => void).call(terminal);
          else if (ch === "[") {
            this.#state = "csi";
            this.#escBuf = "";
          } else if (ch === "(") this.#state = "g0";
          else if (ch === ")") this.#state = "g1";
          else if (ch === "#") this.#state = "height-width";
          else terminal.unhandledControlSequence(new Uint8Array([0x1b, b]));
          break;
        }
        case "csi":
        case "csi-skip":
          if (b >= 0x40 && b <= 0x7e) {
            if (this.#state === "csi") this.#controlSequence(this.#escBuf, String.fromCharCode(b));
            this.#state = "data";
            this.#escBuf = "";
          } else if (this.#state === "csi") {
            if (this.#escBuf.length >= MAX_CONTROL_SEQUENCE) {
              terminal.unhandledControlSequence(new TextEncoder().encode(`\x1b[${this.#escBuf}`));
              this.#state = "csi-skip";
            } else {
              this.#escBuf += String.fromCharCode(b);
            }
          }
          break;
        case "g0":
        case "g1": {
          const set = CHARSETS[String.fromCharCode(b)];
          if (set !== undefined) terminal.selectCharacterSet(set, this.#state === "g0" ? G0 : G1);
          else terminal.unhandledControlSequence(new Uint8Array([0x1b, b]));
          this.#state = "data";
          break;
        }
        case "height-width":
          this.#state = "data";
          if (b === 0x33) terminal.doubleHeightLine(true);
          else if (b === 0x34) terminal.doubleHeightLine(false);
          else if (b === 0x35) terminal.singleWidthLine();
          else if (b === 0x36) terminal.doubleWidthLine();
          else terminal.unhandledControlSequence(new Uint8Array([0x1b, 0x23, b]));
          break;
      }
    }
    flush();
  }

  #controlSequence(params: string, final: string): void {
    const terminal = this.terminal!;
    const unhandled = () =>
      terminal.unhandledControlSequence(new TextEncoder().encode(`\x1b[${params}${final}`));
    const numbers = (fallback: number): number[] | null => {
      if (!/^[\d;]*$/.test(params)) return null;
      return params.split(";").map((p) => (p === "" ? fallback : Number(p)));
    };
    const count = (): number | null => {
      const n = numbers(1);
      return n === null || n.length !== 1 ? null : Math.max(n[0], 1);
    };
    const simple: Record<string, (n: number) => void> = {
      A: (n) => terminal.cursorUp(n),
      B: (n) => terminal.cursorDown(n),
      C: (n) => terminal.cursorForward(n),
      D: (n) => terminal.cursorBackward(n),
      P: (n) => terminal.deleteCharacter(n),
      L: (n) => terminal.insertLine(n),
      M: (n) => terminal.deleteLine(n),
    };
    if (final in simple) {
      const n = count();
      if (n === null) return unhandled();
      return simple[final](n);
    }
    switch (final) {
      case "H":
      case "f": {
        const n = numbers(1);
        if (n === null || n.length > 2) return unhandled();
        return terminal.cursorPosition(Math.max((n[1] ?? 1) - 1, 0), Math.max(n[0] - 1, 0));
      }
      case "J":
      case "K": {
        const which = params === "" ? "0" : params;
        const calls: Record<string, () => void> = final === "J"
          ? {
            "0": () => terminal.eraseToDisplayEnd(),
            "1": () => terminal.eraseToDisplayBeginning(),
            "2": () => terminal.eraseDisplay(),
          }
          : {
            "0": () => terminal.eraseToLineEnd(),
            "1": () => terminal.eraseToLineBeginning(),
            "2": () => terminal.eraseLine(),
          };
        return calls[which] === undefined ? unhandled() : calls[which]();
      }
      case "h":
      case "l": {
        const isPrivate = params.startsWith("?");
        const n = /^\??[\d;]+$/.test(params)
          ? params.replace("?", "").split(";").map(Number)
          : null;
        if (n === null) return unhandled();
        if (final === "h") {
          return isPrivate ? terminal.setPrivateModes(n) : terminal.setModes(n);
        }
        return isPrivate ? terminal.resetPrivateModes(n) : terminal.resetModes(n);
      }
      case "m": {
        if (!/^[\d;]*$/.test(params)) return unhandled();
        return terminal.selectGraphicRendition(...(params === "" ? ["0"] : params.split(";")));
      }
      case "r": {
        const n = /^(\d*);?(\d*)$/.exec(params);
        if (n === null) return unhandled();
        return terminal.setScrollRegion(
          n[1] === "" ? null : Number(n[1]),
          n[2] === "" ? null : Number(n[2]),
        );
      }
      case "q":
        if (params === "") return terminal.tabulationClear();
        if (params === "3") return terminal.tabulationClearAll();
        return unhandled();
      default:
        return unhandled();
    }
  }
}

/** For a terminal's `write`: bytes or text as text. */
export function asText(data: Uint8Array | string): string {
  return typeof data === "string" ? data : td.decode(data);
}
