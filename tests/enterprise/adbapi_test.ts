// ConnectionPool over the runtime's own SQLite (in workers), in a temporary
// folder; and over small in-memory IDBDriver objects for what SQLite cannot be
// made to do on demand (count concurrent calls, lose a connection).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectionLost, Deferred, LoopingCall, reactor } from "../../mod.ts";
import {
  type Connection,
  ConnectionPool,
  DatabaseError,
  type DBResult,
  type IDBDriver,
  IntegrityError,
  InterfaceError,
  OperationalError,
  ProgrammingError,
  type Transaction,
} from "../../src/enterprise/mod.ts";
import type { SQLiteConnection } from "../../src/internet/socket.ts";
import type { Reactor } from "../../src/internet/reactor.ts";
import { translateSQLiteError } from "../../src/enterprise/_driver.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

/** `assert.rejects` for a Deferred (it takes only real Promises). */
const rejects = (
  d: PromiseLike<unknown>,
  expected: Parameters<typeof assert.rejects>[1],
): Promise<void> => assert.rejects(Promise.resolve(d), expected);

let dir = "";
let pools: ConnectionPool[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tw-adbapi-"));
  pools = [];
});
afterEach(async () => {
  for (const pool of pools) await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A SQLite pool on a fresh file, closed after the test. */
function sqlitePool(options: ConstructorParameters<typeof ConnectionPool>[1] = {}): ConnectionPool {
  const pool = new ConnectionPool("sqlite", { path: join(dir, "test.db"), reactor, ...options });
  pools.push(pool);
  return pool;
}

async function withTable(pool: ConnectionPool): Promise<void> {
  await pool.runOperation("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
}

/** SQL that keeps SQLite busy for about half a second. */
const SLOW =
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) FROM c";
const SLOW_N = 3_500_000;

const noRows: DBResult = { columns: [], rows: [], rowcount: 0, lastrowid: null };

describe("ConnectionPool over SQLite", { timeout: 60_000 }, () => {
  it("runQuery() fires with rows as arrays and runOperation() with null", async () => {
    const pool = sqlitePool();
    await withTable(pool);
    assert.equal(await pool.runOperation("INSERT INTO kv VALUES (?, ?)", ["a", "1"]), null);
    await pool.runOperation("INSERT INTO kv VALUES ($1, $2)", ["b", "2"]);
    assert.deepEqual(await pool.runQuery("SELECT key, value FROM kv ORDER BY key"), [
      ["a", "1"],
      ["b", "2"],
    ]);
    assert.deepEqual(await pool.runQuery("SELECT value FROM kv WHERE key = ?", ["zzz"]), []);
  });

  it("rowFactory 'object' gives rows keyed by column", async () => {
    const pool = sqlitePool({ rowFactory: "object" });
    await withTable(pool);
    await pool.runOperation("INSERT INTO kv VALUES (?, ?)", ["a", "1"]);
    assert.deepEqual(await pool.runQuery("SELECT key, value FROM kv"), [{ key: "a", value: "1" }]);
  });

  it("binds values of every SQLite type and never interpolates them", async () => {
    const pool = sqlitePool({ min: 1, max: 1 });
    const [row] = await pool.runQuery<unknown[]>(
      "SELECT ?, ?, ?, ?, ?, ?, '?', '$1'",
      ["it's; DROP TABLE x; --", 1.5, 2n ** 40n, null, true, new Uint8Array([1, 2])],
    );
    assert.equal(row[0], "it's; DROP TABLE x; --");
    assert.equal(row[1], 1.5);
    assert.equal(Number(row[2]), 2 ** 40);
    assert.equal(row[3], null);
    assert.equal(row[4], 1);
    assert.deepEqual([...(row[5] as Uint8Array)], [1, 2]);
    assert.equal(row[6], "?");
    assert.equal(row[7], "$1");
    assert.deepEqual(await pool.runQuery("SELECT $2, $1, $2", ["x", "y"]), [["y", "x", "y"]]);
    await rejects(pool.runQuery("SELECT ?, $1", [1]), ProgrammingError);
    await rejects(pool.runQuery("SELECT ?", [{ an: "object" }]), ProgrammingError);
    await rejects(pool.runQuery("SELECT ?", "not an array" as never), TypeError);
  });

  it("runInteraction() commits when its function succeeds", async () => {
    const pool = sqlitePool();
    await withTable(pool);
    const result = await pool.runInteraction(async (txn: Transaction, key: string) => {
      await txn.execute("INSERT INTO kv VALUES (?, ?)", [key, "v"]);
      assert.equal(txn.rowcount, 1);
      await txn.execute("SELECT key FROM kv");
      assert.deepEqual(txn.description?.[0][0], "key");
      assert.deepEqual(txn.fetchone(), ["k"]);
      assert.equal(txn.fetchone(), null);
      return "done";
    }, "k");
    assert.equal(result, "done");
    assert.deepEqual(await pool.runQuery("SELECT key FROM kv"), [["k"]]);
  });

  it("runInteraction() rolls back when its function fails, and the failure reaches the caller", async () => {
    const pool = sqlitePool();
    await withTable(pool);
    const boom = new Error("boom");
    await rejects(
      pool.runInteraction(async (txn) => {
        await txn.execute("INSERT INTO kv VALUES (?, ?)", ["gone", "v"]);
        throw boom;
      }),
      (e) => e === boom,
    );
    // A failing statement rolls back the statements before it too.
    await rejects(
      pool.runInteraction(async (txn) => {
        await txn.execute("INSERT INTO kv VALUES (?, ?)", ["gone too", "v"]);
        await txn.execute("INSERT INTO kv VALUES (?, ?)", ["gone too", "again"]);
      }),
      IntegrityError,
    );
    assert.deepEqual(await pool.runQuery("SELECT count(*) FROM kv"), [[0]]);
  });

  it("runInteraction() waits for a Deferred its function returns", async () => {
    const pool = sqlitePool();
    const d = new Deferred<number>();
    const result = pool.runInteraction(() => d);
    reactor.callLater(0.01, () => d.callback(7));
    assert.equal(await result, 7);
  });

  it("runWithConnection() commits on success, rolls back on failure, and commit() ends a transaction early", async () => {
    const pool = sqlitePool();
    await withTable(pool);
    await rejects(
      pool.runWithConnection(async (connection: Connection) => {
        await connection.execute("INSERT INTO kv VALUES ('kept', 'v')");
        await connection.commit();
        await connection.execute("INSERT INTO kv VALUES ('dropped', 'v')");
        throw new Error("stop");
      }),
      /stop/,
    );
    const rows = await pool.runWithConnection((connection) =>
      connection.execute("SELECT key FROM kv")
    );
    assert.deepEqual(rows, [["kept"]]);
  });

  it("reports a syntax error as ProgrammingError and a constraint as IntegrityError, the driver's error as cause", async () => {
    const pool = sqlitePool();
    await withTable(pool);
    await rejects(pool.runQuery("SELEC * FROM kv"), (e: Error) => {
      assert.ok(e instanceof ProgrammingError && e instanceof DatabaseError);
      assert.match(e.message, /syntax error/);
      assert.ok(e.cause instanceof Error);
      return true;
    });
    await rejects(pool.runQuery("SELECT * FROM nowhere"), ProgrammingError);
    await pool.runOperation("INSERT INTO kv VALUES ('a', 'b')");
    await rejects(pool.runOperation("INSERT INTO kv VALUES ('a', 'c')"), IntegrityError);
    await rejects(pool.runOperation("INSERT INTO kv VALUES ('n', NULL)"), IntegrityError);
    // The pool goes on after errors.
    assert.deepEqual(await pool.runQuery("SELECT count(*) FROM kv"), [[1]]);
  });

  it("a file that cannot be opened is an OperationalError", async () => {
    const pool = sqlitePool({ path: join(dir, "no", "such", "dir", "x.db"), min: 0 });
    await rejects(pool.runQuery("SELECT 1"), OperationalError);
  });

  it("opens files in WAL mode with a busy timeout, and runs openfun on each new connection", async () => {
    const opened: Connection[] = [];
    const pool = sqlitePool({
      min: 2,
      max: 2,
      busyTimeout: 1234,
      openfun: async (connection: Connection) => {
        opened.push(connection);
        await connection.execute("PRAGMA foreign_keys = ON");
      },
    });
    await pool.start();
    assert.equal(opened.length, 2);
    assert.equal(pool.connectionCount, 2);
    assert.deepEqual(await pool.runQuery("PRAGMA journal_mode"), [["wal"]]);
    assert.deepEqual(await pool.runQuery("PRAGMA busy_timeout"), [[1234]]);
    assert.deepEqual(await pool.runQuery("PRAGMA foreign_keys"), [[1]]);
  });

  it("runs 100 concurrent queries on at most max connections", async () => {
    let opened = 0;
    const pool = sqlitePool({ min: 1, max: 3, openfun: () => void opened++ });
    await withTable(pool);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => pool.runQuery("SELECT ? * 2", [i])),
    );
    assert.deepEqual(
      results.map((rows) => rows[0]),
      Array.from({ length: 100 }, (_, i) => [i * 2]),
    );
    assert.ok(opened <= 3 && opened >= 1, `${opened} connections opened`);
    assert.ok(pool.connectionCount <= 3);
  });

  it("keeps the reactor free while a slow query runs (a LoopingCall keeps its pace)", async () => {
    const pool = sqlitePool({ min: 1, max: 1 });
    await pool.start();
    const ticks: number[] = [];
    const loop = new LoopingCall(() => void ticks.push(performance.now()));
    loop.clock = reactor;
    loop.start(0.02, true);
    const began = performance.now();
    try {
      assert.deepEqual(await pool.runQuery(SLOW, [SLOW_N]), [[SLOW_N]]);
    } finally {
      loop.stop();
    }
    const took = performance.now() - began;
    let longest = 0;
    for (let i = 1; i < ticks.length; i++) longest = Math.max(longest, ticks[i] - ticks[i - 1]);
    assert.ok(took > 100, `the query took ${took} ms: not slow enough to tell`);
    assert.ok(ticks.length >= 5, `${ticks.length} ticks in ${took} ms`);
    assert.ok(longest < took / 2, `a ${longest} ms gap between ticks in ${took} ms`);
  });

  it("close() waits for running and waiting work, then refuses new work", async () => {
    const pool = sqlitePool({ min: 1, max: 1 });
    const order: string[] = [];
    const slow = pool.runQuery(SLOW, [SLOW_N / 4]).then(() => void order.push("slow"));
    const queued = pool.runQuery("SELECT 1").then(() => void order.push("queued"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closed = pool.close().then(() => void order.push("closed"));
    await rejects(pool.runQuery("SELECT 1"), (e: Error) => {
      assert.ok(e instanceof InterfaceError);
      assert.match(e.message, /closed/);
      return true;
    });
    await rejects(pool.runInteraction(() => 1), InterfaceError);
    await Promise.all([slow, queued, closed]);
    assert.deepEqual(order, ["slow", "queued", "closed"]);
    assert.equal(pool.connectionCount, 0);
    assert.equal(pool.running, false);
    await pool.close(); // again: fires at once
  });

  it("a lost connection fails its work with ConnectionLost, and with reconnect a query runs again", async () => {
    const pool = sqlitePool({ min: 0, max: 1, reconnect: true });
    await withTable(pool);
    const lose = (connection: Connection) =>
      (connection.driverConnection as SQLiteConnection).close();
    await pool.runWithConnection(lose);
    // The next query finds its connection gone, and runs again on a new one.
    assert.deepEqual(await pool.runQuery("SELECT count(*) FROM kv"), [[0]]);
    await pool.runWithConnection(lose);
    await rejects(
      pool.runInteraction((txn) => txn.execute("SELECT 1")),
      ConnectionLost,
    );
    assert.deepEqual(await pool.runQuery("SELECT 2"), [[2]]);

    const plain = sqlitePool({ min: 0, max: 1, path: join(dir, "plain.db") });
    await plain.runWithConnection(lose);
    await rejects(plain.runQuery("SELECT 1"), ConnectionLost);
    assert.deepEqual(await plain.runQuery("SELECT 1"), [[1]]);
  });
});

describe("ConnectionPool over an IDBDriver", () => {
  /** A driver whose execute waits a turn and counts how many run at once. */
  function countingDriver() {
    const stats = { now: 0, most: 0, connects: 0, closes: 0 };
    const driver: IDBDriver<{ id: number }> = {
      name: "counting",
      connect: () => ({ id: ++stats.connects }),
      async execute(_c, sql, params) {
        if (/^(BEGIN|COMMIT|ROLLBACK)/.test(sql)) return noRows;
        stats.now++;
        stats.most = Math.max(stats.most, stats.now);
        await new Promise((resolve) => setTimeout(resolve, 1));
        stats.now--;
        return { columns: ["sql", "p"], rows: [[sql, params[0]]], rowcount: -1, lastrowid: null };
      },
      close: () => void stats.closes++,
    };
    return [driver, stats] as const;
  }

  it("never runs more than max statements at once", async () => {
    const [driver, stats] = countingDriver();
    const pool = new ConnectionPool(driver, { min: 0, max: 4 });
    pools.push(pool);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => pool.runQuery("SELECT ?", [i])),
    );
    assert.equal(results.length, 100);
    assert.equal(stats.most, 4);
    assert.equal(stats.connects, 4);
    await pool.close();
    assert.equal(stats.closes, 4);
  });

  it("shares a pipelining driver's connection among plain statements, never a transaction's", async () => {
    const busy = new Map<number, string>(); // connection id -> what holds it alone
    const overlaps: string[] = [];
    let connects = 0;
    const driver: IDBDriver<{ id: number }> = {
      name: "pipelining",
      pipelining: true,
      connect: () => ({ id: ++connects }),
      async execute(c, sql) {
        const holder = busy.get(c.id);
        if (holder && !sql.includes(holder)) overlaps.push(`${sql} during ${holder}`);
        await new Promise((resolve) => setTimeout(resolve, 1));
        return { columns: ["x"], rows: [[c.id]], rowcount: -1, lastrowid: null };
      },
      close: () => {},
    };
    const pool = new ConnectionPool(driver, { min: 0, max: 2 });
    pools.push(pool);
    const interaction = pool.runInteraction(async (txn) => {
      const [[id]] = await txn.execute("SELECT 'txn'") as number[][];
      busy.set(id, "txn");
      for (let i = 0; i < 5; i++) await txn.execute("SELECT 'txn'");
      busy.delete(id);
    });
    const queries = await Promise.all(
      Array.from({ length: 40 }, () => pool.runQuery<number[]>("SELECT 1")),
    );
    await interaction;
    assert.deepEqual(overlaps, []);
    assert.ok(connects <= 2);
    assert.equal(queries.length, 40);
  });

  it("rewrites $1 into ? for a qmark driver and ? into $1 for a numeric one", async () => {
    const seen: string[] = [];
    const make = (paramstyle: "qmark" | "numeric"): IDBDriver => ({
      name: paramstyle,
      paramstyle,
      connect: () => ({}),
      execute: (_c, sql) => (seen.push(sql), noRows),
      close: () => {},
    });
    const qmark = new ConnectionPool(make("qmark"), { min: 0 });
    const numeric = new ConnectionPool(make("numeric"), { min: 0 });
    pools.push(qmark, numeric);
    await qmark.runOperation("SELECT $1, '$2', $2 -- $3", [1, 2]);
    await numeric.runOperation("SELECT ?, '?', ? /* ? */, ?3", [1, 2, 3]);
    assert.deepEqual(seen, ["SELECT ?1, '$2', ?2 -- $3", "SELECT $1, '?', $2 /* ? */, $3"]);
  });

  it("repeats a query once on ConnectionLost only with reconnect", async () => {
    let failNext = 0;
    const driver: IDBDriver = {
      name: "flaky",
      connect: () => ({}),
      execute: () => {
        if (failNext > 0) {
          failNext--;
          throw new ConnectionLost("the server went away");
        }
        return { columns: ["x"], rows: [[1]], rowcount: -1, lastrowid: null };
      },
      close: () => {},
    };
    const plain = new ConnectionPool(driver, { min: 0, max: 1 });
    const retrying = new ConnectionPool(driver, { min: 0, max: 1, reconnect: true });
    pools.push(plain, retrying);
    failNext = 1;
    await rejects(plain.runQuery("SELECT 1"), ConnectionLost);
    failNext = 1;
    assert.deepEqual(await retrying.runQuery("SELECT 1"), [[1]]);
    failNext = 2; // once again, no more
    await rejects(retrying.runQuery("SELECT 1"), ConnectionLost);
  });

  it("replaces an idle connection its driver reports closed (isOpen) before using it", async () => {
    const opened: { id: number; open: boolean }[] = [];
    const closed: number[] = [];
    const driver: IDBDriver<{ id: number; open: boolean }> = {
      name: "watched",
      connect: () => (opened.push({ id: opened.length + 1, open: true }), opened.at(-1)!),
      execute: (c) => ({ columns: ["id"], rows: [[c.id]], rowcount: -1, lastrowid: null }),
      close: (c) => void closed.push(c.id),
      isOpen: (c) => c.open,
    };
    const pool = new ConnectionPool(driver, { min: 1, max: 1 });
    pools.push(pool);
    await pool.start();
    assert.deepEqual(await pool.runQuery("SELECT id"), [[1]]);
    opened[0].open = false; // the server hung up while it was idle
    assert.deepEqual(await pool.runQuery("SELECT id"), [[2]]);
    assert.deepEqual(closed, [1]);
    assert.equal(pool.connectionCount, 1);
  });

  it("wraps an unknown driver error in DatabaseError with it as cause", async () => {
    const cause = new Error("driver says no");
    const pool = new ConnectionPool({
      name: "no",
      connect: () => ({}),
      execute: () => Promise.reject(cause),
      close: () => {},
    }, { min: 0 });
    pools.push(pool);
    await rejects(pool.runQuery("SELECT 1"), (e: Error) => {
      assert.ok(e instanceof DatabaseError);
      assert.equal(e.cause, cause);
      return true;
    });
  });

  it("fails the work when connecting or openfun fails, and goes on", async () => {
    let refuse = true;
    const pool = new ConnectionPool({
      name: "refusing",
      connect: () => {
        if (refuse) throw new Error("connection refused");
        return {};
      },
      execute: () => noRows,
      close: () => {},
    }, { min: 0, max: 1 });
    pools.push(pool);
    await rejects(pool.runOperation("X"), /connection refused/);
    refuse = false;
    assert.equal(await pool.runOperation("X"), null);
  });

  it("rejects bad options and unknown drivers clearly", () => {
    assert.throws(() => new ConnectionPool("mysql" as never), TypeError);
    assert.throws(() => new ConnectionPool("sqlite", { max: 0 }), RangeError);
    assert.throws(() => new ConnectionPool("sqlite", { min: -1 }), RangeError);
    assert.throws(() => new ConnectionPool("sqlite", { busyTimeout: -5 }), RangeError);
  });

  it("SQLite on a runtime without it is a NotSupportedError, and so is a Node without node:sqlite", async () => {
    const bare = {
      runtime: { name: "bare" },
      addSystemEventTrigger: () => 1,
    } as unknown as Reactor;
    const pool = new ConnectionPool("sqlite", { reactor: bare, min: 0 });
    pools.push(pool);
    await rejects(pool.runQuery("SELECT 1"), (e: Error) => {
      assert.equal(e.name, "NotSupportedError");
      assert.match(e.message, /bare runtime adapter has no SQLite/);
      return true;
    });
    // What the worker reports on Node 20 (no node:sqlite).
    const old = Object.assign(
      new Error("Node 20.11.0 has no node:sqlite: SQLite needs Node 22.13"),
      {
        name: "NotSupportedError",
      },
    );
    assert.equal(translateSQLiteError(old).name, "NotSupportedError");
  });

  it("maps SQLite's result codes onto DB-API's errors", () => {
    const sqlite = (errcode: number, message = "x") =>
      translateSQLiteError(Object.assign(new Error(message), { code: "ERR_SQLITE_ERROR", errcode }))
        .name;
    assert.equal(sqlite(1, 'near "x": syntax error'), "ProgrammingError");
    assert.equal(sqlite(1, "table t already exists"), "OperationalError");
    assert.equal(sqlite(5), "OperationalError"); // BUSY
    assert.equal(sqlite(2067), "IntegrityError"); // CONSTRAINT_UNIQUE
    assert.equal(sqlite(18), "DataError"); // TOOBIG
    assert.equal(sqlite(25), "ProgrammingError"); // RANGE
    assert.equal(sqlite(11), "DatabaseError"); // CORRUPT
    assert.equal(translateSQLiteError(new TypeError("cannot bind")).name, "ProgrammingError");
    assert.equal(
      translateSQLiteError(Object.assign(new Error("gone"), { code: "ERR_TW_SQLITE_LOST" })).name,
      "ConnectionLost",
    );
  });
});
