// Host keys we write, served by a real sshd (openssh-server, foreground, temporary config,
// free loopback port, always stopped), read back by ssh-keyscan; its output (plain and -H
// hashed, "[127.0.0.1]:PORT" names) checked with KnownHostsFile. Skipped without the peers,
// except under CI.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import process from "node:process";
import {
  HostKeyChanged,
  Key,
  KnownHostsFile,
  knownHostsName,
} from "../../../src/conch/keys/mod.ts";
import { HAVE_SSH_KEYGEN, tempDir } from "./_ssh_keygen.ts";

const SSHD = "/usr/sbin/sshd";
const HAVE_PEERS = HAVE_SSH_KEYGEN && existsSync(SSHD) &&
  spawnSync("ssh-keyscan", ["-?"], { stdio: "ignore" }).error === undefined;
const SKIP = HAVE_PEERS || process.env.CI === "true"
  ? false
  : "peer missing: install Debian's openssh-server and openssh-client " +
    "(apt-get install -y openssh-server openssh-client)";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

let dir = "";
let cleanup = (): void => {};
let sshd: ChildProcess | null = null;
let port = 0;
const hostKeys: Key[] = [];

describe("host keys we write, served by sshd and read by ssh-keyscan", { skip: SKIP }, () => {
  before(async () => {
    [dir, cleanup] = tempDir("tw-sshd-keys-");
    hostKeys.push(
      await Key.generate("ed25519"),
      await Key.generate("ecdsa", { bits: 384 }),
      await Key.generate("rsa", { bits: 2048 }),
    );
    const files = hostKeys.map((key, i) => {
      const path = join(dir, `host_key_${i}`);
      writeFileSync(path, key.toString("openssh", { comment: "host" }), { mode: 0o600 });
      return path;
    });
    port = await freePort();
    const config = join(dir, "sshd_config");
    writeFileSync(
      config,
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        ...files.map((f) => `HostKey ${f}`),
        `PidFile ${join(dir, "sshd.pid")}`,
        "UsePAM no",
        "StrictModes no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "",
      ].join("\n"),
    );
    if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const proc = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    sshd = proc;
    await new Promise<void>((resolve, reject) => {
      let err = "";
      const timer = setTimeout(() => reject(new Error(`sshd did not start: ${err}`)), 15_000);
      proc.stderr!.on("data", (chunk: Buffer) => {
        err += chunk.toString();
        if (/Server listening on 127\.0\.0\.1 port/.test(err)) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited ${code}: ${err}`));
      });
    });
  });

  after(async () => {
    if (sshd !== null && sshd.exitCode === null) {
      const ended = new Promise((resolve) => sshd!.once("exit", resolve));
      sshd.kill("SIGTERM");
      await ended;
    }
    cleanup();
  });

  for (const hashed of [false, true]) {
    it(
      `finds every key in ssh-keyscan's ${hashed ? "hashed " : ""}output`,
      { timeout: 60_000 },
      async () => {
        const args = [
          ...(hashed ? ["-H"] : []),
          "-p",
          String(port),
          "-t",
          "ed25519,ecdsa,rsa",
          "127.0.0.1",
        ];
        const scan = spawnSync("ssh-keyscan", args, { encoding: "utf8", timeout: 30_000 });
        assert.equal(scan.status, 0, scan.stderr);
        const path = join(dir, hashed ? "known_hashed" : "known_plain");
        writeFileSync(path, scan.stdout);
        const lines = scan.stdout.split("\n").filter((l) => l && !l.startsWith("#"));
        assert.equal(lines.length, 3, scan.stdout);
        if (hashed) assert.ok(lines.every((l) => l.startsWith("|1|")));
        else assert.ok(lines.every((l) => l.startsWith(`[127.0.0.1]:${port} `)));
        const known = await KnownHostsFile.fromPath(path);
        const name = knownHostsName("127.0.0.1", port);
        for (const key of hostKeys) {
          assert.ok(known.hasHostKey(name, key.public()), key.sshType());
          assert.equal(known.hasHostKey("127.0.0.1", key.public()), false);
        }
        const stranger = await Key.generate("ed25519");
        assert.throws(() => known.hasHostKey(name, stranger.public()), HostKeyChanged);
      },
    );
  }
});
