import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AccumulatingProtocol,
  Clock,
  connectedServerAndClient,
  FakeTransport,
  IOPump,
  trackLeaks,
  waitUntilAllDisconnected,
} from "../../src/testing/mod.ts";
import { Factory, IPv4Address, Protocol } from "../../src/internet/protocol.ts";
import { ConnectionDone, ConnectionLost } from "../../src/internet/error.ts";
import type { Failure } from "../../src/internet/failure.ts";
import type { IPullProducer, IPushProducer } from "../../src/internet/interfaces.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

trackLeaks({ beforeEach, afterEach });

class Greeter extends Protocol {
  override connectionMade(): void {
    this.transport.write(bytes("hello"));
  }
}

class Echo extends AccumulatingProtocol {
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    this.transport.write(data);
  }
}

class HalfCloser extends AccumulatingProtocol {
  readLost = 0;
  writeLost = 0;
  readConnectionLost(): void {
    this.readLost++;
  }
  writeConnectionLost(): void {
    this.writeLost++;
  }
}

describe("connectedServerAndClient()", () => {
  it("builds both protocols from factories, connects them and exchanges greetings", () => {
    const [client, server, pump] = connectedServerAndClient<AccumulatingProtocol, Greeter>(
      Factory.forProtocol(Greeter),
      Factory.forProtocol(AccumulatingProtocol),
    );
    assert.ok(server instanceof Greeter);
    assert.ok(pump instanceof IOPump);
    assert.equal(client.made, 1);
    assert.equal(dec.decode(client.data), "hello");
    assert.ok(pump.clientIO instanceof FakeTransport);
    assert.equal(pump.serverIO.isServer, true);
    assert.deepEqual(client.transport.getPeer(), new IPv4Address("TCP", "127.0.0.1", 10001));
    assert.deepEqual(server.transport.getPeer(), new IPv4Address("TCP", "127.0.0.1", 10002));
  });

  it("passes each factory the other side's address", () => {
    const seen: string[] = [];
    const factory = (name: string) => ({
      doStart() {},
      doStop() {},
      buildProtocol(addr: unknown) {
        seen.push(`${name}:${String(addr)}`);
        return new AccumulatingProtocol();
      },
    });
    connectedServerAndClient(factory("server"), factory("client"), {
      serverAddress: new IPv4Address("TCP", "10.0.0.1", 80),
      clientAddress: new IPv4Address("TCP", "10.0.0.2", 9999),
    });
    assert.deepEqual(seen, [
      "server:IPv4Address(TCP, 10.0.0.2, 9999)",
      "client:IPv4Address(TCP, 10.0.0.1, 80)",
    ]);
  });

  it("throws when a factory refuses the connection", () => {
    const refusing = { doStart() {}, doStop() {}, buildProtocol: () => null };
    assert.throws(
      () => connectedServerAndClient(refusing, () => new AccumulatingProtocol()),
      /server factory refused/,
    );
  });

  it("with greet false, leaves the greeting for the first pump", () => {
    const [client, , pump] = connectedServerAndClient<AccumulatingProtocol>(
      () => new Greeter(),
      () => new AccumulatingProtocol(),
      { greet: false },
    );
    assert.equal(client.data.byteLength, 0);
    assert.equal(pump.pump(), true);
    assert.equal(dec.decode(client.data), "hello");
    assert.equal(pump.pump(), false);
  });
});

describe("IOPump", () => {
  it("pump() moves one round each way and says whether anything moved", () => {
    const [client, server, pump] = connectedServerAndClient<AccumulatingProtocol, Echo>(
      () => new Echo(),
      () => new AccumulatingProtocol(),
    );
    client.transport.write(bytes("ping"));
    assert.equal(pump.pump(), true); // client -> server (server echoes into its buffer)
    assert.equal(dec.decode(server.data), "ping");
    assert.equal(client.data.byteLength, 0);
    assert.equal(pump.pump(), true); // server -> client
    assert.equal(dec.decode(client.data), "ping");
    assert.equal(pump.pump(), false);
    assert.equal(pump.flush(), false);
  });

  it("flush() gives up after 1000 busy rounds", () => {
    // Two echoes say nothing until one speaks; then they never stop.
    const [client, , pump] = connectedServerAndClient<Echo>(() => new Echo(), () => new Echo());
    client.transport.write(bytes("x"));
    assert.throws(() => pump.flush(), /1000 rounds/);
  });

  it("loseConnection() delivers what was written, then both sides get ConnectionDone", () => {
    const [client, server, pump] = connectedServerAndClient<
      AccumulatingProtocol,
      AccumulatingProtocol
    >(() => new AccumulatingProtocol(), () => new AccumulatingProtocol());
    client.transport.write(bytes("last words"));
    client.transport.loseConnection();
    client.transport.write(bytes("dropped"));
    pump.flush();
    assert.equal(dec.decode(server.data), "last words");
    assert.ok(server.closedReason?.check(ConnectionDone));
    assert.ok(client.closedReason?.check(ConnectionDone));
    assert.equal(pump.clientIO.disconnected, true);
    assert.equal(pump.serverIO.connected, false);
  });

  it("abortConnection() discards unsent bytes and both sides get ConnectionLost", () => {
    const [client, server, pump] = connectedServerAndClient<
      AccumulatingProtocol,
      AccumulatingProtocol
    >(() => new AccumulatingProtocol(), () => new AccumulatingProtocol());
    server.transport.write(bytes("never"));
    server.transport.abortConnection();
    pump.flush();
    assert.equal(client.data.byteLength, 0);
    assert.ok(server.closedReason?.check(ConnectionLost));
    assert.ok(client.closedReason?.check(ConnectionLost));
  });

  it("loseWriteConnection() half-closes towards a half-closeable protocol", () => {
    const [client, server, pump] = connectedServerAndClient<HalfCloser, HalfCloser>(
      () => new HalfCloser(),
      () => new HalfCloser(),
    );
    pump.clientIO.write(bytes("req"));
    pump.clientIO.loseWriteConnection();
    pump.flush();
    assert.equal(dec.decode(server.data), "req");
    assert.equal(server.readLost, 1);
    assert.equal(client.writeLost, 1);
    assert.equal(server.closed, false);
    // The server still answers after the client's EOF.
    server.transport.write(bytes("resp"));
    pump.flush();
    assert.equal(dec.decode(client.data), "resp");
    // Then closes its side too: the connection is over.
    pump.serverIO.loseWriteConnection();
    pump.flush();
    assert.equal(client.readLost, 1);
    assert.equal(client.closed, true);
    assert.equal(server.closed, true);
  });

  it("loseWriteConnection() towards a protocol that cannot half-close ends the connection", () => {
    const [client, server, pump] = connectedServerAndClient<
      AccumulatingProtocol,
      AccumulatingProtocol
    >(() => new AccumulatingProtocol(), () => new AccumulatingProtocol());
    pump.clientIO.write(bytes("bye"));
    pump.clientIO.loseWriteConnection();
    pump.flush();
    assert.equal(dec.decode(server.data), "bye");
    assert.ok(server.closedReason?.check(ConnectionDone));
    assert.ok(client.closedReason?.check(ConnectionDone));
  });

  it("holds bytes for a paused side and gives its protocol a turn after resume", () => {
    const chunks: number[] = [];
    class Counting extends AccumulatingProtocol {
      override dataReceived(data: Uint8Array): void {
        chunks.push(data.byteLength);
        super.dataReceived(data);
      }
    }
    const [client, server, pump] = connectedServerAndClient<AccumulatingProtocol, Counting>(
      () => new Counting(),
      () => new AccumulatingProtocol(),
    );
    server.transport.pauseProducing();
    client.transport.write(bytes("abc"));
    assert.equal(pump.flush(), false);
    assert.equal(server.data.byteLength, 0);
    server.transport.resumeProducing();
    pump.flush();
    assert.equal(dec.decode(server.data), "abc");
    assert.deepEqual(chunks, [3]);
    server.transport.pauseProducing();
    server.transport.resumeProducing();
    pump.flush();
    assert.deepEqual(chunks, [3, 0]); // the resume kick: an empty chunk
  });

  it("pauses a streaming producer while its bytes pile up for a paused peer", () => {
    const [client, server, pump] = connectedServerAndClient<
      AccumulatingProtocol,
      AccumulatingProtocol
    >(() => new AccumulatingProtocol(), () => new AccumulatingProtocol());
    const events: string[] = [];
    const producer: IPushProducer = {
      pauseProducing: () => events.push("pause"),
      resumeProducing: () => events.push("resume"),
      stopProducing: () => events.push("stop"),
    };
    pump.clientIO.bufferSize = 4;
    client.transport.registerProducer(producer, true);
    server.transport.pauseProducing();
    client.transport.write(bytes("12345"));
    pump.pump();
    assert.deepEqual(events, ["pause"]);
    server.transport.resumeProducing();
    pump.flush();
    assert.deepEqual(events, ["pause", "resume"]);
    assert.equal(dec.decode(server.data), "12345");
    client.transport.loseConnection();
    pump.flush();
    assert.deepEqual(events, ["pause", "resume", "stop"]);
  });

  it("asks a pull producer for a chunk at registration and at each pump", () => {
    const [client, server, pump] = connectedServerAndClient<
      AccumulatingProtocol,
      AccumulatingProtocol
    >(() => new AccumulatingProtocol(), () => new AccumulatingProtocol());
    let left = 3;
    const producer: IPullProducer = {
      resumeProducing() {
        if (left === 0) {
          client.transport.unregisterProducer();
          return;
        }
        left--;
        client.transport.write(bytes(String(left)));
      },
      stopProducing() {},
    };
    client.transport.registerProducer(producer, false);
    pump.flush();
    assert.equal(dec.decode(server.data), "210");
    assert.equal(pump.clientIO.producer, null);
  });

  it("advances its clock by 0 before each pump, so calls due now run", () => {
    const clock = new Clock();
    const [, , pump] = connectedServerAndClient(
      () => new AccumulatingProtocol(),
      () => new AccumulatingProtocol(),
      { clock },
    );
    let ran = false;
    clock.callLater(0, () => (ran = true));
    pump.pump();
    assert.equal(ran, true);
    assert.equal(pump.clock, clock);
  });
});

describe("waitUntilAllDisconnected()", () => {
  it("fires once every protocol's transport is disconnected", () => {
    const clock = new Clock();
    const [client, server, pump] = connectedServerAndClient<
      AccumulatingProtocol,
      AccumulatingProtocol
    >(() => new AccumulatingProtocol(), () => new AccumulatingProtocol());
    let done = false;
    const d = waitUntilAllDisconnected(clock, [client, server]);
    d.addCallback(() => (done = true));
    clock.advance(0.05);
    assert.equal(done, false);
    client.transport.loseConnection();
    pump.flush();
    clock.advance(0.01);
    assert.equal(done, true);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("stops checking when cancelled", () => {
    const clock = new Clock();
    const [client] = connectedServerAndClient<AccumulatingProtocol>(
      () => new AccumulatingProtocol(),
      () => new AccumulatingProtocol(),
    );
    const d = waitUntilAllDisconnected(clock, [client]);
    let reason: Failure | null = null;
    d.addErrback((f) => {
      reason = f;
    });
    assert.equal(clock.getDelayedCalls().length, 1);
    d.cancel();
    assert.equal(clock.getDelayedCalls().length, 0);
    assert.ok(reason !== null);
  });
});
