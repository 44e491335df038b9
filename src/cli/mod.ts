/**
 * The `tw` command (Twisted's `twistd`): runs a plugin's service or an
 * application module in the foreground.
 *
 *     tw [options] PLUGIN [plugin options]
 *     tw [options] -y app.ts
 *
 * From the repository: `deno run -A runtimes/cli.ts`, `bun runtimes/cli.ts`
 * or `node runtimes/cli.ts`, each followed by the arguments.
 *
 * Options: `--logfile PATH` (`-`, the default, is standard output),
 * `--log-format text|json`, `--pidfile PATH` (refused while a live process
 * owns it, replaced when stale, removed on exit), `--rundir DIR`,
 * `--umask 022`, `--plugin MODULE` (repeatable), `--config tw.json`,
 * `--help`, `--version`, `--runtime`, and `-n` / `--nodaemon` (accepted
 * and ignored, for twistd's users). Built-in plugins: `echo`, `inetd`, `mail`,
 * `portforward`, `procmon`, `socks`, `web`; `tw PLUGIN --help` shows a plugin's
 * options.
 *
 * User plugins are modules exporting an `IServiceMaker` as `serviceMaker`,
 * `serviceMakers` (a list) or their default export. They are loaded from, in
 * order: the `TW_PLUGINS` environment variable (module paths or URLs
 * separated by commas, relative to the working directory), the `plugins`
 * list of the JSON file given with `--config` (relative to that file), and
 * each `--plugin MODULE`. A later plugin with a built-in's name replaces it.
 *
 * Exit status: 0 after SIGINT / SIGTERM stopped the service tree cleanly (or
 * after `--help`), 2 for a bad command line, 1 when startup fails (a port in
 * use, a missing file); errors are one line on standard error, such as
 * `tw: Cannot listen on 127.0.0.1:8080: address in use`. Each listener logs
 * `<Factory> listening on <host>:<port>` once bound, those of a `-y`
 * application too. A `-y` module that throws while it loads has its stack
 * logged before the one-line error.
 *
 * Daemonizing: `tw` stays in the foreground, as `twistd --nodaemon`. Run it
 * under a supervisor that restarts it and collects its output: a systemd
 * unit (`ExecStart=/usr/bin/deno run -A jsr:@tw/core/cli web --port 8080`,
 * `Restart=on-failure`; systemd sends SIGTERM to stop), a container
 * (`CMD ["deno", "run", "-A", "jsr:@tw/core/cli", "web"]`; `docker stop`
 * sends SIGTERM), or any process manager.
 *
 * @example
 * ```ts ignore
 * import { run } from "@tw/core/cli";
 * import { reactor } from "@tw/core";
 * const status = await run(["echo", "--port", "8007"], reactor);
 * ```
 * @module
 */
import type { Reactor } from "../internet/reactor.ts";
import { type CliHost, runCommand } from "./_runner.ts";
import { builtinPlugins } from "./plugins/mod.ts";

export {
  coerceChoice,
  coerceFloat,
  coerceInt,
  coercePort,
  type Coercer,
  type FlagSpec,
  HelpRequested,
  Options,
  type ParameterSpec,
  type SubCommandSpec,
  UsageError,
} from "./_usage.ts";
export {
  type IServiceMaker,
  moduleURL,
  type PluginContext,
  PluginRegistry,
  ServiceMaker,
  serviceMakersOf,
} from "./_plugins.ts";
export {
  type CliHost,
  describeError,
  EXIT_FAILURE,
  EXIT_USAGE,
  PLUGINS_ENV,
  resolvePath,
  runCommand,
  TwOptions,
} from "./_runner.ts";
export { PidFile, PidFileInUseError, type PidFileRuntime } from "./_pidfile.ts";
export { type LogFormat, type LogSinks, makeLogObserver } from "./_logging.ts";
export {
  ProcessMonitor,
  type ProcessMonitorOptions,
  type ProcessMonitorReactor,
  type ProcessOptions,
} from "./_procmon.ts";
export {
  isWorker,
  WORKER_ENV,
  type WorkerReactor,
  WorkerService,
  type WorkerServiceOptions,
} from "./_workers.ts";
export { InetdFactory, type InetdFactoryOptions, InetdProtocol, splitCommand } from "./_inetd.ts";
export {
  escapeEndpointValue,
  formatAddress,
  listenDescriptions,
  ListeningService,
  listeningTree,
} from "./_serve.ts";
export { VERSION } from "./_version.ts";
export * from "./plugins/mod.ts";

/**
 * Runs the `tw` command with the built-in plugins: `argv` are the words
 * after the program name. Resolves with the exit status; does not exit.
 * @param argv the command line after `tw`
 * @param reactor the reactor to run
 * @param host output, log files and facts about the runtime
 * @example
 * ```ts
 * import { run } from "@tw/core/cli";
 * import { reactor } from "@tw/core";
 * const status = await run(["--version"], reactor, {
 *   stdout: (text) => console.log(text.trim()), // "tw (@tw/core) 0.1.0"
 * });
 * console.log(status); // 0
 * ```
 */
export function run(
  argv: readonly string[],
  reactor: Reactor,
  host: CliHost = {},
): Promise<number> {
  return runCommand(argv, reactor, { plugins: builtinPlugins, ...host });
}
