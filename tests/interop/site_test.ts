// curl (Debian's, installed by .ci/run) against the example site
// (examples/site/main.ts) run as a real program on this test's own runtime:
// static files with gzip, ranges and conditional requests, the dynamic page
// and its session, both form encodings, the JSON API through the fetch
// bridge, HEAD, 404, the WebSocket handshake, and a clean exit on SIGTERM.
// curl runs through our own reactor.spawnProcess, bounded by --max-time.
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Deferred,
  type Failure,
  ProcessProtocol,
  type ProcessTransport,
  reactor,
} from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });
const CURL = "/usr/bin/curl";
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const MAIN = fileURLToPath(new URL("../../examples/site/main.ts", import.meta.url));
const publicFile = (name: string): Uint8Array =>
  new Uint8Array(
    readFileSync(fileURLToPath(new URL(`../../examples/site/public/${name}`, import.meta.url))),
  );

/** Collects a child's output; `ended` fires when it exits. */
class Child extends ProcessProtocol {
  out = new Uint8Array(0);
  err = "";
  exitCode: number | null | undefined = undefined;
  signal: string | null = null;
  ended = new Deferred<void>();
  /** The port a site printed it listens on, once it did. */
  port: number | null = null;
  #portWaiter: Deferred<number> | null = null;

  override outReceived(data: Uint8Array): void {
    const joined = new Uint8Array(this.out.length + data.length);
    joined.set(this.out);
    joined.set(data, this.out.length);
    this.out = joined;
    if (this.port !== null) return;
    const m = /Site listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(decoder.decode(this.out));
    if (m === null) return;
    this.port = Number(m[1]);
    this.#portWaiter?.callback(this.port);
  }
  override errReceived(data: Uint8Array): void {
    this.err += decoder.decode(data);
  }
  override processEnded(reason: Failure): void {
    const value = reason.value as { exitCode?: number | null; signal?: string | null };
    this.exitCode = value.exitCode ?? 0;
    this.signal = value.signal ?? null;
    if (this.port === null) {
      this.#portWaiter?.errback(new Error(`The site exited before listening: ${this.err}`));
    }
    this.ended.callback(undefined);
  }
  /** The port the site printed, once it did (for the site's own child only). */
  listening(): Deferred<number> {
    const d = new Deferred<number>();
    if (this.port !== null) d.callback(this.port);
    else if (this.exitCode !== undefined) d.errback(new Error(`The site exited: ${this.err}`));
    else this.#portWaiter = d;
    return d.addTimeout(30, reactor);
  }
}

/** What one curl run gave: the final response's status and headers, and the body. */
interface CurlResult {
  status: number;
  headers: Map<string, string>;
  body: Uint8Array;
  text: string;
  exitCode: number | null | undefined;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Parses `curl -i` output: header blocks (1xx ones skipped), then the body. */
function parseIncluded(out: Uint8Array, exitCode: number | null | undefined): CurlResult {
  const separator = encoder.encode("\r\n\r\n");
  let start = 0;
  for (;;) {
    const end = indexOf(out, separator, start);
    assert.ok(end >= 0, `No header block in curl's output: ${decoder.decode(out)}`);
    const lines = decoder.decode(out.subarray(start, end)).split("\r\n");
    const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0])?.[1]);
    start = end + 4;
    // curl shows an interim 100 Continue, or with --location each redirect's
    // head (without its body), before the final response.
    const rest = decoder.decode(out.subarray(start, start + 5));
    if ((status >= 100 && status < 200 && status !== 101) || rest === "HTTP/") continue;
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    const body = out.subarray(start);
    return { status, headers, body, text: decoder.decode(body), exitCode };
  }
}

let site: Child;
let siteTransport: ProcessTransport;
let base: string;
let scratch: string;

/** Runs curl with `args` on the site (`-i`, silent, bounded), resolving with its result. */
async function curl(args: string[], maxTime = 15): Promise<CurlResult> {
  const child = new Child();
  reactor.spawnProcess(child, CURL, [
    CURL,
    "--silent",
    "--show-error",
    "--include",
    "--max-time",
    String(maxTime),
    ...args,
  ]);
  await child.ended.addTimeout(maxTime + 15, reactor);
  return parseIncluded(child.out, child.exitCode);
}

function ok(result: CurlResult, status: number): void {
  assert.equal(result.exitCode, 0, `curl failed: ${result.text}`);
  assert.equal(result.status, status, result.text);
}

describe(`the example site under curl on ${reactor.runtime.name}`, { timeout: 120_000 }, () => {
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), "tw-site-curl-"));
    site = new Child();
    const exe = process.execPath;
    const argv = "Deno" in globalThis ? [exe, "run", "-A", MAIN, "0"] : [exe, MAIN, "0"];
    siteTransport = reactor.spawnProcess(site, exe, argv);
    base = `http://127.0.0.1:${await site.listening()}`;
  });

  after(async () => {
    rmSync(scratch, { recursive: true, force: true });
    if (site.exitCode === undefined) {
      siteTransport.signalProcess("KILL");
      await site.ended.addTimeout(20, reactor);
    }
  });

  it("GET / serves index.html as HTML with validators", async () => {
    const r = await curl([`${base}/`]);
    ok(r, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(r.headers.get("etag") ?? "", /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(r.headers.has("last-modified"));
    assert.deepEqual(r.body, publicFile("index.html"));
  });

  it("a text file is gzip-encoded for curl --compressed, and an image is not", async () => {
    const css = await curl(["--compressed", `${base}/style.css`]);
    ok(css, 200);
    assert.equal(css.headers.get("content-encoding"), "gzip");
    assert.match(css.headers.get("vary") ?? "", /accept-encoding/i);
    assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
    assert.deepEqual(css.body, publicFile("style.css"));

    const png = await curl(["--compressed", `${base}/logo.png`]);
    ok(png, 200);
    assert.equal(png.headers.get("content-encoding"), undefined);
    assert.equal(png.headers.get("content-type"), "image/png");
    assert.equal(png.headers.get("content-length"), String(publicFile("logo.png").length));
    assert.deepEqual(png.body, publicFile("logo.png"));

    const plain = await curl([`${base}/style.css`]);
    ok(plain, 200);
    assert.equal(plain.headers.get("content-encoding"), undefined);
    assert.deepEqual(plain.body, publicFile("style.css"));
  });

  it("a Range request gets 206 with exactly those bytes, text files unencoded", async () => {
    const png = publicFile("logo.png");
    const r = await curl(["--range", "8-23", `${base}/logo.png`]);
    ok(r, 206);
    assert.equal(r.headers.get("content-range"), `bytes 8-23/${png.length}`);
    assert.deepEqual(r.body, png.subarray(8, 24));

    const css = publicFile("style.css");
    const text = await curl(["--compressed", "--range", "-10", `${base}/style.css`]);
    ok(text, 206);
    assert.equal(text.headers.get("content-encoding"), undefined);
    assert.equal(
      text.headers.get("content-range"),
      `bytes ${css.length - 10}-${css.length - 1}/${css.length}`,
    );
    assert.deepEqual(text.body, css.subarray(css.length - 10));
  });

  it("If-None-Match with the current ETag gets 304 without a body", async () => {
    const first = await curl([`${base}/logo.png`]);
    ok(first, 200);
    const etag = first.headers.get("etag")!;
    const again = await curl(["--header", `If-None-Match: ${etag}`, `${base}/logo.png`]);
    ok(again, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.get("etag"), etag);
    const stale = await curl(["--header", 'If-None-Match: "0-0"', `${base}/logo.png`]);
    ok(stale, 200);
  });

  it("HEAD / answers the headers of GET without a body", async () => {
    const r = await curl(["--head", `${base}/`]);
    ok(r, 200);
    assert.equal(r.headers.get("content-length"), String(publicFile("index.html").length));
    assert.equal(r.body.length, 0);
  });

  it("a missing file and a missing API route are 404", async () => {
    const file = await curl([`${base}/no-such-file.html`]);
    ok(file, 404);
    const escape = await curl(["--path-as-is", `${base}/../main.ts`]);
    ok(escape, 404);
    const route = await curl([`${base}/api/nothing`]);
    ok(route, 404);
    assert.deepEqual(JSON.parse(route.text), { error: "not found", path: "/api/nothing" });
  });

  it("/hello escapes the name and counts visits in the session cookie", async () => {
    const jar = join(scratch, "cookies.txt");
    const url = `${base}/hello?name=${encodeURIComponent("<script>x</script>")}`;
    const first = await curl(["--cookie-jar", jar, "--cookie", jar, url]);
    ok(first, 200);
    assert.match(
      first.headers.get("set-cookie") ?? "",
      /^TWISTED_SESSION=[0-9a-f]{32}; .*HttpOnly/i,
    );
    assert.ok(first.text.includes("Hello, &#60;script&#62;x&#60;/script&#62;!"), first.text);
    assert.ok(!first.text.includes("<script>x"));
    assert.match(first.text, /seen this page 1 time in/);
    const second = await curl(["--compressed", "--cookie-jar", jar, "--cookie", jar, url]);
    ok(second, 200);
    assert.equal(second.headers.get("content-encoding"), "gzip");
    assert.match(second.text, /seen this page 2 times/);
    const stranger = await curl([url]);
    assert.match(stranger.text, /seen this page 1 time in/);
  });

  it("POST /form with an url-encoded body redirects with 303 and the entry shows", async () => {
    const message = `url-encoded <b>${Math.random().toString(36).slice(2)}</b> & more`;
    const r = await curl([
      "--data-urlencode",
      "name=Ann",
      "--data-urlencode",
      `message=${message}`,
      `${base}/form`,
    ]);
    ok(r, 303);
    assert.equal(r.headers.get("location"), "/form");
    const page = await curl([`${base}/form`]);
    ok(page, 200);
    const escaped = message.replace(/&/g, "&#38;").replace(/</g, "&#60;").replace(/>/g, "&#62;");
    assert.ok(page.text.includes(`<strong>Ann</strong> (url-encoded): ${escaped}`), page.text);
  });

  it("POST /form as multipart with a file attached, followed with -L, shows the entry", async () => {
    const message = `multipart ${Math.random().toString(36).slice(2)}`;
    const logo = fileURLToPath(new URL("../../examples/site/public/logo.png", import.meta.url));
    const r = await curl([
      "--location",
      "--form",
      "name=Bob",
      "--form",
      `message=${message}`,
      "--form",
      `attachment=@${logo}`,
      `${base}/form`,
    ]);
    // -L follows the 303 with a GET: the final response is the guest book.
    ok(r, 200);
    assert.ok(
      r.text.includes(
        `<strong>Bob</strong> (multipart): ${message} [attached logo.png, ${
          publicFile("logo.png").length
        } bytes]`,
      ),
      r.text,
    );
  });

  it("POST /form without a message is 400", async () => {
    const r = await curl(["--data", "name=Nobody", `${base}/form`]);
    ok(r, 400);
  });

  it("GET /api/time answers JSON with the server's time, gzip-encoded on request", async () => {
    const r = await curl(["--compressed", `${base}/api/time`]);
    ok(r, 200);
    assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(r.headers.get("content-encoding"), "gzip");
    const body = JSON.parse(r.text) as { iso: string; epoch: number };
    assert.ok(Math.abs(Date.parse(body.iso) - Date.now()) < 60_000, r.text);
    assert.equal(Date.parse(body.iso), Math.round(body.epoch * 1000));
  });

  it("POST /api/echo returns the JSON body, and refuses malformed JSON", async () => {
    const sent = { text: "h\u00e9llo \u2603", list: [1, 2.5, null, true], nested: { a: "b" } };
    const r = await curl([
      "--header",
      "Content-Type: application/json",
      "--data-binary",
      JSON.stringify(sent),
      `${base}/api/echo`,
    ]);
    ok(r, 200);
    assert.deepEqual(JSON.parse(r.text), sent);
    const bad = await curl([
      "--header",
      "Content-Type: application/json",
      "--data-binary",
      "{not json",
      `${base}/api/echo`,
    ]);
    ok(bad, 400);
    const wrong = await curl([`${base}/api/echo`]);
    ok(wrong, 405);
    assert.equal(wrong.headers.get("allow"), "POST");
  });

  it("/ws answers a WebSocket opening handshake with 101 and the right accept key", async () => {
    // curl has no WebSocket client here: it sends the handshake as headers,
    // shows the 101 and then waits on the open connection until --max-time.
    const r = await curl([
      "--http1.1",
      "--no-buffer",
      "--header",
      "Connection: Upgrade",
      "--header",
      "Upgrade: websocket",
      "--header",
      "Sec-WebSocket-Version: 13",
      "--header",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      `${base}/ws`,
    ], 2);
    assert.equal(r.status, 101, r.text);
    // RFC 6455 1.3's example key and answer.
    assert.equal(r.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert.match(r.headers.get("upgrade") ?? "", /^websocket$/i);
    const plain = await curl([`${base}/ws`]);
    ok(plain, 426);
  });

  it("stops cleanly on SIGTERM with exit code 0", async () => {
    siteTransport.signalProcess("TERM");
    await site.ended.addTimeout(20, reactor);
    assert.equal(site.signal, null, site.err);
    assert.equal(site.exitCode, 0, site.err);
  });
});
