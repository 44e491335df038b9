// AMP's wire codec and argument types, against bytes recorded from Twisted
// (tests/fixtures/amp/twisted_boxes.json, made by make_twisted_boxes.py there).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as amp from "../../src/protocols/amp.ts";
import { BoxReader } from "../../src/protocols/amp/_box.ts";
import {
  formatPythonFloat,
  isPythonDecimal,
  parsePythonFloat,
  parsePythonInt,
} from "../../src/protocols/amp/_values.ts";

interface Recorded {
  values: {
    type: string;
    value: string;
    wire: string;
    utc_ms?: number;
    microsecond?: number;
    offset?: number;
  }[];
  floats: [string, string][];
  boxes: Record<string, string>;
}
const fixture: Recorded = JSON.parse(
  readFileSync(new URL("../fixtures/amp/twisted_boxes.json", import.meta.url), "utf8"),
);

const te = new TextEncoder();
const td = new TextDecoder();
const hex = (h: string): Uint8Array =>
  new Uint8Array(h.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
const toHex = (b: Uint8Array): string =>
  [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const text = (b: Uint8Array): string => td.decode(b);

function valuesOf(type: string) {
  const found = fixture.values.filter((v) => v.type === type);
  assert.ok(found.length > 0, `no recorded values of ${type}`);
  return found;
}

describe("AmpBox", () => {
  it("serializes keys in byte order, each with a 16-bit length, then an empty key", () => {
    const box = new amp.AmpBox({ b: "2", a: "1", _ask: "1" });
    assert.equal(
      toHex(box.serialize()),
      "0004" + toHex(te.encode("_ask")) + "0001" + "31" + "0001" + "61" + "0001" + "31" +
        "0001" + "62" + "0001" + "32" + "0000",
    );
  });

  it("orders non-ASCII keys by their UTF-8 bytes", () => {
    const box = new amp.AmpBox([["\u00e9", "1"], ["\uffff", "2"], ["\u{1f600}", "3"], ["z", "4"]]);
    const keys = amp.parseString(box.serialize()).flatMap((b) => [...b.keys()]);
    assert.deepEqual(keys, ["z", "\u00e9", "\uffff", "\u{1f600}"]);
  });

  it("takes text as UTF-8 and keeps bytes as they are", () => {
    const box = new amp.AmpBox({ t: "\u00e9", b: new Uint8Array([0, 255]) });
    assert.deepEqual([...box.get("t")!], [0xc3, 0xa9]);
    assert.deepEqual([...box.get("b")!], [0, 255]);
    assert.equal(box.getText("t"), "\u00e9");
    assert.equal(box.getText("missing"), undefined);
    assert.ok(box.copy() instanceof amp.AmpBox);
    assert.ok(new amp.QuitBox({ a: "1" }).copy() instanceof amp.QuitBox);
    assert.equal(amp.Box, amp.AmpBox);
  });

  it("refuses keys over 255 bytes, values over 65535, empty keys and non-bytes", () => {
    assert.throws(
      () => new amp.AmpBox({ ["k".repeat(256)]: "v" }).serialize(),
      (e) =>
        e instanceof amp.TooLong && e.isKey && e.isLocal && e.length === 256 &&
        e.message === `local key '${"k".repeat(24)}...' too long: 256 bytes (the maximum is 255)`,
    );
    assert.doesNotThrow(() => new amp.AmpBox({ ["k".repeat(255)]: "v" }).serialize());
    assert.throws(
      () => new amp.AmpBox({ data: new Uint8Array(65536) }).serialize(),
      (e) =>
        e instanceof amp.TooLong && !e.isKey && e.keyName === "data" &&
        e.message === "local value 'data' too long: 65536 bytes (the maximum is 65535)",
    );
    assert.equal(
      new amp.AmpBox({ data: new Uint8Array(65535) }).serialize().length,
      2 + 4 + 4 + 65535,
    );
    assert.throws(() => new amp.AmpBox({ "": "v" }).serialize(), amp.MalformedAmpBox);
    const bad = new amp.AmpBox();
    bad.set("x", "text" as unknown as Uint8Array);
    assert.throws(() => bad.serialize(), TypeError);
  });

  it("writes the same command boxes as Twisted's client", () => {
    const divide = amp.parseString(hex(fixture.boxes["Divide(7, 2)"]));
    assert.equal(divide.length, 1);
    assert.equal(toHex(divide[0].serialize()), fixture.boxes["Divide(7, 2)"]);
    const everything = hex(fixture.boxes["Everything"]);
    assert.equal(toHex(amp.parseString(everything)[0].serialize()), fixture.boxes["Everything"]);
  });
});

describe("parseString and BoxReader", () => {
  const stream = (() => {
    const parts = [
      new amp.AmpBox({ _command: "Sum", _ask: "1", a: "13", b: "81" }),
      new amp.AmpBox({ _answer: "1", total: "94", empty: "" }),
      new amp.AmpBox({ big: new Uint8Array(1000).fill(7) }),
    ].map((b) => b.serialize());
    return { bytes: new Uint8Array(parts.flatMap((p) => [...p])), count: parts.length };
  })();

  it("reads boxes wherever the chunks break, down to one byte at a time", () => {
    const whole = amp.parseString(stream.bytes);
    assert.equal(whole.length, stream.count);
    for (let split = 0; split <= stream.bytes.length; split++) {
      const boxes: amp.AmpBox[] = [];
      const reader = new BoxReader();
      reader.feed(stream.bytes.subarray(0, split), (b) => boxes.push(b));
      reader.feed(stream.bytes.subarray(split), (b) => boxes.push(b));
      assert.equal(boxes.length, stream.count, `split at ${split}`);
      assert.deepEqual(boxes, whole);
    }
    const boxes: amp.AmpBox[] = [];
    const reader = new BoxReader();
    for (const b of stream.bytes) reader.feed(new Uint8Array([b]), (x) => boxes.push(x));
    assert.deepEqual(boxes, whole);
    assert.ok(reader.idle);
  });

  it("reads a 65535-byte value fed one byte at a time in linear time", () => {
    const bytes = new amp.AmpBox({ v: new Uint8Array(65535).fill(1) }).serialize();
    const reader = new BoxReader();
    let got: amp.AmpBox | null = null;
    const started = performance.now();
    for (let i = 0; i < bytes.length; i++) reader.feed(bytes.subarray(i, i + 1), (b) => got = b);
    assert.equal(got!.get("v")!.length, 65535);
    assert.ok(performance.now() - started < 5000);
  });

  it("refuses truncated input and keys over 255 bytes", () => {
    assert.throws(() => amp.parseString(stream.bytes.subarray(0, 5)), amp.MalformedAmpBox);
    assert.throws(() => amp.parseString(new Uint8Array([0])), amp.MalformedAmpBox);
    assert.throws(
      () => amp.parseString(new Uint8Array([1, 0, 0])),
      (e) => e instanceof amp.TooLong && e.isKey && !e.isLocal && e.length === 256,
    );
    assert.deepEqual(amp.parseString(new Uint8Array(0)), []);
    assert.deepEqual(amp.parseString(new Uint8Array([0, 0])), [new amp.AmpBox()]);
  });

  it("refuses a box over maxBoxSize as soon as a length says so", () => {
    const reader = new BoxReader(100);
    assert.throws(
      () => reader.feed(new Uint8Array([0, 1, 0x61, 0, 200]), () => {}),
      (e) => e instanceof amp.TooLong && e.message.includes("box too long"),
    );
    const ok = new BoxReader(12);
    let n = 0;
    ok.feed(new amp.AmpBox({ key: "value" }).serialize(), () => n++);
    assert.equal(n, 1);
  });

  it("hands over the bytes after the box being delivered", () => {
    const reader = new BoxReader();
    const box = new amp.AmpBox({ a: "1" }).serialize();
    const data = new Uint8Array([...box, 1, 2, 3]);
    let rest: Uint8Array | null = null;
    reader.feed(data, () => rest = reader.takeRest());
    assert.deepEqual([...rest!], [1, 2, 3]);
    reader.feed(new Uint8Array([0, 5, 0x61]), () => {});
    assert.deepEqual([...reader.takeRest()], [0, 5, 0x61]);
  });
});

describe("argument types against Twisted's wire forms", () => {
  it("Integer: numbers, and bigints of any size", () => {
    const int = new amp.Integer();
    const big = new amp.Integer({ bigint: true });
    for (const v of valuesOf("Integer")) {
      const n = BigInt(v.value);
      assert.equal(toHex(big.toString(n)), v.wire);
      assert.equal(big.fromString(hex(v.wire)), n);
      if (n <= 9007199254740991n && n >= -9007199254740991n) {
        assert.equal(toHex(int.toString(Number(n))), v.wire);
        assert.equal(int.fromString(hex(v.wire)), Number(n));
      } else {
        assert.throws(() => int.fromString(hex(v.wire)), RangeError);
      }
    }
    assert.throws(() => int.toString(2 ** 53), RangeError);
    assert.throws(() => int.toString(1.5), TypeError);
    assert.throws(() => int.fromString(te.encode("1.5")), SyntaxError);
    assert.throws(() => int.fromString(te.encode("")), SyntaxError);
    assert.equal(int.fromString(te.encode(" +1_000 ")), 1000);
    assert.equal(int.fromString(te.encode("007")), 7);
    assert.ok(Object.is(int.fromString(te.encode("-0")), 0));
    assert.equal(parsePythonInt("-0012"), -12n);
  });

  it("Float: Python's repr, inf, -inf and nan", () => {
    const f = new amp.Float();
    for (const v of valuesOf("Float")) {
      const x = parsePythonFloat(v.value);
      assert.equal(text(f.toString(x)), v.value, `write ${v.value}`);
      assert.ok(Object.is(f.fromString(hex(v.wire)), x), `read ${v.value}`);
    }
    assert.equal(f.fromString(te.encode("-Infinity")), -Infinity);
    assert.equal(f.fromString(te.encode(" 1_0.5e1 ")), 105);
    assert.ok(Number.isNaN(f.fromString(te.encode("NaN"))));
    assert.equal(f.fromString(te.encode("1")), 1);
    assert.equal(f.fromString(te.encode(".5")), 0.5);
    assert.equal(f.fromString(te.encode("5.")), 5);
    for (const bad of ["", "0x10", "1e", "e5", "inf inity", "1__0", "--1"]) {
      assert.throws(() => f.fromString(te.encode(bad)), SyntaxError, bad);
    }
    assert.throws(() => f.toString("1" as unknown as number), TypeError);
  });

  it("Float: repr of thousands of doubles matches Python's", () => {
    const view = new DataView(new ArrayBuffer(8));
    let checked = 0;
    for (const [bits, repr] of fixture.floats) {
      for (let i = 0; i < 8; i++) view.setUint8(i, parseInt(bits.slice(i * 2, i * 2 + 2), 16));
      const x = view.getFloat64(0);
      assert.equal(formatPythonFloat(x), repr, `bits ${bits}`);
      const back = parsePythonFloat(repr);
      assert.ok(Object.is(back, x) || (Number.isNaN(back) && Number.isNaN(x)), repr);
      checked++;
    }
    assert.ok(checked >= 1000);
  });

  it("Decimal: the exact text, validated as decimal.Decimal would", () => {
    const d = new amp.Decimal();
    for (const v of valuesOf("Decimal")) {
      assert.equal(toHex(d.toString(v.value)), v.wire);
      assert.equal(d.fromString(hex(v.wire)), v.value);
    }
    for (const good of ["1.10", "-Infinity", "inf", "sNaN123", ".5", "5.", "1_000", "-1e-7"]) {
      assert.ok(isPythonDecimal(good), good);
    }
    for (const bad of ["", "1.2.3", "abc", "1e", "0x1", "Infinityy", "NaN.5"]) {
      assert.throws(() => d.toString(bad), SyntaxError, bad);
      assert.throws(() => d.fromString(te.encode(bad)), SyntaxError, bad);
    }
  });

  it("Boolean, Unicode and String", () => {
    const b = new amp.Boolean();
    for (const v of valuesOf("Boolean")) {
      assert.equal(text(b.toString(v.value === "True")), v.value);
      assert.equal(b.fromString(hex(v.wire)), v.value === "True");
    }
    assert.throws(() => b.fromString(te.encode("true")), TypeError);
    const u = new amp.Unicode();
    for (const v of valuesOf("Unicode")) {
      assert.equal(toHex(u.toString(v.value)), v.wire);
      assert.equal(u.fromString(hex(v.wire)), v.value);
    }
    assert.throws(() => u.fromString(new Uint8Array([0xff])), TypeError);
    assert.throws(() => u.toString("\ud800"), TypeError);
    assert.throws(() => u.toString(5 as unknown as string), TypeError);
    const s = new amp.String();
    for (const v of valuesOf("String")) {
      assert.equal(toHex(s.toString(hex(v.value))), v.wire);
      assert.deepEqual(s.fromString(hex(v.wire)), hex(v.value));
    }
    assert.throws(() => s.toString("x" as unknown as Uint8Array), TypeError);
  });

  it("DateTime: the 32-byte form at any offset, microseconds and offset kept", () => {
    const dt = new amp.DateTime();
    for (const v of valuesOf("DateTime")) {
      const read = dt.fromString(hex(v.wire)) as amp.OffsetDate;
      assert.ok(read instanceof amp.OffsetDate);
      assert.equal(read.getTime(), Math.floor(v.utc_ms! / 1) - (v.utc_ms! % 1));
      assert.equal(read.utcOffset, v.offset);
      assert.equal(read.microsecond, v.microsecond);
      assert.equal(toHex(dt.toString(read)), v.wire, v.value);
      const made = new amp.OffsetDate(v.utc_ms!, {
        utcOffset: v.offset,
        microsecond: v.microsecond,
      });
      assert.equal(toHex(dt.toString(made)), v.wire);
    }
    assert.equal(text(dt.toString(new Date(0))), "1970-01-01T00:00:00.000000-00:00");
    assert.equal(
      text(new amp.DateTime({ utcOffset: -90 }).toString(new Date(0))),
      "1969-12-31T22:30:00.000000-01:30",
    );
    assert.equal(
      dt.fromString(te.encode("1970-01-01T00:00:00.000000+00:00")).getTime(),
      0,
    );
    for (
      const bad of [
        "2012-01-23T12:34:56.054321-01:2",
        "2012-13-23T12:34:56.054321-01:23",
        "2023-02-29T12:34:56.054321-01:23",
        "2012-01-23T12:34:56.054321*01:23",
        "2012-01-23T24:34:56.054321-01:23",
        "2012-01-23T12:34:56.054321-24:00",
        "0000-01-23T12:34:56.054321-01:23",
      ]
    ) {
      assert.throws(() => dt.fromString(te.encode(bad)), Error, bad);
    }
    assert.throws(() => dt.toString(new Date(NaN)), RangeError);
    assert.throws(() => dt.toString(new Date(Date.UTC(10000, 0, 1))), RangeError);
    assert.throws(() => new amp.OffsetDate(0, { utcOffset: 1440 }), RangeError);
    assert.throws(() => new amp.OffsetDate(0, { microsecond: 1e6 }), RangeError);
  });

  it("ListOf and AmpList", () => {
    const ints = new amp.ListOf(new amp.Integer());
    const v1 = valuesOf("ListOf(Integer)")[0];
    assert.equal(toHex(ints.toString([3, 7, -9, 15])), v1.wire);
    assert.deepEqual(ints.fromString(hex(v1.wire)), [3, 7, -9, 15]);
    const texts = new amp.ListOf(new amp.Unicode());
    const v2 = valuesOf("ListOf(Unicode)")[0];
    assert.equal(toHex(texts.toString(["a", "", "\u00e9"])), v2.wire);
    assert.deepEqual(texts.fromString(hex(v2.wire)), ["a", "", "\u00e9"]);
    assert.equal(toHex(new amp.ListOf(new amp.Float()).toString([])), "");
    assert.throws(() => ints.fromString(new Uint8Array([0, 5, 0x31])), amp.MalformedAmpBox);
    assert.throws(() => ints.fromString(new Uint8Array([0])), amp.MalformedAmpBox);
    assert.throws(() => ints.toString(5 as unknown as number[]), TypeError);

    const list = new amp.AmpList({ a: new amp.Integer(), b: new amp.Unicode({ optional: true }) });
    const v3 = valuesOf("AmpList(a: Integer, b: Unicode optional)")[0];
    assert.equal(toHex(list.toString([{ a: 7, b: "hello" }, { a: 9 }])), v3.wire);
    assert.deepEqual(list.fromString(hex(v3.wire)), [{ a: 7, b: "hello" }, { a: 9 }]);
    assert.throws(
      () => list.fromString(new amp.AmpBox({ b: "x" }).serialize()),
      amp.MalformedAmpBox,
    );
  });

  it("optional arguments are left out, and required ones must be there", () => {
    const box = new amp.AmpBox();
    const objects: Record<string, unknown> = {};
    new amp.Integer({ optional: true }).fromBox("n", box, objects, null);
    assert.deepEqual(objects, {});
    assert.throws(() => new amp.Integer().fromBox("n", box, objects, null), amp.MalformedAmpBox);
    new amp.Integer({ optional: true }).toBox("n", box, { n: undefined }, null);
    new amp.Integer({ optional: true }).toBox("m", box, { m: null }, null);
    assert.equal(box.size, 0);
    assert.throws(() => new amp.Integer().toBox("n", box, {}, null), TypeError);
  });
});
