// `tw words` driven by WeeChat (Debian's weechat-headless, in the foreground from a
// temporary home folder with its config files written by the test): one server logs in with
// PASS, the other with SASL PLAIN (CAP 302), each joins #lobby and talks; their messages reach our IRCClient
// and our client's message reaches both (read from WeeChat's channel logs). Without
// weechat-headless the test is skipped, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ClientCreator, reactor } from "../../../mod.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { CURRENT, start, terminate } from "../../cli/_program.ts";
import { TestBot } from "./_bot.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const CI = process.env.CI === "true";
const HAVE_WEECHAT =
  spawnSync("weechat-headless", ["--version"], { stdio: "ignore" }).error === undefined;
const skip = HAVE_WEECHAT || CI
  ? false
  : "peer missing: install Debian's weechat-headless (apt-get install -y weechat-headless)";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, get: () => T | undefined | false, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = get();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The text of WeeChat's logs whose file name contains `part` ("" when none yet). */
function logs(home: string, part: string): string {
  const dir = join(home, "logs");
  if (!existsSync(dir)) return "";
  return readdirSync(dir).filter((f) => f.toLowerCase().includes(part.toLowerCase()))
    .map((f) => readFileSync(join(dir, f), "utf8")).join("\n");
}

describe("tw words with WeeChat", { skip }, () => {
  it("logs WeeChat in with PASS and with SASL PLAIN and relays messages both ways", {
    timeout: 90000,
  }, async () => {
    const home = mkdtempSync(join(tmpdir(), "tw-weechat-"));
    const [program, transport] = start(CURRENT, [
      "words",
      "--irc-port",
      "tcp:0:interface=127.0.0.1",
      "--auth",
      "memory:alice:alice-pw:bob:bob-pw:carol:carol-pw",
      "--group",
      "lobby",
      "--hostname",
      "irc.test",
    ]);
    let weechat: ChildProcess | null = null;
    let exited: Promise<unknown> = Promise.resolve();
    let out = "";
    let carol: TestBot | null = null;
    try {
      const port = await program.port();
      // WeeChat's own config files: two servers, each joining and talking once connected.
      const server = (name: string, nick: string, options: string[], text: string) =>
        [
          `${name}.addresses = "127.0.0.1/${port}"`,
          `${name}.tls = off`,
          `${name}.nicks = "${nick}"`,
          `${name}.username = "${nick}"`,
          `${name}.autoconnect = on`,
          `${name}.command = "/join #lobby;/msg #lobby ${text}"`,
          ...options.map((o) => `${name}.${o}`),
        ].join("\n");
      writeFileSync(
        join(home, "irc.conf"),
        "[server]\n" +
          server("pass", "alice", ['password = "alice-pw"'], "Grüße from alice ✓") + "\n" +
          server("sasl", "bob", [
            "sasl_mechanism = plain",
            'sasl_username = "bob"',
            'sasl_password = "bob-pw"',
          ], "hello from bob 🙂") + "\n",
      );
      writeFileSync(join(home, "logger.conf"), "[file]\nflush_delay = 0\n");
      carol = await new ClientCreator(reactor, TestBot, {
        nickname: "carol",
        sasl: { mechanism: "PLAIN", username: "carol", password: "carol-pw" },
      }).connectTCP("127.0.0.1", port);
      await carol.waitFor("signedOn");
      carol.join("#lobby");
      await carol.waitFor("joined");
      weechat = spawn("weechat-headless", ["--dir", home, "--no-script", "--stdout"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      weechat.stdout!.on("data", (d) => (out = (out + d).slice(-50_000)));
      weechat.stderr!.on("data", (d) => (out = (out + d).slice(-50_000)));
      exited = new Promise((r) => weechat!.once("exit", r));
      // Both WeeChat servers are in: alice by PASS, bob by SASL.
      await carol.waitFor("userJoined", (e) => e[1] === "alice", 30000);
      await carol.waitFor("userJoined", (e) => e[1] === "bob", 30000);
      const saslLog = await until("WeeChat's SASL success", () => {
        const text = logs(home, "irc.server.sasl");
        return /SASL authentication successful/i.test(text) && text;
      });
      assert.match(saslLog, /bob/);
      const [, fromA, , textA] = await carol.waitFor("privmsg", (e) => /alice/.test(String(e[3])));
      assert.match(String(fromA), /^alice!/);
      assert.equal(textA, "Grüße from alice ✓");
      const [, fromB, , textB] = await carol.waitFor("privmsg", (e) => /bob/.test(String(e[3])));
      assert.match(String(fromB), /^bob!/);
      assert.equal(textB, "hello from bob 🙂");

      carol.say("#lobby", "carol to WeeChat: Köln");
      await until(
        "the message in both WeeChat logs",
        () =>
          logs(home, "irc.pass.#lobby").includes("carol to WeeChat: Köln") &&
          logs(home, "irc.sasl.#lobby").includes("carol to WeeChat: Köln"),
      );
      // WeeChat's own lines, as it logged them, and no second copy of carol's.
      const passLog = logs(home, "irc.pass.#lobby");
      assert.ok(passLog.includes("hello from bob 🙂"));
      assert.equal(passLog.split("carol to WeeChat: Köln").length, 2);

      weechat.kill("SIGTERM");
      await Promise.race([exited, sleep(10000)]);
      carol.quit();
      await carol.lost;
    } catch (error) {
      carol?.transport?.loseConnection();
      throw new Error(
        `${(error as Error).stack}\n--- weechat ---\n${out}\n--- logs ---\n${logs(home, "")}\n` +
          `--- tw words ---\n${program.out}\n${program.err}`,
      );
    } finally {
      weechat?.kill("SIGKILL");
      await exited;
      await terminate(program, transport);
      rmSync(home, { recursive: true, force: true });
    }
    assert.equal(program.exitCode, 0);
  });
});
