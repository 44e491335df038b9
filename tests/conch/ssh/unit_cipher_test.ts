// Packet protection both ways between WebCrypto and a runtime's synchronous ciphers
// (the node adapter's `Runtime.ciphers`, run here on every runtime through its
// node:crypto): each seals what the other opens, for every AES cipher and MAC.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CIPHERS,
  type DirectionKeys,
  MACS,
  PacketError,
  type PacketOpener,
  type PacketSealer,
} from "../../../src/conch/ssh/_cipher.ts";
import { makeOpener, makeSealer } from "../../../src/conch/ssh/_cipher_sync.ts";
import { nodeCiphers } from "../../../runtimes/_node_ciphers.ts";

function random(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function keysFor(cipher: string, mac: string): DirectionKeys {
  const spec = CIPHERS[cipher];
  const macSpec = spec.aead ? undefined : MACS[mac];
  return {
    cipher,
    mac: macSpec ? mac : "",
    key: random(spec.keyLength),
    iv: random(spec.ivLength),
    macKey: random(macSpec?.keyLength ?? 0),
  };
}

/** Opens one packet as the transport does: the length from the header, then the whole. */
async function openOne(opener: PacketOpener, sequence: number, wire: Uint8Array) {
  const length = await opener.packetLength(sequence, wire.subarray(0, opener.headerLength));
  assert.equal(4 + length + opener.trailerLength, wire.length);
  return await opener.open(sequence, wire);
}

const SUITES: [string, string][] = [
  ["aes128-gcm@openssh.com", ""],
  ["aes256-gcm@openssh.com", ""],
  ["aes128-ctr", "hmac-sha2-256"],
  ["aes192-ctr", "hmac-sha2-512"],
  ["aes256-ctr", "hmac-sha2-256-etm@openssh.com"],
  ["aes128-ctr", "hmac-sha2-512-etm@openssh.com"],
];

describe("synchronous ciphers and WebCrypto seal and open each other's packets", () => {
  for (const [cipher, mac] of SUITES) {
    it(`${cipher}${mac ? ` + ${mac}` : ""}`, async () => {
      const keys = keysFor(cipher, mac);
      const pairs: [string, PacketSealer, PacketOpener][] = [
        ["sync to WebCrypto", makeSealer(keys, nodeCiphers), makeOpener(keys, null)],
        ["WebCrypto to sync", makeSealer(keys, null), makeOpener(keys, nodeCiphers)],
      ];
      for (const [label, sealer, opener] of pairs) {
        // Many packets in a row: the counters and nonces must advance alike.
        for (let sequence = 0; sequence < 40; sequence++) {
          const payload = random(sequence * 37 % 3000);
          const wire = await sealer.seal(sequence, payload);
          assert.deepEqual(await openOne(opener, sequence, wire), payload, `${label} #${sequence}`);
        }
      }
    });
  }

  it("refuses a tampered packet with a bad-MAC PacketError, either way", async () => {
    for (const [cipher, mac] of SUITES) {
      for (const [sealCiphers, openCiphers] of [[nodeCiphers, null], [null, nodeCiphers]]) {
        const keys = keysFor(cipher, mac);
        const wire = await makeSealer(keys, sealCiphers).seal(3, random(100));
        wire[wire.length - 20] ^= 1;
        await assert.rejects(
          async () => await openOne(makeOpener(keys, openCiphers), 3, wire),
          (e: unknown) => e instanceof PacketError && e.badMac,
          `${cipher} ${mac}`,
        );
      }
    }
  });

  it("answers synchronously when the runtime's ciphers are used", () => {
    const keys = keysFor("aes128-gcm@openssh.com", "");
    const wire = makeSealer(keys, nodeCiphers).seal(0, random(64));
    assert.ok(wire instanceof Uint8Array);
    const opened = makeOpener(keys, nodeCiphers).open(0, wire);
    assert.ok(opened instanceof Uint8Array);
  });

  it("opens any payload sealed either way (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SUITES),
        fc.uint8Array({ maxLength: 4096 }),
        fc.boolean(),
        async ([cipher, mac], payload, syncSeals) => {
          const keys = keysFor(cipher, mac);
          const sealer = makeSealer(keys, syncSeals ? nodeCiphers : null);
          const opener = makeOpener(keys, syncSeals ? null : nodeCiphers);
          assert.deepEqual(await openOne(opener, 7, await sealer.seal(7, payload)), payload);
        },
      ),
      { numRuns: 60 },
    );
  });
});
