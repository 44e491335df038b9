import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Clock } from "../../src/internet/task.ts";
import { ConnectionLost } from "../../src/internet/error.ts";
import type { Failure } from "../../src/internet/failure.ts";
import type { IPushProducer } from "../../src/internet/interfaces.ts";
import { flushLoggedErrors, trackLeaks } from "../../src/testing/mod.ts";
import {
  CACHED,
  NOT_DONE_YET,
  type Request,
  Resource,
  Site,
  type SiteOptions,
} from "../../src/web/mod.ts";
import { serve, td } from "./_helpers.ts";

trackLeaks({ beforeEach, afterEach });

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function site(resource: Resource, options: SiteOptions = {}): Site {
  return new Site(resource, { clock: new Clock(), ...options });
}

function leaf(render: (request: Request) => unknown, method = "GET"): Resource {
  const r = new Resource();
  r.isLeaf = true;
  (r as unknown as Record<string, unknown>)["render_" + method] = render;
  return r;
}

function get(s: Site, request: string): ReturnType<typeof serve> {
  const served = serve(s);
  served.send(request);
  return served;
}

describe("Request and Site", () => {
  it("sends a string as UTF-8 with its byte length", () => {
    const s = get(site(leaf(() => "héllo")), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const [r] = s.responses();
    assert.equal(r.text, "héllo");
    assert.equal(r.headers.get("content-length")?.[0], "6");
    assert.equal(r.headers.get("content-type")?.[0], "text/html");
    s.transport.loseConnection();
  });

  it("answers 405 with Allow computed from the render methods", () => {
    class Two extends Resource {
      override isLeaf = true;
      render_GET(): string {
        return "";
      }
      render_POST(): string {
        return "";
      }
    }
    const s = get(site(new Two()), "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n");
    const [r] = s.responses();
    assert.equal(r.code, 405);
    assert.equal(r.headers.get("allow")?.[0], "GET, HEAD, OPTIONS, POST");
    s.transport.loseConnection();
  });

  it("answers HEAD from render_GET with the body's length and no body", () => {
    const s = get(site(leaf(() => "twelve bytes")), "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.match(s.text(), /Content-Length: 12\r\n\r\n$/);
    s.transport.loseConnection();
  });

  it("answers OPTIONS with 204 and Allow when the resource has no render_OPTIONS", () => {
    const s = get(site(leaf(() => "x")), "OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n");
    const [r] = s.responses();
    assert.equal(r.code, 204);
    assert.equal(r.headers.get("allow")?.[0], "GET, HEAD, OPTIONS");
    assert.equal(r.headers.has("content-length"), false);
    s.transport.loseConnection();
  });

  it("finishes a request from an async render method", async () => {
    const s = get(
      site(leaf(async () => {
        await tick();
        return "later";
      })),
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert.equal(s.text(), "");
    await tick();
    await tick();
    assert.equal(s.responses()[0].text, "later");
    s.transport.loseConnection();
  });

  it("answers 500 when an async render method rejects, without details", async () => {
    const s = get(
      site(leaf(() => Promise.reject(new Error("secret detail")))),
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    await tick();
    const [r] = s.responses();
    assert.equal(r.code, 500);
    assert.doesNotMatch(r.text, /secret detail/);
    assert.equal(flushLoggedErrors(Error).length, 1);
    s.transport.loseConnection();
  });

  it("shows the traceback on a 500 page when displayTracebacks is on", () => {
    const s = get(
      site(
        leaf(() => {
          throw new Error("<boom>");
        }),
        { displayTracebacks: true },
      ),
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    const [r] = s.responses();
    assert.equal(r.code, 500);
    assert.match(r.text, /&#60;boom&#62;/);
    assert.equal(flushLoggedErrors(Error).length, 1);
    s.transport.loseConnection();
  });

  it("aborts the connection when rendering fails after the head was sent", () => {
    const s = get(
      site(leaf((request) => {
        request.write("partial");
        throw new Error("late");
      })),
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert.equal(s.transport.aborted, true);
    assert.equal(flushLoggedErrors(Error).length, 1);
  });

  it("answers 500 to a render method returning something other than a body", () => {
    const s = get(site(leaf(() => 42)), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal(s.responses()[0].code, 500);
    assert.equal(flushLoggedErrors(TypeError).length, 1);
    s.transport.loseConnection();
  });

  it("collects args from the query string and an url-encoded body", () => {
    let args: Record<string, string[]> = {};
    const body = "b=2&a=3&c=%C3%A9+x";
    const s = get(
      site(leaf((request) => {
        args = request.args;
        return "";
      }, "POST")),
      `POST /?a=1&e= HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    assert.deepEqual(args, { a: ["1", "3"], e: [""], b: ["2"], c: ["é x"] });
    s.transport.loseConnection();
  });

  it("collects args and files from a multipart/form-data body", () => {
    let request: Request | null = null;
    const body = [
      "--XyZ",
      'Content-Disposition: form-data; name="field"',
      "",
      "value",
      "--XyZ",
      'Content-Disposition: form-data; name="upload"; filename="a.txt"',
      "Content-Type: text/plain",
      "",
      "file\r\nbody",
      "--XyZ--",
      "",
    ].join("\r\n");
    const s = get(
      site(leaf((r) => {
        request = r;
        return "";
      }, "POST")),
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    const r = request as unknown as Request;
    assert.deepEqual(r.args, { field: ["value"], upload: ["file\r\nbody"] });
    assert.equal(r.files[1].filename, "a.txt");
    assert.equal(r.files[1].contentType, "text/plain");
    s.transport.loseConnection();
  });

  it("answers 400 to a malformed multipart body without rendering", () => {
    let rendered = false;
    const body = "--XyZ\r\nno headers end";
    const s = get(
      site(leaf(() => {
        rendered = true;
        return "";
      }, "POST")),
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    assert.equal(s.responses()[0].code, 400);
    assert.equal(rendered, false);
    assert.equal(s.transport.disconnecting, true);
  });

  it("exposes the body as bytes and as a ReadableStream", async () => {
    let request: Request | null = null;
    const s = get(
      site(leaf((r) => {
        request = r;
        return "";
      }, "POST")),
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n",
    );
    const r = request as unknown as Request;
    assert.equal(td.decode(r.content), "abc");
    assert.equal(r.contentLength, null);
    const chunks: string[] = [];
    for await (const chunk of r.contentStream()) chunks.push(td.decode(chunk));
    assert.deepEqual(chunks, ["abc"]);
    s.transport.loseConnection();
  });

  it("reads cookies and writes Set-Cookie with attributes", () => {
    const s = get(
      site(leaf((request) => {
        request.addCookie("out", "v1", {
          path: "/",
          maxAge: 60,
          secure: true,
          httpOnly: true,
          sameSite: "strict",
          expires: new Date(0),
          domain: "example.com",
        });
        return request.getCookie("b") ?? "none";
      })),
      'GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1; b="two"\r\n\r\n',
    );
    const [r] = s.responses();
    assert.equal(r.text, "two");
    assert.equal(
      r.headers.get("set-cookie")?.[0],
      "out=v1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Strict",
    );
    s.transport.loseConnection();
  });

  it("keeps a session between requests and expires it after sessionTimeout", () => {
    const clock = new Clock();
    const uids: string[] = [];
    const theSite = new Site(
      leaf((request) => {
        const session = request.getSession();
        uids.push(session.uid);
        return session.uid;
      }),
      { clock, sessionTimeout: 100 },
    );
    const s1 = get(theSite, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const cookie = s1.responses()[0].headers.get("set-cookie")![0];
    assert.match(cookie, /^TWISTED_SESSION=[0-9a-f]{32}; Path=\/; HttpOnly; SameSite=Lax$/);
    const pair = cookie.split(";")[0];
    clock.advance(50);
    const s2 = get(theSite, `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${pair}\r\n\r\n`);
    assert.equal(s2.responses()[0].headers.has("set-cookie"), false);
    assert.equal(uids[0], uids[1]);
    let expired = false;
    theSite.getSession(uids[0])!.notifyOnExpire(() => (expired = true));
    clock.advance(99);
    assert.equal(expired, false);
    clock.advance(2);
    assert.equal(expired, true);
    assert.equal(theSite.sessions.size, 0);
    s1.transport.loseConnection();
    s2.transport.loseConnection();
  });

  it("fires notifyFinish on finish, and fails it with ConnectionLost when the client leaves", () => {
    const pending: Request[] = [];
    const theSite = site(leaf((r) => {
      pending.push(r);
      return NOT_DONE_YET;
    }));
    const s1 = get(theSite, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const s2 = get(theSite, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const results: unknown[] = [];
    pending[0].notifyFinish().addCallback((v) => results.push(v));
    pending[1].notifyFinish().addErrback((f: Failure) => results.push(f.check(ConnectionLost)));
    pending[0].finish();
    s2.transport.loseConnection();
    assert.deepEqual(results, [null, ConnectionLost]);
    assert.throws(() => pending[1].finish(), /connection was lost/);
    s1.transport.loseConnection();
  });

  it("answers 304 through setETag and setLastModified", () => {
    const r1 = get(
      site(leaf((request) => request.setETag('"v1"') === CACHED ? "" : "body")),
      'GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: "v0", W/"v1"\r\n\r\n',
    );
    assert.equal(r1.responses()[0].code, 304);
    assert.equal(r1.responses()[0].headers.get("etag")?.[0], '"v1"');
    assert.doesNotMatch(r1.text(), /Content-Length|chunked/);
    r1.transport.loseConnection();
    const render = (request: Request): string =>
      request.setLastModified(1000) === CACHED ? "" : "body";
    const r2 = get(
      site(leaf(render)),
      "GET / HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:16:40 GMT\r\n\r\n",
    );
    assert.equal(r2.responses()[0].code, 304);
    r2.transport.loseConnection();
    const r3 = get(
      site(leaf(render)),
      "GET / HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:16:39 GMT\r\n\r\n",
    );
    assert.equal(r3.responses()[0].code, 200);
    assert.equal(
      r3.responses()[0].headers.get("last-modified")?.[0],
      "Thu, 01 Jan 1970 00:16:40 GMT",
    );
    r3.transport.loseConnection();
  });

  it("forwards a producer to the transport and unregisters it on finish", () => {
    let request: Request | null = null;
    const s = get(
      site(leaf((r) => {
        request = r;
        return NOT_DONE_YET;
      })),
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    const producer: IPushProducer = {
      pauseProducing() {},
      resumeProducing() {},
      stopProducing() {},
    };
    const r = request as unknown as Request;
    r.registerProducer(producer, true);
    assert.equal(s.transport.producer, producer);
    assert.equal(s.transport.streaming, true);
    r.write("data");
    r.finish();
    assert.equal(s.transport.producer, null);
    s.transport.loseConnection();
  });

  it("redirects, sanitizes header values and reports the client address", () => {
    let client = "";
    const s = get(
      site(leaf((request) => {
        request.redirect("/elsewhere");
        request.setHeader("x-evil", "a\r\nInjected: yes");
        client = String((request.getClientAddress() as { host: string }).host);
        return "";
      })),
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    const [r] = s.responses();
    assert.equal(r.code, 302);
    assert.equal(r.headers.get("location")?.[0], "/elsewhere");
    assert.equal(r.headers.has("injected"), false);
    assert.equal(client, "192.168.1.1");
    s.transport.loseConnection();
  });

  it("refuses write after finish", () => {
    let error: unknown = null;
    const s = get(
      site(leaf((request) => {
        request.finish();
        try {
          request.write("x");
        } catch (e) {
          error = e;
        }
        return NOT_DONE_YET;
      })),
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert.match(String(error), /after Request.finish/);
    assert.equal(s.responses()[0].headers.get("content-length")?.[0], "0");
    s.transport.loseConnection();
  });
});
