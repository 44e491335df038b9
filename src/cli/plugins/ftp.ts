/**
 * The `ftp` plugin: `tw ftp`, Twisted's `twistd ftp` (`twisted.tap.ftp`): an
 * FTP server (`FTPFactory`) over a folder, anonymous users read-only.
 *
 *     tw ftp --root /srv/ftp
 *     tw ftp -p 2121 -r /srv/ftp --auth file:ftp-users --user-home /srv/homes
 *     tw ftp --listen tcp6:2121:interface=\:\:1 --certificate cert.pem --privkey key.pem --require-tls
 *
 * Anonymous logins (as `--userAnonymous`, "anonymous" by default) get
 * `--root` (default /usr/local/ftp) read-only; users checked by `--auth
 * file:PATH` (cred's hashed password file, as `tw web --auth`) or
 * `--password-file FILE` (twistd's `user:password` lines in clear; a warning
 * says to prefer `--auth`) get `--user-home/<name>` (default /home/<name>).
 *
 * Where it listens: `-p / --port` (2121; a port on `--interface`, or an
 * endpoint description) and each `--listen ENDPOINT`; `--listen` replaces
 * the default port and adds to an explicit `--port`. Data connections:
 * `--passive-ports LOW-HIGH`, `--passive-address ADDR` (the address put in
 * PASV replies, behind NAT). `--certificate` and `--privkey` enable AUTH TLS
 * (RFC 4217); `--require-tls` refuses logins and transfers without it.
 * `--timeout SECONDS` (600) closes idle sessions; `--max-connections N`
 * refuses more. A missing root fails at start (one line naming it, exit 1);
 * SIGTERM tells each session 421, closes it and exits 0.
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import {
  AllowAnonymousAccess,
  FilePasswordDB,
  type ICredentialsChecker,
  Portal,
} from "../../cred/mod.ts";
import { Logger } from "../../logger/mod.ts";
import { FTPFactory, FTPRealm } from "../../protocols/ftp/mod.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { FirstMatchChecker } from "./_first_match_checker.ts";
import { describeError, resolvePath } from "../_runner.ts";
import { escapeEndpointValue, listeningTree } from "../_serve.ts";
import {
  coerceInt,
  type Coercer,
  type FlagSpec,
  Options,
  type ParameterSpec,
  UsageError,
} from "../_usage.ts";

const log = new Logger("tw");

/** The port `tw ftp` listens on without `--port` or `--listen` (twistd ftp's). */
export const FTP_DEFAULT_PORT = 2121;

/** `--port`: a TCP port number, or an endpoint description. */
const coercePortOrEndpoint: Coercer<number | string> = Object.assign(
  (text: string): number | string => {
    if (/^\d+$/.test(text)) {
      const n = Number(text);
      if (n > 65535) throw new Error(`port number ${n} is not in 0..65535`);
      return n;
    }
    if (/^[a-z0-9]+:/i.test(text)) return text;
    throw new Error(`${JSON.stringify(text)} is not a port number or an endpoint description`);
  },
  { coerceDoc: "a port number, or an endpoint such as tcp:2121" },
);

/** `--passive-ports LOW-HIGH`. */
const coerceRange: Coercer<[number, number]> = Object.assign((text: string): [number, number] => {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  const low = m ? Number(m[1]) : NaN;
  const high = m ? Number(m[2]) : NaN;
  if (!m || low < 1 || high > 65535 || low > high) {
    throw new Error(`${JSON.stringify(text)} is not a port range LOW-HIGH within 1-65535`);
  }
  return [low, high];
}, { coerceDoc: "ports LOW-HIGH" });

/** `--timeout` and `--max-connections`: a whole number, 0 or more. */
const coerceCount: Coercer<number> = Object.assign((text: string): number => {
  const n = coerceInt(text);
  if (n < 0) throw new Error(`${n} is negative`);
  return n;
}, { coerceDoc: "a whole number" });

/**
 * Options of `tw ftp` (twistd ftp's names, and more).
 *
 * @example
 * ```ts
 * import { FtpOptions } from "@tw/core/cli";
 * const options = new FtpOptions();
 * options.parseOptions(["-p", "2121", "-r", "/srv/ftp", "--passive-ports", "50000-50100"]);
 * console.log(options.opts.port, options.opts.root, options.opts["passive-ports"]);
 * // 2121 "/srv/ftp" [ 50000, 50100 ]
 * ```
 */
export class FtpOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string = "An FTP server (twistd ftp): anonymous users read --root, " +
    "users checked by --auth or --password-file get --user-home/NAME. Listens on " +
    `tcp:${FTP_DEFAULT_PORT} unless --port or --listen say otherwise.`;
  /** The flags. */
  override optFlags: FlagSpec[] = [
    { name: "require-tls", doc: "Refuse logins before AUTH TLS and data without PROT P." },
  ];
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "port",
      short: "p",
      coerce: coercePortOrEndpoint,
      metavar: "PORT",
      doc: `Listen on this TCP port (on --interface), or endpoint (default ${FTP_DEFAULT_PORT}).`,
    },
    {
      name: "listen",
      multiple: true,
      metavar: "ENDPOINT",
      doc: "Also listen on this endpoint (e.g. tcp6:2121:interface=\\:\\:1); replaces the default.",
    },
    { name: "interface", metavar: "ADDRESS", doc: "The address --port listens on (default: all)." },
    {
      name: "root",
      short: "r",
      default: "/usr/local/ftp",
      metavar: "DIR",
      doc: "The anonymous user's folder.",
    },
    { name: "userAnonymous", default: "anonymous", metavar: "NAME", doc: "The anonymous login." },
    { name: "user-home", default: "/home", metavar: "DIR", doc: "Users get DIR/NAME." },
    {
      name: "auth",
      multiple: true,
      metavar: "CHECKER",
      doc: "Users from cred's password file: file:PATH (as tw web --auth).",
    },
    {
      name: "password-file",
      metavar: "FILE",
      doc: "Users from twistd's user:password lines (in clear; prefer --auth).",
    },
    {
      name: "passive-ports",
      coerce: coerceRange,
      metavar: "LOW-HIGH",
      doc: "Ports for passive data connections (default: any).",
    },
    {
      name: "passive-address",
      metavar: "ADDRESS",
      doc: "The IPv4 address PASV replies give (behind NAT).",
    },
    {
      name: "certificate",
      short: "c",
      metavar: "FILE",
      doc: "TLS certificate (PEM) for AUTH TLS.",
    },
    { name: "privkey", short: "k", metavar: "FILE", doc: "TLS private key (PEM) for AUTH TLS." },
    {
      name: "timeout",
      coerce: coerceCount,
      default: 600,
      metavar: "SECONDS",
      doc: "Close sessions idle this long (0: never).",
    },
    {
      name: "max-connections",
      coerce: coerceCount,
      default: 0,
      metavar: "N",
      doc: "Refuse sessions past N at once (0: no limit).",
    },
  ];

  /** Checks the combination of options; throws `UsageError`. */
  override postOptions(): void {
    const opts = this.opts;
    for (const spec of opts.auth as string[]) {
      if (!spec.startsWith("file:") || spec.length === 5) {
        throw new UsageError(`Unknown --auth checker ${JSON.stringify(spec)}: use file:PATH`);
      }
    }
    if ((opts.certificate === undefined) !== (opts.privkey === undefined)) {
      throw new UsageError("Options --certificate and --privkey go together");
    }
    if (opts["require-tls"] && opts.certificate === undefined) {
      throw new UsageError("Option --require-tls needs --certificate and --privkey");
    }
    const address = opts["passive-address"];
    if (address !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(String(address))) {
      throw new UsageError(`--passive-address ${JSON.stringify(address)} is not an IPv4 address`);
    }
  }
}

/** The endpoints: each --listen, and --port (or the default when neither is given). */
function descriptions(opts: Record<string, unknown>): string[] {
  const iface = opts.interface === undefined
    ? ""
    : `:interface=${escapeEndpointValue(opts.interface as string)}`;
  const found = [...opts.listen as string[]];
  const port = opts.port as number | string | undefined;
  if (port !== undefined) found.push(typeof port === "number" ? `tcp:${port}${iface}` : port);
  return found.length > 0 ? found : [`tcp:${FTP_DEFAULT_PORT}${iface}`];
}

async function readText(context: PluginContext, path: string, what: string): Promise<string> {
  try {
    return new TextDecoder().decode(await context.reactor.runtime.readFile(path));
  } catch (error) {
    throw new Error(`Cannot read ${what} ${path}: ${describeError(error)}`);
  }
}

/** The `ftp` plugin. */
export const ftpPlugin: IServiceMaker = {
  tapname: "ftp",
  description: "An FTP server (FTPS, IPv6, resume) over a folder, anonymous and cred users",
  options: FtpOptions,
  async makeService(options: Options, context: PluginContext): Promise<IService> {
    const opts = options.opts;
    const runtime = context.reactor.runtime;
    const root = resolvePath(context.cwd, String(opts.root));
    const info = await runtime.stat(root).catch((error) => {
      const code = (error as { code?: string }).code;
      throw new Error(
        `Cannot serve ${root}: ${code === "ENOENT" ? "no such directory" : describeError(error)}`,
      );
    });
    if (!info.isDirectory) throw new Error(`Cannot serve ${root}: not a directory`);
    const checkers: ICredentialsChecker[] = [];
    for (const spec of opts.auth as string[]) {
      const file = resolvePath(context.cwd, spec.slice("file:".length));
      await readText(context, file, "password file");
      checkers.push(new FilePasswordDB(file, { runtime }));
    }
    if (opts["password-file"] !== undefined) {
      const file = resolvePath(context.cwd, String(opts["password-file"]));
      await readText(context, file, "password file");
      log.warn(
        "--password-file {file} holds passwords in clear: prefer --auth file:PATH " +
          "(cred's hashed password file)",
        { file },
      );
      checkers.push(new FilePasswordDB(file, { runtime, hash: "plain" }));
    }
    const portal = new Portal(
      new FTPRealm(root, {
        userHome: resolvePath(context.cwd, String(opts["user-home"])),
        runtime,
      }),
      [new AllowAnonymousAccess()],
    );
    if (checkers.length > 0) portal.registerChecker(new FirstMatchChecker(checkers));
    let tls = null;
    if (opts.certificate !== undefined) {
      const certFile = resolvePath(context.cwd, String(opts.certificate));
      const keyFile = resolvePath(context.cwd, String(opts.privkey));
      tls = {
        cert: await readText(context, certFile, "certificate"),
        key: await readText(context, keyFile, "private key"),
      };
    }
    const factory = new FTPFactory(portal, {
      userAnonymous: String(opts.userAnonymous),
      timeOut: opts.timeout as number,
      passivePortRange: (opts["passive-ports"] as [number, number] | undefined) ?? [0, 0],
      passiveAddress: (opts["passive-address"] as string | undefined) ?? null,
      tls,
      requireTLS: opts["require-tls"] as boolean,
      maxConnections: opts["max-connections"] as number,
      reactor: context.reactor,
    });
    let closed: Promise<void> | undefined;
    return listeningTree(context.reactor, descriptions(opts), factory, {
      // Once for the factory, however many ports share it: every session is told and closed.
      stopFactory: (f) => (closed ??= closeSessions(f)),
    });
  },
};

function closeSessions(factory: FTPFactory): Promise<void> {
  for (const session of factory.instances) {
    session.reply("421 Service not available, closing control connection.");
    session.transport.loseConnection();
  }
  return Promise.resolve();
}
