/**
 * The `socks` plugin: a SOCKS 4, 4a and 5 proxy (`twisted.tap.socks`).
 *
 *     tw socks [--port 1080] [--interface 127.0.0.1] [--auth file:passwords]
 *
 * With `--auth file:PATH` clients must log in with SOCKS 5 username/password
 * (RFC 1929), checked against a cred password file (`writePasswordFile`);
 * SOCKS 4 is then refused, as it carries no password.
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import { FilePasswordDB, UsernamePassword } from "../../cred/mod.ts";
import { SOCKSFactory } from "../../protocols/socks.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { describeError, resolvePath } from "../_runner.ts";
import { escapeEndpointValue, listeningTree } from "../_serve.ts";
import { coercePort, Options, type ParameterSpec, UsageError } from "../_usage.ts";

/**
 * Options of `tw socks` (Twisted's names and defaults).
 *
 * @example
 * ```ts
 * import { SocksOptions } from "@tw/core/cli";
 * const options = new SocksOptions();
 * options.parseOptions(["--auth", "file:passwords"]);
 * console.log(options.opts.interface, options.opts.port); // 127.0.0.1 1080
 * console.log(options.opts.auth); // file:passwords
 * ```
 */
export class SocksOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string = "A SOCKS 4/4a/5 proxy (CONNECT only). Listens on 127.0.0.1:1080 " +
    "unless told otherwise: an open proxy on a public address is abused quickly.";
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    { name: "port", short: "p", default: 1080, coerce: coercePort, doc: "The port to listen on." },
    { name: "interface", short: "i", default: "127.0.0.1", doc: "The address to listen on." },
    {
      name: "listen",
      short: "l",
      multiple: true,
      metavar: "ENDPOINT",
      doc: "Listen on this endpoint instead of --port/--interface.",
    },
    {
      name: "auth",
      metavar: "CHECKER",
      doc: "Require SOCKS 5 username/password: file:PATH (a cred password file).",
    },
  ];

  /** Checks the combination of options; throws `UsageError`. */
  override postOptions(): void {
    if (this.opts.auth !== undefined && !String(this.opts.auth).startsWith("file:")) {
      throw new UsageError(`Unknown --auth checker: ${this.opts.auth} (expected file:PATH)`);
    }
  }
}

/** The `socks` plugin. */
export const socksPlugin: IServiceMaker = {
  tapname: "socks",
  description: "A SOCKS 4, 4a and 5 proxy",
  options: SocksOptions,
  async makeService(options: Options, context: PluginContext): Promise<IService> {
    const opts = options.opts;
    const runtime = context.reactor.runtime;
    let checkPassword: ((user: string, password: string) => Promise<boolean>) | undefined;
    if (opts.auth !== undefined) {
      const file = resolvePath(context.cwd, String(opts.auth).slice("file:".length));
      try {
        await runtime.readFile(file);
      } catch (error) {
        throw new Error(`Cannot read password file ${file}: ${describeError(error)}`);
      }
      const checker = new FilePasswordDB(file, { runtime });
      checkPassword = async (user, password) => {
        try {
          await checker.requestAvatarId(new UsernamePassword(user, password));
          return true;
        } catch {
          return false;
        }
      };
    }
    const factory = new SOCKSFactory({ reactor: context.reactor, checkPassword });
    const listen = opts.listen as string[];
    const descriptions = listen.length > 0
      ? listen
      : [`tcp:${opts.port}:interface=${escapeEndpointValue(opts.interface as string)}`];
    return listeningTree(context.reactor, descriptions, factory);
  },
};
