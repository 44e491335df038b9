/**
 * The main-thread half of `Runtime.openSQLite`, shared by the three adapters:
 * one worker per database connection (runtimes/_sqlite_worker.ts), requests
 * matched to replies by number. Each adapter passes the way it starts a
 * worker; everything else is the same on Deno, Bun and Node.
 *
 * @module
 */
import type { SQLiteConnection, SQLiteOpenOptions, SQLiteResult } from "../src/internet/socket.ts";

/** What a started worker lets this side do. */
export interface SQLiteWorkerPort {
  post(message: unknown): void;
  terminate(): void;
  /** Keeps the process alive (while requests are pending), if the runtime can say. */
  ref?(): void;
  /** Lets the process end (while idle), if the runtime can say. */
  unref?(): void;
}

/** What the worker reports: a message, a crash, or its end. */
export interface SQLiteWorkerHandlers {
  message(data: unknown): void;
  error(error: unknown): void;
  exit(): void;
}

/** Starts the worker at `url` and wires `handlers` to it. */
export type SpawnSQLiteWorker = (url: URL, handlers: SQLiteWorkerHandlers) => SQLiteWorkerPort;

/** The worker module's address (the npm build rewrites the extension). */
export const SQLITE_WORKER_URL: URL = new URL("./_sqlite_worker.ts", import.meta.url);

interface Reply {
  id: number;
  ok: boolean;
  result?: SQLiteResult;
  error?: { name: string; message: string; code?: unknown; errcode?: unknown; errstr?: unknown };
}

interface Pending {
  resolve(value: SQLiteResult): void;
  reject(error: Error): void;
}

function lostError(reason: string): Error {
  const error = new Error(`The SQLite worker is gone: ${reason}`);
  (error as Error & { code: string }).code = "ERR_TW_SQLITE_LOST";
  return error;
}

function rebuild(fields: NonNullable<Reply["error"]>): Error {
  const error = new Error(fields.message);
  error.name = fields.name;
  const target = error as Error & Record<string, unknown>;
  if (fields.code !== undefined) target.code = fields.code;
  if (fields.errcode !== undefined) target.errcode = fields.errcode;
  if (fields.errstr !== undefined) target.errstr = fields.errstr;
  return error;
}

class WorkerConnection implements SQLiteConnection {
  #port: SQLiteWorkerPort;
  #pending = new Map<number, Pending>();
  #next = 1;
  #lost: Error | undefined;
  /** Requests made in this turn, posted together at its end. */
  #outbox: Record<string, unknown>[] = [];

  constructor(spawn: SpawnSQLiteWorker) {
    this.#port = spawn(SQLITE_WORKER_URL, {
      message: (data) => {
        const message = data as Reply | { batch: Reply[] };
        if ("batch" in message) { for (const reply of message.batch) this.#reply(reply); }
        else this.#reply(message);
      },
      error: (error) => this.#gone(error instanceof Error ? error.message : String(error)),
      exit: () => this.#gone("it exited"),
    });
    this.#port.unref?.();
  }

  #reply(reply: Reply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#port.unref?.();
    if (reply.ok) pending.resolve(reply.result!);
    else pending.reject(rebuild(reply.error!));
  }

  #gone(reason: string): void {
    if (this.#lost) return;
    this.#lost = lostError(reason);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(this.#lost);
    this.#port.terminate();
  }

  request(message: Record<string, unknown>): Promise<SQLiteResult> {
    if (this.#lost) return Promise.reject(this.#lost);
    const id = this.#next++;
    return new Promise<SQLiteResult>((resolve, reject) => {
      if (this.#pending.size === 0) this.#port.ref?.();
      this.#pending.set(id, { resolve, reject });
      if (this.#outbox.length === 0) queueMicrotask(() => this.#flush());
      this.#outbox.push({ ...message, id });
    });
  }

  #flush(): void {
    const outbox = this.#outbox;
    this.#outbox = [];
    if (this.#lost) {
      for (const request of outbox) this.#fail(request.id as number, this.#lost);
      return;
    }
    try {
      this.#port.post(outbox.length === 1 ? outbox[0] : { batch: outbox });
    } catch {
      // A parameter the structured clone cannot copy (a function, a symbol...):
      // find which, and post the others.
      for (const request of outbox) {
        try {
          this.#port.post(request);
        } catch (error) {
          this.#fail(
            request.id as number,
            new TypeError(
              `Cannot send the parameters to SQLite: ${
                error instanceof Error ? error.message : error
              }`,
            ),
          );
        }
      }
    }
  }

  #fail(id: number, error: Error): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#port.unref?.();
    pending.reject(error);
  }

  execute(sql: string, params: readonly unknown[]): Promise<SQLiteResult> {
    return this.request({ op: "execute", sql, params });
  }

  async close(): Promise<void> {
    if (this.#lost) return;
    try {
      await this.request({ op: "close" });
    } finally {
      this.#lost = lostError("the connection was closed");
      this.#port.terminate();
    }
  }
}

/** Opens a database in a worker started by `spawn`. */
export async function openSQLite(
  options: SQLiteOpenOptions,
  spawn: SpawnSQLiteWorker,
): Promise<SQLiteConnection> {
  const connection = new WorkerConnection(spawn);
  try {
    await connection.request({ op: "open", ...options });
  } catch (error) {
    await connection.close().catch(() => {});
    throw error;
  }
  return connection;
}
