/**
 * The MIME structure of a message as IMAP shows it: headers, parts, ENVELOPE,
 * BODYSTRUCTURE and body sections. Works on the message with CRLF line
 * endings (what is sent). Private to the imap4 folder.
 * @module
 */
import { concat, nquote } from "./_wire.ts";

const latin1 = new TextDecoder("latin1");
const CR = 0x0d;
const LF = 0x0a;
const MAX_PARTS = 1000;
const MAX_DEPTH = 20;

/** `bytes` with every bare LF made CRLF (the input when it has none). */
export function toCRLF(bytes: Uint8Array): Uint8Array {
  let bare = 0;
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] === LF && (i === 0 || bytes[i - 1] !== CR)) bare++;
  }
  if (bare === 0) return bytes;
  const out = new Uint8Array(bytes.byteLength + bare);
  let j = 0;
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] === LF && (i === 0 || bytes[i - 1] !== CR)) out[j++] = CR;
    out[j++] = bytes[i];
  }
  return out;
}

/** One MIME entity: offsets into the message. */
export interface Entity {
  /** Start of its header. */
  headerStart: number;
  /** Start of its body (after the blank line). */
  bodyStart: number;
  /** End of its body. */
  end: number;
  /** Header fields, names upper-case, values unfolded (latin1 text). */
  headers: [string, string][];
  /** Content type, lower-case. */
  type: string;
  /** Content subtype, lower-case. */
  subtype: string;
  /** Content-Type parameters. */
  params: [string, string][];
  /** Children of a multipart. */
  parts: Entity[];
  /** The message inside a message/rfc822. */
  message: Entity | null;
}

/** The header fields of `bytes[start, end)`. */
export function parseHeaders(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.split("\r\n")) {
    if (line === "") continue;
    if ((line[0] === " " || line[0] === "\t") && out.length > 0) {
      out[out.length - 1][1] += " " + line.trim();
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).trim().toUpperCase(), line.slice(colon + 1).trim()]);
    if (out.length > 2000) break;
  }
  return out;
}

/** Splits `type/subtype; a=b; c="d"` into its parts. */
export function parseContentType(value: string): [string, string, [string, string][]] {
  const [main, ...rest] = splitParams(value);
  const slash = main.indexOf("/");
  const type = slash > 0 ? main.slice(0, slash).trim().toLowerCase() : "";
  const subtype = slash > 0 ? main.slice(slash + 1).trim().toLowerCase() : "";
  return [type, subtype, rest.flatMap(paramOf)];
}

function splitParams(value: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    if (c === "\\" && quoted) {
      cur += c + (value[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === ";" && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out.map((p) => p.trim());
}

function paramOf(p: string): [string, string][] {
  const eq = p.indexOf("=");
  if (eq <= 0) return [];
  let v = p.slice(eq + 1).trim();
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) {
    v = v.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return [[p.slice(0, eq).trim().toLowerCase(), v]];
}

function headerEnd(bytes: Uint8Array, start: number, end: number): [number, number] {
  if (bytes[start] === CR && bytes[start + 1] === LF) return [start, start + 2];
  for (let i = start; i + 3 < end; i++) {
    if (bytes[i] === CR && bytes[i + 1] === LF && bytes[i + 2] === CR && bytes[i + 3] === LF) {
      return [i + 2, i + 4];
    }
  }
  return [end, end];
}

/** Parses the entity in `bytes[start, end)` (CRLF line endings). */
export function parseEntity(
  bytes: Uint8Array,
  start = 0,
  end: number = bytes.byteLength,
  defaultType: [string, string] = ["text", "plain"],
  budget: { parts: number } = { parts: 0 },
  depth: number = 0,
): Entity {
  const [hEnd, bodyStart] = headerEnd(bytes, start, end);
  const headers = parseHeaders(latin1.decode(bytes.subarray(start, hEnd)));
  const ct = headers.find(([n]) => n === "CONTENT-TYPE");
  let [type, subtype, params] = ct ? parseContentType(ct[1]) : ["", "", []];
  if (type === "" || subtype === "") {
    [type, subtype] = defaultType;
    if (!ct) params = type === "text" ? [["charset", "us-ascii"]] : [];
  }
  const entity: Entity = {
    headerStart: start,
    bodyStart,
    end,
    headers,
    type,
    subtype,
    params,
    parts: [],
    message: null,
  };
  if (++budget.parts > MAX_PARTS || depth > MAX_DEPTH) return entity;
  if (type === "multipart") {
    const boundary = params.find(([k]) => k === "boundary")?.[1];
    if (boundary) {
      entity.parts = splitMultipart(bytes, bodyStart, end, boundary, subtype, budget, depth);
    }
  } else if (type === "message" && subtype === "rfc822") {
    entity.message = parseEntity(bytes, bodyStart, end, ["text", "plain"], budget, depth + 1);
  }
  return entity;
}

function splitMultipart(
  bytes: Uint8Array,
  start: number,
  end: number,
  boundary: string,
  subtype: string,
  budget: { parts: number },
  depth: number,
): Entity[] {
  const text = latin1.decode(bytes.subarray(start, end));
  const delim = "--" + boundary;
  const bounds: [number, number, boolean][] = [];
  let at = 0;
  for (;;) {
    const i = text.indexOf(delim, at);
    if (i < 0) break;
    at = i + delim.length;
    if (i !== 0 && text.slice(i - 2, i) !== "\r\n") continue;
    const close = text.startsWith("--", at);
    const eol = text.indexOf("\r\n", at);
    bounds.push([i === 0 ? i : i - 2, eol < 0 ? text.length : eol + 2, close]);
    if (close) break;
  }
  const parts: Entity[] = [];
  const def: [string, string] = subtype === "digest" ? ["message", "rfc822"] : ["text", "plain"];
  for (let k = 0; k < bounds.length; k++) {
    if (bounds[k][2]) break;
    const from = start + bounds[k][1];
    const to = k + 1 < bounds.length ? start + bounds[k + 1][0] : end;
    if (to < from) break;
    parts.push(parseEntity(bytes, from, to, def, budget, depth + 1));
    if (budget.parts > MAX_PARTS) break;
  }
  return parts;
}

/** The entity of a part number list (`[1, 2]`), or null. */
export function findPart(root: Entity, part: number[]): Entity | null {
  let e: Entity = root;
  for (const n of part) {
    if (e.message !== null && e.type === "message") e = e.message;
    if (e.parts.length === 0) {
      if (n !== 1 || e !== root && e.type === "multipart") return null;
      continue;
    }
    const next = e.parts[n - 1];
    if (next === undefined) return null;
    e = next;
  }
  return e;
}

function header(e: Entity, name: string): string | null {
  return e.headers.find(([n]) => n === name)?.[1] ?? null;
}

function countLines(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (bytes[i] === LF) n++;
  if (end > start && bytes[end - 1] !== LF) n++;
  return n;
}

/** Parses an address list to `(name adl mailbox host)` items. */
export function addressList(value: string | null): string {
  if (value === null || value.trim() === "") return "NIL";
  const items: string[] = [];
  for (const one of splitAddresses(value)) {
    const m = /^(.*?)<([^>]*)>\s*$/.exec(one);
    let name: string | null = null;
    let addr = one.trim();
    if (m !== null) {
      name = m[1].trim().replace(/^"(.*)"$/, "$1").replace(/\\(.)/g, "$1") || null;
      addr = m[2].trim();
    } else {
      const c = /\(([^)]*)\)/.exec(addr);
      if (c !== null) {
        name = c[1].trim() || null;
        addr = addr.replace(c[0], "").trim();
      }
    }
    if (addr === "") continue;
    const at = addr.lastIndexOf("@");
    const local = at < 0 ? addr : addr.slice(0, at);
    const host = at < 0 ? null : addr.slice(at + 1);
    items.push(`(${nquote(name)} NIL ${nquote(local)} ${nquote(host)})`);
    if (items.length >= 500) break;
  }
  return items.length === 0 ? "NIL" : `(${items.join("")})`;
}

function splitAddresses(value: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  let angle = 0;
  let paren = 0;
  for (const c of value) {
    if (c === '"' && paren === 0) quoted = !quoted;
    else if (!quoted) {
      if (c === "<") angle++;
      if (c === ">") angle = Math.max(0, angle - 1);
      if (c === "(") paren++;
      if (c === ")") paren = Math.max(0, paren - 1);
      if ((c === "," || c === ";") && angle === 0 && paren === 0) {
        out.push(cur);
        cur = "";
        continue;
      }
      if (c === ":" && angle === 0 && paren === 0) {
        cur = ""; // a group's name: its members follow
        continue;
      }
    }
    cur += c;
  }
  out.push(cur);
  return out.filter((s) => s.trim() !== "");
}

/** The ENVELOPE of an entity (RFC 3501 §7.4.2). */
export function envelope(e: Entity): string {
  const from = header(e, "FROM");
  const sender = header(e, "SENDER") ?? from;
  const replyTo = header(e, "REPLY-TO") ?? from;
  return "(" + [
    nquote(header(e, "DATE")),
    nquote(header(e, "SUBJECT")),
    addressList(from),
    addressList(sender),
    addressList(replyTo),
    addressList(header(e, "TO")),
    addressList(header(e, "CC")),
    addressList(header(e, "BCC")),
    nquote(header(e, "IN-REPLY-TO")),
    nquote(header(e, "MESSAGE-ID")),
  ].join(" ") + ")";
}

function paramList(params: [string, string][]): string {
  if (params.length === 0) return "NIL";
  return "(" + params.map(([k, v]) => `${nquote(k.toUpperCase())} ${nquote(v)}`).join(" ") + ")";
}

function disposition(e: Entity): string {
  const d = header(e, "CONTENT-DISPOSITION");
  if (d === null) return "NIL";
  const [main, ...rest] = splitParams(d);
  return `(${nquote(main.toUpperCase())} ${paramList(rest.flatMap(paramOf))})`;
}

/** BODY (`extended` false) or BODYSTRUCTURE of an entity. */
export function bodyStructure(bytes: Uint8Array, e: Entity, extended: boolean): string {
  if (e.type === "multipart" && e.parts.length > 0) {
    const kids = e.parts.map((p) => bodyStructure(bytes, p, extended)).join("");
    let out = `(${kids} ${nquote(e.subtype.toUpperCase())}`;
    if (extended) {
      out += ` ${paramList(e.params)} ${disposition(e)} ${nquote(header(e, "CONTENT-LANGUAGE"))}` +
        ` ${nquote(header(e, "CONTENT-LOCATION"))}`;
    }
    return out + ")";
  }
  const size = e.end - e.bodyStart;
  const type = e.type === "multipart" ? "TEXT" : e.type.toUpperCase();
  const subtype = e.type === "multipart" ? "PLAIN" : e.subtype.toUpperCase();
  const encoding = (header(e, "CONTENT-TRANSFER-ENCODING") ?? "7BIT").toUpperCase();
  let out = `(${nquote(type)} ${nquote(subtype)} ${paramList(e.params)} ` +
    `${nquote(header(e, "CONTENT-ID"))} ${nquote(header(e, "CONTENT-DESCRIPTION"))} ` +
    `${nquote(encoding)} ${size}`;
  if (e.message !== null && e.type === "message") {
    const m = e.message;
    out += ` ${envelope(m)} ${bodyStructure(bytes, m, extended)} ${
      countLines(bytes, e.bodyStart, e.end)
    }`;
  } else if (e.type === "text") {
    out += ` ${countLines(bytes, e.bodyStart, e.end)}`;
  }
  if (extended) {
    out += ` ${nquote(header(e, "CONTENT-MD5"))} ${disposition(e)}` +
      ` ${nquote(header(e, "CONTENT-LANGUAGE"))} ${nquote(header(e, "CONTENT-LOCATION"))}`;
  }
  return out + ")";
}

/** The bytes of the header fields of `e` selected by `fields` (or all but them), with the blank line. */
function headerFields(bytes: Uint8Array, e: Entity, fields: string[], not: boolean): Uint8Array {
  const text = latin1.decode(bytes.subarray(e.headerStart, e.bodyStart));
  const lines = text.split("\r\n");
  const keep: string[] = [];
  let on = false;
  for (const line of lines) {
    if (line === "") continue;
    if (line[0] !== " " && line[0] !== "\t") {
      const colon = line.indexOf(":");
      const name = (colon > 0 ? line.slice(0, colon) : line).trim().toUpperCase();
      on = fields.includes(name) !== not;
    }
    if (on) keep.push(line + "\r\n");
  }
  keep.push("\r\n");
  const s = keep.join("");
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The bytes of `BODY[section]` of a message (CRLF), or null for no such part. */
export function sectionBytes(
  bytes: Uint8Array,
  root: Entity,
  part: number[],
  text: string,
  fields: string[],
): Uint8Array | null {
  if (part.length === 0 && text === "") return bytes;
  const e = findPart(root, part);
  if (e === null) return null;
  // HEADER and TEXT of a message/rfc822 part are those of the message inside.
  const inner = part.length > 0 && e.message !== null && e.type === "message" ? e.message : e;
  switch (text) {
    case "":
      return bytes.subarray(e.bodyStart, e.end);
    case "MIME":
      return bytes.subarray(e.headerStart, e.bodyStart);
    case "HEADER":
      if (part.length > 0 && inner === e) return null;
      return bytes.subarray(inner.headerStart, inner.bodyStart);
    case "TEXT":
      if (part.length > 0 && inner === e) return null;
      return bytes.subarray(inner.bodyStart, inner.end);
    case "HEADER.FIELDS":
    case "HEADER.FIELDS.NOT":
      if (part.length > 0 && inner === e) return null;
      return headerFields(bytes, inner, fields, text === "HEADER.FIELDS.NOT");
  }
  return null;
}

/** The decoded header text of a message, for SEARCH. */
export function headerValues(root: Entity, name: string): string[] {
  return root.headers.filter(([n]) => n === name).map(([, v]) => v);
}

export { concat };
