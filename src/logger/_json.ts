/**
 * JSON logs: one event per line (or per record-separator record, Twisted's
 * format), written by `jsonFileLogObserver` and read back by
 * `eventsFromJSONLogFile`.
 * @module
 */
import { flattenFields } from "./_format.ts";
import { FileLogObserver, type FileLogObserverOptions, type LogOutput } from "./_observers.ts";
import type { LogEvent } from "./_types.ts";
import { failureFromJSON, isFailureJSON, toJSONable } from "./_values.ts";

/**
 * Returns the event as one line of JSON, without a newline. Never throws:
 * a Failure becomes `{$type: "Failure", type, message, traceback}`; values
 * JSON cannot carry (bigints, functions, cycles, errors, maps ...) become
 * `{unpersistable: true, repr}`. The text of every placeholder of the format
 * is saved in `log_flattened`, so the read-back event formats as the original did.
 *
 * @example
 * ```ts
 * import { eventAsJSON } from "@tw/core/logger";
 * const json = eventAsJSON({
 *   log_format: "{n} items",
 *   n: 3,
 *   log_level: "info",
 *   log_namespace: "app",
 *   log_time: 0,
 * });
 * console.log(JSON.parse(json).log_flattened); // { n: "3" }
 * ```
 * @param event the event
 */
export function eventAsJSON(event: LogEvent): string {
  // Text flattened earlier (an event read back from JSON) wins over the degraded fields.
  const earlier = typeof event.log_flattened === "object" && event.log_flattened !== null
    ? event.log_flattened
    : {};
  const data = toJSONable({ ...event, log_flattened: { ...flattenFields(event), ...earlier } });
  try {
    return JSON.stringify(data);
  } catch {
    // toJSONable leaves nothing JSON.stringify rejects; this is a last resort.
    return JSON.stringify({ log_format: "Unable to serialise event", log_level: "error" });
  }
}

/**
 * Reads one event written by `eventAsJSON`; serialised Failures come back as
 * Failures whose error has the original `name`, `message` and `stack` (its
 * class is `Error`).
 *
 * @example
 * ```ts
 * import { eventAsJSON, eventFromJSON, Failure, formatEvent } from "@tw/core/logger";
 * const json = eventAsJSON({
 *   log_format: "Lost {peer}",
 *   peer: "10.0.0.2",
 *   log_failure: new Failure(new RangeError("bad length")),
 *   log_level: "error",
 *   log_namespace: "app",
 *   log_time: 0,
 * });
 * const event = eventFromJSON(json);
 * console.log(formatEvent(event)); // "Lost 10.0.0.2"
 * console.log(event.log_failure?.value.name); // "RangeError"
 * ```
 * @param json one JSON record
 * @throws {SyntaxError} when `json` is not JSON for an object
 */
export function eventFromJSON(json: string): LogEvent {
  const value: unknown = JSON.parse(json, (_key, value) => {
    return isFailureJSON(value) ? failureFromJSON(value) : value;
  });
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SyntaxError("A JSON log record must be an object");
  }
  return value as LogEvent;
}

/** Options of {@link eventsFromJSONLogFile}. */
export interface EventsFromJSONLogFileOptions {
  /**
   * The record separator. By default it is `"\x1e"` when the text starts with
   * one (Twisted's format) and a newline otherwise (JSON lines).
   */
  recordSeparator?: string;
}

/**
 * Reads every event of a JSON log. Records that are not valid JSON objects
 * (a line cut short by a crash, say) are skipped.
 *
 * @example
 * ```ts
 * import { eventsFromJSONLogFile } from "@tw/core/logger";
 * const text = '{"log_format":"one","log_level":"info"}\n{"log_format":"tw';
 * const events = eventsFromJSONLogFile(text); // the cut-short second line is skipped
 * console.log(events.length, events[0].log_format); // 1 one
 * ```
 * @param text the log's contents
 * @param options the record separator
 */
export function eventsFromJSONLogFile(
  text: string,
  options: EventsFromJSONLogFileOptions = {},
): LogEvent[] {
  const separator = options.recordSeparator || (text.startsWith("\x1e") ? "\x1e" : "\n");
  const events: LogEvent[] = [];
  for (const record of text.split(separator)) {
    const trimmed = record.trim();
    if (!trimmed) continue;
    try {
      events.push(eventFromJSON(trimmed));
    } catch {
      // Skipped, as Twisted does with truncated records.
    }
  }
  return events;
}

/** Options of {@link jsonFileLogObserver}. */
export interface JSONFileLogObserverOptions extends FileLogObserverOptions {
  /**
   * Written before each record. Twisted writes `"\x1e"` (RFC 7464 JSON text
   * sequences); the default writes plain JSON lines.
   * @default {""}
   */
  recordSeparator?: string;
}

/**
 * Returns an observer that writes each event as one JSON object per line
 * (`eventAsJSON`), which `eventsFromJSONLogFile` reads back.
 *
 * @example
 * ```ts
 * import { eventsFromJSONLogFile, jsonFileLogObserver, Logger } from "@tw/core/logger";
 * let text = "";
 * const log = new Logger("app", jsonFileLogObserver((line) => text += line));
 * log.info("{n} items", { n: 3 });
 * eventsFromJSONLogFile(text)[0].n; // 3
 * ```
 * @param output a write function or a stream
 * @param options record separator and stream options
 */
export function jsonFileLogObserver(
  output: LogOutput,
  options: JSONFileLogObserverOptions = {},
): FileLogObserver {
  const separator = options.recordSeparator ?? "";
  return new FileLogObserver(output, (event) => `${separator}${eventAsJSON(event)}\n`, options);
}
