// The `tw` command as a real program on Deno, Bun and Node (each started from
// whichever runtime runs this file): serve, talk, SIGTERM, exit 0, pid file
// removed; a bad option exits 2 and a port in use exits 1, each with one line.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type IListeningPort, Protocol, reactor, ServerFactory } from "../../mod.ts";
import { PROGRAM_RUNTIMES, runToEnd, start, talk, tempDir, terminate } from "./_program.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

/** Holds a port on 127.0.0.1 so that `tw` finds it in use. */
async function occupyPort(): Promise<IListeningPort> {
  const factory = new ServerFactory();
  factory.protocol = Protocol;
  factory.noisy = false;
  return await reactor.listenTCP(0, factory, { interface: "127.0.0.1" }).whenListening();
}

for (const runtime of PROGRAM_RUNTIMES) {
  describe(`tw on ${runtime} (from ${reactor.runtime.name})`, { timeout: 120_000 }, () => {
    it("tw echo listens, echoes, and exits 0 on SIGTERM removing its pid file", {
      timeout: 60_000,
    }, async () => {
      const [dir, cleanup] = tempDir();
      const pidfile = join(dir, "tw.pid");
      const [program, transport] = start(runtime, [
        "--pidfile",
        pidfile,
        "echo",
        "--listen",
        "tcp:0:interface=127.0.0.1",
      ]);
      try {
        const port = await program.port();
        assert.equal(readFileSync(pidfile, "utf8").trim(), String(transport.pid));
        assert.equal(await talk(port, "ping\n", /ping\n/), "ping\n");
        await terminate(program, transport);
        assert.equal(program.signal, null, program.err);
        assert.equal(program.exitCode, 0, program.err);
        assert.equal(program.err, "");
        assert.equal(existsSync(pidfile), false, "the pid file is removed on exit");
        assert.match(program.out, /Received SIGTERM, shutting down/);
      } finally {
        await terminate(program, transport);
        cleanup();
      }
    });

    it("tw web serves its 'It works' page and exits 0 on SIGTERM", {
      timeout: 60_000,
    }, async () => {
      const [program, transport] = start(runtime, ["web", "--listen", "tcp:0:interface=127.0.0.1"]);
      try {
        const port = await program.port();
        const response = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
        assert.match(await response.text(), /It works/);
        await terminate(program, transport);
        assert.equal(program.exitCode, 0, program.err);
        assert.equal(program.signal, null);
      } finally {
        await terminate(program, transport);
      }
    });

    it("a bad option exits 2 with one line on stderr", { timeout: 30_000 }, async () => {
      const program = await runToEnd(runtime, ["echo", "--frob"]);
      assert.equal(program.exitCode, 2);
      assert.equal(program.err, "tw: Unknown option: --frob (see tw echo --help)\n");
      assert.equal(program.out, "");
    });

    it("a port in use exits 1 naming the address and the cause", {
      timeout: 30_000,
    }, async () => {
      const taken = await occupyPort();
      const [dir, cleanup] = tempDir();
      const pidfile = join(dir, "tw.pid");
      try {
        const port = (taken.getHost() as { port: number }).port;
        const program = await runToEnd(runtime, [
          "--pidfile",
          pidfile,
          "echo",
          "--listen",
          `tcp:${port}:interface=127.0.0.1`,
        ]);
        assert.equal(program.exitCode, 1, program.out);
        assert.equal(program.err, `tw: Cannot listen on 127.0.0.1:${port}: address in use\n`);
        assert.equal(existsSync(pidfile), false, "the pid file is removed after a failed start");
      } finally {
        await taken.stopListening();
        cleanup();
      }
    });

    it("refuses to start while a live process owns the pid file", {
      timeout: 30_000,
    }, async () => {
      const [dir, cleanup] = tempDir();
      const pidfile = join(dir, "tw.pid");
      // The owner: a running tw we started.
      const [owner, ownerTransport] = start(runtime, [
        "--pidfile",
        pidfile,
        "echo",
        "--listen",
        "tcp:0:interface=127.0.0.1",
      ]);
      try {
        await owner.port();
        const program = await runToEnd(runtime, [
          "--pidfile",
          pidfile,
          "echo",
          "--listen",
          "tcp:0:interface=127.0.0.1",
        ]);
        assert.equal(program.exitCode, 1);
        assert.equal(
          program.err,
          `tw: Cannot write pid file ${pidfile}: process ${ownerTransport.pid} is running and owns it\n`,
        );
        assert.equal(readFileSync(pidfile, "utf8").trim(), String(ownerTransport.pid));
      } finally {
        await terminate(owner, ownerTransport);
        cleanup();
      }
      assert.equal(owner.exitCode, 0, owner.err);
    });

    it("replaces a stale pid file", { timeout: 30_000 }, async () => {
      const [dir, cleanup] = tempDir();
      const pidfile = join(dir, "tw.pid");
      // No process has a pid this large on Linux (pid_max is at most 2^22).
      writeFileSync(pidfile, "99999999\n");
      const [program, transport] = start(runtime, [
        "--pidfile",
        pidfile,
        "echo",
        "--listen",
        "tcp:0:interface=127.0.0.1",
      ]);
      try {
        await program.port();
        assert.equal(readFileSync(pidfile, "utf8").trim(), String(transport.pid));
        await terminate(program, transport);
        assert.equal(program.exitCode, 0, program.err);
        assert.equal(existsSync(pidfile), false);
      } finally {
        await terminate(program, transport);
        cleanup();
      }
    });
  });
}
