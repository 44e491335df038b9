/**
 * Values in PostgreSQL's text format: parameters out (`encodeParam`) and
 * columns in (`decodeValue`, by the column's type OID).
 *
 * @module
 */
import { ProgrammingError } from "../_errors.ts";

const decoder = new TextDecoder();

/** How int8 (bigint) columns arrive: exact `bigint`s or their text. */
export type Int8As = "bigint" | "string";

/** Type OIDs converted; any other type arrives as its text. */
export const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const;

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** A parameter in text format, or null for NULL; unsupported types are a ProgrammingError. */
export function encodeParam(value: unknown, index: number): string | null {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "t" : "f";
    case "undefined":
      return null;
  }
  if (value === null) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new ProgrammingError(`Cannot bind parameter ${index + 1}: an invalid Date`);
    }
    return value.toISOString();
  }
  if (ArrayBuffer.isView(value)) {
    return "\\x" + hex(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  if (typeof value === "object") return JSON.stringify(value); // json, jsonb
  throw new ProgrammingError(
    `Cannot bind parameter ${index + 1}: PostgreSQL takes no ${typeof value}`,
  );
}

function bytea(text: string): Uint8Array {
  if (text.startsWith("\\x")) {
    const out = new Uint8Array((text.length - 2) >> 1);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 + 2 * i, 2), 16);
    return out;
  }
  // The old escape format: \\ and \NNN octal.
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\" && text[i + 1] === "\\") {
      out.push(92);
      i++;
    } else if (text[i] === "\\") {
      out.push(parseInt(text.substr(i + 1, 3), 8) & 0xff);
      i += 3;
    } else out.push(text.charCodeAt(i) & 0xff);
  }
  return Uint8Array.from(out);
}

const TIMESTAMP =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d+)?(?:([+-])(\d\d)(?::?(\d\d))?(?::(\d\d))?)?$/;

/** A timestamp's text as a Date (UTC when it has no offset); other forms ("infinity", BC) stay text. */
function timestamp(text: string): Date | string {
  const m = TIMESTAMP.exec(text);
  if (!m) return text;
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  let time = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms);
  if (m[8]) {
    const offset = (+m[9] * 3600 + (m[10] ? +m[10] * 60 : 0) + (m[11] ? +m[11] : 0)) * 1000;
    time -= m[8] === "+" ? offset : -offset;
  }
  const date = new Date(time);
  // Date.UTC treats years 0-99 as 1900-1999.
  if (+m[1] < 100) date.setUTCFullYear(+m[1]);
  return date;
}

/** Converts one column's text by its type OID. */
export function decodeValue(raw: Uint8Array, typeOid: number, int8As: Int8As): unknown {
  const text = decoder.decode(raw);
  switch (typeOid) {
    case OID.bool:
      return text === "t";
    case OID.int2:
    case OID.int4:
    case OID.oid:
      return Number(text);
    case OID.int8:
      return int8As === "bigint" ? BigInt(text) : text;
    case OID.float4:
    case OID.float8:
      return Number(text); // "NaN", "Infinity", "-Infinity" included
    case OID.bytea:
      return bytea(text);
    case OID.json:
    case OID.jsonb:
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    case OID.timestamp:
    case OID.timestamptz:
      return timestamp(text);
    default: // numeric (exact, as text), text, varchar, date, uuid, arrays...
      return text;
  }
}
