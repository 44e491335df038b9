// Keys against ssh-keygen (openssh-client), made at test time in a temporary folder: every
// type in every format ssh-keygen writes (OpenSSH v1 plain and encrypted, PEM, encrypted PEM,
// PKCS#8, RFC 4716) parsed with the fingerprints, sizes and blobs ssh-keygen reports; the keys
// we write read back by `ssh-keygen -y`; our signatures checked by `ssh-keygen -Y verify`
// (in an SSHSIG wrapper) and ssh-keygen's `-Y sign` signatures checked by us.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { SSHReader, SSHWriter } from "../../../src/conch/ssh/_wire.ts";
import {
  BadKeyError,
  EncryptedKeyError,
  FingerprintFormats,
  Key,
} from "../../../src/conch/keys/mod.ts";
import { SKIP_NO_SSH_KEYGEN, sshKeygen, sshKeygenOk, tempDir } from "./_ssh_keygen.ts";

const TYPES: [string, string[]][] = [
  ["ed25519", ["-t", "ed25519"]],
  ["ecdsa256", ["-t", "ecdsa", "-b", "256"]],
  ["ecdsa384", ["-t", "ecdsa", "-b", "384"]],
  ["ecdsa521", ["-t", "ecdsa", "-b", "521"]],
  ["rsa2048", ["-t", "rsa", "-b", "2048"]],
];
const PASS = "correct horse";

let dir = "";
let cleanup = (): void => {};
const file = (name: string): string => join(dir, name);
const read = (name: string): string => readFileSync(file(name), "utf8");

function copy(from: string, to: string): void {
  writeFileSync(file(to), readFileSync(file(from)), { mode: 0o600 });
}

describe("keys against ssh-keygen", { skip: SKIP_NO_SSH_KEYGEN }, () => {
  before(() => {
    [dir, cleanup] = tempDir();
    for (const [name, args] of TYPES) {
      sshKeygenOk(["-q", ...args, "-N", "", "-C", `test ${name}`, "-f", file(name)]);
      copy(name, `${name}.enc`);
      sshKeygenOk(["-q", "-p", "-P", "", "-N", PASS, "-f", file(`${name}.enc`)]);
      writeFileSync(file(`${name}.rfc4716`), sshKeygenOk(["-e", "-f", file(`${name}.pub`)]));
      if (name === "ed25519") continue; // ssh-keygen writes Ed25519 in its own format only
      copy(name, `${name}.pem`);
      sshKeygenOk(["-q", "-p", "-P", "", "-N", "", "-m", "PEM", "-f", file(`${name}.pem`)]);
      copy(name, `${name}.pem.enc`);
      sshKeygenOk(["-q", "-p", "-P", "", "-N", PASS, "-m", "PEM", "-f", file(`${name}.pem.enc`)]);
      copy(name, `${name}.pkcs8.enc`);
      sshKeygenOk([
        "-q",
        "-p",
        "-P",
        "",
        "-N",
        PASS,
        "-m",
        "PKCS8",
        "-f",
        file(`${name}.pkcs8.enc`),
      ]);
      copy(name, `${name}.pkcs8`);
      sshKeygenOk(["-q", "-p", "-P", "", "-N", "", "-m", "PKCS8", "-f", file(`${name}.pkcs8`)]);
    }
  });
  after(() => cleanup());

  for (const [name] of TYPES) {
    describe(name, () => {
      it("reads the public key with ssh-keygen's fingerprint, size, blob and comment", {
        timeout: 60_000,
      }, () => {
        const [bits, fp] = sshKeygenOk(["-l", "-f", file(`${name}.pub`)]).split(" ");
        const md5 = sshKeygenOk(["-l", "-E", "md5", "-f", file(`${name}.pub`)]).split(" ")[1];
        const line = read(`${name}.pub`).trim();
        const key = Key.fromString(line);
        assert.ok(key.isPublic());
        assert.equal(key.fingerprint(), fp);
        assert.equal(key.fingerprint(FingerprintFormats.SHA256_BASE64), fp);
        assert.equal(`MD5:${key.fingerprint(FingerprintFormats.MD5_HEX)}`, md5);
        assert.equal(key.size(), Number(bits));
        assert.equal(key.comment, `test ${name}`);
        assert.equal(Buffer.from(key.blob()).toString("base64"), line.split(" ")[1]);
        assert.equal(key.sshType(), line.split(" ")[0]);
        assert.equal(key.toString("openssh"), line);
        assert.ok(key.equals(Key.fromString(key.blob())));
      });

      it("reads the OpenSSH private key, plain and encrypted", { timeout: 60_000 }, () => {
        const pub = Key.fromString(read(`${name}.pub`));
        const plain = Key.fromString(read(name));
        assert.equal(plain.isPublic(), false);
        assert.ok(plain.public().equals(pub));
        assert.equal(plain.comment, `test ${name}`);
        const encrypted = Key.fromString(read(`${name}.enc`), { passphrase: PASS });
        assert.ok(encrypted.equals(plain));
        assert.throws(() => Key.fromString(read(`${name}.enc`)), EncryptedKeyError);
        assert.throws(
          () => Key.fromString(read(`${name}.enc`), { passphrase: "wrong" }),
          EncryptedKeyError,
        );
        assert.ok(Key.fromString(plain.privateBlob()).equals(plain));
      });

      it("reads the RFC 4716 public key", { timeout: 60_000 }, () => {
        const key = Key.fromString(read(`${name}.rfc4716`));
        assert.ok(key.equals(Key.fromString(read(`${name}.pub`))));
        assert.ok(Key.fromString(key.toString("sshcom", { comment: "x" })).equals(key));
      });

      if (name !== "ed25519") {
        it("reads PEM, encrypted PEM, PKCS#8 and encrypted PKCS#8 private keys", {
          timeout: 60_000,
        }, () => {
          const plain = Key.fromString(read(name));
          assert.ok(Key.fromString(read(`${name}.pem`)).equals(plain));
          assert.ok(Key.fromString(read(`${name}.pkcs8`)).equals(plain));
          assert.ok(Key.fromString(read(`${name}.pem.enc`), { passphrase: PASS }).equals(plain));
          assert.throws(() => Key.fromString(read(`${name}.pem.enc`)), EncryptedKeyError);
          assert.match(read(`${name}.pkcs8.enc`), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
          assert.ok(Key.fromString(read(`${name}.pkcs8.enc`), { passphrase: PASS }).equals(plain));
          assert.throws(() => Key.fromString(read(`${name}.pkcs8.enc`)), EncryptedKeyError);
          assert.throws(
            () => Key.fromString(read(`${name}.pkcs8.enc`), { passphrase: "nope" }),
            EncryptedKeyError,
          );
          assert.throws(
            () => Key.fromString(read(`${name}.pem.enc`), { passphrase: "nope" }),
            (e: unknown) => e instanceof EncryptedKeyError || e instanceof BadKeyError,
          );
        });
      }

      it("writes keys ssh-keygen reads: v1 plain and encrypted, PEM", { timeout: 60_000 }, () => {
        const key = Key.fromString(read(name));
        const publicLine = key.public().toString("openssh", { comment: "" });
        const outputs: [string, string, string][] = [
          ["ours.v1", key.toString("openssh", { comment: "ours" }), ""],
          [
            "ours.v1.enc",
            key.toString("openssh", { comment: "ours", passphrase: "s3cret!" }),
            "s3cret!",
          ],
        ];
        if (name !== "ed25519") {
          outputs.push(["ours.pem", key.toString("PEM"), ""]);
          outputs.push(["ours.pem.enc", key.toString("PEM", { passphrase: "s3cret!" }), "s3cret!"]);
          outputs.push(["ours.sub", key.toString("openssh", { subtype: "PEM" }), ""]);
        }
        for (const [suffix, text, pass] of outputs) {
          writeFileSync(file(`${name}.${suffix}`), text, { mode: 0o600 });
          const seen = sshKeygenOk(["-y", "-P", pass, "-f", file(`${name}.${suffix}`)]).trim();
          assert.equal(seen.split(" ").slice(0, 2).join(" "), publicLine, suffix);
          assert.ok(Key.fromString(text, { passphrase: pass || undefined }).equals(key), suffix);
        }
        assert.equal(
          sshKeygen(["-y", "-P", "wrong", "-f", file(`${name}.ours.v1.enc`)]).status === 0,
          false,
        );
        const v1 = Key.fromString(read(`${name}.ours.v1.enc`), { passphrase: "s3cret!" });
        assert.equal(v1.comment, "ours");
      });

      it("signs what ssh-keygen -Y verify accepts, and verifies ssh-keygen -Y sign", {
        timeout: 60_000,
      }, async () => {
        const key = Key.fromString(read(name));
        const message = new TextEncoder().encode(`a message for ${name}\n`);
        writeFileSync(file(`${name}.msg`), message);
        writeFileSync(
          file("allowed_signers"),
          `tester ${read(`${name}.pub`).trim().split(" ").slice(0, 2).join(" ")}\n`,
        );
        for (const algorithm of key.supportedSignatureAlgorithms()) {
          const signature = await key.sign(sshsigSignedData("test", message), { algorithm });
          writeFileSync(file(`${name}.msg.sig`), sshsigArmor(key, "test", signature));
          const run = sshKeygen(
            [
              "-Y",
              "verify",
              "-f",
              file("allowed_signers"),
              "-I",
              "tester",
              "-n",
              "test",
              "-s",
              file(`${name}.msg.sig`),
            ],
            message,
          );
          assert.equal(run.status, 0, `${algorithm}: ${run.stdout} ${run.stderr}`);
        }
        sshKeygenOk(["-Y", "sign", "-f", file(name), "-n", "test", file(`${name}.msg`)]);
        const theirs = sshsigUnarmor(read(`${name}.msg.sig`));
        const pub = key.public();
        assert.ok(await pub.verify(theirs, sshsigSignedData("test", message)));
        assert.equal(await pub.verify(theirs, sshsigSignedData("other", message)), false);
      });
    });
  }

  it(
    "ckeygen-style -l output matches ssh-keygen -l for a private key file",
    { timeout: 60_000 },
    () => {
      const key = Key.fromString(read("ed25519"));
      const expected = sshKeygenOk(["-l", "-f", file("ed25519")]).trim();
      assert.equal(`${key.size()} ${key.fingerprint()} ${key.comment} (ED25519)`, expected);
    },
  );
});

// SSHSIG (OpenSSH's PROTOCOL.sshsig): what is signed, and the armored signature file.
function sshsigSignedData(namespace: string, message: Uint8Array): Uint8Array {
  const hash = createHash("sha512").update(message).digest();
  return new SSHWriter().raw(new TextEncoder().encode("SSHSIG")).string(namespace).string("")
    .string("sha512").string(new Uint8Array(hash)).bytes();
}

function sshsigArmor(key: Key, namespace: string, signature: Uint8Array): string {
  const blob = new SSHWriter().raw(new TextEncoder().encode("SSHSIG")).uint32(1)
    .string(key.public().blob()).string(namespace).string("").string("sha512").string(signature)
    .bytes();
  const b64 = Buffer.from(blob).toString("base64").match(/.{1,76}/g)!.join("\n");
  return `-----BEGIN SSH SIGNATURE-----\n${b64}\n-----END SSH SIGNATURE-----\n`;
}

function sshsigUnarmor(text: string): Uint8Array {
  const b64 = text.replace(/-----[A-Z ]+-----/g, "").replace(/\s/g, "");
  const r = new SSHReader(new Uint8Array(Buffer.from(b64, "base64")));
  assert.equal(new TextDecoder().decode(r.raw(6)), "SSHSIG");
  assert.equal(r.uint32(), 1);
  r.string(); // public key
  r.string(); // namespace
  r.string(); // reserved
  assert.equal(r.text(), "sha512");
  return r.string().slice();
}

const HAVE_OPENSSL = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;
const SKIP_NO_OPENSSL = HAVE_OPENSSL || process.env.CI === "true"
  ? false
  : "peer missing: install Debian's openssl (apt-get install -y openssl)";

describe("keys written by openssl", { skip: SKIP_NO_OPENSSL }, () => {
  it("reads Ed25519 PKCS#8, plain and PBES2-encrypted with each PRF", () => {
    const [tmp, remove] = tempDir("tw-openssl-");
    try {
      const openssl = (args: string[]): string => {
        const run = spawnSync("openssl", args, { encoding: "utf8" });
        assert.equal(run.status, 0, run.stderr);
        return run.stdout;
      };
      const plain = join(tmp, "ed.pem");
      openssl(["genpkey", "-algorithm", "ed25519", "-out", plain]);
      const key = Key.fromString(readFileSync(plain, "utf8"));
      const spki = openssl(["pkey", "-in", plain, "-pubout"]);
      assert.ok(Key.fromString(spki).equals(key.public()));
      assert.equal(key.sshType(), "ssh-ed25519");
      for (
        const [cipher, prf] of [
          ["aes-256-cbc", "hmacWithSHA512"],
          ["aes-128-cbc", "hmacWithSHA1"],
          ["aes-192-cbc", "hmacWithSHA256"],
        ]
      ) {
        const out = join(tmp, `ed.${prf}.pem`);
        openssl([
          "pkcs8",
          "-topk8",
          "-in",
          plain,
          "-v2",
          cipher,
          "-v2prf",
          prf,
          "-passout",
          "pass:abcdef",
          "-out",
          out,
        ]);
        const text = readFileSync(out, "utf8");
        assert.ok(Key.fromString(text, { passphrase: "abcdef" }).equals(key), prf);
        assert.throws(() => Key.fromString(text, { passphrase: "abcdeg" }), EncryptedKeyError);
      }
    } finally {
      remove();
    }
  });
});
