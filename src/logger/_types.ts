/**
 * The shapes every logger module shares: levels, events and observers, and
 * `CallableWithEvent`, the base of the observer classes.
 * @module
 */
import type { Failure } from "../internet/failure.ts";

/** The log levels, least to most severe. */
export const LogLevel = {
  debug: "debug",
  info: "info",
  warn: "warn",
  error: "error",
  critical: "critical",
} as const;
/** One of the log levels. */
export type LogLevel = typeof LogLevel[keyof typeof LogLevel];

const ORDER: readonly string[] = ["debug", "info", "warn", "error", "critical"];

/**
 * Returns the rank of `level` (0 for debug up to 4 for critical), or -1 when it is no level.
 * Ranks are what filters compare: Twisted's levels are ordered constants.
 *
 * @example
 * ```ts
 * import { logLevelRank } from "@tw/core/logger";
 * console.log(logLevelRank("warn") > logLevelRank("info")); // true
 * console.log(logLevelRank("verbose")); // -1
 * ```
 * @param level a level name
 */
export function logLevelRank(level: unknown): number {
  return typeof level === "string" ? ORDER.indexOf(level) : -1;
}

/**
 * Returns the level named `name` (Twisted's `LogLevel.levelWithName`), for configuration text.
 *
 * @example
 * ```ts
 * import { LogLevelFilterPredicate, logLevelWithName } from "@tw/core/logger";
 * const level = logLevelWithName("debug"); // throws a TypeError for "verbose"
 * const predicate = new LogLevelFilterPredicate(level);
 * console.log(predicate.defaultLogLevel); // "debug"
 * ```
 * @param name a level name, such as `"warn"`
 * @throws {TypeError} when `name` is no level
 */
export function logLevelWithName(name: string): LogLevel {
  if (logLevelRank(name) < 0) throw new TypeError(`Invalid log level: ${JSON.stringify(name)}`);
  return name as LogLevel;
}

/** A log event: the format string, its level, namespace and time, plus any fields. */
export interface LogEvent {
  /** A format string with `{name}` placeholders filled from the event's fields. */
  log_format: string;
  /** The event's level. */
  log_level: LogLevel;
  /** The namespace of the logger that emitted it. */
  log_namespace: string;
  /** Seconds since the epoch. */
  log_time: number;
  /** The failure, for events made by `Logger.failure`. */
  log_failure?: Failure;
  /** Any other field. */
  [field: string]: unknown;
}

/** An observer receives every event published to it. */
export type ILogObserver = (event: LogEvent) => void;

// A base class whose instances are functions, so that Twisted's observer and
// predicate classes (which Python calls through `__call__`) can be passed
// anywhere a plain function is expected: `publisher.addObserver(new
// FilteringLogObserver(...))`. The constructor returns a function whose
// prototype is the subclass's; subclass fields, `#private` ones included, are
// installed on that function, so `instanceof` and private state work as usual.

/**
 * A class whose instances can be called with an event; subclasses implement `__call__`.
 * Declare an interface of the same name extending `ILogObserver` to call instances as functions.
 *
 * @example
 * ```ts
 * import { CallableWithEvent, type ILogObserver, type LogEvent, Logger } from "@tw/core/logger";
 *
 * interface Counter extends ILogObserver {}
 * class Counter extends CallableWithEvent {
 *   count = 0;
 *   protected __call__(_event: LogEvent): void {
 *     this.count++;
 *   }
 * }
 * const counter = new Counter();
 * new Logger("app", counter).info("hello");
 * console.log(counter.count); // 1
 * ```
 */
export abstract class CallableWithEvent {
  constructor() {
    const call = function (event: LogEvent): unknown {
      return (call as unknown as CallableWithEvent).__call__(event);
    };
    Object.setPrototypeOf(call, new.target.prototype);
    return call as unknown as CallableWithEvent;
  }

  /**
   * What calling the instance does.
   * @param event the event the instance is called with
   */
  protected abstract __call__(event: LogEvent): unknown;
}
// Instances keep `call`, `apply` and `bind`, as any function does.
Object.setPrototypeOf(CallableWithEvent.prototype, Function.prototype);
