// `tw web --no-http2` and `--h2c-upgrade`: the Site's HTTP/2 options as the
// plugin makes them (in this process, on a MemoryReactorClock), then the real
// program on the runtime running this file: h2c by prior knowledge on by
// default and off with --no-http2 (our own HTTP/2 client speaks it), and
// `Upgrade: h2c` answered only with --h2c-upgrade (curl --http2, Debian's curl).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { existsSync } from "node:fs";
import { type Deferred, reactor } from "../../mod.ts";
import type { IService, MultiService } from "../../src/application/mod.ts";
import { type ListeningService, type Options, UsageError, webPlugin } from "../../src/cli/mod.ts";
import type { Reactor } from "../../src/internet/reactor.ts";
import { TCP4ClientEndpoint } from "../../src/internet/endpoints.ts";
import { MemoryReactorClock, trackLeaks } from "../../src/testing/mod.ts";
import {
  ClientRequest,
  H2ClientProtocol,
  Headers,
  readBody,
  type Response,
  type Site,
} from "../../src/web/mod.ts";
import { CURRENT, exec, start, terminate } from "./_program.ts";

trackLeaks({ beforeEach, afterEach });

const LOCAL = "tcp:0:interface=127.0.0.1";

function parsed(argv: string[]): Options {
  const options = new webPlugin.options();
  options.parseOptions(argv);
  return options;
}

async function siteOf(argv: string[]): Promise<Site> {
  const memory = new MemoryReactorClock();
  const context = { reactor: memory as unknown as Reactor, cwd: "/srv" };
  const tree = await webPlugin.makeService(parsed(argv), context) as MultiService;
  const [service] = [...tree] as IService[];
  return (service as ListeningService).factory as unknown as Site;
}

describe("tw web HTTP/2 options", () => {
  it("h2 by default, without Upgrade: h2c", async () => {
    const site = await siteOf([]);
    assert.deepEqual(site.acceptableProtocols(), ["h2", "http/1.1"]);
    assert.ok(site.http2 !== false);
    assert.equal(site.http2.h2cUpgrade, false);
    assert.equal(site.http2.priorKnowledge, true);
  });

  it("--no-http2 turns HTTP/2 off", async () => {
    const site = await siteOf(["--no-http2"]);
    assert.equal(site.http2, false);
    assert.deepEqual(site.acceptableProtocols(), ["http/1.1"]);
  });

  it("--h2c-upgrade turns Upgrade: h2c on", async () => {
    const site = await siteOf(["--h2c-upgrade"]);
    assert.ok(site.http2 !== false);
    assert.equal(site.http2.h2cUpgrade, true);
    assert.equal(site.http2.maxConcurrentStreams, 100, "the other settings kept");
  });

  it("both at once is a usage error", () => {
    assert.throws(() => parsed(["--no-http2", "--h2c-upgrade"]), UsageError);
  });
});

const CURL = "/usr/bin/curl";
const CURL_SKIP = existsSync(CURL) || process.env.CI === "true"
  ? false
  : `no ${CURL}: install Debian's curl package (apt-get install -y curl)`;

function curl(args: string[]): Deferred<{ code: number; out: string; err: string }> {
  return exec([CURL, "-sS", "--max-time", "10", ...args]);
}

/** GET / with our HTTP/2 client by prior knowledge (h2c): the body, or the failure. */
async function h2cGet(port: number): Promise<string> {
  const endpoint = new TCP4ClientEndpoint(reactor, "127.0.0.1", port);
  const h2 = new H2ClientProtocol();
  await endpoint.connect({
    doStart() {},
    doStop() {},
    buildProtocol: () => h2,
  });
  try {
    const request = new ClientRequest("GET", "/", new Headers({ Host: "localhost" }));
    const response: Response = await h2.request(request).addTimeout(10, reactor);
    return new TextDecoder().decode(await readBody(response));
  } catch (error) {
    return `failed: ${(error as Error).name}`;
  } finally {
    await h2.abort();
  }
}

describe(`tw web --no-http2 / --h2c-upgrade on ${CURRENT}`, { timeout: 120_000 }, () => {
  it("serves h2c by prior knowledge unless --no-http2", { timeout: 60_000 }, async () => {
    const [on, onT] = start(CURRENT, ["web", "--listen", LOCAL]);
    const [off, offT] = start(CURRENT, ["web", "--listen", LOCAL, "--no-http2"]);
    try {
      assert.match(await h2cGet(await on.port()), /It works/);
      assert.match(await h2cGet(await off.port()), /^failed: /);
    } finally {
      await terminate(on, onT);
      await terminate(off, offT);
    }
    assert.equal(on.exitCode, 0, on.err);
    assert.equal(off.exitCode, 0, off.err);
  });

  it("answers Upgrade: h2c only with --h2c-upgrade", {
    timeout: 60_000,
    skip: CURL_SKIP,
  }, async () => {
    const [up, upT] = start(CURRENT, ["web", "--listen", LOCAL, "--h2c-upgrade"]);
    const [plain, plainT] = start(CURRENT, ["web", "--listen", LOCAL]);
    try {
      const args = ["--http2", "-o", "/dev/null", "-w", "%{http_version}"];
      const a = await curl([...args, `http://127.0.0.1:${await up.port()}/`]);
      assert.equal(a.out, "2", a.err);
      const b = await curl([...args, `http://127.0.0.1:${await plain.port()}/`]);
      assert.equal(b.out, "1.1", b.err);
    } finally {
      await terminate(up, upT);
      await terminate(plain, plainT);
    }
  });
});
