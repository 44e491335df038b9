/**
 * Perspective Broker's errors, and how an error crosses the wire: sent as
 * Twisted's `CopyableFailure` state, received as our class when Twisted
 * names one we have, else as `RemoteError`.
 * Private: re-exported by `pb.ts`.
 * @module
 */
import { LoginDenied, LoginFailed, UnauthorizedLogin, UnhandledCredentials } from "../cred/mod.ts";
import { Copyable, NoSuchMethod, RemoteCopy } from "./_flavors.ts";

/**
 * The peer broke the PB protocol (Twisted's `pb.ProtocolError`).
 *
 * @example
 * ```ts
 * import { ProtocolError } from "@tw/core/spread";
 * console.log(new ProtocolError("bad").name); // "ProtocolError"
 * ```
 */
export class ProtocolError extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A call through a reference whose broker is gone (Twisted's
 * `pb.DeadReferenceError`).
 *
 * @example
 * ```ts
 * import { DeadReferenceError, ProtocolError } from "@tw/core/spread";
 * console.log(new DeadReferenceError("gone") instanceof ProtocolError); // true
 * ```
 */
export class DeadReferenceError extends ProtocolError {}

/**
 * An error a remote method raises on purpose (Twisted's `pb.Error`): the
 * caller gets it without a traceback logged here. It crosses the wire as
 * `twisted.spread.pb.Error`, so Python callers can `trap(pb.Error)`.
 *
 * @example
 * ```ts
 * import { PBError, Referenceable } from "@tw/core/spread";
 * class Bank extends Referenceable {
 *   remote_withdraw(amount: number): number {
 *     if (amount > 10) throw new PBError("insufficient funds");
 *     return 10 - amount;
 *   }
 * }
 * console.log(new Bank().remote_withdraw(3)); // 7
 * ```
 */
export class PBError extends Error {
  /** Makes the error. */
  constructor(message = "") {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The connection closed before the answer came (Twisted's
 * `pb.PBConnectionLost`).
 *
 * @example
 * ```ts
 * import { PBConnectionLost } from "@tw/core/spread";
 * console.log(new PBConnectionLost("closed").message); // "closed"
 * ```
 */
export class PBConnectionLost extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A remote failure of a type we have no class for (Twisted's
 * `pb.RemoteError`): `remoteType` is the Python class path (e.g.
 * `builtins.ValueError`), the message is the remote one.
 *
 * @example
 * ```ts
 * import { RemoteError } from "@tw/core/spread";
 * const e = new RemoteError("builtins.ValueError", "bad value", "Traceback unavailable\n");
 * console.log(e.remoteType, e.message); // builtins.ValueError bad value
 * ```
 */
export class RemoteError extends Error {
  /** The remote exception's class path. */
  readonly remoteType: string;
  /** The remote traceback ("Traceback unavailable" unless the peer sends them). */
  readonly remoteTraceback: string;
  /** The class paths of the remote exception and its parents. */
  readonly remoteParents: readonly string[];

  /** Makes the error. */
  constructor(
    remoteType: string,
    message: string,
    remoteTraceback: string,
    remoteParents: readonly string[] = [remoteType],
  ) {
    super(message);
    this.name = "RemoteError";
    this.remoteType = remoteType;
    this.remoteTraceback = remoteTraceback;
    this.remoteParents = remoteParents;
  }
}

const BASE = ["builtins.Exception", "builtins.BaseException", "builtins.object"];
const LOGIN_FAILED = "twisted.cred.error.LoginFailed";
// Our classes that stand for Twisted's, with the class paths of their parents.
const KNOWN = new Map<abstract new (...a: never[]) => Error, string[]>([
  [PBError, ["twisted.spread.pb.Error", ...BASE]],
  [NoSuchMethod, ["twisted.spread.flavors.NoSuchMethod", "builtins.AttributeError", ...BASE]],
  [
    UnauthorizedLogin,
    [
      "twisted.cred.error.UnauthorizedLogin",
      LOGIN_FAILED,
      "twisted.cred.error.Unauthorized",
      ...BASE,
    ],
  ],
  [UnhandledCredentials, ["twisted.cred.error.UnhandledCredentials", LOGIN_FAILED, ...BASE]],
  [LoginDenied, ["twisted.cred.error.LoginDenied", LOGIN_FAILED, ...BASE]],
  [LoginFailed, [LOGIN_FAILED, ...BASE]],
  [TypeError, ["builtins.TypeError", ...BASE]],
  [RangeError, ["builtins.ValueError", ...BASE]],
  [Error, BASE],
]);
const BY_PATH = new Map<string, new (message: string) => Error>([
  ["twisted.spread.pb.Error", PBError],
  ["twisted.spread.flavors.NoSuchMethod", NoSuchMethod],
  ["twisted.cred.error.UnauthorizedLogin", UnauthorizedLogin],
  ["twisted.cred.error.UnhandledCredentials", UnhandledCredentials],
  ["twisted.cred.error.LoginDenied", LoginDenied],
  [LOGIN_FAILED, LoginFailed],
]);

/**
 * The Python class paths an error is sent as, its own first: Twisted's
 * for the classes we share with it, a class's static `remoteType` when it
 * has one (e.g. `"myapp.errors.NotFound"`), else the class name.
 *
 * @example
 * ```ts
 * import { PBError, remoteParentsOf } from "@tw/core/spread";
 * class NotFound extends PBError {
 *   static remoteType = "myapp.errors.NotFound";
 * }
 * console.log(remoteParentsOf(new NotFound("gone")).slice(0, 2));
 * // ["myapp.errors.NotFound", "twisted.spread.pb.Error"]
 * ```
 */
export function remoteParentsOf(error: Error): string[] {
  const own: string[] = [];
  for (let c = error.constructor; typeof c === "function"; c = Object.getPrototypeOf(c)) {
    const known = KNOWN.get(c as never);
    if (known !== undefined) return [...own, ...known];
    const named = Object.hasOwn(c, "remoteType")
      ? (c as unknown as { remoteType: unknown }).remoteType
      : undefined;
    own.push(typeof named === "string" ? named : c.name);
  }
  return [...own, ...BASE];
}

/**
 * A failure as it is copied to the peer (Twisted's `pb.CopyableFailure`):
 * the class path, the message and the parents' paths, and a traceback only
 * with `unsafeTracebacks`.
 *
 * @example
 * ```ts
 * import { CopyableFailure, PBError } from "@tw/core/spread";
 * const state = new CopyableFailure(new PBError("no")).getStateToCopy();
 * console.log(state.value, state.parents[0]); // no twisted.spread.pb.Error
 * ```
 */
export class CopyableFailure extends Copyable {
  /** The error copied. */
  readonly error: Error;
  /** True to send the stack too. */
  unsafeTracebacks: boolean;

  /** Copies `error` (a stack only with `unsafeTracebacks`). */
  constructor(error: Error, unsafeTracebacks = false) {
    super();
    this.error = error;
    this.unsafeTracebacks = unsafeTracebacks;
  }

  /** Twisted's tag, so its peers make a `CopiedFailure`. */
  override getTypeToCopy(): string {
    return "twisted.spread.pb.CopyableFailure";
  }

  /** The state Twisted's `Failure` has, without frames. */
  override getStateToCopy(): {
    type: Uint8Array;
    value: string;
    tb: null;
    frames: never[];
    stack: never[];
    parents: string[];
    count: number;
    captureVars: boolean;
    traceback: string;
    unsafeTracebacks: number;
  } {
    const parents = remoteParentsOf(this.error);
    return {
      type: new TextEncoder().encode(parents[0]),
      value: this.error.message,
      tb: null,
      frames: [],
      stack: [],
      parents,
      count: 0,
      captureVars: false,
      traceback: this.unsafeTracebacks
        ? `${this.error.stack ?? String(this.error)}\n`
        : "Traceback unavailable\n",
      unsafeTracebacks: this.unsafeTracebacks ? 1 : 0,
    };
  }
}

/**
 * A failure copied from the peer (Twisted's `pb.CopiedFailure`); the
 * broker turns it into the error the caller sees (`toError`).
 *
 * @example
 * ```ts
 * import { CopiedFailure } from "@tw/core/spread";
 * const copied = new CopiedFailure();
 * copied.setCopyableState({ type: "builtins.KeyError", value: "'x'", parents: [] });
 * console.log(copied.toError().message); // 'x'
 * ```
 */
export class CopiedFailure extends RemoteCopy<Record<string, unknown>> {
  /** The remote exception's class path. */
  type = "";
  /** Its message. */
  value = "";
  /** The remote traceback, or "Traceback unavailable". */
  traceback = "";
  /** The class paths of the exception and its parents. */
  parents: string[] = [];

  /** Takes Twisted's failure state (byte strings read as UTF-8). */
  override setCopyableState(state: Record<string, unknown>): void {
    const text = (v: unknown): string =>
      v instanceof Uint8Array ? new TextDecoder().decode(v) : typeof v === "string" ? v : "";
    this.type = text(state.type);
    this.value = text(state.value);
    this.traceback = text(state.traceback);
    this.parents = Array.isArray(state.parents) ? state.parents.map(text) : [];
  }

  /**
   * Our class for the remote type (or for its nearest parent we share with
   * Twisted), else a `RemoteError`.
   */
  toError(): Error {
    for (const path of [this.type, ...this.parents]) {
      const cls = BY_PATH.get(path);
      if (cls !== undefined) return new cls(this.value);
    }
    const parents = this.parents.length > 0 ? this.parents : [this.type];
    return new RemoteError(this.type, this.value, this.traceback, parents);
  }
}
