/**
 * A TCP port forwarder (`twisted.protocols.portforward`): `ProxyFactory`
 * accepts connections and, for each, connects to a fixed `host:port` and
 * relays bytes both ways.
 *
 * Flow control is end to end: the incoming side is not read until the
 * outgoing connection is made, and then each transport is registered as the
 * other's streaming producer, so when one side cannot keep up its transport
 * pauses the other's reading (no unbounded buffer in the proxy). When either
 * side closes, the other is closed after its pending bytes are written; a
 * half-close (EOF) is passed on as a half-close where both transports support it.
 *
 * @example
 * ```ts
 * import { ProxyFactory } from "@tw/core/protocols/portforward";
 * import { MemoryReactor } from "@tw/core/testing";
 *
 * // Listen on a port with this factory: each connection is relayed to example.com:80.
 * const factory = new ProxyFactory("example.com", 80, { reactor: new MemoryReactor() });
 * console.log(factory.host, factory.port); // example.com 80
 * ```
 * @module
 */
// Importing this entry point alone installs the reactor its defaults use
// (`getReactor()`), as Twisted's `from twisted.internet import reactor` does.
import "../../runtimes/select.ts";
import type { Failure } from "../internet/failure.ts";
import type { Address } from "../internet/address.ts";
import type {
  IConnector,
  IHalfCloseableTransport,
  IReactorTCP,
  ITransport,
} from "../internet/interfaces.ts";
import { ClientFactory, Protocol, ServerFactory } from "../internet/protocol.ts";
import { getReactor } from "../internet/reactor.ts";
import { Logger } from "../logger/mod.ts";

const log = new Logger("tw.protocols.portforward");

/**
 * One side of a relay (`twisted.protocols.portforward.Proxy`): bytes it
 * receives are written to its peer's transport; when it loses its connection
 * it closes the peer's.
 *
 * @example
 * ```ts
 * import { Proxy } from "@tw/core/protocols/portforward";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const a = new Proxy();
 * const b = new Proxy();
 * const bTransport = new StringTransport();
 * a.makeConnection(new StringTransport());
 * b.makeConnection(bTransport);
 * a.setPeer(b);
 * b.setPeer(a);
 * a.dataReceived(new TextEncoder().encode("hi"));
 * console.log(bTransport.valueText()); // "hi"
 * ```
 */
export class Proxy extends Protocol {
  /** Log when the peer could not be reached. @default true */
  noisy = true;
  /** The other side of the relay, or null before it is connected. */
  peer: Proxy | null = null;
  /** True once this side's connection is lost. */
  lost = false;
  /** True once this side's peer sent EOF (`readConnectionLost`). */
  readClosed = false;

  /** Sets the other side of the relay. */
  setPeer(peer: Proxy | null): void {
    this.peer = peer;
  }

  /** Writes the bytes to the peer's transport. */
  override dataReceived(data: Uint8Array): void {
    this.peer?.transport.write(data);
  }

  /**
   * This side's remote end sent EOF: shut the peer transport's write side
   * where it can half-close, else close it (after its pending bytes).
   */
  readConnectionLost(): void {
    this.readClosed = true;
    const peer = this.peer;
    // Not relaying yet: the EOF is passed on once the peer is connected.
    if (peer === null) return;
    const t = peer.transport as Partial<IHalfCloseableTransport> & ITransport;
    // This side will read no more, so its transport is no longer the peer's
    // producer; a transport shuts its write side only once its producer is gone.
    unregisterQuietly(t);
    if (typeof t.loseWriteConnection === "function") t.loseWriteConnection();
    else t.loseConnection();
  }

  /** Closes the peer's connection (its pending bytes are written first). */
  override connectionLost(reason: Failure): void {
    this.lost = true;
    const peer = this.peer;
    if (peer !== null) {
      this.peer = null;
      closeAfterProducer(peer.transport);
    } else if (this.noisy) {
      log.info("Unable to connect to peer: {reason}", { reason: reason.getErrorMessage() });
    }
  }
}

/**
 * Closes `transport` after what was written to it: its producer (the other
 * side's transport, now gone) is unregistered first, because a transport
 * waits for its producer to unregister before it closes.
 */
function closeAfterProducer(transport: ITransport): void {
  unregisterQuietly(transport);
  transport.loseConnection();
}

/** Unregisters `transport`'s producer, if it has one. */
function unregisterQuietly(transport: ITransport): void {
  try {
    transport.unregisterProducer();
  } catch {
    // No producer registered (the relay never got connected, or it was already
    // unregistered after an EOF): nothing to undo.
  }
}

/**
 * The outgoing side (`twisted.protocols.portforward.ProxyClient`): once
 * connected it couples the two transports as each other's producers and lets
 * the incoming side be read.
 *
 * @example
 * ```ts
 * import { type ProxyClient, ProxyFactory } from "@tw/core/protocols/portforward";
 * import { MemoryReactor, StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const reactor = new MemoryReactor();
 * const addr = new IPv4Address("TCP", "192.0.2.1", 5000);
 * const server = new ProxyFactory("10.0.0.2", 80, { reactor }).buildProtocol(addr)!;
 * server.makeConnection(new StringTransport());
 * // Complete the outgoing connection the server asked the reactor for.
 * const outgoing = new StringTransport();
 * const client = reactor.tcpClients[0][2].buildProtocol(addr) as ProxyClient;
 * client.makeConnection(outgoing);
 * server.dataReceived(new TextEncoder().encode("GET /"));
 * console.log(outgoing.valueText()); // "GET /"
 * ```
 */
export class ProxyClient extends Proxy {
  /** Pairs up with the server side, couples the producers and resumes reading the incoming side. */
  override connectionMade(): void {
    const server = this.peer;
    if (server === null || server.lost) {
      // The incoming connection went away while this one was being made.
      this.peer = null;
      this.noisy = false;
      this.transport.loseConnection();
      return;
    }
    server.setPeer(this);
    // A slow side slows the other: each transport pauses the other's reading
    // when its own write buffer is full.
    this.transport.registerProducer(server.transport, true);
    server.transport.registerProducer(this.transport, true);
    (server as ProxyServer).flushPending?.();
    server.transport.resumeProducing();
  }
}

/**
 * Builds the outgoing side for one incoming connection (`ProxyClientFactory`).
 *
 * @example
 * ```ts
 * import { ProxyClientFactory, ProxyFactory } from "@tw/core/protocols/portforward";
 * import { MemoryReactor, StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const reactor = new MemoryReactor();
 * const factory = new ProxyFactory("10.0.0.2", 80, { reactor });
 * const server = factory.buildProtocol(new IPv4Address("TCP", "192.0.2.1", 5000))!;
 * server.makeConnection(new StringTransport());
 * const [host, port, clientFactory] = reactor.tcpClients[0];
 * console.log(host, port, clientFactory instanceof ProxyClientFactory); // 10.0.0.2 80 true
 * ```
 */
export class ProxyClientFactory extends ClientFactory {
  /** The incoming side this factory connects for. */
  server: ProxyServer | null = null;

  /** Makes the factory; `setServer` before connecting. */
  constructor() {
    super();
    this.protocol = ProxyClient;
    // One of these per relayed connection: "Starting factory" lines would be noise.
    this.noisy = false;
  }

  /** Sets the incoming side. */
  setServer(server: ProxyServer): void {
    this.server = server;
  }

  /** Builds a `ProxyClient` paired with the server side. */
  override buildProtocol(addr: Address): ProxyClient {
    const p = super.buildProtocol(addr) as ProxyClient;
    p.setPeer(this.server);
    return p;
  }

  /** The outgoing connection failed: close the incoming one. */
  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    if (this.server === null) return;
    if (this.server.noisy) {
      log.info("Unable to connect to peer: {reason}", { reason: reason.getErrorMessage() });
    }
    this.server.noisy = false;
    this.server.transport.loseConnection();
  }
}

/**
 * The incoming side (`twisted.protocols.portforward.ProxyServer`): pauses
 * reading, connects to the factory's `host:port` through `reactor` (or the
 * factory's, or the installed one) with a `ProxyClientFactory`.
 *
 * @example
 * ```ts
 * import { ProxyFactory, ProxyServer } from "@tw/core/protocols/portforward";
 * import { MemoryReactor, StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const reactor = new MemoryReactor();
 * const factory = new ProxyFactory("10.0.0.2", 80, { reactor });
 * const server = factory.buildProtocol(new IPv4Address("TCP", "192.0.2.1", 5000))!;
 * const incoming = new StringTransport();
 * server.makeConnection(incoming);
 * console.log(server instanceof ProxyServer, incoming.paused); // true true
 * console.log(reactor.tcpClients.length); // 1
 * ```
 */
export class ProxyServer extends Proxy {
  /** The client factory class used for the outgoing connection. */
  clientProtocolFactory: new () => ProxyClientFactory = ProxyClientFactory;
  /** The reactor that connects; null means the factory's, then the installed one. */
  reactor: IReactorTCP | null = null;
  /** The factory that built this protocol. */
  declare factory: ProxyFactory;
  /** The outgoing connection attempt, once started. */
  connector: IConnector | null = null;
  // Bytes that arrived after pauseProducing took effect: at most one read's worth.
  #pending: Uint8Array[] = [];

  /** Stops reading and starts the outgoing connection. */
  override connectionMade(): void {
    // Nothing is read from the incoming side until there is somewhere to send it.
    this.transport.pauseProducing();
    const client = new this.clientProtocolFactory();
    client.setServer(this);
    const reactor = this.reactor ?? this.factory.reactor ??
      (getReactor() as unknown as IReactorTCP);
    if (typeof reactor.connectTCP !== "function") {
      throw new TypeError("ProxyServer: the reactor cannot connectTCP; pass `reactor`");
    }
    this.connector = reactor.connectTCP(this.factory.host, this.factory.port, client);
  }

  /** Closes the peer, or gives up the outgoing attempt when there is no peer yet. */
  override connectionLost(reason: Failure): void {
    if (this.peer === null && this.connector !== null) {
      this.noisy = false;
      this.connector.disconnect();
    }
    super.connectionLost(reason);
  }

  /** Relays to the peer, or keeps the bytes until the peer is connected. */
  override dataReceived(data: Uint8Array): void {
    if (this.peer === null) this.#pending.push(data);
    else super.dataReceived(data);
  }

  /** Writes what arrived before the peer was connected (called by `ProxyClient`). */
  flushPending(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const chunk of pending) super.dataReceived(chunk);
    if (this.readClosed) this.readConnectionLost();
  }
}

/** Options of {@link ProxyFactory}. */
export interface ProxyFactoryOptions {
  /** The reactor that makes the outgoing connections. @default the installed reactor (`getReactor()`) */
  reactor?: IReactorTCP;
}

/**
 * Accepts connections and relays each to `host:port`
 * (`twisted.protocols.portforward.ProxyFactory`).
 *
 * @example
 * ```ts
 * import { ProxyFactory } from "@tw/core/protocols/portforward";
 * import { reactor } from "@tw/core";
 *
 * // Each connection to the listening port is relayed to 127.0.0.1:8080.
 * const port = reactor.listenTCP(0, new ProxyFactory("127.0.0.1", 8080), {
 *   interface: "127.0.0.1",
 * });
 * await port.whenListening(); // bound: connections are relayed from now on
 * await port.stopListening();
 * ```
 */
export class ProxyFactory extends ServerFactory {
  /** Where connections are relayed to. */
  host: string;
  /** The port relayed to. */
  port: number;
  /** The reactor that connects; null means the installed one. */
  reactor: IReactorTCP | null;

  /**
   * Makes the factory.
   * @param host where to relay to
   * @param port the port to relay to
   * @param options the reactor
   */
  constructor(host: string, port: number, options: ProxyFactoryOptions = {}) {
    super();
    this.protocol = ProxyServer;
    this.host = host;
    this.port = port;
    this.reactor = options.reactor ?? null;
  }
}
