import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FileSender } from "../../src/protocols/basic.ts";
import {
  AccumulatingProtocol,
  connectedServerAndClient,
  StringTransport,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { Protocol } from "../../src/internet/protocol.ts";
import { CancelledError } from "../../src/internet/defer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string): Uint8Array => enc.encode(s);

trackLeaks({ beforeEach, afterEach });

/** Pulls from the sender as a consumer would, until it unregisters (bounded). */
async function drain(sender: FileSender, transport: StringTransport): Promise<void> {
  for (let i = 0; i < 1000 && transport.producer !== null; i++) {
    sender.resumeProducing();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

describe("FileSender", () => {
  it("registers as a pull producer and sends a Uint8Array one chunk per request", async () => {
    const t = new StringTransport();
    const sender = new FileSender();
    sender.CHUNK_SIZE = 4;
    const d = sender.beginFileTransfer(b("0123456789"), t);
    assert.equal(t.producer, sender);
    assert.equal(t.streaming, false);
    sender.resumeProducing();
    assert.equal(t.valueText(), "0123");
    sender.resumeProducing();
    sender.resumeProducing();
    assert.equal(t.valueText(), "0123456789");
    assert.equal(t.producer, sender);
    sender.resumeProducing();
    assert.equal(t.producer, null);
    assert.deepEqual(await d, b("9"));
  });

  it("fires with an empty array when the source is empty", async () => {
    const t = new StringTransport();
    const sender = new FileSender();
    const d = sender.beginFileTransfer(new Uint8Array(0), t);
    sender.resumeProducing();
    assert.deepEqual(await d, new Uint8Array(0));
    assert.equal(t.producer, null);
  });

  it("applies the transform to each chunk; the last byte is the transformed one", async () => {
    const t = new StringTransport();
    const sender = new FileSender();
    sender.CHUNK_SIZE = 2;
    const d = sender.beginFileTransfer(b("abc"), t, (chunk) => b(dec.decode(chunk).toUpperCase()));
    await drain(sender, t);
    assert.equal(t.valueText(), "ABC");
    assert.deepEqual(await d, b("C"));
  });

  it("sends a sync iterable's chunks, skipping empty ones", async () => {
    const t = new StringTransport();
    const sender = new FileSender();
    function* chunks(): Generator<Uint8Array> {
      yield b("ab");
      yield new Uint8Array(0);
      yield b("cd");
    }
    const d = sender.beginFileTransfer(chunks(), t);
    sender.resumeProducing();
    assert.equal(t.valueText(), "ab");
    sender.resumeProducing();
    assert.equal(t.valueText(), "abcd");
    sender.resumeProducing();
    assert.deepEqual(await d, b("d"));
  });

  it("sends an async iterable", async () => {
    const t = new StringTransport();
    const sender = new FileSender();
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield b("hello ");
      await Promise.resolve();
      yield b("async");
    }
    const d = sender.beginFileTransfer(chunks(), t);
    await drain(sender, t);
    assert.equal(t.valueText(), "hello async");
    assert.deepEqual(await d, b("c"));
  });

  it("sends a ReadableStream", async () => {
    const t = new StringTransport();
    const sender = new FileSender();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(b("from "));
        controller.enqueue(b("a stream"));
        controller.close();
      },
    });
    const d = sender.beginFileTransfer(stream, t);
    await drain(sender, t);
    assert.equal(t.valueText(), "from a stream");
    assert.deepEqual(await d, b("m"));
  });

  it("fails the Deferred with the source's error and unregisters", async () => {
    const t = new StringTransport();
    const sender = new FileSender();
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new RangeError("disk on fire"));
      },
    });
    const d = sender.beginFileTransfer(stream, t);
    await drain(sender, t);
    await assert.rejects(d.asPromise(), RangeError);
    assert.equal(t.producer, null);
  });

  it("fails the Deferred and releases the source when the consumer stops it", async () => {
    const t = new StringTransport();
    const sender = new FileSender();
    let closed = false;
    function* chunks(): Generator<Uint8Array> {
      try {
        yield b("a");
        yield b("b");
      } finally {
        closed = true;
      }
    }
    const d = sender.beginFileTransfer(chunks(), t);
    sender.resumeProducing();
    sender.stopProducing();
    await assert.rejects(d.asPromise(), /Consumer asked us to stop producing/);
    assert.equal(closed, true);
    sender.resumeProducing();
    assert.equal(t.valueText(), "a");
  });

  it("stops and unregisters when its Deferred is cancelled", async () => {
    const t = new StringTransport();
    const sender = new FileSender();
    const d = sender.beginFileTransfer(b("abc"), t);
    d.cancel();
    await assert.rejects(d.asPromise(), CancelledError);
    assert.equal(t.producer, null);
  });

  it("streams to the peer through connectedServerAndClient, a chunk per pump", async () => {
    const data = new Uint8Array(100_000).map((_, i) => i % 251);
    let sent: Promise<Uint8Array> | null = null;
    class Sender extends Protocol {
      override connectionMade(): void {
        const sender = new FileSender();
        sent = sender.beginFileTransfer(data, this.transport).asPromise();
      }
    }
    const [client, , pump] = connectedServerAndClient<AccumulatingProtocol>(
      () => new Sender(),
      () => new AccumulatingProtocol(),
    );
    pump.flush();
    assert.deepEqual(client.data, data);
    assert.deepEqual(await sent!, new Uint8Array([data[data.length - 1]]));
    assert.equal(pump.serverIO.producer, null);
  });

  it("rejects a source it cannot read", () => {
    const sender = new FileSender();
    assert.throws(
      () => sender.beginFileTransfer(42 as unknown as Uint8Array, new StringTransport()),
      TypeError,
    );
  });
});
