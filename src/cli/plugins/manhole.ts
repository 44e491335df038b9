/**
 * The `manhole` plugin: `tw manhole`, Twisted's `twistd manhole`
 * (`twisted.conch.manhole_tap`).
 *
 *     tw manhole -t 2323 -p passwords
 *     tw manhole -s tcp:2222 -p passwords --sshKeyDir ./keys
 *
 * A JavaScript REPL into the running `tw` process (`ColoredManhole`), over
 * telnet (`-t / --telnetPort`: `Username: ` then `Password: `, unechoed)
 * and / or SSH (`-s / --sshPort`: password logins; the RSA host key
 * `--sshKeyName` in `--sshKeyDir` is generated once, `--sshKeySize` bits, and
 * kept). Logins are checked against the cred password file `-p / --passwd`
 * (make one with `writePasswordFile`). The namespace holds `reactor` and
 * `service` (this plugin's service; `service.parent` is the application).
 *
 * **This is a root shell into the process.** A port number or a `tcp:`
 * endpoint without `interface=` listens on 127.0.0.1 only; serve other
 * hosts only by naming the interface, and keep the password file private.
 *
 * @module
 */
import { type IService, MultiService } from "../../application/mod.ts";
import { FilePasswordDB, Portal } from "../../cred/mod.ts";
import { Factory } from "../../internet/protocol.ts";
import { Logger } from "../../logger/mod.ts";
import { Key } from "../../conch/keys/_key.ts";
import { AuthenticatingTelnetProtocol, TelnetTransport } from "../../conch/_telnet_transport.ts";
import { ServerProtocol } from "../../conch/insults/_server.ts";
import { ColoredManhole } from "../../conch/manhole/_manhole.ts";
import { ConchFactory, TerminalRealm } from "../../conch/manhole/_ssh.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { describeError, resolvePath } from "../_runner.ts";
import { listeningTree } from "../_serve.ts";
import { coerceInt, Options, type ParameterSpec, UsageError } from "../_usage.ts";

const log = new Logger("tw");

/**
 * Options of `tw manhole` (twistd manhole's names and short letters).
 *
 * @example
 * ```ts
 * import { ManholeOptions } from "@tw/core/cli";
 * const options = new ManholeOptions();
 * options.parseOptions(["-t", "2323", "-p", "passwords"]);
 * console.log(options.opts.telnetPort, options.opts.sshKeyName); // 2323 server.key
 * ```
 */
export class ManholeOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string = "A JavaScript REPL into this process over telnet and/or SSH " +
    "(twistd manhole). It is a root shell into the server: logins are checked against " +
    "--passwd, and ports listen on 127.0.0.1 unless an endpoint names its interface.";
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "telnetPort",
      short: "t",
      metavar: "ENDPOINT",
      doc: "Listen for telnet here: a port number or an endpoint description.",
    },
    {
      name: "sshPort",
      short: "s",
      metavar: "ENDPOINT",
      doc: "Listen for SSH here: a port number or an endpoint description.",
    },
    {
      name: "passwd",
      short: "p",
      metavar: "FILE",
      doc: "The cred password file of the users who may log in (required).",
    },
    {
      name: "sshKeyDir",
      metavar: "DIR",
      doc: "Where the generated SSH host key is kept (default: $XDG_DATA_HOME/tw).",
    },
    { name: "sshKeyName", default: "server.key", doc: "The host key's file name." },
    {
      name: "sshKeySize",
      default: 4096,
      coerce: coerceInt,
      doc: "The generated RSA host key's size in bits.",
    },
  ];

  /** Checks the options; throws `UsageError`. */
  override postOptions(): void {
    if (this.opts.telnetPort === undefined && this.opts.sshPort === undefined) {
      throw new UsageError("At least one of --telnetPort and --sshPort must be specified");
    }
    if (this.opts.passwd === undefined) {
      throw new UsageError("--passwd FILE is required: a manhole never runs without logins");
    }
    const bits = Number(this.opts.sshKeySize);
    if (!(bits >= 2048 && bits <= 16384)) {
      throw new UsageError(`Bad --sshKeySize: ${bits} (2048 to 16384)`);
    }
    const name = String(this.opts.sshKeyName);
    if (name === "" || name.includes("/")) throw new UsageError(`Bad --sshKeyName: ${name}`);
  }
}

/**
 * The endpoint description for `--telnetPort` / `--sshPort`: a port number
 * or a description; a tcp one without `interface=` listens on loopback.
 *
 * @example
 * ```ts
 * import { manholeEndpoint } from "@tw/core/cli";
 * console.log(manholeEndpoint("2323")); // tcp:2323:interface=127.0.0.1
 * console.log(manholeEndpoint("tcp:2323:interface=0.0.0.0")); // as given
 * ```
 */
export function manholeEndpoint(port: string): string {
  const description = /^\d+$/.test(port) ? `tcp:${port}` : port;
  if (/^tcp6?:/.test(description) && !/(^|:)interface=/.test(description)) {
    return `${description}:interface=${description.startsWith("tcp6:") ? "\\:\\:1" : "127.0.0.1"}`;
  }
  return description;
}

async function persistentRSAKey(
  context: PluginContext,
  dir: string,
  name: string,
  bits: number,
): Promise<Key> {
  const runtime = context.reactor.runtime;
  const file = `${dir.replace(/\/+$/, "")}/${name}`;
  let text: Uint8Array | null = null;
  try {
    text = await runtime.readFile(file);
  } catch {
    // made below
  }
  if (text !== null) {
    try {
      return Key.fromString(text);
    } catch (error) {
      throw new Error(`Cannot load the SSH host key ${file}: ${describeError(error)}`);
    }
  }
  log.info("Generating a {bits} bit RSA host key in {file}", { bits, file });
  const key = await Key.generate("rsa", { bits });
  try {
    await runtime.mkdir(dir, { recursive: true, mode: 0o700 });
    await runtime.writeFile(file, key.toString("openssh"), { mode: 0o600, exclusive: true });
  } catch (error) {
    throw new Error(`Cannot write the SSH host key ${file}: ${describeError(error)}`);
  }
  return key;
}

/** The `manhole` plugin. */
export const manholePlugin: IServiceMaker = {
  tapname: "manhole",
  description: "A JavaScript REPL into the running process, over telnet and SSH",
  options: ManholeOptions,
  async makeService(options: Options, context: PluginContext): Promise<IService> {
    const opts = options.opts;
    const reactor = context.reactor;
    const runtime = reactor.runtime;
    const service = new MultiService();
    const namespace: Record<string, unknown> = { reactor, service };
    const passwd = resolvePath(context.cwd, String(opts.passwd));
    try {
      await runtime.readFile(passwd);
    } catch (error) {
      throw new Error(`Cannot read password file ${passwd}: ${describeError(error)}`);
    }
    const checker = new FilePasswordDB(passwd, { runtime });
    const realm = new TerminalRealm(() => new ServerProtocol(() => new ColoredManhole(namespace)));
    const portal = new Portal(realm, [checker]);
    if (opts.telnetPort !== undefined) {
      const factory = new Factory();
      factory.buildProtocol = () =>
        new TelnetTransport(() => new AuthenticatingTelnetProtocol(portal));
      const description = manholeEndpoint(String(opts.telnetPort));
      listeningTree(reactor, [description], factory).setServiceParent(service);
      log.info("Manhole over telnet on {description}", { description });
    }
    if (opts.sshPort !== undefined) {
      const home = runtime.env("HOME") ?? "/";
      const dataHome = runtime.env("XDG_DATA_HOME") || `${home.replace(/\/+$/, "")}/.local/share`;
      const dir = opts.sshKeyDir === undefined
        ? `${dataHome}/tw`
        : resolvePath(context.cwd, String(opts.sshKeyDir));
      const key = await persistentRSAKey(
        context,
        dir,
        String(opts.sshKeyName),
        Number(opts.sshKeySize),
      );
      const factory = new ConchFactory(portal, [key]);
      factory.reactor = reactor;
      const description = manholeEndpoint(String(opts.sshPort));
      listeningTree(reactor, [description], factory).setServiceParent(service);
      log.info("Manhole over SSH on {description}, host key {fingerprint}", {
        description,
        fingerprint: key.fingerprint(),
      });
    }
    return service;
  },
};
