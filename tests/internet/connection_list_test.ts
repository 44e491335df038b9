// A port's connection list: what it yields and counts matches a plain Set of
// the open ones after any sequence of opens and closes, and it drops the
// slots of closed connections so that they never outnumber the open ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConnectionList } from "../../src/internet/_connection_list.ts";

class Conn {
  disconnected = false;
  readonly id: number;
  constructor(id: number) {
    this.id = id;
  }
}

test("ConnectionList agrees with a Set of the open connections", () => {
  fc.assert(
    fc.property(fc.array(fc.nat(1_000), { maxLength: 300 }), (steps) => {
      const list = new ConnectionList<Conn>();
      const open = new Set<Conn>();
      let next = 0;
      for (const step of steps) {
        // Even steps open a connection; odd ones close one of the open (if any).
        if (step % 2 === 0 || open.size === 0) {
          const c = new Conn(next++);
          list.add(c);
          open.add(c);
        } else {
          const c = [...open][step % open.size];
          c.disconnected = true;
          open.delete(c);
          list.closed(c);
        }
        assert.equal(list.size, open.size);
      }
      assert.deepEqual([...list].map((c) => c.id), [...open].map((c) => c.id));
    }),
  );
});

test("ConnectionList keeps at most as many closed slots as open ones, plus one", () => {
  const list = new ConnectionList<Conn>();
  const conns = Array.from({ length: 1_000 }, (_, i) => new Conn(i));
  for (const c of conns) list.add(c);
  let mostHeld = 0;
  // Close them in a shuffled order (a fixed one, so the run repeats).
  const order = conns.map((c, i) => ({ c, key: (i * 7_919) % 1_000 }))
    .sort((a, b) => a.key - b.key).map((e) => e.c);
  for (const c of order.slice(0, 999)) {
    c.disconnected = true;
    list.closed(c);
    const closedHeld = list.slots - list.size;
    assert.ok(closedHeld <= list.size + 1, `${closedHeld} closed slots for ${list.size} open`);
    mostHeld = Math.max(mostHeld, closedHeld);
  }
  assert.equal(list.size, 1);
  assert.deepEqual([...list], [order[999]]);
  // Slots were kept between compactions (not dropped one by one).
  assert.ok(mostHeld > 100, `at most ${mostHeld} closed slots held`);
});
