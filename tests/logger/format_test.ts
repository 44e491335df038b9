import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  eventAsText,
  Failure,
  formatEvent,
  formatEventAsClassicLogText,
  formatTime,
  type LogEvent,
} from "../../src/logger/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

function event(format: string, fields: Record<string, unknown> = {}): LogEvent {
  return {
    log_format: format,
    log_level: "info",
    log_namespace: "tw.test",
    log_time: 0,
    ...fields,
  };
}

describe("formatEvent()", () => {
  it("fills placeholders from the event's fields", () => {
    assert.equal(formatEvent(event("{a} and {b}", { a: "x", b: 2 })), "x and 2");
  });

  it("turns doubled braces into single braces", () => {
    assert.equal(formatEvent(event("{{literal}} {n} }}", { n: 1 })), "{literal} 1 }");
  });

  it("marks a missing field instead of throwing", () => {
    assert.equal(formatEvent(event("port {port}")), "port <missing: port>");
  });

  it("does not resolve inherited properties as fields", () => {
    assert.equal(formatEvent(event("{constructor}")), "<missing: constructor>");
  });

  it("follows attribute paths and indexes", () => {
    const e = event("{user.name} {list[1]} {user.tags[0]} {s.length}", {
      user: { name: "ann", tags: ["admin"] },
      list: [1, 2],
      s: "abc",
    });
    assert.equal(formatEvent(e), "ann 2 admin 3");
  });

  it("marks a missing attribute on a path", () => {
    assert.equal(formatEvent(event("{user.age}", { user: {} })), "<missing: user.age>");
    assert.equal(formatEvent(event("{user.age}", { user: null })), "<missing: user.age>");
  });

  it("marks a field whose getter throws as unformattable", () => {
    const user = {
      get name(): string {
        throw new Error("boom");
      },
    };
    assert.equal(formatEvent(event("{user.name}", { user })), "<unformattable: user.name>");
  });

  it("keeps an unclosed brace as text", () => {
    assert.equal(formatEvent(event("a {b", { b: 1 })), "a {b");
  });

  it("accepts and ignores conversions and format specs, quoting strings with !r", () => {
    assert.equal(formatEvent(event("{a!r} {a:>10} {n!s}", { a: "x", n: 5 })), '"x" x 5');
  });

  it("renders values readably", () => {
    const e = event("{o} {arr} {fn} {d} {err} {f} {big} {nul} {undef}", {
      o: { a: 1 },
      arr: [1, "two"],
      fn: function handler() {},
      d: new Date(0),
      err: new RangeError("bad"),
      f: new Failure(new TypeError("worse")),
      big: 10n,
      nul: null,
      undef: undefined,
    });
    assert.equal(
      formatEvent(e),
      '{"a":1} [1,"two"] [function handler] 1970-01-01T00:00:00.000Z RangeError: bad ' +
        "[Failure TypeError: worse] 10 null undefined",
    );
  });

  it("renders a cyclic object without throwing", () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    assert.equal(
      formatEvent(event("{o}", { o })),
      '{"a":1,"self":{"unpersistable":true,"repr":"[Circular]"}}',
    );
  });

  it("returns an empty text for an event without a format", () => {
    assert.equal(formatEvent({ log_level: "info" } as unknown as LogEvent), "");
  });

  it("prefers flattened text over the fields", () => {
    const e = event("{a}", { a: { unpersistable: true }, log_flattened: { a: "original" } });
    assert.equal(formatEvent(e), "original");
  });
});

describe("formatTime()", () => {
  it("formats seconds since the epoch as UTC ISO 8601", () => {
    assert.equal(formatTime(1.5), "1970-01-01T00:00:01.500Z");
  });

  it("returns a dash for a missing or invalid time", () => {
    assert.equal(formatTime(undefined), "-");
    assert.equal(formatTime(Number.NaN), "-");
    assert.equal(formatTime(1e20), "-");
  });
});

describe("eventAsText()", () => {
  it("appends the failure's traceback", () => {
    const failure = new Failure(new Error("oops"));
    const text = eventAsText(event("it broke", { log_failure: failure }));
    assert.equal(text, `it broke\n${failure.getTraceback()}`);
  });

  it("can leave out the traceback and add the time and system", () => {
    const e = event("hi", { log_failure: new Failure(new Error("x")), log_time: 0 });
    assert.equal(
      eventAsText(e, { includeTraceback: false, includeTimestamp: true, includeSystem: true }),
      "1970-01-01T00:00:00.000Z [tw.test#info] hi",
    );
  });
});

describe("formatEventAsClassicLogText()", () => {
  it("writes time, namespace#level and text on one line", () => {
    assert.equal(
      formatEventAsClassicLogText(event("Listening on {port}", { port: 80 })),
      "1970-01-01T00:00:00.000Z [tw.test#info] Listening on 80\n",
    );
  });

  it("uses log_system when the event has one", () => {
    const line = formatEventAsClassicLogText(event("x", { log_system: "HTTP,1,127.0.0.1" }));
    assert.equal(line, "1970-01-01T00:00:00.000Z [HTTP,1,127.0.0.1] x\n");
  });

  it("indents continuation lines, tracebacks included, with a tab", () => {
    const error = new Error("oops");
    error.stack = "Error: oops\n    at here";
    const line = formatEventAsClassicLogText(
      event("two\nlines", { log_failure: new Failure(error) }),
    );
    assert.equal(
      line,
      "1970-01-01T00:00:00.000Z [tw.test#info] two\n\tlines\n\tError: oops\n\t    at here\n",
    );
  });

  it("returns null for an event with no text", () => {
    assert.equal(formatEventAsClassicLogText(event("")), null);
  });

  it("takes a custom time format", () => {
    const line = formatEventAsClassicLogText(event("x"), { formatTime: () => "T" });
    assert.equal(line, "T [tw.test#info] x\n");
  });
});
