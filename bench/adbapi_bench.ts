// ConnectionPool over SQLite: queries/s of a primary-key lookup (10,000 rows,
// 50 queries in flight) through the pool (each connection in a worker) vs the
// same lookup with the runtime's SQLite called directly on the main thread (the
// cost of keeping the reactor free; the target is at least 0.5 of it), and
// Twisted's adbapi with sqlite3 on the same file (/usr/bin/python3), reported.
// Run with: deno run -A bench/adbapi_bench.ts | bun bench/adbapi_bench.ts |
// node bench/adbapi_bench.ts   Flags: --seconds=N (default 2), --rounds=N
// (default 3, best kept), --no-python. Prints a markdown table; nothing is asserted.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { reactor } from "../mod.ts";
import { ConnectionPool } from "../src/enterprise/mod.ts";

const ROWS = 10_000;
const INFLIGHT = 50;
const flag = (name: string, fallback: number): number => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.split("=")[1]) : fallback;
};
const SECONDS = flag("seconds", 2);
const ROUNDS = flag("rounds", 3);
const PYTHON = !process.argv.includes("--no-python");
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
