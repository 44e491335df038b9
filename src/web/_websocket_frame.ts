/**
 * The WebSocket frame codec (RFC 6455 section 5): encoding frames and an
 * incremental reader that validates each frame's header before buffering its
 * payload, so a peer cannot make us hold more than the limit allows.
 *
 * @module
 */

/** Continuation frame. */
export const OP_CONTINUATION = 0x0;
/** Text data frame. */
export const OP_TEXT = 0x1;
/** Binary data frame. */
export const OP_BINARY = 0x2;
/** Close control frame. */
export const OP_CLOSE = 0x8;
/** Ping control frame. */
export const OP_PING = 0x9;
/** Pong control frame. */
export const OP_PONG = 0xa;

/** Normal closure. */
export const CLOSE_NORMAL = 1000;
/** The endpoint is going away (server shutdown, page navigation). */
export const CLOSE_GOING_AWAY = 1001;
/** Protocol error. */
export const CLOSE_PROTOCOL_ERROR = 1002;
/** A data type the endpoint cannot accept. */
export const CLOSE_UNSUPPORTED_DATA = 1003;
/** No status code was present (never sent on the wire). */
export const CLOSE_NO_STATUS = 1005;
/** Abnormal closure: no close frame (never sent on the wire). */
export const CLOSE_ABNORMAL = 1006;
/** Invalid payload data (text that is not UTF-8). */
export const CLOSE_INVALID_PAYLOAD = 1007;
/** A message violates the endpoint's policy. */
export const CLOSE_POLICY_VIOLATION = 1008;
/** A message is too big to process. */
export const CLOSE_MESSAGE_TOO_BIG = 1009;
/** The client expected an extension the server did not negotiate. */
export const CLOSE_MANDATORY_EXTENSION = 1010;
/** The server met an unexpected condition. */
export const CLOSE_INTERNAL_ERROR = 1011;

/** Control frames carry at most this many payload bytes (RFC 6455 5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** A violation of the framing rules: the connection fails with `code`. */
export class FrameError extends Error {
  /** The close code to fail the connection with (1002, 1007 or 1009). */
  readonly code: number;

  /**
   * @param code the close code
   * @param message what was wrong
   */
  constructor(code: number, message: string) {
    super(message);
    this.name = "FrameError";
    this.code = code;
  }
}

/** One decoded frame (payload unmasked). */
export interface Frame {
  /** The FIN bit: last fragment of a message. */
  fin: boolean;
  /** The opcode. */
  opcode: number;
  /** The payload, unmasked; the receiver owns it. */
  payload: Uint8Array;
  /** The RSV1 bit (a compressed message's first frame, with permessage-deflate). */
  rsv1?: boolean;
}

/** True for a close code a peer may send (RFC 6455 7.4, IANA registry). */
export function isValidCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/** XORs `data` in place with the 4-byte `key`, starting at key offset `offset`. */
export function applyMask(data: Uint8Array, key: Uint8Array, offset = 0): void {
  const n = data.length;
  let i = 0;
  // Word at a time where the view is aligned: masking is the hot loop of a server.
  if (offset === 0 && data.byteOffset % 4 === 0 && n >= 16) {
    const words = new Uint32Array(data.buffer, data.byteOffset, n >>> 2);
    const k = new Uint32Array(key.buffer.slice(key.byteOffset, key.byteOffset + 4))[0];
    for (let w = 0; w < words.length; w++) words[w] ^= k;
    i = words.length * 4;
  }
  for (; i < n; i++) data[i] ^= key[(i + offset) & 3];
}

// Below this size header and payload go out as one write.
const COALESCE = 16384;

/**
 * Encodes one frame. With `maskKey` (client to server) the payload is copied
 * and masked; otherwise small frames are one buffer and large ones a header
 * followed by the caller's payload.
 * @param opcode the frame's opcode
 * @param payload its payload
 * @param fin the FIN bit
 * @param maskKey 4 random bytes, or null for an unmasked (server) frame
 * @param rsv1 the RSV1 bit (the first frame of a compressed message)
 * @returns the chunks to write, in order
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  fin = true,
  maskKey: Uint8Array | null = null,
  rsv1 = false,
): Uint8Array[] {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const headLen = 2 + ext + (maskKey === null ? 0 : 4);
  const together = maskKey !== null || len <= COALESCE;
  const out = new Uint8Array(together ? headLen + len : headLen);
  out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = maskKey === null ? 0 : 0x80;
  if (ext === 0) out[1] = maskBit | len;
  else if (ext === 2) {
    out[1] = maskBit | 126;
    out[2] = len >>> 8;
    out[3] = len & 0xff;
  } else {
    out[1] = maskBit | 127;
    const view = new DataView(out.buffer);
    view.setUint32(2, Math.floor(len / 0x100000000));
    view.setUint32(6, len >>> 0);
  }
  if (maskKey !== null) out.set(maskKey, 2 + ext);
  if (!together) return [out, payload];
  out.set(payload, headLen);
  if (maskKey !== null) {
    const body = out.subarray(headLen);
    for (let i = 0; i < len; i++) body[i] ^= maskKey[i & 3];
  }
  return [out];
}

/**
 * Encodes a close frame's payload: the code (big-endian) and a UTF-8 reason;
 * empty when `code` is null.
 */
export function encodeClosePayload(code: number | null, reason = ""): Uint8Array {
  if (code === null) return new Uint8Array(0);
  const text = new TextEncoder().encode(reason);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes a received close frame's payload.
 * @throws {FrameError} 1002 for a bad length or code, 1007 for a reason that is not UTF-8
 */
export function decodeClosePayload(payload: Uint8Array): { code: number | null; reason: string } {
  if (payload.length === 0) return { code: null, reason: "" };
  if (payload.length === 1) throw new FrameError(CLOSE_PROTOCOL_ERROR, "Close frame of 1 byte");
  const code = (payload[0] << 8) | payload[1];
  if (!isValidCloseCode(code)) {
    throw new FrameError(CLOSE_PROTOCOL_ERROR, `Invalid close code ${code}`);
  }
  let reason: string;
  try {
    reason = strictUtf8.decode(payload.subarray(2));
  } catch {
    throw new FrameError(CLOSE_INVALID_PAYLOAD, "Close reason is not valid UTF-8");
  }
  return { code, reason };
}

/** Options of {@link FrameReader}. */
export interface FrameReaderOptions {
  /** Frames must be masked (a server reading a client) or must not be (a client). */
  expectMasked: boolean;
  /** The largest payload accepted for a data frame with this opcode, asked at each header. */
  limit: (opcode: number) => number;
}

/**
 * Reads frames from bytes pushed in any chunking. Each header is checked as
 * soon as it is complete (reserved bits, opcode, masking, control frame rules,
 * size limit), before any of its payload is kept.
 */
export class FrameReader {
  #chunks: Uint8Array[] = [];
  #offset = 0; // consumed bytes of #chunks[0]
  #size = 0; // unconsumed bytes in all chunks
  #expectMasked: boolean;
  #limit: (opcode: number) => number;
  /** RSV1 may be set on a message's first frame (permessage-deflate was negotiated). */
  rsv1Allowed = false;
  #rsv1 = false;
  // The header of the frame whose payload we are waiting for, or -1 when none.
  #opcode = -1;
  #fin = false;
  #length = 0;
  #mask: Uint8Array | null = null;
  #head = new Uint8Array(14);

  /** @param options masking rule and size limit */
  constructor(options: FrameReaderOptions) {
    this.#expectMasked = options.expectMasked;
    this.#limit = options.limit;
  }

  /** Bytes received and not yet returned as frames. */
  get buffered(): number {
    return this.#size;
  }

  /** Adds received bytes (the reader keeps them; it may unmask them in place). */
  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.#chunks.push(data);
    this.#size += data.length;
  }

  /**
   * The next complete frame, or null when more bytes are needed.
   * @throws {FrameError} when the peer broke the framing rules
   */
  next(): Frame | null {
    if (this.#opcode < 0 && !this.#readHeader()) return null;
    if (this.#size < this.#length) return null;
    const payload = this.#take(this.#length);
    if (this.#mask !== null) applyMask(payload, this.#mask);
    const frame = { fin: this.#fin, opcode: this.#opcode, payload, rsv1: this.#rsv1 };
    this.#opcode = -1;
    return frame;
  }

  /** Drops everything buffered. */
  clear(): void {
    this.#chunks = [];
    this.#offset = 0;
    this.#size = 0;
    this.#opcode = -1;
  }

  #readHeader(): boolean {
    if (this.#size < 2) return false;
    const head = this.#head;
    this.#peek(2);
    const b0 = head[0];
    const b1 = head[1];
    const masked = (b1 & 0x80) !== 0;
    const len7 = b1 & 0x7f;
    const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    // Everything that can be judged from the first two bytes fails at once.
    const rsv1 = (b0 & 0x40) !== 0;
    if ((b0 & (this.rsv1Allowed ? 0x30 : 0x70)) !== 0) {
      throw new FrameError(
        CLOSE_PROTOCOL_ERROR,
        "Reserved bits set without a negotiated extension",
      );
    }
    if ((opcode > 2 && opcode < 8) || opcode > 10) {
      throw new FrameError(CLOSE_PROTOCOL_ERROR, `Reserved opcode ${opcode}`);
    }
    if (rsv1 && (opcode === OP_CONTINUATION || opcode >= 8)) {
      // RFC 7692 6.1: only a data message's first frame says it is compressed.
      throw new FrameError(
        CLOSE_PROTOCOL_ERROR,
        opcode === OP_CONTINUATION
          ? "RSV1 set on a continuation frame"
          : "RSV1 set on a control frame",
      );
    }
    if (masked !== this.#expectMasked) {
      throw new FrameError(
        CLOSE_PROTOCOL_ERROR,
        masked ? "A server must not mask its frames" : "A client must mask its frames",
      );
    }
    if (opcode >= 8) {
      if (!fin) throw new FrameError(CLOSE_PROTOCOL_ERROR, "Fragmented control frame");
      if (len7 > MAX_CONTROL_PAYLOAD) {
        throw new FrameError(CLOSE_PROTOCOL_ERROR, "Control frame payload over 125 bytes");
      }
    }
    if (this.#size < need) return false;
    this.#peek(need);
    let length = len7;
    let at = 2;
    if (len7 === 126) {
      length = (head[2] << 8) | head[3];
      at = 4;
      if (length < 126) throw new FrameError(CLOSE_PROTOCOL_ERROR, "Non-minimal frame length");
    } else if (len7 === 127) {
      const view = new DataView(head.buffer);
      const high = view.getUint32(2);
      if (high & 0x80000000) {
        throw new FrameError(CLOSE_PROTOCOL_ERROR, "Frame length with the high bit set");
      }
      length = high * 0x100000000 + view.getUint32(6);
      at = 10;
      if (length < 65536) throw new FrameError(CLOSE_PROTOCOL_ERROR, "Non-minimal frame length");
    }
    if (opcode < 8) {
      const limit = this.#limit(opcode);
      if (length > limit) {
        throw new FrameError(
          CLOSE_MESSAGE_TOO_BIG,
          `Frame of ${length} bytes exceeds the limit of ${limit} bytes`,
        );
      }
    }
    this.#mask = masked ? head.slice(at, at + 4) : null;
    this.#skip(need);
    this.#opcode = opcode;
    this.#fin = fin;
    this.#rsv1 = rsv1;
    this.#length = length;
    return true;
  }

  // Copies the first n (<= 14) unconsumed bytes into #head.
  #peek(n: number): void {
    let copied = 0;
    let offset = this.#offset;
    for (const chunk of this.#chunks) {
      const take = Math.min(n - copied, chunk.length - offset);
      this.#head.set(chunk.subarray(offset, offset + take), copied);
      copied += take;
      offset = 0;
      if (copied === n) return;
    }
  }

  #skip(n: number): void {
    this.#size -= n;
    while (n > 0) {
      const chunk = this.#chunks[0];
      const left = chunk.length - this.#offset;
      if (n < left) {
        this.#offset += n;
        return;
      }
      n -= left;
      this.#chunks.shift();
      this.#offset = 0;
    }
  }

  // Returns n bytes: a view when they lie in one chunk, a copy otherwise.
  #take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[0];
    if (first.length - this.#offset >= n) {
      const out = first.subarray(this.#offset, this.#offset + n);
      this.#skip(n);
      return out;
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const chunk = this.#chunks[0];
      const take = Math.min(n - at, chunk.length - this.#offset);
      out.set(chunk.subarray(this.#offset, this.#offset + take), at);
      at += take;
      this.#skip(take);
    }
    return out;
  }
}
