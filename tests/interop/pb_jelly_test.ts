// Interop of @tw/core/spread's banana and jelly with Twisted's own (Debian
// python3-twisted, run by /usr/bin/python3 through tests/interop/pb_jelly_peer.py):
// values jellied here are unjellied by Twisted (checked by their Python repr),
// re-jellied there, and read back here unchanged, shared references included.
// Without Twisted the tests are skipped, except under CI (CI=true), where they fail.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { decode, encode } from "../../src/spread/banana.ts";
import { jelly, unjelly } from "../../src/spread/jelly.ts";

const PYTHON = "/usr/bin/python3";
const PEER = fileURLToPath(new URL("pb_jelly_peer.py", import.meta.url));
const CI = process.env.CI === "true";
const HAVE_PEER =
  spawnSync(PYTHON, ["-c", "import twisted.spread.jelly"], { stdio: "ignore" }).status === 0;
const SKIP = HAVE_PEER || CI
  ? false
  : "no Twisted for /usr/bin/python3: install Debian's python3-twisted package " +
    "(apt-get install -y python3-twisted)";

const toHex = (b: Uint8Array): string =>
  [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const hex = (h: string): Uint8Array =>
  new Uint8Array(h.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
const dict = (o: Record<string, unknown>) => Object.assign(Object.create(null), o);

function throughTwisted(values: unknown[]): { back: unknown; repr: string; hex: string }[] {
  const input = values.map((v) => toHex(encode(jelly(v)))).join("\n") + "\n";
  const run = spawnSync(PYTHON, [PEER], { input, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim().split("\n").map((line) => {
    const [h, repr] = line.split("\t");
    return { back: unjelly(decode(hex(h))), repr, hex: h };
  });
}

describe("jelly with Twisted", { skip: SKIP }, () => {
  it("Twisted reads every jelly type and sends it back unchanged", () => {
    const when = new Date(Date.UTC(2021, 5, 7, 8, 9, 10, 123));
    const values: [unknown, string][] = [
      [null, "None"],
      [true, "True"],
      [false, "False"],
      [42, "42"],
      [-7, "-7"],
      [2n ** 100n, String(2n ** 100n)],
      [-(2n ** 64n), String(-(2n ** 64n))],
      [1.5, "1.5"],
      ["héllo", "'héllo'"],
      [new Uint8Array([0, 255]), "b'\\x00\\xff'"],
      [[1, [2, "x"]], "[1, [2, 'x']]"],
      [new Set([3]), "{3}"],
      [dict({ a: 1, b: [null] }), "{'a': 1, 'b': [None]}"],
      [new Map<unknown, unknown>([[1, "one"]]), "{1: 'one'}"],
      [when, "datetime.datetime(2021, 6, 7, 8, 9, 10, 123000)"],
    ];
    const got = throughTwisted(values.map(([v]) => v));
    for (let i = 0; i < values.length; i++) {
      assert.equal(got[i].repr, values[i][1]);
      if (values[i][0] instanceof Date) {
        assert.equal((got[i].back as Date).getTime(), when.getTime());
      } else assert.deepEqual(got[i].back, values[i][0]);
    }
  });

  it("shared and circular references survive Twisted", () => {
    const shared = [1];
    const cycle: unknown[] = ["c"];
    cycle.push(cycle);
    const selfish = dict({ name: "me" });
    selfish.self = selfish;
    const [s, c, d] = throughTwisted([[shared, shared], cycle, selfish]);
    assert.equal(s.repr, "[[1], [1]]");
    const sb = s.back as unknown[][];
    assert.equal(sb[0], sb[1]);
    assert.equal(c.repr, "['c', [...]]");
    assert.equal((c.back as unknown[])[1], c.back);
    assert.equal(d.repr, "{'name': 'me', 'self': {...}}");
    assert.equal((d.back as Record<string, unknown>).self, d.back);
  });

  it("numbers references as Twisted does, byte for byte", () => {
    // Twisted numbers an object when it is met the second time, so b (met again
    // first) is reference 1 and a is 2.
    const a = [1];
    const b = [2];
    const cycle: unknown[] = [];
    cycle.push([cycle, a], a);
    const values = [[a, b, b, a], cycle, [[a], [a, [b]], b]];
    const got = throughTwisted(values);
    values.forEach((v, i) => assert.equal(toHex(encode(jelly(v))), got[i].hex));
  });
});
