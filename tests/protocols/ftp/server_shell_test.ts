// FTPShell, FTPAnonymousShell, the realms, toSegments, and the streaming file reader and
// writer: a shell never leaves its root (.., NUL, symbolic links out), the anonymous shell
// changes nothing, a download reads only as fast as it is taken and an upload pauses the
// data connection while the disk is behind.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ANONYMOUS } from "../../../src/cred/mod.ts";
import type { IPushProducer } from "../../../src/internet/interfaces.ts";
import type { FileHandle } from "../../../src/internet/socket.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { FakeFile } from "./_fake_file.ts";
import {
  AnonUserDeniedError,
  BaseFTPRealm,
  FileNotFoundError,
  FTPAnonymousShell,
  FTPRealm,
  FTPShell,
  IFTPShell,
  InvalidPath,
  IsADirectoryError,
  PermissionDeniedError,
  toSegments,
} from "../../../src/protocols/ftp/mod.ts";
import { FileReader, FileWriter, TransferStopped } from "../../../src/protocols/ftp/_file_io.ts";

trackLeaks({ beforeEach, afterEach });

let root = "";
let outside = "";
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "tw-ftp-shell-"));
  outside = mkdtempSync(join(tmpdir(), "tw-ftp-outside-"));
  mkdirSync(join(root, "dir"));
  writeFileSync(join(root, "a.txt"), "abcdef");
  writeFileSync(join(outside, "secret"), "secret");
  symlinkSync(outside, join(root, "escape"));
  symlinkSync(join(outside, "secret"), join(root, "secret-link"));
  symlinkSync(join(outside, "missing"), join(root, "dangling"));
  symlinkSync("a.txt", join(root, "inner-link"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

async function rejects(
  promise: Promise<unknown>,
  type: new (...a: never[]) => Error,
): Promise<void> {
  await assert.rejects(promise, (e: unknown) => e instanceof type);
}

describe("toSegments", () => {
  it("resolves . and .. against the working folder and refuses to go above the root", () => {
    assert.deepEqual(toSegments(["a", "b"], "../c/./d//e"), ["a", "c", "d", "e"]);
    assert.deepEqual(toSegments(["a"], "/x/y"), ["x", "y"]);
    assert.deepEqual(toSegments(["a"], ""), ["a"]);
    assert.deepEqual(toSegments([], "a\\..\\b"), ["a\\..\\b"]); // a backslash is no separator
    assert.deepEqual(toSegments([], "%2e%2e%2fetc"), ["%2e%2e%2fetc"]); // nothing is decoded
    assert.throws(() => toSegments([], ".."), InvalidPath);
    assert.throws(() => toSegments(["a"], "../.."), InvalidPath);
    assert.throws(() => toSegments([], "/a/../../etc"), InvalidPath);
    assert.throws(() => toSegments([], "a\0b"), InvalidPath);
  });
});

describe("FTPShell and FTPAnonymousShell", () => {
  it("lists sorted entries; a link inside shows its target, one outside shows as a link", async () => {
    const shell = new FTPShell(root);
    const list = await shell.list([]);
    assert.deepEqual(list.map(([n]) => n), [
      "a.txt",
      "dangling",
      "dir",
      "escape",
      "inner-link",
      "secret-link",
    ]);
    const byName = new Map(list);
    assert.equal(byName.get("inner-link")!.size, 6);
    assert.equal(byName.get("inner-link")!.symlink, false);
    assert.equal(byName.get("escape")!.symlink, true);
    assert.equal(byName.get("secret-link")!.symlink, true);
    assert.equal(byName.get("dir")!.directory, true);
  });

  it("refuses every path through a link that leads out of the root", async () => {
    const shell = new FTPShell(root);
    await rejects(shell.access(["escape"]), PermissionDeniedError);
    await rejects(shell.list(["escape"]), PermissionDeniedError);
    await rejects(shell.stat(["secret-link"]), PermissionDeniedError);
    await rejects(shell.openForReading(["secret-link"]), PermissionDeniedError);
    await rejects(shell.openForReading(["escape", "secret"]), PermissionDeniedError);
    await rejects(shell.openForWriting(["escape", "new"]), PermissionDeniedError);
    await rejects(shell.openForWriting(["dangling"]), PermissionDeniedError);
    await rejects(shell.makeDirectory(["escape", "d"]), PermissionDeniedError);
    await rejects(shell.chmod(["secret-link"], 0o777), PermissionDeniedError);
    await rejects(shell.rename(["a.txt"], ["escape", "a.txt"]), PermissionDeniedError);
    await rejects(shell.stat(["a\0b"]), PermissionDeniedError);
    await rejects(shell.stat([".."]), PermissionDeniedError);
    assert.equal(readFileSync(join(outside, "secret"), "utf8"), "secret");
    // A link inside works; removing a link removes only the link.
    assert.equal((await shell.stat(["inner-link"])).size, 6);
    await shell.removeFile(["secret-link"]);
    assert.equal(readFileSync(join(outside, "secret"), "utf8"), "secret");
  });

  it("maps file-system errors to Twisted's FTP errors", async () => {
    const shell = new FTPShell(root);
    await rejects(shell.stat(["nope"]), FileNotFoundError);
    await rejects(shell.openForReading(["dir"]), IsADirectoryError);
    await rejects(shell.openForWriting(["dir"]), IsADirectoryError);
    await rejects(shell.openForReading(["nope", "x"]), FileNotFoundError);
    await rejects(shell.removeFile(["dir"]), IsADirectoryError);
    await rejects(shell.makeDirectory([]), PermissionDeniedError);
  });

  it("the anonymous shell reads and refuses every change with AnonUserDeniedError", async () => {
    const shell = new FTPAnonymousShell(root);
    assert.equal(shell.writable, false);
    assert.equal((await shell.stat(["a.txt"])).size, 6);
    await shell.access(["dir"]);
    for (
      const attempt of [
        shell.makeDirectory(["x"]),
        shell.removeDirectory(["dir"]),
        shell.removeFile(["a.txt"]),
        shell.rename(["a.txt"], ["b.txt"]),
        shell.openForWriting(["a.txt"]),
        shell.chmod(["a.txt"], 0o600),
      ]
    ) await rejects(attempt, AnonUserDeniedError);
    assert.equal(readFileSync(join(root, "a.txt"), "utf8"), "abcdef");
  });

  it("writes from an offset, appends, and creates", async () => {
    const shell = new FTPShell(root);
    const write = async (path: string[], data: string, options = {}) => {
      const file = await shell.openForWriting(path, options);
      const consumer = await file.receive();
      consumer.write(new TextEncoder().encode(data));
      await file.close();
    };
    await write(["a.txt"], "XY", { offset: 2 });
    assert.equal(readFileSync(join(root, "a.txt"), "utf8"), "abXY");
    await write(["a.txt"], "!", { append: true });
    assert.equal(readFileSync(join(root, "a.txt"), "utf8"), "abXY!");
    await write(["dir", "new.txt"], "new");
    assert.equal(readFileSync(join(root, "dir", "new.txt"), "utf8"), "new");
    await write(["a.txt"], "z");
    assert.equal(readFileSync(join(root, "a.txt"), "utf8"), "z");
    await rejects(write(["a.txt"], "q", { offset: 10 }), PermissionDeniedError);
  });
});

describe("FTPRealm", () => {
  it("gives anonymous an FTPAnonymousShell and users an FTPShell under userHome", () => {
    const realm = new FTPRealm(root, { userHome: "/srv/homes/" });
    assert.equal(realm.getHomeDirectory("alice"), "/srv/homes/alice");
    const [iface, anon] = realm.requestAvatar(ANONYMOUS, null, IFTPShell);
    assert.equal(iface, IFTPShell);
    assert.ok(anon instanceof FTPAnonymousShell && !(anon instanceof FTPShell));
    const [, user] = realm.requestAvatar("alice", null, IFTPShell);
    assert.ok(user instanceof FTPShell);
    assert.equal((user as FTPShell).filesystemRoot, "/srv/homes/alice");
    assert.throws(() => realm.requestAvatar("../root", null, IFTPShell), TypeError);
    assert.throws(() => realm.requestAvatar("..", null, IFTPShell), TypeError);
    assert.throws(() => realm.requestAvatar("alice", null), TypeError);
    assert.equal(new FTPRealm(root).userHome, "/home");
  });

  it("BaseFTPRealm asks its subclass for the home folder", () => {
    class Fixed extends BaseFTPRealm {
      getHomeDirectory(avatarId: string): string {
        return `/fixed/${avatarId}`;
      }
    }
    const [, shell] = new Fixed(root).requestAvatar("bob", null, IFTPShell);
    assert.equal((shell as FTPShell).filesystemRoot, "/fixed/bob");
  });
});

/** A file whose reads and writes wait until the test lets them finish. */
class SlowFile extends FakeFile {
  reads: { length: number; position: number; finish: (count: number) => void }[] = [];
  writes: { data: Uint8Array; position: number; finish: () => void }[] = [];
  read(buffer: Uint8Array, position: number): Promise<number> {
    return new Promise((resolve) => {
      this.reads.push({
        length: buffer.byteLength,
        position,
        finish: (count) => {
          buffer.fill(7, 0, count);
          resolve(count);
        },
      });
    });
  }
  write(data: Uint8Array, position: number): Promise<number> {
    return new Promise((resolve) => {
      this.writes.push({ data, position, finish: () => resolve(data.byteLength) });
    });
  }
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("streaming file transfers", () => {
  it("FileReader reads one chunk ahead (while paused too), no more, and stops with the consumer", async () => {
    const file = new SlowFile();
    const reader = new FileReader(file as FileHandle, 100);
    let producer: IPushProducer | null = null;
    let written = 0;
    const sent = reader.send({
      registerProducer: (p) => {
        producer = p as IPushProducer;
      },
      unregisterProducer: () => {
        producer = null;
      },
      write: (data) => {
        written += data.byteLength;
      },
    });
    const MIB = 1024 * 1024;
    assert.equal(file.reads.length, 1);
    assert.equal(file.reads[0].position, 100);
    file.reads[0].finish(MIB);
    await turn();
    assert.equal(written, MIB);
    assert.equal(file.reads.length, 2); // the next chunk is read at once
    assert.equal(file.reads[1].position, 100 + MIB);
    producer!.pauseProducing();
    file.reads[1].finish(MIB);
    await turn();
    assert.equal(written, MIB); // held while paused
    assert.equal(file.reads.length, 2); // and nothing more is read
    producer!.resumeProducing();
    assert.equal(written, 2 * MIB);
    assert.equal(file.reads.length, 3);
    producer!.stopProducing();
    file.reads[2].finish(10);
    await assert.rejects(sent, TransferStopped);
    assert.equal(file.closed, true);
  });

  it("FileReader ends at a read of 0 and unregisters", async () => {
    const file = new SlowFile();
    const reader = new FileReader(file as FileHandle);
    const events: string[] = [];
    const sent = reader.send({
      registerProducer: () => events.push("register"),
      unregisterProducer: () => events.push("unregister"),
      write: (data) => events.push(`write ${data.byteLength}`),
    });
    file.reads[0].finish(5);
    await turn();
    file.reads[1].finish(0);
    await sent;
    assert.deepEqual(events, ["register", "write 5", "unregister"]);
    assert.equal(file.closed, true);
  });

  it("FileWriter writes in batches of 1 MiB, two at once, pausing the producer past 8 MiB", async () => {
    const file = new SlowFile();
    const writer = new FileWriter(file, 10);
    const consumer = await writer.receive();
    const states: string[] = [];
    consumer.registerProducer({
      pauseProducing: () => states.push("pause"),
      resumeProducing: () => states.push("resume"),
      stopProducing: () => states.push("stop"),
    }, true);
    const chunk = new Uint8Array(256 * 1024).fill(1);
    for (let i = 0; i < 3; i++) consumer.write(chunk);
    assert.equal(file.writes.length, 0); // under a batch: waiting for more
    consumer.write(chunk);
    assert.equal(file.writes.length, 1);
    assert.equal(file.writes[0].position, 10);
    assert.equal(file.writes[0].data.byteLength, 1024 * 1024);
    for (let i = 0; i < 4; i++) consumer.write(chunk);
    assert.equal(file.writes.length, 2);
    assert.equal(file.writes[1].position, 10 + 1024 * 1024);
    // Two writes in flight: the rest waits, and past 8 MiB the producer is paused.
    for (let i = 0; i < 33; i++) consumer.write(chunk);
    assert.equal(file.writes.length, 2);
    assert.deepEqual(states, ["pause"]);
    for (let n = 0; n < 10; n++) {
      for (const w of file.writes.splice(0)) w.finish();
      await turn();
    }
    assert.deepEqual(states, ["pause", "resume"]);
    // The end: what is left goes out at close, however little.
    consumer.write(new Uint8Array(5));
    const closed = writer.close();
    await turn();
    assert.equal(file.closed, false); // waits for the write
    let total = 0;
    for (let n = 0; n < 10 && !file.closed; n++) {
      for (const w of file.writes.splice(0)) {
        total = Math.max(total, w.position + w.data.byteLength);
        w.finish();
      }
      await turn();
    }
    await closed;
    assert.equal(file.closed, true);
    assert.equal(total, 10 + 41 * 256 * 1024 + 5);
  });
});
