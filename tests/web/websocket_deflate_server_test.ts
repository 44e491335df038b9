// WebSocket permessage-deflate (RFC 7692) on the server, driven by a
// hand-made client through the in-memory transports: compressed messages
// both ways, context takeover on and off, window sizes, fragmentation, the
// RSV1 rules, the threshold, the bounds (a bomb closes 1009 while inflating,
// bad data 1007, a property over any compressed bytes), the order of the
// close frame, and flow control with the compression queue.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import fc from "fast-check";
import "../../mod.ts"; // installs the reactor, whose runtime compresses
import { trackLeaks } from "../../src/testing/mod.ts";
import {
  type Frame,
  OP_BINARY,
  OP_CONTINUATION,
  OP_PING,
  OP_TEXT,
} from "../../src/web/_websocket_frame.ts";
import { closeCode, type Conn, td, te } from "./_websocket_helpers.ts";
import {
  deflateConn,
  end,
  inflate,
  PeerDeflate,
  sendRaw,
  until,
} from "./_websocket_deflate_helpers.ts";

trackLeaks({ beforeEach, afterEach });

// ---- the server with a hand-made client ------------------------------------------------

describe("permessage-deflate messages (server side)", () => {
  it("inflates a compressed message and answers compressed above the threshold only", async () => {
    const c = deflateConn({ threshold: 10 });
    assert.equal(c.head.headers.get("sec-websocket-extensions")?.[0], "permessage-deflate");
    assert.deepEqual(c.protocol.perMessageDeflate, {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    const peer = new PeerDeflate();
    const long = "hello hello hello hello hello hello";
    sendRaw(c, OP_TEXT, await peer.compress(te.encode(long)), true, true);
    sendRaw(c, OP_TEXT, te.encode("short"));
    const frames: Frame[] = [];
    await until(() => frames.length >= 2, () => frames.push(...c.frames()));
    assert.deepEqual(c.protocol.messages, [[long, false], ["short", false]]);
    assert.equal(frames[0].rsv1, true);
    assert.ok(frames[0].payload.length < long.length);
    assert.equal(td.decode(inflate(frames[0].payload)), long);
    assert.equal(frames[1].rsv1, false, "below the threshold: sent as is");
    assert.equal(td.decode(frames[1].payload), "short");
    end(c);
  });

  for (const takeover of [true, false]) {
    it(`compresses with context takeover ${takeover ? "on" : "off"}`, async () => {
      const offer = takeover
        ? "permessage-deflate"
        : "permessage-deflate; server_no_context_takeover";
      const c = deflateConn({ threshold: 0 }, offer);
      const msg = "The quick brown fox jumps over the lazy dog, twice over. ".repeat(3);
      c.send(OP_TEXT, msg);
      c.send(OP_TEXT, msg);
      const frames: Frame[] = [];
      await until(() => frames.length >= 2, () => frames.push(...c.frames()));
      const [a, b] = frames;
      assert.equal(td.decode(inflate(a.payload)), msg);
      if (takeover) {
        assert.ok(b.payload.length < a.payload.length / 2, "the second refers to the first");
        // One inflater with its context kept reads both.
        const both = new Uint8Array(a.payload.length + 4 + b.payload.length);
        both.set(a.payload);
        both.set([0, 0, 0xff, 0xff], a.payload.length);
        both.set(b.payload, a.payload.length + 4);
        assert.equal(td.decode(inflate(both)), msg + msg);
      } else {
        assert.deepEqual(b.payload, a.payload, "each message starts from an empty window");
        assert.equal(td.decode(inflate(b.payload)), msg);
      }
      end(c);
    });
  }

  it("inflates a client's messages with and without context takeover", async () => {
    for (const takeover of [true, false]) {
      const c = deflateConn(
        {},
        takeover ? "permessage-deflate" : "permessage-deflate; client_no_context_takeover",
      );
      const peer = new PeerDeflate();
      const msg = te.encode("abcabcabc the same words, the same words, again ".repeat(4));
      for (let i = 0; i < 3; i++) {
        sendRaw(c, OP_BINARY, await peer.compress(msg, takeover), true, true);
      }
      await until(() => c.protocol.messages.length === 3);
      peer.close();
      for (const [m] of c.protocol.messages) assert.deepEqual(m, msg);
      end(c);
    }
  });

  for (const bits of [8, 9, 10, 12]) {
    it(`keeps to server_max_window_bits=${bits}: a strict inflater with that window reads it`, async () => {
      const c = deflateConn({ threshold: 0 }, `permessage-deflate; server_max_window_bits=${bits}`);
      assert.equal(
        c.head.headers.get("sec-websocket-extensions")?.[0],
        `permessage-deflate; server_max_window_bits=${bits}`,
      );
      // Repeats 2 KiB apart: a 32 KiB window would refer back that far.
      const chunk = crypto.getRandomValues(new Uint8Array(2048));
      const msg = new Uint8Array(8192);
      for (let i = 0; i < 4; i++) msg.set(chunk, i * 2048);
      c.send(OP_BINARY, msg);
      const frames: Frame[] = [];
      await until(() => frames.length >= 1, () => frames.push(...c.frames()));
      assert.deepEqual(inflate(frames[0].payload, bits), msg);
      end(c);
    });
  }

  it("sends a compressed message in fragments: RSV1 on the first only", async () => {
    const c = deflateConn({ threshold: 0 }, "permessage-deflate", { fragmentSize: 16 });
    const msg = crypto.getRandomValues(new Uint8Array(100));
    c.send(OP_BINARY, msg);
    const frames: Frame[] = [];
    await until(
      () => frames.length > 0 && frames.at(-1)!.fin,
      () => frames.push(...c.frames()),
    );
    assert.ok(frames.length > 2);
    assert.deepEqual(frames.map((f) => f.rsv1), frames.map((_, i) => i === 0));
    assert.deepEqual(frames.map((f) => f.opcode), frames.map((_, i) => i === 0 ? 2 : 0));
    const all = new Uint8Array(frames.reduce((n, f) => n + f.payload.length, 0));
    let at = 0;
    for (const f of frames) {
      all.set(f.payload, at);
      at += f.payload.length;
    }
    assert.deepEqual(inflate(all), msg);
    end(c);
  });

  it("reassembles a fragmented compressed message with a ping in between", async () => {
    const c = deflateConn();
    const text = "fragmented and compressed, é à ü, ".repeat(20);
    const z = await new PeerDeflate().compress(te.encode(text));
    const third = Math.floor(z.length / 3);
    sendRaw(c, OP_TEXT, z.subarray(0, third), false, true);
    sendRaw(c, OP_PING, te.encode("p"));
    sendRaw(c, OP_CONTINUATION, z.subarray(third, 2 * third), false);
    sendRaw(c, OP_CONTINUATION, z.subarray(2 * third), true);
    await until(() => c.protocol.messages.length === 1);
    assert.deepEqual(c.protocol.messages, [[text, false]]);
    assert.deepEqual(c.protocol.pings, ["p"]);
    end(c);
  });

  const rsv1Rules: [string, (c: Conn) => void | Promise<void>][] = [
    ["RSV1 on a continuation frame", async (c) => {
      const z = await new PeerDeflate().compress(te.encode("x".repeat(50)));
      sendRaw(c, OP_TEXT, z.subarray(0, 2), false, true);
      sendRaw(c, OP_CONTINUATION, z.subarray(2), true, true);
    }],
    ["RSV1 on a ping", (c) => sendRaw(c, OP_PING, te.encode("p"), true, true)],
    ["RSV2 set", (c) => c.raw(new Uint8Array([0xa1, 0x80, 1, 2, 3, 4]))],
  ];
  for (const [what, act] of rsv1Rules) {
    it(`fails with 1002 on ${what}`, async () => {
      const c = deflateConn();
      await act(c);
      const frames: Frame[] = [];
      await until(() => c.disconnected(), () => frames.push(...c.frames()));
      assert.equal(closeCode(frames.at(-1)!), 1002);
      end(c);
    });
  }

  it("fails with 1007 on a compressed message that does not inflate, or inflates to bad UTF-8", async () => {
    for (
      const payload of [
        new Uint8Array([0xff, 0xff, 0xff, 0xff]),
        await new PeerDeflate().compress(new Uint8Array([0x61, 0xc3, 0x28, 0x62])),
      ]
    ) {
      const c = deflateConn();
      sendRaw(c, OP_TEXT, payload, true, true);
      const frames: Frame[] = [];
      await until(() => c.disconnected(), () => frames.push(...c.frames()));
      assert.equal(closeCode(frames.at(-1)!), 1007);
      assert.equal(c.protocol.messages.length, 0);
      end(c);
    }
  });

  it("closes 1009 on a small frame that inflates past maxMessageSize, without inflating it all", async () => {
    // 1 MiB of zeros per block, repeated: a frame under 1 MiB that inflates to about 1 GiB.
    const d = zlib.createDeflateRaw();
    const push = (data: Uint8Array): Promise<Uint8Array> =>
      new Promise((resolve) => {
        const parts: Uint8Array[] = [];
        const on = (b: Uint8Array) => parts.push(b);
        d.on("data", on);
        d.write(data);
        d.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          d.off("data", on);
          resolve(new Uint8Array(Buffer.concat(parts)));
        });
      });
    const zeros = new Uint8Array(1 << 20);
    const first = await push(zeros);
    const block = await push(zeros);
    d.close();
    const count = 1000;
    const bomb = new Uint8Array(first.length + block.length * count);
    bomb.set(first);
    for (let i = 0; i < count; i++) bomb.set(block, first.length + i * block.length);
    assert.ok(bomb.length < 1 << 20, `${bomb.length} compressed bytes`);
    const c = deflateConn({}, "permessage-deflate", { maxMessageSize: 1 << 20 });
    sendRaw(c, OP_BINARY, bomb.subarray(0, bomb.length - 4), true, true);
    const frames: Frame[] = [];
    await until(() => c.disconnected(), () => frames.push(...c.frames()));
    assert.equal(closeCode(frames.at(-1)!), 1009);
    assert.equal(c.protocol.messages.length, 0);
    end(c);
  });

  it("counts inflated bytes of all fragments against maxMessageSize", async () => {
    const c = deflateConn({}, "permessage-deflate", { maxMessageSize: 3000 });
    const z = await new PeerDeflate().compress(new Uint8Array(4000));
    sendRaw(c, OP_BINARY, z.subarray(0, 5), false, true);
    sendRaw(c, OP_CONTINUATION, z.subarray(5), true);
    const frames: Frame[] = [];
    await until(() => c.disconnected(), () => frames.push(...c.frames()));
    assert.equal(closeCode(frames.at(-1)!), 1009);
    end(c);
  });

  it("answers any compressed bytes with a message or a close 1007/1009, never a crash (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.uint8Array({ minLength: 1, maxLength: 400 }).map((b) =>
            zlib.deflateRawSync(b).subarray(0, -1 - (b[0] % 3))
          ),
        ),
        fc.boolean(),
        async (payload, text) => {
          const c = deflateConn({}, "permessage-deflate", { maxMessageSize: 300 });
          sendRaw(c, text ? OP_TEXT : OP_BINARY, new Uint8Array(payload), true, true);
          c.send(OP_TEXT, "after");
          const frames: Frame[] = [];
          await until(
            () => c.disconnected() || c.protocol.messages.some(([m]) => m === "after"),
            () => frames.push(...c.frames()),
          );
          if (c.disconnected()) {
            assert.ok(
              [1007, 1009].includes(closeCode(frames.at(-1)!)!),
              `${closeCode(frames.at(-1)!)}`,
            );
          } else assert.equal(c.protocol.messages.length, 2);
          end(c);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("sends the close frame after the messages still being compressed", async () => {
    const c = deflateConn({ threshold: 0 });
    c.protocol.sendMessage("one, compressed");
    c.protocol.sendPing("not compressed, not queued");
    c.protocol.sendClose(1000);
    const frames: Frame[] = [];
    await until(() => frames.some((f) => f.opcode === 8), () => frames.push(...c.frames()));
    assert.deepEqual(frames.map((f) => [f.opcode, f.rsv1]), [[9, false], [1, true], [8, false]]);
    c.send(8, new Uint8Array([3, 232]));
    await until(() => c.disconnected());
    assert.deepEqual(c.protocol.closes, [[true, 1000, ""]]);
  });
});

describe("permessage-deflate flow control", () => {
  it("counts messages waiting for the compressor, and calls onDrain once they are through", async () => {
    const c = deflateConn({ threshold: 0 });
    const paused: string[] = [];
    c.protocol.registerProducer({
      pauseProducing: () => paused.push("pause"),
      resumeProducing: () => paused.push("resume"),
      stopProducing: () => paused.push("stop"),
    }, true);
    assert.equal(c.protocol.sendMessage(new Uint8Array(40_000), true), true);
    assert.equal(c.protocol.bufferedAmount, 40_000);
    assert.equal(c.protocol.sendMessage(new Uint8Array(40_000), true), false);
    assert.deepEqual(paused, ["pause"]);
    const frames: Frame[] = [];
    await until(() => c.protocol.drains === 1, () => frames.push(...c.frames()));
    assert.deepEqual(paused, ["pause", "resume"]);
    assert.equal(c.protocol.bufferedAmount, 0);
    frames.push(...c.frames());
    assert.equal(frames.length, 2);
    assert.ok(frames.every((f) => f.rsv1 && f.payload.length < 1000));
    c.protocol.unregisterProducer();
    end(c);
  });
});
