// A Perspective Broker fed bad input: malformed commands close the
// connection, bad calls are answered with errors and the connection stays,
// and (fast-check) any expressions or bytes end in answers or a clean close,
// never a throw, a hang or an unhandled error.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  flushLoggedErrors,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import {
  BananaDecoder,
  type BananaValue,
  encodeExpression,
} from "../../src/spread/_banana_codec.ts";
import * as pb from "../../src/spread/pb.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
const td = new TextDecoder();

class Adder extends pb.Root {
  remote_add(a: number, b: number): number {
    return a + b;
  }
  remote_lend(): pb.Referenceable {
    return new pb.Referenceable();
  }
}

/** A server broker past the dialect choice, and what it writes, decoded. */
function serverBroker(): {
  broker: pb.Broker;
  transport: StringTransportWithDisconnection;
  feed: (value: BananaValue) => void;
  written: () => unknown[][];
} {
  const broker = new pb.PBServerFactory(new Adder()).buildProtocol(null as never);
  const transport = new StringTransportWithDisconnection();
  transport.protocol = broker;
  broker.makeConnection(transport);
  broker.dataReceived(encodeExpression(te.encode("pb"), false));
  const out: unknown[][] = [];
  // The dialect offer is plain Banana; everything after it uses the pb vocabulary.
  const decoder: BananaDecoder = new BananaDecoder((v) => {
    out.push(v as unknown[]);
    decoder.vocabulary = true;
  });
  let seen = 0;
  return {
    broker,
    transport,
    feed: (value) => broker.dataReceived(encodeExpression(value, true)),
    written: () => {
      const all = transport.value();
      decoder.feed(all.slice(seen));
      seen = all.length;
      return out;
    },
  };
}

const call = (id: number, method: string, ...args: BananaValue[]): BananaValue => [
  "message",
  id,
  te.encode("root"),
  te.encode(method),
  1,
  ["tuple", ...args],
  ["dictionary"],
];
const command = (expression: unknown[]): string => td.decode(expression[0] as Uint8Array);

describe("PB bad input", () => {
  for (
    const [name, value] of [
      ["a non-list expression", 7],
      ["an empty list", []],
      ["another version", ["version", 5]],
      ["an answer to an unknown request", ["answer", 99, 1]],
      ["an error to an unknown request", ["error", 99, 1]],
      ["a decref of an unknown object", ["decref", 12]],
      ["a decache of an unknown cache", ["decache", 12]],
      ["an uncache of an unknown cache", ["uncache", 12]],
      ["a message with missing parts", ["message", 1, te.encode("root")]],
      ["a message with a bad request ID", ["message", 1.5, 1, te.encode("x"), 1, [], []]],
    ] as [string, BananaValue][]
  ) {
    it(`closes on ${name}`, () => {
      const { transport, feed } = serverBroker();
      feed(value);
      assert.equal(transport.disconnecting, true);
    });
  }

  it("answers an unknown command with didNotUnderstand and stays", () => {
    const { transport, feed, written } = serverBroker();
    feed(["frobnicate", 1]);
    assert.equal(transport.disconnecting, false);
    const last = written().at(-1)!;
    assert.equal(command(last), "didNotUnderstand");
    assert.equal(td.decode(last[1] as Uint8Array), "frobnicate");
  });

  it("answers calls to unknown objects, bad arguments and insecure types with errors", () => {
    const { transport, feed, written } = serverBroker();
    feed(["message", 1, 999, te.encode("add"), 1, ["tuple"], ["dictionary"]]);
    feed(["message", 2, te.encode("root"), te.encode("add"), 1, 5, ["dictionary"]]);
    feed(call(3, "add", ["module", te.encode("os")], 1));
    feed(call(4, "add", ["local", 999], 1));
    feed(call(5, "add", 1, 2));
    assert.equal(transport.disconnecting, false);
    const answers = written().filter((e) => ["answer", "error"].includes(command(e)));
    assert.deepEqual(answers.map((e) => [command(e), e[1]]), [
      ["error", 1],
      ["error", 2],
      ["error", 3],
      ["error", 4],
      ["answer", 5],
    ]);
    assert.equal(answers[4][2], 3);
    flushLoggedErrors();
  });

  it("refuses more than MAX_BROKER_REFS lent objects, then closes", () => {
    const { transport, feed, written } = serverBroker();
    for (let i = 1; i <= pb.MAX_BROKER_REFS + 5; i++) feed(call(i, "lend"));
    const errors = written().filter((e) => command(e) === "error");
    // Three refusals answered; the fourth closes the connection, as Twisted does.
    assert.equal(errors.length, 3);
    assert.equal(transport.disconnecting, true);
    flushLoggedErrors();
  });

  it("ignores a message that asks for no answer, even a failing one", () => {
    const { transport, feed, written } = serverBroker();
    const before = written().length;
    feed(["message", 1, te.encode("root"), te.encode("nope"), 0, ["tuple"], ["dictionary"]]);
    assert.equal(written().length, before);
    assert.equal(transport.disconnecting, false);
    flushLoggedErrors();
  });
});

// Expressions made of PB's words, IDs and small values.
const word = fc.constantFrom(
  "message",
  "cachemessage",
  "answer",
  "error",
  "decref",
  "decache",
  "uncache",
  "version",
  "remote",
  "local",
  "cached",
  "lcache",
  "tuple",
  "list",
  "dictionary",
  "reference",
  "dereference",
  "unicode",
  "None",
  "root",
  "add",
);
const leaf: fc.Arbitrary<BananaValue> = fc.oneof(
  word,
  word.map((w) => te.encode(w)),
  fc.integer({ min: -3, max: 1100 }),
  fc.double(),
  fc.uint8Array({ maxLength: 8 }),
);
const expression = fc.letrec<{ tree: BananaValue }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("tree"), { maxLength: 7 }),
  ),
})).tree;

describe("PB property: any input ends in answers or a close", () => {
  it("survives random expressions", () => {
    fc.assert(
      fc.property(fc.array(expression, { maxLength: 6 }), (values) => {
        const { transport, feed, written } = serverBroker();
        for (const v of values) {
          if (transport.disconnecting) break;
          feed(v);
        }
        if (!transport.disconnecting) {
          feed(call(100_000, "add", 20, 22));
          const answer = written().find((e) => command(e) === "answer" && e[1] === 100_000);
          assert.ok(answer, "a live broker still answers");
          assert.equal(answer[2], 42);
        }
        flushLoggedErrors();
      }),
      { numRuns: 300 },
    );
  });

  it("survives random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const { transport, broker } = serverBroker();
        broker.dataReceived(bytes);
        assert.ok(transport.disconnecting || !broker.disconnected);
        flushLoggedErrors();
      }),
      { numRuns: 300 },
    );
  });
});
