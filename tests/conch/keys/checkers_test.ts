// SSHPublicKeyChecker with SSHPrivateKey credentials and real signatures, over
// InMemorySSHKeyDB and an authorized_keys file (options lines and bad lines skipped), alone
// and through a cred Portal; also RSA's SHA-1 refusal.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AuthorizedKeysFile,
  InMemorySSHKeyDB,
  Key,
  SSHPublicKeyChecker,
  ValidPublicKey,
} from "../../../src/conch/keys/mod.ts";
import {
  interfaceName,
  type IRealm,
  ISSHPrivateKey,
  Portal,
  providedBy,
  SSHPrivateKey,
  UnauthorizedLogin,
} from "../../../src/cred/mod.ts";
import { toJwk } from "../../../src/conch/keys/_key_data.ts";
import { SSHWriter } from "../../../src/conch/ssh/_wire.ts";
import { tempDir } from "./_ssh_keygen.ts";

const enc = new TextEncoder();
const sigData = enc.encode("session id + userauth request");
let ed: Key;
let rsa: Key;
let stranger: Key;
let dir = "";
let cleanup = (): void => {};

async function signed(key: Key, username: string, algorithm?: string): Promise<SSHPrivateKey> {
  const signature = await key.sign(sigData, { algorithm });
  const alg = algorithm ?? key.supportedSignatureAlgorithms()[0];
  return new SSHPrivateKey(username, alg, key.blob(), sigData, signature);
}

describe("SSHPublicKeyChecker", () => {
  before(async () => {
    ed = await Key.generate("ed25519");
    rsa = await Key.generate("rsa", { bits: 2048 });
    stranger = await Key.generate("ecdsa", { bits: 256 });
    [dir, cleanup] = tempDir("tw-checkers-");
  });
  after(() => cleanup());

  it("SSHPrivateKey provides ISSHPrivateKey", () => {
    const creds = new SSHPrivateKey("u", "ssh-ed25519", new Uint8Array(1), null, null);
    assert.ok(providedBy(ISSHPrivateKey, creds));
    assert.deepEqual(new SSHPublicKeyChecker(new InMemorySSHKeyDB({})).credentialInterfaces, [
      ISSHPrivateKey,
    ]);
  });

  it("accepts a good signature, says ValidPublicKey without one, refuses the rest", async () => {
    const checker = new SSHPublicKeyChecker(
      new InMemorySSHKeyDB(new Map([["alice", [ed.public(), rsa.public()]]])),
    );
    assert.equal(await checker.requestAvatarId(await signed(ed, "alice")), "alice");
    assert.equal(await checker.requestAvatarId(await signed(rsa, "alice")), "alice");
    assert.equal(
      await checker.requestAvatarId(await signed(rsa, "alice", "rsa-sha2-256")),
      "alice",
    );
    const reject = (creds: SSHPrivateKey, error: new (...a: never[]) => Error) =>
      assert.rejects(async () => await checker.requestAvatarId(creds), error);
    await reject(new SSHPrivateKey("alice", "ssh-ed25519", ed.blob(), null, null), ValidPublicKey);
    await reject(await signed(ed, "bob"), UnauthorizedLogin);
    await reject(await signed(stranger, "alice"), UnauthorizedLogin);
    const bad = await signed(ed, "alice");
    await reject(
      new SSHPrivateKey("alice", "ssh-ed25519", ed.blob(), enc.encode("other"), bad.signature),
      UnauthorizedLogin,
    );
    // The algorithm named must be the signature's.
    const rsa256 = await signed(rsa, "alice", "rsa-sha2-256");
    await reject(
      new SSHPrivateKey("alice", "rsa-sha2-512", rsa.blob(), sigData, rsa256.signature),
      UnauthorizedLogin,
    );
    // The algorithm must be one the key signs with: no SHA-1 "ssh-rsa", no mismatched type.
    await reject(new SSHPrivateKey("alice", "ssh-rsa", rsa.blob(), null, null), UnauthorizedLogin);
    await reject(
      new SSHPrivateKey("alice", "ssh-ed25519", rsa.blob(), null, null),
      UnauthorizedLogin,
    );
    await reject(
      new SSHPrivateKey("alice", "rsa-sha2-256", rsa.blob(), null, null),
      ValidPublicKey,
    );
    await reject(
      new SSHPrivateKey("alice", "ssh-ed25519", new Uint8Array([0, 0, 0, 9, 1]), null, null),
      UnauthorizedLogin,
    );
    await reject(
      new SSHPrivateKey("alice", "ssh-ed25519", ed.blob(), sigData, new Uint8Array([1, 2, 3])),
      UnauthorizedLogin,
    );
  });

  it("refuses SHA-1 RSA signatures unless asked to allow them", async () => {
    const key = await crypto.subtle.importKey(
      "jwk",
      toJwk(rsa.data(), true),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-1" },
      false,
      ["sign"],
    );
    const raw = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, sigData));
    const blob = new SSHWriter().string("ssh-rsa").string(raw).bytes();
    assert.equal(await rsa.public().verify(blob, sigData), false);
    assert.equal(await rsa.public().verify(blob, sigData, { allowSHA1: true }), true);
    const checker = new SSHPublicKeyChecker(new InMemorySSHKeyDB({ alice: [rsa.public()] }));
    await assert.rejects(
      async () =>
        await checker.requestAvatarId(
          new SSHPrivateKey("alice", "ssh-rsa", rsa.blob(), sigData, blob),
        ),
      UnauthorizedLogin,
    );
  });

  it("reads an authorized_keys file at each login, skipping options and bad lines", async () => {
    const path = join(dir, "authorized_keys");
    writeFileSync(
      path,
      [
        "# comment",
        `command="echo hi" ${rsa.public().toString("openssh")}`,
        "ssh-ed25519 not-base64!",
        `${stranger.public().toString("openssh", { comment: "before" })}`,
      ].join("\n"),
    );
    const file = new AuthorizedKeysFile(path);
    const checker = new SSHPublicKeyChecker(file);
    assert.equal((await file.getAuthorizedKeys("anyone")).length, 1);
    await assert.rejects(
      async () => await checker.requestAvatarId(await signed(rsa, "me")),
      UnauthorizedLogin,
    );
    assert.equal(await checker.requestAvatarId(await signed(stranger, "me")), "me");
    writeFileSync(path, `${ed.public().toString("openssh", { comment: "me@x" })}\n`);
    assert.equal(await checker.requestAvatarId(await signed(ed, "me")), "me");
    await assert.rejects(
      async () => await checker.requestAvatarId(await signed(stranger, "me")),
      UnauthorizedLogin,
    );
    const missing = new SSHPublicKeyChecker(new AuthorizedKeysFile(join(dir, "none")));
    await assert.rejects(
      async () => await missing.requestAvatarId(await signed(ed, "me")),
      UnauthorizedLogin,
    );
  });

  it("logs in through a Portal", async () => {
    const IUser = interfaceName<{ name: string }>("IUser");
    const realm: IRealm = {
      requestAvatar: (id) => [IUser, { name: String(id) }, () => {}],
    };
    const portal = new Portal(realm, [
      new SSHPublicKeyChecker(new InMemorySSHKeyDB({ alice: [ed.public()] })),
    ]);
    const [, avatar] = await portal.login(await signed(ed, "alice"), null, IUser);
    assert.equal(avatar.name, "alice");
    await assert.rejects(
      async () =>
        await portal.login(
          new SSHPrivateKey("alice", "ssh-ed25519", ed.blob(), null, null),
          null,
          IUser,
        ),
      ValidPublicKey,
    );
  });
});
