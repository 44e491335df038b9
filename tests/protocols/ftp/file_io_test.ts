// The FTP shells' streaming file reader and writer use their buffers again: a download
// reads into a buffer once the consumer says it holds nothing written (never before, and
// never for a consumer that does not say), an upload is copied into 1 MiB buffers (a
// chunk of 1 MiB or more is written as it is), so any chunking stores the exact bytes in
// few writes, and a slow disk pauses the data connection (DTP) until it caught up.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConnectionDone } from "../../../src/internet/error.ts";
import { Failure } from "../../../src/internet/failure.ts";
import type { IConsumer, IPushProducer } from "../../../src/internet/interfaces.ts";
import type { FileHandle } from "../../../src/internet/socket.ts";
import { StringTransportWithDisconnection, trackLeaks } from "../../../src/testing/mod.ts";
import { DTP } from "../../../src/protocols/ftp/_dtp.ts";
import { CHUNK, FileReader, FileWriter } from "../../../src/protocols/ftp/_file_io.ts";
import { FakeFile } from "./_fake_file.ts";
import { assertSameBytes, pattern } from "../../_bytes_helpers.ts";

trackLeaks({ beforeEach, afterEach });

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * A file in memory: reads answer on the next microtask; writes finish at once
 * unless `gate` is set (then the test finishes them); every buffer it was
 * given is remembered.
 */
class MemoryFile extends FakeFile {
  data: Uint8Array<ArrayBufferLike>;
  size: number;
  readBuffers: Uint8Array[] = [];
  writes: { position: number; length: number; data: Uint8Array }[] = [];
  gate = false;
  held: (() => void)[] = [];
  constructor(data: Uint8Array = new Uint8Array(0)) {
    super();
    this.data = data.slice();
    this.size = data.byteLength;
  }
  read(buffer: Uint8Array, position: number): Promise<number> {
    this.readBuffers.push(buffer);
    const count = Math.max(0, Math.min(buffer.byteLength, this.size - position));
    buffer.set(this.data.subarray(position, position + count));
    return Promise.resolve(count);
  }
  write(data: Uint8Array, position: number): Promise<number> {
    this.writes.push({ position, length: data.byteLength, data });
    const apply = () => {
      const end = position + data.byteLength;
      if (end > this.data.byteLength) {
        const grown = new Uint8Array(Math.max(end, this.data.byteLength * 2));
        grown.set(this.data.subarray(0, this.size));
        this.data = grown;
      }
      // Copied when the write finishes: a buffer used again before that would show.
      this.data.set(data, position);
      this.size = Math.max(this.size, end);
    };
    if (!this.gate) {
      apply();
      return Promise.resolve(data.byteLength);
    }
    return new Promise((resolve) => {
      this.held.push(() => {
        apply();
        resolve(data.byteLength);
      });
    });
  }
  /** Finishes the writes held so far. */
  finishWrites(): void {
    for (const finish of this.held.splice(0)) finish();
  }
  content(): Uint8Array {
    return this.data.slice(0, this.size);
  }
}

/**
 * A consumer shaped like a transport: it holds what is written (by reference,
 * as a socket does until the kernel took it), pauses its producer past 64 KiB,
 * and `drain()` moves everything out (copied) and resumes it.
 */
class HoldingConsumer implements IConsumer {
  producer: IPushProducer | null = null;
  queue: Uint8Array[] = [];
  out: Uint8Array[] = [];
  ended = false;
  readonly tells: boolean;
  constructor(tells: boolean) {
    this.tells = tells;
  }
  get bufferedAmount(): number | undefined {
    if (!this.tells) return undefined;
    return this.queue.reduce((n, c) => n + c.byteLength, 0);
  }
  registerProducer(producer: IPushProducer): void {
    this.producer = producer;
  }
  unregisterProducer(): void {
    this.producer = null;
    this.ended = true;
  }
  write(data: Uint8Array): void {
    this.queue.push(data);
    if (data.byteLength > 64 * 1024) this.producer?.pauseProducing();
  }
  /** Moves out all but `keep` chunks, then resumes the producer. */
  drain(keep = 0): void {
    while (this.queue.length > keep) this.out.push(this.queue.shift()!.slice());
    this.producer?.resumeProducing();
  }
  received(): Uint8Array {
    const all = [...this.out, ...this.queue.map((c) => c.slice())];
    const joined = new Uint8Array(all.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of all) {
      joined.set(c, at);
      at += c.byteLength;
    }
    return joined;
  }
}

async function download(
  content: Uint8Array,
  consumer: HoldingConsumer,
  offset = 0,
  keep = 0,
): Promise<MemoryFile> {
  const file = new MemoryFile(content);
  const sent = new FileReader(file as FileHandle, offset).send(consumer);
  let settled = false;
  sent.then(() => settled = true, () => settled = true);
  for (let n = 0; n < 200 && !settled; n++) {
    await turn();
    consumer.drain(keep);
  }
  await sent;
  return file;
}

describe("FileReader buffers", () => {
  it("reads into the same two buffers again once the consumer holds nothing, bytes exact", async () => {
    const content = pattern(5 * CHUNK + 12345);
    const consumer = new HoldingConsumer(true);
    const file = await download(content, consumer, 100);
    assertSameBytes(consumer.received(), content.subarray(100));
    assert.equal(consumer.ended, true);
    assert.equal(file.closed, true);
    assert.equal(file.readBuffers.length, 7); // six chunks and the read of 0
    assert.equal(new Set(file.readBuffers).size, 2);
  });

  it("never reads into a buffer the consumer may still hold", async () => {
    const content = pattern(4 * CHUNK, 7);
    // Resumed while the last chunk is still queued: its buffer is not free.
    const consumer = new HoldingConsumer(true);
    const file = await download(content, consumer, 0, 1);
    assertSameBytes(consumer.received(), content);
    assert.equal(new Set(file.readBuffers).size, file.readBuffers.length);
  });

  it("keeps no more than a few buffers for use again while the consumer holds on", async () => {
    const content = pattern(20 * CHUNK, 8);
    const file = new MemoryFile(content);
    const consumer = new HoldingConsumer(true);
    const sent = new FileReader(file as FileHandle).send(consumer);
    let settled = false;
    sent.then(() => settled = true, () => settled = true);
    // The consumer holds nothing once only, after ten chunks: what the reader kept of
    // those ten is what it reads into afterwards.
    let drained = false;
    for (let n = 0; n < 200 && !settled; n++) {
      await turn();
      const once: boolean = !drained && file.readBuffers.length >= 10;
      drained ||= once;
      consumer.drain(once ? 0 : 1);
    }
    await sent;
    assertSameBytes(consumer.received(), content);
    const early = new Set(file.readBuffers.slice(0, 10));
    const again = new Set(file.readBuffers.slice(10).filter((b) => early.has(b)));
    assert.ok(again.size >= 1 && again.size <= 4, `${again.size} early buffers used again`);
  });

  it("gives a consumer that does not tell what it holds a fresh buffer per chunk", async () => {
    const content = pattern(3 * CHUNK + 5, 3);
    const consumer = new HoldingConsumer(false);
    const file = await download(content, consumer);
    assertSameBytes(consumer.received(), content);
    assert.equal(new Set(file.readBuffers).size, file.readBuffers.length);
  });

  it("reads again into its buffer through a DTP whose transport holds nothing", async () => {
    const content = pattern(3 * CHUNK + 1, 5);
    const file = new MemoryFile(content);
    const transport = new (class extends StringTransportWithDisconnection {
      readonly bufferedAmount = 0;
    })();
    const dtp = new DTP(null);
    transport.protocol = dtp;
    dtp.makeConnection(transport);
    const sent = dtp.send(new FileReader(file as FileHandle), false);
    for (let n = 0; n < 50 && !transport.disconnecting; n++) await turn();
    assert.equal(transport.disconnecting, true);
    assertSameBytes(transport.value(), content);
    assert.equal(new Set(file.readBuffers).size, 1);
    await sent; // loseConnection ended it cleanly
  });
});

describe("FileWriter buffers", () => {
  it("stores any chunking exactly, in writes of 1 MiB or more, copying what is smaller", async () => {
    const size = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 300 * 1024 }), weight: 5 },
      { arbitrary: fc.integer({ min: CHUNK, max: CHUNK + CHUNK / 2 }), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(size, { maxLength: 14 }),
        fc.integer({ min: 0, max: 3 }),
        async (sizes, start) => {
          const total = sizes.reduce((a, b) => a + b, 0);
          const content = pattern(total, sizes.length + 1);
          const file = new MemoryFile(pattern(start, 9));
          file.gate = true;
          const writer = new FileWriter(file, start);
          const consumer = await writer.receive();
          let at = 0;
          for (const size of sizes) {
            const chunk = content.slice(at, at + size);
            consumer.write(chunk);
            // A smaller chunk was copied: the caller's buffer is its own again at once.
            if (size < CHUNK) chunk.fill(0xee);
            at += size;
            if (size % 3 === 0) file.finishWrites();
          }
          const closed = writer.close();
          for (let n = 0; n < 50 && !file.closed; n++) {
            file.finishWrites();
            await turn();
          }
          await closed;
          const expected = new Uint8Array(start + total);
          expected.set(pattern(start, 9));
          expected.set(content, start);
          assertSameBytes(file.content(), expected);
          let position = start;
          file.writes.forEach((w, i) => {
            assert.equal(w.position, position);
            position += w.length;
            if (i < file.writes.length - 1) assert.ok(w.length >= CHUNK, `write ${i}: ${w.length}`);
          });
          assert.equal(position, start + total);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("writes a chunk of 1 MiB or more as it is, after what came before it", async () => {
    const big = pattern(CHUNK + 5, 4);
    // Alone: the chunk itself goes to the disk, no copy.
    const alone = new MemoryFile();
    const first = new FileWriter(alone, 0);
    (await first.receive()).write(big);
    await first.close();
    assert.equal(alone.writes.length, 1);
    assert.equal(alone.writes[0].data, big);
    // After a smaller one: its buffer is filled up first (a copy), then a rest of 1 MiB
    // or more follows as it is.
    const after = new MemoryFile();
    const second = new FileWriter(after, 0);
    const consumer = await second.receive();
    const small = pattern(1000, 2);
    const bigger = pattern(2 * CHUNK + 5, 6);
    consumer.write(small);
    consumer.write(bigger);
    consumer.write(big);
    await second.close();
    assert.deepEqual(after.writes.map((w) => w.length), [CHUNK, CHUNK + 1005, CHUNK + 5]);
    assert.notEqual(after.writes[0].data.buffer, bigger.buffer);
    assert.equal(after.writes[1].data.buffer, bigger.buffer);
    assert.equal(after.writes[2].data, big);
    const expected = new Uint8Array(1000 + 2 * CHUNK + 5 + CHUNK + 5);
    expected.set(small);
    expected.set(bigger, 1000);
    expected.set(big, 1000 + 2 * CHUNK + 5);
    assertSameBytes(after.content(), expected);
  });

  it("uses its buffers again once written", async () => {
    const file = new MemoryFile();
    const writer = new FileWriter(file, 0);
    const consumer = await writer.receive();
    const chunk = pattern(64 * 1024);
    for (let i = 0; i < 16 * 8; i++) {
      consumer.write(chunk);
      if (i % 16 === 15) await turn();
    }
    await writer.close();
    assert.equal(file.writes.length, 8);
    assert.ok(new Set(file.writes.map((w) => w.data.buffer)).size <= 2);
  });

  it("a slow disk pauses the data connection, which reads again once the disk caught up", async () => {
    const file = new MemoryFile();
    file.gate = true;
    const writer = new FileWriter(file, 0);
    const transport = new StringTransportWithDisconnection();
    const dtp = new DTP(null);
    transport.protocol = dtp;
    dtp.makeConnection(transport);
    assert.equal(transport.producerState, "paused"); // until a transfer takes it
    const received = dtp.receive(await writer.receive(), false);
    assert.equal(transport.producerState, "producing");
    const chunk = pattern(256 * 1024, 11);
    let sent = 0;
    while (transport.producerState === "producing" && sent < 64 * CHUNK) {
      dtp.dataReceived(chunk);
      sent += chunk.byteLength;
    }
    assert.equal(transport.producerState, "paused");
    assert.ok(sent > 8 * CHUNK && sent <= 9 * CHUNK, `paused after ${sent} bytes`);
    assert.equal(file.held.length, 2); // two writes in flight, the rest waits in memory
    for (let n = 0; n < 20 && transport.producerState === "paused"; n++) {
      file.finishWrites();
      await turn();
    }
    assert.equal(transport.producerState, "producing");
    dtp.connectionLost(new Failure(new ConnectionDone()));
    await received;
    const closed = writer.close();
    for (let n = 0; n < 20 && !file.closed; n++) {
      file.finishWrites();
      await turn();
    }
    await closed;
    assert.equal(file.size, sent);
  });
});
