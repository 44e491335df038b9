// Interop of our SMTP client and sendmail with real servers: aiosmtpd (STARTTLS verified
// against the test CA, AUTH PLAIN/LOGIN) and Twisted's own ESMTP server (twisted.mail.smtp,
// STARTTLS). Checks that STARTTLS was used and that the bytes arrived identical.
// Without a peer the tests are skipped, except under CI (CI=true), where they fail.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { trackLeaks } from "../../src/testing/mod.ts";
import { sendmail, SMTPDeliveryError, TLSRequiredError } from "../../src/mail/mod.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PYTHON = "/usr/bin/python3";
const CI = process.env.CI === "true";
const TLS_DIR = fileURLToPath(new URL("../fixtures/tls", import.meta.url));
const AIOSMTPD = fileURLToPath(new URL("smtp_peer_aiosmtpd.py", import.meta.url));
const TWISTED = fileURLToPath(new URL("smtp_peer_twisted.py", import.meta.url));
const CA = readFileSync(`${TLS_DIR}/ca.pem`, "utf8");
const has = (mod: string): boolean =>
  spawnSync(PYTHON, ["-c", `import ${mod}`], { stdio: "ignore" }).status === 0;
const skip = (have: boolean, pkg: string): string | false =>
  have || CI ? false : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;
const SKIP_AIO = skip(has("aiosmtpd"), "python3-aiosmtpd");
const SKIP_TWISTED = skip(has("twisted.mail.smtp"), "python3-twisted");

interface Peer {
  port: number;
  next(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

function startPeer(args: string[]): Promise<Peer> {
  const child: ChildProcess = spawn(PYTHON, args, { stdio: ["pipe", "pipe", "pipe"] });
  let buffer = "";
  let err = "";
  const waiting: ((v: Record<string, unknown>) => void)[] = [];
  const queued: Record<string, unknown>[] = [];
  child.stderr!.on("data", (d) => err += d);
  child.stdout!.on("data", (d) => {
    buffer += d;
    let at: number;
    while ((at = buffer.indexOf("\n")) >= 0) {
      const obj = JSON.parse(buffer.slice(0, at));
      buffer = buffer.slice(at + 1);
      const w = waiting.shift();
      if (w) w(obj);
      else queued.push(obj);
    }
  });
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  const next = (): Promise<Record<string, unknown>> =>
    queued.length > 0 ? Promise.resolve(queued.shift()!) : new Promise((resolve, reject) => {
      waiting.push(resolve);
      const t = setTimeout(() => reject(new Error(`peer silent: ${err}`)), 20000);
      exited.then(() => {
        clearTimeout(t);
        reject(new Error(`peer exited: ${err}`));
      });
    });
  return next().then((first) => ({
    port: first.port as number,
    next: () => next(),
    stop: async () => {
      child.stdin!.end();
      await exited;
    },
  }));
}

const MESSAGE = "Subject: from tw\n\nline one\n.leading dot\n..two dots\nlast line\n";
const CRLF = MESSAGE.replaceAll("\n", "\r\n");
const b64 = (s: unknown): string =>
  new TextDecoder().decode(
    Uint8Array.from(atob(String(s)), (c) => c.charCodeAt(0)),
  );

describe("SMTP client interop", () => {
  it("sendmail to aiosmtpd uses STARTTLS and AUTH; bytes arrive identical", {
    skip: SKIP_AIO,
  }, async () => {
    const peer = await startPeer([AIOSMTPD, TLS_DIR, "tls"]);
    try {
      const result = await sendmail(
        "127.0.0.1",
        "a@example.org",
        [
          "b@example.net",
          "nobody@example.net",
        ],
        MESSAGE,
        {
          port: peer.port,
          username: "alice",
          password: "secret",
          requireAuthentication: true,
          tlsOptions: { ca: CA },
        },
      );
      assert.deepEqual(result[0], 1);
      assert.deepEqual(result[1].map(([a, c]) => [a, c]), [
        ["b@example.net", 250],
        ["nobody@example.net", 550],
      ]);
      const got = await peer.next();
      assert.equal(got.tls, true);
      assert.equal(got.auth, true);
      assert.deepEqual(got.to, ["b@example.net"]);
      assert.equal(b64(got.content), CRLF);
    } finally {
      await peer.stop();
    }
  });

  it("sendmail sends CRLF and 8-bit messages unchanged, with BODY=8BITMIME and SIZE", {
    skip: SKIP_AIO,
  }, async () => {
    const peer = await startPeer([AIOSMTPD, TLS_DIR, "tls"]);
    try {
      const msg = new TextEncoder().encode("Subject: caf\u00e9\r\n\r\n\u00e9t\u00e9\r\n");
      const result = await sendmail("127.0.0.1", "a@example.org", "b@example.net", msg, {
        port: peer.port,
        username: "alice",
        password: "secret",
        tlsOptions: { ca: CA },
      });
      assert.equal(result[0], 1);
      const got = await peer.next();
      assert.ok((got.mail_options as string[]).includes("BODY=8BITMIME"));
      assert.ok((got.mail_options as string[]).some((o) => o.startsWith("SIZE=")));
      const bytes = Uint8Array.from(atob(String(got.content)), (c) => c.charCodeAt(0));
      assert.deepEqual(bytes, msg);
    } finally {
      await peer.stop();
    }
  });

  it("sendmail fails with TLSRequiredError when the server has no STARTTLS", {
    skip: SKIP_AIO,
  }, async () => {
    const peer = await startPeer([AIOSMTPD, TLS_DIR, "notls"]);
    try {
      await assert.rejects(
        async () =>
          await sendmail("127.0.0.1", "a@example.org", "b@example.net", MESSAGE, {
            port: peer.port,
          }),
        (e: unknown) => e instanceof TLSRequiredError,
      );
      // Opting out sends in clear text.
      const r = await sendmail("127.0.0.1", "a@example.org", "b@example.net", MESSAGE, {
        port: peer.port,
        requireTransportSecurity: false,
      });
      assert.equal(r[0], 1);
      const got = await peer.next();
      assert.equal(got.tls, false);
      await assert.rejects(
        async () =>
          await sendmail("127.0.0.1", "a@example.org", "nobody@example.net", MESSAGE, {
            port: peer.port,
            requireTransportSecurity: false,
          }),
        (e: unknown) => e instanceof SMTPDeliveryError,
      );
    } finally {
      await peer.stop();
    }
  });

  it("sendmail to Twisted's ESMTP server uses STARTTLS; bytes arrive identical", {
    skip: SKIP_TWISTED,
  }, async () => {
    const peer = await startPeer([TWISTED, TLS_DIR]);
    try {
      const result = await sendmail(
        "127.0.0.1",
        "a@example.org",
        [
          "b@example.net",
          "nobody@example.net",
        ],
        MESSAGE,
        { port: peer.port, tlsOptions: { ca: CA } },
      );
      assert.equal(result[0], 1);
      assert.equal(result[1][1][1], 550);
      const got = await peer.next();
      assert.equal(got.to, "b@example.net");
      assert.equal(b64(got.content), "Received: by twisted\n" + MESSAGE);
    } finally {
      await peer.stop();
    }
  });
});
