/**
 * Where `IMAP4Client` streams a big literal (Twisted's `messageFile(octets)`):
 * the `ILiteralSink` interface, and `fileMessageSink`, a sink writing to a
 * file through the runtime's file system. Private: re-exported by `mod.ts`.
 * @module
 */
import { getReactor } from "../../internet/reactor.ts";

/**
 * What a sink's `close()` gives the FETCH result in place of the literal's
 * bytes: a path, a handle, a digest, any object of yours (not null).
 */
export type LiteralSinkResult = string | object;

/**
 * Receives one literal's bytes as they arrive, instead of the client keeping
 * them in memory (Twisted's `messageFile(octets)` file object). The client
 * calls `write` with each piece in order (together exactly the announced
 * octets), then `close` once; or `abort` instead of what is left when the
 * connection is lost mid-literal, the response is bad, or a `write` failed.
 *
 * A `write` that returns a Promise pauses the connection's reading
 * (`transport.pauseProducing`) until it settles; the next `write` comes only
 * after, so a slow disk never lets memory grow. A rejected `write` (disk
 * full) aborts the sink; the rest of the literal is read and dropped, and the
 * command (`fetch*`) rejects with that error, leaving the connection usable.
 *
 * The chunks are views of the bytes the transport handed over (which belong
 * to the receiver): keep them or copy them, as you like.
 *
 * @example
 * ```ts
 * import { IMAP4Client, type ILiteralSink } from "@tw/core/mail/imap4";
 *
 * // Counts a big body's bytes and lines without keeping them.
 * class Counter implements ILiteralSink {
 *   octets = 0;
 *   lines = 0;
 *   write(chunk: Uint8Array): void {
 *     this.octets += chunk.byteLength;
 *     for (const b of chunk) if (b === 10) this.lines++;
 *   }
 *   close(): { octets: number; lines: number } {
 *     return { octets: this.octets, lines: this.lines };
 *   }
 *   abort(_reason: unknown): void {}
 * }
 * const client = new IMAP4Client({ messageFile: () => new Counter() });
 * ```
 */
export interface ILiteralSink {
  /** Takes the next piece of the literal; a returned Promise holds back the next one. */
  write(chunk: Uint8Array): void | Promise<void>;
  /**
   * Called once after the last piece was written: what it returns (or
   * resolves with) becomes the FETCH item's value; a throw or rejection
   * rejects the command.
   */
  close(): LiteralSinkResult | Promise<LiteralSinkResult>;
  /** The literal will not complete (connection lost, bad input, a failed write): clean up. */
  abort(reason: unknown): void | Promise<void>;
}

/**
 * Makes the sink of one literal of `octets` octets, or gives null (or
 * undefined) to keep it in memory (`IMAP4ClientOptions.messageFile`).
 */
export type MessageFileFactory = (octets: number) => ILiteralSink | null | undefined;

/** A file open for writing, as `MessageSinkFiles.open` gives it. */
export interface MessageSinkFile {
  /** Writes `data` at `position`; resolves with the count written. */
  write(data: Uint8Array, position: number): Promise<number>;
  /** Flushes the data to stable storage (fsync). */
  sync(): Promise<void>;
  /** Closes the file. */
  close(): Promise<void>;
}

/**
 * The file operations `fileMessageSink` uses: a runtime's file system
 * (`reactor.runtime`) has them.
 */
export interface MessageSinkFiles {
  /** Opens a file (`open(2)` flags); absent on a file system that cannot write. */
  open?(
    path: string,
    options: { write?: boolean; create?: boolean; truncate?: boolean; mode?: number },
  ): Promise<MessageSinkFile>;
  /** Removes a file. */
  remove(path: string): Promise<void>;
}

/** Options of `fileMessageSink`. */
export interface FileMessageSinkOptions {
  /**
   * The file system (one with `open`, as every runtime adapter has).
   * @default getReactor().runtime
   */
  fs?: MessageSinkFiles;
  /**
   * The permission bits of the file made.
   * @default 0o600
   */
  mode?: number;
  /**
   * Flush the data to stable storage (fsync) before `close()` resolves.
   * @default false
   */
  sync?: boolean;
}

/**
 * A sink writing the literal to the file `path` (made or truncated, mode
 * 0o600 by default), through the runtime's file system: its `close()`
 * resolves with `path`, which the FETCH result holds in place of the bytes.
 * Each write waits for the disk, so the client holds at most one chunk. On
 * `abort` the file is closed and removed. The file is opened at the first
 * write (or at `close()` for an empty literal).
 *
 * @example
 * ```ts
 * import { fileMessageSink, IMAP4Client } from "@tw/core/mail/imap4";
 *
 * let n = 0;
 * const client = new IMAP4Client({
 *   // Bodies over 10 MiB go to files; the FETCH value is the path.
 *   messageFile: (_octets) => fileMessageSink(`/tmp/literal-${n++}.eml`),
 * });
 * // const r = await client.fetchSpecific("1", { peek: true });
 * // r[1]["BODY[]"] is "/tmp/literal-0.eml" for a big message, bytes otherwise
 * ```
 * @param path the file to write
 * @param options the file system, the file's mode, fsync
 */
export function fileMessageSink(path: string, options: FileMessageSinkOptions = {}): ILiteralSink {
  let file: Promise<MessageSinkFile> | null = null;
  let position = 0;
  const open = (): Promise<MessageSinkFile> => {
    if (file !== null) return file;
    const fs: MessageSinkFiles = options.fs ?? getReactor().runtime;
    if (typeof fs.open !== "function") {
      file = Promise.reject(new Error("This file system cannot open files for writing"));
    } else {
      file = fs.open(path, {
        write: true,
        create: true,
        truncate: true,
        mode: options.mode ?? 0o600,
      });
    }
    return file;
  };
  return {
    async write(chunk: Uint8Array): Promise<void> {
      const f = await open();
      let done = 0;
      while (done < chunk.byteLength) {
        const n = await f.write(chunk.subarray(done), position);
        if (n <= 0) throw new Error(`Could not write to ${path}`);
        done += n;
        position += n;
      }
    },
    async close(): Promise<string> {
      const f = await open();
      if (options.sync) await f.sync();
      await f.close();
      return path;
    },
    async abort(): Promise<void> {
      if (file === null) return;
      try {
        await (await file).close();
      } catch {
        // Not opened, or closed already: nothing to close.
      }
      const fs = options.fs ?? getReactor().runtime;
      await fs.remove(path).catch(() => {});
    },
  };
}
