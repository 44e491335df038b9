/**
 * The Agent and its wrappers end to end, over real loopback sockets against
 * our own web server (`Site` on `reactor.listenTCP(0)` / `listenSSL(0)`).
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  ConnectionRefusedError,
  Deferred,
  type IListeningPort,
  type IPv4Address,
  Protocol,
  reactor,
} from "../../mod.ts";
import type { Failure } from "../../src/internet/failure.ts";
import {
  EncodingResourceWrapper,
  GzipEncoderFactory,
  Headers,
  NOT_DONE_YET,
  type Request,
  Resource,
  Site,
} from "../../src/web/mod.ts";
import {
  Agent,
  BrowserLikeRedirectAgent,
  BytesBodyProducer,
  ContentDecoderAgent,
  CookieAgent,
  CookieJar,
  GzipDecoder,
  HTTPConnectionPool,
  InfiniteRedirection,
  PageRedirect,
  readBody,
  RedirectAgent,
  type Response,
  ResponseFailed,
  ResponseNeverReceived,
  SchemeNotSupported,
} from "../../src/web/client.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

// Over real sockets: the server side of a connection closes a moment after the client.
trackLeaks({ beforeEach, afterEach }, { settle: 2000 });

const te = new TextEncoder();
const td = new TextDecoder();
const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), "utf8");

/** Waits, bounded, until `cond()` holds. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function bounded<T>(d: Deferred<T>, seconds = 10): Deferred<T> {
  return d.addTimeout(seconds, reactor);
}

async function failureOf(d: Deferred<unknown>): Promise<Failure> {
  return await new Promise<Failure>((resolve, reject) => {
    d.addCallbacks(
      (v) => reject(new Error(`expected a failure, got ${String(v)}`)),
      (f: Failure) => resolve(f),
    );
  });
}

class Text extends Resource {
  override isLeaf = true;
  #text: string;
  constructor(text: string) {
    super();
    this.#text = text;
  }
  render_GET(request: Request): string {
    request.setHeader("content-type", "text/plain; charset=utf-8");
    return this.#text;
  }
}

class Echo extends Resource {
  override isLeaf = true;
  render_POST(request: Request): Uint8Array {
    request.setHeader("x-method", request.method);
    request.setHeader("x-te", request.getHeader("transfer-encoding") ?? "none");
    return request.content;
  }
  render_PUT(request: Request): Uint8Array {
    return this.render_POST(request);
  }
  render_GET(request: Request): string {
    return `${request.method} ${request.getHeader("content-length") ?? "-"}`;
  }
}

/** Writes its body in pieces, later: a chunked response. */
class Pieces extends Resource {
  override isLeaf = true;
  render_GET(request: Request): typeof NOT_DONE_YET {
    let i = 0;
    const step = (): void => {
      if (request.disconnected) return;
      if (i < 5) {
        request.write(`piece${i++};`);
        reactor.callLater(0.001, step);
      } else request.finish();
    };
    step();
    return NOT_DONE_YET;
  }
}

/** Does not answer until told to. */
class Hang extends Resource {
  override isLeaf = true;
  pending: Request[] = [];
  render_GET(request: Request): typeof NOT_DONE_YET {
    this.pending.push(request);
    request.notifyFinish().addErrback(() => null);
    return NOT_DONE_YET;
  }
  /** Answers the requests still waiting (whose clients may be gone). */
  release(): void {
    for (const request of this.pending.splice(0)) {
      if (!request.disconnected && !request.finishCalled) request.finish();
    }
  }
}

class Big extends Resource {
  override isLeaf = true;
  static readonly SIZE = 3 * 1024 * 1024;
  render_GET(_request: Request): Uint8Array {
    const body = new Uint8Array(Big.SIZE);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    return body;
  }
}

class Redirector extends Resource {
  override isLeaf = true;
  #code: number;
  #to: string;
  constructor(code: number, to: string) {
    super();
    this.#code = code;
    this.#to = to;
  }
  override render(request: Request): string {
    request.setResponseCode(this.#code);
    request.setHeader("location", this.#to);
    return "moved";
  }
}

class CookieSetter extends Resource {
  override isLeaf = true;
  render_GET(request: Request): string {
    request.addCookie("flavour", "oatmeal", { path: "/" });
    return "set";
  }
}

class CookieShow extends Resource {
  override isLeaf = true;
  render_GET(request: Request): string {
    return request.getHeader("cookie") ?? "(none)";
  }
}

const hang = new Hang();

function makeSite(): Site {
  const root = new Resource();
  root.putChild("hello", new Text("Hello, world!"));
  root.putChild("echo", new Echo());
  root.putChild("pieces", new Pieces());
  root.putChild("hang", hang);
  root.putChild("big", new Big());
  root.putChild(
    "gzip",
    new EncodingResourceWrapper(new Text("z".repeat(5000)), [
      new GzipEncoderFactory(),
    ]),
  );
  root.putChild("r302", new Redirector(302, "/hello"));
  root.putChild("r303", new Redirector(303, "hello"));
  root.putChild("r307", new Redirector(307, "/echo"));
  root.putChild("loop", new Redirector(302, "/loop"));
  root.putChild("nowhere", new Redirector(301, ""));
  root.putChild("setcookie", new CookieSetter());
  root.putChild("showcookie", new CookieShow());
  const site = new Site(root);
  site.noisy = false;
  return site;
}

describe("Agent over loopback against our Site", { timeout: 60_000 }, () => {
  let site: Site;
  let port: IListeningPort;
  let tlsPort: IListeningPort;
  let base = "";
  let tlsBase = "";
  let pool: HTTPConnectionPool;
  let agent: Agent;

  before(async () => {
    site = makeSite();
    port = reactor.listenTCP(0, site, { interface: "127.0.0.1" });
    await port.whenListening!();
    base = `http://127.0.0.1:${(port.getHost() as IPv4Address).port}`;
    tlsPort = reactor.listenSSL(0, site, {
      cert: fixture("server.pem"),
      key: fixture("server.key"),
    }, {
      interface: "127.0.0.1",
    });
    await tlsPort.whenListening!();
    tlsBase = `https://localhost:${(tlsPort.getHost() as IPv4Address).port}`;
    pool = new HTTPConnectionPool(reactor);
    agent = new Agent(reactor, { pool, connectTimeout: 5, tlsOptions: { ca: fixture("ca.pem") } });
  });

  // A kept connection is the pool's until closed: each test closes its own, so
  // that the leak check sees what a test left open, not what the pool keeps.
  afterEach(async () => {
    await pool.closeCachedConnections();
  });

  after(async () => {
    hang.release();
    await pool.closeCachedConnections();
    await site.shutdown();
    await port.stopListening();
    await tlsPort.stopListening();
  });

  async function text(r: Response): Promise<string> {
    return td.decode(await bounded(readBody(r)));
  }

  it("gets a page", async () => {
    const r = await bounded(agent.request("GET", `${base}/hello`));
    assert.equal(r.code, 200);
    assert.equal(r.phrase, "OK");
    assert.equal(r.length, 13);
    assert.equal(r.headers.getLast("content-type"), "text/plain; charset=utf-8");
    assert.equal(await text(r), "Hello, world!");
  });

  it("reuses a kept connection for the next request", async () => {
    await text(await bounded(agent.request("GET", `${base}/hello`)));
    await until(() => pool.cachedConnectionCount() > 0);
    const before = pool.cachedConnectionCount();
    const channels = site.channels.size;
    await text(await bounded(agent.request("GET", `${base}/hello`)));
    await until(() => pool.cachedConnectionCount() === before);
    assert.equal(site.channels.size, channels);
  });

  it("closes the connection after the response without a persistent pool", async () => {
    const plain = new Agent(reactor);
    const open = site.channels.size;
    const r = await bounded(plain.request("GET", `${base}/hello`));
    assert.equal(await text(r), "Hello, world!");
    await until(() => site.channels.size === open);
  });

  it("posts a body with Content-Length", async () => {
    const r = await bounded(
      agent.request(
        "POST",
        `${base}/echo`,
        new Headers({ "Content-Type": "application/octet-stream" }),
        new BytesBodyProducer("ping pong"),
      ),
    );
    assert.equal(r.headers.getLast("x-te"), "none");
    assert.equal(await text(r), "ping pong");
  });

  it("streams a request body of unknown length chunked", async () => {
    const parts = ["alpha ", "beta ", "gamma"];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = parts.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(te.encode(next));
      },
    });
    const r = await bounded(
      agent.request("PUT", `${base}/echo`, null, new BytesBodyProducer(stream)),
    );
    assert.equal(r.headers.getLast("x-te"), "chunked");
    assert.equal(await text(r), "alpha beta gamma");
  });

  it("reads a chunked response", async () => {
    const r = await bounded(agent.request("GET", `${base}/pieces`));
    assert.equal(r.headers.getLast("transfer-encoding"), "chunked");
    assert.equal(await text(r), "piece0;piece1;piece2;piece3;piece4;");
  });

  it("reads a HEAD response without a body", async () => {
    const r = await bounded(agent.request("HEAD", `${base}/hello`));
    assert.equal(r.code, 200);
    assert.equal(r.length, 0);
    assert.equal(await text(r), "");
  });

  it("streams a large body with backpressure from a slow reader", async () => {
    const r = await bounded(agent.request("GET", `${base}/big`));
    assert.equal(r.length, Big.SIZE);
    let received = 0;
    let ok = true;
    let pauses = 0;
    const done = new Deferred<void>();
    class SlowReader extends Protocol {
      override dataReceived(data: Uint8Array): void {
        for (let i = 0; i < data.length; i++) if (data[i] !== (received + i) % 251) ok = false;
        received += data.length;
        // Pause after each piece, resume a little later: a slow consumer.
        this.transport.pauseProducing();
        pauses++;
        reactor.callLater(0, () => this.transport.resumeProducing());
      }
      override connectionLost(reason: Failure): void {
        if (reason.value.name === "ResponseDone") done.callback(undefined);
        else done.errback(reason);
      }
    }
    r.deliverBody(new SlowReader());
    await bounded(done, 30);
    assert.equal(received, Big.SIZE);
    assert.ok(ok, "body bytes intact");
    assert.ok(pauses > 1);
  });

  it("decodes gzip with ContentDecoderAgent", async () => {
    const decoding = new ContentDecoderAgent(agent, [["gzip", GzipDecoder]]);
    const r = await bounded(decoding.request("GET", `${base}/gzip`));
    assert.equal(r.headers.hasHeader("content-encoding"), false);
    assert.equal(await text(r), "z".repeat(5000));
    const raw = await bounded(agent.request("GET", `${base}/gzip`));
    assert.equal(raw.headers.hasHeader("content-encoding"), false); // not asked for
    await text(raw);
  });

  it("follows a 302 and keeps the previous response", async () => {
    const redirecting = new RedirectAgent(agent);
    const r = await bounded(redirecting.request("GET", `${base}/r302`));
    assert.equal(r.code, 200);
    assert.equal(await text(r), "Hello, world!");
    assert.equal(r.previousResponse?.code, 302);
    assert.equal(r.request?.absoluteURI, `${base}/hello`);
  });

  it("turns a POST into a GET on 303, resolving a relative Location", async () => {
    const redirecting = new RedirectAgent(agent);
    const r = await bounded(
      redirecting.request("POST", `${base}/r303`, null, new BytesBodyProducer("x")),
    );
    assert.equal(r.request?.method, "GET");
    assert.equal(await text(r), "Hello, world!");
  });

  it("re-sends the method and body on 307", async () => {
    const redirecting = new BrowserLikeRedirectAgent(agent);
    const r = await bounded(
      redirecting.request("POST", `${base}/r307`, null, new BytesBodyProducer("again")),
    );
    assert.equal(r.headers.getLast("x-method"), "POST");
    assert.equal(await text(r), "again");
  });

  it("refuses a 302 for a POST whose body cannot be sent again", async () => {
    const redirecting = new RedirectAgent(agent);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(te.encode("once"));
        c.close();
      },
    });
    const f = await failureOf(
      redirecting.request("POST", `${base}/r302`, null, new BytesBodyProducer(stream)),
    );
    assert.ok(f.check(ResponseFailed));
    assert.ok((f.value as ResponseFailed).reasons[0].check(PageRedirect));
  });

  it("stops an infinite redirect with InfiniteRedirection", async () => {
    const redirecting = new RedirectAgent(agent, 3);
    const f = await failureOf(bounded(redirecting.request("GET", `${base}/loop`)));
    assert.ok(f.check(ResponseFailed));
    assert.ok((f.value as ResponseFailed).reasons[0].check(InfiniteRedirection));
  });

  it("keeps and sends cookies with CookieAgent", async () => {
    const jar = new CookieJar();
    const cookies = new CookieAgent(agent, jar);
    await text(await bounded(cookies.request("GET", `${base}/setcookie`)));
    assert.equal(jar.cookies().length, 1);
    const r = await bounded(cookies.request("GET", `${base}/showcookie`));
    assert.equal(await text(r), "flavour=oatmeal");
  });

  it("gets a page over https with the certificate verified", async () => {
    const r = await bounded(agent.request("GET", `${tlsBase}/hello`));
    assert.equal(await text(r), "Hello, world!");
    const ip = tlsBase.replace("localhost", "127.0.0.1");
    const r2 = await bounded(agent.request("GET", `${ip}/hello`));
    assert.equal(await text(r2), "Hello, world!");
  });

  it("fails https against an untrusted certificate", async () => {
    const strict = new Agent(reactor, { tlsOptions: { ca: fixture("other_ca.pem") } });
    const f = await failureOf(bounded(strict.request("GET", `${tlsBase}/hello`)));
    assert.ok(f.value instanceof Error);
  });

  it("times out a request with addTimeout, aborting the connection", async () => {
    const open = site.channels.size;
    const fresh = new Agent(reactor);
    const f = await failureOf(fresh.request("GET", `${base}/hang`).addTimeout(0.2, reactor));
    assert.ok(f.check(ResponseNeverReceived), f.getErrorMessage());
    // The server's channel goes once it finds the socket closed (Deno does not
    // see a reset while the channel has paused reading: answering makes it look).
    hang.release();
    await until(() => site.channels.size === open);
  });

  it("fails with ConnectionRefusedError when nothing listens", async () => {
    const closed = reactor.listenTCP(0, makeSite(), { interface: "127.0.0.1" });
    await closed.whenListening!();
    const number = (closed.getHost() as IPv4Address).port;
    await closed.stopListening();
    const f = await failureOf(bounded(agent.request("GET", `http://127.0.0.1:${number}/`)));
    assert.ok(f.check(ConnectionRefusedError), f.getErrorMessage());
  });

  it("fails at once for an unsupported scheme", async () => {
    const f = await failureOf(agent.request("GET", "ftp://example.org/"));
    assert.ok(f.check(SchemeNotSupported));
  });
});
