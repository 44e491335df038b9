import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ConnectingCancelledError,
  connectProtocol,
  HostnameEndpoint,
  NoProtocol,
  SSL4ClientEndpoint,
  SSL4ServerEndpoint,
  TCP4ClientEndpoint,
  TCP4ServerEndpoint,
  TCP6ClientEndpoint,
  TCP6ServerEndpoint,
  UNIXClientEndpoint,
  UNIXServerEndpoint,
  wrapClientTLS,
} from "../../src/internet/endpoints.ts";
import { interleaveAddresses } from "../../src/internet/_endpoints_hostname.ts";
import { Factory, Protocol } from "../../src/internet/protocol.ts";
import {
  CannotListenError,
  ConnectionRefusedError,
  DNSLookupError,
  TimeoutError,
} from "../../src/internet/error.ts";
import { IPv4Address, IPv6Address, UNIXAddress } from "../../src/internet/address.ts";
import type { Failure } from "../../src/internet/failure.ts";
import type { IProtocol } from "../../src/internet/interfaces.ts";
import { fakeCollectionForTesting } from "../../src/internet/_defer_unhandled.ts";
import { FakeReactor, outcome } from "./_endpoints_fakes.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

/** Records what the endpoint machinery does to it. */
class Recorder extends Protocol {
  events: string[] = [];
  override connectionMade(): void {
    this.events.push("connectionMade");
  }
  override dataReceived(data: Uint8Array): void {
    this.events.push(`data:${new TextDecoder().decode(data)}`);
  }
  override connectionLost(reason: Failure): void {
    this.events.push(`lost:${reason.value.name}`);
  }
}

class HalfCloseRecorder extends Recorder {
  readConnectionLost(): void {
    this.events.push("readConnectionLost");
  }
}

function factory(): Factory {
  return Factory.forProtocol(Recorder);
}

describe("TCP4ServerEndpoint.listen()", () => {
  it("listens with the port, backlog and interface, and fires with the bound port", () => {
    const reactor = new FakeReactor();
    const f = factory();
    const result = outcome(
      new TCP4ServerEndpoint(reactor, 8080, { backlog: 7, interface: "127.0.0.1" }).listen(f),
    );
    assert.deepEqual(reactor.tcpServers, [[8080, f, 7, "127.0.0.1"]]);
    assert.equal(result.result, reactor.ports[0]);
  });

  it("uses a backlog of 511 and all interfaces by default", () => {
    const reactor = new FakeReactor();
    new TCP4ServerEndpoint(reactor, 0).listen(factory());
    assert.deepEqual(reactor.tcpServers[0].slice(2), [511, ""]);
  });

  it("waits for the port's whenListening() before firing", () => {
    const reactor = new FakeReactor();
    reactor.bindMode = "later";
    const result = outcome(new TCP4ServerEndpoint(reactor, 80).listen(factory()));
    assert.equal(result.called, false);
    reactor.ports[0].bound.callback(reactor.ports[0]);
    assert.equal(result.result, reactor.ports[0]);
  });

  it("fires at once for a port without whenListening()", () => {
    const reactor = new FakeReactor();
    reactor.bindMode = "no-whenListening";
    const result = outcome(new TCP4ServerEndpoint(reactor, 80).listen(factory()));
    assert.equal(result.result, reactor.ports[0]);
  });

  it("fails with the port's CannotListenError when the bind fails", () => {
    const reactor = new FakeReactor();
    reactor.bindMode = "fail";
    reactor.bindError = new CannotListenError("127.0.0.1", 80, "address in use");
    const result = outcome(
      new TCP4ServerEndpoint(reactor, 80, { interface: "127.0.0.1" }).listen(factory()),
    );
    assert.equal(result.failure?.value, reactor.bindError);
  });

  it("wraps any other bind error in a CannotListenError naming the address", () => {
    const reactor = new FakeReactor();
    reactor.bindMode = "fail";
    reactor.bindError = new Error("no such device");
    const result = outcome(
      new TCP4ServerEndpoint(reactor, 81, { interface: "10.1.2.3" }).listen(factory()),
    );
    const error = result.failure?.value as CannotListenError;
    assert.ok(error instanceof CannotListenError);
    assert.match(error.message, /10\.1\.2\.3:81.*no such device/);
    assert.equal(error.cause, reactor.bindError);
  });

  it("turns a synchronous throw of the reactor into a failed Deferred", () => {
    const reactor = new FakeReactor();
    reactor.throwOnCall = new CannotListenError("", 80, "permission denied");
    const result = outcome(new TCP4ServerEndpoint(reactor, 80).listen(factory()));
    assert.equal(result.failure?.value, reactor.throwOnCall);
  });
});

describe("TCP6ServerEndpoint", () => {
  it("listens on all IPv6 interfaces by default", () => {
    const reactor = new FakeReactor();
    new TCP6ServerEndpoint(reactor, 0).listen(factory());
    assert.deepEqual(reactor.tcpServers[0].slice(2), [511, "::"]);
  });

  it("keeps an interface it is given", () => {
    const reactor = new FakeReactor();
    new TCP6ServerEndpoint(reactor, 0, { interface: "::1" }).listen(factory());
    assert.equal(reactor.tcpServers[0][3], "::1");
  });
});

describe("SSL4ServerEndpoint and UNIXServerEndpoint", () => {
  it("SSL4ServerEndpoint passes the TLS options to listenSSL", () => {
    const reactor = new FakeReactor();
    const tls = { cert: "C", key: "K" };
    const f = factory();
    const result = outcome(new SSL4ServerEndpoint(reactor, 443, tls).listen(f));
    assert.deepEqual(reactor.sslServers, [[443, f, tls, 511, ""]]);
    assert.equal(result.result, reactor.ports[0]);
  });

  it("SSL4ServerEndpoint calls a TLS options function at listen() and waits for it", async () => {
    const reactor = new FakeReactor();
    let calls = 0;
    const endpoint = new SSL4ServerEndpoint(reactor, 443, () => {
      calls++;
      return Promise.resolve({ cert: "C", key: "K" });
    });
    assert.equal(calls, 0);
    const port = await endpoint.listen(factory());
    assert.equal(calls, 1);
    assert.equal(port, reactor.ports[0]);
    assert.deepEqual(reactor.sslServers[0][2], { cert: "C", key: "K" });
  });

  it("SSL4ServerEndpoint fails with CannotListenError when the TLS options cannot be made", async () => {
    const reactor = new FakeReactor();
    const endpoint = new SSL4ServerEndpoint(
      reactor,
      443,
      () => Promise.reject(new Error("key.pem: not found")),
    );
    await assert.rejects(
      Promise.resolve(endpoint.listen(factory())),
      (e: Error) => e instanceof CannotListenError && /key\.pem: not found/.test(e.message),
    );
    assert.equal(reactor.sslServers.length, 0);
  });

  it("UNIXServerEndpoint listens with mode, backlog and wantPID", () => {
    const reactor = new FakeReactor();
    const f = factory();
    const result = outcome(
      new UNIXServerEndpoint(reactor, "/tmp/x.sock", { mode: 0o600, backlog: 3, wantPID: false })
        .listen(f),
    );
    assert.deepEqual(reactor.unixServers, [["/tmp/x.sock", f, 3, 0o600, false]]);
    assert.ok(result.result?.getHost() instanceof UNIXAddress);
  });

  it("UNIXServerEndpoint defaults to mode 666, backlog 511 and wantPID", () => {
    const reactor = new FakeReactor();
    new UNIXServerEndpoint(reactor, "/tmp/x.sock").listen(factory());
    assert.deepEqual(reactor.unixServers[0].slice(2), [511, 0o666, true]);
  });

  it("UNIXServerEndpoint wraps a bind failure in a CannotListenError naming the path", () => {
    const reactor = new FakeReactor();
    reactor.bindMode = "fail";
    reactor.bindError = new Error("read-only file system");
    const result = outcome(new UNIXServerEndpoint(reactor, "/ro/x.sock").listen(factory()));
    assert.ok(result.failure?.value instanceof CannotListenError);
    assert.match(result.failure!.value.message, /\/ro\/x\.sock: read-only file system/);
  });
});

describe("TCP4ClientEndpoint.connect()", () => {
  it("connects with host, port, timeout and bindAddress", () => {
    const reactor = new FakeReactor();
    new TCP4ClientEndpoint(reactor, "10.0.0.2", 25, { timeout: 5, bindAddress: ["10.0.0.1", 0] })
      .connect(factory());
    const [host, port, , timeout, bindAddress] = reactor.tcpClients[0];
    assert.deepEqual([host, port, timeout, bindAddress], ["10.0.0.2", 25, 5, ["10.0.0.1", 0]]);
  });

  it("uses a 30 second timeout by default", () => {
    const reactor = new FakeReactor();
    new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(factory());
    assert.equal(reactor.tcpClients[0][3], 30);
  });

  it("fires with the protocol built, after its connectionMade", () => {
    const reactor = new FakeReactor();
    const result = outcome(new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(factory()));
    assert.equal(result.called, false);
    reactor.connectors[0].succeed();
    const protocol = result.result as Recorder;
    assert.ok(protocol instanceof Recorder);
    assert.deepEqual(protocol.events, ["connectionMade"]);
    assert.equal(protocol.transport, reactor.connectors[0].transport);
  });

  it("passes data and the connection's end to the protocol", () => {
    const reactor = new FakeReactor();
    const result = outcome(new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(factory()));
    const wrapper = reactor.connectors[0].succeed()!;
    wrapper.dataReceived(new TextEncoder().encode("hi"));
    wrapper.connectionLost({ value: new Error("x") } as unknown as Failure);
    assert.deepEqual((result.result as Recorder).events, [
      "connectionMade",
      "data:hi",
      "lost:Error",
    ]);
  });

  it("fails with the connection error (ConnectionRefusedError, TimeoutError)", () => {
    for (const error of [new ConnectionRefusedError(), new TimeoutError()]) {
      const reactor = new FakeReactor();
      const result = outcome(new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(factory()));
      reactor.connectors[0].fail(error);
      assert.equal(result.failure?.value, error);
    }
  });

  it("aborts the attempt and fails with ConnectingCancelledError when cancelled", () => {
    const reactor = new FakeReactor();
    const d = new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(factory());
    const result = outcome(d);
    d.cancel();
    const error = result.failure?.value as ConnectingCancelledError;
    assert.ok(error instanceof ConnectingCancelledError);
    assert.deepEqual(error.address, new IPv4Address("TCP", "10.0.0.2", 25));
    assert.equal(reactor.connectors[0].stopCalls, 1);
    assert.equal(reactor.connectors[0].state, "stopped");
  });

  it("refuses a connection that completes after the attempt was cancelled", () => {
    const reactor = new FakeReactor();
    const d = new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(factory());
    outcome(d);
    d.cancel();
    assert.equal(
      reactor.connectors[0].factory.buildProtocol(new IPv4Address("TCP", "1.2.3.4", 1)),
      null,
    );
  });

  it("fails with NoProtocol when the factory returns null", () => {
    const reactor = new FakeReactor();
    const refusing = { doStart() {}, doStop() {}, buildProtocol: () => null };
    const result = outcome(new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(refusing));
    assert.equal(reactor.connectors[0].succeed(), null);
    assert.ok(result.failure?.value instanceof NoProtocol);
  });

  it("fails with the factory's exception", () => {
    const reactor = new FakeReactor();
    const boom = new Error("boom");
    const throwing = {
      doStart() {},
      doStop() {},
      buildProtocol(): IProtocol {
        throw boom;
      },
    };
    const result = outcome(new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(throwing));
    reactor.connectors[0].succeed();
    assert.equal(result.failure?.value, boom);
  });

  it("fails with the exception of the protocol's connectionMade, and the connection drops", () => {
    const reactor = new FakeReactor();
    const boom = new Error("connectionMade failed");
    class Bad extends Protocol {
      override connectionMade(): void {
        throw boom;
      }
    }
    const result = outcome(
      new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(Factory.forProtocol(Bad)),
    );
    reactor.connectors[0].succeed();
    assert.equal(result.failure?.value, boom);
    assert.equal(reactor.connectors[0].transport?.aborted, true);
  });

  it("turns a synchronous throw of the reactor into a failed Deferred", () => {
    const reactor = new FakeReactor();
    reactor.throwOnCall = new RangeError("bad port");
    const result = outcome(new TCP4ClientEndpoint(reactor, "10.0.0.2", 99999).connect(factory()));
    assert.equal(result.failure?.value, reactor.throwOnCall);
  });

  it("passes doStart and doStop on to the user's factory", () => {
    const reactor = new FakeReactor();
    const calls: string[] = [];
    const f = {
      doStart: () => calls.push("start"),
      doStop: () => calls.push("stop"),
      buildProtocol: () => new Protocol(),
    };
    new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(f);
    const wrapping = reactor.connectors[0].factory;
    wrapping.doStart();
    wrapping.doStop();
    assert.deepEqual(calls, ["start", "stop"]);
  });

  it("offers readConnectionLost only when the protocol is half-closeable", () => {
    const reactor = new FakeReactor();
    new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(factory());
    new TCP4ClientEndpoint(reactor, "10.0.0.2", 25).connect(Factory.forProtocol(HalfCloseRecorder));
    const plain = reactor.connectors[0].succeed() as { readConnectionLost?: () => void };
    const half = reactor.connectors[1].succeed() as { readConnectionLost?: () => void };
    assert.equal(plain.readConnectionLost, undefined);
    assert.equal(typeof half.readConnectionLost, "function");
    half.readConnectionLost!();
    const inner = (half as unknown as { wrappedProtocol: HalfCloseRecorder }).wrappedProtocol;
    assert.deepEqual(inner.events, ["connectionMade", "readConnectionLost"]);
  });
});

describe("the other client endpoints", () => {
  it("TCP6ClientEndpoint connects to an IPv6 address", () => {
    const reactor = new FakeReactor();
    const result = outcome(new TCP6ClientEndpoint(reactor, "::1", 25).connect(factory()));
    reactor.connectors[0].succeed();
    assert.equal(reactor.tcpClients[0][0], "::1");
    assert.ok(result.result instanceof Recorder);
  });

  it("TCP6ClientEndpoint resolves a name to its first IPv6 address", () => {
    const reactor = new FakeReactor();
    reactor.names.set("dual.example", ["192.0.2.1", "2001:db8::7", "2001:db8::8"]);
    const result = outcome(new TCP6ClientEndpoint(reactor, "dual.example", 25).connect(factory()));
    assert.deepEqual(reactor.tcpClients.map((c) => c[0]), ["2001:db8::7"]);
    reactor.connectors[0].succeed();
    assert.ok(result.result instanceof Recorder);
  });

  it("TCP6ClientEndpoint fails with DNSLookupError for a name without an IPv6 address", () => {
    const reactor = new FakeReactor();
    reactor.names.set("v4only.example", ["192.0.2.1"]);
    const result = outcome(
      new TCP6ClientEndpoint(reactor, "v4only.example", 25).connect(factory()),
    );
    assert.ok(result.failure?.value instanceof DNSLookupError);
    assert.match(result.failure!.value.message, /no IPv6 address/);
    assert.equal(reactor.tcpClients.length, 0);
  });

  it("TCP6ClientEndpoint cancelled during the lookup cancels it", () => {
    const reactor = new FakeReactor();
    reactor.slowNames.add("slow.example");
    const d = new TCP6ClientEndpoint(reactor, "slow.example", 25).connect(factory());
    const result = outcome(d);
    d.cancel();
    assert.ok(result.failure?.value instanceof ConnectingCancelledError);
    assert.equal(reactor.pendingResolutions[0].called, true);
    assert.equal(reactor.tcpClients.length, 0);
  });

  it("SSL4ClientEndpoint connects with connectSSL and its TLS options", () => {
    const reactor = new FakeReactor();
    const tls = { serverName: "example.org", ca: "CA" };
    const result = outcome(
      new SSL4ClientEndpoint(reactor, "10.0.0.2", 443, tls, { timeout: 9 }).connect(factory()),
    );
    const [host, port, , options, timeout] = reactor.sslClients[0];
    assert.deepEqual([host, port, options, timeout], ["10.0.0.2", 443, tls, 9]);
    reactor.connectors[0].succeed();
    assert.ok(result.result instanceof Recorder);
  });

  it("SSL4ClientEndpoint cancelled while its TLS options load fails with ConnectingCancelledError", async () => {
    const reactor = new FakeReactor();
    let release!: (tls: object) => void;
    const d = new SSL4ClientEndpoint(
      reactor,
      "10.0.0.2",
      443,
      () => new Promise((resolve) => (release = resolve)),
    ).connect(factory());
    const result = outcome(d);
    d.cancel();
    assert.ok(result.failure?.value instanceof ConnectingCancelledError);
    release({});
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(reactor.sslClients.length, 0, "no connection is started after cancelling");
  });

  it("UNIXClientEndpoint connects to the path with its timeout", () => {
    const reactor = new FakeReactor();
    const f = factory();
    const result = outcome(
      new UNIXClientEndpoint(reactor, "/tmp/x.sock", { timeout: 4 }).connect(f),
    );
    assert.equal(reactor.unixClients[0][0], "/tmp/x.sock");
    assert.equal(reactor.unixClients[0][2], 4);
    reactor.connectors[0].succeed();
    assert.ok(result.result instanceof Recorder);
  });
});

describe("connectProtocol()", () => {
  it("connects the given protocol and fires with it", () => {
    const reactor = new FakeReactor();
    const protocol = new Recorder();
    const result = outcome(
      connectProtocol(new TCP4ClientEndpoint(reactor, "10.0.0.2", 25), protocol),
    );
    reactor.connectors[0].succeed();
    assert.equal(result.result, protocol);
    assert.deepEqual(protocol.events, ["connectionMade"]);
  });
});

describe("wrapClientTLS()", () => {
  it("starts TLS before the protocol sees the connection, and fires with the protocol", () => {
    const reactor = new FakeReactor();
    class Greeter extends Recorder {
      override connectionMade(): void {
        super.connectionMade();
        this.transport.write(new TextEncoder().encode("hello"));
      }
    }
    const endpoint = wrapClientTLS(
      { serverName: "example.org" },
      new TCP4ClientEndpoint(reactor, "10.0.0.2", 443),
    );
    const result = outcome(endpoint.connect(Factory.forProtocol(Greeter)));
    reactor.connectors[0].succeed();
    const transport = reactor.connectors[0].transport!;
    assert.deepEqual(transport.tlsStarted, [{ serverName: "example.org" }]);
    assert.deepEqual(transport.events, ["startTLS", "write"]);
    assert.ok(result.result instanceof Greeter);
    assert.equal((result.result as Greeter).transport, transport);
  });

  it("fails when the transport cannot start TLS", () => {
    const reactor = new FakeReactor();
    const endpoint = wrapClientTLS({}, new TCP4ClientEndpoint(reactor, "10.0.0.2", 443));
    const result = outcome(endpoint.connect(factory()));
    reactor.connectors[0].succeed(undefined, false);
    assert.ok(result.failure?.value instanceof TypeError);
    assert.match(result.failure!.value.message, /startTLS/);
  });

  it("passes the wrapped endpoint's failure on", () => {
    const reactor = new FakeReactor();
    const endpoint = wrapClientTLS({}, new TCP4ClientEndpoint(reactor, "10.0.0.2", 443));
    const result = outcome(endpoint.connect(factory()));
    reactor.connectors[0].fail(new ConnectionRefusedError());
    assert.ok(result.failure?.value instanceof ConnectionRefusedError);
  });

  it("cancelling cancels the wrapped endpoint's attempt", () => {
    const reactor = new FakeReactor();
    const d = wrapClientTLS({}, new TCP4ClientEndpoint(reactor, "10.0.0.2", 443)).connect(
      factory(),
    );
    const result = outcome(d);
    d.cancel();
    assert.ok(result.failure?.value instanceof ConnectingCancelledError);
    assert.equal(reactor.connectors[0].state, "stopped");
  });
});

describe("HostnameEndpoint", () => {
  it("orders addresses with families alternating, starting with the first's", () => {
    assert.deepEqual(
      interleaveAddresses(["::1", "::2", "::3", "1.1.1.1", "2.2.2.2"]),
      ["::1", "1.1.1.1", "::2", "2.2.2.2", "::3"],
    );
    assert.deepEqual(
      interleaveAddresses(["1.1.1.1", "2.2.2.2", "::1"]),
      ["1.1.1.1", "::1", "2.2.2.2"],
    );
    assert.deepEqual(interleaveAddresses([]), []);
  });

  it("resolves the name and connects to its address", () => {
    const reactor = new FakeReactor();
    reactor.names.set("example.org", ["93.184.216.34"]);
    const result = outcome(
      new HostnameEndpoint(reactor, "example.org", 80, { timeout: 7 }).connect(factory()),
    );
    assert.deepEqual(reactor.resolved, ["example.org"]);
    assert.deepEqual(
      [reactor.tcpClients[0][0], reactor.tcpClients[0][1], reactor.tcpClients[0][3]],
      ["93.184.216.34", 80, 7],
    );
    reactor.connectors[0].succeed();
    assert.ok(result.result instanceof Recorder);
    assert.equal(reactor.getDelayedCalls().length, 0);
  });

  it("does not resolve an IP address", () => {
    const reactor = new FakeReactor();
    new HostnameEndpoint(reactor, "[::1]", 80).connect(factory());
    assert.deepEqual(reactor.resolved, []);
    assert.equal(reactor.tcpClients[0][0], "::1");
  });

  it("fails with DNSLookupError for an unknown name, without connecting", () => {
    const reactor = new FakeReactor();
    const result = outcome(new HostnameEndpoint(reactor, "nowhere.invalid", 80).connect(factory()));
    assert.ok(result.failure?.value instanceof DNSLookupError);
    assert.equal(reactor.tcpClients.length, 0);
  });

  it("fails with DNSLookupError when the name has no address", () => {
    const reactor = new FakeReactor();
    reactor.names.set("empty.example", []);
    const result = outcome(new HostnameEndpoint(reactor, "empty.example", 80).connect(factory()));
    assert.ok(result.failure?.value instanceof DNSLookupError);
    assert.match(result.failure!.value.message, /empty\.example/);
  });

  it("starts the next attempt after attemptDelay while the first is still connecting", () => {
    const reactor = new FakeReactor();
    reactor.names.set("dual.example", ["2001:db8::1", "2001:db8::2", "192.0.2.1"]);
    new HostnameEndpoint(reactor, "dual.example", 80).connect(factory());
    assert.deepEqual(reactor.tcpClients.map((c) => c[0]), ["2001:db8::1"]);
    reactor.advance(0.29);
    assert.equal(reactor.tcpClients.length, 1);
    reactor.advance(0.01);
    assert.deepEqual(reactor.tcpClients.map((c) => c[0]), ["2001:db8::1", "192.0.2.1"]);
    reactor.advance(0.3);
    assert.deepEqual(
      reactor.tcpClients.map((c) => c[0]),
      ["2001:db8::1", "192.0.2.1", "2001:db8::2"],
    );
    reactor.advance(10);
    assert.equal(reactor.tcpClients.length, 3);
  });

  it("honours a custom attemptDelay", () => {
    const reactor = new FakeReactor();
    reactor.names.set("dual.example", ["192.0.2.1", "2001:db8::1"]);
    new HostnameEndpoint(reactor, "dual.example", 80, { attemptDelay: 2 }).connect(factory());
    reactor.advance(1.9);
    assert.equal(reactor.tcpClients.length, 1);
    reactor.advance(0.1);
    assert.equal(reactor.tcpClients.length, 2);
  });

  it("starts the next attempt at once when one fails", () => {
    const reactor = new FakeReactor();
    reactor.names.set("dual.example", ["192.0.2.1", "2001:db8::1"]);
    new HostnameEndpoint(reactor, "dual.example", 80).connect(factory());
    reactor.connectors[0].fail(new ConnectionRefusedError());
    assert.deepEqual(reactor.tcpClients.map((c) => c[0]), ["192.0.2.1", "2001:db8::1"]);
    assert.equal(reactor.getDelayedCalls().length, 0, "the stagger timer is cancelled");
  });

  it("fires with the first connection and cancels the attempts still running", () => {
    const reactor = new FakeReactor();
    reactor.names.set("dual.example", ["2001:db8::1", "192.0.2.1", "192.0.2.2"]);
    const result = outcome(new HostnameEndpoint(reactor, "dual.example", 80).connect(factory()));
    reactor.advance(0.3);
    assert.equal(reactor.connectors.length, 2);
    reactor.connectors[1].succeed();
    assert.ok(result.result instanceof Recorder);
    assert.equal(
      result.result,
      (reactor.connectors[1].protocol as unknown as { wrappedProtocol: unknown })
        .wrappedProtocol,
    );
    assert.equal(reactor.connectors[0].state, "stopped");
    assert.equal(reactor.getDelayedCalls().length, 0);
    reactor.advance(10);
    assert.equal(reactor.connectors.length, 2, "no attempt starts after a winner");
  });

  it("fails with the last failure when every address fails", () => {
    const reactor = new FakeReactor();
    reactor.names.set("dual.example", ["192.0.2.1", "2001:db8::1"]);
    const result = outcome(new HostnameEndpoint(reactor, "dual.example", 80).connect(factory()));
    reactor.advance(0.3);
    const last = new TimeoutError();
    reactor.connectors[0].fail(new ConnectionRefusedError());
    assert.equal(result.called, false);
    reactor.connectors[1].fail(last);
    assert.equal(result.failure?.value, last);
  });

  it("cancelling during the name lookup cancels it", () => {
    const reactor = new FakeReactor();
    reactor.slowNames.add("slow.example");
    const d = new HostnameEndpoint(reactor, "slow.example", 80).connect(factory());
    const result = outcome(d);
    d.cancel();
    const error = result.failure?.value as ConnectingCancelledError;
    assert.ok(error instanceof ConnectingCancelledError);
    assert.deepEqual(error.address, { hostname: "slow.example", port: 80 });
    assert.equal(reactor.pendingResolutions[0].called, true);
    assert.equal(reactor.tcpClients.length, 0);
  });

  it("cancelling while connecting stops every attempt and the timer", () => {
    const reactor = new FakeReactor();
    reactor.names.set("dual.example", ["192.0.2.1", "2001:db8::1", "192.0.2.2"]);
    const d = new HostnameEndpoint(reactor, "dual.example", 80).connect(factory());
    const result = outcome(d);
    reactor.advance(0.3);
    d.cancel();
    assert.ok(result.failure?.value instanceof ConnectingCancelledError);
    assert.deepEqual(reactor.connectors.map((c) => c.state), ["stopped", "stopped"]);
    assert.equal(reactor.getDelayedCalls().length, 0);
  });

  it("connects over TCP6 for IPv6 addresses", () => {
    const reactor = new FakeReactor();
    reactor.names.set("v6.example", ["2001:db8::1"]);
    new HostnameEndpoint(reactor, "v6.example", 80).connect(factory());
    assert.deepEqual(
      reactor.connectors[0].getDestination(),
      new IPv6Address("TCP", "2001:db8::1", 80),
    );
  });
});

describe("failures inside the endpoints", () => {
  it("leave no Deferred with an unhandled failure behind", () => {
    const collection = fakeCollectionForTesting();
    try {
      // A winner among several attempts: the losers are cancelled.
      const reactor = new FakeReactor();
      reactor.names.set("dual.example", ["2001:db8::1", "192.0.2.1", "192.0.2.2"]);
      outcome(new HostnameEndpoint(reactor, "dual.example", 80).connect(factory()));
      reactor.advance(0.3);
      reactor.connectors[0].fail(new ConnectionRefusedError());
      reactor.connectors[2].succeed();
      // Cancelled during the lookup, and while connecting through a TLS wrapper.
      reactor.slowNames.add("slow.example");
      new HostnameEndpoint(reactor, "slow.example", 80).connect(factory()).addErrback(() => null)
        .cancel();
      const tls = wrapClientTLS({}, new HostnameEndpoint(reactor, "dual.example", 80))
        .connect(factory());
      tls.addErrback(() => null);
      reactor.advance(0.3);
      tls.cancel();
      // Every address failing.
      const all = outcome(new HostnameEndpoint(reactor, "dual.example", 80).connect(factory()));
      for (const c of reactor.connectors.slice(-1)) c.fail(new ConnectionRefusedError());
      reactor.advance(1);
      for (const c of reactor.connectors.filter((c) => c.state === "connecting")) {
        c.fail(new TimeoutError());
      }
      assert.ok(all.failure?.value instanceof TimeoutError);
      assert.deepEqual(collection.tracked(), []);
    } finally {
      collection.restore();
    }
  });
});
