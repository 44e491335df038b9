/**
 * The `tw` command's runner (`twistd`): parses the command line, loads user
 * plugins, sets up logging, the pid file, umask and run directory, makes the
 * service tree from a plugin or an application module, runs the reactor and
 * stops the tree on SIGINT / SIGTERM. Private to src/cli; mod.ts re-exports it.
 *
 * @module
 */
import type { Reactor } from "../internet/reactor.ts";
import { globalLogBeginner, type ILogObserver, Logger } from "../logger/mod.ts";
import { type LogFormat, makeLogObserver } from "./_logging.ts";
import { PidFile } from "./_pidfile.ts";
import {
  type IService,
  isService,
  loadApplication as importApplication,
  startApplication,
} from "../application/mod.ts";
import {
  type IServiceMaker,
  moduleURL,
  type PluginContext,
  PluginRegistry,
  ServiceMaker,
} from "./_plugins.ts";
import {
  coerceChoice,
  type FlagSpec,
  HelpRequested,
  Options,
  type ParameterSpec,
  UsageError,
} from "./_usage.ts";
import { VERSION } from "./_version.ts";
import { formatAddress, ListeningService } from "./_serve.ts";
import { importModule } from "./plugins/_modules.ts";
import type { IListeningPort } from "../internet/interfaces.ts";

const log = new Logger("tw");

/** Exit status of a bad command line (as getopt-style tools). */
export const EXIT_USAGE = 2;
/** Exit status of a failed startup (port in use, missing file...). */
export const EXIT_FAILURE = 1;

/** The environment variable naming user plugin modules, separated by commas. */
export const PLUGINS_ENV = "TW_PLUGINS";

/**
 * What the runner needs beyond the reactor; `runtimes/cli.ts` fills it in for
 * the real program, tests pass fakes. Every member has a default from
 * `reactor.runtime`.
 */
export interface CliHost {
  /** Writes to standard output. @default {reactor.runtime.writeStdout} */
  stdout?(text: string): void;
  /** Writes to standard error. @default {reactor.runtime.writeStderr} */
  stderr?(text: string): void;
  /** Opens a file for appending log text (`--logfile PATH`); absent: only `-` works. */
  openLogFile?(path: string): (text: string) => void;
  /** The runtime's own name and version, for `--runtime` ("Deno 2.9.6"). */
  runtimeVersion?: string;
  /** Starts logging to the observers. @default {globalLogBeginner.beginLoggingTo} */
  beginLogging?(observers: ILogObserver[]): void;
  /** The built-in plugins. @default {none: mod.ts's `run` passes the built-ins} */
  plugins?: Iterable<IServiceMaker>;
}

function parseUmask(value: string): number {
  if (!/^0?[0-7]{1,4}$/.test(value)) {
    throw new Error(`${JSON.stringify(value)} is not an octal mode`);
  }
  return Number.parseInt(value, 8);
}

/**
 * The top-level options of `tw` (twistd's `ServerOptions`).
 *
 * @example
 * ```ts
 * import { echoPlugin, TwOptions } from "@tw/core/cli";
 * const options = new TwOptions([echoPlugin]);
 * options.parseOptions(["--pidfile", "tw.pid", "echo", "--port", "9000"]);
 * console.log(options.opts.pidfile, options.subCommand); // tw.pid echo
 * console.log(options.subOptions?.opts.port); // 9000
 * ```
 */
export class TwOptions extends Options {
  /** The usage line. */
  override synopsis: string = "tw [options] PLUGIN [plugin options]  |  tw [options] -y app.ts";
  /** What the command does, for the help. */
  override longdesc: string =
    "Runs a plugin's service, or the `application` an app module exports, in the " +
    "foreground until SIGINT or SIGTERM. To daemonize, use systemd, a container or " +
    "another supervisor.";
  /** The plugins are the sub-commands. */
  override subCommandsHeading: string = "Plugins";
  /** The flags. */
  override optFlags: FlagSpec[] = [
    { name: "version", doc: "Print the version and exit." },
    { name: "runtime", doc: "Print which runtime and adapter run tw, and exit." },
    {
      name: "nodaemon",
      short: "n",
      doc: "Accepted for twistd's sake: tw always runs in the foreground.",
    },
  ];
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    { name: "app", short: "y", doc: "Run the `application` exported by this module." },
    { name: "logfile", short: "l", doc: "Log to this file; - for standard output.", default: "-" },
    {
      name: "log-format",
      doc: "Log as text lines or JSON lines.",
      default: "text",
      coerce: coerceChoice(["text", "json"] as const),
    },
    { name: "pidfile", doc: "Write the process id to this file; remove it on exit." },
    { name: "rundir", short: "d", doc: "Change to this directory before starting." },
    { name: "umask", doc: "Set the file creation mask (octal).", coerce: parseUmask },
    {
      name: "plugin",
      doc: "Load plugins from this module path or URL.",
      multiple: true,
      metavar: "MODULE",
    },
    {
      name: "config",
      doc: 'Load plugins listed in this JSON file: {"plugins": ["./my_plugin.ts"]}.',
      metavar: "FILE",
    },
  ];

  /**
   * Makes the options with one sub-command per plugin.
   * @param plugins the plugins `tw PLUGIN` may name
   */
  constructor(plugins: readonly IServiceMaker[] = []) {
    super();
    this.subCommands = plugins.map((maker) => ({
      name: maker.tapname,
      doc: maker.description,
      options: () => new maker.options(),
    }));
  }

  /** Checks the combination of options; throws `UsageError`. */
  override postOptions(): void {
    if (this.opts.version || this.opts.runtime) return;
    if (this.opts.app !== undefined && this.subCommand !== undefined) {
      throw new UsageError(`Give either a plugin or -y, not both (got ${this.subCommand} and -y)`);
    }
    if (this.opts.app === undefined && this.subCommand === undefined) {
      const names = this.subCommands.map((s) => s.name).join(", ");
      throw new UsageError(`No plugin given: name one of ${names}, or use -y app.ts`);
    }
  }
}

/**
 * Finds `--plugin` and `--config` before the plugins are known (they decide
 * which plugins exist); the full parse comes later.
 */
function prescan(argv: readonly string[]): { plugins: string[]; config: string | undefined } {
  const plugins: string[] = [];
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === "--" || !word.startsWith("-")) break;
    for (const name of ["plugin", "config"]) {
      let value: string | undefined;
      if (word === `--${name}`) value = argv[++i];
      else if (word.startsWith(`--${name}=`)) value = word.slice(name.length + 3);
      else continue;
      if (value === undefined) break;
      if (name === "plugin") plugins.push(value);
      else config = value;
    }
  }
  return { plugins, config };
}

/**
 * `dir` joined with `path` unless `path` is absolute.
 *
 * @example
 * ```ts
 * import { resolvePath } from "@tw/core/cli";
 * console.log(resolvePath("/srv/app", "logs/tw.log")); // "/srv/app/logs/tw.log"
 * console.log(resolvePath("/srv/app", "/var/log/tw.log")); // "/var/log/tw.log"
 * ```
 */
export function resolvePath(dir: string, path: string): string {
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)) return path;
  return `${dir.replace(/[\\/]+$/, "")}/${path}`;
}

/**
 * One line describing an error: its message (a Failure's error message), no stack.
 *
 * @example
 * ```ts
 * import { describeError } from "@tw/core/cli";
 * import { Failure } from "@tw/core";
 * const error = new Error("Cannot read tw.json\nmore detail");
 * console.log(describeError(error)); // "Cannot read tw.json"
 * console.log(describeError(new Failure(new RangeError("Bad port")))); // "Bad port"
 * ```
 */
export function describeError(error: unknown): string {
  const failure = error as { getErrorMessage?: () => string } | null;
  if (failure && typeof failure.getErrorMessage === "function") {
    return failure.getErrorMessage().split("\n")[0];
  }
  if (error instanceof Error) return (error.message || error.name).split("\n")[0];
  return String(error);
}

async function loadUserPlugins(
  registry: PluginRegistry,
  argv: readonly string[],
  reactor: Reactor,
): Promise<void> {
  const runtime = reactor.runtime;
  const cwd = runtime.cwd();
  const { plugins, config } = prescan(argv);
  const fromEnv = (runtime.env(PLUGINS_ENV) ?? "").split(",").map((s) => s.trim())
    .filter((s) => s !== "");
  for (const specifier of fromEnv) await registry.load(specifier, cwd);
  if (config !== undefined) {
    const path = resolvePath(cwd, config);
    let listed: unknown;
    try {
      listed = JSON.parse(new TextDecoder().decode(await runtime.readFile(path))).plugins;
    } catch (error) {
      throw new Error(`Cannot read config file ${config}: ${describeError(error)}`, {
        cause: error,
      });
    }
    if (!Array.isArray(listed) || !listed.every((s) => typeof s === "string")) {
      throw new Error(`Config file ${config}: "plugins" must be a list of module paths or URLs`);
    }
    const dir = path.replace(/[\\/][^\\/]*$/, "") || "/";
    for (const specifier of listed as string[]) await registry.load(specifier, dir);
  }
  for (const specifier of plugins) await registry.load(specifier, cwd);
}

async function loadApplication(path: string, cwd: string, reactor: Reactor): Promise<IService> {
  try {
    // Imported first so that a module throwing while it loads has its stack logged.
    await importModule(path, cwd, reactor.runtime);
    return await importApplication(moduleURL(path, cwd));
  } catch (error) {
    throw new Error(`Cannot load application module ${path}: ${describeError(error)}`, {
      cause: error,
    });
  }
}

/**
 * Runs the `tw` command with `argv` (the words after the program name) on
 * `reactor`, and resolves with the exit status: 0 after a clean shutdown or
 * `--help`, 2 for a bad command line, 1 when startup fails. Errors are
 * printed as one line on standard error. Does not exit the process.
 *
 * @param argv the command line after `tw`
 * @param reactor the reactor to run (its runtime provides files, signals, stdio)
 * @param host output, log files, version facts and the built-in plugins
 * @example
 * ```ts
 * import { type IServiceMaker, Options, runCommand } from "@tw/core/cli";
 * import { Service } from "@tw/core/application";
 * import { reactor } from "@tw/core";
 *
 * const hello: IServiceMaker = {
 *   tapname: "hello",
 *   description: "Runs an empty service",
 *   options: Options,
 *   makeService: () => new Service(),
 * };
 * const status = await runCommand(["--help"], reactor, {
 *   plugins: [hello],
 *   stdout: (text) => console.log(text.includes("Runs an empty service")), // true
 * });
 * console.log(status); // 0
 * ```
 */
export async function runCommand(
  argv: readonly string[],
  reactor: Reactor,
  host: CliHost = {},
): Promise<number> {
  const runtime = reactor.runtime;
  const stdout = host.stdout ?? ((text: string) => runtime.writeStdout(text));
  const stderr = host.stderr ?? ((text: string) => runtime.writeStderr(text));
  const fail = (message: string, code: number): number => {
    stderr(`tw: ${message}\n`);
    return code;
  };

  const registry = new PluginRegistry(host.plugins ?? []);
  try {
    await loadUserPlugins(registry, argv, reactor);
  } catch (error) {
    return fail(describeError(error), EXIT_FAILURE);
  }

  // A lazy plugin named on the command line is imported now: parsing needs its
  // options. The others stay unloaded (`tw --help` shows only their names).
  try {
    for (const word of new Set(argv)) {
      const maker = registry.get(word);
      if (maker instanceof ServiceMaker) registry.register(await maker.load());
    }
  } catch (error) {
    return fail(describeError(error), EXIT_FAILURE);
  }

  const options = new TwOptions(registry.list());
  try {
    options.parseOptions(argv);
  } catch (error) {
    if (error instanceof HelpRequested) {
      stdout(error.usage);
      return 0;
    }
    if (error instanceof UsageError) {
      const help = error.command === undefined ? "tw --help" : `tw ${error.command} --help`;
      return fail(`${error.message} (see ${help})`, EXIT_USAGE);
    }
    return fail(describeError(error), EXIT_USAGE);
  }
  const opts = options.opts;
  if (opts.version) {
    stdout(`tw (@tw/core) ${VERSION}\n`);
    return 0;
  }
  if (opts.runtime) {
    const version = host.runtimeVersion ? ` on ${host.runtimeVersion}` : "";
    stdout(`${runtime.name} adapter${version}\n`);
    return 0;
  }

  const cwd = runtime.cwd();
  if (opts.umask !== undefined) runtime.umask(opts.umask as number);

  const command = options.subCommand === undefined ? undefined : registry.get(options.subCommand);
  if (command?.run !== undefined) {
    try {
      return await command.run(options.subOptions!, { reactor, cwd, stdout });
    } catch (error) {
      if (error instanceof UsageError) {
        return fail(`${error.message} (see tw ${command.tapname} --help)`, EXIT_USAGE);
      }
      return fail(describeError(error), EXIT_FAILURE);
    }
  }

  try {
    const observer = makeLogObserver(
      opts.logfile === "-" ? undefined : resolvePath(cwd, opts.logfile as string),
      opts["log-format"] as LogFormat,
      { stdout, openLogFile: host.openLogFile },
    );
    (host.beginLogging ?? ((o) => globalLogBeginner.beginLoggingTo(o)))([observer]);
  } catch (error) {
    return fail(describeError(error), EXIT_FAILURE);
  }

  let pidfile: PidFile | undefined;
  if (opts.pidfile !== undefined) {
    pidfile = new PidFile(resolvePath(cwd, opts.pidfile as string), runtime);
    try {
      await pidfile.acquire();
    } catch (error) {
      return fail(describeError(error), EXIT_FAILURE);
    }
  }

  try {
    return await runService(options, registry, reactor, cwd, fail, {
      stdout,
      openLogFile: host.openLogFile,
    });
  } finally {
    await pidfile?.release().catch((error) => {
      stderr(`tw: Cannot remove pid file: ${describeError(error)}\n`);
    });
  }
}

/** Logs where each listening service of `service`'s tree listens (twistd logs every port). */
function logListeningPorts(service: IService): void {
  const port = (service as { port?: IListeningPort | null }).port;
  if (!(service instanceof ListeningService) && typeof port?.getHost === "function") {
    const factory = (service as { factory?: object }).factory;
    log.info("{factory} listening on {address}", {
      factory: factory?.constructor.name ?? "Factory",
      address: formatAddress(port.getHost()),
    });
  }
  const children = service as unknown as Partial<Iterable<IService>>;
  if (typeof children[Symbol.iterator] === "function") {
    for (const child of children as Iterable<IService>) logListeningPorts(child);
  }
}

async function runService(
  options: TwOptions,
  registry: PluginRegistry,
  reactor: Reactor,
  cwd: string,
  fail: (message: string, code: number) => number,
  sinks: Pick<PluginContext, "stdout" | "openLogFile">,
): Promise<number> {
  const runtime = reactor.runtime;
  const opts = options.opts;
  let service: IService;
  try {
    if (opts.app !== undefined) {
      service = await loadApplication(opts.app as string, cwd, reactor);
    } else {
      const maker = registry.get(options.subCommand!)!;
      const context: PluginContext = { reactor, cwd, ...sinks };
      service = await maker.makeService(options.subOptions!, context);
      if (!isService(service)) {
        throw new TypeError(`Plugin ${maker.tapname} made no service from makeService`);
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      return fail(`${error.message} (see tw ${options.subCommand} --help)`, EXIT_USAGE);
    }
    return fail(describeError(error), EXIT_FAILURE);
  }

  if (opts.rundir !== undefined) {
    try {
      runtime.chdir(opts.rundir as string);
    } catch (error) {
      return fail(`Cannot change to directory ${opts.rundir}: ${describeError(error)}`, 1);
    }
  }

  let startupError: unknown = undefined;
  let started = false;
  try {
    startApplication(service, reactor).addCallbacks(() => {
      started = true;
      // Plugins listen through ListeningService, which logs; an application's ports are logged here.
      if (opts.app !== undefined) logListeningPorts(service);
      log.info("tw {version} running on {runtime} (pid {pid})", {
        version: VERSION,
        runtime: runtime.name,
        pid: runtime.pid(),
      });
      return null;
    }, (failure) => {
      startupError = failure;
      if (reactor.running) reactor.stop();
      return null;
    });
  } catch (error) {
    return fail(describeError(error), EXIT_FAILURE);
  }
  await reactor.run();
  if (startupError !== undefined) return fail(describeError(startupError), EXIT_FAILURE);
  if (started) log.info("Server shut down");
  return 0;
}
