// Banana, PB's wire format: bytes match Twisted's (recorded from
// twisted.spread.banana 22.4), limits hold both ways, bad input closes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Banana,
  BananaError,
  type BananaValue,
  decode,
  encode,
  MAX_DEPTH,
  PB_VOCABULARY,
  SIZE_LIMIT,
} from "../../src/spread/banana.ts";
import { flushLoggedErrors, StringTransport } from "../../src/testing/mod.ts";

const hex = (h: string): Uint8Array =>
  new Uint8Array(h.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
const toHex = (b: Uint8Array): string =>
  [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const te = new TextEncoder();

// [value, Twisted's encoding]
const RECORDED: [BananaValue, string][] = [
  [0, "0081"],
  [1, "0181"],
  [127, "7f81"],
  [128, "000181"],
  [-1, "0183"],
  [2 ** 31 - 1, "7f7f7f7f0781"],
  [2 ** 31, "000000000885"],
  [-(2 ** 31), "000000000883"],
  [-(2 ** 31) - 1, "010000000886"],
  [2n ** 63n, "0000000000000000000185"],
  [-(2n ** 100n), "00000000000000000000000000000486"],
  [1.5, "843ff8000000000000"],
  [te.encode(""), "0082"],
  [te.encode("hello"), "058268656c6c6f"],
  [[], "0080"],
  [[1, [te.encode("x"), []]], "0280018102800182780080"],
  [2n ** 448n - 1n, "7f".repeat(64) + "85"],
];

describe("banana encode and decode", () => {
  it("encode() gives Twisted's bytes", () => {
    for (const [value, wire] of RECORDED) assert.equal(toHex(encode(value)), wire, String(value));
  });

  it("decode() reads Twisted's bytes", () => {
    for (const [value, wire] of RECORDED) {
      const expected = typeof value === "bigint" && value <= BigInt(Number.MAX_SAFE_INTEGER) &&
          value >= -BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value;
      assert.deepEqual(decode(hex(wire)), expected);
    }
  });

  it("encode() sends strings as UTF-8 and unsafe numbers as floats", () => {
    assert.equal(toHex(encode("é")), "02" + "82" + "c3a9");
    assert.equal(encode(2 ** 60)[0], 0x84);
    assert.equal(encode(-0)[0], 0x84);
    assert.ok(Number.isNaN(decode(encode(NaN))));
  });

  it("encode() refuses what Banana cannot carry or past a limit", () => {
    assert.throws(() => encode(null as never), BananaError);
    assert.throws(() => encode({} as never), BananaError);
    assert.throws(() => encode(2n ** 448n), BananaError);
    assert.throws(() => encode(new Uint8Array(SIZE_LIMIT + 1)), BananaError);
    assert.throws(() => encode(new Array(SIZE_LIMIT + 1).fill(0)), BananaError);
    let deep: BananaValue = [];
    for (let i = 0; i < MAX_DEPTH + 1; i++) deep = [deep];
    assert.throws(() => encode(deep), BananaError);
    // 26 strings of 640 KiB: over 16 MiB in one expression
    const big = new Uint8Array(SIZE_LIMIT);
    assert.throws(() => encode(new Array(26).fill(big)), /expression/);
  });

  it("decode() rejects bad prefixes, type bytes, sizes and nesting", () => {
    assert.throws(() => decode(new Uint8Array(65).fill(1)), /prefix/);
    assert.throws(() => decode(hex("01".repeat(65) + "81")), /prefix/);
    assert.throws(() => decode(hex("0188")), /type byte/);
    assert.throws(() => decode(hex("0187")), /Vocabulary/);
    assert.throws(() => decode(hex("00002982")), /string too long/);
    assert.throws(() => decode(hex("00002980")), /list too long/);
    assert.throws(() => decode(hex("0180".repeat(MAX_DEPTH + 1))), /nested/);
    assert.throws(() => decode(hex("0582")), /Incomplete/);
    assert.equal((decode(hex("0180".repeat(MAX_DEPTH - 1) + "0080")) as BananaValue[]).length, 1);
  });

  it("encode() and decode() round-trip any value", () => {
    const normal = (v: BananaValue): unknown => {
      if (typeof v === "string") return te.encode(v);
      if (
        typeof v === "bigint" && v >= -BigInt(Number.MAX_SAFE_INTEGER) &&
        v <= BigInt(Number.MAX_SAFE_INTEGER)
      ) {
        return Number(v);
      }
      if (Array.isArray(v)) return v.map(normal);
      return v;
    };
    const value = fc.letrec((tie) => ({
      item: fc.oneof(
        { depthSize: "small" },
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        fc.maxSafeInteger(),
        fc.bigInt({ min: -(2n ** 448n) + 1n, max: 2n ** 448n - 1n }),
        fc.double({ noDefaultInfinity: false }),
        fc.string(),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(tie("item"), { maxLength: 5 }),
      ),
    })).item as fc.Arbitrary<BananaValue>;
    fc.assert(
      fc.property(value, (v) => {
        const back = decode(encode(v));
        if (typeof v === "number" && Number.isNaN(v)) return Number.isNaN(back as number);
        assert.deepEqual(back, normal(v));
      }),
      { numRuns: 500 },
    );
  });
});

class Recorder extends Banana {
  got: BananaValue[] = [];
  ready = 0;
  override connectionReady(): void {
    this.ready++;
  }
  override expressionReceived(value: BananaValue): void {
    this.got.push(value);
  }
}

function pair(): { server: Recorder; client: Recorder; st: StringTransport; ct: StringTransport } {
  const server = new Recorder({ isClient: false });
  const client = new Recorder();
  const st = new StringTransport();
  const ct = new StringTransport();
  server.makeConnection(st);
  client.makeConnection(ct);
  client.dataReceived(st.value());
  st.clear();
  server.dataReceived(ct.value());
  ct.clear();
  return { server, client, st, ct };
}

describe("Banana", () => {
  it("negotiates the pb dialect as Twisted does", () => {
    const server = new Recorder({ isClient: false });
    const st = new StringTransport();
    server.makeConnection(st);
    assert.equal(toHex(st.value()), toHex(encode(["pb", "none"])));
    const { server: s, client } = pair();
    assert.equal(s.currentDialect, "pb");
    assert.equal(client.currentDialect, "pb");
    assert.equal(s.ready + client.ready, 2);
  });

  it("sends pb vocabulary as numbers in the pb dialect", () => {
    const { client, ct, server } = pair();
    client.sendEncoded(["decref", "list", "nope"]);
    assert.equal(toHex(ct.value()), "03801d87088704826e6f7065");
    server.dataReceived(ct.value());
    assert.deepEqual(server.got, [[te.encode("decref"), te.encode("list"), te.encode("nope")]]);
    assert.equal(PB_VOCABULARY.size, 31);
  });

  it("delivers expressions split into single bytes", () => {
    const { client, ct, server } = pair();
    client.sendEncoded([1, 2.5, "three", [-(4n ** 40n)], "message"]);
    for (const b of ct.value()) server.dataReceived(new Uint8Array([b]));
    assert.deepEqual(server.got, [[
      1,
      2.5,
      te.encode("three"),
      [-(4n ** 40n)],
      te.encode("message"),
    ]]);
  });

  it("closes the connection on bad input", () => {
    for (const bad of ["0188", "00002982", "2087", "01".repeat(70)]) {
      const { server, st } = pair();
      server.dataReceived(hex(bad));
      assert.equal(st.disconnecting, true, bad);
      assert.deepEqual(server.got, []);
    }
    flushLoggedErrors(BananaError);
  });

  it("takes a long string a byte at a time in linear time", () => {
    const { client, ct, server } = pair();
    client.sendEncoded(new Uint8Array(SIZE_LIMIT).fill(7));
    const bytes = ct.value();
    const started = Date.now();
    for (let i = 0; i < bytes.length; i++) server.dataReceived(bytes.subarray(i, i + 1));
    assert.ok(Date.now() - started < 5000);
    assert.equal((server.got[0] as Uint8Array).length, SIZE_LIMIT);
  });

  it("closes on an expression over 16 MiB, before it arrives whole", () => {
    const { server, st } = pair();
    const one = encode(new Uint8Array(SIZE_LIMIT));
    server.dataReceived(hex("1a80")); // a list of 26 items
    for (let i = 0; i < 26 && !st.disconnecting; i++) server.dataReceived(one);
    assert.equal(st.disconnecting, true);
    assert.deepEqual(server.got, []);
    flushLoggedErrors(BananaError);
  });

  it("closes when the client picks an unknown dialect", () => {
    const server = new Recorder({ isClient: false });
    const st = new StringTransport();
    server.makeConnection(st);
    server.dataReceived(encode("klingon"));
    assert.equal(st.disconnecting, true);
    const client = new Recorder();
    const ct = new StringTransport();
    client.makeConnection(ct);
    client.dataReceived(encode(["klingon"]));
    assert.equal(ct.disconnecting, true);
  });

  it("sendEncoded() throws and writes nothing past a limit", () => {
    const { client, ct } = pair();
    assert.throws(() => client.sendEncoded([1, new Uint8Array(SIZE_LIMIT + 1)]), BananaError);
    assert.equal(ct.value().length, 0);
  });

  it("any bytes end in expressions or a close, never a throw", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const { server, st } = pair();
        for (const c of chunks) server.dataReceived(c);
        assert.ok(st.disconnecting || server.got.length >= 0);
      }),
      { numRuns: 500 },
    );
    flushLoggedErrors(BananaError);
  });
});
