/**
 * HTTPConnectionPool and Agent with fake endpoints and a Clock: reuse, per-host
 * limits, idle timeouts, the retry on stale connections, cancellation stages.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, Deferred } from "../../src/internet/defer.ts";
import type { Failure } from "../../src/internet/failure.ts";
import type { IProtocol, IProtocolFactory } from "../../src/internet/interfaces.ts";
import { IPv4Address } from "../../src/internet/address.ts";
import type { IStreamClientEndpoint } from "../../src/internet/endpoints.ts";
import {
  Clock,
  MemoryReactorClock,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import {
  Agent,
  BytesBodyProducer,
  CookieJar,
  HTTPConnectionPool,
  readBody,
  RequestNotSent,
  type Response,
  ResponseNeverReceived,
  shouldRetry,
  URI,
} from "../../src/web/client.ts";
import type { HTTP11ClientProtocol } from "../../src/web/client.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
const td = new TextDecoder();

/** An endpoint whose connections are StringTransports the test drives. */
class FakeEndpoint implements IStreamClientEndpoint {
  connections: { protocol: HTTP11ClientProtocol; transport: StringTransportWithDisconnection }[] =
    [];
  pending: { factory: IProtocolFactory; d: Deferred<IProtocol> }[] = [];
  /** Connect at once (true) or wait for `complete()`. */
  immediate = true;

  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    const d = new Deferred<IProtocol>((self) => {
      this.pending = this.pending.filter((p) => p.d !== self);
    });
    if (this.immediate) this.#finish(factory, d);
    else this.pending.push({ factory, d });
    return d;
  }

  complete(): void {
    const next = this.pending.shift()!;
    this.#finish(next.factory, next.d);
  }

  #finish(factory: IProtocolFactory, d: Deferred<IProtocol>): void {
    const protocol = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 80))!;
    const transport = new StringTransportWithDisconnection();
    transport.protocol = protocol;
    protocol.makeConnection(transport);
    this.connections.push({ protocol: protocol as HTTP11ClientProtocol, transport });
    d.callback(protocol);
  }

  last(): { protocol: HTTP11ClientProtocol; transport: StringTransportWithDisconnection } {
    return this.connections[this.connections.length - 1];
  }
}

function settle<T>(d: Deferred<T>): { value?: T; failure?: Failure } {
  const out: { value?: T; failure?: Failure } = {};
  d.addCallbacks((v: T) => {
    out.value = v;
    return null;
  }, (f: Failure) => {
    out.failure = f;
    return null;
  });
  return out;
}

function agentWith(endpoint: FakeEndpoint, pool: HTTPConnectionPool): Agent {
  return Agent.usingEndpointFactory(new MemoryReactorClock(), {
    endpointForURI: () => endpoint,
  }, pool);
}

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

describe("HTTPConnectionPool", () => {
  it("keeps a connection after a persistent response and reuses it", () => {
    const clock = new Clock();
    const pool = new HTTPConnectionPool(clock);
    const endpoint = new FakeEndpoint();
    const agent = agentWith(endpoint, pool);
    const first = settle(agent.request("GET", "http://example.org/a"));
    const c = endpoint.last();
    assert.match(c.transport.valueText(), /^GET \/a HTTP\/1\.1\r\nHost: example\.org\r\n\r\n$/);
    c.protocol.dataReceived(te.encode(OK));
    assert.equal(td.decode(settle(readBody(first.value!)).value!), "ok");
    assert.equal(pool.cachedConnectionCount(), 1);
    const second = settle(agent.request("GET", "http://example.org/b"));
    assert.equal(endpoint.connections.length, 1);
    assert.equal(pool.cachedConnectionCount(), 0);
    c.protocol.dataReceived(te.encode(OK));
    assert.equal(second.value!.code, 200);
    assert.equal(pool.cachedConnectionCount(), 1);
  });

  it("closes idle connections after cachedConnectionTimeout", () => {
    const clock = new Clock();
    const pool = new HTTPConnectionPool(clock);
    const endpoint = new FakeEndpoint();
    settle(agentWith(endpoint, pool).request("GET", "http://example.org/"));
    endpoint.last().protocol.dataReceived(te.encode(OK));
    assert.equal(pool.cachedConnectionCount(), 1);
    clock.advance(239);
    assert.equal(endpoint.last().transport.disconnecting, false);
    clock.advance(1);
    assert.equal(endpoint.last().transport.disconnecting, true);
    assert.equal(pool.cachedConnectionCount(), 0);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("keeps at most maxPersistentPerHost connections per destination", () => {
    const clock = new Clock();
    const pool = new HTTPConnectionPool(clock);
    pool.maxPersistentPerHost = 1;
    const endpoint = new FakeEndpoint();
    const agent = agentWith(endpoint, pool);
    settle(agent.request("GET", "http://example.org/1"));
    settle(agent.request("GET", "http://example.org/2"));
    const [a, b] = endpoint.connections;
    a.protocol.dataReceived(te.encode(OK));
    b.protocol.dataReceived(te.encode(OK));
    assert.equal(pool.cachedConnectionCount(), 1);
    assert.equal(a.transport.disconnecting, true);
    assert.equal(b.transport.disconnecting, false);
    pool.closeCachedConnections();
    assert.equal(b.transport.aborted, true);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("forgets a kept connection the server closed", () => {
    const clock = new Clock();
    const pool = new HTTPConnectionPool(clock);
    const endpoint = new FakeEndpoint();
    settle(agentWith(endpoint, pool).request("GET", "http://example.org/"));
    endpoint.last().protocol.dataReceived(te.encode(OK));
    endpoint.last().transport.loseConnection();
    assert.equal(pool.cachedConnectionCount(), 0);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("retries an idempotent request once on a new connection when a kept one is stale", () => {
    const clock = new Clock();
    const pool = new HTTPConnectionPool(clock);
    const endpoint = new FakeEndpoint();
    const agent = agentWith(endpoint, pool);
    settle(agent.request("GET", "http://example.org/"));
    const stale = endpoint.last();
    stale.protocol.dataReceived(te.encode(OK));
    const r = settle(agent.request("GET", "http://example.org/again"));
    // The server had closed it: the request dies before any response byte.
    stale.transport.loseConnection();
    assert.equal(endpoint.connections.length, 2);
    const fresh = endpoint.last();
    assert.match(fresh.transport.valueText(), /^GET \/again /);
    fresh.protocol.dataReceived(te.encode(OK));
    assert.equal(r.value!.code, 200);
  });

  it("does not retry a POST on a stale connection", () => {
    const clock = new Clock();
    const pool = new HTTPConnectionPool(clock);
    const endpoint = new FakeEndpoint();
    const agent = agentWith(endpoint, pool);
    settle(agent.request("GET", "http://example.org/"));
    endpoint.last().protocol.dataReceived(te.encode(OK));
    const r = settle(
      agent.request("POST", "http://example.org/", null, new BytesBodyProducer("x")),
    );
    endpoint.last().transport.loseConnection();
    assert.equal(endpoint.connections.length, 1);
    assert.ok(r.failure?.check(ResponseNeverReceived));
  });

  it("does not retry when retryAutomatically is off", () => {
    const pool = new HTTPConnectionPool(new Clock());
    pool.retryAutomatically = false;
    const endpoint = new FakeEndpoint();
    const agent = agentWith(endpoint, pool);
    settle(agent.request("GET", "http://example.org/"));
    endpoint.last().protocol.dataReceived(te.encode(OK));
    const r = settle(agent.request("GET", "http://example.org/"));
    endpoint.last().transport.loseConnection();
    assert.equal(endpoint.connections.length, 1);
    assert.ok(r.failure?.check(ResponseNeverReceived));
  });

  it("decides retries as Twisted's _shouldRetry does", () => {
    assert.equal(shouldRetry("GET", new RequestNotSent(), false), true);
    assert.equal(shouldRetry("GET", new ResponseNeverReceived([new Error("x")]), true), false);
    assert.equal(shouldRetry("POST", new RequestNotSent(), false), false);
    assert.equal(
      shouldRetry("GET", new ResponseNeverReceived([new CancelledError()]), false),
      false,
    );
    assert.equal(shouldRetry("GET", new Error("other"), false), false);
  });

  it("closes the connection after each response without persistence", () => {
    const pool = new HTTPConnectionPool(new Clock(), false);
    const endpoint = new FakeEndpoint();
    settle(agentWith(endpoint, pool).request("GET", "http://example.org/"));
    const c = endpoint.last();
    assert.match(c.transport.valueText(), /Connection: close/);
    c.protocol.dataReceived(te.encode("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    assert.equal(c.transport.disconnecting, true);
    assert.equal(pool.cachedConnectionCount(), 0);
  });
});

describe("Agent cancellation", () => {
  it("fails with CancelledError when cancelled while connecting", () => {
    const endpoint = new FakeEndpoint();
    endpoint.immediate = false;
    const d = agentWith(endpoint, new HTTPConnectionPool(new Clock())).request(
      "GET",
      "http://example.org/",
    );
    const r = settle(d);
    d.cancel();
    assert.ok(r.failure?.check(CancelledError));
    assert.equal(endpoint.pending.length, 0);
  });

  it("fails with ResponseNeverReceived when cancelled while waiting, aborting", () => {
    const endpoint = new FakeEndpoint();
    const d = agentWith(endpoint, new HTTPConnectionPool(new Clock())).request(
      "GET",
      "http://example.org/",
    );
    const r = settle(d);
    d.cancel();
    assert.ok(r.failure?.check(ResponseNeverReceived));
    assert.equal(endpoint.last().transport.aborted, true);
  });

  it("times out with addTimeout on a Clock", () => {
    const clock = new Clock();
    const endpoint = new FakeEndpoint();
    const d = agentWith(endpoint, new HTTPConnectionPool(clock)).request(
      "GET",
      "http://example.org/",
    ).addTimeout(5, clock);
    const r = settle(d);
    clock.advance(5);
    assert.ok(r.failure !== undefined);
    assert.equal(endpoint.last().transport.aborted, true);
  });

  it("leaves a response alone once its head arrived", () => {
    const endpoint = new FakeEndpoint();
    const d = agentWith(endpoint, new HTTPConnectionPool(new Clock())).request(
      "GET",
      "http://example.org/",
    );
    const r = settle(d);
    endpoint.last().protocol.dataReceived(te.encode(OK));
    d.cancel();
    assert.equal((r.value as Response).code, 200);
  });
});

describe("URI", () => {
  it("parses hosts, ports, paths and queries", () => {
    const u = URI.fromString("https://Example.ORG/p/a?q=1#frag");
    assert.deepEqual(
      [u.scheme, u.host, u.port, u.path, u.query, u.fragment],
      ["https", "example.org", 443, "/p/a", "q=1", "frag"],
    );
    assert.equal(u.originForm, "/p/a?q=1");
    assert.equal(u.hostHeader, "example.org");
    assert.equal(URI.fromString("http://h:8080").originForm, "/");
    assert.equal(URI.fromString("http://h:8080").hostHeader, "h:8080");
    assert.equal(URI.fromString("http://user:pw@h/").host, "h");
    assert.equal(URI.fromString("http://h/é x").path, "/%C3%A9%20x");
  });

  it("refuses what is not an absolute http(s) URI", () => {
    assert.throws(() => URI.fromString("/relative"), TypeError);
    assert.throws(() => URI.fromString("http://h:99999/"), TypeError);
    assert.throws(() => URI.fromString("http:///x"), TypeError);
    assert.throws(() => URI.fromString("gopher://h/"), { name: "SchemeNotSupported" });
  });
});

describe("CookieJar", () => {
  it("matches domains and paths and orders by path length", () => {
    const clock = new Clock();
    const jar = new CookieJar({ clock });
    jar.setCookie("a=1; Path=/", "http://www.example.org/x");
    jar.setCookie("b=2; Path=/docs; Domain=example.org", "http://www.example.org/docs/1");
    jar.setCookie("c=3", "http://www.example.org/docs/page");
    assert.equal(jar.cookieHeader("http://www.example.org/docs/page"), "b=2; c=3; a=1");
    assert.equal(jar.cookieHeader("http://api.example.org/docs"), "b=2");
    assert.equal(jar.cookieHeader("http://api.example.org/"), null);
    assert.equal(jar.cookieHeader("http://www.example.org/documents"), "a=1");
  });

  it("refuses a domain the host does not belong to, and Secure over http", () => {
    const jar = new CookieJar();
    assert.equal(jar.setCookie("x=1; Domain=other.org", "http://example.org/"), false);
    assert.equal(jar.setCookie("x=1; Secure", "http://example.org/"), false);
    assert.equal(jar.setCookie("x=1; Secure", "https://example.org/"), true);
    assert.equal(jar.cookieHeader("http://example.org/"), null);
    assert.equal(jar.cookieHeader("https://example.org/"), "x=1");
  });

  it("expires cookies by Max-Age and deletes them with Max-Age=0", () => {
    const clock = new Clock();
    const jar = new CookieJar({ clock });
    jar.setCookie("s=1; Max-Age=10", "http://h/");
    jar.setCookie("t=1", "http://h/");
    clock.advance(11);
    assert.equal(jar.cookieHeader("http://h/"), "t=1");
    jar.setCookie("t=; Max-Age=0", "http://h/");
    assert.equal(jar.cookieHeader("http://h/"), null);
  });
});
