// Key without peers: generation of every type, each format written and read back (with and
// without passphrases), equality, signatures and their refusals, PKCS#8 and SPKI keys
// exported by WebCrypto, type guessing, fromFile, and clear errors for bad input.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BadKeyError,
  EncryptedKeyError,
  FingerprintFormats,
  Key,
} from "../../../src/conch/keys/mod.ts";
import { SSHReader, SSHWriter } from "../../../src/conch/ssh/_wire.ts";
import { tempDir } from "./_ssh_keygen.ts";

const enc = new TextEncoder();
const data = enc.encode("data to sign");
const keys: Record<string, Key> = {};
let dir = "";
let cleanup = (): void => {};

const b64 = (bytes: ArrayBuffer | Uint8Array): string =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("base64");
const pem = (label: string, bytes: ArrayBuffer): string =>
  `-----BEGIN ${label}-----\n${b64(bytes).match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;

describe("Key", () => {
  before(async () => {
    keys.ed25519 = await Key.generate("ed25519");
    keys.p256 = await Key.generate("ecdsa");
    keys.p384 = await Key.generate("ecdsa", { bits: 384 });
    keys.p521 = await Key.generate("ecdsa", { bits: 521 });
    keys.rsa = await Key.generate("rsa", { bits: 2048 });
    [dir, cleanup] = tempDir("tw-key-");
  });
  after(() => cleanup());

  it("generates each type with its SSH name, size and algorithms", { timeout: 60_000 }, () => {
    const expected: Record<string, [string, number, string]> = {
      ed25519: ["ssh-ed25519", 256, "Ed25519"],
      p256: ["ecdsa-sha2-nistp256", 256, "EC"],
      p384: ["ecdsa-sha2-nistp384", 384, "EC"],
      p521: ["ecdsa-sha2-nistp521", 521, "EC"],
      rsa: ["ssh-rsa", 2048, "RSA"],
    };
    for (const [name, [sshType, size, type]] of Object.entries(expected)) {
      const key = keys[name];
      assert.equal(key.sshType(), sshType);
      assert.equal(key.size(), size);
      assert.equal(key.type(), type);
      assert.equal(key.isPublic(), false);
      assert.equal(key.public().isPublic(), true);
      assert.deepEqual(
        key.supportedSignatureAlgorithms(),
        name === "rsa" ? ["rsa-sha2-512", "rsa-sha2-256"] : [sshType],
      );
      assert.equal(key.fingerprint(), key.public().fingerprint());
      assert.match(key.fingerprint(), /^SHA256:[A-Za-z0-9+/]{43}$/);
      assert.match(key.fingerprint(FingerprintFormats.MD5_HEX), /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
      assert.equal(new SSHReader(key.blob()).text(), sshType);
    }
  });

  it("makes 3072-bit RSA keys by default and refuses bad sizes", { timeout: 60_000 }, async () => {
    assert.equal((await Key.generate("rsa")).size(), 3072);
    await assert.rejects(Key.generate("rsa", { bits: 1024 }), BadKeyError);
    await assert.rejects(Key.generate("ecdsa", { bits: 255 }), BadKeyError);
  });

  for (const name of ["ed25519", "p256", "p384", "p521", "rsa"]) {
    it(`writes and reads back every format of ${name}, with and without a passphrase`, {
      timeout: 60_000,
    }, () => {
      const key = keys[name];
      key.comment = `${name}@test`;
      const forms: [string, string | undefined][] = [
        [key.toString("openssh"), undefined],
        [key.toString("openssh", { passphrase: "pass phrase" }), "pass phrase"],
        [key.toString("openssh", { passphrase: enc.encode("bytes") }), "bytes"],
      ];
      if (name !== "ed25519") {
        forms.push([key.toString("PEM"), undefined]);
        forms.push([key.toString("PEM", { passphrase: "pem" }), "pem"]);
        forms.push([key.toString("openssh", { subtype: "PEM" }), undefined]);
      } else {
        forms.push([key.toString("PEM"), undefined]); // PKCS#8
        assert.throws(() => key.toString("PEM", { passphrase: "x" }), BadKeyError);
        assert.throws(() => key.toString("openssh", { subtype: "PEM" }), /v1 subtype/);
      }
      for (const [text, passphrase] of forms) {
        const again = Key.fromString(text, { passphrase });
        assert.ok(again.equals(key), `${name}: ${text.split("\n")[0]}`);
        if (text.includes("OPENSSH")) assert.equal(again.comment, `${name}@test`);
        if (passphrase !== undefined) {
          assert.throws(() => Key.fromString(text), EncryptedKeyError);
          if (passphrase !== "pass phrase" && passphrase !== "pem") continue;
          assert.throws(
            () => Key.fromString(text, { passphrase: "wrong" }),
            (e: unknown) => e instanceof EncryptedKeyError || e instanceof BadKeyError,
          );
        }
      }
      const pub = key.public();
      assert.ok(Key.fromString(pub.toString("openssh")).equals(pub));
      assert.equal(Key.fromString(pub.toString("openssh")).comment, `${name}@test`);
      assert.ok(Key.fromString(pub.toString("PEM")).equals(pub));
      assert.ok(Key.fromString(pub.toString("sshcom")).equals(pub));
      assert.ok(Key.fromString(pub.blob()).equals(pub));
      assert.ok(Key.fromString(key.privateBlob(), { type: "private_blob" }).equals(key));
      assert.equal(key.equals(pub), false);
      assert.ok(key.public().equals(pub));
      assert.equal(keys.p256.equals(keys.p384), false);
    });
  }

  it("signs and verifies; refuses other data, other keys, other algorithms, garbage", {
    timeout: 60_000,
  }, async () => {
    for (const [name, key] of Object.entries(keys)) {
      for (const algorithm of key.supportedSignatureAlgorithms()) {
        const sig = await key.sign(data, { algorithm });
        assert.equal(new SSHReader(sig).text(), algorithm);
        const pub = key.public();
        assert.ok(await pub.verify(sig, data), `${name} ${algorithm}`);
        assert.ok(await key.verify(sig, data));
        assert.equal(await pub.verify(sig, enc.encode("other")), false);
        assert.equal(await keys[name === "p256" ? "p384" : "p256"].verify(sig, data), false);
        assert.equal(await pub.verify(sig.subarray(0, sig.length - 1), data), false);
        assert.equal(await pub.verify(new Uint8Array(0), data), false);
        assert.equal(await pub.verify(enc.encode("garbage garbage"), data), false);
        const renamed = new SSHReader(sig);
        renamed.text();
        const other = new SSHWriter().string("ssh-dss").string(renamed.string()).bytes();
        assert.equal(await pub.verify(other, data), false);
      }
    }
    await assert.rejects(keys.rsa.sign(data, { algorithm: "ssh-ed25519" }), BadKeyError);
    await assert.rejects(keys.rsa.public().sign(data), BadKeyError);
    // An ECDSA signature with r = 0 is refused, not passed on.
    const zero = new SSHWriter().string("ecdsa-sha2-nistp256").string(
      new SSHWriter().mpint(0n).mpint(1n).bytes(),
    ).bytes();
    assert.equal(await keys.p256.verify(zero, data), false);
  });

  it("reads PKCS#8 and SPKI keys exported by WebCrypto (Ed25519 without its public half)", {
    timeout: 60_000,
  }, async () => {
    const pairs: [AlgorithmIdentifier | EcKeyGenParams | RsaHashedKeyGenParams, string][] = [
      [{ name: "Ed25519" }, "ssh-ed25519"],
      [{ name: "ECDSA", namedCurve: "P-384" }, "ecdsa-sha2-nistp384"],
      [
        {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: "SHA-256",
        },
        "ssh-rsa",
      ],
    ];
    for (const [params, sshType] of pairs) {
      const pair = await crypto.subtle.generateKey(params, true, [
        "sign",
        "verify",
      ]) as CryptoKeyPair;
      const priv = Key.fromString(
        pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
      );
      const pub = Key.fromString(
        pem("PUBLIC KEY", await crypto.subtle.exportKey("spki", pair.publicKey)),
      );
      assert.equal(priv.sshType(), sshType);
      assert.ok(priv.public().equals(pub));
      assert.ok(await pub.verify(await priv.sign(data), data));
    }
  });

  it("refuses an ECDSA point off its curve and an Ed25519 seed that is not the key's", () => {
    const blob = keys.p256.blob();
    const bad = blob.slice();
    bad[bad.length - 1] ^= 1; // y changed: off the curve
    assert.throws(() => Key.fromString(bad, { type: "blob" }), /not on nistp256/);
    const priv = keys.ed25519.privateBlob();
    const swapped = priv.slice();
    swapped[swapped.length - 64] ^= 1; // the seed's first byte, both halves' pub unchanged
    assert.throws(() => Key.fromString(swapped, { type: "private_blob" }), /not the private key/);
  });

  it("reads RFC 4716 headers with continuation lines", () => {
    const pub = keys.p256.public();
    const body = b64(pub.blob()).match(/.{1,70}/g)!.join("\n");
    const text = "---- BEGIN SSH2 PUBLIC KEY ----\n" +
      "Subject: someone\n" +
      'Comment: "a long \\\n' +
      'comment"\n' +
      "x-private: value\n" +
      `${body}\n---- END SSH2 PUBLIC KEY ----\n`;
    const key = Key.fromString(text);
    assert.ok(key.equals(pub));
    assert.equal(key.comment, "a long comment");
  });

  it("reads files through the runtime", { timeout: 60_000 }, async () => {
    const path = join(dir, "id");
    writeFileSync(path, keys.p256.toString("openssh", { passphrase: "pw" }));
    assert.ok((await Key.fromFile(path, { passphrase: "pw" })).equals(keys.p256));
    await assert.rejects(Key.fromFile(path), EncryptedKeyError);
  });

  it("gives clear errors for what it cannot read", { timeout: 60_000 }, () => {
    const cases: [string | Uint8Array, RegExp][] = [
      ["", /guess/],
      ["hello", /guess/],
      ["ssh-ed25519 AAAA", /blob/],
      ["ssh-rsa " + b64(keys.ed25519.blob()), /does not match/],
      [
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        /DER/,
      ],
      ["-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n", /Unsupported PEM/],
      ["-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", /magic/],
      ["-----BEGIN RSA PRIVATE KEY-----\nAAAA", /END/],
      [new Uint8Array([0, 0, 0, 7, 115, 115, 104, 45, 100, 115, 115]), /Unknown key type/],
      ["x".repeat(2 << 20), /too long/],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => Key.fromString(input), (e: unknown) => {
        assert.ok(e instanceof BadKeyError, `${String(input).slice(0, 40)}: ${e}`);
        assert.match(e.message, message);
        return true;
      });
    }
    const legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n" +
      "DEK-Info: DES-EDE3-CBC,0011223344556677\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    assert.throws(() => Key.fromString(legacy, { passphrase: "x" }), /AES-CBC only/);
    assert.throws(() => keys.p256.public().privateBlob(), BadKeyError);
    assert.throws(() => keys.p256.toString("sshcom"), BadKeyError);
  });
});
