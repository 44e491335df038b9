// SFTP against real peers over loopback. OpenSSH's `sftp -b` and `scp` (openssh-client,
// with sshpass for the password) against an SSHFactory server in this process whose
// avatar serves a temporary folder through FileTransferServer over
// SFTPServerForUnixConchUser (confined to it as root); and our FileTransferClient
// (through SSHCommandClientEndpoint with `subsystem: true`) against OpenSSH's sshd
// (openssh-server) with `Subsystem sftp internal-sftp`.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { Factory, type IListeningPort, reactor } from "../../../mod.ts";
import {
  ConchUser,
  type ISession,
  Key,
  KnownHostsFile,
  SSHCommandClientEndpoint,
  SSHFactory,
  SSHSession,
  type SSHSessionProcessProtocol,
} from "../../../src/conch/mod.ts";
import {
  EOFError,
  FileTransferClient,
  FileTransferServer,
  FX_NO_SUCH_FILE,
  FXF_CREAT,
  FXF_READ,
  FXF_TRUNC,
  FXF_WRITE,
  SFTPError,
  SFTPServerForUnixConchUser,
} from "../../../src/conch/sftp/mod.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../../../src/cred/mod.ts";
import {
  type AlgorithmSet,
  currentUser,
  HAVE_PARAMIKO,
  HAVE_SSH,
  HAVE_SSHD,
  HAVE_SSHPASS,
  HAVE_TWISTED_CONCH,
  keygen,
  PYTHON,
  runClient,
  skipUnless,
  startSshd,
  tempDir,
} from "../ssh/_sshd.ts";

const SKIP_CLIENT = skipUnless(HAVE_SSH, "openssh-client") ||
  skipUnless(HAVE_SSHPASS, "sshpass");
const SKIP_SSHD = skipUnless(HAVE_SSH, "openssh-client") ||
  skipUnless(HAVE_SSHD, "openssh-server");
const SKIP_PARAMIKO = skipUnless(HAVE_PARAMIKO, "python3-paramiko");
const SKIP_TWISTED = skipUnless(HAVE_TWISTED_CONCH, "python3-twisted");
const PASSWORD = "s3cret";
const dec = new TextDecoder();

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** A session that runs nothing but takes environment variables (`env` before `subsystem`). */
class NoShell implements ISession {
  openShell(protocol: SSHSessionProcessProtocol): void {
    protocol.session.loseConnection();
  }
  execCommand(protocol: SSHSessionProcessProtocol): void {
    protocol.session.loseConnection();
  }
  setEnv(): void {}
}

/** The avatar: the "sftp" subsystem serves `root`. */
class SftpUser extends ConchUser {
  readonly root: string;
  constructor(root: string) {
    super();
    this.root = root;
    this.channelLookup["session"] = SSHSession;
  }
  sessionFor(): ISession {
    return new NoShell();
  }
  lookupSubsystem(name: string): FileTransferServer | null {
    if (name !== "sftp") return null;
    return new FileTransferServer(
      new SFTPServerForUnixConchUser({ root: this.root, runtime: reactor.runtime }),
    );
  }
}

describe("OpenSSH's sftp and scp against FileTransferServer", { skip: SKIP_CLIENT }, () => {
  let dir = "";
  let root = "";
  let cleanup = (): void => {};
  let listening: IListeningPort;
  let port = 0;

  before(async () => {
    [dir, cleanup] = tempDir("tw-sftp-");
    root = join(dir, "root");
    mkdirSync(root);
    const factory = new SSHFactory();
    factory.noisy = false;
    const hostKey = await Key.generate("ed25519");
    factory.privateKeys[hostKey.sshType()] = hostKey;
    const realm = {
      requestAvatar: (_id: unknown, _mind: unknown, iface: unknown) => [
        iface,
        new SftpUser(root),
        () => {},
      ],
    };
    factory.portal = new Portal(realm as never, [
      new InMemoryUsernamePasswordDatabaseDontUse({ alice: PASSWORD }),
    ]);
    listening = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
    await listening.whenListening!();
    port = (listening.getHost() as { port: number }).port;
  });
  after(async () => {
    await listening?.stopListening();
    cleanup();
  });

  const options = (flag: string) => [
    "-F",
    "/dev/null",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "PubkeyAuthentication=no",
    "-o",
    "IdentityAgent=none",
    "-o",
    "PreferredAuthentications=password",
    flag,
    String(port),
  ];

  /** Runs `sftp -b -` with `commands`; `BatchMode=no` first so sshpass can answer. */
  const sftp = (commands: string[], extra: string[] = []) =>
    runClient(
      "sshpass",
      [
        "-p",
        PASSWORD,
        "sftp",
        ...options("-P"),
        "-o",
        "BatchMode=no",
        ...extra,
        "-b",
        "-",
        "alice@127.0.0.1",
      ],
      commands.join("\n") + "\n",
      undefined,
      120_000,
    );

  it("puts and gets 4 MiB (pipelined), lists with ls -l, and fails a batch on a missing file", {
    timeout: 120_000,
  }, async () => {
    const local = join(dir, "local");
    mkdirSync(local);
    const data = randomBytes(4 * 1024 * 1024);
    writeFileSync(join(local, "big"), data);
    const run = await sftp([
      `lcd ${local}`,
      "put big",
      "get big big.back",
      "ls -l",
    ], ["-o", "SetEnv=LANG=C"]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(sha256(readFileSync(join(root, "big"))), sha256(data));
    assert.equal(sha256(readFileSync(join(local, "big.back"))), sha256(data));
    assert.match(dec.decode(run.stdout), /-rw\S+ +1 +\d+ +\d+ +4194304 \w{3} [ \d]\d [\d:]{5} big/);

    const failed = await sftp(["get nothere", "ls"]);
    assert.notEqual(failed.status, 0);
    assert.match(failed.stderr, /not found|No such file/);
    // The batch stopped at the failure.
    assert.doesNotMatch(dec.decode(failed.stdout), /sftp> ls/);
  });

  it("mkdir, rename, chmod, ln -s, ln (hardlink@), rm, rmdir and df (statvfs@)", {
    timeout: 60_000,
  }, async () => {
    writeFileSync(join(root, "f1"), "one");
    const run = await sftp([
      "mkdir d",
      "rename f1 d/f2",
      "chmod 600 d/f2",
      "ln -s f2 d/sym",
      "ln d/f2 d/hard",
      "df -h",
      "mkdir gone",
      "rmdir gone",
      "rm d/hard",
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(readFileSync(join(root, "d", "f2"), "utf8"), "one");
    assert.equal(existsSync(join(root, "f1")), false);
    assert.equal(statSync(join(root, "d", "f2")).mode & 0o777, 0o600);
    assert.equal(readlinkSync(join(root, "d", "sym")), "f2");
    assert.equal(existsSync(join(root, "d", "hard")), false);
    assert.equal(statSync(join(root, "d", "f2")).nlink, 1);
    assert.equal(existsSync(join(root, "gone")), false);
    assert.match(dec.decode(run.stdout), /Size +Used +Avail/);
  });

  it("keeps times and mode with put -p and get -p, and resumes with reput and reget", {
    timeout: 60_000,
  }, async () => {
    const local = join(dir, "keep");
    mkdirSync(local);
    writeFileSync(join(local, "p"), "preserved");
    utimesSync(join(local, "p"), 1_500_000_000, 1_600_000_000);
    (await import("node:fs")).chmodSync(join(local, "p"), 0o751);
    const data = randomBytes(1024 * 1024);
    writeFileSync(join(local, "r"), data);
    writeFileSync(join(root, "r"), data.subarray(0, 300_000));
    writeFileSync(join(root, "g"), data);
    writeFileSync(join(local, "g"), data.subarray(0, 123_456));
    const run = await sftp([
      `lcd ${local}`,
      "put -p p",
      "get -p p p.back",
      "reput r",
      "reget g",
    ]);
    assert.equal(run.status, 0, run.stderr);
    for (const path of [join(root, "p"), join(local, "p.back")]) {
      const st = statSync(path);
      assert.equal(st.mode & 0o777, 0o751, path);
      assert.equal(Math.floor(st.mtimeMs / 1000), 1_600_000_000, path);
    }
    assert.equal(sha256(readFileSync(join(root, "r"))), sha256(data));
    assert.equal(sha256(readFileSync(join(local, "g"))), sha256(data));
  });

  it("scp (SFTP mode) copies both ways with -p", { timeout: 60_000 }, async () => {
    const local = join(dir, "scp");
    mkdirSync(local);
    writeFileSync(join(local, "s"), "via scp");
    utimesSync(join(local, "s"), 1_400_000_000, 1_400_000_000);
    const scp = (args: string[]) =>
      runClient("sshpass", ["-p", PASSWORD, "scp", ...options("-P"), "-s", "-p", ...args]);
    const up = await scp([join(local, "s"), "alice@127.0.0.1:/s.up"]);
    assert.equal(up.status, 0, up.stderr);
    assert.equal(readFileSync(join(root, "s.up"), "utf8"), "via scp");
    assert.equal(Math.floor(statSync(join(root, "s.up")).mtimeMs / 1000), 1_400_000_000);
    const down = await scp(["alice@127.0.0.1:s.up", join(local, "s.down")]);
    assert.equal(down.status, 0, down.stderr);
    assert.equal(readFileSync(join(local, "s.down"), "utf8"), "via scp");
  });

  it("serves paramiko's SFTPClient: put, get, symlink, rename, chmod, utime, listdir", {
    skip: SKIP_PARAMIKO,
    timeout: 60_000,
  }, async () => {
    const local = join(dir, "paramiko");
    mkdirSync(local);
    const peer = new URL("./paramiko_sftp_peer.py", import.meta.url).pathname;
    const run = await runClient(PYTHON, [peer, String(port), "alice", PASSWORD, local]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(dec.decode(run.stdout));
    assert.deepEqual(report, {
      roundtrip: true,
      size: 4 * 1024 * 1024,
      readlink: "../pm.bin",
      link_size: 4 * 1024 * 1024,
      mode: 0o600,
      mtime: 2000,
      listing: report.listing,
      cwd: "/",
      missing: "ENOENT",
      seek_read: 10,
    });
    assert.ok(report.listing.includes("pm.final") && report.listing.includes("pmdir"));
    assert.equal(lstatSync(join(root, "pm.final")).isFile(), true);
  });

  it("serves Twisted's FileTransferClient (the draft's SYMLINK order)", {
    skip: SKIP_TWISTED,
    timeout: 60_000,
  }, async () => {
    mkdirSync(join(root, "tw"), { recursive: true });
    const peer = new URL("./twisted_sftp_peer.py", import.meta.url).pathname;
    const run = await runClient(PYTHON, [peer, String(port), "alice", PASSWORD]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(dec.decode(run.stdout));
    assert.equal(report.read, "twisted");
    assert.equal(report.size, 12);
    assert.equal(report.readlink, "../tw.txt");
    assert.equal(readlinkSync(join(root, "twdir", "link")), "../tw.txt");
    assert.equal(report.mode, 0o640);
    assert.ok(report.names.includes("tw2.txt") && report.names.includes("twdir"));
    assert.equal(report.missing, FX_NO_SUCH_FILE);
  });

  it("keeps sftp inside the root", { timeout: 60_000 }, async () => {
    writeFileSync(join(dir, "outside"), "secret");
    const run = await sftp(["cd ..", "pwd", "get ../outside"]);
    assert.notEqual(run.status, 0);
    assert.match(dec.decode(run.stdout), /Remote working directory: \//);
    assert.equal(existsSync(join(process.cwd(), "outside")), false);
  });
});

describe("FileTransferClient against sshd's internal-sftp", { skip: SKIP_SSHD }, () => {
  let dir = "";
  let cleanup = (): void => {};
  before(() => {
    [dir, cleanup] = tempDir("tw-sftp-sshd-");
  });
  after(() => cleanup());

  it("opens, writes, reads, stats, lists, links, renames and removes", {
    timeout: 60_000,
  }, async () => {
    const userKey = await Key.fromFile(keygen(dir, "user_key", "ed25519"));
    const sshd = await startSshd({
      hostKeyType: "ed25519",
      authorizedKeys: readFileSync(join(dir, "user_key.pub"), "utf8"),
      // startSshd writes each pair as a config line.
      algorithms: { Subsystem: "sftp internal-sftp" } as AlgorithmSet,
    });
    try {
      const knownHostsPath = join(dir, "known_hosts");
      writeFileSync(knownHostsPath, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
      const endpoint = SSHCommandClientEndpoint.newConnection(
        reactor,
        "sftp",
        currentUser(),
        "127.0.0.1",
        {
          port: sshd.port,
          keys: [userKey],
          knownHosts: await KnownHostsFile.fromPath(knownHostsPath),
          subsystem: true,
        },
      );
      const client = await endpoint.connect(
        Factory.forProtocol(FileTransferClient),
      ) as FileTransferClient;
      try {
        const version = await client.whenVersion();
        assert.equal(version.version, 3);
        assert.ok("posix-rename@openssh.com" in version.extensions);
        const work = join(dir, "work");
        mkdirSync(work);
        const data = randomBytes(300_000);
        const file = await client.openFile(
          join(work, "a"),
          FXF_WRITE | FXF_CREAT | FXF_TRUNC,
          { permissions: 0o640 },
        );
        const writes = [];
        for (let at = 0; at < data.length; at += 32768) {
          writes.push(file.writeChunk(at, data.subarray(at, at + 32768)));
        }
        await Promise.all(writes);
        await file.setAttrs({ atime: 1_000_000, mtime: 1_234_567 });
        assert.equal((await file.getAttrs()).size, data.length);
        await file.close();
        assert.equal(sha256(readFileSync(join(work, "a"))), sha256(data));
        assert.equal(Math.floor(statSync(join(work, "a")).mtimeMs / 1000), 1_234_567);

        const reader = await client.openFile(join(work, "a"), FXF_READ);
        const reads = [];
        for (let at = 0; at < data.length; at += 32768) reads.push(reader.readChunk(at, 32768));
        const chunks = await Promise.all(reads);
        assert.equal(sha256(Buffer.concat(chunks)), sha256(data));
        await assert.rejects(reader.readChunk(data.length, 10), EOFError);
        await reader.close();

        await client.makeDirectory(join(work, "d"), { permissions: 0o700 });
        await client.makeLink(join(work, "d", "link"), "../a");
        assert.equal(readlinkSync(join(work, "d", "link")), "../a");
        assert.equal(await client.readLink(join(work, "d", "link")), "../a");
        assert.equal(
          (await client.getAttrs(join(work, "d", "link"))).permissions! & 0o170000,
          0o120000,
        );
        assert.equal((await client.getAttrs(join(work, "d", "link"), true)).size, data.length);
        await client.renameFile(join(work, "a"), join(work, "b"));
        await client.setAttrs(join(work, "b"), { permissions: 0o604 });
        assert.equal(statSync(join(work, "b")).mode & 0o777, 0o604);
        const listing = await client.openDirectory(work);
        const names = [];
        for await (const [name, longname] of listing) {
          names.push(name);
          if (name === "b") assert.match(longname, /^-rw----r-- /);
        }
        await listing.close();
        assert.deepEqual(names.filter((n) => !n.startsWith(".")).sort(), ["b", "d"]);
        assert.equal(await client.realPath(join(work, "d", "..")), work);
        await assert.rejects(
          client.openFile(join(work, "nothere"), FXF_READ),
          (e: unknown) => e instanceof SFTPError && e.code === FX_NO_SUCH_FILE,
        );
        await client.removeFile(join(work, "d", "link"));
        await client.removeDirectory(join(work, "d"));
        await client.removeFile(join(work, "b"));
        assert.equal(existsSync(join(work, "b")), false);
        const limits = await client.extendedRequest("limits@openssh.com");
        assert.equal(limits.length, 32);
      } finally {
        client.transport?.loseConnection();
      }
    } finally {
      await sshd.stop();
    }
  });
});
