/**
 * The `dns` plugin: `tw dns`, Twisted's `twistd dns` (`twisted.names.tap`).
 *
 *     tw dns --bindzone db.example.com --port 5353
 *     tw dns --zone ./zones/example.ts --bindzone db.example.org
 *     tw dns --recursive --cache --interface 0.0.0.0 --port 53
 *
 * Serves over UDP and TCP on `--port` (53 by default; 0 picks a free port,
 * the same for both) on `--interface`: 127.0.0.1 by default (twistd binds
 * every interface; an open resolver or a server meant for a lab should not
 * be on the Internet by accident: give `--interface 0.0.0.0` to serve).
 *
 * Answers from `--bindzone FILE` (a BIND master file; repeatable) and
 * `--zone MODULE` (a TypeScript or JavaScript module exporting `zone`,
 * `[name, record]` pairs; repeatable; ours for twistd's `--pyzone`), then
 * `--cache`, then for queries asking recursion `--hosts-file FILE` and,
 * with `--recursive` (or `--resolv-conf FILE`, which implies it), the name
 * servers of resolv.conf. `-v` (repeatable) logs each query, twice their
 * answers too. SIGHUP reads the zone files again (a bad one keeps its old
 * zone and is logged); modules are not re-imported.
 *
 * `--secondary IP[:PORT]/DOMAIN` (repeatable; twistd's form, `[IPv6]:PORT`
 * too) serves DOMAIN as a secondary of the primary at IP: transferred
 * (AXFR) at start, refreshed as its SOA's timers say and at once when the
 * primary sends NOTIFY, SERVFAIL before the first transfer and once
 * expired. `--notify IP[:PORT]` (repeatable) sends NOTIFY for every zone
 * to that secondary on start and whenever a zone's serial changes (a
 * reload, a secondary's transfer). Zone transfers (AXFR; IXFR with the
 * differences of the last reloads) are open to anyone, as in twistd, unless
 * `--allow-transfer CIDR` (repeatable, IPv4 or IPv6) lists who may.
 *
 * `--tls PORT` also serves DNS over TLS (RFC 7858) and `--https PORT` DNS
 * over HTTPS (RFC 8484, at `/dns-query`, HTTP/1.1), on the same
 * `--interface`, with the PEM files `--certificate FILE` and `--privkey FILE`.
 *
 * @module
 */
import { type IService, MultiService, Service } from "../../application/mod.ts";
import { Deferred } from "../../internet/defer.ts";
import type { IListeningPort } from "../../internet/interfaces.ts";
import type { Reactor } from "../../internet/reactor.ts";
import { Logger } from "../../logger/mod.ts";
import { DNSDatagramProtocol } from "../../names/_protocols.ts";
import { BindAuthority, ModuleAuthority } from "../../names/authority.ts";
import type { IResolver } from "../../names/common.ts";
import { DNSServerFactory, type ICacheResolver } from "../../names/server.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { describeError, resolvePath } from "../_runner.ts";
import { formatAddress } from "../_serve.ts";
import { coercePort, type FlagSpec, Options, type ParameterSpec, UsageError } from "../_usage.ts";
import { importModule } from "./_modules.ts";
import { checkSecureOptions, SECURE_PARAMETERS, secureService } from "./_dns_secure.ts";
import { TRANSFER_PARAMETERS, ZoneTransfers } from "./_dns_transfer.ts";

const log = new Logger("tw");

/**
 * Options of `tw dns` (twistd dns's names and short letters; `--verbose`
 * counts, `--pyzone` is refused in favour of `--zone`).
 *
 * @example
 * ```ts
 * import { DnsOptions } from "@tw/core/cli";
 * const options = new DnsOptions();
 * options.parseOptions(["--bindzone", "db.example.com", "-p", "5353", "-vv"]);
 * console.log(options.opts.port, options.opts.bindzone, options.opts.verbose); // 5353 [ "db.example.com" ] 2
 * console.log(options.opts.interface); // 127.0.0.1
 * ```
 */
export class DnsOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string = "A DNS server (twistd dns): authoritative for --bindzone and " +
    "--zone, secondary for --secondary zones, recursive with --recursive. Serves UDP and TCP " +
    "on --port of --interface, 127.0.0.1 unless told otherwise (twistd: every interface). " +
    "SIGHUP reloads zone files; --notify secondaries hear of new serials. Zone transfers " +
    "(AXFR, and IXFR of reloaded zones) are open to all unless --allow-transfer is given. " +
    "--tls and --https add DNS over TLS and DNS over HTTPS (HTTP/1.1, /dns-query).";
  /** The flags. */
  override optFlags: FlagSpec[] = [
    { name: "cache", short: "c", doc: "Cache what recursive lookups find." },
    { name: "recursive", short: "r", doc: "Resolve other names through resolv.conf's servers." },
    { name: "verbose", short: "v", doc: "Log each query; twice: their answers too (repeatable)." },
  ];
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "interface",
      short: "i",
      default: "127.0.0.1",
      metavar: "ADDRESS",
      doc: "The address to serve on (0.0.0.0 or :: for every interface).",
    },
    {
      name: "port",
      short: "p",
      default: 53,
      coerce: coercePort,
      doc: "The UDP and TCP port (0: a free one, the same for both).",
    },
    {
      name: "bindzone",
      multiple: true,
      metavar: "FILE",
      doc: "Serve the zone in this BIND master file.",
    },
    {
      name: "zone",
      multiple: true,
      metavar: "MODULE",
      doc: "Serve the zone a TS/JS module exports as `zone` ([name, record] pairs).",
    },
    { name: "hosts-file", metavar: "FILE", doc: "Answer from this hosts file too." },
    {
      name: "rate-limit",
      default: 0,
      metavar: "N",
      coerce: coerceRate,
      doc: "Full UDP answers a second per client /24 (IPv6 /56); of the rest every second " +
        "gets an empty TC reply, the others none. TCP is not limited. 0: off.",
    },
    {
      name: "resolv-conf",
      metavar: "FILE",
      doc: "The resolv.conf naming the servers to recurse through (implies --recursive).",
    },
    ...SECURE_PARAMETERS,
    ...TRANSFER_PARAMETERS,
  ];

  /** Parses, counting `-v`; `--pyzone` is refused with the option to use instead. */
  override parseOptions(argv: readonly string[]): void {
    let verbose = 0;
    for (let i = 0; i < argv.length; i++) {
      const word = argv[i];
      if (word === "--" || !word.startsWith("-") || word === "-") break;
      if (word === "--pyzone" || word.startsWith("--pyzone=")) {
        throw new UsageError(
          "Option --pyzone (a Python zone) is not supported: give a TypeScript or JavaScript " +
            "module exporting zone with --zone MODULE",
        );
      }
      if (word.startsWith("--")) {
        const name = word.slice(2).split("=")[0].replaceAll("_", "-");
        if (name === "verbose") verbose++;
        else if (!word.includes("=") && this.optParameters.some((p) => p.name === name)) i++;
        continue;
      }
      for (let j = 1; j < word.length; j++) {
        if (word[j] === "v") verbose++;
        if (this.optParameters.some((p) => p.short === word[j])) {
          if (j === word.length - 1) i++;
          break;
        }
      }
    }
    super.parseOptions(argv);
    this.opts.verbose = verbose;
  }

  /** `--resolv-conf` implies `--recursive`; `--tls` and `--https` need a certificate and key. */
  override postOptions(): void {
    if (this.opts["resolv-conf"] !== undefined) this.opts.recursive = true;
    checkSecureOptions(this.opts);
  }
}

function coerceRate(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`Not a number of answers a second: ${value}`);
  return Number(value);
}

/** Both ports of the server: TCP first, then UDP on the port TCP got. */
class DNSService extends Service {
  readonly #reactor: Reactor;
  readonly #factory: DNSServerFactory;
  readonly #port: number;
  readonly #iface: string;
  readonly #zones: BindAuthority[];
  readonly #onReload: ((zone: BindAuthority, serialBefore: number | undefined) => void) | null;
  #ports: IListeningPort[] = [];
  #unsubscribe: (() => void) | null = null;

  constructor(
    reactor: Reactor,
    factory: DNSServerFactory,
    port: number,
    iface: string,
    zones: BindAuthority[],
    onReload: ((zone: BindAuthority, serialBefore: number | undefined) => void) | null = null,
  ) {
    super();
    this.#reactor = reactor;
    this.#factory = factory;
    this.#port = port;
    this.#iface = iface;
    this.#zones = zones;
    this.#onReload = onReload;
  }

  override startService(): Deferred<void> {
    super.startService();
    return Deferred.fromPromise(this.#listen());
  }

  async #listen(): Promise<void> {
    const reactor = this.#reactor;
    const tcp = reactor.listenTCP(this.#port, this.#factory, { interface: this.#iface });
    this.#ports.push(tcp);
    await tcp.whenListening();
    const address = tcp.getHost() as { port: number };
    const protocol = new DNSDatagramProtocol(this.#factory, { reactor });
    const udp = reactor.listenUDP(address.port, protocol, { interface: this.#iface });
    this.#ports.push(udp);
    await udp.whenListening();
    if (this.#zones.length > 0) {
      // Before the log line that says we are up: a SIGHUP right after it reloads.
      try {
        this.#unsubscribe = reactor.runtime.onSignal("SIGHUP", () => this.reload());
      } catch {
        // No SIGHUP on this platform.
      }
    }
    log.info("{factory} listening on {address} (UDP and TCP)", {
      factory: "DNSServerFactory",
      address: formatAddress(tcp.getHost()),
    });
  }

  /** Reads every zone file again; logs what it did. */
  reload(): void {
    for (const zone of this.#zones) {
      const serial = zone.soa?.[1].serial;
      zone.reload().addCallbacks(
        () => {
          log.info("Reloaded zone {zone} from {file}", { zone: zone.soa?.[0], file: zone.file });
          this.#onReload?.(zone, serial);
        },
        (failure) => {
          log.error("Cannot reload {file}, keeping the zone loaded before: {error}", {
            file: zone.file,
            error: describeError(failure),
          });
        },
      );
    }
  }

  override stopService(): Deferred<void> {
    super.stopService();
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    const ports = this.#ports.splice(0);
    return Deferred.fromPromise(Promise.all(ports.map((p) => p.stopListening())).then(() => {}));
  }
}

async function zoneModule(spec: string, context: PluginContext): Promise<ModuleAuthority> {
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(spec, context.cwd, context.reactor.runtime);
  } catch (error) {
    throw new Error(`Cannot load zone module ${spec}: ${describeError(error)}`, { cause: error });
  }
  return new ModuleAuthority(exports, { name: spec });
}

/** Caches and clients, as twistd's `_buildResolvers`; the client code loads only when used. */
async function resolvers(
  opts: Record<string, unknown>,
  context: PluginContext,
): Promise<{ caches: ICacheResolver[]; clients: IResolver[] }> {
  const reactor = context.reactor;
  const caches: ICacheResolver[] = [];
  const clients: IResolver[] = [];
  if (opts.cache) {
    const { CacheResolver } = await import("../../names/cache.ts");
    caches.push(new CacheResolver({ reactor }));
  }
  if (opts["hosts-file"] !== undefined) {
    const hosts = await import("../../names/hosts.ts");
    const file = resolvePath(context.cwd, opts["hosts-file"] as string);
    clients.push(new hosts.Resolver({ file, reactor }));
  }
  if (opts.recursive) {
    const client = await import("../../names/client.ts");
    const conf = opts["resolv-conf"] as string | undefined;
    const resolvconf = conf === undefined ? undefined : resolvePath(context.cwd, conf);
    clients.push(client.createResolver({ resolvconf, reactor }));
  }
  return { caches, clients };
}

/** The `dns` plugin. */
export const dnsPlugin: IServiceMaker = {
  tapname: "dns",
  description: "A DNS server: authoritative for BIND zone files and zone modules, or recursive",
  options: DnsOptions,
  async makeService(options: Options, context: PluginContext): Promise<IService> {
    const opts = options.opts;
    const reactor = context.reactor;
    const zones: BindAuthority[] = [];
    for (const file of opts.bindzone as string[]) {
      zones.push(await BindAuthority.load(resolvePath(context.cwd, file), { reactor }));
    }
    const modules: ModuleAuthority[] = [];
    for (const spec of opts.zone as string[]) modules.push(await zoneModule(spec, context));
    const { caches, clients } = await resolvers(opts, context);
    const transfers = await ZoneTransfers.create(opts, reactor);
    const factory = new DNSServerFactory({
      authorities: [...zones, ...modules, ...transfers.authorities],
      allowTransfer: transfers.allowTransfer,
      caches,
      clients,
      verbose: opts.verbose as number,
      rateLimit: opts["rate-limit"] as number,
      reactor,
    });
    const served = zones.length + modules.length + transfers.authorities.length;
    if (served + clients.length === 0 && caches.length === 0) {
      log.warn("No zones and no recursion: every query will be refused");
    }
    const service = new DNSService(
      reactor,
      factory,
      opts.port as number,
      opts.interface as string,
      zones,
      (zone, serial) => transfers.reloaded(zone, serial),
    );
    const secure = await secureService(opts, factory, context);
    if (secure === null && !transfers.active) return service;
    const both = transfers.active ? transfers.root(() => factory.authorities) : new MultiService();
    service.setServiceParent(both);
    secure?.setServiceParent(both);
    return both;
  },
};
