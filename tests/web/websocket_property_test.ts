/**
 * Properties of the WebSocket server under any input after the handshake:
 * valid messages survive any fragmentation and chunking; hostile or random
 * bytes end in a close frame with a fitting code and a closed connection,
 * never an exception escaping, a hang, or more buffered than the limits allow.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { flushLoggedErrors, trackLeaks } from "../../src/testing/mod.ts";
import {
  encodeClosePayload,
  encodeFrame,
  FrameReader,
  isValidCloseCode,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_PONG,
  OP_TEXT,
} from "../../src/web/_websocket_frame.ts";
import { closeCode, openConn, Recorder, te } from "./_websocket_helpers.ts";

trackLeaks({ beforeEach, afterEach });

const MASK = new Uint8Array([0xa1, 0xb2, 0xc3, 0xd4]);
const frame = (op: number, payload: Uint8Array | string, fin = true): Uint8Array =>
  encodeFrame(op, typeof payload === "string" ? te.encode(payload) : payload, fin, MASK)[0];

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Splits `bytes` at the given cut sizes (cycled). */
function chunk(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length];
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

const MAX_MESSAGE = 2048;
const MAX_FRAME = 1024;

describe("WebSocket server properties", () => {
  it("delivers any messages intact whatever their fragmentation and chunking", () => {
    const message = fc.oneof(
      fc.string({ maxLength: 300 }).map((s) => ({ text: true, data: te.encode(s) })),
      fc.uint8Array({ maxLength: 300 }).map((d) => ({ text: false, data: d })),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(message, fc.integer({ min: 1, max: 400 }), fc.boolean()), {
          maxLength: 8,
        }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 6 }),
        (messages, cuts) => {
          const c = openConn(Recorder, { maxMessageSize: MAX_MESSAGE, maxFrameSize: MAX_FRAME });
          const parts: Uint8Array[] = [];
          for (const [{ text, data }, size, ping] of messages) {
            for (let at = 0; at === 0 || at < data.length; at += size) {
              const end = Math.min(at + size, data.length);
              const op = at === 0 ? (text ? OP_TEXT : OP_BINARY) : OP_CONTINUATION;
              parts.push(frame(op, data.subarray(at, end), end === data.length));
              if (ping) parts.push(frame(OP_PING, "p"));
            }
          }
          for (const piece of chunk(join(parts), cuts)) c.raw(piece);
          const got = c.protocol.messages.map((
            [p, b],
          ) => [typeof p === "string" ? te.encode(p) : p, b]);
          assert.deepEqual(got, messages.map(([{ text, data }]) => [data, !text]));
          assert.equal(c.disconnected(), false);
          c.served.transport.loseConnection();
          assert.equal(c.protocol.closes.length, 1);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("ends any hostile byte stream cleanly, within its limits", () => {
    const token = fc.oneof(
      fc.constantFrom(
        frame(OP_TEXT, "hi"),
        frame(OP_BINARY, new Uint8Array([1, 2, 3])),
        frame(OP_TEXT, "frag", false),
        frame(OP_CONTINUATION, "ment", false),
        frame(OP_CONTINUATION, "end"),
        frame(OP_PING, "ping"),
        frame(OP_PONG, "pong"),
        frame(OP_CLOSE, encodeClosePayload(1000, "bye")),
        frame(OP_CLOSE, encodeClosePayload(4000, "")),
        frame(OP_CLOSE, new Uint8Array([0x03])),
        frame(OP_TEXT, new Uint8Array([0xff, 0xfe])),
        frame(OP_BINARY, new Uint8Array(MAX_FRAME + 1)),
        encodeFrame(OP_TEXT, te.encode("unmasked"))[0],
        new Uint8Array([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]), // 4 GiB announced
        new Uint8Array([0x82, 0xfe, 0x03, 0xff, 1, 2, 3, 4]), // 1023 bytes announced
        new Uint8Array([0x81]),
      ),
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
    );
    fc.assert(
      fc.property(
        fc.array(token, { maxLength: 25 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 6 }),
        (tokens, cuts) => {
          const c = openConn(Recorder, { maxMessageSize: MAX_MESSAGE, maxFrameSize: MAX_FRAME });
          for (const piece of chunk(join(tokens), cuts)) {
            c.raw(piece); // must never throw
            assert.ok(
              c.protocol.bufferedIncoming <= MAX_MESSAGE + MAX_FRAME + 14,
              `holds ${c.protocol.bufferedIncoming} bytes`,
            );
          }
          const frames = c.frames(); // the server's output is well-formed, unmasked frames
          const closes = frames.filter((f) => f.opcode === OP_CLOSE);
          assert.ok(closes.length <= 1, "at most one close frame");
          if (closes.length === 1) {
            assert.equal(frames.at(-1)!.opcode, OP_CLOSE, "nothing after the close frame");
            const code = closeCode(closes[0]);
            assert.ok(code === null || isValidCloseCode(code), `close code ${code}`);
            assert.equal(c.disconnected(), true, "the server closes TCP after its close frame");
          } else {
            // Still open: only waiting for more bytes of a frame.
            assert.equal(c.disconnected(), false);
            c.served.transport.loseConnection();
          }
          // A hang would leave a timer: the clock must have nothing pending.
          assert.equal(c.clock.getDelayedCalls().length, 0);
          assert.equal(c.protocol.closes.length, 1, "onClose exactly once");
          assert.equal(flushLoggedErrors().length, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never lets a reader buffer past its limit, however the header is split", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 65536, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 13 }),
        (len, cut) => {
          const reader = new FrameReader({ expectMasked: true, limit: () => MAX_FRAME });
          const head = new Uint8Array(14);
          head[0] = 0x82;
          head[1] = 0xff;
          new DataView(head.buffer).setBigUint64(2, BigInt(len));
          reader.push(head.slice(0, cut));
          assert.equal(reader.next(), null);
          reader.push(head.slice(cut));
          assert.throws(() => reader.next(), (e: { code?: number }) => e.code === 1009);
        },
      ),
    );
  });
});
