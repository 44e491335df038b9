// Interop with Prosody (Debian's prosody + lua-sec), run in the foreground from a temporary
// config on free loopback ports with the test certificates: our client with STARTTLS verified
// against the test CA, then SCRAM-SHA-1, SCRAM-SHA-256 (password_hash) or PLAIN (SCRAM turned
// off), resource binding, a message to itself and an IQ to the server; a wrong password; and
// our XEP-0114 component on Prosody's component port, exchanging messages with our client.
// Without Prosody the tests are skipped, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Deferred, type Failure, type IConnector, reactor } from "../../../mod.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { client, component, jid, sasl, xmlstream } from "../../../src/words/jabber/mod.ts";
import { domish } from "../../../src/words/xish/mod.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const CI = process.env.CI === "true";
const TLS_DIR = fileURLToPath(new URL("../../fixtures/tls", import.meta.url));
const HAVE_PROSODY = spawnSync("prosodyctl", ["about"], { stdio: "ignore" }).status !== null &&
  spawnSync("sh", ["-c", "command -v prosody"], { stdio: "ignore" }).status === 0;
const skip = HAVE_PROSODY || CI
  ? false
  : "peer missing: install Debian's prosody (apt-get install -y prosody lua-sec)";
const CA = readFileSync(join(TLS_DIR, "ca.pem"), "utf8");

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

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

interface Prosody {
  c2s: number;
  components: number;
}

async function withProsody(extra: string, fn: (p: Prosody) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tw-prosody-"));
  mkdirSync(join(dir, "data"));
  const c2s = await freePort();
  const components = await freePort();
  const config = join(dir, "prosody.cfg.lua");
  writeFileSync(
    config,
    `daemonize = false
run_as_root = true
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
certificates = "${dir}"
log = { { levels = { min = "info" }, to = "console" } }
c2s_ports = { ${c2s} }
c2s_interfaces = { "127.0.0.1" }
component_ports = { ${components} }
component_interfaces = { "127.0.0.1" }
s2s_ports = {}
http_ports = {}
https_ports = {}
c2s_direct_tls_ports = {}
s2s_direct_tls_ports = {}
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "version" }
modules_disabled = { "s2s", "admin_shell", "posix" }
authentication = "internal_hashed"
c2s_require_encryption = true
ssl = { key = "${TLS_DIR}/server.key", certificate = "${TLS_DIR}/server.pem" }
${extra}
VirtualHost "localhost"
Component "echo.localhost"
  component_secret = "s3cret"
`,
  );
  const reg = spawnSync("prosodyctl", [
    "--config",
    config,
    "register",
    "juliet",
    "localhost",
    "secret",
  ], {
    encoding: "utf8",
  });
  if (reg.status !== 0) throw new Error(`prosodyctl register failed: ${reg.stdout} ${reg.stderr}`);
  const child: ChildProcess = spawn("prosody", ["--config", config], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const exited = new Promise((r) => child.once("exit", r));
  try {
    for (let i = 0; i < 100 && !(await probe(c2s) && await probe(components)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await fn({ c2s, components });
  } catch (error) {
    throw new Error(`${(error as Error).stack}\n--- prosody log ---\n${log}`);
  } finally {
    child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Connects a factory, resolves with the stream once STREAM_AUTHD_EVENT fires. */
function connectAndAuth(
  factory: xmlstream.XmlStreamFactory,
  port: number,
): [Deferred<xmlstream.XmlStream>, IConnector] {
  factory.maxRetries = 0;
  factory.noisy = false;
  const d = new Deferred<xmlstream.XmlStream>();
  factory.addBootstrap(xmlstream.STREAM_AUTHD_EVENT, (xs: xmlstream.XmlStream) => {
    if (!d.called) d.callback(xs);
  });
  factory.addBootstrap(xmlstream.INIT_FAILED_EVENT, (f: Failure) => {
    if (!d.called) d.errback(f);
  });
  factory.addBootstrap(xmlstream.STREAM_END_EVENT, (f: Failure) => {
    if (!d.called) d.errback(f);
  });
  const connector = reactor.connectTCP("127.0.0.1", port, factory);
  return [d.addTimeout(20, reactor), connector];
}

async function close(factory: xmlstream.XmlStreamFactory, xs: xmlstream.XmlStream): Promise<void> {
  factory.stopTrying();
  const ended = new Deferred<void>();
  xs.addObserver(xmlstream.STREAM_END_EVENT, () => ended.callback(undefined));
  xs.sendFooter();
  await ended.addTimeout(10, reactor);
}

function nextStanza(xs: xmlstream.XmlStream, query: string): Deferred<domish.Element> {
  const d = new Deferred<domish.Element>();
  xs.addOnetimeObserver(query, (el: domish.Element) => d.callback(el));
  return d.addTimeout(10, reactor);
}

async function loginAndTalk(p: Prosody, expectMechanism: string): Promise<void> {
  const factory = client.XMPPClientFactory(new jid.JID("juliet@localhost/balcony"), "secret", {
    configurationForTLS: { ca: CA },
  });
  let mechanism = "";
  factory.addBootstrap(xmlstream.STREAM_CONNECTED_EVENT, (xs: xmlstream.XmlStream) => {
    xs.rawDataOutFn = (data) => {
      const m = /<auth [^>]*mechanism='([^']+)'/.exec(new TextDecoder().decode(data));
      if (m) mechanism = m[1];
    };
  });
  const [authd] = connectAndAuth(factory, p.c2s);
  const xs = await authd;
  assert.equal(mechanism, expectMechanism);
  assert.equal(xs.secure, true);
  const me = (xs.authenticator as client.XMPPAuthenticator).jid;
  assert.equal(me.full(), "juliet@localhost/balcony");
  // a message to our own bare JID comes back to this resource
  const got = nextStanza(xs, "/message[@type='chat']");
  const m = new domish.Element([null, "message"]);
  m.setAttribute("to", "juliet@localhost");
  m.setAttribute("type", "chat");
  m.addElement("body", null, "h\u00e9llo \u{1F600} <&>");
  xs.send("<presence/>");
  xs.send(m);
  assert.equal(String((await got).child("body")), "h\u00e9llo \u{1F600} <&>");
  // an IQ to the server
  const iq = new xmlstream.IQ(xs, "get");
  iq.addElement(["jabber:iq:version", "query"]);
  const result = await iq.send("localhost");
  assert.equal(String(result.child("query")?.child("name")), "Prosody");
  await close(factory, xs);
}

describe("XMPP interop with Prosody", { skip }, () => {
  it("client: STARTTLS (verified) + SCRAM-SHA-1, bind, message, IQ", async () => {
    await withProsody("", (p) => loginAndTalk(p, "SCRAM-SHA-1"));
  });

  it("client: SCRAM-SHA-256 when Prosody hashes with SHA-256", async () => {
    await withProsody(`password_hash = "SHA-256"`, (p) => loginAndTalk(p, "SCRAM-SHA-256"));
  });

  it("client: PLAIN over TLS when SCRAM is off", async () => {
    await withProsody(
      `disable_sasl_mechanisms = { "SCRAM-SHA-1", "SCRAM-SHA-256", "DIGEST-MD5" }`,
      (p) => loginAndTalk(p, "PLAIN"),
    );
  });

  it("client: a wrong password fails with SASLAuthError not-authorized", async () => {
    await withProsody("", async (p) => {
      const factory = client.XMPPClientFactory(new jid.JID("juliet@localhost"), "wrong", {
        configurationForTLS: { ca: CA },
      });
      const [authd, connector] = connectAndAuth(factory, p.c2s);
      await assert.rejects(
        Promise.resolve(authd),
        (e: unknown) => e instanceof sasl.SASLAuthError && e.condition === "not-authorized",
      );
      factory.stopTrying();
      connector.disconnect();
    });
  });

  it("client: an untrusted certificate fails the connection", async () => {
    await withProsody("", async (p) => {
      const factory = client.XMPPClientFactory(new jid.JID("juliet@localhost"), "secret");
      const [authd] = connectAndAuth(factory, p.c2s);
      await assert.rejects(Promise.resolve(authd));
      factory.stopTrying();
    });
  });

  it("component: our XEP-0114 component on Prosody's component port talks to our client", async () => {
    await withProsody("", async (p) => {
      const compFactory = component.componentFactory("echo.localhost", "s3cret");
      const [compAuthd] = connectAndAuth(compFactory, p.components);
      const comp = await compAuthd;
      comp.addObserver("/message", (m: domish.Element) => {
        const reply = new domish.Element([null, "message"]);
        reply.setAttribute("from", m.getAttribute("to")!);
        reply.setAttribute("to", m.getAttribute("from")!);
        reply.setAttribute("type", "chat");
        reply.addElement("body", null, `echo: ${String(m.child("body"))}`);
        comp.send(reply);
      });
      const factory = client.XMPPClientFactory(new jid.JID("juliet@localhost/c"), "secret", {
        configurationForTLS: { ca: CA },
      });
      const [authd] = connectAndAuth(factory, p.c2s);
      const xs = await authd;
      const got = nextStanza(xs, "/message");
      const m = new domish.Element([null, "message"]);
      m.setAttribute("to", "bot@echo.localhost");
      m.setAttribute("type", "chat");
      m.addElement("body", null, "ping");
      xs.send(m);
      const reply = await got;
      assert.equal(reply.getAttribute("from"), "bot@echo.localhost");
      assert.equal(String(reply.child("body")), "echo: ping");
      await close(factory, xs);
      await close(compFactory, comp);
    });
  });

  it("component: a wrong secret is refused", async () => {
    await withProsody("", async (p) => {
      const compFactory = component.componentFactory("echo.localhost", "wrong");
      const [compAuthd] = connectAndAuth(compFactory, p.components);
      await assert.rejects(Promise.resolve(compAuthd));
      compFactory.stopTrying();
    });
  });
});
