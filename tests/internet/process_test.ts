import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { signalName, spawnProcess } from "../../src/internet/process.ts";
import { ProcessProtocol } from "../../src/internet/protocol.ts";
import { MemoryNetwork } from "../../src/internet/memory_socket.ts";
import {
  NotSupportedError,
  ProcessDone,
  ProcessExitedAlready,
  ProcessTerminated,
} from "../../src/internet/error.ts";
import type { ChildProcess, SpawnOptions } from "../../src/internet/socket.ts";
import type { Failure } from "../../src/internet/failure.ts";
import { bytes, settle, text } from "./_transport_helpers.ts";
import { liveResources } from "../../src/internet/_live.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

type Handler = Parameters<ChildProcess["start"]>[0];

/** A child process driven by the test. */
class FakeChild implements ChildProcess {
  readonly pid = 4242;
  readonly native = null;
  handler: Handler | null = null;
  stdin: Uint8Array[] = [];
  stdinClosed = false;
  signals: string[] = [];
  start(handler: Handler): void {
    this.handler = handler;
  }
  writeStdin(data: Uint8Array): void {
    this.stdin.push(data);
  }
  closeStdin(): void {
    this.stdinClosed = true;
  }
  kill(signal: string): void {
    this.signals.push(signal);
  }
}

/** A runtime whose spawn() hands out a FakeChild and records the options. */
class FakeRuntime extends MemoryNetwork {
  child = new FakeChild();
  spawned: SpawnOptions[] = [];
  override spawn(options: SpawnOptions): ChildProcess {
    this.spawned.push(options);
    return this.child;
  }
}

class Recorder extends ProcessProtocol {
  events: string[] = [];
  out: Uint8Array[] = [];
  err: Uint8Array[] = [];
  reasons: Failure[] = [];
  override connectionMade(): void {
    this.events.push("made");
  }
  override outReceived(data: Uint8Array): void {
    this.out.push(data);
    this.events.push("out");
  }
  override errReceived(data: Uint8Array): void {
    this.err.push(data);
    this.events.push("err");
  }
  override childConnectionLost(fd: number): void {
    this.events.push(`lost${fd}`);
  }
  override processExited(reason: Failure): void {
    this.reasons.push(reason);
    this.events.push("exited");
  }
  override processEnded(reason: Failure): void {
    this.reasons.push(reason);
    this.events.push("ended");
  }
}

describe("spawnProcess()", () => {
  it("passes args after argv[0], env and path to the runtime and calls connectionMade", () => {
    const rt = new FakeRuntime();
    const p = new Recorder();
    const t = spawnProcess(rt, p, "/bin/cat", ["cat", "-u", "x"], {
      env: { A: "1" },
      path: "/tmp",
    });
    assert.deepEqual(rt.spawned, [{
      command: "/bin/cat",
      args: ["-u", "x"],
      env: { A: "1" },
      cwd: "/tmp",
    }]);
    assert.deepEqual(p.events, ["made"]);
    assert.equal(p.transport, t);
    assert.equal(t.pid, 4242);
    assert.ok(liveResources().includes(t));
    rt.child.handler!.onExit(0, null);
    assert.ok(!liveResources().includes(t));
  });

  it("delivers output, then processExited and processEnded with ProcessDone", () => {
    const rt = new FakeRuntime();
    const p = new Recorder();
    spawnProcess(rt, p, "cat", ["cat"]);
    const h = rt.child.handler!;
    h.onOutput(1, bytes("out"));
    h.onOutput(2, bytes("err"));
    h.onExit(0, null);
    assert.deepEqual(p.events, [
      "made",
      "out",
      "err",
      "exited",
      "lost1",
      "lost2",
      "lost0",
      "ended",
    ]);
    assert.equal(text(p.out), "out");
    assert.equal(text(p.err), "err");
    assert.ok(p.reasons[0].check(ProcessDone));
    assert.ok(p.reasons[1].check(ProcessDone));
    assert.equal(p.transport.pid, null);
  });

  it("reports a non-zero exit or a signal as ProcessTerminated", () => {
    const rt = new FakeRuntime();
    const p = new Recorder();
    spawnProcess(rt, p, "false");
    rt.child.handler!.onExit(3, null);
    const reason = p.reasons[1].value as ProcessTerminated;
    assert.ok(reason instanceof ProcessTerminated);
    assert.equal(reason.exitCode, 3);
    const rt2 = new FakeRuntime();
    const p2 = new Recorder();
    spawnProcess(rt2, p2, "sleep", ["sleep", "10"]);
    rt2.child.handler!.onExit(null, "SIGTERM");
    const r2 = p2.reasons[1].value as ProcessTerminated;
    assert.equal(r2.exitCode, null);
    assert.equal(r2.signal, "SIGTERM");
  });

  it("writes to stdin, closes it once, and drops writes after", async () => {
    const rt = new FakeRuntime();
    const p = new Recorder();
    const t = spawnProcess(rt, p, "cat");
    t.write(bytes("a"));
    t.writeSequence([bytes("b"), bytes("c")]);
    t.closeStdin();
    t.closeStdin();
    t.write(bytes("dropped"));
    assert.equal(text(rt.child.stdin), "abc");
    assert.equal(rt.child.stdinClosed, true);
    await settle(1);
    assert.deepEqual(p.events, ["made", "lost0"]);
    rt.child.handler!.onExit(0, null);
    assert.deepEqual(p.events.slice(-1), ["ended"]);
    assert.equal(p.events.filter((e) => e === "lost0").length, 1);
  });

  it("signalProcess() accepts Twisted's short names and full names", () => {
    const rt = new FakeRuntime();
    const t = spawnProcess(rt, new Recorder(), "sleep");
    t.signalProcess("TERM");
    t.signalProcess("KILL");
    t.signalProcess("INT");
    t.signalProcess("SIGHUP");
    t.signalProcess(15);
    assert.deepEqual(rt.child.signals, ["SIGTERM", "SIGKILL", "SIGINT", "SIGHUP", "SIGTERM"]);
    rt.child.handler!.onExit(null, "SIGTERM");
    assert.throws(() => t.signalProcess("TERM"), ProcessExitedAlready);
    assert.equal(signalName("usr1"), "SIGUSR1");
  });

  it("holds output back while paused and ends only after it was delivered", () => {
    const rt = new FakeRuntime();
    const p = new Recorder();
    const t = spawnProcess(rt, p, "cat");
    t.pauseProducing();
    rt.child.handler!.onOutput(1, bytes("late"));
    rt.child.handler!.onExit(0, null);
    assert.deepEqual(p.events, ["made", "exited"]);
    t.resumeProducing();
    assert.deepEqual(p.events, ["made", "exited", "out", "lost1", "lost2", "lost0", "ended"]);
  });

  it("logs an exception from outReceived and keeps going", () => {
    const rt = new FakeRuntime();
    class Bad extends Recorder {
      override outReceived(data: Uint8Array): void {
        super.outReceived(data);
        throw new Error("bad");
      }
    }
    const p = new Bad();
    const events: unknown[] = [];
    spawnProcess(rt, p, "cat", ["cat"], {
      logger: new (class {
        failure(...args: unknown[]): void {
          events.push(args);
        }
      })() as never,
    });
    rt.child.handler!.onOutput(1, bytes("x"));
    rt.child.handler!.onExit(0, null);
    assert.equal(events.length, 1);
    assert.deepEqual(p.events.slice(-1), ["ended"]);
  });

  it("refuses usePTY, uid/gid and non-default childFDs with NotSupportedError", () => {
    const rt = new FakeRuntime();
    assert.throws(
      () => spawnProcess(rt, new Recorder(), "sh", ["sh"], { usePTY: true }),
      NotSupportedError,
    );
    assert.throws(
      () => spawnProcess(rt, new Recorder(), "sh", ["sh"], { uid: 0 }),
      NotSupportedError,
    );
    assert.throws(
      () =>
        spawnProcess(rt, new Recorder(), "sh", ["sh"], {
          childFDs: { 0: "w", 1: "r", 2: "r", 3: "r" },
        }),
      (e: Error) => e instanceof NotSupportedError && /childFDs/.test(e.message),
    );
    spawnProcess(rt, new Recorder(), "sh", ["sh"], { childFDs: { 0: "w", 1: "r", 2: "r" } });
    assert.equal(rt.spawned.length, 1);
    rt.child.handler!.onExit(0, null);
  });

  it("lets the runtime's spawn error through", () => {
    const rt = new MemoryNetwork();
    assert.throws(() => spawnProcess(rt, new Recorder(), "nope"), NotSupportedError);
  });
});
