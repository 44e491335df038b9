/**
 * The reactor for the runtime this code runs on. Detects Deno, then Bun, then
 * Node (`TW_RUNTIME=node` forces the Node adapter on any runtime), imports the
 * adapter, builds a `Reactor` over it and installs it as the process-wide
 * reactor (`getReactor()`), which `LoopingCall`, `cooperate` and `react` use
 * when given no clock. Importing starts nothing that keeps the process alive.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * reactor.callLater(0.01, () => console.log(reactor.runtime.name));
 * ```
 * @module
 */
import { installReactor, Reactor } from "../src/internet/reactor.ts";
import type { Runtime } from "../src/internet/socket.ts";
import { selectRuntime } from "./_detect.ts";

export { detectRuntime, selectRuntime } from "./_detect.ts";
export type { DetectContext, RuntimeName } from "./_detect.ts";
export { getReactor, installReactor } from "../src/internet/reactor.ts";

/**
 * Imports one adapter by name and returns its `Runtime`. Literal import paths,
 * so bundlers and `deno publish` see every adapter.
 */
export async function loadRuntime(name: string): Promise<Runtime> {
  switch (name) {
    case "deno":
      return (await import("./deno.ts")).runtime;
    case "bun":
      return (await import("./bun.ts")).runtime;
    case "node":
      return (await import("./node.ts")).runtime;
    default:
      throw new RangeError(`Unknown runtime: ${name} (expected deno, bun or node)`);
  }
}

/** The adapter chosen for this process. */
export const runtime: Runtime = await loadRuntime(selectRuntime());

/** The reactor for this process, also installed for `getReactor()`. */
export const reactor: Reactor = new Reactor(runtime);
installReactor(reactor);
