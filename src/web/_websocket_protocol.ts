/**
 * The WebSocket message protocol (RFC 6455 sections 5 to 7), shared by the
 * server and the client: framing, fragmentation, UTF-8 checks, ping/pong and
 * keepalive, the closing handshake, size limits and flow control. The API is
 * autobahn's (`onOpen`, `onMessage`, `onClose`, `sendMessage`, `sendClose`),
 * which is what Twisted users know.
 *
 * @module
 */
import { Protocol } from "../internet/protocol.ts";
import type { Failure } from "../internet/failure.ts";
import type {
  IDelayedCall,
  IPullProducer,
  IPushProducer,
  IReactorTime,
} from "../internet/interfaces.ts";
import { getReactor } from "../internet/reactor.ts";
import { sameBytes } from "../internet/_bytes.ts";
import { Logger } from "../logger/mod.ts";
import {
  CLOSE_ABNORMAL,
  CLOSE_GOING_AWAY,
  CLOSE_INTERNAL_ERROR,
  CLOSE_NO_STATUS,
  decodeClosePayload,
  encodeClosePayload,
  encodeFrame,
  type Frame,
  FrameError,
  FrameReader,
  MAX_CONTROL_PAYLOAD,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_PONG,
  OP_TEXT,
} from "./_websocket_frame.ts";
import {
  CLOSED,
  CLOSING,
  CONNECTING,
  type IWebSocketFactory,
  maskKey,
  OPEN,
  type ResolvedWebSocketOptions,
  resolveWebSocketOptions,
  type WebSocketOptions,
} from "./_websocket_options.ts";
import type { PerMessageDeflate, PerMessageDeflateParams } from "./_websocket_deflate.ts";
import { MessageAssembler } from "./_websocket_message.ts";
import { callSafely, SendFlow } from "./_websocket_flow.ts";

const log = new Logger("tw.web.websocket");

/** Puts a negotiated permessage-deflate codec on a protocol (for its server and client sides). */
export let installDeflate: (protocol: WebSocketProtocol, codec: PerMessageDeflate) => void;
const enc = new TextEncoder();

/**
 * One WebSocket connection, either side (autobahn's `WebSocketProtocol`).
 * Subclass {@link WebSocketServerProtocol} or `WebSocketClientProtocol` and
 * override the `on*` callbacks; do not override `connectionMade`,
 * `dataReceived` or `connectionLost`.
 *
 * The protocol is also a push producer (pause it to stop reading: the socket
 * stops too) and a consumer: register a producer with `registerProducer` and
 * it is paused while the transport's write buffer is above its high-water mark.
 * `sendMessage` returns false past that mark; `onDrain` runs once it drained.
 *
 * @example
 * ```ts
 * import { WebSocketProtocol, WebSocketServerProtocol } from "@tw/core/web";
 * const room = new Set<WebSocketProtocol>(); // the type of either side's protocols
 * class Chat extends WebSocketServerProtocol {
 *   override onOpen(): void {
 *     room.add(this);
 *   }
 *   override onMessage(payload: Uint8Array, isBinary: boolean): void {
 *     for (const peer of room) {
 *       if (peer.readyState === WebSocketProtocol.OPEN) peer.sendMessage(payload, isBinary);
 *     }
 *   }
 *   override onClose(): void {
 *     room.delete(this);
 *   }
 * }
 * ```
 */
export class WebSocketProtocol extends Protocol implements IPushProducer {
  /** `readyState` while opening. */
  static readonly CONNECTING: number = CONNECTING;
  /** `readyState` while open. */
  static readonly OPEN: number = OPEN;
  /** `readyState` after this side sent its close frame. */
  static readonly CLOSING: number = CLOSING;
  /** `readyState` once closed. */
  static readonly CLOSED: number = CLOSED;
  /** True on the server side (frames from the peer must be masked). */
  readonly isServer: boolean;
  /** The clock for timeouts; null until connected (then the factory's, the site's or the reactor). */
  clock: IReactorTime | null = null;
  /** The close code this side sent, or null. */
  localCloseCode: number | null = null;
  /** The close reason this side sent. */
  localCloseReason = "";
  /** The close code the peer sent (1005 for a close frame without one), or null. */
  remoteCloseCode: number | null = null;
  /** The close reason the peer sent. */
  remoteCloseReason = "";
  /** Why the connection was not closed cleanly, or null. */
  wasNotCleanReason: string | null = null;

  #opts: ResolvedWebSocketOptions = resolveWebSocketOptions();
  #optionsSet = false;
  #state = CONNECTING;
  #reader: FrameReader | null = null;
  #closeSent = false;
  #closeReceived = false;
  #lost = false;
  #processing = false;
  #readPaused = false;
  #pmd: PerMessageDeflate | null = null; // the permessage-deflate codec, once negotiated
  // The message being reassembled (and inflated).
  #messages: MessageAssembler = new MessageAssembler({
    message: (payload, isBinary) => {
      try {
        this.onMessage(payload, isBinary);
      } catch (e) {
        log.failure("Error in onMessage; closing the WebSocket with 1011", e);
        this.#fail(CLOSE_INTERNAL_ERROR, "Internal error");
      }
    },
    fail: (code, reason) => this.#fail(code, reason),
    inflated: () => {
      if (this.#lost || this.#readPaused || this.#state === CLOSED) return;
      this.transport.resumeProducing();
      this.#process();
    },
  }, () => this.#opts.maxMessageSize);
  // Flow control: the producer relay, and the queue of sends waiting for the compressor.
  #flow: SendFlow = new SendFlow({
    transport: () => this.transport,
    lost: () => this.#lost,
    bufferedAmount: () => this.bufferedAmount,
    highWaterMark: () => this.highWaterMark,
    drain: () => this.onDrain(),
    fail: (code, reason) => this.#fail(code, reason),
    close: () => this.#loseConnection(),
  });
  // Timers.
  #closeCall: IDelayedCall | null = null;
  #pingCall: IDelayedCall | null = null;
  #pongCall: IDelayedCall | null = null;
  #pingPayload: Uint8Array | null = null;
  #pingCount = 0;

  /**
   * Makes a protocol for one side.
   * @param isServer which side this is
   */
  constructor(isServer: boolean) {
    super();
    this.isServer = isServer;
  }

  // ---- the user's API (autobahn) ---------------------------------------------

  /** Called once the connection is open: messages may be sent. */
  onOpen(): void {}

  /**
   * Called with each complete message.
   * @param _payload the message's bytes (UTF-8 for a text message, already validated)
   * @param _isBinary true for a binary message, false for text
   */
  onMessage(_payload: Uint8Array, _isBinary: boolean): void {}

  /**
   * Called once when the connection is over.
   * @param _wasClean true when the closing handshake completed both ways
   * @param _code the peer's close code (1005 when it sent none), or 1006 when unclean
   * @param _reason the peer's close reason, or why the close was unclean
   */
  onClose(_wasClean: boolean, _code: number, _reason: string): void {}

  /** Called with the payload of each ping received (the pong is sent automatically). */
  onPing(_payload: Uint8Array): void {}

  /** Called with the payload of each pong received. */
  onPong(_payload: Uint8Array): void {}

  /** Called when the write buffer drained after `sendMessage` returned false. */
  onDrain(): void {}

  /** The connection's state: CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3), as `WebSocket.readyState`. */
  get readyState(): number {
    return this.#state;
  }

  /** The options in force (from the factory, or set with `setProtocolOptions`). */
  get options(): ResolvedWebSocketOptions {
    return this.#opts;
  }

  /** Sets this connection's options (before it is connected; else the factory's apply). */
  setProtocolOptions(options: WebSocketOptions): void {
    this.#opts = resolveWebSocketOptions(options);
    if (options.clock) this.clock = options.clock;
    this.#optionsSet = true;
  }

  /** Bytes written to the transport and not yet sent, plus messages waiting to be compressed. */
  get bufferedAmount(): number {
    return ((this.transport as { bufferedAmount?: number } | undefined)?.bufferedAmount ?? 0) +
      this.#flow.queuedBytes;
  }

  /** The permessage-deflate parameters in force, or null when not negotiated. */
  get perMessageDeflate(): PerMessageDeflateParams | null {
    return this.#pmd?.params ?? null;
  }

  static {
    installDeflate = (protocol, codec) => {
      protocol.#pmd = codec;
      protocol.#messages.deflate = codec;
      if (protocol.#reader !== null) protocol.#reader.rsv1Allowed = true;
    };
  }

  /** Bytes received and held: an incomplete frame plus the fragments of an unfinished message. */
  get bufferedIncoming(): number {
    return (this.#reader?.buffered ?? 0) + this.#messages.size;
  }

  /** The transport's write high-water mark (its `bufferSize`, else 64 KiB). */
  get highWaterMark(): number {
    return (this.transport as { bufferSize?: number } | undefined)?.bufferSize ?? 65536;
  }

  /**
   * Sends a message, fragmented when larger than `fragmentSize`. A string is
   * sent as text. Returns false when the write buffer is above the high-water
   * mark (wait for `onDrain`, or register a producer); after the close
   * started, the message is dropped and false returned.
   * @param payload the message
   * @param isBinary send as binary (ignored for a string, which is text)
   * @throws {Error} before the connection is open
   */
  sendMessage(payload: Uint8Array | string, isBinary = false): boolean {
    if (this.#state === CONNECTING) {
      throw new Error("Cannot send a message before the WebSocket is open");
    }
    if (this.#state !== OPEN) return false;
    let data: Uint8Array;
    if (typeof payload === "string") {
      data = enc.encode(payload);
      isBinary = false;
    } else data = payload;
    const opcode = isBinary ? OP_BINARY : OP_TEXT;
    const pmd = this.#pmd;
    if (pmd !== null && data.length >= pmd.threshold) {
      // The compressor is asynchronous: the message waits its turn in the queue.
      if (typeof payload !== "string" && data === payload) data = data.slice();
      this.#flow.enqueue(data.length, async () => {
        const compressed = await pmd.compress(data);
        if (!this.#lost) this.#sendData(opcode, compressed, true);
      });
    } else if (this.#flow.queued) {
      const copy = data === payload ? data.slice() : data;
      this.#flow.enqueue(copy.length, () => this.#sendData(opcode, copy, false));
    } else this.#sendData(opcode, data, false);
    return this.#flow.afterSend();
  }

  #sendData(opcode: number, data: Uint8Array, compressed: boolean): void {
    const size = this.#opts.fragmentSize;
    if (size > 0 && data.length > size) {
      for (let at = 0; at < data.length; at += size) {
        const end = Math.min(at + size, data.length);
        this.#sendFrame(
          at === 0 ? opcode : OP_CONTINUATION,
          data.subarray(at, end),
          end === data.length,
          compressed && at === 0,
        );
      }
    } else this.#sendFrame(opcode, data, true, compressed);
  }

  /**
   * Starts the closing handshake. Applications may send 1000 or 3000-4999.
   * Does nothing once closing.
   * @param code the close code, or none (the peer then sees 1005)
   * @param reason a UTF-8 reason of at most 123 bytes (needs a code)
   * @throws {RangeError} for a code an application may not send, or a reason too long
   */
  sendClose(code?: number | null, reason?: string): void {
    if (code !== undefined && code !== null && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new RangeError(`Invalid close code ${code}: use 1000 or 3000-4999`);
    }
    if (reason !== undefined && reason !== "" && (code === undefined || code === null)) {
      throw new RangeError("A close reason needs a close code");
    }
    if (reason !== undefined && enc.encode(reason).length > 123) {
      throw new RangeError("A close reason is limited to 123 bytes of UTF-8");
    }
    this.#startClose(code ?? null, reason ?? "");
  }

  /**
   * Fails the connection (RFC 6455 s7.1.7) for a message the application
   * cannot accept: a close frame with a protocol code such as 1003 (unsupported
   * data) or 1007 (invalid payload), then the TCP connection closes.
   */
  failConnection(code: number, reason = ""): void {
    this.#fail(code, reason);
  }

  /**
   * Sends a ping (at most 125 bytes of payload). Dropped unless open.
   * @throws {RangeError} for a payload over 125 bytes
   */
  sendPing(payload: Uint8Array | string = new Uint8Array(0)): void {
    const data = typeof payload === "string" ? enc.encode(payload) : payload;
    if (data.length > MAX_CONTROL_PAYLOAD) {
      throw new RangeError("A ping payload is limited to 125 bytes");
    }
    if (this.#state === OPEN) this.#sendFrame(OP_PING, data, true);
  }

  /**
   * Sends an unsolicited pong (a heartbeat that needs no answer). Dropped unless open.
   * @throws {RangeError} for a payload over 125 bytes
   */
  sendPong(payload: Uint8Array | string = new Uint8Array(0)): void {
    const data = typeof payload === "string" ? enc.encode(payload) : payload;
    if (data.length > MAX_CONTROL_PAYLOAD) {
      throw new RangeError("A pong payload is limited to 125 bytes");
    }
    if (this.#state === OPEN) this.#sendFrame(OP_PONG, data, true);
  }

  /**
   * Drops the TCP connection without a closing handshake (autobahn's
   * `dropConnection`); `onClose` sees an unclean close.
   * @param abort discard unsent data instead of flushing it first
   */
  dropConnection(abort = true): void {
    if (this.#lost) return;
    this.wasNotCleanReason ??= "This side dropped the connection";
    this.#state = CLOSED;
    this.#drop(abort);
  }

  // ---- flow control ------------------------------------------------------------

  /**
   * Registers a producer that writes messages: a streaming one is paused while
   * the transport's buffer is above its high-water mark; a pull producer is
   * asked for more whenever it drained.
   * @throws {Error} when a producer is already registered
   */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    this.#flow.register(producer, streaming);
  }

  /** Unregisters the producer. */
  unregisterProducer(): void {
    this.#flow.unregister();
  }

  /** Stops reading: no more messages are delivered and the socket stops reading. */
  pauseProducing(): void {
    if (this.#readPaused) return;
    this.#readPaused = true;
    if (!this.#lost && !this.#messages.busy) this.transport.pauseProducing();
  }

  /** Resumes reading, first delivering what was received meanwhile. */
  resumeProducing(): void {
    if (!this.#readPaused) return;
    this.#readPaused = false;
    if (this.#lost || this.#messages.busy) return;
    this.transport.resumeProducing();
    this.#process();
  }

  /** Stops for good: closes with 1001 (going away). */
  stopProducing(): void {
    this.#startClose(CLOSE_GOING_AWAY, "");
  }

  /**
   * Starts a closing handshake with 1001 (going away): what a server shutting
   * down sends (`HTTPChannel.shutdown` may call it on upgraded connections).
   */
  goingAway(): void {
    this.#startClose(CLOSE_GOING_AWAY, "Server shutting down");
  }

  // ---- connection events -------------------------------------------------------

  /** Picks the options and the clock; a server opens now, a client starts its handshake. */
  override connectionMade(): void {
    const factory = this.factory as Partial<IWebSocketFactory> | null;
    if (!this.#optionsSet && factory?.options) {
      this.#opts = resolveWebSocketOptions(factory.options);
      this.clock ??= factory.options.clock ?? null;
    }
    const o = this.#opts;
    this.#reader = new FrameReader({
      expectMasked: this.isServer,
      limit: (opcode) =>
        Math.min(
          o.maxFrameSize,
          o.maxMessageSize - (opcode === OP_CONTINUATION ? this.#messages.size : 0),
        ),
    });
    this.#reader.rsv1Allowed = this.#pmd !== null;
    this.startHandshake();
  }

  /** Feeds received bytes to the handshake (client) or the frame reader. */
  override dataReceived(data: Uint8Array): void {
    if (this.#lost || this.#reader === null) return;
    if (this.#state === CONNECTING) {
      const rest = this.processHandshake(data);
      // onOpen may have started closing already: the bytes after the head still count.
      if (rest === null) return;
      data = rest;
    }
    if (this.#closeReceived || (this.#state === CLOSED)) return;
    this.#reader.push(data);
    this.#process();
  }

  /** Reports the end to `onClose`, once. */
  override connectionLost(reason: Failure): void {
    if (this.#lost) return;
    this.#lost = true;
    const wasConnecting = this.#state === CONNECTING;
    this.#state = CLOSED;
    this.#cancelTimers();
    this.#reader?.clear();
    this.#messages.stop();
    this.#flow.connectionLost();
    if (wasConnecting) {
      this.wasNotCleanReason ??=
        `Connection lost during the opening handshake: ${reason.getErrorMessage()}`;
      this.handshakeLost(reason);
    }
    const clean = this.#closeSent && this.#closeReceived;
    if (clean) {
      callSafely(
        "onClose",
        () => this.onClose(true, this.remoteCloseCode ?? CLOSE_NO_STATUS, this.remoteCloseReason),
      );
    } else {
      this.wasNotCleanReason ??= "The peer dropped the TCP connection without a closing handshake";
      callSafely("onClose", () => this.onClose(false, CLOSE_ABNORMAL, this.wasNotCleanReason!));
    }
  }

  // ---- hooks for the server and client sides -------------------------------------
  // Protected: a side (WebSocketClientProtocol, or a user's own, e.g. over
  // another opening handshake) overrides the first three and calls the next two.

  /**
   * Starts the opening handshake when connected (autobahn's
   * `startHandshake`); the base class opens at once (the server's handshake
   * was the HTTP upgrade, already done). A side that sends a handshake
   * overrides it and calls `completeHandshake` or `failHandshake` later.
   */
  protected startHandshake(): void {
    this.completeHandshake();
  }

  /**
   * Takes handshake bytes while CONNECTING (autobahn's `processHandshake`);
   * returns the bytes after the handshake once it completed, or null while
   * it has not. The base class takes none.
   * @param _data bytes received
   */
  protected processHandshake(_data: Uint8Array): Uint8Array | null {
    return null;
  }

  /**
   * Called when the connection is lost before it opened, before `onClose`.
   * @param _reason why the connection was lost
   */
  protected handshakeLost(_reason: Failure): void {}

  /** Ends the opening handshake: marks the connection open, starts keepalive and calls `onOpen`. */
  protected completeHandshake(): void {
    if (this.#state !== CONNECTING || this.#lost) return;
    this.#state = OPEN;
    if (this.#opts.autoPingInterval > 0) this.#schedulePing();
    callSafely("onOpen", () => this.onOpen());
  }

  /**
   * Fails the opening handshake (autobahn's `failHandshake`): records why
   * (`wasNotCleanReason`) and drops the connection.
   * @param reason why the handshake failed
   */
  protected failHandshake(reason: string): void {
    if (this.#lost) return;
    this.wasNotCleanReason ??= reason;
    this.#state = CLOSED;
    this.#drop(true);
  }

  /** The clock for timeouts. */
  #timeSource(): IReactorTime {
    return this.clock ??= getReactor();
  }

  /** Sends a close frame with any code (the checked path is `sendClose`). */
  #startClose(code: number | null, reason: string): void {
    if (this.#state === CONNECTING) {
      this.failHandshake("Closed before the opening handshake completed");
      return;
    }
    if (this.#state !== OPEN) return;
    this.#sendCloseFrame(code, reason);
    this.#state = CLOSING;
    this.#cancelPing();
    this.#closeCall = this.#timeSource().callLater(this.#opts.closeTimeout, () => {
      this.#closeCall = null;
      this.wasNotCleanReason ??= "The peer did not answer the close frame in time";
      this.#state = CLOSED;
      this.#drop(true);
    });
  }

  // ---- receiving ---------------------------------------------------------------

  #process(): void {
    if (this.#processing) return;
    this.#processing = true;
    try {
      while (
        !this.#readPaused && !this.#messages.busy && !this.#lost && !this.#closeReceived &&
        this.#state !== CLOSED
      ) {
        let frame: Frame | null;
        try {
          frame = this.#reader!.next();
        } catch (e) {
          if (!(e instanceof FrameError)) throw e;
          this.#fail(e.code, e.message);
          return;
        }
        if (frame === null) return;
        if (frame.opcode >= 8) this.#onControl(frame);
        else {
          this.#messages.frame(frame);
          // A compressed frame is being inflated: hold the socket until it is done.
          if (this.#messages.busy && !this.#readPaused) this.transport.pauseProducing();
        }
      }
    } finally {
      this.#processing = false;
    }
  }

  #onControl(frame: Frame): void {
    if (frame.opcode === OP_CLOSE) {
      let code: number | null;
      let reason: string;
      try {
        ({ code, reason } = decodeClosePayload(frame.payload));
      } catch (e) {
        if (!(e instanceof FrameError)) throw e;
        this.#fail(e.code, e.message);
        return;
      }
      this.#closeReceived = true;
      this.remoteCloseCode = code ?? CLOSE_NO_STATUS;
      this.remoteCloseReason = reason;
      this.#reader!.clear();
      if (!this.#closeSent) this.#sendCloseFrame(code, "");
      this.#state = CLOSED;
      this.#cancelTimers();
      if (this.isServer) {
        // The server closes TCP once the handshake is done (RFC 6455 7.1.1).
        this.#drop(false);
      } else {
        // The client gives the server time to close first, then closes itself.
        this.#flow.release();
        this.#closeCall = this.#timeSource().callLater(this.#opts.closeTimeout, () => {
          this.#closeCall = null;
          this.#drop(false);
        });
      }
    } else if (frame.opcode === OP_PING) {
      if (this.#state === OPEN) this.#sendFrame(OP_PONG, frame.payload, true);
      callSafely("onPing", () => this.onPing(frame.payload));
    } else if (frame.opcode === OP_PONG) {
      const want = this.#pingPayload;
      if (want !== null && sameBytes(want, frame.payload)) {
        this.#pingPayload = null;
        if (this.#pongCall !== null) {
          this.#pongCall.cancel();
          this.#pongCall = null;
        }
      }
      callSafely("onPong", () => this.onPong(frame.payload));
    }
  }

  // ---- sending and closing -------------------------------------------------------

  #sendFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv1 = false): void {
    const chunks = encodeFrame(opcode, payload, fin, this.isServer ? null : maskKey(), rsv1);
    if (chunks.length === 1) this.transport.write(chunks[0]);
    else this.transport.writeSequence(chunks);
  }

  #sendCloseFrame(code: number | null, reason: string): void {
    if (this.#closeSent) return;
    this.#closeSent = true;
    this.localCloseCode = code ?? CLOSE_NO_STATUS;
    this.localCloseReason = reason;
    const payload = encodeClosePayload(code, reason);
    // After the messages still being compressed.
    this.#flow.afterQueue(() => this.#sendFrame(OP_CLOSE, payload, true));
  }

  /** Fails the connection (RFC 6455 7.1.7): a close frame with `code`, then TCP closes. */
  #fail(code: number, reason: string): void {
    if (this.#lost) return;
    log.debug("Failing WebSocket connection with {code}: {reason}", { code, reason });
    this.wasNotCleanReason ??= `Protocol violation (${code}): ${reason}`;
    if (this.#state === OPEN || this.#state === CLOSING) {
      this.#sendCloseFrame(code, reason.length > 120 ? reason.slice(0, 120) : reason);
    }
    this.#state = CLOSED;
    this.#reader?.clear();
    this.#drop(false);
  }

  /** Closes TCP: flushing (bounded by closeTimeout) or at once. */
  #drop(abort: boolean): void {
    this.#cancelTimers();
    if (this.#lost) return;
    this.#flow.release();
    if (abort) {
      this.transport.abortConnection();
      return;
    }
    if (this.#flow.closeWhenSent()) {
      // Close once the queued messages and the close frame are written.
      this.#closeCall = this.#timeSource().callLater(this.#opts.closeTimeout, () => {
        this.#closeCall = null;
        this.transport.abortConnection();
      });
      return;
    }
    this.#loseConnection();
  }

  #loseConnection(): void {
    if (this.#closeCall !== null) {
      this.#closeCall.cancel();
      this.#closeCall = null;
    }
    this.transport.loseConnection();
    // A peer that does not read could hold the flush forever.
    if (!this.#lost) {
      this.#closeCall = this.#timeSource().callLater(this.#opts.closeTimeout, () => {
        this.#closeCall = null;
        this.transport.abortConnection();
      });
    }
  }

  #schedulePing(): void {
    this.#pingCall = this.#timeSource().callLater(this.#opts.autoPingInterval, () => {
      this.#pingCall = null;
      if (this.#state !== OPEN) return;
      if (this.#pingPayload === null) {
        const payload = new Uint8Array(4);
        new DataView(payload.buffer).setUint32(0, ++this.#pingCount);
        this.#pingPayload = payload;
        this.#sendFrame(OP_PING, payload, true);
        this.#pongCall = this.#timeSource().callLater(this.#opts.autoPingTimeout, () => {
          this.#pongCall = null;
          this.wasNotCleanReason ??= "No pong for the automatic ping in time";
          this.#state = CLOSED;
          this.#drop(true);
        });
      }
      this.#schedulePing();
    });
  }

  #cancelPing(): void {
    if (this.#pingCall !== null) {
      this.#pingCall.cancel();
      this.#pingCall = null;
    }
    if (this.#pongCall !== null) {
      this.#pongCall.cancel();
      this.#pongCall = null;
    }
  }

  #cancelTimers(): void {
    this.#cancelPing();
    if (this.#closeCall !== null) {
      this.#closeCall.cancel();
      this.#closeCall = null;
    }
  }
}
