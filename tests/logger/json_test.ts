import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  eventAsJSON,
  eventFromJSON,
  eventsFromJSONLogFile,
  Failure,
  formatEvent,
  jsonFileLogObserver,
  type LogEvent,
  Logger,
} from "../../src/logger/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

function sample(format: string, fields: Record<string, unknown> = {}): LogEvent {
  return { log_format: format, log_level: "info", log_namespace: "ns", log_time: 12.5, ...fields };
}

describe("eventAsJSON() and eventFromJSON()", () => {
  it("round-trip an event's standard keys and JSON-able fields", () => {
    const event = sample("{n} {s}", { n: 3, s: "x", list: [1, { a: true }], nothing: null });
    const back = eventFromJSON(eventAsJSON(event));
    assert.equal(back.log_format, "{n} {s}");
    assert.equal(back.log_level, "info");
    assert.equal(back.log_namespace, "ns");
    assert.equal(back.log_time, 12.5);
    assert.equal(back.n, 3);
    assert.deepEqual(back.list, [1, { a: true }]);
    assert.equal(back.nothing, null);
    assert.equal(formatEvent(back), "3 x");
  });

  it("writes one line", () => {
    assert.ok(!eventAsJSON(sample("a\nb", { text: "c\nd" })).includes("\n"));
  });

  it("serialises a Failure as type, message and traceback, and reads it back as a Failure", () => {
    const error = new RangeError("too big");
    const failure = new Failure(error);
    const line = eventAsJSON(sample("failed", { log_failure: failure }));
    const raw = JSON.parse(line);
    assert.deepEqual(raw.log_failure, {
      $type: "Failure",
      type: "RangeError",
      message: "too big",
      traceback: failure.getTraceback(),
    });
    const back = eventFromJSON(line);
    assert.ok(back.log_failure instanceof Failure);
    assert.equal(back.log_failure.value.name, "RangeError");
    assert.equal(back.log_failure.getErrorMessage(), "too big");
    assert.equal(back.log_failure.getTraceback(), failure.getTraceback());
  });

  it("degrades values JSON cannot carry instead of throwing", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const event = sample("{big} {fn} {cyclic}", {
      big: 12n,
      fn: function named() {},
      sym: Symbol("s"),
      inf: Infinity,
      err: new TypeError("t"),
      map: new Map([[1, 2]]),
      bytes: new Uint8Array([1, 2]),
      cyclic,
      getterThrows: {
        get bad(): never {
          throw new Error("no");
        },
      },
    });
    const back = eventFromJSON(eventAsJSON(event));
    assert.deepEqual(back.big, { unpersistable: true, repr: "12n" });
    assert.deepEqual(back.fn, { unpersistable: true, repr: "[function named]" });
    assert.deepEqual(back.sym, { unpersistable: true, repr: "Symbol(s)" });
    assert.deepEqual(back.inf, { unpersistable: true, repr: "Infinity" });
    assert.deepEqual(back.err, { unpersistable: true, repr: "TypeError: t" });
    assert.deepEqual(back.map, { unpersistable: true, repr: "Map(1)" });
    assert.deepEqual(back.bytes, [1, 2]);
    assert.deepEqual(back.cyclic, { self: { unpersistable: true, repr: "[Circular]" } });
    assert.deepEqual(back.getterThrows, { bad: { unpersistable: true, repr: "[unreadable]" } });
    // The text survives the degradation: it was flattened when written.
    assert.equal(formatEvent(back), formatEvent(event));
  });

  it("keeps the original text when a read-back event is written again", () => {
    const once = eventFromJSON(eventAsJSON(sample("{big}", { big: 5n })));
    const twice = eventFromJSON(eventAsJSON(once));
    assert.equal(formatEvent(twice), "5");
  });

  it("rejects a record that is not a JSON object", () => {
    assert.throws(() => eventFromJSON("[1]"), SyntaxError);
    assert.throws(() => eventFromJSON("{"), SyntaxError);
  });
});

describe("jsonFileLogObserver() and eventsFromJSONLogFile()", () => {
  it("write one JSON object per line and read them all back", () => {
    let text = "";
    const log = new Logger("app", jsonFileLogObserver((line) => text += line));
    log.info("{n} items", { n: 3 });
    log.failure("oops", new Error("bad"));
    const lines = text.split("\n");
    assert.equal(lines.length, 3);
    assert.equal(lines[2], "");
    const events = eventsFromJSONLogFile(text);
    assert.equal(events.length, 2);
    assert.equal(events[0].n, 3);
    assert.equal(formatEvent(events[0]), "3 items");
    assert.equal(events[1].log_failure?.getErrorMessage(), "bad");
  });

  it("read Twisted's record-separated format", () => {
    let text = "";
    const observer = jsonFileLogObserver((line) => text += line, { recordSeparator: "\x1e" });
    observer(sample("one"));
    observer(sample("two"));
    assert.ok(text.startsWith("\x1e{"));
    const events = eventsFromJSONLogFile(text);
    assert.deepEqual(events.map((e) => e.log_format), ["one", "two"]);
  });

  it("skip truncated and invalid records", () => {
    const good = eventAsJSON(sample("good"));
    const text = `${good}\nnot json\n\n${good.slice(0, 10)}\n${good}\n`;
    assert.deepEqual(eventsFromJSONLogFile(text).map((e) => e.log_format), ["good", "good"]);
  });
});
