/**
 * HTTP11ClientProtocol through a StringTransport: request framing, response
 * parsing, body delivery, persistence, cancellation, bad responses.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CancelledError, Deferred } from "../../src/internet/defer.ts";
import { Failure } from "../../src/internet/failure.ts";
import { ConnectionDone, ConnectionLost } from "../../src/internet/error.ts";
import { Protocol } from "../../src/internet/protocol.ts";
import { StringTransportWithDisconnection, trackLeaks } from "../../src/testing/mod.ts";
import { Headers } from "../../src/web/_headers.ts";
import {
  BytesBodyProducer,
  ClientRequest,
  HTTP11ClientProtocol,
  PartialDownloadError,
  PotentialDataLoss,
  readBody,
  RequestGenerationFailed,
  RequestNotSent,
  ResponseDone,
  ResponseFailed,
  ResponseNeverReceived,
  UNKNOWN_LENGTH,
  WrongBodyLength,
} from "../../src/web/client.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
const td = new TextDecoder();

interface Conn {
  protocol: HTTP11ClientProtocol;
  transport: StringTransportWithDisconnection;
  quiescent: number;
  send(s: string | Uint8Array): void;
  written(): string;
}

function connect(): Conn {
  const conn: Conn = {
    protocol: null as unknown as HTTP11ClientProtocol,
    transport: new StringTransportWithDisconnection(),
    quiescent: 0,
    send(s) {
      conn.protocol.dataReceived(typeof s === "string" ? te.encode(s) : s);
    },
    written() {
      return conn.transport.valueText();
    },
  };
  conn.protocol = new HTTP11ClientProtocol(() => conn.quiescent++);
  conn.transport.protocol = conn.protocol;
  conn.protocol.makeConnection(conn.transport);
  return conn;
}

function get(uri = "/", persistent = true, method = "GET"): ClientRequest {
  return new ClientRequest(method, uri, new Headers({ Host: "example.org" }), null, persistent);
}

/** Records what a Deferred fired with, synchronously. */
function settle<T>(d: Deferred<T>): { value?: T; failure?: Failure } {
  const out: { value?: T; failure?: Failure } = {};
  d.addCallbacks((v: T) => {
    out.value = v;
    return null;
  }, (f: Failure) => {
    out.failure = f;
    return null;
  });
  return out;
}

class Collect extends Protocol {
  chunks: string[] = [];
  reason: Failure | null = null;
  override dataReceived(data: Uint8Array): void {
    this.chunks.push(td.decode(data));
  }
  override connectionLost(reason: Failure): void {
    this.reason = reason;
  }
}

describe("HTTP11ClientProtocol", () => {
  it("writes a GET request head with the Host header", () => {
    const c = connect();
    c.protocol.request(get("/a?b=1"));
    assert.equal(c.written(), "GET /a?b=1 HTTP/1.1\r\nHost: example.org\r\n\r\n");
    assert.equal(c.protocol.state, "WAITING");
  });

  it("asks the server to close a non-persistent connection", () => {
    const c = connect();
    c.protocol.request(get("/", false));
    assert.match(c.written(), /\r\nConnection: close\r\n/);
  });

  it("sends Content-Length: 0 for a POST without a body", () => {
    const c = connect();
    c.protocol.request(get("/", true, "POST"));
    assert.match(c.written(), /\r\nContent-Length: 0\r\n/);
  });

  it("sends a known-length body with Content-Length", () => {
    const c = connect();
    const req = new ClientRequest(
      "POST",
      "/up",
      new Headers({ Host: "h" }),
      new BytesBodyProducer("hello"),
      true,
    );
    c.protocol.request(req);
    assert.equal(c.written(), "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
    assert.equal(c.protocol.state, "WAITING");
    assert.equal(c.transport.producer, null);
  });

  it("sends a stream body chunked", async () => {
    const c = connect();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(te.encode("ab"));
        controller.enqueue(te.encode("cde"));
        controller.close();
      },
    });
    const body = new BytesBodyProducer(stream);
    assert.equal(body.length, UNKNOWN_LENGTH);
    c.protocol.request(new ClientRequest("PUT", "/", new Headers({ Host: "h" }), body, true));
    for (let i = 0; i < 10 && c.protocol.state === "TRANSMITTING"; i++) {
      await new Promise((r) => setTimeout(r, 0));
    }
    assert.equal(
      c.written(),
      "PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n",
    );
    assert.equal(c.protocol.state, "WAITING");
  });

  it("refuses header values that would break the framing", () => {
    const c = connect();
    const r = settle(
      c.protocol.request(
        new ClientRequest("GET", "/", new Headers({ Host: "h", X: "a\r\nEvil: 1" }), null),
      ),
    );
    assert.ok(r.failure?.check(RequestGenerationFailed));
    assert.equal(c.written(), "");
    assert.equal(c.protocol.state, "QUIESCENT");
  });

  it("fails a body producer that writes more than its length with WrongBodyLength", () => {
    const c = connect();
    const liar = {
      length: 2,
      startProducing(consumer: { write(d: Uint8Array): void }) {
        consumer.write(te.encode("abc"));
        return new Deferred<void>();
      },
      pauseProducing() {},
      resumeProducing() {},
      stopProducing() {},
    };
    const r = settle(
      c.protocol.request(new ClientRequest("POST", "/", new Headers({ Host: "h" }), liar)),
    );
    assert.ok(r.failure?.check(RequestGenerationFailed));
    const reasons = (r.failure!.value as RequestGenerationFailed).reasons;
    assert.ok(reasons[0].check(WrongBodyLength));
    assert.ok(c.transport.aborted);
  });

  it("parses a response with Content-Length and delivers its body", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhel");
    const response = r.value!;
    assert.equal(response.code, 200);
    assert.equal(response.phrase, "OK");
    assert.deepEqual(response.version, ["HTTP", 1, 1]);
    assert.equal(response.length, 5);
    assert.equal(response.headers.getLast("content-type"), "text/plain");
    const body = settle(readBody(response));
    assert.equal(body.value, undefined);
    c.send("lo");
    assert.equal(td.decode(body.value!), "hello");
    assert.equal(c.quiescent, 1);
    assert.equal(c.protocol.state, "QUIESCENT");
    assert.equal(c.transport.disconnecting, false);
  });

  it("decodes a chunked body fed one byte at a time", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    const wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
    const collect = new Collect();
    for (const ch of wire) {
      c.send(ch);
      if (r.value !== undefined && collect.transport === undefined) r.value.deliverBody(collect);
    }
    assert.equal(r.value!.length, UNKNOWN_LENGTH);
    assert.equal(collect.chunks.join(""), "hello world");
    assert.ok(collect.reason?.check(ResponseDone));
    assert.equal(c.quiescent, 1);
  });

  it("skips 100 Continue and other interim responses", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
    assert.equal(r.value, undefined);
    c.send("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    assert.equal(r.value!.code, 201);
  });

  it("reads no body for HEAD, 204 and 304 responses", () => {
    for (const [method, status] of [["HEAD", 200], ["GET", 204], ["GET", 304]] as const) {
      const c = connect();
      const r = settle(c.protocol.request(get("/", true, method)));
      c.send(`HTTP/1.1 ${status} X\r\nContent-Length: 10\r\n\r\n`);
      assert.equal(r.value!.length, 0);
      assert.equal(td.decode(settle(readBody(r.value!)).value!), "");
      assert.equal(c.quiescent, 1, `${method} ${status}`);
    }
  });

  it("ends a body without length at the close, with PotentialDataLoss", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.0 200 OK\r\n\r\nsome");
    const collect = new Collect();
    r.value!.deliverBody(collect);
    c.send(" data");
    c.transport.loseConnection();
    assert.equal(collect.chunks.join(""), "some data");
    assert.ok(collect.reason?.check(PotentialDataLoss));
    assert.equal(c.quiescent, 0);
  });

  it("makes readBody fail with PartialDownloadError holding the bytes of such a body", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\n\r\nabc");
    const body = settle(readBody(r.value!));
    c.transport.loseConnection();
    assert.ok(body.failure?.check(PartialDownloadError));
    assert.equal(td.decode((body.failure!.value as PartialDownloadError).response), "abc");
  });

  it("fails a body cut short with ResponseFailed", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    const body = settle(readBody(r.value!));
    c.protocol.connectionLost(new Failure(new ConnectionLost()));
    assert.ok(body.failure?.check(ResponseFailed));
  });

  it("fails a truncated chunked body with ResponseFailed", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
    const body = settle(readBody(r.value!));
    c.transport.loseConnection();
    assert.ok(body.failure?.check(ResponseFailed));
  });

  it("fails a malformed chunk size with ResponseFailed and aborts", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    const body = settle(readBody(r.value!));
    c.send("zz\r\n");
    assert.ok(body.failure?.check(ResponseFailed));
    assert.ok(c.transport.aborted);
  });

  it("answers garbage with ResponseFailed and aborts the connection", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("SSH-2.0-OpenSSH_9.0\r\n\r\n");
    assert.ok(r.failure?.check(ResponseFailed));
    assert.match(r.failure!.getErrorMessage(), /Bad status line/);
    assert.ok(c.transport.aborted);
  });

  it("refuses an oversized response head", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\n");
    for (let i = 0; i < 100 && r.failure === undefined; i++) {
      c.send(`X-Filler-${i}: ${"x".repeat(1000)}\r\n`);
    }
    assert.ok(r.failure?.check(ResponseFailed));
    assert.match(r.failure!.getErrorMessage(), /too large/);
  });

  it("refuses a header line longer than the limit", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nX: " + "y".repeat(20000));
    assert.ok(r.failure?.check(ResponseFailed));
  });

  it("refuses conflicting Content-Lengths", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    assert.ok(r.failure?.check(ResponseFailed));
  });

  it("closes the connection after Connection: close", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    assert.equal(r.value!.code, 200);
    assert.equal(c.quiescent, 0);
    assert.ok(c.transport.disconnecting);
  });

  it("does not keep an HTTP/1.0 response without keep-alive", () => {
    const c = connect();
    c.protocol.request(get());
    c.send("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert.equal(c.quiescent, 0);
    const d = connect();
    d.protocol.request(get());
    d.send("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
    assert.equal(d.quiescent, 1);
  });

  it("serves a second request on a kept connection", () => {
    const c = connect();
    const first = settle(c.protocol.request(get("/1")));
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na");
    assert.equal(td.decode(settle(readBody(first.value!)).value!), "a");
    c.transport.clear();
    const second = settle(c.protocol.request(get("/2")));
    assert.match(c.written(), /^GET \/2 /);
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb");
    assert.equal(td.decode(settle(readBody(second.value!)).value!), "b");
    assert.equal(c.quiescent, 2);
  });

  it("refuses a request while another is in progress with RequestNotSent", () => {
    const c = connect();
    c.protocol.request(get());
    const r = settle(c.protocol.request(get()));
    assert.ok(r.failure?.check(RequestNotSent));
  });

  it("cancels a request by aborting: ResponseNeverReceived with a CancelledError", () => {
    const c = connect();
    const d = c.protocol.request(get());
    const r = settle(d);
    d.cancel();
    assert.ok(c.transport.aborted);
    assert.ok(r.failure?.check(ResponseNeverReceived));
    const reasons = (r.failure!.value as ResponseNeverReceived).reasons;
    assert.ok(reasons[0].check(CancelledError));
  });

  it("fails with ResponseNeverReceived when the connection closes before a response", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.transport.loseConnection();
    assert.ok(r.failure?.check(ResponseNeverReceived));
    assert.ok((r.failure!.value as ResponseFailed).reasons[0].check(ConnectionDone));
  });

  it("fails with ResponseFailed when the connection closes mid-head", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nContent-");
    c.transport.loseConnection();
    assert.ok(r.failure?.check(ResponseFailed));
    assert.ok(!r.failure?.check(ResponseNeverReceived));
  });

  it("passes the body protocol's pause to the connection", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n");
    const collect = new Collect();
    r.value!.deliverBody(collect);
    collect.transport.pauseProducing();
    assert.equal(c.transport.producerState, "paused");
    collect.transport.resumeProducing();
    assert.equal(c.transport.producerState, "producing");
    c.send("abcd");
    assert.ok(collect.reason?.check(ResponseDone));
  });

  it("pauses reading while an unread body passes 64 KiB", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n");
    c.send(new Uint8Array(70000));
    assert.equal(c.transport.producerState, "paused");
    const collect = new Collect();
    r.value!.deliverBody(collect);
    assert.equal(c.transport.producerState, "producing");
    c.send(new Uint8Array(130000));
    assert.ok(collect.reason?.check(ResponseDone));
  });

  it("aborts the connection when the body protocol stops producing", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nab");
    const collect = new Collect();
    r.value!.deliverBody(collect);
    collect.transport.stopProducing();
    assert.ok(c.transport.aborted);
  });

  it("closes on bytes nobody asked for", () => {
    const c = connect();
    c.protocol.request(get());
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n");
    assert.ok(c.transport.disconnecting);
    assert.equal(c.quiescent, 0);
  });

  it("delivers a body that ended before deliverBody was called", () => {
    const c = connect();
    const r = settle(c.protocol.request(get()));
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz");
    const collect = new Collect();
    r.value!.deliverBody(collect);
    assert.equal(collect.chunks.join(""), "xyz");
    assert.ok(collect.reason?.check(ResponseDone));
    assert.throws(() => r.value!.deliverBody(new Collect()));
  });

  it("turns any response byte stream into a response or a failure, never a throw", () => {
    const pieces = fc.oneof(
      fc.constantFrom(
        "HTTP/1.1 200 OK\r\n",
        "HTTP/1.0 404 Not Found\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
        "Content-Length: 5\r\n",
        "Content-Length: -1\r\n",
        "Transfer-Encoding: chunked\r\n",
        "Connection: close\r\n",
        "\r\n",
        "5\r\nhello\r\n",
        "0\r\n\r\n",
        "ffffffffffffff\r\n",
        " folded\r\n",
        "\n",
        "\r",
      ),
      fc.string({ maxLength: 20 }),
      fc.uint8Array({ maxLength: 30 }).map((b) => td.decode(b)),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), fc.boolean(), (parts, close) => {
        const c = connect();
        const r = settle(c.protocol.request(get()));
        let body: ReturnType<typeof settle<Uint8Array>> | null = null;
        for (const p of parts) {
          c.send(p);
          if (r.value !== undefined && body === null) body = settle(readBody(r.value));
        }
        if (close) c.transport.loseConnection();
        if (r.failure !== undefined) assert.ok(r.failure.check(ResponseFailed));
        if (!c.transport.connected) {
          // Once the connection is gone, everything has settled.
          assert.ok(r.value !== undefined || r.failure !== undefined);
          if (body !== null) assert.ok(body.value !== undefined || body.failure !== undefined);
        }
      }),
      { numRuns: 300 },
    );
  });
});
