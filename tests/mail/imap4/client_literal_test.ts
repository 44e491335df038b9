// IMAP4Client's literals (Twisted's messageFile): small ones stay Uint8Array; a FETCH
// literal over memoryFileLimit goes to the messageFile sink piece by piece and its
// close() value is the FETCH item's value; a 100 MiB literal streams with a bounded
// buffer; a slow sink pauses the transport; connection loss aborts the sink; a
// failing sink, messageFile or close rejects only its command; bad literal lengths
// drop the connection with IllegalServerResponse; responses cut at any points parse
// the same as whole (fast-check), with and without a sink, sync and async.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectedServerAndClient, StringTransport } from "../../../src/testing/mod.ts";
import { Failure } from "../../../src/internet/failure.ts";
import { Clock } from "../../../src/internet/task.ts";
import { reactor } from "../../../mod.ts";
import { portalFor } from "./_harness.ts";
import {
  type FetchResult,
  fileMessageSink,
  type ILiteralSink,
  IllegalServerResponse,
  IMAP4Client,
  type IMAP4ClientOptions,
  IMAP4Server,
  MemoryAccount,
} from "../../../src/mail/imap4/mod.ts";
import { concatBytes } from "../../../src/internet/_bytes.ts";

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const cat = concatBytes;
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** A client on a StringTransport after the greeting. */
function fresh(options: IMAP4ClientOptions = {}): { client: IMAP4Client; t: StringTransport } {
  const client = new IMAP4Client(options);
  const t = new StringTransport();
  client.makeConnection(t);
  client.dataReceived(enc.encode("* OK [CAPABILITY IMAP4rev1] ready\r\n"));
  return { client, t };
}

/** The tag of the last command written. */
function lastTag(t: StringTransport): string {
  const lines = latin1.decode(t.value()).trimEnd().split("\r\n");
  return lines[lines.length - 1].split(" ")[0];
}

/** A sink keeping its chunks (copies), with a log of calls. */
class Keeper implements ILiteralSink {
  chunks: Uint8Array[] = [];
  log: string[] = [];
  readonly octets: number;
  readonly id: string;
  constructor(octets: number, id = "sink") {
    this.octets = octets;
    this.id = id;
  }
  write(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
    this.log.push(`write ${chunk.byteLength}`);
  }
  close(): { id: string; bytes: Uint8Array } {
    this.log.push("close");
    return { id: this.id, bytes: cat(this.chunks) };
  }
  abort(reason: unknown): void {
    this.log.push(`abort ${(reason as Error).message}`);
  }
}

function fetchResponse(seq: number, body: Uint8Array, extra = ` FLAGS (\\Seen)`): Uint8Array {
  return cat([
    enc.encode(`* ${seq} FETCH (UID ${seq + 100} BODY[] {${body.byteLength}}\r\n`),
    body,
    enc.encode(`${extra})\r\n`),
  ]);
}

describe("IMAP4Client literals and messageFile", () => {
  it("keeps literals up to memoryFileLimit in memory, without asking messageFile", async () => {
    const asked: number[] = [];
    const { client, t } = fresh({
      memoryFileLimit: 100,
      messageFile: (n) => (asked.push(n), new Keeper(n)),
    });
    const p = client.fetchSpecific("1", { peek: true });
    const body = enc.encode("Subject: hi\r\n\r\nbody\r\n");
    client.dataReceived(fetchResponse(1, body));
    client.dataReceived(enc.encode(`${lastTag(t)} OK done\r\n`));
    const r = await p;
    assert.deepEqual(r[1]["BODY[]"], body);
    assert.ok(r[1]["BODY[]"] instanceof Uint8Array);
    assert.deepEqual(r[1].FLAGS, ["\\Seen"]);
    assert.equal(r[1].UID, "101");
    assert.deepEqual(asked, []);
  });

  it("offers only a FETCH command's literals: an unsolicited FETCH (in IDLE, during NOOP) stays in memory", async () => {
    const asked: number[] = [];
    const { client, t } = fresh({
      memoryFileLimit: 10,
      messageFile: (n) => (asked.push(n), new Keeper(n)),
    });
    const flags: Record<number, string[]>[] = [];
    client.flagsChanged = (changed) => void flags.push(changed);
    const body = enc.encode("x".repeat(40));
    const noop = client.noop();
    client.dataReceived(fetchResponse(3, body));
    client.dataReceived(enc.encode(`${lastTag(t)} OK done\r\n`));
    await noop;
    const idle = client.idle();
    const idleTag = lastTag(t);
    client.dataReceived(enc.encode("+ idling\r\n"));
    await idle;
    client.dataReceived(fetchResponse(4, body, ` FLAGS (\\Flagged)`));
    await tick();
    assert.deepEqual(asked, [], "no sink for a literal nobody fetched");
    assert.deepEqual(flags, [{ 4: ["\\Flagged"] }]);
    // A FETCH command's own big literal still goes to a sink.
    const done = client.idleDone();
    client.dataReceived(enc.encode(`${idleTag} OK idle done\r\n`));
    await done;
    const p = client.fetchSpecific("1", { peek: true });
    client.dataReceived(fetchResponse(1, body));
    client.dataReceived(enc.encode(`${lastTag(t)} OK done\r\n`));
    await p;
    assert.deepEqual(asked, [body.byteLength]);
  });

  it("streams a literal over the limit to the sink, in order; close()'s value is the item's value", async () => {
    const sinks: Keeper[] = [];
    const { client, t } = fresh({
      memoryFileLimit: 10,
      messageFile: (n) => {
        const s = new Keeper(n, `s${sinks.length}`);
        sinks.push(s);
        return s;
      },
    });
    const p = client.fetch("1:2", "(BODY.PEEK[HEADER] BODY.PEEK[TEXT])");
    const header = enc.encode("Subject: a long enough header\r\n\r\n");
    const text = enc.encode("x".repeat(50) + "\r\n");
    const small = enc.encode("tiny");
    const wire = cat([
      enc.encode(`* 1 FETCH (BODY[HEADER] {${header.byteLength}}\r\n`),
      header,
      enc.encode(` BODY[TEXT] {${text.byteLength}}\r\n`),
      text,
      enc.encode(`)\r\n* 2 FETCH (BODY[HEADER] {4}\r\ntiny BODY[TEXT] NIL)\r\n`),
      enc.encode(`${lastTag(t)} OK done\r\n`),
    ]);
    // Byte by byte: every boundary at once.
    for (let i = 0; i < wire.byteLength; i++) client.dataReceived(wire.subarray(i, i + 1));
    const r = await p;
    assert.equal(sinks.length, 2);
    assert.deepEqual(sinks.map((s) => s.octets), [header.byteLength, text.byteLength]);
    assert.deepEqual(cat(sinks[0].chunks), header);
    assert.deepEqual(cat(sinks[1].chunks), text);
    assert.equal(sinks[0].chunks.length, header.byteLength, "passed on as it came, byte by byte");
    assert.deepEqual(sinks[0].log.slice(-1), ["close"]);
    assert.deepEqual(r[1]["BODY[HEADER]"], { id: "s0", bytes: header });
    assert.deepEqual(r[1]["BODY[TEXT]"], { id: "s1", bytes: text });
    assert.deepEqual(r[2]["BODY[HEADER]"], small);
    assert.equal(r[2]["BODY[TEXT]"], null);
  });

  it("an overridden messageFile chooses per size; null keeps the literal in memory", async () => {
    const seen: number[] = [];
    class Picky extends IMAP4Client {
      override messageFile(octets: number): ILiteralSink | null {
        seen.push(octets);
        return octets > 40 ? new Keeper(octets, "big") : null;
      }
    }
    const client = new Picky({ memoryFileLimit: 20 });
    const t = new StringTransport();
    client.makeConnection(t);
    client.dataReceived(enc.encode("* OK hi\r\n"));
    const p = client.fetchSpecific("1:2", { peek: true });
    const mid = enc.encode("m".repeat(30));
    const big = enc.encode("b".repeat(60));
    client.dataReceived(cat([fetchResponse(1, mid), fetchResponse(2, big)]));
    client.dataReceived(enc.encode(`${lastTag(t)} OK done\r\n`));
    const r = await p;
    assert.deepEqual(seen, [30, 60]);
    assert.deepEqual(r[1]["BODY[]"], mid);
    assert.deepEqual(r[2]["BODY[]"], { id: "big", bytes: big });
  });

  it("streams a 100 MiB literal through a sink while holding at most one chunk", async () => {
    let octets = 0;
    let pieces = 0;
    let largest = 0;
    let sum = 0;
    const { client, t } = fresh({
      messageFile: () => ({
        write(chunk) {
          octets += chunk.byteLength;
          pieces++;
          largest = Math.max(largest, chunk.byteLength);
          for (let i = 0; i < chunk.byteLength; i += 4096) sum = (sum + chunk[i]) % 65521;
        },
        close: () => ({ octets, sum }),
        abort() {},
      }),
    });
    const p = client.fetchSpecific("1", { peek: true });
    const size = 100 * 1024 * 1024;
    const CHUNK = 64 * 1024;
    client.dataReceived(enc.encode(`* 1 FETCH (BODY[] {${size}}\r\n`));
    const chunk = new Uint8Array(CHUNK);
    let expected = 0;
    let held = 0;
    for (let at = 0; at < size; at += CHUNK) {
      chunk.fill((at / CHUNK) % 251);
      for (let i = 0; i < CHUNK; i += 4096) expected = (expected + chunk[i]) % 65521;
      client.dataReceived(chunk);
      held = Math.max(held, client.buffered);
    }
    client.dataReceived(enc.encode(` UID 7)\r\n${lastTag(t)} OK done\r\n`));
    const r = await p;
    assert.deepEqual(r[1]["BODY[]"], { octets: size, sum: expected });
    assert.equal(r[1].UID, "7");
    assert.equal(pieces, size / CHUNK, "each chunk passed on as it came");
    assert.equal(largest, CHUNK);
    assert.ok(held < 4096, `the client held ${held} octets while streaming`);
    assert.equal(client.buffered, 0);

    // The same measure does see a literal kept in memory (so the check above can fail).
    const q = client.fetchSpecific("2", { peek: true });
    client.dataReceived(enc.encode(`* 2 FETCH (BODY[] {${4 * CHUNK}}\r\n`));
    client.dataReceived(chunk);
    client.dataReceived(chunk);
    assert.ok(client.buffered >= 2 * CHUNK, `${client.buffered}`);
    client.dataReceived(chunk);
    client.dataReceived(chunk);
    client.dataReceived(enc.encode(`)\r\n${lastTag(t)} OK done\r\n`));
    assert.equal(((await q)[2]["BODY[]"] as Uint8Array).byteLength, 4 * CHUNK);
  });

  it("a sink whose write is pending pauses the transport; reading resumes once it settles", async () => {
    const writes: { chunk: Uint8Array; done: () => void }[] = [];
    const { client, t } = fresh({
      memoryFileLimit: 4,
      messageFile: () => ({
        write: (chunk) => new Promise<void>((done) => writes.push({ chunk: chunk.slice(), done })),
        close: () => "stored",
        abort() {},
      }),
    });
    const p = client.fetchSpecific("1", { peek: true });
    const body = enc.encode("0123456789abcdef");
    client.dataReceived(enc.encode(`* 1 FETCH (BODY[] {16}\r\n`));
    client.dataReceived(body.subarray(0, 6));
    assert.equal(writes.length, 1);
    assert.equal(t.producerState, "paused");
    // A transport that already had more delivers it: held, not written, until the write settles.
    client.dataReceived(cat([body.subarray(6), enc.encode(`)\r\n${lastTag(t)} OK done\r\n`)]));
    assert.equal(writes.length, 1);
    assert.ok(client.buffered > 10);
    writes[0].done();
    await tick();
    assert.equal(writes.length, 2);
    assert.equal(t.producerState, "paused", "the second write is pending too");
    writes[1].done();
    const r = await p;
    assert.equal(t.producerState, "producing");
    assert.deepEqual(cat(writes.map((w) => w.chunk)), body);
    assert.equal(r[1]["BODY[]"], "stored");
  });

  it("a connection lost mid-literal aborts the sink and rejects the command", async () => {
    const sink = new Keeper(100);
    const { client, t } = fresh({ memoryFileLimit: 10, messageFile: () => sink });
    const p = client.fetchSpecific("1", { peek: true });
    client.dataReceived(enc.encode(`* 1 FETCH (BODY[] {100}\r\n${"z".repeat(40)}`));
    client.connectionLost(new Failure(new Error("gone")));
    await assert.rejects(p, /Connection lost/);
    assert.deepEqual(sink.log, ["write 40", "abort Connection lost"]);
    client.dataReceived(enc.encode("z".repeat(60)));
    assert.deepEqual(sink.log, ["write 40", "abort Connection lost"], "nothing after the loss");
    void t;

    // Lost while a write is pending: aborted once, never closed, even when the write settles.
    let finish = (): void => {};
    const log: string[] = [];
    const second = fresh({
      memoryFileLimit: 10,
      messageFile: () => ({
        write: () => new Promise<void>((r) => (finish = r)),
        close: () => (log.push("close"), "x"),
        abort: () => void log.push("abort"),
      }),
    });
    const q = second.client.fetchSpecific("1", { peek: true });
    second.client.dataReceived(enc.encode(`* 1 FETCH (BODY[] {20}\r\n${"y".repeat(20)})\r\n`));
    second.client.connectionLost(new Failure(new Error("gone")));
    finish();
    await assert.rejects(q, /Connection lost/);
    await tick();
    assert.deepEqual(log, ["abort"]);
  });

  it("a failing write, messageFile or close rejects its command only; the connection goes on", async () => {
    const cases: [string, IMAP4ClientOptions["messageFile"]][] = [
      ["write rejects", () => ({
        write: () => Promise.reject(new Error("disk full")),
        close: () => "never",
        abort() {},
      })],
      ["write throws", () => ({
        write() {
          throw new Error("disk full");
        },
        close: () => "never",
        abort() {},
      })],
      ["messageFile throws", () => {
        throw new Error("disk full");
      }],
      ["close rejects", () => ({
        write() {},
        close: () => Promise.reject(new Error("disk full")),
        abort() {},
      })],
    ];
    for (const [name, messageFile] of cases) {
      const { client, t } = fresh({ memoryFileLimit: 10, messageFile });
      const p = client.fetchSpecific("1", { peek: true });
      client.dataReceived(fetchResponse(1, enc.encode("q".repeat(30))));
      client.dataReceived(enc.encode(`${lastTag(t)} OK done\r\n`));
      await assert.rejects(p, /disk full/, name);
      const n = client.noop();
      client.dataReceived(enc.encode(`* 3 EXISTS\r\n${lastTag(t)} OK noop\r\n`));
      assert.deepEqual(await n, [[3, "EXISTS"]], name);
      assert.equal(t.disconnecting, false, name);
    }
  });

  it("refuses bad literal lengths cleanly", async () => {
    const bad: [string, IMAP4ClientOptions, string, RegExp][] = [
      ["over maxLiteral, no sink", { maxLiteral: 50 }, "{51}", /Literal too big/],
      [
        "over maxStreamedLiteral: messageFile not asked",
        { maxLiteral: 50, memoryFileLimit: 10, maxStreamedLiteral: 100, messageFile: () => null },
        "{101}",
        /Literal too big/,
      ],
      ["absurd digits", {}, "{99999999999999999999999}", /Literal too big/],
    ];
    for (const [name, options, literal, error] of bad) {
      let asked = 0;
      const { client, t } = fresh({
        ...options,
        messageFile: options.messageFile && (() => (asked++, null)),
      });
      const p = client.fetchSpecific("1", { peek: true });
      client.dataReceived(enc.encode(`* 1 FETCH (BODY[] ${literal}\r\n`));
      await assert.rejects(p, (e) => e instanceof IllegalServerResponse && error.test(e.message));
      assert.ok(t.disconnecting, name);
      assert.equal(asked, 0, name);
      assert.equal(client.buffered, 0, name);
    }
    // Non-digits are no literal: the FETCH does not parse, the command fails.
    const { client, t } = fresh();
    const p = client.fetchSpecific("1", { peek: true });
    client.dataReceived(enc.encode(`* 1 FETCH (BODY[] {1a}\r\n${lastTag(t)} OK done\r\n`));
    await assert.rejects(p, /literal|string/i);
    // A line with no end is bounded.
    const long = fresh();
    const q = long.client.fetchSpecific("1", { peek: true });
    const junk = new Uint8Array(64 * 1024).fill(0x41);
    for (let i = 0; i < 17 && !long.t.disconnecting; i++) long.client.dataReceived(junk);
    await assert.rejects(q, /Line too long/);
    assert.ok(long.client.buffered <= 1 << 20);
  });

  it("parses responses cut at any points as it parses them whole (with and without a sink)", async () => {
    const literal = fc.uint8Array({ maxLength: 120, size: "max" });
    const message = fc.record({
      header: literal,
      body: literal,
      uid: fc.integer({ min: 1, max: 99999 }),
    });
    const mode = fc.constantFrom("memory", "sink", "async sink");
    let streamedSeen = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 30, size: "max" }),
        mode,
        async (messages, cuts, how) => {
          const run = async (chunks: number[] | null): Promise<FetchResult> => {
            const { client, t } = fresh({
              memoryFileLimit: 40,
              messageFile: how === "memory" ? undefined : (n) => {
                const parts: Uint8Array[] = [];
                let got = 0;
                return {
                  write(chunk) {
                    parts.push(chunk.slice());
                    got += chunk.byteLength;
                    return how === "async sink" ? Promise.resolve() : undefined;
                  },
                  close: () => (assert.equal(got, n), { streamed: cat(parts) }),
                  abort() {},
                };
              },
            });
            const p = client.fetch("1:*", "(UID BODY.PEEK[HEADER] BODY.PEEK[TEXT])");
            const wire = cat([
              ...messages.map((m, i) =>
                cat([
                  enc.encode(
                    `* ${i + 1} FETCH (UID ${m.uid} BODY[HEADER] {${m.header.length}}\r\n`,
                  ),
                  m.header,
                  enc.encode(` BODY[TEXT] {${m.body.length}}\r\n`),
                  m.body,
                  enc.encode(")\r\n"),
                ])
              ),
              enc.encode(`${lastTag(t)} OK done\r\n`),
            ]);
            if (chunks === null) client.dataReceived(wire);
            else {
              const at = [...new Set(chunks.map((c) => c % (wire.byteLength + 1)))].sort((a, b) =>
                a - b
              );
              let from = 0;
              for (const to of [...at, wire.byteLength]) {
                client.dataReceived(wire.subarray(from, to));
                from = to;
              }
            }
            return await p;
          };
          const whole = await run(null);
          if (how !== "memory") streamedSeen += messages.filter((m) => m.body.length > 40).length;
          const cut = await run(cuts);
          assert.deepEqual(cut, whole);
          messages.forEach((m, i) => {
            const item = whole[i + 1];
            assert.equal(item.UID, String(m.uid));
            for (
              const [key, bytes] of [["BODY[HEADER]", m.header], ["BODY[TEXT]", m.body]] as const
            ) {
              const expected = how !== "memory" && bytes.length > 40 ? { streamed: bytes } : bytes;
              assert.deepEqual(item[key], expected);
            }
          });
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(streamedSeen > 100, `only ${streamedSeen} literals went to sinks`);
  });

  it("fileMessageSink writes the literal to a file (close gives the path); abort removes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-imap-sink-"));
    try {
      const path = join(dir, "one.eml");
      const sink = fileMessageSink(path, { fs: reactor.runtime, sync: true });
      await sink.write(enc.encode("Subject: x\r\n"));
      await sink.write(enc.encode("\r\nbody\r\n"));
      assert.equal(await sink.close(), path);
      assert.equal(readFileSync(path, "latin1"), "Subject: x\r\n\r\nbody\r\n");
      const gone = join(dir, "two.eml");
      const aborted = fileMessageSink(gone);
      await aborted.write(enc.encode("part"));
      assert.ok(existsSync(gone));
      await aborted.abort(new Error("lost"));
      assert.equal(existsSync(gone), false);
      // A file system that cannot open files for writing: the write rejects.
      const { open: _open, ...readOnly } = reactor.runtime;
      const refused = fileMessageSink(join(dir, "three.eml"), { fs: readOnly });
      await assert.rejects(Promise.resolve(refused.write(enc.encode("x"))), /cannot open files/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fetches a big body from our IMAP4Server (iosim) into a file, the transport paused per write", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-imap-sink-"));
    try {
      const account = new MemoryAccount("alice");
      const big = enc.encode("Subject: big\r\n\r\n" + "0123456789abcdef\r\n".repeat(20000));
      account.select("INBOX", true)!.addMessage(
        enc.encode("Subject: small\r\n\r\nx\r\n"),
        [],
        null,
      );
      account.select("INBOX", true)!.addMessage(big, [], null);
      const clock = new Clock();
      let pauses = 0;
      let resumes = 0;
      const [client, , pump] = connectedServerAndClient<IMAP4Client, IMAP4Server>(
        () => new IMAP4Server({ portal: portalFor(account), clock }),
        () =>
          new IMAP4Client({
            memoryFileLimit: 64 * 1024,
            messageFile: (n) => fileMessageSink(join(dir, `${n}.eml`)),
          }),
      );
      const t = client.transport as unknown as {
        pauseProducing(): void;
        resumeProducing(): void;
        paused: boolean;
      };
      const pause = t.pauseProducing.bind(t);
      const resume = t.resumeProducing.bind(t);
      t.pauseProducing = () => (pauses++, pause());
      t.resumeProducing = () => (resumes++, resume());
      const run = async <T>(p: Promise<T>): Promise<T> => {
        let done = false;
        p.then(() => (done = true), () => (done = true));
        for (let i = 0; i < 5000 && !done; i++) {
          pump.flush();
          await tick();
        }
        return await p;
      };
      await run(client.whenGreeted);
      await run(client.login("alice", "secret"));
      await run(client.select("INBOX"));
      const r = await run(client.fetchSpecific("1:2", { peek: true }));
      assert.ok(r[1]["BODY[]"] instanceof Uint8Array);
      assert.equal(r[2]["BODY[]"], join(dir, `${big.byteLength}.eml`));
      assert.deepEqual(new Uint8Array(readFileSync(join(dir, `${big.byteLength}.eml`))), big);
      assert.ok(pauses > 0, "each pending write paused the transport");
      assert.equal(resumes, pauses);
      assert.equal(t.paused, false);
      await run(client.logout());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
