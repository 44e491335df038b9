/**
 * The `procmon` plugin: supervises processes (`twisted.runner.procmontap`).
 *
 *     tw procmon [options] PROGRAM [ARGS...]
 *     tw procmon --config processes.json
 *
 * The config file names processes: `{"processes": {"api": {"args": ["node",
 * "api.js"], "env": {"PORT": "8081"}, "cwd": "/srv/api"}}}`. Each line a
 * process prints is logged as `[name] line`.
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { ProcessMonitor, type ProcessOptions } from "../_procmon.ts";
import { describeError, resolvePath } from "../_runner.ts";
import { coerceFloat, Options, type ParameterSpec, UsageError } from "../_usage.ts";

/**
 * Options of `tw procmon` (Twisted's names and defaults).
 *
 * @example
 * ```ts
 * import { ProcmonOptions } from "@tw/core/cli";
 * const options = new ProcmonOptions();
 * options.parseOptions(["--killtime", "10", "node", "server.js", "--port", "8080"]);
 * console.log(options.opts.killtime); // 10
 * console.log(options.opts.command); // [ "node", "server.js", "--port", "8080" ]
 * ```
 */
export class ProcmonOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string = "Runs processes and restarts them when they die, with backoff. " +
    "Options end at the program's name: its own options follow it.";
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "threshold",
      default: 1,
      coerce: coerceFloat,
      doc: "Seconds a process must live for its restart delay to reset.",
    },
    {
      name: "killtime",
      default: 5,
      coerce: coerceFloat,
      doc: "Seconds between SIGTERM and SIGKILL when stopping.",
    },
    { name: "minrestartdelay", default: 1, coerce: coerceFloat, doc: "First restart delay." },
    { name: "maxrestartdelay", default: 3600, coerce: coerceFloat, doc: "Longest restart delay." },
    { name: "config", metavar: "FILE", doc: "A JSON file of processes to run." },
  ];

  /** Takes the program and its arguments. */
  override parseArgs(...args: string[]): void {
    this.opts.command = args;
  }

  /** Checks the combination of options; throws `UsageError`. */
  override postOptions(): void {
    const command = this.opts.command as string[];
    if (command.length === 0 && this.opts.config === undefined) {
      throw new UsageError("Give a program to run, or --config");
    }
  }
}

interface ConfigEntry {
  args: string[];
  options: ProcessOptions;
}

function parseConfig(text: string, file: string): Map<string, ConfigEntry> {
  const bad = (why: string): never => {
    throw new Error(`Bad procmon config ${file}: ${why}`);
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return bad(describeError(error));
  }
  const processes = (data as { processes?: unknown } | null)?.processes;
  if (processes === null || typeof processes !== "object" || Array.isArray(processes)) {
    return bad('"processes" must be an object of name: {args, env?, cwd?}');
  }
  const found = new Map<string, ConfigEntry>();
  for (const [name, value] of Object.entries(processes as Record<string, unknown>)) {
    const v = value as { args?: unknown; env?: unknown; cwd?: unknown };
    if (
      !Array.isArray(v?.args) || v.args.length === 0 || !v.args.every((a) => typeof a === "string")
    ) {
      bad(`process ${name}: "args" must be a non-empty list of strings`);
    }
    if (v.env !== undefined && (typeof v.env !== "object" || v.env === null)) {
      bad(`process ${name}: "env" must be an object`);
    }
    if (v.cwd !== undefined && typeof v.cwd !== "string") {
      bad(`process ${name}: "cwd" must be a string`);
    }
    found.set(name, {
      args: v.args as string[],
      options: {
        env: v.env as Record<string, string> | undefined,
        cwd: v.cwd as string | undefined,
      },
    });
  }
  return found;
}

/** The `procmon` plugin. */
export const procmonPlugin: IServiceMaker = {
  tapname: "procmon",
  description: "A process monitor: runs processes and restarts them when they die",
  options: ProcmonOptions,
  async makeService(options: Options, context: PluginContext): Promise<IService> {
    const opts = options.opts;
    const monitor = new ProcessMonitor({
      reactor: context.reactor,
      threshold: opts.threshold as number,
      killTime: opts.killtime as number,
      minRestartDelay: opts.minrestartdelay as number,
      maxRestartDelay: opts.maxrestartdelay as number,
    });
    if (opts.config !== undefined) {
      const file = resolvePath(context.cwd, opts.config as string);
      let text: string;
      try {
        text = new TextDecoder().decode(await context.reactor.runtime.readFile(file));
      } catch (error) {
        throw new Error(`Cannot read procmon config ${opts.config}: ${describeError(error)}`);
      }
      for (const [name, entry] of parseConfig(text, opts.config as string)) {
        const cwd = entry.options.cwd === undefined
          ? undefined
          : resolvePath(context.cwd, entry.options.cwd);
        monitor.addProcess(name, entry.args, { ...entry.options, cwd });
      }
    }
    const command = opts.command as string[];
    if (command.length > 0) {
      const name = command[0].replace(/^.*[\\/]/, "");
      monitor.addProcess(monitor.processes.includes(name) ? `${name}-cli` : name, command);
    }
    return monitor;
  },
};
