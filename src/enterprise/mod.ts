/**
 * Database access (twisted.enterprise.adbapi): a `ConnectionPool` runs SQL on
 * pooled connections and hands back Deferreds, in transactions. "sqlite" is
 * the runtime's own SQLite (`node:sqlite` on Node 22.13+ and Deno, `bun:sqlite`
 * on Bun), each connection in a worker so that a slow query never blocks the
 * reactor, in WAL mode with a busy timeout. "postgres" is our own client of
 * PostgreSQL's wire protocol (v3) on the reactor's TCP or Unix connections:
 * SCRAM-SHA-256, md5 or cleartext passwords, the extended query protocol with
 * parameters bound by the server, statements kept prepared per connection and
 * pipelined; int2/int4/float come as numbers, int8 as `bigint` (or text with
 * `int8As: "string"`), numeric as exact text, bool, bytea as `Uint8Array`,
 * json/jsonb parsed, timestamp(tz) as `Date`; `lastrowid` is always null (use
 * `RETURNING`); no TLS yet. Any other database plugs in as an `IDBDriver`.
 * Failures come as DB-API's errors (`IntegrityError`, `ProgrammingError`...)
 * with the driver's error as `cause` (for PostgreSQL a `PostgresError` with
 * its SQLSTATE `code`).
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { ConnectionPool, IntegrityError, type Transaction } from "@tw/core/enterprise";
 *
 * const pool = new ConnectionPool("sqlite", { path: ":memory:", min: 1, max: 1, reactor });
 * await pool.runOperation("CREATE TABLE users (name TEXT PRIMARY KEY, age INTEGER)");
 * await pool.runInteraction(async (txn: Transaction, name: string) => {
 *   await txn.execute("INSERT INTO users VALUES (?, ?)", [name, 36]);
 * }, "ada");
 * try {
 *   await pool.runOperation("INSERT INTO users VALUES ($1, $2)", ["ada", 37]);
 * } catch (e) {
 *   console.log(e instanceof IntegrityError); // true
 * }
 * console.log(await pool.runQuery("SELECT name, age FROM users")); // [["ada", 36]]
 * await pool.close();
 * ```
 * @module
 */
export {
  DatabaseError,
  DataError,
  IntegrityError,
  InterfaceError,
  InternalError,
  NotSupportedError,
  OperationalError,
  ProgrammingError,
} from "./_errors.ts";
export { ConnectionLost } from "../internet/error.ts";
export { type DBResult, type IDBDriver, type SQLiteDriverOptions } from "./_driver.ts";
export { type ParamStyle } from "./_placeholders.ts";
export { type PostgresDriverOptions } from "./postgres/_driver.ts";
export { PostgresError } from "./postgres/_protocol.ts";
export { type Int8As } from "./postgres/_types.ts";
export {
  Connection,
  ConnectionPool,
  type ConnectionPoolOptions,
  type Params,
  type Row,
  Transaction,
} from "./_pool.ts";
