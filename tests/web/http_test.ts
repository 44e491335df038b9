import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Clock } from "../../src/internet/task.ts";
import { MemoryReactorClock } from "../../src/testing/mod.ts";
import { Protocol } from "../../src/internet/protocol.ts";
import {
  AccumulatingProtocol,
  connectedServerAndClient,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { NOT_DONE_YET, type Request, Resource, Site } from "../../src/web/mod.ts";
import { parseResponses, serve, td, te } from "./_helpers.ts";

trackLeaks({ beforeEach, afterEach });

class Echo extends Resource {
  override isLeaf = true;
  pending: Request[] = [];
  render_GET(request: Request): string {
    return "GET " + request.uri;
  }
  render_POST(request: Request): string {
    return "POST " + td.decode(request.content);
  }
  render_PUT(request: Request): typeof NOT_DONE_YET {
    this.pending.push(request);
    return NOT_DONE_YET;
  }
}

function makeSite(options = {}): { site: Site; clock: Clock; root: Echo } {
  const clock = new Clock();
  const root = new Echo();
  return { site: new Site(root, { clock, ...options }), clock, root };
}

describe("HTTPChannel", () => {
  it("answers a simple GET with Content-Length and keeps the connection open", () => {
    const { site } = makeSite();
    const s = serve(site);
    s.send("GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n");
    const [r] = s.responses();
    assert.equal(r.code, 200);
    assert.equal(r.text, "GET /a?b=c");
    assert.equal(r.headers.get("content-length")?.[0], "10");
    assert.equal(r.headers.has("connection"), false);
    assert.equal(s.transport.disconnecting, false);
    s.transport.loseConnection();
  });

  it("parses a request split into single bytes", () => {
    const { site } = makeSite();
    const s = serve(site);
    const req = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    const bytes = te.encode(req);
    for (const b of bytes.subarray(0, -1)) s.send(new Uint8Array([b]));
    // Nothing is rendered before the whole body is in.
    assert.equal(s.text(), "");
    s.send(bytes.subarray(-1));
    assert.equal(s.responses()[0].text, "POST hello");
    s.transport.loseConnection();
  });

  it("answers pipelined requests in order", () => {
    const { site } = makeSite();
    const s = serve(site);
    s.send(
      "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
        "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert.deepEqual(s.responses().map((r) => r.text), ["GET /1", "POST abc", "GET /3"]);
    s.transport.loseConnection();
  });

  it("holds pipelined requests while one is pending, pausing the transport", () => {
    const { site, root } = makeSite();
    const s = serve(site);
    s.send(
      "PUT /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert.equal(s.text(), "");
    assert.equal(s.transport.producerState, "paused");
    const req = root.pending.pop()!;
    req.write("slow");
    req.finish();
    assert.equal(s.transport.producerState, "producing");
    assert.deepEqual(s.responses().map((r) => r.text), ["slow", "GET /next"]);
    s.transport.loseConnection();
  });

  it("decodes a chunked request body with extensions and trailers", () => {
    const { site } = makeSite();
    const s = serve(site);
    s.send(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "3;ext=1\r\nabc\r\n0A\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n",
    );
    assert.equal(s.responses()[0].text, "POST abc0123456789");
    s.transport.loseConnection();
  });

  it("sends a chunked response when the length is unknown on HTTP/1.1", () => {
    const { site, root } = makeSite();
    const s = serve(site);
    s.send("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    const req = root.pending.pop()!;
    req.write("ab");
    req.write(new Uint8Array(0));
    req.write("cde");
    req.finish();
    assert.match(s.text(), /Transfer-Encoding: chunked\r\n/);
    assert.match(s.text(), /\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n$/);
    assert.equal(s.responses()[0].text, "abcde");
    s.transport.loseConnection();
  });

  it("closes after an HTTP/1.0 response without length, and keeps alive on request", () => {
    const { site, root } = makeSite();
    const s = serve(site);
    s.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert.equal(s.responses()[0].headers.get("connection")?.[0], "Keep-Alive");
    assert.equal(s.transport.disconnecting, false);
    s.transport.clear();
    s.send("PUT / HTTP/1.0\r\n\r\n");
    const req = root.pending.pop()!;
    req.write("streamed");
    req.finish();
    const text = s.text();
    assert.match(text, /^HTTP\/1\.0 200 OK\r\n/);
    assert.doesNotMatch(text, /chunked/);
    assert.match(text, /\r\n\r\nstreamed$/);
    assert.equal(s.transport.disconnecting, true);
  });

  it("answers HEAD to a streaming resource without body or chunking, keeping the connection", () => {
    class Stream extends Resource {
      override isLeaf = true;
      render_GET(request: Request): typeof NOT_DONE_YET {
        request.write("ignored for HEAD");
        request.finish();
        return NOT_DONE_YET;
      }
    }
    const s = serve(new Site(new Stream(), { clock: new Clock() }));
    s.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = s.text();
    const [head, rest] = [
      text.slice(0, text.indexOf("\r\n\r\n") + 4),
      text.slice(text.indexOf("\r\n\r\n") + 4),
    ];
    assert.doesNotMatch(head, /chunked|Content-Length|Connection/i);
    assert.match(rest, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(s.transport.disconnecting, false);
    s.transport.loseConnection();
  });

  it("closes after a response to Connection: close", () => {
    const { site } = makeSite();
    const s = serve(site);
    s.send(
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    const rs = s.responses();
    assert.equal(rs.length, 1);
    assert.equal(rs[0].headers.get("connection")?.[0], "close");
    assert.equal(s.transport.disconnecting, true);
  });

  it("sends 100 Continue before reading a body the client is waiting to send", () => {
    const { site } = makeSite();
    const s = serve(site);
    s.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    assert.equal(s.text(), "HTTP/1.1 100 Continue\r\n\r\n");
    s.send("hi");
    const rs = s.responses();
    assert.equal(rs[0].code, 100);
    assert.equal(rs[1].text, "POST hi");
    s.transport.loseConnection();
  });

  it("answers 417 to an unknown expectation", () => {
    const { site } = makeSite();
    const s = serve(site);
    s.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\nhi");
    assert.equal(s.responses()[0].code, 417);
    assert.equal(s.transport.disconnecting, true);
  });

  const bad: [string, string, number][] = [
    ["a request line without version", "GET /\r\n\r\n", 400],
    ["an unsupported version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505],
    ["a missing Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400],
    ["two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n", 400],
    ["a bare CR in a header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n", 400],
    ["a bare LF", "GET / HTTP/1.1\nHost: x\r\n\r\n", 400],
    ["a space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400],
    ["a NUL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", 400],
    [
      "Content-Length and Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400,
    ],
    [
      "conflicting Content-Lengths",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      400,
    ],
    ["a signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400],
    [
      "an invalid chunk size",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n",
      400,
    ],
    [
      "a chunk without its CRLF",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
      400,
    ],
    [
      "an unknown transfer coding",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      501,
    ],
    [
      "chunked not last",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      400,
    ],
    ["Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    ["a target with a space", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["* for a GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400],
  ];
  for (const [what, request, code] of bad) {
    it(`answers ${code} and closes on ${what}`, () => {
      const { site } = makeSite();
      const s = serve(site);
      s.send(request);
      const rs = s.responses();
      assert.equal(rs.length, 1);
      assert.equal(rs[0].code, code);
      assert.equal(rs[0].headers.get("connection")?.[0], "close");
      assert.equal(s.transport.disconnecting, true);
    });
  }

  it("answers 414 to a request line over the limit", () => {
    const { site } = makeSite({ maxRequestLineLength: 100 });
    const s = serve(site);
    s.send("GET /" + "a".repeat(200));
    assert.equal(s.responses()[0].code, 414);
  });

  it("answers 431 to headers over the size or count limits", () => {
    const { site } = makeSite({ maxHeaderSize: 200, maxHeaders: 3 });
    const s1 = serve(site);
    s1.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(300));
    assert.equal(s1.responses()[0].code, 431);
    const s2 = serve(site);
    s2.send("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
    assert.equal(s2.responses()[0].code, 431);
  });

  it("keeps the same limits whether a head arrives whole or byte by byte", () => {
    // A whole head is read in one pass; a split one line by line: the
    // limits must fall on the same byte either way.
    const { site } = makeSite({ maxRequestLineLength: 100, maxHeaderSize: 200, maxHeaders: 2 });
    // The request line's LF is at byte pad + 15 (100 allowed).
    const line = (pad: number): string => `GET /${"a".repeat(pad)} HTTP/1.1\r\n`;
    const cases: [string, number][] = [
      [line(85) + "Host: x\r\n\r\n", 200],
      [line(86) + "Host: x\r\n\r\n", 414],
      // The blank line's LF at byte 200 (allowed), then at 201.
      [line(0) + "Host: x\r\nX: " + "b".repeat(169) + "\r\n\r\n", 200],
      [line(0) + "Host: x\r\nX: " + "b".repeat(170) + "\r\n\r\n", 431],
      [line(0) + "Host: x\r\nA: 1\r\n\r\n", 200],
      [line(0) + "Host: x\r\nA: 1\r\nB: 2\r\n\r\n", 431],
    ];
    for (const [head, code] of cases) {
      const whole = serve(site);
      whole.send(head);
      const split = serve(site);
      for (const c of head) split.send(c);
      assert.equal(whole.responses()[0]?.code, code, head);
      assert.equal(split.responses()[0]?.code, code, head);
    }
  });

  it("answers 413 to a body over the limit, declared or chunked", () => {
    const { site } = makeSite({ maxRequestBodySize: 10 });
    const s1 = serve(site);
    s1.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n");
    assert.equal(s1.responses()[0].code, 413);
    const s2 = serve(site);
    s2.send(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n",
    );
    assert.equal(s2.responses()[0].code, 413);
  });

  it("ignores empty lines before a request line", () => {
    const { site } = makeSite();
    const s = serve(site);
    s.send("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal(s.responses()[0].code, 200);
    s.transport.loseConnection();
  });

  it("closes an idle connection after the timeout, then aborts it", () => {
    const { site, clock } = makeSite({ timeout: 10 });
    const s = serve(site);
    clock.advance(5);
    s.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    clock.advance(9);
    assert.equal(s.transport.disconnecting, false);
    clock.advance(2);
    assert.equal(s.transport.disconnecting, true);
    // StringTransportWithDisconnection reported connectionLost: no abort left.
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("answers 408 to a request that is not complete within requestTimeout", () => {
    const { site, clock } = makeSite({ timeout: null, requestTimeout: 30 });
    const s = serve(site);
    s.send("GET / HTTP/1.1\r\nHo");
    clock.advance(29);
    s.send("s");
    assert.equal(s.text(), "");
    clock.advance(2);
    assert.equal(s.responses()[0].code, 408);
    assert.equal(s.transport.disconnecting, true);
  });

  it("answers 408 to a head dripped one byte at a time past headerTimeout (60 s by default)", () => {
    const { site, clock } = makeSite({ requestTimeout: null });
    assert.equal(site.headerTimeout, 60);
    const s = serve(site);
    const head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(100);
    // A byte every 5 s keeps the 60 s idle timeout from ever firing.
    for (let i = 0; i < 12; i++) {
      s.send(head[i]);
      clock.advance(4.9);
      assert.equal(s.text(), "", `still reading at ${(i + 1) * 4.9} s`);
    }
    s.send(head[12]);
    clock.advance(1.5);
    assert.equal(s.responses()[0].code, 408);
    assert.match(new TextDecoder().decode(s.responses()[0].body), /Request head timed out/);
    assert.equal(s.transport.disconnecting, true);
  });

  it("gives the body the rest of requestTimeout once the head arrived", () => {
    const { site, clock } = makeSite({ timeout: null, headerTimeout: 10, requestTimeout: 30 });
    const s = serve(site);
    s.send("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
    clock.advance(25);
    s.send("12345");
    assert.equal(s.text(), "", "past headerTimeout, within requestTimeout: still reading");
    clock.advance(6);
    assert.equal(s.responses()[0].code, 408);
    assert.match(new TextDecoder().decode(s.responses()[0].body), /Request timed out/);
  });

  it("takes headerTimeout: null as no head limit beyond requestTimeout", () => {
    const { site, clock } = makeSite({ timeout: null, headerTimeout: null, requestTimeout: 100 });
    const s = serve(site);
    s.send("GET / HTTP/1.1\r\n");
    clock.advance(99);
    assert.equal(s.transport.disconnecting, false);
    clock.advance(2);
    assert.equal(s.responses()[0].code, 408);
  });

  it("does not time out a request when the next one starts later", () => {
    const { site, clock } = makeSite({ timeout: null, requestTimeout: 30 });
    const s = serve(site);
    s.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    clock.advance(25);
    s.send("GET / HTTP/1.1\r\n");
    clock.advance(25);
    assert.equal(s.transport.disconnecting, false);
    s.send("Host: x\r\n\r\n");
    assert.equal(s.responses().length, 2);
    s.transport.loseConnection();
  });

  it("shuts down gracefully: the request in flight finishes, then the connection closes", () => {
    const { site, root } = makeSite();
    const busy = serve(site);
    const idle = serve(site);
    busy.send("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    let done = false;
    site.shutdown().addCallback(() => {
      done = true;
    });
    assert.equal(idle.transport.disconnecting, true);
    assert.equal(busy.transport.disconnecting, false);
    assert.equal(site.buildProtocol(busy.transport.getPeer()), null);
    const req = root.pending.pop()!;
    req.write("last");
    req.finish();
    const [r] = busy.responses();
    assert.equal(r.text, "last");
    assert.equal(r.headers.get("connection")?.[0], "close");
    assert.equal(busy.transport.disconnecting, true);
    assert.equal(done, true);
    assert.equal(site.channels.size, 0);
  });

  it("a listening site drains in-flight requests before the reactor shuts down", async () => {
    const reactor = new MemoryReactorClock();
    const root = new Echo();
    const site = new Site(root, { clock: reactor });
    site.doStart(); // what a port does when it starts listening
    assert.equal(reactor.triggers("shutdown", "before").length, 1);
    const busy = serve(site, reactor as unknown as Clock);
    busy.send("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    const shutdown = reactor.fireSystemEvent("shutdown");
    assert.equal(busy.transport.disconnecting, false, "the request in flight goes on");
    const req = root.pending.pop()!;
    req.write("finished");
    req.finish();
    await shutdown;
    const [r] = busy.responses();
    assert.equal(r.text, "finished");
    assert.equal(r.headers.get("connection")?.[0], "close");
    site.doStop();
  });

  it("cuts what is still open shutdownTimeout seconds into the drain", async () => {
    const reactor = new MemoryReactorClock();
    const site = new Site(new Echo(), { clock: reactor, shutdownTimeout: 5 });
    site.doStart();
    const stuck = serve(site, reactor as unknown as Clock);
    stuck.send("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    let drained = false;
    const shutdown = reactor.fireSystemEvent("shutdown").then(() => (drained = true));
    reactor.advance(4.9);
    await Promise.resolve();
    assert.equal(drained, false);
    reactor.advance(0.2);
    await shutdown;
    assert.equal(stuck.transport.connected, false, "the stuck connection was aborted");
    assert.equal(site.channels.size, 0);
    site.doStop();
  });

  it("removes its shutdown trigger when its last port stops", () => {
    const reactor = new MemoryReactorClock();
    const site = new Site(new Echo(), { clock: reactor });
    site.doStart();
    site.doStart();
    site.doStop();
    assert.equal(reactor.triggers("shutdown", "before").length, 1, "one port still listens");
    site.doStop();
    assert.equal(reactor.triggers("shutdown", "before").length, 0);
  });

  it("hands the connection to another protocol on upgrade, with bytes already received", () => {
    const got: string[] = [];
    class Upgraded extends Protocol {
      override dataReceived(data: Uint8Array): void {
        got.push(td.decode(data));
        this.transport.write(data);
      }
    }
    class Upgrader extends Resource {
      override isLeaf = true;
      render_GET(request: Request): typeof NOT_DONE_YET {
        request.setResponseCode(101);
        request.setHeader("upgrade", "echo");
        request.setHeader("connection", "Upgrade");
        request.upgrade(new Upgraded());
        return NOT_DONE_YET;
      }
    }
    const clock = new Clock();
    const s = serve(new Site(new Upgrader(), { clock }));
    s.send("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly");
    s.send("later");
    assert.deepEqual(got, ["early", "later"]);
    assert.match(s.text(), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(s.text(), /\r\n\r\nearlylater$/);
    assert.equal(clock.getDelayedCalls().length, 0);
    s.transport.loseConnection();
  });

  it("answers OPTIONS * with 204 and Allow", () => {
    const { site } = makeSite();
    const s = serve(site);
    s.send("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
    const [r] = s.responses();
    assert.equal(r.code, 204);
    assert.ok(r.headers.get("allow")?.[0].includes("GET"));
    s.transport.loseConnection();
  });

  it("takes the path of an absolute-form target", () => {
    const { site } = makeSite();
    const s = serve(site);
    s.send("GET http://example.com/p?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert.equal(s.responses()[0].text, "GET http://example.com/p?q=1");
    s.transport.loseConnection();
  });
});

describe("HTTPChannel through connectedServerAndClient", () => {
  it("serves pipelined requests over in-memory transports, holding input while one is pending", () => {
    const { site, root } = makeSite();
    const [client, , pump] = connectedServerAndClient<AccumulatingProtocol>(
      site,
      () => new AccumulatingProtocol(),
    );
    client.transport.write(
      te.encode(
        "PUT /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n" +
          "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody" +
          "GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      ),
    );
    pump.flush();
    assert.equal(client.data.length, 0);
    const req = root.pending.pop()!;
    req.write("first");
    req.finish();
    pump.flush();
    const rs = parseResponses(client.data);
    assert.deepEqual(rs.map((r) => r.text), ["first", "POST body", "GET /3"]);
    assert.equal(client.closed, true);
  });

  it("round-trips header bytes 0x80-0xFF as latin1", () => {
    let seen: string | null = null;
    class Peek extends Resource {
      override isLeaf = true;
      render_GET(request: Request): string {
        seen = request.getHeader("x-bytes");
        return "";
      }
    }
    const s = serve(new Site(new Peek(), { clock: new Clock() }));
    const head = te.encode("GET / HTTP/1.1\r\nHost: x\r\nX-Bytes: ");
    const bytes = new Uint8Array([...head, 0x80, 0x9f, 0xe9, 0xff, 13, 10, 13, 10]);
    s.send(bytes);
    assert.equal(seen, "\x80\x9f\xe9\xff");
    s.transport.loseConnection();
  });
});
