// Port forwarding with real loopback sockets behind an in-memory SSH pair:
// direct-tcpip (ssh -L) to an echo server, and tcpip-forward (ssh -R) back to
// a client channel.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  enableForwarding,
  packOpen_direct_tcpip,
  SSHChannel,
  SSHConnection,
  SSHListenForwardingFactory,
  SSHWriter,
  unpackOpen_forwarded_tcpip,
} from "../../../src/conch/mod.ts";
import { reactor } from "../../../runtimes/select.ts";
import { ClientFactory, Factory, Protocol } from "../../../src/internet/protocol.ts";
import type { IPv4Address } from "../../../src/internet/address.ts";
import { Deferred } from "../../../src/internet/defer.ts";
import type { IListeningPort } from "../../../src/internet/interfaces.ts";
import { makeFactory, PasswordAuth, run, serverOf, TestClient, TestUser } from "./_pair.ts";

/** Answers with what it got, reversed, once the client half-closes. */
class AnswerOnEOF extends Protocol {
  #got: number[] = [];
  override dataReceived(data: Uint8Array): void {
    this.#got.push(...data);
  }
  readConnectionLost(): void {
    this.transport.write(new Uint8Array(this.#got.reverse()));
    this.transport.loseConnection();
  }
}

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

async function forwardingServer() {
  const factory = await makeFactory();
  const realm = factory.portal!.realm as { requestAvatar: unknown };
  realm.requestAvatar = (_id: unknown, _mind: unknown, iface: unknown) => {
    const user = new TestUser();
    enableForwarding(user, { reactor });
    return [iface, user, () => user.logout()];
  };
  return serverOf(factory);
}

async function echoServer(): Promise<IListeningPort> {
  const factory = Factory.forProtocol(Echo);
  factory.noisy = false;
  const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
  await port.whenListening!();
  return port;
}

const portOf = (port: IListeningPort) => (port.getHost() as IPv4Address).port;

describe("SSH port forwarding", () => {
  it("carries a direct-tcpip channel to a TCP server and back (ssh -L)", async () => {
    const echo = await echoServer();
    try {
      const server = await forwardingServer();
      const client = new TestClient();
      const payload = new Uint8Array(300_000).map((_, i) => i * 13);
      const received: Uint8Array[] = [];
      let got = 0;
      const channel = new (class extends SSHChannel {
        override name = "direct-tcpip";
        override specificData(): Uint8Array {
          return packOpen_direct_tcpip(["127.0.0.1", portOf(echo)], ["127.0.0.1", 4000]);
        }
        override channelOpen(): void {
          this.write(payload);
        }
        override dataReceived(data: Uint8Array): void {
          received.push(data);
          got += data.length;
          if (got === payload.length) this.loseConnection();
        }
        override closed(): void {
          this.conn!.transport.sendDisconnect(11, "done");
        }
      })();
      const conn = new (class extends SSHConnection {
        override serviceStarted(): void {
          super.serviceStarted();
          this.openChannel(channel);
        }
      })();
      client.onSecure = (c) => c.requestService(new PasswordAuth("alice", conn, ["secret"]));
      await run(server, client);
      const joined = new Uint8Array(got);
      let at = 0;
      for (const chunk of received) {
        joined.set(chunk, at);
        at += chunk.length;
      }
      assert.deepEqual(joined, payload);
    } finally {
      await echo.stopListening();
    }
  });

  it("passes a half-close through direct-tcpip and carries the answer back", async () => {
    const factory = Factory.forProtocol(AnswerOnEOF);
    factory.noisy = false;
    const target = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
    await target.whenListening!();
    try {
      const server = await forwardingServer();
      const client = new TestClient();
      let answer = "";
      const channel = new (class extends SSHChannel {
        override name = "direct-tcpip";
        override specificData(): Uint8Array {
          return packOpen_direct_tcpip(["127.0.0.1", portOf(target)], ["127.0.0.1", 4001]);
        }
        override channelOpen(): void {
          this.write(new TextEncoder().encode("abc"));
          this.loseWriteConnection();
        }
        override dataReceived(data: Uint8Array): void {
          answer += new TextDecoder().decode(data);
        }
        override closed(): void {
          this.conn!.transport.sendDisconnect(11, "done");
        }
      })();
      const conn = new (class extends SSHConnection {
        override serviceStarted(): void {
          super.serviceStarted();
          this.openChannel(channel);
        }
      })();
      client.onSecure = (c) => c.requestService(new PasswordAuth("alice", conn, ["secret"]));
      await run(server, client);
      assert.equal(answer, "cba");
    } finally {
      await target.stopListening();
    }
  });

  it("listens for tcpip-forward on loopback and opens forwarded-tcpip channels (ssh -R)", async () => {
    const server = await forwardingServer();
    const client = new TestClient();
    const echoed = new Deferred<string>();
    let origin: Uint8Array | null = null;
    let boundPort = -1;
    const conn = new (class extends SSHConnection {
      override serviceStarted(): void {
        super.serviceStarted();
        const request = new SSHWriter().string("localhost").uint32(0).bytes();
        this.sendGlobalRequest("tcpip-forward", request, { wantReply: true }).then((answer) => {
          const port = new DataView(answer.buffer, answer.byteOffset).getUint32(0);
          boundPort = port;
          // A TCP client connects to the forwarded port and expects its bytes back.
          const tcp = new (class extends Protocol {
            override connectionMade(): void {
              this.transport.write(new TextEncoder().encode("through the tunnel"));
            }
            override dataReceived(data: Uint8Array): void {
              echoed.callback(new TextDecoder().decode(data));
              this.transport.loseConnection();
            }
          })();
          const factory = new ClientFactory();
          factory.noisy = false;
          factory.buildProtocol = () => tcp;
          reactor.connectTCP("127.0.0.1", port, factory);
        });
      }
      override getChannel(channelType: string, _window: number, _max: number, data: Uint8Array) {
        assert.equal(channelType, "forwarded-tcpip");
        origin = data;
        return new (class extends SSHChannel {
          override dataReceived(bytes: Uint8Array): void {
            this.write(bytes);
          }
        })();
      }
    })();
    client.onSecure = (c) => c.requestService(new PasswordAuth("alice", conn, ["secret"]));
    const finished = run(server, client);
    const text = await echoed;
    client.sendDisconnect(11, "done");
    await finished;
    assert.equal(text, "through the tunnel");
    assert.ok(origin !== null);
    // The channel names the port actually bound, not the 0 that was asked for.
    assert.deepEqual(unpackOpen_forwarded_tcpip(origin)[0], ["localhost", boundPort]);
  });

  it("makes SSHListenForwardingFactory open one channel per accepted socket", () => {
    const opened: SSHChannel[] = [];
    const conn = new SSHConnection();
    conn.openChannel = (channel: SSHChannel) => void opened.push(channel);
    const factory = new SSHListenForwardingFactory(conn, ["10.0.0.1", 80], "direct-tcpip");
    factory.buildProtocol({ type: "TCP", host: "127.0.0.1", port: 5555 } as never);
    assert.equal(opened.length, 1);
    assert.equal(opened[0].name, "direct-tcpip");
    assert.deepEqual(
      opened[0].specificData(),
      packOpen_direct_tcpip(["10.0.0.1", 80], ["127.0.0.1", 5555]),
    );
  });
});
