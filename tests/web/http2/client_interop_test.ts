/**
 * The Agent's HTTP/2 client against real servers over loopback TLS (the
 * test CA in tests/fixtures/tls): our own Site, node:http2's
 * createSecureServer (a child `node` process), nghttpd (Debian's
 * nghttp2-server) and a python3-h2 server for GOAWAY. Checked: ALPN picks
 * h2, N concurrent requests share one connection (counted on the server),
 * a 4 MiB download and upload through flow control, trailers, a cancelled
 * body resetting its stream only, and requests above a GOAWAY retried on a
 * new connection. A missing peer skips naming its Debian package, except
 * under CI=true, where it fails.
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type IPv4Address, reactor } from "../../../mod.ts";
import type {
  IListeningPort,
  IProtocol,
  IProtocolFactory,
} from "../../../src/internet/interfaces.ts";
import type { Address } from "../../../src/internet/address.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { NOT_DONE_YET, Resource } from "../../../src/web/resource.ts";
import { type Request, Site } from "../../../src/web/server.ts";
import {
  Agent,
  BytesBodyProducer,
  HTTPConnectionPool,
  readBody,
  type Response,
} from "../../../src/web/mod.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 3000 });

const CI = process.env.CI === "true";
const PYTHON = "/usr/bin/python3";
const TLS = fileURLToPath(new URL("../../fixtures/tls/", import.meta.url));
const CERT = join(TLS, "server.pem");
const KEY = join(TLS, "server.key");
const CA = join(TLS, "ca.pem");
const NODE_PEER = fileURLToPath(new URL("node_h2_peer.mjs", import.meta.url));
const PY_PEER = fileURLToPath(new URL("h2_goaway_peer.py", import.meta.url));
const has = (cmd: string, args: string[]): boolean =>
  spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
const HAVE_NODE = has("node", ["--version"]);
const HAVE_NGHTTPD = has("nghttpd", ["--version"]);
const HAVE_PY_H2 = has(PYTHON, ["-c", "import h2.connection"]);
const skip = (have: boolean, pkg: string): string | false =>
  have || CI ? false : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;

const dec = new TextDecoder();
const read = (path: string): string => readFileSync(path, "utf8");

/** Starts a child peer; resolves with its first stdout line. */
function startPeer(cmd: string, args: string[]): Promise<[ChildProcess, string]> {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start`)), 20000);
    child.stdout!.on("data", (d: Uint8Array) => {
      out += dec.decode(d);
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve([child, out.slice(0, nl).trim()]);
      }
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function stopPeer(child: ChildProcess | null): Promise<void> {
  if (child === null || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.on("exit", () => resolve());
    child.stdin?.end();
    setTimeout(() => child.kill("SIGKILL"), 5000).unref?.();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

function newAgent(pool: HTTPConnectionPool): Agent {
  return new Agent(reactor, { pool, connectTimeout: 10, tlsOptions: { ca: read(CA) } });
}

const body = (d: PromiseLike<Response>) =>
  Promise.resolve(d).then(async (r) => dec.decode(await readBody(r)));

class App extends Resource {
  override isLeaf = true;
  slow: Request[] = [];
  render_GET(request: Request): string | Uint8Array | typeof NOT_DONE_YET {
    if (request.path === "/big") return new Uint8Array(4 << 20).fill(98);
    if (request.path === "/slow") {
      request.write(new TextEncoder().encode("start"));
      this.slow.push(request);
      return NOT_DONE_YET;
    }
    if (request.path === "/trailers") request.responseTrailers.setRawHeaders("x-sum", ["42"]);
    return `hello ${request.clientproto}`;
  }
  render_POST(request: Request): string {
    return `got ${request.content.length}`;
  }
}

describe("the Agent over HTTP/2 against real servers", { timeout: 120_000 }, () => {
  describe("our own Site", () => {
    let port: IListeningPort;
    let site: Site;
    let app: App;
    let connections = 0;
    let base = "";
    let pool: HTTPConnectionPool;

    before(async () => {
      app = new App();
      site = new Site(app);
      const counting: IProtocolFactory & { acceptableProtocols(): string[] } = {
        doStart: () => site.doStart(),
        doStop: () => site.doStop(),
        buildProtocol: (addr: Address): IProtocol | null => {
          connections++;
          return site.buildProtocol(addr);
        },
        acceptableProtocols: () => site.acceptableProtocols(),
      };
      port = reactor.listenSSL(0, counting, { cert: read(CERT), key: read(KEY) }, {
        interface: "127.0.0.1",
      });
      await port.whenListening!();
      base = `https://localhost:${(port.getHost() as IPv4Address).port}`;
    });
    beforeEach(() => {
      pool = new HTTPConnectionPool(reactor);
      connections = 0;
    });
    afterEach(async () => {
      await pool.closeCachedConnections();
    });
    after(async () => {
      await site.shutdown();
      await port.stopListening();
    });

    it("picks h2 by ALPN and multiplexes 50 requests on one connection", async () => {
      const agent = newAgent(pool);
      const rs = await Promise.all(
        Array.from({ length: 50 }, () => agent.request("GET", `${base}/hello`)),
      );
      for (const r of rs) {
        assert.deepEqual(r.version, ["HTTP", 2, 0]);
        assert.equal(dec.decode(await readBody(r)), "hello HTTP/2");
      }
      assert.equal(connections, 1);
    });

    it("4 MiB down and up through flow control; trailers", async () => {
      const agent = newAgent(pool);
      const big = await readBody(await agent.request("GET", `${base}/big`));
      assert.equal(big.length, 4 << 20);
      const up = new BytesBodyProducer(new Uint8Array(4 << 20).fill(1));
      assert.equal(await body(agent.request("POST", `${base}/up`, null, up)), `got ${4 << 20}`);
      const t = await agent.request("GET", `${base}/trailers`);
      await readBody(t);
      assert.deepEqual(t.trailers.getRawHeaders("x-sum"), ["42"]);
      assert.equal(connections, 1);
    });

    it("cancelling a body resets its stream only", async () => {
      const agent = newAgent(pool);
      const slow = await agent.request("GET", `${base}/slow`);
      const reading = readBody(slow);
      const finished = new Promise<boolean>((resolve) => {
        app.slow[app.slow.length - 1].notifyFinish().addCallbacks(() => {
          resolve(false);
          return null;
        }, () => {
          resolve(true);
          return null;
        });
      });
      reading.cancel();
      await assert.rejects(Promise.resolve(reading));
      assert.equal(await finished, true, "the server saw the reset");
      assert.equal(await body(agent.request("GET", `${base}/hello`)), "hello HTTP/2");
      assert.equal(connections, 1);
    });

    it("http2: false stays on HTTP/1.1", async () => {
      const agent = new Agent(reactor, { pool, http2: false, tlsOptions: { ca: read(CA) } });
      const r = await agent.request("GET", `${base}/hello`);
      assert.deepEqual(r.version, ["HTTP", 1, 1]);
      assert.equal(dec.decode(await readBody(r)), "hello HTTP/1.1");
    });
  });

  describe("node:http2 createSecureServer", () => {
    let child: ChildProcess | null = null;
    let base = "";
    let pool: HTTPConnectionPool;
    before(async () => {
      if (!HAVE_NODE && !CI) return;
      const [c, line] = await startPeer("node", [NODE_PEER, CERT, KEY]);
      child = c;
      base = `https://localhost:${JSON.parse(line).port}`;
    });
    beforeEach(() => {
      pool = new HTTPConnectionPool(reactor);
    });
    afterEach(async () => {
      await pool.closeCachedConnections();
    });
    after(async () => {
      await stopPeer(child);
    });

    it("multiplexes, flows 4 MiB both ways, reads trailers, resets one stream", {
      skip: skip(HAVE_NODE, "nodejs"),
    }, async () => {
      const agent = newAgent(pool);
      const rs = await Promise.all(
        Array.from({ length: 100 }, () => agent.request("GET", `${base}/hello`)),
      );
      for (const r of rs) {
        assert.deepEqual(r.version, ["HTTP", 2, 0]);
        assert.match(dec.decode(await readBody(r)), /^hello localhost:\d+$/);
      }
      const big = await readBody(await agent.request("GET", `${base}/big`));
      assert.equal(big.length, 4 << 20);
      assert.ok(big.every((b) => b === 98));
      const up = new BytesBodyProducer(new Uint8Array(4 << 20).fill(1));
      assert.equal(
        await body(agent.request("POST", `${base}/upload`, null, up)),
        `got ${4 << 20}`,
      );
      const t = await agent.request("GET", `${base}/trailers`);
      assert.equal(dec.decode(await readBody(t)), "body");
      assert.deepEqual(t.trailers.getRawHeaders("x-sum"), ["42"]);
      const slow = await agent.request("GET", `${base}/slow`);
      const reading = readBody(slow);
      reading.cancel();
      await assert.rejects(Promise.resolve(reading));
      const stats = JSON.parse(await body(agent.request("GET", `${base}/stats`)));
      assert.deepEqual(stats, { sessions: 1, cancels: 1 });
    });
  });

  describe("nghttpd", () => {
    let child: ChildProcess | null = null;
    let dir = "";
    let base = "";
    before(async () => {
      if (!HAVE_NGHTTPD && !CI) return;
      dir = mkdtempSync(join(tmpdir(), "tw-h2c-"));
      writeFileSync(join(dir, "big.bin"), new Uint8Array(4 << 20).fill(7));
      writeFileSync(join(dir, "hello.txt"), "hello nghttpd");
      const port = await freePort();
      child = spawn("nghttpd", [
        "-d",
        dir,
        "--address=127.0.0.1",
        "--trailer=x-sum: 42",
        String(port),
        KEY,
        CERT,
      ], { stdio: ["pipe", "ignore", "inherit"] });
      base = `https://localhost:${port}`;
      // Wait until it accepts connections.
      for (let i = 0; i < 100; i++) {
        const ok = await new Promise<boolean>((resolve) => {
          const s = createServer();
          s.once("error", () => resolve(true));
          s.listen(port, "127.0.0.1", () => s.close(() => resolve(false)));
        });
        if (ok) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    after(async () => {
      if (child !== null && child.exitCode === null) {
        const exited = new Promise((r) => child!.on("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      if (dir !== "") rmSync(dir, { recursive: true, force: true });
    });

    it("GETs, 4 MiB down and up, trailers, 100 concurrent", {
      skip: skip(HAVE_NGHTTPD, "nghttp2-server"),
    }, async () => {
      const pool = new HTTPConnectionPool(reactor);
      try {
        const agent = newAgent(pool);
        const r = await agent.request("GET", `${base}/hello.txt`);
        assert.deepEqual(r.version, ["HTTP", 2, 0]);
        assert.equal(dec.decode(await readBody(r)), "hello nghttpd");
        assert.deepEqual(r.trailers.getRawHeaders("x-sum"), ["42"]);
        const big = await readBody(await agent.request("GET", `${base}/big.bin`));
        assert.equal(big.length, 4 << 20);
        const up = new BytesBodyProducer(new Uint8Array(4 << 20).fill(1));
        const posted = await agent.request("POST", `${base}/hello.txt`, null, up);
        assert.equal(dec.decode(await readBody(posted)), "hello nghttpd");
        const all = await Promise.all(
          Array.from({ length: 100 }, () => body(agent.request("GET", `${base}/hello.txt`))),
        );
        assert.ok(all.every((b) => b === "hello nghttpd"));
        assert.equal(pool.cachedConnectionCount(), 1);
      } finally {
        await pool.closeCachedConnections();
      }
    });
  });

  describe("python3-h2 GOAWAY", () => {
    let child: ChildProcess | null = null;
    let base = "";
    before(async () => {
      if (!HAVE_PY_H2 && !CI) return;
      const [c, line] = await startPeer(PYTHON, [PY_PEER, CERT, KEY]);
      child = c;
      base = `https://localhost:${line}`;
    });
    after(async () => {
      await stopPeer(child);
    });

    it("retries idempotent requests above the last stream id on a new connection", {
      skip: skip(HAVE_PY_H2, "python3-h2"),
    }, async () => {
      const pool = new HTTPConnectionPool(reactor);
      try {
        const agent = newAgent(pool);
        const bodies = await Promise.all(
          ["/a", "/b", "/c"].map((p) => body(agent.request("GET", base + p))),
        );
        assert.deepEqual(bodies, ["first", "conn 2 /b", "conn 2 /c"]);
      } finally {
        await pool.closeCachedConnections();
      }
    });
  });
});
