// SRVConnector: RFC 2782 ordering, fallback to the domain's default port,
// "service not available", and a new target on each reconnect.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DNSNameError,
  type LookupResult,
  orderServers,
  Record_SRV,
  ResolverBase,
  RRHeader,
  SRVConnector,
} from "../../src/names/mod.ts";
import { type Deferred, fail, succeed } from "../../src/internet/defer.ts";
import { ClientFactory, Protocol } from "../../src/internet/protocol.ts";
import { MemoryReactor } from "../../src/testing/mod.ts";
import type { IConnector } from "../../src/internet/interfaces.ts";
import { Failure } from "../../src/internet/failure.ts";
import { ConnectionRefusedError, DNSLookupError } from "../../src/internet/error.ts";

const srv = (priority: number, weight: number, port: number, target: string) =>
  new Record_SRV({ priority, weight, port, target });

class FixedSRV extends ResolverBase {
  asked: string[] = [];
  records: Record_SRV[] | Error;
  constructor(records: Record_SRV[] | Error) {
    super();
    this.records = records;
  }
  protected doLookup(name: string): Deferred<LookupResult> {
    this.asked.push(name);
    if (this.records instanceof Error) return fail(this.records);
    return succeed<LookupResult>([
      this.records.map((payload) => new RRHeader({ name, payload })),
      [],
      [],
    ]);
  }
}

class Recorder extends ClientFactory {
  failures: Failure[] = [];
  override clientConnectionFailed(_c: IConnector, reason: Failure): void {
    this.failures.push(reason);
  }
}

function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

describe("orderServers()", () => {
  it("puts lower priorities first", () => {
    const order = orderServers(
      [srv(20, 5, 1, "c"), srv(10, 5, 1, "a"), srv(30, 5, 1, "d")],
      () => 0.5,
    );
    assert.deepEqual(order.map((s) => s.target.name), ["a", "c", "d"]);
  });

  it("picks by weight among equal priorities", () => {
    const heavy = srv(10, 90, 1, "heavy"), light = srv(10, 10, 1, "light");
    const counts = { heavy: 0, light: 0 };
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 2000; i++) {
      counts[orderServers([light, heavy], random)[0].target.name as "heavy"]++;
    }
    assert.ok(counts.heavy > 1600 && counts.heavy < 1990, JSON.stringify(counts));
  });

  it("keeps every server exactly once", () => {
    const all = [srv(1, 0, 1, "a"), srv(1, 3, 1, "b"), srv(2, 0, 1, "c"), srv(1, 7, 1, "d")];
    assert.deepEqual(orderServers(all).map((s) => s.target.name).sort(), ["a", "b", "c", "d"]);
  });
});

describe("SRVConnector", () => {
  it("looks up _service._proto.domain and connects to the first target", async () => {
    const reactor = new MemoryReactor();
    const resolver = new FixedSRV([srv(10, 0, 5222, "xmpp.example.com")]);
    const c = new SRVConnector(
      reactor,
      "xmpp-client",
      "example.com",
      ClientFactory.forProtocol(Protocol),
      { resolver },
    );
    c.connect();
    await flush();
    assert.deepEqual(resolver.asked, ["_xmpp-client._tcp.example.com"]);
    assert.deepEqual(reactor.tcpClients.map(([h, p]) => [h, p]), [["xmpp.example.com", 5222]]);
  });

  it("tries the next target when the factory reconnects after a failure", async () => {
    const reactor = new MemoryReactor();
    const resolver = new FixedSRV([srv(10, 0, 1, "a.example"), srv(20, 0, 2, "b.example")]);
    class Retry extends Recorder {
      override clientConnectionFailed(c: IConnector, reason: Failure): void {
        super.clientConnectionFailed(c, reason);
        if (this.failures.length < 3) c.connect();
      }
    }
    const factory = new Retry();
    const c = new SRVConnector(reactor, "imap", "example", factory, { resolver });
    c.connect();
    await flush();
    for (let i = 0; i < 3; i++) {
      const [, , wrapper] = reactor.tcpClients[i];
      (wrapper as ClientFactory).clientConnectionFailed(
        c.connector!,
        new Failure(new ConnectionRefusedError()),
      );
    }
    assert.deepEqual(reactor.tcpClients.map(([h, p]) => `${h}:${p}`), [
      "a.example:1",
      "b.example:2",
      "a.example:1",
    ]);
    assert.equal(factory.failures.length, 3);
    assert.equal(resolver.asked.length, 1, "one lookup for all attempts");
  });

  it("uses the default port on the domain when there are no SRV records (NXDOMAIN too)", async () => {
    for (const records of [[], new DNSNameError("none")]) {
      const reactor = new MemoryReactor();
      const c = new SRVConnector(
        reactor,
        "imaps",
        "mail.example",
        ClientFactory.forProtocol(Protocol),
        {
          resolver: new FixedSRV(records),
          defaultPort: 993,
        },
      );
      c.connect();
      await flush();
      assert.deepEqual(reactor.tcpClients.map(([h, p]) => [h, p]), [["mail.example", 993]]);
    }
  });

  it("fails with DNSLookupError when the service is decidedly not available, or has no records and no default", async () => {
    for (const records of [[srv(0, 0, 0, ".")], []]) {
      const reactor = new MemoryReactor();
      const factory = new Recorder();
      new SRVConnector(reactor, "sip", "example.com", factory, { resolver: new FixedSRV(records) })
        .connect();
      await flush();
      assert.equal(reactor.tcpClients.length, 0);
      assert.ok(factory.failures[0].value instanceof DNSLookupError);
    }
  });

  it("connects with TLS when given TLS options", async () => {
    const reactor = new MemoryReactor();
    const c = new SRVConnector(
      reactor,
      "xmpps-client",
      "example.com",
      ClientFactory.forProtocol(Protocol),
      {
        resolver: new FixedSRV([srv(0, 0, 5223, "tls.example.com")]),
        tls: {},
      },
    );
    c.connect();
    await flush();
    assert.equal(reactor.sslClients[0][0], "tls.example.com");
    assert.equal(reactor.tcpClients.length, 0);
  });
});
