/**
 * @tw/core: Twisted, the event-driven networking engine, for Deno, Bun and Node.
 *
 * @example
 * ```ts
 * import { Failure } from "@tw/core";
 * console.log(new Failure(new Error("boom")).getErrorMessage());
 * ```
 * @module
 */
export * from "./src/internet/failure.ts";
export * from "./src/internet/error.ts";
export * from "./src/internet/address.ts";
export type * from "./src/internet/socket.ts";
