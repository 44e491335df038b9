/**
 * TCP port forwarding (RFC 4254 §7, `twisted.conch.ssh.forwarding`): the
 * server side of `direct-tcpip` (`ssh -L`: connect out for the client) and of
 * `tcpip-forward` (`ssh -R`: listen, and open `forwarded-tcpip` channels back),
 * and the client side of `-L` (listen locally, open `direct-tcpip` channels).
 * Bytes flow both ways with backpressure: a channel whose peer stops reading
 * pauses the socket, and a paused socket stops the channel's window.
 * @module
 */
import { ClientFactory, Factory, Protocol } from "../../internet/protocol.ts";
import type { Address } from "../../internet/address.ts";
import type { Failure } from "../../internet/failure.ts";
import type {
  IConnector,
  IListeningPort,
  IProtocol,
  IReactorTCP,
  ITransport,
} from "../../internet/interfaces.ts";
import { Logger } from "../../logger/mod.ts";
import { getReactor } from "../../internet/reactor.ts";
import { OPEN } from "./_constants.ts";
import { ConchError, type ConchUser, type GlobalRequestResult } from "./_avatar.ts";
import { SSHChannel, type SSHChannelOptions } from "./_channel.ts";
import type { SSHConnection } from "./_connection.ts";
import { SSHReader, SSHWriter } from "./_wire.ts";

const log = new Logger("tw.conch.ssh");

/** A host and port. */
export type HostPort = [host: string, port: number];

/**
 * The open data of `direct-tcpip` and `forwarded-tcpip`: where to, and where from.
 *
 * @example
 * ```ts
 * import { packOpen_direct_tcpip, unpackOpen_direct_tcpip } from "@tw/core/conch";
 *
 * const data = packOpen_direct_tcpip(["example.com", 80], ["127.0.0.1", 4000]);
 * console.log(unpackOpen_direct_tcpip(data)); // [["example.com", 80], ["127.0.0.1", 4000]]
 * ```
 */
export function packOpen_direct_tcpip(connect: HostPort, origin: HostPort): Uint8Array {
  return new SSHWriter().string(connect[0]).uint32(connect[1]).string(origin[0])
    .uint32(origin[1]).bytes();
}

/**
 * Reads `packOpen_direct_tcpip`'s data; a short or bad message throws.
 *
 * @example
 * ```ts
 * import { packOpen_direct_tcpip, unpackOpen_direct_tcpip } from "@tw/core/conch";
 *
 * const [target] = unpackOpen_direct_tcpip(packOpen_direct_tcpip(["db", 5432], ["", 0]));
 * console.log(target); // ["db", 5432]
 * ```
 */
export function unpackOpen_direct_tcpip(data: Uint8Array): [HostPort, HostPort] {
  const reader = new SSHReader(data);
  const connect: HostPort = [reader.text(), reader.uint32()];
  const origin: HostPort = [reader.text(), reader.uint32()];
  if (connect[1] > 65535 || origin[1] > 65535) throw new RangeError("Port out of range");
  return [connect, origin];
}

/**
 * The same layout for `forwarded-tcpip` (the listening address, then the origin).
 *
 * @example
 * ```ts
 * import { packOpen_forwarded_tcpip } from "@tw/core/conch";
 *
 * console.log(packOpen_forwarded_tcpip(["127.0.0.1", 8022], ["10.0.0.9", 51000]).length); // 36
 * ```
 */
export const packOpen_forwarded_tcpip: (listening: HostPort, origin: HostPort) => Uint8Array =
  packOpen_direct_tcpip;
/**
 * Reads `forwarded-tcpip` open data.
 *
 * @example
 * ```ts
 * import { packOpen_forwarded_tcpip, unpackOpen_forwarded_tcpip } from "@tw/core/conch";
 *
 * const data = packOpen_forwarded_tcpip(["127.0.0.1", 8022], ["10.0.0.9", 51000]);
 * console.log(unpackOpen_forwarded_tcpip(data)[1]); // ["10.0.0.9", 51000]
 * ```
 */
export const unpackOpen_forwarded_tcpip: (data: Uint8Array) => [HostPort, HostPort] =
  unpackOpen_direct_tcpip;

/** Joins a channel and a socket: bytes each way, closes each way, backpressure each way. */
class Bridge extends Protocol {
  readonly #channel: SSHChannel;
  constructor(channel: SSHChannel) {
    super();
    this.#channel = channel;
  }
  override connectionMade(): void {
    // The channel pauses the socket while the SSH peer's window is shut.
    this.#channel.registerProducer(this.transport, true);
  }
  override dataReceived(data: Uint8Array): void {
    this.#channel.write(data);
  }
  /** The socket's peer will send no more: EOF on the channel, keep reading its answers. */
  readConnectionLost(): void {
    this.#channel.loseWriteConnection();
  }
  override connectionLost(_reason: Failure): void {
    this.#channel.unregisterProducer();
    this.#channel.loseConnection();
  }
}

/** The socket side of a forwarding channel: what the channel reads goes to it. */
class SocketEnd {
  transport: ITransport | null = null;
  pending: Uint8Array[] = [];
  eof = false;
  closed = false;
  write(data: Uint8Array): void {
    if (this.transport !== null) this.transport.write(data);
    else this.pending.push(data);
  }
  attach(transport: ITransport): void {
    this.transport = transport;
    for (const chunk of this.pending) transport.write(chunk);
    this.pending = [];
    if (this.closed) this.close();
    else if (this.eof) this.halfClose();
  }
  /** The SSH peer sent EOF: half-close the socket (or close it if it cannot). */
  halfClose(): void {
    this.eof = true;
    const transport = this.transport as (ITransport & { loseWriteConnection?(): void }) | null;
    if (transport === null) return;
    // A registered producer would hold the half-close back until unregistered.
    transport.unregisterProducer();
    if (typeof transport.loseWriteConnection === "function") transport.loseWriteConnection();
    else transport.loseConnection();
  }
  close(): void {
    this.closed = true;
    if (this.transport === null) return;
    this.transport.unregisterProducer();
    this.transport.loseConnection();
  }
}

/** Connects the socket of a `SSHConnectForwardingChannel`. */
class ConnectFactory extends ClientFactory {
  readonly #channel: SSHConnectForwardingChannel;
  readonly #socket: SocketEnd;
  constructor(channel: SSHConnectForwardingChannel, socket: SocketEnd) {
    super();
    this.noisy = false;
    this.#channel = channel;
    this.#socket = socket;
  }
  override buildProtocol(_address: Address): IProtocol {
    const bridge = new Bridge(this.#channel);
    const socket = this.#socket;
    const make = bridge.makeConnection.bind(bridge);
    bridge.makeConnection = (transport: ITransport) => {
      socket.attach(transport);
      make(transport);
    };
    return bridge;
  }
  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    const [host, port] = this.#channel.hostport;
    log.info("SSH forwarding to {host}:{port} failed: {reason}", {
      host,
      port,
      reason: reason.value.message,
    });
    this.#channel.loseConnection();
  }
}

/**
 * A channel that connects a TCP socket when it opens and carries bytes between
 * them: the server's `direct-tcpip`, or a client's end of `forwarded-tcpip`.
 *
 * @example
 * ```ts
 * import { packOpen_direct_tcpip, SSHConnectForwardingChannel } from "@tw/core/conch";
 *
 * const data = packOpen_direct_tcpip(["127.0.0.1", 8080], ["127.0.0.1", 50000]);
 * const channel = new SSHConnectForwardingChannel({ data });
 * console.log(channel.hostport); // ["127.0.0.1", 8080]
 * ```
 */
export class SSHConnectForwardingChannel extends SSHChannel {
  /** The channel type. */
  override name = "direct-tcpip";
  /** Where to connect. */
  hostport: HostPort;
  /** The reactor that connects (default: the connection's factory's, else the global one). */
  reactor: IReactorTCP | null = null;
  #socket = new SocketEnd();
  #connector: IConnector | null = null;

  /** A channel for the open data in `options.data` (or an explicit `hostport`). */
  constructor(options: SSHChannelOptions & { hostport?: HostPort; reactor?: IReactorTCP } = {}) {
    super(options);
    this.hostport = options.hostport ?? unpackOpen_direct_tcpip(this.data)[0];
    this.reactor = options.reactor ?? null;
  }

  /** Connects to `hostport`; bytes the peer sends meanwhile wait. */
  override channelOpen(_specificData: Uint8Array): void {
    const reactor = this.reactor ?? defaultReactor();
    const factory = new ConnectFactory(this, this.#socket);
    this.#connector = reactor.connectTCP(this.hostport[0], this.hostport[1], factory);
  }

  /** Bytes from the SSH peer go to the socket. */
  override dataReceived(data: Uint8Array): void {
    this.#socket.write(data);
  }

  /** The peer will send no more: half-close the socket. */
  override eofReceived(): void {
    this.#socket.halfClose();
  }

  /** Both closed: close the socket. */
  override closed(): void {
    if (this.#socket.transport === null) this.#connector?.stopConnecting();
    this.#socket.close();
  }
}

/**
 * The channel a listening side opens for each accepted connection: the
 * server's `forwarded-tcpip` (`-R`) or the client's `direct-tcpip` (`-L`).
 *
 * @example
 * ```ts
 * import { SSHListenForwardingChannel } from "@tw/core/conch";
 *
 * const channel = new SSHListenForwardingChannel("forwarded-tcpip", new Uint8Array(0));
 * console.log(channel.name); // "forwarded-tcpip"
 * ```
 */
export class SSHListenForwardingChannel extends SSHChannel {
  readonly #openData: Uint8Array;
  #socket = new SocketEnd();
  #bridge: Bridge;
  #transport: ITransport | null = null;

  /** A channel of type `name` with `openData` (from `packOpen_*`). */
  constructor(name: string, openData: Uint8Array, options: SSHChannelOptions = {}) {
    super(options);
    this.name = name;
    this.#openData = openData;
    this.#bridge = new Bridge(this);
  }

  /** The open data sent in CHANNEL_OPEN. */
  override specificData(): Uint8Array {
    return this.#openData;
  }

  /** The accepted socket to carry (called by the listening protocol). */
  attachSocket(transport: ITransport): void {
    this.#transport = transport;
    // Nothing is read from the socket until the channel is open.
    transport.pauseProducing();
  }

  /** Open: start carrying the socket's bytes. */
  override channelOpen(_specificData: Uint8Array): void {
    const transport = this.#transport;
    if (transport === null) return;
    this.#socket.attach(transport);
    this.#bridge.makeConnection(transport);
    transport.resumeProducing();
  }

  /** The peer refused: drop the socket. */
  override openFailed(reason: Error): void {
    log.info("SSH forwarding channel refused: {reason}", { reason: reason.message });
    this.#transport?.loseConnection();
  }

  /** Bytes from the SSH peer go to the socket. */
  override dataReceived(data: Uint8Array): void {
    this.#socket.write(data);
  }

  /** The peer will send no more: half-close the socket. */
  override eofReceived(): void {
    this.#socket.halfClose();
  }

  /** Both closed: close the socket. */
  override closed(): void {
    this.#socket.close();
  }

  /** The socket's protocol: bytes before the channel opens are held by pausing. */
  socketProtocol(): IProtocol {
    return new ListenSocketProtocol(this, this.#bridge);
  }
}

/** The accepted socket's protocol, feeding its channel. */
class ListenSocketProtocol extends Protocol {
  readonly #channel: SSHListenForwardingChannel;
  readonly #bridge: Bridge;
  constructor(channel: SSHListenForwardingChannel, bridge: Bridge) {
    super();
    this.#channel = channel;
    this.#bridge = bridge;
  }
  override connectionMade(): void {
    this.#channel.attachSocket(this.transport);
  }
  override dataReceived(data: Uint8Array): void {
    this.#bridge.dataReceived(data);
  }
  readConnectionLost(): void {
    this.#bridge.readConnectionLost();
  }
  override connectionLost(reason: Failure): void {
    this.#bridge.connectionLost(reason);
  }
}

/**
 * Listens for forwarded connections and opens one channel per connection on
 * `connection` (Twisted's `SSHListenForwardingFactory`). For `ssh -L` on a
 * client, `channelName` is "direct-tcpip" and `hostport` the remote target;
 * a server's `-R` uses "forwarded-tcpip" and the listening address.
 *
 * @example
 * ```ts
 * import { SSHConnection, SSHListenForwardingFactory } from "@tw/core/conch";
 *
 * const factory = new SSHListenForwardingFactory(
 *   new SSHConnection(),
 *   ["127.0.0.1", 80],
 *   "direct-tcpip",
 * );
 * console.log(factory.hostport); // ["127.0.0.1", 80]
 * ```
 */
export class SSHListenForwardingFactory extends Factory {
  /** The SSH connection channels are opened on. */
  readonly conn: SSHConnection;
  /** The target (direct-tcpip) or the listening address (forwarded-tcpip). */
  hostport: HostPort;
  /** The channel type opened per connection. */
  readonly channelName: string;

  /** Opens a `channelName` channel on `conn` for each connection accepted. */
  constructor(conn: SSHConnection, hostport: HostPort, channelName = "direct-tcpip") {
    super();
    this.noisy = false;
    this.conn = conn;
    this.hostport = hostport;
    this.channelName = channelName;
  }

  /** A protocol that opens a channel for the accepted connection. */
  override buildProtocol(address: Address): IProtocol {
    const peer = address as { host?: string; port?: number };
    const origin: HostPort = [peer.host ?? "", peer.port ?? 0];
    const channel = new SSHListenForwardingChannel(
      this.channelName,
      packOpen_direct_tcpip(this.hostport, origin),
    );
    const protocol = channel.socketProtocol();
    this.conn.openChannel(channel);
    return protocol;
  }
}

/** At most this many `tcpip-forward` listeners per user. */
const MAX_REMOTE_FORWARDS = 16;

/** What `enableForwarding` allows. */
export interface ForwardingOptions {
  /** The reactor that connects and listens. @default the global reactor */
  reactor?: IReactorTCP;
  /**
   * Let `tcpip-forward` listen on other interfaces than loopback (OpenSSH's
   * `GatewayPorts`). @default false: remote forwards listen on 127.0.0.1
   */
  gatewayPorts?: boolean;
  /** Allow `direct-tcpip` to `host:port`. @default every destination, as OpenSSH */
  allowConnect?: (host: string, port: number) => boolean;
}

function defaultReactor(): IReactorTCP {
  return getReactor();
}

/**
 * Turns on both forwardings for an avatar: `direct-tcpip` channels connect
 * out, `tcpip-forward` / `cancel-tcpip-forward` listen and stop. Listeners
 * close when the user logs out.
 *
 * @example
 * ```ts
 * import { ConchUser, enableForwarding } from "@tw/core/conch";
 *
 * const user = new ConchUser();
 * enableForwarding(user);
 * console.log(Object.keys(user.globalRequests)); // ["tcpip-forward", "cancel-tcpip-forward"]
 * ```
 */
export function enableForwarding(user: ConchUser, options: ForwardingOptions = {}): void {
  const reactor = () => options.reactor ?? defaultReactor();
  const listeners = new Map<string, IListeningPort>();
  const allow = options.allowConnect ?? (() => true);
  user.channelLookup["direct-tcpip"] = class extends SSHConnectForwardingChannel {
    constructor(channelOptions: SSHChannelOptions) {
      super({ ...channelOptions, reactor: options.reactor });
      if (!allow(this.hostport[0], this.hostport[1])) {
        throw new ConchError("forwarding refused", OPEN.ADMINISTRATIVELY_PROHIBITED);
      }
    }
  };
  user.globalRequests["tcpip-forward"] = async (data): Promise<GlobalRequestResult> => {
    const reader = new SSHReader(data);
    const requested = reader.text();
    const port = reader.uint32();
    if (port > 65535 || user.conn === null) return false;
    const loopback = requested === "localhost" || requested.startsWith("127.") ||
      requested === "::1";
    const host = options.gatewayPorts ? (requested === "" ? "0.0.0.0" : requested) : "127.0.0.1";
    if (!options.gatewayPorts && requested !== "" && !loopback) {
      log.info("SSH remote forward on {host} bound to 127.0.0.1 (gatewayPorts is off)", {
        host: requested,
      });
    }
    const factory = new SSHListenForwardingFactory(
      user.conn,
      [requested, port],
      "forwarded-tcpip",
    );
    if (listeners.size >= MAX_REMOTE_FORWARDS) return false;
    const listening = reactor().listenTCP(port, factory, { interface: host });
    try {
      await listening.whenListening?.();
    } catch {
      return false;
    }
    const bound = (listening.getHost() as { port?: number }).port ?? port;
    // Channels name the port the client asked for, or the one bound for port 0.
    factory.hostport = [requested, bound];
    listeners.set(`${requested}:${port === 0 ? bound : port}`, listening);
    return port === 0 ? [true, new SSHWriter().uint32(bound).bytes()] : true;
  };
  user.globalRequests["cancel-tcpip-forward"] = (data): GlobalRequestResult => {
    const reader = new SSHReader(data);
    const key = `${reader.text()}:${reader.uint32()}`;
    const listening = listeners.get(key);
    if (listening === undefined) return false;
    listeners.delete(key);
    void listening.stopListening();
    return true;
  };
  const logout = user.logout.bind(user);
  user.logout = () => {
    for (const listening of listeners.values()) void listening.stopListening();
    listeners.clear();
    logout();
  };
}
