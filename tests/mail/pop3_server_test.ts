// The POP3 server through StringTransport and Clock: every command, the states, sizes as
// sent, deletion at QUIT only, the maildrop lock, APOP and CRAM-MD5, long lines,
// pipelining, the idle timeout, and a property test feeding random bytes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { StringTransport } from "../../src/testing/mod.ts";
import { Clock } from "../../src/internet/task.ts";
import { IPv4Address } from "../../src/internet/address.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../../src/cred/mod.ts";
import { CramMD5Credentials } from "../../src/cred/_cram_md5.ts";
import {
  APOPCredentials,
  type IMailbox,
  IMailbox as IMailboxName,
  Mailbox,
  POP3,
  POP3Factory,
  type POP3Options,
} from "../../src/mail/pop3/mod.ts";
import { dotStuff, dotUnstuff, LineBuffer } from "../../src/mail/pop3/_wire.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const MESSAGES = [
  "Subject: one\n\nfirst\n.dot line\n",
  "Subject: two\r\n\r\nbody 1\r\nbody 2\r\nbody 3\r\n",
];

class SlowMailbox extends Mailbox {
  pending: (() => void)[] = [];
  override getMessage(index: number): Uint8Array {
    return super.getMessage(index);
  }
  getMessageSlowly(index: number): Promise<Uint8Array> {
    return new Promise((resolve) => this.pending.push(() => resolve(super.getMessage(index))));
  }
}

function setup(options: POP3Options & { box?: IMailbox } = {}) {
  const box = options.box ?? new Mailbox(MESSAGES.map((m) => enc.encode(m)), ["uid-a", "uid-b"]);
  const portal = new Portal(
    { requestAvatar: () => [IMailboxName, box, () => {}] },
    [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret", bob: "pw" })],
  );
  const clock = new Clock();
  const factory = new POP3Factory({ portal, clock, ...options });
  const connect = () => {
    const pop = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 1));
    const transport = new StringTransport();
    pop.makeConnection(transport);
    const send = (text: string): void => pop.dataReceived(enc.encode(text));
    const take = (): string => {
      const text = transport.valueText();
      transport.clear();
      return text;
    };
    return { pop, transport, send, take };
  };
  return { box, clock, connect };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

async function loggedIn(options: POP3Options & { box?: IMailbox } = {}) {
  const s = setup(options);
  const c = s.connect();
  c.take();
  c.send("USER alice\r\nPASS secret\r\n");
  await settle();
  assert.match(c.take(), /^\+OK USER accepted.*\r\n\+OK Maildrop ready\r\n$/);
  return { ...s, ...c };
}

describe("POP3 server", () => {
  it("greets with an APOP challenge and answers CAPA", () => {
    const { connect } = setup();
    const { pop, send, take } = connect();
    assert.equal(take(), `+OK POP3 server ready ${pop.magic}\r\n`);
    assert.match(pop.magic, /^<\d+\.\d+@localhost>$/);
    send("CAPA\r\n");
    const capa = take();
    for (
      const cap of [
        "TOP",
        "USER",
        "UIDL",
        "PIPELINING",
        "RESP-CODES",
        "AUTH-RESP-CODE",
        "SASL CRAM-MD5",
        "IMPLEMENTATION tw-core",
        "EXPIRE NEVER",
        "LOGIN-DELAY 0",
      ]
    ) assert.ok(capa.includes(`\r\n${cap}\r\n`), cap);
    assert.ok(capa.endsWith("\r\n.\r\n"));
    assert.ok(!capa.includes("STLS"), "no STLS without tlsOptions");
  });

  it("logs in with USER/PASS and answers STAT, LIST and UIDL with sizes as sent", async () => {
    const { send, take } = await loggedIn();
    // message 1 has 4 bare LFs: 30 bytes on disk, 34 on the wire
    send("STAT\r\nLIST\r\nLIST 2\r\nUIDL\r\nUIDL 1\r\n");
    await settle();
    assert.equal(
      take(),
      "+OK 2 74\r\n+OK\r\n1 34\r\n2 40\r\n.\r\n+OK 2 40\r\n+OK\r\n1 uid-a\r\n2 uid-b\r\n.\r\n" +
        "+OK 1 uid-a\r\n",
    );
  });

  it("sends RETR with CRLF endings and dot-stuffing, and TOP with n body lines", async () => {
    const { send, take } = await loggedIn();
    send("RETR 1\r\n");
    await settle();
    const retr = take();
    assert.equal(retr, "+OK 34 octets\r\nSubject: one\r\n\r\nfirst\r\n..dot line\r\n.\r\n");
    // the octet count is the message as sent, before stuffing
    assert.equal(enc.encode("Subject: one\r\n\r\nfirst\r\n.dot line\r\n").byteLength, 34);
    send("TOP 2 1\r\nTOP 2 0\r\n");
    await settle();
    assert.equal(
      take(),
      "+OK 40 octets\r\nSubject: two\r\n\r\nbody 1\r\n.\r\n+OK 40 octets\r\nSubject: two\r\n\r\n.\r\n",
    );
  });

  it("refuses bad message numbers and transaction commands before login", async () => {
    const { connect } = setup();
    const c = connect();
    c.take();
    c.send("STAT\r\nPASS x\r\nFOO\r\n");
    assert.match(c.take(), /^-ERR STAT not allowed.*\r\n-ERR USER required.*\r\n-ERR Unknown/);
    const { send, take } = await loggedIn();
    send("RETR 0\r\nRETR 3\r\nRETR x\r\nDELE 9\r\nTOP 1\r\nUSER a\r\n");
    await settle();
    const lines = take().split("\r\n").filter(Boolean);
    assert.equal(lines.length, 6);
    for (const line of lines) assert.match(line, /^-ERR /);
  });

  it("deletes only at QUIT; RSET undoes DELE; a dropped session deletes nothing", async () => {
    const s = await loggedIn();
    s.send("DELE 1\r\nSTAT\r\nRETR 1\r\nLIST\r\nRSET\r\nSTAT\r\nDELE 2\r\n");
    await settle();
    assert.equal(
      s.take(),
      "+OK Message 1 deleted\r\n+OK 1 40\r\n-ERR No such message\r\n+OK\r\n2 40\r\n.\r\n" +
        "+OK 2 messages\r\n+OK 2 74\r\n+OK Message 2 deleted\r\n",
    );
    s.pop.connectionLost();
    assert.deepEqual(s.box.listMessages(), [34, 40]);

    const t = await loggedIn({ box: s.box });
    t.send("DELE 2\r\n");
    assert.deepEqual(t.box.listMessages(), [34, 40]);
    t.send("QUIT\r\n");
    await settle();
    assert.equal(t.take(), "+OK Message 2 deleted\r\n+OK Bye\r\n");
    assert.ok(t.transport.disconnecting);
    assert.deepEqual(t.box.listMessages(), [34, 0]);
  });

  it("allows one session per maildrop: the second gets -ERR [IN-USE]", async () => {
    const s = setup();
    const one = s.connect();
    one.send("USER alice\r\nPASS secret\r\n");
    await settle();
    const two = s.connect();
    two.take();
    two.send("USER alice\r\nPASS secret\r\n");
    await settle();
    assert.match(two.take(), /-ERR \[IN-USE\]/);
    one.send("QUIT\r\n");
    await settle();
    two.send("USER alice\r\nPASS secret\r\n");
    await settle();
    assert.match(two.take(), /\+OK Maildrop ready/);
  });

  it("answers a wrong password with -ERR [AUTH] and stays in AUTHORIZATION", async () => {
    const { connect } = setup();
    const c = connect();
    c.take();
    c.send("USER alice\r\nPASS wrong\r\nSTAT\r\n");
    await settle();
    assert.match(c.take(), /\+OK USER.*\r\n-ERR \[AUTH\] Authentication failed\r\n-ERR STAT not/);
    assert.equal(c.pop.state, "AUTHORIZATION");
  });

  it("logs in with APOP", async () => {
    const { connect } = setup();
    const c = connect();
    c.take();
    c.send(`APOP alice ${APOPCredentials.digest(c.pop.magic, "wrong")}\r\n`);
    await settle();
    assert.match(c.take(), /^-ERR \[AUTH\]/);
    c.send(`APOP alice ${APOPCredentials.digest(c.pop.magic, "secret")}\r\n`);
    await settle();
    assert.equal(c.take(), "+OK Maildrop ready\r\n");
  });

  it("logs in with AUTH CRAM-MD5, and offers PLAIN only after TLS", async () => {
    const { connect } = setup();
    const c = connect();
    c.take();
    c.send("AUTH\r\nAUTH PLAIN\r\nAUTH CRAM-MD5\r\n");
    const reply = c.take();
    assert.match(reply, /^\+OK\r\nCRAM-MD5\r\n\.\r\n-ERR Unsupported mechanism PLAIN\r\n\+ /);
    const challenge = atob(reply.split("+ ")[1].trim());
    const answer = btoa(`bob ${CramMD5Credentials.digest("pw", challenge)}`);
    c.send(`${answer}\r\n`);
    await settle();
    assert.equal(c.take(), "+OK Maildrop ready\r\n");
  });

  it("answers a command line over 4 KiB with -ERR and goes on", () => {
    const { connect } = setup();
    const c = connect();
    c.take();
    c.send("NOOP " + "x".repeat(5000));
    c.send("y".repeat(5000) + "\r\nCAPA\r\n");
    const reply = c.take();
    assert.match(reply, /^-ERR Line too long\r\n\+OK Capability list follows/);
  });

  it("closes an idle connection after the timeout", () => {
    const { connect, clock } = setup({ timeout: 600 });
    const c = connect();
    clock.advance(599);
    assert.equal(c.transport.disconnecting, false);
    c.send("NOOP\r\n");
    clock.advance(599);
    assert.equal(c.transport.disconnecting, false);
    clock.advance(1);
    assert.equal(c.transport.disconnecting, true);
    assert.match(c.take(), /-ERR Idle timeout/);
  });

  it("answers a big pipelined burst in order and pauses reading while it waits", async () => {
    const slow = new SlowMailbox(MESSAGES.map((m) => enc.encode(m)));
    const box: IMailbox = {
      listMessages: () => slow.listMessages(),
      getMessage: (i) => slow.getMessageSlowly(i),
      getUidl: (i) => slow.getUidl(i),
      deleteMessage: (i) => slow.deleteMessage(i),
      undeleteMessages: () => slow.undeleteMessages(),
      sync: () => slow.sync(),
    };
    const s = await loggedIn({ box });
    const burst = "RETR 1\r\n" + "NOOP\r\n".repeat(200_000);
    s.send(burst);
    assert.equal(s.take(), "");
    assert.equal(s.transport.producerState, "paused");
    slow.pending.shift()!();
    await settle();
    const out = s.take();
    assert.ok(out.startsWith("+OK 34 octets\r\n"));
    assert.equal(out.split("+OK\r\n").length - 1, 200_000);
    assert.equal(s.transport.producerState, "producing");
  });

  it("never crashes on random bytes: replies or closes cleanly (property)", () => {
    const { connect } = setup();
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 6000 }), { maxLength: 8 }),
        (chunks) => {
          const c = connect();
          for (const chunk of chunks) c.pop.dataReceived(chunk);
          c.pop.dataReceived(enc.encode("\r\nNOOP\r\n"));
          const out = c.transport.valueText();
          assert.ok(out.startsWith("+OK POP3 server ready"));
          for (const line of out.split("\r\n").filter(Boolean)) {
            assert.match(line, /^(\+OK|-ERR|\+ |[A-Z0-9-]+( .*)?|\.|\d+ .*)/);
          }
          c.pop.connectionLost();
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("POP3 wire codec", () => {
  it("dotStuff() ends every line in CRLF and doubles leading dots", () => {
    assert.equal(dec.decode(dotStuff(enc.encode(".a\n.\nb"))), "..a\r\n..\r\nb\r\n");
    assert.equal(dec.decode(dotStuff(enc.encode("h\n\nb1\nb2\n"), 1)), "h\r\n\r\nb1\r\n");
    assert.equal(dec.decode(dotUnstuff(enc.encode("..a"))), ".a");
  });

  it("LineBuffer splits lines across chunks and reports a long one once", () => {
    const lines = new LineBuffer(5);
    lines.push(enc.encode("ab"));
    assert.equal(lines.next(), null);
    lines.push(enc.encode("c\r\n0123456789"));
    assert.equal(dec.decode(lines.next() as Uint8Array), "abc");
    assert.equal(lines.next(), "tooLong");
    lines.push(enc.encode("more\r\nok\r\n"));
    assert.equal(dec.decode(lines.next() as Uint8Array), "ok");
    assert.equal(lines.next(), null);
  });

  it("makes protocol instances with the factory's options", () => {
    assert.ok(new POP3Factory().buildProtocol(new IPv4Address("TCP", "h", 1)) instanceof POP3);
  });
});

describe("POP3 server after STLS", () => {
  it("starts TLS on STLS, then offers and accepts AUTH PLAIN", async () => {
    const { box: _box, connect } = setup({ tlsOptions: { cert: "c", key: "k" } });
    const c = connect();
    const started: unknown[] = [];
    (c.transport as unknown as { startTLS(o: unknown): void }).startTLS = (o) =>
      void started.push(o);
    c.take();
    c.send("CAPA\r\n");
    assert.match(c.take(), /\r\nSTLS\r\n/);
    c.send("STLS\r\nthis clear-text line is dropped\r\n");
    assert.equal(c.take(), "+OK Begin TLS negotiation\r\n");
    assert.equal(started.length, 1);
    assert.equal(c.pop.secure, true);
    c.send("CAPA\r\n");
    const capa = c.take();
    assert.match(capa, /\r\nSASL CRAM-MD5 PLAIN\r\n/);
    assert.ok(!capa.includes("STLS"));
    c.send(`AUTH PLAIN ${btoa("\0alice\0secret")}\r\n`);
    await settle();
    assert.equal(c.take(), "+OK Maildrop ready\r\n");
  });

  it("answers -ERR [IN-USE] only after a correct password", async () => {
    const s = setup();
    const one = s.connect();
    one.send("USER alice\r\nPASS secret\r\n");
    await settle();
    const two = s.connect();
    two.take();
    two.send("USER alice\r\nPASS wrong\r\nUSER alice\r\nPASS secret\r\n");
    await settle();
    assert.match(two.take(), /-ERR \[AUTH\].*\r\n.*\r\n-ERR \[IN-USE\]/s);
  });
});
