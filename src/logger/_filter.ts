/**
 * Filtering observers by predicates (Twisted's `FilteringLogObserver`,
 * `PredicateResult` and `LogLevelFilterPredicate`).
 * @module
 */
import { CallableWithEvent } from "./_callable.ts";
import { type ILogObserver, type LogEvent, type LogLevel, logLevelRank } from "./_types.ts";

/** What a filter predicate says about an event. */
export const PredicateResult = {
  /** Deliver the event; later predicates are not asked. */
  yes: "yes",
  /** Drop the event (hand it to the negative observer); later predicates are not asked. */
  no: "no",
  /** No opinion: ask the next predicate; an event every predicate is unsure of is delivered. */
  maybe: "maybe",
} as const;
/** One of the predicate results. */
export type PredicateResult = typeof PredicateResult[keyof typeof PredicateResult];

/** A filter predicate: says yes, no or maybe to an event. */
export type ILogFilterPredicate = (event: LogEvent) => PredicateResult;

/**
 * Passes on the events its predicates accept. Predicates are asked in order;
 * the first `yes` or `no` decides; if all say `maybe`, the event is delivered.
 * Rejected events go to the negative observer, if any.
 *
 * @example
 * ```ts
 * import {
 *   EventLoggingObserver,
 *   FilteringLogObserver,
 *   LogLevelFilterPredicate,
 *   LogPublisher,
 * } from "@tw/core/logger";
 * const kept = new EventLoggingObserver();
 * const levels = new LogLevelFilterPredicate("warn");
 * levels.setLogLevelForNamespace("app.db", "debug");
 * const publisher = new LogPublisher(new FilteringLogObserver(kept, [levels]));
 * ```
 */
export interface FilteringLogObserver extends ILogObserver {}
/** An observer that forwards only the events its predicates accept. */
export class FilteringLogObserver extends CallableWithEvent {
  #observer: ILogObserver;
  #predicates: ILogFilterPredicate[];
  #negativeObserver: ILogObserver | undefined;

  /**
   * Makes a filter in front of `observer`.
   * @param observer receives accepted events
   * @param predicates asked in order about each event
   * @param negativeObserver receives rejected events
   */
  constructor(
    observer: ILogObserver,
    predicates: Iterable<ILogFilterPredicate>,
    negativeObserver?: ILogObserver,
  ) {
    super();
    this.#observer = observer;
    this.#predicates = [...predicates];
    this.#negativeObserver = negativeObserver;
  }

  /**
   * Asks the predicates about `event` and forwards it accordingly.
   * @param event the event
   */
  protected __call__(event: LogEvent): void {
    for (const predicate of this.#predicates) {
      const result = predicate(event);
      if (result === "yes") break;
      if (result === "no") {
        this.#negativeObserver?.(event);
        return;
      }
    }
    this.#observer(event);
  }
}

/**
 * Says `no` to events below the level set for their namespace, `maybe` to
 * the others. A namespace's level is the one set for it, else for its nearest
 * dotted parent (`a.b` for `a.b.c`, then `a`), else `defaultLogLevel`.
 * Events without a known level or a string namespace get `no`, as in Twisted.
 *
 * @example
 * ```ts
 * import { type LogEvent, LogLevelFilterPredicate } from "@tw/core/logger";
 *
 * const predicate = new LogLevelFilterPredicate("warn");
 * predicate.setLogLevelForNamespace("app.db", "debug");
 * const event: LogEvent = {
 *   log_format: "Query took {ms} ms",
 *   log_level: "debug",
 *   log_namespace: "app.db.pool",
 *   log_time: 0,
 * };
 * console.log(predicate(event)); // "maybe"
 * console.log(predicate({ ...event, log_namespace: "app.web" })); // "no"
 * ```
 */
export interface LogLevelFilterPredicate extends ILogFilterPredicate {}
/** A predicate filtering by per-namespace minimum levels. */
export class LogLevelFilterPredicate extends CallableWithEvent {
  /** The level of namespaces with no level of their own or of a parent. */
  defaultLogLevel: LogLevel;
  #levels = new Map<string, LogLevel>();

  /**
   * Makes a predicate with no namespace levels set.
   * @param defaultLogLevel the level of namespaces not otherwise set
   */
  constructor(defaultLogLevel: LogLevel = "info") {
    super();
    this.defaultLogLevel = defaultLogLevel;
  }

  /**
   * Sets the minimum level of a namespace and, unless they have their own, its children.
   * @param namespace a dotted namespace such as `tw.web`
   * @param level the minimum level of its events
   */
  setLogLevelForNamespace(namespace: string, level: LogLevel): void {
    if (logLevelRank(level) < 0) throw new TypeError(`Invalid log level: ${String(level)}`);
    this.#levels.set(namespace, level);
  }

  /**
   * Returns the minimum level that applies to a namespace.
   * @param namespace a dotted namespace
   */
  logLevelForNamespace(namespace: string): LogLevel {
    let name = namespace;
    while (name) {
      const level = this.#levels.get(name);
      if (level !== undefined) return level;
      const dot = name.lastIndexOf(".");
      name = dot < 0 ? "" : name.slice(0, dot);
    }
    return this.#levels.get("") ?? this.defaultLogLevel;
  }

  /** Forgets every namespace's level. */
  clearLogLevels(): void {
    this.#levels.clear();
  }

  /**
   * Judges one event.
   * @param event the event
   */
  protected __call__(event: LogEvent): PredicateResult {
    const rank = logLevelRank(event.log_level);
    if (rank < 0 || typeof event.log_namespace !== "string") return "no";
    return rank < logLevelRank(this.logLevelForNamespace(event.log_namespace)) ? "no" : "maybe";
  }
}
