import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Clock, StringTransport } from "../../src/testing/mod.ts";
import {
  Address,
  ESMTP,
  IMessageDelivery,
  LMTP,
  quoteaddr,
  rfc822date,
  SMTP,
  SMTPFactory,
  type SMTPFactoryOptions,
  User,
} from "../../src/mail/mod.ts";
import {
  CramMD5Credentials,
  InMemoryUsernamePasswordDatabaseDontUse,
  type IRealm,
  Portal,
} from "../../src/cred/mod.ts";
import type { TlsOptions } from "../../src/internet/socket.ts";
import { RecordingDelivery } from "./_helpers.ts";

const enc = new TextEncoder();

class TLSStringTransport extends StringTransport {
  tlsStarted: TlsOptions[] = [];
  startTLS(options: TlsOptions): void {
    this.tlsStarted.push(options);
  }
}

function server(
  options: SMTPFactoryOptions & { cls?: typeof SMTP; tls?: boolean } = {},
) {
  const delivery = new RecordingDelivery();
  const clock = new Clock();
  const Cls = options.cls ?? ESMTP;
  const p = new Cls({ delivery, clock, domain: "mx.test", ...options });
  const t = options.tls ? new TLSStringTransport() : new StringTransport();
  p.makeConnection(t);
  const send = (s: string | Uint8Array): string[] => {
    t.clear();
    p.dataReceived(typeof s === "string" ? enc.encode(s) : s);
    return t.valueText().split("\r\n").filter((l) => l !== "");
  };
  return { p, t, clock, delivery, send };
}

const codes = (lines: string[]): string[] =>
  lines.filter((l) => l[3] === " ").map((l) => l.slice(0, 3));

function realm(): Portal {
  const r: IRealm = {
    requestAvatar: () => [IMessageDelivery, new RecordingDelivery(), () => {}],
  };
  return new Portal(
    r,
    [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
  );
}

describe("ESMTP server", () => {
  it("ESMTP greets with 220 and answers EHLO with its extensions", () => {
    const { t, send } = server({ timeout: 0 });
    assert.match(t.valueText(), /^220 mx\.test ESMTP/);
    const lines = send("EHLO client.test\r\n");
    assert.equal(lines[0], "250-mx.test Hello client.test, nice to meet you");
    for (const ext of ["8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES", "SMTPUTF8"]) {
      assert.ok(lines.some((l) => l.slice(4) === ext), ext);
    }
    assert.ok(lines.some((l) => l.slice(4) === "SIZE 10485760"));
    assert.ok(!lines.some((l) => l.includes("STARTTLS")));
  });

  it("ESMTP delivers a message, dot-unstuffed, with the Received header", () => {
    const { delivery, send } = server({ timeout: 0 });
    const replies = send(
      "EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n" +
        "Subject: hi\r\n\r\n..leading dot\r\n.\r\n",
    );
    assert.deepEqual(codes(replies), ["250", "250", "250", "250", "354", "250"]);
    assert.ok(replies.includes("250 2.1.0 Sender address accepted"));
    assert.ok(replies.includes("250 2.1.5 Recipient address accepted"));
    assert.equal(delivery.delivered.length, 2);
    assert.equal(delivery.delivered[0].to, "b@y.test");
    assert.equal(delivery.delivered[0].from, "a@x.test");
    assert.equal(delivery.text(0), "Received: from test\nSubject: hi\n\n.leading dot");
  });

  it("ESMTP answers commands out of sequence with 503", () => {
    const { send } = server({ timeout: 0 });
    assert.deepEqual(codes(send("MAIL FROM:<a@x>\r\n")), ["503"]);
    send("HELO c\r\n");
    assert.deepEqual(codes(send("RCPT TO:<b@y>\r\n")), ["503"]);
    assert.deepEqual(codes(send("DATA\r\n")), ["503"]);
    send("MAIL FROM:<a@x>\r\n");
    assert.deepEqual(codes(send("MAIL FROM:<a@x>\r\n")), ["503"]);
    assert.deepEqual(codes(send("DATA\r\n")), ["503"]);
  });

  it("ESMTP answers NOOP, VRFY, HELP, RSET, unknown and bad syntax", () => {
    const { send } = server({ timeout: 0 });
    assert.deepEqual(codes(send("NOOP\r\nVRFY bob\r\nHELP\r\nRSET\r\n")), [
      "250",
      "252",
      "214",
      "250",
    ]);
    assert.deepEqual(codes(send("FROB\r\n\x01\x02\r\nHELO\r\n")), ["500", "500", "501"]);
    send("HELO c\r\n");
    assert.deepEqual(codes(send("MAIL FROM bad\r\nMAIL FROM:<a@@b>\r\n")), ["501", "553"]);
  });

  it("ESMTP refuses an unknown user with 550 5.1.1 and keeps the transaction", () => {
    const { send } = server({ timeout: 0 });
    send("HELO c\r\nMAIL FROM:<a@x>\r\n");
    const r = send("RCPT TO:<nobody@y>\r\nRCPT TO:<b@y>\r\n");
    assert.equal(codes(r)[0], "550");
    assert.equal(codes(r)[1], "250");
  });

  it("ESMTP enforces SIZE on MAIL and on DATA", () => {
    const { delivery, send } = server({ timeout: 0, maxSize: 100 });
    send("EHLO c\r\n");
    assert.deepEqual(codes(send("MAIL FROM:<a@x> SIZE=101\r\n")), ["552"]);
    assert.deepEqual(codes(send("MAIL FROM:<a@x> SIZE=50 BODY=8BITMIME SMTPUTF8\r\n")), ["250"]);
    send("RCPT TO:<b@y>\r\nDATA\r\n");
    const r = send(`${"x".repeat(60)}\r\n${"y".repeat(60)}\r\n.\r\n`);
    assert.deepEqual(codes(r), ["552"]);
    assert.equal(delivery.delivered.length, 0);
    assert.equal(delivery.lost, 1);
    assert.deepEqual(codes(send("MAIL FROM:<a@x> FOO=1\r\n")), ["555"]);
  });

  it("ESMTP answers a command line over 4 KiB with 500 and goes on", () => {
    const { send } = server({ timeout: 0 });
    const r = send(`HELO ${"a".repeat(5000)}\r\nNOOP\r\n`);
    assert.deepEqual(codes(r), ["500", "250"]);
    // In pieces too.
    const { p, t } = server({ timeout: 0 });
    for (let i = 0; i < 10; i++) p.dataReceived(enc.encode("z".repeat(1000)));
    p.dataReceived(enc.encode("\r\nNOOP\r\n"));
    assert.deepEqual(codes(t.valueText().split("\r\n").slice(1)), ["500", "250"]);
  });

  it("ESMTP fails a message with a line over 64 KiB and delivers nothing", () => {
    const { delivery, send } = server({ timeout: 0 });
    send("HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
    const r = send(`ok\r\n${"q".repeat(70000)}\r\nmore\r\n.\r\nNOOP\r\n`);
    assert.deepEqual(codes(r), ["500", "250"]);
    assert.equal(delivery.delivered.length, 0);
    assert.equal(delivery.lost, 1);
  });

  it("ESMTP handles input one byte at a time, a long line included, in linear time", () => {
    const { p, t, delivery } = server({ timeout: 0 });
    const input = enc.encode(
      `HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n${"L".repeat(60000)}\r\n.\r\n`,
    );
    const started = Date.now();
    for (let i = 0; i < input.length; i++) p.dataReceived(input.subarray(i, i + 1));
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(codes(t.valueText().split("\r\n")), [
      "220",
      "250",
      "250",
      "250",
      "354",
      "250",
    ]);
    assert.equal(delivery.delivered[0].body[1].length, 60000);
  });

  it("ESMTP answers over 100 recipients with 452", () => {
    const { send } = server({ timeout: 0 });
    send("HELO c\r\nMAIL FROM:<a@x>\r\n");
    let burst = "";
    for (let i = 0; i < 101; i++) burst += `RCPT TO:<u${i}@y>\r\n`;
    const c = codes(send(burst));
    assert.equal(c.length, 101);
    assert.equal(c.filter((x) => x === "250").length, 100);
    assert.equal(c[100], "452");
  });

  it("ESMTP times out an idle connection with 421", () => {
    const { t, clock } = server({ timeout: 30 });
    clock.advance(29);
    assert.ok(!t.disconnecting);
    clock.advance(1);
    assert.match(t.valueText(), /421 4\.4\.2 mx\.test Timeout/);
    assert.ok(t.disconnecting);
  });

  it("ESMTP's idle timeout counts from the last input, also in float steps", () => {
    const { t, clock, send } = server({ timeout: 30 });
    clock.advance(20);
    send("NOOP\r\n");
    clock.advance(29);
    assert.ok(!t.disconnecting);
    clock.advance(1);
    assert.match(t.valueText(), /421 4\.4\.2 mx\.test Timeout/);
    assert.ok(t.disconnecting);
    const other = server({ timeout: 30 });
    for (let i = 0; i < 299; i++) other.clock.advance(0.1);
    assert.ok(!other.t.disconnecting);
    other.clock.advance(0.1);
    assert.ok(other.t.disconnecting);
  });

  it("ESMTP's idle timeout follows changes of `timeout`: lowered at the next input, 0 stops it", () => {
    const { p, t, clock, send } = server({ timeout: 600 });
    p.timeout = 10;
    send("NOOP\r\n");
    clock.advance(10);
    assert.ok(t.disconnecting);
    const other = server({ timeout: 30 });
    other.p.timeout = 0;
    other.clock.advance(100);
    assert.ok(!other.t.disconnecting);
    assert.equal(other.clock.getDelayedCalls().length, 0);
  });

  it("ESMTP delivers nothing when the connection drops in DATA", () => {
    const { p, delivery, send } = server({ timeout: 30 });
    send("HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\npartial\r\n");
    p.connectionLost();
    assert.equal(delivery.delivered.length, 0);
    assert.equal(delivery.lost, 1);
  });

  it("ESMTP answers a pipelined burst in order while validateTo is pending", async () => {
    const { t, delivery, send, p } = server({ timeout: 0 });
    delivery.asyncTo = true;
    send("EHLO c\r\n");
    t.clear();
    p.dataReceived(enc.encode(
      "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\nhello\r\n.\r\nNOOP\r\n",
    ));
    assert.deepEqual(codes(t.valueText().split("\r\n")), ["250"]);
    delivery.pendingTo.shift()!(true);
    await Promise.resolve();
    await Promise.resolve();
    delivery.pendingTo.shift()!(false);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    assert.deepEqual(codes(t.valueText().split("\r\n")), [
      "250",
      "250",
      "550",
      "354",
      "250",
      "250",
    ]);
    assert.equal(delivery.delivered.length, 1);
  });

  it("ESMTP stops reading while a decision is pending and input piles up", async () => {
    const { t, delivery, send, p } = server({ timeout: 0 });
    delivery.asyncTo = true;
    send("EHLO c\r\nMAIL FROM:<a@x>\r\n");
    const burst = enc.encode("NOOP\r\n".repeat(200_000));
    p.dataReceived(enc.encode("RCPT TO:<b@y>\r\n"));
    p.dataReceived(burst);
    assert.equal(t.producerState, "paused");
    t.clear();
    delivery.pendingTo.shift()!(true);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    assert.equal(t.producerState, "producing");
    const c = codes(t.valueText().split("\r\n"));
    assert.equal(c.length, 200_001);
    assert.ok(c.every((x) => x === "250"));
  });

  it("ESMTP STARTTLS forgets an earlier AUTH", async () => {
    const opts = { timeout: 0, portal: realm(), tls: true, tlsOptions: {} };
    const { send, t, p } = server(opts);
    const challenge = send("EHLO c\r\nAUTH CRAM-MD5\r\n").at(-1)!;
    const answer = btoa(`alice ${CramMD5Credentials.digest("secret", atob(challenge.slice(4)))}`);
    t.clear();
    p.dataReceived(enc.encode(answer + "\r\n"));
    for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
    assert.match(t.valueText(), /^235/);
    send("STARTTLS\r\n");
    assert.ok(send("EHLO c\r\n").some((l) => l.endsWith("AUTH CRAM-MD5 PLAIN LOGIN")));
  });

  it("ESMTP STARTTLS resets the session and discards pipelined input", () => {
    const { t, send } = server({ timeout: 0, tls: true, tlsOptions: { cert: "C", key: "K" } });
    assert.ok(send("EHLO c\r\n").some((l) => l.endsWith("STARTTLS")));
    send("MAIL FROM:<a@x>\r\n");
    const r = send("STARTTLS\r\nMAIL FROM:<evil@x>\r\n");
    assert.deepEqual(codes(r), ["220"]);
    assert.deepEqual((t as TLSStringTransport).tlsStarted, [{ cert: "C", key: "K" }]);
    assert.deepEqual(codes(send("MAIL FROM:<a@x>\r\n")), ["503"]);
    const ehlo = send("EHLO c\r\n");
    assert.ok(!ehlo.some((l) => l.endsWith("STARTTLS")));
    assert.deepEqual(codes(send("STARTTLS\r\n")), ["503"]);
  });

  it("ESMTP without tlsOptions answers STARTTLS with 454", () => {
    const { send } = server({ timeout: 0, tls: true });
    send("EHLO c\r\n");
    assert.deepEqual(codes(send("STARTTLS\r\n")), ["454"]);
  });

  it("ESMTP AUTH PLAIN before TLS gets 538; CRAM-MD5 works in clear text", async () => {
    const { send, t, p } = server({ timeout: 0, portal: realm(), delivery: null });
    const ehlo = send("EHLO c\r\n");
    assert.ok(ehlo.includes("250 AUTH CRAM-MD5") || ehlo.some((l) => l.endsWith("AUTH CRAM-MD5")));
    assert.deepEqual(codes(send("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")), ["538"]);
    const challenge = send("AUTH CRAM-MD5\r\n")[0];
    assert.match(challenge, /^334 /);
    const text = atob(challenge.slice(4));
    const answer = btoa(`alice ${CramMD5Credentials.digest("secret", text)}`);
    t.clear();
    p.dataReceived(enc.encode(answer + "\r\n"));
    for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
    assert.match(t.valueText(), /^235 2\.7\.0/);
    assert.deepEqual(codes(send("AUTH CRAM-MD5\r\n")), ["503"]);
  });

  it("ESMTP AUTH PLAIN and LOGIN after TLS; bad base64 gets 501; wrong password 535", async () => {
    const tick = async () => {
      for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
    };
    const opts = { timeout: 0, portal: realm(), delivery: null, tls: true, tlsOptions: {} };
    const { send, t, p } = server(opts);
    send("EHLO c\r\nSTARTTLS\r\n");
    assert.ok(send("EHLO c\r\n").some((l) => l.endsWith("AUTH CRAM-MD5 PLAIN LOGIN")));
    assert.deepEqual(codes(send("AUTH PLAIN !!!!\r\n")), ["501"]);
    assert.deepEqual(codes(send("AUTH LOGIN\r\n")), ["334"]);
    assert.deepEqual(codes(send("%%%\r\n")), ["501"]);
    t.clear();
    p.dataReceived(enc.encode(`AUTH PLAIN ${btoa("\0alice\0wrong")}\r\n`));
    await tick();
    assert.match(t.valueText(), /^535 5\.7\.8/);
    assert.deepEqual(send("AUTH LOGIN\r\n"), ["334 VXNlcm5hbWU6"]);
    assert.deepEqual(send(`${btoa("alice")}\r\n`), ["334 UGFzc3dvcmQ6"]);
    t.clear();
    p.dataReceived(enc.encode(`${btoa("secret")}\r\n`));
    await tick();
    assert.match(t.valueText(), /^235/);
    t.clear();
    p.dataReceived(enc.encode("MAIL FROM:<a@x>\r\n"));
    await tick();
    assert.match(t.valueText(), /^250 2\.1\.0/);
  });

  it("ESMTP with requireAuthentication answers MAIL with 530 until AUTH", () => {
    const { send } = server({ timeout: 0, requireAuthentication: true });
    send("EHLO c\r\n");
    assert.deepEqual(codes(send("MAIL FROM:<a@x>\r\n")), ["530"]);
  });

  it("SMTP (plain) refuses EHLO and has no enhanced codes", () => {
    const { send } = server({ timeout: 0, cls: SMTP });
    assert.deepEqual(codes(send("EHLO c\r\n")), ["500"]);
    assert.deepEqual(send("HELO c\r\nMAIL FROM:<a@x>\r\n").slice(1), [
      "250 Sender address accepted",
    ]);
  });

  it("LMTP answers one reply per recipient after DATA", () => {
    const { send, delivery } = server({ timeout: 0, cls: LMTP });
    assert.deepEqual(codes(send("HELO c\r\n")), ["500"]);
    assert.equal(codes(send("LHLO c\r\n"))[0], "250");
    const r = send("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\nhi\r\n.\r\n");
    assert.deepEqual(codes(r), ["250", "250", "250", "354", "250", "250"]);
    assert.ok(r.includes("250 2.0.0 <c@y> Delivered"));
    assert.equal(delivery.delivered.length, 2);
  });

  it("SMTPFactory builds ESMTP with its options", () => {
    const f = new SMTPFactory({ domain: "f.test", timeout: 5 });
    const p = f.buildProtocol(null as never);
    assert.ok(p instanceof ESMTP);
    assert.equal(p.host, "f.test");
    assert.equal(p.timeout, 5);
  });

  it("ESMTP survives random bytes and lines of any length", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }),
            fc.constant(enc.encode("\r\n")),
            fc.constantFrom(
              ...["EHLO a", "MAIL FROM:<a@b>", "RCPT TO:<c@d>", "DATA", ".", "AUTH LOGIN", "RSET"]
                .map((s) => enc.encode(s + "\r\n")),
            ),
          ),
          { maxLength: 40 },
        ),
        (chunks) => {
          const { p, t } = server({ timeout: 0, maxSize: 2000 });
          for (const c of chunks) p.dataReceived(c);
          const text = t.valueText();
          for (const line of text.split("\r\n").filter(Boolean)) {
            assert.match(line, /^[2-5]\d\d[ -]/);
          }
          p.connectionLost();
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("mail addresses", () => {
  it("Address parses paths and refuses junk", () => {
    assert.equal(String(new Address("<a.b@c.d>")), "a.b@c.d");
    assert.equal(new Address("<@r1,@r2:u@h>").domain, "h");
    assert.equal(new Address('<"x y"@h>').local, '"x y"');
    assert.equal(new Address("u", "def.test").domain, "def.test");
    assert.throws(() => new Address("<a@@b>"), { name: "AddressError" });
    assert.throws(() => new Address("<a"), { name: "AddressError" });
    assert.equal(String(new User("b@y", null, null, "a@x")), "b@y");
  });

  it("quoteaddr and rfc822date format as Twisted does", () => {
    assert.equal(quoteaddr("Bob <b@y>"), "<b@y>");
    assert.equal(quoteaddr("b@y"), "<b@y>");
    assert.equal(
      rfc822date(new Date(Date.UTC(2024, 1, 29, 5, 6, 7))),
      "Thu, 29 Feb 2024 05:06:07 +0000",
    );
  });
});
