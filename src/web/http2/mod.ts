/**
 * HTTP/2 for `@tw/core/web` (RFC 9113, HPACK RFC 7541): the server side,
 * `H2Connection` and `H2Stream`, which `HTTPChannel` switches to by ALPN or
 * the cleartext preface. Re-exported by `@tw/core/web`.
 * The client side is `H2ClientProtocol`, which `Agent` and
 * `HTTPConnectionPool` use when TLS negotiated "h2".
 *
 * @example
 * ```ts
 * import { H2Connection, Site } from "@tw/core/web";
 * import { Resource } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const site = new Site(new Resource(), { clock: new Clock(), http2: { maxConcurrentStreams: 50 } });
 * console.log(site.acceptableProtocols(), typeof H2Connection); // ["h2", "http/1.1"] "function"
 * ```
 * @module
 */
export { H2Connection } from "./_connection.ts";
export { H2Stream, type H2StreamOwner } from "./_stream.ts";
export { type H2Options, type ResolvedH2Options } from "./_settings.ts";
export { ErrorCode, H2Error } from "./_frames.ts";
export {
  type H2ClientOptions,
  H2ClientProtocol,
  type H2ClientState,
  StreamRefused,
} from "./_client_connection.ts";
