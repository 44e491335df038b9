// FTPClient against Twisted's own FTP server (FTPFactory, FTPRealm and a
// checker that works on Python 3, run by tests/protocols/ftp/client_peer_twisted.py
// under /usr/bin/python3, Debian's python3-twisted): Twisted has no EPSV, EPRT
// or REST, so the client falls back to PASV and PORT and a REST fails alone;
// the rest of the session (list, nlst, retrieve, store, rename, directories,
// size, mdtm, failures) passive and active, and anonymous read-only access.
// Without Twisted the tests are skipped, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { CommandFailed, type FTPClientOptions } from "../../../src/protocols/ftp/mod.ts";
import { Collect, connect, makeRoot, PYTHON, session, withPythonPeer } from "./_client_interop.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PEER = fileURLToPath(new URL("client_peer_twisted.py", import.meta.url));
const HAVE_TWISTED =
  spawnSync(PYTHON, ["-c", "import twisted.protocols.ftp"], { stdio: "ignore" }).status === 0;
const SKIP = HAVE_TWISTED || process.env.CI === "true"
  ? false
  : "peer missing: install Debian's python3-twisted (apt-get install -y python3-twisted)";

async function withTwisted(
  fn: (port: number, root: string, anonymous: string) => Promise<void>,
): Promise<void> {
  // alice's home is <dir>/alice (FTPRealm: userHome/avatarId); anonymous gets <dir>/pub.
  const { dir, root, cleanup } = makeRoot("alice");
  const anonymous = join(dir, "pub");
  mkdirSync(anonymous);
  try {
    await withPythonPeer(PEER, [anonymous, dir, "127.0.0.1"], (port) => fn(port, root, anonymous));
  } finally {
    cleanup();
  }
}

async function run(options: FTPClientOptions): Promise<void> {
  await withTwisted(async (port, root) => {
    const client = await connect("127.0.0.1", port, options);
    await session(client, root, { rest: false });
  });
}

describe("FTPClient with Twisted's FTP server", { skip: SKIP, timeout: 120_000 }, () => {
  it("passive: EPSV refused, PASV used", { timeout: 60_000 }, async () => {
    await run({ passive: true });
  });

  it("active: EPRT refused, PORT used", { timeout: 60_000 }, async () => {
    await run({ passive: false });
  });

  it("anonymous users read but cannot write", { timeout: 60_000 }, async () => {
    await withTwisted(async (port, _root, anonymous) => {
      const { writeFileSync } = await import("node:fs");
      writeFileSync(join(anonymous, "readme.txt"), "public\n");
      const client = await connect("127.0.0.1", port, {}, ["anonymous", "me@example.org"]);
      const file = new Collect();
      await client.retrieveFile("readme.txt", file);
      assert.equal(file.text(), "public\n");
      await assert.rejects(client.makeDirectory("nope").asPromise(), (e: Error) => {
        assert.ok(e instanceof CommandFailed);
        assert.equal(e.code, 550);
        return true;
      });
      await client.quit();
    });
  });
});
