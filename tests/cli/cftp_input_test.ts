// Where `tw cftp` reads commands: a batch file's lines, and standard input
// line by line (StandardIO over a scripted ByteStream): any chunking, bounded
// lines, reading paused while too many lines wait.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ByteStream, ByteStreamHandler } from "../../src/internet/socket.ts";
import { Reactor } from "../../src/internet/reactor.ts";
import { fileLines, MAX_LINE, stdinLines } from "../../src/cli/plugins/_cftp_input.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { runtime } from "../internet/_pipe_runtime.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

class FakeStdin implements ByteStream {
  handler: ByteStreamHandler | null = null;
  paused = false;
  closed = false;
  readonly isTTY = false;
  readonly writable = false;
  readonly native = null;
  start(handler: ByteStreamHandler): void {
    this.handler = handler;
  }
  pauseReading(): void {
    this.paused = true;
  }
  resumeReading(): void {
    this.paused = false;
  }
  write(): Promise<void> {
    return Promise.reject(new Error("Not writable"));
  }
  close(): void {
    this.closed = true;
  }
}

async function withStdin(): Promise<[ReturnType<typeof stdinLines>, FakeStdin]> {
  const stdin = new FakeStdin();
  const reactor = new Reactor({ ...runtime, openStdin: () => stdin });
  const lines = stdinLines(reactor);
  await tick();
  return [lines, stdin];
}

async function drain(lines: ReturnType<typeof stdinLines>): Promise<(string | Error)[]> {
  const out: (string | Error)[] = [];
  for (;;) {
    try {
      const line = await lines.next();
      if (line === null) return out;
      out.push(line);
    } catch (e) {
      out.push(e as Error);
    }
  }
}

describe("cftp command lines", () => {
  it("reads a batch file's lines", async () => {
    const lines = fileLines("a\nb\n");
    assert.deepEqual([await lines.next(), await lines.next(), await lines.next()], ["a", "b", ""]);
    assert.equal(await lines.next(), null);
  });

  it("splits stdin into lines however it is chunked, CR LF included", async () => {
    const text = "cd /tmp\r\nls -l\n\nput 'a b'\nlast without end";
    const want = ["cd /tmp", "ls -l", "", "put 'a b'", "last without end"];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 20 }),
        async (cuts) => {
          const [lines, stdin] = await withStdin();
          const bytes = te.encode(text);
          let at = 0;
          for (const n of cuts) {
            stdin.handler!.onData(bytes.slice(at, at + n));
            at += n;
          }
          stdin.handler!.onData(bytes.slice(at));
          stdin.handler!.onEnd();
          assert.deepEqual(await drain(lines), want);
          lines.close();
          await tick();
        },
      ),
      { numRuns: 50 },
    );
  });

  it("refuses an over-long line without keeping it, and reads on", async () => {
    const [lines, stdin] = await withStdin();
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    for (let i = 0; i <= MAX_LINE / chunk.length; i++) stdin.handler!.onData(chunk);
    stdin.handler!.onData(te.encode("\npwd\n"));
    stdin.handler!.onEnd();
    const got = await drain(lines);
    assert.equal(got.length, 2);
    assert.match(String(got[0]), /longer than 65536 bytes/);
    assert.equal(got[1], "pwd");
    lines.close();
    await tick();
  });

  it("pauses stdin while 64 lines wait, and resumes as they are taken", async () => {
    const [lines, stdin] = await withStdin();
    stdin.handler!.onData(te.encode("x\n".repeat(100)));
    assert.equal(stdin.paused, true);
    for (let i = 0; i < 80; i++) assert.equal(await lines.next(), "x");
    assert.equal(stdin.paused, false);
    lines.close();
    await tick();
    assert.equal(stdin.closed, true);
  });
});
