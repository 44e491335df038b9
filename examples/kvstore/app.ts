// The key-value store from the talk: a memcached-like line protocol on TCP and
// an HTTP status page, one Application, entries kept in SQLite through
// ConnectionPool (so they survive a restart). Run it with
//   tw -y examples/kvstore/app.ts          (also: tw -n -y ..., under any runtime)
// Environment: KV_PORT (default 7000), KV_HTTP_PORT (7080), KV_INTERFACE
// (127.0.0.1), KV_DB (kvstore.db). A session:
//   $ nc 127.0.0.1 7000
//   set greeting hello world    -> STORED
//   get greeting                -> VALUE hello world
//   count                       -> COUNT 1
//   items                       -> ITEM greeting hello world, then END
//   delete greeting             -> DELETED       (NOT_FOUND when absent)
//   clear                       -> CLEARED 0     (how many entries went)
//   status                      -> STATUS uptime=12
//   version                     -> VERSION kvstore 1.0
//   $ curl http://127.0.0.1:7080/status
//   {"version":"kvstore 1.0","uptime":12,"count":0,"items":{}}
// Errors (unknown command, missing argument, a line over 64 KiB) get one
// "ERROR ..." line and the session goes on.
import { Application, Service } from "../../src/application/mod.ts";
import { ListeningService } from "../../src/cli/mod.ts";
import { ConnectionPool } from "../../src/enterprise/mod.ts";
import { Factory, reactor } from "../../mod.ts";
import { LineReceiver } from "../../src/protocols/basic.ts";
import { NOT_DONE_YET, type Request, Resource, Site } from "../../src/web/mod.ts";

const VERSION = "kvstore 1.0";
const MAX_LINE = 64 * 1024;
const NEWLINE = new Uint8Array([10]);
const decoder = new TextDecoder();

const env = (name: string, fallback: string): string => reactor.runtime.env(name) || fallback;
const started = reactor.seconds();
const uptime = (): number => Math.floor(reactor.seconds() - started);

// -- The store ----------------------------------------------------------------

/** The entries, in SQLite; every method is one statement through the pool. */
class Store {
  readonly pool: ConnectionPool;
  readonly ready: Promise<unknown>;
  constructor(path: string) {
    this.pool = new ConnectionPool("sqlite", { path, min: 1, max: 3, reactor });
    this.ready = Promise.resolve(this.pool.runOperation(
      "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ));
    this.ready.catch(() => {}); // each command reports it
  }
  async get(key: string): Promise<string | undefined> {
    await this.ready;
    const rows = await this.pool.runQuery<[string]>("SELECT value FROM entries WHERE key = ?", [
      key,
    ]);
    return rows[0]?.[0];
  }
  async set(key: string, value: string): Promise<void> {
    await this.ready;
    await this.pool.runOperation(
      "INSERT INTO entries (key, value) VALUES (?, ?) " +
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      [key, value],
    );
  }
  /** Deletes `key`; true when it was there. */
  delete(key: string): Promise<boolean> {
    return this.#change("DELETE FROM entries WHERE key = ?", [key]).then((n) => n > 0);
  }
  /** Removes every entry; fires with how many there were. */
  clear(): Promise<number> {
    return this.#change("DELETE FROM entries", []);
  }
  async count(): Promise<number> {
    await this.ready;
    const rows = await this.pool.runQuery<[number]>("SELECT count(*) FROM entries");
    return Number(rows[0][0]);
  }
  async items(): Promise<[string, string][]> {
    await this.ready;
    return await this.pool.runQuery<[string, string]>(
      "SELECT key, value FROM entries ORDER BY key",
    );
  }
  async #change(sql: string, params: unknown[]): Promise<number> {
    await this.ready;
    return await this.pool.runInteraction(async (txn) => {
      await txn.execute(sql, params);
      return txn.rowcount;
    });
  }
}

const store = new Store(env("KV_DB", "kvstore.db"));

/** Closes the pool when the application stops (after the listeners). */
class StoreService extends Service {
  override stopService(): Promise<void> {
    super.stopService();
    return Promise.resolve(store.pool.close());
  }
}

// -- The line protocol --------------------------------------------------------

/** One "ERROR ..." line for what the client did wrong. */
class CommandError extends Error {}

/** `COMMAND [KEY [VALUE]]` lines in, one answer each, in order. */
class KVProtocol extends LineReceiver {
  override delimiter: Uint8Array = NEWLINE;
  override MAX_LENGTH = MAX_LINE;
  #queue: Promise<void> = Promise.resolve();
  #skipping = false;

  override dataReceived(data: Uint8Array): void {
    if (this.#skipping) {
      // The rest of a line that was too long: dropped up to its end.
      const end = data.indexOf(10);
      if (end < 0) return;
      this.#skipping = false;
      data = data.subarray(end + 1);
    }
    super.dataReceived(data);
  }

  override lineLengthExceeded(buffered: Uint8Array): void {
    this.#answer(() => {
      throw new CommandError(`line too long (more than ${MAX_LINE} bytes)`);
    });
    const end = buffered.indexOf(10);
    if (end < 0) this.#skipping = true;
    else this.setLineMode(buffered.slice(end + 1));
  }

  override lineReceived(line: Uint8Array): void {
    const text = decoder.decode(line).replace(/\r$/, "");
    this.#answer(() => this.#run(text));
  }

  /** Runs `work` after the commands before it, and writes its answer. */
  #answer(work: () => Promise<string> | string): void {
    this.#queue = this.#queue.then(work).then(
      (reply) => reply,
      (error) =>
        error instanceof CommandError
          ? `ERROR ${error.message}`
          : `SERVER_ERROR ${error instanceof Error ? error.message : String(error)}`,
    ).then((reply) => {
      if (this.connected) this.sendLine(reply);
    });
  }

  #run(text: string): Promise<string> | string {
    const match = /^\s*(\S*)\s*(\S*)\s?(.*)$/.exec(text)!;
    const [, command, key, value] = match;
    const needKey = (): string => {
      if (key === "") throw new CommandError(`missing argument: ${command} KEY`);
      return key;
    };
    switch (command.toLowerCase()) {
      case "version":
        return `VERSION ${VERSION}`;
      case "status":
        return `STATUS uptime=${uptime()}`;
      case "count":
        return store.count().then((n) => `COUNT ${n}`);
      case "clear":
        return store.clear().then((n) => `CLEARED ${n}`);
      case "items":
        return store.items().then((items) =>
          [...items.map(([k, v]) => `ITEM ${k} ${v}`), "END"].join("\n")
        );
      case "get":
        return store.get(needKey()).then((v) => v === undefined ? "NOT_FOUND" : `VALUE ${v}`);
      case "set": {
        needKey();
        if (value === "" && !/\S\s+\S+\s/.test(text)) {
          throw new CommandError("missing argument: set KEY VALUE");
        }
        return store.set(key, value).then(() => "STORED");
      }
      case "delete":
        return store.delete(needKey()).then((found) => found ? "DELETED" : "NOT_FOUND");
      case "":
        throw new CommandError(
          "empty line: try version, count, clear, items, status, get, set or delete",
        );
      default:
        throw new CommandError(`unknown command: ${command.slice(0, 100)}`);
    }
  }
}

/** The line protocol's factory (named in the "listening on" log line). */
class KVStoreFactory extends Factory {
  override protocol = KVProtocol;
}

// -- The HTTP status ----------------------------------------------------------

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function status(): Promise<
  { version: string; uptime: number; count: number; items: Record<string, string> }
> {
  const items = await store.items();
  return {
    version: VERSION,
    uptime: uptime(),
    count: items.length,
    items: Object.fromEntries(items),
  };
}

function htmlPage(s: Awaited<ReturnType<typeof status>>): string {
  const rows = Object.entries(s.items).map(([k, v]) =>
    `      <tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`
  ).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
  <head><meta charset="utf-8"><title>${VERSION}</title></head>
  <body>
    <h1>${VERSION}</h1>
    <p>Up for <span id="uptime">${s.uptime}</span> s, <span id="count">${s.count}</span> entries
    (<a href="/status">as JSON</a>).</p>
    <table>
      <tr><th>Key</th><th>Value</th></tr>
${rows}
    </table>
  </body>
</html>
`;
}

/** `/` (HTML) and `/status` (JSON): the uptime and the entries. */
class StatusResource extends Resource {
  override isLeaf = true;
  render_GET(request: Request): typeof NOT_DONE_YET | string {
    const json = request.path === "/status";
    if (!json && request.path !== "/") {
      request.setResponseCode(404);
      request.setHeader("content-type", "text/plain; charset=utf-8");
      return "Not found: try / or /status\n";
    }
    status().then(
      (s) => {
        request.setHeader(
          "content-type",
          json ? "application/json" : "text/html; charset=utf-8",
        );
        request.setHeader("cache-control", "no-store");
        request.write(json ? JSON.stringify(s) + "\n" : htmlPage(s));
      },
      (error) => {
        request.setResponseCode(500);
        request.setHeader("content-type", "text/plain; charset=utf-8");
        request.write(`The store failed: ${error instanceof Error ? error.message : error}\n`);
      },
    ).finally(() => {
      if (!request.finished) request.finish();
    });
    return NOT_DONE_YET;
  }
}

// -- The application ----------------------------------------------------------

const iface = env("KV_INTERFACE", "127.0.0.1");
const strport = (port: string): string =>
  `tcp:${port}:interface=${iface.includes(":") ? iface.replaceAll(":", "\\:") : iface}`;

/** What `tw -y` runs. */
export const application: Application = new Application("kvstore");
new StoreService().setServiceParent(application);
new ListeningService(reactor, strport(env("KV_PORT", "7000")), new KVStoreFactory())
  .setServiceParent(application);
new ListeningService(reactor, strport(env("KV_HTTP_PORT", "7080")), new Site(new StatusResource()))
  .setServiceParent(application);
