/**
 * Jelly, PB's object serializer (`twisted.spread.jelly`): values to Banana
 * s-expressions and back, as Twisted writes them.
 *
 * Types: `null` is None; `boolean` is bool; safe integers and bigints are
 * int (received beyond 2^53: bigint); other numbers are float; `string` is
 * unicode; `Uint8Array` is bytes; `Array` is list (tuples arrive as Array);
 * `Set` is set (frozensets arrive as Set); `Date` is a UTC datetime; a
 * plain object is a dictionary with text keys (received with a null
 * prototype, so `__proto__` is data); other dictionaries are `Map`.
 * Shared and circular references round-trip.
 *
 * Only tags registered with `setUnjellyableForClass` or
 * `setUnjellyableFactoryForClass` become objects; Twisted's module, class,
 * function and instance atoms are always refused (`InsecureJelly`), as are
 * unknown references and types a `SecurityOptions` does not allow.
 *
 * @example
 * ```ts
 * import { jelly, unjelly } from "@tw/core/spread/jelly";
 * const shared = [1, 2];
 * const back = unjelly(jelly({ a: shared, b: shared })) as Record<string, unknown>;
 * console.log(back.a === back.b); // true
 * ```
 *
 * @module
 */
export {
  globalSecurity,
  InsecureJelly,
  type Jellier,
  jelly,
  type JellyOptions,
  SecurityOptions,
  setCopierForClass,
  setUnjellyableFactoryForClass,
  setUnjellyableForClass,
  type Unjellier,
  unjelly,
  type Unjellyable,
  type UnjellyOptions,
} from "./_jelly.ts";
