// The file-system operations SFTP needs (runtimes/_node_fs.ts, shared by all three
// adapters): open with flags and positioned writes, fstat/ftruncate/fchmod/futimes/fsync,
// rmdir, symlink/readLink, link, utimes, truncate, chown, statfs; on the adapter this
// runtime selects and on the node adapter.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reactor } from "../../mod.ts";
import type { RuntimeFileSystem } from "../../src/internet/socket.ts";

let root = "";
before(() => {
  root = mkdtempSync(join(tmpdir(), "tw-fs-sftp-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

/** The adapter's file system, checked to have every optional operation SFTP uses. */
function full(fs: RuntimeFileSystem): Required<RuntimeFileSystem> {
  for (
    const name of [
      "open",
      "rmdir",
      "symlink",
      "readLink",
      "link",
      "utimes",
      "truncate",
      "chown",
      "statfs",
    ] as const
  ) {
    assert.equal(typeof fs[name], "function", name);
  }
  return fs as Required<RuntimeFileSystem>;
}

const adapters: [string, () => Promise<Required<RuntimeFileSystem>>][] = [
  ["the selected adapter", () => Promise.resolve(full(reactor.runtime))],
  ["the node adapter", async () => full((await import("../../runtimes/node.ts")).runtime)],
];

for (const [label, load] of adapters) {
  describe(`RuntimeFileSystem for SFTP (${label})`, () => {
    it("open() honours create, exclusive, truncate and append, and writes at positions", async () => {
      const fs = await load();
      const dir = mkdtempSync(join(root, "open-"));
      const path = join(dir, "f");
      await assert.rejects(fs.open(path, { read: true }), { code: "ENOENT" });
      const file = await fs.open(path, { read: true, write: true, create: true, mode: 0o640 });
      assert.equal(await file.write(new TextEncoder().encode("world"), 6), 5);
      assert.equal(await file.write(new TextEncoder().encode("hello "), 0), 6);
      const buffer = new Uint8Array(20);
      assert.equal(await file.read(buffer, 0), 11);
      assert.equal(new TextDecoder().decode(buffer.subarray(0, 11)), "hello world");
      const info = await file.stat();
      assert.equal(info.size, 11);
      assert.equal(info.mode! & 0o777, 0o640);
      assert.equal(typeof info.uid, "number");
      assert.equal(info.nlink, 1);
      await file.truncate(5);
      await file.chmod(0o600);
      await file.utimes(1000, 2000);
      await file.sync();
      await file.close();
      const st = statSync(path);
      assert.equal(st.size, 5);
      assert.equal(st.mode & 0o777, 0o600);
      assert.equal(Math.floor(st.mtimeMs / 1000), 2000);
      await assert.rejects(fs.open(path, { write: true, create: true, exclusive: true }), {
        code: "EEXIST",
      });
      const appender = await fs.open(path, { append: true });
      await appender.write(new TextEncoder().encode("!"), 0);
      await appender.close();
      assert.equal(readFileSync(path, "utf8"), "hello!");
      const truncating = await fs.open(path, { write: true, truncate: true });
      await truncating.close();
      assert.equal(statSync(path).size, 0);
    });

    it("rmdir, symlink, readLink, link, utimes, truncate, chown and statfs", async () => {
      const fs = await load();
      const dir = mkdtempSync(join(root, "ops-"));
      mkdirSync(join(dir, "d"));
      writeFileSync(join(dir, "d", "x"), "x");
      await assert.rejects(fs.rmdir(join(dir, "d")), { code: "ENOTEMPTY" });
      rmSync(join(dir, "d", "x"));
      await fs.rmdir(join(dir, "d"));
      assert.equal(existsSync(join(dir, "d")), false);
      writeFileSync(join(dir, "t"), "0123456789");
      await fs.symlink("t", join(dir, "l"));
      assert.equal(await fs.readLink(join(dir, "l")), "t");
      assert.equal(lstatSync(join(dir, "l")).isSymbolicLink(), true);
      await fs.link(join(dir, "t"), join(dir, "h"));
      assert.equal(statSync(join(dir, "t")).nlink, 2);
      await fs.utimes(join(dir, "t"), 3000, 4000);
      assert.equal(Math.floor(statSync(join(dir, "t")).mtimeMs / 1000), 4000);
      const info = await fs.stat(join(dir, "t"));
      assert.equal(Math.floor(info.atime!.getTime() / 1000), 3000);
      await fs.truncate(join(dir, "t"), 3);
      assert.equal(readFileSync(join(dir, "t"), "utf8"), "012");
      const st = statSync(join(dir, "t"));
      await fs.chown(join(dir, "t"), st.uid, st.gid);
      const stats = await fs.statfs(dir);
      assert.ok(stats.bsize > 0 && stats.blocks > 0 && stats.bavail <= stats.blocks);
    });
  });
}
