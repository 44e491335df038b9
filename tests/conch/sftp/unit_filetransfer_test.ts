// FileTransferClient <-> FileTransferServer over SFTPServerForUnixConchUser,
// in memory on a temporary folder: every request, errors as FX_ codes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  EOFError,
  FX_FAILURE,
  FX_NO_SUCH_FILE,
  FX_OP_UNSUPPORTED,
  FXF_APPEND,
  FXF_CREAT,
  FXF_EXCL,
  FXF_READ,
  FXF_TRUNC,
  FXF_WRITE,
  SFTPError,
} from "../../../src/conch/sftp/mod.ts";
import { tempDir, withSftp } from "./_helpers.ts";

let dir = "";
let cleanup = () => {};
before(() => {
  [dir, cleanup] = tempDir();
});
after(() => cleanup());

const text = (s: string) => new TextEncoder().encode(s);
const code = (c: number) => (e: unknown) => e instanceof SFTPError && e.code === c;

describe("FileTransferServer and FileTransferClient (in memory)", () => {
  it("announces version 3 and OpenSSH's extensions", async () => {
    await withSftp({ home: dir }, async (client) => {
      const version = await client.whenVersion();
      assert.equal(version.version, 3);
      assert.equal(version.extensions["posix-rename@openssh.com"], "1");
      assert.equal(version.extensions["statvfs@openssh.com"], "2");
      assert.equal(version.extensions["hardlink@openssh.com"], "1");
      assert.equal(version.extensions["fsync@openssh.com"], "1");
      assert.equal(version.extensions["limits@openssh.com"], "1");
    });
  });

  it("writes, reads, stats and appends a file; reading past the end is EOFError", async () => {
    const home = join(dir, "rw");
    mkdirSync(home);
    await withSftp({ home }, async (client) => {
      const file = await client.openFile("a.txt", FXF_WRITE | FXF_CREAT | FXF_TRUNC, {
        permissions: 0o640,
      });
      await Promise.all([file.writeChunk(0, text("hello ")), file.writeChunk(6, text("world"))]);
      assert.equal((await file.getAttrs()).size, 11);
      await file.close();
      assert.equal(readFileSync(join(home, "a.txt"), "utf8"), "hello world");
      assert.equal(statSync(join(home, "a.txt")).mode & 0o777, 0o640);

      const reader = await client.openFile("a.txt", FXF_READ);
      assert.equal(new TextDecoder().decode(await reader.readChunk(6, 100)), "world");
      await assert.rejects(reader.readChunk(11, 10), EOFError);
      await reader.close();
      // A closed handle is unknown.
      await assert.rejects(reader.readChunk(0, 1), code(FX_FAILURE));

      const appender = await client.openFile("a.txt", FXF_WRITE | FXF_APPEND);
      await appender.writeChunk(0, text("!"));
      await appender.close();
      assert.equal(readFileSync(join(home, "a.txt"), "utf8"), "hello world!");

      await assert.rejects(
        client.openFile("a.txt", FXF_WRITE | FXF_CREAT | FXF_EXCL),
        code(FX_FAILURE),
      );
      await assert.rejects(client.openFile("missing", FXF_READ), code(FX_NO_SUCH_FILE));
      const attrs = await client.getAttrs("a.txt", true);
      assert.equal(attrs.size, 12);
      assert.equal(attrs.permissions! & 0o170000, 0o100000);
    });
  });

  it("setstat and fsetstat change mode, times and size", async () => {
    const home = join(dir, "setstat");
    mkdirSync(home);
    writeFileSync(join(home, "f"), "0123456789");
    await withSftp({ home }, async (client) => {
      await client.setAttrs("f", { permissions: 0o600, atime: 1000000, mtime: 2000000 });
      let st = statSync(join(home, "f"));
      assert.equal(st.mode & 0o777, 0o600);
      assert.equal(Math.floor(st.mtimeMs / 1000), 2000000);
      assert.equal(Math.floor(st.atimeMs / 1000), 1000000);
      const file = await client.openFile("f", FXF_WRITE);
      await file.setAttrs({ size: 4, permissions: 0o644, atime: 5, mtime: 6 });
      await file.close();
      st = statSync(join(home, "f"));
      assert.equal(st.size, 4);
      assert.equal(st.mode & 0o777, 0o644);
      assert.equal(Math.floor(st.mtimeMs / 1000), 6);
      await assert.rejects(client.setAttrs("nope", { permissions: 0o600 }), code(FX_NO_SUCH_FILE));
    });
  });

  it("lists a directory with ls -l long names", async () => {
    const home = join(dir, "list");
    mkdirSync(join(home, "sub"), { recursive: true });
    writeFileSync(join(home, "one"), "1");
    symlinkSync("one", join(home, "link"));
    await withSftp({ home }, async (client) => {
      const listing = await client.openDirectory(".");
      const entries = [];
      for await (const entry of listing) entries.push(entry);
      await listing.close();
      const names = entries.map(([name]) => name).sort();
      assert.deepEqual(names, [".", "..", "link", "one", "sub"]);
      const byName = Object.fromEntries(entries.map((e) => [e[0], e]));
      assert.match(byName["one"][1], /^-rw\S{7} +1 +\d+ +\d+ +1 \w{3} [ \d]\d [\d: ]{5} one$/);
      assert.match(byName["sub"][1], /^d/);
      assert.match(byName["link"][1], /^l/);
      assert.equal(byName["one"][2].size, 1);
      await assert.rejects(client.openDirectory("one"), code(FX_FAILURE));
      await assert.rejects(client.openDirectory("none"), code(FX_NO_SUCH_FILE));
    });
  });

  it("renames, removes, makes and removes directories", async () => {
    const home = join(dir, "ops");
    mkdirSync(home);
    writeFileSync(join(home, "a"), "A");
    writeFileSync(join(home, "b"), "B");
    await withSftp({ home }, async (client) => {
      await assert.rejects(client.renameFile("a", "b"), code(FX_FAILURE));
      await client.renameFile("a", "c");
      assert.equal(readFileSync(join(home, "c"), "utf8"), "A");
      await client.extendedRequest(
        "posix-rename@openssh.com",
        new Uint8Array([0, 0, 0, 1, 99, 0, 0, 0, 1, 98]),
      );
      assert.equal(readFileSync(join(home, "b"), "utf8"), "A");
      await client.makeDirectory("d", { permissions: 0o700 });
      assert.equal(statSync(join(home, "d")).mode & 0o777, 0o700);
      await assert.rejects(client.makeDirectory("d"), code(FX_FAILURE));
      writeFileSync(join(home, "d", "x"), "");
      await assert.rejects(client.removeDirectory("d"), code(FX_FAILURE));
      await assert.rejects(client.removeFile("d"), code(FX_FAILURE));
      await client.removeFile("d/x");
      await client.removeDirectory("d");
      assert.equal(existsSync(join(home, "d")), false);
      await client.removeFile("b");
      await assert.rejects(client.removeFile("b"), code(FX_NO_SUCH_FILE));
    });
  });

  it("makes and reads symbolic links (relative targets stay relative), hard links", async () => {
    const home = join(dir, "links");
    mkdirSync(home);
    writeFileSync(join(home, "target"), "T");
    await withSftp({ home }, async (client) => {
      await client.makeLink("rel", "target");
      assert.equal(readlinkSync(join(home, "rel")), "target");
      assert.equal(await client.readLink("rel"), "target");
      assert.equal((await client.getAttrs("rel")).permissions! & 0o170000, 0o120000);
      assert.equal((await client.getAttrs("rel", true)).size, 1);
      const w = new TextEncoder();
      const pair = new Uint8Array([
        0,
        0,
        0,
        6,
        ...w.encode("target"),
        0,
        0,
        0,
        4,
        ...w.encode("hard"),
      ]);
      await client.extendedRequest("hardlink@openssh.com", pair);
      assert.equal(statSync(join(home, "hard")).nlink, 2);
      assert.equal(await client.realPath("rel"), join(home, "target"));
      assert.equal(await client.realPath("."), home);
      assert.equal(await client.realPath("nothere/../x"), join(home, "x"));
    });
  });

  it("answers statvfs@, limits@ and fsync@, and refuses unknown extensions", async () => {
    await withSftp({ home: dir }, async (client) => {
      const statvfs = await client.extendedRequest(
        "statvfs@openssh.com",
        new Uint8Array([0, 0, 0, 1, 46]),
      );
      assert.equal(statvfs.length, 88);
      const view = new DataView(statvfs.buffer);
      assert.ok(view.getBigUint64(0) > 0n); // bsize
      assert.ok(view.getBigUint64(16) > 0n); // blocks
      const limits = new DataView((await client.extendedRequest("limits@openssh.com")).buffer);
      assert.equal(limits.getBigUint64(0), BigInt(256 * 1024 + 1024));
      assert.equal(limits.getBigUint64(8), BigInt(256 * 1024));
      const file = await client.openFile("synced", FXF_WRITE | FXF_CREAT);
      const handle = file.handle;
      const data = new Uint8Array(4 + handle.length);
      new DataView(data.buffer).setUint32(0, handle.length);
      data.set(handle, 4);
      await client.extendedRequest("fsync@openssh.com", data);
      await file.close();
      await assert.rejects(client.extendedRequest("nope@example.com"), code(FX_OP_UNSUPPORTED));
    });
  });

  it("keeps many requests in flight and matches replies by id", async () => {
    const home = join(dir, "many");
    mkdirSync(home);
    const data = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) & 255);
    writeFileSync(join(home, "big"), data);
    await withSftp({ home }, async (client) => {
      const file = await client.openFile("big", FXF_READ);
      const chunks = await Promise.all(
        Array.from({ length: 32 }, (_, i) => file.readChunk(i * 32768, 32768)),
      );
      await file.close();
      const joined = new Uint8Array(data.length);
      chunks.forEach((chunk, i) => joined.set(chunk, i * 32768));
      assert.deepEqual(joined, data);
    });
  });
});

describe("SFTPServerForUnixConchUser with a root", () => {
  it("shows the root as / and refuses ../, absolute paths and links out of it", async () => {
    const outside = join(dir, "outside");
    const root = join(dir, "jail");
    mkdirSync(outside);
    mkdirSync(join(root, "in"), { recursive: true });
    writeFileSync(join(outside, "secret"), "S");
    writeFileSync(join(root, "in", "ok"), "OK");
    symlinkSync(outside, join(root, "out"));
    symlinkSync(join(outside, "secret"), join(root, "secretlink"));
    symlinkSync("../outside/new", join(root, "dangling"));
    symlinkSync("in/ok", join(root, "goodlink"));
    await withSftp({ root }, async (client) => {
      assert.equal(await client.realPath("."), "/");
      assert.equal(await client.realPath(".."), "/");
      assert.equal(await client.realPath("../../in"), "/in");
      assert.equal(await client.realPath("goodlink"), "/in/ok");
      // `..` stops at the root: these name files inside it, not the real /etc.
      await assert.rejects(client.openFile("../../../etc/passwd", FXF_READ), code(FX_NO_SUCH_FILE));
      await assert.rejects(client.openFile("/etc/passwd", FXF_READ), code(FX_NO_SUCH_FILE));
      const ok = await client.openFile("/in/../in/ok", FXF_READ);
      assert.equal(new TextDecoder().decode(await ok.readChunk(0, 10)), "OK");
      await ok.close();
      const denied = code(3);
      await assert.rejects(client.openFile("secretlink", FXF_READ), denied);
      await assert.rejects(client.openFile("out/secret", FXF_READ), denied);
      await assert.rejects(client.openFile("out/new", FXF_WRITE | FXF_CREAT), denied);
      await assert.rejects(client.openFile("dangling", FXF_WRITE | FXF_CREAT), denied);
      await assert.rejects(client.openDirectory("out"), denied);
      await assert.rejects(client.getAttrs("out/secret", true), denied);
      await assert.rejects(client.getAttrs("secretlink", true), denied);
      await assert.rejects(client.setAttrs("secretlink", { permissions: 0o777 }), denied);
      await assert.rejects(client.removeFile("out/secret"), denied);
      await assert.rejects(client.renameFile("out/secret", "stolen"), denied);
      await assert.rejects(client.makeDirectory("out/d"), denied);
      await assert.rejects(client.realPath("out"), denied);
      await assert.rejects(
        client.extendedRequest(
          "hardlink@openssh.com",
          new Uint8Array([0, 0, 0, 10, ...text("out/secret"), 0, 0, 0, 1, 104]),
        ),
        denied,
      );
      // Removing a link inside the root is allowed: the link, not its target, goes.
      await client.removeFile("secretlink");
      assert.equal(existsSync(join(outside, "secret")), true);
      // An absolute link target means a path inside the root.
      await client.makeLink("abs", "/in/ok");
      assert.equal(readlinkSync(join(root, "abs")), join(root, "in", "ok"));
      assert.equal(await client.readLink("abs"), "/in/ok");
      const viaAbs = await client.openFile("abs", FXF_READ);
      await viaAbs.close();
      // A link made to point out is refused when followed.
      await client.makeLink("escape", "../outside/secret");
      assert.equal(lstatSync(join(root, "escape")).isSymbolicLink(), true);
      await assert.rejects(client.openFile("escape", FXF_READ), denied);
      assert.equal(existsSync(join(outside, "new")), false);
      assert.equal(existsSync(join(outside, "d")), false);
    });
  });

  it("starts in home inside the root", async () => {
    const root = join(dir, "jail2");
    mkdirSync(join(root, "home", "u"), { recursive: true });
    await withSftp({ root, home: join(root, "home", "u") }, async (client) => {
      assert.equal(await client.realPath("."), "/home/u");
      const file = await client.openFile("x", FXF_WRITE | FXF_CREAT);
      await file.close();
      assert.equal(existsSync(join(root, "home", "u", "x")), true);
    });
  });
});
