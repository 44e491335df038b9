/**
 * Child processes for the Deno adapter, over `Deno.Command` with piped stdio.
 *
 * @module
 */

import type { ChildProcess, SpawnOptions } from "../src/internet/socket.ts";
import { normalizeError } from "./_deno_errors.ts";

type Handler = Parameters<ChildProcess["start"]>[0];

/** Spawns a child; throws (with code ENOENT, EACCES...) when it cannot be run. */
export function spawnProcess(options: SpawnOptions): ChildProcess {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(options.command, {
      args: options.args,
      env: options.env,
      clearEnv: options.env !== undefined,
      cwd: options.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    throw normalizeError(e);
  }
  return new DenoChild(child);
}

class DenoChild implements ChildProcess {
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | null;
  #stdinChain: Promise<void> = Promise.resolve();
  #started = false;

  constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    // The status is awaited in `start`; until then a failure must stay quiet.
    child.status.catch(() => {});
  }

  get pid(): number {
    return this.#child.pid;
  }

  get native(): unknown {
    return this.#child;
  }

  start(handler: Handler): void {
    if (this.#started) throw new Error("The process is already started");
    this.#started = true;
    const pump = async (stream: ReadableStream<Uint8Array>, fd: 1 | 2): Promise<void> => {
      const reader = stream.getReader();
      try {
        while (true) {
          const { done, value } = await reader.read();
          if (done) return;
          handler.onOutput(fd, value);
        }
      } catch {
        // The pipe broke: the exit status tells the story.
      } finally {
        reader.releaseLock();
      }
    };
    void (async () => {
      await Promise.all([pump(this.#child.stdout, 1), pump(this.#child.stderr, 2)]);
      let code: number | null = null;
      let signal: string | null = null;
      try {
        const status = await this.#child.status;
        signal = status.signal ?? null;
        code = signal === null ? status.code : null;
      } catch {
        code = null;
      }
      this.#dropStdin();
      handler.onExit(code, signal);
    })();
  }

  writeStdin(data: Uint8Array): void {
    const w = this.#stdin;
    if (w === null) return;
    // One write at a time, in order; a child that stopped reading is not an error here.
    this.#stdinChain = this.#stdinChain.then(() => w.write(data)).catch(() => {});
  }

  closeStdin(): void {
    const w = this.#stdin;
    if (w === null) return;
    this.#stdin = null;
    this.#stdinChain = this.#stdinChain.then(() => w.close()).catch(() => {});
  }

  #dropStdin(): void {
    const w = this.#stdin;
    if (w === null) return;
    this.#stdin = null;
    this.#stdinChain = this.#stdinChain.then(() => w.abort()).catch(() => {});
  }

  kill(signal: string): void {
    try {
      this.#child.kill(signal as Deno.Signal);
    } catch (e) {
      const err = normalizeError(e);
      // Already exited: like Twisted's ProcessExitedAlready, not worth a crash.
      if (err.name === "TypeError" || /already|ESRCH|no such process/i.test(err.message)) return;
      throw err;
    }
  }
}
