/**
 * H2Connection through a Site's channel on a StringTransport, driven by a
 * scripted client: h2c prior knowledge, requests and bodies, the request
 * semantics above the channel (clientproto, NOT_DONE_YET, notifyFinish on
 * RST_STREAM, producers and flow control), SETTINGS/PING, the stream limit,
 * GOAWAY on shutdown, and each defence (Rapid Reset, CONTINUATION flood,
 * HPACK bomb, control-frame floods, frame size, bad preface, window overflow).
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flushLoggedErrors, trackLeaks } from "../../../src/testing/mod.ts";
import { NOT_DONE_YET, Resource } from "../../../src/web/resource.ts";
import type { Request } from "../../../src/web/server.ts";
import type { IPushProducer } from "../../../src/internet/interfaces.ts";
import {
  encodeFrame,
  ErrorCode,
  Flag,
  FrameType,
  pingFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from "../../../src/web/http2/_frames.ts";
import { H2Connection } from "../../../src/web/http2/_connection.ts";
import { concat, H2Peer, tick } from "./_h2_peer.ts";

trackLeaks({ beforeEach, afterEach });

const enc = new TextEncoder();

class Echo extends Resource {
  override isLeaf = true;
  pending: Request[] = [];
  render_GET(request: Request): string | typeof NOT_DONE_YET {
    if (request.path === "/wait") {
      this.pending.push(request);
      return NOT_DONE_YET;
    }
    if (request.path === "/big") return "x".repeat(200000);
    return `${request.method} ${request.uri} ${request.clientproto} ${request.getHeader("host")}`;
  }
  render_POST(request: Request): string {
    return `${request.content.length} ${request.args.a?.[0] ?? ""}`;
  }
}

describe("H2Connection: serving a Site", () => {
  afterEach(() => flushLoggedErrors());

  it("switches to HTTP/2 on the preface and answers SETTINGS first", () => {
    const peer = new H2Peer(new Echo()).start();
    const frames = peer.read();
    assert.equal(frames[0].type, FrameType.SETTINGS);
    assert.equal(frames[0].flags, 0);
    assert.ok(frames.some((f) => f.type === FrameType.SETTINGS && f.flags === Flag.ACK));
    // MAX_CONCURRENT_STREAMS 100 is advertised.
    const p = frames[0].payload;
    assert.deepEqual([...p.subarray(0, 6)], [0, 3, 0, 0, 0, 100]);
  });

  it("serves a GET with the same request object semantics (clientproto HTTP/2, host)", () => {
    const peer = new H2Peer(new Echo()).start();
    peer.request(1, "/a?b=1");
    const res = peer.response(1);
    assert.equal(res.status, "200");
    assert.equal(res.body, "GET /a?b=1 HTTP/2 example.com");
    assert.equal(res.ended, true);
    const names = res.headers.map((h) => h[0]);
    assert.ok(names.includes("date") && names.includes("server"));
    assert.ok(
      res.headers.some(([n, v]) => n === "content-length" && v === String(res.body.length)),
    );
  });

  it("serves a POST body split over DATA frames and reopens the windows", () => {
    const peer = new H2Peer(new Echo()).start();
    const body = enc.encode("a=hello&" + "z".repeat(50000));
    peer.request(1, "/", {
      method: "POST",
      body,
      headers: [["content-type", "application/x-www-form-urlencoded"]],
    });
    const res = peer.response(1);
    assert.equal(res.body, `${body.length} hello`);
    assert.ok(peer.frames.some((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 0));
  });

  it("multiplexes streams and finishes NOT_DONE_YET responses later", async () => {
    const echo = new Echo();
    const peer = new H2Peer(echo).start();
    peer.request(1, "/wait");
    peer.request(3, "/now");
    assert.equal(peer.response(3).body, "GET /now HTTP/2 example.com");
    assert.equal(peer.response(1).ended, false);
    const req = echo.pending[0];
    req.write("late");
    req.finish();
    await tick();
    assert.deepEqual([peer.response(1).body, peer.response(1).ended], ["late", true]);
  });

  it("fails notifyFinish when the client resets the stream", async () => {
    const echo = new Echo();
    const peer = new H2Peer(echo).start();
    peer.request(1, "/wait");
    const req = echo.pending[0];
    const done = req.notifyFinish().then(() => "finished", (e: Error) => e.message);
    peer.send(rstStreamFrame(1, ErrorCode.CANCEL));
    assert.match(await done, /reset by the client: CANCEL/);
    assert.equal(req.disconnected, true);
  });

  it("answers PING and refuses a stream over the limit with REFUSED_STREAM, going on", () => {
    const echo = new Echo();
    const peer = new H2Peer(echo, { http2: { maxConcurrentStreams: 2 } }).start();
    peer.send(pingFrame(enc.encode("12345678"), false));
    assert.ok(
      peer.read().some((f) => f.type === FrameType.PING && f.flags === Flag.ACK),
    );
    peer.request(1, "/wait");
    peer.request(3, "/wait");
    peer.request(5, "/wait");
    assert.deepEqual(peer.resets(5), [ErrorCode.REFUSED_STREAM]);
    assert.equal(echo.pending.length, 2);
    echo.pending[0].finish();
    return tick().then(() => {
      peer.request(7, "/x");
      assert.equal(peer.response(7).status, "200");
      echo.pending[1].finish();
    });
  });

  it("sends no more than the peer's window and resumes on WINDOW_UPDATE", async () => {
    const peer = new H2Peer(new Echo()).start();
    peer.request(1, "/big");
    peer.read();
    const sent = (): number =>
      peer.frames.filter((f) => f.type === FrameType.DATA).reduce(
        (n, f) => n + f.payload.length,
        0,
      );
    assert.equal(sent(), 65535);
    peer.send(windowUpdateFrame(0, 200000));
    peer.read();
    assert.equal(sent(), 65535); // the stream's window is still empty
    peer.send(windowUpdateFrame(1, 200000));
    await tick();
    assert.equal(peer.response(1).body.length, 200000);
    assert.equal(peer.response(1).ended, true);
  });

  it("pauses a streaming producer when the stream's window is shut", () => {
    const state: string[] = [];
    class Streamer extends Resource {
      override isLeaf = true;
      render_GET(request: Request): typeof NOT_DONE_YET {
        const producer: IPushProducer = {
          pauseProducing: () => state.push("pause"),
          resumeProducing: () => state.push("resume"),
          stopProducing: () => state.push("stop"),
        };
        request.registerProducer(producer, true);
        request.write(new Uint8Array(70000));
        return NOT_DONE_YET;
      }
    }
    const peer = new H2Peer(new Streamer()).start([[0x4, 1000]]);
    peer.request(1);
    assert.deepEqual(state, ["pause"]);
    peer.send(rstStreamFrame(1, ErrorCode.CANCEL));
    assert.deepEqual(state, ["pause", "stop"]);
  });

  it("pauses and resumes producers with the transport's write buffer (TCP backpressure)", () => {
    const state: string[] = [];
    class Streamer extends Resource {
      override isLeaf = true;
      render_GET(request: Request): typeof NOT_DONE_YET {
        request.registerProducer({
          pauseProducing: () => state.push("pause"),
          resumeProducing: () => state.push("resume"),
          stopProducing: () => state.push("stop"),
        }, true);
        request.write("first");
        return NOT_DONE_YET;
      }
    }
    const peer = new H2Peer(new Streamer()).start();
    peer.request(1);
    const h2 = peer.transport.producer as H2Connection;
    h2.pauseProducing();
    h2.resumeProducing();
    assert.deepEqual(state, ["pause", "resume"]);
    assert.equal(peer.response(1).body, "first");
  });

  it("sends GOAWAY(NO_ERROR) with the last stream id on shutdown, finishing streams in flight", async () => {
    const echo = new Echo();
    const peer = new H2Peer(echo).start();
    peer.request(1, "/wait");
    const closed = peer.site.shutdown();
    await tick();
    assert.deepEqual(peer.goaway(), [1, ErrorCode.NO_ERROR]);
    assert.equal(peer.transport.disconnecting, false);
    peer.request(3, "/x"); // after the GOAWAY: ignored
    echo.pending[0].write("done");
    echo.pending[0].finish();
    await tick();
    assert.equal(peer.response(1).body, "done");
    assert.equal(peer.response(3).status, "");
    assert.equal(peer.transport.disconnecting, true);
    peer.channel.connectionLost(
      new (await import("../../../src/internet/failure.ts")).Failure(new Error("closed")),
    );
    await closed;
  });

  it("answers 413 to a body over maxRequestBodySize, declared or not, and goes on", () => {
    const peer = new H2Peer(new Echo(), { maxRequestBodySize: 1000 }).start();
    peer.request(1, "/", { method: "POST", headers: [["content-length", "5000"]], end: false });
    assert.equal(peer.response(1).status, "413");
    peer.request(3, "/", { method: "POST", body: new Uint8Array(3000) });
    assert.equal(peer.response(3).status, "413");
    assert.deepEqual(peer.resets(3), [ErrorCode.NO_ERROR]);
    peer.request(5, "/", { method: "POST", body: new Uint8Array(10) });
    assert.equal(peer.response(5).body, "10 ");
    assert.equal(peer.goaway(), null);
  });

  it("sends responseTrailers after the body and reads requestTrailers (h2 and HTTP/1.1)", () => {
    const seen: string[] = [];
    class Trailing extends Resource {
      override isLeaf = true;
      render_GET(request: Request): typeof NOT_DONE_YET {
        request.responseTrailers.setRawHeaders("x-sum", ["42"]);
        request.write("abc");
        request.finish();
        return NOT_DONE_YET;
      }
      render_POST(request: Request): string {
        seen.push(`${request.content.length} ${request.requestTrailers.getLast("x-check")}`);
        return "ok";
      }
    }
    const peer = new H2Peer(new Trailing()).start();
    peer.request(1);
    const frames = peer.read().filter((f) => f.streamId === 1);
    assert.deepEqual(frames.map((f) => [f.type, f.flags & Flag.END_STREAM]), [
      [FrameType.HEADERS, 0],
      [FrameType.DATA, 0],
      [FrameType.HEADERS, Flag.END_STREAM],
    ]);
    assert.deepEqual(frames[2].headers, [["x-sum", "42"]]);
    // Request trailers: HEADERS, DATA, then HEADERS with END_STREAM.
    peer.request(3, "/", { method: "POST", body: enc.encode("hello"), end: false });
    const block = peer.encoder.encode([["x-check", "yes"]]);
    peer.frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, block);
    assert.equal(peer.response(3).body, "ok");
    assert.deepEqual(seen, ["5 yes"]);
    // HTTP/1.1: chunked with the trailers when the client sent TE: trailers, else without.
    const h1 = new H2Peer(new Trailing());
    h1.send(enc.encode("GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n"));
    assert.match(h1.transport.valueText(), /\r\n3\r\nabc\r\n0\r\nX-Sum: 42\r\n\r\n$/);
    const plain = new H2Peer(new Trailing());
    plain.send(enc.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert.match(plain.transport.valueText(), /\r\n3\r\nabc\r\n0\r\n\r\n$/);
  });

  it("treats malformed requests as stream errors and goes on", () => {
    const peer = new H2Peer(new Echo()).start();
    peer.request(1, "/", { headers: [["connection", "keep-alive"]] });
    assert.deepEqual(peer.resets(1), [ErrorCode.PROTOCOL_ERROR]);
    peer.request(3, "/", { headers: [["te", "gzip"]] });
    assert.deepEqual(peer.resets(3), [ErrorCode.PROTOCOL_ERROR]);
    peer.request(5, "/ok");
    assert.equal(peer.response(5).status, "200");
    assert.equal(peer.goaway(), null);
  });
});

describe("H2Connection: defences", () => {
  afterEach(() => flushLoggedErrors());

  it("closes on a bad preface with GOAWAY(PROTOCOL_ERROR)", () => {
    const peer = new H2Peer(new Echo());
    peer.send(enc.encode("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"));
    assert.deepEqual(peer.goaway(), [0, ErrorCode.PROTOCOL_ERROR]);
    assert.equal(peer.transport.disconnecting, true);
  });

  it("refuses a first frame that is not SETTINGS", () => {
    const peer = new H2Peer(new Echo());
    peer.send(concat([
      enc.encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
      pingFrame(new Uint8Array(8), false),
    ]));
    assert.deepEqual(peer.goaway(), [0, ErrorCode.PROTOCOL_ERROR]);
  });

  it("answers a frame header over SETTINGS_MAX_FRAME_SIZE with FRAME_SIZE_ERROR before its payload", () => {
    const peer = new H2Peer(new Echo()).start();
    // A 16 MiB DATA frame announced; only its 9-byte header is sent.
    peer.send(new Uint8Array([0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1]));
    assert.deepEqual(peer.goaway(), [0, ErrorCode.FRAME_SIZE_ERROR]);
    assert.equal(peer.transport.disconnecting, true);
  });

  it("ends a Rapid Reset flood with GOAWAY(ENHANCE_YOUR_CALM)", () => {
    const peer = new H2Peer(new Echo(), {
      http2: { streamResetBurst: 20, streamResetRate: 1 },
    }).start();
    for (let id = 1; id < 200; id += 2) {
      peer.request(id, "/wait", { end: false });
      peer.send(rstStreamFrame(id, ErrorCode.CANCEL));
      if (peer.transport.disconnecting) break;
    }
    const goaway = peer.goaway();
    assert.ok(goaway !== null);
    assert.equal(goaway[1], ErrorCode.ENHANCE_YOUR_CALM);
    assert.ok(goaway[0] <= 43, `last stream ${goaway[0]}`);
  });

  it("lets resets through at the sustained rate", () => {
    const peer = new H2Peer(new Echo(), {
      http2: { streamResetBurst: 5, streamResetRate: 10 },
    }).start();
    for (let id = 1; id < 100; id += 2) {
      peer.request(id, "/wait", { end: false });
      peer.send(rstStreamFrame(id, ErrorCode.CANCEL));
      peer.clock.advance(0.2);
    }
    assert.equal(peer.goaway(), null);
  });

  it("ends floods of empty DATA frames and of malformed requests (CVE-2019-9518, -9514)", () => {
    const peer = new H2Peer(new Echo()).start();
    peer.request(1, "/", { method: "POST", end: false });
    const empty = concat(Array.from({ length: 1000 }, () => encodeFrame(FrameType.DATA, 0, 1)));
    for (let i = 0; i < 20 && !peer.transport.disconnecting; i++) peer.send(empty);
    assert.deepEqual(peer.goaway(), [1, ErrorCode.ENHANCE_YOUR_CALM]);
    const peer2 = new H2Peer(new Echo(), { http2: { streamResetBurst: 50 } }).start();
    for (let id = 1; id < 400 && !peer2.transport.disconnecting; id += 2) {
      peer2.request(id, "/", { headers: [["connection", "x"]] }); // malformed: RST each
    }
    assert.equal(peer2.goaway()?.[1], ErrorCode.ENHANCE_YOUR_CALM);
  });

  it("bounds a CONTINUATION flood in frames and bytes", () => {
    const peer = new H2Peer(new Echo()).start();
    const block = peer.encoder.encode([[":method", "GET"], [":scheme", "http"], [":path", "/"]]);
    peer.frame(FrameType.HEADERS, 0, 1, block);
    for (let i = 0; i < 1000 && !peer.transport.disconnecting; i++) {
      peer.frame(FrameType.CONTINUATION, 0, 1, new Uint8Array(0));
    }
    assert.deepEqual(peer.goaway(), [0, ErrorCode.ENHANCE_YOUR_CALM]);
    const peer2 = new H2Peer(new Echo()).start();
    peer2.frame(FrameType.HEADERS, 0, 1, block);
    for (let i = 0; i < 100 && !peer2.transport.disconnecting; i++) {
      peer2.frame(FrameType.CONTINUATION, 0, 1, new Uint8Array(16000));
    }
    assert.deepEqual(peer2.goaway(), [0, ErrorCode.ENHANCE_YOUR_CALM]);
  });

  it("bounds the decoded header list (HPACK bomb): 431 and the connection goes on", () => {
    const peer = new H2Peer(new Echo(), { maxHeaderSize: 8192 }).start();
    // Index a 4000-byte header, then refer to it 100 times: 400 KB from ~4 KB.
    const value = new TextEncoder().encode("v".repeat(4000));
    const head = peer.encoder.encode([[":method", "GET"], [":scheme", "http"], [":path", "/"]]);
    const literal = concat([
      new Uint8Array([0x40, 3, 0x78, 0x2d, 0x62, 0x7f, 0xa1, 0x1e]),
      value,
    ]);
    const refs = new Uint8Array(100).fill(0xbe);
    peer.frame(
      FrameType.HEADERS,
      Flag.END_HEADERS | Flag.END_STREAM,
      1,
      concat([head, literal, refs]),
    );
    assert.equal(peer.response(1).status, "431");
    assert.equal(peer.goaway(), null);
  });

  it("bounds control frames queued for a peer that does not read (ping flood)", () => {
    const peer = new H2Peer(new Echo()).start();
    const h2 = peer.transport.producer as H2Connection;
    assert.ok(h2 instanceof H2Connection);
    h2.pauseProducing(); // the transport's buffer is full
    const pings = concat(Array.from({ length: 1000 }, () => pingFrame(new Uint8Array(8), false)));
    for (let i = 0; i < 20 && !peer.transport.disconnecting; i++) peer.send(pings);
    assert.equal(peer.transport.aborted, true);
    assert.deepEqual(peer.goaway(), [0, ErrorCode.ENHANCE_YOUR_CALM]);
  });

  it("answers a window past 2^31-1 with FLOW_CONTROL_ERROR (connection and stream)", () => {
    const peer = new H2Peer(new Echo()).start();
    peer.send(windowUpdateFrame(0, 0x7fffffff));
    assert.deepEqual(peer.goaway(), [0, ErrorCode.FLOW_CONTROL_ERROR]);
    const echo = new Echo();
    const peer2 = new H2Peer(echo).start();
    peer2.request(1, "/wait");
    peer2.send(windowUpdateFrame(1, 0x7fffffff));
    assert.deepEqual(peer2.resets(1), [ErrorCode.FLOW_CONTROL_ERROR]);
    assert.equal(echo.pending[0].disconnected, true);
  });

  it("answers DATA past the window with FLOW_CONTROL_ERROR", () => {
    const peer = new H2Peer(new Echo(), { http2: { initialWindowSize: 1000 } }).start();
    peer.request(1, "/", { method: "POST", end: false });
    peer.frame(FrameType.DATA, 0, 1, new Uint8Array(800)); // the window reopens as it is read
    peer.frame(FrameType.DATA, 0, 1, new Uint8Array(800));
    assert.deepEqual(peer.resets(1), []);
    peer.frame(FrameType.DATA, 0, 1, new Uint8Array(1200));
    assert.deepEqual(peer.resets(1), [ErrorCode.FLOW_CONTROL_ERROR]);
    assert.equal(peer.goaway(), null);
  });

  it("refuses SETTINGS with a bad length or value", () => {
    const peer = new H2Peer(new Echo()).start();
    peer.frame(FrameType.SETTINGS, 0, 0, new Uint8Array(5));
    assert.deepEqual(peer.goaway(), [0, ErrorCode.FRAME_SIZE_ERROR]);
    const peer2 = new H2Peer(new Echo()).start();
    peer2.send(settingsFrame([[0x5, 100]]));
    assert.deepEqual(peer2.goaway(), [0, ErrorCode.PROTOCOL_ERROR]);
    const peer3 = new H2Peer(new Echo()).start();
    peer3.send(encodeFrame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, new Uint8Array(4)));
    assert.deepEqual(peer3.goaway(), [0, ErrorCode.PROTOCOL_ERROR]);
  });

  it("upgrades with Upgrade: h2c only when h2cUpgrade is on; the request becomes stream 1", () => {
    const head = "GET /up HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n" +
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n";
    const off = new H2Peer(new Echo());
    off.send(enc.encode(head));
    assert.match(off.transport.valueText(), /^HTTP\/1.1 200 OK[\s\S]*GET \/up HTTP\/1.1 a$/);
    const on = new H2Peer(new Echo(), { http2: { h2cUpgrade: true } });
    on.send(enc.encode(head));
    const text = on.transport.valueText();
    assert.ok(text.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), text.slice(0, 80));
    on.skip(text.indexOf("\r\n\r\n") + 4);
    on.send(concat([enc.encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), settingsFrame([])]));
    const res = on.response(1);
    assert.equal(res.body, "GET /up HTTP/2 a");
    assert.equal(res.ended, true);
  });

  it("keeps HTTP/1.1 working next to h2c, and h2c off with http2: false", () => {
    const peer = new H2Peer(new Echo());
    peer.send(enc.encode("GET /h1 HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert.match(peer.transport.valueText(), /HTTP\/1.1 200 OK[\s\S]*GET \/h1 HTTP\/1.1 a$/);
    const off = new H2Peer(new Echo(), { http2: false });
    assert.deepEqual(off.site.acceptableProtocols(), ["http/1.1"]);
    off.send(enc.encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    assert.match(off.transport.valueText(), /^HTTP\/1.1 (400|505)/);
  });
});
