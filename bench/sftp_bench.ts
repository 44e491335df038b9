// SFTP throughput: OpenSSH's `sftp -b` puts then gets a file (64 MiB by default), the
// whole run timed (connection, key exchange, login, both transfers), against
// FileTransferServer over SFTPServerForUnixConchUser in an SSHFactory running in this
// process (on the runtime running the bench), against OpenSSH's sshd with
// `Subsystem sftp internal-sftp`, both with aes128-gcm@openssh.com, and against Twisted's
// SFTP server (`twistd conch`'s, patched to work: tests/conch/sftp/twisted_sftp_server.py)
// at its best, aes128-ctr with hmac-sha2-256 (it has no GCM). Prints MiB/s moved
// (2 x size / seconds), best of the rounds.
// Run: deno run -A bench/sftp_bench.ts [--size=MIB] [--rounds=N]
//      (or node bench/sftp_bench.ts, bun bench/sftp_bench.ts)
// Needs sftp, ssh-keygen (openssh-client), sshpass, /usr/sbin/sshd (openssh-server),
// python3-twisted (skipped without it).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { reactor } from "../mod.ts";
import { ConchUser, Key, SSHFactory, SSHSession } from "../src/conch/mod.ts";
import { FileTransferServer, SFTPServerForUnixConchUser } from "../src/conch/sftp/mod.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../src/cred/mod.ts";
import { keygen, runClient, startSshd, tempDir } from "../tests/conch/ssh/_sshd.ts";
import { flag } from "./_proc.ts";

const MIB = Number(flag("size") ?? 64);
const ROUNDS = Number(flag("rounds") ?? 2);
const CIPHER = "aes128-gcm@openssh.com";
const PASSWORD = "bench";
const runtime = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined"
  ? "deno"
  : typeof (globalThis as { Bun?: unknown }).Bun !== "undefined"
  ? "bun"
  : "node";

for (const tool of ["sftp", "sshpass"]) {
  if (spawnSync(tool, ["-V"], { stdio: "ignore" }).error !== undefined) {
    process.stderr.write(`${tool} not found: apt-get install openssh-client sshpass\n`);
    process.exit(2);
  }
}

const [dir, cleanup] = tempDir("tw-sftp-bench-");
const local = join(dir, "local");
const served = join(dir, "served");
mkdirSync(local);
mkdirSync(served);
const data = new Uint8Array(MIB * 1024 * 1024);
for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
writeFileSync(join(local, "src"), data);
const digest = createHash("sha256").update(data).digest("hex");

class FilesUser extends ConchUser {
  constructor() {
    super();
    this.channelLookup["session"] = SSHSession;
  }
  lookupSubsystem(name: string): FileTransferServer | null {
    return name === "sftp"
      ? new FileTransferServer(new SFTPServerForUnixConchUser({ root: served }))
      : null;
  }
}

const factory = new SSHFactory();
factory.noisy = false;
const hostKey = await Key.generate("ed25519");
factory.privateKeys[hostKey.sshType()] = hostKey;
factory.portal = new Portal(
  {
    requestAvatar: (_a: unknown, _m: unknown, i: unknown) => [i, new FilesUser(), () => {}],
  } as never,
  [new InMemoryUsernamePasswordDatabaseDontUse({ bench: PASSWORD })],
);
const listening = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
await listening.whenListening!();
const ourPort = (listening.getHost() as { port: number }).port;

const userKey = keygen(dir, "user_key", "ed25519");
const sshd = await startSshd({
  hostKeyType: "ed25519",
  authorizedKeys: readFileSync(`${userKey}.pub`, "utf8"),
  algorithms: { Ciphers: CIPHER, Subsystem: "sftp internal-sftp" } as never,
});

// Twisted's server: prints "PORT n" once listening.
keygen(dir, "twisted_host", "ecdsa256");
const twisted = spawnSync("/usr/bin/python3", ["-c", "import twisted.conch"]).status === 0
  ? spawn("/usr/bin/python3", [
    new URL("../tests/conch/sftp/twisted_sftp_server.py", import.meta.url).pathname,
    served,
    join(dir, "twisted_host"),
    `${userKey}.pub`,
    "bench",
    PASSWORD,
  ], { stdio: ["ignore", "pipe", "inherit"] })
  : undefined;
const twistedPort = twisted === undefined ? 0 : await new Promise<number>((resolve, reject) => {
  let out = "";
  twisted.stdout!.on("data", (d: Uint8Array) => {
    out += new TextDecoder().decode(d);
    const m = /PORT (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  twisted.once("exit", (code) => reject(new Error(`Twisted's server exited: ${code}`)));
});

const common = (port: number, cipher = CIPHER) => [
  "-F",
  "/dev/null",
  "-o",
  "StrictHostKeyChecking=no",
  "-o",
  "UserKnownHostsFile=/dev/null",
  "-o",
  "LogLevel=ERROR",
  "-c",
  cipher,
  "-P",
  String(port),
];

async function once(label: string, command: string, args: string[], target: string) {
  const back = join(local, "back");
  rmSync(back, { force: true });
  const batch = `put ${join(local, "src")} ${target}\nget ${target} ${back}\nrm ${target}\n`;
  const started = performance.now();
  const run = await runClient(command, args, batch, undefined, 600_000);
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`${label}: ${run.stderr}`);
  const got = createHash("sha256").update(readFileSync(back)).digest("hex");
  if (got !== digest) throw new Error(`${label}: the file came back different`);
  return (2 * MIB) / seconds;
}

const ours = () =>
  once("tw", "sshpass", [
    "-p",
    PASSWORD,
    "sftp",
    ...common(ourPort),
    "-o",
    "PubkeyAuthentication=no",
    "-o",
    "BatchMode=no",
    "-b",
    "-",
    "bench@127.0.0.1",
  ], "/bench.bin");
const theirs = () =>
  once("sshd", "sftp", [
    ...common(sshd.port),
    "-i",
    userKey,
    "-o",
    "IdentityAgent=none",
    "-b",
    "-",
    `${spawnSync("id", ["-un"], { encoding: "utf8" }).stdout.trim()}@127.0.0.1`,
  ], join(served, "sshd.bin"));

const twistedRun = () =>
  once("twisted", "sftp", [
    ...common(twistedPort, "aes128-ctr"),
    "-o",
    "MACs=hmac-sha2-256",
    "-i",
    userKey,
    "-o",
    "IdentityAgent=none",
    "-b",
    "-",
    "bench@127.0.0.1",
  ], "twisted.bin");

const best = { tw: 0, sshd: 0, twisted: 0 };
try {
  for (let round = 0; round < ROUNDS; round++) {
    best.tw = Math.max(best.tw, await ours());
    best.sshd = Math.max(best.sshd, await theirs());
    if (twisted !== undefined) best.twisted = Math.max(best.twisted, await twistedRun());
  }
  console.log(
    `sftp put+get ${MIB} MiB, best of ${ROUNDS}: ` +
      `FileTransferServer on ${runtime} (${CIPHER}) ${best.tw.toFixed(1)} MiB/s, ` +
      `sshd internal-sftp (${CIPHER}) ${best.sshd.toFixed(1)} MiB/s ` +
      `(ratio ${(best.tw / best.sshd).toFixed(2)})` +
      (twisted === undefined
        ? "; Twisted skipped (apt-get install python3-twisted)"
        : `, Twisted's SFTP server (aes128-ctr, hmac-sha2-256) ${best.twisted.toFixed(1)} MiB/s ` +
          `(ratio ${(best.tw / best.twisted).toFixed(2)})`),
  );
} finally {
  await listening.stopListening();
  await sshd.stop();
  twisted?.kill("SIGTERM");
  cleanup();
}
