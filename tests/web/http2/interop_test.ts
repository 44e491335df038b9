/**
 * Our HTTP/2 server against real clients over loopback: curl (h2c by prior
 * knowledge, h2 over TLS by ALPN, Range and HEAD on a static File, gzip),
 * nghttp (several streams on one connection, a body larger than the
 * windows), h2load (many streams on a few connections), and python3-h2
 * (requests with a POST body under flow control; a Rapid Reset flood ending
 * in GOAWAY(ENHANCE_YOUR_CALM)). A missing client skips naming its Debian
 * package, except under CI=true, where it fails.
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type IPv4Address, reactor } from "../../../mod.ts";
import type { Port } from "../../../src/internet/tcp.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { NOT_DONE_YET, Resource } from "../../../src/web/resource.ts";
import { type Request, Site } from "../../../src/web/server.ts";
import { File } from "../../../src/web/static.ts";
import { EncodingResourceWrapper, GzipEncoderFactory } from "../../../src/web/_encoding.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 3000 });

const CI = process.env.CI === "true";
const PYTHON = "/usr/bin/python3";
const TLS = fileURLToPath(new URL("../../fixtures/tls/", import.meta.url));
const PEER = fileURLToPath(new URL("h2_client_peer.py", import.meta.url));
const has = (cmd: string, args: string[]): boolean =>
  spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
const HAVE_CURL = has("curl", ["--version"]) &&
  /HTTP2/.test(spawnSync("curl", ["--version"]).stdout?.toString() ?? "");
const HAVE_NGHTTP = has("nghttp", ["--version"]);
const HAVE_H2LOAD = has("h2load", ["--version"]);
const HAVE_PY_H2 = has(PYTHON, ["-c", "import h2.connection"]);
const skip = (have: boolean, pkg: string): string | false =>
  have || CI ? false : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client to its end (bounded), without blocking the reactor. */
function run(cmd: string, args: string[], seconds = 30): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: seconds * 1000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

class Root extends Resource {
  override isLeaf = true;
  render_GET(request: Request): string | typeof NOT_DONE_YET {
    const leaf = request.postpath.join("/");
    if (leaf === "big") return "b".repeat(1 << 20);
    if (leaf === "slow") return NOT_DONE_YET;
    if (leaf === "trailers") request.responseTrailers.setRawHeaders("x-sum", ["42"]);
    return `hello ${request.clientproto} ${request.path}`;
  }
  render_POST(request: Request): string {
    return `got ${request.content.length}`;
  }
}

describe("HTTP/2 server against real clients", { timeout: 120_000 }, () => {
  let dir = "";
  let plain: Port;
  let secure: Port;
  let upgrading: Port;
  let upSite: Site;
  let base = "";
  let tlsBase = "";
  let site: Site;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tw-h2-"));
    writeFileSync(join(dir, "data.txt"), "0123456789abcdefghij".repeat(100));
    writeFileSync(join(dir, "upload.bin"), "x".repeat(200000));
    const root = new Resource();
    root.putChild("app", new Root());
    root.putChild("files", new File(dir));
    root.putChild("gz", new EncodingResourceWrapper(new Root(), [new GzipEncoderFactory()]));
    site = new Site(root);
    upSite = new Site(root, { http2: { h2cUpgrade: true } });
    upgrading = reactor.listenTCP(0, upSite, { interface: "127.0.0.1" });
    plain = reactor.listenTCP(0, site, { interface: "127.0.0.1" });
    secure = reactor.listenSSL(0, site, {
      cert: readFileSync(join(TLS, "server.pem"), "utf8"),
      key: readFileSync(join(TLS, "server.key"), "utf8"),
    }, { interface: "127.0.0.1" });
    await plain.whenListening();
    await secure.whenListening();
    await upgrading.whenListening();
    base = `http://127.0.0.1:${(plain.getHost() as IPv4Address).port}`;
    tlsBase = `https://localhost:${(secure.getHost() as IPv4Address).port}`;
  });

  after(async () => {
    await site.shutdown();
    await upSite.shutdown();
    await upgrading.stopListening();
    await plain.stopListening();
    await secure.stopListening();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves curl --http2-prior-knowledge (h2c)", { skip: skip(HAVE_CURL, "curl") }, async () => {
    const r = await run("curl", [
      "-sS",
      "--http2-prior-knowledge",
      "-w",
      " %{http_version}",
      `${base}/app/x`,
    ]);
    assert.equal(r.stdout, "hello HTTP/2 /app/x 2", r.stderr);
    const post = await run("curl", [
      "-sS",
      "--http2-prior-knowledge",
      "--data-binary",
      "@" + join(dir, "upload.bin"),
      `${base}/app/p`,
    ]);
    assert.equal(post.stdout, "got 200000", post.stderr);
  });

  it(
    "upgrades curl --http2 on http:// only with h2cUpgrade",
    { skip: skip(HAVE_CURL, "curl") },
    async () => {
      const up = `http://127.0.0.1:${(upgrading.getHost() as IPv4Address).port}`;
      const args = ["-sS", "--http2", "-w", " %{http_version}"];
      const r = await run("curl", [...args, `${up}/app/u`, `${up}/app/v`]);
      assert.equal(r.stdout, "hello HTTP/2 /app/u 2hello HTTP/2 /app/v 2", r.stderr);
      const off = await run("curl", [...args, `${base}/app/u`]);
      assert.equal(off.stdout, "hello HTTP/1.1 /app/u 1.1", off.stderr);
    },
  );

  it(
    "serves curl --http2 over TLS, chosen by ALPN",
    { skip: skip(HAVE_CURL, "curl") },
    async () => {
      const args = ["-sS", "--http2", "--cacert", join(TLS, "ca.pem"), "-w", " %{http_version}"];
      const r = await run("curl", [...args, `${tlsBase}/app/s`]);
      assert.equal(r.stdout, "hello HTTP/2 /app/s 2", r.stderr);
      const h1 = await run("curl", [
        "-sS",
        "--http1.1",
        "--cacert",
        join(TLS, "ca.pem"),
        `${tlsBase}/app/s`,
      ]);
      assert.equal(h1.stdout, "hello HTTP/1.1 /app/s");
    },
  );

  it("serves a static File with Range and HEAD, and gzip, over h2", {
    skip: skip(HAVE_CURL, "curl"),
  }, async () => {
    const h2 = ["-sS", "--http2-prior-knowledge"];
    const range = await run("curl", [
      ...h2,
      "-r",
      "10-19",
      "-w",
      " %{http_code}",
      `${base}/files/data.txt`,
    ]);
    assert.equal(range.stdout, "abcdefghij 206", range.stderr);
    const head = await run("curl", [...h2, "-I", `${base}/files/data.txt`]);
    assert.match(head.stdout, /^HTTP\/2 200/);
    assert.match(head.stdout, /content-length: 2000/i);
    const gz = await run("curl", [...h2, "--compressed", "-D", "-", `${base}/gz/z`]);
    assert.match(gz.stdout, /content-encoding: gzip/i);
    assert.match(gz.stdout, /hello HTTP\/2 \/gz\/z$/);
  });

  it("multiplexes streams for nghttp, a body past the windows and trailers included", {
    skip: skip(HAVE_NGHTTP, "nghttp2-client"),
  }, async () => {
    for (const url of [base, tlsBase]) {
      const r = await run("nghttp", [
        "-v",
        "-n",
        `${url}/app/a`,
        `${url}/app/big`,
        `${url}/app/trailers`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.match(/:status: 200/g)?.length, 3, r.stdout.slice(-2000));
      assert.match(r.stdout, /recv \(stream_id=\d+\) x-sum: 42/);
      assert.match(r.stdout, /recv WINDOW_UPDATE|send WINDOW_UPDATE/);
    }
  });

  it("takes an h2load run of many streams without failure", {
    skip: skip(HAVE_H2LOAD, "nghttp2-client"),
  }, async () => {
    const r = await run("h2load", ["-n", "3000", "-c", "4", "-m", "20", `${base}/app/x`]);
    assert.match(r.stdout, /3000 succeeded, 0 failed, 0 errored/, r.stdout);
    const big = await run("h2load", ["-n", "40", "-c", "2", "-m", "10", `${base}/app/big`]);
    assert.match(big.stdout, /40 succeeded, 0 failed, 0 errored/, big.stdout);
  });

  it("serves python3-h2 requests, a POST under flow control included", {
    skip: skip(HAVE_PY_H2, "python3-h2"),
  }, async () => {
    const port = (plain.getHost() as IPv4Address).port;
    const r = await run(PYTHON, [PEER, String(port), "requests"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [
      ["200", "hello HTTP/2 /app/a", 19],
      ["200", "hello HTTP/2 /app/b", 19],
      ["200", "hello HTTP/2 /app/c", 19],
      ["200", "got 100000", 10],
    ]);
  });

  it("ends a python3-h2 Rapid Reset flood with GOAWAY(ENHANCE_YOUR_CALM)", {
    skip: skip(HAVE_PY_H2, "python3-h2"),
  }, async () => {
    const port = (plain.getHost() as IPv4Address).port;
    const r = await run(PYTHON, [PEER, String(port), "reset"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout), "ENHANCE_YOUR_CALM");
  });
});
