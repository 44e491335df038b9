// The IMAP server through StringTransport and Clock over a MemoryAccount: the
// states, LOGIN and AUTHENTICATE, SELECT/EXAMINE responses, FETCH (sections,
// partials, implicit \Seen, BODYSTRUCTURE), STORE, SEARCH, COPY/MOVE with
// COPYUID, EXPUNGE, APPEND with APPENDUID, UID forms, IDLE, mailbox commands,
// bad input, pipelining and the idle timeout; random bytes never crash it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MemoryAccount } from "../../../src/mail/imap4/mod.ts";
import { portalFor, Session } from "./_harness.ts";

const enc = new TextEncoder();
const MULTIPART = [
  "From: Alice <alice@example.com>",
  'To: bob@example.com, "Carol C" <carol@example.org>',
  "Subject: parts",
  "Date: Mon, 7 Feb 1994 21:52:25 -0800",
  "Message-ID: <1@example.com>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="XX"',
  "",
  "preamble",
  "--XX",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "hello part one",
  "--XX",
  "Content-Type: message/rfc822",
  "",
  "Subject: inner",
  "",
  "inner body",
  "--XX--",
  "",
].join("\n");

function account(): MemoryAccount {
  const a = new MemoryAccount("alice");
  const inbox = a.select("INBOX", true)!;
  inbox.addMessage(
    enc.encode("From: a@x\nSubject: one\nReceived: r1\nReceived: r2\n\nfirst body\n"),
    [],
    new Date(Date.UTC(2020, 0, 2)),
  );
  inbox.addMessage(
    enc.encode("From: b@y\r\nSubject: two\r\n\r\nsecond\r\n"),
    ["\\Seen"],
    new Date(Date.UTC(2021, 5, 1)),
  );
  inbox.addMessage(enc.encode(MULTIPART), ["\\Flagged"], new Date(Date.UTC(2022, 1, 3)));
  a.create("Archive");
  return a;
}

async function selected(): Promise<Session> {
  const s = new Session({ portal: portalFor(account()) });
  await s.login();
  await s.command("S", "SELECT INBOX");
  return s;
}

describe("IMAP4Server states and login", () => {
  it("IMAP4Server greets with capabilities and answers CAPABILITY, NOOP, LOGOUT", async () => {
    const s = new Session();
    assert.match(s.take(), /^\* OK \[CAPABILITY IMAP4rev1 .*IDLE.*AUTH=PLAIN.*\] /);
    const r = await s.command("a1", "CAPABILITY");
    assert.match(
      r,
      /\* CAPABILITY IMAP4rev1 LITERAL\+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE/,
    );
    assert.match(await s.command("a2", "NOOP"), /a2 OK/);
    assert.match(await s.command("a3", "LOGOUT"), /\* BYE .*\r\na3 OK/);
    assert.ok(s.transport.disconnecting);
    s.close();
  });

  it("IMAP4Server refuses commands of other states and wrong passwords", async () => {
    const s = new Session({ portal: portalFor(account()) });
    assert.match(await s.command("a1", "SELECT INBOX"), /a1 BAD SELECT not allowed/);
    assert.match(await s.command("a2", "LOGIN alice wrong"), /a2 NO \[AUTHENTICATIONFAILED\]/);
    assert.match(await s.command("a3", 'LOGIN "alice" {6+}\r\nsecret'), /a3 OK \[CAPABILITY/);
    assert.equal(s.server.state, "auth");
    assert.match(await s.command("a4", "LOGIN alice secret"), /a4 BAD/);
    s.close();
  });

  it("IMAP4Server AUTHENTICATE PLAIN with SASL-IR, PLAIN by continuation and LOGIN", async () => {
    for (
      const steps of [
        [`AUTHENTICATE PLAIN ${btoa("\0alice\0secret")}`],
        ["AUTHENTICATE PLAIN", btoa("\0alice\0secret")],
        ["AUTHENTICATE LOGIN", btoa("alice"), btoa("secret")],
      ]
    ) {
      const s = new Session({ portal: portalFor(account()) });
      s.send(`t ${steps[0]}\r\n`);
      for (const step of steps.slice(1)) {
        await s.until(/\+ [A-Za-z0-9+/=]*\r\n/);
        s.send(step + "\r\n");
      }
      assert.match(await s.until("t"), /t OK/, steps[0]);
      s.close();
    }
  });

  it("IMAP4Server AUTHENTICATE CRAM-MD5 and a cancelled exchange", async () => {
    const { CramMD5Credentials } = await import("../../../src/cred/_cram_md5.ts");
    const s = new Session({ portal: portalFor(account()) });
    s.send("t AUTHENTICATE CRAM-MD5\r\n");
    const challenge = atob(/\+ (\S+)\r\n/.exec(await s.until(/\+ \S+\r\n/))![1]);
    s.send(btoa(`alice ${CramMD5Credentials.digest("secret", challenge)}`) + "\r\n");
    assert.match(await s.until("t"), /t OK/);
    const c = new Session({ portal: portalFor(account()) });
    c.send("u AUTHENTICATE PLAIN\r\n");
    await c.until(/\+ \r\n/);
    c.send("*\r\n");
    assert.match(await c.until("u"), /u BAD Authentication cancelled/);
    s.close();
    c.close();
  });

  it("IMAP4Server with a certificate and no TLS yet disables LOGIN and PLAIN", async () => {
    const s = new Session({ portal: portalFor(account()), tlsOptions: { cert: "x", key: "y" } });
    let started = false;
    Object.assign(s.transport, { startTLS: () => void (started = true) });
    const caps = await s.command("a", "CAPABILITY");
    assert.match(caps, /LOGINDISABLED/);
    assert.doesNotMatch(caps, /AUTH=PLAIN/);
    assert.match(caps, /STARTTLS/);
    assert.match(await s.command("b", "LOGIN alice secret"), /b NO \[PRIVACYREQUIRED\]/);
    assert.match(await s.command("c", "AUTHENTICATE PLAIN"), /c NO Unsupported/);
    assert.match(await s.command("d", "STARTTLS"), /d OK Begin TLS/);
    assert.ok(started);
    assert.doesNotMatch(await s.command("e", "CAPABILITY"), /LOGINDISABLED|STARTTLS/);
    s.close();
  });
});

describe("IMAP4Server selected state", () => {
  it("SELECT sends FLAGS, EXISTS, RECENT, UNSEEN, UIDVALIDITY, UIDNEXT, PERMANENTFLAGS", async () => {
    const s = new Session({ portal: portalFor(account()) });
    await s.login();
    const r = await s.command("S", "SELECT inbox");
    assert.match(r, /\* FLAGS \(\\Seen \\Answered \\Flagged \\Deleted \\Draft\)/);
    assert.match(r, /\* 3 EXISTS\r\n\* 3 RECENT/);
    assert.match(r, /\* OK \[UNSEEN 1\]/);
    assert.match(r, /\* OK \[UIDVALIDITY \d+\]/);
    assert.match(r, /\* OK \[UIDNEXT 4\]/);
    assert.match(r, /S OK \[READ-WRITE\]/);
    const e = await s.command("E", "EXAMINE INBOX");
    assert.match(e, /\* 0 RECENT/, "\\Recent belongs to the first session");
    assert.match(e, /E OK \[READ-ONLY\]/);
    assert.match(await s.command("F", "STORE 1 +FLAGS (\\Seen)"), /F NO Mailbox is read-only/);
    assert.match(await s.command("G", "SELECT Nope"), /G NO/);
    assert.equal(s.server.state, "auth");
    s.close();
  });

  it("FETCH gives flags, sizes equal to BODY[], sections with the blank line, and partials", async () => {
    const s = await selected();
    const r = await s.command(
      "f",
      "FETCH 1 (FLAGS RFC822.SIZE BODY.PEEK[] BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<1.4>)",
    );
    const body = "From: a@x\r\nSubject: one\r\nReceived: r1\r\nReceived: r2\r\n\r\nfirst body\r\n";
    assert.ok(r.includes(`RFC822.SIZE ${body.length} `), r);
    assert.ok(
      r.includes(`BODY[] {${body.length}}\r\n${body}`),
      "stored bytes, CRLF, Received lines kept",
    );
    assert.ok(r.includes("BODY[HEADER.FIELDS (SUBJECT)] {16}\r\nSubject: one\r\n\r\n"));
    assert.ok(r.includes("BODY[TEXT]<1> {4}\r\nirst"));
    assert.match(r, /FLAGS \(\\Recent\)/);
    s.close();
  });

  it("FETCH BODY[] sets \\Seen (and says so), BODY.PEEK and EXAMINE do not", async () => {
    const s = await selected();
    assert.match(
      await s.command("a", "FETCH 1 BODY[]"),
      /\* 1 FETCH \(BODY\[\] \{\d+\}\r\n[^]*FLAGS \(\\Seen \\Recent\)\)/,
    );
    assert.match(await s.command("b", "FETCH 1 FLAGS"), /FLAGS \(\\Seen \\Recent\)/);
    assert.doesNotMatch(await s.command("c", "FETCH 2 BODY.PEEK[]"), /FLAGS/);
    assert.match(await s.command("d", "EXAMINE INBOX"), /d OK/);
    assert.doesNotMatch(await s.command("e", "FETCH 3 BODY[TEXT]"), /FLAGS/);
    s.close();
  });

  it("FETCH ENVELOPE, BODYSTRUCTURE of nested multipart and message/rfc822, part numbers", async () => {
    const s = await selected();
    const r = await s.command(
      "a",
      "FETCH 3 (ENVELOPE BODYSTRUCTURE BODY.PEEK[1] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY.PEEK[1.MIME])",
    );
    assert.ok(
      r.includes(
        'ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "parts" (("Alice" NIL "alice" "example.com"))',
      ),
      r,
    );
    assert.ok(r.includes('((NIL NIL "bob" "example.com")("Carol C" NIL "carol" "example.org"))'));
    assert.ok(
      r.includes(
        'BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 14 1 NIL NIL NIL NIL)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" ',
      ),
      r,
    );
    assert.ok(r.includes(' "MIXED" ("BOUNDARY" "XX") NIL NIL NIL)'));
    assert.ok(r.includes("BODY[1] {14}\r\nhello part one "));
    assert.ok(r.includes("BODY[2.HEADER] {18}\r\nSubject: inner\r\n\r\n"));
    assert.ok(r.includes("BODY[2.TEXT] {10}\r\ninner body "));
    assert.ok(r.includes("BODY[1.MIME] {43}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"));
    s.close();
  });

  it("STORE replaces, adds and removes flags; .SILENT says nothing; UID STORE gives UIDs", async () => {
    const s = await selected();
    assert.match(
      await s.command("a", "STORE 1:2 +FLAGS (\\Deleted)"),
      /\* 1 FETCH \(FLAGS \(\\Deleted \\Recent\)\)\r\n\* 2 FETCH \(FLAGS \(\\Seen \\Deleted \\Recent\)\)/,
    );
    assert.match(await s.command("b", "STORE 2 -FLAGS.SILENT (\\Deleted)"), /^b OK/);
    assert.match(
      await s.command("c", "UID STORE 3 FLAGS (\\Answered)"),
      /\* 3 FETCH \(FLAGS \(\\Answered \\Recent\) UID 3\)/,
    );
    assert.match(await s.command("d", "STORE 9 FLAGS (\\Seen)"), /d BAD Invalid message sequence/);
    s.close();
  });

  it("SEARCH with flags, OR/NOT, headers, body, sizes, dates, sets and UID SEARCH", async () => {
    const s = await selected();
    const q = async (query: string) =>
      /\* SEARCH([\d ]*)\r\n/.exec(await s.command("q", query))![1].trim();
    assert.equal(await q("SEARCH ALL"), "1 2 3");
    assert.equal(await q("SEARCH SEEN"), "2");
    assert.equal(await q("SEARCH OR SEEN FLAGGED"), "2 3");
    assert.equal(await q("SEARCH NOT SEEN"), "1 3");
    assert.equal(await q('SEARCH FROM "B@Y"'), "2");
    assert.equal(await q("SEARCH HEADER Received r2"), "1");
    assert.equal(await q("SEARCH BODY inner"), "3");
    assert.equal(await q("SEARCH TEXT Subject"), "1 2 3");
    assert.equal(await q("SEARCH CHARSET UTF-8 SUBJECT two"), "2");
    assert.equal(await q("SEARCH LARGER 60"), "1 3");
    assert.equal(await q("SEARCH SINCE 1-Jan-2021"), "2 3");
    assert.equal(await q("SEARCH SENTBEFORE 1-Jan-2000"), "3");
    assert.equal(await q("SEARCH 2:* NEW"), "3");
    assert.equal(await q("UID SEARCH UID 2:*"), "2 3");
    assert.match(await s.command("z", "SEARCH CHARSET KOI8-R ALL"), /z NO \[BADCHARSET/);
    assert.match(await s.command("y", "SEARCH FOO"), /y BAD/);
    s.close();
  });

  it("COPY and MOVE give COPYUID; EXPUNGE and UID EXPUNGE remove \\Deleted messages", async () => {
    const s = await selected();
    assert.match(await s.command("c", "COPY 1:2 Archive"), /c OK \[COPYUID \d+ 1:2 1:2\] COPY/);
    assert.match(await s.command("d", "COPY 1 Nope"), /d NO \[TRYCREATE\]/);
    const m = await s.command("m", "UID MOVE 3 Archive");
    assert.match(m, /\* OK \[COPYUID \d+ 3 3\] Moved\r\n\* 3 EXPUNGE\r\nm OK/);
    await s.command("f", "STORE 1:2 +FLAGS.SILENT (\\Deleted)");
    assert.match(await s.command("u", "UID EXPUNGE 2"), /\* 2 EXPUNGE\r\nu OK/);
    assert.match(await s.command("e", "EXPUNGE"), /\* 1 EXPUNGE\r\ne OK/);
    const st = await s.command("st", "STATUS Archive (MESSAGES UIDNEXT UNSEEN)");
    assert.match(st, /\* STATUS "Archive" \(MESSAGES 3 UIDNEXT 4 UNSEEN 2\)/);
    s.close();
  });

  it("APPEND with and without flags and date; APPENDUID; EXISTS in the selected mailbox", async () => {
    const s = await selected();
    s.send("a APPEND INBOX {17}\r\n");
    await s.until(/\+ Ready for literal data\r\n/);
    s.send("Subject: new\r\n\r\nx\r\n");
    assert.match(
      await s.until("a"),
      /\* 4 EXISTS\r\n\* 4 RECENT\r\na OK \[APPENDUID \d+ 4\] APPEND/,
    );
    const b = await s.command(
      "b",
      'APPEND Archive (\\Seen) "17-Jul-1996 02:44:25 -0700" {3+}\r\nabc',
    );
    assert.match(b, /b OK \[APPENDUID \d+ 1\]/);
    assert.match(await s.command("c", "APPEND Nope {1+}\r\nx"), /c NO \[TRYCREATE\]/);
    const big = new Session({ portal: portalFor(account()), maxMessageSize: 100 });
    await big.login();
    assert.match(await big.command("d", "APPEND INBOX {101}"), /d NO \[TOOBIG\]/);
    assert.match(await big.command("e", "NOOP"), /e OK/);
    s.close();
    big.close();
  });

  it("IDLE pushes EXISTS for mail added by another session, and DONE ends it", async () => {
    const acct = account();
    const s = new Session({ portal: portalFor(acct) });
    await s.login();
    await s.command("S", "SELECT INBOX");
    s.send("i IDLE\r\n");
    await s.until(/\+ idling\r\n/);
    const other = new Session({ portal: portalFor(acct) });
    await other.login();
    await other.command("a", "APPEND INBOX {3+}\r\nabc");
    assert.match(await s.until(/\* 4 EXISTS\r\n/), /4 EXISTS/);
    s.send("DONE\r\n");
    assert.match(await s.until("i"), /i OK IDLE terminated/);
    other.close();
    s.close();
  });

  it("CLOSE expunges silently; UNSELECT does not", async () => {
    const s = await selected();
    await s.command("a", "STORE 1 +FLAGS.SILENT (\\Deleted)");
    assert.match(await s.command("b", "UNSELECT"), /^b OK/);
    assert.match(await s.command("c", "SELECT INBOX"), /\* 3 EXISTS/);
    assert.match(await s.command("d", "CLOSE"), /^d OK/);
    assert.match(await s.command("e", "SELECT INBOX"), /\* 2 EXISTS/);
    s.close();
  });
});

describe("IMAP4Server mailboxes", () => {
  it("CREATE, LIST with * and %, RENAME, SUBSCRIBE/LSUB, DELETE, NAMESPACE, ID, ENABLE", async () => {
    const s = new Session({ portal: portalFor(account()) });
    await s.login();
    assert.match(await s.command("a", "CREATE Work/Projects"), /a OK/);
    assert.match(await s.command("a2", "CREATE Work"), /a2 NO/);
    assert.match(await s.command("a3", "CREATE Entw&APw-rfe"), /a3 OK/);
    const all = await s.command("b", 'LIST "" *');
    assert.match(all, /\* LIST \(\\HasNoChildren\) "\/" "INBOX"/);
    assert.match(all, /\* LIST \(\\HasChildren\) "\/" "Work"/);
    assert.match(all, /"Work\/Projects"/);
    assert.match(all, /"Entw&APw-rfe"/);
    const top = await s.command("c", 'LIST "" %');
    assert.doesNotMatch(top, /Projects/);
    assert.match(await s.command("d", 'LIST "" ""'), /\* LIST \(\\Noselect\) "\/" ""/);
    assert.match(await s.command("e", "RENAME Work Play"), /e OK/);
    assert.match(await s.command("f", 'LIST "" Play/*'), /"Play\/Projects"/);
    await s.command("g", "SUBSCRIBE Play");
    assert.match(
      await s.command("h", 'LSUB "" *'),
      /\* LSUB \(\\HasChildren\) "\/" "Play"\r\nh OK/,
    );
    await s.command("i", "UNSUBSCRIBE Play");
    assert.match(await s.command("j", "DELETE Play/Projects"), /j OK/);
    assert.match(await s.command("k", "DELETE INBOX"), /k NO/);
    assert.match(await s.command("l", "NAMESPACE"), /\* NAMESPACE \(\("" "\/"\)\) NIL NIL/);
    assert.match(await s.command("m", 'ID ("name" "test")'), /\* ID \("name" "tw-core"/);
    assert.match(await s.command("n", "ENABLE CONDSTORE"), /\* ENABLED\r\nn OK/);
    s.close();
  });

  it("RENAME INBOX moves its messages into the new mailbox", async () => {
    const s = new Session({ portal: portalFor(account()) });
    await s.login();
    await s.command("a", "RENAME INBOX Old");
    assert.match(await s.command("b", "STATUS Old (MESSAGES)"), /MESSAGES 3/);
    assert.match(await s.command("c", "STATUS INBOX (MESSAGES)"), /MESSAGES 0/);
    s.close();
  });
});

describe("IMAP4Server bad input", () => {
  it("answers unknown commands, bad tags, long lines and bad sets, then goes on", async () => {
    const s = new Session({ portal: portalFor(account()), maxLineLength: 1000 });
    await s.login();
    await s.command("S", "SELECT INBOX");
    assert.match(await s.command("a", "FROB"), /a BAD Unknown command/);
    s.send("+x NOOP\r\n");
    assert.match(await s.until(/\* BAD [^\r]*\r\n/), /Missing or bad tag/);
    s.send(`b NOOP ${"x".repeat(5000)}\r\n`);
    assert.match(await s.until(/b BAD Line too long\r\n/), /Line too long/);
    assert.match(await s.command("c", "FETCH x:y FLAGS"), /c BAD/);
    assert.match(await s.command("d", "FETCH 4294967296 FLAGS"), /d BAD/);
    assert.match(await s.command("e", "FETCH 1 (FLAGS"), /e BAD/);
    assert.match(await s.command("f", `SEARCH ${"(".repeat(60)}ALL${")".repeat(60)}`), /f BAD/);
    assert.match(await s.command("g", "UID FROB 1"), /g BAD/);
    assert.match(await s.command("i", "STORE 1 +FLAGS (\\Important)"), /i BAD Invalid system flag/);
    assert.match(await s.command("h", "NOOP"), /h OK/);
    s.close();
  });

  it("answers pipelined commands in order", async () => {
    const s = new Session({ portal: portalFor(account()) });
    s.send("a LOGIN alice secret\r\nb SELECT INBOX\r\nc FETCH 1:* UID\r\nd LOGOUT\r\n");
    const r = await s.until("d");
    const tags = [...r.matchAll(/^([abcd]) OK/gm)].map((m) => m[1]);
    assert.deepEqual(tags, ["a", "b", "c", "d"]);
    assert.match(r, /\* 3 FETCH \(UID 3\)/);
    s.close();
  });

  it("times out before login after a minute and after login after 30 minutes", async () => {
    const s = new Session({ portal: portalFor(account()) });
    s.clock.advance(59);
    assert.ok(!s.transport.disconnecting);
    s.clock.advance(2);
    assert.ok(s.transport.disconnecting);
    assert.match(s.all(), /\* BYE Autologout/);
    // Bytes that never make a line do not keep the session: the timeout counts from lines.
    const d = new Session({ portal: portalFor(account()) });
    for (let i = 0; i < 6; i++) {
      d.send("a");
      d.clock.advance(15);
    }
    assert.ok(d.transport.disconnecting, "a client dripping bytes is cut after a minute");
    d.close();
    const t = new Session({ portal: portalFor(account()) });
    await t.login();
    t.clock.advance(1799);
    assert.ok(!t.transport.disconnecting);
    t.clock.advance(2);
    assert.ok(t.transport.disconnecting);
    s.close();
    t.close();
  });

  it("IDLE: 30 minutes without a word end the session; anything but DONE is BAD", async () => {
    const s = await selected();
    s.send("i IDLE\r\n");
    await s.until(/\+ idling\r\n/);
    s.send("FOO\r\n");
    assert.match(await s.until("i"), /i BAD Expected DONE/);
    assert.match(await s.command("n", "NOOP"), /n OK/);
    s.send("j IDLE\r\n");
    await s.until(/\+ idling\r\n/);
    s.clock.advance(29 * 60);
    assert.ok(!s.transport.disconnecting, "RFC 2177: idling 29 minutes is fine");
    s.clock.advance(61);
    assert.ok(s.transport.disconnecting);
    assert.match(s.take(), /\* BYE Autologout/);
    s.close();
  });

  it("a message carries at most 128 flags: more is NO [LIMIT], the flags stay", async () => {
    const s = await selected();
    const some = (from: number) => Array.from({ length: 100 }, (_, i) => `k${from + i}`).join(" ");
    assert.match(await s.command("a", `STORE 1 +FLAGS.SILENT (${some(0)})`), /a OK/);
    assert.match(await s.command("b", `STORE 1 +FLAGS.SILENT (${some(100)})`), /b NO \[LIMIT\]/);
    const f = await s.command("c", "FETCH 1 FLAGS");
    assert.equal(/FLAGS \(([^)]*)\)/.exec(f)![1].split(" ").length, 101);
    s.close();
  });

  it("a client that does not read holds FETCH and later commands, not the server's memory", async () => {
    const a = new MemoryAccount("alice");
    const inbox = a.select("INBOX", true)!;
    const body = "x".repeat(20000);
    for (let i = 0; i < 100; i++) {
      inbox.addMessage(enc.encode(`Subject: ${i}\r\n\r\n${body}`), [], null);
    }
    const s = new Session({ portal: portalFor(a) });
    await s.login();
    await s.command("S", "SELECT INBOX");
    const producer = s.transport.producer as { pauseProducing(): void; resumeProducing(): void };
    assert.ok(producer, "the server registers as the transport's producer");
    producer.pauseProducing();
    const before = s.transport.value().byteLength;
    s.send("f FETCH 1:* BODY.PEEK[]\r\nn NOOP\r\n");
    for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 0));
    assert.ok(s.transport.value().byteLength - before < 64 * 1024, "nothing more written");
    // Commands pile up in the input only to a bound, then reading stops.
    s.send(`x NOOP ${"y".repeat(60000)}\r\n`.repeat(20));
    assert.equal(s.transport.producerState, "paused");
    producer.resumeProducing();
    const r = await s.until("n");
    assert.equal(r.match(/^\* \d+ FETCH/gm)?.length, 100);
    assert.match(r, /f OK FETCH completed\r\nn OK/);
    s.close();
  });

  it("random bytes after login give BAD/NO answers, never a crash (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }),
        async (chunks) => {
          const s = new Session({
            portal: portalFor(account()),
            maxLineLength: 512,
            maxMessageSize: 1024,
          });
          await s.login();
          await s.command("S", "SELECT INBOX");
          for (const c of chunks) s.send(c);
          s.send("\r\nzz NOOP\r\n");
          // A literal may be waiting for its octets: end it, then ask once more.
          s.send(new Uint8Array(1100).fill(0x61));
          s.send("\r\nzz2 NOOP\r\n");
          await s.until(/zz2 (OK|BAD|NO)[^\r]*\r\n/);
          s.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
