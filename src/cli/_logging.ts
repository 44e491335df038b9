/**
 * Where the `tw` command's log goes (`--logfile`, `--log-format`): an
 * observer writing text lines or JSON lines to standard output or to a file
 * the host appends to. Private to src/cli.
 *
 * @module
 */
import { jsonFileLogObserver, textFileLogObserver } from "../logger/mod.ts";
import type { ILogObserver } from "../logger/mod.ts";

/** The log formats `--log-format` accepts. */
export type LogFormat = "text" | "json";

/** Where log text can go. */
export interface LogSinks {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Opens `path` for appending and returns a writer; throws when it cannot. */
  openLogFile?(path: string): (text: string) => void;
}

/**
 * Makes the observer for `--logfile` (`-` or undefined: standard output) in
 * `format`. Throws when the file cannot be opened, with the path and cause.
 *
 * @example
 * ```ts
 * import { makeLogObserver } from "@tw/core/cli";
 * import { Logger } from "@tw/core/logger";
 *
 * const observer = makeLogObserver("-", "json", { stdout: (text) => console.log(text.trim()) });
 * new Logger("demo", observer).info("Hello {name}", { name: "tw" });
 * // {"name":"tw","log_format":"Hello {name}","log_level":"info","log_namespace":"demo",...}
 * ```
 */
export function makeLogObserver(
  logfile: string | undefined,
  format: LogFormat,
  sinks: LogSinks,
): ILogObserver {
  let write: (text: string) => void;
  if (logfile === undefined || logfile === "-") {
    write = (text) => sinks.stdout(text);
  } else {
    if (sinks.openLogFile === undefined) {
      throw new Error(`Cannot open log file ${logfile}: this host cannot append to files`);
    }
    try {
      write = sinks.openLogFile(logfile);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(`Cannot open log file ${logfile}: ${why}`, { cause: error });
    }
  }
  return format === "json" ? jsonFileLogObserver(write) : textFileLogObserver(write);
}
