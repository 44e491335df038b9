// Shared helpers for the transport tests (not a test file itself).
import { socketPair, type SocketPairOptions } from "../../src/internet/memory_socket.ts";
import {
  StreamTransport,
  type StreamTransportOptions,
} from "../../src/internet/_stream_transport.ts";
import type { ITransport } from "../../src/internet/interfaces.ts";
import type { Failure } from "../../src/internet/failure.ts";
import { type LogEvent, Logger } from "../../src/logger/mod.ts";

/** Lets queued microtasks and a few macrotask turns run (memory sockets deliver in microtasks). */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Waits (bounded) until `cond()` holds. */
export async function until(cond: () => boolean, turns = 200): Promise<void> {
  for (let i = 0; i < turns && !cond(); i++) await settle(1);
  if (!cond()) throw new Error("condition not reached");
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of `text`. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Concatenates chunks. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Decodes chunks as UTF-8. */
export function text(chunks: Uint8Array[]): string {
  return decoder.decode(concat(chunks));
}

/** A protocol that records every event. */
export class Recorder {
  transport!: ITransport;
  made = 0;
  chunks: Uint8Array[] = [];
  lost: Failure[] = [];
  events: string[] = [];

  makeConnection(transport: ITransport): void {
    this.transport = transport;
    this.connectionMade();
  }
  connectionMade(): void {
    this.made++;
    this.events.push("made");
  }
  dataReceived(data: Uint8Array): void {
    this.chunks.push(data);
    this.events.push("data");
  }
  connectionLost(reason: Failure): void {
    this.lost.push(reason);
    this.events.push("lost");
  }
  get received(): string {
    return text(this.chunks);
  }
  get receivedBytes(): number {
    return this.chunks.reduce((n, c) => n + c.byteLength, 0);
  }
}

/** A recorder that is half-closeable (defines readConnectionLost). */
export class HalfCloseRecorder extends Recorder {
  readLost = 0;
  writeLost = 0;
  readConnectionLost(): void {
    this.readLost++;
    this.events.push("readLost");
  }
  writeConnectionLost(): void {
    this.writeLost++;
    this.events.push("writeLost");
  }
}

/** A logger that keeps its events. */
export function capturingLogger(): { logger: Logger; events: LogEvent[] } {
  const events: LogEvent[] = [];
  return { logger: new Logger("test", (e) => events.push(e)), events };
}

const opened: StreamTransport[] = [];

/** Aborts every transport `connect()` made that is still open (an `afterEach` hook). */
export async function abortAll(): Promise<void> {
  for (const t of opened.splice(0)) t.abortConnection();
  await settle(1);
}

/** Two transports over a memory socket pair, each with its protocol attached. */
export function connect<A extends Recorder, B extends Recorder>(
  a: A,
  b: B,
  pair: SocketPairOptions = {},
  options: StreamTransportOptions = {},
): [StreamTransport, StreamTransport] {
  const [sa, sb] = socketPair(pair);
  const ta = new StreamTransport(sa, { ...options, isServer: false });
  const tb = new StreamTransport(sb, { ...options, isServer: true });
  opened.push(ta, tb);
  ta.attach(a);
  tb.attach(b);
  return [ta, tb];
}

/** The two ways every transport test runs: the adapter's fast path, and Web Streams. */
export const MODES: { name: string; fastPath: boolean }[] = [
  { name: "fast path", fastPath: true },
  { name: "Web Streams", fastPath: false },
];
