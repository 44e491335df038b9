/**
 * `serverFromString` / `clientFromString`: endpoints from Twisted's
 * description strings, the built-in endpoint types, and the registry users add
 * their own types to. Private to src/internet; endpoints.ts re-exports it.
 *
 * Parsing is synchronous and strict: a malformed description throws at once
 * (SyntaxError for bad syntax or values, TypeError for unknown types or
 * parameters, RangeError for values out of range). Files named in a
 * description (keys, certificates, trust roots) are read later, when the
 * endpoint listens or connects, so that parsing does no I/O.
 *
 * @module
 */
import { DEFAULT_BACKLOG } from "./tcp.ts";
import { isIPv4, isIPv6 } from "./address.ts";
import { NotSupportedError } from "./error.ts";
import type { IReactorNetwork, IReactorSocket } from "./interfaces.ts";
import { type ListenFDsSource, systemdEndpoint } from "./_endpoints_adopted.ts";
import type { TlsOptions } from "./socket.ts";
import {
  type IStreamClientEndpoint,
  type IStreamServerEndpoint,
  SSL4ClientEndpoint,
  SSL4ServerEndpoint,
  TCP4ClientEndpoint,
  TCP4ServerEndpoint,
  TCP6ClientEndpoint,
  TCP6ServerEndpoint,
  UNIXClientEndpoint,
  UNIXServerEndpoint,
  wrapClientTLS,
} from "./_endpoints_stream.ts";
import { HostnameEndpoint } from "./_endpoints_hostname.ts";
import {
  bindParameters,
  parseDescription,
  parseFlag,
  parseInteger,
  parseMode,
  parseNonEmpty,
  parsePort,
  parseSeconds,
  quote,
} from "./_endpoints_parse.ts";

/**
 * Options for `serverFromString` / `clientFromString`: how files named in a
 * description are read (when the endpoint listens or connects). By default the
 * reactor's runtime is asked (`reactor.runtime.readFile` / `readDir`) when it
 * has those methods.
 */
export interface FromStringOptions {
  /** Reads a whole file (a PEM key, certificate or CA bundle). */
  readFile?: (path: string) => PromiseLike<Uint8Array>;
  /** Lists the entry names of a folder (a folder of CA certificates). */
  readDir?: (path: string) => PromiseLike<string[]>;
  /** Where `systemd:` finds the passed sockets. @default the reactor's runtime */
  listenFDs?: ListenFDsSource;
}

/**
 * Makes a server endpoint from a description's arguments: `args` are the
 * positional arguments after the prefix, `kwargs` the `name=value` ones (all
 * unescaped strings). Throw for bad arguments.
 */
export type ServerEndpointParser = (
  reactor: IReactorNetwork,
  args: string[],
  kwargs: Record<string, string>,
  options: FromStringOptions,
) => IStreamServerEndpoint;

/** Makes a client endpoint from a description's arguments; see `ServerEndpointParser`. */
export type ClientEndpointParser = (
  reactor: IReactorNetwork,
  args: string[],
  kwargs: Record<string, string>,
  options: FromStringOptions,
) => IStreamClientEndpoint;

// ---- the built-in types ------------------------------------------------------

interface Spec {
  prefix: string;
  params: readonly string[];
  required: readonly string[];
  /** Other accepted names for a parameter: alias -> name. */
  aliases?: Record<string, string>;
  /** Parameters taken by name only (ours, beyond Twisted's positional ones). */
  keywordOnly?: readonly string[];
}

type Bound = Record<string, string | undefined>;

/** Binds a description's arguments to a spec, resolving aliases first. */
function bind(spec: Spec, args: string[], kwargs: Record<string, string>, desc: string): Bound {
  const named: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(kwargs)) {
    const name = spec.aliases?.[key] ?? key;
    if (name in named) throw new SyntaxError(`${name} is given twice in ${quote(desc)}`);
    named[name] = value;
  }
  const parsed = { prefix: spec.prefix, args, kwargs: named };
  // A keyword-only parameter takes part only when named, so no positional value reaches it.
  const keywordOnly = spec.keywordOnly ?? [];
  const params = spec.params.filter((name) => !keywordOnly.includes(name) || name in named);
  return bindParameters(parsed, params, spec.required, desc);
}

function tcpServer(ipv6: boolean): BuiltinServer {
  const spec: Spec = {
    prefix: ipv6 ? "tcp6" : "tcp",
    params: ["port", "interface", "backlog", "reusePort"],
    required: ["port"],
    keywordOnly: ["reusePort"],
  };
  return (reactor, args, kwargs, _options, desc) => {
    const p = bind(spec, args, kwargs, desc);
    const Endpoint = ipv6 ? TCP6ServerEndpoint : TCP4ServerEndpoint;
    return new Endpoint(reactor, parsePort(p.port!), {
      interface: p.interface ?? (ipv6 ? "::" : ""),
      backlog: p.backlog === undefined ? DEFAULT_BACKLOG : parseInteger(p.backlog, "backlog"),
      reusePort: p.reusePort === undefined ? false : parseFlag(p.reusePort, "reusePort"),
    });
  };
}

const systemdSpec: Spec = {
  prefix: "systemd",
  params: ["domain", "index", "name"],
  required: ["domain"],
};

const systemdServer: BuiltinServer = (reactor, args, kwargs, options, desc) => {
  const p = bind(systemdSpec, args, kwargs, desc);
  const runtime = (reactor as { runtime?: ListenFDsSource }).runtime;
  const source = options.listenFDs ?? runtime;
  if (source === undefined) {
    throw new TypeError(`${quote(desc)}: this reactor has no environment to find sockets in`);
  }
  return systemdEndpoint(
    reactor as unknown as IReactorSocket,
    source,
    p.domain!,
    p.index,
    p.name,
  );
};

const sslServerSpec: Spec = {
  prefix: "ssl",
  params: [
    "port",
    "privateKey",
    "certKey",
    "interface",
    "backlog",
    "extraCertChain",
    "timeout",
    "reusePort",
  ],
  keywordOnly: ["reusePort"],
  required: ["port"],
};

const sslServer: BuiltinServer = (reactor, args, kwargs, options, desc) => {
  const p = bind(sslServerSpec, args, kwargs, desc);
  const port = parsePort(p.port!);
  // Twisted's default: one file holding the key and the certificate.
  const keyPath = parseNonEmpty(p.privateKey ?? "server.pem", "privateKey");
  const certPath = parseNonEmpty(p.certKey ?? keyPath, "certKey");
  const chainPath = p.extraCertChain === undefined
    ? undefined
    : parseNonEmpty(p.extraCertChain, "extraCertChain");
  // Seconds a client may take to complete its handshake (TlsOptions' default otherwise).
  const handshakeTimeout = p.timeout === undefined ? undefined : parseSeconds(p.timeout, "timeout");
  const files = fileReader(reactor, options);
  const load = async (): Promise<TlsOptions> => {
    const key = pemBlocks(await files.text(keyPath, "privateKey"), isKeyLabel);
    const certs = pemBlocks(await files.text(certPath, "certKey"), isCertLabel);
    if (chainPath !== undefined) {
      certs.push(...pemBlocks(await files.text(chainPath, "extraCertChain"), isCertLabel));
    }
    if (key.length === 0) throw new Error(`No private key in privateKey file ${quote(keyPath)}`);
    if (certs.length === 0) throw new Error(`No certificate in certKey file ${quote(certPath)}`);
    const tls: TlsOptions = { key: key.join("\n"), cert: certs.join("\n") };
    if (handshakeTimeout !== undefined) tls.handshakeTimeout = handshakeTimeout;
    return tls;
  };
  return new SSL4ServerEndpoint(reactor, port, load, {
    interface: p.interface ?? "",
    backlog: p.backlog === undefined ? DEFAULT_BACKLOG : parseInteger(p.backlog, "backlog"),
    reusePort: p.reusePort === undefined ? false : parseFlag(p.reusePort, "reusePort"),
  });
};

const unixServerSpec: Spec = {
  prefix: "unix",
  params: ["address", "mode", "backlog", "lockfile"],
  required: ["address"],
  aliases: { path: "address", wantPID: "lockfile" },
};

const unixServer: BuiltinServer = (reactor, args, kwargs, _options, desc) => {
  const p = bind(unixServerSpec, args, kwargs, desc);
  return new UNIXServerEndpoint(reactor, parseNonEmpty(p.address!, "address"), {
    mode: p.mode === undefined ? 0o666 : parseMode(p.mode),
    backlog: p.backlog === undefined ? DEFAULT_BACKLOG : parseInteger(p.backlog, "backlog"),
    wantPID: p.lockfile === undefined ? true : parseFlag(p.lockfile, "lockfile"),
  });
};

/** Timeout and local address, as Twisted reads them (`bindAddress=host`, port 0). */
function clientOptions(p: Bound): { timeout: number; bindAddress?: [string, number] } {
  const out: { timeout: number; bindAddress?: [string, number] } = {
    timeout: p.timeout === undefined ? 30 : parseSeconds(p.timeout, "timeout"),
  };
  if (p.bindAddress !== undefined) {
    out.bindAddress = [parseNonEmpty(p.bindAddress, "bindAddress"), 0];
  }
  return out;
}

function tcpClient(ipv6: boolean): BuiltinClient {
  const spec: Spec = {
    prefix: ipv6 ? "tcp6" : "tcp",
    params: ["host", "port", "timeout", "bindAddress"],
    required: ["host", "port"],
  };
  return (reactor, args, kwargs, _options, desc) => {
    const p = bind(spec, args, kwargs, desc);
    const Endpoint = ipv6 ? TCP6ClientEndpoint : TCP4ClientEndpoint;
    return new Endpoint(
      reactor,
      parseNonEmpty(p.host!, "host"),
      parsePort(p.port!),
      clientOptions(p),
    );
  };
}

const sslClientSpec: Spec = {
  prefix: "ssl",
  params: ["host", "port", "timeout", "bindAddress", "certKey", "privateKey", "caCertsDir"],
  required: ["host", "port"],
};

const sslClient: BuiltinClient = (reactor, args, kwargs, options, desc) => {
  const p = bind(sslClientSpec, args, kwargs, desc);
  const host = parseNonEmpty(p.host!, "host");
  const port = parsePort(p.port!);
  if (p.privateKey !== undefined && p.certKey === undefined) {
    throw new TypeError(`privateKey needs certKey (the client certificate) in ${quote(desc)}`);
  }
  const load = clientTlsLoader(reactor, options, host, {
    certificate: p.certKey,
    certificateName: "certKey",
    privateKey: p.privateKey,
    trustRoots: p.caCertsDir,
    trustRootsName: "caCertsDir",
  });
  return new SSL4ClientEndpoint(reactor, host, port, load, clientOptions(p));
};

const unixClientSpec: Spec = { prefix: "unix", params: ["path", "timeout"], required: ["path"] };

const unixClient: BuiltinClient = (reactor, args, kwargs, _options, desc) => {
  const p = bind(unixClientSpec, args, kwargs, desc);
  return new UNIXClientEndpoint(reactor, parseNonEmpty(p.path!, "path"), {
    timeout: p.timeout === undefined ? 30 : parseSeconds(p.timeout, "timeout"),
  });
};

const tlsClientSpec: Spec = {
  prefix: "tls",
  params: [
    "host",
    "port",
    "timeout",
    "bindAddress",
    "certificate",
    "privateKey",
    "trustRoots",
    "endpoint",
  ],
  required: ["host", "port"],
};

const tlsClient: BuiltinClient = (reactor, args, kwargs, options, desc) => {
  const p = bind(tlsClientSpec, args, kwargs, desc);
  const host = parseNonEmpty(p.host!.replace(/^\[(.*)\]$/, "$1"), "host");
  const port = parsePort(p.port!);
  if (p.privateKey !== undefined && p.certificate === undefined) {
    throw new TypeError(`privateKey needs certificate in ${quote(desc)}`);
  }
  // The connection under TLS: every address of the host, or the endpoint described.
  const underlying = p.endpoint === undefined
    ? new HostnameEndpoint(reactor, host, port, clientOptions(p))
    : clientFromString(reactor, p.endpoint, options);
  const load = clientTlsLoader(reactor, options, host, {
    certificate: p.certificate,
    certificateName: "certificate",
    privateKey: p.privateKey,
    trustRoots: p.trustRoots,
    trustRootsName: "trustRoots",
    // `timeout` bounds the handshake too, once the connection under TLS is up.
    handshakeTimeout: clientOptions(p).timeout,
  });
  return wrapClientTLS(load, underlying);
};

interface ClientTlsFiles {
  certificate: string | undefined;
  certificateName: string;
  privateKey: string | undefined;
  trustRoots: string | undefined;
  trustRootsName: string;
  /** Seconds the handshake may take, when the description says. */
  handshakeTimeout?: number;
}

/** The loader of a client's TLS options: name to verify, client certificate, trust roots. */
function clientTlsLoader(
  reactor: IReactorNetwork,
  options: FromStringOptions,
  host: string,
  paths: ClientTlsFiles,
): () => Promise<TlsOptions> {
  const { certificate, privateKey, trustRoots } = paths;
  if (certificate === "" || privateKey === "" || trustRoots === "") {
    throw new SyntaxError("Invalid file name: empty");
  }
  const files = fileReader(reactor, options);
  return async (): Promise<TlsOptions> => {
    // An IP address is verified against the certificate's IP entries, not sent as SNI.
    const tls: TlsOptions = isIPv4(host) || isIPv6(host) ? {} : { serverName: host };
    if (paths.handshakeTimeout !== undefined) tls.handshakeTimeout = paths.handshakeTimeout;
    if (certificate !== undefined) {
      const certText = await files.text(certificate, paths.certificateName);
      const keyText = privateKey === undefined
        ? certText
        : await files.text(privateKey, "privateKey");
      const cert = pemBlocks(certText, isCertLabel);
      const key = pemBlocks(keyText, isKeyLabel);
      if (cert.length === 0) {
        throw new Error(`No certificate in ${paths.certificateName} file ${quote(certificate)}`);
      }
      if (key.length === 0) {
        throw new Error(`No private key in ${quote(privateKey ?? certificate)}`);
      }
      tls.cert = cert.join("\n");
      tls.key = key.join("\n");
    }
    if (trustRoots !== undefined) {
      tls.ca = await files.certificates(trustRoots, paths.trustRootsName);
    }
    return tls;
  };
}

// ---- files -------------------------------------------------------------------

interface Files {
  text(path: string, what: string): Promise<string>;
  /** The certificates in a PEM file, or in every file of a folder. */
  certificates(path: string, what: string): Promise<string[]>;
}

function fileReader(reactor: IReactorNetwork, options: FromStringOptions): Files {
  const runtime = (reactor as { runtime?: FromStringOptions & { name?: string } }).runtime;
  const readFile = options.readFile ??
    (typeof runtime?.readFile === "function" ? runtime.readFile.bind(runtime) : undefined);
  const readDir = options.readDir ??
    (typeof runtime?.readDir === "function" ? runtime.readDir.bind(runtime) : undefined);
  const decoder = new TextDecoder();

  const read = async (path: string, what: string): Promise<Uint8Array> => {
    if (readFile === undefined) {
      throw new NotSupportedError(
        runtime?.name ?? "this reactor",
        `Reading the ${what} file ${quote(path)}`,
        "pass readFile in the options of serverFromString / clientFromString",
      );
    }
    try {
      return await readFile(path);
    } catch (error) {
      throw new Error(`Cannot read the ${what} file ${quote(path)}: ${message(error)}`, {
        cause: error,
      });
    }
  };

  return {
    async text(path, what) {
      return decoder.decode(await read(path, what));
    },
    async certificates(path, what) {
      let text: string;
      try {
        text = decoder.decode(await read(path, what));
      } catch (fileError) {
        // Not a readable file: maybe a folder of PEM files (Twisted's caCertsDir).
        if (readDir === undefined) throw fileError;
        let names: string[];
        try {
          names = await readDir(path);
        } catch {
          throw fileError;
        }
        const found: string[] = [];
        for (const name of [...names].sort()) {
          const full = path.endsWith("/") ? path + name : `${path}/${name}`;
          try {
            found.push(...pemBlocks(decoder.decode(await readFile!(full)), isCertLabel));
          } catch {
            // Sub-folders and unreadable entries are not certificates: skip them.
          }
        }
        if (found.length === 0) {
          throw new Error(`No certificates in the ${what} folder ${quote(path)}`);
        }
        return found;
      }
      const certs = pemBlocks(text, isCertLabel);
      if (certs.length === 0) {
        throw new Error(`No certificates in the ${what} file ${quote(path)}`);
      }
      return certs;
    },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function isCertLabel(label: string): boolean {
  return label === "CERTIFICATE" || label === "TRUSTED CERTIFICATE";
}

function isKeyLabel(label: string): boolean {
  return label.endsWith("PRIVATE KEY");
}

/**
 * The PEM blocks of `text` whose label passes `want`: a file may hold a key
 * and its certificate together, and each runtime wants them apart.
 */
export function pemBlocks(text: string, want: (label: string) => boolean): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) if (want(match[1])) out.push(match[0]);
  return out;
}

// ---- the registry ------------------------------------------------------------

type BuiltinServer = (
  reactor: IReactorNetwork,
  args: string[],
  kwargs: Record<string, string>,
  options: FromStringOptions,
  description: string,
) => IStreamServerEndpoint;

type BuiltinClient = (
  reactor: IReactorNetwork,
  args: string[],
  kwargs: Record<string, string>,
  options: FromStringOptions,
  description: string,
) => IStreamClientEndpoint;

const builtinServers = new Map<string, BuiltinServer>([
  ["tcp", tcpServer(false)],
  ["tcp6", tcpServer(true)],
  ["ssl", sslServer],
  ["unix", unixServer],
  ["systemd", systemdServer],
]);

const builtinClients = new Map<string, BuiltinClient>([
  ["tcp", tcpClient(false)],
  ["tcp6", tcpClient(true)],
  ["ssl", sslClient],
  ["tls", tlsClient],
  ["unix", unixClient],
]);

const userServers = new Map<string, ServerEndpointParser>();
const userClients = new Map<string, ClientEndpointParser>();

function checkPrefix(prefix: string, has: boolean): void {
  if (typeof prefix !== "string" || !/^[A-Za-z0-9_.+-]+$/.test(prefix)) {
    throw new TypeError(
      `Invalid endpoint type ${quote(String(prefix))}: use letters, digits, "_", ".", "+" or "-"`,
    );
  }
  if (has) throw new TypeError(`Endpoint type ${quote(prefix)} is already registered`);
}

/**
 * Adds an endpoint type to `serverFromString` (the plugin point of Twisted's
 * `IStreamServerEndpointStringParser`). `"myproto:a:b=c"` then calls
 * `parser(reactor, ["a"], { b: "c" }, options)`. A type cannot be registered
 * twice, nor shadow a built-in one.
 *
 * @param prefix the type, as written before the first ":"
 * @param parser makes the endpoint; it should throw for bad arguments
 * @returns a function that removes the registration
 * @example
 * ```ts
 * import { registerServerParser, serverFromString, TCP4ServerEndpoint } from "@tw/core/endpoints";
 * import { reactor } from "@tw/core";
 *
 * const unregister = registerServerParser("local", (r, [port]) =>
 *   new TCP4ServerEndpoint(r, Number(port), { interface: "127.0.0.1" }));
 * const endpoint = serverFromString(reactor, "local:8080");
 * unregister();
 * ```
 */
export function registerServerParser(prefix: string, parser: ServerEndpointParser): () => void {
  checkPrefix(prefix, builtinServers.has(prefix) || userServers.has(prefix));
  if (typeof parser !== "function") throw new TypeError("An endpoint parser must be a function");
  userServers.set(prefix, parser);
  return () => {
    if (userServers.get(prefix) === parser) userServers.delete(prefix);
  };
}

/**
 * Adds an endpoint type to `clientFromString` (the plugin point of Twisted's
 * `IStreamClientEndpointStringParserWithReactor`); see `registerServerParser`.
 *
 * @param prefix the type, as written before the first ":"
 * @param parser makes the endpoint; it should throw for bad arguments
 * @returns a function that removes the registration
 * @example
 * ```ts
 * import { clientFromString, registerClientParser, TCP4ClientEndpoint } from "@tw/core/endpoints";
 * import { reactor } from "@tw/core";
 *
 * // "local:8080" connects to 127.0.0.1:8080, with an optional timeout= keyword.
 * const unregister = registerClientParser("local", (r, [port], { timeout }) =>
 *   new TCP4ClientEndpoint(r, "127.0.0.1", Number(port), { timeout: Number(timeout ?? 30) }));
 * const endpoint = clientFromString(reactor, "local:8080:timeout=5");
 * unregister();
 * ```
 */
export function registerClientParser(prefix: string, parser: ClientEndpointParser): () => void {
  checkPrefix(prefix, builtinClients.has(prefix) || userClients.has(prefix));
  if (typeof parser !== "function") throw new TypeError("An endpoint parser must be a function");
  userClients.set(prefix, parser);
  return () => {
    if (userClients.get(prefix) === parser) userClients.delete(prefix);
  };
}

/** Adds the description to a built-in parser's value errors, which lack it. */
function withDescription<T>(description: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (
      (error instanceof SyntaxError || error instanceof RangeError) &&
      !error.message.includes(quote(description))
    ) {
      const Type = error instanceof SyntaxError ? SyntaxError : RangeError;
      throw new Type(`${error.message} in endpoint description ${quote(description)}`, {
        cause: error,
      });
    }
    throw error;
  }
}

function unknownType(kind: string, prefix: string, known: Iterable<string>, desc: string): never {
  throw new TypeError(
    `Unknown ${kind} endpoint type ${quote(prefix)} in ${quote(desc)} (known: ${
      [...known].sort().join(", ")
    })`,
  );
}

/**
 * Makes a server endpoint from a description (`serverFromString`), parsing it
 * at once. Types: `tcp:PORT[:interface=ADDR][:backlog=N]`, `tcp6:...` (interface
 * default "::"), `ssl:PORT:privateKey=key.pem[:certKey=cert.pem][:extraCertChain=
 * chain.pem][:timeout=S]` (files read at `listen()`; `timeout` bounds each
 * client's TLS handshake, 30 s by default), `unix:PATH[:mode=660][:backlog=N]
 * [:lockfile=0]`, `systemd:domain=INET:index=0` (or `name=` from LISTEN_FDNAMES:
 * a socket systemd passed), and registered ones. `tcp:` also takes
 * `reusePort=yes` (SO_REUSEPORT). Escape ":" and "=" in values with a
 * backslash (`tcp:80:interface=\:\:1`).
 *
 * @param reactor what the endpoint will listen with
 * @param description the description
 * @param options how files named in it are read
 * @returns the endpoint (not listening yet)
 * @throws {SyntaxError} for bad syntax or values; {TypeError} for an unknown type
 *   or parameter, or a missing one; {RangeError} for values out of range
 * @example
 * ```ts
 * import { serverFromString } from "@tw/core/endpoints";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * const endpoint = serverFromString(reactor, "tcp:0:interface=127.0.0.1");
 * const port = await endpoint.listen(Factory.forProtocol(Protocol));
 * await port.stopListening();
 * ```
 */
export function serverFromString(
  reactor: IReactorNetwork,
  description: string,
  options: FromStringOptions = {},
): IStreamServerEndpoint {
  const { prefix, args, kwargs } = parseDescription(description);
  const builtin = builtinServers.get(prefix);
  if (builtin !== undefined) {
    return withDescription(description, () => builtin(reactor, args, kwargs, options, description));
  }
  const parser = userServers.get(prefix);
  if (parser === undefined) {
    unknownType("server", prefix, [...builtinServers.keys(), ...userServers.keys()], description);
  }
  return parser(reactor, args, { ...kwargs }, options);
}

/**
 * Makes a client endpoint from a description (`clientFromString`), parsing it
 * at once. Types: `tcp:host=HOST:port=PORT[:timeout=S][:bindAddress=ADDR]` (or
 * `tcp:HOST:PORT`), `tcp6:...`, `tls:HOST:PORT[:trustRoots=ca.pem or a folder]
 * [:certificate=c.pem][:privateKey=k.pem][:timeout=S][:endpoint=DESCRIPTION]`
 * (every address of HOST, verified TLS; `timeout` bounds the connect and then
 * the TLS handshake, 30 s each by default), `ssl:HOST:PORT[:certKey=..][:privateKey=..]
 * [:caCertsDir=..]`, `unix:PATH[:timeout=S]` (or `unix:path=PATH`), and
 * registered ones. Files are read at `connect()`.
 *
 * @param reactor what the endpoint will connect with
 * @param description the description
 * @param options how files named in it are read
 * @returns the endpoint (not connected yet)
 * @throws {SyntaxError} for bad syntax or values; {TypeError} for an unknown type
 *   or parameter, or a missing one; {RangeError} for values out of range
 * @example
 * ```ts
 * import { clientFromString } from "@tw/core/endpoints";
 * import { reactor } from "@tw/core";
 *
 * const endpoint = clientFromString(reactor, "tls:example.org:443:timeout=10");
 * ```
 */
export function clientFromString(
  reactor: IReactorNetwork,
  description: string,
  options: FromStringOptions = {},
): IStreamClientEndpoint {
  const { prefix, args, kwargs } = parseDescription(description);
  const builtin = builtinClients.get(prefix);
  if (builtin !== undefined) {
    return withDescription(description, () => builtin(reactor, args, kwargs, options, description));
  }
  const parser = userClients.get(prefix);
  if (parser === undefined) {
    unknownType("client", prefix, [...builtinClients.keys(), ...userClients.keys()], description);
  }
  return parser(reactor, args, { ...kwargs }, options);
}
