import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AccumulatingProtocol,
  Clock,
  connectedServerAndClient,
  type StringTransport,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { Factory, IPv4Address, Protocol } from "../../src/internet/protocol.ts";
import type { Failure } from "../../src/internet/failure.ts";
import type { IDelayedCall } from "../../src/internet/interfaces.ts";
import {
  TimeoutFactory,
  TimeoutHelper,
  TimeoutMixin,
  type TimeoutProtocol,
} from "../../src/protocols/policies.ts";

trackLeaks({ beforeEach, afterEach });

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const addr = new IPv4Address("TCP", "127.0.0.1", 7777);

/** A protocol that composes a TimeoutHelper. */
class ComposedIdle extends Protocol {
  timeout: TimeoutHelper;
  constructor(clock: Clock) {
    super();
    this.timeout = new TimeoutHelper(() => this.transport.loseConnection(), { clock });
  }
  override connectionMade(): void {
    this.timeout.setTimeout(10);
  }
  override dataReceived(_data: Uint8Array): void {
    this.timeout.resetTimeout();
  }
  override connectionLost(_reason: Failure): void {
    this.timeout.setTimeout(null);
  }
}

/** A protocol that subclasses TimeoutMixin(Protocol). */
class MixedIdle extends TimeoutMixin(Protocol) {
  timedOut = 0;
  override connectionMade(): void {
    this.setTimeout(10);
  }
  override dataReceived(_data: Uint8Array): void {
    this.resetTimeout();
  }
  override connectionLost(_reason: Failure): void {
    this.setTimeout(null);
  }
  override timeoutConnection(): void {
    this.timedOut++;
    super.timeoutConnection();
  }
}

describe("TimeoutHelper", () => {
  it("closes an idle connection when composed into a protocol", () => {
    const clock = new Clock();
    const p = new ComposedIdle(clock);
    const t = new StringTransportWithDisconnection();
    t.protocol = p;
    p.makeConnection(t);
    clock.advance(9);
    p.dataReceived(bytes("x"));
    clock.advance(9);
    assert.equal(t.disconnecting, false);
    clock.advance(1);
    assert.equal(t.disconnecting, true);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("returns the previous period from setTimeout and cancels with null", () => {
    const clock = new Clock();
    let fired = 0;
    const helper = new TimeoutHelper(() => fired++, { clock });
    assert.equal(helper.setTimeout(5), null);
    assert.equal(helper.setTimeout(7), 5);
    clock.advance(6);
    assert.equal(fired, 0);
    assert.equal(helper.setTimeout(null), 7);
    assert.equal(clock.getDelayedCalls().length, 0);
    clock.advance(10);
    assert.equal(fired, 0);
    // resetTimeout without a timeout is a no-op.
    helper.resetTimeout();
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("can be re-armed after it fired", () => {
    const clock = new Clock();
    let fired = 0;
    const helper = new TimeoutHelper(() => fired++, { clock });
    helper.setTimeout(1);
    clock.advance(1);
    assert.equal(fired, 1);
    // Twisted keeps timeOut after firing; setting it again arms a new call.
    assert.equal(helper.timeOut, 1);
    helper.setTimeout(2);
    clock.advance(2);
    assert.equal(fired, 2);
  });

  it("schedules through an overridden callLater", () => {
    const clock = new Clock();
    const periods: number[] = [];
    const helper = new TimeoutHelper(() => {}, { clock });
    helper.callLater = (period: number, fn: () => void): IDelayedCall => {
      periods.push(period);
      return clock.callLater(period, fn);
    };
    helper.setTimeout(3);
    assert.deepEqual(periods, [3]);
    helper.setTimeout(null);
  });
});

describe("TimeoutMixin", () => {
  it("gives a Protocol subclass setTimeout, resetTimeout and timeoutConnection", () => {
    const clock = new Clock();
    const p = new MixedIdle();
    p.clock = clock;
    const t = new StringTransportWithDisconnection();
    t.protocol = p;
    p.makeConnection(t);
    assert.equal(p.timeOut, 10);
    clock.advance(5);
    p.dataReceived(bytes("x"));
    clock.advance(9.5);
    assert.equal(p.timedOut, 0);
    clock.advance(0.5);
    assert.equal(p.timedOut, 1);
    assert.equal(t.disconnecting, true);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("is cancelled by setTimeout(null) when the connection is lost first", () => {
    const clock = new Clock();
    const p = new MixedIdle();
    p.clock = clock;
    const t = new StringTransportWithDisconnection();
    t.protocol = p;
    p.makeConnection(t);
    t.loseConnection();
    assert.equal(clock.getDelayedCalls().length, 0);
    clock.advance(20);
    assert.equal(p.timedOut, 0);
  });

  it("mixes into any class, with its own timeoutConnection", () => {
    class Session {
      name: string;
      expired = false;
      constructor(name: string) {
        this.name = name;
      }
    }
    class ExpiringSession extends TimeoutMixin(Session) {
      override timeoutConnection(): void {
        this.expired = true;
      }
    }
    const clock = new Clock();
    const s = new ExpiringSession("alice");
    s.clock = clock;
    assert.equal(s.name, "alice");
    assert.equal(s.setTimeout(2), null);
    assert.equal(s.setTimeout(3), 2);
    clock.advance(2.5);
    assert.equal(s.expired, false);
    clock.advance(0.5);
    assert.equal(s.expired, true);
  });

  it("drops the connection of an idle peer in an in-memory connection", () => {
    const clock = new Clock();
    const [client, server, pump] = connectedServerAndClient<AccumulatingProtocol, MixedIdle>(
      () => {
        const p = new MixedIdle();
        p.clock = clock;
        return p;
      },
      () => new AccumulatingProtocol(),
      { clock },
    );
    client.transport.write(bytes("hi"));
    pump.flush();
    clock.advance(10);
    pump.flush();
    assert.equal(server.timedOut, 1);
    assert.equal(client.closed, true);
  });
});

describe("TimeoutFactory", () => {
  function build(clock: Clock, timeoutPeriod = 30): [TimeoutProtocol, StringTransport] {
    const inner = Factory.forProtocol(AccumulatingProtocol);
    inner.noisy = false;
    const factory = new TimeoutFactory(inner, { timeoutPeriod, clock });
    const p = factory.buildProtocol(addr)!;
    const t = new StringTransportWithDisconnection();
    t.protocol = p;
    p.makeConnection(t);
    return [p, t];
  }

  it("closes a connection idle for timeoutPeriod, traffic either way resetting it", () => {
    const clock = new Clock();
    const [p, t] = build(clock);
    clock.advance(20);
    p.dataReceived(bytes("in"));
    clock.advance(20);
    (p.wrappedProtocol as AccumulatingProtocol).transport.write(bytes("out"));
    clock.advance(20);
    p.writeSequence([bytes("a")]);
    clock.advance(29);
    assert.equal(t.disconnecting, false);
    clock.advance(1);
    assert.equal(t.disconnecting, true);
    assert.equal((p.wrappedProtocol as AccumulatingProtocol).closed, true);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("cancels the timeout when the connection is lost", () => {
    const clock = new Clock();
    const [p, t] = build(clock);
    assert.equal(clock.getDelayedCalls().length, 1);
    (t as StringTransportWithDisconnection).loseConnection();
    assert.equal(clock.getDelayedCalls().length, 0);
    assert.equal(p.timeoutCall, null);
  });

  it("defaults to thirty minutes", () => {
    const factory = new TimeoutFactory(Factory.forProtocol(Protocol), { clock: new Clock() });
    assert.equal(factory.timeoutPeriod, 1800);
  });
});
