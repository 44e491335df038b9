/**
 * The options of `H2ClientProtocol` (`HTTPConnectionPoolOptions.http2`)
 * and their defaults.
 *
 * @module
 */
import { DEFAULT_WINDOW, MAX_WINDOW } from "./_settings.ts";

/** Options for `H2ClientProtocol`. */
export interface H2ClientOptions {
  /** Our receive window per stream: the body bytes a server may send ahead of the reader. @default 262144 */
  initialWindowSize?: number;
  /** Our connection receive window. @default 16777216 */
  connectionWindowSize?: number;
  /** The largest response header list (RFC 7541 sizes), advertised. @default 65536 */
  maxHeaderListSize?: number;
  /** Streams we open at once at most, whatever the server allows. @default 100 */
  maxConcurrentStreams?: number;
}

/**
 * `options` with every default filled in.
 * @throws {RangeError} for a window out of range
 */
export function resolveClientOptions(options: H2ClientOptions): Required<H2ClientOptions> {
  const o: Required<H2ClientOptions> = {
    initialWindowSize: options.initialWindowSize ?? 262144,
    connectionWindowSize: options.connectionWindowSize ?? 1 << 24,
    maxHeaderListSize: options.maxHeaderListSize ?? 65536,
    maxConcurrentStreams: options.maxConcurrentStreams ?? 100,
  };
  if (o.initialWindowSize < 0 || o.initialWindowSize > MAX_WINDOW) {
    throw new RangeError(`initialWindowSize must be 0-2147483647, not ${o.initialWindowSize}`);
  }
  if (o.connectionWindowSize < DEFAULT_WINDOW || o.connectionWindowSize > MAX_WINDOW) {
    throw new RangeError(`connectionWindowSize must be 65535-2147483647`);
  }
  return o;
}
