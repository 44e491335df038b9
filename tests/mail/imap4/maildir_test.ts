// MaildirAccount on disk (the Maildir++ layout Dovecot uses) served by the IMAP
// server: flags in file names, folders as .A.B, UIDs kept in tw-uidlist across
// restarts, \Recent taken out of new/, two sessions seeing each other's
// changes, and IDLE noticing a file another program drops into new/.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reactor } from "../../../mod.ts";
import { initializeMaildir } from "../../../src/mail/pop3/mod.ts";
import { MaildirAccount } from "../../../src/mail/imap4/mod.ts";
import { portalFor, Session } from "./_harness.ts";

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function maildir(messages: string[]): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), "tw-imap4-"));
  roots.push(root);
  const dir = join(root, "alice");
  await initializeMaildir(reactor.runtime, dir);
  messages.forEach((m, i) => writeFileSync(join(dir, "new", `${1600000000 + i}.M${i}P1.host`), m));
  return dir;
}

const sessionOn = async (dir: string): Promise<Session> => {
  const s = new Session({ portal: portalFor(new MaildirAccount(reactor.runtime, dir)) });
  await s.login();
  return s;
};

describe("MaildirAccount", () => {
  it("SELECT moves new/ to cur/ as \\Recent; STORE writes flags in the file name, sorted", async () => {
    const dir = await maildir(["Subject: a\n\none\n", "Subject: b\n\ntwo\n"]);
    const s = await sessionOn(dir);
    const r = await s.command("s", "SELECT INBOX");
    assert.match(r, /\* 2 EXISTS\r\n\* 2 RECENT/);
    assert.deepEqual(readdirSync(join(dir, "new")), []);
    assert.deepEqual(readdirSync(join(dir, "cur")).sort(), [
      "1600000000.M0P1.host:2,",
      "1600000001.M1P1.host:2,",
    ]);
    await s.command("a", "STORE 1 +FLAGS (\\Seen \\Flagged \\Deleted \\Answered \\Draft)");
    assert.ok(existsSync(join(dir, "cur", "1600000000.M0P1.host:2,DFRST")));
    const f = await s.command("b", "FETCH 1:2 (UID FLAGS INTERNALDATE RFC822.SIZE)");
    assert.match(
      f,
      /\* 1 FETCH \(UID 1 FLAGS \(\\Seen \\Flagged \\Deleted \\Answered \\Draft \\Recent\) INTERNALDATE "13-Sep-2020 12:26:40 \+0000" RFC822.SIZE 19\)/,
    );
    assert.match(await s.command("c", "EXPUNGE"), /\* 1 EXPUNGE/);
    assert.deepEqual(readdirSync(join(dir, "cur")), ["1600000001.M1P1.host:2,"]);
    s.close();
  });

  it("keeps UIDs and UIDVALIDITY in tw-uidlist across sessions and restarts", async () => {
    const dir = await maildir(["Subject: a\n\n1\n", "Subject: b\n\n2\n", "Subject: c\n\n3\n"]);
    const s = await sessionOn(dir);
    const v1 = /UIDVALIDITY (\d+)/.exec(await s.command("s", "SELECT INBOX"))![1];
    await s.command("d", "STORE 2 +FLAGS.SILENT (\\Deleted)");
    await s.command("e", "EXPUNGE");
    s.close();
    writeFileSync(join(dir, "new", "1700000000.M9P1.host"), "Subject: d\n\n4\n");
    const t = await sessionOn(dir);
    const r = await t.command("s", "SELECT INBOX");
    assert.equal(/UIDVALIDITY (\d+)/.exec(r)![1], v1);
    assert.match(r, /UIDNEXT 5/);
    assert.match(await t.command("f", "FETCH 1:* UID"), /UID 1\)\r\n.*UID 3\)\r\n.*UID 4\)/s);
    assert.match(
      readFileSync(join(dir, "tw-uidlist"), "utf8"),
      /^V\d+ N5\n1 1600000000.M0P1.host\n/,
    );
    t.close();
  });

  it("folders are .A.B directories with maildirfolder; names in modified UTF-7", async () => {
    const dir = await maildir([]);
    const s = await sessionOn(dir);
    await s.command("a", "CREATE Work/Entw&APw-rfe");
    assert.ok(existsSync(join(dir, ".Work", "cur")));
    assert.ok(existsSync(join(dir, ".Work.Entw&APw-rfe", "maildirfolder")));
    await s.command("b", "CREATE Sent");
    const l = await s.command("c", 'LIST "" *');
    assert.match(l, /\* LIST \(\\HasNoChildren \\Sent\) "\/" "Sent"/);
    assert.match(l, /\* LIST \(\\HasChildren\) "\/" "Work"/);
    assert.match(l, /"Work\/Entw&APw-rfe"/);
    assert.match(l, /\* LIST \(\\HasNoChildren \\Trash\) "\/" "Trash"/);
    assert.match(await s.command("d", "CREATE a.b"), /d NO Invalid mailbox name/);
    await s.command("e", "APPEND Work {12+}\r\nSubject: x\r\n");
    await s.command("f", "RENAME Work Play");
    assert.ok(existsSync(join(dir, ".Play.Entw&APw-rfe")));
    assert.match(await s.command("g", "STATUS Play (MESSAGES RECENT)"), /MESSAGES 1 RECENT 1/);
    await s.command("h", "SUBSCRIBE Play");
    assert.equal(readFileSync(join(dir, "subscriptions"), "utf8"), "Play\n");
    s.close();
  });

  it("two sessions see each other's flags and expunges", async () => {
    const dir = await maildir(["Subject: a\n\n1\n", "Subject: b\n\n2\n"]);
    const a = await sessionOn(dir);
    const b = await sessionOn(dir);
    await a.command("s", "SELECT INBOX");
    await b.command("s", "SELECT INBOX");
    await a.command("x", "STORE 2 +FLAGS.SILENT (\\Seen)");
    assert.match(await b.command("n", "NOOP"), /\* 2 FETCH \(FLAGS \(\\Seen\)\)/);
    await a.command("y", "STORE 1 +FLAGS.SILENT (\\Deleted)");
    await a.command("z", "EXPUNGE");
    assert.match(await b.command("m", "NOOP"), /\* 1 EXPUNGE/);
    assert.match(await b.command("f", "FETCH 1 UID"), /\* 1 FETCH \(UID 2\)/);
    a.close();
    b.close();
  });

  it("IDLE tells of a file another program drops into new/ at the next poll", async () => {
    const dir = await maildir(["Subject: a\n\n1\n"]);
    const s = await sessionOn(dir);
    await s.command("s", "SELECT INBOX");
    s.send("i IDLE\r\n");
    await s.until(/\+ idling\r\n/);
    writeFileSync(join(dir, "new", "1700000001.M1P2.other"), "Subject: dropped\n\nhi\n");
    s.clock.advance(2);
    assert.match(await s.until(/\* 2 EXISTS\r\n\* 2 RECENT\r\n/), /2 EXISTS/);
    s.send("DONE\r\n");
    assert.match(await s.until("i"), /i OK/);
    s.close();
  });

  it("COPY and APPEND write files with their flags; UIDPLUS codes name the new UIDs", async () => {
    const dir = await maildir(["Subject: a\n\n1\n"]);
    const s = await sessionOn(dir);
    await s.command("s", "SELECT INBOX");
    await s.command("f", "STORE 1 FLAGS.SILENT (\\Flagged)");
    assert.match(await s.command("c", "COPY 1 Trash"), /c OK \[COPYUID \d+ 1 1\]/);
    const files = readdirSync(join(dir, ".Trash", "cur"));
    assert.equal(files.length, 1);
    assert.match(files[0], /:2,F$/);
    assert.match(
      await s.command("a", "APPEND INBOX (\\Seen) {3+}\r\nabc"),
      /\* 2 EXISTS\r\n[^]*APPENDUID \d+ 2\]/,
    );
    assert.match(
      await s.command("g", "FETCH 2 (FLAGS BODY[])"),
      /FLAGS \(\\Seen\) BODY\[\] \{3\}\r\nabc/,
    );
    s.close();
  });

  it("shares one scan between polls until the folder's directories change", async () => {
    const dir = await maildir(["Subject: a\n\n1\n"]);
    let scans = 0;
    const fs = Object.create(reactor.runtime);
    fs.readDir = (path: string) => {
      if (path.endsWith("/cur")) scans++;
      return reactor.runtime.readDir(path);
    };
    const account = new MaildirAccount(fs, dir);
    const box = (await account.select("INBOX", true))!;
    assert.equal((await box.listMessages()).length, 1);
    // Directories last changed an hour ago: their times can be trusted.
    const old = new Date(Date.now() - 3600000);
    for (const sub of ["new", "cur"]) utimesSync(join(dir, sub), old, old);
    await box.listMessages();
    const before = scans;
    await box.listMessages();
    await (await account.select("INBOX", false))!.listMessages();
    assert.equal(scans, before, "no scan while nothing changed");
    writeFileSync(join(dir, "new", "1700000002.M2P3.x"), "Subject: b\n\n2\n");
    assert.equal((await box.listMessages()).length, 2);
    assert.equal(scans, before + 1);
    await box.setFlags(1, ["\\Seen"]);
    for (const sub of ["new", "cur"]) utimesSync(join(dir, sub), old, old);
    const infos = await box.listMessages();
    assert.deepEqual(infos.map((i) => i.flags), [["\\Seen"], []]);
    assert.equal(scans, before + 2, "a change by a session makes the next call scan");
  });

  it("keeps keywords as letters a-z named in dovecot-keywords; PERMANENTFLAGS has \\*", async () => {
    const dir = await maildir(["Subject: a\n\n1\n", "Subject: b\n\n2\n"]);
    const s = await sessionOn(dir);
    const sel = await s.command("s", "SELECT INBOX");
    assert.match(sel, /PERMANENTFLAGS \(\\Draft \\Flagged \\Answered \\Seen \\Deleted \\\*\)/);
    assert.match(
      await s.command("a", "STORE 1 +FLAGS ($Label1 Work \\Seen)"),
      /\* 1 FETCH \(FLAGS \(\$Label1 Work \\Seen \\Recent\)\)/,
    );
    assert.equal(readFileSync(join(dir, "dovecot-keywords"), "utf8"), "0 $Label1\n1 Work\n");
    assert.deepEqual(readdirSync(join(dir, "cur")).sort(), [
      "1600000000.M0P1.host:2,Sab",
      "1600000001.M1P1.host:2,",
    ]);
    await s.command("b", "STORE 2 +FLAGS.SILENT (work Other)");
    assert.ok(existsSync(join(dir, "cur", "1600000001.M1P1.host:2,bc")), "work is Work's letter");
    await s.command("c", "STORE 1 -FLAGS.SILENT ($label1)");
    assert.ok(existsSync(join(dir, "cur", "1600000000.M0P1.host:2,Sb")));
    assert.match(await s.command("d", "SEARCH KEYWORD Work"), /\* SEARCH 1 2\r\n/);
    assert.match(
      await s.command("e", "APPEND INBOX (Other \\Flagged) {14+}\r\nSubject: c\r\n\r\n"),
      /e OK/,
    );
    assert.ok(readdirSync(join(dir, "cur")).some((n) => n.endsWith(":2,Fc")));
    s.close();
    // Another session (as after a restart) sees them, in FLAGS too.
    const t = await sessionOn(dir);
    const r = await t.command("s", "SELECT INBOX");
    assert.match(
      r,
      /\* FLAGS \(\\Draft \\Flagged \\Answered \\Seen \\Deleted \$Label1 Work Other\)/,
    );
    assert.match(
      await t.command("f", "FETCH 1:3 FLAGS"),
      /\* 1 FETCH \(FLAGS \(\\Seen Work\)\)\r\n\* 2 FETCH \(FLAGS \(Work Other\)\)\r\n\* 3 FETCH \(FLAGS \(\\Flagged Other\)\)/,
    );
    // 26 letters at most: a 27th keyword is refused and the message keeps its flags.
    const many = Array.from({ length: 23 }, (_, i) => `k${i}`).join(" ");
    assert.match(await t.command("g", `STORE 2 +FLAGS.SILENT (${many})`), /g OK/);
    assert.match(await t.command("h", "STORE 2 +FLAGS (OneTooMany)"), /h NO \[LIMIT\]/);
    const perm = await t.command("s2", "SELECT INBOX");
    assert.doesNotMatch(/PERMANENTFLAGS \([^)]*\)/.exec(perm)![0], /\\\*/);
    t.close();
  });

  it("file names with unknown letters or a damaged dovecot-keywords still read", async () => {
    const dir = await maildir([]);
    writeFileSync(join(dir, "cur", "1600000000.M0P1.host:2,Sz"), "Subject: a\n\n1\n");
    writeFileSync(join(dir, "dovecot-keywords"), "garbage\n99 Far\n0 Ok\n1\n");
    const s = await sessionOn(dir);
    await s.command("s", "SELECT INBOX");
    assert.match(await s.command("f", "FETCH 1 FLAGS"), /FLAGS \(\\Seen\)/);
    await s.command("a", "STORE 1 +FLAGS.SILENT (Ok New)");
    assert.ok(existsSync(join(dir, "cur", "1600000000.M0P1.host:2,Sab")));
    assert.equal(readFileSync(join(dir, "dovecot-keywords"), "utf8"), "0 Ok\n1 New\n");
    s.close();
  });
});
