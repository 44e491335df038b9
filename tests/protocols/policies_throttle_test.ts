import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AccumulatingProtocol,
  Clock,
  connectedServerAndClient,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { Factory, IPv4Address, Protocol } from "../../src/internet/protocol.ts";
import type { IPushProducer } from "../../src/internet/interfaces.ts";
import {
  LimitConnectionsByPeer,
  type ProtocolWrapper,
  ThrottlingFactory,
  type ThrottlingProtocol,
} from "../../src/protocols/policies.ts";

trackLeaks({ beforeEach, afterEach });

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const addr = (host = "127.0.0.1"): IPv4Address => new IPv4Address("TCP", host, 5555);

function inner(): Factory {
  const f = Factory.forProtocol(AccumulatingProtocol);
  f.noisy = false;
  return f;
}

/** Builds and connects a protocol; returns it with its transport. */
function open(
  factory: ThrottlingFactory | LimitConnectionsByPeer,
  host?: string,
): [ProtocolWrapper, StringTransportWithDisconnection] {
  const p = factory.buildProtocol(addr(host));
  assert.ok(p, "the factory refused the connection");
  const t = new StringTransportWithDisconnection();
  t.protocol = p;
  p.makeConnection(t);
  return [p, t];
}

class RecordingProducer implements IPushProducer {
  events: string[] = [];
  pauseProducing(): void {
    this.events.push("pause");
  }
  resumeProducing(): void {
    this.events.push("resume");
  }
  stopProducing(): void {
    this.events.push("stop");
  }
}

describe("ThrottlingFactory", () => {
  it("pauses reading on every connection for the excess of a window over readLimit", () => {
    const clock = new Clock();
    const factory = new ThrottlingFactory(inner(), { readLimit: 10, clock });
    const [a, ta] = open(factory);
    const [, tb] = open(factory);
    a.dataReceived(bytes("x".repeat(25)));
    assert.equal(factory.readThisSecond, 25);
    clock.advance(1);
    assert.equal(ta.producerState, "paused");
    assert.equal(tb.producerState, "paused");
    assert.equal(factory.readThisSecond, 0);
    // 25 bytes at 10 B/s: 1.5 s more than the window allows.
    clock.advance(1.4);
    assert.equal(ta.producerState, "paused");
    clock.advance(0.1);
    assert.equal(ta.producerState, "producing");
    assert.equal(tb.producerState, "producing");
    ta.loseConnection();
    tb.loseConnection();
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("does not throttle a window at or under the limit", () => {
    const clock = new Clock();
    const factory = new ThrottlingFactory(inner(), { readLimit: 10, writeLimit: 10, clock });
    const [p, t] = open(factory);
    const producer = new RecordingProducer();
    p.registerProducer(producer, true);
    p.dataReceived(bytes("0123456789"));
    p.write(bytes("0123456789"));
    clock.advance(1);
    assert.equal(t.producerState, "producing");
    assert.deepEqual(producer.events, []);
    p.unregisterProducer();
    t.loseConnection();
  });

  it("pauses every registered producer for the excess of a window over writeLimit", () => {
    const clock = new Clock();
    const factory = new ThrottlingFactory(inner(), { writeLimit: 10, clock });
    const [p, t] = open(factory);
    const producer = new RecordingProducer();
    const protocol = p.wrappedProtocol as AccumulatingProtocol;
    protocol.transport.registerProducer(producer, true);
    assert.equal((p as ThrottlingProtocol).producer, producer);
    assert.equal(t.producer, producer);
    protocol.transport.write(bytes("x".repeat(20)));
    protocol.transport.writeSequence([bytes("y".repeat(5)), bytes("z".repeat(5))]);
    assert.equal(factory.writtenThisSecond, 30);
    assert.equal(t.valueText(), "x".repeat(20) + "yyyyyzzzzz");
    clock.advance(1);
    assert.deepEqual(producer.events, ["pause"]);
    clock.advance(1.9);
    assert.deepEqual(producer.events, ["pause"]);
    clock.advance(0.1);
    assert.deepEqual(producer.events, ["pause", "resume"]);
    protocol.transport.unregisterProducer();
    assert.equal((p as ThrottlingProtocol).producer, null);
    t.loseConnection();
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("refuses connections beyond maxConnectionCount and accepts again after one closes", () => {
    const clock = new Clock();
    const factory = new ThrottlingFactory(inner(), { maxConnectionCount: 2, clock });
    const [, ta] = open(factory);
    open(factory);
    assert.equal(factory.connectionCount, 2);
    assert.equal(factory.buildProtocol(addr()), null);
    ta.loseConnection();
    assert.equal(factory.connectionCount, 1);
    const [, tc] = open(factory);
    assert.equal(factory.connectionCount, 2);
    tc.loseConnection();
    for (const p of [...factory.protocols]) p.transport.loseConnection();
    assert.equal(factory.connectionCount, 0);
  });

  it("runs its checks only while connections are open", () => {
    const clock = new Clock();
    const factory = new ThrottlingFactory(inner(), { readLimit: 100, writeLimit: 100, clock });
    assert.equal(clock.getDelayedCalls().length, 0);
    const [, t] = open(factory);
    assert.equal(clock.getDelayedCalls().length, 2);
    clock.advance(3);
    assert.equal(clock.getDelayedCalls().length, 2);
    t.loseConnection();
    assert.equal(clock.getDelayedCalls().length, 0);
    assert.equal(factory.checkReadBandwidthID, null);
  });

  it("stops reading from a fast client in an in-memory connection", () => {
    const clock = new Clock();
    const factory = new ThrottlingFactory(inner(), { readLimit: 4, clock });
    const [client, server, pump] = connectedServerAndClient<Protocol, ProtocolWrapper>(
      factory,
      () => new Protocol(),
      { clock },
    );
    client.transport.write(bytes("0123456789"));
    pump.flush();
    clock.advance(1);
    assert.equal(pump.serverIO.paused, true);
    client.transport.write(bytes("more"));
    pump.flush();
    const received = (server.wrappedProtocol as AccumulatingProtocol).data;
    assert.equal(received.byteLength, 10);
    // 10 bytes at 4 B/s: reads resume 1.5 s later.
    clock.advance(1.5);
    assert.equal(pump.serverIO.paused, false);
    pump.flush();
    assert.equal((server.wrappedProtocol as AccumulatingProtocol).data.byteLength, 14);
    client.transport.loseConnection();
    pump.flush();
    assert.equal(clock.getDelayedCalls().length, 0);
  });
});

describe("LimitConnectionsByPeer", () => {
  it("refuses a peer's connections beyond maxConnectionsPerPeer, counting hosts apart", () => {
    const factory = new LimitConnectionsByPeer(inner(), { maxConnectionsPerPeer: 2 });
    const [, t1] = open(factory, "10.0.0.1");
    open(factory, "10.0.0.1");
    assert.equal(factory.buildProtocol(addr("10.0.0.1")), null);
    const [, t3] = open(factory, "10.0.0.2");
    assert.equal(factory.peerConnections.get("10.0.0.1"), 2);
    assert.equal(factory.peerConnections.get("10.0.0.2"), 1);
    t1.loseConnection();
    assert.equal(factory.peerConnections.get("10.0.0.1"), 1);
    const [, t4] = open(factory, "10.0.0.1");
    t3.loseConnection();
    assert.equal(factory.peerConnections.has("10.0.0.2"), false);
    t4.loseConnection();
    for (const p of [...factory.protocols]) p.transport.loseConnection();
    assert.equal(factory.peerConnections.size, 0);
    assert.equal(factory.protocols.size, 0);
  });

  it("allows five connections per peer by default and resets when started", () => {
    const factory = new LimitConnectionsByPeer(inner());
    factory.noisy = false;
    assert.equal(factory.maxConnectionsPerPeer, 5);
    for (let i = 0; i < 5; i++) assert.ok(factory.buildProtocol(addr()));
    assert.equal(factory.buildProtocol(addr()), null);
    factory.doStart();
    assert.ok(factory.buildProtocol(addr()));
    factory.doStop();
  });
});
