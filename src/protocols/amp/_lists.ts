/**
 * AMP's compound argument types: `ListOf` (values of one type, each with a
 * length prefix) and `AmpList` (records, each a whole box). Private to
 * src/protocols; the public face is `amp.ts`.
 *
 * @module
 */
import { AmpBox, parseString } from "./_box.ts";
import { MalformedAmpBox } from "./_errors.ts";
import {
  Argument,
  type ArgumentObjects,
  type ArgumentOptions,
  type ArgumentSchema,
  describeValue,
  objectsToStrings,
  stringsToObjects,
} from "./_arguments.ts";

/** The value type of the elements of a `ListOf` of `E`. */
// deno-lint-ignore no-explicit-any
export type ElementValue<E> = E extends Argument<infer T, any> ? T : never;

/**
 * A list of values of one type, each with a 16-bit length prefix (the whole
 * list is one value, so at most 65535 bytes). Elements use the element
 * type's `fromString` / `toString` only.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const list = new amp.ListOf(new amp.Integer());
 * console.log(list.toString([3, 7])); // Uint8Array(6) [ 0, 1, 51, 0, 1, 55 ]
 * console.log(list.fromString(list.toString([3, 7]))); // [ 3, 7 ]
 * ```
 */
// deno-lint-ignore no-explicit-any
export class ListOf<E extends Argument<any, boolean>, O extends boolean = false>
  extends Argument<ElementValue<E>[], O> {
  /** The element type. */
  readonly elementType: E;

  /**
   * Makes the argument type.
   * @param elementType the type of each element
   * @param options `optional`
   */
  constructor(elementType: E, options: ArgumentOptions<O> = {}) {
    super(options);
    this.elementType = elementType;
  }

  /**
   * Reads the elements.
   * @throws {MalformedAmpBox} when the bytes end inside an element
   */
  fromString(bytes: Uint8Array): ElementValue<E>[] {
    const out: ElementValue<E>[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (bytes.length - at < 2) throw new MalformedAmpBox("A ListOf value ends inside a length");
      const n = (bytes[at] << 8) | bytes[at + 1];
      if (bytes.length - at - 2 < n) {
        throw new MalformedAmpBox("A ListOf value ends inside an element");
      }
      out.push(this.elementType.fromString(bytes.subarray(at + 2, at + 2 + n)));
      at += 2 + n;
    }
    return out;
  }

  /**
   * Writes the elements.
   * @throws {TypeError} when the value is not iterable, or for an element the type refuses
   */
  toString(value: ElementValue<E>[]): Uint8Array {
    if (value === null || typeof value !== "object" || !(Symbol.iterator in value)) {
      throw new TypeError(`Expected a list, got ${describeValue(value)}`);
    }
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const element of value) {
      const bytes = this.elementType.toString(element);
      if (bytes.length > 0xffff) {
        throw new RangeError(`A ListOf element of ${bytes.length} bytes is over 65535`);
      }
      parts.push(bytes);
      total += 2 + bytes.length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out[at] = p.length >> 8;
      out[at + 1] = p.length & 0xff;
      out.set(p, at + 2);
      at += 2 + p.length;
    }
    return out;
  }
}

/**
 * A list of records, each written as a whole box (all in one value, so at
 * most 65535 bytes). Element fields may be any argument type.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const list = new amp.AmpList({ a: new amp.Integer(), b: new amp.Unicode() });
 * const bytes = list.toStringProto([{ a: 7, b: "hello" }], null);
 * console.log(list.fromStringProto(bytes, null)); // [ { a: 7, b: "hello" } ]
 * ```
 */
export class AmpList<S extends ArgumentSchema, O extends boolean = false>
  extends Argument<ArgumentObjects<S>[], O> {
  /** The schema of each record. */
  readonly subargs: S;

  /**
   * Makes the argument type.
   * @param subargs each record's fields: wire names to argument types
   * @param options `optional`
   */
  constructor(subargs: S, options: ArgumentOptions<O> = {}) {
    super(options);
    this.subargs = subargs;
  }

  /** Reads the records. */
  override fromStringProto(bytes: Uint8Array, proto: object | null): ArgumentObjects<S>[] {
    return parseString(bytes).map((box) =>
      stringsToObjects(box, this.subargs, proto, "AmpList") as ArgumentObjects<S>
    );
  }

  /** Writes the records. */
  override toStringProto(value: ArgumentObjects<S>[], proto: object | null): Uint8Array {
    if (value === null || typeof value !== "object" || !(Symbol.iterator in value)) {
      throw new TypeError(`Expected a list, got ${describeValue(value)}`);
    }
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const record of value) {
      const box = objectsToStrings(record, this.subargs, new AmpBox(), proto, "AmpList");
      const bytes = box.serialize();
      parts.push(bytes);
      total += bytes.length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Reads the records (without a connection). */
  fromString(bytes: Uint8Array): ArgumentObjects<S>[] {
    return this.fromStringProto(bytes, null);
  }

  /** Writes the records (without a connection). */
  toString(value: ArgumentObjects<S>[]): Uint8Array {
    return this.toStringProto(value, null);
  }
}
