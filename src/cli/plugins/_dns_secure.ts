/**
 * `tw dns --tls PORT` (DNS over TLS, RFC 7858: the server's TCP factory over
 * TLS) and `--https PORT` (DNS over HTTPS, RFC 8484: a web `Site` with
 * `DNSOverHTTPSResource` at `/dns-query`), both on `--interface`, with the
 * PEM files of `--certificate` and `--privkey`. Private to the dns plugin.
 *
 * @module
 */
import { Service } from "../../application/mod.ts";
import { Deferred } from "../../internet/defer.ts";
import type { IListeningPort } from "../../internet/interfaces.ts";
import type { Reactor } from "../../internet/reactor.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { Logger } from "../../logger/mod.ts";
import { DNSOverHTTPSResource, type DNSServerFactory } from "../../names/server.ts";
import { Resource } from "../../web/resource.ts";
import { Site } from "../../web/server.ts";
import type { PluginContext } from "../_plugins.ts";
import { describeError, resolvePath } from "../_runner.ts";
import { formatAddress } from "../_serve.ts";
import { coercePort, type ParameterSpec, UsageError } from "../_usage.ts";

const log = new Logger("tw");

/** The options `tw dns` takes for DoT and DoH. */
export const SECURE_PARAMETERS: ParameterSpec[] = [
  {
    name: "tls",
    metavar: "PORT",
    coerce: coercePort,
    doc: "Also serve DNS over TLS (RFC 7858) on this port (853 is its own; 0: a free one).",
  },
  {
    name: "https",
    metavar: "PORT",
    coerce: coercePort,
    doc: "Also serve DNS over HTTPS (RFC 8484) at /dns-query on this port (0: a free one).",
  },
  {
    name: "certificate",
    metavar: "FILE",
    doc: "The TLS certificate chain (PEM) for --tls and --https.",
  },
  { name: "privkey", metavar: "FILE", doc: "The TLS private key (PEM) for --tls and --https." },
];

/** Checks that --tls and --https come with a certificate and key, and those with one of them. */
export function checkSecureOptions(opts: Record<string, unknown>): void {
  const secure = opts.tls !== undefined || opts.https !== undefined;
  if (secure && (!opts.certificate || !opts.privkey)) {
    throw new UsageError("Options --tls and --https need --certificate and --privkey");
  }
  if (!secure && (opts.certificate || opts.privkey)) {
    throw new UsageError("Options --certificate and --privkey need --tls or --https");
  }
}

/** The DoT and DoH ports of `tw dns`. */
class SecureDNSService extends Service {
  readonly #reactor: Reactor;
  readonly #factory: DNSServerFactory;
  readonly #tls: TlsOptions;
  readonly #iface: string;
  readonly #dotPort: number | undefined;
  readonly #dohPort: number | undefined;
  #ports: IListeningPort[] = [];
  #site: Site | null = null;

  constructor(
    reactor: Reactor,
    factory: DNSServerFactory,
    tls: TlsOptions,
    iface: string,
    ports: { tls?: number; https?: number },
  ) {
    super();
    this.#reactor = reactor;
    this.#factory = factory;
    this.#tls = tls;
    this.#iface = iface;
    this.#dotPort = ports.tls;
    this.#dohPort = ports.https;
  }

  override startService(): Deferred<void> {
    super.startService();
    return Deferred.fromPromise(this.#listen());
  }

  async #listen(): Promise<void> {
    const reactor = this.#reactor;
    const options = { interface: this.#iface };
    if (this.#dotPort !== undefined) {
      const port = reactor.listenSSL(this.#dotPort, this.#factory, this.#tls, options);
      this.#ports.push(port);
      await port.whenListening();
      log.info("{factory} listening on {address} (DNS over TLS)", {
        factory: "DNSServerFactory",
        address: formatAddress(port.getHost()),
      });
    }
    if (this.#dohPort !== undefined) {
      const root = new Resource();
      root.putChild("dns-query", new DNSOverHTTPSResource(this.#factory, { reactor }));
      const site = new Site(root, { clock: reactor });
      this.#site = site;
      const port = reactor.listenSSL(this.#dohPort, site, this.#tls, options);
      this.#ports.push(port);
      await port.whenListening();
      log.info("{factory} listening on {address} (DNS over HTTPS at /dns-query)", {
        factory: "Site",
        address: formatAddress(port.getHost()),
      });
    }
  }

  override stopService(): Deferred<void> {
    super.stopService();
    const ports = this.#ports.splice(0);
    const site = this.#site;
    this.#site = null;
    return Deferred.fromPromise(
      Promise.all([
        ...ports.map((p) => p.stopListening()),
        site === null ? undefined : Promise.resolve(site.drain()),
      ]).then(() => {}),
    );
  }
}

/** The DoT / DoH service the options ask for, or null; reads the certificate and key. */
export async function secureService(
  opts: Record<string, unknown>,
  factory: DNSServerFactory,
  context: PluginContext,
): Promise<Service | null> {
  if (opts.tls === undefined && opts.https === undefined) return null;
  const runtime = context.reactor.runtime;
  const read = async (option: string): Promise<string> => {
    const file = resolvePath(context.cwd, opts[option] as string);
    try {
      return new TextDecoder().decode(await runtime.readFile(file));
    } catch (error) {
      throw new Error(`Cannot read the --${option} file ${file}: ${describeError(error)}`);
    }
  };
  const tls: TlsOptions = { cert: await read("certificate"), key: await read("privkey") };
  return new SecureDNSService(context.reactor, factory, tls, opts.interface as string, {
    tls: opts.tls as number | undefined,
    https: opts.https as number | undefined,
  });
}
