// Interop of @tw/core/spread's Banana with Twisted's own (Debian
// python3-twisted, run by /usr/bin/python3 through tests/interop/pb_banana_peer.py):
// our client negotiates the pb dialect with a Twisted Banana server over TCP
// and gets its expressions (vocabulary, long integers, floats, nesting) echoed;
// a Twisted Banana client does the same against our server.
// Without Twisted the tests are skipped, except under CI (CI=true), where they fail.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  ClientCreator,
  Deferred,
  Factory,
  type Failure,
  type IPv4Address,
  ProcessProtocol,
  type ProcessTransport,
  reactor,
} from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { Banana, type BananaValue } from "../../src/spread/banana.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PYTHON = "/usr/bin/python3";
const PEER = fileURLToPath(new URL("pb_banana_peer.py", import.meta.url));
const CI = process.env.CI === "true";
const HAVE_PEER =
  spawnSync(PYTHON, ["-c", "import twisted.spread.banana"], { stdio: "ignore" }).status === 0;
const SKIP = HAVE_PEER || CI
  ? false
  : "no Twisted for /usr/bin/python3: install Debian's python3-twisted package " +
    "(apt-get install -y python3-twisted)";
const decoder = new TextDecoder();
const te = new TextEncoder();

class PythonPeer extends ProcessProtocol {
  out = "";
  err = "";
  ended = new Deferred<void>();
  firstLine = new Deferred<string>();
  override outReceived(data: Uint8Array): void {
    this.out += decoder.decode(data);
    if (!this.firstLine.called && this.out.includes("\n")) this.firstLine.callback(this.out);
  }
  override errReceived(data: Uint8Array): void {
    this.err += decoder.decode(data);
  }
  override processEnded(_reason: Failure): void {
    if (!this.firstLine.called) this.firstLine.callback(this.out);
    this.ended.callback(undefined);
  }
}

class Client extends Banana {
  ready = new Deferred<void>();
  got = new Deferred<BananaValue>();
  lost = new Deferred<void>();
  override connectionReady(): void {
    this.ready.callback(undefined);
  }
  override expressionReceived(value: BananaValue): void {
    this.got.callback(value);
  }
  override connectionLost(_reason: Failure): void {
    this.lost.callback(undefined);
  }
}

const timeout = <T>(d: PromiseLike<T>, seconds = 20): Deferred<T> =>
  Deferred.fromPromise(d).addTimeout(seconds, reactor);

describe("Banana with Twisted", { timeout: 60_000 }, () => {
  it("negotiates pb with a Twisted server and gets expressions echoed", {
    skip: SKIP,
  }, async () => {
    const peer = new PythonPeer();
    const transport: ProcessTransport = reactor.spawnProcess(peer, PYTHON, [
      PYTHON,
      PEER,
      "server",
    ]);
    try {
      const first = await timeout(peer.firstLine);
      const match = /PORT (\d+)/.exec(first);
      assert.ok(match, `no port announced: ${first} ${peer.err}`);
      const client = await timeout(
        new ClientCreator(reactor, Client).connectTCP("127.0.0.1", Number(match[1])),
      );
      await timeout(client.ready);
      assert.equal(client.currentDialect, "pb");
      const sent: BananaValue = [
        "decref",
        "not_logged_in",
        "plain",
        0,
        -(2 ** 31),
        2 ** 31,
        2n ** 447n,
        -(2n ** 100n),
        1.25,
        [[], [new Uint8Array([0, 255])]],
      ];
      client.sendEncoded(sent);
      const got = await timeout(client.got);
      assert.deepEqual(got, [
        te.encode("decref"),
        te.encode("not_logged_in"),
        te.encode("plain"),
        0,
        -(2 ** 31),
        2 ** 31,
        2n ** 447n,
        -(2n ** 100n),
        1.25,
        [[], [new Uint8Array([0, 255])]],
      ]);
      client.transport.loseConnection();
      await timeout(client.lost);
      await timeout(peer.ended);
      // Read once the peer ended: its stderr line races the echo over TCP.
      assert.match(peer.err, /got \[b'decref', b'not_logged_in', b'plain', 0, -2147483648/);
    } finally {
      if (!peer.ended.called) {
        transport.signalProcess("KILL");
        await timeout(peer.ended);
      }
    }
  });

  it("serves a Twisted Banana client", { skip: SKIP }, async () => {
    class Echo extends Banana {
      override expressionReceived(value: BananaValue): void {
        this.sendEncoded(value);
      }
    }
    const factory = new Factory();
    factory.buildProtocol = () => {
      const p = new Echo({ isClient: false });
      p.factory = factory;
      return p;
    };
    const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
    await port.whenListening();
    const peer = new PythonPeer();
    const address = port.getHost() as IPv4Address;
    const transport: ProcessTransport = reactor.spawnProcess(peer, PYTHON, [
      PYTHON,
      PEER,
      "client",
      String(address.port),
    ]);
    try {
      await timeout(peer.ended);
      assert.equal(
        peer.out.trim(),
        `DIALECT pb GOT [b'decref', ${2n ** 300n}, -5, 0.5, [b'x', []]]`,
        peer.err,
      );
    } finally {
      if (!peer.ended.called) {
        transport.signalProcess("KILL");
        await timeout(peer.ended);
      }
      await port.stopListening();
    }
  });
});
