// KnownHostsFile: plain entries (comma lists, wildcards, negation, [host]:port), hashed
// entries written by `ssh-keygen -H`, @revoked and @cert-authority markers, a changed key,
// verifyHostKey's prompt / accept / reject, and save(): the entries we add are found by
// `ssh-keygen -F`, and the file's other lines are kept.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  HostKeyChanged,
  Key,
  KnownHostsFile,
  knownHostsName,
  UserRejectedKey,
} from "../../../src/conch/keys/mod.ts";
import { SKIP_NO_SSH_KEYGEN, sshKeygen, sshKeygenOk, tempDir } from "./_ssh_keygen.ts";

let dir = "";
let cleanup = (): void => {};
let hostKey: Key;
let otherEd: Key;
let ecKey: Key;

const line = (hosts: string, key: Key, marker = ""): string =>
  `${marker ? marker + " " : ""}${hosts} ${key.toString("openssh", { comment: "" })}`;

class FakeUI {
  prompts: string[] = [];
  warnings: string[] = [];
  answer = true;
  prompt(message: string): Promise<boolean> {
    this.prompts.push(message);
    return Promise.resolve(this.answer);
  }
  warn(message: string): void {
    this.warnings.push(message);
  }
}

describe("KnownHostsFile", () => {
  before(async () => {
    [dir, cleanup] = tempDir("tw-known-hosts-");
    hostKey = (await Key.generate("ed25519")).public();
    otherEd = (await Key.generate("ed25519")).public();
    ecKey = (await Key.generate("ecdsa")).public();
  });
  after(() => cleanup());

  it("names non-22 ports as [host]:port", () => {
    assert.equal(knownHostsName("h", 22), "h");
    assert.equal(knownHostsName("h", 2200), "[h]:2200");
    assert.equal(knownHostsName("::1", 2200), "[::1]:2200");
  });

  it("matches plain entries: lists, wildcards, negation, ports, case", async () => {
    const path = join(dir, "plain");
    writeFileSync(
      path,
      [
        "# a comment",
        "",
        line("alpha.example.com,10.0.0.1", hostKey),
        line("*.wild.example,!bad.wild.example", hostKey),
        line("host?.q.example", hostKey),
        line("[ported.example]:2222", hostKey),
        "garbage line",
        "@unknown-marker x ssh-ed25519 AAAA",
        line("ec.example", ecKey),
      ].join("\n") + "\n",
    );
    const known = await KnownHostsFile.fromPath(path);
    assert.ok(known.hasHostKey("alpha.example.com", hostKey));
    assert.ok(known.hasHostKey("ALPHA.example.COM", hostKey));
    assert.ok(known.hasHostKey("10.0.0.1", hostKey));
    assert.ok(known.hasHostKey("a.wild.example", hostKey));
    assert.equal(known.hasHostKey("bad.wild.example", hostKey), false);
    assert.ok(known.hasHostKey("host1.q.example", hostKey));
    assert.equal(known.hasHostKey("host12.q.example", hostKey), false);
    assert.ok(known.hasHostKey("[ported.example]:2222", hostKey));
    assert.equal(known.hasHostKey("ported.example", hostKey), false);
    assert.equal(known.hasHostKey("unknown.example", hostKey), false);
    // Another type stored for the host is not a change; the same type with another key is.
    assert.equal(known.hasHostKey("ec.example", hostKey), false);
    assert.throws(() => known.hasHostKey("alpha.example.com", otherEd), (e: unknown) => {
      assert.ok(e instanceof HostKeyChanged);
      assert.equal(e.lineno, 3);
      assert.equal(e.path, path);
      return true;
    });
  });

  it("honours @revoked and ignores @cert-authority", async () => {
    const path = join(dir, "markers");
    writeFileSync(
      path,
      [line("*", otherEd, "@revoked"), line("ca.example", hostKey, "@cert-authority")].join("\n"),
    );
    const known = await KnownHostsFile.fromPath(path);
    assert.throws(() => known.hasHostKey("any.example", otherEd), HostKeyChanged);
    assert.equal(known.hasHostKey("ca.example", hostKey), false);
  });

  it("reads a missing file as empty", async () => {
    const known = await KnownHostsFile.fromPath(join(dir, "missing", "known_hosts"));
    assert.equal(known.hasHostKey("x", hostKey), false);
  });

  it("asks about an unknown key, adds host and address, saves; rejects on no", async () => {
    const path = join(dir, "sub", "known_hosts");
    const known = await KnownHostsFile.fromPath(path);
    const ui = new FakeUI();
    assert.equal(await known.verifyHostKey(ui, "new.example", "192.0.2.7", hostKey), true);
    assert.equal(ui.prompts.length, 1);
    assert.match(ui.prompts[0], /authenticity of host 'new\.example \(192\.0\.2\.7\)'/);
    assert.ok(ui.prompts[0].includes(hostKey.fingerprint()));
    const again = await KnownHostsFile.fromPath(path);
    assert.ok(again.hasHostKey("new.example", hostKey));
    assert.ok(again.hasHostKey("192.0.2.7", hostKey));
    const text = readFileSync(path, "utf8");
    assert.equal(text.split("\n").filter((l) => l.startsWith("|1|")).length, 2);
    assert.ok(!text.includes("new.example"), "entries are hashed");

    // Known host, new address: added with a warning, no prompt.
    const ui2 = new FakeUI();
    assert.equal(await again.verifyHostKey(ui2, "new.example", "192.0.2.8", hostKey), true);
    assert.equal(ui2.prompts.length, 0);
    assert.match(ui2.warnings[0], /Permanently added .* '192\.0\.2\.8'/);

    const ui3 = new FakeUI();
    ui3.answer = false;
    await assert.rejects(
      again.verifyHostKey(ui3, "other.example", "192.0.2.9", hostKey),
      UserRejectedKey,
    );
    await assert.rejects(
      again.verifyHostKey(new FakeUI(), "new.example", "192.0.2.7", otherEd),
      HostKeyChanged,
    );
  });

  describe("with ssh-keygen", { skip: SKIP_NO_SSH_KEYGEN }, () => {
    it("matches entries hashed by ssh-keygen -H, including [host]:port", async () => {
      const path = join(dir, "to_hash");
      writeFileSync(
        path,
        [line("hashed.example,198.51.100.1", hostKey), line("[hashed.example]:2022", ecKey)]
          .join("\n") + "\n",
      );
      sshKeygenOk(["-H", "-f", path]);
      const text = readFileSync(path, "utf8");
      assert.ok(!text.includes("hashed.example"));
      const known = await KnownHostsFile.fromPath(path);
      assert.ok(known.hasHostKey("hashed.example", hostKey));
      assert.ok(known.hasHostKey("198.51.100.1", hostKey));
      assert.ok(known.hasHostKey("[hashed.example]:2022", ecKey));
      assert.equal(known.hasHostKey("hashed.example", ecKey), false);
      assert.throws(() => known.hasHostKey("hashed.example", otherEd), HostKeyChanged);
    });

    it("writes entries ssh-keygen -F finds, keeping the other lines", async () => {
      const path = join(dir, "ours");
      writeFileSync(path, "# kept comment\n" + line("old.example", ecKey) + "\n");
      const known = await KnownHostsFile.fromPath(path);
      known.addHostKey("added.example", hostKey);
      known.addHostKey(knownHostsName("added.example", 2222), ecKey);
      await known.save();
      const text = readFileSync(path, "utf8");
      assert.ok(text.startsWith("# kept comment\nold.example "));
      const found = sshKeygenOk(["-F", "added.example", "-f", path]);
      assert.ok(found.includes(hostKey.toString("openssh", { comment: "" })));
      const ported = sshKeygenOk(["-F", "[added.example]:2222", "-f", path]);
      assert.ok(ported.includes(ecKey.toString("openssh", { comment: "" })));
      assert.notEqual(sshKeygen(["-F", "missing.example", "-f", path]).status, 0);
    });
  });
});
