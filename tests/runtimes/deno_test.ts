/**
 * Deno-specific tests of the Deno adapter (runtimes/deno.ts), beyond the
 * shared conformance suite: the adaptive read buffers, which TLS path serves
 * which options (native rustls or node:tls over the Deno connection), the
 * STARTTLS hand-over of bytes already in flight, client certificate checks,
 * and the UDP fallback. On Bun and Node every test is skipped with the reason.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type {
  FastPathHandler,
  Listener,
  Runtime,
  Socket,
  TlsOptions,
} from "../../src/internet/socket.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const isDeno = "Deno" in globalThis;
const runtime: Runtime | null = isDeno ? (await import("../../runtimes/deno.ts")).runtime : null;

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), "utf8");
const CA = fixture("ca.pem");
const OTHER_CA = fixture("other_ca.pem");
const SERVER_TLS: TlsOptions = { cert: fixture("server.pem"), key: fixture("server.key") };
const CLIENT_CERT = { cert: fixture("client.pem"), key: fixture("client.key") };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const rt = (): Runtime => runtime!;

/** Fails if `promise` takes longer than `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Run in a child Deno with DENO_CERT: native TLS paths, which a `ca` option bypasses. */
const NATIVE_TLS_SCRIPT = `
const { runtime } = await import(Deno.env.get("TW_ADAPTER"));
const dir = Deno.env.get("TW_FIXTURES");
const read = (n) => Deno.readTextFile(new URL(n, dir));
const server = { cert: await read("server.pem"), key: await read("server.key") };
const kind = (n) => typeof n.getPeerCertificate === "function" ? "node-tls"
  : typeof n.handshake === "function" ? "deno-tls" : "other";
const enc = new TextEncoder(), dec = new TextDecoder();
async function echoOnce(socket, text) {
  const chunks = [];
  await new Promise((resolve, reject) => {
    socket.fastPath.start({
      onData: (c) => chunks.push(dec.decode(c)), onEnd: resolve, onDrain() {},
      onError: reject, onClose: resolve,
    });
    socket.fastPath.write(enc.encode(text));
    socket.closeWrite();
  });
  return chunks.join("");
}
function serveEcho(listener, upgrade) {
  (async () => {
    for await (let s of listener) {
      if (upgrade) s = await s.startTls({ ...server, isServer: true });
      const fp = s.fastPath, sock = s;
      fp.start({ onData: (c) => fp.write(c), onEnd: () => sock.closeWrite(), onDrain() {},
        onError() {}, onClose() {} });
    }
  })();
}
const result = {};
const tlsListener = await runtime.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0,
  tls: { ...server, alpnProtocols: ["x"] } });
serveEcho(tlsListener, false);
const port = tlsListener.address.port;
const a = await runtime.connect({ transport: "tcp", hostname: "127.0.0.1", port,
  tls: { serverName: "localhost", alpnProtocols: ["x"] } });
result.connect = { kind: kind(a.native), echo: await echoOnce(a, "native"), alpn: a.tls.alpnProtocol };
try {
  const b = await runtime.connect({ transport: "tcp", hostname: "127.0.0.1", port,
    tls: { ca: await read("other_ca.pem") } });
  b.abort();
  result.pinned = "accepted";
} catch {
  result.pinned = "rejected";
}
const plain = await runtime.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
serveEcho(plain, true);
const c = await runtime.connect({ transport: "tcp", hostname: "127.0.0.1", port: plain.address.port });
const up = await c.startTls({ serverName: "localhost" });
result.startTls = { kind: kind(up.native), echo: await echoOnce(up, "native upgrade") };
console.log(JSON.stringify(result));
await tlsListener.close();
await plain.close();
Deno.exit(0);
`;

/** Records a fast-path socket's events; `wait` resolves when a predicate holds. */
class Recorder implements FastPathHandler {
  chunks: Uint8Array[] = [];
  received = 0;
  ended = false;
  closed = false;
  error: Error | null = null;
  drains = 0;
  #checks = new Set<() => void>();

  onData(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.received += chunk.byteLength;
    this.#notify();
  }
  onEnd(): void {
    this.ended = true;
    this.#notify();
  }
  onDrain(): void {
    this.drains++;
    this.#notify();
  }
  onError(error: Error): void {
    this.error = error;
    this.#notify();
  }
  onClose(): void {
    this.closed = true;
    this.#notify();
  }
  text(): string {
    return decoder.decode(concat(this.chunks));
  }
  #notify(): void {
    for (const c of [...this.#checks]) c();
  }
  wait(what: string, predicate: () => boolean, ms = 5000): Promise<void> {
    return within(
      ms,
      what,
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (predicate()) {
            this.#checks.delete(check);
            resolve();
          }
        };
        this.#checks.add(check);
        check();
      }),
    );
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Everything a test opens, closed at the end. */
class Scope {
  #listeners: Listener[] = [];
  #sockets: Socket[] = [];
  listener(l: Listener): Listener {
    this.#listeners.push(l);
    return l;
  }
  socket(s: Socket): Socket {
    this.#sockets.push(s);
    s.closed.catch(() => {});
    return s;
  }
  async close(): Promise<void> {
    for (const s of this.#sockets) s.abort();
    await Promise.allSettled(this.#listeners.map((l) => l.close()));
  }
}

async function withScope(fn: (scope: Scope) => Promise<void>): Promise<void> {
  const scope = new Scope();
  try {
    await fn(scope);
  } finally {
    await scope.close();
  }
}

/** What kind of object `socket.native` is (Deno keeps its conn classes off the global scope). */
function kind(native: unknown): "deno-tls" | "deno-tcp" | "node-tls" | "other" {
  const o = native as Record<string, unknown>;
  if (typeof o.getPeerCertificate === "function") return "node-tls";
  if (typeof o.handshake === "function") return "deno-tls";
  if (typeof o.setNoDelay === "function" && typeof o.read === "function") return "deno-tcp";
  return "other";
}

function portOf(listener: Listener): number {
  assert.ok(listener.address.transport === "tcp");
  return listener.address.port;
}

/** Accepts one connection from `listener`. */
async function acceptOne(scope: Scope, listener: Listener): Promise<Socket> {
  const it = listener[Symbol.asyncIterator]();
  const next = await within(5000, "accept", it.next());
  assert.equal(next.done, false);
  return scope.socket(next.value);
}

/** A TCP listener on 127.0.0.1 and a connected pair. */
async function pair(
  scope: Scope,
  tls?: { server: TlsOptions; client: TlsOptions },
): Promise<{ listener: Listener; client: Socket; server: Socket }> {
  const listener = scope.listener(
    await rt().listen({ transport: "tcp", hostname: "127.0.0.1", port: 0, tls: tls?.server }),
  );
  const accepted = acceptOne(scope, listener);
  const client = scope.socket(
    await rt().connect({
      transport: "tcp",
      hostname: "127.0.0.1",
      port: portOf(listener),
      tls: tls?.client,
    }),
  );
  return { listener, client, server: await accepted };
}

/** Echoes everything on a fast path and half-closes after the peer. */
function echoFast(socket: Socket): void {
  const fp = socket.fastPath!;
  fp.start({
    onData: (c) => void fp.write(c),
    onEnd: () => void socket.closeWrite(),
    onDrain: () => {},
    onError: () => {},
    onClose: () => {},
  });
}

/** Writes `message`, half-closes, and returns everything echoed back. */
async function roundTrip(socket: Socket, message: string): Promise<string> {
  const rec = new Recorder();
  socket.fastPath!.start(rec);
  socket.fastPath!.write(encoder.encode(message));
  await socket.closeWrite();
  await rec.wait("echo and EOF", () => rec.ended || rec.error !== null);
  if (rec.error) throw rec.error;
  return rec.text();
}

describe("Deno adapter", () => {
  if (!isDeno) {
    it("runs only on Deno", { skip: "the Deno adapter needs the Deno runtime" }, () => {});
    return;
  }

  it("reads bulk data into growing, separately owned buffers", async () => {
    await withScope(async (scope) => {
      const { client, server } = await pair(scope);
      const rec = new Recorder();
      server.fastPath!.start(rec);
      const total = 8 << 20;
      const block = new Uint8Array(1 << 20).fill(7);
      for (let i = 0; i < 8; i++) client.fastPath!.write(block);
      await client.closeWrite();
      await rec.wait("8 MiB", () => rec.ended, 10_000);
      assert.equal(rec.received, total);
      const largest = Math.max(...rec.chunks.map((c) => c.byteLength));
      assert.ok(
        largest >= 64 * 1024 && largest <= 1 << 20,
        `reads grow under load, never past 1 MiB: ${largest}`,
      );
      const buffers = new Set(rec.chunks.map((c) => c.buffer));
      assert.equal(buffers.size, rec.chunks.length, "no two chunks share a buffer");
      assert.ok(rec.chunks.every((c) => c.every((b) => b === 7)), "bytes intact");
    });
  });

  it("hands out small reads without pinning a large buffer", async () => {
    await withScope(async (scope) => {
      const { client, server } = await pair(scope);
      const rec = new Recorder();
      server.fastPath!.start(rec);
      // Grow the buffer with bulk data, then send a few small messages.
      client.fastPath!.write(new Uint8Array(1 << 20));
      await rec.wait("bulk", () => rec.received === 1 << 20);
      for (let i = 0; i < 5; i++) {
        client.fastPath!.write(encoder.encode("x"));
        await rec.wait("small", () => rec.received === (1 << 20) + i + 1);
      }
      const small = rec.chunks.slice(-5);
      assert.ok(small.every((c) => c.byteLength === 1));
      assert.ok(
        // Copied out into a small buffer or a view on an 8 KiB slab (src/internet/_bytes.ts).
        small.every((c) => c.buffer.byteLength <= 8192),
        `small chunks sit in small buffers: ${small.map((c) => c.buffer.byteLength)}`,
      );
    });
  });

  it("stops reading while paused and delivers in order on resume", async () => {
    await withScope(async (scope) => {
      const { client, server } = await pair(scope);
      const rec = new Recorder();
      const fp = server.fastPath!;
      fp.start(rec);
      fp.pauseReading();
      for (let i = 0; i < 100; i++) client.fastPath!.write(encoder.encode(`${i},`));
      await new Promise((r) => setTimeout(r, 50));
      // At most the one read that was in flight when paused is held back.
      assert.equal(rec.received, 0, "nothing is delivered while paused");
      fp.resumeReading();
      const want = Array.from({ length: 100 }, (_, i) => `${i},`).join("");
      await rec.wait("all", () => rec.received === want.length);
      assert.equal(rec.text(), want);
    });
  });

  it("joins small writes queued behind an in-flight write, keeping their order", async () => {
    await withScope(async (scope) => {
      const { client, server } = await pair(scope);
      const rec = new Recorder();
      server.fastPath!.start(rec);
      const fp = client.fastPath!;
      let queued = 0;
      for (let i = 0; i < 1000; i++) queued = fp.write(encoder.encode(`<${i}>`));
      assert.ok(queued > 0 && queued === fp.bufferedAmount);
      const want = Array.from({ length: 1000 }, (_, i) => `<${i}>`).join("");
      await rec.wait("all", () => rec.received === want.length);
      assert.equal(rec.text(), want);
      assert.equal(fp.bufferedAmount, 0);
    });
  });

  it("close() sends chunks still queued in the writable stream", async () => {
    await withScope(async (scope) => {
      const { client, server } = await pair(scope);
      const rec = new Recorder();
      server.fastPath!.start(rec);
      const writer = client.writable.getWriter();
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 32; i++) writes.push(writer.write(new Uint8Array(64 * 1024).fill(i)));
      // Nothing awaited: the stream still holds most chunks when close() starts.
      await within(5000, "close", client.close());
      await Promise.all(writes);
      await rec.wait("EOF", () => rec.ended);
      assert.equal(rec.received, 32 * 64 * 1024);
      const all = concat(rec.chunks);
      for (let i = 0; i < 32; i++) assert.equal(all[i * 64 * 1024], i, `chunk ${i} in order`);
    });
  });

  it("does not let a write after writer.close() hold up close()", async () => {
    await withScope(async (scope) => {
      const { client, server } = await pair(scope);
      const rec = new Recorder();
      server.fastPath!.start(rec);
      const writer = client.writable.getWriter();
      await writer.write(encoder.encode("last words"));
      const closing = writer.close();
      await assert.rejects(writer.write(encoder.encode("too late")));
      await closing;
      await within(5000, "close", client.close());
      await rec.wait("EOF", () => rec.ended);
      assert.equal(rec.text(), "last words");
    });
  });

  it("drops only the connection whose handler throws, reporting the error", async () => {
    await withScope(async (scope) => {
      const { client, server } = await pair(scope);
      const boom = new Error("handler bug");
      const events: string[] = [];
      let reported: Error | null = null;
      server.fastPath!.start({
        onData: () => {
          events.push("data");
          throw boom;
        },
        onEnd: () => events.push("end"),
        onDrain: () => {},
        onError: (e) => {
          reported = e;
          events.push("error");
        },
        onClose: () => events.push("close"),
      });
      const rec = new Recorder();
      client.fastPath!.start(rec);
      client.fastPath!.write(encoder.encode("trigger"));
      await rec.wait("peer sees the end", () => rec.ended || rec.error !== null);
      assert.deepEqual(events, ["data", "error", "close"]);
      assert.equal(reported, boom);
      await within(2000, "server closed", server.closed.catch(() => {}));
    });
  });

  it("reports the native objects of a plain and a TLS connection", async () => {
    await withScope(async (scope) => {
      const plain = await pair(scope);
      assert.equal(kind(plain.client.native), "deno-tcp");
      assert.equal(plain.client.tls, null);
      assert.equal(typeof (plain.listener.native as Deno.Listener).accept, "function");
      // Without a handshake timeout the server can be Deno's own.
      const tls = await pair(scope, {
        server: { ...SERVER_TLS, alpnProtocols: ["x"], handshakeTimeout: 0 },
        client: { ca: CA, alpnProtocols: ["x"] },
      });
      // A client `ca` replaces the trusted roots, which only node:tls can do.
      assert.equal(kind(tls.client.native), "node-tls", "client with ca: node:tls");
      assert.equal(kind(tls.server.native), "deno-tls", "native server TLS");
      assert.deepEqual(tls.client.tls, { alpnProtocol: "x" });
      assert.deepEqual(tls.server.tls, { alpnProtocol: "x" });
      // With one (the default), node:tls, which can cut a client that never speaks.
      const timed = await pair(scope, { server: SERVER_TLS, client: { ca: CA } });
      assert.equal(kind(timed.server.native), "node-tls", "server TLS with a handshake timeout");
    });
  });

  it("uses Deno's own TLS client when no ca is given, and honours ca as a replacement", async () => {
    // Native TLS needs the test CA among the default roots: DENO_CERT adds it,
    // in a child Deno, so this process's trust store stays untouched.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", NATIVE_TLS_SCRIPT],
      env: {
        DENO_CERT: new URL("../fixtures/tls/ca.pem", import.meta.url).pathname,
        TW_ADAPTER: new URL("../../runtimes/deno.ts", import.meta.url).href,
        TW_FIXTURES: new URL("../fixtures/tls/", import.meta.url).href,
        DENO_NO_UPDATE_CHECK: "1",
      },
      stdout: "piped",
      stderr: "piped",
    });
    const out = await within(30_000, "child deno", child.output());
    const stderr = decoder.decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const result = JSON.parse(decoder.decode(out.stdout));
    assert.deepEqual(result, {
      connect: { kind: "deno-tls", echo: "native", alpn: "x" },
      startTls: { kind: "deno-tls", echo: "native upgrade" },
      pinned: "rejected",
    });
  });

  it("upgrades through node:tls when a read is in flight, losing no bytes", async () => {
    await withScope(async (scope) => {
      const { client, server } = await pair(scope);
      const rec = new Recorder();
      client.fastPath!.start(rec);
      const sfp = server.fastPath!;
      const srec = new Recorder();
      sfp.start(srec);
      client.fastPath!.write(encoder.encode("STARTTLS\r\n"));
      await srec.wait("command", () => srec.text() === "STARTTLS\r\n");
      // The server answers and starts its handshake at once; the client's read
      // loop is waiting on the connection when it upgrades.
      sfp.write(encoder.encode("GO\r\n"));
      await rec.wait("reply", () => rec.text() === "GO\r\n");
      sfp.pauseReading();
      client.fastPath!.pauseReading();
      const [secureClient, secureServer] = await Promise.all([
        client.startTls({ ca: CA, serverName: "localhost" }),
        server.startTls({ ...SERVER_TLS, isServer: true }),
      ]);
      scope.socket(secureClient);
      scope.socket(secureServer);
      assert.equal(kind(secureClient.native), "node-tls", "the node:tls bridge was used");
      echoFast(secureServer);
      assert.equal(await roundTrip(secureClient, "bridged upgrade"), "bridged upgrade");
    });
  });

  it("checks the name and the CA on the node:tls client path too", async () => {
    await withScope(async (scope) => {
      const listener = scope.listener(
        await rt().listen({ transport: "tcp", hostname: "127.0.0.1", port: 0, tls: SERVER_TLS }),
      );
      (async () => {
        for await (const s of listener) echoFast(scope.socket(s));
      })();
      const port = portOf(listener);
      // minVersion TLSv1.3 is beyond Deno's native client options: node:tls serves it.
      const connect = (tls: TlsOptions): Promise<Socket> =>
        rt().connect({ transport: "tcp", hostname: "127.0.0.1", port, tls });
      const good = scope.socket(await connect({ ca: CA, minVersion: "TLSv1.3" }));
      assert.equal(kind(good.native), "node-tls");
      assert.equal(await roundTrip(good, "1.3"), "1.3");
      await assert.rejects(connect({ ca: OTHER_CA, minVersion: "TLSv1.3" }));
      await assert.rejects(connect({ ca: CA, serverName: "example.com", minVersion: "TLSv1.3" }));
    });
  });

  it("rejects a client certificate from another CA", async () => {
    await withScope(async (scope) => {
      const listener = scope.listener(
        await rt().listen({
          transport: "tcp",
          hostname: "127.0.0.1",
          port: 0,
          tls: { ...SERVER_TLS, ca: CA, requestCert: true },
        }),
      );
      const accepted: Socket[] = [];
      (async () => {
        for await (const s of listener) {
          accepted.push(scope.socket(s));
          echoFast(s);
        }
      })();
      const port = portOf(listener);
      // The server's own certificate is a valid certificate from an issuer the
      // listener trusts only through `ca`; against OTHER_CA trust it is foreign.
      const foreign = await rt().listen({
        transport: "tcp",
        hostname: "127.0.0.1",
        port: 0,
        tls: { ...SERVER_TLS, ca: OTHER_CA, requestCert: true },
      });
      scope.listener(foreign);
      const foreignAccepted: Socket[] = [];
      (async () => {
        for await (const s of foreign) foreignAccepted.push(scope.socket(s));
      })();
      const bad = scope.socket(
        await rt().connect({
          transport: "tcp",
          hostname: "127.0.0.1",
          port: portOf(foreign),
          tls: { ca: CA, serverName: "localhost", ...CLIENT_CERT },
        }),
      );
      const rec = new Recorder();
      bad.fastPath!.start(rec);
      await rec.wait("rejected", () => rec.ended || rec.closed || rec.error !== null);
      assert.equal(foreignAccepted.length, 0, "the foreign client was never yielded");
      // The listener that trusts the CA still serves a good client afterwards.
      const good = scope.socket(
        await rt().connect({
          transport: "tcp",
          hostname: "127.0.0.1",
          port,
          tls: { ca: CA, serverName: "localhost", ...CLIENT_CERT },
        }),
      );
      assert.equal(await roundTrip(good, "trusted"), "trusted");
      assert.equal(accepted.length, 1);
    });
  });

  it("keeps a TLS listener serving after a client fails its handshake", async () => {
    await withScope(async (scope) => {
      const listener = scope.listener(
        await rt().listen({ transport: "tcp", hostname: "127.0.0.1", port: 0, tls: SERVER_TLS }),
      );
      (async () => {
        for await (const s of listener) echoFast(scope.socket(s));
      })();
      const port = portOf(listener);
      const junk = await Deno.connect({ hostname: "127.0.0.1", port });
      await junk.write(encoder.encode("this is not a TLS ClientHello\r\n\r\n"));
      const stalled = await Deno.connect({ hostname: "127.0.0.1", port });
      const good = scope.socket(
        await rt().connect({ transport: "tcp", hostname: "127.0.0.1", port, tls: { ca: CA } }),
      );
      assert.equal(await roundTrip(good, "still serving"), "still serving");
      junk.close();
      stalled.close();
    });
  });

  it("normalises Deno's errors to Node's codes", async () => {
    const codeOf = async (p: Promise<unknown>): Promise<unknown> => {
      try {
        await p;
      } catch (e) {
        return (e as { code?: unknown }).code;
      }
      return "no error";
    };
    assert.equal(
      await codeOf(rt().connect({ transport: "tcp", hostname: "nowhere.invalid", port: 80 })),
      "ENOTFOUND",
    );
    assert.equal(await codeOf(rt().resolve("nowhere.invalid")), "ENOTFOUND");
    assert.equal(
      await codeOf(rt().connect({ transport: "unix", path: "/nonexistent/tw.sock" })),
      "ENOENT",
    );
    let spawnCode: unknown = "no error";
    try {
      rt().spawn({ command: "/nonexistent/tw-command", args: [] });
    } catch (e) {
      spawnCode = (e as { code?: unknown }).code;
    }
    assert.equal(spawnCode, "ENOENT");
  });

  it("uses node:dgram for UDP unless Deno.listenDatagram is available", async () => {
    const native = typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
    const a = await rt().bindDatagram({ hostname: "127.0.0.1", port: 0 });
    const b = await rt().bindDatagram({ hostname: "127.0.0.1", port: 0 });
    try {
      const isDenoConn = typeof (a.native as { receive?: unknown }).receive === "function";
      assert.equal(isDenoConn, native, "native UDP exactly when the API exists");
      const got = new Promise<string>((resolve) => {
        b.start({ onMessage: (d) => resolve(decoder.decode(d)), onError: () => {} });
      });
      a.start({ onMessage: () => {}, onError: () => {} });
      assert.ok(b.address.transport === "udp");
      a.send(encoder.encode("datagram"), "127.0.0.1", b.address.port);
      assert.equal(await within(5000, "datagram", got), "datagram");
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("aborts a socket so that the peer sees the end at once", async () => {
    await withScope(async (scope) => {
      const { client, server } = await pair(scope);
      const rec = new Recorder();
      server.fastPath!.start(rec);
      client.fastPath!.write(new Uint8Array(1 << 20));
      client.abort();
      await within(2000, "closed", client.closed);
      // Deno cannot send RST (no SO_LINGER): the peer sees EOF or a reset.
      await rec.wait("end", () => rec.ended || rec.error !== null);
      assert.equal(client.fastPath!.write(new Uint8Array(1)), 0, "writes after abort are dropped");
    });
  });
});
