// Every entry point of deno.json works when imported alone, in a fresh process
// on the runtime running this test: `react` from `@tw/core/task`, a Site from
// `@tw/core/web`, a TimerService from `@tw/core/application` all find the
// reactor without `@tw/core` having been imported first.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const exports: Record<string, string> = JSON.parse(
  readFileSync(`${root}deno.json`, "utf8"),
).exports;
const fixture = `${root}tests/fixtures/import_alone.ts`;

function importAlone(key: string, file: string): Promise<{ code: number; out: string }> {
  const exe = process.execPath;
  const args = "Deno" in globalThis ? ["run", "-A", fixture, key, file] : [fixture, key, file];
  return new Promise((resolve) => {
    execFile(exe, args, { cwd: root, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe("each entry point imported alone", () => {
  it("lists the entry points to check", () => {
    assert.ok(Object.keys(exports).length >= 20);
    assert.ok("./task" in exports && "./web" in exports);
  });

  it("imports, uses its reactor defaults and exits 0", { timeout: 120_000 }, async () => {
    const entries = Object.entries(exports).filter(([key]) => key !== "./cli");
    const failures: string[] = [];
    // Four at a time: each is a whole runtime starting up.
    for (let i = 0; i < entries.length; i += 4) {
      const results = await Promise.all(
        entries.slice(i, i + 4).map(async ([key, file]) => [key, await importAlone(key, file)]),
      );
      for (const [key, result] of results as [string, { code: number; out: string }][]) {
        if (result.code !== 0 || !result.out.includes(`ok ${key}`)) {
          failures.push(`${key} (exit ${result.code}): ${result.out.slice(-400)}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });
});
