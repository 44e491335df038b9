/**
 * User modules named on the command line: `tw -y app.ts` and `tw web
 * --class / --resource-script / --fetch-app`. A module that exists but
 * throws while it loads has its stack logged (twistd logs the traceback of
 * a failing `.tac` file), so the one-line error on standard error is not
 * all the user sees; a module that does not exist gets no stack. Private to
 * src/cli.
 *
 * @module
 */
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { Logger } from "../../logger/mod.ts";
import { moduleURL } from "../_plugins.ts";

const log = new Logger("tw");

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Splits `MODULE#NAME` (`./root.ts#Root`, `jsr:@me/site#app`) into the
 * module and the export's name; without `#NAME` the name is `fallback`. Only
 * a `#` followed by an identifier splits, so URLs and paths stay whole.
 *
 * @param spec the command line's value
 * @param fallback the export's name when `spec` names none
 * @returns the module path or URL, and the export's name
 * @example
 * ```ts
 * import { splitExportSpec } from "./_modules.ts";
 * console.log(splitExportSpec("./root.ts#Root", "default")); // { module: "./root.ts", name: "Root" }
 * console.log(splitExportSpec("https://x.test/a.ts", "default").name); // "default"
 * ```
 */
export function splitExportSpec(spec: string, fallback: string): { module: string; name: string } {
  const hash = spec.lastIndexOf("#");
  if (hash > 0 && IDENTIFIER.test(spec.slice(hash + 1))) {
    return { module: spec.slice(0, hash), name: spec.slice(hash + 1) };
  }
  return { module: spec, name: fallback };
}

async function moduleExists(url: string, fs: Pick<RuntimeFileSystem, "stat">): Promise<boolean> {
  if (!url.startsWith("file:")) return true;
  try {
    await fs.stat(decodeURIComponent(new URL(url).pathname));
    return true;
  } catch {
    return false;
  }
}

/**
 * Imports a module given as a path (relative to `cwd`) or a URL. When the
 * import fails and the module is there, the error's stack is logged before
 * the error is thrown on.
 *
 * @param specifier the path or URL
 * @param cwd the directory relative paths start from
 * @param fs where to check that a file exists
 * @returns the module's exports
 * @example
 * ```ts
 * import { importModule } from "./_modules.ts";
 * import { reactor } from "@tw/core";
 * const load = (path: string) => importModule(path, reactor.runtime.cwd(), reactor.runtime);
 * console.log(typeof load); // "function"
 * ```
 */
export async function importModule(
  specifier: string,
  cwd: string,
  fs: Pick<RuntimeFileSystem, "stat">,
): Promise<Record<string, unknown>> {
  const url = moduleURL(specifier, cwd);
  try {
    return await import(url) as Record<string, unknown>;
  } catch (error) {
    if (await moduleExists(url, fs)) {
      log.failure("Module {module} failed to load", error, "error", { module: specifier });
    }
    throw error;
  }
}
