// IRCClient through StringTransport and Clock: registration, CAP 302, SASL PLAIN and its
// failures, nick collisions, events and their tags, CTCP (and its reply limit), modes,
// pacing, splitting by bytes, the heartbeat, and bad input from a server.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { StringTransport } from "../../../src/testing/mod.ts";
import { Clock } from "../../../src/internet/task.ts";
import {
  byteLength,
  IRCClient,
  saslPrep,
  ScramSha256Client,
  type Tags,
} from "../../../src/words/irc/mod.ts";

const enc = new TextEncoder();

class Recorder extends IRCClient {
  events: unknown[][] = [];
  override signedOn(): void {
    this.events.push(["signedOn"]);
  }
  override privmsg(user: string, channel: string, message: string, tags: Tags): void {
    this.events.push(["privmsg", user, channel, message, tags]);
  }
  override noticed(user: string, channel: string, message: string, tags: Tags): void {
    this.events.push(["noticed", user, channel, message, tags]);
  }
  override action(user: string, channel: string, data: string, tags: Tags): void {
    this.events.push(["action", user, channel, data, tags]);
  }
  override joined(channel: string): void {
    this.events.push(["joined", channel]);
  }
  override left(channel: string): void {
    this.events.push(["left", channel]);
  }
  override userJoined(user: string, channel: string): void {
    this.events.push(["userJoined", user, channel]);
  }
  override userLeft(user: string, channel: string): void {
    this.events.push(["userLeft", user, channel]);
  }
  override userQuit(user: string, message: string): void {
    this.events.push(["userQuit", user, message]);
  }
  override userRenamed(oldname: string, newname: string): void {
    this.events.push(["userRenamed", oldname, newname]);
  }
  override userKicked(kickee: string, channel: string, kicker: string, message: string): void {
    this.events.push(["userKicked", kickee, channel, kicker, message]);
  }
  override kickedFrom(channel: string, kicker: string, message: string): void {
    this.events.push(["kickedFrom", channel, kicker, message]);
  }
  override modeChanged(
    user: string,
    channel: string,
    set: boolean,
    modes: string,
    args: (string | null)[],
  ): void {
    this.events.push(["modeChanged", user, channel, set, modes, args]);
  }
  override topicUpdated(user: string, channel: string, topic: string): void {
    this.events.push(["topicUpdated", user, channel, topic]);
  }
  override receivedMOTD(motd: string[]): void {
    this.events.push(["motd", motd]);
  }
  override pong(user: string, secs: number): void {
    this.events.push(["pong", user, secs]);
  }
  override saslFailed(code: string, message: string): void {
    this.events.push(["saslFailed", code, message]);
    super.saslFailed(code, message);
  }
  override irc_unknown(prefix: string, command: string, params: string[]): void {
    this.events.push(["unknown", prefix, command, params]);
  }
}

function connect(setup: (c: Recorder) => void = () => {}) {
  const clock = new Clock();
  const client = new Recorder();
  client.clock = clock;
  client.nickname = "bot";
  setup(client);
  const transport = new StringTransport();
  client.makeConnection(transport);
  const send = (text: string) => client.dataReceived(enc.encode(text));
  const take = (): string[] => {
    const lines = transport.valueText().split("\r\n").filter((l) => l !== "");
    transport.clear();
    return lines;
  };
  return { clock, client, transport, send, take };
}

function signedOn(setup: (c: Recorder) => void = () => {}) {
  const c = connect(setup);
  c.send(":srv CAP * LS :server-time message-tags multi-prefix\r\n");
  c.send(":srv CAP bot ACK :server-time message-tags multi-prefix\r\n");
  c.send(":srv 001 bot :Welcome\r\n");
  c.take();
  c.client.events = [];
  return c;
}

describe("IRCClient registration and CAP", () => {
  it("sends CAP LS 302, PASS, NICK and USER, then requests offered capabilities", () => {
    const { client, send, take } = connect((c) => {
      c.password = "pw";
      c.realname = "Real Name";
    });
    assert.deepEqual(take(), ["CAP LS 302", "PASS pw", "NICK bot", "USER bot foo bar :Real Name"]);
    send(":srv CAP * LS * :multi-prefix away-notify\r\n");
    assert.deepEqual(take(), []);
    send(":srv CAP * LS :server-time=x message-tags chghost\r\n");
    assert.deepEqual(take(), ["CAP REQ :multi-prefix server-time message-tags"]);
    send(":srv CAP * ACK :multi-prefix server-time message-tags\r\n");
    assert.deepEqual(take(), ["CAP END"]);
    assert.deepEqual([...client.enabledCapabilities].sort(), [
      "message-tags",
      "multi-prefix",
      "server-time",
    ]);
    send(":srv 001 bot :Welcome\r\n");
    assert.deepEqual(client.events, [["signedOn"]]);
    assert.equal(client.registered, true);
    assert.equal(client.hostname, "srv");
    send(":srv CAP bot DEL :server-time\r\n");
    assert.equal(client.enabledCapabilities.has("server-time"), false);
  });

  it("ends negotiation at once when nothing wanted is offered, and signs on without CAP", () => {
    const a = connect();
    a.take();
    a.send(":srv CAP * LS :chghost\r\n");
    assert.deepEqual(a.take(), ["CAP END"]);
    const b = connect();
    b.take();
    b.send(":srv 421 bot CAP :Unknown command\r\n:srv 001 bot :Welcome\r\n");
    assert.deepEqual(b.client.events.map((e) => e[0]), ["unknown", "signedOn"]);
    assert.deepEqual(b.take(), ["CAP END"]);
  });

  it("logs in with SASL PLAIN before CAP END and records the account", () => {
    const { client, send, take } = connect((c) => {
      c.sasl = { mechanism: "PLAIN", username: "alice", password: "secret" };
      c.capabilities = ["server-time"];
    });
    take();
    send(":srv CAP * LS :sasl=PLAIN,EXTERNAL server-time\r\n");
    assert.deepEqual(take(), ["CAP REQ :sasl server-time"]);
    send(":srv CAP * ACK :sasl server-time\r\n");
    assert.deepEqual(take(), ["AUTHENTICATE PLAIN"]);
    send("AUTHENTICATE +\r\n");
    assert.deepEqual(take(), [`AUTHENTICATE ${btoa("alice\0alice\0secret")}`]);
    send(":srv 900 bot bot!u@h alice :You are now logged in as alice\r\n");
    send(":srv 903 bot :SASL authentication successful\r\n");
    assert.deepEqual(take(), ["CAP END"]);
    assert.equal(client.account, "alice");
    send(":srv 001 bot :Welcome\r\n");
    assert.deepEqual(client.events, [["signedOn"]]);
  });

  it("splits a long SASL payload into 400-byte AUTHENTICATE lines", () => {
    const { send, take } = connect((c) => {
      c.sasl = { mechanism: "PLAIN", username: "u", password: "p".repeat(600) };
    });
    take();
    send(":srv CAP * LS :sasl\r\n:srv CAP * ACK :sasl\r\nAUTHENTICATE +\r\n");
    const lines = take().filter((l) => l.startsWith("AUTHENTICATE ") && l !== "AUTHENTICATE PLAIN");
    assert.ok(lines.length >= 2);
    assert.ok(lines.every((l) => l.length <= "AUTHENTICATE ".length + 400));
    assert.equal(
      atob(lines.map((l) => l.slice(13)).join("").replace(/\+$/, "")),
      "u\0u\0" + "p".repeat(600),
    );
  });

  it("calls saslFailed on 904 and never signedOn, quitting by default", () => {
    const { client, transport, send, take } = connect((c) => {
      c.sasl = { mechanism: "PLAIN", username: "alice", password: "bad" };
    });
    take();
    send(":srv CAP * LS :sasl\r\n:srv CAP * ACK :sasl\r\nAUTHENTICATE +\r\n");
    take();
    send(":srv 904 bot :SASL authentication failed\r\n");
    assert.deepEqual(client.events, [["saslFailed", "904", "SASL authentication failed"]]);
    assert.ok(take().includes("QUIT :SASL authentication failed"));
    assert.equal(transport.disconnecting, true);
    send(":srv 001 bot :Welcome\r\n");
    assert.ok(!client.events.some((e) => e[0] === "signedOn"));
  });

  it("fails SASL when the server offers no SASL or no usable mechanism, or skips it", () => {
    const a = connect((c) => (c.sasl = { mechanism: "PLAIN", username: "a", password: "b" }));
    a.send(":srv CAP * LS :server-time\r\n");
    assert.deepEqual(a.client.events, [["saslFailed", "904", "The server does not offer SASL"]]);
    const b = connect((c) => (c.sasl = { mechanism: "PLAIN", username: "a", password: "b" }));
    b.send(":srv CAP * LS :sasl=EXTERNAL\r\n");
    assert.equal(b.client.events[0][1], "908");
    const c = connect((x) => (x.sasl = { mechanism: "PLAIN", username: "a", password: "b" }));
    c.send(":srv 001 bot :Welcome\r\n");
    assert.deepEqual(c.client.events.map((e) => e[0]), ["saslFailed"]);
  });

  it("alters a collided nick before registration, falls back on an erroneous one, and gives up", () => {
    const { client, transport, send, take } = connect();
    take();
    send(":srv 433 * bot :Nickname is already in use\r\n");
    assert.deepEqual(take(), ["NICK bot_"]);
    send(":srv 432 * bot_ :Erroneous nickname\r\n");
    assert.deepEqual(take(), ["NICK defaultnick"]);
    for (let i = 0; i < 30; i++) send(":srv 433 * x :in use\r\n");
    assert.equal(transport.disconnecting, true);
    assert.equal(client.registered, false);
  });

  it("keeps its nick when a NICK change collides after registration", () => {
    const { client, send, take } = signedOn();
    client.setNick("other");
    send(":srv 433 bot other :in use\r\n");
    assert.deepEqual(take(), ["NICK other"]);
    assert.equal(client.nickname, "bot");
    send(":bot!u@h NICK :newbot\r\n");
    assert.equal(client.nickname, "newbot");
  });
});

/** Waits for WebCrypto (which runs off the event loop) until the transport has output. */
const output = async (transport: StringTransport): Promise<void> => {
  // Up to 20 s of yielding: a loaded machine makes PBKDF2 slow, and an empty take() fails the test.
  for (let i = 0; i < 4000 && transport.valueText() === ""; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** The server side of SCRAM-SHA-256, for the tests (RFC 5802 §3). */
async function scramServer(
  password: string,
  clientFirst: string,
  salt: Uint8Array,
  corrupt = false,
) {
  const enc = new TextEncoder();
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
  const hmac = async (key: Uint8Array, data: string) => {
    const k = await crypto.subtle.importKey(
      "raw",
      key as BufferSource,
      {
        name: "HMAC",
        hash: "SHA-256",
      },
      false,
      ["sign"],
    );
    return new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(data)));
  };
  const bare = clientFirst.slice(3);
  const nonce = /r=([^,]+)/.exec(bare)![1] + "srvNonce";
  const serverFirst = `r=${nonce},s=${b64(salt)},i=4096`;
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const salted = new Uint8Array(
    await crypto.subtle.deriveBits(
      {
        name: "PBKDF2",
        hash: "SHA-256",
        salt: salt as BufferSource,
        iterations: 4096,
      },
      key,
      256,
    ),
  );
  return {
    serverFirst,
    async serverFinal(clientFinal: string): Promise<[boolean, string]> {
      const withoutProof = clientFinal.slice(0, clientFinal.indexOf(",p="));
      const proof = Uint8Array.from(
        atob(clientFinal.slice(clientFinal.indexOf(",p=") + 3)),
        (c) => c.charCodeAt(0),
      );
      const auth = `${bare},${serverFirst},${withoutProof}`;
      const clientKey = await hmac(salted, "Client Key");
      const stored = new Uint8Array(await crypto.subtle.digest("SHA-256", clientKey));
      const sig = await hmac(stored, auth);
      const ok = proof.every((b, i) => (b ^ sig[i]) === clientKey[i]);
      const serverSig = await hmac(await hmac(salted, "Server Key"), auth);
      if (corrupt) serverSig[0] ^= 1;
      return [ok, `v=${b64(serverSig)}`];
    },
  };
}

describe("IRCClient SASL SCRAM-SHA-256", () => {
  it("matches RFC 7677's example and applies SASLprep", async () => {
    const scram = new ScramSha256Client("user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    assert.equal(scram.clientFirst(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const final = await scram.clientFinal(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    );
    assert.equal(
      final,
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    );
    assert.equal(scram.verifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), true);
    assert.equal(scram.verifyServerFinal("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), false);
    assert.equal(saslPrep("I\u00ADX"), "IX");
    assert.equal(saslPrep("user\u00A0name"), "user name");
    assert.throws(() => saslPrep("a\u0007b"), RangeError);
    assert.equal(new ScramSha256Client("a=b,c", "p", "n").clientFirst(), "n,,n=a=3Db=2Cc,r=n");
  });

  it("refuses server-first messages with a foreign nonce or an iteration count out of bounds", async () => {
    const s = () => new ScramSha256Client("u", "p", "abc");
    await assert.rejects(s().clientFinal("r=xyz123,s=c2FsdA==,i=4096"), RangeError);
    await assert.rejects(s().clientFinal("r=abc,s=c2FsdA==,i=4096"), RangeError);
    await assert.rejects(s().clientFinal("r=abcd,s=c2FsdA==,i=99999999"), RangeError);
    await assert.rejects(s().clientFinal("r=abcd,s=c2FsdA==,i=10"), RangeError);
    await assert.rejects(s().clientFinal("r=abcd,i=4096"), RangeError);
    await assert.rejects(s().clientFinal("m=x,r=abcd,s=c2FsdA==,i=4096"), RangeError);
  });

  for (const corrupt of [false, true]) {
    it(
      corrupt
        ? "aborts and calls saslFailed when the server's signature is wrong"
        : "logs in with SCRAM-SHA-256 and checks the server's signature",
      async () => {
        const { client, transport, send, take } = connect((c) => {
          c.sasl = { mechanism: "SCRAM-SHA-256", username: "alice", password: "pencil" };
          c.capabilities = [];
        });
        take();
        send(":srv CAP * LS :sasl=PLAIN,SCRAM-SHA-256\r\n:srv CAP * ACK :sasl\r\n");
        assert.deepEqual(take(), ["CAP REQ :sasl", "AUTHENTICATE SCRAM-SHA-256"]);
        send("AUTHENTICATE +\r\n");
        const [first] = take();
        const clientFirst = atob(first.slice(13));
        assert.match(clientFirst, /^n,,n=alice,r=[A-Za-z0-9+/=]+$/);
        const server = await scramServer(
          "pencil",
          clientFirst,
          new Uint8Array([1, 2, 3, 4]),
          corrupt,
        );
        send(`AUTHENTICATE ${btoa(server.serverFirst)}\r\n`);
        await output(transport);
        const [final] = take();
        const [ok, serverFinal] = await server.serverFinal(atob(final.slice(13)));
        assert.equal(ok, true);
        send(`AUTHENTICATE ${btoa(serverFinal)}\r\n`);
        if (corrupt) {
          assert.deepEqual(take().slice(0, 1), ["AUTHENTICATE *"]);
          assert.equal(client.events[0][0], "saslFailed");
          return;
        }
        assert.deepEqual(take(), ["AUTHENTICATE +"]);
        send(":srv 900 alice alice!u@h alice :Logged in\r\n:srv 903 alice :SASL successful\r\n");
        assert.deepEqual(take(), ["CAP END"]);
        send(":srv 001 alice :Welcome\r\n");
        assert.deepEqual(client.events, [["signedOn"]]);
      },
    );
  }
});

describe("IRCClient events", () => {
  it("delivers messages with their tags, actions, notices and membership events", () => {
    const { client, send } = signedOn();
    send("@time=2024-01-02T03:04:05.000Z;+x=a\\sb :al!u@h PRIVMSG #c :hello\r\n");
    send(":al!u@h PRIVMSG bot :\x01ACTION waves\x01\r\n");
    send(":al!u@h NOTICE #c :note\r\n");
    send(":al!u@h JOIN #c\r\n:bot!u@h JOIN :#d\r\n:bot!u@h PART #d :bye\r\n:al!u@h PART #c\r\n");
    send(":al!u@h QUIT :gone\r\n:al!u@h NICK al2\r\n");
    send(":op!u@h KICK #c bob :out\r\n:op!u@h KICK #c BOT :you too\r\n");
    send(
      ":op!u@h TOPIC #c :new topic\r\n:srv 332 bot #c :old topic\r\n:srv 331 bot #e :No topic\r\n",
    );
    send(":srv 375 bot :- motd\r\n:srv 372 bot :- line\r\n:srv 376 bot :End\r\n");
    assert.deepEqual(client.events, [
      ["privmsg", "al!u@h", "#c", "hello", { time: "2024-01-02T03:04:05.000Z", "+x": "a b" }],
      ["action", "al!u@h", "bot", "waves", {}],
      ["noticed", "al!u@h", "#c", "note", {}],
      ["userJoined", "al", "#c"],
      ["joined", "#d"],
      ["left", "#d"],
      ["userLeft", "al", "#c"],
      ["userQuit", "al", "gone"],
      ["userRenamed", "al", "al2"],
      ["userKicked", "bob", "#c", "op", "out"],
      ["kickedFrom", "#c", "op", "you too"],
      ["topicUpdated", "op", "#c", "new topic"],
      ["topicUpdated", "srv", "#c", "old topic"],
      ["topicUpdated", "srv", "#e", ""],
      ["motd", ["- motd", "- line"]],
    ]);
  });

  it("parses MODE with the server's PREFIX and CHANMODES, and ignores bad modes", () => {
    const { client, send } = signedOn();
    send(":srv 005 bot PREFIX=(ov)@+ CHANMODES=b,k,l,imnt :are supported\r\n");
    send(":op!u@h MODE #c +olk-v+n alice 10 key bob\r\n");
    send(":bot MODE bot +i\r\n:op!u@h MODE #c +o\r\n");
    assert.deepEqual(client.events, [
      ["modeChanged", "op!u@h", "#c", true, "olkn", ["alice", "10", "key", null]],
      ["modeChanged", "op!u@h", "#c", false, "v", ["bob"]],
      ["modeChanged", "bot", "bot", true, "i", [null]],
    ]);
    assert.equal(client.supported.getFeature("CHANMODES") !== null, true);
  });

  it("answers CTCP VERSION, PING, TIME and SOURCE, at most once per nick and second", () => {
    const { client, clock, send, take } = signedOn((c) => {
      c.versionName = "twbot";
      c.versionNum = "1.0";
      c.versionEnv = "deno";
    });
    send(":al!u@h PRIVMSG bot :\x01VERSION\x01\r\n");
    assert.deepEqual(take(), ["NOTICE al :\x01VERSION twbot:1.0:deno\x01"]);
    send(":al!u@h PRIVMSG bot :\x01PING 123\x01\r\n");
    assert.deepEqual(take(), []);
    clock.advance(1);
    send(":al!u@h PRIVMSG bot :\x01PING 123\x01\r\n");
    assert.deepEqual(take(), ["NOTICE al :\x01PING 123\x01"]);
    send(":bo!u@h PRIVMSG bot :\x01TIME\x01\r\n");
    // deno-lint-ignore no-control-regex
    assert.match(take()[0], /^NOTICE bo :\x01TIME :Thu, 01 Jan 1970 00:00:01 GMT\x01$/);
    clock.advance(1);
    send(":bo!u@h PRIVMSG bot :\x01SOURCE\x01\x01VERSION\x01\r\n");
    assert.deepEqual(take(), [`NOTICE bo :\x01SOURCE ${client.sourceURL}\x01`]);
    clock.advance(10);
    for (let i = 0; i < 50; i++) send(`:n${i}!u@h PRIVMSG bot :\x01PING x\x01\r\n`);
    assert.equal(take().length, 5); // the burst; the rest are paced, one a second
    assert.equal(client.queuedLines, 45);
    clock.pump(new Array(45).fill(1));
    assert.equal(take().length, 45);
  });

  it("measures a CTCP PING round trip with pong", () => {
    const { client, clock, send, take } = signedOn();
    client.ping("al", "k1");
    assert.deepEqual(take(), ["PRIVMSG al :\x01PING k1\x01"]);
    clock.advance(2.5);
    send(":al!u@h NOTICE bot :\x01PING k1\x01\r\n");
    send(":al!u@h NOTICE bot :\x01PING unknown\x01\r\n");
    assert.deepEqual(client.events, [["pong", "al!u@h", 2.5]]);
  });

  it("answers PING with PONG and sends a heartbeat PING once signed on", () => {
    const { clock, send, take } = signedOn();
    send("PING :token\r\n");
    assert.deepEqual(take(), ["PONG :token"]);
    clock.advance(120);
    assert.deepEqual(take(), ["PING srv"]);
    clock.advance(120);
    assert.deepEqual(take(), ["PING srv"]);
  });
});

describe("IRCClient sending", () => {
  it("formats Twisted's commands", () => {
    const { client, take } = signedOn((c) => (c.lineRate = null));
    client.join("chan");
    client.join("#k", "key");
    client.leave("#k", "bye");
    client.kick("#k", "bob", "out");
    client.topic("#k");
    client.topic("#k", "new topic");
    client.mode("#k", true, "o", { user: "bob" });
    client.mode("#k", true, "l", { limit: 5 });
    client.mode("#k", false, "b", { mask: "*!*@x" });
    client.say("k", "hi");
    client.notice("bob", "psst");
    client.describe("#k", "waves");
    client.whois("bob");
    client.away("lunch");
    client.back();
    client.invite("bob", "#k");
    client.quit("done");
    assert.deepEqual(take(), [
      "JOIN #chan",
      "JOIN #k key",
      "PART #k :bye",
      "KICK #k bob :out",
      "TOPIC #k",
      "TOPIC #k :new topic",
      "MODE #k +o bob",
      "MODE #k +l 5",
      "MODE #k -b *!*@x",
      "PRIVMSG #k :hi",
      "NOTICE bob :psst",
      "PRIVMSG #k :\x01ACTION waves\x01",
      "WHOIS bob",
      "AWAY :lunch",
      "AWAY :",
      "INVITE bob #k",
      "QUIT :done",
    ]);
    assert.throws(() => client.msg("#k", "x", { length: 10 }), RangeError);
    assert.throws(() => client.sendLine("PRIVMSG #k :a\r\nQUIT"), TypeError);
  });

  it("sends client tags only when message-tags is enabled", () => {
    const { client, take } = signedOn();
    client.msg("#c", "hi", { tags: { "+draft/reply": "abc" } });
    assert.deepEqual(take(), ["@+draft/reply=abc PRIVMSG #c :hi"]);
    client.enabledCapabilities.delete("message-tags");
    client.msg("#c", "hi", { tags: { "+draft/reply": "abc" } });
    assert.deepEqual(take(), ["PRIVMSG #c :hi"]);
  });

  it("splits a 7,500-byte multi-byte message into lines that fit 512 bytes once relayed", () => {
    const { client, take } = signedOn((c) => (c.lineRate = null));
    let text = "";
    while (byteLength(text) < 7500) text += "Grüße aus Köln 🙂 ";
    assert.ok(byteLength(text) >= 7500, String(byteLength(text)));
    client.say("#c", text);
    const lines = take();
    assert.ok(lines.length >= 16);
    const relayPrefix = `:${"n".repeat(9)}!${"u".repeat(10)}@${"h".repeat(63)} `;
    for (const line of lines) {
      assert.ok(byteLength(relayPrefix + line) + 2 <= 512, String(byteLength(line)));
      assert.ok(!line.includes("\uFFFD"));
    }
    const back = lines.map((l) => l.slice("PRIVMSG #c :".length)).join(" ");
    assert.equal(back.replace(/ /g, ""), text.replace(/ /g, ""));
  });

  it("paces lines: a burst of 5, then one per second, and refuses beyond maxQueuedLines", () => {
    const { client, clock, take } = signedOn((c) => (c.maxQueuedLines = 10));
    for (let i = 0; i < 15; i++) client.say("#c", `line ${i}`);
    assert.throws(() => client.say("#c", "too many"), RangeError);
    assert.deepEqual(take().length, 5);
    assert.equal(client.queuedLines, 10);
    clock.advance(1);
    assert.deepEqual(take(), ["PRIVMSG #c :line 5"]);
    clock.advance(3);
    assert.deepEqual(take(), ["PRIVMSG #c :line 6", "PRIVMSG #c :line 7", "PRIVMSG #c :line 8"]);
    clock.advance(100);
    assert.equal(take().length, 5);
    clock.advance(1);
    assert.equal(take().length, 1);
    assert.equal(client.queuedLines, 0);
    clock.advance(3);
    for (let i = 0; i < 3; i++) client.say("#c", "again");
    assert.equal(take().length, 3);
  });

  it("does not pace with lineRate null (Twisted's behaviour)", () => {
    const { client, take } = signedOn((c) => (c.lineRate = null));
    for (let i = 0; i < 50; i++) client.say("#c", "x");
    assert.equal(take().length, 50);
  });
});

describe("IRCClient bad input", () => {
  it("drops overlong lines, keeps invalid UTF-8, ignores junk, and stays connected", () => {
    const { client, transport, send } = signedOn();
    send("@" + "a".repeat(9000) + " :x PRIVMSG #c :lost\r\n");
    client.dataReceived(new Uint8Array([...enc.encode(":al!u@h PRIVMSG #c :caf"), 0xe9, 13, 10]));
    send("\r\n   \r\n:prefix-only\r\n@tags-only\r\n:x 999\r\n");
    send(":al!u@h PRIVMSG #c\r\n:al!u@h MODE\r\n:al!u@h KICK\r\n:srv 005\r\n:srv 004\r\n");
    send(":x __proto__ a\r\n:x constructor b\r\n:x unknown c\r\n");
    assert.deepEqual(client.events.slice(-3).map((e) => e[2]), [
      "__PROTO__",
      "CONSTRUCTOR",
      "UNKNOWN",
    ]);
    assert.deepEqual(client.events.filter((e) => e[0] === "privmsg"), [[
      "privmsg",
      "al!u@h",
      "#c",
      "café",
      {},
    ]]);
    assert.equal(transport.disconnecting, false);
  });

  it("survives random bytes from a server", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (chunks) => {
        const { client } = signedOn();
        for (const chunk of chunks) client.dataReceived(chunk);
        client.dataReceived(enc.encode("\r\n:al!u@h PRIVMSG #c :ok\r\n"));
        assert.deepEqual(client.events.at(-1)?.slice(0, 4), ["privmsg", "al!u@h", "#c", "ok"]);
      }),
      { numRuns: 300 },
    );
  });
});
