/**
 * The text forms AMP's argument types use on the wire, as Python writes and
 * reads them: `int`, `float` (`repr`), `decimal.Decimal` and Twisted's 32-byte
 * date-time. Pure functions of text. Private to src/protocols.
 *
 * @module
 */

// Python's str.strip() with no argument strips Unicode whitespace; on bytes
// only ASCII whitespace can occur: space, \t, \n, \v, \f, \r.
const WS = "[ \\t\\n\\v\\f\\r]*";
const DIGITS = "\\d(?:_?\\d)*";
const INT_RE = new RegExp(`^${WS}([+-]?)(${DIGITS})${WS}$`);
const FLOAT_RE = new RegExp(
  `^${WS}([+-]?)(?:(inf|infinity|nan)|((?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})` +
    `(?:[eE][+-]?${DIGITS})?))${WS}$`,
  "i",
);
const DECIMAL_RE = new RegExp(
  `^${WS}[+-]?(?:(?:inf|infinity)|s?nan(?:${DIGITS})?|` +
    `(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?)${WS}$`,
  "i",
);

/**
 * Parses an integer as Python's `int()` does for base 10 (surrounding
 * whitespace, a sign, underscores between digits, leading zeros).
 * @throws {SyntaxError} when the text is not an integer
 */
export function parsePythonInt(text: string): bigint {
  const m = INT_RE.exec(text);
  if (m === null) throw new SyntaxError(`Not an integer: ${JSON.stringify(text)}`);
  const n = BigInt(m[2].replaceAll("_", ""));
  return m[1] === "-" ? -n : n;
}

/**
 * Parses a float as Python's `float()` does (`inf`, `-Infinity`, `nan` in any
 * case, exponents, underscores between digits, surrounding whitespace).
 * @throws {SyntaxError} when the text is not a float
 */
export function parsePythonFloat(text: string): number {
  const m = FLOAT_RE.exec(text);
  if (m === null) throw new SyntaxError(`Not a float: ${JSON.stringify(text)}`);
  const negative = m[1] === "-";
  if (m[2] !== undefined) {
    if (m[2].toLowerCase() === "nan") return NaN;
    return negative ? -Infinity : Infinity;
  }
  const n = Number(m[3].replaceAll("_", ""));
  return negative ? -n : n;
}

/**
 * Python's `repr(float)`: the shortest digits that read back as the same
 * number, in positional form for exponents -4 to 15 (with `.0` when
 * integral) and as `1e+16` / `1e-05` otherwise; `inf`, `-inf`, `nan`.
 */
export function formatPythonFloat(x: number): string {
  if (x !== x) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  // The shortest round-tripping digits, and where the decimal point goes
  // (`decpt` digits before it), from JavaScript's own shortest form.
  const s = `${Math.abs(x)}`;
  let digits: string;
  let decpt: number;
  const e = s.indexOf("e");
  if (e >= 0) {
    const mantissa = s.slice(0, e);
    digits = mantissa.replace(".", "");
    decpt = Number(s.slice(e + 1)) + 1;
  } else {
    const dot = s.indexOf(".");
    const whole = dot < 0 ? s : s.slice(0, dot);
    const fraction = dot < 0 ? "" : s.slice(dot + 1);
    if (whole !== "0") {
      digits = whole + fraction;
      decpt = whole.length;
    } else {
      let z = 0;
      while (fraction[z] === "0") z++;
      digits = fraction.slice(z);
      decpt = -z;
    }
  }
  let end = digits.length;
  while (end > 1 && digits[end - 1] === "0") end--;
  digits = digits.slice(0, end);
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const exponent = decpt - 1;
  const mantissa = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
  const ex = `${Math.abs(exponent)}`.padStart(2, "0");
  return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${ex}`;
}

/** True when `text` is a number `decimal.Decimal(text)` accepts. */
export function isPythonDecimal(text: string): boolean {
  return DECIMAL_RE.test(text);
}

/**
 * A `Date` that remembers the UTC offset and the microseconds it was read
 * with, so that an AMP `DateTime` goes back out exactly as it came in (a
 * Python `datetime` with a fixed-offset `tzinfo`). The time itself is the
 * `Date`'s, to the millisecond; `microsecond` adds the rest.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const d = new amp.OffsetDate(Date.UTC(2024, 0, 2, 3, 4, 5, 6), { utcOffset: 330 });
 * console.log(d.utcOffset, d.getUTCHours()); // 330 3
 * console.log(new TextDecoder().decode(new amp.DateTime().toString(d)));
 * // "2024-01-02T08:34:05.006000+05:30"
 * ```
 */
export class OffsetDate extends Date {
  /** Minutes east of UTC the time is written in (Python's `utcoffset()`). */
  readonly utcOffset: number;
  #extraMicroseconds: number;

  /**
   * Makes the date.
   * @param time milliseconds since the epoch, or a Date
   * @param options `utcOffset` in minutes (-1439 to 1439) and the
   *   `microsecond` of the second (0-999999, overriding the milliseconds)
   * @throws {RangeError} for an offset of a day or more, or a bad microsecond
   */
  constructor(time: number | Date, options: { utcOffset?: number; microsecond?: number } = {}) {
    let ms = typeof time === "number" ? time : time.getTime();
    let extra = 0;
    const micro = options.microsecond;
    if (micro !== undefined) {
      if (!Number.isInteger(micro) || micro < 0 || micro > 999999) {
        throw new RangeError(`The microsecond must be 0-999999, not ${micro}`);
      }
      ms = Math.floor(ms / 1000) * 1000 + Math.floor(micro / 1000);
      extra = micro % 1000;
    }
    super(ms);
    const offset = options.utcOffset ?? 0;
    if (!Number.isInteger(offset) || Math.abs(offset) >= 1440) {
      throw new RangeError(`The UTC offset must be whole minutes under a day, not ${offset}`);
    }
    this.utcOffset = offset;
    this.#extraMicroseconds = extra;
  }

  /** The microsecond of the second (0-999999), as Python's `datetime.microsecond`. */
  get microsecond(): number {
    return this.getUTCMilliseconds() * 1000 + this.#extraMicroseconds;
  }
}

const pad = (n: number, width: number): string => `${n}`.padStart(width, "0");

/**
 * Twisted's DateTime wire form, 32 characters:
 * `YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM`, the time written at the offset; a zero
 * offset is written `-00:00`, as Twisted does.
 * @throws {RangeError} for an invalid date or a year outside 1-9999
 */
export function formatAmpDateTime(date: Date, defaultOffset: number): string {
  const time = date.getTime();
  if (time !== time) throw new RangeError("Cannot encode an invalid Date");
  const offset = date instanceof OffsetDate ? date.utcOffset : defaultOffset;
  const micro = date instanceof OffsetDate ? date.microsecond : date.getUTCMilliseconds() * 1000;
  const local = new Date(time + offset * 60000);
  const year = local.getUTCFullYear();
  if (year < 1 || year > 9999) throw new RangeError(`Cannot encode the year ${year}`);
  const abs = Math.abs(offset);
  return `${pad(year, 4)}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)}T` +
    `${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:` +
    `${pad(local.getUTCSeconds(), 2)}.${pad(micro, 6)}${offset > 0 ? "+" : "-"}` +
    `${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

const DATETIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})([+-])(\d{2}):(\d{2})$/;

/**
 * Reads Twisted's 32-character DateTime form into an `OffsetDate` that keeps
 * the offset and the microseconds.
 * @throws {SyntaxError} when the text is not in that form
 * @throws {RangeError} when a field is out of range (month 13, offset of a day)
 */
export function parseAmpDateTime(text: string): OffsetDate {
  const m = DATETIME_RE.exec(text);
  if (m === null) throw new SyntaxError(`Invalid date format ${JSON.stringify(text)}`);
  const [year, month, day, hour, minute, second, micro, , oh, om] = m.slice(1).map(Number);
  const days = new Date(Date.UTC(2000, month, 0)).getUTCDate();
  const leap = month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
  const monthDays = month === 2 ? (leap ? 29 : 28) : days;
  if (
    year < 1 || month < 1 || month > 12 || day < 1 || day > monthDays || hour > 23 ||
    minute > 59 || second > 59 || oh > 23 || om > 59
  ) {
    throw new RangeError(`Date or time out of range: ${JSON.stringify(text)}`);
  }
  const offset = (m[8] === "-" ? -1 : 1) * (oh * 60 + om);
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, Math.floor(micro / 1000));
  return new OffsetDate(utc.getTime() - offset * 60000, {
    utcOffset: offset === 0 ? 0 : offset,
    microsecond: micro,
  });
}
