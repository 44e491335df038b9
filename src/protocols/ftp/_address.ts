/**
 * The address forms FTP carries in commands and replies: RFC 959's
 * `h1,h2,h3,h4,p1,p2` (PORT, 227) and RFC 2428's `|af|host|port|` (EPRT, 229).
 * Each decoder checks every field and throws `InvalidHostPort`, which a server
 * answers with 501 and a client reports as a bad reply.
 *
 * @module
 */

/** A host and a port, as an FTP address names them. */
export interface HostPort {
  /** An IPv4 or IPv6 address, as text. */
  host: string;
  /** The TCP port. */
  port: number;
}

/**
 * A malformed FTP address: a PORT or EPRT argument, or a 227 or 229 reply,
 * that does not name a host and port.
 *
 * @example
 * ```ts
 * import { decodeHostPort, InvalidHostPort } from "@tw/core/protocols/ftp";
 * try {
 *   decodeHostPort("1,2,3");
 * } catch (error) {
 *   console.log(error instanceof InvalidHostPort); // true
 * }
 * ```
 */
export class InvalidHostPort extends Error {
  /** Names what was wrong with `text`. */
  constructor(message: string) {
    super(message);
    this.name = "InvalidHostPort";
  }
}

const DECIMAL = /^\d{1,3}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
// Hex groups, colons and an optional IPv4 tail; `isIPv6` checks the shape further.
const IPV6_CHARS = /^[0-9A-Fa-f:.]+$/;

function byte(text: string, what: string): number {
  if (!DECIMAL.test(text)) throw new InvalidHostPort(`${what} is not a number: ${text}`);
  const value = Number(text);
  if (value > 255) throw new InvalidHostPort(`${what} is over 255: ${text}`);
  return value;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidHostPort(`port out of range: ${port}`);
  }
  return port;
}

function isIPv4(host: string): boolean {
  const match = IPV4.exec(host);
  return match !== null && match.slice(1).every((part) => Number(part) <= 255);
}

function isIPv6(host: string): boolean {
  if (!IPV6_CHARS.test(host) || !host.includes(":") || host.length > 45) return false;
  const halves = host.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => half === "" ? [] : half.split(":"));
  const last = groups.at(-1) ?? "";
  const tailIsIPv4 = last.includes(".");
  if (tailIsIPv4 && !isIPv4(last)) return false;
  const hexGroups = tailIsIPv4 ? groups.slice(0, -1) : groups;
  if (!hexGroups.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group))) return false;
  const width = hexGroups.length + (tailIsIPv4 ? 2 : 0);
  return halves.length === 2 ? width < 8 : width === 8;
}

/**
 * Reads RFC 959's `h1,h2,h3,h4,p1,p2` (a PORT argument, the numbers in a 227
 * reply) as a host and port.
 *
 * @example
 * ```ts
 * import { decodeHostPort } from "@tw/core/protocols/ftp";
 * console.log(decodeHostPort("127,0,0,1,4,1")); // { host: "127.0.0.1", port: 1025 }
 * ```
 */
export function decodeHostPort(text: string): HostPort {
  const fields = text.trim().split(",").map((field) => field.trim());
  if (fields.length !== 6) {
    throw new InvalidHostPort(`expected h1,h2,h3,h4,p1,p2, got: ${text.slice(0, 64)}`);
  }
  const [a, b, c, d, high, low] = fields.map((field, i) => byte(field, i < 4 ? "host" : "port"));
  return { host: `${a}.${b}.${c}.${d}`, port: checkPort(high * 256 + low) };
}

/**
 * Writes an IPv4 host and a port as RFC 959's `h1,h2,h3,h4,p1,p2`.
 *
 * @example
 * ```ts
 * import { encodeHostPort } from "@tw/core/protocols/ftp";
 * console.log(encodeHostPort("127.0.0.1", 1025)); // 127,0,0,1,4,1
 * ```
 */
export function encodeHostPort(host: string, port: number): string {
  if (!isIPv4(host)) throw new InvalidHostPort(`not an IPv4 address: ${host}`);
  checkPort(port);
  return `${host.split(".").map(Number).join(",")},${port >> 8},${port & 255}`;
}

/**
 * Reads an EPRT argument, `|1|132.235.1.2|6275|` or `|2|::1|6275|`: the
 * delimiter is the first character, as RFC 2428 allows any from 33 to 126.
 *
 * @example
 * ```ts
 * import { decodeExtendedAddress } from "@tw/core/protocols/ftp";
 * console.log(decodeExtendedAddress("|2|::1|6275|")); // { host: "::1", port: 6275 }
 * ```
 */
export function decodeExtendedAddress(text: string): HostPort {
  const trimmed = text.trim();
  const delimiter = trimmed[0];
  if (delimiter === undefined || delimiter < "!" || delimiter > "~") {
    throw new InvalidHostPort(`no delimiter in EPRT argument: ${text.slice(0, 64)}`);
  }
  const fields = trimmed.split(delimiter);
  // "|af|host|port|" splits into ["", af, host, port, ""].
  if (fields.length !== 5 || fields[0] !== "" || fields[4] !== "") {
    throw new InvalidHostPort(`expected |af|host|port|, got: ${text.slice(0, 64)}`);
  }
  const [, family, host, portText] = fields;
  if (!/^\d{1,5}$/.test(portText)) throw new InvalidHostPort(`bad port: ${portText}`);
  const port = checkPort(Number(portText));
  if (family === "1" && isIPv4(host)) return { host, port };
  if (family === "2" && isIPv6(host)) return { host: host.toLowerCase(), port };
  throw new InvalidHostPort(`address family ${family} does not match host ${host.slice(0, 64)}`);
}

/**
 * Writes a host and port as an EPRT argument: family 1 for IPv4, 2 for IPv6.
 *
 * @example
 * ```ts
 * import { encodeExtendedAddress } from "@tw/core/protocols/ftp";
 * console.log(encodeExtendedAddress("::1", 6275)); // |2|::1|6275|
 * ```
 */
export function encodeExtendedAddress(host: string, port: number): string {
  checkPort(port);
  if (isIPv4(host)) return `|1|${host}|${port}|`;
  if (isIPv6(host)) return `|2|${host}|${port}|`;
  throw new InvalidHostPort(`not an IP address: ${host}`);
}

/**
 * Reads the host and port from a 227 reply's text, wherever its six numbers
 * stand ("Entering Passive Mode (h1,h2,h3,h4,p1,p2)", with or without the
 * parentheses).
 *
 * @example
 * ```ts
 * import { decodePassiveReply } from "@tw/core/protocols/ftp";
 * const { port } = decodePassiveReply("Entering Passive Mode (127,0,0,1,195,80).");
 * console.log(port); // 50000
 * ```
 */
export function decodePassiveReply(text: string): HostPort {
  const match = /(\d{1,3}\s*,\s*){5}\d{1,3}/.exec(text);
  if (match === null) throw new InvalidHostPort(`no address in 227 reply: ${text.slice(0, 64)}`);
  return decodeHostPort(match[0]);
}

/**
 * Reads the port from a 229 reply's text, "Entering Extended Passive Mode
 * (|||6446|)", whatever the delimiter.
 *
 * @example
 * ```ts
 * import { decodeExtendedPassiveReply } from "@tw/core/protocols/ftp";
 * console.log(decodeExtendedPassiveReply("Entering Extended Passive Mode (|||6446|)")); // 6446
 * ```
 */
export function decodeExtendedPassiveReply(text: string): number {
  const match = /\(([!-~])\1\1(\d{1,5})\1\)/.exec(text);
  if (match === null) throw new InvalidHostPort(`no port in 229 reply: ${text.slice(0, 64)}`);
  return checkPort(Number(match[2]));
}

/**
 * Writes the port of a 229 reply: `(|||6446|)`.
 *
 * @example
 * ```ts
 * import { encodeExtendedPassiveReply } from "@tw/core/protocols/ftp";
 * console.log(`229 Entering Extended Passive Mode ${encodeExtendedPassiveReply(6446)}`);
 * ```
 */
export function encodeExtendedPassiveReply(port: number): string {
  return `(|||${checkPort(port)}|)`;
}
