// The conformance suite through the public API: `reactor` (the one selected
// for this runtime, or the node adapter with TW_RUNTIME=node), protocols,
// factories and endpoints over real sockets on loopback, real processes and
// real TLS. Every case is bounded in time and closes what it opens.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CannotListenError,
  ClientFactory,
  clientFromString,
  ConnectionDone,
  ConnectionRefusedError,
  DatagramProtocol,
  Deferred,
  DNSLookupError,
  Factory,
  type Failure,
  type IConnector,
  type IListeningPort,
  type IPv4Address,
  ProcessDone,
  ProcessProtocol,
  ProcessTerminated,
  Protocol,
  reactor,
  ReconnectingClientFactory,
  serverFromString,
} from "../../mod.ts";
import type { DatagramAddress } from "../../src/internet/protocol.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

// Over real sockets: the server side of a connection closes a moment after the client.
trackLeaks({ beforeEach, afterEach }, { settle: 2000 });

const TIMEOUT = 20_000;
const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), "utf8");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Waits, bounded, until `cond()` holds. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** FNV-1a over bytes, folded across chunks. */
function fnv(hash: number, data: Uint8Array): number {
  let h = hash;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 16777619) >>> 0;
  return h;
}
const FNV_START = 2166136261;

function portOf(port: IListeningPort): number {
  return (port.getHost() as IPv4Address).port;
}

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

/** A client that sends `payload`, collects the echo and closes when it has it all. */
class EchoCheck extends Protocol {
  payload: Uint8Array = new Uint8Array();
  received = 0;
  hash = FNV_START;
  done = new Deferred<number>();
  override connectionMade(): void {
    this.transport.write(this.payload);
  }
  override dataReceived(data: Uint8Array): void {
    this.received += data.byteLength;
    this.hash = fnv(this.hash, data);
    if (this.received >= this.payload.byteLength) this.transport.loseConnection();
  }
  override connectionLost(reason: Failure): void {
    if (reason.check(ConnectionDone)) this.done.callback(this.hash);
    else this.done.errback(reason);
  }
}

function echoCheckFactory(payload: Uint8Array): ClientFactory & { protocols: EchoCheck[] } {
  const f = new ClientFactory() as ClientFactory & { protocols: EchoCheck[] };
  f.noisy = false;
  f.protocols = [];
  f.buildProtocol = () => {
    const p = new EchoCheck();
    p.payload = payload;
    f.protocols.push(p);
    return p;
  };
  f.clientConnectionFailed = (_c: IConnector, reason: Failure) => {
    const p = new EchoCheck();
    f.protocols.push(p);
    p.done.errback(reason);
  };
  return f;
}

function quietFactory(protocol: new () => Protocol): Factory {
  const f = Factory.forProtocol(protocol);
  f.noisy = false;
  return f;
}

function pattern(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + 3) % 251;
  return data;
}

describe(`the reactor over the ${reactor.runtime.name} adapter`, { timeout: 60_000 }, () => {
  it("echoes 64 MiB through a protocol, verified by checksum", { timeout: TIMEOUT }, async () => {
    const port = reactor.listenTCP(0, quietFactory(Echo), { interface: "127.0.0.1" });
    await port.whenListening();
    try {
      const payload = pattern(64 * 1024 * 1024);
      const factory = echoCheckFactory(payload);
      reactor.connectTCP("127.0.0.1", portOf(port), factory);
      await until(() => factory.protocols.length === 1);
      const hash = await factory.protocols[0].done;
      assert.equal(factory.protocols[0].received, payload.byteLength);
      assert.equal(hash, fnv(FNV_START, payload));
    } finally {
      await port.stopListening();
    }
  });

  it("serves 1,000 concurrent connections", { timeout: TIMEOUT }, async () => {
    const port = reactor.listenTCP(0, quietFactory(Echo), {
      interface: "127.0.0.1",
      backlog: 1024,
    });
    await port.whenListening();
    try {
      const factories: ReturnType<typeof echoCheckFactory>[] = [];
      for (let i = 0; i < 1000; i++) {
        const f = echoCheckFactory(encoder.encode(`connection ${i}\n`));
        reactor.connectTCP("127.0.0.1", portOf(port), f);
        factories.push(f);
      }
      await until(() => factories.every((f) => f.protocols.length === 1), 15_000);
      const hashes = await Promise.all(factories.map((f) => f.protocols[0].done));
      hashes.forEach((hash, i) => {
        assert.equal(hash, fnv(FNV_START, encoder.encode(`connection ${i}\n`)));
      });
    } finally {
      await port.stopListening();
    }
  });

  it("echoes over TLS with a verified certificate, and refuses a wrong host name", {
    timeout: TIMEOUT,
  }, async () => {
    const port = reactor.listenSSL(0, quietFactory(Echo), {
      cert: fixture("server.pem"),
      key: fixture("server.key"),
    }, { interface: "127.0.0.1" });
    await port.whenListening();
    try {
      const ok = echoCheckFactory(encoder.encode("secret"));
      reactor.connectSSL("localhost", portOf(port), ok, { ca: fixture("ca.pem") });
      await until(() => ok.protocols.length === 1);
      assert.equal(await ok.protocols[0].done, fnv(FNV_START, encoder.encode("secret")));

      const wrongName = echoCheckFactory(encoder.encode("x"));
      reactor.connectSSL("127.0.0.1", portOf(port), wrongName, {
        ca: fixture("ca.pem"),
        serverName: "example.com",
      });
      await until(() => wrongName.protocols.length === 1);
      await assert.rejects(async () => await wrongName.protocols[0].done);
    } finally {
      await port.stopListening();
    }
  });

  it("reports a refused connection and an unknown host with Twisted's errors", {
    timeout: TIMEOUT,
  }, async () => {
    const port = reactor.listenTCP(0, quietFactory(Echo), { interface: "127.0.0.1" });
    await port.whenListening();
    const closedPort = portOf(port);
    await port.stopListening();

    const refused = echoCheckFactory(new Uint8Array(1));
    reactor.connectTCP("127.0.0.1", closedPort, refused);
    await until(() => refused.protocols.length === 1);
    await assert.rejects(async () => await refused.protocols[0].done, ConnectionRefusedError);

    const unknown = echoCheckFactory(new Uint8Array(1));
    reactor.connectTCP("no-such-host.invalid", 80, unknown);
    await until(() => unknown.protocols.length === 1);
    await assert.rejects(async () => await unknown.protocols[0].done, DNSLookupError);
  });

  it("reconnects with ReconnectingClientFactory when the server comes back", {
    timeout: TIMEOUT,
  }, async () => {
    let port = reactor.listenTCP(0, quietFactory(Echo), { interface: "127.0.0.1" });
    await port.whenListening();
    const portNumber = portOf(port);
    const connections: Protocol[] = [];
    class Counting extends Protocol {
      override connectionMade(): void {
        connections.push(this);
        factory.resetDelay();
      }
    }
    const factory = new ReconnectingClientFactory();
    factory.noisy = false;
    factory.protocol = Counting;
    factory.initialDelay = 0.05;
    factory.maxDelay = 0.2;
    factory.jitter = 0;
    try {
      reactor.connectTCP("127.0.0.1", portNumber, factory);
      await until(() => connections.length === 1);
      await port.stopListening();
      connections[0].transport.loseConnection();
      // Attempts fail while nothing listens, then one succeeds.
      await new Promise((resolve) => setTimeout(resolve, 300));
      port = reactor.listenTCP(portNumber, quietFactory(Echo), { interface: "127.0.0.1" });
      await port.whenListening();
      await until(() => connections.length === 2);
    } finally {
      factory.stopTrying();
      for (const p of connections) p.transport.abortConnection();
      await port.stopListening();
    }
  });

  it("echoes a datagram over UDP", { timeout: TIMEOUT }, async () => {
    class UDPEcho extends DatagramProtocol {
      override datagramReceived(data: Uint8Array, addr: DatagramAddress): void {
        this.transport!.write(data, addr);
      }
    }
    const received: string[] = [];
    class UDPClient extends DatagramProtocol {
      override datagramReceived(data: Uint8Array): void {
        received.push(decoder.decode(data));
      }
    }
    const server = reactor.listenUDP(0, new UDPEcho(), { interface: "127.0.0.1" });
    const client = reactor.listenUDP(0, new UDPClient(), { interface: "127.0.0.1" });
    try {
      await server.whenListening();
      await client.whenListening();
      const target: DatagramAddress = ["127.0.0.1", portOf(server)];
      // UDP may drop: resend until the echo arrives (bounded).
      for (let i = 0; i < 50 && received.length === 0; i++) {
        client.write(encoder.encode("ping"), target);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(received[0], "ping");
    } finally {
      await client.stopListening();
      await server.stopListening();
    }
  });

  it("runs a process: stdin to stdout, stderr, exit codes and signals", {
    timeout: TIMEOUT,
  }, async () => {
    class Collect extends ProcessProtocol {
      out = "";
      err = "";
      reason: Failure | null = null;
      ended = new Deferred<void>();
      override outReceived(data: Uint8Array): void {
        this.out += decoder.decode(data);
      }
      override errReceived(data: Uint8Array): void {
        this.err += decoder.decode(data);
      }
      override processEnded(reason: Failure): void {
        this.reason = reason;
        this.ended.callback(undefined);
      }
    }
    const cat = new Collect();
    const catTransport = reactor.spawnProcess(cat, "cat", ["cat"]);
    catTransport.write(encoder.encode("round trip\n"));
    catTransport.closeStdin();
    await cat.ended;
    assert.ok(cat.reason?.check(ProcessDone));
    assert.equal(cat.out, "round trip\n");

    const failing = new Collect();
    reactor.spawnProcess(failing, "sh", ["sh", "-c", "echo oops >&2; exit 3"]);
    await failing.ended;
    assert.ok(failing.reason?.check(ProcessTerminated));
    assert.equal((failing.reason!.value as ProcessTerminated).exitCode, 3);
    assert.equal(failing.err, "oops\n");

    const sleeper = new Collect();
    const sleeping = reactor.spawnProcess(sleeper, "sleep", ["sleep", "10"]);
    sleeping.signalProcess("TERM");
    await sleeper.ended;
    assert.ok(sleeper.reason?.check(ProcessTerminated));
    assert.equal((sleeper.reason!.value as ProcessTerminated).signal, "SIGTERM");
  });

  it("listens and connects through endpoint strings", { timeout: TIMEOUT }, async () => {
    const server = serverFromString(reactor, "tcp:0:interface=127.0.0.1");
    const port = await server.listen(quietFactory(Echo));
    try {
      const client = clientFromString(reactor, `tcp:host=127.0.0.1:port=${portOf(port)}`);
      const factory = echoCheckFactory(encoder.encode("via strings"));
      const protocol = await client.connect(factory) as EchoCheck;
      assert.equal(await protocol.done, fnv(FNV_START, encoder.encode("via strings")));
    } finally {
      await port.stopListening();
    }
  });

  it(
    "replaces a stale Unix socket file, but never a regular file",
    { timeout: TIMEOUT },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "tw-unix-"));
      try {
        // A server that died leaves its socket file behind: python binds and exits.
        const stale = join(dir, "stale.sock");
        const binder = new (class extends ProcessProtocol {
          ended = new Deferred<void>();
          override processEnded(): void {
            this.ended.callback(undefined);
          }
        })();
        reactor.spawnProcess(binder, "python3", [
          "python3",
          "-c",
          "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])",
          stale,
        ]);
        await binder.ended;
        assert.ok(existsSync(stale));
        const port = reactor.listenUNIX(stale, quietFactory(Echo));
        await port.whenListening();
        const factory = echoCheckFactory(encoder.encode("unix"));
        reactor.connectUNIX(stale, factory);
        await until(() => factory.protocols.length === 1);
        assert.equal(await factory.protocols[0].done, fnv(FNV_START, encoder.encode("unix")));
        await port.stopListening();

        const regular = join(dir, "regular");
        writeFileSync(regular, "keep me");
        const refused = reactor.listenUNIX(regular, quietFactory(Echo));
        await assert.rejects(async () => await refused.whenListening(), CannotListenError);
        assert.equal(readFileSync(regular, "utf8"), "keep me");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
