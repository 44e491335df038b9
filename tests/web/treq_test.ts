/**
 * The treq-like layer over loopback against our Site: params, JSON and form
 * bodies, text()/json()/content(), redirects, gzip, timeouts.
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type IListeningPort, type IPv4Address, reactor } from "../../mod.ts";
import type { Failure } from "../../src/internet/failure.ts";
import type { Deferred } from "../../src/internet/defer.ts";
import {
  EncodingResourceWrapper,
  GzipEncoderFactory,
  NOT_DONE_YET,
  type Request,
  Resource,
  Site,
} from "../../src/web/mod.ts";
import { Agent, ResponseNeverReceived } from "../../src/web/client.ts";
import * as treq from "../../src/web/treq.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

// Over real sockets: the server side of a connection closes a moment after the client.
trackLeaks({ beforeEach, afterEach }, { settle: 2000 });

class Inspect extends Resource {
  override isLeaf = true;
  override render(request: Request): string {
    request.setHeader("content-type", "application/json");
    return JSON.stringify({
      method: request.method,
      uri: request.uri,
      args: request.args,
      contentType: request.getHeader("content-type"),
      body: new TextDecoder().decode(request.content),
      custom: request.getHeader("x-custom"),
    });
  }
}

class Latin1 extends Resource {
  override isLeaf = true;
  render_GET(request: Request): Uint8Array {
    request.setHeader("content-type", "text/plain; charset=iso-8859-1");
    return new Uint8Array([0x63, 0x61, 0x66, 0xe9]); // "café" in latin1
  }
}

class Moved extends Resource {
  override isLeaf = true;
  render_GET(request: Request): string {
    request.redirect("/inspect?from=moved");
    return "";
  }
}

class Hang extends Resource {
  override isLeaf = true;
  pending: Request[] = [];
  render_GET(request: Request): typeof NOT_DONE_YET {
    this.pending.push(request);
    request.notifyFinish().addErrback(() => null);
    return NOT_DONE_YET;
  }
}

async function failureOf(d: Deferred<unknown>): Promise<Failure> {
  return await new Promise<Failure>((resolve, reject) => {
    d.addCallbacks((v) => reject(new Error(`expected a failure, got ${String(v)}`)), resolve);
  });
}

describe("treq over loopback", { timeout: 60_000 }, () => {
  let site: Site;
  let port: IListeningPort;
  let base = "";
  const hang = new Hang();

  before(async () => {
    const root = new Resource();
    root.putChild("inspect", new Inspect());
    root.putChild("latin1", new Latin1());
    root.putChild("moved", new Moved());
    root.putChild("hang", hang);
    root.putChild(
      "gz",
      new EncodingResourceWrapper(new Inspect(), [new GzipEncoderFactory()]),
    );
    site = new Site(root);
    site.noisy = false;
    port = reactor.listenTCP(0, site, { interface: "127.0.0.1" });
    await port.whenListening!();
    base = `http://127.0.0.1:${(port.getHost() as IPv4Address).port}`;
  });

  // Each test ends its hung requests and closes the connections it kept, so
  // that the leak check sees only real leftovers.
  afterEach(async () => {
    for (const r of hang.pending) if (!r.disconnected && !r.finishCalled) r.finish();
    await treq.closeDefaultPool();
  });

  after(async () => {
    for (const r of hang.pending) if (!r.disconnected && !r.finishCalled) r.finish();
    await treq.closeDefaultPool();
    await site.shutdown();
    await port.stopListening();
  });

  it("gets with query parameters and reads JSON", async () => {
    const r = await treq.get(`${base}/inspect`, {
      params: { q: "twisted matrix", n: [1, 2] },
      headers: { "X-Custom": "yes" },
      timeout: 10,
    });
    assert.equal(r.code, 200);
    const body = await r.json<{ method: string; args: Record<string, string[]>; custom: string }>();
    assert.equal(body.method, "GET");
    assert.deepEqual(body.args, { q: ["twisted matrix"], n: ["1", "2"] });
    assert.equal(body.custom, "yes");
    // A buffered body can be read again.
    assert.match(await r.text(), /"method":"GET"/);
  });

  it("posts JSON", async () => {
    const r = await treq.post(`${base}/inspect`, { json: { a: [1, "b"] }, timeout: 10 });
    const body = await r.json<{ contentType: string; body: string }>();
    assert.equal(body.contentType, "application/json; charset=UTF-8");
    assert.deepEqual(JSON.parse(body.body), { a: [1, "b"] });
  });

  it("posts a url-encoded form", async () => {
    const r = await treq.post(`${base}/inspect`, { data: { name: "Ada", tag: ["x", "y"] } });
    const body = await r.json<{ args: Record<string, string[]>; contentType: string }>();
    assert.equal(body.contentType, "application/x-www-form-urlencoded");
    assert.deepEqual(body.args, { name: ["Ada"], tag: ["x", "y"] });
  });

  it("puts, patches and deletes", async () => {
    for (
      const [fn, method] of [[treq.put, "PUT"], [treq.patch, "PATCH"], [
        treq.delete,
        "DELETE",
      ]] as const
    ) {
      const r = await fn(`${base}/inspect`, { body: "raw" });
      const body = await r.json<{ method: string; body: string }>();
      assert.equal(body.method, method);
      assert.equal(body.body, "raw");
    }
  });

  it("sends HEAD and gets no body", async () => {
    const r = await treq.head(`${base}/inspect`);
    assert.equal(r.code, 200);
    assert.equal((await r.content()).length, 0);
  });

  it("decodes text with the response's charset", async () => {
    const r = await treq.get(`${base}/latin1`);
    assert.equal(await r.text(), "café");
  });

  it("follows redirects and records the history", async () => {
    const r = await treq.get(`${base}/moved`);
    assert.equal(r.code, 200);
    assert.equal(r.history().length, 1);
    assert.equal(r.history()[0].code, 302);
    const body = await r.json<{ args: Record<string, string[]> }>();
    assert.deepEqual(body.args, { from: ["moved"] });
    const noFollow = await treq.get(`${base}/moved`, { allowRedirects: false });
    assert.equal(noFollow.code, 302);
    await noFollow.content();
  });

  it("decodes a gzip response", async () => {
    const r = await treq.get(`${base}/gz`);
    assert.equal(r.headers.hasHeader("content-encoding"), false);
    assert.equal((await r.json<{ method: string }>()).method, "GET");
  });

  it("uses a given agent", async () => {
    const r = await treq.get(`${base}/inspect`, { agent: new Agent(reactor) });
    assert.equal(r.code, 200);
    await r.content();
  });

  it("times out a request that gets no answer", async () => {
    const f = await failureOf(treq.get(`${base}/hang`, { timeout: 0.2 }));
    assert.ok(f.check(ResponseNeverReceived), f.getErrorMessage());
  });

  it("reads an unbuffered body once", async () => {
    const r = await treq.get(`${base}/inspect`, { unbuffered: true });
    assert.match(await r.text(), /GET/);
    const f = await failureOf(r.content());
    assert.match(f.getErrorMessage(), /only once/);
  });
});
