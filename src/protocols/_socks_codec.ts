/**
 * The SOCKS wire format (SOCKS 4 and 4a as published by NEC, SOCKS 5 from
 * RFC 1928, username/password authentication from RFC 1929): constants,
 * incremental parsers and encoders shared by the server and the client
 * endpoints. Private to src/protocols; socks.ts re-exports the public parts.
 *
 * Parsers take the bytes received so far and return `null` while a message
 * is incomplete, or the message and how many bytes it used. Malformed input
 * throws `SOCKSError` carrying the reply code the server should answer with.
 *
 * @module
 */
import { isIPv4, isIPv6 } from "../internet/address.ts";
import { ConnectError } from "../internet/error.ts";

/** SOCKS 4 reply codes (the `CD` field of a reply). */
export const SOCKS4Reply = {
  /** Request granted. */
  GRANTED: 0x5a,
  /** Request rejected or failed. */
  REJECTED: 0x5b,
  /** Rejected: the server cannot reach the client's identd. */
  IDENTD_UNREACHABLE: 0x5c,
  /** Rejected: identd reported a different user id. */
  IDENTD_MISMATCH: 0x5d,
} as const;

/** SOCKS 5 reply codes (RFC 1928 section 6, the `REP` field). */
export const SOCKS5Reply = {
  /** Succeeded. */
  SUCCEEDED: 0x00,
  /** General SOCKS server failure. */
  GENERAL_FAILURE: 0x01,
  /** Connection not allowed by ruleset. */
  NOT_ALLOWED: 0x02,
  /** Network unreachable. */
  NETWORK_UNREACHABLE: 0x03,
  /** Host unreachable. */
  HOST_UNREACHABLE: 0x04,
  /** Connection refused. */
  CONNECTION_REFUSED: 0x05,
  /** TTL expired. */
  TTL_EXPIRED: 0x06,
  /** Command not supported. */
  COMMAND_NOT_SUPPORTED: 0x07,
  /** Address type not supported. */
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
} as const;

/** SOCKS 5 authentication methods (RFC 1928 section 3). */
export const SOCKS5Method = {
  /** No authentication required. */
  NO_AUTH: 0x00,
  /** GSSAPI (not implemented). */
  GSSAPI: 0x01,
  /** Username/password (RFC 1929). */
  USERNAME_PASSWORD: 0x02,
  /** The server's answer when none of the offered methods is acceptable. */
  NO_ACCEPTABLE: 0xff,
} as const;

/** SOCKS commands (`CD` in SOCKS 4, `CMD` in SOCKS 5). */
export const SOCKSCommand = {
  /** Open a TCP connection to the destination. */
  CONNECT: 0x01,
  /** Accept one connection from the destination (not implemented by the server). */
  BIND: 0x02,
  /** Relay UDP datagrams (SOCKS 5 only; not implemented by the server). */
  UDP_ASSOCIATE: 0x03,
} as const;

/** SOCKS 5 address types (the `ATYP` field). */
export const SOCKS5AddressType = {
  /** Four bytes of IPv4 address. */
  IPV4: 0x01,
  /** A length byte, then a host name. */
  DOMAIN: 0x03,
  /** Sixteen bytes of IPv6 address. */
  IPV6: 0x04,
} as const;

const REPLY_TEXT: Record<number, string> = {
  0x01: "general SOCKS server failure",
  0x02: "connection not allowed by ruleset",
  0x03: "network unreachable",
  0x04: "host unreachable",
  0x05: "connection refused",
  0x06: "TTL expired",
  0x07: "command not supported",
  0x08: "address type not supported",
  0x5b: "request rejected or failed",
  0x5c: "request rejected: identd unreachable",
  0x5d: "request rejected: identd reported a different user id",
};

/**
 * A SOCKS negotiation failed: the proxy refused the request (`reply` is its
 * reply code), the peer sent something malformed, or authentication failed.
 * On the server side `reply` is the code to answer with.
 *
 * @example
 * ```ts
 * import { parseSOCKS5Request, SOCKS5Reply, SOCKSError } from "@tw/core/protocols/socks";
 * try {
 *   parseSOCKS5Request(new Uint8Array([5, 1, 0, 9, 0, 0])); // address type 9 does not exist
 * } catch (e) {
 *   if (!(e instanceof SOCKSError)) throw e;
 *   console.log(e.reply === SOCKS5Reply.ADDRESS_TYPE_NOT_SUPPORTED); // true
 * }
 * ```
 */
export class SOCKSError extends ConnectError {
  /** The SOCKS reply code (SOCKS 5 `REP` or SOCKS 4 `CD`), or null when there is none. */
  readonly reply: number | null;
  /**
   * Creates the error.
   * @param message what went wrong
   * @param reply the SOCKS reply code, when there is one
   */
  constructor(message: string, reply: number | null = null) {
    super(message);
    this.name = "SOCKSError";
    this.reply = reply;
  }
}

/**
 * The text RFC 1928 / the SOCKS 4 paper give a reply code.
 *
 * @example
 * ```ts
 * import { describeReply, SOCKS5Reply } from "@tw/core/protocols/socks";
 * console.log(describeReply(SOCKS5Reply.CONNECTION_REFUSED)); // "connection refused"
 * ```
 */
export function describeReply(code: number): string {
  return REPLY_TEXT[code] ?? `unknown reply code ${code}`;
}

/** A message and the number of bytes it used. */
export interface Parsed<T> {
  /** The message. */
  value: T;
  /** How many bytes of the input it used. */
  size: number;
}

/** A SOCKS 4 or 4a request. */
export interface SOCKS4Request {
  /** `SOCKSCommand.CONNECT` or `BIND`. */
  command: number;
  /** The destination port. */
  port: number;
  /** The destination: dotted IPv4, or the host name of a 4a request. */
  host: string;
  /** The USERID field. */
  userid: string;
  /** True for a 4a request (the host is a name for the server to resolve). */
  v4a: boolean;
}

/** A SOCKS 5 request (RFC 1928 section 4). */
export interface SOCKS5Request {
  /** `SOCKSCommand.CONNECT`, `BIND` or `UDP_ASSOCIATE`. */
  command: number;
  /** The `ATYP` the client used. */
  addressType: number;
  /** The destination: dotted IPv4, an IPv6 address, or a host name. */
  host: string;
  /** The destination port. */
  port: number;
}

/** A SOCKS 5 reply (the same layout as a request, with `REP` in place of `CMD`). */
export interface SOCKS5ReplyMessage {
  /** The reply code. */
  reply: number;
  /** The bound address the proxy reported. */
  host: string;
  /** The bound port the proxy reported. */
  port: number;
}

/** Longest USERID or 4a host name accepted: longer input is taken as garbage. */
export const MAX_SOCKS4_FIELD = 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

function text(bytes: Uint8Array, reply: number, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SOCKSError(`The ${what} is not valid UTF-8`, reply);
  }
}

/** Index of the first zero byte at or after `from`, or -1 (bounded by `MAX_SOCKS4_FIELD`). */
function nulTerminated(buf: Uint8Array, from: number): number {
  const end = buf.indexOf(0, from);
  if (end === -1 && buf.byteLength - from > MAX_SOCKS4_FIELD) {
    throw new SOCKSError("A SOCKS 4 field is too long", SOCKS4Reply.REJECTED);
  }
  if (end - from > MAX_SOCKS4_FIELD) {
    throw new SOCKSError("A SOCKS 4 field is too long", SOCKS4Reply.REJECTED);
  }
  return end;
}

/**
 * Parses a SOCKS 4 or 4a request: VN CD DSTPORT DSTIP USERID NUL [HOST NUL].
 *
 * @example
 * ```ts
 * import { encodeSOCKS4Request, parseSOCKS4Request } from "@tw/core/protocols/socks";
 * const bytes = encodeSOCKS4Request("example.org", 80, "alice");
 * console.log(parseSOCKS4Request(bytes.subarray(0, 5))); // null (incomplete)
 * const { value, size } = parseSOCKS4Request(bytes)!;
 * console.log(value.host, value.port, value.userid, value.v4a); // example.org 80 alice true
 * console.log(size === bytes.byteLength); // true
 * ```
 */
export function parseSOCKS4Request(buf: Uint8Array): Parsed<SOCKS4Request> | null {
  if (buf.byteLength < 9) {
    if (buf.byteLength > 0 && buf[0] !== 4) {
      throw new SOCKSError("Not a SOCKS 4 request", SOCKS4Reply.REJECTED);
    }
    return null;
  }
  if (buf[0] !== 4) throw new SOCKSError("Not a SOCKS 4 request", SOCKS4Reply.REJECTED);
  const command = buf[1];
  const port = (buf[2] << 8) | buf[3];
  const userEnd = nulTerminated(buf, 8);
  if (userEnd === -1) return null;
  const userid = text(buf.subarray(8, userEnd), SOCKS4Reply.REJECTED, "USERID");
  // 0.0.0.x with x != 0 marks a 4a request: the host name follows the USERID.
  const v4a = buf[4] === 0 && buf[5] === 0 && buf[6] === 0 && buf[7] !== 0;
  if (!v4a) {
    const host = `${buf[4]}.${buf[5]}.${buf[6]}.${buf[7]}`;
    return { value: { command, port, host, userid, v4a }, size: userEnd + 1 };
  }
  const hostEnd = nulTerminated(buf, userEnd + 1);
  if (hostEnd === -1) return null;
  const host = text(buf.subarray(userEnd + 1, hostEnd), SOCKS4Reply.REJECTED, "host name");
  if (host.length === 0) {
    throw new SOCKSError("The SOCKS 4a host name is empty", SOCKS4Reply.REJECTED);
  }
  return { value: { command, port, host, userid, v4a }, size: hostEnd + 1 };
}

/**
 * Encodes a SOCKS 4 reply: VN=0 CD DSTPORT DSTIP (the bound address, or zeros).
 *
 * @example
 * ```ts
 * import { encodeSOCKS4Reply, SOCKS4Reply } from "@tw/core/protocols/socks";
 * console.log(encodeSOCKS4Reply(SOCKS4Reply.GRANTED, "10.0.0.1", 8080));
 * // Uint8Array(8) [ 0, 90, 31, 144, 10, 0, 0, 1 ]
 * ```
 */
export function encodeSOCKS4Reply(code: number, host = "0.0.0.0", port = 0): Uint8Array {
  const out = new Uint8Array(8);
  out[1] = code;
  out[2] = port >> 8;
  out[3] = port & 0xff;
  if (isIPv4(host)) out.set(parseIPv4(host), 4);
  return out;
}

/**
 * Encodes a SOCKS 4 or (for a host that is not an IPv4 literal) 4a CONNECT request.
 *
 * @example
 * ```ts
 * import { encodeSOCKS4Request } from "@tw/core/protocols/socks";
 * console.log(encodeSOCKS4Request("10.0.0.1", 80, "bob"));
 * // Uint8Array(12) [ 4, 1, 0, 80, 10, 0, 0, 1, 98, 111, 98, 0 ]
 * ```
 */
export function encodeSOCKS4Request(host: string, port: number, userid = ""): Uint8Array {
  const user = encoder.encode(userid);
  const name = isIPv4(host) ? null : encoder.encode(host);
  const out = new Uint8Array(9 + user.byteLength + (name === null ? 0 : name.byteLength + 1));
  out[0] = 4;
  out[1] = SOCKSCommand.CONNECT;
  out[2] = port >> 8;
  out[3] = port & 0xff;
  if (name === null) out.set(parseIPv4(host), 4);
  else out[7] = 1;
  out.set(user, 8);
  if (name !== null) out.set(name, 9 + user.byteLength);
  return out;
}

/**
 * Parses a SOCKS 4 reply (8 bytes): the code and the bound address.
 *
 * @example
 * ```ts
 * import { encodeSOCKS4Reply, parseSOCKS4Reply, SOCKS4Reply } from "@tw/core/protocols/socks";
 * const parsed = parseSOCKS4Reply(encodeSOCKS4Reply(SOCKS4Reply.REJECTED));
 * console.log(parsed?.value.reply === SOCKS4Reply.REJECTED, parsed?.size); // true 8
 * ```
 */
export function parseSOCKS4Reply(buf: Uint8Array): Parsed<{ reply: number }> | null {
  if (buf.byteLength < 8) return null;
  if (buf[0] !== 0) throw new SOCKSError(`Bad SOCKS 4 reply version ${buf[0]}`);
  return { value: { reply: buf[1] }, size: 8 };
}

/**
 * Parses a SOCKS 5 greeting: VER NMETHODS METHODS.
 *
 * @example
 * ```ts
 * import { parseSOCKS5Greeting } from "@tw/core/protocols/socks";
 * console.log(parseSOCKS5Greeting(new Uint8Array([5, 2, 0, 2]))); // { value: [ 0, 2 ], size: 4 }
 * console.log(parseSOCKS5Greeting(new Uint8Array([5, 2, 0]))); // null
 * ```
 */
export function parseSOCKS5Greeting(buf: Uint8Array): Parsed<number[]> | null {
  if (buf.byteLength >= 1 && buf[0] !== 5) throw new SOCKSError("Not a SOCKS 5 greeting");
  if (buf.byteLength < 2) return null;
  const size = 2 + buf[1];
  if (buf.byteLength < size) return null;
  return { value: [...buf.subarray(2, size)], size };
}

/**
 * Encodes a SOCKS 5 greeting offering `methods`.
 *
 * @example
 * ```ts
 * import { encodeSOCKS5Greeting, SOCKS5Method } from "@tw/core/protocols/socks";
 * const greeting = encodeSOCKS5Greeting([SOCKS5Method.NO_AUTH, SOCKS5Method.USERNAME_PASSWORD]);
 * console.log(greeting); // Uint8Array(4) [ 5, 2, 0, 2 ]
 * ```
 */
export function encodeSOCKS5Greeting(methods: readonly number[]): Uint8Array {
  return new Uint8Array([5, methods.length, ...methods]);
}

/**
 * Parses an RFC 1929 username/password request: VER=1 ULEN UNAME PLEN PASSWD.
 *
 * @example
 * ```ts
 * import { encodeSOCKS5UserPass, parseSOCKS5UserPass } from "@tw/core/protocols/socks";
 * const parsed = parseSOCKS5UserPass(encodeSOCKS5UserPass("alice", "secret"));
 * console.log(parsed?.value.username, parsed?.value.password); // alice secret
 * ```
 */
export function parseSOCKS5UserPass(
  buf: Uint8Array,
): Parsed<{ username: string; password: string }> | null {
  if (buf.byteLength >= 1 && buf[0] !== 1) {
    throw new SOCKSError(`Bad username/password version ${buf[0]}`);
  }
  if (buf.byteLength < 2) return null;
  const ulen = buf[1];
  if (buf.byteLength < 3 + ulen) return null;
  const plen = buf[2 + ulen];
  const size = 3 + ulen + plen;
  if (buf.byteLength < size) return null;
  return {
    value: {
      username: text(buf.subarray(2, 2 + ulen), SOCKS5Reply.GENERAL_FAILURE, "user name"),
      password: text(buf.subarray(3 + ulen, size), SOCKS5Reply.GENERAL_FAILURE, "password"),
    },
    size,
  };
}

/**
 * Encodes an RFC 1929 username/password request.
 *
 * @example
 * ```ts
 * import { encodeSOCKS5UserPass } from "@tw/core/protocols/socks";
 * console.log(encodeSOCKS5UserPass("al", "pw")); // Uint8Array(7) [ 1, 2, 97, 108, 2, 112, 119 ]
 * ```
 */
export function encodeSOCKS5UserPass(username: string, password: string): Uint8Array {
  const u = encoder.encode(username);
  const p = encoder.encode(password);
  if (u.byteLength > 255 || p.byteLength > 255) {
    throw new RangeError("A SOCKS 5 user name or password is longer than 255 bytes");
  }
  const out = new Uint8Array(3 + u.byteLength + p.byteLength);
  out[0] = 1;
  out[1] = u.byteLength;
  out.set(u, 2);
  out[2 + u.byteLength] = p.byteLength;
  out.set(p, 3 + u.byteLength);
  return out;
}

/** Parses an address (ATYP ADDR PORT) at `at`: the shared tail of SOCKS 5 requests and replies. */
function parseAddress(
  buf: Uint8Array,
  at: number,
): { type: number; host: string; port: number; end: number } | null {
  if (buf.byteLength < at + 1) return null;
  const type = buf[at];
  let host: string;
  let end: number;
  if (type === SOCKS5AddressType.IPV4) {
    end = at + 5;
    if (buf.byteLength < end + 2) return null;
    host = buf.subarray(at + 1, end).join(".");
  } else if (type === SOCKS5AddressType.IPV6) {
    end = at + 17;
    if (buf.byteLength < end + 2) return null;
    host = formatIPv6(buf.subarray(at + 1, end));
  } else if (type === SOCKS5AddressType.DOMAIN) {
    if (buf.byteLength < at + 2) return null;
    end = at + 2 + buf[at + 1];
    if (buf.byteLength < end + 2) return null;
    host = text(buf.subarray(at + 2, end), SOCKS5Reply.GENERAL_FAILURE, "host name");
    if (host.length === 0) {
      throw new SOCKSError("The SOCKS 5 host name is empty", SOCKS5Reply.HOST_UNREACHABLE);
    }
  } else {
    throw new SOCKSError(
      `Unknown SOCKS 5 address type ${type}`,
      SOCKS5Reply.ADDRESS_TYPE_NOT_SUPPORTED,
    );
  }
  return { type, host, port: (buf[end] << 8) | buf[end + 1], end: end + 2 };
}

/**
 * Parses a SOCKS 5 request: VER CMD RSV ATYP DST.ADDR DST.PORT.
 *
 * @example
 * ```ts
 * import { encodeSOCKS5Request, parseSOCKS5Request, SOCKSCommand } from "@tw/core/protocols/socks";
 * const bytes = encodeSOCKS5Request(SOCKSCommand.CONNECT, "example.org", 443);
 * const { value } = parseSOCKS5Request(bytes)!;
 * console.log(value.command === SOCKSCommand.CONNECT); // true
 * console.log(value.host, value.port); // example.org 443
 * ```
 */
export function parseSOCKS5Request(buf: Uint8Array): Parsed<SOCKS5Request> | null {
  if (buf.byteLength >= 1 && buf[0] !== 5) {
    throw new SOCKSError(`Bad SOCKS 5 request version ${buf[0]}`, SOCKS5Reply.GENERAL_FAILURE);
  }
  if (buf.byteLength < 3) return null;
  // RSV (buf[2]) is ignored, as RFC 1928 reserves it without saying what to do.
  const address = parseAddress(buf, 3);
  if (address === null) return null;
  return {
    value: { command: buf[1], addressType: address.type, host: address.host, port: address.port },
    size: address.end,
  };
}

/** Encodes ATYP ADDR PORT for `host` (an IP literal or a name). */
function encodeAddress(host: string, port: number): Uint8Array {
  let head: Uint8Array;
  if (isIPv4(host)) {
    head = new Uint8Array(5);
    head[0] = SOCKS5AddressType.IPV4;
    head.set(parseIPv4(host), 1);
  } else if (isIPv6(host)) {
    head = new Uint8Array(17);
    head[0] = SOCKS5AddressType.IPV6;
    head.set(parseIPv6(host), 1);
  } else {
    const name = encoder.encode(host);
    if (name.byteLength === 0 || name.byteLength > 255) {
      throw new RangeError(`A SOCKS 5 host name must be 1 to 255 bytes: ${JSON.stringify(host)}`);
    }
    head = new Uint8Array(2 + name.byteLength);
    head[0] = SOCKS5AddressType.DOMAIN;
    head[1] = name.byteLength;
    head.set(name, 2);
  }
  const out = new Uint8Array(head.byteLength + 2);
  out.set(head);
  out[head.byteLength] = port >> 8;
  out[head.byteLength + 1] = port & 0xff;
  return out;
}

/**
 * Encodes a SOCKS 5 request for `command` to `host:port`.
 *
 * @example
 * ```ts
 * import { encodeSOCKS5Request, SOCKSCommand } from "@tw/core/protocols/socks";
 * console.log(encodeSOCKS5Request(SOCKSCommand.CONNECT, "10.0.0.1", 80));
 * // Uint8Array(10) [ 5, 1, 0, 1, 10, 0, 0, 1, 0, 80 ]
 * ```
 */
export function encodeSOCKS5Request(command: number, host: string, port: number): Uint8Array {
  const address = encodeAddress(host, port);
  const out = new Uint8Array(3 + address.byteLength);
  out[0] = 5;
  out[1] = command;
  out.set(address, 3);
  return out;
}

/**
 * Encodes a SOCKS 5 reply with the bound address (IPv4 0.0.0.0:0 when unknown).
 *
 * @example
 * ```ts
 * import { encodeSOCKS5Reply, SOCKS5Reply } from "@tw/core/protocols/socks";
 * console.log(encodeSOCKS5Reply(SOCKS5Reply.SUCCEEDED, "10.0.0.1", 1080));
 * // Uint8Array(10) [ 5, 0, 0, 1, 10, 0, 0, 1, 4, 56 ]
 * ```
 */
export function encodeSOCKS5Reply(code: number, host = "0.0.0.0", port = 0): Uint8Array {
  const ip = isIPv4(host) || isIPv6(host) ? host : "0.0.0.0";
  const address = encodeAddress(ip, port);
  const out = new Uint8Array(3 + address.byteLength);
  out[0] = 5;
  out[1] = code;
  out.set(address, 3);
  return out;
}

/**
 * Parses a SOCKS 5 reply: VER REP RSV ATYP BND.ADDR BND.PORT.
 *
 * @example
 * ```ts
 * import { encodeSOCKS5Reply, parseSOCKS5Reply, SOCKS5Reply } from "@tw/core/protocols/socks";
 * const { value } = parseSOCKS5Reply(encodeSOCKS5Reply(SOCKS5Reply.SUCCEEDED, "::1", 1080))!;
 * console.log(value.reply, value.host, value.port); // 0 ::1 1080
 * ```
 */
export function parseSOCKS5Reply(buf: Uint8Array): Parsed<SOCKS5ReplyMessage> | null {
  if (buf.byteLength >= 1 && buf[0] !== 5) {
    throw new SOCKSError(`Bad SOCKS 5 reply version ${buf[0]}`);
  }
  if (buf.byteLength < 3) return null;
  const address = parseAddress(buf, 3);
  if (address === null) return null;
  return { value: { reply: buf[1], host: address.host, port: address.port }, size: address.end };
}

/** The four bytes of a dotted IPv4 address. */
export function parseIPv4(host: string): Uint8Array {
  return new Uint8Array(host.split(".").map(Number));
}

/** The sixteen bytes of an IPv6 address (a zone suffix such as "%eth0" is dropped). */
export function parseIPv6(host: string): Uint8Array {
  let text = host.replace(/^\[|\]$/g, "");
  const zone = text.indexOf("%");
  if (zone !== -1) text = text.slice(0, zone);
  const out = new Uint8Array(16);
  const groups = (part: string): number[] => {
    if (part === "") return [];
    const words: number[] = [];
    for (const piece of part.split(":")) {
      if (piece.includes(".")) {
        const [a, b, c, d] = parseIPv4(piece);
        words.push((a << 8) | b, (c << 8) | d);
      } else {
        words.push(parseInt(piece, 16));
      }
    }
    return words;
  };
  const gap = text.indexOf("::");
  const head = groups(gap === -1 ? text : text.slice(0, gap));
  const tail = gap === -1 ? [] : groups(text.slice(gap + 2));
  const words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** The RFC 5952 text of sixteen bytes of IPv6 address (lowercase, longest zero run as "::"). */
export function formatIPv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  let bestAt = -1;
  let bestLength = 1; // a single zero word is not shortened
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestAt = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(":");
  if (bestAt === -1) return hex(words);
  return `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLength))}`;
}
