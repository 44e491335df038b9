// The response head is written from cached byte lines when it can be (status,
// Date and Server lines, header prefixes) and as a string otherwise: both must
// give the same bytes a plain reading of the response would expect.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Clock } from "../../src/internet/task.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { NOT_DONE_YET, type Request, Resource, Site } from "../../src/web/mod.ts";
import { serve, td } from "./_helpers.ts";

trackLeaks({ beforeEach, afterEach });

class Leaf extends Resource {
  override isLeaf = true;
  readonly fn: (request: Request) => string | typeof NOT_DONE_YET;
  constructor(fn: (request: Request) => string | typeof NOT_DONE_YET) {
    super();
    this.fn = fn;
  }
  render_GET(request: Request): string | typeof NOT_DONE_YET {
    return this.fn(request);
  }
}

/** The raw text of the response to one GET. */
function rawResponse(
  fn: (request: Request) => string,
  options: { clock?: Clock; request?: string; serverName?: string } = {},
): string {
  const clock = options.clock ?? new Clock();
  const site = new Site(new Leaf(fn), { clock });
  const s = serve(site, clock);
  if (options.serverName !== undefined) s.channel.serverName = options.serverName;
  s.send(options.request ?? "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const text = td.decode(s.transport.value());
  s.transport.loseConnection();
  return text;
}

describe("Response heads", () => {
  it("writes the usual head in the usual order", () => {
    const text = rawResponse((request) => {
      request.setHeader("content-type", "text/plain");
      return "hi";
    });
    assert.equal(
      text,
      "HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: tw\r\n" +
        "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi",
    );
  });

  it("follows the clock's second in the Date line", () => {
    const clock = new Clock();
    const site = new Site(new Leaf(() => "x"), { clock });
    const s = serve(site, clock);
    s.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    clock.advance(0.5);
    s.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    clock.advance(59);
    s.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.deepEqual(s.responses().map((r) => r.headers.get("date")), [
      ["Thu, 01 Jan 1970 00:00:00 GMT"],
      ["Thu, 01 Jan 1970 00:00:00 GMT"],
      ["Thu, 01 Jan 1970 00:00:59 GMT"],
    ]);
    s.transport.loseConnection();
  });

  it("keeps a custom reason phrase, another status and the resource's own Date", () => {
    const text = rawResponse((request) => {
      request.setResponseCode(299, "Fine Anyway");
      request.setHeader("date", "Sat, 01 Jan 2000 00:00:00 GMT");
      return "";
    });
    assert.ok(text.startsWith("HTTP/1.1 299 Fine Anyway\r\n"), text);
    assert.equal(text.match(/^Date: .*$/gim)?.join("|"), "Date: Sat, 01 Jan 2000 00:00:00 GMT");
    const teapot = rawResponse((request) => {
      request.setResponseCode(418);
      return "";
    });
    assert.ok(teapot.startsWith("HTTP/1.1 418 I'm a teapot\r\nDate: "), teapot);
  });

  it("answers HTTP/1.0 with an HTTP/1.0 status line", () => {
    const text = rawResponse(() => "old", { request: "GET / HTTP/1.0\r\n\r\n" });
    assert.ok(text.startsWith("HTTP/1.0 200 OK\r\nDate: "), text);
    assert.ok(text.endsWith("Content-Length: 3\r\nConnection: close\r\n\r\nold"), text);
  });

  it("leaves the Server line out, or writes the name given", () => {
    assert.doesNotMatch(rawResponse(() => "x", { serverName: "" }), /^Server:/im);
    assert.match(rawResponse(() => "x", { serverName: "edge/2" }), /\r\nServer: edge\/2\r\n/);
    // Above ASCII: the head goes out as UTF-8 (the text is decoded as UTF-8 here).
    const text = rawResponse(() => "x", { serverName: "sérveur" });
    assert.match(text, /\r\nServer: sérveur\r\nContent-Type: text\/html\r\n/);
  });

  it("sends header values above ASCII as UTF-8, with the body intact", () => {
    const text = rawResponse((request) => {
      request.setHeader("x-name", "café");
      return "body";
    });
    assert.match(text, /\r\nX-Name: café\r\nContent-Length: 4\r\n/);
    assert.ok(text.endsWith("\r\n\r\nbody"), text);
  });

  it("writes repeated and changing values and bodies alike", () => {
    // Lines and bodies seen twice in a row are copied from cached bytes:
    // the bytes must not differ from the first, converted ones.
    const clock = new Clock();
    const types = ["text/plain", "text/plain", "text/plain", "text/csv", "text/plain"];
    const bodies = ["one", "one", "one", "two", "one"];
    let i = 0;
    const site = new Site(
      new Leaf((request) => {
        request.setHeader("content-type", types[i]);
        return bodies[i++];
      }),
      { clock },
    );
    const s = serve(site, clock);
    for (let k = 0; k < types.length; k++) s.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const responses = td.decode(s.transport.value()).split("HTTP/1.1 200 OK\r\n").slice(1);
    assert.deepEqual(
      responses,
      types.map((type, k) =>
        `Date: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: tw\r\nContent-Type: ${type}\r\n` +
        `Content-Length: 3\r\n\r\n${bodies[k]}`
      ),
    );
    s.transport.loseConnection();
  });

  it("sends a header name above ASCII as UTF-8 too", () => {
    for (let k = 0; k < 2; k++) {
      const text = rawResponse((request) => {
        request.responseHeaders.setRawHeaders("x-été", ["1"]);
        return "body";
      });
      assert.match(text, /\r\nX-été: 1\r\nContent-Length: 4\r\n/);
    }
  });

  it("frames a small first write of a chunked response in the head's write", () => {
    const clock = new Clock();
    const site = new Site(
      new Leaf((request) => {
        request.write("abc");
        request.write("defgh");
        request.finish();
        return NOT_DONE_YET;
      }),
      { clock },
    );
    const s = serve(site, clock);
    s.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = td.decode(s.transport.value());
    assert.ok(
      text.endsWith(
        "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n",
      ),
      text,
    );
    s.transport.loseConnection();
  });
});
