// IMAP4Client against our IMAP4Server over an iosim pair (MemoryAccount): greeting
// capabilities, LOGIN and AUTHENTICATE, SELECT/EXAMINE shapes, LIST/LSUB/STATUS,
// APPEND with literals (synchronizing and LITERAL+), SEARCH with Query/Or/Not,
// every fetch* helper, nested BODYSTRUCTURE, STORE, COPY/MOVE/UID EXPUNGE, ID,
// NAMESPACE, IDLE with callbacks, errors as IMAP4Exception, and a server that
// sends garbage.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connectedServerAndClient, type IOPump } from "../../../src/testing/mod.ts";
import { Clock } from "../../../src/internet/task.ts";
import {
  type IMailboxListener,
  IMAP4Client,
  IMAP4Exception,
  IMAP4Server,
  MemoryAccount,
  Not,
  Or,
  Query,
} from "../../../src/mail/imap4/mod.ts";
import { portalFor } from "./_harness.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const NESTED = [
  "Subject: nested",
  'Content-Type: multipart/mixed; boundary="A"',
  "",
  "--A",
  'Content-Type: multipart/alternative; boundary="B"',
  "",
  "--B",
  "Content-Type: text/plain",
  "",
  "plain",
  "--B",
  "Content-Type: text/html",
  "",
  "<b>html</b>",
  "--B--",
  "--A",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  "",
  "AAEC",
  "--A--",
  "",
].join("\r\n");

class Recorder extends IMAP4Client {
  news: [number | null, number | null][] = [];
  flags: Record<number, string[]>[] = [];
  modes: boolean[] = [];
  override modeChanged(writeable: boolean): void {
    this.modes.push(writeable);
  }
  override newMessages(exists: number | null, recent: number | null): void {
    this.news.push([exists, recent]);
  }
  override flagsChanged(flags: Record<number, string[]>): void {
    this.flags.push(flags);
  }
}

function setup(account = new MemoryAccount("alice")): {
  client: Recorder;
  pump: IOPump;
  account: MemoryAccount;
  run: <T>(p: Promise<T>) => Promise<T>;
} {
  const clock = new Clock();
  const [client, , pump] = connectedServerAndClient<Recorder, IMAP4Server>(
    () => new IMAP4Server({ portal: portalFor(account), clock }),
    () => new Recorder(),
  );
  const run = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    p.then(() => (done = true), () => (done = true));
    for (let i = 0; i < 2000 && !done; i++) {
      pump.flush();
      await new Promise((r) => setTimeout(r, 0));
    }
    return await p;
  };
  return { client, pump, account, run };
}

describe("IMAP4Client", () => {
  it("reads the greeting's capabilities and logs in; a wrong password is an IMAP4Exception", async () => {
    const { client, run } = setup();
    const caps = await run(client.whenGreeted);
    assert.ok(caps.has("IMAP4REV1") && caps.has("IDLE"));
    assert.deepEqual(caps.get("AUTH"), ["CRAM-MD5", "PLAIN", "LOGIN"]);
    await assert.rejects(
      run(client.login("alice", "nope")),
      (e) => e instanceof IMAP4Exception && e.status === "NO",
    );
    await run(client.login("alice", "secret"));
    assert.equal((await run(client.getCapabilities())).has("AUTH"), false);
    await run(client.logout());
  });

  it("authenticates with CRAM-MD5, PLAIN and LOGIN", async () => {
    for (const mech of ["CRAM-MD5", "PLAIN", "LOGIN"]) {
      const { client, run } = setup();
      await run(client.whenGreeted);
      await run(client.authenticate("alice", "secret", mech));
      assert.deepEqual(
        await run(client.list("", "INBOX")),
        [[["\\HasNoChildren"], "/", "INBOX"]],
        mech,
      );
    }
  });

  it("creates, lists, appends, selects, searches, fetches, stores, copies and moves", async () => {
    const { client, run } = setup();
    await run(client.whenGreeted);
    await run(client.login("alice", "secret"));
    await run(client.create("Archive/2024"));
    await run(client.create("Entwürfe"));
    const names = (await run(client.list("", "*"))).map(([, , n]) => n);
    assert.deepEqual(names, ["Archive", "Archive/2024", "Entwürfe", "INBOX"]);
    await run(client.subscribe("Archive"));
    assert.deepEqual(await run(client.lsub("", "*")), [[["\\HasChildren"], "/", "Archive"]]);
    const uid = await run(
      client.append("INBOX", "From: a@x\r\nSubject: hello\r\n\r\nbody text\r\n", {
        flags: ["\\Flagged"],
        date: new Date(Date.UTC(2020, 0, 2, 3, 4, 5)),
      }),
    );
    assert.deepEqual(uid?.[1], 1);
    await run(client.append("INBOX", enc.encode(NESTED)));
    assert.deepEqual(await run(client.status("INBOX", "MESSAGES", "UNSEEN")), {
      MESSAGES: 2,
      UNSEEN: 2,
    });
    const sel = await run(client.select("INBOX"));
    assert.equal(sel.EXISTS, 2);
    assert.equal(sel.RECENT, 2);
    assert.equal(sel.UIDNEXT, 3);
    assert.equal(sel["READ-WRITE"], true);
    assert.deepEqual(sel.FLAGS, ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]);
    assert.deepEqual(await run(client.search(Query({ flagged: true }))), [1]);
    assert.deepEqual(
      await run(client.search(Or(Query({ subject: "nested" }), Not(Query({ all: true }))))),
      [2],
    );
    assert.deepEqual(await run(client.search(Query({ uid: "2:*" }), { uid: true })), [2]);
    assert.deepEqual(await run(client.fetchUID("1:*")), { 1: { UID: "1" }, 2: { UID: "2" } });
    assert.deepEqual((await run(client.fetchFlags("1")))[1].FLAGS, ["\\Flagged", "\\Recent"]);
    assert.equal(
      (await run(client.fetchInternalDate("1")))[1].INTERNALDATE,
      "02-Jan-2020 03:04:05 +0000",
    );
    const env = (await run(client.fetchEnvelope("1")))[1].ENVELOPE as unknown[];
    assert.equal(env[1], "hello");
    assert.deepEqual(env[2], [[null, null, "a", "x"]]);
    const bs = (await run(client.fetchBodyStructure("2")))[2].BODYSTRUCTURE as unknown[];
    const alt = bs[0] as unknown[];
    assert.deepEqual((alt[0] as unknown[]).slice(0, 2), ["TEXT", "PLAIN"]);
    assert.deepEqual((alt[1] as unknown[]).slice(0, 2), ["TEXT", "HTML"]);
    assert.equal(alt[2], "ALTERNATIVE");
    assert.deepEqual((bs[1] as unknown[]).slice(0, 2), ["APPLICATION", "OCTET-STREAM"]);
    assert.equal(bs[2], "MIXED");
    const simple = (await run(client.fetchSimplifiedBody("2")))[2].BODY as unknown[];
    assert.equal(simple[2], "MIXED");
    const size = Number((await run(client.fetchSize("1")))[1]["RFC822.SIZE"]);
    const whole = (await run(client.fetchSpecific("1", { peek: true })))[1]["BODY[]"] as Uint8Array;
    assert.equal(whole.byteLength, size);
    const part = await run(client.fetchSpecific("2", { headerNumber: [1, 2], peek: true }));
    assert.equal(dec.decode(part[2]["BODY[1.2]"] as Uint8Array), "<b>html</b>");
    const partial = await run(
      client.fetchSpecific("1", { headerType: "TEXT", offset: 2, length: 3, peek: true }),
    );
    assert.equal(dec.decode(partial[1]["BODY[TEXT]<2>"] as Uint8Array), "dy ");
    const fields = await run(
      client.fetchSpecific("1", {
        headerType: "HEADER.FIELDS",
        headerArgs: ["SUBJECT"],
        peek: true,
      }),
    );
    assert.equal(
      dec.decode(fields[1]["BODY[HEADER.FIELDS (SUBJECT)]"] as Uint8Array),
      "Subject: hello\r\n\r\n",
    );
    assert.match(
      dec.decode((await run(client.fetchHeaders("1")))[1]["RFC822.HEADER"] as Uint8Array),
      /^From: a@x/,
    );
    assert.deepEqual(Object.keys((await run(client.fetchFast("1:2")))[2]).sort(), [
      "FLAGS",
      "INTERNALDATE",
      "RFC822.SIZE",
    ]);
    assert.ok("ENVELOPE" in (await run(client.fetchAll("1")))[1]);
    assert.ok("BODY" in (await run(client.fetchFull("1")))[1]);
    assert.match(
      dec.decode((await run(client.fetchBody("1")))[1]["RFC822.TEXT"] as Uint8Array),
      /body text/,
    );
    assert.deepEqual((await run(client.fetchFlags("1")))[1].FLAGS, [
      "\\Flagged",
      "\\Seen",
      "\\Recent",
    ]);
    assert.deepEqual(await run(client.addFlags("2", ["\\Answered"])), {
      2: { FLAGS: ["\\Answered", "\\Recent"] },
    });
    assert.deepEqual(await run(client.removeFlags("2", ["\\Answered"], { silent: true })), {});
    assert.deepEqual(await run(client.setFlags("2", ["\\Draft"], { uid: true })), {
      2: { FLAGS: ["\\Draft", "\\Recent"], UID: "2" },
    });
    assert.equal(
      await run(client.copy("1:2", "Archive")),
      `${(await run(client.status("Archive", "UIDVALIDITY"))).UIDVALIDITY} 1:2 1:2`,
    );
    assert.deepEqual(await run(client.move("1", "Archive/2024", { uid: true })), [1]);
    await run(client.addFlags("1", ["\\Deleted"], { silent: true }));
    assert.deepEqual(await run(client.uidExpunge("2")), [1]);
    assert.deepEqual(await run(client.expunge()), []);
    await assert.rejects(run(client.copy("1", "Nope")), /TRYCREATE|Invalid/);
    const ex = await run(client.examine("Archive"));
    assert.equal(ex["READ-WRITE"], false);
    await run(client.close());
    await run(client.rename("Archive", "Old"));
    await run(client.delete("Old/2024"));
    assert.deepEqual(await run(client.namespace()), [[["", "/"]], null, null]);
    assert.equal((await run(client.id({ name: "test" }))).name, "tw-core");
    await run(client.logout());
  });

  it("IDLE tells newMessages of mail another session appends; idleDone ends it", async () => {
    const account = new MemoryAccount("alice");
    const { client, run } = setup(account);
    await run(client.whenGreeted);
    await run(client.login("alice", "secret"));
    await run(client.select("INBOX"));
    await run(client.idle());
    account.select("INBOX", true)!.addMessage(enc.encode("Subject: pushed\r\n\r\nx\r\n"), [], null);
    await run(
      new Promise<void>((resolve) => {
        const check = () => (client.news.some(([e]) => e === 1) ? resolve() : setTimeout(check, 0));
        check();
      }),
    );
    await run(client.idleDone());
    assert.deepEqual(client.news, [[1, null], [null, 1]]);
    assert.deepEqual(await run(client.noop()), []);
  });

  it("a mailbox turning read-only tells the session (IMailboxListener.modeChanged) and the client", async () => {
    const listeners: IMailboxListener[] = [];
    class ModeAccount extends MemoryAccount {
      override select(name: string, readwrite: boolean) {
        const box = super.select(name, readwrite);
        if (box !== null) {
          const add = box.addListener.bind(box);
          box.addListener = (l) => {
            listeners.push(l);
            add(l);
          };
        }
        return box;
      }
    }
    const account = new ModeAccount("alice");
    account.select("INBOX", true)!.addMessage(enc.encode("Subject: a\r\n\r\nx\r\n"), [], null);
    const { client, run } = setup(account);
    await run(client.whenGreeted);
    await run(client.login("alice", "secret"));
    await run(client.select("INBOX"));
    await run(client.idle());
    listeners[0].modeChanged!(false);
    await run(
      new Promise<void>((resolve) => {
        const check = () => (client.modes.length > 0 ? resolve() : setTimeout(check, 0));
        check();
      }),
    );
    assert.deepEqual(client.modes, [false]);
    await run(client.idleDone());
    await assert.rejects(run(client.addFlags("1", ["\\Seen"])), IMAP4Exception);
    listeners[0].modeChanged!(true);
    assert.deepEqual(await run(client.noop()), [[null, "OK"]]);
    await run(client.addFlags("1", ["\\Seen"]));
    assert.deepEqual(client.modes, [false], "told during a command: the command's, not a callback");
  });

  it("sends a synchronizing literal after the continuation when LITERAL+ is not offered", async () => {
    const { client, pump, run } = setup();
    await run(client.whenGreeted);
    await run(client.login("alice", "secret"));
    // Pretend the server lacks LITERAL+: the client must wait for "+ " before the literal.
    (await run(client.getCapabilities())).delete("LITERAL+");
    const writes: string[] = [];
    const write = client.transport.write.bind(client.transport);
    client.transport.write = (data: Uint8Array) => {
      writes.push(dec.decode(data));
      write(data);
    };
    const uid = await run(client.append("INBOX", "Subject: s\r\n\r\nx\r\n"));
    assert.deepEqual(uid?.[1], 1);
    assert.match(writes[0], /^A\d+ APPEND INBOX \{17\}\r\n$/);
    assert.equal(writes[1], "Subject: s\r\n\r\nx\r\n\r\n");
    void pump;
  });

  it("fails waiting commands on garbage from the server", async () => {
    const client = new IMAP4Client();
    const { StringTransport } = await import("../../../src/testing/mod.ts");
    const t = new StringTransport();
    client.makeConnection(t);
    client.dataReceived(enc.encode("* OK hi\r\n"));
    const p = client.noop();
    client.dataReceived(enc.encode("zz9 OK who?\r\n"));
    await assert.rejects(p, /Unexpected tagged response/);
    assert.ok(t.disconnecting);
  });
});
