/**
 * A configuration file read through the runtime (`reactor.runtime.readFile`
 * and `stat`) and read again when it changes: resolv.conf for the client
 * resolver, the hosts file for `hosts.Resolver`.
 *
 * Twisted checks resolv.conf's mtime every 60 seconds from a timer; a timer
 * that never ends keeps a process (and a test) busy, so here the check is
 * lazy: a lookup stats the file when the last check is older than
 * `interval` seconds, and reads it when its mtime or size changed.
 *
 * @module
 */
import { Deferred, succeed } from "../../internet/defer.ts";
import type { IReactorTime } from "../../internet/interfaces.ts";
import type { FileInfo } from "../../internet/socket.ts";

/** The part of a runtime a watched file needs: `reactor.runtime`. */
export interface FileReader {
  /** Reads a whole file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Facts about a path (its mtime and size). */
  stat(path: string): Promise<FileInfo>;
}

/** A reactor that can read files: time, and `runtime` (optional until a file is named). */
export interface IReactorFiles extends IReactorTime {
  /** The runtime adapter, for `readFile` and `stat`. */
  readonly runtime?: FileReader;
}

/** How often a watched file is checked for changes, seconds. */
export const DEFAULT_READ_INTERVAL = 5;

/** True for a "no such file" error from any runtime. */
export function isNotFound(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown } | null;
  return e?.code === "ENOENT" || e?.code === "ENOTDIR" || e?.name === "NotFound";
}

/** What a check found: the text (null when the file does not exist) and whether it changed. */
export interface FileState {
  /** The file's text, or null when it does not exist. */
  text: string | null;
  /** True when this check read something new (the first check always does). */
  changed: boolean;
}

/** A file re-read when its mtime or size changes, checked at most once per `interval`. */
export class WatchedFile {
  readonly path: string;
  readonly interval: number;
  readonly #reactor: IReactorFiles;
  #checkedAt = -Infinity;
  #stamp: string | undefined = undefined;
  #text: string | null = null;
  #loaded = false;
  #pending: Promise<FileState> | null = null;

  constructor(path: string, reactor: IReactorFiles, interval: number = DEFAULT_READ_INTERVAL) {
    this.path = path;
    this.interval = interval;
    this.#reactor = reactor;
  }

  /** The text from the last check (null when missing or not read yet). */
  get text(): string | null {
    return this.#text;
  }

  /**
   * Checks the file (at once with `force`, else only when the last check is
   * `interval` seconds old) and fires with its state. Fails with the
   * runtime's error for anything but a missing file.
   */
  check(force = false): Deferred<FileState> {
    const now = this.#reactor.seconds();
    if (!force && this.#loaded && now - this.#checkedAt < this.interval) {
      return succeed({ text: this.#text, changed: false });
    }
    if (this.#pending === null) {
      this.#checkedAt = now;
      const pending = this.#read();
      this.#pending = pending;
      const clear = (): void => {
        if (this.#pending === pending) this.#pending = null;
      };
      pending.then(clear, clear);
    }
    return Deferred.fromPromise(this.#pending);
  }

  async #read(): Promise<FileState> {
    const runtime = this.#reactor.runtime;
    if (runtime === undefined) {
      throw new TypeError(`Cannot read ${this.path}: the reactor has no runtime to read files`);
    }
    let info: FileInfo;
    try {
      info = await runtime.stat(this.path);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const changed = !this.#loaded || this.#text !== null;
      this.#loaded = true;
      this.#stamp = undefined;
      this.#text = null;
      return { text: null, changed };
    }
    const stamp = info.mtime === null ? undefined : `${info.mtime.getTime()}:${info.size}`;
    if (this.#loaded && stamp !== undefined && stamp === this.#stamp) {
      return { text: this.#text, changed: false };
    }
    let text: string | null;
    try {
      text = new TextDecoder().decode(await runtime.readFile(this.path));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      text = null;
    }
    const changed = !this.#loaded || text !== this.#text;
    this.#loaded = true;
    this.#stamp = stamp;
    this.#text = text;
    return { text, changed };
  }
}
