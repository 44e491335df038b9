// The mail service and routing (twisted.mail.mail, alias, relay, relaymanager, bounce):
// MailService with maildir domains driven through ESMTP over a StringTransport,
// aliases(5), the relay queue, the relaying manager on a Clock, and bounces.
import { afterEach, beforeEach, describe, it } from "node:test";
import fc from "fast-check";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IPv4Address } from "../../src/internet/address.ts";
import { Deferred } from "../../src/internet/defer.ts";
import { ProcessProtocol } from "../../src/internet/protocol.ts";
import { Clock, StringTransport, trackLeaks } from "../../src/testing/mod.ts";
import { reactor } from "../../mod.ts";
import type { RuntimeFileSystem } from "../../src/internet/socket.ts";
import {
  AllowAnonymousAccess,
  InMemoryUsernamePasswordDatabaseDontUse,
} from "../../src/cred/mod.ts";
import {
  Address,
  AddressAlias,
  AliasGroup,
  BounceDomain,
  DomainQueuer,
  DomainWithDefaultDict,
  FileMonitoringService,
  generateBounce,
  type IDomain,
  loadAliasFile,
  MaildirDirdbmDomain,
  MailService,
  MessageWrapper,
  MultiWrapper,
  PendingMessage,
  ProcessAliasTimeout,
  Queue,
  type RelaySend,
  type SendResult,
  SmartHostSMTPRelayingManager,
  SMTPBadRcpt,
  SMTPClientError,
  User,
} from "../../src/mail/mod.ts";
import { IMailbox } from "../../src/mail/pop3/mod.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const enc = new TextEncoder();
const dec = new TextDecoder();

let root = "";
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "tw-mail-service-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Waits (real time, at most 5 s) until `check` gives a value. */
async function until<T>(check: () => T | null | undefined | false): Promise<T> {
  for (let i = 0; i < 5000; i++) {
    const value = check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error("Timed out waiting");
}

/** An SMTP conversation with a factory's protocol over a StringTransport. */
class Conversation {
  t = new StringTransport({ peerAddress: new IPv4Address("TCP", "192.0.2.7", 4000) });
  p: { dataReceived(d: Uint8Array): void; connectionLost(): void };
  constructor(factory: { buildProtocol(a: IPv4Address): unknown }, secure = false) {
    if (secure) Object.defineProperty(this.t, "secure", { value: true });
    this.p = factory.buildProtocol(new IPv4Address("TCP", "192.0.2.7", 4000)) as never;
    (this.p as unknown as { makeConnection(t: StringTransport): void }).makeConnection(this.t);
  }
  /** Sends a line; resolves with the complete reply. */
  async send(line: string): Promise<string> {
    const before = this.t.valueText().length;
    this.p.dataReceived(enc.encode(line + "\r\n"));
    return await until(() => {
      const out = this.t.valueText().slice(before);
      return /(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(out) ? out : null;
    });
  }
  close(): void {
    this.p.connectionLost();
  }
}

async function mailService(options: { anonymous?: boolean; runtime?: RuntimeFileSystem } = {}) {
  const service = new MailService({ hostname: "mx.test" });
  const domain = new MaildirDirdbmDomain(
    service,
    join(root, "example.com"),
    options.runtime ? { runtime: options.runtime } : {},
  );
  await service.addDomain("example.com", domain);
  await domain.addUser("alice", "secret");
  if (options.anonymous !== false) service.smtpPortal.registerChecker(new AllowAnonymousAccess());
  return { service, domain };
}

function newMessages(dir: string): string[] {
  const d = join(dir, "new");
  return existsSync(d) ? readdirSync(d).map((n) => readFileSync(join(d, n), "utf8")) : [];
}

async function sendMessage(c: Conversation, from: string, to: string[], body: string[]) {
  const replies = [await c.send(`MAIL FROM:<${from}>`)];
  for (const r of to) replies.push(await c.send(`RCPT TO:<${r}>`));
  replies.push(await c.send("DATA"));
  for (const line of body) c.p.dataReceived(enc.encode(line + "\r\n"));
  replies.push(await c.send("."));
  return replies.map((r) => r.slice(0, 3));
}

async function cramMD5(c: Conversation, user: string, password: string): Promise<string> {
  const challenge = await c.send("AUTH CRAM-MD5");
  assert.match(challenge, /^334 /);
  const text = atob(challenge.slice(4).trim());
  const digest = createHmac("md5", password).update(text).digest("hex");
  return await c.send(btoa(`${user} ${digest}`));
}

describe("DomainWithDefaultDict and BounceDomain", () => {
  it("falls back to the default for unknown names, ignoring case", () => {
    const bounce = new BounceDomain();
    const other = new BounceDomain();
    const d = new DomainWithDefaultDict<IDomain>({ "Example.COM": other }, bounce);
    assert.equal(d.getItem("example.com"), other);
    assert.equal(d.getItem("nowhere.example"), bounce);
    assert.equal(d.get("nowhere.example"), undefined);
    assert.equal(d.has("anything"), true);
    assert.equal(d.hasOwn("anything"), false);
    assert.deepEqual([...d], ["example.com"]);
    assert.equal(d.copy().getItem("x"), bounce);
  });

  it("BounceDomain refuses every recipient and relays nothing", () => {
    const b = new BounceDomain();
    const user = new User(new Address("bob@x.example"), null, null, "");
    assert.throws(() => b.exists(user), SMTPBadRcpt);
    assert.equal(b.willRelay(new Address("bob@x.example"), null), false);
    assert.deepEqual(b.getCredentialsCheckers(), []);
  });
});

describe("MailService over ESMTP", () => {
  it("delivers to a known user's maildir and refuses unknown users and domains", async () => {
    const { service } = await mailService();
    const c = new Conversation(service.getESMTPFactory({ timeout: 0 }));
    assert.match(await c.send("EHLO client.example"), /^250 /m);
    const codes = await sendMessage(c, "bob@example.org", [
      "alice@example.com",
      "nobody@example.com",
      "carol@elsewhere.example",
    ], ["Subject: hi", "", "hello", "..dot"]);
    assert.deepEqual(codes, ["250", "250", "550", "550", "354", "250"]);
    const [text] = newMessages(join(root, "example.com", "alice"));
    assert.match(text, /^Delivered-To: alice@example\.com\nReceived: from client\.example /);
    assert.match(text, /by mx\.test with ESMTP \(@tw\/core\)/);
    assert.match(text, /\nSubject: hi\n\nhello\n\.dot\n$/);
    c.close();
  });

  it("answers 250 only once the message's synced write is done, and 451 with nothing stored when it fails", async () => {
    // A file system whose durable writes into a maildir wait for a gate after the real write.
    const real = reactor.runtime;
    const gates: { path: string; open(error?: Error): void }[] = [];
    const gated: RuntimeFileSystem = {
      ...real,
      async writeFile(path, data, options) {
        await real.writeFile(path, data, options);
        if (!options?.sync || !path.includes("/alice/tmp/")) return;
        await new Promise<void>((resolve, reject) => {
          gates.push({ path, open: (error) => error ? reject(error) : resolve() });
        });
      },
    };
    const { service } = await mailService({ runtime: gated });
    const alice = join(root, "example.com", "alice");
    const c = new Conversation(service.getESMTPFactory({ timeout: 0 }));
    await c.send("EHLO client");
    for (const fail of [false, true]) {
      await c.send("MAIL FROM:<bob@example.org>");
      await c.send("RCPT TO:<alice@example.com>");
      await c.send("DATA");
      const before = c.t.valueText().length;
      c.p.dataReceived(enc.encode("Subject: hi\r\n\r\nbody\r\n.\r\n"));
      const gate = await until(() => gates.shift());
      for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
      assert.equal(c.t.valueText().slice(before), "", "no reply before the sync is done");
      assert.deepEqual(readdirSync(join(alice, "new")).length, fail ? 1 : 0);
      gate.open(fail ? Object.assign(new Error("EIO: i/o error"), { code: "EIO" }) : undefined);
      const reply = await until(() => c.t.valueText().slice(before));
      assert.match(reply, fail ? /^451 4\.3\.0 / : /^250 2\.0\.0 /);
      assert.equal(readdirSync(join(alice, "new")).length, 1);
      assert.deepEqual(readdirSync(join(alice, "tmp")), []);
    }
    c.close();
  });

  it("answers 250 only once new/ is flushed after the rename, and 451 taking the file back when that fails", async () => {
    const real = reactor.runtime;
    const gates: ((code?: string) => void)[] = [];
    const gated: RuntimeFileSystem = {
      ...real,
      async open(path, options) {
        const file = await real.open!(path, options);
        if (!path.endsWith("/alice/new")) return file;
        return {
          ...file,
          sync: async () => {
            const code = await new Promise<string | undefined>((r) => gates.push(r));
            if (code) throw Object.assign(new Error(`${code}: flush failed`), { code });
            await file.sync();
          },
          close: () => file.close(),
        };
      },
    };
    const { service } = await mailService({ runtime: gated });
    const alice = join(root, "example.com", "alice");
    const c = new Conversation(service.getESMTPFactory({ timeout: 0 }));
    await c.send("EHLO client");
    for (const fail of [false, true]) {
      await c.send("MAIL FROM:<bob@example.org>");
      await c.send("RCPT TO:<alice@example.com>");
      await c.send("DATA");
      const before = c.t.valueText().length;
      c.p.dataReceived(enc.encode("Subject: hi\r\n\r\nbody\r\n.\r\n"));
      const gate = await until(() => gates.shift());
      for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
      assert.equal(c.t.valueText().slice(before), "", "no reply before new/ is flushed");
      assert.equal(readdirSync(join(alice, "new")).length, fail ? 2 : 1, "renamed already");
      gate(fail ? "EIO" : undefined);
      const reply = await until(() => c.t.valueText().slice(before));
      assert.match(reply, fail ? /^451 4\.3\.0 / : /^250 2\.0\.0 /);
      assert.equal(readdirSync(join(alice, "new")).length, 1);
    }
    c.close();
  });

  it("concurrent first deliveries to a new maildir all land", async () => {
    const { domain } = await mailService();
    await domain.addUser("bob", "pw");
    const rcpt = new User(new Address("bob@example.com"), null, null, "a@example.org");
    const makers = await Promise.all(Array.from({ length: 10 }, () => domain.exists(rcpt)));
    await Promise.all(makers.map(async (make, i) => {
      const m = make();
      m.lineReceived(enc.encode(`message ${i}`));
      await m.eomReceived();
    }));
    assert.equal(newMessages(join(root, "example.com", "bob")).length, 10);
  });

  it("refuses a sender without a domain (501) and mail without login when anonymous is off", async () => {
    const { service } = await mailService();
    const c = new Conversation(service.getESMTPFactory({ timeout: 0 }));
    await c.send("EHLO client");
    assert.match(await c.send("MAIL FROM:<bob>"), /^501 /);
    c.close();
    const strict = await mailService({ anonymous: false });
    const d = new Conversation(strict.service.getESMTPFactory({ timeout: 0 }));
    await d.send("EHLO client");
    assert.match(await d.send("MAIL FROM:<bob@example.org>"), /^530 /);
    d.close();
  });

  it("logs domain users in as user@domain (CRAM-MD5) and says ESMTPA", async () => {
    const { service } = await mailService({ anonymous: false });
    const c = new Conversation(service.getESMTPFactory({ timeout: 0 }));
    await c.send("EHLO client");
    assert.match(await cramMD5(c, "alice@example.com", "wrong"), /^535 /);
    assert.match(await cramMD5(c, "alice@example.com", "secret"), /^235 /);
    assert.deepEqual(
      await sendMessage(c, "alice@example.com", ["alice@example.com"], ["x"]),
      ["250", "250", "354", "250"],
    );
    const [text] = newMessages(join(root, "example.com", "alice"));
    assert.match(text, /helo=client auth=alice@example\.com\)/);
    assert.match(text, /with ESMTPA /);
    c.close();
  });

  it("relays for authenticated sessions only, into the queue", async () => {
    const { service } = await mailService();
    service.smtpPortal.registerChecker(new InMemoryUsernamePasswordDatabaseDontUse({ bob: "pw" }));
    const queueDir = join(root, "queue");
    await makeDir(queueDir);
    service.setQueue(new Queue(queueDir));
    service.domains.setDefaultDomain(new DomainQueuer(service));
    const anon = new Conversation(service.getESMTPFactory({ timeout: 0 }));
    await anon.send("EHLO client");
    await anon.send("MAIL FROM:<a@example.org>");
    assert.match(await anon.send("RCPT TO:<x@remote.example>"), /^550 /);
    anon.close();
    const c = new Conversation(service.getESMTPFactory({ timeout: 0 }));
    await c.send("EHLO client");
    assert.match(await cramMD5(c, "bob", "pw"), /^235 /);
    const codes = await sendMessage(c, "bob@example.org", [
      "x@remote.example",
      "y@remote.example",
      "alice@example.com",
    ], ["Subject: out", "", "body"]);
    assert.deepEqual(codes, ["250", "250", "250", "250", "354", "250"]);
    const files = readdirSync(queueDir).sort();
    assert.equal(files.filter((f) => f.endsWith("-D")).length, 2);
    assert.equal(files.filter((f) => f.endsWith("-H")).length, 2);
    const envelopes = files.filter((f) => f.endsWith("-H")).map((f) =>
      JSON.parse(readFileSync(join(queueDir, f), "utf8"))
    );
    assert.deepEqual(envelopes.map((e) => e.to).sort(), ["x@remote.example", "y@remote.example"]);
    assert.equal(envelopes[0].from, "bob@example.org");
    assert.equal(newMessages(join(root, "example.com", "alice")).length, 1);
    c.close();
  });

  it("gives POP3 logins of user@domain the domain's mailbox, and of user the default's", async () => {
    const { service, domain } = await mailService();
    await service.addDomain("", domain);
    const pop3 = service.getPOP3Factory({ timeout: 0 });
    const login = async (user: string, password: string): Promise<string> => {
      const c = new Conversation(pop3);
      await until(() => c.t.valueText().startsWith("+OK"));
      const before = c.t.valueText().length;
      c.p.dataReceived(enc.encode(`USER ${user}\r\nPASS ${password}\r\n`));
      const out = await until(() => {
        const lines = c.t.valueText().slice(before).split("\r\n").filter(Boolean);
        return lines.length >= 2 ? lines[1] : null;
      });
      c.close();
      return out;
    };
    assert.match(await login("alice@example.com", "secret"), /^\+OK/);
    assert.match(await login("alice", "secret"), /^\+OK/);
    // One session per maildrop, whatever name led to it.
    const holder = new Conversation(pop3);
    await until(() => holder.t.valueText().startsWith("+OK"));
    holder.p.dataReceived(enc.encode("USER alice@example.com\r\nPASS secret\r\n"));
    await until(() => holder.t.valueText().split("\r\n").length >= 4);
    assert.match(await login("alice", "secret"), /^-ERR \[IN-USE\]/);
    holder.close();
    assert.match(await login("alice@example.com", "nope"), /^-ERR/);
    assert.match(await login("alice@unknown.example", "secret"), /^-ERR/);
    assert.throws(() => service.lookupPortal("unknown.example"), RangeError);
    assert.throws(() => service.requestAvatar("x", null, IMailbox));
  });
});

async function makeDir(dir: string): Promise<void> {
  const { mkdirSync } = await import("node:fs");
  mkdirSync(dir, { recursive: true });
}

describe("aliases", () => {
  it("loadAliasFile reads names, continuations, comments and includes", async () => {
    const domains = new DomainWithDefaultDict<IDomain>(new Map(), new BounceDomain());
    writeFileSync(join(root, "list"), "carol\n# comment\ndave, erin\n");
    const aliases = await loadAliasFile(domains, "aliases", {
      text: `# comment\nPostmaster: alice, bob\nall: alice,\n\tbob, /var/mail/all,\n` +
        `  |/usr/bin/true -x\nlist: :include:${join(root, "list")}\nbad line\n`,
    });
    assert.deepEqual(Object.keys(aliases), ["postmaster", "all", "list"]);
    assert.equal(aliases.all.length, 4);
    assert.equal(
      String(aliases.all),
      "<AliasGroup [<Address alice>, <Address bob>, <File /var/mail/all>, " +
        "<Process /usr/bin/true -x>]>",
    );
    assert.deepEqual(aliases.list.aliases.map(String), [
      "<Address carol>",
      "<Address dave>",
      "<Address erin>",
    ]);
  });

  it("delivers to users, files and programs through a domain's aliases", async () => {
    const { service, domain } = await mailService();
    const file = join(root, "archive.mbox");
    const piped = join(root, "piped");
    const aliases = await loadAliasFile(service.domains, "aliases", {
      text: `team: alice, ${file}, |/usr/bin/tee ${piped}\nloop1: loop2\nloop2: loop1\n` +
        `chain: team\n`,
      domain: "example.com",
    });
    domain.setAliasGroup(aliases);
    const c = new Conversation(service.getESMTPFactory({ timeout: 0 }));
    await c.send("EHLO client");
    const codes = await sendMessage(c, "bob@example.org", ["chain@example.com"], [
      "Subject: team",
      "",
      "all of you",
    ]);
    assert.deepEqual(codes, ["250", "250", "354", "250"]);
    const [text] = newMessages(join(root, "example.com", "alice"));
    assert.match(text, /Subject: team\n\nall of you\n$/);
    assert.match(readFileSync(file, "utf8"), /Subject: team\n\nall of you\n$/);
    assert.match(readFileSync(piped, "utf8"), /Subject: team\n\nall of you\n$/);
    // A loop leads nowhere: the message is refused, nothing is stored.
    const loop = await sendMessage(c, "bob@example.org", ["loop1@example.com"], ["x"]);
    assert.deepEqual(loop, ["250", "250", "354", "550"]);
    c.close();
  });

  it("AddressAlias follows other aliases and AliasGroup resolves each target", async () => {
    const { service, domain } = await mailService();
    const a = new AddressAlias("team", service.domains, "boss@example.com");
    const aliases = { team: new AliasGroup(["alice"], service.domains, "team@example.com") };
    domain.setAliasGroup(aliases);
    const message = await a.resolve(aliases);
    assert.ok(message !== null);
    message.lineReceived(enc.encode("hello"));
    await message.eomReceived();
    assert.equal(newMessages(join(root, "example.com", "alice")).length, 1);
    const nowhere = new AddressAlias("ghost", service.domains, "boss@example.com");
    assert.equal(await nowhere.resolve(aliases), null);
  });

  it("a failing program fails the message", async () => {
    const { service, domain } = await mailService();
    domain.setAliasGroup(
      await loadAliasFile(service.domains, "a", {
        text: "fail: |/bin/false\n",
        domain: "example.com",
      }),
    );
    const c = new Conversation(service.getESMTPFactory({ timeout: 0 }));
    await c.send("EHLO client");
    const codes = await sendMessage(c, "bob@example.org", ["fail@example.com"], ["x"]);
    assert.deepEqual(codes, ["250", "250", "354", "451"]);
    c.close();
  });
});

describe("generateBounce", () => {
  it("writes an RFC 3464 report with the message returned", () => {
    const [from, to, bytes] = generateBounce("Subject: hi\n\nbody\n", "a@example.com", "b@x.org", {
      status: "5.1.1",
      diagnostic: "550 5.1.1 No such user",
      reportingMTA: "mx.test",
      now: new Date(0),
      arrivalDate: new Date(0),
    });
    const text = dec.decode(bytes);
    assert.equal(from, "");
    assert.equal(to, "a@example.com");
    assert.match(text, /^From: Mail Delivery System <postmaster@x\.org>\nTo: a@example\.com\n/);
    assert.match(
      text,
      /Content-Type: multipart\/report; report-type=delivery-status;\n\tboundary="/,
    );
    assert.match(
      text,
      /\nContent-Type: message\/delivery-status\n\nReporting-MTA: dns; mx\.test\n/,
    );
    assert.match(text, /Arrival-Date: Thu, 01 Jan 1970 00:00:00 \+0000\n\n/);
    assert.match(text, /Final-Recipient: rfc822; b@x\.org\nAction: failed\nStatus: 5\.1\.1\n/);
    assert.match(text, /Diagnostic-Code: smtp; 550 5\.1\.1 No such user\n/);
    assert.match(text, /Content-Type: message\/rfc822\n\nSubject: hi\n\nbody\n\n--.*--\n$/);
  });

  it("returns only the header of a large message", () => {
    const big = "Subject: big\n\n" + "x".repeat(20000) + "\n";
    const text = dec.decode(generateBounce(big, "a@example.com", "b@x.org")[2]);
    assert.match(text, /Content-Type: text\/rfc822-headers\n\nSubject: big\n\n--/);
    assert.ok(!text.includes("xxxx"));
  });
});

describe("SmartHostSMTPRelayingManager", () => {
  async function queued(queue: Queue, from: string, to: string): Promise<string> {
    const m = queue.createNewMessage({ from, to });
    for (const l of ["Subject: relayed", "", "body"]) m.lineReceived(enc.encode(l));
    await m.eomReceived();
    return m.name;
  }

  async function setup(send: RelaySend, extra: Record<string, unknown> = {}) {
    const { service } = await mailService();
    const dir = join(root, "queue");
    await makeDir(dir);
    const clock = new Clock();
    clock.advance(1_000_000);
    const queue = new Queue(dir, { now: () => clock.seconds() * 1000 });
    const manager = new SmartHostSMTPRelayingManager(queue, {
      send,
      clock,
      hostname: "mx.test",
      domains: service.domains,
      ...extra,
    });
    return { service, dir, clock, queue, manager };
  }

  it("removes a delivered message from the queue", async () => {
    const sent: [string, string, string][] = [];
    const { dir, queue, manager } = await setup((from, to, bytes) => {
      sent.push([from, to, dec.decode(bytes)]);
      return Promise.resolve([1, [[to, 250, "OK"]]]);
    });
    await queued(queue, "alice@example.com", "bob@remote.example");
    await manager.checkState();
    assert.deepEqual(sent, [[
      "alice@example.com",
      "bob@remote.example",
      "Subject: relayed\n\nbody\n",
    ]]);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("retries temporary failures with a doubling delay, then bounces", async () => {
    let calls = 0;
    const { dir, clock, queue, manager } = await setup(() => {
      calls++;
      return Promise.reject(new SMTPClientError(451, "4.3.0 Try later"));
    }, { retryDelay: 60, maxRetryDelay: 3600, giveUpAfter: 400 });
    const name = await queued(queue, "alice@example.com", "bob@remote.example");
    await manager.checkState();
    assert.equal(calls, 1);
    let env = await queue.getEnvelope(name);
    assert.equal(env.attempts, 1);
    assert.equal(env.nextAttempt, 1_000_060_000);
    assert.equal(env.lastError, "451 4.3.0 Try later");
    await manager.checkState();
    assert.equal(calls, 1, "not before the retry time");
    clock.advance(60);
    await manager.checkState();
    assert.equal(calls, 2);
    env = await queue.getEnvelope(name);
    assert.equal(env.nextAttempt, 1_000_180_000, "twice the delay");
    clock.advance(120);
    await manager.checkState();
    clock.advance(240);
    await manager.checkState();
    assert.equal(calls, 4);
    // Given up: the bounce went to alice's maildir (a local domain), the queue is empty.
    assert.deepEqual(readdirSync(dir), []);
    const [bounce] = newMessages(join(root, "example.com", "alice"));
    assert.match(
      bounce,
      /Final-Recipient: rfc822; bob@remote\.example\nAction: failed\nStatus: 4\.4\.7/,
    );
  });

  it("bounces a permanent failure at once; a bounce to a remote sender is queued", async () => {
    const sent: string[] = [];
    const { dir, queue, manager } = await setup((from, to) => {
      sent.push(`${from}->${to}`);
      if (from === "") return Promise.resolve([1, [[to, 250, "OK"]]]);
      return Promise.resolve([0, [[to, 550, "5.1.1 No such user"]]]);
    });
    await queued(queue, "carol@remote.example", "bob@other.example");
    await manager.checkState();
    const files = readdirSync(dir);
    assert.equal(files.length, 2, "the bounce is queued");
    await manager.checkState();
    assert.deepEqual(sent, ["carol@remote.example->bob@other.example", "->carol@remote.example"]);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("drops an undeliverable bounce instead of bouncing it", async () => {
    const { dir, queue, manager } = await setup(() =>
      Promise.resolve([0, [["x", 550, "5.1.1 No such user"]]])
    );
    await queued(queue, "", "carol@remote.example");
    await manager.checkState();
    assert.deepEqual(readdirSync(dir), []);
  });

  it("uses at most maxConnections at once", async () => {
    let inFlight = 0;
    let most = 0;
    const { queue, manager } = await setup(async (_f, to) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return [1, [[to, 250, "OK"]]];
    }, { maxConnections: 2 });
    for (let i = 0; i < 5; i++) await queued(queue, "a@example.com", `r${i}@remote.example`);
    while (queue.hasWaiting()) await manager.checkState();
    assert.equal(most, 2);
  });

  it("stop() cancels an attempt in progress; the message waits as it was", async () => {
    let cancelled = 0;
    let started = 0;
    const { queue, manager } = await setup(() => {
      started++;
      return new Deferred<SendResult>(() => cancelled++);
    });
    const name = await queued(queue, "alice@example.com", "bob@remote.example");
    const running = manager.checkState();
    await until(() => started === 1);
    manager.stop();
    await running;
    assert.equal(cancelled, 1);
    assert.deepEqual(queue.getWaiting(), [name]);
    assert.equal((await queue.getEnvelope(name)).attempts, 0);
  });

  it("DomainQueuer refuses unauthenticated sessions and addresses without a domain", () => {
    const service = { queue: new Queue(root) };
    const user = (to: string, from: string) => new User(new Address(to), null, null, from);
    assert.throws(() => new DomainQueuer(service).exists(user("b@x.org", "a@y.org")), SMTPBadRcpt);
    const authed = new DomainQueuer(service, true);
    assert.equal(typeof authed.exists(user("b@x.org", "a@y.org")), "function");
    assert.throws(() => authed.exists(user("b@x.org", "")), SMTPBadRcpt);
  });
});

describe("bad input and the small parts", () => {
  it("loadAliasFile survives any text", async () => {
    const domains = new DomainWithDefaultDict<IDomain>(new Map(), new BounceDomain());
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (text) => {
        const aliases = await loadAliasFile(domains, "fuzz", { text });
        for (const group of Object.values(aliases)) assert.ok(group.length >= 0);
      }),
      { numRuns: 200 },
    );
  });

  it("Queue ignores foreign files and reports a broken envelope", async () => {
    const dir = join(root, "q");
    await makeDir(dir);
    writeFileSync(join(dir, "../../etc-D"), "x");
    writeFileSync(join(dir, "notes.txt"), "x");
    writeFileSync(join(dir, "bad-D"), "x");
    writeFileSync(join(dir, "bad-H"), "{not json");
    const queue = new Queue(dir);
    await queue.readDirectory();
    assert.deepEqual(queue.getWaiting(), ["bad"]);
    await assert.rejects(queue.getEnvelope("bad"), SyntaxError);
    const manager = new SmartHostSMTPRelayingManager(queue, {
      send: () => Promise.reject(new Error("not called")),
      clock: new Clock(),
    });
    await manager.checkState();
    assert.deepEqual(queue.getWaiting(), ["bad"]);
  });

  it("a dropped queue message leaves no file", async () => {
    const dir = join(root, "q");
    await makeDir(dir);
    const queue = new Queue(dir);
    const m = queue.createNewMessage({ from: "a@x.org", to: "b@y.org" });
    m.lineReceived(enc.encode("partial"));
    m.connectionLost();
    assert.deepEqual(readdirSync(dir), []);
  });

  it("MultiWrapper fails when one part fails; PendingMessage forwards early lines", async () => {
    const got: string[] = [];
    const ok = {
      lineReceived: (l: Uint8Array) => void got.push(dec.decode(l)),
      eomReceived: () => "ok",
      connectionLost: () => {},
    };
    const bad = { ...ok, eomReceived: () => Promise.reject(new Error("disk full")) };
    await assert.rejects(new MultiWrapper([ok, bad]).eomReceived(), /disk full/);
    const pending = new PendingMessage(async () => {
      await new Promise((r) => setTimeout(r, 2));
      return ok;
    });
    pending.lineReceived(enc.encode("one"));
    pending.lineReceived(enc.encode("two"));
    assert.equal(await pending.eomReceived(), "ok");
    assert.deepEqual(got, ["one", "two"]);
    let lost = 0;
    const dropped = new PendingMessage(() =>
      Promise.resolve({ ...ok, connectionLost: () => lost++ })
    );
    dropped.connectionLost();
    await new Promise((r) => setTimeout(r, 2));
    assert.equal(lost, 1);
    await assert.rejects(
      new PendingMessage(() => Promise.resolve(null)).eomReceived(),
      SMTPBadRcpt,
    );
  });

  it("MessageWrapper kills a program that does not finish in time", async () => {
    const clock = new Clock();
    const signals: string[] = [];
    const written: string[] = [];
    const protocol = new ProcessProtocol();
    protocol.transport = {
      write: (d: Uint8Array) => void written.push(dec.decode(d)),
      closeStdin: () => void written.push("<eof>"),
      signalProcess: (s: string) => void signals.push(s),
    } as unknown as ProcessProtocol["transport"];
    const wrapper = new MessageWrapper(protocol, "/usr/bin/slow", clock);
    wrapper.lineReceived(enc.encode("hello"));
    const done = wrapper.eomReceived();
    clock.advance(59);
    assert.deepEqual(signals, []);
    clock.advance(1);
    await assert.rejects(done, ProcessAliasTimeout);
    assert.deepEqual(signals, ["KILL"]);
    assert.deepEqual(written, ["hello\n", "<eof>"]);
  });

  it("FileMonitoringService calls back when the file changes, on its clock", async () => {
    const clock = new Clock();
    const file = join(root, "watched");
    writeFileSync(file, "one");
    const monitor = new FileMonitoringService({ clock });
    const changed: string[] = [];
    await monitor.monitorFile(file, (name) => changed.push(name), 5);
    monitor.startService();
    writeFileSync(file, "two");
    const { utimesSync } = await import("node:fs");
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    clock.advance(5);
    await until(() => changed.length === 1);
    clock.advance(5);
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(changed, [file]);
    monitor.unmonitorFile(file);
    monitor.stopService();
  });

  it("counts a transport that is TLS from the start as secure (SMTPS): PLAIN offered", async () => {
    const { service } = await mailService();
    const c = new Conversation(service.getESMTPFactory({ timeout: 0 }));
    assert.doesNotMatch(await c.send("EHLO client"), /AUTH .*PLAIN/);
    c.close();
    const secure = new Conversation(service.getESMTPFactory({ timeout: 0 }), true);
    assert.match(await secure.send("EHLO client"), /AUTH CRAM-MD5 PLAIN LOGIN/);
    secure.close();
  });
});
