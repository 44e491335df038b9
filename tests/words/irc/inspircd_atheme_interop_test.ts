// Interop of our IRCClient with InspIRCd 3 and Atheme services (Debian's inspircd and
// atheme-services, each in the foreground from a temporary config on free loopback ports,
// as nobody when run as root: InspIRCd and Atheme both refuse root): CAP 302 with
// server-time, message-tags and sasl; an account registered with NickServ, then SASL PLAIN
// through Atheme's SaslServ (900 sets `account`), a wrong password ending in saslFailed
// (904) and never signedOn; client tags relayed with InspIRCd's `time` and `msgid`; and 20
// long lines sent with the default pacing without "RecvQ exceeded", where 40 such lines
// unpaced are cut off by it. Without the peers the test is skipped, except under CI.
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
const has = (cmd: string, arg: string) =>
  spawnSync(cmd, [arg], { stdio: "ignore" }).error === undefined;
const HAVE_INSPIRCD = has("inspircd", "--version");
const HAVE_ATHEME = has("atheme-services", "-v");
const missing = [!HAVE_INSPIRCD && "inspircd", !HAVE_ATHEME && "atheme-services"].filter(Boolean);
const skip = missing.length === 0 || CI
  ? false
  : `peer missing: install Debian's ${missing.join(" and ")} (apt-get install -y ${
    missing.join(" ")
  })`;
const ROOT = process.getuid?.() === 0;
/** Runs a command as nobody when we are root (setpriv, util-linux). */
const asNobody = (cmd: string[]): string[] =>
  ROOT ? ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", ...cmd] : cmd;

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

/** `promise`, or a rejection naming `what()` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what()}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function inspircdConf(dir: string, port: number, linkPort: number): string {
  return `<server name="irc.test" description="tw interop" id="1TW" network="TestNet">
<admin name="test" nick="test" email="test@example.invalid">
<bind address="127.0.0.1" port="${port}" type="clients">
<bind address="127.0.0.1" port="${linkPort}" type="servers">
<path configdir="${dir}" datadir="${dir}" logdir="${dir}" runtimedir="${dir}"
  moduledir="/usr/lib/inspircd/modules">
<pid file="${dir}/inspircd.pid">
<connect name="main" allow="*" maxchans="20" timeout="20" pingfreq="120" hardsendq="1048576"
  softsendq="8192" recvq="8192" threshold="10" commandrate="1000" fakelag="yes" localmax="20"
  globalmax="20" useident="no" limit="5000" resolvehostnames="no">
<dns server="127.0.0.1" timeout="1">
<options prefixquit="Quit: " defaultmodes="nt">
<limits maxnick="30" maxchan="64" maxquit="255" maxtopic="307" maxkick="255" maxreal="128">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${dir}/ircd.log">
<module name="cap">
<module name="ircv3">
<module name="ircv3_servertime">
<module name="ircv3_ctctags">
<module name="ircv3_msgid">
<module name="sasl">
<module name="services_account">
<module name="svshold">
<module name="spanningtree">
<sasl target="services.test" requiressl="no">
<link name="services.test" ipaddr="127.0.0.1" port="${linkPort}" allowmask="127.0.0.0/8"
  sendpass="linkpw" recvpass="linkpw">
<uline server="services.test" silent="yes">
`;
}

function athemeConf(linkPort: number): string {
  return `loadmodule "modules/protocol/inspircd";
loadmodule "modules/backend/opensex";
loadmodule "modules/crypto/pbkdf2v2";
loadmodule "modules/nickserv/main";
loadmodule "modules/nickserv/register";
loadmodule "modules/nickserv/identify";
loadmodule "modules/saslserv/main";
loadmodule "modules/saslserv/plain";
serverinfo {
  name = "services.test"; desc = "Atheme"; numeric = "00A"; recontime = 1;
  netname = "TestNet"; hidehostsuffix = "users.test"; adminname = "test";
  adminemail = "test@example.invalid"; registeremail = "noreply@example.invalid";
  mta = "/bin/false"; loglevel = { error; info; admin; network; };
  maxlogins = 5; maxusers = 50; mdlimit = 30; emaillimit = 10; emailtime = 300;
  auth = none; casemapping = rfc1459;
};
uplink "irc.test" { host = "127.0.0.1"; password = "linkpw"; port = ${linkPort}; };
nickserv { nick = "NickServ"; user = "NickServ"; host = "services.test"; real = "NickServ"; };
saslserv { nick = "SaslServ"; user = "SaslServ"; host = "services.test"; real = "SaslServ"; };
general {
  flood_msgs = 0; flood_time = 10; ratelimit_uses = 100; ratelimit_period = 60;
  commit_interval = 5; uplink_sendq_limit = 1048576; language = "en";
  default_clone_allowed = 50; default_clone_warn = 40;
};
`;
}

describe("IRCClient interop with InspIRCd and Atheme", { skip }, () => {
  let dir = "";
  let port = 0;
  const children: { proc: ChildProcess; exited: Promise<unknown> }[] = [];
  let log = "";

  const start = (cmd: string[], name: string) => {
    const proc = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    const note = (d: Buffer) => {
      log += `[${name}] ${d}`;
      if (log.length > 100_000) log = log.slice(-50_000);
    };
    proc.stdout!.on("data", note);
    proc.stderr!.on("data", note);
    children.push({ proc, exited: new Promise((r) => proc.once("exit", r)) });
    return proc;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tw-inspircd-"));
    chmodSync(dir, 0o777);
    port = await freePort();
    const linkPort = await freePort();
    writeFileSync(join(dir, "inspircd.conf"), inspircdConf(dir, port, linkPort), { mode: 0o644 });
    writeFileSync(join(dir, "atheme.conf"), athemeConf(linkPort), { mode: 0o644 });
    start(asNobody(["inspircd", "--nofork", `--config=${dir}/inspircd.conf`]), "inspircd");
    for (let i = 0; i < 100 && !(await canConnect(port)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const atheme = start(
      asNobody([
        "atheme-services",
        "-n",
        "-c",
        `${dir}/atheme.conf`,
        "-D",
        dir,
        "-l",
        `${dir}/atheme.log`,
        "-p",
        `${dir}/atheme.pid`,
      ]),
      "atheme",
    );
    // Linked once Atheme has synched with its uplink.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Atheme did not link:\n${log}`)), 15000);
      let seen = "";
      const watch = (d: Buffer) => {
        seen += d;
        if (seen.includes("finished synching with uplink")) {
          clearTimeout(timer);
          resolve();
        }
      };
      // Its screen log goes to stderr.
      atheme.stdout!.on("data", watch);
      atheme.stderr!.on("data", watch);
      atheme.once("exit", () => {
        clearTimeout(timer);
        reject(new Error(`Atheme exited:\n${log}`));
      });
    });
  });

  after(async () => {
    for (const { proc } of children.reverse()) proc.kill("SIGTERM");
    await Promise.all(children.map((c) => c.exited));
    rmSync(dir, { recursive: true, force: true });
  });

  const bot = async (options: Partial<TestBot>): Promise<TestBot> =>
    await new ClientCreator(reactor, TestBot, options).connectTCP("127.0.0.1", port);

  it("registers an account, logs in with SASL PLAIN, relays tags, and paces 20 long lines", {
    timeout: 90000,
  }, async () => {
    const open: TestBot[] = [];
    try {
      // An account, registered the classic way: NickServ REGISTER under the nick.
      const reg = await bot({ nickname: "twacct" });
      open.push(reg);
      await reg.waitFor("signedOn");
      assert.ok(reg.enabledCapabilities.has("server-time"), [...reg.enabledCapabilities].join());
      assert.ok(reg.enabledCapabilities.has("message-tags"));
      assert.ok(!reg.enabledCapabilities.has("sasl")); // not asked for without `sasl`
      reg.msg("NickServ", "REGISTER s3cret-pw tw@example.invalid");
      await reg.waitFor("noticed", (e) => /registered/i.test(String(e[3])));

      // A wrong password: 904, saslFailed, the client quits, never signedOn.
      const bad = await bot({
        nickname: "twbad",
        sasl: { mechanism: "PLAIN", username: "twacct", password: "wrong" },
      });
      const [, code] = await bad.waitFor("saslFailed");
      assert.equal(code, "904");
      await bad.lost;
      assert.ok(!bad.events.some((e) => e[0] === "signedOn"));

      // The right one: 900 sets the account before signedOn.
      const alice = await bot({
        nickname: "alice",
        sasl: { mechanism: "PLAIN", username: "twacct", password: "s3cret-pw" },
      });
      open.push(alice);
      await alice.waitFor("signedOn");
      assert.equal(alice.account, "twacct");
      for (const cap of ["sasl", "server-time", "message-tags"]) {
        assert.ok(alice.enabledCapabilities.has(cap), cap);
      }

      alice.join("#tw");
      await alice.waitFor("joined", (e) => e[1] === "#tw");
      reg.join("#tw");
      await reg.waitFor("joined", (e) => e[1] === "#tw");
      await alice.waitFor("userJoined", (e) => e[1] === "twacct");

      // Client tags, escaped on the way out and unescaped on the way in, with the server's.
      reg.say("#tw", "tagged", { tags: { "+tw/note": "a b;c\\d" } });
      const [, from, , text, tags] = await alice.waitFor("privmsg", (e) => e[3] === "tagged");
      assert.match(String(from), /^twacct!/);
      assert.equal(text, "tagged");
      const t = tags as Record<string, string>;
      assert.equal(t["+tw/note"], "a b;c\\d");
      assert.match(t.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.ok(typeof t.msgid === "string" && t.msgid.length > 0, JSON.stringify(t));

      // 20 long lines with the default pacing (5 at once, then one a second): all arrive.
      const line = (i: number) => `${i} ` + "Grüße aus Köln ".repeat(25).trimEnd();
      assert.ok(byteLength(line(0)) > 400);
      const started = Date.now();
      for (let i = 0; i < 20; i++) reg.say("#tw", line(i), { length: 500 });
      await alice.waitFor("privmsg", (e) => String(e[3]).startsWith("19 "), 40000);
      const got = alice.events.filter((e) => e[0] === "privmsg" && /^\d+ Grüße/.test(String(e[3])));
      assert.equal(got.length, 20);
      assert.deepEqual(got.map((e) => e[3]), Array.from({ length: 20 }, (_, i) => line(i)));
      assert.ok(Date.now() - started >= 13000, "paced");
      assert.ok(!reg.events.some((e) => e[0] === "lost"));

      // Unpaced, twice as many fill InspIRCd's 8 KiB RecvQ (it runs 10 at once, then one a
      // second): the flood is cut off.
      const flood = await bot({ nickname: "flood", lineRate: null });
      await flood.waitFor("signedOn");
      flood.join("#tw");
      await alice.waitFor("userJoined", (e) => e[1] === "flood");
      for (let i = 0; i < 40; i++) flood.say("#tw", line(i), { length: 500 });
      await within(flood.lost, 20000, () => JSON.stringify(flood.events).slice(0, 3000));
      const [, , reason] = await alice.waitFor("userQuit", (e) => e[1] === "flood");
      assert.match(String(reason), /RecvQ exceeded/);
      assert.ok(!alice.events.some((e) => e[0] === "userQuit" && e[1] === "twacct"));

      for (const b of open) b.quit("done");
      await Promise.all(open.map((b) => b.lost));
    } catch (error) {
      for (const b of open) b.transport?.loseConnection();
      throw new Error(`${(error as Error).stack}\n--- peer log ---\n${log}`);
    }
  });
});
