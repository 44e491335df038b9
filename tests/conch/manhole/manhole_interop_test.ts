// `tw manhole` (runtimes/cli.ts on the runtime running this test) driven by real
// clients (OpenSSH's ssh -tt through sshpass too): a raw-socket telnet client in Python answering option negotiation and
// typing keys one at a time (login, arrows, history, backspace, top-level await,
// an error, Ctrl-D), and paramiko (python3-paramiko) with a pty: 1+1 gives 2,
// `reactor` is in the namespace, a resize, Ctrl-D ends with exit status 0. Also
// the host key generated once and kept, and the refusals of bad options.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { reactor } from "../../../mod.ts";
import type { ProcessTransport } from "../../../mod.ts";
import { writePasswordFile } from "../../../src/cred/mod.ts";
import { CURRENT, type Program, runToEnd, start } from "../../cli/_program.ts";
import {
  HAVE_PARAMIKO,
  HAVE_SSH,
  HAVE_SSHPASS,
  PYTHON,
  runClient,
  skipUnless,
  sshOptions,
  tempDir,
} from "../ssh/_sshd.ts";

const PEER = join(new URL(".", import.meta.url).pathname, "manhole_peer.py");
const SKIP_PARAMIKO = skipUnless(HAVE_PARAMIKO, "python3-paramiko");
const SKIP_OPENSSH = skipUnless(HAVE_SSH, "openssh-client") || skipUnless(HAVE_SSHPASS, "sshpass");
const dec = new TextDecoder();

let dir = "";
let cleanup = (): void => {};
let program: Program;
let transport: ProcessTransport;
let telnetPort = 0;
let sshPort = 0;

async function stop(p: Program, t: ProcessTransport): Promise<void> {
  if (p.exitCode === undefined) t.signalProcess("TERM");
  await p.ended.addTimeout(20, reactor).addErrback(() => {
    t.signalProcess("KILL");
    return p.ended;
  });
}

describe(`tw manhole on ${CURRENT} driven by a telnet client, paramiko and OpenSSH`, () => {
  before(async () => {
    [dir, cleanup] = tempDir("tw-manhole-");
    await writePasswordFile(
      await import("../../../runtimes/select.ts").then((m) => m.reactor.runtime),
      join(dir, "passwd"),
      { admin: "s3cret" },
    );
    [program, transport] = start(CURRENT, [
      "manhole",
      "-t",
      "tcp:0",
      "-s",
      "tcp:0",
      "-p",
      join(dir, "passwd"),
      "--sshKeyDir",
      join(dir, "keys"),
      "--sshKeySize",
      "2048",
    ]);
    try {
      const telnet = await program.waitFor(/(?:^|\s)Factory listening on 127\.0\.0\.1:(\d+)/m);
      const ssh = await program.waitFor(/ConchFactory listening on 127\.0\.0\.1:(\d+)/);
      telnetPort = Number(telnet[1]);
      sshPort = Number(ssh[1]);
    } catch (error) {
      await stop(program, transport);
      throw error;
    }
  });

  after(async () => {
    if (program !== undefined) await stop(program, transport);
    cleanup();
  });

  it("serves a telnet login with line editing, history and await", async () => {
    const run = await runClient(PYTHON, [PEER, "telnet", String(telnetPort), "admin", "s3cret"]);
    assert.equal(dec.decode(run.stdout).trim(), "OK", dec.decode(run.stdout) + run.stderr);
    assert.equal(run.status, 0);
  });

  it("refuses a wrong telnet password", async () => {
    const run = await runClient(PYTHON, [PEER, "badlogin", String(telnetPort), "admin", "wrong"]);
    assert.equal(dec.decode(run.stdout).trim(), "OK", dec.decode(run.stdout) + run.stderr);
  });

  it("serves paramiko a pty shell: 1+1 is 2, Ctrl-D gives exit status 0", {
    skip: SKIP_PARAMIKO,
  }, async () => {
    const run = await runClient(PYTHON, [PEER, "ssh", String(sshPort), "admin", "s3cret"]);
    assert.equal(dec.decode(run.stdout).trim(), "OK", dec.decode(run.stdout) + run.stderr);
    assert.equal(run.status, 0);
  });

  it("serves OpenSSH's ssh -tt with a password (sshpass): 1+1 is 2, Ctrl-D exits 0", {
    skip: SKIP_OPENSSH,
  }, async () => {
    const run = await runClient("sshpass", [
      "-p",
      "s3cret",
      "ssh",
      "-tt",
      ...sshOptions(sshPort, ["-o", "PreferredAuthentications=password"]),
      "admin@127.0.0.1",
    ], "1+1\r\x04");
    const out = dec.decode(run.stdout);
    assert.match(out, /2\r\n>>> /, out + run.stderr);
    assert.equal(run.status, 0, out + run.stderr);
  });

  it("generated the RSA host key once, private, in --sshKeyDir, and keeps it", async () => {
    const key = join(dir, "keys", "server.key");
    assert.ok(existsSync(key));
    assert.match(readFileSync(key, "utf8"), /BEGIN OPENSSH PRIVATE KEY/);
    assert.equal(statSync(key).mode & 0o777, 0o600);
    const first = /host key (SHA256:\S+)/.exec(program.out)![1];
    const [again, againTransport] = start(CURRENT, [
      "manhole",
      "-s",
      "tcp:0",
      "-p",
      join(dir, "passwd"),
      "--sshKeyDir",
      join(dir, "keys"),
    ]);
    try {
      const [, second] = await again.waitFor(/host key (SHA256:\S+)/);
      assert.equal(second, first);
      assert.doesNotMatch(again.out, /Generating/);
    } finally {
      await stop(again, againTransport);
    }
  });
});

describe("tw manhole options", () => {
  it("needs a port and a password file", async () => {
    const none = await runToEnd(CURRENT, ["manhole", "-p", "/nonexistent"]);
    assert.notEqual(none.exitCode, 0);
    assert.match(none.err + none.out, /At least one of --telnetPort and --sshPort/);
    const noPasswd = await runToEnd(CURRENT, ["manhole", "-t", "tcp:0"]);
    assert.notEqual(noPasswd.exitCode, 0);
    assert.match(noPasswd.err + noPasswd.out, /--passwd FILE is required/);
  });
});
