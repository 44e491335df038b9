/**
 * The `xmpp-router` plugin: `tw xmpp-router [--port ENDPOINT] [--secret S]
 * [-v]` accepts XEP-0114 components and routes stanzas between them
 * (`twisted.words.xmpproutertap`). Beyond Twisted, a stanza for an unknown
 * domain gets `remote-server-not-found` back, and a component may only send
 * from its own domain (`invalid-from`).
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import { Router, XMPPComponentServerFactory } from "../../words/jabber/component.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { ListeningService } from "../_serve.ts";
import { type FlagSpec, Options, type ParameterSpec } from "../_usage.ts";

/** The default endpoint of `tw xmpp-router`. */
export const XMPP_ROUTER_DEFAULT_PORT = "tcp:5347:interface=127.0.0.1";

/**
 * Options of `tw xmpp-router` (Twisted's names).
 *
 * @example
 * ```ts
 * import { XmppRouterOptions } from "@tw/core/cli";
 * const options = new XmppRouterOptions();
 * options.parseOptions(["--port", "tcp:5348", "--secret", "s3cret", "-v"]);
 * console.log(options.opts.port, options.opts.secret, options.opts.verbose); // "tcp:5348" "s3cret" true
 * ```
 */
export class XmppRouterOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string =
    "An XMPP component router (XEP-0114): components connect with the shared secret and " +
    "exchange stanzas by domain.";
  /** The flags. */
  override optFlags: FlagSpec[] = [{ name: "verbose", short: "v", doc: "Log traffic." }];
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "port",
      default: XMPP_ROUTER_DEFAULT_PORT,
      metavar: "ENDPOINT",
      doc: "The endpoint components connect to.",
    },
    { name: "secret", default: "secret", doc: "The secret components authenticate with." },
  ];
}

/** The `xmpp-router` plugin. */
export const xmppRouterPlugin: IServiceMaker = {
  tapname: "xmpp-router",
  description: "An XMPP component router (XEP-0114)",
  options: XmppRouterOptions,
  makeService(options: Options, context: PluginContext): IService {
    const opts = options.opts;
    const factory = new XMPPComponentServerFactory(new Router(), opts.secret as string);
    factory.logTraffic = opts.verbose === true;
    return new ListeningService(context.reactor, opts.port as string, factory);
  },
};
