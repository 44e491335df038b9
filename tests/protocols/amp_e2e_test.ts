// AMP over real loopback sockets on the runtime running the test: calls in
// both directions, many in flight, and StartTLS with the peer verified both
// ways (tests/fixtures/tls). Everything is closed at the end of each test.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ClientCreator, Deferred, Factory, type Failure, reactor } from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import type { IListeningPort } from "../../src/internet/interfaces.ts";
import * as amp from "../../src/protocols/amp.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), "utf8");
const CA = fixture("ca.pem");
const OTHER_CA = fixture("other_ca.pem");
const SERVER = { cert: fixture("server.pem"), key: fixture("server.key") };
const CLIENT = { cert: fixture("client.pem"), key: fixture("client.key") };

class Sum extends amp.Command {
  static override arguments = { a: new amp.Integer(), b: new amp.Integer() };
  static override response = { total: new amp.Integer() };
}
class Secure extends amp.Command {
  static override response = { secure: new amp.Boolean() };
}

/** Serves Sum and StartTLS (the client must present a certificate signed by the test CA). */
class Server extends amp.AMP {
  lost = new Deferred<void>();
  reason: Failure | null = null;
  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    this.reason = reason;
    this.lost.callback();
  }
}
Sum.responder(Server, ({ a, b }) => ({ total: a + b }));
Secure.responder(Server, function () {
  return { secure: (this.transport as { secure?: boolean }).secure === true };
});
amp.StartTLS.responder(Server, () => ({
  tls_localCertificate: SERVER,
  tls_verifyAuthorities: [CA],
}));

class Client extends amp.AMP {
  lost = new Deferred<void>();
  reason: Failure | null = null;
  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    this.reason = reason;
    this.lost.callback();
  }
}
Sum.responder(Client, ({ a, b }) => ({ total: a * b }));

const servers: Server[] = [];
async function listen(): Promise<[IListeningPort, number]> {
  const factory = Factory.forProtocol(Server);
  factory.noisy = false;
  const built = factory.buildProtocol.bind(factory);
  factory.buildProtocol = (addr) => {
    const p = built(addr) as Server;
    servers.push(p);
    return p;
  };
  const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
  await port.whenListening!();
  return [port, (port.getHost() as { port: number }).port];
}

function timeout<T>(d: PromiseLike<T>, seconds = 10): Deferred<T> {
  return Deferred.fromPromise(d).addTimeout(seconds, reactor);
}

async function closeAll(port: IListeningPort, client: Client): Promise<void> {
  client.transport.loseConnection();
  await timeout(client.lost);
  await Promise.all(servers.splice(0).map((s) => timeout(s.lost)));
  await port.stopListening();
}

describe("AMP over TCP", { timeout: 60_000 }, () => {
  it("calls both ways with a hundred calls in flight", async () => {
    const [port, n] = await listen();
    const client = await timeout(new ClientCreator(reactor, Client).connectTCP("127.0.0.1", n));
    try {
      const calls = Array.from({ length: 100 }, (_, i) => client.callRemote(Sum, { a: i, b: 1 }));
      const results = await timeout(Promise.all(calls));
      assert.deepEqual(results.map((r) => r.total), Array.from({ length: 100 }, (_, i) => i + 1));
      const back = await timeout(servers[0].callRemote(Sum, { a: 6, b: 7 }));
      assert.equal(back.total, 42);
      const unhandled = await timeout(
        client.callRemoteString("Nope").then(() => null, (e: unknown) => e),
      );
      assert.ok(unhandled instanceof amp.UnhandledCommand);
    } finally {
      await closeAll(port, client);
    }
  });
});

describe("AMP StartTLS over TCP", { timeout: 60_000 }, () => {
  it("upgrades both sides, verifying each peer; boxes sent meanwhile wait", async () => {
    const [port, n] = await listen();
    const client = await timeout(new ClientCreator(reactor, Client).connectTCP("127.0.0.1", n));
    try {
      const before = await timeout(client.callRemote(Secure));
      assert.equal(before.secure, false);
      const started = client.callRemote(amp.StartTLS, {
        tls_localCertificate: CLIENT,
        tls_verifyAuthorities: [CA],
      });
      const meanwhile = client.callRemote(Sum, { a: 2, b: 3 });
      assert.deepEqual(await timeout(started), {});
      assert.equal((await timeout(meanwhile)).total, 5);
      const after = await timeout(client.callRemote(Secure));
      assert.equal(after.secure, true);
      assert.equal((client.transport as { secure?: boolean }).secure, true);
      const again = await timeout(
        client.callRemote(amp.StartTLS).then(() => null, (e: unknown) => e),
      );
      assert.ok(again instanceof amp.OnlyOneTLS);
      assert.equal((await timeout(client.callRemote(Sum, { a: 1, b: 1 }))).total, 2);
    } finally {
      await closeAll(port, client);
    }
  });

  it("fails when the server's certificate is not signed by the authorities given", async () => {
    const [port, n] = await listen();
    const client = await timeout(new ClientCreator(reactor, Client).connectTCP("127.0.0.1", n));
    try {
      const started = client.callRemote(amp.StartTLS, {
        tls_localCertificate: CLIENT,
        tls_verifyAuthorities: [OTHER_CA],
      });
      await timeout(started);
      await timeout(client.lost);
      assert.match(client.reason!.getErrorMessage(), /TLS/);
      const late = await timeout(
        client.callRemote(Sum, { a: 1, b: 1 }).then(() => null, (e: unknown) => e),
      );
      assert.ok(late instanceof Error);
    } finally {
      await timeout(client.lost);
      // On Node and Deno the server's half-done handshake does not see the
      // client go (it would after its 30 s handshake timeout): end it here.
      for (const s of servers) s.transport.abortConnection();
      await Promise.all(servers.splice(0).map((s) => timeout(s.lost)));
      await port.stopListening();
    }
  });

  it("fails when the client presents no certificate to a verifying server", async () => {
    const [port, n] = await listen();
    const client = await timeout(new ClientCreator(reactor, Client).connectTCP("127.0.0.1", n));
    try {
      await timeout(client.callRemote(amp.StartTLS, { tls_verifyAuthorities: [CA] }));
      // The server refuses the handshake: the connection ends, and calls fail.
      const call = client.callRemote(Sum, { a: 1, b: 1 }).then(() => null, (e: unknown) => e);
      assert.ok((await timeout(call)) instanceof Error);
      await timeout(client.lost);
    } finally {
      await Promise.all(servers.splice(0).map((s) => timeout(s.lost)));
      await port.stopListening();
    }
  });
});
