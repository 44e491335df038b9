/**
 * Endpoints (`twisted.internet.endpoints`): where to listen and where to
 * connect, as objects or as description strings, so that an application can
 * take "tcp:8080" or "tls:example.org:443" from its configuration and run
 * unchanged over TCP, TLS or Unix sockets.
 *
 * A server endpoint's `listen(factory)` fires with the listening port once it
 * is bound (or fails with `CannotListenError`); a client endpoint's
 * `connect(factory)` fires with the protocol the factory built, once connected
 * (or fails with `ConnectionRefusedError`, `TimeoutError`, `DNSLookupError`,
 * ...). Cancelling the Deferred `connect()` returned aborts the attempt.
 *
 * @example
 * ```ts
 * import { clientFromString, connectProtocol, serverFromString } from "@tw/core/endpoints";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport.write(data);
 *   }
 * }
 * const port = await serverFromString(reactor, "tcp:0:interface=127.0.0.1")
 *   .listen(Factory.forProtocol(Echo));
 * const { port: number } = port.getHost() as { port: number };
 * const client = await connectProtocol(
 *   clientFromString(reactor, `tcp:127.0.0.1:${number}`),
 *   new Protocol(),
 * );
 * client.transport.loseConnection();
 * await port.stopListening();
 * ```
 * @module
 */
export {
  connectProtocol,
  type IStreamClientEndpoint,
  type IStreamServerEndpoint,
  SSL4ClientEndpoint,
  SSL4ServerEndpoint,
  TCP4ClientEndpoint,
  TCP4ServerEndpoint,
  TCP6ClientEndpoint,
  TCP6ServerEndpoint,
  type TCPClientEndpointOptions,
  type TCPServerEndpointOptions,
  type TlsOptionsSource,
  UNIXClientEndpoint,
  type UNIXClientEndpointOptions,
  UNIXServerEndpoint,
  type UNIXServerEndpointOptions,
  wrapClientTLS,
} from "./_endpoints_stream.ts";
export { HostnameEndpoint, type HostnameEndpointOptions } from "./_endpoints_hostname.ts";
export {
  AdoptedStreamServerEndpoint,
  listenFDs,
  type ListenFDsSource,
} from "./_endpoints_adopted.ts";
export {
  ConnectingCancelledError,
  type HostnameDestination,
  NoProtocol,
} from "./_endpoints_wrapping.ts";
export {
  type ClientEndpointParser,
  clientFromString,
  type FromStringOptions,
  registerClientParser,
  registerServerParser,
  type ServerEndpointParser,
  serverFromString,
} from "./_endpoints_strings.ts";
