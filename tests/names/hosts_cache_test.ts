// hosts(5) lookups, the caching resolver and the resolver chain
// (twisted.names.hosts, cache and resolve), on fake time and files in memory.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Deferred, fail, succeed } from "../../src/internet/defer.ts";
import { Clock } from "../../src/internet/task.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import * as cache from "../../src/names/cache.ts";
import * as client from "../../src/names/client.ts";
import * as hosts from "../../src/names/hosts.ts";
import * as resolve from "../../src/names/resolve.ts";
import { type LookupResult, type LookupTimeout, ResolverBase } from "../../src/names/common.ts";
import { A, AAAA, ALL_RECORDS, Message, MX, Query, type Record_AAAA } from "../../src/names/dns.ts";
import {
  AuthoritativeDomainError,
  DNSNameError,
  DNSQueryTimeoutError,
  DNSServerError,
  DomainError,
} from "../../src/names/error.ts";
import { a, FakeFiles, soa } from "./_client_fakes.ts";

trackLeaks({ beforeEach, afterEach });

/** Consumes the failure of `d` and returns its error. */
async function failure(d: Deferred<unknown>): Promise<Error> {
  try {
    await d;
  } catch (error) {
    return error as Error;
  }
  assert.fail("the Deferred succeeded");
}

/** A clock with files. */
function fileClock(): Clock & { runtime: FakeFiles } {
  return Object.assign(new Clock(), { runtime: new FakeFiles() });
}

const HOSTS = [
  "# The hosts file",
  "127.0.0.1\tlocalhost Loopback   # the machine itself",
  "::1 localhost ip6-localhost",
  "192.0.2.10 www.example.com. WWW",
  "192.0.2.11 www.example.com",
  "2001:db8::10 www.example.com",
  "192.0.2.10 www.example.com",
  "not-an-address badname",
  "fe80::1%lo0 scoped",
  "192.0.2.12",
  "",
].join("\n");

describe("hosts.parseHostsFile()", () => {
  it("maps lower-cased names to their addresses, in file order, each once", () => {
    const map = hosts.parseHostsFile(HOSTS);
    assert.deepEqual(map.get("localhost"), ["127.0.0.1", "::1"]);
    assert.deepEqual(map.get("loopback"), ["127.0.0.1"]);
    assert.deepEqual(map.get("www"), ["192.0.2.10"]);
    assert.deepEqual(map.get("www.example.com"), ["192.0.2.10", "192.0.2.11", "2001:db8::10"]);
    assert.equal(map.has("badname"), false);
    assert.equal(map.has("scoped"), false);
    assert.equal(map.has("the"), false);
  });
});

describe("the file parsers (properties)", () => {
  it("parseHostsFile() and parseResolvConf() take any text without throwing", () => {
    const line = fc.oneof(
      fc.string(),
      fc.constantFrom("127.0.0.1 a b", "::1 a", "nameserver [::1]:53", "search a b", "domain"),
    );
    fc.assert(
      fc.property(fc.array(line), (lines) => {
        const text = lines.join("\n");
        for (const addresses of hosts.parseHostsFile(text).values()) {
          assert.ok(addresses.length > 0);
        }
        for (const [, port] of client.parseResolvConf(text).servers) {
          assert.ok(port >= 1 && port <= 65535);
        }
      }),
    );
  });
});

describe("hosts.Resolver", () => {
  it("answers A questions with the IPv4 addresses, ignoring case", async () => {
    const clock = fileClock();
    clock.runtime.write("/etc/hosts", HOSTS);
    const resolver = new hosts.Resolver({ reactor: clock, ttl: 120 });
    assert.equal(resolver.file, "/etc/hosts");
    const [answers, authority, additional] = await resolver.lookupAddress("WWW.Example.COM");
    assert.deepEqual(answers.map(String), [
      "WWW.Example.COM. 120 IN A 192.0.2.10",
      "WWW.Example.COM. 120 IN A 192.0.2.11",
    ]);
    assert.deepEqual([authority, additional], [[], []]);
  });

  it("answers AAAA questions with the IPv6 addresses, and ANY with both", async () => {
    const clock = fileClock();
    clock.runtime.write("/h", HOSTS);
    const resolver = new hosts.Resolver({ file: "/h", reactor: clock });
    const [six] = await resolver.lookupIPV6Address("localhost");
    assert.deepEqual(six.map(String), ["localhost. 3600 IN AAAA ::1"]);
    assert.equal((six[0].payload as Record_AAAA).ttl, 3600);
    const [all] = await resolver.lookupAllRecords("localhost");
    assert.deepEqual(all.map((rr) => rr.type), [A, AAAA]);
    assert.equal(await resolver.getHostByName("loopback"), "127.0.0.1");
  });

  it("fails with DomainError for names it lacks and for other types", async () => {
    const clock = fileClock();
    clock.runtime.write("/etc/hosts", HOSTS);
    const resolver = new hosts.Resolver({ reactor: clock });
    for (
      const d of [
        resolver.lookupAddress("nowhere.example"),
        resolver.lookupIPV6Address("loopback"),
        resolver.lookupMailExchange("localhost"),
        resolver.query(new Query("localhost", A, 3)),
      ]
    ) {
      const error = await failure(d);
      assert.equal(error.constructor, DomainError);
    }
  });

  it("has no names when the file is missing", async () => {
    const clock = fileClock();
    const resolver = new hosts.Resolver({ file: "/missing", reactor: clock });
    assert.ok((await failure(resolver.lookupAddress("localhost"))) instanceof DomainError);
  });

  it("reads the file again when it changed, checking at most every readInterval seconds", async () => {
    const clock = fileClock();
    const files = clock.runtime;
    files.write("/etc/hosts", "192.0.2.1 box\n");
    const resolver = new hosts.Resolver({ reactor: clock, readInterval: 10 });
    const address = async (): Promise<string> => {
      const [answers] = await resolver.lookupAddress("box");
      return answers.map((rr) => rr.payload!.toText()).join(" ");
    };
    assert.equal(await address(), "192.0.2.1");
    files.write("/etc/hosts", "192.0.2.2 box\n");
    clock.advance(9);
    assert.equal(await address(), "192.0.2.1");
    assert.deepEqual([files.stats, files.reads], [1, 1]);
    clock.advance(1);
    assert.equal(await address(), "192.0.2.2");
    clock.advance(10);
    assert.equal(await address(), "192.0.2.2");
    assert.deepEqual([files.stats, files.reads], [3, 2]);
    files.remove("/etc/hosts");
    clock.advance(10);
    assert.ok((await failure(resolver.lookupAddress("box"))) instanceof DomainError);
  });

  it("searchFileFor() and searchFileForAll() read the file once", async () => {
    const clock = fileClock();
    clock.runtime.write("/etc/hosts", HOSTS);
    assert.deepEqual(await hosts.searchFileForAll("/etc/hosts", "LOCALHOST", clock), [
      "127.0.0.1",
      "::1",
    ]);
    assert.equal(await hosts.searchFileFor("/etc/hosts", "www", clock), "192.0.2.10");
    assert.equal(await hosts.searchFileFor("/etc/hosts", "none", clock), null);
    assert.deepEqual(await hosts.searchFileForAll("/nope", "localhost", clock), []);
  });
});

describe("cache.CacheResolver", () => {
  const q = new Query("example.com", A);

  it("answers from the cache with TTLs counted down, and drops the entry when the smallest passes", async () => {
    const clock = new Clock();
    const resolver = new cache.CacheResolver({ reactor: clock });
    resolver.cacheResult(q, [[a("example.com", "192.0.2.1", 300)], [soa("example.com", 100)], []]);
    clock.advance(30.7);
    const [answers, authority] = await resolver.lookupAddress("EXAMPLE.com");
    assert.deepEqual(answers.map((rr) => rr.ttl), [270]);
    assert.deepEqual(authority.map((rr) => rr.ttl), [70]);
    assert.equal(resolver.size, 1);
    clock.advance(69.3);
    assert.ok((await failure(resolver.lookupAddress("example.com"))) instanceof DomainError);
    assert.equal(resolver.size, 0);
  });

  it("counts TTLs down by whole seconds and expires at the smallest one (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0, max: 200_000, noNaN: true }),
        (ttls, elapsed) => {
          const clock = new Clock();
          const resolver = new cache.CacheResolver({ reactor: clock });
          const records = ttls.map((ttl, i) => a("p.test", `192.0.2.${i + 1}`, ttl));
          resolver.cacheResult(new Query("p.test"), [records, [], []]);
          clock.advance(elapsed);
          let got: number[] | null = null;
          resolver.lookupAddress("p.test").addCallbacks(
            ([answers]) => (got = answers.map((rr) => rr.ttl)),
            () => null,
          );
          if (elapsed >= Math.min(...ttls)) assert.equal(got, null);
          else assert.deepEqual(got, ttls.map((ttl) => ttl - Math.floor(elapsed)));
        },
      ),
    );
  });

  it("misses with DomainError, and never answers ANY", async () => {
    const clock = new Clock();
    const resolver = new cache.CacheResolver({ reactor: clock });
    assert.equal((await failure(resolver.lookupAddress("x.test"))).constructor, DomainError);
    resolver.cacheResult(new Query("x.test", ALL_RECORDS), [[a("x.test", "192.0.2.1")], [], []]);
    assert.equal((await failure(resolver.lookupAllRecords("x.test"))).constructor, DomainError);
  });

  it("keeps NODATA with an SOA for min(SOA TTL, MINIMUM) (RFC 2308), and not without one", async () => {
    const clock = new Clock();
    const resolver = new cache.CacheResolver({ reactor: clock });
    const mx = new Query("example.com", MX);
    resolver.cacheResult(mx, [[], [soa("example.com", 3600, 300)], []]);
    clock.advance(100);
    const [answers, authority] = await resolver.lookupMailExchange("example.com");
    assert.deepEqual(answers, []);
    assert.deepEqual(authority.map((rr) => rr.ttl), [200]);
    clock.advance(200);
    assert.ok((await failure(resolver.lookupMailExchange("example.com"))) instanceof DomainError);
    resolver.cacheResult(mx, [[], [soa("example.com", 60, 300)], []]);
    clock.advance(59);
    await resolver.lookupMailExchange("example.com");
    clock.advance(1);
    await failure(resolver.lookupMailExchange("example.com"));
    resolver.cacheResult(mx, [[], [], []]);
    assert.equal(resolver.size, 0);
  });

  it("keeps NXDOMAIN from cacheNameError() and fails with DNSNameError carrying a response", async () => {
    const clock = new Clock();
    const resolver = new cache.CacheResolver({ reactor: clock });
    const nx = new Query("nope.example.com", A);
    resolver.cacheNameError(nx, [soa("example.com", 3600, 300)]);
    clock.advance(60);
    const error = await failure(resolver.lookupAddress("nope.example.com"));
    assert.ok(error instanceof DNSNameError);
    const response = error.response!;
    assert.equal(response.rCode, 3);
    assert.deepEqual(response.queries.map(String), ["nope.example.com. IN A"]);
    assert.deepEqual(response.authority.map((rr) => rr.ttl), [240]);
    clock.advance(240);
    assert.equal(
      (await failure(resolver.lookupAddress("nope.example.com"))).constructor,
      DomainError,
    );
    resolver.cacheNameError(nx, []);
    assert.equal(resolver.size, 0);
  });

  it("holds at most maxEntries, evicting the oldest", async () => {
    const clock = new Clock();
    const resolver = new cache.CacheResolver({ reactor: clock, maxEntries: 2 });
    for (const name of ["one.test", "two.test", "three.test"]) {
      resolver.cacheResult(new Query(name), [[a(name, "192.0.2.1")], [], []]);
    }
    assert.equal(resolver.size, 2);
    await failure(resolver.lookupAddress("one.test"));
    await resolver.lookupAddress("two.test");
    resolver.cacheResult(new Query("two.test"), [[a("two.test", "192.0.2.2")], [], []]);
    resolver.cacheResult(new Query("four.test"), [[a("four.test", "192.0.2.4")], [], []]);
    await failure(resolver.lookupAddress("three.test"));
    await resolver.lookupAddress("two.test");
    assert.throws(() => new cache.CacheResolver({ reactor: clock, maxEntries: 0 }), RangeError);
  });

  it("takes entries to start with and a cacheTime, as Twisted's", async () => {
    const clock = new Clock();
    clock.advance(1000);
    const resolver = new cache.CacheResolver({
      reactor: clock,
      cache: new Map([[q, [990, [[a("example.com", "192.0.2.1", 60)], [], []]] as const]]),
    });
    const [answers] = await resolver.lookupAddress("example.com");
    assert.equal(answers[0].ttl, 50);
    resolver.cacheResult(q, [[a("example.com", "192.0.2.1", 60)], [], []], 900);
    assert.equal(resolver.size, 0);
    resolver.cacheResult(q, [[a("example.com", "192.0.2.1", 60)], [], []]);
    resolver.clearEntry(q);
    assert.equal(resolver.size, 0);
    resolver.cacheResult(q, [[a("example.com", "192.0.2.1", 60)], [], []]);
    resolver.clear();
    assert.equal(resolver.size, 0);
  });
});

/** A resolver that answers with what it is told, and counts the questions. */
class Scripted extends ResolverBase {
  asked: string[] = [];
  readonly answer: (query: Query) => Deferred<LookupResult>;
  constructor(answer: (query: Query) => Deferred<LookupResult>) {
    super();
    this.answer = answer;
  }
  protected doLookup(
    name: string,
    cls: number,
    type: number,
    _timeout?: LookupTimeout,
  ): Deferred<LookupResult> {
    this.asked.push(name);
    return this.answer(new Query(name, type, cls));
  }
}

const answering = (address: string): Scripted =>
  new Scripted((q) => succeed<LookupResult>([[a(q.name.name, address)], [], []]));
const failing = (error: Error): Scripted => new Scripted(() => fail(error));

describe("resolve.ResolverChain", () => {
  it("asks each resolver in order until one answers", async () => {
    const first = failing(new DomainError("no"));
    const second = failing(new DNSQueryTimeoutError(1));
    const third = answering("192.0.2.3");
    const fourth = answering("192.0.2.4");
    const chain = new resolve.ResolverChain([first, second, third, fourth]);
    const [answers] = await chain.lookupAddress("example.com");
    assert.deepEqual(answers.map((rr) => rr.payload!.toText()), ["192.0.2.3"]);
    assert.deepEqual([first, second, third, fourth].map((r) => r.asked.length), [1, 1, 1, 0]);
  });

  it("moves on after any DomainError (SERVFAIL, NXDOMAIN) as Twisted's does", async () => {
    const chain = new resolve.ResolverChain([
      failing(new DNSServerError()),
      failing(new DNSNameError()),
      answering("192.0.2.3"),
    ]);
    assert.equal(await chain.getHostByName("example.com"), "192.0.2.3");
  });

  it("stops at AuthoritativeDomainError and at other errors", async () => {
    for (const error of [new AuthoritativeDomainError("nope"), new TypeError("broken")]) {
      const last = answering("192.0.2.3");
      const chain = new resolve.ResolverChain([failing(error), last]);
      assert.equal(await failure(chain.lookupAddress("example.com")), error);
      assert.equal(last.asked.length, 0);
    }
  });

  it("fails with the last resolver's error, and with DomainError when empty", async () => {
    const error = new DNSNameError("gone");
    const chain = new resolve.ResolverChain([failing(new DomainError()), failing(error)]);
    assert.equal(await failure(chain.lookupAddress("example.com")), error);
    const empty = new resolve.ResolverChain([]);
    assert.equal((await failure(empty.lookupAddress("example.com"))).constructor, DomainError);
  });

  it("fills its caches with the answers of the resolvers after them", async () => {
    const clock = new Clock();
    const store = new cache.CacheResolver({ reactor: clock });
    const before = failing(new DomainError());
    const upstream = new Scripted((query) =>
      succeed<LookupResult>([[a(query.name.name, "192.0.2.9", 100)], [], []])
    );
    const chain = new resolve.ResolverChain([before, store, upstream]);
    await chain.lookupAddress("example.com");
    clock.advance(40);
    const [answers] = await chain.lookupAddress("example.com");
    assert.equal(answers[0].ttl, 60);
    assert.deepEqual([before.asked.length, upstream.asked.length], [2, 1]);
    await chain.lookupAllRecords("example.com");
    await chain.lookupAllRecords("example.com");
    assert.equal(upstream.asked.length, 3);
  });

  it("caches the outcome of the resolvers after it, not a middle one's NXDOMAIN", async () => {
    const clock = new Clock();
    const store = new cache.CacheResolver({ reactor: clock });
    const response = new Message({
      answer: true,
      rCode: 3,
      authority: [soa("example.com", 600, 60)],
    });
    const middle = failing(new DNSNameError("nope.example.com: NXDOMAIN", { response }));
    const last = answering("192.0.2.3");
    const chain = new resolve.ResolverChain([store, middle, last]);
    assert.equal(await chain.getHostByName("nope.example.com"), "192.0.2.3");
    assert.equal(await chain.getHostByName("nope.example.com"), "192.0.2.3");
    assert.deepEqual([middle.asked.length, last.asked.length], [1, 1]);
  });

  it("keeps the NXDOMAIN of the last resolver in its cache", async () => {
    const clock = new Clock();
    const store = new cache.CacheResolver({ reactor: clock });
    const response = new Message({
      answer: true,
      rCode: 3,
      authority: [soa("example.com", 600, 60)],
    });
    const upstream = failing(new DNSNameError("nope.example.com: NXDOMAIN", { response }));
    const chain = new resolve.ResolverChain([store, upstream]);
    assert.ok((await failure(chain.lookupAddress("nope.example.com"))) instanceof DNSNameError);
    clock.advance(30);
    const cached = await failure(chain.lookupAddress("nope.example.com"));
    assert.ok(cached instanceof DNSNameError);
    assert.equal(cached.response!.authority[0].ttl, 30);
    assert.equal(upstream.asked.length, 1);
    clock.advance(30);
    await failure(chain.lookupAddress("nope.example.com"));
    assert.equal(upstream.asked.length, 2);
  });

  it("takes hosts before the cache, as createResolver() orders them", async () => {
    const clock = fileClock();
    clock.runtime.write("/etc/hosts", "192.0.2.5 printer\n");
    const upstream = answering("192.0.2.9");
    const chain = new resolve.ResolverChain([
      new hosts.Resolver({ reactor: clock }),
      new cache.CacheResolver({ reactor: clock }),
      upstream,
    ]);
    assert.equal(await chain.getHostByName("printer"), "192.0.2.5");
    assert.equal(await chain.getHostByName("other"), "192.0.2.9");
    assert.deepEqual(upstream.asked, ["other"]);
  });
});
