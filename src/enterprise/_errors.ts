/**
 * DB-API's exception family (PEP 249), as `Error` subclasses: every database
 * failure the pool reports is a `DatabaseError`, with the driver's own error
 * as `cause`. DB-API puts `InterfaceError` beside `DatabaseError`; here it is
 * one of its kind, so that one `instanceof DatabaseError` catches them all.
 *
 * @module
 */

/**
 * The base of every error the pool reports for the database (DB-API's
 * `DatabaseError`). `cause` holds the driver's error when there is one.
 *
 * @example
 * ```ts
 * import { DatabaseError, IntegrityError } from "@tw/core/enterprise";
 * const error = new IntegrityError("UNIQUE constraint failed: kv.key");
 * console.log(error instanceof DatabaseError, error.name); // true "IntegrityError"
 * ```
 */
export class DatabaseError extends Error {
  /** Creates the error; `options.cause` is the driver's error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DatabaseError";
  }
}

/**
 * The pool or the driver was used wrongly, not the database (DB-API's
 * `InterfaceError`): a closed pool, parameters that cannot be sent.
 *
 * @example
 * ```ts
 * import { InterfaceError } from "@tw/core/enterprise";
 * console.log(new InterfaceError("The ConnectionPool is closed").name); // "InterfaceError"
 * ```
 */
export class InterfaceError extends DatabaseError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InterfaceError";
  }
}

/**
 * A value could not be stored or computed: too big, out of range (DB-API's
 * `DataError`).
 *
 * @example
 * ```ts
 * import { DataError } from "@tw/core/enterprise";
 * console.log(new DataError("string or blob too big").name); // "DataError"
 * ```
 */
export class DataError extends DatabaseError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DataError";
  }
}

/**
 * The database could not do its work, through no fault of the SQL: locked,
 * busy, read-only, out of disk, cannot open the file (DB-API's
 * `OperationalError`).
 *
 * @example
 * ```ts
 * import { OperationalError } from "@tw/core/enterprise";
 * console.log(new OperationalError("database is locked").name); // "OperationalError"
 * ```
 */
export class OperationalError extends DatabaseError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OperationalError";
  }
}

/**
 * A constraint failed: unique, primary key, foreign key, not null, check
 * (DB-API's `IntegrityError`).
 *
 * @example
 * ```ts
 * import { IntegrityError } from "@tw/core/enterprise";
 * console.log(new IntegrityError("NOT NULL constraint failed").name); // "IntegrityError"
 * ```
 */
export class IntegrityError extends DatabaseError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IntegrityError";
  }
}

/**
 * The database found itself inconsistent: a corrupt file, an internal error
 * (DB-API's `InternalError`).
 *
 * @example
 * ```ts
 * import { InternalError } from "@tw/core/enterprise";
 * console.log(new InternalError("database disk image is malformed").name); // "InternalError"
 * ```
 */
export class InternalError extends DatabaseError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InternalError";
  }
}

/**
 * The SQL is wrong: a syntax error, a missing table or column, the wrong
 * number of parameters (DB-API's `ProgrammingError`).
 *
 * @example
 * ```ts
 * import { ConnectionPool, ProgrammingError } from "@tw/core/enterprise";
 * const pool = new ConnectionPool("sqlite", { path: ":memory:", max: 1 });
 * try {
 *   await pool.runQuery("SELEC 1");
 * } catch (e) {
 *   console.log(e instanceof ProgrammingError); // true
 * }
 * await pool.close();
 * ```
 */
export class ProgrammingError extends DatabaseError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProgrammingError";
  }
}

/**
 * The database or the runtime lacks what was asked for (DB-API's
 * `NotSupportedError`), such as SQLite on a Node older than 22.5.
 *
 * @example
 * ```ts
 * import { NotSupportedError } from "@tw/core/enterprise";
 * console.log(new NotSupportedError("No SQLite here").name); // "NotSupportedError"
 * ```
 */
export class NotSupportedError extends DatabaseError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NotSupportedError";
  }
}
