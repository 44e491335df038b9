import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../src/internet/memory_socket.ts";
import {
  connectSSL,
  connectTCP,
  connectUNIX,
  listenSSL,
  listenTCP,
  listenUNIX,
  resolve,
} from "../../src/internet/tcp.ts";
import {
  ClientCreator,
  ClientFactory,
  Factory,
  Protocol,
  ReconnectingClientFactory,
} from "../../src/internet/protocol.ts";
import { Clock } from "../../src/internet/task.ts";
import {
  CannotListenError,
  ConnectionDone,
  ConnectionRefusedError,
  DNSLookupError,
  TimeoutError,
  UserError,
} from "../../src/internet/error.ts";
import { IPv4Address, UNIXAddress } from "../../src/internet/address.ts";
import type { Address } from "../../src/internet/address.ts";
import type { IConnector } from "../../src/internet/interfaces.ts";
import type { Failure } from "../../src/internet/failure.ts";
import { bytes, capturingLogger, MODES, settle, text, until } from "./_transport_helpers.ts";
import { liveResources } from "../../src/internet/_live.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

class Client extends Protocol {
  chunks: Uint8Array[] = [];
  lost: Failure[] = [];
  override connectionMade(): void {
    this.transport.write(bytes("ping"));
  }
  override dataReceived(data: Uint8Array): void {
    this.chunks.push(data);
  }
  override connectionLost(reason: Failure): void {
    this.lost.push(reason);
  }
}

/** A ClientFactory recording its callbacks in order. */
class RecordingClientFactory extends ClientFactory {
  events: string[] = [];
  failures: Failure[] = [];
  losses: Failure[] = [];
  built: Client[] = [];
  addrs: Address[] = [];
  constructor() {
    super();
    this.protocol = Client;
    this.noisy = false;
  }
  override startFactory(): void {
    this.events.push("start");
  }
  override stopFactory(): void {
    this.events.push("stop");
  }
  override startedConnecting(_c: IConnector): void {
    this.events.push("startedConnecting");
  }
  override buildProtocol(addr: Address): Client {
    this.addrs.push(addr);
    this.events.push("build");
    const p = super.buildProtocol(addr) as Client;
    this.built.push(p);
    return p;
  }
  override clientConnectionFailed(_c: IConnector, reason: Failure): void {
    this.events.push("failed");
    this.failures.push(reason);
  }
  override clientConnectionLost(_c: IConnector, reason: Failure): void {
    this.events.push("lost");
    this.losses.push(reason);
  }
}

function echoFactory(): Factory & { events: string[]; peers: Address[] } {
  const f = Factory.forProtocol(Echo) as Factory & { events: string[]; peers: Address[] };
  f.noisy = false;
  f.events = [];
  f.peers = [];
  const build = f.buildProtocol.bind(f);
  f.buildProtocol = (addr) => {
    f.peers.push(addr);
    return build(addr);
  };
  f.startFactory = () => f.events.push("start");
  f.stopFactory = () => f.events.push("stop");
  return f;
}

for (const mode of MODES) {
  describe(`tcp ports and connectors over a memory network (${mode.name})`, () => {
    const network = (): MemoryNetwork => new MemoryNetwork({ fastPath: mode.fastPath });

    it("listenTCP() and connectTCP() run an echo round trip", async () => {
      const net = network();
      const clock = new Clock();
      const server = echoFactory();
      const port = listenTCP(net, 0, server, { interface: "127.0.0.1" });
      const bound = await port.whenListening();
      assert.equal(bound, port);
      assert.deepEqual(server.events, ["start"]);
      const host = port.getHost() as IPv4Address;
      assert.ok(host instanceof IPv4Address);
      assert.notEqual(host.port, 0);
      const client = new RecordingClientFactory();
      const connector = connectTCP(net, clock, "127.0.0.1", host.port, client);
      assert.deepEqual(client.events, ["start", "startedConnecting"]);
      assert.equal(connector.state, "connecting");
      await until(() => text(client.built[0]?.chunks ?? []) === "ping");
      assert.equal(connector.state, "connected");
      const clientTransport = connector.transport!;
      assert.ok(liveResources().includes(port));
      assert.ok(liveResources().includes(clientTransport));
      assert.equal(port.connections.size, 1);
      assert.match(clientTransport.describeResource(), /^Client IPv4Address/);
      assert.equal(server.peers.length, 1);
      const peer = server.peers[0] as IPv4Address;
      assert.equal(peer.host, "127.0.0.1");
      assert.notEqual(peer.port, host.port);
      assert.deepEqual(connector.getDestination(), new IPv4Address("TCP", "127.0.0.1", host.port));
      connector.disconnect();
      await until(() => client.events.includes("lost"));
      assert.deepEqual(client.events, ["start", "startedConnecting", "build", "lost", "stop"]);
      assert.ok(client.losses[0].check(ConnectionDone));
      assert.equal(client.built[0].lost.length, 1);
      assert.equal(connector.state, "disconnected");
      assert.equal(clock.getDelayedCalls().length, 0);
      assert.ok(!liveResources().includes(clientTransport));
      await until(() => port.connections.size === 0);
      let fired = false;
      port.stopListening().addCallback(() => {
        // doStop ran before the Deferred fired.
        assert.deepEqual(server.events, ["start", "stop"]);
        fired = true;
      });
      await until(() => fired);
      assert.ok(!liveResources().includes(port));
    });

    it("a stopped port's open connections stay live resources until they close", async () => {
      const net = network();
      const clock = new Clock();
      const port = listenTCP(net, 0, echoFactory(), { interface: "127.0.0.1" });
      await port.whenListening();
      const client = new RecordingClientFactory();
      const connector = connectTCP(
        net,
        clock,
        "127.0.0.1",
        (port.getHost() as IPv4Address).port,
        client,
      );
      await until(() => port.connections.size === 1);
      const [serverTransport] = port.connections;
      assert.ok(liveResources().includes(serverTransport));
      await port.stopListening();
      // Listed through the stopped port's set, as before it stopped.
      assert.ok(!liveResources().includes(port));
      assert.ok(liveResources().includes(serverTransport));
      assert.equal(liveResources().filter((r) => r === serverTransport).length, 1);
      connector.disconnect();
      await until(() => port.connections.size === 0);
      assert.ok(!liveResources().includes(serverTransport));
    });

    it("a port in use fails whenListening() with CannotListenError naming the address", async () => {
      const net = network();
      const first = listenTCP(net, 8080, echoFactory(), { interface: "127.0.0.1" });
      await first.whenListening();
      const factory = echoFactory();
      const second = listenTCP(net, 8080, factory, { interface: "127.0.0.1" });
      const error = await second.whenListening().then(() => null, (e) => e);
      assert.ok(error instanceof CannotListenError);
      assert.equal(error.message, "Cannot listen on 127.0.0.1:8080: address in use");
      assert.deepEqual(factory.events, []);
      await second.stopListening();
      await first.stopListening();
    });

    it("logs a bind error when nobody asked whenListening()", async () => {
      const net = network();
      const { logger, events } = capturingLogger();
      const first = listenTCP(net, 9000, echoFactory());
      listenTCP(net, 9000, echoFactory(), { logger });
      await settle();
      assert.equal(events.length, 1);
      assert.ok(events[0].log_failure?.value instanceof CannotListenError);
      await first.stopListening();
    });

    it("stopListening() before the bind completes never starts the factory", async () => {
      const net = network();
      const factory = echoFactory();
      const port = listenTCP(net, 0, factory);
      await port.stopListening();
      await settle();
      assert.deepEqual(factory.events, []);
      assert.equal(port.listening, false);
    });

    it("a factory returning null closes the accepted connection", async () => {
      const net = network();
      const clock = new Clock();
      const refusing = echoFactory();
      refusing.buildProtocol = () => null;
      const port = listenTCP(net, 0, refusing);
      await port.whenListening();
      const client = new RecordingClientFactory();
      connectTCP(net, clock, "127.0.0.1", (port.getHost() as IPv4Address).port, client);
      await until(() => client.events.includes("lost"));
      assert.ok(client.losses[0].check(ConnectionDone));
      await port.stopListening();
    });

    it("a refused connection calls clientConnectionFailed with ConnectionRefusedError", async () => {
      const net = network();
      const clock = new Clock();
      const client = new RecordingClientFactory();
      connectTCP(net, clock, "127.0.0.1", 1, client);
      await until(() => client.events.includes("failed"));
      assert.deepEqual(client.events, ["start", "startedConnecting", "failed", "stop"]);
      assert.ok(client.failures[0].check(ConnectionRefusedError));
      assert.equal(clock.getDelayedCalls().length, 0);
    });

    it("an attempt that does not complete fails with TimeoutError after the timeout", async () => {
      const net = network();
      net.blackhole("10.0.0.1", 80);
      const clock = new Clock();
      const client = new RecordingClientFactory();
      const connector = connectTCP(net, clock, "10.0.0.1", 80, client, { timeout: 5 });
      await settle();
      clock.advance(4.9);
      assert.equal(client.failures.length, 0);
      clock.advance(0.1);
      assert.equal(client.failures.length, 1);
      assert.ok(client.failures[0].check(TimeoutError));
      assert.equal(connector.state, "disconnected");
      await settle();
      assert.equal(client.failures.length, 1);
    });

    it("defaults the connect timeout to 30 seconds", () => {
      const net = network();
      net.blackhole("10.0.0.1", 80);
      const clock = new Clock();
      const client = new RecordingClientFactory();
      connectTCP(net, clock, "10.0.0.1", 80, client);
      assert.equal(clock.getDelayedCalls()[0].getTime(), 30);
      clock.advance(30);
      assert.ok(client.failures[0].check(TimeoutError));
    });

    it("stopConnecting() fails the attempt with UserError", async () => {
      const net = network();
      net.blackhole("10.0.0.1", 80);
      const clock = new Clock();
      const client = new RecordingClientFactory();
      const connector = connectTCP(net, clock, "10.0.0.1", 80, client);
      connector.stopConnecting();
      assert.ok(client.failures[0].check(UserError));
      assert.throws(() => connector.stopConnecting(), /Not connecting/);
      assert.equal(clock.getDelayedCalls().length, 0);
      await settle();
    });

    it("resolves host names first and fails unknown ones with DNSLookupError", async () => {
      const net = network();
      net.setHost("echo.test", ["127.0.0.1"]);
      const resolved: string[] = [];
      const realResolve = net.resolve.bind(net);
      net.resolve = (name: string) => {
        resolved.push(name);
        return realResolve(name);
      };
      const clock = new Clock();
      const port = listenTCP(net, 7, echoFactory());
      await port.whenListening();
      const ok = new RecordingClientFactory();
      connectTCP(net, clock, "echo.test", 7, ok);
      await until(() => text(ok.built[0]?.chunks ?? []) === "ping");
      const literal = new RecordingClientFactory();
      connectTCP(net, clock, "127.0.0.1", 7, literal);
      await until(() => literal.built.length === 1);
      assert.deepEqual(resolved, ["echo.test"]);
      const bad = new RecordingClientFactory();
      connectTCP(net, clock, "nowhere.test", 7, bad);
      await until(() => bad.failures.length === 1);
      assert.ok(bad.failures[0].check(DNSLookupError));
      assert.match(bad.failures[0].getErrorMessage(), /nowhere\.test/);
      ok.built[0].transport.loseConnection();
      literal.built[0].transport.loseConnection();
      await until(() => ok.losses.length === 1 && literal.losses.length === 1);
      await port.stopListening();
    });

    it("resolve() returns the addresses and fails with DNSLookupError", async () => {
      const net = network();
      net.setHost("two.test", ["10.0.0.1", "::1"]);
      assert.deepEqual(await resolve(net, "two.test"), ["10.0.0.1", "::1"]);
      assert.deepEqual(await resolve(net, "192.0.2.1"), ["192.0.2.1"]);
      const error = await resolve(net, "nope.test").then(() => null, (e) => e);
      assert.ok(error instanceof DNSLookupError);
    });

    it("a ReconnectingClientFactory reconnects to a server that stops and comes back", async () => {
      const net = network();
      const clock = new Clock();
      let server = listenTCP(net, 5000, echoFactory());
      await server.whenListening();
      const built: Protocol[] = [];
      class Retry extends ReconnectingClientFactory {
        override buildProtocol(addr: Address): Protocol {
          this.resetDelay();
          const p = super.buildProtocol(addr) as Protocol;
          built.push(p);
          return p;
        }
      }
      const factory = Retry.forProtocol(Client);
      factory.noisy = false;
      factory.jitter = 0;
      factory.clock = clock;
      connectTCP(net, clock, "127.0.0.1", 5000, factory);
      await until(() => built.length === 1);
      // The server goes away: the connection drops and the next attempt is refused.
      built[0].transport.abortConnection();
      await server.stopListening();
      await until(() => clock.getDelayedCalls().length === 1);
      assert.equal(factory.retries, 1);
      clock.advance(factory.delay);
      await until(() => factory.retries === 2);
      // It comes back; the next retry connects.
      server = listenTCP(net, 5000, echoFactory());
      await server.whenListening();
      clock.advance(factory.delay);
      await until(() => built.length === 2);
      assert.equal(factory.retries, 0);
      factory.stopTrying();
      built[1].transport.loseConnection();
      await settle();
      assert.equal(clock.getDelayedCalls().length, 0);
      await server.stopListening();
    });

    it("listenUNIX() and connectUNIX() connect over a socket path", async () => {
      const net = network();
      const clock = new Clock();
      const port = listenUNIX(net, "/tmp/test.sock", echoFactory());
      await port.whenListening();
      assert.deepEqual(port.getHost(), new UNIXAddress("/tmp/test.sock"));
      const client = new RecordingClientFactory();
      const connector = connectUNIX(net, clock, "/tmp/test.sock", client);
      await until(() => text(client.built[0]?.chunks ?? []) === "ping");
      assert.deepEqual(connector.getDestination(), new UNIXAddress("/tmp/test.sock"));
      connector.disconnect();
      await until(() => client.losses.length === 1);
      await port.stopListening();
    });

    it("listenSSL() and connectSSL() pass TLS options to the runtime", async () => {
      const net = network();
      const seen: unknown[] = [];
      const listen = net.listen.bind(net);
      const connectRuntime = net.connect.bind(net);
      net.listen = (o) => {
        seen.push(o);
        return listen(o);
      };
      net.connect = (o) => {
        seen.push(o);
        return connectRuntime(o);
      };
      net.setHost("secure.test", ["127.0.0.1"]);
      const clock = new Clock();
      const port = listenSSL(net, 443, echoFactory(), { cert: "C", key: "K" });
      await port.whenListening();
      const client = new RecordingClientFactory();
      connectSSL(net, clock, "secure.test", 443, client, { ca: "CA" });
      await until(() => text(client.built[0]?.chunks ?? []) === "ping");
      assert.deepEqual((seen[0] as { tls: unknown }).tls, { cert: "C", key: "K" });
      assert.deepEqual((seen[1] as { tls: unknown }).tls, { ca: "CA", serverName: "secure.test" });
      client.built[0].transport.loseConnection();
      await until(() => client.losses.length === 1);
      await port.stopListening();
    });
  });
}

describe("ClientCreator", () => {
  function reactorOver(net: MemoryNetwork, clock: Clock) {
    return {
      connectTCP: (host: string, port: number, f: Factory, o?: { timeout?: number }) =>
        connectTCP(net, clock, host, port, f, o),
    };
  }

  it("fires with the connected protocol instance, built with the given arguments", async () => {
    const net = new MemoryNetwork();
    const clock = new Clock();
    const port = listenTCP(net, 7, echoFactory());
    await port.whenListening();
    class Tagged extends Client {
      tag: string;
      constructor(tag: string) {
        super();
        this.tag = tag;
      }
    }
    const p = await new ClientCreator(reactorOver(net, clock), Tagged, "t1").connectTCP(
      "127.0.0.1",
      7,
    );
    assert.equal(p.tag, "t1");
    assert.equal(p.connected, true);
    await until(() => text(p.chunks) === "ping");
    p.transport.loseConnection();
    await until(() => p.lost.length === 1);
    await port.stopListening();
  });

  it("fails with the connection error, and cancelling stops the attempt", async () => {
    const net = new MemoryNetwork();
    net.blackhole("10.9.9.9", 1);
    const clock = new Clock();
    const creator = new ClientCreator(reactorOver(net, clock), Client);
    const refused = await creator.connectTCP("127.0.0.1", 9).then(() => null, (e) => e);
    assert.ok(refused instanceof ConnectionRefusedError);
    const d = creator.connectTCP("10.9.9.9", 1);
    d.cancel();
    const error = await d.then(() => null, (e) => e);
    assert.ok(error instanceof Error);
    assert.equal(clock.getDelayedCalls().length, 0);
  });
});
