/**
 * The `conch` plugin: `tw conch`, Twisted's `twistd conch` (`twisted.conch.tap`).
 *
 *     tw conch -p tcp:2222 -d ./hostkeys --auth file:passwords
 *     tw conch -p 2222 -i 0.0.0.0 --authorized-keys ~/.ssh/authorized_keys
 *
 * An SSH server whose sessions run as the server's own user, whatever login
 * name was accepted: `exec` through the user's shell, `shell`, `pty-req`
 * (through util-linux `script`), `env` (LANG and LC_*), `signal`. Host keys
 * are every `ssh_host_*_key` in `-d / --data` (default `/etc/ssh`); the
 * group-exchange primes come from the `moduli` file in `--moduli` (default:
 * the data folder; without it, RFC 3526's groups). Users log in with a key
 * from `--authorized-keys` (default `~/.ssh/authorized_keys`) and, with
 * `--auth file:PATH`, with a password or keyboard-interactive against a cred
 * password file (`writePasswordFile`). It listens on `-p / --port` (default
 * `tcp:22`) on `-i / --interface` (default 127.0.0.1: give `-i 0.0.0.0` to
 * serve others). SIGTERM disconnects the clients and exits 0.
 *
 * @module
 */
import { type IService, MultiService } from "../../application/mod.ts";
import { FilePasswordDB, type ICredentialsChecker, Portal } from "../../cred/mod.ts";
import type { IProtocol } from "../../internet/interfaces.ts";
import type { Address } from "../../internet/address.ts";
import { Logger } from "../../logger/mod.ts";
import { Key } from "../../conch/keys/_key.ts";
import { AuthorizedKeysFile, SSHPublicKeyChecker } from "../../conch/keys/_checkers.ts";
import { DISCONNECT } from "../../conch/ssh/_constants.ts";
import { parseModuli } from "../../conch/ssh/_dh_groups.ts";
import { SSHFactory } from "../../conch/ssh/_factory.ts";
import type { SSHServerTransport } from "../../conch/ssh/_transport_server.ts";
import { SSHUserAuthServer } from "../../conch/ssh/_userauth_server.ts";
import { SSHConnection } from "../../conch/ssh/_connection.ts";
import { UnixConchUser } from "../../conch/unix/_user.ts";
import { SCRIPT_PATH } from "../../conch/unix/_session.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { describeError, resolvePath } from "../_runner.ts";
import { escapeEndpointValue, listeningTree } from "../_serve.ts";
import { Options, type ParameterSpec, UsageError } from "../_usage.ts";

const log = new Logger("tw");

/** The default endpoint of `tw conch` (twistd conch's). */
export const CONCH_DEFAULT_PORT = "tcp:22";

class PublicKeyUserAuthServer extends SSHUserAuthServer {
  override supportedAuthentications: string[] = ["publickey"];
}

/**
 * Options of `tw conch` (twistd conch's names and short letters).
 *
 * @example
 * ```ts
 * import { ConchOptions } from "@tw/core/cli";
 * const options = new ConchOptions();
 * options.parseOptions(["-p", "2222", "--auth", "file:passwords"]);
 * console.log(options.opts.port, options.opts.interface, options.opts.data); // 2222 127.0.0.1 /etc/ssh
 * ```
 */
export class ConchOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string = "An SSH server (twistd conch). Sessions run as this server's " +
    "user. Host keys: every ssh_host_*_key in --data (make one with `tw ckeygen -t ed25519 " +
    "-f DIR/ssh_host_ed25519_key --no-passphrase`). Logins with keys from --authorized-keys, " +
    "and with passwords with --auth file:PATH. Listens on 127.0.0.1 unless -i says otherwise.";
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "port",
      short: "p",
      default: CONCH_DEFAULT_PORT,
      metavar: "ENDPOINT",
      doc: "Listen here: a port number or an endpoint description.",
    },
    {
      name: "interface",
      short: "i",
      default: "127.0.0.1",
      metavar: "HOST",
      doc: "The address tcp: ports listen on (0.0.0.0 or :: for every interface).",
    },
    {
      name: "data",
      short: "d",
      default: "/etc/ssh",
      metavar: "DIR",
      doc: "The folder of the ssh_host_*_key files.",
    },
    { name: "moduli", metavar: "DIR", doc: "The folder of the moduli file (default: --data)." },
    { name: "auth", metavar: "CHECKER", doc: "Also allow passwords: file:PATH (a cred file)." },
    {
      name: "authorized-keys",
      metavar: "FILE",
      doc: "The public keys allowed to log in (default: ~/.ssh/authorized_keys).",
    },
    {
      name: "sftp-root",
      metavar: "DIR",
      doc: "Confine SFTP to this folder, shown as / (default: the whole file system, from HOME).",
    },
  ];

  /** Checks the options; throws `UsageError`. */
  override postOptions(): void {
    const auth = this.opts.auth as string | undefined;
    if (auth !== undefined && !(auth.startsWith("file:") && auth.length > 5)) {
      throw new UsageError(`Unknown --auth checker: ${auth} (expected file:PATH)`);
    }
    const port = String(this.opts.port);
    if (/^\d+$/.test(port) && (Number(port) > 65535)) {
      throw new UsageError(`Bad --port: ${port}`);
    }
  }
}

/** The endpoint description for `--port` and `--interface`. */
function endpointFor(port: string, iface: string): string {
  const description = /^\d+$/.test(port) ? `tcp:${port}` : port;
  if (/^tcp6?:/.test(description) && !/(^|:)interface=/.test(description)) {
    return `${description}:interface=${escapeEndpointValue(iface)}`;
  }
  return description;
}

async function loadHostKeys(dir: string, context: PluginContext): Promise<Record<string, Key>> {
  const runtime = context.reactor.runtime;
  let names: string[];
  try {
    names = await runtime.readDir(dir);
  } catch (error) {
    throw new Error(`Cannot read the host key folder ${dir}: ${describeError(error)}`);
  }
  const keys: Record<string, Key> = {};
  for (const name of names.filter((n) => /^ssh_host_.+_key$/.test(n))) {
    const file = `${dir.replace(/\/+$/, "")}/${name}`;
    let key: Key;
    try {
      key = Key.fromString(await runtime.readFile(file));
    } catch (error) {
      throw new Error(`Cannot load host key ${file}: ${describeError(error)}`);
    }
    if (key.isPublic()) throw new Error(`Host key ${file} is a public key`);
    keys[key.sshType()] = key;
    log.info("Host key {file}: {type} {fingerprint}", {
      file,
      type: key.sshType(),
      fingerprint: key.fingerprint(),
    });
  }
  if (Object.keys(keys).length === 0) {
    throw new Error(
      `No host keys (ssh_host_*_key files) in ${dir}: make one with ` +
        `\`tw ckeygen -t ed25519 -f ${dir}/ssh_host_ed25519_key --no-passphrase\``,
    );
  }
  return keys;
}

/** The server: the listeners, and on stop a disconnect to each client. */
class ConchService extends MultiService {
  readonly clients: Set<SSHServerTransport> = new Set();

  override stopService(): ReturnType<MultiService["stopService"]> {
    for (const client of [...this.clients]) {
      try {
        client.sendDisconnect(DISCONNECT.BY_APPLICATION, "server shutting down");
      } catch {
        // already gone
      }
    }
    this.clients.clear();
    return super.stopService();
  }
}

class ConchFactory extends SSHFactory {
  #service: ConchService;
  constructor(service: ConchService) {
    super();
    this.#service = service;
  }
  override buildProtocol(address: Address): IProtocol | null {
    const protocol = super.buildProtocol(address) as SSHServerTransport | null;
    if (protocol === null) return null;
    const clients = this.#service.clients;
    clients.add(protocol);
    const lost = protocol.connectionLost.bind(protocol);
    protocol.connectionLost = (reason) => {
      clients.delete(protocol);
      lost(reason);
    };
    return protocol;
  }
}

/** The `conch` plugin. */
export const conchPlugin: IServiceMaker = {
  tapname: "conch",
  description: "An SSH server: commands and shells as this server's user",
  options: ConchOptions,
  async makeService(options: Options, context: PluginContext): Promise<IService> {
    const opts = options.opts;
    const reactor = context.reactor;
    const runtime = reactor.runtime;
    const home = runtime.env("HOME") ?? "/";
    const dataDir = resolvePath(context.cwd, opts.data as string);
    const service = new ConchService();
    const factory = new ConchFactory(service);
    factory.reactor = reactor;
    factory.privateKeys = await loadHostKeys(dataDir, context);
    const moduliDir = opts.moduli === undefined
      ? dataDir
      : resolvePath(context.cwd, opts.moduli as string);
    try {
      const text = new TextDecoder().decode(await runtime.readFile(`${moduliDir}/moduli`));
      factory.primes = parseModuli(text);
    } catch (error) {
      if (opts.moduli !== undefined) {
        throw new Error(`Cannot read ${moduliDir}/moduli: ${describeError(error)}`);
      }
    }
    const keysFile = opts["authorized-keys"] === undefined
      ? `${home.replace(/\/+$/, "")}/.ssh/authorized_keys`
      : resolvePath(context.cwd, opts["authorized-keys"] as string);
    const checkers: ICredentialsChecker[] = [
      new SSHPublicKeyChecker(new AuthorizedKeysFile(keysFile, { runtime })),
    ];
    if (opts.auth !== undefined) {
      const file = resolvePath(context.cwd, String(opts.auth).slice("file:".length));
      try {
        await runtime.readFile(file);
      } catch (error) {
        throw new Error(`Cannot read password file ${file}: ${describeError(error)}`);
      }
      checkers.push(new FilePasswordDB(file, { runtime }));
    } else {
      factory.services = {
        "ssh-userauth": PublicKeyUserAuthServer,
        "ssh-connection": SSHConnection,
      };
    }
    let ptySupported = true;
    try {
      // util-linux script, and /proc to find the terminal on window-change: Linux.
      await runtime.stat(SCRIPT_PATH);
      await runtime.stat("/proc/self/task");
    } catch {
      ptySupported = false;
      log.warn("No {script} (util-linux) or no /proc: pty-req is refused", {
        script: SCRIPT_PATH,
      });
    }
    const shell = runtime.env("SHELL") || "/bin/sh";
    const sftpRoot = opts["sftp-root"] === undefined
      ? null
      : resolvePath(context.cwd, opts["sftp-root"] as string);
    const username = runtime.env("USER") ?? runtime.env("LOGNAME") ?? "root";
    const path = runtime.env("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
    const realm = {
      requestAvatar(_avatarId: unknown, _mind: unknown, ...interfaces: unknown[]) {
        const user = new UnixConchUser({
          reactor,
          username,
          home,
          shell,
          path,
          ptySupported,
          sftpRoot,
        });
        return [interfaces[0], user, () => user.logout()];
      },
    };
    factory.portal = new Portal(realm as never, checkers);
    log.info("Logins with the keys in {file}{passwords}", {
      file: keysFile,
      passwords: opts.auth === undefined ? "" : " and passwords",
    });
    const description = endpointFor(String(opts.port), opts.interface as string);
    listeningTree(reactor, [description], factory).setServiceParent(service);
    return service;
  },
};
