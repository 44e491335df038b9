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
  Logger,
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
} from "./_observers.ts";
export type { FailureJSON, Unpersistable } from "./_values.ts";
export { CallableWithEvent } from "./_types.ts";
export { Failure } from "../internet/failure.ts";
