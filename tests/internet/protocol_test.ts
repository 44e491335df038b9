import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ClientFactory,
  DatagramProtocol,
  Factory,
  IPv4Address,
  ProcessProtocol,
  Protocol,
  ReconnectingClientFactory,
  ServerFactory,
} from "../../src/internet/protocol.ts";
import { Clock } from "../../src/internet/task.ts";
import { Failure } from "../../src/internet/failure.ts";
import { ConnectionRefusedError, ProcessDone } from "../../src/internet/error.ts";
import type { IConnector, ITransport } from "../../src/internet/interfaces.ts";
import type { IUDPTransport } from "../../src/internet/protocol.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const addr = new IPv4Address("TCP", "127.0.0.1", 1234);

class Greeter extends Protocol {
  made = 0;
  override connectionMade(): void {
    this.made++;
  }
}

/** A connector that records connect() calls, with no network. */
class FakeConnector implements IConnector {
  connects = 0;
  stops = 0;
  connecting = false;
  stopConnecting(): void {
    this.stops++;
    if (!this.connecting) throw new Error("Not connecting");
    this.connecting = false;
  }
  disconnect(): void {}
  connect(): void {
    this.connects++;
  }
  getDestination(): IPv4Address {
    return addr;
  }
}

const refused = new Failure(new ConnectionRefusedError());

describe("Protocol", () => {
  it("makeConnection() sets the transport and calls connectionMade()", () => {
    const p = new Greeter();
    const transport = {} as ITransport;
    assert.equal(p.connected, false);
    p.makeConnection(transport);
    assert.equal(p.transport, transport);
    assert.equal(p.connected, true);
    assert.equal(p.made, 1);
    assert.equal(p.logPrefix(), "Greeter");
  });
});

describe("Factory", () => {
  it("Factory.forProtocol() makes a factory of the calling class with its arguments", () => {
    class Named extends ServerFactory {
      name: string;
      constructor(name: string) {
        super();
        this.name = name;
      }
    }
    const f = Named.forProtocol(Greeter, "svc");
    assert.ok(f instanceof Named);
    assert.equal(f.name, "svc");
    assert.equal(f.protocol, Greeter);
  });

  it("buildProtocol() instantiates the protocol and sets its factory", () => {
    const f = Factory.forProtocol(Greeter);
    const p = f.buildProtocol(addr) as Greeter;
    assert.ok(p instanceof Greeter);
    assert.equal(p.factory, f);
  });

  it("buildProtocol() without a protocol class throws a TypeError", () => {
    assert.throws(() => new Factory().buildProtocol(addr), TypeError);
  });

  it("doStart() and doStop() are reference counted around startFactory/stopFactory", () => {
    const calls: string[] = [];
    class Counted extends Factory {
      override startFactory(): void {
        calls.push("start");
      }
      override stopFactory(): void {
        calls.push("stop");
      }
    }
    const f = new Counted();
    f.noisy = false;
    f.doStart();
    f.doStart();
    assert.equal(f.numPorts, 2);
    f.doStop();
    assert.deepEqual(calls, ["start"]);
    f.doStop();
    f.doStop();
    assert.deepEqual(calls, ["start", "stop"]);
    assert.equal(f.numPorts, 0);
  });

  it("ClientFactory's callbacks do nothing by default", () => {
    const f = new ClientFactory();
    const c = new FakeConnector();
    f.startedConnecting(c);
    f.clientConnectionFailed(c, refused);
    f.clientConnectionLost(c, refused);
    assert.equal(c.connects, 0);
  });
});

describe("ReconnectingClientFactory", () => {
  function make(): [ReconnectingClientFactory, Clock, FakeConnector] {
    const f = new ReconnectingClientFactory();
    const clock = new Clock();
    f.clock = clock;
    f.noisy = false;
    f.jitter = 0;
    return [f, clock, new FakeConnector()];
  }

  it("has Twisted's defaults", () => {
    const f = new ReconnectingClientFactory();
    assert.equal(f.initialDelay, 1.0);
    assert.equal(f.maxDelay, 3600);
    assert.equal(f.factor, 2.7182818284590451);
    assert.equal(f.jitter, 0.11962656472);
    assert.equal(f.maxRetries, null);
    assert.equal(f.continueTrying, true);
  });

  it("backs off by `factor` per retry up to maxDelay", () => {
    const [f, clock, c] = make();
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      f.clientConnectionFailed(c, refused);
      const [call] = clock.getDelayedCalls();
      delays.push(call.getTime() - clock.seconds());
      clock.advance(delays[i]);
      assert.equal(c.connects, i + 1);
    }
    const e = Math.E;
    assert.ok(Math.abs(delays[0] - e) < 1e-9);
    assert.ok(Math.abs(delays[1] - e * e) < 1e-9);
    assert.ok(Math.abs(delays[7] - e ** 8) < 1e-6);
    assert.ok(Math.abs(delays[8] - 3600) < 1e-6);
    assert.ok(Math.abs(delays[11] - 3600) < 1e-6);
    assert.equal(f.delay, 3600);
    assert.equal(f.retries, 12);
  });

  it("retries after a lost connection too, and resetDelay() starts over", () => {
    const [f, clock, c] = make();
    f.clientConnectionLost(c, refused);
    clock.advance(f.delay);
    f.clientConnectionLost(c, refused);
    assert.equal(f.retries, 2);
    f.resetDelay();
    assert.equal(f.delay, 1.0);
    assert.equal(f.retries, 0);
    clock.advance(100);
    f.clientConnectionLost(c, refused);
    assert.ok(Math.abs(clock.getDelayedCalls()[0].getTime() - clock.seconds() - Math.E) < 1e-9);
  });

  it("gives up after maxRetries", () => {
    const [f, clock, c] = make();
    f.maxRetries = 2;
    for (let i = 0; i < 5; i++) {
      f.clientConnectionFailed(c, refused);
      clock.advance(10000);
    }
    assert.equal(c.connects, 2);
  });

  it("stopTrying() cancels the pending retry and stops an attempt in progress", () => {
    const [f, clock, c] = make();
    f.clientConnectionFailed(c, refused);
    assert.equal(clock.getDelayedCalls().length, 1);
    c.connecting = true;
    f.stopTrying();
    assert.equal(clock.getDelayedCalls().length, 0);
    assert.equal(c.stops, 1);
    assert.equal(f.continueTrying, false);
    f.clientConnectionFailed(c, refused);
    clock.advance(10000);
    assert.equal(c.connects, 0);
  });

  it("applies normally distributed jitter around the delay", () => {
    const [f, clock, c] = make();
    f.jitter = 0.11962656472;
    let i = 0;
    const values = [0.3, 0.9, 0.5, 0.1];
    f.random = () => values[i++ % values.length];
    f.clientConnectionFailed(c, refused);
    const delay = clock.getDelayedCalls()[0].getTime();
    assert.notEqual(delay, Math.E);
    assert.ok(Math.abs(delay - Math.E) < Math.E * 0.12 * 4);
    assert.equal(delay, f.delay);
  });

  it("uses the connector's clock when none is set", () => {
    const f = new ReconnectingClientFactory();
    f.noisy = false;
    const clock = new Clock();
    const c = Object.assign(new FakeConnector(), { clock });
    f.clientConnectionFailed(c, refused);
    assert.equal(clock.getDelayedCalls().length, 1);
  });
});

describe("ProcessProtocol", () => {
  it("dispatches childDataReceived and childConnectionLost by fd", () => {
    const seen: string[] = [];
    class P extends ProcessProtocol {
      override outReceived(d: Uint8Array): void {
        seen.push(`out:${d.length}`);
      }
      override errReceived(d: Uint8Array): void {
        seen.push(`err:${d.length}`);
      }
      override inConnectionLost(): void {
        seen.push("in-lost");
      }
      override outConnectionLost(): void {
        seen.push("out-lost");
      }
      override errConnectionLost(): void {
        seen.push("err-lost");
      }
    }
    const p = new P();
    p.childDataReceived(1, new Uint8Array(3));
    p.childDataReceived(2, new Uint8Array(4));
    p.childDataReceived(5, new Uint8Array(1));
    p.childConnectionLost(0);
    p.childConnectionLost(1);
    p.childConnectionLost(2);
    p.processEnded(new Failure(new ProcessDone()));
    assert.deepEqual(seen, ["out:3", "err:4", "in-lost", "out-lost", "err-lost"]);
  });
});

describe("DatagramProtocol", () => {
  it("calls startProtocol on the first port and stopProtocol on the last", () => {
    const calls: string[] = [];
    class D extends DatagramProtocol {
      override startProtocol(): void {
        calls.push("start");
      }
      override stopProtocol(): void {
        calls.push("stop");
      }
    }
    const d = new D();
    d.noisy = false;
    const t = {} as IUDPTransport;
    d.makeConnection(t);
    assert.equal(d.transport, t);
    d.doStop();
    assert.equal(d.transport, null);
    assert.deepEqual(calls, ["start", "stop"]);
  });
});
