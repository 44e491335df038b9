// The "sftp" subsystem through a whole SSH connection in memory (SSHServerTransport and
// SSHClientTransport joined by loopbackAsync): the avatar's lookupSubsystem gives a
// FileTransferServer, a client channel carries a FileTransferClient; after the client's
// EOF the server answers what is pending, sends exit-status 0 and closes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { reactor } from "../../../mod.ts";
import {
  ConchUser,
  SSHChannel,
  SSHFactory,
  SSHSession,
  SSHWriter,
} from "../../../src/conch/mod.ts";
import {
  FileTransferClient,
  FileTransferServer,
  FXF_CREAT,
  FXF_READ,
  FXF_WRITE,
  SFTPServerForUnixConchUser,
} from "../../../src/conch/sftp/mod.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../../../src/cred/mod.ts";
import { getHostKeys, loginAndOpen, run, serverOf, TestClient } from "../ssh/_pair.ts";
import { tempDir } from "./_helpers.ts";

let dir = "";
let cleanup = () => {};
before(() => {
  [dir, cleanup] = tempDir();
});
after(() => cleanup());

class SftpUser extends ConchUser {
  subsystems: string[] = [];
  constructor() {
    super();
    this.channelLookup["session"] = SSHSession;
  }
  lookupSubsystem(name: string): FileTransferServer | null {
    this.subsystems.push(name);
    if (name !== "sftp") return null;
    return new FileTransferServer(
      new SFTPServerForUnixConchUser({ root: dir, runtime: reactor.runtime }),
    );
  }
}

class SftpChannel extends SSHChannel {
  override name = "session";
  readonly client = new FileTransferClient();
  readonly subsystem: string;
  readonly body: (client: FileTransferClient) => Promise<void>;
  exitStatus: number | null = null;
  refused = false;
  outcome: Promise<void> | null = null;
  constructor(subsystem: string, body: (client: FileTransferClient) => Promise<void>) {
    super();
    this.subsystem = subsystem;
    this.body = body;
  }
  override channelOpen(): void {
    const request = new SSHWriter().string(this.subsystem).bytes();
    this.conn!.sendRequest(this, "subsystem", request, { wantReply: true }).then(() => {
      this.client.makeConnection(this);
      this.outcome = this.body(this.client).finally(() => this.loseWriteConnection());
    }, () => {
      this.refused = true;
      this.loseConnection();
    });
  }
  override dataReceived(data: Uint8Array): void {
    this.client.dataReceived(data);
  }
  request_exit_status(data: Uint8Array): boolean {
    this.exitStatus = new DataView(data.buffer, data.byteOffset).getUint32(0);
    return true;
  }
  override closed(): void {
    this.client.connectionLost(undefined as never);
    this.conn!.transport.sendDisconnect(11, "done");
  }
}

async function factory(user: SftpUser): Promise<SSHFactory> {
  const f = new SSHFactory();
  f.noisy = false;
  for (const key of await getHostKeys()) f.privateKeys[key.sshType()] = key;
  const realm = {
    requestAvatar: (_i: unknown, _m: unknown, iface: unknown) => [iface, user, () => {}],
  };
  f.portal = new Portal(realm as never, [
    new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" }),
  ]);
  return f;
}

describe("SFTP over an in-memory SSH connection", () => {
  it("serves the subsystem, answers pending requests after EOF, then exit-status 0", async () => {
    const user = new SftpUser();
    const server = serverOf(await factory(user));
    const client = new TestClient();
    const seen: string[] = [];
    const channel = new SftpChannel("sftp", async (sftp) => {
      const file = await sftp.openFile("hello", FXF_WRITE | FXF_CREAT, {});
      await file.writeChunk(0, new TextEncoder().encode("over ssh"));
      await file.close();
      const reader = await sftp.openFile("/hello", FXF_READ);
      seen.push(new TextDecoder().decode(await reader.readChunk(0, 100)));
      await reader.close();
      // Left pending when EOF goes out: the server still answers it.
      void sftp.realPath(".").then((path) => seen.push(path));
    });
    loginAndOpen(client, "secret", channel);
    await run(server, client);
    await channel.outcome;
    assert.deepEqual(user.subsystems, ["sftp"]);
    assert.deepEqual(seen, ["over ssh", "/"]);
    assert.equal(readFileSync(join(dir, "hello"), "utf8"), "over ssh");
    assert.equal(channel.exitStatus, 0);
  });

  it("refuses an unknown subsystem", async () => {
    const user = new SftpUser();
    const server = serverOf(await factory(user));
    const client = new TestClient();
    const channel = new SftpChannel("nope", () => Promise.resolve());
    loginAndOpen(client, "secret", channel);
    await run(server, client);
    assert.equal(channel.refused, true);
    assert.deepEqual(user.subsystems, ["nope"]);
  });
});
