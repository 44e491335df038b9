/**
 * `Failure`: an error captured so that it can travel down a Deferred's errback
 * chain, be inspected with `check` / `trap`, and be reported with its traceback.
 *
 * @example
 * ```ts
 * import { Failure } from "@tw/core/failure";
 * const f = new Failure(new RangeError("too big"));
 * console.log(f.check(TypeError, RangeError) === RangeError); // true
 * ```
 * @module
 */

/** A constructor of errors, as accepted by `check` and `trap`. */
// deno-lint-ignore no-explicit-any
export type ErrorType = abstract new (...args: any[]) => unknown;

/**
 * Wraps an error (any thrown value) with Twisted's Failure API. Errbacks get
 * one: `trap` lets the errors they handle through and passes the others on.
 *
 * @example
 * ```ts
 * import { Deferred, type Failure } from "@tw/core";
 *
 * const d = new Deferred<number>();
 * d.addErrback((f: Failure) => {
 *   f.trap(RangeError); // any other error goes on down the chain
 *   console.log(String(f)); // [Failure RangeError: too big]
 *   return 0;
 * });
 * d.errback(new RangeError("too big"));
 * console.log(await d); // 0
 * ```
 */
export class Failure {
  /** The wrapped error. A thrown non-Error value is wrapped in an `Error`. */
  readonly value: Error;
  /** The error's constructor. */
  readonly type: ErrorType;
  /** Extra frames recorded by Deferred debug mode (creation and invocation stacks). */
  debugInfo: string | undefined;

  /**
   * Captures an error. Passing a Failure returns a Failure wrapping the same error.
   * @param error the thrown value; non-Error values become `Error(String(value))`
   */
  constructor(error: unknown) {
    const value = error instanceof Failure ? error.value : toError(error);
    this.value = value;
    this.type = value.constructor as ErrorType;
    this.debugInfo = error instanceof Failure ? error.debugInfo : undefined;
  }

  /**
   * Returns the first of `types` the error is an instance of, or `null`.
   * @param types error constructors to test against
   */
  check<T extends ErrorType>(...types: T[]): T | null {
    for (const t of types) if (this.value instanceof t) return t;
    return null;
  }

  /**
   * Returns the first of `types` the error matches; otherwise rethrows this
   * Failure, so the next errback in a Deferred chain sees the same error.
   * @param types error constructors to test against
   */
  trap<T extends ErrorType>(...types: T[]): T {
    const found = this.check(...types);
    if (found === null) throw this;
    return found;
  }

  /** Returns the error's message. */
  getErrorMessage(): string {
    return this.value.message;
  }

  /** Returns the error's stack (or name and message), plus any debug info. */
  getTraceback(): string {
    const stack = this.value.stack ?? `${this.value.name}: ${this.value.message}`;
    return this.debugInfo ? `${stack}\n${this.debugInfo}` : stack;
  }

  /**
   * Writes the traceback to `write`, by default `console.error`.
   * @param write where each call's text goes
   */
  printTraceback(write: (text: string) => void = console.error): void {
    write(this.getTraceback());
  }

  /** Throws the wrapped error. */
  raiseException(): never {
    throw this.value;
  }

  /** Returns `[Failure ErrorName: message]`. */
  toString(): string {
    return `[Failure ${this.value.name}: ${this.value.message}]`;
  }
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  const error = new Error(
    typeof value === "string" ? value : `Non-error thrown: ${describe(value)}`,
  );
  (error as { thrown?: unknown }).thrown = value;
  return error;
}

// String() throws for objects without a usable toString (Object.create(null)).
function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
