import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AccumulatingProtocol,
  connectedServerAndClient,
  StringTransport,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { ClientFactory, Factory, IPv4Address, Protocol } from "../../src/internet/protocol.ts";
import { ConnectionDone } from "../../src/internet/error.ts";
import { Failure } from "../../src/internet/failure.ts";
import type { IConnector, IProtocol, IPushProducer } from "../../src/internet/interfaces.ts";
import {
  LimitConnectionsByPeer,
  ProtocolWrapper,
  WrappingFactory,
} from "../../src/protocols/policies.ts";
import { Deferred } from "../../src/internet/defer.ts";
import { reactor } from "../../runtimes/select.ts";

trackLeaks({ beforeEach, afterEach });

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const addr = new IPv4Address("TCP", "127.0.0.1", 4321);

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

class HalfCloseable extends AccumulatingProtocol {
  readLost = 0;
  writeLost = 0;
  readConnectionLost(): void {
    this.readLost++;
  }
  writeConnectionLost(): void {
    this.writeLost++;
  }
}

class HalfCloseTransport extends StringTransport {
  writeClosed = 0;
  loseWriteConnection(): void {
    this.writeClosed++;
  }
}

function quietFactory<F extends Factory>(f: F): F {
  f.noisy = false;
  return f;
}

function wrapped(protocolClass: new () => IProtocol = AccumulatingProtocol): WrappingFactory {
  const inner = quietFactory(Factory.forProtocol(protocolClass as new () => Protocol));
  return quietFactory(new WrappingFactory(inner));
}

describe("ProtocolWrapper", () => {
  it("is the wrapped protocol's transport and passes bytes both ways", () => {
    const factory = wrapped(Echo);
    const wrapper = factory.buildProtocol(addr)!;
    const transport = new StringTransport();
    wrapper.makeConnection(transport);
    assert.equal((wrapper.wrappedProtocol as Echo).transport, wrapper);
    wrapper.dataReceived(bytes("ping"));
    assert.equal(transport.valueText(), "ping");
    wrapper.writeSequence([bytes("a"), bytes("b")]);
    assert.equal(transport.valueText(), "pingab");
  });

  it("forwards addresses, producers and pause/resume/stop to the real transport", () => {
    const factory = wrapped();
    const wrapper = factory.buildProtocol(addr)!;
    const transport = new StringTransport();
    wrapper.makeConnection(transport);
    assert.equal(wrapper.getPeer(), transport.getPeer());
    assert.equal(wrapper.getHost(), transport.getHost());
    const producer: IPushProducer = {
      pauseProducing() {},
      resumeProducing() {},
      stopProducing() {},
    };
    wrapper.registerProducer(producer, true);
    assert.equal(transport.producer, producer);
    assert.equal(transport.streaming, true);
    wrapper.unregisterProducer();
    assert.equal(transport.producer, null);
    wrapper.pauseProducing();
    assert.equal(transport.producerState, "paused");
    wrapper.resumeProducing();
    assert.equal(transport.producerState, "producing");
    wrapper.stopProducing();
    assert.equal(transport.producerState, "stopped");
  });

  it("marks itself disconnecting on loseConnection and abortConnection", () => {
    const factory = wrapped();
    const a = factory.buildProtocol(addr)!;
    const ta = new StringTransport();
    a.makeConnection(ta);
    assert.equal(a.disconnecting, false);
    a.loseConnection();
    assert.equal(a.disconnecting, true);
    assert.equal(ta.disconnecting, true);
    assert.equal(ta.aborted, false);
    const b = factory.buildProtocol(addr)!;
    const tb = new StringTransport();
    b.makeConnection(tb);
    b.abortConnection();
    assert.equal(b.disconnecting, true);
    assert.equal(tb.aborted, true);
  });

  it("registers with its factory while connected and tells the wrapped protocol of the loss", () => {
    const factory = wrapped();
    const wrapper = factory.buildProtocol(addr)!;
    const transport = new StringTransportWithDisconnection();
    transport.protocol = wrapper;
    assert.equal(factory.protocols.size, 0);
    wrapper.makeConnection(transport);
    assert.deepEqual([...factory.protocols], [wrapper]);
    transport.loseConnection();
    assert.equal(factory.protocols.size, 0);
    const inner = wrapper.wrappedProtocol as AccumulatingProtocol;
    assert.equal(inner.closed, true);
    assert.ok(inner.closedReason!.check(ConnectionDone));
  });

  it("has half-close methods only where the wrapped protocol and transport have them", () => {
    const plain = wrapped().buildProtocol(addr)!;
    plain.makeConnection(new StringTransport());
    assert.equal(typeof plain.readConnectionLost, "undefined");
    assert.equal(typeof plain.writeConnectionLost, "undefined");
    assert.equal(typeof plain.loseWriteConnection, "undefined");

    const half = wrapped(HalfCloseable).buildProtocol(addr)!;
    const transport = new HalfCloseTransport();
    half.makeConnection(transport);
    half.readConnectionLost!();
    half.writeConnectionLost!();
    half.loseWriteConnection!();
    const inner = half.wrappedProtocol as HalfCloseable;
    assert.equal(inner.readLost, 1);
    assert.equal(inner.writeLost, 1);
    assert.equal(transport.writeClosed, 1);
  });

  it("passes a half-close through an in-memory connection", () => {
    const server = wrapped(HalfCloseable);
    const [client, serverWrapper, pump] = connectedServerAndClient<
      AccumulatingProtocol,
      ProtocolWrapper
    >(server, quietFactory(Factory.forProtocol(AccumulatingProtocol)));
    pump.clientIO.loseWriteConnection();
    pump.flush();
    const inner = serverWrapper.wrappedProtocol as HalfCloseable;
    assert.equal(inner.readLost, 1);
    assert.equal(inner.closed, false);
    inner.transport.write(bytes("still open"));
    (inner.transport as ProtocolWrapper).loseConnection();
    pump.flush();
    assert.equal(dec.decode(client.data), "still open");
    assert.equal(inner.closed, true);
    assert.equal(client.closed, true);
  });

  it("prefixes the wrapped protocol's log prefix", () => {
    const wrapper = wrapped(Echo).buildProtocol(addr)!;
    assert.equal(wrapper.logPrefix(), "Echo (ProtocolWrapper)");
  });
});

describe("WrappingFactory", () => {
  it("starts and stops the wrapped factory with itself", () => {
    const calls: string[] = [];
    class Inner extends Factory {
      override startFactory(): void {
        calls.push("start");
      }
      override stopFactory(): void {
        calls.push("stop");
      }
    }
    const inner = quietFactory(Factory.forProtocol.call(Inner, Protocol) as Inner);
    const factory = quietFactory(new WrappingFactory(inner));
    factory.doStart();
    assert.equal(inner.numPorts, 1);
    assert.equal(factory.numPorts, 1);
    factory.doStop();
    assert.equal(inner.numPorts, 0);
    assert.equal(factory.numPorts, 0);
    assert.deepEqual(calls, ["start", "stop"]);
  });

  it("forwards the client factory events when the wrapped factory has them", () => {
    const seen: string[] = [];
    class Client extends ClientFactory {
      override startedConnecting(_c: IConnector): void {
        seen.push("started");
      }
      override clientConnectionFailed(_c: IConnector, r: Failure): void {
        seen.push(`failed ${r.getErrorMessage()}`);
      }
      override clientConnectionLost(_c: IConnector, r: Failure): void {
        seen.push(`lost ${r.getErrorMessage()}`);
      }
    }
    const factory = new WrappingFactory(new Client());
    const connector = {} as IConnector;
    factory.startedConnecting(connector);
    factory.clientConnectionFailed(connector, new Failure(new Error("refused")));
    factory.clientConnectionLost(connector, new Failure(new Error("gone")));
    assert.deepEqual(seen, ["started", "failed refused", "lost gone"]);
    // A server factory has none of them: nothing happens, nothing throws.
    const server = new WrappingFactory(quietFactory(Factory.forProtocol(Protocol)));
    server.clientConnectionFailed(connector, new Failure(new Error("x")));
  });

  it("returns null when the wrapped factory refuses the connection", () => {
    class Refusing extends Factory {
      override buildProtocol(): IProtocol | null {
        return null;
      }
    }
    assert.equal(new WrappingFactory(new Refusing()).buildProtocol(addr), null);
  });

  it("builds its protocolWrapper subclass", () => {
    class Counting extends ProtocolWrapper {
      bytes = 0;
      override dataReceived(data: Uint8Array): void {
        this.bytes += data.byteLength;
        super.dataReceived(data);
      }
    }
    const factory = wrapped();
    factory.protocolWrapper = Counting;
    const p = factory.buildProtocol(addr) as Counting;
    assert.ok(p instanceof Counting);
    p.makeConnection(new StringTransport());
    p.dataReceived(bytes("12345"));
    assert.equal(p.bytes, 5);
    assert.equal(dec.decode((p.wrappedProtocol as AccumulatingProtocol).data), "12345");
  });

  it("relays a whole conversation through iosim", () => {
    const [client, , pump] = connectedServerAndClient<AccumulatingProtocol>(
      wrapped(Echo),
      quietFactory(Factory.forProtocol(AccumulatingProtocol)),
    );
    client.transport.write(bytes("hello"));
    pump.flush();
    assert.equal(dec.decode(client.data), "hello");
    client.transport.loseConnection();
    pump.flush();
    assert.equal(client.closed, true);
  });
});

/** Waits for `d`, failing after `seconds` of real time. */
async function within<T>(d: PromiseLike<T>, seconds = 10): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${seconds}s`)), seconds * 1000);
  });
  try {
    return await Promise.race([d, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe("policies over real TCP", () => {
  it("LimitConnectionsByPeer closes a second connection from the same host at once", async () => {
    const serverLost = new Deferred<void>();
    class Server extends Echo {
      override connectionLost(): void {
        serverLost.callback(undefined);
      }
    }
    class Client extends AccumulatingProtocol {
      constructor(made: Deferred<AccumulatingProtocol>, lost: Deferred<AccumulatingProtocol>) {
        super();
        this.madeDeferred = made;
        this.closedDeferred = lost;
      }
    }
    const limited = new LimitConnectionsByPeer(quietFactory(Factory.forProtocol(Server)), {
      maxConnectionsPerPeer: 1,
    });
    limited.noisy = false;
    const port = reactor.listenTCP(0, limited, { interface: "127.0.0.1" });
    try {
      await within(port.whenListening());
      const { port: number } = port.getHost() as IPv4Address;
      const connect = (): [Deferred<AccumulatingProtocol>, Deferred<AccumulatingProtocol>] => {
        const made = new Deferred<AccumulatingProtocol>();
        const lost = new Deferred<AccumulatingProtocol>();
        const f = new ClientFactory();
        f.noisy = false;
        f.buildProtocol = () => new Client(made, lost);
        reactor.connectTCP("127.0.0.1", number, f);
        return [made, lost];
      };
      const [made1, lost1] = connect();
      const first = await within(made1);
      first.transport.write(bytes("one"));
      const [, lost2] = connect();
      const second = await within(lost2);
      assert.equal(second.data.byteLength, 0);
      assert.equal(limited.peerConnections.get("127.0.0.1"), 1);
      first.transport.loseConnection();
      await within(lost1);
      await within(serverLost);
      assert.equal(limited.peerConnections.size, 0);
    } finally {
      await within(port.stopListening());
    }
  });
});
