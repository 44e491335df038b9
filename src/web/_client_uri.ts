/**
 * `URI` (`twisted.web.client.URI`): the parts of an http(s) URL the client
 * needs, with the path kept as given (only bytes that cannot go on a request
 * line are percent-encoded). Private to src/web; client.ts re-exports it.
 *
 * @module
 */
import { SchemeNotSupported } from "./_client_errors.ts";

const URL_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;
const enc = new TextEncoder();

/** Percent-encodes what a request line cannot carry: controls, spaces, non-ASCII. */
function encodeTarget(s: string): string {
  if (!/[^\x21-\x7e]/.test(s)) return s;
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c > 0x20 && c < 0x7f) out += ch;
    else for (const b of enc.encode(ch)) out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * A parsed http or https URI.
 *
 * @example
 * ```ts
 * import { URI } from "@tw/core/web";
 * const uri = URI.fromString("http://[::1]:8080/a b?x=1#top");
 * console.log(uri.host, uri.port, uri.originForm, uri.hostHeader); // "::1" 8080 "/a%20b?x=1" "[::1]:8080"
 * ```
 */
export class URI {
  /** "http" or "https". */
  readonly scheme: string;
  /** The host (an IPv6 address without brackets). */
  readonly host: string;
  /** The port (80 / 443 unless given). */
  readonly port: number;
  /** The path, percent-encoded where needed ("" when absent). */
  readonly path: string;
  /** The query without "?", or null. */
  readonly query: string | null;
  /** The fragment without "#", or null. */
  readonly fragment: string | null;

  /**
   * Makes a URI from its parts.
   * @param scheme "http" or "https"
   * @param host the host
   * @param port the port
   * @param path the path
   * @param query the query, or null
   * @param fragment the fragment, or null
   */
  constructor(
    scheme: string,
    host: string,
    port: number,
    path: string,
    query: string | null = null,
    fragment: string | null = null,
  ) {
    this.scheme = scheme;
    this.host = host;
    this.port = port;
    this.path = path;
    this.query = query;
    this.fragment = fragment;
  }

  /**
   * Parses `uri`.
   * @throws {SchemeNotSupported} for a scheme other than http and https
   * @throws {TypeError} for something that is not an absolute URI with a host
   */
  static fromString(uri: string): URI {
    const m = URL_RE.exec(uri.trim());
    if (m === null) throw new TypeError(`Not an absolute http(s) URI: ${JSON.stringify(uri)}`);
    const scheme = m[1].toLowerCase();
    if (scheme !== "http" && scheme !== "https") {
      throw new SchemeNotSupported(`Unsupported scheme: ${scheme}`);
    }
    let netloc = m[2];
    const at = netloc.lastIndexOf("@");
    if (at >= 0) netloc = netloc.slice(at + 1); // userinfo is never sent
    let host: string;
    let portText = "";
    const v6 = /^\[([0-9a-fA-F:.%A-Za-z]+)\](?::(\d*))?$/.exec(netloc);
    if (v6 !== null) {
      host = v6[1];
      portText = v6[2] ?? "";
    } else {
      const colon = netloc.lastIndexOf(":");
      host = colon >= 0 ? netloc.slice(0, colon) : netloc;
      portText = colon >= 0 ? netloc.slice(colon + 1) : "";
      if (!/^[A-Za-z0-9._~!$&'()*+,;=%-]+$/.test(host)) {
        throw new TypeError(`Invalid host in URI: ${JSON.stringify(uri)}`);
      }
    }
    if (host === "") throw new TypeError(`No host in URI: ${JSON.stringify(uri)}`);
    let port = scheme === "https" ? 443 : 80;
    if (portText !== "") {
      if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
        throw new TypeError(`Invalid port in URI: ${JSON.stringify(uri)}`);
      }
      port = Number(portText);
    }
    return new URI(
      scheme,
      host.toLowerCase(),
      port,
      encodeTarget(m[3]),
      m[4] === undefined ? null : encodeTarget(m[4]),
      m[5] ?? null,
    );
  }

  /** The request-target for this URI (path and query; "/" when the path is empty). */
  get originForm(): string {
    const path = this.path === "" ? "/" : this.path;
    return this.query === null ? path : `${path}?${this.query}`;
  }

  /** The Host header value: the host, bracketed when IPv6, with the port unless default. */
  get hostHeader(): string {
    const host = this.host.includes(":") ? `[${this.host}]` : this.host;
    const standard = (this.scheme === "http" && this.port === 80) ||
      (this.scheme === "https" && this.port === 443);
    return standard ? host : `${host}:${this.port}`;
  }

  /** `scheme://host[:port]`: the origin. */
  get origin(): string {
    return `${this.scheme}://${this.hostHeader}`;
  }

  /** The absolute URI without the fragment. */
  toString(): string {
    return this.origin + this.originForm;
  }
}
