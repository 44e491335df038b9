/**
 * Observers: text lines to a write function or stream, console output by
 * level, in-memory observers for tests and startup buffering, and observers
 * that filter by predicates (Twisted's `FilteringLogObserver`,
 * `PredicateResult` and `LogLevelFilterPredicate`).
 * @module
 */
import { eventAsText, formatEventAsClassicLogText, formatTime } from "./_format.ts";
import {
  CallableWithEvent,
  type ILogObserver,
  type LogEvent,
  type LogLevel,
  logLevelRank,
} from "./_types.ts";

/**
 * Where a file observer writes: a function taking text, or a Web
 * `WritableStream` of bytes (UTF-8) or of strings (see `encode`).
 */
export type LogOutput =
  | ((text: string) => void)
  | WritableStream<Uint8Array>
  | WritableStream<string>;

/** Options of {@link FileLogObserver}. */
export interface FileLogObserverOptions {
  /**
   * For a stream output: encode text to UTF-8 bytes before writing. Set it to
   * false for a stream that takes strings (such as a `TextEncoderStream`'s writable).
   * @default true
   */
  encode?: boolean;
  /**
   * For a stream output: how many writes may wait for the stream before
   * events are dropped (counted, and reported in the output once it drains),
   * so a slow stream cannot make the log grow memory without bound.
   * @default 1024
   */
  maxPendingWrites?: number;
}

/**
 * Writes each event as text produced by a format function (Twisted's
 * `FileLogObserver`); events formatted to `null` or `""` are skipped. An
 * instance is itself an observer function.
 *
 * @example
 * ```ts
 * import { FileLogObserver, formatEvent, Logger } from "@tw/core/logger";
 *
 * const lines: string[] = [];
 * const observer = new FileLogObserver(
 *   (text) => lines.push(text),
 *   (event) => `${event.log_level}: ${formatEvent(event)}\n`,
 * );
 * new Logger("app", observer).info("{n} users", { n: 2 });
 * await observer.close();
 * console.log(lines); // [ "info: 2 users\n" ]
 * ```
 */
export interface FileLogObserver extends ILogObserver {}
/** Writes formatted events to a write function or a stream. */
export class FileLogObserver extends CallableWithEvent {
  #write: ((text: string) => void) | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array | string> | undefined;
  #encoder: TextEncoder | undefined;
  #format: (event: LogEvent) => string | null;
  #pending = 0;
  #maxPending: number;
  #dropped = 0;
  #error: unknown = undefined;
  #failed = false;
  #closed = false;

  /**
   * Makes an observer writing to `output`.
   * @param output a write function, or a stream (this observer takes its writer's lock)
   * @param format turns an event into the text to write, or `null` to skip it
   * @param options stream options
   */
  constructor(
    output: LogOutput,
    format: (event: LogEvent) => string | null,
    options: FileLogObserverOptions = {},
  ) {
    super();
    this.#format = format;
    this.#maxPending = options.maxPendingWrites ?? 1024;
    if (typeof output === "function") {
      this.#write = output;
    } else {
      this.#writer = (output as WritableStream<Uint8Array | string>).getWriter();
      if (options.encode ?? true) this.#encoder = new TextEncoder();
    }
  }

  /**
   * Formats and writes one event.
   * @param event the event
   */
  protected __call__(event: LogEvent): void {
    if (this.#closed) return;
    const text = this.#format(event);
    if (!text) return;
    if (this.#write) {
      this.#write(text);
      return;
    }
    if (this.#pending >= this.#maxPending) {
      this.#dropped += 1;
      return;
    }
    if (this.#dropped > 0) {
      const note = `${formatTime(Date.now() / 1000)} [-#warn] ${this.#dropped} log events ` +
        "dropped: the output stream was too slow\n";
      this.#dropped = 0;
      this.#send(note);
    }
    this.#send(text);
  }

  #send(text: string): void {
    const writer = this.#writer!;
    this.#pending += 1;
    writer.write(this.#encoder ? this.#encoder.encode(text) : text).then(
      () => {
        this.#pending -= 1;
      },
      (error) => {
        // Reported by close(): an observer cannot report its own failure in the log it writes.
        this.#pending -= 1;
        if (!this.#failed) {
          this.#failed = true;
          this.#error = error;
        }
      },
    );
  }

  /**
   * Stops writing; for a stream output, waits for pending writes and closes
   * the stream. Rejects with the first write error, if any.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#writer) {
      try {
        await this.#writer.close();
      } catch (error) {
        if (!this.#failed) {
          this.#failed = true;
          this.#error = error;
        }
      }
    }
    if (this.#failed) throw this.#error;
  }
}

/** Options of {@link textFileLogObserver}. */
export interface TextFileLogObserverOptions extends FileLogObserverOptions {
  /**
   * Formats each event's time.
   * @default {formatTime}
   */
  formatTime?: (time: unknown) => string;
}

/**
 * Returns an observer that writes each event as a classic text line
 * (`formatEventAsClassicLogText`), Twisted's `textFileLogObserver`. Runtime
 * free: give it a write function or a `WritableStream`.
 *
 * @example
 * ```ts
 * import { Logger, LogPublisher, textFileLogObserver } from "@tw/core/logger";
 * const lines: string[] = [];
 * const publisher = new LogPublisher();
 * publisher.addObserver(textFileLogObserver((text) => lines.push(text)));
 * new Logger("app", publisher).info("ready");
 * ```
 * @param output a write function or a stream
 * @param options time format and stream options
 */
export function textFileLogObserver(
  output: LogOutput,
  options: TextFileLogObserverOptions = {},
): FileLogObserver {
  const timeFormat = options.formatTime;
  return new FileLogObserver(
    output,
    (event) => formatEventAsClassicLogText(event, { formatTime: timeFormat }),
    options,
  );
}

/** The console methods {@link consoleLogObserver} calls. */
export interface ConsoleLike {
  /** Receives debug events. */
  debug(...data: unknown[]): void;
  /** Receives info events. */
  info(...data: unknown[]): void;
  /** Receives warn events. */
  warn(...data: unknown[]): void;
  /** Receives error and critical events, and events with an unknown level. */
  error(...data: unknown[]): void;
}

/** Options of {@link consoleLogObserver}. */
export interface ConsoleLogObserverOptions {
  /**
   * The console to write to.
   * @default {globalThis.console}
   */
  console?: ConsoleLike;
}

/**
 * Returns an observer that writes each event to the console method of its
 * level (`debug`, `info`, `warn`; `error` for error and critical), as
 * `[namespace#level] text` plus any traceback: the counterpart of Twisted's
 * `STDLibLogObserver`, for the runtime's own console.
 *
 * @example
 * ```ts
 * import { consoleLogObserver, Logger } from "@tw/core/logger";
 * const log = new Logger("app", consoleLogObserver());
 * log.warn("Disk {percent}% full", { percent: 91 }); // console.warn: "[app#warn] Disk 91% full"
 * ```
 * @param options which console
 */
export function consoleLogObserver(options: ConsoleLogObserverOptions = {}): ILogObserver {
  const target = options.console ?? globalThis.console;
  return (event) => {
    const text = eventAsText(event, { includeSystem: true });
    if (!text) return;
    switch (event.log_level) {
      case "debug":
        return target.debug(text);
      case "info":
        return target.info(text);
      case "warn":
        return target.warn(text);
      default:
        return target.error(text);
    }
  };
}

/**
 * Keeps every event it observes, in order (Twisted's `EventLoggingObserver`
 * from twisted.internet.testing): add it to a publisher in a test, then
 * assert on `events`.
 *
 * @example
 * ```ts
 * import { EventLoggingObserver, Logger, LogPublisher } from "@tw/core/logger";
 * const publisher = new LogPublisher();
 * const observer = new EventLoggingObserver();
 * publisher.addObserver(observer);
 * new Logger("test", publisher).warn("careful");
 * observer.events[0].log_level; // "warn"
 * ```
 */
export interface EventLoggingObserver extends ILogObserver {}
/** An observer that records events in memory. */
export class EventLoggingObserver extends CallableWithEvent {
  #events: LogEvent[] = [];

  /**
   * Records one event.
   * @param event the event
   */
  protected __call__(event: LogEvent): void {
    this.#events.push(event);
  }

  /** The events observed so far, oldest first. */
  get events(): readonly LogEvent[] {
    return this.#events;
  }

  /** Forgets the events observed so far. */
  clear(): void {
    this.#events = [];
  }
}

/**
 * Keeps the last `size` events it observes and can replay them to another
 * observer (Twisted's `LimitedHistoryLogObserver`). Counts the events it had
 * to drop to stay within its bound.
 *
 * @example
 * ```ts
 * import { formatEvent, LimitedHistoryLogObserver, Logger } from "@tw/core/logger";
 *
 * const history = new LimitedHistoryLogObserver(2);
 * const log = new Logger("app", history);
 * for (const step of ["one", "two", "three"]) log.info(step);
 * console.log(history.getHistory().map(formatEvent)); // [ "two", "three" ]
 * console.log(history.dropped); // 1
 * ```
 */
export interface LimitedHistoryLogObserver extends ILogObserver {}
/** An observer that keeps a bounded history of events. */
export class LimitedHistoryLogObserver extends CallableWithEvent {
  #ring: (LogEvent | undefined)[];
  #start = 0;
  #count = 0;
  #dropped = 0;

  /**
   * Makes an empty history.
   * @param size how many events to keep (at least 1)
   */
  constructor(size: number = 128) {
    super();
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`History size must be a positive integer, not ${size}`);
    }
    this.#ring = new Array(size);
  }

  /**
   * Records one event, dropping the oldest when full.
   * @param event the event
   */
  protected __call__(event: LogEvent): void {
    const size = this.#ring.length;
    if (this.#count < size) {
      this.#ring[(this.#start + this.#count) % size] = event;
      this.#count += 1;
    } else {
      this.#ring[this.#start] = event;
      this.#start = (this.#start + 1) % size;
      this.#dropped += 1;
    }
  }

  /** How many events were dropped because the history was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The kept events, oldest first. */
  getHistory(): LogEvent[] {
    const size = this.#ring.length;
    const history: LogEvent[] = [];
    for (let i = 0; i < this.#count; i++) history.push(this.#ring[(this.#start + i) % size]!);
    return history;
  }

  /**
   * Calls `observer` with each kept event, oldest first.
   * @param observer where the history goes
   */
  replayTo(observer: ILogObserver): void {
    for (const event of this.getHistory()) observer(event);
  }
}

// ---------------------------------------------------------------------------
// Filtering by predicates

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
