// FTPClient against pyftpdlib (Debian's python3-pyftpdlib; its TLS needs
// python3-openssl), run by tests/protocols/ftp/client_peer_pyftpdlib.py on a
// free loopback port: the whole session (list, nlst, retrieve with offset,
// resumed store, rename, directories, size, mdtm, failures) passive and
// active, with TLS (AUTH TLS, PROT P, the test CA verified, data TLS started
// after the 1xx as pyftpdlib wants), over ::1, and ABOR when a download is
// cancelled. Without pyftpdlib the tests are skipped, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { CancelledError, Deferred } from "../../../src/internet/defer.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { connectProtocol, reactor, TCP4ClientEndpoint } from "../../../mod.ts";
import {
  ConnectionLost,
  FTPClient,
  type FTPClientOptions,
} from "../../../src/protocols/ftp/mod.ts";
import { Collect, connect, makeRoot, PYTHON, session, withPythonPeer } from "./_client_interop.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const CI = process.env.CI === "true";
const PEER = fileURLToPath(new URL("client_peer_pyftpdlib.py", import.meta.url));
const TLS_DIR = fileURLToPath(new URL("../../fixtures/tls", import.meta.url));
const has = (modules: string): boolean =>
  spawnSync(PYTHON, ["-c", `import ${modules}`], { stdio: "ignore" }).status === 0;
const HAVE_PYFTPDLIB = has("pyftpdlib");
const HAVE_OPENSSL = has("pyftpdlib, OpenSSL");
const skip = (have: boolean, pkg: string): string | false =>
  have || CI ? false : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;
const CA = readFileSync(join(TLS_DIR, "ca.pem"), "utf8");

async function run(host: string, options: FTPClientOptions, tls: boolean): Promise<void> {
  const { root, cleanup } = makeRoot();
  const args = [
    root,
    host,
    ...(tls ? [join(TLS_DIR, "server.pem"), join(TLS_DIR, "server.key")] : []),
  ];
  try {
    await withPythonPeer(PEER, args, async (port) => {
      const client = await connect(host, port, options);
      await session(client, root);
      assert.equal(client.secure, tls);
    });
  } finally {
    cleanup();
  }
}

describe("FTPClient with pyftpdlib", {
  skip: skip(HAVE_PYFTPDLIB, "python3-pyftpdlib"),
  timeout: 120_000,
}, () => {
  it("passive (EPSV) over 127.0.0.1", { timeout: 60_000 }, async () => {
    await run("127.0.0.1", { passive: true }, false);
  });

  it("active (EPRT) over 127.0.0.1", { timeout: 60_000 }, async () => {
    await run("127.0.0.1", { passive: false }, false);
  });

  it("passive and active over ::1", { timeout: 60_000 }, async () => {
    await run("::1", { passive: true }, false);
    await run("::1", { passive: false }, false);
  });

  it(
    "logs in anonymously, read-only, and a wrong password fails the queue",
    { timeout: 60_000 },
    async () => {
      const { root, cleanup } = makeRoot();
      try {
        await withPythonPeer(PEER, [root, "127.0.0.1"], async (port) => {
          // connectProtocol with an endpoint, and Twisted's anonymous defaults.
          const anonymous = await connectProtocol(
            new TCP4ClientEndpoint(reactor, "127.0.0.1", port),
            new FTPClient(undefined, undefined, { reactor }),
          );
          const file = new Collect();
          await anonymous.retrieveFile("a.txt", file);
          assert.equal(file.text(), "hello world\n");
          await assert.rejects(anonymous.makeDirectory("nope").asPromise(), /550/);
          await anonymous.quit();
          const wrong = await connect("127.0.0.1", port, {}, ["alice", "wrong"]);
          await assert.rejects(wrong.pwd().asPromise(), (e: Error) => {
            assert.ok(e instanceof ConnectionLost);
            assert.match(String((e.cause as Error).message), /530/);
            return true;
          });
        });
      } finally {
        cleanup();
      }
    },
  );

  it("cancelling a download sends ABOR; the session goes on", { timeout: 60_000 }, async () => {
    const { root, cleanup } = makeRoot();
    writeFileSync(join(root, "big.bin"), "");
    truncateSync(join(root, "big.bin"), 256 * 1024 * 1024);
    try {
      await withPythonPeer(PEER, [root, "127.0.0.1"], async (port) => {
        const client = await connect("127.0.0.1", port, {});
        const sent: string[] = [];
        const write = client.transport.write.bind(client.transport);
        client.transport.write = (data: Uint8Array) => {
          sent.push(new TextDecoder().decode(data));
          write(data);
        };
        const started = new Deferred<void>();
        class Stall extends Collect {
          override dataReceived(data: Uint8Array): void {
            super.dataReceived(data);
            this.transport.pauseProducing();
            if (!started.called) started.callback(undefined);
          }
        }
        const download = client.retrieveFile("big.bin", new Stall());
        const outcome = download.asPromise().then(() => "done", (e) => e);
        await started;
        download.cancel();
        assert.ok((await outcome) instanceof CancelledError);
        assert.equal(await client.getDirectory(), "/");
        assert.deepEqual(sent.slice(-4), ["RETR big.bin\r\n", "ABOR\r\n", "NOOP\r\n", "PWD\r\n"]);
        const file = new Collect();
        await client.retrieveFile("a.txt", file);
        assert.equal(file.text(), "hello world\n");
        await client.quit();
      });
    } finally {
      cleanup();
    }
  });
});

describe("FTPClient with pyftpdlib over TLS", {
  skip: skip(HAVE_OPENSSL, "python3-pyftpdlib python3-openssl"),
  timeout: 120_000,
}, () => {
  it(
    "AUTH TLS, PROT P, passive, the server verified with the test CA",
    { timeout: 60_000 },
    async () => {
      await run("127.0.0.1", { passive: true, tls: { ca: CA } }, true);
    },
  );

  it("AUTH TLS, PROT P, active", { timeout: 60_000 }, async () => {
    await run("127.0.0.1", { passive: false, tls: { ca: CA } }, true);
  });

  it("AUTH TLS over ::1", { timeout: 60_000 }, async () => {
    await run("::1", { passive: true, tls: { ca: CA } }, true);
  });

  it("refuses a server its CA does not vouch for", { timeout: 60_000 }, async () => {
    const { root, cleanup } = makeRoot();
    const other = readFileSync(join(TLS_DIR, "other_ca.pem"), "utf8");
    try {
      await withPythonPeer(
        PEER,
        [root, "127.0.0.1", join(TLS_DIR, "server.pem"), join(TLS_DIR, "server.key")],
        async (port) => {
          const client = await connect("127.0.0.1", port, { tls: { ca: other } });
          await assert.rejects(client.pwd().asPromise(), ConnectionLost);
        },
      );
    } finally {
      cleanup();
    }
  });
});
