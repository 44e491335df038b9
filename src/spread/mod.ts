/**
 * Perspective Broker (`twisted.spread`). This release holds Banana, PB's
 * wire format, and jelly, its serializer; flavors and the broker are not
 * yet here.
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
