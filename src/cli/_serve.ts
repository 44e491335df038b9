/**
 * Listening services for the built-in plugins: a `StreamServerEndpointService`
 * that logs "<factory> listening on <address>" once bound (the line tests and
 * operators read the port from), and helpers turning `--listen` / `--port`
 * options into endpoints. Private to src/cli.
 *
 * @module
 */
import { MultiService, StreamServerEndpointService } from "../application/mod.ts";
import type { StreamServerEndpointServiceOptions } from "../application/mod.ts";
import type { Deferred } from "../internet/defer.ts";
import { serverFromString } from "../internet/endpoints.ts";
import type { IProtocolFactory, IReactorNetwork } from "../internet/interfaces.ts";
import { Logger } from "../logger/mod.ts";
import { UsageError } from "./_usage.ts";

const log = new Logger("tw");

/**
 * `host:port`, `[v6]:port` or a Unix path, for log lines and errors.
 *
 * @example
 * ```ts
 * import { formatAddress } from "@tw/core/cli";
 * import { IPv4Address, IPv6Address } from "@tw/core";
 * console.log(formatAddress(new IPv4Address("TCP", "127.0.0.1", 8080))); // "127.0.0.1:8080"
 * console.log(formatAddress(new IPv6Address("TCP", "::1", 8080))); // "[::1]:8080"
 * ```
 */
export function formatAddress(address: unknown): string {
  const a = address as { host?: string; port?: number; name?: string; path?: string } | null;
  if (a && typeof a.host === "string" && typeof a.port === "number") {
    return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
  }
  if (a && typeof a.name === "string") return a.name;
  if (a && typeof a.path === "string") return a.path;
  return String(address);
}

/**
 * A `StreamServerEndpointService` that logs where it listens once bound.
 *
 * @example
 * ```ts
 * import { ListeningService } from "@tw/core/cli";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * const factory = Factory.forProtocol(Protocol);
 * const service = new ListeningService(reactor, "tcp:0:interface=127.0.0.1", factory);
 * await service.startService(); // logs "Factory listening on 127.0.0.1:PORT"
 * console.log(service.port !== null); // true
 * await service.stopService();
 * ```
 */
export class ListeningService<F extends IProtocolFactory = IProtocolFactory>
  extends StreamServerEndpointService<F> {
  /** The endpoint description, for the log. */
  readonly description: string;

  /**
   * Parses `description` with `serverFromString`; a bad description is a
   * `UsageError` (exit status 2).
   * @param reactor the reactor to listen with
   * @param description an endpoint string (`tcp:8080:interface=127.0.0.1`)
   * @param factory the protocol factory
   * @param options the `stopFactory` hook
   */
  constructor(
    reactor: IReactorNetwork,
    description: string,
    factory: F,
    options: StreamServerEndpointServiceOptions<F> = {},
  ) {
    let endpoint;
    try {
      endpoint = serverFromString(reactor, description);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new UsageError(`Invalid endpoint ${JSON.stringify(description)}: ${why}`);
    }
    super(endpoint, factory, options);
    this.description = description;
  }

  /** Starts listening; logs the bound address. */
  override startService(): Deferred<void> {
    return super.startService().addCallback(() => {
      const address = formatAddress(this.port?.getHost());
      log.info("{factory} listening on {address}", {
        factory: (this.factory as object).constructor.name,
        address,
        endpoint: this.description,
      });
    });
  }
}

/**
 * The endpoint strings of `--listen` (repeatable) and `--port` options, or
 * `[fallback]` when neither was given.
 *
 * @example
 * ```ts
 * import { listenDescriptions } from "@tw/core/cli";
 * console.log(listenDescriptions({ listen: ["unix:/tmp/s.sock"], port: 8080 }, "tcp:8007"));
 * // [ "unix:/tmp/s.sock", "tcp:8080" ]
 * console.log(listenDescriptions({ listen: [] }, "tcp:8007")); // [ "tcp:8007" ]
 * ```
 */
export function listenDescriptions(opts: Record<string, unknown>, fallback: string): string[] {
  const listen = [...((opts.listen as string[] | undefined) ?? [])];
  if (opts.port !== undefined && opts.port !== null) listen.push(`tcp:${opts.port}`);
  return listen.length > 0 ? listen : [fallback];
}

/**
 * A MultiService listening on each description with `factory`.
 *
 * @example
 * ```ts
 * import { listeningTree } from "@tw/core/cli";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * const factory = Factory.forProtocol(Protocol);
 * const descriptions = ["tcp:0:interface=127.0.0.1", "unix:/tmp/demo.sock"];
 * const tree = listeningTree(reactor, descriptions, factory);
 * console.log([...tree].length); // 2 (start it with startApplication, or as a plugin's service)
 * ```
 */
export function listeningTree<F extends IProtocolFactory>(
  reactor: IReactorNetwork,
  descriptions: readonly string[],
  factory: F,
  options: StreamServerEndpointServiceOptions<F> = {},
): MultiService {
  const tree = new MultiService();
  for (const description of descriptions) {
    new ListeningService(reactor, description, factory, options).setServiceParent(tree);
  }
  return tree;
}

/**
 * Escapes a value for an endpoint description (`:`, `=` and `\`, e.g. in file paths).
 *
 * @example
 * ```ts
 * import { escapeEndpointValue } from "@tw/core/cli";
 * const path = "/run/app:1.sock";
 * console.log(`unix:${escapeEndpointValue(path)}`); // unix:/run/app\:1.sock
 * ```
 */
export function escapeEndpointValue(value: string): string {
  return value.replace(/[\\:=]/g, (c) => `\\${c}`);
}
