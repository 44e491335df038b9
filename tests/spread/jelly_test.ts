// Jelly: s-expressions match Twisted's (recorded from twisted.spread.jelly
// 22.4 through banana.encode), references round-trip, refused types throw.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decode, encode } from "../../src/spread/banana.ts";
import {
  InsecureJelly,
  jelly,
  SecurityOptions,
  setCopierForClass,
  setUnjellyableFactoryForClass,
  setUnjellyableForClass,
  unjelly,
} from "../../src/spread/jelly.ts";

const hex = (h: string): Uint8Array =>
  new Uint8Array(h.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
const toHex = (b: Uint8Array): string =>
  [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const te = new TextEncoder();
const wire = (v: unknown): string => toHex(encode(jelly(v)));
const back = (h: string): unknown => unjelly(decode(hex(h)));
const dict = (o: Record<string, unknown>) => Object.assign(Object.create(null), o);

const TWISTED: Record<string, string> = {
  "none": "018004824e6f6e65",
  "true": "02800782626f6f6c65616e048274727565",
  "float": "843ff8000000000000",
  "long": "000000000000000000000185",
  "unicode": "02800782756e69636f64650282c3a9",
  "bytes": "018278",
  "list": "038004826c6973740181038004826c69737402810381",
  "tuple": "038005827475706c6502810381",
  "dict": "02800a8264696374696f6e617279028002800782756e69636f64650182610181",
  "mapdict": "02800a8264696374696f6e617279028002810381",
  "set": "028003827365740181",
  "datetime": "028008826461746574696d65138232303230203120322033203420352036303030",
  "shared":
    "038004826c697374038009827265666572656e63650181028004826c697374018102800b8264657265666572656e63650181",
  "cycle": "038009827265666572656e63650181028004826c69737402800b8264657265666572656e63650181",
  "dictcycle":
    "038009827265666572656e6365018102800a8264696374696f6e617279028002800782756e69636f6465048273656c6602800b8264657265666572656e63650181",
};

describe("jelly", () => {
  it("jelly() writes what Twisted writes", () => {
    const a = [1];
    const cycle: unknown[] = [];
    cycle.push(cycle);
    const selfish: Record<string, unknown> = {};
    selfish.self = selfish;
    assert.equal(wire(null), TWISTED.none);
    assert.equal(wire(true), TWISTED.true);
    assert.equal(wire(1.5), TWISTED.float);
    assert.equal(wire(2n ** 70n), TWISTED.long);
    assert.equal(wire("é"), TWISTED.unicode);
    assert.equal(wire(te.encode("x")), TWISTED.bytes);
    assert.equal(wire([1, [2, 3]]), TWISTED.list);
    assert.equal(wire({ a: 1 }), TWISTED.dict);
    assert.equal(wire(new Map([[2, 3]])), TWISTED.mapdict);
    assert.equal(wire(new Set([1])), TWISTED.set);
    assert.equal(wire(new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6))), TWISTED.datetime);
    assert.equal(wire([a, a]), TWISTED.shared);
    assert.equal(wire(cycle), TWISTED.cycle);
    assert.equal(wire(selfish), TWISTED.dictcycle);
  });

  it("unjelly() reads what Twisted writes", () => {
    assert.equal(back(TWISTED.none), null);
    assert.equal(back(TWISTED.true), true);
    assert.equal(back(TWISTED.float), 1.5);
    assert.equal(back(TWISTED.long), 2n ** 70n);
    assert.equal(back(TWISTED.unicode), "é");
    assert.deepEqual(back(TWISTED.bytes), te.encode("x"));
    assert.deepEqual(back(TWISTED.list), [1, [2, 3]]);
    assert.deepEqual(back(TWISTED.tuple), [2, 3]);
    assert.deepEqual(back(TWISTED.dict), dict({ a: 1 }));
    assert.deepEqual(back(TWISTED.mapdict), new Map([[2, 3]]));
    assert.deepEqual(back(TWISTED.set), new Set([1]));
    assert.equal((back(TWISTED.datetime) as Date).getTime(), Date.UTC(2020, 0, 2, 3, 4, 5, 6));
    const shared = back(TWISTED.shared) as unknown[][];
    assert.equal(shared[0], shared[1]);
    const cycle = back(TWISTED.cycle) as unknown[];
    assert.equal(cycle[0], cycle);
    const selfish = back(TWISTED.dictcycle) as Record<string, unknown>;
    assert.equal(selfish.self, selfish);
  });

  it("unjelly() keeps __proto__ as data", () => {
    const got = unjelly(jelly(JSON.parse('{"__proto__": {"polluted": 1}}'))) as Record<
      string,
      unknown
    >;
    assert.equal(Object.getPrototypeOf(got), null);
    assert.deepEqual(Object.keys(got), ["__proto__"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("unjelly() refuses atoms, unknown tags and unknown references", () => {
    for (const tag of ["module", "class", "function", "instance", "persistent", "no.Such"]) {
      assert.throws(() => unjelly([tag, "x"]), InsecureJelly, tag);
    }
    const taster = new SecurityOptions();
    taster.allowTypes("module");
    assert.equal(taster.isTypeAllowed("module"), false);
    assert.throws(() => unjelly(["dereference", 7]), InsecureJelly);
    assert.throws(
      () => unjelly(["list", ["reference", 1, ["list"]], ["reference", 1, ["list"]]]),
      InsecureJelly,
    );
    assert.throws(() => unjelly([1]), InsecureJelly);
    assert.throws(() => unjelly(["dictionary", [1]]), InsecureJelly);
    const strict = new SecurityOptions();
    assert.throws(() => unjelly(["x.Y", 1], { taster: strict }), InsecureJelly);
  });

  it("jelly() refuses what it cannot carry", () => {
    assert.throws(() => jelly(undefined), InsecureJelly);
    assert.throws(() => jelly(() => 1), InsecureJelly);
    assert.throws(() => jelly(new (class Foo {})()), /Foo/);
    assert.throws(() => jelly(new Date(NaN)), InsecureJelly);
  });

  it("registered tags become objects", () => {
    class Point {
      x = 0;
      setCopyableState(state: { x: number }): void {
        this.x = state.x * 2;
      }
    }
    class Plain {
      y?: number;
    }
    setUnjellyableForClass("test.Point", Point);
    setCopierForClass("test.Plain", Plain);
    setUnjellyableFactoryForClass("test.Made", (s) => ({ made: s }));
    const p = unjelly(["test.Point", jelly({ x: 2 })]);
    assert.ok(p instanceof Point);
    assert.equal(p.x, 4);
    const q = unjelly(["test.Plain", jelly({ y: 5 })]);
    assert.ok(q instanceof Plain);
    assert.equal(q.y, 5);
    assert.deepEqual(unjelly(["test.Made", jelly([1])]), { made: [1] });
    const viaOther = jelly(new Point(), {
      jellyOther: (v, one) => v instanceof Point ? ["test.Point", one({ x: v.x })] : undefined,
    });
    assert.ok(unjelly(viaOther) instanceof Point);
  });

  it("jelly() and unjelly() round-trip any value through Banana", () => {
    const value = fc.letrec((tie) => ({
      item: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        fc.maxSafeInteger(),
        fc.double({ noNaN: true }).filter((d) => !Number.isSafeInteger(d) || Object.is(d, -0)),
        fc.bigInt({ min: -(2n ** 200n), max: -(2n ** 60n) }),
        fc.string(),
        fc.uint8Array({ maxLength: 8 }),
        fc.array(tie("item"), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie("item"), { maxKeys: 4 }).map((o) =>
          Object.assign(Object.create(null), o)
        ),
      ),
    })).item;
    fc.assert(
      fc.property(value, (v) => {
        assert.deepEqual(unjelly(decode(encode(jelly(v)))), v);
      }),
      { numRuns: 300 },
    );
  });
});
