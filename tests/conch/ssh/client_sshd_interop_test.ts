// Our SSHCommandClientEndpoint against OpenSSH's sshd (openssh-server), one sshd per
// algorithm set (each cipher, MAC, key exchange and host key type, forced by sshd_config):
// exec with stdout, stderr and exit status (ProcessTerminated), 4 MiB through `cat` with EOF,
// known_hosts (an unknown key without a ui: UserRejectedKey; a changed one: HostKeyChanged),
// a key sshd does not know: AuthenticationFailed, and "strict KEX" in sshd's log; then
// against twistd conch's service (python3-twisted): exit status and `cat`.
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Factory, type Failure, Protocol, reactor } from "../../../mod.ts";
import { ConnectionDone, ProcessTerminated } from "../../../src/internet/error.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import {
  AuthenticationFailed,
  HostKeyChanged,
  Key,
  KnownHostsFile,
  SSHCommandClientEndpoint,
  UserRejectedKey,
} from "../../../src/conch/mod.ts";
import {
  type AlgorithmSet,
  currentUser,
  HAVE_SSH,
  HAVE_SSHD,
  HAVE_TWISTED_CONCH,
  keygen,
  PYTHON,
  skipUnless,
  type Sshd,
  startSshd,
  tempDir,
} from "./_sshd.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const SKIP = skipUnless(HAVE_SSHD && HAVE_SSH, "openssh-server") ||
  skipUnless(HAVE_SSH, "openssh-client");
const dec = new TextDecoder();

class Collect extends Protocol {
  out: Uint8Array[] = [];
  err = "";
  reason: Error | null = null;
  done: Promise<Error>;
  #resolve!: (e: Error) => void;
  constructor() {
    super();
    this.done = new Promise((r) => (this.#resolve = r));
  }
  override dataReceived(data: Uint8Array): void {
    this.out.push(data);
  }
  extReceived(_type: number, data: Uint8Array): void {
    this.err += dec.decode(data);
  }
  override connectionLost(reason: Failure): void {
    this.reason = reason.value as Error;
    this.#resolve(this.reason);
  }
  bytes(): Uint8Array {
    const total = this.out.reduce((n, c) => n + c.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of this.out) {
      all.set(c, at);
      at += c.length;
    }
    return all;
  }
}

let dir = "";
let cleanup = (): void => {};
let userKey: Key;
let otherKey: Key;
let user = "root";

interface RunOptions {
  input?: Uint8Array;
  knownHosts?: KnownHostsFile;
  keys?: Key[];
}

async function knownHostsFor(sshd: Sshd, line = sshd.hostPublicKey): Promise<KnownHostsFile> {
  const file = join(dir, `known_hosts_${sshd.port}`);
  writeFileSync(file, `[127.0.0.1]:${sshd.port} ${line}\n`);
  return await KnownHostsFile.fromPath(file);
}

async function run(sshd: Sshd, command: string, options: RunOptions = {}): Promise<Collect> {
  const endpoint = SSHCommandClientEndpoint.newConnection(reactor, command, user, "127.0.0.1", {
    port: sshd.port,
    keys: options.keys ?? [userKey],
    knownHosts: options.knownHosts ?? await knownHostsFor(sshd),
  });
  const protocol = await endpoint.connect(Factory.forProtocol(Collect)) as Collect;
  if (options.input !== undefined) {
    const transport = protocol.transport as unknown as {
      write(d: Uint8Array): void;
      loseWriteConnection(): void;
    };
    for (let at = 0; at < options.input.length; at += 65536) {
      transport.write(options.input.subarray(at, at + 65536));
    }
    transport.loseWriteConnection();
  }
  await protocol.done;
  return protocol;
}

async function withSshd<T>(
  hostKeyType: string,
  algorithms: AlgorithmSet,
  fn: (sshd: Sshd) => Promise<T>,
): Promise<T> {
  const sshd = await startSshd({
    hostKeyType,
    authorizedKeys: readFileSync(join(dir, "user_key.pub"), "utf8"),
    algorithms,
  });
  try {
    return await fn(sshd);
  } finally {
    await sshd.stop();
  }
}

const SETS: [string, string, AlgorithmSet][] = [
  ...[
    "chacha20-poly1305@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
  ].map((c): [string, string, AlgorithmSet] => [`cipher ${c}`, "ed25519", { Ciphers: c }]),
  ...[
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
  ].map((m): [string, string, AlgorithmSet] => [
    `MAC ${m}`,
    "ed25519",
    { Ciphers: "aes128-ctr", MACs: m },
  ]),
  ...[
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group-exchange-sha256",
  ].map((k): [string, string, AlgorithmSet] => [`KEX ${k}`, "ed25519", { KexAlgorithms: k }]),
  ...([
    ["ed25519", "ssh-ed25519"],
    ["ecdsa256", "ecdsa-sha2-nistp256"],
    ["ecdsa384", "ecdsa-sha2-nistp384"],
    ["ecdsa521", "ecdsa-sha2-nistp521"],
    ["rsa", "rsa-sha2-256"],
    ["rsa", "rsa-sha2-512"],
  ] as const).map(([type, alg]): [string, string, AlgorithmSet] => [
    `host key ${alg}`,
    type,
    { HostKeyAlgorithms: alg },
  ]),
];

describe("SSHCommandClientEndpoint against sshd", { skip: SKIP }, () => {
  before(async () => {
    [dir, cleanup] = tempDir();
    userKey = await Key.fromFile(keygen(dir, "user_key", "ed25519"));
    otherKey = await Key.fromFile(keygen(dir, "other_key", "ed25519"));
    user = currentUser();
  });
  after(() => cleanup());

  for (const [name, hostKeyType, algorithms] of SETS) {
    it(`runs a command with ${name}`, { timeout: 60_000 }, async () => {
      await withSshd(hostKeyType, algorithms, async (sshd) => {
        const p = await run(sshd, "echo out; echo err >&2; exit 3");
        assert.equal(dec.decode(p.bytes()), "out\n");
        // sshd at LogLevel DEBUG3 also sends a few debug lines to the session's stderr.
        assert.match(p.err, /(^|\n)err\n$/);
        assert.ok(p.reason instanceof ProcessTerminated, String(p.reason));
        assert.equal((p.reason as ProcessTerminated).exitCode, 3);
        const chosen = Object.values(algorithms).join("|").replaceAll(".", "\\.");
        assert.match(sshd.log(), new RegExp(`(${chosen})`));
      });
    });
  }

  it("sends 4 MiB through cat with EOF and gets them back, with strict KEX", {
    timeout: 120_000,
  }, async () => {
    await withSshd("ed25519", {}, async (sshd) => {
      const input = new Uint8Array(4 << 20);
      for (let i = 0; i < input.length; i += 65536) {
        crypto.getRandomValues(input.subarray(i, i + 65536));
      }
      const p = await run(sshd, "cat", { input });
      assert.ok(p.reason instanceof ConnectionDone, String(p.reason));
      const got = p.bytes();
      assert.equal(got.length, input.length);
      assert.ok(Buffer.from(got).equals(Buffer.from(input)));
      assert.match(sshd.log(), /will use strict KEX ordering/);
    });
  });

  it(
    "refuses an unknown host key without a ui (UserRejectedKey)",
    { timeout: 60_000 },
    async () => {
      await withSshd("ed25519", {}, async (sshd) => {
        const empty = join(dir, "known_hosts_empty");
        writeFileSync(empty, "");
        const knownHosts = await KnownHostsFile.fromPath(empty);
        await assert.rejects(run(sshd, "true", { knownHosts }), UserRejectedKey);
      });
    },
  );

  it("refuses a changed host key (HostKeyChanged)", { timeout: 60_000 }, async () => {
    await withSshd("ed25519", {}, async (sshd) => {
      const knownHosts = await knownHostsFor(sshd, otherKey.public().toString("openssh"));
      await assert.rejects(run(sshd, "true", { knownHosts }), HostKeyChanged);
    });
  });

  it("fails with AuthenticationFailed for a key sshd does not know", {
    timeout: 60_000,
  }, async () => {
    await withSshd("ed25519", {}, async (sshd) => {
      await assert.rejects(run(sshd, "true", { keys: [otherKey] }), AuthenticationFailed);
    });
  });
});

describe("SSHCommandClientEndpoint against twistd conch", {
  skip: skipUnless(HAVE_TWISTED_CONCH, "python3-twisted") || skipUnless(HAVE_SSH, "openssh-client"),
}, () => {
  let twisted: ChildProcess | undefined;
  let port = 0;
  let hostLine = "";
  before(async () => {
    [dir, cleanup] = tempDir();
    userKey = await Key.fromFile(keygen(dir, "user_key", "ed25519"));
    user = currentUser();
    const hostDir = join(dir, "host");
    mkdirSync(hostDir);
    hostLine = readFileSync(`${keygen(hostDir, "ssh_host_ed25519_key", "ed25519")}.pub`, "utf8");
    const script = join(new URL(".", import.meta.url).pathname, "twisted_server_peer.py");
    twisted = spawn(PYTHON, [script, hostDir, join(dir, "user_key.pub"), user], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    port = await new Promise<number>((resolve, reject) => {
      twisted!.stdout!.on("data", (d: Uint8Array) => {
        out += dec.decode(d);
        const m = /PORT (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      twisted!.stderr!.on("data", (d: Uint8Array) => (out += dec.decode(d)));
      twisted!.once("exit", () => reject(new Error(`twistd conch ended: ${out}`)));
    });
  });
  after(async () => {
    if (twisted && twisted.exitCode === null) {
      const exited = new Promise((r) => twisted!.once("exit", r));
      twisted.kill("SIGTERM");
      await exited;
    }
    cleanup();
  });

  it("runs a command with its exit status and 256 KiB through cat", {
    timeout: 60_000,
  }, async () => {
    const sshd = { port, hostPublicKey: hostLine.trim() } as Sshd;
    const p = await run(sshd, "echo twisted; exit 4");
    assert.equal(dec.decode(p.bytes()), "twisted\n");
    assert.ok(p.reason instanceof ProcessTerminated, String(p.reason));
    assert.equal((p.reason as ProcessTerminated).exitCode, 4);
    const input = new Uint8Array(256 * 1024);
    crypto.getRandomValues(input.subarray(0, 65536));
    const cat = await run(sshd, "cat", { input });
    assert.ok(Buffer.from(cat.bytes()).equals(Buffer.from(input)));
  });
});
