/**
 * Turning any field value into text (for format strings) or into JSON-able
 * data (for JSON logs), without ever throwing: a log call must not fail
 * because of what it logs.
 * @module
 */
import { Failure } from "../internet/failure.ts";

/** What a value that JSON cannot carry becomes: Twisted's marker plus a short description. */
export interface Unpersistable {
  /** Always true: the value was not kept. */
  unpersistable: true;
  /** A short description of the value. */
  repr: string;
}

/** A Failure as JSON: its error's type name, message and traceback. */
export interface FailureJSON {
  /** Marks the object as a serialised Failure. */
  $type: "Failure";
  /** The error's name, such as `"RangeError"`. */
  type: string;
  /** The error's message. */
  message: string;
  /** The error's stack (or name and message), plus any debug info. */
  traceback: string;
}

function unpersistable(repr: string): Unpersistable {
  return { unpersistable: true, repr };
}

/** Describes a function by name only: its source would flood the log. */
function describeFunction(fn: unknown): string {
  let name = "";
  try {
    name = String((fn as { name?: unknown }).name ?? "");
  } catch {
    // A throwing getter leaves the function anonymous.
  }
  return name ? `[function ${name}]` : "[function]";
}

/**
 * Returns a Failure's JSON form.
 * @param failure the failure
 */
export function failureAsJSON(failure: Failure): FailureJSON {
  let type = "Error", message = "", traceback = "";
  try {
    type = String(failure.value.name);
    message = String(failure.getErrorMessage());
    traceback = String(failure.getTraceback());
  } catch {
    // Keep what was read before the error's own getters failed.
  }
  return { $type: "Failure", type, message, traceback };
}

/**
 * Rebuilds a Failure from its JSON form: the error's `name` is the original
 * type's name and its `stack` the original traceback; its class is `Error`.
 * @param json the serialised failure
 */
export function failureFromJSON(json: FailureJSON): Failure {
  const error = new Error(String(json.message ?? ""));
  error.name = String(json.type ?? "Error");
  error.stack = String(json.traceback ?? `${error.name}: ${error.message}`);
  return new Failure(error);
}

/** Tells whether `value` is a serialised Failure. */
export function isFailureJSON(value: unknown): value is FailureJSON {
  return typeof value === "object" && value !== null &&
    (value as { $type?: unknown }).$type === "Failure";
}

/**
 * Returns `value` as data `JSON.stringify` can write without throwing and
 * without losing the shape: bigints, functions, symbols, non-finite numbers,
 * errors, maps, sets and cycles become `{unpersistable: true, repr}`, typed
 * arrays become arrays of numbers, Failures become {@link FailureJSON}.
 * @param value any value
 */
export function toJSONable(value: unknown): unknown {
  return convert(value, []);
}

function convert(value: unknown, ancestors: object[]): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return value;
    case "number":
      return Number.isFinite(value) ? value : unpersistable(String(value));
    case "bigint":
      return unpersistable(`${value}n`);
    case "symbol":
      return unpersistable(value.toString());
    case "function":
      return unpersistable(describeFunction(value));
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.includes(object)) return unpersistable("[Circular]");
  try {
    if (object instanceof Failure) return failureAsJSON(object);
    if (object instanceof Error) return unpersistable(`${object.name}: ${object.message}`);
    if (object instanceof Map) return unpersistable(`Map(${object.size})`);
    if (object instanceof Set) return unpersistable(`Set(${object.size})`);
    if (ArrayBuffer.isView(object) && !(object instanceof DataView)) {
      return Array.from(object as unknown as ArrayLike<unknown>, (v) => convert(v, ancestors));
    }
    const inner = [...ancestors, object];
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return convert(toJSON.call(object), inner);
    if (Array.isArray(object)) {
      return object.map((v) => {
        const converted = convert(v, inner);
        return converted === undefined ? null : converted;
      });
    }
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      try {
        const converted = convert((object as Record<string, unknown>)[key], inner);
        if (converted !== undefined) result[key] = converted;
      } catch {
        result[key] = unpersistable("[unreadable]");
      }
    }
    return result;
  } catch {
    return unpersistable("[unreadable]");
  }
}

/**
 * Returns `value` as text for a format string: strings as they are, Failures
 * as `[Failure Type: message]`, functions by name, dates in ISO form, arrays
 * and plain objects without their own `toString` as JSON, anything else
 * through `String`. Never throws.
 * @param value any value
 */
export function valueAsText(value: unknown): string {
  try {
    if (typeof value === "string") return value;
    if (typeof value === "function") return describeFunction(value);
    if (typeof value !== "object" || value === null) return String(value);
    if (value instanceof Date) {
      return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
    }
    if (value instanceof Failure || value instanceof Error) return String(value);
    if (Array.isArray(value)) return JSON.stringify(toJSONable(value));
    const proto = Object.getPrototypeOf(value);
    const toString = (value as { toString?: unknown }).toString;
    const ownText = typeof toString === "function" && toString !== Object.prototype.toString;
    if (!ownText && (proto === Object.prototype || proto === null)) {
      return JSON.stringify(toJSONable(value));
    }
    return String(value);
  } catch {
    return "<unprintable value>";
  }
}
