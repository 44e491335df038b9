/**
 * Jelly's serializer and unserializer, with the security options and the
 * registry of copy tags.
 *
 * @module
 */
import type { BananaValue } from "./_banana_codec.ts";

const te = new TextEncoder();
const td = new TextDecoder();

/**
 * The peer sent a type, tag or reference jelly does not accept, or a value
 * cannot be jellied (Twisted's `jelly.InsecureJelly`).
 *
 * @example
 * ```ts
 * import { InsecureJelly, unjelly } from "@tw/core/spread/jelly";
 * try {
 *   unjelly(["module", "os"]);
 * } catch (e) {
 *   console.log(e instanceof InsecureJelly); // true
 * }
 * ```
 */
export class InsecureJelly extends Error {
  /** Makes an InsecureJelly with the given message. */
  constructor(message: string) {
    super(message);
    this.name = "InsecureJelly";
  }
}

const BASIC_TYPES = [
  "None",
  "boolean",
  "unicode",
  "list",
  "tuple",
  "dictionary",
  "set",
  "frozenset",
  "datetime",
  "date",
  "reference",
  "dereference",
];
const NEVER = new Set(["module", "class", "function", "instance", "persistent", "unpersistable"]);

/**
 * Which jelly types (tags) an unjellier accepts (Twisted's
 * `jelly.SecurityOptions`). A new one allows the basic types; tags
 * registered with `setUnjellyableForClass` are allowed by `globalSecurity`.
 *
 * @example
 * ```ts
 * import { SecurityOptions, unjelly } from "@tw/core/spread/jelly";
 * const taster = new SecurityOptions();
 * taster.allowTypes("my.module.Point");
 * console.log(taster.isTypeAllowed("my.module.Point")); // true
 * console.log(unjelly(["unicode", new Uint8Array([104, 105])], { taster })); // "hi"
 * ```
 */
export class SecurityOptions {
  #allowed = new Set<string>(BASIC_TYPES);

  /** Allows the given tags. */
  allowTypes(...types: string[]): void {
    for (const t of types) this.#allowed.add(t);
  }

  /** True when the tag may be unjellied (never module, class, function or instance). */
  isTypeAllowed(type: string): boolean {
    return !NEVER.has(type) && this.#allowed.has(type);
  }
}

/**
 * The security options the registration functions extend, used by default.
 *
 * @example
 * ```ts
 * import { globalSecurity } from "@tw/core/spread/jelly";
 * console.log(globalSecurity.isTypeAllowed("list")); // true
 * ```
 */
export const globalSecurity: SecurityOptions = new SecurityOptions();

/**
 * A class whose instances stand for a remote copy: made with `new`, then
 * given the state by `setCopyableState` (or assigned, without it).
 */
export interface Unjellyable {
  /** Makes a blank instance. */
  new (): object;
}

type Factory = (state: unknown) => unknown;
const classRegistry = new Map<string, Unjellyable>();
const factoryRegistry = new Map<string, Factory>();

/**
 * Makes `cls` receive the objects a peer sends under `tag` (Twisted's
 * `setUnjellyableForClass`; use the Python class path for Twisted peers).
 * The instance is made with `new cls()`, then `setCopyableState(state)` is
 * called if it has one, else the state is assigned to it.
 *
 * @example
 * ```ts
 * import { setUnjellyableForClass, unjelly } from "@tw/core/spread/jelly";
 * class Point {
 *   x = 0;
 *   setCopyableState(state: { x: number }): void {
 *     this.x = state.x;
 *   }
 * }
 * setUnjellyableForClass("geo.Point", Point);
 * const p = unjelly(["geo.Point", ["dictionary", [["unicode", new Uint8Array([120])], 3]]]);
 * console.log(p instanceof Point); // true
 * ```
 */
export function setUnjellyableForClass(tag: string, cls: Unjellyable): void {
  classRegistry.set(tag, cls);
  factoryRegistry.delete(tag);
  globalSecurity.allowTypes(tag);
}

/**
 * The same as `setUnjellyableForClass` (Twisted's `setCopierForClass`).
 *
 * @example
 * ```ts
 * import { setCopierForClass } from "@tw/core/spread/jelly";
 * class Note {}
 * setCopierForClass("notes.Note", Note);
 * ```
 */
export function setCopierForClass(tag: string, cls: Unjellyable): void {
  setUnjellyableForClass(tag, cls);
}

/**
 * Makes `factory(state)` build the objects a peer sends under `tag`
 * (Twisted's `setUnjellyableFactoryForClass`).
 *
 * @example
 * ```ts
 * import { setUnjellyableFactoryForClass, unjelly } from "@tw/core/spread/jelly";
 * setUnjellyableFactoryForClass("geo.Pair", (state) => ({ pair: state }));
 * console.log(unjelly(["geo.Pair", ["list", 1, 2]])); // { pair: [1, 2] }
 * ```
 */
export function setUnjellyableFactoryForClass(
  tag: string,
  factory: (state: unknown) => unknown,
): void {
  factoryRegistry.set(tag, factory);
  classRegistry.delete(tag);
  globalSecurity.allowTypes(tag);
}

/**
 * What `jellyFor` is given: the value's serializer for the current call
 * (Twisted's `_Jellier`).
 */
export interface Jellier {
  /** The broker (or other invoker) serializing, else null. */
  readonly invoker: unknown;
  /** Jellies a value met inside the object, sharing references. */
  jelly(value: unknown): BananaValue;
}

/**
 * What `unjellyFor` is given: the value's unserializer for the current
 * call (Twisted's `_Unjellier`).
 */
export interface Unjellier {
  /** The broker (or other invoker) unserializing, else null. */
  readonly invoker: unknown;
  /** Unjellies a value met inside the expression. */
  unjelly(expression: unknown): unknown;
}

/** Options for `jelly`. */
export interface JellyOptions {
  /**
   * Called for values jelly does not know (class instances without
   * `jellyFor`, functions); returns their s-expression or undefined to
   * refuse them.
   * @default undefined
   */
  jellyOther?: (value: object, jellyValue: (v: unknown) => BananaValue) => BananaValue | undefined;
  /**
   * Handed to `jellyFor` methods as `jellier.invoker` (PB passes its broker).
   * @default null
   */
  invoker?: unknown;
}

/** Options for `unjelly`. */
export interface UnjellyOptions {
  /**
   * The types accepted.
   * @default globalSecurity
   */
  taster?: SecurityOptions;
  /**
   * Called for allowed tags jelly does not know and nothing is registered
   * for; returns the object, or undefined to refuse.
   * @default undefined
   */
  unjellyOther?: (
    tag: string,
    expression: readonly unknown[],
    unjellyValue: (v: unknown) => unknown,
  ) => unknown;
  /**
   * Handed to `unjellyFor` methods as `unjellier.invoker`.
   * @default null
   */
  invoker?: unknown;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

type JellyFor = { jellyFor(jellier: Jellier): BananaValue };
type UnjellyFor = { unjellyFor(unjellier: Unjellier, expression: readonly unknown[]): unknown };

/**
 * Turns a value into its jelly s-expression, ready for Banana. Throws
 * `InsecureJelly` for values jelly cannot carry. An object with a
 * `jellyFor(jellier)` method (PB's flavors) gives its own expression.
 *
 * References are numbered as Twisted numbers them: an object met a second
 * time turns its first expression into `["reference", N, ...]` and the
 * later ones into `["dereference", N]`, so the bytes are Twisted's.
 *
 * @example
 * ```ts
 * import { jelly } from "@tw/core/spread/jelly";
 * console.log(jelly([1, "é", null])); // ["list", 1, ["unicode", bytes], ["None"]]
 * ```
 */
export function jelly(value: unknown, options: JellyOptions = {}): BananaValue {
  // Each object's expression as first written (a placeholder while it is
  // being written), and the dereference for objects met again.
  const preserved = new Map<object, BananaValue[]>();
  const cooked = new Map<object, BananaValue[]>();
  let nextRef = 1;
  const seenBefore = (obj: object): BananaValue[] | undefined => {
    const deref = cooked.get(obj);
    if (deref !== undefined) return deref;
    const first = preserved.get(obj);
    if (first === undefined) return undefined;
    // Rewrite the first expression in place: it is already in the tree.
    const id = nextRef++;
    const body = first.slice();
    first.length = 0;
    first.push("reference", id, body);
    const made: BananaValue[] = ["dereference", id];
    cooked.set(obj, made);
    return made;
  };
  const preserve = (obj: object, sexp: BananaValue[]): BananaValue[] => {
    const first = preserved.get(obj);
    if (first !== undefined && cooked.has(obj)) {
      // Referenced while being written (a cycle): fill the placeholder.
      first[2] = sexp;
      return first;
    }
    preserved.set(obj, sexp);
    return sexp;
  };
  const jellier: Jellier = { invoker: options.invoker ?? null, jelly: (v) => one(v) };
  const one = (v: unknown): BananaValue => {
    if (v === null) return ["None"];
    switch (typeof v) {
      case "boolean":
        return ["boolean", v ? "true" : "false"];
      case "number":
      case "bigint":
        return v;
      case "string":
        return ["unicode", te.encode(v)];
    }
    if (v instanceof Uint8Array) return v;
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) throw new InsecureJelly("Cannot jelly an invalid Date");
      return [
        "datetime",
        `${v.getUTCFullYear()} ${
          v.getUTCMonth() + 1
        } ${v.getUTCDate()} ${v.getUTCHours()} ${v.getUTCMinutes()} ${v.getUTCSeconds()} ${
          v.getUTCMilliseconds() * 1000
        }`,
      ];
    }
    if (typeof v !== "object" || v === undefined) {
      throw new InsecureJelly(`Cannot jelly ${typeof v} values`);
    }
    const again = seenBefore(v);
    if (again !== undefined) return again;
    preserved.set(v, []);
    const sexp: BananaValue[] = [];
    if (Array.isArray(v)) {
      sexp.push("list");
      for (const x of v) sexp.push(one(x));
    } else if (v instanceof Set) {
      sexp.push("set");
      for (const x of v) sexp.push(one(x));
    } else if (v instanceof Map) {
      sexp.push("dictionary");
      for (const [k, x] of v) sexp.push([one(k), one(x)]);
    } else if (isPlainObject(v)) {
      sexp.push("dictionary");
      for (const k of Object.keys(v)) sexp.push([one(k), one((v as Record<string, unknown>)[k])]);
    } else {
      const own = typeof (v as Partial<JellyFor>).jellyFor === "function"
        ? (v as JellyFor).jellyFor(jellier)
        : options.jellyOther?.(v, one);
      if (own === undefined) {
        throw new InsecureJelly(`Cannot jelly ${v.constructor?.name ?? "object"} instances`);
      }
      if (!Array.isArray(own)) {
        preserved.delete(v);
        return own;
      }
      sexp.push(...own);
    }
    return preserve(v, sexp);
  };
  return one(value);
}

function tagOf(x: unknown): string | null {
  if (typeof x === "string") return x;
  if (x instanceof Uint8Array) return td.decode(x);
  return null;
}

function parseDate(x: unknown, withTime: boolean): Date {
  const text = tagOf(x);
  const parts = text?.split(" ").map(Number) ?? [];
  const want = withTime ? 7 : 3;
  if (parts.length !== want || parts.some((n) => !Number.isInteger(n))) {
    throw new InsecureJelly(`Bad ${withTime ? "datetime" : "date"}: ${text}`);
  }
  const [y, mo, d, h = 0, mi = 0, s = 0, us = 0] = parts;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, Math.floor(us / 1000));
  return date;
}

/**
 * Turns a jelly s-expression (as Banana delivers it) back into a value.
 * Throws `InsecureJelly` for refused types or unknown references.
 *
 * @example
 * ```ts
 * import { unjelly } from "@tw/core/spread/jelly";
 * console.log(unjelly(["list", 1, ["None"], ["boolean", "true"]])); // [1, null, true]
 * ```
 */
export function unjelly(sexp: unknown, options: UnjellyOptions = {}): unknown {
  const taster = options.taster ?? globalSecurity;
  const refs = new Map<number, unknown>();
  const unjellier: Unjellier = { invoker: options.invoker ?? null, unjelly: (v) => one(v) };
  const one = (x: unknown, refId = 0): unknown => {
    const register = <T>(v: T): T => {
      if (refId) refs.set(refId, v);
      return v;
    };
    if (!Array.isArray(x)) {
      if (typeof x === "string") return register(x);
      return register(x);
    }
    const tag = tagOf(x[0]);
    if (tag === null) throw new InsecureJelly("A jelly expression starts with no type");
    if (!taster.isTypeAllowed(tag)) throw new InsecureJelly(`Type not allowed: ${tag}`);
    switch (tag) {
      case "None":
        return register(null);
      case "boolean":
        return register(tagOf(x[1]) === "true");
      case "unicode": {
        if (!(x[1] instanceof Uint8Array) && typeof x[1] !== "string") {
          throw new InsecureJelly("Bad unicode");
        }
        return register(typeof x[1] === "string" ? x[1] : td.decode(x[1]));
      }
      case "list":
      case "tuple": {
        const out = register([] as unknown[]);
        for (let i = 1; i < x.length; i++) out.push(one(x[i]));
        return out;
      }
      case "set":
      case "frozenset": {
        const out = register(new Set<unknown>());
        for (let i = 1; i < x.length; i++) out.add(one(x[i]));
        return out;
      }
      case "dictionary":
        return dictionary(x, register);
      case "datetime":
        return register(parseDate(x[1], true));
      case "date":
        return register(parseDate(x[1], false));
      case "reference": {
        const id = x[1];
        if (typeof id !== "number" || id < 1 || refs.has(id)) {
          throw new InsecureJelly(`Bad reference ${id}`);
        }
        const v = one(x[2], id);
        if (!refs.has(id)) refs.set(id, v);
        return register(v);
      }
      case "dereference": {
        const id = x[1];
        if (typeof id !== "number" || !refs.has(id)) {
          throw new InsecureJelly(`Unknown reference ${id}`);
        }
        return register(refs.get(id));
      }
    }
    const cls = classRegistry.get(tag);
    if (cls !== undefined) {
      const obj = register(new cls()) as {
        setCopyableState?: (s: unknown) => void;
        unjellyFor?: UnjellyFor["unjellyFor"];
      };
      if (typeof obj.unjellyFor === "function") return register(obj.unjellyFor(unjellier, x));
      const state = one(x[1]);
      if (typeof obj.setCopyableState === "function") obj.setCopyableState(state);
      else if (typeof state === "object" && state !== null) Object.assign(obj, state);
      return obj;
    }
    const factory = factoryRegistry.get(tag);
    if (factory !== undefined) return register(factory(one(x[1])));
    const other = options.unjellyOther?.(tag, x, one);
    if (other === undefined) throw new InsecureJelly(`Type not allowed: ${tag}`);
    return register(other);
  };
  const dictionary = (x: unknown[], register: <T>(v: T) => T): unknown => {
    const entries: [unknown, unknown][] = [];
    const obj = register(Object.create(null) as Record<string, unknown>);
    let map: Map<unknown, unknown> | null = null;
    for (let i = 1; i < x.length; i++) {
      const pair = x[i];
      if (!Array.isArray(pair) || pair.length !== 2) throw new InsecureJelly("Bad dictionary item");
      entries.push([one(pair[0]), one(pair[1])]);
    }
    if (entries.every(([k]) => typeof k === "string")) {
      for (const [k, v] of entries) obj[k as string] = v;
      return obj;
    }
    // Keys that are not text: a Map (a reference to the dictionary made
    // while its items were read sees the object form).
    map = new Map(entries);
    return register(map);
  };
  return one(sexp);
}
