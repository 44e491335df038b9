/**
 * DNS over TLS for the client resolver (RFC 7858): one persistent TLS
 * connection per server, carrying the TCP framing of RFC 1035 s4.2.2, with
 * queries pipelined on it (RFC 7766 s6.2.1.1) and replies matched by id and
 * question. The connection is made on the first query, made again after it
 * closes, and closed after `idleTimeout` seconds without queries.
 *
 * @module
 */
import { Deferred, succeed } from "../../internet/defer.ts";
import { ConnectError, ConnectionDone, ConnectionLost } from "../../internet/error.ts";
import type { Failure } from "../../internet/failure.ts";
import type {
  IConnector,
  IDelayedCall,
  IReactorSSL,
  IReactorTime,
} from "../../internet/interfaces.ts";
import type { Address } from "../../internet/address.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { ClientFactory } from "../../internet/protocol.ts";
import { Logger } from "../../logger/mod.ts";
import {
  DNSProtocol,
  type DNSProtocolOptions,
  type DNSQueryOptions,
  type IDNSController,
} from "../_protocols.ts";
import { DNSQueryTimeoutError, ResolverError } from "../error.ts";
import type { Message, Query } from "../wire/_message.ts";

const log = new Logger("tw.names.client");

/** What DoT needs of a reactor: TLS connections and time. */
export type IReactorSSLTime = IReactorSSL & IReactorTime;

/** A way to send one query of the resolver's retry sequence: DoT or DoH. */
export interface IQueryExchange {
  /**
   * Sends `queries` to `server` (DoT: an `[address, port]`; DoH: its URL);
   * fires with the reply, or fails with `DNSQueryTimeoutError` after
   * `options.timeout` seconds. Cancelling stops it.
   */
  query(
    server: readonly [string, number] | string,
    queries: Query[],
    options: DNSQueryOptions & { timeout: number },
  ): Deferred<Message>;
  /** True for failures that let the sequence go on to its next attempt (connection trouble). */
  retryable(error: unknown): boolean;
  /** Closes every connection kept open. */
  close(): Deferred<void>;
}

/** Options of {@link DoTClient}. */
export interface DoTClientOptions {
  /** Seconds an unused connection stays open. @default 20 */
  idleTimeout?: number;
  /** Seconds a connection (TCP and the TLS handshake) may take. @default 10 */
  connectTimeout?: number;
}

/** The default seconds a DoT or DoH connection stays open without queries. */
export const DEFAULT_IDLE_TIMEOUT = 20;

function key([host, port]: readonly [string, number]): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The DoT connections of a resolver, one per server; `query` sends on the
 * server's connection, making it first when there is none.
 */
export class DoTClient implements IQueryExchange {
  readonly #reactor: IReactorSSLTime;
  readonly #tls: TlsOptions;
  readonly #idleTimeout: number;
  readonly #connectTimeout: number;
  readonly #connections = new Map<string, DoTConnection>();

  /** Makes the client; `tls` is used for every server (`serverName` defaults to its address). */
  constructor(reactor: IReactorSSLTime, tls: TlsOptions, options: DoTClientOptions = {}) {
    this.#reactor = reactor;
    this.#tls = { ...tls };
    this.#idleTimeout = options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT;
    this.#connectTimeout = options.connectTimeout ?? 10;
  }

  /** The servers with a connection open, as `host:port`. */
  get connected(): string[] {
    return [...this.#connections].filter(([, c]) => c.current !== null).map(([k]) => k);
  }

  /** See `IQueryExchange.query`. */
  query(
    server: readonly [string, number] | string,
    queries: Query[],
    options: DNSQueryOptions & { timeout: number },
  ): Deferred<Message> {
    if (typeof server === "string") throw new TypeError("DNS over TLS needs [address, port]");
    const name = key(server);
    let connection = this.#connections.get(name);
    if (connection === undefined) {
      connection = new DoTConnection(this.#reactor, server, this.#tls, {
        idleTimeout: this.#idleTimeout,
        connectTimeout: this.#connectTimeout,
        forget: (c) => {
          if (this.#connections.get(name) === c) this.#connections.delete(name);
        },
      });
      this.#connections.set(name, connection);
    }
    return connection.query(queries, options);
  }

  /** Connection trouble: a failed connect or handshake, or a connection that closed. */
  retryable(error: unknown): boolean {
    return error instanceof ConnectError || error instanceof ConnectionLost ||
      error instanceof ConnectionDone;
  }

  /** Closes every connection (pending queries fail with `ConnectionDone`). */
  close(): Deferred<void> {
    const all = [...this.#connections.values()];
    this.#connections.clear();
    return Deferred.fromPromise(Promise.all(all.map((c) => c.close())).then(() => {}));
  }
}

interface ConnectionOptions {
  idleTimeout: number;
  connectTimeout: number;
  forget(connection: DoTConnection): void;
}

/** One server's connection: made on demand, shared by every query to it. */
class DoTConnection extends ClientFactory {
  override noisy = false;
  /** The connected protocol, or null. */
  current: DNSProtocol | null = null;
  readonly #reactor: IReactorSSLTime;
  readonly #server: readonly [string, number];
  readonly #tls: TlsOptions;
  readonly #options: ConnectionOptions;
  readonly #waiters = new Set<Deferred<DNSProtocol>>();
  #connector: IConnector | null = null;
  #building: DNSProtocol | null = null;
  #idle: IDelayedCall | null = null;
  #inFlight = 0;
  #closed: Deferred<void>[] = [];
  #closing = false;

  constructor(
    reactor: IReactorSSLTime,
    server: readonly [string, number],
    tls: TlsOptions,
    options: ConnectionOptions,
  ) {
    super();
    this.#reactor = reactor;
    this.#server = server;
    this.#tls = tls;
    this.#options = options;
  }

  /** Sends `queries` on the connection (made first if needed), within `options.timeout`. */
  query(queries: Query[], options: DNSQueryOptions & { timeout: number }): Deferred<Message> {
    let stage: Deferred<unknown> | null = null;
    let done = false;
    let timer: IDelayedCall | null = null;
    let id = 0;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      if (timer?.active()) timer.cancel();
      return true;
    };
    const result = new Deferred<Message>(() => {
      if (!finish()) return;
      stage?.cancel();
    });
    timer = this.#reactor.callLater(options.timeout, () => {
      if (!finish()) return;
      stage?.cancel();
      result.errback(
        new DNSQueryTimeoutError(id, `DNS query ${id} to ${key(this.#server)} over TLS timed out`),
      );
    });
    const connected = this.#protocol();
    stage = connected;
    // Once close() ran, a failure is final: the sequence must not connect again.
    const fail = (failure: Failure): void => {
      if (!finish()) return;
      if (!this.#closing) return result.errback(failure);
      const why = `The DNS over TLS connection to ${key(this.#server)} was closed by the resolver`;
      result.errback(new ResolverError(why, { cause: failure.value }));
    };
    connected.addCallbacks((protocol: DNSProtocol) => {
      if (done) return null;
      id = protocol.pickID();
      const sent = protocol.query(queries, { ...options, id, timeout: options.timeout + 1 });
      stage = sent;
      this.#begin();
      sent.addCallbacks((message: Message) => {
        this.#end();
        if (finish()) result.callback(message);
        return null;
      }, (failure: Failure) => {
        this.#end();
        fail(failure);
        return null;
      });
      return null;
    }, (failure: Failure) => {
      fail(failure);
      return null;
    });
    return result;
  }

  /** The connected protocol, now or once connected. */
  #protocol(): Deferred<DNSProtocol> {
    if (this.current !== null && this.current.connected) return succeed(this.current);
    const waiter: Deferred<DNSProtocol> = new Deferred<DNSProtocol>(() => {
      this.#waiters.delete(waiter);
    });
    this.#waiters.add(waiter);
    if (this.#connector === null) {
      try {
        this.#connector = this.#reactor.connectSSL(
          this.#server[0],
          this.#server[1],
          this,
          this.#tls,
          { timeout: this.#options.connectTimeout },
        );
      } catch (error) {
        this.#connector = null;
        this.#waiters.delete(waiter);
        waiter.errback(error);
      }
    }
    return waiter;
  }

  override buildProtocol(_addr: Address): DNSProtocol {
    const protocol = new DoTProtocol(
      {
        messageReceived: (message: Message): void => {
          log.debug("Unexpected message {id} over TLS from {server}", {
            id: message.id,
            server: key(this.#server),
          });
        },
        connectionMade: (p: DNSProtocol): void => this.#made(p),
      },
      { reactor: this.#reactor },
      (p) => this.#lost(p),
    );
    protocol.factory = this;
    this.#building = protocol;
    return protocol;
  }

  #made(protocol: DNSProtocol): void {
    this.#building = null;
    if (this.#closing) {
      protocol.transport.loseConnection();
      return;
    }
    this.current = protocol;
    log.debug("DNS over TLS connection to {server} made", { server: key(this.#server) });
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const d of waiters) d.callback(protocol);
    if (this.#inFlight === 0) this.#startIdle();
  }

  #lost(protocol: DNSProtocol): void {
    if (this.current === protocol) this.current = null;
    this.#building = null;
    this.#connector = null;
    this.#stopIdle();
    this.#inFlight = 0;
    this.#options.forget(this);
    // A connection lost during the handshake leaves waiters: they fail now.
    this.#failWaiters(new ConnectionLost(`The TLS connection to ${key(this.#server)} closed`));
    for (const d of this.#closed.splice(0)) d.callback(undefined);
  }

  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    this.#connector = null;
    this.#options.forget(this);
    this.#failWaiters(reason.value);
    for (const d of this.#closed.splice(0)) d.callback(undefined);
  }

  #failWaiters(error: unknown): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const d of waiters) d.errback(error);
  }

  #begin(): void {
    this.#inFlight++;
    this.#stopIdle();
  }

  #end(): void {
    if (this.#inFlight > 0) this.#inFlight--;
    if (this.#inFlight === 0 && this.current !== null) this.#startIdle();
  }

  #startIdle(): void {
    this.#stopIdle();
    this.#idle = this.#reactor.callLater(this.#options.idleTimeout, () => {
      this.#idle = null;
      log.debug("Closing the idle DNS over TLS connection to {server}", {
        server: key(this.#server),
      });
      this.current?.transport.loseConnection();
    });
  }

  #stopIdle(): void {
    if (this.#idle?.active()) this.#idle.cancel();
    this.#idle = null;
  }

  /** Closes the connection, or stops making it; fires once it is gone. */
  close(): Deferred<void> {
    this.#closing = true;
    this.#stopIdle();
    this.#failWaiters(new ConnectionDone("The resolver closed its DNS over TLS connections"));
    const protocol = this.current ?? this.#building;
    if (protocol !== null && protocol.connected) {
      const d = new Deferred<void>();
      this.#closed.push(d);
      protocol.transport.loseConnection();
      return d;
    }
    if (this.#connector !== null) {
      const d = new Deferred<void>();
      this.#closed.push(d);
      this.#connector.disconnect();
      return d;
    }
    return succeed(undefined);
  }
}

/** A `DNSProtocol` telling its owner of its end before it fails its queries. */
class DoTProtocol extends DNSProtocol {
  readonly #lost: (protocol: DNSProtocol) => void;

  constructor(
    controller: IDNSController,
    options: DNSProtocolOptions,
    lost: (protocol: DNSProtocol) => void,
  ) {
    super(controller, options);
    this.#lost = lost;
  }

  /** The owner forgets the connection first, so that a query failing here connects anew. */
  override connectionLost(reason: Failure): void {
    this.#lost(this);
    super.connectionLost(reason);
  }
}
