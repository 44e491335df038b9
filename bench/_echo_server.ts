// A TCP server for tcp_echo_bench.ts: one process, one listening port on 127.0.0.1.
// Usage: <runtime> bench/_echo_server.ts <tw|raw> <echo|flood> [floodBytes]
//   tw:    the framework (`reactor.listenTCP` + a `Protocol`); TW_RUNTIME=node picks the node adapter
//   raw:   this runtime's own API (Deno.listen read loop, Bun.listen callbacks, node:net)
//   raw-fresh (Deno): the Deno.listen loop reading each chunk into a fresh buffer of
//          floodBytes (default 1 MiB), as a transport that gives readers their own bytes must
//   echo:  writes back every byte it reads
//   flood: writes floodBytes (default 256 MiB) to each client, honouring backpressure
// Prints `READY <port>` on stdout once listening; runs until killed.
import { Factory, Protocol, reactor } from "../mod.ts";
import type { IPushProducer } from "../mod.ts";

const [impl = "tw", mode = "echo", bytesArg] = reactor.runtime.args();

// idle_bench.ts measures what connections keep, not garbage not yet collected: with
// TW_BENCH_GC_MS set, a full collection runs that often (node --expose-gc, deno
// --v8-flags=--expose-gc, Bun.gc).
const gcEvery = Number(reactor.runtime.env("TW_BENCH_GC_MS") ?? 0);
const fullGC = (globalThis as { gc?: () => void }).gc ??
  ((globalThis as { Bun?: { gc(force: boolean): void } }).Bun
    ? () => (globalThis as unknown as { Bun: { gc(force: boolean): void } }).Bun.gc(true)
    : undefined);
if (gcEvery > 0 && fullGC !== undefined) setInterval(fullGC, gcEvery);
const FLOOD_BYTES = Number(bytesArg ?? 256 * 1024 * 1024);
const CHUNK = 64 * 1024;

function ready(port: number): void {
  reactor.runtime.writeStdout(new TextEncoder().encode(`READY ${port}\n`));
}

// ---------- the framework ----------

/**
 * Echoes with flow control, Twisted's way: the transport is registered as its
 * own streaming producer, so reading pauses while the write buffer is over its
 * high-water mark. The raw servers below do the same (they stop reading while
 * a write is pending); without it a fast sender makes the echo buffer freely.
 */
class Echo extends Protocol {
  override connectionMade(): void {
    this.transport.registerProducer(this.transport, true);
  }
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

/** Writes FLOOD_BYTES as a push producer: the transport pauses it at its high-water mark. */
class Flood extends Protocol implements IPushProducer {
  #left = FLOOD_BYTES;
  #paused = false;
  #stopped = false;
  #chunk = new Uint8Array(CHUNK).fill(120);

  override connectionMade(): void {
    this.transport.registerProducer(this, true);
    this.#pump();
  }
  override dataReceived(_data: Uint8Array): void {}
  #pump(): void {
    while (!this.#paused && !this.#stopped && this.#left > 0) {
      const n = Math.min(CHUNK, this.#left);
      this.#left -= n;
      // Each write gets its own bytes (the transport may keep them queued).
      this.transport.write(n === CHUNK ? this.#chunk.slice() : this.#chunk.slice(0, n));
    }
    if (this.#left === 0 && !this.#stopped) {
      this.#stopped = true;
      this.transport.unregisterProducer();
      this.transport.loseConnection();
    }
  }
  pauseProducing(): void {
    this.#paused = true;
  }
  resumeProducing(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // Not re-entrantly from inside the transport's drain handling.
    reactor.callLater(0, () => this.#pump());
  }
  stopProducing(): void {
    this.#stopped = true;
  }
}

function serveFramework(): void {
  const factory = Factory.forProtocol(mode === "flood" ? Flood : Echo);
  const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1", backlog: 2048 });
  port.whenListening().addCallback(() => {
    ready((port.getHost() as { port: number }).port);
  });
  void reactor.run();
}

// ---------- raw APIs ----------

interface DenoConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}
interface DenoListener extends AsyncIterable<DenoConn> {
  addr: { port: number };
}
interface DenoNs {
  listen(o: { hostname: string; port: number }): DenoListener;
}
interface BunRaw {
  write(d: Uint8Array): number;
  pause(): void;
  resume(): void;
  end(): void;
  data: { queue: Uint8Array[]; left: number };
}
interface BunNs {
  listen(o: {
    hostname: string;
    port: number;
    socket: {
      open(s: BunRaw): void;
      data(s: BunRaw, d: Uint8Array): void;
      drain(s: BunRaw): void;
      close(s: BunRaw): void;
      error?(s: BunRaw, e: Error): void;
    };
  }): { port: number };
}

const g = globalThis as unknown as { Deno?: DenoNs; Bun?: BunNs };

async function denoWriteAll(conn: DenoConn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

function serveDeno(deno: DenoNs): void {
  const listener = deno.listen({ hostname: "127.0.0.1", port: 0 });
  ready(listener.addr.port);
  (async () => {
    for await (const conn of listener) {
      if (mode === "flood") {
        (async () => {
          const chunk = new Uint8Array(CHUNK).fill(120);
          let left = FLOOD_BYTES;
          try {
            while (left > 0) {
              const n = Math.min(CHUNK, left);
              await denoWriteAll(conn, chunk.subarray(0, n));
              left -= n;
            }
          } catch { /* peer went away */ }
          conn.close();
        })();
        continue;
      }
      (async () => {
        let buf = new Uint8Array(64 * 1024);
        try {
          for (;;) {
            if (impl === "raw-fresh") buf = new Uint8Array(Number(bytesArg ?? 1024 * 1024));
            const n = await conn.read(buf);
            if (n === null) break;
            await denoWriteAll(conn, buf.subarray(0, n));
          }
        } catch { /* reset */ }
        try {
          conn.close();
        } catch { /* already closed */ }
      })();
    }
  })();
}

function serveBun(bun: BunNs): void {
  const chunk = new Uint8Array(CHUNK).fill(120);
  // Writes what it can; keeps the rest and pauses reading until `drain`.
  const send = (s: BunRaw, d: Uint8Array): void => {
    if (s.data.queue.length > 0) {
      s.data.queue.push(d.slice());
      return;
    }
    const n = s.write(d);
    if (n < d.length) {
      s.data.queue.push(d.slice(Math.max(n, 0)));
      s.pause();
    }
  };
  const flood = (s: BunRaw): void => {
    while (s.data.left > 0) {
      const n = Math.min(CHUNK, s.data.left);
      const w = s.write(chunk.subarray(0, n));
      s.data.left -= Math.max(w, 0);
      if (w < n) return; // wait for drain
    }
    s.end();
  };
  const server = bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { queue: [], left: FLOOD_BYTES };
        if (mode === "flood") flood(s);
      },
      data(s, d) {
        if (mode !== "flood") send(s, d);
      },
      drain(s) {
        if (mode === "flood") return flood(s);
        const q = s.data.queue;
        while (q.length > 0) {
          const head = q[0];
          const n = s.write(head);
          if (n < head.length) {
            q[0] = head.subarray(Math.max(n, 0));
            return;
          }
          q.shift();
        }
        s.resume();
      },
      close() {},
      error() {},
    },
  });
  ready(server.port);
}

async function serveNode(): Promise<void> {
  const net = await import("node:net");
  const chunk = new Uint8Array(CHUNK).fill(120);
  const server = net.createServer((s) => {
    s.on("error", () => {});
    if (mode === "flood") {
      let left = FLOOD_BYTES;
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(CHUNK, left);
          left -= n;
          if (!s.write(chunk.subarray(0, n))) return;
        }
        s.end();
      };
      s.on("drain", pump);
      pump();
      return;
    }
    s.on("data", (d) => {
      if (!s.write(d)) s.pause();
    });
    s.on("drain", () => s.resume());
  });
  server.listen({ host: "127.0.0.1", port: 0, backlog: 2048 }, () => {
    ready((server.address() as { port: number }).port);
  });
}

if (impl === "tw") serveFramework();
else if (g.Deno) serveDeno(g.Deno);
else if (g.Bun) serveBun(g.Bun);
else await serveNode();
