/**
 * One PostgreSQL connection as a protocol over any `ITransport`: startup and
 * authentication, then statements through the extended query protocol
 * (Parse/Bind/Describe/Execute/Sync, text format both ways), pipelined: each
 * statement is sent at once and the answers are matched in order.
 *
 * @module
 */
import { ConnectionLost } from "../../internet/error.ts";
import type { Failure } from "../../internet/failure.ts";
import { Protocol } from "../../internet/protocol.ts";
import { Logger } from "../../logger/mod.ts";
import { NotSupportedError } from "../_errors.ts";
import type { DBResult } from "../_driver.ts";
import { md5Password, ScramClient } from "./_auth.ts";
import {
  type BackendMessage,
  type ErrorFields,
  type FieldDescription,
  frontend,
  MessageReader,
  PostgresProtocolError,
} from "./_messages.ts";
import { decodeValue, encodeParam, type Int8As } from "./_types.ts";

const log = new Logger("adbapi.postgres");

/**
 * An error the PostgreSQL server reported (an ErrorResponse), with its
 * fields; the pool hands it on as the `cause` of a DB-API error.
 *
 * @example
 * ```ts
 * import { PostgresError } from "@tw/core/enterprise";
 * const error = new PostgresError({ S: "ERROR", C: "23505", M: "duplicate key value" });
 * console.log(error.code, error.severity, error.message); // "23505" "ERROR" "duplicate key value"
 * ```
 */
export class PostgresError extends Error {
  /** SQLSTATE, five characters ("23505"). */
  readonly code: string;
  /** ERROR, FATAL, PANIC (not localized). */
  readonly severity: string;
  /** The server's detail line, if any. */
  readonly detail: string | undefined;
  /** The server's hint, if any. */
  readonly hint: string | undefined;
  /** Where in the statement the error is (1-based characters), if known. */
  readonly position: number | undefined;
  /** The constraint broken, if any. */
  readonly constraint: string | undefined;
  /** Every field of the ErrorResponse, by its one-letter code. */
  readonly fields: Readonly<Record<string, string>>;

  /** Makes the error from an ErrorResponse's fields. */
  constructor(fields: Record<string, string>) {
    super(fields.M ?? "Unknown PostgreSQL error");
    this.name = "PostgresError";
    this.fields = { ...fields };
    this.code = fields.C ?? "XX000";
    this.severity = fields.V ?? fields.S ?? "ERROR";
    this.detail = fields.D;
    this.hint = fields.H;
    this.position = fields.P ? Number(fields.P) : undefined;
    this.constraint = fields.n;
  }
}

/** Settings of one connection's protocol. */
export interface PostgresProtocolOptions {
  user: string;
  password?: string;
  database?: string;
  /** Other startup parameters (application_name...). */
  parameters?: Record<string, string>;
  /** The largest message accepted from the server, in bytes. */
  maxMessageSize: number;
  /** The most bytes of rows one statement may return. */
  maxResultSize: number;
  int8As: Int8As;
  /** Statements kept prepared on the server, by their SQL (0: none). @default 100 */
  statementCacheSize?: number;
}

/** A statement prepared on the server under `name`; `ready` once its ParseComplete came. */
interface Prepared {
  name: string;
  ready: boolean;
}

interface Pending {
  sql: string;
  params: readonly unknown[];
  /** Sent a second time already (after its kept statement went stale). */
  retried: boolean;
  simple: boolean;
  /** The cached statement this one used or prepared. */
  prepared: Prepared | undefined;
  fields: FieldDescription[];
  rows: unknown[][];
  size: number;
  tag: string;
  error: PostgresError | undefined;
  resolve(result: DBResult): void;
  reject(error: unknown): void;
}

const TRANSACTION_CONTROL =
  /^\s*(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|SET\s+TRANSACTION)\b[^;]*;?\s*$/i;

function rowcountOf(tag: string): number {
  const m = /^(?:INSERT \d+|UPDATE|DELETE|SELECT|MOVE|FETCH|COPY|MERGE) (\d+)$/.exec(tag);
  return m ? Number(m[1]) : -1;
}

/**
 * The client side of one PostgreSQL connection. `ready` fires once the server
 * accepted us; `execute` runs one statement; `close` says goodbye.
 */
export class PostgresProtocol extends Protocol {
  /** The server's parameters (server_version, TimeZone...). */
  readonly serverParameters: Map<string, string> = new Map();
  /** The server process serving us (for pg_terminate_backend / cancel). */
  backendPid = 0;
  /** Fires when the connection is ready for statements; rejects when it cannot be. */
  readonly ready: Promise<void>;
  #options: PostgresProtocolOptions;
  #reader: MessageReader;
  #queue: Pending[] = [];
  #phase: "startup" | "ready" | "closed" = "startup";
  #scram: ScramClient | undefined;
  #statements = new Map<string, Prepared>();
  #statementCount = 0;
  #fatal: PostgresError | Error | undefined;
  #readyResolve!: () => void;
  #readyReject!: (error: unknown) => void;
  #lost: Promise<void>;
  #lostResolve!: () => void;
  /** Called with each NOTIFY received (LISTEN). */
  onNotification: ((channel: string, payload: string, pid: number) => void) | undefined;

  constructor(options: PostgresProtocolOptions) {
    super();
    this.#options = options;
    this.#reader = new MessageReader(options.maxMessageSize);
    this.ready = new Promise<void>((resolve, reject) => {
      this.#readyResolve = resolve;
      this.#readyReject = reject;
    });
    this.ready.catch(() => {}); // observed by whoever connects
    this.#lost = new Promise<void>((resolve) => (this.#lostResolve = resolve));
  }

  /** True once the connection ended or failed. */
  get closed(): boolean {
    return this.#phase === "closed";
  }

  override connectionMade(): void {
    const parameters: Record<string, string> = {
      user: this.#options.user,
      database: this.#options.database ?? this.#options.user,
      client_encoding: "UTF8",
      DateStyle: "ISO",
      TimeZone: "UTC",
      ...this.#options.parameters,
    };
    this.transport.write(frontend.startup(parameters));
  }

  override dataReceived(data: Uint8Array): void {
    if (this.#phase === "closed") return;
    let messages: BackendMessage[];
    try {
      messages = this.#reader.feed(data);
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    for (const message of messages) {
      try {
        this.#handle(message);
      } catch (error) {
        this.#fail(error as Error);
        return;
      }
      if (this.closed) return;
    }
  }

  /** Ends the connection at once: statements waiting fail with ConnectionLost caused by `error`. */
  abort(error: Error): void {
    if (!this.closed) this.#fail(error);
  }

  /** Ends the connection at once for `error`: every statement waiting fails. */
  #fail(error: Error): void {
    this.#fatal ??= error;
    this.#phase = "closed";
    this.transport.abortConnection();
    this.#settleAll();
  }

  #settleAll(): void {
    const lost = new ConnectionLost(
      `The PostgreSQL connection was lost${this.#fatal ? `: ${this.#fatal.message}` : ""}`,
      { cause: this.#fatal },
    );
    this.#readyReject(this.#fatal instanceof PostgresError ? this.#fatal : lost);
    for (const pending of this.#queue.splice(0)) pending.reject(lost);
  }

  override connectionLost(reason: Failure): void {
    if (this.#phase !== "closed") {
      this.#phase = "closed";
      this.#fatal ??= reason.value;
      this.#settleAll();
    }
    this.#lostResolve();
  }

  #handle(message: BackendMessage): void {
    switch (message.type) {
      case "notice":
        log.info("PostgreSQL {severity}: {message}", {
          severity: message.fields.V ?? message.fields.S,
          message: message.fields.M,
          code: message.fields.C,
        });
        return;
      case "parameterStatus":
        if (this.serverParameters.size < 256 || this.serverParameters.has(message.name)) {
          this.serverParameters.set(message.name, message.value);
        }
        return;
      case "notification":
        this.onNotification?.(message.channel, message.payload, message.pid);
        return;
      case "closeComplete": // of a statement dropped from the cache
        return;
    }
    if (this.#phase === "startup") return this.#startup(message);
    const pending = this.#queue[0];
    if (
      message.type === "error" &&
      (!pending || /^(FATAL|PANIC)$/.test(fieldSeverity(message.fields)))
    ) {
      // The server is ending this connection (pg_terminate_backend, shutdown).
      this.#fatal = new PostgresError(message.fields);
      return;
    }
    if (!pending) {
      throw new PostgresProtocolError(`Unexpected ${message.type} message with nothing asked`);
    }
    switch (message.type) {
      case "rowDescription":
        pending.fields = message.fields;
        pending.rows = [];
        return;
      case "dataRow": {
        pending.size += message.size;
        if (pending.size > this.#options.maxResultSize) {
          throw new PostgresProtocolError(
            `The result is over the limit of ${this.#options.maxResultSize} bytes`,
          );
        }
        const { fields } = pending;
        if (message.values.length !== fields.length) {
          throw new PostgresProtocolError("A data row does not match its row description");
        }
        const row = new Array(fields.length);
        for (let i = 0; i < fields.length; i++) {
          const raw = message.values[i];
          row[i] = raw === null ? null : decodeValue(raw, fields[i].typeOid, this.#options.int8As);
        }
        pending.rows.push(row);
        return;
      }
      case "commandComplete":
        pending.tag = message.tag;
        return;
      case "error":
        pending.error ??= new PostgresError(message.fields);
        return;
      case "ready":
        this.#queue.shift();
        if (pending.error && pending.prepared && this.#forget(pending)) {
          // The server dropped or replanned the kept statement: outside a
          // transaction, running it once more (prepared afresh) is safe.
          if (!pending.retried && message.status === "I") {
            this.#send(pending.sql, pending.params, true).then(pending.resolve, pending.reject);
            return;
          }
        }
        if (pending.error) pending.reject(pending.error);
        else {
          pending.resolve({
            columns: pending.fields.map((f) => f.name),
            rows: pending.rows,
            rowcount: rowcountOf(pending.tag),
            lastrowid: null,
          });
        }
        return;
      case "parseComplete":
        if (pending.prepared) pending.prepared.ready = true;
        return;
      case "copyOut": // COPY ... TO STDOUT: the data is not kept
        return;
      case "copyIn": {
        // COPY ... FROM STDIN needs data we do not have. The server ignores
        // Sync while it waits and would take the statements pipelined after
        // this one as a broken COPY: end the connection instead.
        this.#queue.shift();
        pending.reject(
          new NotSupportedError("COPY FROM STDIN is not supported: use INSERT statements"),
        );
        this.transport.write(frontend.copyFail("COPY FROM STDIN is not supported"));
        throw new PostgresProtocolError("COPY FROM STDIN is not supported");
      }
      case "bindComplete":
      case "noData":
      case "emptyQuery":
      case "parameterDescription":
      case "portalSuspended":
        return;
      default:
        throw new PostgresProtocolError(`Unexpected ${message.type} message`);
    }
  }

  #startup(message: BackendMessage): void {
    switch (message.type) {
      case "auth":
        return this.#authenticate(message.code, message.data);
      case "backendKeyData":
        this.backendPid = message.pid;
        return;
      case "error":
        this.#fail(new PostgresError(message.fields));
        return;
      case "ready":
        this.#phase = "ready";
        this.#readyResolve();
        return;
      default:
        throw new PostgresProtocolError(`Unexpected ${message.type} message during startup`);
    }
  }

  #authenticate(code: number, data: Uint8Array): void {
    const password = this.#options.password;
    const needPassword = (): string => {
      if (password === undefined) {
        throw new PostgresError({
          S: "FATAL",
          C: "28P01",
          M: "The server asks for a password and none was given",
        });
      }
      return password;
    };
    switch (code) {
      case 0: // AuthenticationOk
        return;
      case 3: // cleartext
        this.transport.write(frontend.password(needPassword()));
        return;
      case 5: // md5
        if (data.length !== 4) throw new PostgresProtocolError("Bad md5 salt");
        this.transport.write(
          frontend.password(md5Password(this.#options.user, needPassword(), data)),
        );
        return;
      case 10: { // SASL: a list of mechanisms
        const mechanisms = new TextDecoder().decode(data).split("\0");
        if (!mechanisms.includes("SCRAM-SHA-256")) {
          throw new PostgresProtocolError(
            `No SASL mechanism we know among ${mechanisms.filter(Boolean).join(", ")}`,
          );
        }
        this.#scram = new ScramClient(needPassword());
        this.transport.write(frontend.saslInitial("SCRAM-SHA-256", this.#scram.first()));
        return;
      }
      case 11: { // SASLContinue
        const scram = this.#scram;
        if (!scram) throw new PostgresProtocolError("SASL continue without SASL");
        scram.final(data).then(
          (response) => {
            if (this.#phase === "startup") this.transport.write(frontend.saslResponse(response));
          },
          (error) => this.#fail(error),
        );
        return;
      }
      case 12: // SASLFinal
        if (!this.#scram) throw new PostgresProtocolError("SASL final without SASL");
        this.#scram.verify(data);
        return;
      default:
        throw new PostgresProtocolError(`Unsupported authentication method ${code}`);
    }
  }

  /** Runs one statement with `params` bound; fires with its result. */
  execute(sql: string, params: readonly unknown[] = []): Promise<DBResult> {
    return this.#send(sql, params, false);
  }

  #send(sql: string, params: readonly unknown[], retried: boolean): Promise<DBResult> {
    if (this.#phase !== "ready") {
      return Promise.reject(
        new ConnectionLost(
          `The PostgreSQL connection is ${this.#phase === "closed" ? "closed" : "not ready"}`,
          { cause: this.#fatal },
        ),
      );
    }
    let bytes: Uint8Array;
    let simple = false;
    let prepared: Prepared | undefined;
    try {
      if (params.length === 0 && TRANSACTION_CONTROL.test(sql)) {
        simple = true;
        bytes = frontend.query(sql);
      } else {
        const values = params.map(encodeParam);
        const parts: Uint8Array[] = [];
        prepared = this.#prepare(sql, parts);
        parts.push(
          frontend.bind(values, prepared?.name ?? ""),
          frontend.describePortal(),
          frontend.execute(),
          frontend.sync(),
        );
        bytes = concat(parts);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<DBResult>((resolve, reject) => {
      this.#queue.push({
        sql,
        params,
        retried,
        simple,
        prepared,
        fields: [],
        rows: [],
        size: 0,
        tag: "",
        error: undefined,
        resolve,
        reject,
      });
      this.transport.write(bytes);
    });
  }

  /**
   * Adds the Parse for `sql` to `parts`: of a named statement kept for the
   * next time when the cache has room (dropping the least recently used),
   * none when it is prepared already, of the unnamed statement while its
   * first Parse is still unanswered (so that its failure fails no other).
   */
  #prepare(sql: string, parts: Uint8Array[]): Prepared | undefined {
    const size = this.#options.statementCacheSize ?? 100;
    const known = this.#statements.get(sql);
    if (known?.ready) {
      this.#statements.delete(sql); // most recently used goes last
      this.#statements.set(sql, known);
      return known;
    }
    if (known || size <= 0) {
      parts.push(frontend.parse(sql));
      return undefined;
    }
    if (this.#statements.size >= size) {
      const [oldSql, old] = this.#statements.entries().next().value!;
      this.#statements.delete(oldSql);
      parts.push(frontend.closeStatement(old.name));
    }
    const prepared = { name: `tw_${++this.#statementCount}`, ready: false };
    this.#statements.set(sql, prepared);
    parts.push(frontend.parse(sql, prepared.name));
    return prepared;
  }

  /**
   * Drops a statement that failed to prepare, or that the server no longer
   * has or must replan (then true: the statement is worth running again).
   */
  #forget(pending: Pending): boolean {
    const prepared = pending.prepared!;
    const code = pending.error!.code;
    const stale = prepared.ready && (code === "26000" || code === "0A000");
    if (prepared.ready && !stale) return false;
    for (const [sql, entry] of this.#statements) {
      if (entry === prepared) {
        this.#statements.delete(sql);
        if (prepared.ready && this.#phase === "ready") {
          this.transport.write(frontend.closeStatement(prepared.name));
        }
        break;
      }
    }
    return stale;
  }

  /** Statements sent and not answered yet. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Sends Terminate and closes; fires when the connection is gone. */
  close(): Promise<void> {
    if (this.#phase !== "closed") {
      if (this.#phase === "ready") this.transport.write(frontend.terminate());
      this.#phase = "closed";
      this.#fatal ??= new Error("closed by the client");
      this.#settleAll();
      this.transport.loseConnection();
    }
    return this.#lost;
  }
}

function fieldSeverity(fields: ErrorFields): string {
  return fields.V ?? fields.S ?? "";
}

function concat(parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
