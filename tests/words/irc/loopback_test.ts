// IRCClient against IRCUser in memory (iosim's connectedServerAndClient, no sockets):
// SASL PLAIN and CAP through the portal, and a long multi-byte message split by the
// client so that the server relays every byte of it (nothing cut to fit 512 bytes), with
// message-tags and server-time on the way.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { connectedServerAndClient, type IOPump } from "../../../src/testing/mod.ts";
import { Clock } from "../../../src/internet/task.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../../../src/cred/mod.ts";
import { InMemoryWordsRealm, IRCFactory } from "../../../src/words/mod.ts";
import { byteLength } from "../../../src/words/irc/mod.ts";
import { TestBot } from "./_bot.ts";

async function settle(pumps: IOPump[]): Promise<void> {
  for (let i = 0; i < 30; i++) {
    for (const p of pumps) p.flush();
    await new Promise((r) => setImmediate(r));
  }
}

function setup() {
  const realm = new InMemoryWordsRealm("irc.test");
  realm.createGroupOnRequest = true;
  const portal = new Portal(realm, [
    new InMemoryUsernamePasswordDatabaseDontUse({ alice: "a-pw", bob: "b-pw" }),
  ]);
  const factory = new IRCFactory(realm, portal);
  const clock = new Clock();
  factory.clock = clock;
  const connect = (options: Partial<TestBot>) => {
    const bot = new TestBot({ clock, lineRate: null, ...options });
    const [client, , pump] = connectedServerAndClient<TestBot>(factory, () => bot);
    return { client, pump };
  };
  return { connect };
}

describe("IRCClient with IRCUser in memory", () => {
  it("logs in with SASL, joins, and relays a long multi-byte message whole", async () => {
    const { connect } = setup();
    const a = connect({
      nickname: "alice",
      sasl: { mechanism: "PLAIN", username: "alice", password: "a-pw" },
    });
    const b = connect({ nickname: "bob", password: "b-pw", capabilities: ["message-tags"] });
    const pumps = [a.pump, b.pump];
    await settle(pumps);
    assert.ok(a.client.events.some((e) => e[0] === "signedOn"), JSON.stringify(a.client.events));
    assert.ok(b.client.events.some((e) => e[0] === "signedOn"), JSON.stringify(b.client.events));
    assert.equal(a.client.account, "alice");
    assert.deepEqual([...a.client.enabledCapabilities].sort(), [
      "message-tags",
      "sasl",
      "server-time",
    ]);
    a.client.join("#room");
    await settle(pumps);
    b.client.join("#room");
    await settle(pumps);
    let text = "";
    for (let i = 0; byteLength(text) < 7500; i++) text += `Grüße ${i} 🙂 ✓ 漢字 `;
    b.client.say("#room", text, { tags: { "+example/id": "42" } });
    await settle(pumps);
    const got = a.client.events.filter((e) => e[0] === "privmsg");
    assert.ok(got.length >= 16, String(got.length));
    assert.equal(got.map((e) => e[3]).join(" ").replace(/ /g, ""), text.replace(/ /g, ""));
    for (const e of got) {
      const tags = e[4] as Record<string, string>;
      assert.equal(tags["+example/id"], "42");
      assert.match(tags.time, /Z$/);
    }
  });

  it("refuses a wrong SASL password: saslFailed, no signedOn, connection closed", async () => {
    const { connect } = setup();
    const a = connect({
      nickname: "alice",
      sasl: { mechanism: "PLAIN", username: "alice", password: "wrong" },
    });
    await settle([a.pump]);
    assert.deepEqual(a.client.events.filter((e) => e[0] === "saslFailed").map((e) => e[1]), [
      "904",
    ]);
    assert.ok(!a.client.events.some((e) => e[0] === "signedOn"));
    assert.ok(a.client.events.some((e) => e[0] === "lost"));
  });
});
