// The transports, ports and connectors over this runtime's real adapter
// (TW_RUNTIME=node forces the node adapter), through the fast path and through
// Web Streams. Sockets on 127.0.0.1 and a temporary Unix socket only.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Reactor } from "../../src/internet/reactor.ts";
import {
  connectTCP,
  connectUNIX,
  listenTCP,
  listenUNIX,
  type Port,
} from "../../src/internet/tcp.ts";
import { ClientFactory, Factory, Protocol } from "../../src/internet/protocol.ts";
import type { StreamTransport } from "../../src/internet/_stream_transport.ts";
import {
  CannotListenError,
  ConnectionDone,
  ConnectionRefusedError,
} from "../../src/internet/error.ts";
import type { Failure } from "../../src/internet/failure.ts";
import type { IPv4Address } from "../../src/internet/address.ts";
import { bytes, capturingLogger, text } from "./_transport_helpers.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { loadRuntime } from "../_load_runtime.ts";

trackLeaks({ beforeEach, afterEach });

const runtime = await loadRuntime();
const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), "utf8");

/** Waits, in real time but bounded, until `cond()` holds. */
async function until(cond: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
  /** Half-closeable: answer everything, then close when the client is done. */
  readConnectionLost(): void {
    this.transport.loseConnection();
  }
}

class Collector extends Protocol {
  chunks: Uint8Array[] = [];
  received = 0;
  lost: Failure[] = [];
  readLost = 0;
  override dataReceived(data: Uint8Array): void {
    this.chunks.push(data);
    this.received += data.byteLength;
  }
  /** Counts the server's EOF, then closes this side too. */
  readConnectionLost(): void {
    this.readLost++;
    this.transport.loseConnection();
  }
  override connectionLost(reason: Failure): void {
    this.lost.push(reason);
  }
}

/**
 * A factory that records its protocols. With `borrow`, each one borrows what it
 * receives (`IBorrowingProtocol`): it copies every chunk before its own code sees it.
 */
function serverFactory<P extends Protocol>(
  cls: new () => P,
  borrow: boolean,
): Factory & { built: P[] } {
  const f = Factory.forProtocol(cls) as Factory & { built: P[] };
  f.noisy = false;
  f.built = [];
  const build = f.buildProtocol.bind(f);
  f.buildProtocol = (addr) => {
    const p = build(addr) as P;
    if (borrow) {
      const received = p.dataReceived.bind(p);
      Object.assign(p, {
        borrowsData: true,
        dataReceived: (data: Uint8Array) => received(data.slice()),
      });
    }
    f.built.push(p);
    return p;
  };
  return f;
}

function clientFactory<P extends Protocol>(cls: new () => P): ClientFactory & {
  built: P[];
  failures: Failure[];
} {
  const f = ClientFactory.forProtocol(cls) as ClientFactory & { built: P[]; failures: Failure[] };
  f.noisy = false;
  f.built = [];
  f.failures = [];
  const build = f.buildProtocol.bind(f);
  f.buildProtocol = (addr) => {
    const p = build(addr) as P;
    f.built.push(p);
    return p;
  };
  f.clientConnectionFailed = (_c, reason) => f.failures.push(reason);
  return f;
}

function pattern(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 255;
  return data;
}

async function listening(port: Port): Promise<number> {
  await port.whenListening();
  return (port.getHost() as IPv4Address).port;
}

for (const [fastPath, borrow] of [[true, false], [false, false], [true, true]]) {
  const mode = borrow ? "fast path, borrowed reads" : fastPath ? "fast path" : "Web Streams";
  describe(`transports over the ${runtime.name} adapter (${mode})`, () => {
    const reactor = new Reactor(runtime);
    const options = { fastPath, interface: "127.0.0.1" };

    it("echoes 2 MiB intact and half-closes cleanly", async () => {
      const port = listenTCP(runtime, 0, serverFactory(Echo, borrow), options);
      const n = await listening(port);
      const client = clientFactory(Collector);
      const sent = pattern(2 * 1024 * 1024);
      connectTCP(runtime, reactor, "127.0.0.1", n, client, { fastPath });
      await until(() => client.built.length === 1 && client.built[0].transport !== undefined);
      const c = client.built[0];
      for (let at = 0; at < sent.length; at += 100_000) {
        c.transport.write(sent.subarray(at, at + 100_000));
      }
      (c.transport as StreamTransport).loseWriteConnection();
      await until(() => c.lost.length === 1);
      assert.equal(c.readLost, 1);
      assert.ok(c.lost[0].check(ConnectionDone));
      const got = new Uint8Array(c.received);
      let at = 0;
      for (const chunk of c.chunks) {
        got.set(chunk, at);
        at += chunk.byteLength;
      }
      assert.deepEqual(got, sent);
      await port.stopListening();
      assert.equal(reactor.getDelayedCalls().length, 0);
    });

    it("keeps a writer bounded while its reader does not read, then delivers everything", async () => {
      const total = 16 * 1024 * 1024;
      let paused = 0;
      let maxBuffered = 0;
      class Flood extends Protocol {
        override connectionMade(): void {
          const t = this.transport as StreamTransport;
          const chunk = new Uint8Array(16 * 1024);
          let sent = 0;
          let stopped = false;
          const pump = (): void => {
            while (!stopped && sent < total) {
              t.write(chunk);
              sent += chunk.byteLength;
              maxBuffered = Math.max(maxBuffered, t.bufferedAmount);
            }
            if (sent >= total) {
              t.unregisterProducer();
              t.loseConnection();
            }
          };
          t.registerProducer({
            pauseProducing: () => {
              paused++;
              stopped = true;
            },
            resumeProducing: () => {
              stopped = false;
              pump();
            },
            stopProducing: () => {},
          }, true);
          pump();
        }
      }
      const port = listenTCP(runtime, 0, serverFactory(Flood, borrow), options);
      const n = await listening(port);
      class Slow extends Collector {
        override connectionMade(): void {
          this.transport.pauseProducing();
        }
      }
      const client = clientFactory(Slow);
      connectTCP(runtime, reactor, "127.0.0.1", n, client, { fastPath });
      await until(() => paused > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const c = client.built[0];
      assert.ok(c.received < total, "the paused reader read nothing much");
      assert.ok(maxBuffered <= 65536 + 16 * 1024, `writer buffered ${maxBuffered} bytes`);
      c.transport.resumeProducing();
      await until(() => c.lost.length === 1, 30000);
      assert.equal(c.received, total);
      assert.ok(maxBuffered <= 65536 + 16 * 1024, `writer buffered ${maxBuffered} bytes`);
      await port.stopListening();
    });

    it("reports a refused connection and a port in use with Twisted's errors", async () => {
      const port = listenTCP(runtime, 0, serverFactory(Echo, borrow), options);
      const n = await listening(port);
      const { logger } = capturingLogger();
      const again = listenTCP(runtime, n, serverFactory(Echo, borrow), { ...options, logger });
      const error = await again.whenListening().then(() => null, (e) => e);
      assert.ok(error instanceof CannotListenError);
      assert.equal(error.message, `Cannot listen on 127.0.0.1:${n}: address in use`);
      await port.stopListening();
      const client = clientFactory(Collector);
      connectTCP(runtime, reactor, "127.0.0.1", n, client, { fastPath });
      await until(() => client.failures.length === 1);
      assert.ok(
        client.failures[0].check(ConnectionRefusedError),
        String(client.failures[0]) + " cause " + String((client.failures[0].value as Error).cause),
      );
      assert.equal(reactor.getDelayedCalls().length, 0);
    });

    it("drops only the connection whose protocol throws", async () => {
      const { logger, events } = capturingLogger();
      class Picky extends Echo {
        override dataReceived(data: Uint8Array): void {
          if (text([data]).includes("bad")) throw new Error("bad input");
          super.dataReceived(data);
        }
      }
      const port = listenTCP(runtime, 0, serverFactory(Picky, borrow), { ...options, logger });
      const n = await listening(port);
      const bad = clientFactory(Collector);
      const good = clientFactory(Collector);
      connectTCP(runtime, reactor, "127.0.0.1", n, bad, { fastPath });
      connectTCP(runtime, reactor, "127.0.0.1", n, good, { fastPath });
      await until(() => bad.built.length === 1 && good.built.length === 1);
      bad.built[0].transport.write(bytes("bad"));
      await until(() => bad.built[0].lost.length === 1);
      good.built[0].transport.write(bytes("fine"));
      await until(() => text(good.built[0].chunks) === "fine");
      assert.equal(good.built[0].lost.length, 0);
      assert.equal(events.length, 1);
      good.built[0].transport.loseConnection();
      await until(() => good.built[0].lost.length === 1);
      await port.stopListening();
    });

    it("upgrades a live connection with startTLS() on both sides", async () => {
      class Server extends Protocol {
        buffer = "";
        tls = false;
        override dataReceived(data: Uint8Array): void {
          this.buffer += text([data]);
          if (!this.tls && this.buffer === "STARTTLS\n") {
            this.tls = true;
            this.buffer = "";
            this.transport.write(bytes("GO\n"));
            (this.transport as StreamTransport).startTLS({
              cert: fixture("server.pem"),
              key: fixture("server.key"),
            });
          } else if (this.tls && this.buffer.endsWith("\n")) {
            this.transport.write(bytes(`secure:${this.buffer}`));
            this.transport.loseConnection();
          }
        }
      }
      class Client extends Collector {
        override connectionMade(): void {
          this.transport.write(bytes("STARTTLS\n"));
        }
        override dataReceived(data: Uint8Array): void {
          super.dataReceived(data);
          if (text(this.chunks) === "GO\n") {
            (this.transport as StreamTransport).startTLS({
              ca: fixture("ca.pem"),
              serverName: "localhost",
            });
            this.transport.write(bytes("hello\n"));
          }
        }
      }
      const port = listenTCP(runtime, 0, serverFactory(Server, borrow), options);
      const n = await listening(port);
      const client = clientFactory(Client);
      connectTCP(runtime, reactor, "127.0.0.1", n, client, { fastPath });
      await until(() => client.built[0]?.lost.length === 1);
      const c = client.built[0];
      assert.equal(text(c.chunks), "GO\nsecure:hello\n");
      assert.ok(c.lost[0].check(ConnectionDone));
      assert.notEqual((c.transport as StreamTransport).socket.tls, null);
      await port.stopListening();
    });

    it("listens and connects over a Unix socket", async () => {
      const dir = mkdtempSync(join(tmpdir(), "tw-transport-"));
      try {
        const path = join(dir, "echo.sock");
        const port = listenUNIX(runtime, path, serverFactory(Echo, borrow), { fastPath });
        await port.whenListening();
        const client = clientFactory(Collector);
        connectUNIX(runtime, reactor, path, client, { fastPath });
        await until(() => client.built.length === 1 && client.built[0].transport !== undefined);
        const c = client.built[0];
        c.transport.write(bytes("over unix"));
        (c.transport as StreamTransport).loseWriteConnection();
        await until(() => c.lost.length === 1);
        assert.equal(text(c.chunks), "over unix");
        await port.stopListening();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
