import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  EventLoggingObserver,
  Failure,
  globalLogBeginner,
  globalLogPublisher,
  LogBeginner,
  type LogEvent,
  Logger,
  LogLevel,
  logLevelRank,
  logLevelWithName,
  LogPublisher,
} from "../../src/logger/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

function sample(format: string, level: LogLevel = "info"): LogEvent {
  return { log_format: format, log_level: level, log_namespace: "t", log_time: 0 };
}

describe("Logger", () => {
  it("emits events with format, level, namespace, time and fields", () => {
    const events: LogEvent[] = [];
    const log = new Logger("tw.test", (e) => events.push(e));
    const before = Date.now() / 1000;
    log.warn("port {port}", { port: 80 });
    assert.equal(events.length, 1);
    const [e] = events;
    assert.equal(e.log_format, "port {port}");
    assert.equal(e.log_level, "warn");
    assert.equal(e.log_namespace, "tw.test");
    assert.equal(e.port, 80);
    assert.ok(e.log_time >= before - 1 && e.log_time <= Date.now() / 1000 + 1);
  });

  it("emits one event per level method, at that level", () => {
    const events: LogEvent[] = [];
    const log = new Logger("x", (e) => events.push(e));
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    log.critical("c");
    assert.deepEqual(events.map((e) => e.log_level), Object.values(LogLevel));
  });

  it("wraps a thrown value in a Failure for failure(), critical by default", () => {
    const events: LogEvent[] = [];
    const log = new Logger("x", (e) => events.push(e));
    log.failure("it failed", new RangeError("r"));
    log.failure("again", new Failure(new TypeError("t")), "error", { extra: 1 });
    assert.equal(events[0].log_level, "critical");
    assert.ok(events[0].log_failure instanceof Failure);
    assert.equal(events[0].log_failure?.value.message, "r");
    assert.equal(events[1].log_level, "error");
    assert.equal(events[1].extra, 1);
  });

  it("keeps its own log_ keys over fields of the same name", () => {
    const events: LogEvent[] = [];
    new Logger("real", (e) => events.push(e)).info("x", { log_namespace: "fake" });
    assert.equal(events[0].log_namespace, "real");
  });

  it("accepts a publisher as its observer", () => {
    const publisher = new LogPublisher();
    const observer = new EventLoggingObserver();
    publisher.addObserver(observer);
    new Logger("p", publisher).info("hello");
    assert.equal(observer.events.length, 1);
    assert.equal(observer.events[0].log_format, "hello");
  });

  it("publishes to the global publisher by default", () => {
    const observer = new EventLoggingObserver();
    globalLogPublisher.addObserver(observer);
    try {
      new Logger("global.test").info("to the world");
    } finally {
      globalLogPublisher.removeObserver(observer);
    }
    assert.equal(observer.events.length, 1);
    assert.equal(observer.events[0].log_namespace, "global.test");
  });
});

describe("log levels", () => {
  it("rank from debug to critical", () => {
    assert.deepEqual(Object.values(LogLevel).map(logLevelRank), [0, 1, 2, 3, 4]);
    assert.equal(logLevelRank("verbose"), -1);
  });

  it("are looked up by name, rejecting unknown names", () => {
    assert.equal(logLevelWithName("error"), "error");
    assert.throws(() => logLevelWithName("loud"), TypeError);
  });
});

describe("LogPublisher", () => {
  it("delivers each event to every observer once, in order of addition", () => {
    const seen: string[] = [];
    const publisher = new LogPublisher();
    const a = () => seen.push("a");
    publisher.addObserver(a);
    publisher.addObserver(a);
    publisher.addObserver(() => seen.push("b"));
    publisher.publish(sample("x"));
    assert.deepEqual(seen, ["a", "b"]);
    publisher.removeObserver(a);
    publisher(sample("y"));
    assert.deepEqual(seen, ["a", "b", "b"]);
  });

  it("rejects an observer that is not a function", () => {
    assert.throws(() => new LogPublisher().addObserver({} as never), TypeError);
  });

  it("never throws when an observer does, and reports it once to the others", () => {
    const publisher = new LogPublisher();
    const good = new EventLoggingObserver();
    const bad = () => {
      throw new Error("observer broke");
    };
    publisher.addObserver(bad);
    publisher.addObserver(good);
    publisher.publish(sample("x"));
    assert.equal(good.events.length, 2);
    assert.equal(good.events[0].log_format, "x");
    const report = good.events[1];
    assert.equal(report.log_level, "critical");
    assert.equal(report.log_namespace, "tw.logger");
    assert.equal(report.observer, bad);
    assert.equal(report.log_failure?.value.message, "observer broke");
  });

  it("does not loop when observers also throw on the report", () => {
    const publisher = new LogPublisher();
    let calls = 0;
    const alwaysBad = () => {
      calls += 1;
      throw new Error("always");
    };
    const alsoBad = (e: LogEvent) => {
      calls += 1;
      if (e.log_namespace === "tw.logger") throw new Error("on reports");
      throw new Error("too");
    };
    publisher.addObserver(alwaysBad);
    publisher.addObserver(alsoBad);
    assert.doesNotThrow(() => publisher.publish(sample("x")));
    // Each saw the event; neither gets a report because both broke.
    assert.equal(calls, 2);
  });

  it("swallows an exception raised while delivering a report", () => {
    const publisher = new LogPublisher();
    const recorder = new EventLoggingObserver();
    publisher.addObserver(() => {
      throw new Error("broken");
    });
    publisher.addObserver((e) => {
      if (e.log_namespace === "tw.logger") throw new Error("fails on reports");
    });
    publisher.addObserver(recorder);
    assert.doesNotThrow(() => publisher.publish(sample("x")));
    assert.deepEqual(recorder.events.map((e) => e.log_namespace), ["t", "tw.logger"]);
  });

  it("survives observers removing themselves while an event is delivered", () => {
    const publisher = new LogPublisher();
    const seen: string[] = [];
    const once = () => {
      seen.push("once");
      publisher.removeObserver(once);
    };
    publisher.addObserver(once);
    publisher.addObserver(() => seen.push("always"));
    publisher.publish(sample("1"));
    publisher.publish(sample("2"));
    assert.deepEqual(seen, ["once", "always", "always"]);
  });
});

describe("LogBeginner", () => {
  it("replays events published before logging began to the first observers", () => {
    const publisher = new LogPublisher();
    const beginner = new LogBeginner(publisher);
    publisher.publish(sample("early 1"));
    publisher.publish(sample("early 2"));
    const observer = new EventLoggingObserver();
    beginner.beginLoggingTo([observer]);
    publisher.publish(sample("late"));
    assert.deepEqual(observer.events.map((e) => e.log_format), ["early 1", "early 2", "late"]);
    assert.equal(beginner.begun, true);
  });

  it("discards the buffer when asked", () => {
    const publisher = new LogPublisher();
    const beginner = new LogBeginner(publisher);
    publisher.publish(sample("early"));
    const observer = new EventLoggingObserver();
    beginner.beginLoggingTo([observer], { discardBuffer: true });
    assert.equal(observer.events.length, 0);
  });

  it("keeps a bounded buffer, drops the oldest and says how many", () => {
    const publisher = new LogPublisher();
    const beginner = new LogBeginner(publisher, { bufferSize: 3 });
    for (let i = 0; i < 5; i++) publisher.publish(sample(`e${i}`));
    const observer = new EventLoggingObserver();
    beginner.beginLoggingTo([observer]);
    const formats = observer.events.map((e) => e.log_format);
    assert.deepEqual(formats.slice(0, 3), ["e2", "e3", "e4"]);
    assert.equal(observer.events.length, 4);
    assert.equal(observer.events[3].log_level, "warn");
    assert.equal(observer.events[3].dropped, 2);
  });

  it("does not end buffering or replay for observers added to the publisher directly", () => {
    const publisher = new LogPublisher();
    const beginner = new LogBeginner(publisher);
    publisher.publish(sample("before"));
    const direct = new EventLoggingObserver();
    publisher.addObserver(direct);
    publisher.publish(sample("between"));
    const begun = new EventLoggingObserver();
    beginner.beginLoggingTo([begun]);
    assert.deepEqual(direct.events.map((e) => e.log_format), ["between"]);
    assert.deepEqual(begun.events.map((e) => e.log_format), ["before", "between"]);
  });

  it("stops buffering once logging began", () => {
    const publisher = new LogPublisher();
    const beginner = new LogBeginner(publisher);
    // The buffer, and the observer printing critical events to stderr.
    assert.equal(publisher.observers.length, 2);
    beginner.beginLoggingTo([]);
    assert.equal(publisher.observers.length, 0);
  });

  it("warns when logging is begun twice and adds the new observers", () => {
    const publisher = new LogPublisher();
    const beginner = new LogBeginner(publisher);
    const first = new EventLoggingObserver();
    const second = new EventLoggingObserver();
    beginner.beginLoggingTo([first]);
    beginner.beginLoggingTo([second]);
    assert.equal(first.events.length, 1);
    assert.equal(first.events[0].log_level, "warn");
    assert.equal(second.events.length, 1);
  });

  it("exists for the global publisher", () => {
    assert.ok(globalLogBeginner instanceof LogBeginner);
    assert.ok(globalLogPublisher instanceof LogPublisher);
  });
});
