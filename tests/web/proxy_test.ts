/**
 * ReverseProxyResource and the forward Proxy over loopback: an upstream Site,
 * a proxying Site in front of it, and our Agent / ProxyAgent as clients.
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Deferred,
  type IListeningPort,
  type IPv4Address,
  reactor,
  TCP4ClientEndpoint,
} from "../../mod.ts";
import { type Request, Resource, Site } from "../../src/web/mod.ts";
import {
  Agent,
  BytesBodyProducer,
  HTTPConnectionPool,
  ProxyAgent,
  readBody,
  type Response,
} from "../../src/web/client.ts";
import { ProxyFactory, ReverseProxyResource } from "../../src/web/proxy.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

// Over real sockets: the server side of a connection closes a moment after the client.
trackLeaks({ beforeEach, afterEach }, { settle: 2000 });

const td = new TextDecoder();

class Show extends Resource {
  override isLeaf = true;
  override render(request: Request): string {
    request.setHeader("content-type", "application/json");
    request.setHeader("x-upstream", "yes");
    return JSON.stringify({
      method: request.method,
      uri: request.uri,
      host: request.getHeader("host"),
      connection: request.getHeader("connection"),
      upgrade: request.getHeader("upgrade"),
      http2Settings: request.getHeader("http2-settings"),
      body: td.decode(request.content),
    });
  }
}

class Big extends Resource {
  override isLeaf = true;
  static readonly SIZE = 2 * 1024 * 1024;
  render_GET(_request: Request): Uint8Array {
    const body = new Uint8Array(Big.SIZE);
    for (let i = 0; i < body.length; i++) body[i] = i % 253;
    return body;
  }
}

function portOf(port: IListeningPort): number {
  return (port.getHost() as IPv4Address).port;
}

function bounded<T>(d: Deferred<T>, seconds = 15): Deferred<T> {
  return d.addTimeout(seconds, reactor);
}

describe("proxies over loopback", { timeout: 60_000 }, () => {
  let upstream: Site;
  let upstreamPort: IListeningPort;
  let front: Site;
  let frontPort: IListeningPort;
  let forward: ProxyFactory;
  let forwardPort: IListeningPort;
  let deadPortNumber = 0;
  let frontBase = "";
  const pool = new HTTPConnectionPool(reactor);
  const agent = new Agent(reactor, { pool });

  before(async () => {
    const root = new Resource();
    root.putChild("show", new Show());
    const sub = new Resource();
    sub.putChild("show", new Show());
    root.putChild("sub", sub);
    root.putChild("big", new Big());
    upstream = new Site(root);
    upstream.noisy = false;
    upstreamPort = reactor.listenTCP(0, upstream, { interface: "127.0.0.1" });
    await upstreamPort.whenListening!();

    const dead = reactor.listenTCP(0, new Site(new Resource()), { interface: "127.0.0.1" });
    await dead.whenListening!();
    deadPortNumber = portOf(dead);
    await dead.stopListening();

    const frontRoot = new Resource();
    frontRoot.putChild("all", new ReverseProxyResource("127.0.0.1", portOf(upstreamPort), ""));
    frontRoot.putChild(
      "api",
      new ReverseProxyResource("127.0.0.1", portOf(upstreamPort), "/sub", { reactor }),
    );
    frontRoot.putChild("dead", new ReverseProxyResource("127.0.0.1", deadPortNumber, ""));
    front = new Site(frontRoot);
    front.noisy = false;
    frontPort = reactor.listenTCP(0, front, { interface: "127.0.0.1" });
    await frontPort.whenListening!();
    frontBase = `http://127.0.0.1:${portOf(frontPort)}`;

    forward = new ProxyFactory({ reactor });
    forward.noisy = false;
    forwardPort = reactor.listenTCP(0, forward, { interface: "127.0.0.1" });
    await forwardPort.whenListening!();
  });

  // Each test closes the connections it kept, so the leak check sees only real leftovers.
  afterEach(async () => {
    await pool.closeCachedConnections();
  });

  after(async () => {
    await pool.closeCachedConnections();
    await front.shutdown();
    await forward.shutdown();
    await upstream.shutdown();
    await frontPort.stopListening();
    await forwardPort.stopListening();
    await upstreamPort.stopListening();
  });

  async function json(r: Response): Promise<Record<string, string>> {
    return JSON.parse(td.decode(await bounded(readBody(r))));
  }

  it("forwards a GET with the Host rewritten and the query kept", async () => {
    const r = await bounded(agent.request("GET", `${frontBase}/all/show?x=1`));
    assert.equal(r.code, 200);
    assert.equal(r.headers.getLast("x-upstream"), "yes");
    const body = await json(r);
    assert.equal(body.uri, "/show?x=1");
    assert.equal(body.host, `127.0.0.1:${portOf(upstreamPort)}`);
  });

  it("never forwards an h2c upgrade (the h2c-smuggling vector)", async () => {
    const { connect } = await import("node:net");
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(portOf(frontPort), "127.0.0.1", () => {
        socket.write(
          "GET /all/show HTTP/1.1\r\nHost: front\r\nConnection: Upgrade, HTTP2-Settings\r\n" +
            "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
        );
      });
      let got = "";
      socket.on("data", (d) => {
        got += d.toString();
        if (/\r\n\r\n[\s\S]*\}$/.test(got)) socket.end();
      });
      socket.on("close", () => resolve(got));
      socket.on("error", reject);
    });
    // The front site does not upgrade (h2cUpgrade is off by default) and answers over HTTP/1.1.
    assert.match(raw, /^HTTP\/1\.1 200/);
    const body = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4));
    assert.equal(body.upgrade, null);
    assert.equal(body.http2Settings, null);
  });

  it("maps the path under a prefix", async () => {
    const r = await bounded(agent.request("GET", `${frontBase}/api/show`));
    assert.equal((await json(r)).uri, "/sub/show");
  });

  it("forwards a POST body", async () => {
    const r = await bounded(
      agent.request("POST", `${frontBase}/all/show`, null, new BytesBodyProducer("payload")),
    );
    const body = await json(r);
    assert.equal(body.method, "POST");
    assert.equal(body.body, "payload");
  });

  it("streams a large response back intact", async () => {
    const r = await bounded(agent.request("GET", `${frontBase}/all/big`));
    const body = await bounded(readBody(r), 30);
    assert.equal(body.length, Big.SIZE);
    let ok = true;
    for (let i = 0; i < body.length; i++) if (body[i] !== i % 253) ok = false;
    assert.ok(ok);
  });

  it("answers 502 when the upstream cannot be reached", async () => {
    const r = await bounded(agent.request("GET", `${frontBase}/dead/x`));
    assert.equal(r.code, 502);
    assert.match(td.decode(await bounded(readBody(r))), /Could not connect/);
  });

  it("serves absolute-URI requests as a forward proxy", async () => {
    const proxied = new ProxyAgent(
      new TCP4ClientEndpoint(reactor, "127.0.0.1", portOf(forwardPort)),
    );
    const target = `http://127.0.0.1:${portOf(upstreamPort)}/show?via=proxy`;
    const r = await bounded(proxied.request("GET", target));
    assert.equal(r.code, 200);
    const body = await json(r);
    assert.equal(body.uri, "/show?via=proxy");
    assert.equal(body.host, `127.0.0.1:${portOf(upstreamPort)}`);
  });

  it("refuses an origin-form request to the forward proxy with 400", async () => {
    const r = await bounded(
      agent.request("GET", `http://127.0.0.1:${portOf(forwardPort)}/not-absolute`),
    );
    assert.equal(r.code, 400);
    await bounded(readBody(r));
  });
});
