/**
 * AMP's exceptions (`twisted.protocols.amp.AmpError` and its family), as
 * `Error` subclasses with their own `name`. Private to src/protocols; the
 * public face is `amp.ts`.
 *
 * @module
 */
import type { Failure } from "../../internet/failure.ts";

/** Wire value of `_error_code` for an error the answering side did not declare. */
export const UNKNOWN_ERROR_CODE = "UNKNOWN";
/** Wire value of `_error_code` for a command the answering side has no responder for. */
export const UNHANDLED_ERROR_CODE = "UNHANDLED";

/**
 * The base of AMP's errors.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new amp.NoEmptyBoxes() instanceof amp.AmpError); // true
 * ```
 */
export class AmpError extends Error {
  /**
   * Makes the error.
   * @param message what went wrong
   * @param options the cause, if any
   */
  constructor(message = "AMP error", options?: ErrorOptions) {
    super(message, options);
    this.name = "AmpError";
  }
}

/**
 * A box was sent on a connection that has switched to another protocol
 * (`ProtocolSwitchCommand`): no more AMP traffic is allowed on it.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new amp.ProtocolSwitched().name); // "ProtocolSwitched"
 * ```
 */
export class ProtocolSwitched extends Error {
  /**
   * Makes the error.
   * @param message what was refused
   */
  constructor(message = "This connection has switched: no AMP traffic allowed") {
    super(message);
    this.name = "ProtocolSwitched";
  }
}

/**
 * TLS may be started only once per connection: a second `StartTLS` fails
 * with this.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new amp.OnlyOneTLS().message); // "TLS was already started on this connection"
 * ```
 */
export class OnlyOneTLS extends AmpError {
  /**
   * Makes the error.
   * @param message what was refused
   */
  constructor(message = "TLS was already started on this connection") {
    super(message);
    this.name = "OnlyOneTLS";
  }
}

/**
 * A box with none of `_answer`, `_error` and `_command` was received (or an
 * empty one sent): such a box fits no part of the protocol.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new amp.NoEmptyBoxes().name); // "NoEmptyBoxes"
 * ```
 */
export class NoEmptyBoxes extends AmpError {
  /**
   * Makes the error.
   * @param message what was received
   */
  constructor(message = "A box with no _answer, _error or _command key was received") {
    super(message);
    this.name = "NoEmptyBoxes";
  }
}

/**
 * A call named an argument its command does not declare, or left out one it
 * requires.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new amp.InvalidSignature("forgot b for Sum").message); // "forgot b for Sum"
 * ```
 */
export class InvalidSignature extends AmpError {
  /**
   * Makes the error.
   * @param message which argument was wrong
   */
  constructor(message = "Invalid arguments") {
    super(message);
    this.name = "InvalidSignature";
  }
}

/** What {@link TooLong} describes. */
export interface TooLongOptions {
  /** True when the string was a key (1-255 bytes), false for a value (or a whole box). */
  isKey: boolean;
  /** True when it was being encoded here, false when it was received. */
  isLocal: boolean;
  /** Its length in bytes. */
  length: number;
  /** The string itself, when it is at hand. @default null */
  value?: Uint8Array | null;
  /** For a value: the key it was for. @default null */
  keyName?: string | null;
  /** The limit it broke. @default 255 for a key, 65535 for a value */
  limit?: number;
  /** What was too long, for the message. @default "key" or "value" */
  what?: string;
}

/**
 * One of AMP's length limits was broken: a key over 255 bytes, a value over
 * 65535, or (received) a box over `maxBoxSize`. Unlike Twisted's, whose
 * message is empty (#12342), the message names the key and the size.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const e = new amp.TooLong({ isKey: false, isLocal: true, length: 70000, keyName: "data" });
 * console.log(e.message); // "local value 'data' too long: 70000 bytes (the maximum is 65535)"
 * ```
 */
export class TooLong extends AmpError {
  /** True when the string was a key. */
  readonly isKey: boolean;
  /** True when it was encoded here, false when it was received. */
  readonly isLocal: boolean;
  /** The string, when it is at hand. */
  readonly value: Uint8Array | null;
  /** For a value: the key it was for. */
  readonly keyName: string | null;
  /** Its length in bytes. */
  readonly length: number;

  /**
   * Makes the error.
   * @param options what was too long
   */
  constructor(options: TooLongOptions) {
    const limit = options.limit ?? (options.isKey ? 255 : 65535);
    const keyName = options.keyName ?? null;
    let what = options.what ?? (options.isKey ? "key" : "value");
    if (!options.isKey && keyName !== null) what += ` '${keyName}'`;
    if (options.isKey && options.value) {
      const text = new TextDecoder().decode(options.value.subarray(0, 24));
      what += ` '${text}${options.value.length > 24 ? "..." : ""}'`;
    }
    super(
      `${options.isLocal ? "local" : "remote"} ${what} too long: ${options.length} bytes ` +
        `(the maximum is ${limit})`,
    );
    this.name = "TooLong";
    this.isKey = options.isKey;
    this.isLocal = options.isLocal;
    this.value = options.value ?? null;
    this.keyName = keyName;
    this.length = options.length;
  }
}

/**
 * A responder returned something its command's `response` cannot encode.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * import { Failure } from "@tw/core/failure";
 * const e = new amp.BadLocalReturn("Sum returned 'x'", new Failure(new TypeError("not a number")));
 * console.log(e.enclosed.value.message); // "not a number"
 * ```
 */
export class BadLocalReturn extends AmpError {
  /** Why it could not be encoded. */
  readonly enclosed: Failure;

  /**
   * Makes the error.
   * @param message what was returned
   * @param enclosed why it could not be encoded
   */
  constructor(message: string, enclosed: Failure) {
    super(`${message}: ${enclosed.getErrorMessage()}`, { cause: enclosed.value });
    this.name = "BadLocalReturn";
    this.enclosed = enclosed;
  }
}

/** Options of {@link RemoteAmpError}. */
export interface RemoteAmpErrorOptions {
  /** Close the connection after answering with this error. @default false */
  fatal?: boolean;
  /** The local failure this error stands for, if there is one. @default null */
  local?: Failure | null;
}

/**
 * An error answered by the peer (`_error_code` and `_error_description`), or
 * one a responder throws to answer with a code of its choice.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const e = new amp.RemoteAmpError("OVERLOAD", "try later");
 * console.log(e.message, e.errorCode); // "Code<OVERLOAD>: try later" "OVERLOAD"
 * ```
 */
export class RemoteAmpError extends AmpError {
  /** The wire error code. */
  readonly errorCode: string;
  /** The text that came with it. */
  readonly description: string;
  /** True when answering with it closes the connection. */
  readonly fatal: boolean;
  /** The local failure, when the error was raised here. */
  readonly local: Failure | null;

  /**
   * Makes the error.
   * @param errorCode the wire error code
   * @param description text for people
   * @param options `fatal` and `local`
   */
  constructor(errorCode: string, description: string, options: RemoteAmpErrorOptions = {}) {
    const local = options.local ?? null;
    super(
      `Code<${errorCode}>${local === null ? "" : " (local)"}: ${description}`,
      local === null ? undefined : { cause: local.value },
    );
    this.name = "RemoteAmpError";
    this.errorCode = errorCode;
    this.description = description;
    this.fatal = options.fatal ?? false;
    this.local = local;
  }
}

/**
 * The peer answered with an error code the command does not declare
 * (`UNKNOWN` and any other): `errorCode` is `UNKNOWN`, as in Twisted.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new amp.UnknownRemoteError("Unknown Error").errorCode); // "UNKNOWN"
 * ```
 */
export class UnknownRemoteError extends RemoteAmpError {
  /**
   * Makes the error.
   * @param description the peer's text
   */
  constructor(description: string) {
    super(UNKNOWN_ERROR_CODE, description);
    this.name = "UnknownRemoteError";
  }
}

/**
 * Bytes or a box that break AMP's rules: a truncated box, an answer to a
 * question never asked, an argument missing or unparsable.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * try {
 *   amp.parseString(new Uint8Array([0, 1, 0x61]));
 * } catch (e) {
 *   console.log(e instanceof amp.MalformedAmpBox); // true
 * }
 * ```
 */
export class MalformedAmpBox extends AmpError {
  /**
   * Makes the error.
   * @param message what was wrong
   * @param options the cause, if any
   */
  constructor(message = "Malformed AMP box", options?: ErrorOptions) {
    super(message, options);
    this.name = "MalformedAmpBox";
  }
}

/**
 * The peer has no responder for the command (it answered `UNHANDLED`); the
 * connection stays up.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new amp.UnhandledCommand("Unhandled Command: b'Nope'").errorCode); // "UNHANDLED"
 * ```
 */
export class UnhandledCommand extends AmpError {
  /** Always `UNHANDLED`. */
  readonly errorCode: string = UNHANDLED_ERROR_CODE;
  /** The peer's text. */
  readonly description: string;

  /**
   * Makes the error.
   * @param description the peer's text
   */
  constructor(description = "Unhandled command") {
    super(description);
    this.name = "UnhandledCommand";
    this.description = description;
  }
}

/**
 * No version of the protocol both sides speak could be agreed on.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new amp.IncompatibleVersions().name); // "IncompatibleVersions"
 * ```
 */
export class IncompatibleVersions extends AmpError {
  /**
   * Makes the error.
   * @param message what could not be agreed
   */
  constructor(message = "No compatible protocol version") {
    super(message);
    this.name = "IncompatibleVersions";
  }
}

/** Error codes that stand for a protocol error rather than a command's own (`UNHANDLED`). */
export const PROTOCOL_ERRORS: ReadonlyMap<string, new (description: string) => Error> = new Map<
  string,
  new (description: string) => Error
>([[UNHANDLED_ERROR_CODE, UnhandledCommand]]);

/**
 * Python's `repr` of a byte string (`b'Sum'`), as Twisted puts it into the
 * description of an `UNHANDLED` answer.
 */
export function pythonBytesRepr(bytes: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const b of bytes) {
    if (b === 0x27) hasSingle = true;
    else if (b === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = "b" + quote;
  for (const b of bytes) {
    if (b === 0x5c) out += "\\\\";
    else if (b === 0x27 && quote === "'") out += "\\'";
    else if (b === 0x09) out += "\\t";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b < 0x20 || b >= 0x7f) out += "\\x" + b.toString(16).padStart(2, "0");
    else out += globalThis.String.fromCharCode(b);
  }
  return out + quote;
}
