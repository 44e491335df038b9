#!/usr/bin/env node
/**
 * The `tw` program: `deno run -A runtimes/cli.ts ...`, `bun runtimes/cli.ts
 * ...`, `node runtimes/cli.ts ...`. Runs the command (`runtimes/_tw_main.ts`:
 * the reactor for the runtime, the runner, the built-in plugins loaded only
 * when they run) and exits with its status. This module is also
 * `@tw/core/cli`: it re-exports the command's API (options, plugins, the
 * runner), so `deno run -A jsr:@tw/core/cli web` runs the command.
 *
 * @module
 */
import { main as runTw, runMain as runTwMain } from "./_tw_main.ts";

export * from "../src/cli/mod.ts";

/**
 * Runs `tw` with `argv` and exits with its status.
 *
 * @example
 * ```ts
 * import { main } from "@tw/core/cli";
 * // A program that always runs tw's echo plugin on port 9000, whatever its own arguments.
 * await main(["echo", "--port", "9000"]);
 * ```
 */
export function main(argv: string[]): Promise<never> {
  return runTw(argv);
}

/**
 * Runs `tw` with this process's arguments and exits: what running a `tw` entry does.
 *
 * @example
 * ```ts
 * // my_tw.ts, a `tw` of your own: `deno run -A my_tw.ts web --port 8080`
 * import { runMain } from "@tw/core/cli";
 * if (import.meta.main) await runMain();
 * ```
 */
export function runMain(): Promise<never> {
  return runTwMain();
}

// import.meta.main: Deno, Bun, and Node since 24.2.
if (import.meta.main) await runMain();
