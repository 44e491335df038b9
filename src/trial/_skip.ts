/**
 * Skipping a test from inside it, on every runner. `node --test` and `bun test`
 * report `t.skip()` as a skip, but `deno test` reports the test as passed, so
 * `skipTest` also prints one marked line that `tw trial` reads back.
 *
 * @module
 */

/** A test context as `node:test`, Deno and Bun give it (`skip` may be missing). */
export interface SkippableContext {
  /** Marks the running test skipped. */
  skip?: (message?: string) => void;
  /** The running test's name. */
  name?: string;
}

const MARK = "tw-trial: skipped: ";
const SEPARATOR = " :: ";

/**
 * Marks the running test skipped with a reason, in a way each runner reports
 * and `tw trial` sees on Deno too. Return from the test after calling it.
 *
 * @param t the test's context (the argument `it`'s function receives)
 * @param reason why the test cannot run here
 * @example
 * ```ts
 * import { it } from "node:test";
 * import { skipTest } from "@tw/core/trial";
 * it("needs IPv6", (t) => {
 *   const haveIPv6 = false;
 *   if (!haveIPv6) return skipTest(t, "no IPv6 on this machine");
 * });
 * ```
 */
export function skipTest(t: SkippableContext, reason: string): void {
  const oneLine = reason.replace(/\s+/g, " ").trim();
  console.log(`${MARK}${(t.name ?? "").replace(/\s+/g, " ")}${SEPARATOR}${oneLine}`);
  t.skip?.(oneLine);
}

/** The test name and reason of a line `skipTest` printed, else undefined. */
export function readSkipLine(line: string): { name: string; reason: string } | undefined {
  const at = line.indexOf(MARK);
  if (at < 0) return undefined;
  const rest = line.slice(at + MARK.length);
  const split = rest.indexOf(SEPARATOR);
  if (split < 0) return undefined;
  return { name: rest.slice(0, split), reason: rest.slice(split + SEPARATOR.length).trim() };
}
