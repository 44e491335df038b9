/**
 * Perspective Broker (`twisted.spread.pb` and `flavors`): remote objects
 * over Banana, wire-compatible with Twisted.
 *
 * A server publishes a root object (`PBServerFactory(root)`) or a login
 * (`PBServerFactory(portal)`); a client asks `PBClientFactory` for the
 * root (`getRootObject`) or logs in (`login`), and gets a
 * `RemoteReference` whose `callRemote("NAME", ...)` runs the peer's
 * `remote_NAME`. What a method returns crosses by its flavor: basic values
 * and `Copyable` state are copied, `Referenceable` objects are lent,
 * `Viewable` ones lent per caller, `Cacheable` ones copied once and kept
 * up to date. Errors come back as `PBError`, `NoSuchMethod`, cred's login
 * errors or `RemoteError`, Twisted's names both ways.
 *
 * @example
 * ```ts
 * import { PBClientFactory, PBServerFactory, Root } from "@tw/core/spread/pb";
 * import { clientFromString, serverFromString } from "@tw/core/endpoints";
 * import { type IPv4Address, reactor } from "@tw/core";
 *
 * class Calculator extends Root {
 *   remote_add(a: number, b: number): number {
 *     return a + b;
 *   }
 * }
 * const port = await serverFromString(reactor, "tcp:0:interface=127.0.0.1")
 *   .listen(new PBServerFactory(new Calculator()));
 * const factory = new PBClientFactory();
 * await clientFromString(reactor, `tcp:127.0.0.1:${(port.getHost() as IPv4Address).port}`).connect(factory);
 * const root = await factory.getRootObject();
 * console.log(await root.callRemote("add", 1, 2)); // 3
 * factory.disconnect();
 * await port.stopListening();
 * ```
 *
 * @module
 */
export {
  Cacheable,
  Copyable,
  type FlavorBroker,
  type IPBRoot,
  type IRemotelyCallable,
  NoSuchMethod,
  Referenceable,
  RemoteCache,
  RemoteCacheObserver,
  RemoteCopy,
  Root,
  Viewable,
  ViewPoint,
} from "./_flavors.ts";
export {
  CopiedFailure,
  CopyableFailure,
  DeadReferenceError,
  PBConnectionLost,
  PBError,
  PBError as Error,
  ProtocolError,
  RemoteError,
  remoteParentsOf,
} from "./_pb_errors.ts";
export { Keywords, keywords, type ReferenceBroker, RemoteReference } from "./_remote.ts";
export { Broker, type BrokerOptions, MAX_BROKER_REFS } from "./_broker.ts";
export {
  AsReferenceable,
  Avatar,
  challenge,
  IPerspective,
  PBClientFactory,
  type PBFactoryOptions,
  PBServerFactory,
  respond,
} from "./_pb_factories.ts";
export { setCopierForClass, setUnjellyableForClass } from "./_jelly.ts";
