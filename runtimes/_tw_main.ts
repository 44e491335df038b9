/**
 * The `tw` command itself, with as little loaded as it needs: the reactor for
 * this runtime, the runner, and the built-in plugins as lazy makers (a
 * plugin's module is imported only when it runs). `runtimes/cli.ts` (the
 * `@tw/core/cli` entry) and the npm package's `tw` bin run it.
 *
 * @module
 */
import { openSync, writeSync } from "node:fs";
import { reactor } from "./select.ts";
import { runCommand } from "../src/cli/_runner.ts";
import { lazyBuiltinPlugins } from "../src/cli/plugins/_builtin.ts";

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

/** Runs `tw` with `argv` and exits with its status. */
export async function main(argv: string[]): Promise<never> {
  let status: number;
  try {
    status = await runCommand(argv, reactor, {
      plugins: lazyBuiltinPlugins,
      runtimeVersion: runtimeVersion(),
      openLogFile,
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    writeSync(2, `tw: ${why.split("\n")[0]}\n`);
    status = 1;
  }
  return reactor.runtime.exit(status);
}

/** Runs `tw` with this process's arguments and exits. */
export function runMain(): Promise<never> {
  return main(reactor.runtime.args());
}
