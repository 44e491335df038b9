// The basic receivers end to end over real TCP on 127.0.0.1, on the runtime
// running the test, with the leak check confirming everything was closed.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { reactor } from "../../runtimes/select.ts";
import { Int32StringReceiver, LineReceiver } from "../../src/protocols/basic.ts";
import { ClientFactory, Factory } from "../../src/internet/protocol.ts";
import type { IPv4Address } from "../../src/internet/address.ts";
import { Deferred } from "../../src/internet/defer.ts";
import type { Failure } from "../../src/internet/failure.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

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

describe("basic receivers over real TCP", () => {
  it("LineReceiver: a line server answers lines sent in many small writes", async () => {
    const serverLost = new Deferred<void>();
    class Upper extends LineReceiver {
      override connectionLost(): void {
        serverLost.callback(undefined);
      }
      override lineReceived(line: Uint8Array): void {
        const text = new TextDecoder().decode(line);
        if (text === "quit") this.transport.loseConnection();
        else this.sendLine(text.toUpperCase());
      }
    }
    const replies: string[] = [];
    const lost = new Deferred<string>();
    class Client extends LineReceiver {
      override connectionMade(): void {
        // Byte by byte: the server must reassemble lines across reads.
        const wire = new TextEncoder().encode("hello\r\nworld\r\n" + "x".repeat(5000) + "\r\n");
        for (let i = 0; i < wire.byteLength; i += 7) this.transport.write(wire.slice(i, i + 7));
      }
      override lineReceived(line: Uint8Array): void {
        replies.push(new TextDecoder().decode(line));
        if (replies.length === 3) this.sendLine("quit");
      }
      override connectionLost(reason: Failure): void {
        lost.callback(reason.value.name);
      }
    }
    const server = Factory.forProtocol(Upper);
    server.noisy = false;
    const port = reactor.listenTCP(0, server, { interface: "127.0.0.1" });
    try {
      await within(port.whenListening());
      const { port: number } = port.getHost() as IPv4Address;
      const factory = ClientFactory.forProtocol(Client);
      factory.noisy = false;
      reactor.connectTCP("127.0.0.1", number, factory);
      assert.equal(await within(lost), "ConnectionDone");
      await within(serverLost);
      assert.deepEqual(replies, ["HELLO", "WORLD", "X".repeat(5000)]);
    } finally {
      await within(port.stopListening());
    }
  });

  it("Int32StringReceiver: a 1 MiB string crosses intact", async () => {
    const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) % 256);
    let received: Uint8Array | null = null;
    const serverLost = new Deferred<void>();
    class Server extends Int32StringReceiver {
      override MAX_LENGTH = 2 << 20;
      override connectionLost(): void {
        serverLost.callback(undefined);
      }
      override stringReceived(string: Uint8Array): void {
        received = string;
        this.transport.loseConnection();
      }
    }
    const closed = new Deferred<void>();
    class Client extends Int32StringReceiver {
      override connectionMade(): void {
        this.sendString(big);
      }
      override connectionLost(): void {
        closed.callback(undefined);
      }
    }
    const server = Factory.forProtocol(Server);
    server.noisy = false;
    const port = reactor.listenTCP(0, server, { interface: "127.0.0.1" });
    try {
      await within(port.whenListening());
      const { port: number } = port.getHost() as IPv4Address;
      const client = ClientFactory.forProtocol(Client);
      client.noisy = false;
      reactor.connectTCP("127.0.0.1", number, client);
      await within(closed);
      await within(serverLost);
      assert.ok(received !== null);
      assert.equal((received as Uint8Array).byteLength, big.byteLength);
      assert.deepEqual(received, big);
    } finally {
      await within(port.stopListening());
    }
  });
});
