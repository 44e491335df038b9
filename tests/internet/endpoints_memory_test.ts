/**
 * Endpoints over the real ports and connectors of tcp.ts, on the in-memory
 * network (no operating system sockets), with fake time for timeouts.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  clientFromString,
  ConnectingCancelledError,
  connectProtocol,
  HostnameEndpoint,
  serverFromString,
  TCP4ClientEndpoint,
  UNIXClientEndpoint,
  UNIXServerEndpoint,
} from "../../src/internet/endpoints.ts";
import * as tcp from "../../src/internet/tcp.ts";
import { MemoryNetwork } from "../../src/internet/memory_socket.ts";
import { Clock } from "../../src/internet/task.ts";
import { Deferred } from "../../src/internet/defer.ts";
import { Factory, Protocol } from "../../src/internet/protocol.ts";
import {
  CannotListenError,
  ConnectionRefusedError,
  DNSLookupError,
  TimeoutError,
} from "../../src/internet/error.ts";
import type { Failure } from "../../src/internet/failure.ts";
import type {
  ConnectTCPOptions,
  ConnectUNIXOptions,
  IConnector,
  IListeningPort,
  IProtocolFactory,
  IReactorNetwork,
  ListenTCPOptions,
  ListenUNIXOptions,
} from "../../src/internet/interfaces.ts";
import type { TlsOptions } from "../../src/internet/socket.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

/** A reactor made of tcp.ts over a MemoryNetwork, with fake time. */
class MemoryReactor extends Clock implements IReactorNetwork {
  readonly runtime: MemoryNetwork;
  constructor(network = new MemoryNetwork()) {
    super();
    this.runtime = network;
  }
  listenTCP(port: number, f: IProtocolFactory, o?: ListenTCPOptions): IListeningPort {
    return tcp.listenTCP(this.runtime, port, f, o);
  }
  connectTCP(host: string, port: number, f: IProtocolFactory, o?: ConnectTCPOptions): IConnector {
    return tcp.connectTCP(this.runtime, this, host, port, f, o);
  }
  listenSSL(
    port: number,
    f: IProtocolFactory,
    tls: TlsOptions,
    o?: ListenTCPOptions,
  ): IListeningPort {
    return tcp.listenSSL(this.runtime, port, f, tls, o);
  }
  connectSSL(
    host: string,
    port: number,
    f: IProtocolFactory,
    tls: TlsOptions,
    o?: ConnectTCPOptions,
  ): IConnector {
    return tcp.connectSSL(this.runtime, this, host, port, f, tls, o);
  }
  listenUNIX(address: string, f: IProtocolFactory, o?: ListenUNIXOptions): IListeningPort {
    return tcp.listenUNIX(this.runtime, address, f, o);
  }
  connectUNIX(address: string, f: IProtocolFactory, o?: ConnectUNIXOptions): IConnector {
    return tcp.connectUNIX(this.runtime, this, address, f, o);
  }
  resolve(name: string): Deferred<string[]> {
    return tcp.resolve(this.runtime, name);
  }
}

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

/** A client that collects what it receives and hears when the connection ends. */
class Collector extends Protocol {
  received = "";
  /** Fires with the name of the reason's error (a Failure would take the error path). */
  lost = new Deferred<string>();
  gotData = new Deferred<string>();
  override dataReceived(data: Uint8Array): void {
    this.received += new TextDecoder().decode(data);
    if (!this.gotData.called) this.gotData.callback(this.received);
  }
  override connectionLost(reason: Failure): void {
    this.lost.callback(reason.value.name);
  }
}

function portNumber(port: IListeningPort): number {
  return (port.getHost() as { port: number }).port;
}

describe("endpoints over the in-memory network", () => {
  it("a server from tcp:0 and a client from tcp:HOST:PORT exchange bytes", async () => {
    const reactor = new MemoryReactor();
    const port = await serverFromString(reactor, "tcp:0:interface=127.0.0.1")
      .listen(Factory.forProtocol(Echo));
    try {
      const client = await connectProtocol(
        clientFromString(reactor, `tcp:127.0.0.1:${portNumber(port)}`),
        new Collector(),
      );
      client.transport.write(new TextEncoder().encode("ping"));
      assert.equal(await client.gotData, "ping");
      client.transport.loseConnection();
      assert.equal(await client.lost, "ConnectionDone");
    } finally {
      await port.stopListening();
    }
    assert.equal(reactor.getDelayedCalls().length, 0, "the connect timeout was cancelled");
  });

  it("listen() on a port in use fails with CannotListenError", async () => {
    const reactor = new MemoryReactor();
    const first = await serverFromString(reactor, "tcp:0:interface=127.0.0.1")
      .listen(Factory.forProtocol(Echo));
    try {
      await assert.rejects(
        Promise.resolve(
          serverFromString(reactor, `tcp:${portNumber(first)}:interface=127.0.0.1`)
            .listen(Factory.forProtocol(Echo)),
        ),
        (e: Error) => e instanceof CannotListenError && /address in use/.test(e.message),
      );
    } finally {
      await first.stopListening();
    }
  });

  it("connect() to a closed port fails with ConnectionRefusedError", async () => {
    const reactor = new MemoryReactor();
    await assert.rejects(
      Promise.resolve(new TCP4ClientEndpoint(reactor, "127.0.0.1", 9).connect(
        Factory.forProtocol(Collector),
      )),
      ConnectionRefusedError,
    );
  });

  it("connect() fails with TimeoutError when the peer never answers", async () => {
    const network = new MemoryNetwork();
    network.blackhole("127.0.0.1", 7);
    const reactor = new MemoryReactor(network);
    const d = clientFromString(reactor, "tcp:127.0.0.1:7:timeout=5").connect(
      Factory.forProtocol(Collector),
    );
    reactor.advance(5);
    await assert.rejects(Promise.resolve(d), TimeoutError);
  });

  it("cancelling connect() stops the attempt with ConnectingCancelledError", async () => {
    const network = new MemoryNetwork();
    network.blackhole("127.0.0.1", 7);
    const reactor = new MemoryReactor(network);
    const d = new TCP4ClientEndpoint(reactor, "127.0.0.1", 7).connect(
      Factory.forProtocol(Collector),
    );
    d.cancel();
    await assert.rejects(Promise.resolve(d), ConnectingCancelledError);
    assert.equal(reactor.getDelayedCalls().length, 0, "the timeout is cancelled with the attempt");
  });

  it("HostnameEndpoint connects to a name and fails for an unknown one", async () => {
    const reactor = new MemoryReactor(new MemoryNetwork({ hosts: { "svc.test": ["127.0.0.1"] } }));
    const port = await serverFromString(reactor, "tcp:0:interface=127.0.0.1")
      .listen(Factory.forProtocol(Echo));
    try {
      const client = await connectProtocol(
        new HostnameEndpoint(reactor, "svc.test", portNumber(port)),
        new Collector(),
      );
      client.transport.write(new TextEncoder().encode("hello"));
      assert.equal(await client.gotData, "hello");
      client.transport.loseConnection();
      await client.lost;
      await assert.rejects(
        Promise.resolve(
          new HostnameEndpoint(reactor, "unknown.test", 1).connect(Factory.forProtocol(Collector)),
        ),
        DNSLookupError,
      );
    } finally {
      await port.stopListening();
    }
  });

  it("HostnameEndpoint moves to the next address when one refuses", async () => {
    const reactor = new MemoryReactor(
      new MemoryNetwork({ hosts: { "two.test": ["::1", "127.0.0.1"] } }),
    );
    const port = await serverFromString(reactor, "tcp:0:interface=127.0.0.1")
      .listen(Factory.forProtocol(Echo));
    try {
      const client = await connectProtocol(
        new HostnameEndpoint(reactor, "two.test", portNumber(port)),
        new Collector(),
      );
      assert.equal((client.transport.getPeer() as { host: string }).host, "127.0.0.1");
      client.transport.loseConnection();
      await client.lost;
    } finally {
      await port.stopListening();
    }
  });

  it("unix endpoints listen and connect on a socket path", async () => {
    const reactor = new MemoryReactor();
    const port = await new UNIXServerEndpoint(reactor, "/tmp/tw-endpoints.sock")
      .listen(Factory.forProtocol(Echo));
    try {
      const client = await connectProtocol(
        new UNIXClientEndpoint(reactor, "/tmp/tw-endpoints.sock"),
        new Collector(),
      );
      client.transport.write(new TextEncoder().encode("unix"));
      assert.equal(await client.gotData, "unix");
      client.transport.loseConnection();
      await client.lost;
    } finally {
      await port.stopListening();
    }
  });
});
