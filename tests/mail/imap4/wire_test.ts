// The IMAP wire codec alone: CommandFramer (lines, synchronizing and LITERAL+
// literals, bounds), Scanner tokens, sequence sets, modified UTF-7, and the
// FETCH / SEARCH / flag parsers; property tests feed random and mutated input.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CommandFramer,
  decodeMailboxName,
  encodeMailboxName,
  type FrameEvent,
  IllegalClientResponse,
  MessageSet,
  parseFetchAttributes,
  parseIdList,
  parseSearchKeys,
  Scanner,
} from "../../../src/mail/imap4/mod.ts";
import { parseDateTime, parseFlagList } from "../../../src/mail/imap4/_syntax.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function drain(framer: CommandFramer): FrameEvent[] {
  const out: FrameEvent[] = [];
  for (let e = framer.next(); e !== null; e = framer.next()) out.push(e);
  return out;
}

const scan = (text: string) => new Scanner(enc.encode(text));

describe("CommandFramer", () => {
  it("CommandFramer.next() gives whole lines as commands", () => {
    const f = new CommandFramer();
    f.push(enc.encode("a1 NOOP\r\na2 CAPA"));
    const events = drain(f);
    assert.equal(events.length, 1);
    assert.equal(events[0].kind, "command");
    f.push(enc.encode("BILITY\r\n"));
    const [e] = drain(f);
    assert.equal(e.kind === "command" && dec.decode(e.bytes), "a2 CAPABILITY");
  });

  it("CommandFramer.next() asks for a synchronizing literal and keeps it inline", () => {
    const f = new CommandFramer();
    f.push(enc.encode("a1 LOGIN {5}\r\n"));
    assert.deepEqual(drain(f), [{ kind: "continue" }]);
    f.push(enc.encode("al"));
    assert.deepEqual(drain(f), []);
    f.push(enc.encode("ice {6}\r\n"));
    assert.deepEqual(drain(f), [{ kind: "continue" }]);
    f.push(enc.encode("sec\r\nt\r\n"));
    const [e] = drain(f);
    assert.equal(
      e.kind === "command" && dec.decode(e.bytes),
      "a1 LOGIN {5}\r\nalice {6}\r\nsec\r\nt",
    );
  });

  it("CommandFramer.next() takes LITERAL+ without a continuation", () => {
    const f = new CommandFramer();
    f.push(enc.encode("a1 APPEND INBOX {3+}\r\nabc\r\n"));
    const events = drain(f);
    assert.equal(events.length, 1);
    assert.equal(events[0].kind, "command");
  });

  it("CommandFramer.next() refuses a literal over the limit before its continuation", () => {
    const f = new CommandFramer({ maxLiteral: 10 });
    f.push(enc.encode("a1 APPEND INBOX {11}\r\na2 NOOP\r\n"));
    const events = drain(f);
    assert.deepEqual(events[0], {
      kind: "error",
      tag: "a1",
      code: "TOOBIG",
      message: "Literal too big",
    });
    assert.equal(events[1].kind === "command" && dec.decode(events[1].bytes), "a2 NOOP");
    f.push(enc.encode("a3 APPEND INBOX {4294967295}\r\n"));
    assert.equal(drain(f)[0].kind, "error");
  });

  it("CommandFramer.next() skips an oversized LITERAL+ and the rest of its command", () => {
    const f = new CommandFramer({ maxLiteral: 4 });
    f.push(enc.encode("a1 APPEND INBOX {6+}\r\nabcdef tail\r\na2 NOOP\r\n"));
    const events = drain(f);
    assert.equal(events[0].kind, "error");
    assert.equal(events.length, 2);
    assert.equal(events[1].kind === "command" && dec.decode(events[1].bytes), "a2 NOOP");
  });

  it("CommandFramer.next() discards a line over the limit without holding it", () => {
    const f = new CommandFramer({ maxLine: 100 });
    f.push(enc.encode("a1 " + "x".repeat(150)));
    const [e] = drain(f);
    assert.equal(e.kind, "error");
    assert.equal(e.kind === "error" && e.tag, "a1");
    assert.ok(f.buffered <= 100);
    f.push(enc.encode("y".repeat(1000)));
    assert.deepEqual(drain(f), []);
    assert.ok(f.buffered <= 100);
    f.push(enc.encode("\r\na2 NOOP\r\n"));
    const rest = drain(f);
    assert.equal(rest.length, 1);
    assert.equal(rest[0].kind === "command" && dec.decode(rest[0].bytes), "a2 NOOP");
  });

  it("CommandFramer never holds more than its limits on random bytes (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const f = new CommandFramer({ maxLine: 256, maxLiteral: 512 });
        for (const c of chunks) {
          f.push(c);
          for (let e = f.next(); e !== null; e = f.next()) {
            if (e.kind === "command") assert.ok(e.bytes.byteLength <= 512 + 256 * 6);
          }
          assert.ok(f.buffered <= 256 + 300 + 512);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("Scanner", () => {
  it("Scanner reads atoms, quoted strings, literals, NIL and nested lists", () => {
    const s = scan('tag (a "b \\" c" {3}\r\nxyz NIL (d (e)))');
    assert.equal(s.tag(), "tag");
    s.sp();
    const v = s.list();
    assert.equal(v[0], "a");
    assert.equal(dec.decode(v[1] as Uint8Array), 'b " c');
    assert.equal(dec.decode(v[2] as Uint8Array), "xyz");
    assert.equal(v[3], null);
    assert.deepEqual(v[4], ["d", ["e"]]);
    assert.ok(s.atEnd);
  });

  it("Scanner refuses bad syntax with IllegalClientResponse", () => {
    for (const bad of ["(", '"open', "{5}\r\nab", "((((", "(a b", '"bad \\x"']) {
      assert.throws(() => scan(bad).value(), IllegalClientResponse, bad);
    }
    const deep = "(".repeat(100) + ")".repeat(100);
    assert.throws(() => scan(deep).list(), /nested too deep/);
    assert.throws(() => scan("4294967296").number(), /too big/);
  });

  it("Scanner.value() throws only IllegalClientResponse on random input (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        try {
          scan(text).value();
        } catch (e) {
          assert.ok(e instanceof IllegalClientResponse, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("sequence sets", () => {
  it("parseIdList() reads ranges and * and MessageSet iterates them once each", () => {
    const set = parseIdList("5:3,1,9:*,4", 10);
    assert.deepEqual([...set], [1, 3, 4, 5, 9, 10]);
    assert.equal(set.size, 6);
    assert.equal(String(new MessageSet(1, 3).add(7).add(9, null)), "1:3,7,9:*");
    assert.ok(parseIdList("2:*", 5).contains(5));
  });

  it("parseIdList() refuses 0, x:y, 4294967296 and empty sets", () => {
    for (const bad of ["0", "x:y", "4294967296", "", "1:", ",", "1,,2", "1:2:3"]) {
      assert.throws(() => parseIdList(bad), SyntaxError, bad);
    }
  });

  it("MessageSet iteration needs last for *", () => {
    assert.throws(() => [...parseIdList("1:*")], TypeError);
  });

  it("parseIdList() round-trips through toString (property)", () => {
    const id = fc.integer({ min: 1, max: 4294967295 });
    fc.assert(
      fc.property(fc.array(fc.tuple(id, id), { minLength: 1, maxLength: 10 }), (ranges) => {
        const set = new MessageSet();
        for (const [a, b] of ranges) set.add(a, b);
        const again = parseIdList(String(set));
        assert.deepEqual(again.ranges, set.ranges);
        for (const [a, b] of ranges) {
          assert.ok(again.contains(a) && again.contains(b));
        }
      }),
    );
  });
});

describe("modified UTF-7", () => {
  it("encodeMailboxName() and decodeMailboxName() follow RFC 3501 §5.1.3", () => {
    assert.equal(encodeMailboxName("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
    assert.equal(encodeMailboxName("a&b"), "a&-b");
    assert.equal(decodeMailboxName("Entw&APw-rfe"), "Entwürfe");
    assert.throws(() => decodeMailboxName("a&b"), SyntaxError);
  });

  it("decodeMailboxName(encodeMailboxName(x)) is x (property)", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 30 }), (name) => {
      assert.equal(decodeMailboxName(encodeMailboxName(name)), name);
    }));
  });
});

describe("command arguments", () => {
  it("parseFetchAttributes() reads macros, sections and partials", () => {
    assert.equal(parseFetchAttributes(scan("FAST")).length, 3);
    const atts = parseFetchAttributes(
      scan('(UID FLAGS BODY.PEEK[1.2.HEADER.FIELDS (To "From")]<10.20> BODY[] RFC822.SIZE BODY)'),
    );
    assert.deepEqual(atts[2], {
      kind: "BODY[]",
      peek: true,
      section: { part: [1, 2], text: "HEADER.FIELDS", fields: ["TO", "FROM"] },
      partial: [10, 20],
    });
    assert.deepEqual(atts.map((a) => a.kind), [
      "UID",
      "FLAGS",
      "BODY[]",
      "BODY[]",
      "RFC822.SIZE",
      "BODY",
    ]);
    for (
      const bad of ["(", "BODY[X]", "BODY[0]", "BODY[MIME]", "(UID", "FOO", "BODY[]<1.0>", "()"]
    ) {
      assert.throws(() => parseFetchAttributes(scan(bad)), IllegalClientResponse, bad);
    }
  });

  it("parseSearchKeys() reads OR, NOT, nesting, sets, dates, sizes and headers", () => {
    const key = parseSearchKeys(
      scan(
        'OR FROM alice (SUBJECT "hi there" UNSEEN) NOT 1:5 SINCE 1-Feb-1994 LARGER 100 HEADER X-A b UID 3,*',
      ),
    );
    assert.equal(key.op, "AND");
    if (key.op !== "AND") return;
    assert.deepEqual(key.keys.map((k) => k.op), ["OR", "NOT", "DATE", "SIZE", "HEADER", "UID"]);
    for (const bad of ["", "FOO", "OR A", "SINCE 99-Foo-1", "(", "()", "NOT", "LARGER x"]) {
      assert.throws(() => parseSearchKeys(scan(bad)), IllegalClientResponse, bad);
    }
    assert.throws(() => parseSearchKeys(scan("NOT ".repeat(100) + "ALL")), /too deep/);
  });

  it("the argument parsers throw only IllegalClientResponse on mutated input (property)", () => {
    const seeds = [
      "(UID BODY.PEEK[1.HEADER.FIELDS (To)]<0.10>)",
      'OR FROM a (SUBJECT "x" NOT SEEN) 1:* SINCE 1-Jan-2020',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.nat(60),
        fc.string({ maxLength: 4 }),
        fc.nat(4),
        (seed, at, insert, cut) => {
          const text = seed.slice(0, at) + insert + seed.slice(at + cut);
          for (const parse of [parseFetchAttributes, parseSearchKeys]) {
            try {
              parse(scan(text));
            } catch (e) {
              assert.ok(e instanceof IllegalClientResponse, `${text}: ${e}`);
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("parseFlagList() reads lists and bare flags; parseDateTime() reads date-time", () => {
    assert.deepEqual(parseFlagList(scan("(\\SEEN $Label)")), ["\\Seen", "$Label"]);
    assert.deepEqual(parseFlagList(scan("\\Deleted \\Flagged"), true), ["\\Deleted", "\\Flagged"]);
    assert.throws(() => parseFlagList(scan("(\\Seen \\Important)")), /Invalid system flag/);
    assert.equal(
      parseDateTime(scan('"17-Jul-1996 02:44:25 -0700"')).toISOString(),
      "1996-07-17T09:44:25.000Z",
    );
    assert.throws(() => parseDateTime(scan('"17-Foo-1996 02:44:25 -0700"')), IllegalClientResponse);
  });
});
