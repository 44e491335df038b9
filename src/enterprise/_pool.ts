/**
 * `ConnectionPool` (twisted.enterprise.adbapi): SQL runs on pooled
 * connections and comes back as Deferreds, in transactions. With SQLite each
 * connection lives in a worker of its own, so the reactor never waits for the
 * database.
 *
 * @module
 */
import { Deferred } from "../internet/defer.ts";
import { ConnectionLost } from "../internet/error.ts";
import { getReactor, type Reactor } from "../internet/reactor.ts";
import { Logger } from "../logger/mod.ts";
import { DatabaseError, InterfaceError } from "./_errors.ts";
import { type DBResult, type IDBDriver, sqliteDriver } from "./_driver.ts";
import { convertPlaceholders, type ParamStyle } from "./_placeholders.ts";
import { postgresDriver, type PostgresDriverOptions } from "./postgres/_driver.ts";

const log = new Logger("adbapi");

/** A row: an array in column order, or (with `rowFactory: "object"`) an object keyed by column. */
export type Row = unknown[] | Record<string, unknown>;

/** Parameters for a statement's placeholders (`?`, `?2`, `$1`), in order. */
export type Params = readonly unknown[];

/**
 * Options of `new ConnectionPool(driver, options)`; with "postgres", also the
 * server's settings (`url`, or `host`, `port`, `user`, `password`, `database`).
 */
export interface ConnectionPoolOptions extends PostgresDriverOptions {
  /** Connections opened by `start()` and kept (Twisted's `cp_min`). @default 3 */
  min?: number;
  /** The most connections open at once; more work waits (Twisted's `cp_max`). @default 5 */
  max?: number;
  /** Run on each new connection before it is used, outside any transaction (`cp_openfun`). */
  openfun?: (connection: Connection) => unknown;
  /**
   * When a connection is lost, replace it, and run a `runQuery` or
   * `runOperation` once more on a new one (`cp_reconnect`). Work in a
   * transaction is never repeated: it fails with `ConnectionLost`. @default false
   */
  reconnect?: boolean;
  /** The reactor whose runtime opens SQLite and whose shutdown closes the pool. @default the installed reactor */
  reactor?: Reactor;
  /** Rows as arrays (DB-API's tuples) or as objects keyed by column name. @default "array" */
  rowFactory?: "array" | "object";
  /** SQLite: the database file; ":memory:" gives each connection its own database. @default ":memory:" */
  path?: string;
  /** SQLite: how long to wait for another connection's lock, in milliseconds. @default 5000 */
  busyTimeout?: number;
  /** SQLite: write-ahead logging. @default true */
  wal?: boolean;
  /** The class wrapping each connection (Twisted's `connectionFactory`). @default Connection */
  connectionFactory?: typeof Connection;
  /** The class handed to `runInteraction` (Twisted's `transactionFactory`). @default Transaction */
  transactionFactory?: typeof Transaction;
}

/** What the pool keeps for each of its connections. */
interface State {
  driverConnection: unknown;
  implicit: boolean;
  inTransaction: boolean;
  lost: boolean;
  /** Pieces of work using the connection now. */
  load: number;
  /** Held by one piece of work (a transaction), not shared. */
  exclusive: boolean;
}

/** How many plain statements a pipelining driver's connection is given at once. */
const PIPELINE_DEPTH = 32;

const states = new WeakMap<Connection, State>();
/** The pool's own way in: runs a statement on a connection. */
let runOn: (
  connection: Connection,
  sql: string,
  params: Params,
  control?: boolean,
) => Promise<DBResult>;

function stateOf(connection: Connection): State {
  const state = states.get(connection);
  if (!state) throw new InterfaceError("This Connection is not in use by its pool");
  return state;
}

function rowsOf(pool: ConnectionPool, result: DBResult): Row[] {
  if (pool.rowFactory !== "object") return result.rows;
  const { columns } = result;
  return result.rows.map((row) => {
    const object: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) object[columns[i]] = row[i];
    return object;
  });
}

/**
 * One of the pool's connections (Twisted's `adbapi.Connection`), handed to
 * `runWithConnection` and `openfun`. Inside `runWithConnection` the first
 * statement opens a transaction; `commit()` and `rollback()` end it.
 *
 * @example
 * ```ts
 * import { type Connection, ConnectionPool } from "@tw/core/enterprise";
 * const pool = new ConnectionPool("sqlite", { path: ":memory:", max: 1 });
 * const count = await pool.runWithConnection(async (connection: Connection) => {
 *   await connection.execute("CREATE TABLE t (n INTEGER)");
 *   await connection.execute("INSERT INTO t VALUES (?)", [1]);
 *   await connection.commit();
 *   return (await connection.execute("SELECT count(*) FROM t"))[0];
 * });
 * console.log(count); // [1]
 * await pool.close();
 * ```
 */
export class Connection {
  /** The pool this connection belongs to. */
  readonly pool: ConnectionPool;

  /** Wraps `driverConnection` for `pool`. */
  constructor(pool: ConnectionPool, driverConnection: unknown) {
    this.pool = pool;
    states.set(this, {
      driverConnection,
      implicit: false,
      inTransaction: false,
      lost: false,
      load: 0,
      exclusive: false,
    });
  }

  /** The driver's own connection object. */
  get driverConnection(): unknown {
    return stateOf(this).driverConnection;
  }

  /** Runs one statement; fires with its rows (empty for a statement without any). */
  execute(sql: string, params: Params = []): Deferred<Row[]> {
    return Deferred.fromPromise(
      runOn(this, sql, params).then((result) => rowsOf(this.pool, result)),
    );
  }

  /** A cursor on this connection (the class is the pool's `transactionFactory`). */
  cursor(): Transaction {
    return new this.pool.transactionFactory(this.pool, this);
  }

  /** Commits the open transaction, if any; the next statement opens another. */
  commit(): Deferred<void> {
    return Deferred.fromPromise(this.#end("COMMIT"));
  }

  /** Rolls back the open transaction, if any. */
  rollback(): Deferred<void> {
    return Deferred.fromPromise(this.#end("ROLLBACK"));
  }

  async #end(sql: "COMMIT" | "ROLLBACK"): Promise<void> {
    const state = stateOf(this);
    if (!state.inTransaction) return;
    state.inTransaction = false;
    await runOn(this, sql, [], true);
  }
}

/**
 * A cursor (Twisted's `adbapi.Transaction`), handed to `runInteraction`:
 * `execute()` is asynchronous and fires with the rows; `fetchall()`,
 * `fetchone()` and `fetchmany()` then read them, as DB-API's cursor does.
 *
 * @example
 * ```ts
 * import { ConnectionPool, type Transaction } from "@tw/core/enterprise";
 * const pool = new ConnectionPool("sqlite", { path: ":memory:", max: 1 });
 * const id = await pool.runInteraction(async (txn: Transaction) => {
 *   await txn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)");
 *   await txn.execute("INSERT INTO t (name) VALUES ($1)", ["ada"]);
 *   return txn.lastrowid;
 * });
 * console.log(id); // 1
 * await pool.close();
 * ```
 */
export class Transaction {
  /** The pool. */
  readonly pool: ConnectionPool;
  /** The connection this cursor runs on. */
  readonly connection: Connection;
  /** Rows changed by the last statement, or -1 (DB-API's `rowcount`). */
  rowcount: number = -1;
  /** The row id of the last INSERT, or null (DB-API's `lastrowid`). */
  lastrowid: number | bigint | null = null;
  /** The last result's columns as DB-API's 7-item descriptions (name first), or null. */
  description: [string, null, null, null, null, null, null][] | null = null;
  #rows: Row[] = [];
  #next = 0;
  #closed = false;

  /** Makes a cursor on `connection`. */
  constructor(pool: ConnectionPool, connection: Connection) {
    this.pool = pool;
    this.connection = connection;
  }

  /** Runs one statement with `params` bound; fires with all its rows. */
  execute(sql: string, params: Params = []): Deferred<Row[]> {
    if (this.#closed) {
      return Deferred.fromPromise(
        Promise.reject(new InterfaceError("Cannot execute: this Transaction is closed")),
      );
    }
    return Deferred.fromPromise(
      runOn(this.connection, sql, params).then((result) => {
        this.#rows = rowsOf(this.pool, result);
        this.#next = 0;
        this.rowcount = result.rowcount;
        this.lastrowid = result.lastrowid;
        this.description = result.columns.length === 0
          ? null
          : result.columns.map((name) => [name, null, null, null, null, null, null]);
        return this.#rows;
      }),
    );
  }

  /** The next row of the last result, or null when none is left. */
  fetchone(): Row | null {
    return this.#next < this.#rows.length ? this.#rows[this.#next++] : null;
  }

  /** Up to `size` more rows of the last result. */
  fetchmany(size = 1): Row[] {
    const rows = this.#rows.slice(this.#next, this.#next + Math.max(0, size));
    this.#next += rows.length;
    return rows;
  }

  /** Every row of the last result not fetched yet. */
  fetchall(): Row[] {
    const rows = this.#rows.slice(this.#next);
    this.#next = this.#rows.length;
    return rows;
  }

  /** Ends the cursor; the pool does this when the interaction is over. */
  close(): void {
    this.#closed = true;
    this.#rows = [];
  }
}

interface Waiter {
  exclusive: boolean;
  resolve(connection: Connection): void;
  reject(error: unknown): void;
}

/**
 * A pool of database connections (twisted.enterprise.adbapi's
 * `ConnectionPool`). `driver` is "sqlite" (the runtime's own SQLite, each
 * connection in a worker), "postgres" (our PostgreSQL client, with `url` or
 * `host`, `port`, `user`, `password`, `database` in the options) or an
 * `IDBDriver`. Work beyond `max` connections
 * waits its turn. Parameters are always bound, never put into the SQL; `?` and
 * `$1` placeholders both work.
 *
 * @example
 * ```ts
 * import { ConnectionPool } from "@tw/core/enterprise";
 * const pool = new ConnectionPool("sqlite", { path: ":memory:", min: 1, max: 1 });
 * await pool.runOperation("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT)");
 * await pool.runOperation("INSERT INTO kv VALUES (?, ?)", ["a", "1"]);
 * console.log(await pool.runQuery("SELECT key, value FROM kv WHERE key = $1", ["a"])); // [["a", "1"]]
 * await pool.close();
 * ```
 */
export class ConnectionPool {
  /** The driver connections come from. */
  readonly driver: IDBDriver;
  /** Connections kept open (Twisted's `min`). */
  readonly min: number;
  /** The most connections at once (Twisted's `max`). */
  readonly max: number;
  /** Whether lost connections are replaced and plain statements repeated once. */
  readonly reconnect: boolean;
  /** Rows as arrays or objects. */
  readonly rowFactory: "array" | "object";
  /** Run on each new connection. */
  openfun: ((connection: Connection) => unknown) | undefined;
  /** The class wrapping each connection. */
  connectionFactory: typeof Connection;
  /** The class handed to `runInteraction`. */
  transactionFactory: typeof Transaction;
  #reactor: Reactor | undefined;
  #paramstyle: ParamStyle;
  #beginSQL: string;
  #all = new Set<Connection>();
  #opening = 0;
  #waiters: Waiter[] = [];
  #inflight = 0;
  #running = false;
  #closed = false;
  #closing: Deferred<void> | undefined;
  #trigger: number | undefined;

  /** Makes a pool; nothing opens until `start()` or the first piece of work. */
  constructor(driver: "sqlite" | "postgres" | IDBDriver, options: ConnectionPoolOptions = {}) {
    const min = options.min ?? 3;
    const max = options.max ?? 5;
    if (!Number.isInteger(min) || min < 0) {
      throw new RangeError(`min must be a whole number of connections, not ${min}`);
    }
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`max must be a whole number of connections above 0, not ${max}`);
    }
    this.min = Math.min(min, max);
    this.max = max;
    this.reconnect = options.reconnect ?? false;
    this.rowFactory = options.rowFactory === "object" ? "object" : "array";
    this.openfun = options.openfun;
    this.connectionFactory = options.connectionFactory ?? Connection;
    this.transactionFactory = options.transactionFactory ?? Transaction;
    this.#reactor = options.reactor;
    if (driver === "sqlite") {
      // The runtime is looked up when the first connection opens.
      this.driver = sqliteDriver(() => this.#getReactor().runtime, options);
    } else if (driver === "postgres") {
      this.driver = postgresDriver(() => this.#getReactor(), options);
    } else if (
      driver !== null && typeof driver === "object" && typeof driver.connect === "function" &&
      typeof driver.execute === "function" && typeof driver.close === "function"
    ) {
      this.driver = driver;
    } else {
      throw new TypeError(
        `Unknown database driver ${
          typeof driver === "string" ? JSON.stringify(driver) : typeof driver
        }: use "sqlite", "postgres" or an IDBDriver`,
      );
    }
    this.#paramstyle = this.driver.paramstyle ?? "qmark";
    this.#beginSQL = this.driver.beginSQL ?? "BEGIN";
  }

  /** True from `start()` (or the first piece of work) until `close()`. */
  get running(): boolean {
    return this.#running;
  }

  /** True once `close()` was called: new work is refused. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Connections open now (idle or in use). */
  get connectionCount(): number {
    return this.#all.size;
  }

  #getReactor(): Reactor {
    return this.#reactor ??= getReactor();
  }

  #translate(error: unknown): Error {
    if (error instanceof DatabaseError || error instanceof ConnectionLost) return error;
    const translated = this.driver.translateError?.(error);
    if (translated) return translated;
    const message = error instanceof Error ? error.message : String(error);
    return new DatabaseError(message, { cause: error });
  }

  /**
   * Opens `min` connections and closes the pool when the reactor shuts down.
   * Fires once they are open. Work may be given before: it opens connections
   * as needed.
   */
  start(): Deferred<void> {
    if (this.#closed) return this.#refuse<void>();
    this.#begin();
    const opening: Promise<void>[] = [];
    while (this.#all.size + this.#opening < this.min) {
      this.#opening++;
      opening.push(
        this.#open().then(
          (connection) => {
            this.#opening--;
            this.#release(connection);
          },
          (error) => {
            this.#opening--;
            this.#dispatch();
            throw error;
          },
        ),
      );
    }
    return Deferred.fromPromise(Promise.all(opening).then(() => undefined));
  }

  #begin(): void {
    if (this.#running) return;
    this.#running = true;
    try {
      this.#trigger = this.#getReactor().addSystemEventTrigger(
        "during",
        "shutdown",
        () => this.close(),
      );
    } catch {
      // No reactor to shut down with: close() is the caller's to call.
    }
  }

  async #open(): Promise<Connection> {
    let raw: unknown;
    try {
      raw = await this.driver.connect();
    } catch (error) {
      throw this.#translate(error);
    }
    const connection = new this.connectionFactory(this, raw);
    // Reserved for the work it is opened for (or, from start(), released next).
    stateOf(connection).load = 1;
    this.#all.add(connection);
    try {
      await this.openfun?.(connection);
    } catch (error) {
      await this.#discard(connection);
      throw error;
    }
    return connection;
  }

  async #discard(connection: Connection): Promise<void> {
    this.#all.delete(connection);
    const state = states.get(connection);
    states.delete(connection);
    if (!state) return;
    try {
      await this.driver.close(state.driverConnection);
    } catch (error) {
      if (!state.lost) {
        log.failure("Error closing a {driver} connection", error, "warn", {
          driver: this.driver.name,
        });
      }
    }
  }

  #acquire(exclusive: boolean): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      this.#waiters.push({ exclusive, resolve, reject });
      this.#dispatch();
    });
  }

  /** An idle connection, or (for shared work) the least used one with room. */
  #pick(exclusive: boolean): Connection | undefined {
    let shared: Connection | undefined;
    const { pipelining } = this.driver;
    const depth = typeof pipelining === "number" ? pipelining : pipelining ? PIPELINE_DEPTH : 0;
    let least = exclusive ? 0 : depth;
    for (const connection of this.#all) {
      const state = states.get(connection);
      if (state && !state.lost && this.driver.isOpen?.(state.driverConnection) === false) {
        state.lost = true; // closed while idle: replaced below, discarded when free
        if (state.load === 0) this.#discard(connection).then(() => this.#dispatch());
      }
      if (!state || state.lost || state.exclusive) continue;
      if (state.load === 0) return connection;
      if (state.load < least) {
        least = state.load;
        shared = connection;
      }
    }
    if (shared && this.#all.size + this.#opening < this.max) return undefined; // open one
    return shared;
  }

  /** Hands connections to waiting work, in order, opening more up to `max`. */
  #dispatch(): void {
    while (this.#waiters.length > 0) {
      const waiter = this.#waiters[0];
      const connection = this.#pick(waiter.exclusive);
      if (connection) {
        this.#waiters.shift();
        this.#take(connection, waiter.exclusive);
        waiter.resolve(connection);
        continue;
      }
      if (this.#all.size + this.#opening >= this.max) return;
      this.#waiters.shift();
      this.#opening++;
      this.#open().then(
        (connection) => {
          this.#opening--;
          stateOf(connection).exclusive = waiter.exclusive;
          waiter.resolve(connection);
          this.#dispatch();
        },
        (error) => {
          this.#opening--;
          waiter.reject(error);
          this.#dispatch();
        },
      );
    }
  }

  #take(connection: Connection, exclusive: boolean): void {
    const state = stateOf(connection);
    state.load++;
    state.exclusive = exclusive;
  }

  #release(connection: Connection): void {
    const state = states.get(connection);
    if (state && --state.load === 0) {
      state.exclusive = false;
      if (state.lost) {
        this.#discard(connection).then(() => {
          this.#dispatch();
          this.#maybeFinishClose();
        });
        return;
      }
    }
    this.#dispatch();
    this.#maybeFinishClose();
  }

  #refuse<T>(): Deferred<T> {
    return Deferred.fromPromise<T>(Promise.reject(
      new InterfaceError(`Cannot run SQL: the ConnectionPool (${this.driver.name}) is closed`),
    ));
  }

  /** Runs `work` on a connection of its own; repeats it once on a lost connection if asked. */
  #job<T>(work: (connection: Connection) => Promise<T>, repeatable: boolean): Deferred<T> {
    // Plain statements (repeatable) may share a pipelining driver's connection.
    const exclusive = !repeatable;
    if (this.#closed) return this.#refuse<T>();
    this.#begin();
    this.#inflight++;
    const run = async (): Promise<T> => {
      try {
        for (let attempt = 0;; attempt++) {
          const connection = await this.#acquire(exclusive);
          try {
            return await work(connection);
          } catch (error) {
            const lost = error instanceof ConnectionLost;
            if (lost && repeatable && this.reconnect && attempt === 0) continue;
            throw error;
          } finally {
            this.#release(connection);
          }
        }
      } finally {
        this.#inflight--;
        this.#maybeFinishClose();
      }
    };
    return Deferred.fromPromise(run());
  }

  /** Runs `sql` with `params` bound; fires with its rows (Twisted's `runQuery`). */
  runQuery<R = Row>(sql: string, params: Params = []): Deferred<R[]> {
    return this.#job(
      async (connection) => rowsOf(this, await runOn(connection, sql, params)) as R[],
      true,
    );
  }

  /** Runs `sql` with `params` bound; fires with null when done (Twisted's `runOperation`). */
  runOperation(sql: string, params: Params = []): Deferred<null> {
    return this.#job(async (connection) => {
      await runOn(connection, sql, params);
      return null;
    }, true);
  }

  /**
   * Runs `fn(transaction, ...args)` in a transaction on one connection: it
   * commits when `fn`'s result (a value, a Promise or a Deferred) arrives and
   * rolls back when `fn` fails, and the failure reaches the caller.
   */
  runInteraction<T, A extends unknown[] = []>(
    fn: (transaction: Transaction, ...args: A) => T | PromiseLike<T>,
    ...args: A
  ): Deferred<T> {
    return this.#job((connection) =>
      this.#transact(connection, () => {
        const transaction = new this.transactionFactory(this, connection);
        return Promise.resolve()
          .then(() => fn(transaction, ...args))
          .finally(() => transaction.close());
      }), false);
  }

  /**
   * Runs `fn(connection, ...args)` with one connection to itself: the first
   * statement opens a transaction, committed when `fn` succeeds and rolled
   * back when it fails (Twisted's `runWithConnection`).
   */
  runWithConnection<T, A extends unknown[] = []>(
    fn: (connection: Connection, ...args: A) => T | PromiseLike<T>,
    ...args: A
  ): Deferred<T> {
    return this.#job(
      (connection) => this.#transact(connection, () => fn(connection, ...args)),
      false,
    );
  }

  async #transact<T>(connection: Connection, fn: () => T | PromiseLike<T>): Promise<T> {
    const state = stateOf(connection);
    state.implicit = true;
    try {
      let result: T;
      try {
        result = await fn();
      } catch (error) {
        try {
          await connection.rollback();
        } catch (rollbackError) {
          if (!state.lost) {
            log.failure("Rollback failed on a {driver} connection", rollbackError, "error", {
              driver: this.driver.name,
            });
          }
        }
        throw error;
      }
      await connection.commit();
      return result;
    } finally {
      state.implicit = false;
      if (state.inTransaction) {
        // commit() failed: leave nothing open for the next user.
        state.inTransaction = false;
        await runOn(connection, "ROLLBACK", [], true).catch(() => {});
      }
    }
  }

  /**
   * Refuses new work, waits for the work already given (running or waiting),
   * then closes every connection (Twisted's `close`). Fires when all are
   * closed; calling it again gives the same end.
   */
  close(): Deferred<void> {
    if (!this.#closing) {
      this.#closed = true;
      this.#closing = new Deferred<void>();
      if (this.#trigger !== undefined) {
        try {
          this.#getReactor().removeSystemEventTrigger(this.#trigger);
        } catch {
          // Already fired: this is the shutdown closing the pool.
        }
        this.#trigger = undefined;
      }
      this.#maybeFinishClose();
    }
    const d = new Deferred<void>();
    this.#closing.addBoth((result) => {
      d.callback(undefined);
      return result;
    });
    return d;
  }

  #maybeFinishClose(): void {
    if (!this.#closing || this.#closing.called || this.#inflight > 0 || this.#opening > 0) return;
    for (const connection of this.#all) {
      if ((states.get(connection)?.load ?? 0) > 0) return; // still being released
    }
    const connections = [...this.#all];
    this.#running = false;
    const closing = this.#closing;
    Promise.all(connections.map((c) => this.#discard(c))).then(() => {
      if (!closing.called) closing.callback(undefined);
    });
  }

  static {
    runOn = async (connection, sql, params, control = false) => {
      const pool = connection.pool;
      const state = stateOf(connection);
      if (typeof sql !== "string") throw new TypeError("The SQL must be a string");
      if (!Array.isArray(params)) {
        throw new TypeError("The parameters must be an array (one value per placeholder)");
      }
      try {
        const text = convertPlaceholders(sql, pool.#paramstyle);
        if (state.implicit && !state.inTransaction && !control) {
          await pool.driver.execute(state.driverConnection, pool.#beginSQL, []);
          state.inTransaction = true;
        }
        return await pool.driver.execute(state.driverConnection, text, [...params]);
      } catch (error) {
        const translated = pool.#translate(error);
        if (translated instanceof ConnectionLost) {
          state.lost = true;
          state.inTransaction = false;
        }
        throw translated;
      }
    };
  }
}
