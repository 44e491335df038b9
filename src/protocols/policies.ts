/**
 * Resource-limiting and observing policies (`twisted.protocols.policies`): a
 * `ProtocolWrapper` stands between a transport and a protocol, and a
 * `WrappingFactory` wraps every protocol another factory builds. On that base:
 * `ThrottlingFactory` (bandwidth and connection count), `LimitConnectionsByPeer`,
 * `TimeoutFactory`, `TrafficLoggingFactory` and `SpewingFactory`; and idle
 * timeouts for any protocol with `TimeoutMixin(Base)` or `TimeoutHelper`.
 *
 * Time comes from a `clock` option (a reactor or `Clock`); without one, from
 * the installed reactor (`getReactor()`).
 *
 * @example
 * ```ts
 * import { LimitConnectionsByPeer, ThrottlingFactory } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 * import { Clock } from "@tw/core/task";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport.write(data);
 *   }
 * }
 * // At most 2 connections per host, 100 in all, 1 MB/s read over all of them.
 * const factory = new ThrottlingFactory(
 *   new LimitConnectionsByPeer(Factory.forProtocol(Echo), { maxConnectionsPerPeer: 2 }),
 *   { maxConnectionCount: 100, readLimit: 1_000_000, clock: new Clock() },
 * );
 * ```
 * @module
 */
// Importing this entry point alone installs the reactor its defaults use
// (`getReactor()`), as Twisted's `from twisted.internet import reactor` does.
import "../../runtimes/select.ts";
export {
  ProtocolWrapper,
  type ProtocolWrapperClass,
  WrappingFactory,
} from "./_policies_wrapper.ts";
export {
  type AnyConstructor,
  TimeoutFactory,
  type TimeoutFactoryOptions,
  TimeoutHelper,
  type TimeoutHelperOptions,
  TimeoutMixin,
  type TimeoutMixinMembers,
  TimeoutProtocol,
} from "./_policies_timeout.ts";
export {
  LimitConnectionsByPeer,
  type LimitConnectionsByPeerOptions,
  ThrottlingFactory,
  type ThrottlingFactoryOptions,
  ThrottlingProtocol,
} from "./_policies_throttle.ts";
export {
  bytesRepr,
  SpewingFactory,
  SpewingProtocol,
  TrafficLoggingFactory,
  type TrafficLoggingFactoryOptions,
  TrafficLoggingProtocol,
  type TrafficLogWriter,
} from "./_policies_logging.ts";
