// Interop with Twisted itself (Debian's python3-twisted, run by /usr/bin/python3,
// installed by .ci/run): a Twisted client talks to our echo server, and our
// client talks to a Twisted echo server. Both over loopback, bounded in time;
// the Python processes are ours, started and ended through spawnProcess.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  ClientFactory,
  ConnectionDone,
  Deferred,
  Factory,
  type Failure,
  type IPv4Address,
  ProcessProtocol,
  type ProcessTransport,
  Protocol,
  reactor,
} from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const PYTHON = "/usr/bin/python3";
const script = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
const decoder = new TextDecoder();

function pattern(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + 3) % 251;
  return data;
}

/** Runs a Python script, collecting its output; `ended` fires with its exit code. */
class PythonPeer extends ProcessProtocol {
  out = "";
  err = "";
  exitCode: number | null = null;
  ended = new Deferred<void>();
  lines = new Deferred<string>();
  override outReceived(data: Uint8Array): void {
    this.out += decoder.decode(data);
    if (!this.lines.called && this.out.includes("\n")) this.lines.callback(this.out);
  }
  override errReceived(data: Uint8Array): void {
    this.err += decoder.decode(data);
  }
  override processEnded(reason: Failure): void {
    this.exitCode = (reason.value as { exitCode?: number | null }).exitCode ?? null;
    if (!this.lines.called) this.lines.callback(this.out);
    this.ended.callback(undefined);
  }
}

function withTimeout<T>(d: Deferred<T>, seconds: number): Deferred<T> {
  return d.addTimeout(seconds, reactor);
}

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

describe("interop with Twisted (python3-twisted)", { timeout: 60_000 }, () => {
  it("serves a Twisted client from our echo server", { timeout: 30_000 }, async () => {
    const factory = Factory.forProtocol(Echo);
    factory.noisy = false;
    const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
    await port.whenListening();
    const peer = new PythonPeer();
    try {
      const size = 1024 * 1024;
      const portNumber = (port.getHost() as IPv4Address).port;
      reactor.spawnProcess(peer, PYTHON, [
        PYTHON,
        script("twisted_echo_client.py"),
        String(portNumber),
        String(size),
      ]);
      await withTimeout(peer.ended, 25);
      assert.equal(peer.out.trim(), `OK ${size}`, peer.err);
      assert.equal(peer.exitCode, 0);
    } finally {
      await port.stopListening();
    }
  });

  it("talks to a Twisted echo server from our client", { timeout: 30_000 }, async () => {
    const peer = new PythonPeer();
    const transport: ProcessTransport = reactor.spawnProcess(peer, PYTHON, [
      PYTHON,
      script("twisted_echo_server.py"),
    ]);
    try {
      const first = await withTimeout(peer.lines, 20);
      const match = /PORT (\d+)/.exec(first);
      assert.ok(match, `no port announced: ${first} ${peer.err}`);

      const payload = pattern(1024 * 1024);
      let received = 0;
      const chunks: Uint8Array[] = [];
      const done = new Deferred<void>();
      class Client extends Protocol {
        override connectionMade(): void {
          this.transport.write(payload);
        }
        override dataReceived(data: Uint8Array): void {
          chunks.push(data);
          received += data.byteLength;
          if (received >= payload.byteLength) this.transport.loseConnection();
        }
        override connectionLost(reason: Failure): void {
          if (reason.check(ConnectionDone)) done.callback(undefined);
          else done.errback(reason);
        }
      }
      const factory = ClientFactory.forProtocol(Client);
      factory.noisy = false;
      factory.clientConnectionFailed = (_c, reason) => done.errback(reason);
      reactor.connectTCP("127.0.0.1", Number(match[1]), factory);
      await withTimeout(done, 20);
      const echoed = new Uint8Array(received);
      let at = 0;
      for (const c of chunks) {
        echoed.set(c, at);
        at += c.byteLength;
      }
      assert.deepEqual(echoed, payload);
    } finally {
      transport.closeStdin();
      await withTimeout(peer.ended, 20);
    }
    assert.equal(peer.exitCode, 0, peer.err);
  });
});
