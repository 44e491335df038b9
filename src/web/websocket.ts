/**
 * WebSocket (RFC 6455) for `@tw/core/web`, with autobahn's API (what Twisted
 * users know): a {@link WebSocketResource} mounted in a `Site` accepts
 * connections for a {@link WebSocketServerFactory}; {@link connectWS} opens
 * client connections from a {@link WebSocketClientFactory}. Protocols override
 * `onConnect`, `onOpen`, `onMessage(payload, isBinary)`,
 * `onClose(wasClean, code, reason)` and send with `sendMessage`, `sendClose`,
 * `sendPing`.
 *
 * Messages may be fragmented both ways, text is checked to be UTF-8, control
 * frames are answered (pong) and checked, the closing handshake is timed on
 * the reactor's clock, sizes are limited (`maxMessageSize`, `maxFrameSize`:
 * 1009 beyond, before the payload is buffered), and flow control runs both
 * ways (`pauseProducing`, `registerProducer`, `bufferedAmount`, `onDrain`).
 * permessage-deflate (RFC 7692) is negotiated when both factories set
 * `perMessageDeflate` (off by default): context takeover and window sizes as
 * the peers agree, small messages (below `threshold`) sent as they are, and
 * `maxMessageSize` bounding the inflated size while inflating (1009 beyond).
 *
 * @example
 * ```ts
 * import { Clock } from "@tw/core/task";
 * import { Site, WebSocketResource, WebSocketServerFactory, WebSocketServerProtocol } from "@tw/core/web";
 * import type { ConnectionRequest } from "@tw/core/web";
 *
 * class Chat extends WebSocketServerProtocol {
 *   override onConnect(request: ConnectionRequest): string | null {
 *     return request.protocols.includes("chat") ? "chat" : null;
 *   }
 *   override onMessage(payload: Uint8Array, isBinary: boolean): void {
 *     this.sendMessage(payload, isBinary);
 *   }
 * }
 * const resource = new WebSocketResource(new WebSocketServerFactory(Chat, { maxMessageSize: 65536 }));
 * const site = new Site(resource, { clock: new Clock() });
 * ```
 * @module
 */
export {
  CLOSE_ABNORMAL,
  CLOSE_GOING_AWAY,
  CLOSE_INTERNAL_ERROR,
  CLOSE_INVALID_PAYLOAD,
  CLOSE_MANDATORY_EXTENSION,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_NO_STATUS,
  CLOSE_NORMAL,
  CLOSE_POLICY_VIOLATION,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_UNSUPPORTED_DATA,
} from "./_websocket_frame.ts";
export type { PerMessageDeflateOptions, PerMessageDeflateParams } from "./_websocket_deflate.ts";
export {
  type IWebSocketFactory,
  type ResolvedWebSocketOptions,
  type WebSocketOptions,
} from "./_websocket_options.ts";
export { WebSocketProtocol } from "./_websocket_protocol.ts";
export {
  type ConnectionAccept,
  ConnectionDeny,
  type ConnectionRequest,
  type ConnectResult,
  WebSocketResource,
  WebSocketServerFactory,
  type WebSocketServerFactoryOptions,
  WebSocketServerProtocol,
} from "./_websocket_server.ts";
export {
  type ConnectionResponse,
  connectWS,
  type ConnectWSOptions,
  WebSocketClientFactory,
  type WebSocketClientFactoryOptions,
  WebSocketClientProtocol,
  WebSocketHandshakeError,
} from "./_websocket_client.ts";
export {
  WrappingWebSocketClientFactory,
  type WrappingWebSocketClientFactoryOptions,
  WrappingWebSocketClientProtocol,
  WrappingWebSocketServerFactory,
  type WrappingWebSocketServerFactoryOptions,
  WrappingWebSocketServerProtocol,
} from "./_websocket_wrapping.ts";
