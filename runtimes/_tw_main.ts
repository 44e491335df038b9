/**
 * The `tw` command itself, with as little loaded as it needs: the reactor for
 * this runtime, the runner, and the built-in plugins as lazy makers (a
 * plugin's module is imported only when it runs). `runtimes/cli.ts` (the
 * `@tw/core/cli` entry) and the npm package's `tw` bin run it.
 *
 * @module
 */
import { reactor } from "./select.ts";
import { runCommand } from "../src/cli/_runner.ts";
import { lazyBuiltinPlugins } from "../src/cli/plugins/_builtin.ts";
import { nodeFs } from "./_node_lazy.ts";

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

interface SyncFiles {
  openSync(path: string, flags: string, mode: number): number;
  writeSync(fd: number, text: string): number;
}
type DenoFiles = {
  openSync(path: string, options: object): { writeSync(p: Uint8Array): number };
  stderr: { writeSync(p: Uint8Array): number };
};
const deno = (globalThis as { Deno?: DenoFiles }).Deno;
// node:fs on Node and Bun; on Deno the Deno namespace (its node layer costs
// about 20 ms to load, which `tw --help` should not pay).
// getBuiltinModule, not import(): node:fs's module namespace loads its streams.
const nodeFiles: SyncFiles | null = deno ? null : nodeFs();
const encoder = new TextEncoder();

function writeAllTo(out: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.byteLength > 0) bytes = bytes.subarray(out.writeSync(bytes));
}

/** Appends synchronously: a log line is on disk before the next event. */
function openLogFile(path: string): (text: string) => void {
  // Opened now, so a bad path fails at startup with its cause; the descriptor
  // lives as long as the process.
  if (deno) {
    const file = deno.openSync(path, { append: true, create: true, mode: 0o644 });
    return (text: string) => writeAllTo(file, text);
  }
  const fd = nodeFiles!.openSync(path, "a", 0o644);
  return (text: string) => {
    nodeFiles!.writeSync(fd, text);
  };
}

function writeError(text: string): void {
  if (deno) writeAllTo(deno.stderr, text);
  else nodeFiles!.writeSync(2, text);
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
    writeError(`tw: ${why.split("\n")[0]}\n`);
    status = 1;
  }
  return reactor.runtime.exit(status);
}

/** Runs `tw` with this process's arguments and exits. */
export function runMain(): Promise<never> {
  return main(reactor.runtime.args());
}
