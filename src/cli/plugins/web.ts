/**
 * The `web` plugin: `tw web`, Twisted's `twistd web` (`twisted.web.tap`).
 *
 *     tw web --listen tcp:8080 --path ./public
 *     tw web --port 8080 --path ./public --index index.html --logfile access.log
 *     tw web --listen tcp:8080:interface=127.0.0.1 --fetch-app ./app.ts
 *
 * What it serves, one of:
 * - `--path DIR` (or a file): static files (`File`), with `-i / --index NAME`
 *   (repeatable: the index file names, replacing index.html and index.htm),
 *   `-m / --mime-type TYPE` (the Content-Type of unknown extensions),
 *   `--ignore-ext .EXT` (repeatable: `/about` serves `about.html` with
 *   `--ignore-ext .html`), `--allow-ignore-ext` (any extension) and
 *   `--no-listing` (403 for directories without an index);
 * - `--class MODULE#NAME`: `new NAME()` of a `Resource` class the module
 *   exports (twistd's `--class package.module.ClassName`); without `#NAME`,
 *   the default export;
 * - `--resource-script MODULE`: the resource the module exports as
 *   `resource` (twistd's `.rpy` script; imported once, at startup);
 * - `--fetch-app MODULE#NAME`: a fetch handler (`(Request) => Response`, or
 *   an object with a `fetch` method such as a Hono app) mounted with
 *   `FetchResource` (ours for twistd's `--wsgi`); without `#NAME`, the
 *   default export;
 * - nothing: an "It works" page.
 *
 * `MODULE` is a path (relative to the working directory) or a URL; a module
 * that throws while it loads has its stack logged and startup fails.
 *
 * Where it listens: each `--listen ENDPOINT` (repeatable), `-p / --port`
 * (a TCP port, on `--interface` when given, or an endpoint description),
 * and `--https PORT` with `-c / --certificate` and `-k / --privkey` (TLS,
 * on `--interface`). With none of them, `tcp:8080` (on `--interface`).
 * `--port` and `--listen` replace the default; `--https` alone serves HTTPS
 * only, as twistd web does.
 *
 * Around it: `--add-header "Name: value"` (repeatable) adds a header to every
 * response; `--auth file:PATH` puts HTTP Basic authentication (cred's
 * `FilePasswordDB`) in front, with `--realm`; `--display-tracebacks` shows
 * the stack of a failed render on its 500 page (off by default, as in
 * Twisted; `-n / --notracebacks` is accepted for twistd's sake).
 *
 * The access log, a line per finished request in the combined log format
 * (`combinedLogFormatter`, as Twisted writes it), goes to `-l / --logfile
 * PATH`, to standard output with `--logfile -`, or without the option to the
 * `tw` log, as twistd web logs requests to twistd's log. (`--listen` has no
 * short form: `-l` is the access log, as in twistd.)
 *
 * `--workers N` serves on N processes: this command becomes a supervisor
 * (`WorkerService`) running N copies of itself, each listening on the same
 * ports with SO_REUSEPORT; a worker that dies is restarted, and SIGTERM drains
 * every worker before the supervisor exits.
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import type { IResource } from "../../web/resource.ts";
import { type Request, Site as BaseSite } from "../../web/server.ts";
import { Data, File } from "../../web/static.ts";
import { type FetchHandler, FetchResource } from "../../web/fetch.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { describeError, resolvePath } from "../_runner.ts";
import { escapeEndpointValue, listeningTree } from "../_serve.ts";
import { isWorker, WorkerService } from "../_workers.ts";
import {
  coercePort,
  type Coercer,
  type FlagSpec,
  Options,
  type ParameterSpec,
  UsageError,
} from "../_usage.ts";
import { openAccessLog } from "./_web_access_log.ts";
import { wrapWithAuth } from "./_web_auth.ts";
import { importModule, splitExportSpec } from "./_modules.ts";

/** The default endpoint of `tw web`. */
export const WEB_DEFAULT_LISTEN = "tcp:8080";

const IT_WORKS = "<!DOCTYPE html>\n<html><head><title>It works</title></head>" +
  "<body><h1>It works</h1><p>Served by tw web (@tw/core).</p></body></html>\n";

// The options choosing what is served, and those that only apply to --path.
const ROOTS = ["path", "class", "resource-script", "fetch-app"] as const;
const PATH_ONLY = ["index", "mime-type", "ignore-ext", "allow-ignore-ext"] as const;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `--add-header "Name: value"`: the name and the value, both trimmed. */
const coerceHeader: Coercer<[string, string]> = Object.assign((text: string): [string, string] => {
  const colon = text.indexOf(":");
  if (colon < 0) throw new Error(`${JSON.stringify(text)} is not "Name: value"`);
  const name = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (!TOKEN.test(name)) throw new Error(`${JSON.stringify(name)} is not a header name`);
  if (/[\r\n\0]/.test(value)) throw new Error("a header value cannot hold CR, LF or NUL");
  return [name, value];
}, { coerceDoc: '"Name: value"' });

/** `--header-timeout` and the other timeouts: seconds, 0 for no limit. */
const coerceSeconds: Coercer<number | null> = Object.assign((text: string): number | null => {
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`${JSON.stringify(text)} is not a number of seconds`);
  }
  return seconds === 0 ? null : seconds;
}, { coerceDoc: "seconds, 0 for no limit" });

/** `--port`: a TCP port number, or (as twistd's) an endpoint description. */
const coercePortOrEndpoint: Coercer<number | string> = Object.assign(
  (text: string): number | string => {
    if (/^\s*\d+\s*$/.test(text)) return coercePort(text);
    if (/^[a-z][\w-]*:/i.test(text)) return text;
    throw new Error(`${JSON.stringify(text)} is not a port number or an endpoint description`);
  },
  { coerceDoc: "a port number, or an endpoint such as tcp:8080" },
);

/** `--ignore-ext`: `.php`, or `php` (the dot is added). */
function coerceExtension(text: string): string {
  if (text === "" || text === "." || /[/\\]/.test(text)) {
    throw new Error(`${JSON.stringify(text)} is not a file extension`);
  }
  return text.startsWith(".") ? text : `.${text}`;
}

/**
 * Options of `tw web` (twistd web's names and short letters).
 *
 * @example
 * ```ts
 * import { WebOptions } from "@tw/core/cli";
 * const options = new WebOptions();
 * options.parseOptions(["--port", "8080", "--path", "./public", "-i", "home.html"]);
 * console.log(options.opts.port, options.opts.index); // 8080 [ "home.html" ]
 * ```
 */
export class WebOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string = `A web server (twistd web). Serves --path, --class, ` +
    `--resource-script or --fetch-app (one of them), or an "It works" page. Listens on ` +
    `${WEB_DEFAULT_LISTEN} unless --listen, --port or --https say otherwise. MODULE is a ` +
    `path or URL; MODULE#NAME picks an export (default: the default export). Requests are ` +
    `logged in the combined log format to --logfile, or to the tw log.`;
  /** The flags. */
  override optFlags: FlagSpec[] = [
    {
      name: "display-tracebacks",
      doc: "Show the stack of a failed render on its 500 page (a security risk: it shows " +
        "your code's internals).",
    },
    {
      name: "notracebacks",
      short: "n",
      doc: "Accepted for twistd's sake: tracebacks are hidden unless --display-tracebacks.",
    },
    { name: "no-listing", doc: "Answer 403 for directories without an index file." },
    { name: "allow-ignore-ext", doc: "With --path: /foo serves foo.EXT for any extension." },
    { name: "no-http2", doc: "Serve HTTP/1.1 only: no h2 by ALPN, no h2c." },
    {
      name: "h2c-upgrade",
      doc: "Accept `Upgrade: h2c` on cleartext HTTP/1.1 (deprecated by RFC 9113; off by default).",
    },
  ];
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "listen",
      multiple: true,
      metavar: "ENDPOINT",
      doc: "Listen on this endpoint (tcp:8080, ssl:8443:privateKey=key.pem:certKey=cert.pem...).",
    },
    {
      name: "port",
      short: "p",
      coerce: coercePortOrEndpoint,
      doc: "Listen on this TCP port (on --interface).",
    },
    {
      name: "interface",
      metavar: "ADDRESS",
      doc: "The address --port, --https and the default listen on (default: all).",
    },
    { name: "path", metavar: "DIR", doc: "Serve this directory (or file)." },
    {
      name: "index",
      short: "i",
      multiple: true,
      metavar: "NAME",
      doc: "With --path: a directory's index file name (default: index.html, index.htm).",
    },
    {
      name: "mime-type",
      short: "m",
      metavar: "TYPE",
      doc: "With --path: the Content-Type of unknown extensions " +
        "(default: application/octet-stream).",
    },
    {
      name: "ignore-ext",
      multiple: true,
      metavar: ".EXT",
      coerce: coerceExtension,
      doc: "With --path: /foo serves foo.EXT when foo is missing; tried in order.",
    },
    {
      name: "class",
      metavar: "MODULE#NAME",
      doc: "Serve new NAME(), a Resource class the module exports.",
    },
    {
      name: "resource-script",
      metavar: "MODULE",
      doc: "Serve the resource the module exports as `resource`.",
    },
    {
      name: "fetch-app",
      metavar: "MODULE#NAME",
      doc: "Serve a fetch handler ((Request) => Response, or an object with fetch) the " +
        "module exports, mounted with FetchResource.",
    },
    {
      name: "add-header",
      multiple: true,
      metavar: "HEADER",
      coerce: coerceHeader,
      doc: "Add this header to every response.",
    },
    {
      name: "logfile",
      short: "l",
      metavar: "PATH",
      doc: "Write the access log (combined log format) here; - for standard output " +
        "(default: the tw log).",
    },
    { name: "https", coerce: coercePort, metavar: "PORT", doc: "Also listen with TLS here." },
    {
      name: "certificate",
      short: "c",
      metavar: "FILE",
      doc: "The TLS certificate (PEM) for --https.",
    },
    { name: "privkey", short: "k", metavar: "FILE", doc: "The TLS private key (PEM) for --https." },
    {
      name: "auth",
      metavar: "CHECKER",
      doc: "Require HTTP Basic authentication: file:PATH (a cred password file).",
    },
    { name: "realm", default: "tw web", doc: "The authentication realm." },
    {
      name: "header-timeout",
      metavar: "SECONDS",
      coerce: coerceSeconds,
      doc: "Seconds a client has to send a request's head once it started (408 after; " +
        "default 60).",
    },
    {
      name: "request-timeout",
      metavar: "SECONDS",
      coerce: coerceSeconds,
      doc: "Seconds a client has to send a whole request once it started (default 300).",
    },
    {
      name: "idle-timeout",
      metavar: "SECONDS",
      coerce: coerceSeconds,
      doc: "Seconds of silence before an idle connection is closed (default 60).",
    },
    {
      name: "shutdown-timeout",
      metavar: "SECONDS",
      coerce: coerceSeconds,
      doc: "Seconds in-flight requests get to finish on SIGTERM (default 10).",
    },
    {
      name: "workers",
      metavar: "N",
      coerce: coerceWorkers,
      doc: "Serve on N processes sharing the ports (SO_REUSEPORT); default 1.",
    },
  ];

  /** Checks the combination of options; throws `UsageError`. */
  override postOptions(): void {
    const opts = this.opts;
    if (opts["no-http2"] && opts["h2c-upgrade"]) {
      throw new UsageError("--h2c-upgrade needs HTTP/2: drop --no-http2");
    }
    if (opts.https !== undefined && (!opts.certificate || !opts.privkey)) {
      throw new UsageError("Option --https needs --certificate and --privkey");
    }
    if (opts.https === undefined && (opts.certificate || opts.privkey)) {
      throw new UsageError("Options --certificate and --privkey need --https");
    }
    if (opts.auth !== undefined && !String(opts.auth).startsWith("file:")) {
      throw new UsageError(`Unknown --auth checker: ${opts.auth} (expected file:PATH)`);
    }
    if ((opts.workers as number | undefined ?? 1) > 1) {
      const unix = (opts.listen as string[]).find((d) => !REUSABLE.test(d));
      if (unix !== undefined) {
        throw new UsageError(`--workers needs TCP or SSL ports; ${unix} cannot be shared`);
      }
    }
    const roots = ROOTS.filter((name) => opts[name] !== undefined);
    if (roots.length > 1) {
      throw new UsageError(`Give one of --${roots.join(", --")}, not several`);
    }
    if (opts.path === undefined) {
      for (const name of PATH_ONLY) {
        const value = opts[name];
        const given = Array.isArray(value)
          ? value.length > 0
          : value !== undefined && value !== false;
        if (given) {
          throw new UsageError(`Option --${name} needs --path`);
        }
      }
    }
  }
}

/**
 * A Site adding the `--add-header` headers to every response (twistd's
 * `_AddHeadersResource`), before traversal, so that leaf resources get them
 * too. Named Site: the log says "Site listening on ...".
 */
class Site extends BaseSite {
  readonly extraHeaders: readonly [string, string][];

  constructor(resource: IResource, extraHeaders: readonly [string, string][]) {
    super(resource);
    this.extraHeaders = extraHeaders;
  }

  override getResourceFor(request: Request): IResource {
    for (const [name, value] of this.extraHeaders) {
      request.responseHeaders.addRawHeader(name, value);
    }
    return super.getResourceFor(request);
  }
}

function isResource(value: unknown): value is IResource {
  const v = value as Partial<IResource> | null;
  return v !== null && typeof v === "object" && typeof v.render === "function" &&
    typeof v.getChildWithDefault === "function";
}

/** Imports `MODULE#NAME` (NAME defaulting to `fallback`) and returns the export. */
async function loadExport(
  option: string,
  spec: string,
  fallback: string,
  context: PluginContext,
): Promise<{ value: unknown; label: string }> {
  const { module, name } = splitExportSpec(spec, fallback);
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(module, context.cwd, context.reactor.runtime);
  } catch (error) {
    throw new Error(`Cannot load ${option} module ${module}: ${describeError(error)}`, {
      cause: error,
    });
  }
  const label = `export ${name} of ${module}`;
  if (!(name in exports)) {
    throw new UsageError(`Module ${module} has no export ${name} (${option} ${spec})`);
  }
  return { value: exports[name], label };
}

async function classResource(spec: string, context: PluginContext): Promise<IResource> {
  const { value, label } = await loadExport("--class", spec, "default", context);
  if (typeof value !== "function") throw new UsageError(`--class: the ${label} is not a class`);
  let made: unknown;
  try {
    made = new (value as new () => unknown)();
  } catch (error) {
    const why = `new ${value.name || "(anonymous)"}() failed: ${describeError(error)}`;
    throw new Error(`--class: ${why}`, { cause: error });
  }
  if (!isResource(made)) throw new UsageError(`--class: the ${label} does not make a Resource`);
  return made;
}

async function scriptResource(module: string, context: PluginContext): Promise<IResource> {
  // A `#` is part of the path here: the export is always `resource`.
  const { value, label } = await loadExport("--resource-script", `${module}#resource`, "", context);
  if (!isResource(value)) throw new UsageError(`--resource-script: the ${label} is not a Resource`);
  return value;
}

async function fetchAppResource(spec: string, context: PluginContext): Promise<IResource> {
  const { value, label } = await loadExport("--fetch-app", spec, "default", context);
  let handler: FetchHandler;
  if (typeof value === "function") {
    handler = value as FetchHandler;
  } else if (typeof (value as { fetch?: unknown } | null)?.fetch === "function") {
    const app = value as { fetch: FetchHandler };
    handler = (request) => app.fetch(request);
  } else {
    throw new UsageError(
      `--fetch-app: the ${label} is neither a function nor an object with a fetch method`,
    );
  }
  return new FetchResource(handler);
}

async function staticResource(
  opts: Record<string, unknown>,
  context: PluginContext,
): Promise<IResource> {
  const path = resolvePath(context.cwd, opts.path as string);
  try {
    await context.reactor.runtime.stat(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file or directory" : describeError(error);
    throw new Error(`Cannot serve ${opts.path}: ${why}`);
  }
  const indexes = opts.index as string[];
  const ignoredExts = [...opts["ignore-ext"] as string[]];
  if (opts["allow-ignore-ext"]) ignoredExts.push("*");
  return new File(path, {
    allowListing: !opts["no-listing"],
    runtime: context.reactor.runtime,
    indexNames: indexes.length > 0 ? indexes : undefined,
    defaultType: opts["mime-type"] as string | undefined,
    ignoredExts,
  });
}

/** Endpoint types a port of which several processes can share. */
const REUSABLE = /^(tcp6?|ssl):/;

/** `description` with SO_REUSEPORT on, for a worker. */
function sharedPort(description: string): string {
  return /(^|:)reusePort=/.test(description) ? description : `${description}:reusePort=yes`;
}

function coerceWorkers(text: string): number {
  const n = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1)) throw new Error(`${JSON.stringify(text)} is not a number of workers (1 or more)`);
  return n;
}

/** The endpoints to listen on: --listen, --port, --https, or the default. */
function descriptions(opts: Record<string, unknown>, cwd: string): string[] {
  const iface = opts.interface === undefined
    ? ""
    : `:interface=${escapeEndpointValue(opts.interface as string)}`;
  const found = [...opts.listen as string[]];
  const port = opts.port as number | string | undefined;
  if (port !== undefined) found.push(typeof port === "number" ? `tcp:${port}${iface}` : port);
  if (opts.https !== undefined) {
    const key = escapeEndpointValue(resolvePath(cwd, opts.privkey as string));
    const cert = escapeEndpointValue(resolvePath(cwd, opts.certificate as string));
    found.push(`ssl:${opts.https}${iface}:privateKey=${key}:certKey=${cert}`);
  }
  return found.length > 0 ? found : [`${WEB_DEFAULT_LISTEN}${iface}`];
}

/** The `web` plugin. */
export const webPlugin: IServiceMaker = {
  tapname: "web",
  description: "A web server: static files, a resource, a fetch app, or an 'It works' page",
  options: WebOptions,
  async makeService(options: Options, context: PluginContext): Promise<IService> {
    const opts = options.opts;
    const workers = opts.workers as number | undefined ?? 1;
    if (workers > 1 && !isWorker(context.reactor)) {
      // The supervisor: the workers serve. They drain for the shutdown timeout, then some.
      const drain = opts["shutdown-timeout"] as number | null | undefined;
      return new WorkerService({
        workers,
        reactor: context.reactor,
        killTime: drain === null ? 3600 : (drain ?? 10) + 5,
      });
    }
    let listen = descriptions(opts, context.cwd);
    if (workers > 1) listen = listen.map(sharedPort);
    let resource: IResource;
    if (opts.path !== undefined) resource = await staticResource(opts, context);
    else if (opts.class !== undefined) {
      resource = await classResource(opts.class as string, context);
    } else if (opts["resource-script"] !== undefined) {
      resource = await scriptResource(opts["resource-script"] as string, context);
    } else if (opts["fetch-app"] !== undefined) {
      resource = await fetchAppResource(opts["fetch-app"] as string, context);
    } else resource = new Data(IT_WORKS, "text/html; charset=utf-8");
    if (opts.auth !== undefined) {
      const file = resolvePath(context.cwd, String(opts.auth).slice("file:".length));
      resource = await wrapWithAuth(resource, file, opts.realm as string, context);
    }
    const site = new Site(resource, opts["add-header"] as [string, string][]);
    site.displayTracebacks = opts["display-tracebacks"] as boolean;
    // SiteOptions.http2: --no-http2 turns it off, --h2c-upgrade turns Upgrade: h2c on.
    if (opts["no-http2"]) site.http2 = false;
    else if (opts["h2c-upgrade"] && site.http2 !== false) {
      site.http2 = { ...site.http2, h2cUpgrade: true };
    }
    site.logFile = openAccessLog(opts.logfile as string | undefined, context);
    // An option given (0 for none) replaces the Site's default.
    const timeouts = { "header-timeout": "headerTimeout", "request-timeout": "requestTimeout" };
    for (const [option, field] of Object.entries(timeouts)) {
      if (opts[option] !== undefined) {
        site[field as "headerTimeout"] = opts[option] as number | null;
      }
    }
    if (opts["idle-timeout"] !== undefined) site.timeOut = opts["idle-timeout"] as number | null;
    if (opts["shutdown-timeout"] !== undefined) {
      site.shutdownTimeout = (opts["shutdown-timeout"] as number | null) ?? Infinity;
    }
    let shutdown: PromiseLike<unknown> | undefined;
    return listeningTree(context.reactor, listen, site, {
      // One drain for the site, however many ports share it.
      stopFactory: (s) => (shutdown ??= Promise.resolve(s.drain())),
    });
  },
};
