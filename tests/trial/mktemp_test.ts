// trial's mktemp: a fresh path in a per-test directory removed after the test.
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { reactor } from "../../mod.ts";
import { mktemp, runCleanups, trackCleanups } from "../../src/trial/mod.ts";

trackCleanups({ afterEach });

let previous: string | undefined;

describe("mktemp()", () => {
  it("gives fresh paths that do not exist, in one directory made for the test", async () => {
    const first = await mktemp();
    const second = await mktemp();
    assert.notEqual(first, second);
    assert.equal(existsSync(first), false);
    const dir = first.slice(0, first.lastIndexOf("/"));
    assert.equal(second.slice(0, second.lastIndexOf("/")), dir);
    assert.equal(existsSync(dir), true);
    await reactor.runtime.writeFile(first, "data");
    await reactor.runtime.mkdir(`${second}/nested`, { recursive: true });
    await reactor.runtime.writeFile(`${second}/nested/file`, "more");
    previous = dir;
  });

  it("removes the directory and all it held after the test", async () => {
    assert.ok(previous !== undefined);
    assert.equal(existsSync(previous), false);
    const path = await mktemp();
    assert.ok(!path.startsWith(`${previous}/`), "a new test gets a new directory");
  });

  it("gives the next test a new directory once the cleanups ran", async () => {
    const path = await mktemp();
    const dir = path.slice(0, path.lastIndexOf("/"));
    await runCleanups();
    assert.equal(existsSync(dir), false);
    const again = await mktemp();
    assert.ok(!again.startsWith(`${dir}/`));
  });
});
