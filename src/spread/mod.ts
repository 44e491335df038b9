/**
 * Perspective Broker (`twisted.spread`): Banana, PB's wire format; jelly,
 * its serializer; and PB itself, remote objects and logins that Twisted's
 * brokers speak (also alone in `@tw/core/spread/pb`).
 *
 * @example
 * ```ts
 * import { decode, encode, jelly, unjelly } from "@tw/core/spread";
 * console.log(unjelly(decode(encode(jelly({ pb: [1, "two"] }))))); // { pb: [1, "two"] }
 * ```
 *
 * @module
 */
export * from "./banana.ts";
export * from "./jelly.ts";
export * from "./pb.ts";
