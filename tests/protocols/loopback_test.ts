import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { AccumulatingProtocol, Clock, trackLeaks } from "../../src/testing/mod.ts";
import { Protocol } from "../../src/internet/protocol.ts";
import { ConnectionDone, ConnectionLost } from "../../src/internet/error.ts";
import type { IPullProducer } from "../../src/internet/interfaces.ts";
import {
  collapsingPumpPolicy,
  identityPumpPolicy,
  loopbackAsync,
} from "../../src/protocols/loopback.ts";

trackLeaks({ beforeEach, afterEach });

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

/** Sends its lines on connection, then closes. */
class Sender extends AccumulatingProtocol {
  chunks: string[];
  constructor(chunks: string[]) {
    super();
    this.chunks = chunks;
  }
  override connectionMade(): void {
    super.connectionMade();
    for (const c of this.chunks) this.transport.write(bytes(c));
    this.transport.loseConnection();
  }
}

/** Records each chunk it gets. */
class Recorder extends AccumulatingProtocol {
  received: string[] = [];
  override dataReceived(data: Uint8Array): void {
    this.received.push(dec.decode(data));
    super.dataReceived(data);
  }
}

class Echo extends Recorder {
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    this.transport.write(data);
  }
}

describe("loopbackAsync", () => {
  it("delivers what one side writes to the other and fires when both are disconnected", async () => {
    const server = new Sender(["hello", " ", "world"]);
    const client = new Recorder();
    await loopbackAsync(server, client);
    assert.deepEqual(client.received, ["hello", " ", "world"]);
    assert.equal(server.closed, true);
    assert.equal(client.closed, true);
    assert.ok(server.closedReason!.check(ConnectionDone));
    assert.ok(client.closedReason!.check(ConnectionDone));
  });

  it("joins waiting chunks into one with collapsingPumpPolicy", async () => {
    const client = new Recorder();
    await loopbackAsync(new Sender(["a", "b", "c"]), client, {
      pumpPolicy: collapsingPumpPolicy,
    });
    assert.deepEqual(client.received, ["abc"]);
  });

  it("never delivers re-entrantly: an echo's answer arrives in a later round", async () => {
    const order: string[] = [];
    class Client extends Recorder {
      override connectionMade(): void {
        this.transport.write(bytes("ping"));
      }
      override dataReceived(data: Uint8Array): void {
        order.push("client got " + dec.decode(data));
        super.dataReceived(data);
        this.transport.loseConnection();
      }
    }
    class Server extends Echo {
      override dataReceived(data: Uint8Array): void {
        order.push("server got " + dec.decode(data));
        super.dataReceived(data);
        order.push("server wrote");
      }
    }
    const client = new Client();
    await loopbackAsync(new Server(), client, { pumpPolicy: identityPumpPolicy });
    assert.deepEqual(order, ["server got ping", "server wrote", "client got ping"]);
  });

  it("runs each round on the clock when one is given", () => {
    const clock = new Clock();
    const client = new Recorder();
    let fired = false;
    loopbackAsync(new Sender(["tick"]), client, { clock }).addCallback(() => {
      fired = true;
    });
    assert.deepEqual(client.received, []);
    clock.advance(0);
    assert.deepEqual(client.received, ["tick"]);
    for (let i = 0; i < 5 && !fired; i++) clock.advance(0);
    assert.equal(fired, true);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("waits for an idle side to write again", async () => {
    const clock = new Clock();
    const server = new Recorder();
    const client = new Recorder();
    const d = loopbackAsync(server, client, { clock });
    clock.advance(0);
    assert.equal(clock.getDelayedCalls().length, 0);
    client.transport.write(bytes("later"));
    clock.advance(0);
    assert.deepEqual(server.received, ["later"]);
    client.transport.loseConnection();
    clock.advance(0);
    clock.advance(0);
    await d;
    assert.equal(server.closed, true);
  });

  it("holds back delivery to a paused side until it resumes", () => {
    const clock = new Clock();
    const server = new Recorder();
    const client = new Recorder();
    loopbackAsync(server, client, { clock });
    server.transport.pauseProducing();
    client.transport.write(bytes("wait"));
    clock.advance(0);
    clock.advance(0);
    assert.deepEqual(server.received, []);
    server.transport.resumeProducing();
    clock.advance(0);
    assert.deepEqual(server.received, ["wait"]);
    client.transport.loseConnection();
    for (let i = 0; i < 3; i++) clock.advance(0);
    assert.equal(server.closed, true);
  });

  it("asks a pull producer for more each time its writes were delivered", async () => {
    class Pulling extends Protocol {
      left = 3;
      override connectionMade(): void {
        const producer: IPullProducer = {
          resumeProducing: () => {
            if (this.left === 0) {
              this.transport.unregisterProducer();
              this.transport.loseConnection();
              return;
            }
            this.transport.write(bytes(String(this.left--)));
          },
          stopProducing: () => {},
        };
        this.transport.registerProducer(producer, false);
      }
    }
    const client = new Recorder();
    await loopbackAsync(new Pulling(), client);
    assert.deepEqual(client.received, ["3", "2", "1"]);
    assert.equal(client.closed, true);
  });

  it("ends with ConnectionLost on both sides after abortConnection, dropping unsent bytes", async () => {
    class Aborter extends Recorder {
      override connectionMade(): void {
        this.transport.write(bytes("dropped"));
        this.transport.abortConnection();
      }
    }
    const server = new Aborter();
    const client = new Recorder();
    await loopbackAsync(server, client);
    assert.deepEqual(client.received, []);
    assert.ok(server.closedReason!.check(ConnectionLost));
    assert.ok(client.closedReason!.check(ConnectionLost));
  });

  it("fails the Deferred when a protocol throws", async () => {
    class Broken extends Protocol {
      override dataReceived(): void {
        throw new Error("boom");
      }
    }
    await assert.rejects(
      async () => await loopbackAsync(new Sender(["x"]), new Broken()),
      /boom/,
    );
  });
});
