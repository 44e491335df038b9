/**
 * AMP's request/response machinery (`twisted.protocols.amp.BoxDispatcher`):
 * outgoing commands become tagged boxes and Deferreds; incoming answers and
 * errors fire those Deferreds; incoming commands go to a locator's
 * responders and their results go back as answers. Private to
 * src/protocols; the public face is `amp.ts`.
 *
 * @module
 */
import { Deferred, fail, succeed } from "../../internet/defer.ts";
import { ConnectionLost } from "../../internet/error.ts";
import { Failure } from "../../internet/failure.ts";
import type { IProtocolFactory } from "../../internet/interfaces.ts";
import { Logger } from "../../logger/mod.ts";
import {
  AmpBox,
  ANSWER,
  ASK,
  type BoxInit,
  COMMAND,
  emitBox,
  ERROR,
  ERROR_CODE,
  ERROR_DESCRIPTION,
  QuitBox,
  utf8Decoder,
} from "./_box.ts";
import {
  type CallResult,
  type CommandArguments,
  type CommandClass,
  errorForCode,
  hooksFor,
  type IResponderLocator,
} from "./_command.ts";
import {
  MalformedAmpBox,
  NoEmptyBoxes,
  PROTOCOL_ERRORS,
  ProtocolSwitched,
  pythonBytesRepr,
  RemoteAmpError,
  UNHANDLED_ERROR_CODE,
  UnhandledCommand,
  UNKNOWN_ERROR_CODE,
  UnknownRemoteError,
} from "./_errors.ts";

const log = new Logger("tw.protocols.amp");
const encoder = new TextEncoder();

/** Sends boxes to the peer (Twisted's `IBoxSender`): `BinaryBoxProtocol` is one. */
export interface IBoxSender {
  /**
   * Sends a box.
   * @throws {TooLong} when a key or value is too long to encode
   * @throws {ProtocolSwitched} when the connection has switched protocols
   * @throws {ConnectionLost} when the connection is gone
   */
  sendBox(box: AmpBox): void;
  /** Reports a failure nothing else handled. */
  unhandledError(failure: Failure): void;
}

/** Gets the boxes a connection receives (Twisted's `IBoxReceiver`). */
export interface IBoxReceiver {
  /** Boxes are about to arrive; answers go through `sender`. */
  startReceivingBoxes(sender: IBoxSender): void;
  /** One box arrived. */
  ampBoxReceived(box: AmpBox): void;
  /** No more boxes will arrive, for `reason`. */
  stopReceivingBoxes(reason: Failure): void;
}

/** A factory for the protocol a `ProtocolSwitchCommand` switches to. */
export type SwitchFactory = IProtocolFactory;

/**
 * What `callRemote(C, ...)` takes after the command: the arguments (which
 * may be left out when none is required), and for a `ProtocolSwitchCommand`
 * the factory of the protocol to switch to.
 */
export type CallParams<C extends CommandClass> = C extends { switchesProtocol: true }
  ? [args: CommandArguments<C>, factory: SwitchFactory]
  // deno-lint-ignore ban-types
  : {} extends CommandArguments<C> ? [args?: CommandArguments<C>]
  : [args: CommandArguments<C>];

/** Options of `callRemoteString`. */
export interface CallRemoteStringOptions {
  /** Ask for an answer (`_ask`); without, the call fires with null once written. @default true */
  requiresAnswer?: boolean;
}

/** The object a dispatcher's commands convert through (`proto` of the argument hooks). */
export const dispatcherOwners: WeakMap<BoxDispatcher, object> = new WeakMap();

/** Box values as text (tags, codes, descriptions; bad UTF-8 becomes U+FFFD). */
function text(bytes: Uint8Array): string {
  if (bytes.length < 16) {
    let s = "";
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b >= 0x80) return utf8Decoder.decode(bytes);
      s += String.fromCharCode(b);
    }
    return s;
  }
  return utf8Decoder.decode(bytes);
}

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

/** UTF-8 of `s`, cut to at most 65535 bytes (an error's description must fit one value). */
function fitValue(s: string): Uint8Array {
  const bytes = encoder.encode(s);
  if (bytes.length <= 0xffff) return bytes;
  let end = 0xffff;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/**
 * Dispatches boxes (Twisted's `BoxDispatcher`): `callRemote` sends a command
 * and returns a Deferred its answer fires; an incoming command is answered
 * by the responder `locator` finds. `AMP` is one; use this class to keep the
 * dispatching apart from the parsing (`new BinaryBoxProtocol(dispatcher)`).
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * import { connectedServerAndClient } from "@tw/core/testing";
 *
 * class Echo extends amp.SimpleStringLocator {
 *   amp_ECHO(box: amp.AmpBox): amp.AmpBox {
 *     return new amp.AmpBox({ said: box.get("say")! });
 *   }
 * }
 * const dispatcher = new amp.BoxDispatcher(new Echo());
 * const [client, , pump] = connectedServerAndClient<amp.AMP | amp.BinaryBoxProtocol>(
 *   () => new amp.BinaryBoxProtocol(dispatcher),
 *   () => new amp.AMP(),
 * );
 * const answer = (client as amp.AMP).callRemoteString("Echo", { say: "hi" });
 * pump.flush();
 * console.log((await answer).getText("said")); // "hi"
 * ```
 */
export class BoxDispatcher implements IBoxReceiver {
  /** Finds the responders of incoming commands. */
  locator: IResponderLocator;
  /** Where boxes go; set by `startReceivingBoxes`. */
  boxSender: IBoxSender | null = null;
  #outstanding: Map<string, Deferred<AmpBox>> | null = new Map();
  #failAllReason: Failure | null = null;
  #counter = 0;

  /**
   * Makes a dispatcher.
   * @param locator finds the responders of incoming commands
   */
  constructor(locator: IResponderLocator) {
    this.locator = locator;
  }

  /** Boxes are about to arrive; answers go through `boxSender`. */
  startReceivingBoxes(boxSender: IBoxSender): void {
    this.boxSender = boxSender;
  }

  /** No more boxes will arrive: fails the calls still waiting with `reason`. */
  stopReceivingBoxes(reason: Failure): void {
    this.failAllOutgoing(reason);
  }

  /** Fails every call waiting for an answer with `reason`; later calls fail with it at once. */
  failAllOutgoing(reason: Failure): void {
    this.#failAllReason = reason;
    const waiting = this.#outstanding;
    this.#outstanding = null;
    if (waiting !== null) { for (const d of waiting.values()) d.errback(reason); }
  }

  /** Reports a failure nothing handled (to the box sender). */
  unhandledError(failure: Failure): void {
    if (this.boxSender !== null) this.boxSender.unhandledError(failure);
    else log.failure("Unhandled AMP failure", failure, "error");
  }

  /**
   * Sends a command box as it is (Twisted's low-level `callRemoteString`):
   * fires with the answer box, or (without `requiresAnswer`) with null once
   * written. Text values become UTF-8.
   * @param command the command's wire name
   * @param box the arguments
   * @param options `requiresAnswer`
   */
  callRemoteString(
    command: string,
    box?: AmpBox | BoxInit | null,
    options?: { requiresAnswer?: true },
  ): Deferred<AmpBox>;
  /**
   * Sends a command box without asking for an answer: fires with null once written.
   * @param command the command's wire name
   * @param box the arguments
   * @param options `requiresAnswer: false`
   */
  callRemoteString(
    command: string,
    box: AmpBox | BoxInit | null | undefined,
    options: { requiresAnswer: false },
  ): Deferred<null>;
  /**
   * Sends a command box.
   * @param command the command's wire name
   * @param box the arguments
   * @param options `requiresAnswer`
   */
  callRemoteString(
    command: string,
    box?: AmpBox | BoxInit | null,
    options?: CallRemoteStringOptions,
  ): Deferred<AmpBox | null>;
  callRemoteString(
    command: string,
    box?: AmpBox | BoxInit | null,
    options: CallRemoteStringOptions = {},
  ): Deferred<AmpBox | null> {
    let copy: AmpBox;
    try {
      copy = new AmpBox(box);
    } catch (e) {
      return fail(e);
    }
    return this.#sendBoxCommand(command, copy, options.requiresAnswer ?? true);
  }

  /**
   * Calls `command` on the peer with `args` (keyed by wire name): fires with
   * the response, or fails with the command's declared error class, an
   * `UnknownRemoteError`, `UnhandledCommand`, or why the connection was lost.
   * A box that cannot be encoded (`TooLong`, a wrong type) fails the call; it
   * never throws.
   * @param command the command class
   * @param params the arguments (and a protocol switch's factory)
   */
  callRemote<C extends CommandClass>(
    command: C,
    ...params: CallParams<C>
  ): Deferred<CallResult<C>> {
    const [objects = {}, ...extra] = params as unknown[];
    const proto = dispatcherOwners.get(this) ?? this;
    const hooks = hooksFor(command);
    let box: AmpBox;
    try {
      box = command.makeArguments(objects as Record<string, unknown>, proto);
      hooks?.before?.(this.boxSender ?? proto, box, extra);
    } catch (e) {
      return fail(e);
    }
    const requiresAnswer = command.requiresAnswer;
    const sent = hooks?.sent;
    const d = this.#sendBoxCommand(
      command.commandName,
      box,
      requiresAnswer,
      sent === undefined ? undefined : (sender) => sent(sender, box),
    );
    if (!requiresAnswer) return d as Deferred<CallResult<C>>;
    const sender = this.boxSender ?? proto;
    return d.addCallback((answer) => {
      const response = command.parseResponse(answer!, proto);
      hooks?.answered?.(sender, box, answer!);
      return response;
    }).addErrback((failure: Failure): never => {
      const error = failure.value;
      let out = failure;
      if (error instanceof RemoteAmpError && !(error instanceof UnknownRemoteError)) {
        const cls = errorForCode(command, error.errorCode);
        out = new Failure(
          cls === undefined
            ? new UnknownRemoteError(error.description)
            : new cls(error.description),
        );
      }
      hooks?.failed?.(sender, box, out);
      throw out;
    }) as Deferred<CallResult<C>>;
  }

  #sendBoxCommand(
    command: string,
    box: AmpBox,
    requiresAnswer: boolean,
    onSent?: (sender: IBoxSender) => void,
  ): Deferred<AmpBox | null> {
    if (this.#failAllReason !== null) return fail(this.#failAllReason);
    const sender = this.boxSender;
    if (sender === null) return fail(new ConnectionLost("The AMP connection is not connected yet"));
    box.set(COMMAND, encoder.encode(command));
    const tag = (++this.#counter).toString(16);
    if (!requiresAnswer) {
      try {
        emitBox(sender, box);
        onSent?.(sender);
      } catch (e) {
        return fail(e);
      }
      return succeed(null);
    }
    box.set(ASK, ascii(tag));
    const d = new Deferred<AmpBox>();
    const waiting = this.#outstanding!;
    waiting.set(tag, d);
    try {
      emitBox(sender, box);
    } catch (e) {
      waiting.delete(tag);
      return fail(e);
    }
    onSent?.(sender);
    return d;
  }

  /**
   * Handles one incoming box: an answer or an error fires its call's
   * Deferred; a command goes to its responder.
   * @throws {NoEmptyBoxes} for a box that is none of these
   * @throws {MalformedAmpBox} for an answer to a question never asked
   */
  ampBoxReceived(box: AmpBox): void {
    const answer = box.get(ANSWER);
    if (answer !== undefined) return this.#answerReceived(box, text(answer));
    const error = box.get(ERROR);
    if (error !== undefined) return this.#errorReceived(box, text(error));
    const command = box.get(COMMAND);
    if (command !== undefined) return this.#commandReceived(box, command);
    throw new NoEmptyBoxes(
      `A box with no _answer, _error or _command key was received: ${[...box.keys()].join(", ")}`,
    );
  }

  #question(tag: string): Deferred<AmpBox> {
    const waiting = this.#outstanding;
    const d = waiting?.get(tag);
    if (d === undefined) throw new MalformedAmpBox(`An answer to a question never asked: ${tag}`);
    waiting!.delete(tag);
    return d;
  }

  #answerReceived(box: AmpBox, tag: string): void {
    this.#question(tag).callback(box);
  }

  #errorReceived(box: AmpBox, tag: string): void {
    const d = this.#question(tag);
    const codeBytes = box.get(ERROR_CODE);
    const code = codeBytes === undefined ? UNKNOWN_ERROR_CODE : text(codeBytes);
    const descBytes = box.get(ERROR_DESCRIPTION);
    const description = descBytes === undefined ? "" : utf8Decoder.decode(descBytes);
    const protocolError = PROTOCOL_ERRORS.get(code);
    const error = protocolError !== undefined
      ? new protocolError(description)
      : new RemoteAmpError(code, description);
    d.errback(new Failure(error));
  }

  /**
   * Finds and runs the responder of a command box (Twisted's
   * `dispatchCommand`): fires with the answer box, or fails with a
   * `RemoteAmpError` (`UNHANDLED` when there is no responder) or whatever
   * the responder failed with.
   * @param box the command box
   */
  dispatchCommand(box: AmpBox): Deferred<AmpBox> {
    try {
      const result = this.#respond(box, box.get(COMMAND) ?? new Uint8Array(0));
      if (result instanceof Deferred) return result as Deferred<AmpBox>;
      if (isThenable(result)) return Deferred.fromPromise(result);
      return succeed(result);
    } catch (e) {
      return fail(e);
    }
  }

  #respond(box: AmpBox, name: Uint8Array): AmpBox | PromiseLike<AmpBox> {
    const responder = this.locator.locateResponder(text(name));
    if (responder === null) {
      throw new RemoteAmpError(
        UNHANDLED_ERROR_CODE,
        `Unhandled Command: ${pythonBytesRepr(name)}`,
        { local: new Failure(new UnhandledCommand()) },
      );
    }
    return responder(box);
  }

  #commandReceived(box: AmpBox, name: Uint8Array): void {
    const ask = box.get(ASK);
    let result: AmpBox | PromiseLike<AmpBox>;
    if (this.dispatchCommand !== BoxDispatcher.prototype.dispatchCommand) {
      result = this.dispatchCommand(box);
    } else {
      try {
        result = this.#respond(box, name);
      } catch (e) {
        this.#answerError(ask, new Failure(e));
        return;
      }
    }
    if (!isThenable(result)) {
      this.#answer(ask, result);
      return;
    }
    const d = result instanceof Deferred
      ? result as Deferred<AmpBox>
      : Deferred.fromPromise(result);
    d.addCallbacks(
      (answer) => this.#answer(ask, answer),
      (failure: Failure) => this.#answerError(ask, failure),
    ).addErrback((f: Failure) => this.unhandledError(f));
  }

  #answer(ask: Uint8Array | undefined, answer: unknown): void {
    if (!(answer instanceof AmpBox)) {
      this.#answerError(
        ask,
        new Failure(new TypeError(`A responder returned ${answer}, not an AmpBox`)),
      );
      return;
    }
    if (ask === undefined) return;
    answer.set(ANSWER, ask);
    this.#safeEmit(answer, ask);
  }

  #answerError(ask: Uint8Array | undefined, failure: Failure): void {
    const error = failure.value;
    let box: AmpBox;
    let code: string;
    let description: string;
    if (error instanceof RemoteAmpError) {
      code = error.errorCode;
      description = error.description;
      box = error.fatal ? new QuitBox() : new AmpBox();
      if (ask === undefined) {
        // Nobody asked: nothing to answer; a fatal error still closes.
        log.failure("AMP command sent without _ask failed", failure, "warn");
        if (error.fatal) this.#close();
        return;
      }
    } else {
      log.failure(
        "Unhandled error in an AMP responder: answering UNKNOWN and closing",
        failure,
        "error",
      );
      if (ask === undefined) {
        this.#close();
        return;
      }
      box = new QuitBox();
      code = UNKNOWN_ERROR_CODE;
      description = "Unknown Error";
    }
    box.set(ERROR, ask);
    box.set(ERROR_DESCRIPTION, fitValue(description));
    box.set(ERROR_CODE, fitValue(code));
    this.#safeEmit(box, ask);
  }

  #close(): void {
    (this.boxSender as { transport?: { loseConnection(): void } | null } | null)?.transport
      ?.loseConnection();
  }

  // Sends an answer; a switched or lost connection is ignored (nothing can
  // be done), an answer that cannot be encoded is answered UNKNOWN instead.
  #safeEmit(box: AmpBox, ask: Uint8Array): void {
    const sender = this.boxSender;
    if (sender === null) return;
    try {
      emitBox(sender, box);
    } catch (e) {
      if (e instanceof ProtocolSwitched || e instanceof ConnectionLost) return;
      if (box.has(ERROR) && box instanceof QuitBox) {
        this.unhandledError(new Failure(e));
        return;
      }
      this.#answerError(ask, new Failure(e));
    }
  }
}
