/**
 * The pid file (`--pidfile`): written at startup with this process's id,
 * refused while a live process owns it, replaced when stale, removed on exit.
 * Private to src/cli.
 *
 * @module
 */
import type { RuntimeFileSystem, RuntimeProcess } from "../internet/socket.ts";

/** What the pid file needs from the runtime: its files and process facts. */
export type PidFileRuntime =
  & Pick<RuntimeFileSystem, "readFile" | "writeFile" | "remove">
  & Pick<RuntimeProcess, "pid" | "processAlive">;

/**
 * A live process owns the pid file: refuse to start (Twisted's `checkPID`).
 *
 * @example
 * ```ts
 * import { PidFile, PidFileInUseError } from "@tw/core/cli";
 *
 * // A runtime where tw.pid names process 4242, which is alive.
 * const runtime = {
 *   readFile: () => Promise.resolve(new TextEncoder().encode("4242\n")),
 *   writeFile: () => Promise.resolve(),
 *   remove: () => Promise.resolve(),
 *   pid: () => 1000,
 *   processAlive: (pid: number) => pid === 4242,
 * };
 * await new PidFile("tw.pid", runtime).acquire().catch((e) => {
 *   if (e instanceof PidFileInUseError) console.log(e.pid); // 4242
 * });
 * ```
 */
export class PidFileInUseError extends Error {
  /** The pid found in the file. */
  readonly pid: number;
  /** Creates the error for the file and its owner. */
  constructor(path: string, pid: number) {
    super(`Cannot write pid file ${path}: process ${pid} is running and owns it`);
    this.name = "PidFileInUseError";
    this.pid = pid;
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOENT" || (error as Error | null)?.name === "NotFound";
}

/**
 * A pid file at `path`. `acquire()` writes it (or throws `PidFileInUseError`),
 * `release()` removes it if it still names this process.
 *
 * @example
 * ```ts
 * import { PidFile } from "@tw/core/cli";
 * import { reactor } from "@tw/core";
 *
 * const pidfile = new PidFile("example.pid", reactor.runtime);
 * await pidfile.acquire(); // throws PidFileInUseError while another live process owns it
 * console.log(await pidfile.read() === reactor.runtime.pid()); // true
 * await pidfile.release(); // removes the file
 * ```
 */
export class PidFile {
  /** Where the file is. */
  readonly path: string;
  #runtime: PidFileRuntime;
  #written = false;

  /**
   * Describes the pid file; touches nothing yet.
   * @param path the file's path
   * @param runtime file access and process facts
   */
  constructor(path: string, runtime: PidFileRuntime) {
    this.path = path;
    this.#runtime = runtime;
  }

  /** Reads the pid the file names: null when there is no file or no number in it. */
  async read(): Promise<number | null> {
    let text: string;
    try {
      text = new TextDecoder().decode(await this.#runtime.readFile(this.path));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    const trimmed = text.trim();
    if (!/^\d+$/.test(trimmed)) return null;
    return Number.parseInt(trimmed, 10);
  }

  /**
   * Writes this process's pid. Throws `PidFileInUseError` when another live
   * process owns the file; a stale file (dead pid, garbage) is replaced.
   * @returns the stale pid that was replaced, or null
   */
  async acquire(): Promise<number | null> {
    const own = this.#runtime.pid();
    const existing = await this.read();
    if (existing !== null && existing !== own && this.#runtime.processAlive(existing)) {
      throw new PidFileInUseError(this.path, existing);
    }
    await this.#runtime.writeFile(this.path, `${own}\n`, { mode: 0o644 });
    this.#written = true;
    return existing !== null && existing !== own ? existing : null;
  }

  /** Removes the file if this process wrote it and it still names this process. */
  async release(): Promise<void> {
    if (!this.#written) return;
    this.#written = false;
    try {
      if (await this.read() !== this.#runtime.pid()) return;
      await this.#runtime.remove(this.path);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
