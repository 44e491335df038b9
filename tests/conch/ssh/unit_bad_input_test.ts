// Hostile and broken peers against the SSH server transport: every case ends in
// a DISCONNECT with the right reason or a clean close, never a crash or a hang.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DISCONNECT, MSG, SSHReader, SSHWriter } from "../../../src/conch/mod.ts";
import { NoneSealer } from "../../../src/conch/ssh/_cipher.ts";
import { buildKexInit, STRICT_KEX_CLIENT } from "../../../src/conch/ssh/_negotiation.ts";
import { StringTransport } from "../../../src/testing/mod.ts";
import { makeFactory, run, serverOf, TestClient } from "./_pair.ts";

const encoder = new TextEncoder();
const VERSION = encoder.encode("SSH-2.0-Test_1.0\r\n");

/** Lets the transport's promise chain run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

async function rawServer() {
  const server = serverOf(await makeFactory());
  const transport = new StringTransport();
  server.makeConnection(transport);
  return { server, transport };
}

/** An unencrypted packet as a client sends it before the first NEWKEYS. */
function packet(payload: Uint8Array): Uint8Array {
  return new NoneSealer().seal(0, payload);
}

function clientKexInit(strict: boolean): Uint8Array {
  return buildKexInit({
    kex: ["curve25519-sha256", ...(strict ? [STRICT_KEX_CLIENT] : [])],
    hostKey: ["ssh-ed25519"],
    ciphersCS: ["aes128-gcm@openssh.com"],
    ciphersSC: ["aes128-gcm@openssh.com"],
    macsCS: ["hmac-sha2-256"],
    macsSC: ["hmac-sha2-256"],
    compressionCS: ["none"],
    compressionSC: ["none"],
  });
}

/** The reason code of the DISCONNECT the server wrote (unencrypted), or null. */
function disconnectReason(output: Uint8Array): [number, string] | null {
  let at = output.indexOf(0x0a) + 1;
  while (at + 5 <= output.length) {
    const view = new DataView(output.buffer, output.byteOffset + at);
    const length = view.getUint32(0);
    if (at + 4 + length > output.length) break;
    const padding = output[at + 4];
    const payload = output.subarray(at + 5, at + 4 + length - padding);
    if (payload[0] === MSG.DISCONNECT) {
      const reader = new SSHReader(payload.subarray(1));
      return [reader.uint32(), reader.text()];
    }
    at += 4 + length;
  }
  return null;
}

describe("SSHServerTransport with bad input", () => {
  it("refuses SSH-1.5 with PROTOCOL_VERSION_NOT_SUPPORTED", async () => {
    const { server, transport } = await rawServer();
    server.dataReceived(encoder.encode("SSH-1.5-Old\r\n"));
    await settle();
    assert.equal(
      disconnectReason(transport.value())?.[0],
      DISCONNECT.PROTOCOL_VERSION_NOT_SUPPORTED,
    );
    assert.ok(transport.disconnecting);
  });

  it("closes on a 70 KB version line without buffering it", async () => {
    const { server, transport } = await rawServer();
    server.dataReceived(encoder.encode("SSH-2.0-" + "x".repeat(70_000)));
    await settle();
    assert.ok(transport.disconnecting);
    assert.match(transport.valueText(), /Version line too long/);
  });

  it("answers a line that is not SSH with Protocol mismatch", async () => {
    const { server, transport } = await rawServer();
    server.dataReceived(encoder.encode("GET / HTTP/1.1\r\n"));
    await settle();
    assert.ok(transport.disconnecting);
    assert.match(transport.valueText(), /Protocol mismatch/);
  });

  for (const [name, length] of [["0", 0], ["2 GiB", 0x80000000], ["not a block multiple", 13]]) {
    it(`disconnects with PROTOCOL_ERROR for a packet length of ${name}`, async () => {
      const { server, transport } = await rawServer();
      const header = new SSHWriter().uint32(length as number).raw(new Uint8Array(12)).bytes();
      server.dataReceived(VERSION);
      server.dataReceived(header);
      await settle();
      assert.equal(disconnectReason(transport.value())?.[0], DISCONNECT.PROTOCOL_ERROR);
      assert.ok(transport.disconnecting);
    });
  }

  it("disconnects when strict KEX's KEXINIT is not the first packet", async () => {
    const { server, transport } = await rawServer();
    server.dataReceived(VERSION);
    server.dataReceived(packet(new SSHWriter().byte(MSG.IGNORE).string("x").bytes()));
    server.dataReceived(packet(clientKexInit(true)));
    await settle();
    const reason = disconnectReason(transport.value());
    assert.equal(reason?.[0], DISCONNECT.PROTOCOL_ERROR);
    assert.match(reason![1], /not the first packet/);
  });

  it("disconnects for IGNORE during a strict first key exchange", async () => {
    const { server, transport } = await rawServer();
    server.dataReceived(VERSION);
    server.dataReceived(packet(clientKexInit(true)));
    server.dataReceived(packet(new SSHWriter().byte(MSG.IGNORE).string("x").bytes()));
    await settle();
    assert.match(disconnectReason(transport.value())![1], /during strict key exchange/);
  });

  it("accepts IGNORE before KEXINIT when KEX is not strict", async () => {
    const { server, transport } = await rawServer();
    server.dataReceived(VERSION);
    server.dataReceived(packet(new SSHWriter().byte(MSG.IGNORE).string("x").bytes()));
    server.dataReceived(packet(clientKexInit(false)));
    await settle();
    assert.equal(disconnectReason(transport.value()), null);
    assert.equal(server.negotiated?.kex, "curve25519-sha256");
    assert.equal(server.strictKex, false);
  });

  it("disconnects for a service request before keys are exchanged", async () => {
    const { server, transport } = await rawServer();
    server.dataReceived(VERSION);
    server.dataReceived(packet(clientKexInit(false)));
    server.dataReceived(
      packet(new SSHWriter().byte(MSG.SERVICE_REQUEST).string("ssh-userauth").bytes()),
    );
    await settle();
    assert.match(disconnectReason(transport.value())![1], /before keys were exchanged/);
  });

  it("disconnects for a key exchange message out of turn", async () => {
    const { server, transport } = await rawServer();
    server.dataReceived(VERSION);
    server.dataReceived(packet(new SSHWriter().byte(MSG.KEX_ECDH_INIT).string("x").bytes()));
    await settle();
    assert.equal(disconnectReason(transport.value())?.[0], DISCONNECT.PROTOCOL_ERROR);
  });

  it("disconnects for a truncated KEXINIT", async () => {
    const { server, transport } = await rawServer();
    server.dataReceived(VERSION);
    server.dataReceived(packet(clientKexInit(false).subarray(0, 40)));
    await settle();
    assert.equal(disconnectReason(transport.value())?.[0], DISCONNECT.PROTOCOL_ERROR);
  });

  it("disconnects with MAC_ERROR when an encrypted packet is altered", async () => {
    const server = serverOf(await makeFactory());
    const client = new TestClient();
    client.onSecure = (c) => c.sendIgnore("to be altered");
    let altered = 0;
    await run(server, client, (queue, target) => {
      for (const chunk of queue.splice(0)) {
        if (target === server && server.isEncrypted() && altered === 0) {
          const copy = chunk.slice();
          copy[copy.length - 1] ^= 1;
          altered++;
          target.dataReceived(copy);
        } else target.dataReceived(chunk);
      }
    });
    assert.equal(altered, 1);
    assert.equal(client.errors[0]?.[0], DISCONNECT.MAC_ERROR);
  });

  it("survives random bytes after the version line (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (junk) => {
        const { server, transport } = await rawServer();
        server.dataReceived(VERSION);
        server.dataReceived(junk);
        await settle();
        // Either still waiting for more bytes or closed with a reason: never a throw.
        const reason = disconnectReason(transport.value());
        if (transport.disconnecting) assert.ok(reason !== null || junk.length === 0);
        assert.ok(transport.value().length < 4096, "no unbounded output");
      }),
      { numRuns: 60 },
    );
  });
});
