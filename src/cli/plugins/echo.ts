/**
 * The `echo` plugin: `tw echo [--port N | --listen ENDPOINT ...]` sends every
 * byte back (RFC 862 over TCP, on an unprivileged port by default).
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import { Factory, Protocol, type ProtocolClass } from "../../internet/protocol.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { listenDescriptions, listeningTree } from "../_serve.ts";
import { coercePort, Options, type ParameterSpec } from "../_usage.ts";

/** The default endpoint of `tw echo`. */
export const ECHO_DEFAULT_LISTEN = "tcp:8007";

/**
 * Writes back what it receives.
 *
 * @example
 * ```ts
 * import { Echo } from "@tw/core/cli";
 * import { StringTransport } from "@tw/core/testing";
 * const echo = new Echo();
 * const transport = new StringTransport();
 * echo.makeConnection(transport);
 * echo.dataReceived(new TextEncoder().encode("ping"));
 * console.log(transport.valueText()); // "ping"
 * ```
 */
export class Echo extends Protocol {
  /** Sends `data` back. */
  override dataReceived(data: Uint8Array): void {
    this.transport!.write(data);
  }
}

/** Makes `Echo` protocols (named, so the log says "EchoFactory listening on ..."). */
export class EchoFactory extends Factory {
  /** Echo. */
  override protocol: ProtocolClass | null = Echo;
}

/**
 * Options of `tw echo`.
 *
 * @example
 * ```ts
 * import { EchoOptions } from "@tw/core/cli";
 * const options = new EchoOptions();
 * options.parseOptions(["--port", "9000", "--listen", "unix:/tmp/echo.sock"]);
 * console.log(options.opts.port, options.opts.listen); // 9000 [ "unix:/tmp/echo.sock" ]
 * ```
 */
export class EchoOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string =
    `An echo server. Listens on ${ECHO_DEFAULT_LISTEN} unless told otherwise.`;
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    { name: "port", short: "p", coerce: coercePort, doc: "Listen on this TCP port." },
    {
      name: "listen",
      short: "l",
      multiple: true,
      metavar: "ENDPOINT",
      doc: "Listen on this endpoint (tcp:8007:interface=127.0.0.1, unix:/tmp/echo.sock...).",
    },
  ];
}

/** The `echo` plugin. */
export const echoPlugin: IServiceMaker = {
  tapname: "echo",
  description: "An echo server (RFC 862)",
  options: EchoOptions,
  makeService(options: Options, context: PluginContext): IService {
    const factory = new EchoFactory();
    return listeningTree(
      context.reactor,
      listenDescriptions(options.opts, ECHO_DEFAULT_LISTEN),
      factory,
    );
  },
};
