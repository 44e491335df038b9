// Zone transfers served and NOTIFY sent: the versions an authority keeps for
// IXFR (RFC 1995) and the answers made from them, IXFR and AXFR through
// DNSServerFactory over TCP and UDP, who may transfer (allowTransfer, CIDR
// v4 and v6), and NotifySender (RFC 1996) over the fake reactor's UDP.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AXFR,
  BindAuthority,
  DNSDatagramProtocol,
  DNSProtocol,
  DNSServerFactory,
  type DNSServerFactoryOptions,
  EFORMAT,
  EREFUSED,
  IXFR,
  Message,
  NotifySender,
  OK,
  OP_NOTIFY,
  Query,
  Record_SOA,
  RRHeader,
  SOA,
} from "../../src/names/mod.ts";
import { IPv4Address, IPv6Address } from "../../src/internet/address.ts";
import type { DatagramAddress } from "../../src/internet/protocol.ts";
import {
  Clock,
  FakeDatagramTransport,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { answerTo, FakeDNSReactor, frame, framedMessages } from "./_client_fakes.ts";

trackLeaks({ beforeEach, afterEach });

const encoder = new TextEncoder();

function zoneText(serial: number, body: string): string {
  return `$ORIGIN example.com.
$TTL 3600
@    SOA ns1 hostmaster ${serial} 7200 3600 1209600 300
     NS  ns1
ns1  A   192.0.2.53
${body}
`;
}

/** A BindAuthority over files in memory, and a way to change its file and reload. */
async function versions(first: string, options: { ixfrVersions?: number } = {}) {
  const files = new Map([["example.com.zone", first]]);
  const runtime = {
    readFile: (path: string) => Promise.resolve(encoder.encode(files.get(path))),
  };
  const authority = await BindAuthority.load("example.com.zone", {
    reactor: { runtime },
    ...options,
  });
  const load = async (text: string) => {
    files.set("example.com.zone", text);
    await authority.reload();
  };
  return { authority, load };
}

/** Records as `serial` for SOAs, else their text, for comparing. */
function shown(records: RRHeader[]): string[] {
  return records.map((rr) =>
    rr.type === SOA
      ? `SOA ${(rr.payload as Record_SOA).serial}`
      : `${rr.name.name} ${rr.ttl} ${rr.payload!.toText()}`
  );
}

async function ixfr(authority: BindAuthority, serial: number): Promise<string[]> {
  const [records] = await authority.lookupIncrementalZone("example.com", serial);
  return shown(records);
}

describe("FileAuthority.lookupIncrementalZone (IXFR, RFC 1995)", () => {
  it("gives the current SOA alone to a current client, the differences to an older one", async () => {
    const { authority, load } = await versions(zoneText(1, "www A 192.0.2.1\nold A 192.0.2.9"));
    assert.deepEqual(await ixfr(authority, 1), ["SOA 1"]);
    await load(zoneText(2, "www A 192.0.2.2\nold A 192.0.2.9\nnew 60 A 192.0.2.7"));
    await load(zoneText(3, "www A 192.0.2.2\nnew 60 A 192.0.2.7"));
    assert.deepEqual(await ixfr(authority, 3), ["SOA 3"]);
    assert.deepEqual(await ixfr(authority, 4), ["SOA 3"], "a client ahead: the SOA alone too");
    assert.deepEqual(await ixfr(authority, 2), [
      "SOA 3",
      "SOA 2",
      "old.example.com 3600 192.0.2.9",
      "SOA 3",
      "SOA 3",
    ]);
    assert.deepEqual(await ixfr(authority, 1), [
      "SOA 3",
      "SOA 1",
      "www.example.com 3600 192.0.2.1",
      "SOA 2",
      "www.example.com 3600 192.0.2.2",
      "new.example.com 60 192.0.2.7",
      "SOA 2",
      "old.example.com 3600 192.0.2.9",
      "SOA 3",
      "SOA 3",
    ]);
  });

  it("sends the whole zone (AXFR-style) for a serial it has no differences from", async () => {
    const { authority, load } = await versions(zoneText(1, "www A 192.0.2.1"));
    await load(zoneText(2, "www A 192.0.2.2"));
    const whole = await ixfr(authority, 0);
    assert.deepEqual(whole, [
      "SOA 2",
      "example.com 3600 ns1.example.com.",
      "ns1.example.com 3600 192.0.2.53",
      "www.example.com 3600 192.0.2.2",
      "SOA 2",
    ]);
    const [axfr] = await authority.lookupZone("example.com");
    assert.deepEqual(shown(axfr), whole);
  });

  it("keeps ixfrVersions versions and no more than twice the zone's records", async () => {
    const { authority, load } = await versions(zoneText(1, "www A 192.0.2.1"), {
      ixfrVersions: 2,
    });
    for (let serial = 2; serial <= 4; serial++) {
      await load(zoneText(serial, `www A 192.0.2.${serial}`));
    }
    assert.equal((await ixfr(authority, 1)).length, 5, "serial 1 is forgotten: the whole zone");
    assert.equal((await ixfr(authority, 2)).length, 10);
    const big = Array.from({ length: 20 }, (_, i) => `h${i} A 192.0.2.${i}`).join("\n");
    await load(zoneText(5, big));
    assert.equal((await ixfr(authority, 4)).length, 25, "23 records changed: within twice 23");
    await load(zoneText(6, "www A 192.0.2.6"));
    assert.equal((await ixfr(authority, 5)).length, 5, "23 records changed: past twice 4");
  });

  it("forgets the differences when the serial goes back, or the data changes under one serial", async () => {
    const { authority, load } = await versions(zoneText(10, "www A 192.0.2.1"));
    await load(zoneText(11, "www A 192.0.2.2"));
    await load(zoneText(11, "www A 192.0.2.2"));
    assert.equal((await ixfr(authority, 10)).length, 6, "the same data again: kept");
    await load(zoneText(11, "www A 192.0.2.3"));
    assert.equal((await ixfr(authority, 10)).length, 5);
    await load(zoneText(12, "www A 192.0.2.4"));
    await load(zoneText(9, "www A 192.0.2.5"));
    await load(zoneText(13, "www A 192.0.2.6"));
    assert.equal((await ixfr(authority, 11)).length, 5, "11 to 12 was forgotten at 9");
    assert.equal((await ixfr(authority, 9)).length, 6);
  });

  it("fails like a lookup for a name that is not the zone, and for a bad serial", async () => {
    const { authority } = await versions(zoneText(1, "www A 192.0.2.1"));
    const wrong = await authority.lookupIncrementalZone("www.example.com", 1).then(
      () => "answered",
      (e: Error) => e.name,
    );
    assert.equal(wrong, "DomainError");
    await assert.rejects(
      authority.lookupIncrementalZone("example.com", -1).asPromise(),
      RangeError,
    );
  });
});

function query(name: string, type: number, serial?: number): Message {
  const soa = new RRHeader({
    name,
    type: SOA,
    payload: new Record_SOA({ mname: "ns1.example.com", serial }),
  });
  return new Message({
    id: 4242,
    recDes: false,
    queries: [new Query(name, type)],
    authority: serial === undefined ? [] : [soa],
  });
}

async function server(options: DNSServerFactoryOptions = {}) {
  const { authority, load } = await versions(zoneText(1, "www A 192.0.2.1"));
  await load(zoneText(2, "www A 192.0.2.2"));
  const clock = new Clock();
  const factory = new DNSServerFactory({ authorities: [authority], reactor: clock, ...options });
  /** Sends `message` over TCP from `peer`; the replies. */
  const overTCP = async (message: Message, peer = new IPv4Address("TCP", "192.0.2.9", 40000)) => {
    const protocol = factory.buildProtocol(peer);
    assert.ok(protocol instanceof DNSProtocol);
    const transport = new StringTransportWithDisconnection({ peerAddress: peer });
    transport.protocol = protocol;
    protocol.makeConnection(transport);
    protocol.dataReceived(frame(message));
    await new Promise((resolve) => setTimeout(resolve, 0));
    const replies = framedMessages(transport.value());
    transport.loseConnection();
    return replies;
  };
  const udp = new DNSDatagramProtocol(factory, { reactor: clock });
  const datagrams = new FakeDatagramTransport();
  udp.makeConnection(datagrams);
  const overUDP = (message: Message, from: DatagramAddress = ["192.0.2.9", 5353]) => {
    const before = datagrams.written.length;
    udp.datagramReceived(message.toStr(), from);
    return datagrams.written.slice(before).map(([bytes]) => Message.fromStr(bytes));
  };
  return { factory, overTCP, overUDP };
}

describe("DNSServerFactory serving IXFR and AXFR", () => {
  it("answers IXFR over TCP with the differences, the question once", async () => {
    const { overTCP } = await server();
    const replies = await overTCP(query("example.com", IXFR, 1));
    assert.ok(replies.every((m) => m.rCode === OK && m.auth && m.id === 4242));
    assert.deepEqual(replies[0].queries.map((q) => q.type), [IXFR]);
    assert.deepEqual(shown(replies.flatMap((m) => m.answers)), [
      "SOA 2",
      "SOA 1",
      "www.example.com 3600 192.0.2.1",
      "SOA 2",
      "www.example.com 3600 192.0.2.2",
      "SOA 2",
    ]);
    const current = await overTCP(query("example.com", IXFR, 2));
    assert.deepEqual(shown(current.flatMap((m) => m.answers)), ["SOA 2"]);
  });

  it("answers FORMERR to an IXFR without the client's SOA, REFUSED outside its zones", async () => {
    const { overTCP } = await server();
    assert.equal((await overTCP(query("example.com", IXFR)))[0].rCode, EFORMAT);
    assert.equal((await overTCP(query("example.org", IXFR, 1)))[0].rCode, EREFUSED);
  });

  it("answers IXFR over UDP with the current SOA alone", async () => {
    const { overUDP } = await server();
    const [reply] = overUDP(query("example.com", IXFR, 1));
    assert.deepEqual([reply.rCode, shown(reply.answers)], [OK, ["SOA 2"]]);
  });

  it("refuses AXFR and IXFR from addresses allowTransfer does not list", async () => {
    const { overTCP, overUDP } = await server({
      allowTransfer: ["192.0.2.0/25", "2001:db8:1::/48"],
    });
    const inside = await overTCP(
      query("example.com", AXFR),
      new IPv4Address("TCP", "192.0.2.9", 1),
    );
    assert.equal(inside.flatMap((m) => m.answers).length, 5);
    const outside = await overTCP(
      query("example.com", AXFR),
      new IPv4Address("TCP", "192.0.2.200", 1),
    );
    assert.deepEqual(outside.map((m) => [m.rCode, m.answers.length]), [[EREFUSED, 0]]);
    const v6 = await overTCP(
      query("example.com", IXFR, 1),
      new IPv6Address("TCP", "2001:db8:1::5", 1),
    );
    assert.equal(v6[0].rCode, OK);
    const v6out = await overTCP(
      query("example.com", IXFR, 1),
      new IPv6Address("TCP", "2001:db8:2::5", 1),
    );
    assert.equal(v6out[0].rCode, EREFUSED);
    const mapped = await overTCP(
      query("example.com", AXFR),
      new IPv6Address("TCP", "::ffff:192.0.2.10", 1),
    );
    assert.equal(mapped[0].rCode, OK, "an IPv4-mapped IPv6 peer is its IPv4 address");
    assert.equal(overUDP(query("example.com", IXFR, 1), ["192.0.2.200", 53])[0].rCode, EREFUSED);
    assert.equal(overUDP(query("example.com", IXFR, 1), ["192.0.2.1", 53])[0].rCode, OK);
    assert.equal(overUDP(query("www.example.com", 1), ["192.0.2.200", 53])[0].rCode, OK);
  });

  it("refuses a bad allowTransfer block", () => {
    for (const bad of ["192.0.2.0/33", "192.0.2.1/24", "example.com", "2001:db8::/129"]) {
      assert.throws(() => new DNSServerFactory({ allowTransfer: [bad] }), SyntaxError, bad);
    }
  });
});

describe("NotifySender (RFC 1996)", () => {
  function soa(serial: number): Record_SOA {
    return new Record_SOA({ mname: "ns1.example.com", serial, ttl: 3600 });
  }

  it("sends NOTIFY (opcode 4, AA, the SOA question and answer) and fires once acknowledged", async () => {
    const reactor = new FakeDNSReactor();
    const sender = new NotifySender([["192.0.2.54", 5353], ["[2001:db8::54]", 53]], { reactor });
    const acked = sender.notify("example.com", soa(7));
    const [v4, v6] = reactor.openPorts();
    assert.deepEqual([v4.interface, v6.interface], ["0.0.0.0", "::"]);
    const [message, to] = v4.sent();
    assert.deepEqual(to, ["192.0.2.54", 5353]);
    assert.deepEqual(
      [message.opCode, message.auth, message.answer, message.recDes],
      [OP_NOTIFY, true, false, false],
    );
    assert.deepEqual(message.queries.map(String), [String(new Query("example.com", SOA))]);
    assert.deepEqual(shown(message.answers), ["SOA 7"]);
    v4.deliver(answerTo(message), ["192.0.2.99", 5353]); // from elsewhere: ignored
    v4.deliver(answerTo(message, { opCode: OP_NOTIFY }));
    v6.deliver(answerTo(v6.sent()[0], { opCode: OP_NOTIFY }));
    assert.deepEqual(await acked, [["192.0.2.54", 5353], ["2001:db8::54", 53]]);
    assert.equal(reactor.openPorts().length, 0);
    assert.equal(sender.pending, 0);
  });

  it("tries again from a fresh port and id after each timeout, then gives up", async () => {
    const reactor = new FakeDNSReactor();
    const sender = new NotifySender([["192.0.2.54", 53]], { reactor, timeout: [1, 2, 4] });
    const acked = sender.notify("example.com");
    const ids = new Set<number>();
    for (const wait of [1, 2, 4]) {
      const [port] = reactor.openPorts();
      ids.add(port.sent()[0].id);
      assert.equal(port.sent()[0].answers.length, 0);
      reactor.advance(wait);
      assert.equal(port.stopped, true);
    }
    // Random ids: all three alike would be a 1 in 4 billion chance (two alike: 1 in 22,000).
    assert.ok(ids.size > 1, "a fresh id for each try");
    assert.deepEqual(await acked, []);
    assert.equal(reactor.udp.length, 3);
  });

  it("stops at an error answer; a newer NOTIFY replaces one under way; stop() ends all", async () => {
    const reactor = new FakeDNSReactor();
    const sender = new NotifySender([["192.0.2.54", 53]], { reactor });
    const refused = sender.notify("example.com", soa(1));
    const [port] = reactor.openPorts();
    port.deliver(answerTo(port.sent()[0], { opCode: OP_NOTIFY, rCode: EREFUSED }));
    assert.deepEqual(await refused, []);
    const first = sender.notify("example.com", soa(2));
    const second = sender.notify("example.com", soa(3));
    assert.deepEqual(await first, []);
    assert.equal(reactor.openPorts().length, 1);
    const other = sender.notify("example.net");
    assert.equal(sender.pending, 2);
    sender.stop();
    assert.deepEqual([await second, await other], [[], []]);
    assert.equal(reactor.openPorts().length, 0);
    assert.equal(reactor.getDelayedCalls().length, 0);
  });

  it("refuses targets that are no IP address, and bad timeouts", () => {
    assert.throws(() => new NotifySender([["ns2.example.com", 53]]), TypeError);
    assert.throws(() => new NotifySender([["192.0.2.1", 0]]), RangeError);
    assert.throws(() => new NotifySender([], { timeout: [] }), RangeError);
  });
});
