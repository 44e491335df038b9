/**
 * The driver interface (`IDBDriver`) the pool runs SQL through, and the
 * SQLite driver: the runtime's own SQLite, opened by the runtime adapter in a
 * worker per connection (`Runtime.openSQLite`), so `src/` stays runtime-free.
 *
 * @module
 */
import type { Runtime, SQLiteConnection } from "../internet/socket.ts";
import { ConnectionLost } from "../internet/error.ts";
import {
  DatabaseError,
  DataError,
  IntegrityError,
  InternalError,
  NotSupportedError,
  OperationalError,
  ProgrammingError,
} from "./_errors.ts";
import type { ParamStyle } from "./_placeholders.ts";

/** What one statement gave, as a driver reports it. */
export interface DBResult {
  /** The result columns' names; empty when the statement returns no rows. */
  columns: string[];
  /** The rows, each an array in column order. */
  rows: unknown[][];
  /** Rows changed (INSERT, UPDATE, DELETE), or -1 when unknown (DB-API's `rowcount`). */
  rowcount: number;
  /** The last inserted row's id, or null (DB-API's `lastrowid`). */
  lastrowid: number | bigint | null;
}

/**
 * A database driver, for `new ConnectionPool(driver)`: `connect` makes one
 * connection, `execute` runs one statement on it with its parameters bound,
 * `close` ends it. Each may be synchronous or return a promise. Connections
 * run in autocommit mode; the pool starts transactions with `beginSQL` and ends
 * them with COMMIT or ROLLBACK.
 *
 * @example
 * ```ts
 * import { ConnectionPool, type IDBDriver } from "@tw/core/enterprise";
 * // A driver over a Map: SELECT answers with the keys, anything else counts.
 * const driver: IDBDriver<Map<string, number>> = {
 *   name: "map",
 *   connect: () => new Map(),
 *   execute: (db, sql) =>
 *     sql.startsWith("SELECT")
 *       ? { columns: ["key"], rows: [...db.keys()].map((k) => [k]), rowcount: -1, lastrowid: null }
 *       : (db.set(sql, db.size), { columns: [], rows: [], rowcount: 1, lastrowid: null }),
 *   close: (db) => db.clear(),
 * };
 * const pool = new ConnectionPool(driver, { min: 0, max: 1 });
 * await pool.runOperation("INSERT a");
 * console.log(await pool.runQuery("SELECT")); // [["INSERT a"]]
 * await pool.close();
 * ```
 */
export interface IDBDriver<C = unknown> {
  /** The driver's name, for messages ("sqlite"). */
  readonly name: string;
  /** The placeholders `execute` takes; the pool rewrites `?` or `$1` into them. @default "qmark" */
  readonly paramstyle?: ParamStyle;
  /**
   * True when a connection takes several statements at once and runs them in
   * order (a worker's queue): the pool then gives one connection up to 32
   * plain `runQuery` / `runOperation` statements, or as many as a number
   * given here. Transactions always hold a connection alone. @default false
   */
  readonly pipelining?: boolean | number;
  /** The statement that opens a transaction. @default "BEGIN" */
  readonly beginSQL?: string;
  /** Opens a connection. */
  connect(): C | PromiseLike<C>;
  /** Runs one statement with `params` bound to its placeholders. */
  execute(connection: C, sql: string, params: unknown[]): DBResult | PromiseLike<DBResult>;
  /** Closes a connection. */
  close(connection: C): void | PromiseLike<void>;
  /**
   * False once `connection` is known to be gone (the server closed it while
   * idle): the pool then replaces it instead of handing it out. Without it, a
   * dead connection shows when a statement fails with `ConnectionLost`.
   */
  isOpen?(connection: C): boolean;
  /**
   * Turns the driver's error into one of DB-API's (`IntegrityError`...) or
   * `ConnectionLost`; without it, or when it returns undefined, the pool
   * wraps the error in a `DatabaseError`.
   */
  translateError?(error: unknown): Error | undefined;
}

/** SQLite's settings, for `ConnectionPool("sqlite", ...)`. */
export interface SQLiteDriverOptions {
  /** The database file; ":memory:" gives each connection its own empty database. @default ":memory:" */
  path?: string;
  /** How long a statement waits for another connection's lock, in milliseconds. @default 5000 */
  busyTimeout?: number;
  /** Write-ahead logging: readers never wait for the writer. @default true */
  wal?: boolean;
}

const MESSAGE_IS_PROGRAMMING =
  /syntax error|incomplete input|unrecognized token|no such (table|column|function|index|view|collation)|has no column|ambiguous column|values for \d+ columns|wrong number of arguments|no tables specified|bind/i;

/** The DB-API error for an error of node:sqlite or bun:sqlite (as rebuilt by the adapter). */
export function translateSQLiteError(error: unknown): Error {
  if (error instanceof DatabaseError || error instanceof ConnectionLost) return error;
  const e = error as { name?: unknown; message?: unknown; code?: unknown; errcode?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(error);
  const options = { cause: error };
  if (e?.code === "ERR_TW_SQLITE_LOST") return new ConnectionLost(message, options);
  if (e?.name === "NotSupportedError") return new NotSupportedError(message, options);
  if (typeof e?.errcode !== "number" && typeof e?.code === "string" && /SQLITE/.test(e.code)) {
    // SQLite's error without its result code (Deno's open errors): judge by the text.
    if (MESSAGE_IS_PROGRAMMING.test(message)) return new ProgrammingError(message, options);
    if (/constraint/i.test(message)) return new IntegrityError(message, options);
    return new OperationalError(message, options);
  }
  if (typeof e?.errcode !== "number") {
    // The binding's own checks: a value it cannot bind, a wrong parameter count.
    if (e?.name === "TypeError" || e?.name === "RangeError") {
      return new ProgrammingError(message, options);
    }
    return new DatabaseError(message, options);
  }
  switch (e.errcode & 0xff) {
    case 1: // SQLITE_ERROR
      return MESSAGE_IS_PROGRAMMING.test(message)
        ? new ProgrammingError(message, options)
        : new OperationalError(message, options);
    case 2: // INTERNAL
    case 12: // NOTFOUND
    case 16: // EMPTY
      return new InternalError(message, options);
    case 18: // TOOBIG
      return new DataError(message, options);
    case 19: // CONSTRAINT
    case 20: // MISMATCH
      return new IntegrityError(message, options);
    case 21: // MISUSE
    case 25: // RANGE
      return new ProgrammingError(message, options);
    case 22: // NOLFS
      return new NotSupportedError(message, options);
    case 11: // CORRUPT
    case 24: // FORMAT
    case 26: // NOTADB
      return new DatabaseError(message, options);
    default: // BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN, INTERRUPT, ...
      return new OperationalError(message, options);
  }
}

/** A parameter as SQLite takes it; other types are a ProgrammingError. */
function bindable(value: unknown, index: number): unknown {
  switch (typeof value) {
    case "string":
    case "number":
    case "bigint":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "undefined":
      return null;
  }
  if (value === null || value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof Date) return value.toISOString();
  const type = Object.prototype.toString.call(value).slice(8, -1);
  throw new ProgrammingError(
    `Cannot bind parameter ${index + 1}: SQLite takes no ${type} (use a string, number, ` +
      "bigint, boolean, null, Date or Uint8Array)",
  );
}

/**
 * The SQLite driver over `runtime.openSQLite` (what `ConnectionPool("sqlite")`
 * uses); `runtime` may be a function giving it when the first connection opens.
 */
export function sqliteDriver(
  runtime: Runtime | (() => Runtime),
  options: SQLiteDriverOptions = {},
): IDBDriver<SQLiteConnection> {
  const path = options.path ?? ":memory:";
  const busyTimeout = options.busyTimeout ?? 5000;
  const wal = options.wal ?? true;
  if (typeof path !== "string") throw new TypeError("The SQLite path must be a string");
  if (!Number.isFinite(busyTimeout) || busyTimeout < 0) {
    throw new RangeError(`busyTimeout must be a number of milliseconds, not ${busyTimeout}`);
  }
  return {
    name: "sqlite",
    paramstyle: "qmark",
    pipelining: true,
    // One writer at a time: take the write lock when the transaction starts,
    // so that busy_timeout applies instead of a failed lock upgrade later.
    beginSQL: "BEGIN IMMEDIATE",
    connect() {
      const adapter = typeof runtime === "function" ? runtime() : runtime;
      if (!adapter.openSQLite) {
        throw new NotSupportedError(`The ${adapter.name} runtime adapter has no SQLite`);
      }
      return adapter.openSQLite({ path, busyTimeout, wal });
    },
    execute(connection, sql, params) {
      return connection.execute(sql, params.map(bindable));
    },
    close(connection) {
      return connection.close();
    },
    translateError: translateSQLiteError,
  };
}
