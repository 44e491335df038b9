// Property tests (fast-check) for AMP: whatever bytes a peer sends, an AMP
// ends in well-formed answers or a clean close, never a throw, a hang or an
// unbounded buffer; boxes and argument values survive the wire unchanged.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as amp from "../../src/protocols/amp.ts";
import { BoxReader } from "../../src/protocols/amp/_box.ts";
import {
  flushLoggedErrors,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { Deferred } from "../../src/internet/defer.ts";

trackLeaks({ beforeEach, afterEach });

const RUNS = { numRuns: 300 };

class Sum extends amp.Command {
  static override arguments = { a: new amp.Integer(), b: new amp.Integer() };
  static override response = { total: new amp.Integer() };
  static override errors = new Map([[RangeError, "RANGE"]]);
}
class Later extends amp.Command {
  static override arguments = { n: new amp.Integer({ optional: true }) };
}
class Peer extends amp.AMP {
  pending: Deferred<Record<string, never>>[] = [];
  amp_RAW(box: amp.AmpBox): amp.AmpBox {
    return new amp.AmpBox(box);
  }
}
Sum.responder(Peer, ({ a, b }) => {
  if (a < 0) throw new RangeError("negative");
  if (b < 0) throw new TypeError("undeclared");
  return { total: a + b };
});
Later.responder(Peer, function () {
  const d = new Deferred<Record<string, never>>();
  this.pending.push(d);
  return d;
});

function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, data.length]) {
    out.push(data.slice(at, p));
    at = p;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feeds `chunks` to a fresh Peer; checks what it wrote, and that it never threw. */
function feed(chunks: Uint8Array[], maxBoxSize = 4096): void {
  const peer = new Peer({ maxBoxSize });
  const transport = new StringTransportWithDisconnection();
  transport.protocol = peer;
  peer.makeConnection(transport);
  for (const chunk of chunks) peer.dataReceived(chunk);
  for (const d of peer.pending) d.callback({});
  // Everything written parses as whole boxes, each an answer or an error.
  for (const box of amp.parseString(transport.value())) {
    assert.ok(box.has("_answer") || box.has("_error"), `a ${box} was written`);
  }
  if (!transport.disconnecting) peer.transport.loseConnection();
  flushLoggedErrors();
}

const key = fc.oneof(
  fc.constantFrom("_ask", "_answer", "_error", "_command", "_error_code", "a", "b", "n"),
  fc.string({ minLength: 1, maxLength: 8 }),
);
const value = fc.oneof(
  fc.constantFrom("Sum", "Later", "RAW", "Nope", "1", "2", "-3", "x", ""),
  fc.nat({ max: 40 }).map((n) => `${n.toString(16)}`),
  fc.string({ maxLength: 12 }),
);
const box = fc.dictionary(key, value, { maxKeys: 6 }).map((r) => new amp.AmpBox(r).serialize());

describe("AMP under any input (fast-check)", () => {
  it("ends random bytes in answers or a clean close", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bytes, cuts) => feed(split(bytes, cuts)),
      ),
      RUNS,
    );
  });

  it("answers well-formed boxes of random keys and values, however they are split", () => {
    fc.assert(
      fc.property(
        fc.array(box, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (boxes, cuts) => feed(split(concat(boxes), cuts)),
      ),
      RUNS,
    );
  });

  it("answers each asked command once, in any chunking, the same as whole", () => {
    const call = fc.record({
      a: fc.integer({ min: -2, max: 100 }),
      b: fc.integer({ min: -2, max: 100 }),
    });
    fc.assert(
      fc.property(fc.array(call, { maxLength: 20 }), fc.array(fc.nat()), (calls, cuts) => {
        const bytes = concat(
          calls.map(({ a, b }, i) =>
            new amp.AmpBox({ _command: "Sum", _ask: (i + 1).toString(16), a: `${a}`, b: `${b}` })
              .serialize()
          ),
        );
        const run = (chunks: Uint8Array[]): string => {
          const peer = new Peer();
          const transport = new StringTransportWithDisconnection();
          transport.protocol = peer;
          peer.makeConnection(transport);
          for (const c of chunks) peer.dataReceived(c);
          flushLoggedErrors();
          return Array.from(transport.value(), (x) => x.toString(16).padStart(2, "0")).join("");
        };
        assert.equal(run(split(bytes, cuts)), run([bytes]));
      }),
      { numRuns: 200 },
    );
  });

  it("keeps at most maxBoxSize bytes of a box it has not finished reading", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 16, max: 2000 }),
        (bytes, max) => {
          const reader = new BoxReader(max);
          try {
            reader.feed(bytes, () => {});
          } catch (e) {
            assert.ok(e instanceof amp.TooLong, `${e}`);
            return;
          }
          assert.ok(reader.takeRest().length <= max);
        },
      ),
      RUNS,
    );
  });
});

describe("AMP values survive the wire (fast-check)", () => {
  it("round-trips any box through serialize and parseString", () => {
    const keyText = fc.string({ minLength: 1, maxLength: 40 }).filter((k) =>
      new TextEncoder().encode(k).length <= 255 && k.isWellFormed()
    );
    fc.assert(
      fc.property(fc.dictionary(keyText, fc.uint8Array({ maxLength: 300 })), (record) => {
        const original = new amp.AmpBox(record);
        const [back] = amp.parseString(original.serialize());
        assert.deepEqual(new Map(back), new Map(original));
        assert.deepEqual(back.serialize(), original.serialize());
      }),
      RUNS,
    );
  });

  it("round-trips every argument type's values", () => {
    const same = <T>(arg: amp.Argument<T>, v: T): T => arg.fromString(arg.toString(v));
    fc.assert(
      fc.property(
        fc.maxSafeInteger(),
        fc.bigInt(),
        fc.double(),
        fc.string().filter((s) => s.isWellFormed()),
        fc.boolean(),
        fc.date({ noInvalidDate: true, min: new Date("0001-01-02"), max: new Date("9999-12-30") }),
        fc.integer({ min: -1439, max: 1439 }),
        fc.integer({ min: 0, max: 999 }),
        (int, big, dbl, text, bool, date, offset, extra) => {
          assert.equal(same(new amp.Integer(), int), int);
          assert.equal(same(new amp.Integer({ bigint: true }), big), big);
          assert.ok(Object.is(same(new amp.Float(), dbl), dbl) || Number.isNaN(dbl));
          assert.equal(same(new amp.Unicode(), text), text);
          assert.equal(same(new amp.Boolean(), bool), bool);
          const od = new amp.OffsetDate(date, {
            utcOffset: offset,
            microsecond: date.getUTCMilliseconds() * 1000 + extra,
          });
          const back = same(new amp.DateTime(), od as Date) as amp.OffsetDate;
          assert.equal(back.getTime(), od.getTime());
          assert.equal(back.utcOffset, offset);
          assert.equal(back.microsecond, od.microsecond);
          const list = new amp.ListOf(new amp.Float());
          assert.deepEqual(same(list, [dbl, 1, -0]), [dbl, 1, -0]);
          const records = new amp.AmpList({ i: new amp.Integer(), t: new amp.Unicode() });
          assert.deepEqual(same(records, [{ i: int, t: text }]), [{ i: int, t: text }]);
        },
      ),
      RUNS,
    );
  });
});
