// Interop of our IRCClient with ngircd (Debian's ngircd, run in the foreground from a
// temporary config on a free loopback port): CAP (ngircd offers multi-prefix only),
// registration and a nick collision, ISUPPORT, join, topic, modes, CTCP VERSION and PING,
// ACTION, a 7,500-byte multi-byte message relayed intact and paced, and a kick. Without
// ngircd the test is skipped, except under CI.
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ClientCreator, reactor } from "../../../mod.ts";
import { byteLength } from "../../../src/words/irc/mod.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { TestBot } from "./_bot.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const CI = process.env.CI === "true";
const HAVE_NGIRCD = spawnSync("ngircd", ["--version"], { stdio: "ignore" }).status === 0;
const skip = HAVE_NGIRCD || CI
  ? false
  : "peer missing: install Debian's ngircd (apt-get install -y ngircd)";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

describe("IRCClient interop with ngircd", { skip }, () => {
  let dir = "";
  let port = 0;
  let child: ChildProcess | null = null;
  let log = "";
  let exited: Promise<unknown> = Promise.resolve();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tw-ngircd-"));
    chmodSync(dir, 0o777);
    port = await freePort();
    const root = process.getuid?.() === 0;
    writeFileSync(
      join(dir, "ngircd.conf"),
      `[Global]
Name = irc.test
Info = tw interop
AdminInfo1 = test
AdminInfo2 = test
AdminEMail = test@example.invalid
Listen = 127.0.0.1
Ports = ${port}
MotdPhrase = Hello from ngircd
PidFile = ${dir}/ngircd.pid
${root ? "ServerUID = nobody\nServerGID = nogroup\n" : ""}
[Limits]
MaxNickLength = 30
PingTimeout = 120
[Options]
PAM = no
Ident = no
DNS = no
`,
    );
    child = spawn("ngircd", ["-n", "-f", join(dir, "ngircd.conf")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => (log += d));
    child.stderr!.on("data", (d) => (log += d));
    exited = new Promise((r) => child!.once("exit", r));
    for (let i = 0; i < 100 && !(await canConnect(port)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    child?.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  const bot = async (options: Partial<TestBot>): Promise<TestBot> =>
    await new ClientCreator(reactor, TestBot, options).connectTCP("127.0.0.1", port);

  it("registers, collides, joins, talks, pings, sets topic and modes, and kicks", {
    timeout: 60000,
  }, async () => {
    try {
      const alice = await bot({ nickname: "alice", versionName: "twbot", versionNum: "1.0" });
      await alice.waitFor("signedOn");
      assert.deepEqual([...alice.enabledCapabilities], ["multi-prefix"]);
      assert.equal(alice.hostname, "irc.test");
      assert.equal(alice.supported.getFeature("NICKLEN"), 30);
      assert.deepEqual(alice.supported.getFeature("CHANTYPES"), ["#", "&", "+"]);
      const [, motd] = await alice.waitFor("motd");
      assert.ok((motd as string[]).some((l) => l.includes("Hello from ngircd")));

      const bob = await bot({ nickname: "alice", lineRate: 0.25 });
      const [, nick] = await bob.waitFor("signedOn");
      assert.equal(nick, "alice_");

      alice.join("#tw");
      await alice.waitFor("joined", (e) => e[1] === "#tw");
      alice.topic("#tw", "the topic");
      await alice.waitFor("topicUpdated", (e) => e[3] === "the topic");
      bob.join("tw");
      await bob.waitFor("joined", (e) => e[1] === "#tw");
      await bob.waitFor("topicUpdated", (e) => e[2] === "#tw" && e[3] === "the topic");
      await alice.waitFor("userJoined", (e) => e[1] === "alice_");

      alice.mode("#tw", true, "v", { user: "alice_" });
      const mode = await bob.waitFor("modeChanged");
      assert.deepEqual(mode.slice(2), ["#tw", true, "v", ["alice_"]]);
      alice.mode("#tw", true, "l", { limit: 20 });
      await bob.waitFor("modeChanged", (e) => e[4] === "l");

      bob.ctcpMakeQuery("alice", [["VERSION", null]]);
      const reply = await bob.waitFor("ctcpReply");
      assert.deepEqual(reply[3], [["VERSION", "twbot:1.0:"]]);
      // alice answers at most one CTCP query per nick and second
      await new Promise((r) => setTimeout(r, 1100));
      bob.ping("alice");
      const [, who, secs] = await bob.waitFor("pong");
      assert.match(who as string, /^alice!/);
      assert.ok((secs as number) >= 0 && (secs as number) < 10);
      bob.describe("#tw", "waves");
      await alice.waitFor("action", (e) => e[3] === "waves");

      let text = "";
      for (let i = 0; byteLength(text) < 7500; i++) text += `Grüße ${i} aus Köln 🙂 ✓ `;
      bob.say("#tw", text);
      bob.say("#tw", "END");
      await alice.waitFor("privmsg", (e) => e[3] === "END", 30000);
      const got = alice.events.filter((e) => e[0] === "privmsg" && e[3] !== "END")
        .map((e) => e[3] as string);
      assert.ok(got.length >= 16, String(got.length));
      assert.equal(got.join(" ").replace(/ /g, ""), text.replace(/ /g, ""));
      assert.ok(!got.join("").includes("\uFFFD"));

      alice.kick("#tw", "alice_", "bye now");
      const kicked = await bob.waitFor("kickedFrom");
      assert.deepEqual(kicked.slice(1), ["#tw", "alice", "bye now"]);
      await alice.waitFor("userKicked");
      alice.events = [];
      bob.join("#tw");
      await alice.waitFor("userJoined", (e) => e[1] === "alice_");

      bob.quit("done");
      await bob.lost;
      await alice.waitFor("userQuit", (e) => e[1] === "alice_" && String(e[2]).includes("done"));
      alice.quit("done");
      await alice.lost;
    } catch (error) {
      throw new Error(`${(error as Error).stack}\n--- ngircd log ---\n${log}`);
    }
  });
});
