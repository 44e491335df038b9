import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reactor } from "../../mod.ts";
import { Clock } from "../../src/internet/task.ts";
import type { FileHandle, RuntimeFileSystem } from "../../src/internet/socket.ts";
import {
  flushLoggedErrors,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { IPv4Address } from "../../src/internet/address.ts";
import type { IPushProducer } from "../../src/internet/interfaces.ts";
import {
  Data,
  File,
  type FileOptions,
  type HTTPChannel,
  Request,
  Resource,
  Site,
} from "../../src/web/mod.ts";
import { CHUNK_SIZE } from "../../src/web/static.ts";
import { type ParsedResponse, parseResponses, td, te } from "./_helpers.ts";

trackLeaks({ beforeEach, afterEach });

let dir = "";
let root = "";
// Several chunks long, and not a whole number of them.
const big = new Uint8Array(Math.floor(4.5 * CHUNK_SIZE)).map((_, i) => (i * 7 + 3) & 0xff);
const MTIME = new Date("2024-03-01T12:00:00Z");

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tw-static-"));
  root = join(dir, "root");
  mkdirSync(root);
  writeFileSync(join(root, "hello.txt"), "Hello, world!\n");
  writeFileSync(join(root, "data.bin"), big);
  writeFileSync(join(root, "page.html"), "<p>page</p>");
  writeFileSync(join(root, "about.html"), "<p>about</p>");
  writeFileSync(join(root, "archive.tar.gz"), "not really gzip");
  writeFileSync(join(root, "noext"), "???");
  writeFileSync(join(root, "empty.txt"), "");
  writeFileSync(join(root, "<b>&x.txt"), "tricky");
  writeFileSync(join(root, "a b.txt"), "spaced");
  mkdirSync(join(root, "sub"));
  writeFileSync(join(root, "sub", "index.html"), "<p>sub index</p>");
  mkdirSync(join(root, "zdir"));
  writeFileSync(join(root, "zdir", "z.txt"), "z");
  mkdirSync(join(root, "adir"));
  writeFileSync(join(dir, "secret.txt"), "TOP SECRET");
  mkdirSync(join(dir, "outside"));
  writeFileSync(join(dir, "outside", "o.txt"), "outside dir");
  symlinkSync(join(dir, "secret.txt"), join(root, "escape.txt"));
  symlinkSync(join(dir, "outside"), join(root, "escapedir"));
  symlinkSync(join(root, "hello.txt"), join(root, "inside-link.txt"));
  utimesSync(join(root, "hello.txt"), MTIME, MTIME);
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The runtime's file system, counting what the producer does with it. */
class CountingFS implements RuntimeFileSystem {
  opened = 0;
  closed = 0;
  reads: number[] = [];
  wholeReads = 0;
  #fs = reactor.runtime;
  readFile(path: string): Promise<Uint8Array> {
    this.wholeReads++;
    return this.#fs.readFile(path);
  }
  writeFile(path: string, data: Uint8Array | string): Promise<void> {
    return this.#fs.writeFile(path, data);
  }
  readDir(path: string): Promise<string[]> {
    return this.#fs.readDir(path);
  }
  stat(path: string): ReturnType<RuntimeFileSystem["stat"]> {
    return this.#fs.stat(path);
  }
  lstat(path: string): ReturnType<RuntimeFileSystem["lstat"]> {
    return this.#fs.lstat(path);
  }
  realPath(path: string): Promise<string> {
    return this.#fs.realPath(path);
  }
  remove(path: string): Promise<void> {
    return this.#fs.remove(path);
  }
  chmod(path: string, mode: number): Promise<void> {
    return this.#fs.chmod(path, mode);
  }
  rename(oldPath: string, newPath: string): Promise<void> {
    return this.#fs.rename(oldPath, newPath);
  }
  mkdir(path: string, options?: { mode?: number; recursive?: boolean }): Promise<void> {
    return this.#fs.mkdir(path, options);
  }
  async openFile(path: string): Promise<FileHandle> {
    const handle = await this.#fs.openFile(path);
    this.opened++;
    return {
      read: (buffer: Uint8Array, position: number): Promise<number> => {
        this.reads.push(buffer.length);
        return handle.read(buffer, position);
      },
      close: (): Promise<void> => {
        this.closed++;
        return handle.close();
      },
    };
  }
}

interface Exchange {
  response: ParsedResponse;
  transport: StringTransportWithDisconnection;
  fs: CountingFS;
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

/** Connects a site to `transport` and records the requests it makes. */
function connect(
  resource: Resource,
  transport: StringTransportWithDisconnection,
): { channel: HTTPChannel; requests: Request[] } {
  const requests: Request[] = [];
  class Recorded extends Request {
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

/** Sends one request for `path` to a `File` on the fixture root and waits for the answer. */
async function request(
  path: string,
  headers: Record<string, string> = {},
  options: FileOptions = {},
  method = "GET",
): Promise<Exchange> {
  const fs = new CountingFS();
  const top = new Resource();
  top.putChild("files", new File(root, { runtime: fs, ...options }));
  const transport = new StringTransportWithDisconnection();
  const { requests } = connect(top, transport);
  let head = `${method} ${path} HTTP/1.1\r\nHost: example.com\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  (transport.protocol as HTTPChannel).dataReceived(te.encode(head + "\r\n"));
  await requests[0].notifyFinish();
  const [response] = parseResponses(transport.value(), method === "HEAD");
  transport.loseConnection();
  assert.equal(fs.opened, fs.closed, "every opened file is closed");
  return { response, transport, fs };
}

function header(r: ParsedResponse, name: string): string | undefined {
  return r.headers.get(name)?.[0];
}

describe("File serves files", () => {
  it("sends a file with its type, length, validators and exact bytes", async () => {
    const { response: r } = await request("/files/hello.txt");
    assert.equal(r.code, 200);
    assert.equal(r.text, "Hello, world!\n");
    assert.equal(header(r, "content-type"), "text/plain; charset=utf-8");
    assert.equal(header(r, "content-length"), "14");
    assert.equal(header(r, "accept-ranges"), "bytes");
    assert.equal(header(r, "last-modified"), "Fri, 01 Mar 2024 12:00:00 GMT");
    assert.match(header(r, "etag") ?? "", /^"e-[0-9a-f]+"$/);
  });

  it("sends a binary file larger than one chunk intact, in chunks of at most CHUNK_SIZE", async () => {
    const { response: r, fs } = await request("/files/data.bin");
    assert.equal(r.code, 200);
    assert.equal(header(r, "content-length"), String(big.length));
    assert.deepEqual(r.body, big);
    assert.equal(fs.wholeReads, 0);
    assert.ok(fs.reads.length >= Math.ceil(big.length / CHUNK_SIZE));
    assert.ok(fs.reads.every((n) => n <= CHUNK_SIZE));
  });

  it("sends an empty file with Content-Length 0", async () => {
    const { response: r } = await request("/files/empty.txt");
    assert.equal(r.code, 200);
    assert.equal(header(r, "content-length"), "0");
    assert.equal(r.body.length, 0);
  });

  it("picks types by extension, with overrides and Twisted's content encodings", async () => {
    const html = await request("/files/page.html");
    assert.equal(header(html.response, "content-type"), "text/html; charset=utf-8");
    const gz = await request("/files/archive.tar.gz");
    assert.equal(header(gz.response, "content-type"), "application/x-tar");
    assert.equal(header(gz.response, "content-encoding"), "gzip");
    const unknown = await request("/files/noext");
    assert.equal(header(unknown.response, "content-type"), "application/octet-stream");
    const custom = await request("/files/noext", {}, { defaultType: "text/x-custom" });
    assert.equal(header(custom.response, "content-type"), "text/x-custom");
    const over = await request("/files/hello.txt", {}, {
      contentTypes: { ".txt": "text/x-over" },
    });
    assert.equal(header(over.response, "content-type"), "text/x-over");
  });

  it("answers HEAD with the GET headers and no body, without reading the file", async () => {
    const { response: r, transport, fs } = await request("/files/data.bin", {}, {}, "HEAD");
    assert.equal(r.code, 200);
    assert.equal(header(r, "content-length"), String(big.length));
    assert.match(transport.valueText(), /\r\n\r\n$/);
    assert.equal(fs.reads.length, 0);
  });

  it("answers other methods with 405 and Allow", async () => {
    const { response: r } = await request("/files/hello.txt", {}, {}, "POST");
    assert.equal(r.code, 405);
    assert.equal(header(r, "allow"), "GET, HEAD, OPTIONS");
  });

  it("answers 404 for a missing file and for a path below a file", async () => {
    assert.equal((await request("/files/nope.txt")).response.code, 404);
    assert.equal((await request("/files/hello.txt/more")).response.code, 404);
    assert.equal((await request("/files/hello.txt/")).response.code, 404);
  });

  it("tries the ignored extensions for a missing name", async () => {
    const { response: r } = await request("/files/about", {}, { ignoredExts: ["html"] });
    assert.equal(r.code, 200);
    assert.equal(r.text, "<p>about</p>");
    const star = await request("/files/about", {}, { ignoredExts: ["*"] });
    assert.equal(star.response.text, "<p>about</p>");
    assert.equal((await request("/files/about")).response.code, 404);
  });

  it("serves a name that needs percent-encoding", async () => {
    const { response: r } = await request("/files/a%20b.txt");
    assert.equal(r.text, "spaced");
  });
});

describe("File serves directories", () => {
  it("redirects a directory without a trailing slash, keeping the query", async () => {
    const { response: r } = await request("/files/sub?x=1");
    assert.equal(r.code, 302);
    assert.equal(header(r, "location"), "/files/sub/?x=1");
  });

  it("serves the index file of a directory", async () => {
    const { response: r } = await request("/files/sub/");
    assert.equal(r.code, 200);
    assert.equal(r.text, "<p>sub index</p>");
    assert.equal(header(r, "content-type"), "text/html; charset=utf-8");
  });

  it("lists a directory: directories first, sorted, names escaped, links encoded", async () => {
    const { response: r } = await request("/files/");
    assert.equal(r.code, 200);
    assert.equal(header(r, "content-type"), "text/html; charset=utf-8");
    const text = r.text;
    assert.match(text, /Directory listing for \/files\//);
    const order = ["adir/", "sub/", "zdir/", "&#60;b&#62;&#38;x.txt", "a b.txt", "hello.txt"]
      .map((n) => text.indexOf(`>${n}</a>`));
    assert.ok(order.every((i) => i > 0), `all entries listed: ${order}`);
    assert.deepEqual([...order].sort((a, b) => a - b), order);
    assert.ok(text.includes('href="%3Cb%3E%26x.txt"'));
    assert.ok(text.includes('href="a%20b.txt"'));
    assert.ok(!text.includes("<b>&x"));
    assert.match(text, /\[text\/plain\]/);
    assert.match(text, /\[Directory\]/);
  });

  it("answers 403 for a directory without index when listing is disabled", async () => {
    const { response: r } = await request("/files/adir/", {}, { allowListing: false });
    assert.equal(r.code, 403);
    const index = await request("/files/sub/", {}, { allowListing: false });
    assert.equal(index.response.code, 200);
  });

  it("uses the configured index names", async () => {
    const { response: r } = await request("/files/", {}, { indexNames: ["hello.txt"] });
    assert.equal(r.text, "Hello, world!\n");
  });
});

describe("File refuses paths that escape the root", () => {
  for (
    const path of [
      "/files/../secret.txt",
      "/files/sub/../../secret.txt",
      "/files/..%2Fsecret.txt",
      "/files/%2E%2E/secret.txt",
      "/files/sub%2F..%2F..%2Fsecret.txt",
      "/files/..%5Csecret.txt",
      "/files/hello.txt%00.png",
      "/files/./hello.txt",
    ]
  ) {
    it(`answers 404 to ${path}`, async () => {
      const { response: r, fs } = await request(path);
      assert.equal(r.code, 404);
      assert.ok(!r.text.includes("SECRET"));
      assert.equal(fs.opened, 0);
    });
  }

  it("answers 404 to a symbolic link pointing outside the root", async () => {
    const { response: r, fs } = await request("/files/escape.txt");
    assert.equal(r.code, 404);
    assert.equal(fs.opened, 0);
    const d = await request("/files/escapedir/o.txt");
    assert.equal(d.response.code, 404);
    const listing = await request("/files/escapedir/");
    assert.equal(listing.response.code, 404);
  });

  it("follows a symbolic link that stays inside the root", async () => {
    const { response: r } = await request("/files/inside-link.txt");
    assert.equal(r.code, 200);
    assert.equal(r.text, "Hello, world!\n");
  });
});

describe("File answers conditional requests", () => {
  it("answers 304 when If-None-Match has the ETag", async () => {
    const first = await request("/files/hello.txt");
    const etag = header(first.response, "etag")!;
    const { response: r, fs } = await request("/files/hello.txt", {
      "If-None-Match": `"other", ${etag}`,
    });
    assert.equal(r.code, 304);
    assert.equal(r.body.length, 0);
    assert.equal(header(r, "etag"), etag);
    assert.equal(fs.reads.length, 0);
  });

  it("answers 304 when If-Modified-Since is not older than the file", async () => {
    const { response: r } = await request("/files/hello.txt", {
      "If-Modified-Since": "Fri, 01 Mar 2024 12:00:00 GMT",
    });
    assert.equal(r.code, 304);
    const older = await request("/files/hello.txt", {
      "If-Modified-Since": "Thu, 29 Feb 2024 12:00:00 GMT",
    });
    assert.equal(older.response.code, 200);
  });

  it("ignores If-Modified-Since when If-None-Match does not match", async () => {
    const { response: r } = await request("/files/hello.txt", {
      "If-None-Match": '"stale"',
      "If-Modified-Since": "Fri, 01 Mar 2024 12:00:00 GMT",
    });
    assert.equal(r.code, 200);
  });

  it("answers 412 when If-Match or If-Unmodified-Since fails", async () => {
    const m = await request("/files/hello.txt", { "If-Match": '"nope"' });
    assert.equal(m.response.code, 412);
    const u = await request("/files/hello.txt", {
      "If-Unmodified-Since": "Thu, 29 Feb 2024 12:00:00 GMT",
    });
    assert.equal(u.response.code, 412);
    const ok = await request("/files/hello.txt", { "If-Match": "*" });
    assert.equal(ok.response.code, 200);
  });
});

describe("File answers Range requests", () => {
  it("sends one range with 206 and Content-Range", async () => {
    const { response: r } = await request("/files/data.bin", { Range: "bytes=100-70099" });
    assert.equal(r.code, 206);
    assert.equal(header(r, "content-range"), `bytes 100-70099/${big.length}`);
    assert.equal(header(r, "content-length"), "70000");
    assert.deepEqual(r.body, big.subarray(100, 70100));
  });

  it("sends suffix and open-ended ranges", async () => {
    const suffix = await request("/files/hello.txt", { Range: "bytes=-6" });
    assert.equal(suffix.response.text, "world!\n".slice(1));
    assert.equal(header(suffix.response, "content-range"), "bytes 8-13/14");
    const open = await request("/files/hello.txt", { Range: "bytes=7-" });
    assert.equal(open.response.text, "world!\n");
  });

  it("sends several ranges as multipart/byteranges", async () => {
    const { response: r } = await request("/files/hello.txt", { Range: "bytes=0-4,7-11" });
    assert.equal(r.code, 206);
    const type = header(r, "content-type")!;
    const m = /^multipart\/byteranges; boundary=(\S+)$/.exec(type);
    assert.ok(m, type);
    assert.equal(Number(header(r, "content-length")), r.body.length);
    const b = m[1];
    assert.equal(
      r.text,
      `\r\n--${b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-4/14\r\n\r\n` +
        `Hello\r\n--${b}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Range: bytes 7-11/14\r\n\r\nworld\r\n--${b}--\r\n`,
    );
  });

  it("answers 416 with Content-Range for an unsatisfiable range", async () => {
    const { response: r, fs } = await request("/files/hello.txt", { Range: "bytes=100-200" });
    assert.equal(r.code, 416);
    assert.equal(header(r, "content-range"), "bytes */14");
    assert.equal(fs.reads.length, 0);
  });

  it("sends the whole file for a malformed range or overlapping ranges", async () => {
    const bad = await request("/files/hello.txt", { Range: "bytes=5-2" });
    assert.equal(bad.response.code, 200);
    assert.equal(bad.response.text, "Hello, world!\n");
    const lines = await request("/files/hello.txt", { Range: "lines=1-2" });
    assert.equal(lines.response.code, 200);
    const overlap = await request("/files/hello.txt", { Range: "bytes=0-10,0-10" });
    assert.equal(overlap.response.code, 200);
    assert.equal(overlap.response.text, "Hello, world!\n");
  });

  it("honours If-Range: the range when it matches, the whole file when not", async () => {
    const first = await request("/files/hello.txt");
    const etag = header(first.response, "etag")!;
    const same = await request("/files/hello.txt", { Range: "bytes=0-4", "If-Range": etag });
    assert.equal(same.response.code, 206);
    const date = await request("/files/hello.txt", {
      Range: "bytes=0-4",
      "If-Range": "Fri, 01 Mar 2024 12:00:00 GMT",
    });
    assert.equal(date.response.code, 206);
    const stale = await request("/files/hello.txt", { Range: "bytes=0-4", "If-Range": '"x"' });
    assert.equal(stale.response.code, 200);
    assert.equal(stale.response.text, "Hello, world!\n");
  });
});

describe("File streams with backpressure", () => {
  it("stops reading while the transport is paused and resumes after", async () => {
    const fs = new CountingFS();
    const top = new Resource();
    top.putChild("files", new File(root, { runtime: fs }));
    let pausedOnce = false;
    class Pausing extends StringTransportWithDisconnection {
      override write(data: Uint8Array): void {
        super.write(data);
        if (!pausedOnce && this.producer !== null && this.value().length > 100_000) {
          pausedOnce = true;
          (this.producer as IPushProducer).pauseProducing();
        }
      }
    }
    const transport = new Pausing();
    const { requests } = connect(top, transport);
    transport.protocol!.dataReceived(te.encode("GET /files/data.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
    for (let i = 0; i < 200 && !pausedOnce; i++) await tick();
    assert.ok(pausedOnce);
    const readsWhenPaused = fs.reads.length;
    const sizeWhenPaused = transport.value().length;
    for (let i = 0; i < 10; i++) await tick();
    // At most the one read in flight when paused completes.
    assert.ok(fs.reads.length <= readsWhenPaused);
    assert.ok(transport.value().length - sizeWhenPaused <= CHUNK_SIZE);
    assert.ok(transport.value().length < big.length);
    (transport.producer as IPushProducer).resumeProducing();
    await requests[0].notifyFinish();
    const [r] = parseResponses(transport.value());
    assert.deepEqual(r.body, big);
    transport.loseConnection();
    assert.equal(fs.opened, fs.closed);
  });

  it("closes the file and stops reading when the client goes away mid-body", async () => {
    const fs = new CountingFS();
    const top = new Resource();
    top.putChild("files", new File(root, { runtime: fs }));
    let dropped = false;
    class Dropping extends StringTransportWithDisconnection {
      override write(data: Uint8Array): void {
        super.write(data);
        if (!dropped && this.value().length > 70_000) {
          dropped = true;
          queueMicrotask(() => this.loseConnection());
        }
      }
    }
    const transport = new Dropping();
    const { requests } = connect(top, transport);
    transport.protocol!.dataReceived(te.encode("GET /files/data.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
    await assert.rejects(Promise.resolve(requests[0].notifyFinish()));
    for (let i = 0; i < 100 && fs.closed < fs.opened; i++) await tick();
    assert.equal(fs.opened, 1);
    assert.equal(fs.closed, 1);
    const reads = fs.reads.length;
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(fs.reads.length, reads);
    assert.ok(reads < Math.ceil(big.length / CHUNK_SIZE));
  });

  it("answers 500 when the file cannot be read", async () => {
    const broken: RuntimeFileSystem = Object.assign(Object.create(new CountingFS()), {
      openFile: (): Promise<FileHandle> =>
        Promise.resolve({
          read: () => Promise.reject(Object.assign(new Error("disk on fire"), { code: "EIO" })),
          close: () => Promise.resolve(),
        }),
    });
    const top = new Resource();
    top.putChild("files", new File(root, { runtime: broken }));
    const transport = new StringTransportWithDisconnection();
    const { requests } = connect(top, transport);
    transport.protocol!.dataReceived(te.encode("GET /files/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"));
    for (let i = 0; i < 100 && !requests[0].finished && !transport.disconnecting; i++) await tick();
    const errors = flushLoggedErrors();
    assert.ok(errors.length >= 1);
    // The head is written with the first chunk, so nothing was sent yet: a clean 500.
    assert.match(td.decode(transport.value()), /^HTTP\/1\.1 500 /);
    transport.loseConnection();
  });
});

describe("Data", () => {
  it("serves its bytes with type and length to GET and HEAD", async () => {
    const top = new Resource();
    top.putChild("d", new Data("héllo", "text/plain; charset=utf-8"));
    for (const method of ["GET", "HEAD"]) {
      const transport = new StringTransportWithDisconnection();
      const { requests } = connect(top, transport);
      transport.protocol!.dataReceived(te.encode(`${method} /d HTTP/1.1\r\nHost: x\r\n\r\n`));
      await requests[0].notifyFinish();
      const [r] = parseResponses(transport.value(), method === "HEAD");
      assert.equal(r.code, 200);
      assert.equal(header(r, "content-type"), "text/plain; charset=utf-8");
      assert.equal(header(r, "content-length"), "6");
      assert.equal(r.text, method === "GET" ? "héllo" : "");
      transport.loseConnection();
    }
  });
});
