// `tw mail --imap` on the runtime running this file, probed by Python's imaplib:
// STARTTLS (LOGINDISABLED before it), APPEND with and without flags, SELECT,
// EXAMINE read-only, FETCH sizes equal to BODY[], implicit \Seen, SEARCH (header,
// CHARSET UTF-8, OR), STORE, COPY with COPYUID, UID forms, MOVE, EXPUNGE,
// CREATE/LIST/STATUS/LSUB/RENAME/NAMESPACE, and IDLE told of mail delivered by
// our SMTP and of a file dropped into new/. The maildir is checked on disk.
// Without python3 the test is skipped, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { CURRENT, start, terminate } from "../../cli/_program.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PYTHON = "/usr/bin/python3";
const CI = process.env.CI === "true";
const TLS_DIR = fileURLToPath(new URL("../../fixtures/tls", import.meta.url));
const PEER = fileURLToPath(new URL("imaplib_peer.py", import.meta.url));
const HAVE_PY = spawnSync(PYTHON, ["-c", "import imaplib, smtplib, ssl"], { stdio: "ignore" })
  .status === 0;
const HAVE_CURL = spawnSync("curl", ["--version"], { stdio: "ignore" }).status === 0;
const skip = (have: boolean, pkg: string): string | false =>
  have || CI ? false : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 90000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out, err });
    });
  });
}

describe("tw mail --imap with imaplib", () => {
  it("serves every command imaplib sends, with STARTTLS and IDLE", {
    skip: skip(HAVE_PY, "python3"),
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-imap4-imaplib-"));
    const args = [
      "mail",
      "-s",
      "tcp:0:interface=127.0.0.1",
      "--no-pop3",
      "--imap",
      "tcp:0:interface=127.0.0.1",
      "-d",
      `example.com=${join(dir, "example.com")}`,
      "-u",
      "alice=secret",
      "-H",
      "mx.test",
      "--certificate",
      join(TLS_DIR, "server.pem"),
      "--privkey",
      join(TLS_DIR, "server.key"),
    ];
    const [program, transport] = start(CURRENT, args);
    const maildir = join(dir, "example.com", "alice");
    try {
      const smtp = Number(
        (await program.waitFor(/SMTPFactory listening on 127\.0\.0\.1:(\d+)/))[1],
      );
      const imap = Number(
        (await program.waitFor(/IMAP4ServerFactory listening on 127\.0\.0\.1:(\d+)/))[1],
      );
      // The maildir exists once alice is added; imaplib drops a file into new/.
      const r = await run(PYTHON, [
        PEER,
        String(imap),
        String(smtp),
        join(TLS_DIR, "ca.pem"),
        join(maildir, "new"),
      ]);
      assert.equal(r.code, 0, r.err + program.out + program.err);
      const out = JSON.parse(r.out);
      assert.ok(out.caps_before.includes("LOGINDISABLED") && out.caps_before.includes("STARTTLS"));
      assert.match(out.login_before_tls, /PRIVACYREQUIRED|LOGIN/);
      assert.ok(out.caps_after.includes("AUTH=PLAIN") && out.caps_after.includes("IDLE"));
      assert.match(out.bad_login, /AUTHENTICATIONFAILED/);
      assert.equal(out.login, "OK");
      assert.match(out.append1[0], /\[APPENDUID \d+ 1\]/);
      assert.match(out.append2[0], /\[APPENDUID \d+ 2\]/);
      assert.deepEqual(out.select, ["OK", ["2"]]);
      assert.deepEqual(
        out.sizes,
        [[83, 83, true], [45, 45, true]],
        "RFC822.SIZE is the octets of BODY[], the stored bytes",
      );
      assert.match(
        out.fetch_flags_peek.join(" "),
        /1 \(FLAGS \(\\Flagged( \\Recent)?\)\) 2 \(FLAGS \((\\Recent)?\)\)/,
      );
      assert.match(out.fetch_flags_after[0], /\\Seen/);
      assert.deepEqual(out.header_fields[0][1], "Subject: first\r\n\r\n");
      assert.match(out.envelope[0], /"first" \(\("Alice" NIL "alice" "example.com"\)\)/);
      assert.deepEqual(out.search_unseen, ["1"]);
      assert.deepEqual(out.search_header, ["2"]);
      assert.deepEqual(out.search_utf8, ["2"]);
      assert.deepEqual(out.search_or, ["1 2"]);
      assert.deepEqual(out.uid_search, ["1 2"]);
      assert.match(out.store[0], /1 \(FLAGS \(.*\\Answered/);
      assert.match(out.uid_store[0], /2 \(FLAGS \(.*\) UID 2\)/);
      assert.equal(out.create, "OK");
      assert.ok(out.list.some((l: string) => /"\/" "Archive"/.test(l)));
      assert.ok(out.list.some((l: string) => /\\Trash\) "\/" "Trash"/.test(l)));
      assert.match(out.copy.join(" "), /^OK .*\d+ 1 1/);
      assert.equal(out.uid_copy, "OK");
      assert.match(out.status[0], /"Archive" \(MESSAGES 2 UIDNEXT 3 UNSEEN 2\)/);
      assert.match(out.lsub[0], /"Archive"/);
      assert.equal(out.rename, "OK");
      assert.deepEqual(out.namespace, ['(("" "/")) NIL NIL']);
      assert.equal(out.move, "OK");
      assert.deepEqual(out.expunge, ["2", "1"], "MOVE's EXPUNGE, then EXPUNGE's");
      assert.equal(out.examine[0], "OK");
      assert.deepEqual(out.examine[1], ["3"]);
      assert.match(out.examine_store, /^NO .*read-only/i);
      assert.equal(out.idle_start, "+ idling");
      assert.match(out.idle_smtp, /^\* 1 EXISTS$/);
      assert.ok(out.idle_smtp_seconds < 5, `SMTP delivery seen after ${out.idle_smtp_seconds} s`);
      assert.match(out.idle_file, /^\* 2 EXISTS$/);
      assert.ok(out.idle_file_seconds < 5, `dropped file seen after ${out.idle_file_seconds} s`);
      assert.match(out.idle_done, /OK IDLE terminated/);
      assert.deepEqual(out.after_idle, ["1 2"]);
      assert.equal(out.logout, "BYE");
      // On disk: Maildir++ folders, flags in names, our UID list.
      assert.ok(existsSync(join(maildir, ".Old", "maildirfolder")));
      const old = [
        ...readdirSync(join(maildir, ".Old", "new")),
        ...readdirSync(join(maildir, ".Old", "cur")),
      ];
      assert.equal(old.length, 3);
      assert.ok(old.some((f) => /:2,FR$/.test(f)), old.join(" "));
      assert.ok(existsSync(join(maildir, "tw-uidlist")));
    } finally {
      await terminate(program, transport);
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(program.exitCode, 0, program.err);
  });

  it("serves IMAPS on an ssl: endpoint and STARTTLS to curl (imaps:// and imap:// --ssl-reqd)", {
    skip: skip(HAVE_PY && HAVE_CURL, "curl"),
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-imap4-curl-"));
    const maildir = join(dir, "example.com", "alice");
    for (const sub of ["new", "cur", "tmp"]) mkdirSync(join(maildir, sub), { recursive: true });
    writeFileSync(join(maildir, "new", "1600000000.M1P1.t"), "Subject: over IMAPS\n\nsecure\n");
    const tls = `privateKey=${join(TLS_DIR, "server.key")}:certKey=${join(TLS_DIR, "server.pem")}`;
    const [program, transport] = start(CURRENT, [
      "mail",
      "-s",
      "tcp:0:interface=127.0.0.1",
      "--no-pop3",
      "--imap",
      `ssl:0:interface=127.0.0.1:${tls}`,
      "--imap",
      "tcp:0:interface=127.0.0.1",
      "-d",
      `example.com=${join(dir, "example.com")}`,
      "-u",
      "alice=secret",
      "--certificate",
      join(TLS_DIR, "server.pem"),
      "--privkey",
      join(TLS_DIR, "server.key"),
    ]);
    try {
      await program.waitFor(
        /IMAP4ServerFactory listening on 127\.0\.0\.1:\d+[^]*IMAP4ServerFactory listening on 127\.0\.0\.1:\d+/,
      );
      const ports = [...program.out.matchAll(/IMAP4ServerFactory listening on 127\.0\.0\.1:(\d+)/g)]
        .map((m) => m[1]);
      const ca = join(TLS_DIR, "ca.pem");
      const user = ["-u", "alice@example.com:secret", "--cacert", ca, "-sS"];
      // One of the two is IMAPS: the one curl fetches the message from over imaps://.
      const tries = await Promise.all(
        ports.map((p) => run("curl", [...user, `imaps://127.0.0.1:${p}/INBOX;UID=1`])),
      );
      const ok = tries.filter((t) => t.code === 0);
      assert.equal(ok.length, 1, tries.map((t) => t.err).join("\n"));
      assert.equal(ok[0].out, "Subject: over IMAPS\r\n\r\nsecure\r\n");
      const plainPort = ports[tries.indexOf(ok[0]) === 0 ? 1 : 0];
      const list = await run("curl", [...user, "--ssl-reqd", `imap://127.0.0.1:${plainPort}/`]);
      assert.equal(list.code, 0, list.err);
      assert.match(list.out, /\* LIST \(\\HasNoChildren\) "\/" "?INBOX"?/);
    } finally {
      await terminate(program, transport);
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(program.exitCode, 0, program.err);
  });
});
