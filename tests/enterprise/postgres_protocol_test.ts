// The PostgreSQL client's codec and state machine, fed through StringTransport:
// frontend bytes, authentication (cleartext, md5, SCRAM-SHA-256 against RFC
// 7677's vector), results and their types, errors, pipelining, lost
// connections, limits, and fuzzed server bytes.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import {
  ConnectionDone,
  ConnectionLost,
  Deferred,
  Factory,
  Failure,
  type IPv4Address,
  Protocol,
  reactor,
} from "../../mod.ts";
import { StringTransport, trackLeaks } from "../../src/testing/mod.ts";
import { globalLogPublisher, type LogEvent } from "../../src/logger/mod.ts";
import {
  DatabaseError,
  DataError,
  IntegrityError,
  InterfaceError,
  InternalError,
  NotSupportedError,
  OperationalError,
  PostgresError,
  ProgrammingError,
} from "../../src/enterprise/mod.ts";
import { ConnectionPool } from "../../src/enterprise/mod.ts";
import {
  decodeBackend,
  frontend,
  MessageReader,
  PostgresProtocolError,
} from "../../src/enterprise/postgres/_messages.ts";
import { md5Password, ScramClient } from "../../src/enterprise/postgres/_auth.ts";
import { PostgresProtocol } from "../../src/enterprise/postgres/_protocol.ts";
import { decodeValue, encodeParam, OID } from "../../src/enterprise/postgres/_types.ts";
import { postgresDriver, translatePostgresError } from "../../src/enterprise/postgres/_driver.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
const td = new TextDecoder();

// ---- a tiny backend-message builder (the server's side) ----
function msg(type: string, ...parts: (Uint8Array | string | number[])[]): Uint8Array {
  const bodies = parts.map((p) =>
    typeof p === "string" ? te.encode(p) : p instanceof Uint8Array ? p : Uint8Array.from(p)
  );
  const size = bodies.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(5 + size);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + size);
  let at = 5;
  for (const b of bodies) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
const i32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const i16 = (n: number): number[] => [(n >>> 8) & 255, n & 255];
const cstr = (s: string): Uint8Array => te.encode(s + "\0");
const authOk = (): Uint8Array => msg("R", i32(0));
const ready = (status = "I"): Uint8Array => msg("Z", status);
const rowDescription = (cols: [string, number][]): Uint8Array =>
  msg(
    "T",
    i16(cols.length),
    ...cols.flatMap((
      [name, oid],
    ) => [cstr(name), [...i32(0), ...i16(0), ...i32(oid), ...i16(-1), ...i32(-1), ...i16(0)]]),
  );
const dataRow = (values: (string | null)[]): Uint8Array =>
  msg(
    "D",
    i16(values.length),
    ...values.flatMap((v) => (v === null ? [i32(-1)] : [i32(te.encode(v).length), te.encode(v)])),
  );
const complete = (tag: string): Uint8Array => msg("C", cstr(tag));
const errorResponse = (fields: Record<string, string>): Uint8Array =>
  msg("E", ...Object.entries(fields).map(([k, v]) => cstr(k + v)), [0]);

/** Splits the frontend's output into [type, body] pairs (after the startup message). */
function frontendMessages(bytes: Uint8Array, startup = true): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  let at = 0;
  if (startup) at = new DataView(bytes.buffer, bytes.byteOffset).getInt32(0);
  while (at < bytes.length) {
    const len = new DataView(bytes.buffer, bytes.byteOffset + at + 1).getInt32(0);
    out.push([String.fromCharCode(bytes[at]), bytes.slice(at + 5, at + 1 + len)]);
    at += 1 + len;
  }
  return out;
}

const base = {
  user: "ada",
  maxMessageSize: 1 << 20,
  maxResultSize: 1 << 22,
  int8As: "bigint" as const,
};

function connected(options: Partial<typeof base> & { password?: string } = {}): {
  protocol: PostgresProtocol;
  transport: StringTransport;
} {
  const protocol = new PostgresProtocol({ ...base, ...options });
  const transport = new StringTransport();
  protocol.makeConnection(transport);
  return { protocol, transport };
}

async function readyConnection(): Promise<
  { protocol: PostgresProtocol; transport: StringTransport }
> {
  const c = connected();
  c.protocol.dataReceived(authOk());
  c.protocol.dataReceived(msg("S", cstr("server_version"), cstr("15.0")));
  c.protocol.dataReceived(msg("K", i32(4242), i32(7)));
  c.protocol.dataReceived(ready());
  await c.protocol.ready;
  c.transport.clear();
  return c;
}

describe("PostgreSQL frontend messages", () => {
  it("startup carries protocol 3.0 and NUL-terminated parameters", () => {
    const bytes = frontend.startup({ user: "ada", database: "db" });
    const view = new DataView(bytes.buffer);
    assert.equal(view.getInt32(0), bytes.length);
    assert.equal(view.getInt32(4), 196608);
    assert.equal(td.decode(bytes.subarray(8)), "user\0ada\0database\0db\0\0");
  });

  it("bind sends NULL as length -1 and text parameters as UTF-8", () => {
    const [[type, body]] = frontendMessages(frontend.bind(["é", null]), false);
    assert.equal(type, "B");
    assert.deepEqual([...body], [
      0,
      0,
      0,
      0,
      0,
      2,
      0,
      0,
      0,
      2,
      0xc3,
      0xa9,
      255,
      255,
      255,
      255,
      0,
      0,
    ]);
  });

  it("a NUL inside SQL is refused, not truncated", () => {
    assert.throws(() => frontend.parse("SELECT 1\0; DROP TABLE x"), TypeError);
  });
});

describe("PostgreSQL authentication", () => {
  it("connects after AuthenticationOk, ParameterStatus, BackendKeyData and ReadyForQuery", async () => {
    const { protocol, transport } = connected();
    assert.match(td.decode(transport.value()), /user\0ada\0database\0ada\0client_encoding\0UTF8/);
    await (await readyConnection()).protocol.ready;
    protocol.dataReceived(new Uint8Array([...authOk(), ...msg("K", i32(99), i32(1)), ...ready()]));
    await protocol.ready;
    assert.equal(protocol.backendPid, 99);
  });

  it("answers a cleartext request with the password", () => {
    const { protocol, transport } = connected({ password: "pw" });
    transport.clear();
    protocol.dataReceived(msg("R", i32(3)));
    assert.deepEqual(frontendMessages(transport.value(), false), [["p", te.encode("pw\0")]]);
  });

  it("answers md5 as md5(md5(password + user) + salt), checked with node:crypto", () => {
    const salt = Uint8Array.of(1, 2, 3, 4);
    const inner = createHash("md5").update("pwada").digest("hex");
    const expected = "md5" +
      createHash("md5").update(Buffer.concat([Buffer.from(inner), salt])).digest("hex");
    assert.equal(md5Password("ada", "pw", salt), expected);
    const { protocol, transport } = connected({ password: "pw" });
    transport.clear();
    protocol.dataReceived(msg("R", i32(5), salt));
    assert.equal(td.decode(frontendMessages(transport.value(), false)[0][1]), expected + "\0");
  });

  it("SCRAM-SHA-256 gives RFC 7677's client proof and checks the server signature", async () => {
    const scram = new ScramClient("pencil", "rOprNGfwEbeRWgbNEkqO", "user");
    assert.equal(td.decode(scram.first()), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const final = await scram.final(te.encode(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    ));
    assert.equal(
      td.decode(final),
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    );
    scram.verify(te.encode("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
    assert.throws(() => scram.verify(te.encode("v=AAAA")), PostgresProtocolError);
  });

  it("SCRAM refuses a nonce that does not extend ours and absurd iteration counts", async () => {
    const scram = new ScramClient("pw", "abc");
    await assert.rejects(scram.final(te.encode("r=xyz123,s=AAAA,i=4096")), PostgresProtocolError);
    await assert.rejects(
      scram.final(te.encode("r=abcdef,s=AAAA,i=99999999")),
      PostgresProtocolError,
    );
  });

  it("a password request without a password fails the connection", async () => {
    const { protocol, transport } = connected();
    protocol.dataReceived(msg("R", i32(10), cstr("SCRAM-SHA-256"), [0]));
    await assert.rejects(protocol.ready, /asks for a password/);
    assert.ok(transport.aborted);
  });

  it("an ErrorResponse during startup rejects ready with the server's error", async () => {
    const { protocol } = connected({ password: "x" });
    protocol.dataReceived(
      errorResponse({ S: "FATAL", C: "28P01", M: "password authentication failed" }),
    );
    const error = await protocol.ready.then(() => null, (e) => e);
    assert.ok(error instanceof PostgresError);
    assert.equal(error.code, "28P01");
    assert.ok(translatePostgresError(error) instanceof OperationalError);
  });

  it("an unknown authentication method fails cleanly", async () => {
    const { protocol, transport } = connected({ password: "x" });
    protocol.dataReceived(msg("R", i32(7)));
    await assert.rejects(protocol.ready, ConnectionLost);
    assert.ok(transport.aborted);
  });
});

describe("PostgreSQL statements", () => {
  it("sends Parse/Bind/Describe/Execute/Sync and converts the result's types", async () => {
    const { protocol, transport } = await readyConnection();
    const result = protocol.execute("SELECT $1", ["x"]);
    assert.deepEqual(frontendMessages(transport.value(), false).map(([t]) => t), [
      "P",
      "B",
      "D",
      "E",
      "S",
    ]);
    protocol.dataReceived(
      new Uint8Array([
        ...msg("1"),
        ...msg("2"),
        ...rowDescription([
          ["i", OID.int4],
          ["b", OID.int8],
          ["t", 25],
          ["ok", OID.bool],
          ["j", OID.jsonb],
          ["n", OID.numeric],
          ["ts", OID.timestamptz],
          ["z", 25],
        ]),
        ...dataRow([
          "7",
          "9007199254740993",
          "hé",
          "t",
          '{"a":[1]}',
          "1.10",
          "2024-02-03 04:05:06.789+01",
          null,
        ]),
        ...complete("SELECT 1"),
        ...ready(),
      ]),
    );
    const { columns, rows, rowcount } = await result;
    assert.deepEqual(columns, ["i", "b", "t", "ok", "j", "n", "ts", "z"]);
    assert.deepEqual(rows, [[
      7,
      9007199254740993n,
      "hé",
      true,
      { a: [1] },
      "1.10",
      new Date("2024-02-03T03:05:06.789Z"),
      null,
    ]]);
    assert.equal(rowcount, 1);
  });

  it("uses the simple query protocol for BEGIN, COMMIT and ROLLBACK", async () => {
    const { protocol, transport } = await readyConnection();
    const d = protocol.execute("BEGIN");
    assert.deepEqual(frontendMessages(transport.value(), false), [["Q", te.encode("BEGIN\0")]]);
    protocol.dataReceived(new Uint8Array([...complete("BEGIN"), ...ready("T")]));
    assert.deepEqual((await d).rows, []);
  });

  it("pipelines statements and matches the answers in order, an error failing only its own", async () => {
    const { protocol } = await readyConnection();
    const a = protocol.execute("INSERT INTO t VALUES ($1)", [1]);
    const b = protocol.execute("SELEC");
    const c = protocol.execute("DELETE FROM t");
    assert.equal(protocol.pending, 3);
    protocol.dataReceived(
      new Uint8Array([
        ...msg("1"),
        ...msg("2"),
        ...msg("n"),
        ...complete("INSERT 0 1"),
        ...ready(),
        ...errorResponse({
          S: "ERROR",
          V: "ERROR",
          C: "42601",
          M: 'syntax error at or near "SELEC"',
          P: "1",
        }),
        ...ready(),
        ...msg("1"),
        ...msg("2"),
        ...msg("n"),
        ...complete("DELETE 4"),
        ...ready(),
      ]),
    );
    assert.equal((await a).rowcount, 1);
    const error = await b.then(() => null, (e) => e);
    assert.ok(error instanceof PostgresError);
    assert.equal(error.position, 1);
    assert.ok(translatePostgresError(error) instanceof ProgrammingError);
    assert.equal((await c).rowcount, 4);
  });

  it("a FATAL error then the close fails waiting statements with ConnectionLost", async () => {
    const { protocol } = await readyConnection();
    const a = protocol.execute("SELECT pg_sleep(10)");
    protocol.dataReceived(
      errorResponse({
        S: "FATAL",
        V: "FATAL",
        C: "57P01",
        M: "terminating connection due to administrator command",
      }),
    );
    protocol.connectionLost(new Failure(new ConnectionDone()));
    const error = await a.then(() => null, (e) => e);
    assert.ok(error instanceof ConnectionLost);
    assert.equal((error.cause as PostgresError).code, "57P01");
    await assert.rejects(protocol.execute("SELECT 1"), ConnectionLost);
  });

  it("close() sends Terminate and fails what is still waiting", async () => {
    const { protocol, transport } = await readyConnection();
    const a = protocol.execute("SELECT 1");
    transport.clear();
    const closing = protocol.close();
    assert.deepEqual(frontendMessages(transport.value(), false), [["X", new Uint8Array(0)]]);
    await assert.rejects(a, ConnectionLost);
    protocol.connectionLost(new Failure(new ConnectionDone()));
    await closing;
  });

  it("parameters it cannot send reject before anything is written", async () => {
    const { protocol, transport } = await readyConnection();
    await assert.rejects(protocol.execute("SELECT $1", [Symbol("x")]), ProgrammingError);
    await assert.rejects(protocol.execute("SELECT $1", [new Date(NaN)]), ProgrammingError);
    assert.equal(transport.value().length, 0);
  });

  it("COPY TO STDOUT data is dropped; COPY FROM STDIN is refused and ends the connection", async () => {
    const { protocol, transport } = await readyConnection();
    const out = protocol.execute("COPY (SELECT 1) TO STDOUT");
    protocol.dataReceived(
      new Uint8Array([
        ...msg("1"),
        ...msg("2"),
        ...msg("n"),
        ...msg("H", [0], i16(1), i16(0)),
        ...msg("d", "1\n"),
        ...msg("c"),
        ...complete("COPY 1"),
        ...ready(),
      ]),
    );
    assert.deepEqual(await out, { columns: [], rows: [], rowcount: 1, lastrowid: null });
    const into = protocol.execute("COPY t FROM STDIN");
    const after = protocol.execute("SELECT 1");
    transport.clear();
    protocol.dataReceived(new Uint8Array([...msg("1"), ...msg("2"), ...msg("G", [0], i16(0))]));
    await assert.rejects(into, NotSupportedError);
    await assert.rejects(after, ConnectionLost);
    assert.equal(frontendMessages(transport.value(), false)[0][0], "f");
    assert.ok(transport.aborted);
  });

  it("notices go to the logger and answers nobody asked for close the connection", async () => {
    const { protocol, transport } = await readyConnection();
    const events: LogEvent[] = [];
    const observer = (event: LogEvent): void => void events.push(event);
    globalLogPublisher.addObserver(observer);
    try {
      protocol.dataReceived(msg("N", cstr("SNOTICE"), cstr("Mhello"), [0]));
    } finally {
      globalLogPublisher.removeObserver(observer);
    }
    assert.ok(events.some((e) => e.message === "hello" && e.severity === "NOTICE"));
    assert.ok(!transport.aborted);
    protocol.dataReceived(complete("SELECT 1"));
    assert.ok(transport.aborted);
  });
});

const answered = (tag = "SELECT 0"): Uint8Array =>
  new Uint8Array([...msg("1"), ...msg("2"), ...msg("n"), ...complete(tag), ...ready()]);
const types = (t: StringTransport): string[] =>
  frontendMessages(t.value(), false).map(([type, body]) =>
    type === "P" || type === "B" || type === "C"
      ? `${type}:${td.decode(body).split("\0")[type === "B" ? 1 : type === "C" ? 0 : 0]}`
      : type
  );

describe("PostgreSQL statement cache", () => {
  it("prepares a statement once under a name and binds it the next time", async () => {
    const { protocol, transport } = await readyConnection();
    const first = protocol.execute("SELECT 1");
    assert.deepEqual(types(transport), ["P:tw_1", "B:tw_1", "D", "E", "S"]);
    // Pipelined before the first ParseComplete: the unnamed statement.
    transport.clear();
    const second = protocol.execute("SELECT 1");
    assert.deepEqual(types(transport), ["P:", "B:", "D", "E", "S"]);
    protocol.dataReceived(new Uint8Array([...answered(), ...answered()]));
    await first;
    await second;
    transport.clear();
    const third = protocol.execute("SELECT 1");
    assert.deepEqual(types(transport), ["B:tw_1", "D", "E", "S"]);
    protocol.dataReceived(
      new Uint8Array([...msg("2"), ...msg("n"), ...complete("SELECT 0"), ...ready()]),
    );
    await third;
  });

  it("forgets a statement whose Parse failed", async () => {
    const { protocol, transport } = await readyConnection();
    const bad = protocol.execute("SELEC 1");
    protocol.dataReceived(
      new Uint8Array([...errorResponse({ S: "ERROR", C: "42601", M: "syntax" }), ...ready()]),
    );
    await assert.rejects(bad, PostgresError);
    transport.clear();
    const again = protocol.execute("SELEC 1");
    assert.deepEqual(types(transport), ["P:tw_2", "B:tw_2", "D", "E", "S"]);
    protocol.dataReceived(
      new Uint8Array([...errorResponse({ S: "ERROR", C: "42601", M: "syntax" }), ...ready()]),
    );
    await assert.rejects(again, PostgresError);
  });

  it("keeps at most statementCacheSize statements, closing the least recently used", async () => {
    const protocol = new PostgresProtocol({ ...base, statementCacheSize: 1 });
    const transport = new StringTransport();
    protocol.makeConnection(transport);
    protocol.dataReceived(new Uint8Array([...authOk(), ...ready()]));
    await protocol.ready;
    const a = protocol.execute("SELECT 'a'");
    protocol.dataReceived(answered());
    await a;
    transport.clear();
    const b = protocol.execute("SELECT 'b'");
    assert.deepEqual(types(transport), ["C:Stw_1", "P:tw_2", "B:tw_2", "D", "E", "S"]);
    protocol.dataReceived(new Uint8Array([...msg("3"), ...answered()]));
    await b;
  });

  it("a kept statement the server lost is forgotten and run once more, prepared afresh", async () => {
    const { protocol, transport } = await readyConnection();
    const a = protocol.execute("SELECT $1::int4", [1]);
    protocol.dataReceived(answered());
    await a;
    transport.clear();
    const b = protocol.execute("SELECT $1::int4", [2]);
    protocol.dataReceived(
      new Uint8Array([
        ...errorResponse({ S: "ERROR", C: "26000", M: 'prepared statement "tw_1" does not exist' }),
        ...ready(),
      ]),
    );
    assert.deepEqual(types(transport), [
      "B:tw_1",
      "D",
      "E",
      "S",
      "C:Stw_1",
      "P:tw_2",
      "B:tw_2",
      "D",
      "E",
      "S",
    ]);
    protocol.dataReceived(
      new Uint8Array([
        ...msg("3"),
        ...msg("1"),
        ...msg("2"),
        ...rowDescription([["int4", 23]]),
        ...dataRow(["2"]),
        ...complete("SELECT 1"),
        ...ready(),
      ]),
    );
    assert.deepEqual((await b).rows, [[2]]);
  });

  it("inside a transaction a stale statement fails rather than run again", async () => {
    const { protocol } = await readyConnection();
    const a = protocol.execute("SELECT 1");
    protocol.dataReceived(answered());
    await a;
    const b = protocol.execute("SELECT 1");
    protocol.dataReceived(
      new Uint8Array([
        ...errorResponse({ S: "ERROR", C: "0A000", M: "cached plan must not change result type" }),
        ...ready("E"),
      ]),
    );
    const error = await b.then(() => null, (e) => e);
    assert.equal(error?.code, "0A000");
  });
});

describe("PostgreSQL limits and bad input", () => {
  it("a message over maxMessageSize aborts the connection before its body is buffered", async () => {
    const { protocol, transport } = await readyConnection();
    const a = protocol.execute("SELECT 1");
    protocol.dataReceived(Uint8Array.of(68, ...i32(base.maxMessageSize + 100)));
    assert.ok(transport.aborted);
    const error = await a.then(() => null, (e) => e);
    assert.ok(error instanceof ConnectionLost);
    assert.ok(error.cause instanceof PostgresProtocolError);
    assert.ok(translatePostgresError(new PostgresProtocolError("x")) instanceof InterfaceError);
  });

  it("a message arriving in many pieces is joined once whole; an oversize length is refused even split", () => {
    const reader = new MessageReader(1 << 20);
    const row = dataRow(["x".repeat(200_000)]);
    const out = [];
    for (let i = 0; i < row.length; i += 1000) {
      out.push(...reader.feed(row.subarray(i, i + 1000)));
      if (i + 1000 < row.length) assert.equal(reader.buffered, Math.min(i + 1000, row.length));
    }
    assert.equal(out.length, 1);
    assert.equal(reader.buffered, 0);
    const big = new MessageReader(100);
    assert.deepEqual(big.feed(Uint8Array.of(68, 0)), []);
    assert.throws(() => big.feed(Uint8Array.of(0, 1, 0)), PostgresProtocolError);
  });

  it("rows beyond maxResultSize abort the connection", async () => {
    const { protocol, transport } = connected({ maxResultSize: 1000 });
    protocol.dataReceived(new Uint8Array([...authOk(), ...ready()]));
    await protocol.ready;
    const a = protocol.execute("SELECT repeat('x', 100) FROM generate_series(1, 100)");
    protocol.dataReceived(rowDescription([["x", 25]]));
    for (let i = 0; i < 20 && !transport.aborted; i++) {
      protocol.dataReceived(dataRow(["x".repeat(100)]));
    }
    assert.ok(transport.aborted);
    await assert.rejects(a, ConnectionLost);
  });

  it("malformed messages are protocol errors, not crashes", () => {
    assert.throws(
      () => decodeBackend("T".charCodeAt(0), Uint8Array.of(0, 1, 65)),
      PostgresProtocolError,
    );
    assert.throws(
      () => decodeBackend("D".charCodeAt(0), Uint8Array.of(0, 1, 0, 0, 0, 9, 1)),
      PostgresProtocolError,
    );
    assert.throws(
      () => decodeBackend("D".charCodeAt(0), Uint8Array.of(0, 1, 255, 255, 255, 0)),
      PostgresProtocolError,
    );
    assert.throws(() => decodeBackend("?".charCodeAt(0), new Uint8Array(0)), PostgresProtocolError);
    assert.throws(
      () => new MessageReader(100).feed(Uint8Array.of(90, 0, 0, 0, 2)),
      PostgresProtocolError,
    );
  });

  it("fuzz: any server bytes, in any chunks, end in results, server errors or ConnectionLost, never a crash", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }),
            fc.constantFrom(
              ready(),
              complete("SELECT 1"),
              msg("1"),
              msg("2"),
              rowDescription([["a", 23]]),
              dataRow(["1"]),
              dataRow([null, "x"]),
              errorResponse({ S: "ERROR", C: "23505", M: "x" }),
              msg("N", [0]),
              msg("A", i32(1), cstr("c"), cstr("p")),
              msg("S", cstr("a"), cstr("b")),
            ),
          ),
          { maxLength: 30 },
        ),
        async (chunks) => {
          const { protocol, transport } = await readyConnection();
          const results = [protocol.execute("SELECT 1"), protocol.execute("SELECT $1", [2])]
            .map((p) => p.then(() => "ok", (e) => e));
          for (const chunk of chunks) protocol.dataReceived(chunk);
          if (!transport.aborted) protocol.connectionLost(new Failure(new ConnectionDone()));
          for (const r of await Promise.all(results)) {
            assert.ok(
              r === "ok" || r instanceof PostgresError || r instanceof ConnectionLost,
              String(r),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("fuzz: a valid answer split at any points gives the same rows", async () => {
    const answer = new Uint8Array([
      ...msg("1"),
      ...msg("2"),
      ...rowDescription([["a", 23], ["b", 25]]),
      ...dataRow(["1", "x"]),
      ...dataRow(["2", null]),
      ...complete("SELECT 2"),
      ...ready(),
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: answer.length }), { maxLength: 12 }),
        async (cuts) => {
          const { protocol } = await readyConnection();
          const result = protocol.execute("SELECT a, b FROM t");
          const points = [0, ...cuts.sort((x, y) => x - y), answer.length];
          for (let i = 1; i < points.length; i++) {
            protocol.dataReceived(
              answer.slice(points[i - 1], points[i]),
            );
          }
          assert.deepEqual((await result).rows, [[1, "x"], [2, null]]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("PostgreSQL values", () => {
  it("int8 arrives as bigint or as text, numeric as text", () => {
    assert.equal(
      decodeValue(te.encode("-9223372036854775808"), OID.int8, "bigint"),
      -9223372036854775808n,
    );
    assert.equal(decodeValue(te.encode("12"), OID.int8, "string"), "12");
    assert.equal(
      decodeValue(te.encode("0.1000000000000000000001"), OID.numeric, "bigint"),
      "0.1000000000000000000001",
    );
    assert.ok(Number.isNaN(decodeValue(te.encode("NaN"), OID.float8, "bigint") as number));
    assert.equal(decodeValue(te.encode("-Infinity"), OID.float4, "bigint"), -Infinity);
  });

  it("timestamps become Dates (UTC without an offset); infinity stays text", () => {
    assert.deepEqual(
      decodeValue(te.encode("2024-01-02 03:04:05"), OID.timestamp, "bigint"),
      new Date("2024-01-02T03:04:05Z"),
    );
    assert.deepEqual(
      decodeValue(te.encode("2024-01-02 03:04:05.5-05:30"), OID.timestamptz, "bigint"),
      new Date("2024-01-02T08:34:05.500Z"),
    );
    assert.equal(decodeValue(te.encode("infinity"), OID.timestamptz, "bigint"), "infinity");
  });

  it("bytes go out as hex and come back in hex or escape format", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const text = encodeParam(bytes, 0)!;
      assert.deepEqual(decodeValue(te.encode(text), OID.bytea, "bigint"), bytes);
    }));
    assert.deepEqual(
      decodeValue(te.encode("a\\\\b\\001"), OID.bytea, "bigint"),
      Uint8Array.of(97, 92, 98, 1),
    );
  });

  it("parameters: booleans as t/f, Dates as ISO, objects as JSON, null and undefined as NULL", () => {
    assert.equal(encodeParam(true, 0), "t");
    assert.equal(encodeParam(12n, 0), "12");
    assert.equal(encodeParam(new Date(0), 0), "1970-01-01T00:00:00.000Z");
    assert.equal(encodeParam({ a: [1] }, 0), '{"a":[1]}');
    assert.equal(encodeParam(undefined, 0), null);
  });
});

describe("PostgreSQL errors and settings", () => {
  it("SQLSTATE classes map onto DB-API's errors with the server's error as cause", () => {
    const cases: [string, new (...a: never[]) => Error][] = [
      ["23505", IntegrityError],
      ["42P01", ProgrammingError],
      ["22012", DataError],
      ["0A000", NotSupportedError],
      ["XX000", InternalError],
      ["08006", OperationalError],
      ["57P01", OperationalError],
      ["40001", OperationalError],
      ["P0001", DatabaseError],
    ];
    for (const [code, type] of cases) {
      const cause = new PostgresError({ C: code, M: "m" });
      const error = translatePostgresError(cause)!;
      assert.equal(error.constructor, type, code);
      assert.equal(error.cause, cause);
    }
    assert.equal(translatePostgresError(new Error("other")), undefined);
  });

  it("the driver checks its settings: URL, sslmode, port, int8As", () => {
    assert.throws(() => postgresDriver(reactor, { url: "mysql://x" }), TypeError);
    assert.throws(
      () => postgresDriver(reactor, { url: "postgres://h/db?sslmode=require" }),
      /no TLS/,
    );
    assert.throws(() => postgresDriver(reactor, { port: 70000 }), RangeError);
    assert.throws(() => postgresDriver(reactor, { int8As: "number" as never }), TypeError);
    assert.equal(postgresDriver(reactor, { url: "postgres://u:p@h:1/db" }).name, "postgres");
  });

  it("a server that never finishes the startup is an OperationalError after connectTimeout", async () => {
    // A server that accepts and says nothing; it sees the client give up.
    const gone = new Deferred<void>();
    class Silent extends Protocol {
      override connectionLost(): void {
        gone.callback(undefined);
      }
    }
    const port = reactor.listenTCP(0, Factory.forProtocol(Silent), { interface: "127.0.0.1" });
    await port.whenListening!();
    const pool = new ConnectionPool("postgres", {
      host: "127.0.0.1",
      port: (port.getHost() as IPv4Address).port,
      password: "x",
      reactor,
      min: 0,
      max: 1,
      connectTimeout: 0.2,
    });
    try {
      await assert.rejects(
        Promise.resolve(pool.runQuery("SELECT 1")),
        /did not finish the startup/,
      );
    } finally {
      await pool.close();
      await port.stopListening();
    }
    await gone;
  });

  it("a refused connection is an OperationalError from the pool", async () => {
    const pool = new ConnectionPool("postgres", {
      host: "127.0.0.1",
      port: 1,
      reactor,
      min: 0,
      max: 1,
      connectTimeout: 5,
    });
    await assert.rejects(Promise.resolve(pool.runQuery("SELECT 1")), OperationalError);
    await pool.close();
  });
});
