/**
 * SOCKS 4, 4a and 5 (`twisted.protocols.socks`, expanded): a server that
 * speaks all three (the version is read from the first byte), and client
 * endpoints that tunnel any protocol through a SOCKS proxy.
 *
 * The server (`SOCKSFactory`) implements CONNECT for IPv4, IPv6 and host-name
 * destinations (names are resolved by the reactor), SOCKS 5 username/password
 * authentication (RFC 1929) through a cred portal or a `checkPassword`
 * function, a per-destination `allowConnect` rule, and a handshake timeout.
 * BIND and UDP ASSOCIATE are answered "command not supported". Once the
 * destination is connected it relays like `portforward`: each transport is the
 * other's streaming producer, so a slow side slows the other and nothing is
 * buffered without bound.
 *
 * `SOCKS5ClientEndpoint` / `SOCKS4ClientEndpoint` wrap the endpoint that
 * reaches the proxy; importing this module also registers `socks5:` and
 * `socks4:` with `clientFromString`
 * (`socks5:example.org:80:proxy=tcp\:127.0.0.1\:1080`).
 *
 * @example
 * ```ts
 * import { SOCKSFactory } from "@tw/core/protocols/socks";
 * import { reactor } from "@tw/core";
 *
 * const factory = new SOCKSFactory({
 *   reactor,
 *   checkPassword: (user, password) => user === "alice" && password === "secret",
 *   allowConnect: (_host, port) => port === 80 || port === 443,
 * });
 * const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
 * await port.stopListening();
 * ```
 * @module
 */
// Importing this entry point alone installs the reactor its defaults use
// (`getReactor()`), as Twisted's `from twisted.internet import reactor` does.
import "../../runtimes/select.ts";
export {
  describeReply,
  encodeSOCKS4Reply,
  encodeSOCKS4Request,
  encodeSOCKS5Greeting,
  encodeSOCKS5Reply,
  encodeSOCKS5Request,
  encodeSOCKS5UserPass,
  type Parsed,
  parseSOCKS4Reply,
  parseSOCKS4Request,
  parseSOCKS5Greeting,
  parseSOCKS5Reply,
  parseSOCKS5Request,
  parseSOCKS5UserPass,
  SOCKS4Reply,
  type SOCKS4Request,
  SOCKS5AddressType,
  SOCKS5Method,
  SOCKS5Reply,
  type SOCKS5ReplyMessage,
  type SOCKS5Request,
  SOCKSCommand,
  SOCKSError,
} from "./_socks_codec.ts";
export {
  ISOCKSUser,
  type MaybePromise,
  replyForFailure,
  type SOCKSFactoryOptions,
  SOCKSOutgoing,
  SOCKSOutgoingFactory,
  type SOCKSPortal,
  type SOCKSRequestInfo,
  SOCKSServer,
} from "./_socks_server.ts";
export { SOCKSFactory, SOCKSv4Factory, SOCKSv5Factory } from "./_socks_factory.ts";
export {
  SOCKS4ClientEndpoint,
  type SOCKS4ClientEndpointOptions,
  SOCKS5ClientEndpoint,
  type SOCKS5ClientEndpointOptions,
  type SOCKSClientEndpointOptions,
} from "./_socks_client.ts";
export { parseSOCKS4, parseSOCKS5, registerSOCKSParsers } from "./_socks_strings.ts";
import { registerSOCKSParsers } from "./_socks_strings.ts";

registerSOCKSParsers();
