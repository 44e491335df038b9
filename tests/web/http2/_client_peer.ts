// A scripted HTTP/2 server for the client tests: an H2ClientProtocol over a
// StringTransport; it reads the client's frames (HPACK-decoded) and writes
// server frames with our own codec.
import { StringTransport } from "../../../src/testing/mod.ts";
import {
  dataFrame,
  encodeFrame,
  type Frame,
  FrameReader,
  FrameType,
  goawayFrame,
  headersFrames,
  PREFACE,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from "../../../src/web/http2/_frames.ts";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../../../src/web/http2/_hpack.ts";
import { type H2ClientOptions, H2ClientProtocol } from "../../../src/web/http2/mod.ts";

/** A frame the client sent. */
export interface ClientFrame extends Frame {
  /** The decoded header list (HEADERS). */
  headers?: HeaderField[];
}

export class ScriptedServer {
  readonly transport = new StringTransport();
  readonly client: H2ClientProtocol;
  readonly encoder = new HpackEncoder();
  #reader = new FrameReader(0xffffff);
  #decoder = new HpackDecoder();
  #seen = 0;
  readonly frames: ClientFrame[] = [];

  constructor(options: H2ClientOptions = {}) {
    this.client = new H2ClientProtocol(options);
    this.client.makeConnection(this.transport);
  }

  /** Sends the server's SETTINGS (and reads the client preface). */
  start(settings: [number, number][] = []): this {
    this.send(settingsFrame(settings));
    return this;
  }

  send(bytes: Uint8Array): void {
    this.client.dataReceived(bytes);
  }

  /** Frames the client wrote since the last call. */
  read(): ClientFrame[] {
    const all = this.transport.value();
    let chunk = all.subarray(this.#seen);
    if (this.#seen === 0) {
      if (all.length < PREFACE.length) return [];
      chunk = chunk.subarray(PREFACE.length);
    }
    this.#seen = all.length;
    this.#reader.push(chunk.slice());
    const out: ClientFrame[] = [];
    for (;;) {
      const f = this.#reader.next();
      if (f === null) break;
      const frame: ClientFrame = { ...f, payload: f.payload.slice() };
      if (f.type === FrameType.HEADERS) frame.headers = this.#decoder.decode(f.payload).headers;
      out.push(frame);
      this.frames.push(frame);
    }
    return out;
  }

  respond(id: number, fields: HeaderField[], body?: Uint8Array, end = true): void {
    const block = this.encoder.encode(fields);
    this.send(headersFrames(id, block, end && body === undefined, 16384));
    if (body !== undefined) this.send(dataFrame(id, body, end));
  }

  data(id: number, body: Uint8Array, end = false): void {
    this.send(dataFrame(id, body, end));
  }

  trailers(id: number, fields: HeaderField[]): void {
    this.send(headersFrames(id, this.encoder.encode(fields), true, 16384));
  }

  reset(id: number, code: number): void {
    this.send(rstStreamFrame(id, code));
  }

  goaway(last: number, code: number): void {
    this.send(goawayFrame(last, code));
  }

  windowUpdate(id: number, n: number): void {
    this.send(windowUpdateFrame(id, n));
  }

  raw(type: number, flags: number, id: number, payload: Uint8Array = new Uint8Array(0)): void {
    this.send(encodeFrame(type, flags, id, payload));
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
