import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  consoleLogObserver,
  EventLoggingObserver,
  Failure,
  FileLogObserver,
  LimitedHistoryLogObserver,
  type LogEvent,
  Logger,
  LogLevel,
  textFileLogObserver,
} from "../../src/logger/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

function sample(format: string, level: LogLevel = "info", time = 0): LogEvent {
  return { log_format: format, log_level: level, log_namespace: "ns", log_time: time };
}

describe("textFileLogObserver()", () => {
  it("writes one classic line per event to a write function", () => {
    const written: string[] = [];
    const observer = textFileLogObserver((text) => written.push(text));
    observer(sample("hello {who}"));
    observer({ ...sample("hello {who}"), who: "you" });
    assert.deepEqual(written, [
      "1970-01-01T00:00:00.000Z [ns#info] hello <missing: who>\n",
      "1970-01-01T00:00:00.000Z [ns#info] hello you\n",
    ]);
  });

  it("skips events with no text", () => {
    const written: string[] = [];
    textFileLogObserver((text) => written.push(text))(sample(""));
    assert.deepEqual(written, []);
  });

  it("takes a time format", () => {
    const written: string[] = [];
    textFileLogObserver((t) => written.push(t), { formatTime: () => "now" })(sample("x"));
    assert.deepEqual(written, ["now [ns#info] x\n"]);
  });

  it("writes UTF-8 bytes to a WritableStream and closes it", async () => {
    const chunks: Uint8Array[] = [];
    let closed = false;
    const stream = new WritableStream<Uint8Array>({
      write(chunk) {
        chunks.push(chunk);
      },
      close() {
        closed = true;
      },
    });
    const observer = textFileLogObserver(stream);
    observer(sample("caf\u00e9"));
    observer(sample("second"));
    await observer.close();
    assert.ok(chunks.every((c) => c instanceof Uint8Array));
    const text = chunks.map((c) => new TextDecoder().decode(c)).join("");
    assert.equal(
      text,
      "1970-01-01T00:00:00.000Z [ns#info] caf\u00e9\n1970-01-01T00:00:00.000Z [ns#info] second\n",
    );
    assert.equal(closed, true);
    observer(sample("after close"));
    assert.equal(chunks.length, 2);
  });

  it("writes strings to a WritableStream of strings when encode is false", async () => {
    const chunks: unknown[] = [];
    const stream = new WritableStream<string>({ write: (c) => void chunks.push(c) });
    const observer = textFileLogObserver(stream, { encode: false });
    observer(sample("text"));
    await observer.close();
    assert.deepEqual(chunks, ["1970-01-01T00:00:00.000Z [ns#info] text\n"]);
  });

  it("reports a stream's write error from close(), not to the emitter", async () => {
    const stream = new WritableStream<Uint8Array>({
      write() {
        throw new Error("disk full");
      },
    });
    const observer = textFileLogObserver(stream);
    assert.doesNotThrow(() => observer(sample("x")));
    await assert.rejects(observer.close(), /disk full/);
  });

  it("drops events past maxPendingWrites and notes how many once the stream drains", async () => {
    const chunks: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => release = resolve);
    const stream = new WritableStream<string>({
      async write(chunk) {
        await gate;
        chunks.push(chunk);
      },
    });
    const observer = textFileLogObserver(stream, { encode: false, maxPendingWrites: 2 });
    for (let i = 0; i < 5; i++) observer(sample(`e${i}`));
    release();
    // Bounded: let the two pending writes settle (microtasks only, no timers).
    for (let i = 0; i < 100 && chunks.length < 2; i++) await Promise.resolve();
    for (let i = 0; i < 20; i++) await Promise.resolve();
    observer(sample("e5"));
    await observer.close();
    assert.equal(chunks.length, 4);
    assert.match(chunks[0], /e0/);
    assert.match(chunks[1], /e1/);
    assert.match(chunks[2], /3 log events dropped: the output stream was too slow/);
    assert.match(chunks[3], /e5/);
  });

  it("is a FileLogObserver that any format function can drive", () => {
    const written: string[] = [];
    const observer = new FileLogObserver((t) => written.push(t), (e) => `${e.log_level}\n`);
    new Logger("x", observer).error("ignored");
    assert.deepEqual(written, ["error\n"]);
    assert.ok(observer instanceof FileLogObserver);
    assert.equal(typeof observer, "function");
  });
});

describe("consoleLogObserver()", () => {
  it("writes each event to the console method of its level", () => {
    const calls: [string, string][] = [];
    const fake = {
      debug: (text: unknown) => calls.push(["debug", String(text)]),
      info: (text: unknown) => calls.push(["info", String(text)]),
      warn: (text: unknown) => calls.push(["warn", String(text)]),
      error: (text: unknown) => calls.push(["error", String(text)]),
    };
    const observer = consoleLogObserver({ console: fake });
    for (const level of Object.values(LogLevel)) observer(sample(`at ${level}`, level));
    assert.deepEqual(calls, [
      ["debug", "[ns#debug] at debug"],
      ["info", "[ns#info] at info"],
      ["warn", "[ns#warn] at warn"],
      ["error", "[ns#error] at error"],
      ["error", "[ns#critical] at critical"],
    ]);
  });

  it("includes a failure's traceback", () => {
    const lines: string[] = [];
    const fake = { debug() {}, info() {}, warn() {}, error: (t: unknown) => lines.push(String(t)) };
    const failure = new Failure(new Error("kaput"));
    consoleLogObserver({ console: fake })({ ...sample("bad", "error"), log_failure: failure });
    assert.equal(lines[0], `[ns#error] bad\n${failure.getTraceback()}`);
  });
});

describe("EventLoggingObserver", () => {
  it("records events in order and forgets them on clear()", () => {
    const observer = new EventLoggingObserver();
    observer(sample("a"));
    observer(sample("b"));
    assert.deepEqual(observer.events.map((e) => e.log_format), ["a", "b"]);
    observer.clear();
    assert.equal(observer.events.length, 0);
  });
});

describe("LimitedHistoryLogObserver", () => {
  it("keeps the last events up to its size and counts the dropped ones", () => {
    const history = new LimitedHistoryLogObserver(3);
    for (let i = 0; i < 7; i++) history(sample(`e${i}`));
    assert.deepEqual(history.getHistory().map((e) => e.log_format), ["e4", "e5", "e6"]);
    assert.equal(history.dropped, 4);
  });

  it("replays its history to another observer, oldest first", () => {
    const history = new LimitedHistoryLogObserver(5);
    history(sample("a"));
    history(sample("b"));
    const target = new EventLoggingObserver();
    history.replayTo(target);
    assert.deepEqual(target.events.map((e) => e.log_format), ["a", "b"]);
    assert.equal(history.dropped, 0);
  });

  it("rejects a size that is not a positive integer", () => {
    assert.throws(() => new LimitedHistoryLogObserver(0), RangeError);
    assert.throws(() => new LimitedHistoryLogObserver(1.5), RangeError);
  });
});
