// Maildir delivery's durability: the file is flushed, renamed into new/, and new/ itself is
// flushed before the delivery resolves (so before SMTP's 250); concurrent deliveries share
// one directory flush (group commit), never one that began before their rename; a failed
// flush fails the delivery and takes the file back; a file system that cannot flush
// directories is skipped.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reactor } from "../../mod.ts";
import type { RuntimeFileSystem } from "../../src/internet/socket.ts";
import { deliverToMaildir, initializeMaildir } from "../../src/mail/maildir/_maildir.ts";

const enc = new TextEncoder();
let root = "";
before(() => {
  root = mkdtempSync(join(tmpdir(), "tw-maildir-sync-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Waits (real time, at most 5 s) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error("Timed out waiting");
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
};

/**
 * The real file system, recording what happens; each directory flush waits until
 * `release()` (with an error code to make it fail).
 */
function recordingFs() {
  const real = reactor.runtime;
  const events: string[] = [];
  const held: ((code?: string) => void)[] = [];
  const fs: RuntimeFileSystem = {
    ...real,
    async writeFile(path, data, options) {
      await real.writeFile(path, data, options);
      events.push(`write ${path.split("/").at(-2)}${options?.sync ? " synced" : ""}`);
    },
    async rename(from, to) {
      await real.rename(from, to);
      events.push(`rename ${from.split("/").at(-2)} -> ${to.split("/").at(-2)}`);
    },
    async open(path, options) {
      const file = await real.open!(path, options);
      events.push(`open ${path.split("/").at(-1)}`);
      return {
        ...file,
        sync: async () => {
          events.push("flush start");
          const code = await new Promise<string | undefined>((resolve) => held.push(resolve));
          if (code !== undefined) {
            throw Object.assign(new Error(`${code}: flush failed`), { code });
          }
          await file.sync();
          events.push("flush done");
        },
        close: () => file.close(),
      };
    },
  };
  return { fs, events, held };
}

describe("maildir delivery durability", () => {
  it("flushes new/ after the rename and resolves only once that flush is done", async () => {
    const { fs, events, held } = recordingFs();
    const dir = join(root, "one");
    await initializeMaildir(reactor.runtime, dir);
    let done = false;
    const delivery = deliverToMaildir(fs, dir, enc.encode("hello\n")).then((path) => {
      done = true;
      return path;
    });
    await until(() => held.length === 1);
    await settle();
    assert.equal(done, false, "resolved before new/ was flushed");
    held.shift()!();
    const path = await delivery;
    assert.deepEqual(events, [
      "write tmp synced",
      "rename tmp -> new",
      "open new",
      "flush start",
      "flush done",
    ]);
    assert.deepEqual(readdirSync(join(dir, "new")), [path.split("/").at(-1)]);
  });

  it("covers concurrent deliveries with one flush, begun after the last of their renames", async () => {
    const { fs, events, held } = recordingFs();
    const dir = join(root, "many");
    await initializeMaildir(reactor.runtime, dir);
    const finished: number[] = [];
    const deliveries = Array.from(
      { length: 6 },
      (_, i) => deliverToMaildir(fs, dir, enc.encode(`m${i}\n`)).then(() => finished.push(i)),
    );
    await until(() => held.length === 1);
    await settle();
    assert.deepEqual(finished, []);
    const flushAt = events.indexOf("flush start");
    assert.equal(events.slice(0, flushAt).filter((e) => e.startsWith("rename")).length, 6);
    held.shift()!();
    await Promise.all(deliveries);
    assert.equal(events.filter((e) => e === "flush start").length, 1);
    assert.equal(readdirSync(join(dir, "new")).length, 6);
  });

  it("never rides a flush that began before its own rename", async () => {
    const { fs, events, held } = recordingFs();
    const dir = join(root, "late");
    await initializeMaildir(reactor.runtime, dir);
    let firstDone = false;
    let secondDone = false;
    const first = deliverToMaildir(fs, dir, enc.encode("1\n")).then(() => firstDone = true);
    await until(() => held.length === 1);
    const second = deliverToMaildir(fs, dir, enc.encode("2\n")).then(() => secondDone = true);
    await until(() => events.filter((e) => e.startsWith("rename")).length === 2);
    await settle();
    assert.equal(held.length, 1, "a second flush only once the first has ended");
    held.shift()!();
    await first;
    await until(() => held.length === 1);
    await settle();
    assert.equal(secondDone, false, "resolved on a flush that began before its rename");
    assert.equal(firstDone, true);
    held.shift()!();
    await second;
    assert.equal(events.filter((e) => e === "flush start").length, 2);
  });

  it("fails the delivery and takes the file back when the flush fails", async () => {
    const { fs, held } = recordingFs();
    const dir = join(root, "failing");
    await initializeMaildir(reactor.runtime, dir);
    const delivery = deliverToMaildir(fs, dir, enc.encode("x\n"));
    await until(() => held.length === 1);
    held.shift()!("EIO");
    await assert.rejects(delivery, { code: "EIO" });
    assert.deepEqual(readdirSync(join(dir, "new")), []);
    assert.deepEqual(readdirSync(join(dir, "tmp")), []);
  });

  it("delivers without a directory flush where there is none (EINVAL, or no open())", async () => {
    const { fs, held } = recordingFs();
    const dir = join(root, "unsupported");
    await initializeMaildir(reactor.runtime, dir);
    const delivery = deliverToMaildir(fs, dir, enc.encode("x\n"));
    await until(() => held.length === 1);
    held.shift()!("EINVAL");
    await delivery;
    assert.equal(readdirSync(join(dir, "new")).length, 1);
    const { open: _open, ...withoutOpen } = reactor.runtime;
    await deliverToMaildir(withoutOpen, dir, enc.encode("y\n"));
    assert.equal(readdirSync(join(dir, "new")).length, 2);
  });
});
