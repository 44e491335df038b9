/**
 * The manhole's terminal programs (`twisted.conch.manhole`): `Manhole`
 * reads lines with editing and history and runs them through a
 * `ManholeInterpreter`; `ColoredManhole` also colors the input as it is
 * typed.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import type { KeyID, Modifier } from "../insults/_terminal.ts";
import { HistoricRecvLine } from "../recvline/_recvline.ts";
import { ManholeInterpreter } from "./_interpreter.ts";
import { type Token, tokenize } from "./_tokens.ts";

/** Ctrl-A: to the start of the line. */
export const CTRL_A = "\x01";
/** Ctrl-C: interrupt: clears the line, abandons a running evaluation. */
export const CTRL_C = "\x03";
/** Ctrl-D: on an empty line, closes the session. */
export const CTRL_D = "\x04";
/** Ctrl-E: to the end of the line. */
export const CTRL_E = "\x05";
/** Ctrl-L: redraws the screen. */
export const CTRL_L = "\x0c";
/** Ctrl-\: closes the session. */
export const CTRL_BACKSLASH = "\x1c";

/** The most keystrokes kept while an evaluation runs; more are dropped. */
const MAX_TYPEAHEAD = 65536;

/**
 * A JavaScript REPL on a terminal (Twisted's `Manhole`): each entered line
 * goes to a `ManholeInterpreter` over a copy of `namespace`; `>>> ` and
 * `... ` prompts; Ctrl-C clears the line or abandons an evaluation that
 * does not end, Ctrl-D on an empty line closes, Ctrl-L redraws. Keys typed
 * while code awaits are replayed once it ends.
 *
 * A manhole runs any code in the server's process with its rights: serve
 * it only after a login, on a loopback address unless you mean otherwise.
 *
 * @example
 * ```ts
 * import { ServerProtocol } from "@tw/core/conch/insults";
 * import { Manhole } from "@tw/core/conch/manhole";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const transport = new StringTransport();
 * const server = new ServerProtocol(() => new Manhole({ answer: 42 }));
 * server.makeConnection(transport);
 * server.dataReceived(new TextEncoder().encode("answer + 1\r"));
 * console.log(transport.valueText().endsWith("43\r\n>>> ")); // true
 * ```
 */
export class Manhole extends HistoricRecvLine {
  /** The names the code sees (a copy of the one given: bindings are per session). */
  namespace: Record<string, unknown>;
  /** The interpreter, once connected. */
  interpreter: ManholeInterpreter | null = null;
  #atLineStart = true;
  #typeahead: [KeyID, Modifier][] = [];
  #busy = false;

  /** A manhole over a copy of `namespace`. */
  constructor(namespace: Record<string, unknown> = {}) {
    super();
    this.namespace = { ...namespace };
  }

  /** Adds the control keys and starts the interpreter. */
  override connectionMade(): void {
    super.connectionMade();
    this.interpreter = new ManholeInterpreter(this, this.namespace);
    this.keyHandlers.set(CTRL_C, () => this.handle_INT());
    this.keyHandlers.set(CTRL_D, () => this.handle_EOF());
    this.keyHandlers.set(CTRL_L, () => this.handle_FF());
    this.keyHandlers.set(CTRL_A, () => this.handle_HOME());
    this.keyHandlers.set(CTRL_E, () => this.handle_END());
    this.keyHandlers.set(CTRL_BACKSLASH, () => this.handle_QUIT());
  }

  /** Queues keys while code runs (Ctrl-C still interrupts it). */
  override keystrokeReceived(keyID: KeyID, modifier: Modifier): void {
    if (this.#busy) {
      if (keyID === CTRL_C) this.handle_INT();
      else if (this.#typeahead.length < MAX_TYPEAHEAD) this.#typeahead.push([keyID, modifier]);
      return;
    }
    super.keystrokeReceived(keyID, modifier);
  }

  /** Ctrl-C: a fresh prompt; a running evaluation is abandoned. */
  handle_INT(): void {
    this.interpreter?.cancel();
    const wasBusy = this.#busy;
    this.#busy = false;
    this.#typeahead = [];
    this.pn = 0;
    this.lineBuffer = [];
    this.lineBufferIndex = 0;
    if (!(wasBusy && this.#atLineStart)) this.terminal!.nextLine();
    this.terminal!.write("KeyboardInterrupt");
    this.terminal!.nextLine();
    this.terminal!.write(this.ps[this.pn]);
  }

  /** Ctrl-D: closes on an empty line, else rings the bell. */
  handle_EOF(): void {
    if (this.lineBuffer.length > 0) this.terminal!.write("\x07");
    else this.handle_QUIT();
  }

  /** Ctrl-L: clears the screen and redraws the line. */
  handle_FF(): void {
    this.terminal!.eraseDisplay();
    this.terminal!.cursorHome();
    this.drawInputLine();
  }

  /** Closes the session. */
  handle_QUIT(): void {
    this.terminal!.loseConnection();
  }

  /** Remembers that the cursor is at the start of a line. */
  override handle_RETURN(): void {
    this.#atLineStart = true;
    super.handle_RETURN();
  }

  /**
   * The interpreter's output. Output that comes while no code runs (a
   * timer, a promise) is drawn above the prompt and the line being typed.
   */
  addOutput(data: string, async: boolean): void {
    if (this.terminal === null || data === "") return;
    if (async) this.eraseInputLine();
    this.terminal.write(data);
    this.#atLineStart = data.endsWith("\n");
    if (async) {
      if (!this.#atLineStart) this.terminal.nextLine();
      this.#atLineStart = true;
      this.drawInputLine();
    }
  }

  /** Runs the line; the prompt comes back once the code ends. */
  override lineReceived(line: string): void {
    const interpreter = this.interpreter!;
    const more = interpreter.push(line);
    const running = interpreter.running;
    if (running === null) {
      this.#prompt(more);
      return;
    }
    this.#busy = true;
    void running.then(() => {
      if (!this.#busy || this.terminal === null || interpreter.running !== null) return;
      this.#busy = false;
      this.#prompt(false);
      const keys = this.#typeahead;
      this.#typeahead = [];
      for (const [keyID, modifier] of keys) this.keystrokeReceived(keyID, modifier);
    });
  }

  #prompt(more: boolean): void {
    this.pn = more ? 1 : 0;
    if (!this.#atLineStart) this.terminal!.nextLine();
    this.#atLineStart = false;
    this.terminal!.write(this.ps[this.pn]);
  }

  /** Abandons a running evaluation. */
  override connectionLost(reason: Parameters<HistoricRecvLine["connectionLost"]>[0]): void {
    this.interpreter?.cancel();
    this.#typeahead = [];
    super.connectionLost(reason);
  }
}

/** The SGR color of each token kind in `ColoredManhole`. */
export const TOKEN_COLORS: Partial<Record<Token["type"], string>> = {
  keyword: "32",
  literal: "36",
  number: "36",
  string: "35",
  template: "35",
  regex: "33",
  comment: "34",
};

/**
 * Colors a line of JavaScript for a VT102 terminal: keywords, strings,
 * numbers, regular expressions and comments each in their color.
 *
 * @example
 * ```ts
 * import { colorize } from "@tw/core/conch/manhole";
 * console.log(JSON.stringify(colorize("if (x) 1"))); // "\u001b[32mif\u001b[0m (x) \u001b[36m1\u001b[0m"
 * ```
 */
export function colorize(source: string): string {
  let out = "";
  for (const token of tokenize(source).tokens) {
    const color = TOKEN_COLORS[token.type];
    out += color === undefined ? token.text : `\x1b[${color}m${token.text}\x1b[0m`;
  }
  return out;
}

/**
 * A `Manhole` whose input is colored as it is typed (Twisted's
 * `ColoredManhole`): the line is redrawn with `colorize` on each change.
 *
 * @example
 * ```ts
 * import { ServerProtocol } from "@tw/core/conch/insults";
 * import { ColoredManhole } from "@tw/core/conch/manhole";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const transport = new StringTransport();
 * const server = new ServerProtocol(() => new ColoredManhole());
 * server.makeConnection(transport);
 * server.dataReceived(new TextEncoder().encode("if"));
 * console.log(transport.valueText().includes("\x1b[32mif\x1b[0m")); // true
 * ```
 */
export class ColoredManhole extends Manhole {
  /** Lines longer than this are drawn plainly: recoloring them per key would cost too much. */
  COLOR_LIMIT = 1000;

  /** Colors the whole line (the tokens before `from` decide the colors after it). */
  override redraw(from: number): void {
    if (this.lineBuffer.length > this.COLOR_LIMIT || from === 0) return super.redraw(from);
    this.moveCursor(from, 0);
    super.redraw(0);
  }

  /** The line colored by `colorize`. */
  override renderLine(from: number): string {
    const plain = super.renderLine(from);
    return from === 0 && this.lineBuffer.length <= this.COLOR_LIMIT ? colorize(plain) : plain;
  }
}
