import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Clock } from "../../src/internet/task.ts";
import { IPv4Address } from "../../src/internet/address.ts";
import type { IPushProducer } from "../../src/internet/interfaces.ts";
import type { Failure } from "../../src/internet/failure.ts";
import {
  flushLoggedErrors,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import {
  CACHED,
  Data,
  EncodingResourceWrapper,
  FetchResource,
  GzipEncoderFactory,
  type HTTPChannel,
  NOT_DONE_YET,
  Request as TwRequest,
  Resource,
  Site,
  siteAsFetchHandler,
} from "../../src/web/mod.ts";
import { type ParsedResponse, parseResponses, td, te } from "./_helpers.ts";

trackLeaks({ beforeEach, afterEach });

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

function connect(
  resource: Resource,
  transport: StringTransportWithDisconnection,
): { channel: HTTPChannel; requests: TwRequest[] } {
  const requests: TwRequest[] = [];
  class Recorded extends TwRequest {
    constructor(channel: HTTPChannel | null) {
      super(channel);
      requests.push(this);
    }
  }
  const site = new Site(resource, { clock: new Clock(), requestFactory: Recorded });
  const channel = site.buildProtocol(new IPv4Address("TCP", "10.0.0.1", 5000))!;
  transport.protocol = channel;
  channel.makeConnection(transport);
  return { channel, requests };
}

/** Sends `raw` to a site whose /app is `resource`; resolves with the response. */
async function exchange(resource: Resource, raw: string, head = false): Promise<ParsedResponse> {
  const top = new Resource();
  top.putChild("app", resource);
  const transport = new StringTransportWithDisconnection();
  const { requests } = connect(top, transport);
  transport.protocol!.dataReceived(te.encode(raw));
  await requests[0].notifyFinish();
  const [r] = parseResponses(transport.value(), head);
  transport.loseConnection();
  return r;
}

/** A handler that describes the request it got, as JSON. */
async function describeRequest(req: Request): Promise<Response> {
  return Response.json({
    url: req.url,
    method: req.method,
    headers: Object.fromEntries(req.headers),
    body: req.body === null ? null : await req.text(),
    aborted: req.signal.aborted,
  });
}

describe("FetchResource", () => {
  it("gives the handler an absolute URL, the method and the headers, less hop-by-hop ones", async () => {
    const r = await exchange(
      new FetchResource(describeRequest),
      "GET /app/x/y%20z?q=1&r=2 HTTP/1.1\r\nHost: example.com:8080\r\nX-Thing: a\r\n" +
        "Connection: keep-alive\r\n\r\n",
    );
    assert.equal(r.code, 200);
    const got = JSON.parse(r.text);
    assert.equal(got.url, "http://example.com:8080/app/x/y%20z?q=1&r=2");
    assert.equal(got.method, "GET");
    assert.equal(got.headers["x-thing"], "a");
    assert.equal(got.headers.connection, undefined);
    assert.equal(got.body, null);
    assert.equal(got.aborted, false);
    // Bun says "application/json;charset=utf-8", Deno and Node "application/json".
    assert.match(r.headers.get("content-type")?.[0] ?? "", /^application\/json/);
  });

  it("gives URLs relative to the mount point with stripPrefix", async () => {
    const r = await exchange(
      new FetchResource(describeRequest, { stripPrefix: true }),
      "GET /app/x/y?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
    );
    assert.equal(JSON.parse(r.text).url, "http://example.com/x/y?q=1");
  });

  it("streams the request body to the handler", async () => {
    const r = await exchange(
      new FetchResource(describeRequest),
      "POST /app HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n" +
        "hello world",
    );
    const got = JSON.parse(r.text);
    assert.equal(got.method, "POST");
    assert.equal(got.body, "hello world");
    assert.equal(got.headers["content-type"], "text/plain");
  });

  it("sends the status, headers and each Set-Cookie of the response", async () => {
    const handler = (): Response => {
      const headers = new Headers({ "X-One": "1", "Content-Type": "text/plain" });
      headers.append("Set-Cookie", "a=1; Path=/");
      headers.append("Set-Cookie", "b=2, c; HttpOnly");
      return new Response("created!", { status: 201, statusText: "Made It", headers });
    };
    const r = await exchange(new FetchResource(handler), "PUT /app HTTP/1.1\r\nHost: h\r\n\r\n");
    assert.equal(r.code, 201);
    assert.equal(r.message, "Made It");
    assert.equal(r.text, "created!");
    assert.equal(r.headers.get("x-one")?.[0], "1");
    assert.deepEqual(r.headers.get("set-cookie"), ["a=1; Path=/", "b=2, c; HttpOnly"]);
  });

  it("answers HEAD and 204 without a body", async () => {
    const head = await exchange(
      new FetchResource(() => new Response("body")),
      "HEAD /app HTTP/1.1\r\nHost: h\r\n\r\n",
      true,
    );
    assert.equal(head.code, 200);
    const none = await exchange(
      new FetchResource(() => new Response(null, { status: 204 })),
      "DELETE /app HTTP/1.1\r\nHost: h\r\n\r\n",
    );
    assert.equal(none.code, 204);
    assert.equal(none.body.length, 0);
  });

  it("routes like a small fetch app (a Hono-like router)", async () => {
    const app = (req: Request): Response => {
      const { pathname } = new URL(req.url);
      if (req.method === "GET" && pathname === "/api/users/42") return Response.json({ id: 42 });
      return new Response("Not Found", { status: 404 });
    };
    const top = new Resource();
    top.putChild("api", new FetchResource(app));
    const handler = siteAsFetchHandler(new Site(top, { clock: new Clock() }));
    const ok = await handler(new Request("http://h/api/users/42"));
    assert.deepEqual(await ok.json(), { id: 42 });
    const missing = await handler(new Request("http://h/api/nope"));
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), "Not Found");
  });

  it("answers 500 when the handler throws", async () => {
    const r = await exchange(
      new FetchResource(() => {
        throw new Error("boom");
      }),
      "GET /app HTTP/1.1\r\nHost: h\r\n\r\n",
    );
    assert.equal(r.code, 500);
    assert.equal(flushLoggedErrors().length, 1);
  });

  it("stops reading the response body while the transport is paused", async () => {
    let pulls = 0;
    const total = 40;
    const chunk = new Uint8Array(16384).fill(7);
    const body = new ReadableStream<Uint8Array>({
      pull(controller): void {
        pulls++;
        controller.enqueue(chunk.slice());
        if (pulls === total) controller.close();
      },
    });
    const top = new Resource();
    top.putChild("app", new FetchResource(() => new Response(body)));
    let paused = false;
    class Pausing extends StringTransportWithDisconnection {
      override write(data: Uint8Array): void {
        super.write(data);
        if (!paused && this.producer !== null && this.value().length > 100_000) {
          paused = true;
          (this.producer as IPushProducer).pauseProducing();
        }
      }
    }
    const transport = new Pausing();
    const { requests } = connect(top, transport);
    transport.protocol!.dataReceived(te.encode("GET /app HTTP/1.1\r\nHost: h\r\n\r\n"));
    for (let i = 0; i < 200 && !paused; i++) await tick();
    assert.ok(paused);
    const pullsWhenPaused = pulls;
    for (let i = 0; i < 10; i++) await tick();
    // The stream's own queue may be topped up once, no more.
    assert.ok(pulls <= pullsWhenPaused + 1, `${pulls} vs ${pullsWhenPaused}`);
    assert.ok(pulls < total);
    (transport.producer as IPushProducer).resumeProducing();
    await requests[0].notifyFinish();
    const [r] = parseResponses(transport.value());
    assert.equal(r.body.length, total * chunk.length);
    assert.equal(r.headers.get("transfer-encoding")?.[0], "chunked");
    transport.loseConnection();
  });

  it("aborts the signal and cancels the body when the client goes away", async () => {
    let signal: AbortSignal | null = null;
    let cancelled = false;
    const handler = (req: Request): Response => {
      signal = req.signal;
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller): void {
            controller.enqueue(te.encode("first"));
          },
          cancel(): void {
            cancelled = true;
          },
        }),
      );
    };
    const top = new Resource();
    top.putChild("app", new FetchResource(handler));
    const transport = new StringTransportWithDisconnection();
    const { requests } = connect(top, transport);
    transport.protocol!.dataReceived(te.encode("GET /app HTTP/1.1\r\nHost: h\r\n\r\n"));
    for (let i = 0; i < 100 && !td.decode(transport.value()).includes("first"); i++) await tick();
    assert.match(td.decode(transport.value()), /first/);
    const finished = Promise.resolve(requests[0].notifyFinish()).catch((e) => e);
    transport.loseConnection();
    assert.ok((await finished) instanceof Error);
    for (let i = 0; i < 100 && !cancelled; i++) await tick();
    assert.equal(cancelled, true);
    assert.equal((signal as AbortSignal | null)?.aborted, true);
  });
});

/** A resource that echoes what the site saw. */
class Echo extends Resource {
  override isLeaf = true;
  render_GET(request: TwRequest): string {
    request.setHeader("content-type", "text/plain");
    request.addCookie("one", "1");
    request.addCookie("two", "2");
    return `${request.method} ${request.uri} host=${request.getRequestHostname()} ` +
      `secure=${request.isSecure()} peer=${(request.getClientAddress() as IPv4Address).host} q=${
        request.args.q?.[0]
      }`;
  }
  render_POST(request: TwRequest): string {
    return `got ${request.content.length} bytes: ${td.decode(request.content).slice(0, 20)}`;
  }
}

describe("siteAsFetchHandler", () => {
  it("serves a Site to a standard Request, with each Set-Cookie apart", async () => {
    const handler = siteAsFetchHandler(new Site(new Echo(), { clock: new Clock() }));
    const res = await handler(new Request("https://example.org/a/b?q=zz"), {
      remoteAddr: { hostname: "192.0.2.9", port: 4444 },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain");
    assert.equal(res.headers.get("connection"), null);
    assert.deepEqual(res.headers.getSetCookie().map((c) => c.split(";")[0]), ["one=1", "two=2"]);
    assert.equal(
      await res.text(),
      "GET /a/b?q=zz host=example.org secure=true peer=192.0.2.9 q=zz",
    );
  });

  it("passes a streamed request body of unknown length to the site", async () => {
    const handler = siteAsFetchHandler(new Site(new Echo(), { clock: new Clock() }));
    const body = new ReadableStream<Uint8Array>({
      start(controller): void {
        controller.enqueue(te.encode("hello "));
        controller.enqueue(te.encode("streamed world"));
        controller.close();
      },
    });
    const init: RequestInit & { duplex: "half" } = { method: "POST", body, duplex: "half" };
    const res = await handler(new Request("http://h/", init));
    assert.equal(await res.text(), "got 20 bytes: hello streamed world");
  });

  it("passes a body of known length, and answers HEAD without a body", async () => {
    const handler = siteAsFetchHandler(new Site(new Echo(), { clock: new Clock() }));
    const res = await handler(new Request("http://h/", { method: "POST", body: "abc" }));
    assert.equal(await res.text(), "got 3 bytes: abc");
    const head = await handler(new Request("http://h/", { method: "HEAD" }));
    assert.equal(head.status, 200);
    assert.equal(head.body, null);
  });

  it("keeps the site's Content-Length on HEAD and streamed answers", async () => {
    class Fixed extends Resource {
      override isLeaf = true;
      render_GET(request: TwRequest): string | typeof NOT_DONE_YET {
        request.setHeader("content-type", "text/plain");
        if (request.args.cookies !== undefined) {
          request.addCookie("one", "1");
          request.addCookie("two", "2");
        }
        if (request.args.stream === undefined) return "twelve bytes";
        request.setHeader("content-length", "6");
        request.write("abc");
        setTimeout(() => {
          request.write("def");
          request.finish();
        }, 0);
        return NOT_DONE_YET;
      }
    }
    const handler = siteAsFetchHandler(new Site(new Fixed(), { clock: new Clock() }));
    // One value per name, and a repeated name (the fields go as a record or as pairs).
    for (const query of ["", "?cookies=1"]) {
      const get = await handler(new Request(`http://h/${query}`));
      assert.equal(await get.text(), "twelve bytes");
      const head = await handler(new Request(`http://h/${query}`, { method: "HEAD" }));
      assert.equal(head.body, null);
      assert.equal(head.headers.get("content-length"), "12");
      assert.equal(head.headers.get("content-type"), "text/plain");
      assert.equal(head.headers.getSetCookie().length, query === "" ? 0 : 2);
    }
    const streamed = await handler(new Request("http://h/?stream=1"));
    assert.equal(streamed.headers.get("content-length"), "6");
    assert.equal(await streamed.text(), "abcdef");
  });

  it("answers with the site's errors (404, 405)", async () => {
    const top = new Resource();
    top.putChild("d", new Data("x", "text/plain"));
    const handler = siteAsFetchHandler(new Site(top, { clock: new Clock() }));
    assert.equal((await handler(new Request("http://h/nope"))).status, 404);
    const res = await handler(new Request("http://h/d", { method: "POST", body: "" }));
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, HEAD, OPTIONS");
    await res.body?.cancel();
  });

  it("streams a body written later, pausing the producer while the reader is slow", async () => {
    const producers: { paused: number; resumed: number }[] = [];
    class Slow extends Resource {
      override isLeaf = true;
      render_GET(request: TwRequest): typeof NOT_DONE_YET {
        const state = { paused: 0, resumed: 0 };
        producers.push(state);
        let sent = 0;
        let paused = false;
        const producer: IPushProducer = {
          pauseProducing(): void {
            paused = true;
            state.paused++;
          },
          resumeProducing(): void {
            paused = false;
            state.resumed++;
            pump();
          },
          stopProducing(): void {},
        };
        const pump = (): void => {
          while (!paused && sent < 64) {
            request.write(new Uint8Array(8192).fill(sent & 0xff));
            sent++;
          }
          if (sent === 64 && !request.finishCalled) {
            request.unregisterProducer();
            request.finish();
          }
        };
        request.registerProducer(producer, true);
        pump();
        return NOT_DONE_YET;
      }
    }
    const handler = siteAsFetchHandler(new Site(new Slow(), { clock: new Clock() }), {
      highWaterMark: 32768,
    });
    const res = await handler(new Request("http://h/"));
    assert.ok(producers[0].paused >= 1, "paused once the stream's queue was full");
    const buf = new Uint8Array(await res.arrayBuffer());
    assert.equal(buf.length, 64 * 8192);
    assert.equal(buf[8192 * 10], 10);
    assert.ok(producers[0].resumed >= 1);
  });

  it("tells the site the client went away when the request is aborted", async () => {
    const lost: Failure[] = [];
    class Hang extends Resource {
      override isLeaf = true;
      render_GET(request: TwRequest): typeof NOT_DONE_YET {
        request.write("partial");
        request.notifyFinish().addErrback((f: Failure) => {
          lost.push(f);
          return null;
        });
        return NOT_DONE_YET;
      }
    }
    const controller = new AbortController();
    const handler = siteAsFetchHandler(new Site(new Hang(), { clock: new Clock() }));
    const res = await handler(new Request("http://h/", { signal: controller.signal }));
    const reader = res.body!.getReader();
    assert.equal(td.decode((await reader.read()).value), "partial");
    controller.abort();
    for (let i = 0; i < 50 && lost.length === 0; i++) await tick();
    assert.equal(lost.length, 1);
    await assert.rejects(reader.read());
  });

  it("answers a conditional GET with 304 and no body", async () => {
    class Tagged extends Resource {
      override isLeaf = true;
      render_GET(request: TwRequest): string {
        if (request.setETag('"v1"') === CACHED) return "";
        return "fresh";
      }
    }
    const handler = siteAsFetchHandler(new Site(new Tagged(), { clock: new Clock() }));
    const fresh = await handler(new Request("http://h/"));
    assert.equal(fresh.headers.get("etag"), '"v1"');
    assert.equal(await fresh.text(), "fresh");
    const cached = await handler(
      new Request("http://h/", { headers: { "if-none-match": '"v1"' } }),
    );
    assert.equal(cached.status, 304);
    assert.equal(cached.body, null);
  });

  it("gzips through the site's encoder when the client accepts it", async () => {
    const root = new EncodingResourceWrapper(new Data("hello ".repeat(200), "text/plain"), [
      new GzipEncoderFactory(),
    ]);
    const handler = siteAsFetchHandler(new Site(root, { clock: new Clock() }));
    const res = await handler(new Request("http://h/", { headers: { "accept-encoding": "gzip" } }));
    assert.equal(res.headers.get("content-encoding"), "gzip");
    const plain = new Response(res.body!.pipeThrough(new DecompressionStream("gzip")));
    assert.equal(await plain.text(), "hello ".repeat(200));
  });

  it("gives a whole body for a promise-rendered response, with the status and reason", async () => {
    class Later extends Resource {
      override isLeaf = true;
      async render_GET(request: TwRequest): Promise<string> {
        await Promise.resolve();
        request.setResponseCode(202, "Taken");
        request.setHeader("x-later", "yes");
        return "later é";
      }
    }
    const site = new Site(new Later(), { clock: new Clock() });
    const res = await siteAsFetchHandler(site)(new Request("http://h/"));
    assert.equal(res.status, 202);
    assert.equal(res.statusText, "Taken");
    assert.equal(res.headers.get("x-later"), "yes");
    assert.equal(res.headers.get("content-type"), "text/html");
    assert.equal(await res.text(), "later é");
    assert.equal(site.channels.size, 0, "the bridged request's channel is closed");
  });

  it("returns a finished response without a promise, and reads headers only when asked", async () => {
    let seen: string | null = "unset";
    class Peek extends Resource {
      override isLeaf = true;
      render_GET(request: TwRequest): string {
        seen = request.getHeader("x-probe");
        return "ok";
      }
    }
    const handler = siteAsFetchHandler(new Site(new Peek(), { clock: new Clock() }));
    const res = handler(new Request("http://h/", { headers: { "x-probe": "1" } }));
    assert.ok(res instanceof Response, "no promise for a synchronous render");
    assert.equal(seen, "1");
    assert.equal(await res.text(), "ok");
  });

  it("answers 413 to a body larger than the site allows", async () => {
    const handler = siteAsFetchHandler(
      new Site(new Echo(), { clock: new Clock(), maxRequestBodySize: 4 }),
    );
    const res = await handler(new Request("http://h/", { method: "POST", body: "too long" }));
    assert.equal(res.status, 413);
    await res.body?.cancel();
  });

  it("answers 503 while the site is shutting down", async () => {
    const site = new Site(new Echo(), { clock: new Clock() });
    site.stopAccepting();
    const res = await siteAsFetchHandler(site)(new Request("http://h/"));
    assert.equal(res.status, 503);
    await res.body?.cancel();
  });

  it("runs under the runtime's native server", async () => {
    const site = new Site(new Echo(), { clock: new Clock() });
    const handler = siteAsFetchHandler(site);
    const g = globalThis as unknown as {
      Deno?: {
        serve(
          options: { port: number; hostname: string; onListen?: () => void },
          handler: unknown,
        ): { addr: { port: number }; shutdown(): Promise<void> };
      };
      Bun?: {
        serve(options: { port: number; hostname: string; fetch: unknown }): {
          port: number;
          stop(force?: boolean): Promise<void> | void;
        };
      };
    };
    let port: number;
    let close: () => Promise<void>;
    if (g.Deno !== undefined) {
      const server = g.Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
      port = server.addr.port;
      close = () => server.shutdown();
    } else if (g.Bun !== undefined) {
      const server = g.Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handler });
      port = server.port;
      close = async () => {
        await server.stop(true);
      };
    } else {
      // Node: a minimal node:http adapter, as a user would write one.
      const http = await import("node:http");
      const server = http.createServer(async (req, res) => {
        const chunks: Uint8Array[] = [];
        for await (const c of req) chunks.push(c as Uint8Array);
        const headers = new Headers();
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
          headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
        }
        const hasBody = req.method !== "GET" && req.method !== "HEAD";
        const response = await handler(
          new Request(`http://${req.headers.host}${req.url}`, {
            method: req.method,
            headers,
            body: hasBody ? Buffer.concat(chunks) : null,
          }),
          { remoteAddr: { hostname: req.socket.remoteAddress!, port: req.socket.remotePort! } },
        );
        const out: Record<string, string | string[]> = {};
        response.headers.forEach((v, k) => {
          if (k !== "set-cookie") out[k] = v;
        });
        out["set-cookie"] = response.headers.getSetCookie();
        res.writeHead(response.status, out);
        res.end(Buffer.from(await response.arrayBuffer()));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as { port: number }).port;
      close = () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        });
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/native?q=1`);
      assert.equal(res.status, 200);
      assert.equal(
        await res.text(),
        `GET /native?q=1 host=127.0.0.1 secure=false peer=127.0.0.1 q=1`,
      );
      assert.equal(res.headers.getSetCookie().length, 2);
    } finally {
      await close();
    }
  });
});
