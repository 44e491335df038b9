// The connection protocol in memory: windows both ways, channel and global
// requests, refusals, and peers that break the rules.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ConchError,
  DISCONNECT,
  MSG,
  OPEN,
  RequestFailed,
  SSHChannel,
  SSHConnection,
  SSHWriter,
} from "../../../src/conch/mod.ts";
import { reactor } from "../../../runtimes/select.ts";
import {
  CollectingChannel,
  EchoSession,
  loginAndOpen,
  makeFactory,
  PasswordAuth,
  run,
  serverOf,
  TestClient,
  TestUser,
} from "./_pair.ts";

/** Sends `total` bytes in one write once the command runs, and records each data packet. */
class BulkSession extends EchoSession {
  override execCommand(
    protocol: Parameters<EchoSession["execCommand"]>[0],
    _command: string,
  ): void {
    const channel = protocol.session;
    channel.write(new Uint8Array(200_000).fill(7));
    channel.whenDrained().then(() => {
      channel.conn!.sendRequest(channel, "exit-status", new Uint8Array(4)).catch(() => {});
      channel.loseConnection();
    });
  }
}

describe("SSHConnection", () => {
  it("sends all of a real process's output before EOF and exit-status, through a small window", async () => {
    const factory = await makeFactory();
    const realm = factory.portal!.realm as { requestAvatar: unknown };
    realm.requestAvatar = (_id: unknown, _mind: unknown, iface: unknown) => {
      const user = new TestUser();
      user.sessionFor = () => ({
        openShell() {},
        execCommand(protocol, command) {
          reactor.spawnProcess(protocol, "/bin/sh", ["sh", "-c", command]);
        },
      });
      return [iface, user, () => {}];
    };
    const server = serverOf(factory);
    const client = new TestClient();
    const events: string[] = [];
    // A 16 KiB window: the process is paused and resumed many times, and
    // exits while output is still held back.
    const channel = new (class extends CollectingChannel {
      override eofReceived(): void {
        events.push(`eof after ${this.out.reduce((n, c) => n + c.length, 0)}`);
      }
      override request_exit_status(data: Uint8Array): boolean {
        events.push("exit-status");
        return super.request_exit_status(data);
      }
    })("head -c 1000000 /dev/zero", null, 16 * 1024);
    loginAndOpen(client, "secret", channel);
    await run(server, client);
    assert.deepEqual(events, ["eof after 1000000", "exit-status"]);
    assert.equal(channel.exitStatus, 0);
  });

  it("never sends past the peer's window, and the peer's adjustments let it finish", async () => {
    const factory = await makeFactory();
    const realm = factory.portal!.realm as { requestAvatar: unknown };
    realm.requestAvatar = (_id: unknown, _mind: unknown, iface: unknown) => {
      const user = new TestUser();
      user.sessionFor = () => new BulkSession();
      return [iface, user, () => {}];
    };
    const server = serverOf(factory);
    const client = new TestClient();
    // A 10 000-byte window: the server must split and wait for WINDOW_ADJUST.
    const channel = new CollectingChannel("bulk", null, 10_000);
    channel.localMaxPacket = 4096;
    let peak = 0;
    let sinceAdjust = 0;
    const received = channel.dataReceived.bind(channel);
    channel.dataReceived = (data) => {
      sinceAdjust += data.length;
      peak = Math.max(peak, data.length);
      assert.ok(channel.localWindowLeft >= 0);
      received(data);
    };
    loginAndOpen(client, "secret", channel);
    await run(server, client);
    const total = channel.out.reduce((n, c) => n + c.length, 0);
    assert.equal(total, 200_000);
    assert.ok(sinceAdjust > 0 && peak <= 4096, `largest packet ${peak} bytes`);
    assert.equal(channel.exitStatus, 0);
  });

  it("disconnects a peer that sends past our window", async () => {
    const factory = await makeFactory();
    const realm = factory.portal!.realm as { requestAvatar: unknown };
    realm.requestAvatar = (_id: unknown, _mind: unknown, iface: unknown) => {
      const user = new TestUser();
      // A command that reads nothing: its window is never opened again.
      user.sessionFor = () => ({
        openShell() {},
        execCommand(protocol) {
          protocol.session.pauseProducing();
        },
      });
      return [iface, user, () => {}];
    };
    const server = serverOf(factory);
    const client = new TestClient();
    const channel = new (class extends CollectingChannel {
      override channelOpen(): void {
        const exec = new SSHWriter().string("sink").bytes();
        this.conn!.sendRequest(this, "exec", exec, { wantReply: true }).then(() => {
          // Pretend the server's window is endless and flood it.
          this.remoteWindowLeft = 1e9;
          this.write(new Uint8Array(3 * 1024 * 1024));
        }, () => {});
      }
    })("sink");
    loginAndOpen(client, "secret", channel);
    await run(server, client);
    assert.equal(client.errors[0]?.[0], DISCONNECT.PROTOCOL_ERROR);
    assert.match(client.errors[0][1], /window exceeded/);
  });

  it("disconnects a peer that names an unknown channel", async () => {
    const server = serverOf(await makeFactory());
    const client = new TestClient();
    const conn = new (class extends SSHConnection {
      override serviceStarted(): void {
        this.transport.sendMessage(
          new SSHWriter().byte(MSG.CHANNEL_DATA).uint32(99).string("x").bytes(),
        );
      }
    })();
    client.onSecure = (c) => c.requestService(new PasswordAuth("alice", conn, ["secret"]));
    await run(server, client);
    assert.equal(client.errors[0]?.[0], DISCONNECT.PROTOCOL_ERROR);
    assert.match(client.errors[0][1], /Unknown channel 99/);
  });

  it("refuses an unknown channel type with UNKNOWN_CHANNEL_TYPE", async () => {
    const server = serverOf(await makeFactory());
    const client = new TestClient();
    let failure: Error | null = null;
    const channel = new (class extends SSHChannel {
      override name = "x11";
      override openFailed(reason: Error): void {
        failure = reason;
        this.conn!.transport.sendDisconnect(11, "done");
      }
    })();
    loginAndOpen(client, "secret", channel);
    await run(server, client);
    assert.ok(failure !== null && (failure as ConchError) instanceof ConchError);
    assert.equal((failure as unknown as ConchError).code, OPEN.UNKNOWN_CHANNEL_TYPE);
  });

  it("answers an unknown global request with failure and a known one with its data", async () => {
    const factory = await makeFactory();
    const realm = factory.portal!.realm as { requestAvatar: unknown };
    realm.requestAvatar = (_id: unknown, _mind: unknown, iface: unknown) => {
      const user = new TestUser();
      user.globalRequests["echo@test"] = (data) => [true, data];
      return [iface, user, () => {}];
    };
    const server = serverOf(factory);
    const client = new TestClient();
    const results: unknown[] = [];
    const conn = new (class extends SSHConnection {
      override serviceStarted(): void {
        const unknown = this.sendGlobalRequest("nope@test", new Uint8Array(0), {
          wantReply: true,
        }).catch((e) => e);
        const known = this.sendGlobalRequest("echo@test", new Uint8Array([1, 2, 3]), {
          wantReply: true,
        });
        Promise.all([unknown, known]).then((answers) => {
          results.push(...answers);
          this.transport.sendDisconnect(11, "done");
        });
      }
    })();
    client.onSecure = (c) => c.requestService(new PasswordAuth("alice", conn, ["secret"]));
    await run(server, client);
    assert.ok(results[0] instanceof RequestFailed);
    assert.deepEqual(results[1], new Uint8Array([1, 2, 3]));
  });

  it("passes env requests to the session and refuses exec twice on one channel", async () => {
    const factory = await makeFactory();
    const sessions: EchoSession[] = [];
    const realm = factory.portal!.realm as { requestAvatar: unknown };
    realm.requestAvatar = (_id: unknown, _mind: unknown, iface: unknown) => {
      const user = new TestUser();
      user.sessionFor = () => {
        const session = new EchoSession();
        sessions.push(session);
        return session;
      };
      return [iface, user, () => {}];
    };
    const server = serverOf(factory);
    const client = new TestClient();
    const outcomes: string[] = [];
    const channel = new (class extends CollectingChannel {
      override channelOpen(): void {
        const env = new SSHWriter().string("LANG").string("C.UTF-8").bytes();
        const exec = new SSHWriter().string("first").bytes();
        const conn = this.conn!;
        conn.sendRequest(this, "env", env, { wantReply: true })
          .then(() => outcomes.push("env ok"))
          .then(() => conn.sendRequest(this, "exec", exec, { wantReply: true }))
          .then(() => outcomes.push("exec ok"))
          .then(() => conn.sendRequest(this, "exec", exec, { wantReply: true }))
          .catch((e) => outcomes.push(e.name));
      }
    })("first");
    loginAndOpen(client, "secret", channel);
    await run(server, client);
    assert.deepEqual(sessions[0].env, { LANG: "C.UTF-8" });
    assert.deepEqual(outcomes.slice(0, 2), ["env ok", "exec ok"]);
    assert.equal(channel.text(), "first");
  });
});
