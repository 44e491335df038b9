/**
 * H2ClientProtocol over in-memory transports: against our own Site through
 * iosim (GET, multiplexing, uploads and downloads past the windows, trailers,
 * cancel resetting one stream), and against a scripted server over a
 * StringTransport (pseudo-headers, stream limit and queue, flow control of
 * request bodies, window updates only as the body is read, PING, RST_STREAM
 * both ways, GOAWAY, bounded headers, bad frames).
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Clock } from "../../../src/internet/task.ts";
import { Failure } from "../../../src/internet/failure.ts";
import { Protocol } from "../../../src/internet/protocol.ts";
import {
  connectedServerAndClient,
  flushLoggedErrors,
  trackLeaks,
} from "../../../src/testing/mod.ts";
import { NOT_DONE_YET, Resource } from "../../../src/web/resource.ts";
import { type Request, Site } from "../../../src/web/server.ts";
import {
  BytesBodyProducer,
  ClientRequest,
  Headers,
  readBody,
  RequestGenerationFailed,
  RequestNotSent,
  type Response,
  ResponseDone,
  ResponseFailed,
  ResponseNeverReceived,
} from "../../../src/web/mod.ts";
import { H2ClientProtocol, StreamRefused } from "../../../src/web/http2/mod.ts";
import { ErrorCode, Flag, FrameType, pingFrame } from "../../../src/web/http2/_frames.ts";
import { SettingsId } from "../../../src/web/http2/_settings.ts";
import { ScriptedServer } from "./_client_peer.ts";

trackLeaks({ beforeEach, afterEach });

const enc = new TextEncoder();
const dec = new TextDecoder();

class App extends Resource {
  override isLeaf = true;
  waiting: Request[] = [];
  render_GET(request: Request): string | Uint8Array | typeof NOT_DONE_YET {
    if (request.path === "/wait") {
      this.waiting.push(request);
      return NOT_DONE_YET;
    }
    if (request.path === "/big") return new Uint8Array(4 << 20).fill(98);
    if (request.path === "/trailers") {
      request.responseTrailers.setRawHeaders("x-sum", ["42"]);
    }
    return `${request.clientproto} ${request.path} ${request.getHeader("host")}`;
  }
  render_POST(request: Request): string {
    return `got ${request.content.length}`;
  }
}

function get(path: string, host = "example.com", body: BytesBodyProducer | null = null) {
  return new ClientRequest(
    body === null ? "GET" : "POST",
    path,
    new Headers({ Host: host }),
    body,
    true,
    `https://${host}${path}`,
  );
}

function siteAndClient() {
  const clock = new Clock();
  const app = new App();
  const site = new Site(app, { clock });
  const [client, channel, pump] = connectedServerAndClient<H2ClientProtocol>(
    site,
    () => new H2ClientProtocol(),
  );
  return { app, site, client, channel, pump };
}

async function settle<T>(d: PromiseLike<T>): Promise<T> {
  return await d;
}

describe("H2ClientProtocol against our Site (iosim)", () => {
  afterEach(() => flushLoggedErrors());

  it("GETs with version HTTP/2 and the body", async () => {
    const { client, pump } = siteAndClient();
    const d = client.request(get("/hello"));
    pump.flush();
    const response = await settle(d);
    assert.deepEqual(response.version, ["HTTP", 2, 0]);
    assert.equal(response.code, 200);
    assert.equal(response.phrase, "OK");
    const body = readBody(response);
    pump.flush();
    assert.equal(dec.decode(await settle(body)), "HTTP/2 /hello example.com");
    client.transport.loseConnection();
    pump.flush();
  });

  it("multiplexes many requests on the one connection", async () => {
    const { client, pump } = siteAndClient();
    const ds = Array.from({ length: 20 }, (_, i) => client.request(get(`/r${i}`)));
    assert.equal(client.activeStreams, 20);
    pump.flush();
    const bodies = ds.map((d) => d.addCallback((r: Response) => readBody(r)));
    pump.flush();
    for (let i = 0; i < 20; i++) {
      assert.equal(dec.decode(await settle(bodies[i])), `HTTP/2 /r${i} example.com`);
    }
    assert.equal(client.activeStreams, 0);
    client.transport.loseConnection();
    pump.flush();
  });

  it("downloads 4 MiB and uploads 1 MiB through the windows", async () => {
    const { client, pump } = siteAndClient();
    const d = client.request(get("/big")).addCallback((r: Response) => readBody(r));
    const upload = new BytesBodyProducer(new Uint8Array(1 << 20).fill(7));
    const p = client.request(get("/up", "example.com", upload)).addCallback((r: Response) =>
      readBody(r)
    );
    for (let i = 0; i < 2000 && !(d.called && p.called); i++) pump.pump();
    const body = await settle(d);
    assert.equal(body.length, 4 << 20);
    assert.ok(body.every((b) => b === 98));
    assert.equal(dec.decode(await settle(p)), `got ${1 << 20}`);
    client.transport.loseConnection();
    pump.flush();
  });

  it("reads trailers into response.trailers", async () => {
    const { client, pump } = siteAndClient();
    const d = client.request(
      new ClientRequest("GET", "/trailers", new Headers({ Host: "h", TE: "trailers" })),
    );
    pump.flush();
    const response = await settle(d);
    const body = readBody(response);
    pump.flush();
    await settle(body);
    assert.deepEqual(response.trailers.getRawHeaders("x-sum"), ["42"]);
    client.transport.loseConnection();
    pump.flush();
  });

  it("cancelling one request resets its stream only", async () => {
    const { app, client, pump } = siteAndClient();
    const waiting = client.request(get("/wait"));
    const other = client.request(get("/other"));
    pump.flush();
    assert.equal(app.waiting.length, 1);
    let lost = false;
    app.waiting[0].notifyFinish().addErrback(() => {
      lost = true;
      return null;
    });
    waiting.cancel();
    await assert.rejects(settle(waiting), ResponseNeverReceived);
    pump.flush();
    assert.ok(lost, "the server saw the stream reset");
    const response = await settle(other);
    const body = readBody(response);
    pump.flush();
    assert.equal(dec.decode(await settle(body)), "HTTP/2 /other example.com");
    assert.equal(client.state, "CONNECTED");
    client.transport.loseConnection();
    pump.flush();
  });

  it("cancelling readBody resets the stream, the connection goes on", async () => {
    const { client, pump } = siteAndClient();
    const response = client.request(get("/big"));
    pump.pump();
    pump.pump();
    const r = await settle(response);
    const body = readBody(r);
    body.cancel();
    await assert.rejects(settle(body));
    pump.flush();
    const next = client.request(get("/after")).addCallback((x: Response) => readBody(x));
    pump.flush();
    assert.equal(dec.decode(await settle(next)), "HTTP/2 /after example.com");
    client.transport.loseConnection();
    pump.flush();
  });
});

describe("H2ClientProtocol against a scripted server", () => {
  afterEach(() => flushLoggedErrors());

  it("sends the preface, SETTINGS, and pseudo-headers first", () => {
    const s = new ScriptedServer();
    assert.equal(
      dec.decode(s.transport.value().subarray(0, 24)),
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    );
    s.client.request(
      new ClientRequest(
        "GET",
        "/p?q=1",
        new Headers({ Host: "ex.org", Connection: "keep-alive", "X-A": "b" }),
        null,
        true,
        "https://ex.org/p?q=1",
      ),
    );
    const frames = s.read();
    assert.equal(frames[0].type, FrameType.SETTINGS);
    const headers = frames.find((f) => f.type === FrameType.HEADERS)!;
    assert.equal(headers.streamId, 1);
    assert.ok(headers.flags & Flag.END_STREAM);
    assert.deepEqual(headers.headers, [
      [":method", "GET"],
      [":scheme", "https"],
      [":authority", "ex.org"],
      [":path", "/p?q=1"],
      ["x-a", "b"],
    ]);
  });

  it("refuses a request it cannot encode", async () => {
    const s = new ScriptedServer().start();
    const bad = s.client.request(
      new ClientRequest("GET", "/", new Headers({ Host: "a", "X": "a\r\nb" })),
    );
    await assert.rejects(settle(bad), RequestGenerationFailed);
  });

  it("queues beyond the server's MAX_CONCURRENT_STREAMS", async () => {
    const s = new ScriptedServer().start([[SettingsId.MAX_CONCURRENT_STREAMS, 2]]);
    const ds = Array.from({ length: 5 }, (_, i) => s.client.request(get(`/${i}`)));
    let heads = s.read().filter((f) => f.type === FrameType.HEADERS);
    assert.deepEqual(heads.map((f) => f.streamId), [1, 3]);
    s.respond(1, [[":status", "204"]]);
    heads = s.read().filter((f) => f.type === FrameType.HEADERS);
    assert.deepEqual(heads.map((f) => f.streamId), [5]);
    assert.equal((await settle(ds[0])).code, 204);
    s.respond(3, [[":status", "200"]], enc.encode("x"));
    s.respond(5, [[":status", "200"]], enc.encode("y"));
    heads = s.read().filter((f) => f.type === FrameType.HEADERS);
    assert.deepEqual(heads.map((f) => f.streamId), [7, 9]);
    s.transport.loseConnection();
    s.client.connectionLost(new Failure(new Error("gone")));
    await assert.rejects(settle(ds[4]), ResponseNeverReceived);
  });

  it("never sends past the server's windows", async () => {
    const s = new ScriptedServer().start([[SettingsId.INITIAL_WINDOW_SIZE, 100]]);
    s.read();
    const body = new BytesBodyProducer(new Uint8Array(1000).fill(1));
    const d = s.client.request(get("/u", "h", body));
    const sent = () =>
      s.read().filter((f) => f.type === FrameType.DATA).reduce((n, f) => n + f.payload.length, 0);
    assert.equal(sent(), 100);
    s.windowUpdate(1, 400);
    assert.equal(sent(), 400);
    s.windowUpdate(1, 10000);
    const data = s.frames.filter((f) => f.type === FrameType.DATA);
    assert.equal(sent(), 500);
    assert.ok(s.frames[s.frames.length - 1].flags & Flag.END_STREAM);
    assert.ok(data.length > 0);
    s.respond(1, [[":status", "200"]], enc.encode("ok"));
    assert.equal(dec.decode(await settle((await settle(d)) && readBody(await settle(d)))), "ok");
  });

  it("reopens the stream window only as the body is read", async () => {
    const s = new ScriptedServer({ initialWindowSize: 65536 }).start();
    const d = s.client.request(get("/big"));
    s.respond(1, [[":status", "200"]], undefined, false);
    const response = await settle(d);
    s.read();
    const chunks: Uint8Array[] = [];
    let ended: Failure | null = null;
    class Slow extends Protocol {
      override dataReceived(data: Uint8Array): void {
        chunks.push(data);
      }
      override connectionLost(reason: Failure): void {
        ended = reason;
      }
    }
    const reader = new Slow();
    response.deliverBody(reader);
    reader.transport.pauseProducing();
    for (let i = 0; i < 4; i++) s.data(1, new Uint8Array(16384));
    const updates = () =>
      s.read().filter((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 1);
    assert.equal(updates().length, 0, "no stream window while the reader is paused");
    // Past the window: a flow-control error for the stream.
    s.data(1, new Uint8Array(1));
    const rst = s.read().find((f) => f.type === FrameType.RST_STREAM);
    assert.equal(rst?.payload[3], ErrorCode.FLOW_CONTROL_ERROR);
    assert.ok(ended !== null && (ended as Failure).check(ResponseFailed));
  });

  it("gives the window back as a reading consumer takes the bytes", async () => {
    const s = new ScriptedServer({ initialWindowSize: 65536 }).start();
    const d = s.client.request(get("/big"));
    s.respond(1, [[":status", "200"]], undefined, false);
    const body = readBody(await settle(d));
    s.read();
    for (let i = 0; i < 4; i++) s.data(1, new Uint8Array(16384));
    const updates = s.read().filter((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 1);
    assert.ok(updates.length >= 1);
    s.data(1, new Uint8Array(10), true);
    assert.equal((await settle(body)).length, 65546);
  });

  it("answers PING and resolves its own", async () => {
    const s = new ScriptedServer().start();
    s.read();
    s.send(pingFrame(enc.encode("12345678"), false));
    const ack = s.read().find((f) => f.type === FrameType.PING)!;
    assert.equal(ack.flags, Flag.ACK);
    assert.equal(dec.decode(ack.payload), "12345678");
    const p = s.client.ping();
    assert.equal(s.read().filter((f) => f.type === FrameType.PING).length, 1);
    s.send(pingFrame(new Uint8Array(8), true));
    await settle(p);
  });

  it("a server RST_STREAM fails that request only; REFUSED_STREAM is retryable", async () => {
    const s = new ScriptedServer().start();
    const a = s.client.request(get("/a"));
    const b = s.client.request(get("/b"));
    const c = s.client.request(get("/c"));
    s.reset(1, ErrorCode.INTERNAL_ERROR);
    s.reset(3, ErrorCode.REFUSED_STREAM);
    await assert.rejects(settle(a), ResponseFailed);
    await assert.rejects(
      settle(b),
      (e: unknown) =>
        e instanceof ResponseNeverReceived && e.reasons[0].check(StreamRefused) !== null,
    );
    s.respond(5, [[":status", "200"]], enc.encode("c"));
    assert.equal(dec.decode(await settle(readBody(await settle(c)))), "c");
  });

  it("GOAWAY fails the streams above its last id as retryable, finishes the rest", async () => {
    const s = new ScriptedServer().start([[SettingsId.MAX_CONCURRENT_STREAMS, 2]]);
    let away = 0;
    s.client.onGoingAway = () => away++;
    const a = s.client.request(get("/a"));
    const b = s.client.request(get("/b"));
    const queued = s.client.request(get("/c"));
    s.goaway(1, ErrorCode.NO_ERROR);
    assert.equal(away, 1);
    assert.equal(s.client.canTakeRequests, false);
    await assert.rejects(settle(b), ResponseNeverReceived);
    await assert.rejects(settle(queued), RequestNotSent);
    await assert.rejects(settle(s.client.request(get("/d"))), RequestNotSent);
    s.respond(1, [[":status", "200"]], enc.encode("a"));
    assert.equal(dec.decode(await settle(readBody(await settle(a)))), "a");
    assert.ok(s.transport.disconnecting, "closed once the last stream ended");
  });

  it("resets a stream whose header list is too large", async () => {
    const s = new ScriptedServer({ maxHeaderListSize: 1000 }).start();
    const d = s.client.request(get("/"));
    s.respond(1, [[":status", "200"], ["x-big", "v".repeat(2000)]]);
    await assert.rejects(settle(d), ResponseFailed);
    const rst = s.read().find((f) => f.type === FrameType.RST_STREAM);
    assert.equal(rst?.payload[3], ErrorCode.PROTOCOL_ERROR);
    assert.equal(s.client.state, "CONNECTED");
  });

  it("malformed responses fail the stream: no :status, uppercase, connection fields", async () => {
    const s = new ScriptedServer().start();
    const cases: [string, string][][] = [
      [["x", "y"]],
      [[":status", "200"], ["X-Up", "1"]],
      [[":status", "200"], ["connection", "close"]],
      [[":status", "200"], [":path", "/"]],
      [[":status", "101"]],
    ];
    for (let i = 0; i < cases.length; i++) {
      const d = s.client.request(get("/"));
      s.respond(2 * i + 1, cases[i]);
      await assert.rejects(settle(d), ResponseFailed, JSON.stringify(cases[i]));
    }
    assert.equal(s.client.state, "CONNECTED");
  });

  it("a content-length mismatch fails the body", async () => {
    const s = new ScriptedServer().start();
    const d = s.client.request(get("/"));
    s.respond(1, [[":status", "200"], ["content-length", "5"]], enc.encode("abc"));
    const response = await settle(d);
    await assert.rejects(settle(readBody(response)), ResponseFailed);
  });

  it("connection errors end in GOAWAY and fail every stream", async () => {
    const bad: [string, (s: ScriptedServer) => void][] = [
      ["PUSH_PROMISE", (s) => s.raw(FrameType.PUSH_PROMISE, 4, 1, new Uint8Array(4))],
      ["DATA on stream 0", (s) => s.raw(FrameType.DATA, 0, 0, new Uint8Array(1))],
      ["frame too large", (s) => s.raw(FrameType.DATA, 0, 1, new Uint8Array(20000))],
      ["HEADERS on an idle stream", (s) => s.respond(9, [[":status", "200"]])],
      [
        "bad HPACK",
        (s) =>
          s.raw(
            FrameType.HEADERS,
            Flag.END_HEADERS,
            1,
            new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
          ),
      ],
      ["window overflow", (s) => s.windowUpdate(0, 0x7fffffff)],
    ];
    for (const [name, act] of bad) {
      const s = new ScriptedServer().start();
      const d = s.client.request(get("/"));
      act(s);
      const goaway = s.read().find((f) => f.type === FrameType.GOAWAY);
      assert.ok(goaway !== undefined, name);
      assert.ok(s.transport.disconnecting, name);
      await assert.rejects(settle(d), Error, name);
      s.client.connectionLost(new Failure(new ResponseDone()));
    }
  });

  it("cancel sends RST_STREAM(CANCEL); frames still in flight for it are ignored", async () => {
    const s = new ScriptedServer().start();
    const a = s.client.request(get("/a"));
    const b = s.client.request(get("/b"));
    s.read();
    a.cancel();
    await assert.rejects(settle(a), ResponseNeverReceived);
    const rst = s.read().find((f) => f.type === FrameType.RST_STREAM)!;
    assert.equal(rst.streamId, 1);
    assert.equal(rst.payload[3], ErrorCode.CANCEL);
    s.respond(1, [[":status", "200"]], enc.encode("late"));
    assert.deepEqual(s.read().filter((f) => f.type !== FrameType.WINDOW_UPDATE), []);
    s.respond(3, [[":status", "200"]], enc.encode("b"));
    assert.equal(dec.decode(await settle(readBody(await settle(b)))), "b");
    assert.equal(s.client.state, "CONNECTED");
  });

  it("the server must start with SETTINGS", async () => {
    const s = new ScriptedServer();
    const d = s.client.request(get("/"));
    s.respond(1, [[":status", "200"]]);
    assert.ok(s.read().some((f) => f.type === FrameType.GOAWAY));
    await assert.rejects(settle(d));
  });
});
