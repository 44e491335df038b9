/**
 * The `portforward` plugin: `tw portforward --port 8080 --host example.com
 * --dest_port 80` relays each connection to the destination
 * (`twisted.tap.portforward`).
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import { ProxyFactory } from "../../protocols/portforward.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { listenDescriptions, listeningTree } from "../_serve.ts";
import { coercePort, Options, type ParameterSpec, UsageError } from "../_usage.ts";

/**
 * Options of `tw portforward` (Twisted's names).
 *
 * @example
 * ```ts
 * import { PortforwardOptions } from "@tw/core/cli";
 * const options = new PortforwardOptions();
 * options.parseOptions(["--port", "8080", "--host", "example.com", "--dest_port", "80"]);
 * console.log(options.opts.port, options.opts.host, options.opts.dest_port); // 8080 example.com 80
 * ```
 */
export class PortforwardOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string = "Relays every connection accepted to a destination host and port.";
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    { name: "port", short: "p", coerce: coercePort, doc: "Listen on this TCP port." },
    {
      name: "listen",
      short: "l",
      multiple: true,
      metavar: "ENDPOINT",
      doc: "Listen on this endpoint instead.",
    },
    { name: "host", short: "h", default: "localhost", doc: "The host to relay to." },
    {
      name: "dest_port",
      short: "d",
      coerce: coercePort,
      metavar: "PORT",
      doc: "The port to relay to (required).",
    },
  ];

  /** Checks the combination of options; throws `UsageError`. */
  override postOptions(): void {
    if (this.opts.dest_port === undefined) {
      throw new UsageError("Option --dest_port is required");
    }
    if (this.opts.port === undefined && (this.opts.listen as string[]).length === 0) {
      throw new UsageError("Give --port or --listen");
    }
  }
}

/** The `portforward` plugin. */
export const portforwardPlugin: IServiceMaker = {
  tapname: "portforward",
  description: "A port forwarder: relays connections to another host and port",
  options: PortforwardOptions,
  makeService(options: Options, context: PluginContext): IService {
    const opts = options.opts;
    const factory = new ProxyFactory(opts.host as string, opts.dest_port as number, {
      reactor: context.reactor,
    });
    return listeningTree(context.reactor, listenDescriptions(opts, ""), factory);
  },
};
