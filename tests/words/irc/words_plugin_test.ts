// `tw words` (twistd words): its options parsed in this process; then the real program on
// the runtime running this file: exit 2 without --irc-port or without a checker; Twisted's
// IRCClient (two bots: PASS login, join, non-ASCII text, topic, ACTION, private message,
// part) and our own IRCClient (CAP 302, SASL PLAIN, server-time, message-tags) against it;
// SIGTERM ends it with status 0. Without Twisted the Twisted part is skipped, except
// under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { ClientCreator, reactor } from "../../../mod.ts";
import { HelpRequested, UsageError, WordsOptions } from "../../../src/cli/mod.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { CURRENT, runToEnd, start, terminate } from "../../cli/_program.ts";
import { TestBot } from "./_bot.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PYTHON = "/usr/bin/python3";
const CI = process.env.CI === "true";
const PEER = fileURLToPath(new URL("twisted_irc_peer.py", import.meta.url));
const HAVE_TWISTED = spawnSync(PYTHON, ["-c", "import twisted.words.protocols.irc"], {
  stdio: "ignore",
}).status === 0;
const skipTwisted = HAVE_TWISTED || CI
  ? false
  : "peer missing: install Debian's python3-twisted (apt-get install -y python3-twisted)";

function parse(argv: string[]): WordsOptions {
  const options = new WordsOptions();
  options.parseOptions(argv);
  return options;
}

describe("tw words options", () => {
  it("takes twistd's options and repeatable --auth and --group", () => {
    const o = parse([
      "--irc-port",
      "tcp:6667",
      "--auth",
      "memory:a:1:b:2",
      "--auth",
      "file:pw",
      "--group",
      "#lobby",
      "--group",
      "dev",
      "--hostname",
      "irc.example",
    ]);
    assert.deepEqual(o.opts["irc-port"], ["tcp:6667"]);
    assert.deepEqual(o.opts.auth, ["memory:a:1:b:2", "file:pw"]);
    assert.deepEqual(o.opts.group, ["lobby", "dev"]);
    assert.equal(o.opts.hostname, "irc.example");
  });

  it("refuses a missing port, a missing checker, --pb-port and bad values", () => {
    assert.throws(
      () => parse(["--auth", "memory:a:b"]),
      (e: Error) => e instanceof UsageError && /--irc-port/.test(e.message),
    );
    assert.throws(
      () => parse(["--irc-port", "tcp:1"]),
      (e: Error) => e instanceof UsageError && /--auth/.test(e.message),
    );
    assert.throws(
      () => parse(["--irc-port", "tcp:1", "--passwd", "f", "--pb-port", "tcp:2"]),
      UsageError,
    );
    assert.throws(() => parse(["--irc-port", "tcp:1", "--auth", "memory:a"]), UsageError);
    assert.throws(() => parse(["--irc-port", "tcp:1", "--auth", "ldap:x"]), UsageError);
    assert.throws(
      () => parse(["--irc-port", "tcp:1", "--auth", "file:x", "--group", "a b"]),
      UsageError,
    );
    assert.throws(() => parse(["--help-auth"]), HelpRequested);
  });

  it("exits with status 2 and one line naming --irc-port when no port is given", {
    timeout: 60000,
  }, async () => {
    const program = await runToEnd(CURRENT, ["words", "--auth", "memory:a:b"]);
    assert.equal(program.exitCode, 2);
    assert.match(program.err, /--irc-port/);
    assert.equal(program.err.trim().split("\n").length, 1);
    const none = await runToEnd(CURRENT, ["words", "--irc-port", "tcp:0"]);
    assert.equal(none.exitCode, 2);
  });
});

function runPeer(port: number): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, [PEER, String(port)], { timeout: 60000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out, err });
    });
  });
}

describe("tw words serving", () => {
  it("serves Twisted's IRCClient and ours (SASL PLAIN), and stops on SIGTERM", {
    timeout: 90000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-words-"));
    const passwd = join(dir, "passwd");
    writeFileSync(passwd, "# twistd's format\nerin:erin-pw\n");
    const [program, transport] = start(CURRENT, [
      "words",
      "--passwd",
      passwd,
      "--irc-port",
      "tcp:0:interface=127.0.0.1",
      "--auth",
      "memory:alice:alice-pw:bob:bob-pw:carol:carol-pw",
      "--group",
      "lobby",
      "--hostname",
      "irc.test",
    ]);
    try {
      const port = await program.port();
      if (!skipTwisted) {
        const peer = await runPeer(port);
        const events = peer.out.split("\n").filter((l) => l.startsWith("EVENT "))
          .map((l) => JSON.parse(l.slice(6)));
        const has = (...e: unknown[]) =>
          assert.ok(
            events.some((x) => JSON.stringify(x) === JSON.stringify(e)),
            `${JSON.stringify(e)} missing in ${peer.out} ${peer.err}`,
          );
        has("alice", "signedOn");
        has("bob", "signedOn");
        has("alice", "userJoined", "bob", "#lobby");
        has("alice", "privmsg", "bob", "#lobby", "hello from bob: Grüße 🙂");
        has("bob", "topicUpdated", "alice", "#lobby", "new topic ✓");
        has("alice", "action", "bob", "#lobby", "waves");
        has("bob", "privmsg", "alice", "bob", "private to bob");
        has("alice", "userLeft", "bob", "#lobby");
        assert.match(peer.out, /DONE/);
      }
      const carol = await new ClientCreator(reactor, TestBot, {
        nickname: "carol",
        sasl: { mechanism: "PLAIN", username: "carol", password: "carol-pw" },
        capabilities: ["server-time", "message-tags"],
      }).connectTCP("127.0.0.1", port);
      await carol.waitFor("signedOn");
      assert.equal(carol.account, "carol");
      assert.deepEqual([...carol.enabledCapabilities].sort(), [
        "message-tags",
        "sasl",
        "server-time",
      ]);
      const dave = await new ClientCreator(reactor, TestBot, {
        nickname: "alice",
        password: "alice-pw",
        capabilities: [],
      }).connectTCP("127.0.0.1", port);
      await dave.waitFor("signedOn");
      carol.join("#lobby");
      await carol.waitFor("joined");
      dave.join("#lobby");
      await carol.waitFor("userJoined", (e) => e[1] === "alice");
      dave.msg("#lobby", "with time");
      const [, , , , tags] = await carol.waitFor("privmsg", (e) => e[3] === "with time");
      assert.match((tags as Record<string, string>).time, /^\d{4}-\d\d-\d\dT/);
      const bad = await new ClientCreator(reactor, TestBot, {
        nickname: "bob",
        sasl: { mechanism: "PLAIN", username: "bob", password: "wrong" },
      }).connectTCP("127.0.0.1", port);
      const [, code] = await bad.waitFor("saslFailed");
      assert.equal(code, "904");
      await bad.lost;
      assert.ok(!bad.events.some((e) => e[0] === "signedOn"));
      const erin = await new ClientCreator(reactor, TestBot, {
        nickname: "erin",
        password: "erin-pw",
      }).connectTCP("127.0.0.1", port);
      await erin.waitFor("signedOn");
      carol.quit();
      dave.quit();
      erin.quit();
      await Promise.all([carol.lost, dave.lost, erin.lost]);
    } finally {
      await terminate(program, transport);
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(program.exitCode, 0);
  });
});
