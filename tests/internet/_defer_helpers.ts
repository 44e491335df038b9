// Shared helpers for the Deferred tests: synchronous inspection of a Deferred's
// result, in the spirit of Twisted's successResultOf / failureResultOf.
import assert from "node:assert/strict";
import type { Deferred } from "../../src/internet/defer.ts";
import { Failure } from "../../src/internet/failure.ts";

/** The result the chain holds now (passed on unchanged); throws if it is pending or failed. */
export function successResultOf<T>(d: Deferred<T>): T {
  let seen: { value: unknown } | undefined;
  d.addBoth((r) => {
    seen = { value: r };
    return r;
  });
  assert.ok(seen, "Deferred has no result yet");
  assert.ok(!(seen.value instanceof Failure), `Deferred failed: ${seen.value}`);
  return seen.value as T;
}

/** The failure the chain holds now; it is consumed (the chain goes on with null). */
export function failureResultOf(d: Deferred<unknown>): Failure {
  let seen: { value: unknown } | undefined;
  d.addBoth((r) => {
    seen = { value: r };
    return null;
  });
  assert.ok(seen, "Deferred has no result yet");
  assert.ok(seen.value instanceof Failure, `Deferred succeeded with ${String(seen.value)}`);
  return seen.value;
}

/** Asserts that the Deferred has not fired (or is waiting). */
export function assertNoResult(d: Deferred<unknown>): void {
  let fired = false;
  d.addBoth((r) => {
    fired = true;
    return r;
  });
  assert.equal(fired, false, "Deferred has a result");
}
