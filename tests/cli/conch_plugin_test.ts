// `tw conch` (twistd conch): its options parsed and its service made in this process
// (host keys from -d, --moduli, --auth, --authorized-keys, the endpoint from -p and -i),
// the startup errors, then the real program: no host keys is an error naming the folder and
// `tw ckeygen`. The program served to real clients is tested in tests/conch/ssh/.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { reactor } from "../../mod.ts";
import type { IService, MultiService } from "../../src/application/mod.ts";
import { conchPlugin, type ListeningService, type Options, UsageError } from "../../src/cli/mod.ts";
import type { Reactor } from "../../src/internet/reactor.ts";
import { Key, type SSHFactory, SSHUserAuthServer } from "../../src/conch/mod.ts";
import { writePasswordFile } from "../../src/cred/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { CURRENT, runToEnd, tempDir } from "./_program.ts";

trackLeaks({ beforeEach, afterEach });

function parsed(argv: string[]): Options {
  const options = new conchPlugin.options();
  options.parseOptions(argv);
  return options;
}

async function make(argv: string[], cwd = "/"): Promise<ListeningService<SSHFactory>> {
  const context = { reactor: reactor as unknown as Reactor, cwd };
  const service = await conchPlugin.makeService(parsed(argv), context) as MultiService;
  const [tree] = [...service] as MultiService[];
  const [listening] = [...tree] as IService[];
  return listening as ListeningService<SSHFactory>;
}

let dir = "";
let cleanup = (): void => {};
let keyDir = "";

async function writeKey(folder: string, name: string, type: "ed25519" | "ecdsa"): Promise<Key> {
  const key = await Key.generate(type);
  writeFileSync(join(folder, name), key.toString("openssh"), { mode: 0o600 });
  writeFileSync(join(folder, `${name}.pub`), key.public().toString("openssh"));
  return key;
}

describe("tw conch options", () => {
  beforeEach(async () => {
    [dir, cleanup] = tempDir();
    keyDir = join(dir, "keys");
    mkdirSync(keyDir);
    await writeKey(keyDir, "ssh_host_ed25519_key", "ed25519");
    await writeKey(keyDir, "ssh_host_ecdsa_key", "ecdsa");
  });
  afterEach(() => cleanup());

  it("has twistd conch's defaults, and 127.0.0.1 for -i", () => {
    const options = parsed([]);
    assert.equal(options.opts.port, "tcp:22");
    assert.equal(options.opts.interface, "127.0.0.1");
    assert.equal(options.opts.data, "/etc/ssh");
    assert.equal(options.opts.moduli, undefined);
  });

  it("refuses an --auth other than file:PATH", () => {
    assert.throws(() => parsed(["--auth", "memory:a:b"]), UsageError);
    assert.throws(() => parsed(["--auth", "file:"]), UsageError);
    assert.throws(() => parsed(["-p", "70000"]), UsageError);
  });

  it("listens on -p with -i added to tcp: endpoints", async () => {
    const cases: [string[], string][] = [
      [[], "tcp:22:interface=127.0.0.1"],
      [["-p", "2222"], "tcp:2222:interface=127.0.0.1"],
      [["-p", "tcp:2222", "-i", "::1"], "tcp:2222:interface=\\:\\:1"],
      [["-p", "tcp:2222:interface=0.0.0.0"], "tcp:2222:interface=0.0.0.0"],
      [["-p", "unix:/run/tw-ssh.sock"], "unix:/run/tw-ssh.sock"],
    ];
    for (const [argv, description] of cases) {
      const service = await make(["-d", keyDir, ...argv]);
      assert.equal(service.description, description);
    }
  });

  it("serves every ssh_host_*_key of -d, and only those", async () => {
    writeFileSync(join(keyDir, "not_a_host_key"), "junk");
    const service = await make(["-d", keyDir]);
    assert.deepEqual(Object.keys(service.factory.privateKeys).sort(), [
      "ecdsa-sha2-nistp256",
      "ssh-ed25519",
    ]);
    assert.equal(service.factory.primes, null);
  });

  it("fails at startup without host keys, naming the folder and tw ckeygen", async () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    await assert.rejects(make(["-d", empty]), (e: Error) => {
      assert.match(e.message, new RegExp(`No host keys .* in ${empty}`));
      assert.match(e.message, /tw ckeygen -t ed25519 -f .*ssh_host_ed25519_key/);
      return true;
    });
    await assert.rejects(make(["-d", join(dir, "missing")]), /Cannot read the host key folder/);
  });

  it("fails at startup on a host key it cannot read", async () => {
    writeFileSync(join(keyDir, "ssh_host_rsa_key"), "-----BEGIN NONSENSE-----\n");
    await assert.rejects(make(["-d", keyDir]), /Cannot load host key .*ssh_host_rsa_key/);
  });

  it("reads the moduli file of -d or --moduli", async () => {
    const moduli = "20230101000000 2 6 100 2047 2 " + "F".repeat(512) + "\n";
    writeFileSync(join(keyDir, "moduli"), moduli);
    const service = await make(["-d", keyDir]);
    assert.ok(service.factory.primes !== null && service.factory.primes.size > 0);
    await assert.rejects(make(["-d", keyDir, "--moduli", join(dir, "none")]), /Cannot read/);
  });

  it("offers passwords only with --auth, whose file must exist", async () => {
    const plain = await make(["-d", keyDir]);
    const Auth = plain.factory.services["ssh-userauth"];
    assert.notEqual(Auth, SSHUserAuthServer);
    assert.deepEqual((new Auth() as SSHUserAuthServer).supportedAuthentications, ["publickey"]);
    await writePasswordFile(reactor.runtime, join(dir, "passwords"), { alice: "pw" });
    const withAuth = await make(["-d", keyDir, "--auth", "file:passwords"], dir);
    const Auth2 = withAuth.factory.services["ssh-userauth"];
    assert.deepEqual((new Auth2() as SSHUserAuthServer).supportedAuthentications, [
      "publickey",
      "password",
      "keyboard-interactive",
    ]);
    await assert.rejects(
      make(["-d", keyDir, "--auth", "file:nothing"], dir),
      /Cannot read password file/,
    );
  });

  it("exits 1 with the error when the program has no host keys", { timeout: 60_000 }, async () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    const program = await runToEnd(CURRENT, ["conch", "-p", "tcp:0", "-d", empty]);
    assert.equal(program.exitCode, 1);
    assert.match(program.out + program.err, /No host keys/);
    assert.match(program.out + program.err, /tw ckeygen/);
  });
});
