// `tw ckeygen` end to end, as a program on Deno, Bun and Node: keys it makes (OpenSSH v1,
// encrypted or not, PEM) read by ssh-keygen; -l printing what `ssh-keygen -l` prints; -y;
// -p changing the passphrase; a wrong passphrase as one line and exit 1; and ssh-keygen's
// keys read by it.
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { PROGRAM_RUNTIMES, runToEnd } from "../../cli/_program.ts";
import { SKIP_NO_SSH_KEYGEN, sshKeygen, sshKeygenOk, tempDir } from "./_ssh_keygen.ts";

trackLeaks({ beforeEach, afterEach });

let dir = "";
let cleanup = (): void => {};

describe("tw ckeygen", { skip: SKIP_NO_SSH_KEYGEN }, () => {
  before(() => {
    [dir, cleanup] = tempDir("tw-ckeygen-");
  });
  after(() => cleanup());

  for (const runtime of PROGRAM_RUNTIMES) {
    describe(`on ${runtime}`, () => {
      const file = (name: string): string => join(dir, `${runtime}-${name}`);

      it("makes an encrypted ed25519 key ssh-keygen reads; -l, -y, -p, wrong passphrase", {
        timeout: 60_000,
      }, async () => {
        const key = file("ed25519");
        let program = await runToEnd(runtime, [
          "ckeygen",
          "-t",
          "ed25519",
          "-f",
          key,
          "-N",
          "first pass",
          "-C",
          "me@test",
        ]);
        assert.equal(program.exitCode, 0, program.err);
        assert.match(program.out, /Your identification has been saved in /);
        assert.equal(statSync(key).mode & 0o777, 0o600);
        assert.match(readFileSync(key, "utf8"), /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
        const pub = readFileSync(`${key}.pub`, "utf8").trim();
        assert.match(pub, /^ssh-ed25519 AAAA\S+ me@test$/);
        assert.equal(sshKeygenOk(["-y", "-P", "first pass", "-f", key]).trim(), pub);
        assert.notEqual(sshKeygen(["-y", "-P", "", "-f", key]).status, 0);

        program = await runToEnd(runtime, ["ckeygen", "-l", "-f", key]);
        assert.equal(program.exitCode, 0, program.err);
        assert.equal(program.out, sshKeygenOk(["-l", "-f", `${key}.pub`]));
        program = await runToEnd(runtime, ["ckeygen", "-l", "-f", `${key}.pub`, "-o", "md5-hex"]);
        assert.equal(program.out, sshKeygenOk(["-l", "-E", "md5", "-f", `${key}.pub`]));

        program = await runToEnd(runtime, ["ckeygen", "-y", "-f", key, "-P", "first pass"]);
        assert.equal(program.exitCode, 0, program.err);
        assert.equal(program.out.trim(), pub);

        program = await runToEnd(runtime, ["ckeygen", "-y", "-f", key, "-P", "wrong"]);
        assert.equal(program.exitCode, 1);
        assert.equal(program.out, "");
        assert.equal(program.err.trim().split("\n").length, 1, program.err);
        assert.match(program.err, /Bad passphrase/);

        program = await runToEnd(runtime, [
          "ckeygen",
          "-p",
          "-f",
          key,
          "-P",
          "first pass",
          "-N",
          "second pass",
        ]);
        assert.equal(program.exitCode, 0, program.err);
        assert.equal(sshKeygenOk(["-y", "-P", "second pass", "-f", key]).trim(), pub);
        assert.notEqual(sshKeygen(["-y", "-P", "first pass", "-f", key]).status, 0);
      });

      it(
        "makes RSA (PEM subtype) and ECDSA keys; refuses to overwrite",
        { timeout: 60_000 },
        async () => {
          const rsa = file("rsa");
          let program = await runToEnd(runtime, [
            "ckeygen",
            "-t",
            "rsa",
            "-b",
            "2048",
            "-f",
            rsa,
            "--no-passphrase",
            "--private-key-subtype",
            "PEM",
          ]);
          assert.equal(program.exitCode, 0, program.err);
          assert.match(readFileSync(rsa, "utf8"), /^-----BEGIN RSA PRIVATE KEY-----\n/);
          const rsaPub = readFileSync(`${rsa}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
          assert.equal(
            sshKeygenOk(["-y", "-f", rsa]).trim().split(" ").slice(0, 2).join(" "),
            rsaPub,
          );
          assert.match(sshKeygenOk(["-l", "-f", rsa]), /^2048 SHA256:/);

          const ec = file("ecdsa");
          program = await runToEnd(runtime, [
            "ckeygen",
            "-t",
            "ecdsa",
            "-b",
            "384",
            "-f",
            ec,
            "-N",
            "ec pass",
          ]);
          assert.equal(program.exitCode, 0, program.err);
          assert.match(sshKeygenOk(["-l", "-f", `${ec}.pub`]), /^384 SHA256:\S+ .* \(ECDSA\)\n$/);
          assert.ok(
            sshKeygenOk(["-y", "-P", "ec pass", "-f", ec]).startsWith("ecdsa-sha2-nistp384 "),
          );

          program = await runToEnd(runtime, [
            "ckeygen",
            "-t",
            "ecdsa",
            "-f",
            ec,
            "--no-passphrase",
          ]);
          assert.equal(program.exitCode, 1);
          assert.match(program.err, /already exists/);
          program = await runToEnd(runtime, ["ckeygen", "-t", "ed25519", "-f", file("nopass")]);
          assert.equal(program.exitCode, 2);
          assert.match(program.err, /--no-passphrase/);
        },
      );

      it("reads ssh-keygen's keys: -l and -y", { timeout: 60_000 }, async () => {
        const theirs = file("theirs");
        sshKeygenOk([
          "-q",
          "-t",
          "ecdsa",
          "-b",
          "521",
          "-N",
          "their pass",
          "-C",
          "them",
          "-f",
          theirs,
        ]);
        let program = await runToEnd(runtime, ["ckeygen", "-l", "-f", theirs]);
        assert.equal(program.out, sshKeygenOk(["-l", "-f", theirs]));
        program = await runToEnd(runtime, ["ckeygen", "-y", "-f", theirs, "-P", "their pass"]);
        assert.equal(program.exitCode, 0, program.err);
        assert.equal(program.out, readFileSync(`${theirs}.pub`, "utf8"));
        const alone = file("alone");
        sshKeygenOk(["-q", "-t", "ed25519", "-N", "their pass", "-f", alone]);
        rmSync(`${alone}.pub`);
        program = await runToEnd(runtime, ["ckeygen", "-l", "-f", alone]);
        assert.equal(program.exitCode, 0, program.err);
        assert.equal(program.out, sshKeygenOk(["-l", "-f", alone]));
        program = await runToEnd(runtime, ["ckeygen", "-y", "-f", theirs]);
        assert.equal(program.exitCode, 1);
        assert.match(program.err, /encrypted: give its passphrase with -P/);
      });
    });
  }
});
