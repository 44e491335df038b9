/**
 * The PostgreSQL driver for `ConnectionPool("postgres", ...)`: our own
 * protocol client (`_protocol.ts`) on the reactor's TCP or Unix connections,
 * asynchronous, so connections stay on the main thread.
 *
 * @module
 */
import { ConnectionLost } from "../../internet/error.ts";
import {
  connectProtocol,
  TCP4ClientEndpoint,
  UNIXClientEndpoint,
} from "../../internet/_endpoints_stream.ts";
import type { Reactor } from "../../internet/reactor.ts";
import type { IDBDriver } from "../_driver.ts";
import {
  DatabaseError,
  DataError,
  IntegrityError,
  InterfaceError,
  InternalError,
  NotSupportedError,
  OperationalError,
  ProgrammingError,
} from "../_errors.ts";
import { PostgresProtocolError } from "./_messages.ts";
import { PostgresError, PostgresProtocol } from "./_protocol.ts";
import type { Int8As } from "./_types.ts";

/** PostgreSQL's settings, for `ConnectionPool("postgres", ...)`. */
export interface PostgresDriverOptions {
  /** `postgres://user:password@host:port/database`; its parts are overridden by the fields below. */
  url?: string;
  /** The server's host name or address, or a folder holding its Unix socket. @default "127.0.0.1" */
  host?: string;
  /** The server's port. @default 5432 */
  port?: number;
  /** The role to log in as. @default "postgres" */
  user?: string;
  /** The role's password (SCRAM-SHA-256, md5 or cleartext, as the server asks). */
  password?: string;
  /** The database. @default the user name */
  database?: string;
  /** Seconds to wait for the connection and the server's startup (authentication). @default 30 */
  connectTimeout?: number;
  /**
   * How int8 (bigint, `count(*)`) values arrive: exact `bigint`s, or their
   * text (JSON-friendly). Other integers arrive as numbers, numeric as text.
   * @default "bigint"
   */
  int8As?: Int8As;
  /** The largest single message taken from the server, in bytes. @default 67108864 (64 MiB) */
  maxMessageSize?: number;
  /** The most bytes of rows one statement may return. @default 268435456 (256 MiB) */
  maxResultSize?: number;
  /**
   * Statements kept prepared on each connection, by their SQL text, so that a
   * statement run again skips parsing and planning. After a `DEALLOCATE ALL`
   * or `DISCARD ALL` of your own, the next run of a kept statement fails once
   * and the statement is prepared again after. 0 turns this off. @default 100
   */
  statementCacheSize?: number;
  /** More startup parameters (application_name, search_path...). */
  parameters?: Record<string, string>;
}

interface Settings {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
}

function settingsOf(options: PostgresDriverOptions): Settings {
  let fromUrl: Partial<Settings> = {};
  if (options.url !== undefined) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`Bad PostgreSQL URL ${JSON.stringify(options.url)}`);
    }
    if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
      throw new TypeError(`A PostgreSQL URL starts with postgres://, not ${url.protocol}//`);
    }
    const sslmode = url.searchParams.get("sslmode");
    if (sslmode && !/^(disable|allow|prefer)$/.test(sslmode)) {
      throw new TypeError(`sslmode=${sslmode} is not supported: this driver has no TLS yet`);
    }
    fromUrl = {
      host: url.hostname ? decodeURIComponent(url.hostname).replace(/^\[|\]$/g, "") : undefined,
      port: url.port ? Number(url.port) : undefined,
      user: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      database: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined,
    };
  }
  const user = options.user ?? fromUrl.user ?? "postgres";
  const port = options.port ?? fromUrl.port ?? 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`The PostgreSQL port must be 1-65535, not ${port}`);
  }
  return {
    host: options.host ?? fromUrl.host ?? "127.0.0.1",
    port,
    user,
    password: options.password ?? fromUrl.password,
    database: options.database ?? fromUrl.database ?? user,
  };
}

/** The DB-API error for a PostgreSQL error, by its SQLSTATE class (as psycopg2 does). */
export function translatePostgresError(error: unknown): Error | undefined {
  if (error instanceof DatabaseError || error instanceof ConnectionLost) return error;
  const options = { cause: error };
  if (error instanceof PostgresProtocolError) return new InterfaceError(error.message, options);
  if (!(error instanceof PostgresError)) return undefined;
  const message = error.message;
  switch (error.code.slice(0, 2)) {
    case "23": // integrity constraint violation
      return new IntegrityError(message, options);
    case "42": // syntax error or access rule violation
    case "26": // invalid SQL statement name
    case "34": // invalid cursor name
    case "3F": // invalid schema name
      return new ProgrammingError(message, options);
    case "22": // data exception
      return new DataError(message, options);
    case "0A": // feature not supported
      return new NotSupportedError(message, options);
    case "XX": // internal error
    case "25": // invalid transaction state
    case "2D": // invalid transaction termination
      return new InternalError(message, options);
    case "08": // connection exception
    case "57": // operator intervention (admin shutdown, query canceled)
    case "53": // insufficient resources
    case "58": // system error
    case "40": // transaction rollback (serialization failure, deadlock)
    case "28": // invalid authorization
    case "3D": // invalid catalog name
    case "55": // object not in prerequisite state (lock not available)
      return new OperationalError(message, options);
    default:
      return new DatabaseError(message, options);
  }
}

/**
 * The PostgreSQL driver (what `ConnectionPool("postgres")` uses);
 * `reactor` may be a function giving it when the first connection opens.
 */
export function postgresDriver(
  reactor: Reactor | (() => Reactor),
  options: PostgresDriverOptions = {},
): IDBDriver<PostgresProtocol> {
  const settings = settingsOf(options);
  const maxMessageSize = options.maxMessageSize ?? 64 * 1024 * 1024;
  const maxResultSize = options.maxResultSize ?? 256 * 1024 * 1024;
  const int8As = options.int8As ?? "bigint";
  const statementCacheSize = options.statementCacheSize ?? 100;
  if (!Number.isInteger(statementCacheSize) || statementCacheSize < 0) {
    throw new RangeError(`statementCacheSize must be a whole number, not ${statementCacheSize}`);
  }
  if (int8As !== "bigint" && int8As !== "string") {
    throw new TypeError(`int8As must be "bigint" or "string", not ${JSON.stringify(int8As)}`);
  }
  return {
    name: "postgres",
    paramstyle: "numeric",
    // Statements are sent at once and answered in order: deep pipelines pay.
    pipelining: 128,
    beginSQL: "BEGIN",
    async connect() {
      const r = typeof reactor === "function" ? reactor() : reactor;
      const protocol = new PostgresProtocol({
        user: settings.user,
        password: settings.password,
        database: settings.database,
        parameters: options.parameters,
        maxMessageSize,
        maxResultSize,
        int8As,
        statementCacheSize,
      });
      const timeout = options.connectTimeout ?? 30;
      const endpoint = settings.host.startsWith("/")
        ? new UNIXClientEndpoint(r, `${settings.host}/.s.PGSQL.${settings.port}`, { timeout })
        : new TCP4ClientEndpoint(r, settings.host, settings.port, { timeout });
      try {
        await connectProtocol(endpoint, protocol);
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        throw new OperationalError(
          `Cannot connect to PostgreSQL at ${settings.host}:${settings.port}: ${text}`,
          { cause: error },
        );
      }
      // The server must also finish the startup (authentication) in time.
      let timedOut = false;
      const timer = r.callLater(timeout, () => {
        timedOut = true;
        protocol.abort(new Error("no answer"));
      });
      try {
        await protocol.ready;
      } catch (error) {
        await protocol.close();
        if (!timedOut) throw error;
        throw new OperationalError(
          `PostgreSQL at ${settings.host}:${settings.port} did not finish the startup in ${timeout} s`,
          { cause: error },
        );
      } finally {
        if (timer.active()) timer.cancel();
      }
      return protocol;
    },
    execute(connection, sql, params) {
      return connection.execute(sql, params);
    },
    close(connection) {
      return connection.close();
    },
    isOpen(connection) {
      return !connection.closed;
    },
    translateError: translatePostgresError,
  };
}
