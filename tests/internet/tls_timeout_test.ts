// A TLS peer that accepts and stays silent never holds a connection forever:
// connectSSL, a `tls:` endpoint, STARTTLS and a TLS port each give up after
// the handshake timeout (TlsOptions.handshakeTimeout, 30 s by default).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  ClientCreator,
  clientFromString,
  connectProtocol,
  Factory,
  type Failure,
  type IPv4Address,
  Protocol,
  reactor,
  TimeoutError,
} from "../../mod.ts";
import type { TlsOptions } from "../../src/internet/socket.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url)), "utf8");
const SERVER_TLS: TlsOptions = { cert: fixture("server.pem"), key: fixture("server.key") };
const CA = fixture("ca.pem");

/** A protocol that records how its connection ended. */
class Watcher extends Protocol {
  #lost!: (reason: Failure) => void;
  // A Promise: a Deferred fired with a Failure would take the errback path.
  ended: Promise<Failure> = new Promise((resolve) => (this.#lost = resolve));
  override connectionLost(reason: Failure): void {
    this.#lost(reason);
  }
}

/** A plain TCP port whose connections never say a word; closes them at the end. */
async function silentPort(): Promise<{ port: number; close(): Promise<void> }> {
  const watchers: Watcher[] = [];
  const factory = new Factory();
  factory.buildProtocol = () => {
    const w = new Watcher();
    watchers.push(w);
    return w;
  };
  const listening = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
  await listening.whenListening();
  return {
    port: (listening.getHost() as IPv4Address).port,
    async close() {
      for (const w of watchers) w.transport?.abortConnection();
      await listening.stopListening();
    },
  };
}

describe("TLS handshake timeouts", () => {
  it("connectSSL to a silent server fails with TimeoutError after handshakeTimeout", async () => {
    const silent = await silentPort();
    try {
      const started = Date.now();
      await assert.rejects(
        new ClientCreator(reactor, Protocol)
          .connectSSL("127.0.0.1", silent.port, { ca: CA, handshakeTimeout: 0.3 })
          .asPromise(),
        (error: Error) => {
          assert.ok(error instanceof TimeoutError, String(error));
          assert.equal(
            error.message,
            `Cannot connect to 127.0.0.1:${silent.port}: TLS handshake timed out after 0.3 s`,
          );
          return true;
        },
      );
      assert.ok(Date.now() - started < 5000);
    } finally {
      await silent.close();
    }
  });

  it("a tls: endpoint with timeout= loses a silent server's connection", async () => {
    const silent = await silentPort();
    try {
      const watcher = new Watcher();
      const endpoint = clientFromString(reactor, `tls:127.0.0.1:${silent.port}:timeout=0.3`);
      await connectProtocol(endpoint, watcher); // TCP is up; the handshake is not
      const reason = await watcher.ended;
      assert.match(reason.getErrorMessage(), /TLS handshake timed out after 0\.3 s/);
    } finally {
      await silent.close();
    }
  });

  it("a TLS port cuts a client that never starts its handshake", async () => {
    let built = 0;
    const factory = Factory.forProtocol(Protocol);
    const buildProtocol = factory.buildProtocol.bind(factory);
    factory.buildProtocol = (addr) => {
      built++;
      return buildProtocol(addr);
    };
    const port = reactor.listenSSL(0, factory, { ...SERVER_TLS, handshakeTimeout: 0.3 }, {
      interface: "127.0.0.1",
    });
    await port.whenListening();
    try {
      const client = await new ClientCreator(reactor, Watcher)
        .connectTCP("127.0.0.1", (port.getHost() as IPv4Address).port);
      const started = Date.now();
      await client.ended;
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 200 && elapsed < 5000, `cut after ${elapsed} ms`);
      assert.equal(built, 0, "no protocol for a connection without a handshake");
    } finally {
      await port.stopListening();
    }
  });

  it("STARTTLS with a silent client loses the connection after handshakeTimeout", async () => {
    const serverSide = new Watcher();
    serverSide.connectionMade = function (this: Watcher) {
      (this.transport as unknown as { startTLS(o: TlsOptions): void }).startTLS({
        ...SERVER_TLS,
        isServer: true,
        handshakeTimeout: 0.3,
      } as TlsOptions);
    };
    const factory = new Factory();
    factory.buildProtocol = () => serverSide;
    const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
    await port.whenListening();
    try {
      const client = await new ClientCreator(reactor, Watcher)
        .connectTCP("127.0.0.1", (port.getHost() as IPv4Address).port);
      const reason = await serverSide.ended;
      assert.match(reason.getErrorMessage(), /TLS upgrade failed: TLS handshake timed out/);
      await client.ended;
    } finally {
      await port.stopListening();
    }
  });
});
