/**
 * `H2Connection` (`twisted.web._http2.H2Connection`): the server side of an
 * HTTP/2 connection over any `ITransport`. It checks the preface, reads
 * frames, keeps HPACK and flow-control state, refuses streams over the
 * limit, and gives each request to an `H2Stream`, whose `HTTPChannel` runs
 * it through the site as over HTTP/1.1. It defends itself: frame sizes are
 * checked from the header, header blocks are bounded in bytes and frames,
 * peer resets are rate-limited, and control frames queued for a peer that
 * does not read are bounded; each ends in GOAWAY.
 *
 * @module
 */
import { ConnectionLost } from "../../internet/error.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IDelayedCall, IPushProducer, IReactorTime } from "../../internet/interfaces.ts";
import { Protocol } from "../../internet/protocol.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Logger } from "../../logger/mod.ts";
import type { HTTPChannel } from "../http.ts";
import { httpDate } from "../_http_parse.ts";
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
  rstStreamFrame,
  settingsFrame,
  unpad,
  windowUpdateFrame,
} from "./_frames.ts";
import { CompressionError, HpackDecoder, HpackEncoder } from "./_hpack.ts";
import { ReceiveWindow, SendWindow, TokenBucket } from "./_flow.ts";
import {
  advertisedSettings,
  DEFAULT_WINDOW,
  PeerSettings,
  type ResolvedH2Options,
  resolveH2Options,
} from "./_settings.ts";
import { H2Stream, type H2StreamOwner } from "./_stream.ts";
import { FrameOutput } from "./_output.ts";
import {
  decodeSettingsHeader,
  type H2cUpgrade,
  streamChannel,
  upgradeFields,
  validateRequest,
} from "./_request.ts";

export { type H2cUpgrade, wantsH2cUpgrade } from "./_request.ts";

const log = new Logger("tw.web.http2");

// Control frames (SETTINGS and PING acknowledgements, resets, window
// updates) we keep queued for a peer that does not read before giving up.
const MAX_QUEUED_CONTROL = 10000;
// A header block (HEADERS and its CONTINUATIONs) may have at most this many frames.
const MAX_HEADER_FRAMES = 128;
// Empty DATA frames (no END_STREAM) a connection may send: they cost us, not it.
const MAX_EMPTY_FRAMES = 10000;
// The connection's receive window (raised from 65535 at the start).
const CONNECTION_WINDOW = 1 << 20;

/**
 * The HTTP/2 server protocol for one connection. `HTTPChannel` switches to
 * it when TLS negotiated "h2" or a cleartext client sends the connection
 * preface; it serves the channel's site.
 *
 * @example
 * ```ts
 * import { H2Connection, HTTPChannel, HTTPRequest } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * import { StringTransport } from "@tw/core/testing";
 * const template = new HTTPChannel();
 * template.clock = new Clock();
 * template.requestFactory = (channel) => new HTTPRequest(channel); // 404s
 * const h2 = new H2Connection(template);
 * const transport = new StringTransport();
 * h2.makeConnection(transport);
 * console.log(transport.value()[3]); // 4: our SETTINGS frame went first
 * ```
 */
export class H2Connection extends Protocol implements H2StreamOwner, IPushProducer {
  /** The settings in force. */
  readonly options: ResolvedH2Options;
  #template: HTTPChannel;
  #clock: IReactorTime;
  #reader: FrameReader;
  #prefaceAt = 0;
  #settingsSeen = false;
  #decoder: HpackDecoder;
  #encoder = new HpackEncoder(4096);
  #peer = new PeerSettings();
  #sendWindow = new SendWindow(DEFAULT_WINDOW);
  #receiveWindow = new ReceiveWindow(CONNECTION_WINDOW);
  #streams = new Map<number, H2Stream>();
  #lastStreamId = 0;
  #blocks: HeaderBlockReader;
  #output: FrameOutput = new FrameOutput(this);
  #writesPaused = false;
  #queuedControl = 0;
  #emptyFrames = 0;
  #resets: TokenBucket;
  #goingAway = false;
  #closed = false;
  #idleCall: IDelayedCall | null = null;
  #lastActivity = 0;
  #upgradeRequest: H2cUpgrade | null;

  /**
   * Makes the protocol for one connection.
   * @param template the channel whose settings (site, request factory,
   *   limits, clock) each stream's channel copies
   * @param options HTTP/2 settings (defaults from `H2Options`)
   * @param upgrade the HTTP/1.1 request that asked for `Upgrade: h2c`, if any
   */
  constructor(
    template: HTTPChannel,
    options: ResolvedH2Options | null = null,
    upgrade: H2cUpgrade | null = null,
  ) {
    super();
    this.#upgradeRequest = upgrade;
    this.#template = template;
    this.options = options ?? resolveH2Options({}, template.maxHeaderSize);
    this.#clock = template.clock ?? getReactor();
    this.#reader = new FrameReader(this.options.maxFrameSize);
    this.#decoder = new HpackDecoder(this.options.headerTableSize);
    // CONTINUATION floods (VU#421644): a header block is bounded in bytes and frames.
    this.#blocks = new HeaderBlockReader(
      2 * this.options.maxHeaderListSize + 16384,
      MAX_HEADER_FRAMES,
    );
    this.#resets = new TokenBucket(
      this.options.streamResetBurst,
      this.options.streamResetRate,
      this.#clock.seconds(),
    );
  }

  /** The streams open now. */
  get openStreams(): number {
    return this.#streams.size;
  }

  /** True while the transport asked us to stop writing (`H2StreamOwner`). */
  get writesPaused(): boolean {
    return this.#writesPaused;
  }

  /** Sends our SETTINGS and the connection window, and starts the idle timeout. */
  override connectionMade(): void {
    this.transport.registerProducer(this, true);
    this.#output.queue(settingsFrame(advertisedSettings(this.options)));
    this.#output.queue(windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW));
    if (this.#upgradeRequest !== null) this.#upgraded(this.#upgradeRequest);
    this.#output.flush();
    const timeOut = this.#template.timeOut;
    if (timeOut !== null) {
      this.#lastActivity = this.#clock.seconds();
      this.#idleCall = this.#clock.callLater(timeOut, () => this.#idleCheck());
    }
  }

  /** Reads frames. */
  override dataReceived(data: Uint8Array): void {
    if (this.#closed) return;
    this.#output.inTurn = true;
    if (this.#idleCall !== null) this.#lastActivity = this.#clock.seconds();
    try {
      if (this.#prefaceAt < PREFACE.length) {
        const n = Math.min(PREFACE.length - this.#prefaceAt, data.length);
        for (let i = 0; i < n; i++) {
          if (data[i] !== PREFACE[this.#prefaceAt + i]) {
            this.#connectionError(new H2Error(ErrorCode.PROTOCOL_ERROR, "Bad connection preface"));
            return;
          }
        }
        this.#prefaceAt += n;
        if (n === data.length) return;
        data = data.subarray(n);
      }
      this.#reader.push(data);
      for (;;) {
        let frame: Frame | null;
        try {
          frame = this.#reader.next();
          if (frame === null) break;
          this.#frame(frame);
        } catch (e) {
          if (e instanceof H2Error && e.streamId !== 0) {
            this.#streamError(e);
            continue;
          }
          if (e instanceof H2Error) this.#connectionError(e);
          else {
            log.failure("Unexpected error in the HTTP/2 connection", e);
            this.#connectionError(new H2Error(ErrorCode.INTERNAL_ERROR, "Internal error"));
          }
          return;
        }
        if (this.#closed) return;
      }
    } finally {
      this.#output.inTurn = false;
      this.#output.flush();
    }
  }

  #frame(frame: Frame): void {
    const open = this.#blocks.streamId;
    if (open !== 0 && (frame.type !== FrameType.CONTINUATION || frame.streamId !== open)) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "Header block interrupted");
    }
    if (!this.#settingsSeen) {
      if (frame.type !== FrameType.SETTINGS || (frame.flags & Flag.ACK) !== 0) {
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, "First frame is not SETTINGS");
      }
      this.#settingsSeen = true;
    }
    switch (frame.type) {
      case FrameType.DATA:
        return this.#onData(frame);
      case FrameType.HEADERS:
        return this.#onHeaders(frame);
      case FrameType.PRIORITY:
        if (frame.streamId === 0) {
          throw new H2Error(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
        }
        if (frame.payload.length !== 5) {
          throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "PRIORITY length", frame.streamId);
        }
        return;
      case FrameType.RST_STREAM:
        return this.#onReset(frame);
      case FrameType.SETTINGS:
        return this.#onSettings(frame);
      case FrameType.PUSH_PROMISE:
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
      case FrameType.PING:
        if (frame.streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
        if (frame.payload.length !== 8) {
          throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "PING length");
        }
        if ((frame.flags & Flag.ACK) === 0) this.#control(pingFrame(frame.payload, true));
        return;
      case FrameType.GOAWAY:
        if (frame.streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
        if (frame.payload.length < 8) {
          throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY length");
        }
        // The client leaves: the streams in flight finish, then we close.
        this.#goingAway = true;
        this.#closeWhenIdle();
        return;
      case FrameType.WINDOW_UPDATE:
        return this.#onWindowUpdate(frame);
      case FrameType.CONTINUATION:
        return this.#headerDone(this.#blocks.continued(frame));
      default:
        return; // Unknown frame types are ignored (§4.1).
    }
  }

  /** The request of an `Upgrade: h2c` becomes stream 1, half-closed (RFC 7540 §3.2). */
  #upgraded(request: H2cUpgrade): void {
    try {
      for (const [id, value] of decodeSettingsHeader(request.headers.getLast("http2-settings")!)) {
        this.#peer.apply(id, value);
        if (id === 0x1) this.#encoder.setMaxTableSize(value);
      }
    } catch (e) {
      this.#connectionError(
        e instanceof H2Error ? e : new H2Error(ErrorCode.PROTOCOL_ERROR, "Bad HTTP2-Settings"),
      );
      return;
    }
    const fields = upgradeFields(request.headers);
    this.#lastStreamId = 1;
    const stream = new H2Stream(
      this,
      1,
      streamChannel(this.#template, this.#clock),
      [this.#peer.initialWindowSize, this.options.initialWindowSize],
      this.#template.isSecure(),
    );
    this.#streams.set(1, stream);
    stream.headersReceived(request.method, request.uri, fields, true);
  }

  // ---- frames ---------------------------------------------------------------------

  #onData(frame: Frame): void {
    const id = frame.streamId;
    if (id === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
    if (id > this.#lastStreamId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "DATA on an idle stream");
    }
    const size = frame.payload.length;
    this.#receiveWindow.received(size, 0);
    const data = unpad(frame);
    // Bodies are handed to their requests at once: the connection window reopens now.
    const increment = this.#receiveWindow.consumed(size);
    if (increment > 0) this.#control(windowUpdateFrame(0, increment));
    const end = (frame.flags & Flag.END_STREAM) !== 0;
    if (size === 0 && !end && ++this.#emptyFrames > MAX_EMPTY_FRAMES) {
      throw new H2Error(ErrorCode.ENHANCE_YOUR_CALM, "Too many empty DATA frames");
    }
    const stream = this.#streams.get(id);
    if (stream === undefined) return; // a stream we closed or reset: in flight, ignored
    if (stream.remoteEnded) throw new H2Error(ErrorCode.STREAM_CLOSED, "DATA after END_STREAM", id);
    stream.receiveWindow.received(size, id);
    stream.dataReceived(data, size, end);
  }

  #onHeaders(frame: Frame): void {
    if (frame.streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
    this.#headerDone(this.#blocks.start(frame));
  }

  #headerDone(block: HeaderBlock | null): void {
    if (block !== null) this.#headerBlock(block.streamId, block.bytes, block.endStream);
  }

  #headerBlock(id: number, bytes: Uint8Array, endStream: boolean): void {
    let decoded;
    try {
      decoded = this.#decoder.decode(bytes, this.options.maxHeaderListSize);
    } catch (e) {
      if (e instanceof CompressionError) throw new H2Error(ErrorCode.COMPRESSION_ERROR, e.message);
      throw e;
    }
    const existing = this.#streams.get(id);
    if (existing !== undefined) {
      // Trailers: they end the stream.
      if (existing.remoteEnded) {
        throw new H2Error(ErrorCode.STREAM_CLOSED, "HEADERS after END_STREAM", id);
      }
      if (!endStream) {
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, "Trailers without END_STREAM", id);
      }
      existing.trailersReceived(decoded.headers);
      return;
    }
    if (id % 2 === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "Even stream id from a client");
    if (id <= this.#lastStreamId) {
      throw new H2Error(ErrorCode.STREAM_CLOSED, "HEADERS on a closed stream", id);
    }
    if (this.#goingAway) return; // past our GOAWAY's last stream: ignored (§6.8)
    this.#lastStreamId = id;
    if (this.#streams.size >= this.options.maxConcurrentStreams) {
      throw new H2Error(ErrorCode.REFUSED_STREAM, "Too many concurrent streams", id);
    }
    if (decoded.tooLarge) {
      this.#bareResponse(id, "431", endStream);
      return;
    }
    const request = validateRequest(decoded.headers, id);
    const stream = new H2Stream(
      this,
      id,
      streamChannel(this.#template, this.#clock),
      [this.#peer.initialWindowSize, this.options.initialWindowSize],
      this.#template.isSecure(),
    );
    this.#streams.set(id, stream);
    stream.headersReceived(request.method, request.uri, request.fields, endStream);
  }

  #onReset(frame: Frame): void {
    const id = frame.streamId;
    if (id === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (frame.payload.length !== 4) {
      throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM length");
    }
    if (id > this.#lastStreamId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on an idle stream");
    }
    const stream = this.#streams.get(id);
    if (stream === undefined) return;
    // Rapid Reset (CVE-2023-44487): each reset costs a token.
    if (!this.#resets.take(this.#clock.seconds())) {
      throw new H2Error(ErrorCode.ENHANCE_YOUR_CALM, "Too many stream resets");
    }
    this.#forget(stream);
    const code = (frame.payload[0] << 24 | frame.payload[1] << 16 | frame.payload[2] << 8 |
      frame.payload[3]) >>> 0;
    stream.connectionLost(new ConnectionLost(`Stream reset by the client: ${errorName(code)}`));
  }

  #onSettings(frame: Frame): void {
    const settings = parseSettings(frame);
    if ((frame.flags & Flag.ACK) !== 0) return;
    let delta = 0;
    for (const [id, value] of settings) {
      delta += this.#peer.apply(id, value);
      if (id === 0x1) this.#encoder.setMaxTableSize(value);
    }
    if (delta !== 0) {
      for (const stream of this.#streams.values()) {
        stream.sendWindow.increase(delta, 0);
        if (delta > 0) this.schedule(stream);
      }
    }
    this.#control(settingsFrame(null));
  }

  #onWindowUpdate(frame: Frame): void {
    if (frame.payload.length !== 4) {
      throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE length");
    }
    const id = frame.streamId;
    const increment = readUint31(frame.payload, 0);
    if (id === 0) {
      if (increment === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      this.#sendWindow.increase(increment, 0);
      this.#output.unblockAll();
      return;
    }
    if (id > this.#lastStreamId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream");
    }
    const stream = this.#streams.get(id);
    if (stream === undefined) return;
    if (increment === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0", id);
    stream.sendWindow.increase(increment, id);
    this.schedule(stream);
  }

  // ---- errors -------------------------------------------------------------------

  #streamError(e: H2Error): void {
    const stream = this.#streams.get(e.streamId);
    if (e.code !== ErrorCode.REFUSED_STREAM) {
      log.debug("HTTP/2 stream error: {message}", { message: e.message });
    }
    // Resets we make for a peer's faults count like the peer's own (CVE-2019-9514).
    if (!this.#resets.take(this.#clock.seconds())) {
      this.#connectionError(new H2Error(ErrorCode.ENHANCE_YOUR_CALM, "Too many stream errors"));
      return;
    }
    if (stream !== undefined) stream.resetStream(e.code);
    else this.#control(rstStreamFrame(e.streamId, e.code));
  }

  #connectionError(e: H2Error): void {
    if (this.#closed) return;
    log.info("HTTP/2 connection error from {peer}: {message}", {
      peer: this.transport.getPeer(),
      message: e.message,
    });
    this.#output.queue(goawayFrame(this.#lastStreamId, e.code, e.message.slice(0, 128)));
    this.#closed = true;
    this.#output.closed = true;
    this.#output.writeOut();
    this.#loseStreams(new ConnectionLost(`HTTP/2 connection error: ${e.message}`));
    if (this.#writesPaused) this.transport.abortConnection();
    else this.transport.loseConnection();
  }

  // ---- output -------------------------------------------------------------------

  /** See `H2StreamOwner.schedule`. */
  schedule(stream: H2Stream): void {
    this.#output.schedule(stream);
  }

  /**
   * Writes a stream's frames for the output (`FrameOutputOwner.emitStream`).
   * @ignore
   */
  emitStream(stream: H2Stream, out: Uint8Array[]): boolean | null {
    if (this.#streams.get(stream.streamID) !== stream) return null;
    return stream.emit(out, this.#encoder, this.#sendWindow, this.#peer.maxFrameSize);
  }

  /**
   * A deferred flush failed: the connection is aborted.
   * @ignore
   */
  flushFailed(e: unknown): void {
    log.failure("Unexpected error writing HTTP/2 frames", e);
    this.#closed = this.#output.closed = true;
    this.transport.abortConnection();
  }

  /** See `H2StreamOwner.resetStream`. */
  resetStream(stream: H2Stream, code: number): void {
    if (this.#streams.get(stream.streamID) !== stream) return;
    this.#forget(stream);
    this.#control(rstStreamFrame(stream.streamID, code));
  }

  /** See `H2StreamOwner.streamClosed`. */
  streamClosed(stream: H2Stream): void {
    if (this.#streams.get(stream.streamID) !== stream) return;
    this.#forget(stream);
  }

  /** See `H2StreamOwner.sendWindowUpdate`. */
  sendWindowUpdate(streamId: number, increment: number): void {
    this.#control(windowUpdateFrame(streamId, increment));
  }

  /** See `H2StreamOwner.dateHeader`. */
  dateHeader(): string {
    return httpDate(this.#clock.seconds());
  }

  #forget(stream: H2Stream): void {
    this.#streams.delete(stream.streamID);
    this.#output.blocked.delete(stream);
    if (this.#goingAway) this.#closeWhenIdle();
  }

  /** A response with just a status (431 for a header list too large). */
  #bareResponse(id: number, status: string, endStream: boolean): void {
    const block = this.#encoder.encode([[":status", status], ["content-length", "0"]]);
    this.#output.queue(headersFrames(id, block, true, this.#peer.maxFrameSize));
    if (!endStream) this.#output.queue(rstStreamFrame(id, ErrorCode.NO_ERROR));
  }

  /** A control frame: bounded while the peer does not read (the 2019 floods). */
  #control(frame: Uint8Array): void {
    if (this.#closed) return;
    if (this.#writesPaused && ++this.#queuedControl > MAX_QUEUED_CONTROL) {
      this.#connectionError(
        new H2Error(ErrorCode.ENHANCE_YOUR_CALM, "Too many control frames queued"),
      );
      return;
    }
    this.#output.queue(frame);
  }

  // ---- IPushProducer: the transport's write buffer ----------------------------------

  /** The transport's buffer is full: streams' producers pause. */
  pauseProducing(): void {
    if (this.#writesPaused) return;
    this.#writesPaused = true;
    this.#queuedControl = 0;
    for (const stream of this.#streams.values()) stream.writesPausedChanged(true);
  }

  /** The transport drained: streams' producers resume. */
  resumeProducing(): void {
    if (!this.#writesPaused) return;
    this.#writesPaused = false;
    this.#queuedControl = 0;
    for (const stream of this.#streams.values()) stream.writesPausedChanged(false);
  }

  /** The connection is going away; `connectionLost` follows. */
  stopProducing(): void {}

  // ---- shutdown -------------------------------------------------------------------

  /**
   * Graceful shutdown (`site.shutdown()`, SIGTERM): GOAWAY(NO_ERROR) with the
   * last stream id; the streams in flight finish, then the connection closes.
   * `HTTPChannel.shutdown` calls it.
   */
  goingAway(): void {
    if (this.#closed || this.#goingAway) return;
    this.#goingAway = true;
    this.#output.queue(goawayFrame(this.#lastStreamId, ErrorCode.NO_ERROR));
    this.#closeWhenIdle();
  }

  #closeWhenIdle(): void {
    if (this.#closed || this.#streams.size > 0) return;
    if (this.#output.flushing) {
      this.#output.afterFlush = () => this.#closeWhenIdle();
      return;
    }
    this.#output.flush();
    this.#closed = this.#output.closed = true;
    this.#cancelIdle();
    this.transport.loseConnection();
  }

  #idleCheck(): void {
    this.#idleCall = null;
    const timeOut = this.#template.timeOut;
    if (this.#closed || timeOut === null) return;
    const left = this.#lastActivity + timeOut - this.#clock.seconds();
    if (left > 0 || this.#streams.size > 0) {
      this.#idleCall = this.#clock.callLater(left > 0 ? left : timeOut, () => this.#idleCheck());
      return;
    }
    this.goingAway();
  }

  #cancelIdle(): void {
    if (this.#idleCall !== null) {
      this.#idleCall.cancel();
      this.#idleCall = null;
    }
  }

  #loseStreams(reason: Error): void {
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    this.#output.blocked.clear();
    for (const stream of streams) {
      try {
        stream.connectionLost(reason);
      } catch (e) {
        log.failure("Error while a stream was lost", e);
      }
    }
  }

  /** Every stream in flight hears the connection is gone. */
  override connectionLost(reason: Failure): void {
    this.#closed = this.#output.closed = true;
    this.#cancelIdle();
    this.#loseStreams(new ConnectionLost(reason.getErrorMessage()));
  }
}
