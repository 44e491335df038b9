/**
 * AMP, the Asynchronous Messaging Protocol (`twisted.protocols.amp`):
 * request/response over one connection, in both directions, with typed
 * commands and any number of calls in flight.
 *
 * On the wire, as Twisted: each box is a sequence of 16-bit length-prefixed
 * keys (1-255 bytes) and values (up to 65535 bytes), in byte order, ended by
 * an empty key; `_command` and `_ask` call, `_answer` answers, `_error` with
 * `_error_code` and `_error_description` fails. The same box gives the same
 * bytes as Twisted.
 *
 * - Commands (`Command` subclasses) declare `arguments`, `response`,
 *   `errors` and `fatalErrors` as static fields. Keys are wire names, and the
 *   types follow: `callRemote(Divide, { numerator: 7, denominator: 2 })`
 *   fires with `{ result: 3.5 }`, and a wrong type fails to compile.
 *   Responders are registered with `Divide.responder(MyAMP, fn)`.
 * - Argument types: `Integer` (numbers; `{ bigint: true }` for any size),
 *   `String` (bytes), `Unicode`, `Boolean`, `Float` (Python's `repr`, with
 *   `inf` and `nan`), `Decimal` (exact text), `DateTime` (`OffsetDate`, with
 *   the offset kept), `ListOf`, `AmpList`; `{ optional: true }` makes the
 *   value `T | undefined`. `String` and `Boolean` shadow the globals: import
 *   the module as a namespace (`import * as amp`).
 * - Errors, as Twisted: a declared error answers its code, and the caller
 *   fails with that class; any other answers `UNKNOWN`, is logged and
 *   closes the connection (as a fatal one does); an unknown command answers
 *   `UNHANDLED` (`UnhandledCommand`) and the connection stays. A call whose
 *   box is too long fails with `TooLong` (naming the key and the size). A
 *   failed call nobody handled is reported like any unhandled Deferred
 *   ("Unhandled error in Deferred", when it is collected), and the
 *   connection stays up (Twisted drops it: #7055).
 * - Incoming boxes over `maxBoxSize` (4 MiB by default) close the
 *   connection; Twisted has no bound.
 * - `StartTLS` upgrades the connection (the answering side is the TLS
 *   server); `ProtocolSwitchCommand` hands it to another protocol.
 * - Lower layers: `AmpBox` and `parseString` (the codec),
 *   `BinaryBoxProtocol` (boxes over a transport), `BoxDispatcher` (calls and
 *   answers), `CommandLocator` and `SimpleStringLocator` (`amp_NAME`
 *   methods); `callRemoteString` sends a box as it is.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * import { Factory, reactor } from "@tw/core";
 *
 * class ZeroDivisionError extends Error {}
 * class Divide extends amp.Command {
 *   static override arguments = { numerator: new amp.Integer(), denominator: new amp.Integer() };
 *   static override response = { result: new amp.Float() };
 *   static override errors = new Map([[ZeroDivisionError, "ZERO_DIVISION"]]);
 * }
 * class Calc extends amp.AMP {}
 * Divide.responder(Calc, function ({ numerator, denominator }) {
 *   if (denominator === 0) throw new ZeroDivisionError("divided by zero");
 *   return { result: numerator / denominator };
 * });
 *
 * const factory = Factory.forProtocol(Calc);
 * const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
 * await port.stopListening();
 * ```
 * @module
 */
export {
  AmpBox,
  ANSWER,
  ASK,
  Box,
  type BoxInit,
  COMMAND,
  ERROR,
  ERROR_CODE,
  ERROR_DESCRIPTION,
  MAX_KEY_LENGTH,
  MAX_VALUE_LENGTH,
  parseString,
  QuitBox,
} from "./amp/_box.ts";
export {
  AmpError,
  BadLocalReturn,
  IncompatibleVersions,
  InvalidSignature,
  MalformedAmpBox,
  NoEmptyBoxes,
  OnlyOneTLS,
  PROTOCOL_ERRORS,
  ProtocolSwitched,
  RemoteAmpError,
  type RemoteAmpErrorOptions,
  TooLong,
  type TooLongOptions,
  UNHANDLED_ERROR_CODE,
  UnhandledCommand,
  UNKNOWN_ERROR_CODE,
  UnknownRemoteError,
} from "./amp/_errors.ts";
export { OffsetDate } from "./amp/_values.ts";
export { AmpList, type ElementValue, ListOf } from "./amp/_lists.ts";
export {
  type AnyArgument,
  Argument,
  type ArgumentObjects,
  type ArgumentOptions,
  type ArgumentSchema,
  type ArgumentValue,
  Boolean,
  DateTime,
  type DateTimeOptions,
  Decimal,
  Float,
  Integer,
  type IntegerOptions,
  String,
  Unicode,
} from "./amp/_arguments.ts";
export {
  type BoxResponder,
  type CallResult,
  Command,
  type CommandArguments,
  type CommandClass,
  CommandLocator,
  type CommandResponse,
  type ErrorClass,
  type IResponderLocator,
  type LocatorClass,
  type Responder,
  type ResponderResult,
  SimpleStringLocator,
} from "./amp/_command.ts";
export {
  BoxDispatcher,
  type CallParams,
  type CallRemoteStringOptions,
  type IBoxReceiver,
  type IBoxSender,
  type SwitchFactory,
} from "./amp/_dispatcher.ts";
export {
  AMP,
  type AMPOptions,
  BinaryBoxProtocol,
  type BinaryBoxProtocolOptions,
} from "./amp/_protocol.ts";
export {
  LocalArgument,
  type PrivateCertificate,
  ProtocolSwitchCommand,
  StartTLS,
  type StartTLSSchema,
} from "./amp/_tls.ts";
