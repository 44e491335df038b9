/**
 * The WebSocket opening handshake's pieces (RFC 6455 section 4): the
 * `Sec-WebSocket-Accept` computation (SHA-1, done here synchronously so a
 * resource can answer in `render`), key generation and checks, header token
 * lists, and the client's reading of the server's response head.
 *
 * @module
 */

/** The GUID every server appends to the client's key (RFC 6455 1.3). */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** SHA-1 of `data` (20 bytes). Small and synchronous: only handshakes use it. */
export function sha1(data: Uint8Array): Uint8Array {
  const bitLen = data.length * 8;
  const total = ((data.length + 9 + 63) >> 6) << 6;
  const msg = new Uint8Array(total);
  msg.set(data);
  msg[data.length] = 0x80;
  const view = new DataView(msg.buffer);
  view.setUint32(total - 8, Math.floor(bitLen / 0x100000000));
  view.setUint32(total - 4, bitLen >>> 0);
  let h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476, h4 = 0xc3d2e1f0;
  const w = new Uint32Array(80);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) >>> 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) >>> 0;
    h1 = (h1 + b) >>> 0;
    h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0;
  }
  const out = new Uint8Array(20);
  const ov = new DataView(out.buffer);
  [h0, h1, h2, h3, h4].forEach((h, i) => ov.setUint32(i * 4, h));
  return out;
}

/** Base64 of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The `Sec-WebSocket-Accept` value answering `key`. */
export function acceptKey(key: string): string {
  return toBase64(sha1(new TextEncoder().encode(key + WEBSOCKET_GUID)));
}

/** A fresh random `Sec-WebSocket-Key` (16 random bytes, base64). */
export function makeKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(16)));
}

/** True when `key` is base64 for exactly 16 bytes, as RFC 6455 4.2.1 requires. */
export function isValidKey(key: string): boolean {
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return false;
  try {
    return atob(key).length === 16;
  } catch {
    return false;
  }
}

/** Splits comma-separated header values into trimmed, non-empty tokens. */
export function headerTokens(values: readonly string[] | null | undefined): string[] {
  const out: string[] = [];
  for (const value of values ?? []) {
    for (const part of value.split(",")) {
      const token = part.trim();
      if (token !== "") out.push(token);
    }
  }
  return out;
}

/** True when a token of `values` equals `token`, ignoring case. */
export function hasToken(values: readonly string[] | null | undefined, token: string): boolean {
  const want = token.toLowerCase();
  return headerTokens(values).some((t) => t.toLowerCase() === want);
}

/** A response head as the client reads it. */
export interface ResponseHead {
  /** The status code. */
  code: number;
  /** The reason phrase. */
  message: string;
  /** Header values by lower-case name. */
  headers: Map<string, string[]>;
}

/**
 * Parses an HTTP/1.1 response head (the bytes before the blank line).
 * @throws {SyntaxError} for a malformed status line or header line
 */
export function parseResponseHead(text: string): ResponseHead {
  const lines = text.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (m === null) throw new SyntaxError(`Bad status line: ${JSON.stringify(lines[0])}`);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new SyntaxError(`Bad header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const list = headers.get(name);
    if (list === undefined) headers.set(name, [value]);
    else list.push(value);
  }
  return { code: Number(m[1]), message: m[2] ?? "", headers };
}

/** Finds CRLFCRLF in `buf` from `from`; -1 when absent. */
export function findHeadEnd(buf: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from); i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}
