/**
 * WebSocket permessage-deflate (RFC 7692): the `Sec-WebSocket-Extensions`
 * grammar (RFC 6455 9.1), the negotiation of section 7 (the client's offer,
 * the server's answer, the client's check of it), and the per-connection
 * codec over the runtime's raw DEFLATE streams (`Runtime.compression`), with
 * context takeover and window sizes as negotiated.
 *
 * @module
 */
import type { RawDeflateStream, RawInflateStream, RuntimeCompression } from "../internet/socket.ts";
import { getReactor } from "../internet/reactor.ts";

/** The extension's name. */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/** Options of permessage-deflate (the `perMessageDeflate` option of both factories). */
export interface PerMessageDeflateOptions {
  /** The server starts each message with an empty window (asked by a client, applied by a server). @default false */
  serverNoContextTakeover?: boolean;
  /** The client starts each message with an empty window (offered by a client, asked by a server). @default false */
  clientNoContextTakeover?: boolean;
  /** The largest window (8-15) the server may compress with (asked by a client, applied by a server). @default 15 */
  serverMaxWindowBits?: number;
  /** The largest window (8-15) the client may compress with (limits a client; a server asks it of clients that support it). @default 15 */
  clientMaxWindowBits?: number;
  /** Messages smaller than this many bytes are sent uncompressed. @default 1024 */
  threshold?: number;
}

/** What a negotiation settled: the parameters in force on the connection. */
export interface PerMessageDeflateParams {
  /** The server resets its compressor after each message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compressor after each message. */
  clientNoContextTakeover: boolean;
  /** The server's compression window (bits). */
  serverMaxWindowBits: number;
  /** The client's compression window (bits). */
  clientMaxWindowBits: number;
}

/** One extension of a `Sec-WebSocket-Extensions` list, with its parameters in order. */
export interface ExtensionOffer {
  /** The extension's name (lower case). */
  name: string;
  /** The parameters: name (lower case) and value (null when it has none). */
  params: [string, string | null][];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses `Sec-WebSocket-Extensions` values (RFC 6455 9.1). Returns null for
 * a list that breaks the grammar.
 */
export function parseExtensions(values: readonly string[]): ExtensionOffer[] | null {
  const out: ExtensionOffer[] = [];
  for (const value of values) {
    // Split on ";" and "," outside quoted strings.
    const items: { text: string; sep: string }[] = [];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < value.length; i++) {
      const c = value[i];
      if (quoted) {
        if (c === "\\" && i + 1 < value.length) cur += c + value[++i];
        else {
          if (c === '"') quoted = false;
          cur += c;
        }
      } else if (c === '"') {
        quoted = true;
        cur += c;
      } else if (c === ";" || c === ",") {
        items.push({ text: cur.trim(), sep: c });
        cur = "";
      } else cur += c;
    }
    if (quoted) return null;
    items.push({ text: cur.trim(), sep: "," });
    let ext: ExtensionOffer | null = null;
    let prevSep = ",";
    for (const { text, sep } of items) {
      if (prevSep === ",") {
        if (text === "") {
          if (sep === ";") return null;
        } else {
          if (!TOKEN.test(text)) return null;
          ext = { name: text.toLowerCase(), params: [] };
          out.push(ext);
        }
      } else {
        if (ext === null || text === "") return null;
        const eq = text.indexOf("=");
        const name = (eq < 0 ? text : text.slice(0, eq)).trim();
        if (!TOKEN.test(name)) return null;
        let v: string | null = null;
        if (eq >= 0) {
          v = text.slice(eq + 1).trim();
          if (v.startsWith('"')) {
            if (v.length < 2 || !v.endsWith('"')) return null;
            v = v.slice(1, -1).replace(/\\(.)/g, "$1");
          }
          if (!TOKEN.test(v)) return null;
        }
        ext.params.push([name.toLowerCase(), v]);
      }
      prevSep = sep;
    }
  }
  return out;
}

/** Window bits as RFC 7692 writes them: 8 to 15, no leading zero. */
function windowBits(v: string | null): number | null {
  return v !== null && /^(?:8|9|1[0-5])$/.test(v) ? Number(v) : null;
}

interface RawParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | null;
  /** A number, true (offered without a value), or null (absent). */
  clientMaxWindowBits: number | true | null;
}

/** Checks one permessage-deflate parameter list; null for an unknown, duplicate or bad one. */
function readParams(params: [string, string | null][], isResponse: boolean): RawParams | null {
  const seen = new Set<string>();
  const p: RawParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: null,
    clientMaxWindowBits: null,
  };
  for (const [name, value] of params) {
    if (seen.has(name)) return null;
    seen.add(name);
    if (name === "server_no_context_takeover" || name === "client_no_context_takeover") {
      if (value !== null) return null;
      if (name === "server_no_context_takeover") p.serverNoContextTakeover = true;
      else p.clientNoContextTakeover = true;
    } else if (name === "server_max_window_bits") {
      const bits = windowBits(value);
      if (bits === null) return null;
      p.serverMaxWindowBits = bits;
    } else if (name === "client_max_window_bits") {
      if (value === null) {
        if (isResponse) return null;
        p.clientMaxWindowBits = true;
      } else {
        const bits = windowBits(value);
        if (bits === null) return null;
        p.clientMaxWindowBits = bits;
      }
    } else return null;
  }
  return p;
}

function checkOptionBits(bits: number | undefined, name: string): void {
  if (bits !== undefined && !(Number.isInteger(bits) && bits >= 8 && bits <= 15)) {
    throw new RangeError(`perMessageDeflate.${name} must be 8 to 15, not ${bits}`);
  }
}

/**
 * Resolves the `perMessageDeflate` option: null when off.
 * @throws {RangeError} for window bits outside 8-15 or a negative threshold
 */
export function deflateOptions(
  option: boolean | PerMessageDeflateOptions | undefined,
): PerMessageDeflateOptions | null {
  if (option === undefined || option === false) return null;
  const o = option === true ? {} : option;
  checkOptionBits(o.serverMaxWindowBits, "serverMaxWindowBits");
  checkOptionBits(o.clientMaxWindowBits, "clientMaxWindowBits");
  if (o.threshold !== undefined && !(o.threshold >= 0)) {
    throw new RangeError(`perMessageDeflate.threshold must be 0 or more, not ${o.threshold}`);
  }
  return o;
}

/** The client's offer: one `Sec-WebSocket-Extensions` value. */
export function clientOffer(o: PerMessageDeflateOptions): string {
  let offer = PERMESSAGE_DEFLATE;
  if (o.serverNoContextTakeover) offer += "; server_no_context_takeover";
  if (o.clientNoContextTakeover) offer += "; client_no_context_takeover";
  if (o.serverMaxWindowBits !== undefined) {
    offer += `; server_max_window_bits=${o.serverMaxWindowBits}`;
  }
  // Always say that we can limit our window, with the limit when there is one.
  offer += o.clientMaxWindowBits !== undefined
    ? `; client_max_window_bits=${o.clientMaxWindowBits}`
    : "; client_max_window_bits";
  return offer;
}

/**
 * The server's choice among the client's offers (RFC 7692 7.1): the first
 * permessage-deflate offer it can accept, with the response header value and
 * the parameters in force; null when none (an offer with an unknown,
 * duplicate or malformed parameter is declined).
 */
export function serverAccept(
  offers: readonly ExtensionOffer[],
  o: PerMessageDeflateOptions,
): { response: string; params: PerMessageDeflateParams } | null {
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const p = readParams(offer.params, false);
    if (p === null) continue;
    const serverNoContextTakeover = p.serverNoContextTakeover || !!o.serverNoContextTakeover;
    const clientNoContextTakeover = p.clientNoContextTakeover || !!o.clientNoContextTakeover;
    let response = PERMESSAGE_DEFLATE;
    if (serverNoContextTakeover) response += "; server_no_context_takeover";
    if (clientNoContextTakeover) response += "; client_no_context_takeover";
    const serverBits = Math.min(p.serverMaxWindowBits ?? 15, o.serverMaxWindowBits ?? 15);
    if (p.serverMaxWindowBits !== null || o.serverMaxWindowBits !== undefined) {
      response += `; server_max_window_bits=${serverBits}`;
    }
    // The client's window can be limited only when it said it supports that.
    let clientBits = 15;
    if (p.clientMaxWindowBits !== null) {
      clientBits = Math.min(
        p.clientMaxWindowBits === true ? 15 : p.clientMaxWindowBits,
        o.clientMaxWindowBits ?? 15,
      );
      if (p.clientMaxWindowBits !== true || o.clientMaxWindowBits !== undefined) {
        response += `; client_max_window_bits=${clientBits}`;
      }
    }
    return {
      response,
      params: {
        serverNoContextTakeover,
        clientNoContextTakeover,
        serverMaxWindowBits: serverBits,
        clientMaxWindowBits: clientBits,
      },
    };
  }
  return null;
}

/**
 * The client's check of the server's answer (RFC 7692 7.1): the parameters in
 * force, null when the server accepted no extension.
 * @throws {Error} for an answer the client must fail the connection for
 */
export function clientAccept(
  values: readonly string[],
  o: PerMessageDeflateOptions,
): PerMessageDeflateParams | null {
  const exts = parseExtensions(values);
  if (exts === null) throw new Error("Malformed Sec-WebSocket-Extensions in the response");
  if (exts.length === 0) return null;
  if (exts.length > 1 || exts[0].name !== PERMESSAGE_DEFLATE) {
    throw new Error("The server chose extensions that were not offered");
  }
  const p = readParams(exts[0].params, true);
  if (p === null) throw new Error("The server answered permessage-deflate with a bad parameter");
  if (o.serverNoContextTakeover && !p.serverNoContextTakeover) {
    throw new Error("The server did not accept server_no_context_takeover");
  }
  if (
    o.serverMaxWindowBits !== undefined &&
    (p.serverMaxWindowBits === null || p.serverMaxWindowBits > o.serverMaxWindowBits)
  ) {
    throw new Error("The server did not accept server_max_window_bits");
  }
  const clientBits = p.clientMaxWindowBits as number | null;
  if (
    clientBits !== null && o.clientMaxWindowBits !== undefined && clientBits > o.clientMaxWindowBits
  ) {
    throw new Error("The server answered a client_max_window_bits above the offer");
  }
  return {
    serverNoContextTakeover: p.serverNoContextTakeover,
    clientNoContextTakeover: p.clientNoContextTakeover || !!o.clientNoContextTakeover,
    serverMaxWindowBits: p.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: Math.min(clientBits ?? 15, o.clientMaxWindowBits ?? 15),
  };
}

/** The running reactor's `Runtime.compression`, or undefined without one. */
export function runtimeCompression(): RuntimeCompression | undefined {
  try {
    return getReactor().runtime.compression;
  } catch {
    return undefined;
  }
}

const TAIL = new Uint8Array([0, 0, 0xff, 0xff]);

/**
 * One connection's compressor and decompressor (created on first use), with
 * the negotiated context takeover and windows.
 */
export class PerMessageDeflate {
  /** The parameters in force. */
  readonly params: PerMessageDeflateParams;
  /** Messages below this size are sent uncompressed. */
  readonly threshold: number;
  #runtime: RuntimeCompression;
  #isServer: boolean;
  #deflate: RawDeflateStream | null = null;
  #inflate: RawInflateStream | null = null;
  #closed = false;

  /**
   * @param runtime the runtime's DEFLATE streams
   * @param params the negotiated parameters
   * @param isServer which side this is
   * @param threshold the smallest message compressed
   */
  constructor(
    runtime: RuntimeCompression,
    params: PerMessageDeflateParams,
    isServer: boolean,
    threshold: number,
  ) {
    this.#runtime = runtime;
    this.params = params;
    this.#isServer = isServer;
    this.threshold = threshold;
  }

  /** Compresses one whole message (the payload to send with RSV1). */
  async compress(data: Uint8Array): Promise<Uint8Array> {
    const p = this.params;
    const reset = this.#isServer ? p.serverNoContextTakeover : p.clientNoContextTakeover;
    const bits = this.#isServer ? p.serverMaxWindowBits : p.clientMaxWindowBits;
    if (this.#closed) throw new Error("The WebSocket compressor is closed");
    const stream = this.#deflate ??= this.#runtime.deflateRaw({ windowBits: bits });
    const out = await stream.push(data);
    if (reset) {
      stream.close();
      if (this.#deflate === stream) this.#deflate = null;
    }
    // A sync flush ends with 00 00 FF FF, which the receiver adds back (RFC 7692 7.2.1).
    const end = out.length >= 4 && out[out.length - 4] === 0 && out[out.length - 3] === 0 &&
        out[out.length - 2] === 0xff && out[out.length - 1] === 0xff
      ? out.length - 4
      : out.length;
    return end === 0 ? new Uint8Array([0]) : out.subarray(0, end);
  }

  /**
   * Inflates one frame of a compressed message (RFC 7692 7.2.2); resolves with
   * null once more than `limit` bytes came out (inflating stopped there).
   * @throws {Error} when the data is not DEFLATE
   */
  async decompress(data: Uint8Array, fin: boolean, limit: number): Promise<Uint8Array | null> {
    const p = this.params;
    const reset = this.#isServer ? p.clientNoContextTakeover : p.serverNoContextTakeover;
    // zlib compresses with 512 bytes when asked for 256: inflate with at least that.
    const bits = Math.max(9, this.#isServer ? p.clientMaxWindowBits : p.serverMaxWindowBits);
    if (this.#closed) throw new Error("The WebSocket decompressor is closed");
    const stream = this.#inflate ??= this.#runtime.inflateRaw({ windowBits: bits });
    let input = data;
    if (fin) {
      input = new Uint8Array(data.length + 4);
      input.set(data);
      input.set(TAIL, data.length);
    }
    let out: Uint8Array | null;
    try {
      out = await stream.push(input, limit);
    } catch (e) {
      if (this.#inflate === stream) this.#inflate = null;
      stream.close();
      throw e;
    }
    if (out === null || (fin && reset)) {
      stream.close();
      if (this.#inflate === stream) this.#inflate = null;
    }
    return out;
  }

  /** Releases both streams. */
  close(): void {
    this.#closed = true;
    this.#deflate?.close();
    this.#inflate?.close();
    this.#deflate = null;
    this.#inflate = null;
  }
}
