/**
 * AMP's argument types (`twisted.protocols.amp.Argument` and its
 * subclasses): each turns one key of a box into a typed value and back.
 * `String` and `Boolean` shadow the globals here, as in Twisted's module.
 * Private to src/protocols; the public face is `amp.ts`.
 *
 * @module
 */
import type { AmpBox } from "./_box.ts";
import { MalformedAmpBox } from "./_errors.ts";
import {
  formatAmpDateTime,
  formatPythonFloat,
  isPythonDecimal,
  parseAmpDateTime,
  parsePythonFloat,
  parsePythonInt,
} from "./_values.ts";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** ASCII text to bytes (what numbers and dates are written as). */
function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Bytes to text, one character per byte (numbers and dates are ASCII). */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += globalThis.String.fromCharCode(bytes[i]);
  return s;
}

/** Names a value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || typeof value !== "object") return `${value}`;
  return (value as object).constructor?.name ?? "object";
}

/** Options every argument type takes. */
export interface ArgumentOptions<O extends boolean = boolean> {
  /** The key may be left out: the value is then `undefined`. @default false */
  optional?: O;
}

/**
 * The base of argument types (Twisted's `Argument`): `fromString` /
 * `toString` convert one value; `fromBox` / `toBox` move it between a box
 * and the objects a responder gets or a caller gives (keyed by wire name).
 * Override the `...Proto` variants to see the connection, or `fromBox` /
 * `toBox` to use more than one key. `T` is the value's type; `O` is true for
 * an optional argument.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 *
 * class Point extends amp.Argument<{ x: number; y: number }> {
 *   fromString(bytes: Uint8Array): { x: number; y: number } {
 *     const [x, y] = new TextDecoder().decode(bytes).split(",").map(Number);
 *     return { x, y };
 *   }
 *   toString(p: { x: number; y: number }): Uint8Array {
 *     return new TextEncoder().encode(`${p.x},${p.y}`);
 *   }
 * }
 * console.log(new Point().fromString(new Point().toString({ x: 1, y: 2 }))); // { x: 1, y: 2 }
 * ```
 */
export abstract class Argument<T, O extends boolean = false> {
  /** True when the key may be left out. */
  readonly optional: O;

  /**
   * Makes the argument type.
   * @param options `optional`
   */
  constructor(options: ArgumentOptions<O> = {}) {
    this.optional = (options.optional ?? false) as O;
  }

  /**
   * Reads the value of `name` from `strings` into `objects[name]`; an
   * optional key that is absent leaves `objects` alone.
   * @param name the key
   * @param strings the box read
   * @param objects the values, keyed by wire name
   * @param proto the connection (or the locator) converting
   * @throws {MalformedAmpBox} when a required key is absent
   */
  fromBox(
    name: string,
    strings: AmpBox,
    objects: Record<string, unknown>,
    proto: object | null,
  ): void {
    const bytes = strings.get(name);
    if (bytes === undefined) {
      if (this.optional) return;
      throw new MalformedAmpBox(`Missing argument '${name}'`);
    }
    objects[name] = this.fromStringProto(bytes, proto);
  }

  /**
   * Writes `objects[name]` into `strings`; an optional value that is
   * `undefined` (or `null`) writes nothing.
   * @param name the key
   * @param strings the box written
   * @param objects the values, keyed by wire name
   * @param proto the connection (or the locator) converting
   * @throws {TypeError} when a required value is missing
   */
  toBox(
    name: string,
    strings: AmpBox,
    objects: Readonly<Record<string, unknown>>,
    proto: object | null,
  ): void {
    const value = objects[name];
    if (value === undefined || value === null) {
      if (this.optional) return;
      throw new TypeError(`Missing a value for '${name}'`);
    }
    strings.set(name, this.toStringProto(value as T, proto));
  }

  /**
   * `fromString`, for types that need the connection.
   * @param bytes the wire value
   * @param _proto the connection (or the locator) converting
   */
  fromStringProto(bytes: Uint8Array, _proto: object | null): T {
    return this.fromString(bytes);
  }

  /**
   * `toString`, for types that need the connection.
   * @param value the value
   * @param _proto the connection (or the locator) converting
   */
  toStringProto(value: T, _proto: object | null): Uint8Array {
    return this.toString(value);
  }

  /**
   * Converts a wire value.
   * @param bytes the wire value
   */
  abstract fromString(bytes: Uint8Array): T;

  /**
   * Converts a value for the wire.
   * @param value the value
   */
  abstract toString(value: T): Uint8Array;
}

/** Any argument type, whatever its value type. */
// deno-lint-ignore no-explicit-any
export type AnyArgument = Argument<any, boolean>;

/** A command's arguments or response: wire names to argument types. */
export type ArgumentSchema = Readonly<Record<string, AnyArgument>>;

/** The value type of an argument type (`| undefined` when optional). */
export type ArgumentValue<A> = A extends Argument<infer T, infer O>
  ? (true extends O ? T | undefined : T)
  : never;

/**
 * The values of a schema, keyed by wire name: what a responder gets and a
 * caller gives (or a responder returns and a caller gets). Optional
 * arguments are optional keys.
 */
export type ArgumentObjects<S extends ArgumentSchema> =
  & {
    -readonly [K in keyof S as S[K] extends Argument<unknown, false> ? K : never]: ArgumentValue<
      S[K]
    >;
  }
  & {
    -readonly [K in keyof S as S[K] extends Argument<unknown, false> ? never : K]?: ArgumentValue<
      S[K]
    >;
  };

/** Options of {@link Integer}. */
export interface IntegerOptions<O extends boolean = boolean, B extends boolean = boolean>
  extends ArgumentOptions<O> {
  /** Values are `bigint`s, of any size. @default false (numbers, within +-(2^53-1)) */
  bigint?: B;
}

/**
 * An integer in decimal (`123`). Values are numbers, and one beyond
 * +-(2^53-1) is an error either way; with `{ bigint: true }` they are
 * `bigint`s of any size, as Python's.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const big = new amp.Integer({ bigint: true });
 * console.log(big.fromString(new TextEncoder().encode("123456789012345678901"))); // 123456789012345678901n
 * console.log(new amp.Integer().toString(-7)); // Uint8Array(2) [ 45, 55 ]
 * ```
 */
export class Integer<O extends boolean = false, B extends boolean = false>
  extends Argument<B extends true ? bigint : number, O> {
  /** True when values are `bigint`s. */
  readonly bigint: B;

  /**
   * Makes the argument type.
   * @param options `optional`, `bigint`
   */
  constructor(options: IntegerOptions<O, B> = {}) {
    super(options);
    this.bigint = (options.bigint ?? false) as B;
  }

  /**
   * Reads a decimal integer as Python's `int()` does.
   * @throws {SyntaxError} when it is not one
   * @throws {RangeError} when it is beyond +-(2^53-1) and values are numbers
   */
  fromString(bytes: Uint8Array): B extends true ? bigint : number {
    const text = latin1(bytes);
    type V = B extends true ? bigint : number;
    if (!this.bigint && bytes.length <= 15 && /^-?\d+$/.test(text)) {
      const n = Number(text);
      return (n === 0 ? 0 : n) as V;
    }
    const n = parsePythonInt(text);
    if (this.bigint) return n as V;
    if (n > 9007199254740991n || n < -9007199254740991n) {
      throw new RangeError(`${text} is beyond +-(2^53-1): use new Integer({ bigint: true })`);
    }
    return Number(n) as V;
  }

  /**
   * Writes the integer in decimal.
   * @throws {TypeError} when the value is not an integer
   * @throws {RangeError} when a number is beyond +-(2^53-1)
   */
  toString(value: B extends true ? bigint : number): Uint8Array {
    if (typeof value === "bigint") return ascii(`${value}`);
    if (typeof value !== "number" || !Number.isInteger(value)) {
      throw new TypeError(`Expected an integer, got ${describeValue(value)}`);
    }
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`${value} is beyond +-(2^53-1): use a bigint`);
    }
    return ascii(`${value === 0 ? 0 : value}`);
  }
}

/**
 * Bytes as they are (`Uint8Array`).
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new amp.String().toString(new Uint8Array([0, 255]))); // Uint8Array(2) [ 0, 255 ]
 * ```
 */
export class String<O extends boolean = false> extends Argument<Uint8Array, O> {
  /** Returns the bytes. */
  fromString(bytes: Uint8Array): Uint8Array {
    return bytes;
  }

  /**
   * Returns the bytes.
   * @throws {TypeError} when the value is not a `Uint8Array`
   */
  toString(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(`Expected a Uint8Array, got ${describeValue(value)}`);
    }
    return value;
  }
}

/**
 * Text as UTF-8.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new amp.Unicode().toString("é")); // Uint8Array(2) [ 195, 169 ]
 * ```
 */
export class Unicode<O extends boolean = false> extends Argument<string, O> {
  /**
   * Decodes UTF-8.
   * @throws {TypeError} when the bytes are not valid UTF-8
   */
  fromString(bytes: Uint8Array): string {
    return strictDecoder.decode(bytes);
  }

  /**
   * Encodes as UTF-8.
   * @throws {TypeError} when the value is not a string, or has a lone surrogate
   */
  toString(value: string): Uint8Array {
    if (typeof value !== "string") {
      throw new TypeError(`Expected a string, got ${describeValue(value)}`);
    }
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) {
      throw new TypeError("Cannot encode a string with a lone surrogate as UTF-8");
    }
    return encoder.encode(value);
  }
}

/**
 * `True` or `False`.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new TextDecoder().decode(new amp.Boolean().toString(true))); // "True"
 * ```
 */
export class Boolean<O extends boolean = false> extends Argument<boolean, O> {
  /**
   * Reads `True` or `False`.
   * @throws {TypeError} for anything else
   */
  fromString(bytes: Uint8Array): boolean {
    const text = latin1(bytes);
    if (text === "True") return true;
    if (text === "False") return false;
    throw new TypeError(`Bad boolean value: ${JSON.stringify(text)}`);
  }

  /** Writes `True` for a truthy value, `False` otherwise. */
  toString(value: boolean): Uint8Array {
    return ascii(value ? "True" : "False");
  }
}

/**
 * A float as Python writes it (`repr`): `1.0`, `0.1`, `1e+100`, `inf`,
 * `-inf`, `nan`; it reads anything Python's `float()` does.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const f = new amp.Float();
 * console.log(new TextDecoder().decode(f.toString(1))); // "1.0"
 * console.log(f.fromString(new TextEncoder().encode("-inf"))); // -Infinity
 * ```
 */
export class Float<O extends boolean = false> extends Argument<number, O> {
  /**
   * Reads a float.
   * @throws {SyntaxError} when it is not one
   */
  fromString(bytes: Uint8Array): number {
    return parsePythonFloat(latin1(bytes));
  }

  /**
   * Writes Python's `repr` of the number.
   * @throws {TypeError} when the value is not a number
   */
  toString(value: number): Uint8Array {
    if (typeof value !== "number") {
      throw new TypeError(`Bad float value ${describeValue(value)}`);
    }
    return ascii(formatPythonFloat(value));
  }
}

/**
 * A decimal number (Python's `decimal.Decimal`) kept as its exact text:
 * `1.10` stays `1.10`, and `-Infinity`, `NaN`, `sNaN`, `1E+2` are all valid.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * console.log(new amp.Decimal().fromString(new TextEncoder().encode("1.10"))); // "1.10"
 * ```
 */
export class Decimal<O extends boolean = false> extends Argument<string, O> {
  /**
   * Reads the text of a decimal.
   * @throws {SyntaxError} when `decimal.Decimal()` would refuse it
   */
  fromString(bytes: Uint8Array): string {
    const text = latin1(bytes);
    if (!isPythonDecimal(text)) throw new SyntaxError(`Not a decimal: ${JSON.stringify(text)}`);
    return text;
  }

  /**
   * Writes the text of a decimal.
   * @throws {SyntaxError} when `decimal.Decimal()` would refuse it
   */
  toString(value: string): Uint8Array {
    if (typeof value !== "string" || !isPythonDecimal(value)) {
      throw new SyntaxError(`Not a decimal: ${describeValue(value)}`);
    }
    return ascii(value);
  }
}

/** Options of {@link DateTime}. */
export interface DateTimeOptions<O extends boolean = boolean> extends ArgumentOptions<O> {
  /**
   * Minutes east of UTC to write a plain `Date` at (an `OffsetDate` carries
   * its own). @default 0 (written `-00:00`, as Twisted writes UTC)
   */
  utcOffset?: number;
}

/**
 * A date and time with a fixed UTC offset, in Twisted's 32-byte form
 * `2012-01-23T12:34:56.054321-01:23`. Values read are `OffsetDate`s, which
 * keep the offset and the microseconds so they go back out unchanged; a
 * plain `Date` is written at `utcOffset`.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const dt = new amp.DateTime();
 * const d = dt.fromString(new TextEncoder().encode("2012-01-23T12:34:56.054321-01:23"));
 * console.log(d.toISOString(), (d as amp.OffsetDate).utcOffset); // "2012-01-23T13:57:56.054Z" -83
 * console.log(new TextDecoder().decode(dt.toString(new Date(0))));
 * // "1970-01-01T00:00:00.000000-00:00"
 * ```
 */
export class DateTime<O extends boolean = false> extends Argument<Date, O> {
  /** Minutes east of UTC a plain `Date` is written at. */
  readonly utcOffset: number;

  /**
   * Makes the argument type.
   * @param options `optional`, `utcOffset`
   */
  constructor(options: DateTimeOptions<O> = {}) {
    super(options);
    this.utcOffset = options.utcOffset ?? 0;
  }

  /**
   * Reads the 32-byte form.
   * @throws {SyntaxError} when it is not in that form
   * @throws {RangeError} when a field is out of range
   */
  fromString(bytes: Uint8Array): Date {
    return parseAmpDateTime(latin1(bytes));
  }

  /**
   * Writes the 32-byte form.
   * @throws {TypeError} when the value is not a Date
   * @throws {RangeError} for an invalid Date or a year outside 1-9999
   */
  toString(value: Date): Uint8Array {
    if (!(value instanceof Date)) {
      throw new TypeError(`Expected a Date, got ${describeValue(value)}`);
    }
    return ascii(formatAmpDateTime(value, this.utcOffset));
  }
}

/**
 * Fills `objects` from `box` through `schema`; the errors name the key.
 * @throws {MalformedAmpBox} for a missing or unparsable value
 */
export function stringsToObjects(
  box: AmpBox,
  schema: ArgumentSchema,
  proto: object | null,
  where: string,
): Record<string, unknown> {
  const objects: Record<string, unknown> = {};
  for (const name in schema) {
    try {
      schema[name].fromBox(name, box, objects, proto);
    } catch (e) {
      const message = e instanceof Error ? e.message : `${e}`;
      throw new MalformedAmpBox(
        e instanceof MalformedAmpBox
          ? `${where}: ${message}`
          : `${where}: bad value for '${name}': ${message}`,
        { cause: e },
      );
    }
  }
  return objects;
}

/**
 * Fills `box` from `objects` through `schema`; an error's message gets the
 * key and `where` in front.
 */
export function objectsToStrings(
  objects: Readonly<Record<string, unknown>>,
  schema: ArgumentSchema,
  box: AmpBox,
  proto: object | null,
  where: string,
): AmpBox {
  for (const name in schema) {
    try {
      schema[name].toBox(name, box, objects, proto);
    } catch (e) {
      if (e instanceof Error && !e.message.startsWith(where)) {
        e.message = `${where}: '${name}': ${e.message}`;
      }
      throw e;
    }
  }
  return box;
}
