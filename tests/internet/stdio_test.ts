// StandardIO (twisted.internet.stdio) on this runtime: a child process running
// tests/fixtures/stdio/child.ts on the same runtime, fed through its stdin.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { StandardIO } from "../../src/internet/stdio.ts";
import { NotSupportedError } from "../../src/internet/error.ts";
import { Protocol } from "../../src/internet/protocol.ts";
import { Reactor } from "../../src/internet/reactor.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { runtime } from "./_pipe_runtime.ts";
import { CHILD, runChild, runtimeCommand } from "./_stdio_child.ts";
import { SKIP_NO_PTY } from "./_pty_peer.ts";

trackLeaks({ beforeEach, afterEach });

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
/** 300 KiB of every byte value: more than a pipe holds, so both sides wait on each other. */
const BIG = Uint8Array.from({ length: 300 * 1024 }, (_, i) => (i * 13 + (i >> 9)) & 0xff);

describe("StandardIO in a child process", () => {
  it("echoes stdin to stdout, and ends with ConnectionDone at EOF", async () => {
    const run = await runChild("echo", BIG);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.byteLength, BIG.byteLength);
    assert.deepEqual(run.stdout, BIG);
    assert.match(run.stderr, /^lost ConnectionDone$/m);
  });

  it("tells a half-closeable protocol readConnectionLost, and it may still write", async () => {
    const run = await runChild("half", "abc");
    assert.equal(run.code, 0, run.stderr);
    assert.equal(text(run.stdout), "abcEOF\n");
    assert.match(run.stderr, /^lost ConnectionDone$/m);
  });

  it("reports PipeAddress for both ends and a stdin that is no terminal", async () => {
    const run = await runChild("info", "", { keepStdinOpen: true });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(text(run.stdout), "false PipeAddress() PipeAddress()\n");
    assert.match(run.stderr, /^lost ConnectionDone$/m);
  });

  // Deno's node:process stdin keeps a read waiting that nothing cancels: the
  // node adapter forced on Deno cannot let go of a stdin that never ends.
  const nodeOnDeno = "Deno" in globalThis && runtime.name === "node"
    ? "the node adapter on Deno cannot release a stdin read (Deno's node:process)"
    : false;
  it("lets the process exit with stdin paused and still open", { skip: nodeOnDeno }, async () => {
    // The child pauses reading, stops its reactor after 200 ms: it must exit
    // although its stdin never ends.
    const run = await runChild("pause", "pending", { keepStdinOpen: true, timeoutMs: 15000 });
    assert.equal(run.code, 0, `killed after ${run.ms} ms: ${run.stderr}`);
    assert.ok(run.ms < 15000);
  });

  it("says isTTY when stdin is a terminal", { skip: SKIP_NO_PTY }, () => {
    const [exe, argv] = runtimeCommand(CHILD, ["info"]);
    // python3 runs the child on a pseudo-terminal; its own stdin is empty.
    const run = spawnSync("python3", [
      "-c",
      "import pty, sys; pty.spawn(sys.argv[1:])",
      exe,
      ...argv,
    ], {
      input: "",
      encoding: "utf8",
      timeout: 30000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^true PipeAddress\(\) PipeAddress\(\)\r?$/m);
  });
});

describe("StandardIO", () => {
  it("needs an adapter with openStdin", () => {
    const bare = new Reactor({ ...runtime, openStdin: undefined });
    assert.throws(() => new StandardIO(new Protocol(), { reactor: bare }), NotSupportedError);
  });
});
