// A scripted HTTP/2 client for the connection tests: it writes frames into a
// site's channel over a StringTransport and reads the server's frames back
// (HPACK-decoded), with our own codec.
import { IPv4Address } from "../../../src/internet/address.ts";
import { Clock } from "../../../src/internet/task.ts";
import { StringTransport } from "../../../src/testing/mod.ts";
import type { HTTPChannel } from "../../../src/web/http.ts";
import { Site, type SiteOptions } from "../../../src/web/server.ts";
import type { IResource } from "../../../src/web/resource.ts";
import {
  dataFrame,
  encodeFrame,
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  headersFrames,
  PREFACE,
  readUint32,
  settingsFrame,
} from "../../../src/web/http2/_frames.ts";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../../../src/web/http2/_hpack.ts";

/** A decoded frame from the server. */
export interface ServerFrame extends Frame {
  /** The decoded header list (HEADERS). */
  headers?: HeaderField[];
}

export class H2Peer {
  readonly clock = new Clock();
  readonly transport = new StringTransport();
  readonly site: Site;
  readonly channel: HTTPChannel;
  #reader = new FrameReader(0xffffff);
  #decoder = new HpackDecoder();
  readonly encoder = new HpackEncoder();
  #seen = 0;
  /** Every frame read so far. */
  readonly frames: ServerFrame[] = [];

  constructor(resource: IResource, options: SiteOptions = {}) {
    this.site = new Site(resource, { clock: this.clock, ...options });
    this.channel = this.site.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 50000))!;
    this.channel.makeConnection(this.transport);
  }

  /** Sends the preface and an empty SETTINGS (and `settings`). */
  start(settings: [number, number][] = []): this {
    this.send(concat([PREFACE, settingsFrame(settings)]));
    return this;
  }

  /** Skips the first `n` bytes the server wrote (an HTTP/1.1 101 head). */
  skip(n: number): void {
    this.#seen = n;
  }

  send(bytes: Uint8Array): void {
    this.channel.dataReceived(bytes);
  }

  /** Sends a request's HEADERS (and body DATA frames). */
  request(
    id: number,
    path = "/",
    options: { method?: string; headers?: HeaderField[]; body?: Uint8Array; end?: boolean } = {},
  ): void {
    const fields: HeaderField[] = [
      [":method", options.method ?? "GET"],
      [":scheme", "http"],
      [":path", path],
      [":authority", "example.com"],
      ...(options.headers ?? []),
    ];
    const block = this.encoder.encode(fields);
    const body = options.body;
    const end = options.end ?? true;
    const parts = [headersFrames(id, block, end && body === undefined, 16384)];
    if (body !== undefined) {
      for (let at = 0; at < body.length || at === 0; at += 16384) {
        const last = at + 16384 >= body.length;
        parts.push(dataFrame(id, body.subarray(at, at + 16384), last && end));
        if (body.length === 0) break;
      }
    }
    this.send(concat(parts));
  }

  frame(type: number, flags: number, streamId: number, payload?: Uint8Array): void {
    this.send(encodeFrame(type, flags, streamId, payload));
  }

  /** Reads the frames the server wrote since the last call. */
  read(): ServerFrame[] {
    const all = this.transport.value();
    const fresh = all.subarray(this.#seen);
    this.#seen = all.length;
    if (fresh.length > 0) this.#reader.push(fresh.slice());
    const out: ServerFrame[] = [];
    for (let f = this.#reader.next(); f !== null; f = this.#reader.next()) {
      const frame: ServerFrame = { ...f, payload: f.payload.slice() };
      if (f.type === FrameType.HEADERS) {
        frame.headers = this.#decoder.decode(frame.payload).headers;
      }
      out.push(frame);
      this.frames.push(frame);
    }
    return out;
  }

  /** The response on `id` among the frames read so far: status, headers, body, ended. */
  response(id: number): { status: string; headers: HeaderField[]; body: string; ended: boolean } {
    this.read();
    let headers: HeaderField[] = [];
    let body = "";
    let ended = false;
    for (const f of this.frames) {
      if (f.streamId !== id) continue;
      if (f.type === FrameType.HEADERS) headers = f.headers!;
      if (f.type === FrameType.DATA) body += new TextDecoder().decode(f.payload);
      if (
        (f.type === FrameType.DATA || f.type === FrameType.HEADERS) && f.flags & Flag.END_STREAM
      ) {
        ended = true;
      }
    }
    const status = headers.find((h) => h[0] === ":status")?.[1] ?? "";
    return { status, headers, body, ended };
  }

  /** The GOAWAY read so far: [last stream id, error code], or null. */
  goaway(): [number, number] | null {
    this.read();
    const f = this.frames.find((f) => f.type === FrameType.GOAWAY);
    return f === undefined ? null : [readUint32(f.payload, 0), readUint32(f.payload, 4)];
  }

  /** The RST_STREAM codes read so far for `id`. */
  resets(id: number): number[] {
    this.read();
    return this.frames.filter((f) => f.type === FrameType.RST_STREAM && f.streamId === id).map(
      (f) => readUint32(f.payload, 0),
    );
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

/** A microtask turn: output scheduled outside `dataReceived` is written. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
