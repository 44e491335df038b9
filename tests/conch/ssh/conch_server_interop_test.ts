// `tw conch` (runtimes/cli.ts, run on the runtime running this test) driven by OpenSSH's
// clients (openssh-client: ssh, scp, ssh-keyscan; sshpass for passwords) and paramiko
// (python3-paramiko): exec with exit status and stderr, 4 MiB through `cat`, each cipher,
// MAC and key exchange, each user key type, passwords and keyboard-interactive, refusals
// (a wrong password 6 times disconnects), RekeyLimit, env, scp both ways, ssh-keyscan, many
// channels on one connection, a pseudo-terminal with window-change, ssh -W / -L / -R
// forwarding, Twisted's conch client (python3-twisted), and SIGTERM.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type Server } from "node:net";
import { reactor } from "../../../mod.ts";
import { writePasswordFile } from "../../../src/cred/mod.ts";
import type { ProcessTransport } from "../../../mod.ts";
import { CURRENT, type Program, start } from "../../cli/_program.ts";
import {
  freePort,
  HAVE_PARAMIKO,
  HAVE_SSH,
  HAVE_SSHPASS,
  HAVE_TWISTED_CONCH,
  keygen,
  PYTHON,
  runClient,
  skipUnless,
  sshOptions,
  tempDir,
} from "./_sshd.ts";

const SKIP_SSH = skipUnless(HAVE_SSH, "openssh-client");
const SKIP_SSHPASS = SKIP_SSH || skipUnless(HAVE_SSHPASS, "sshpass");
// The server's keys are made with ssh-keygen, so every test needs openssh-client.
const SKIP_PARAMIKO = SKIP_SSH || skipUnless(HAVE_PARAMIKO, "python3-paramiko");
const SKIP_TWISTED = SKIP_SSH || skipUnless(HAVE_TWISTED_CONCH, "python3-twisted");
const dec = new TextDecoder();
const USER_KEYS = ["ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa"];
const PASSWORD = "s3cret pass";

let dir = "";
let cleanup = (): void => {};
let program: Program;
let transport: ProcessTransport;
let port = 0;
let echoPort = 0;
let closedPort = 0;
let echoServer: Server | undefined;

const key = (type = "ed25519"): string => join(dir, `user_${type}`);
const ssh = (args: string[], input?: Uint8Array | string, extra: string[] = []) =>
  runClient("ssh", [
    ...sshOptions(port, ["-i", key(), "-o", "BatchMode=yes", ...extra]),
    "127.0.0.1",
    ...args,
  ], input);

async function startConch(args: string[]): Promise<[Program, ProcessTransport, number]> {
  const [p, t] = start(CURRENT, ["conch", "-p", "tcp:0", ...args]);
  try {
    return [p, t, await p.port()];
  } catch (error) {
    if (p.exitCode === undefined) t.signalProcess("KILL");
    await p.ended;
    throw error;
  }
}

async function stopConch(p: Program, t: ProcessTransport): Promise<void> {
  if (p.exitCode === undefined) t.signalProcess("TERM");
  await p.ended.addTimeout(20, reactor).addErrback(() => {
    t.signalProcess("KILL");
    return p.ended;
  });
}

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

describe(`tw conch on ${CURRENT} driven by OpenSSH and paramiko`, () => {
  before(async () => {
    [dir, cleanup] = tempDir("tw-conch-");
    if (!HAVE_SSH) return;
    closedPort = await freePort();
    echoServer = createServer({ allowHalfOpen: true }, (socket) => {
      socket.on("data", (d) => socket.write(d));
      socket.on("end", () => socket.end());
    });
    await new Promise<void>((r) => echoServer!.listen(0, "127.0.0.1", r));
    echoPort = (echoServer.address() as { port: number }).port;
    const hostDir = join(dir, "host");
    (await import("node:fs")).mkdirSync(hostDir);
    keygen(hostDir, "ssh_host_ed25519_key", "ed25519");
    keygen(hostDir, "ssh_host_ecdsa_key", "ecdsa256");
    keygen(hostDir, "ssh_host_rsa_key", "rsa");
    const lines = USER_KEYS.map((t) => readFileSync(`${keygen(dir, `user_${t}`, t)}.pub`, "utf8"));
    keygen(dir, "stranger", "ed25519");
    writeFileSync(join(dir, "authorized_keys"), lines.join(""));
    const runtime = reactor.runtime;
    await writePasswordFile(runtime, join(dir, "passwords"), { alice: PASSWORD });
    [program, transport, port] = await startConch([
      "-d",
      hostDir,
      "--authorized-keys",
      join(dir, "authorized_keys"),
      "--auth",
      `file:${join(dir, "passwords")}`,
    ]);
  });
  after(async () => {
    if (program !== undefined) await stopConch(program, transport);
    await new Promise((r) => echoServer ? echoServer.close(r) : r(undefined));
    cleanup();
  });

  it("runs a command: stdout, stderr, exit status, environment", {
    skip: SKIP_SSH,
    timeout: 60_000,
  }, async () => {
    const run = await ssh(["echo out $HOME $USER; echo err >&2; echo $SSH_CONNECTION; exit 7"]);
    const lines = dec.decode(run.stdout).split("\n");
    assert.match(lines[0], /^out \/\S* \S+$/);
    assert.match(lines[1], new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${port}$`));
    assert.equal(run.stderr, "err\n");
    assert.equal(run.status, 7);
    assert.match(program.out, /SSH login: \S+ with publickey/);
  });

  it("reports a command killed by a signal with exit-signal", {
    skip: SKIP_SSH,
    timeout: 60_000,
  }, async () => {
    const run = await ssh(["echo a; kill -TERM $$"], undefined, ["-v"]);
    assert.equal(dec.decode(run.stdout), "a\n");
    assert.match(run.stderr, /rtype exit-signal/);
    assert.equal(run.status, 255);
  });

  it("sends 4 MiB through cat and back", { skip: SKIP_SSH, timeout: 120_000 }, async () => {
    const input = randomBytes(4 << 20);
    const run = await ssh(["cat"], input);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.length, input.length);
    assert.ok(Buffer.from(run.stdout).equals(Buffer.from(input)));
  });

  it("rekeys every MiB (RekeyLimit=1M) while 4 MiB go through cat", {
    skip: SKIP_SSH,
    timeout: 120_000,
  }, async () => {
    const input = randomBytes(4 << 20);
    const run = await ssh(["cat > /dev/null; echo done"], input, ["-o", "RekeyLimit=1M", "-v"]);
    assert.equal(run.status, 0, run.stderr.slice(-2000));
    assert.equal(dec.decode(run.stdout), "done\n");
    const rekeys = run.stderr.match(/SSH2_MSG_KEXINIT sent/g)?.length ?? 0;
    assert.ok(rekeys >= 4, `only ${rekeys} key exchanges`);
  });

  it("keeps all of cat's output while rekeying", {
    skip: SKIP_SSH,
    timeout: 120_000,
  }, async () => {
    for (let i = 0; i < 5; i++) {
      const input = randomBytes(4 << 20);
      const run = await ssh(["cat"], input, ["-o", "RekeyLimit=1M"]);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout.length, input.length);
      assert.ok(Buffer.from(run.stdout).equals(Buffer.from(input)));
    }
  });

  for (
    const cipher of [
      "chacha20-poly1305@openssh.com",
      "aes128-gcm@openssh.com",
      "aes256-gcm@openssh.com",
      "aes128-ctr",
      "aes192-ctr",
      "aes256-ctr",
    ]
  ) {
    it(`works with ssh -c ${cipher}`, { skip: SKIP_SSH, timeout: 60_000 }, async () => {
      const input = randomBytes(300_000);
      const run = await ssh(["cat"], input, ["-c", cipher]);
      assert.equal(run.status, 0, run.stderr);
      assert.ok(Buffer.from(run.stdout).equals(Buffer.from(input)));
    });
  }

  for (
    const mac of [
      "hmac-sha2-256",
      "hmac-sha2-512",
      "hmac-sha2-256-etm@openssh.com",
      "hmac-sha2-512-etm@openssh.com",
    ]
  ) {
    it(`works with ssh -m ${mac}`, { skip: SKIP_SSH, timeout: 60_000 }, async () => {
      const run = await ssh(["echo ok"], undefined, ["-c", "aes128-ctr", "-m", mac]);
      assert.equal(dec.decode(run.stdout), "ok\n", run.stderr);
    });
  }

  for (
    const kex of [
      "curve25519-sha256",
      "curve25519-sha256@libssh.org",
      "ecdh-sha2-nistp256",
      "ecdh-sha2-nistp384",
      "ecdh-sha2-nistp521",
      "diffie-hellman-group14-sha256",
      "diffie-hellman-group16-sha512",
      "diffie-hellman-group-exchange-sha256",
    ]
  ) {
    it(`works with KexAlgorithms=${kex}`, { skip: SKIP_SSH, timeout: 60_000 }, async () => {
      const run = await ssh(["echo ok"], undefined, ["-o", `KexAlgorithms=${kex}`]);
      assert.equal(dec.decode(run.stdout), "ok\n", run.stderr);
    });
  }

  for (
    const alg of [
      "ssh-ed25519",
      "ecdsa-sha2-nistp256",
      "rsa-sha2-256",
      "rsa-sha2-512",
    ]
  ) {
    it(`offers the host key ${alg}`, { skip: SKIP_SSH, timeout: 60_000 }, async () => {
      const run = await ssh(["echo ok"], undefined, ["-o", `HostKeyAlgorithms=${alg}`]);
      assert.equal(dec.decode(run.stdout), "ok\n", run.stderr);
    });
  }

  for (const type of USER_KEYS) {
    it(`logs in with a ${type} user key`, { skip: SKIP_SSH, timeout: 60_000 }, async () => {
      const run = await ssh(["echo ok"], undefined, ["-o", "IdentitiesOnly=yes", "-i", key(type)]);
      assert.equal(dec.decode(run.stdout), "ok\n", run.stderr);
    });
  }

  it(
    "refuses a key that is not in authorized_keys",
    { skip: SKIP_SSH, timeout: 60_000 },
    async () => {
      const run = await runClient("ssh", [
        ...sshOptions(port, [
          "-o",
          "BatchMode=yes",
          "-o",
          "IdentitiesOnly=yes",
          "-i",
          join(dir, "stranger"),
        ]),
        "127.0.0.1",
        "echo ok",
      ]);
      assert.equal(run.status, 255);
      assert.match(run.stderr, /Permission denied/);
    },
  );

  for (const method of ["password", "keyboard-interactive"]) {
    it(
      `logs in with ${method} through sshpass`,
      { skip: SKIP_SSHPASS, timeout: 60_000 },
      async () => {
        const run = await runClient("sshpass", [
          "-p",
          PASSWORD,
          "ssh",
          ...sshOptions(port, [
            "-o",
            `PreferredAuthentications=${method}`,
            "-o",
            "PubkeyAuthentication=no",
          ]),
          "alice@127.0.0.1",
          "echo ok",
        ]);
        assert.equal(dec.decode(run.stdout), "ok\n", run.stderr);
        assert.match(program.out, new RegExp(`SSH login: alice with ${method}`));
      },
    );
  }

  it("disconnects after 6 wrong passwords", { skip: SKIP_SSH, timeout: 60_000 }, async () => {
    // sshpass gives up after one refusal; ssh's askpass keeps answering.
    const askpass = join(dir, "askpass.sh");
    writeFileSync(askpass, "#!/bin/sh\necho wrong\n", { mode: 0o755 });
    const before = program.out.match(/SSH login failed for bob with password/g)?.length ?? 0;
    const run = await runClient(
      "ssh",
      [
        ...sshOptions(port, [
          "-o",
          "PreferredAuthentications=password",
          "-o",
          "PubkeyAuthentication=no",
          "-o",
          "NumberOfPasswordPrompts=10",
          "-o",
          "LogLevel=INFO",
        ]),
        "bob@127.0.0.1",
        "echo ok",
      ],
      "",
      { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force", DISPLAY: ":0" },
    );
    assert.equal(run.status, 255);
    assert.equal(dec.decode(run.stdout), "");
    assert.match(run.stderr, /disconnect/i);
    const prompts = run.stderr.match(/Permission denied, please try again/g)?.length ?? 0;
    assert.equal(prompts, 5, run.stderr);
    const failures = program.out.match(/SSH login failed for bob with password/g)?.length ?? 0;
    assert.equal(failures - before, 6);
  });

  it("gives ssh -tt a pseudo-terminal with its TERM", {
    skip: SKIP_SSH,
    timeout: 60_000,
  }, async () => {
    const run = await runClient(
      "ssh",
      [
        ...sshOptions(port, ["-i", key(), "-o", "BatchMode=yes", "-tt"]),
        "127.0.0.1",
        "tty; echo $TERM; exit 4",
      ],
      "",
      { TERM: "vt220" },
    );
    const lines = dec.decode(run.stdout).split("\r\n");
    assert.match(lines[0], /^\/dev\/pts\/\d+$/);
    assert.equal(lines[1], "vt220");
    assert.equal(run.status, 4);
  });

  it("passes LANG and LC_* and nothing else from the client", {
    skip: SKIP_SSH,
    timeout: 60_000,
  }, async () => {
    const run = await ssh(['echo "$LC_TWTEST,$TWTEST_OTHER"'], undefined, [
      "-o",
      "SetEnv=LC_TWTEST=yes TWTEST_OTHER=no",
    ]);
    assert.equal(dec.decode(run.stdout), "yes,\n", run.stderr);
  });

  it("copies files both ways with scp", { skip: SKIP_SSH, timeout: 60_000 }, async () => {
    const data = randomBytes(1 << 20);
    writeFileSync(join(dir, "upload"), data);
    const scp = (from: string, to: string) =>
      runClient("scp", [
        "-O",
        ...sshOptions(port, ["-i", key(), "-o", "BatchMode=yes"]).map((a) => a === "-p" ? "-P" : a),
        from,
        to,
      ]);
    let run = await scp(join(dir, "upload"), `127.0.0.1:${join(dir, "uploaded")}`);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(readFileSync(join(dir, "uploaded")).equals(Buffer.from(data)));
    run = await scp(`127.0.0.1:${join(dir, "uploaded")}`, join(dir, "downloaded"));
    assert.equal(run.status, 0, run.stderr);
    assert.ok(readFileSync(join(dir, "downloaded")).equals(Buffer.from(data)));
  });

  it("serves SFTP: scp in its default (SFTP) mode and sftp -b", {
    skip: SKIP_SSH,
    timeout: 60_000,
  }, async () => {
    const data = randomBytes(1 << 20);
    writeFileSync(join(dir, "sftp-up"), data);
    const options = sshOptions(port, ["-i", key(), "-o", "BatchMode=yes"]);
    let run = await runClient("scp", [
      ...options.map((a) => a === "-p" ? "-P" : a),
      join(dir, "sftp-up"),
      `127.0.0.1:${join(dir, "sftp-copied")}`,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(readFileSync(join(dir, "sftp-copied")).equals(Buffer.from(data)));
    const batch = join(dir, "batch");
    writeFileSync(
      batch,
      [`cd ${dir}`, "mkdir sftp-dir", "rename sftp-copied sftp-dir/moved", "ls -l sftp-dir"]
        .join("\n") + "\n",
    );
    run = await runClient("sftp", [
      ...options.map((a) => a === "-p" ? "-P" : a),
      "-b",
      batch,
      "127.0.0.1",
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(dec.decode(run.stdout), /moved/);
    assert.ok(readFileSync(join(dir, "sftp-dir", "moved")).equals(Buffer.from(data)));
  });

  it("confines SFTP to --sftp-root", { skip: SKIP_SSH, timeout: 60_000 }, async () => {
    const root = join(dir, "sftp-root");
    (await import("node:fs")).mkdirSync(root, { recursive: true });
    writeFileSync(join(root, "inside"), "in");
    const [p, t, confinedPort] = await startConch([
      "-d",
      join(dir, "host"),
      "--authorized-keys",
      join(dir, "authorized_keys"),
      "--sftp-root",
      root,
    ]);
    try {
      const batch = join(dir, "confined-batch");
      writeFileSync(batch, "pwd\nls /\nget ../authorized_keys " + join(dir, "escaped") + "\n");
      const options = sshOptions(confinedPort, ["-i", key(), "-o", "BatchMode=yes"]);
      const run = await runClient("sftp", [
        ...options.map((a) => a === "-p" ? "-P" : a),
        "-b",
        batch,
        "127.0.0.1",
      ]);
      const out = dec.decode(run.stdout);
      assert.match(out, /Remote working directory: \//);
      assert.match(out, /inside/);
      // ../authorized_keys is /authorized_keys inside the root: no such file, and the batch fails.
      assert.notEqual(run.status, 0);
      assert.equal((await import("node:fs")).existsSync(join(dir, "escaped")), false);
    } finally {
      await stopConch(p, t);
    }
  });

  it("forwards ssh -W connections (direct-tcpip)", {
    skip: SKIP_SSH,
    timeout: 60_000,
  }, async () => {
    const input = randomBytes(1 << 20);
    const run = await ssh([], input, ["-W", `127.0.0.1:${echoPort}`]);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(Buffer.from(run.stdout).equals(Buffer.from(input)));
    const refused = await ssh([], "x", ["-W", `127.0.0.1:${closedPort}`]);
    assert.equal(refused.stdout.length, 0);
    assert.match(program.out, new RegExp(`forwarding to 127\\.0\\.0\\.1:${closedPort} failed`));
  });

  /** Python connecting to a port on the server's side, sending, reading `expect` bytes. */
  const pingClient = (remote: number, halfClose: boolean) =>
    `import socket; s = socket.create_connection(("127.0.0.1", ${remote})); ` +
    `s.sendall(b"ping" * 1000)${halfClose ? "; s.shutdown(socket.SHUT_WR)" : ""}; d = b""\n` +
    `while len(d) < 4000:\n  c = s.recv(65536)\n  if not c: break\n  d += c\n` +
    `print(len(d), d[:8].decode())`;

  it("forwards connections to a remote port back to the client (ssh -R)", {
    skip: SKIP_SSH,
    timeout: 60_000,
  }, async () => {
    const remote = await freePort();
    const run = await ssh([`${PYTHON} -c '${pingClient(remote, false)}'`], undefined, [
      "-o",
      "ExitOnForwardFailure=yes",
      "-R",
      `${remote}:127.0.0.1:${echoPort}`,
    ]);
    assert.equal(dec.decode(run.stdout), "4000 pingping\n", run.stderr);
  });

  it("carries a half-close through ssh -R", {
    skip: SKIP_SSH,
    timeout: 60_000,
  }, async () => {
    const remote = await freePort();
    const run = await ssh([`${PYTHON} -c '${pingClient(remote, true)}'`], undefined, [
      "-o",
      "ExitOnForwardFailure=yes",
      "-R",
      `${remote}:127.0.0.1:${echoPort}`,
    ]);
    assert.equal(dec.decode(run.stdout), "4000 pingping\n", run.stderr);
  });

  it("lists its host keys to ssh-keyscan", { skip: SKIP_SSH, timeout: 60_000 }, async () => {
    const run = await runClient("ssh-keyscan", ["-p", String(port), "127.0.0.1"]);
    const out = dec.decode(run.stdout);
    for (const file of ["ssh_host_ed25519_key", "ssh_host_ecdsa_key", "ssh_host_rsa_key"]) {
      const blob = readFileSync(join(dir, "host", `${file}.pub`), "utf8").split(" ")[1];
      assert.ok(out.includes(blob), `${file} not in ${out}`);
    }
  });

  it("serves paramiko: exec, many channels on one connection, a pty with window-change", {
    skip: SKIP_PARAMIKO,
    timeout: 60_000,
  }, async () => {
    const script = join(new URL(".", import.meta.url).pathname, "paramiko_peer.py");
    const run = await runClient(PYTHON, [script, String(port), key("rsa"), "alice", PASSWORD]);
    assert.equal(run.status, 0, `${dec.decode(run.stdout)}\n${run.stderr}`);
    const out = dec.decode(run.stdout);
    assert.match(out, /^exec ok$/m);
    assert.match(out, /^channels ok 20$/m);
    assert.match(out, /^pty ok 30 100 -> 40 120 xterm-256color$/m);
    assert.match(out, /^password ok$/m);
  });

  it("serves Twisted's conch client: exit status and 1 MiB through cat", {
    skip: SKIP_TWISTED,
    timeout: 60_000,
  }, async () => {
    const script = join(new URL(".", import.meta.url).pathname, "twisted_client_peer.py");
    const knownHosts = join(dir, "twisted_known_hosts");
    writeFileSync(knownHosts, "");
    const run = await runClient(PYTHON, [script, String(port), key("ecdsa256"), "bob", knownHosts]);
    assert.equal(run.status, 0, `${dec.decode(run.stdout)}\n${run.stderr}`);
    assert.equal(dec.decode(run.stdout), "exec 'twisted' 3\ncat ok\n");
  });

  it(
    "disconnects its clients and exits 0 on SIGTERM",
    { skip: SKIP_SSH, timeout: 60_000 },
    async () => {
      const hostDir = join(dir, "host");
      const [p, t, p2] = await startConch([
        "-d",
        hostDir,
        "--authorized-keys",
        join(dir, "authorized_keys"),
      ]);
      try {
        const saved = port;
        port = p2;
        const began = Date.now();
        const running = ssh(["sleep 30"], undefined, ["-o", "LogLevel=INFO"]);
        port = saved;
        await p.waitFor(/SSH session runs/);
        t.signalProcess("TERM");
        const run = await running;
        await p.ended.addTimeout(20, reactor);
        assert.equal(p.exitCode, 0, p.err);
        assert.equal(run.status, 255);
        assert.match(run.stderr, /server shutting down/);
        assert.ok(Date.now() - began < 20_000, "ssh waited for the command");
      } finally {
        await stopConch(p, t);
      }
    },
  );
});
