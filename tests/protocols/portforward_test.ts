import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AccumulatingProtocol,
  connectedServerAndClient,
  type IOPump,
  MemoryReactor,
  type StringTransport,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { ClientFactory, Factory, IPv4Address, Protocol } from "../../src/internet/protocol.ts";
import { Deferred } from "../../src/internet/defer.ts";
import { reactor } from "../../runtimes/select.ts";
import { ConnectionRefusedError } from "../../src/internet/error.ts";
import { Failure } from "../../src/internet/failure.ts";
import {
  ProxyClient,
  ProxyClientFactory,
  ProxyFactory,
  ProxyServer,
} from "../../src/protocols/portforward.ts";

trackLeaks({ beforeEach, afterEach });

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const userAddr = new IPv4Address("TCP", "10.1.1.1", 40000);
const backendAddr = new IPv4Address("TCP", "10.2.2.2", 80);

/** The proxy's incoming side on a transport, and the client factory it asked the reactor to connect. */
function accept(
  reactor = new MemoryReactor(),
): [ProxyServer, StringTransportWithDisconnection, ProxyClientFactory, MemoryReactor] {
  const factory = new ProxyFactory("backend.example", 8080, { reactor });
  factory.noisy = false;
  const server = factory.buildProtocol(userAddr) as ProxyServer;
  const transport = new StringTransportWithDisconnection();
  transport.protocol = server;
  server.makeConnection(transport);
  const [host, port, clientFactory] = reactor.tcpClients.at(-1)!;
  assert.equal(host, "backend.example");
  assert.equal(port, 8080);
  return [server, transport, clientFactory as ProxyClientFactory, reactor];
}

/** Completes the outgoing connection on a transport. */
function complete(
  clientFactory: ProxyClientFactory,
): [ProxyClient, StringTransportWithDisconnection] {
  const client = clientFactory.buildProtocol(backendAddr);
  const transport = new StringTransportWithDisconnection();
  transport.protocol = client;
  client.makeConnection(transport);
  return [client, transport];
}

describe("ProxyServer", () => {
  it("stops reading the incoming side until the outgoing connection is made", () => {
    const [server, st, clientFactory] = accept();
    assert.equal(st.producerState, "paused");
    assert.equal(server.peer, null);
    const [client, ct] = complete(clientFactory);
    assert.equal(server.peer, client);
    assert.equal(client.peer, server);
    assert.equal(st.producerState, "producing");
    st.loseConnection();
    assert.equal(ct.disconnecting, true);
  });

  it("relays bytes both ways", () => {
    const [server, st, clientFactory] = accept();
    const [client, ct] = complete(clientFactory);
    server.dataReceived(bytes("GET / HTTP/1.0\r\n\r\n"));
    assert.equal(ct.valueText(), "GET / HTTP/1.0\r\n\r\n");
    client.dataReceived(bytes("HTTP/1.0 200 OK\r\n"));
    assert.equal(st.valueText(), "HTTP/1.0 200 OK\r\n");
    ct.loseConnection();
    assert.equal(st.disconnecting, true);
  });

  it("keeps bytes that arrive before the outgoing connection and sends them first", () => {
    const [server, st, clientFactory] = accept();
    server.dataReceived(bytes("early "));
    const [client, ct] = complete(clientFactory);
    server.dataReceived(bytes("late"));
    assert.equal(ct.valueText(), "early late");
    assert.equal(client.peer, server);
    st.loseConnection();
  });

  it("couples the two transports as each other's streaming producers", () => {
    const [, st, clientFactory] = accept();
    const [, ct] = complete(clientFactory);
    assert.equal(ct.producer, st);
    assert.equal(ct.streaming, true);
    assert.equal(st.producer, ct);
    assert.equal(st.streaming, true);
    // The outgoing side's buffer fills: it pauses its producer, the incoming transport.
    ct.producer!.pauseProducing();
    assert.equal(st.producerState, "paused");
    ct.producer!.resumeProducing();
    assert.equal(st.producerState, "producing");
    // And the other way round.
    (st.producer as StringTransport).pauseProducing();
    assert.equal(ct.producerState, "paused");
    st.loseConnection();
  });

  it("closes the outgoing side when the incoming side closes, and the other way", () => {
    const [, st1, f1] = accept();
    const [, ct1] = complete(f1);
    st1.loseConnection();
    assert.equal(ct1.disconnecting, true);
    assert.equal(ct1.connected, false);
    // The dead side's transport is no longer the survivor's producer.
    assert.equal(ct1.producer, null);

    const [, st2, f2] = accept();
    const [, ct2] = complete(f2);
    ct2.loseConnection();
    assert.equal(st2.disconnecting, true);
    assert.equal(st2.producer, null);
  });

  it("passes an EOF on as a half-close, after unregistering the finished side as producer", () => {
    // A real transport shuts its write side only once its producer is gone.
    class HalfCloseTransport extends StringTransportWithDisconnection {
      producerAtHalfClose: unknown = "not called";
      loseWriteConnection(): void {
        this.producerAtHalfClose = this.producer;
      }
    }
    const [server, st, clientFactory] = accept();
    const client = clientFactory.buildProtocol(backendAddr);
    const ct = new HalfCloseTransport();
    ct.protocol = client;
    client.makeConnection(ct);
    server.readConnectionLost();
    assert.equal(ct.producerAtHalfClose, null);
    assert.equal(ct.disconnecting, false);
    // The other direction still flows, still coupled.
    client.dataReceived(bytes("answer"));
    assert.equal(st.valueText(), "answer");
    assert.equal(st.producer, ct);
    ct.loseConnection();
    assert.equal(st.disconnecting, true);
  });

  it("closes the other side at EOF when its transport cannot half-close", () => {
    const [server, st, clientFactory] = accept();
    const [, ct] = complete(clientFactory);
    server.readConnectionLost();
    assert.equal(ct.disconnecting, true);
    assert.equal(st.disconnecting, true);
  });

  it("closes the incoming side when the outgoing connection fails", () => {
    const [, st, clientFactory, reactor] = accept();
    clientFactory.clientConnectionFailed(
      reactor.connectors[0],
      new Failure(new ConnectionRefusedError()),
    );
    assert.equal(st.disconnecting, true);
  });

  it("gives up the outgoing attempt when the incoming side goes away first", () => {
    const [, st, clientFactory, reactor] = accept();
    st.loseConnection();
    assert.equal(reactor.connectors[0].disconnected, true);
    // Should the attempt complete anyway, the outgoing side closes at once.
    const [client, ct] = complete(clientFactory);
    assert.equal(ct.disconnecting, true);
    assert.equal(client.peer, null);
  });
});

describe("ProxyFactory through iosim", () => {
  class HalfCloseEcho extends AccumulatingProtocol {
    readConnectionLost(): void {
      this.transport.write(bytes(`got ${this.data.byteLength}`));
      this.transport.loseConnection();
    }
  }

  /** user <-> [ProxyServer ... ProxyClient] <-> backend, as two pumps. */
  function chain(
    backendProtocol: new () => Protocol = AccumulatingProtocol,
  ): [AccumulatingProtocol, AccumulatingProtocol, IOPump, IOPump] {
    const reactor = new MemoryReactor();
    const proxy = new ProxyFactory("backend", 80, { reactor });
    proxy.noisy = false;
    const [user, , front] = connectedServerAndClient<AccumulatingProtocol>(
      proxy,
      () => new AccumulatingProtocol(),
    );
    const clientFactory = reactor.tcpClients[0][2];
    const backendFactory = Factory.forProtocol(backendProtocol);
    backendFactory.noisy = false;
    const [, backend, back] = connectedServerAndClient<Protocol, AccumulatingProtocol>(
      backendFactory,
      clientFactory,
    );
    return [user, backend, front, back];
  }

  function flushBoth(front: IOPump, back: IOPump): void {
    for (let i = 0; i < 100; i++) {
      const moved = front.flush() || back.flush();
      if (!moved) return;
    }
  }

  it("relays a conversation and closes both ends", () => {
    const [user, backend, front, back] = chain();
    user.transport.write(bytes("hello backend"));
    flushBoth(front, back);
    assert.equal(dec.decode(backend.data), "hello backend");
    backend.transport.write(bytes("hello user"));
    flushBoth(front, back);
    assert.equal(dec.decode(user.data), "hello user");
    user.transport.loseConnection();
    flushBoth(front, back);
    assert.equal(user.closed, true);
    assert.equal(backend.closed, true);
  });

  it("slows a fast sender down to a slow receiver without buffering everything", () => {
    const [user, backend, front, back] = chain();
    back.serverIO.pauseProducing(); // the backend stops reading
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    let maxBuffered = 0;
    for (let i = 0; i < 16; i++) {
      user.transport.write(chunk);
      flushBoth(front, back);
      maxBuffered = Math.max(maxBuffered, back.clientIO.bufferedAmount);
    }
    // The proxy's outgoing buffer passed its high-water mark once, then the
    // incoming side stopped being read: the rest waits in the user's transport.
    assert.equal(front.serverIO.paused, true);
    assert.ok(maxBuffered <= back.clientIO.bufferSize + chunk.byteLength, `${maxBuffered}`);
    assert.ok(front.clientIO.bufferedAmount > 0);
    assert.equal(backend.data.byteLength, 0);
    back.serverIO.resumeProducing();
    flushBoth(front, back);
    assert.equal(front.serverIO.paused, false);
    assert.equal(backend.data.byteLength, 16 * chunk.byteLength);
    user.transport.loseConnection();
    flushBoth(front, back);
    assert.equal(backend.closed, true);
  });

  it("passes a half-close on and relays the answer that follows", () => {
    const [user, backend, front, back] = chain(HalfCloseEcho);
    user.transport.write(bytes("12345"));
    (user.transport as unknown as { loseWriteConnection(): void }).loseWriteConnection();
    flushBoth(front, back);
    assert.equal(dec.decode(user.data), "got 5");
    assert.equal(backend.closed, true);
    assert.equal(user.closed, true);
  });
});

/** Waits for `d`, failing after `seconds` of real time. */
async function within<T>(d: PromiseLike<T>, seconds = 10): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${seconds}s`)), seconds * 1000);
  });
  try {
    return await Promise.race([d, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe("ProxyFactory over real TCP", () => {
  it("relays 1 MiB to an echo server and back, then closes every connection", async () => {
    const backendLost = new Deferred<void>();
    class Echo extends Protocol {
      override dataReceived(data: Uint8Array): void {
        this.transport.write(data);
      }
      override connectionLost(): void {
        backendLost.callback(undefined);
      }
    }
    const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) % 251);
    const clientDone = new Deferred<Uint8Array>();
    class Client extends Protocol {
      chunks: Uint8Array[] = [];
      size = 0;
      override connectionMade(): void {
        for (let i = 0; i < big.byteLength; i += 64 * 1024) {
          this.transport.write(big.subarray(i, i + 64 * 1024));
        }
      }
      override dataReceived(data: Uint8Array): void {
        this.chunks.push(data);
        this.size += data.byteLength;
        if (this.size >= big.byteLength) this.transport.loseConnection();
      }
      override connectionLost(): void {
        const all = new Uint8Array(this.size);
        let at = 0;
        for (const c of this.chunks) {
          all.set(c, at);
          at += c.byteLength;
        }
        clientDone.callback(all);
      }
    }
    // The proxy's two sides report their ends too: the test waits for all four.
    const proxyServerLost = new Deferred<void>();
    const proxyClientLost = new Deferred<void>();
    class WatchedClient extends ProxyClient {
      override connectionLost(reason: Failure): void {
        super.connectionLost(reason);
        proxyClientLost.callback(undefined);
      }
    }
    class WatchedClientFactory extends ProxyClientFactory {
      constructor() {
        super();
        this.protocol = WatchedClient;
      }
    }
    class WatchedServer extends ProxyServer {
      override clientProtocolFactory = WatchedClientFactory;
      override connectionLost(reason: Failure): void {
        super.connectionLost(reason);
        proxyServerLost.callback(undefined);
      }
    }
    const backendFactory = Factory.forProtocol(Echo);
    backendFactory.noisy = false;
    const backend = reactor.listenTCP(0, backendFactory, { interface: "127.0.0.1" });
    let proxyPort: ReturnType<typeof reactor.listenTCP> | null = null;
    try {
      await within(backend.whenListening());
      const backendNumber = (backend.getHost() as IPv4Address).port;
      const proxy = new ProxyFactory("127.0.0.1", backendNumber, { reactor });
      proxy.noisy = false;
      proxy.protocol = WatchedServer;
      proxyPort = reactor.listenTCP(0, proxy, { interface: "127.0.0.1" });
      await within(proxyPort.whenListening());
      const client = ClientFactory.forProtocol(Client);
      client.noisy = false;
      reactor.connectTCP("127.0.0.1", (proxyPort.getHost() as IPv4Address).port, client);
      const echoed = await within(clientDone);
      await within(backendLost);
      await within(proxyServerLost);
      await within(proxyClientLost);
      assert.equal(echoed.byteLength, big.byteLength);
      assert.deepEqual(echoed, big);
    } finally {
      if (proxyPort !== null) await within(proxyPort.stopListening());
      await within(backend.stopListening());
    }
  });
});
