/**
 * SOCKS over real loopback sockets: curl (run through our own spawnProcess)
 * as the client of our SOCKSFactory in front of our own Site, for SOCKS 4, 4a,
 * 5 and 5 with a login; and our client endpoints through our server.
 * Everything is bounded in time and closed at the end of each test.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import {
  ClientFactory,
  Deferred,
  Factory,
  type Failure,
  type IListeningPort,
  type IPv4Address,
  ProcessProtocol,
  Protocol,
  reactor,
} from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { clientFromString, TCP4ClientEndpoint } from "../../src/internet/endpoints.ts";
import type { IProtocol, IProtocolFactory } from "../../src/internet/interfaces.ts";
import { type Request, Resource, Site } from "../../src/web/mod.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../../src/cred/mod.ts";
import {
  ISOCKSUser,
  SOCKS5ClientEndpoint,
  SOCKS5Reply,
  SOCKSError,
  SOCKSFactory,
  type SOCKSFactoryOptions,
} from "../../src/protocols/socks.ts";

const CURL = "/usr/bin/curl";
const td = new TextDecoder();
const te = new TextEncoder();

// Real sockets: wait for what the test closed to finish closing (connections close a moment after curl exits).
trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

class Hello extends Resource {
  override isLeaf = true;
  render_GET(request: Request): string {
    request.setHeader("content-type", "text/plain");
    const client = request.getClientAddress() as { host?: string } | null;
    return `hello through socks from ${client?.host}`;
  }
}

class Curl extends ProcessProtocol {
  out: Uint8Array[] = [];
  err = "";
  ended = new Deferred<number | null>();
  override outReceived(data: Uint8Array): void {
    this.out.push(data);
  }
  override errReceived(data: Uint8Array): void {
    this.err += td.decode(data);
  }
  override processEnded(reason: Failure): void {
    const code = (reason.value as { exitCode?: number | null }).exitCode ?? 0;
    this.ended.callback(code);
  }
  text(): string {
    return this.out.map((c) => td.decode(c)).join("");
  }
}

/** Runs curl with `args`; resolves with its exit code and output. */
async function curl(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const peer = new Curl();
  const transport = reactor.spawnProcess(peer, CURL, [
    CURL,
    "--silent",
    "--show-error",
    "--max-time",
    "10",
    "--noproxy",
    "",
    ...args,
  ], { env: {} });
  transport.closeStdin();
  try {
    const code = await peer.ended.addTimeout(20, reactor);
    return { code, out: peer.text(), err: peer.err };
  } catch (error) {
    transport.signalProcess("KILL");
    await peer.ended;
    throw error;
  }
}

/** Escapes a value for an endpoint description. */
function escape(value: string): string {
  return value.replace(/[\\:=]/g, "\\$&");
}

function portOf(port: IListeningPort): number {
  return (port.getHost() as IPv4Address).port;
}

describe("SOCKSFactory with curl as the client", {
  timeout: 120_000,
  skip: existsSync(CURL) ? false : "no /usr/bin/curl",
}, () => {
  let httpPort = 0;

  /**
   * Runs `body` with our Site and a SOCKS server on free loopback ports, both
   * made for this test (the leak check after each test wants nothing left open).
   */
  async function withSOCKS(
    options: SOCKSFactoryOptions,
    body: (port: number) => Promise<void>,
  ): Promise<void> {
    const site = new Site(new Hello());
    site.noisy = false;
    const web = reactor.listenTCP(0, site, { interface: "127.0.0.1" });
    const factory = new SOCKSFactory({ reactor, ...options });
    factory.noisy = false;
    const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
    try {
      await web.whenListening!();
      httpPort = portOf(web);
      await port.whenListening!();
      await body(portOf(port));
    } finally {
      await port.stopListening();
      await web.stopListening();
    }
  }

  for (
    const [name, flag, host] of [
      ["SOCKS 5", "--socks5", "127.0.0.1"],
      ["SOCKS 5 with the host name resolved by the proxy", "--socks5-hostname", "localhost"],
      ["SOCKS 4", "--socks4", "127.0.0.1"],
      ["SOCKS 4a", "--socks4a", "localhost"],
    ] as const
  ) {
    it(`relays curl's ${name} request to the web server`, async () => {
      const seen: string[] = [];
      await withSOCKS({
        allowConnect: (h, p) => {
          seen.push(`${h}:${p}`);
          return true;
        },
      }, async (socks) => {
        const r = await curl([flag, `127.0.0.1:${socks}`, `http://${host}:${httpPort}/`]);
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out, "hello through socks from 127.0.0.1");
      });
      assert.deepEqual(seen, [`${host}:${httpPort}`]);
    });
  }

  const logins: [string, SOCKSFactoryOptions][] = [
    ["checkPassword", {
      checkPassword: (user, password) => user === "alice" && password === "s3cret",
    }],
    ["a cred Portal", {
      portal: new Portal(
        { requestAvatar: () => [ISOCKSUser, {}, () => {}] },
        [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "s3cret" })],
      ),
    }],
  ];
  for (const [how, options] of logins) {
    it(`checks curl's SOCKS 5 login (-U user:pass) with ${how} and refuses a wrong one`, async () => {
      await withSOCKS(options, async (socks) => {
        const good = await curl([
          "--socks5",
          `127.0.0.1:${socks}`,
          "-U",
          "alice:s3cret",
          `http://127.0.0.1:${httpPort}/`,
        ]);
        assert.equal(good.code, 0, good.err);
        assert.match(good.out, /^hello through socks/);
        const bad = await curl([
          "--socks5",
          `127.0.0.1:${socks}`,
          "-U",
          "alice:wrong",
          `http://127.0.0.1:${httpPort}/`,
        ]);
        assert.notEqual(bad.code, 0);
        assert.equal(bad.out, "");
        const none = await curl([
          "--socks5",
          `127.0.0.1:${socks}`,
          `http://127.0.0.1:${httpPort}/`,
        ]);
        assert.notEqual(none.code, 0);
      });
    });
  }

  it("tells curl the connection was refused, and that a rule forbids a destination", async () => {
    const closed = reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
    await closed.whenListening!();
    const deadPort = portOf(closed);
    await closed.stopListening();
    await withSOCKS({ allowConnect: (_h, p) => p !== 9 }, async (socks) => {
      const refused = await curl([
        "--socks5",
        `127.0.0.1:${socks}`,
        `http://127.0.0.1:${deadPort}/`,
      ]);
      assert.equal(refused.code, 97, refused.err); // CURLE_PROXY
      assert.match(refused.err, /\(5\)|refused/i); // curl 7.88 prints the bare code
      const forbidden = await curl(["--socks5", `127.0.0.1:${socks}`, "http://127.0.0.1:9/"]);
      assert.equal(forbidden.code, 97, forbidden.err);
      assert.match(forbidden.err, /\(2\)|not allowed/i);
    });
  });
});

describe("SOCKS5ClientEndpoint through SOCKSFactory over loopback", { timeout: 60_000 }, () => {
  it("relays 1 MiB to an echo server and back through a login", async () => {
    class Echo extends Protocol {
      override dataReceived(data: Uint8Array): void {
        this.transport.write(data);
      }
    }
    const echoFactory = Factory.forProtocol(Echo);
    echoFactory.noisy = false;
    const echo = reactor.listenTCP(0, echoFactory, { interface: "127.0.0.1" });
    const socksFactory = new SOCKSFactory({
      reactor,
      checkPassword: (u, p) => u === "bob" && p === "pw",
    });
    socksFactory.noisy = false;
    const socks = reactor.listenTCP(0, socksFactory, { interface: "127.0.0.1" });
    try {
      await echo.whenListening!();
      await socks.whenListening!();
      const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) % 253);
      const done = new Deferred<Uint8Array>();
      class Client extends Protocol {
        chunks: Uint8Array[] = [];
        size = 0;
        override connectionMade(): void {
          for (let i = 0; i < big.byteLength; i += 32 * 1024) {
            this.transport.write(big.subarray(i, i + 32 * 1024));
          }
        }
        override dataReceived(data: Uint8Array): void {
          this.chunks.push(data);
          this.size += data.byteLength;
          if (this.size >= big.byteLength) this.transport.loseConnection();
        }
        override connectionLost(): void {
          const all = new Uint8Array(this.size);
          let at = 0;
          for (const c of this.chunks) {
            all.set(c, at);
            at += c.byteLength;
          }
          done.callback(all);
        }
      }
      const endpoint = new SOCKS5ClientEndpoint(
        "127.0.0.1",
        portOf(echo),
        new TCP4ClientEndpoint(reactor, "127.0.0.1", portOf(socks)),
        { username: "bob", password: "pw", clock: reactor },
      );
      const clientFactory = ClientFactory.forProtocol(Client);
      clientFactory.noisy = false;
      const protocol = await endpoint.connect(clientFactory).addTimeout(10, reactor);
      assert.ok(protocol instanceof Client);
      const echoed = await done.addTimeout(20, reactor);
      assert.equal(echoed.byteLength, big.byteLength);
      assert.deepEqual(echoed, big);
    } finally {
      await socks.stopListening();
      await echo.stopListening();
    }
  });

  it("reaches an IPv6 destination, given as a socks5: endpoint string", async (t) => {
    class Greeter extends Protocol {
      override connectionMade(): void {
        this.transport.write(te.encode("hi over v6"));
        this.transport.loseConnection();
      }
    }
    const greeterFactory = Factory.forProtocol(Greeter);
    greeterFactory.noisy = false;
    let greeter: IListeningPort;
    try {
      greeter = reactor.listenTCP(0, greeterFactory, { interface: "::1" });
      await greeter.whenListening!();
    } catch {
      t.skip("no IPv6 loopback here");
      return;
    }
    const socksFactory = new SOCKSFactory({ reactor });
    socksFactory.noisy = false;
    const socks = reactor.listenTCP(0, socksFactory, { interface: "::1" });
    try {
      await socks.whenListening!();
      const endpoint = clientFromString(
        reactor,
        `socks5:host=${escape("::1")}:port=${portOf(greeter)}:proxy=${
          escape(`tcp6:${escape("::1")}:${portOf(socks)}`)
        }`,
      );
      assert.ok(endpoint instanceof SOCKS5ClientEndpoint);
      const got = new Deferred<string>();
      let text = "";
      const reader: IProtocol = Object.assign(new Protocol(), {
        dataReceived(data: Uint8Array): void {
          text += td.decode(data);
        },
        connectionLost(): void {
          got.callback(text);
        },
      });
      const factory: IProtocolFactory = {
        doStart() {},
        doStop() {},
        buildProtocol: () => reader,
      };
      await endpoint.connect(factory).addTimeout(10, reactor);
      assert.equal(await got.addTimeout(10, reactor), "hi over v6");
    } finally {
      await socks.stopListening();
      await greeter.stopListening();
    }
  });

  it("fails with the proxy's code when the destination refuses", async () => {
    const closed = reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
    await closed.whenListening!();
    const deadPort = portOf(closed);
    await closed.stopListening();
    const socksFactory = new SOCKSFactory({ reactor });
    socksFactory.noisy = false;
    const socks = reactor.listenTCP(0, socksFactory, { interface: "127.0.0.1" });
    try {
      await socks.whenListening!();
      const endpoint = new SOCKS5ClientEndpoint(
        "127.0.0.1",
        deadPort,
        new TCP4ClientEndpoint(reactor, "127.0.0.1", portOf(socks)),
        { clock: reactor },
      );
      await assert.rejects(
        endpoint.connect(Factory.forProtocol(Protocol)).addTimeout(10, reactor).asPromise(),
        (e) => e instanceof SOCKSError && e.reply === SOCKS5Reply.CONNECTION_REFUSED,
      );
    } finally {
      await socks.stopListening();
    }
  });
});
