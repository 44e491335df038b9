/**
 * A recording reactor for the endpoint tests (like Twisted's MemoryReactor):
 * it records every listen and connect call, hands out fake ports and
 * connectors, resolves names from a table, and keeps fake time with `Clock`.
 * Tests complete or fail connections by hand.
 */
import { Deferred, fail, succeed } from "../../src/internet/defer.ts";
import { Clock } from "../../src/internet/task.ts";
import { Failure } from "../../src/internet/failure.ts";
import { DNSLookupError } from "../../src/internet/error.ts";
import { type Address, IPv4Address, IPv6Address, UNIXAddress } from "../../src/internet/address.ts";
import type {
  ConnectTCPOptions,
  ConnectUNIXOptions,
  IConnector,
  IListeningPort,
  IProtocol,
  IProtocolFactory,
  IReactorNetwork,
  ITransport,
  ListenTCPOptions,
  ListenUNIXOptions,
} from "../../src/internet/interfaces.ts";
import type { TlsOptions } from "../../src/internet/socket.ts";

/** How fake ports report their bind. */
export type BindMode = "at-once" | "no-whenListening" | "later" | "fail";

/** A fake listening port. */
export class FakePort implements IListeningPort {
  readonly address: Address;
  readonly bound: Deferred<IListeningPort>;
  stopped = false;
  whenListening?: () => Deferred<IListeningPort>;

  constructor(address: Address, mode: BindMode, bindError?: Error) {
    this.address = address;
    this.bound = new Deferred<IListeningPort>();
    if (mode === "at-once") this.bound.callback(this);
    if (mode === "fail") this.bound.errback(bindError ?? new Error("address in use"));
    if (mode !== "no-whenListening") {
      this.whenListening = () => {
        const d = new Deferred<IListeningPort>();
        this.bound.addCallbacks((p) => {
          d.callback(p);
          return p;
        }, (f) => {
          d.errback(f);
          return null;
        });
        return d;
      };
    }
  }

  startListening(): void {}

  stopListening(): Deferred<void> {
    this.stopped = true;
    return succeed(undefined);
  }

  getHost(): Address {
    return this.address;
  }
}

/** A fake connection attempt; the test decides its outcome. */
export class FakeConnector implements IConnector {
  readonly factory: IProtocolFactory & {
    startedConnecting?(c: IConnector): void;
    clientConnectionFailed?(c: IConnector, reason: Failure): void;
  };
  readonly destination: Address;
  state: "connecting" | "connected" | "stopped" | "failed" = "connecting";
  stopCalls = 0;
  disconnectCalls = 0;
  protocol: IProtocol | null = null;
  transport: FakeTransport | null = null;

  constructor(factory: IProtocolFactory, destination: Address) {
    this.factory = factory;
    this.destination = destination;
  }

  stopConnecting(): void {
    this.stopCalls++;
    if (this.state !== "connecting") throw new Error("not connecting");
    this.state = "stopped";
    this.factory.clientConnectionFailed?.(this, new Failure(new Error("user aborted")));
  }

  disconnect(): void {
    this.disconnectCalls++;
    if (this.state === "connecting") this.stopConnecting();
    else this.transport?.loseConnection();
  }

  connect(): void {}

  getDestination(): Address {
    return this.destination;
  }

  /** Completes the connection: builds the protocol and connects it to a fake transport. */
  succeed(peer: Address = this.destination, tls = true): IProtocol | null {
    this.state = "connected";
    const protocol = this.factory.buildProtocol(peer);
    this.protocol = protocol;
    if (protocol !== null) {
      this.transport = new FakeTransport(peer, tls);
      try {
        protocol.makeConnection(this.transport);
      } catch (error) {
        // As a real transport: the exception drops the connection.
        this.transport.thrown = error;
        this.transport.abortConnection();
      }
    }
    return protocol;
  }

  /** Fails the attempt with `error`. */
  fail(error: Error): void {
    this.state = "failed";
    this.factory.clientConnectionFailed?.(this, new Failure(error));
  }
}

/** A transport that records what happens to it. */
export class FakeTransport implements ITransport {
  readonly peer: Address;
  written: Uint8Array[] = [];
  disconnecting = false;
  aborted = false;
  tlsStarted: TlsOptions[] = [];
  /** What a write recorded just before TLS started (checks ordering). */
  events: string[] = [];
  thrown: unknown = undefined;

  constructor(peer: Address, tls = true) {
    this.peer = peer;
    if (tls) {
      this.startTLS = (options: TlsOptions): void => {
        this.events.push("startTLS");
        this.tlsStarted.push(options);
      };
    }
  }

  write(data: Uint8Array): void {
    this.events.push("write");
    this.written.push(data);
  }
  writeSequence(data: Iterable<Uint8Array>): void {
    for (const chunk of data) this.write(chunk);
  }
  loseConnection(): void {
    this.disconnecting = true;
  }
  abortConnection(): void {
    this.disconnecting = true;
    this.aborted = true;
  }
  getPeer(): Address {
    return this.peer;
  }
  getHost(): Address {
    return new IPv4Address("TCP", "10.0.0.1", 12345);
  }
  registerProducer(): void {}
  unregisterProducer(): void {}
  pauseProducing(): void {}
  resumeProducing(): void {}
  stopProducing(): void {}
  /** Present unless the transport was made without TLS support. */
  startTLS?: (options: TlsOptions) => void;
}

function ipAddress(host: string, port: number): Address {
  return host.includes(":")
    ? new IPv6Address("TCP", host, port)
    : new IPv4Address("TCP", host, port);
}

/** The recording reactor. */
export class FakeReactor extends Clock implements IReactorNetwork {
  /** `[port, factory, backlog, interface]`, as Twisted's MemoryReactor. */
  tcpServers: [number, IProtocolFactory, number | undefined, string | undefined][] = [];
  /** `[host, port, factory, timeout, bindAddress]`. */
  tcpClients: [
    string,
    number,
    IProtocolFactory,
    number | undefined,
    [string, number] | undefined,
  ][] = [];
  /** `[port, factory, tls, backlog, interface]`. */
  sslServers: [number, IProtocolFactory, TlsOptions, number | undefined, string | undefined][] = [];
  /** `[host, port, factory, tls, timeout, bindAddress]`. */
  sslClients: [
    string,
    number,
    IProtocolFactory,
    TlsOptions,
    number | undefined,
    [string, number] | undefined,
  ][] = [];
  /** `[address, factory, backlog, mode, wantPID]`. */
  unixServers: [
    string,
    IProtocolFactory,
    number | undefined,
    number | undefined,
    boolean | undefined,
  ][] = [];
  /** `[address, factory, timeout]`. */
  unixClients: [string, IProtocolFactory, number | undefined][] = [];
  connectors: FakeConnector[] = [];
  ports: FakePort[] = [];
  /** Names and their addresses; a missing name fails with DNSLookupError. */
  names = new Map<string, string[]>();
  /** Names whose resolution never finishes (to test cancelling). */
  slowNames = new Set<string>();
  resolved: string[] = [];
  pendingResolutions: Deferred<string[]>[] = [];
  bindMode: BindMode = "at-once";
  bindError: Error | undefined;
  /** When set, listen and connect methods throw it. */
  throwOnCall: Error | undefined;

  #port(address: Address): FakePort {
    if (this.throwOnCall) throw this.throwOnCall;
    const port = new FakePort(address, this.bindMode, this.bindError);
    this.ports.push(port);
    return port;
  }

  #connector(factory: IProtocolFactory, destination: Address): FakeConnector {
    if (this.throwOnCall) throw this.throwOnCall;
    const connector = new FakeConnector(factory, destination);
    this.connectors.push(connector);
    connector.factory.startedConnecting?.(connector);
    return connector;
  }

  listenTCP(
    port: number,
    factory: IProtocolFactory,
    options: ListenTCPOptions = {},
  ): IListeningPort {
    this.tcpServers.push([port, factory, options.backlog, options.interface]);
    return this.#port(ipAddress(options.interface || "0.0.0.0", port || 54321));
  }

  connectTCP(
    host: string,
    port: number,
    factory: IProtocolFactory,
    options: ConnectTCPOptions = {},
  ): IConnector {
    this.tcpClients.push([host, port, factory, options.timeout, options.bindAddress]);
    return this.#connector(factory, ipAddress(host, port));
  }

  listenSSL(
    port: number,
    factory: IProtocolFactory,
    tls: TlsOptions,
    options: ListenTCPOptions = {},
  ): IListeningPort {
    this.sslServers.push([port, factory, tls, options.backlog, options.interface]);
    return this.#port(ipAddress(options.interface || "0.0.0.0", port || 54321));
  }

  connectSSL(
    host: string,
    port: number,
    factory: IProtocolFactory,
    tls: TlsOptions,
    options: ConnectTCPOptions = {},
  ): IConnector {
    this.sslClients.push([host, port, factory, tls, options.timeout, options.bindAddress]);
    return this.#connector(factory, ipAddress(host, port));
  }

  listenUNIX(
    address: string,
    factory: IProtocolFactory,
    options: ListenUNIXOptions = {},
  ): IListeningPort {
    this.unixServers.push([address, factory, options.backlog, options.mode, options.wantPID]);
    return this.#port(new UNIXAddress(address));
  }

  connectUNIX(
    address: string,
    factory: IProtocolFactory,
    options: ConnectUNIXOptions = {},
  ): IConnector {
    this.unixClients.push([address, factory, options.timeout]);
    return this.#connector(factory, new UNIXAddress(address));
  }

  resolve(name: string): Deferred<string[]> {
    this.resolved.push(name);
    if (this.slowNames.has(name)) {
      const d = new Deferred<string[]>();
      this.pendingResolutions.push(d);
      return d;
    }
    const found = this.names.get(name);
    if (found === undefined) return fail(new DNSLookupError(`DNS lookup failed: ${name}`));
    return succeed([...found]);
  }
}

/** Captures a Deferred's outcome synchronously (Deferreds fire synchronously). */
export function outcome<T>(d: Deferred<T>): { result?: T; failure?: Failure; called: boolean } {
  const box: { result?: T; failure?: Failure; called: boolean } = { called: false };
  d.addCallbacks((r: T) => {
    box.called = true;
    box.result = r;
    return r;
  }, (f: Failure) => {
    box.called = true;
    box.failure = f;
    return null;
  });
  return box;
}
