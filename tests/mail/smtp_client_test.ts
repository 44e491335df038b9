import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Clock, connectedServerAndClient, StringTransport } from "../../src/testing/mod.ts";
import {
  AUTHDeclinedError,
  encodeMessage,
  ESMTP,
  ESMTPClient,
  type ESMTPClientOptions,
  type RecipientResult,
  type SendResult,
  SMTPClientError,
  SMTPConnectError,
  SMTPSenderFactory,
  SMTPTimeoutError,
  TLSRequiredError,
} from "../../src/mail/mod.ts";
import type { TlsOptions } from "../../src/internet/socket.ts";
import type { IConnector } from "../../src/internet/interfaces.ts";
import { Deferred } from "../../src/internet/defer.ts";
import { Failure } from "../../src/internet/failure.ts";
import { RecordingDelivery } from "./_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

class TLSStringTransport extends StringTransport {
  tls: TlsOptions[] = [];
  startTLS(options: TlsOptions): void {
    this.tls.push(options);
  }
}

class OneMessage extends ESMTPClient {
  sent: [number, RecipientResult[]] | null = null;
  error: SMTPClientError | null = null;
  to = ["b@y.test", "c@y.test"];
  data: Uint8Array | string = "Subject: t\n\n.dot\nend\n";
  override getMailFrom(): string {
    return "a@x.test";
  }
  override getMailTo(): string[] {
    return this.to;
  }
  override getMailData(): Uint8Array | string {
    return this.data;
  }
  override sentMail(_c: number, _r: string, numOk: number, addrs: RecipientResult[]): void {
    this.sent = [numOk, addrs];
  }
  override sendError(error: SMTPClientError): void {
    this.error = error;
  }
}

function client(options: ESMTPClientOptions = {}) {
  const clock = new Clock();
  const c = new OneMessage({ clock, identity: "me.test", ...options });
  const t = new TLSStringTransport();
  c.makeConnection(t);
  const feed = (s: string): string[] => {
    t.clear();
    c.dataReceived(enc.encode(s));
    return t.valueText().split("\r\n").filter((l) => l !== "");
  };
  return { c, t, clock, feed };
}

describe("ESMTP client", () => {
  it("encodeMessage() turns LF into CRLF and dot-stuffs", () => {
    const { data, eightBit } = encodeMessage("a\n.b\nc\r\n..d");
    assert.equal(dec.decode(data), "a\r\n..b\r\nc\r\n...d\r\n.\r\n");
    assert.equal(eightBit, false);
    assert.equal(encodeMessage(new Uint8Array([0xc3, 0xa9, 10])).eightBit, true);
  });

  it("ESMTPClient does STARTTLS, EHLO again, then pipelines MAIL, RCPT and DATA", () => {
    const { c, t, feed } = client({ tlsOptions: { ca: "CA" }, hostname: "mx.test" });
    assert.deepEqual(feed("220 mx ESMTP\r\n"), ["EHLO me.test"]);
    assert.deepEqual(feed("250-mx\r\n250-STARTTLS\r\n250 PIPELINING\r\n"), ["STARTTLS"]);
    assert.deepEqual(feed("220 go\r\n"), ["EHLO me.test"]);
    assert.deepEqual(t.tls, [{ ca: "CA", serverName: "mx.test" }]);
    assert.deepEqual(feed("250-mx\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"), [
      "MAIL FROM:<a@x.test> SIZE=29",
      "RCPT TO:<b@y.test>",
      "RCPT TO:<c@y.test>",
      "DATA",
    ]);
    feed("250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n");
    assert.equal(t.valueText(), "Subject: t\r\n\r\n..dot\r\nend\r\n.\r\n");
    assert.deepEqual(feed("250 queued\r\n"), ["QUIT"]);
    assert.deepEqual(c.sent, [1, [["b@y.test", 250, "ok"], ["c@y.test", 550, "no"]]]);
    assert.ok(c.secure);
  });

  it("ESMTPClient fails with TLSRequiredError without STARTTLS, unless told otherwise", () => {
    const a = client();
    a.feed("220 mx\r\n");
    a.feed("250 mx\r\n");
    assert.ok(a.c.error instanceof TLSRequiredError);
    const b = client({ requireTransportSecurity: false });
    b.feed("220 mx\r\n");
    assert.deepEqual(b.feed("250 mx\r\n"), ["MAIL FROM:<a@x.test>"]);
  });

  it("ESMTPClient falls back to clear text when STARTTLS fails and TLS is optional", () => {
    const { feed, t } = client({ requireTransportSecurity: false });
    feed("220 mx\r\n");
    assert.deepEqual(feed("250-mx\r\n250 STARTTLS\r\n"), ["STARTTLS"]);
    assert.deepEqual(feed("454 no TLS today\r\n"), ["MAIL FROM:<a@x.test>"]);
    assert.deepEqual(t.tls, []);
  });

  it("ESMTPClient authenticates with CRAM-MD5 first and reports a refusal", () => {
    const { c, feed } = client({ username: "u", secret: "pw", requireTransportSecurity: false });
    feed("220 mx\r\n");
    assert.deepEqual(feed("250-mx\r\n250 AUTH PLAIN LOGIN CRAM-MD5\r\n"), ["AUTH CRAM-MD5"]);
    const [line] = feed(`334 ${btoa("<1.2@mx>")}\r\n`);
    assert.match(atob(line), /^u [0-9a-f]{32}$/);
    feed("535 nope\r\n");
    assert.ok(c.error instanceof AUTHDeclinedError);
    assert.equal(c.error.code, 535);
  });

  it("ESMTPClient sends PLAIN with an initial response", () => {
    const { feed } = client({ username: "u", secret: "pw", requireTransportSecurity: false });
    feed("220 mx\r\n");
    assert.deepEqual(feed("250-mx\r\n250 AUTH PLAIN\r\n"), [`AUTH PLAIN ${btoa("\0u\0pw")}`]);
    assert.deepEqual(feed("235 ok\r\n"), ["MAIL FROM:<a@x.test>"]);
  });

  it("ESMTPClient times out waiting for a reply", () => {
    const { c, clock, t } = client({ timeout: 10 });
    clock.advance(10);
    assert.ok(c.error instanceof SMTPTimeoutError);
    assert.ok(t.disconnecting);
  });

  it("ESMTPClient sends through our ESMTP server in memory, 8-bit and SMTPUTF8", () => {
    const delivery = new RecordingDelivery();
    const [c, , pump] = connectedServerAndClient<OneMessage>(
      () => new ESMTP({ delivery, timeout: 0 }),
      () => {
        const c = new OneMessage({ requireTransportSecurity: false, timeout: 0 });
        c.to = ["b@y.test", "nobody@y.test", "\u00fc@y.test"];
        c.data = "Subject: \u00e9\r\n\r\n.x\r\n";
        return c;
      },
    );
    pump.flush();
    assert.equal(c.error, null);
    assert.equal(c.sent![0], 2);
    assert.equal(delivery.delivered.length, 2);
    assert.equal(delivery.text(0), "Received: from test\nSubject: \u00e9\n\n.x");
  });

  it("ESMTPClient falls back to HELO when asked and TLS is optional", () => {
    const { feed } = client({ heloFallback: true, requireTransportSecurity: false });
    feed("220 mx\r\n");
    assert.deepEqual(feed("500 what\r\n"), ["HELO me.test"]);
    assert.deepEqual(feed("250 hi\r\n"), ["MAIL FROM:<a@x.test>"]);
    const strict = client({ heloFallback: true });
    strict.feed("220 mx\r\n");
    strict.feed("500 what\r\n");
    assert.ok(strict.c.error instanceof SMTPClientError);
  });

  it("SMTPSenderFactory retries a failed connection, then fails", async () => {
    const d = new Deferred<SendResult>();
    const f = new SMTPSenderFactory("a@x", ["b@y"], "hi\n", d, { retries: 2 });
    let connects = 0;
    const connector = { connect: () => void connects++ } as unknown as IConnector;
    const reason = new Failure(new Error("refused"));
    f.clientConnectionFailed(connector, reason);
    f.clientConnectionFailed(connector, reason);
    assert.equal(connects, 2);
    f.clientConnectionFailed(connector, reason);
    await assert.rejects(async () => await d, SMTPConnectError);
  });
});
