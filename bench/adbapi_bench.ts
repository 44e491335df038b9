// ConnectionPool over SQLite: queries/s of a primary-key lookup (10,000 rows,
// 50 queries in flight) through the pool (each connection in a worker) vs the
// same lookup with the runtime's SQLite called directly on the main thread (the
// cost of keeping the reactor free; the target is at least 0.5 of it), and
// Twisted's adbapi with sqlite3 on the same file (/usr/bin/python3), reported.
// Then PostgreSQL (Debian's postgresql, started in a temporary folder): the pool
// vs our driver alone on one connection (50 statements pipelined on it; the
// target is at least 0.9 of it), and Twisted's adbapi with psycopg2
// (python3-psycopg2), reported.
// Run with: deno run -A bench/adbapi_bench.ts | bun bench/adbapi_bench.ts |
// node bench/adbapi_bench.ts   Flags: --seconds=N (default 2), --rounds=N
// (default 3, best kept), --no-python, --no-postgres. Prints markdown tables;
// nothing is asserted.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { reactor } from "../mod.ts";
import { ConnectionPool } from "../src/enterprise/mod.ts";
import { postgresDriver } from "../src/enterprise/postgres/_driver.ts";
import {
  postgresBin,
  type PostgresServer,
  startPostgres,
} from "../tests/enterprise/_postgres_server.ts";

const ROWS = 10_000;
const INFLIGHT = 50;
const flag = (name: string, fallback: number): number => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.split("=")[1]) : fallback;
};
const SECONDS = flag("seconds", 2);
const ROUNDS = flag("rounds", 3);
const PYTHON = !process.argv.includes("--no-python");
const POSTGRES = !process.argv.includes("--no-postgres");
const runtime = reactor.runtime.name;
const SELECT = "SELECT value FROM kv WHERE key = ?";

/** The runtime's SQLite, called directly: a lookup function and its closing. */
interface Direct {
  exec(sql: string): void;
  lookup(key: string): unknown[][];
  close(): void;
}

async function openDirect(path: string): Promise<Direct> {
  if ("Bun" in globalThis) {
    const name = "bun:sqlite";
    const { Database } = await import(name);
    const db = new Database(path);
    let statement: { values(key: string): unknown[][] } | undefined;
    return {
      exec: (sql) => db.exec(sql),
      lookup: (key) => (statement ??= db.prepare(SELECT)).values(key),
      close: () => db.close(),
    };
  }
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path);
  let statement: ReturnType<typeof db.prepare> | undefined;
  return {
    exec: (sql) => db.exec(sql),
    lookup: (key) => {
      if (!statement) {
        statement = db.prepare(SELECT);
        statement.setReturnArrays(true);
      }
      return statement.all(key) as unknown as unknown[][];
    },
    close: () => db.close(),
  };
}

const randomKey = (): string => `k${Math.floor(Math.random() * ROWS)}`;

async function measureDirect(path: string): Promise<number> {
  const db = await openDirect(path);
  const deadline = performance.now() + SECONDS * 1000;
  const start = performance.now();
  let done = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) {
      const key = randomKey();
      if (db.lookup(key)[0][0] !== `v${key.slice(1)}`) throw new Error("wrong row");
    }
    done += 100;
  }
  const qps = done / ((performance.now() - start) / 1000);
  db.close();
  return qps;
}

async function measurePool(path: string, connections: number): Promise<number> {
  const pool = new ConnectionPool("sqlite", { path, min: connections, max: connections, reactor });
  await pool.start();
  const deadline = performance.now() + SECONDS * 1000;
  let done = 0;
  const client = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const key = randomKey();
      const rows = await pool.runQuery<[string]>(SELECT, [key]);
      if (rows[0][0] !== `v${key.slice(1)}`) throw new Error("wrong row");
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: INFLIGHT }, client));
  const qps = done / ((performance.now() - start) / 1000);
  await pool.close();
  return qps;
}

function measureTwisted(path: string, connections: number): number | undefined {
  const script = new URL("./_twisted_adbapi.py", import.meta.url).pathname;
  const run = spawnSync("/usr/bin/python3", [
    script,
    path,
    String(SECONDS),
    String(INFLIGHT),
    String(connections),
  ], { encoding: "utf8" });
  const m = /QPS (\d+)/.exec(run.stdout ?? "");
  if (!m) {
    console.error(`Twisted's run failed: ${run.stderr || run.error}`);
    return undefined;
  }
  return Number(m[1]);
}

/** Runs `lookup` from INFLIGHT clients for SECONDS; queries/s. */
async function measureClients(lookup: (key: string) => PromiseLike<unknown[][]>): Promise<number> {
  const deadline = performance.now() + SECONDS * 1000;
  let done = 0;
  const client = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const key = randomKey();
      const rows = await lookup(key);
      if (rows[0][0] !== `v${key.slice(1)}`) throw new Error("wrong row");
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: INFLIGHT }, client));
  return done / ((performance.now() - start) / 1000);
}

const PG_SELECT = "SELECT value FROM kv WHERE key = $1";

async function measurePgDriver(server: PostgresServer): Promise<number> {
  const driver = postgresDriver(reactor, {
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
  });
  const connection = await driver.connect();
  const qps = await measureClients(async (key) =>
    (await driver.execute(connection, PG_SELECT, [key])).rows
  );
  await driver.close(connection);
  return qps;
}

async function measurePgPool(server: PostgresServer, connections: number): Promise<number> {
  const pool = new ConnectionPool("postgres", {
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
    min: connections,
    max: connections,
    reactor,
  });
  await pool.start();
  const qps = await measureClients((key) => pool.runQuery<unknown[]>(PG_SELECT, [key]));
  await pool.close();
  return qps;
}

/** Twisted's adbapi over psycopg2 on the same server. */
const TWISTED_PG = `
import random, sys, time
from twisted.enterprise import adbapi
from twisted.internet import defer, reactor
port, seconds, inflight, n = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
@defer.inlineCallbacks
def main():
    pool = adbapi.ConnectionPool("psycopg2", host="127.0.0.1", port=port, user=sys.argv[5],
        password=sys.argv[6], dbname="postgres", cp_min=n, cp_max=n)
    yield pool.runQuery("SELECT 1")
    done = [0]
    deadline = time.monotonic() + seconds
    @defer.inlineCallbacks
    def client():
        while time.monotonic() < deadline:
            key = "k%d" % random.randrange(${ROWS})
            rows = yield pool.runQuery("SELECT value FROM kv WHERE key = %s", (key,))
            assert rows[0][0] == "v" + key[1:]
            done[0] += 1
    start = time.monotonic()
    yield defer.gatherResults([client() for _ in range(inflight)])
    print("QPS %d" % (done[0] / (time.monotonic() - start)))
    pool.close()
d = main()
d.addErrback(lambda f: (f.printTraceback(), None))
d.addBoth(lambda _: reactor.stop())
reactor.run()
`;

function measureTwistedPg(server: PostgresServer, connections: number): number | undefined {
  const run = spawnSync("/usr/bin/python3", [
    "-c",
    TWISTED_PG,
    String(server.port),
    String(SECONDS),
    String(INFLIGHT),
    String(connections),
    server.user,
    server.password,
  ], { encoding: "utf8" });
  const m = /QPS (\d+)/.exec(run.stdout ?? "");
  if (!m) {
    console.error(`Twisted's psycopg2 run failed: ${run.stderr || run.error}`);
    return undefined;
  }
  return Number(m[1]);
}

async function benchPostgres(): Promise<void> {
  const bin = postgresBin();
  if (!bin) {
    console.error("PostgreSQL skipped: install Debian's postgresql");
    return;
  }
  const server = await startPostgres(bin);
  try {
    server.psql("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    server.psql(`INSERT INTO kv SELECT 'k' || i, 'v' || i FROM generate_series(0, ${ROWS - 1}) i`);
    server.psql("VACUUM ANALYZE kv");
    const psycopg2 = PYTHON &&
      spawnSync("/usr/bin/python3", ["-c", "import psycopg2, twisted"]).status === 0;
    if (PYTHON && !psycopg2) console.error("Twisted + psycopg2 skipped: install python3-psycopg2");
    const pools = [1, 2, 5];
    const best: Record<string, number> = {};
    const keep = (name: string, qps: number | undefined): void => {
      if (qps !== undefined) best[name] = Math.max(best[name] ?? 0, qps);
    };
    for (let round = 0; round < ROUNDS; round++) {
      console.error(`PostgreSQL round ${round + 1} of ${ROUNDS}`);
      keep("driver", await measurePgDriver(server));
      for (const n of pools) keep(`pool ${n}`, await measurePgPool(server, n));
      if (psycopg2) { for (const n of pools) keep(`twisted ${n}`, measureTwistedPg(server, n)); }
    }
    const driver = best.driver;
    const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
    console.log(
      `\nadbapi over PostgreSQL on ${runtime}: primary-key lookup, ${ROWS} rows, ${INFLIGHT} ` +
        `in flight, best of ${ROUNDS} x ${SECONDS} s\n`,
    );
    console.log("| subject | connections | queries/s | ratio to the driver alone |");
    console.log("|---|---|---|---|");
    console.log(`| our driver alone (pipelined) | 1 | ${fmt(driver)} | 1.00 |`);
    for (const n of pools) {
      const qps = best[`pool ${n}`];
      console.log(
        `| ConnectionPool("postgres") | ${n} | ${fmt(qps)} | ${(qps / driver).toFixed(2)} |`,
      );
    }
    for (const n of pools) {
      const qps = best[`twisted ${n}`];
      if (qps === undefined) continue;
      console.log(
        `| Twisted adbapi + psycopg2 | ${n} | ${fmt(qps)} | ${(qps / driver).toFixed(2)} |`,
      );
    }
  } finally {
    await server.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), "tw-adbapi-bench-"));
const path = join(dir, "bench.db");
try {
  const setup = await openDirect(path);
  setup.exec("PRAGMA journal_mode = WAL");
  setup.exec("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  setup.exec("BEGIN");
  for (let i = 0; i < ROWS; i += 1000) {
    const values = Array.from({ length: 1000 }, (_, j) => `('k${i + j}', 'v${i + j}')`).join(",");
    setup.exec(`INSERT INTO kv VALUES ${values}`);
  }
  setup.exec("COMMIT");
  setup.close();

  const python = PYTHON && existsSync("/usr/bin/python3");
  const pools = [1, 2, 5];
  const best: Record<string, number> = {};
  const keep = (name: string, qps: number | undefined): void => {
    if (qps !== undefined) best[name] = Math.max(best[name] ?? 0, qps);
  };
  for (let round = 0; round < ROUNDS; round++) {
    console.error(`round ${round + 1} of ${ROUNDS}`);
    keep("direct", await measureDirect(path));
    for (const n of pools) keep(`pool ${n}`, await measurePool(path, n));
    if (python) { for (const n of pools) keep(`twisted ${n}`, measureTwisted(path, n)); }
  }
  const direct = best.direct;
  const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
  console.log(
    `\nadbapi on ${runtime}: primary-key lookup, ${ROWS} rows, ${INFLIGHT} in flight, ` +
      `best of ${ROUNDS} x ${SECONDS} s\n`,
  );
  console.log("| subject | connections | queries/s | ratio to direct |");
  console.log("|---|---|---|---|");
  console.log(`| ${runtime} SQLite, main thread | 1 | ${fmt(direct)} | 1.00 |`);
  for (const n of pools) {
    const qps = best[`pool ${n}`];
    console.log(
      `| ConnectionPool (${runtime}) | ${n} | ${fmt(qps)} | ${(qps / direct).toFixed(2)} |`,
    );
  }
  for (const n of pools) {
    const qps = best[`twisted ${n}`];
    if (qps === undefined) continue;
    console.log(`| Twisted adbapi + sqlite3 | ${n} | ${fmt(qps)} | ${(qps / direct).toFixed(2)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (POSTGRES) await benchPostgres();
