import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  clientFromString,
  HostnameEndpoint,
  type IStreamClientEndpoint,
  registerClientParser,
  registerServerParser,
  serverFromString,
  SSL4ClientEndpoint,
  SSL4ServerEndpoint,
  TCP4ClientEndpoint,
  TCP4ServerEndpoint,
  TCP6ClientEndpoint,
  TCP6ServerEndpoint,
  UNIXClientEndpoint,
  UNIXServerEndpoint,
} from "../../src/internet/endpoints.ts";
import { parseDescription } from "../../src/internet/_endpoints_parse.ts";
import { pemBlocks } from "../../src/internet/_endpoints_strings.ts";
import { Factory, Protocol } from "../../src/internet/protocol.ts";
import { CannotListenError, NotSupportedError } from "../../src/internet/error.ts";
import type { TlsOptions } from "../../src/internet/socket.ts";
import { FakeReactor, outcome } from "./_endpoints_fakes.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const factory = (): Factory => Factory.forProtocol(Protocol);

const KEY = "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----";
const CERT = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----";
const CHAIN = "-----BEGIN CERTIFICATE-----\nQ0hBSU4=\n-----END CERTIFICATE-----";
const CA1 = "-----BEGIN CERTIFICATE-----\nQ0Ex\n-----END CERTIFICATE-----";
const CA2 = "-----BEGIN CERTIFICATE-----\nQ0Ey\n-----END CERTIFICATE-----";

/** An in-memory file system for the readFile / readDir options. */
function files(entries: Record<string, string>, dirs: Record<string, string[]> = {}) {
  const read: string[] = [];
  return {
    read,
    readFile(path: string): Promise<Uint8Array> {
      read.push(path);
      if (!(path in entries)) return Promise.reject(new Error(`ENOENT: ${path}`));
      return Promise.resolve(new TextEncoder().encode(entries[path]));
    },
    readDir(path: string): Promise<string[]> {
      if (!(path in dirs)) return Promise.reject(new Error(`ENOTDIR: ${path}`));
      return Promise.resolve(dirs[path]);
    },
  };
}

/** Listens through a server description and returns the reactor's record. */
function listen(description: string): FakeReactor {
  const reactor = new FakeReactor();
  serverFromString(reactor, description).listen(factory());
  return reactor;
}

describe("the description syntax", () => {
  it("splits on colons into a type, positional and keyword arguments", () => {
    const parsed = parseDescription("tcp:8080:interface=127.0.0.1:backlog=5");
    assert.equal(parsed.prefix, "tcp");
    assert.deepEqual(parsed.args, ["8080"]);
    assert.deepEqual({ ...parsed.kwargs }, { interface: "127.0.0.1", backlog: "5" });
  });

  it("takes backslash-escaped colons, equals signs and backslashes literally", () => {
    const parsed = parseDescription("unix:C\\:\\\\x\\=y:mode=6\\:6");
    assert.deepEqual(parsed.args, ["C:\\x=y"]);
    assert.equal(parsed.kwargs.mode, "6:6");
  });

  it("keeps an equals sign after the first one in the value", () => {
    assert.equal(
      parseDescription("tls:h:1:endpoint=tcp\\:host=a\\:port=2").kwargs.endpoint,
      "tcp:host=a:port=2",
    );
  });

  it("keeps empty arguments", () => {
    assert.deepEqual(parseDescription("x::").args, ["", ""]);
  });

  it("throws SyntaxError for an empty description", () => {
    assert.throws(() => serverFromString(new FakeReactor(), ""), SyntaxError);
  });

  it("throws SyntaxError for a trailing backslash", () => {
    assert.throws(() => serverFromString(new FakeReactor(), "tcp:80\\"), /unfinished escape/);
  });

  it("throws SyntaxError for a description without a type, suggesting tcp: for a number", () => {
    assert.throws(
      () => serverFromString(new FakeReactor(), "8080"),
      (e: Error) => e instanceof SyntaxError && /did you mean "tcp:8080"/.test(e.message),
    );
  });

  it("throws SyntaxError for a parameter given twice or a value without a name", () => {
    assert.throws(() => serverFromString(new FakeReactor(), "tcp:port=1:port=2"), /port twice/);
    assert.throws(() => serverFromString(new FakeReactor(), "tcp:80:=x"), /without a name/);
  });
});

describe("serverFromString()", () => {
  it("tcp:8080 listens on port 8080, all interfaces, backlog 511", () => {
    const reactor = listen("tcp:8080");
    assert.deepEqual(reactor.tcpServers[0].slice(0, 1), [8080]);
    assert.deepEqual(reactor.tcpServers[0].slice(2), [511, ""]);
  });

  it("tcp:port=8080:interface=127.0.0.1:backlog=50 takes keyword arguments", () => {
    const reactor = new FakeReactor();
    const endpoint = serverFromString(reactor, "tcp:port=8080:interface=127.0.0.1:backlog=50");
    assert.ok(endpoint instanceof TCP4ServerEndpoint);
    endpoint.listen(factory());
    assert.deepEqual(reactor.tcpServers[0].slice(2), [50, "127.0.0.1"]);
    assert.equal(reactor.tcpServers[0][0], 8080);
  });

  it("tcp:0 listens on a free port", () => {
    assert.equal(listen("tcp:0").tcpServers[0][0], 0);
  });

  it("tcp takes the interface positionally too, with escaped IPv6 colons", () => {
    assert.equal(listen("tcp:80:\\:\\:1").tcpServers[0][3], "::1");
    assert.equal(listen("tcp:80:interface=\\:\\:1").tcpServers[0][3], "::1");
  });

  it("tcp6:port=0 listens over IPv6 on all interfaces", () => {
    const reactor = new FakeReactor();
    const endpoint = serverFromString(reactor, "tcp6:port=0");
    assert.ok(endpoint instanceof TCP6ServerEndpoint);
    endpoint.listen(factory());
    assert.deepEqual(reactor.tcpServers[0].slice(2), [511, "::"]);
  });

  it("unix:/run/x.sock:mode=660 reads the mode as octal", () => {
    const reactor = new FakeReactor();
    const endpoint = serverFromString(reactor, "unix:/run/x.sock:mode=660");
    assert.ok(endpoint instanceof UNIXServerEndpoint);
    endpoint.listen(factory());
    assert.deepEqual(reactor.unixServers[0].slice(2), [511, 0o660, true]);
    assert.equal(reactor.unixServers[0][0], "/run/x.sock");
  });

  it("unix: takes address= or path=, backlog and lockfile", () => {
    const a = listen("unix:address=/run/a.sock:backlog=5:lockfile=0").unixServers[0];
    assert.deepEqual([a[0], a[2], a[3], a[4]], ["/run/a.sock", 5, 0o666, false]);
    assert.equal(listen("unix:path=/run/b.sock").unixServers[0][0], "/run/b.sock");
  });

  it("ssl: reads nothing when parsing, then the key and certificate files at listen()", async () => {
    const reactor = new FakeReactor();
    const fs = files({ "key.pem": KEY, "cert.pem": CERT });
    const endpoint = serverFromString(
      reactor,
      "ssl:443:privateKey=key.pem:certKey=cert.pem:interface=127.0.0.1",
      fs,
    );
    assert.ok(endpoint instanceof SSL4ServerEndpoint);
    assert.deepEqual(fs.read, []);
    const port = await endpoint.listen(factory());
    assert.equal(port, reactor.ports[0]);
    const [portNumber, , tls, backlog, iface] = reactor.sslServers[0];
    assert.deepEqual([portNumber, backlog, iface], [443, 511, "127.0.0.1"]);
    assert.deepEqual(tls, { key: KEY, cert: CERT });
  });

  it("ssl: timeout=S bounds each client's TLS handshake", async () => {
    const reactor = new FakeReactor();
    const fs = files({ "key.pem": KEY, "cert.pem": CERT });
    await serverFromString(reactor, "ssl:443:privateKey=key.pem:certKey=cert.pem:timeout=2.5", fs)
      .listen(factory());
    assert.deepEqual(reactor.sslServers[0][2], { key: KEY, cert: CERT, handshakeTimeout: 2.5 });
    assert.throws(() => serverFromString(reactor, "ssl:443:timeout=soon", fs), SyntaxError);
  });

  it("ssl: splits one file holding both the key and the certificate, and adds the chain", async () => {
    const reactor = new FakeReactor();
    const fs = files({ "server.pem": `${CERT}\n${KEY}\n`, "chain.pem": CHAIN });
    await serverFromString(reactor, "ssl:443:extraCertChain=chain.pem", fs).listen(factory());
    assert.deepEqual(reactor.sslServers[0][2], { key: KEY, cert: `${CERT}\n${CHAIN}` });
  });

  it("ssl: fails listen() with CannotListenError naming a missing file", async () => {
    const reactor = new FakeReactor();
    const endpoint = serverFromString(reactor, "ssl:443:privateKey=missing.pem", files({}));
    await assert.rejects(
      Promise.resolve(endpoint.listen(factory())),
      (e: Error) => e instanceof CannotListenError && /missing\.pem/.test(e.message),
    );
    assert.equal(reactor.sslServers.length, 0);
  });

  it("ssl: fails listen() when the key file holds no key", async () => {
    const endpoint = serverFromString(
      new FakeReactor(),
      "ssl:443:privateKey=cert.pem",
      files({ "cert.pem": CERT }),
    );
    await assert.rejects(Promise.resolve(endpoint.listen(factory())), /No private key/);
  });

  it("ssl: without a way to read files fails listen() with NotSupportedError as the cause", async () => {
    const endpoint = serverFromString(new FakeReactor(), "ssl:443");
    await assert.rejects(
      Promise.resolve(endpoint.listen(factory())),
      (e: Error) => e instanceof CannotListenError && e.cause instanceof NotSupportedError,
    );
  });

  it("ssl: uses the reactor's runtime.readFile when no reader is given", async () => {
    const reactor = new FakeReactor() as FakeReactor & { runtime: unknown };
    const fs = files({ "server.pem": `${KEY}\n${CERT}` });
    reactor.runtime = { name: "fake", readFile: fs.readFile };
    await serverFromString(reactor, "ssl:443").listen(factory());
    assert.deepEqual(fs.read, ["server.pem", "server.pem"]);
  });

  it("throws TypeError for an unknown type, naming it", () => {
    assert.throws(
      () => serverFromString(new FakeReactor(), "bogus:80"),
      (e: Error) => e instanceof TypeError && /"bogus"/.test(e.message) && /tcp/.test(e.message),
    );
  });

  it("throws TypeError for an unknown parameter, naming it and the accepted ones", () => {
    assert.throws(
      () => serverFromString(new FakeReactor(), "tcp:80:colour=blue"),
      (e: Error) =>
        e instanceof TypeError && /"colour"/.test(e.message) &&
        /port, interface, backlog/.test(e.message),
    );
  });

  it("throws TypeError for a missing port or too many arguments", () => {
    assert.throws(
      () => serverFromString(new FakeReactor(), "tcp:interface=\\:\\:"),
      /Missing port/,
    );
    assert.throws(
      () => serverFromString(new FakeReactor(), "tcp:1:a:2:x"),
      /Too many arguments.*"x"/,
    );
  });

  it("throws SyntaxError naming a bad value and the description", () => {
    assert.throws(
      () => serverFromString(new FakeReactor(), "tcp:http"),
      (e: Error) =>
        e instanceof SyntaxError && /"http"/.test(e.message) && /"tcp:http"/.test(e.message),
    );
    assert.throws(() => serverFromString(new FakeReactor(), "tcp:80:backlog=-1"), SyntaxError);
    assert.throws(() => serverFromString(new FakeReactor(), "unix:/x:mode=999"), /octal/);
    assert.throws(() => serverFromString(new FakeReactor(), "unix:/x:lockfile=maybe"), SyntaxError);
  });

  it("throws RangeError for a port above 65535", () => {
    assert.throws(() => serverFromString(new FakeReactor(), "tcp:65536"), RangeError);
  });
});

describe("clientFromString()", () => {
  it("tcp:host=example.org:port=80:timeout=5 connects with that timeout", () => {
    const reactor = new FakeReactor();
    const endpoint = clientFromString(reactor, "tcp:host=example.org:port=80:timeout=5");
    assert.ok(endpoint instanceof TCP4ClientEndpoint);
    endpoint.connect(factory());
    const [host, port, , timeout, bindAddress] = reactor.tcpClients[0];
    assert.deepEqual([host, port, timeout, bindAddress], ["example.org", 80, 5, undefined]);
  });

  it("tcp takes host and port positionally, and bindAddress as a host", () => {
    const reactor = new FakeReactor();
    clientFromString(reactor, "tcp:example.org:80:bindAddress=10.0.0.1").connect(factory());
    const [host, port, , timeout, bindAddress] = reactor.tcpClients[0];
    assert.deepEqual([host, port, timeout, bindAddress], ["example.org", 80, 30, ["10.0.0.1", 0]]);
  });

  it("tcp6 makes a TCP6ClientEndpoint", () => {
    assert.ok(
      clientFromString(new FakeReactor(), "tcp6:host=\\:\\:1:port=80") instanceof
        TCP6ClientEndpoint,
    );
  });

  it("unix:path=... and unix:PATH connect to the socket file", () => {
    const reactor = new FakeReactor();
    const endpoint = clientFromString(reactor, "unix:path=/run/x.sock");
    assert.ok(endpoint instanceof UNIXClientEndpoint);
    endpoint.connect(factory());
    clientFromString(reactor, "unix:/run/y.sock:timeout=2").connect(factory());
    assert.deepEqual(reactor.unixClients.map((c) => [c[0], c[2]]), [["/run/x.sock", 30], [
      "/run/y.sock",
      2,
    ]]);
  });

  it("throws for a missing host, a bad timeout or an unknown parameter", () => {
    const reactor = new FakeReactor();
    assert.throws(() => clientFromString(reactor, "tcp:port=80"), /Missing host/);
    assert.throws(() => clientFromString(reactor, "tcp:h:80:timeout=soon"), /"soon"/);
    assert.throws(() => clientFromString(reactor, "tcp:h:80:timeout=0"), RangeError);
    assert.throws(() => clientFromString(reactor, "unix:/x:checkPID=1"), /"checkPID"/);
    assert.throws(() => clientFromString(reactor, "tls:h:80:privateKey=k.pem"), /certificate/);
  });

  it("tls:example.org:443 resolves the name, connects and starts verified TLS", async () => {
    const reactor = new FakeReactor();
    reactor.names.set("example.org", ["93.184.216.34"]);
    const endpoint = clientFromString(reactor, "tls:example.org:443");
    const d = endpoint.connect(factory());
    await Promise.resolve(); // the TLS options are produced asynchronously
    assert.deepEqual(reactor.resolved, ["example.org"]);
    assert.deepEqual(reactor.tcpClients.map((c) => [c[0], c[1], c[3]]), [[
      "93.184.216.34",
      443,
      30,
    ]]);
    reactor.connectors[0].succeed();
    const protocol = await d;
    assert.ok(protocol instanceof Protocol);
    const tls: TlsOptions[] = reactor.connectors[0].transport!.tlsStarted;
    assert.equal(tls[0].verify, undefined, "verification stays on (the default)");
    assert.deepEqual(tls, [{ serverName: "example.org", handshakeTimeout: 30 }]);
  });

  it("tls tries every address of the host", async () => {
    const reactor = new FakeReactor();
    reactor.names.set("dual.example", ["2001:db8::1", "192.0.2.1"]);
    clientFromString(reactor, "tls:host=dual.example:port=443:timeout=3").connect(factory());
    await new Promise((resolve) => setTimeout(resolve, 0));
    reactor.connectors[0].fail(new Error("refused"));
    assert.deepEqual(reactor.tcpClients.map((c) => [c[0], c[3]]), [["2001:db8::1", 3], [
      "192.0.2.1",
      3,
    ]]);
  });

  it("tls: trustRoots= reads a PEM file of CA certificates", async () => {
    const reactor = new FakeReactor();
    const fs = files({ "ca.pem": `${CA1}\n${CA2}\n` });
    const d = clientFromString(reactor, "tls:10.0.0.5:8443:trustRoots=ca.pem", fs)
      .connect(factory());
    await new Promise((resolve) => setTimeout(resolve, 0));
    reactor.connectors[0].succeed();
    await d;
    // An IP address is not sent as the server name.
    assert.deepEqual(reactor.connectors[0].transport!.tlsStarted, [{
      ca: [CA1, CA2],
      handshakeTimeout: 30,
    }]);
  });

  it("tls: trustRoots= reads every PEM file of a folder", async () => {
    const reactor = new FakeReactor();
    reactor.names.set("localhost", ["127.0.0.1"]);
    const fs = files(
      { "cas/b.pem": CA2, "cas/a.pem": CA1, "cas/readme.txt": "not a certificate" },
      { cas: ["b.pem", "readme.txt", "a.pem"] },
    );
    const d = clientFromString(reactor, "tls:host=localhost:port=8443:trustRoots=cas", fs)
      .connect(factory());
    await new Promise((resolve) => setTimeout(resolve, 0));
    reactor.connectors[0].succeed();
    await d;
    assert.deepEqual(reactor.connectors[0].transport!.tlsStarted, [{
      serverName: "localhost",
      handshakeTimeout: 30,
      ca: [CA1, CA2],
    }]);
  });

  it("tls: certificate= and privateKey= present a client certificate", async () => {
    const reactor = new FakeReactor();
    reactor.names.set("h.example", ["192.0.2.1"]);
    const fs = files({ "c.pem": CERT, "k.pem": KEY });
    const d = clientFromString(reactor, "tls:h.example:1:certificate=c.pem:privateKey=k.pem", fs)
      .connect(factory());
    await new Promise((resolve) => setTimeout(resolve, 0));
    reactor.connectors[0].succeed();
    await d;
    assert.deepEqual(reactor.connectors[0].transport!.tlsStarted, [{
      serverName: "h.example",
      handshakeTimeout: 30,
      cert: CERT,
      key: KEY,
    }]);
  });

  it("tls: a missing trustRoots file fails connect() naming it, without connecting", async () => {
    const reactor = new FakeReactor();
    const d = clientFromString(reactor, "tls:10.0.0.5:1:trustRoots=nope.pem", files({}))
      .connect(factory());
    await assert.rejects(Promise.resolve(d), /nope\.pem/);
    assert.equal(reactor.tcpClients.length, 0);
  });

  it("tls: endpoint= runs TLS over the connection another description makes", async () => {
    const reactor = new FakeReactor();
    const d = clientFromString(
      reactor,
      "tls:example.org:443:timeout=5:endpoint=unix\\:/run/proxy.sock",
    ).connect(factory());
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(reactor.unixClients[0][0], "/run/proxy.sock");
    reactor.connectors[0].succeed();
    await d;
    assert.deepEqual(reactor.connectors[0].transport!.tlsStarted, [{
      serverName: "example.org",
      handshakeTimeout: 5,
    }]);
  });

  it("ssl: connects with connectSSL, a client certificate and a CA folder", async () => {
    const reactor = new FakeReactor();
    const fs = files({ "both.pem": `${KEY}\n${CERT}`, "cas/a.pem": CA1 }, { cas: ["a.pem"] });
    const endpoint = clientFromString(
      reactor,
      "ssl:example.org:443:certKey=both.pem:caCertsDir=cas",
      fs,
    );
    assert.ok(endpoint instanceof SSL4ClientEndpoint);
    endpoint.connect(factory());
    await new Promise((resolve) => setTimeout(resolve, 0));
    const [host, port, , tls] = reactor.sslClients[0];
    assert.deepEqual([host, port], ["example.org", 443]);
    assert.deepEqual(tls, { serverName: "example.org", cert: CERT, key: KEY, ca: [CA1] });
  });

  it("throws TypeError for an unknown type", () => {
    assert.throws(() => clientFromString(new FakeReactor(), "carrier-pigeon:x"), TypeError);
  });
});

describe("registerServerParser() and registerClientParser()", () => {
  it("add a server endpoint type, called with the reactor and the arguments", () => {
    const reactor = new FakeReactor();
    const seen: unknown[] = [];
    const unregister = registerServerParser("local", (r, args, kwargs) => {
      seen.push(r, args, kwargs);
      return new TCP4ServerEndpoint(r, Number(args[0]), { interface: "127.0.0.1" });
    });
    try {
      serverFromString(reactor, "local:8080:flag=a\\:b").listen(factory());
      assert.deepEqual(seen, [reactor, ["8080"], { flag: "a:b" }]);
      assert.deepEqual(reactor.tcpServers[0].slice(2), [511, "127.0.0.1"]);
    } finally {
      unregister();
    }
    assert.throws(() => serverFromString(reactor, "local:8080"), /Unknown server endpoint type/);
  });

  it("add a client endpoint type, which may build on the others", () => {
    const reactor = new FakeReactor();
    const unregister = registerClientParser(
      "db",
      (r, args, _kwargs, options): IStreamClientEndpoint =>
        clientFromString(r, `tcp:${args[0]}:5432`, options),
    );
    try {
      clientFromString(reactor, "db:10.0.0.9").connect(factory());
      assert.deepEqual(reactor.tcpClients.map((c) => [c[0], c[1]]), [["10.0.0.9", 5432]]);
    } finally {
      unregister();
    }
  });

  it("refuse a type registered twice, a built-in type and a malformed prefix", () => {
    const parser = () => new TCP4ServerEndpoint(new FakeReactor(), 0);
    const unregister = registerServerParser("twice", parser);
    try {
      assert.throws(() => registerServerParser("twice", parser), /already registered/);
    } finally {
      unregister();
    }
    assert.throws(() => registerServerParser("tcp", parser), TypeError);
    assert.throws(
      () => registerClientParser("tls", () => new HostnameEndpoint(new FakeReactor(), "h", 1)),
      TypeError,
    );
    assert.throws(() => registerServerParser("a:b", parser), /Invalid endpoint type/);
    assert.throws(() => registerServerParser("", parser), /Invalid endpoint type/);
  });

  it("keep server and client types apart", () => {
    const unregister = registerServerParser(
      "srvonly",
      () => new TCP4ServerEndpoint(new FakeReactor(), 0),
    );
    try {
      assert.throws(() => clientFromString(new FakeReactor(), "srvonly:x"), TypeError);
    } finally {
      unregister();
    }
  });
});

describe("pemBlocks()", () => {
  it("picks the blocks with the wanted labels, in order", () => {
    const rsa = "-----BEGIN RSA PRIVATE KEY-----\nUlNB\n-----END RSA PRIVATE KEY-----";
    const text = `junk\n${CERT}\n${rsa}\n${CHAIN}\n`;
    assert.deepEqual(pemBlocks(text, (l) => l === "CERTIFICATE"), [CERT, CHAIN]);
    assert.deepEqual(pemBlocks(text, (l) => l.endsWith("PRIVATE KEY")), [rsa]);
  });
});

describe("a connect() through a description", () => {
  it("fires with the protocol once the fake connection completes", () => {
    const reactor = new FakeReactor();
    const result = outcome(clientFromString(reactor, "tcp:10.0.0.1:80").connect(factory()));
    reactor.connectors[0].succeed();
    assert.ok(result.result instanceof Protocol);
  });
});
