// Key exchange, host keys, ciphers and MACs between our own server and client,
// in memory: every algorithm the issue lists, one at a time.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CIPHERS, KEXES, MACS, SSHConnection } from "../../../src/conch/mod.ts";
import {
  CollectingChannel,
  loginAndOpen,
  makeFactory,
  run,
  serverOf,
  TestClient,
} from "./_pair.ts";

type Lists = {
  kex?: string[];
  hostKey?: string[];
  cipher?: string[];
  mac?: string[];
};

async function handshake(lists: Lists) {
  const factory = await makeFactory();
  const server = serverOf(factory);
  const client = new TestClient();
  if (lists.kex) client.supportedKeyExchanges = lists.kex;
  if (lists.hostKey) client.supportedPublicKeys = lists.hostKey;
  if (lists.cipher) client.supportedCiphers = lists.cipher;
  if (lists.mac) client.supportedMACs = lists.mac;
  // Past the key exchange, run a command so both directions carry encrypted data.
  const channel = new CollectingChannel("hello");
  loginAndOpen(client, "secret", channel);
  await run(server, client);
  return { server, client, channel };
}

describe("SSH key exchange between SSHServerTransport and SSHClientTransport", () => {
  for (const kex of Object.keys(KEXES)) {
    it(`agrees on ${kex} and runs a command`, async () => {
      const { server, client, channel } = await handshake({ kex: [kex] });
      assert.equal(client.negotiated?.kex, kex);
      assert.equal(server.negotiated?.kex, kex);
      assert.equal(channel.text(), "hello");
      assert.equal(channel.exitStatus, 7);
      assert.ok(client.strictKex && server.strictKex, "strict KEX is on between us");
    });
  }

  for (
    const hostKey of [
      "ssh-ed25519",
      "ecdsa-sha2-nistp256",
      "ecdsa-sha2-nistp384",
      "ecdsa-sha2-nistp521",
      "rsa-sha2-512",
      "rsa-sha2-256",
    ]
  ) {
    it(`verifies a ${hostKey} host key signature`, async () => {
      const { client, channel } = await handshake({ hostKey: [hostKey] });
      assert.equal(client.negotiated?.hostKey, hostKey);
      assert.equal(client.hostKeysSeen.length, 1);
      assert.ok(client.hostKeysSeen[0].supportedSignatureAlgorithms().includes(hostKey));
      assert.equal(channel.text(), "hello");
    });
  }

  for (const cipher of Object.keys(CIPHERS)) {
    it(`carries data with ${cipher}`, async () => {
      const { client, channel } = await handshake({ cipher: [cipher] });
      assert.equal(client.negotiated?.cipherCS, cipher);
      assert.equal(client.negotiated?.cipherSC, cipher);
      assert.equal(channel.text(), "hello");
      assert.equal(new TextDecoder().decode(channel.err[0]), "to stderr");
    });
  }

  for (const mac of Object.keys(MACS)) {
    it(`carries data with aes256-ctr and ${mac}`, async () => {
      const { client, channel } = await handshake({ cipher: ["aes256-ctr"], mac: [mac] });
      assert.equal(client.negotiated?.macCS, mac);
      assert.equal(channel.text(), "hello");
    });
  }

  it("fails the key exchange when no cipher is shared", async () => {
    const factory = await makeFactory();
    const server = serverOf(factory);
    const client = new TestClient();
    client.supportedCiphers = ["aes128-cbc"];
    await run(server, client);
    assert.equal(client.secured, 0);
    assert.equal(server.service, null);
  });

  it("rekeys both ways while a megabyte flows, and every byte arrives in order", async () => {
    const factory = await makeFactory();
    const server = serverOf(factory);
    server.rekeyBytes = 64 * 1024;
    const client = new TestClient();
    client.rekeyBytes = 100 * 1024;
    // The command's input goes in several writes, so both sides rekey in turn.
    let kexes = 0;
    const count = client.kexStarted.bind(client);
    client.kexStarted = (kex) => {
      kexes++;
      return count(kex);
    };
    const input = new Uint8Array(1024 * 1024);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7 + (i >> 10)) & 0xff;
    const channel = new CollectingChannel("cat", input);
    loginAndOpen(client, "secret", channel);
    await run(server, client);
    assert.ok(kexes >= 3, `rekeyed ${kexes - 1} times`);
    const out = channel.out.reduce((n, c) => n + c.length, 0);
    assert.equal(out, input.length);
    let at = 0;
    for (const chunk of channel.out) {
      for (let i = 0; i < chunk.length; i++) assert.equal(chunk[i], input[at + i]);
      at += chunk.length;
    }
    assert.equal(channel.exitStatus, 0);
  });

  it("does not start the connection service without login", async () => {
    const factory = await makeFactory();
    const server = serverOf(factory);
    const client = new TestClient();
    client.onSecure = (c) => c.requestService(new SSHConnection());
    await run(server, client);
    assert.equal(client.errors[0]?.[0], 7, "SERVICE_NOT_AVAILABLE");
    assert.equal(server.service, null);
  });
});
