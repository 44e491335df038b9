/**
 * The endpoint description syntax of `twisted.internet.endpoints`: splitting
 * `"tcp:port=8080:interface=127.0.0.1"` into a type, positional arguments and
 * keyword arguments, and checking and converting the values. Private to
 * src/internet; the public functions are in endpoints.ts.
 *
 * @module
 */

/** A description split into its parts. */
export interface ParsedDescription {
  /** The endpoint type: the first segment ("tcp", "ssl", "unix", ...). */
  prefix: string;
  /** Segments without "=", after the prefix, in order. */
  args: string[];
  /** "key=value" segments. */
  kwargs: Record<string, string>;
}

/**
 * Splits a description on unescaped ":" into segments, and each segment on its
 * first unescaped "=" into a key and a value (so a value may hold "="; a ":"
 * always ends the segment, unless escaped). A backslash makes the next
 * character literal. Throws SyntaxError for an empty description, a trailing
 * backslash, an empty key or a key given twice.
 */
export function parseDescription(description: string): ParsedDescription {
  if (typeof description !== "string") {
    throw new TypeError(`An endpoint description must be a string, not ${typeof description}`);
  }
  if (description === "") throw new SyntaxError("Empty endpoint description");
  const segments: { key: string | null; value: string }[] = [];
  let current = "";
  let key: string | null = null;
  for (let i = 0; i < description.length; i++) {
    const c = description[i];
    if (c === "\\") {
      if (i + 1 === description.length) {
        throw new SyntaxError(
          `Endpoint description ${quote(description)} ends with an unfinished escape "\\"`,
        );
      }
      current += description[++i];
    } else if (c === ":") {
      segments.push({ key, value: current });
      current = "";
      key = null;
    } else if (c === "=" && key === null) {
      key = current;
      current = "";
    } else {
      current += c;
    }
  }
  segments.push({ key, value: current });

  const prefix = segments[0];
  if (prefix.key !== null) {
    throw new SyntaxError(
      `Endpoint description ${quote(description)} must start with its type ("tcp:", "unix:"...)`,
    );
  }
  if (segments.length === 1) {
    throw new SyntaxError(
      `Endpoint description ${quote(description)} has no type prefix` +
        (/^\d+$/.test(prefix.value) ? ` (did you mean "tcp:${prefix.value}"?)` : ""),
    );
  }
  const args: string[] = [];
  const kwargs: Record<string, string> = Object.create(null);
  for (const segment of segments.slice(1)) {
    if (segment.key === null) {
      args.push(segment.value);
      continue;
    }
    if (segment.key === "") {
      throw new SyntaxError(
        `Endpoint description ${quote(description)} has a value without a name: ` +
          quote(`=${segment.value}`),
      );
    }
    if (segment.key in kwargs) {
      throw new SyntaxError(
        `Endpoint description ${quote(description)} gives ${segment.key} twice`,
      );
    }
    kwargs[segment.key] = segment.value;
  }
  return { prefix: prefix.value, args, kwargs };
}

/**
 * Assigns a description's arguments to the named parameters of an endpoint
 * type: keyword arguments by name, then positional arguments to the
 * parameters not given by name, in order (so "tcp:host=h:80" and "tcp:h:80"
 * mean the same). Throws TypeError for unknown names, surplus positional
 * arguments, a parameter given twice or a missing required one.
 */
export function bindParameters(
  parsed: ParsedDescription,
  params: readonly string[],
  required: readonly string[],
  description: string,
): Record<string, string | undefined> {
  const where = `in endpoint description ${quote(description)}`;
  const out: Record<string, string | undefined> = Object.create(null);
  for (const [name, value] of Object.entries(parsed.kwargs)) {
    if (!params.includes(name)) {
      throw new TypeError(
        `Unknown parameter ${quote(name)} ${where} (${parsed.prefix} takes ${params.join(", ")})`,
      );
    }
    out[name] = value;
  }
  const free = params.filter((name) => !(name in out));
  if (parsed.args.length > free.length) {
    const extra = parsed.args.slice(free.length).map(quote).join(", ");
    throw new TypeError(`Too many arguments ${where}: ${extra}`);
  }
  parsed.args.forEach((value, i) => (out[free[i]] = value));
  for (const name of required) {
    if (out[name] === undefined) throw new TypeError(`Missing ${name} ${where}`);
  }
  return out;
}

/** Parses a port number (0 to 65535); names the parameter and value when it is not one. */
export function parsePort(value: string, name = "port"): number {
  if (!/^\d+$/.test(value)) {
    throw new SyntaxError(`Invalid ${name} ${quote(value)}: expected a number from 0 to 65535`);
  }
  const port = Number(value);
  if (port > 65535) throw new RangeError(`Invalid ${name} ${quote(value)}: above 65535`);
  return port;
}

/** Parses a non-negative integer (a backlog). */
export function parseInteger(value: string, name: string): number {
  if (!/^\d+$/.test(value)) {
    throw new SyntaxError(`Invalid ${name} ${quote(value)}: expected a whole number`);
  }
  return Number(value);
}

/** Parses a positive number of seconds ("5", "0.5"). */
export function parseSeconds(value: string, name: string): number {
  if (!/^(\d+\.?\d*|\.\d+)$/.test(value)) {
    throw new SyntaxError(`Invalid ${name} ${quote(value)}: expected a number of seconds`);
  }
  const seconds = Number(value);
  if (seconds <= 0) throw new RangeError(`Invalid ${name} ${quote(value)}: must be above 0`);
  return seconds;
}

/** Parses an octal file mode ("660", "0o660", "0660"). */
export function parseMode(value: string, name = "mode"): number {
  const digits = value.replace(/^0o/i, "");
  if (!/^[0-7]{1,4}$/.test(digits)) {
    throw new SyntaxError(`Invalid ${name} ${quote(value)}: expected an octal mode such as 660`);
  }
  return parseInt(digits, 8);
}

/** Parses a flag: "1"/"0" as Twisted writes them, also "true"/"false", "yes"/"no". */
export function parseFlag(value: string, name: string): boolean {
  const v = value.toLowerCase();
  if (v === "1" || v === "true" || v === "yes") return true;
  if (v === "0" || v === "false" || v === "no") return false;
  throw new SyntaxError(`Invalid ${name} ${quote(value)}: expected 1 or 0`);
}

/** Checks a non-empty string parameter (host, path, file name). */
export function parseNonEmpty(value: string, name: string): string {
  if (value === "") throw new SyntaxError(`Invalid ${name}: empty`);
  return value;
}

/** JSON-style quoting for messages, so empty strings and spaces stay visible. */
export function quote(value: string): string {
  return JSON.stringify(value);
}
