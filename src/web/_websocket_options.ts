/**
 * The WebSocket options with their defaults, the connection states, and the
 * masking keys: what `WebSocketProtocol` and its factories share.
 *
 * @module
 */
import type { IReactorTime } from "../internet/interfaces.ts";
import { deflateOptions, type PerMessageDeflateOptions } from "./_websocket_deflate.ts";

/** Options shared by WebSocket servers and clients (autobahn's protocol options). */
export interface WebSocketOptions {
  /** The largest message accepted, in bytes; a bigger one fails with 1009. @default 16777216 */
  maxMessageSize?: number;
  /** The largest frame payload accepted, in bytes (1009 beyond). @default maxMessageSize */
  maxFrameSize?: number;
  /** Send messages larger than this in fragments of this size; 0 never fragments. @default 0 */
  fragmentSize?: number;
  /** Seconds to wait for the closing handshake before dropping the connection. @default 5 */
  closeTimeout?: number;
  /** Seconds a client waits for the server's handshake response. @default 30 */
  openHandshakeTimeout?: number;
  /** Send a ping every this many seconds; 0 sends none. @default 0 */
  autoPingInterval?: number;
  /** Seconds to wait for the pong of an automatic ping before dropping. @default autoPingInterval */
  autoPingTimeout?: number;
  /** The clock for the timeouts. @default the site's clock, else the global reactor */
  clock?: IReactorTime;
  /**
   * Negotiate permessage-deflate (RFC 7692): a client offers it, a server
   * accepts a client's offer. Needs the runtime's `compression` (all three
   * adapters have it); without it nothing is negotiated. `maxMessageSize`
   * bounds the inflated size. @default false
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/** `WebSocketOptions` with every default applied. */
export interface ResolvedWebSocketOptions {
  /** See {@link WebSocketOptions.maxMessageSize}. */
  maxMessageSize: number;
  /** See {@link WebSocketOptions.maxFrameSize}. */
  maxFrameSize: number;
  /** See {@link WebSocketOptions.fragmentSize}. */
  fragmentSize: number;
  /** See {@link WebSocketOptions.closeTimeout}. */
  closeTimeout: number;
  /** See {@link WebSocketOptions.openHandshakeTimeout}. */
  openHandshakeTimeout: number;
  /** See {@link WebSocketOptions.autoPingInterval}. */
  autoPingInterval: number;
  /** See {@link WebSocketOptions.autoPingTimeout}. */
  autoPingTimeout: number;
  /** See {@link WebSocketOptions.perMessageDeflate}: null when off. */
  perMessageDeflate: PerMessageDeflateOptions | null;
}

/** Applies the defaults of {@link WebSocketOptions}. */
export function resolveWebSocketOptions(options: WebSocketOptions = {}): ResolvedWebSocketOptions {
  const maxMessageSize = options.maxMessageSize ?? 16 * 1024 * 1024;
  const autoPingInterval = options.autoPingInterval ?? 0;
  return {
    maxMessageSize,
    maxFrameSize: options.maxFrameSize ?? maxMessageSize,
    fragmentSize: options.fragmentSize ?? 0,
    closeTimeout: options.closeTimeout ?? 5,
    openHandshakeTimeout: options.openHandshakeTimeout ?? 30,
    autoPingInterval,
    autoPingTimeout: options.autoPingTimeout ?? autoPingInterval,
    perMessageDeflate: deflateOptions(options.perMessageDeflate),
  };
}

/** The connection is being opened (a client waiting for the handshake response). */
export const CONNECTING = 0;
/** The connection is open: messages flow both ways. */
export const OPEN = 1;
/** This side sent a close frame and waits for the answer. */
export const CLOSING = 2;
/** The closing handshake is over (or the connection failed); TCP may linger briefly. */
export const CLOSED = 3;

// Masking keys come from a pool refilled from the CSPRNG: one call per 1024 frames.
let keyPool = new Uint8Array(0);
let keyAt = 0;
/** A fresh 4-byte masking key (a view of the pool: copy it to keep it). */
export function maskKey(): Uint8Array {
  if (keyAt + 4 > keyPool.length) {
    keyPool = crypto.getRandomValues(new Uint8Array(4096));
    keyAt = 0;
  }
  const key = keyPool.subarray(keyAt, keyAt + 4);
  keyAt += 4;
  return key;
}

/** What a WebSocket factory offers its protocols. */
export interface IWebSocketFactory {
  /** The protocol options. */
  readonly options: WebSocketOptions;
}
