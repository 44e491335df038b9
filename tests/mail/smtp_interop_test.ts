// Interop of our ESMTP server with real clients: Python's smtplib (/usr/bin/python3) and
// swaks. Plain, STARTTLS (verified against the test CA), AUTH PLAIN / LOGIN / CRAM-MD5;
// the delivered bytes are checked. Without a peer the test is skipped, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type IPv4Address, reactor } from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import {
  type Address,
  type IMessage,
  IMessageDelivery,
  SMTPBadRcpt,
  SMTPFactory,
  type User,
} from "../../src/mail/mod.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../../src/cred/mod.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PYTHON = "/usr/bin/python3";
const CI = process.env.CI === "true";
const TLS_DIR = fileURLToPath(new URL("../fixtures/tls", import.meta.url));
const CLIENT = fileURLToPath(new URL("smtp_peer_client.py", import.meta.url));
const tls = (name: string): string => readFileSync(join(TLS_DIR, name), "utf8");
const HAVE_SWAKS = spawnSync("swaks", ["--version"], { stdio: "ignore" }).status === 0;
const HAVE_PY = spawnSync(PYTHON, ["-c", "import smtplib, ssl"], { stdio: "ignore" }).status === 0;
const perl = (mod: string): boolean =>
  spawnSync("perl", [`-M${mod}`, "-e1"], { stdio: "ignore" }).status === 0;
const HAVE_SSLEAY = perl("Net::SSLeay");
const HAVE_HMAC = perl("Digest::HMAC_MD5");
const skip = (have: boolean, pkg: string): string | false =>
  have || CI ? false : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;

/** Writes each message to its own file in `dir` (one file per recipient). */
class DirDelivery {
  n = 0;
  dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }
  receivedHeader(helo: [string, string] | null): string {
    return `Received: from ${helo?.[0] ?? "unknown"} by test`;
  }
  validateFrom(_helo: unknown, origin: Address): Address {
    return origin;
  }
  validateTo(user: User): () => IMessage {
    if (user.dest.local === "nobody") throw new SMTPBadRcpt(user);
    return () => {
      const parts: Uint8Array[] = [];
      return {
        lineReceived: (line) => {
          parts.push(line, new Uint8Array([13, 10]));
        },
        eomReceived: () => {
          const size = parts.reduce((a, p) => a + p.length, 0);
          const all = new Uint8Array(size);
          let at = 0;
          for (const p of parts) {
            all.set(p, at);
            at += p.length;
          }
          writeFileSync(join(this.dir, `${this.n++}-${user.dest}`), all);
        },
        connectionLost: () => {},
      };
    };
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out, err });
    });
  });
}

async function withServer(
  fn: (port: number, dir: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tw-smtp-"));
  const delivery = new DirDelivery(dir);
  const portal = new Portal(
    { requestAvatar: () => [IMessageDelivery, delivery, () => {}] },
    [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
  );
  const factory = new SMTPFactory({
    domain: "mx.test",
    delivery,
    portal,
    timeout: 30,
    tlsOptions: { cert: tls("server.pem"), key: tls("server.key") },
  });
  const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
  await port.whenListening!();
  try {
    await fn((port.getHost() as IPv4Address).port, dir);
  } finally {
    await port.stopListening();
    // Let the closing connections finish before the leak check.
    await new Promise((r) => setTimeout(r, 100));
    rmSync(dir, { recursive: true, force: true });
  }
}

const files = (dir: string): string[] => readdirSync(dir).sort();
const EXPECTED = "Subject: interop\r\n\r\nline one\r\n.leading dot\r\n\u00e9 8bit\r\n";

describe("ESMTP server interop", () => {
  it(
    "smtplib sends through our ESMTP in clear text",
    { skip: skip(HAVE_PY, "python3") },
    async () => {
      await withServer(async (port, dir) => {
        const r = await run(PYTHON, [CLIENT, String(port), join(TLS_DIR, "ca.pem"), "plain"]);
        assert.equal(r.code, 0, r.err);
        const out = JSON.parse(r.out);
        assert.ok(out.features.includes("starttls"));
        assert.ok(out.features.includes("pipelining"));
        assert.deepEqual(files(dir), ["0-rcpt@example.net"]);
        const body = new TextDecoder().decode(readFileSync(join(dir, files(dir)[0])));
        assert.equal(body, "Received: from py.test by test\r\n" + EXPECTED);
      });
    },
  );

  it("smtplib uses STARTTLS and AUTH LOGIN/PLAIN; bytes arrive identical", {
    skip: skip(HAVE_PY, "python3"),
  }, async () => {
    await withServer(async (port, dir) => {
      const r = await run(PYTHON, [CLIENT, String(port), join(TLS_DIR, "ca.pem"), "tls"]);
      assert.equal(r.code, 0, r.err);
      const out = JSON.parse(r.out);
      assert.equal(out.starttls, 220);
      assert.ok(!out.features.includes("auth") || !/PLAIN/.test(out.features));
      assert.match(out.auth, /PLAIN/);
      assert.equal(out.login, 235);
      assert.deepEqual(out.refused, { "nobody@example.net": 550 });
      assert.deepEqual(files(dir), ["0-rcpt@example.net"]);
      const body = readFileSync(join(dir, files(dir)[0]));
      assert.equal(new TextDecoder().decode(body), "Received: from py.test by test\r\n" + EXPECTED);
    });
  });

  for (const mech of ["PLAIN", "LOGIN", "CRAM-MD5"]) {
    it(`smtplib logs in with AUTH ${mech} after STARTTLS`, {
      skip: skip(HAVE_PY, "python3"),
    }, async () => {
      await withServer(async (port, dir) => {
        const r = await run(PYTHON, [CLIENT, String(port), join(TLS_DIR, "ca.pem"), `tls-${mech}`]);
        assert.equal(r.code, 0, r.err);
        const out = JSON.parse(r.out);
        assert.equal(out.starttls, 220);
        assert.equal(out.login, 235);
        assert.deepEqual(files(dir), ["0-rcpt@example.net"]);
      });
    });
  }

  it("swaks sends in clear text, pipelined", { skip: skip(HAVE_SWAKS, "swaks") }, async () => {
    await withServer(async (port, dir) => {
      const r = await run("swaks", [
        "--server",
        "127.0.0.1",
        "--port",
        String(port),
        "--ehlo",
        "swaks.test",
        "--pipeline",
        "--from",
        "s@example.org",
        "--to",
        "rcpt@example.net,nobody@example.net",
        "--body",
        "swaks body",
        "--header",
        "Subject: swaks",
      ]);
      assert.match(r.out, /<\*\* +550/);
      assert.deepEqual(files(dir), ["0-rcpt@example.net"]);
      const text = readFileSync(join(dir, files(dir)[0]), "utf8");
      assert.match(
        text,
        /^Received: from swaks\.test by test\r\n[\s\S]*Subject: swaks\r\n[\s\S]*swaks body/,
      );
    });
  });

  it("swaks logs in with AUTH CRAM-MD5 in clear text", {
    skip: HAVE_SWAKS && HAVE_HMAC ? false : skip(false, "swaks libdigest-hmac-perl"),
  }, async () => {
    await withServer(async (port, dir) => {
      const r = await run("swaks", [
        "--server",
        "127.0.0.1",
        "--port",
        String(port),
        "--from",
        "s@example.org",
        "--to",
        "rcpt@example.net",
        "--auth",
        "CRAM-MD5",
        "--auth-user",
        "alice",
        "--auth-password",
        "secret",
      ]);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /235 2\.7\.0 Authentication successful/);
      assert.deepEqual(files(dir), ["0-rcpt@example.net"]);
    });
  });

  for (const mech of ["PLAIN", "LOGIN"]) {
    it(`swaks sends with STARTTLS and AUTH ${mech}`, {
      skip: HAVE_SWAKS && HAVE_SSLEAY ? false : skip(false, "swaks libnet-ssleay-perl"),
    }, async () => {
      await withServer(async (port, dir) => {
        const r = await run("swaks", [
          "--server",
          "127.0.0.1",
          "--port",
          String(port),
          "--ehlo",
          "swaks.test",
          "--from",
          "s@example.org",
          "--to",
          "rcpt@example.net",
          "--tls",
          "--tls-ca-path",
          join(TLS_DIR, "ca.pem"),
          "--tls-verify",
          "--auth",
          mech,
          "--auth-user",
          "alice",
          "--auth-password",
          "secret",
        ]);
        assert.equal(r.code, 0, r.out + r.err);
        assert.match(r.out, /220 2\.0\.0 Ready to start TLS/);
        assert.match(r.out, /235 2\.7\.0 Authentication successful/);
        assert.deepEqual(files(dir), ["0-rcpt@example.net"]);
      });
    });
  }

  it(
    "swaks in clear text is not offered AUTH PLAIN",
    { skip: skip(HAVE_SWAKS, "swaks") },
    async () => {
      await withServer(async (port) => {
        const r = await run("swaks", [
          "--server",
          "127.0.0.1",
          "--port",
          String(port),
          "--from",
          "s@example.org",
          "--to",
          "rcpt@example.net",
          "--auth",
          "PLAIN",
          "--auth-user",
          "alice",
          "--auth-password",
          "secret",
        ]);
        // swaks does not try a mechanism not offered: PLAIN is not offered before TLS.
        assert.notEqual(r.code, 0);
        assert.match(r.out, /<- +250 AUTH CRAM-MD5\n/);
      });
    },
  );
});
