// DNS over TLS in the client resolver (RFC 7858), driven deterministically:
// fake time, the TLS connection a StringTransport the test answers on.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, type Deferred } from "../../src/internet/defer.ts";
import { IPv4Address } from "../../src/internet/address.ts";
import { ConnectError, ConnectionDone, ConnectionRefusedError } from "../../src/internet/error.ts";
import { Failure } from "../../src/internet/failure.ts";
import type { IProtocol } from "../../src/internet/interfaces.ts";
import {
  MemoryReactorClock,
  registerLeakSource,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import * as client from "../../src/names/client.ts";
import { AXFR, Message, Query, TXT } from "../../src/names/dns.ts";
import { DNSNameError, DNSQueryTimeoutError, ResolverError } from "../../src/names/error.ts";
import { a, answerTo, frame, framedMessages, soa } from "./_client_fakes.ts";

trackLeaks({ beforeEach, afterEach });

const S1: [string, number] = ["192.0.2.1", 853];
const S2: [string, number] = ["192.0.2.2", 8853];
const CA = "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n";

const open = new Set<StringTransportWithDisconnection>();
registerLeakSource({
  name: "fake DoT connection",
  find: () => [...open].filter((t) => !t.disconnecting).map((t) => `to ${t.getPeer()}`),
  cleanUp: () => open.clear(),
});

/** A reactor whose TLS connections the test makes with `connect`. */
class TLSReactor extends MemoryReactorClock {
  readonly connections: [StringTransportWithDisconnection, IProtocol][] = [];

  /** Connects TLS attempt `index` to a new transport; returns it and its protocol. */
  connect(index = -1): [StringTransportWithDisconnection, IProtocol] {
    const [host, port, factory] = this.sslClients.at(index)!;
    const address = new IPv4Address("TCP", host, port);
    const protocol = factory.buildProtocol(address)!;
    const transport = new StringTransportWithDisconnection({ peerAddress: address });
    transport.protocol = protocol;
    open.add(transport);
    this.connections.push([transport, protocol]);
    protocol.makeConnection(transport);
    return [transport, protocol];
  }

  /** Fails TLS attempt `index` with `error`. */
  fail(index: number, error: Error): void {
    const factory = this.sslClients[index][2] as unknown as {
      clientConnectionFailed(c: unknown, f: Failure): void;
    };
    factory.clientConnectionFailed(this.connectors[index], new Failure(error));
  }
}

function resolver(reactor: TLSReactor, options: client.ResolverOptions = {}): client.Resolver {
  return new client.Resolver({ servers: [S1], tls: { ca: CA }, reactor, ...options });
}

async function failure(d: Deferred<unknown>): Promise<Error> {
  try {
    await d;
  } catch (error) {
    return error as Error;
  }
  assert.fail("the Deferred succeeded");
}

/** Delivers `message` framed, one byte at a time. */
function deliver(protocol: IProtocol, message: Message): void {
  for (const byte of frame(message)) protocol.dataReceived(Uint8Array.of(byte));
}

describe("client.Resolver with tls (DNS over TLS)", () => {
  it("connects with TLS to the server, verifying with the options given", async () => {
    const reactor = new TLSReactor();
    const d = resolver(reactor).lookupAddress("example.com");
    assert.equal(reactor.udpServers.length + reactor.tcpClients.length, 0);
    assert.equal(reactor.sslClients.length, 1);
    const [host, port, , tls, timeout] = reactor.sslClients[0];
    assert.deepEqual([host, port, tls, timeout], [S1[0], S1[1], { ca: CA }, 10]);
    const [transport, protocol] = reactor.connect();
    const [query] = framedMessages(transport.value());
    assert.deepEqual(query.queries.map(String), ["example.com. IN A"]);
    assert.deepEqual([query.ednsVersion, query.maxSize, query.recDes], [0, 1232, true]);
    deliver(protocol, answerTo(query, { answers: [a("example.com", "192.0.2.80")] }));
    const [answers] = await d;
    assert.deepEqual(answers.map(String), ["example.com. 60 IN A 192.0.2.80"]);
    // The connection stays open for the next queries, until idle.
    assert.equal(transport.disconnecting, false);
    reactor.advance(19.9);
    assert.equal(transport.disconnecting, false);
    reactor.advance(0.1);
    assert.equal(transport.disconnecting, true);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("pipelines concurrent queries on one connection and matches replies by id", async () => {
    const reactor = new TLSReactor();
    const r = resolver(reactor);
    const first = r.lookupAddress("one.test");
    const second = r.lookupText("two.test");
    const third = r.lookupAddress("three.test");
    // Queries made while connecting wait for the one connection.
    assert.equal(reactor.sslClients.length, 1);
    const [transport, protocol] = reactor.connect();
    const queries = framedMessages(transport.value());
    assert.deepEqual(queries.map((q) => String(q.queries[0])), [
      "one.test. IN A",
      "two.test. IN TXT",
      "three.test. IN A",
    ]);
    assert.equal(new Set(queries.map((q) => q.id)).size, 3);
    // A later query goes on the same connection at once.
    const fourth = r.lookupAddress("four.test");
    const all = framedMessages(transport.value());
    assert.equal(all.length, 4);
    assert.equal(reactor.sslClients.length, 1);
    // Replies in another order; a reply with a wrong question is dropped.
    deliver(protocol, answerTo(all[3], { answers: [a("four.test", "192.0.2.4")] }));
    deliver(protocol, new Message({ id: all[0].id, answer: true, queries: all[2].queries }));
    deliver(protocol, answerTo(all[2], { answers: [a("three.test", "192.0.2.3")] }));
    deliver(protocol, answerTo(all[1], { rCode: 3, authority: [soa("test")] }));
    deliver(protocol, answerTo(all[0], { answers: [a("one.test", "192.0.2.1")] }));
    assert.equal(String((await first)[0][0]), "one.test. 60 IN A 192.0.2.1");
    assert.ok((await failure(second)) instanceof DNSNameError);
    assert.equal(String((await third)[0][0]), "three.test. 60 IN A 192.0.2.3");
    assert.equal(String((await fourth)[0][0]), "four.test. 60 IN A 192.0.2.4");
    await r.close();
    assert.equal(transport.disconnecting, true);
  });

  it("follows the retry sequence on the kept connection, then DNSQueryTimeoutError", async () => {
    const reactor = new TLSReactor();
    const d = resolver(reactor, { servers: [S1, S2], timeout: [1, 3] }).lookupAddress("slow.test");
    const [t1] = reactor.connect(0);
    reactor.advance(1);
    assert.equal(reactor.sslClients.length, 2);
    const [t2] = reactor.connect(1);
    reactor.advance(1);
    // The second round goes on the connections made in the first.
    assert.equal(reactor.sslClients.length, 2);
    assert.equal(framedMessages(t1.value()).length, 2);
    reactor.advance(3);
    assert.equal(framedMessages(t2.value()).length, 2);
    reactor.advance(3);
    const error = await failure(d);
    assert.ok(error instanceof DNSQueryTimeoutError);
    assert.match(
      error.message,
      /No reply to slow\.test\. IN A from 192\.0\.2\.1:853, 192\.0\.2\.2:8853 \(timeouts 1, 3 s\)/,
    );
    // Each query was forgotten when its attempt timed out: a late reply is dropped.
    const late = framedMessages(t1.value())[0];
    deliver(reactor.connections[0][1], answerTo(late, { answers: [a("slow.test", "192.0.2.9")] }));
    reactor.advance(20);
    assert.equal(t1.disconnecting && t2.disconnecting, true);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("moves on at once when a connection fails, and fails with the cause at the end", async () => {
    const reactor = new TLSReactor();
    const d = resolver(reactor, { servers: [S1, S2], timeout: [1, 3] }).lookupAddress("x.test");
    reactor.fail(0, new ConnectError("Cannot connect to 192.0.2.1:853: certificate has expired"));
    assert.equal(reactor.sslClients.length, 2);
    reactor.fail(1, new ConnectionRefusedError());
    // The second round connects again.
    assert.equal(reactor.sslClients.length, 3);
    reactor.fail(2, new ConnectionRefusedError());
    reactor.fail(3, new ConnectError("Cannot connect to 192.0.2.2:8853: self-signed certificate"));
    const error = await failure(d);
    assert.ok(error instanceof ResolverError);
    assert.match(error.message, /^No reply to x\.test\. IN A from .*: .*self-signed certificate$/);
    assert.ok(error.cause instanceof ConnectError);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("makes the connection again after the server closed it, and after a query lost with it", async () => {
    const reactor = new TLSReactor();
    const r = resolver(reactor, { timeout: [2, 5] });
    const d1 = r.lookupAddress("a.test");
    const [t1, p1] = reactor.connect();
    deliver(p1, answerTo(framedMessages(t1.value())[0], { answers: [a("a.test", "192.0.2.1")] }));
    await d1;
    t1.loseConnection(); // the server closes the idle connection
    assert.deepEqual(reactor.getDelayedCalls(), []);
    const d2 = r.lookupAddress("b.test");
    assert.equal(reactor.sslClients.length, 2);
    const [t2] = reactor.connect();
    assert.equal(framedMessages(t2.value()).length, 1);
    t2.loseConnection(); // closed with the query unanswered: the next attempt reconnects
    assert.equal(reactor.sslClients.length, 3);
    const [t3, p3] = reactor.connect();
    deliver(p3, answerTo(framedMessages(t3.value())[0], { answers: [a("b.test", "192.0.2.2")] }));
    assert.equal(String((await d2)[0][0]), "b.test. 60 IN A 192.0.2.2");
    await r.close();
  });

  it("asks again without EDNS after FORMERR, and takes a truncated reply as it is", async () => {
    const reactor = new TLSReactor();
    const r = resolver(reactor);
    const d = r.lookupAddress("old.test");
    const [transport, protocol] = reactor.connect();
    const [first] = framedMessages(transport.value());
    deliver(protocol, answerTo(first, { rCode: 1 }));
    const [, second] = framedMessages(transport.value());
    assert.equal(second.ednsVersion, null);
    deliver(protocol, answerTo(second, { trunc: true, answers: [a("old.test", "192.0.2.5")] }));
    assert.equal(String((await d)[0][0]), "old.test. 60 IN A 192.0.2.5");
    assert.equal(reactor.tcpClients.length + reactor.udpServers.length, 0);
    await r.close();
  });

  it("cancel() forgets the query and keeps the connection for others", async () => {
    const reactor = new TLSReactor();
    const r = resolver(reactor);
    const waiting = r.lookupAddress("w.test");
    waiting.cancel(); // while connecting
    assert.ok((await failure(waiting)) instanceof CancelledError);
    const d = r.lookupAddress("c.test");
    const [transport, protocol] = reactor.connect();
    const [query] = framedMessages(transport.value());
    assert.deepEqual(query.queries.map(String), ["c.test. IN A"]);
    d.cancel();
    assert.ok((await failure(d)) instanceof CancelledError);
    deliver(protocol, answerTo(query)); // late: dropped
    assert.equal(transport.disconnecting, false);
    reactor.advance(20);
    assert.equal(transport.disconnecting, true);
  });

  it("close() fails queries waiting for the connection and closes it", async () => {
    const reactor = new TLSReactor();
    const r = resolver(reactor);
    const d = r.lookupAddress("a.test");
    const closed = r.close();
    assert.equal(reactor.connectors[0].disconnected, true);
    const error = await failure(d);
    assert.ok(error instanceof ResolverError);
    assert.ok(error.cause instanceof ConnectionDone);
    reactor.fail(0, new ConnectError("stopped"));
    await closed;
  });

  it("queryTCP goes over the TLS connection, lookupZone over a TLS connection of its own", async () => {
    const reactor = new TLSReactor();
    const r = resolver(reactor, { idleTimeout: 5 });
    const d = r.queryTCP([new Query("t.test", TXT)], 4);
    const [transport, protocol] = reactor.connect();
    const [query] = framedMessages(transport.value());
    deliver(protocol, answerTo(query));
    assert.equal((await d).id, query.id);
    const zone = r.lookupZone("zone.test");
    assert.equal(reactor.sslClients.length, 2);
    assert.deepEqual(reactor.sslClients[1][3], { ca: CA });
    const [xfr, xfrProtocol] = reactor.connect();
    const [axfr] = framedMessages(xfr.value());
    assert.deepEqual(axfr.queries.map(String), ["zone.test. IN AXFR"]);
    assert.equal(axfr.queries[0].type, AXFR);
    const records = [soa("zone.test"), a("www.zone.test", "192.0.2.80"), soa("zone.test")];
    deliver(xfrProtocol, answerTo(axfr, { answers: records }));
    assert.equal((await zone)[0].length, 3);
    reactor.advance(5);
    assert.equal(transport.disconnecting, true);
  });

  it("refuses resolv.conf with tls, and a reactor without TLS", () => {
    const reactor = new TLSReactor();
    assert.throws(
      () => new client.Resolver({ resolv: "/etc/resolv.conf", tls: {}, reactor }),
      TypeError,
    );
    const noTLS = Object.assign(Object.create(reactor), { connectSSL: undefined });
    assert.throws(() => resolver(noTLS), /needs a reactor with connectSSL/);
    assert.throws(() => resolver(reactor, { idleTimeout: 0 }), RangeError);
  });
});
