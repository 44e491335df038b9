/**
 * HPACK (RFC 7541): the decoder against the examples of Appendix C (with and
 * without Huffman, requests and responses, the dynamic table's contents and
 * size after each block), Huffman round trips, our encoder read back by our
 * decoder, the limits (the HPACK bomb), and any bytes giving headers or a
 * CompressionError, never another exception.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CompressionError,
  type HeaderField,
  HpackDecoder,
  HpackEncoder,
} from "../../../src/web/http2/_hpack.ts";
import { huffmanDecode, huffmanEncode, HuffmanError } from "../../../src/web/http2/_huffman.ts";

const hex = (s: string): Uint8Array =>
  Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));

const REQ1: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "http"],
  [":path", "/"],
  [":authority", "www.example.com"],
];
const REQ2: HeaderField[] = [...REQ1, ["cache-control", "no-cache"]];
const REQ3: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/index.html"],
  [":authority", "www.example.com"],
  ["custom-key", "custom-value"],
];
const DATE1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const RES1: HeaderField[] = [
  [":status", "302"],
  ["cache-control", "private"],
  ["date", DATE1],
  ["location", "https://www.example.com"],
];
const RES2: HeaderField[] = [[":status", "307"], ...RES1.slice(1)];
const RES3: HeaderField[] = [
  [":status", "200"],
  ["cache-control", "private"],
  ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
  ["location", "https://www.example.com"],
  ["content-encoding", "gzip"],
  ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
];

function runVectors(
  blocks: string[],
  expected: HeaderField[][],
  sizes: number[],
  tableSize: number,
): HpackDecoder {
  const decoder = new HpackDecoder(tableSize);
  blocks.forEach((block, i) => {
    const out = decoder.decode(hex(block));
    assert.deepEqual(out.headers, expected[i]);
    assert.equal(out.tooLarge, false);
    assert.equal(decoder.tableSize, sizes[i]);
  });
  return decoder;
}

describe("HpackDecoder against RFC 7541 Appendix C", () => {
  it("decodes C.2.1-C.2.4 (single representations)", () => {
    const d = new HpackDecoder();
    assert.deepEqual(
      d.decode(hex("400a637573746f6d2d6b65790d637573746f6d2d686561646572")).headers,
      [["custom-key", "custom-header"]],
    );
    assert.equal(d.tableSize, 55);
    assert.deepEqual(d.decode(hex("040c2f73616d706c652f70617468")).headers, [[
      ":path",
      "/sample/path",
    ]]);
    assert.deepEqual(d.decode(hex("100870617373776f726406736563726574")).headers, [[
      "password",
      "secret",
    ]]);
    assert.deepEqual(d.decode(hex("82")).headers, [[":method", "GET"]]);
    assert.equal(d.tableSize, 55); // only C.2.1 indexed
  });

  it("decodes the requests of C.3 (no Huffman)", () => {
    const d = runVectors(
      [
        "828684410f7777772e6578616d706c652e636f6d",
        "828684be58086e6f2d6361636865",
        "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
      ],
      [REQ1, REQ2, REQ3],
      [57, 110, 164],
      4096,
    );
    assert.deepEqual(d.tableEntries, [
      ["custom-key", "custom-value"],
      ["cache-control", "no-cache"],
      [":authority", "www.example.com"],
    ]);
  });

  it("decodes the requests of C.4 (Huffman)", () => {
    runVectors(
      [
        "828684418cf1e3c2e5f23a6ba0ab90f4ff",
        "828684be5886a8eb10649cbf",
        "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
      ],
      [REQ1, REQ2, REQ3],
      [57, 110, 164],
      4096,
    );
  });

  it("decodes the responses of C.5 with a 256-byte table (evictions)", () => {
    const d = new HpackDecoder(256);
    d.decode(hex("3fe101")); // the encoder's size update to 256
    const blocks = [
      "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
      "4803333037c1c0bf",
      "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31",
    ];
    const expected = [RES1, RES2, RES3];
    const sizes = [222, 222, 215];
    blocks.forEach((b, i) => {
      assert.deepEqual(d.decode(hex(b)).headers, expected[i]);
      assert.equal(d.tableSize, sizes[i]);
    });
    assert.deepEqual(d.tableEntries.map((e) => e[0]), ["set-cookie", "content-encoding", "date"]);
  });

  it("decodes the responses of C.6 (Huffman, 256-byte table)", () => {
    runVectors(
      [
        "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
        "4883640effc1c0bf",
        "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
      ],
      [RES1, RES2, RES3],
      [222, 222, 215],
      256,
    );
  });
});

describe("HpackDecoder limits and errors", () => {
  it("refuses index 0, an index past the table, and a size update over the limit", () => {
    assert.throws(() => new HpackDecoder().decode(hex("80")), CompressionError);
    assert.throws(() => new HpackDecoder().decode(hex("be")), CompressionError);
    assert.throws(() => new HpackDecoder(4096).decode(hex("3fe21f")), CompressionError);
  });

  it("refuses a size update after a header field, and truncated strings and integers", () => {
    assert.throws(() => new HpackDecoder().decode(hex("8220")), CompressionError);
    assert.throws(() => new HpackDecoder().decode(hex("400a6375")), CompressionError);
    assert.throws(() => new HpackDecoder().decode(hex("ff")), CompressionError);
    assert.throws(() => new HpackDecoder().decode(hex("ffffffffffff7f")), CompressionError);
  });

  it("bounds the decoded list while decoding (HPACK bomb) and keeps the table in step", () => {
    const d = new HpackDecoder();
    // One 4000-byte value indexed, then 1000 references to it: 4 MB decoded from 1 KB.
    const value = "x".repeat(4000);
    // Literal with incremental indexing, new name "bomb", a 4000-byte value.
    const first = new Uint8Array([
      0x40,
      4,
      ...new TextEncoder().encode("bomb"),
      0x7f,
      0xa1,
      0x1e,
      ...new TextEncoder().encode(value),
    ]);
    const refs = new Uint8Array(1000).fill(0xbe); // index 62: the newest entry
    const block = new Uint8Array(first.length + refs.length);
    block.set(first);
    block.set(refs, first.length);
    const out = d.decode(block, 16384);
    assert.equal(out.tooLarge, true);
    assert.ok(out.headers.length <= 4, `kept ${out.headers.length} fields`);
    assert.equal(out.size, 1001 * (4 + 4000 + 32));
    // The table still holds the entry: the next block can refer to it.
    assert.deepEqual(d.decode(hex("be")).headers, [["bomb", value]]);
  });
});

describe("Huffman", () => {
  it("round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const encoded = huffmanEncode(bytes);
        const decoded = huffmanDecode(encoded, 0, encoded.length);
        assert.deepEqual(Uint8Array.from(decoded, (c) => c.charCodeAt(0)), bytes);
      }),
      { numRuns: 300 },
    );
  });

  it("encodes www.example.com as RFC 7541 C.4.1 does", () => {
    const out = huffmanEncode(new TextEncoder().encode("www.example.com"));
    assert.deepEqual(out, hex("f1e3c2e5f23a6ba0ab90f4ff"));
  });

  it("refuses padding longer than 7 bits or not all ones, and EOS", () => {
    assert.throws(() => huffmanDecode(hex("ffff"), 0, 2), HuffmanError); // 16 bits of EOS prefix
    assert.throws(() => huffmanDecode(hex("00"), 0, 1), HuffmanError); // '0' then 0-bit padding
    assert.throws(() => huffmanDecode(hex("fffffffc"), 0, 4), HuffmanError); // EOS
  });
});

describe("HpackEncoder", () => {
  it("is read back by the decoder, block after block, with the table in use", () => {
    const enc = new HpackEncoder();
    const dec = new HpackDecoder();
    const lists: HeaderField[][] = [
      [[":status", "200"], ["content-type", "text/html"], ["server", "tw"], ["date", DATE1]],
      [[":status", "200"], ["content-type", "text/html"], ["server", "tw"], ["date", DATE1]],
      [[":status", "404"], ["set-cookie", "a=b"], ["x-ü", "välue"], ["content-length", "12"]],
    ];
    const sizes: number[] = [];
    for (const list of lists) {
      const block = enc.encode(list);
      sizes.push(block.length);
      assert.deepEqual(dec.decode(block).headers, list);
    }
    assert.ok(sizes[1] <= 4, `a repeated head is indexed: ${sizes[1]} bytes`);
  });

  it("announces a smaller table and keeps in step with a decoder of that size", () => {
    const enc = new HpackEncoder();
    const dec = new HpackDecoder(4096);
    enc.encode([["x-a", "1"]]); // unseen by the decoder: the next block resets the table
    enc.setMaxTableSize(0);
    enc.setMaxTableSize(100);
    const block = enc.encode([["x-b", "2"], ["x-c", "3".repeat(60)]]);
    assert.deepEqual(dec.decode(block).headers, [["x-b", "2"], ["x-c", "3".repeat(60)]]);
    assert.ok(dec.tableSize <= 100);
  });

  it("round-trips any header lists through one encoder and decoder", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
    const value = fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, "a"));
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(name, value), { maxLength: 12 }), { maxLength: 6 }),
        (lists) => {
          const enc = new HpackEncoder();
          const dec = new HpackDecoder();
          for (const list of lists) {
            assert.deepEqual(dec.decode(enc.encode(list as HeaderField[])).headers, list);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("HpackDecoder under any bytes", () => {
  it("gives headers or a CompressionError, never another exception", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 4 }), (blocks) => {
        const d = new HpackDecoder();
        for (const b of blocks) {
          try {
            const out = d.decode(b, 1024);
            assert.ok(d.tableSize <= 4096);
            assert.ok(out.headers.reduce((n, [a, v]) => n + a.length + v.length + 32, 0) <= 1024);
          } catch (e) {
            if (!(e instanceof CompressionError)) throw e;
            return;
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
