// Bun adapter specifics the shared conformance suite does not cover: Bun's
// unbuffered write(), events before a consumer attaches, chunk ownership, the
// TLS close quirk, and the option translation (pure, so it runs everywhere).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect as tlsConnect } from "node:tls";
import type { FastPathHandler, Listener, Socket } from "../../src/internet/socket.ts";
import { createRuntime, runtime } from "../../runtimes/bun.ts";
import { bunTls, normalizeError } from "../../runtimes/_bun_tls.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const onBun = "Bun" in globalThis;
const bunOnly = onBun ? false : "needs the Bun runtime (runs under bun test)";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), "utf8");

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A fast-path handler that records everything, with promises for the end events. */
class Recorder implements FastPathHandler {
  chunks: Uint8Array[] = [];
  events: string[] = [];
  errors: Error[] = [];
  drains = 0;
  #closed!: () => void;
  #ended!: () => void;
  closedP: Promise<void> = new Promise((r) => (this.#closed = r));
  endedP: Promise<void> = new Promise((r) => (this.#ended = r));
  onData(chunk: Uint8Array): void {
    this.chunks.push(chunk);
  }
  onEnd(): void {
    this.events.push("end");
    this.#ended();
  }
  onDrain(): void {
    this.drains++;
  }
  onError(error: Error): void {
    this.events.push("error");
    this.errors.push(error);
  }
  onClose(): void {
    this.events.push("close");
    this.#closed();
  }
  get bytes(): number {
    return this.chunks.reduce((n, c) => n + c.byteLength, 0);
  }
  get text(): string {
    return this.chunks.map((c) => decoder.decode(c)).join("");
  }
}

/** Listens on 127.0.0.1 and connects one client; returns both ends. */
async function pair(
  tls = false,
): Promise<{ listener: Listener; server: Socket; client: Socket; cleanup: () => Promise<void> }> {
  const listener = await runtime.listen({
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 0,
    ...(tls ? { tls: { cert: fixture("server.pem"), key: fixture("server.key") } } : {}),
  });
  const accepted = listener[Symbol.asyncIterator]().next();
  const port = (listener.address as { port: number }).port;
  const client = await runtime.connect({
    transport: "tcp",
    hostname: "127.0.0.1",
    port,
    ...(tls ? { tls: { ca: fixture("ca.pem"), serverName: "localhost" } } : {}),
  });
  const server = (await within(5000, "accept", accepted)).value as Socket;
  const cleanup = async (): Promise<void> => {
    client.abort();
    server.abort();
    await listener.close();
    await Promise.allSettled([client.closed, server.closed]);
  };
  return { listener, server, client, cleanup };
}

describe("bun adapter: option translation (every runtime)", () => {
  it("bunTls() encodes ALPN names in wire format and verifies clients by default", () => {
    const tls = bunTls({ alpnProtocols: ["h2", "http/1.1"], ca: "CA" }, false, "example.org");
    assert.deepEqual(
      [...tls.ALPNProtocols!],
      [2, 104, 50, 8, ...encoder.encode("http/1.1")],
    );
    assert.equal(tls.rejectUnauthorized, true);
    assert.equal(tls.serverName, "example.org");
    assert.equal(tls.ca, "CA");
  });

  it("bunTls() turns verify: false off and prefers serverName over the host", () => {
    const tls = bunTls({ verify: false, serverName: "localhost" }, false, "127.0.0.1");
    assert.equal(tls.rejectUnauthorized, false);
    assert.equal(tls.serverName, "localhost");
  });

  it("bunTls() asks for client certificates only with requestCert", () => {
    assert.equal(bunTls({ cert: "C", key: "K" }, true).requestCert, false);
    assert.equal(bunTls({ cert: "C", key: "K" }, true).rejectUnauthorized, false);
    const strict = bunTls({ cert: "C", key: "K", requestCert: true }, true);
    assert.equal(strict.requestCert, true);
    assert.equal(strict.rejectUnauthorized, true);
    assert.equal(strict.serverName, undefined);
  });

  it("bunTls() maps minVersion to OpenSSL's no-version bits", () => {
    const noTls12 = 0x08000000;
    assert.equal((bunTls({}, false).secureOptions! & noTls12) !== 0, false);
    assert.equal((bunTls({ minVersion: "TLSv1.3" }, false).secureOptions! & noTls12) !== 0, true);
  });

  it("normalizeError() gives Node's codes to errors that lack them", () => {
    const eai = Object.assign(new Error("getaddrinfo EAI_NONAME x.invalid"), {
      code: "EAI_NONAME",
    });
    assert.equal((normalizeError(eai) as { code?: string }).code, "ENOTFOUND");
    const bare = normalizeError(new Error("ECONNRESET: connection reset by peer, read"));
    assert.equal((bare as { code?: string }).code, "ECONNRESET");
    assert.ok(normalizeError("text") instanceof Error);
  });

  it("creates an adapter named bun without starting anything", () => {
    assert.equal(createRuntime().name, "bun");
    assert.equal(runtime.name, "bun");
  });

  it("rejects with a clear error when the Bun global is missing", {
    skip: onBun ? "Bun is present here" : false,
  }, async () => {
    await assert.rejects(
      runtime.connect({ transport: "tcp", hostname: "127.0.0.1", port: 1 }),
      /needs the Bun runtime/,
    );
  });
});

describe("bun adapter: sockets (Bun only)", () => {
  it("keeps bytes and EOF that arrive before a consumer attaches", { skip: bunOnly }, async () => {
    const { server, client, cleanup } = await pair();
    try {
      server.fastPath!.write(encoder.encode("early bytes"));
      await server.closeWrite();
      await sleep(50);
      const rec = new Recorder();
      client.fastPath!.start(rec);
      await within(2000, "EOF", rec.endedP);
      assert.equal(rec.text, "early bytes");
    } finally {
      await cleanup();
    }
  });

  it(
    "hands out plain Uint8Arrays that later reads do not overwrite",
    { skip: bunOnly },
    async () => {
      const { server, client, cleanup } = await pair();
      try {
        const rec = new Recorder();
        client.fastPath!.start(rec);
        for (let i = 0; i < 20; i++) {
          server.fastPath!.write(new Uint8Array(1000).fill(i));
          await sleep(2);
        }
        await server.closeWrite();
        await within(2000, "EOF", rec.endedP);
        assert.equal(rec.bytes, 20_000);
        const all = new Uint8Array(rec.bytes);
        let at = 0;
        for (const chunk of rec.chunks) {
          assert.equal(chunk.constructor, Uint8Array);
          all.set(chunk, at);
          at += chunk.byteLength;
        }
        for (let i = 0; i < 20; i++) assert.equal(all[i * 1000 + 999], i);
      } finally {
        await cleanup();
      }
    },
  );

  it("queues what Bun's write() did not take and calls onDrain once it is written", {
    skip: bunOnly,
  }, async () => {
    const { server, client, cleanup } = await pair();
    try {
      const sender = new Recorder();
      server.fastPath!.start(sender);
      const reader = new Recorder();
      client.fastPath!.start(reader);
      client.fastPath!.pauseReading();
      // Far more than the kernel buffers take: Bun's write() returns short.
      const big = new Uint8Array(32 * 1024 * 1024);
      let queued = server.fastPath!.write(big);
      assert.ok(queued > 0, "a 32 MiB write to a paused reader leaves bytes queued");
      assert.equal(server.fastPath!.bufferedAmount, queued);
      // Writes behind a queue are queued too, in order.
      queued = server.fastPath!.write(encoder.encode("tail"));
      assert.equal(server.fastPath!.bufferedAmount, queued);
      assert.equal(sender.drains, 0);
      client.fastPath!.resumeReading();
      await server.closeWrite();
      await within(10_000, "EOF", reader.endedP);
      assert.equal(reader.bytes, big.byteLength + 4);
      assert.equal(decoder.decode(reader.chunks.at(-1)!.subarray(-4)), "tail");
      assert.ok(sender.drains >= 1);
      assert.equal(server.fastPath!.bufferedAmount, 0);
    } finally {
      await cleanup();
    }
  });

  it("drops writes after close without throwing", { skip: bunOnly }, async () => {
    const { server, client, cleanup } = await pair();
    try {
      const rec = new Recorder();
      client.fastPath!.start(rec);
      await client.close();
      await within(2000, "closed", rec.closedP);
      assert.equal(client.fastPath!.write(encoder.encode("late")), 0);
      assert.equal(client.fastPath!.bufferedAmount, 0);
      assert.deepEqual(rec.events.filter((e) => e === "close"), ["close"]);
    } finally {
      await cleanup();
      server.abort();
    }
  });

  it("reports a peer's reset as onError with ECONNRESET, then onClose", {
    skip: bunOnly,
  }, async () => {
    const { server, client, cleanup } = await pair();
    try {
      const rec = new Recorder();
      client.fastPath!.start(rec);
      server.abort();
      await within(2000, "close", rec.closedP);
      assert.deepEqual(rec.events, ["error", "close"]);
      assert.equal((rec.errors[0] as { code?: string }).code, "ECONNRESET");
      await assert.rejects(client.closed);
    } finally {
      await cleanup();
    }
  });

  it("closes a TLS socket at once even while the peer keeps its side open", {
    skip: bunOnly,
  }, async () => {
    // Bun's end() on a TLS socket waits for the peer; close() must not.
    const { server, client, cleanup } = await pair(true);
    try {
      const rec = new Recorder();
      server.fastPath!.start(rec);
      client.fastPath!.write(encoder.encode("bye"));
      await within(2000, "client close", client.close());
      await within(2000, "server EOF", rec.endedP);
      assert.equal(rec.text, "bye");
    } finally {
      await cleanup();
    }
  });

  it("exposes the Bun socket and listener as native", { skip: bunOnly }, async () => {
    const { listener, client, cleanup } = await pair();
    try {
      assert.equal(typeof (client.native as { upgradeTLS?: unknown }).upgradeTLS, "function");
      assert.equal(typeof (listener.native as { stop?: unknown }).stop, "function");
      assert.equal(client.tls, null);
    } finally {
      await cleanup();
    }
  });

  it("rejects a connect whose signal is already aborted", { skip: bunOnly }, async () => {
    const controller = new AbortController();
    controller.abort(new Error("changed my mind"));
    await assert.rejects(
      runtime.connect({
        transport: "tcp",
        hostname: "127.0.0.1",
        port: 1,
        signal: controller.signal,
      }),
      /changed my mind/,
    );
  });

  it("binds two UDP sockets to one port with reuseAddress", { skip: bunOnly }, async () => {
    // Bun.udpSocket cannot set SO_REUSEADDR; the adapter uses node:dgram for these.
    const first = await runtime.bindDatagram({ hostname: "0.0.0.0", port: 0, reuseAddress: true });
    const port = (first.address as { port: number }).port;
    try {
      const second = await runtime.bindDatagram({ hostname: "0.0.0.0", port, reuseAddress: true });
      assert.equal((second.address as { port: number }).port, port);
      await second.close();
    } finally {
      await first.close();
    }
  });

  it("refuses a second UDP bind to a port without reuseAddress", { skip: bunOnly }, async () => {
    const first = await runtime.bindDatagram({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (first.address as { port: number }).port;
      await assert.rejects(
        runtime.bindDatagram({ hostname: "127.0.0.1", port }),
        (error: unknown) => (error as { code?: string }).code === "EADDRINUSE",
      );
    } finally {
      await first.close();
    }
  });

  it("yields no socket for a TLS handshake that failed", { skip: bunOnly }, async () => {
    // Bun calls `open` even for a refused handshake; the listener must not yield it.
    const listener = await runtime.listen({
      transport: "tcp",
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: fixture("server.pem"), key: fixture("server.key"), minVersion: "TLSv1.3" },
    });
    const port = (listener.address as { port: number }).port;
    const accepted = listener[Symbol.asyncIterator]().next();
    let client: Socket | null = null;
    try {
      const refused = await new Promise<Error | null>((resolve) => {
        const old = tlsConnect({
          host: "127.0.0.1",
          port,
          ca: fixture("ca.pem"),
          servername: "localhost",
          maxVersion: "TLSv1.2",
        });
        old.on("secureConnect", () => {
          old.destroy();
          resolve(null);
        });
        old.on("error", (error) => resolve(error));
      });
      assert.ok(refused instanceof Error, "a TLS 1.2 client is refused");
      client = await runtime.connect({
        transport: "tcp",
        hostname: "127.0.0.1",
        port,
        tls: { ca: fixture("ca.pem"), serverName: "localhost" },
      });
      const first = (await within(5000, "accept", accepted)).value as Socket;
      const local = client.localAddress as { port: number };
      assert.equal((first.remoteAddress as { port: number }).port, local.port);
      first.abort();
    } finally {
      client?.abort();
      await listener.close();
    }
  });

  it("upgrades sockets that never had a reader with STARTTLS", { skip: bunOnly }, async () => {
    // Both sockets are still paused (no consumer yet) when the upgrade starts.
    const { server, client, cleanup } = await pair();
    try {
      const [secureServer, secureClient] = await within(
        5000,
        "handshake",
        Promise.all([
          server.startTls({
            cert: fixture("server.pem"),
            key: fixture("server.key"),
            isServer: true,
          }),
          client.startTls({ ca: fixture("ca.pem"), serverName: "localhost" }),
        ]),
      );
      const rec = new Recorder();
      secureServer.fastPath!.start(rec);
      secureClient.fastPath!.write(encoder.encode("over tls"));
      await secureClient.closeWrite();
      await within(2000, "EOF", rec.endedP);
      assert.equal(rec.text, "over tls");
      assert.notEqual(secureClient.tls, null);
      secureServer.abort();
      secureClient.abort();
      await within(
        2000,
        "plain sockets settle",
        Promise.allSettled([server.closed, client.closed]),
      );
    } finally {
      await cleanup();
    }
  });
});
