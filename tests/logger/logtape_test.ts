import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
// The adapter's dependency, installed from npm: the test configures it the way an application would.
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { Failure, type LogEvent, Logger } from "../../src/logger/mod.ts";
import { logTapeLevel, logTapeObserver } from "../../src/logger/logtape.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

let records: LogRecord[] = [];

async function configureLogTape(lowestLevel: "debug" | "warning"): Promise<void> {
  await configure({
    reset: true,
    sinks: { memory: (record: LogRecord) => void records.push(record) },
    loggers: [
      { category: [], sinks: ["memory"], lowestLevel },
      // LogTape's own notices would otherwise land in the memory sink too.
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "fatal" },
    ],
  });
}

describe("logTapeObserver()", () => {
  beforeEach(async () => {
    records = [];
    await configureLogTape("debug");
  });
  afterEach(async () => {
    await reset();
  });

  it("hands events to LogTape with category, level, message, time and properties", () => {
    const log = new Logger("tw.web.server", logTapeObserver());
    log.warn("Listening on {port}", { port: 8080 });
    assert.equal(records.length, 1);
    const [record] = records;
    assert.deepEqual(record.category, ["tw", "web", "server"]);
    assert.equal(record.level, "warning");
    assert.deepEqual(record.message, ["Listening on 8080"]);
    assert.equal(record.rawMessage, "Listening on {port}");
    assert.deepEqual(record.properties, { port: 8080 });
    assert.ok(Math.abs(record.timestamp - Date.now()) < 60_000);
  });

  it("uses the event's own time", () => {
    const event: LogEvent = { log_format: "x", log_level: "info", log_namespace: "a", log_time: 2 };
    logTapeObserver()(event);
    assert.equal(records[0].timestamp, 2000);
  });

  it("prepends a category prefix and maps the empty namespace to the prefix alone", () => {
    new Logger("", logTapeObserver({ categoryPrefix: ["app"] })).info("root");
    new Logger("a.b", logTapeObserver({ categoryPrefix: ["app"] })).info("child");
    assert.deepEqual(records.map((r) => r.category), [["app"], ["app", "a", "b"]]);
  });

  it("passes a failure as the error property with its traceback in the message", () => {
    const failure = new Failure(new RangeError("bad"));
    new Logger("x", logTapeObserver()).failure("it failed", failure);
    const [record] = records;
    assert.equal(record.level, "fatal");
    assert.equal(record.properties.error, failure.value);
    assert.deepEqual(record.message, [`it failed\n${failure.getTraceback()}`]);
  });

  it("can leave the traceback out of the message", () => {
    new Logger("x", logTapeObserver({ includeTraceback: false })).failure("f", new Error("e"));
    assert.deepEqual(records[0].message, ["f"]);
  });

  it("does not format events below LogTape's configured level", async () => {
    await configureLogTape("warning");
    let reads = 0;
    const field = {
      toString(): string {
        reads += 1;
        return "value";
      },
    };
    const log = new Logger("x", logTapeObserver());
    log.info("{field}", { field });
    assert.equal(records.length, 0);
    assert.equal(reads, 0);
    log.error("{field}", { field });
    assert.equal(records.length, 1);
    assert.equal(reads, 1);
  });
});

describe("logTapeLevel()", () => {
  it("maps our levels to LogTape's", () => {
    assert.deepEqual(
      ["debug", "info", "warn", "error", "critical", "other"].map(logTapeLevel),
      ["debug", "info", "warning", "error", "fatal", "info"],
    );
  });
});
