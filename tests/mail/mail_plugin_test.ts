// `tw mail` (twistd mail): its options parsed in this process, then the real program on
// the runtime running this file, probed by Python's smtplib and poplib (STARTTLS, AUTH
// PLAIN as user@domain, STLS, relaying only once logged in) and by swaks; the maildir
// and the relay queue are checked on disk; SIGTERM ends it with status 0. Without a
// peer the test is skipped, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { HelpRequested, MailOptions, UsageError } from "../../src/cli/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { CURRENT, runToEnd, start, terminate } from "../cli/_program.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PYTHON = "/usr/bin/python3";
const CI = process.env.CI === "true";
const TLS_DIR = fileURLToPath(new URL("../fixtures/tls", import.meta.url));
const PEER = fileURLToPath(new URL("mail_peer.py", import.meta.url));
const HAVE_PY = spawnSync(PYTHON, ["-c", "import smtplib, poplib, ssl"], { stdio: "ignore" })
  .status === 0;
const HAVE_SWAKS = spawnSync("swaks", ["--version"], { stdio: "ignore" }).status === 0;
const HAVE_SSLEAY = spawnSync("perl", ["-MNet::SSLeay", "-e1"], { stdio: "ignore" }).status === 0;
const AIOSMTPD = fileURLToPath(new URL("smtp_peer_aiosmtpd.py", import.meta.url));
const hasPy = (mod: string): boolean =>
  spawnSync(PYTHON, ["-c", `import ${mod}`], { stdio: "ignore" }).status === 0;
const HAVE_AIOSMTPD = hasPy("aiosmtpd");
const HAVE_TWISTED = hasPy("twisted.mail.maildir");
const HAVE_CURL = spawnSync("curl", ["--version"], { stdio: "ignore" }).status === 0;
const skip = (have: boolean, pkg: string): string | false =>
  have || CI ? false : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;

function parse(argv: string[]): MailOptions {
  const options = new MailOptions();
  options.parseOptions(argv);
  return options;
}

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out, err });
    });
  });
}

describe("tw mail options", () => {
  it("applies -u, -A, -b and -D to the last -d, in order", () => {
    const o = parse([
      "-d",
      "a.example=/srv/a",
      "-u",
      "alice=pw=with=equals",
      "-b",
      "--maildirdbmdomain=b.example=/srv/b",
      "--user=bob=x",
      "-A",
      "/etc/aliases",
      "-D",
    ]);
    assert.deepEqual(o.domains, [
      {
        name: "a.example",
        path: "/srv/a",
        users: [["alice", "pw=with=equals"]],
        aliases: null,
        postmaster: true,
        isDefault: false,
      },
      {
        name: "b.example",
        path: "/srv/b",
        users: [["bob", "x"]],
        aliases: "/etc/aliases",
        postmaster: false,
        isDefault: true,
      },
    ]);
    assert.equal(o.opts["max-message-size"], 10485760);
  });

  it("refuses what twistd mail refuses, with its messages", () => {
    const refused: [string[], RegExp][] = [
      [["-u", "a=b"], /^Specify a domain before specifying users$/],
      [["-A", "f"], /^Specify a domain before specifying aliases$/],
      [["-D"], /^Specify a domain before specifying using --default$/],
      [["-b"], /^Specify a domain before specifying using --bounce-to-postmaster$/],
      [["-d", "nopath"], /^Argument to --maildirdbmdomain must be of the form 'name=path'$/],
      [["-d", "a=b", "-u", "nopassword"], /form 'user=password'/],
      [["--no-smtp", "--no-pop3"], /^You cannot disable all protocols$/],
      [["--certificate", "c.pem"], /--certificate and --privkey go together/],
      [["--smarthost", "mx.example"], /--smarthost needs --relay/],
      [["--auth", "ldap:x"], /unknown checker "ldap"/],
      [["--auth", "memory:alice"], /USER:PASS pairs/],
      [["--max-message-size", "big"], /not a number of bytes/],
      [["-R", "q", "--smarthost", "127.0.0.1:"], /not HOST or HOST:PORT/],
    ];
    for (const [argv, message] of refused) {
      assert.throws(() => parse(argv), (e: unknown) => {
        assert.ok(e instanceof UsageError, `${argv.join(" ")}: ${e}`);
        assert.match(e.message, message);
        return true;
      });
    }
    assert.doesNotThrow(() => parse(["--no-smtp", "--no-pop3", "--lmtp", "tcp:2424"]));
    assert.doesNotThrow(() => parse(["--no-smtp", "-s", "tcp:25", "--no-pop3"]));
  });

  it("--help-auth and --help-auth-type describe the checkers", () => {
    assert.throws(() => parse(["--help-auth"]), (e: unknown) => {
      assert.ok(e instanceof HelpRequested);
      assert.match(e.usage, /memory:USER:PASS/);
      assert.match(e.usage, /file:PATH/);
      return true;
    });
    assert.throws(() => parse(["--help-auth-type", "file"]), /Help requested/);
    assert.throws(() => parse(["--help-auth-type", "nis"]), UsageError);
  });
});

describe("tw mail as a program", () => {
  it("a usage error is one line on standard error and exit status 2", async () => {
    const program = await runToEnd(CURRENT, ["mail", "--user", "alice=secret"]);
    assert.equal(program.exitCode, 2);
    const lines = program.err.trim().split("\n");
    assert.equal(lines.length, 1, program.err);
    assert.match(lines[0], /Specify a domain before specifying users/);
  });

  it("serves SMTP and POP3 (STLS, APOP) to smtplib and poplib; relays only for logged-in users", {
    skip: skip(HAVE_PY, "python3"),
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-mail-plugin-"));
    const queue = join(dir, "queue");
    const args = [
      "mail",
      "-s",
      "tcp:0:interface=127.0.0.1",
      "-p",
      "tcp:0:interface=127.0.0.1",
      "-d",
      `example.com=${join(dir, "example.com")}`,
      "-u",
      "alice=secret",
      "-H",
      "mx.test",
      "--certificate",
      join(TLS_DIR, "server.pem"),
      "--privkey",
      join(TLS_DIR, "server.key"),
      "-R",
      queue,
      "--smarthost",
      "127.0.0.1:1",
    ];
    const [program, transport] = start(CURRENT, args);
    try {
      const smtp = Number(
        (await program.waitFor(/SMTPFactory listening on 127\.0\.0\.1:(\d+)/))[1],
      );
      const pop3 = Number(
        (await program.waitFor(/POP3Factory listening on 127\.0\.0\.1:(\d+)/))[1],
      );
      const r = await run(PYTHON, [PEER, String(smtp), String(pop3), join(TLS_DIR, "ca.pem")]);
      assert.equal(r.code, 0, r.err + program.out);
      const out = JSON.parse(r.out);
      assert.ok(out.features.includes("starttls"));
      assert.ok(!/PLAIN/.test(out.features.join(" ")), "no PLAIN before TLS");
      assert.deepEqual(out.anon_refused, { "x@remote.example": 550 });
      assert.equal(out.starttls, 220);
      assert.match(out.auth, /PLAIN/);
      assert.equal(out.login, 235);
      assert.deepEqual(out.auth_refused, {});
      assert.equal(out.stat[0], 2);
      for (const lines of out.retr) {
        assert.equal(lines[0], "Delivered-To: alice@example.com");
        assert.deepEqual(lines.slice(-5), [
          "Subject: from smtplib",
          "",
          "line one",
          ".leading dot",
          "\u00e9 8bit",
        ]);
      }
      // One message came in after AUTH (ESMTPSA), one without; the maildir's order is not fixed.
      const received = out.retr.map((lines: string[]) => lines.join("\n"));
      assert.ok(received.some((text: string) => /with ESMTPSA \(@tw\/core\)/.test(text)));
      assert.ok(received.some((text: string) => /with ESMTP \(@tw\/core\)/.test(text)));
      assert.match(out.apop, /^\+OK/);
      assert.equal(out.apop_stat[0], 1, "DELE took effect at QUIT");
      assert.match(out.bad_login, /^-ERR/);
      // On disk: one message left in new/ or cur/, one in .Trash; the relayed one queued.
      const maildir = join(dir, "example.com", "alice");
      const left = [...readdirSync(join(maildir, "new")), ...readdirSync(join(maildir, "cur"))];
      assert.equal(left.length, 1);
      assert.equal(readdirSync(join(maildir, ".Trash", "cur")).length, 1);
      const envelopes = readdirSync(queue).filter((f) => f.endsWith("-H"));
      assert.equal(envelopes.length, 1);
      const envelope = JSON.parse(readFileSync(join(queue, envelopes[0]), "utf8"));
      assert.equal(envelope.from, "alice@example.com");
      assert.equal(envelope.to, "y@remote.example");
    } finally {
      await terminate(program, transport);
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(program.exitCode, 0, program.err);
  });

  it("swaks logs in with STARTTLS and AUTH PLAIN; -A aliases are read again when changed", {
    skip: HAVE_SWAKS && HAVE_SSLEAY ? false : skip(false, "swaks libnet-ssleay-perl"),
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-mail-plugin-"));
    const aliases = join(dir, "aliases");
    writeFileSync(aliases, "team: alice\n");
    const [program, transport] = start(CURRENT, [
      "mail",
      "-s",
      "tcp:0:interface=127.0.0.1",
      "--no-pop3",
      "-d",
      `example.com=${join(dir, "example.com")}`,
      "-u",
      "alice=secret",
      "-u",
      "bob=pw",
      "-A",
      aliases,
      "--certificate",
      join(TLS_DIR, "server.pem"),
      "--privkey",
      join(TLS_DIR, "server.key"),
      "--disable-anonymous",
    ]);
    const swaks = (port: number, to: string, auth = true) =>
      run("swaks", [
        "--server",
        "127.0.0.1",
        "--port",
        String(port),
        "--ehlo",
        "swaks.test",
        ...(auth
          ? [
            "--tls",
            "--auth",
            "PLAIN",
            "--auth-user",
            "alice@example.com",
            "--auth-password",
            "secret",
          ]
          : []),
        "--from",
        "alice@example.com",
        "--to",
        to,
        "--header",
        "Subject: swaks",
        "--body",
        "swaks body",
      ]);
    try {
      const port = Number(
        (await program.waitFor(/SMTPFactory listening on 127\.0\.0\.1:(\d+)/))[1],
      );
      const anon = await swaks(port, "alice@example.com", false);
      assert.match(anon.out, /<\*\* +530/);
      const r = await swaks(port, "team@example.com");
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /<~ +235/);
      const count = (user: string) => {
        try {
          return readdirSync(join(dir, "example.com", user, "new")).length;
        } catch {
          return 0;
        }
      };
      assert.equal(count("alice"), 1);
      // The aliases file changes: team now goes to bob (checked every second).
      await new Promise((r) => setTimeout(r, 1100));
      writeFileSync(aliases, "team: bob\n");
      await program.waitFor(/Reloaded aliases of example\.com/);
      const again = await swaks(port, "team@example.com");
      assert.equal(again.code, 0, again.out);
      assert.equal(count("bob"), 1);
      assert.equal(count("alice"), 1);
    } finally {
      await terminate(program, transport);
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(program.exitCode, 0, program.err);
  });

  it("relays a logged-in user's mail to the smart host; a refused recipient bounces", {
    skip: skip(HAVE_PY && HAVE_AIOSMTPD, "python3-aiosmtpd"),
  }, async () => {
    const peer: ChildProcess = spawn(PYTHON, [AIOSMTPD, TLS_DIR, "notls"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let peerOut = "";
    peer.stdout!.on("data", (d) => peerOut += d);
    const dir = mkdtempSync(join(tmpdir(), "tw-mail-plugin-"));
    let program, transport;
    try {
      const peerPort = await waitUntil(() => /"port": (\d+)/.exec(peerOut)?.[1]);
      [program, transport] = start(CURRENT, [
        "mail",
        "-s",
        "tcp:0:interface=127.0.0.1",
        "--no-pop3",
        "-d",
        `example.com=${join(dir, "example.com")}`,
        "-u",
        "alice=secret",
        "-R",
        join(dir, "queue"),
        "--smarthost",
        `127.0.0.1:${peerPort}`,
        "--auth",
        "memory:bob:pw",
      ]);
      const port = Number(
        (await program.waitFor(/SMTPFactory listening on 127\.0\.0\.1:(\d+)/))[1],
      );
      const script = `
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
    s.login("bob", "pw")
    s.sendmail("alice@example.com", ["carol@remote.example", "nobody@remote.example"],
               b"Subject: relayed\\r\\n\\r\\nto the smart host\\r\\n")
`;
      const r = await run(PYTHON, ["-c", script, String(port)]);
      assert.equal(r.code, 0, r.err);
      const line = await waitUntil(() => peerOut.split("\n").find((l) => l.includes('"to"')));
      const got = JSON.parse(line);
      assert.deepEqual(got.to, ["carol@remote.example"]);
      assert.equal(got.from, "alice@example.com");
      assert.match(atob(got.content), /Subject: relayed\r\n\r\nto the smart host\r\n$/);
      const newDir = join(dir, "example.com", "alice", "new");
      const bounce = await waitUntil(() => {
        try {
          const [name] = readdirSync(newDir);
          return name ? readFileSync(join(newDir, name), "utf8") : undefined;
        } catch {
          return undefined;
        }
      });
      assert.match(bounce, /Final-Recipient: rfc822; nobody@remote\.example\nAction: failed\n/);
      assert.match(bounce, /Status: 5\.1\.1\n/);
      assert.match(bounce, /Content-Type: message\/rfc822\n\nReceived: from /);
      await waitUntil(() => readdirSync(join(dir, "queue")).length === 0);
    } finally {
      if (program && transport) await terminate(program, transport);
      peer.stdin!.end();
      await new Promise((r) => peer.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(program.exitCode, 0, program.err);
  });

  it("serves SMTPS, POP3S and LMTP, and a domain written by twistd mail's code", {
    skip: HAVE_PY && HAVE_TWISTED && HAVE_CURL ? false : skip(false, "python3-twisted curl"),
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-mail-plugin-"));
    const domainDir = join(dir, "example.com");
    const twisted = `
import sys, os
from twisted.mail import maildir
from twisted.persisted import dirdbm
root = sys.argv[1]
db = dirdbm.open(os.path.join(root, "passwd"))
db[b"alice"] = b"secret"
d = os.path.join(root, "alice")
maildir.initializeMaildir(d)
name = maildir._generateMaildirName()
with open(os.path.join(d, "tmp", name), "wb") as f:
    f.write(b"From: twisted@example.org\\nSubject: written by Twisted\\n\\nhello\\n")
os.rename(os.path.join(d, "tmp", name), os.path.join(d, "new", name))
`;
    mkdirSync(domainDir);
    const w = spawnSync(PYTHON, ["-c", twisted, domainDir], { encoding: "utf8" });
    assert.equal(w.status, 0, w.stderr);
    const tls = `privateKey=${join(TLS_DIR, "server.key")}:certKey=${join(TLS_DIR, "server.pem")}`;
    const [program, transport] = start(CURRENT, [
      "mail",
      "-s",
      `ssl:0:interface=127.0.0.1:${tls}`,
      "-p",
      `ssl:0:interface=127.0.0.1:${tls}`,
      "--lmtp",
      "tcp:0:interface=127.0.0.1",
      "-d",
      `example.com=${domainDir}`,
      "--disable-anonymous",
    ]);
    try {
      const ports = await waitUntil(() => {
        const found = [...program.out.matchAll(/(\w+)Factory listening on 127\.0\.0\.1:(\d+)/g)];
        return found.length === 3 ? new Map(found.map((m) => [m[1], Number(m[2])])) : undefined;
      });
      const [smtps, lmtp, pop3s] = ["SMTP", "LMTP", "POP3"].map((name) => ports.get(name));
      const ca = join(TLS_DIR, "ca.pem");
      // POP3S: the message Twisted wrote, with CRLF line ends (curl pop3s://).
      const retr = await run("curl", [
        "-sS",
        "--cacert",
        ca,
        "-u",
        "alice@example.com:secret",
        `pop3s://127.0.0.1:${pop3s}/1`,
      ]);
      assert.equal(retr.code, 0, retr.err);
      assert.equal(
        retr.out,
        "From: twisted@example.org\r\nSubject: written by Twisted\r\n\r\nhello\r\n",
      );
      // SMTPS: AUTH PLAIN is offered at once (the connection is TLS from the start).
      const msg = join(dir, "msg.txt");
      writeFileSync(msg, "Subject: over SMTPS\r\n\r\nsecure\r\n");
      const send = await run("curl", [
        "-sS",
        "--cacert",
        ca,
        `smtps://127.0.0.1:${smtps}`,
        "--login-options",
        "AUTH=PLAIN",
        "-u",
        "alice@example.com:secret",
        "--mail-from",
        "alice@example.com",
        "--mail-rcpt",
        "alice@example.com",
        "--upload-file",
        msg,
      ]);
      assert.equal(send.code, 0, send.err);
      // LMTP: one reply per recipient.
      const lmtpScript = `
import json, smtplib, sys
s = smtplib.LMTP("127.0.0.1", int(sys.argv[1]))
try:
    s.sendmail("a@example.org", ["alice@example.com", "ghost@example.com"], b"Subject: lmtp\\r\\n\\r\\nx\\r\\n")
    print(json.dumps("sent"))
except smtplib.SMTPRecipientsRefused as e:
    print(json.dumps("refused"))
s.quit()
`;
      const l = await run(PYTHON, ["-c", lmtpScript, String(lmtp)]);
      assert.equal(l.code, 0, l.err);
      const names = readdirSync(join(domainDir, "alice", "new"));
      assert.equal(names.length, 2 + (l.out.includes("sent") ? 1 : 0), l.out);
    } finally {
      await terminate(program, transport);
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(program.exitCode, 0, program.err);
  });
});

/** Waits (at most 20 s) until `check` gives a value. */
async function waitUntil<T>(check: () => T | undefined | null | false): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("Timed out");
}
