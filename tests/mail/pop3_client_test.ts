// POP3Client through StringTransport: the greeting, APOP, the login policy, the parsed
// answers, dot-unstuffing, errors, and a server line that is too long.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { StringTransport } from "../../src/testing/mod.ts";
import {
  AdvancedPOP3Client,
  APOPCredentials,
  InsecureAuthenticationDisallowed,
  LineTooLong,
  POP3Client,
  ServerErrorResponse,
  TLSNotSupportedError,
} from "../../src/mail/pop3/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function setup(options = {}) {
  const client = new POP3Client(options);
  const transport = new StringTransport();
  client.makeConnection(transport);
  const feed = (text: string): void => client.dataReceived(enc.encode(text));
  const sent = (): string => {
    const text = transport.valueText();
    transport.clear();
    return text;
  };
  return { client, transport, feed, sent };
}

describe("POP3Client", () => {
  it("is exported under Twisted's name too", () => {
    assert.equal(AdvancedPOP3Client, POP3Client);
  });

  it("logs in with APOP when the greeting has a challenge", async () => {
    const { client, feed, sent } = setup();
    const greeted: string[] = [];
    client.serverGreeting = (g) => void greeted.push(g);
    feed("+OK ready <1.2@host>\r\n");
    const login = client.login("alice", "secret");
    await tick();
    assert.equal(sent(), `APOP alice ${APOPCredentials.digest("<1.2@host>", "secret")}\r\n`);
    feed("+OK welcome\r\n");
    assert.equal(await login, "welcome");
    assert.deepEqual(greeted, ["ready <1.2@host>"]);
  });

  it("refuses a clear-text login unless allowed, and then sends USER and PASS", async () => {
    const { client, feed, sent } = setup();
    feed("+OK ready\r\n");
    const login = client.login("alice", "secret");
    await tick();
    assert.equal(sent(), "CAPA\r\n");
    feed("+OK\r\nUSER\r\n.\r\n");
    await assert.rejects(login, InsecureAuthenticationDisallowed);

    const s = setup({ allowInsecureLogin: true });
    s.feed("+OK ready\r\n");
    const ok = s.client.login("alice", "secret");
    await tick();
    s.feed("-ERR no CAPA\r\n");
    await tick();
    assert.equal(s.sent(), "CAPA\r\nUSER alice\r\n");
    s.feed("+OK\r\n");
    await tick();
    assert.equal(s.sent(), "PASS secret\r\n");
    s.feed("+OK in\r\n");
    assert.equal(await ok, "in");
  });

  it("fails startTLS with TLSNotSupportedError when the transport cannot", async () => {
    const { client, feed } = setup();
    feed("+OK ready\r\n");
    await assert.rejects(client.startTLS(), TLSNotSupportedError);
  });

  it("parses STAT, LIST, UIDL and RETR (dot-unstuffed, indexes from 0)", async () => {
    const { client, feed, sent } = setup();
    feed("+OK ready\r\n");
    const stat = client.stat();
    const list = client.listSize();
    const uidl = client.listUID();
    const retr = client.retrieve(1);
    const top = client.retrieve(0, { lines: 0 });
    assert.equal(sent(), "STAT\r\n");
    feed("+OK 2 30\r\n");
    assert.deepEqual(await stat, [2, 30]);
    feed("+OK\r\n1 10\r\n2 20\r\n.\r\n");
    assert.deepEqual(await list, [10, 20]);
    feed("+OK\r\n2 bbb\r\n.\r\n");
    assert.deepEqual(await uidl, [null, "bbb"]);
    feed("+OK\r\nSubject: x\r\n\r\n..dot\r\n.\r\n");
    assert.deepEqual((await retr).map((l) => dec.decode(l)), ["Subject: x", "", ".dot"]);
    feed("+OK\r\nSubject: x\r\n\r\n.\r\n");
    assert.equal((await top).length, 2);
    assert.equal(sent(), "LIST\r\nUIDL\r\nRETR 2\r\nTOP 1 0\r\n");
  });

  it("rejects with ServerErrorResponse on -ERR and goes on", async () => {
    const { client, feed } = setup();
    feed("+OK ready\r\n");
    const dele = client.delete(4);
    const noop = client.noop();
    feed("-ERR No such message\r\n+OK\r\n");
    await assert.rejects(
      dele,
      (e: unknown) => e instanceof ServerErrorResponse && e.response === "No such message",
    );
    assert.equal(await noop, "");
  });

  it("fails with LineTooLong and closes on an endless server line", async () => {
    const { client, feed, transport } = setup();
    client.MAX_LENGTH = 100;
    feed("+OK ready\r\n");
    const retr = client.retrieve(0);
    feed("+OK\r\n" + "x".repeat(1000));
    await assert.rejects(retr, LineTooLong);
    assert.ok(transport.disconnecting);
  });

  it("fails pending commands when the connection is lost", async () => {
    const { client, feed } = setup();
    feed("+OK ready\r\n");
    const stat = client.stat();
    client.connectionLost();
    await assert.rejects(stat, /Connection lost/);
  });
});
