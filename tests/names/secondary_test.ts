// Secondary zones (twisted.names.secondary) with fake time and fake
// transfers: the SOA timers (refresh, retry, expire; RFC 1034 s4.3.5),
// serial arithmetic (RFC 1982), NOTIFY handling (RFC 1996) through
// DNSServerFactory, and the service; then once through the real client code
// over the fake reactor's UDP and TCP.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  A,
  AXFR,
  DNSDatagramProtocol,
  DNSProtocol,
  DNSServerFactory,
  DomainError,
  ENOTIMP,
  EREFUSED,
  ESERVER,
  type LookupResult,
  Message,
  OK,
  OP_NOTIFY,
  Query,
  Record_A,
  Record_NS,
  Record_SOA,
  RRHeader,
  secondary,
  SecondaryAuthority,
  SecondaryAuthorityService,
  SOA,
  ZoneUnavailableError,
} from "../../src/names/mod.ts";
import { Deferred, fail, succeed } from "../../src/internet/defer.ts";
import { IPv4Address } from "../../src/internet/address.ts";
import type { DatagramAddress } from "../../src/internet/protocol.ts";
import {
  Clock,
  FakeDatagramTransport,
  StringTransportWithDisconnection,
  trackLeaks,
  watchClock,
} from "../../src/testing/mod.ts";
import { answerTo, FakeDNSReactor, frame, framedMessages } from "./_client_fakes.ts";

trackLeaks({ beforeEach, afterEach });

const PRIMARY = "192.0.2.53";

interface Version {
  serial: number;
  www?: string;
  refresh?: number;
  retry?: number;
  expire?: number;
}

/** The SOA of a version, as a transfer gives it (the TTL in the header, none in the record). */
function soaOf(v: Version): RRHeader {
  return new RRHeader({
    name: "example.com",
    type: SOA,
    ttl: 3600,
    payload: new Record_SOA({
      mname: "ns1.example.com",
      rname: "hostmaster.example.com",
      serial: v.serial,
      refresh: v.refresh ?? 100,
      retry: v.retry ?? 20,
      expire: v.expire ?? 500,
      minimum: 300,
    }),
  });
}

/** A transfer of a version: SOA, NS, www, SOA (fresh records each time). */
function transfer(v: Version): RRHeader[] {
  return [
    soaOf(v),
    new RRHeader({
      name: "example.com",
      type: 2,
      ttl: 3600,
      payload: new Record_NS("ns1.example.com"),
    }),
    new RRHeader({
      name: "www.example.com",
      ttl: 60,
      payload: new Record_A(v.www ?? "192.0.2.80"),
    }),
    soaOf(v),
  ];
}

/** A primary the test drives: what it answers, what it was asked. */
class FakePrimary implements secondary.SecondaryResolver {
  version: Version = { serial: 1 };
  failing: Error | null = null;
  hold = false;
  held: Deferred<LookupResult>[] = [];
  asked: string[] = [];

  #answer(kind: string, result: () => LookupResult): Deferred<LookupResult> {
    this.asked.push(kind);
    if (this.hold) {
      const d = new Deferred<LookupResult>();
      this.held.push(d);
      return d;
    }
    if (this.failing) return fail(this.failing);
    return succeed(result());
  }

  lookupAuthority(_name: string): Deferred<LookupResult> {
    return this.#answer("SOA", () => [[soaOf(this.version)], [], []]);
  }

  lookupZone(_name: string): Deferred<LookupResult> {
    return this.#answer("AXFR", () => [transfer(this.version), [], []]);
  }
}

function setup(options: secondary.SecondaryAuthorityOptions = {}) {
  const clock = new Clock();
  watchClock(clock);
  const primary = new FakePrimary();
  const zone = new SecondaryAuthority(PRIMARY, "example.com", {
    reactor: clock,
    resolver: primary,
    ...options,
  });
  return { clock, primary, zone };
}

async function www(zone: SecondaryAuthority): Promise<string> {
  const [answers] = await zone.lookupAddress("www.example.com");
  return answers.map(String).join(", ");
}

function serialOf(zone: SecondaryAuthority): number | undefined {
  return zone.soa?.[1].serial;
}

async function failureOf(d: Deferred<unknown>): Promise<Error> {
  return await d.then(() => assert.fail("expected a failure"), (e: Error) => e);
}

describe("secondary.compareSerials (RFC 1982)", () => {
  it("orders serials modulo 2^32, and 2^31 apart is undefined", () => {
    const { compareSerials } = secondary;
    assert.equal(compareSerials(2, 1), 1);
    assert.equal(compareSerials(1, 2), -1);
    assert.equal(compareSerials(7, 7), 0);
    assert.equal(compareSerials(0, 0xffffffff), 1, "0 follows 2^32 - 1");
    assert.equal(compareSerials(5, 0xfffffff0), 1);
    assert.equal(compareSerials(0x7fffffff, 0), 1);
    assert.equal(compareSerials(0x80000001, 0), -1);
    assert.ok(Number.isNaN(compareSerials(0x80000000, 0)));
  });
});

describe("SecondaryAuthority", () => {
  it("holds no zone before the transfer: SERVFAIL inside it, the chain moves on outside", async () => {
    const { zone } = setup();
    assert.equal(zone.soa, null);
    const inside = await failureOf(zone.lookupAddress("www.example.com"));
    assert.ok(inside instanceof ZoneUnavailableError, String(inside));
    assert.match(inside.message, /example\.com: not transferred from 192\.0\.2\.53:53 yet/);
    const outside = await failureOf(zone.lookupAddress("www.example.org"));
    assert.ok(outside instanceof DomainError && !(outside instanceof ZoneUnavailableError));
  });

  it("transfers at start, answers with the transfer's TTLs, refreshes after the SOA's refresh", async () => {
    const { clock, primary, zone } = setup();
    zone.start();
    assert.deepEqual(primary.asked, ["AXFR"]);
    assert.equal(await www(zone), "www.example.com. 60 IN A 192.0.2.80");
    const [answers] = await zone.lookupAuthority("example.com");
    assert.equal(answers[0].ttl, 3600);
    assert.equal(answers[0].auth, true);
    clock.advance(99);
    assert.deepEqual(primary.asked, ["AXFR"]);
    clock.advance(1);
    assert.deepEqual(primary.asked, ["AXFR", "SOA"], "the same serial: no transfer");
    primary.version = { serial: 2, www: "192.0.2.81" };
    clock.advance(100);
    assert.deepEqual(primary.asked, ["AXFR", "SOA", "SOA", "AXFR"]);
    assert.equal(await www(zone), "www.example.com. 60 IN A 192.0.2.81");
    assert.equal(serialOf(zone), 2);
    zone.stop();
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("transfers only when the primary's serial is newer, wrapping past 2^32 - 1", () => {
    const { clock, primary, zone } = setup();
    primary.version = { serial: 0xfffffffe };
    zone.start();
    primary.version = { serial: 5 }; // 5 follows 2^32 - 2
    clock.advance(100);
    assert.equal(serialOf(zone), 5);
    primary.version = { serial: 4 }; // older: kept as is
    clock.advance(100);
    assert.equal(serialOf(zone), 5);
    assert.deepEqual(primary.asked, ["AXFR", "SOA", "AXFR", "SOA"]);
    zone.stop();
  });

  it("retries after the SOA's retry, expires after its expire (SERVFAIL), and comes back", async () => {
    const { clock, primary, zone } = setup();
    zone.start();
    const before = zone.generation;
    primary.failing = new Error("connection refused");
    clock.advance(100); // refresh fails
    clock.advance(20); // retry fails
    assert.deepEqual(primary.asked, ["AXFR", "SOA", "SOA"]);
    assert.equal(await www(zone), "www.example.com. 60 IN A 192.0.2.80", "still answering");
    clock.advance(500 - 120 - 1);
    assert.equal(zone.expired, false);
    clock.advance(1);
    assert.equal(zone.expired, true);
    assert.notEqual(zone.generation, before, "answers kept for the old generation are dropped");
    const expired = await failureOf(zone.lookupAddress("www.example.com"));
    assert.ok(expired instanceof ZoneUnavailableError);
    assert.match(expired.message, /expired/);
    primary.failing = null;
    clock.advance(20);
    assert.equal(zone.expired, false, "a refresh that finds the zone current revives it");
    assert.equal(await www(zone), "www.example.com. 60 IN A 192.0.2.80");
    zone.stop();
  });

  it("before the first transfer, retries after firstRetry seconds, doubling", () => {
    const { clock, primary, zone } = setup({ firstRetry: 5 });
    primary.failing = new Error("connection refused");
    zone.start();
    for (const wait of [5, 10, 20, 40]) {
      const asked = primary.asked.length;
      clock.advance(wait - 0.5);
      assert.equal(primary.asked.length, asked, `not before ${wait} s`);
      clock.advance(0.5);
      assert.equal(primary.asked.length, asked + 1, `after ${wait} s`);
    }
    assert.ok(primary.asked.every((kind) => kind === "AXFR"));
    zone.stop();
  });

  it("keeps the zone when a transfer is not the zone or breaks its rules", async () => {
    const { clock, primary, zone } = setup();
    zone.start();
    const original = primary.lookupZone.bind(primary);
    primary.version = { serial: 2 };
    primary.lookupZone = () => {
      const records = transfer({ serial: 2 });
      records.splice(
        1,
        0,
        new RRHeader({ name: "www.example.org", payload: new Record_A("192.0.2.1") }),
      );
      return succeed<LookupResult>([records, [], []]);
    };
    assert.equal(await zone.refresh(), "failed");
    assert.equal(serialOf(zone), 1);
    primary.lookupZone = () => {
      const records = transfer({ serial: 2 });
      records[0] = new RRHeader({
        name: "example.net",
        type: SOA,
        payload: soaOf({ serial: 2 }).payload,
      });
      return succeed<LookupResult>([records, [], []]);
    };
    assert.equal(await zone.refresh(), "failed");
    primary.lookupZone = () => succeed<LookupResult>([transfer({ serial: 1 }), [], []]);
    assert.equal(await zone.refresh(), "failed", "the SOA said 2, the transfer gave 1");
    primary.lookupZone = original;
    assert.equal(await zone.refresh(), "transferred");
    assert.equal(serialOf(zone), 2);
    assert.equal(await zone.refresh(), "current");
    clock.advance(0);
    zone.stop();
  });

  it("transfer() transfers whatever the serial (Twisted's transfer)", async () => {
    const { primary, zone } = setup();
    await zone.transfer();
    primary.version = { serial: 1, www: "192.0.2.99" };
    await zone.transfer();
    assert.equal(await www(zone), "www.example.com. 60 IN A 192.0.2.99");
    assert.deepEqual(primary.asked, ["AXFR", "AXFR"]);
  });

  it("a refresh asked during one runs once after it (RFC 1996 s4.4)", async () => {
    const { primary, zone } = setup();
    primary.hold = true;
    const first = zone.refresh();
    const second = zone.refresh();
    const third = zone.refresh();
    assert.equal(zone.transferring, true);
    assert.equal(primary.held.length, 1);
    primary.held[0].callback([transfer({ serial: 1 }), [], []]);
    assert.equal(await first, "transferred");
    assert.deepEqual(primary.asked, ["AXFR", "SOA"]);
    primary.version = { serial: 3 };
    primary.held[1].callback([[soaOf({ serial: 3 })], [], []]);
    primary.held[2].callback([transfer({ serial: 3 }), [], []]);
    assert.deepEqual([await second, await third], ["transferred", "transferred"]);
    assert.equal(zone.transferring, false);
  });

  it("stop() cancels the refresh under way and every timer", async () => {
    const { clock, primary, zone } = setup();
    zone.start();
    primary.hold = true;
    clock.advance(100);
    assert.equal(zone.transferring, true);
    zone.stop();
    assert.equal(primary.held[0].called, true, "cancelled");
    assert.equal(zone.transferring, false);
    assert.equal(clock.getDelayedCalls().length, 0);
    assert.equal(await www(zone), "www.example.com. 60 IN A 192.0.2.80", "the zone stays");
  });

  it("counts the expiry across stop() and start()", () => {
    const { clock, primary, zone } = setup();
    zone.start();
    zone.stop();
    clock.advance(600);
    primary.hold = true;
    zone.start();
    assert.equal(zone.expired, true, "500 s passed without a refresh");
    primary.held[0].callback([[soaOf({ serial: 1 })], [], []]);
    assert.equal(zone.expired, false);
    zone.stop();
  });

  it("takes a primary as an address with a port, or IPv6, and refuses names", () => {
    const clock = new Clock();
    const resolver = new FakePrimary();
    const a = new SecondaryAuthority("2001:db8::53", "Example.COM.", {
      port: 5353,
      resolver,
      reactor: clock,
    });
    assert.deepEqual([a.primary, a.port, a.domain], ["2001:db8::53", 5353, "Example.COM"]);
    const b = SecondaryAuthority.fromServerAddressAndDomain(["[::1]", 53], "example.com", {
      resolver,
      reactor: clock,
    });
    assert.equal(b.primary, "::1");
    assert.throws(
      () => new SecondaryAuthority("ns1.example.com", "example.com", { resolver }),
      TypeError,
    );
    assert.throws(
      () => new SecondaryAuthority([PRIMARY, 0], "example.com", { resolver }),
      RangeError,
    );
    assert.throws(
      () => new SecondaryAuthority(PRIMARY, "example.com", { reactor: clock }),
      /UDP and TCP/,
    );
  });

  it("calls onUpdate after each new version", async () => {
    const seen: (number | undefined)[] = [];
    const { primary, zone } = setup({ onUpdate: (z) => seen.push(serialOf(z)) });
    await zone.refresh();
    await zone.refresh();
    primary.version = { serial: 2 };
    await zone.refresh();
    assert.deepEqual(seen, [1, 2]);
  });
});

describe("SecondaryAuthority in DNSServerFactory", () => {
  const CLIENT: DatagramAddress = ["192.0.2.200", 5353];

  function serve(options: secondary.SecondaryAuthorityOptions = {}) {
    const { clock, primary, zone } = setup(options);
    const factory = new DNSServerFactory({ authorities: [zone], reactor: clock });
    const udp = new DNSDatagramProtocol(factory, { reactor: clock });
    const transport = new FakeDatagramTransport();
    udp.makeConnection(transport);
    const ask = (message: Message, from: DatagramAddress = CLIENT): Message => {
      const before = transport.written.length;
      udp.datagramReceived(message.toStr(), from);
      const replies = transport.written.slice(before);
      assert.equal(replies.length, 1);
      return Message.fromStr(replies[0][0]);
    };
    return { clock, primary, zone, factory, ask };
  }

  const query = (name: string, type = A) =>
    new Message({ id: 99, recDes: false, queries: [new Query(name, type)] });
  const notify = (name = "example.com") =>
    new Message({ id: 77, opCode: OP_NOTIFY, auth: true, queries: [new Query(name, SOA)] });

  it("answers SERVFAIL before the transfer and once expired, without logging an error", () => {
    const { clock, primary, zone, ask } = serve();
    assert.equal(ask(query("www.example.com")).rCode, ESERVER);
    zone.start();
    const fresh = ask(query("www.example.com"));
    assert.deepEqual([fresh.rCode, fresh.auth, fresh.answers.map(String)], [OK, true, [
      "www.example.com. 60 IN A 192.0.2.80",
    ]]);
    assert.equal(ask(query("www.example.com")).rCode, OK, "from the reply cache");
    primary.failing = new Error("timed out");
    clock.advance(500);
    assert.equal(zone.expired, true);
    assert.equal(ask(query("www.example.com")).rCode, ESERVER, "not the cached reply");
    assert.equal(ask(query("www.example.org")).rCode, EREFUSED);
    zone.stop();
  });

  it("refreshes on a NOTIFY from the primary; refuses one from elsewhere", () => {
    const { primary, zone, ask } = serve();
    zone.start();
    primary.version = { serial: 2 };
    const refused = ask(notify(), ["192.0.2.66", 53]);
    assert.deepEqual([refused.rCode, refused.auth, refused.opCode], [EREFUSED, false, OP_NOTIFY]);
    assert.deepEqual(primary.asked, ["AXFR"]);
    const taken = ask(notify("EXAMPLE.com"), ["::ffff:192.0.2.53", 40000]);
    assert.deepEqual([taken.rCode, taken.auth, taken.opCode, taken.id], [OK, true, OP_NOTIFY, 77]);
    assert.deepEqual(primary.asked, ["AXFR", "SOA", "AXFR"]);
    assert.equal(serialOf(zone), 2);
    const other = ask(notify("example.net"), ["192.0.2.66", 53]);
    assert.equal(other.rCode, OK, "a zone that is no secondary's: acknowledged as before");
    zone.stop();
  });

  it("takes a NOTIFY over TCP from the primary's address", () => {
    const { primary, zone, factory } = serve();
    const protocol = factory.buildProtocol(new IPv4Address("TCP", PRIMARY, 40000));
    assert.ok(protocol instanceof DNSProtocol);
    const transport = new StringTransportWithDisconnection({
      peerAddress: new IPv4Address("TCP", PRIMARY, 40000),
    });
    transport.protocol = protocol;
    protocol.makeConnection(transport);
    protocol.dataReceived(frame(notify()));
    const [reply] = framedMessages(transport.value());
    assert.equal(reply.rCode, OK);
    assert.deepEqual(primary.asked, ["AXFR"]);
    transport.loseConnection();
    zone.stop();
  });

  it("NOTIFY other than SOA is acknowledged and ignored; other opcodes stay NOTIMP", () => {
    const { primary, ask } = serve();
    const a = new Message({ id: 5, opCode: OP_NOTIFY, queries: [new Query("example.com", A)] });
    assert.equal(ask(a, [PRIMARY, 53]).rCode, OK);
    assert.deepEqual(primary.asked, []);
    assert.equal(
      ask(new Message({ id: 6, opCode: 5, queries: [new Query("example.com")] })).rCode,
      ENOTIMP,
    );
  });
});

describe("SecondaryAuthorityService", () => {
  it("starts its zones a second apart and stops them (Twisted's schedule)", () => {
    const clock = new Clock();
    watchClock(clock);
    const primary = new FakePrimary();
    const service = SecondaryAuthorityService.fromServerAddressAndDomains(
      [PRIMARY, 5353],
      ["example.com", "example.net"],
      { reactor: clock, resolver: primary },
    );
    assert.deepEqual([service.primary, service.port], [PRIMARY, 5353]);
    assert.deepEqual(service.domains.map((d) => [d.domain, d.port]), [["example.com", 5353], [
      "example.net",
      5353,
    ]]);
    service.startService();
    assert.deepEqual(service.domains.map((d) => d.running), [true, false]);
    clock.advance(1);
    assert.deepEqual(service.domains.map((d) => d.running), [true, true]);
    service.stopService();
    assert.deepEqual(service.domains.map((d) => d.running), [false, false]);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("getAuthority() chains its zones", async () => {
    const clock = new Clock();
    const service = new SecondaryAuthorityService(PRIMARY, ["example.com"], {
      reactor: clock,
      resolver: new FakePrimary(),
    });
    await service.domains[0].refresh();
    const [answers] = await service.getAuthority().lookupAddress("www.example.com");
    assert.equal(String(answers[0]), "www.example.com. 60 IN A 192.0.2.80");
  });
});

describe("SecondaryAuthority through the client code", () => {
  it("transfers over TCP with AXFR and asks the SOA over UDP", async () => {
    const reactor = new FakeDNSReactor();
    const zone = new SecondaryAuthority([PRIMARY, 5353], "example.com", { reactor });
    zone.start();
    const [host, port] = reactor.tcpClients[0];
    assert.deepEqual([host, port], [PRIMARY, 5353]);
    const [transport, protocol] = reactor.connectTCPClient();
    const [asked] = framedMessages(transport.value());
    assert.deepEqual([asked.queries[0].type, asked.queries[0].name.name], [AXFR, "example.com"]);
    const reply = new Message({
      id: asked.id,
      answer: true,
      queries: asked.queries,
      answers: transfer({ serial: 7 }),
    });
    protocol.dataReceived(frame(reply));
    await Promise.resolve();
    assert.equal(serialOf(zone), 7);
    assert.equal(await www(zone), "www.example.com. 60 IN A 192.0.2.80");
    reactor.advance(100);
    const [udp] = reactor.openPorts();
    const [soaQuery, to] = udp.sent();
    assert.deepEqual([to, soaQuery.queries[0].type], [[PRIMARY, 5353], SOA]);
    udp.deliver(answerTo(soaQuery, { answers: [soaOf({ serial: 7 })] }));
    await Promise.resolve();
    assert.equal(reactor.openPorts().length, 0);
    assert.equal(reactor.tcpClients.length, 1, "current: no second transfer");
    zone.stop();
    assert.equal(reactor.getDelayedCalls().length, 0);
  });
});
