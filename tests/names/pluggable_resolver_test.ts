// reactor.installResolver: a names resolver answers for reactor.resolve,
// connectTCP by name and HostnameEndpoint; ResolverBase.resolveHostName
// gathers A and AAAA and follows CNAMEs.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { reactor } from "../../runtimes/select.ts";
import {
  A,
  AAAA,
  CNAME,
  type LookupResult,
  Record_A,
  Record_AAAA,
  Record_CNAME,
  ResolverBase,
  RRHeader,
} from "../../src/names/mod.ts";
import { Deferred, succeed } from "../../src/internet/defer.ts";
import { Factory, Protocol } from "../../src/internet/protocol.ts";
import type { IPv4Address } from "../../src/internet/address.ts";
import { HostnameEndpoint } from "../../src/internet/endpoints.ts";
import { DNSLookupError } from "../../src/internet/error.ts";
import { DNSNameError } from "../../src/names/error.ts";
import { fail } from "../../src/internet/defer.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

/** Answers from a fixed table of [owner, record] pairs. */
class TableResolver extends ResolverBase {
  asked: string[] = [];
  readonly table: [string, Record_A | Record_AAAA | Record_CNAME][];
  constructor(table: [string, Record_A | Record_AAAA | Record_CNAME][]) {
    super();
    this.table = table;
  }
  protected doLookup(name: string, _cls: number, type: number): Deferred<LookupResult> {
    this.asked.push(`${name}/${type}`);
    const answers: RRHeader[] = [];
    let at = name.toLowerCase();
    for (let hop = 0; hop < 5; hop++) {
      const rows = this.table.filter(([owner]) => owner === at);
      if (rows.length === 0) break;
      const alias = rows.find(([, r]) => r.TYPE === CNAME && type !== CNAME);
      if (alias) {
        answers.push(new RRHeader({ name: at, payload: alias[1] }));
        at = (alias[1] as Record_CNAME).name.name;
        continue;
      }
      for (const [, r] of rows) {
        if (r.TYPE === type) answers.push(new RRHeader({ name: at, payload: r }));
      }
      break;
    }
    if (answers.length === 0 && !this.table.some(([o]) => o === name)) {
      return fail(new DNSNameError(name));
    }
    return succeed<LookupResult>([answers, [], []]);
  }
}

describe("ResolverBase.resolveHostName()", () => {
  it("asks for A and AAAA and returns both, IPv4 first", async () => {
    const r = new TableResolver([
      ["dual.test", new Record_AAAA("2001:db8::5")],
      ["dual.test", new Record_A("192.0.2.5")],
    ]);
    assert.deepEqual(await r.resolveHostName("dual.test"), [
      { address: "192.0.2.5", family: 4 },
      { address: "2001:db8::5", family: 6 },
    ]);
    assert.deepEqual(r.asked.sort(), [`dual.test/${A}`, `dual.test/${AAAA}`]);
  });

  it("follows a CNAME chain in the answers", async () => {
    const r = new TableResolver([
      ["www.test", new Record_CNAME("edge.test")],
      ["edge.test", new Record_CNAME("origin.test")],
      ["origin.test", new Record_A("192.0.2.9")],
    ]);
    assert.deepEqual(await r.resolveHostName("www.test"), [{ address: "192.0.2.9", family: 4 }]);
    assert.equal(await r.getHostByName("www.test"), "192.0.2.9");
  });

  it("fails with DNSLookupError when the name has no address", async () => {
    const r = new TableResolver([]);
    await assert.rejects(Promise.resolve(r.resolveHostName("nowhere.test")), DNSLookupError);
    await assert.rejects(Promise.resolve(r.getHostByName("nowhere.test")), DNSLookupError);
  });
});

describe("reactor.installResolver()", () => {
  const resolver = new TableResolver([["service.test", new Record_A("127.0.0.1")]]);

  it("answers reactor.resolve and returns the resolver it replaced", async () => {
    const previous = reactor.installResolver(resolver);
    try {
      assert.deepEqual(await reactor.resolve("service.test"), ["127.0.0.1"]);
      await assert.rejects(Promise.resolve(reactor.resolve("other.test")), DNSLookupError);
      assert.equal(reactor.installResolver(previous), resolver);
    } finally {
      reactor.installResolver(previous);
    }
  });

  it("is used by connectTCP and HostnameEndpoint for names", async () => {
    const accepted: string[] = [];
    class Hello extends Protocol {
      override connectionMade(): void {
        accepted.push("server");
        this.transport.loseConnection();
      }
    }
    const port = reactor.listenTCP(0, Factory.forProtocol(Hello), { interface: "127.0.0.1" });
    await port.whenListening();
    const { port: number } = port.getHost() as IPv4Address;
    const previous = reactor.installResolver(resolver);
    try {
      const lost = new Deferred<void>();
      class Client extends Protocol {
        override connectionLost(): void {
          lost.callback(undefined);
        }
      }
      reactor.connectTCP("service.test", number, Factory.forProtocol(Client));
      await lost;
      const endpoint = new HostnameEndpoint(reactor, "service.test", number);
      const closed = new Deferred<void>();
      class Again extends Protocol {
        override connectionLost(): void {
          closed.callback(undefined);
        }
      }
      await endpoint.connect(Factory.forProtocol(Again));
      await closed;
      assert.deepEqual(accepted, ["server", "server"]);
    } finally {
      reactor.installResolver(previous);
      await port.stopListening();
    }
  });
});
