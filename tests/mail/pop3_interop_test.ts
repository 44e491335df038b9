// Interop of our POP3 server (in-process, on a free loopback port) with real clients:
// Python's poplib (USER/PASS, APOP, STLS verified against the test CA; CAPA, STAT, LIST,
// UIDL, TOP, RETR, DELE with exact sizes) and curl's pop3:// (LIST, RETR). The domain
// directory is written by Twisted's own code (DirDBM passwd + maildir) and served as is.
// Without a peer the test is skipped, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { type IPv4Address, reactor } from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { Portal } from "../../src/cred/mod.ts";
import { MaildirDirdbmDomain, POP3Factory } from "../../src/mail/pop3/mod.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PYTHON = "/usr/bin/python3";
const CI = process.env.CI === "true";
const TLS_DIR = fileURLToPath(new URL("../fixtures/tls", import.meta.url));
const PEER = fileURLToPath(new URL("pop3_peer_poplib.py", import.meta.url));
const tls = (name: string): string => readFileSync(join(TLS_DIR, name), "utf8");
const HAVE_TWISTED = spawnSync(PYTHON, ["-c", "import twisted.mail.maildir, poplib"], {
  stdio: "ignore",
}).status === 0;
const HAVE_CURL = spawnSync("curl", ["--version"], { stdio: "ignore" }).status === 0;
const skip = (have: boolean, pkg: string): string | false =>
  have || CI ? false : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;

const MESSAGES = [
  "From: a@example.com\nSubject: one\n\nfirst line\n.leading dot\n\u00e9 8bit\n",
  "From: b@example.com\nSubject: two\n\nsecond\n",
];

/** Writes a domain directory with Twisted's DirDBM and maildir code. */
function twistedDomain(root: string): void {
  const script = `
import sys, os
from twisted.mail import maildir
from twisted.persisted import dirdbm
root = sys.argv[1]
db = dirdbm.open(os.path.join(root, "passwd"))
db[b"alice"] = b"secret"
d = os.path.join(root, "alice")
maildir.initializeMaildir(d)
for body in sys.argv[2:]:
    name = maildir._generateMaildirName()
    with open(os.path.join(d, "tmp", name), "wb") as f:
        f.write(body.encode("utf-8"))
    os.rename(os.path.join(d, "tmp", name), os.path.join(d, "new", name))
`;
  const r = spawnSync(PYTHON, ["-c", script, root, ...MESSAGES], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out, err });
    });
  });
}

async function withServer(fn: (port: number, root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "tw-pop3-"));
  twistedDomain(root);
  const domain = new MaildirDirdbmDomain(null, root);
  const portal = new Portal(domain, await domain.getCredentialsCheckers());
  const factory = new POP3Factory({
    portal,
    timeout: 30,
    tlsOptions: { cert: tls("server.pem"), key: tls("server.key") },
  });
  const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
  await port.whenListening!();
  try {
    await fn((port.getHost() as IPv4Address).port, root);
  } finally {
    await port.stopListening();
    await new Promise((r) => setTimeout(r, 100));
    rmSync(root, { recursive: true, force: true });
  }
}

const enc = new TextEncoder();
const crlf = (text: string): number => enc.encode(text.replaceAll("\n", "\r\n")).byteLength;

describe("POP3 server interop", () => {
  for (const mode of ["user", "apop", "stls"]) {
    it(`poplib logs in (${mode}) and reads a maildir written by Twisted; DELE at QUIT`, {
      skip: skip(HAVE_TWISTED, "python3-twisted"),
    }, async () => {
      await withServer(async (port, root) => {
        const r = await run(PYTHON, [
          PEER,
          String(port),
          join(TLS_DIR, "ca.pem"),
          mode,
          "alice",
          "secret",
        ]);
        assert.equal(r.code, 0, r.err);
        const out = JSON.parse(r.out);
        // CAPA in the TRANSACTION state: no USER, SASL or STLS any more
        for (const cap of ["TOP", "UIDL", "PIPELINING", "RESP-CODES", "IMPLEMENTATION"]) {
          assert.ok(out.capa.includes(cap), cap);
        }
        assert.ok(!out.capa.includes("STLS"));
        const sizes = MESSAGES.map(crlf);
        assert.deepEqual(out.stat, [2, sizes[0] + sizes[1]]);
        assert.deepEqual(out.list, [`1 ${sizes[0]}`, `2 ${sizes[1]}`]);
        assert.equal(out.uidl.length, 2);
        assert.match(out.uidl[0], /^1 [0-9a-f]{32}$/);
        assert.deepEqual(out.top, ["From: a@example.com", "Subject: one", "", "first line"]);
        for (let i = 0; i < 2; i++) {
          assert.equal(out.retr[i].octets, sizes[i]);
          assert.equal(out.retr[i].resp, `+OK ${sizes[i]} octets`);
          const text = new TextDecoder().decode(
            Uint8Array.from(out.retr[i].lines.join("\n") + "\n", (c: string) => c.charCodeAt(0)),
          );
          assert.equal(text, MESSAGES[i]);
        }
        assert.deepEqual(out.after, [1, sizes[1]]);
        const user = join(root, "alice");
        assert.equal(readdirSync(join(user, "new")).length, 1);
        assert.equal(readdirSync(join(user, ".Trash", "cur")).length, 1);
      });
    });
  }

  it("curl lists and retrieves over pop3://", {
    skip: skip(HAVE_CURL && HAVE_TWISTED, "curl"),
  }, async () => {
    await withServer(async (port) => {
      const url = `pop3://alice:secret@127.0.0.1:${port}/`;
      const list = await run("curl", ["-sS", "--max-time", "20", url]);
      assert.equal(list.code, 0, list.err);
      const sizes = MESSAGES.map(crlf);
      assert.equal(list.out, `1 ${sizes[0]}\r\n2 ${sizes[1]}\r\n`);
      const retr = await run("curl", ["-sS", "--max-time", "20", `${url}1`]);
      assert.equal(retr.code, 0, retr.err);
      assert.equal(retr.out, MESSAGES[0].replaceAll("\n", "\r\n"));
      const stls = await run("curl", [
        "-sS",
        "--max-time",
        "20",
        "--ssl-reqd",
        "--cacert",
        join(TLS_DIR, "ca.pem"),
        `pop3://alice:secret@localhost:${port}/2`,
      ]);
      assert.equal(stls.code, 0, stls.err);
      assert.equal(stls.out, MESSAGES[1].replaceAll("\n", "\r\n"));
    });
  });
});
