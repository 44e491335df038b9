/**
 * `StreamServerEndpointService`: listens on an endpoint while running.
 * @module
 */
import { CancelledError, Deferred } from "../internet/defer.ts";
import { Failure } from "../internet/failure.ts";
import type { IStreamServerEndpoint } from "../internet/endpoints.ts";
import type { IListeningPort, IProtocolFactory } from "../internet/interfaces.ts";
import { Logger } from "../logger/mod.ts";
import { Service } from "./_service.ts";

const log = new Logger("application");

/** Options of `StreamServerEndpointService`. */
export interface StreamServerEndpointServiceOptions<F extends IProtocolFactory> {
  /**
   * Called by `stopService` once the port has stopped listening, and waited
   * for: the place to end connections still open. Without it (Twisted's
   * behaviour) open connections are left alone. For a web server pass
   * `(site) => site.shutdown()`, which finishes each request in progress and
   * closes its connection.
   * @default undefined
   */
  stopFactory?: (factory: F) => void | PromiseLike<unknown>;
}

/**
 * Listens on `endpoint` with `factory` while running
 * (`twisted.application.internet.StreamServerEndpointService`).
 *
 * Listening begins in `privilegedStartService` (or `startService` when that
 * was not called). `startService` returns a Deferred that fires once the port
 * is bound and fails with the listen error (a `CannotListenError` naming the
 * address and the cause), so a service tree's startup fails when a port
 * cannot be bound: Twisted's `_raiseSynchronously`, made asynchronous because
 * binding is asynchronous on every runtime. A listen error nobody waits for
 * is logged. `stopService` stops listening (cancelling a listen still in
 * progress), then runs the `stopFactory` hook.
 *
 * @example
 * ```ts
 * import { Application, StreamServerEndpointService } from "@tw/core/application";
 * import { serverFromString } from "@tw/core/endpoints";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * const application = new Application("echo");
 * const endpoint = serverFromString(reactor, "tcp:0:interface=127.0.0.1");
 * const echo = new StreamServerEndpointService(endpoint, Factory.forProtocol(Protocol));
 * echo.setServiceParent(application);
 * ```
 */
export class StreamServerEndpointService<F extends IProtocolFactory = IProtocolFactory>
  extends Service {
  /** Where to listen. */
  readonly endpoint: IStreamServerEndpoint;
  /** What builds the protocols. */
  readonly factory: F;

  #options: StreamServerEndpointServiceOptions<F>;
  /** The listen in progress or done; fires with the port, or null after a failure. */
  #waitingForPort: Deferred<IListeningPort | null> | null = null;
  #port: IListeningPort | null = null;
  #outcome: Failure | IListeningPort | null = null;
  #waiters: Deferred<void>[] = [];

  /**
   * Makes the service (not listening yet).
   * @param endpoint where to listen
   * @param factory what builds the protocols
   * @param options the `stopFactory` hook
   */
  constructor(
    endpoint: IStreamServerEndpoint,
    factory: F,
    options: StreamServerEndpointServiceOptions<F> = {},
  ) {
    super();
    this.endpoint = endpoint;
    this.factory = factory;
    this.#options = options;
  }

  /** The listening port once bound, else null. */
  get port(): IListeningPort | null {
    return this.#port;
  }

  /** Starts listening. A throw from the endpoint fails at once. */
  override privilegedStartService(): void {
    super.privilegedStartService();
    if (this.#waitingForPort !== null) return;
    this.#outcome = null;
    const waiting = this.endpoint.listen(this.factory);
    this.#waitingForPort = waiting.addCallbacks(
      (port: IListeningPort) => {
        this.#port = port;
        this.#settle(port);
        return port;
      },
      (failure: Failure) => {
        this.#settle(failure);
        return null;
      },
    );
  }

  /**
   * Starts the service, listening if `privilegedStartService` did not.
   * @returns a Deferred that fires once the port is bound, or fails with the
   *   listen error (with `CancelledError` when stopped before it was bound)
   */
  override startService(): Deferred<void> {
    super.startService();
    const started = new Deferred<void>();
    this.#waiters.push(started);
    try {
      if (this.#waitingForPort === null) this.privilegedStartService();
    } catch (error) {
      this.#settle(new Failure(error));
    }
    if (this.#outcome !== null) this.#settle(this.#outcome);
    return started;
  }

  /**
   * Stops listening, then runs the `stopFactory` hook.
   * @returns a Deferred that fires once both are done
   */
  override stopService(): Deferred<void> {
    const waiting = this.#waitingForPort;
    this.#waitingForPort = null;
    const finish = (): Deferred<void> | PromiseLike<unknown> | void => {
      this.running = false;
      return this.#options.stopFactory?.(this.factory);
    };
    if (waiting === null) {
      const d = new Deferred<void>();
      d.callback(undefined);
      return d.addCallback(finish).addCallback(() => undefined);
    }
    // Cancelling a bound port's Deferred does nothing; an unbound one aborts the listen.
    waiting.cancel();
    return waiting
      .addCallback((port: IListeningPort | null) => {
        this.#port = null;
        return port?.stopListening();
      })
      .addCallback(finish)
      .addCallback(() => undefined);
  }

  /** Records the listen's outcome and tells everyone waiting for it. */
  #settle(outcome: Failure | IListeningPort): void {
    this.#outcome = outcome;
    const waiters = this.#waiters.splice(0);
    if (outcome instanceof Failure) {
      if (waiters.length === 0 && !outcome.check(CancelledError)) {
        log.failure("Cannot listen", outcome);
      }
      for (const waiter of waiters) waiter.errback(outcome);
    } else {
      for (const waiter of waiters) waiter.callback(undefined);
    }
  }
}
