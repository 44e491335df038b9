/**
 * Hands our events to LogTape (`@logtape/logtape`), so that an application
 * which configures LogTape sees @tw/core's events in its sinks next to its
 * own. LogTape is used because it is dependency-free, runs unchanged on Deno,
 * Node and Bun, and is built for libraries: it does nothing until the
 * application calls its `configure()`.
 *
 * @example
 * ```ts
 * import { configure, getConsoleSink } from "@logtape/logtape";
 * import { globalLogBeginner } from "@tw/core/logger";
 * import { logTapeObserver } from "@tw/core/logger/logtape";
 * await configure({
 *   sinks: { console: getConsoleSink() },
 *   loggers: [{ category: ["tw"], sinks: ["console"], lowestLevel: "info" }],
 * });
 * globalLogBeginner.beginLoggingTo([logTapeObserver({ categoryPrefix: ["tw"] })]);
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { formatEvent } from "./_format.ts";
import type { ILogObserver, LogEvent } from "./_types.ts";

/** The LogTape levels our levels map to (LogTape's `"trace"` has no counterpart here). */
export type LogTapeLevel = "debug" | "info" | "warning" | "error" | "fatal";

/** Options of {@link logTapeObserver}. */
export interface LogTapeObserverOptions {
  /**
   * Put before each event's category (its namespace split on dots).
   * @default {[]}
   */
  categoryPrefix?: readonly string[];
  /**
   * Append a failure's traceback (`log_failure`) to the message, on the lines
   * after the text. The error itself is always passed as the `error` property.
   * @default true
   */
  includeTraceback?: boolean;
}

/**
 * Returns LogTape's level for one of ours: `warn` is `"warning"`, `critical`
 * is `"fatal"`; an unknown level is `"info"`.
 *
 * @example
 * ```ts
 * import { logTapeLevel } from "@tw/core/logger/logtape";
 * console.log(logTapeLevel("warn"), logTapeLevel("critical")); // warning fatal
 * ```
 * @param level our level
 */
export function logTapeLevel(level: unknown): LogTapeLevel {
  switch (level) {
    case "debug":
      return "debug";
    case "warn":
      return "warning";
    case "error":
      return "error";
    case "critical":
      return "fatal";
    default:
      return "info";
  }
}

/**
 * Returns an observer that hands each event to LogTape: category = prefix +
 * namespace split on `.`, level mapped by {@link logTapeLevel}, message = our
 * formatted text (`formatEvent`), raw message = the format string, timestamp =
 * the event's time, properties = the event's fields without the `log_` keys,
 * plus `error` (the failure's error) when it carries a failure. Events below
 * the level LogTape is configured for are not formatted at all.
 *
 * @example
 * ```ts
 * import { Logger } from "@tw/core/logger";
 * import { logTapeObserver } from "@tw/core/logger/logtape";
 *
 * const log = new Logger("web.server", logTapeObserver({ categoryPrefix: ["tw"] }));
 * // Goes to LogTape's category ["tw", "web", "server"] at level "info".
 * log.info("Listening on {port}", { port: 8080 });
 * ```
 * @param options the category prefix and traceback choice
 */
export function logTapeObserver(options: LogTapeObserverOptions = {}): ILogObserver {
  const prefix = [...(options.categoryPrefix ?? [])];
  const includeTraceback = options.includeTraceback ?? true;
  return (event: LogEvent): void => {
    const namespace = typeof event.log_namespace === "string" ? event.log_namespace : "";
    const logger = getLogger([...prefix, ...namespace.split(".").filter((part) => part)]);
    const level = logTapeLevel(event.log_level);
    if (!logger.isEnabledFor(level)) return;
    const properties: Record<string, unknown> = {};
    for (const key of Object.keys(event)) {
      if (!key.startsWith("log_")) properties[key] = event[key];
    }
    let message = formatEvent(event);
    const failure = event.log_failure;
    if (failure) {
      if (!("error" in properties)) properties.error = failure.value;
      if (includeTraceback) {
        const traceback = failure.getTraceback();
        message = message ? `${message}\n${traceback}` : traceback;
      }
    }
    logger.emit({
      level,
      message: [message],
      rawMessage: typeof event.log_format === "string" ? event.log_format : message,
      timestamp: typeof event.log_time === "number" ? event.log_time * 1000 : Date.now(),
      properties,
    });
  };
}
