import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Clock } from "../../src/internet/task.ts";
import { NOT_DONE_YET, type Request, Resource, Site } from "../../src/web/mod.ts";
import { parseResponses, serve, te } from "./_helpers.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

class Mixed extends Resource {
  override isLeaf = true;
  render_GET(request: Request): string {
    return "get:" + request.uri;
  }
  render_POST(request: Request): Uint8Array {
    return request.content;
  }
  async render_PUT(): Promise<string> {
    await Promise.resolve();
    return "put";
  }
  render_DELETE(request: Request): typeof NOT_DONE_YET {
    request.write("streamed");
    request.finish();
    return NOT_DONE_YET;
  }
}

// Pieces of plausible and hostile HTTP, so random streams hit the parser's edges.
const token = fc.constantFrom(
  "GET / HTTP/1.1\r\n",
  "POST /p?a=1 HTTP/1.1\r\n",
  "PUT /x HTTP/1.1\r\n",
  "DELETE / HTTP/1.0\r\n",
  "GET /h HTTP/1.0\r\n",
  "OPTIONS * HTTP/1.1\r\n",
  "Host: h\r\n",
  "Content-Length: 3\r\n",
  "Content-Length: 0\r\n",
  "Content-Length: -1\r\n",
  "Transfer-Encoding: chunked\r\n",
  "Expect: 100-continue\r\n",
  "Connection: close\r\n",
  "Connection: keep-alive\r\n",
  "Content-Type: multipart/form-data; boundary=b\r\n",
  "Content-Type: application/x-www-form-urlencoded\r\n",
  " folded\r\n",
  "\r\n",
  "\r",
  "\n",
  "abc",
  "3\r\nabc\r\n",
  "0\r\n\r\n",
  "ffffffffffffffffff\r\n",
  "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b--\r\n",
  "\x00",
  "%zz",
);

const streamArb = fc.tuple(
  fc.array(fc.oneof(token, fc.string({ maxLength: 20 })), { maxLength: 30 }),
  fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 }),
);

async function flushAsync(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
}

describe("HTTPChannel with arbitrary input", () => {
  it("answers well-formed responses or closes cleanly, never throwing or hanging", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, async ([pieces, cuts]) => {
        const clock = new Clock();
        const site = new Site(new Mixed(), {
          clock,
          maxHeaderSize: 512,
          maxRequestBodySize: 1024,
        });
        const s = serve(site, clock);
        const bytes = te.encode(pieces.join(""));
        let at = 0;
        let i = 0;
        while (at < bytes.length && !s.transport.disconnecting) {
          const n = cuts[i++ % cuts.length];
          s.send(bytes.subarray(at, at + n));
          at += n;
          await flushAsync();
        }
        // Whatever is left pending, time must close it: idle and request timeouts.
        clock.advance(400);
        await flushAsync();
        clock.advance(400);
        assert.equal(s.transport.disconnecting, true);
        assert.equal(clock.getDelayedCalls().length, 0);
        // Everything written parses as complete responses (HEAD is left out of
        // the tokens: its responses cannot be delimited without the requests).
        const out = s.transport.value();
        const responses = parseResponses(out);
        for (const r of responses) assert.ok(r.code >= 100 && r.code < 600);
        assert.ok(out.length < 64 * 1024 + bytes.length * 64);
      }),
      { numRuns: 300 },
    );
  });
});
