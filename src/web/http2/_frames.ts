/**
 * HTTP/2 framing (RFC 9113 §4, §6): the frame types, flags and error codes,
 * `FrameReader` (bytes to frames, the length checked against
 * SETTINGS_MAX_FRAME_SIZE from the 9-byte header, before the payload is
 * read), the per-type payload checks, and the frame writers. Knows nothing of
 * sockets or streams.
 *
 * @module
 */

/** Frame types (RFC 9113 §6). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Error codes (RFC 9113 §7). */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const CODE_NAMES: Record<number, string> = {};
for (const [name, code] of Object.entries(ErrorCode)) CODE_NAMES[code] = name;

/** The name of error code `code` ("PROTOCOL_ERROR"), or its number. */
export function errorName(code: number): string {
  return CODE_NAMES[code] ?? `0x${code.toString(16)}`;
}

/**
 * An HTTP/2 error: a connection error (`streamId` 0: GOAWAY and close) or a
 * stream error (RST_STREAM on `streamId`).
 *
 * @example
 * ```ts
 * import { ErrorCode, H2Error } from "@tw/core/web";
 * const e = new H2Error(ErrorCode.REFUSED_STREAM, "Too many concurrent streams", 5);
 * console.log(e.message, e.streamId); // "REFUSED_STREAM: Too many concurrent streams" 5
 * ```
 */
export class H2Error extends Error {
  /** "H2Error". */
  override name = "H2Error";
  /** The error code to send. */
  readonly code: number;
  /** 0 for a connection error, else the stream to reset. */
  readonly streamId: number;

  /**
   * Makes the error.
   * @param code the error code
   * @param message what went wrong
   * @param streamId the stream, or 0 for the connection
   */
  constructor(code: number, message: string, streamId = 0) {
    super(`${errorName(code)}: ${message}`);
    this.code = code;
    this.streamId = streamId;
  }
}

/** One frame as read: its payload is a view of the received bytes. */
export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Uint8Array;
}

/** The client connection preface (RFC 9113 §3.4). */
export const PREFACE: Uint8Array = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

const HEADER_SIZE = 9;

/**
 * Cuts received bytes into frames. `maxFrameSize` is the largest payload we
 * accept (our SETTINGS_MAX_FRAME_SIZE); a header announcing more is a
 * FRAME_SIZE_ERROR at once, however little of the payload has arrived.
 */
export class FrameReader {
  /** The largest payload accepted. @default 16384 */
  maxFrameSize: number;
  #buf: Uint8Array | null = null;
  #pos = 0;

  /** @param maxFrameSize the largest payload accepted */
  constructor(maxFrameSize = 16384) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#buf === null ? 0 : this.#buf.length - this.#pos;
  }

  /** Adds received bytes (kept by reference). */
  push(data: Uint8Array): void {
    if (this.#buf === null || this.#pos >= this.#buf.length) {
      this.#buf = data;
      this.#pos = 0;
      return;
    }
    const rest = this.#buf.length - this.#pos;
    const joined = new Uint8Array(rest + data.length);
    joined.set(this.#buf.subarray(this.#pos), 0);
    joined.set(data, rest);
    this.#buf = joined;
    this.#pos = 0;
  }

  /**
   * The next complete frame, or null when more bytes are needed.
   * @throws {H2Error} FRAME_SIZE_ERROR for a frame longer than `maxFrameSize`
   */
  next(): Frame | null {
    const buf = this.#buf;
    if (buf === null) return null;
    const pos = this.#pos;
    const left = buf.length - pos;
    if (left < HEADER_SIZE) {
      if (left === 0) this.#buf = null;
      return null;
    }
    const length = (buf[pos] << 16) | (buf[pos + 1] << 8) | buf[pos + 2];
    if (length > this.maxFrameSize) {
      throw new H2Error(
        ErrorCode.FRAME_SIZE_ERROR,
        `Frame of ${length} bytes, more than ${this.maxFrameSize}`,
      );
    }
    if (left < HEADER_SIZE + length) return null;
    const type = buf[pos + 3];
    const flags = buf[pos + 4];
    const streamId = ((buf[pos + 5] & 0x7f) << 24 | buf[pos + 6] << 16 | buf[pos + 7] << 8 |
      buf[pos + 8]) >>> 0;
    const start = pos + HEADER_SIZE;
    this.#pos = start + length;
    return { type, flags, streamId, payload: buf.subarray(start, start + length) };
  }
}

/** Reads a 31-bit value (the reserved bit dropped) at `at`. */
export function readUint31(p: Uint8Array, at: number): number {
  return ((p[at] & 0x7f) << 24 | p[at + 1] << 16 | p[at + 2] << 8 | p[at + 3]) >>> 0;
}

/** Reads a 32-bit value at `at`. */
export function readUint32(p: Uint8Array, at: number): number {
  return (p[at] << 24 | p[at + 1] << 16 | p[at + 2] << 8 | p[at + 3]) >>> 0;
}

/**
 * The payload of a DATA or HEADERS frame without its padding (and, for
 * HEADERS with the PRIORITY flag, without the priority fields).
 * @throws {H2Error} PROTOCOL_ERROR when the padding is as long as the payload
 */
export function unpad(frame: Frame): Uint8Array {
  let p = frame.payload;
  if (frame.flags & Flag.PADDED) {
    if (p.length < 1) {
      throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "Padded frame without a length");
    }
    const pad = p[0];
    if (pad >= p.length) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "Padding too long");
    p = p.subarray(1, p.length - pad);
  }
  if (frame.type === FrameType.HEADERS && frame.flags & Flag.PRIORITY) {
    if (p.length < 5) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "HEADERS priority truncated");
    if (readUint31(p, 0) === frame.streamId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "Stream depends on itself", frame.streamId);
    }
    p = p.subarray(5);
  }
  return p;
}

/**
 * The settings of a SETTINGS frame as [identifier, value] pairs.
 * @throws {H2Error} on a bad length or stream
 */
export function parseSettings(frame: Frame): [number, number][] {
  const p = frame.payload;
  if (frame.streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
  if (frame.flags & Flag.ACK) {
    if (p.length !== 0) {
      throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
    }
    return [];
  }
  if (p.length % 6 !== 0) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS length");
  const out: [number, number][] = [];
  for (let i = 0; i < p.length; i += 6) out.push([(p[i] << 8) | p[i + 1], readUint32(p, i + 2)]);
  return out;
}

// ---- writing -------------------------------------------------------------------

function putHeader(
  out: Uint8Array,
  at: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  out[at] = length >>> 16;
  out[at + 1] = length >>> 8;
  out[at + 2] = length;
  out[at + 3] = type;
  out[at + 4] = flags;
  out[at + 5] = (streamId >>> 24) & 0x7f;
  out[at + 6] = streamId >>> 16;
  out[at + 7] = streamId >>> 8;
  out[at + 8] = streamId;
}

function put32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
}

/** A frame's bytes. */
export function encodeFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  putHeader(out, 0, payload.length, type, flags, streamId);
  out.set(payload, HEADER_SIZE);
  return out;
}

/** A SETTINGS frame (an ACK when `settings` is null). */
export function settingsFrame(settings: [number, number][] | null): Uint8Array {
  if (settings === null) return encodeFrame(FrameType.SETTINGS, Flag.ACK, 0);
  const p = new Uint8Array(settings.length * 6);
  settings.forEach(([id, value], i) => {
    p[i * 6] = id >>> 8;
    p[i * 6 + 1] = id;
    put32(p, i * 6 + 2, value);
  });
  return encodeFrame(FrameType.SETTINGS, 0, 0, p);
}

/** A PING frame. */
export function pingFrame(data: Uint8Array, ack: boolean): Uint8Array {
  return encodeFrame(FrameType.PING, ack ? Flag.ACK : 0, 0, data);
}

/** A GOAWAY frame. */
export function goawayFrame(lastStreamId: number, code: number, debug = ""): Uint8Array {
  const text = new TextEncoder().encode(debug);
  const p = new Uint8Array(8 + text.length);
  put32(p, 0, lastStreamId & 0x7fffffff);
  put32(p, 4, code);
  p.set(text, 8);
  return encodeFrame(FrameType.GOAWAY, 0, 0, p);
}

/** A RST_STREAM frame. */
export function rstStreamFrame(streamId: number, code: number): Uint8Array {
  const p = new Uint8Array(4);
  put32(p, 0, code);
  return encodeFrame(FrameType.RST_STREAM, 0, streamId, p);
}

/** A WINDOW_UPDATE frame. */
export function windowUpdateFrame(streamId: number, increment: number): Uint8Array {
  const p = new Uint8Array(4);
  put32(p, 0, increment & 0x7fffffff);
  return encodeFrame(FrameType.WINDOW_UPDATE, 0, streamId, p);
}

/** A DATA frame carrying `data` (at most the peer's max frame size). */
export function dataFrame(streamId: number, data: Uint8Array, end: boolean): Uint8Array {
  return encodeFrame(FrameType.DATA, end ? Flag.END_STREAM : 0, streamId, data);
}

/**
 * A header block as HEADERS followed by as many CONTINUATION frames as
 * `maxFrameSize` requires, in one buffer.
 */
export function headersFrames(
  streamId: number,
  block: Uint8Array,
  endStream: boolean,
  maxFrameSize: number,
): Uint8Array {
  const count = Math.max(1, Math.ceil(block.length / maxFrameSize));
  const out = new Uint8Array(block.length + count * HEADER_SIZE);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const start = i * maxFrameSize;
    const piece = block.subarray(start, Math.min(block.length, start + maxFrameSize));
    const last = i === count - 1;
    const type = i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
    const flags = (last ? Flag.END_HEADERS : 0) | (i === 0 && endStream ? Flag.END_STREAM : 0);
    putHeader(out, at, piece.length, type, flags, streamId);
    out.set(piece, at + HEADER_SIZE);
    at += HEADER_SIZE + piece.length;
  }
  return out;
}

/** `chunks` joined (`total`: their summed length). */
export function concatBytes(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A complete header block: HEADERS and its CONTINUATIONs, joined. */
export interface HeaderBlock {
  streamId: number;
  endStream: boolean;
  bytes: Uint8Array;
}

/**
 * Joins a HEADERS frame and its CONTINUATION frames into one header block,
 * bounded in bytes and in frames (the CONTINUATION flood: ENHANCE_YOUR_CALM).
 */
export class HeaderBlockReader {
  #maxBytes: number;
  #maxFrames: number;
  #streamId = 0;
  #endStream = false;
  #chunks: Uint8Array[] = [];
  #size = 0;

  /**
   * Makes it.
   * @param maxBytes the largest block
   * @param maxFrames the most frames in a block
   */
  constructor(maxBytes: number, maxFrames: number) {
    this.#maxBytes = maxBytes;
    this.#maxFrames = maxFrames;
  }

  /** The stream of the block being read, or 0 when none is. */
  get streamId(): number {
    return this.#streamId;
  }

  /** A HEADERS frame: the block, when it is complete, else null. */
  start(frame: Frame): HeaderBlock | null {
    const fragment = unpad(frame);
    this.#streamId = frame.streamId;
    this.#endStream = (frame.flags & Flag.END_STREAM) !== 0;
    this.#chunks = [fragment];
    this.#size = fragment.length;
    return this.#check(frame.flags);
  }

  /** A CONTINUATION frame: the block, when it is complete, else null. */
  continued(frame: Frame): HeaderBlock | null {
    if (this.#streamId === 0) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
    }
    this.#chunks.push(frame.payload);
    this.#size += frame.payload.length;
    return this.#check(frame.flags);
  }

  #check(flags: number): HeaderBlock | null {
    if (this.#size > this.#maxBytes || this.#chunks.length > this.#maxFrames) {
      throw new H2Error(ErrorCode.ENHANCE_YOUR_CALM, "Header block too large");
    }
    if ((flags & Flag.END_HEADERS) === 0) return null;
    const chunks = this.#chunks;
    const block: HeaderBlock = {
      streamId: this.#streamId,
      endStream: this.#endStream,
      bytes: chunks.length === 1 ? chunks[0] : concatBytes(chunks, this.#size),
    };
    this.#streamId = 0;
    this.#chunks = [];
    this.#size = 0;
    return block;
  }
}
