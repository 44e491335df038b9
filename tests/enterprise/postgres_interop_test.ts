// ConnectionPool("postgres") against a real PostgreSQL (Debian's postgresql
// package) started by the test in a temporary folder on a free port: the same
// cases as over SQLite, the three password methods, types, and a connection
// killed by the server (pg_terminate_backend) recovered with `reconnect`.
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { ConnectionLost, Deferred, reactor } from "../../mod.ts";
import {
  ConnectionPool,
  type ConnectionPoolOptions,
  IntegrityError,
  InterfaceError,
  NotSupportedError,
  OperationalError,
  PostgresError,
  ProgrammingError,
  type Transaction,
} from "../../src/enterprise/mod.ts";
import type { PostgresProtocol } from "../../src/enterprise/postgres/_protocol.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { postgresBin, type PostgresServer, startPostgres } from "./_postgres_server.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const CI = process.env.CI === "true";
const BIN = postgresBin();
const skip = BIN || CI
  ? false
  : "peer missing: install Debian's postgresql (apt-get install -y postgresql)";

const rejects = (
  d: PromiseLike<unknown>,
  expected: Parameters<typeof assert.rejects>[1],
): Promise<void> => assert.rejects(Promise.resolve(d), expected);

describe("ConnectionPool over PostgreSQL", { skip, timeout: 120_000 }, () => {
  let server: PostgresServer;
  let pools: ConnectionPool[] = [];
  let table = 0;
  let name = "";

  before(async () => {
    if (!BIN) throw new Error("PostgreSQL is not installed (Debian's postgresql package)");
    server = await startPostgres(BIN);
    server.psql(
      "SET password_encryption = 'md5'; CREATE ROLE tw_md5 LOGIN PASSWORD 'md5pw';" +
        "SET password_encryption = 'scram-sha-256'; CREATE ROLE tw_clear LOGIN PASSWORD 'clearpw';",
    );
  });
  after(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    pools = [];
    name = `kv${++table}`;
  });
  afterEach(async () => {
    for (const pool of pools) await pool.close();
  });

  function pgPool(options: ConnectionPoolOptions = {}): ConnectionPool {
    const pool = new ConnectionPool("postgres", {
      host: "127.0.0.1",
      port: server.port,
      user: server.user,
      password: server.password,
      database: server.database,
      reactor,
      ...options,
    });
    pools.push(pool);
    return pool;
  }

  async function withTable(pool: ConnectionPool): Promise<void> {
    await pool.runOperation(`CREATE TABLE ${name} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  }

  it("runQuery() fires with rows and runOperation() with null, both placeholder styles", async () => {
    const pool = pgPool();
    await withTable(pool);
    assert.equal(await pool.runOperation(`INSERT INTO ${name} VALUES (?, ?)`, ["a", "1"]), null);
    await pool.runOperation(`INSERT INTO ${name} VALUES ($1, $2)`, ["b", "2"]);
    assert.deepEqual(await pool.runQuery(`SELECT key, value FROM ${name} ORDER BY key`), [
      ["a", "1"],
      ["b", "2"],
    ]);
    assert.deepEqual(await pool.runQuery(`SELECT value FROM ${name} WHERE key = ?`, ["zzz"]), []);
  });

  it("rowFactory 'object' and the common types come back converted", async () => {
    const pool = pgPool({ rowFactory: "object", min: 1, max: 1 });
    const [row] = await pool.runQuery(
      "SELECT 1::int2 AS a, 2::int4 AS b, 9007199254740993::int8 AS c, 1.5::float8 AS d," +
        " 12.345::numeric AS e, true AS f, 'é'::text AS g, '\\x00ff'::bytea AS h," +
        ` '{"k": [1, null]}'::jsonb AS i, '{"x": 1}'::json AS j,` +
        " '2024-05-06 07:08:09.123+02'::timestamptz AS k, '2024-05-06 07:08:09'::timestamp AS l," +
        " NULL::text AS m, $1::bytea AS n, $2::timestamptz AS o, $3::jsonb AS p, $4::bool AS q",
      [Uint8Array.of(1, 2, 3), new Date("2020-01-01T00:00:00.250Z"), { z: "ü" }, false],
    );
    assert.deepEqual(row, {
      a: 1,
      b: 2,
      c: 9007199254740993n,
      d: 1.5,
      e: "12.345",
      f: true,
      g: "é",
      h: Uint8Array.of(0, 255),
      i: { k: [1, null] },
      j: { x: 1 },
      k: new Date("2024-05-06T05:08:09.123Z"),
      l: new Date("2024-05-06T07:08:09Z"),
      m: null,
      n: Uint8Array.of(1, 2, 3),
      o: new Date("2020-01-01T00:00:00.250Z"),
      p: { z: "ü" },
      q: false,
    });
    const text = pgPool({ int8As: "string", min: 0, max: 1 });
    assert.deepEqual(await text.runQuery("SELECT count(*) FROM pg_class WHERE false"), [["0"]]);
  });

  it("runInteraction() commits when it succeeds, with rowcount", async () => {
    const pool = pgPool();
    await withTable(pool);
    const count = await pool.runInteraction(async (txn: Transaction, key: string) => {
      await txn.execute(`INSERT INTO ${name} VALUES ($1, 'x'), ($1 || '2', 'y')`, [key]);
      assert.equal(txn.rowcount, 2);
      await txn.execute(`SELECT key FROM ${name} ORDER BY key`);
      assert.deepEqual(txn.fetchone(), ["k"]);
      assert.deepEqual(txn.fetchall(), [["k2"]]);
      return txn.rowcount;
    }, "k");
    assert.equal(count, 2);
    assert.deepEqual(await pool.runQuery(`SELECT count(*) FROM ${name}`), [[2n]]);
  });

  it("runInteraction() rolls back when it fails, and the failure reaches the caller", async () => {
    const pool = pgPool();
    await withTable(pool);
    await rejects(
      pool.runInteraction(async (txn: Transaction) => {
        await txn.execute(`INSERT INTO ${name} VALUES ('gone', 'x')`);
        throw new RangeError("changed my mind");
      }),
      RangeError,
    );
    await rejects(
      pool.runInteraction(async (txn: Transaction) => {
        await txn.execute(`INSERT INTO ${name} VALUES ('dup', 'x')`);
        await txn.execute(`INSERT INTO ${name} VALUES ('dup', 'y')`);
      }),
      (e: unknown) => e instanceof IntegrityError && (e.cause as PostgresError).code === "23505",
    );
    assert.deepEqual(await pool.runQuery(`SELECT count(*) FROM ${name}`), [[0n]]);
  });

  it("runWithConnection() commits through the connection", async () => {
    const pool = pgPool({ min: 0, max: 1 });
    await withTable(pool);
    await pool.runWithConnection(async (connection) => {
      await connection.execute(`INSERT INTO ${name} VALUES ('c', '1')`);
      await connection.commit();
    });
    assert.deepEqual(await pool.runQuery(`SELECT key FROM ${name}`), [["c"]]);
  });

  it("100 concurrent queries run on at most max connections", async () => {
    // Its own application_name, so that only its own backends are counted.
    const pool = pgPool({ min: 1, max: 4, parameters: { application_name: name } });
    const results = await Promise.all(
      Array.from(
        { length: 100 },
        (_, i) => Promise.resolve(pool.runQuery<unknown[]>("SELECT $1::int4 * 2", [i])),
      ),
    );
    assert.deepEqual(results.map((r) => r[0][0]), Array.from({ length: 100 }, (_, i) => i * 2));
    assert.ok(pool.connectionCount <= 4, `${pool.connectionCount} connections`);
    const [[backends]] = await pool.runQuery<unknown[]>(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
      [name],
    );
    assert.ok((backends as bigint) >= 1n && (backends as bigint) <= 4n, `${backends} backends`);
  });

  it("close() waits for running work, then refuses new work", async () => {
    const pool = pgPool({ min: 1, max: 2 });
    await pool.start();
    let slowDone = false;
    const slow = Promise.resolve(pool.runQuery<unknown[]>("SELECT pg_sleep(0.3), 'done'")).then(
      (rows) => {
        slowDone = true;
        return rows;
      },
    );
    await pool.close();
    assert.ok(slowDone);
    assert.deepEqual((await slow)[0][1], "done");
    await rejects(pool.runQuery("SELECT 1"), InterfaceError);
  });

  it("a syntax error is a ProgrammingError with the server's error as cause", async () => {
    const pool = pgPool({ min: 0, max: 1 });
    await rejects(
      pool.runQuery("SELEC 1"),
      (e: unknown) =>
        e instanceof ProgrammingError && e.cause instanceof PostgresError &&
        e.cause.code === "42601",
    );
    await rejects(pool.runQuery("SELECT * FROM no_such_table"), ProgrammingError);
    // The connection goes on after an error.
    assert.deepEqual(await pool.runQuery("SELECT 'still here'"), [["still here"]]);
  });

  it("a connection killed by pg_terminate_backend mid-query fails without reconnect and is run again with it", async () => {
    for (const reconnect of [false, true]) {
      const app = `${name}_${reconnect}`;
      const pool = pgPool({ min: 1, max: 1, reconnect, parameters: { application_name: app } });
      await pool.start();
      const query = Promise.resolve(pool.runQuery("SELECT pg_sleep(0.5), 'done'"));
      const outcome = query.then((rows) => rows, (e) => e);
      // Kill the backend while it sleeps.
      const admin = pgPool({ min: 0, max: 1 });
      let killed = false;
      for (let i = 0; i < 100 && !killed; i++) {
        const rows = await admin.runQuery<unknown[]>(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity" +
            " WHERE application_name = $1 AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
          [app],
        );
        killed = rows.length > 0 && rows[0][0] === true;
      }
      assert.ok(killed, "the backend was found and terminated");
      const result = await outcome;
      if (reconnect) {
        assert.deepEqual(result, [["", "done"]]);
      } else {
        assert.ok(result instanceof ConnectionLost, String(result));
        assert.equal((result.cause as PostgresError).code, "57P01");
      }
      // The lost connection is replaced for the next piece of work.
      assert.deepEqual(await pool.runQuery("SELECT 'next'"), [["next"]]);
    }
  });

  it("a connection the server closed while idle is replaced before it is used", async () => {
    const pool = pgPool({ min: 1, max: 1, parameters: { application_name: name } });
    await pool.start();
    const protocol = await pool.runWithConnection((c) => c.driverConnection as PostgresProtocol);
    server.psql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${name}'`,
    );
    // Wait for the server's FATAL message and close to arrive.
    for (let i = 0; i < 500 && !protocol.closed; i++) {
      const tick = new Deferred<void>();
      reactor.callLater(0.01, () => tick.callback(undefined));
      await tick;
    }
    assert.ok(protocol.closed);
    assert.deepEqual(await pool.runQuery("SELECT 'fresh'"), [["fresh"]]);
  });

  it("kept statements outlive a changed table and DEALLOCATE ALL", async () => {
    const pool = pgPool({ min: 1, max: 1 });
    await pool.runOperation(`CREATE TABLE ${name} (a int4)`);
    await pool.runOperation(`INSERT INTO ${name} VALUES (1)`);
    assert.deepEqual(await pool.runQuery(`SELECT * FROM ${name}`), [[1]]);
    assert.deepEqual(await pool.runQuery(`SELECT * FROM ${name}`), [[1]]); // the kept one
    await pool.runOperation(`ALTER TABLE ${name} ADD COLUMN b text DEFAULT 'x'`);
    assert.deepEqual(await pool.runQuery(`SELECT * FROM ${name}`), [[1, "x"]]);
    await pool.runOperation("DEALLOCATE ALL");
    assert.deepEqual(await pool.runQuery(`SELECT * FROM ${name}`), [[1, "x"]]);
    const [[prepared]] = await pool.runQuery<unknown[]>(
      "SELECT count(*) FROM pg_prepared_statements",
    );
    assert.ok((prepared as bigint) >= 1n);
  });

  it("COPY TO STDOUT runs without rows; COPY FROM STDIN is a NotSupportedError and the pool goes on", async () => {
    const pool = pgPool({ min: 0, max: 1 });
    await withTable(pool);
    assert.deepEqual(await pool.runQuery(`COPY (SELECT 1) TO STDOUT`), []);
    await rejects(pool.runOperation(`COPY ${name} FROM STDIN`), NotSupportedError);
    assert.deepEqual(await pool.runQuery("SELECT 'on'"), [["on"]]);
  });

  it("logs in with md5 and cleartext passwords too, and refuses a wrong one", async () => {
    const md5 = pgPool({ user: "tw_md5", password: "md5pw", database: "postgres", min: 0, max: 1 });
    assert.deepEqual(await md5.runQuery("SELECT current_user"), [["tw_md5"]]);
    const clear = pgPool({
      url: `postgres://tw_clear:clearpw@127.0.0.1:${server.port}/postgres`,
      user: undefined,
      password: undefined,
      database: undefined,
      min: 0,
      max: 1,
    });
    assert.deepEqual(await clear.runQuery("SELECT current_user"), [["tw_clear"]]);
    const wrong = pgPool({ password: "nope", min: 0, max: 1 });
    await rejects(
      wrong.runQuery("SELECT 1"),
      (e: unknown) => e instanceof OperationalError && (e.cause as PostgresError).code === "28P01",
    );
  });
});
