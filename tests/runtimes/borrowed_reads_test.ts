// Borrowed reads (IBorrowingProtocol, FastPathHandler.borrowsData) over this runtime's real
// adapter (TW_RUNTIME=node forces the node adapter). The node adapter on Node lends an
// accepted socket's reads from one reused buffer; every other adapter, and every protocol
// that does not borrow, gets bytes it owns. Both must see exactly the bytes sent.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "../../src/internet/socket.ts";
import type { IBorrowingProtocol } from "../../src/internet/interfaces.ts";
import { Reactor } from "../../src/internet/reactor.ts";
import {
  connectTCP,
  connectUNIX,
  listenTCP,
  listenUNIX,
  type Port,
} from "../../src/internet/tcp.ts";
import { ClientFactory, Factory, Protocol } from "../../src/internet/protocol.ts";
import type { IPv4Address } from "../../src/internet/address.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { loadRuntime } from "../_load_runtime.ts";
import { pattern } from "../_bytes_helpers.ts";

trackLeaks({ beforeEach, afterEach });

const runtime = await loadRuntime();
/** Only the node adapter on Node itself lends (Deno and Bun need no help). */
const lends = runtime.name === "node" && !("Deno" in globalThis) && !("Bun" in globalThis);

async function until(cond: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function hash(h: number, data: Uint8Array): number {
  for (let i = 0; i < data.byteLength; i++) h = Math.imul(h ^ data[i], 16777619) >>> 0;
  return h;
}

const SEED = 2166136261;
const SIZE = 8 * 1024 * 1024;
const SENT = pattern(SIZE);
const SENT_HASH = hash(SEED, SENT);

/** Writes SENT in uneven pieces, then closes. */
class Sender extends Protocol {
  override connectionMade(): void {
    for (let at = 0, n = 1; at < SIZE; at += n, n = (n * 7 + 4093) % 200_000 + 1) {
      this.transport.write(SENT.subarray(at, at + n));
    }
    this.transport.loseConnection();
  }
}

/** Hashes what it is lent and notes the buffers behind it; keeps nothing. */
class Borrower extends Protocol implements IBorrowingProtocol {
  readonly borrowsData = true;
  hash = SEED;
  received = 0;
  reads = 0;
  buffers = new Set<ArrayBufferLike>();
  done = false;
  override dataReceived(data: Uint8Array): void {
    this.hash = hash(this.hash, data);
    this.received += data.byteLength;
    this.reads++;
    if (this.buffers.size < 10) this.buffers.add(data.buffer);
  }
  override connectionLost(): void {
    this.done = true;
  }
}

/** Keeps every chunk, as most protocols may. */
class Keeper extends Protocol {
  chunks: Uint8Array[] = [];
  done = false;
  override dataReceived(data: Uint8Array): void {
    this.chunks.push(data);
  }
  override connectionLost(): void {
    this.done = true;
  }
}

function serving<P extends Protocol>(cls: new () => P): Factory & { built: P[] } {
  const f = Factory.forProtocol(cls) as Factory & { built: P[] };
  f.noisy = false;
  f.built = [];
  const build = f.buildProtocol.bind(f);
  f.buildProtocol = (addr) => {
    const p = build(addr) as P;
    f.built.push(p);
    return p;
  };
  return f;
}

function sending(): ClientFactory {
  const f = ClientFactory.forProtocol(Sender);
  f.noisy = false;
  return f;
}

/** Serves one connection of `cls` over TCP or Unix, with Sender as the client. */
async function receiveOne<P extends Protocol & { done: boolean }>(
  cls: new () => P,
  unix: boolean,
): Promise<P> {
  const reactor = new Reactor(runtime);
  const factory = serving(cls);
  let port: Port;
  let dir = "";
  if (unix) {
    dir = mkdtempSync(join(tmpdir(), "tw-borrow-"));
    const path = join(dir, "s.sock");
    port = listenUNIX(runtime, path, factory);
    await port.whenListening();
    connectUNIX(runtime, reactor, path, sending());
  } else {
    port = listenTCP(runtime, 0, factory, { interface: "127.0.0.1" });
    await port.whenListening();
    const n = (port.getHost() as IPv4Address).port;
    connectTCP(runtime, reactor, "127.0.0.1", n, sending());
  }
  try {
    await until(() => factory.built.length === 1 && factory.built[0].done, 30000);
    return factory.built[0];
  } finally {
    await port.stopListening();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

for (const unix of [false, true]) {
  const kind = unix ? "Unix" : "TCP";
  describe(`borrowed reads over the ${runtime.name} adapter (${kind})`, () => {
    it("a borrowing protocol receives every byte over many reads", async () => {
      const p = await receiveOne(Borrower, unix);
      assert.equal(p.received, SIZE);
      assert.equal(p.hash, SENT_HASH);
      assert.ok(p.reads > 10, `${p.reads} reads`);
      // The node adapter on Node lends every read from one buffer.
      if (lends) assert.equal(p.buffers.size, 1);
    });

    it("a protocol that does not borrow keeps chunks that stay intact after later reads", async () => {
      const p = await receiveOne(Keeper, unix);
      assert.ok(p.chunks.length > 10, `${p.chunks.length} chunks`);
      let h = SEED;
      let total = 0;
      for (const chunk of p.chunks) {
        h = hash(h, chunk);
        total += chunk.byteLength;
      }
      assert.equal(total, SIZE);
      assert.equal(h, SENT_HASH);
    });
  });
}

describe(`a lending socket over the ${runtime.name} adapter`, () => {
  it("stays paused until resumed, half-closes both ways and leaves its listener's count", async () => {
    const listener = await runtime.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
    const port = (listener.address as { port: number }).port;
    const client = await runtime.connect({ transport: "tcp", hostname: "127.0.0.1", port });
    const accepted = await listener[Symbol.asyncIterator]().next();
    const server = accepted.value as Socket;
    let received = 0;
    let h = SEED;
    let ended = false;
    let closed = false;
    const fast = server.fastPath;
    if (fast === null) {
      await Promise.all([client.close(), server.close(), listener.close()]);
      return;
    }
    fast.start({
      borrowsData: true,
      onData: (chunk) => {
        received += chunk.byteLength;
        h = hash(h, chunk);
      },
      onEnd: () => ended = true,
      onDrain: () => {},
      onError: () => {},
      onClose: () => closed = true,
    });
    fast.pauseReading();
    const writer = client.writable.getWriter();
    const wrote = (async () => {
      for (let at = 0; at < SIZE; at += 100_000) {
        await writer.write(SENT.subarray(at, at + 100_000));
      }
      await writer.close();
    })();
    await sleep(100);
    assert.equal(received, 0, "nothing read while paused");
    const server0 = listener.native as {
      getConnections?(cb: (e: unknown, n: number) => void): void;
    };
    const connections = (): Promise<number> =>
      new Promise((resolve) => server0.getConnections!((_e, n) => resolve(n)));
    if (lends) assert.equal(await connections(), 1);
    fast.resumeReading();
    await wrote;
    await until(() => ended);
    assert.equal(received, SIZE);
    assert.equal(h, SENT_HASH);
    // The write side is still open after the client's EOF.
    fast.write(new TextEncoder().encode("bye"));
    await server.closeWrite();
    const reader = client.readable.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "bye");
    assert.equal((await reader.read()).done, true);
    await until(() => closed);
    await client.closed;
    if (lends) assert.equal(await connections(), 0);
    await listener.close();
  });
});
