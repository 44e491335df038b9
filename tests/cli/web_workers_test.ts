// `tw web --workers 2` as a program on the runtime running this test: two workers share
// the port (SO_REUSEPORT) and both answer, a killed worker comes back, and SIGTERM stops
// the supervisor and every worker with exit status 0.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { CURRENT, start } from "./_program.ts";
import { WebOptions } from "../../src/cli/plugins/web.ts";
import { freePort } from "../conch/ssh/_sshd.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pids of `pid`'s children. */
function children(pid: number): number[] {
  const run = spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" });
  return run.stdout.split("\n").filter((line) => line !== "").map(Number);
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined) {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function get(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

describe("tw web --workers", () => {
  it("takes a number of workers, and refuses ports that cannot be shared", () => {
    const parse = (args: string[]) => new WebOptions().parseOptions(args);
    assert.throws(() => parse(["--workers", "0"]), /not a number of workers/);
    assert.throws(() => parse(["--workers", "x"]), /not a number of workers/);
    assert.throws(
      () => parse(["--workers", "2", "--listen", "unix:/tmp/tw.sock"]),
      /--workers needs TCP or SSL ports; unix:\/tmp\/tw\.sock cannot be shared/,
    );
    const options = new WebOptions();
    options.parseOptions(["--workers", "3", "--listen", "tcp:8080"]);
    assert.equal(options.opts.workers, 3);
  });

  it("serves from two workers, restarts a killed one, and stops on SIGTERM", {
    timeout: 90_000,
    skip: process.platform !== "linux" ? "needs Linux (SO_REUSEPORT, /proc)" : false,
  }, async () => {
    const port = await freePort();
    const [program, transport] = start(CURRENT, [
      "web",
      "--workers",
      "2",
      "--listen",
      `tcp:${port}:interface=127.0.0.1`,
    ]);
    try {
      const supervisor = transport.pid!;
      const workers = await until("two workers", () => {
        const found = children(supervisor);
        return found.length === 2 ? found : undefined;
      });
      await until("an answer", async () => (await get(port)) === 200 ? true : undefined);
      for (let i = 0; i < 20; i++) assert.equal(await get(port), 200);
      // Both workers hold a listening socket on the port (the second may bind a moment later).
      const listening = (): string =>
        spawnSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" }).stdout ?? "";
      await until(
        "both workers listening",
        () =>
          workers.every((pid) => new RegExp(`pid=${pid}\\b`).test(listening())) ? true : undefined,
      );
      process.kill(workers[0], "SIGKILL");
      const replaced = await until("a new worker", () => {
        const found = children(supervisor);
        return found.length === 2 && !found.includes(workers[0]) ? found : undefined;
      });
      assert.ok(replaced.includes(workers[1]));
      await until(
        "an answer after the restart",
        async () => (await get(port)) === 200 ? true : undefined,
      );
      transport.signalProcess("TERM");
      await program.ended.addTimeout(60, (await import("../../mod.ts")).reactor);
      assert.equal(program.exitCode, 0, program.out + program.err);
      for (const pid of replaced) assert.equal(existsSync(`/proc/${pid}`), false, `worker ${pid}`);
      assert.equal(await get(port), undefined);
    } finally {
      if (program.exitCode === undefined) transport.signalProcess("KILL");
    }
  });
});
