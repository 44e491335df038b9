/**
 * @tw/core: Twisted, the event-driven networking engine, for Deno, Bun and Node.
 *
 * @example
 * ```ts
 * import { Deferred } from "@tw/core";
 * const d = new Deferred<number>();
 * d.addCallback((n) => n + 1);
 * d.callback(41);
 * console.log(await d); // 42
 * ```
 * @module
 */
export * from "./src/internet/defer.ts";
export * from "./src/internet/failure.ts";
export * from "./src/internet/error.ts";
export * from "./src/internet/task.ts";
export * from "./src/internet/address.ts";
export type * from "./src/internet/interfaces.ts";
export type * from "./src/internet/socket.ts";
export { getReactor, installReactor, Reactor } from "./src/internet/reactor.ts";
export type {
  IReactorCore,
  SystemEventPhase,
  SystemEventTriggerId,
  SystemEventType,
} from "./src/internet/reactor.ts";
