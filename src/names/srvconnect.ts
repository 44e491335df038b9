/**
 * Connecting to a service by its SRV records (twisted.names.srvconnect,
 * RFC 2782): `SRVConnector` looks up `_service._proto.domain`, orders the
 * targets by priority and weighted chance, and connects to one; a factory
 * that reconnects (`connector.connect()` from `clientConnectionFailed`) gets
 * the next target, then a new round.
 *
 * @example
 * ```ts
 * import { ClientFactory, Protocol, reactor } from "@tw/core";
 * import { srvconnect } from "@tw/core/names";
 * import { common, dns } from "@tw/core/names";
 * import { succeed } from "@tw/core/defer";
 *
 * class OneTarget extends common.ResolverBase {
 *   protected doLookup(name: string) {
 *     const srv = new dns.Record_SRV({ priority: 0, weight: 0, port: 1, target: "127.0.0.1" });
 *     return succeed<common.LookupResult>([[new dns.RRHeader({ name, payload: srv })], [], []]);
 *   }
 * }
 * class Client extends ClientFactory {
 *   override clientConnectionFailed(): void {
 *     console.log("tried", connector.host, connector.port); // tried 127.0.0.1 1
 *   }
 * }
 * const connector = new srvconnect.SRVConnector(reactor, "xmpp-client", "example.com",
 *   Client.forProtocol(Protocol), { resolver: new OneTarget() });
 * connector.connect();
 * ```
 * @module
 */
import type { Address } from "../internet/address.ts";
import { DNSLookupError, UserError } from "../internet/error.ts";
import { Failure } from "../internet/failure.ts";
import type {
  ConnectTCPOptions,
  IConnector,
  IProtocol,
  IProtocolFactory,
  IReactorSSL,
  IReactorTCP,
} from "../internet/interfaces.ts";
import type { TlsOptions } from "../internet/socket.ts";
import { SRV } from "./wire/_constants.ts";
import type { Record_SRV } from "./wire/_records_data.ts";
import type { IResolver } from "./common.ts";
import { DNSNameError } from "./error.ts";

/** Options for an `SRVConnector`. */
export interface SRVConnectorOptions {
  /** The transport label in the SRV name (`_service._tcp.domain`). @default "tcp" */
  protocol?: string;
  /** The port to use on `domain` itself when there are no SRV records. @default none: fail */
  defaultPort?: number;
  /** Who looks the records up. @default getResolver() from `@tw/core/names` */
  resolver?: IResolver;
  /** Connect with TLS (`connectSSL`) using these options. @default plain TCP */
  tls?: TlsOptions;
  /** Passed to `connectTCP` / `connectSSL` for each attempt. */
  connectOptions?: ConnectTCPOptions;
  /** A random number in [0, 1) for the weighted choice (tests pass their own). @default Math.random */
  random?: () => number;
}

interface ClientFactoryLike extends IProtocolFactory {
  startedConnecting?(connector: IConnector): void;
  clientConnectionFailed?(connector: IConnector, reason: Failure): void;
  clientConnectionLost?(connector: IConnector, reason: Failure): void;
}

/**
 * Orders SRV targets as RFC 2782 says: lowest priority first, and among equal
 * priorities a weighted random pick (weight 0 entries first, with a small
 * chance). Returns a new array.
 *
 * @example
 * ```ts
 * import { dns, srvconnect } from "@tw/core/names";
 * const r = (priority: number, weight: number, target: string) =>
 *   new dns.Record_SRV({ priority, weight, port: 5222, target });
 * const order = srvconnect.orderServers([r(20, 0, "c"), r(10, 1, "a"), r(10, 0, "b")], () => 0.99);
 * console.log(order.map((s) => s.target.name)); // ["a", "b", "c"]
 * ```
 */
export function orderServers(
  servers: readonly Record_SRV[],
  random: () => number = Math.random,
): Record_SRV[] {
  const byPriority = new Map<number, Record_SRV[]>();
  for (const s of servers) {
    const list = byPriority.get(s.priority) ?? [];
    list.push(s);
    byPriority.set(s.priority, list);
  }
  const out: Record_SRV[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // Zero weights first, so they have a small chance when others exist (RFC 2782).
    const pool = byPriority.get(priority)!.slice().sort((a, b) => a.weight - b.weight);
    while (pool.length > 0) {
      const total = pool.reduce((n, s) => n + s.weight, 0);
      const pick = random() * (total + 1);
      let running = 0, index = pool.length - 1;
      for (let i = 0; i < pool.length; i++) {
        running += pool[i].weight;
        if (running >= pick) {
          index = i;
          break;
        }
      }
      out.push(pool.splice(index, 1)[0]);
    }
  }
  return out;
}

/**
 * Connects a client factory to a service located by SRV records (Twisted's
 * `SRVConnector`, an `IConnector`). After a lookup, each `connect()` tries
 * the next target; when all were tried, the order is drawn again.
 *
 * @example
 * ```ts
 * import { ClientFactory, Protocol, reactor } from "@tw/core";
 * import { SRVConnector } from "@tw/core/names";
 *
 * const connector = new SRVConnector(reactor, "imaps", "example.com",
 *   ClientFactory.forProtocol(Protocol), { defaultPort: 993 });
 * console.log(connector.service, connector.domain); // imaps example.com
 * ```
 */
export class SRVConnector implements IConnector {
  /** The reactor that connects. */
  readonly reactor: IReactorTCP & IReactorSSL;
  /** The service name, without the underscore. */
  readonly service: string;
  /** The domain whose service is wanted. */
  readonly domain: string;
  /** The application's factory. */
  readonly factory: IProtocolFactory;
  /** The transport label. */
  readonly protocol: string;
  /** Targets not tried yet in this round, in order (null before the lookup). */
  servers: Record_SRV[] | null = null;
  /** Targets already tried in this round. */
  orderedServers: Record_SRV[] = [];
  /** The host of the current or last attempt. */
  host: string | null = null;
  /** The port of the current or last attempt. */
  port: number | null = null;
  /** The connector of the current attempt. */
  connector: IConnector | null = null;
  readonly #options: SRVConnectorOptions;
  #all: Record_SRV[] = [];
  #fallback = false;
  #stopped = false;
  #looking = false;

  /** Creates the connector; `connect()` starts. */
  constructor(
    reactor: IReactorTCP & IReactorSSL,
    service: string,
    domain: string,
    factory: IProtocolFactory,
    options: SRVConnectorOptions = {},
  ) {
    this.reactor = reactor;
    this.service = service;
    this.domain = domain.replace(/\.$/, "");
    this.factory = factory;
    this.protocol = options.protocol ?? "tcp";
    this.#options = options;
  }

  /** Looks the targets up (once), then connects to the next one. */
  connect(): void {
    this.#stopped = false;
    const f = this.factory as ClientFactoryLike;
    if (this.servers === null) {
      if (this.#looking) return;
      this.#looking = true;
      f.startedConnecting?.(this);
      this.#lookup().then(
        () => {
          this.#looking = false;
          if (!this.#stopped) this.#next();
        },
        (error) => {
          this.#looking = false;
          this.servers = null;
          f.clientConnectionFailed?.(this, new Failure(error));
        },
      );
      return;
    }
    this.#next();
  }

  async #lookup(): Promise<void> {
    const resolver = this.#options.resolver ?? (await import("./client.ts")).getResolver();
    const name = `_${this.service}._${this.protocol}.${this.domain}`;
    let records: Record_SRV[] = [];
    try {
      const [answers] = await resolver.lookupService(name);
      records = answers.filter((rr) => rr.type === SRV && rr.payload).map((rr) =>
        rr.payload as Record_SRV
      );
    } catch (error) {
      // Some servers answer NXDOMAIN for a domain with no SRV records: treat as none.
      if (!(error instanceof DNSNameError)) throw error;
    }
    if (records.length === 1 && records[0].target.name === "") {
      throw new DNSLookupError(`Service ${this.service} is not available for ${this.domain}`);
    }
    if (records.length === 0) {
      if (this.#options.defaultPort === undefined) {
        throw new DNSLookupError(`No SRV records for ${name}, and no default port`);
      }
      this.#fallback = true;
    }
    this.#all = records;
    this.servers = orderServers(records, this.#options.random);
    this.orderedServers = [];
  }

  /** The next target as `[host, port]` (Twisted's `pickServer`). */
  pickServer(): [string, number] {
    if (this.#fallback || this.servers === null) {
      return [this.domain, this.#options.defaultPort ?? 0];
    }
    if (this.servers.length === 0) {
      this.servers = orderServers(this.#all, this.#options.random);
      this.orderedServers = [];
    }
    const chosen = this.servers.shift()!;
    this.orderedServers.push(chosen);
    return [chosen.target.name, chosen.port];
  }

  #next(): void {
    [this.host, this.port] = this.pickServer();
    const wrapper = new WrappingFactory(this);
    const { tls, connectOptions } = this.#options;
    this.connector = tls
      ? this.reactor.connectSSL(this.host, this.port, wrapper, tls, connectOptions)
      : this.reactor.connectTCP(this.host, this.port, wrapper, connectOptions);
  }

  /** Stops the lookup or the attempt in progress. */
  stopConnecting(): void {
    if (this.connector) {
      this.connector.stopConnecting();
      return;
    }
    if (this.#looking) {
      this.#stopped = true;
      (this.factory as ClientFactoryLike).clientConnectionFailed?.(
        this,
        new Failure(new UserError()),
      );
    }
  }

  /** Closes the connection, or stops connecting. */
  disconnect(): void {
    if (this.connector) this.connector.disconnect();
    else this.stopConnecting();
  }

  /** The address of the current attempt. @throws Error before one started */
  getDestination(): Address {
    if (!this.connector) throw new Error("SRVConnector has not picked a server yet");
    return this.connector.getDestination();
  }
}

/** Passes the factory's callbacks through, naming the SRVConnector as the connector. */
class WrappingFactory implements ClientFactoryLike {
  readonly #srv: SRVConnector;
  constructor(srv: SRVConnector) {
    this.#srv = srv;
  }
  buildProtocol(addr: Address): IProtocol | null {
    return this.#srv.factory.buildProtocol(addr);
  }
  doStart(): void {
    this.#srv.factory.doStart();
  }
  doStop(): void {
    this.#srv.factory.doStop();
  }
  startedConnecting(): void {}
  clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    (this.#srv.factory as ClientFactoryLike).clientConnectionFailed?.(this.#srv, reason);
  }
  clientConnectionLost(_connector: IConnector, reason: Failure): void {
    (this.#srv.factory as ClientFactoryLike).clientConnectionLost?.(this.#srv, reason);
  }
}
