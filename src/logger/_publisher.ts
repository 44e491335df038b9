/**
 * Publishing events: the `Logger` that makes them, the publisher that fans
 * them out to observers, and the beginner that buffers them until the
 * application chooses where logging goes. (The core's modules import `Logger`
 * from here rather than from mod.ts, which would also load the JSON observers.)
 * @module
 */
import { Failure } from "../internet/failure.ts";
import { LimitedHistoryLogObserver } from "./_observers.ts";
import { formatEventAsClassicLogText } from "./_format.ts";
import { CallableWithEvent, type ILogObserver, type LogEvent, type LogLevel } from "./_types.ts";

/**
 * Fans events out to observers. An instance is itself an observer, so
 * publishers can be chained and passed to `new Logger(namespace, publisher)`.
 *
 * An observer that throws never makes `publish` throw: the other observers
 * still get the event, and then get one critical event (namespace
 * `tw.logger`, fields `observer` and `log_failure`) reporting the exception.
 * Exceptions raised while delivering that report are swallowed, so a broken
 * observer cannot start a loop.
 *
 * @example
 * ```ts
 * import { EventLoggingObserver, Logger, LogPublisher } from "@tw/core/logger";
 *
 * const first = new EventLoggingObserver();
 * const second = new EventLoggingObserver();
 * const publisher = new LogPublisher(first);
 * publisher.addObserver(second);
 * new Logger("app", publisher).info("hello");
 * console.log(first.events.length, second.events.length); // 1 1
 * ```
 */
export interface LogPublisher extends ILogObserver {}
/** Fans events out to observers. */
export class LogPublisher extends CallableWithEvent {
  #observers: ILogObserver[] = [];
  #reporting = false;

  /**
   * Makes a publisher.
   * @param observers the initial observers
   */
  constructor(...observers: ILogObserver[]) {
    super();
    for (const observer of observers) this.addObserver(observer);
  }

  /**
   * Adds an observer; adding one twice has no effect.
   * @param observer the observer
   */
  addObserver(observer: ILogObserver): void {
    if (typeof observer !== "function") {
      throw new TypeError(`Log observer must be a function, not ${typeof observer}`);
    }
    if (!this.#observers.includes(observer)) this.#observers.push(observer);
  }

  /**
   * Removes an observer; removing one not added has no effect.
   * @param observer the observer
   */
  removeObserver(observer: ILogObserver): void {
    this.#observers = this.#observers.filter((o) => o !== observer);
  }

  /** The observers, in the order they were added. */
  get observers(): readonly ILogObserver[] {
    return this.#observers;
  }

  /**
   * Delivers an event to every observer.
   * @param event the event
   */
  publish(event: LogEvent): void {
    let broken: [ILogObserver, unknown][] | undefined;
    // A copy: an observer may add or remove observers while it runs.
    for (const observer of [...this.#observers]) {
      try {
        observer(event);
      } catch (error) {
        (broken ??= []).push([observer, error]);
      }
    }
    if (broken === undefined || this.#reporting) return;
    this.#reporting = true;
    try {
      for (const [observer, error] of broken) this.#report(observer, error, broken);
    } finally {
      this.#reporting = false;
    }
  }

  #report(observer: ILogObserver, error: unknown, broken: [ILogObserver, unknown][]): void {
    const report: LogEvent = {
      log_format: "Log observer {observer} raised an exception; it missed an event",
      log_level: "critical",
      log_namespace: "tw.logger",
      log_time: Date.now() / 1000,
      log_failure: new Failure(error),
      observer,
    };
    for (const other of [...this.#observers]) {
      if (broken.some(([b]) => b === other)) continue;
      try {
        other(report);
      } catch {
        // Reporting once is the limit: see the class documentation.
      }
    }
  }

  /**
   * Same as `publish`: what calling the publisher does.
   * @param event the event
   */
  protected __call__(event: LogEvent): void {
    this.publish(event);
  }
}

/** Options of {@link LogBeginner}. */
export interface LogBeginnerOptions {
  /**
   * How many events to keep until logging begins; older ones are dropped and counted.
   * @default 4096
   */
  bufferSize?: number;
  /**
   * Where critical events are written until logging begins, one formatted
   * event (with its traceback) per call; null keeps them silent.
   * @default {console.error}: the process's standard error
   */
  errorStream?: ((text: string) => void) | null;
}

/** Options of {@link LogBeginner.beginLoggingTo}. */
export interface BeginLoggingToOptions {
  /**
   * Throw away the events buffered so far instead of replaying them.
   * @default false
   */
  discardBuffer?: boolean;
}

/**
 * Buffers a publisher's events until the application says where logging goes
 * (Twisted's `LogBeginner`): events emitted at startup, before any log
 * destination exists, are not lost.
 *
 * The buffer is an observer of the publisher from construction until the
 * first `beginLoggingTo`, keeping the last `bufferSize` events. That call
 * removes it, replays the buffer to the observers it is given (and only to
 * them), then follows the replay with a warn event if the buffer overflowed,
 * then adds those observers to the publisher. Observers added directly with
 * `publisher.addObserver` get events from the moment they are added, are not
 * replayed to, and do not end buffering: as in Twisted, only `beginLoggingTo`
 * does. Until then the buffer holds at most `bufferSize` events.
 *
 * @example
 * ```ts
 * import { EventLoggingObserver, LogBeginner, Logger, LogPublisher } from "@tw/core/logger";
 *
 * const publisher = new LogPublisher();
 * const beginner = new LogBeginner(publisher);
 * new Logger("app", publisher).info("starting"); // kept until logging begins
 * const observer = new EventLoggingObserver();
 * beginner.beginLoggingTo([observer]);
 * console.log(observer.events[0].log_format); // "starting"
 * ```
 */
export class LogBeginner {
  #publisher: LogPublisher;
  #buffer: LimitedHistoryLogObserver | undefined;
  #bufferSize: number;
  #critical: ILogObserver | undefined;
  #begun = false;

  /**
   * Starts buffering the publisher's events.
   * @param publisher the publisher to buffer and then to add observers to
   * @param options the buffer's bound
   */
  constructor(publisher: LogPublisher, options: LogBeginnerOptions = {}) {
    this.#publisher = publisher;
    this.#bufferSize = options.bufferSize ?? 4096;
    this.#buffer = new LimitedHistoryLogObserver(this.#bufferSize);
    publisher.addObserver(this.#buffer);
    const errorStream = options.errorStream === undefined
      ? (text: string) => console.error(text)
      : options.errorStream;
    if (errorStream !== null) {
      // As Twisted's LogBeginner: an exception nobody handled is never silent,
      // even before the application chose where logging goes.
      this.#critical = (event: LogEvent) => {
        if (event.log_level !== "critical") return;
        const text = formatEventAsClassicLogText(event);
        if (text !== null) errorStream(text.trimEnd());
      };
      publisher.addObserver(this.#critical);
    }
  }

  /** Whether `beginLoggingTo` has been called. */
  get begun(): boolean {
    return this.#begun;
  }

  /**
   * Starts logging to `observers`: replays the buffered events to them (unless
   * `discardBuffer`), ends buffering and adds them to the publisher. A second
   * call adds its observers and emits a warning, as Twisted does.
   * @param observers where events go from now on
   * @param options whether to replay the buffer
   */
  beginLoggingTo(observers: Iterable<ILogObserver>, options: BeginLoggingToOptions = {}): void {
    const added = [...observers];
    const buffer = this.#buffer;
    this.#buffer = undefined;
    if (buffer) this.#publisher.removeObserver(buffer);
    if (this.#critical) this.#publisher.removeObserver(this.#critical);
    this.#critical = undefined;
    if (buffer && !options.discardBuffer) {
      const replay = new LogPublisher(...added);
      buffer.replayTo(replay);
      if (buffer.dropped > 0) {
        replay.publish(beginnerEvent(
          "warn",
          "{dropped} log events were dropped before logging began (buffer of {bufferSize})",
          { dropped: buffer.dropped, bufferSize: this.#bufferSize },
        ));
      }
    }
    for (const observer of added) this.#publisher.addObserver(observer);
    if (this.#begun) {
      this.#publisher.publish(beginnerEvent(
        "warn",
        "Logging was begun more than once; observers were added again",
        {},
      ));
    }
    this.#begun = true;
  }
}

function beginnerEvent(
  level: "warn",
  format: string,
  fields: Record<string, unknown>,
): LogEvent {
  return {
    ...fields,
    log_format: format,
    log_level: level,
    log_namespace: "tw.logger",
    log_time: Date.now() / 1000,
  };
}

/** The process-wide publisher that loggers emit to by default. */
export const globalLogPublisher: LogPublisher = new LogPublisher();

/**
 * The beginner of the global publisher: buffers startup events until
 * `globalLogBeginner.beginLoggingTo([...observers])` is called.
 *
 * @example
 * ```ts
 * import { consoleLogObserver, globalLogBeginner } from "@tw/core/logger";
 * globalLogBeginner.beginLoggingTo([consoleLogObserver()]);
 * ```
 */
export const globalLogBeginner: LogBeginner = new LogBeginner(globalLogPublisher);

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
