// DNSDatagramProtocol and DNSProtocol: replies matched by address, id and
// question; timeouts on the Clock; TCP framing in chunks of any size.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DNSDatagramProtocol,
  DNSProtocol,
  DNSQueryTimeoutError,
  type IDNSController,
  Message,
  Query,
} from "../../src/names/mod.ts";
import { Clock, FakeDatagramTransport, StringTransport } from "../../src/testing/mod.ts";
import type { DatagramAddress } from "../../src/internet/protocol.ts";
import { Failure } from "../../src/internet/failure.ts";
import { ConnectionLost } from "../../src/internet/error.ts";

function recorder(): IDNSController & { got: Message[]; bad: Uint8Array[] } {
  const got: Message[] = [], bad: Uint8Array[] = [];
  return {
    got,
    bad,
    messageReceived(m: Message) {
      got.push(m);
    },
    malformedReceived(bytes: Uint8Array) {
      bad.push(bytes);
    },
  };
}

function udp() {
  const clock = new Clock();
  const controller = recorder();
  const proto = new DNSDatagramProtocol(controller, { reactor: clock });
  const transport = new FakeDatagramTransport();
  proto.makeConnection(transport);
  return { clock, controller, proto, transport };
}

function replyTo(bytes: Uint8Array, change: (m: Message) => void = () => {}): Uint8Array {
  const asked = Message.fromStr(bytes);
  const reply = new Message({ id: asked.id, answer: true, queries: asked.queries });
  change(reply);
  return reply.toStr();
}

describe("DNSDatagramProtocol.query()", () => {
  const server: DatagramAddress = ["192.0.2.53", 53];

  it("sends EDNS 0 with 1232 bytes, recursion desired, and a random id", () => {
    const { proto, transport } = udp();
    for (const name of ["example.com", "example.org", "example.net"]) {
      proto.query(server, [new Query(name)]).addErrback(() => null);
    }
    const [a, b, c] = transport.written.map(([bytes]) => Message.fromStr(bytes));
    assert.equal(a.ednsVersion, 0);
    assert.equal(a.maxSize, 1232);
    assert.equal(a.recDes, true);
    // Random ids: all three alike would be a 1 in 4 billion chance.
    assert.ok(a.id !== b.id || b.id !== c.id, "each query its own random id");
    assert.deepEqual(transport.written[0][1], server);
    proto.stopProtocol();
  });

  it("fires with the reply from the server asked", async () => {
    const { proto, transport } = udp();
    const d = proto.query(server, [new Query("example.com")]);
    proto.datagramReceived(replyTo(transport.written[0][0]), server);
    assert.equal((await d).answer, true);
    assert.equal(proto.liveMessages.size, 0);
  });

  it("ignores replies from another address or port, with another id or question", () => {
    const { proto, transport, controller } = udp();
    let fired = false;
    proto.query(server, [new Query("example.com")]).addCallback(() => {
      fired = true;
    });
    const sent = transport.written[0][0];
    proto.datagramReceived(replyTo(sent), ["192.0.2.66", 53]);
    proto.datagramReceived(replyTo(sent), ["192.0.2.53", 5353]);
    proto.datagramReceived(replyTo(sent, (m) => (m.id = (m.id + 1) & 0xffff)), server);
    proto.datagramReceived(replyTo(sent, (m) => (m.queries = [new Query("evil.example")])), server);
    proto.datagramReceived(replyTo(sent, (m) => (m.queries = [])), server);
    assert.equal(fired, false);
    assert.equal(controller.got.length, 0, "replies are never handed to the controller");
    proto.datagramReceived(replyTo(sent, (m) => (m.queries = [], m.rCode = 2)), server);
    assert.equal(fired, true, "an error reply may omit the question");
  });

  it("fails with DNSQueryTimeoutError when the timeout passes", () => {
    const { proto, clock } = udp();
    let failure: Failure | null = null;
    proto.query(server, [new Query("example.com")], { timeout: 3, id: 77 }).addErrback((f) => {
      failure = f;
    });
    clock.advance(2.9);
    assert.equal(failure, null);
    clock.advance(0.1);
    assert.ok(failure!.value instanceof DNSQueryTimeoutError);
    assert.equal((failure!.value as DNSQueryTimeoutError).id, 77);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("forgets a cancelled query and its timer", () => {
    const { proto, clock } = udp();
    const d = proto.query(server, [new Query("example.com")]);
    d.addErrback(() => null);
    d.cancel();
    assert.equal(proto.liveMessages.size, 0);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("hands queries to the controller and malformed bytes to its malformedReceived", () => {
    const { proto, controller } = udp();
    proto.datagramReceived(
      new Message({ id: 5, queries: [new Query("a.example")] }).toStr(),
      server,
    );
    proto.datagramReceived(Uint8Array.of(1, 2, 3), server);
    assert.equal(controller.got.length, 1);
    assert.equal(controller.bad.length, 1);
  });

  it("fails pending queries when the port stops", () => {
    const { proto } = udp();
    let failed = false;
    proto.query(server, [new Query("example.com")]).addErrback(() => {
      failed = true;
    });
    proto.doStop();
    assert.equal(failed, true);
  });
});

describe("DNSProtocol (TCP)", () => {
  function tcp() {
    const controller = recorder();
    const proto = new DNSProtocol(controller, { reactor: new Clock() });
    const transport = new StringTransport();
    proto.makeConnection(transport);
    return { controller, proto, transport };
  }
  const framed = (bytes: Uint8Array) =>
    Uint8Array.from([bytes.length >> 8, bytes.length & 0xff, ...bytes]);

  it("reassembles messages split at every byte, and several in one chunk", () => {
    const { proto, controller } = tcp();
    const one = framed(new Message({ id: 1, queries: [new Query("a.example")] }).toStr());
    const two = framed(new Message({ id: 2, queries: [new Query("b.example")] }).toStr());
    for (const b of one) proto.dataReceived(Uint8Array.of(b));
    proto.dataReceived(Uint8Array.from([...two, ...one]));
    assert.deepEqual(controller.got.map((m) => m.id), [1, 2, 1]);
    assert.equal(proto.pendingBytes, 0);
  });

  it("closes the connection on a zero length", () => {
    const { proto, transport } = tcp();
    proto.dataReceived(Uint8Array.of(0, 0));
    assert.equal(transport.disconnecting, true);
  });

  it("matches replies to its queries and fails them when the connection is lost", async () => {
    const { proto, transport } = tcp();
    const d = proto.query([new Query("example.com")]);
    const asked = transport.value().subarray(2);
    proto.dataReceived(framed(replyTo(asked)));
    assert.equal((await d).answer, true);
    const lost = proto.query([new Query("example.org")]);
    proto.connectionLost(new Failure(new ConnectionLost()));
    await assert.rejects(Promise.resolve(lost), ConnectionLost);
  });
});
