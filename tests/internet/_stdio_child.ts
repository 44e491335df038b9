// Runs tests/fixtures/stdio/child.ts on the runtime running the tests.
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

export const CHILD = fileURLToPath(new URL("../fixtures/stdio/child.ts", import.meta.url));

/** The command line running `script` on this runtime. */
export function runtimeCommand(script: string, args: string[]): [string, string[]] {
  const argv = "Deno" in globalThis ? ["run", "-A", script, ...args] : [script, ...args];
  return [process.execPath, argv];
}

/** What a finished child gave. */
export interface ChildResult {
  code: number | null;
  stdout: Uint8Array;
  stderr: string;
  /** Milliseconds from spawn to exit. */
  ms: number;
}

/**
 * Runs the child in `mode`, writing `input` to its stdin (then closing it
 * unless `keepStdinOpen`); kills it after `timeoutMs`.
 */
export function runChild(
  mode: string,
  input: Uint8Array | string,
  options: { keepStdinOpen?: boolean; timeoutMs?: number; command?: [string, string[]] } = {},
): Promise<ChildResult> {
  const [exe, argv] = options.command ?? runtimeCommand(CHILD, [mode]);
  const started = Date.now();
  const child = spawn(exe, argv, { stdio: ["pipe", "pipe", "pipe"] });
  const out: Uint8Array[] = [];
  let err = "";
  child.stdout.on("data", (d: Uint8Array) => out.push(d));
  child.stderr.on("data", (d: Uint8Array) => err += new TextDecoder().decode(d));
  child.stdin.on("error", () => {});
  child.stdin.write(input);
  if (!options.keepStdinOpen) child.stdin.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30000);
  return new Promise((resolve) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      const total = out.reduce((n, c) => n + c.byteLength, 0);
      const stdout = new Uint8Array(total);
      let at = 0;
      for (const c of out) {
        stdout.set(c, at);
        at += c.byteLength;
      }
      resolve({ code, stdout, stderr: err, ms: Date.now() - started });
    });
  });
}
