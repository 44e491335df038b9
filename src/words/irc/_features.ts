/**
 * `ServerSupportedFeatures`: what a server announced in RPL_ISUPPORT (005).
 * Private: re-exported by `mod.ts`.
 * @module
 */

/** CHANMODES split into its four groups. */
export interface ChanModes {
  /** Modes that take an address (list modes, e.g. `b`). */
  addressModes: string;
  /** Modes that always take a parameter (e.g. `k`). */
  param: string;
  /** Modes that take a parameter only when set (e.g. `l`). */
  setParam: string;
  /** Modes that never take a parameter. */
  noParam: string;
}

/** PREFIX: each mode's status symbol and rank (0 the highest). */
export type PrefixMap = Record<string, [symbol: string, priority: number]>;

function intOrDefault(value: string | undefined, fallback: unknown = null): unknown {
  if (value && /^\s*[-+]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  return fallback;
}

function unescapeValue(value: string): string {
  if (!value.includes("\\x")) return value;
  return value.replace(
    /\\x([0-9A-Fa-f]{2})/g,
    (_m, h: string) => String.fromCharCode(parseInt(h, 16)),
  );
}

function splitArgs(
  params: string[],
  process: (v: string) => unknown = (v) => v,
): [string, unknown][] {
  return params.map((p) => {
    const i = p.indexOf(":");
    return i < 0 ? [p, process("")] : [p.slice(0, i), process(p.slice(i + 1))];
  });
}

function parsePrefix(prefix: string): PrefixMap | null {
  if (!prefix) return null;
  const m = /^\(([^)]*)\)(.*)$/.exec(prefix);
  if (m === null) throw new SyntaxError(`Malformed PREFIX: ${prefix}`);
  const [, modes, symbols] = m;
  const out: PrefixMap = {};
  for (let i = 0; i < Math.min(modes.length, symbols.length); i++) out[modes[i]] = [symbols[i], i];
  return out;
}

function parseChanModes(params: string[]): ChanModes {
  if (params.length > 4) throw new SyntaxError("Too many CHANMODES groups");
  return {
    addressModes: params[0] ?? "",
    param: params[1] ?? "",
    setParam: params[2] ?? "",
    noParam: params[3] ?? "",
  };
}

/**
 * The features a server announced in RPL_ISUPPORT (Twisted's
 * `ServerSupportedFeatures`), with Twisted's defaults until it does
 * (CHANNELLEN 200, CHANTYPES `#&`, MODES 3, NICKLEN 9, PREFIX `(ovh)@+%`,
 * CHANMODES `b,,lk,`). Known features are parsed as Twisted parses them;
 * others are kept as their list of values; `-NAME` removes one.
 *
 * @example
 * ```ts
 * import { ServerSupportedFeatures } from "@tw/core/words/irc";
 * const supported = new ServerSupportedFeatures();
 * supported.parse(["NICKLEN=30", "CHANTYPES=#", "NETWORK=Example", "PREFIX=(ov)@+"]);
 * console.log(supported.getFeature("NICKLEN"), supported.getFeature("NETWORK")); // 30 Example
 * console.log(supported.getFeature("PREFIX")); // { o: [ "@", 0 ], v: [ "+", 1 ] }
 * ```
 */
export class ServerSupportedFeatures {
  #features = new Map<string, unknown>([
    ["CHANNELLEN", 200],
    ["CHANTYPES", ["#", "&"]],
    ["MODES", 3],
    ["NICKLEN", 9],
    ["PREFIX", parsePrefix("(ovh)@+%")],
    ["CHANMODES", parseChanModes(["b", "", "lk", ""])],
  ]);

  /**
   * A feature's parsed value, or `fallback` when it is not supported.
   * @param feature the feature's name, e.g. `"NICKLEN"`
   * @param fallback what to return when absent
   */
  getFeature<T = unknown>(feature: string, fallback: T | null = null): T | null {
    return this.#features.has(feature) ? this.#features.get(feature) as T : fallback;
  }

  /**
   * Whether the server announced a feature (or it has a default).
   * @param feature the feature's name
   */
  hasFeature(feature: string): boolean {
    return this.getFeature(feature) !== null;
  }

  /**
   * Parses RPL_ISUPPORT parameters (`NAME`, `NAME=VALUE`, `-NAME`); a
   * malformed value of a known feature is ignored.
   * @param params the parameters between the nick and the final text
   */
  parse(params: readonly string[]): void {
    for (const param of params) {
      const eq = param.indexOf("=");
      const key = eq < 0 ? param : param.slice(0, eq);
      const values = (eq < 0 ? "" : param.slice(eq + 1)).split(",").map(unescapeValue);
      if (key === "" || key === "-") continue;
      if (key.startsWith("-")) {
        this.#features.delete(key.slice(1));
        continue;
      }
      try {
        this.#features.set(key, this.#parseOne(key, values));
      } catch {
        // a malformed value: keep what we had
      }
    }
  }

  #parseOne(key: string, params: string[]): unknown {
    switch (key) {
      case "CHANLIMIT":
      case "MAXLIST":
        return splitArgs(params, (v) => intOrDefault(v));
      case "CHANMODES":
        return parseChanModes(params);
      case "CHANNELLEN":
      case "NICKLEN":
        return intOrDefault(params[0], this.getFeature(key));
      case "CHANTYPES":
        return [...params[0]];
      case "EXCEPTS":
        return params[0] || "e";
      case "INVEX":
        return params[0] || "I";
      case "IDCHAN":
        return splitArgs(params);
      case "KICKLEN":
      case "MODES":
      case "TOPICLEN":
        return intOrDefault(params[0]);
      case "NETWORK":
      case "STATUSMSG":
        return params[0];
      case "PREFIX":
        return parsePrefix(params[0]);
      case "SAFELIST":
        return true;
      case "TARGMAX":
        return Object.fromEntries(splitArgs(params, (v) => intOrDefault(v)));
      default:
        return params;
    }
  }
}
