// root.Resolver over real UDP: a three-level hierarchy of our own servers on
// 127.0.0.1-3 (root, com, example.com) on one port, resolved iteratively.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { reactor } from "../../runtimes/select.ts";
import {
  DNSDatagramProtocol,
  DNSNameError,
  DNSServerFactory,
  FileAuthority,
  type IRecord,
  Record_A,
  Record_CNAME,
  Record_NS,
  Record_SOA,
  ResolverError,
  root,
} from "../../src/names/mod.ts";
import type { IPv4Address } from "../../src/internet/address.ts";
import type { UDPPort } from "../../src/internet/udp.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const soa = (mname: string) => new Record_SOA({ mname, rname: "hostmaster." + mname, minimum: 60 });

const ZONES: [string, [string, IRecord][]][] = [
  ["127.0.0.1", [
    ["", soa("a.root-servers.test")],
    ["com", new Record_NS("ns.nic.com")],
    ["ns.nic.com", new Record_A("127.0.0.2")],
  ]],
  ["127.0.0.2", [
    ["com", soa("ns.nic.com")],
    ["example.com", new Record_NS("ns1.example.com")],
    ["ns1.example.com", new Record_A("127.0.0.3")],
    // Out-of-bailiwick name server: no glue, the resolver finds its address itself.
    ["other.com", new Record_NS("ns1.example.com")],
  ]],
  ["127.0.0.3", [
    ["example.com", soa("ns1.example.com")],
    ["ns1.example.com", new Record_A("127.0.0.3")],
    ["www.example.com", new Record_A("192.0.2.80")],
    ["alias.example.com", new Record_CNAME("www.other.com")],
    ["loop.example.com", new Record_CNAME("loop.example.com")],
  ]],
];
// other.com is served by the example.com server too.
const OTHER: [string, IRecord][] = [
  ["other.com", soa("ns1.example.com")],
  ["www.other.com", new Record_A("192.0.2.81")],
];

async function hierarchy(): Promise<{ port: number; ports: UDPPort[] }> {
  for (let attempt = 0;; attempt++) {
    const ports: UDPPort[] = [];
    try {
      let port = 0;
      for (const [address, records] of ZONES) {
        const authorities = [new FileAuthority(records)];
        if (address === "127.0.0.3") authorities.push(new FileAuthority(OTHER));
        const factory = new DNSServerFactory({ authorities, reactor });
        const udp = reactor.listenUDP(port, new DNSDatagramProtocol(factory, { reactor }), {
          interface: address,
        });
        ports.push(udp);
        await udp.whenListening();
        port = (udp.getHost() as IPv4Address).port;
      }
      return { port, ports };
    } catch (error) {
      await Promise.all(ports.map((p) => p.stopListening()));
      if (attempt > 5) throw error;
    }
  }
}

describe("root.Resolver", () => {
  it("follows referrals with glue from the root down", async () => {
    const { port, ports } = await hierarchy();
    try {
      const resolver = new root.Resolver(["127.0.0.1"], { port, reactor, timeout: [2] });
      const [answers] = await resolver.lookupAddress("www.example.com");
      assert.deepEqual(answers.map(String), ["www.example.com. 60 IN A 192.0.2.80"]);
    } finally {
      await Promise.all(ports.map((p) => p.stopListening()));
    }
  });

  it("resolves a name server without glue, and a CNAME into another zone from the root", async () => {
    const { port, ports } = await hierarchy();
    try {
      const resolver = new root.Resolver(["127.0.0.1"], { port, reactor, timeout: [2] });
      const [other] = await resolver.lookupAddress("www.other.com");
      assert.deepEqual(other.map(String), ["www.other.com. 60 IN A 192.0.2.81"]);
      const [aliased] = await resolver.lookupAddress("alias.example.com");
      assert.deepEqual(aliased.map(String), [
        "alias.example.com. 60 IN CNAME www.other.com.",
        "www.other.com. 60 IN A 192.0.2.81",
      ]);
      assert.equal(await resolver.getHostByName("alias.example.com"), "192.0.2.81");
    } finally {
      await Promise.all(ports.map((p) => p.stopListening()));
    }
  });

  it("fails with DNSNameError for a name that does not exist", async () => {
    const { port, ports } = await hierarchy();
    try {
      const resolver = new root.Resolver(["127.0.0.1"], { port, reactor, timeout: [2] });
      await assert.rejects(
        Promise.resolve(resolver.lookupAddress("nothere.example.com")),
        DNSNameError,
      );
    } finally {
      await Promise.all(ports.map((p) => p.stopListening()));
    }
  });

  it("fails with ResolverError on a CNAME loop", async () => {
    const { port, ports } = await hierarchy();
    try {
      const resolver = new root.Resolver(["127.0.0.1"], { port, reactor, timeout: [2] });
      await assert.rejects(
        Promise.resolve(resolver.lookupAddress("loop.example.com")),
        ResolverError,
      );
    } finally {
      await Promise.all(ports.map((p) => p.stopListening()));
    }
  });

  it("gives up with ResolverError past maximumQueries", async () => {
    const { port, ports } = await hierarchy();
    try {
      const resolver = new root.Resolver(["127.0.0.1"], {
        port,
        reactor,
        timeout: [2],
        maximumQueries: 2,
      });
      await assert.rejects(
        Promise.resolve(resolver.lookupAddress("www.example.com")),
        ResolverError,
      );
      assert.throws(() => new root.Resolver([]), RangeError);
    } finally {
      await Promise.all(ports.map((p) => p.stopListening()));
    }
  });
});
