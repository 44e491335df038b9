/**
 * `HostnameEndpoint`: connects to a host name by trying its addresses the
 * "happy eyeballs" way (RFC 8305). Private to src/internet; endpoints.ts
 * re-exports it.
 *
 * @module
 */
import { Deferred } from "./defer.ts";
import { Failure } from "./failure.ts";
import { DNSLookupError } from "./error.ts";
import { dnsLookupErrorFor } from "./_error_causes.ts";
import { isIPv4, isIPv6 } from "./address.ts";
import type {
  IDelayedCall,
  IProtocol,
  IProtocolFactory,
  IReactorResolve,
  IReactorTCP,
  IReactorTime,
} from "./interfaces.ts";
import {
  type IStreamClientEndpoint,
  TCP4ClientEndpoint,
  TCP6ClientEndpoint,
} from "./_endpoints_stream.ts";
import { ConnectingCancelledError } from "./_endpoints_wrapping.ts";

/** Options for `HostnameEndpoint`. */
export interface HostnameEndpointOptions {
  /** Seconds before each address's attempt fails with `TimeoutError`. @default 30 */
  timeout?: number;
  /** Local `[host, port]` to bind before connecting. */
  bindAddress?: [string, number];
  /** Seconds to wait for an attempt before starting the next one alongside. @default 0.3 */
  attemptDelay?: number;
}

/**
 * Orders addresses as RFC 8305 asks: the family of the first address first,
 * then alternating families, each family keeping its own order.
 */
export function interleaveAddresses(addresses: readonly string[]): string[] {
  if (addresses.length === 0) return [];
  const first = isIPv6(addresses[0]);
  const same = addresses.filter((a) => isIPv6(a) === first);
  const other = addresses.filter((a) => isIPv6(a) !== first);
  const out: string[] = [];
  for (let i = 0; i < Math.max(same.length, other.length); i++) {
    if (i < same.length) out.push(same[i]);
    if (i < other.length) out.push(other[i]);
  }
  return out;
}

/**
 * Connects to every address of a host name, IPv6 and IPv4 alike
 * (`HostnameEndpoint`). The name is resolved with `reactor.resolve`; the
 * addresses are tried in RFC 8305 order (families alternating), the next
 * attempt starting when the previous one fails or after `attemptDelay`
 * seconds, whichever comes first. The first connection wins and the attempts
 * still running are cancelled. When all fail, the Deferred fails with the last
 * failure; an unknown name fails with `DNSLookupError`.
 *
 * @example
 * ```ts
 * import { HostnameEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * const endpoint = new HostnameEndpoint(reactor, "localhost", 1, { timeout: 5 });
 * await endpoint.connect(Factory.forProtocol(Protocol)).then(undefined, (e) => console.log(e.name));
 * ```
 */
export class HostnameEndpoint implements IStreamClientEndpoint {
  #reactor: IReactorTCP & IReactorTime & IReactorResolve;
  #host: string;
  #port: number;
  #timeout: number;
  #bindAddress: [string, number] | undefined;
  #attemptDelay: number;

  /**
   * Creates the endpoint; nothing is resolved or connected until `connect()`.
   * @param reactor what resolves, connects and keeps time
   * @param host the host name (or an IP address, used as it is)
   * @param port the port
   * @param options per-attempt timeout, local address and the delay between attempts
   */
  constructor(
    reactor: IReactorTCP & IReactorTime & IReactorResolve,
    host: string,
    port: number,
    options: HostnameEndpointOptions = {},
  ) {
    this.#reactor = reactor;
    this.#host = host.replace(/^\[(.*)\]$/, "$1");
    this.#port = port;
    this.#timeout = options.timeout ?? 30;
    this.#bindAddress = options.bindAddress;
    this.#attemptDelay = options.attemptDelay ?? 0.3;
  }

  /** Resolves and connects; see the class. */
  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    return new HappyEyeballs(this.#reactor, this.#host, this.#port, factory, {
      timeout: this.#timeout,
      bindAddress: this.#bindAddress,
      attemptDelay: this.#attemptDelay,
    }).winner;
  }
}

interface AttemptOptions {
  timeout: number;
  bindAddress?: [string, number];
  attemptDelay: number;
}

/** One `connect()` of a HostnameEndpoint: resolution, then staggered attempts. */
class HappyEyeballs {
  readonly winner: Deferred<IProtocol>;
  #reactor: IReactorTCP & IReactorTime & IReactorResolve;
  #host: string;
  #port: number;
  #factory: IProtocolFactory;
  #options: AttemptOptions;
  #done = false;
  #resolving: Deferred<string[]> | null = null;
  #queue: string[] = [];
  #next = 0;
  #pending = new Set<Deferred<IProtocol>>();
  #failures: Failure[] = [];
  #timer: IDelayedCall | null = null;

  constructor(
    reactor: IReactorTCP & IReactorTime & IReactorResolve,
    host: string,
    port: number,
    factory: IProtocolFactory,
    options: AttemptOptions,
  ) {
    this.#reactor = reactor;
    this.#host = host;
    this.#port = port;
    this.#factory = factory;
    this.#options = options;
    this.winner = new Deferred<IProtocol>(() => this.#cancel());
    if (isIPv4(host) || isIPv6(host)) {
      this.#start([host]);
      return;
    }
    let resolving: Deferred<string[]>;
    try {
      resolving = reactor.resolve(host);
    } catch (error) {
      this.#finish(new Failure(dnsLookupErrorFor(this.#host, error)));
      return;
    }
    this.#resolving = resolving;
    resolving.addCallbacks(
      (addresses: string[]) => {
        this.#resolving = null;
        if (!this.#done) this.#start(addresses);
        return null;
      },
      (f: Failure) => {
        this.#resolving = null;
        if (!this.#done) this.#finish(new Failure(dnsLookupErrorFor(this.#host, f.value)));
        return null; // handled (a cancelled lookup included)
      },
    );
  }

  #start(addresses: string[]): void {
    if (addresses.length === 0) {
      this.#finish(
        new Failure(new DNSLookupError(`no results for hostname lookup: ${this.#host}`)),
      );
      return;
    }
    this.#queue = interleaveAddresses(addresses);
    this.#attemptNext();
  }

  /** Starts the next address's attempt, and arms the timer for the one after. */
  #attemptNext(): void {
    this.#timer = null;
    if (this.#done) return;
    if (this.#next >= this.#queue.length) {
      this.#checkAllFailed();
      return;
    }
    const address = this.#queue[this.#next++];
    const options = { timeout: this.#options.timeout, bindAddress: this.#options.bindAddress };
    const endpoint = isIPv6(address)
      ? new TCP6ClientEndpoint(this.#reactor, address, this.#port, options)
      : new TCP4ClientEndpoint(this.#reactor, address, this.#port, options);
    const attempt = endpoint.connect(this.#factory);
    this.#pending.add(attempt);
    attempt.addCallbacks(
      (protocol: IProtocol) => {
        this.#pending.delete(attempt);
        if (this.#done) {
          // Lost the race after all: this connection is not wanted.
          (protocol as { transport?: { loseConnection?: () => void } }).transport
            ?.loseConnection?.();
          return null;
        }
        this.#finish(protocol);
        return null;
      },
      (f: Failure) => {
        this.#pending.delete(attempt);
        if (this.#done) return null; // cancelled because another won
        this.#failures.push(f);
        // A failure starts the next attempt at once, without waiting for the timer.
        if (this.#timer !== null) {
          this.#timer.cancel();
          this.#timer = null;
        }
        this.#attemptNext();
        return null;
      },
    );
    // Still connecting (it did not fail at once) and more to try: stagger the next one.
    if (this.#pending.has(attempt) && !this.#done && this.#next < this.#queue.length) {
      this.#timer = this.#reactor.callLater(this.#options.attemptDelay, () => this.#attemptNext());
    }
  }

  #checkAllFailed(): void {
    if (this.#done || this.#pending.size > 0 || this.#next < this.#queue.length) return;
    this.#finish(this.#failures[this.#failures.length - 1]);
  }

  /** Settles the winner once and stops everything else. */
  #finish(result: IProtocol | Failure): void {
    if (this.#done) return;
    this.#done = true;
    this.#stopAll();
    if (result instanceof Failure) this.winner.errback(result);
    else this.winner.callback(result);
  }

  #stopAll(): void {
    if (this.#timer !== null) {
      this.#timer.cancel();
      this.#timer = null;
    }
    this.#resolving?.cancel();
    this.#resolving = null;
    for (const attempt of [...this.#pending]) attempt.cancel();
  }

  #cancel(): void {
    this.#finish(
      new Failure(new ConnectingCancelledError({ hostname: this.#host, port: this.#port })),
    );
  }
}
