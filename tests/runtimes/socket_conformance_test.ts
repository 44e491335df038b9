/**
 * The conformance suite for the `Runtime` contract (src/internet/socket.ts),
 * over real sockets. It runs against the adapter named by `TW_RUNTIME`, or
 * else the current runtime's own adapter. Every stream-socket test runs twice:
 * through the Web Streams (`readable` / `writable`) and through `fastPath`
 * (skipped, with the reason, where the adapter offers none).
 *
 * A feature an adapter cannot provide is reported by it throwing
 * `NotSupportedError`; the test then skips with that error's message.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  DatagramSocket,
  Listener,
  ListenOptions,
  Runtime,
  Socket,
  TlsOptions,
} from "../../src/internet/socket.ts";
import { NotSupportedError } from "../../src/internet/error.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { skipTest } from "../../src/trial/mod.ts";

trackLeaks({ beforeEach, afterEach });

// ---------------------------------------------------------------------------
// Loading the adapter

function adapterName(): string {
  const forced = process.env.TW_RUNTIME;
  if (forced) return forced;
  if ("Deno" in globalThis) return "deno";
  if ("Bun" in globalThis) return "bun";
  return "node";
}

async function loadRuntime(name: string): Promise<Runtime> {
  // Literal paths, so that type checking and bundlers see every adapter.
  switch (name) {
    case "deno":
      return (await import("../../runtimes/deno.ts")).runtime;
    case "bun":
      return (await import("../../runtimes/bun.ts")).runtime;
    case "node":
      return (await import("../../runtimes/node.ts")).runtime;
    default:
      throw new Error(`Unknown TW_RUNTIME ${JSON.stringify(name)}`);
  }
}

const runtime = await loadRuntime(adapterName());

const fixtures = new URL("../fixtures/", import.meta.url);
function fixture(name: string): string {
  return readFileSync(new URL(`tls/${name}`, fixtures), "utf8");
}
const CA = fixture("ca.pem");
const OTHER_CA = fixture("other_ca.pem");
const SERVER_TLS: TlsOptions = { cert: fixture("server.pem"), key: fixture("server.key") };
const CLIENT_CERT = { cert: fixture("client.pem"), key: fixture("client.key") };

// ---------------------------------------------------------------------------
// Helpers

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const text = (data: Uint8Array): string => decoder.decode(data);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A test context as node:test, Deno and Bun all provide it (`skip` may be missing). */
type Ctx = { skip?: (message?: string) => void; name?: string };

/**
 * Marks the running test skipped with its reason, which `tw trial` reads on
 * every runner (Deno reports a skipped node:test as "ok") for the support
 * matrix in docs/runtimes.md.
 */
function skip(t: Ctx, reason: string): void {
  skipTest(t, reason);
}

/** Runs `fn`; if the adapter throws NotSupportedError, skips the test with its message. */
async function orSkip<T>(t: Ctx, fn: () => Promise<T> | T): Promise<T | typeof SKIPPED> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof NotSupportedError) {
      skip(t, error.message);
      return SKIPPED;
    }
    throw error;
  }
}
const SKIPPED: unique symbol = Symbol("skipped");

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

async function rejectsWithCode(promise: Promise<unknown>, codes: string[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(
      codes.includes(codeOf(error) as string),
      `expected code ${codes.join(" or ")}, got ${String(codeOf(error))}: ${String(error)}`,
    );
    return true;
  });
}

/** Fails if `promise` takes longer than `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A 32-bit running hash (FNV-1a) to verify large transfers. */
function hashUpdate(hash: number, data: Uint8Array): number {
  let h = hash;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 16777619);
  return h >>> 0;
}
const HASH_SEED = 2166136261;

/** A deterministic 1 MiB block, stamped with `n` so that blocks differ. */
const BLOCK = (() => {
  const block = new Uint8Array(1 << 20);
  let x = 123456789;
  for (let i = 0; i < block.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block[i] = x & 0xff;
  }
  return block;
})();
function block(n: number): Uint8Array {
  const copy = BLOCK.slice();
  new DataView(copy.buffer).setUint32(0, n);
  new DataView(copy.buffer).setUint32(copy.length - 4, n);
  return copy;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Everything a test opened, closed at the end whatever happened. */
class Scope {
  listeners: Listener[] = [];
  sockets: Socket[] = [];
  datagrams: DatagramSocket[] = [];
  dirs: string[] = [];
  /** Errors thrown by server-side handlers, reported if the test fails. */
  errors: unknown[] = [];
  /** A NotSupportedError thrown on the server side: the test is skipped with it. */
  unsupported: NotSupportedError | null = null;

  listener(l: Listener): Listener {
    this.listeners.push(l);
    return l;
  }
  socket(s: Socket): Socket {
    this.sockets.push(s);
    // Failures of sockets a test does not watch must not become unhandled rejections.
    s.closed.catch(() => {});
    return s;
  }
  tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "tw-conformance-"));
    this.dirs.push(dir);
    return dir;
  }
  async close(): Promise<void> {
    for (const s of this.sockets) {
      try {
        s.abort();
      } catch { /* already closed */ }
    }
    await Promise.allSettled(this.listeners.map((l) => l.close()));
    await Promise.allSettled(this.datagrams.map((d) => d.close()));
    await Promise.allSettled(this.sockets.map((s) => within(2000, "socket close", s.closed)));
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/**
 * Runs a test body with a Scope. A NotSupportedError thrown anywhere (by the
 * body, or by a server handler, which then drops its connection) skips the
 * test with that error's message; other failures also report server errors.
 */
async function withScope(t: Ctx, fn: (scope: Scope) => Promise<void>): Promise<void> {
  const scope = new Scope();
  try {
    await fn(scope);
  } catch (error) {
    const unsupported = error instanceof NotSupportedError ? error : scope.unsupported;
    if (unsupported) {
      skip(t, unsupported.message);
      return;
    }
    if (scope.errors.length > 0) {
      throw new AggregateError([error, ...scope.errors], `${String(error)} (and server errors)`);
    }
    throw error;
  } finally {
    await scope.close();
  }
}

/**
 * "lent": the fast path with `borrowsData`, so an adapter may lend chunks from a
 * buffer it reuses (the node adapter on Node, for accepted sockets); the test
 * copies each chunk before it keeps it.
 */
type Mode = "streams" | "fastPath" | "lent";
const MODES: Mode[] = ["streams", "fastPath", "lent"];

/** High-water mark the test's writers respect in fastPath mode. */
const FAST_HWM = 64 * 1024;

/**
 * Drives one socket the way the core would, in one mode: collects what
 * arrives, writes with backpressure, pauses and resumes reading.
 */
class Conn {
  readonly socket: Socket;
  readonly mode: Mode;
  received = 0;
  hash = HASH_SEED;
  chunks: Uint8Array[] = [];
  ended = false;
  closed = false;
  error: Error | null = null;
  writeError: Error | null = null;
  maxQueued = 0;
  onData: ((chunk: Uint8Array) => void) | null = null;
  #keep: boolean;
  #hashing: boolean;
  #paused = false;
  #detached = false;
  #resume: (() => void) | null = null;
  #waiters = new Set<() => void>();
  #drainWaiters: (() => void)[] = [];
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #lastWrite: Promise<void> = Promise.resolve();

  constructor(
    socket: Socket,
    mode: Mode,
    options: { keep?: boolean; hash?: boolean; paused?: boolean } = {},
  ) {
    this.socket = socket;
    this.mode = mode;
    this.#keep = options.keep ?? true;
    this.#hashing = options.hash ?? false;
    this.#paused = options.paused ?? false;
    socket.closed.then(
      () => this.#event(() => this.closed = true),
      (error) => this.#event(() => (this.closed = true, this.error ??= error)),
    );
    if (mode !== "streams") {
      const fp = socket.fastPath;
      assert.ok(fp, "fastPath mode needs socket.fastPath");
      fp.start({
        borrowsData: mode === "lent",
        onData: (chunk) => this.#data(mode === "lent" ? chunk.slice() : chunk),
        onEnd: () => this.#event(() => this.ended = true),
        onDrain: () => {
          for (const w of this.#drainWaiters.splice(0)) w();
        },
        onError: (error) => this.#event(() => this.error ??= error),
        onClose: () => this.#event(() => this.closed = true),
      });
      if (this.#paused) fp.pauseReading();
    } else {
      this.#reader = socket.readable.getReader();
      this.#writer = socket.writable.getWriter();
      this.#writer.closed.catch(() => {});
      this.#readLoop();
    }
  }

  #event(change: () => void): void {
    change();
    for (const w of [...this.#waiters]) w();
  }

  #data(chunk: Uint8Array): void {
    assert.ok(chunk instanceof Uint8Array, "chunks are Uint8Array");
    this.received += chunk.length;
    if (this.#hashing) this.hash = hashUpdate(this.hash, chunk);
    if (this.#keep) this.chunks.push(chunk);
    this.onData?.(chunk);
    this.#event(() => {});
  }

  async #readLoop(): Promise<void> {
    const reader = this.#reader!;
    try {
      while (!this.#detached) {
        if (this.#paused) {
          await new Promise<void>((r) => this.#resume = r);
          continue;
        }
        const { done, value } = await reader.read();
        if (this.#detached) return;
        if (done) {
          this.#event(() => this.ended = true);
          return;
        }
        this.#data(value);
      }
    } catch (error) {
      if (!this.#detached) this.#event(() => this.error ??= error as Error);
    }
  }

  pause(): void {
    this.#paused = true;
    if (this.mode !== "streams") this.socket.fastPath!.pauseReading();
  }

  resume(): void {
    this.#paused = false;
    if (this.mode !== "streams") this.socket.fastPath!.resumeReading();
    this.#resume?.();
    this.#resume = null;
  }

  /** Bytes queued on the sending side, as far as this mode can see them. */
  get queued(): number {
    return this.mode !== "streams" ? this.socket.fastPath!.bufferedAmount : 0;
  }

  /** Writes `data`, resolving once the writer may write more (backpressure). */
  async write(data: Uint8Array): Promise<void> {
    if (this.mode !== "streams") {
      const fp = this.socket.fastPath!;
      const queued = fp.write(data);
      assert.equal(queued, fp.bufferedAmount, "write() returns bufferedAmount");
      this.maxQueued = Math.max(this.maxQueued, queued);
      if (queued > FAST_HWM) await new Promise<void>((r) => this.#drainWaiters.push(r));
    } else {
      const writer = this.#writer!;
      await writer.ready;
      this.#lastWrite = writer.write(data).catch((error) => {
        this.writeError ??= error;
      });
    }
  }

  /** Writes `data` at once, ignoring backpressure; resolves when the runtime took it. */
  writeNow(data: Uint8Array): Promise<void> {
    if (this.mode !== "streams") {
      this.socket.fastPath!.write(data);
      return Promise.resolve();
    }
    return this.#writer!.write(data);
  }

  /** Waits until the queued writes have been taken by the runtime. */
  async flushed(): Promise<void> {
    if (this.mode !== "streams") {
      if (this.socket.fastPath!.bufferedAmount > 0) {
        await new Promise<void>((r) => this.#drainWaiters.push(r));
      }
    } else {
      await this.#lastWrite;
    }
  }

  /** Half-closes: flushes, then sends FIN. */
  async closeWrite(): Promise<void> {
    if (this.mode !== "streams") await this.socket.closeWrite();
    else await this.#writer!.close();
  }

  /** Flushes and closes both directions. */
  async close(): Promise<void> {
    await this.flushed();
    await this.socket.close();
  }

  /** Stops using this socket's streams or fast path (before `startTls`). */
  detach(): void {
    this.#detached = true;
    if (this.mode !== "streams") {
      this.socket.fastPath!.pauseReading();
    } else {
      this.#reader!.releaseLock();
      this.#writer!.releaseLock();
    }
    this.#resume?.();
  }

  /** Resolves when `predicate` holds; rejects on a socket error or after `ms`. */
  until(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
    return within(
      ms,
      what,
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (predicate()) {
            this.#waiters.delete(check);
            resolve();
          } else if (this.error) {
            this.#waiters.delete(check);
            reject(this.error);
          }
        };
        this.#waiters.add(check);
        check();
      }),
    );
  }

  /** Waits for EOF and returns everything received. */
  async readAll(ms?: number): Promise<Uint8Array> {
    await this.until(() => this.ended, "EOF", ms);
    return concat(this.chunks);
  }

  /** Waits for at least `n` bytes and returns everything received. */
  async readAtLeast(n: number, ms?: number): Promise<Uint8Array> {
    await this.until(() => this.received >= n, `${n} bytes`, ms);
    return concat(this.chunks);
  }

  /** Waits for `line` (ending in CRLF) and clears what was received. */
  async expectLine(line: string): Promise<void> {
    const want = `${line}\r\n`;
    await this.until(() => text(concat(this.chunks)).includes("\r\n"), `line ${line}`);
    assert.equal(text(concat(this.chunks)), want);
    this.chunks = [];
  }

  /** Waits until the socket closed or failed (any reason). */
  async gone(ms = 10_000): Promise<void> {
    await within(
      ms,
      "socket gone",
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (this.closed || this.error || this.ended) {
            this.#waiters.delete(check);
            resolve();
          }
        };
        this.#waiters.add(check);
        check();
      }),
    );
  }
}

/** Accepts connections on `listener`, calling `handle` for each (errors go to the scope). */
function serve(
  scope: Scope,
  listener: Listener,
  handle: (socket: Socket) => Promise<void> | void,
): void {
  (async () => {
    try {
      for await (const socket of listener) {
        scope.socket(socket);
        Promise.resolve()
          .then(() => handle(socket))
          .catch((error) => {
            if (error instanceof NotSupportedError) scope.unsupported ??= error;
            scope.errors.push(error);
            socket.abort(error);
          });
      }
    } catch (error) {
      scope.errors.push(error);
    }
  })();
}

/** An echo handler in the given mode, that half-closes after the peer does. */
function echo(mode: Mode): (socket: Socket) => Promise<void> {
  return async (socket) => {
    if (mode === "streams") {
      await socket.readable.pipeTo(socket.writable);
      return;
    }
    const fp = socket.fastPath!;
    let ended = false;
    fp.start({
      borrowsData: mode === "lent",
      onData: (chunk) => {
        if (fp.write(mode === "lent" ? chunk.slice() : chunk) > FAST_HWM) fp.pauseReading();
      },
      onDrain: () => {
        if (!ended) fp.resumeReading();
      },
      onEnd: () => {
        ended = true;
        socket.closeWrite().catch(() => {});
      },
      onError: () => {},
      onClose: () => {},
    });
    await socket.closed.catch(() => {});
  };
}

/** A handler that reads to EOF, then (later) replies `got <data>` and closes: needs half-close. */
function replyAfterEof(mode: Mode): (socket: Socket) => Promise<void> {
  return async (socket) => {
    const conn = new Conn(socket, mode);
    const got = await conn.readAll();
    await sleep(20); // The reply comes well after EOF.
    await conn.write(bytes(`got ${text(got)}`));
    await conn.close();
  };
}

/** Sends `message`, half-closes, and expects `got <message>` then EOF. */
async function halfCloseTrip(socket: Socket, mode: Mode, message: string): Promise<void> {
  const conn = new Conn(socket, mode);
  await conn.write(bytes(message));
  await conn.closeWrite();
  assert.equal(text(await conn.readAll()), `got ${message}`);
  await within(5000, "closed", socket.closed);
}

async function listenTcp(
  scope: Scope,
  options: Partial<Extract<ListenOptions, { transport: "tcp" }>> = {},
): Promise<Listener> {
  return scope.listener(
    await runtime.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0, ...options }),
  );
}

function portOf(listener: Listener): number {
  const address = listener.address;
  assert.ok(address.transport === "tcp");
  return address.port;
}

async function connectTcp(
  scope: Scope,
  port: number,
  options: { hostname?: string; tls?: TlsOptions } = {},
): Promise<Socket> {
  return scope.socket(
    await runtime.connect({
      transport: "tcp",
      hostname: options.hostname ?? "127.0.0.1",
      port,
      tls: options.tls,
    }),
  );
}

/** A test that is skipped, with the reason, when the mode is fastPath and the adapter has none. */
function modeTest(
  mode: Mode,
  name: string,
  fn: (t: Ctx, scope: Scope) => Promise<void>,
  timeout = 15_000,
): void {
  it(`${name} (${mode})`, { timeout }, async (t: Ctx) => {
    await withScope(t, async (scope) => {
      if (mode !== "streams" && !(await hasFastPath())) {
        skip(t, `the ${runtime.name} adapter offers no fastPath`);
        return;
      }
      await fn(t, scope);
    });
  });
}

let fastPathProbe: Promise<boolean> | null = null;
function hasFastPath(): Promise<boolean> {
  fastPathProbe ??= withResult(async (scope) => {
    const listener = await listenTcp(scope);
    serve(scope, listener, () => {});
    const socket = await connectTcp(scope, portOf(listener));
    return socket.fastPath !== null;
  });
  return fastPathProbe;
}

async function withResult<T>(fn: (scope: Scope) => Promise<T>): Promise<T> {
  const scope = new Scope();
  try {
    return await fn(scope);
  } finally {
    await scope.close();
  }
}

/** The server side echoes one message the client side sends. */
async function roundTripWith(server: Socket, client: Socket): Promise<void> {
  void echo("streams")(server);
  await roundTrip(client, "streams", "pushed");
}

/** Runs a short echo round trip over `socket` in `mode`. */
async function roundTrip(socket: Socket, mode: Mode, message = "hello, world"): Promise<void> {
  const conn = new Conn(socket, mode);
  await conn.write(bytes(message));
  await conn.closeWrite();
  assert.equal(text(await conn.readAll()), message);
  await within(5000, "closed", socket.closed.catch(() => {}));
}

/** Asserts that a TLS connection attempt fails, at connect or at the first round trip. */
async function assertTlsFails(scope: Scope, attempt: () => Promise<Socket>): Promise<void> {
  let socket: Socket;
  try {
    socket = scope.socket(await attempt());
  } catch {
    return; // Rejected during the handshake.
  }
  const conn = new Conn(socket, "streams");
  await conn.write(bytes("ping")).catch(() => {});
  await conn.closeWrite().catch(() => {});
  await conn.gone();
  assert.ok(
    conn.error !== null || conn.writeError !== null || conn.received === 0,
    "a failed handshake delivers no data",
  );
  assert.equal(conn.received, 0);
}

// ---------------------------------------------------------------------------
// The suite

// One name on every adapter, so that `tw trial --matrix` puts each feature on one row.
describe("Runtime contract", () => {
  it("has a name and reads the environment and arguments", () => {
    assert.equal(typeof runtime.name, "string");
    assert.ok(runtime.name.length > 0);
    assert.equal(typeof runtime.env("PATH"), "string");
    assert.equal(runtime.env("TW_CONFORMANCE_SURELY_UNSET_VARIABLE"), undefined);
    assert.ok(Array.isArray(runtime.args()));
  });

  for (const mode of MODES) {
    describe(`TCP (${mode})`, () => {
      modeTest(mode, "echoes over IPv4 loopback and reports addresses", async (_t, scope) => {
        const listener = await listenTcp(scope);
        const port = portOf(listener);
        assert.ok(port > 0);
        assert.deepEqual(listener.address, { transport: "tcp", hostname: "127.0.0.1", port });
        serve(scope, listener, echo(mode));
        const socket = await connectTcp(scope, port);
        assert.deepEqual(socket.remoteAddress, { transport: "tcp", hostname: "127.0.0.1", port });
        const local = socket.localAddress;
        assert.ok(local.transport === "tcp" && local.hostname === "127.0.0.1" && local.port > 0);
        assert.equal(socket.tls, null);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 1000);
        await roundTrip(socket, mode);
        assert.deepEqual(scope.errors, []);
      });

      modeTest(mode, "echoes over IPv6 loopback", async (t, scope) => {
        let listener: Listener;
        try {
          listener = await listenTcp(scope, { hostname: "::1" });
        } catch (error) {
          if (codeOf(error) === "EADDRNOTAVAIL" || codeOf(error) === "EAFNOSUPPORT") {
            skip(t, `no IPv6 loopback here: ${String(error)}`);
            return;
          }
          throw error;
        }
        const port = portOf(listener);
        assert.deepEqual(listener.address, { transport: "tcp", hostname: "::1", port });
        serve(scope, listener, echo(mode));
        const socket = await connectTcp(scope, port, { hostname: "::1" });
        assert.deepEqual(socket.remoteAddress, { transport: "tcp", hostname: "::1", port });
        await roundTrip(socket, mode, "over IPv6");
      });

      modeTest(mode, "transfers 64 MiB intact, verified by a checksum", async (_t, scope) => {
        const size = 64;
        const listener = await listenTcp(scope);
        let result: { received: number; hash: number } | null = null;
        const serverDone = new Promise<void>((resolve, reject) => {
          serve(scope, listener, async (socket) => {
            try {
              const conn = new Conn(socket, mode, { keep: false, hash: true });
              await conn.until(() => conn.ended, "EOF", 30_000);
              result = { received: conn.received, hash: conn.hash };
              const reply = new Uint8Array(8);
              new DataView(reply.buffer).setUint32(0, conn.received);
              new DataView(reply.buffer).setUint32(4, conn.hash);
              await conn.write(reply);
              await conn.close();
              resolve();
            } catch (error) {
              reject(error);
            }
          });
        });
        const socket = await connectTcp(scope, portOf(listener));
        const conn = new Conn(socket, mode);
        let hash = HASH_SEED;
        for (let n = 0; n < size; n++) {
          const data = block(n);
          hash = hashUpdate(hash, data);
          await conn.write(data);
        }
        await conn.closeWrite();
        const reply = await conn.readAll(30_000);
        await serverDone;
        assert.deepEqual(result, { received: size << 20, hash });
        assert.equal(reply.length, 8);
        const view = new DataView(reply.buffer, reply.byteOffset);
        assert.equal(view.getUint32(0), size << 20);
        assert.equal(view.getUint32(4), hash);
      }, 40_000);

      modeTest(
        mode,
        "half-closes: the client's FIN, then the server replies",
        async (_t, scope) => {
          const listener = await listenTcp(scope);
          serve(scope, listener, replyAfterEof(mode));
          await halfCloseTrip(await connectTcp(scope, portOf(listener)), mode, "ping");
        },
      );

      modeTest(
        mode,
        "half-closes: the server's FIN, then the client replies",
        async (_t, scope) => {
          const listener = await listenTcp(scope);
          const reply = new Promise<string>((resolve, reject) => {
            serve(scope, listener, async (socket) => {
              try {
                const conn = new Conn(socket, mode);
                await conn.write(bytes("hello"));
                await conn.closeWrite();
                resolve(text(await conn.readAll()));
              } catch (error) {
                reject(error);
              }
            });
          });
          const socket = await connectTcp(scope, portOf(listener));
          const conn = new Conn(socket, mode);
          assert.equal(text(await conn.readAll()), "hello");
          await sleep(20);
          await conn.write(bytes("bye"));
          await conn.closeWrite();
          assert.equal(await within(5000, "reply", reply), "bye");
          await within(5000, "closed", socket.closed);
        },
      );

      modeTest(mode, "closeWrite() sends every queued write before the FIN", async (_t, scope) => {
        const size = 16;
        const listener = await listenTcp(scope);
        serve(scope, listener, async (socket) => {
          const conn = new Conn(socket, mode, { keep: false, hash: true });
          await conn.until(() => conn.ended, "EOF", 20_000);
          await conn.write(bytes(`${conn.received} ${conn.hash}`));
          await conn.close();
        });
        const socket = await connectTcp(scope, portOf(listener));
        const conn = new Conn(socket, mode);
        // Queue everything at once, ignoring backpressure, then half-close.
        let hash = HASH_SEED;
        const writes: Promise<void>[] = [];
        for (let n = 0; n < size; n++) {
          const data = block(n);
          hash = hashUpdate(hash, data);
          writes.push(conn.writeNow(data));
        }
        await socket.closeWrite();
        await Promise.all(writes);
        const reply = await conn.readAll(20_000);
        assert.equal(text(reply), `${size << 20} ${hash}`);
      }, 30_000);

      modeTest(mode, "applies backpressure to a writer whose reader paused", async (_t, scope) => {
        const total = 48 << 20;
        const bound = 16 << 20;
        const listener = await listenTcp(scope);
        let written = 0;
        let writer: Conn | null = null;
        const writing = new Promise<void>((resolve, reject) => {
          serve(scope, listener, async (socket) => {
            try {
              writer = new Conn(socket, mode);
              for (let n = 0; written < total; n++) {
                const data = block(n);
                await writer.write(data);
                written += data.length;
              }
              await writer.close();
              resolve();
            } catch (error) {
              reject(error);
            }
          });
        });
        writing.catch(() => {});
        const socket = await connectTcp(scope, portOf(listener));
        const reader = new Conn(socket, mode, { keep: false, paused: true });
        // Let the writer run into the paused reader until it stalls.
        let last = -1;
        for (let i = 0; i < 50 && written !== last; i++) {
          last = written;
          await sleep(100);
        }
        assert.equal(written, last, "the writer stalled while the reader was paused");
        assert.ok(written < bound, `queued ${written} bytes, bound ${bound}`);
        assert.ok(reader.received < bound);
        if (mode !== "streams") assert.ok(writer!.maxQueued < bound);
        reader.resume();
        await reader.until(() => reader.ended, "all data after resume", 30_000);
        assert.equal(reader.received, written);
        assert.equal(written, total);
        await within(10_000, "writer done", writing);
      }, 40_000);

      modeTest(mode, "abort() closes at once and the peer sees the end", async (_t, scope) => {
        const listener = await listenTcp(scope);
        const accepted = new Promise<Conn>((resolve) => {
          serve(scope, listener, (socket) => resolve(new Conn(socket, mode)));
        });
        const socket = await connectTcp(scope, portOf(listener));
        const conn = new Conn(socket, mode);
        await conn.write(bytes("before abort"));
        const peer = await accepted;
        await peer.until(() => peer.received >= 12, "data before abort");
        socket.abort(new Error("test abort"));
        await within(5000, "aborted socket closes", socket.closed.catch(() => {}));
        await peer.gone();
        // A write after abort is dropped without throwing.
        if (mode !== "streams") assert.equal(socket.fastPath!.write(bytes("dropped")), 0);
        if (peer.error) {
          // A reset, where the runtime sends one: reported with Node's code.
          assert.equal(codeOf(peer.error), "ECONNRESET", String(peer.error));
          await within(5000, "peer closes", assert.rejects(peer.socket.closed));
        } else {
          // A FIN where the runtime cannot reset: the peer reads EOF and closes its side.
          assert.ok(peer.ended || peer.closed);
          await peer.socket.close();
          await within(5000, "peer closes", peer.socket.closed.catch(() => {}));
        }
      });

      modeTest(mode, "serves 1,000 concurrent connections", async (_t, scope) => {
        const count = 1000;
        const listener = await listenTcp(scope, { backlog: 1024 });
        serve(scope, listener, echo(mode));
        const port = portOf(listener);
        const sockets = await Promise.all(
          Array.from({ length: count }, () => connectTcp(scope, port)),
        );
        await Promise.all(sockets.map(async (socket, i) => {
          const conn = new Conn(socket, mode);
          const message = `connection ${i}`;
          await conn.write(bytes(message));
          await conn.closeWrite();
          assert.equal(text(await conn.readAll(20_000)), message);
        }));
        await within(10_000, "all closed", Promise.all(sockets.map((s) => s.closed)));
      }, 30_000);
    });
  }

  describe("TCP errors", () => {
    it("rejects a refused connection with ECONNREFUSED", { timeout: 10_000 }, async (t: Ctx) => {
      await withScope(t, async (scope) => {
        const listener = await runtime.listen({
          transport: "tcp",
          hostname: "127.0.0.1",
          port: 0,
        });
        const port = portOf(listener);
        await listener.close();
        await rejectsWithCode(
          runtime.connect({ transport: "tcp", hostname: "127.0.0.1", port }),
          ["ECONNREFUSED"],
        );
        void scope;
      });
    });

    it(
      "rejects listening on a port in use with EADDRINUSE",
      { timeout: 10_000 },
      async (t: Ctx) => {
        await withScope(t, async (scope) => {
          const listener = await listenTcp(scope);
          await rejectsWithCode(
            runtime.listen({ transport: "tcp", hostname: "127.0.0.1", port: portOf(listener) }),
            ["EADDRINUSE"],
          );
        });
      },
    );

    it(
      "closes a listener so that its port can be bound again",
      { timeout: 10_000 },
      async (t: Ctx) => {
        await withScope(t, async (scope) => {
          const first = await runtime.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
          const port = portOf(first);
          await first.close();
          const second = await listenTcp(scope, { port });
          assert.equal(portOf(second), port);
        });
      },
    );

    it("binds the local address asked for", { timeout: 10_000 }, async (t: Ctx) => {
      await withScope(t, async (scope) => {
        const listener = await listenTcp(scope);
        serve(scope, listener, echo("streams"));
        const socket = scope.socket(
          await runtime.connect({
            transport: "tcp",
            hostname: "127.0.0.1",
            port: portOf(listener),
            localAddress: { hostname: "127.0.0.1" },
          }),
        );
        const local = socket.localAddress;
        assert.ok(local.transport === "tcp" && local.hostname === "127.0.0.1");
        await roundTrip(socket, "streams", "bound");
      });
    });

    it("rejects a connect attempt whose signal aborts", { timeout: 10_000 }, async (t: Ctx) => {
      await withScope(t, async (scope) => {
        const listener = await listenTcp(scope);
        const port = portOf(listener);
        const already = AbortSignal.abort();
        await assert.rejects(
          runtime.connect({ transport: "tcp", hostname: "127.0.0.1", port, signal: already }),
        );
        const controller = new AbortController();
        const attempt = runtime.connect({
          transport: "tcp",
          hostname: "127.0.0.1",
          port,
          signal: controller.signal,
        });
        controller.abort();
        await assert.rejects(attempt);
      });
    });
  });

  describe("DNS", () => {
    it("resolves localhost to loopback addresses", { timeout: 10_000 }, async () => {
      const addresses = await runtime.resolve("localhost");
      assert.ok(addresses.length > 0);
      for (const a of addresses) {
        assert.ok(a.family === 4 || a.family === 6);
        assert.equal(a.family === 4 ? a.address.includes(".") : a.address.includes(":"), true);
      }
      assert.ok(
        addresses.some((a) => a.address === "127.0.0.1" || a.address === "::1"),
        JSON.stringify(addresses),
      );
    });

    it("rejects an unknown name with ENOTFOUND", { timeout: 15_000 }, async () => {
      await rejectsWithCode(runtime.resolve("no-such-host.invalid"), ["ENOTFOUND"]);
    });
  });

  for (const mode of MODES) {
    describe(`TLS (${mode})`, () => {
      modeTest(mode, "echoes with the test CA, verifying the name localhost", async (_t, scope) => {
        const listener = await listenTcp(scope, { tls: SERVER_TLS });
        serve(scope, listener, echo(mode));
        const socket = await connectTcp(scope, portOf(listener), {
          tls: { ca: CA, serverName: "localhost" },
        });
        await roundTrip(socket, mode, "secret");
        assert.notEqual(socket.tls, null);
      });

      modeTest(mode, "half-closes over TLS", async (_t, scope) => {
        const listener = await listenTcp(scope, { tls: SERVER_TLS });
        serve(scope, listener, replyAfterEof(mode));
        const socket = await connectTcp(scope, portOf(listener), {
          tls: { ca: CA, serverName: "localhost" },
        });
        await halfCloseTrip(socket, mode, "tls half-close");
      });

      modeTest(mode, "verifies an IP address against the certificate", async (_t, scope) => {
        const listener = await listenTcp(scope, { tls: SERVER_TLS });
        serve(scope, listener, echo(mode));
        const socket = await connectTcp(scope, portOf(listener), { tls: { ca: CA } });
        await roundTrip(socket, mode, "by address");
      });

      modeTest(mode, "rejects a wrong host name", async (_t, scope) => {
        const listener = await listenTcp(scope, { tls: SERVER_TLS });
        serve(scope, listener, echo(mode));
        await assertTlsFails(
          scope,
          () =>
            runtime.connect({
              transport: "tcp",
              hostname: "127.0.0.1",
              port: portOf(listener),
              tls: { ca: CA, serverName: "wrong.example" },
            }),
        );
      });

      modeTest(mode, "rejects a certificate from an untrusted CA", async (_t, scope) => {
        const listener = await listenTcp(scope, { tls: SERVER_TLS });
        serve(scope, listener, echo(mode));
        await assertTlsFails(
          scope,
          () =>
            runtime.connect({
              transport: "tcp",
              hostname: "127.0.0.1",
              port: portOf(listener),
              tls: { ca: OTHER_CA, serverName: "localhost" },
            }),
        );
      });

      modeTest(mode, "accepts an untrusted certificate with verify: false", async (_t, scope) => {
        const listener = await listenTcp(scope, { tls: SERVER_TLS });
        serve(scope, listener, echo(mode));
        const socket = await connectTcp(scope, portOf(listener), {
          tls: { ca: OTHER_CA, serverName: "wrong.example", verify: false },
        });
        await roundTrip(socket, mode, "unverified");
      });

      modeTest(mode, "accepts a client certificate signed by the CA", async (_t, scope) => {
        const listener = await listenTcp(scope, {
          tls: { ...SERVER_TLS, ca: CA, requestCert: true },
        });
        serve(scope, listener, echo(mode));
        const socket = await connectTcp(scope, portOf(listener), {
          tls: { ca: CA, serverName: "localhost", ...CLIENT_CERT },
        });
        await roundTrip(socket, mode, "with a client certificate");
      });

      modeTest(mode, "refuses a client without a certificate", async (_t, scope) => {
        const listener = await listenTcp(scope, {
          tls: { ...SERVER_TLS, ca: CA, requestCert: true },
        });
        serve(scope, listener, echo(mode));
        await assertTlsFails(
          scope,
          () =>
            runtime.connect({
              transport: "tcp",
              hostname: "127.0.0.1",
              port: portOf(listener),
              tls: { ca: CA, serverName: "localhost" },
            }),
        );
      });

      modeTest(mode, "negotiates ALPN and TLS 1.3 as minimum version", async (_t, scope) => {
        const listener = await listenTcp(scope, {
          tls: { ...SERVER_TLS, alpnProtocols: ["h2", "http/1.1"], minVersion: "TLSv1.3" },
        });
        const serverAlpn = new Promise<string | null>((resolve) => {
          serve(scope, listener, async (socket) => {
            resolve(socket.tls?.alpnProtocol ?? "no tls info");
            await echo(mode)(socket);
          });
        });
        const socket = await connectTcp(scope, portOf(listener), {
          tls: { ca: CA, serverName: "localhost", alpnProtocols: ["http/1.1"] },
        });
        const conn = new Conn(socket, mode);
        await conn.write(bytes("alpn"));
        await conn.closeWrite();
        assert.equal(text(await conn.readAll()), "alpn");
        assert.equal(socket.tls?.alpnProtocol, "http/1.1");
        assert.equal(await serverAlpn, "http/1.1");
      });

      modeTest(mode, "upgrades with STARTTLS when the client asks", async (_t, scope) => {
        // Client: STARTTLS; server: OK, then upgrades (TLS server); client upgrades.
        const listener = await listenTcp(scope);
        serve(scope, listener, async (socket) => {
          const conn = new Conn(socket, mode);
          await conn.expectLine("STARTTLS");
          await conn.write(bytes("OK\r\n"));
          await conn.flushed();
          conn.detach();
          const secure = scope.socket(await socket.startTls({ ...SERVER_TLS, isServer: true }));
          await replyAfterEof(mode)(secure);
        });
        const socket = await connectTcp(scope, portOf(listener));
        const conn = new Conn(socket, mode);
        await conn.write(bytes("STARTTLS\r\n"));
        await conn.expectLine("OK");
        conn.detach();
        const secure = scope.socket(await socket.startTls({ ca: CA, serverName: "localhost" }));
        assert.notEqual(secure.tls, null);
        await halfCloseTrip(secure, mode, "upgraded by the client");
      });

      modeTest(
        mode,
        "requires a client certificate after STARTTLS when asked",
        async (_t, scope) => {
          const listener = await listenTcp(scope);
          serve(scope, listener, async (socket) => {
            const conn = new Conn(socket, mode);
            await conn.expectLine("STARTTLS");
            await conn.write(bytes("OK\r\n"));
            await conn.flushed();
            conn.detach();
            const secure = scope.socket(
              await socket.startTls({ ...SERVER_TLS, ca: CA, requestCert: true, isServer: true }),
            );
            await replyAfterEof(mode)(secure);
          });
          const upgrade = async (tlsOptions: TlsOptions): Promise<Socket> => {
            const socket = await connectTcp(scope, portOf(listener));
            const conn = new Conn(socket, mode);
            await conn.write(bytes("STARTTLS\r\n"));
            await conn.expectLine("OK");
            conn.detach();
            return await socket.startTls(tlsOptions);
          };
          const secure = scope.socket(
            await upgrade({ ca: CA, serverName: "localhost", ...CLIENT_CERT }),
          );
          await halfCloseTrip(secure, mode, "with a certificate");
          await assertTlsFails(scope, () => upgrade({ ca: CA, serverName: "localhost" }));
        },
      );

      modeTest(mode, "upgrades with STARTTLS with the roles reversed", async (_t, scope) => {
        // The connecting side becomes the TLS server and the accepting side the TLS client.
        const listener = await listenTcp(scope);
        serve(scope, listener, async (socket) => {
          const conn = new Conn(socket, mode);
          await conn.expectLine("STARTTLS");
          conn.detach();
          const secure = scope.socket(
            await socket.startTls({ ca: CA, serverName: "localhost" }),
          );
          await roundTrip(secure, mode, "upgraded by the server");
        });
        const socket = await connectTcp(scope, portOf(listener));
        const conn = new Conn(socket, mode);
        await conn.write(bytes("STARTTLS\r\n"));
        await conn.flushed();
        conn.detach();
        const secure = scope.socket(await socket.startTls({ ...SERVER_TLS, isServer: true }));
        await echo(mode)(secure);
        await within(5000, "closed", secure.closed);
      });
    });
  }

  it("hands accepted sockets to acceptEach when the adapter offers push mode", async (t: Ctx) => {
    await withScope(t, async (scope) => {
      const listener = await listenTcp(scope);
      if (typeof listener.acceptEach !== "function") {
        skip(t, `the ${runtime.name} adapter offers no acceptEach`);
        return;
      }
      // One connection arrives before push mode starts: it is queued, then handed over.
      const early = await connectTcp(scope, portOf(listener));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const accepted: Socket[] = [];
      listener.acceptEach((socket) => accepted.push(scope.socket(socket)));
      const late = await connectTcp(scope, portOf(listener));
      await within(
        5000,
        "both accepted",
        (async () => {
          while (accepted.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
        })(),
      );
      await roundTripWith(accepted[1], late);
      assert.ok(early !== late);
    });
  });

  describe("TLS handshake timeouts", () => {
    const HANDSHAKE = 0.4; // seconds
    /** A plain listener that accepts and never says a word. */
    async function silentServer(scope: Scope): Promise<Listener> {
      const listener = await listenTcp(scope);
      serve(scope, listener, () => new Promise<void>(() => {}));
      return listener;
    }
    async function timesOut(attempt: Promise<unknown>): Promise<number> {
      const started = Date.now();
      await assert.rejects(attempt, (error: Error) => {
        assert.equal(codeOf(error), "ERR_TLS_HANDSHAKE_TIMEOUT", String(error));
        assert.match(error.message, /TLS handshake timed out after 0\.4 s/);
        return true;
      });
      return Date.now() - started;
    }

    it("fails a TLS connect to a silent server after handshakeTimeout", async (t: Ctx) => {
      await withScope(t, async (scope) => {
        const listener = await silentServer(scope);
        const elapsed = await timesOut(runtime.connect({
          transport: "tcp",
          hostname: "127.0.0.1",
          port: portOf(listener),
          tls: { ca: CA, serverName: "localhost", handshakeTimeout: HANDSHAKE },
        }));
        assert.ok(elapsed >= 300 && elapsed < 5000, `${elapsed} ms`);
      });
    });

    it("fails a client STARTTLS to a silent peer after handshakeTimeout", async (t: Ctx) => {
      await withScope(t, async (scope) => {
        const listener = await silentServer(scope);
        const socket = await connectTcp(scope, portOf(listener));
        await timesOut(
          socket.startTls({ ca: CA, serverName: "localhost", handshakeTimeout: HANDSHAKE }),
        );
      });
    });

    it("fails a server STARTTLS with a silent client after handshakeTimeout", async (t: Ctx) => {
      await withScope(t, async (scope) => {
        const listener = await listenTcp(scope);
        // Wrapped: a Promise resolved with a Promise would adopt its rejection.
        const upgraded = new Promise<{ attempt: Promise<unknown> }>((resolve) => {
          serve(scope, listener, async (socket) => {
            const attempt = socket.startTls({
              ...SERVER_TLS,
              isServer: true,
              handshakeTimeout: HANDSHAKE,
            });
            resolve({ attempt });
            await attempt.catch(() => {});
          });
        });
        await connectTcp(scope, portOf(listener));
        await timesOut((await upgraded).attempt);
      });
    });

    it("cuts a client that never starts its handshake with a TLS listener", async (t: Ctx) => {
      await withScope(t, async (scope) => {
        const listener = await listenTcp(scope, {
          tls: { ...SERVER_TLS, handshakeTimeout: HANDSHAKE },
        });
        let accepted = 0;
        serve(scope, listener, () => {
          accepted++;
        });
        const silent = await connectTcp(scope, portOf(listener));
        const conn = new Conn(silent, "streams");
        const started = Date.now();
        await within(5000, "the server closing the silent client", conn.gone());
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 300, `closed after ${elapsed} ms`);
        assert.equal(conn.received, 0);
        assert.equal(accepted, 0, "the listener never yields a connection without a handshake");
      });
    });
  });

  for (const mode of MODES) {
    describe(`Unix sockets (${mode})`, () => {
      modeTest(
        mode,
        "echoes over a Unix socket with the file mode asked for",
        async (_t, scope) => {
          const path = join(scope.tempDir(), "echo.sock");
          const listener = scope.listener(
            await runtime.listen({ transport: "unix", path, mode: 0o600 }),
          );
          assert.deepEqual(listener.address, { transport: "unix", path });
          assert.equal(statSync(path).mode & 0o777, 0o600);
          serve(scope, listener, echo(mode));
          const socket = scope.socket(await runtime.connect({ transport: "unix", path }));
          assert.equal(socket.remoteAddress.transport, "unix");
          socket.setNoDelay(true); // A no-op, never an error.
          socket.setKeepAlive(true);
          await roundTrip(socket, mode, "over a Unix socket");
        },
      );
    });
  }

  describe("Unix socket errors", () => {
    it("rejects connecting to a missing path", { timeout: 10_000 }, async (t: Ctx) => {
      await withScope(t, async (scope) => {
        const path = join(scope.tempDir(), "missing.sock");
        await rejectsWithCode(runtime.connect({ transport: "unix", path }), [
          "ENOENT",
          "ECONNREFUSED",
        ]);
      });
    });

    it(
      "rejects listening where a file exists with EADDRINUSE",
      { timeout: 10_000 },
      async (t: Ctx) => {
        await withScope(t, async (scope) => {
          const path = join(scope.tempDir(), "stale.sock");
          writeFileSync(path, "");
          await rejectsWithCode(runtime.listen({ transport: "unix", path }), ["EADDRINUSE"]);
        });
      },
    );
  });

  describe("UDP", () => {
    for (const [family, host] of [["IPv4", "127.0.0.1"], ["IPv6", "::1"]] as const) {
      it(`echoes datagrams over ${family} loopback`, { timeout: 10_000 }, async (t: Ctx) => {
        await withScope(t, async (scope) => {
          const bound = await orSkip(t, async () => {
            let server: DatagramSocket;
            try {
              server = await runtime.bindDatagram({ hostname: host, port: 0 });
            } catch (error) {
              if (codeOf(error) !== "EADDRNOTAVAIL" && codeOf(error) !== "EAFNOSUPPORT") {
                throw error;
              }
              skip(t, `no ${family} loopback here: ${String(error)}`);
              return SKIPPED;
            }
            scope.datagrams.push(server);
            const client = await runtime.bindDatagram({ hostname: host, port: 0 });
            scope.datagrams.push(client);
            return { server, client };
          });
          if (bound === SKIPPED) return;
          const { server, client } = bound;
          const port = server.address.transport === "udp" ? server.address.port : 0;
          assert.ok(port > 0);
          assert.deepEqual(server.address, { transport: "udp", hostname: host, port });
          server.start({
            onMessage: (data, from, fromPort) => server.send(data, from, fromPort),
            onError: () => {},
          });
          const got = new Promise<[string, string, number]>((resolve, reject) => {
            client.start({
              onMessage: (data, from, fromPort) => resolve([text(data), from, fromPort]),
              onError: reject,
            });
          });
          client.send(bytes("datagram"), host, port);
          assert.deepEqual(await within(5000, "echo", got), ["datagram", host, port]);
        });
      });
    }

    it(
      "joins a multicast group and receives its own datagrams",
      { timeout: 10_000 },
      async (t: Ctx) => {
        await withScope(t, async (scope) => {
          const group = "239.255.71.83";
          const ready = await orSkip(t, async () => {
            const socket = await runtime.bindDatagram({
              hostname: "0.0.0.0",
              port: 0,
              reuseAddress: true,
            });
            scope.datagrams.push(socket);
            socket.joinMulticast(group);
            socket.setMulticastTTL(1);
            socket.setMulticastLoopback(true);
            return socket;
          });
          if (ready === SKIPPED) return;
          const port = ready.address.transport === "udp" ? ready.address.port : 0;
          const got = new Promise<string>((resolve, reject) => {
            ready.start({ onMessage: (data) => resolve(text(data)), onError: reject });
          });
          ready.send(bytes("to the group"), group, port);
          let received: string;
          try {
            received = await within(5000, "multicast datagram", got);
          } catch (error) {
            const code = codeOf(error) as string;
            if (!["ENETUNREACH", "EHOSTUNREACH", "EADDRNOTAVAIL"].includes(code)) throw error;
            skip(t, `this machine has no route for multicast: ${String(error)}`);
            return;
          }
          assert.equal(received, "to the group");
          ready.leaveMulticast(group);
        });
      },
    );

    it("enables broadcast", { timeout: 10_000 }, async (t: Ctx) => {
      await withScope(t, async (scope) => {
        const socket = await orSkip(t, async () => {
          const s = await runtime.bindDatagram({ hostname: "127.0.0.1", port: 0 });
          scope.datagrams.push(s);
          s.setBroadcast(true);
          return s;
        });
        if (socket === SKIPPED) return;
        assert.equal(socket.address.transport, "udp");
      });
    });
  });

  describe("Processes", () => {
    type Outcome = { out: string; err: string; exitCode: number | null; signal: string | null };
    function run(
      command: string,
      args: string[],
      drive?: (child: ReturnType<Runtime["spawn"]>) => void,
      options: { env?: Record<string, string>; cwd?: string } = {},
    ): Promise<Outcome> {
      const child = runtime.spawn({ command, args, ...options });
      assert.ok(child.pid > 0);
      const out: Uint8Array[] = [];
      const err: Uint8Array[] = [];
      const done = new Promise<Outcome>((resolve) => {
        child.start({
          onOutput: (fd, data) => (fd === 1 ? out : err).push(data),
          onExit: (exitCode, signal) =>
            resolve({ out: text(concat(out)), err: text(concat(err)), exitCode, signal }),
        });
      });
      drive?.(child);
      return within(10_000, `${command} exits`, done);
    }

    it("round-trips stdin through cat", { timeout: 15_000 }, async () => {
      const outcome = await run("cat", [], (child) => {
        child.writeStdin(bytes("line one\n"));
        child.writeStdin(bytes("line two\n"));
        child.closeStdin();
      });
      assert.deepEqual(outcome, {
        out: "line one\nline two\n",
        err: "",
        exitCode: 0,
        signal: null,
      });
    });

    it("reports an exit code", { timeout: 15_000 }, async () => {
      const outcome = await run("sh", ["-c", "exit 3"]);
      assert.equal(outcome.exitCode, 3);
      assert.equal(outcome.signal, null);
    });

    it("reports a signal by name", { timeout: 15_000 }, async () => {
      const outcome = await run("sleep", ["10"], (child) => {
        setTimeout(() => child.kill("SIGTERM"), 50);
      });
      assert.equal(outcome.exitCode, null);
      assert.equal(outcome.signal, "SIGTERM");
    });

    it("delivers stderr apart from stdout", { timeout: 15_000 }, async () => {
      const outcome = await run("sh", ["-c", "echo out; echo oops >&2; exit 0"]);
      assert.deepEqual(outcome, { out: "out\n", err: "oops\n", exitCode: 0, signal: null });
    });

    it("delivers all output before the exit", { timeout: 15_000 }, async () => {
      const outcome = await run("head", ["-c", "3000000", "/dev/zero"]);
      assert.equal(outcome.out.length, 3_000_000);
      assert.equal(outcome.exitCode, 0);
    });

    it("passes env and cwd", { timeout: 15_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), "tw-conformance-"));
      try {
        const outcome = await run("sh", ["-c", 'printf "%s %s" "$TW_X" "$(pwd)"'], undefined, {
          env: { TW_X: "yes", PATH: process.env.PATH ?? "/usr/bin:/bin" },
          cwd: dir,
        });
        assert.equal(outcome.out.split(" ")[0], "yes");
        assert.ok(outcome.out.endsWith(dir.split("/").pop()!));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("throws when the executable does not exist", () => {
      assert.throws(() => runtime.spawn({ command: "tw-no-such-executable", args: [] }));
    });
  });

  describe("Workers and signals", () => {
    const moduleURL = new URL("worker_module.ts", fixtures).href;

    it("runs an export in a worker and returns its result", { timeout: 20_000 }, async () => {
      assert.equal(await runtime.runInWorker(moduleURL, "add", [2, 3]), 5);
      assert.equal(await runtime.runInWorker(moduleURL, "asyncDouble", [21]), 42);
      assert.equal(
        await runtime.runInWorker(moduleURL, "sumBytes", [new Uint8Array([1, 2, 3])]),
        6,
      );
    });

    it("rejects with the worker's error", { timeout: 20_000 }, async () => {
      await assert.rejects(
        runtime.runInWorker(moduleURL, "fail", ["worker failed on purpose"]),
        (error: unknown) => {
          assert.match(String((error as Error)?.message ?? error), /worker failed on purpose/);
          return true;
        },
      );
      await assert.rejects(runtime.runInWorker(moduleURL, "noSuchExport", []));
    });

    it("calls a signal handler until unsubscribed", { timeout: 10_000 }, async () => {
      // SIGWINCH is ignored by default, so a broken adapter cannot kill the runner.
      let calls = 0;
      const off = runtime.onSignal("SIGWINCH", () => calls++);
      try {
        process.kill(process.pid, "SIGWINCH");
        for (let i = 0; i < 100 && calls === 0; i++) await sleep(10);
        assert.equal(calls, 1);
      } finally {
        off();
      }
      process.kill(process.pid, "SIGWINCH");
      await sleep(100);
      assert.equal(calls, 1);
    });
  });
});

describe("Runtime compression (raw DEFLATE, Z_SYNC_FLUSH)", () => {
  const compression = runtime.compression;
  const skip = compression === undefined ? `${runtime.name} has no compression` : false;
  const TAIL = [0, 0, 0xff, 0xff];

  it("keeps the context across sync flushes, both ways", { skip }, async () => {
    const deflate = compression!.deflateRaw({ windowBits: 15 });
    const inflate = compression!.inflateRaw({ windowBits: 15 });
    try {
      const message = bytes("the same words again and again, the same words again. ".repeat(4));
      const first = await deflate.push(message);
      const second = await deflate.push(message);
      assert.deepEqual([...first.subarray(-4)], TAIL, "a sync flush ends with 00 00 FF FF");
      assert.ok(second.length < first.length / 2, "the second refers back to the first");
      assert.equal(text((await inflate.push(first, 1 << 20))!), text(message));
      assert.equal(text((await inflate.push(second, 1 << 20))!), text(message));
      assert.deepEqual(
        await inflate.push(await deflate.push(new Uint8Array(0)), 10),
        new Uint8Array(0),
      );
    } finally {
      deflate.close();
      inflate.close();
    }
  });

  it("keeps to small windows, 8 included", { skip }, async () => {
    const chunk = new Uint8Array(600).map((_, i) => (i * 7919) % 251);
    const message = new Uint8Array(2400);
    for (let i = 0; i < 4; i++) message.set(chunk, i * 600);
    for (const windowBits of [8, 9, 12]) {
      const deflate = compression!.deflateRaw({ windowBits, level: 9 });
      const inflate = compression!.inflateRaw({ windowBits: Math.max(windowBits, 9) });
      try {
        const out = await deflate.push(message);
        assert.deepEqual(await inflate.push(out, 1 << 20), message, `${windowBits} bits`);
      } finally {
        deflate.close();
        inflate.close();
      }
    }
    assert.throws(() => compression!.deflateRaw({ windowBits: 16 }), RangeError);
    assert.throws(() => compression!.inflateRaw({ windowBits: 7 }), RangeError);
  });

  it("stops inflating past the output limit (a bomb of 4 GiB)", { skip }, async () => {
    // 1 MiB of zeros compresses to about 1 KiB; repeated 4096 times, a stream
    // that would inflate to 4 GiB: only a bounded inflate comes back at all.
    const deflate = compression!.deflateRaw({ windowBits: 15 });
    const zeros = new Uint8Array(1 << 20);
    const first = await deflate.push(zeros);
    const block = await deflate.push(zeros);
    deflate.close();
    const bomb = new Uint8Array(first.length + block.length * 4096);
    bomb.set(first);
    for (let i = 0; i < 4096; i++) bomb.set(block, first.length + i * block.length);
    const inflate = compression!.inflateRaw({ windowBits: 15 });
    try {
      assert.equal(await inflate.push(bomb, 1 << 20), null);
      await assert.rejects(Promise.resolve(inflate.push(first, 1 << 30)), "closed after the limit");
    } finally {
      inflate.close();
    }
  });

  it("starts a new stream after a final block (BFINAL)", { skip }, async () => {
    const inflate = compression!.inflateRaw({ windowBits: 15 });
    try {
      // Stored blocks with BFINAL set: "one", then "two", each followed by 00 00 FF FF.
      const stored = (word: string) =>
        new Uint8Array([1, word.length, 0, ~word.length & 0xff, 0xff, ...bytes(word), ...TAIL]);
      assert.equal(text((await inflate.push(stored("one"), 100))!), "one");
      assert.equal(text((await inflate.push(stored("two"), 100))!), "two");
    } finally {
      inflate.close();
    }
  });

  it("fails on data that is not DEFLATE, and after close", { skip }, async () => {
    const inflate = compression!.inflateRaw({ windowBits: 15 });
    await assert.rejects(
      Promise.resolve(inflate.push(new Uint8Array([0xff, 0xff, 0xff, 0, 0, 0xff, 0xff]), 100)),
    );
    inflate.close();
    const deflate = compression!.deflateRaw({ windowBits: 15 });
    deflate.close();
    await assert.rejects(Promise.resolve(deflate.push(bytes("x"))));
  });
});
