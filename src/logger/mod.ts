/**
 * Structured logging in the style of `twisted.logger`: a `Logger` emits events
 * (plain objects with a format string and fields) to a publisher, which hands
 * them to observers.
 *
 * @example
 * ```ts
 * import { Logger } from "@tw/core/logger";
 * const log = new Logger("myapp");
 * log.info("Listening on {port}", { port: 8080 });
 * ```
 * @module
 */
import { Failure } from "../internet/failure.ts";

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

/** Fans events out to observers; an observer that throws is removed from that dispatch only. */
export class LogPublisher {
  #observers: ILogObserver[] = [];

  /** Adds an observer. */
  addObserver(observer: ILogObserver): void {
    if (!this.#observers.includes(observer)) this.#observers.push(observer);
  }

  /** Removes an observer. */
  removeObserver(observer: ILogObserver): void {
    this.#observers = this.#observers.filter((o) => o !== observer);
  }

  /** Delivers an event to every observer. */
  publish(event: LogEvent): void {
    for (const observer of this.#observers) {
      try {
        observer(event);
      } catch {
        // An observer failing must not take the emitter down with it.
      }
    }
  }
}

/** The process-wide publisher that loggers emit to by default. */
export const globalLogPublisher: LogPublisher = new LogPublisher();

/** Emits structured events under a namespace. */
export class Logger {
  /** The namespace put on every event. */
  readonly namespace: string;
  #publish: ILogObserver;

  /**
   * Creates a logger.
   * @param namespace the namespace of this logger's events
   * @param observer where events go; the global publisher by default
   */
  constructor(namespace = "", observer?: ILogObserver) {
    this.namespace = namespace;
    this.#publish = observer ?? ((event) => globalLogPublisher.publish(event));
  }

  /** Emits an event at `level`. */
  emit(level: LogLevel, format: string, fields: Record<string, unknown> = {}): void {
    this.#publish({
      ...fields,
      log_format: format,
      log_level: level,
      log_namespace: this.namespace,
      log_time: Date.now() / 1000,
    });
  }

  /** Emits a debug event. */
  debug(format: string, fields?: Record<string, unknown>): void {
    this.emit("debug", format, fields);
  }
  /** Emits an info event. */
  info(format: string, fields?: Record<string, unknown>): void {
    this.emit("info", format, fields);
  }
  /** Emits a warn event. */
  warn(format: string, fields?: Record<string, unknown>): void {
    this.emit("warn", format, fields);
  }
  /** Emits an error event. */
  error(format: string, fields?: Record<string, unknown>): void {
    this.emit("error", format, fields);
  }
  /** Emits a critical event. */
  critical(format: string, fields?: Record<string, unknown>): void {
    this.emit("critical", format, fields);
  }

  /** Emits a critical event (by default) carrying a Failure in `log_failure`. */
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
