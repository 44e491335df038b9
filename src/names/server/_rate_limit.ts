/**
 * Response rate limiting for UDP (a simple form of BIND's RRL): each client
 * network (/24 for IPv4, /56 for IPv6) gets `perSecond` full answers a
 * second; of the queries beyond that, every `slip`-th gets an empty reply
 * with TC set (a real client retries over TCP, which is not limited), the
 * rest nothing. The table is bounded. Private to src/names/server.
 *
 * @module
 */
import type { IReactorTime } from "../../internet/interfaces.ts";
import { ipv6ToBytes } from "../wire/_ip.ts";

/** What to do with one UDP query. */
export type RateVerdict = "answer" | "slip" | "drop";

interface Window {
  second: number;
  answered: number;
  refused: number;
}

/** The network a client address counts against: its /24, or its IPv6 /56. */
export function clientNetwork(host: string): string {
  if (!host.includes(":")) return host.slice(0, host.lastIndexOf("."));
  try {
    const bytes = ipv6ToBytes(host.replace(/%.*$/, ""));
    return Array.from(bytes.subarray(0, 7), (b) => b.toString(16).padStart(2, "0")).join("");
  } catch {
    return host;
  }
}

/** Per-network answer counts for the current second. */
export class RateLimiter {
  readonly perSecond: number;
  readonly slip: number;
  readonly #clock: IReactorTime;
  readonly #maxEntries: number;
  readonly #windows = new Map<string, Window>();

  constructor(
    perSecond: number,
    clock: IReactorTime,
    options: { slip?: number; maxEntries?: number } = {},
  ) {
    if (!Number.isInteger(perSecond) || perSecond < 1) {
      throw new RangeError(`A rate limit is a whole number of answers a second, not ${perSecond}`);
    }
    this.perSecond = perSecond;
    this.slip = options.slip ?? 2;
    this.#clock = clock;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  /** Counts a query from `host` and says what to do with it. */
  check(host: string): RateVerdict {
    const second = Math.floor(this.#clock.seconds());
    const key = clientNetwork(host);
    let w = this.#windows.get(key);
    if (w === undefined) {
      if (this.#windows.size >= this.#maxEntries) this.#prune(second);
      w = { second, answered: 0, refused: 0 };
      this.#windows.set(key, w);
    } else if (w.second !== second) {
      w.second = second;
      w.answered = 0;
      w.refused = 0;
    }
    if (w.answered < this.perSecond) {
      w.answered++;
      return "answer";
    }
    w.refused++;
    return this.slip > 0 && w.refused % this.slip === 0 ? "slip" : "drop";
  }

  /** Forgets networks not seen this second; all of them if that is not enough. */
  #prune(second: number): void {
    for (const [key, w] of this.#windows) if (w.second !== second) this.#windows.delete(key);
    if (this.#windows.size >= this.#maxEntries) this.#windows.clear();
  }

  /** Networks tracked. */
  get size(): number {
    return this.#windows.size;
  }
}

/**
 * The empty truncated reply a slipped query gets: its header with QR and TC
 * set and no records, and its question; null if the question cannot be read.
 */
export function slipReply(query: Uint8Array): Uint8Array | null {
  if (query.length < 12 || query[4] !== 0 || query[5] !== 1) return null;
  let at = 12;
  while (at < query.length && query[at] !== 0) {
    if ((query[at] & 0xc0) !== 0) return null;
    at += query[at] + 1;
  }
  at += 5; // the root label, type and class
  if (at > query.length) return null;
  const reply = query.slice(0, at);
  reply[2] = (reply[2] & 0x79) | 0x82; // QR, the opcode and RD kept, AA off, TC
  reply[3] = 0; // RA, AD, CD off; NOERROR
  reply.fill(0, 6, 12); // no answer, authority or additional records
  return reply;
}
