/**
 * Helpers for the WebSocket tests: a recording protocol, a server on a
 * StringTransport reached through a Site, and a hand-made client that writes
 * masked frames and reads the server's frames.
 */
import { Clock } from "../../src/internet/task.ts";
import {
  Site,
  WebSocketResource,
  WebSocketServerFactory,
  type WebSocketServerFactoryOptions,
  WebSocketServerProtocol,
} from "../../src/web/mod.ts";
import { encodeFrame, type Frame, FrameReader } from "../../src/web/_websocket_frame.ts";
import {
  findHeadEnd,
  parseResponseHead,
  type ResponseHead,
} from "../../src/web/_websocket_handshake.ts";
import { serve, type Served, td, te } from "./_helpers.ts";

export { td, te };

/** The RFC's sample key and its accept value. */
export const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
export const SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
export const MASK = new Uint8Array([1, 2, 3, 4]);

/** Records every callback. */
export class Recorder extends WebSocketServerProtocol {
  static instances: Recorder[] = [];
  opened = 0;
  messages: [string | Uint8Array, boolean][] = [];
  closes: [boolean, number, string][] = [];
  pings: string[] = [];
  pongs: string[] = [];
  drains = 0;
  constructor() {
    super();
    Recorder.instances.push(this);
  }
  override onOpen(): void {
    this.opened++;
  }
  override onMessage(payload: Uint8Array, isBinary: boolean): void {
    this.messages.push([isBinary ? payload.slice() : td.decode(payload), isBinary]);
  }
  override onClose(wasClean: boolean, code: number, reason: string): void {
    this.closes.push([wasClean, code, reason]);
  }
  override onPing(payload: Uint8Array): void {
    this.pings.push(td.decode(payload));
  }
  override onPong(payload: Uint8Array): void {
    this.pongs.push(td.decode(payload));
  }
  override onDrain(): void {
    this.drains++;
  }
}

/** Echoes every message. */
export class Echo extends Recorder {
  override onMessage(payload: Uint8Array, isBinary: boolean): void {
    super.onMessage(payload, isBinary);
    this.sendMessage(payload, isBinary);
  }
}

/** A handshake request. */
export function handshakeRequest(
  headers: Record<string, string> = {},
  path = "/",
  method = "GET",
  version = "HTTP/1.1",
): string {
  const all: Record<string, string> = {
    Host: "example.com",
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": SAMPLE_KEY,
    "Sec-WebSocket-Version": "13",
    ...headers,
  };
  let head = `${method} ${path} ${version}\r\n`;
  for (const [k, v] of Object.entries(all)) if (v !== "") head += `${k}: ${v}\r\n`;
  return head + "\r\n";
}

/** A server connection on a StringTransport, driven by hand as a client. */
export interface Conn {
  served: Served;
  clock: Clock;
  head: ResponseHead;
  protocol: Recorder;
  /** Sends one masked frame. */
  send(opcode: number, payload: Uint8Array | string, fin?: boolean): void;
  /** Sends raw bytes. */
  raw(bytes: Uint8Array): void;
  /** Frames the server wrote since the last call. */
  frames(): Frame[];
  /** True once the server closed the connection. */
  disconnected(): boolean;
}

/** Opens a connection through a Site and returns the handle (throws if no 101). */
export function openConn(
  protocol: new () => Recorder = Echo,
  options: WebSocketServerFactoryOptions = {},
  headers: Record<string, string> = {},
  trailing?: Uint8Array,
): Conn {
  const clock = new Clock();
  const factory = new WebSocketServerFactory(protocol, { clock, ...options });
  const site = new Site(new WebSocketResource(factory), { clock });
  const served = serve(site, clock);
  Recorder.instances = [];
  const req = te.encode(handshakeRequest(headers));
  if (trailing) {
    const both = new Uint8Array(req.length + trailing.length);
    both.set(req);
    both.set(trailing, req.length);
    served.send(both);
  } else served.send(req);
  const out = served.transport.value();
  const end = findHeadEnd(out);
  if (end < 0) throw new Error("No response head: " + td.decode(out));
  const head = parseResponseHead(td.decode(out.subarray(0, end)));
  if (head.code !== 101) throw new Error(`Expected 101, got ${head.code}`);
  let consumed = end + 4;
  const reader = new FrameReader({ expectMasked: false, limit: () => 1 << 30 });
  reader.rsv1Allowed = true; // the permessage-deflate tests look at RSV1 themselves
  return {
    served,
    clock,
    head,
    protocol: Recorder.instances[Recorder.instances.length - 1],
    send(opcode, payload, fin = true) {
      const data = typeof payload === "string" ? te.encode(payload) : payload;
      for (const chunk of encodeFrame(opcode, data, fin, MASK)) served.send(chunk);
    },
    raw(bytes) {
      served.send(bytes);
    },
    frames() {
      const all = served.transport.value();
      reader.push(all.slice(consumed));
      consumed = all.length;
      const frames: Frame[] = [];
      for (let f = reader.next(); f !== null; f = reader.next()) frames.push(f);
      return frames;
    },
    disconnected() {
      return !served.transport.connected;
    },
  };
}

/** The code of a close frame's payload. */
export function closeCode(frame: Frame): number | null {
  return frame.payload.length >= 2 ? (frame.payload[0] << 8) | frame.payload[1] : null;
}
