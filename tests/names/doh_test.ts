// DNS over HTTPS (RFC 8484): the server's DNSOverHTTPSResource through a Site
// without sockets, and the client Resolver with `url` talking to it over an
// in-memory connection (iosim), with fake time.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Deferred } from "../../src/internet/defer.ts";
import { IPv4Address } from "../../src/internet/address.ts";
import { ConnectionRefusedError } from "../../src/internet/error.ts";
import { Failure } from "../../src/internet/failure.ts";
import {
  connect,
  FakeTransport,
  type IOPump,
  MemoryReactorClock,
  trackLeaks,
} from "../../src/testing/mod.ts";
import {
  NOT_DONE_YET,
  type Request,
  Resource,
  Site,
  siteAsFetchHandler,
} from "../../src/web/mod.ts";
import * as client from "../../src/names/client.ts";
import {
  A,
  AXFR,
  Message,
  NS,
  Query,
  Record_A,
  Record_CNAME,
  Record_NS,
  Record_SOA,
  Record_TXT,
  TXT,
} from "../../src/names/dns.ts";
import { FileAuthority } from "../../src/names/authority.ts";
import { DNSOverHTTPSResource, DNSServerFactory } from "../../src/names/server.ts";
import type { DNSDatagramProtocol, DNSProtocol } from "../../src/names/_protocols.ts";
import { decodeBase64URL, replyMaxAge } from "../../src/names/server/_doh.ts";
import { DNSNameError, DNSQueryTimeoutError, ResolverError } from "../../src/names/error.ts";

trackLeaks({ beforeEach, afterEach });

const DNS_MESSAGE = "application/dns-message";

function zone(): FileAuthority {
  return new FileAuthority([
    ["example.com", new Record_SOA({ mname: "ns1.example.com", ttl: 3600, minimum: 300 })],
    ["example.com", new Record_NS("ns1.example.com", 3600)],
    ["ns1.example.com", new Record_A("192.0.2.53", 3600)],
    ["www.example.com", new Record_CNAME("web.example.com", 3600)],
    ["web.example.com", new Record_A("192.0.2.80", 60)],
    ...Array.from(
      { length: 10 },
      (_, i) => ["big.example.com", new Record_TXT([`${i}${"x".repeat(99)}`], 120)] as const,
    ),
  ]);
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

function query(
  name: string,
  type = A,
  fields: { ednsVersion?: number | null } = {},
): Uint8Array<ArrayBuffer> {
  const message = new Message({ id: 0, recDes: true, queries: [new Query(name, type)], ...fields });
  return new Uint8Array(message.toStr());
}

/** A site serving `factory` over DoH at /dns-query, as a fetch handler. */
function handler(factory: DNSServerFactory = new DNSServerFactory({ authorities: [zone()] })) {
  const clock = new MemoryReactorClock();
  const root = new Resource();
  root.putChild("dns-query", new DNSOverHTTPSResource(factory, { reactor: clock }));
  const fetch = siteAsFetchHandler(new Site(root, { clock }));
  return async (init: RequestInit & { path?: string }) => {
    const res = await fetch(
      new globalThis.Request(`https://dns.test${init.path ?? "/dns-query"}`, init),
    );
    return { res, body: new Uint8Array(await res.arrayBuffer()) };
  };
}

function post(body: Uint8Array<ArrayBuffer>, type = DNS_MESSAGE): RequestInit {
  return { method: "POST", headers: { "content-type": type }, body };
}

describe("DNSOverHTTPSResource", () => {
  it("answers a POST with the reply, its type and the smallest answer TTL as max-age", async () => {
    const doh = handler();
    const { res, body } = await doh(post(query("www.example.com")));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), DNS_MESSAGE);
    assert.equal(res.headers.get("cache-control"), "max-age=60");
    const reply = Message.fromStr(body);
    assert.deepEqual([reply.id, reply.answer, reply.auth, reply.rCode], [0, true, true, 0]);
    assert.deepEqual(reply.answers.map(String), [
      "www.example.com. 3600 IN CNAME web.example.com.",
      "web.example.com. 60 IN A 192.0.2.80",
    ]);
  });

  it("answers a GET with ?dns= in base64url, with or without padding", async () => {
    const doh = handler();
    const bytes = query("ns1.example.com", A, { ednsVersion: 0 });
    const padded = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
    const plain = base64url(bytes);
    assert.ok(padded.endsWith("=") && !plain.endsWith("="));
    for (const dns of [plain, padded]) {
      const { res, body } = await doh({ method: "GET", path: `/dns-query?dns=${dns}` });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "max-age=3600");
      assert.deepEqual(Message.fromStr(body).answers.map(String), [
        "ns1.example.com. 3600 IN A 192.0.2.53",
      ]);
    }
    const head = await doh({ method: "HEAD", path: `/dns-query?dns=${plain}` });
    assert.deepEqual([head.res.status, head.body.length], [200, 0]);
  });

  it("takes the SOA's negative TTL for NXDOMAIN, and 0 when nothing says", async () => {
    const doh = handler();
    const nx = await doh(post(query("nothere.example.com")));
    assert.equal(nx.res.status, 200);
    assert.equal(Message.fromStr(nx.body).rCode, 3);
    assert.equal(nx.res.headers.get("cache-control"), "max-age=300");
    const refused = await doh(post(query("www.example.org")));
    assert.equal(Message.fromStr(refused.body).rCode, 5);
    assert.equal(refused.res.headers.get("cache-control"), "max-age=0");
  });

  it("answers as over TCP: a reply past 512 bytes without EDNS is whole", async () => {
    const doh = handler();
    const { body } = await doh(post(query("big.example.com", TXT, { ednsVersion: null })));
    const reply = Message.fromStr(body);
    assert.ok(body.length > 1000);
    assert.deepEqual([reply.trunc, reply.answers.length], [false, 10]);
  });

  it("answers 400 to bad input", async () => {
    const doh = handler();
    const cases: [RequestInit & { path?: string }, RegExp][] = [
      [{ method: "GET" }, /No dns parameter/],
      [{ method: "GET", path: "/dns-query?dns=a+b/c" }, /no base64url/],
      [{ method: "GET", path: "/dns-query?dns=AAAAA" }, /no base64url/],
      [post(new Uint8Array(0)), /empty/],
      [post(Uint8Array.of(0, 0, 1)), /Bad DNS message/],
      [
        post(new Message({ id: 0, answer: true, queries: [new Query("x.test")] }).toStr().slice()),
        /response/,
      ],
    ];
    for (const [init, text] of cases) {
      const { res, body } = await doh(init);
      assert.equal(res.status, 400, `${init.method} ${init.path}`);
      assert.match(new TextDecoder().decode(body), text);
    }
  });

  it("answers 415 to another content type, 413 to a body past 65535 bytes", async () => {
    const doh = handler();
    const wrong = await doh(post(query("www.example.com"), "application/octet-stream"));
    assert.equal(wrong.res.status, 415);
    const none = await doh({ method: "POST", body: query("www.example.com") });
    assert.equal(none.res.status, 415);
    const withParams = await doh(post(query("www.example.com"), "Application/DNS-Message; x=1"));
    assert.equal(withParams.res.status, 200);
    const big = await doh(post(new Uint8Array(70000)));
    assert.equal(big.res.status, 413);
  });

  it("answers 405 to other methods and 404 below its path", async () => {
    const doh = handler();
    const put = await doh({ method: "PUT", body: query("www.example.com") });
    assert.equal(put.res.status, 405);
    assert.equal(put.res.headers.get("allow"), "GET, HEAD, OPTIONS, POST");
    const below = await doh({ ...post(query("www.example.com")), path: "/dns-query/more" });
    assert.equal(below.res.status, 404);
    const slash = await doh({ ...post(query("www.example.com")), path: "/dns-query/" });
    assert.equal(slash.res.status, 200);
  });

  it("answers zone transfers NOTIMP", async () => {
    const { res, body } = await handler()(post(query("example.com", AXFR)));
    assert.equal(res.status, 200);
    assert.equal(Message.fromStr(body).rCode, 4);
  });

  it("lets allowQuery see the HTTP client, and counts no TCP connection", async () => {
    const peers: string[] = [];
    class Guarded extends DNSServerFactory {
      override allowQuery(
        message: Message,
        protocol: DNSDatagramProtocol | DNSProtocol,
      ): boolean | number {
        peers.push(String((protocol as DNSProtocol).transport.getPeer()));
        return message.queries[0].type === NS ? 5 : true;
      }
    }
    const factory = new Guarded({ authorities: [zone()] });
    const doh = handler(factory);
    assert.equal((await doh(post(query("www.example.com")))).res.status, 200);
    const refused = await doh(post(query("example.com", NS)));
    assert.equal(Message.fromStr(refused.body).rCode, 5);
    assert.equal(peers.length, 2);
    assert.equal(factory.connections.length, 0);
  });

  it("decodes base64url and computes max-age (unit)", () => {
    assert.deepEqual(decodeBase64URL("-_8"), Uint8Array.of(0xfb, 0xff));
    assert.deepEqual(decodeBase64URL(""), new Uint8Array(0));
    assert.equal(decodeBase64URL("a=b"), null);
    const reply = new Message({ answer: true });
    assert.equal(replyMaxAge(reply), 0);
  });
});

// ---- the client, over an in-memory connection to a Site -------------------------------

/** A MemoryReactorClock whose connections the test pumps to `site`. */
class HTTPReactor extends MemoryReactorClock {
  readonly pumps: IOPump[] = [];
  site: Site;
  constructor(root: Resource) {
    super();
    this.site = new Site(root, { clock: this });
  }

  /** Connects attempt `index` (TCP or TLS) to the site; returns the pump. */
  connectTo(index = -1, tls = false): IOPump {
    const [host, port, factory] = (tls ? this.sslClients : this.tcpClients).at(index)!;
    const serverAddress = new IPv4Address("TCP", host, port);
    const clientAddress = new IPv4Address("TCP", "192.0.2.99", 50000 + this.pumps.length);
    const clientProtocol = factory.buildProtocol(serverAddress)!;
    const serverProtocol = this.site.buildProtocol(clientAddress)!;
    const pump = connect(
      serverProtocol,
      new FakeTransport(serverProtocol, true, {
        hostAddress: serverAddress,
        peerAddress: clientAddress,
      }),
      clientProtocol,
      new FakeTransport(clientProtocol, false, {
        hostAddress: clientAddress,
        peerAddress: serverAddress,
      }),
      { clock: undefined },
    );
    this.pumps.push(pump);
    return pump;
  }

  /** Pumps every connection until nothing moves, letting promises settle between rounds. */
  async settle(): Promise<void> {
    for (let i = 0; i < 10; i++) {
      for (const pump of this.pumps) pump.flush();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}

/** Records each request's method, path, headers and body; answers through `inner`. */
class Recorder extends Resource {
  override isLeaf = true;
  readonly seen: {
    method: string;
    path: string;
    type: string | null;
    accept: string | null;
    body: Uint8Array;
  }[] = [];
  readonly #inner: Resource;
  constructor(inner: Resource) {
    super();
    this.#inner = inner;
  }
  override render(request: Request) {
    this.seen.push({
      method: request.method,
      path: request.path,
      type: request.getHeader("content-type"),
      accept: request.getHeader("accept"),
      body: request.content,
    });
    return this.#inner.render(request);
  }
}

function dohSetup(inner?: Resource) {
  const factory = new DNSServerFactory({ authorities: [zone()] });
  const recorder = new Recorder(inner ?? new DNSOverHTTPSResource(factory));
  const root = new Resource();
  root.putChild("dns-query", recorder);
  const reactor = new HTTPReactor(root);
  return { reactor, recorder };
}

async function failure(d: Deferred<unknown>): Promise<Error> {
  try {
    await d;
  } catch (error) {
    return error as Error;
  }
  assert.fail("the Deferred succeeded");
}

const URL_HTTP = "http://192.0.2.10:8080/dns-query";

describe("client.Resolver with url (DNS over HTTPS)", () => {
  it("POSTs the query with id 0 as application/dns-message and reads the reply", async () => {
    const { reactor, recorder } = dohSetup();
    const r = new client.Resolver({ url: URL_HTTP, reactor });
    const d = r.lookupAddress("www.example.com");
    assert.equal(reactor.tcpClients.length, 1);
    assert.deepEqual(reactor.tcpClients[0].slice(0, 2), ["192.0.2.10", 8080]);
    reactor.connectTo();
    await reactor.settle();
    const [answers] = await d;
    assert.deepEqual(answers.map(String), [
      "www.example.com. 3600 IN CNAME web.example.com.",
      "web.example.com. 60 IN A 192.0.2.80",
    ]);
    const [seen] = recorder.seen;
    assert.deepEqual([seen.method, seen.path, seen.type, seen.accept], [
      "POST",
      "/dns-query",
      DNS_MESSAGE,
      DNS_MESSAGE,
    ]);
    const asked = Message.fromStr(seen.body);
    assert.deepEqual([asked.id, asked.recDes, asked.ednsVersion, asked.maxSize], [
      0,
      true,
      0,
      1232,
    ]);
    // The next lookup reuses the kept connection.
    const nx = r.lookupAddress("nothere.example.com");
    await reactor.settle();
    assert.ok((await failure(nx)) instanceof DNSNameError);
    assert.equal(reactor.tcpClients.length, 1);
    assert.equal(recorder.seen.length, 2);
    const closed = r.close();
    await reactor.settle();
    await closed;
    assert.equal(reactor.pumps[0].clientIO.disconnected, true);
  });

  it("connects with TLS for https, with the tls options given", async () => {
    const { reactor } = dohSetup();
    const ca = "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n";
    const r = new client.Resolver({ url: "https://192.0.2.10/dns-query", tls: { ca }, reactor });
    const d = r.lookupText("big.example.com");
    assert.deepEqual(reactor.sslClients[0].slice(0, 2), ["192.0.2.10", 443]);
    assert.equal(reactor.sslClients[0][3].ca, ca);
    reactor.connectTo(-1, true);
    await reactor.settle();
    const [answers] = await d;
    assert.equal(answers.length, 10);
    const closed = r.close();
    await reactor.settle();
    await closed;
  });

  it("fails with a ResolverError naming the status of a non-200 reply", async () => {
    const { reactor } = dohSetup();
    const r = new client.Resolver({ url: "http://192.0.2.10/nothing", reactor });
    const d = r.lookupAddress("www.example.com");
    reactor.connectTo();
    await reactor.settle();
    const error = await failure(d);
    assert.ok(error instanceof ResolverError);
    assert.equal(error.message, "http://192.0.2.10/nothing answered 404 Not Found");
    // The body was read: the connection is kept.
    assert.equal(reactor.pumps[0].clientIO.disconnecting, false);
    const closed = r.close();
    await reactor.settle();
    await closed;
  });

  it("fails when the reply is not a DNS message", async () => {
    class Text extends Resource {
      override isLeaf = true;
      render_POST(request: Request): string {
        request.setHeader("content-type", "text/plain");
        return "hello";
      }
    }
    const { reactor } = dohSetup(new Text());
    const r = new client.Resolver({ url: URL_HTTP, reactor });
    const d = r.lookupAddress("www.example.com");
    reactor.connectTo();
    await reactor.settle();
    const error = await failure(d);
    assert.ok(error instanceof ResolverError);
    assert.match(error.message, /content-type text\/plain, not application\/dns-message/);
    const closed = r.close();
    await reactor.settle();
    await closed;
  });

  it("times out each attempt, aborting its request, then DNSQueryTimeoutError", async () => {
    class Silent extends Resource {
      override isLeaf = true;
      render_POST(): typeof NOT_DONE_YET {
        return NOT_DONE_YET;
      }
    }
    const { reactor, recorder } = dohSetup(new Silent());
    const r = new client.Resolver({ url: URL_HTTP, timeout: [1, 2], reactor });
    const d = r.lookupAddress("www.example.com");
    reactor.connectTo(0);
    await reactor.settle();
    reactor.advance(1);
    await reactor.settle();
    assert.equal(reactor.pumps[0].clientIO.disconnected, true);
    assert.equal(reactor.tcpClients.length, 2);
    reactor.connectTo(1);
    await reactor.settle();
    assert.equal(recorder.seen.length, 2);
    reactor.advance(2);
    await reactor.settle();
    const error = await failure(d);
    assert.ok(error instanceof DNSQueryTimeoutError);
    assert.match(
      error.message,
      /No reply to www\.example\.com\. IN A from http:\/\/192\.0\.2\.10:8080\/dns-query \(timeouts 1, 2 s\)/,
    );
    await r.close();
    // The server side of the aborted connections times out by itself.
    reactor.advance(3600);
    await reactor.settle();
  });

  it("moves on after a failed connection, and fails with its cause at the end", async () => {
    const { reactor } = dohSetup();
    const r = new client.Resolver({ url: URL_HTTP, timeout: [1, 2], reactor });
    const d = r.lookupAddress("www.example.com");
    for (let i = 0; i < 2; i++) {
      const factory = reactor.tcpClients[i][2] as unknown as {
        clientConnectionFailed(c: unknown, f: Failure): void;
      };
      factory.clientConnectionFailed(
        reactor.connectors[i],
        new Failure(new ConnectionRefusedError()),
      );
      await reactor.settle();
    }
    const error = await failure(d);
    assert.ok(error instanceof ResolverError);
    assert.ok(error.cause instanceof ConnectionRefusedError);
    assert.match(error.message, /^No reply to www\.example\.com\. IN A from http:\/\//);
    await r.close();
  });

  it("refuses a bad url, url with servers, and zone transfers", async () => {
    const { reactor } = dohSetup();
    assert.throws(() => new client.Resolver({ url: "ftp://x/dns-query", reactor }), TypeError);
    assert.throws(() => new client.Resolver({ url: "no url", reactor }), TypeError);
    assert.throws(
      () => new client.Resolver({ url: URL_HTTP, servers: [["192.0.2.1", 53]], reactor }),
      TypeError,
    );
    const r = new client.Resolver({ url: URL_HTTP, reactor });
    assert.ok((await failure(r.lookupZone("example.com"))) instanceof ResolverError);
    assert.equal(r.url, URL_HTTP);
  });
});
