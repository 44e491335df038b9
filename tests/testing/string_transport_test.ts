import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AccumulatingProtocol,
  FakeDatagramTransport,
  noAddr,
  StringTransport,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { IPv4Address, Protocol, UNIXAddress } from "../../src/internet/protocol.ts";
import { Deferred } from "../../src/internet/defer.ts";
import { ConnectionDone } from "../../src/internet/error.ts";
import type { IPushProducer } from "../../src/internet/interfaces.ts";

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

trackLeaks({ beforeEach, afterEach });

describe("StringTransport", () => {
  it("value() returns every byte written, in order, as one Uint8Array", () => {
    const t = new StringTransport();
    t.write(bytes("ab"));
    t.writeSequence([bytes("c"), bytes(""), bytes("de")]);
    assert.ok(t.value() instanceof Uint8Array);
    assert.deepEqual(t.value(), bytes("abcde"));
    assert.equal(t.valueText(), "abcde");
    t.write(bytes("f"));
    assert.equal(t.valueText(), "abcdef");
  });

  it("write() copies the data, so the caller may reuse its buffer", () => {
    const t = new StringTransport();
    const buf = bytes("xy");
    t.write(buf);
    buf[0] = 0x7a;
    assert.equal(t.valueText(), "xy");
  });

  it("clear() forgets what was written", () => {
    const t = new StringTransport();
    t.write(bytes("abc"));
    t.clear();
    assert.deepEqual(t.value(), new Uint8Array(0));
    t.write(bytes("d"));
    assert.equal(t.valueText(), "d");
  });

  it("write() rejects a string with a TypeError", () => {
    const t = new StringTransport();
    assert.throws(() => t.write("text" as unknown as Uint8Array), TypeError);
    assert.throws(() => t.write(null as unknown as Uint8Array), TypeError);
  });

  it("getHost() and getPeer() default to Twisted's addresses and can be set", () => {
    const t = new StringTransport();
    assert.deepEqual(t.getHost(), new IPv4Address("TCP", "10.0.0.1", 12345));
    assert.deepEqual(t.getPeer(), new IPv4Address("TCP", "192.168.1.1", 54321));
    const u = new StringTransport({
      hostAddress: new UNIXAddress("/a"),
      peerAddress: new UNIXAddress("/b"),
    });
    assert.equal((u.getHost() as UNIXAddress).name, "/a");
    assert.equal((u.getPeer() as UNIXAddress).name, "/b");
  });

  it("loseConnection() sets disconnecting; abortConnection() sets aborted too", () => {
    const t = new StringTransport();
    assert.equal(t.disconnecting, false);
    t.loseConnection();
    assert.equal(t.disconnecting, true);
    assert.equal(t.aborted, false);
    const u = new StringTransport();
    u.abortConnection();
    assert.equal(u.disconnecting, true);
    assert.equal(u.aborted, true);
  });

  it("registerProducer() records the producer and whether it streams", () => {
    const t = new StringTransport();
    const producer: IPushProducer = {
      pauseProducing() {},
      resumeProducing() {},
      stopProducing() {},
    };
    assert.equal(t.producer, null);
    t.registerProducer(producer, true);
    assert.equal(t.producer, producer);
    assert.equal(t.streaming, true);
    assert.throws(() => t.registerProducer(producer, false), /two producers/);
    t.unregisterProducer();
    assert.equal(t.producer, null);
    assert.equal(t.streaming, null);
    assert.throws(() => t.unregisterProducer(), /unless one is registered/);
  });

  it("pauseProducing() / resumeProducing() / stopProducing() record producerState", () => {
    const t = new StringTransport();
    assert.equal(t.producerState, "producing");
    t.pauseProducing();
    assert.equal(t.producerState, "paused");
    assert.equal(t.paused, true);
    t.resumeProducing();
    assert.equal(t.producerState, "producing");
    assert.equal(t.paused, false);
    t.stopProducing();
    assert.equal(t.producerState, "stopped");
    assert.throws(() => t.resumeProducing(), /stopped producer/);
    assert.throws(() => t.pauseProducing(), /stopped producer/);
  });

  it("carries a protocol's replies to data fed into it", () => {
    class Echo extends Protocol {
      override dataReceived(data: Uint8Array): void {
        this.transport.write(data);
      }
    }
    const t = new StringTransport();
    const p = new Echo();
    p.makeConnection(t);
    p.dataReceived(bytes("ping"));
    assert.equal(t.valueText(), "ping");
  });
});

describe("StringTransportWithDisconnection", () => {
  it("loseConnection() calls connectionLost(ConnectionDone) once", () => {
    const t = new StringTransportWithDisconnection();
    const p = new AccumulatingProtocol();
    t.protocol = p;
    p.makeConnection(t);
    t.loseConnection();
    assert.equal(p.closed, true);
    assert.ok(p.closedReason?.check(ConnectionDone));
    assert.equal(t.connected, false);
    assert.equal(t.disconnecting, true);
    p.closed = false;
    t.loseConnection();
    assert.equal(p.closed, false);
  });
});

describe("AccumulatingProtocol", () => {
  it("records connectionMade, data and connectionLost, firing its Deferreds", async () => {
    const p = new AccumulatingProtocol();
    p.madeDeferred = new Deferred();
    p.closedDeferred = new Deferred();
    const made = p.madeDeferred;
    const closed = p.closedDeferred;
    const t = new StringTransportWithDisconnection();
    t.protocol = p;
    p.makeConnection(t);
    assert.equal(p.made, 1);
    assert.equal(await made, p);
    p.dataReceived(bytes("ab"));
    p.dataReceived(bytes("c"));
    assert.deepEqual(p.data, bytes("abc"));
    t.loseConnection();
    assert.equal(await closed, p);
    assert.equal(p.closedDeferred, null);
  });
});

describe("FakeDatagramTransport", () => {
  it("records each datagram with its address, or noAddr", () => {
    const t = new FakeDatagramTransport();
    t.write(bytes("a"), ["10.0.0.2", 53]);
    t.write(bytes("b"));
    assert.deepEqual(t.written, [[bytes("a"), ["10.0.0.2", 53]], [bytes("b"), noAddr]]);
    assert.throws(() => t.write("x" as unknown as Uint8Array), TypeError);
    t.connect("10.0.0.3", 5);
    assert.deepEqual(t.connectedTo, ["10.0.0.3", 5]);
    t.loseConnection();
    assert.equal(t.stopped, true);
  });
});
