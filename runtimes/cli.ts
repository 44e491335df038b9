#!/usr/bin/env node
/**
 * The `tw` program: `deno run -A runtimes/cli.ts ...`, `bun runtimes/cli.ts
 * ...`, `node runtimes/cli.ts ...`. Picks the reactor for the runtime, runs
 * the command (`src/cli/mod.ts`) and exits with its status. The runtime
 * facts the command cannot learn from the adapter (its version, appending to
 * log files) come from here. This module is also `@tw/core/cli`: it
 * re-exports the command's API (options, plugins, the runner), so
 * `deno run -A jsr:@tw/core/cli web` runs the command.
 *
 * @module
 */
import { openSync, writeSync } from "node:fs";
import { reactor } from "./select.ts";
import { run } from "../src/cli/mod.ts";

export * from "../src/cli/mod.ts";

function runtimeVersion(): string {
  const g = globalThis as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
    process?: { versions?: { node?: string } };
  };
  if (g.Deno) return `Deno ${g.Deno.version.deno}`;
  if (g.Bun) return `Bun ${g.Bun.version}`;
  return `Node ${g.process?.versions?.node ?? "?"}`;
}

/** Appends synchronously: a log line is on disk before the next event. */
function openLogFile(path: string): (text: string) => void {
  // Opened now, so a bad path fails at startup with its cause; the descriptor
  // lives as long as the process.
  const fd = openSync(path, "a", 0o644);
  return (text: string) => {
    writeSync(fd, text);
  };
}

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
export async function main(argv: string[]): Promise<never> {
  let status: number;
  try {
    status = await run(argv, reactor, { runtimeVersion: runtimeVersion(), openLogFile });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    writeSync(2, `tw: ${why.split("\n")[0]}\n`);
    status = 1;
  }
  return reactor.runtime.exit(status);
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
  return main(reactor.runtime.args());
}

// import.meta.main: Deno, Bun, and Node since 24.2.
if (import.meta.main) await runMain();
