/**
 * @tw/core: Twisted, the event-driven networking engine, for Deno, Bun and Node.
 *
 * This entry point holds the asynchronous core (Deferred, Failure, errors, task),
 * protocols and factories, endpoints, addresses, and `reactor`: the reactor for
 * the runtime this code runs on.
 *
 * @example
 * ```ts
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * const port = reactor.listenTCP(0, Factory.forProtocol(Echo), { interface: "127.0.0.1" });
 * await port.stopListening();
 * ```
 * @module
 */
export * from "./src/internet/defer.ts";
export * from "./src/internet/failure.ts";
export * from "./src/internet/error.ts";
export * from "./src/internet/task.ts";
export * from "./src/internet/protocol.ts";
export * from "./src/internet/address.ts";
export * from "./src/internet/endpoints.ts";
export type * from "./src/internet/interfaces.ts";
export type * from "./src/internet/socket.ts";
export { getReactor, installReactor, Reactor } from "./src/internet/reactor.ts";
export { Connector, Port } from "./src/internet/tcp.ts";
export { UDPPort } from "./src/internet/udp.ts";
export { ProcessTransport } from "./src/internet/process.ts";
export { StreamTransport } from "./src/internet/_stream_transport.ts";
export type { StreamTransportOptions } from "./src/internet/_stream_transport.ts";
export type { LiveResource } from "./src/internet/_live.ts";
export type {
  IReactorCore,
  SystemEventPhase,
  SystemEventTriggerId,
  SystemEventType,
} from "./src/internet/reactor.ts";
export { reactor } from "./runtimes/select.ts";
