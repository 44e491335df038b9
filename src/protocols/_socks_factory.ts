/**
 * The SOCKS server factories: `SOCKSFactory` (SOCKS 4, 4a and 5) and the
 * single-version `SOCKSv4Factory` / `SOCKSv5Factory`, holding the settings
 * every `SOCKSServer` connection reads (portal, rules, timeouts, reactor).
 *
 * @module
 */
import type { IReactorTCP, IReactorTime } from "../internet/interfaces.ts";
import { ServerFactory } from "../internet/protocol.ts";
import { getReactor } from "../internet/reactor.ts";
import { type ICredentials, type InterfaceName, UsernamePassword } from "../cred/mod.ts";
import {
  ISOCKSUser,
  type MaybePromise,
  type SOCKSFactoryOptions,
  type SOCKSPortal,
  type SOCKSRequestInfo,
  SOCKSServer,
} from "./_socks_server.ts";

/**
 * A SOCKS 4, 4a and 5 server (`twisted.protocols.socks.SOCKSv4Factory`,
 * extended): CONNECT only (BIND and UDP ASSOCIATE are answered "command not
 * supported"), optional username/password authentication for SOCKS 5 through
 * a cred portal or `checkPassword`, a per-destination `allowConnect` rule,
 * and a handshake timeout.
 *
 * @example
 * ```ts
 * import { SOCKSFactory } from "@tw/core/protocols/socks";
 * import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "@tw/core/cred";
 * import { reactor } from "@tw/core";
 *
 * const users = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" });
 * const portal = new Portal({
 *   requestAvatar: (_id, _mind, iface) => [iface, {}, () => {}],
 * }, [users]);
 * const factory = new SOCKSFactory({ reactor, portal, handshakeTimeout: 10 });
 * console.log(factory.authRequired, factory.versions); // true [ 5 ]
 * const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
 * await port.stopListening();
 * ```
 */
export class SOCKSFactory extends ServerFactory {
  /** The portal that checks logins, or null. */
  readonly portal: SOCKSPortal | null;
  /** The password check, or null. */
  readonly checkPassword: ((username: string, password: string) => MaybePromise<boolean>) | null;
  /** The destination rule, or null for "allow all". */
  readonly allowConnect:
    | ((host: string, port: number, request: SOCKSRequestInfo) => MaybePromise<boolean>)
    | null;
  /** Builds the credentials given to the portal. */
  readonly makeCredentials: (username: string, password: string) => ICredentials;
  /** The avatar interfaces asked of the portal. */
  readonly interfaces: InterfaceName[];
  /** The SOCKS versions served. */
  readonly versions: readonly (4 | 5)[];
  /** Seconds a client has to finish its handshake (0: no limit). */
  readonly handshakeTimeout: number;
  /** Seconds an outgoing connection may take. */
  readonly connectTimeout: number;
  #reactor: (IReactorTCP & IReactorTime) | null;

  /**
   * Makes the factory.
   * @param options reactor, authentication, rules and timeouts
   */
  constructor(options: SOCKSFactoryOptions = {}) {
    super();
    this.protocol = SOCKSServer;
    this.#reactor = options.reactor ?? null;
    this.portal = options.portal ?? null;
    this.checkPassword = options.checkPassword ?? null;
    this.allowConnect = options.allowConnect ?? null;
    this.makeCredentials = options.makeCredentials ??
      ((username, password) => new UsernamePassword(username, password));
    this.interfaces = options.interfaces ?? [ISOCKSUser];
    this.versions = options.versions ?? (this.authRequired ? [5] : [4, 5]);
    this.handshakeTimeout = options.handshakeTimeout ?? 30;
    this.connectTimeout = options.connectTimeout ?? 30;
  }

  /** True when SOCKS 5 clients must log in. */
  get authRequired(): boolean {
    return this.portal !== null || this.checkPassword !== null;
  }

  /** The reactor's clock. */
  clock(): IReactorTime {
    return this.#reactor ?? (getReactor() as unknown as IReactorTime);
  }

  /** The reactor that connects. */
  connector(): IReactorTCP {
    const reactor = this.#reactor ?? (getReactor() as unknown as IReactorTCP);
    if (typeof reactor.connectTCP !== "function") {
      throw new TypeError("SOCKSFactory: the reactor cannot connectTCP; pass `reactor`");
    }
    return reactor;
  }
}

/**
 * A SOCKS 4 and 4a server only (`twisted.protocols.socks.SOCKSv4Factory`).
 *
 * @example
 * ```ts
 * import { encodeSOCKS5Greeting, SOCKS5Method, SOCKSv4Factory } from "@tw/core/protocols/socks";
 * import { MemoryReactorClock, StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const factory = new SOCKSv4Factory({ reactor: new MemoryReactorClock() });
 * const server = factory.buildProtocol(new IPv4Address("TCP", "192.0.2.1", 5000))!;
 * const transport = new StringTransport();
 * server.makeConnection(transport);
 * server.dataReceived(encodeSOCKS5Greeting([SOCKS5Method.NO_AUTH])); // a SOCKS 5 client
 * console.log(transport.value(), transport.disconnecting); // Uint8Array(2) [ 5, 255 ] true
 * ```
 */
export class SOCKSv4Factory extends SOCKSFactory {
  /**
   * Makes the factory.
   * @param options as for `SOCKSFactory`; `versions` is [4]
   */
  constructor(options: Omit<SOCKSFactoryOptions, "versions"> = {}) {
    super({ ...options, versions: [4] });
  }
}

/**
 * A SOCKS 5 server only.
 *
 * @example
 * ```ts
 * import { encodeSOCKS4Request, SOCKSv5Factory } from "@tw/core/protocols/socks";
 * import { MemoryReactorClock, StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const factory = new SOCKSv5Factory({ reactor: new MemoryReactorClock() });
 * const server = factory.buildProtocol(new IPv4Address("TCP", "192.0.2.1", 5000))!;
 * const transport = new StringTransport();
 * server.makeConnection(transport);
 * server.dataReceived(encodeSOCKS4Request("10.0.0.1", 80)); // a SOCKS 4 client
 * console.log(transport.value()[1], transport.disconnecting); // 91 true (SOCKS 4 "rejected")
 * ```
 */
export class SOCKSv5Factory extends SOCKSFactory {
  /**
   * Makes the factory.
   * @param options as for `SOCKSFactory`; `versions` is [5]
   */
  constructor(options: Omit<SOCKSFactoryOptions, "versions"> = {}) {
    super({ ...options, versions: [5] });
  }
}
