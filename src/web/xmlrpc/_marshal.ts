/**
 * XML-RPC's data (Python's `xmlrpc.client.dumps` / `loads`): values to
 * method calls and responses and back.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { parseTemplate } from "../template/_xml.ts";
import { Comment, type Flattenable, Tag } from "../template/_stan.ts";

/**
 * An XML-RPC fault (Python's `xmlrpc.client.Fault`): a code and a string.
 *
 * @example
 * ```ts
 * import { Fault } from "@tw/core/web/xmlrpc";
 * const f = new Fault(8001, "procedure nope not found");
 * console.log(f.faultCode, f.faultString); // 8001 procedure nope not found
 * ```
 */
export class Fault extends Error {
  /** The fault code. */
  readonly faultCode: number;
  /** The fault string. */
  readonly faultString: string;

  /** Makes the fault. */
  constructor(faultCode: number, faultString: string) {
    super(`<Fault ${faultCode}: ${faultString}>`);
    this.name = "Fault";
    this.faultCode = faultCode;
    this.faultString = faultString;
  }
}

/**
 * An XML-RPC `dateTime.iso8601` as sent (Python's `xmlrpc.client.DateTime`):
 * `value` is the text, e.g. `20240102T03:04:05`; `toDate()` reads it as UTC.
 *
 * @example
 * ```ts
 * import { DateTime } from "@tw/core/web/xmlrpc";
 * console.log(new DateTime("20240102T03:04:05").toDate().toISOString()); // 2024-01-02T03:04:05.000Z
 * ```
 */
export class DateTime {
  /** The text as sent. */
  readonly value: string;

  /** Wraps the text, or formats a `Date` (UTC, whole seconds). */
  constructor(value: string | Date) {
    if (typeof value === "string") this.value = value;
    else {
      const p = (n: number, w = 2) => String(n).padStart(w, "0");
      this.value = `${p(value.getUTCFullYear(), 4)}${p(value.getUTCMonth() + 1)}${
        p(value.getUTCDate())
      }T${p(value.getUTCHours())}:${p(value.getUTCMinutes())}:${p(value.getUTCSeconds())}`;
    }
  }

  /** The time as a `Date` (read as UTC). */
  toDate(): Date {
    const m = /^(\d{4})-?(\d\d)-?(\d\d)T(\d\d):?(\d\d):?(\d\d)/.exec(this.value);
    if (m === null) return new Date(NaN);
    const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
    return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  }
}

/** Options for marshalling. */
export interface MarshalOptions {
  /**
   * Send `null` and `undefined` as `<nil/>` (else they are refused).
   * @default false
   */
  allowNone?: boolean;
}

/** Options for unmarshalling. */
export interface UnmarshalOptions {
  /**
   * Read `dateTime.iso8601` as `Date` (else `DateTime`).
   * @default false
   */
  useDateTime?: boolean;
}

const escapeText = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text.replace(/\s+/g, ""));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** One value as `<value>...</value>`; throws `TypeError` for what XML-RPC cannot carry. */
function dumpValue(value: unknown, options: MarshalOptions, seen: Set<object>): string {
  if (value === null || value === undefined) {
    if (!options.allowNone) throw new TypeError("cannot marshal None unless allowNone is set");
    return "<value><nil/></value>";
  }
  switch (typeof value) {
    case "boolean":
      return `<value><boolean>${value ? 1 : 0}</boolean></value>`;
    case "string":
      return `<value><string>${escapeText(value)}</string></value>`;
    case "number":
      if (Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1) {
        return `<value><int>${value}</int></value>`;
      }
      if (Number.isSafeInteger(value)) return `<value><i8>${value}</i8></value>`;
      if (!Number.isFinite(value)) throw new TypeError(`cannot marshal ${value}`);
      return `<value><double>${value}</double></value>`;
    case "bigint":
      if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) {
        throw new TypeError("int exceeds XML-RPC limits");
      }
      return `<value><i8>${value}</i8></value>`;
  }
  if (value instanceof Uint8Array) return `<value><base64>${toBase64(value)}</base64></value>`;
  if (value instanceof Date) {
    return `<value><dateTime.iso8601>${new DateTime(value).value}</dateTime.iso8601></value>`;
  }
  if (value instanceof DateTime) {
    return `<value><dateTime.iso8601>${escapeText(value.value)}</dateTime.iso8601></value>`;
  }
  if (typeof value !== "object") throw new TypeError(`cannot marshal ${typeof value} values`);
  if (seen.has(value)) throw new TypeError("cannot marshal recursive structures");
  seen.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = `<value><array><data>\n${
      value.map((v) => dumpValue(v, options, seen)).join("\n")
    }\n</data></array></value>`;
  } else {
    const entries = value instanceof Map ? [...value] : Object.entries(value);
    out = `<value><struct>\n${
      entries.map(([k, v]) => {
        if (typeof k !== "string") throw new TypeError("struct keys must be strings");
        return `<member>\n<name>${escapeText(k)}</name>\n${dumpValue(v, options, seen)}\n</member>`;
      }).join("\n")
    }\n</struct></value>`;
  }
  seen.delete(value);
  return out;
}

const HEAD = "<?xml version='1.0'?>\n";

/**
 * A method call's XML (Python's `dumps(params, methodname)`).
 *
 * @example
 * ```ts
 * import { dumpCall } from "@tw/core/web/xmlrpc";
 * console.log(dumpCall("add", [1, 2]).includes("<methodName>add</methodName>")); // true
 * ```
 */
export function dumpCall(method: string, params: unknown[], options: MarshalOptions = {}): string {
  const seen = new Set<object>();
  const body = params.map((p) => `<param>\n${dumpValue(p, options, seen)}\n</param>`).join("\n");
  return `${HEAD}<methodCall>\n<methodName>${
    escapeText(method)
  }</methodName>\n<params>\n${body}\n</params>\n</methodCall>\n`;
}

/**
 * A method response's XML: the result, or a `Fault` (Python's
 * `dumps((result,), methodresponse=True)` / `dumps(fault)`).
 *
 * @example
 * ```ts
 * import { dumpResponse, Fault } from "@tw/core/web/xmlrpc";
 * console.log(dumpResponse(new Fault(1, "no")).includes("<fault>")); // true
 * ```
 */
export function dumpResponse(result: unknown, options: MarshalOptions = {}): string {
  if (result instanceof Fault) {
    const fault = dumpValue(
      { faultCode: result.faultCode, faultString: result.faultString },
      {},
      new Set(),
    );
    return `${HEAD}<methodResponse>\n<fault>\n${fault}\n</fault>\n</methodResponse>\n`;
  }
  return `${HEAD}<methodResponse>\n<params>\n<param>\n${
    dumpValue(result, options, new Set())
  }\n</param>\n</params>\n</methodResponse>\n`;
}

/**
 * Malformed XML-RPC input (or a DTD, which is refused).
 *
 * @example
 * ```ts
 * import { loadCall, ResponseError } from "@tw/core/web/xmlrpc";
 * try {
 *   loadCall("<methodCall>");
 * } catch (e) {
 *   console.log(e instanceof ResponseError); // true
 * }
 * ```
 */
export class ResponseError extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "ResponseError";
  }
}

const elements = (nodes: Flattenable[]): Tag[] => nodes.filter((n): n is Tag => n instanceof Tag);
const textOf = (tag: Tag): string => tag.children.filter((c) => typeof c === "string").join("");

function one(tag: Tag, name: string): Tag {
  const found = elements(tag.children).filter((t) => t.tagName === name);
  if (found.length !== 1) throw new ResponseError(`expected one <${name}> in <${tag.tagName}>`);
  return found[0];
}

function loadValue(value: Tag, options: UnmarshalOptions, depth: number): unknown {
  if (depth > 100) throw new ResponseError("values nested too deep");
  const inner = elements(value.children);
  if (inner.length === 0) return textOf(value); // a bare string
  if (inner.length !== 1) throw new ResponseError("a <value> holds one type");
  const typed = inner[0];
  const text = textOf(typed);
  switch (typed.tagName) {
    case "int":
    case "i4":
    case "i8":
    case "i1":
    case "i2": {
      if (!/^\s*[-+]?\d+\s*$/.test(text)) throw new ResponseError(`bad integer ${text}`);
      const n = BigInt(text.trim());
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(n)
        : n;
    }
    case "boolean":
      if (text.trim() !== "0" && text.trim() !== "1") {
        throw new ResponseError(`bad boolean ${text}`);
      }
      return text.trim() === "1";
    case "string":
      return text;
    case "double":
    case "float": {
      const n = Number(text);
      if (text.trim() === "" || Number.isNaN(n)) throw new ResponseError(`bad double ${text}`);
      return n;
    }
    case "nil":
      return null;
    case "base64":
      try {
        return fromBase64(text);
      } catch {
        throw new ResponseError("bad base64");
      }
    case "dateTime.iso8601": {
      const dt = new DateTime(text.trim());
      return options.useDateTime ? dt.toDate() : dt;
    }
    case "array":
      return elements(one(typed, "data").children).map((v) => {
        if (v.tagName !== "value") throw new ResponseError("an <array> holds <value>s");
        return loadValue(v, options, depth + 1);
      });
    case "struct": {
      const out: Record<string, unknown> = Object.create(null);
      for (const member of elements(typed.children)) {
        if (member.tagName !== "member") throw new ResponseError("a <struct> holds <member>s");
        out[textOf(one(member, "name"))] = loadValue(one(member, "value"), options, depth + 1);
      }
      return out;
    }
  }
  throw new ResponseError(`unknown type <${typed.tagName}>`);
}

function parse(xml: string): Tag {
  if (/<!DOCTYPE/i.test(xml)) throw new ResponseError("a DTD is not accepted");
  let nodes: Flattenable[];
  try {
    nodes = parseTemplate(xml);
  } catch (e) {
    throw new ResponseError((e as Error).message);
  }
  const roots = nodes.filter((n) => !(n instanceof Comment) && !(typeof n === "string"));
  if (roots.length !== 1 || !(roots[0] instanceof Tag)) throw new ResponseError("no root element");
  return roots[0];
}

/**
 * Reads a method call: `[method, params]`. Throws `ResponseError` for
 * malformed XML, a DTD, or an unknown type.
 *
 * @example
 * ```ts
 * import { dumpCall, loadCall } from "@tw/core/web/xmlrpc";
 * console.log(loadCall(dumpCall("add", [1, "x"]))); // ["add", [1, "x"]]
 * ```
 */
export function loadCall(xml: string, options: UnmarshalOptions = {}): [string, unknown[]] {
  const root = parse(xml);
  if (root.tagName !== "methodCall") throw new ResponseError("expected <methodCall>");
  const name = textOf(one(root, "methodName")).trim();
  const params = elements(root.children).find((t) => t.tagName === "params");
  const values = params === undefined ? [] : elements(params.children).map((p) => {
    if (p.tagName !== "param") throw new ResponseError("<params> holds <param>s");
    return loadValue(one(p, "value"), options, 0);
  });
  return [name, values];
}

/**
 * Reads a method response: the result, or throws its `Fault` (a
 * `ResponseError` when malformed).
 *
 * @example
 * ```ts
 * import { dumpResponse, loadResponse } from "@tw/core/web/xmlrpc";
 * console.log(loadResponse(dumpResponse({ sum: 3 }))); // { sum: 3 }
 * ```
 */
export function loadResponse(xml: string, options: UnmarshalOptions = {}): unknown {
  const root = parse(xml);
  if (root.tagName !== "methodResponse") throw new ResponseError("expected <methodResponse>");
  const fault = elements(root.children).find((t) => t.tagName === "fault");
  if (fault !== undefined) {
    const f = loadValue(one(fault, "value"), options, 0) as Record<string, unknown>;
    throw new Fault(Number(f?.faultCode), String(f?.faultString ?? ""));
  }
  const param = one(one(root, "params"), "param");
  return loadValue(one(param, "value"), options, 0);
}
