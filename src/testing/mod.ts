/**
 * The test kit (`twisted.internet.testing` and `twisted.test.iosim`): test
 * protocols without sockets, deterministically, on every runtime.
 *
 * - `StringTransport` records what a protocol writes; `AccumulatingProtocol`
 *   records what a transport delivers.
 * - `MemoryReactor` / `MemoryReactorClock` record listen and connect calls
 *   (`tcpServers`, `tcpClients`, ...) so a test can drive the factories; with
 *   `Clock`, time moves only when the test says so.
 * - `connectedServerAndClient` connects two protocols through in-memory
 *   transports and returns `[client, server, pump]`; `pump.flush()` moves the
 *   bytes.
 * - `trackLeaks({ beforeEach, afterEach })` (or `leakCheck()` in `afterEach`)
 *   fails a test that left delayed calls, open connections or ports, or
 *   unclaimed logged errors (`flushLoggedErrors`).
 * - `socketPair` and `MemoryNetwork` are in-memory sockets for testing
 *   transports and runtimes themselves.
 *
 * @example
 * ```ts
 * import { StringTransport } from "@tw/core/testing";
 * import { LineReceiver } from "@tw/core/protocols/basic";
 *
 * class Shout extends LineReceiver {
 *   override lineReceived(line: Uint8Array): void {
 *     this.sendLine(new TextDecoder().decode(line).toUpperCase());
 *   }
 * }
 * const transport = new StringTransport();
 * const protocol = new Shout();
 * protocol.makeConnection(transport);
 * protocol.dataReceived(new TextEncoder().encode("hi\r\n"));
 * console.log(transport.valueText()); // "HI\r\n"
 * ```
 * @module
 */
export { Clock } from "../internet/_clock.ts";
export {
  AccumulatingProtocol,
  FakeDatagramTransport,
  noAddr,
  type ProducerState,
  StringTransport,
  type StringTransportOptions,
  StringTransportWithDisconnection,
} from "./_string_transport.ts";
export {
  FakeConnector,
  FakePort,
  type MemoryConnectUNIXOptions,
  type MemoryListenUDPOptions,
  MemoryReactor,
  MemoryReactorClock,
  type SSLClientRecord,
  type SSLServerRecord,
  type TCPClientRecord,
  type TCPServerRecord,
  type UDPServerRecord,
  type UNIXClientRecord,
  type UNIXServerRecord,
} from "./_memory_reactor.ts";
export {
  connect,
  connectedServerAndClient,
  type ConnectedServerAndClientOptions,
  type ConnectOptions,
  FakeTransport,
  type FakeTransportOptions,
  type HasTransport,
  IOPump,
  type IOPumpOptions,
  type ProtocolSource,
  waitUntilAllDisconnected,
} from "./_iosim.ts";
export {
  collectGarbage,
  flushLoggedErrors,
  leakCheck,
  type LeakCheckOptions,
  LeakError,
  type LeakSource,
  loggedErrors,
  registerLeakSource,
  startLeakCheck,
  type TestHooks,
  trackLeaks,
  type TrackLeaksOptions,
  watchClock,
} from "./_leak_check.ts";
export {
  MemoryConnectionReset,
  MemoryNetwork,
  type MemoryNetworkOptions,
  socketPair,
  type SocketPairOptions,
} from "../internet/memory_socket.ts";
