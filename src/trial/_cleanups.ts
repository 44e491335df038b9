/**
 * trial's `addCleanup` and `patch` for the runners JavaScript has: cleanups
 * registered during a test run after it, last added first, each awaited when
 * it returns a Deferred or a Promise. `trackCleanups(hooks)` ties them to the
 * runner's `afterEach`, as `trackLeaks` does for the leak check.
 *
 * @module
 */
import type { TestHooks } from "../testing/_leak_check.ts";

let pending: (() => unknown)[] = [];

/**
 * Runs `fn` after the current test (trial's `addCleanup`), after any cleanup
 * added later; a Deferred or Promise it returns is awaited. Needs
 * `trackCleanups` in the test file.
 *
 * @example
 * ```ts
 * import { afterEach } from "node:test";
 * import { addCleanup, trackCleanups } from "@tw/core/trial";
 * trackCleanups({ afterEach });
 * // in a test:
 * addCleanup(() => console.log("after the test"));
 * ```
 */
export function addCleanup(fn: () => unknown): void {
  if (typeof fn !== "function") throw new TypeError("addCleanup needs a function");
  pending.push(fn);
}

/**
 * Replaces `obj[name]` with `value` until the current test ends (trial's
 * `patch`): the original is put back by a cleanup, an own property restored as
 * it was, an inherited one removed again. Returns the function that restores
 * it early.
 *
 * @example
 * ```ts
 * import { afterEach } from "node:test";
 * import { patch, trackCleanups } from "@tw/core/trial";
 * trackCleanups({ afterEach });
 * const config = { retries: 3 };
 * // in a test:
 * patch(config, "retries", 0);
 * console.log(config.retries); // 0, and 3 again after the test
 * ```
 */
export function patch<T extends object, K extends keyof T>(
  obj: T,
  name: K,
  value: T[K],
): () => void {
  const own = Object.prototype.hasOwnProperty.call(obj, name);
  const original = Object.getOwnPropertyDescriptor(obj, name);
  (obj as Record<PropertyKey, unknown>)[name as PropertyKey] = value;
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    if (own && original) Object.defineProperty(obj, name, original);
    else delete (obj as Record<PropertyKey, unknown>)[name as PropertyKey];
  };
  addCleanup(restore);
  return restore;
}

/**
 * Runs the cleanups the test added, last first, awaiting each; the first
 * error is thrown once all have run. `trackCleanups` calls it after each test.
 *
 * @example
 * ```ts
 * import { addCleanup, runCleanups } from "@tw/core/trial";
 * addCleanup(() => console.log("second"));
 * addCleanup(() => console.log("first"));
 * await runCleanups(); // "first", then "second"
 * ```
 */
export async function runCleanups(): Promise<void> {
  const cleanups = pending;
  pending = [];
  let firstError: unknown;
  let failed = false;
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      if (!failed) firstError = error;
      failed = true;
    }
  }
  if (failed) throw firstError;
}

/**
 * Runs the cleanups of each test of the current file or `describe` block
 * after it (register it once, at the top of the file).
 *
 * @example
 * ```ts
 * import { afterEach } from "node:test";
 * import { trackCleanups } from "@tw/core/trial";
 * trackCleanups({ afterEach });
 * ```
 */
export function trackCleanups(hooks: Pick<TestHooks, "afterEach">): void {
  hooks.afterEach(() => runCleanups());
}
