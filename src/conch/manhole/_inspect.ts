/**
 * A readable rendering of any JavaScript value for the manhole, in the
 * style of the runtimes' consoles (`util.inspect`), bounded in depth, items
 * and length, safe on cycles, getters and proxies that throw.
 * Private: re-exported by `mod.ts`.
 * @module
 */

/** Options of `inspect`. */
export interface InspectOptions {
  /** How deep to show nested objects. @default 2 */
  depth?: number;
  /** The most array, map or set items shown. @default 100 */
  maxArrayLength?: number;
  /** The most characters of a string shown. @default 10000 */
  maxStringLength?: number;
  /** The most characters of the whole result. @default 65536 */
  maxLength?: number;
}

const LINE = 72;

function quote(text: string, max: number): string {
  const cut = text.length > max;
  const shown = cut ? text.slice(0, max) : text;
  // deno-lint-ignore no-control-regex
  const escaped = shown.replace(/[\\'\n\r\t\x00-\x1f\x7f]/g, (ch) => {
    switch (ch) {
      case "\\":
        return "\\\\";
      case "'":
        return "\\'";
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      default:
        return `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
    }
  });
  return `'${escaped}'` + (cut ? `... ${text.length - max} more characters` : "");
}

function keyText(key: string | symbol): string {
  if (typeof key === "symbol") return `[${key.toString()}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key, 1000);
}

function functionText(fn: (...args: unknown[]) => unknown): string {
  let source = "";
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    // a revoked proxy
  }
  const name = fn.name || "(anonymous)";
  if (source.startsWith("class")) return `[class ${fn.name || "(anonymous)"}]`;
  const kind = fn.constructor?.name === "AsyncFunction"
    ? "AsyncFunction"
    : fn.constructor?.name === "GeneratorFunction"
    ? "GeneratorFunction"
    : "Function";
  return `[${kind}: ${name}]`;
}

function wrap(prefix: string, open: string, close: string, items: string[], indent: string) {
  if (items.length === 0) return `${prefix}${open}${close}`;
  const single = `${prefix}${open} ${items.join(", ")} ${close}`;
  if (single.length + indent.length <= LINE && !single.includes("\n")) return single;
  const inner = indent + "  ";
  return `${prefix}${open}\n${items.map((item) => inner + item).join(",\n")}\n${indent}${close}`;
}

/**
 * Shows `value` as the runtimes' consoles do: strings quoted inside
 * structures, objects with their class name, cycles as `[Circular]`, deep
 * levels as `[Object]`, and the whole result bounded.
 *
 * @example
 * ```ts
 * import { inspect } from "@tw/core/conch/manhole";
 * const cyclic: Record<string, unknown> = { a: [1, "two"], m: new Map([["k", 1n]]) };
 * cyclic.self = cyclic;
 * console.log(inspect(cyclic)); // { a: [ 1, 'two' ], m: Map(1) { 'k' => 1n }, self: [Circular] }
 * ```
 */
export function inspect(value: unknown, options: InspectOptions = {}): string {
  const depth = options.depth ?? 2;
  const maxItems = options.maxArrayLength ?? 100;
  const maxString = options.maxStringLength ?? 10000;
  const maxLength = options.maxLength ?? 65536;
  const seen: object[] = [];
  let budget = maxLength * 2;

  const show = (v: unknown, level: number, indent: string): string => {
    if (budget <= 0) return "…";
    const text = showValue(v, level, indent);
    budget -= text.length;
    return text;
  };

  const showValue = (v: unknown, level: number, indent: string): string => {
    switch (typeof v) {
      case "undefined":
        return "undefined";
      case "string":
        return quote(v, maxString);
      case "number":
        return Object.is(v, -0) ? "-0" : String(v);
      case "bigint":
        return `${v}n`;
      case "boolean":
        return String(v);
      case "symbol":
        return v.toString();
      case "function":
        if (seen.includes(v)) return "[Circular]";
        return objectText(v, level, indent, functionText(v as (...args: unknown[]) => unknown));
      default:
        if (v === null) return "null";
        if (seen.includes(v as object)) return "[Circular]";
        return objectText(v as object, level, indent, null);
    }
  };

  const entriesOf = (obj: object, level: number, indent: string): string[] => {
    const items: string[] = [];
    let keys: (string | symbol)[];
    try {
      keys = Reflect.ownKeys(obj);
    } catch {
      return ["<keys threw>"];
    }
    for (const key of keys) {
      if (items.length >= maxItems) {
        items.push(`... ${keys.length - maxItems} more properties`);
        break;
      }
      let descriptor: PropertyDescriptor | undefined;
      try {
        descriptor = Reflect.getOwnPropertyDescriptor(obj, key);
      } catch {
        continue;
      }
      if (descriptor === undefined || !descriptor.enumerable) continue;
      if (Array.isArray(obj) || ArrayBuffer.isView(obj)) {
        if (typeof key === "string" && /^\d+$/.test(key)) continue;
        if (key === "length") continue;
      }
      const shown = "value" in descriptor
        ? show(descriptor.value, level + 1, indent + "  ")
        : descriptor.get && descriptor.set
        ? "[Getter/Setter]"
        : descriptor.get
        ? "[Getter]"
        : "[Setter]";
      items.push(`${keyText(key)}: ${shown}`);
    }
    return items;
  };

  const objectText = (obj: object, level: number, indent: string, fn: string | null): string => {
    try {
      if (fn !== null) {
        if (level > depth) return fn;
        seen.push(obj);
        const props = entriesOf(obj, level, indent).filter((p) => !p.startsWith("prototype:"));
        seen.pop();
        return props.length === 0 ? fn : wrap(`${fn} `, "{", "}", props, indent);
      }
      if (obj instanceof Error) {
        const stack = typeof obj.stack === "string" && obj.stack !== ""
          ? obj.stack
          : `${obj.name}: ${obj.message}`;
        return stack.includes(obj.message) || obj.message === ""
          ? stack
          : `${obj.name}: ${obj.message}`;
      }
      if (obj instanceof Date) {
        return Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString();
      }
      if (obj instanceof RegExp) return obj.toString();
      if (obj instanceof Promise) return "Promise { <state unknown> }";
      if (obj instanceof WeakMap || obj instanceof WeakSet) {
        return `${obj.constructor.name} { <items unknown> }`;
      }
      const proto = Object.getPrototypeOf(obj);
      const ctor = proto === null
        ? "[Object: null prototype]"
        : (typeof proto.constructor === "function" ? proto.constructor.name : "") || "Object";
      if (level > depth) return Array.isArray(obj) ? "[Array]" : `[${ctor}]`;
      seen.push(obj);
      try {
        if (Array.isArray(obj) || ArrayBuffer.isView(obj)) {
          const list = obj as ArrayLike<unknown>;
          const items: string[] = [];
          const n = Math.min(list.length, maxItems);
          for (let i = 0; i < n; i++) items.push(show(list[i], level + 1, indent + "  "));
          if (list.length > n) items.push(`... ${list.length - n} more items`);
          items.push(...entriesOf(obj, level, indent));
          const prefix = Array.isArray(obj)
            ? (ctor === "Array" ? "" : `${ctor}(${list.length}) `)
            : `${ctor}(${list.length}) `;
          return wrap(prefix, "[", "]", items, indent);
        }
        if (obj instanceof Map || obj instanceof Set) {
          const items: string[] = [];
          let count = 0;
          for (const entry of obj instanceof Map ? obj.entries() : obj.values()) {
            if (count++ >= maxItems) {
              items.push(`... ${obj.size - maxItems} more items`);
              break;
            }
            items.push(
              obj instanceof Map
                ? `${show((entry as [unknown, unknown])[0], level + 1, indent + "  ")} => ${
                  show((entry as [unknown, unknown])[1], level + 1, indent + "  ")
                }`
                : show(entry, level + 1, indent + "  "),
            );
          }
          return wrap(`${ctor}(${obj.size}) `, "{", "}", items, indent);
        }
        const items = entriesOf(obj, level, indent);
        return wrap(ctor === "Object" ? "" : `${ctor} `, "{", "}", items, indent);
      } finally {
        seen.pop();
      }
    } catch {
      return "<inspection threw>";
    }
  };

  const text = show(value, 0, "");
  return text.length > maxLength
    ? `${text.slice(0, maxLength)}... ${text.length - maxLength} more characters`
    : text;
}
