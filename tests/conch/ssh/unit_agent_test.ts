// SSHAgentClient against OpenSSH's ssh-agent, and SSHCommandClientEndpoint
// logging in to our own server (on a loopback port) with the agent's keys.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  InMemorySSHKeyDB,
  Key,
  KnownHostsFile,
  SSHAgentClient,
  SSHCommandClientEndpoint,
  SSHPublicKeyChecker,
} from "../../../src/conch/mod.ts";
import { reactor } from "../../../runtimes/select.ts";
import { Factory, Protocol } from "../../../src/internet/protocol.ts";
import { UNIXClientEndpoint } from "../../../src/internet/endpoints.ts";
import { Deferred } from "../../../src/internet/defer.ts";
import type { IPv4Address } from "../../../src/internet/address.ts";
import type { Failure } from "../../../src/internet/failure.ts";
import { makeFactory } from "./_pair.ts";

const HAVE_AGENT = spawnSync("ssh-agent", ["-h"], { stdio: "ignore" }).error === undefined;
const skip = HAVE_AGENT || process.env.CI === "true"
  ? false
  : "peer missing: install Debian's openssh-client (ssh-agent, ssh-add)";

describe("SSHAgentClient with OpenSSH's ssh-agent", { skip }, () => {
  let folder = "";
  let socket = "";
  let agent: ReturnType<typeof spawn> | null = null;
  const keys: Record<string, string> = {};

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), "tw-agent-"));
    socket = join(folder, "agent.sock");
    agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
    for (const type of ["ed25519", "rsa"]) {
      const path = join(folder, type);
      const made = spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", path]);
      assert.equal(made.status, 0);
      keys[type] = path;
    }
    for (let i = 0; i < 50; i++) {
      const added = spawnSync("ssh-add", ["-q", keys.ed25519, keys.rsa], {
        env: { ...process.env, SSH_AUTH_SOCK: socket },
      });
      if (added.status === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("ssh-agent did not start");
  });

  after(() => {
    agent?.kill();
    rmSync(folder, { recursive: true, force: true });
  });

  async function connectAgent(): Promise<SSHAgentClient> {
    const factory = new Factory();
    factory.noisy = false;
    factory.buildProtocol = () => new SSHAgentClient();
    return await new UNIXClientEndpoint(reactor, socket).connect(factory) as SSHAgentClient;
  }

  it("lists the agent's keys and has it sign with Ed25519 and RSA SHA-2", async () => {
    const client = await connectAgent();
    try {
      const identities = await client.requestIdentities();
      assert.equal(identities.length, 2);
      const data = new TextEncoder().encode("sign me");
      for (const [blob] of identities) {
        const key = Key.fromString(blob, { type: "blob" });
        const algorithm = key.type() === "RSA" ? "rsa-sha2-512" : "ssh-ed25519";
        const signature = await client.signData(blob, data, { algorithm });
        assert.ok(await key.verify(signature, data), `${algorithm} signature verifies`);
      }
    } finally {
      client.transport.loseConnection();
    }
  });

  it("logs SSHCommandClientEndpoint in with an agent key", async () => {
    const rsa = Key.fromString(
      spawnSync("cat", [keys.rsa + ".pub"], { encoding: "utf8" }).stdout,
    );
    const factory = await makeFactory({
      checkers: [new SSHPublicKeyChecker(new InMemorySSHKeyDB({ alice: [rsa] }))],
    });
    const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
    await port.whenListening!();
    try {
      const output = new Deferred<string>();
      let text = "";
      class Collect extends Protocol {
        override dataReceived(data: Uint8Array): void {
          text += new TextDecoder().decode(data);
        }
        override connectionLost(_reason: Failure): void {
          output.callback(text);
        }
      }
      const endpoint = SSHCommandClientEndpoint.newConnection(
        reactor,
        "from the agent",
        "alice",
        "127.0.0.1",
        {
          port: (port.getHost() as IPv4Address).port,
          agentEndpoint: new UNIXClientEndpoint(reactor, socket),
          knownHosts: new KnownHostsFile(join(folder, "known_hosts")),
          ui: { prompt: () => Promise.resolve(true), warn: () => {} },
        },
      );
      await endpoint.connect(Factory.forProtocol(Collect));
      assert.equal(await output, "from the agent");
    } finally {
      await port.stopListening();
    }
  });
});
