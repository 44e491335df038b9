/**
 * What `DNSServerFactory` is built from: the resolver chain (Twisted's
 * `ResolverChain`, with the closest zone asked first), the bookkeeping of
 * TCP connections (idle timers, pausing reads), and zone transfer chunks.
 * Private to src/names/server.
 *
 * @module
 */
import { Deferred } from "../../internet/defer.ts";
import { TimeoutError } from "../../internet/error.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IDelayedCall, IReactorTime } from "../../internet/interfaces.ts";
import type { DatagramAddress } from "../../internet/protocol.ts";
import { Logger } from "../../logger/mod.ts";
import type { DNSDatagramProtocol, DNSProtocol } from "../_protocols.ts";
import { type IResolver, type LookupResult, ResolverBase } from "../common.ts";
import { DNSNameError, DomainError } from "../error.ts";
import { Message, Query, type RRHeader } from "../wire/_message.ts";
import { Name } from "../wire/_name.ts";
import { labelTexts } from "./_zone.ts";

const log = new Logger("tw.names");

/** A protocol the server answers through. */
export type Protocol = DNSDatagramProtocol | DNSProtocol;

/** One run of the chain. */
export interface Attempt {
  /** True once the chain asks a client: an error then is the client's. */
  fromClient: boolean;
}

/** A resolver of the chain, and whether it is a client (recursing). */
export type Stage = [resolver: IResolver, client: boolean];

function apexOf(resolver: IResolver): string | null {
  const soa = (resolver as { soa?: unknown }).soa;
  if (!Array.isArray(soa) || typeof soa[0] !== "string") return null;
  return soa[0];
}

/** The authorities to ask for `name`: those whose zone is deepest first (nsd picks the closest zone). */
export function orderAuthorities(authorities: readonly IResolver[], name: Name): IResolver[] {
  const ranked = authorities.map((resolver, index) => {
    const apex = apexOf(resolver);
    const covers = apex !== null && name.isSubdomainOf(apex);
    return { resolver, index, rank: covers ? -1 - labelTexts(new Name(apex)).length : 0 };
  });
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return ranked.map((r) => r.resolver);
}

/** Whether a chain moves on to the next resolver after `failure` (Twisted's `FailureHandler`). */
function movesOn(failure: Failure): boolean {
  return failure.check(DomainError, TimeoutError) !== null ||
    (failure.value as Error).name === "NotImplementedError";
}

/** Asks each stage in turn until one answers or fails for good (Twisted's `ResolverChain`). */
export function resolveChain(
  query: Query,
  stages: readonly Stage[],
  attempt: Attempt,
): Deferred<LookupResult> {
  const next = (i: number, last: unknown): Deferred<LookupResult> => {
    if (i >= stages.length) {
      const d = new Deferred<LookupResult>();
      d.errback(last ?? new DomainError(`${query.name.name || "."}: no resolver has it`));
      return d;
    }
    const [resolver, client] = stages[i];
    attempt.fromClient = client;
    let d: Deferred<LookupResult>;
    try {
      d = resolver.query(query);
    } catch (error) {
      d = new Deferred<LookupResult>();
      d.errback(error);
    }
    return d.addErrback((failure: Failure) => {
      if (!movesOn(failure)) throw failure;
      return next(i + 1, failure);
    });
  };
  return next(0, undefined);
}

/** The server's chain as one resolver (Twisted's `DNSServerFactory.resolver`). */
export class ServerChain extends ResolverBase {
  readonly #run: (query: Query, attempt: Attempt) => Deferred<LookupResult>;
  constructor(run: (query: Query, attempt: Attempt) => Deferred<LookupResult>) {
    super();
    this.#run = run;
  }
  protected doLookup(name: string, cls: number, type: number): Deferred<LookupResult> {
    return this.#run(new Query(name, type, cls), { fromClient: false });
  }
}

/** A client's error that means the name does not exist. */
export function isNameError(error: DomainError): boolean {
  return error instanceof DNSNameError || error.constructor === DomainError;
}

/** Who sent a message, for the log. */
export function peer(protocol: Protocol, address?: DatagramAddress): string {
  if (address) return `${address[0]}:${address[1]}`;
  try {
    const at = (protocol as DNSProtocol).transport?.getPeer() as { host?: string; port?: number };
    return at?.host === undefined ? String(at) : `${at.host}:${at.port} (TCP)`;
  } catch {
    return "?";
  }
}

/** About how many bytes of records go into one zone transfer message. */
const TRANSFER_CHUNK = 16384;

/** A zone transfer's records cut into messages' worth (RFC 5936 s2.2: as many as it takes). */
export function transferChunks(records: readonly RRHeader[]): RRHeader[][] {
  const chunks: RRHeader[][] = [[]];
  let size = 0;
  for (const rr of records) {
    const length = new Message({ answers: [rr] }).toStr().length - 12;
    if (chunks.at(-1)!.length > 0 && size + length > TRANSFER_CHUNK) {
      chunks.push([]);
      size = 0;
    }
    chunks.at(-1)!.push(rr);
    size += length;
  }
  return chunks;
}

/** The limits `TCPConnections` reads (the factory's fields, which may change). */
export interface ConnectionLimits {
  /** Seconds before an idle connection is closed, or null. */
  readonly idleTimeout: number | null;
  /** Unanswered queries per connection before reading pauses. */
  readonly maxPendingPerConnection: number;
  /** Logs the closing of idle connections when above 0. */
  readonly verbose: number;
}

interface Connection {
  timer: IDelayedCall | null;
  pending: number;
  writeBlocked: boolean;
  readPaused: boolean;
}

/**
 * The server's TCP connections: an idle timer each (restarted by every
 * message in and reply out, held while queries are pending), and reading
 * paused while replies back up (the transport pauses its producer) or too
 * many queries are pending.
 */
export class TCPConnections {
  readonly #limits: ConnectionLimits;
  readonly #clock: () => IReactorTime;
  readonly #state = new Map<DNSProtocol, Connection>();

  constructor(limits: ConnectionLimits, clock: () => IReactorTime) {
    this.#limits = limits;
    this.#clock = clock;
  }

  /** Starts tracking a connection. */
  add(protocol: DNSProtocol): void {
    const state: Connection = { timer: null, pending: 0, writeBlocked: false, readPaused: false };
    this.#state.set(protocol, state);
    this.touch(protocol);
    const update = (blocked: boolean) => {
      state.writeBlocked = blocked;
      this.#flow(protocol);
    };
    protocol.transport.registerProducer({
      pauseProducing: () => update(true),
      resumeProducing: () => update(false),
      stopProducing: () => {},
    }, true);
  }

  /** Stops tracking a connection; cancels its timer. */
  remove(protocol: DNSProtocol): void {
    const state = this.#state.get(protocol);
    if (state?.timer?.active()) state.timer.cancel();
    this.#state.delete(protocol);
  }

  /** (Re)starts a connection's idle timer. */
  touch(protocol: DNSProtocol): void {
    const state = this.#state.get(protocol);
    const timeout = this.#limits.idleTimeout;
    if (state === undefined || timeout === null) return;
    if (state.timer?.active()) state.timer.cancel();
    state.timer = this.#clock().callLater(timeout, () => {
      state.timer = null;
      if (state.pending > 0) return this.touch(protocol);
      if (this.#limits.verbose > 0) log.info("Closing idle DNS connection");
      protocol.transport.loseConnection();
    });
  }

  /** A query on `protocol` is pending. */
  begin(protocol: DNSProtocol): void {
    const state = this.#state.get(protocol);
    if (state === undefined) return;
    state.pending++;
    this.#flow(protocol);
  }

  /** A query on `protocol` is answered. */
  end(protocol: DNSProtocol): void {
    const state = this.#state.get(protocol);
    if (state === undefined) return;
    state.pending--;
    this.#flow(protocol);
  }

  /** Pauses reading while replies back up or too many queries are pending; resumes after. */
  #flow(protocol: DNSProtocol): void {
    const state = this.#state.get(protocol);
    if (state === undefined) return;
    const pause = state.writeBlocked || state.pending >= this.#limits.maxPendingPerConnection;
    if (pause === state.readPaused) return;
    state.readPaused = pause;
    try {
      if (pause) protocol.transport.pauseProducing();
      else protocol.transport.resumeProducing();
    } catch {
      // The connection is closing.
    }
  }
}
