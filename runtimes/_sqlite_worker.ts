/**
 * The worker side of `Runtime.openSQLite`: holds one SQLite database (the
 * runtime's own: `bun:sqlite` on Bun, `node:sqlite` on Deno and Node) and runs
 * each statement it is sent, synchronously, off the main thread. Requests are
 * `{id, op: "open" | "execute" | "close", ...}`; each gets one reply
 * `{id, ok, result | error}`. Prepared statements are cached per SQL text.
 *
 * @module
 */

interface Request {
  id: number;
  op: "open" | "execute" | "close";
  path?: string;
  busyTimeout?: number;
  wal?: boolean;
  sql?: string;
  params?: unknown[];
}

interface Result {
  columns: string[];
  rows: unknown[][];
  rowcount: number;
  lastrowid: number | bigint | null;
}

/** One database, whichever module opened it. */
interface Engine {
  execute(sql: string, params: unknown[]): Result;
  close(): void;
}

/** node:sqlite's DatabaseSync, as far as this file uses it. */
interface NodeDatabase {
  prepare(sql: string): NodeStatement;
  exec(sql: string): void;
  close(): void;
}
interface NodeStatement {
  setReturnArrays(on: boolean): void;
  columns(): { name: string }[];
  all(...params: unknown[]): unknown[][];
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
}

/** bun:sqlite's Database, as far as this file uses it. */
interface BunDatabase {
  prepare(sql: string): BunStatement;
  exec(sql: string): void;
  close(): void;
}
interface BunStatement {
  columnNames: string[];
  values(...params: unknown[]): unknown[][];
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}

const CACHE_SIZE = 128;

/** A small least-recently-used cache of prepared statements. */
class StatementCache<S> {
  #map = new Map<string, S>();
  get(sql: string, prepare: (sql: string) => S): S {
    let statement = this.#map.get(sql);
    if (statement !== undefined) {
      this.#map.delete(sql);
    } else {
      statement = prepare(sql);
      if (this.#map.size >= CACHE_SIZE) this.#map.delete(this.#map.keys().next().value!);
    }
    this.#map.set(sql, statement);
    return statement;
  }
  clear(): void {
    this.#map.clear();
  }
}

const dynamicImport = (name: string): Promise<Record<string, unknown>> => import(name);

function nodeVersionHint(): string {
  const versions = (globalThis as { process?: { versions?: Record<string, string> } }).process
    ?.versions;
  const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno?.version?.deno;
  if (deno) return `Deno ${deno} has no node:sqlite: SQLite needs Deno 2.2 or later`;
  const node = versions?.node ?? "unknown";
  return `Node ${node} has no node:sqlite: SQLite needs Node 22.13 or later ` +
    "(22.5 to 22.12 with --experimental-sqlite)";
}

async function openNode(path: string): Promise<Engine> {
  let mod: Record<string, unknown>;
  try {
    mod = await dynamicImport("node:sqlite");
  } catch {
    const error = new Error(nodeVersionHint());
    error.name = "NotSupportedError";
    throw error;
  }
  const DatabaseSync = mod.DatabaseSync as new (path: string) => NodeDatabase;
  const db = new DatabaseSync(path);
  const cache = new StatementCache<{ statement: NodeStatement; columns: string[] }>();
  return {
    execute(sql, params) {
      const { statement, columns } = cache.get(sql, (text) => {
        const statement = db.prepare(text);
        statement.setReturnArrays(true);
        return { statement, columns: statement.columns().map((c) => c.name) };
      });
      if (columns.length > 0) {
        return { columns, rows: statement.all(...params), rowcount: -1, lastrowid: null };
      }
      const info = statement.run(...params);
      return {
        columns,
        rows: [],
        rowcount: Number(info.changes),
        lastrowid: info.lastInsertRowid,
      };
    },
    close() {
      cache.clear();
      db.close();
    },
  };
}

async function openBun(path: string): Promise<Engine> {
  const mod = await dynamicImport("bun:sqlite");
  const Database = mod.Database as new (path: string) => BunDatabase;
  const db = new Database(path);
  const cache = new StatementCache<BunStatement>();
  return {
    execute(sql, params) {
      const statement = cache.get(sql, (text) => db.prepare(text));
      const columns = statement.columnNames;
      if (columns.length > 0) {
        return { columns, rows: statement.values(...params), rowcount: -1, lastrowid: null };
      }
      const info = statement.run(...params);
      return { columns, rows: [], rowcount: info.changes, lastrowid: info.lastInsertRowid };
    },
    close() {
      cache.clear();
      db.close();
    },
  };
}

let engine: Engine | undefined;

async function open(request: Request): Promise<void> {
  const path = request.path ?? ":memory:";
  engine = "Bun" in globalThis ? await openBun(path) : await openNode(path);
  const timeout = Math.max(0, Math.floor(request.busyTimeout ?? 0));
  engine.execute(`PRAGMA busy_timeout = ${timeout}`, []);
  if (request.wal && path !== ":memory:" && path !== "") {
    // Switching to WAL needs a moment alone with the file, and SQLite does not
    // always wait for it (no busy handler where it could deadlock): when
    // connections open together, try again for up to the busy timeout.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0;; waited += 10) {
      try {
        engine.execute("PRAGMA journal_mode = WAL", []);
        break;
      } catch (e) {
        if (!/locked|busy/i.test(String((e as Error)?.message)) || waited >= timeout) throw e;
        Atomics.wait(pause, 0, 0, 10);
      }
    }
  }
}

function errorFields(error: unknown): Record<string, unknown> {
  const e = error instanceof Error ? error : new Error(String(error));
  const fields: Record<string, unknown> = { name: e.name, message: e.message };
  const extra = e as Error & Record<string, unknown>;
  // node:sqlite: code "ERR_SQLITE_ERROR", errcode (extended result code), errstr;
  // bun:sqlite: code "SQLITE_CONSTRAINT_UNIQUE", errno (extended result code).
  if (typeof extra.code === "string") fields.code = extra.code;
  if (typeof extra.errcode === "number") fields.errcode = extra.errcode;
  else if (typeof extra.errno === "number") fields.errcode = extra.errno;
  if (typeof extra.errstr === "string") fields.errstr = extra.errstr;
  return fields;
}

type Post = (message: unknown) => void;

/** A message from the adapter: one request, or several sent in the same turn. */
type Incoming = Request | { batch: Request[] };

function serve(post: Post): (message: Incoming) => void {
  // Requests run one at a time, in order. Statements run synchronously as they
  // come; only "open" (an import) waits, and what arrives meanwhile queues.
  let opening: Promise<void> | undefined;
  const run = (request: Request): unknown => {
    try {
      if (request.op === "execute" && engine) {
        return {
          id: request.id,
          ok: true,
          result: engine.execute(request.sql ?? "", request.params ?? []),
        };
      }
      if (request.op === "close") {
        engine?.close();
        engine = undefined;
        return { id: request.id, ok: true, result: null };
      }
      if (request.op === "execute") throw new Error("The SQLite database is not open");
      throw new TypeError(`Unknown SQLite worker request ${JSON.stringify(request.op)}`);
    } catch (error) {
      return { id: request.id, ok: false, error: errorFields(error) };
    }
  };
  const receive = (requests: Request[]): void => {
    const replies: unknown[] = [];
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i];
      if (request.op === "open") {
        if (replies.length > 0) post(replies.length === 1 ? replies[0] : { batch: replies });
        const rest = requests.slice(i + 1);
        opening = open(request).then(
          () => post({ id: request.id, ok: true, result: null }),
          (error) => post({ id: request.id, ok: false, error: errorFields(error) }),
        ).then(() => {
          opening = undefined;
          if (rest.length > 0) receive(rest);
        });
        return;
      }
      replies.push(run(request));
    }
    if (replies.length > 0) post(replies.length === 1 ? replies[0] : { batch: replies });
  };
  return (message) => {
    const requests = "batch" in message ? message.batch : [message];
    if (opening) {
      opening = opening.then(() => receive(requests));
    } else {
      receive(requests);
    }
  };
}

interface WebScope {
  onmessage: ((event: MessageEvent<Incoming>) => void) | null;
  postMessage(message: unknown): void;
}

async function main(): Promise<void> {
  const scope = globalThis as unknown as WebScope;
  // A Web Worker (Deno, Bun) may be sent requests before the import below is
  // done: hold them until it is.
  const early: Incoming[] = [];
  const web = typeof scope.postMessage === "function";
  if (web) scope.onmessage = (event) => early.push(event.data);
  const threads = await dynamicImport("node:worker_threads").catch(() => undefined) as {
    parentPort?: {
      on(event: "message", fn: (data: Incoming) => void): void;
      postMessage(message: unknown): void;
    } | null;
    workerData?: { twSQLite?: boolean };
  } | undefined;
  const port = threads?.parentPort;
  if (port && threads?.workerData?.twSQLite) {
    // Started through node:worker_threads (the node adapter, on any runtime).
    if (web) scope.onmessage = null;
    port.on("message", serve((message) => port.postMessage(message)));
    return;
  }
  const receive = serve((message) => scope.postMessage(message));
  scope.onmessage = (event) => receive(event.data);
  for (const request of early.splice(0)) receive(request);
}

await main();
