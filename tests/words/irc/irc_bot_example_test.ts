// examples/irc_bot.ts, the README's IRC bot, runs unchanged on the runtime running this
// test: started as a real program against our IRC server (IRCFactory over a words realm,
// in this process), talked to by an IRCClient: it joins, answers its name, !time and an
// ACTION, leaves on !quit and exits 0; a second run is stopped with SIGTERM (exit 0).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  ClientCreator,
  Deferred,
  type Failure,
  type IPv4Address,
  ProcessProtocol,
  reactor,
} from "../../../mod.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../../../src/cred/mod.ts";
import { InMemoryWordsRealm, IRCFactory } from "../../../src/words/mod.ts";
import { TestBot } from "./_bot.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const BOT = fileURLToPath(new URL("../../../examples/irc_bot.ts", import.meta.url));
const decoder = new TextDecoder();

class Program extends ProcessProtocol {
  out = "";
  err = "";
  exitCode: number | null | undefined = undefined;
  ended = new Deferred<void>();
  override outReceived(data: Uint8Array): void {
    this.out += decoder.decode(data);
  }
  override errReceived(data: Uint8Array): void {
    this.err += decoder.decode(data);
  }
  override processEnded(reason: Failure): void {
    this.exitCode = (reason.value as { exitCode?: number | null }).exitCode ?? 0;
    this.ended.callback(undefined);
  }
}

function runBot(port: number) {
  const exe = process.execPath;
  const args = [BOT, "127.0.0.1", String(port), "#tw", "twbot", "bot-pw"];
  const argv = "Deno" in globalThis ? [exe, "run", "-A", ...args] : [exe, ...args];
  const program = new Program();
  const transport = reactor.spawnProcess(program, exe, argv, {});
  return { program, transport };
}

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const realm = new InMemoryWordsRealm("irc.test");
  realm.createGroupOnRequest = true;
  const portal = new Portal(realm, [
    new InMemoryUsernamePasswordDatabaseDontUse({ twbot: "bot-pw", me: "me-pw" }),
  ]);
  const listening = reactor.listenTCP(0, new IRCFactory(realm, portal), { interface: "127.0.0.1" });
  await listening.whenListening!();
  try {
    await fn((listening.getHost() as IPv4Address).port);
  } finally {
    await listening.stopListening();
  }
}

describe("examples/irc_bot.ts", () => {
  it("joins, answers, and leaves on !quit with exit code 0", { timeout: 60000 }, async () => {
    await withServer(async (port) => {
      const me = await new ClientCreator(reactor, TestBot, {
        nickname: "me",
        password: "me-pw",
        lineRate: null,
      }).connectTCP("127.0.0.1", port);
      await me.waitFor("signedOn");
      me.join("#tw");
      await me.waitFor("joined");
      const { program, transport } = runBot(port);
      try {
        await me.waitFor("userJoined", (e) => e[1] === "twbot", 30000);
        me.say("#tw", "twbot: hello there");
        await me.waitFor("privmsg", (e) => e[3] === 'me: you said "hello there"');
        me.say("#tw", "!time");
        await me.waitFor("privmsg", (e) => /^me: it is /.test(String(e[3])));
        me.describe("#tw", "pokes the bot");
        await me.waitFor("action", (e) => String(e[3]).startsWith("waves back at me"));
        me.msg("twbot", "!quit");
        await program.ended.addTimeout(30, reactor);
        assert.equal(program.exitCode, 0, program.err);
        assert.match(program.out, /signed on as twbot/);
        assert.match(program.out, /<me> #tw: twbot: hello there/);
      } finally {
        if (program.exitCode === undefined) transport.signalProcess("KILL");
      }
      me.quit();
      await me.lost;
    });
  });

  it("stops cleanly on SIGTERM", { timeout: 60000 }, async () => {
    await withServer(async (port) => {
      const { program, transport } = runBot(port);
      try {
        for (let i = 0; i < 300 && !program.out.includes("joined #tw"); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.match(program.out, /joined #tw/);
        transport.signalProcess("TERM");
        await program.ended.addTimeout(20, reactor);
        assert.equal(program.exitCode, 0, program.err);
      } finally {
        if (program.exitCode === undefined) transport.signalProcess("KILL");
      }
    });
  });
});
