/**
 * `ClientService` and `backoffPolicy` (`twisted.application.internet`):
 * keep one client connection up, reconnecting with backoff.
 * @module
 */
import { CancelledError, Deferred, maybeDeferred } from "../internet/defer.ts";
import { Failure } from "../internet/failure.ts";
import type { IStreamClientEndpoint } from "../internet/endpoints.ts";
import type {
  IDelayedCall,
  IProtocol,
  IProtocolFactory,
  IReactorTime,
  ITransport,
} from "../internet/interfaces.ts";
import type { Address } from "../internet/address.ts";
import { getReactor } from "../internet/reactor.ts";
import { Logger } from "../logger/mod.ts";
import { Service } from "./_service.ts";

const log = new Logger("application");
// Marks set on wrapped protocols: lost already, and the transport they got.
const LOST = Symbol("lost");
const TRANSPORT = Symbol("transport");

/** How long to wait before attempt number `failedAttempts` (1 after the first failure). */
export type RetryPolicy = (failedAttempts: number) => number;

/** Options of `backoffPolicy`. */
export interface BackoffPolicyOptions {
  /** The delay scale, in seconds. @default 1 */
  initialDelay?: number;
  /** The longest delay before jitter, in seconds. @default 60 */
  maxDelay?: number;
  /** How much each failure multiplies the delay. @default 1.5 */
  factor?: number;
  /** Extra seconds added to each delay, so clients do not retry in step. @default Math.random */
  jitter?: () => number;
}

/**
 * An exponential backoff with jitter (`backoffPolicy`): attempt `n` waits
 * `min(initialDelay * factor ** n, maxDelay) + jitter()` seconds.
 *
 * @example
 * ```ts
 * import { backoffPolicy } from "@tw/core/application";
 * const policy = backoffPolicy({ initialDelay: 1, maxDelay: 30, factor: 2, jitter: () => 0 });
 * console.log(policy(1), policy(3), policy(10)); // 2 8 30
 * ```
 */
export function backoffPolicy(options: BackoffPolicyOptions = {}): RetryPolicy {
  const { initialDelay = 1, maxDelay = 60, factor = 1.5, jitter = Math.random } = options;
  return (attempt) =>
    Math.min(initialDelay * factor ** Math.min(100, attempt), maxDelay) + jitter();
}

/** Options of `ClientService`. */
export interface ClientServiceOptions<P extends IProtocol = IProtocol> {
  /** The delay before each retry. @default backoffPolicy() */
  retryPolicy?: RetryPolicy;
  /** The clock retries are scheduled on. @default the reactor */
  clock?: IReactorTime;
  /**
   * Called with each new connection's protocol before `whenConnected`
   * waiters hear of it (a handshake, a login); may return a Deferred /
   * Promise. When it fails, the connection is dropped and retried.
   * @default undefined
   */
  prepareConnection?: (protocol: P) => unknown;
}

/** Options of `ClientService.whenConnected`. */
export interface WhenConnectedOptions {
  /**
   * Fail (with the last connection error) after this many consecutive failed
   * attempts instead of waiting for ever.
   * @default undefined
   */
  failAfterFailures?: number;
}

interface Waiter {
  deferred: Deferred<IProtocol>;
  failAfterFailures: number | undefined;
}

type State = "idle" | "connecting" | "waiting" | "preparing" | "connected" | "stopped";

/**
 * Keeps one connection to `endpoint` up while running
 * (`twisted.application.internet.ClientService`): connects at start, and
 * after a failed attempt or a lost connection waits `retryPolicy(n)` seconds
 * (`n` consecutive failures) and tries again. `whenConnected()` gives the
 * current protocol, or the next one. `stopService` cancels an attempt or a
 * pending retry, or disconnects, and fires once the connection is lost;
 * pending `whenConnected` Deferreds fail with `CancelledError`.
 *
 * @example
 * ```ts
 * import { ClientService, backoffPolicy } from "@tw/core/application";
 * import { clientFromString } from "@tw/core/endpoints";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * const service = new ClientService(
 *   clientFromString(reactor, "tcp:127.0.0.1:7"),
 *   Factory.forProtocol(Protocol),
 *   { retryPolicy: backoffPolicy({ maxDelay: 10 }) },
 * );
 * service.startService();
 * const protocol = await service.whenConnected({ failAfterFailures: 1 }).then(
 *   (p) => p,
 *   () => null,
 * );
 * await service.stopService();
 * ```
 */
export class ClientService<P extends IProtocol = IProtocol> extends Service {
  /** Where to connect. */
  readonly endpoint: IStreamClientEndpoint;
  /** What builds the protocol. */
  readonly factory: IProtocolFactory;

  #retryPolicy: RetryPolicy;
  #clock: IReactorTime | undefined;
  #prepare: ((protocol: P) => unknown) | undefined;
  #state: State = "idle";
  #attempt: Deferred<IProtocol> | null = null;
  #retry: IDelayedCall | null = null;
  #protocol: P | null = null;
  #transport: ITransport | null = null;
  #failedAttempts = 0;
  #lastFailure: Failure | null = null;
  #waiters: Waiter[] = [];
  #lost: Deferred<void>[] = [];
  #wrapped: IProtocolFactory;

  /**
   * Makes the service (stopped).
   * @param endpoint where to connect
   * @param factory what builds the protocol
   * @param options retry policy, clock, connection preparation
   */
  constructor(
    endpoint: IStreamClientEndpoint,
    factory: IProtocolFactory,
    options: ClientServiceOptions<P> = {},
  ) {
    super();
    this.endpoint = endpoint;
    this.factory = factory;
    this.#retryPolicy = options.retryPolicy ?? backoffPolicy();
    this.#clock = options.clock;
    this.#prepare = options.prepareConnection;
    this.#wrapped = this.#wrapFactory(factory);
  }

  /** The clock retries are scheduled on (the reactor unless given). */
  get clock(): IReactorTime {
    return this.#clock ??= getReactor();
  }

  /** Connects, and keeps reconnecting until stopped. */
  override startService(): void {
    if (this.running) return;
    super.startService();
    this.#failedAttempts = 0;
    this.#lastFailure = null;
    this.#connect();
  }

  /**
   * Stops: cancels a connection attempt or a pending retry, or closes the
   * connection.
   * @returns a Deferred that fires once no connection is left
   */
  override stopService(): Deferred<void> {
    super.stopService();
    const state = this.#state;
    this.#state = "stopped";
    this.#failWaiters(new Failure(new CancelledError("The ClientService was stopped")));
    this.#retry?.cancel();
    this.#retry = null;
    const done = new Deferred<void>();
    if (state === "connected" || state === "preparing") {
      this.#lost.push(done);
      this.#transport?.loseConnection();
      return done;
    }
    if (state === "connecting") {
      const attempt = this.#attempt;
      this.#attempt = null;
      // A protocol that arrives anyway (cancel came too late) is closed in #connected.
      attempt?.cancel();
    }
    done.callback(undefined);
    return done;
  }

  /**
   * The connected protocol, now or once connected.
   * @param options `failAfterFailures` to give up after that many failed attempts
   * @returns a Deferred of the protocol; fails with the last connection error
   *   (`failAfterFailures`), or `CancelledError` when the service stops
   */
  whenConnected(options: WhenConnectedOptions = {}): Deferred<P> {
    const deferred = new Deferred<IProtocol>();
    if (this.#state === "connected" && this.#protocol !== null) {
      deferred.callback(this.#protocol);
    } else if (this.#state === "stopped") {
      deferred.errback(new CancelledError("The ClientService is stopped"));
    } else {
      const { failAfterFailures } = options;
      if (
        failAfterFailures !== undefined && this.#lastFailure !== null &&
        this.#failedAttempts >= failAfterFailures
      ) {
        deferred.errback(this.#lastFailure);
      } else {
        this.#waiters.push({ deferred, failAfterFailures });
      }
    }
    return deferred as Deferred<unknown> as Deferred<P>;
  }

  #connect(): void {
    this.#retry = null;
    this.#state = "connecting";
    const attempt = maybeDeferred(() => this.endpoint.connect(this.#wrapped));
    this.#attempt = attempt;
    attempt.addCallbacks(
      (protocol: IProtocol) => {
        if (this.#attempt === attempt) this.#attempt = null;
        this.#connected(protocol as P);
        return null;
      },
      (failure: Failure) => {
        if (this.#attempt !== attempt) return null; // cancelled by stopService
        this.#attempt = null;
        this.#failed(failure);
        return null;
      },
    );
  }

  #connected(protocol: P): void {
    const lost = (protocol as unknown as { [LOST]?: boolean })[LOST] === true;
    if (this.#state !== "connecting" || lost) {
      // Stopped meanwhile: close what arrived. Or already lost: counts as a failure.
      if (this.#state === "stopped") this.#transportOf(protocol)?.loseConnection();
      else this.#failed(new Failure(new Error("Connection lost before it was ready")));
      return;
    }
    this.#protocol = protocol;
    this.#transport = this.#transportOf(protocol);
    this.#state = "preparing";
    const prepare = this.#prepare;
    const ready = prepare === undefined ? null : maybeDeferred(() => prepare(protocol));
    const succeed = (): void => {
      if (this.#state !== "preparing" || this.#protocol !== protocol) return;
      this.#state = "connected";
      this.#failedAttempts = 0;
      this.#lastFailure = null;
      for (const waiter of this.#waiters.splice(0)) waiter.deferred.callback(protocol);
    };
    if (ready === null) return succeed();
    ready.addCallbacks(
      () => {
        succeed();
        return null;
      },
      (failure: Failure) => {
        if (this.#protocol !== protocol || this.#state !== "preparing") return null;
        log.failure("ClientService: preparing the connection failed", failure, "warn");
        this.#lastFailure = failure;
        this.#preparationFailed = true;
        this.#transport?.loseConnection();
        return null;
      },
    );
  }

  #preparationFailed = false;

  /** Called by the wrapped protocol's `connectionLost`. */
  #connectionLost(protocol: IProtocol, reason: Failure): void {
    if (protocol !== this.#protocol) return;
    this.#protocol = null;
    this.#transport = null;
    if (this.#state === "stopped") {
      for (const d of this.#lost.splice(0)) d.callback(undefined);
      return;
    }
    const failure = this.#preparationFailed ? this.#lastFailure ?? reason : reason;
    this.#preparationFailed = false;
    this.#failed(failure);
  }

  /** One more consecutive failure: tell waiters that gave up, schedule a retry. */
  #failed(failure: Failure): void {
    this.#failedAttempts += 1;
    this.#lastFailure = failure;
    const attempts = this.#failedAttempts;
    const keep: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.failAfterFailures !== undefined && attempts >= waiter.failAfterFailures) {
        waiter.deferred.errback(failure);
      } else keep.push(waiter);
    }
    this.#waiters = keep;
    if (!this.running) return;
    this.#state = "waiting";
    const delay = this.#retryPolicy(attempts);
    log.info("ClientService: connection failed ({reason}); retrying in {delay} s", {
      reason: failure.getErrorMessage(),
      delay: Math.round(delay * 1000) / 1000,
    });
    this.#retry = this.clock.callLater(delay, () => this.#connect());
  }

  #failWaiters(failure: Failure): void {
    for (const waiter of this.#waiters.splice(0)) waiter.deferred.errback(failure);
  }

  #transportOf(protocol: IProtocol): ITransport | null {
    return (protocol as { transport?: ITransport | null }).transport ??
      (protocol as unknown as { [TRANSPORT]?: ITransport })[TRANSPORT] ?? null;
  }

  /**
   * Wraps the factory so each protocol reports its `connectionLost` here
   * (Twisted wraps the protocol in a proxy; patching the instance keeps
   * `transport.protocol` the user's own object).
   */
  #wrapFactory(inner: IProtocolFactory): IProtocolFactory {
    return {
      doStart: () => inner.doStart(),
      doStop: () => inner.doStop(),
      buildProtocol: (addr: Address): IProtocol | null => {
        const protocol = inner.buildProtocol(addr);
        if (protocol === null) return null;
        const tagged = protocol as unknown as {
          [LOST]?: boolean;
          [TRANSPORT]?: ITransport;
        };
        const makeConnection = protocol.makeConnection;
        protocol.makeConnection = (transport: ITransport): void => {
          tagged[TRANSPORT] = transport;
          makeConnection.call(protocol, transport);
        };
        const connectionLost = protocol.connectionLost;
        protocol.connectionLost = (reason: Failure): void => {
          tagged[LOST] = true;
          try {
            connectionLost.call(protocol, reason);
          } finally {
            this.#connectionLost(protocol, reason);
          }
        };
        return protocol;
      },
    };
  }
}
