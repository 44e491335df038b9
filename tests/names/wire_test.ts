// The DNS codec: nsd's real replies decode to what dig prints, our queries
// are byte-identical to a reference encoder's, names compress and decode
// safely, truncation keeps whole RRsets and OPT, and no input crashes it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  A,
  AAAA,
  CAA,
  DNSFormatError,
  EBADVERSION,
  IN,
  Message,
  MX,
  Name,
  Query,
  Record_A,
  Record_AAAA,
  Record_CNAME,
  Record_MX,
  Record_NS,
  Record_SOA,
  Record_SRV,
  Record_TXT,
  RRHeader,
  TXT,
  typeFromText,
} from "../../src/names/mod.ts";

interface Fixture {
  name: string;
  type: string;
  edns: boolean;
  query: string;
  reply: string;
  dig: string[];
}

const fixtures: Fixture[] = JSON.parse(
  new TextDecoder().decode(
    await (await import("node:fs/promises")).readFile(
      new URL("./fixtures/nsd_answers.json", import.meta.url),
    ),
  ),
);

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

function records(m: Message): string[] {
  return [...m.answers, ...m.authority, ...m.additional].map((rr) =>
    rr.toString().split(/\s+/).join(" ")
  );
}

describe("Message.fromStr() on nsd's replies", () => {
  for (const f of fixtures) {
    it(`decodes ${f.name} ${f.type}${f.edns ? " with EDNS" : ""} to what dig prints`, () => {
      const m = Message.fromStr(fromHex(f.reply));
      assert.deepEqual(records(m), f.dig);
      assert.equal(m.answer, true);
      assert.equal(m.ednsVersion, f.edns ? 0 : null);
    });
  }

  it("re-encodes every reply to bytes that decode to the same records", () => {
    for (const f of fixtures) {
      const m = Message.fromStr(fromHex(f.reply));
      const again = Message.fromStr(m.toStr());
      assert.deepEqual(records(again), records(m), `${f.name} ${f.type}`);
      assert.equal(again.rCode, m.rCode);
      assert.equal(again.auth, m.auth);
    }
  });

  it("re-encodes nsd's replies to no more bytes than nsd sent (names compressed)", () => {
    for (const f of fixtures) {
      const bytes = fromHex(f.reply);
      assert.ok(Message.fromStr(bytes).toStr().length <= bytes.length, `${f.name} ${f.type}`);
    }
  });

  it("encodes each query to the same bytes as the reference encoder", () => {
    for (const f of fixtures) {
      const bytes = fromHex(f.query);
      const ours = new Message({
        id: (bytes[0] << 8) | bytes[1],
        queries: [new Query(f.name, typeFromText(f.type)!, IN)],
        ednsVersion: f.edns ? 0 : null,
        maxSize: 1232,
      });
      assert.deepEqual(ours.toStr(), bytes, `${f.name} ${f.type}`);
    }
  });

  it("reads NXDOMAIN's SOA and rcode", () => {
    const f = fixtures.find((x) => x.name.startsWith("nothere"))!;
    const m = Message.fromStr(fromHex(f.reply));
    assert.equal(m.rCode, 3);
    assert.equal(m.authority[0].payload instanceof Record_SOA, true);
  });
});

describe("Name", () => {
  it("keeps escapes in its text form and compares ignoring ASCII case", () => {
    const n = new Name("A\\.b.Example.COM.");
    assert.equal(n.name, "A\\.b.Example.COM");
    assert.equal(n.labels().length, 3);
    assert.deepEqual([...n.labels()[0]], [0x41, 0x2e, 0x62]);
    assert.ok(n.equals("a\\.B.example.com"));
    assert.ok(!n.equals("a.b.example.com"));
  });

  it("reads \\DDD escapes and writes unprintable bytes back as \\DDD", () => {
    const n = new Name("\\000\\255x.example");
    assert.deepEqual([...n.labels()[0]], [0, 255, 0x78]);
    const m = new Message({ queries: [new Query(n)] });
    assert.equal(Message.fromStr(m.toStr()).queries[0].name.name, "\\000\\255x.example");
  });

  it("knows its parents", () => {
    assert.ok(new Name("www.example.com").isSubdomainOf("example.com"));
    assert.ok(new Name("example.com").isSubdomainOf("EXAMPLE.com."));
    assert.ok(new Name("example.com").isSubdomainOf(""));
    assert.ok(!new Name("badexample.com").isSubdomainOf("example.com"));
    assert.ok(!new Name("a\\.example.com").isSubdomainOf("example.com"));
    assert.ok(new Name("x.a\\.example.com").isSubdomainOf("A\\.example.com"));
    assert.ok(!new Name("x.a\\.b").isSubdomainOf("b"));
  });

  it("refuses empty labels, labels over 63 bytes and names over 255", () => {
    assert.throws(() => new Name("a..b"), SyntaxError);
    assert.throws(() => new Name("a.."), SyntaxError);
    assert.throws(() => new Name("x".repeat(64) + ".com"), SyntaxError);
    assert.doesNotThrow(() => new Name("x".repeat(63) + ".com"));
    const long = Array.from({ length: 5 }, () => "y".repeat(50)).join(".");
    assert.throws(() => new Name(long), SyntaxError);
    assert.throws(() => new Name("bad\\"), SyntaxError);
  });

  it("treats the root as the empty name", () => {
    assert.equal(new Name(".").name, "");
    assert.equal(new Name("").labels().length, 0);
  });
});

/** A message with a header and one question for `example.com A`, then `rest`. */
function withQuestion(counts: number[], rest: number[]): Uint8Array {
  return Uint8Array.from([
    0x12,
    0x34,
    0x81,
    0x00,
    0,
    1,
    0,
    counts[0],
    0,
    counts[1],
    0,
    counts[2],
    7,
    ...[..."example"].map((c) => c.charCodeAt(0)),
    3,
    0x63,
    0x6f,
    0x6d,
    0,
    0,
    1,
    0,
    1,
    ...rest,
  ]);
}

describe("Message.fromStr() on hostile input", () => {
  const rr = (name: number[], type: number, rdata: number[]) => [
    ...name,
    type >> 8,
    type & 0xff,
    0,
    1,
    0,
    0,
    0,
    60,
    rdata.length >> 8,
    rdata.length & 0xff,
    ...rdata,
  ];

  it("follows a backward pointer", () => {
    const m = Message.fromStr(withQuestion([1, 0, 0], rr([0xc0, 12], A, [1, 2, 3, 4])));
    assert.equal(m.answers[0].name.name, "example.com");
  });

  it("refuses a pointer to itself, forwards, or in a loop", () => {
    const self = withQuestion([1, 0, 0], []);
    const at = self.length;
    for (
      const name of [
        [0xc0 | (at >> 8), at & 0xff], // itself
        [0xc0, 0xff], // forward, past the end
        [0x01, 0x61, 0xc0 | (at >> 8), at & 0xff], // loops back to its own start
      ]
    ) {
      assert.throws(
        () => Message.fromStr(withQuestion([1, 0, 0], rr(name, A, [1, 2, 3, 4]))),
        DNSFormatError,
      );
    }
  });

  it("refuses labels over 63 bytes, reserved label types and names over 255 bytes", () => {
    const long = [64, ...new Array(64).fill(0x61), 0];
    assert.throws(
      () => Message.fromStr(withQuestion([1, 0, 0], rr(long, A, [1, 2, 3, 4]))),
      DNSFormatError,
    );
    assert.throws(
      () => Message.fromStr(withQuestion([1, 0, 0], rr([0x41, 0], A, [1, 2, 3, 4]))),
      DNSFormatError,
    );
    const huge: number[] = [];
    for (let i = 0; i < 5; i++) huge.push(60, ...new Array(60).fill(0x62));
    huge.push(0);
    assert.throws(
      () => Message.fromStr(withQuestion([1, 0, 0], rr(huge, A, [1, 2, 3, 4]))),
      DNSFormatError,
    );
  });

  it("refuses counts beyond the data and RDATA past the end", () => {
    assert.throws(
      () => Message.fromStr(withQuestion([2, 0, 0], rr([0], A, [1, 2, 3, 4]))),
      DNSFormatError,
    );
    const cut = rr([0], A, [1, 2, 3, 4]).slice(0, -2);
    assert.throws(() => Message.fromStr(withQuestion([1, 0, 0], cut)), DNSFormatError);
    assert.throws(() => Message.fromStr(new Uint8Array(11)), DNSFormatError);
  });

  it("refuses RDATA of the wrong length for its type", () => {
    assert.throws(
      () => Message.fromStr(withQuestion([1, 0, 0], rr([0], A, [1, 2, 3]))),
      DNSFormatError,
    );
    assert.throws(
      () => Message.fromStr(withQuestion([1, 0, 0], rr([0], AAAA, [1, 2, 3, 4]))),
      DNSFormatError,
    );
    assert.throws(
      () => Message.fromStr(withQuestion([1, 0, 0], rr([0], MX, [0, 1, 0, 9]))),
      DNSFormatError,
    );
  });

  it("refuses a second OPT, or one outside the additional section", () => {
    const opt = rr([0], 41, []);
    assert.throws(() => Message.fromStr(withQuestion([0, 0, 2], [...opt, ...opt])), DNSFormatError);
    assert.throws(() => Message.fromStr(withQuestion([1, 0, 0], opt)), DNSFormatError);
  });

  it("keeps the whole records of a truncated (TC) reply", () => {
    const bytes = withQuestion([2, 0, 0], rr([0xc0, 12], A, [1, 2, 3, 4]));
    bytes[2] |= 2;
    const m = Message.fromStr(bytes);
    assert.equal(m.trunc, true);
    assert.equal(m.answers.length, 1);
  });

  it("gives a Message or a DNSFormatError for any bytes (fast-check)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          Message.fromStr(bytes);
        } catch (e) {
          if (!(e instanceof DNSFormatError)) throw e;
        }
      }),
      { numRuns: 50_000 },
    );
  });

  it("gives a Message or a DNSFormatError for every mutation of nsd's replies (fast-check)", () => {
    const replies = fixtures.map((f) => fromHex(f.reply));
    fc.assert(
      fc.property(
        fc.nat(replies.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.nat(),
        (which, edits, cut) => {
          const bytes = replies[which].slice(0, Math.max(12, replies[which].length - (cut % 40)));
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          try {
            const m = Message.fromStr(bytes);
            Message.fromStr(m.toStr()); // what we decoded, we can encode and read back
          } catch (e) {
            if (!(e instanceof DNSFormatError)) throw e;
          }
        },
      ),
      { numRuns: 50_000 },
    );
  });
});

describe("Message.toStr()", () => {
  const question = new Query("example.com", TXT);
  const txt = (i: number) =>
    new RRHeader({ name: "example.com", ttl: 60, payload: new Record_TXT(["x".repeat(200) + i]) });

  it("drops whole RRsets past the limit, sets TC and keeps OPT", () => {
    const m = new Message({
      id: 9,
      answer: true,
      queries: [question],
      answers: [txt(1), txt(2), txt(3)],
      ednsVersion: 0,
      maxSize: 1232,
    });
    const bytes = m.toStr(512);
    assert.ok(bytes.length <= 512);
    const back = Message.fromStr(bytes);
    assert.equal(back.trunc, true);
    assert.equal(back.answers.length, 0, "the TXT RRset does not fit: none of it is sent");
    assert.equal(back.ednsVersion, 0);
    assert.equal(Message.fromStr(m.toStr(4096)).answers.length, 3);
  });

  it("drops additional records without setting TC", () => {
    const m = new Message({
      answer: true,
      queries: [new Query("example.com", MX)],
      answers: [
        new RRHeader({ name: "example.com", payload: new Record_MX(10, "mx.example.com") }),
      ],
      additional: [txt(1), txt(2), txt(3)],
    });
    const back = Message.fromStr(m.toStr(512));
    assert.equal(back.trunc, false);
    assert.equal(back.answers.length, 1);
    assert.equal(back.additional.length, 0);
  });

  it("carries extended response codes in OPT", () => {
    const m = new Message({ answer: true, rCode: EBADVERSION, ednsVersion: 0 });
    const back = Message.fromStr(m.toStr());
    assert.equal(back.rCode, EBADVERSION);
  });

  it("writes DO, the UDP size and EDNS options, and reads them back", () => {
    const m = new Message({
      ednsVersion: 0,
      maxSize: 4096,
      dnssecOK: true,
      ednsOptions: [{ code: 10, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }],
    });
    const back = Message.fromStr(m.toStr());
    assert.equal(back.maxSize, 4096);
    assert.equal(back.dnssecOK, true);
    assert.deepEqual(back.ednsOptions, [{ code: 10, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }]);
    assert.equal(back.additional.length, 0);
  });

  it("round-trips random records of every shape (fast-check)", () => {
    const label = fc.stringMatching(/^[a-zA-Z0-9-]{1,12}$/);
    const name = fc.array(label, { minLength: 0, maxLength: 4 }).map((l) => l.join("."));
    const ttl = fc.integer({ min: 0, max: 0x7fffffff });
    const record = fc.oneof(
      fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) =>
        new Record_A(b.join("."))
      ),
      fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => new Record_AAAA(b)),
      name.map((n) => new Record_NS(n)),
      name.map((n) => new Record_CNAME(n)),
      fc.tuple(fc.nat(65535), name).map(([p, n]) => new Record_MX(p, n)),
      fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 3 }).map((d) =>
        new Record_TXT(d)
      ),
      fc.tuple(fc.nat(65535), fc.nat(65535), fc.nat(65535), name).map((
        [priority, weight, port, target],
      ) => new Record_SRV({ priority, weight, port, target })),
      fc.tuple(name, name, fc.nat()).map(([mname, rname, serial]) =>
        new Record_SOA({ mname, rname, serial, refresh: 1, retry: 2, expire: 3, minimum: 4 })
      ),
    );
    const rrs = fc.array(fc.tuple(name, ttl, record), { maxLength: 8 }).map((list) =>
      list.map(([n, t, payload]) => new RRHeader({ name: n, ttl: t, payload }))
    );
    fc.assert(
      fc.property(fc.nat(65535), rrs, rrs, (id, answers, additional) => {
        const m = new Message({
          id,
          answer: true,
          queries: [new Query("q.example", CAA)],
          answers,
          additional,
        });
        const back = Message.fromStr(m.toStr());
        assert.equal(back.id, id);
        // Compression points later names at earlier ones: case may follow the first.
        const lower = (list: string[]) => list.map((r) => r.toLowerCase());
        assert.deepEqual(lower(records(back)), lower(records(m)));
      }),
      { numRuns: 2000 },
    );
  });
});
