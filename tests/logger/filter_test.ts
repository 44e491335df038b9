import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  EventLoggingObserver,
  FilteringLogObserver,
  type ILogFilterPredicate,
  type LogEvent,
  type LogLevel,
  LogLevelFilterPredicate,
  LogPublisher,
  PredicateResult,
} from "../../src/logger/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

function sample(namespace: string, level: LogLevel, format = "x"): LogEvent {
  return { log_format: format, log_level: level, log_namespace: namespace, log_time: 0 };
}

describe("FilteringLogObserver", () => {
  it("delivers events every predicate is unsure of", () => {
    const kept = new EventLoggingObserver();
    const filter = new FilteringLogObserver(kept, [() => PredicateResult.maybe]);
    filter(sample("a", "info"));
    assert.equal(kept.events.length, 1);
  });

  it("lets the first yes or no decide, and sends rejected events to the negative observer", () => {
    const kept = new EventLoggingObserver();
    const rejected = new EventLoggingObserver();
    const asked: string[] = [];
    const byFormat = (answer: string): ILogFilterPredicate => (e) => {
      asked.push(answer);
      return e.log_format === answer ? answer as PredicateResult : "maybe";
    };
    const filter = new FilteringLogObserver(
      kept,
      [byFormat("yes"), byFormat("no"), () => "no"],
      rejected,
    );
    filter(sample("a", "info", "yes"));
    assert.deepEqual(asked, ["yes"]);
    filter(sample("a", "info", "no"));
    assert.deepEqual(asked, ["yes", "yes", "no"]);
    filter(sample("a", "info", "other"));
    assert.deepEqual(kept.events.map((e) => e.log_format), ["yes"]);
    assert.deepEqual(rejected.events.map((e) => e.log_format), ["no", "other"]);
  });

  it("can be added to a publisher like any observer", () => {
    const kept = new EventLoggingObserver();
    const publisher = new LogPublisher(
      new FilteringLogObserver(kept, [new LogLevelFilterPredicate("warn")]),
    );
    publisher.publish(sample("a", "info"));
    publisher.publish(sample("a", "error"));
    assert.deepEqual(kept.events.map((e) => e.log_level), ["error"]);
  });
});

describe("LogLevelFilterPredicate", () => {
  it("says no below the default level and maybe from it up", () => {
    const predicate = new LogLevelFilterPredicate();
    assert.equal(predicate.defaultLogLevel, "info");
    assert.equal(predicate(sample("any", "debug")), "no");
    assert.equal(predicate(sample("any", "info")), "maybe");
    assert.equal(predicate(sample("any", "critical")), "maybe");
  });

  it("applies a namespace's level to its children unless they have their own", () => {
    const predicate = new LogLevelFilterPredicate("warn");
    predicate.setLogLevelForNamespace("tw.web", "debug");
    predicate.setLogLevelForNamespace("tw.web.proxy", "error");
    assert.equal(predicate.logLevelForNamespace("tw.web"), "debug");
    assert.equal(predicate.logLevelForNamespace("tw.web.server.http"), "debug");
    assert.equal(predicate.logLevelForNamespace("tw.web.proxy.conn"), "error");
    assert.equal(predicate.logLevelForNamespace("tw.webx"), "warn");
    assert.equal(predicate.logLevelForNamespace("other"), "warn");
    assert.equal(predicate(sample("tw.web.server", "debug")), "maybe");
    assert.equal(predicate(sample("tw.web.proxy", "warn")), "no");
    predicate.clearLogLevels();
    assert.equal(predicate.logLevelForNamespace("tw.web"), "warn");
  });

  it("uses the level set for the empty namespace as the root", () => {
    const predicate = new LogLevelFilterPredicate("info");
    predicate.setLogLevelForNamespace("", "error");
    assert.equal(predicate.logLevelForNamespace("a.b"), "error");
  });

  it("says no to events without a known level or a namespace", () => {
    const predicate = new LogLevelFilterPredicate("debug");
    assert.equal(predicate({ ...sample("a", "info"), log_level: "loud" as LogLevel }), "no");
    assert.equal(
      predicate({ ...sample("a", "info"), log_namespace: undefined as unknown as string }),
      "no",
    );
  });

  it("rejects an unknown level", () => {
    assert.throws(
      () => new LogLevelFilterPredicate().setLogLevelForNamespace("a", "loud" as LogLevel),
      TypeError,
    );
  });
});
