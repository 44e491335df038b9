// Twisted's IMAP4Client (python3-twisted) against our IMAP4Server on a free loopback
// port, over a MaildirAccount: capabilities, LOGIN, LIST, SELECT, the fetch helpers
// (flags, UID, size, BODY.PEEK[], HEADER.FIELDS, ENVELOPE, BODYSTRUCTURE of a
// multipart), SEARCH, STORE, CREATE, COPY, STATUS, APPEND, NOOP, EXPUNGE.
// Without Twisted the test is skipped, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type IPv4Address, reactor } from "../../../mod.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { initializeMaildir } from "../../../src/mail/pop3/mod.ts";
import { IMAP4ServerFactory, MaildirAccount } from "../../../src/mail/imap4/mod.ts";
import { portalFor } from "./_harness.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PYTHON = "/usr/bin/python3";
const CI = process.env.CI === "true";
const PEER = fileURLToPath(new URL("twisted_peer.py", import.meta.url));
const HAVE_TWISTED = spawnSync(PYTHON, ["-c", "import twisted.mail.imap4"], { stdio: "ignore" })
  .status === 0;
const skip = (have: boolean, pkg: string): string | false =>
  have || CI ? false : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out, err });
    });
  });
}

const MULTI =
  'Subject: parts\nFrom: "B" <b@y.org>\nContent-Type: multipart/alternative; boundary="Z"\n\n--Z\nContent-Type: text/plain\n\nplain\n--Z\nContent-Type: text/html\n\n<p>x</p>\n--Z--\n';

describe("Twisted's IMAP4Client against IMAP4Server", () => {
  it("runs Twisted's fetch helpers, search, store, copy, append and expunge", {
    skip: skip(HAVE_TWISTED, "python3-twisted"),
  }, async () => {
    const root = mkdtempSync(join(tmpdir(), "tw-imap4-twisted-"));
    const dir = join(root, "alice");
    await initializeMaildir(reactor.runtime, dir);
    writeFileSync(
      join(dir, "new", "1600000000.M1P1.t"),
      "Subject: hello\nFrom: a@x\n\nfirst body\n",
    );
    writeFileSync(join(dir, "new", "1600000001.M2P1.t"), MULTI);
    const portal = portalFor(new MaildirAccount(reactor.runtime, dir));
    const port = reactor.listenTCP(0, new IMAP4ServerFactory({ portal }), {
      interface: "127.0.0.1",
    });
    await port.whenListening!();
    try {
      const r = await run(PYTHON, [PEER, String((port.getHost() as IPv4Address).port)]);
      assert.equal(r.code, 0, r.err);
      const out = JSON.parse(r.out);
      assert.ok(out.caps.includes("IDLE") && out.caps.includes("UIDPLUS"));
      assert.ok(out.list.some((l: unknown[]) => l[2] === "INBOX"));
      assert.equal(out.select.EXISTS, 2);
      assert.equal(out.select.UIDNEXT, 3);
      assert.deepEqual(out.uid, { 1: { UID: "1" }, 2: { UID: "2" } });
      assert.deepEqual(out.flags["1"].FLAGS, ["\\Recent"]);
      const body = "Subject: hello\r\nFrom: a@x\r\n\r\nfirst body\r\n";
      assert.equal(out.size["1"]["RFC822.SIZE"], String(body.length));
      assert.equal(out.body["1"][0][2], body);
      assert.equal(out.header["1"][0][2], "Subject: hello\r\n\r\n");
      assert.equal(out.envelope["2"].ENVELOPE[1], "parts");
      const bs = out.bodystructure["2"].BODYSTRUCTURE;
      assert.deepEqual(bs[0].slice(0, 2), ["TEXT", "PLAIN"]);
      assert.deepEqual(bs[1].slice(0, 2), ["TEXT", "HTML"]);
      assert.equal(bs[2], "ALTERNATIVE");
      assert.deepEqual(out.search, [1, 2]);
      assert.deepEqual(out.store["1"].FLAGS, ["\\Seen", "\\Recent"]);
      assert.deepEqual(out.status, { MESSAGES: 2 });
      assert.deepEqual(out.expunge, [2]);
    } finally {
      await port.stopListening();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
