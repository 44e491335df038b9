// The runtime adapter under test (TW_RUNTIME forces one), a reactor over it,
// and a protocol that records what a pipe transport delivers.
import type { Runtime } from "../../src/internet/socket.ts";
import { Reactor } from "../../src/internet/reactor.ts";
import { Protocol } from "../../src/internet/protocol.ts";
import type { Failure } from "../../src/internet/failure.ts";
import { loadRuntime } from "../_load_runtime.ts";

/** This runtime's adapter. */
export const runtime: Runtime = await loadRuntime();
/** A reactor over it (never run: transports need no running reactor). */
export const reactor: Reactor = new Reactor(runtime);

/** Collects bytes; `lost` fires with the reason. */
export class Collector extends Protocol {
  chunks: Uint8Array[] = [];
  /** Resolves with the reason's error when the connection is lost. */
  lost: Promise<{ value: Error }>;
  #lost!: (reason: { value: Error }) => void;
  constructor() {
    super();
    this.lost = new Promise((resolve) => this.#lost = resolve);
  }
  #waiters: [string, () => void][] = [];
  override dataReceived(data: Uint8Array): void {
    this.chunks.push(data);
    const text = this.text;
    this.#waiters = this.#waiters.filter(([want, done]) => {
      if (!text.includes(want)) return true;
      done();
      return false;
    });
  }
  override connectionLost(reason: Failure): void {
    this.#lost({ value: reason.value });
  }
  get text(): string {
    return new TextDecoder().decode(concat(this.chunks));
  }
  /** Resolves once the text received includes `want`. */
  waitFor(want: string): Promise<void> {
    if (this.text.includes(want)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push([want, resolve]));
  }
}

/** Joins chunks. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
