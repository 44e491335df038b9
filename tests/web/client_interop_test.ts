/**
 * Our Agent against a real HTTP server: Python's http.server
 * (tests/web/peers/http_peer.py, run by /usr/bin/python3 through our own
 * spawnProcess), serving good responses and bad ones. Every request is
 * bounded in time; the Python process is ours and is ended at the end.
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import {
  Deferred,
  type Failure,
  ProcessProtocol,
  type ProcessTransport,
  reactor,
} from "../../mod.ts";
import {
  Agent,
  BytesBodyProducer,
  ContentDecoderAgent,
  GzipDecoder,
  HTTPConnectionPool,
  PartialDownloadError,
  readBody,
  RedirectAgent,
  ResponseFailed,
} from "../../src/web/client.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

// Over real sockets: the server side of a connection closes a moment after the client.
trackLeaks({ beforeEach, afterEach }, { settle: 2000 });

const PYTHON = "/usr/bin/python3";
const td = new TextDecoder();
const te = new TextEncoder();

class Peer extends ProcessProtocol {
  out = "";
  err = "";
  port = new Deferred<number>();
  ended = new Deferred<void>();
  override outReceived(data: Uint8Array): void {
    this.out += td.decode(data);
    const m = /PORT (\d+)/.exec(this.out);
    if (m !== null && !this.port.called) this.port.callback(Number(m[1]));
  }
  override errReceived(data: Uint8Array): void {
    this.err += td.decode(data);
  }
  override processEnded(_reason: Failure): void {
    if (!this.port.called) this.port.errback(new Error(`peer ended: ${this.err}`));
    this.ended.callback(undefined);
  }
}

function bounded<T>(d: Deferred<T>, seconds = 10): Deferred<T> {
  return d.addTimeout(seconds, reactor);
}

async function failureOf(d: Deferred<unknown>): Promise<Failure> {
  return await new Promise<Failure>((resolve, reject) => {
    d.addCallbacks((v) => reject(new Error(`expected a failure, got ${String(v)}`)), resolve);
  });
}

describe("Agent against Python's http.server", {
  timeout: 60_000,
  skip: existsSync(PYTHON) ? false : "no /usr/bin/python3",
}, () => {
  const peer = new Peer();
  let transport: ProcessTransport;
  let base = "";
  const pool = new HTTPConnectionPool(reactor);
  const agent = new Agent(reactor, { pool });

  before(async () => {
    transport = reactor.spawnProcess(peer, PYTHON, [
      PYTHON,
      fileURLToPath(new URL("peers/http_peer.py", import.meta.url)),
    ]);
    base = `http://127.0.0.1:${await bounded(peer.port, 20)}`;
  });

  // Each test closes the connections it kept, so the leak check sees only real leftovers.
  afterEach(async () => {
    await pool.closeCachedConnections();
  });

  after(async () => {
    await pool.closeCachedConnections();
    transport.closeStdin();
    try {
      await bounded(peer.ended, 10);
    } catch {
      transport.signalProcess("KILL");
      await bounded(peer.ended, 10);
    }
  });

  it("gets a page with Content-Length over a kept connection", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await bounded(agent.request("GET", `${base}/plain`));
      assert.equal(r.code, 200);
      assert.equal(td.decode(await bounded(readBody(r))), "plain text from python");
    }
  });

  it("reads a chunked body", async () => {
    const r = await bounded(agent.request("GET", `${base}/chunked`));
    assert.equal(td.decode(await bounded(readBody(r))), "one,two,three");
  });

  it("decodes gzip", async () => {
    const decoding = new ContentDecoderAgent(agent, [["gzip", GzipDecoder]]);
    const r = await bounded(decoding.request("GET", `${base}/gzip`));
    assert.equal(td.decode(await bounded(readBody(r))), "squeezed ".repeat(1000));
  });

  it("posts bodies with Content-Length and chunked", async () => {
    const r = await bounded(
      agent.request("POST", `${base}/echo`, null, new BytesBodyProducer("sized")),
    );
    assert.equal(td.decode(await bounded(readBody(r))), "sized");
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(te.encode("chunk"));
        c.enqueue(te.encode("ed"));
        c.close();
      },
    });
    const r2 = await bounded(
      agent.request("POST", `${base}/echo`, null, new BytesBodyProducer(stream)),
    );
    assert.equal(td.decode(await bounded(readBody(r2))), "chunked");
  });

  it("follows a redirect", async () => {
    const r = await bounded(new RedirectAgent(agent).request("GET", `${base}/redirect`));
    assert.equal(td.decode(await bounded(readBody(r))), "plain text from python");
  });

  it("reads an HTTP/1.0 body ended by the close, reporting possible loss", async () => {
    const r = await bounded(agent.request("GET", `${base}/close`));
    const f = await failureOf(bounded(readBody(r)));
    assert.ok(f.check(PartialDownloadError));
    assert.equal(td.decode((f.value as PartialDownloadError).response), "until the end");
  });

  it("fails a truncated body with ResponseFailed", async () => {
    const r = await bounded(agent.request("GET", `${base}/truncated`));
    assert.ok((await failureOf(bounded(readBody(r)))).check(ResponseFailed));
  });

  it("fails a truncated chunked body with ResponseFailed", async () => {
    const r = await bounded(agent.request("GET", `${base}/badchunk`));
    assert.ok((await failureOf(bounded(readBody(r)))).check(ResponseFailed));
  });

  it("fails garbage with ResponseFailed", async () => {
    const f = await failureOf(bounded(agent.request("GET", `${base}/garbage`)));
    assert.ok(f.check(ResponseFailed), f.getErrorMessage());
  });

  it("fails an oversized header with ResponseFailed", async () => {
    const f = await failureOf(bounded(agent.request("GET", `${base}/bigheader`)));
    assert.ok(f.check(ResponseFailed), f.getErrorMessage());
  });

  it("fails a body cut by a reset with ResponseFailed", async () => {
    const r = await bounded(agent.request("GET", `${base}/reset`));
    assert.ok((await failureOf(bounded(readBody(r)))).check(ResponseFailed));
  });
});
