// `tw cftp`: option checks and the command-line splitter in process, and
// batch runs of the real program against OpenSSH's sshd (openssh-server)
// with `Subsystem sftp internal-sftp`.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { CftpOptions, splitWords } from "../../src/cli/plugins/cftp.ts";
import { UsageError } from "../../src/cli/_usage.ts";
import {
  type AlgorithmSet,
  currentUser,
  HAVE_SSH,
  HAVE_SSHD,
  keygen,
  runClient,
  skipUnless,
  type Sshd,
  startSshd,
  tempDir,
} from "../conch/ssh/_sshd.ts";
import { command, CURRENT } from "./_program.ts";

describe("CftpOptions", () => {
  it("takes [user@]host and Twisted's options with their defaults", () => {
    const options = new CftpOptions();
    options.parseOptions(["-b", "cmds", "-i", "a", "-i", "b", "bob@example.com"]);
    assert.equal(options.opts.user, "bob");
    assert.equal(options.opts.host, "example.com");
    assert.equal(options.opts.port, 22);
    assert.equal(options.opts.buffersize, 32768);
    assert.equal(options.opts.requests, 5);
    assert.deepEqual(options.opts.identity, ["a", "b"]);
  });

  it("takes -b - (standard input) and no -b (interactive)", () => {
    const stdin = new CftpOptions();
    stdin.parseOptions(["-b", "-", "host"]);
    assert.equal(stdin.opts.batchfile, "-");
    const interactive = new CftpOptions();
    interactive.parseOptions(["host"]);
    assert.equal(interactive.opts.batchfile, undefined);
  });

  it("refuses a bad host and bad numbers or algorithms", () => {
    const bad = (args: string[], pattern: RegExp) =>
      assert.throws(() => new CftpOptions().parseOptions(args), (e: Error) => {
        assert.ok(e instanceof UsageError || /Invalid value/.test(e.message), e.message);
        assert.match(e.message, pattern);
        return true;
      });
    bad(["-b", "f"], /\[user@\]host/);
    bad(["-b", "f", "a", "b"], /\[user@\]host/);
    bad(["-b", "f", "-p", "0", "h"], /-p: must be between 1 and 65535/);
    bad(["-b", "f", "-R", "100000", "h"], /-R: must be between 1 and 64/);
    bad(["-b", "f", "-c", "rot13", "h"], /rot13/);
    bad(["-b", "f", "-m", "nomac", "h"], /nomac/);
  });
});

describe("splitWords", () => {
  it("splits on blanks with quotes and escapes", () => {
    assert.deepEqual(splitWords(`put  "my file" 'x y' a\\ b ""`), [
      "put",
      "my file",
      "x y",
      "a b",
      "",
    ]);
    assert.throws(() => splitWords(`get "open`), /Unterminated quote/);
  });

  it("round-trips quoted words and never throws anything but its Error", () => {
    fc.assert(fc.property(fc.array(fc.string()), (words) => {
      const line = words.map((w) => `"${w.replace(/["\\]/g, "\\$&")}"`).join(" ");
      assert.deepEqual(splitWords(line), words);
    }));
    fc.assert(fc.property(fc.string(), (line) => {
      try {
        splitWords(line);
      } catch (error) {
        assert.match((error as Error).message, /Unterminated quote/);
      }
    }));
  });
});

const SKIP = skipUnless(HAVE_SSHD && HAVE_SSH, "openssh-server");

describe("tw cftp against sshd's internal-sftp", { skip: SKIP }, () => {
  let dir = "";
  let cleanup = (): void => {};
  let sshd: Sshd | null = null;
  let knownHosts = "";
  before(async () => {
    [dir, cleanup] = tempDir("tw-cftp-");
    keygen(dir, "user_key", "ed25519");
    sshd = await startSshd({
      hostKeyType: "ed25519",
      authorizedKeys: readFileSync(join(dir, "user_key.pub"), "utf8"),
      // startSshd writes each pair as a config line.
      algorithms: { Subsystem: "sftp internal-sftp" } as AlgorithmSet,
    });
    knownHosts = join(dir, "known_hosts");
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
  });
  after(async () => {
    await sshd?.stop();
    cleanup();
  });

  const cftp = async (batch: string, extra: string[] = [], hosts = knownHosts, port = 0) => {
    const batchFile = join(dir, `batch-${Math.random().toString(36).slice(2)}`);
    writeFileSync(batchFile, batch);
    const [exe, argv] = command(CURRENT, [
      "cftp",
      "-p",
      String(port || sshd!.port),
      "-i",
      join(dir, "user_key"),
      "--known-hosts",
      hosts,
      "-b",
      batchFile,
      ...extra,
      `${currentUser()}@127.0.0.1`,
    ]);
    const run = await runClient(exe, argv.slice(1), "", { HOME: dir });
    return { ...run, out: new TextDecoder().decode(run.stdout) };
  };

  /** Runs `tw cftp` with `input` on its stdin: `-b -` when `batch`, else interactive. */
  const cftpStdin = async (input: string, batch: boolean) => {
    const [exe, argv] = command(CURRENT, [
      "cftp",
      "-p",
      String(sshd!.port),
      "-i",
      join(dir, "user_key"),
      "--known-hosts",
      knownHosts,
      ...(batch ? ["-b", "-"] : []),
      `${currentUser()}@127.0.0.1`,
    ]);
    const run = await runClient(exe, argv.slice(1), input, { HOME: dir });
    return { ...run, exe, argv, out: new TextDecoder().decode(run.stdout) };
  };

  it("runs a batch from standard input with -b -", { timeout: 60_000 }, async () => {
    const remote = join(dir, "stdin-batch");
    mkdirSync(remote);
    writeFileSync(join(remote, "a.txt"), "a");
    const ok = await cftpStdin(`cd ${remote}\npwd\n-rm no-such-file\nls\nexit\npwd\n`, true);
    assert.equal(ok.status, 0, ok.stderr + ok.out);
    const lines = ok.out.split("\n");
    assert.ok(lines.includes(`sftp> cd ${remote}`), ok.out);
    assert.ok(lines.includes(`Remote working directory: ${remote}`), ok.out);
    assert.ok(lines.includes("a.txt"), ok.out);
    assert.equal(lines.filter((l) => l === "sftp> pwd").length, 1, ok.out);
    const failed = await cftpStdin(`cd ${remote}\nrm no-such-file\npwd\n`, true);
    assert.equal(failed.status, 1);
    assert.ok(failed.out.includes("sftp> rm no-such-file"), failed.out);
    assert.ok(!failed.out.includes("sftp> pwd"), failed.out);
    assert.match(failed.stderr, /No such file/i);
  });

  it("reads commands line by line without -b, going on after a failure", {
    timeout: 60_000,
  }, async () => {
    const remote = join(dir, "interactive");
    mkdirSync(remote);
    // No exit: the end of input ends the session. The last line has no newline.
    const run = await cftpStdin(`cd ${remote}\nrm no-such-file\nmkdir made\npwd`, false);
    assert.equal(run.status, 0, run.stderr + run.out);
    assert.match(run.stderr, /No such file/i);
    assert.ok(existsSync(join(remote, "made")));
    assert.ok(run.out.includes(`Remote working directory: ${remote}`), run.out);
    // Not a terminal: no prompt, no echo.
    assert.ok(!run.out.includes("cftp> ") && !run.out.includes("sftp> "), run.out);
  });

  it("prompts with cftp> on a terminal", { timeout: 60_000 }, async () => {
    const [exe, argv] = command(CURRENT, [
      "cftp",
      "-p",
      String(sshd!.port),
      "-i",
      join(dir, "user_key"),
      "--known-hosts",
      knownHosts,
      `${currentUser()}@127.0.0.1`,
    ]);
    // python3 runs it on a pseudo-terminal and types what it reads on its own stdin.
    const run = await runClient(
      "python3",
      ["-c", "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)", exe, ...argv.slice(1)],
      `lpwd\nexit\n`,
      { HOME: dir },
    );
    const out = new TextDecoder().decode(run.stdout);
    assert.equal(run.status, 0, run.stderr + out);
    assert.match(out, /cftp> /);
    assert.match(out, /Local working directory: /);
  });

  it("puts, gets, lists and manages files", { timeout: 90_000 }, async () => {
    const local = join(dir, "local");
    const remote = join(dir, "remote");
    mkdirSync(local);
    mkdirSync(remote);
    const data = randomBytes(1 << 20);
    writeFileSync(join(local, "big.bin"), data);
    const batch = [
      `lcd ${local}`,
      "lpwd",
      `cd ${remote}`,
      "pwd",
      "put big.bin",
      "ls -l",
      "get big.bin back.bin",
      "mkdir sub",
      "rename big.bin sub/moved.bin",
      "ln -s sub/moved.bin link",
      "chmod 600 sub/moved.bin",
      "ls",
      "df",
      "-rm no-such-file",
      "rm link",
      "put big.bin sub/second.bin",
      "rm sub/second.bin",
      "mkdir gone",
      "rmdir gone",
      "exit",
      "rm never-run",
    ].join("\n") + "\n";
    const run = await cftp(batch, ["-B", "16384", "-R", "8"]);
    assert.equal(run.status, 0, run.stderr + run.out);
    assert.deepEqual(readFileSync(join(local, "back.bin")), data);
    assert.deepEqual(readFileSync(join(remote, "sub/moved.bin")), data);
    assert.equal(statSync(join(remote, "sub/moved.bin")).mode & 0o777, 0o600);
    assert.ok(!existsSync(join(remote, "link")));
    assert.ok(!existsSync(join(remote, "gone")));
    assert.ok(!existsSync(join(remote, "sub/second.bin")));
    const lines = run.out.split("\n");
    assert.ok(lines.includes(`Local working directory: ${local}`), run.out);
    assert.ok(lines.includes(`Remote working directory: ${remote}`), run.out);
    assert.ok(lines.includes("sftp> put big.bin"), run.out);
    assert.ok(lines.includes("sftp> -rm no-such-file"), run.out);
    assert.ok(!lines.includes("sftp> rm never-run"), run.out);
    // ls -l: the long name with the size; ls: the names after the rename.
    assert.match(run.out, /^-rw\S+\s+\d+\s+\S+\s+\S+\s+1048576 .* big\.bin$/m);
    const afterLs = lines.slice(lines.indexOf("sftp> ls") + 1, lines.indexOf("sftp> df"));
    assert.deepEqual(afterLs, ["link", "sub"]);
    assert.match(
      run.out,
      /Size\s+Used\s+Avail\s+\(root\)\s+%Capacity\n\s*\d+\s+\d+\s+\d+\s+\d+\s+\d+%/,
    );
    assert.match(run.stderr, /No such file/i);
  });

  it("makes and reads a symbolic link with ln -s", { timeout: 60_000 }, async () => {
    const remote = join(dir, "links");
    mkdirSync(remote);
    writeFileSync(join(remote, "target"), "t");
    const run = await cftp(`cd ${remote}\nln -s target alias\nls -l target\n`);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.out, /^-rw\S+\s+\d+\s+\S+\s+\S+\s+1 .* target$/m);
    assert.ok(lstatSync(join(remote, "alias")).isSymbolicLink());
    assert.equal(readlinkSync(join(remote, "alias")), "target");
  });

  it("ends with status 1 at the first failing command", { timeout: 60_000 }, async () => {
    const run = await cftp(`cd ${dir}\nrm no-such-file\npwd\n`);
    assert.equal(run.status, 1);
    assert.ok(run.out.includes("sftp> rm no-such-file"), run.out);
    assert.ok(!run.out.includes("sftp> pwd"), run.out);
    assert.match(run.stderr, /No such file/i);
  });

  it("offers only the ciphers and MACs of -c and -m", { timeout: 60_000 }, async () => {
    const run = await cftp("pwd\n", ["-c", "aes192-ctr", "-m", "hmac-sha2-256"]);
    assert.equal(run.status, 0, run.stderr);
    // sshd's own choice would be an AEAD cipher: these two are ours.
    assert.match(sshd!.log(), /client->server cipher: aes192-ctr MAC: hmac-sha2-256 /);
    const strict = await startSshd({
      hostKeyType: "ed25519",
      authorizedKeys: readFileSync(join(dir, "user_key.pub"), "utf8"),
      algorithms: { Ciphers: "aes256-ctr", Subsystem: "sftp internal-sftp" } as AlgorithmSet,
    });
    try {
      const hosts = join(dir, "strict_known_hosts");
      writeFileSync(hosts, `[127.0.0.1]:${strict.port} ${strict.hostPublicKey}\n`);
      const refused = await cftp(
        "pwd\n",
        ["-c", "aes128-ctr,aes128-gcm@openssh.com"],
        hosts,
        strict.port,
      );
      assert.equal(refused.status, 1);
      assert.equal(refused.out, "", "no command ran");
      assert.match(refused.stderr, /Cannot connect to 127\.0\.0\.1/);
      const accepted = await cftp("pwd\n", ["-c", "aes128-ctr,aes256-ctr"], hosts, strict.port);
      assert.equal(accepted.status, 0, accepted.stderr);
    } finally {
      await strict.stop();
    }
  });

  it("fails to log in without a key, saying why", { timeout: 60_000 }, async () => {
    const batchFile = join(dir, "nokey-batch");
    writeFileSync(batchFile, "pwd\n");
    const [exe, argv] = command(CURRENT, [
      "cftp",
      "-p",
      String(sshd!.port),
      "--known-hosts",
      knownHosts,
      "-b",
      batchFile,
      `${currentUser()}@127.0.0.1`,
    ]);
    const run = await runClient(exe, argv.slice(1), "", { HOME: dir });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /refused .*login.*give a key with -i/);
  });

  it("refuses an unknown host key, naming its fingerprint", { timeout: 60_000 }, async () => {
    const empty = join(dir, "empty_known_hosts");
    writeFileSync(empty, "");
    const fingerprint = runFingerprint(sshd!.hostPublicKey);
    const run = await cftp("pwd\n", [], empty);
    assert.equal(run.status, 1);
    assert.ok(run.stderr.includes(fingerprint), `${fingerprint} not in ${run.stderr}`);
    assert.match(run.stderr, /--accept-new-host/);
    assert.equal(readFileSync(empty, "utf8"), "");
    const accepted = await cftp("pwd\n", ["--accept-new-host"], empty);
    assert.equal(accepted.status, 0, accepted.stderr);
    assert.match(readFileSync(empty, "utf8"), /ssh-ed25519/);
    const again = await cftp("pwd\n", [], empty);
    assert.equal(again.status, 0, again.stderr);
  });
});

/** The SHA256 fingerprint of a public key line, as `ssh-keygen -l` prints it. */
function runFingerprint(publicLine: string): string {
  const blob = Buffer.from(publicLine.split(" ")[1], "base64");
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}
