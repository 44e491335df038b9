// The file-system part of the runtime adapters (runtimes/_node_fs.ts, shared by all three):
// rename, mkdir, and writeFile's exclusive and sync options, on the adapter this runtime
// selects and on the node adapter (which every runtime can load).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reactor } from "../../mod.ts";
import type { RuntimeFileSystem } from "../../src/internet/socket.ts";

let root = "";
before(() => {
  root = mkdtempSync(join(tmpdir(), "tw-fs-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

const adapters: [string, () => Promise<RuntimeFileSystem>][] = [
  ["the selected adapter", () => Promise.resolve(reactor.runtime)],
  ["the node adapter", async () => (await import("../../runtimes/node.ts")).runtime],
];

for (const [label, load] of adapters) {
  describe(`RuntimeFileSystem (${label})`, () => {
    it("rename() moves a file and replaces an existing target", async () => {
      const fs = await load();
      const dir = mkdtempSync(join(root, "rename-"));
      writeFileSync(join(dir, "a"), "A");
      writeFileSync(join(dir, "b"), "B");
      await fs.rename(join(dir, "a"), join(dir, "b"));
      assert.equal(existsSync(join(dir, "a")), false);
      assert.equal(readFileSync(join(dir, "b"), "utf8"), "A");
      await assert.rejects(fs.rename(join(dir, "a"), join(dir, "c")), { code: "ENOENT" });
    });

    it("mkdir() creates a directory with a mode, and parents when recursive", async () => {
      const fs = await load();
      const dir = mkdtempSync(join(root, "mkdir-"));
      await fs.mkdir(join(dir, "one"), { mode: 0o700 });
      assert.equal(statSync(join(dir, "one")).mode & 0o777, 0o700);
      await assert.rejects(fs.mkdir(join(dir, "one")), { code: "EEXIST" });
      await fs.mkdir(join(dir, "x", "y", "z"), { recursive: true });
      await fs.mkdir(join(dir, "x", "y", "z"), { recursive: true });
      assert.ok(statSync(join(dir, "x", "y", "z")).isDirectory());
    });

    it("writeFile() with exclusive refuses an existing file, and with sync writes it", async () => {
      const fs = await load();
      const dir = mkdtempSync(join(root, "write-"));
      const file = join(dir, "f");
      await fs.writeFile(file, new TextEncoder().encode("one"), {
        exclusive: true,
        sync: true,
        mode: 0o600,
      });
      assert.equal(readFileSync(file, "utf8"), "one");
      assert.equal(statSync(file).mode & 0o777, 0o600);
      await assert.rejects(fs.writeFile(file, "two", { exclusive: true }), { code: "EEXIST" });
      await assert.rejects(fs.writeFile(file, "two", { exclusive: true, sync: true }), {
        code: "EEXIST",
      });
      await fs.writeFile(file, "three", { sync: true });
      assert.equal(readFileSync(file, "utf8"), "three");
    });

    it("writeFile() with sync writes big, empty and text data whole, and reports a missing directory", async () => {
      const fs = await load();
      const dir = mkdtempSync(join(root, "sync-"));
      const big = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => (i * 31) & 0xff);
      await fs.writeFile(join(dir, "big"), big.subarray(5), { sync: true, exclusive: true });
      assert.deepEqual(new Uint8Array(readFileSync(join(dir, "big"))), big.subarray(5));
      await fs.writeFile(join(dir, "empty"), new Uint8Array(0), { sync: true });
      assert.equal(statSync(join(dir, "empty")).size, 0);
      await fs.writeFile(join(dir, "text"), "héllo ✓", { sync: true });
      assert.equal(readFileSync(join(dir, "text"), "utf8"), "héllo ✓");
      await assert.rejects(fs.writeFile(join(dir, "no", "f"), "x", { sync: true }), {
        code: "ENOENT",
      });
    });
  });
}
