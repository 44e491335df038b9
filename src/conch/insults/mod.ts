/**
 * `@tw/core/conch/insults` (`twisted.conch.insults.insults`): terminal
 * programs over any connection. `ServerProtocol` sits on the connection
 * (telnet, an SSH session channel), parses VT100 / xterm keyboard input into
 * key IDs (`UP_ARROW`, `HOME`, `F1` ...) and is the program's
 * `ITerminalTransport` (cursor movement, erasing, modes, attributes).
 * `ClientProtocol` is the other side: what a server draws becomes calls on
 * a terminal, such as the in-memory screen `TerminalBuffer`. `A` and
 * `flatten` build colored, bold or underlined text.
 *
 * @example
 * ```ts
 * import { type KeyID, ServerProtocol, TerminalProtocol, UP_ARROW } from "@tw/core/conch/insults";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Arrows extends TerminalProtocol {
 *   override keystrokeReceived(keyID: KeyID): void {
 *     if (keyID === UP_ARROW) this.terminal!.write("up!");
 *   }
 * }
 * const transport = new StringTransport();
 * const server = new ServerProtocol(() => new Arrows());
 * server.makeConnection(transport);
 * server.dataReceived(new TextEncoder().encode("\x1b[A"));
 * console.log(transport.valueText()); // "up!"
 * ```
 *
 * @module
 */
export {
  ALT,
  BLINK,
  BOLD,
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
  FUNCTION_KEYS,
  type FunctionKey,
  G0,
  G1,
  HOME,
  INSERT,
  type ITerminalProtocol,
  type ITerminalTransport,
  type KeyID,
  LEFT_ARROW,
  modes,
  type Modifier,
  NORMAL,
  NUMPAD_MIDDLE,
  PGDN,
  PGUP,
  privateModes,
  REVERSE_VIDEO,
  RIGHT_ARROW,
  SHIFT,
  TerminalProtocol,
  UNDERLINE,
  UP_ARROW,
} from "./_terminal.ts";
export { MAX_CONTROL_SEQUENCE, ServerProtocol } from "./_server.ts";
export { ClientProtocol, type IClientTerminal } from "./_client.ts";
export { TerminalBuffer } from "./_helper.ts";
export {
  A,
  type CharacterAttributes,
  type Color,
  flatten,
  FormattedText,
  type TextMaker,
} from "./_text.ts";
