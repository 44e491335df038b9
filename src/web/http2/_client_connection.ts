/**
 * `H2ClientProtocol`: the client side of an HTTP/2 connection (RFC 9113)
 * over any `ITransport`, the HTTP/2 twin of `HTTP11ClientProtocol`. Many
 * requests share it at once, up to the server's SETTINGS_MAX_CONCURRENT_STREAMS
 * (more wait in a queue). It reuses the server's framing, HPACK and window
 * classes. Everything the server controls is bounded: frame and header block
 * sizes, the decoded header list, each stream's body (its receive window
 * reopens only as the consumer reads), control frames queued for a server
 * that does not read, and empty frames.
 *
 * @module
 */
import { Deferred } from "../../internet/defer.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IPushProducer } from "../../internet/interfaces.ts";
import type { Address } from "../../internet/address.ts";
import { Protocol } from "../../internet/protocol.ts";
import { Logger } from "../../logger/mod.ts";
import { RequestGenerationFailed, RequestNotSent } from "../_client_errors.ts";
import type { ClientRequest } from "../_client_protocol.ts";
import type { Response } from "../_client_response.ts";
import {
  ErrorCode,
  errorName,
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  goawayFrame,
  H2Error,
  type HeaderBlock,
  HeaderBlockReader,
  headersFrames,
  parseSettings,
  pingFrame,
  PREFACE,
  readUint31,
  readUint32,
  rstStreamFrame,
  settingsFrame,
  unpad,
  windowUpdateFrame,
} from "./_frames.ts";
import { CompressionError, type HeaderField, HpackDecoder, HpackEncoder } from "./_hpack.ts";
import { ReceiveWindow, SendWindow } from "./_flow.ts";
import { DEFAULT_WINDOW, MAX_WINDOW, PeerSettings, SettingsId } from "./_settings.ts";
import { type H2ClientOptions, resolveClientOptions } from "./_client_options.ts";
import {
  flushStreams,
  H2ClientStream,
  type H2ClientStreamOwner,
  requestFields,
  StreamRefused,
} from "./_client_stream.ts";

export { StreamRefused } from "./_client_stream.ts";
export type { H2ClientOptions } from "./_client_options.ts";

const log = new Logger("tw.web.http2.client");

// Control frames written while the transport is paused before giving up.
const MAX_QUEUED_CONTROL = 10000;
// Empty DATA frames (no END_STREAM) a server may send.
const MAX_EMPTY_FRAMES = 10000;
const MAX_HEADER_FRAMES = 128;
// The largest stream id.
const MAX_STREAM_ID = 0x7fffffff;

/** The states of an `H2ClientProtocol`. */
export type H2ClientState = "CONNECTED" | "GOING_AWAY" | "CLOSED";

/**
 * The HTTP/2 client protocol: sends the preface and SETTINGS, then each
 * `request()` on a stream of its own (HPACK-encoded pseudo-headers and
 * headers, the body under the server's windows), and fires with a
 * `Response` whose `version` is `["HTTP", 2, 0]` and whose `trailers` are
 * filled in when the body ends. Cancelling a request, or giving up its body,
 * resets only its stream. After a GOAWAY, requests the server did not
 * process fail with `ResponseNeverReceived` wrapping `StreamRefused` (a
 * pool retries idempotent ones); those queued with `RequestNotSent`.
 *
 * @example
 * ```ts
 * import { ClientRequest, H2ClientProtocol, Headers } from "@tw/core/web";
 * import { StringTransport } from "@tw/core/testing";
 * const transport = new StringTransport();
 * const h2 = new H2ClientProtocol();
 * h2.makeConnection(transport);
 * console.log(new TextDecoder().decode(transport.value().subarray(0, 24)));
 * // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
 * h2.request(new ClientRequest("GET", "/", new Headers({ Host: "example.com" })));
 * console.log(h2.activeStreams); // 1
 * ```
 */
export class H2ClientProtocol extends Protocol implements IPushProducer {
  /** Called when the connection can take no new request (GOAWAY, closed). */
  onGoingAway: ((protocol: H2ClientProtocol) => void) | null = null;
  /** Called when the last stream ended (the pool may keep or close it). */
  onIdle: ((protocol: H2ClientProtocol) => void) | null = null;
  /** Called once the connection is lost. */
  onConnectionLost: ((protocol: H2ClientProtocol) => void) | null = null;
  #streamWindow: number;
  #connectionWindow: number;
  #maxHeaderList: number;
  #ownMax: number;
  #reader = new FrameReader(16384);
  #blocks: HeaderBlockReader;
  #decoder = new HpackDecoder(4096);
  #encoder = new HpackEncoder(4096);
  #peer = new PeerSettings();
  #peerMaxStreams = 100;
  #sendWindow = new SendWindow(DEFAULT_WINDOW);
  #receiveWindow: ReceiveWindow;
  #streams = new Map<number, H2ClientStream>();
  #queue: H2ClientStream[] = [];
  #flushing = new Set<H2ClientStream>();
  #nextId = 1;
  #settingsSeen = false;
  #state: H2ClientState = "CONNECTED";
  #goAwayId = MAX_STREAM_ID;
  #writesPaused = false;
  #queuedControl = 0;
  #emptyFrames = 0;
  #pings: Deferred<void>[] = [];
  #abortWaiters: Deferred<void>[] = [];
  #lostReason: Failure | null = null;
  // What the streams see of the connection.
  #owner: H2ClientStreamOwner = {
    sendHeaders: (stream, fields, endStream) => this.#sendHeaders(stream, fields, endStream),
    wantsFlush: (stream) => this.#wantsFlush(stream),
    windowUpdate: (stream, increment) => this.#windowUpdate(stream, increment),
    resetStream: (stream, code) => this.#resetStream(stream, code),
    streamDone: (stream) => this.#streamDone(stream),
    getPeer: (): Address => this.transport.getPeer(),
    getHost: (): Address => this.transport.getHost(),
  };

  /**
   * Makes the protocol.
   * @param options windows and limits
   */
  constructor(options: H2ClientOptions = {}) {
    super();
    const o = resolveClientOptions(options);
    this.#streamWindow = o.initialWindowSize;
    this.#connectionWindow = o.connectionWindowSize;
    this.#maxHeaderList = o.maxHeaderListSize;
    this.#ownMax = o.maxConcurrentStreams;
    this.#receiveWindow = new ReceiveWindow(this.#connectionWindow);
    this.#blocks = new HeaderBlockReader(2 * this.#maxHeaderList + 16384, MAX_HEADER_FRAMES);
  }

  /** The connection's state. */
  get state(): H2ClientState {
    return this.#state;
  }

  /** Streams open or queued. */
  get activeStreams(): number {
    return this.#streams.size + this.#queue.length;
  }

  /** Whether `request()` would be accepted (not going away, not closed). */
  get canTakeRequests(): boolean {
    return this.#state === "CONNECTED";
  }

  /** Why the connection was lost, once it was. */
  get lostReason(): Failure | null {
    return this.#lostReason;
  }

  /** Sends the preface and our SETTINGS. */
  override connectionMade(): void {
    (this.transport as { setTcpNoDelay?: (on: boolean) => void }).setTcpNoDelay?.(true);
    this.transport.registerProducer(this, true);
    const settings: [number, number][] = [
      [SettingsId.ENABLE_PUSH, 0],
      [SettingsId.INITIAL_WINDOW_SIZE, this.#streamWindow],
      [SettingsId.MAX_HEADER_LIST_SIZE, this.#maxHeaderList],
    ];
    const increment = this.#connectionWindow - DEFAULT_WINDOW;
    const parts = [PREFACE, settingsFrame(settings)];
    if (increment > 0) parts.push(windowUpdateFrame(0, increment));
    this.transport.writeSequence(parts);
  }

  /**
   * Sends `request` on a new stream (queued while the server's stream limit
   * is reached); fires with the response once its head arrived. Fails as
   * `HTTP11ClientProtocol.request` does; `RequestNotSent` when the
   * connection is going away or closed.
   */
  request(request: ClientRequest): Deferred<Response> {
    if (this.#state !== "CONNECTED") {
      const d = new Deferred<Response>();
      d.errback(new RequestNotSent());
      return d;
    }
    let fields: HeaderField[];
    try {
      fields = requestFields(request);
    } catch (error) {
      const d = new Deferred<Response>();
      d.errback(new RequestGenerationFailed([error]));
      return d;
    }
    const stream = new H2ClientStream(
      this.#owner,
      request,
      this.#peer.initialWindowSize,
      this.#streamWindow,
    );
    fieldsOf.set(stream, fields);
    this.#queue.push(stream);
    this.#startQueued();
    return stream.deferred;
  }

  #startQueued(): void {
    const limit = Math.min(this.#peerMaxStreams, this.#ownMax);
    while (this.#queue.length > 0 && this.#streams.size < limit && this.#state === "CONNECTED") {
      if (this.#nextId > MAX_STREAM_ID) {
        this.#goingAway(); // ids exhausted: the pool opens another connection
        return;
      }
      const stream = this.#queue.shift()!;
      const fields = fieldsOf.get(stream)!;
      fieldsOf.delete(stream);
      const id = this.#nextId;
      this.#nextId += 2;
      this.#streams.set(id, stream);
      stream.start(id, fields);
    }
  }

  /** Sends a PING; fires when the server acknowledges it. */
  ping(): Deferred<void> {
    const d = new Deferred<void>();
    if (this.#state === "CLOSED") {
      d.errback(new RequestNotSent());
      return d;
    }
    this.#pings.push(d);
    this.#control(pingFrame(new Uint8Array(8), false));
    return d;
  }

  /**
   * Stops taking requests: GOAWAY(NO_ERROR) to the server; the connection
   * closes once the streams in flight end.
   */
  loseConnectionGracefully(): void {
    if (this.#state === "CLOSED") return;
    this.#control(goawayFrame(0, ErrorCode.NO_ERROR));
    this.#goingAway();
  }

  /** Closes the connection at once; fires once it is closed. */
  abort(): Deferred<void> {
    const d = new Deferred<void>();
    if (this.#lostReason !== null || this.transport === undefined) {
      d.callback(undefined);
      return d;
    }
    this.#abortWaiters.push(d);
    this.#state = "CLOSED";
    // Already closing (after a GOAWAY): an abort on top of it would leave
    // Node's socket open.
    if (!this.#closing) this.transport.abortConnection();
    return d;
  }

  #closing = false;

  #close(): void {
    this.#closing = true;
    this.transport.loseConnection();
  }

  // ---- for the streams ------------------------------------------------------------

  #sendHeaders(stream: H2ClientStream, fields: HeaderField[], endStream: boolean): void {
    const block = this.#encoder.encode(fields);
    this.transport.write(headersFrames(stream.id, block, endStream, this.#peer.maxFrameSize));
  }

  #wantsFlush(stream: H2ClientStream): void {
    this.#flushing.add(stream);
    this.#flush();
  }

  #windowUpdate(stream: H2ClientStream, increment: number): void {
    if (this.#state === "CLOSED") return;
    this.#control(windowUpdateFrame(stream.id, increment));
  }

  #resetStream(stream: H2ClientStream, code: number): void {
    if (this.#state !== "CLOSED" && stream.id !== 0) this.#control(rstStreamFrame(stream.id, code));
    this.#streamDone(stream);
  }

  #streamDone(stream: H2ClientStream): void {
    this.#flushing.delete(stream);
    if (stream.id === 0) {
      const i = this.#queue.indexOf(stream);
      if (i >= 0) this.#queue.splice(i, 1);
      fieldsOf.delete(stream);
    } else if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
    else return;
    this.#startQueued();
    if (this.activeStreams === 0) {
      if (this.#state === "GOING_AWAY") this.#close();
      else if (this.#state === "CONNECTED") this.onIdle?.(this);
    }
  }

  // ---- IPushProducer (the transport's backpressure) -----------------------------

  /** The transport's buffer is full: hold body data. */
  pauseProducing(): void {
    this.#writesPaused = true;
  }

  /** The transport drained: send again. */
  resumeProducing(): void {
    this.#writesPaused = false;
    this.#queuedControl = 0;
    this.#flush();
  }

  /** The transport is going away. */
  stopProducing(): void {
    this.#writesPaused = true;
  }

  // ---- writing -------------------------------------------------------------------

  #control(frame: Uint8Array): void {
    if (this.#writesPaused && ++this.#queuedControl > MAX_QUEUED_CONTROL) {
      // The server does not read what it asks for: give up on it.
      this.#state = "CLOSED";
      this.transport.abortConnection();
      return;
    }
    this.transport.write(frame);
  }

  #flush(): void {
    if (this.#writesPaused || this.#state === "CLOSED") return;
    const out = flushStreams(this.#flushing, this.#sendWindow, this.#peer.maxFrameSize);
    if (out.length > 0) this.transport.writeSequence(out);
  }

  // ---- reading -------------------------------------------------------------------

  /** Reads frames. */
  override dataReceived(data: Uint8Array): void {
    if (this.#state === "CLOSED") return;
    this.#reader.push(data);
    for (;;) {
      try {
        const frame = this.#reader.next();
        if (frame === null) return;
        this.#frame(frame);
      } catch (e) {
        if (e instanceof H2Error && e.streamId !== 0) {
          this.#streamError(e);
          continue;
        }
        if (e instanceof H2Error) this.#connectionError(e);
        else if (e instanceof CompressionError) {
          this.#connectionError(new H2Error(ErrorCode.COMPRESSION_ERROR, e.message));
        } else {
          log.failure("Unexpected error in the HTTP/2 client", e);
          this.#connectionError(new H2Error(ErrorCode.INTERNAL_ERROR, "Internal error"));
        }
        return;
      }
      if (this.state === "CLOSED") return;
    }
  }

  #frame(frame: Frame): void {
    const open = this.#blocks.streamId;
    if (open !== 0 && (frame.type !== FrameType.CONTINUATION || frame.streamId !== open)) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "Header block interrupted");
    }
    if (!this.#settingsSeen) {
      if (frame.type !== FrameType.SETTINGS || (frame.flags & Flag.ACK) !== 0) {
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, "The server did not start with SETTINGS");
      }
      this.#settingsSeen = true;
    }
    switch (frame.type) {
      case FrameType.DATA:
        return this.#onData(frame);
      case FrameType.HEADERS:
        this.#checkStream(frame.streamId);
        return this.#onBlock(this.#blocks.start(frame));
      case FrameType.CONTINUATION:
        return this.#onBlock(this.#blocks.continued(frame));
      case FrameType.PRIORITY:
        if (frame.streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "PRIORITY on 0");
        if (frame.payload.length !== 5) {
          throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "PRIORITY length", frame.streamId);
        }
        return;
      case FrameType.RST_STREAM:
        return this.#onReset(frame);
      case FrameType.SETTINGS:
        return this.#onSettings(frame);
      case FrameType.PUSH_PROMISE:
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE, push was disabled");
      case FrameType.PING:
        return this.#onPing(frame);
      case FrameType.GOAWAY:
        return this.#onGoAway(frame);
      case FrameType.WINDOW_UPDATE:
        return this.#onWindowUpdate(frame);
      default:
        return; // Unknown frame types are ignored (§4.1).
    }
  }

  // A frame on a stream we never opened (even ids: push is off) is a connection error.
  #checkStream(id: number): void {
    if (id === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "Stream frame on stream 0");
    if (id % 2 === 0 || id >= this.#nextId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, `Frame on idle stream ${id}`);
    }
  }

  #onData(frame: Frame): void {
    this.#checkStream(frame.streamId);
    const length = frame.payload.length;
    this.#receiveWindow.received(length, 0);
    // The connection window is given back at once: each stream's own bounds its bytes.
    const increment = this.#receiveWindow.consumed(length);
    if (increment > 0) this.#control(windowUpdateFrame(0, increment));
    const end = (frame.flags & Flag.END_STREAM) !== 0;
    if (length === 0 && !end && ++this.#emptyFrames > MAX_EMPTY_FRAMES) {
      throw new H2Error(ErrorCode.ENHANCE_YOUR_CALM, "Too many empty DATA frames");
    }
    const stream = this.#streams.get(frame.streamId);
    // A stream we reset or finished: frames in flight are ignored (§5.1).
    if (stream === undefined || stream.remoteClosed) return;
    stream.receiveWindow.received(length, frame.streamId);
    stream.data(unpad(frame), length, end);
  }

  #onBlock(block: HeaderBlock | null): void {
    if (block === null) return;
    // Decoded even for a closed stream: the HPACK table must stay in step.
    const decoded = this.#decoder.decode(block.bytes, this.#maxHeaderList);
    const stream = this.#streams.get(block.streamId);
    if (stream === undefined || stream.remoteClosed) return; // closed: ignored (§5.1)
    if (decoded.tooLarge) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "Response header list too large", stream.id);
    }
    stream.headers(decoded.headers, block.endStream);
  }

  #onReset(frame: Frame): void {
    if (frame.payload.length !== 4) {
      throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM length");
    }
    this.#checkStream(frame.streamId);
    const stream = this.#streams.get(frame.streamId);
    if (stream === undefined) return;
    stream.reset(readUint32(frame.payload, 0));
    this.#streamDone(stream);
  }

  #onSettings(frame: Frame): void {
    const settings = parseSettings(frame);
    if (frame.flags & Flag.ACK) return;
    for (const [id, value] of settings) {
      if (id === SettingsId.MAX_CONCURRENT_STREAMS) {
        this.#peerMaxStreams = value;
        continue;
      }
      let delta: number;
      try {
        delta = this.#peer.apply(id, value);
      } catch (e) {
        if (e instanceof H2Error) throw new H2Error(e.code, e.message.replace(/^\w+: /, ""));
        throw e;
      }
      if (id === SettingsId.HEADER_TABLE_SIZE) this.#encoder.setMaxTableSize(value);
      if (delta !== 0) {
        for (const stream of this.#streams.values()) {
          if (stream.sendWindow.size + delta > MAX_WINDOW) {
            throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, "Stream window above 2^31-1");
          }
          stream.sendWindow.size += delta;
        }
        for (const stream of this.#queue) stream.sendWindow.size += delta;
      }
    }
    this.#control(settingsFrame(null));
    this.#startQueued();
    for (const stream of this.#streams.values()) {
      if (stream.pendingBytes > 0) this.#flushing.add(stream);
    }
    this.#flush();
  }

  #onPing(frame: Frame): void {
    if (frame.streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
    if (frame.payload.length !== 8) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "PING length");
    if (frame.flags & Flag.ACK) {
      this.#pings.shift()?.callback(undefined);
      return;
    }
    this.#control(pingFrame(frame.payload.slice(), true));
  }

  #onGoAway(frame: Frame): void {
    if (frame.streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
    if (frame.payload.length < 8) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY length");
    const last = readUint31(frame.payload, 0);
    const code = readUint32(frame.payload, 4);
    if (last > this.#goAwayId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "GOAWAY raised its last stream id");
    }
    this.#goAwayId = last;
    if (code !== ErrorCode.NO_ERROR) {
      log.info("HTTP/2 server sent GOAWAY({code}), last stream {last}", {
        code: errorName(code),
        last,
      });
    }
    const reason = new StreamRefused(`GOAWAY(${errorName(code)}) with last stream ${last}`);
    this.#goingAway();
    for (const stream of [...this.#streams.values()]) {
      if (stream.id > last) stream.fail(reason, true);
    }
  }

  #goingAway(): void {
    if (this.#state !== "CONNECTED") return;
    this.#state = "GOING_AWAY";
    const queued = this.#queue;
    this.#queue = [];
    for (const stream of queued) {
      fieldsOf.delete(stream);
      stream.fail(new RequestNotSent(), true);
    }
    try {
      this.onGoingAway?.(this);
    } finally {
      if (this.#streams.size === 0) this.#close();
    }
  }

  #onWindowUpdate(frame: Frame): void {
    if (frame.payload.length !== 4) {
      throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE length");
    }
    const increment = readUint31(frame.payload, 0);
    if (frame.streamId === 0) {
      if (increment === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      this.#sendWindow.increase(increment, 0);
      for (const stream of this.#streams.values()) {
        if (stream.pendingBytes > 0) this.#flushing.add(stream);
      }
    } else {
      this.#checkStream(frame.streamId);
      const stream = this.#streams.get(frame.streamId);
      if (increment === 0) {
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0", frame.streamId);
      }
      if (stream === undefined) return;
      stream.sendWindow.increase(increment, frame.streamId);
      if (stream.pendingBytes > 0) this.#flushing.add(stream);
    }
    this.#flush();
  }

  #streamError(e: H2Error): void {
    const stream = this.#streams.get(e.streamId);
    if (this.#state !== "CLOSED") this.#control(rstStreamFrame(e.streamId, e.code));
    if (stream !== undefined) {
      stream.fail(e, false);
      this.#streamDone(stream);
    }
  }

  #connectionError(e: H2Error): void {
    if (this.#state === "CLOSED") return;
    const last = this.#state;
    this.#state = "CLOSED";
    this.transport.write(goawayFrame(0, e.code, e.message.slice(0, 200)));
    this.#failAll(e);
    if (last === "CONNECTED") this.onGoingAway?.(this);
    this.#close();
  }

  #failAll(reason: unknown): void {
    const queued = this.#queue;
    this.#queue = [];
    for (const stream of queued) stream.fail(reason, true);
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    for (const stream of streams) stream.fail(reason, false);
    const pings = this.#pings;
    this.#pings = [];
    for (const d of pings) d.errback(reason);
  }

  /** Fails whatever was in progress. */
  override connectionLost(reason: Failure): void {
    const was = this.#state;
    this.#state = "CLOSED";
    this.#lostReason = reason;
    try {
      this.#failAll(reason);
      if (was === "CONNECTED") this.onGoingAway?.(this);
    } finally {
      const waiters = this.#abortWaiters;
      this.#abortWaiters = [];
      for (const w of waiters) w.callback(undefined);
      this.onConnectionLost?.(this);
    }
  }
}

// The checked header list of each queued stream.
const fieldsOf = new WeakMap<H2ClientStream, HeaderField[]>();
