// Our SFTP client and `tw cftp` against Twisted's own SSH server and SFTP subsystem
// (`twistd conch`'s, python3-twisted; started from twisted_sftp_server.py, which patches
// around Twisted's broken home directory, #9845).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { Factory, reactor } from "../../../mod.ts";
import { KnownHostsFile, SSHCommandClientEndpoint } from "../../../src/conch/mod.ts";
import {
  FileTransferClient,
  FX_NO_SUCH_FILE,
  FXF_CREAT,
  FXF_READ,
  FXF_TRUNC,
  FXF_WRITE,
  SFTPError,
} from "../../../src/conch/sftp/mod.ts";
import {
  HAVE_SSH,
  HAVE_TWISTED_CONCH,
  keygen,
  PYTHON,
  runClient,
  skipUnless,
  tempDir,
} from "../ssh/_sshd.ts";
import { command, CURRENT } from "../../cli/_program.ts";

const SKIP = skipUnless(HAVE_TWISTED_CONCH, "python3-twisted") ||
  skipUnless(HAVE_SSH, "openssh-client");
const PEER = new URL("./twisted_sftp_server.py", import.meta.url).pathname;
const USER = "bob";
const PASSWORD = "s3cret";
const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** Starts Twisted's SFTP server on a free loopback port. */
function startTwisted(
  root: string,
  hostKey: string,
  authorized: string,
): Promise<{ port: number; child: ChildProcess; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PEER, root, hostKey, authorized, USER, PASSWORD], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const stop = (): Promise<void> =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
      });
    child.stderr!.on("data", (d: Uint8Array) => err += new TextDecoder().decode(d));
    child.stdout!.on("data", (d: Uint8Array) => {
      out += new TextDecoder().decode(d);
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), child, stop });
    });
    child.once("exit", (code) => reject(new Error(`Twisted's server exited (${code}): ${err}`)));
  });
}

describe("our SFTP client and tw cftp against Twisted's SFTP server", { skip: SKIP }, () => {
  let dir = "";
  let root = "";
  let cleanup = (): void => {};
  let server: Awaited<ReturnType<typeof startTwisted>> | undefined;
  let knownHosts = "";

  before(async () => {
    [dir, cleanup] = tempDir("tw-sftp-twisted-");
    root = join(dir, "root");
    mkdirSync(root);
    keygen(dir, "host_key", "ecdsa256");
    keygen(dir, "user_key", "ed25519");
    server = await startTwisted(root, join(dir, "host_key"), join(dir, "user_key.pub"));
    knownHosts = join(dir, "known_hosts");
    const hostPublic = readFileSync(join(dir, "host_key.pub"), "utf8").split(" ").slice(0, 2);
    writeFileSync(knownHosts, `[127.0.0.1]:${server.port} ${hostPublic.join(" ")}\n`);
  });
  after(async () => {
    await server?.stop();
    cleanup();
  });

  it("FileTransferClient writes, reads, lists, links, renames and removes", {
    timeout: 60_000,
  }, async () => {
    const endpoint = SSHCommandClientEndpoint.newConnection(reactor, "sftp", USER, "127.0.0.1", {
      port: server!.port,
      password: PASSWORD,
      knownHosts: await KnownHostsFile.fromPath(knownHosts),
      subsystem: true,
    });
    const client = await endpoint.connect(
      Factory.forProtocol(FileTransferClient),
    ) as FileTransferClient;
    try {
      assert.equal((await client.whenVersion()).version, 3);
      const data = randomBytes(200_000);
      const file = await client.openFile("a.bin", FXF_WRITE | FXF_CREAT | FXF_TRUNC, {});
      const writes = [];
      for (let at = 0; at < data.length; at += 32768) {
        writes.push(file.writeChunk(at, data.subarray(at, at + 32768)));
      }
      await Promise.all(writes);
      await file.close();
      assert.equal(sha256(readFileSync(join(root, "a.bin"))), sha256(data));

      const reader = await client.openFile("a.bin", FXF_READ);
      const chunks = await Promise.all(
        Array.from(
          { length: Math.ceil(data.length / 32768) },
          (_, i) => reader.readChunk(i * 32768, 32768),
        ),
      );
      await reader.close();
      assert.equal(sha256(Buffer.concat(chunks)), sha256(data));
      assert.equal((await client.getAttrs("a.bin")).size, data.length);

      await client.makeDirectory("d", {});
      await client.renameFile("a.bin", "d/b.bin");
      // Twisted's server takes SYMLINK's paths in the draft's order (link, target), and
      // stores the target made absolute under the home.
      await client.makeLink("d/link", "d/b.bin");
      assert.equal(readlinkSync(join(root, "d", "link")), join(root, "d", "b.bin"));
      assert.equal(await client.readLink("d/link"), join(root, "d", "b.bin"));
      assert.equal((await client.getAttrs("d/link", true)).size, data.length);
      await client.setAttrs("d/b.bin", { permissions: 0o600 });
      assert.equal(statSync(join(root, "d", "b.bin")).mode & 0o777, 0o600);

      const listing = await client.openDirectory("d");
      const names: string[] = [];
      for await (const [name] of listing) names.push(name);
      await listing.close();
      assert.deepEqual(names.filter((n) => !n.startsWith(".")).sort(), ["b.bin", "link"]);
      assert.equal(await client.realPath("d/.."), root);
      await assert.rejects(
        client.openFile("nothere", FXF_READ),
        (e: unknown) => e instanceof SFTPError && e.code === FX_NO_SUCH_FILE,
      );
      await client.removeFile("d/link");
      await client.removeFile("d/b.bin");
      await client.removeDirectory("d");
      assert.equal(existsSync(join(root, "d")), false);
    } finally {
      client.transport?.loseConnection();
    }
  });

  it("tw cftp runs a batch: put, get, ls, mkdir, rename, rm, and stops at a failed command", {
    timeout: 90_000,
  }, async () => {
    const local = join(dir, "local");
    mkdirSync(local);
    const data = randomBytes(1 << 20);
    writeFileSync(join(local, "big.bin"), data);
    const batchFile = join(dir, "batch");
    writeFileSync(
      batchFile,
      [
        `lcd ${local}`,
        "put big.bin",
        "ls -l",
        "get big.bin back.bin",
        "mkdir sub",
        "rename big.bin sub/moved.bin",
        "ls sub",
        "-rm no-such-file",
        "rm no-such-file",
        "rm sub/moved.bin",
      ].join("\n") + "\n",
    );
    const [exe, argv] = command(CURRENT, [
      "cftp",
      "-p",
      String(server!.port),
      "-i",
      join(dir, "user_key"),
      "--known-hosts",
      knownHosts,
      "-b",
      batchFile,
      `${USER}@127.0.0.1`,
    ]);
    const run = await runClient(exe, argv.slice(1), "", { HOME: dir });
    const out = new TextDecoder().decode(run.stdout);
    // The batch stops at the first failing command that has no "-".
    assert.equal(run.status, 1, run.stderr + out);
    assert.deepEqual(readFileSync(join(local, "back.bin")), data);
    assert.deepEqual(readFileSync(join(root, "sub", "moved.bin")), data);
    assert.match(out, /^-rw\S+\s+\d+\s+\S+\s+\S+\s+1048576 .* big\.bin$/m);
    assert.match(out, /^moved\.bin$/m);
    assert.ok(out.includes("sftp> -rm no-such-file"), out);
    assert.ok(!out.includes("sftp> rm sub/moved.bin"), out);
  });
});
