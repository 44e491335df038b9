/**
 * `StreamTransport`'s options and their defaults, the state that only some
 * transports need, and the bits of its `#flags`: kept apart so that the
 * transport itself stays small (on Bun, an object of up to 8 fields takes 80
 * bytes; 9 to 12, 112).
 *
 * @module
 */
import type { TlsOptions } from "./socket.ts";
import { Logger } from "../logger/_publisher.ts";
import type { Failure } from "./failure.ts";
import type { StreamTransport } from "./_stream_transport.ts";

/** Where protocol exceptions are logged when no logger is given. */
export const defaultLogger: Logger = new Logger("tw.internet.transport");

/** The high-water mark when none is given (Twisted's `bufferSize`). */
export const DEFAULT_BUFFER_SIZE = 65536;

/** Options for `StreamTransport`. */
export interface StreamTransportOptions {
  /** Buffered bytes above which a streaming producer is paused. @default 65536 */
  bufferSize?: number;
  /** This is the accepting side (used as the default role for `startTLS`). @default false */
  isServer?: boolean;
  /** Where protocol exceptions are logged. @default new Logger("tw.internet.transport") */
  logger?: Logger;
  /** Use the socket's fast path when it has one; false forces the Web Streams path. @default true */
  fastPath?: boolean;
  /**
   * Called after `protocol.connectionLost(reason)` (ports and connectors hook
   * in here), with the transport, so one function can serve every connection.
   */
  onConnectionLost?: (reason: Failure, transport: StreamTransport) => void;
  /**
   * Record it among the live resources; false when its owner does (a port
   * registers its set of connections with `trackResourceGroup`). @default true
   */
  tracked?: boolean;
}

/** The socket's stream ends, for a transport without the fast path. */
export interface StreamsMode {
  /** The writable's writer. */
  writer: WritableStreamDefaultWriter<Uint8Array>;
  /** The readable's reader. */
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Wakes the read loop paused by `pauseProducing` or a TLS upgrade. */
  resumeReader: (() => void) | null;
}

/** A TLS upgrade waiting for the plaintext to flush, with the writes made meanwhile. */
export interface TlsUpgrade {
  /** What `startTLS` was given. */
  options: TlsOptions & { isServer?: boolean };
  /** Writes held until the TLS socket is up. */
  queue: Uint8Array[];
  /** Their bytes. */
  queued: number;
}

/** What only some transports need: streams mode, a TLS upgrade, non-default settings. */
export class RareState {
  /** The high-water mark. */
  bufferSize: number = DEFAULT_BUFFER_SIZE;
  /** Where protocol exceptions are logged. */
  log: Logger = defaultLogger;
  /** The stream ends, in streams mode. */
  streams: StreamsMode | null = null;
  /** The TLS upgrade under way. */
  upgrade: TlsUpgrade | null = null;
}

// The bits of StreamTransport's #flags (imported as `F`).
/** Flag bit. */
export const IS_SERVER = 1;
/** Flag bit. */
export const USE_FAST_PATH = 2;
/** Flag bit. */
export const TLS_SWITCHING = 4;
/** Flag bit. */
export const STREAMING = 8;
/** Flag bit. */
export const PRODUCER_PAUSED = 16;
/** Flag bit. */
export const PULL_SCHEDULED = 32;
/** Flag bit. */
export const USER_PAUSED = 64;
/** Flag bit. */
export const READ_STOPPED = 128;
/** Flag bit. */
export const TLS_PAUSED = 256;
/** Flag bit. */
export const DISCONNECTING = 512;
/** Flag bit. */
export const CLOSE_REQUESTED = 1024;
/** Flag bit. */
export const CLOSING = 2048;
/** Flag bit. */
export const WRITE_DISCONNECTING = 4096;
/** Flag bit. */
export const WRITE_SHUT = 8192;
/** Flag bit. */
export const READ_E_O_F = 16384;
/** Flag bit. */
export const LOST = 32768;
/** Flag bit. */
export const UNTRACKED = 65536;
/** Flag bit. */
export const WROTE = 131072;
/** Flag bit. */
export const FAST = 262144;
