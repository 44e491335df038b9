/**
 * The HTTP client of `@tw/core/web` (Twisted's `twisted.web.client`).
 *
 * `Agent.request(method, uri, headers?, bodyProducer?)` fires with a
 * `Response` (status, headers, `deliverBody(protocol)`); `readBody` collects
 * the body. Connections come from an `HTTPConnectionPool` (persistent, with
 * per-host limits and a retry of idempotent requests on stale connections);
 * agents wrap agents to follow redirects (`RedirectAgent`,
 * `BrowserLikeRedirectAgent`), decode gzip (`ContentDecoderAgent`), keep
 * cookies (`CookieAgent`) or go through a proxy (`ProxyAgent`). https goes
 * through the reactor's TLS with certificate verification on. Request
 * Deferreds can be cancelled (or given `addTimeout`) at any stage: the
 * connection is aborted.
 *
 * @example
 * ```ts
 * import { Agent, BytesBodyProducer, HTTPConnectionPool, readBody } from "@tw/core/web";
 * import { Headers } from "@tw/core/web";
 * import { reactor } from "@tw/core";
 *
 * const pool = new HTTPConnectionPool(reactor);
 * const agent = new Agent(reactor, { pool });
 * const post = async (url: string, text: string) => {
 *   const response = await agent.request(
 *     "POST",
 *     url,
 *     new Headers({ "Content-Type": "text/plain" }),
 *     new BytesBodyProducer(text),
 *   );
 *   return [response.code, new TextDecoder().decode(await readBody(response))];
 * };
 * console.log(typeof post); // "function"
 * await pool.closeCachedConnections();
 * ```
 * @module
 */
export {
  type BodyLength,
  type BodySource,
  BytesBodyProducer,
  type BytesBodyProducerOptions,
  type IBodyProducer,
  UNKNOWN_LENGTH,
} from "./_client_body.ts";
export {
  InfiniteRedirection,
  PageRedirect,
  ParseError,
  PartialDownloadError,
  PotentialDataLoss,
  RedirectWithNoLocation,
  RequestGenerationFailed,
  RequestNotSent,
  RequestTransmissionFailed,
  ResponseDone,
  ResponseFailed,
  ResponseNeverReceived,
  SchemeNotSupported,
  WrapperError,
  WrongBodyLength,
} from "./_client_errors.ts";
export { concatBytes } from "../internet/_bytes.ts";
export { type BodyFlow, readBody, type RequestInfo, Response } from "./_client_response.ts";
export {
  type ClientProtocolState,
  ClientRequest,
  HTTP11ClientProtocol,
  type HTTP11ClientProtocolOptions,
} from "./_client_protocol.ts";
export {
  HTTPConnectionPool,
  type HTTPConnectionPoolOptions,
  type IHTTPConnection,
  shouldRetry,
} from "./_client_pool.ts";
export { URI } from "./_client_uri.ts";
export {
  Agent,
  type AgentOptions,
  type IAgent,
  type IAgentEndpointFactory,
  ProxyAgent,
  type ProxyAgentOptions,
} from "./_client_agent.ts";
export { BrowserLikeRedirectAgent, RedirectAgent } from "./_client_redirect.ts";
export {
  ContentDecoderAgent,
  DecodedResponse,
  DeflateDecoder,
  GzipDecoder,
  type ResponseDecoder,
} from "./_client_decoder.ts";
export { type Cookie, CookieAgent, CookieJar, type CookieJarOptions } from "./_client_cookies.ts";
