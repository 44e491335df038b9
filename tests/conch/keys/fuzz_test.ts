// Property tests of the key parsers (fast-check): random bytes and text, and valid keys with
// bytes changed (blobs, private blobs, openssh-key-v1 bodies, PEM DER bodies, public lines),
// never throw anything but BadKeyError / EncryptedKeyError; known_hosts and authorized_keys
// files of random lines are read without throwing.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  AuthorizedKeysFile,
  BadKeyError,
  EncryptedKeyError,
  HostKeyChanged,
  Key,
  KnownHostsFile,
} from "../../../src/conch/keys/mod.ts";

const RUNS = 300;
let samples: Key[] = [];

function parsesCleanly(input: string | Uint8Array, passphrase?: string): void {
  try {
    Key.fromString(input, { passphrase });
  } catch (error) {
    if (error instanceof BadKeyError || error instanceof EncryptedKeyError) return;
    throw error;
  }
}

function armor(label: string, body: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${
    Buffer.from(body).toString("base64")
  }\n-----END ${label}-----\n`;
}

function unarmor(text: string): Uint8Array {
  const body = text.split("\n").filter((l) => !l.startsWith("-----") && !l.includes(":")).join("");
  return new Uint8Array(Buffer.from(body, "base64"));
}

const mutation = (length: number) =>
  fc.array(fc.tuple(fc.nat({ max: length - 1 }), fc.integer({ min: 0, max: 255 })), {
    minLength: 1,
    maxLength: 4,
  });

function mutate(bytes: Uint8Array, changes: [number, number][]): Uint8Array {
  const copy = bytes.slice();
  for (const [at, value] of changes) copy[at] = value;
  return copy;
}

describe("key parser fuzzing", () => {
  before(async () => {
    samples = [
      await Key.generate("ed25519"),
      await Key.generate("ecdsa", { bits: 384 }),
      await Key.generate("rsa", { bits: 2048 }),
    ];
  });

  it("random bytes and text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => parsesCleanly(bytes)),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `ssh-ed25519 ${s}`),
          fc.string().map((s) => `-----BEGIN OPENSSH PRIVATE KEY-----\n${s}`),
          fc.string().map((s) => `---- BEGIN SSH2 PUBLIC KEY ----\n${s}`),
          fc.base64String().map((s) =>
            armor("PRIVATE KEY", new Uint8Array(Buffer.from(s, "base64")))
          ),
        ),
        (text) => parsesCleanly(text),
      ),
      { numRuns: RUNS },
    );
  });

  it("changed public and private blobs", () => {
    for (const key of samples) {
      for (const blob of [key.blob(), key.privateBlob()]) {
        fc.assert(
          fc.property(mutation(blob.length), fc.nat({ max: blob.length }), (changes, cut) => {
            parsesCleanly(mutate(blob, changes));
            parsesCleanly(blob.subarray(0, cut));
          }),
          { numRuns: RUNS },
        );
      }
    }
  });

  it("changed openssh-key-v1, PEM and one-line public keys", () => {
    for (const key of samples) {
      const texts: [string, string][] = [
        ["OPENSSH PRIVATE KEY", key.toString("openssh")],
        [
          key.type() === "RSA"
            ? "RSA PRIVATE KEY"
            : key.type() === "EC"
            ? "EC PRIVATE KEY"
            : "PRIVATE KEY",
          key.toString("PEM"),
        ],
        ["PUBLIC KEY", key.public().toString("PEM")],
      ];
      for (const [label, text] of texts) {
        const body = unarmor(text);
        fc.assert(
          fc.property(mutation(body.length), fc.nat({ max: body.length }), (changes, cut) => {
            parsesCleanly(armor(label, mutate(body, changes)));
            parsesCleanly(armor(label, body.subarray(0, cut)));
          }),
          { numRuns: RUNS },
        );
      }
      const line = key.public().toString("openssh", { comment: "c" });
      fc.assert(
        fc.property(
          fc.nat({ max: line.length - 1 }),
          fc.string({ minLength: 1, maxLength: 1 }),
          (at, ch) => {
            parsesCleanly(line.slice(0, at) + ch + line.slice(at + 1));
          },
        ),
        { numRuns: RUNS },
      );
    }
  });

  it("a wrong passphrase on an encrypted key is an EncryptedKeyError", () => {
    const text = samples[0].toString("openssh", { passphrase: "right" });
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== "right"), (p) => {
        assert.throws(() => Key.fromString(text, { passphrase: p }), EncryptedKeyError);
      }),
      { numRuns: 5 },
    );
  });

  it("known_hosts and authorized_keys files of random lines", async () => {
    const line = samples[0].public().toString("openssh");
    const lines = fc.array(
      fc.oneof(
        fc.string(),
        fc.string().map((s) => `|1|${s} ${line}`),
        fc.string().map((s) => `${s} ${line}`),
        fc.string().map((s) => `@revoked ${s}`),
        fc.constant(`host.example ${line}`),
      ),
      { maxLength: 8 },
    );
    await fc.assert(
      fc.asyncProperty(lines, fc.string(), async (list, host) => {
        const bytes = new TextEncoder().encode(list.join("\n"));
        const runtime = {
          readFile: () => Promise.resolve(bytes),
          writeFile: () => Promise.resolve(),
          mkdir: () => Promise.resolve(),
        };
        const known = await KnownHostsFile.fromPath("/nonexistent/known_hosts", { runtime });
        try {
          known.hasHostKey(host, samples[1]);
          known.hasHostKey("host.example", samples[0]);
        } catch (error) {
          if (!(error instanceof HostKeyChanged)) throw error;
        }
        const keys = await new AuthorizedKeysFile("/x", { runtime }).getAuthorizedKeys("u");
        assert.ok(keys.every((k) => k instanceof Key));
      }),
      { numRuns: 200 },
    );
  });
});
