/**
 * `@tw/core/conch/recvline` (`twisted.conch.recvline`): line editing for
 * terminal programs run by an insults `ServerProtocol`: `RecvLine` (left,
 * right, home, end, backspace, delete, insert / typeover, tab) and
 * `HistoricRecvLine` (plus history on up and down).
 *
 * @example
 * ```ts
 * import { ServerProtocol } from "@tw/core/conch/insults";
 * import { HistoricRecvLine } from "@tw/core/conch/recvline";
 *
 * class Echo extends HistoricRecvLine {
 *   override lineReceived(line: string): void {
 *     this.terminal!.write(`you said ${line}\n${this.ps[this.pn]}`);
 *   }
 * }
 * const protocol = new ServerProtocol(() => new Echo());
 * console.log(protocol.terminalProtocol); // null until connected
 * ```
 *
 * @module
 */
export { HistoricRecvLine, RecvLine } from "./_recvline.ts";
