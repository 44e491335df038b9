// A session's view of its selected mailbox: compact (typed arrays, 16 octets a
// message), sharing the maildir's index with the other sessions, reading
// message files only when a command needs their contents; and, under random
// changes by two sessions, the same as a fresh session's view (property).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { reactor } from "../../../mod.ts";
import { initializeMaildir } from "../../../src/mail/pop3/mod.ts";
import { MaildirAccount, MemoryAccount } from "../../../src/mail/imap4/mod.ts";
import { SelectedState } from "../../../src/mail/imap4/_selected.ts";
import { portalFor, Session } from "./_harness.ts";

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function bigMaildir(count: number): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), "tw-imap4-view-"));
  roots.push(root);
  const dir = join(root, "alice");
  await initializeMaildir(reactor.runtime, dir);
  for (let i = 0; i < count; i++) {
    const name = `${1600000000 + i}.M${i}P1.host:2,${i % 3 === 0 ? "S" : ""}`;
    writeFileSync(join(dir, "cur", name), `Subject: m${i}\n\nbody ${i}\n`);
  }
  // Directories last changed an hour ago: a scan of them can be trusted.
  const old = new Date(Date.now() - 3600000);
  for (const sub of ["new", "cur"]) utimesSync(join(dir, sub), old, old);
  return dir;
}

/** The runtime's file system, counting directory scans and file reads. */
function countingFs(): { fs: typeof reactor.runtime; scans: () => number; reads: () => number } {
  let scans = 0;
  let reads = 0;
  const fs = Object.create(reactor.runtime);
  fs.readDir = (path: string) => {
    if (path.endsWith("/cur")) scans++;
    return reactor.runtime.readDir(path);
  };
  fs.readFile = (path: string) => {
    if (/\/(cur|new)\//.test(path)) reads++;
    return reactor.runtime.readFile(path);
  };
  return { fs, scans: () => scans, reads: () => reads };
}

describe("the selected mailbox's view", () => {
  it("holds 16 octets a message in typed arrays, whatever the mailbox", async () => {
    const dir = await bigMaildir(1000);
    const account = new MaildirAccount(reactor.runtime, dir);
    const lines: string[] = [];
    const views: SelectedState[] = [];
    for (let i = 0; i < 3; i++) {
      const view = new SelectedState((await account.select("INBOX", true))!, false, {
        untagged: (p) => lines.push(typeof p === "string" ? p : "..."),
      });
      await view.open();
      views.push(view);
    }
    for (const view of views) {
      assert.equal(view.exists, 1000);
      assert.ok(view.footprint <= 16 * 1000 + 256, `footprint ${view.footprint}`);
      assert.equal(view.seqOf(1), 1);
      assert.equal(view.seqOf(1000), 1000);
      assert.equal(view.seqOf(1001), 0);
    }
    assert.ok(lines.includes("1000 EXISTS"));
    assert.ok(lines.includes("OK [UNSEEN 2] First unseen"));
    for (const view of views) await view.close();
  });

  it("sessions on one maildir share one scan; FLAGS, UID, dates and flag searches read no message", async () => {
    const dir = await bigMaildir(300);
    const { fs, scans, reads } = countingFs();
    const account = new MaildirAccount(fs, dir);
    const sessions: Session[] = [];
    for (let i = 0; i < 5; i++) {
      const s = new Session({ portal: portalFor(account) });
      await s.login();
      assert.match(await s.command("s", "SELECT INBOX"), /\* 300 EXISTS/);
      sessions.push(s);
    }
    assert.equal(scans(), 1, "one scan for five sessions");
    const s = sessions[0];
    const f = await s.command("f", "FETCH 1:* (UID FLAGS INTERNALDATE)");
    assert.equal(f.match(/^\* \d+ FETCH/gm)?.length, 300);
    assert.match(
      f,
      /\* 4 FETCH \(UID 4 FLAGS \(\\Seen\) INTERNALDATE "13-Sep-2020 12:26:43 \+0000"\)/,
    );
    assert.match(
      await s.command("g", "UID SEARCH SEEN 1:10 SINCE 1-Jan-2020"),
      /SEARCH 1 4 7 10\r/,
    );
    assert.equal(reads(), 0, "no message read");
    assert.match(await s.command("h", "FETCH 7 BODY.PEEK[]"), /body 6/);
    assert.equal(reads(), 1);
    // A flag set by one session reaches the others' views; still no message read.
    await sessions[1].command("t", "STORE 2 +FLAGS.SILENT (\\Flagged)");
    for (const other of [sessions[0], sessions[2]]) {
      assert.match(await other.command("n", "NOOP"), /\* 2 FETCH \(FLAGS \(\\Flagged\)\)/);
    }
    assert.equal(reads(), 1);
    for (const x of sessions) x.close();
  });

  for (const kind of ["MemoryAccount", "MaildirAccount"]) {
    it(`after random changes by two sessions, a session's view is a fresh session's (${kind}, property)`, async () => {
      const op = fc.oneof(
        fc.record({ kind: fc.constant("append" as const), who: fc.nat(1) }),
        fc.record({
          kind: fc.constant("store" as const),
          who: fc.nat(1),
          uid: fc.integer({ min: 1, max: 12 }),
          mode: fc.constantFrom("+", "-", ""),
          flags: fc.subarray(["\\Seen", "\\Deleted", "\\Flagged", "$A", "b"]),
        }),
        fc.record({ kind: fc.constant("expunge" as const), who: fc.nat(1) }),
        fc.record({ kind: fc.constant("noop" as const), who: fc.nat(1) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
          const account = kind === "MemoryAccount"
            ? new MemoryAccount("alice")
            : new MaildirAccount(reactor.runtime, await bigMaildir(0));
          const two = [0, 1].map(() => new Session({ portal: portalFor(account) }));
          for (const s of two) {
            await s.login();
            await s.command("s", "SELECT INBOX");
          }
          let n = 0;
          for (const o of ops) {
            const s = two[o.who];
            const tag = `t${n++}`;
            let r: string;
            if (o.kind === "append") {
              r = await s.command(tag, `APPEND INBOX (\\Seen) {10+}\r\nSubject: ${n % 10}`);
            } else if (o.kind === "store") {
              const flags = o.flags.join(" ");
              r = await s.command(tag, `UID STORE ${o.uid} ${o.mode}FLAGS.SILENT (${flags})`);
            } else if (o.kind === "expunge") r = await s.command(tag, "EXPUNGE");
            else r = await s.command(tag, "NOOP");
            assert.match(r, new RegExp(`${tag} OK`));
          }
          const view = async (s: Session): Promise<string> => {
            await s.command("z0", "NOOP");
            const r = await s.command("z1", "FETCH 1:* (UID FLAGS)");
            return [...r.matchAll(/\(UID (\d+) FLAGS \(([^)]*)\)\)/g)]
              .map((m) => `${m[1]}:${m[2].split(" ").filter((f) => f !== "\\Recent").sort()}`)
              .join(" ");
          };
          const fresh = new Session({ portal: portalFor(account) });
          await fresh.login();
          await fresh.command("s", "SELECT INBOX");
          const want = await view(fresh);
          for (const s of two) assert.equal(await view(s), want);
          for (const s of [...two, fresh]) s.close();
        }),
        { numRuns: kind === "MemoryAccount" ? 40 : 15 },
      );
    });
  }
});
