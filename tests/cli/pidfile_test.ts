import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { PidFile, PidFileInUseError, type PidFileRuntime } from "../../src/cli/_pidfile.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

/** An in-memory file system with a process table. */
function fakeRuntime(pid: number, alive: number[] = []): PidFileRuntime & {
  files: Map<string, string>;
} {
  const files = new Map<string, string>();
  const notFound = (path: string): Error =>
    Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
      code: "ENOENT",
    });
  return {
    files,
    readFile(path: string): Promise<Uint8Array> {
      const text = files.get(path);
      if (text === undefined) return Promise.reject(notFound(path));
      return Promise.resolve(new TextEncoder().encode(text));
    },
    writeFile(path: string, data: Uint8Array | string): Promise<void> {
      files.set(path, typeof data === "string" ? data : new TextDecoder().decode(data));
      return Promise.resolve();
    },
    remove(path: string): Promise<void> {
      if (!files.delete(path)) return Promise.reject(notFound(path));
      return Promise.resolve();
    },
    pid: () => pid,
    processAlive: (other: number) => other === pid || alive.includes(other),
  };
}

describe("PidFile", () => {
  it("writes this process's pid and removes the file on release", async () => {
    const runtime = fakeRuntime(100);
    const pidfile = new PidFile("/run/tw.pid", runtime);
    assert.equal(await pidfile.acquire(), null);
    assert.equal(runtime.files.get("/run/tw.pid"), "100\n");
    await pidfile.release();
    assert.equal(runtime.files.has("/run/tw.pid"), false);
  });

  it("refuses a file owned by a live process and leaves it alone", async () => {
    const runtime = fakeRuntime(100, [77]);
    runtime.files.set("/run/tw.pid", "77\n");
    const pidfile = new PidFile("/run/tw.pid", runtime);
    await assert.rejects(() => pidfile.acquire(), (error: unknown) => {
      assert.ok(error instanceof PidFileInUseError);
      assert.equal(error.pid, 77);
      assert.equal(
        error.message,
        "Cannot write pid file /run/tw.pid: process 77 is running and owns it",
      );
      return true;
    });
    await pidfile.release();
    assert.equal(runtime.files.get("/run/tw.pid"), "77\n");
  });

  it("replaces a stale file (a dead pid, or no number in it)", async () => {
    for (const stale of ["55\n", "garbage", ""]) {
      const runtime = fakeRuntime(100);
      runtime.files.set("/run/tw.pid", stale);
      const replaced = await new PidFile("/run/tw.pid", runtime).acquire();
      assert.equal(replaced, stale === "55\n" ? 55 : null);
      assert.equal(runtime.files.get("/run/tw.pid"), "100\n");
    }
  });

  it("does not remove a file another process has since taken over", async () => {
    const runtime = fakeRuntime(100);
    const pidfile = new PidFile("/run/tw.pid", runtime);
    await pidfile.acquire();
    runtime.files.set("/run/tw.pid", "200\n");
    await pidfile.release();
    assert.equal(runtime.files.get("/run/tw.pid"), "200\n");
  });

  it("releases quietly when the file is already gone, and only once", async () => {
    const runtime = fakeRuntime(100);
    const pidfile = new PidFile("/run/tw.pid", runtime);
    await pidfile.acquire();
    runtime.files.delete("/run/tw.pid");
    await pidfile.release();
    await pidfile.release();
    assert.equal(runtime.files.size, 0);
  });

  it("passes on read errors other than a missing file", async () => {
    const runtime = fakeRuntime(100);
    runtime.readFile = () => Promise.reject(Object.assign(new Error("EACCES"), { code: "EACCES" }));
    await assert.rejects(() => new PidFile("/run/tw.pid", runtime).acquire(), /EACCES/);
  });
});
