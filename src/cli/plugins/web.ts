/**
 * The `web` plugin: `tw web --listen tcp:8080 --path ./public` serves a
 * directory (`twisted.web.tap`). Without `--path` it answers "It works" at
 * `/`. `--https PORT --certificate cert.pem --privkey key.pem` adds a TLS
 * listener; `--auth file:passwords.txt` puts HTTP Basic authentication
 * (checked with cred's `FilePasswordDB`) in front of everything.
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import type { IResource } from "../../web/resource.ts";
import { Site } from "../../web/server.ts";
import { Data, File } from "../../web/static.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { resolvePath } from "../_runner.ts";
import { escapeEndpointValue, listenDescriptions, listeningTree } from "../_serve.ts";
import { coercePort, type FlagSpec, Options, type ParameterSpec, UsageError } from "../_usage.ts";
import { wrapWithAuth } from "./_web_auth.ts";

/** The default endpoint of `tw web`. */
export const WEB_DEFAULT_LISTEN = "tcp:8080";

const IT_WORKS = "<!DOCTYPE html>\n<html><head><title>It works</title></head>" +
  "<body><h1>It works</h1><p>Served by tw web (@tw/core).</p></body></html>\n";

/** Options of `tw web`. */
export class WebOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string =
    `A web server. Listens on ${WEB_DEFAULT_LISTEN} unless told otherwise.`;
  /** The flags. */
  override optFlags: FlagSpec[] = [
    { name: "no-listing", doc: "Answer 403 for directories without an index file." },
  ];
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "listen",
      short: "l",
      multiple: true,
      metavar: "ENDPOINT",
      doc: "Listen on this endpoint (tcp:8080, ssl:8443:privateKey=key.pem:certKey=cert.pem...).",
    },
    { name: "port", short: "p", coerce: coercePort, doc: "Listen on this TCP port." },
    {
      name: "interface",
      metavar: "ADDRESS",
      doc: "The address --port and --https listen on (default: all).",
    },
    { name: "path", metavar: "DIR", doc: "Serve this directory (or file)." },
    { name: "https", coerce: coercePort, metavar: "PORT", doc: "Also listen with TLS here." },
    { name: "certificate", metavar: "FILE", doc: "The TLS certificate (PEM) for --https." },
    { name: "privkey", metavar: "FILE", doc: "The TLS private key (PEM) for --https." },
    {
      name: "auth",
      metavar: "CHECKER",
      doc: "Require HTTP Basic authentication: file:PATH (a cred password file).",
    },
    { name: "realm", default: "tw web", doc: "The authentication realm." },
  ];

  /** Checks the combination of options; throws `UsageError`. */
  override postOptions(): void {
    const opts = this.opts;
    if (opts.https !== undefined && (!opts.certificate || !opts.privkey)) {
      throw new UsageError("Option --https needs --certificate and --privkey");
    }
    if (opts.https === undefined && (opts.certificate || opts.privkey)) {
      throw new UsageError("Options --certificate and --privkey need --https");
    }
    if (opts.auth !== undefined && !String(opts.auth).startsWith("file:")) {
      throw new UsageError(`Unknown --auth checker: ${opts.auth} (expected file:PATH)`);
    }
  }
}

/** The `web` plugin. */
export const webPlugin: IServiceMaker = {
  tapname: "web",
  description: "A web server: static files, or an 'It works' page",
  options: WebOptions,
  async makeService(options: Options, context: PluginContext): Promise<IService> {
    const opts = options.opts;
    let resource: IResource;
    if (opts.path !== undefined) {
      const path = resolvePath(context.cwd, opts.path as string);
      try {
        await context.reactor.runtime.stat(path);
      } catch (error) {
        const code = (error as { code?: string }).code;
        const why = code === "ENOENT" ? "no such file or directory" : String(error);
        throw new Error(`Cannot serve ${opts.path}: ${why}`);
      }
      resource = new File(path, {
        allowListing: !opts["no-listing"],
        runtime: context.reactor.runtime,
      });
    } else {
      resource = new Data(IT_WORKS, "text/html; charset=utf-8");
    }
    if (opts.auth !== undefined) {
      const file = resolvePath(context.cwd, String(opts.auth).slice("file:".length));
      resource = await wrapWithAuth(resource, file, opts.realm as string, context);
    }
    const site = new Site(resource);
    const iface = opts.interface === undefined
      ? ""
      : `:interface=${escapeEndpointValue(opts.interface as string)}`;
    const descriptions = listenDescriptions(
      { ...opts, port: undefined },
      `${WEB_DEFAULT_LISTEN}${iface}`,
    );
    if (opts.port !== undefined) {
      descriptions.splice((opts.listen as string[]).length, 0, `tcp:${opts.port}${iface}`);
    }
    if (opts.https !== undefined) {
      const key = escapeEndpointValue(resolvePath(context.cwd, opts.privkey as string));
      const cert = escapeEndpointValue(resolvePath(context.cwd, opts.certificate as string));
      descriptions.push(`ssl:${opts.https}${iface}:privateKey=${key}:certKey=${cert}`);
      // --https alone (no --listen/--port) means HTTPS only.
      if ((opts.listen as string[]).length === 0 && opts.port === undefined) {
        descriptions.splice(0, 1);
      }
    }
    let shutdown: PromiseLike<unknown> | undefined;
    return listeningTree(context.reactor, descriptions, site, {
      // One shutdown for the site, however many ports share it.
      stopFactory: (s) => (shutdown ??= Promise.resolve(s.shutdown())),
    });
  },
};
