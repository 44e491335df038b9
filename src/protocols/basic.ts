/**
 * Basic protocol building blocks (`twisted.protocols.basic`): receivers that
 * turn a byte stream into messages, whatever the chunking.
 *
 * - `LineReceiver` (lines of bytes, with raw mode), `TextLineReceiver` (lines
 *   decoded as UTF-8), `LineOnlyReceiver` (lines only, no modes).
 * - `Int8StringReceiver`, `Int16StringReceiver`, `Int32StringReceiver`:
 *   strings with a big-endian length prefix.
 * - `NetstringReceiver`: `<length>:<data>,` framing.
 * - `FileSender`: a pull producer that streams a byte source to a transport.
 *
 * @example
 * ```ts
 * import { LineReceiver } from "@tw/core/protocols/basic";
 * import { connectedServerAndClient } from "@tw/core/testing";
 *
 * class Upper extends LineReceiver {
 *   override lineReceived(line: Uint8Array): void {
 *     this.sendLine(new TextDecoder().decode(line).toUpperCase());
 *   }
 * }
 * const lines: string[] = [];
 * class Client extends LineReceiver {
 *   override lineReceived(line: Uint8Array): void {
 *     lines.push(new TextDecoder().decode(line));
 *   }
 * }
 * const [client, , pump] = connectedServerAndClient<Client>(() => new Upper(), () => new Client());
 * client.sendLine("hello");
 * pump.flush();
 * console.log(lines); // [ "HELLO" ]
 * ```
 * @module
 */
export {
  LineOnlyReceiver,
  LineReceiver,
  LineReceiverBase,
  TextLineReceiver,
} from "./_basic_line.ts";
export {
  Int16StringReceiver,
  Int32StringReceiver,
  Int8StringReceiver,
  IntNStringReceiver,
  StringTooLongError,
} from "./_basic_int.ts";
export { NetstringParseError, NetstringReceiver } from "./_basic_netstring.ts";
export { PauseableReceiver } from "./_basic_pauseable.ts";
export { FileSender, type FileSource, type FileTransform } from "./_basic_file_sender.ts";
