import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectRuntime, selectRuntime } from "../../runtimes/_detect.ts";
import { getReactor, loadRuntime, reactor, runtime } from "../../runtimes/select.ts";
import { Reactor } from "../../src/internet/reactor.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const here = detectRuntime();

describe("detectRuntime", () => {
  it("finds Deno first, then Bun, then falls back to Node", () => {
    assert.equal(detectRuntime({ Deno: {}, Bun: {}, process: {} }), "deno");
    assert.equal(detectRuntime({ Bun: {}, process: {} }), "bun");
    assert.equal(detectRuntime({ process: {} }), "node");
    assert.equal(detectRuntime({}), "node");
  });

  it("detects the runtime running this test", () => {
    const g = globalThis as Record<string, unknown>;
    const expected = g.Deno ? "deno" : g.Bun ? "bun" : "node";
    assert.equal(here, expected);
  });
});

describe("selectRuntime", () => {
  it("uses detection when neither a name nor TW_RUNTIME is given", () => {
    assert.equal(selectRuntime(undefined, { globals: { Bun: {} }, env: undefined }), "bun");
    assert.equal(selectRuntime(undefined, { globals: {}, env: "" }), "node");
  });

  it("lets TW_RUNTIME=node force the Node adapter on Deno and Bun", () => {
    assert.equal(selectRuntime(undefined, { globals: { Deno: {} }, env: "node" }), "node");
    assert.equal(selectRuntime(undefined, { globals: { Bun: {} }, env: " NODE " }), "node");
  });

  it("prefers an explicit name over TW_RUNTIME", () => {
    assert.equal(selectRuntime("bun", { globals: { Bun: {} }, env: "node" }), "bun");
  });

  it("refuses an adapter for another runtime and an unknown name", () => {
    assert.throws(() => selectRuntime("deno", { globals: {}, env: undefined }), /runs on node/);
    assert.throws(() => selectRuntime(undefined, { globals: { Deno: {} }, env: "bun" }), Error);
    assert.throws(() => selectRuntime(undefined, { globals: {}, env: "java" }), RangeError);
    assert.throws(() => selectRuntime("java", { globals: {} }), RangeError);
  });

  it("reads TW_RUNTIME from process.env on Node and Bun", () => {
    const globals = { Bun: {}, process: { env: { TW_RUNTIME: "node" } } };
    assert.equal(selectRuntime(undefined, { globals }), "node");
  });

  it("reads TW_RUNTIME on Deno only when env access is granted, never prompting", () => {
    let prompted = false;
    const fakeDeno = (state: string) => ({
      Deno: {
        env: {
          get: (name: string) => {
            if (state !== "granted") prompted = true;
            return name === "TW_RUNTIME" ? "node" : undefined;
          },
        },
        permissions: { querySync: () => ({ state }) },
      },
    });
    assert.equal(selectRuntime(undefined, { globals: fakeDeno("granted") }), "node");
    assert.equal(selectRuntime(undefined, { globals: fakeDeno("prompt") }), "deno");
    assert.equal(prompted, false);
  });
});

describe("runtimes/select.ts", () => {
  it("exports a Reactor over the detected adapter and installs it", () => {
    assert.ok(reactor instanceof Reactor);
    assert.equal(reactor.runtime, runtime);
    assert.equal(getReactor(), reactor);
    assert.equal(runtime.name, selectRuntime());
  });

  it("loadRuntime() loads the adapter of this runtime and rejects unknown names", async () => {
    const loaded = await loadRuntime(here);
    assert.equal(loaded.name, here);
    await assert.rejects(loadRuntime("java"), RangeError);
  });
});

/** Runs `source` as a module on this runtime; resolves with its stdout and exit code. */
function runChild(
  source: string,
  env: Record<string, string> = {},
  limitMs = 15000,
): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), "tw-select-"));
  const file = join(dir, "child.ts");
  writeFileSync(file, source);
  const exe = process.execPath;
  const args = here === "deno" ? ["run", "-A", "--no-check", file] : [file];
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "", err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Child still running after ${limitMs} ms: ${err}`));
    }, limitMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, out, err, ms: Date.now() - start });
    });
  });
}

const selectURL = new URL("../../runtimes/select.ts", import.meta.url).href;

describe("the selected reactor in a real process", () => {
  it("lets the process exit once no call is pending (a cancelled call holds nothing)", async () => {
    const { code, out, err, ms } = await runChild(`
      const { reactor } = await import(${JSON.stringify(selectURL)});
      reactor.callLater(30, () => {}).cancel();
      reactor.callLater(0.02, () => console.log("ran on " + reactor.runtime.name));
    `);
    assert.equal(code, 0, err);
    assert.equal(out.trim(), `ran on ${here}`);
    assert.ok(ms < 10000, `took ${ms} ms`);
  });

  it("run() keeps the process alive until stop(), then the process exits", async () => {
    const { code, out, err } = await runChild(`
      const { reactor } = await import(${JSON.stringify(selectURL)});
      reactor.callWhenRunning(() => console.log("running " + reactor.running));
      reactor.callLater(0.05, () => reactor.stop());
      await reactor.run();
      console.log("stopped " + reactor.running);
    `);
    assert.equal(code, 0, err);
    assert.deepEqual(out.trim().split("\n"), ["running true", "stopped false"]);
  });

  it("SIGTERM stops a running reactor gracefully", async () => {
    const { code, out, err } = await runChild(`
      const { reactor } = await import(${JSON.stringify(selectURL)});
      reactor.addSystemEventTrigger("after", "shutdown", () => console.log("shut down"));
      reactor.callWhenRunning(() => process.kill(process.pid, "SIGTERM"));
      await reactor.run();
      console.log("done");
    `);
    assert.equal(code, 0, err);
    assert.deepEqual(out.trim().split("\n"), ["shut down", "done"]);
  });

  it("TW_RUNTIME=node selects the Node adapter", async () => {
    const { code, out, err } = await runChild(
      `
      const { runtime } = await import(${JSON.stringify(selectURL)});
      console.log(runtime.name);
    `,
      { TW_RUNTIME: "node" },
    );
    assert.equal(code, 0, err);
    assert.equal(out.trim(), "node");
  });
});
