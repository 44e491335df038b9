/**
 * Where `tw web` writes its access log (twistd web's `--logfile`): a line
 * per finished request in the combined log format (`Site.log` with
 * `combinedLogFormatter`). Private to the web plugin.
 *
 * - `--logfile PATH`: appended to the file (relative to the working
 *   directory), opened at startup so a bad path fails there.
 * - `--logfile -`: standard output.
 * - no `--logfile`: the `tw` log, as twistd web logs requests to twistd's
 *   log (namespace `tw.web.access`).
 *
 * @module
 */
import { Logger } from "../../logger/mod.ts";
import type { PluginContext } from "../_plugins.ts";
import { describeError, resolvePath } from "../_runner.ts";

const log = new Logger("tw.web.access");

/**
 * What `Site.logFile` takes: something to write lines to.
 *
 * @example
 * ```ts
 * import type { AccessLogFile } from "./_web_access_log.ts";
 * const lines: string[] = [];
 * const memory: AccessLogFile = { write: (text) => void lines.push(text) };
 * memory.write("a line\n");
 * ```
 */
export interface AccessLogFile {
  /** Writes one line, newline included. */
  write(text: string): void;
}

/**
 * Opens the access log named by `--logfile` (see the module's doc).
 * @param logfile the option's value, or undefined when it was not given
 * @param context the plugin context: working directory, stdout, file opener
 * @returns where `Site` writes its lines
 * @throws {Error} when the file cannot be opened, naming it and the cause
 * @example
 * ```ts
 * import { openAccessLog } from "./_web_access_log.ts";
 * import { Data, Site } from "@tw/core/web";
 * import { reactor } from "@tw/core";
 * const site = new Site(new Data("hi", "text/plain"));
 * site.logFile = openAccessLog("-", { reactor, cwd: reactor.runtime.cwd() });
 * ```
 */
export function openAccessLog(logfile: string | undefined, context: PluginContext): AccessLogFile {
  if (logfile === undefined) {
    return { write: (text) => log.info("{line}", { line: text.replace(/\n$/, "") }) };
  }
  if (logfile === "-") {
    const stdout = context.stdout ?? ((text: string) => context.reactor.runtime.writeStdout(text));
    return { write: (text) => stdout(text) };
  }
  const path = resolvePath(context.cwd, logfile);
  if (context.openLogFile === undefined) {
    throw new Error(`Cannot open access log ${path}: this host cannot append to files`);
  }
  let write: (text: string) => void;
  try {
    write = context.openLogFile(path);
  } catch (error) {
    throw new Error(`Cannot open access log ${path}: ${describeError(error)}`, { cause: error });
  }
  return { write };
}
