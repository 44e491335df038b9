/**
 * The `inetd` plugin: one process per connection, its stdin and stdout wired
 * to the socket (`twisted.runner.inetdtap`, without the inetd.conf format).
 *
 *     tw inetd --listen tcp:7000 --command "cat -n" [--listen ... --command ...]
 *     tw inetd --config services.json
 *
 * `--listen` and `--command` pair up in order. The config file lists
 * services: `{"services": [{"listen": "tcp:7000", "command": ["cat", "-n"],
 * "env": {...}, "cwd": "..."}]}` (`command` may also be one string, split
 * into words like `--command`, without a shell).
 *
 * @module
 */
import { type IService, MultiService } from "../../application/mod.ts";
import { InetdFactory, splitCommand } from "../_inetd.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { describeError, resolvePath } from "../_runner.ts";
import { ListeningService } from "../_serve.ts";
import { Options, type ParameterSpec, UsageError } from "../_usage.ts";

/**
 * Options of `tw inetd`.
 *
 * @example
 * ```ts
 * import { InetdOptions } from "@tw/core/cli";
 * const options = new InetdOptions();
 * options.parseOptions(["--listen", "tcp:7000", "--command", "cat -n"]);
 * console.log(options.opts.listen, options.opts.command); // [ "tcp:7000" ] [ "cat -n" ]
 * ```
 */
export class InetdOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string = "Runs a command for each connection, its stdin and stdout wired to " +
    "the connection (like inetd).";
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    { name: "listen", short: "l", multiple: true, metavar: "ENDPOINT", doc: "Where to listen." },
    {
      name: "command",
      short: "c",
      multiple: true,
      metavar: "COMMAND",
      doc: "The command for the --listen before it (words; quotes group; no shell).",
    },
    { name: "config", metavar: "FILE", doc: "A JSON file of services." },
  ];

  /** Checks the combination of options; throws `UsageError`. */
  override postOptions(): void {
    const listen = this.opts.listen as string[];
    const command = this.opts.command as string[];
    if (listen.length !== command.length) {
      throw new UsageError(
        `Give one --command per --listen (got ${listen.length} --listen, ${command.length} --command)`,
      );
    }
    if (listen.length === 0 && this.opts.config === undefined) {
      throw new UsageError("Give --listen and --command, or --config");
    }
    for (const line of command) {
      try {
        if (splitCommand(line).length === 0) throw new SyntaxError("empty command");
      } catch (error) {
        throw new UsageError(`Invalid value for --command: ${describeError(error)}`);
      }
    }
  }
}

interface InetdService {
  listen: string;
  command: string[];
  env?: Record<string, string>;
  cwd?: string;
}

function parseConfig(text: string, file: string): InetdService[] {
  const bad = (why: string): never => {
    throw new Error(`Bad inetd config ${file}: ${why}`);
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return bad(describeError(error));
  }
  const services = (data as { services?: unknown } | null)?.services;
  if (!Array.isArray(services)) return bad('"services" must be a list');
  return services.map((s: Record<string, unknown>, i) => {
    if (typeof s?.listen !== "string") bad(`service ${i}: "listen" must be an endpoint string`);
    let command: string[] = [];
    if (typeof s.command === "string") command = splitCommand(s.command);
    else if (Array.isArray(s.command) && s.command.every((w) => typeof w === "string")) {
      command = s.command as string[];
    }
    if (command.length === 0) bad(`service ${i}: "command" must be a string or list of words`);
    return {
      listen: s.listen as string,
      command,
      env: s.env as Record<string, string> | undefined,
      cwd: s.cwd as string | undefined,
    };
  });
}

/** The `inetd` plugin. */
export const inetdPlugin: IServiceMaker = {
  tapname: "inetd",
  description: "An inetd: runs a command per connection with its stdio wired to the socket",
  options: InetdOptions,
  async makeService(options: Options, context: PluginContext): Promise<IService> {
    const opts = options.opts;
    const services: InetdService[] = [];
    if (opts.config !== undefined) {
      const file = resolvePath(context.cwd, opts.config as string);
      let text: string;
      try {
        text = new TextDecoder().decode(await context.reactor.runtime.readFile(file));
      } catch (error) {
        throw new Error(`Cannot read inetd config ${opts.config}: ${describeError(error)}`);
      }
      services.push(...parseConfig(text, opts.config as string));
    }
    const listen = opts.listen as string[];
    const command = opts.command as string[];
    listen.forEach((l, i) => services.push({ listen: l, command: splitCommand(command[i]) }));
    const tree = new MultiService();
    for (const service of services) {
      const factory = new InetdFactory(service.command, {
        reactor: context.reactor,
        env: service.env,
        cwd: service.cwd === undefined ? undefined : resolvePath(context.cwd, service.cwd),
      });
      new ListeningService(context.reactor, service.listen, factory).setServiceParent(tree);
    }
    return tree;
  },
};
