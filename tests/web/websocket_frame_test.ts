import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  applyMask,
  decodeClosePayload,
  encodeClosePayload,
  encodeFrame,
  type Frame,
  FrameError,
  FrameReader,
  isValidCloseCode,
  OP_BINARY,
  OP_CONTINUATION,
  OP_PING,
  OP_PONG,
  OP_TEXT,
} from "../../src/web/_websocket_frame.ts";
import {
  acceptKey,
  hasToken,
  headerTokens,
  isValidKey,
  makeKey,
  parseResponseHead,
  sha1,
} from "../../src/web/_websocket_handshake.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
const td = new TextDecoder();
const KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

function join(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function readAll(reader: FrameReader): Frame[] {
  const frames: Frame[] = [];
  for (let f = reader.next(); f !== null; f = reader.next()) frames.push(f);
  return frames;
}

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

describe("encodeFrame()", () => {
  it("encodes the unmasked Hello text frame of RFC 6455 5.7", () => {
    assert.equal(hex(join(encodeFrame(OP_TEXT, te.encode("Hello")))), "81 05 48 65 6c 6c 6f");
  });

  it("encodes the masked Hello text frame of RFC 6455 5.7", () => {
    assert.equal(
      hex(join(encodeFrame(OP_TEXT, te.encode("Hello"), true, KEY))),
      "81 85 37 fa 21 3d 7f 9f 4d 51 58",
    );
  });

  it("encodes the fragmented Hel/lo frames and the ping and masked pong of RFC 6455 5.7", () => {
    assert.equal(hex(join(encodeFrame(OP_TEXT, te.encode("Hel"), false))), "01 03 48 65 6c");
    assert.equal(hex(join(encodeFrame(OP_CONTINUATION, te.encode("lo"), true))), "80 02 6c 6f");
    assert.equal(hex(join(encodeFrame(OP_PING, te.encode("Hello")))), "89 05 48 65 6c 6c 6f");
    assert.equal(
      hex(join(encodeFrame(OP_PONG, te.encode("Hello"), true, KEY))),
      "8a 85 37 fa 21 3d 7f 9f 4d 51 58",
    );
  });

  it("uses the 16-bit length for 256 bytes and the 64-bit length for 64 KiB", () => {
    const f256 = join(encodeFrame(OP_BINARY, new Uint8Array(256)));
    assert.equal(hex(f256.subarray(0, 4)), "82 7e 01 00");
    assert.equal(f256.length, 260);
    const big = encodeFrame(OP_BINARY, new Uint8Array(65536));
    assert.equal(big.length, 2, "a large unmasked payload is written after its header, not copied");
    assert.equal(hex(big[0]), "82 7f 00 00 00 00 00 01 00 00");
  });

  it("does not modify the caller's payload when masking", () => {
    const payload = te.encode("Hello world, a longer payload for the word loop");
    const copy = payload.slice();
    encodeFrame(OP_TEXT, payload, true, KEY);
    assert.deepEqual(payload, copy);
  });
});

describe("applyMask()", () => {
  it("is its own inverse at every length and alignment", () => {
    for (const len of [0, 1, 3, 4, 15, 16, 17, 100]) {
      for (const off of [0, 1, 2, 3]) {
        const buf = new Uint8Array(len + off);
        for (let i = 0; i < buf.length; i++) buf[i] = (i * 31) & 0xff;
        const view = buf.subarray(off);
        const orig = view.slice();
        applyMask(view, KEY);
        if (len > 0) assert.notDeepEqual(view, orig);
        for (let i = 0; i < len; i++) assert.equal(view[i], orig[i] ^ KEY[i & 3]);
        applyMask(view, KEY);
        assert.deepEqual(view, orig);
      }
    }
  });
});

describe("FrameReader", () => {
  const server = (limit = 1 << 20): FrameReader =>
    new FrameReader({ expectMasked: true, limit: () => limit });
  const client = (limit = 1 << 20): FrameReader =>
    new FrameReader({ expectMasked: false, limit: () => limit });

  it("decodes the RFC's masked Hello fed one byte at a time", () => {
    const reader = server();
    const bytes = join(encodeFrame(OP_TEXT, te.encode("Hello"), true, KEY));
    const frames: Frame[] = [];
    for (const b of bytes) {
      reader.push(new Uint8Array([b]));
      frames.push(...readAll(reader));
    }
    assert.equal(frames.length, 1);
    assert.equal(frames[0].opcode, OP_TEXT);
    assert.equal(frames[0].fin, true);
    assert.equal(td.decode(frames[0].payload), "Hello");
  });

  it("decodes several frames from one chunk, including 16- and 64-bit lengths", () => {
    const reader = client();
    const big = new Uint8Array(70000).fill(7);
    reader.push(join([
      ...encodeFrame(OP_TEXT, te.encode("Hel"), false),
      ...encodeFrame(OP_CONTINUATION, te.encode("lo"), true),
      ...encodeFrame(OP_BINARY, new Uint8Array(300).fill(1)),
      ...encodeFrame(OP_BINARY, big),
      ...encodeFrame(OP_PING, te.encode("p")),
    ]));
    const frames = readAll(reader);
    assert.deepEqual(frames.map((f) => [f.opcode, f.fin, f.payload.length]), [
      [OP_TEXT, false, 3],
      [OP_CONTINUATION, true, 2],
      [OP_BINARY, true, 300],
      [OP_BINARY, true, 70000],
      [OP_PING, true, 1],
    ]);
    assert.deepEqual(frames[3].payload, big);
    assert.equal(reader.buffered, 0);
  });

  const failures: [string, Uint8Array, number, boolean][] = [
    ["an unmasked frame sent to a server", new Uint8Array([0x81, 0x00]), 1002, true],
    ["a masked frame sent to a client", new Uint8Array([0x81, 0x80, 1, 2, 3, 4]), 1002, false],
    ["reserved bits", new Uint8Array([0xc1, 0x80, 0, 0, 0, 0]), 1002, true],
    ["a reserved data opcode", new Uint8Array([0x83, 0x80, 0, 0, 0, 0]), 1002, true],
    ["a reserved control opcode", new Uint8Array([0x8b, 0x80, 0, 0, 0, 0]), 1002, true],
    ["a fragmented ping", new Uint8Array([0x09, 0x80, 0, 0, 0, 0]), 1002, true],
    ["a ping over 125 bytes", new Uint8Array([0x89, 0xfe, 0, 126]), 1002, true],
    [
      "a 64-bit length with the high bit",
      new Uint8Array([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]),
      1002,
      true,
    ],
    ["a non-minimal 16-bit length", new Uint8Array([0x82, 0xfe, 0, 5, 0, 0, 0, 0]), 1002, true],
  ];
  for (const [what, bytes, code, isServer] of failures) {
    it(`rejects ${what} with ${code}`, () => {
      const reader = isServer ? server() : client();
      reader.push(bytes);
      assert.throws(
        () => reader.next(),
        (e: unknown) => e instanceof FrameError && e.code === code,
      );
    });
  }

  it("rejects a frame over the limit with 1009 as soon as its header arrives", () => {
    const reader = server(1000);
    // A header announcing 1 MiB; none of the payload has been sent.
    reader.push(new Uint8Array([0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4]));
    assert.throws(
      () => reader.next(),
      (e: unknown) => e instanceof FrameError && e.code === 1009 && /1048576/.test(e.message),
    );
  });

  it("asks the limit for each data frame's opcode, not for control frames", () => {
    const asked: number[] = [];
    const reader = new FrameReader({
      expectMasked: false,
      limit: (op) => {
        asked.push(op);
        return 10;
      },
    });
    reader.push(
      join([
        ...encodeFrame(OP_PING, new Uint8Array(100)),
        ...encodeFrame(OP_CONTINUATION, new Uint8Array(3)),
      ]),
    );
    assert.equal(readAll(reader).length, 2);
    assert.deepEqual(asked, [OP_CONTINUATION]);
  });
});

describe("close payloads", () => {
  it("round-trips a code and a reason", () => {
    const p = encodeClosePayload(4001, "bye ✓");
    assert.deepEqual(decodeClosePayload(p), { code: 4001, reason: "bye ✓" });
    assert.deepEqual(decodeClosePayload(encodeClosePayload(null)), { code: null, reason: "" });
  });

  it("rejects a 1-byte payload, invalid codes and a reason that is not UTF-8", () => {
    const bad = (b: number[], code: number): void =>
      assert.throws(
        () => decodeClosePayload(new Uint8Array(b)),
        (e: unknown) => e instanceof FrameError && e.code === code,
      );
    bad([3], 1002);
    bad([0x03, 0xed], 1002); // 1005 may not be sent
    bad([0x03, 0xee], 1002); // 1006 neither
    bad([0x00, 0x00], 1002);
    bad([0x13, 0x88], 1002); // 5000
    bad([0x03, 0xe8, 0xff], 1007);
  });

  it("knows which codes a peer may send", () => {
    for (
      const c of [
        1000,
        1001,
        1002,
        1003,
        1007,
        1008,
        1009,
        1010,
        1011,
        1012,
        1013,
        1014,
        3000,
        4999,
      ]
    ) {
      assert.equal(isValidCloseCode(c), true, String(c));
    }
    for (const c of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000]) {
      assert.equal(isValidCloseCode(c), false, String(c));
    }
  });
});

describe("handshake helpers", () => {
  it("computes SHA-1 test vectors", () => {
    assert.equal(
      hex(sha1(te.encode("abc"))).replaceAll(" ", ""),
      "a9993e364706816aba3e25717850c26c9cd0d89d",
    );
    assert.equal(
      hex(sha1(new Uint8Array(0))).replaceAll(" ", ""),
      "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    );
    const million = new Uint8Array(1000000).fill(0x61);
    assert.equal(
      hex(sha1(million)).replaceAll(" ", ""),
      "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
    );
  });

  it("computes the Sec-WebSocket-Accept of RFC 6455 1.3", () => {
    assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  it("makes random valid keys and recognizes invalid ones", () => {
    const a = makeKey();
    assert.equal(isValidKey(a), true);
    assert.notEqual(a, makeKey());
    assert.equal(isValidKey("dGhlIHNhbXBsZSBub25jZQ=="), true);
    assert.equal(isValidKey("c2hvcnQ="), false);
    assert.equal(isValidKey("dGhlIHNhbXBsZSBub25jZQ"), false);
    assert.equal(isValidKey(""), false);
  });

  it("splits header tokens and matches them without case", () => {
    assert.deepEqual(headerTokens(["chat, superchat", " x ,,"]), ["chat", "superchat", "x"]);
    assert.equal(hasToken(["keep-alive, Upgrade"], "upgrade"), true);
    assert.equal(hasToken(["keep-alive"], "upgrade"), false);
    assert.equal(hasToken(null, "upgrade"), false);
  });

  it("parses a response head and rejects a bad status line", () => {
    const head = parseResponseHead(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX: 1\r\nx: 2",
    );
    assert.equal(head.code, 101);
    assert.equal(head.message, "Switching Protocols");
    assert.deepEqual(head.headers.get("x"), ["1", "2"]);
    assert.throws(() => parseResponseHead("HTTP/2 101\r\n"), SyntaxError);
    assert.throws(() => parseResponseHead("HTTP/1.1 101 OK\r\nnocolon"), SyntaxError);
  });
});
