import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  MemoryConnectionReset,
  MemoryNetwork,
  socketPair,
} from "../../src/internet/memory_socket.ts";
import type { FastPathHandler, Socket } from "../../src/internet/socket.ts";
import { bytes, settle, text, until } from "./_transport_helpers.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

/** A fast path handler recording events. */
function recorder(): FastPathHandler & { events: string[]; chunks: Uint8Array[] } {
  const events: string[] = [];
  const chunks: Uint8Array[] = [];
  return {
    events,
    chunks,
    onData: (c) => {
      chunks.push(c);
      events.push("data");
    },
    onEnd: () => events.push("end"),
    onDrain: () => events.push("drain"),
    onError: (e) => events.push(`error:${e.name}`),
    onClose: () => events.push("close"),
  };
}

async function readAll(s: Socket): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of s.readable) chunks.push(c);
  return text(chunks);
}

describe("socketPair()", () => {
  it("carries bytes both ways through Web Streams, with EOF on close", async () => {
    const [a, b] = socketPair();
    const w = a.writable.getWriter();
    await w.write(bytes("hello"));
    await w.close();
    assert.equal(await readAll(b), "hello");
    await b.close();
    await b.closed;
    assert.equal(await readAll(a), "");
    await a.closed;
  });

  it("delivers through the fast path asynchronously, never inside write()", async () => {
    const [a, b] = socketPair();
    const rb = recorder();
    b.fastPath!.start(rb);
    a.fastPath!.start(recorder());
    assert.equal(a.fastPath!.write(bytes("x")), 0);
    assert.deepEqual(rb.events, []);
    await settle();
    assert.deepEqual(rb.events, ["data"]);
  });

  it("gives the reader its own copy of the bytes", async () => {
    const [a, b] = socketPair();
    const rb = recorder();
    b.fastPath!.start(rb);
    const data = bytes("abc");
    a.fastPath!.write(data);
    data[0] = 0;
    await settle();
    assert.equal(text(rb.chunks), "abc");
  });

  it("hides the fast path when asked", () => {
    const [a] = socketPair({ fastPath: false });
    assert.equal(a.fastPath, null);
  });

  it("queues in the writer past the peer's buffer limit and drains as the peer reads", async () => {
    const [a, b] = socketPair({ bufferLimit: 10 });
    const ra = recorder();
    const rb = recorder();
    a.fastPath!.start(ra);
    b.fastPath!.start(rb);
    b.fastPath!.pauseReading();
    assert.equal(a.fastPath!.write(new Uint8Array(25)), 15);
    assert.equal(a.fastPath!.bufferedAmount, 15);
    await settle();
    assert.equal(a.fastPath!.bufferedAmount, 15);
    assert.deepEqual(rb.chunks, []);
    b.fastPath!.resumeReading();
    await until(() => ra.events.includes("drain"));
    assert.equal(a.fastPath!.bufferedAmount, 0);
    await until(() => rb.chunks.reduce((n, c) => n + c.length, 0) === 25);
  });

  it("half-closes with closeWrite(): the peer sees EOF and can still answer", async () => {
    const [a, b] = socketPair();
    const ra = recorder();
    const rb = recorder();
    a.fastPath!.start(ra);
    b.fastPath!.start(rb);
    await a.closeWrite();
    await settle();
    assert.deepEqual(rb.events, ["end"]);
    b.fastPath!.write(bytes("late answer"));
    await settle();
    assert.equal(text(ra.chunks), "late answer");
    await b.close();
    await settle();
    assert.deepEqual(ra.events, ["data", "end", "close"]);
    assert.deepEqual(rb.events, ["end", "close"]);
  });

  it("abort() resets the peer: onError then onClose, and `closed` rejects", async () => {
    const [a, b] = socketPair();
    const rb = recorder();
    b.fastPath!.start(rb);
    a.abort();
    await settle();
    assert.deepEqual(rb.events, ["error:ConnectionReset", "close"]);
    await assert.rejects(b.closed, MemoryConnectionReset);
    await a.closed;
  });

  it("errors the peer's readable stream on abort", async () => {
    const [a, b] = socketPair({ fastPath: false });
    const reading = readAll(b);
    a.abort();
    await assert.rejects(reading, /reset/);
  });

  it("startTls() returns a new socket on the same pipe with TLS info", async () => {
    const [a, b] = socketPair();
    const [ta, tb] = await Promise.all([
      a.startTls({ alpnProtocols: ["http/1.1"] }),
      b.startTls({ isServer: true }),
    ]);
    assert.deepEqual(ta.tls, { alpnProtocol: "http/1.1" });
    assert.equal(a.tls, null);
    const rb = recorder();
    tb.fastPath!.start(rb);
    ta.fastPath!.write(bytes("secret"));
    await settle();
    assert.equal(text(rb.chunks), "secret");
  });
});

describe("MemoryNetwork", () => {
  it("connects to a listener and yields the server side", async () => {
    const net = new MemoryNetwork();
    const listener = await net.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
    const port = (listener.address as { port: number }).port;
    const client = await net.connect({ transport: "tcp", hostname: "127.0.0.1", port });
    const iter = listener[Symbol.asyncIterator]();
    const { value: server } = await iter.next();
    assert.deepEqual(server.remoteAddress, client.localAddress);
    assert.deepEqual(client.remoteAddress, { transport: "tcp", hostname: "127.0.0.1", port });
    await listener.close();
    assert.equal((await iter.next()).done, true);
    client.abort();
  });

  it("refuses connections nothing listens for and rejects a second listener on a port", async () => {
    const net = new MemoryNetwork();
    await assert.rejects(
      net.connect({ transport: "tcp", hostname: "127.0.0.1", port: 9 }),
      (e: Error & { code?: string }) => e.code === "ECONNREFUSED",
    );
    const l = await net.listen({ transport: "tcp", port: 80 });
    await assert.rejects(
      net.listen({ transport: "tcp", hostname: "127.0.0.1", port: 80 }),
      (e: Error & { code?: string }) => e.code === "EADDRINUSE",
    );
    await l.close();
  });

  it("lets a blackholed connect hang until its signal aborts", async () => {
    const net = new MemoryNetwork();
    net.blackhole("10.1.1.1", 80);
    const abort = new AbortController();
    const attempt = net.connect({
      transport: "tcp",
      hostname: "10.1.1.1",
      port: 80,
      signal: abort.signal,
    });
    abort.abort(new Error("gave up"));
    await assert.rejects(attempt, /gave up/);
  });

  it("resolves from its host table and fails unknown names with ENOTFOUND", async () => {
    const net = new MemoryNetwork({ hosts: { "a.test": ["10.0.0.1", "fe80::1"] } });
    assert.deepEqual(await net.resolve("a.test"), [
      { address: "10.0.0.1", family: 4 },
      { address: "fe80::1", family: 6 },
    ]);
    assert.deepEqual(await net.resolve("localhost"), [{ address: "127.0.0.1", family: 4 }]);
    await assert.rejects(
      net.resolve("b.test"),
      (e: Error & { code?: string }) => e.code === "ENOTFOUND",
    );
  });

  it("routes datagrams between bound sockets", async () => {
    const net = new MemoryNetwork();
    const a = await net.bindDatagram({ hostname: "127.0.0.1", port: 0 });
    const b = await net.bindDatagram({ hostname: "127.0.0.1", port: 5353 });
    const got: [string, string, number][] = [];
    b.start({ onMessage: (d, h, p) => got.push([text([d]), h, p]), onError() {} });
    a.send(bytes("dgram"), "127.0.0.1", 5353);
    a.send(bytes("lost"), "127.0.0.1", 1);
    await settle();
    assert.deepEqual(got, [["dgram", "127.0.0.1", (a.address as { port: number }).port]]);
    await a.close();
    await b.close();
  });
});
