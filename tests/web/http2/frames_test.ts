/**
 * HTTP/2 framing: the writers read back by `FrameReader` under any
 * chunking, the frame size checked from the header alone, the payload
 * checks, and any bytes (to the reader, or to a whole connection after the
 * preface) giving frames or a connection error, never an exception, a hang
 * or an unbounded buffer.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { flushLoggedErrors, trackLeaks } from "../../../src/testing/mod.ts";
import {
  dataFrame,
  encodeFrame,
  ErrorCode,
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  goawayFrame,
  H2Error,
  headersFrames,
  parseSettings,
  PREFACE,
  settingsFrame,
  unpad,
} from "../../../src/web/http2/_frames.ts";
import { Resource } from "../../../src/web/resource.ts";
import { concat, H2Peer } from "./_h2_peer.ts";

trackLeaks({ beforeEach, afterEach });

function readAll(reader: FrameReader): Frame[] {
  const out: Frame[] = [];
  for (let f = reader.next(); f !== null; f = reader.next()) {
    out.push({ ...f, payload: f.payload.slice() });
  }
  return out;
}

const frameArb = fc.record({
  type: fc.integer({ min: 0, max: 12 }),
  flags: fc.integer({ min: 0, max: 255 }),
  streamId: fc.integer({ min: 0, max: 0x7fffffff }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

describe("FrameReader", () => {
  it("reads back written frames under any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 8 }),
        fc.integer({ min: 1, max: 50 }),
        (frames, step) => {
          const bytes = concat(
            frames.map((f) => encodeFrame(f.type, f.flags, f.streamId, f.payload)),
          );
          const reader = new FrameReader();
          const got: Frame[] = [];
          for (let at = 0; at < bytes.length; at += step) {
            reader.push(bytes.slice(at, at + step));
            got.push(...readAll(reader));
          }
          assert.deepEqual(got, frames.map((f) => ({ ...f })));
          assert.equal(reader.buffered, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a frame longer than its limit from the 9-byte header alone", () => {
    const reader = new FrameReader(16384);
    reader.push(new Uint8Array([0, 0x40, 0x01, 0, 0, 0, 0, 0, 1])); // 16385 bytes announced
    assert.throws(
      () => reader.next(),
      (e: unknown) =>
        e instanceof H2Error && e.code === ErrorCode.FRAME_SIZE_ERROR && e.streamId === 0,
    );
  });

  it("gives frames or an H2Error for any bytes, never more than one frame buffered", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 10 }), (chunks) => {
        const reader = new FrameReader(16384);
        for (const c of chunks) {
          reader.push(c);
          try {
            readAll(reader);
          } catch (e) {
            assert.ok(e instanceof H2Error);
            return;
          }
          assert.ok(reader.buffered <= 16384 + 9);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("frame payloads", () => {
  it("strips padding and priority, refusing padding as long as the payload", () => {
    const padded = {
      type: FrameType.DATA,
      flags: Flag.PADDED,
      streamId: 1,
      payload: new Uint8Array([2, 7, 0, 0]),
    };
    assert.deepEqual([...unpad(padded)], [7]);
    const bad = { ...padded, payload: new Uint8Array([4, 7, 0, 0]) };
    assert.throws(
      () => unpad(bad),
      (e: unknown) => e instanceof H2Error && e.code === ErrorCode.PROTOCOL_ERROR,
    );
    const prio = {
      type: FrameType.HEADERS,
      flags: Flag.PRIORITY,
      streamId: 3,
      payload: new Uint8Array([0, 0, 0, 1, 16, 0x82]),
    };
    assert.deepEqual([...unpad(prio)], [0x82]);
  });

  it("parses SETTINGS and checks their framing", () => {
    const f = settingsFrame([[1, 4096], [4, 65535]]);
    const frame = new FrameReader();
    frame.push(f);
    assert.deepEqual(parseSettings(frame.next()!), [[1, 4096], [4, 65535]]);
    assert.throws(
      () => parseSettings({ type: 4, flags: 1, streamId: 0, payload: new Uint8Array(6) }),
      H2Error,
    );
    assert.throws(
      () => parseSettings({ type: 4, flags: 0, streamId: 1, payload: new Uint8Array(6) }),
      H2Error,
    );
  });

  it("splits a large header block into HEADERS and CONTINUATION frames", () => {
    const block = new Uint8Array(40000).fill(1);
    const reader = new FrameReader();
    reader.push(headersFrames(5, block, true, 16384));
    const frames = readAll(reader);
    assert.deepEqual(frames.map((f) => [f.type, f.flags]), [
      [FrameType.HEADERS, Flag.END_STREAM],
      [FrameType.CONTINUATION, 0],
      [FrameType.CONTINUATION, Flag.END_HEADERS],
    ]);
    assert.equal(frames.reduce((n, f) => n + f.payload.length, 0), 40000);
    assert.equal(dataFrame(1, new Uint8Array(3), true)[4], Flag.END_STREAM);
    assert.equal(goawayFrame(7, 2).length, 17);
  });
});

class Hello extends Resource {
  override isLeaf = true;
  render_GET(): string {
    return "hello";
  }
}

describe("H2Connection under any frames", () => {
  afterEach(() => flushLoggedErrors());

  it("answers any frame sequence with frames, never an exception or unbounded output", () => {
    const anyFrame = fc.oneof(
      frameArb.map((f) => encodeFrame(f.type, f.flags, f.streamId % 16, f.payload)),
      fc.uint8Array({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(anyFrame, { maxLength: 12 }), (frames) => {
        const peer = new H2Peer(new Hello());
        peer.send(concat([PREFACE, settingsFrame([])]));
        for (const f of frames) {
          peer.send(f); // must not throw
          if (peer.transport.disconnecting) break;
        }
        const out = peer.read(); // the output is well-formed frames
        assert.ok(out.length >= 2);
        const goaways = peer.frames.filter((f) => f.type === FrameType.GOAWAY);
        assert.ok(goaways.length <= 1);
        if (goaways.length === 1) assert.equal(peer.transport.disconnecting, true);
        assert.ok(peer.transport.value().length < 1 << 20);
      }),
      { numRuns: 400 },
    );
    assert.equal(flushLoggedErrors().filter((e) => !/HTTP\/2/.test(String(e))).length, 0);
  });
});
