/**
 * Requests arriving over HTTP/2: the checks on a request's header list
 * (RFC 9113 §8.3.1), the `HTTPChannel` each stream's request runs on, and the
 * `Upgrade: h2c` handshake's parts (RFC 7540 §3.2: the request that asks,
 * its HTTP2-Settings).
 *
 * @module
 */
import type { IReactorTime } from "../../internet/interfaces.ts";
import { HTTPChannel } from "../http.ts";
import type { Headers } from "../_headers.ts";
import { eachValue } from "../_internal.ts";
import { ErrorCode, FrameType, H2Error, parseSettings } from "./_frames.ts";
import type { HeaderField } from "./_hpack.ts";
import { isConnectionSpecific } from "./_stream.ts";

/** A request that asked for `Upgrade: h2c`: it becomes stream 1. */
export interface H2cUpgrade {
  /** Its method. */
  method: string;
  /** Its target. */
  uri: string;
  /** Its headers (with HTTP2-Settings). */
  headers: Headers;
}

/** Whether a bodiless HTTP/1.1 request asks to upgrade to h2c (RFC 7540 §3.2). */
export function wantsH2cUpgrade(headers: Headers): boolean {
  const tokens = (name: string): string[] =>
    (headers.getRawHeaders(name) ?? []).join(",").toLowerCase().split(",").map((t) => t.trim());
  const settings = headers.getRawHeaders("http2-settings");
  return tokens("upgrade").includes("h2c") && settings?.length === 1 &&
    tokens("connection").includes("upgrade") && tokens("connection").includes("http2-settings");
}

/**
 * The settings in an HTTP2-Settings header (a SETTINGS payload in base64url).
 * @throws {H2Error} or an Error for a malformed value
 */
export function decodeSettingsHeader(value: string): [number, number][] {
  const b64 = value.trim().replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(b64 + "=".repeat((4 - b64.length % 4) % 4));
  const payload = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  return parseSettings({ type: FrameType.SETTINGS, flags: 0, streamId: 0, payload });
}

/** The header fields of an upgrading HTTP/1.1 request, as stream 1 gets them. */
export function upgradeFields(headers: Headers): HeaderField[] {
  const fields: HeaderField[] = [];
  headers[eachValue]((lower, value) => {
    if (lower !== "http2-settings" && !isConnectionSpecific(lower)) fields.push([lower, value]);
  });
  return fields;
}

/** The channel a stream's request runs on: the connection's settings, no timers of its own. */
export function streamChannel(template: HTTPChannel, clock: IReactorTime): HTTPChannel {
  const channel = new HTTPChannel();
  channel.factory = template.factory;
  channel.site = template.site;
  channel.requestFactory = template.requestFactory;
  channel.timeOut = null;
  channel.headerTimeout = null;
  channel.requestTimeout = null;
  channel.clock = clock;
  channel.maxRequestBodySize = template.maxRequestBodySize;
  channel.serverName = template.serverName;
  return channel;
}

const UPPER = /[A-Z]/;
const BAD_VALUE = /[\0\r\n]/;

/**
 * Checks a request's header list (RFC 9113 §8.3.1): the pseudo-headers
 * first, each once, no unknown ones; names in lower case; no
 * connection-specific fields; `te` only "trailers".
 * @throws {H2Error} PROTOCOL_ERROR on stream `id` for a malformed request
 */
export function validateRequest(
  headers: HeaderField[],
  id: number,
): { method: string; uri: string; fields: HeaderField[] } {
  const malformed = (why: string): H2Error =>
    new H2Error(ErrorCode.PROTOCOL_ERROR, `Malformed request: ${why}`, id);
  let method: string | undefined;
  let scheme: string | undefined;
  let path: string | undefined;
  let authority: string | undefined;
  let hasHost = false;
  let regular = false;
  const fields: HeaderField[] = [];
  for (const field of headers) {
    const [name, value] = field;
    if (BAD_VALUE.test(value)) throw malformed(`bad value for ${name}`);
    if (name.charCodeAt(0) === 58) {
      if (regular) throw malformed("pseudo-header after a regular one");
      if (name === ":method" && method === undefined) method = value;
      else if (name === ":scheme" && scheme === undefined) scheme = value;
      else if (name === ":path" && path === undefined) path = value;
      else if (name === ":authority" && authority === undefined) authority = value;
      else throw malformed(`pseudo-header ${name}`);
      continue;
    }
    regular = true;
    if (name.length === 0 || UPPER.test(name) || BAD_VALUE.test(name) || name.includes(":")) {
      throw malformed("bad header name");
    }
    if (isConnectionSpecific(name)) throw malformed(`connection-specific header ${name}`);
    if (name === "te" && value.toLowerCase() !== "trailers") {
      throw malformed("te other than trailers");
    }
    if (name === "host") hasHost = true;
    fields.push(field);
  }
  if (method === undefined || method === "") throw malformed("no :method");
  let uri: string;
  if (method === "CONNECT") {
    if (authority === undefined || scheme !== undefined || path !== undefined) {
      throw malformed("CONNECT pseudo-headers");
    }
    uri = authority;
  } else {
    if (scheme === undefined || path === undefined || path === "") {
      throw malformed("no :scheme or :path");
    }
    uri = path;
  }
  if (authority !== undefined && !hasHost) fields.unshift(["host", authority]);
  return { method, uri, fields };
}
