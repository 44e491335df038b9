/**
 * conch: SSH-2 servers and clients over any transport (`twisted.conch`).
 *
 * A server is an `SSHFactory` with host keys and a cred `Portal` whose realm
 * returns a `ConchUser` avatar; a client is an `SSHClientTransport`, or simply
 * an `SSHCommandClientEndpoint` that runs a command and connects a protocol to
 * it. Keys, known_hosts and public key checkers come from `./keys`. Telnet is
 * `@tw/core/conch/telnet`.
 *
 * @example
 * ```ts
 * import { ConchUser, Key, SSHFactory, SSHSession } from "@tw/core/conch";
 * import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "@tw/core/cred";
 *
 * const factory = new SSHFactory();
 * const hostKey = await Key.generate("ed25519");
 * factory.privateKeys = { [hostKey.sshType()]: hostKey };
 * const realm = {
 *   requestAvatar(_id: unknown, _mind: unknown, iface: unknown) {
 *     const user = new ConchUser();
 *     user.channelLookup["session"] = SSHSession;
 *     return [iface, user, () => {}];
 *   },
 * };
 * factory.portal = new Portal(realm as never, [
 *   new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" }),
 * ]);
 * // reactor.listenTCP(2222, factory, { interface: "127.0.0.1" });
 * ```
 * @module
 */
export * from "./keys/mod.ts";
export { DISCONNECT, EXTENDED_DATA_STDERR, MSG, OPEN } from "./ssh/_constants.ts";
export { SSHReader, SSHWireError, SSHWriter } from "./ssh/_wire.ts";
export { CIPHERS, type CipherSpec, MACS, type MacSpec, PacketError } from "./ssh/_cipher.ts";
export { KexError, KEXES, type KexSpec } from "./ssh/_kex.ts";
export { DEFAULT_PRIMES, type DHGroup, parseModuli, type PrimeTable } from "./ssh/_dh_groups.ts";
export { type KexInitLists, type Negotiated, NegotiationError } from "./ssh/_negotiation.ts";
export { type KexContext, SSHProtocolError, SSHTransportBase } from "./ssh/_transport.ts";
export { type SSHServerFactoryLike, SSHServerTransport } from "./ssh/_transport_server.ts";
export { SSHClientTransport } from "./ssh/_transport_client.ts";
export { SSHService } from "./ssh/_service.ts";
export { SSHFactory } from "./ssh/_factory.ts";
export { SSHUserAuthServer } from "./ssh/_userauth_server.ts";
export { AuthenticationFailed, type Prompt, SSHUserAuthClient } from "./ssh/_userauth_client.ts";
export {
  type ChannelClass,
  ConchError,
  ConchUser,
  type GlobalRequestHandler,
  type GlobalRequestResult,
  IConchUser,
} from "./ssh/_avatar.ts";
export { SSHChannel, type SSHChannelOptions } from "./ssh/_channel.ts";
export { RequestFailed, SSHConnection } from "./ssh/_connection.ts";
export {
  type ISession,
  type ISessionSetEnv,
  type ISessionSignal,
  type SessionAvatar,
  SSHSession,
  SSHSessionProcessProtocol,
  type WindowSize,
} from "./ssh/_session.ts";
export {
  enableForwarding,
  type ForwardingOptions,
  type HostPort,
  packOpen_direct_tcpip,
  packOpen_forwarded_tcpip,
  SSHConnectForwardingChannel,
  SSHListenForwardingChannel,
  SSHListenForwardingFactory,
  unpackOpen_direct_tcpip,
  unpackOpen_forwarded_tcpip,
} from "./ssh/_forwarding.ts";
export { AgentError, SSHAgentClient } from "./ssh/_agent.ts";
export { SSHCommandClientEndpoint, type SSHCommandEndpointOptions } from "./ssh/_endpoints.ts";
