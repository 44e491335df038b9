// Deno's transport alone, without the kernel: 50 connections of 64-byte ping-pong over a
// fake `Deno.Conn` whose reads and writes complete at once. Compares the `Deno.listen`
// read-then-write loop of `_echo_server.ts` with our stack (DenoRaw, DenoSocket,
// StreamTransport and an echo Protocol that registers its transport as its producer).
// Reports nanoseconds per round trip: the median of five rounds each, interleaved, after a
// warm-up round of each (JIT).
// Run: deno run -A bench/deno_echo_layer_bench.ts [connections]
import { DenoRaw } from "../runtimes/_deno_raw.ts";
import { DenoSocket } from "../runtimes/_deno_socket.ts";
import { StreamTransport } from "../src/internet/_stream_transport.ts";
import { Protocol } from "../src/internet/protocol.ts";
import { median } from "./_proc.ts";

const MESSAGE = new Uint8Array(64).fill(97);
const CONNECTIONS = Number(Deno.args[0] ?? 50);
const ROUND_TRIPS = 40_000;

/**
 * One connection's peer: it sends the next message once the echo of the
 * previous one was written, ROUND_TRIPS times; `done` is called after the last.
 */
class FakeConn {
  readonly localAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  readonly remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 2 };
  #left = ROUND_TRIPS;
  #readable = true;
  #waiting: { buffer: Uint8Array; resolve: (n: number) => void } | null = null;
  #done: () => void;
  constructor(done: () => void) {
    this.#done = done;
  }
  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#left === 0) return new Promise(() => {});
    if (!this.#readable) return new Promise((resolve) => this.#waiting = { buffer, resolve });
    this.#readable = false;
    buffer.set(MESSAGE);
    return Promise.resolve(MESSAGE.length);
  }
  write(data: Uint8Array): Promise<number> {
    if (--this.#left === 0) this.#done();
    else if (this.#waiting !== null) {
      const { buffer, resolve } = this.#waiting;
      this.#waiting = null;
      buffer.set(MESSAGE);
      resolve(MESSAGE.length);
    } else this.#readable = true;
    return Promise.resolve(data.byteLength);
  }
  close(): void {}
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
}

class Echo extends Protocol {
  override connectionMade(): void {
    this.transport.registerProducer(this.transport, true);
  }
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

async function rawLoop(conn: FakeConn): Promise<void> {
  const buffer = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return;
    await conn.write(buffer.subarray(0, n));
  }
}

async function round(kind: "raw" | "tw"): Promise<number> {
  let finished = 0;
  let allDone!: () => void;
  const all = new Promise<void>((resolve) => allDone = resolve);
  const done = (): void => {
    if (++finished === CONNECTIONS) allDone();
  };
  const t0 = performance.now();
  for (let i = 0; i < CONNECTIONS; i++) {
    const conn = new FakeConn(done);
    if (kind === "raw") void rawLoop(conn);
    else {
      const socket = new DenoSocket(new DenoRaw(conn as unknown as Deno.Conn));
      new StreamTransport(socket, { isServer: true }).attach(new Echo());
    }
  }
  await all;
  return (performance.now() - t0) * 1e6 / (CONNECTIONS * ROUND_TRIPS);
}

await round("raw");
await round("tw");
const results: Record<string, number[]> = { raw: [], tw: [] };
for (let r = 0; r < 5; r++) {
  for (const kind of ["raw", "tw"] as const) results[kind].push(Math.round(await round(kind)));
}
for (const [kind, runs] of Object.entries(results)) {
  console.log(`${kind}: ${median(runs)} ns per round trip (median of 5; runs ${runs.join(", ")})`);
}
// The fake connections never end: leave without waiting for them.
Deno.exit(0);
