// The component router with real peers over loopback: `tw xmpp-router` (our CLI, on this
// runtime) with Twisted's component (python3-twisted) and slixmpp's (python3-slixmpp) talking
// to ours, remote-server-not-found for an unknown domain, a clean exit on SIGTERM; and our
// components routed through Twisted's own router (`twistd3 -n xmpp-router`).
// A missing peer skips, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { ClientFactory, Deferred, type Failure, Protocol, reactor } from "../../../mod.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { component, xmlstream } from "../../../src/words/jabber/mod.ts";
import { domish } from "../../../src/words/xish/mod.ts";
import { PortPeer } from "../../_python_peer.ts";
import { CURRENT, start, terminate } from "../../cli/_program.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const CI = process.env.CI === "true";
const PY = "/usr/bin/python3";
const has = (module: string) =>
  spawnSync(PY, ["-c", `import ${module}`], { stdio: "ignore" }).status === 0;
const skipIf = (ok: boolean, pkg: string): string | false =>
  ok || CI ? false : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;
const HAVE_TWISTED = has("twisted.words.protocols.jabber.component");
const HAVE_SLIXMPP = has("slixmpp");
const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** A Python peer whose stdout we watch for lines. */
class LinePeer extends PortPeer {
  #waiters: [RegExp, Deferred<void>][] = [];
  override outReceived(data: Uint8Array): void {
    super.outReceived(data);
    this.#waiters = this.#waiters.filter(([re, d]) => {
      if (re.test(this.out)) d.callback(undefined);
      return !re.test(this.out);
    });
  }
  waitFor(re: RegExp): Deferred<void> {
    const d = new Deferred<void>();
    if (re.test(this.out)) d.callback(undefined);
    else this.#waiters.push([re, d]);
    return d.addTimeout(20, reactor);
  }
}

function startPeer(script: string, args: string[]) {
  const peer = new LinePeer();
  peer.port.addErrback(() => {}); // these peers announce no port
  const transport = reactor.spawnProcess(peer, PY, [PY, here(script), ...args], {
    env: { ...process.env, PYTHONUNBUFFERED: "1" } as Record<string, string>,
  });
  return { peer, transport };
}

async function stopPeer(p: ReturnType<typeof startPeer>): Promise<void> {
  if (!p.peer.ended.called) p.transport.signalProcess("TERM");
  await p.peer.ended.addTimeout(10, reactor);
}

/** Our component on `port` as `domain`; resolves once authenticated. */
async function ours(port: number, domain: string, secret: string) {
  const factory = component.componentFactory(domain, secret);
  factory.maxRetries = 0;
  factory.noisy = false;
  const authd = new Deferred<xmlstream.XmlStream>();
  const ended = new Deferred<void>();
  factory.addBootstrap(
    xmlstream.STREAM_AUTHD_EVENT,
    (xs: xmlstream.XmlStream) => authd.callback(xs),
  );
  factory.addBootstrap(xmlstream.STREAM_END_EVENT, (f: Failure) => {
    if (!authd.called) authd.errback(f);
    ended.callback(undefined);
  });
  reactor.connectTCP("127.0.0.1", port, factory);
  const xs = await authd.addTimeout(20, reactor);
  return {
    xs,
    async close() {
      factory.stopTrying();
      xs.sendFooter();
      xs.transport.loseConnection();
      await ended.addTimeout(10, reactor);
    },
  };
}

function ask(
  xs: xmlstream.XmlStream,
  from: string,
  to: string,
  body: string,
): Deferred<domish.Element> {
  const d = new Deferred<domish.Element>();
  xs.addOnetimeObserver("/message", (m: domish.Element) => d.callback(m));
  const m = new domish.Element([null, "message"]);
  m.setAttribute("from", from);
  m.setAttribute("to", to);
  m.addElement("body", null, body);
  xs.send(m);
  return d.addTimeout(10, reactor);
}

describe("tw xmpp-router", () => {
  it("routes between Twisted's component and ours; unknown domains bounce; SIGTERM exits 0", {
    skip: skipIf(HAVE_TWISTED, "python3-twisted"),
  }, async () => {
    const [program, transport] = start(CURRENT, [
      "xmpp-router",
      "--port",
      "tcp:0:interface=127.0.0.1",
      "--secret",
      "s3cret",
    ]);
    try {
      const port = await program.port();
      const twisted = startPeer("xmpp_peer_twisted_component.py", [
        String(port),
        "twisted.localhost",
        "s3cret",
      ]);
      try {
        await twisted.peer.waitFor(/AUTHD/);
        const me = await ours(port, "ours.localhost", "s3cret");
        const reply = await ask(me.xs, "user@ours.localhost/r", "bot@twisted.localhost", "h\u00e9");
        assert.equal(reply.getAttribute("from"), "bot@twisted.localhost");
        assert.equal(reply.getAttribute("to"), "user@ours.localhost/r");
        assert.equal(String(reply.child("body")), "twisted: h\u00e9");
        const bounce = await ask(me.xs, "user@ours.localhost", "x@nowhere.localhost", "?");
        assert.equal(bounce.getAttribute("type"), "error");
        assert.ok(bounce.child("error")?.child("remote-server-not-found"));
        await me.close();
      } finally {
        await stopPeer(twisted);
      }
    } finally {
      await terminate(program, transport);
    }
    assert.equal(program.exitCode, 0, program.err);
  });

  it("routes between slixmpp's component and ours", {
    skip: skipIf(HAVE_SLIXMPP, "python3-slixmpp"),
  }, async () => {
    const [program, transport] = start(CURRENT, [
      "xmpp-router",
      "--port",
      "tcp:0:interface=127.0.0.1",
    ]);
    try {
      const port = await program.port();
      const slix = startPeer("xmpp_peer_slixmpp_component.py", [
        String(port),
        "slix.localhost",
        "secret",
      ]);
      try {
        await slix.peer.waitFor(/AUTHD/);
        const me = await ours(port, "ours.localhost", "secret");
        const reply = await ask(me.xs, "user@ours.localhost/r", "bot@slix.localhost", "hi");
        assert.equal(String(reply.child("body")), "slixmpp: hi");
        await me.close();
      } finally {
        await stopPeer(slix);
      }
    } finally {
      await terminate(program, transport);
    }
  });
});

/** Connects, writes `data`, resolves with everything received once the server closes. */
function probe(port: number, data: string): Deferred<string> {
  const done = new Deferred<string>();
  let text = "";
  class Probe extends Protocol {
    override connectionMade(): void {
      this.transport.write(new TextEncoder().encode(data));
    }
    override dataReceived(chunk: Uint8Array): void {
      text += new TextDecoder().decode(chunk);
    }
    override connectionLost(): void {
      if (!done.called) done.callback(text);
    }
  }
  const factory = ClientFactory.forProtocol(Probe);
  factory.noisy = false;
  reactor.connectTCP("127.0.0.1", port, factory);
  return done.addTimeout(20, reactor);
}

describe("tw xmpp-router against raw probes", () => {
  it("answers bad XML with a stream error and closes, and keeps serving", async () => {
    const [program, transport] = start(CURRENT, [
      "xmpp-router",
      "--port",
      "tcp:0:interface=127.0.0.1",
    ]);
    try {
      const port = await program.port();
      const header = "<stream:stream xmlns='jabber:component:accept' " +
        "xmlns:stream='http://etherx.jabber.org/streams' to='c.localhost'>";
      const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
        `<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`;
      const cases: [string, string][] = [
        [laughs, "restricted-xml"],
        [header + "<!-- hello -->", "restricted-xml"],
        [header + "<?pi x?>", "restricted-xml"],
        [header + "<a>".repeat(200_000), "policy-violation"],
        [
          header + "<m" + Array.from({ length: 100_000 }, (_, i) => ` a${i}='1'`).join("") + "/>",
          "policy-violation",
        ],
        [header + "<m>" + "x".repeat(2 << 20), "policy-violation"],
        [header + "<m>\u0000</m>", "not-well-formed"],
        ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not-well-formed"],
      ];
      for (const [data, condition] of cases) {
        const text = await probe(port, data);
        assert.match(text, new RegExp(`<stream:error><${condition} `), data.slice(0, 80));
        assert.match(text, /<\/stream:stream>$/);
      }
    } finally {
      await terminate(program, transport);
    }
    assert.equal(program.exitCode, 0, program.err);
  });
});

describe("our components through twistd xmpp-router", () => {
  it("authenticate and exchange messages", {
    skip: skipIf(HAVE_TWISTED, "python3-twisted"),
  }, async () => {
    const port = await freePort();
    const peer = new LinePeer();
    peer.port.addErrback(() => {});
    const twistd = reactor.spawnProcess(peer, "/usr/bin/twistd3", [
      "twistd3",
      "-n",
      "--pidfile=",
      "xmpp-router",
      "--port",
      `tcp:${port}:interface=127.0.0.1`,
      "--secret",
      "s3cret",
    ]);
    try {
      await peer.waitFor(/XMPPComponentServerFactory starting on/);
      const a = await ours(port, "a.localhost", "s3cret");
      const b = await ours(port, "b.localhost", "s3cret");
      const got = new Deferred<domish.Element>();
      b.xs.addOnetimeObserver("/message", (m: domish.Element) => got.callback(m));
      const m = new domish.Element([null, "message"]);
      m.setAttribute("from", "x@a.localhost");
      m.setAttribute("to", "y@b.localhost");
      m.addElement("body", null, "through twisted");
      a.xs.send(m);
      const received = await got.addTimeout(10, reactor);
      assert.equal(String(received.child("body")), "through twisted");
      assert.equal(received.getAttribute("from"), "x@a.localhost");
      await a.close();
      await b.close();
    } finally {
      if (!peer.ended.called) twistd.signalProcess("TERM");
      await peer.ended.addTimeout(10, reactor);
    }
  });
});
