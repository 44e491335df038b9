// DirDBM with Twisted's file-name encoding (checked against Twisted's own DirDBM), the
// DirdbmDatabase checker, and MaildirDirdbmDomain as realm and SMTP recipient check.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { reactor } from "../../mod.ts";
import { Portal, UnauthorizedLogin, UsernamePassword } from "../../src/cred/mod.ts";
import {
  DirDBM,
  DirdbmDatabase,
  IMailbox,
  MaildirDirdbmDomain,
  MaildirMailbox,
} from "../../src/mail/pop3/mod.ts";
import { decodeDirdbmKey, encodeDirdbmKey } from "../../src/mail/maildir/_dirdbm.ts";
import { Address, SMTPBadRcpt, User } from "../../src/mail/mod.ts";

const PYTHON = "/usr/bin/python3";
const CI = process.env.CI === "true";
const HAVE_TWISTED =
  spawnSync(PYTHON, ["-c", "import twisted.persisted.dirdbm"], { stdio: "ignore" }).status === 0;
const fs = reactor.runtime;
const dec = new TextDecoder();
let root = "";
before(() => {
  root = mkdtempSync(join(tmpdir(), "tw-domain-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("DirDBM", () => {
  it("encodes keys as Twisted does and round-trips them", () => {
    assert.equal(encodeDirdbmKey("alice"), "YWxpY2U=_");
    const long = "x".repeat(100) + "?>?";
    assert.equal(dec.decode(decodeDirdbmKey(encodeDirdbmKey(long))), long);
    assert.ok(!encodeDirdbmKey("\xff\xfe?").includes("/"));
  });

  it("sets, gets, lists and deletes values through rename", async () => {
    const dbm = await DirDBM.open(fs, join(root, "db"));
    await dbm.set("alice", "one");
    await dbm.set("alice", "two");
    await dbm.set("bob", "b");
    assert.equal(await dbm.get("alice"), "two");
    assert.equal(await dbm.get("carol"), null);
    assert.deepEqual((await dbm.keys()).sort(), ["alice", "bob"]);
    assert.equal(await dbm.delete("bob"), true);
    assert.equal(await dbm.delete("bob"), false);
    assert.deepEqual(readdirSync(join(root, "db")), ["YWxpY2U=_"]);
  });

  it("reads a DirDBM written by Twisted, and Twisted reads ours", {
    skip: HAVE_TWISTED || CI ? false : "peer missing: install Debian's python3-twisted",
  }, async () => {
    const dir = join(root, "twisted-db");
    const key = "user.with/odd:chars-" + "k".repeat(80);
    const write = spawnSync(PYTHON, [
      "-c",
      "import sys\nfrom twisted.persisted import dirdbm\nd = dirdbm.open(sys.argv[1])\nd[sys.argv[2].encode()] = b'pw'",
      dir,
      key,
    ], { encoding: "utf8" });
    assert.equal(write.status, 0, write.stderr);
    const dbm = await DirDBM.open(fs, dir);
    assert.equal(await dbm.get(key), "pw");
    await dbm.set("ours", "v");
    const read = spawnSync(PYTHON, [
      "-c",
      "import sys\nfrom twisted.persisted import dirdbm\nd = dirdbm.open(sys.argv[1])\nprint(d[b'ours'].decode(), sorted(k.decode() for k in d.keys()))",
      dir,
    ], { encoding: "utf8" });
    assert.equal(read.status, 0, read.stderr);
    assert.equal(read.stdout.trim(), `v ['ours', '${key}']`);
  });
});

describe("MaildirDirdbmDomain", () => {
  it("checks passwords, gives the user's MaildirMailbox, and refuses others", async () => {
    const domain = new MaildirDirdbmDomain(null, join(root, "example.com"));
    await domain.addUser("alice", "secret");
    const checkers = await domain.getCredentialsCheckers();
    assert.ok(checkers[0] instanceof DirdbmDatabase);
    const portal = new Portal(domain, checkers);
    const [iface, box] = await portal.login(
      new UsernamePassword("alice", "secret"),
      null,
      IMailbox,
    );
    assert.equal(iface, IMailbox);
    assert.ok(box instanceof MaildirMailbox);
    await assert.rejects(
      Promise.resolve(portal.login(new UsernamePassword("alice", "nope"), null, IMailbox)),
      UnauthorizedLogin,
    );
    await assert.rejects(domain.addUser("../x", "y"), TypeError);
  });

  it("gives SMTP a MaildirMessage for known users, the postmaster's when set", async () => {
    const dir = join(root, "example.net");
    const strict = new MaildirDirdbmDomain(null, dir);
    await strict.addUser("alice", "secret");
    const rcpt = (to: string) => new User(new Address(to), null, null, "a@example.org");
    await assert.rejects(strict.exists(rcpt("nobody@example.net")), SMTPBadRcpt);
    const make = await strict.exists(rcpt("alice@example.net"));
    const message = make();
    message.lineReceived(new TextEncoder().encode("hi"));
    const path = await message.eomReceived() as string;
    assert.equal(readFileSync(path, "utf8"), "Delivered-To: alice@example.net\nhi\n");
    const lenient = new MaildirDirdbmDomain(null, dir, { postmaster: true });
    const toPostmaster = await lenient.exists(rcpt("nobody@example.net"));
    assert.equal(typeof toPostmaster, "function");
    assert.equal(await lenient.userDirectory("nobody"), join(dir, "postmaster"));
  });
});
