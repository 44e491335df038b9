// The words service over IRC through StringTransport: registration (PASS, NickServ, SASL
// PLAIN through the portal, CAP 302), 001-005 before the MOTD, 451 and 421, nick checks
// and collisions, JOIN/PART/PRIVMSG/NOTICE/TOPIC/NAMES/LIST/WHO/WHOIS/MODE, message-tags
// relayed only to clients that enabled them, server-time, relayed lines kept within 512
// bytes, 417, and bad input (random bytes, NUL, invalid UTF-8, 2,000 JOINs, no line end).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { setImmediate } from "node:timers";
import { StringTransport } from "../../../src/testing/mod.ts";
import { IPv4Address } from "../../../src/internet/address.ts";
import { Clock } from "../../../src/internet/task.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../../../src/cred/mod.ts";
import {
  Group,
  type IGroup,
  InMemoryWordsRealm,
  IRCFactory,
  type IRCUser,
  type IUser,
  NoSuchGroup,
  NoSuchUser,
  User,
  WordsRealm,
} from "../../../src/words/mod.ts";
import { byteLength, parsemsg } from "../../../src/words/irc/mod.ts";

const enc = new TextEncoder();
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** A realm whose lookups answer a turn later (not kept in memory as far as IRCUser knows). */
class LaterRealm extends WordsRealm {
  #inner = new InMemoryWordsRealm("irc.test");
  #later = <T>(f: () => Promise<T>): Promise<T> => new Promise((r) => setImmediate(() => r(f())));
  itergroups() {
    return this.#later(() => this.#inner.itergroups());
  }
  lookupUser(name: string) {
    return this.#later(() => this.#inner.lookupUser(name));
  }
  lookupGroup(name: string) {
    return this.#later(() => this.#inner.lookupGroup(name));
  }
  addUser(user: IUser) {
    return this.#later(() => this.#inner.addUser(user));
  }
  addGroup(group: IGroup) {
    return this.#later(() => this.#inner.addGroup(group));
  }
}

function server(options: { createGroups?: boolean; later?: boolean } = {}) {
  const realm = options.later ? new LaterRealm("irc.test") : new InMemoryWordsRealm("irc.test");
  realm.createGroupOnRequest = options.createGroups ?? true;
  const users: Record<string, string> = {};
  for (const n of ["alice", "bob", "carol", "dave"]) users[n] = `${n}-pw`;
  const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse(users)]);
  const factory = new IRCFactory(realm, portal);
  const clock = new Clock();
  factory.clock = clock;
  const open = () => {
    const user = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 1)) as IRCUser;
    const transport = new StringTransport();
    user.makeConnection(transport);
    const send = async (text: string | Uint8Array) => {
      user.dataReceived(typeof text === "string" ? enc.encode(text) : text);
      await settle();
    };
    const take = (): string[] => {
      const lines = transport.valueText().split("\r\n").filter((l) => l !== "");
      transport.clear();
      return lines;
    };
    return { user, transport, send, take };
  };
  const login = async (nick: string, caps: string[] = []) => {
    const c = open();
    if (caps.length > 0) {
      await c.send(`CAP LS 302\r\nCAP REQ :${caps.join(" ")}\r\nCAP END\r\n`);
    }
    await c.send(`PASS ${nick}-pw\r\nNICK ${nick}\r\nUSER ${nick} 0 * :${nick} R\r\n`);
    const lines = c.take();
    assert.ok(lines.some((l) => l.includes(` 001 ${nick} `)), lines.join("\n"));
    return c;
  };
  return { realm, portal, factory, clock, open, login };
}

const commands = (lines: string[]) => lines.map((l) => parsemsg(l)[1]);

describe("IRCUser registration", () => {
  it("logs in with PASS and sends 001-005 before the MOTD", async () => {
    const { open } = server();
    const c = open();
    await c.send("PASS alice-pw\r\nNICK alice\r\nUSER al 0 * :Alice A\r\n");
    const lines = c.take();
    assert.deepEqual(commands(lines), ["001", "002", "003", "004", "005", "375", "376"]);
    assert.equal(
      lines[0],
      ":irc.test 001 alice :Welcome to the irc.test IRC network, alice!alice@irc.test",
    );
    const [, , isupport] = parsemsg(lines[4]);
    for (const f of ["CHANTYPES=#", "NICKLEN=30", "CASEMAPPING=ascii", "NETWORK=irc.test"]) {
      assert.ok(isupport.includes(f), f);
    }
    assert.equal(c.user.registered, true);
  });

  it("asks NickServ for the password without PASS, as Twisted does", async () => {
    const { open } = server();
    const c = open();
    await c.send("NICK bob\r\nUSER b 0 * :Bob\r\n");
    assert.deepEqual(c.take(), [":NickServ!NickServ@services PRIVMSG bob :Password?"]);
    await c.send("PRIVMSG someone :pw\r\n");
    assert.match(c.take()[0], /Denied/);
    await c.send("PRIVMSG NickServ :bob-pw\r\n");
    assert.equal(commands(c.take())[0], "001");
  });

  it("refuses a wrong password with 464 and closes", async () => {
    const { open } = server();
    const c = open();
    await c.send("PASS nope\r\nNICK carol\r\nUSER c 0 * :C\r\n");
    const lines = c.take();
    assert.equal(lines[0], ":irc.test 464 carol :Password incorrect");
    assert.equal(c.transport.disconnecting, true);
  });

  it("answers 451 before registration, 421 for unknown commands, and PONG server :token", async () => {
    const { open, login } = server();
    const c = open();
    await c.send("JOIN #a\r\nPING :tok\r\n");
    assert.deepEqual(c.take(), [
      ":irc.test 451 * :You have not registered",
      ":irc.test PONG irc.test :tok",
    ]);
    const a = await login("alice");
    await a.send("FROB x\r\nfrob\r\nJOIN_X\r\n");
    assert.deepEqual(a.take(), [
      ":irc.test 421 alice FROB :Unknown command",
      ":irc.test 421 alice FROB :Unknown command",
      ":irc.test 421 alice JOIN_X :Unknown command",
    ]);
  });

  it("checks nicks: 432 for bad ones, 433 for one in use, 484 for changes after login", async () => {
    const { open, login } = server();
    const a = await login("alice");
    const c = open();
    await c.send("NICK 1bad\r\nNICK " + "x".repeat(31) + "\r\nNICK alice\r\nNICK ALICE\r\n");
    assert.deepEqual(commands(c.take()), ["432", "432", "433", "433"]);
    await a.send("NICK other\r\n");
    assert.deepEqual(commands(a.take()), ["484"]);
  });

  it("negotiates CAP 302 and logs in with SASL PLAIN through the portal", async () => {
    const { open } = server();
    const c = open();
    await c.send("CAP LS 302\r\nNICK dave\r\nUSER d 0 * :D\r\n");
    assert.deepEqual(c.take(), [":irc.test CAP * LS :message-tags server-time sasl=PLAIN"]);
    await c.send("CAP REQ :sasl server-time bogus\r\n");
    assert.deepEqual(c.take(), [":irc.test CAP dave NAK :sasl server-time bogus"]);
    await c.send("CAP REQ :sasl server-time\r\nAUTHENTICATE EXTERNAL\r\n");
    assert.deepEqual(commands(c.take()), ["CAP", "908", "904"]);
    await c.send(`AUTHENTICATE PLAIN\r\n`);
    assert.deepEqual(c.take(), ["AUTHENTICATE +"]);
    await c.send(`AUTHENTICATE ${btoa("\0dave\0wrong")}\r\n`);
    assert.deepEqual(commands(c.take()), ["904"]);
    await c.send(`AUTHENTICATE PLAIN\r\nAUTHENTICATE ${btoa("dave\0dave\0dave-pw")}\r\n`);
    assert.deepEqual(c.take().slice(1), [
      ":irc.test 900 dave dave!dave@irc.test dave :You are now logged in as dave",
      ":irc.test 903 dave :SASL authentication successful",
    ]);
    await c.send("CAP LIST\r\nCAP END\r\n");
    const lines = c.take();
    assert.equal(lines[0], ":irc.test CAP dave LIST :sasl server-time");
    assert.equal(commands(lines)[1], "001");
    assert.equal(c.user.account, "dave");
  });

  it("refuses SASL for another nick (902), aborts (906), and bounds the payload (905)", async () => {
    const { open } = server();
    const c = open();
    await c.send("CAP LS 302\r\nCAP REQ :sasl\r\nNICK dave\r\nUSER d 0 * :D\r\n");
    c.take();
    await c.send(`AUTHENTICATE PLAIN\r\nAUTHENTICATE ${btoa("\0alice\0alice-pw")}\r\n`);
    assert.deepEqual(commands(c.take()), ["AUTHENTICATE", "902", "904"]);
    await c.send("AUTHENTICATE PLAIN\r\nAUTHENTICATE *\r\n");
    assert.deepEqual(commands(c.take()), ["AUTHENTICATE", "906"]);
    await c.send("AUTHENTICATE PLAIN\r\n" + `AUTHENTICATE ${"A".repeat(400)}\r\n`.repeat(11));
    assert.deepEqual(commands(c.take()), ["AUTHENTICATE", "905"]);
    assert.equal(c.user.registered, false);
  });

  it("keeps the nick of the SASL account: NICK for another name is refused with 902", async () => {
    const { open } = server();
    const c = open();
    await c.send("CAP LS 302\r\nCAP REQ :sasl\r\n");
    await c.send(`AUTHENTICATE PLAIN\r\nAUTHENTICATE ${btoa("\0dave\0dave-pw")}\r\n`);
    c.take();
    await c.send("NICK alice\r\nNICK Dave\r\nUSER d 0 * :D\r\nCAP END\r\n");
    const lines = c.take();
    assert.deepEqual(commands(lines).slice(0, 2), ["902", "001"]);
    assert.match(lines[1], /^:irc\.test 001 Dave /);
  });

  it("formats Twisted's IRC server helpers: sendMessage, sendCommand with tags, names, who", () => {
    const { open } = server();
    const { user, take } = open();
    user.sendMessage("NOTICE", "x", ":hello", { prefix: "srv" });
    user.sendCommand("PRIVMSG", ["#c", ":a b"], { prefix: "n!u@h", tags: { "+k": "v w", t: "" } });
    user.names("me", "#c", Array.from({ length: 100 }, (_, i) => `nick${i}`));
    user.who("me", "#c", [["u", "h", "s", "n", "H", 0, "Real Name"]]);
    user.topic("me", "#c", null);
    const lines = take();
    assert.equal(lines[0], ":srv NOTICE x :hello");
    assert.equal(lines[1], "@+k=v\\sw;t :n!u@h PRIVMSG #c :a b");
    const names = lines.filter((l) => l.includes(" 353 "));
    assert.ok(names.length >= 2);
    assert.ok(names.every((l) => byteLength(l) + 2 <= 512));
    assert.equal(names.map((l) => parsemsg(l)[2][3]).join(" ").split(" ").length, 100);
    assert.ok(lines.includes(":irc.test 352 me #c u h s n H :0 Real Name"));
    assert.ok(lines.includes(":irc.test 331 me #c :No topic is set."));
    assert.throws(() => user.sendCommand("PRIVMSG", ["#c", ":a\nb"]), TypeError);
    assert.throws(() => user.sendCommand("BAD CMD", []), TypeError);
  });
});

describe("IRCUser chat", () => {
  it("joins, relays PRIVMSG and NOTICE, parts, and reports topic and names", async () => {
    const { login } = server();
    const a = await login("alice");
    const b = await login("bob");
    await a.send("JOIN #Room\r\n");
    assert.deepEqual(a.take(), [
      ":alice!alice@irc.test JOIN #room",
      ":irc.test 353 alice = #room :alice",
      ":irc.test 366 alice #room :End of /NAMES list",
    ]);
    await a.send("TOPIC #room :hello world\r\n");
    assert.deepEqual(a.take(), [":alice!alice@irc.test TOPIC #room :hello world"]);
    await b.send("JOIN #room\r\n");
    const joined = b.take();
    assert.equal(joined[0], ":bob!bob@irc.test JOIN #room");
    assert.match(joined[1], /^:irc\.test 353 bob = #room :(alice bob|bob alice)$/);
    assert.equal(joined[3], ":irc.test 332 bob #room :hello world");
    assert.match(joined[4], /^:irc\.test 333 bob #room alice \d+$/);
    assert.deepEqual(a.take(), [":bob!bob@irc.test JOIN #room"]);
    await b.send("PRIVMSG #room :hi all\r\nNOTICE #room :psst\r\nPRIVMSG alice :direct\r\n");
    assert.deepEqual(a.take(), [
      ":bob!bob@irc.test PRIVMSG #room :hi all",
      ":bob!bob@irc.test NOTICE #room :psst",
      ":bob!bob@irc.test PRIVMSG alice :direct",
    ]);
    assert.deepEqual(b.take(), []);
    await b.send(
      "PRIVMSG nobody :x\r\nPRIVMSG #nope :x\r\nNOTICE nobody :x\r\nPRIVMSG\r\nPRIVMSG #room\r\n",
    );
    assert.deepEqual(commands(b.take()), ["401", "401", "411", "412"]);
    await b.send("PART #room :bye\r\n");
    assert.deepEqual(b.take(), [":bob!bob@irc.test PART #room :bye"]);
    assert.deepEqual(a.take(), [":bob!bob@irc.test PART #room :bye"]);
    await b.send("PRIVMSG #room :outside\r\nPART #room\r\nTOPIC #room :x\r\n");
    assert.deepEqual(commands(b.take()), ["404", "442", "442"]);
  });

  it("writes what one chunk relays to each member at once, in order, sender's QUIT last", async () => {
    const { login } = server();
    const [a, b, c] = [await login("alice"), await login("bob"), await login("carol")];
    for (const x of [a, b, c]) await x.send("JOIN #room\r\n");
    for (const x of [a, b, c]) x.take();
    const writes = (x: typeof a) => {
      const counted = { n: 0 };
      const write = x.transport.write.bind(x.transport);
      x.transport.write = (data: Uint8Array) => {
        counted.n++;
        write(data);
      };
      return counted;
    };
    const [wa, wb, wc] = [writes(a), writes(b), writes(c)];
    // Nothing waits: the relayed lines are there when dataReceived returns.
    a.user.dataReceived(enc.encode("PRIVMSG #room :one\r\nPRIVMSG bob :two\r\nPING :x\r\n"));
    assert.equal(wb.n, 1);
    assert.equal(wc.n, 1);
    assert.equal(wa.n, 1); // the PONG: the sender is not held
    assert.deepEqual(b.take(), [
      ":alice!alice@irc.test PRIVMSG #room :one",
      ":alice!alice@irc.test PRIVMSG bob :two",
    ]);
    assert.deepEqual(c.take(), [":alice!alice@irc.test PRIVMSG #room :one"]);
    assert.deepEqual(a.take(), [":irc.test PONG irc.test :x"]);
    // The last line ends the sender: its ERROR comes before the close, the relay still goes out.
    a.user.dataReceived(enc.encode("PRIVMSG #room :three\r\nQUIT :bye\r\n"));
    assert.deepEqual(a.take(), ["ERROR :Closing Link: alice (bye)"]);
    assert.equal(a.transport.disconnecting, true);
    assert.deepEqual(c.take(), [":alice!alice@irc.test PRIVMSG #room :three"]);
    // Later output to a client (not while another's input is handled) is written at once.
    const before = wb.n;
    b.user.sendLine(":irc.test NOTICE bob :now");
    assert.equal(wb.n, before + 1);
  });

  it("relays in order through a realm that answers later", async () => {
    const { login } = server({ later: true });
    const a = await login("alice");
    const b = await login("bob");
    await a.send("JOIN #room\r\n");
    await b.send("JOIN #room\r\n");
    a.take();
    b.take();
    await a.send("PRIVMSG #room :one\r\nPRIVMSG bob :two\r\nPRIVMSG #room :three\r\n");
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(b.take(), [
      ":alice!alice@irc.test PRIVMSG #room :one",
      ":alice!alice@irc.test PRIVMSG bob :two",
      ":alice!alice@irc.test PRIVMSG #room :three",
    ]);
    await a.send("PRIVMSG #nope :x\r\nPRIVMSG nobody :x\r\n");
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(commands(a.take()), ["401", "401"]);
  });

  it("lists with #, answers WHO, WHOIS and MODE", async () => {
    const { login } = server();
    const a = await login("alice");
    await a.send("JOIN #one,#two\r\n");
    a.take();
    await a.send("LIST\r\n");
    assert.deepEqual(a.take(), [
      ":irc.test 321 alice Channel :Users  Name",
      ":irc.test 322 alice #one 1 :",
      ":irc.test 322 alice #two 1 :",
      ":irc.test 323 alice :End of /LIST",
    ]);
    await a.send(
      "WHO #one\r\nWHOIS alice\r\nWHOIS ghost\r\nMODE #one\r\nMODE #one +m\r\nMODE alice\r\nMODE bob\r\n",
    );
    assert.deepEqual(commands(a.take()), [
      "352",
      "315",
      "311",
      "312",
      "317",
      "319",
      "318",
      "401",
      "318",
      "324",
      "472",
      "221",
      "502",
    ]);
  });

  it("relays client tags only to clients with message-tags, and adds server-time", async () => {
    const { login } = server();
    const a = await login("alice", ["message-tags", "server-time"]);
    const b = await login("bob");
    const c = await login("carol", ["server-time"]);
    for (const x of [a, b, c]) await x.send("JOIN #t\r\n");
    for (const x of [a, b, c]) x.take();
    await b.send("@+draft/react=👍;secret=x PRIVMSG #t :tagged\r\n");
    const [line] = a.take();
    const [, , params, tags] = parsemsg(line);
    assert.deepEqual(params, ["#t", "tagged"]);
    assert.equal(tags["+draft/react"], "👍");
    assert.equal(tags.secret, undefined);
    assert.match(tags.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const [cline] = c.take();
    assert.ok(cline.startsWith("@time="), cline);
    assert.ok(!cline.includes("draft"));
  });

  it("answers 417 for lines over 512 bytes and never relays more than 512", async () => {
    const { login } = server();
    const a = await login("alice");
    const b = await login("bob");
    await a.send("JOIN #t\r\n");
    await b.send("JOIN #t\r\n");
    a.take();
    b.take();
    await b.send(`PRIVMSG #t :${"x".repeat(600)}\r\n`);
    assert.deepEqual(b.take(), [":irc.test 417 bob :Input line was too long"]);
    assert.deepEqual(a.take(), []);
    const head = "PRIVMSG #t :";
    const text = "é".repeat(Math.floor((510 - head.length) / 2));
    await b.send(`${head}${text}\r\n`);
    const [relayed] = a.take();
    assert.ok(byteLength(relayed) + 2 <= 512, String(byteLength(relayed)));
    assert.ok(!relayed.includes("\uFFFD"));
    await b.send(`@+a=${"y".repeat(4100)} PRIVMSG #t :x\r\n`);
    assert.deepEqual(commands(b.take()), ["417"]);
  });
});

describe("IRCUser bad input", () => {
  it("keeps invalid or split UTF-8, ignores blank, NUL and prefix-only lines", async () => {
    const { login } = server();
    const a = await login("alice");
    const b = await login("bob");
    await a.send("JOIN #t\r\n");
    await b.send("JOIN #t\r\n");
    a.take();
    b.take();
    await b.send(new Uint8Array([...enc.encode("PRIVMSG #t :caf"), 0xe9, 13, 10]));
    const euro = enc.encode("PRIVMSG #t :€\r\n");
    await b.send(euro.slice(0, 13));
    await b.send(euro.slice(13));
    await b.send("\r\n   \r\n:prefix-only\r\nPRIVMSG #t :a\0b\r\n\n\n");
    assert.deepEqual(a.take(), [
      ":bob!bob@irc.test PRIVMSG #t :café",
      ":bob!bob@irc.test PRIVMSG #t :€",
    ]);
    assert.equal(b.transport.disconnecting, false);
  });

  it("drops a client that stops reading once its SendQ passes 1 MiB, and keeps relaying", async () => {
    const { login, factory } = server();
    const a = await login("alice");
    const b = await login("bob");
    class Stuck extends StringTransport {
      bufferedAmount = 0;
    }
    const carol = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 2)) as IRCUser;
    const stuck = new Stuck();
    carol.makeConnection(stuck);
    carol.dataReceived(enc.encode("PASS carol-pw\r\nNICK carol\r\nUSER c 0 * :C\r\n"));
    await settle();
    for (const x of [a, b]) await x.send("JOIN #t\r\n");
    carol.dataReceived(enc.encode("JOIN #t\r\n"));
    await settle();
    a.take();
    stuck.bufferedAmount = 2 << 20;
    await b.send("PRIVMSG #t :one\r\nPRIVMSG #t :two\r\n");
    assert.equal(stuck.disconnecting, true);
    assert.deepEqual(a.take().filter((l) => l.includes("PRIVMSG")), [
      ":bob!bob@irc.test PRIVMSG #t :one",
      ":bob!bob@irc.test PRIVMSG #t :two",
    ]);
  });

  it("closes a connection that does not log in within 60 s, and PINGs then drops a silent client", async () => {
    const { open, login, clock } = server();
    const idle = open();
    clock.advance(59);
    assert.equal(idle.transport.disconnecting, false);
    clock.advance(1);
    assert.deepEqual(idle.take(), ["ERROR :Closing Link: * (Registration timed out)"]);
    assert.equal(idle.transport.disconnecting, true);
    const a = await login("alice");
    clock.advance(119);
    await a.send("PING :x\r\n");
    a.take();
    clock.advance(119);
    assert.deepEqual(a.take(), []);
    clock.advance(1);
    assert.deepEqual(a.take(), ["PING :irc.test"]);
    await a.send("PONG :irc.test\r\n");
    clock.advance(120);
    assert.deepEqual(a.take(), ["PING :irc.test"]);
    clock.advance(120);
    assert.deepEqual(a.take(), ["ERROR :Closing Link: alice (Ping timeout: 120 seconds)"]);
    assert.equal(a.transport.disconnecting, true);
  });

  it("closes after 16 KiB without a line end", async () => {
    const { login } = server();
    const a = await login("alice");
    await a.send("x".repeat(10000));
    assert.equal(a.transport.disconnecting, false);
    await a.send("x".repeat(7000));
    assert.equal(a.transport.disconnecting, true);
  });

  it("handles 2,000 JOINs at once in order and still answers PING", async () => {
    const { login } = server();
    const a = await login("alice");
    const b = await login("bob");
    let burst = "";
    for (let i = 0; i < 2000; i++) burst += `JOIN #c${i}\r\n`;
    a.user.dataReceived(enc.encode(burst + "PING :last\r\n"));
    await b.send("PING :other\r\n");
    assert.deepEqual(b.take(), [":irc.test PONG irc.test :other"]);
    for (let i = 0; i < 200 && !a.transport.valueText().includes("PONG"); i++) await settle();
    const lines = a.take();
    assert.equal(lines.at(-1), ":irc.test PONG irc.test :last");
    assert.equal(lines.filter((l) => l.includes(" 405 ")).length, 1900);
    assert.equal([...a.user.avatar!.itergroups()].length, 100);
  });

  it("survives random bytes before and after login", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }),
        async (chunks) => {
          const { login, open } = server();
          const a = await login("alice");
          const c = open();
          for (const chunk of chunks) {
            a.user.dataReceived(chunk);
            c.user.dataReceived(chunk);
          }
          await settle();
          if (!a.transport.disconnecting) {
            a.take();
            await a.send("\r\nPING :alive\r\n");
            assert.ok(a.take().includes(":irc.test PONG irc.test :alive"));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("words realm", () => {
  it("creates, looks up and refuses duplicates, as Twisted's InMemoryWordsRealm", async () => {
    const realm = new InMemoryWordsRealm("x");
    const g = await realm.createGroup("Lobby");
    assert.ok(g instanceof Group);
    assert.equal((await realm.lookupGroup("LOBBY")).name, "lobby");
    await assert.rejects(realm.createGroup("lobby"), { name: "DuplicateGroup" });
    await assert.rejects(realm.lookupGroup("none"), NoSuchGroup);
    await assert.rejects(realm.getGroup("none"), NoSuchGroup);
    realm.createGroupOnRequest = true;
    assert.equal((await realm.getGroup("new")).name, "new");
    const u = await realm.getUser("Zed");
    assert.ok(u instanceof User);
    assert.equal(u.name, "zed");
    await assert.rejects(realm.lookupUser("nobody"), NoSuchUser);
    realm.createUserOnRequest = false;
    await assert.rejects(realm.getUser("other"), NoSuchUser);
  });

  it("drops a client whose receive throws or rejects; the others still get the message", async () => {
    const group = new Group("lobby");
    const got: string[] = [];
    const client = (name: string, receive: () => void | Promise<void>) => ({
      name,
      receive(_s: unknown, _r: unknown, m: { text?: string }) {
        got.push(`${name}:${m.text}`);
        return receive();
      },
      groupMetaUpdate() {},
      userJoined() {},
      userLeft() {},
    });
    const sender = client("s", () => {});
    await group.add(sender);
    await group.add(client("thrower", () => {
      throw new Error("boom");
    }));
    await group.add(client("rejecter", () => Promise.reject(new Error("later"))));
    await group.add(client("ok", () => {}));
    await group.receive(sender, group, { text: "hi" });
    await settle();
    assert.deepEqual(got.sort(), ["ok:hi", "rejecter:hi", "thrower:hi"]);
    assert.deepEqual([...group.users.keys()], ["s", "ok"]);
  });

  it("refuses a second login of the same user (AlreadyLoggedIn)", async () => {
    const { login, open } = server();
    await login("alice");
    const c = open();
    await c.send("PASS alice-pw\r\nNICK alice\r\nUSER a 0 * :A\r\n");
    assert.deepEqual(commands(c.take()), ["433"]);
  });
});
