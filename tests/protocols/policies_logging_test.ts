import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AccumulatingProtocol,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { Factory, IPv4Address, Protocol } from "../../src/internet/protocol.ts";
import { formatEvent, type LogEvent, Logger } from "../../src/logger/mod.ts";
import {
  bytesRepr,
  SpewingFactory,
  TrafficLoggingFactory,
  type TrafficLoggingProtocol,
} from "../../src/protocols/policies.ts";

trackLeaks({ beforeEach, afterEach });

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const addr = new IPv4Address("TCP", "127.0.0.1", 8888);

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

function inner(protocol: new () => Protocol = Echo): Factory {
  const f = Factory.forProtocol(protocol);
  f.noisy = false;
  return f;
}

function connect<P>(factory: { buildProtocol(a: IPv4Address): P | null }): [
  P,
  StringTransportWithDisconnection,
] {
  const p = factory.buildProtocol(addr)!;
  const t = new StringTransportWithDisconnection();
  t.protocol = p as never;
  (p as unknown as Protocol).makeConnection(t);
  return [p, t];
}

describe("bytesRepr", () => {
  it("quotes printable ASCII and escapes the rest", () => {
    assert.equal(bytesRepr(bytes('GET "/"\r\n\t\\')), '"GET \\"/\\"\\r\\n\\t\\\\"');
    assert.equal(bytesRepr(new Uint8Array([0, 0x7f, 0xff])), '"\\x00\\x7f\\xff"');
  });
});

describe("TrafficLoggingFactory", () => {
  it("writes Twisted's lines to a numbered log per connection", () => {
    const lines: string[] = [];
    const factory = new TrafficLoggingFactory(inner(), "echo", {
      log: (line, name) => lines.push(`${name} ${line}`),
    });
    const [p, t] = connect<TrafficLoggingProtocol>(factory);
    p.dataReceived(bytes("hi\n"));
    p.writeSequence([bytes("a"), bytes("b")]);
    p.loseConnection();
    assert.equal(t.valueText(), "hi\nab");
    assert.deepEqual(lines, [
      "echo-1 *",
      'echo-1 C 1: "hi\\n"',
      'echo-1 S 1: "hi\\n"',
      'echo-1 SV 1: ["a", "b"]',
      "echo-1 S 1: *",
      "echo-1 C 1: Bye.",
    ]);
    lines.length = 0;
    connect<TrafficLoggingProtocol>(factory)[1].loseConnection();
    assert.equal(lines[0], "echo-2 *");
    assert.equal(factory.counter, 2);
    factory.resetCounter();
    connect<TrafficLoggingProtocol>(factory)[1].loseConnection();
    assert.deepEqual(lines.slice(-2), ["echo-1 *", "echo-1 C 1: Bye."]);
  });

  it("cuts long chunks to lengthLimit with an elided mark", () => {
    const lines: string[] = [];
    const factory = new TrafficLoggingFactory(inner(AccumulatingProtocol), "long", {
      lengthLimit: 20,
      log: (line) => lines.push(line),
    });
    const [p, t] = connect<TrafficLoggingProtocol>(factory);
    p.dataReceived(bytes("x".repeat(100)));
    assert.equal(lines[1], `C 1: "${"x".repeat(7)}<... elided>`);
    assert.equal(lines[1].length, "C 1: ".length + 20);
    t.loseConnection();
  });

  it("logs to a Logger by default, with the log's name as a field", () => {
    const events: LogEvent[] = [];
    const factory = new TrafficLoggingFactory(inner(), "web", {
      log: new Logger("test.traffic", (e) => events.push(e)),
    });
    const [p, t] = connect<TrafficLoggingProtocol>(factory);
    p.dataReceived(bytes("x"));
    t.loseConnection();
    assert.equal(events[0].logName, "web-1");
    assert.equal(formatEvent(events[1]), 'web-1 C 1: "x"');
    assert.equal(events[0].log_level, "info");
  });
});

describe("SpewingFactory", () => {
  it("logs every chunk received and sent", () => {
    const events: LogEvent[] = [];
    const factory = new SpewingFactory(inner(), new Logger("spew", (e) => events.push(e)));
    const [p, t] = connect<Protocol>(factory);
    p.dataReceived(bytes("ping"));
    assert.deepEqual(events.map(formatEvent), ['Received: "ping"', 'Sending: "ping"']);
    assert.equal(t.valueText(), "ping");
    t.loseConnection();
  });
});
