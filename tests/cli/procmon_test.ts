import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProcessMonitor } from "../../src/cli/_procmon.ts";
import { Clock, trackLeaks } from "../../src/testing/mod.ts";
import { ProcessDone, ProcessTerminated } from "../../src/internet/error.ts";
import { Failure } from "../../src/internet/failure.ts";
import type { ProcessProtocol } from "../../src/internet/protocol.ts";
import type { IProcessTransport } from "../../src/internet/protocol.ts";
import { type LogEvent, Logger, LogPublisher } from "../../src/logger/mod.ts";
import { reactor } from "../../mod.ts";

trackLeaks({ beforeEach, afterEach });

const enc = new TextEncoder();

/** A child the fake reactor "spawned": records signals; the test ends it. */
class FakeChild {
  signals: string[] = [];
  readonly protocol: ProcessProtocol;
  readonly executable: string;
  readonly args: string[];
  readonly options: unknown;
  constructor(protocol: ProcessProtocol, executable: string, args: string[], options: unknown) {
    this.protocol = protocol;
    this.executable = executable;
    this.args = args;
    this.options = options;
  }
  get transport(): IProcessTransport {
    return {
      pid: 4242,
      signalProcess: (signal: string) => {
        this.signals.push(signal);
      },
    } as unknown as IProcessTransport;
  }
  end(code = 0): void {
    const reason = code === 0 ? new ProcessDone() : new ProcessTerminated(code, null);
    this.protocol.processExited(new Failure(reason));
    this.protocol.processEnded(new Failure(reason));
  }
}

/** Clock plus a spawnProcess that records children. */
class FakeReactor extends Clock {
  children: FakeChild[] = [];
  failSpawn = false;
  spawnProcess(
    protocol: ProcessProtocol,
    executable: string,
    args: string[] = [],
    options: unknown = {},
  ): IProcessTransport {
    if (this.failSpawn) throw new Error("spawn failed");
    const child = new FakeChild(protocol, executable, args, options);
    this.children.push(child);
    const transport = child.transport;
    protocol.makeConnection(transport);
    return transport;
  }
}

function monitor(options: Partial<ConstructorParameters<typeof ProcessMonitor>[0]> = {}): {
  fake: FakeReactor;
  pm: ProcessMonitor;
  events: LogEvent[];
} {
  const fake = new FakeReactor();
  const events: LogEvent[] = [];
  const publisher = new LogPublisher((event: LogEvent) => events.push(event));
  const pm = new ProcessMonitor({
    reactor: fake,
    logger: new Logger("procmon", publisher),
    ...options,
  });
  return { fake, pm, events };
}

describe("ProcessMonitor", () => {
  it("starts its processes when the service starts, with env and cwd", () => {
    const { fake, pm } = monitor();
    pm.addProcess("web", ["node", "server.js"], { env: { A: "1" }, cwd: "/srv" });
    assert.equal(fake.children.length, 0);
    pm.startService();
    assert.equal(fake.children.length, 1);
    const [child] = fake.children;
    assert.equal(child.executable, "node");
    assert.deepEqual(child.args, ["node", "server.js"]);
    assert.deepEqual(child.options, { env: { A: "1" }, path: "/srv" });
    assert.ok(pm.transportOf("web") !== null);
  });

  it("starts a process added while running at once", () => {
    const { fake, pm } = monitor();
    pm.startService();
    pm.addProcess("late", ["true"]);
    assert.equal(fake.children.length, 1);
  });

  it("refuses duplicate names and empty commands", () => {
    const { pm } = monitor();
    pm.addProcess("a", ["true"]);
    assert.throws(() => pm.addProcess("a", ["true"]), RangeError);
    assert.throws(() => pm.addProcess("b", []), RangeError);
  });

  it("restarts a quickly dying process after a delay that doubles up to the maximum", () => {
    const { fake, pm } = monitor({ minRestartDelay: 1, maxRestartDelay: 3, threshold: 10 });
    pm.addProcess("flappy", ["false"]);
    pm.startService();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      fake.children.at(-1)!.end(1);
      const before = fake.children.length;
      let waited = 0;
      while (fake.children.length === before) {
        fake.advance(0.5);
        waited += 0.5;
        assert.ok(waited <= 10, "restarted within 10 s");
      }
      waits.push(waited);
    }
    assert.deepEqual(waits, [1, 2, 3, 3]);
  });

  it("restarts at once a process that lived past the threshold, resetting the delay", () => {
    const { fake, pm } = monitor({ minRestartDelay: 1, threshold: 5 });
    pm.addProcess("steady", ["sleep"]);
    pm.startService();
    fake.children[0].end(1); // quick: waits 1, next delay 2
    fake.advance(1);
    assert.equal(fake.children.length, 2);
    fake.advance(10);
    fake.children[1].end(0); // lived 10 s: at once
    fake.advance(0);
    assert.equal(fake.children.length, 3);
    fake.children[2].end(1); // quick again: the delay was reset to 1
    fake.advance(0.9);
    assert.equal(fake.children.length, 3);
    fake.advance(0.1);
    assert.equal(fake.children.length, 4);
  });

  it("logs each line of output with the process name, across chunks", () => {
    const { fake, pm, events } = monitor();
    pm.addProcess("talker", ["x"]);
    pm.startService();
    const { protocol } = fake.children[0];
    protocol.childDataReceived(1, enc.encode("first li"));
    protocol.childDataReceived(1, enc.encode("ne\nsecond\r\nthi"));
    protocol.childDataReceived(2, enc.encode("oops\n"));
    fake.children[0].end(0);
    const lines = events.filter((e) => e.log_format === "[{name}] {line}")
      .map((e) => `${e.stream} ${e.name} ${e.line}`);
    assert.deepEqual(lines, [
      "stdout talker first line",
      "stdout talker second",
      "stderr talker oops",
      "stdout talker thi",
    ]);
  });

  it("stops with SIGTERM, then SIGKILL after killTime; stopService waits for the end", () => {
    const { fake, pm } = monitor({ killTime: 5 });
    pm.addProcess("stubborn", ["x"]);
    pm.startService();
    let stopped = false;
    pm.stopService().addCallback(() => {
      stopped = true;
    });
    const [child] = fake.children;
    assert.deepEqual(child.signals, ["TERM"]);
    fake.advance(4.9);
    assert.deepEqual(child.signals, ["TERM"]);
    fake.advance(0.1);
    assert.deepEqual(child.signals, ["TERM", "KILL"]);
    assert.equal(stopped, false);
    child.end(-1);
    assert.equal(stopped, true);
    fake.advance(100);
    assert.equal(fake.children.length, 1, "no restart after stopping");
  });

  it("does not send SIGKILL to a process that ended after SIGTERM", () => {
    const { fake, pm } = monitor({ killTime: 5 });
    pm.addProcess("polite", ["x"]);
    pm.startService();
    const done: string[] = [];
    pm.stopProcess("polite").addCallback(() => done.push("stopped"));
    fake.children[0].end(0);
    fake.advance(10);
    assert.deepEqual(fake.children[0].signals, ["TERM"]);
    assert.deepEqual(done, ["stopped"]);
    assert.equal(fake.getDelayedCalls().length, 0);
  });

  it("retries a program that cannot be spawned with backoff", () => {
    const { fake, pm, events } = monitor({ minRestartDelay: 1 });
    fake.failSpawn = true;
    pm.addProcess("missing", ["no-such-program"]);
    pm.startService();
    assert.ok(events.some((e) => e.log_format === "Cannot start process {name}"));
    fake.failSpawn = false;
    fake.advance(1);
    assert.equal(fake.children.length, 1);
  });

  it("removeProcess stops and forgets a process", () => {
    const { fake, pm } = monitor();
    pm.addProcess("gone", ["x"]);
    pm.startService();
    pm.removeProcess("gone");
    fake.children[0].end(0);
    fake.advance(10);
    assert.deepEqual(pm.processes, []);
    assert.equal(fake.children.length, 1);
  });

  it("runs and restarts a real process on the real reactor", { timeout: 20_000 }, async () => {
    const events: LogEvent[] = [];
    const publisher = new LogPublisher((event: LogEvent) => events.push(event));
    const pm = new ProcessMonitor({
      reactor,
      minRestartDelay: 0.05,
      logger: new Logger("procmon", publisher),
    });
    pm.addProcess("echo", ["sh", "-c", "echo alive"]);
    pm.startService();
    try {
      for (let i = 0; i < 400; i++) {
        const alive = events.filter((e) => e.line === "alive").length;
        if (alive >= 2) break;
        await new Promise<void>((resolve) => reactor.callLater(0.025, () => resolve()));
      }
      assert.ok(events.filter((e) => e.line === "alive").length >= 2, "ran twice");
    } finally {
      await pm.stopService();
    }
  });
});
