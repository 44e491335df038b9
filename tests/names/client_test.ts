// The DNS client (twisted.names.client), driven deterministically: fake time,
// UDP ports the test answers on, TCP through StringTransport, files in memory.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CancelledError, type Deferred } from "../../src/internet/defer.ts";
import { ConnectionRefusedError } from "../../src/internet/error.ts";
import { Failure } from "../../src/internet/failure.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import * as client from "../../src/names/client.ts";
import * as hosts from "../../src/names/hosts.ts";
import * as cache from "../../src/names/cache.ts";
import * as resolve from "../../src/names/resolve.ts";
import type { LookupResult } from "../../src/names/common.ts";
import {
  A,
  AAAA,
  AXFR,
  Message,
  MX,
  Query,
  Record_MX,
  Record_NS,
  RRHeader,
} from "../../src/names/dns.ts";
import {
  DNSFormatError,
  DNSNameError,
  DNSQueryRefusedError,
  DNSQueryTimeoutError,
  DNSServerError,
  ResolverError,
} from "../../src/names/error.ts";
import { a, answerTo, FakeDNSReactor, flush, frame, framedMessages, soa } from "./_client_fakes.ts";

trackLeaks({ beforeEach, afterEach });

const S1: [string, number] = ["192.0.2.1", 53];
const S2: [string, number] = ["192.0.2.2", 5353];

/** What a Deferred has become, without waiting. */
function state<T>(d: Deferred<T>): { result?: T; error?: Error; pending: boolean } {
  const out: { result?: T; error?: Error; pending: boolean } = { pending: true };
  d.addCallbacks(
    (r) => {
      out.pending = false;
      out.result = r;
      return r;
    },
    (f: Failure) => {
      out.pending = false;
      out.error = f.value;
      return f;
    },
  );
  return out;
}

/** Consumes the failure of `d` (so nothing is reported unhandled) and returns its error. */
async function failure(d: Deferred<unknown>): Promise<Error> {
  try {
    await d;
  } catch (error) {
    return error as Error;
  }
  assert.fail("the Deferred succeeded");
}

function resolver(reactor: FakeDNSReactor, options: client.ResolverOptions = {}): client.Resolver {
  return new client.Resolver({ servers: [S1], reactor, ...options });
}

describe("client.Resolver()", () => {
  it("needs servers or a resolv.conf: ResolverError without both", () => {
    const reactor = new FakeDNSReactor();
    assert.throws(() => new client.Resolver({ reactor }), ResolverError);
    assert.throws(() => new client.Resolver({ servers: [], reactor }), ResolverError);
  });

  it("takes only IP addresses and valid ports as servers", () => {
    const reactor = new FakeDNSReactor();
    assert.throws(() => new client.Resolver({ servers: [["ns.example", 53]], reactor }), TypeError);
    assert.throws(() => new client.Resolver({ servers: [["192.0.2.1", 0]], reactor }), RangeError);
    assert.throws(() => resolver(reactor, { timeout: [] }), RangeError);
    assert.deepEqual(resolver(reactor).timeout, [1, 3, 11, 45]);
  });
});

describe("client.Resolver lookups over UDP", () => {
  it("sends one EDNS(0) query from a fresh port and fires with the three sections", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupAddress("example.com");
    assert.equal(reactor.udp.length, 1);
    const port = reactor.udp[0];
    assert.equal(port.interface, "0.0.0.0");
    assert.equal(reactor.udpServers[0][0], 0);
    const [query, to] = port.sent();
    assert.deepEqual(to, S1);
    assert.equal(query.ednsVersion, 0);
    assert.equal(query.maxSize, 1232);
    assert.equal(query.recDes, true);
    assert.equal(query.answer, false);
    assert.deepEqual(query.queries.map(String), ["example.com. IN A"]);
    port.reply({
      answers: [a("example.com", "192.0.2.10")],
      authority: [new RRHeader({ name: "example.com", payload: new Record_NS("ns.example.com") })],
      additional: [a("ns.example.com", "192.0.2.53")],
    });
    const [answers, authority, additional] = await d;
    assert.deepEqual(answers.map(String), ["example.com. 60 IN A 192.0.2.10"]);
    assert.deepEqual(authority.map(String), ["example.com. 0 IN NS ns.example.com."]);
    assert.deepEqual(additional.map(String), ["ns.example.com. 60 IN A 192.0.2.53"]);
    assert.equal(port.stopped, true);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("asks an IPv6 server from a port bound to ::", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor, { servers: [["2001:db8::53", 53]] }).lookupIPV6Address("x.test");
    const port = reactor.udp[0];
    assert.equal(port.interface, "::");
    assert.deepEqual(port.sent()[1], ["2001:db8::53", 53]);
    assert.equal(port.sent()[0].queries[0].type, AAAA);
    port.reply();
    assert.deepEqual(await d, [[], [], []]);
  });

  it("uses a new port, closed after it, and a new random id for every attempt", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor, { timeout: [1, 1, 1, 1] }).lookupAddress("example.com");
    reactor.pump([1, 1, 1]);
    assert.equal(reactor.udp.length, 4);
    assert.deepEqual(reactor.udp.map((p) => p.stopped), [true, true, true, false]);
    const ids = new Set(reactor.udp.map((p) => p.sent()[0].id));
    assert.ok(ids.size >= 2, "four random ids were all the same");
    reactor.udp[3].reply();
    assert.deepEqual(await d, [[], [], []]);
  });

  it("tries each timeout on every server in turn, then fails with DNSQueryTimeoutError", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor, { servers: [S1, S2], timeout: [1, 3] }).lookupAddress("slow.test");
    const seen = state(d);
    const trail = (): [string, number, number][] =>
      reactor.udp.map((p) => [p.sent()[1][0], p.sent()[1][1], p.written.length]);
    assert.deepEqual(trail(), [["192.0.2.1", 53, 1]]);
    reactor.advance(0.999);
    assert.equal(reactor.udp.length, 1);
    reactor.advance(0.001);
    assert.deepEqual(trail(), [["192.0.2.1", 53, 1], ["192.0.2.2", 5353, 1]]);
    assert.equal(reactor.udp[0].stopped, true);
    reactor.advance(1);
    assert.equal(reactor.udp.length, 3);
    assert.deepEqual(reactor.udp[2].sent()[1], S1);
    reactor.advance(2.9);
    assert.equal(reactor.udp.length, 3);
    reactor.advance(0.1);
    assert.deepEqual(reactor.udp[3].sent()[1], S2);
    assert.equal(seen.pending, true);
    reactor.advance(3);
    assert.equal(seen.pending, false);
    const error = await failure(d);
    assert.ok(error instanceof DNSQueryTimeoutError, String(error));
    assert.match(
      error.message,
      /No reply to slow\.test\. IN A from 192\.0\.2\.1:53, 192\.0\.2\.2:5353/,
    );
    assert.equal(reactor.openPorts().length, 0);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("stops retrying when a later server answers", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor, { servers: [S1, S2] }).lookupAddress("example.com");
    reactor.advance(1);
    reactor.udp[1].reply({ answers: [a("example.com", "192.0.2.10")] });
    const [answers] = await d;
    assert.equal(answers.length, 1);
    reactor.advance(100);
    assert.equal(reactor.udp.length, 2);
  });

  it("ignores forged replies: wrong id, wrong address or port, wrong question", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupAddress("example.com");
    const seen = state(d);
    const port = reactor.udp[0];
    const [query] = port.sent();
    const forged = (fields: Partial<ConstructorParameters<typeof Message>[0]> = {}): Message =>
      answerTo(query, { answers: [a("example.com", "203.0.113.66")], ...fields });
    port.deliver(forged({ id: (query.id + 1) & 0xffff }));
    port.deliver(forged(), ["192.0.2.99", 53]);
    port.deliver(forged(), ["192.0.2.1", 5300]);
    port.deliver(forged({ queries: [new Query("other.example", A)] }));
    port.deliver(forged({ queries: [new Query("example.com", MX)] }));
    port.deliver(forged({ queries: [] }));
    assert.equal(seen.pending, true);
    port.reply({ answers: [a("example.com", "192.0.2.10")] });
    const [answers] = await d;
    assert.deepEqual(answers.map(String), ["example.com. 60 IN A 192.0.2.10"]);
  });

  it("maps error response codes to errors that carry the response", async () => {
    const reactor = new FakeDNSReactor();
    const r = resolver(reactor);
    const cases: [number, new (...args: never[]) => Error][] = [
      [3, DNSNameError],
      [2, DNSServerError],
      [5, DNSQueryRefusedError],
    ];
    for (const [rCode, type] of cases) {
      const d = r.lookupAddress(`code${rCode}.test`);
      reactor.udp.at(-1)!.reply({ rCode, authority: [soa("test")] });
      const error = await failure(d);
      assert.ok(error instanceof type, `${rCode}: ${error}`);
      const response = (error as DNSNameError).response!;
      assert.equal(response.rCode, rCode);
      assert.equal(response.authority.length, 1);
    }
  });

  it("shares one query among concurrent lookups of the same question", async () => {
    const reactor = new FakeDNSReactor();
    const r = resolver(reactor);
    const first = r.lookupAddress("example.com");
    const second = r.lookupAddress("EXAMPLE.COM.");
    const third = r.query(new Query("example.com", A));
    const other = r.lookupMailExchange("example.com");
    assert.equal(reactor.udp.length, 2);
    reactor.udp[0].reply({ answers: [a("example.com", "192.0.2.10")] });
    for (const d of [first, second, third]) {
      const [answers] = await d;
      assert.deepEqual(answers.map(String), ["example.com. 60 IN A 192.0.2.10"]);
    }
    const mx = new RRHeader({ name: "example.com", payload: new Record_MX(10, "mx.example.com") });
    reactor.udp[1].reply({ answers: [mx] });
    assert.equal((await other)[0][0].type, MX);
    const later = r.lookupAddress("example.com");
    assert.equal(reactor.udp.length, 3);
    reactor.udp[2].reply();
    assert.deepEqual(await later, [[], [], []]);
  });

  it("gives each sharer its own lists", async () => {
    const reactor = new FakeDNSReactor();
    const r = resolver(reactor);
    const first = r.lookupAddress("example.com");
    const second = r.lookupAddress("example.com");
    reactor.udp[0].reply({ answers: [a("example.com", "192.0.2.10")] });
    const [one] = await first;
    one.length = 0;
    const [two] = await second;
    assert.equal(two.length, 1);
  });

  it("fails shared lookups together", async () => {
    const reactor = new FakeDNSReactor();
    const r = resolver(reactor);
    const first = r.lookupAddress("nx.test");
    const second = r.lookupAddress("nx.test");
    reactor.udp[0].reply({ rCode: 3 });
    assert.ok((await failure(first)) instanceof DNSNameError);
    assert.ok((await failure(second)) instanceof DNSNameError);
  });
});

describe("client.Resolver after special replies", () => {
  it("asks over TCP, of the same server, after a truncated reply, and closes the connection", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor, { servers: [S2, S1] }).lookupText("big.test");
    reactor.udp[0].reply({ trunc: true, answers: [] });
    assert.equal(reactor.udp[0].stopped, true);
    assert.equal(reactor.tcpClients.length, 1);
    const [host, port, , timeout] = reactor.tcpClients[0];
    assert.deepEqual([host, port, timeout], [S2[0], S2[1], 10]);
    const [transport, protocol] = reactor.connectTCPClient();
    const [query] = framedMessages(transport.value());
    assert.deepEqual(query.queries.map(String), ["big.test. IN TXT"]);
    assert.equal(query.ednsVersion, 0);
    const reply = frame(answerTo(query, { answers: [a("big.test", "192.0.2.7")] }));
    for (const byte of reply) protocol.dataReceived(Uint8Array.of(byte));
    const [answers] = await d;
    assert.deepEqual(answers.map(String), ["big.test. 60 IN A 192.0.2.7"]);
    assert.equal(transport.disconnecting, true);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("fails with the connection's error when TCP cannot connect", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupText("big.test");
    reactor.udp[0].reply({ trunc: true });
    const [, , factory] = reactor.tcpClients[0];
    (factory as unknown as { clientConnectionFailed(c: unknown, f: Failure): void })
      .clientConnectionFailed(reactor.connectors[0], new Failure(new ConnectionRefusedError()));
    assert.ok((await failure(d)) instanceof ConnectionRefusedError);
  });

  it("asks once more without EDNS after FORMERR", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupAddress("old.test");
    const first = reactor.udp[0];
    assert.equal(first.sent()[0].ednsVersion, 0);
    first.deliver(new Message({ id: first.sent()[0].id, answer: true, rCode: 1 }));
    assert.equal(first.stopped, true);
    assert.equal(reactor.udp.length, 2);
    const [plain, to] = reactor.udp[1].sent();
    assert.equal(plain.ednsVersion, null);
    assert.deepEqual(to, S1);
    reactor.udp[1].reply({ answers: [a("old.test", "192.0.2.8")] });
    assert.equal((await d)[0].length, 1);
  });

  it("fails with DNSFormatError when the server answers FORMERR without EDNS too", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupAddress("old.test");
    reactor.udp[0].reply({ rCode: 1 });
    reactor.udp[1].reply({ rCode: 1 });
    assert.equal(reactor.udp.length, 2);
    assert.ok((await failure(d)) instanceof DNSFormatError);
  });

  it("asks over TCP without EDNS after FORMERR and then TC", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupAddress("old.test");
    reactor.udp[0].reply({ rCode: 1 });
    reactor.udp[1].reply({ trunc: true });
    const [transport, protocol] = reactor.connectTCPClient();
    const [query] = framedMessages(transport.value());
    assert.equal(query.ednsVersion, null);
    protocol.dataReceived(frame(answerTo(query, { answers: [a("old.test", "192.0.2.8")] })));
    assert.equal((await d)[0].length, 1);
  });

  it("queryUDP() returns a truncated reply as it is", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).queryUDP([new Query("big.test")]);
    reactor.udp[0].reply({ trunc: true });
    assert.equal((await d).trunc, true);
    assert.equal(reactor.tcpClients.length, 0);
  });
});

describe("client.Resolver cancellation", () => {
  it("cancel() closes the port and stops the timer", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupAddress("example.com");
    d.cancel();
    assert.ok((await failure(d)) instanceof CancelledError);
    assert.equal(reactor.udp[0].stopped, true);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("cancels the shared query only when every sharer cancelled", async () => {
    const reactor = new FakeDNSReactor();
    const r = resolver(reactor);
    const first = r.lookupAddress("example.com");
    const second = r.lookupAddress("example.com");
    first.cancel();
    assert.ok((await failure(first)) instanceof CancelledError);
    assert.equal(reactor.udp[0].stopped, false);
    second.cancel();
    assert.ok((await failure(second)) instanceof CancelledError);
    assert.equal(reactor.udp[0].stopped, true);
    assert.deepEqual(reactor.getDelayedCalls(), []);
    const third = r.lookupAddress("example.com");
    assert.equal(reactor.udp.length, 2);
    third.cancel();
    await failure(third);
  });

  it("cancels through an AbortSignal with cancelOn()", async () => {
    const reactor = new FakeDNSReactor();
    const controller = new AbortController();
    const d = resolver(reactor).lookupAddress("example.com").cancelOn(controller.signal);
    controller.abort();
    assert.ok((await failure(d)) instanceof CancelledError);
    assert.equal(reactor.openPorts().length, 0);
  });

  it("cancel() while the port is still binding stops it", async () => {
    const reactor = new FakeDNSReactor();
    reactor.deferBinds = true;
    const d = resolver(reactor).lookupAddress("example.com");
    assert.equal(reactor.udp[0].written.length, 0);
    d.cancel();
    assert.ok((await failure(d)) instanceof CancelledError);
    assert.equal(reactor.udp[0].stopped, true);
    reactor.udp[0].bind();
    assert.equal(reactor.udp[0].written.length, 0);
  });

  it("sends the query once the port is bound", async () => {
    const reactor = new FakeDNSReactor();
    reactor.deferBinds = true;
    const d = resolver(reactor).lookupAddress("example.com");
    reactor.udp[0].bind();
    reactor.udp[0].reply();
    assert.deepEqual(await d, [[], [], []]);
  });

  it("cancel() during the TCP query closes the connection", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupText("big.test");
    reactor.udp[0].reply({ trunc: true });
    const [transport] = reactor.connectTCPClient();
    d.cancel();
    assert.ok((await failure(d)) instanceof CancelledError);
    assert.equal(transport.disconnecting, true);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("cancel() before TCP connects stops the attempt", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupText("big.test");
    reactor.udp[0].reply({ trunc: true });
    d.cancel();
    assert.ok((await failure(d)) instanceof CancelledError);
    assert.equal(reactor.connectors[0].disconnected, true);
  });
});

describe("client.Resolver.lookupZone()", () => {
  const zone = (): RRHeader[] => [
    soa("zone.test"),
    new RRHeader({ name: "zone.test", payload: new Record_NS("ns.zone.test") }),
    a("ns.zone.test", "192.0.2.53"),
    a("www.zone.test", "192.0.2.80"),
    soa("zone.test"),
  ];

  it("reads the transfer over TCP, message after message, until the closing SOA", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupZone("zone.test");
    assert.equal(reactor.udp.length, 0);
    const [host, port, , timeout] = reactor.tcpClients[0];
    assert.deepEqual([host, port, timeout], [S1[0], S1[1], 10]);
    const [transport, protocol] = reactor.connectTCPClient();
    const [query] = framedMessages(transport.value());
    assert.deepEqual(query.queries.map(String), ["zone.test. IN AXFR"]);
    assert.equal(query.recDes, false);
    const records = zone();
    const stream = [
      frame(answerTo(query, { answers: records.slice(0, 2) })),
      frame(new Message({ id: query.id, answer: true, answers: records.slice(2, 4) })),
      frame(new Message({ id: query.id, answer: true, answers: records.slice(4) })),
    ];
    const seen = state(d);
    for (const chunk of stream) {
      for (let i = 0; i < chunk.length; i += 7) protocol.dataReceived(chunk.slice(i, i + 7));
    }
    assert.equal(seen.pending, false);
    const [answers, authority, additional] = await d;
    assert.deepEqual(answers.map(String), records.map(String));
    assert.deepEqual([authority, additional], [[], []]);
    assert.equal(transport.disconnecting, true);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("reads the same records however the stream is cut (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 30 }),
        (cuts) => {
          const reactor = new FakeDNSReactor();
          const d = resolver(reactor).lookupZone("zone.test");
          const [transport, protocol] = reactor.connectTCPClient();
          const [query] = framedMessages(transport.value());
          const records = zone();
          const stream = new Uint8Array([
            ...frame(answerTo(query, { answers: records.slice(0, 1) })),
            ...frame(new Message({ id: query.id, answer: true, answers: records.slice(1, 3) })),
            ...frame(new Message({ id: query.id, answer: true, answers: records.slice(3) })),
          ]);
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length];
            protocol.dataReceived(stream.slice(at, at + size));
            at += size;
          }
          const seen = state(d);
          assert.deepEqual(seen.result?.[0].map(String), records.map(String));
          assert.equal(transport.disconnecting, true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("also runs for an AXFR query through query()", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).query(new Query("zone.test", AXFR));
    const [transport, protocol] = reactor.connectTCPClient();
    const [query] = framedMessages(transport.value());
    protocol.dataReceived(frame(answerTo(query, { answers: zone() })));
    assert.equal((await d)[0].length, 5);
  });

  it("fails with the error of the response code, and closes the connection", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupZone("zone.test");
    const [transport, protocol] = reactor.connectTCPClient();
    const [query] = framedMessages(transport.value());
    protocol.dataReceived(frame(answerTo(query, { rCode: 5 })));
    const error = await failure(d);
    assert.ok(error instanceof DNSQueryRefusedError);
    assert.equal(transport.disconnecting, true);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("is bounded by maxZoneRecords and maxZoneBytes", async () => {
    for (const options of [{ maxZoneRecords: 3 }, { maxZoneBytes: 100 }]) {
      const reactor = new FakeDNSReactor();
      const d = resolver(reactor, options).lookupZone("zone.test");
      const [transport, protocol] = reactor.connectTCPClient();
      const [query] = framedMessages(transport.value());
      protocol.dataReceived(frame(answerTo(query, { answers: zone().slice(0, 4) })));
      const error = await failure(d);
      assert.ok(error instanceof ResolverError, String(error));
      assert.equal(transport.aborted, true);
    }
  });

  it("fails when the transfer does not start with an SOA, or a message is no reply", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupZone("zone.test");
    const [transport, protocol] = reactor.connectTCPClient();
    const [query] = framedMessages(transport.value());
    protocol.dataReceived(frame(answerTo(query, { answers: zone().slice(1) })));
    assert.ok((await failure(d)) instanceof DNSFormatError);
    const e = resolver(reactor).lookupZone("zone.test");
    const [t2, p2] = reactor.connectTCPClient();
    const [q2] = framedMessages(t2.value());
    p2.dataReceived(frame(new Message({ id: (q2.id + 1) & 0xffff, answer: true })));
    assert.ok((await failure(e)) instanceof DNSFormatError);
  });

  it("times out as a whole, and aborts the connection", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupZone("zone.test", 30);
    const [transport, protocol] = reactor.connectTCPClient();
    const [query] = framedMessages(transport.value());
    protocol.dataReceived(frame(answerTo(query, { answers: zone().slice(0, 2) })));
    reactor.advance(29);
    assert.equal(state(d).pending, true);
    reactor.advance(1);
    assert.ok((await failure(d)) instanceof DNSQueryTimeoutError);
    assert.equal(transport.aborted, true);
  });

  it("fails when the connection ends before the closing SOA", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupZone("zone.test");
    const [transport, protocol] = reactor.connectTCPClient();
    const [query] = framedMessages(transport.value());
    protocol.dataReceived(frame(answerTo(query, { answers: zone().slice(0, 2) })));
    transport.loseConnection();
    const error = await failure(d);
    assert.ok(error instanceof ResolverError);
    assert.match(error.message, /before its closing SOA \(2 records\)/);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("cancel() stops the attempt or the transfer", async () => {
    const reactor = new FakeDNSReactor();
    const d = resolver(reactor).lookupZone("zone.test");
    d.cancel();
    assert.ok((await failure(d)) instanceof CancelledError);
    assert.equal(reactor.connectors[0].disconnected, true);
    const e = resolver(reactor).lookupZone("zone.test");
    const [transport] = reactor.connectTCPClient();
    e.cancel();
    assert.ok((await failure(e)) instanceof CancelledError);
    assert.equal(transport.aborted, true);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });
});

describe("client.parseResolvConf()", () => {
  it("reads nameserver lines: IPv4, IPv6 and OpenBSD's [address]:port", () => {
    const conf = client.parseResolvConf(
      [
        "# a comment",
        "; another",
        "nameserver 192.0.2.53",
        "nameserver\t2001:db8::1  # inline",
        "nameserver [::1]:5353",
        "nameserver [192.0.2.54]",
        "nameserver ns.example.com",
        "nameserver 300.1.1.1",
        "nameserver [::1]:70000",
        "nameserver",
        "options ndots:2",
        "",
      ].join("\n"),
    );
    assert.deepEqual(conf.servers, [
      ["192.0.2.53", 53],
      ["2001:db8::1", 53],
      ["::1", 5353],
      ["192.0.2.54", 53],
    ]);
    assert.equal(conf.domain, null);
    assert.equal(conf.search, null);
  });

  it("keeps the last of domain and search, as the C library does", () => {
    assert.deepEqual(client.parseResolvConf("domain a.example\nsearch b.example c.example\n"), {
      servers: [],
      domain: null,
      search: ["b.example", "c.example"],
    });
    assert.deepEqual(client.parseResolvConf("search b.example\r\ndomain a.example\r\n"), {
      servers: [],
      domain: "a.example",
      search: null,
    });
    assert.equal(client.parseResolvConf(new TextEncoder().encode("domain\n")).domain, "");
  });
});

describe("client.Resolver with a resolv.conf", () => {
  it("reads it through reactor.runtime on the first lookup, servers first", async () => {
    const reactor = new FakeDNSReactor();
    reactor.runtime.write("/etc/resolv.conf", "search example.com\nnameserver 192.0.2.9\n");
    const r = new client.Resolver({ resolv: "/etc/resolv.conf", servers: [S2], reactor });
    assert.equal(reactor.runtime.reads, 0);
    const d = r.lookupAddress("www.example.com");
    await flush();
    assert.deepEqual(r.dynServers, [["192.0.2.9", 53]]);
    assert.deepEqual(r.search, ["example.com"]);
    assert.deepEqual(reactor.udp[0].sent()[1], S2);
    reactor.advance(1);
    assert.deepEqual(reactor.udp[1].sent()[1], ["192.0.2.9", 53]);
    reactor.udp[1].reply();
    await d;
  });

  it("asks 127.0.0.1 when resolv.conf names no server or is missing", async () => {
    for (const text of ["domain example.com\n", null]) {
      const reactor = new FakeDNSReactor();
      if (text !== null) reactor.runtime.write("/etc/resolv.conf", text);
      const r = new client.Resolver({ resolv: "/etc/resolv.conf", reactor });
      const d = r.lookupAddress("example.com");
      await flush();
      assert.deepEqual(reactor.udp[0].sent()[1], ["127.0.0.1", 53]);
      reactor.udp[0].reply();
      await d;
    }
  });

  it("reads it again when it changed, checking at most every resolvReadInterval seconds", async () => {
    const reactor = new FakeDNSReactor();
    const files = reactor.runtime;
    files.write("/r.conf", "nameserver 192.0.2.1\n");
    const r = new client.Resolver({ resolv: "/r.conf", reactor });
    const ask = async (): Promise<string> => {
      const d = r.lookupAddress("example.com");
      await flush();
      const port = reactor.udp.at(-1)!;
      port.reply();
      await d;
      return port.sent()[1][0];
    };
    assert.equal(await ask(), "192.0.2.1");
    assert.deepEqual([files.stats, files.reads], [1, 1]);
    files.write("/r.conf", "nameserver 192.0.2.2\n");
    reactor.advance(4);
    assert.equal(await ask(), "192.0.2.1");
    assert.equal(files.stats, 1);
    reactor.advance(1);
    assert.equal(await ask(), "192.0.2.2");
    assert.deepEqual([files.stats, files.reads], [2, 2]);
    reactor.advance(5);
    assert.equal(await ask(), "192.0.2.2");
    assert.deepEqual([files.stats, files.reads], [3, 2]);
    files.write("/r.conf", "nameserver 192.0.2.3\n");
    await r.maybeParseConfig();
    assert.deepEqual(r.dynServers, [["192.0.2.3", 53]]);
  });

  it("fails lookups with ResolverError when resolv.conf cannot be read", async () => {
    const reactor = new FakeDNSReactor();
    reactor.runtime.stat = () =>
      Promise.reject(Object.assign(new Error("denied"), { code: "EACCES" }));
    const r = new client.Resolver({ resolv: "/etc/resolv.conf", reactor });
    const error = await failure(r.lookupAddress("example.com"));
    assert.ok(error instanceof ResolverError);
    assert.match(error.message, /Cannot read \/etc\/resolv\.conf: denied/);
  });
});

describe("client.createResolver() and getResolver()", () => {
  it("chains hosts, a cache and the client, as Twisted's", async () => {
    const reactor = new FakeDNSReactor();
    reactor.runtime.write("/etc/hosts", "192.0.2.44 printer\n");
    reactor.runtime.write("/etc/resolv.conf", "nameserver 192.0.2.9\n");
    const chain = client.createResolver({ reactor });
    assert.ok(chain instanceof resolve.ResolverChain);
    const [h, c, r] = chain.resolvers;
    assert.ok(h instanceof hosts.Resolver);
    assert.equal(h.file, "/etc/hosts");
    assert.ok(c instanceof cache.CacheResolver);
    assert.ok(r instanceof client.Resolver);
    assert.equal(r.resolv, "/etc/resolv.conf");
    assert.equal(await chain.getHostByName("printer"), "192.0.2.44");
    const d = chain.lookupAddress("www.example.com");
    await flush();
    reactor.udp[0].reply({ answers: [a("www.example.com", "192.0.2.80", 300)] });
    const [answers]: LookupResult = await d;
    assert.equal(answers[0].ttl, 300);
    reactor.advance(10);
    const [cached] = await chain.lookupAddress("www.example.com");
    assert.equal(cached[0].ttl, 290);
    assert.equal(reactor.udp.length, 1);
  });

  it("takes servers, resolvconf and hosts", () => {
    const reactor = new FakeDNSReactor();
    const chain = client.createResolver({
      servers: [S1],
      resolvconf: "/tmp/r.conf",
      hosts: "/tmp/hosts",
      reactor,
    });
    const [h, , r] = chain.resolvers as [hosts.Resolver, cache.CacheResolver, client.Resolver];
    assert.equal(h.file, "/tmp/hosts");
    assert.equal(r.resolv, "/tmp/r.conf");
    assert.deepEqual(r.servers, [S1]);
  });

  it("getResolver() makes one resolver for the process", async () => {
    await import("../../runtimes/select.ts");
    const one = client.getResolver();
    assert.equal(client.getResolver(), one);
    assert.ok(one instanceof resolve.ResolverChain);
    assert.equal((one.resolvers[2] as client.Resolver).resolv, "/etc/resolv.conf");
  });
});
