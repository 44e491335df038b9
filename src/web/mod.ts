/**
 * `@tw/core/web`: Twisted's web (`twisted.web`) over any transport: an
 * HTTP/1.1 server with resource trees, sessions and gzip encoding.
 *
 * @example
 * ```ts
 * import { NOT_DONE_YET, Resource, Site } from "@tw/core/web";
 * import type { Request } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 *
 * class Greeter extends Resource {
 *   override isLeaf = true;
 *   render_GET(request: Request): string {
 *     return `Hello, ${request.args.name?.[0] ?? "world"}!`;
 *   }
 *   async render_POST(request: Request): Promise<string> {
 *     await Promise.resolve();
 *     return new TextDecoder().decode(request.content);
 *   }
 * }
 * const site = new Site(new Greeter(), { clock: new Clock() });
 * console.log(NOT_DONE_YET.toString(), site.timeOut); // "Symbol(NOT_DONE_YET)" 60
 * ```
 * @module
 */
// Importing this entry point alone installs the reactor its defaults use
// (`getReactor()`), as Twisted's `from twisted.internet import reactor` does.
import "../../runtimes/select.ts";
export {
  type ByteRange,
  CACHED,
  contentRange,
  datetimeToString,
  Headers,
  type HeadersInit,
  HTTPChannel,
  httpDate,
  HTTPFactory,
  type HTTPFactoryOptions,
  HTTPRequest,
  type IChannelRequest,
  type IResponseEncoder,
  parseRangeHeader,
  type RequestFactory,
  RESPONSES,
  stringToDatetime,
} from "./http.ts";
export * from "./_status.ts";
export type { Args, CookieOptions, MultipartPart } from "./_http_request.ts";
export { Request, Session, Site, type SiteOptions } from "./server.ts";
export * from "./http2/mod.ts";
export {
  combinedLogFormatter,
  datetimeToLogString,
  type IAccessLogFormatter,
} from "./_access_log.ts";
export {
  computeAllowedMethods,
  ErrorPage,
  ForbiddenResource,
  getChildForRequest,
  IResource,
  NoResource,
  NOT_DONE_YET,
  type RenderResult,
  Resource,
  UnsupportedMethod,
} from "./resource.ts";
export { EncodingResourceWrapper, GzipEncoderFactory, type IEncoderFactory } from "./_encoding.ts";
export { Redirect, redirectTo } from "./util.ts";
export { NameVirtualHost } from "./vhost.ts";
export * from "./client.ts";
export * as treq from "./treq.ts";
export {
  Proxy,
  ProxyClient,
  ProxyClientFactory,
  ProxyFactory,
  type ProxyFactoryOptions,
  type ProxyReactor,
  ProxyRequest,
  type ReverseProxyOptions,
  ReverseProxyResource,
} from "./proxy.ts";
export {
  CONTENT_ENCODINGS,
  Data,
  DirectoryLister,
  type DirectoryListerOptions,
  File,
  type FileHandle,
  type FileInfo,
  type FileOptions,
  formatFileSize,
  getTypeAndEncoding,
  MIME_TYPES,
  type Rendered,
  type RuntimeFileSystem,
} from "./static.ts";
export {
  type FetchHandler,
  type FetchHandlerOptions,
  FetchResource,
  type FetchResourceOptions,
  type ServeInfo,
  siteAsFetchHandler,
  type SiteFetchHandler,
} from "./fetch.ts";
export * from "./websocket.ts";
export {
  BasicCredentialFactory,
  DigestCredentialFactory,
  HTTPAuthSessionWrapper,
  type ICredentialFactory,
  UnauthorizedResource,
} from "./guard.ts";
