/**
 * AMP commands and the locators that find their responders
 * (`twisted.protocols.amp.Command`, `CommandLocator`, `SimpleStringLocator`).
 * Commands are typed at compile time: a responder gets, and a caller gives,
 * exactly what `arguments` declares. Private to src/protocols; the public
 * face is `amp.ts`.
 *
 * @module
 */
import { Deferred } from "../../internet/defer.ts";
import { Failure } from "../../internet/failure.ts";
import type { IProtocol } from "../../internet/interfaces.ts";
import { AmpBox } from "./_box.ts";
import {
  type ArgumentObjects,
  type ArgumentSchema,
  objectsToStrings,
  stringsToObjects,
} from "./_arguments.ts";
import { AmpError, BadLocalReturn, InvalidSignature, RemoteAmpError } from "./_errors.ts";

/** An error class a command declares; the caller side makes one with the peer's description. */
// deno-lint-ignore no-explicit-any
export type ErrorClass = new (...args: any[]) => Error;

/** What a locator's responder does with a command box: answers a box, now or later. */
export type BoxResponder = (box: AmpBox) => AmpBox | PromiseLike<AmpBox>;

/** Finds the responder for a command name (Twisted's `IResponderLocator`). */
export interface IResponderLocator {
  /**
   * The responder for `name`, or null when there is none (the peer is then
   * answered `UNHANDLED`).
   */
  locateResponder(name: string): BoxResponder | null;
}

/** A command class: `Command` or a subclass. */
export type CommandClass = typeof Command;

/** What a responder of `C` gets, and what `callRemote(C, ...)` takes. */
export type CommandArguments<C extends CommandClass> = ArgumentObjects<C["arguments"]>;

/** What a responder of `C` returns, and what `callRemote(C, ...)` fires with. */
export type CommandResponse<C extends CommandClass> = ArgumentObjects<C["response"]>;

/**
 * What a responder of `C` returns: its response (or nothing, when the
 * response has no required key), or for a protocol switch the new protocol.
 */
export type ResponderResult<C extends CommandClass> = C extends { switchesProtocol: true }
  ? IProtocol
  // deno-lint-ignore ban-types
  : CommandResponse<C> | ({} extends CommandResponse<C> ? void : never);

/**
 * A responder of `C` on a locator of type `L` (its `this`): a value, or a
 * Deferred or Promise of one.
 */
export type Responder<C extends CommandClass, L> = (
  this: L,
  args: CommandArguments<C>,
) => ResponderResult<C> | PromiseLike<ResponderResult<C>>;

/**
 * What `callRemote(C, ...)` fires with: the response, or null when `C`
 * declares `static override readonly requiresAnswer = false`.
 */
export type CallResult<C extends CommandClass> = C["requiresAnswer"] extends false ? null
  : CommandResponse<C>;

/** A locator class (what `Command.responder` registers on). */
// deno-lint-ignore no-explicit-any
export type LocatorClass<L> = abstract new (...args: any[]) => L;

type Entry = [command: CommandClass, responder: (this: unknown, args: never) => unknown];

// Responders by locator class; a flattened view per class (subclasses win)
// is cached until the next registration.
const registry = new WeakMap<object, Map<string, Entry>>();
const flattened = new WeakMap<object, { version: number; table: Map<string, Entry> }>();
let version = 0;

function tableFor(cls: object): Map<string, Entry> {
  const cached = flattened.get(cls);
  if (cached !== undefined && cached.version === version) return cached.table;
  const chain: object[] = [];
  for (
    let c: object | null = cls;
    c !== null && c !== Function.prototype;
    c = Object.getPrototypeOf(c)
  ) {
    chain.push(c);
  }
  const table = new Map<string, Entry>();
  for (let i = chain.length - 1; i >= 0; i--) {
    const own = registry.get(chain[i]);
    if (own !== undefined) { for (const [k, v] of own) table.set(k, v); }
  }
  flattened.set(cls, { version, table });
  return table;
}

const allErrorsCache = new WeakMap<
  CommandClass,
  { all: Map<ErrorClass, string>; fatal: Set<ErrorClass>; reverse: Map<string, ErrorClass> }
>();

function errorTables(command: CommandClass) {
  let t = allErrorsCache.get(command);
  if (t !== undefined) return t;
  const chain: CommandClass[] = [];
  for (let c: CommandClass | null = command; c !== null; c = Object.getPrototypeOf(c)) {
    chain.push(c);
    if (c === Command) break;
  }
  const all = new Map<ErrorClass, string>();
  const fatal = new Set<ErrorClass>();
  const reverse = new Map<string, ErrorClass>();
  for (let i = chain.length - 1; i >= 0; i--) {
    const c = chain[i];
    if (Object.hasOwn(c, "errors")) {
      for (const [cls, code] of c.errors) {
        all.set(cls, code);
        fatal.delete(cls);
        reverse.set(code, cls);
      }
    }
    if (Object.hasOwn(c, "fatalErrors")) {
      for (const [cls, code] of c.fatalErrors) {
        all.set(cls, code);
        fatal.add(cls);
        reverse.set(code, cls);
      }
    }
  }
  t = { all, fatal, reverse };
  allErrorsCache.set(command, t);
  return t;
}

/**
 * Declares a command: its wire name, arguments, response and errors, as
 * static fields of a subclass. Keys are wire names; `callRemote` and the
 * responders are typed from them, so a wrong type fails to compile.
 *
 * - `commandName`: the wire name. @default the class name
 * - `arguments` / `response`: wire names to argument types.
 * - `errors` / `fatalErrors`: error classes to wire codes; both are
 *   inherited. A responder throwing one answers its code (a fatal one then
 *   closes the connection), and the caller's call fails with that class.
 * - `requiresAnswer`: false sends no `_ask`; the call fires with null once
 *   written. Declare it `static override readonly requiresAnswer = false` so
 *   that the type says null too.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * import { connectedServerAndClient } from "@tw/core/testing";
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
 * const [client, , pump] = connectedServerAndClient<amp.AMP>(() => new Calc(), () => new amp.AMP());
 * const answer = client.callRemote(Divide, { numerator: 7, denominator: 2 });
 * pump.flush();
 * const { result } = await answer;
 * console.log(result); // 3.5
 * ```
 */
export class Command {
  /** The wire name: the class name unless a subclass sets its own. */
  static get commandName(): string {
    return this.name;
  }

  /** The arguments: wire names to argument types. @default {} */
  static arguments: ArgumentSchema = {};
  /** The response: wire names to argument types. @default {} */
  static response: ArgumentSchema = {};
  /** Error classes to wire codes (inherited, merged with the base classes'). @default empty */
  static errors: ReadonlyMap<ErrorClass, string> = new Map();
  /** Like `errors`, but answering one closes the connection. @default empty */
  static fatalErrors: ReadonlyMap<ErrorClass, string> = new Map();
  /** False: no answer is asked for, and the call fires with null once written. @default true */
  static readonly requiresAnswer: boolean = true;

  /**
   * Registers `responder` for this command on `locator` (an `AMP` or
   * `CommandLocator` subclass) and its subclasses; `this` in the responder is
   * the locator. Twisted's `Command.responder`, with the class named.
   * @param locator the locator class
   * @param responder gets the arguments; returns the response, or a Deferred or Promise of it
   * @returns the responder
   */
  static responder<C extends CommandClass, L extends object>(
    this: C,
    locator: LocatorClass<L>,
    responder: Responder<C, L>,
  ): Responder<C, L> {
    let own = registry.get(locator);
    if (own === undefined) registry.set(locator, own = new Map());
    own.set(this.commandName, [this, responder as Entry[1]]);
    version++;
    return responder;
  }

  /**
   * Every declared error class with its code, `errors` and `fatalErrors` of
   * this class and its bases (Twisted's `allErrors`).
   */
  static allErrors(): ReadonlyMap<ErrorClass, string> {
    return errorTables(this).all;
  }

  /**
   * Turns arguments into a command box.
   * @param objects the arguments, keyed by wire name
   * @param proto the connection converting
   * @throws {InvalidSignature} for an unknown or missing argument
   */
  static makeArguments(objects: Readonly<Record<string, unknown>>, proto: object | null): AmpBox {
    const schema = this.arguments;
    const where = this.commandName;
    for (const name in objects) {
      if (!Object.hasOwn(schema, name)) {
        throw new InvalidSignature(`${name} is not a valid argument of ${where}`);
      }
    }
    const forgotten: string[] = [];
    for (const name in schema) {
      const v = objects[name];
      if (!schema[name].optional && (v === undefined || v === null)) forgotten.push(name);
    }
    if (forgotten.length > 0) {
      throw new InvalidSignature(`forgot ${forgotten.join(", ")} for ${where}`);
    }
    return objectsToStrings(objects, schema, new AmpBox(), proto, where);
  }

  /**
   * Reads a command box into arguments.
   * @param box the command box
   * @param proto the connection (or the locator) converting
   * @throws {MalformedAmpBox} for a missing or unparsable argument
   */
  static parseArguments(box: AmpBox, proto: object | null): Record<string, unknown> {
    return stringsToObjects(box, this.arguments, proto, `${this.commandName} arguments`);
  }

  /**
   * Turns a responder's result into an answer box.
   * @param objects the response, keyed by wire name (nothing counts as `{}`)
   * @param proto the connection (or the locator) converting
   */
  static makeResponse(objects: unknown, proto: object | null): AmpBox {
    objects ??= {};
    if (typeof objects !== "object") {
      throw new TypeError(`Expected the response as an object, got ${objects}`);
    }
    return objectsToStrings(
      objects as Record<string, unknown>,
      this.response,
      new AmpBox(),
      proto,
      `${this.commandName} response`,
    );
  }

  /**
   * Reads an answer box into the response.
   * @param box the answer box
   * @param proto the connection converting
   * @throws {MalformedAmpBox} for a missing or unparsable value
   */
  static parseResponse(box: AmpBox, proto: object | null): Record<string, unknown> {
    return stringsToObjects(box, this.response, proto, `${this.commandName} response`);
  }
}

/**
 * The error a responder's failure answers with: a declared error class (the
 * nearest in the error's class chain) becomes a `RemoteAmpError` with its
 * code; anything else is returned as it is.
 */
export function checkKnownErrors(command: CommandClass, failure: Failure): Failure {
  const { all, fatal } = errorTables(command);
  if (all.size === 0) return failure;
  const error = failure.value;
  for (let p = Object.getPrototypeOf(error); p !== null; p = Object.getPrototypeOf(p)) {
    const cls = p.constructor as ErrorClass;
    const code = all.get(cls);
    if (code !== undefined) {
      return new Failure(
        new RemoteAmpError(code, error.message, { fatal: fatal.has(cls), local: failure }),
      );
    }
  }
  return failure;
}

/** The error class `command` declares for `code`, if any. */
export function errorForCode(command: CommandClass, code: string): ErrorClass | undefined {
  return errorTables(command).reverse.get(code);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

function makeResponseFor(command: CommandClass, objects: unknown, proto: object): AmpBox {
  try {
    return command.makeResponse(objects, proto);
  } catch (e) {
    if (e instanceof AmpError) throw e;
    throw new BadLocalReturn(
      `The ${command.commandName} responder returned ${describe(objects)}, which ` +
        `${command.commandName}'s response cannot encode`,
      new Failure(e),
    );
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? `${value}`;
  } catch {
    return `${value}`;
  }
}

/**
 * Wraps a typed responder as a box responder: reads the arguments, calls it
 * with `this` the locator, maps declared errors and encodes the response.
 * A synchronous responder is answered synchronously.
 */
export function wrapWithSerialization(
  locator: object,
  command: CommandClass,
  responder: (this: unknown, args: never) => unknown,
): (box: AmpBox) => AmpBox | Deferred<AmpBox> {
  return (box) => {
    const args = command.parseArguments(box, locator);
    let result: unknown;
    try {
      result = responder.call(locator, args as never);
    } catch (e) {
      throw checkKnownErrors(command, new Failure(e));
    }
    if (!isThenable(result)) return makeResponseFor(command, result, locator);
    const d = result instanceof Deferred ? result : Deferred.fromPromise(result);
    return d.addCallback((objects: unknown) => makeResponseFor(command, objects, locator))
      .addErrback((f: Failure) => {
        throw checkKnownErrors(command, f);
      });
  };
}

/** The typed responder `locator`'s class (or a base) registered for `name`, wrapped. */
export function locateCommandResponder(
  locator: object,
  name: string,
): ((box: AmpBox) => AmpBox | Deferred<AmpBox>) | null {
  const entry = tableFor(locator.constructor).get(name);
  if (entry === undefined) return null;
  return wrapWithSerialization(locator, entry[0], entry[1]);
}

/** Twisted's `name.upper()` on bytes: ASCII letters only. */
function asciiUpper(name: string): string {
  return name.replace(/[a-z]+/g, (s) => s.toUpperCase());
}

/** The `amp_NAME` method of `locator`, as a box responder, or null. */
export function locateStringResponder(
  locator: object,
  prefix: string,
  name: string,
): BoxResponder | null {
  const method = (locator as Record<string, unknown>)[prefix + asciiUpper(name)];
  if (typeof method !== "function") return null;
  return (box) => method.call(locator, box);
}

/**
 * A collection of responders for commands, registered with
 * `Command.responder(MyLocator, fn)`; a subclass inherits its bases'
 * responders and may replace them. Give one to `new AMP({ locator })` to keep
 * the responders apart from the connection.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 *
 * class Sum extends amp.Command {
 *   static override arguments = { a: new amp.Integer(), b: new amp.Integer() };
 *   static override response = { total: new amp.Integer() };
 * }
 * class Adder extends amp.CommandLocator {
 *   calls = 0;
 * }
 * Sum.responder(Adder, function ({ a, b }) {
 *   this.calls++;
 *   return { total: a + b };
 * });
 * const proto = new amp.AMP({ locator: new Adder() });
 * console.log(proto.locator.locateResponder("Sum") !== null); // true
 * ```
 */
export class CommandLocator implements IResponderLocator {
  /**
   * The responder registered for `name` on this class or a base, or null.
   * @param name the command's wire name
   */
  locateResponder(name: string): BoxResponder | null {
    return locateCommandResponder(this, name);
  }
}

/**
 * Finds responders by method name: a command `Ping` is answered by the
 * method `amp_PING(box)`, which gets the command box and returns the answer
 * box (or a Deferred or Promise of it).
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 *
 * class Pinger extends amp.SimpleStringLocator {
 *   amp_PING(_box: amp.AmpBox): amp.AmpBox {
 *     return new amp.AmpBox({ pong: "yes" });
 *   }
 * }
 * const responder = new Pinger().locateResponder("ping");
 * console.log(responder !== null); // true
 * ```
 */
export class SimpleStringLocator implements IResponderLocator {
  /** The method name prefix. @default "amp_" */
  baseDispatchPrefix = "amp_";

  /**
   * The method `baseDispatchPrefix + NAME` (upper-cased), or null.
   * @param name the command's wire name
   */
  locateResponder(name: string): BoxResponder | null {
    return locateStringResponder(this, this.baseDispatchPrefix, name);
  }
}

/**
 * Steps a command class adds to a call (`StartTLS`, `ProtocolSwitchCommand`);
 * `box` is the command box.
 */
export interface CallHooks {
  /** Before the box is sent; may throw to fail the call. */
  before?(sender: object, box: AmpBox, extra: unknown[]): void;
  /** Once the box is sent. */
  sent?(sender: object, box: AmpBox): void;
  /** When the answer came (before the caller's callbacks). */
  answered?(sender: object, box: AmpBox, answer: AmpBox): void;
  /** When the call failed (before the caller's errbacks). */
  failed?(sender: object, box: AmpBox, reason: Failure): void;
}

/** Hooks by command class; looked up along the class chain. */
export const callHooks: WeakMap<CommandClass, CallHooks> = new WeakMap();

/** The hooks of `command` or its nearest base that has some. */
export function hooksFor(command: CommandClass): CallHooks | undefined {
  for (let c: CommandClass | null = command; c !== null; c = Object.getPrototypeOf(c)) {
    const h = callHooks.get(c);
    if (h !== undefined) return h;
    if (c === Command) return undefined;
  }
  return undefined;
}
