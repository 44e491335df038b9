// PipeTransport and PipeSocket (the transport under StandardIO and SerialPort)
// over a scripted ByteStream: reading, flow control, the write queue, closes
// and failures, deterministic and on every runtime.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ByteStream, ByteStreamHandler } from "../../src/internet/socket.ts";
import { PipeTransport } from "../../src/internet/_pipe_transport.ts";
import { PipeSocket } from "../../src/internet/_pipe_socket.ts";
import { Protocol } from "../../src/internet/protocol.ts";
import type { Failure } from "../../src/internet/failure.ts";
import { ConnectionDone, ConnectionLost } from "../../src/internet/error.ts";
import { flushLoggedErrors, loggedErrors, trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
const td = new TextDecoder();
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A ByteStream the test drives; writes wait until `release()`d when `holdWrites`. */
class FakeStream implements ByteStream {
  handler: ByteStreamHandler | null = null;
  paused = false;
  closed = false;
  written: string[] = [];
  holdWrites = false;
  #held: (() => void)[] = [];
  readonly isTTY: boolean;
  readonly writable: boolean;
  constructor(isTTY = false, writable = true) {
    this.isTTY = isTTY;
    this.writable = writable;
  }
  get native(): unknown {
    return this;
  }
  start(handler: ByteStreamHandler): void {
    this.handler = handler;
  }
  pauseReading(): void {
    this.paused = true;
  }
  resumeReading(): void {
    this.paused = false;
  }
  write(data: Uint8Array): Promise<void> {
    this.written.push(td.decode(data));
    if (!this.holdWrites) return Promise.resolve();
    return new Promise((resolve) => this.#held.push(resolve));
  }
  release(): void {
    for (const r of this.#held.splice(0)) r();
  }
  close(): void {
    this.closed = true;
  }
  push(text: string): void {
    this.handler!.onData(te.encode(text));
  }
}

class Recorder extends Protocol {
  data = "";
  events: string[] = [];
  reason: Error | null = null;
  override connectionMade(): void {
    this.events.push("made");
  }
  override dataReceived(data: Uint8Array): void {
    this.data += td.decode(data);
  }
  override connectionLost(reason: Failure): void {
    this.reason = reason.value;
    this.events.push(`lost ${reason.value.name}`);
  }
}

class HalfRecorder extends Recorder {
  readConnectionLost(): void {
    this.events.push("readConnectionLost");
  }
  writeConnectionLost(): void {
    this.events.push("writeConnectionLost");
  }
}

function open(
  protocol: Protocol,
  stream = new FakeStream(),
): { transport: PipeTransport; stream: FakeStream } {
  const transport = new PipeTransport(protocol, { input: Promise.resolve(stream), name: "fake" });
  return { transport, stream };
}

describe("PipeTransport", () => {
  it("connects at once and delivers the stream's bytes", async () => {
    const p = new Recorder();
    const { transport, stream } = open(p);
    assert.deepEqual(p.events, ["made"]);
    assert.equal(p.transport, transport);
    await tick();
    stream.push("ab");
    stream.push("c");
    assert.equal(p.data, "abc");
    assert.equal(String(transport.getPeer()), "PipeAddress()");
    transport.loseConnection();
    await tick();
    assert.deepEqual(p.events, ["made", "lost ConnectionDone"]);
    assert.equal(stream.closed, true);
  });

  it("ends a plain protocol at the stream's end with ConnectionDone", async () => {
    const p = new Recorder();
    const { stream } = open(p);
    await tick();
    stream.handler!.onEnd();
    await tick();
    assert.ok(p.reason instanceof ConnectionDone);
  });

  it("tells a half-closeable protocol readConnectionLost and keeps writing", async () => {
    const p = new HalfRecorder();
    const { transport, stream } = open(p);
    await tick();
    stream.handler!.onEnd();
    await tick();
    assert.deepEqual(p.events, ["made", "readConnectionLost"]);
    transport.write(te.encode("after"));
    await tick();
    assert.deepEqual(stream.written, ["after"]);
    transport.loseWriteConnection();
    await tick();
    await tick();
    assert.deepEqual(p.events, [
      "made",
      "readConnectionLost",
      "writeConnectionLost",
      "lost ConnectionDone",
    ]);
  });

  it("passes pauseProducing and resumeProducing to the stream, even before it opens", async () => {
    const p = new Recorder();
    const { transport, stream } = open(p);
    transport.pauseProducing();
    await tick();
    assert.equal(stream.paused, true);
    transport.resumeProducing();
    assert.equal(stream.paused, false);
    transport.abortConnection();
    await tick();
  });

  it("writes in order, flushes before closing, and pauses a producer at the high-water mark", async () => {
    const p = new Recorder();
    const stream = new FakeStream();
    stream.holdWrites = true;
    const { transport } = open(p, stream);
    transport.bufferSize = 4;
    const calls: string[] = [];
    transport.registerProducer({
      pauseProducing: () => calls.push("pause"),
      resumeProducing: () => calls.push("resume"),
      stopProducing: () => calls.push("stop"),
    }, true);
    transport.write(te.encode("one"));
    transport.writeSequence([te.encode("two"), te.encode("three")]);
    assert.deepEqual(calls, ["pause"]);
    assert.equal(transport.bufferedAmount, 11);
    await tick();
    stream.release();
    await tick();
    stream.release();
    await tick();
    stream.release();
    await tick();
    assert.deepEqual(stream.written, ["one", "two", "three"]);
    assert.deepEqual(calls, ["pause", "resume"]);
    transport.unregisterProducer();
    transport.write(te.encode("last"));
    transport.loseConnection();
    await tick();
    assert.equal(p.reason, null, "closed before the flush");
    stream.release();
    await tick();
    await tick();
    assert.deepEqual(stream.written, ["one", "two", "three", "last"]);
    assert.ok((p.reason as Error | null) instanceof ConnectionDone);
  });

  it("drops writes when the stream is not writable", async () => {
    const p = new Recorder();
    const { transport, stream } = open(p, new FakeStream(false, false));
    transport.write(te.encode("nowhere"));
    await tick();
    assert.deepEqual(stream.written, []);
    assert.equal(transport.bufferedAmount, 0);
    transport.loseConnection();
    await tick();
    assert.ok(p.reason instanceof ConnectionDone);
  });

  it("ends with ConnectionLost when the stream fails or cannot be opened", async () => {
    const p = new Recorder();
    const { stream } = open(p);
    await tick();
    stream.handler!.onError(Object.assign(new Error("EIO: i/o error"), { code: "EIO" }));
    await tick();
    assert.ok(p.reason instanceof ConnectionLost);
    assert.equal(stream.closed, true);

    const q = new Recorder();
    const failed = Promise.reject(Object.assign(new Error("ENOENT"), { code: "ENOENT" }));
    const transport = new PipeTransport(q, { input: failed, name: "missing" });
    transport.write(te.encode("queued"));
    await tick();
    assert.ok(q.reason instanceof ConnectionLost);
    assert.equal((q.reason.cause as { code: string }).code, "ENOENT");
    assert.equal(transport.disconnected, true);
  });

  it("ends with ConnectionLost when a write fails", async () => {
    const p = new Recorder();
    const stream = new FakeStream();
    stream.write = () => Promise.reject(new Error("EPIPE"));
    const { transport } = open(p, stream);
    await tick();
    transport.write(te.encode("x"));
    await tick();
    assert.ok(p.reason instanceof ConnectionLost);
  });

  it("drops the connection when the protocol throws, and logs it", async () => {
    class Thrower extends Recorder {
      override dataReceived(): void {
        throw new Error("boom");
      }
    }
    const p = new Thrower();
    const { stream } = open(p);
    await tick();
    stream.push("x");
    await tick();
    assert.ok(p.reason instanceof ConnectionLost);
    assert.equal(stream.closed, true);
    const logged = loggedErrors().map((e) => String(e.protocol));
    assert.ok(logged.includes("Thrower"), `logged for ${logged}`);
    assert.equal(flushLoggedErrors().length, 1);
  });
});

describe("PipeSocket streams", () => {
  it("reads through readable and writes through writable", async () => {
    const stream = new FakeStream();
    const socket = new PipeSocket({ input: Promise.resolve(stream), path: "fake" });
    const reader = socket.readable.getReader();
    await tick();
    stream.push("hello");
    assert.equal(td.decode((await reader.read()).value), "hello");
    stream.handler!.onEnd();
    assert.equal((await reader.read()).done, true);
    const writer = socket.writable.getWriter();
    await writer.write(te.encode("out"));
    assert.deepEqual(stream.written, ["out"]);
    await socket.close();
    await socket.closed;
    assert.equal(stream.closed, true);
    assert.deepEqual(socket.localAddress, { transport: "unix", path: "fake" });
    await assert.rejects(socket.startTls(), /TLS is not supported/);
  });
});
