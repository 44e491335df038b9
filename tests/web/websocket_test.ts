import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Clock } from "../../src/internet/task.ts";
import type { IPushProducer } from "../../src/internet/interfaces.ts";
import { Failure } from "../../src/internet/failure.ts";
import { ConnectionDone } from "../../src/internet/error.ts";
import {
  connectedServerAndClient,
  flushLoggedErrors,
  StringTransport,
  trackLeaks,
} from "../../src/testing/mod.ts";
import {
  ConnectionDeny,
  type ConnectionRequest,
  type ConnectionResponse,
  Resource,
  Site,
  WebSocketClientFactory,
  WebSocketClientProtocol,
  WebSocketHandshakeError,
  WebSocketProtocol,
  WebSocketResource,
  WebSocketServerFactory,
} from "../../src/web/mod.ts";
import {
  encodeClosePayload,
  encodeFrame,
  FrameReader,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_PONG,
  OP_TEXT,
} from "../../src/web/_websocket_frame.ts";
import { acceptKey } from "../../src/web/_websocket_handshake.ts";
import { serve } from "./_helpers.ts";
import {
  closeCode,
  Echo,
  handshakeRequest,
  MASK,
  openConn,
  Recorder,
  SAMPLE_ACCEPT,
  td,
  te,
} from "./_websocket_helpers.ts";

trackLeaks({ beforeEach, afterEach });

function siteFor(factory: WebSocketServerFactory, clock = new Clock()): Site {
  return new Site(new WebSocketResource(factory), { clock });
}

describe("WebSocketResource handshake", () => {
  it("answers a valid handshake with 101 and the RFC's accept key, then opens", () => {
    const c = openConn(Echo, {}, {
      Origin: "https://a.example",
      "Sec-WebSocket-Protocol": "chat, v2",
    });
    assert.equal(c.head.code, 101);
    assert.equal(c.head.headers.get("upgrade")?.[0], "websocket");
    assert.equal(c.head.headers.get("connection")?.[0], "Upgrade");
    assert.equal(c.head.headers.get("sec-websocket-accept")?.[0], SAMPLE_ACCEPT);
    assert.equal(c.head.headers.has("sec-websocket-protocol"), false, "no subprotocol chosen");
    assert.equal(c.head.headers.has("content-length"), false);
    assert.equal(c.protocol.opened, 1);
    assert.equal(c.protocol.readyState, WebSocketProtocol.OPEN);
    const req = c.protocol.connectionRequest!;
    assert.equal(req.origin, "https://a.example");
    assert.deepEqual(req.protocols, ["chat", "v2"]);
    assert.equal(req.host, "example.com");
    assert.equal(req.version, 13);
    c.served.transport.loseConnection();
  });

  const refusals: [string, string, number, string?][] = [
    [
      "a plain GET",
      handshakeRequest({ Upgrade: "", Connection: "", "Sec-WebSocket-Key": "" }),
      426,
    ],
    ["a POST", handshakeRequest({}, "/", "POST"), 405],
    ["version 8", handshakeRequest({ "Sec-WebSocket-Version": "8" }), 426, "13"],
    ["a missing key", handshakeRequest({ "Sec-WebSocket-Key": "" }), 400],
    ["a key of 8 bytes", handshakeRequest({ "Sec-WebSocket-Key": "c2hvcnRrZXk=" }), 400],
    ["no Connection: Upgrade", handshakeRequest({ Connection: "keep-alive" }), 400],
    ["HTTP/1.0", handshakeRequest({}, "/", "GET", "HTTP/1.0"), 400],
  ];
  for (const [what, request, code, version] of refusals) {
    it(`refuses ${what} with ${code}`, () => {
      const clock = new Clock();
      const s = serve(siteFor(new WebSocketServerFactory(Echo, { clock }), clock), clock);
      s.send(request);
      const [response] = s.responses();
      assert.equal(response.code, code);
      if (code === 426) assert.equal(response.headers.get("sec-websocket-version")?.[0], "13");
      if (version) assert.equal(response.headers.get("sec-websocket-version")?.[0], version);
      s.transport.loseConnection();
    });
  }

  it("checks the origin against exact names and patterns", () => {
    const clock = new Clock();
    const factory = new WebSocketServerFactory(Echo, {
      clock,
      allowedOrigins: ["https://good.example", "https://*.trusted.example"],
    });
    for (
      const [origin, code] of [
        ["https://evil.example", 403],
        ["https://good.example", 101],
        ["https://app.trusted.example", 101],
        ["http://app.trusted.example", 403],
      ] as const
    ) {
      const s = serve(siteFor(factory, clock), clock);
      s.send(handshakeRequest({ Origin: origin }));
      assert.match(s.text(), new RegExp(`^HTTP/1\\.1 ${code} `), origin);
      s.transport.loseConnection();
    }
    assert.equal(factory.isOriginAllowed(null), true, "non-browser clients send no Origin");
  });

  it("answers with the subprotocol onConnect chose, and extra headers", () => {
    class Chat extends Recorder {
      override onConnect(
        request: ConnectionRequest,
      ): { protocol: string; headers: Record<string, string> } {
        return {
          protocol: request.protocols.includes("v2") ? "v2" : "v1",
          headers: { "X-Hello": "yes" },
        };
      }
    }
    const c = openConn(Chat, {}, { "Sec-WebSocket-Protocol": "v1, v2" });
    assert.equal(c.head.headers.get("sec-websocket-protocol")?.[0], "v2");
    assert.equal(c.head.headers.get("x-hello")?.[0], "yes");
    c.served.transport.loseConnection();
  });

  it("answers 500 when onConnect chooses a subprotocol the client did not offer", () => {
    class Bad extends Recorder {
      override onConnect(): string {
        return "nope";
      }
    }
    const clock = new Clock();
    const s = serve(siteFor(new WebSocketServerFactory(Bad, { clock }), clock), clock);
    s.send(handshakeRequest({ "Sec-WebSocket-Protocol": "chat" }));
    assert.equal(s.responses()[0].code, 500);
    assert.equal(flushLoggedErrors().length, 1);
    s.transport.loseConnection();
  });

  it("refuses with the status of a ConnectionDeny thrown by onConnect", () => {
    class Deny extends Recorder {
      override onConnect(): string {
        throw new ConnectionDeny(401, "Who are you");
      }
    }
    const clock = new Clock();
    const s = serve(siteFor(new WebSocketServerFactory(Deny, { clock }), clock), clock);
    s.send(handshakeRequest());
    const [r] = s.responses();
    assert.equal(r.code, 401);
    assert.match(r.text, /Who are you/);
    assert.equal(Recorder.instances.at(-1)!.opened, 0);
    s.transport.loseConnection();
  });

  it("waits for a promise from onConnect before answering", async () => {
    let release!: (v: string) => void;
    class Later extends Recorder {
      override onConnect(): Promise<string> {
        return new Promise((resolve) => (release = resolve));
      }
    }
    const clock = new Clock();
    const s = serve(siteFor(new WebSocketServerFactory(Later, { clock }), clock), clock);
    s.send(handshakeRequest({ "Sec-WebSocket-Protocol": "a" }));
    assert.equal(s.transport.value().length, 0);
    release("a");
    await Promise.resolve();
    await Promise.resolve();
    assert.match(s.text(), /^HTTP\/1\.1 101 .*\r\n/);
    assert.match(s.text(), /sec-websocket-protocol: a\r\n/i);
    assert.equal(Recorder.instances.at(-1)!.opened, 1);
    s.transport.loseConnection();
  });

  it("refuses when a promise from onConnect rejects with ConnectionDeny", async () => {
    class LaterDeny extends Recorder {
      override onConnect(): Promise<string> {
        return Promise.reject(new ConnectionDeny(403, "Not today"));
      }
    }
    const clock = new Clock();
    const s = serve(siteFor(new WebSocketServerFactory(LaterDeny, { clock }), clock), clock);
    s.send(handshakeRequest());
    await new Promise((r) => setTimeout(r, 0));
    const [r] = s.responses();
    assert.equal(r.code, 403);
    assert.match(r.text, /Not today/);
    s.transport.loseConnection();
  });

  it("delivers frames that arrived in the same chunk as the handshake", () => {
    const frame = encodeFrame(OP_TEXT, te.encode("early"), true, new Uint8Array([9, 8, 7, 6]))[0];
    const c = openConn(Echo, {}, {}, frame);
    assert.deepEqual(c.protocol.messages, [["early", false]]);
    assert.equal(td.decode(c.frames()[0].payload), "early");
    c.served.transport.loseConnection();
  });

  it("serves a WebSocketResource below other resources", () => {
    const clock = new Clock();
    const root = new Resource();
    root.putChild("ws", new WebSocketResource(new WebSocketServerFactory(Echo, { clock })));
    const s = serve(new Site(root, { clock }), clock);
    s.send(handshakeRequest({}, "/ws?room=1"));
    assert.match(s.text(), /^HTTP\/1\.1 101 /);
    const req = Recorder.instances.at(-1)!.connectionRequest!;
    assert.equal(req.path, "/ws");
    assert.deepEqual(req.params.room, ["1"]);
    s.transport.loseConnection();
  });
});

describe("WebSocketProtocol messages (server side)", () => {
  it("echoes text and binary messages in unmasked frames", () => {
    const c = openConn();
    c.send(OP_TEXT, "héllo");
    c.send(OP_BINARY, new Uint8Array([0, 255, 1]));
    assert.deepEqual(c.protocol.messages, [["héllo", false], [new Uint8Array([0, 255, 1]), true]]);
    const frames = c.frames();
    assert.deepEqual(frames.map((f) => [f.opcode, f.fin]), [[OP_TEXT, true], [OP_BINARY, true]]);
    assert.equal(td.decode(frames[0].payload), "héllo");
    c.served.transport.loseConnection();
    assert.deepEqual(c.protocol.closes, [[false, 1006, c.protocol.wasNotCleanReason]]);
  });

  it("reassembles a fragmented message with a ping in between, answering the ping", () => {
    const c = openConn();
    c.send(OP_TEXT, "Hel", false);
    c.send(OP_PING, "are you there");
    c.send(OP_CONTINUATION, "lo", false);
    c.send(OP_CONTINUATION, "!", true);
    assert.deepEqual(c.protocol.messages, [["Hello!", false]]);
    assert.deepEqual(c.protocol.pings, ["are you there"]);
    const frames = c.frames();
    assert.equal(frames[0].opcode, OP_PONG);
    assert.equal(td.decode(frames[0].payload), "are you there");
    assert.equal(td.decode(frames[1].payload), "Hello!");
    c.served.transport.loseConnection();
  });

  it("accepts a UTF-8 character split across fragments", () => {
    const c = openConn();
    const euro = te.encode("€"); // 3 bytes
    c.send(OP_TEXT, euro.subarray(0, 1), false);
    c.send(OP_CONTINUATION, euro.subarray(1), true);
    assert.deepEqual(c.protocol.messages, [["€", false]]);
    c.served.transport.loseConnection();
  });

  it("sends large messages in frames of fragmentSize", () => {
    const c = openConn(Recorder, { fragmentSize: 4 });
    c.protocol.sendMessage("abcdefghij");
    const frames = c.frames();
    assert.deepEqual(frames.map((f) => [f.opcode, f.fin, td.decode(f.payload)]), [
      [OP_TEXT, false, "abcd"],
      [OP_CONTINUATION, false, "efgh"],
      [OP_CONTINUATION, true, "ij"],
    ]);
    c.served.transport.loseConnection();
  });

  const violations: [string, (c: ReturnType<typeof openConn>) => void, number][] = [
    ["invalid UTF-8 in a text message", (c) => c.send(OP_TEXT, new Uint8Array([0xc3, 0x28])), 1007],
    [
      "invalid UTF-8 in a first fragment, before the message ends",
      (c) => c.send(OP_TEXT, new Uint8Array([0x61, 0xff]), false),
      1007,
    ],
    [
      "a text message ending in a partial character",
      (c) => c.send(OP_TEXT, new Uint8Array([0xe2, 0x82])),
      1007,
    ],
    ["an unmasked frame", (c) => c.raw(encodeFrame(OP_TEXT, te.encode("x"))[0]), 1002],
    ["a continuation with no message", (c) => c.send(OP_CONTINUATION, "x"), 1002],
    ["a new message inside a fragmented one", (c) => {
      c.send(OP_TEXT, "a", false);
      c.send(OP_TEXT, "b");
    }, 1002],
    ["a reserved opcode", (c) => c.send(5, "x"), 1002],
    ["a close frame with code 1005", (c) => c.send(OP_CLOSE, new Uint8Array([0x03, 0xed])), 1002],
    ["a close frame of one byte", (c) => c.send(OP_CLOSE, new Uint8Array([0x03])), 1002],
    [
      "a close reason that is not UTF-8",
      (c) => c.send(OP_CLOSE, new Uint8Array([0x03, 0xe8, 0xff])),
      1007,
    ],
    ["a message over maxMessageSize across fragments", (c) => {
      c.send(OP_BINARY, new Uint8Array(60), false);
      c.send(OP_CONTINUATION, new Uint8Array(60), true);
    }, 1009],
    ["a frame over maxFrameSize, before its payload arrives", (c) => {
      c.raw(new Uint8Array([0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4]));
    }, 1009],
  ];
  for (const [what, act, code] of violations) {
    it(`fails the connection with ${code} on ${what}`, () => {
      const c = openConn(Recorder, { maxMessageSize: 100, maxFrameSize: 80 });
      act(c);
      assert.equal(c.protocol.messages.length, 0);
      const frames = c.frames();
      assert.equal(frames.at(-1)!.opcode, OP_CLOSE);
      assert.equal(closeCode(frames.at(-1)!), code);
      assert.equal(c.protocol.localCloseCode, code);
      assert.equal(c.disconnected(), true, "the server closes TCP after failing");
      assert.equal(c.protocol.closes.length, 1);
      assert.equal(c.protocol.closes[0][0], false);
      assert.equal(c.protocol.closes[0][1], 1006);
    });
  }

  it("closes cleanly when the client starts the closing handshake", () => {
    const c = openConn();
    c.send(OP_CLOSE, encodeClosePayload(1000, "bye"));
    const frames = c.frames();
    assert.equal(frames.length, 1);
    assert.equal(closeCode(frames[0]), 1000, "the close code is echoed");
    assert.equal(c.disconnected(), true, "the server closes TCP once the handshake is done");
    assert.deepEqual(c.protocol.closes, [[true, 1000, "bye"]]);
    assert.equal(c.protocol.remoteCloseCode, 1000);
  });

  it("reports 1005 for a close frame without a code", () => {
    const c = openConn();
    c.send(OP_CLOSE, new Uint8Array(0));
    assert.equal(c.frames()[0].payload.length, 0);
    assert.deepEqual(c.protocol.closes, [[true, 1005, ""]]);
  });

  it("closes cleanly when the server starts and the client answers", () => {
    const c = openConn();
    c.protocol.sendClose(4000, "done");
    assert.equal(c.protocol.readyState, WebSocketProtocol.CLOSING);
    const [frame] = c.frames();
    assert.equal(closeCode(frame), 4000);
    assert.equal(td.decode(frame.payload.subarray(2)), "done");
    assert.equal(c.protocol.sendMessage("late"), false, "no data after the close frame");
    c.send(OP_TEXT, "in flight");
    assert.deepEqual(
      c.protocol.messages,
      [["in flight", false]],
      "data before the answer is delivered",
    );
    c.send(OP_CLOSE, encodeClosePayload(4000, ""));
    assert.equal(c.disconnected(), true);
    assert.deepEqual(c.protocol.closes, [[true, 4000, ""]]);
    assert.equal(c.frames().length, 0, "no second close frame");
  });

  it("drops the connection when the close frame is not answered in time", () => {
    const c = openConn(Recorder, { closeTimeout: 3 });
    c.protocol.sendClose(1000);
    c.clock.advance(2.9);
    assert.equal(c.disconnected(), false);
    c.clock.advance(0.2);
    assert.equal(c.disconnected(), true);
    assert.equal(c.served.transport.aborted, true);
    assert.equal(c.protocol.closes[0][0], false);
    assert.match(c.protocol.closes[0][2], /did not answer/);
  });

  it("says going away with 1001 when the server shuts down", () => {
    const c = openConn();
    c.protocol.goingAway();
    const [frame] = c.frames();
    assert.equal(closeCode(frame), 1001);
    c.send(OP_CLOSE, encodeClosePayload(1001, ""));
    assert.equal(c.disconnected(), true);
    assert.deepEqual(c.protocol.closes, [[true, 1001, ""]]);
  });

  it("refuses close codes and reasons an application may not send", () => {
    const c = openConn();
    assert.throws(() => c.protocol.sendClose(1006), RangeError);
    assert.throws(() => c.protocol.sendClose(2000), RangeError);
    assert.throws(() => c.protocol.sendClose(1000, "x".repeat(124)), RangeError);
    assert.throws(() => c.protocol.sendClose(undefined, "reason"), RangeError);
    assert.throws(() => c.protocol.sendPing(new Uint8Array(126)), RangeError);
    assert.equal(c.frames().length, 0);
    c.served.transport.loseConnection();
  });

  it("pings on its own and drops a peer that does not answer", () => {
    const c = openConn(Recorder, { autoPingInterval: 10, autoPingTimeout: 5 });
    c.clock.advance(10);
    let [ping] = c.frames();
    assert.equal(ping.opcode, OP_PING);
    c.send(OP_PONG, ping.payload);
    assert.equal(c.protocol.pongs.length, 1);
    c.clock.advance(10);
    [ping] = c.frames();
    assert.equal(ping.opcode, OP_PING);
    assert.notDeepEqual(ping.payload, new Uint8Array(0));
    c.clock.advance(4.9);
    assert.equal(c.disconnected(), false);
    c.clock.advance(0.2);
    assert.equal(c.disconnected(), true);
    assert.match(c.protocol.closes[0][2], /pong/);
  });

  it("closes with 1011 when onMessage throws, and logs the error", () => {
    class Broken extends Recorder {
      override onMessage(): void {
        throw new Error("boom");
      }
    }
    const c = openConn(Broken);
    c.send(OP_TEXT, "x");
    assert.equal(closeCode(c.frames()[0]), 1011);
    assert.equal(flushLoggedErrors().length, 1);
    assert.equal(c.disconnected(), true);
  });

  it("holds messages back while paused, and pauses the transport", () => {
    const c = openConn();
    c.protocol.pauseProducing();
    assert.equal(c.served.transport.producerState, "paused");
    c.send(OP_TEXT, "one");
    c.send(OP_TEXT, "two");
    assert.equal(c.protocol.messages.length, 0);
    c.protocol.resumeProducing();
    assert.equal(c.served.transport.producerState, "producing");
    assert.deepEqual(c.protocol.messages, [["one", false], ["two", false]]);
    c.served.transport.loseConnection();
  });

  it("throws when sending before open and drops messages after close", () => {
    const p = new Recorder();
    assert.throws(() => p.sendMessage("x"), /before the WebSocket is open/);
    const c = openConn();
    c.served.transport.loseConnection();
    assert.equal(c.protocol.sendMessage("x"), false);
    c.protocol.sendPing();
    c.protocol.sendClose();
  });
});

/** A client recording its callbacks. */
class ClientRec extends WebSocketClientProtocol {
  static last: ClientRec | null = null;
  opened = 0;
  messages: [string | Uint8Array, boolean][] = [];
  closes: [boolean, number, string][] = [];
  responses: ConnectionResponse[] = [];
  drains = 0;
  constructor() {
    super();
    ClientRec.last = this;
  }
  override onConnect(response: ConnectionResponse): void {
    this.responses.push(response);
  }
  override onOpen(): void {
    this.opened++;
  }
  override onMessage(payload: Uint8Array, isBinary: boolean): void {
    this.messages.push([isBinary ? payload.slice() : td.decode(payload), isBinary]);
  }
  override onClose(wasClean: boolean, code: number, reason: string): void {
    this.closes.push([wasClean, code, reason]);
  }
  override onDrain(): void {
    this.drains++;
  }
}

function pair(
  serverProto: new () => Recorder = Echo,
  serverOptions = {},
  clientOptions = {},
  url = "ws://127.0.0.1/chat?x=1",
) {
  const clock = new Clock();
  const sfactory = new WebSocketServerFactory(serverProto, { clock, ...serverOptions });
  const site = siteFor(sfactory, clock);
  const cfactory = new WebSocketClientFactory(url, ClientRec, { clock, ...clientOptions });
  const [client, , pump] = connectedServerAndClient<ClientRec>(site, cfactory, { clock });
  return { client, server: Recorder.instances.at(-1)!, pump, clock };
}

describe("WebSocketClientProtocol over iosim", () => {
  it("opens, exchanges messages both ways and closes cleanly on both sides", () => {
    Recorder.instances = [];
    const { client, server, pump } = pair();
    assert.equal(client.opened, 1);
    assert.equal(server.opened, 1);
    assert.equal(server.connectionRequest!.path, "/chat");
    assert.equal(server.connectionRequest!.host, "127.0.0.1");
    client.sendMessage("hi");
    client.sendMessage(new Uint8Array(70000).fill(3), true);
    pump.flush();
    assert.deepEqual(server.messages[0], ["hi", false]);
    assert.equal((client.messages[1][0] as Uint8Array).length, 70000);
    assert.deepEqual(client.messages[0], ["hi", false]);
    client.sendClose(1000, "bye");
    pump.flush();
    assert.deepEqual(server.closes, [[true, 1000, "bye"]]);
    assert.deepEqual(client.closes, [[true, 1000, ""]], "the server echoes the code alone");
  });

  it("negotiates a subprotocol the client offered", () => {
    class Pick extends Echo {
      override onConnect(request: ConnectionRequest): string {
        return request.protocols[1];
      }
    }
    Recorder.instances = [];
    const { client, pump } = pair(Pick, {}, {
      protocols: ["a", "b"],
      headers: { "X-Token": "t" },
      origin: "https://o",
    });
    assert.equal(client.responses[0].protocol, "b");
    const req = Recorder.instances.at(-1)!.connectionRequest!;
    assert.equal(req.origin, "https://o");
    assert.equal(req.headers.getLast("x-token"), "t");
    client.sendClose();
    pump.flush();
    assert.deepEqual(client.closes, [[true, 1005, ""]]);
  });

  it("fires whenOpen, and the client waits for the server to close TCP", () => {
    Recorder.instances = [];
    const { client, server, pump } = pair();
    let opened: unknown = null;
    client.whenOpen().addCallback((p) => (opened = p));
    assert.equal(opened, client);
    server.sendClose(1000);
    pump.flush();
    assert.deepEqual(client.closes, [[true, 1000, ""]]);
    assert.deepEqual(server.closes, [[true, 1000, ""]]);
  });

  it("fails the handshake on a non-101 answer with WebSocketHandshakeError", () => {
    const clock = new Clock();
    class NotWs extends Resource {
      override isLeaf = true;
      render_GET(): string {
        return "plain";
      }
    }
    const cfactory = new WebSocketClientFactory("ws://localhost:8080/", ClientRec, { clock });
    const [client, , pump] = connectedServerAndClient<ClientRec>(
      new Site(new NotWs(), { clock }),
      cfactory,
      { clock },
    );
    let error: unknown = null;
    client.whenOpen().addErrback((f) => (error = f.value));
    pump.flush();
    assert.ok(error instanceof WebSocketHandshakeError);
    assert.equal(error.code, 200);
    assert.equal(client.opened, 0);
    assert.equal(client.closes[0][1], 1006);
  });

  function clientOnString(): {
    client: ClientRec;
    transport: StringTransport;
    key: string;
    clock: Clock;
  } {
    const clock = new Clock();
    const factory = new WebSocketClientFactory("wss://[::1]:9443/p", ClientRec, {
      clock,
      closeTimeout: 2,
    });
    const client = factory.buildProtocol({} as never) as ClientRec;
    const transport = new StringTransport();
    client.makeConnection(transport);
    const request = transport.valueText();
    const key = /Sec-WebSocket-Key: (\S+)\r\n/.exec(request)![1];
    assert.match(request, /^GET \/p HTTP\/1\.1\r\nHost: \[::1\]:9443\r\n/);
    transport.clear();
    return { client, transport, key, clock };
  }

  it("rejects a wrong accept key and lost connections before open", () => {
    const { client, transport } = clientOnString();
    let error: unknown = null;
    client.whenOpen().addErrback((f) => (error = f.value));
    client.dataReceived(te.encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    ));
    assert.ok(error instanceof WebSocketHandshakeError);
    assert.match(error.message, /Sec-WebSocket-Accept/);
    assert.equal(transport.aborted, true);
  });

  it("rejects a subprotocol that was not offered", () => {
    const { client, transport, key } = clientOnString();
    let error: unknown = null;
    client.whenOpen().addErrback((f) => (error = f.value));
    client.dataReceived(te.encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${acceptKey(key)}\r\nSec-WebSocket-Protocol: surprise\r\n\r\n`,
    ));
    assert.match(String(error), /subprotocol/);
    assert.equal(transport.aborted, true);
  });

  it("opens on a response split anywhere, masks its frames and fails 1002 on a masked server frame", () => {
    const { client, transport, key, clock } = clientOnString();
    const response = te.encode(
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nconnection: upgrade\r\n" +
        `sec-websocket-accept: ${acceptKey(key)}\r\n\r\n`,
    );
    for (const b of response) client.dataReceived(new Uint8Array([b]));
    assert.equal(client.opened, 1);
    client.sendMessage("masked");
    const reader = new FrameReader({ expectMasked: true, limit: () => 1000 });
    reader.push(transport.value().slice());
    assert.equal(td.decode(reader.next()!.payload), "masked");
    transport.clear();
    client.dataReceived(
      encodeFrame(OP_TEXT, te.encode("x"), true, new Uint8Array([1, 1, 1, 1]))[0],
    );
    const back = new FrameReader({ expectMasked: true, limit: () => 1000 });
    back.push(transport.value().slice());
    const close = back.next()!;
    assert.equal(close.opcode, OP_CLOSE);
    assert.equal(closeCode(close), 1002);
    assert.equal(transport.disconnecting, true);
    clock.advance(2);
    assert.equal(
      transport.aborted,
      true,
      "a close that never completes is bounded by closeTimeout",
    );
  });

  it("reads frames that came with the handshake response, even when onOpen starts closing", () => {
    const { client, transport, key } = clientOnString();
    client.onOpen = () => client.sendClose(1000);
    const head = te.encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
    );
    const msg = encodeFrame(OP_TEXT, te.encode("welcome"))[0];
    const close = encodeFrame(OP_CLOSE, encodeClosePayload(1000, ""))[0];
    const all = new Uint8Array(head.length + msg.length + close.length);
    all.set(head);
    all.set(msg, head.length);
    all.set(close, head.length + msg.length);
    client.dataReceived(all);
    assert.deepEqual(client.messages, [["welcome", false]]);
    assert.equal(client.remoteCloseCode, 1000);
    assert.equal(client.readyState, WebSocketProtocol.CLOSED);
    transport.loseConnection();
    client.connectionLost(new Failure(new ConnectionDone()));
    assert.deepEqual(client.closes, [[true, 1000, ""]]);
  });

  it("gives up when the server does not answer the handshake in time", () => {
    const clock = new Clock();
    const factory = new WebSocketClientFactory("ws://h/", ClientRec, {
      clock,
      openHandshakeTimeout: 5,
    });
    const client = factory.buildProtocol({} as never) as ClientRec;
    const transport = new StringTransport();
    client.makeConnection(transport);
    let error: unknown = null;
    client.whenOpen().addErrback((f) => (error = f.value));
    clock.advance(5);
    assert.match(String(error), /timed out/);
    assert.equal(transport.aborted, true);
  });

  it("refuses URLs that are not ws: or wss:", () => {
    assert.throws(() => new WebSocketClientFactory("http://x/"), SyntaxError);
    assert.throws(() => new WebSocketClientFactory("ws://x/#frag"), SyntaxError);
    assert.throws(() => new WebSocketClientFactory("not a url"), SyntaxError);
    const f = new WebSocketClientFactory("wss://example.org/a?b=c");
    assert.deepEqual([f.host, f.port, f.resource, f.isSecure], [
      "example.org",
      443,
      "/a?b=c",
      true,
    ]);
  });
});

/** A side with an opening handshake of its own: "READY\n", answered by "GO\n". */
class LineHandshake extends WebSocketProtocol {
  messages: string[] = [];
  closes: [boolean, number, string][] = [];
  lost: string[] = [];
  events: string[] = [];
  constructor() {
    super(true);
  }
  protected override startHandshake(): void {
    this.transport.write(te.encode("READY\n"));
  }
  protected override processHandshake(data: Uint8Array): Uint8Array | null {
    const nl = data.indexOf(10);
    if (nl < 0) return null;
    if (td.decode(data.subarray(0, nl)) !== "GO") {
      this.failHandshake("Bad greeting");
      return null;
    }
    this.completeHandshake();
    return data.subarray(nl + 1);
  }
  protected override handshakeLost(reason: Failure): void {
    this.lost.push(reason.getErrorMessage());
    this.events.push("handshakeLost");
  }
  override onMessage(payload: Uint8Array): void {
    this.messages.push(td.decode(payload));
  }
  override onClose(wasClean: boolean, code: number, reason: string): void {
    this.closes.push([wasClean, code, reason]);
    this.events.push("onClose");
  }
}

function lineSide(): [LineHandshake, StringTransport] {
  const protocol = new LineHandshake();
  protocol.setProtocolOptions({ clock: new Clock() });
  const transport = new StringTransport();
  protocol.makeConnection(transport);
  return [protocol, transport];
}

describe("WebSocketProtocol handshake hooks", () => {
  it("runs a subclass's opening handshake, then delivers the frames after it", () => {
    const [protocol, transport] = lineSide();
    assert.equal(transport.valueText(), "READY\n");
    assert.equal(protocol.readyState, WebSocketProtocol.CONNECTING);
    const frame = encodeFrame(OP_TEXT, te.encode("hi"), true, MASK);
    protocol.dataReceived(new Uint8Array([...te.encode("GO\n"), ...frame.flatMap((c) => [...c])]));
    assert.equal(protocol.readyState, WebSocketProtocol.OPEN);
    assert.deepEqual(protocol.messages, ["hi"]);
    protocol.connectionLost(new Failure(new ConnectionDone()));
    assert.deepEqual(protocol.lost, []);
  });

  it("drops the connection on failHandshake, with the reason given to onClose", () => {
    const [protocol, transport] = lineSide();
    protocol.dataReceived(te.encode("NO\n"));
    assert.equal(protocol.readyState, WebSocketProtocol.CLOSED);
    assert.equal(transport.disconnecting, true);
    protocol.connectionLost(new Failure(new ConnectionDone()));
    assert.deepEqual(protocol.events, ["onClose"]);
    assert.deepEqual(protocol.closes, [[false, 1006, "Bad greeting"]]);
  });

  it("tells handshakeLost, then onClose, when the peer leaves during the handshake", () => {
    const [protocol] = lineSide();
    protocol.connectionLost(new Failure(new ConnectionDone("gone")));
    assert.deepEqual(protocol.events, ["handshakeLost", "onClose"]);
    assert.deepEqual(protocol.lost, ["gone"]);
  });
});

describe("WebSocket flow control", () => {
  it("returns false past the high-water mark and calls onDrain once drained", () => {
    Recorder.instances = [];
    const { client, server, pump } = pair(Recorder);
    pump.serverIO.bufferSize = 1000;
    client.pauseProducing();
    assert.equal(server.sendMessage(new Uint8Array(500), true), true);
    assert.equal(server.sendMessage(new Uint8Array(800), true), false);
    assert.ok(server.bufferedAmount > server.highWaterMark);
    pump.flush();
    assert.equal(client.messages.length, 0, "the paused client reads nothing");
    assert.equal(server.drains, 0);
    client.resumeProducing();
    pump.flush();
    assert.equal(client.messages.length, 2);
    assert.equal(server.drains, 1);
    assert.equal(pump.serverIO.producer, null, "the drain watcher is gone once drained");
    client.sendClose(1000);
    pump.flush();
  });

  it("pauses and resumes a registered streaming producer by the write buffer", () => {
    Recorder.instances = [];
    const { client, server, pump } = pair(Recorder);
    pump.serverIO.bufferSize = 100;
    const events: string[] = [];
    const producer: IPushProducer = {
      pauseProducing: () => events.push("pause"),
      resumeProducing: () => events.push("resume"),
      stopProducing: () => events.push("stop"),
    };
    server.registerProducer(producer, true);
    assert.throws(() => server.registerProducer(producer, true), /still registered/);
    client.pauseProducing();
    server.sendMessage(new Uint8Array(300), true);
    pump.pump();
    assert.deepEqual(events, ["pause"]);
    client.resumeProducing();
    pump.flush();
    assert.deepEqual(events, ["pause", "resume"]);
    server.unregisterProducer();
    client.sendClose(1000);
    pump.flush();
    assert.deepEqual(events, ["pause", "resume"], "an unregistered producer is not stopped");
    assert.deepEqual(server.closes, [[true, 1000, ""]]);
  });

  it("stops a producer still registered when the connection ends", () => {
    Recorder.instances = [];
    const { client, server, pump } = pair(Recorder);
    let stopped = 0;
    server.registerProducer({
      pauseProducing() {},
      resumeProducing() {},
      stopProducing: () => stopped++,
    }, true);
    client.dropConnection();
    pump.flush();
    assert.equal(stopped, 1);
    assert.equal(server.closes[0][1], 1006);
  });

  it("pipes one WebSocket into another with backpressure", () => {
    Recorder.instances = [];
    const a = pair(Recorder);
    const b = pair(Recorder);
    // Forward everything b's server receives to a's server's peer.
    b.server.onMessage = (payload: Uint8Array, isBinary: boolean): void => {
      a.server.sendMessage(payload, isBinary);
    };
    a.server.registerProducer(b.server, true);
    a.pump.serverIO.bufferSize = 10;
    a.client.pauseProducing();
    b.client.sendMessage("first message is long enough");
    b.pump.flush();
    a.pump.pump();
    assert.equal(b.pump.serverIO.paused, true, "the slow reader pauses the source socket");
    a.client.resumeProducing();
    a.pump.flush();
    assert.equal(b.pump.serverIO.paused, false);
    assert.deepEqual(a.client.messages, [["first message is long enough", false]]);
    a.server.unregisterProducer();
    for (const x of [a, b]) {
      x.client.sendClose(1000);
      x.pump.flush();
    }
  });
});
