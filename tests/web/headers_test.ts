import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Headers } from "../../src/web/mod.ts";
import {
  eachValue,
  fieldList,
  serialize,
  serializedLength,
  serializeTo,
  setOne,
} from "../../src/web/_internal.ts";
import { LazyRequestHeaders } from "../../src/web/_fetch_headers.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

describe("Headers", () => {
  it("treats names case-insensitively and keeps values in order", () => {
    const h = new Headers({ "X-A": "1", "x-b": ["2", "3"] });
    h.addRawHeader("x-a", "4");
    assert.deepEqual(h.getRawHeaders("X-a"), ["1", "4"]);
    assert.deepEqual(h.getRawHeaders("X-B"), ["2", "3"]);
    assert.equal(h.getRawHeaders("missing"), undefined);
    assert.deepEqual(h.getRawHeaders("missing", []), []);
    assert.equal(h.hasHeader("X-B"), true);
    h.removeHeader("X-B");
    assert.equal(h.hasHeader("x-b"), false);
    h.setRawHeaders("x-a", ["only"]);
    assert.deepEqual([...h], [["x-a", "only"]]);
    h.setRawHeaders("x-a", []);
    assert.equal(h.size, 0);
  });

  it("returns copies, and converts to fetch's Headers", () => {
    const h = new Headers([["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]]);
    h.getRawHeaders("set-cookie")!.push("mutated");
    assert.deepEqual(h.getRawHeaders("set-cookie"), ["a=1", "b=2"]);
    const copy = h.copy();
    copy.addRawHeader("set-cookie", "c=3");
    assert.equal(h.getRawHeaders("set-cookie")!.length, 2);
    assert.equal(h.toWebHeaders().get("set-cookie"), "a=1, b=2");
    assert.equal(h[serialize](), "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n");
  });

  it("groups the values of a name where it was first added", () => {
    const h = new Headers();
    h.addRawHeader("A", "1");
    h.addRawHeader("B", "2");
    h.addRawHeader("a", "3");
    h.setRawHeaders("b", ["4", "5"]);
    assert.deepEqual([...h], [["A", "1"], ["A", "3"], ["b", "4"], ["b", "5"]]);
    assert.deepEqual([...h.getAllRawHeaders()], [["A", ["1", "3"]], ["b", ["4", "5"]]]);
    assert.equal(h.getLast("a"), "3");
    assert.equal(h[serialize](), "A: 1\r\nA: 3\r\nB: 4\r\nB: 5\r\n");
  });

  it("groups the values of many names too", () => {
    // Past 32 fields, adds append and the list is grouped when read.
    const h = new Headers();
    for (let i = 0; i < 200; i++) h.addRawHeader(`X-${i % 50}`, String(i));
    assert.deepEqual(h.getRawHeaders("x-7"), ["7", "57", "107", "157"]);
    assert.equal(h.getLast("X-49"), "199");
    assert.equal(h.size, 50);
    const all = [...h.getAllRawHeaders()];
    assert.equal(all.length, 50);
    assert.deepEqual(all[7], ["X-7", ["7", "57", "107", "157"]]);
    h.addRawHeader("x-0", "last");
    h.setRawHeaders("X-1", ["one"]);
    const pairs = [...h];
    assert.deepEqual(pairs.slice(0, 6), [
      ["X-0", "0"],
      ["X-0", "50"],
      ["X-0", "100"],
      ["X-0", "150"],
      ["X-0", "last"],
      ["X-1", "one"],
    ]);
    assert.equal(pairs.length, 200 - 4 + 2);
  });

  it("behaves as a map of names to lists of values (property)", () => {
    const name = fc.constantFrom("a", "A", "b", "B", "content-type", "Content-Type", "x-y");
    const value = fc.string({ maxLength: 6, unit: fc.constantFrom("x", "y", "1", " ", "é") });
    const op = fc.oneof(
      fc.tuple(fc.constant("add"), name, fc.array(value, { maxLength: 1 })),
      fc.tuple(fc.constant("set"), name, fc.array(value, { maxLength: 3 })),
      fc.tuple(fc.constant("one"), name, fc.array(value, { minLength: 1, maxLength: 1 })),
      fc.tuple(fc.constant("remove"), name, fc.constant([] as string[])),
    );
    // Up to 150 operations: past 32 fields, adds append and the list is regrouped.
    fc.assert(fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
      // The model: lower-case name -> the name first given and the values.
      const model = new Map<string, { name: string; values: string[] }>();
      const h = new Headers();
      for (const [kind, n, values] of ops) {
        const key = n.toLowerCase();
        if (kind === "add") {
          const v = values[0] ?? "";
          h.addRawHeader(n, v);
          const e = model.get(key);
          if (e === undefined) model.set(key, { name: n, values: [v] });
          else e.values.push(v);
        } else if (kind === "remove" || (kind === "set" && values.length === 0)) {
          if (kind === "remove") h.removeHeader(n);
          else h.setRawHeaders(n, values);
          model.delete(key);
        } else {
          if (kind === "one") h[setOne](n, values[0]);
          else h.setRawHeaders(n, values);
          model.set(key, { name: n, values: values.slice() });
        }
      }
      assert.equal(h.size, model.size);
      assert.deepEqual(
        [...h.getAllRawHeaders()],
        [...model.values()].map((e) => [e.name, e.values]),
      );
      for (const key of ["a", "b", "content-type", "x-y", "z"]) {
        const e = model.get(key);
        assert.deepEqual(h.getRawHeaders(key.toUpperCase()), e?.values);
        assert.equal(h.getLast(key), e === undefined ? null : e.values[e.values.length - 1]);
        assert.equal(h.hasHeader(key), e !== undefined);
      }
      // The bytes written directly are the string form's, or -1 above ASCII.
      const text = h[serialize]();
      const out = new Uint8Array(h[serializedLength]() + 4);
      const end = h[serializeTo](out, 2);
      if ([...text].some((c) => c.charCodeAt(0) > 0x7f)) assert.equal(end, -1);
      else {
        assert.equal(end, 2 + text.length);
        assert.equal(new TextDecoder().decode(out.subarray(2, end)), text);
      }
    }));
  });
});

describe("LazyRequestHeaders (the fetch bridge's request headers)", () => {
  const source = () =>
    new globalThis.Request("http://example.com/", {
      method: "POST",
      headers: { "x-a": "1", connection: "keep-alive", "content-length": "99" },
      body: new Uint8Array([97, 98, 99]),
    });

  it("fills itself on first read, whichever accessor reads first", () => {
    // Hop-by-hop fields and the runtime's Content-Length are dropped; the
    // Host comes from the URL and the length from the body read.
    const expected = [
      "x-a",
      "x-a",
      "1",
      "host",
      "host",
      "example.com",
      "content-length",
      "content-length",
      "3",
    ];
    const reads: ((h: LazyRequestHeaders) => unknown)[] = [
      (h) => h[fieldList](),
      (h) => {
        const seen: string[] = [];
        h[eachValue]((name, value) => seen.push(name, name, value));
        return seen;
      },
      (h) => [...h].flatMap(([name, value]) => [name, name, value]),
    ];
    for (const read of reads) {
      const h = new LazyRequestHeaders(source(), "example.com", "3");
      assert.deepEqual(read(h), expected);
      assert.equal(h.getLast("X-A"), "1");
    }
  });
});
