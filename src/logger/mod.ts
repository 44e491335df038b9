/**
 * Structured logging in the style of `twisted.logger`: a `Logger` emits events
 * (plain objects with a format string and fields) to a publisher, which hands
 * them to observers.
 *
 * Events emitted before the application picks its observers are kept (the
 * last 4096) by `globalLogBeginner` and replayed by
 * `globalLogBeginner.beginLoggingTo([...observers])`.
 *
 * @example
 * ```ts
 * import { consoleLogObserver, globalLogBeginner, Logger } from "@tw/core/logger";
 * const log = new Logger("myapp");
 * log.info("Listening on {port}", { port: 8080 });
 * globalLogBeginner.beginLoggingTo([consoleLogObserver()]); // prints the line above
 * ```
 * @module
 */
import { Failure } from "../internet/failure.ts";
import { globalLogPublisher } from "./_publisher.ts";
import type { ILogObserver, LogLevel } from "./_types.ts";

export {
  type ILogObserver,
  type LogEvent,
  LogLevel,
  logLevelRank,
  logLevelWithName,
} from "./_types.ts";
export {
  type BeginLoggingToOptions,
  globalLogBeginner,
  globalLogPublisher,
  LogBeginner,
  type LogBeginnerOptions,
  LogPublisher,
} from "./_publisher.ts";
export {
  type ClassicLogTextOptions,
  eventAsText,
  type EventAsTextOptions,
  formatEvent,
  formatEventAsClassicLogText,
  formatTime,
} from "./_format.ts";
export {
  type ConsoleLike,
  consoleLogObserver,
  type ConsoleLogObserverOptions,
  EventLoggingObserver,
  FileLogObserver,
  type FileLogObserverOptions,
  LimitedHistoryLogObserver,
  type LogOutput,
  textFileLogObserver,
  type TextFileLogObserverOptions,
} from "./_observers.ts";
export {
  eventAsJSON,
  eventFromJSON,
  eventsFromJSONLogFile,
  type EventsFromJSONLogFileOptions,
  jsonFileLogObserver,
  type JSONFileLogObserverOptions,
} from "./_json.ts";
export {
  FilteringLogObserver,
  type ILogFilterPredicate,
  LogLevelFilterPredicate,
  PredicateResult,
} from "./_filter.ts";
export type { FailureJSON, Unpersistable } from "./_values.ts";
export { CallableWithEvent } from "./_callable.ts";
export { Failure } from "../internet/failure.ts";

/**
 * Emits structured events under a namespace: each call makes one event (a
 * format string plus fields) and hands it to the observer, by default the
 * global publisher.
 *
 * @example
 * ```ts
 * import { EventLoggingObserver, formatEvent, Logger } from "@tw/core/logger";
 *
 * const observer = new EventLoggingObserver();
 * const log = new Logger("app.db", observer);
 * log.warn("Slow query: {ms} ms", { ms: 250 });
 * const [event] = observer.events;
 * console.log(event.log_level, formatEvent(event)); // warn Slow query: 250 ms
 * ```
 */
export class Logger {
  /** The namespace put on every event. */
  readonly namespace: string;
  #publish: ILogObserver;

  /**
   * Makes a logger.
   * @param namespace the namespace of this logger's events
   * @param observer where events go; the global publisher by default
   */
  constructor(namespace = "", observer?: ILogObserver) {
    this.namespace = namespace;
    this.#publish = observer ?? ((event) => globalLogPublisher.publish(event));
  }

  /**
   * Emits an event at `level`. The event's own `log_*` keys win over fields of the same name.
   * @param level the event's level
   * @param format a format string with `{name}` placeholders
   * @param fields the event's fields
   */
  emit(level: LogLevel, format: string, fields: Record<string, unknown> = {}): void {
    this.#publish({
      ...fields,
      log_format: format,
      log_level: level,
      log_namespace: this.namespace,
      log_time: Date.now() / 1000,
    });
  }

  /**
   * Emits a debug event.
   * @param format a format string with `{name}` placeholders
   * @param fields the event's fields
   */
  debug(format: string, fields?: Record<string, unknown>): void {
    this.emit("debug", format, fields);
  }
  /**
   * Emits an info event.
   * @param format a format string with `{name}` placeholders
   * @param fields the event's fields
   */
  info(format: string, fields?: Record<string, unknown>): void {
    this.emit("info", format, fields);
  }
  /**
   * Emits a warn event.
   * @param format a format string with `{name}` placeholders
   * @param fields the event's fields
   */
  warn(format: string, fields?: Record<string, unknown>): void {
    this.emit("warn", format, fields);
  }
  /**
   * Emits an error event.
   * @param format a format string with `{name}` placeholders
   * @param fields the event's fields
   */
  error(format: string, fields?: Record<string, unknown>): void {
    this.emit("error", format, fields);
  }
  /**
   * Emits a critical event.
   * @param format a format string with `{name}` placeholders
   * @param fields the event's fields
   */
  critical(format: string, fields?: Record<string, unknown>): void {
    this.emit("critical", format, fields);
  }

  /**
   * Emits a critical event (by default) carrying a Failure in `log_failure`.
   * @param format a format string with `{name}` placeholders
   * @param failure a Failure, or any thrown value to wrap in one
   * @param level the event's level
   * @param fields the event's fields
   */
  failure(
    format: string,
    failure: Failure | unknown,
    level: LogLevel = "critical",
    fields: Record<string, unknown> = {},
  ): void {
    const log_failure = failure instanceof Failure ? failure : new Failure(failure);
    this.emit(level, format, { ...fields, log_failure });
  }
}
