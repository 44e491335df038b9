import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../src/internet/memory_socket.ts";
import { listenMulticast, listenUDP } from "../../src/internet/udp.ts";
import { type DatagramAddress, DatagramProtocol } from "../../src/internet/protocol.ts";
import { CannotListenError } from "../../src/internet/error.ts";
import { IPv4Address } from "../../src/internet/address.ts";
import { bytes, capturingLogger, settle, text, until } from "./_transport_helpers.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

class Recorder extends DatagramProtocol {
  got: [string, DatagramAddress][] = [];
  calls: string[] = [];
  override noisy = false;
  override startProtocol(): void {
    this.calls.push("start");
  }
  override stopProtocol(): void {
    this.calls.push("stop");
  }
  override datagramReceived(data: Uint8Array, addr: DatagramAddress): void {
    this.got.push([text([data]), addr]);
  }
}

class Echo extends Recorder {
  override datagramReceived(data: Uint8Array, addr: DatagramAddress): void {
    super.datagramReceived(data, addr);
    this.transport!.write(data, addr);
  }
}

describe("listenUDP()", () => {
  it("starts the protocol once bound and echoes datagrams with [host, port] addresses", async () => {
    const net = new MemoryNetwork();
    const server = new Echo();
    const serverPort = listenUDP(net, 9999, server, { interface: "127.0.0.1" });
    assert.deepEqual(server.calls, []);
    await serverPort.whenListening();
    assert.deepEqual(server.calls, ["start"]);
    assert.equal(server.transport, serverPort);
    const client = new Recorder();
    const clientPort = listenUDP(net, 0, client, { interface: "127.0.0.1" });
    await clientPort.whenListening();
    const clientHost = clientPort.getHost();
    assert.ok(clientHost instanceof IPv4Address);
    assert.equal(clientHost.type, "UDP");
    clientPort.write(bytes("marco"), ["127.0.0.1", 9999]);
    await until(() => client.got.length === 1);
    assert.deepEqual(server.got, [["marco", ["127.0.0.1", clientHost.port]]]);
    assert.deepEqual(client.got, [["marco", ["127.0.0.1", 9999]]]);
    let stopped = false;
    serverPort.stopListening().addCallback(() => {
      assert.deepEqual(server.calls, ["start", "stop"]);
      stopped = true;
    });
    await until(() => stopped);
    assert.equal(server.transport, null);
    await clientPort.stopListening();
  });

  it("a connected port writes without an address and ignores other peers", async () => {
    const net = new MemoryNetwork();
    const a = new Recorder();
    const b = new Recorder();
    const c = new Recorder();
    const pa = listenUDP(net, 1000, a, { interface: "127.0.0.1" });
    const pb = listenUDP(net, 1001, b, { interface: "127.0.0.1" });
    const pc = listenUDP(net, 1002, c, { interface: "127.0.0.1" });
    await Promise.all([pa.whenListening(), pb.whenListening(), pc.whenListening()]);
    pa.connect("127.0.0.1", 1001);
    assert.throws(() => pa.connect("127.0.0.1", 1002), /already connected/);
    assert.throws(() => pa.write(bytes("x"), ["127.0.0.1", 1002]), /cannot write/);
    pa.write(bytes("to b"));
    pb.write(bytes("from b"), ["127.0.0.1", 1000]);
    pc.write(bytes("from c"), ["127.0.0.1", 1000]);
    await settle();
    assert.deepEqual(b.got, [["to b", ["127.0.0.1", 1000]]]);
    assert.deepEqual(a.got, [["from b", ["127.0.0.1", 1001]]]);
    await Promise.all([pa.stopListening(), pb.stopListening(), pc.stopListening()]);
  });

  it("refuses host names, unconnected writes without an address, and writes before the bind", async () => {
    const net = new MemoryNetwork();
    const p = listenUDP(net, 0, new Recorder());
    assert.throws(() => p.write(bytes("early"), ["127.0.0.1", 1]), /not listening/);
    await p.whenListening();
    assert.throws(() => p.write(bytes("x"), ["example.com", 53]), TypeError);
    assert.throws(() => p.write(bytes("x")), TypeError);
    assert.throws(() => p.connect("example.com", 53), TypeError);
    await p.stopListening();
  });

  it("truncates received datagrams to maxPacketSize", async () => {
    const net = new MemoryNetwork();
    const r = new Recorder();
    const p = listenUDP(net, 2000, r, { interface: "127.0.0.1", maxPacketSize: 4 });
    const s = listenUDP(net, 2001, new Recorder(), { interface: "127.0.0.1" });
    await Promise.all([p.whenListening(), s.whenListening()]);
    assert.equal(p.maxPacketSize, 4);
    s.write(bytes("abcdefgh"), ["127.0.0.1", 2000]);
    await until(() => r.got.length === 1);
    assert.equal(r.got[0][0], "abcd");
    await Promise.all([p.stopListening(), s.stopListening()]);
  });

  it("fails whenListening() with CannotListenError when the port is taken", async () => {
    const net = new MemoryNetwork();
    const first = listenUDP(net, 3000, new Recorder());
    await first.whenListening();
    const { logger, events } = capturingLogger();
    const r = new Recorder();
    const second = listenUDP(net, 3000, r, { logger });
    const error = await second.whenListening().then(() => null, (e) => e);
    assert.ok(error instanceof CannotListenError);
    assert.match(error.message, /0\.0\.0\.0:3000/);
    assert.deepEqual(r.calls, []);
    assert.equal(events.length, 0);
    await first.stopListening();
  });

  it("logs an exception from datagramReceived and keeps listening", async () => {
    const net = new MemoryNetwork();
    const { logger, events } = capturingLogger();
    class Bad extends Recorder {
      override datagramReceived(data: Uint8Array, addr: DatagramAddress): void {
        super.datagramReceived(data, addr);
        throw new Error("bad datagram");
      }
    }
    const bad = new Bad();
    const p = listenUDP(net, 4000, bad, { interface: "127.0.0.1", logger });
    const s = listenUDP(net, 4001, new Recorder(), { interface: "127.0.0.1" });
    await Promise.all([p.whenListening(), s.whenListening()]);
    s.write(bytes("1"), ["127.0.0.1", 4000]);
    s.write(bytes("2"), ["127.0.0.1", 4000]);
    await until(() => bad.got.length === 2);
    assert.equal(events.length, 2);
    await Promise.all([p.stopListening(), s.stopListening()]);
  });

  it("delegates the multicast settings to the datagram socket", async () => {
    const net = new MemoryNetwork();
    const p = listenMulticast(net, 5000, new Recorder(), { listenMultiple: true });
    await p.whenListening();
    await p.joinGroup("239.1.2.3");
    const socket = p.socket as unknown as { groups: Set<string>; ttl: number; loopback: boolean };
    assert.deepEqual([...socket.groups], ["239.1.2.3"]);
    p.setTTL(4);
    p.setLoopbackMode(0);
    p.setBroadcastAllowed(true);
    assert.equal(socket.ttl, 4);
    assert.equal(p.getTTL(), 4);
    assert.equal(socket.loopback, false);
    assert.equal(p.getLoopbackMode(), false);
    assert.equal(p.getBroadcastAllowed(), true);
    await p.leaveGroup("239.1.2.3");
    assert.deepEqual([...socket.groups], []);
    await p.stopListening();
  });
});
