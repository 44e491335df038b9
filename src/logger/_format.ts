/**
 * Formatting events as text: `{name}` placeholders filled from the event's
 * fields (twisted.logger's `formatEvent`), and the classic one-line form
 * (`formatEventAsClassicLogText`).
 * @module
 */
import { Failure } from "../internet/failure.ts";
import type { LogEvent } from "./_types.ts";
import { valueAsText } from "./_values.ts";

/** One piece of a parsed format string: literal text, or a placeholder's contents. */
type Piece = { text: string } | { field: string };

/**
 * Splits a format string into literal text and placeholders. `{{` and `}}`
 * stand for braces; a `{` with no closing `}` is kept as text, so a format
 * string can never make formatting throw.
 */
function parse(format: string): Piece[] {
  const pieces: Piece[] = [];
  let text = "";
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c === "{" && format[i + 1] === "{") {
      text += "{";
      i += 2;
    } else if (c === "}" && format[i + 1] === "}") {
      text += "}";
      i += 2;
    } else if (c === "{") {
      const end = format.indexOf("}", i + 1);
      if (end < 0) {
        text += format.slice(i);
        break;
      }
      if (text) pieces.push({ text });
      text = "";
      pieces.push({ field: format.slice(i + 1, end) });
      i = end + 1;
    } else {
      text += c;
      i += 1;
    }
  }
  if (text) pieces.push({ text });
  return pieces;
}

/**
 * Returns the placeholders of a format string, as written between the braces.
 * @param format a format string
 */
export function formatFields(format: string): string[] {
  const fields: string[] = [];
  for (const piece of parse(format)) if ("field" in piece) fields.push(piece.field);
  return fields;
}

const MISSING = Symbol("missing");

/**
 * Resolves a placeholder against the event: `name`, an attribute path
 * `name.attr.attr`, or an index `name[0]`. A conversion or format spec after
 * `!` or `:` (Python's `{name!r:>10}`) is accepted and ignored, except `!r`,
 * which quotes strings.
 */
function resolve(event: LogEvent, placeholder: string): string | typeof MISSING {
  const cut = placeholder.search(/[!:]/);
  const path = cut < 0 ? placeholder : placeholder.slice(0, cut);
  const quote = cut >= 0 && placeholder.slice(cut).startsWith("!r");
  const keys = path.split(/\.|\[([^\]]*)\]/).filter((k) => k !== undefined && k !== "");
  if (keys.length === 0 || !Object.hasOwn(event, keys[0])) return MISSING;
  let value: unknown = event[keys[0]];
  for (const key of keys.slice(1)) {
    if (value === null || value === undefined) return MISSING;
    const holder = Object(value) as Record<string, unknown>;
    if (!(key in holder)) return MISSING;
    value = holder[key];
  }
  return quote && typeof value === "string" ? JSON.stringify(value) : valueAsText(value);
}

/**
 * Returns the event's text: its `log_format` with each `{name}` replaced by
 * the field `name` (attribute paths `{a.b}` and indexes `{a[0]}` work too).
 * `{{` and `}}` stand for braces. A placeholder with no such field becomes
 * `<missing: name>`; a getter that throws becomes `<unformattable: name>`.
 * An event without a format has no text (`""`). Events read back from JSON
 * carry their fields' text in `log_flattened`, which is used first, so they
 * format as they did when written. Never throws.
 *
 * @example
 * ```ts
 * import { formatEvent } from "@tw/core/logger";
 * formatEvent({
 *   log_format: "{user.name} sent {{ {count} bytes }}",
 *   user: { name: "ann" },
 *   count: 3,
 *   log_level: "info",
 *   log_namespace: "demo",
 *   log_time: 0,
 * }); // "ann sent { 3 bytes }"
 * ```
 * @param event the event to format
 */
export function formatEvent(event: LogEvent): string {
  try {
    const format = event.log_format;
    if (typeof format !== "string") return "";
    const flattened = event.log_flattened;
    const flat = typeof flattened === "object" && flattened !== null
      ? flattened as Record<string, unknown>
      : undefined;
    let text = "";
    for (const piece of parse(format)) {
      if ("text" in piece) {
        text += piece.text;
        continue;
      }
      const field = piece.field;
      if (flat && typeof flat[field] === "string" && Object.hasOwn(flat, field)) {
        text += flat[field];
        continue;
      }
      let value: string | typeof MISSING;
      try {
        value = resolve(event, field);
      } catch {
        text += `<unformattable: ${field}>`;
        continue;
      }
      text += value === MISSING ? `<missing: ${field}>` : value;
    }
    return text;
  } catch (error) {
    return `Unable to format event: ${valueAsText(error)}`;
  }
}

/**
 * Returns `{placeholder: text}` for every placeholder of the event's format
 * that resolves, which is what `formatEvent` needs to reproduce the text once
 * the fields themselves are gone or degraded (Twisted's `flattenEvent`).
 * @param event the event
 */
export function flattenFields(event: LogEvent): Record<string, string> {
  const flat: Record<string, string> = {};
  if (typeof event.log_format !== "string") return flat;
  for (const field of formatFields(event.log_format)) {
    try {
      const value = resolve(event, field);
      if (value !== MISSING) flat[field] = value;
    } catch {
      // Left out: formatting the read-back event reports it as unformattable.
    }
  }
  return flat;
}

/**
 * Returns an event time (seconds since the epoch) as ISO 8601 text in UTC,
 * such as `2026-01-02T03:04:05.678Z`, or `-` when there is no valid time.
 *
 * @example
 * ```ts
 * import { formatTime } from "@tw/core/logger";
 * console.log(formatTime(1.5)); // "1970-01-01T00:00:01.500Z"
 * console.log(formatTime(undefined)); // "-"
 * ```
 * @param time seconds since the epoch
 */
export function formatTime(time: unknown): string {
  if (typeof time !== "number" || !Number.isFinite(time)) return "-";
  const date = new Date(time * 1000);
  return Number.isNaN(date.getTime()) ? "-" : date.toISOString();
}

/** Options of {@link eventAsText}. */
export interface EventAsTextOptions {
  /**
   * Append the failure's traceback (`log_failure`) on the lines after the text.
   * @default true
   */
  includeTraceback?: boolean;
  /**
   * Start with the event's time.
   * @default false
   */
  includeTimestamp?: boolean;
  /**
   * Add `[system]`: the event's `log_system`, or `namespace#level`.
   * @default false
   */
  includeSystem?: boolean;
  /**
   * Formats the event's time.
   * @default {formatTime}
   */
  formatTime?: (time: unknown) => string;
}

/**
 * Returns the event's system label: `log_system` when set, else `namespace#level`
 * (`-` for a part that is missing).
 * @param event the event
 */
export function eventSystem(event: LogEvent): string {
  if (typeof event.log_system === "string") return event.log_system;
  const namespace = typeof event.log_namespace === "string" && event.log_namespace
    ? event.log_namespace
    : "-";
  const level = typeof event.log_level === "string" ? event.log_level : "-";
  return `${namespace}#${level}`;
}

function traceback(event: LogEvent): string {
  const failure = event.log_failure as unknown;
  if (failure === undefined || failure === null) return "";
  try {
    if (failure instanceof Failure) return failure.getTraceback();
    const getTraceback = (failure as { getTraceback?: unknown }).getTraceback;
    if (typeof getTraceback === "function") return String(getTraceback.call(failure));
    return valueAsText(failure);
  } catch (error) {
    return `(unable to obtain traceback: ${valueAsText(error)})`;
  }
}

/**
 * Returns the event as human-readable text (Twisted's `eventAsText`): its
 * formatted text, then the failure's traceback, optionally preceded by time and
 * system. Returns `""` when the event has neither text nor failure.
 *
 * @example
 * ```ts
 * import { eventAsText } from "@tw/core/logger";
 * const text = eventAsText({
 *   log_format: "Listening on {port}",
 *   port: 8080,
 *   log_level: "info",
 *   log_namespace: "web",
 *   log_time: 0,
 * }, { includeSystem: true });
 * console.log(text); // "[web#info] Listening on 8080"
 * ```
 * @param event the event
 * @param options what to include
 */
export function eventAsText(event: LogEvent, options: EventAsTextOptions = {}): string {
  let text = formatEvent(event);
  if (options.includeTraceback ?? true) {
    const tb = traceback(event);
    if (tb) text = text ? `${text}\n${tb}` : tb;
  }
  if (!text) return "";
  let prefix = "";
  if (options.includeTimestamp) prefix += `${(options.formatTime ?? formatTime)(event.log_time)} `;
  if (options.includeSystem) prefix += `[${eventSystem(event)}] `;
  return prefix + text;
}

/** Options of {@link formatEventAsClassicLogText}. */
export interface ClassicLogTextOptions {
  /**
   * Formats the event's time.
   * @default {formatTime}
   */
  formatTime?: (time: unknown) => string;
}

/**
 * Returns the event as one classic log line, ending with a newline:
 * `2026-01-02T03:04:05.678Z [namespace#level] text`, the failure's traceback
 * after it; lines after the first are indented with a tab so a reader can tell
 * where each event starts. Returns `null` for an event with no text.
 *
 * @example
 * ```ts
 * import { formatEventAsClassicLogText } from "@tw/core/logger";
 * formatEventAsClassicLogText({
 *   log_format: "Listening on {port}",
 *   port: 8080,
 *   log_level: "info",
 *   log_namespace: "web",
 *   log_time: 0,
 * }); // "1970-01-01T00:00:00.000Z [web#info] Listening on 8080\n"
 * ```
 * @param event the event
 * @param options how to format the time
 */
export function formatEventAsClassicLogText(
  event: LogEvent,
  options: ClassicLogTextOptions = {},
): string | null {
  const text = eventAsText(event);
  if (!text) return null;
  const time = (options.formatTime ?? formatTime)(event.log_time);
  return `${time} [${eventSystem(event)}] ${text.replaceAll("\n", "\n\t")}\n`;
}
