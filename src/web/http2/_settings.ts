/**
 * HTTP/2 settings (RFC 9113 §6.5.2): the identifiers, the server's options
 * (`H2Options`, `SiteOptions.http2`), what we advertise, and the checks on
 * the values a peer sends.
 *
 * @module
 */
import { ErrorCode, H2Error } from "./_frames.ts";

/** SETTINGS identifiers. */
export const SettingsId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** The largest flow-control window (2^31-1). */
export const MAX_WINDOW = 0x7fffffff;
/** The default flow-control window (RFC 9113 §6.9.2). */
export const DEFAULT_WINDOW = 65535;

/** HTTP/2 settings of a `Site` / `HTTPFactory` (`SiteOptions.http2`). */
export interface H2Options {
  /** Streams a client may have open at once (advertised); more are refused. @default 100 */
  maxConcurrentStreams?: number;
  /** Our receive window per stream, in bytes (advertised). @default 65535 */
  initialWindowSize?: number;
  /** The largest frame payload we accept (advertised). @default 16384 */
  maxFrameSize?: number;
  /** The largest request header list (RFC 7541 sizes). @default the factory's maxHeaderSize */
  maxHeaderListSize?: number;
  /** Our HPACK decoding table size (advertised). @default 4096 */
  headerTableSize?: number;
  /** Serve h2c to clients that open with the connection preface. @default true */
  priorKnowledge?: boolean;
  /** Accept `Upgrade: h2c` on HTTP/1.1 (RFC 9113 §3.1 deprecates it). @default false */
  h2cUpgrade?: boolean;
  /** Peer stream resets allowed in a burst before GOAWAY(ENHANCE_YOUR_CALM). @default 1000 */
  streamResetBurst?: number;
  /** Peer stream resets allowed per second, sustained. @default 33 */
  streamResetRate?: number;
}

/** `H2Options` with every default filled in. */
export type ResolvedH2Options = Required<H2Options>;

/** Fills in the defaults of `options`; `maxHeaderSize` is the factory's. */
export function resolveH2Options(options: H2Options, maxHeaderSize: number): ResolvedH2Options {
  const o: ResolvedH2Options = {
    maxConcurrentStreams: options.maxConcurrentStreams ?? 100,
    initialWindowSize: options.initialWindowSize ?? DEFAULT_WINDOW,
    maxFrameSize: options.maxFrameSize ?? 16384,
    maxHeaderListSize: options.maxHeaderListSize ?? maxHeaderSize,
    headerTableSize: options.headerTableSize ?? 4096,
    priorKnowledge: options.priorKnowledge ?? true,
    h2cUpgrade: options.h2cUpgrade ?? false,
    streamResetBurst: options.streamResetBurst ?? 1000,
    streamResetRate: options.streamResetRate ?? 33,
  };
  if (o.maxFrameSize < 16384 || o.maxFrameSize > 0xffffff) {
    throw new RangeError(`http2.maxFrameSize must be 16384-16777215, not ${o.maxFrameSize}`);
  }
  if (o.initialWindowSize < 0 || o.initialWindowSize > MAX_WINDOW) {
    throw new RangeError(
      `http2.initialWindowSize must be 0-2147483647, not ${o.initialWindowSize}`,
    );
  }
  return o;
}

/** The SETTINGS we send first. */
export function advertisedSettings(o: ResolvedH2Options): [number, number][] {
  return [
    [SettingsId.MAX_CONCURRENT_STREAMS, o.maxConcurrentStreams],
    [SettingsId.INITIAL_WINDOW_SIZE, o.initialWindowSize],
    [SettingsId.MAX_FRAME_SIZE, o.maxFrameSize],
    [SettingsId.MAX_HEADER_LIST_SIZE, o.maxHeaderListSize],
    [SettingsId.HEADER_TABLE_SIZE, o.headerTableSize],
    [SettingsId.ENABLE_PUSH, 0],
  ];
}

/** What the peer told us (RFC 9113 defaults until it does). */
export class PeerSettings {
  /** SETTINGS_HEADER_TABLE_SIZE: the largest encoding table we may use. */
  headerTableSize = 4096;
  /** SETTINGS_INITIAL_WINDOW_SIZE: the send window of new streams. */
  initialWindowSize: number = DEFAULT_WINDOW;
  /** SETTINGS_MAX_FRAME_SIZE: the largest payload we may send. */
  maxFrameSize = 16384;
  /** SETTINGS_MAX_HEADER_LIST_SIZE, or Infinity. */
  maxHeaderListSize: number = Infinity;

  /**
   * Applies one setting; returns the change of the initial window (for
   * the open streams), else 0.
   * @throws {H2Error} for a value out of range
   */
  apply(id: number, value: number): number {
    switch (id) {
      case SettingsId.HEADER_TABLE_SIZE:
        this.headerTableSize = value;
        return 0;
      case SettingsId.ENABLE_PUSH:
        if (value > 1) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "ENABLE_PUSH not 0 or 1");
        return 0;
      case SettingsId.INITIAL_WINDOW_SIZE: {
        if (value > MAX_WINDOW) {
          throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE above 2^31-1");
        }
        const delta = value - this.initialWindowSize;
        this.initialWindowSize = value;
        return delta;
      }
      case SettingsId.MAX_FRAME_SIZE:
        if (value < 16384 || value > 0xffffff) {
          throw new H2Error(ErrorCode.PROTOCOL_ERROR, `MAX_FRAME_SIZE ${value} out of range`);
        }
        this.maxFrameSize = value;
        return 0;
      case SettingsId.MAX_HEADER_LIST_SIZE:
        this.maxHeaderListSize = value;
        return 0;
      default:
        return 0; // Unknown settings are ignored (§6.5.2); so is MAX_CONCURRENT_STREAMS (no push).
    }
  }
}
