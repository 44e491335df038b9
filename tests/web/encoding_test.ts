import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Clock } from "../../src/internet/task.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import {
  EncodingResourceWrapper,
  GzipEncoderFactory,
  NOT_DONE_YET,
  type Request,
  Resource,
  Site,
} from "../../src/web/mod.ts";
import { serve, td } from "./_helpers.ts";

trackLeaks({ beforeEach, afterEach });

async function gunzip(data: Uint8Array): Promise<string> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return td.decode(new Uint8Array(await new Response(stream).arrayBuffer()));
}

/** Waits (bounded) until `check` holds; a throwing check counts as not yet. */
async function until(check: () => boolean): Promise<void> {
  const holds = (): boolean => {
    try {
      return check();
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 500 && !holds(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(holds(), "condition not reached");
}

class Big extends Resource {
  override isLeaf = true;
  render_GET(): string {
    return "hello ".repeat(1000);
  }
  render_POST(request: Request): typeof NOT_DONE_YET {
    request.write("part1 ");
    request.write("part2");
    request.finish();
    return NOT_DONE_YET;
  }
}

describe("EncodingResourceWrapper with GzipEncoderFactory", () => {
  it("gzips the body for a client that accepts gzip, chunked and without Content-Length", async () => {
    const site = new Site(new EncodingResourceWrapper(new Big(), [new GzipEncoderFactory()]), {
      clock: new Clock(),
    });
    const s = serve(site);
    s.send("GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: deflate, gzip;q=0.5\r\n\r\n");
    await until(() => s.text().endsWith("\r\n0\r\n\r\n"));
    const [r] = s.responses();
    assert.equal(r.headers.get("content-encoding")?.[0], "gzip");
    assert.equal(r.headers.get("vary")?.[0], "Accept-Encoding");
    assert.equal(r.headers.has("content-length"), false);
    assert.ok(r.body.length < 200);
    assert.equal(await gunzip(r.body), "hello ".repeat(1000));
    s.send("POST / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nContent-Length: 0\r\n\r\n");
    await until(() => s.text().endsWith("\r\n0\r\n\r\n") && s.responses().length === 2);
    assert.equal(await gunzip(s.responses()[1].body), "part1 part2");
    s.transport.loseConnection();
  });

  it("makes a strong ETag weak on a gzipped response, and 304s on it", async () => {
    class Tagged extends Resource {
      override isLeaf = true;
      render_GET(request: Request): string {
        if (request.setETag('"v1"') !== null) return "";
        return "tagged ".repeat(100);
      }
    }
    const site = new Site(new EncodingResourceWrapper(new Tagged(), [new GzipEncoderFactory()]), {
      clock: new Clock(),
    });
    const s = serve(site);
    s.send("GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
    await until(() => s.text().endsWith("\r\n0\r\n\r\n"));
    assert.equal(s.responses()[0].headers.get("etag")?.[0], 'W/"v1"');
    s.send('GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nIf-None-Match: W/"v1"\r\n\r\n');
    await until(() => s.responses().length === 2);
    assert.equal(s.responses()[1].code, 304);
    s.transport.loseConnection();
  });

  it("leaves the body alone when gzip is not accepted", () => {
    const site = new Site(new EncodingResourceWrapper(new Big(), [new GzipEncoderFactory()]), {
      clock: new Clock(),
    });
    const s = serve(site);
    s.send(
      "GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    const rs = s.responses();
    assert.equal(rs.length, 2);
    for (const r of rs) {
      assert.equal(r.headers.has("content-encoding"), false);
      assert.equal(r.text.length, 6000);
    }
    s.transport.loseConnection();
  });
});
