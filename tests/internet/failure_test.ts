// Failure: wrapping errors, check/trap, messages and tracebacks.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Failure } from "../../src/internet/failure.ts";
import { ConnectionDone, ConnectionLost } from "../../src/internet/error.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

describe("Failure", () => {
  it("keeps the error in value and its constructor in type", () => {
    const error = new RangeError("out of range");
    const f = new Failure(error);
    assert.equal(f.value, error);
    assert.equal(f.type, RangeError);
  });

  it("wraps a thrown string in an Error with that message", () => {
    const f = new Failure("plain text");
    assert.ok(f.value instanceof Error);
    assert.equal(f.getErrorMessage(), "plain text");
    assert.equal(f.type, Error);
  });

  it("wraps any other thrown value and keeps it in the error's thrown field", () => {
    const thrown = { code: 7 };
    const f = new Failure(thrown);
    assert.match(f.getErrorMessage(), /Non-error thrown/);
    assert.equal((f.value as Error & { thrown?: unknown }).thrown, thrown);
  });

  it("wraps an object that cannot be turned into a string", () => {
    const f = new Failure(Object.create(null));
    assert.match(f.getErrorMessage(), /Non-error thrown: \[object Object\]/);
  });

  it("wraps undefined and null", () => {
    assert.match(new Failure(undefined).getErrorMessage(), /undefined/);
    assert.match(new Failure(null).getErrorMessage(), /null/);
  });

  it("made from another Failure wraps the same error and debug info", () => {
    const first = new Failure(new Error("e"));
    first.debugInfo = "(debug: x)";
    const second = new Failure(first);
    assert.equal(second.value, first.value);
    assert.equal(second.debugInfo, "(debug: x)");
  });

  it("check() returns the first matching type, or null", () => {
    const f = new Failure(new ConnectionDone());
    assert.equal(f.check(ConnectionLost, ConnectionDone), ConnectionDone);
    assert.equal(f.check(Error), Error);
    assert.equal(f.check(TypeError, ConnectionLost), null);
    assert.equal(f.check(), null);
  });

  it("trap() returns the match", () => {
    const f = new Failure(new TypeError("t"));
    assert.equal(f.trap(RangeError, TypeError), TypeError);
  });

  it("trap() rethrows the Failure itself when nothing matches", () => {
    const f = new Failure(new TypeError("t"));
    assert.throws(() => f.trap(RangeError), (e) => e === f);
  });

  it("getTraceback() gives the stack, plus debug info when present", () => {
    const f = new Failure(new Error("traced"));
    assert.match(f.getTraceback(), /Error: traced/);
    f.debugInfo = "(debug: stacks)";
    assert.match(f.getTraceback(), /\(debug: stacks\)$/);
  });

  it("getTraceback() falls back to name and message without a stack", () => {
    const error = new Error("no stack");
    error.stack = undefined;
    assert.equal(new Failure(error).getTraceback(), "Error: no stack");
  });

  it("printTraceback() writes the traceback", () => {
    const f = new Failure(new Error("printed"));
    const lines: string[] = [];
    f.printTraceback((text) => lines.push(text));
    assert.deepEqual(lines, [f.getTraceback()]);
  });

  it("raiseException() throws the wrapped error", () => {
    const error = new Error("raised");
    assert.throws(() => new Failure(error).raiseException(), (e) => e === error);
  });

  it("describes itself with toString()", () => {
    assert.equal(String(new Failure(new RangeError("r"))), "[Failure RangeError: r]");
  });
});
