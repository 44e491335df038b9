// DNSServerFactory (twisted.names.server) at the byte level: queries built
// with Message fed to a DNSDatagramProtocol over a FakeDatagramTransport and
// to DNSProtocols over StringTransports, on a Clock; the replies decoded.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BindAuthority, FileAuthority } from "../../src/names/authority.ts";
import { DNSServerFactory, type DNSServerFactoryOptions } from "../../src/names/server.ts";
import {
  A,
  AXFR,
  DNSDatagramProtocol,
  DNSNameError,
  DNSProtocol,
  DNSQueryTimeoutError,
  EBADVERSION,
  EFORMAT,
  ENAME,
  ENOTIMP,
  EREFUSED,
  ESERVER,
  type IResolver,
  IXFR,
  type LookupResult,
  Message,
  type MessageFields,
  MX,
  NS,
  OK,
  OP_NOTIFY,
  OP_UPDATE,
  Query,
  Record_A,
  Record_SOA,
  ResolverBase,
  RRHeader,
  SOA,
  TXT,
} from "../../src/names/mod.ts";
import { Deferred, fail, succeed } from "../../src/internet/defer.ts";
import { DnsOptions } from "../../src/cli/plugins/dns.ts";
import { UsageError } from "../../src/cli/_usage.ts";
import { IPv4Address } from "../../src/internet/address.ts";
import type { DatagramAddress } from "../../src/internet/protocol.ts";
import {
  Clock,
  FakeDatagramTransport,
  flushLoggedErrors,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const BIG = Array.from(
  { length: 30 },
  (_, i) => `big TXT "${String(i).padStart(2, "0")}${"x".repeat(60)}"`,
);
const ZONE = `$ORIGIN example.com.
$TTL 3600
@        SOA ns1 hostmaster 2026120601 7200 3600 1209600 300
         NS  ns1
         MX  10 mail
ns1      A   192.0.2.53
mail     A   192.0.2.25
www      A   192.0.2.80
sub      NS  ns.sub
ns.sub   A   192.0.2.54
${BIG.join("\n")}
`;

const CLIENT: DatagramAddress = ["192.0.2.200", 5353];

function zone(): BindAuthority {
  return new BindAuthority("example.com", { text: ZONE });
}

function query(name: string, type = A, fields: MessageFields = {}): Message {
  return new Message({ id: 4242, recDes: false, queries: [new Query(name, type)], ...fields });
}

function server(options: DNSServerFactoryOptions = {}) {
  const clock = new Clock();
  const factory = new DNSServerFactory({ authorities: [zone()], reactor: clock, ...options });
  const udp = new DNSDatagramProtocol(factory, { reactor: clock });
  const transport = new FakeDatagramTransport();
  udp.makeConnection(transport);
  /** Sends a datagram; returns the raw replies written since. */
  const sendRaw = (bytes: Uint8Array, from: DatagramAddress = CLIENT): Uint8Array[] => {
    const before = transport.written.length;
    udp.datagramReceived(bytes, from);
    return transport.written.slice(before).map(([data, to]) => {
      assert.deepEqual(to, from);
      return data;
    });
  };
  /** Sends a query; returns the one reply, decoded. */
  const ask = (message: Message): Message => {
    const replies = sendRaw(message.toStr());
    assert.equal(replies.length, 1, "one reply");
    return Message.fromStr(replies[0]);
  };
  return { clock, factory, udp, transport, sendRaw, ask };
}

function connect(factory: DNSServerFactory) {
  const protocol = factory.buildProtocol(new IPv4Address("TCP", "192.0.2.9", 40000));
  assert.ok(protocol instanceof DNSProtocol);
  const transport = new StringTransportWithDisconnection();
  transport.protocol = protocol;
  protocol.makeConnection(transport);
  const frame = (message: Message): Uint8Array => {
    const bytes = message.toStr();
    return Uint8Array.of(bytes.length >> 8, bytes.length & 0xff, ...bytes);
  };
  /** The replies written so far, decoded from their frames. */
  const replies = (): Message[] => {
    const data = transport.value();
    const out: Message[] = [];
    for (let at = 0; at < data.length;) {
      const length = (data[at] << 8) | data[at + 1];
      out.push(Message.fromStr(data.subarray(at + 2, at + 2 + length)));
      at += 2 + length;
    }
    return out;
  };
  return { protocol, transport, frame, replies };
}

const text = (rrs: RRHeader[]) => rrs.map(String);

describe("DNSServerFactory over UDP", () => {
  it("answers authoritatively, echoing id, opcode, RD and the question as asked", () => {
    const { ask } = server();
    const reply = ask(query("WWW.Example.COM", A, { recDes: true, checkingDisabled: true }));
    assert.deepEqual(
      [reply.id, reply.answer, reply.auth, reply.recDes, reply.recAv, reply.checkingDisabled],
      [4242, true, true, true, false, true],
    );
    assert.equal(reply.rCode, OK);
    assert.equal(reply.queries[0].name.name, "WWW.Example.COM");
    assert.deepEqual(text(reply.answers), ["WWW.Example.COM. 3600 IN A 192.0.2.80"]);
    assert.equal(reply.ednsVersion, null);
  });

  it("replies to EDNS with OPT: version 0, our size 1232, DO copied", () => {
    const { ask } = server();
    const reply = ask(
      query("www.example.com", A, { ednsVersion: 0, maxSize: 4096, dnssecOK: true }),
    );
    assert.deepEqual([reply.ednsVersion, reply.maxSize, reply.dnssecOK], [0, 1232, true]);
    assert.equal(reply.answers.length, 1);
  });

  it("answers an EDNS version above 0 with BADVERS and OPT version 0", () => {
    const { ask } = server();
    const reply = ask(query("www.example.com", A, { ednsVersion: 1 }));
    assert.deepEqual([reply.rCode, reply.ednsVersion, reply.answers.length], [EBADVERSION, 0, 0]);
  });

  it("NXDOMAIN and NODATA carry AA and the SOA in authority", () => {
    const { ask } = server();
    const nx = ask(query("nothere.example.com"));
    assert.deepEqual([nx.rCode, nx.auth, nx.answers.length], [ENAME, true, 0]);
    assert.deepEqual(nx.authority.map((rr) => [rr.type, rr.ttl]), [[SOA, 300]]);
    const nodata = ask(query("www.example.com", MX));
    assert.deepEqual([nodata.rCode, nodata.auth, nodata.answers.length], [OK, true, 0]);
    assert.deepEqual(nodata.authority.map((rr) => rr.type), [SOA]);
  });

  it("a referral has no AA: the NS set in authority, glue in additional", () => {
    const { ask } = server();
    const reply = ask(query("host.sub.example.com"));
    assert.deepEqual([reply.rCode, reply.auth, reply.answers.length], [OK, false, 0]);
    assert.deepEqual(text(reply.authority), ["sub.example.com. 3600 IN NS ns.sub.example.com."]);
    assert.deepEqual(text(reply.additional), ["ns.sub.example.com. 3600 IN A 192.0.2.54"]);
  });

  it("refuses names no authority holds when not recursing (EDE 20 with EDNS)", () => {
    const { ask } = server();
    const plain = ask(query("example.org", A, { recDes: true }));
    assert.deepEqual([plain.rCode, plain.recAv, plain.auth], [EREFUSED, false, false]);
    const edns = ask(query("example.org", A, { ednsVersion: 0 }));
    assert.equal(edns.rCode, EREFUSED);
    assert.deepEqual(edns.ednsOptions.map((o) => [o.code, [...o.data]]), [[15, [0, 20]]]);
  });

  it("answers FORMERR to a query without exactly one question", () => {
    const { ask } = server();
    assert.equal(ask(new Message({ id: 1 })).rCode, EFORMAT);
    const two = new Message({
      id: 2,
      queries: [new Query("a.example.com"), new Query("b.example.com")],
    });
    assert.equal(ask(two).rCode, EFORMAT);
  });

  it("answers FORMERR to malformed bytes with a readable header, echoing id and opcode", () => {
    const { sendRaw } = server();
    const bytes = query("www.example.com", A, { opCode: OP_NOTIFY, recDes: true }).toStr();
    const cut = bytes.subarray(0, bytes.length - 3);
    const [reply] = sendRaw(cut).map((b) => Message.fromStr(b));
    assert.deepEqual(
      [reply.id, reply.answer, reply.opCode, reply.rCode, reply.recDes],
      [4242, true, OP_NOTIFY, EFORMAT, true],
    );
    assert.deepEqual(reply.queries, []);
    assert.deepEqual(sendRaw(bytes.subarray(0, 11)), [], "no header: no reply");
    const response = Uint8Array.from(cut);
    response[2] |= 0x80;
    assert.deepEqual(sendRaw(response), [], "a malformed response: no reply");
  });

  it("drops responses (QR=1)", () => {
    const { sendRaw } = server();
    assert.deepEqual(sendRaw(query("www.example.com", A, { answer: true }).toStr()), []);
  });

  it("acknowledges NOTIFY with AA; other opcodes get NOTIMP", () => {
    const { ask } = server();
    const notify = ask(query("example.com", SOA, { opCode: OP_NOTIFY }));
    assert.deepEqual([notify.rCode, notify.auth, notify.opCode], [OK, true, OP_NOTIFY]);
    assert.equal(notify.queries[0].name.name, "example.com");
    assert.equal(ask(query("example.com", SOA, { opCode: OP_UPDATE })).rCode, ENOTIMP);
    assert.equal(ask(query("example.com", SOA, { opCode: 1 })).rCode, ENOTIMP);
  });

  it("cuts replies to 512 bytes without EDNS: whole RRsets dropped, TC set", () => {
    const { sendRaw } = server();
    const [bytes] = sendRaw(query("big.example.com", TXT).toStr());
    assert.ok(bytes.length <= 512, `${bytes.length} bytes`);
    const reply = Message.fromStr(bytes);
    assert.deepEqual([reply.trunc, reply.answers.length, reply.rCode], [true, 0, OK]);
  });

  it("fits replies to the client's EDNS size, keeping OPT, capped at 4096", () => {
    const { sendRaw } = server();
    const [small] = sendRaw(
      query("big.example.com", TXT, { ednsVersion: 0, maxSize: 1000 }).toStr(),
    );
    const cut = Message.fromStr(small);
    assert.ok(small.length <= 1000);
    assert.deepEqual([cut.trunc, cut.answers.length, cut.ednsVersion], [true, 0, 0]);
    const [whole] = sendRaw(
      query("big.example.com", TXT, { ednsVersion: 0, maxSize: 4096 }).toStr(),
    );
    const full = Message.fromStr(whole);
    assert.deepEqual([full.trunc, full.answers.length], [false, 30]);
    assert.ok(whole.length > 1232 && whole.length <= 4096);
  });

  it("caps a huge EDNS size at 4096", () => {
    const items: [string, Record_A][] = [];
    for (let i = 0; i < 400; i++) {
      items.push(["many.example.com", new Record_A(`10.0.${i >> 8}.${i & 255}`)]);
    }
    const authority = new FileAuthority([["example.com", new Record_SOA()], ...items]);
    const { sendRaw } = server({ authorities: [authority] });
    const [bytes] = sendRaw(
      query("many.example.com", A, { ednsVersion: 0, maxSize: 65000 }).toStr(),
    );
    assert.ok(bytes.length <= 4096, `${bytes.length} bytes`);
    assert.equal(Message.fromStr(bytes).trunc, true);
  });

  it("answers AXFR over UDP with FORMERR and IXFR with the SOA", () => {
    const { ask } = server();
    assert.equal(ask(query("example.com", AXFR)).rCode, EFORMAT);
    const ixfr = ask(query("example.com", IXFR));
    assert.deepEqual(ixfr.answers.map((rr) => rr.type), [SOA]);
  });

  it("answers SERVFAIL when a resolver fails unexpectedly, and logs it", () => {
    class Broken extends ResolverBase {
      protected doLookup(): Deferred<LookupResult> {
        return fail(new TypeError("broken resolver"));
      }
    }
    const { ask } = server({ authorities: [new Broken()] });
    assert.equal(ask(query("www.example.com")).rCode, ESERVER);
    assert.equal(flushLoggedErrors(TypeError).length, 1);
  });

  it("asks the authority with the closest zone first", () => {
    const child = new FileAuthority([
      ["sub.example.com", new Record_SOA({ mname: "ns.sub.example.com" })],
      ["host.sub.example.com", new Record_A("192.0.2.77", 5)],
    ]);
    const { ask } = server({ authorities: [zone(), child] });
    const reply = ask(query("host.sub.example.com"));
    assert.deepEqual([reply.auth, text(reply.answers)], [true, [
      "host.sub.example.com. 5 IN A 192.0.2.77",
    ]]);
  });

  it("never throws on random bytes, and answers undecodable ones with FORMERR or nothing", () => {
    const { sendRaw } = server();
    const valid = query("www.example.com").toStr();
    const arbitrary = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      // A valid query with some bytes changed, to get past the header often.
      fc.tuple(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          maxLength: 6,
        }),
        fc.nat(valid.length),
      ).map(([edits, cut]) => {
        const bytes = valid.slice(0, Math.max(cut, 12));
        for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
        return bytes;
      }),
    );
    fc.assert(
      fc.property(arbitrary, (bytes) => {
        const replies = sendRaw(bytes);
        let decoded: Message | null = null;
        try {
          decoded = Message.fromStr(bytes);
        } catch {
          // undecodable
        }
        if (decoded === null) {
          if (bytes.length < 12 || (bytes[2] & 0x80) !== 0) return replies.length === 0;
          return replies.length === 1 && Message.fromStr(replies[0]).rCode === EFORMAT;
        }
        if (decoded.answer) return replies.length === 0;
        return replies.length === 1 && Message.fromStr(replies[0]).id === decoded.id;
      }),
      { numRuns: 2000 },
    );
  });
});

describe("DNSServerFactory over TCP", () => {
  it("answers framed queries, split at every byte, pipelined", () => {
    const { factory } = server();
    const { protocol, frame, replies, transport } = connect(factory);
    const bytes = Uint8Array.of(
      ...frame(query("www.example.com")),
      ...frame(query("mail.example.com")),
    );
    for (const byte of bytes) protocol.dataReceived(Uint8Array.of(byte));
    assert.deepEqual(replies().map((r) => text(r.answers)), [
      ["www.example.com. 3600 IN A 192.0.2.80"],
      ["mail.example.com. 3600 IN A 192.0.2.25"],
    ]);
    transport.loseConnection();
  });

  it("sends big answers whole over TCP", () => {
    const { factory } = server();
    const { protocol, frame, replies, transport } = connect(factory);
    protocol.dataReceived(frame(query("big.example.com", TXT)));
    const [reply] = replies();
    assert.deepEqual([reply.trunc, reply.answers.length], [false, 30]);
    transport.loseConnection();
  });

  it("closes the connection on a zero length", () => {
    const { factory } = server();
    const { protocol, transport } = connect(factory);
    protocol.dataReceived(Uint8Array.of(0, 0));
    assert.equal(transport.disconnecting, true);
    assert.equal(factory.connections.length, 0);
  });

  it("answers FORMERR to a malformed message and goes on", () => {
    const { factory } = server();
    const { protocol, frame, replies, transport } = connect(factory);
    const bad = query("www.example.com").toStr().subarray(0, 20);
    protocol.dataReceived(Uint8Array.of(0, bad.length, ...bad, ...frame(query("www.example.com"))));
    assert.deepEqual(replies().map((r) => r.rCode), [EFORMAT, OK]);
    transport.loseConnection();
  });

  it("transfers the zone (AXFR): SOA first and last, in as many messages as it takes", () => {
    const { factory } = server();
    const { protocol, frame, replies, transport } = connect(factory);
    protocol.dataReceived(frame(query("example.com", AXFR)));
    const messages = replies();
    const records = messages.flatMap((m) => m.answers);
    assert.ok(messages.every((m) => m.auth && m.rCode === OK && m.id === 4242));
    assert.deepEqual([records[0].type, records.at(-1)!.type], [SOA, SOA]);
    assert.equal(records.length, 2 + 2 + 4 + 1 + 30);
    assert.ok(records.some((rr) => rr.type === NS && rr.name.name === "sub.example.com"));
    protocol.dataReceived(frame(query("example.org", AXFR)));
    assert.equal(replies().at(-1)!.rCode, EREFUSED);
    transport.loseConnection();
  });

  it("refuses connections over maxConnections", () => {
    const { factory } = server({ maxConnections: 2 });
    const one = connect(factory), two = connect(factory);
    assert.equal(factory.buildProtocol(new IPv4Address("TCP", "192.0.2.9", 1)), null);
    one.transport.loseConnection();
    const three = connect(factory);
    assert.equal(factory.connections.length, 2);
    two.transport.loseConnection();
    three.transport.loseConnection();
  });

  it("closes idle connections after idleTimeout; a query restarts the timer", () => {
    const { factory, clock } = server({ idleTimeout: 5 });
    const { protocol, frame, transport } = connect(factory);
    clock.advance(4);
    protocol.dataReceived(frame(query("www.example.com")));
    clock.advance(4);
    assert.equal(transport.disconnecting, false);
    clock.advance(1.5);
    assert.equal(transport.disconnecting, true);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("pauses reading while maxPendingPerConnection queries are unanswered", () => {
    const pending: Deferred<LookupResult>[] = [];
    class Slow extends ResolverBase {
      protected doLookup(): Deferred<LookupResult> {
        const d = new Deferred<LookupResult>();
        pending.push(d);
        return d;
      }
    }
    const { factory } = server({ clients: [new Slow()], maxPendingPerConnection: 2 });
    const { protocol, frame, replies, transport } = connect(factory);
    const recursive = (name: string) => frame(query(name, A, { recDes: true }));
    protocol.dataReceived(recursive("a.example.org"));
    assert.equal(transport.producerState, "producing");
    protocol.dataReceived(recursive("b.example.org"));
    assert.equal(transport.producerState, "paused");
    pending[0].callback([[], [], []]);
    assert.equal(transport.producerState, "producing");
    pending[1].callback([[], [], []]);
    assert.equal(replies().length, 2);
    transport.loseConnection();
  });

  it("pauses reading while the replies back up", () => {
    const { factory } = server();
    const { transport } = connect(factory);
    const producer = transport.producer as { pauseProducing(): void; resumeProducing(): void };
    producer.pauseProducing();
    assert.equal(transport.producerState, "paused");
    producer.resumeProducing();
    assert.equal(transport.producerState, "producing");
    transport.loseConnection();
  });
});

describe("DNSServerFactory with clients and caches", () => {
  class Fixed extends ResolverBase {
    asked: string[] = [];
    readonly answer: (name: string) => Deferred<LookupResult>;
    constructor(answer: (name: string) => Deferred<LookupResult>) {
      super();
      this.answer = answer;
    }
    protected doLookup(name: string): Deferred<LookupResult> {
      this.asked.push(name);
      return this.answer(name);
    }
  }
  const upstream = (name: string) =>
    succeed<LookupResult>([
      [new RRHeader({ name, payload: new Record_A("198.51.100.1"), ttl: 9 })],
      [],
      [],
    ]);

  it("recurses for RD queries names no authority holds, with RA set", () => {
    const client = new Fixed(upstream);
    const { ask } = server({ clients: [client] });
    const reply = ask(query("www.example.org", A, { recDes: true }));
    assert.deepEqual([reply.rCode, reply.auth, reply.recAv, reply.recDes], [OK, false, true, true]);
    assert.deepEqual(text(reply.answers), ["www.example.org. 9 IN A 198.51.100.1"]);
    const own = ask(query("www.example.com", A, { recDes: true }));
    assert.deepEqual([own.auth, own.recAv], [true, true]);
    assert.deepEqual(client.asked, ["www.example.org"]);
  });

  it("does not recurse without RD: REFUSED", () => {
    const client = new Fixed(upstream);
    const { ask } = server({ clients: [client] });
    assert.equal(ask(query("www.example.org", A, { recDes: false })).rCode, EREFUSED);
    assert.deepEqual(client.asked, []);
  });

  it("passes a client's NXDOMAIN on, and answers SERVFAIL when it times out", () => {
    const { ask } = server({
      clients: [
        new Fixed((name) =>
          fail(name.startsWith("nx") ? new DNSNameError(name) : new DNSQueryTimeoutError(1))
        ),
      ],
    });
    assert.equal(ask(query("nx.example.org", A, { recDes: true })).rCode, ENAME);
    assert.equal(ask(query("slow.example.org", A, { recDes: true })).rCode, ESERVER);
  });

  it("asks caches before clients and tells the last cache what clients found", () => {
    const stored: [string, LookupResult][] = [];
    const cache: IResolver & { cacheResult(q: Query, r: LookupResult): void } = Object.assign(
      new Fixed((name) =>
        name === "cached.example.org" ? upstream(name) : fail(new DNSNameError(name))
      ),
      { cacheResult: (q: Query, r: LookupResult) => void stored.push([q.name.name, r]) },
    );
    const client = new Fixed(upstream);
    const { ask } = server({ caches: [cache], clients: [client] });
    ask(query("cached.example.org", A, { recDes: true }));
    assert.deepEqual(client.asked, []);
    ask(query("new.example.org", A, { recDes: true }));
    assert.deepEqual(client.asked, ["new.example.org"]);
    assert.deepEqual(stored.map(([name]) => name), ["new.example.org"]);
  });
});

describe("tw dns options (DnsOptions)", () => {
  const parsed = (argv: string[]) => {
    const options = new DnsOptions();
    options.parseOptions(argv);
    return options.opts;
  };

  it("has twistd's options, serving 127.0.0.1:53 by default", () => {
    const opts = parsed([]);
    assert.deepEqual(
      [opts.interface, opts.port, opts.bindzone, opts.zone, opts.verbose, opts.recursive],
      ["127.0.0.1", 53, [], [], 0, false],
    );
    const set = parsed(["-i", "::1", "-p", "5353", "--bindzone", "a", "--bindzone", "b", "-c"]);
    assert.deepEqual([set.interface, set.port, set.bindzone, set.cache], [
      "::1",
      5353,
      ["a", "b"],
      true,
    ]);
  });

  it("counts --verbose and -v, grouped or not, and skips option values", () => {
    assert.equal(parsed(["-v", "--verbose", "-vv"]).verbose, 4);
    assert.equal(parsed(["-vp", "53", "-iv", "--zone", "-v", "-v"]).verbose, 2);
    assert.equal(parsed(["--port=53", "-v"]).verbose, 1);
  });

  it("takes --rate-limit as a whole number, off by default", () => {
    assert.equal(parsed([])["rate-limit"], 0);
    assert.equal(parsed(["--rate-limit", "50"])["rate-limit"], 50);
    assert.throws(() => parsed(["--rate-limit", "-1"]), UsageError);
  });

  it("--resolv-conf implies --recursive", () => {
    assert.equal(parsed(["--resolv-conf", "/etc/resolv.conf"]).recursive, true);
  });

  it("refuses --pyzone naming --zone, and the options that come later", () => {
    assert.throws(
      () => parsed(["--pyzone", "zone.py"]),
      (e: Error) => e instanceof UsageError && /--zone MODULE/.test(e.message),
    );
    for (const option of ["--tls", "--https", "--rate-limit"]) {
      assert.throws(() => parsed([option, "x"]), UsageError, option);
    }
    assert.throws(() => parsed(["--port", "dns"]), UsageError);
  });

  it("takes --secondary IP[:PORT]/DOMAIN (twistd's form), IPv6 too, repeatable", () => {
    assert.deepEqual(parsed([]).secondary, []);
    const opts = parsed([
      "--secondary",
      "192.0.2.53/example.com",
      "--secondary=192.0.2.54:5353/Example.NET.",
      "--secondary",
      "[2001:db8::53]:5300/example.org",
      "--secondary",
      "2001:db8::54/example.info",
    ]);
    assert.deepEqual(opts.secondary, [
      [["192.0.2.53", 53], "example.com"],
      [["192.0.2.54", 5353], "Example.NET"],
      [["2001:db8::53", 5300], "example.org"],
      [["2001:db8::54", 53], "example.info"],
    ]);
    for (
      const bad of ["example.com", "192.0.2.53/", "ns1.example.com/example.com", "192.0.2.53:dns/x"]
    ) {
      assert.throws(() => parsed(["--secondary", bad]), UsageError, bad);
    }
    assert.throws(
      () => parsed(["--secondary", "192.0.2.53"]),
      /Argument must be of the form IP\[:PORT\]\/DOMAIN/,
    );
  });

  it("takes --notify IP[:PORT] and --allow-transfer CIDR (IPv4 and IPv6), repeatable", () => {
    const opts = parsed([
      "--notify",
      "192.0.2.54",
      "--notify",
      "127.0.0.1:5300",
      "--notify",
      "[::1]:5301",
      "--allow-transfer",
      "192.0.2.0/24",
      "--allow-transfer",
      "2001:db8::/32",
      "--allow-transfer",
      "127.0.0.1",
    ]);
    assert.deepEqual(opts.notify, [["192.0.2.54", 53], ["127.0.0.1", 5300], ["::1", 5301]]);
    assert.deepEqual(opts["allow-transfer"], ["192.0.2.0/24", "2001:db8::/32", "127.0.0.1"]);
    assert.deepEqual([parsed([]).notify, parsed([])["allow-transfer"]], [[], []]);
    for (const bad of ["ns2.example.com", "192.0.2.54:0", "192.0.2.54:99999"]) {
      assert.throws(() => parsed(["--notify", bad]), UsageError, bad);
    }
    for (const bad of ["192.0.2.0/33", "192.0.2.1/24", "any", "2001:db8::/200"]) {
      assert.throws(() => parsed(["--allow-transfer", bad]), UsageError, bad);
    }
  });

  it("documents --secondary, --notify and --allow-transfer in the help", () => {
    const help = new DnsOptions().getUsage();
    assert.match(help, /--secondary IP\[:PORT\]\/DOMAIN\s+Be a secondary for DOMAIN/);
    assert.match(help, /--notify IP\[:PORT\]\s+Send NOTIFY/);
    assert.match(help, /--allow-transfer CIDR\s+Allow zone transfers/);
  });
});

describe("DNSServerFactory's reply cache", () => {
  /** A zone that counts its lookups and can be replaced. */
  class CountingZone extends FileAuthority {
    lookups = 0;
    constructor(address: string) {
      super([
        ["example.com", new Record_SOA({ mname: "ns1.example.com", minimum: 60 })],
        ["www.example.com", new Record_A(address, 60)],
      ]);
    }
    replace(address: string): void {
      this.loadZone([
        ["example.com", new Record_SOA({ mname: "ns1.example.com", minimum: 60 })],
        ["www.example.com", new Record_A(address, 60)],
      ]);
    }
    protected override doLookup(name: string, cls: number, type: number) {
      this.lookups++;
      return super.doLookup(name, cls, type);
    }
  }

  function asked(id: number): Uint8Array {
    return query("www.example.com", A, { id, ednsVersion: 0, maxSize: 1232 }).toStr();
  }

  it("answers the same query bytes again without a lookup, with the new id", () => {
    const zone = new CountingZone("192.0.2.1");
    const { sendRaw } = server({ authorities: [zone] });
    const [first] = sendRaw(asked(1));
    const [second] = sendRaw(asked(2));
    assert.equal(zone.lookups, 1);
    assert.equal(Message.fromStr(second).id, 2);
    assert.deepEqual(second.subarray(2), first.subarray(2));
    assert.deepEqual(text(Message.fromStr(second).answers), ["www.example.com. 60 IN A 192.0.2.1"]);
  });

  it("forgets its replies when a zone is replaced", () => {
    const zone = new CountingZone("192.0.2.1");
    const { sendRaw } = server({ authorities: [zone] });
    sendRaw(asked(1));
    zone.replace("192.0.2.2");
    const [reply] = sendRaw(asked(3));
    assert.deepEqual(text(Message.fromStr(reply).answers), ["www.example.com. 60 IN A 192.0.2.2"]);
    assert.equal(zone.lookups, 2);
  });

  it("is not used with clients, with an allowQuery of its own, or when turned off", () => {
    class Picky extends DNSServerFactory {
      override allowQuery(): boolean {
        return true;
      }
    }
    const cases: [string, (zone: CountingZone) => DNSServerFactory][] = [
      [
        "clients",
        (zone) =>
          new DNSServerFactory({ authorities: [zone], clients: [zone], reactor: new Clock() }),
      ],
      ["allowQuery", (zone) => new Picky({ authorities: [zone], reactor: new Clock() })],
      [
        "replyCache: false",
        (zone) =>
          new DNSServerFactory({ authorities: [zone], replyCache: false, reactor: new Clock() }),
      ],
    ];
    for (const [what, make] of cases) {
      const zone = new CountingZone("192.0.2.1");
      const udp = new DNSDatagramProtocol(make(zone), { reactor: new Clock() });
      const transport = new FakeDatagramTransport();
      udp.makeConnection(transport);
      udp.datagramReceived(asked(1), CLIENT);
      udp.datagramReceived(asked(2), CLIENT);
      assert.equal(zone.lookups, 2, what);
      assert.equal(transport.written.length, 2, what);
    }
  });

  it("does not keep SERVFAIL", () => {
    class Failing extends ResolverBase {
      generation = 0;
      calls = 0;
      protected doLookup(): Deferred<LookupResult> {
        this.calls++;
        return fail(new Error("disk on fire"));
      }
    }
    const failing = new Failing();
    const { sendRaw } = server({ authorities: [failing] });
    sendRaw(asked(1));
    sendRaw(asked(2));
    assert.equal(failing.calls, 2);
    flushLoggedErrors();
  });
});

describe("DNSServerFactory's rate limit (rateLimit)", () => {
  it("answers N queries a second per /24, slips every second one of the rest with TC, drops the others", () => {
    const { clock, sendRaw } = server({ rateLimit: 2 });
    const bytes = query("www.example.com").toStr();
    const replies = Array.from({ length: 6 }, () => sendRaw(bytes, ["192.0.2.200", 5353]));
    assert.deepEqual(replies.map((r) => r.length), [1, 1, 0, 1, 0, 1]);
    const full = Message.fromStr(replies[0][0]);
    assert.deepEqual([full.trunc, full.answers.length], [false, 1]);
    const slipped = Message.fromStr(replies[3][0]);
    assert.deepEqual(
      [
        slipped.id,
        slipped.answer,
        slipped.trunc,
        slipped.answers.length,
        slipped.queries.map(String),
      ],
      [4242, true, true, 0, ["www.example.com. IN A"]],
    );
    // Another address of the same /24 shares the count; another /24 does not.
    assert.equal(
      sendRaw(bytes, ["192.0.2.7", 53]).length + sendRaw(bytes, ["192.0.2.8", 53]).length,
      1,
    );
    assert.equal(sendRaw(bytes, ["198.51.100.1", 53]).length, 1);
    clock.advance(1);
    assert.equal(Message.fromStr(sendRaw(bytes, ["192.0.2.200", 5353])[0]).trunc, false);
  });

  it("counts IPv6 clients by their /56", () => {
    const { sendRaw } = server({ rateLimit: 1 });
    const bytes = query("www.example.com").toStr();
    assert.equal(sendRaw(bytes, ["2001:db8:0:1::1", 53]).length, 1);
    // 2001:db8:0:1::/64 lies in 2001:db8:0::/56; 2001:db8:0:100:: does not (its 7th byte is 1).
    const sameNet = sendRaw(bytes, ["2001:db8:0:1::2", 53]).length +
      sendRaw(bytes, ["2001:db8:0:1::3", 53]).length;
    assert.equal(sameNet, 1, "one of the two is slipped, the other dropped");
    assert.equal(sendRaw(bytes, ["2001:db8:0:100::1", 53]).length, 1, "another /56");
  });

  it("does not limit TCP", () => {
    const { factory, clock } = server({ rateLimit: 1 });
    const { protocol, frame, replies } = connect(factory);
    for (let i = 0; i < 5; i++) protocol.dataReceived(frame(query("www.example.com")));
    assert.equal(replies().length, 5);
    assert.ok(replies().every((r) => !r.trunc && r.answers.length === 1));
    protocol.transport.loseConnection();
    clock.advance(60);
  });
});
