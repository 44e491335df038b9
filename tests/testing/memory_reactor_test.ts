import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AccumulatingProtocol,
  FakeConnector,
  FakePort,
  MemoryReactor,
  MemoryReactorClock,
  StringTransport,
  trackLeaks,
} from "../../src/testing/mod.ts";
import {
  ClientFactory,
  DatagramProtocol,
  Factory,
  IPv4Address,
  IPv6Address,
  UNIXAddress,
} from "../../src/internet/protocol.ts";
import { DNSLookupError, ReactorNotRunning } from "../../src/internet/error.ts";
import type { IConnector } from "../../src/internet/interfaces.ts";
import {
  serverFromString,
  TCP4ClientEndpoint,
  TCP4ServerEndpoint,
} from "../../src/internet/endpoints.ts";

trackLeaks({ beforeEach, afterEach });

describe("MemoryReactor", () => {
  it("listenTCP() records [port, factory, backlog, interface] and returns a listening port", async () => {
    const reactor = new MemoryReactor();
    const factory = Factory.forProtocol(AccumulatingProtocol);
    const port = reactor.listenTCP(8080, factory);
    reactor.listenTCP(0, factory, { backlog: 5, interface: "127.0.0.1" });
    assert.deepEqual(reactor.tcpServers, [[8080, factory, 511, ""], [0, factory, 5, "127.0.0.1"]]);
    assert.ok(port instanceof FakePort);
    assert.deepEqual(port.getHost(), new IPv4Address("TCP", "0.0.0.0", 8080));
    assert.equal(await port.whenListening(), port);
    await port.stopListening();
    assert.equal(port.stopped, true);
  });

  it("connectTCP() records [host, port, factory, timeout, bindAddress] and tells the factory", () => {
    const reactor = new MemoryReactor();
    const started: IConnector[] = [];
    class Client extends ClientFactory {
      override startedConnecting(c: IConnector): void {
        started.push(c);
      }
    }
    const factory = Client.forProtocol(AccumulatingProtocol);
    const c = reactor.connectTCP("example.com", 80, factory);
    reactor.connectTCP("::1", 81, factory, { timeout: 3, bindAddress: ["::1", 0] });
    assert.deepEqual(reactor.tcpClients, [
      ["example.com", 80, factory, 30, null],
      ["::1", 81, factory, 3, ["::1", 0]],
    ]);
    assert.ok(c instanceof FakeConnector);
    assert.deepEqual(started, reactor.connectors);
    assert.deepEqual(reactor.connectors[1].getDestination(), new IPv6Address("TCP", "::1", 81));
    c.stopConnecting();
    c.disconnect();
    assert.equal(c.stoppedConnecting, true);
    assert.equal(c.disconnected, true);
  });

  it("lets a test drive the recorded factory over a StringTransport", () => {
    const reactor = new MemoryReactor();
    reactor.listenTCP(1234, Factory.forProtocol(AccumulatingProtocol));
    const [, factory] = reactor.tcpServers[0];
    const protocol = factory.buildProtocol(new IPv4Address("TCP", "1.2.3.4", 5)) as
      & AccumulatingProtocol
      & { factory: unknown };
    protocol.makeConnection(new StringTransport());
    protocol.dataReceived(new Uint8Array([1]));
    assert.equal(protocol.made, 1);
    assert.equal(protocol.factory, factory);
    assert.deepEqual(protocol.data, new Uint8Array([1]));
  });

  it("records SSL, UNIX and UDP calls the way Twisted does", () => {
    const reactor = new MemoryReactor();
    const factory = Factory.forProtocol(AccumulatingProtocol);
    const tls = { cert: "c", key: "k" };
    reactor.listenSSL(443, factory, tls, { interface: "::" });
    reactor.connectSSL("h", 443, factory, tls, { timeout: 9 });
    const unixPort = reactor.listenUNIX("/tmp/s", factory, { mode: 0o600 });
    reactor.connectUNIX("/tmp/s", factory, { checkPID: true });
    const proto = new DatagramProtocol();
    const udp = reactor.listenUDP(53, proto, { interface: "127.0.0.1" });
    assert.deepEqual(reactor.sslServers, [[443, factory, tls, 511, "::"]]);
    assert.deepEqual(reactor.sslClients, [["h", 443, factory, tls, 9, null]]);
    assert.deepEqual(reactor.unixServers, [["/tmp/s", factory, 511, 0o600, true]]);
    assert.deepEqual(reactor.unixClients, [["/tmp/s", factory, 30, true]]);
    assert.deepEqual(reactor.udpServers, [[53, proto, "127.0.0.1", 8192]]);
    assert.deepEqual(unixPort.getHost(), new UNIXAddress("/tmp/s"));
    assert.deepEqual(udp.getHost(), new IPv4Address("UDP", "127.0.0.1", 53));
    assert.deepEqual(reactor.sslServers[0][4], "::");
  });

  it("resolve() answers from its table, IP literals as themselves, others fail", async () => {
    const reactor = new MemoryReactor();
    reactor.resolutions.set("example.com", ["93.184.216.34", "2606:2800::1"]);
    assert.deepEqual(await reactor.resolve("example.com"), ["93.184.216.34", "2606:2800::1"]);
    assert.deepEqual(await reactor.resolve("10.1.2.3"), ["10.1.2.3"]);
    await assert.rejects(reactor.resolve("nowhere.invalid").asPromise(), DNSLookupError);
    assert.deepEqual(reactor.resolved, ["example.com", "10.1.2.3", "nowhere.invalid"]);
  });

  it("run() runs the callWhenRunning hooks, then stops", async () => {
    const reactor = new MemoryReactor();
    const calls: string[] = [];
    reactor.callWhenRunning((x: string) => calls.push(x), "hook");
    assert.equal(reactor.hasRun, false);
    await reactor.run();
    assert.deepEqual(calls, ["hook"]);
    assert.equal(reactor.hasRun, true);
    assert.equal(reactor.hasStopped, true);
    assert.equal(reactor.running, false);
    assert.throws(() => reactor.stop(), ReactorNotRunning);
  });

  it("records system event triggers and fires them phase by phase", async () => {
    const reactor = new MemoryReactor();
    const order: string[] = [];
    reactor.addSystemEventTrigger("after", "shutdown", () => order.push("after"));
    reactor.addSystemEventTrigger("before", "shutdown", () => order.push("before"));
    const id = reactor.addSystemEventTrigger("during", "shutdown", () => order.push("x"));
    reactor.addSystemEventTrigger("during", "shutdown", () => order.push("during"));
    assert.equal(reactor.triggers("shutdown").length, 4);
    reactor.removeSystemEventTrigger(id);
    assert.throws(() => reactor.removeSystemEventTrigger(id), RangeError);
    await reactor.fireSystemEvent("shutdown");
    assert.deepEqual(order, ["before", "during", "after"]);
    assert.equal(reactor.triggers("shutdown").length, 0);
  });
});

describe("MemoryReactorClock", () => {
  it("keeps fake time like Clock", () => {
    const reactor = new MemoryReactorClock();
    const fired: number[] = [];
    reactor.callLater(2, () => fired.push(reactor.seconds()));
    reactor.callLater(1, () => fired.push(reactor.seconds()));
    assert.equal(reactor.getDelayedCalls().length, 2);
    reactor.advance(1);
    assert.deepEqual(fired, [1]);
    reactor.pump([0.5, 0.5]);
    assert.deepEqual(fired, [1, 2]);
    assert.equal(reactor.getDelayedCalls().length, 0);
  });

  it("runs endpoints: a server endpoint listens through listenTCP", async () => {
    const reactor = new MemoryReactorClock();
    const endpoint = new TCP4ServerEndpoint(reactor, 7000, { interface: "127.0.0.1" });
    const port = await endpoint.listen(Factory.forProtocol(AccumulatingProtocol));
    assert.equal(reactor.tcpServers.length, 1);
    assert.equal(reactor.tcpServers[0][0], 7000);
    assert.equal(reactor.tcpServers[0][3], "127.0.0.1");
    await port.stopListening();
  });

  it("runs serverFromString() endpoints", async () => {
    const reactor = new MemoryReactorClock();
    const endpoint = serverFromString(reactor, "tcp:8443:interface=127.0.0.1:backlog=7");
    const port = await endpoint.listen(Factory.forProtocol(AccumulatingProtocol));
    assert.deepEqual(reactor.tcpServers.map(([p, , b, i]) => [p, b, i]), [[8443, 7, "127.0.0.1"]]);
    await port.stopListening();
  });

  it("runs endpoints: a client endpoint connects when the test builds the protocol", async () => {
    const reactor = new MemoryReactorClock();
    const endpoint = new TCP4ClientEndpoint(reactor, "10.0.0.9", 25);
    const d = endpoint.connect(Factory.forProtocol(AccumulatingProtocol));
    const [host, port, factory] = reactor.tcpClients[0];
    assert.deepEqual([host, port], ["10.0.0.9", 25]);
    const protocol = factory.buildProtocol(new IPv4Address("TCP", host, port));
    assert.ok(protocol !== null);
    protocol.makeConnection(new StringTransport());
    const connected = await d;
    assert.ok(connected instanceof AccumulatingProtocol);
    assert.equal(connected.made, 1);
    // The endpoint's connect timeout (if any) must not outlive the test.
    for (const call of reactor.getDelayedCalls()) call.cancel();
  });
});
