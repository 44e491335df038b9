/**
 * Which adapter to load: detection of the running runtime, honouring
 * `TW_RUNTIME`. Side-effect free, so it can be tested with fake globals.
 * Private to runtimes/ (select.ts re-exports it).
 *
 * @module
 */

/** The adapters shipped with @tw/core. */
export type RuntimeName = "deno" | "bun" | "node";

const NAMES: readonly RuntimeName[] = ["deno", "bun", "node"];

/** What detection looks at; tests pass fakes. */
export interface DetectContext {
  /** The global object to probe for `Deno` / `Bun`. @default globalThis */
  globals?: object;
  /** The value of `TW_RUNTIME`. @default read from the environment */
  env?: string | undefined;
}

/** The runtime this code runs on: Deno, then Bun, then Node (Deno and Bun also look like Node). */
export function detectRuntime(globals: object = globalThis): RuntimeName {
  if ("Deno" in globals && (globals as { Deno?: unknown }).Deno) return "deno";
  if ("Bun" in globals && (globals as { Bun?: unknown }).Bun) return "bun";
  return "node";
}

/**
 * Chooses the adapter: `name` when given, else `TW_RUNTIME`, else detection.
 * `node` may be forced on any runtime (Deno and Bun implement node:); `deno`
 * and `bun` only on their own runtime. Throws RangeError for an unknown name
 * and Error for an adapter that cannot run here.
 */
export function selectRuntime(name?: string, context: DetectContext = {}): RuntimeName {
  const globals = context.globals ?? globalThis;
  const env = "env" in context ? context.env : readEnv(globals, "TW_RUNTIME");
  const wanted = (name ?? env ?? "").trim().toLowerCase();
  const detected = detectRuntime(globals);
  if (wanted === "") return detected;
  if (!NAMES.includes(wanted as RuntimeName)) {
    const source = name === undefined ? "TW_RUNTIME" : "runtime name";
    throw new RangeError(`Unknown ${source}: ${wanted} (expected deno, bun or node)`);
  }
  if (wanted !== "node" && wanted !== detected) {
    throw new Error(`Cannot use the ${wanted} adapter: this code runs on ${detected}`);
  }
  return wanted as RuntimeName;
}

/** Reads an environment variable without triggering Deno's permission prompt. */
function readEnv(globals: object, variable: string): string | undefined {
  const g = globals as {
    Deno?: {
      env: { get(name: string): string | undefined };
      permissions?: { querySync?(d: { name: "env"; variable: string }): { state: string } };
    };
    process?: { env?: Record<string, string | undefined> };
  };
  try {
    if (g.Deno) {
      const state = g.Deno.permissions?.querySync?.({ name: "env", variable }).state;
      return state === "granted" ? g.Deno.env.get(variable) : undefined;
    }
    return g.process?.env?.[variable];
  } catch {
    return undefined;
  }
}
